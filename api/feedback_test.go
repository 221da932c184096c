package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ovation-live/ovation/feedback"
	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/programme"
	"github.com/ovation-live/ovation/show"
	"github.com/ovation-live/ovation/store"
)

// feedbackClock is the feedback service's clock in tests: set by the test.
type feedbackClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *feedbackClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *feedbackClock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// newFeedbackServer is newProgrammeServer with session feedback: its
// service, not run (the test ticks it), on clock.
func newFeedbackServer(tb testing.TB, clock *feedbackClock) (ts *testServer, fb *feedback.Service, amphi int64) {
	tb.Helper()
	ts, _ = newServiceServer(tb, func(db *store.DB, engine *show.Engine, h *hub.Hub, d *Deps, log *slog.Logger) func(context.Context, *Server) {
		p := programme.New(db, engine, h, programme.Options{Logger: log, FrameInterval: 10 * time.Millisecond, DefaultTimeZone: "UTC"})
		fb = feedback.New(db, engine, feedback.Options{Logger: log, Now: clock.Now})
		d.Programme, d.Feedback = p, fb
		return func(ctx context.Context, _ *Server) { p.Run(ctx) }
	})
	ts.mod(tb, "POST", "/api/events", map[string]any{"code": "DEVDAYS", "title": "Journées Ovation"}, nil)
	var m show.Model
	ts.mod(tb, "GET", "/api/events/DEVDAYS/model", nil, &m)
	ts.mod(tb, "PATCH", fmt.Sprintf("/api/rooms/%d", m.Rooms[0].ID), map[string]any{"name": "Amphi Bleu"}, nil)
	return ts, fb, m.Rooms[0].ID
}

// feedbackEnv is the docs' event DEVDAYS with a template survey (a rating
// grid) and the keynote of 7 December 2026 in Amphi Bleu.
func feedbackEnv(tb testing.TB) *docEnv {
	tb.Helper()
	ts, _, amphi := newFeedbackServer(tb, &feedbackClock{now: time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)})
	ts.mod(tb, "POST", "/api/events/DEVDAYS/surveys", map[string]any{"room_id": amphi, "title": "Talk feedback"}, nil)
	ts.mod(tb, "POST", "/api/events/DEVDAYS/polls", map[string]any{"survey_id": 1, "question": "How was the talk?", "kind": "grid",
		"choices": []string{"Content", "Speaker"}, "scale_max": 5, "required": true}, nil)
	ts.mod(tb, "POST", "/api/events/DEVDAYS/programme/sessions", map[string]any{"title": "Keynote: the web TV's audience", "room_id": amphi,
		"speakers": []map[string]string{{"name": "Hélène Dupré", "affiliation": "Ovation"}}, "start": "2026-12-07T08:30:00Z", "end": "2026-12-07T09:15:00Z"}, nil)
	return newDocEnv(ts, "DEVDAYS")
}

// TestFeedbackClockOpensAndCloses: at a talk's end the clock makes its
// feedback from the template and opens it until the window's end, in the
// talk's room; a talk without feedback gets none; at the window's end it
// closes; the next wake is the next end.
func TestFeedbackClockOpensAndCloses(t *testing.T) {
	start := time.Now().UTC().Truncate(time.Second)
	clock := &feedbackClock{now: start}
	ts, fb, amphi := newFeedbackServer(t, clock)
	ctx := context.Background()
	var tpl live.Survey
	ts.mod(t, "POST", "/api/events/DEVDAYS/surveys", map[string]any{"room_id": amphi, "title": "Talk feedback", "intro": "Two questions."}, &tpl)
	ts.mod(t, "POST", "/api/events/DEVDAYS/polls", map[string]any{"survey_id": tpl.ID, "question": "How was the talk?", "kind": "grid",
		"choices": []string{"Content", "Speaker"}, "scale_max": 5}, nil)
	var room live.Room
	ts.mod(t, "POST", "/api/events/DEVDAYS/rooms", map[string]any{"name": "Salle Fleming"}, &room)
	talk := func(title string, roomID int64, end time.Time) live.Talk {
		var tk live.Talk
		ts.mod(t, "POST", "/api/events/DEVDAYS/programme/sessions", map[string]any{"title": title, "room_id": roomID,
			"speakers": []map[string]string{{"name": "Ada"}}, "start": end.Add(-time.Hour), "end": end}, &tk)
		return tk
	}
	ended := talk("Ended", room.ID, start.Add(-time.Minute))
	skipped := talk("Skipped", amphi, start.Add(-time.Minute))
	coming := talk("Coming", amphi, start.Add(time.Hour))
	ts.mod(t, "PUT", "/api/events/DEVDAYS/feedback/settings", map[string]any{"template_survey_id": tpl.ID, "feedback_open_for": "10m", "no_feedback": []int64{skipped.ID}}, nil)

	surveys := func() []live.Survey {
		var m show.Model
		ts.mod(t, "GET", "/api/events/DEVDAYS/model", nil, &m)
		var out []live.Survey
		for _, s := range m.Surveys {
			if s.SessionID != nil {
				out = append(out, s)
			}
		}
		return out
	}
	if next := fb.Tick(ctx); !next.Equal(ended.End.Add(10 * time.Minute)) {
		t.Errorf("next wake %v, want the window's end %v", next, ended.End.Add(10*time.Minute))
	}
	got := surveys()
	if len(got) != 1 || *got[0].SessionID != ended.ID || got[0].RoomID != room.ID || got[0].Title != "Ended" || got[0].Intro != "Two questions." ||
		got[0].State != live.SurveyOpen || !got[0].ClosesAt.Equal(ended.End.Add(10*time.Minute)) || len(got[0].Questions) != 1 {
		t.Fatalf("after the end: %+v", got)
	}
	fb.Tick(ctx) // idempotent: no second copy
	if again := surveys(); len(again) != 1 {
		t.Fatalf("a second tick made %d surveys", len(again))
	}
	clock.Set(ended.End.Add(10 * time.Minute))
	if next := fb.Tick(ctx); !next.Equal(coming.End) {
		t.Errorf("next wake %v, want the coming talk's end %v", next, coming.End)
	}
	if got := surveys(); len(got) != 1 || got[0].State != live.SurveyClosed {
		t.Fatalf("after the window: %+v", got)
	}
	var audit []live.AuditEntry
	ts.mod(t, "GET", "/api/events/DEVDAYS/audit", nil, &audit)
	var acts []string
	for _, a := range audit {
		if a.Actor == feedback.Actor {
			acts = append(acts, a.Action)
		}
	}
	if s := strings.Join(acts, ","); !strings.Contains(s, "create_survey") || !strings.Contains(s, "survey_open") || !strings.Contains(s, "survey_close") {
		t.Errorf("the clock's audit: %s", s)
	}
}

