// Package feedback owns session feedback: each event's feedback settings
// (the template survey, how long feedback stays open, the sessions that
// ask none), the clock that opens a session's feedback survey when the
// session ends and closes it when its window is over (the rule is
// live.PlanFeedback), and the results per session and per speaker, as
// JSON and CSV.
//
// It imports the domain package live and the running show's types (show);
// storage is reached through Store (implemented by package store), the
// show through Show. Only the node that runs the show runs the clock: a
// single node or a cluster's acting core, never an edge.
package feedback

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
)

// Actor is the name the clock's actions are audited under.
const Actor = "feedback clock"

// Store is what session feedback needs from storage.
type Store interface {
	Talks(ctx context.Context, eventID int64) ([]live.Talk, error)
	FeedbackSettings(ctx context.Context, eventID int64) (live.FeedbackSettings, error)
	SetFeedbackSettings(ctx context.Context, eventID int64, f live.FeedbackSettings, a *live.AuditEntry) error
}

// Show is what session feedback needs of the running show: events and
// their surveys.
type Show interface {
	Event(code string) (*live.Event, error)
	Events() []live.Event
	Surveys(eventID int64) []live.Survey
	CreateSurvey(ctx context.Context, actor, code string, s *live.Survey, from int64) (*live.Survey, error)
	UpdateSurvey(ctx context.Context, actor string, id int64, edit func(*live.Survey) error) (*live.Survey, error)
	SurveyAction(ctx context.Context, actor string, id int64, action string) error
	SurveyResults(ctx context.Context, id int64) (*show.SurveyResults, error)
}

// Options configures a Service. Zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// MaxSleep bounds how long the clock sleeps with nothing due, so that
	// a jump of the system clock is caught up. Default 1 min.
	MaxSleep time.Duration
}

// Service runs session feedback for every event.
type Service struct {
	store Store
	show  Show
	opts  Options
	kick  chan struct{}
}

// New returns a feedback service. Call Run to run the clock.
func New(store Store, sh Show, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxSleep <= 0 {
		opts.MaxSleep = time.Minute
	}
	return &Service{store: store, show: sh, opts: opts, kick: make(chan struct{}, 1)}
}

// Changed tells the clock that an event's programme, surveys or settings
// changed: it looks at them again now. It never blocks.
func (s *Service) Changed(int64) {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run runs the clock until ctx ends: at start (for sessions that ended
// while the server was down and are still within their window), at each
// session's end and each feedback's closing time, and when told of a
// change.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
		next := s.Tick(ctx)
		wait := s.opts.MaxSleep
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(s.opts.Now()), 0))
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(wait)
	}
}

// Tick runs every feedback step due now in every event and returns when
// the next one is due (zero for none). A step that fails is logged and
// tried again at the next tick.
func (s *Service) Tick(ctx context.Context) time.Time {
	var next time.Time
	for _, ev := range s.show.Events() {
		n, err := s.tickEvent(ctx, ev)
		if err != nil {
			s.opts.Logger.Warn("feedback: event skipped", "event", ev.Code, "err", err)
		}
		if !n.IsZero() && (next.IsZero() || n.Before(next)) {
			next = n
		}
	}
	return next
}

func (s *Service) tickEvent(ctx context.Context, ev live.Event) (time.Time, error) {
	set, err := s.store.FeedbackSettings(ctx, ev.ID)
	if err != nil {
		return time.Time{}, err
	}
	talks, err := s.store.Talks(ctx, ev.ID)
	if err != nil {
		return time.Time{}, err
	}
	steps, next := live.PlanFeedback(talks, s.show.Surveys(ev.ID), set, s.opts.Now())
	for _, st := range steps {
		if err := s.apply(ctx, ev, set, st); err != nil {
			s.opts.Logger.Warn("feedback: step failed", "event", ev.Code, "session", st.Talk.ID, "action", st.Action, "err", err)
		}
	}
	return next, nil
}

// apply runs one step: a copy of the template made for the session, its
// window set, then opened; or a close.
func (s *Service) apply(ctx context.Context, ev live.Event, set live.FeedbackSettings, st live.FeedbackStep) error {
	if st.Action == live.SurveyCloseAction {
		return s.show.SurveyAction(ctx, Actor, st.SurveyID, live.SurveyCloseAction)
	}
	opens, closes, id := st.Talk.End, st.ClosesAt, st.SurveyID
	if id == 0 {
		var tpl live.Survey
		for _, x := range s.show.Surveys(ev.ID) {
			if x.ID == set.TemplateID {
				tpl = x
			}
		}
		talkID := st.Talk.ID
		c, err := s.show.CreateSurvey(ctx, Actor, ev.Code, &live.Survey{RoomID: st.Talk.RoomID, SessionID: &talkID, Title: st.Talk.Title,
			Intro: tpl.Intro, Thanks: tpl.Thanks, OpensAt: &opens, ClosesAt: &closes}, set.TemplateID)
		if err != nil {
			return err
		}
		id = c.ID
	} else if _, err := s.show.UpdateSurvey(ctx, Actor, id, func(x *live.Survey) error {
		x.OpensAt, x.ClosesAt = &opens, &closes
		return nil
	}); err != nil {
		return err
	}
	return s.show.SurveyAction(ctx, Actor, id, live.SurveyOpenAction)
}

