package show_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
)

// surveyOf creates a survey in h's room with a grid (required), an open
// text (optional) and a scale (required), and returns it with its
// questions' targets.
func surveyOf(tb testing.TB, h *harness) (*live.Survey, []live.Target) {
	tb.Helper()
	ctx := ctxT(tb)
	s, err := h.e.CreateSurvey(ctx, "mod", h.ev.Code, &live.Survey{RoomID: h.room, Title: "Feedback"}, 0)
	must(tb, err)
	var ts []live.Target
	for _, p := range []*live.Poll{
		{Question: "Rate the talk", Kind: live.PollGrid, Choices: []string{"Content", "Speaker"}, ScaleMax: 5, Required: true},
		{Question: "Anything else?", Kind: live.PollOpenText},
		{Question: "Overall", Kind: live.PollScale, ScaleMax: 10, Required: true},
	} {
		p.SurveyID = s.ID
		c, err := h.e.CreatePoll(ctx, "mod", h.ev.Code, p)
		must(tb, err)
		ts = append(ts, live.Target{Kind: live.KindPoll, ID: c.ID})
	}
	return s, ts
}

func surveyVote(tb testing.TB, h *harness, who live.Voter, t live.Target, id, answer string) (string, error) {
	tb.Helper()
	r, err := h.e.Vote(ctxT(tb), who, live.Vote{VoteID: id, Target: t, Answer: live.Answer(answer)})
	return r.Status, err
}

func TestSurveyAnswers(t *testing.T) {
	t.Run("questions_take_answers_only_while_the_survey_is_open", func(t *testing.T) {
		h := newHarness(t)
		s, ts := surveyOf(t, h)
		who := h.join(t, false)
		_, err := surveyVote(t, h, who, ts[2], "v1", "7")
		wantCode(t, err, live.EVotingClosed)
		must(t, h.e.SurveyAction(ctxT(t), "mod", s.ID, live.SurveyOpenAction))
		if st, err := surveyVote(t, h, who, ts[2], "v2", "7"); err != nil || st != live.VoteCounted {
			t.Fatalf("vote in an open survey: %q %v", st, err)
		}
		if st, err := surveyVote(t, h, who, ts[2], "v3", "9"); err != nil || st != live.VoteChanged {
			t.Fatalf("changed answer: %q %v", st, err)
		}
		if st, err := surveyVote(t, h, who, ts[2], "v3", "9"); err != nil || st != live.VoteDuplicate {
			t.Fatalf("replayed vote id: %q %v, want a duplicate", st, err)
		}
		must(t, h.e.SurveyAction(ctxT(t), "mod", s.ID, live.SurveyCloseAction))
		_, err = surveyVote(t, h, who, ts[2], "v4", "3")
		wantCode(t, err, live.EVotingClosed)
		res, err := h.e.Results(ctxT(t), h.ev.Code)
		must(t, err)
		for _, p := range res.Polls {
			if p.Poll.ID == ts[2].ID {
				if c := p.Results.(live.CountResults); c.Audience.Count != 1 || c.Counts[8] != 1 {
					t.Fatalf("scale results = %+v, want one 9", c)
				}
			}
		}
	})
	t.Run("the_window_opens_and_closes_by_the_clock", func(t *testing.T) {
		h := newHarness(t)
		s, ts := surveyOf(t, h)
		opens, closes := t0.Add(time.Minute), t0.Add(2*time.Minute)
		_, err := h.e.UpdateSurvey(ctxT(t), "mod", s.ID, func(s *live.Survey) error { s.OpensAt, s.ClosesAt = &opens, &closes; return nil })
		must(t, err)
		must(t, h.e.SurveyAction(ctxT(t), "mod", s.ID, live.SurveyOpenAction))
		who := h.join(t, false)
		// Opening now clears a future opens_at: the moderator opened it.
		if _, err := surveyVote(t, h, who, ts[0], "g1", `{"1":4,"2":null}`); err != nil {
			t.Fatalf("vote after open: %v", err)
		}
		_, err = h.e.UpdateSurvey(ctxT(t), "mod", s.ID, func(s *live.Survey) error { s.OpensAt = &opens; return nil })
		must(t, err)
		_, err = surveyVote(t, h, who, ts[2], "s1", "5")
		wantCode(t, err, live.EVotingClosed)
		h.clk.Advance(time.Minute)
		if _, err := surveyVote(t, h, who, ts[2], "s2", "5"); err != nil {
			t.Fatalf("vote at opens_at: %v", err)
		}
		h.clk.Advance(time.Minute)
		_, err = surveyVote(t, h, who, ts[2], "s3", "6")
		wantCode(t, err, live.EVotingClosed)
	})
	t.Run("bad_answers_are_refused_and_change_nothing", func(t *testing.T) {
		h := newHarness(t)
		s, ts := surveyOf(t, h)
		must(t, h.e.SurveyAction(ctxT(t), "mod", s.ID, live.SurveyOpenAction))
		who := h.join(t, false)
		for _, bad := range []string{`{"1":4}`, `{"1":null,"2":null}`, `{"1":6,"2":1}`, `[4,4]`} {
			_, err := surveyVote(t, h, who, ts[0], "b-"+bad, bad)
			wantCode(t, err, live.EBadValue)
		}
		if n := h.e.StoredVotes(h.ev.ID); n != 0 {
			t.Fatalf("stored votes = %d after refusals", n)
		}
	})
	t.Run("progress_counts_required_questions", func(t *testing.T) {
		h := newHarness(t)
		s, ts := surveyOf(t, h)
		must(t, h.e.SurveyAction(ctxT(t), "mod", s.ID, live.SurveyOpenAction))
		who := h.join(t, false)
		key := "survey:" + itoa(s.ID)
		if pr := h.e.MySurveys(who)[key]; pr.Total != 3 || pr.Answered != 0 || pr.Complete || len(pr.Missing) != 2 {
			t.Fatalf("progress = %+v, want 0 of 3 with two required missing", pr)
		}
		_, err := surveyVote(t, h, who, ts[0], "a", `{"1":5,"2":4}`)
		must(t, err)
		_, err = surveyVote(t, h, who, ts[2], "b", "8")
		must(t, err)
		if pr := h.e.MySurveys(who)[key]; pr.Answered != 2 || !pr.Complete {
			t.Fatalf("progress = %+v, want complete without the optional question", pr)
		}
	})
}