func TestFeedbackRoutesRefuseBadInputAndChangeNothing(t *testing.T) {
	ts, _, amphi := newFeedbackServer(t, &feedbackClock{now: time.Now()})
	var tpl, own live.Survey
	ts.mod(t, "POST", "/api/events/DEVDAYS/surveys", map[string]any{"room_id": amphi, "title": "Talk feedback"}, &tpl)
	ts.mod(t, "POST", "/api/events/DEVDAYS/polls", map[string]any{"survey_id": tpl.ID, "question": "Rate it", "kind": "scale", "scale_max": 5}, nil)
	var empty live.Survey
	ts.mod(t, "POST", "/api/events/DEVDAYS/surveys", map[string]any{"room_id": amphi, "title": "Empty"}, &empty)
	var tk live.Talk
	ts.mod(t, "POST", "/api/events/DEVDAYS/programme/sessions", map[string]any{"title": "Keynote", "room_id": amphi, "start": "2026-12-07T08:30:00Z", "end": "2026-12-07T09:15:00Z"}, &tk)
	ts.mod(t, "POST", "/api/events/DEVDAYS/surveys", map[string]any{"room_id": amphi, "title": "Own", "session_id": tk.ID}, &own)
	ts.mod(t, "PUT", "/api/events/DEVDAYS/feedback/settings", map[string]any{"template_survey_id": tpl.ID, "feedback_open_for": "20m"}, nil)
	state := func() string {
		var s json.RawMessage
		ts.mod(t, "GET", "/api/events/DEVDAYS/feedback/settings", nil, &s)
		return string(s)
	}
	before := state()
	for _, c := range []struct {
		name, method, path, body string
		status                   int
		code, field              string
	}{
		{"a window too short", "PUT", "/api/events/DEVDAYS/feedback/settings", `{"feedback_open_for":"1s"}`, 400, live.EInvalid, "feedback_open_for"},
		{"a window not a duration", "PUT", "/api/events/DEVDAYS/feedback/settings", `{"feedback_open_for":"a quarter"}`, 400, live.EInvalid, "feedback_open_for"},
		{"an unknown template", "PUT", "/api/events/DEVDAYS/feedback/settings", `{"template_survey_id":999}`, 400, live.EInvalid, "template_survey_id"},
		{"a session's own survey as template", "PUT", "/api/events/DEVDAYS/feedback/settings", fmt.Sprintf(`{"template_survey_id":%d}`, own.ID), 400, live.EInvalid, "template_survey_id"},
		{"a template without questions", "PUT", "/api/events/DEVDAYS/feedback/settings", fmt.Sprintf(`{"template_survey_id":%d}`, empty.ID), 400, live.EInvalid, "template_survey_id"},
		{"an unknown session", "PUT", "/api/events/DEVDAYS/feedback/settings", `{"no_feedback":[12345]}`, 400, live.EInvalid, "no_feedback"},
		{"an unknown field", "PUT", "/api/events/DEVDAYS/feedback/settings", `{"open_for":"10m"}`, 400, live.EInvalid, ""},
		{"malformed JSON", "PUT", "/api/events/DEVDAYS/feedback/settings", `{"feedback_open_for":`, 400, live.EInvalid, ""},
		{"an unknown event", "PUT", "/api/events/NOPE/feedback/settings", `{}`, 404, live.ENotFound, ""},
		{"an unknown format", "GET", "/api/events/DEVDAYS/feedback/results?format=xml", ``, 400, live.EInvalid, "format"},
		{"results of an unknown event", "GET", "/api/events/NOPE/feedback/results", ``, 404, live.ENotFound, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var body any
			if c.body != "" {
				body = c.body
			}
			r := ts.do(t, c.method, c.path, body, "Authorization", "Bearer "+testAPIToken)
			var e struct {
				Error struct{ Code, Field string }
			}
			_ = json.Unmarshal(r.Body, &e)
			if r.Status != c.status || e.Error.Code != c.code || e.Error.Field != c.field {
				t.Errorf("%d %s (field %q), want %d %s (field %q): %s", r.Status, e.Error.Code, e.Error.Field, c.status, c.code, c.field, r.Body)
			}
		})
	}
	if after := state(); after != before {
		t.Errorf("settings changed:\n%s\n%s", before, after)
	}
	if r := ts.do(t, "GET", "/api/events/DEVDAYS/feedback/results", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("results without credentials: %d", r.Status)
	}
}
