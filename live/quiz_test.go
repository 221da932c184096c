package live_test

import (
	"maps"
	"slices"
	"strconv"
	"testing"

	"github.com/ovation-live/ovation/live"
)

// quiz returns a quiz of two draft questions in room 1, in state and phase,
// with the question at cur (-1: none) current in poll state on.
func quiz(state, phase string, cur int, on string) (live.Quiz, []*live.Poll) {
	q := live.Quiz{ID: 3, EventID: 1, RoomID: 1, Title: "Geography", State: state, Phase: phase}
	var qs []*live.Poll
	for i := range 2 {
		p := &live.Poll{ID: int64(20 + i), EventID: 1, RoomID: 1, QuizID: 3, Position: i + 1, Question: "Q" + string(rune('1'+i)),
			Kind: live.PollQuiz, Choices: []string{"A", "B"}, Correct: []int{1}, State: live.PollDraft, Results: live.ResultsClosed}
		if i < cur {
			p.State, p.OpenedAtMS, p.ShowResults, p.CorrectRevealed = live.PollClosed, 1, true, true
		}
		if i == cur {
			p.State, p.OpenedAtMS = on, 1
			q.CurrentPollID = p.ID
		}
		qs = append(qs, p)
	}
	return q, qs
}

func quizSiblings(qs []*live.Poll, quizzes ...*live.Quiz) live.Siblings {
	return live.Siblings{Rounds: maps.Values(map[int64]*live.Round{}), Polls: slices.Values(qs), Quizzes: slices.Values(quizzes)}
}