func TestSurveyFrames(t *testing.T) {
	t.Run("results_reach_the_moderators_only", func(t *testing.T) {
		h := newHarness(t)
		s, ts := surveyOf(t, h)
		must(t, h.e.SurveyAction(ctxT(t), "mod", s.ID, live.SurveyOpenAction))
		who := h.join(t, false)
		mark := h.pub.mark()
		_, err := surveyVote(t, h, who, ts[0], "a", `{"1":5,"2":null}`)
		must(t, err)
		h.clk.Advance(2 * time.Second)
		h.e.FlushTallies()
		key := "tally:" + ts[0].String()
		var f live.GridFrame
		h.pub.last(t, hub.ControlTopic(h.ev.ID), key, &f)
		if f.Respondents != 1 || f.Statements[0].Counts[4] != 1 || f.Statements[1].Skipped != 1 {
			t.Fatalf("moderators' frame = %+v", f)
		}
		if n := len(h.pub.since(mark, hub.RoomTopic(h.room), key)) + len(h.pub.since(mark, hub.StageTopic(h.room), key)); n != 0 {
			t.Fatalf("%d survey tally frames reached the room or the stage", n)
		}
	})
	t.Run("the_room_gets_the_questions_once_offered_and_the_stage_none", func(t *testing.T) {
		h := newHarness(t)
		s, _ := surveyOf(t, h)
		var f show.SurveyFrame
		h.pub.last(t, hub.RoomTopic(h.room), "survey:"+itoa(s.ID), &f)
		if f.Phase != live.PhaseDraft || len(f.Questions) != 0 {
			t.Fatalf("draft survey's room frame = %+v, want no questions", f)
		}
		must(t, h.e.SurveyAction(ctxT(t), "mod", s.ID, live.SurveyOpenAction))
		h.pub.last(t, hub.RoomTopic(h.room), "survey:"+itoa(s.ID), &f)
		if f.Phase != live.PhaseOpen || len(f.Questions) != 3 || f.Questions[0].Kind != live.PollGrid || !f.Questions[0].Required {
			t.Fatalf("open survey's room frame = %+v", f)
		}
		var st show.StageState
		h.pub.last(t, hub.StageTopic(h.room), "stage", &st)
		for _, p := range st.Polls {
			if p.SurveyID != 0 {
				t.Fatalf("a survey's question is on stage: %+v", p)
			}
		}
	})
	t.Run("its_questions_cannot_be_opened_on_stage", func(t *testing.T) {
		h := newHarness(t)
		_, ts := surveyOf(t, h)
		wantCode(t, h.e.PollAction(ctxT(t), "mod", ts[1].ID, live.PollOpenAction), live.ETransition)
	})
}

