package live

import (
	"fmt"
	"iter"
	"slices"
	"sort"
	"time"
)

// Quiz states: pending → running → finished.
const (
	QuizPending  = "pending"
	QuizRunning  = "running"
	QuizFinished = "finished"
)

// Quiz phases: what the room's screens show of a running quiz.
const (
	PhaseQuestion    = "question"    // the current question is open: its countdown runs
	PhaseReveal      = "reveal"      // the question is closed: its right choices and distribution
	PhaseLeaderboard = "leaderboard" // the standings after the question
	PhasePodium      = "podium"      // the final podium
)

// Quiz actions.
const (
	QuizStart       = "start"       // pending → running: the first question opens
	QuizReveal      = "reveal"      // close the current question, show its right choices and distribution
	QuizLeaderboard = "leaderboard" // show the standings (after a reveal)
	QuizNext        = "next"        // open the next question (after a reveal)
	QuizPodium      = "podium"      // show the final podium (after a reveal)
	QuizFinish      = "finish"      // running → finished: off the screens, any open question closed
)

// LeaderboardSize is how many players a quiz frame lists.
const LeaderboardSize = 10

// Quiz is an ordered list of quiz questions (polls of kind PollQuiz with
// the quiz's id, ordered by Position) run in one room by a moderator: one
// question at a time, each with its countdown and reveal, the standings
// between them and a podium at the end. Points add up over its questions.
type Quiz struct {
	ID      int64  `json:"id"`
	EventID int64  `json:"event_id"`
	RoomID  int64  `json:"room_id"`
	Title   string `json:"title"`
	State   string `json:"state"`
	// Phase is what the screens show while the quiz runs (PhaseQuestion,
	// PhaseReveal, PhaseLeaderboard, PhasePodium); "" before it starts.
	Phase string `json:"phase"`
	// CurrentPollID is the question on stage, 0 before the quiz starts.
	CurrentPollID int64 `json:"current_poll_id"`
	// Questions are the ids of its questions in order. Filled by the
	// engine; not a stored column.
	Questions []int64 `json:"questions"`
}

// Validate reports the first invalid field of q.
func (q *Quiz) Validate() error {
	if q.State == "" {
		q.State = QuizPending
	}
	return validText("title", &q.Title, MaxTitleLen, true, false)
}

// Standing is one player's place in a quiz: their points over its
// questions, ranked by points (equal points, equal rank: 1, 2, 2, 4).
type Standing struct {
	Rank          int    `json:"rank"`
	ParticipantID int64  `json:"participant_id"`
	Name          string `json:"name"`     // the display name, or "Anonymous #n"
	Points        int64  `json:"points"`   // the sum of QuizPoints over the quiz's questions
	Right         int    `json:"right"`    // right answers
	Answered      int    `json:"answered"` // answers
	// TimeMS is the time taken by the right answers, summed: among equal
	// points, the quicker player is listed first.
	TimeMS int64 `json:"time_ms"`
}

// AnonymousName is the name a participant without a display name has on a
// quiz's leaderboard: "Anonymous #" and the last four digits of its id,
// which its phone knows too.
func AnonymousName(participantID int64) string {
	return fmt.Sprintf("Anonymous #%04d", participantID%10000)
}

// Standings are a quiz's standings as counted from the answers to its
// questions.
type Standings struct {
	All    []Standing                // every player who answered, ranked
	Index  map[int64]int             // participant → position in All
	Points map[int64]map[int64]int64 // poll → participant → points
}

// CountStandings adds up the points of every answer to the questions qs
// (with their tallies, nil for a question without one) and ranks the
// players; names are the display names known, others are AnonymousName.
func CountStandings(qs []*Poll, tallies []QuizTally, names map[int64]string) *Standings {
	b := &Standings{Index: map[int64]int{}, Points: map[int64]map[int64]int64{}}
	for i, p := range qs {
		t, _ := tallies[i].(*quizTally)
		if t == nil || p.OpenedAtMS == 0 {
			continue
		}
		limit := quizLimit(p.Definition())
		per := make(map[int64]int64, len(t.answers))
		for pid, a := range t.answers {
			at, ok := b.Index[pid]
			if !ok {
				at = len(b.All)
				b.Index[pid] = at
				b.All = append(b.All, Standing{ParticipantID: pid})
			}
			s := &b.All[at]
			elapsed := time.Duration(a.atMS-p.OpenedAtMS) * time.Millisecond
			right := slices.Contains(p.Correct, a.choice)
			pts := QuizPoints(right, elapsed, limit)
			s.Points += pts
			s.Answered++
			if right {
				s.Right++
				s.TimeMS += min(max(elapsed, 0), limit).Milliseconds()
			}
			per[pid] = pts
		}
		b.Points[p.ID] = per
	}
	sort.Slice(b.All, func(i, j int) bool {
		x, y := b.All[i], b.All[j]
		if x.Points != y.Points {
			return x.Points > y.Points
		}
		if x.TimeMS != y.TimeMS {
			return x.TimeMS < y.TimeMS
		}
		return x.ParticipantID < y.ParticipantID
	})
	for i := range b.All {
		s := &b.All[i]
		s.Rank = i + 1
		if i > 0 && s.Points == b.All[i-1].Points {
			s.Rank = b.All[i-1].Rank
		}
		b.Index[s.ParticipantID] = i
		s.Name = names[s.ParticipantID]
		if s.Name == "" {
			s.Name = AnonymousName(s.ParticipantID)
		}
	}
	return b
}

