package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ovation-live/ovation/board"
	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
	"github.com/ovation-live/ovation/store"
)

// newBoardServer is newServiceServer with the board service and an event
// BOARD with one room and one pitch.
func newBoardServer(tb testing.TB) (ts *testServer, h *hub.Hub, room, pitch int64) {
	tb.Helper()
	ts, h = newServiceServer(tb, func(db *store.DB, engine *show.Engine, h *hub.Hub, d *Deps, log *slog.Logger) func(context.Context, *Server) {
		boards := board.New(db, engine, h, board.Options{Logger: log, FrameInterval: 10 * time.Millisecond})
		d.Boards = boards
		return func(ctx context.Context, _ *Server) { boards.Run(ctx) }
	})
	ts.mod(tb, "POST", "/api/events", map[string]any{"code": "BOARD", "title": "Board"}, nil)
	var m show.Model
	ts.mod(tb, "GET", "/api/events/BOARD/model", nil, &m)
	var round live.Round
	ts.mod(tb, "POST", "/api/events/BOARD/rounds", map[string]any{"room_id": m.Rooms[0].ID, "title": "Pitches"}, &round)
	var p live.Pitch
	ts.mod(tb, "POST", fmt.Sprintf("/api/rounds/%d/pitches", round.ID), map[string]any{"team": "@Kelp Labs"}, &p)
	return ts, h, m.Rooms[0].ID, p.ID
}

// boardState is what a moderator can see of boards and meeting requests;
// bad input leaves it unchanged.
func boardState(tb testing.TB, ts *testServer, boardID int64) string {
	tb.Helper()
	var boards, queue, requests, audit json.RawMessage
	ts.mod(tb, "GET", "/api/events/BOARD/boards", nil, &boards)
	ts.mod(tb, "GET", fmt.Sprintf("/api/events/BOARD/boards/%d/queue", boardID), nil, &queue)
	ts.mod(tb, "GET", "/api/events/BOARD/meeting-requests", nil, &requests)
	ts.mod(tb, "GET", "/api/events/BOARD/audit", nil, &audit)
	// The trending score decays with the clock: it is not state.
	queue = trendingRE.ReplaceAll(queue, []byte(`"trending":0`))
	return strings.Join([]string{string(boards), string(queue), string(requests), string(audit)}, "\n")
}

var trendingRE = regexp.MustCompile(`"trending":[0-9.e+-]+`)

