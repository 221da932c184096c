package show

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/ovation-live/ovation/live"
)

// This file holds the moderator's side of the engine: building an event and
// running it live. Every method validates, saves, audits and only then
// publishes; illegal actions return ETransition and change nothing.

// CreateEvent creates an event with its first room, named in the event's
// first language (FirstRoomName: "Main stage", "Salle principale").
func (e *Engine) CreateEvent(ctx context.Context, actor string, ev *live.Event) (*live.Event, error) {
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	ev.ID, ev.CreatedAt = 0, e.opts.Now().UTC()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.byCode[ev.Code] != nil {
		return nil, &live.Error{Code: live.EConflict, Field: "code", Message: fmt.Sprintf("Event code %q is taken.", ev.Code)}
	}
	if err := e.store.SaveEvent(ctx, ev); err != nil {
		return nil, err
	}
	es := newEventState(ev)
	room := &live.Room{EventID: ev.ID, Name: ev.FirstRoomName(), Screen: live.ScreenCurrent}
	if err := e.store.SaveRoom(ctx, room); err != nil {
		return nil, err
	}
	es.rooms[room.ID] = room
	e.byCode[ev.Code], e.byID[ev.ID] = es, es
	e.owner["room:"+strconv.FormatInt(room.ID, 10)] = es
	e.audit(ctx, es, actor, "create_event", "event:"+ev.Code, ev.Title)
	e.publishAll(es)
	c := *ev
	return &c, nil
}

