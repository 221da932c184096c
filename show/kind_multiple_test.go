package show_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
)

// TestMultipleVotes runs a multiple-choice poll through the engine: the
// tally counts respondents and ticks per choice, a changed answer moves
// its ticks, the jury is kept apart, hidden results show the total only,
// and the export has a row per choice and the respondents.
func TestMultipleVotes(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	p, err := h.e.CreatePoll(ctx, "mod", h.ev.Code, &live.Poll{RoomID: h.room, Question: "What worked?", Kind: live.PollMultiple,
		Choices: []string{"Talks", "Food", "Venue"}, Settings: json.RawMessage(`{"max_picks":2}`), ShowResults: true})
	must(t, err)
	must(t, h.e.PollAction(ctx, "mod", p.ID, live.PollOpenAction))
	target := live.Target{Kind: live.KindPoll, ID: p.ID}
	a, b, j := h.join(t, false), h.join(t, false), h.join(t, true)
	vote := func(who live.Voter, id, answer, want string) {
		t.Helper()
		s, err := h.e.Vote(ctx, who, live.Vote{VoteID: id, Target: target, Answer: live.Answer(answer)})
		if err != nil || s.Status != want {
			t.Fatalf("vote %s %s: %q %v, want %s", id, answer, s.Status, err, want)
		}
	}
	vote(a, "a1", "[2,1]", live.VoteCounted)
	vote(b, "b1", "[2]", live.VoteCounted)
	vote(j, "j1", "[3]", live.VoteCounted)
	vote(a, "a2", "[1,3]", live.VoteChanged)
	vote(a, "a2", "[3,1]", live.VoteDuplicate) // the same answer, in another order
	if _, err := h.e.Vote(ctx, b, live.Vote{VoteID: "b2", Target: target, Answer: "[1,2,3]"}); live.ErrorCode(err) != live.EBadValue {
		t.Fatalf("three picks of two: %v, want bad_value", err)
	}
	if my := h.e.MyVotes(a); my[target.String()] != "[1,3]" {
		t.Fatalf("MyVotes = %v", my)
	}
	h.e.FlushTallies()
	var f live.MultipleFrame
	h.pub.last(t, hub.RoomTopic(h.room), "tally:"+target.String(), &f)
	if f.Total != 3 || f.Respondents != 2 || !reflect.DeepEqual(f.Counts, []int64{1, 1, 1}) || f.JuryRespondents != 1 || !reflect.DeepEqual(f.JuryCounts, []int64{0, 0, 1}) {
		t.Fatalf("frame = %+v", f)
	}
	must(t, h.e.PollAction(ctx, "mod", p.ID, live.HideResults))
	h.e.FlushTallies()
	f = live.MultipleFrame{}
	h.pub.last(t, hub.RoomTopic(h.room), "tally:"+target.String(), &f)
	if !f.Hidden || f.Total != 3 || f.Counts != nil || f.Respondents != 0 {
		t.Fatalf("hidden frame = %+v", f)
	}
	res := h.results(t)
	for _, pr := range res.Polls {
		if pr.Poll.ID != p.ID {
			continue
		}
		r := pr.Results.(live.MultipleResults)
		if r.Respondents != 2 || !reflect.DeepEqual(r.Counts, []int64{1, 1, 1}) || r.JuryRespondents != 1 {
			t.Fatalf("results = %+v", r)
		}
		if n := len(pr.Rows); n != 4 || pr.Rows[3].Item != "respondents" || pr.Rows[0].Item != "A Talks" || pr.Rows[2].Jury != 1 {
			t.Fatalf("rows = %+v", pr.Rows)
		}
		b, err := json.Marshal(pr)
		must(t, err)
		var back map[string]json.RawMessage
		must(t, json.Unmarshal(b, &back))
		if string(back["respondents"]) != "2" || back["poll"] == nil {
			t.Fatalf("JSON export %s", b)
		}
		return
	}
	t.Fatal("poll not in results")
}
