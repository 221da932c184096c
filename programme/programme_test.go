package programme_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/programme"
	"github.com/ovation-live/ovation/show"
	"github.com/ovation-live/ovation/store"
)

// recorder is a hub.Publisher keeping the last frame of each topic and key.
type recorder struct {
	mu   sync.Mutex
	last map[string][]byte
}

func (r *recorder) Publish(topic, key string, frame []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last[topic+" "+key] = frame
}

func (r *recorder) get(tb testing.TB, topic, key string, v any) {
	tb.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.last[topic+" "+key]
	if !ok {
		tb.Fatalf("no frame %s %s", topic, key)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatal(err)
	}
}

type harness struct {
	db           *store.DB
	svc          *programme.Service
	pub          *recorder
	amphi, salle int64
}

func newHarness(tb testing.TB) *harness {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(filepath.Join(tb.TempDir(), "ovation.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	pub := &recorder{last: map[string][]byte{}}
	engine := show.NewEngine(db, pub, show.Options{})
	if err := engine.Load(ctx); err != nil {
		tb.Fatal(err)
	}
	if _, err := engine.CreateEvent(ctx, "test", &live.Event{Code: "PROG", Title: "Programme"}); err != nil {
		tb.Fatal(err)
	}
	m, _ := engine.Model("PROG")
	amphi := m.Rooms[0].ID
	if _, err := engine.UpdateRoom(ctx, "test", amphi, func(r *live.Room) error { r.Name = "Amphi Bleu"; return nil }); err != nil {
		tb.Fatal(err)
	}
	salle, err := engine.CreateRoom(ctx, "test", "PROG", &live.Room{Name: "Salle Fleming"})
	if err != nil {
		tb.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC) }
	svc := programme.New(db, engine, pub, programme.Options{Now: now, DefaultTimeZone: "Europe/Paris"})
	return &harness{db: db, svc: svc, pub: pub, amphi: amphi, salle: salle.ID}
}

func wantCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := live.ErrorCode(err); got != want {
		tb.Fatalf("error code %q, want %q (%v)", got, want, err)
	}
}

func TestImportCSVPreviewsThenSavesAllOrNothing(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()

	res, err := h.svc.Import(ctx, "mod", "PROG", programme.FormatCSV, readFile(t, "programme.csv"), true)
	wantCode(t, err, "")
	if !res.DryRun || res.Accepted != 4 || res.Refused != 0 || res.Imported != 0 {
		t.Fatalf("preview %+v", res)
	}
	if p, _ := h.svc.Programme(ctx, "PROG"); len(p.Sessions) != 0 {
		t.Fatalf("a preview saved %d sessions", len(p.Sessions))
	}

	_, err = h.svc.Import(ctx, "mod", "PROG", programme.FormatCSV, readFile(t, "refused.csv"), false)
	wantCode(t, err, live.EInvalid)
	if !strings.Contains(live.ErrorMessage(err), "line 3: unknown room") {
		t.Errorf("message %q names no line", live.ErrorMessage(err))
	}
	if p, _ := h.svc.Programme(ctx, "PROG"); len(p.Sessions) != 0 {
		t.Fatalf("a refused file saved %d sessions", len(p.Sessions))
	}

	res, err = h.svc.Import(ctx, "mod", "PROG", programme.FormatCSV, readFile(t, "programme.csv"), false)
	wantCode(t, err, "")
	if res.Imported != 4 || res.Rows[0].Session.ID == 0 {
		t.Fatalf("import %+v", res)
	}
	p, _ := h.svc.Programme(ctx, "PROG")
	if len(p.Sessions) != 4 || p.TimeZone != "Europe/Paris" {
		t.Fatalf("programme %+v", p)
	}

	res, err = h.svc.Import(ctx, "mod", "PROG", programme.FormatCSV, readFile(t, "programme.csv"), true)
	wantCode(t, err, "")
	if res.Refused != 4 || !strings.Contains(res.Rows[0].Error, "already in the programme") {
		t.Errorf("the same file again: %+v", res.Rows[0])
	}

	h.svc.FlushFrames(ctx)
	var room programme.RoomFrame
	h.pub.get(t, hub.RoomTopic(h.amphi), "programme", &room)
	if room.Type != "programme" || room.TimeZone != "Europe/Paris" || len(room.Sessions) != 3 {
		t.Fatalf("room frame %+v", room)
	}
	var stage programme.RoomFrame
	h.pub.get(t, hub.StageTopic(h.salle), "programme", &stage)
	if len(stage.Sessions) != 1 || stage.Sessions[0].Title != "Scaling votes, the hard way" {
		t.Fatalf("stage frame %+v", stage)
	}
	var control programme.ControlFrame
	h.pub.get(t, hub.ControlTopic(p.Sessions[0].EventID), "programme", &control)
	if len(control.Sessions) != 4 {
		t.Fatalf("control frame %+v", control)
	}
}

