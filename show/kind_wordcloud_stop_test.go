package show_test

import (
	"testing"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
)

// TestWordCloudStopWordsOnly pins what an answer made only of stop words
// does (docs/protocol.md §9, word clouds): it is a valid answer, counted
// and acknowledged like any other, so its sender is a respondent (the
// frames' total, the export's respondents), but it adds no word; a phrase
// that holds a stop word is a word; changing such an answer to real words
// adds the words and no respondent.
func TestWordCloudStopWordsOnly(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	p, err := h.e.CreatePoll(ctx, "mod", h.ev.Code, &live.Poll{RoomID: h.room, Question: "One word?", Kind: live.PollWordCloud, ShowResults: true})
	must(t, err)
	must(t, h.e.PollAction(ctx, "mod", p.ID, live.PollOpenAction))
	target := live.Target{Kind: live.KindPoll, ID: p.ID}
	stage, control := hub.StageTopic(h.room), hub.ControlTopic(h.ev.ID)

	only := h.join(t, false)
	if s, err := h.e.Vote(ctx, only, live.Vote{VoteID: "a", Target: target, Answer: `["The","and","le"]`}); err != nil || s.Status != live.VoteCounted {
		t.Fatalf("an answer of stop words only: %q %v, want counted", s.Status, err)
	}
	for _, topic := range []string{stage, control} {
		if f := cloudFrame(t, h, topic, p.ID); f.Total != 1 || len(f.Words) != 0 {
			t.Fatalf("%s: total %d, words %q; want a respondent and no word", topic, f.Total, cloudWords(f))
		}
	}

	if s, err := h.e.Vote(ctx, h.join(t, false), live.Vote{VoteID: "b", Target: target, Answer: `["The cloud","de"]`}); err != nil || s.Status != live.VoteCounted {
		t.Fatalf("a phrase and a stop word: %q %v", s.Status, err)
	}
	if f := cloudFrame(t, h, stage, p.ID); f.Total != 2 || cloudWords(f) != "The cloud:1" {
		t.Fatalf("cloud = %q, total %d; want The cloud:1, total 2", cloudWords(f), f.Total)
	}

	res, err := h.e.Results(ctx, h.ev.Code)
	must(t, err)
	for _, pr := range res.Polls {
		if pr.Poll.ID != p.ID {
			continue
		}
		if r := pr.Results.(live.CloudResults); r.Respondents != 2 || len(r.Words) != 1 {
			t.Fatalf("export: %d respondents, %d words; want 2 and 1", r.Respondents, len(r.Words))
		}
		if last := pr.Rows[len(pr.Rows)-1]; last.Item != "respondents" || last.Audience != 2 || len(pr.Rows) != 2 {
			t.Fatalf("CSV rows %+v; want the word, then respondents 2", pr.Rows)
		}
	}

	if s, err := h.e.Vote(ctx, only, live.Vote{VoteID: "a2", Target: target, Answer: `["Cloud"]`}); err != nil || s.Status != live.VoteChanged {
		t.Fatalf("change to a word: %q %v, want changed", s.Status, err)
	}
	if f := cloudFrame(t, h, stage, p.ID); f.Total != 2 || cloudWords(f) != "Cloud:1 The cloud:1" {
		t.Fatalf("cloud after the change = %q, total %d; want Cloud:1 The cloud:1, total 2", cloudWords(f), f.Total)
	}
}