func TestQuizApply(t *testing.T) {
	for _, tc := range []struct {
		name        string
		state       string
		phase       string
		cur         int
		on          string
		action      string
		want        string // the quiz's state and phase after, or the error code
		changed     string // the questions changed, with their state
		wantCurrent int64
	}{
		{"start_opens_the_first_question", live.QuizPending, "", -1, "", live.QuizStart, "running question", "20:open", 20},
		{"start_twice_is_refused", live.QuizRunning, live.PhaseQuestion, 0, live.PollOpen, live.QuizStart, live.ETransition, "", 0},
		{"reveal_closes_the_question", live.QuizRunning, live.PhaseQuestion, 0, live.PollOpen, live.QuizReveal, "running reveal", "20:closed", 20},
		{"reveal_without_a_question_is_refused", live.QuizRunning, live.PhaseReveal, 0, live.PollClosed, live.QuizReveal, live.ETransition, "", 0},
		{"leaderboard_after_the_reveal", live.QuizRunning, live.PhaseReveal, 0, live.PollClosed, live.QuizLeaderboard, "running leaderboard", "", 20},
		{"leaderboard_twice_is_refused", live.QuizRunning, live.PhaseLeaderboard, 0, live.PollClosed, live.QuizLeaderboard, live.ETransition, "", 0},
		{"leaderboard_before_the_reveal_is_refused", live.QuizRunning, live.PhaseQuestion, 0, live.PollOpen, live.QuizLeaderboard, live.ETransition, "", 0},
		{"next_opens_the_next_question", live.QuizRunning, live.PhaseLeaderboard, 0, live.PollClosed, live.QuizNext, "running question", "21:open", 21},
		{"next_after_the_last_is_refused", live.QuizRunning, live.PhaseReveal, 1, live.PollClosed, live.QuizNext, live.ETransition, "", 0},
		{"podium_after_the_reveal", live.QuizRunning, live.PhaseReveal, 1, live.PollClosed, live.QuizPodium, "running podium", "", 21},
		{"podium_twice_is_refused", live.QuizRunning, live.PhasePodium, 1, live.PollClosed, live.QuizPodium, live.ETransition, "", 0},
		{"finish_closes_an_open_question", live.QuizRunning, live.PhaseQuestion, 0, live.PollOpen, live.QuizFinish, "finished ", "20:closed", 20},
		{"finish_when_pending_is_refused", live.QuizPending, "", -1, "", live.QuizFinish, live.ETransition, "", 0},
		{"an_unknown_action_is_invalid", live.QuizRunning, live.PhaseQuestion, 0, live.PollOpen, "skip", live.EInvalid, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, qs := quiz(tc.state, tc.phase, tc.cur, tc.on)
			before := make([]live.Poll, len(qs))
			for i, p := range qs {
				before[i] = *p
			}
			got, polls, err := q.Apply(tc.action, quizSiblings(qs, &q), t0)
			for i, p := range qs {
				if !slices.Equal(p.Correct, before[i].Correct) || p.State != before[i].State || p.ShowResults != before[i].ShowResults {
					t.Fatalf("question %d changed: %+v", p.ID, p)
				}
			}
			if tc.want == live.ETransition || tc.want == live.EInvalid {
				wantCode(t, err, tc.want)
				return
			}
			wantCode(t, err, "")
			if s := got.State + " " + got.Phase; s != tc.want || got.CurrentPollID != tc.wantCurrent {
				t.Fatalf("after %s: %q at %d, want %q at %d", tc.action, s, got.CurrentPollID, tc.want, tc.wantCurrent)
			}
			changed := ""
			for _, p := range polls {
				changed += strconv.FormatInt(p.ID, 10) + ":" + p.State
			}
			if changed != tc.changed {
				t.Fatalf("questions changed: %q, want %q", changed, tc.changed)
			}
		})
	}
	t.Run("an_opened_question_counts_from_now_with_its_results_hidden", func(t *testing.T) {
		q, qs := quiz(live.QuizPending, "", -1, "")
		_, polls, err := q.Apply(live.QuizStart, quizSiblings(qs, &q), t0)
		wantCode(t, err, "")
		if p := polls[0]; p.OpenedAtMS != t0.UnixMilli() || p.ShowResults || p.CorrectRevealed {
			t.Fatalf("opened question = %+v", p)
		}
	})
	t.Run("the_reveal_shows_results_and_right_choices", func(t *testing.T) {
		q, qs := quiz(live.QuizRunning, live.PhaseQuestion, 0, live.PollOpen)
		_, polls, err := q.Apply(live.QuizReveal, quizSiblings(qs, &q), t0)
		wantCode(t, err, "")
		if p := polls[0]; !p.ShowResults || !p.CorrectRevealed {
			t.Fatalf("revealed question = %+v", p)
		}
	})
	t.Run("start_is_refused_while_another_quiz_runs_in_the_room", func(t *testing.T) {
		q, qs := quiz(live.QuizPending, "", -1, "")
		other := live.Quiz{ID: 4, RoomID: 1, Title: "Music", State: live.QuizRunning}
		_, _, err := q.Apply(live.QuizStart, quizSiblings(qs, &q, &other), t0)
		wantCode(t, err, live.ETransition)
	})
	t.Run("a_question_is_refused_while_another_poll_is_open_in_the_room", func(t *testing.T) {
		q, qs := quiz(live.QuizPending, "", -1, "")
		open := &live.Poll{ID: 30, RoomID: 1, Question: "Lunch?", Kind: live.PollChoices, State: live.PollOpen}
		_, _, err := q.Apply(live.QuizStart, quizSiblings(append(qs, open), &q), t0)
		wantCode(t, err, live.ETransition)
	})
	t.Run("a_question_asked_before_is_not_asked_again", func(t *testing.T) {
		q, qs := quiz(live.QuizRunning, live.PhaseReveal, 0, live.PollClosed)
		qs[1].State = live.PollClosed
		_, _, err := q.Apply(live.QuizNext, quizSiblings(qs, &q), t0)
		wantCode(t, err, live.ETransition)
	})
}

func TestQuestionsOf(t *testing.T) {
	polls := []*live.Poll{{ID: 3, QuizID: 1, Position: 2}, {ID: 1, QuizID: 2, Position: 1}, {ID: 5, QuizID: 1, Position: 1}, {ID: 4, QuizID: 1, Position: 2}}
	var ids []int64
	for _, p := range live.QuestionsOf(1, slices.Values(polls)) {
		ids = append(ids, p.ID)
	}
	if !slices.Equal(ids, []int64{5, 3, 4}) {
		t.Fatalf("questions = %v, want [5 3 4]", ids)
	}
}
