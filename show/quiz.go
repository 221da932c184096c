package show

import (
	"context"
	"maps"
	"slices"
	"strconv"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
)

// quizKey is the owner key of a quiz, "quiz:3".
func quizKey(id int64) string { return "quiz:" + strconv.FormatInt(id, 10) }

// CreateQuiz adds a pending quiz to a room of the event; its questions are
// created with CreatePoll (kind PollQuiz, its QuizID).
func (e *Engine) CreateQuiz(ctx context.Context, actor, code string, q *live.Quiz) (*live.Quiz, error) {
	es := e.eventByCode(code)
	if es == nil {
		return nil, live.Errorf(live.ENotFound, "No event with code %q.", live.NormalizeCode(code))
	}
	q.State, q.Phase, q.CurrentPollID, q.Questions = "", "", 0, nil
	if err := q.Validate(); err != nil {
		return nil, err
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	if es.rooms[q.RoomID] == nil {
		return nil, &live.Error{Code: live.EInvalid, Field: "room_id", Message: "No such room in this event."}
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
func (e *Engine) UpdateQuiz(ctx context.Context, actor string, id int64, edit func(*live.Quiz) error) (*live.Quiz, error) {
	key := quizKey(id)
	es := e.owned(key)
	if es == nil {
		return nil, live.Errorf(live.ENotFound, "No quiz %d.", id)
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
		return nil, &live.Error{Code: live.EInvalid, Field: "room_id", Message: "No such room in this event."}
	}
	ch := es.newChange()
	if c.RoomID != old.RoomID {
		if old.State != live.QuizPending {
			return nil, live.Errorf(live.ETransition, "The room of a quiz can only change before it starts.")
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
func (es *eventState) quizCopy(q *live.Quiz) live.Quiz {
	c := *q
	c.Questions = []int64{}
	for _, p := range es.questionsOf(q) {
		c.Questions = append(c.Questions, p.ID)
	}
	return c
}

// questionsOf returns q's questions in order. es.mu must be held.
func (es *eventState) questionsOf(q *live.Quiz) []*live.Poll {
	return live.QuestionsOf(q.ID, maps.Values(es.polls))
}

// addQuestion makes p, a new quiz question, the last of its quiz, in the
// quiz's room. es.mu must be held.
func (es *eventState) addQuestion(p *live.Poll) error {
	q := es.quizzes[p.QuizID]
	if q == nil {
		return &live.Error{Code: live.EInvalid, Field: "quiz_id", Message: "No such quiz in this event."}
	}
	if q.State == live.QuizFinished {
		return live.Errorf(live.ETransition, "The quiz has finished.")
	}
	p.RoomID, p.Position = q.RoomID, 1
	if qs := es.questionsOf(q); len(qs) > 0 {
		p.Position = qs[len(qs)-1].Position + 1
	}
	return nil
}

// QuizAction runs one of the quiz actions (QuizStart, QuizReveal, …), as
// live.Quiz.Apply rules, and publishes the quiz once saved, with the
// answers its close settled. Refusals are ETransition (EInvalid for an
// unknown action) and change nothing.
func (e *Engine) QuizAction(ctx context.Context, actor string, id int64, action string) error {
	es := e.owned(quizKey(id))
	if es == nil {
		return live.Errorf(live.ENotFound, "No quiz %d.", id)
	}
	closed, err := func() (bool, error) {
		es.mu.Lock()
		defer es.mu.Unlock()
		q := es.quizzes[id]
		qc, polls, err := q.Apply(action, es.siblings(), e.opts.Now())
		if err != nil {
			return false, err
		}
		ch := es.newChange()
		*ch.quiz(q), ch.detail = qc, qc.Phase
		for _, c := range polls {
			*ch.poll(es.polls[c.ID]) = *c
		}
		e.touchShown(es, ch)
		return ch.closesVoting(), e.commit(ctx, es, ch, actor, "quiz_"+action, quizKey(id))
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

// touchShown makes due the tallies of the polls whose results ch shows or
// hides. es.mu must be held.
func (e *Engine) touchShown(es *eventState, ch *change) {
	for orig, c := range ch.polls {
		if orig.ShowResults != c.ShowResults {
			es.tmu.Lock()
			e.touch(es, live.Target{Kind: live.KindPoll, ID: orig.ID})
			es.tmu.Unlock()
		}
	}
}

// quizBoard is a quiz's standings, kept until one of its questions' tallies changes.
type quizBoard struct {
	gen       int64 // the sum of the questions' tally generations it was counted at
	questions int
	*live.Standings
}

// board returns q's standings, counted again when one of its questions'
// answers changed, leaving out the question skip (0: none). es.mu and
// es.tmu must be held.
func (es *eventState) board(q *live.Quiz, skip int64) *quizBoard {
	qs := slices.DeleteFunc(es.questionsOf(q), func(p *live.Poll) bool { return p.ID == skip })
	var gen int64
	tallies := make([]live.QuizTally, len(qs))
	for i, p := range qs {
		tallies[i], _ = es.tallies[live.Target{Kind: live.KindPoll, ID: p.ID}].(live.QuizTally)
		if tallies[i] != nil {
			gen += tallies[i].Generation()
		}
	}
	key := boardKey{q.ID, skip}
	if b := es.boards[key]; b != nil && b.gen == gen && b.questions == len(qs) {
		return b
	}
	b := &quizBoard{gen, len(qs), live.CountStandings(qs, tallies, es.names)}
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
func (es *eventState) shownBoard(q *live.Quiz) *quizBoard {
	if q.Phase == live.PhaseQuestion {
		return es.board(q, q.CurrentPollID)
	}
	return es.board(q, 0)
}

// QuizFrame is a quiz as its room's screens show it: its phase, the
// question on stage (its number of Count) and, on the leaderboard and the
// podium, the first places of the standings (Leaders, up to
// LeaderboardSize players; the moderators always get them). While a
// question is being answered, Players and Leaders are the standings after
// the questions before it.
type QuizFrame struct {
	Type       string          `json:"type"` // "quiz"
	ServerTime int64           `json:"server_time"`
	Quiz       live.Quiz       `json:"quiz"`
	Number     int             `json:"number"` // the current question's place, 1 for the first; 0 before the start
	Count      int             `json:"count"`  // the questions
	Players    int             `json:"players"`
	Leaders    []live.Standing `json:"leaders"`
}

// publishQuiz sends q's frame to the moderators and to its room. es.mu
// must be held.
func (e *Engine) publishQuiz(es *eventState, q *live.Quiz) {
	c := es.quizCopy(q)
	f := QuizFrame{Type: "quiz", ServerTime: e.opts.Now().UnixMilli(), Quiz: c, Count: len(c.Questions), Leaders: []live.Standing{}}
	f.Number = slices.Index(c.Questions, q.CurrentPollID) + 1
	es.tmu.Lock()
	b := es.shownBoard(q)
	es.tmu.Unlock()
	f.Players = len(b.All)
	if len(b.All) > 0 {
		f.Leaders = b.All[:min(len(b.All), live.LeaderboardSize)]
	}
	key := "quiz:" + strconv.FormatInt(q.ID, 10)
	e.pub.Publish(hub.ControlTopic(es.ev.ID), key, live.MustJSON(f))
	if q.Phase != live.PhaseLeaderboard && q.Phase != live.PhasePodium {
		f.Leaders = []live.Standing{}
	}
	public := live.MustJSON(f)
	e.pub.Publish(hub.RoomTopic(q.RoomID), key, public)
	e.pub.Publish(hub.StageTopic(q.RoomID), key, public)
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
func (e *Engine) MyQuizzes(who live.Voter) map[string]MyStanding {
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
		if q.State == live.QuizPending {
			continue
		}
		b := es.shownBoard(q)
		m := MyStanding{Players: len(b.All), Questions: map[string]int64{}, Name: es.names[who.ParticipantID]}
		if m.Name == "" {
			m.Name = live.AnonymousName(who.ParticipantID)
		}
		if i, ok := b.Index[who.ParticipantID]; ok {
			s := b.All[i]
			m.Rank, m.Points, m.Right, m.Answered = s.Rank, s.Points, s.Right, s.Answered
		}
		if q.Phase == live.PhaseQuestion { // its answer counts, its points wait for the reveal, and so does the rank
			if t, ok := es.tallies[live.Target{Kind: live.KindPoll, ID: q.CurrentPollID}].(live.QuizTally); ok {
				if t.Answered(who.ParticipantID) {
					m.Answered, m.Rank = m.Answered+1, 0
				}
			}
		}
		for poll, per := range b.Points {
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
	Quiz      live.Quiz       `json:"quiz"`
	Standings []live.Standing `json:"standings"`
}
