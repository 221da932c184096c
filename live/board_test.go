package live_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ovation-live/ovation/live"
)

func TestEntryTransitions(t *testing.T) {
	legal := map[string]map[string]string{ // from → action → to
		live.EntryPending:  {live.EntryApprove: live.EntryApproved, live.EntryReject: live.EntryRejected},
		live.EntryApproved: {live.EntryReject: live.EntryRejected, live.EntryAnswer: live.EntryAnswered, live.EntryPin: live.EntryApproved},
		live.EntryRejected: {live.EntryApprove: live.EntryApproved},
		live.EntryAnswered: {live.EntryUnanswer: live.EntryApproved, live.EntryPin: live.EntryAnswered},
		live.EntryMerged:   {},
	}
	actions := []string{live.EntryApprove, live.EntryReject, live.EntryAnswer, live.EntryUnanswer, live.EntryPin, live.EntryUnpin}
	for from, allowed := range legal {
		for _, action := range actions {
			e := live.Entry{ID: 1, Status: from}
			err := e.Apply(action)
			if to, ok := allowed[action]; ok {
				wantCode(t, err, "")
				if e.Status != to {
					t.Errorf("%s %s: status %s, want %s", from, action, e.Status, to)
				}
				continue
			}
			if live.ErrorCode(err) != live.ETransition || e.Status != from || e.Pinned {
				t.Errorf("%s %s: err %v, entry %+v; want invalid_transition and no change", from, action, err, e)
			}
		}
	}
	t.Run("pinning twice or unpinning an unpinned entry is refused", func(t *testing.T) {
		e := live.Entry{Status: live.EntryApproved}
		wantCode(t, e.Apply(live.EntryPin), "")
		wantCode(t, e.Apply(live.EntryPin), live.ETransition)
		wantCode(t, e.Apply(live.EntryUnpin), "")
		wantCode(t, e.Apply(live.EntryUnpin), live.ETransition)
	})
	t.Run("rejecting unpins", func(t *testing.T) {
		e := live.Entry{Status: live.EntryApproved, Pinned: true}
		wantCode(t, e.Apply(live.EntryReject), "")
		if e.Pinned {
			t.Fatal("a rejected entry stays pinned")
		}
	})
	t.Run("unknown action is invalid", func(t *testing.T) {
		e := live.Entry{Status: live.EntryPending}
		wantCode(t, e.Apply("delete"), live.EInvalid)
	})
	t.Run("merge needs a public entry of the same board", func(t *testing.T) {
		src := live.Entry{ID: 1, BoardID: 1, Status: live.EntryPending}
		wantCode(t, src.Merge(&live.Entry{ID: 1, BoardID: 1, Status: live.EntryApproved}), live.EInvalid)
		wantCode(t, src.Merge(&live.Entry{ID: 2, BoardID: 2, Status: live.EntryApproved}), live.EInvalid)
		wantCode(t, src.Merge(&live.Entry{ID: 2, BoardID: 1, Status: live.EntryPending}), live.ETransition)
		if src.Status != live.EntryPending {
			t.Fatal("a refused merge changed the entry")
		}
		wantCode(t, src.Merge(&live.Entry{ID: 2, BoardID: 1, Status: live.EntryAnswered}), "")
		if src.Status != live.EntryMerged || src.MergedInto != 2 {
			t.Fatalf("merged entry %+v", src)
		}
		wantCode(t, src.Merge(&live.Entry{ID: 3, BoardID: 1, Status: live.EntryApproved}), live.ETransition)
	})
}

func TestBoardValidate(t *testing.T) {
	b := live.Board{Title: " Questions "}
	wantCode(t, b.Validate(), "")
	if b.Moderation != live.ModerationPre || b.MaxLen != live.MaxEntryLen || b.Title != "Questions" {
		t.Fatalf("defaults %+v", b)
	}
	for _, bad := range []live.Board{{}, {Title: "x", Moderation: "none"}, {Title: "x", MaxLen: live.MaxEntryLen + 1}, {Title: "x", RoomID: -1},
		{Title: strings.Repeat("x", live.MaxTitleLen+1)}} {
		wantCode(t, bad.Validate(), live.EInvalid)
	}
	long := strings.Repeat("é", 11)
	if _, _, err := live.ValidateEntryText(&live.Board{MaxLen: 10}, long, ""); live.ErrorCode(err) != live.EInvalid {
		t.Fatalf("11 runes on a 10-rune board: %v", err)
	}
	if text, name, err := live.ValidateEntryText(&live.Board{MaxLen: 10}, "  "+long[:20]+" ", " Zoé "); err != nil || text != long[:20] || name != "Zoé" {
		t.Fatalf("10 runes: %q %q %v", text, name, err)
	}
	if _, _, err := live.ValidateEntryText(&live.Board{MaxLen: 10}, "   ", ""); live.ErrorCode(err) != live.EInvalid {
		t.Fatal("blank text accepted")
	}
}

