package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/ovation-live/ovation/live"
)

// dirtyName is a name as a hostile or careless client may send it: a bidi
// override, a NUL, a bidi isolate, runs of white space; cleanName is what is stored.
const dirtyName, cleanName = "\u202e Grand\x00  final\u2066 ", "Grand final"

// controlsOnly is text with nothing visible: refused where text is required.
const controlsOnly = "\x00\u202e\u200b\u2066"

// TestTextIsStoredClean sends control and bidi characters to every HTTP
// route where names and titles enter: they are stored without them, and a
// required text left empty by cleaning is refused, changing nothing.
func TestTextIsStoredClean(t *testing.T) {
	ts := newTestServer(t, Config{})
	f := newFixture(t, ts, "CLEAN")
	var ev live.Event
	ts.mod(t, "POST", "/api/events", map[string]any{"code": "CLEAN2", "title": dirtyName}, &ev)
	if ev.Title != cleanName {
		t.Fatalf("created event title %q", ev.Title)
	}
	id := func(n int64) string { return fmt.Sprint(n) }
	for _, tc := range []struct {
		name, method, path, field string
		body                      func(text string) map[string]any
		got                       func(body []byte) string
	}{
		{"event title", "PATCH", "/api/events/CLEAN", "title",
			func(s string) map[string]any { return map[string]any{"title": s} },
			func(b []byte) string { var v live.Event; _ = json.Unmarshal(b, &v); return v.Title }},
		{"new room name", "POST", "/api/events/CLEAN/rooms", "name",
			func(s string) map[string]any { return map[string]any{"name": s} },
			func(b []byte) string { var v live.Room; _ = json.Unmarshal(b, &v); return v.Name }},
		{"room name", "PATCH", "/api/rooms/" + id(f.RoomID), "name",
			func(s string) map[string]any { return map[string]any{"name": s} },
			func(b []byte) string { var v live.Room; _ = json.Unmarshal(b, &v); return v.Name }},
		{"new round title", "POST", "/api/events/CLEAN/rounds", "title",
			func(s string) map[string]any { return map[string]any{"room_id": f.RoomID, "title": s} },
			func(b []byte) string { var v live.Round; _ = json.Unmarshal(b, &v); return v.Title }},
		{"round title", "PATCH", "/api/rounds/" + id(f.RoundID), "title",
			func(s string) map[string]any { return map[string]any{"title": s} },
			func(b []byte) string { var v live.Round; _ = json.Unmarshal(b, &v); return v.Title }},
		{"new pitch team and presenter", "POST", "/api/rounds/" + id(f.RoundID) + "/pitches", "team",
			func(s string) map[string]any { return map[string]any{"team": s, "presenter": s} },
			func(b []byte) string { var v live.Pitch; _ = json.Unmarshal(b, &v); return v.Team + "|" + v.Presenter }},
		{"pitch team", "PATCH", "/api/pitches/" + id(f.Pitches[2]), "team",
			func(s string) map[string]any { return map[string]any{"team": s} },
			func(b []byte) string { var v live.Pitch; _ = json.Unmarshal(b, &v); return v.Team }},
		{"new poll question", "POST", "/api/events/CLEAN/polls", "question",
			func(s string) map[string]any {
				return map[string]any{"room_id": f.RoomID, "question": s, "kind": "choices", "choices": []string{"A", "B"}}
			},
			func(b []byte) string { var v live.Poll; _ = json.Unmarshal(b, &v); return v.Question }},
		{"poll choices", "PATCH", "/api/polls/" + id(f.PollID), "choices[0]",
			func(s string) map[string]any { return map[string]any{"choices": []string{s, "Panel", "Demo"}} },
			func(b []byte) string { var v live.Poll; _ = json.Unmarshal(b, &v); return v.Choices[0] }},
	} {
		t.Run(tc.name+" of controls only is refused and changes nothing", func(t *testing.T) {
			before := ts.state(t, f.Code)
			wantError(t, ts.do(t, tc.method, tc.path, tc.body(controlsOnly), bearer(ts.Token)...), http.StatusBadRequest, live.EInvalid)
			if r := ts.do(t, tc.method, tc.path, tc.body(controlsOnly), bearer(ts.Token)...); r.field() != tc.field {
				t.Errorf("field %q, want %q", r.field(), tc.field)
			}
			if after := ts.state(t, f.Code); after != before {
				t.Errorf("state changed")
			}
		})
		t.Run(tc.name+" is stored without controls", func(t *testing.T) {
			r := ts.do(t, tc.method, tc.path, tc.body(dirtyName), bearer(ts.Token)...)
			if r.Status/100 != 2 {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			want := cleanName
			if tc.name == "new pitch team and presenter" {
				want = cleanName + "|" + cleanName
			}
			if got := tc.got(r.Body); got != want {
				t.Fatalf("answered %q, want %q", got, want)
			}
		})
	}

	t.Run("a participant's display name is stored clean, on joining and rejoining", func(t *testing.T) {
		p := ts.join(t, f.Code, map[string]any{"display_name": dirtyName})
		if p.DisplayName != cleanName {
			t.Fatalf("joined as %q", p.DisplayName)
		}
		again := ts.join(t, f.Code, map[string]any{"display_name": "Zoé\u202e 👩\u200d💻", "token": p.Token})
		if again.ID != p.ID || again.DisplayName != "Zoé 👩\u200d💻" {
			t.Fatalf("rejoined as %d %q", again.ID, again.DisplayName)
		}
		kept := ts.join(t, f.Code, map[string]any{"display_name": controlsOnly, "token": again.Token})
		if kept.DisplayName != "Zoé 👩\u200d💻" {
			t.Fatalf("a rejoin with nothing visible renamed to %q", kept.DisplayName)
		}
		anon := ts.join(t, f.Code, map[string]any{"display_name": controlsOnly})
		if anon.DisplayName != "" {
			t.Fatalf("a name of controls only joined as %q", anon.DisplayName)
		}
		// The WebSocket knows participants by their token: the name it shows is the clean one.
		c, _ := dialWS(t, ts, nil)
		if ok := wsAuth(t, c, p.Token); ok.DisplayName != cleanName {
			t.Fatalf("auth_ok display_name %q", ok.DisplayName)
		}
	})
}

// field returns the field of a {"error":{"field":…}} body, or "".
func (r response) field() string {
	var b errorBody
	_ = json.Unmarshal(r.Body, &b)
	return b.Error.Field
}

// TestBoardTextIsStoredClean: the same for boards, their entries (which keep
// their line breaks) and meeting requests.
func TestBoardTextIsStoredClean(t *testing.T) {
	ts, _, room, pitch := newBoardServer(t)
	alice := ts.join(t, "BOARD", map[string]any{"display_name": "Alice"})
	var b live.Board
	ts.mod(t, "POST", "/api/events/BOARD/boards", map[string]any{"title": dirtyName, "room_id": room, "moderation": "post"}, &b)
	if b.Title != cleanName {
		t.Fatalf("board title %q", b.Title)
	}
	entries := fmt.Sprintf("/api/events/BOARD/boards/%d/entries", b.ID)

	t.Run("refused text changes nothing", func(t *testing.T) {
		before := boardState(t, ts, b.ID)
		r := ts.do(t, "PATCH", fmt.Sprintf("/api/events/BOARD/boards/%d", b.ID), map[string]any{"title": controlsOnly}, bearer(ts.Token)...)
		wantError(t, r, http.StatusBadRequest, live.EInvalid)
		r = ts.do(t, "POST", entries, map[string]any{"text": controlsOnly + "\n\n" + controlsOnly}, bearer(alice.Token)...)
		wantError(t, r, http.StatusBadRequest, live.EInvalid)
		if r.field() != "text" {
			t.Errorf("field %q", r.field())
		}
		r = ts.do(t, "POST", fmt.Sprintf("/api/events/BOARD/pitches/%d/meeting-request", pitch),
			map[string]any{"name": controlsOnly, "email": "alice@example.com", "consent": true}, bearer(alice.Token)...)
		wantError(t, r, http.StatusBadRequest, live.EInvalid)
		if after := boardState(t, ts, b.ID); after != before {
			t.Errorf("state changed")
		}
	})
	t.Run("an entry keeps its line breaks, not its controls", func(t *testing.T) {
		var e live.Entry
		r := ts.do(t, "POST", entries, map[string]any{"text": "Two questions:\r\n1. why?\u202e\n\n\n2. how?\x00", "display_name": dirtyName}, bearer(alice.Token)...)
		if r.Status != http.StatusCreated || json.Unmarshal(r.Body, &e) != nil {
			t.Fatalf("submit: %d %s", r.Status, r.Body)
		}
		if e.Text != "Two questions:\n1. why?\n\n2. how?" || e.DisplayName != cleanName {
			t.Fatalf("entry %q by %q", e.Text, e.DisplayName)
		}
	})
	t.Run("a meeting request's names are stored clean", func(t *testing.T) {
		r := ts.do(t, "POST", fmt.Sprintf("/api/events/BOARD/pitches/%d/meeting-request", pitch),
			map[string]any{"name": dirtyName, "company": "\u2066Acme\u2069", "role": "C\u200bTO", "email": "alice@example.com", "consent": true}, bearer(alice.Token)...)
		if r.Status != http.StatusCreated {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		var rs []live.MeetingRequest
		ts.mod(t, "GET", "/api/events/BOARD/meeting-requests", nil, &rs)
		if len(rs) != 1 || rs[0].Name != cleanName || rs[0].Company != "Acme" || rs[0].Role != "CTO" {
			t.Fatalf("requests %+v", rs)
		}
	})
}
