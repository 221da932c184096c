package show_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
)

// editPoll is a step that edits the harness's poll.
func editPoll(edit func(*live.Poll)) step {
	return func(h *harness, ctx context.Context) error {
		_, err := h.e.UpdatePoll(ctx, "mod", h.poll, func(p *live.Poll) error { edit(p); return nil })
		return err
	}
}

// publicResults reports whether the latest tally frame of the poll on topic
// shows its counts; a topic without one shows nothing.
func (h *harness) publicResults(tb testing.TB, topic string) bool {
	tb.Helper()
	fs := h.pub.since(0, topic, "tally:"+h.pollT().String())
	if len(fs) == 0 {
		return false
	}
	var tf live.TallyFrame
	must(tb, json.Unmarshal(fs[len(fs)-1].data, &tf))
	return !tf.Hidden && tf.Counts != nil
}

// stagePoll returns the poll as the latest stage frame on topic carries it.
func (h *harness) stagePoll(tb testing.TB, topic string) live.Poll {
	tb.Helper()
	var st show.StageState
	h.pub.last(tb, topic, "stage", &st)
	for _, p := range st.Polls {
		if p.ID == h.poll {
			return p
		}
	}
	tb.Fatalf("poll %d not in the stage frame on %s", h.poll, topic)
	return live.Poll{}
}

func TestResultsVisibility(t *testing.T) {
	type phase struct {
		name string
		do   step
		show bool // results public on the room's stage and phones afterwards
	}
	vote := func(h *harness, ctx context.Context) error {
		_, err := h.e.Vote(ctx, h.join(t, false), live.Vote{VoteID: "v1", Target: h.pollT(), Answer: "2"})
		if err == nil {
			h.clk.Advance(2 * time.Second) // past the audience interval: phones get the frame
			h.e.FlushTallies()
		}
		return err
	}
	open, close := pollDo(live.PollOpenAction), pollDo(live.PollCloseAction)
	for _, tc := range []struct {
		mode   string
		phases []phase
	}{
		{live.ResultsReveal, []phase{{"open", open, false}, {"vote", vote, false}, {"close", close, false},
			{"show_results", pollDo(live.ShowResults), true}, {"hide_results", pollDo(live.HideResults), false}}},
		{live.ResultsLive, []phase{{"open", open, true}, {"vote", vote, true}, {"close", close, true},
			{"hide_results", pollDo(live.HideResults), false}}},
		{live.ResultsAnswered, []phase{{"open", open, true}, {"vote", vote, true}, {"close", close, true}}},
		{live.ResultsClosed, []phase{{"open", open, false}, {"vote", vote, false}, {"close", close, true},
			{"reopen", open, false}, {"close_again", close, true}}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			h := newHarness(t)
			h.run(t, editPoll(func(p *live.Poll) { p.Results = tc.mode }))
			if got := h.pollIn(t, h.model(t), h.poll).Results; got != tc.mode {
				t.Fatalf("results = %q, want %q", got, tc.mode)
			}
			for _, ph := range tc.phases {
				h.run(t, ph.do)
				for _, topic := range []string{hub.StageTopic(h.room), hub.RoomTopic(h.room)} {
					if got := h.publicResults(t, topic); got != ph.show {
						t.Fatalf("after %s: results public on %s = %v, want %v", ph.name, topic, got, ph.show)
					}
					if got := h.stagePoll(t, topic).ShowResults; got != ph.show {
						t.Fatalf("after %s: stage frame's show_results on %s = %v, want %v", ph.name, topic, got, ph.show)
					}
				}
				if got := h.publicResults(t, hub.ControlTopic(h.ev.ID)); ph.name == "vote" && !got {
					t.Fatalf("after %s: moderators do not see the counts", ph.name)
				}
			}
		})
	}
	t.Run("the_default_is_reveal", func(t *testing.T) {
		h := newHarness(t)
		if got := h.pollIn(t, h.model(t), h.poll).Results; got != live.ResultsReveal {
			t.Fatalf("default results = %q, want reveal", got)
		}
	})
	t.Run("an_automatic_change_is_audited_with_the_action", func(t *testing.T) {
		h := newHarness(t)
		h.run(t, editPoll(func(p *live.Poll) { p.Results = live.ResultsClosed }), open, close)
		log, err := h.db.AuditLog(ctxT(t), h.ev.ID, 1)
		must(t, err)
		if len(log) != 1 || log[0].Action != live.PollCloseAction || log[0].Detail != "results shown" {
			t.Fatalf("audit = %+v, want close with \"results shown\"", log)
		}
	})
	t.Run("the_mode_survives_a_restart", func(t *testing.T) {
		h := newHarness(t)
		h.run(t, editPoll(func(p *live.Poll) { p.Results = live.ResultsAnswered }))
		h.db.Close()
		h2 := startEngine(t, h.path)
		h2.ev, h2.poll = h.ev, h.poll
		if got := h2.pollIn(t, h2.model(t), h.poll).Results; got != live.ResultsAnswered {
			t.Fatalf("results after restart = %q", got)
		}
	})
	t.Run("a_bad_mode_is_refused", func(t *testing.T) {
		h := newHarness(t)
		before := h.snapshot(t)
		err := editPoll(func(p *live.Poll) { p.Results = "sometimes" })(h, ctxT(t))
		wantField(t, err, "results")
		if after := h.snapshot(t); after.frames != before.frames || h.pollIn(t, after.model, h.poll).Results != live.ResultsReveal {
			t.Fatal("a refused mode changed the poll or published")
		}
	})
}