func TestSortEntries(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	ago := func(d time.Duration, n int) []time.Time {
		out := make([]time.Time, n)
		for i := range out {
			out[i] = now.Add(-d)
		}
		return out
	}
	entries := func() []live.Entry {
		return []live.Entry{
			{ID: 1, Upvotes: 10, UpvoteTimes: ago(time.Hour, 10), CreatedAt: now.Add(-2 * time.Hour)},     // old favourite
			{ID: 2, Upvotes: 4, UpvoteTimes: ago(time.Minute, 4), CreatedAt: now.Add(-10 * time.Minute)},  // rising now
			{ID: 3, Upvotes: 10, UpvoteTimes: ago(2*time.Hour, 10), CreatedAt: now.Add(-3 * time.Hour)},   // ties 1, older
			{ID: 4, Upvotes: 0, CreatedAt: now.Add(-time.Minute)},                                         // newest
			{ID: 5, Upvotes: 1, UpvoteTimes: ago(0, 1), CreatedAt: now.Add(-5 * time.Hour), Pinned: true}, // pinned
		}
	}
	ids := func(es []live.Entry) (out []int64) {
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	for _, tc := range []struct {
		order string
		want  []int64
	}{
		{live.SortTop, []int64{5, 3, 1, 2, 4}},
		{"", []int64{5, 3, 1, 2, 4}},
		{live.SortNewest, []int64{5, 4, 2, 1, 3}},
		{live.SortTrending, []int64{5, 2, 1, 3, 4}},
	} {
		es := entries()
		wantCode(t, live.SortEntries(es, tc.order, now, 10*time.Minute), "")
		if got := ids(es); !equalIDs(got, tc.want) {
			t.Errorf("sort %q: %v, want %v", tc.order, got, tc.want)
		}
	}
	t.Run("trending halves every half-life", func(t *testing.T) {
		hl := 10 * time.Minute
		if got := live.TrendingScore(ago(0, 3), now, hl); got != 3 {
			t.Fatalf("fresh: %v", got)
		}
		if got := live.TrendingScore(ago(hl, 4), now, hl); got != 2 {
			t.Fatalf("one half-life: %v", got)
		}
		if got := live.TrendingScore(ago(-time.Minute, 1), now, hl); got != 1 {
			t.Fatalf("from the future: %v", got)
		}
	})
	t.Run("an unknown order is invalid", func(t *testing.T) {
		wantCode(t, live.SortEntries(entries(), "best", now, 0), live.EInvalid)
	})
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMeetingRequestValidate(t *testing.T) {
	ok := live.MeetingRequest{Name: " Ada ", Company: "Acme", Role: "CTO", Email: "ada@example.com", Consent: true}
	wantCode(t, ok.Validate(), "")
	if ok.Name != "Ada" || ok.ConsentText != live.MeetingConsentText {
		t.Fatalf("%+v", ok)
	}
	for name, bad := range map[string]live.MeetingRequest{
		"consent": {Name: "Ada", Email: "ada@example.com"},
		"name":    {Email: "ada@example.com", Consent: true},
		"email":   {Name: "Ada", Email: "Ada <ada@example.com>", Consent: true},
		"company": {Name: "Ada", Email: "ada@example.com", Company: strings.Repeat("x", live.MaxNameLen+1), Consent: true},
	} {
		err := bad.Validate()
		var e *live.Error
		if live.ErrorCode(err) != live.EInvalid || !asError(err, &e) || e.Field != name {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func asError(err error, target **live.Error) bool {
	e, ok := err.(*live.Error)
	*target = e
	return ok
}
