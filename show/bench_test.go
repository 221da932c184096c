package show

import (
	"strconv"
	"testing"
	"time"

	"github.com/ovation-live/ovation/live"
)

// BenchmarkTallyUpdate applies one committed vote (a change) to a tally and
// marks it for the next coalesced frame, as the committer's callback does.
func BenchmarkTallyUpdate(b *testing.B) {
	es := newEventState(&live.Event{ID: 1})
	t := live.Target{Kind: live.KindPitch, ID: 1}
	es.tallies[t] = live.NewTally(live.Question{Kind: live.PollScale, ScaleMax: 5})
	answers := []live.Answer{"1", "2", "3", "4", "5"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		es.tmu.Lock()
		es.tallies[t].Move(answers[i%5], live.Vote{Answer: answers[(i+1)%5]})
		es.dirty[t] = true
		es.tmu.Unlock()
		i++
	}
}

// quizBench is a quiz of questions, each answered by players players at
// spread times, half of them right (as live's benchmarks count them).
func quizBench(questions, players int) ([]*live.Poll, []live.QuizTally, map[int64]string) {
	qs := make([]*live.Poll, questions)
	tallies := make([]live.QuizTally, questions)
	names := map[int64]string{}
	for i := range qs {
		qs[i] = &live.Poll{ID: int64(i + 1), Kind: live.PollQuiz, QuizID: 1, Position: i + 1, Choices: []string{"A", "B", "C", "D"},
			Settings: []byte(`{"time_limit_s":10}`), Correct: []int{2}, OpenedAtMS: 1795439600000 + int64(i)*60000}
		t := live.NewTally(qs[i].Definition()).(live.QuizTally)
		for p := range players {
			at := time.UnixMilli(qs[i].OpenedAtMS + int64((p*7919+i*104729)%10000))
			t.Move("", live.Vote{ParticipantID: int64(p + 1), Answer: live.Answer(strconv.Itoa(1 + (p+i)%4)), At: at})
		}
		tallies[i] = t
	}
	for p := range players {
		if p%3 != 0 { // a third of the players are anonymous
			names[int64(p+1)] = "Player " + strconv.Itoa(p)
		}
	}
	return qs, tallies, names
}

// BenchmarkQuizFrame encodes a quiz frame with its ten leaders, as
// published on a phase change to the room, stage and control topics (once
// each, then shared by every subscriber).
func BenchmarkQuizFrame(b *testing.B) {
	qs, tallies, names := quizBench(10, 10000)
	board := live.CountStandings(qs, tallies, names)
	q := live.Quiz{ID: 1, EventID: 1, RoomID: 1, Title: "Pub quiz", State: live.QuizRunning, Phase: live.PhaseLeaderboard, CurrentPollID: 10,
		Questions: []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}
	b.ReportAllocs()
	for b.Loop() {
		live.MustJSON(QuizFrame{Type: "quiz", ServerTime: 1795439664790, Quiz: q, Number: 10, Count: 10, Players: len(board.All),
			Leaders: board.All[:live.LeaderboardSize]})
	}
}