func TestCorrectAnswer(t *testing.T) {
	// quiz is a harness whose poll has B (2) as its right answer, opened,
	// answered B by one phone and C by another, and closed.
	quiz := func(tb testing.TB) *harness {
		h := newHarness(tb)
		h.run(tb, editPoll(func(p *live.Poll) { p.Correct = []int{2}; p.Results = live.ResultsLive }), pollDo(live.PollOpenAction))
		h.mustVote(tb, h.join(tb, false), h.pollT(), 2, "a", live.VoteCounted)
		h.mustVote(tb, h.join(tb, false), h.pollT(), 3, "b", live.VoteCounted)
		h.run(tb, pollDo(live.PollCloseAction))
		return h
	}
	// leaks reports whether any public frame so far carried the correct answer.
	leaks := func(tb testing.TB, h *harness) bool {
		for _, topic := range []string{hub.StageTopic(h.room), hub.RoomTopic(h.room)} {
			for _, f := range h.pub.since(0, topic, "stage") {
				if bytes.Contains(f.data, []byte(`"correct":`)) {
					return true
				}
			}
		}
		return false
	}
	t.Run("public_frames_never_carry_it_before_the_reveal", func(t *testing.T) {
		h := quiz(t)
		if leaks(t, h) {
			t.Fatal("a public stage frame carried the correct answer before the reveal")
		}
		if p := h.pollIn(t, h.model(t), h.poll); !slices.Equal(p.Correct, []int{2}) || p.CorrectRevealed {
			t.Fatalf("moderators' poll = %+v, want correct [2], not revealed", p)
		}
	})
	t.Run("reveal_marks_it_on_public_screens_and_hide_takes_it_off", func(t *testing.T) {
		h := quiz(t)
		h.run(t, pollDo(live.PollRevealCorrect))
		for _, topic := range []string{hub.StageTopic(h.room), hub.RoomTopic(h.room)} {
			if p := h.stagePoll(t, topic); !slices.Equal(p.Correct, []int{2}) || !p.CorrectRevealed {
				t.Fatalf("%s after reveal: %+v", topic, p)
			}
		}
		h.run(t, pollDo(live.PollHideCorrect))
		for _, topic := range []string{hub.StageTopic(h.room), hub.RoomTopic(h.room)} {
			if p := h.stagePoll(t, topic); p.Correct != nil || p.CorrectRevealed {
				t.Fatalf("%s after hide: %+v", topic, p)
			}
		}
		log, err := h.db.AuditLog(ctxT(t), h.ev.ID, 2)
		must(t, err)
		if len(log) != 2 || log[0].Action != live.PollHideCorrect || log[1].Action != live.PollRevealCorrect {
			t.Fatalf("audit = %+v", log)
		}
	})
	t.Run("reopening_hides_it_again", func(t *testing.T) {
		h := quiz(t)
		h.run(t, pollDo(live.PollRevealCorrect), pollDo(live.PollOpenAction))
		if p := h.stagePoll(t, hub.RoomTopic(h.room)); p.Correct != nil || p.CorrectRevealed {
			t.Fatalf("reopened poll on phones: %+v", p)
		}
	})
	t.Run("the_reveal_survives_a_restart", func(t *testing.T) {
		h := quiz(t)
		h.run(t, pollDo(live.PollRevealCorrect))
		h.db.Close()
		h2 := startEngine(t, h.path)
		h2.ev, h2.poll, h2.room = h.ev, h.poll, h.room
		if p := h2.stagePoll(t, hub.StageTopic(h.room)); !slices.Equal(p.Correct, []int{2}) || !p.CorrectRevealed {
			t.Fatalf("after restart: %+v", p)
		}
	})
	t.Run("refusals_change_nothing", func(t *testing.T) {
		h := newHarness(t)
		h.rejects(t, live.ETransition, pollDo(live.PollRevealCorrect)) // no correct answer marked
		h.run(t, editPoll(func(p *live.Poll) { p.Correct = []int{1} }))
		h.rejects(t, live.ETransition, pollDo(live.PollRevealCorrect)) // a draft
		h.run(t, pollDo(live.PollOpenAction))
		h.rejects(t, live.ETransition, pollDo(live.PollRevealCorrect)) // still open
		h.rejects(t, live.ETransition, pollDo(live.PollHideCorrect))   // not shown
		h.run(t, pollDo(live.PollCloseAction), pollDo(live.PollRevealCorrect))
		h.rejects(t, live.ETransition, pollDo(live.PollRevealCorrect)) // already shown
		if leaks(t, h) == false {
			t.Fatal("the reveal did not reach the public frames")
		}
	})
	t.Run("bad_definitions_are_refused", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			poll live.Poll
		}{
			{"out_of_range", live.Poll{Kind: live.PollChoices, Choices: []string{"A", "B"}, Correct: []int{3}}},
			{"zero", live.Poll{Kind: live.PollChoices, Choices: []string{"A", "B"}, Correct: []int{0}}},
			{"twice", live.Poll{Kind: live.PollChoices, Choices: []string{"A", "B"}, Correct: []int{1, 1}}},
			{"not_a_choice_kind", live.Poll{Kind: live.PollScale, ScaleMax: 5, Correct: []int{1}}},
			{"more_than_max_picks", live.Poll{Kind: live.PollMultiple, Choices: []string{"A", "B", "C"},
				Settings: json.RawMessage(`{"max_picks":1}`), Correct: []int{1, 2}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h := newHarness(t)
				p := tc.poll
				p.RoomID, p.Question = h.room, "Which?"
				before := h.snapshot(t)
				_, err := h.e.CreatePoll(ctxT(t), "mod", h.ev.Code, &p)
				wantField(t, err, "correct")
				if after := h.snapshot(t); len(after.model.Polls) != len(before.model.Polls) || after.frames != before.frames {
					t.Fatal("a refused poll was created")
				}
			})
		}
	})
	t.Run("multiple_keeps_several_sorted", func(t *testing.T) {
		h := newHarness(t)
		p, err := h.e.CreatePoll(ctxT(t), "mod", h.ev.Code, &live.Poll{RoomID: h.room, Question: "Which?", Kind: live.PollMultiple,
			Choices: []string{"A", "B", "C"}, Correct: []int{3, 1}})
		must(t, err)
		if !slices.Equal(p.Correct, []int{1, 3}) {
			t.Fatalf("correct = %v, want [1 3]", p.Correct)
		}
	})
}