func TestBoardAPI(t *testing.T) {
	ts, h, room, pitch := newBoardServer(t)
	alice := ts.join(t, "BOARD", map[string]any{"display_name": "Alice"})
	bob := ts.join(t, "BOARD", map[string]any{})

	stage, wake := follow(h, hub.StageTopic(room))

	var b live.Board
	ts.mod(t, "POST", "/api/events/BOARD/boards", map[string]any{"title": "Questions for this session", "room_id": room}, &b)
	if !b.Open || b.Moderation != live.ModerationPre {
		t.Fatalf("board %+v", b)
	}
	entries := fmt.Sprintf("/api/events/BOARD/boards/%d/entries", b.ID)
	var q1, q2 live.Entry
	if r := ts.do(t, "POST", entries, map[string]any{"text": "=HYPERLINK(\"x\") How fast?", "display_name": "Alice"}, bearer(alice.Token)...); r.Status != http.StatusCreated || json.Unmarshal(r.Body, &q1) != nil {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	if r := ts.do(t, "POST", entries, map[string]any{"text": "Is it open source?"}, bearer(bob.Token)...); r.Status != http.StatusCreated || json.Unmarshal(r.Body, &q2) != nil || q2.DisplayName != "" {
		t.Fatalf("anonymous submit: %d %s", r.Status, r.Body)
	}
	for _, q := range []live.Entry{q1, q2} {
		ts.mod(t, "POST", fmt.Sprintf("/api/events/BOARD/entries/%d/actions/approve", q.ID), nil, nil)
	}
	upvote := func(who string, id int64, method string) map[string]any {
		var out map[string]any
		r := ts.do(t, method, fmt.Sprintf("/api/events/BOARD/entries/%d/upvote", id), nil, bearer(who)...)
		if r.Status != http.StatusOK || json.Unmarshal(r.Body, &out) != nil {
			t.Fatalf("%s upvote: %d %s", method, r.Status, r.Body)
		}
		return out
	}
	upvote(alice.Token, q2.ID, "PUT")
	if out := upvote(alice.Token, q2.ID, "PUT"); out["upvotes"] != 1.0 {
		t.Fatalf("double upvote: %v", out)
	}
	upvote(bob.Token, q2.ID, "PUT")
	upvote(bob.Token, q1.ID, "PUT")
	if out := upvote(bob.Token, q1.ID, "DELETE"); out["upvotes"] != 0.0 {
		t.Fatalf("retract: %v", out)
	}
	var list []live.Entry
	r := ts.do(t, "GET", entries+"?sort=top", nil, bearer(alice.Token)...)
	if json.Unmarshal(r.Body, &list) != nil || len(list) != 2 || list[0].ID != q2.ID || list[0].Upvotes != 2 || !list[0].Upvoted || list[1].Upvoted {
		t.Fatalf("top list: %s", r.Body)
	}
	if strings.Contains(string(r.Body), "participant") {
		t.Fatalf("the list reveals authors: %s", r.Body)
	}
	ts.mod(t, "POST", fmt.Sprintf("/api/events/BOARD/boards/%d/highlight", b.ID), map[string]any{"entry_id": q2.ID}, nil)

	deadline := time.After(10 * time.Second)
	for seenBoard, seenHighlight := false, false; !seenBoard || !seenHighlight; {
		select {
		case <-wake:
			for _, f := range stage.Take(nil) {
				s := string(f)
				seenBoard = seenBoard || strings.Contains(s, `"type":"board"`) && strings.Contains(s, `"upvotes":2`)
				seenHighlight = seenHighlight || strings.Contains(s, `"type":"board_highlight"`) && strings.Contains(s, "Is it open source?")
			}
		case <-deadline:
			t.Fatal("no board and highlight frames on the stage topic")
		}
	}

	t.Run("export as CSV is formula-safe and holds every status", func(t *testing.T) {
		ts.do(t, "POST", entries, map[string]any{"text": "+pending one"}, bearer(alice.Token)...)
		r := ts.do(t, "GET", fmt.Sprintf("/api/events/BOARD/boards/%d/export?format=csv", b.ID), nil, bearer(ts.Token)...)
		rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
		if r.Status != http.StatusOK || err != nil || len(rows) != 4 {
			t.Fatalf("%d %v %s", r.Status, err, r.Body)
		}
		body := string(r.Body)
		if !strings.Contains(body, `'=HYPERLINK`) || !strings.Contains(body, "'+pending one") || !strings.Contains(body, ",pending,") {
			t.Fatalf("csv %s", body)
		}
		var x board.Export
		ts.mod(t, "GET", fmt.Sprintf("/api/events/BOARD/boards/%d/export", b.ID), nil, &x)
		if len(x.Entries) != 3 || x.Entries[0].Upvotes != 2 {
			t.Fatalf("json export %+v", x)
		}
	})
	t.Run("top entries become a keypad poll", func(t *testing.T) {
		var p live.Poll
		ts.mod(t, "POST", fmt.Sprintf("/api/events/BOARD/boards/%d/poll", b.ID), map[string]any{"n": 2, "question": "Which first?"}, &p)
		if len(p.Choices) != 2 || p.Choices[0] != "Is it open source?" || p.Kind != live.PollChoices {
			t.Fatalf("poll %+v", p)
		}
	})
	t.Run("meeting requests: consent, listing, CSV per pitch, withdrawal", func(t *testing.T) {
		path := fmt.Sprintf("/api/events/BOARD/pitches/%d/meeting-request", pitch)
		req := map[string]any{"name": "Alice", "company": "-Acme", "role": "CTO", "email": "alice@example.com"}
		wantError(t, ts.do(t, "POST", path, req, bearer(alice.Token)...), http.StatusBadRequest, live.EInvalid)
		req["consent"] = true
		if r := ts.do(t, "POST", path, req, bearer(alice.Token)...); r.Status != http.StatusCreated {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		var rs []live.MeetingRequest
		ts.mod(t, "GET", fmt.Sprintf("/api/events/BOARD/meeting-requests?pitch_id=%d", pitch), nil, &rs)
		if len(rs) != 1 || rs[0].Email != "alice@example.com" {
			t.Fatalf("%+v", rs)
		}
		r := ts.do(t, "GET", fmt.Sprintf("/api/events/BOARD/pitches/%d/meeting-requests.csv", pitch), nil, bearer(ts.Token)...)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "'@Kelp Labs,Alice,'-Acme,CTO,alice@example.com") {
			t.Fatalf("csv %d %s", r.Status, r.Body)
		}
		if r := ts.do(t, "DELETE", path, nil, bearer(alice.Token)...); r.Status != http.StatusNoContent {
			t.Fatalf("withdraw %d %s", r.Status, r.Body)
		}
		wantError(t, ts.do(t, "DELETE", path, nil, bearer(alice.Token)...), http.StatusNotFound, live.ENotFound)
		ts.mod(t, "GET", "/api/events/BOARD/meeting-requests", nil, &rs)
		if len(rs) != 0 {
			t.Fatalf("after withdrawal %+v", rs)
		}
	})

	t.Run("bad input gets documented errors and changes nothing", func(t *testing.T) {
		before := boardState(t, ts, b.ID)
		bid := fmt.Sprint(b.ID)
		entry := func(id int64) string { return fmt.Sprintf("/api/events/BOARD/entries/%d", id) }
		cases := []struct {
			name, method, path string
			body               any
			hdr                []string
			status             int
			code               string
		}{
			{"submit without token", "POST", entries, map[string]any{"text": "x"}, nil, 401, live.EUnauthorized},
			{"submit with a forged token", "POST", entries, map[string]any{"text": "x"}, bearer("forged"), 401, live.EUnauthorized},
			{"submit malformed JSON", "POST", entries, `{"text":`, bearer(alice.Token), 400, live.EInvalid},
			{"submit unknown field", "POST", entries, map[string]any{"text": "x", "author": "y"}, bearer(alice.Token), 400, live.EInvalid},
			{"submit empty text", "POST", entries, map[string]any{"text": "  "}, bearer(alice.Token), 400, live.EInvalid},
			{"submit too long", "POST", entries, map[string]any{"text": strings.Repeat("x", live.MaxEntryLen+1)}, bearer(alice.Token), 400, live.EInvalid},
			{"submit to unknown board", "POST", "/api/events/BOARD/boards/999/entries", map[string]any{"text": "x"}, bearer(alice.Token), 404, live.ENotFound},
			{"submit to bad board id", "POST", "/api/events/BOARD/boards/abc/entries", map[string]any{"text": "x"}, bearer(alice.Token), 404, live.ENotFound},
			{"upvote unknown entry", "PUT", entry(999) + "/upvote", nil, bearer(alice.Token), 404, live.ENotFound},
			{"upvote without token", "PUT", entry(q1.ID) + "/upvote", nil, nil, 401, live.EUnauthorized},
			{"unsorted list", "GET", entries + "?sort=best", nil, nil, 400, live.EInvalid},
			{"create board without moderator", "POST", "/api/events/BOARD/boards", map[string]any{"title": "x"}, bearer(alice.Token), 401, live.EUnauthorized},
			{"create board without title", "POST", "/api/events/BOARD/boards", map[string]any{"room_id": room}, bearer(ts.Token), 400, live.EInvalid},
			{"create board in unknown room", "POST", "/api/events/BOARD/boards", map[string]any{"title": "x", "room_id": 999}, bearer(ts.Token), 400, live.EInvalid},
			{"create board, bad moderation", "POST", "/api/events/BOARD/boards", map[string]any{"title": "x", "moderation": "none"}, bearer(ts.Token), 400, live.EInvalid},
			{"update unknown board", "PATCH", "/api/events/BOARD/boards/999", map[string]any{"title": "x"}, bearer(ts.Token), 404, live.ENotFound},
			{"update board, bad max_len", "PATCH", "/api/events/BOARD/boards/" + bid, map[string]any{"max_len": 1000}, bearer(ts.Token), 400, live.EInvalid},
			{"setup: pin", "POST", entry(q2.ID) + "/actions/pin", nil, bearer(ts.Token), 200, ""}, // so that pinning again is illegal
			{"pin twice", "POST", entry(q2.ID) + "/actions/pin", nil, bearer(ts.Token), 409, live.ETransition},
			{"unknown action", "POST", entry(q2.ID) + "/actions/delete", nil, bearer(ts.Token), 400, live.EInvalid},
			{"merge without into", "POST", entry(q1.ID) + "/actions/merge", nil, bearer(ts.Token), 400, live.EInvalid},
			{"merge into itself", "POST", entry(q1.ID) + "/actions/merge", map[string]any{"into": q1.ID}, bearer(ts.Token), 400, live.EInvalid},
			{"highlight without entry_id", "POST", "/api/events/BOARD/boards/" + bid + "/highlight", map[string]any{}, bearer(ts.Token), 400, live.EInvalid},
			{"highlight unknown entry", "POST", "/api/events/BOARD/boards/" + bid + "/highlight", map[string]any{"entry_id": 999}, bearer(ts.Token), 400, live.EInvalid},
			{"poll of 1", "POST", "/api/events/BOARD/boards/" + bid + "/poll", map[string]any{"n": 1}, bearer(ts.Token), 400, live.EInvalid},
			{"poll of 7", "POST", "/api/events/BOARD/boards/" + bid + "/poll", map[string]any{"n": 7}, bearer(ts.Token), 400, live.EInvalid},
			{"poll of more than approved", "POST", "/api/events/BOARD/boards/" + bid + "/poll", map[string]any{"n": 3}, bearer(ts.Token), 400, live.EInvalid},
			{"export, bad format", "GET", "/api/events/BOARD/boards/" + bid + "/export?format=xls", nil, bearer(ts.Token), 400, live.EInvalid},
			{"export unknown board", "GET", "/api/events/BOARD/boards/999/export", nil, bearer(ts.Token), 404, live.ENotFound},
			{"meeting without consent", "POST", fmt.Sprintf("/api/events/BOARD/pitches/%d/meeting-request", pitch), map[string]any{"name": "A", "email": "a@example.com"}, bearer(bob.Token), 400, live.EInvalid},
			{"meeting, bad email", "POST", fmt.Sprintf("/api/events/BOARD/pitches/%d/meeting-request", pitch), map[string]any{"name": "A", "email": "nope", "consent": true}, bearer(bob.Token), 400, live.EInvalid},
			{"meeting, unknown pitch", "POST", "/api/events/BOARD/pitches/999/meeting-request", map[string]any{"name": "A", "email": "a@example.com", "consent": true}, bearer(bob.Token), 404, live.ENotFound},
			{"meeting requests without moderator", "GET", "/api/events/BOARD/meeting-requests", nil, bearer(bob.Token), 401, live.EUnauthorized},
			{"meeting CSV of unknown pitch", "GET", "/api/events/BOARD/pitches/999/meeting-requests.csv", nil, bearer(ts.Token), 404, live.ENotFound},
			{"boards of unknown event", "GET", "/api/events/NOPE/boards", nil, nil, 404, live.ENotFound},
		}
		for _, c := range cases {
			r := ts.do(t, c.method, c.path, c.body, c.hdr...)
			if c.code == "" {
				if r.Status != c.status {
					t.Fatalf("%s: %d %s", c.name, r.Status, r.Body)
				}
				before = boardState(t, ts, b.ID) // the setup step's change is the new baseline
				continue
			}
			if r.Status != c.status || r.code() != c.code {
				t.Errorf("%s: got %d %q (%s), want %d %q", c.name, r.Status, r.code(), live.Truncate(string(r.Body), 200), c.status, c.code)
			}
		}
		if after := boardState(t, ts, b.ID); after != before {
			t.Fatalf("bad input changed the state:\n%s\n---\n%s", before, after)
		}
	})
	t.Run("a token of another event is forbidden", func(t *testing.T) {
		ts.mod(t, "POST", "/api/events", map[string]any{"code": "OTHER", "title": "Other"}, nil)
		other := ts.join(t, "OTHER", map[string]any{})
		wantError(t, ts.do(t, "POST", entries, map[string]any{"text": "x"}, bearer(other.Token)...), http.StatusForbidden, live.EForbidden)
		wantError(t, ts.do(t, "PUT", fmt.Sprintf("/api/events/BOARD/entries/%d/upvote", q1.ID), nil, bearer(other.Token)...), http.StatusForbidden, live.EForbidden)
	})
}
