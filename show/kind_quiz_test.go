package show_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
)

// quizHarness is the harness with a quiz of two questions (A right, 20 s;
// B or C right, 10 s) in its room, and three named players and an
// anonymous one.
type quizHarness struct {
	*harness
	quiz    int64
	qs      []int64
	players []live.Voter
}

func newQuizHarness(tb testing.TB) *quizHarness {
	tb.Helper()
	h := &quizHarness{harness: newHarness(tb)}
	ctx := ctxT(tb)
	q, err := h.e.CreateQuiz(ctx, "mod", h.ev.Code, &live.Quiz{RoomID: h.room, Title: "Geography"})
	must(tb, err)
	h.quiz = q.ID
	for _, p := range []*live.Poll{
		{Question: "Capital of Peru?", Kind: live.PollQuiz, QuizID: q.ID, Choices: []string{"Lima", "Quito", "Cusco"}, Correct: []int{1}},
		{Question: "Andean countries?", Kind: live.PollQuiz, QuizID: q.ID, Choices: []string{"Spain", "Chile", "Bolivia"}, Correct: []int{2, 3},
			Settings: json.RawMessage(`{"time_limit_s":10}`)},
	} {
		c, err := h.e.CreatePoll(ctx, "mod", h.ev.Code, p)
		must(tb, err)
		h.qs = append(h.qs, c.ID)
	}
	for _, name := range []string{"Ada", "Brune", "Chen", ""} {
		p, _, err := h.e.Join(ctx, h.ev.Code, name, "")
		must(tb, err)
		h.players = append(h.players, live.Voter{ParticipantID: p.ID, EventID: p.EventID})
	}
	return h
}

func (h *quizHarness) do(action string) step {
	return func(h2 *harness, ctx context.Context) error { return h2.e.QuizAction(ctx, "mod", h.quiz, action) }
}

func (h *quizHarness) answer(tb testing.TB, player, question, choice int, voteID string) (string, error) {
	tb.Helper()
	return h.vote(tb, h.players[player], live.Target{Kind: live.KindPoll, ID: h.qs[question]}, choice, voteID)
}

func (h *quizHarness) frame(tb testing.TB, topic string) show.QuizFrame {
	tb.Helper()
	var f show.QuizFrame
	h.pub.last(tb, topic, "quiz:"+itoa(h.quiz), &f)
	return f
}

