package live

import (
	"iter"
	"slices"
	"time"
)

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

// Siblings are what else an event holds, for the rules that look across a
// room: a room runs one round, one quiz and one open poll at a time.
type Siblings struct {
	Rounds  iter.Seq[*Round]
	Polls   iter.Seq[*Poll]
	Quizzes iter.Seq[*Quiz]
}

// Apply runs action (RoundStart, RoundNext, …) on r at now, the show's
// clock, in room, among the event's siblings. It returns r and room as
// the action leaves them, and changes neither: a pitch the action changes
// is a new copy in the returned round's Pitches, the others are shared
// with r.
//
// Revealing the ranking changes nothing but what the room's screens show:
// the pitch on stage, its voting and its timer stay as they are, and
// RoundHideRanking brings the screens back to them. Only RoundFinish ends
// the round. Refusals are ETransition (EInvalid for an unknown action).
func (r Round) Apply(action string, room Room, in Siblings, now time.Time) (Round, Room, error) {
	e := editRound(r)
	switch action {
	case RoundStart:
		if r.State != RoundPending {
			return r, room, Errorf(ETransition, "The round has already started.")
		}
		if len(r.Pitches) == 0 {
			return r, room, Errorf(ETransition, "Add a pitch before starting the round.")
		}
		for o := range in.Rounds {
			if o.RoomID == r.RoomID && o.State == RoundRunning {
				return r, room, Errorf(ETransition, "Round %q is still running in this room.", o.Title)
			}
		}
		e.State = RoundRunning
		room.ActiveRoundID = r.ID
		if err := e.goTo(0, now); err != nil {
			return r, room, err
		}
	case RoundNext, RoundPrevious:
		if r.State != RoundRunning {
			return r, room, Errorf(ETransition, "The round is not running.")
		}
		i := r.indexOf(r.CurrentPitchID)
		if action == RoundNext {
			i++
		} else {
			i--
		}
		if i < 0 || i >= len(r.Pitches) {
			return r, room, Errorf(ETransition, "There is no %s pitch.", map[string]string{RoundNext: "next", RoundPrevious: "previous"}[action])
		}
		if err := e.goTo(i, now); err != nil {
			return r, room, err
		}
	case RoundReveal:
		if r.State == RoundPending {
			return r, room, Errorf(ETransition, "The round has not started.")
		}
		if r.RankingRevealed {
			return r, room, Errorf(ETransition, "The ranking is already shown.")
		}
		e.RankingRevealed, e.RevealedPlaces = true, 0
		if r.AutoReveal {
			e.RevealedPlaces = len(r.Pitches)
		}
	case RoundNextPlace:
		if !r.RankingRevealed {
			return r, room, Errorf(ETransition, "The ranking is not shown.")
		}
		n := len(r.Pitches)
		if r.RevealedPlaces >= n {
			return r, room, Errorf(ETransition, "Every place is already revealed.")
		}
		e.RevealedPlaces = nextPlaces(r.RevealedPlaces, n)
	case RoundHideRanking:
		if !r.RankingRevealed {
			return r, room, Errorf(ETransition, "The ranking is not shown.")
		}
		e.RankingRevealed, e.RevealedPlaces = false, 0
	case RoundFinish:
		switch r.State {
		case RoundPending:
			return r, room, Errorf(ETransition, "The round has not started.")
		case RoundFinished:
			return r, room, Errorf(ETransition, "The round has already finished.")
		}
		for i, p := range r.Pitches {
			if p.State == PitchVoting {
				e.pitch(i).State = PitchClosed
			}
			if p.Timer.Running {
				_ = e.pitch(i).Timer.Pause(now)
			}
		}
		e.State = RoundFinished
	default:
		return r, room, Errorf(EInvalid, "Unknown round action %q.", action)
	}
	return e.Round, room, nil
}

// Stage puts the pitch pitchID, one of r's, on stage at now as r's current
// pitch (PitchStage): the pitch it replaces closes its voting (or goes back
// to pending if it never opened) and pauses its timer. It returns r as
// Apply does. Refusals are ETransition.
func (r Round) Stage(pitchID int64, now time.Time) (Round, error) {
	if r.State != RoundRunning {
		return r, Errorf(ETransition, "Start the round first.")
	}
	e := editRound(r)
	if err := e.goTo(r.indexOf(pitchID), now); err != nil {
		return r, err
	}
	return e.Round, nil
}

// roundEdit is a round being changed: its pitches are copied at their
// first change, so that the round it started from stays as it was.
type roundEdit struct {
	Round
	orig []*Pitch
}

func editRound(r Round) *roundEdit {
	e := &roundEdit{Round: r, orig: r.Pitches}
	e.Pitches = slices.Clone(r.Pitches)
	return e
}

// pitch returns the copy of the pitch at i, to change.
func (e *roundEdit) pitch(i int) *Pitch {
	if e.Pitches[i] == e.orig[i] {
		c := *e.orig[i]
		e.Pitches[i] = &c
	}
	return e.Pitches[i]
}

// goTo puts the pitch at i on stage as the round's current pitch, closing
// the voting of the pitch it replaces (or sending it back to pending if it
// never opened) and pausing its timer at now.
func (e *roundEdit) goTo(i int, now time.Time) error {
	p := e.Pitches[i]
	if e.CurrentPitchID == p.ID {
		return Errorf(ETransition, "%q is already on stage.", p.Team)
	}
	if c := e.indexOf(e.CurrentPitchID); c >= 0 {
		cc := e.pitch(c)
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
	if pc := e.pitch(i); pc.State == PitchPending {
		if err := pc.Transition(PitchOnStage); err != nil {
			return err
		}
	}
	e.CurrentPitchID = p.ID
	return nil
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

// indexOf returns the place of pitch pitchID in r.Pitches, or -1.
func (r *Round) indexOf(pitchID int64) int {
	for i, p := range r.Pitches {
		if p.ID == pitchID {
			return i
		}
	}
	return -1
}