// UpdateEvent applies edit to a copy of the event, validates and saves it.
func (e *Engine) UpdateEvent(ctx context.Context, actor, code string, edit func(*live.Event) error) (*live.Event, error) {
	es := e.eventByCode(code)
	if es == nil {
		return nil, live.Errorf(live.ENotFound, "No event with code %q.", live.NormalizeCode(code))
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	e.mu.Lock() // the code index may change; lock order is es.mu, then e.mu
	defer e.mu.Unlock()
	c := *es.ev
	if err := edit(&c); err != nil {
		return nil, err
	}
	c.ID, c.CreatedAt = es.ev.ID, es.ev.CreatedAt
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if other := e.byCode[c.Code]; other != nil && other != es {
		return nil, &live.Error{Code: live.EConflict, Field: "code", Message: fmt.Sprintf("Event code %q is taken.", c.Code)}
	}
	if err := e.store.SaveEvent(ctx, &c); err != nil {
		return nil, err
	}
	delete(e.byCode, es.ev.Code)
	*es.ev = c
	e.byCode[c.Code] = es
	e.audit(ctx, es, actor, "update_event", "event:"+c.Code, "")
	e.publishAll(es)
	return &c, nil
}

// CreateRoom adds a room to the event.
func (e *Engine) CreateRoom(ctx context.Context, actor, code string, r *live.Room) (*live.Room, error) {
	es := e.eventByCode(code)
	if es == nil {
		return nil, live.Errorf(live.ENotFound, "No event with code %q.", live.NormalizeCode(code))
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	r.ID, r.EventID, r.ActiveRoundID, r.Screen = 0, es.ev.ID, 0, live.ScreenCurrent
	if err := e.store.SaveRoom(ctx, r); err != nil {
		return nil, err
	}
	es.rooms[r.ID] = r
	e.setOwner("room:"+strconv.FormatInt(r.ID, 10), es)
	e.audit(ctx, es, actor, "create_room", "room:"+strconv.FormatInt(r.ID, 10), r.Name)
	e.publishModel(es)
	e.publishStage(es, r)
	c := *r
	return &c, nil
}

// UpdateRoom renames a room. Its screen changes with SetScreen only.
func (e *Engine) UpdateRoom(ctx context.Context, actor string, id int64, edit func(*live.Room) error) (*live.Room, error) {
	key := "room:" + strconv.FormatInt(id, 10)
	return update(ctx, e, actor, key, func(es *eventState) *live.Room { return es.rooms[id] }, edit,
		func(_ *eventState, old, c *live.Room) error {
			c.ID, c.EventID, c.ActiveRoundID, c.Screen = old.ID, old.EventID, old.ActiveRoundID, old.Screen
			return c.Validate()
		},
		e.store.SaveRoom)
}

// CreateRound adds a pending round of pitches to a room of the event.
func (e *Engine) CreateRound(ctx context.Context, actor, code string, r *live.Round) (*live.Round, error) {
	es := e.eventByCode(code)
	if es == nil {
		return nil, live.Errorf(live.ENotFound, "No event with code %q.", live.NormalizeCode(code))
	}
	r.State = ""
	if err := r.Validate(); err != nil {
		return nil, err
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	if es.rooms[r.RoomID] == nil {
		return nil, &live.Error{Code: live.EInvalid, Field: "room_id", Message: "No such room in this event."}
	}
	r.ID, r.EventID, r.CurrentPitchID, r.RankingRevealed, r.RevealedPlaces, r.Pitches = 0, es.ev.ID, 0, false, 0, nil
	if err := e.store.SaveRound(ctx, r); err != nil {
		return nil, err
	}
	es.rounds[r.ID] = r
	e.setOwner("round:"+strconv.FormatInt(r.ID, 10), es)
	e.audit(ctx, es, actor, "create_round", "round:"+strconv.FormatInt(r.ID, 10), r.Title)
	e.publishModel(es)
	c := es.roundCopy(r)
	return &c, nil
}

// UpdateRound edits a round's title and AutoReveal; its room and scale only
// while it is pending and has no votes.
func (e *Engine) UpdateRound(ctx context.Context, actor string, id int64, edit func(*live.Round) error) (*live.Round, error) {
	key := "round:" + strconv.FormatInt(id, 10)
	_, err := update(ctx, e, actor, key, func(es *eventState) *live.Round { return es.rounds[id] }, edit,
		func(es *eventState, old, c *live.Round) error {
			c.ID, c.EventID, c.State, c.CurrentPitchID, c.Pitches = old.ID, old.EventID, old.State, old.CurrentPitchID, old.Pitches
			c.RankingRevealed, c.RevealedPlaces = old.RankingRevealed, old.RevealedPlaces
			if (c.RoomID != old.RoomID || c.Scale != old.Scale) && old.State != live.RoundPending {
				return live.Errorf(live.ETransition, "Room and scale can only change before the round starts.")
			}
			if err := c.Validate(); err != nil {
				return err
			}
			if es.rooms[c.RoomID] == nil {
				return &live.Error{Code: live.EInvalid, Field: "room_id", Message: "No such room in this event."}
			}
			return nil
		}, func(ctx context.Context, c *live.Round) error {
			es := e.owned(key)
			old := es.rounds[id]
			if err := e.store.SaveRound(ctx, c); err != nil {
				return err
			}
			if c.Scale != old.Scale { // only while pending: no votes to lose
				es.tmu.Lock()
				for _, p := range old.Pitches {
					es.tallies[live.Target{Kind: live.KindPitch, ID: p.ID}] = live.NewTally(c.Definition())
				}
				es.tmu.Unlock()
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	es := e.owned(key)
	es.mu.Lock()
	defer es.mu.Unlock()
	c := es.roundCopy(es.rounds[id])
	return &c, nil
}

// update is the shared edit path: copy, edit, fix and validate, save, swap in, audit, publish.
func update[T any](ctx context.Context, e *Engine, actor, key string, find func(*eventState) *T,
	edit func(*T) error, fix func(es *eventState, old, c *T) error, save func(context.Context, *T) error) (*T, error) {
	es := e.owned(key)
	if es == nil {
		return nil, live.Errorf(live.ENotFound, "No %s.", key)
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	old := find(es)
	c := *old
	if err := edit(&c); err != nil {
		return nil, err
	}
	if err := fix(es, old, &c); err != nil {
		return nil, err
	}
	if err := save(ctx, &c); err != nil {
		return nil, err
	}
	*old = c
	e.audit(ctx, es, actor, "update", key, "")
	e.publishAll(es)
	out := c
	return &out, nil
}

// CreatePitch appends a pitch to a round.
func (e *Engine) CreatePitch(ctx context.Context, actor string, roundID int64, p *live.Pitch) (*live.Pitch, error) {
	es := e.owned("round:" + strconv.FormatInt(roundID, 10))
	if es == nil {
		return nil, live.Errorf(live.ENotFound, "No round %d.", roundID)
	}
	p.State, p.Timer, p.ShowResults = "", live.Timer{}, false
	if err := p.Validate(); err != nil {
		return nil, err
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	r := es.rounds[roundID]
	if r.State == live.RoundFinished {
		return nil, live.Errorf(live.ETransition, "The round has finished.")
	}
	p.ID, p.RoundID, p.Position = 0, roundID, len(r.Pitches)+1
	if n := len(r.Pitches); n > 0 {
		p.Position = r.Pitches[n-1].Position + 1
	}
	if err := e.store.SavePitch(ctx, p); err != nil {
		return nil, err
	}
	es.pitches[p.ID] = p
	r.Pitches = append(r.Pitches, p)
	t := live.Target{Kind: live.KindPitch, ID: p.ID}
	es.tmu.Lock()
	es.tallies[t] = live.NewTally(r.Definition())
	es.tmu.Unlock()
	e.setOwner(t.String(), es)
	e.audit(ctx, es, actor, "create_pitch", t.String(), p.Team)
	e.publishAll(es)
	c := *p
	return &c, nil
}

// UpdatePitch edits a pitch's team, presenter, duration and video link.
func (e *Engine) UpdatePitch(ctx context.Context, actor string, id int64, edit func(*live.Pitch) error) (*live.Pitch, error) {
	return update(ctx, e, actor, live.Target{Kind: live.KindPitch, ID: id}.String(), func(es *eventState) *live.Pitch { return es.pitches[id] }, edit,
		func(_ *eventState, old, c *live.Pitch) error {
			c.ID, c.RoundID, c.Position, c.State, c.ShowResults = old.ID, old.RoundID, old.Position, old.State, old.ShowResults
			if err := c.Validate(); err != nil { // fills the default duration
				return err
			}
			// Validate would take a timer paused at zero for a new one; the
			// timer only follows the duration while it is untouched.
			c.Timer = old.Timer
			if c.DurationS != old.DurationS && !old.Timer.Running && old.Timer.RemainingMS == int64(old.DurationS)*1000 {
				c.Timer = live.Timer{RemainingMS: int64(c.DurationS) * 1000}
			}
			return nil
		}, e.store.SavePitch)
}

// DeletePitch removes a pitch that never went on stage.
func (e *Engine) DeletePitch(ctx context.Context, actor string, id int64) error {
	t := live.Target{Kind: live.KindPitch, ID: id}
	es := e.owned(t.String())
	if es == nil {
		return live.Errorf(live.ENotFound, "No pitch %d.", id)
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	p := es.pitches[id]
	if p.State != live.PitchPending {
		return live.Errorf(live.ETransition, "Only a pitch that has not been on stage can be deleted.")
	}
	es.tmu.Lock()
	votes := es.tallies[t].Total()
	es.tmu.Unlock()
	if votes > 0 {
		return live.Errorf(live.EConflict, "This pitch has votes; reset them first.")
	}
	if err := e.store.DeletePitch(ctx, id); err != nil {
		return err
	}
	r := es.rounds[p.RoundID]
	for i, q := range r.Pitches {
		if q.ID == id {
			r.Pitches = append(r.Pitches[:i:i], r.Pitches[i+1:]...)
			break
		}
	}
	delete(es.pitches, id)
	es.tmu.Lock()
	delete(es.tallies, t)
	delete(es.dirty, t)
	es.tmu.Unlock()
	e.mu.Lock()
	delete(e.owner, t.String())
	e.mu.Unlock()
	e.audit(ctx, es, actor, "delete_pitch", t.String(), p.Team)
	e.publishAll(es)
	return nil
}

// ReorderPitches sets the running order of a round: ids must list each of
// its pitches exactly once.
func (e *Engine) ReorderPitches(ctx context.Context, actor string, roundID int64, ids []int64) error {
	es := e.owned("round:" + strconv.FormatInt(roundID, 10))
	if es == nil {
		return live.Errorf(live.ENotFound, "No round %d.", roundID)
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	r := es.rounds[roundID]
	if len(ids) != len(r.Pitches) {
		return &live.Error{Code: live.EInvalid, Field: "pitch_ids", Message: "List every pitch of the round exactly once."}
	}
	seen := map[int64]bool{}
	for _, id := range ids {
		p := es.pitches[id]
		if p == nil || p.RoundID != roundID || seen[id] {
			return &live.Error{Code: live.EInvalid, Field: "pitch_ids", Message: "List every pitch of the round exactly once."}
		}
		seen[id] = true
	}
	ordered := make([]*live.Pitch, len(ids))
	for i, id := range ids {
		c := *es.pitches[id]
		c.Position = i + 1
		if err := e.store.SavePitch(ctx, &c); err != nil {
			return err
		}
		*es.pitches[id] = c
		ordered[i] = es.pitches[id]
	}
	r.Pitches = ordered
	e.audit(ctx, es, actor, "reorder_pitches", "round:"+strconv.FormatInt(roundID, 10), fmt.Sprint(ids))
	e.publishAll(es)
	return nil
}

// CreatePoll adds a draft keypad poll to a room of the event.
func (e *Engine) CreatePoll(ctx context.Context, actor, code string, p *live.Poll) (*live.Poll, error) {
	es := e.eventByCode(code)
	if es == nil {
		return nil, live.Errorf(live.ENotFound, "No event with code %q.", live.NormalizeCode(code))
	}
	p.State, p.CorrectRevealed = "", false
	if err := p.Validate(); err != nil {
		return nil, err
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	if p.Kind == live.PollQuiz {
		if err := es.addQuestion(p); err != nil {
			return nil, err
		}
	}
	if p.SurveyID != 0 {
		if err := es.addSurveyQuestion(p); err != nil {
			return nil, err
		}
	}
	if es.rooms[p.RoomID] == nil {
		return nil, &live.Error{Code: live.EInvalid, Field: "room_id", Message: "No such room in this event."}
	}
	p.ID, p.EventID, p.OpenedAtMS = 0, es.ev.ID, 0
	if err := e.store.SavePoll(ctx, p); err != nil {
		return nil, err
	}
	es.polls[p.ID] = p
	t := live.Target{Kind: live.KindPoll, ID: p.ID}
	es.tmu.Lock()
	es.tallies[t] = live.NewTally(p.Definition())
	es.tmu.Unlock()
	e.setOwner(t.String(), es)
	e.audit(ctx, es, actor, "create_poll", t.String(), p.Question)
	e.publishModel(es)
	if p.SurveyID == 0 {
		e.publishStage(es, es.rooms[p.RoomID]) // its kind is to come (StageState.Kinds)
	}
	if q := es.quizzes[p.QuizID]; q != nil {
		e.publishQuiz(es, q)
	}
	if s := es.surveys[p.SurveyID]; s != nil {
		e.publishSurvey(es, s)
	}
	c := *p
	return &c, nil
}

// UpdatePoll edits a poll; its kind and choices only while it is a draft.
func (e *Engine) UpdatePoll(ctx context.Context, actor string, id int64, edit func(*live.Poll) error) (*live.Poll, error) {
	return update(ctx, e, actor, live.Target{Kind: live.KindPoll, ID: id}.String(), func(es *eventState) *live.Poll { return es.polls[id] }, edit,
		func(es *eventState, old, c *live.Poll) error {
			c.ID, c.EventID, c.State, c.ShowResults, c.CorrectRevealed = old.ID, old.EventID, old.State, old.ShowResults, old.CorrectRevealed
			c.OpenedAtMS = old.OpenedAtMS
			if c.QuizID != old.QuizID || (old.QuizID != 0 && c.RoomID != old.RoomID) {
				return live.Errorf(live.ETransition, "A quiz question stays in its quiz and its quiz's room; a poll cannot join a quiz.")
			}
			if c.SurveyID != old.SurveyID || (old.SurveyID != 0 && c.RoomID != old.RoomID) {
				return live.Errorf(live.ETransition, "A survey's question stays in its survey and its survey's room; a poll cannot join a survey.")
			}
			if s := es.surveys[old.SurveyID]; s != nil && s.State != live.SurveyDraft && !c.Definition().SameAnswers(old.Definition()) {
				return live.Errorf(live.ETransition, "Kind, choices and settings of a survey's question can only change while the survey is a draft.")
			}
			if c.QuizID != 0 && c.Position != old.Position && es.quizzes[c.QuizID].State != live.QuizPending {
				return live.Errorf(live.ETransition, "The order of a quiz's questions can only change before it starts.")
			}
			if err := c.Validate(); err != nil {
				return err
			}
			if old.State != live.PollDraft && (!c.Definition().SameAnswers(old.Definition()) || c.RoomID != old.RoomID) {
				return live.Errorf(live.ETransition, "Kind, choices, settings and room can only change while the poll is a draft (an open-text question's moderation and order may change at any time).")
			}
			if es.rooms[c.RoomID] == nil {
				return &live.Error{Code: live.EInvalid, Field: "room_id", Message: "No such room in this event."}
			}
			return nil
		}, func(ctx context.Context, c *live.Poll) error {
			es := e.owned(live.Target{Kind: live.KindPoll, ID: id}.String())
			old := es.polls[id]
			if err := e.store.SavePoll(ctx, c); err != nil {
				return err
			}
			t := live.Target{Kind: live.KindPoll, ID: id}
			es.tmu.Lock()
			if !c.Definition().SameAnswers(old.Definition()) { // only while a draft: no votes to lose
				es.tallies[t] = live.NewTally(c.Definition())
			} else if rt, ok := es.tallies[t].(live.RetunedTally); ok && !bytes.Equal(c.Settings, old.Settings) {
				rt.Retune(c.Definition())
				e.touch(es, t)
			}
			es.tmu.Unlock()
			return nil
		})
}

// RoundAction runs one of the round actions (RoundStart, RoundNext, …),
// as live.Round.Apply rules, and publishes the round once saved. Refusals
// are ETransition (EInvalid for an unknown action) and change nothing.
func (e *Engine) RoundAction(ctx context.Context, actor string, id int64, action string) error {
	key := "round:" + strconv.FormatInt(id, 10)
	es := e.owned(key)
	if es == nil {
		return live.Errorf(live.ENotFound, "No round %d.", id)
	}
	closedVoting, err := func() (bool, error) {
		es.mu.Lock()
		defer es.mu.Unlock()
		r := es.rounds[id]
		room := es.rooms[r.RoomID]
		rc, roomc, err := r.Apply(action, *room, es.siblings(), e.opts.Now())
		if err != nil {
			return false, err
		}
		ch := es.newChange()
		ch.setRound(r, rc)
		if roomc != *room {
			*ch.room(room) = roomc
		}
		return ch.closesVoting(), e.commit(ctx, es, ch, actor, action, key)
	}()
	if err != nil {
		return err
	}
	// A ranking revealed includes every vote accepted before: let them land
	// and publish the ranking they make before answering.
	return e.settle(ctx, es, closedVoting || action == live.RoundReveal || action == live.RoundNextPlace)
}

// SetScreen sends every stage screen of a room to screen: ScreenCurrent,
// ScreenLobby or ScreenBlank (EInvalid otherwise, naming the field
// "screen"). It is saved and audited ("screen", with the screen as the
// detail) before the room's stage frame is published; setting the screen
// the room already shows changes nothing.
func (e *Engine) SetScreen(ctx context.Context, actor string, roomID int64, screen string) error {
	key := "room:" + strconv.FormatInt(roomID, 10)
	es := e.owned(key)
	if es == nil {
		return live.Errorf(live.ENotFound, "No room %d.", roomID)
	}
	if !live.ValidScreen(screen) {
		return live.FieldErrorf("screen", "Screen must be current, lobby or blank.")
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	room := es.rooms[roomID]
	if room.Screen == screen {
		return nil
	}
	ch := es.newChange()
	ch.room(room).Screen = screen
	ch.detail = screen
	return e.commit(ctx, es, ch, actor, "screen", key)
}

// settle waits, after voting closed, for the votes accepted before the close
// to be durable, then publishes their final tallies and the rankings.
func (e *Engine) settle(ctx context.Context, es *eventState, closedVoting bool) error {
	if !closedVoting {
		return nil
	}
	if err := e.store.Flush(ctx); err != nil {
		return err
	}
	e.flushEvent(es, true)
	es.mu.Lock()
	defer es.mu.Unlock()
	for _, r := range es.rounds {
		e.publishRanking(es, r)
	}
	return nil
}

// PitchAction runs one of the pitch actions (PitchOpen, PitchTimerStart, …).
// seconds is used by PitchTimerExtend only (default 30, -600..600).
func (e *Engine) PitchAction(ctx context.Context, actor string, id int64, action string, seconds int) error {
	t := live.Target{Kind: live.KindPitch, ID: id}
	es := e.owned(t.String())
	if es == nil {
		return live.Errorf(live.ENotFound, "No pitch %d.", id)
	}
	if action == live.ResetVotes {
		return e.resetVotes(ctx, es, actor, t)
	}
	closedVoting, err := func() (bool, error) {
		es.mu.Lock()
		defer es.mu.Unlock()
		p := es.pitches[id]
		r := es.rounds[p.RoundID]
		ch := es.newChange()
		pc := ch.pitch(p)
		now := e.opts.Now()
		switch action {
		case live.PitchStage:
			rc, err := r.Stage(p.ID, now)
			if err != nil {
				return false, err
			}
			ch.setRound(r, rc)
		case live.PitchOpen:
			if r.State != live.RoundRunning || r.CurrentPitchID != p.ID {
				return false, live.Errorf(live.ETransition, "Only the pitch on stage can open voting.")
			}
			if err := pc.Transition(live.PitchVoting); err != nil {
				return false, err
			}
		case live.PitchClose:
			if err := pc.Transition(live.PitchClosed); err != nil {
				return false, err
			}
			// The pitch is over: its countdown stops where it is, as when
			// the next pitch takes the stage or the round finishes.
			if pc.Timer.Running {
				_ = pc.Timer.Pause(now)
			}
		case live.PitchTimerStart, live.PitchTimerPause, live.PitchTimerExtend, live.PitchTimerReset:
			if p.State == live.PitchPending {
				return false, live.Errorf(live.ETransition, "The pitch is not on stage.")
			}
			switch action {
			case live.PitchTimerStart:
				return false, firstErr(pc.Timer.Start(now), func() error { return e.commit(ctx, es, ch, actor, action, t.String()) })
			case live.PitchTimerPause:
				return false, firstErr(pc.Timer.Pause(now), func() error { return e.commit(ctx, es, ch, actor, action, t.String()) })
			case live.PitchTimerExtend:
				if seconds == 0 {
					seconds = 30
				}
				if seconds < -600 || seconds > 600 {
					return false, &live.Error{Code: live.EInvalid, Field: "seconds", Message: "Extend by -600 to 600 seconds."}
				}
				pc.Timer.Extend(time.Duration(seconds) * time.Second)
			default:
				pc.Timer = live.Timer{RemainingMS: int64(p.DurationS) * 1000}
			}
		case live.ShowResults, live.HideResults:
			pc.ShowResults = action == live.ShowResults
			es.tmu.Lock()
			e.touch(es, t)
			es.tmu.Unlock()
		default:
			return false, live.Errorf(live.EInvalid, "Unknown pitch action %q.", action)
		}
		return ch.closesVoting(), e.commit(ctx, es, ch, actor, action, t.String())
	}()
	if err != nil {
		return err
	}
	if action == live.ShowResults || action == live.HideResults {
		e.flushEvent(es, true)
	}
	return e.settle(ctx, es, closedVoting)
}

func firstErr(err error, then func() error) error {
	if err != nil {
		return err
	}
	return then()
}

// PollAction runs one of the poll actions (PollOpenAction, PollCloseAction,
// ShowResults, HideResults, PollRevealCorrect, PollHideCorrect, ResetVotes).
// Only one poll may be open per room. Opening and closing set ShowResults
// as the poll's Results mode says (the audit detail notes it), and opening
// hides a revealed correct answer. Refusals are ETransition (EInvalid for
// an unknown action) and change nothing.
func (e *Engine) PollAction(ctx context.Context, actor string, id int64, action string) error {
	t := live.Target{Kind: live.KindPoll, ID: id}
	es := e.owned(t.String())
	if es == nil {
		return live.Errorf(live.ENotFound, "No poll %d.", id)
	}
	if action == live.ResetVotes {
		return e.resetVotes(ctx, es, actor, t)
	}
	closedVoting, err := func() (bool, error) {
		es.mu.Lock()
		defer es.mu.Unlock()
		p := es.polls[id]
		ch := es.newChange()
		pc := ch.poll(p)
		if p.QuizID != 0 && (action == live.PollOpenAction || action == live.PollCloseAction) {
			return false, live.Errorf(live.ETransition, "A quiz question opens and closes with its quiz's start, next and reveal.")
		}
		if p.SurveyID != 0 && action != live.ResetVotes {
			return false, live.Errorf(live.ETransition, "A survey's question takes answers while its survey is open; open or close the survey.")
		}
		switch action {
		case live.PollOpenAction:
			for _, o := range es.polls {
				if o.RoomID == p.RoomID && o.State == live.PollOpen && o.ID != p.ID {
					return false, live.Errorf(live.ETransition, "Close the open poll %q first.", o.Question)
				}
			}
			if err := pc.Transition(live.PollOpen); err != nil {
				return false, err
			}
			if show, keep := pc.ShowsOnOpen(); !keep {
				pc.ShowResults = show
			}
			pc.CorrectRevealed, pc.OpenedAtMS = false, e.opts.Now().UnixMilli()
		case live.PollCloseAction:
			if err := pc.Transition(live.PollClosed); err != nil {
				return false, err
			}
			if pc.Results == live.ResultsClosed {
				pc.ShowResults = true
			}
		case live.ShowResults, live.HideResults:
			pc.ShowResults = action == live.ShowResults
		case live.PollRevealCorrect:
			if len(p.Correct) == 0 {
				return false, live.Errorf(live.ETransition, "Mark the correct answer of the question first.")
			}
			if p.State != live.PollClosed {
				return false, live.Errorf(live.ETransition, "Close the poll before revealing the correct answer.")
			}
			if p.CorrectRevealed {
				return false, live.Errorf(live.ETransition, "The correct answer is already shown.")
			}
			pc.CorrectRevealed = true
		case live.PollHideCorrect:
			if !p.CorrectRevealed {
				return false, live.Errorf(live.ETransition, "The correct answer is not shown.")
			}
			pc.CorrectRevealed = false
		default:
			return false, live.Errorf(live.EInvalid, "Unknown poll action %q.", action)
		}
		if pc.ShowResults != p.ShowResults {
			if action == live.PollOpenAction || action == live.PollCloseAction {
				ch.detail = map[bool]string{true: "results shown", false: "results hidden"}[pc.ShowResults]
			}
			es.tmu.Lock()
			e.touch(es, t)
			es.tmu.Unlock()
		}
		return action == live.PollCloseAction, e.commit(ctx, es, ch, actor, action, t.String())
	}()
	if err != nil {
		return err
	}
	if action == live.ShowResults || action == live.HideResults || action == live.PollOpenAction {
		e.flushEvent(es, true)
	}
	return e.settle(ctx, es, closedVoting)
}

// resetVotes deletes every vote for t, in order with the votes around it:
// votes accepted before the reset are wiped, votes after it count.
func (e *Engine) resetVotes(ctx context.Context, es *eventState, actor string, t live.Target) error {
	done := make(chan error, 1)
	err := func() error {
		es.mu.Lock()
		defer es.mu.Unlock()
		removed := map[ballotKey]ballot{}
		for k, b := range es.current {
			if k.target == t {
				removed[k] = b
			}
		}
		err := e.store.Enqueue(live.WriteOp{Reset: &t, Done: func(err error) {
			if err == nil {
				es.tmu.Lock()
				es.tallies[t].Reset()
				for k := range es.committed {
					if k.target == t {
						delete(es.committed, k)
					}
				}
				e.touch(es, t)
				es.tmu.Unlock()
			} else {
				// The votes are still stored: give back the ballots no later vote replaced.
				es.mu.Lock()
				for k, b := range removed {
					if _, ok := es.current[k]; !ok {
						es.current[k] = b
					}
				}
				es.mu.Unlock()
			}
			done <- err
		}})
		if err != nil {
			return err // not queued: nothing is reset
		}
		for k := range removed {
			delete(es.current, k)
		}
		return nil
	}()
	if err != nil {
		return err
	}
	select {
	case err = <-done:
	case <-ctx.Done():
		return live.Errorf(live.EBusy, "The reset was not confirmed in time.")
	}
	if err != nil {
		return err
	}
	es.mu.Lock()
	e.audit(ctx, es, actor, live.ResetVotes, t.String(), "")
	es.mu.Unlock()
	e.flushEvent(es, true)
	return nil
}

// DecideAnswers applies a moderator's decision on the answers of target
// (a poll whose kind's answers are reviewed: a word cloud) once it is
// saved with its audit entry, and publishes the new tally at once. Errors:
// ENotFound, EInvalid (the kind has no review, or a bad decision, with its
// field), ETransition.
func (e *Engine) DecideAnswers(ctx context.Context, actor string, t live.Target, decision json.RawMessage) error {
	es := e.owned(t.String())
	if es == nil || t.Kind != live.KindPoll {
		return live.Errorf(live.ENotFound, "No such poll.")
	}
	err := func() error {
		es.mu.Lock() // one decision at a time per event, checked against the tally it applies to
		defer es.mu.Unlock()
		es.tmu.Lock()
		rt, ok := es.tallies[t].(live.ReviewedTally)
		var canonical json.RawMessage
		var line string
		var err error
		if ok {
			canonical, line, err = rt.Check(decision)
		}
		es.tmu.Unlock()
		if !ok {
			return live.Errorf(live.EInvalid, "The answers of a %s question are not moderated.", es.polls[t.ID].Kind)
		}
		if err != nil {
			return err
		}
		now := e.opts.Now().UTC()
		if err := e.store.SaveDecision(ctx, live.Decision{EventID: es.ev.ID, Target: t, Decision: canonical, At: now},
			live.AuditEntry{EventID: es.ev.ID, Actor: actor, Action: "decide_answers", Target: t.String(), Detail: line, At: now}); err != nil {
			return err
		}
		es.tmu.Lock()
		rt.Apply(canonical)
		e.touch(es, t)
		es.tmu.Unlock()
		return nil
	}()
	if err != nil {
		return err
	}
	e.flushEvent(es, true)
	return nil
}

// change collects copies of the objects an action modifies, so that nothing
// in memory changes unless every save succeeds.
type change struct {
	es      *eventState
	detail  string // the audit entry's detail
	rounds  map[*live.Round]*live.Round
	rooms   map[*live.Room]*live.Room
	pitches map[*live.Pitch]*live.Pitch
	polls   map[*live.Poll]*live.Poll
	quizzes map[*live.Quiz]*live.Quiz
	surveys map[*live.Survey]*live.Survey
}

func (es *eventState) newChange() *change {
	return &change{es: es, rounds: map[*live.Round]*live.Round{}, rooms: map[*live.Room]*live.Room{}, pitches: map[*live.Pitch]*live.Pitch{}, polls: map[*live.Poll]*live.Poll{},
		quizzes: map[*live.Quiz]*live.Quiz{}, surveys: map[*live.Survey]*live.Survey{}}
}

func copyOf[T any](m map[*T]*T, orig *T) *T {
	if c, ok := m[orig]; ok {
		return c
	}
	c := *orig
	m[orig] = &c
	return &c
}

func (ch *change) room(r *live.Room) *live.Room       { return copyOf(ch.rooms, r) }
func (ch *change) pitch(p *live.Pitch) *live.Pitch    { return copyOf(ch.pitches, p) }
func (ch *change) poll(p *live.Poll) *live.Poll       { return copyOf(ch.polls, p) }
func (ch *change) quiz(q *live.Quiz) *live.Quiz       { return copyOf(ch.quizzes, q) }
func (ch *change) survey(s *live.Survey) *live.Survey { return copyOf(ch.surveys, s) }

// setRound puts r, as live.Round.Apply or Stage returned it from orig,
// into the change: the round and the pitches it copied.
func (ch *change) setRound(orig *live.Round, r live.Round) {
	for i, p := range r.Pitches {
		if p != orig.Pitches[i] {
			ch.pitches[orig.Pitches[i]] = p
		}
	}
	ch.rounds[orig] = &r
}

// siblings are the event's rounds, polls and quizzes, for the domain's
// rules that look across a room. es.mu must be held.
func (es *eventState) siblings() live.Siblings {
	return live.Siblings{Rounds: maps.Values(es.rounds), Polls: maps.Values(es.polls), Quizzes: maps.Values(es.quizzes)}
}

// closesVoting reports whether the change closes any pitch's or poll's voting.
func (ch *change) closesVoting() bool {
	for orig, c := range ch.pitches {
		if orig.State == live.PitchVoting && c.State != live.PitchVoting {
			return true
		}
	}
	for orig, c := range ch.polls {
		if orig.State == live.PollOpen && c.State != live.PollOpen {
			return true
		}
	}
	return false
}

// commit saves every changed object with the action's audit entry in one
// transaction, then swaps the copies in and publishes. es.mu must be held.
func (e *Engine) commit(ctx context.Context, es *eventState, ch *change, actor, action, target string) error {
	st := live.StateChange{Audit: &live.AuditEntry{EventID: es.ev.ID, Actor: actor, Action: action, Target: target, Detail: ch.detail, At: e.opts.Now().UTC()}}
	for _, c := range ch.rooms {
		st.Rooms = append(st.Rooms, c)
	}
	for _, c := range ch.rounds {
		st.Rounds = append(st.Rounds, c)
	}
	for _, c := range ch.pitches {
		st.Pitches = append(st.Pitches, c)
	}
	for _, c := range ch.polls {
		st.Polls = append(st.Polls, c)
	}
	for _, c := range ch.quizzes {
		st.Quizzes = append(st.Quizzes, c)
	}
	for _, c := range ch.surveys {
		st.Surveys = append(st.Surveys, c)
	}
	if err := e.store.SaveState(ctx, st); err != nil {
		return err
	}
	for o, c := range ch.rooms {
		*o = *c
	}
	for o, c := range ch.rounds {
		c.Pitches = o.Pitches
		*o = *c
	}
	for o, c := range ch.pitches {
		*o = *c
	}
	for o, c := range ch.polls {
		*o = *c
	}
	for o, c := range ch.quizzes {
		*o = *c
	}
	for o, c := range ch.surveys {
		c.Questions = nil // filled in copies only
		*o = *c
	}
	e.publishAll(es)
	return nil
}

func (e *Engine) audit(ctx context.Context, es *eventState, actor, action, target, detail string) {
	err := e.store.Audit(ctx, live.AuditEntry{EventID: es.ev.ID, Actor: actor, Action: action, Target: target, Detail: detail, At: e.opts.Now().UTC()})
	if err != nil {
		e.opts.Logger.Error("audit write failed", "action", action, "target", target, "err", err)
	}
}

// Results is an event's results, for export.
type Results struct {
	Event   live.Event     `json:"event"`
	Rounds  []RoundResults `json:"rounds"`
	Polls   []PollResults  `json:"polls"`
	Quizzes []QuizResults  `json:"quizzes"`
	// Surveys are the event's surveys; their questions' results are among
	// Polls (with their survey_id).
	Surveys []live.Survey `json:"surveys"`
}

// RoundResults is one round's ranking.
type RoundResults struct {
	Round   live.Round       `json:"round"`
	Ranking []live.RankEntry `json:"ranking"`
}

// PollResults is one poll's results, as its kind counts them. In JSON the
// fields of Results (for single choice and scale: CountResults) sit beside
// "poll".
type PollResults struct {
	Poll    live.Poll
	Results any
	Rows    []live.ExportRow // for the CSV export
}

// MarshalJSON writes {"poll": …} followed by the fields of the kind's results.
func (p PollResults) MarshalJSON() ([]byte, error) {
	poll, err := json.Marshal(p.Poll)
	if err != nil {
		return nil, err
	}
	res, err := json.Marshal(p.Results)
	if err != nil {
		return nil, err
	}
	if len(res) < 2 || res[0] != '{' {
		return nil, fmt.Errorf("poll %d: results are not a JSON object", p.Poll.ID)
	}
	out := append(append([]byte(`{"poll":`), poll...), ',')
	if len(res) == 2 { // {}
		out[len(out)-1] = '}'
		return out, nil
	}
	return append(out, res[1:]...), nil
}

// Results returns the committed results of the event with the given code.
func (e *Engine) Results(ctx context.Context, code string) (*Results, error) {
	es := e.eventByCode(code)
	if es == nil {
		return nil, live.Errorf(live.ENotFound, "No event with code %q.", live.NormalizeCode(code))
	}
	if err := e.store.Flush(ctx); err != nil {
		return nil, err
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	m := es.model()
	res := &Results{Event: m.Event, Rounds: []RoundResults{}, Polls: []PollResults{}, Quizzes: []QuizResults{}, Surveys: m.Surveys}
	for _, r := range m.Rounds {
		es.tmu.Lock()
		rank := live.RankPitches(r.Pitches, es.scores(&r), es.ev.JuryWeight)
		es.tmu.Unlock()
		res.Rounds = append(res.Rounds, RoundResults{r, rank})
	}
	for _, p := range m.Polls {
		es.tmu.Lock()
		t := es.tallies[live.Target{Kind: live.KindPoll, ID: p.ID}]
		pr := PollResults{Poll: p, Results: t.Results(), Rows: t.Rows(p.Definition())}
		es.tmu.Unlock()
		res.Polls = append(res.Polls, pr)
	}
	for _, q := range m.Quizzes {
		es.tmu.Lock()
		all := slices.Clone(es.board(es.quizzes[q.ID], 0).All)
		es.tmu.Unlock()
		if all == nil {
			all = []live.Standing{}
		}
		res.Quizzes = append(res.Quizzes, QuizResults{Quiz: q, Standings: all})
	}
	sort.Slice(res.Rounds, func(i, j int) bool { return res.Rounds[i].Round.ID < res.Rounds[j].Round.ID })
	return res, nil
}
