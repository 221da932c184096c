package live_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ovation-live/ovation/live"
)

func TestSurveyValidate(t *testing.T) {
	at := func(h int) *time.Time { x := time.Date(2026, 12, 7, h, 0, 0, 0, time.UTC); return &x }
	s := &live.Survey{Title: "  Feedback "}
	wantCode(t, s.Validate(), "")
	if s.State != live.SurveyDraft || s.Title != "Feedback" {
		t.Fatalf("survey = %+v, want a draft titled Feedback", s)
	}
	for _, tc := range []struct {
		name  string
		s     live.Survey
		field string
	}{
		{"no_title_is_refused", live.Survey{}, "title"},
		{"an_unknown_state_is_refused", live.Survey{Title: "F", State: "running"}, "state"},
		{"a_long_intro_is_refused", live.Survey{Title: "F", Intro: strings.Repeat("x", 501)}, "intro"},
		{"closing_before_opening_is_refused", live.Survey{Title: "F", OpensAt: at(10), ClosesAt: at(9)}, "closes_at"},
		{"closing_as_it_opens_is_refused", live.Survey{Title: "F", OpensAt: at(10), ClosesAt: at(10)}, "closes_at"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantField(t, tc.s.Validate(), tc.field) })
	}
	t.Run("a_quiz_question_is_refused_in_a_survey", func(t *testing.T) {
		p := &live.Poll{Question: "Q", Kind: live.PollQuiz, Choices: []string{"A", "B"}, QuizID: 1, SurveyID: 2, Correct: []int{1}}
		wantField(t, p.Validate(), "kind")
	})
	t.Run("a_required_poll_of_the_stage_is_refused", func(t *testing.T) {
		p := &live.Poll{Question: "Q", Kind: live.PollScale, ScaleMax: 5, Required: true}
		wantField(t, p.Validate(), "required")
	})
}

func TestSurveyWindow(t *testing.T) {
	base := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	at := func(m int) *time.Time { x := base.Add(time.Duration(m) * time.Minute); return &x }
	for _, tc := range []struct {
		name  string
		s     live.Survey
		now   int // minutes from base
		phase string
	}{
		{"a_draft_is_not_offered", live.Survey{State: live.SurveyDraft}, 0, live.PhaseDraft},
		{"an_open_survey_without_window_takes_answers", live.Survey{State: live.SurveyOpen}, 0, live.PhaseOpen},
		{"before_opens_at_it_is_scheduled", live.Survey{State: live.SurveyOpen, OpensAt: at(5)}, 0, live.PhaseScheduled},
		{"at_opens_at_it_takes_answers", live.Survey{State: live.SurveyOpen, OpensAt: at(5)}, 5, live.PhaseOpen},
		{"before_closes_at_it_takes_answers", live.Survey{State: live.SurveyOpen, OpensAt: at(-5), ClosesAt: at(5)}, 4, live.PhaseOpen},
		{"at_closes_at_it_is_closed", live.Survey{State: live.SurveyOpen, ClosesAt: at(5)}, 5, live.PhaseClosed},
		{"a_closed_survey_in_its_window_is_closed", live.Survey{State: live.SurveyClosed, ClosesAt: at(5)}, 0, live.PhaseClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := base.Add(time.Duration(tc.now) * time.Minute)
			if got := tc.s.Phase(now); got != tc.phase {
				t.Fatalf("phase = %s, want %s", got, tc.phase)
			}
			err := tc.s.Accepts(now)
			if tc.phase == live.PhaseOpen {
				wantCode(t, err, "")
			} else {
				wantCode(t, err, live.EVotingClosed)
			}
		})
	}
}

func TestSurveyApply(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	later, earlier := now.Add(time.Hour), now.Add(-time.Hour)
	t.Run("open_takes_answers_now", func(t *testing.T) {
		s, err := live.Survey{State: live.SurveyDraft, OpensAt: &later}.Apply(live.SurveyOpenAction, now)
		wantCode(t, err, "")
		if s.State != live.SurveyOpen || s.OpensAt != nil || s.Phase(now) != live.PhaseOpen {
			t.Fatalf("survey = %+v, want open now", s)
		}
	})
	t.Run("reopening_past_closes_at_clears_it", func(t *testing.T) {
		s, err := live.Survey{State: live.SurveyClosed, ClosesAt: &earlier}.Apply(live.SurveyOpenAction, now)
		wantCode(t, err, "")
		if s.ClosesAt != nil || s.Phase(now) != live.PhaseOpen {
			t.Fatalf("survey = %+v, want open now", s)
		}
	})
	t.Run("close_closes_a_scheduled_survey", func(t *testing.T) {
		s, err := live.Survey{State: live.SurveyOpen, OpensAt: &later}.Apply(live.SurveyCloseAction, now)
		wantCode(t, err, "")
		if s.Phase(now) != live.PhaseClosed {
			t.Fatalf("phase = %s, want closed", s.Phase(now))
		}
	})
	for _, tc := range []struct {
		name, state, action, code string
	}{
		{"opening_an_open_survey_is_refused", live.SurveyOpen, live.SurveyOpenAction, live.ETransition},
		{"closing_a_draft_is_refused", live.SurveyDraft, live.SurveyCloseAction, live.ETransition},
		{"closing_twice_is_refused", live.SurveyClosed, live.SurveyCloseAction, live.ETransition},
		{"an_unknown_action_is_refused", live.SurveyOpen, "pause", live.EInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := live.Survey{State: tc.state}
			s, err := before.Apply(tc.action, now)
			wantCode(t, err, tc.code)
			if !reflect.DeepEqual(s, before) {
				t.Fatalf("a refused action changed the survey: %+v", s)
			}
		})
	}
}

func TestSurveyProgress(t *testing.T) {
	qs := []*live.Poll{{ID: 1, Required: true}, {ID: 2}, {ID: 3, Required: true}, {ID: 4}}
	answered := map[int64]bool{}
	has := func(id int64) bool { return answered[id] }
	pr := live.Progress(qs, has)
	if pr.Total != 4 || pr.Answered != 0 || !reflect.DeepEqual(pr.Missing, []int64{1, 3}) || pr.Complete {
		t.Fatalf("progress = %+v, want 0 of 4, missing 1 and 3", pr)
	}
	answered[1], answered[2] = true, true
	if pr = live.Progress(qs, has); pr.Answered != 2 || !reflect.DeepEqual(pr.Missing, []int64{3}) || pr.Complete {
		t.Fatalf("progress = %+v, want 2 of 4, missing 3", pr)
	}
	answered[3] = true
	if pr = live.Progress(qs, has); pr.Answered != 3 || len(pr.Missing) != 0 || !pr.Complete {
		t.Fatalf("progress = %+v, want complete with an optional question skipped", pr)
	}
}

func TestSurveyQuestionsOf(t *testing.T) {
	polls := []*live.Poll{{ID: 5, SurveyID: 1, Position: 2}, {ID: 6, SurveyID: 2, Position: 1}, {ID: 7, SurveyID: 1, Position: 1}, {ID: 8, SurveyID: 1, Position: 2}}
	var ids []int64
	for _, p := range live.SurveyQuestionsOf(1, func(yield func(*live.Poll) bool) {
		for _, p := range polls {
			if !yield(p) {
				return
			}
		}
	}) {
		ids = append(ids, p.ID)
	}
	if !reflect.DeepEqual(ids, []int64{7, 5, 8}) {
		t.Fatalf("questions = %v, want 7 5 8", ids)
	}
}
