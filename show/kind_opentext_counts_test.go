package show_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
)

// TestOpenTextFrameCarriesZeroCounts checks that a shown open-text frame
// always carries its counts, 0 included, so that a client need not guess
// what a missing count means: the public frame "approved", the
// moderators' frame "approved", "pending" and "rejected". A hidden frame
// carries the head only.
func TestOpenTextFrameCarriesZeroCounts(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	p, err := h.e.CreatePoll(ctx, "mod", h.ev.Code, &live.Poll{RoomID: h.room, Question: "Takeaway?", Kind: live.PollOpenText, ShowResults: true})
	must(t, err)
	must(t, h.e.PollAction(ctx, "mod", p.ID, live.PollOpenAction))
	_, err = h.e.Vote(ctx, h.join(t, false), live.Vote{VoteID: "v", Target: live.Target{Kind: live.KindPoll, ID: p.ID}, Answer: `"Ship small"`})
	must(t, err)
	h.e.FlushTallies()
	counts := func(topic string) string {
		t.Helper()
		h.e.FlushTallies()
		fs := h.pub.since(0, topic, fmt.Sprintf("tally:poll:%d", p.ID))
		if len(fs) == 0 {
			t.Fatalf("no frame of poll %d on %s", p.ID, topic)
		}
		var f map[string]any
		must(t, json.Unmarshal(fs[len(fs)-1].data, &f))
		got := map[string]any{}
		for _, k := range []string{"approved", "pending", "rejected"} {
			if v, ok := f[k]; ok {
				got[k] = v
			}
		}
		b, _ := json.Marshal(got)
		return string(b)
	}
	t.Run("public_frame_says_none_approved", func(t *testing.T) {
		if got := counts(hub.StageTopic(h.room)); got != `{"approved":0}` {
			t.Fatalf("counts = %s, want {\"approved\":0}", got)
		}
	})
	t.Run("moderators_frame_has_every_count", func(t *testing.T) {
		if got, want := counts(hub.ControlTopic(h.ev.ID)), `{"approved":0,"pending":1,"rejected":0}`; got != want {
			t.Fatalf("counts = %s, want %s", got, want)
		}
	})
	t.Run("hidden_frame_has_no_count", func(t *testing.T) {
		must(t, h.e.PollAction(ctx, "mod", p.ID, live.HideResults))
		if got := counts(hub.StageTopic(h.room)); got != `{}` {
			t.Fatalf("counts = %s, want none", got)
		}
	})
}
