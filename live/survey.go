package live

import (
	"iter"
	"sort"
	"time"
)

// Survey states. A survey takes answers while it is open and within its
// window (Survey.Accepts); closed, it keeps its answers and results.
const (
	SurveyDraft  = "draft"
	SurveyOpen   = "open"
	SurveyClosed = "closed"
)

// Survey phases: what a survey is at a moment, from its state and window.
const (
	PhaseDraft     = "draft"     // not yet offered
	PhaseScheduled = "scheduled" // open, before its opens_at
	PhaseOpen      = "open"      // taking answers
	PhaseClosed    = "closed"    // closed by a moderator or past its closes_at
)

// Survey actions.
const (
	SurveyOpenAction  = "open"  // draft or closed → open, taking answers now: a past closes_at and a future opens_at are cleared
	SurveyCloseAction = "close" // open → closed
)

// MaxSurveyQuestions bounds a survey's questions.
const MaxSurveyQuestions = 50

// Survey is an ordered set of questions (polls with its id, ordered by
// Position) that each participant answers at their own pace, in one room,
// not bound to what the stage shows. Its answers are votes on its
// questions: the one vote path, changeable until the survey closes.
type Survey struct {
	ID      int64 `json:"id"`
	EventID int64 `json:"event_id"`
	RoomID  int64 `json:"room_id"`
	// SessionID is the talk of the programme the survey is the feedback
	// of, nil for a survey of the room.
	SessionID *int64 `json:"session_id"`
	Title     string `json:"title"`
	// Intro is shown before the first question, Thanks on the closing
	// screen; both optional.
	Intro  string `json:"intro"`
	Thanks string `json:"thanks"`
	State  string `json:"state"`
	// OpensAt and ClosesAt bound when an open survey takes answers; nil:
	// from its opening, until a moderator closes it.
	OpensAt  *time.Time `json:"opens_at"`
	ClosesAt *time.Time `json:"closes_at"`
	// Questions are the ids of its questions in order. Filled by the
	// engine; not a stored column.
	Questions []int64 `json:"questions"`
}

// Validate reports the first invalid field of s and normalises it.
func (s *Survey) Validate() error {
	if s.State == "" {
		s.State = SurveyDraft
	}
	if s.State != SurveyDraft && s.State != SurveyOpen && s.State != SurveyClosed {
		return FieldErrorf("state", "A survey is draft, open or closed.")
	}
	if err := validText("title", &s.Title, MaxTitleLen, true, false); err != nil {
		return err
	}
	if err := validText("intro", &s.Intro, 500, false, true); err != nil {
		return err
	}
	if err := validText("thanks", &s.Thanks, 500, false, true); err != nil {
		return err
	}
	if s.OpensAt != nil && s.ClosesAt != nil && !s.ClosesAt.After(*s.OpensAt) {
		return FieldErrorf("closes_at", "A survey closes after it opens.")
	}
	return nil
}

// Phase returns what s is at now: PhaseDraft, PhaseScheduled, PhaseOpen or
// PhaseClosed.
func (s *Survey) Phase(now time.Time) string {
	switch {
	case s.State == SurveyDraft:
		return PhaseDraft
	case s.State == SurveyClosed || (s.ClosesAt != nil && !now.Before(*s.ClosesAt)):
		return PhaseClosed
	case s.OpensAt != nil && now.Before(*s.OpensAt):
		return PhaseScheduled
	}
	return PhaseOpen
}

// Accepts returns nil when s takes answers at now, else EVotingClosed
// saying why.
func (s *Survey) Accepts(now time.Time) error {
	switch s.Phase(now) {
	case PhaseOpen:
		return nil
	case PhaseScheduled:
		return Errorf(EVotingClosed, "This survey opens at %s.", s.OpensAt.UTC().Format(time.RFC3339))
	}
	return Errorf(EVotingClosed, "This survey is not open.")
}

// Apply runs action on s at now and returns s as the action leaves it, or
// ETransition (EInvalid for an unknown action), leaving s as it is.
func (s Survey) Apply(action string, now time.Time) (Survey, error) {
	switch action {
	case SurveyOpenAction:
		if s.Phase(now) == PhaseOpen {
			return s, Errorf(ETransition, "The survey is already open.")
		}
		s.State = SurveyOpen
		if s.OpensAt != nil && now.Before(*s.OpensAt) {
			s.OpensAt = nil
		}
		if s.ClosesAt != nil && !now.Before(*s.ClosesAt) {
			s.ClosesAt = nil
		}
	case SurveyCloseAction:
		if s.State != SurveyOpen {
			return s, Errorf(ETransition, "Only an open or scheduled survey can close.")
		}
		s.State = SurveyClosed
	default:
		return s, Errorf(EInvalid, "Unknown survey action %q.", action)
	}
	return s, nil
}

// SurveyQuestionsOf returns the questions of survey id among polls, in
// order (by position, then id).
func SurveyQuestionsOf(id int64, polls iter.Seq[*Poll]) []*Poll {
	var out []*Poll
	for p := range polls {
		if p.SurveyID == id {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Position < out[j].Position || (out[i].Position == out[j].Position && out[i].ID < out[j].ID)
	})
	return out
}

// SurveyProgress is how far a participant is in a survey.
type SurveyProgress struct {
	Total    int `json:"total"`    // questions
	Answered int `json:"answered"` // questions answered
	// Missing are the required questions not answered yet, in order: the
	// survey is complete when there are none.
	Missing  []int64 `json:"missing"`
	Complete bool    `json:"complete"`
}

// Progress returns how far a participant who answered the questions in
// answered is in the survey whose questions are qs, in order.
func Progress(qs []*Poll, answered func(pollID int64) bool) SurveyProgress {
	pr := SurveyProgress{Total: len(qs), Missing: []int64{}}
	for _, p := range qs {
		switch {
		case answered(p.ID):
			pr.Answered++
		case p.Required:
			pr.Missing = append(pr.Missing, p.ID)
		}
	}
	pr.Complete = len(pr.Missing) == 0
	return pr
}
