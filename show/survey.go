package show

import (
	"context"
	"maps"
	"strconv"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
)

// Surveys reuse polls: a survey's questions are polls with its id, so
// their answers take the one vote path (vote ids, the group commit, the
// cluster's vote stream), and their tallies, results and exports are the
// polls' own. Only when they take answers differs: while their survey is
// open (live.Survey.Accepts), never on stage, and their tallies go to the
// moderators only.

// surveyKey is the owner key of a survey, "survey:3".
func surveyKey(id int64) string { return "survey:" + strconv.FormatInt(id, 10) }

// CreateSurvey adds a draft survey to a room of the event. With from set,
// it is made from that survey of the event, a template: its questions are
// copied (kind, definition, required flag, order), not its answers. Its
// own questions are created with CreatePoll (SurveyID set). Errors:
// ENotFound (no event), EInvalid (a field, no such room or template).
func (e *Engine) CreateSurvey(ctx context.Context, actor, code string, s *live.Survey, from int64) (*live.Survey, error) {
	es := e.eventByCode(code)
	if es == nil {
		return nil, live.Errorf(live.ENotFound, "No event with code %q.", live.NormalizeCode(code))
	}
	s.State, s.Questions = "", nil
	if err := s.Validate(); err != nil {
		return nil, err
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	if es.rooms[s.RoomID] == nil {
		return nil, &live.Error{Code: live.EInvalid, Field: "room_id", Message: "No such room in this event."}
	}
	var copies []*live.Poll
	if from != 0 {
		tpl := es.surveys[from]
		if tpl == nil {
			return nil, &live.Error{Code: live.EInvalid, Field: "from_survey_id", Message: "No such survey in this event to copy."}
		}
		for _, q := range es.surveyQuestions(tpl) {
			c := *q
			c.ID, c.State, c.ShowResults, c.CorrectRevealed, c.OpenedAtMS, c.RoomID = 0, live.PollDraft, false, false, 0, s.RoomID
			copies = append(copies, &c)
		}
	}
	s.ID, s.EventID = 0, es.ev.ID
	if err := e.store.SaveSurvey(ctx, s); err != nil {
		return nil, err
	}
	es.surveys[s.ID] = s
	e.setOwner(surveyKey(s.ID), es)
	for _, c := range copies {
		c.SurveyID = s.ID
		if err := e.store.SavePoll(ctx, c); err != nil {
			return nil, err
		}
		e.addPoll(es, c)
	}
	detail := s.Title
	if from != 0 {
		detail += " (from " + surveyKey(from) + ")"
	}
	e.audit(ctx, es, actor, "create_survey", surveyKey(s.ID), detail)
	e.publishAll(es)
	c := es.surveyCopy(s)
	return &c, nil
}

// addPoll makes p, saved, one of es's polls with an empty tally. es.mu must be held.
func (e *Engine) addPoll(es *eventState, p *live.Poll) {
	es.polls[p.ID] = p
	t := live.Target{Kind: live.KindPoll, ID: p.ID}
	es.tmu.Lock()
	es.tallies[t] = live.NewTally(p.Definition())
	es.tmu.Unlock()
	e.setOwner(t.String(), es)
}

// UpdateSurvey edits a survey's title, texts, window and session; its room
// only while it is a draft (its questions move with it). Errors: ENotFound,
// EInvalid, ETransition.
func (e *Engine) UpdateSurvey(ctx context.Context, actor string, id int64, edit func(*live.Survey) error) (*live.Survey, error) {
	key := surveyKey(id)
	es := e.owned(key)
	if es == nil {
		return nil, live.Errorf(live.ENotFound, "No survey %d.", id)
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	old := es.surveys[id]
	c := es.surveyCopy(old)
	if err := edit(&c); err != nil {
		return nil, err
	}
	c.ID, c.EventID, c.State, c.Questions = old.ID, old.EventID, old.State, nil
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if es.rooms[c.RoomID] == nil {
		return nil, &live.Error{Code: live.EInvalid, Field: "room_id", Message: "No such room in this event."}
	}
	ch := es.newChange()
	if c.RoomID != old.RoomID {
		if old.State != live.SurveyDraft {
			return nil, live.Errorf(live.ETransition, "The room of a survey can only change while it is a draft.")
		}
		for _, p := range es.surveyQuestions(old) {
			ch.poll(p).RoomID = c.RoomID
		}
	}
	*ch.survey(old) = c
	if err := e.commit(ctx, es, ch, actor, "update", key); err != nil {
		return nil, err
	}
	out := es.surveyCopy(old)
	return &out, nil
}

// SurveyAction opens or closes a survey (live.Survey.Apply) and publishes
// it once saved. Opening a survey without questions is refused. Errors:
// ENotFound, EInvalid (an unknown action), ETransition.
func (e *Engine) SurveyAction(ctx context.Context, actor string, id int64, action string) error {
	key := surveyKey(id)
	es := e.owned(key)
	if es == nil {
		return live.Errorf(live.ENotFound, "No survey %d.", id)
	}
	closed, err := func() (bool, error) {
		es.mu.Lock()
		defer es.mu.Unlock()
		s := es.surveys[id]
		c, err := s.Apply(action, e.opts.Now())
		if err != nil {
			return false, err
		}
		if action == live.SurveyOpenAction && len(es.surveyQuestions(s)) == 0 {
			return false, live.Errorf(live.ETransition, "Add a question to the survey before opening it.")
		}
		ch := es.newChange()
		*ch.survey(s), ch.detail = c, c.State
		return action == live.SurveyCloseAction, e.commit(ctx, es, ch, actor, "survey_"+action, key)
	}()
	if err != nil {
		return err
	}
	return e.settle(ctx, es, closed)
}

// surveyCopy returns a copy of s with its questions' ids. es.mu must be held.
func (es *eventState) surveyCopy(s *live.Survey) live.Survey {
	c := *s
	c.Questions = []int64{}
	for _, p := range es.surveyQuestions(s) {
		c.Questions = append(c.Questions, p.ID)
	}
	return c
}

// surveyQuestions returns s's questions in order. es.mu must be held.
func (es *eventState) surveyQuestions(s *live.Survey) []*live.Poll {
	return live.SurveyQuestionsOf(s.ID, maps.Values(es.polls))
}

// addSurveyQuestion makes p, a new question of a survey, the last of its
// survey, in the survey's room. es.mu must be held.
func (es *eventState) addSurveyQuestion(p *live.Poll) error {
	s := es.surveys[p.SurveyID]
	if s == nil {
		return &live.Error{Code: live.EInvalid, Field: "survey_id", Message: "No such survey in this event."}
	}
	qs := es.surveyQuestions(s)
	if len(qs) >= live.MaxSurveyQuestions {
		return &live.Error{Code: live.EInvalid, Field: "survey_id", Message: "A survey has at most " + strconv.Itoa(live.MaxSurveyQuestions) + " questions."}
	}
	p.RoomID, p.Position = s.RoomID, 1
	if len(qs) > 0 {
		p.Position = qs[len(qs)-1].Position + 1
	}
	return nil
}

// inSurvey reports whether t is a question of a survey. es.mu must be held.
func (es *eventState) inSurvey(t live.Target) bool {
	p := es.polls[t.ID]
	return t.Kind == live.KindPoll && p != nil && p.SurveyID != 0
}

// SurveyFrame is a survey as its room's phones and the moderators see it:
// the survey, its phase at the frame's server time, and its questions in
// order (none while it is a draft).
type SurveyFrame struct {
	Type       string      `json:"type"`
	ServerTime int64       `json:"server_time"`
	Survey     live.Survey `json:"survey"`
	Phase      string      `json:"phase"`
	Questions  []live.Poll `json:"questions"`
}

// publishSurvey sends s's frame to its room's phones and to the
// moderators. es.mu must be held.
func (e *Engine) publishSurvey(es *eventState, s *live.Survey) {
	now := e.opts.Now()
	f := SurveyFrame{Type: "survey", ServerTime: now.UnixMilli(), Survey: es.surveyCopy(s), Phase: s.Phase(now), Questions: []live.Poll{}}
	for _, p := range es.surveyQuestions(s) {
		f.Questions = append(f.Questions, p.Public())
	}
	full := live.MustJSON(f)
	e.pub.Publish(hub.ControlTopic(es.ev.ID), surveyKey(s.ID), full)
	if f.Phase == live.PhaseDraft {
		f.Questions, f.Survey.Questions = []live.Poll{}, []int64{}
	}
	e.pub.Publish(hub.RoomTopic(s.RoomID), surveyKey(s.ID), live.MustJSON(f))
}

// MySurveys returns a participant's progress in each survey of their event
// that is not a draft, by key ("survey:3").
func (e *Engine) MySurveys(who live.Voter) map[string]live.SurveyProgress {
	out := map[string]live.SurveyProgress{}
	es := e.eventByID(who.EventID)
	if es == nil {
		return out
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	for _, s := range es.surveys {
		if s.State == live.SurveyDraft {
			continue
		}
		out[surveyKey(s.ID)] = live.Progress(es.surveyQuestions(s), func(id int64) bool {
			_, ok := es.current[ballotKey{who.ParticipantID, live.Target{Kind: live.KindPoll, ID: id}}]
			return ok
		})
	}
	return out
}

// SurveyResults are a survey's results, for export: every question in
// order with its kind's results.
type SurveyResults struct {
	Survey    live.Survey   `json:"survey"`
	Questions []PollResults `json:"questions"`
}

// SurveyResults returns the committed results of survey id, or ENotFound.
func (e *Engine) SurveyResults(ctx context.Context, id int64) (*SurveyResults, error) {
	es := e.owned(surveyKey(id))
	if es == nil {
		return nil, live.Errorf(live.ENotFound, "No survey %d.", id)
	}
	if err := e.store.Flush(ctx); err != nil {
		return nil, err
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	s := es.surveys[id]
	res := &SurveyResults{Survey: es.surveyCopy(s), Questions: []PollResults{}}
	for _, p := range es.surveyQuestions(s) {
		es.tmu.Lock()
		t := es.tallies[live.Target{Kind: live.KindPoll, ID: p.ID}]
		res.Questions = append(res.Questions, PollResults{Poll: *p, Results: t.Results(), Rows: t.Rows(p.Definition())})
		es.tmu.Unlock()
	}
	return res, nil
}
