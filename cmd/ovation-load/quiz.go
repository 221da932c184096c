package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// quizChoices are the choices of the quiz scenario's question; quizRight
// is the right one (its number, 1 for A).
var quizChoices = []string{"Lima", "Quito", "Bogotá", "La Paz"}

const quizRight = 1

// QuizCheck is what the quiz scenario verified against its own count.
type QuizCheck struct {
	SecondAnswers    int `json:"second_answers"`    // phones that sent a second answer (another vote id)
	SecondRefused    int `json:"second_refused"`    // of them, refused with already_answered
	Replays          int `json:"replays"`           // phones that sent their first answer again (same vote id)
	ReplaysDuplicate int `json:"replays_duplicate"` // of them, acknowledged as a duplicate
	Late             int `json:"late"`              // first answers refused with time_up
	PlayersExpected  int `json:"players_expected"`  // phones whose first answer was acknowledged
	Players          int `json:"players"`           // players in the server's standings
	Strangers        int `json:"strangers"`         // standings of participants the tool does not know
	RightExpected    int `json:"right_expected"`
	RightServer      int `json:"right_server"`
	// PointsInBounds counts the players whose points lie within what the
	// tool's clocks allow: the question opened between the start request
	// and its answer, each answer was timed between its sending and its ack.
	PointsInBounds int `json:"points_in_bounds"`
}

// OK reports whether the server's results are the tool's.
func (q QuizCheck) OK() bool {
	return q.SecondRefused == q.SecondAnswers && q.ReplaysDuplicate == q.Replays && q.Late == 0 && q.Strangers == 0 &&
		q.Players == q.PlayersExpected && q.RightServer == q.RightExpected && q.PointsInBounds == q.Players
}

// quizPoints is the documented points formula (docs/protocol.md),
// computed here apart from the server: 1000 × (1 − t / 2T) for a right
// answer, rounded to the nearest point (halves up), t taken within [0, T].
func quizPoints(t, limit time.Duration) int64 {
	tm, lm := min(max(t.Milliseconds(), 0), limit.Milliseconds()), limit.Milliseconds()
	return 1000 - (1000*tm+lm)/(2*lm)
}

