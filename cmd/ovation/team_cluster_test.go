package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/ovation-live/ovation/api"
	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/store"
)

// teamRequest sends a request with a session cookie (and its CSRF token
// on writes) or a bearer token, and returns the status and body.
func teamRequest(tb testing.TB, base, method, path, cookie, csrf, bearer string, body any) (int, string) {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, base+path, rd)
	if cookie != "" {
		req.Header.Set("Cookie", api.SessionCookie+"="+cookie)
		req.Header.Set(api.CSRFHeader, csrf)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// dialAs opens a WebSocket with a session cookie and reads its welcome.
func dialAs(tb testing.TB, base, cookie string) *websocket.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws",
		&websocket.DialOptions{HTTPHeader: http.Header{"Cookie": {api.SessionCookie + "=" + cookie}}})
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	c.SetReadLimit(1 << 20)
	tb.Cleanup(func() { _ = c.CloseNow() })
	return c
}

// readUntil reads messages until one has type typ, or the connection ends
// (its close status is returned then), failing after d.
func readUntil(tb testing.TB, c *websocket.Conn, typ string, d time.Duration) (msg, websocket.StatusCode) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				tb.Fatalf("no %s within %v", typ, d)
			}
			return nil, websocket.CloseStatus(err)
		}
		var m msg
		if json.Unmarshal(b, &m) == nil && m.str("type") == typ {
			return m, -1
		}
	}
}

// TestClusterTeam signs in through one edge and acts through the other
// with the roles of the account; revoking the session is refused at once
// over HTTP through every edge and closes its WebSocket on an edge within
// seconds; an expired API token is refused through an edge.
func TestClusterTeam(t *testing.T) {
	c := startCluster(t)
	f := newFixture(t, c.edgeA.URL, "TEAM26", 2)
	must(t, c.edgeA.URL, "POST", "/api/accounts", map[string]any{"login": "ops", "display_name": "Room ops", "password": "runs-the-room-1",
		"grants": []map[string]any{{"role": "operator", "event_id": f.EventID, "room_id": f.RoomID}}}, nil)

	req, _ := http.NewRequest(http.MethodPost, c.edgeB.URL+"/api/login", strings.NewReader(`{"login":"ops","password":"runs-the-room-1"}`))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		CSRF string `json:"csrf_token"`
	}
	_ = json.NewDecoder(res.Body).Decode(&login)
	res.Body.Close()
	var cookie string
	for _, ck := range res.Cookies() {
		if ck.Name == api.SessionCookie {
			cookie = ck.Value
		}
	}
	if res.StatusCode != http.StatusOK || cookie == "" {
		t.Fatalf("login through edge B: %d", res.StatusCode)
	}

	screen := fmt.Sprintf("/api/rooms/%d/screen", f.RoomID)
	if st, body := teamRequest(t, c.edgeA.URL, "PUT", screen, cookie, login.CSRF, "", map[string]string{"screen": "lobby"}); st != http.StatusOK {
		t.Fatalf("the operator's room through edge A: %d %s", st, body)
	}
	if st, body := teamRequest(t, c.edgeA.URL, "PATCH", "/api/events/TEAM26", cookie, login.CSRF, "", map[string]string{"title": "x"}); st != http.StatusForbidden || !strings.Contains(body, `"needs_role":"organiser"`) {
		t.Fatalf("building the event through edge A: %d %s", st, body)
	}

	ws := dialAs(t, c.edgeB.URL, cookie)
	if w, _ := readUntil(t, ws, "welcome", 10*time.Second); w["moderator"] != true {
		t.Fatalf("welcome on edge B: %v", w)
	}
	b, _ := json.Marshal(map[string]string{"type": "subscribe", "topic": hub.ControlTopic(f.EventID)})
	if err := ws.Write(context.Background(), websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
	readUntil(t, ws, "snapshot", 10*time.Second)

	_, body := teamRequest(t, c.edgeB.URL, "GET", "/api/me/sessions", cookie, "", "", nil)
	var mine struct {
		Current string `json:"current"`
	}
	if json.Unmarshal([]byte(body), &mine) != nil || mine.Current == "" {
		t.Fatalf("my sessions: %s", body)
	}
	must(t, c.edgeA.URL, "DELETE", "/api/sessions/"+mine.Current, nil, nil)
	revoked := time.Now()
	for _, edge := range []*process{c.edgeA, c.edgeB} {
		if st, body := teamRequest(t, edge.URL, "PUT", screen, cookie, login.CSRF, "", map[string]string{"screen": "current"}); st != http.StatusUnauthorized {
			t.Fatalf("a revoked session through %s: %d %s", edge.URL, st, body)
		}
	}
	if _, code := readUntil(t, ws, "no-such-message", 10*time.Second); code != api.CloseSessionEnded {
		t.Fatalf("the revoked session's WebSocket on edge B closed with %d, want %d", code, api.CloseSessionEnded)
	}
	t.Logf("the revoked session's WebSocket on an edge closed %v after the revocation", time.Since(revoked).Round(10*time.Millisecond))

	// An expired token, written where the core keeps its tokens.
	db, err := store.Open(filepath.Join(c.coreDir, "ovation.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ops, err := db.AccountByLogin(context.Background(), "ops")
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Minute)
	if err := db.SaveToken(context.Background(), &live.APIToken{AccountID: ops.ID, Name: "old", Hash: api.HashAPIToken("ovt_expired_one"),
		Grant: ops.Grants[0], ExpiresAt: &past}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if st, body := teamRequest(t, c.edgeB.URL, "PUT", screen, "", "", "ovt_expired_one", map[string]string{"screen": "current"}); st != http.StatusUnauthorized || !strings.Contains(body, "expired") {
		t.Fatalf("an expired token through edge B: %d %s", st, body)
	}
}
