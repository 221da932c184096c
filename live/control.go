package live

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"
)

// This file holds the moderator's side of the engine: building an event and
// running it live. Every method validates, saves, audits and only then
// publishes; illegal actions return ETransition and change nothing.

// Round actions.
const (
	RoundStart       = "start"        // pending → running; first pitch on stage
	RoundNext        = "next"         // close the current pitch's voting, next pitch on stage
	RoundPrevious    = "previous"     // back to the previous pitch
	RoundReveal      = "reveal"       // show the ranking on the room's screens; the round carries on as it was
	RoundNextPlace   = "next_place"   // reveal the next place of the shown ranking, from the last up to first
	RoundHideRanking = "hide_ranking" // take the ranking off the screens: back to the round where it was
	RoundFinish      = "finish"       // running → finished: close any open voting, stop the timers
)

// Pitch actions.
const (
	PitchStage       = "stage"        // put this pitch on stage (the round must be running)
	PitchOpen        = "open"         // open voting (the pitch must be on stage)
	PitchClose       = "close"        // close voting
	PitchTimerStart  = "timer_start"  // run the countdown
	PitchTimerPause  = "timer_pause"  // pause it
	PitchTimerExtend = "timer_extend" // add seconds (default 30) to it
	PitchTimerReset  = "timer_reset"  // back to the pitch's duration, paused
	ShowResults      = "show_results" // tallies visible on public screens
	HideResults      = "hide_results" // tallies hidden on public screens
	ResetVotes       = "reset_votes"  // delete every vote for the target (audited)
)

// Poll actions (besides ShowResults, HideResults and ResetVotes).
const (
	PollOpenAction    = "open"
	PollCloseAction   = "close"
	PollRevealCorrect = "reveal_correct" // mark the right choices on public screens (a closed poll with Correct)
	PollHideCorrect   = "hide_correct"   // take the marks off again
)

