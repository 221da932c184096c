package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/programme"
	"github.com/ovation-live/ovation/show"
	"github.com/ovation-live/ovation/store"
)

// newProgrammeServer starts a server with the programme enabled, its clock
// at 7 December 2026 06:00 UTC (the day of the test files' sessions), and
// the event DEVDAYS (time zone Europe/Paris) with the rooms Amphi Bleu and
// Salle Fleming.
func newProgrammeServer(tb testing.TB) (ts *testServer, amphi, salle int64) {
	tb.Helper()
	ts, _ = newServiceServer(tb, func(db *store.DB, engine *show.Engine, h *hub.Hub, srv *Server, log *slog.Logger) func(context.Context) {
		p := programme.New(db, engine, h, programme.Options{Logger: log, FrameInterval: 10 * time.Millisecond, DefaultTimeZone: "UTC",
			Now: func() time.Time { return time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC) }})
		srv.SetProgramme(p)
		return p.Run
	})
	ts.mod(tb, "POST", "/api/events", map[string]any{"code": "DEVDAYS", "title": "Journées Ovation"}, nil)
	var m show.Model
	ts.mod(tb, "GET", "/api/events/DEVDAYS/model", nil, &m)
	ts.mod(tb, "PATCH", fmt.Sprintf("/api/rooms/%d", m.Rooms[0].ID), map[string]any{"name": "Amphi Bleu"}, nil)
	var room live.Room
	ts.mod(tb, "POST", "/api/events/DEVDAYS/rooms", map[string]any{"name": "Salle Fleming"}, &room)
	ts.mod(tb, "PUT", "/api/events/DEVDAYS/programme/time-zone", map[string]any{"time_zone": "Europe/Paris"}, nil)
	return ts, m.Rooms[0].ID, room.ID
}

// programmeEnv is the docs' event DEVDAYS: with stage "sessions", the
// keynote of 7 December 2026 in Amphi Bleu.
func programmeEnv(tb testing.TB, stage string) *docEnv {
	tb.Helper()
	ts, amphi, _ := newProgrammeServer(tb)
	if stage == "sessions" {
		ts.mod(tb, "POST", "/api/events/DEVDAYS/programme/sessions", map[string]any{"title": "Keynote: the web TV's audience", "room_id": amphi,
			"speakers": []map[string]string{{"name": "Hélène Dupré", "affiliation": "Ovation"}}, "start": "2026-12-07T08:30:00Z", "end": "2026-12-07T09:15:00Z"}, nil)
	}
	return newDocEnv(ts, "DEVDAYS")
}

// programmeState is what a moderator can see of the programme.
func programmeState(tb testing.TB, ts *testServer) string {
	tb.Helper()
	var p, audit json.RawMessage
	ts.mod(tb, "GET", "/api/events/DEVDAYS/programme", nil, &p)
	ts.mod(tb, "GET", "/api/events/DEVDAYS/audit", nil, &audit)
	return string(p) + "\n" + string(audit)
}