func TestQuizRun(t *testing.T) {
	h := newQuizHarness(t)
	q0 := live.Target{Kind: live.KindPoll, ID: h.qs[0]}

	t.Run("a_pending_question_takes_no_answer", func(t *testing.T) {
		_, err := h.answer(t, 0, 0, 1, "early")
		wantCode(t, err, live.EVotingClosed)
	})
	t.Run("illegal_actions_change_nothing", func(t *testing.T) {
		h.rejects(t, live.ETransition, h.do(live.QuizReveal))
		h.rejects(t, live.ETransition, h.do(live.QuizNext))
		h.rejects(t, live.ETransition, h.do(live.QuizPodium))
		h.rejects(t, live.EInvalid, h.do("jump"))
		h.rejects(t, live.ETransition, func(h2 *harness, ctx context.Context) error {
			return h2.e.PollAction(ctx, "mod", h.qs[0], live.PollOpenAction)
		})
	})

	h.run(t, h.do(live.QuizStart))
	m := h.model(t)
	if p := h.pollIn(t, m, h.qs[0]); p.State != live.PollOpen || p.OpenedAtMS != t0.UnixMilli() || p.ShowResults {
		t.Fatalf("first question after start: %+v", p)
	}
	if f := h.frame(t, hub.StageTopic(h.room)); f.Quiz.Phase != live.PhaseQuestion || f.Number != 1 || f.Count != 2 || len(f.Leaders) != 0 {
		t.Fatalf("stage frame = %+v", f)
	}
	if fs := h.pub.since(0, hub.ControlTopic(h.ev.ID), "quiz:"+itoa(h.quiz)); !strings.Contains(string(fs[len(fs)-1].data), `"leaders":[]`) {
		t.Fatalf("a quiz without players: %s, want an empty list of leaders", fs[len(fs)-1].data)
	}

	t.Run("answers_in_time_count_once", func(t *testing.T) {
		h.clk.Advance(4300 * time.Millisecond)
		if st, err := h.answer(t, 0, 0, 1, "a0"); err != nil || st != live.VoteCounted { // Ada: right at 4.3 s: 892
			t.Fatalf("%q %v", st, err)
		}
		if st, err := h.answer(t, 0, 0, 1, "a0"); err != nil || st != live.VoteDuplicate {
			t.Fatalf("replay: %q %v", st, err)
		}
		before := h.snapshot(t)
		_, err := h.answer(t, 0, 0, 2, "a0-again")
		wantCode(t, err, live.EAlreadyAnswered)
		if after := h.snapshot(t); !reflect.DeepEqual(before.data, after.data) {
			t.Fatal("a second answer changed the database")
		}
		h.clk.Advance(5700 * time.Millisecond)                // 10 s
		if _, err := h.answer(t, 1, 0, 2, "b0"); err != nil { // Brune: wrong
			t.Fatal(err)
		}
		if _, err := h.answer(t, 2, 0, 1, "c0"); err != nil { // Chen: right at 10 s: 750
			t.Fatal(err)
		}
	})
	t.Run("the_open_question_hides_its_points_from_phones", func(t *testing.T) {
		me := h.e.MyQuizzes(h.players[0])[itoa(h.quiz)]
		if me.Points != 0 || me.Rank != 0 || me.Answered != 1 || len(me.Questions) != 0 || me.Name != "Ada" {
			t.Fatalf("during the question: %+v", me)
		}
	})
	t.Run("an_answer_after_the_limit_is_refused", func(t *testing.T) {
		h.clk.Advance(10*time.Second + time.Millisecond)
		before := h.snapshot(t)
		_, err := h.answer(t, 3, 0, 1, "d0")
		wantCode(t, err, live.ETimeUp)
		if after := h.snapshot(t); !reflect.DeepEqual(before.data, after.data) {
			t.Fatal("a late answer changed the database")
		}
	})
	t.Run("an_edge_received_time_counts_if_not_after_now", func(t *testing.T) {
		// Received 1 ms before the limit: in time, though the core sees it later.
		at := t0.Add(20 * time.Second)
		st, err := h.e.Vote(ctxT(t), h.players[3], live.Vote{VoteID: "d1", Target: q0, Answer: "1", Received: at})
		if err != nil || st.Status != live.VoteCounted {
			t.Fatalf("%q %v", st.Status, err)
		}
	})

	h.run(t, h.do(live.QuizReveal))
	t.Run("the_reveal_closes_and_shows_the_right_choice", func(t *testing.T) {
		var st show.StageState
		h.pub.last(t, hub.StageTopic(h.room), "stage", &st)
		var shown *live.Poll
		for i := range st.Polls {
			if st.Polls[i].ID == h.qs[0] {
				shown = &st.Polls[i]
			}
		}
		if shown == nil || shown.State != live.PollClosed || !shown.ShowResults || !shown.CorrectRevealed || !reflect.DeepEqual(shown.Correct, []int{1}) {
			t.Fatalf("revealed question = %+v", shown)
		}
		if st.Quiz == nil || st.Quiz.Phase != live.PhaseReveal {
			t.Fatalf("stage quiz = %+v", st.Quiz)
		}
		var tally live.TallyFrame
		h.pub.last(t, hub.StageTopic(h.room), "tally:"+q0.String(), &tally)
		if tally.Hidden || !reflect.DeepEqual(tally.Counts, []int64{3, 1, 0}) {
			t.Fatalf("tally = %+v", tally)
		}
	})

	h.run(t, h.do(live.QuizLeaderboard))
	t.Run("the_leaderboard_ranks_by_points", func(t *testing.T) {
		f := h.frame(t, hub.RoomTopic(h.room))
		got := []string{}
		for _, s := range f.Leaders {
			got = append(got, s.Name+":"+itoa64(s.Points)+"#"+itoa(int64(s.Rank)))
		}
		anon := live.AnonymousName(h.players[3].ParticipantID)
		want := []string{"Ada:892#1", "Chen:750#2", anon + ":500#3", "Brune:0#4"}
		if !reflect.DeepEqual(got, want) || f.Players != 4 {
			t.Fatalf("leaders = %v (%d players), want %v", got, f.Players, want)
		}
		me := h.e.MyQuizzes(h.players[2])[itoa(h.quiz)]
		if me.Rank != 2 || me.Points != 750 || me.Players != 4 || me.Questions[itoa(h.qs[0])] != 750 {
			t.Fatalf("Chen's standing = %+v", me)
		}
	})

	t.Run("next_opens_the_second_question", func(t *testing.T) {
		h.clk.Advance(time.Minute)
		h.run(t, h.do(live.QuizNext))
		h.clk.Advance(2500 * time.Millisecond) // of 10 s: 875
		for i, c := range []int{2, 3, 2} {     // Ada, Brune, Chen: right; the anonymous player does not answer
			if _, err := h.answer(t, i, 1, c, "q1-"+itoa(int64(i))); err != nil {
				t.Fatal(err)
			}
		}
		h.rejects(t, live.ETransition, h.do(live.QuizNext)) // not before the reveal
		h.run(t, h.do(live.QuizReveal))
		h.rejects(t, live.ETransition, h.do(live.QuizNext)) // the last question
		h.run(t, h.do(live.QuizPodium))
	})
	want := []string{"Ada:1767#1", "Chen:1625#2", "Brune:875#3", live.AnonymousName(h.players[3].ParticipantID) + ":500#4"}
	podium := func(tb testing.TB, f show.QuizFrame) []string {
		got := []string{}
		for _, s := range f.Leaders {
			got = append(got, s.Name+":"+itoa64(s.Points)+"#"+itoa(int64(s.Rank)))
		}
		return got
	}
	t.Run("the_podium_adds_up_both_questions", func(t *testing.T) {
		f := h.frame(t, hub.StageTopic(h.room))
		if got := podium(t, f); f.Quiz.Phase != live.PhasePodium || !reflect.DeepEqual(got, want) {
			t.Fatalf("podium = %v (%s), want %v", got, f.Quiz.Phase, want)
		}
	})
	t.Run("the_export_holds_the_standings", func(t *testing.T) {
		res := h.results(t)
		if len(res.Quizzes) != 1 || len(res.Quizzes[0].Standings) != 4 || res.Quizzes[0].Standings[0].Points != 1767 || res.Quizzes[0].Standings[0].Right != 2 {
			t.Fatalf("export = %+v", res.Quizzes)
		}
		for _, p := range res.Polls {
			if p.Poll.ID == h.qs[0] {
				if r := p.Results.(live.QuizQuestionResults); r.Right != 3 || p.Rows[0].Item != "A Lima (right)" {
					t.Fatalf("question results = %+v, rows %+v", r, p.Rows)
				}
			}
		}
	})
	t.Run("a_restart_keeps_the_points", func(t *testing.T) {
		must(t, h.db.Flush(ctxT(t)))
		again := startEngine(t, h.path)
		var f show.QuizFrame
		again.pub.last(t, hub.StageTopic(h.room), "quiz:"+itoa(h.quiz), &f)
		if got := podium(t, f); !reflect.DeepEqual(got, want) {
			t.Fatalf("after a restart: %v, want %v", got, want)
		}
		me := again.e.MyQuizzes(h.players[0])[itoa(h.quiz)]
		if me.Rank != 1 || me.Points != 1767 || me.Name != "Ada" {
			t.Fatalf("Ada after a restart: %+v", me)
		}
		_, err := again.e.Vote(ctxT(t), h.players[0], live.Vote{VoteID: "a0-late", Target: q0, Answer: "1"})
		wantCode(t, err, live.EVotingClosed)
	})
	h.run(t, h.do(live.QuizFinish))
	if m := h.model(t); m.Quizzes[0].State != live.QuizFinished {
		t.Fatalf("quiz after finish: %+v", m.Quizzes[0])
	}
}