// CreateEvent creates an event with its first room, named in the event's
// first language (FirstRoomName: "Main stage", "Salle principale").
func (e *Engine) CreateEvent(ctx context.Context, actor string, ev *Event) (*Event, error) {
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	ev.ID, ev.CreatedAt = 0, e.opts.Now().UTC()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.byCode[ev.Code] != nil {
		return nil, &Error{Code: EConflict, Field: "code", Message: fmt.Sprintf("Event code %q is taken.", ev.Code)}
	}
	if err := e.store.SaveEvent(ctx, ev); err != nil {
		return nil, err
	}
	es := newEventState(ev)
	room := &Room{EventID: ev.ID, Name: ev.FirstRoomName(), Screen: ScreenCurrent}
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
func (e *Engine) UpdateEvent(ctx context.Context, actor, code string, edit func(*Event) error) (*Event, error) {
	es := e.eventByCode(code)
	if es == nil {
		return nil, Errorf(ENotFound, "No event with code %q.", NormalizeCode(code))
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
		return nil, &Error{Code: EConflict, Field: "code", Message: fmt.Sprintf("Event code %q is taken.", c.Code)}
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
func (e *Engine) CreateRoom(ctx context.Context, actor, code string, r *Room) (*Room, error) {
	es := e.eventByCode(code)
	if es == nil {
		return nil, Errorf(ENotFound, "No event with code %q.", NormalizeCode(code))
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	r.ID, r.EventID, r.ActiveRoundID, r.Screen = 0, es.ev.ID, 0, ScreenCurrent
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
func (e *Engine) UpdateRoom(ctx context.Context, actor string, id int64, edit func(*Room) error) (*Room, error) {
	key := "room:" + strconv.FormatInt(id, 10)
	return update(ctx, e, actor, key, func(es *eventState) *Room { return es.rooms[id] }, edit,
		func(_ *eventState, old, c *Room) error {
			c.ID, c.EventID, c.ActiveRoundID, c.Screen = old.ID, old.EventID, old.ActiveRoundID, old.Screen
			return c.Validate()
		},
		e.store.SaveRoom)
}

// CreateRound adds a pending round of pitches to a room of the event.
func (e *Engine) CreateRound(ctx context.Context, actor, code string, r *Round) (*Round, error) {
	es := e.eventByCode(code)
	if es == nil {
		return nil, Errorf(ENotFound, "No event with code %q.", NormalizeCode(code))
	}
	r.State = ""
	if err := r.Validate(); err != nil {
		return nil, err
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	if es.rooms[r.RoomID] == nil {
		return nil, &Error{Code: EInvalid, Field: "room_id", Message: "No such room in this event."}
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
func (e *Engine) UpdateRound(ctx context.Context, actor string, id int64, edit func(*Round) error) (*Round, error) {
	key := "round:" + strconv.FormatInt(id, 10)
	_, err := update(ctx, e, actor, key, func(es *eventState) *Round { return es.rounds[id] }, edit,
		func(es *eventState, old, c *Round) error {
			c.ID, c.EventID, c.State, c.CurrentPitchID, c.Pitches = old.ID, old.EventID, old.State, old.CurrentPitchID, old.Pitches
			c.RankingRevealed, c.RevealedPlaces = old.RankingRevealed, old.RevealedPlaces
			if (c.RoomID != old.RoomID || c.Scale != old.Scale) && old.State != RoundPending {
				return Errorf(ETransition, "Room and scale can only change before the round starts.")
			}
			if err := c.Validate(); err != nil {
				return err
			}
			if es.rooms[c.RoomID] == nil {
				return &Error{Code: EInvalid, Field: "room_id", Message: "No such room in this event."}
			}
			return nil
		}, func(ctx context.Context, c *Round) error {
			es := e.owned(key)
			old := es.rounds[id]
			if err := e.store.SaveRound(ctx, c); err != nil {
				return err
			}
			if c.Scale != old.Scale { // only while pending: no votes to lose
				es.tmu.Lock()
				for _, p := range old.Pitches {
					es.tallies[Target{KindPitch, p.ID}] = newTally(c.Definition())
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
		return nil, Errorf(ENotFound, "No %s.", key)
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
func (e *Engine) CreatePitch(ctx context.Context, actor string, roundID int64, p *Pitch) (*Pitch, error) {
	es := e.owned("round:" + strconv.FormatInt(roundID, 10))
	if es == nil {
		return nil, Errorf(ENotFound, "No round %d.", roundID)
	}
	p.State, p.Timer, p.ShowResults = "", Timer{}, false
	if err := p.Validate(); err != nil {
		return nil, err
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	r := es.rounds[roundID]
	if r.State == RoundFinished {
		return nil, Errorf(ETransition, "The round has finished.")
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
	t := Target{KindPitch, p.ID}
	es.tmu.Lock()
	es.tallies[t] = newTally(r.Definition())
	es.tmu.Unlock()
	e.setOwner(t.String(), es)
	e.audit(ctx, es, actor, "create_pitch", t.String(), p.Team)
	e.publishAll(es)
	c := *p
	return &c, nil
}

// UpdatePitch edits a pitch's team, presenter, duration and video link.
func (e *Engine) UpdatePitch(ctx context.Context, actor string, id int64, edit func(*Pitch) error) (*Pitch, error) {
	return update(ctx, e, actor, Target{KindPitch, id}.String(), func(es *eventState) *Pitch { return es.pitches[id] }, edit,
		func(_ *eventState, old, c *Pitch) error {
			c.ID, c.RoundID, c.Position, c.State, c.ShowResults = old.ID, old.RoundID, old.Position, old.State, old.ShowResults
			if err := c.Validate(); err != nil { // fills the default duration
				return err
			}
			// Validate would take a timer paused at zero for a new one; the
			// timer only follows the duration while it is untouched.
			c.Timer = old.Timer
			if c.DurationS != old.DurationS && !old.Timer.Running && old.Timer.RemainingMS == int64(old.DurationS)*1000 {
				c.Timer = Timer{RemainingMS: int64(c.DurationS) * 1000}
			}
			return nil
		}, e.store.SavePitch)
}

// DeletePitch removes a pitch that never went on stage.
func (e *Engine) DeletePitch(ctx context.Context, actor string, id int64) error {
	t := Target{KindPitch, id}
	es := e.owned(t.String())
	if es == nil {
		return Errorf(ENotFound, "No pitch %d.", id)
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	p := es.pitches[id]
	if p.State != PitchPending {
		return Errorf(ETransition, "Only a pitch that has not been on stage can be deleted.")
	}
	es.tmu.Lock()
	votes := es.tallies[t].Total()
	es.tmu.Unlock()
	if votes > 0 {
		return Errorf(EConflict, "This pitch has votes; reset them first.")
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
		return Errorf(ENotFound, "No round %d.", roundID)
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	r := es.rounds[roundID]
	if len(ids) != len(r.Pitches) {
		return &Error{Code: EInvalid, Field: "pitch_ids", Message: "List every pitch of the round exactly once."}
	}
	seen := map[int64]bool{}
	for _, id := range ids {
		p := es.pitches[id]
		if p == nil || p.RoundID != roundID || seen[id] {
			return &Error{Code: EInvalid, Field: "pitch_ids", Message: "List every pitch of the round exactly once."}
		}
		seen[id] = true
	}
	ordered := make([]*Pitch, len(ids))
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
func (e *Engine) CreatePoll(ctx context.Context, actor, code string, p *Poll) (*Poll, error) {
	es := e.eventByCode(code)
	if es == nil {
		return nil, Errorf(ENotFound, "No event with code %q.", NormalizeCode(code))
	}
	p.State, p.CorrectRevealed = "", false
	if err := p.Validate(); err != nil {
		return nil, err
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	if p.Kind == PollQuiz {
		if err := es.addQuestion(p); err != nil {
			return nil, err
		}
	}
	if es.rooms[p.RoomID] == nil {
		return nil, &Error{Code: EInvalid, Field: "room_id", Message: "No such room in this event."}
	}
	p.ID, p.EventID, p.OpenedAtMS = 0, es.ev.ID, 0
	if err := e.store.SavePoll(ctx, p); err != nil {
		return nil, err
	}
	es.polls[p.ID] = p
	t := Target{KindPoll, p.ID}
	es.tmu.Lock()
	es.tallies[t] = newTally(p.Definition())
	es.tmu.Unlock()
	e.setOwner(t.String(), es)
	e.audit(ctx, es, actor, "create_poll", t.String(), p.Question)
	e.publishModel(es)
	if q := es.quizzes[p.QuizID]; q != nil {
		e.publishQuiz(es, q)
	}
	c := *p
	return &c, nil
}

// UpdatePoll edits a poll; its kind and choices only while it is a draft.
func (e *Engine) UpdatePoll(ctx context.Context, actor string, id int64, edit func(*Poll) error) (*Poll, error) {
	return update(ctx, e, actor, Target{KindPoll, id}.String(), func(es *eventState) *Poll { return es.polls[id] }, edit,
		func(es *eventState, old, c *Poll) error {
			c.ID, c.EventID, c.State, c.ShowResults, c.CorrectRevealed = old.ID, old.EventID, old.State, old.ShowResults, old.CorrectRevealed
			c.OpenedAtMS = old.OpenedAtMS
			if c.QuizID != old.QuizID || (old.QuizID != 0 && c.RoomID != old.RoomID) {
				return Errorf(ETransition, "A quiz question stays in its quiz and its quiz's room; a poll cannot join a quiz.")
			}
			if c.QuizID != 0 && c.Position != old.Position && es.quizzes[c.QuizID].State != QuizPending {
				return Errorf(ETransition, "The order of a quiz's questions can only change before it starts.")
			}
			if err := c.Validate(); err != nil {
				return err
			}
			if old.State != PollDraft && (!c.Definition().sameAnswers(old.Definition()) || c.RoomID != old.RoomID) {
				return Errorf(ETransition, "Kind, choices, settings and room can only change while the poll is a draft (an open-text question's moderation and order may change at any time).")
			}
			if es.rooms[c.RoomID] == nil {
				return &Error{Code: EInvalid, Field: "room_id", Message: "No such room in this event."}
			}
			return nil
		}, func(ctx context.Context, c *Poll) error {
			es := e.owned(Target{KindPoll, id}.String())
			old := es.polls[id]
			if err := e.store.SavePoll(ctx, c); err != nil {
				return err
			}
			t := Target{KindPoll, id}
			es.tmu.Lock()
			if !c.Definition().sameAnswers(old.Definition()) { // only while a draft: no votes to lose
				es.tallies[t] = newTally(c.Definition())
			} else if rt, ok := es.tallies[t].(RetunedTally); ok && !bytes.Equal(c.Settings, old.Settings) {
				rt.Retune(c.Definition())
				e.touch(es, t)
			}
			es.tmu.Unlock()
			return nil
		})
}

// RoundAction runs one of the round actions (RoundStart, RoundNext, …).
//
// Revealing the ranking changes nothing but what the room's screens show:
// the pitch on stage, its voting and its timer stay as they are, and
// RoundHideRanking brings the screens back to them. Only RoundFinish ends
// the round. Refusals are ETransition (EInvalid for an unknown action) and
// change nothing.
func (e *Engine) RoundAction(ctx context.Context, actor string, id int64, action string) error {
	key := "round:" + strconv.FormatInt(id, 10)
	es := e.owned(key)
	if es == nil {
		return Errorf(ENotFound, "No round %d.", id)
	}
	closedVoting, err := func() (bool, error) {
		es.mu.Lock()
		defer es.mu.Unlock()
		r := es.rounds[id]
		ch := es.newChange()
		now := e.opts.Now()
		switch action {
		case RoundStart:
			if r.State != RoundPending {
				return false, Errorf(ETransition, "The round has already started.")
			}
			if len(r.Pitches) == 0 {
				return false, Errorf(ETransition, "Add a pitch before starting the round.")
			}
			for _, o := range es.rounds {
				if o.RoomID == r.RoomID && o.State == RoundRunning {
					return false, Errorf(ETransition, "Round %q is still running in this room.", o.Title)
				}
			}
			rc := ch.round(r)
			rc.State = RoundRunning
			ch.room(es.rooms[r.RoomID]).ActiveRoundID = r.ID
			if err := ch.goTo(r, r.Pitches[0], now); err != nil {
				return false, err
			}
		case RoundNext, RoundPrevious:
			if r.State != RoundRunning {
				return false, Errorf(ETransition, "The round is not running.")
			}
			i := r.indexOf(r.CurrentPitchID)
			if action == RoundNext {
				i++
			} else {
				i--
			}
			if i < 0 || i >= len(r.Pitches) {
				return false, Errorf(ETransition, "There is no %s pitch.", map[string]string{RoundNext: "next", RoundPrevious: "previous"}[action])
			}
			if err := ch.goTo(r, r.Pitches[i], now); err != nil {
				return false, err
			}
		case RoundReveal:
			if r.State == RoundPending {
				return false, Errorf(ETransition, "The round has not started.")
			}
			if r.RankingRevealed {
				return false, Errorf(ETransition, "The ranking is already shown.")
			}
			rc := ch.round(r)
			rc.RankingRevealed, rc.RevealedPlaces = true, 0
			if r.AutoReveal {
				rc.RevealedPlaces = len(r.Pitches)
			}
		case RoundNextPlace:
			if !r.RankingRevealed {
				return false, Errorf(ETransition, "The ranking is not shown.")
			}
			n := len(r.Pitches)
			if r.RevealedPlaces >= n {
				return false, Errorf(ETransition, "Every place is already revealed.")
			}
			ch.round(r).RevealedPlaces = nextPlaces(r.RevealedPlaces, n)
		case RoundHideRanking:
			if !r.RankingRevealed {
				return false, Errorf(ETransition, "The ranking is not shown.")
			}
			rc := ch.round(r)
			rc.RankingRevealed, rc.RevealedPlaces = false, 0
		case RoundFinish:
			switch r.State {
			case RoundPending:
				return false, Errorf(ETransition, "The round has not started.")
			case RoundFinished:
				return false, Errorf(ETransition, "The round has already finished.")
			}
			for _, p := range r.Pitches {
				if p.State == PitchVoting {
					ch.pitch(p).State = PitchClosed
				}
				if p.Timer.Running {
					_ = ch.pitch(p).Timer.Pause(now)
				}
			}
			ch.round(r).State = RoundFinished
		default:
			return false, Errorf(EInvalid, "Unknown round action %q.", action)
		}
		return ch.closesVoting(), e.commit(ctx, es, ch, actor, action, key)
	}()
	if err != nil {
		return err
	}
	// A ranking revealed includes every vote accepted before: let them land
	// and publish the ranking they make before answering.
	return e.settle(ctx, es, closedVoting || action == RoundReveal || action == RoundNextPlace)
}

// nextPlaces returns how many places one more RoundNextPlace reveals, from
// revealed of n: every place below the podium (4th and after) at once, then
// third, second and first one at a time.
func nextPlaces(revealed, n int) int {
	if revealed < n-3 {
		return n - 3
	}
	return min(revealed+1, n)
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
		return Errorf(ENotFound, "No room %d.", roomID)
	}
	if !ValidScreen(screen) {
		return FieldErrorf("screen", "Screen must be current, lobby or blank.")
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

func (r *Round) indexOf(pitchID int64) int {
	for i, p := range r.Pitches {
		if p.ID == pitchID {
			return i
		}
	}
	return -1
}

// PitchAction runs one of the pitch actions (PitchOpen, PitchTimerStart, …).
// seconds is used by PitchTimerExtend only (default 30, -600..600).
func (e *Engine) PitchAction(ctx context.Context, actor string, id int64, action string, seconds int) error {
	t := Target{KindPitch, id}
	es := e.owned(t.String())
	if es == nil {
		return Errorf(ENotFound, "No pitch %d.", id)
	}
	if action == ResetVotes {
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
		case PitchStage:
			if r.State != RoundRunning {
				return false, Errorf(ETransition, "Start the round first.")
			}
			if err := ch.goTo(r, p, now); err != nil {
				return false, err
			}
		case PitchOpen:
			if r.State != RoundRunning || r.CurrentPitchID != p.ID {
				return false, Errorf(ETransition, "Only the pitch on stage can open voting.")
			}
			if err := pc.transition(PitchVoting); err != nil {
				return false, err
			}
		case PitchClose:
			if err := pc.transition(PitchClosed); err != nil {
				return false, err
			}
			// The pitch is over: its countdown stops where it is, as when
			// the next pitch takes the stage or the round finishes.
			if pc.Timer.Running {
				_ = pc.Timer.Pause(now)
			}
		case PitchTimerStart, PitchTimerPause, PitchTimerExtend, PitchTimerReset:
			if p.State == PitchPending {
				return false, Errorf(ETransition, "The pitch is not on stage.")
			}
			switch action {
			case PitchTimerStart:
				return false, firstErr(pc.Timer.Start(now), func() error { return e.commit(ctx, es, ch, actor, action, t.String()) })
			case PitchTimerPause:
				return false, firstErr(pc.Timer.Pause(now), func() error { return e.commit(ctx, es, ch, actor, action, t.String()) })
			case PitchTimerExtend:
				if seconds == 0 {
					seconds = 30
				}
				if seconds < -600 || seconds > 600 {
					return false, &Error{Code: EInvalid, Field: "seconds", Message: "Extend by -600 to 600 seconds."}
				}
				pc.Timer.Extend(time.Duration(seconds) * time.Second)
			default:
				pc.Timer = Timer{RemainingMS: int64(p.DurationS) * 1000}
			}
		case ShowResults, HideResults:
			pc.ShowResults = action == ShowResults
			es.tmu.Lock()
			e.touch(es, t)
			es.tmu.Unlock()
		default:
			return false, Errorf(EInvalid, "Unknown pitch action %q.", action)
		}
		return ch.closesVoting(), e.commit(ctx, es, ch, actor, action, t.String())
	}()
	if err != nil {
		return err
	}
	if action == ShowResults || action == HideResults {
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
	t := Target{KindPoll, id}
	es := e.owned(t.String())
	if es == nil {
		return Errorf(ENotFound, "No poll %d.", id)
	}
	if action == ResetVotes {
		return e.resetVotes(ctx, es, actor, t)
	}
	closedVoting, err := func() (bool, error) {
		es.mu.Lock()
		defer es.mu.Unlock()
		p := es.polls[id]
		ch := es.newChange()
		pc := ch.poll(p)
		if p.QuizID != 0 && (action == PollOpenAction || action == PollCloseAction) {
			return false, Errorf(ETransition, "A quiz question opens and closes with its quiz's start, next and reveal.")
		}
		switch action {
		case PollOpenAction:
			for _, o := range es.polls {
				if o.RoomID == p.RoomID && o.State == PollOpen && o.ID != p.ID {
					return false, Errorf(ETransition, "Close the open poll %q first.", o.Question)
				}
			}
			if err := pc.transition(PollOpen); err != nil {
				return false, err
			}
			if show, keep := pc.showsOnOpen(); !keep {
				pc.ShowResults = show
			}
			pc.CorrectRevealed, pc.OpenedAtMS = false, e.opts.Now().UnixMilli()
		case PollCloseAction:
			if err := pc.transition(PollClosed); err != nil {
				return false, err
			}
			if pc.Results == ResultsClosed {
				pc.ShowResults = true
			}
		case ShowResults, HideResults:
			pc.ShowResults = action == ShowResults
		case PollRevealCorrect:
			if len(p.Correct) == 0 {
				return false, Errorf(ETransition, "Mark the correct answer of the question first.")
			}
			if p.State != PollClosed {
				return false, Errorf(ETransition, "Close the poll before revealing the correct answer.")
			}
			if p.CorrectRevealed {
				return false, Errorf(ETransition, "The correct answer is already shown.")
			}
			pc.CorrectRevealed = true
		case PollHideCorrect:
			if !p.CorrectRevealed {
				return false, Errorf(ETransition, "The correct answer is not shown.")
			}
			pc.CorrectRevealed = false
		default:
			return false, Errorf(EInvalid, "Unknown poll action %q.", action)
		}
		if pc.ShowResults != p.ShowResults {
			if action == PollOpenAction || action == PollCloseAction {
				ch.detail = map[bool]string{true: "results shown", false: "results hidden"}[pc.ShowResults]
			}
			es.tmu.Lock()
			e.touch(es, t)
			es.tmu.Unlock()
		}
		return action == PollCloseAction, e.commit(ctx, es, ch, actor, action, t.String())
	}()
	if err != nil {
		return err
	}
	if action == ShowResults || action == HideResults || action == PollOpenAction {
		e.flushEvent(es, true)
	}
	return e.settle(ctx, es, closedVoting)
}

// resetVotes deletes every vote for t, in order with the votes around it:
// votes accepted before the reset are wiped, votes after it count.
func (e *Engine) resetVotes(ctx context.Context, es *eventState, actor string, t Target) error {
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
		err := e.store.Enqueue(WriteOp{Reset: &t, Done: func(err error) {
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
		return Errorf(EBusy, "The reset was not confirmed in time.")
	}
	if err != nil {
		return err
	}
	es.mu.Lock()
	e.audit(ctx, es, actor, ResetVotes, t.String(), "")
	es.mu.Unlock()
	e.flushEvent(es, true)
	return nil
}

// DecideAnswers applies a moderator's decision on the answers of target
// (a poll whose kind's answers are reviewed: a word cloud) once it is
// saved with its audit entry, and publishes the new tally at once. Errors:
// ENotFound, EInvalid (the kind has no review, or a bad decision, with its
// field), ETransition.
func (e *Engine) DecideAnswers(ctx context.Context, actor string, t Target, decision json.RawMessage) error {
	es := e.owned(t.String())
	if es == nil || t.Kind != KindPoll {
		return Errorf(ENotFound, "No such poll.")
	}
	err := func() error {
		es.mu.Lock() // one decision at a time per event, checked against the tally it applies to
		defer es.mu.Unlock()
		es.tmu.Lock()
		rt, ok := es.tallies[t].(ReviewedTally)
		var canonical json.RawMessage
		var line string
		var err error
		if ok {
			canonical, line, err = rt.Check(decision)
		}
		es.tmu.Unlock()
		if !ok {
			return Errorf(EInvalid, "The answers of a %s question are not moderated.", es.polls[t.ID].Kind)
		}
		if err != nil {
			return err
		}
		now := e.opts.Now().UTC()
		if err := e.store.SaveDecision(ctx, Decision{EventID: es.ev.ID, Target: t, Decision: canonical, At: now},
			AuditEntry{EventID: es.ev.ID, Actor: actor, Action: "decide_answers", Target: t.String(), Detail: line, At: now}); err != nil {
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
	rounds  map[*Round]*Round
	rooms   map[*Room]*Room
	pitches map[*Pitch]*Pitch
	polls   map[*Poll]*Poll
	quizzes map[*Quiz]*Quiz
}

func (es *eventState) newChange() *change {
	return &change{es: es, rounds: map[*Round]*Round{}, rooms: map[*Room]*Room{}, pitches: map[*Pitch]*Pitch{}, polls: map[*Poll]*Poll{},
		quizzes: map[*Quiz]*Quiz{}}
}

func copyOf[T any](m map[*T]*T, orig *T) *T {
	if c, ok := m[orig]; ok {
		return c
	}
	c := *orig
	m[orig] = &c
	return &c
}

func (ch *change) round(r *Round) *Round { return copyOf(ch.rounds, r) }
func (ch *change) room(r *Room) *Room    { return copyOf(ch.rooms, r) }
func (ch *change) pitch(p *Pitch) *Pitch { return copyOf(ch.pitches, p) }
func (ch *change) poll(p *Poll) *Poll    { return copyOf(ch.polls, p) }
func (ch *change) quiz(q *Quiz) *Quiz    { return copyOf(ch.quizzes, q) }

// goTo puts p on stage as r's current pitch, closing the voting of the pitch
// it replaces (or sending it back to pending if it never opened) and pausing
// its timer at now, the engine's clock.
func (ch *change) goTo(r *Round, p *Pitch, now time.Time) error {
	rc := ch.round(r)
	if rc.CurrentPitchID == p.ID {
		return Errorf(ETransition, "%q is already on stage.", p.Team)
	}
	if cur := ch.es.pitches[rc.CurrentPitchID]; cur != nil {
		cc := ch.pitch(cur)
		switch cc.State {
		case PitchVoting:
			cc.State = PitchClosed
		case PitchOnStage:
			cc.State = PitchPending
		}
		if cc.Timer.Running {
			_ = cc.Timer.Pause(now)
		}
	}
	if pc := ch.pitch(p); pc.State == PitchPending {
		if err := pc.transition(PitchOnStage); err != nil {
			return err
		}
	}
	rc.CurrentPitchID = p.ID
	return nil
}

// closesVoting reports whether the change closes any pitch's or poll's voting.
func (ch *change) closesVoting() bool {
	for orig, c := range ch.pitches {
		if orig.State == PitchVoting && c.State != PitchVoting {
			return true
		}
	}
	for orig, c := range ch.polls {
		if orig.State == PollOpen && c.State != PollOpen {
			return true
		}
	}
	return false
}

// commit saves every changed object with the action's audit entry in one
// transaction, then swaps the copies in and publishes. es.mu must be held.
func (e *Engine) commit(ctx context.Context, es *eventState, ch *change, actor, action, target string) error {
	st := StateChange{Audit: &AuditEntry{EventID: es.ev.ID, Actor: actor, Action: action, Target: target, Detail: ch.detail, At: e.opts.Now().UTC()}}
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
	e.publishAll(es)
	return nil
}

func (e *Engine) audit(ctx context.Context, es *eventState, actor, action, target, detail string) {
	err := e.store.Audit(ctx, AuditEntry{EventID: es.ev.ID, Actor: actor, Action: action, Target: target, Detail: detail, At: e.opts.Now().UTC()})
	if err != nil {
		e.opts.Logger.Error("audit write failed", "action", action, "target", target, "err", err)
	}
}

// Results is an event's results, for export.
type Results struct {
	Event   Event          `json:"event"`
	Rounds  []RoundResults `json:"rounds"`
	Polls   []PollResults  `json:"polls"`
	Quizzes []QuizResults  `json:"quizzes"`
}

// RoundResults is one round's ranking.
type RoundResults struct {
	Round   Round       `json:"round"`
	Ranking []RankEntry `json:"ranking"`
}

// PollResults is one poll's results, as its kind counts them. In JSON the
// fields of Results (for single choice and scale: CountResults) sit beside
// "poll".
type PollResults struct {
	Poll    Poll
	Results any
	Rows    []ExportRow // for the CSV export
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
		return nil, Errorf(ENotFound, "No event with code %q.", NormalizeCode(code))
	}
	if err := e.store.Flush(ctx); err != nil {
		return nil, err
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	m := es.model()
	res := &Results{Event: m.Event, Rounds: []RoundResults{}, Polls: []PollResults{}, Quizzes: []QuizResults{}}
	for _, r := range m.Rounds {
		es.tmu.Lock()
		rank := RankPitches(r.Pitches, es.scores(&r), es.ev.JuryWeight)
		es.tmu.Unlock()
		res.Rounds = append(res.Rounds, RoundResults{r, rank})
	}
	for _, p := range m.Polls {
		es.tmu.Lock()
		t := es.tallies[Target{KindPoll, p.ID}]
		pr := PollResults{Poll: p, Results: t.Results(), Rows: t.Rows(p.Definition())}
		es.tmu.Unlock()
		res.Polls = append(res.Polls, pr)
	}
	for _, q := range m.Quizzes {
		es.tmu.Lock()
		all := slices.Clone(es.board(es.quizzes[q.ID], 0).all)
		es.tmu.Unlock()
		if all == nil {
			all = []Standing{}
		}
		res.Quizzes = append(res.Quizzes, QuizResults{Quiz: q, Standings: all})
	}
	sort.Slice(res.Rounds, func(i, j int) bool { return res.Rounds[i].Round.ID < res.Rounds[j].Round.ID })
	return res, nil
}