// quiz: the question opens once every phone is connected; every phone
// answers once at a random moment of the first 90 % of its time limit,
// half of them right; a -change fraction then sends a second answer, one
// in twenty sends its first again. The question is then revealed (which
// closes it) and its counts, right answers and standings are read back.
func (l *loader) quiz(ctx context.Context, sum *Summary) error {
	track := &stageTrack{}
	st := l.stages[0]
	st.mu.Lock()
	st.onTally = track.on
	st.mu.Unlock()

	type answer struct {
		phone     int
		choice    int
		sent, ack time.Time
		received  time.Time
		ok        bool
		code      string
		second    string // "" none, else the outcome of a second answer: its error code or "accepted"
		replay    string // "" none, else the replay's ack status or error code
	}
	answers := make([]*answer, len(l.phones))
	var sent, acked atomic.Int64
	opened0 := time.Now()
	if err := l.api(ctx, "POST", fmt.Sprintf("/api/quizzes/%d/actions/start", l.quizID), nil, nil); err != nil {
		return err
	}
	opened1 := time.Now()
	limit := l.cfg.burst
	window := limit * 9 / 10
	stop := l.every(func() {
		fmt.Fprintf(l.out, "answering: %d sent, %d acknowledged\n", sent.Load(), acked.Load())
	})
	var wg sync.WaitGroup
	for i, p := range l.phones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 11))
			a := &answer{phone: i, choice: quizRight}
			if rng.IntN(2) == 0 {
				a.choice = 2 + rng.IntN(len(quizChoices)-1)
			}
			answers[i] = a
			select {
			case <-time.After(time.Until(opened1.Add(time.Duration(rng.Int64N(int64(window)))))):
			case <-ctx.Done():
				a.code = "timeout"
				return
			}
			s, w, err := p.vote(ctx, fmt.Sprintf("q%d", i), l.target, a.choice)
			a.sent = s
			sent.Add(1)
			if err != nil {
				a.code = "send: " + err.Error()
				return
			}
			select {
			case r := <-w:
				a.ack, a.ok, a.code, a.received = r.at, r.ack, r.code, r.received
			case <-ctx.Done():
				a.code = "timeout"
				return
			}
			if !a.ok {
				return
			}
			acked.Add(1)
			if rng.Float64() < l.cfg.change { // another answer: refused, the first is final
				_, w, err := p.vote(ctx, fmt.Sprintf("q%d-again", i), l.target, 1+a.choice%len(quizChoices))
				a.second = "send"
				if err == nil {
					r := await(ctx, w)
					a.second = map[bool]string{true: "accepted", false: r.code}[r.ack]
				}
			}
			if rng.IntN(20) == 0 { // the same answer again, as a phone retrying after a lost ack
				_, w, err := p.vote(ctx, fmt.Sprintf("q%d", i), l.target, a.choice)
				a.replay = "send"
				if err == nil {
					r := await(ctx, w)
					a.replay = map[bool]string{true: r.status, false: r.code}[r.ack]
				}
			}
		}()
	}
	wg.Wait()
	stop()

	// The tool's own count: each phone's acknowledged first answer.
	q := &QuizCheck{}
	expected := make([]int64, len(quizChoices))
	byParticipant := map[int64]*answer{}
	var acks, received []time.Duration
	var firsts []*answer
	sum.VoteErrors = map[string]int{}
	for _, a := range answers {
		if a == nil || a.sent.IsZero() {
			continue
		}
		sum.VotesSent++
		if a.second != "" {
			q.SecondAnswers++
			if a.second == "already_answered" {
				q.SecondRefused++
			}
		}
		if a.replay != "" {
			q.Replays++
			if a.replay == "duplicate" {
				q.ReplaysDuplicate++
			}
		}
		if !a.ok {
			sum.VoteErrors[a.code]++
			if a.code == "time_up" {
				q.Late++
			}
			continue
		}
		sum.VotesAcked++
		acks = append(acks, a.ack.Sub(a.sent))
		if !a.received.IsZero() {
			received = append(received, a.received.Sub(a.sent))
		}
		expected[a.choice-1]++
		if a.choice == quizRight {
			q.RightExpected++
		}
		byParticipant[l.phones[a.phone].participant] = a
		firsts = append(firsts, a)
	}
	q.PlayersExpected = len(firsts)
	p := percentiles(acks)
	sum.AckMS = &p
	if len(received) > 0 {
		r := percentiles(received)
		sum.ReceivedMS = &r
	}
	// Answer → stage, the answers in the order of their acks.
	slices.SortFunc(firsts, func(a, b *answer) int { return a.ack.Compare(b.ack) })
	sentAt := make([]time.Time, len(firsts))
	for i, a := range firsts {
		sentAt[i] = a.sent
	}
	vs := track.latency(sentAt)
	sum.VoteToStageMS = &vs

	// The server's results, once the question is revealed (closed).
	if err := l.api(ctx, "POST", fmt.Sprintf("/api/quizzes/%d/actions/reveal", l.quizID), nil, nil); err != nil {
		return err
	}
	var res struct {
		Polls []struct {
			Poll   struct{ ID int64 }
			Counts []int64 `json:"counts"`
			Right  int     `json:"right"`
		}
		Quizzes []struct {
			Quiz      struct{ ID int64 }
			Standings []struct {
				ParticipantID int64 `json:"participant_id"`
				Points        int64 `json:"points"`
				Right         int   `json:"right"`
			}
		}
	}
	if err := l.api(ctx, "GET", "/api/events/"+l.code+"/results", nil, &res); err != nil {
		return err
	}
	for _, pr := range res.Polls {
		if pr.Poll.ID == l.pollID {
			sum.TallyServer, q.RightServer = pr.Counts, pr.Right
		}
	}
	for _, qr := range res.Quizzes {
		if qr.Quiz.ID != l.quizID {
			continue
		}
		q.Players = len(qr.Standings)
		for _, s := range qr.Standings {
			a := byParticipant[s.ParticipantID]
			if a == nil {
				q.Strangers++
				continue
			}
			lo, hi := int64(0), int64(0)
			if a.choice == quizRight {
				lo, hi = quizPoints(a.ack.Sub(opened0), limit), quizPoints(a.sent.Sub(opened1), limit)
			}
			if s.Points >= lo && s.Points <= hi && (s.Right == 1) == (a.choice == quizRight) {
				q.PointsInBounds++
			}
		}
	}
	match := slices.Equal(sum.TallyServer, expected)
	sum.TallyExpected, sum.TallyMatches, sum.Quiz = expected, &match, q
	return nil
}

// await waits for a vote's outcome, or the end of the run ("timeout").
func await(ctx context.Context, w chan result) result {
	select {
	case r := <-w:
		return r
	case <-ctx.Done():
		return result{code: "timeout"}
	}
}