// QuestionsOf returns the questions of the quiz quizID among polls, in
// order.
func QuestionsOf(quizID int64, polls iter.Seq[*Poll]) []*Poll {
	var out []*Poll
	for p := range polls {
		if p.QuizID == quizID {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Position < out[j].Position || (out[i].Position == out[j].Position && out[i].ID < out[j].ID)
	})
	return out
}

// Apply runs action (QuizStart, QuizReveal, …) on q at now, the show's
// clock, among the event's siblings (its polls include q's questions). It
// returns q as the action leaves it and new copies of the questions it
// changes, in order; it changes neither q nor its questions.
//
// A question opens with QuizStart and QuizNext, at now (its OpenedAtMS):
// its time limit and points count from then. QuizReveal closes it, shows
// its distribution and right choices; the standings and the podium can
// follow, or the next question. Refusals are ETransition (EInvalid for an
// unknown action).
func (q Quiz) Apply(action string, in Siblings, now time.Time) (Quiz, []*Poll, error) {
	qs := QuestionsOf(q.ID, in.Polls)
	cur := slices.IndexFunc(qs, func(p *Poll) bool { return p.ID == q.CurrentPollID })
	copies := make([]*Poll, len(qs))
	poll := func(i int) *Poll {
		if copies[i] == nil {
			c := *qs[i]
			copies[i] = &c
		}
		return copies[i]
	}
	afterReveal := func() error {
		if q.State != QuizRunning || (q.Phase != PhaseReveal && q.Phase != PhaseLeaderboard && q.Phase != PhasePodium) {
			return Errorf(ETransition, "Reveal the question's answer first.")
		}
		return nil
	}
	was := q
	switch action {
	case QuizStart:
		if q.State != QuizPending {
			return was, nil, Errorf(ETransition, "The quiz has already started.")
		}
		if len(qs) == 0 {
			return was, nil, Errorf(ETransition, "Add a question to the quiz first.")
		}
		for o := range in.Quizzes {
			if o.RoomID == q.RoomID && o.State == QuizRunning {
				return was, nil, Errorf(ETransition, "Finish the running quiz %q first.", o.Title)
			}
		}
		q.State = QuizRunning
		if err := q.open(poll(0), qs[0], in.Polls, now); err != nil {
			return was, nil, err
		}
	case QuizReveal:
		if q.State != QuizRunning || q.Phase != PhaseQuestion {
			return was, nil, Errorf(ETransition, "No question is being answered.")
		}
		pc := poll(cur)
		if pc.State == PollOpen {
			pc.State = PollClosed
		}
		pc.ShowResults, pc.CorrectRevealed = true, true
		q.Phase = PhaseReveal
	case QuizLeaderboard:
		if err := afterReveal(); err != nil {
			return was, nil, err
		}
		if q.Phase == PhaseLeaderboard {
			return was, nil, Errorf(ETransition, "The leaderboard is already shown.")
		}
		q.Phase = PhaseLeaderboard
	case QuizNext:
		if err := afterReveal(); err != nil {
			return was, nil, err
		}
		if cur+1 >= len(qs) {
			return was, nil, Errorf(ETransition, "This was the last question: show the podium.")
		}
		if err := q.open(poll(cur+1), qs[cur+1], in.Polls, now); err != nil {
			return was, nil, err
		}
	case QuizPodium:
		if err := afterReveal(); err != nil {
			return was, nil, err
		}
		if q.Phase == PhasePodium {
			return was, nil, Errorf(ETransition, "The podium is already shown.")
		}
		q.Phase = PhasePodium
	case QuizFinish:
		if q.State != QuizRunning {
			return was, nil, Errorf(ETransition, "The quiz is not running.")
		}
		if cur >= 0 && qs[cur].State == PollOpen {
			poll(cur).State = PollClosed
		}
		q.State, q.Phase = QuizFinished, ""
	default:
		return was, nil, Errorf(EInvalid, "Unknown quiz action %q.", action)
	}
	return q, slices.DeleteFunc(copies, func(p *Poll) bool { return p == nil }), nil
}

// open opens pc, the copy of p, a draft question of q, as q's current
// question at now. Only one poll may be open per room, among polls.
func (q *Quiz) open(pc, p *Poll, polls iter.Seq[*Poll], now time.Time) error {
	for o := range polls {
		if o.RoomID == p.RoomID && o.State == PollOpen && o.ID != p.ID {
			return Errorf(ETransition, "Close the open poll %q first.", o.Question)
		}
	}
	if err := pc.Transition(PollOpen); err != nil || p.State != PollDraft {
		return Errorf(ETransition, "The question %q was already asked.", p.Question)
	}
	pc.OpenedAtMS, pc.CorrectRevealed = now.UnixMilli(), false
	if show, keep := pc.ShowsOnOpen(); !keep {
		pc.ShowResults = show
	}
	q.CurrentPollID, q.Phase = p.ID, PhaseQuestion
	return nil
}