func TestProgrammeRoutesRefuseBadInputAndChangeNothing(t *testing.T) {
	ts, amphi, _ := newProgrammeServer(t)
	good := map[string]any{"title": "Keynote", "room_id": amphi, "start": "2026-12-07T08:30:00Z", "end": "2026-12-07T09:15:00Z"}
	var created live.Talk
	ts.mod(t, "POST", "/api/events/DEVDAYS/programme/sessions", good, &created)
	csv, err := os.ReadFile("../programme/testdata/refused.csv")
	if err != nil {
		t.Fatal(err)
	}
	before := programmeState(t, ts)
	for _, c := range []struct {
		name, method, path string
		body               any
		hdr                []string
		status             int
		code               string
	}{
		{"malformed JSON", "POST", "/api/events/DEVDAYS/programme/sessions", `{"title":`, nil, 400, live.EInvalid},
		{"unknown field", "POST", "/api/events/DEVDAYS/programme/sessions", map[string]any{"title": "x", "track": 1}, nil, 400, live.EInvalid},
		{"a room of no event", "POST", "/api/events/DEVDAYS/programme/sessions", map[string]any{"title": "x", "room_id": 999, "start": "2026-12-07T08:30:00Z", "end": "2026-12-07T09:15:00Z"}, nil, 400, live.EInvalid},
		{"ends before it starts", "PATCH", fmt.Sprintf("/api/events/DEVDAYS/programme/sessions/%d", created.ID), map[string]any{"end": "2026-12-07T08:00:00Z"}, nil, 400, live.EInvalid},
		{"a script link", "PATCH", fmt.Sprintf("/api/events/DEVDAYS/programme/sessions/%d", created.ID), map[string]any{"link": "javascript:alert(1)"}, nil, 400, live.EInvalid},
		{"unknown session", "DELETE", "/api/events/DEVDAYS/programme/sessions/999", nil, nil, 404, live.ENotFound},
		{"unknown event", "POST", "/api/events/NOPE/programme/sessions", good, nil, 404, live.ENotFound},
		{"unknown zone", "PUT", "/api/events/DEVDAYS/programme/time-zone", map[string]any{"time_zone": "Mars/Olympus"}, nil, 400, live.EInvalid},
		{"no format", "POST", "/api/events/DEVDAYS/programme/import", "title,room,start,end\n", nil, 400, live.EInvalid},
		{"a refused row", "POST", "/api/events/DEVDAYS/programme/import?format=csv", csv, nil, 400, live.EInvalid},
		{"not a calendar", "POST", "/api/events/DEVDAYS/programme/import?format=ics", "BEGIN:VCARD\nEND:VCARD\n", nil, 400, live.EInvalid},
		{"too large", "POST", "/api/events/DEVDAYS/programme/import?format=csv", strings.Repeat("x", programme.MaxImportBytes+1), nil, 413, ETooLarge},
		{"no credentials", "POST", "/api/events/DEVDAYS/programme/sessions", good, []string{"Authorization", "Bearer nope"}, 401, live.EUnauthorized},
	} {
		t.Run(c.name, func(t *testing.T) {
			hdr := c.hdr
			if hdr == nil {
				hdr = bearer(ts.Token)
			}
			r := ts.do(t, c.method, c.path, c.body, hdr...)
			var e errorBody
			if r.Status != c.status || json.Unmarshal(r.Body, &e) != nil || e.Error.Code != c.code {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Body, c.status, c.code)
			}
		})
	}
	if after := programmeState(t, ts); after != before {
		t.Errorf("refused requests changed the programme:\nbefore %s\nafter  %s", before, after)
	}
}

func TestProgrammeImportAndFrames(t *testing.T) {
	ts, amphi, _ := newProgrammeServer(t)
	csv, err := os.ReadFile("../programme/testdata/programme.csv")
	if err != nil {
		t.Fatal(err)
	}
	var res programme.ImportResult
	r := ts.do(t, "POST", "/api/events/DEVDAYS/programme/import?dry_run=1", csv, append(bearer(ts.Token), "Content-Type", "text/csv; charset=utf-8")...)
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &res) != nil || !res.DryRun || res.Accepted != 4 {
		t.Fatalf("preview: %d %s", r.Status, r.Body)
	}
	r = ts.do(t, "POST", "/api/events/DEVDAYS/programme/import?format=csv", csv, bearer(ts.Token)...)
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &res) != nil || res.Imported != 4 {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}

	c, _ := dialWS(t, ts, nil)
	wsSend(t, c, fmt.Sprintf(`{"type":"subscribe","topic":"room:%d"}`, amphi))
	// The import's frame is in the snapshot, or follows it once flushed.
	var snap struct {
		Frames []programme.RoomFrame `json:"frames"`
	}
	if err := json.Unmarshal(expect(t, c, "snapshot").raw, &snap); err != nil {
		t.Fatal(err)
	}
	imported := func(f programme.RoomFrame) bool {
		return f.Type == "programme" && len(f.Sessions) == 3 && f.TimeZone == "Europe/Paris" && f.RoomID == amphi
	}
	if !slices.ContainsFunc(snap.Frames, imported) {
		nextProgramme(t, c, imported)
	}
	ts.mod(t, "POST", "/api/events/DEVDAYS/programme/sessions", map[string]any{"title": "Late addition", "room_id": amphi, "start": "2026-12-07T16:00:00Z", "end": "2026-12-07T17:00:00Z"}, nil)
	nextProgramme(t, c, func(f programme.RoomFrame) bool {
		return len(f.Sessions) == 4 && f.Sessions[3].Title == "Late addition"
	})
}

// nextProgramme reads frames until a programme frame that ok accepts;
// wsRead fails the test after wsTimeout.
func nextProgramme(tb testing.TB, c *websocket.Conn, ok func(programme.RoomFrame) bool) {
	tb.Helper()
	for {
		f := wsRead(tb, c)
		var p programme.RoomFrame
		if f.Type == "programme" && json.Unmarshal(f.raw, &p) == nil && ok(p) {
			return
		}
	}
}