// Settings returns the event's feedback settings. Errors: not_found.
func (s *Service) Settings(ctx context.Context, code string) (live.FeedbackSettings, error) {
	ev, err := s.show.Event(code)
	if err != nil {
		return live.FeedbackSettings{}, err
	}
	return s.store.FeedbackSettings(ctx, ev.ID)
}

// SetSettings saves the event's feedback settings and tells the clock.
// Errors: not_found (event); invalid (a field; the template is not a
// survey of the event, is a session's own or has no question; a session
// of no_feedback is not one of the event's).
func (s *Service) SetSettings(ctx context.Context, actor, code string, f live.FeedbackSettings) (live.FeedbackSettings, error) {
	ev, err := s.show.Event(code)
	if err != nil {
		return f, err
	}
	if err := f.Validate(); err != nil {
		return f, err
	}
	if f.TemplateID != 0 {
		surveys := s.show.Surveys(ev.ID)
		i := slices.IndexFunc(surveys, func(x live.Survey) bool { return x.ID == f.TemplateID && x.SessionID == nil })
		if i < 0 {
			return f, live.FieldErrorf("template_survey_id", "No survey %d of this event that is not a session's own.", f.TemplateID)
		}
		if len(surveys[i].Questions) == 0 {
			return f, live.FieldErrorf("template_survey_id", "Add a question to the survey before making it the template.")
		}
	}
	talks, err := s.store.Talks(ctx, ev.ID)
	if err != nil {
		return f, err
	}
	for _, id := range f.NoFeedback {
		if !slices.ContainsFunc(talks, func(t live.Talk) bool { return t.ID == id }) {
			return f, live.FieldErrorf("no_feedback", "No session %d in this event.", id)
		}
	}
	detail := "template " + strconv.FormatInt(f.TemplateID, 10) + ", open for " + f.OpenFor + ", " + strconv.Itoa(len(f.NoFeedback)) + " without"
	a := &live.AuditEntry{EventID: ev.ID, Actor: actor, Action: "set_feedback", Target: "event:" + strconv.FormatInt(ev.ID, 10), Detail: detail, At: s.opts.Now().UTC()}
	if err := s.store.SetFeedbackSettings(ctx, ev.ID, f, a); err != nil {
		return f, err
	}
	s.Changed(ev.ID)
	return f, nil
}

// Results are an event's feedback results: its settings, every session's
// results (by start, then room) and its speakers ranked
// (live.RankSpeakers).
type Results struct {
	Settings live.FeedbackSettings  `json:"settings"`
	Sessions []live.SessionFeedback `json:"sessions"`
	Speakers []live.SpeakerFeedback `json:"speakers"`
}

// Results returns the event's feedback results, from committed answers.
// Only the rating grids of a session's survey count. Errors: not_found.
func (s *Service) Results(ctx context.Context, code string) (*Results, error) {
	ev, err := s.show.Event(code)
	if err != nil {
		return nil, err
	}
	set, err := s.store.FeedbackSettings(ctx, ev.ID)
	if err != nil {
		return nil, err
	}
	talks, err := s.store.Talks(ctx, ev.ID)
	if err != nil {
		return nil, err
	}
	own := map[int64]live.Survey{}
	for _, x := range s.show.Surveys(ev.ID) {
		if x.SessionID == nil || x.ID == set.TemplateID {
			continue
		}
		if o, ok := own[*x.SessionID]; !ok || x.ID < o.ID {
			own[*x.SessionID] = x
		}
	}
	now := s.opts.Now()
	out := &Results{Settings: set, Sessions: []live.SessionFeedback{}}
	for _, t := range talks {
		f := live.SessionFeedback{Talk: t}
		var scores []live.StatementScore
		if sv, ok := own[t.ID]; ok {
			f.SurveyID, f.Phase = sv.ID, sv.Phase(now)
			res, err := s.show.SurveyResults(ctx, sv.ID)
			if err != nil {
				return nil, err
			}
			for _, q := range res.Questions {
				g, ok := q.Results.(live.GridResults)
				if !ok {
					continue
				}
				f.Respondents = max(f.Respondents, g.Respondents)
				scores = append(scores, live.GridScores(q.Poll.Definition(), g)...)
			}
		}
		if scores == nil {
			scores = []live.StatementScore{}
		}
		f.SetStatements(scores)
		out.Sessions = append(out.Sessions, f)
	}
	out.Speakers = live.RankSpeakers(out.Sessions)
	return out, nil
}
