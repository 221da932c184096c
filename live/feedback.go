package live

import (
	"slices"
	"sort"
	"strconv"
	"time"
)

// Session feedback: every session of the programme may have a feedback
// survey (a survey whose SessionID is the session's), made from the
// event's template or its own, or none. It opens by itself when the
// session ends and closes by itself FeedbackSettings.OpenFor later. The
// rule is PlanFeedback, run by a clock at each of its answers' Next.

// Limits of FeedbackSettings.OpenFor.
const (
	DefaultFeedbackOpenFor = 15 * time.Minute
	MinFeedbackOpenFor     = 5 * time.Second
	MaxFeedbackOpenFor     = 7 * 24 * time.Hour
)

// FeedbackSettings are an event's feedback settings.
type FeedbackSettings struct {
	// TemplateID is the survey every session's feedback is copied from,
	// 0 for none: then only sessions with their own survey are rated.
	TemplateID int64 `json:"template_survey_id"`
	// OpenFor is how long feedback stays open after a session ends, a Go
	// duration ("15m", "90s"); default DefaultFeedbackOpenFor.
	OpenFor string `json:"feedback_open_for"`
	// NoFeedback are the sessions that ask no feedback, by id.
	NoFeedback []int64 `json:"no_feedback"`
}

// Validate normalises f (the default window, sorted unique sessions) and
// reports its first invalid field.
func (f *FeedbackSettings) Validate() error {
	if f.TemplateID < 0 {
		return FieldErrorf("template_survey_id", "A template is a survey of the event, or 0 for none.")
	}
	if f.OpenFor == "" {
		f.OpenFor = DefaultFeedbackOpenFor.String()
	}
	d, err := time.ParseDuration(f.OpenFor)
	if err != nil || d < MinFeedbackOpenFor || d > MaxFeedbackOpenFor {
		return FieldErrorf("feedback_open_for", "Feedback stays open for a duration from 5s to 168h, for example \"15m\".")
	}
	f.OpenFor = d.String()
	if f.NoFeedback == nil {
		f.NoFeedback = []int64{}
	}
	slices.Sort(f.NoFeedback)
	f.NoFeedback = slices.Compact(f.NoFeedback)
	if len(f.NoFeedback) > MaxTalks {
		return FieldErrorf("no_feedback", "At most %d sessions.", MaxTalks)
	}
	return nil
}

// Window returns how long feedback stays open: OpenFor, or the default
// when it does not parse.
func (f FeedbackSettings) Window() time.Duration {
	d, err := time.ParseDuration(f.OpenFor)
	if err != nil || d < MinFeedbackOpenFor {
		return DefaultFeedbackOpenFor
	}
	return d
}

// Asks reports whether session id asks for feedback.
func (f FeedbackSettings) Asks(id int64) bool {
	_, found := slices.BinarySearch(f.NoFeedback, id)
	return !found
}

// FeedbackStep is what the clock does for one session's feedback.
type FeedbackStep struct {
	Talk Talk
	// SurveyID is the session's survey to open or close; 0 to make it
	// from the template, then open it.
	SurveyID int64
	Action   string // SurveyOpenAction or SurveyCloseAction
	// ClosesAt is when an opened survey closes: the session's end plus
	// the window, so that a survey opened late (after a restart) keeps
	// the session's window, not a new one.
	ClosesAt time.Time
}

// PlanFeedback returns the feedback steps due at now, given the event's
// sessions, its surveys and settings, and the next time something is due
// (zero for nothing). The rule:
//   - a session that ended, within its window (end ≤ now < end + window),
//     asking for feedback: its own draft survey opens; without one, a copy
//     of the template is made and opened; an own survey already open or
//     closed is the moderators' and is left alone;
//   - a session past its window that was never opened is missed: nothing
//     opens only to close at once;
//   - an open session survey past its closes_at closes;
//   - next is the earliest end of a session still to come and closes_at
//     of a survey still open.
//
// It is the same after a restart: a session that ended while the server
// was down opens if it is still within its window, and closes at the
// window's end.
func PlanFeedback(talks []Talk, surveys []Survey, set FeedbackSettings, now time.Time) (steps []FeedbackStep, next time.Time) {
	soon := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	own := map[int64]*Survey{}
	for i := range surveys {
		s := &surveys[i]
		if s.SessionID == nil || s.ID == set.TemplateID {
			continue
		}
		if o := own[*s.SessionID]; o == nil || s.ID < o.ID {
			own[*s.SessionID] = s
		}
	}
	byID := map[int64]Talk{}
	window := set.Window()
	for _, t := range talks {
		byID[t.ID] = t
		if !set.Asks(t.ID) {
			continue
		}
		if now.Before(t.End) {
			soon(t.End)
			continue
		}
		closes := t.End.Add(window)
		if !now.Before(closes) {
			continue
		}
		switch s := own[t.ID]; {
		case s == nil && set.TemplateID != 0:
			steps = append(steps, FeedbackStep{Talk: t, Action: SurveyOpenAction, ClosesAt: closes})
			soon(closes)
		case s != nil && s.State == SurveyDraft:
			steps = append(steps, FeedbackStep{Talk: t, SurveyID: s.ID, Action: SurveyOpenAction, ClosesAt: closes})
			soon(closes)
		}
	}
	for i := range surveys {
		s := &surveys[i]
		if s.SessionID == nil || s.State != SurveyOpen || s.ClosesAt == nil {
			continue
		}
		if now.Before(*s.ClosesAt) {
			soon(*s.ClosesAt)
			continue
		}
		steps = append(steps, FeedbackStep{Talk: byID[*s.SessionID], SurveyID: s.ID, Action: SurveyCloseAction})
	}
	return steps, next
}

