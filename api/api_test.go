package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ovation-live/ovation/cluster"
	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
	"github.com/ovation-live/ovation/static"
	"github.com/ovation-live/ovation/store"
	"golang.org/x/crypto/bcrypt"
)

const (
	testPassword = "correct horse battery"
	testAPIToken = "test-api-token-0123456789abcdef"
	evilOrigin   = "https://evil.example"
)

// testPasswordHash is a bcrypt hash of testPassword at the lowest cost, so
// that login tests do not spend seconds in bcrypt under -race.
var testPasswordHash = sync.OnceValue(func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
})

// testServer is the real server wired as cmd/ovation wires it (SQLite file,
// hub, engine, API) behind an httptest.Server on a loopback port.
type testServer struct {
	URL    string // base URL, http://127.0.0.1:port
	Origin string // the allowed browser origin (equal to URL unless cfg says otherwise)
	Token  string // the moderator API token (Authorization: Bearer)
	Close  func() // stops every goroutine the server started; idempotent, also run by tb.Cleanup

	srv    *Server
	engine *show.Engine
}

// newTestServer starts a server with cfg. Zero fields of cfg get test values:
// a fixed token secret, testPassword, testAPIToken, and the server's own
// origin as the only allowed origin.
func newTestServer(tb testing.TB, cfg Config) *testServer {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(filepath.Join(tb.TempDir(), "ovation.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		tb.Fatal(err)
	}
	h := hub.New(hub.Options{})
	engine := show.NewEngine(db, h, show.Options{TallyInterval: 20 * time.Millisecond, Logger: log})
	if err := engine.Load(context.Background()); err != nil {
		db.Close()
		tb.Fatal(err)
	}

	hs := httptest.NewUnstartedServer(nil) // its listener is open: the origin is known before api.New
	base := "http://" + hs.Listener.Addr().String()
	if cfg.TokenSecret == nil {
		cfg.TokenSecret = []byte("test-token-secret")
	}
	if cfg.PasswordHash == "" {
		cfg.PasswordHash = testPasswordHash()
	}
	if cfg.APITokenHash == "" {
		cfg.APITokenHash = HashAPIToken(testAPIToken)
	}
	if cfg.PasswordCost == 0 {
		cfg.PasswordCost = bcrypt.MinCost // accounts' passwords: seconds under -race at the default cost
	}
	if cfg.AllowedOrigins == nil {
		cfg.AllowedOrigins = []string{base}
	}
	srv := New(Deps{Config: cfg, Engine: engine, Hub: h, Team: db, Audit: db, Pages: static.Files, Metrics: NewMetrics("single"), Log: log})
	hs.Config.Handler = srv
	hs.Start()

	bg, stopBG := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); engine.Run(bg) }()
	go func() { defer wg.Done(); srv.Run(bg) }()

	var once sync.Once
	stop := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			srv.Shutdown(ctx) // close WebSockets "going away" and wait for their loops
			hs.Close()        // stop accepting; wait for plain HTTP requests
			stopBG()
			wg.Wait()
			if err := db.Close(); err != nil {
				tb.Errorf("close store: %v", err)
			}
		})
	}
	tb.Cleanup(stop)
	return &testServer{URL: base, Origin: cfg.AllowedOrigins[0], Token: testAPIToken, Close: stop, srv: srv, engine: engine}
}

// response is an HTTP answer, read whole.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// code returns the error code of a {"error":{"code":…}} body, or "".
func (r response) code() string {
	var b errorBody
	_ = json.Unmarshal(r.Body, &b)
	return b.Error.Code
}

// do sends a request. body is nil (none), []byte or string (raw, with
// Content-Length), an io.Reader (raw, chunked) or a value sent as JSON.
// hdr lists header names and values in pairs.
func (ts *testServer) do(tb testing.TB, method, path string, body any, hdr ...string) response {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, ts.URL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{res.StatusCode, res.Header, b}
}

func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// mod sends a moderator request with the API token, fails the test unless
// it succeeds, and decodes the answer into out (if not nil).
func (ts *testServer) mod(tb testing.TB, method, path string, body, out any) {
	tb.Helper()
	r := ts.do(tb, method, path, body, bearer(ts.Token)...)
	if r.Status/100 != 2 {
		tb.Fatalf("%s %s: status %d: %s", method, path, r.Status, r.Body)
	}
	if out != nil {
		if err := json.Unmarshal(r.Body, out); err != nil {
			tb.Fatalf("%s %s: decode %s: %v", method, path, r.Body, err)
		}
	}
}

// wantError fails the test unless r is an error with this status and code.
func wantError(tb testing.TB, r response, status int, code string) {
	tb.Helper()
	if r.Status != status || r.code() != code {
		tb.Fatalf("got status %d code %q (%s), want %d %q", r.Status, r.code(), live.Truncate(string(r.Body), 200), status, code)
	}
}

// wantRetryAfter fails the test unless r has a Retry-After of whole seconds
// from lo to hi.
func wantRetryAfter(tb testing.TB, r response, lo, hi int) {
	tb.Helper()
	n, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || n < lo || n > hi {
		tb.Fatalf("Retry-After %q, want %d to %d seconds", r.Header.Get("Retry-After"), lo, hi)
	}
}

// state is everything a moderator can see of an event: its model, its
// committed results and its audit log. Bad input must leave it unchanged.
func (ts *testServer) state(tb testing.TB, code string) string {
	tb.Helper()
	var model, results, audit json.RawMessage
	ts.mod(tb, "GET", "/api/events/"+code+"/model", nil, &model)
	ts.mod(tb, "GET", "/api/events/"+code+"/results", nil, &results)
	ts.mod(tb, "GET", "/api/events/"+code+"/audit", nil, &audit)
	return string(model) + "\n" + string(results) + "\n" + string(audit)
}

// fixture is an event whose main room runs a round of three pitches (the
// first closed, the second open for votes, the third pending) and an open
// keypad poll of three choices.
type fixture struct {
	Code     string
	JuryCode string
	EventID  int64
	RoomID   int64
	RoundID  int64
	Pitches  [3]int64
	PollID   int64
}

func (f fixture) closedPitch() string  { return "pitch:" + strconv.FormatInt(f.Pitches[0], 10) }
func (f fixture) openPitch() string    { return "pitch:" + strconv.FormatInt(f.Pitches[1], 10) }
func (f fixture) pendingPitch() string { return "pitch:" + strconv.FormatInt(f.Pitches[2], 10) }
func (f fixture) poll() string         { return "poll:" + strconv.FormatInt(f.PollID, 10) }