func TestSurveyBuild(t *testing.T) {
	t.Run("a_template_copies_questions_not_answers", func(t *testing.T) {
		h := newHarness(t)
		s, ts := surveyOf(t, h)
		must(t, h.e.SurveyAction(ctxT(t), "mod", s.ID, live.SurveyOpenAction))
		who := h.join(t, false)
		_, err := surveyVote(t, h, who, ts[2], "a", "8")
		must(t, err)
		c, err := h.e.CreateSurvey(ctxT(t), "mod", h.ev.Code, &live.Survey{RoomID: h.room, Title: "Talk 2"}, s.ID)
		must(t, err)
		if len(c.Questions) != 3 || c.State != live.SurveyDraft {
			t.Fatalf("copy = %+v", c)
		}
		m := h.model(t)
		q := h.pollIn(t, m, c.Questions[0])
		if q.Kind != live.PollGrid || !q.Required || q.SurveyID != c.ID || q.ID == ts[0].ID {
			t.Fatalf("copied question = %+v", q)
		}
		res, err := h.e.Results(ctxT(t), h.ev.Code)
		must(t, err)
		for _, p := range res.Polls {
			if p.Poll.ID == c.Questions[2] && p.Results.(live.CountResults).Audience.Count != 0 {
				t.Fatal("the copy has the template's answers")
			}
		}
	})
	t.Run("refusals_change_nothing", func(t *testing.T) {
		h := newHarness(t)
		s, ts := surveyOf(t, h)
		empty, err := h.e.CreateSurvey(ctxT(t), "mod", h.ev.Code, &live.Survey{RoomID: h.room, Title: "Empty"}, 0)
		must(t, err)
		before := h.snapshot(t)
		wantCode(t, h.e.SurveyAction(ctxT(t), "mod", empty.ID, live.SurveyOpenAction), live.ETransition)
		wantCode(t, h.e.SurveyAction(ctxT(t), "mod", s.ID, live.SurveyCloseAction), live.ETransition)
		wantCode(t, h.e.SurveyAction(ctxT(t), "mod", s.ID, "pause"), live.EInvalid)
		wantCode(t, h.e.SurveyAction(ctxT(t), "mod", 9999, live.SurveyOpenAction), live.ENotFound)
		_, err = h.e.CreateSurvey(ctxT(t), "mod", h.ev.Code, &live.Survey{RoomID: h.room, Title: "X"}, 9999)
		wantField(t, err, "from_survey_id")
		_, err = h.e.CreateSurvey(ctxT(t), "mod", h.ev.Code, &live.Survey{RoomID: 9999, Title: "X"}, 0)
		wantField(t, err, "room_id")
		_, err = h.e.CreatePoll(ctxT(t), "mod", h.ev.Code, &live.Poll{Question: "Q", Kind: live.PollScale, ScaleMax: 5, SurveyID: 9999})
		wantField(t, err, "survey_id")
		_, err = h.e.UpdatePoll(ctxT(t), "mod", h.poll, func(p *live.Poll) error { p.SurveyID = s.ID; return nil })
		wantCode(t, err, live.ETransition)
		if after := h.snapshot(t); after.frames != before.frames {
			t.Fatal("a refusal published frames")
		}
		must(t, h.e.SurveyAction(ctxT(t), "mod", s.ID, live.SurveyOpenAction))
		_, err = h.e.UpdatePoll(ctxT(t), "mod", ts[0].ID, func(p *live.Poll) error { p.ScaleMax = 7; return nil })
		wantCode(t, err, live.ETransition)
		// The order and the required flag may change while it is open.
		_, err = h.e.UpdatePoll(ctxT(t), "mod", ts[1].ID, func(p *live.Poll) error { p.Position, p.Required = 0, true; return nil })
		must(t, err)
		if m := h.model(t); m.Surveys[0].Questions[0] != ts[1].ID {
			t.Fatalf("order after a move = %v", m.Surveys[0].Questions)
		}
	})
}

func TestSurveySurvivesRestart(t *testing.T) {
	h := newHarness(t)
	s, ts := surveyOf(t, h)
	sess := int64(42)
	closes := t0.Add(time.Hour)
	_, err := h.e.UpdateSurvey(ctxT(t), "mod", s.ID, func(s *live.Survey) error { s.SessionID, s.ClosesAt, s.Thanks = &sess, &closes, "Merci"; return nil })
	must(t, err)
	must(t, h.e.SurveyAction(ctxT(t), "mod", s.ID, live.SurveyOpenAction))
	who := h.join(t, false)
	_, err = surveyVote(t, h, who, ts[0], "g", `{"1":3,"2":null}`)
	must(t, err)
	_, err = surveyVote(t, h, who, ts[1], "o", `"Great talk"`)
	must(t, err)
	h.db.Close()
	h2 := startEngine(t, h.path)
	m, err := h2.e.Model(h.ev.Code)
	must(t, err)
	got := m.Surveys[0]
	if got.State != live.SurveyOpen || got.SessionID == nil || *got.SessionID != 42 || got.ClosesAt == nil || !got.ClosesAt.Equal(closes) ||
		got.Thanks != "Merci" || len(got.Questions) != 3 {
		b, _ := json.Marshal(got)
		t.Fatalf("survey after restart = %s", b)
	}
	if pr := h2.e.MySurveys(who)["survey:"+itoa(s.ID)]; pr.Answered != 2 || pr.Complete {
		t.Fatalf("progress after restart = %+v, want 2 answered, the required scale missing", pr)
	}
	// The same vote id again is the same vote: exactly once across a restart.
	r, err := h2.e.Vote(context.Background(), who, live.Vote{VoteID: "g", Target: ts[0], Answer: `{"1":3,"2":null}`})
	if err != nil || r.Status != live.VoteDuplicate {
		t.Fatalf("replay after restart: %+v %v", r, err)
	}
}