func TestQuizTies(t *testing.T) {
	h := newQuizHarness(t)
	h.run(t, h.do(live.QuizStart))
	h.clk.Advance(2 * time.Second)
	for i := range 2 { // Ada and Brune right at the same millisecond: equal points, equal rank
		if _, err := h.answer(t, i, 0, 1, "t"+itoa(int64(i))); err != nil {
			t.Fatal(err)
		}
	}
	h.clk.Advance(time.Second)
	if _, err := h.answer(t, 2, 0, 1, "t2"); err != nil {
		t.Fatal(err)
	}
	h.run(t, h.do(live.QuizReveal), h.do(live.QuizLeaderboard))
	f := h.frame(t, hub.StageTopic(h.room))
	if len(f.Leaders) != 3 || f.Leaders[0].Rank != 1 || f.Leaders[1].Rank != 1 || f.Leaders[2].Rank != 3 || f.Leaders[0].Points != f.Leaders[1].Points {
		t.Fatalf("leaders = %+v", f.Leaders)
	}
	if f.Leaders[0].ParticipantID > f.Leaders[1].ParticipantID {
		t.Fatal("equal points and times are not listed by participant id")
	}
}

func TestQuizQuestionsFollowTheirQuiz(t *testing.T) {
	h := newQuizHarness(t)
	m := h.model(t)
	if got := m.Quizzes[0].Questions; !reflect.DeepEqual(got, h.qs) {
		t.Fatalf("questions = %v, want %v", got, h.qs)
	}
	t.Run("a_question_of_no_quiz_is_refused", func(t *testing.T) {
		_, err := h.e.CreatePoll(ctxT(t), "mod", h.ev.Code, &live.Poll{Question: "Q", Kind: live.PollQuiz, QuizID: 999, Choices: []string{"A", "B"}, Correct: []int{1}})
		wantField(t, err, "quiz_id")
	})
	t.Run("a_question_cannot_leave_its_quiz", func(t *testing.T) {
		_, err := h.e.UpdatePoll(ctxT(t), "mod", h.qs[0], func(p *live.Poll) error { p.QuizID = 0; p.Kind = live.PollChoices; return nil })
		wantCode(t, err, live.ETransition)
	})
	h.run(t, h.do(live.QuizStart))
	t.Run("the_right_choices_are_fixed_once_asked", func(t *testing.T) {
		_, err := h.e.UpdatePoll(ctxT(t), "mod", h.qs[0], func(p *live.Poll) error { p.Correct = []int{2}; return nil })
		wantCode(t, err, live.ETransition)
	})
	t.Run("a_quiz_in_another_room_runs_beside", func(t *testing.T) {
		room, err := h.e.CreateRoom(ctxT(t), "mod", h.ev.Code, &live.Room{Name: "Side room"})
		must(t, err)
		q, err := h.e.CreateQuiz(ctxT(t), "mod", h.ev.Code, &live.Quiz{RoomID: room.ID, Title: "Side quiz"})
		must(t, err)
		p, err := h.e.CreatePoll(ctxT(t), "mod", h.ev.Code, &live.Poll{Question: "Q", Kind: live.PollQuiz, QuizID: q.ID, Choices: []string{"A", "B"}, Correct: []int{2}})
		must(t, err)
		if p.RoomID != room.ID {
			t.Fatalf("a question of the side quiz is in room %d, want %d", p.RoomID, room.ID)
		}
		must(t, h.e.QuizAction(ctxT(t), "mod", q.ID, live.QuizStart))
		var st show.StageState
		h.pub.last(t, hub.StageTopic(room.ID), "stage", &st)
		if st.Quiz == nil || st.Quiz.ID != q.ID {
			t.Fatalf("the side room's stage shows %+v", st.Quiz)
		}
		h.pub.last(t, hub.StageTopic(h.room), "stage", &st)
		if st.Quiz == nil || st.Quiz.ID != h.quiz {
			t.Fatalf("the main room's stage shows %+v", st.Quiz)
		}
	})
	t.Run("a_second_quiz_waits_for_the_first", func(t *testing.T) {
		q, err := h.e.CreateQuiz(ctxT(t), "mod", h.ev.Code, &live.Quiz{RoomID: h.room, Title: "Second"})
		must(t, err)
		_, err = h.e.CreatePoll(ctxT(t), "mod", h.ev.Code, &live.Poll{Question: "Q", Kind: live.PollQuiz, QuizID: q.ID, Choices: []string{"A", "B"}, Correct: []int{1}})
		must(t, err)
		wantCode(t, h.e.QuizAction(ctxT(t), "mod", q.ID, live.QuizStart), live.ETransition)
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