func newFixture(tb testing.TB, ts *testServer, code string) fixture {
	tb.Helper()
	f := fixture{Code: code, JuryCode: code + "J"}
	var ev live.Event
	ts.mod(tb, "POST", "/api/events", map[string]any{"code": code, "title": "Event " + code, "jury_code": f.JuryCode, "jury_weight": 30}, &ev)
	f.EventID = ev.ID
	var m show.Model
	ts.mod(tb, "GET", "/api/events/"+code+"/model", nil, &m)
	f.RoomID = m.Rooms[0].ID
	var round live.Round
	ts.mod(tb, "POST", "/api/events/"+code+"/rounds", map[string]any{"room_id": f.RoomID, "title": "Finals", "scale": 5}, &round)
	f.RoundID = round.ID
	for i, team := range []string{"=Solaris", "Kelp Labs", "Quill"} {
		var p live.Pitch
		ts.mod(tb, "POST", fmt.Sprintf("/api/rounds/%d/pitches", f.RoundID), map[string]any{"team": team, "presenter": "P" + strconv.Itoa(i)}, &p)
		f.Pitches[i] = p.ID
	}
	var poll live.Poll
	ts.mod(tb, "POST", "/api/events/"+code+"/polls", map[string]any{"room_id": f.RoomID, "question": "Best talk?", "kind": "choices",
		"choices": []string{"Keynote", "Panel", "Demo"}, "show_results": true}, &poll)
	f.PollID = poll.ID
	for _, path := range []string{
		fmt.Sprintf("/api/rounds/%d/actions/start", f.RoundID),
		fmt.Sprintf("/api/pitches/%d/actions/open", f.Pitches[0]),
		fmt.Sprintf("/api/rounds/%d/actions/next", f.RoundID), // closes the first pitch's voting
		fmt.Sprintf("/api/pitches/%d/actions/open", f.Pitches[1]),
		fmt.Sprintf("/api/polls/%d/actions/open", f.PollID),
	} {
		ts.mod(tb, "POST", path, nil, nil)
	}
	return f
}

// join makes a participant of the event and returns the join answer.
func (ts *testServer) join(tb testing.TB, code string, req map[string]any) joinResponse {
	tb.Helper()
	if req == nil {
		req = map[string]any{}
	}
	r := ts.do(tb, "POST", "/api/events/"+code+"/join", req)
	if r.Status != http.StatusOK {
		tb.Fatalf("join %s: status %d: %s", code, r.Status, r.Body)
	}
	var out joinResponse
	if err := json.Unmarshal(r.Body, &out); err != nil {
		tb.Fatal(err)
	}
	return out
}

// vote casts a vote over HTTP and returns the answer.
func (ts *testServer) vote(tb testing.TB, token, voteID, target string, value int, hdr ...string) response {
	tb.Helper()
	return ts.do(tb, "POST", "/api/votes", map[string]any{"vote_id": voteID, "target": target, "value": value},
		append(bearer(token), hdr...)...)
}

// login logs the moderator in and returns the session cookie and CSRF token.
func (ts *testServer) login(tb testing.TB) (*http.Cookie, string) {
	tb.Helper()
	r := ts.do(tb, "POST", "/api/login", map[string]string{"password": testPassword})
	if r.Status != http.StatusOK {
		tb.Fatalf("login: status %d: %s", r.Status, r.Body)
	}
	var body struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || body.CSRF == "" {
		tb.Fatalf("login: no csrf_token in %s", r.Body)
	}
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == SessionCookie {
			return c, body.CSRF
		}
	}
	tb.Fatalf("login: no %s cookie in %v", SessionCookie, r.Header)
	return nil, ""
}

// signed returns a participant token signed with secret.
func signed(secret string, c tokenClaims) string {
	return (&Server{cfg: Config{TokenSecret: []byte(secret)}}).signToken(c)
}