func TestImportICSRefusesTheAllDayAndRecurringEntries(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	res, err := h.svc.Import(ctx, "mod", "PROG", programme.FormatICS, readFile(t, "programme.ics"), true)
	wantCode(t, err, "")
	if res.Accepted != 3 || res.Refused != 2 {
		t.Fatalf("preview: %d accepted, %d refused", res.Accepted, res.Refused)
	}
	_, err = h.svc.Import(ctx, "mod", "PROG", programme.FormatICS, readFile(t, "programme.ics"), false)
	wantCode(t, err, live.EInvalid)
	if p, _ := h.svc.Programme(ctx, "PROG"); len(p.Sessions) != 0 {
		t.Fatalf("saved %d sessions of a refused file", len(p.Sessions))
	}
	_, err = h.svc.Import(ctx, "mod", "PROG", "xlsx", []byte("x"), true)
	wantCode(t, err, live.EInvalid)
	_, err = h.svc.Import(ctx, "mod", "PROG", programme.FormatICS, []byte("nothing"), true)
	wantCode(t, err, live.EInvalid)
}

func TestSessionsAreEditedInTheEventsRooms(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	s, err := h.svc.CreateSession(ctx, "mod", "PROG", live.Talk{Title: "Keynote", RoomID: h.amphi, Start: start, End: start.Add(time.Hour),
		Speakers: []live.Speaker{{Name: "Ada Lovelace", Affiliation: "Analytical Engines"}}})
	wantCode(t, err, "")
	if s.ID == 0 {
		t.Fatal("no id")
	}
	_, err = h.svc.CreateSession(ctx, "mod", "PROG", live.Talk{Title: "Elsewhere", RoomID: 9999, Start: start, End: start.Add(time.Hour)})
	wantCode(t, err, live.EInvalid)
	_, err = h.svc.CreateSession(ctx, "mod", "PROG", live.Talk{Title: "Backwards", RoomID: h.amphi, Start: start, End: start.Add(-time.Hour)})
	wantCode(t, err, live.EInvalid)
	_, err = h.svc.CreateSession(ctx, "mod", "NOPE", live.Talk{Title: "x", RoomID: h.amphi, Start: start, End: start.Add(time.Hour)})
	wantCode(t, err, live.ENotFound)

	up, err := h.svc.UpdateSession(ctx, "mod", "PROG", s.ID, func(t *live.Talk) { t.RoomID = h.salle; t.Title = "Keynote (moved)" })
	wantCode(t, err, "")
	if up.RoomID != h.salle || up.ID != s.ID {
		t.Fatalf("update %+v", up)
	}
	_, err = h.svc.UpdateSession(ctx, "mod", "PROG", s.ID, func(t *live.Talk) { t.Link = "javascript:alert(1)" })
	wantCode(t, err, live.EInvalid)
	if got, _ := h.db.Talk(ctx, up.EventID, s.ID); got.Title != "Keynote (moved)" || got.Link != "" {
		t.Fatalf("a refused edit changed the session: %+v", got)
	}
	_, err = h.svc.SetTimeZone(ctx, "mod", "PROG", "Mars/Olympus")
	wantCode(t, err, live.EInvalid)
	p, err := h.svc.SetTimeZone(ctx, "mod", "PROG", "America/Montreal")
	wantCode(t, err, "")
	if p.TimeZone != "America/Montreal" {
		t.Fatalf("time zone %q", p.TimeZone)
	}
	wantCode(t, h.svc.DeleteSession(ctx, "mod", "PROG", s.ID), "")
	wantCode(t, h.svc.DeleteSession(ctx, "mod", "PROG", s.ID), live.ENotFound)
}
