package live

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
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

// quizKey is the owner key of a quiz, "quiz:3".
func quizKey(id int64) string { return "quiz:" + strconv.FormatInt(id, 10) }

// CreateQuiz adds a pending quiz to a room of the event; its questions are
// created with CreatePoll (kind PollQuiz, its QuizID).
func (e *Engine) CreateQuiz(ctx context.Context, actor, code string, q *Quiz) (*Quiz, error) {
	es := e.eventByCode(code)
	if es == nil {
		return nil, Errorf(ENotFound, "No event with code %q.", NormalizeCode(code))
	}
	q.State, q.Phase, q.CurrentPollID, q.Questions = "", "", 0, nil
	if err := q.Validate(); err != nil {
		return nil, err
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	if es.rooms[q.RoomID] == nil {
		return nil, &Error{Code: EInvalid, Field: "room_id", Message: "No such room in this event."}
	}
	q.ID, q.EventID = 0, es.ev.ID
	if err := e.store.SaveQuiz(ctx, q); err != nil {
		return nil, err
	}
	es.quizzes[q.ID] = q
	e.setOwner(quizKey(q.ID), es)
	e.audit(ctx, es, actor, "create_quiz", quizKey(q.ID), q.Title)
	e.publishAll(es)
	c := es.quizCopy(q)
	return &c, nil
}

// UpdateQuiz edits a quiz's title; its room only while it is pending (its
// questions move with it).
func (e *Engine) UpdateQuiz(ctx context.Context, actor string, id int64, edit func(*Quiz) error) (*Quiz, error) {
	key := quizKey(id)
	es := e.owned(key)
	if es == nil {
		return nil, Errorf(ENotFound, "No quiz %d.", id)
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	old := es.quizzes[id]
	c := es.quizCopy(old)
	if err := edit(&c); err != nil {
		return nil, err
	}
	c.ID, c.EventID, c.State, c.Phase, c.CurrentPollID = old.ID, old.EventID, old.State, old.Phase, old.CurrentPollID
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if es.rooms[c.RoomID] == nil {
		return nil, &Error{Code: EInvalid, Field: "room_id", Message: "No such room in this event."}
	}
	ch := es.newChange()
	if c.RoomID != old.RoomID {
		if old.State != QuizPending {
			return nil, Errorf(ETransition, "The room of a quiz can only change before it starts.")
		}
		for _, p := range es.questionsOf(old) {
			ch.poll(p).RoomID = c.RoomID
		}
	}
	qc := ch.quiz(old)
	qc.Title, qc.RoomID = c.Title, c.RoomID
	if err := e.commit(ctx, es, ch, actor, "update", key); err != nil {
		return nil, err
	}
	out := es.quizCopy(old)
	return &out, nil
}

// quizCopy returns a copy of q with its questions' ids. es.mu must be held.
func (es *eventState) quizCopy(q *Quiz) Quiz {
	c := *q
	c.Questions = []int64{}
	for _, p := range es.questionsOf(q) {
		c.Questions = append(c.Questions, p.ID)
	}
	return c
}

// questionsOf returns q's questions in order. es.mu must be held.
func (es *eventState) questionsOf(q *Quiz) []*Poll {
	var out []*Poll
	for _, p := range es.polls {
		if p.QuizID == q.ID {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Position < out[j].Position || (out[i].Position == out[j].Position && out[i].ID < out[j].ID)
	})
	return out
}

// addQuestion makes p, a new quiz question, the last of its quiz, in the
// quiz's room. es.mu must be held.
func (es *eventState) addQuestion(p *Poll) error {
	q := es.quizzes[p.QuizID]
	if q == nil {
		return &Error{Code: EInvalid, Field: "quiz_id", Message: "No such quiz in this event."}
	}
	if q.State == QuizFinished {
		return Errorf(ETransition, "The quiz has finished.")
	}
	p.RoomID, p.Position = q.RoomID, 1
	if qs := es.questionsOf(q); len(qs) > 0 {
		p.Position = qs[len(qs)-1].Position + 1
	}
	return nil
}

// QuizAction runs one of the quiz actions (QuizStart, QuizReveal, …).
// A question opens with QuizStart and QuizNext, at the engine's clock (its
// OpenedAtMS): its time limit and points count from then. QuizReveal closes
// it, shows its distribution and right choices; the standings and the
// podium can follow, or the next question. Refusals are ETransition
// (EInvalid for an unknown action) and change nothing.
func (e *Engine) QuizAction(ctx context.Context, actor string, id int64, action string) error {
	es := e.owned(quizKey(id))
	if es == nil {
		return Errorf(ENotFound, "No quiz %d.", id)
	}
	closed, err := func() (bool, error) {
		es.mu.Lock()
		defer es.mu.Unlock()
		q := es.quizzes[id]
		qs := es.questionsOf(q)
		ch := es.newChange()
		qc := ch.quiz(q)
		cur := slices.IndexFunc(qs, func(p *Poll) bool { return p.ID == q.CurrentPollID })
		afterReveal := func() error {
			if q.State != QuizRunning || (q.Phase != PhaseReveal && q.Phase != PhaseLeaderboard && q.Phase != PhasePodium) {
				return Errorf(ETransition, "Reveal the question's answer first.")
			}
			return nil
		}
		switch action {
		case QuizStart:
			if q.State != QuizPending {
				return false, Errorf(ETransition, "The quiz has already started.")
			}
			if len(qs) == 0 {
				return false, Errorf(ETransition, "Add a question to the quiz first.")
			}
			for _, o := range es.quizzes {
				if o.RoomID == q.RoomID && o.State == QuizRunning {
					return false, Errorf(ETransition, "Finish the running quiz %q first.", o.Title)
				}
			}
			qc.State = QuizRunning
			if err := es.openQuestion(ch, qc, qs[0], e.opts.Now()); err != nil {
				return false, err
			}
		case QuizReveal:
			if q.State != QuizRunning || q.Phase != PhaseQuestion {
				return false, Errorf(ETransition, "No question is being answered.")
			}
			pc := ch.poll(qs[cur])
			if pc.State == PollOpen {
				pc.State = PollClosed
			}
			pc.ShowResults, pc.CorrectRevealed = true, true
			qc.Phase = PhaseReveal
		case QuizLeaderboard:
			if err := afterReveal(); err != nil {
				return false, err
			}
			if q.Phase == PhaseLeaderboard {
				return false, Errorf(ETransition, "The leaderboard is already shown.")
			}
			qc.Phase = PhaseLeaderboard
		case QuizNext:
			if err := afterReveal(); err != nil {
				return false, err
			}
			if cur+1 >= len(qs) {
				return false, Errorf(ETransition, "This was the last question: show the podium.")
			}
			if err := es.openQuestion(ch, qc, qs[cur+1], e.opts.Now()); err != nil {
				return false, err
			}
		case QuizPodium:
			if err := afterReveal(); err != nil {
				return false, err
			}
			if q.Phase == PhasePodium {
				return false, Errorf(ETransition, "The podium is already shown.")
			}
			qc.Phase = PhasePodium
		case QuizFinish:
			if q.State != QuizRunning {
				return false, Errorf(ETransition, "The quiz is not running.")
			}
			if cur >= 0 && qs[cur].State == PollOpen {
				ch.poll(qs[cur]).State = PollClosed
			}
			qc.State, qc.Phase = QuizFinished, ""
		default:
			return false, Errorf(EInvalid, "Unknown quiz action %q.", action)
		}
		ch.detail = qc.Phase
		closes := ch.closesVoting()
		for orig, c := range ch.polls {
			if orig.ShowResults != c.ShowResults {
				es.tmu.Lock()
				e.touch(es, Target{KindPoll, orig.ID})
				es.tmu.Unlock()
			}
		}
		return closes, e.commit(ctx, es, ch, actor, "quiz_"+action, quizKey(id))
	}()
	if err != nil {
		return err
	}
	e.flushEvent(es, true)
	if err := e.settle(ctx, es, closed); err != nil {
		return err
	}
	es.mu.Lock()
	e.publishQuiz(es, es.quizzes[id]) // with the answers the close settled
	es.mu.Unlock()
	return nil
}

// openQuestion opens p, a draft question of qc, as qc's current question
// at now. Only one poll may be open per room.
func (es *eventState) openQuestion(ch *change, qc *Quiz, p *Poll, now time.Time) error {
	for _, o := range es.polls {
		if o.RoomID == p.RoomID && o.State == PollOpen && o.ID != p.ID {
			return Errorf(ETransition, "Close the open poll %q first.", o.Question)
		}
	}
	pc := ch.poll(p)
	if err := pc.transition(PollOpen); err != nil || p.State != PollDraft {
		return Errorf(ETransition, "The question %q was already asked.", p.Question)
	}
	pc.OpenedAtMS, pc.CorrectRevealed = now.UnixMilli(), false
	if show, keep := pc.showsOnOpen(); !keep {
		pc.ShowResults = show
	}
	qc.CurrentPollID, qc.Phase = p.ID, PhaseQuestion
	return nil
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

// quizBoard is a quiz's standings, kept until one of its questions' tallies changes.
type quizBoard struct {
	gen       int64 // the sum of the questions' tally generations it was counted at
	questions int
	all       []Standing
	index     map[int64]int // participant → position in all
	points    map[int64]map[int64]int64
}

// board returns q's standings, counted again when one of its questions'
// answers changed, leaving out the question skip (0: none). es.mu and
// es.tmu must be held.
func (es *eventState) board(q *Quiz, skip int64) *quizBoard {
	qs := slices.DeleteFunc(es.questionsOf(q), func(p *Poll) bool { return p.ID == skip })
	var gen int64
	tallies := make([]*quizTally, len(qs))
	for i, p := range qs {
		tallies[i], _ = es.tallies[Target{KindPoll, p.ID}].(*quizTally)
		if tallies[i] != nil {
			gen += tallies[i].gen
		}
	}
	key := boardKey{q.ID, skip}
	if b := es.boards[key]; b != nil && b.gen == gen && b.questions == len(qs) {
		return b
	}
	b := countStandings(qs, tallies, es.names)
	b.gen, b.questions = gen, len(qs)
	for k := range es.boards { // keep the whole standings and the latest without a question
		if k.quiz == q.ID && k.skip != 0 && k.skip != skip {
			delete(es.boards, k)
		}
	}
	es.boards[key] = b
	return b
}

// boardKey names a quiz's standings, with or without one question.
type boardKey struct{ quiz, skip int64 }

// shownBoard is q's standings as its screens and phones see them: while a
// question is being answered, those after the questions before it, so
// that its answers neither tell its right choice before the reveal nor
// have the standings counted again at every answer. es.mu and es.tmu must
// be held.
func (es *eventState) shownBoard(q *Quiz) *quizBoard {
	if q.Phase == PhaseQuestion {
		return es.board(q, q.CurrentPollID)
	}
	return es.board(q, 0)
}

// countStandings adds up the points of every answer to the questions qs
// (with their tallies) and ranks the players; names are the display names
// known, others are AnonymousName.
func countStandings(qs []*Poll, tallies []*quizTally, names map[int64]string) *quizBoard {
	b := &quizBoard{index: map[int64]int{}, points: map[int64]map[int64]int64{}}
	for i, p := range qs {
		t := tallies[i]
		if t == nil || p.OpenedAtMS == 0 {
			continue
		}
		limit := quizLimit(p.Definition())
		per := make(map[int64]int64, len(t.answers))
		for pid, a := range t.answers {
			at, ok := b.index[pid]
			if !ok {
				at = len(b.all)
				b.index[pid] = at
				b.all = append(b.all, Standing{ParticipantID: pid})
			}
			s := &b.all[at]
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
		b.points[p.ID] = per
	}
	sort.Slice(b.all, func(i, j int) bool {
		x, y := b.all[i], b.all[j]
		if x.Points != y.Points {
			return x.Points > y.Points
		}
		if x.TimeMS != y.TimeMS {
			return x.TimeMS < y.TimeMS
		}
		return x.ParticipantID < y.ParticipantID
	})
	for i := range b.all {
		s := &b.all[i]
		s.Rank = i + 1
		if i > 0 && s.Points == b.all[i-1].Points {
			s.Rank = b.all[i-1].Rank
		}
		b.index[s.ParticipantID] = i
		s.Name = names[s.ParticipantID]
		if s.Name == "" {
			s.Name = AnonymousName(s.ParticipantID)
		}
	}
	return b
}

// QuizFrame is a quiz as its room's screens show it: its phase, the
// question on stage (its number of Count) and, on the leaderboard and the
// podium, the first places of the standings (Leaders, up to
// LeaderboardSize players; the moderators always get them). While a
// question is being answered, Players and Leaders are the standings after
// the questions before it.
type QuizFrame struct {
	Type       string     `json:"type"` // "quiz"
	ServerTime int64      `json:"server_time"`
	Quiz       Quiz       `json:"quiz"`
	Number     int        `json:"number"` // the current question's place, 1 for the first; 0 before the start
	Count      int        `json:"count"`  // the questions
	Players    int        `json:"players"`
	Leaders    []Standing `json:"leaders"`
}

// publishQuiz sends q's frame to the moderators and to its room. es.mu
// must be held.
func (e *Engine) publishQuiz(es *eventState, q *Quiz) {
	c := es.quizCopy(q)
	f := QuizFrame{Type: "quiz", ServerTime: e.opts.Now().UnixMilli(), Quiz: c, Count: len(c.Questions), Leaders: []Standing{}}
	f.Number = slices.Index(c.Questions, q.CurrentPollID) + 1
	es.tmu.Lock()
	b := es.shownBoard(q)
	es.tmu.Unlock()
	f.Players = len(b.all)
	if len(b.all) > 0 {
		f.Leaders = b.all[:min(len(b.all), LeaderboardSize)]
	}
	key := "quiz:" + strconv.FormatInt(q.ID, 10)
	e.pub.Publish(ControlTopic(es.ev.ID), key, mustJSON(f))
	if q.Phase != PhaseLeaderboard && q.Phase != PhasePodium {
		f.Leaders = []Standing{}
	}
	public := mustJSON(f)
	e.pub.Publish(RoomTopic(q.RoomID), key, public)
	e.pub.Publish(StageTopic(q.RoomID), key, public)
}

// MyStanding is one participant's place in a quiz: its rank of Players
// and points (0 and no rank before its first answer), and the points of
// each question it answered, by poll id. While a question is being
// answered its points are left out and the rank is 0, so that a phone
// cannot learn the right choice before the reveal.
type MyStanding struct {
	Rank      int              `json:"rank"`
	Players   int              `json:"players"`
	Points    int64            `json:"points"`
	Right     int              `json:"right"`
	Answered  int              `json:"answered"`
	Name      string           `json:"name"`
	Questions map[string]int64 `json:"questions"`
}

// MyQuizzes returns the participant's standing in each quiz of its event
// that has started, by quiz id.
func (e *Engine) MyQuizzes(who Voter) map[string]MyStanding {
	out := map[string]MyStanding{}
	es := e.eventByID(who.EventID)
	if es == nil {
		return out
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	es.tmu.Lock()
	defer es.tmu.Unlock()
	for _, q := range es.quizzes {
		if q.State == QuizPending {
			continue
		}
		b := es.shownBoard(q)
		m := MyStanding{Players: len(b.all), Questions: map[string]int64{}, Name: es.names[who.ParticipantID]}
		if m.Name == "" {
			m.Name = AnonymousName(who.ParticipantID)
		}
		if i, ok := b.index[who.ParticipantID]; ok {
			s := b.all[i]
			m.Rank, m.Points, m.Right, m.Answered = s.Rank, s.Points, s.Right, s.Answered
		}
		if q.Phase == PhaseQuestion { // its answer counts, its points wait for the reveal, and so does the rank
			if t, ok := es.tallies[Target{KindPoll, q.CurrentPollID}].(*quizTally); ok {
				if _, answered := t.answers[who.ParticipantID]; answered {
					m.Answered, m.Rank = m.Answered+1, 0
				}
			}
		}
		for poll, per := range b.points {
			if p, ok := per[who.ParticipantID]; ok {
				m.Questions[strconv.FormatInt(poll, 10)] = p
			}
		}
		out[strconv.FormatInt(q.ID, 10)] = m
	}
	return out
}

// QuizResults is one quiz's standings, for export.
type QuizResults struct {
	Quiz      Quiz       `json:"quiz"`
	Standings []Standing `json:"standings"`
}