func TestHTTPBadInputChangesNothing(t *testing.T) {
	ts := newTestServer(t, Config{})
	f := newFixture(t, ts, "BAD")
	voter := ts.join(t, f.Code, nil)
	other := newFixture(t, ts, "OTHER")
	outsider := ts.join(t, other.Code, nil)
	cookie, csrf := ts.login(t)
	// A first vote, so that "nothing changed" also covers existing votes.
	if r := ts.vote(t, voter.Token, "seed", f.openPitch(), 3); r.Status != http.StatusOK {
		t.Fatalf("seed vote: %d %s", r.Status, r.Body)
	}

	claims, err := ts.srv.verifyToken(voter.Token)
	if err != nil {
		t.Fatal(err)
	}
	expired := claims
	expired.Expires = time.Now().Add(-time.Minute).Unix()
	payload, sig, _ := strings.Cut(voter.Token, ".")
	otherClaims := claims
	otherClaims.ParticipantID++
	otherPayload, _, _ := strings.Cut(ts.srv.signToken(otherClaims), ".")
	badSig := []byte(sig)
	badSig[0] ^= 'A' ^ 'B'
	tokens := map[string]string{
		"expired":              ts.srv.signToken(expired),
		"forged with a secret": signed("not-the-secret", claims),
		"tampered payload":     otherPayload + "." + sig,
		"tampered signature":   payload + "." + string(badSig),
		"unsigned":             payload,
		"signature only":       "." + sig,
		"garbage":              "not a token",
		"api token":            testAPIToken,
		"empty":                "",
		"oversized":            payload + strings.Repeat("A", 600) + "." + sig,
	}

	room := "/api/events/" + f.Code + "/rooms"
	round := fmt.Sprintf("/api/rounds/%d", f.RoundID)
	pitch := func(i int) string { return fmt.Sprintf("/api/pitches/%d", f.Pitches[i]) }
	poll := fmt.Sprintf("/api/polls/%d", f.PollID)
	vote := func(target string, value int) map[string]any {
		return map[string]any{"vote_id": "v-bad", "target": target, "value": value}
	}
	big := `{"name":"` + strings.Repeat("x", 70<<10) + `"}`
	modAuth := bearer(ts.Token)
	cookieAuth := func(csrfValue string) []string {
		h := []string{"Cookie", cookie.Name + "=" + cookie.Value}
		if csrfValue != "" {
			h = append(h, CSRFHeader, csrfValue)
		}
		return h
	}

	type tc struct {
		name         string
		method, path string
		body         any
		hdr          []string
		status       int
		code         string
	}
	cases := []tc{
		// Bodies.
		{"malformed JSON is invalid", "POST", room, `{"name":`, modAuth, 400, live.EInvalid},
		{"not an object is invalid", "POST", room, `["Hall B"]`, modAuth, 400, live.EInvalid},
		{"wrong field type is invalid", "POST", room, `{"name":5}`, modAuth, 400, live.EInvalid},
		{"unknown field is invalid", "POST", room, `{"name":"Hall B","capacity":300}`, modAuth, 400, live.EInvalid},
		{"trailing object is invalid", "POST", room, `{"name":"Hall B"} {"name":"Hall C"}`, modAuth, 400, live.EInvalid},
		{"trailing garbage is invalid", "POST", room, `{"name":"Hall B"} x`, modAuth, 400, live.EInvalid},
		{"trailing brace is invalid", "POST", room, `{"name":"Hall B"}}`, modAuth, 400, live.EInvalid},
		{"trailing bracket is invalid", "POST", room, `{"name":"Hall B"}]`, modAuth, 400, live.EInvalid},
		{"empty body is invalid", "POST", room, "", modAuth, 400, live.EInvalid},
		{"empty chunked body is invalid", "POST", room, io.MultiReader(), modAuth, 400, live.EInvalid},
		{"missing required field is invalid", "POST", room, `{}`, modAuth, 400, live.EInvalid},
		{"oversized body is too large", "POST", room, big, modAuth, 413, ETooLarge},
		{"oversized chunked body is too large", "POST", room, io.MultiReader(strings.NewReader(big)), modAuth, 413, ETooLarge},
		{"oversized valid prefix then padding is too large", "POST", room,
			io.MultiReader(strings.NewReader(`{"name":"Hall B"}` + strings.Repeat(" ", 70<<10))), modAuth, 413, ETooLarge},
		{"oversized vote is too large", "POST", "/api/votes", `{"vote_id":"` + strings.Repeat("v", 70<<10) + `"}`, bearer(voter.Token), 413, ETooLarge},
		{"malformed action body is invalid", "POST", pitch(1) + "/actions/timer_extend", `{"seconds":"ten"}`, modAuth, 400, live.EInvalid},
		{"unknown action field is invalid", "POST", pitch(1) + "/actions/close", `{"force":true}`, modAuth, 400, live.EInvalid},
		{"out-of-range extend is invalid", "POST", pitch(1) + "/actions/timer_extend", `{"seconds":9000}`, modAuth, 400, live.EInvalid},
		{"invalid event field is invalid", "PATCH", "/api/events/" + f.Code, `{"color":"red"}`, modAuth, 400, live.EInvalid},
		{"taken event code is a conflict", "PATCH", "/api/events/" + f.Code, `{"code":"OTHER"}`, modAuth, 409, live.EConflict},
		{"reorder missing a pitch is invalid", "PUT", round + "/order", map[string]any{"pitch_ids": f.Pitches[:2]}, modAuth, 400, live.EInvalid},
		{"unknown screen is invalid", "PUT", fmt.Sprintf("/api/rooms/%d/screen", f.RoomID), `{"screen":"disco"}`, modAuth, 400, live.EInvalid},
		{"missing screen is invalid", "PUT", fmt.Sprintf("/api/rooms/%d/screen", f.RoomID), `{}`, modAuth, 400, live.EInvalid},
		{"screen of an unknown room is not found", "PUT", "/api/rooms/999999/screen", `{"screen":"lobby"}`, modAuth, 404, live.ENotFound},
		{"screen without auth is unauthorized", "PUT", fmt.Sprintf("/api/rooms/%d/screen", f.RoomID), `{"screen":"lobby"}`, nil, 401, live.EUnauthorized},

		// Ids.
		{"unknown event is not found", "GET", "/api/events/NOPE/model", nil, modAuth, 404, live.ENotFound},
		{"join unknown event is not found", "POST", "/api/events/NOPE/join", `{}`, nil, 404, live.ENotFound},
		{"unknown room is not found", "PATCH", "/api/rooms/999999", `{"name":"x"}`, modAuth, 404, live.ENotFound},
		{"unknown round is not found", "POST", "/api/rounds/999999/actions/start", nil, modAuth, 404, live.ENotFound},
		{"unknown pitch is not found", "POST", "/api/pitches/999999/actions/open", nil, modAuth, 404, live.ENotFound},
		{"unknown pitch delete is not found", "DELETE", "/api/pitches/999999", nil, modAuth, 404, live.ENotFound},
		{"unknown poll is not found", "POST", "/api/polls/999999/actions/open", nil, modAuth, 404, live.ENotFound},
		{"non-numeric id is not found", "PATCH", "/api/rooms/abc", `{"name":"x"}`, modAuth, 404, live.ENotFound},
		{"negative id is not found", "POST", "/api/pitches/-1/actions/open", nil, modAuth, 404, live.ENotFound},
		{"zero id is not found", "POST", "/api/rounds/0/actions/start", nil, modAuth, 404, live.ENotFound},
		{"hex id is not found", "POST", "/api/polls/0x10/actions/open", nil, modAuth, 404, live.ENotFound},
		{"overflowing id is not found", "PATCH", "/api/rounds/99999999999999999999", `{"title":"x"}`, modAuth, 404, live.ENotFound},
		// Under /api, an unknown path is 404 and a known path with another
		// method is 405, with or without credentials (docs/protocol.md §13).
		{"unknown route is not found", "GET", "/api/nope", nil, modAuth, 404, live.ENotFound},
		{"unknown route without auth is not found", "GET", "/api/nope", nil, nil, 404, live.ENotFound},
		{"wrong method is not allowed", "PATCH", "/api/events/" + f.Code + "/audit", `{}`, modAuth, 405, EMethod},
		{"wrong method without moderator auth is not allowed", "PUT", "/api/votes", nil, bearer(voter.Token), 405, EMethod},
		{"wrong method outside the API is refused", "POST", "/healthz", nil, nil, 405, EMethod},

		// Actions and transitions.
		{"unknown round action is invalid", "POST", round + "/actions/explode", nil, modAuth, 400, live.EInvalid},
		{"unknown pitch action is invalid", "POST", pitch(1) + "/actions/detonate", nil, modAuth, 400, live.EInvalid},
		{"unknown poll action is invalid", "POST", poll + "/actions/Open", nil, modAuth, 400, live.EInvalid},
		{"starting a running round is a bad transition", "POST", round + "/actions/start", nil, modAuth, 409, live.ETransition},
		{"hiding an unrevealed ranking is a bad transition", "POST", round + "/actions/hide_ranking", nil, modAuth, 409, live.ETransition},
		{"closing a pending pitch is a bad transition", "POST", pitch(2) + "/actions/close", nil, modAuth, 409, live.ETransition},
		{"opening a pitch off stage is a bad transition", "POST", pitch(2) + "/actions/open", nil, modAuth, 409, live.ETransition},
		{"opening an open poll is a bad transition", "POST", poll + "/actions/open", nil, modAuth, 409, live.ETransition},
		{"timer on a pending pitch is a bad transition", "POST", pitch(2) + "/actions/timer_start", nil, modAuth, 409, live.ETransition},
		{"deleting a staged pitch is a bad transition", "DELETE", pitch(1), nil, modAuth, 409, live.ETransition},
		{"unknown results visibility is invalid", "PATCH", poll, `{"results":"sometimes"}`, modAuth, 400, live.EInvalid},
		{"results visibility of the wrong type is invalid", "PATCH", poll, `{"results":true}`, modAuth, 400, live.EInvalid},
		{"a correct choice out of range is invalid", "PATCH", poll, `{"correct":[4]}`, modAuth, 400, live.EInvalid},
		{"a correct choice as a letter is invalid", "PATCH", poll, `{"correct":["B"]}`, modAuth, 400, live.EInvalid},
		{"a correct answer on a scale poll is invalid", "POST", "/api/events/" + f.Code + "/polls",
			`{"room_id":` + strconv.FormatInt(f.RoomID, 10) + `,"question":"Rate","kind":"scale","scale_max":5,"correct":[1]}`, modAuth, 400, live.EInvalid},
		{"revealing a correct answer never marked is a bad transition", "POST", poll + "/actions/reveal_correct", nil, modAuth, 409, live.ETransition},
		{"hiding a correct answer not shown is a bad transition", "POST", poll + "/actions/hide_correct", nil, modAuth, 409, live.ETransition},
		{"unknown results format is invalid", "GET", "/api/events/" + f.Code + "/results?format=xml", nil, modAuth, 400, live.EInvalid},

		// Votes.
		{"vote on a closed pitch is refused", "POST", "/api/votes", vote(f.closedPitch(), 3), bearer(voter.Token), 409, live.EVotingClosed},
		{"vote on a pending pitch is refused", "POST", "/api/votes", vote(f.pendingPitch(), 3), bearer(voter.Token), 409, live.EVotingClosed},
		{"vote of zero is a bad value", "POST", "/api/votes", vote(f.openPitch(), 0), bearer(voter.Token), 400, live.EBadValue},
		{"vote of minus one is a bad value", "POST", "/api/votes", vote(f.openPitch(), -1), bearer(voter.Token), 400, live.EBadValue},
		{"vote above the scale is a bad value", "POST", "/api/votes", vote(f.openPitch(), 6), bearer(voter.Token), 400, live.EBadValue},
		{"vote above the choices is a bad value", "POST", "/api/votes", vote(f.poll(), 4), bearer(voter.Token), 400, live.EBadValue},
		{"huge vote value is a bad value", "POST", "/api/votes", vote(f.poll(), 1<<40), bearer(voter.Token), 400, live.EBadValue},
		{"fractional vote value is invalid", "POST", "/api/votes", `{"vote_id":"v-bad","target":"` + f.poll() + `","value":1.5}`, bearer(voter.Token), 400, live.EInvalid},
		{"vote without id is invalid", "POST", "/api/votes", map[string]any{"target": f.openPitch(), "value": 3}, bearer(voter.Token), 400, live.EInvalid},
		{"vote with a long id is invalid", "POST", "/api/votes", map[string]any{"vote_id": strings.Repeat("v", 65), "target": f.openPitch(), "value": 3}, bearer(voter.Token), 400, live.EInvalid},
		{"vote for a bad target is invalid", "POST", "/api/votes", vote("team:1", 3), bearer(voter.Token), 400, live.EInvalid},
		{"vote for an unknown pitch is not found", "POST", "/api/votes", vote("pitch:999999", 3), bearer(voter.Token), 404, live.ENotFound},
		{"vote in another event is not found", "POST", "/api/votes", vote(f.openPitch(), 3), bearer(outsider.Token), 404, live.ENotFound},
		{"vote without token is unauthorized", "POST", "/api/votes", vote(f.openPitch(), 3), nil, 401, live.EUnauthorized},
		{"vote with basic auth is unauthorized", "POST", "/api/votes", vote(f.openPitch(), 3), []string{"Authorization", "Basic " + voter.Token}, 401, live.EUnauthorized},
		{"me without token is unauthorized", "GET", "/api/me", nil, nil, 401, live.EUnauthorized},

		// Moderator authentication.
		{"moderator list without auth is unauthorized", "GET", "/api/events", nil, nil, 401, live.EUnauthorized},
		{"moderator create without auth is unauthorized", "POST", "/api/events", `{"code":"NEW","title":"New"}`, nil, 401, live.EUnauthorized},
		{"moderator action without auth is unauthorized", "POST", round + "/actions/reveal", nil, nil, 401, live.EUnauthorized},
		{"moderator results without auth is unauthorized", "GET", "/api/events/" + f.Code + "/results", nil, nil, 401, live.EUnauthorized},
		{"participant token is not a moderator", "POST", round + "/actions/reveal", nil, bearer(voter.Token), 401, live.EUnauthorized},
		{"participant token cannot read the model", "GET", "/api/events/" + f.Code + "/model", nil, bearer(voter.Token), 401, live.EUnauthorized},
		{"wrong API token is unauthorized", "POST", round + "/actions/reveal", nil, bearer(testAPIToken + "x"), 401, live.EUnauthorized},
		{"forged session cookie is unauthorized", "POST", round + "/actions/reveal", nil, []string{"Cookie", SessionCookie + "=" + strings.Repeat("0", 64), CSRFHeader, csrf}, 401, live.EUnauthorized},
		{"session without CSRF token is forbidden", "POST", round + "/actions/reveal", nil, cookieAuth(""), 403, live.EForbidden},
		{"session with wrong CSRF token is forbidden", "POST", round + "/actions/reveal", nil, cookieAuth(csrf + "0"), 403, live.EForbidden},
		{"session delete without CSRF token is forbidden", "DELETE", pitch(2), nil, cookieAuth(""), 403, live.EForbidden},
		{"session reset without CSRF token is forbidden", "POST", pitch(1) + "/actions/reset_votes", nil, cookieAuth(""), 403, live.EForbidden},
		{"session cookie with a participant bearer is unauthorized", "POST", round + "/actions/reveal", nil,
			append(cookieAuth(csrf), bearer(voter.Token)...), 401, live.EUnauthorized},
		{"wrong password is unauthorized", "POST", "/api/login", `{"password":"wrong"}`, nil, 401, live.EUnauthorized},
		{"session without cookie is unauthorized", "GET", "/api/session", nil, nil, 401, live.EUnauthorized},

		// Origins.
		{"vote from a foreign origin is forbidden", "POST", "/api/votes", vote(f.openPitch(), 4), append(bearer(voter.Token), "Origin", evilOrigin), 403, live.EForbidden},
		{"moderator call from a foreign origin is forbidden", "POST", round + "/actions/reveal", nil, append(cookieAuth(csrf), "Origin", evilOrigin), 403, live.EForbidden},
		{"login from a foreign origin is forbidden", "POST", "/api/login", `{"password":"` + testPassword + `"}`, []string{"Origin", evilOrigin}, 403, live.EForbidden},
		{"join from a foreign origin is forbidden", "POST", "/api/events/" + f.Code + "/join", `{}`, []string{"Origin", evilOrigin}, 403, live.EForbidden},
		{"null origin is forbidden", "POST", "/api/votes", vote(f.openPitch(), 4), append(bearer(voter.Token), "Origin", "null"), 403, live.EForbidden},
		{"other scheme origin is forbidden", "POST", "/api/votes", vote(f.openPitch(), 4), append(bearer(voter.Token), "Origin", strings.Replace(ts.Origin, "http:", "https:", 1)), 403, live.EForbidden},
	}
	for name, tok := range tokens {
		cases = append(cases, tc{"vote with " + name + " token is unauthorized", "POST", "/api/votes", vote(f.openPitch(), 4), bearer(tok), 401, live.EUnauthorized})
	}
	cases = append(cases, tc{"me with expired token is unauthorized", "GET", "/api/me", nil, bearer(tokens["expired"]), 401, live.EUnauthorized})

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := ts.state(t, f.Code)
			r := ts.do(t, c.method, c.path, c.body, c.hdr...)
			wantError(t, r, c.status, c.code)
			if r.Header.Get("Set-Cookie") != "" {
				t.Errorf("an error set a cookie: %s", r.Header.Get("Set-Cookie"))
			}
			if after := ts.state(t, f.Code); after != before {
				t.Errorf("state changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}

	t.Run("the voter's ballot is unchanged", func(t *testing.T) {
		r := ts.do(t, "GET", "/api/me", nil, bearer(voter.Token)...)
		var me struct{ Votes map[string]int }
		if err := json.Unmarshal(r.Body, &me); err != nil {
			t.Fatal(err)
		}
		if len(me.Votes) != 1 || me.Votes[f.openPitch()] != 3 {
			t.Errorf("votes = %v, want only %s=3", me.Votes, f.openPitch())
		}
	})
}

func TestOriginAllowlist(t *testing.T) {
	ts := newTestServer(t, Config{})
	f := newFixture(t, ts, "ORIG")
	p := ts.join(t, f.Code, nil)

	t.Run("allowed origin votes", func(t *testing.T) {
		if r := ts.vote(t, p.Token, "o1", f.openPitch(), 2, "Origin", ts.Origin); r.Status != http.StatusOK {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	})
	t.Run("no origin votes", func(t *testing.T) {
		if r := ts.vote(t, p.Token, "o2", f.poll(), 2); r.Status != http.StatusOK {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	})
	t.Run("origin with a path prefix is forbidden", func(t *testing.T) {
		wantError(t, ts.vote(t, p.Token, "o3", f.poll(), 1, "Origin", ts.Origin+".evil.example"), 403, live.EForbidden)
	})
}

func TestModeratorLogin(t *testing.T) {
	ts := newTestServer(t, Config{})
	f := newFixture(t, ts, "LOGIN")

	t.Run("wrong password sets no cookie", func(t *testing.T) {
		r := ts.do(t, "POST", "/api/login", map[string]string{"password": "nope"})
		wantError(t, r, 401, live.EUnauthorized)
		if len(r.Header.Values("Set-Cookie")) != 0 {
			t.Errorf("Set-Cookie on failed login: %v", r.Header.Values("Set-Cookie"))
		}
	})

	cookie, csrf := ts.login(t)
	t.Run("cookie is HttpOnly and SameSite=Strict", func(t *testing.T) {
		if !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/" || cookie.MaxAge <= 0 || len(cookie.Value) < 32 {
			t.Errorf("cookie = %+v", cookie)
		}
		if cookie.Secure {
			t.Errorf("Secure set without CookieSecure")
		}
	})
	withCookie := []string{"Cookie", cookie.Name + "=" + cookie.Value}

	t.Run("session returns the CSRF token", func(t *testing.T) {
		r := ts.do(t, "GET", "/api/session", nil, withCookie...)
		var s struct {
			Account live.Account `json:"account"`
			CSRF    string       `json:"csrf_token"`
		}
		if err := json.Unmarshal(r.Body, &s); err != nil || r.Status != 200 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if s.Account.Login != "admin" || s.CSRF != csrf {
			t.Errorf("session = %+v, want the first administrator with csrf %q", s, csrf)
		}
	})
	t.Run("reads need no CSRF token", func(t *testing.T) {
		if r := ts.do(t, "GET", "/api/events/"+f.Code+"/model", nil, withCookie...); r.Status != 200 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	})
	t.Run("writes with the CSRF token succeed and are audited as the first administrator", func(t *testing.T) {
		r := ts.do(t, "POST", "/api/events/"+f.Code+"/rooms", `{"name":"Hall B"}`, append(withCookie, CSRFHeader, csrf, "Origin", ts.Origin)...)
		if r.Status != http.StatusCreated {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		var audit []live.AuditEntry
		ts.mod(t, "GET", "/api/events/"+f.Code+"/audit", nil, &audit)
		if len(audit) == 0 || audit[0].Actor != "admin" || audit[0].Account != "admin" || audit[0].Token != "" || audit[0].Action != "create_room" {
			t.Errorf("latest audit entry = %+v", audit[:min(1, len(audit))])
		}
	})
	t.Run("the API token is the first administrator's, without CSRF", func(t *testing.T) {
		r := ts.do(t, "GET", "/api/session", nil, bearer(ts.Token)...)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"config_token":true`) || !strings.Contains(string(r.Body), `"login":"admin"`) {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	})
	t.Run("logout ends the session", func(t *testing.T) {
		r := ts.do(t, "POST", "/api/logout", nil, withCookie...)
		if r.Status != http.StatusNoContent {
			t.Fatalf("logout status %d: %s", r.Status, r.Body)
		}
		wantError(t, ts.do(t, "GET", "/api/session", nil, withCookie...), 401, live.EUnauthorized)
		wantError(t, ts.do(t, "POST", "/api/events/"+f.Code+"/rooms", `{"name":"Hall C"}`, append(withCookie, CSRFHeader, csrf)...), 401, live.EUnauthorized)
	})
}

func TestLoginRateLimit(t *testing.T) {
	ts := newTestServer(t, Config{})
	// The login limiter allows a burst of 10 attempts per IP, then 5 a minute.
	for i := range 10 {
		wantError(t, ts.do(t, "POST", "/api/login", map[string]string{"password": "guess" + strconv.Itoa(i)}), 401, live.EUnauthorized)
	}
	t.Run("the right password is refused once limited", func(t *testing.T) {
		r := ts.do(t, "POST", "/api/login", map[string]string{"password": testPassword})
		wantError(t, r, 429, live.ERateLimited)
		wantRetryAfter(t, r, 1, 12) // the next attempt comes back within 12 s (5 a minute)
		if len(r.Header.Values("Set-Cookie")) != 0 {
			t.Errorf("Set-Cookie while rate limited")
		}
	})
	t.Run("malformed attempts are refused before the limiter", func(t *testing.T) {
		wantError(t, ts.do(t, "POST", "/api/login", `{"password":`), 400, live.EInvalid)
	})
}

func TestJoinRateLimitPerIP(t *testing.T) {
	t.Run("direct clients cannot spoof X-Forwarded-For", func(t *testing.T) {
		ts := newTestServer(t, Config{JoinRate: 0.001, JoinBurst: 2})
		f := newFixture(t, ts, "JOIN")
		ts.join(t, f.Code, nil)
		ts.join(t, f.Code, nil)
		before := ts.state(t, f.Code)
		r := ts.do(t, "POST", "/api/events/"+f.Code+"/join", `{}`)
		wantError(t, r, 429, live.ERateLimited)
		wantRetryAfter(t, r, 900, 1000) // the limiter's wait at 0.001 joins a second
		wantError(t, ts.do(t, "POST", "/api/events/"+f.Code+"/join", `{}`, "X-Forwarded-For", "203.0.113.9"), 429, live.ERateLimited)
		if after := ts.state(t, f.Code); after != before {
			t.Errorf("state changed")
		}
	})
	t.Run("behind a trusted proxy each client has its own bucket", func(t *testing.T) {
		ts := newTestServer(t, Config{JoinRate: 0.001, JoinBurst: 1, TrustProxy: true})
		f := newFixture(t, ts, "PROXY")
		join := func(ip string) response {
			return ts.do(t, "POST", "/api/events/"+f.Code+"/join", `{}`, "X-Forwarded-For", ip)
		}
		if r := join("203.0.113.1"); r.Status != 200 {
			t.Fatalf("first join: %d %s", r.Status, r.Body)
		}
		wantError(t, join("203.0.113.1"), 429, live.ERateLimited)
		if r := join("203.0.113.2"); r.Status != 200 {
			t.Fatalf("other client: %d %s", r.Status, r.Body)
		}
	})
}

func TestVoteRateLimits(t *testing.T) {
	t.Run("per participant", func(t *testing.T) {
		ts := newTestServer(t, Config{VoteRate: 0.001, VoteBurst: 2})
		f := newFixture(t, ts, "VRATE")
		p := ts.join(t, f.Code, nil)
		// One bucket for both transports: a vote over the WebSocket, one over HTTP…
		c, _ := dialWS(t, ts, nil)
		wsAuth(t, c, p.Token)
		wsSend(t, c, map[string]any{"type": "vote", "vote_id": "v0", "target": f.openPitch(), "value": 2})
		expect(t, c, "ack")
		if r := ts.vote(t, p.Token, "v1", f.poll(), 2); r.Status != 200 {
			t.Fatalf("vote: %d %s", r.Status, r.Body)
		}
		// …and the next is refused on either.
		before := ts.state(t, f.Code)
		r := ts.vote(t, p.Token, "v2", f.openPitch(), 5)
		wantError(t, r, 429, live.ERateLimited)
		wantRetryAfter(t, r, 900, 1000)
		wsSend(t, c, map[string]any{"type": "vote", "vote_id": "v3", "target": f.openPitch(), "value": 5})
		if e := expectError(t, c, live.ERateLimited); e.VoteID != "v3" {
			t.Errorf("error vote_id %q", e.VoteID)
		}
		if after := ts.state(t, f.Code); after != before {
			t.Errorf("state changed")
		}
		// Another participant on the same IP is not limited by this one.
		q := ts.join(t, f.Code, nil)
		if r := ts.vote(t, q.Token, "q0", f.openPitch(), 1); r.Status != 200 {
			t.Fatalf("other participant: %d %s", r.Status, r.Body)
		}
	})
	t.Run("per IP", func(t *testing.T) {
		ts := newTestServer(t, Config{IPVoteRate: 0.001, IPVoteBurst: 3})
		f := newFixture(t, ts, "IPRATE")
		a, b := ts.join(t, f.Code, nil), ts.join(t, f.Code, nil)
		for i, v := range []struct {
			token, target string
		}{{a.Token, f.openPitch()}, {a.Token, f.poll()}, {b.Token, f.openPitch()}} {
			if r := ts.vote(t, v.token, "v"+strconv.Itoa(i), v.target, 2); r.Status != 200 {
				t.Fatalf("vote %d: %d %s", i, r.Status, r.Body)
			}
		}
		before := ts.state(t, f.Code)
		r := ts.vote(t, b.Token, "v3", f.poll(), 2)
		wantError(t, r, 429, live.ERateLimited)
		wantRetryAfter(t, r, 900, 1000)
		if after := ts.state(t, f.Code); after != before {
			t.Errorf("state changed")
		}
	})
}

func TestJoinAndRejoin(t *testing.T) {
	ts := newTestServer(t, Config{})
	f := newFixture(t, ts, "REJOIN")
	other := newFixture(t, ts, "ELSEWHERE")

	first := ts.join(t, f.Code, map[string]any{"display_name": "Ana"})
	if first.ID == 0 || first.Token == "" || first.Jury || first.DisplayName != "Ana" || first.Event.Code != f.Code {
		t.Fatalf("join = %+v", first)
	}
	if r := ts.vote(t, first.Token, "a1", f.openPitch(), 4); r.Status != 200 {
		t.Fatalf("vote: %d %s", r.Status, r.Body)
	}

	t.Run("rejoin with the token keeps the participant", func(t *testing.T) {
		again := ts.join(t, f.Code, map[string]any{"token": first.Token})
		if again.ID != first.ID || again.DisplayName != "Ana" {
			t.Fatalf("rejoin = %+v, want participant %d", again, first.ID)
		}
		r := ts.do(t, "GET", "/api/me", nil, bearer(again.Token)...)
		var me struct {
			ID    int64          `json:"participant_id"`
			Votes map[string]int `json:"votes"`
		}
		if err := json.Unmarshal(r.Body, &me); err != nil || me.ID != first.ID || me.Votes[f.openPitch()] != 4 {
			t.Fatalf("me = %s", r.Body)
		}
	})
	t.Run("rejoin with a new name keeps the participant and renames", func(t *testing.T) {
		again := ts.join(t, f.Code, map[string]any{"token": first.Token, "display_name": "Ana L."})
		if again.ID != first.ID || again.DisplayName != "Ana L." {
			t.Fatalf("rejoin = %+v", again)
		}
	})
	t.Run("a token of another event makes a new participant", func(t *testing.T) {
		again := ts.join(t, other.Code, map[string]any{"token": first.Token})
		if again.ID == first.ID || again.Event.Code != other.Code {
			t.Fatalf("join other = %+v", again)
		}
	})
	t.Run("an expired token makes a new participant", func(t *testing.T) {
		c, _ := ts.srv.verifyToken(first.Token)
		c.Expires = time.Now().Add(-time.Second).Unix()
		again := ts.join(t, f.Code, map[string]any{"token": ts.srv.signToken(c)})
		if again.ID == first.ID {
			t.Fatalf("expired token rejoined as %d", again.ID)
		}
	})
	t.Run("a forged token makes a new participant", func(t *testing.T) {
		c, _ := ts.srv.verifyToken(first.Token)
		again := ts.join(t, f.Code, map[string]any{"token": signed("guess", c)})
		if again.ID == first.ID {
			t.Fatalf("forged token rejoined as %d", again.ID)
		}
	})
	t.Run("the jury code makes a jury member", func(t *testing.T) {
		jury := ts.join(t, f.Code, map[string]any{"jury_code": strings.ToLower(f.JuryCode)})
		if !jury.Jury {
			t.Fatalf("jury join = %+v", jury)
		}
		again := ts.join(t, f.Code, map[string]any{"token": jury.Token, "jury_code": f.JuryCode})
		if again.ID != jury.ID || !again.Jury {
			t.Fatalf("jury rejoin = %+v, want %d", again, jury.ID)
		}
		// An audience token upgraded with the jury code is a new (jury) participant.
		up := ts.join(t, f.Code, map[string]any{"token": first.Token, "jury_code": f.JuryCode})
		if up.ID == first.ID || !up.Jury {
			t.Fatalf("upgrade = %+v", up)
		}
	})
	t.Run("a wrong jury code is forbidden", func(t *testing.T) {
		wantError(t, ts.do(t, "POST", "/api/events/"+f.Code+"/join", `{"jury_code":"NOPE"}`), 403, live.EForbidden)
	})
	t.Run("the body is a JSON object, at least {}", func(t *testing.T) {
		join := "/api/events/" + f.Code + "/join"
		for name, body := range map[string]string{"empty": "", "blank": " \n", "an array": "[]", "a string": `"Ana"`} {
			r := ts.do(t, "POST", join, body)
			wantError(t, r, 400, live.EInvalid)
			if name == "an array" && !strings.Contains(string(r.Body), "the body must be a JSON object") {
				t.Errorf("%s: %s, want the body must be a JSON object", name, r.Body)
			}
		}
		// null decodes as {}, and the body is read as JSON whatever its Content-Type.
		for _, body := range []string{"null", "{}"} {
			if r := ts.do(t, "POST", join, body, "Content-Type", "text/plain"); r.Status != 200 {
				t.Errorf("%s: status %d %s, want 200", body, r.Status, r.Body)
			}
		}
	})
	t.Run("the jury code is trimmed and case-insensitive", func(t *testing.T) {
		if j := ts.join(t, f.Code, map[string]any{"jury_code": " " + strings.ToLower(f.JuryCode) + "\t"}); !j.Jury {
			t.Fatalf("join = %+v, want a jury member", j)
		}
		wantError(t, ts.do(t, "POST", "/api/events/"+f.Code+"/join", `{"jury_code":" "}`), 403, live.EForbidden)
	})
	t.Run("a display name counts characters, not bytes", func(t *testing.T) {
		if j := ts.join(t, f.Code, map[string]any{"display_name": strings.Repeat("é", 60)}); j.DisplayName != strings.Repeat("é", 60) {
			t.Fatalf("display name = %q", j.DisplayName)
		}
		wantError(t, ts.do(t, "POST", "/api/events/"+f.Code+"/join", map[string]string{"display_name": strings.Repeat("é", 61)}), 400, live.EInvalid)
	})
	t.Run("a long display name is invalid", func(t *testing.T) {
		wantError(t, ts.do(t, "POST", "/api/events/"+f.Code+"/join", map[string]string{"display_name": strings.Repeat("n", 61)}), 400, live.EInvalid)
	})
	t.Run("a token lives TokenTTL", func(t *testing.T) {
		if d := time.Until(time.Unix(first.ExpiresAt, 0)); d < 71*time.Hour || d > 73*time.Hour {
			t.Errorf("expires in %v, want about 72 h", d)
		}
	})
}

func TestTokenTTL(t *testing.T) {
	ts := newTestServer(t, Config{TokenTTL: time.Second})
	f := newFixture(t, ts, "TTL")
	p := ts.join(t, f.Code, nil)
	if p.ExpiresAt > time.Now().Add(2*time.Second).Unix() {
		t.Fatalf("expires_at %d is not within TokenTTL", p.ExpiresAt)
	}
	// Wait on the clock for the expiry the token states, not a guess.
	deadline := time.Unix(p.ExpiresAt, 0)
	<-time.After(time.Until(deadline) + 10*time.Millisecond)
	before := ts.state(t, f.Code)
	wantError(t, ts.vote(t, p.Token, "late", f.openPitch(), 3), 401, live.EUnauthorized)
	if after := ts.state(t, f.Code); after != before {
		t.Errorf("state changed")
	}
}

func TestResultsExport(t *testing.T) {
	ts := newTestServer(t, Config{})
	f := newFixture(t, ts, "RESULTS")
	for i, v := range []int{5, 3} {
		p := ts.join(t, f.Code, nil)
		if r := ts.vote(t, p.Token, "r"+strconv.Itoa(i), f.openPitch(), v); r.Status != 200 {
			t.Fatalf("vote: %d %s", r.Status, r.Body)
		}
		if r := ts.vote(t, p.Token, "q"+strconv.Itoa(i), f.poll(), i+1); r.Status != 200 {
			t.Fatalf("vote: %d %s", r.Status, r.Body)
		}
	}
	jury := ts.join(t, f.Code, map[string]any{"jury_code": f.JuryCode})
	if r := ts.vote(t, jury.Token, "j", f.openPitch(), 2); r.Status != 200 {
		t.Fatalf("jury vote: %d %s", r.Status, r.Body)
	}

	t.Run("JSON", func(t *testing.T) {
		r := ts.do(t, "GET", "/api/events/"+f.Code+"/results?format=json", nil, bearer(ts.Token)...)
		if r.Status != 200 || !strings.Contains(r.Header.Get("Content-Disposition"), f.Code+"-results.json") {
			t.Fatalf("status %d, disposition %q", r.Status, r.Header.Get("Content-Disposition"))
		}
		var res struct { // the documented JSON: a poll's results sit beside "poll"
			Rounds []show.RoundResults `json:"rounds"`
			Polls  []struct {
				Poll   live.Poll `json:"poll"`
				Counts []int64   `json:"counts"`
			} `json:"polls"`
		}
		if err := json.Unmarshal(r.Body, &res); err != nil {
			t.Fatal(err)
		}
		if len(res.Rounds) != 1 || len(res.Polls) != 1 {
			t.Fatalf("results = %s", r.Body)
		}
		for _, e := range res.Rounds[0].Ranking {
			if e.PitchID == f.Pitches[1] && (e.Audience.Count != 2 || e.Audience.Mean != 4 || e.Jury.Count != 1) {
				t.Errorf("open pitch entry = %+v", e)
			}
		}
		if got := res.Polls[0].Counts; len(got) != 3 || got[0] != 1 || got[1] != 1 || got[2] != 0 {
			t.Errorf("poll counts = %v", got)
		}
	})
	t.Run("CSV", func(t *testing.T) {
		r := ts.do(t, "GET", "/api/events/"+f.Code+"/results?format=csv", nil, bearer(ts.Token)...)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("status %d, type %q", r.Status, r.Header.Get("Content-Type"))
		}
		rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1+3+3 || rows[0][0] != "kind" || rows[0][5] != "audience_votes" || rows[0][10] != "tie_break" {
			t.Fatalf("rows = %q", rows)
		}
		byItem := map[string][]string{}
		for _, row := range rows[1:] {
			byItem[row[3]] = row
		}
		if row := byItem["Kelp Labs"]; row == nil || row[5] != "2" || row[6] != "4.000" || row[7] != "1" {
			t.Errorf("Kelp Labs row = %q", row)
		}
		if byItem["'=Solaris"] == nil {
			t.Errorf("a team name starting with = is not defused: %q", rows)
		}
		if row := byItem["A Keynote"]; row == nil || row[0] != "poll" || row[5] != "1" {
			t.Errorf("poll row = %q", row)
		}
	})
}

func TestAuditRecordsResetVotes(t *testing.T) {
	ts := newTestServer(t, Config{})
	f := newFixture(t, ts, "AUDIT")
	p := ts.join(t, f.Code, nil)
	if r := ts.vote(t, p.Token, "a", f.openPitch(), 4); r.Status != 200 {
		t.Fatalf("vote: %d %s", r.Status, r.Body)
	}
	ts.mod(t, "POST", fmt.Sprintf("/api/pitches/%d/actions/reset_votes", f.Pitches[1]), nil, nil)

	var audit []live.AuditEntry
	ts.mod(t, "GET", "/api/events/"+f.Code+"/audit", nil, &audit)
	found := false
	for _, a := range audit {
		if a.Action == live.ResetVotes && a.Target == f.openPitch() && a.Actor == "admin token:api_token" && a.Account == "admin" && a.Token == "api_token" && a.EventID == f.EventID {
			found = true
		}
	}
	if !found {
		t.Fatalf("no reset_votes entry for %s in %+v", f.openPitch(), audit)
	}
	var res show.Results
	ts.mod(t, "GET", "/api/events/"+f.Code+"/results", nil, &res)
	for _, e := range res.Rounds[0].Ranking {
		if e.Audience.Count != 0 {
			t.Errorf("after reset %+v still has votes", e)
		}
	}
	r := ts.do(t, "GET", "/api/me", nil, bearer(p.Token)...)
	if strings.Contains(string(r.Body), f.openPitch()) {
		t.Errorf("me still shows the reset vote: %s", r.Body)
	}
	t.Run("a vote id spent before the reset stays spent", func(t *testing.T) {
		r := ts.vote(t, p.Token, "a", f.openPitch(), 4)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"status":"duplicate"`) {
			t.Fatalf("replay after reset: %d %s", r.Status, r.Body)
		}
	})
	t.Run("the next vote counts again", func(t *testing.T) {
		r := ts.vote(t, p.Token, "b", f.openPitch(), 2)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"status":"counted"`) {
			t.Fatalf("vote after reset: %d %s", r.Status, r.Body)
		}
	})
}

func TestHealthAndPages(t *testing.T) {
	ts := newTestServer(t, Config{})
	for _, path := range []string{"/healthz", "/readyz", "/", "/control", "/e/ANY", "/stage/ANY", "/static/app.css", "/metrics"} {
		if r := ts.do(t, "GET", path, nil); r.Status != 200 {
			t.Errorf("GET %s: %d", path, r.Status)
		}
	}
	wantError(t, ts.do(t, "GET", "/nope", nil), 404, live.ENotFound)
	// Static files come from http.FileServer, whose 404 is plain text.
	if r := ts.do(t, "GET", "/static/nope.css", nil); r.Status != 404 {
		t.Errorf("GET /static/nope.css: %d", r.Status)
	}
}

// TestServerStopsCleanly checks that the cleanup ends every goroutine the
// server started, with a WebSocket still open.
func TestServerStopsCleanly(t *testing.T) {
	ts := newTestServer(t, Config{})
	c, _ := dialWS(t, ts, nil)
	closed := c.CloseRead(context.Background()) // answers the server's close handshake
	// The committer, the engine, presence, and the WebSocket's reader, writer and pinger.
	if n := len(serverGoroutines()); n < 5 {
		t.Fatalf("found %d server goroutines to watch", n)
	}
	done := make(chan struct{})
	go func() { ts.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("server did not stop")
	}
	select {
	case <-closed.Done():
	case <-time.After(wsTimeout):
		t.Fatal("the WebSocket is still open")
	}
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(ts.URL, "http://"), time.Second); err == nil {
		t.Error("server still accepts connections")
	}
	// Goroutines end asynchronously after their owner returns: wait for them
	// against a deadline.
	http.DefaultClient.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		left := serverGoroutines()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines still running after Close:\n%s", strings.Join(left, "\n\n"))
		}
		<-tick.C
	}
}

// serverGoroutines returns the stacks of goroutines running code of the
// server's packages (methods of their types), not of the tests.
func serverGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, pkg := range []string{"ovation/api.(*", "ovation/stream.(*", "ovation/store.(*", "ovation/live.(*", "ovation/show.(*", "ovation/hub.(*"} {
			if strings.Contains(g, pkg) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// unreachableCore is the Edge of a cluster edge whose core does not answer.
type unreachableCore struct{}

func (unreachableCore) Do(context.Context, *http.Request, string) (*cluster.Response, error) {
	return nil, live.Errorf(live.EBusy, "The core did not answer in time.")
}

func (unreachableCore) Vote(context.Context, live.Voter, live.Vote, func(live.Receipt, error)) (live.Receipt, error) {
	return live.Receipt{}, live.Errorf(live.EBusy, "The service is degraded.")
}

func (unreachableCore) Degraded() bool { return true }

func TestRetryAfterWhenTheCoreIsOutOfReach(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := NewEdge(EdgeDeps{Config: Config{TokenSecret: []byte("test-token-secret"), PasswordHash: testPasswordHash()},
		Edge: unreachableCore{}, Hub: hub.New(hub.Options{}), Pages: static.Files, Metrics: NewMetrics("single"), Log: log})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	ts := &testServer{URL: hs.URL}
	r := ts.do(t, "GET", "/api/events/EDGE", nil)
	wantError(t, r, http.StatusServiceUnavailable, live.EBusy)
	wantRetryAfter(t, r, 1, 1) // DefaultRetryAfter: the edge does not know when the core comes back
	// The pages and their files are the edge's own: they load while no core acts.
	for _, path := range []string{"/e/EDGE", "/stage/EDGE", "/static/app.css"} {
		if r := ts.do(t, "GET", path, nil); r.Status != http.StatusOK {
			t.Errorf("GET %s with the core out of reach: %d, want 200", path, r.Status)
		}
	}
}

// TestVoteAnswerField votes with "answer", the general form of a vote's
// answer: for a one-number kind it is the same as "value"; an answer the
// kind does not take, or both fields, is refused and changes nothing.
func TestVoteAnswerField(t *testing.T) {
	ts := newTestServer(t, Config{VoteRate: 100, VoteBurst: 100})
	f := newFixture(t, ts, "ANSWER")
	p := ts.join(t, f.Code, nil)
	post := func(body map[string]any) response {
		return ts.do(t, "POST", "/api/votes", body, bearer(p.Token)...)
	}
	r := post(map[string]any{"vote_id": "a1", "target": f.openPitch(), "answer": 4})
	if r.Status != 200 || !strings.Contains(string(r.Body), `"answer":4`) || !strings.Contains(string(r.Body), `"status":"counted"`) {
		t.Fatalf("vote with answer 4: %d %s", r.Status, r.Body)
	}
	// The same vote id with the same answer as a value is the same vote.
	if r := post(map[string]any{"vote_id": "a1", "target": f.openPitch(), "value": 4}); r.Status != 200 || !strings.Contains(string(r.Body), `"duplicate"`) {
		t.Fatalf("replay as value: %d %s", r.Status, r.Body)
	}
	before := ts.state(t, f.Code)
	for _, k := range []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"both value and answer", map[string]any{"vote_id": "a2", "target": f.openPitch(), "value": 3, "answer": 3}, 400, live.EInvalid},
		{"a list for a score", map[string]any{"vote_id": "a3", "target": f.openPitch(), "answer": []int{3}}, 400, live.EBadValue},
		{"a string for a score", map[string]any{"vote_id": "a4", "target": f.openPitch(), "answer": "3"}, 400, live.EBadValue},
		{"a score above the scale", map[string]any{"vote_id": "a5", "target": f.openPitch(), "answer": 6}, 400, live.EBadValue},
		{"a choice beyond the choices", map[string]any{"vote_id": "a6", "target": f.poll(), "answer": 4}, 400, live.EBadValue},
		{"an answer over 1024 bytes", map[string]any{"vote_id": "a7", "target": f.openPitch(), "answer": strings.Repeat("x", 1100)}, 400, live.EBadValue},
	} {
		t.Run(k.name+" is refused", func(t *testing.T) {
			wantError(t, post(k.body), k.status, k.code)
		})
	}
	if after := ts.state(t, f.Code); after != before {
		t.Errorf("state changed")
	}
}