// StatementScore is one statement's ratings: how many, their sum and mean
// (0 when none).
type StatementScore struct {
	Statement string  `json:"statement"`
	Count     int64   `json:"count"`
	Sum       int64   `json:"sum"`
	Mean      float64 `json:"mean"`
}

func (s *StatementScore) add(count, sum int64) {
	s.Count += count
	s.Sum += sum
	s.Mean = 0
	if s.Count > 0 {
		s.Mean = float64(s.Sum) / float64(s.Count)
	}
}

// GridScores returns the scores of a rating grid q from its results: one
// per statement, labelled by q's statements.
func GridScores(q Question, r GridResults) []StatementScore {
	out := make([]StatementScore, 0, len(r.Statements))
	for i, st := range r.Statements {
		sc := StatementScore{Statement: q.labelOf(i)}
		var sum int64
		for v, n := range st.Counts {
			sum += int64(v+1) * n
		}
		sc.add(st.Count, sum)
		out = append(out, sc)
	}
	return out
}

func (q Question) labelOf(i int) string {
	if i < len(q.Choices) {
		return q.Choices[i]
	}
	return strconv.Itoa(i + 1)
}

// SessionFeedback is one session's feedback results: its survey (0 for
// none yet), respondents, every rating grid statement's score and all of
// them pooled (Overall).
type SessionFeedback struct {
	Talk        Talk             `json:"session"`
	SurveyID    int64            `json:"survey_id"`
	Phase       string           `json:"phase"` // the survey's, "" without one
	Respondents int64            `json:"respondents"`
	Statements  []StatementScore `json:"statements"`
	Overall     StatementScore   `json:"overall"`
}

// SetStatements sets f's statements and their pooled Overall.
func (f *SessionFeedback) SetStatements(ss []StatementScore) {
	f.Statements = ss
	f.Overall = StatementScore{Statement: "overall"}
	for _, s := range ss {
		f.Overall.add(s.Count, s.Sum)
	}
}

// SpeakerFeedback is a speaker's feedback across the event: the sessions
// they spoke in, and per statement and overall the mean of every rating
// given in those sessions (each rating weighs the same).
type SpeakerFeedback struct {
	Name       string           `json:"name"`
	Sessions   []int64          `json:"sessions"`
	Statements []StatementScore `json:"statements"` // in first-seen order
	Overall    StatementScore   `json:"overall"`
}

// RankSpeakers returns every speaker of sessions, ranked by overall mean
// (highest first), then by more ratings, then by name; a speaker with no
// rating comes last. Speakers are the same person by name, whatever
// their affiliation.
func RankSpeakers(sessions []SessionFeedback) []SpeakerFeedback {
	by := map[string]*SpeakerFeedback{}
	var order []string
	for _, f := range sessions {
		seen := map[string]bool{}
		for _, sp := range f.Talk.Speakers {
			if seen[sp.Name] {
				continue
			}
			seen[sp.Name] = true
			s := by[sp.Name]
			if s == nil {
				s = &SpeakerFeedback{Name: sp.Name, Sessions: []int64{}, Statements: []StatementScore{}, Overall: StatementScore{Statement: "overall"}}
				by[sp.Name] = s
				order = append(order, sp.Name)
			}
			s.Sessions = append(s.Sessions, f.Talk.ID)
			for _, st := range f.Statements {
				i := slices.IndexFunc(s.Statements, func(x StatementScore) bool { return x.Statement == st.Statement })
				if i < 0 {
					s.Statements = append(s.Statements, StatementScore{Statement: st.Statement})
					i = len(s.Statements) - 1
				}
				s.Statements[i].add(st.Count, st.Sum)
				s.Overall.add(st.Count, st.Sum)
			}
		}
	}
	out := make([]SpeakerFeedback, 0, len(order))
	for _, n := range order {
		out = append(out, *by[n])
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Overall, out[j].Overall
		if (a.Count == 0) != (b.Count == 0) {
			return b.Count == 0
		}
		if a.Mean != b.Mean {
			return a.Mean > b.Mean
		}
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return out[i].Name < out[j].Name
	})
	return out
}
