package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ovation-live/ovation/board"
	"github.com/ovation-live/ovation/feed"
	"github.com/ovation-live/ovation/feedback"
	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/programme"
	"github.com/ovation-live/ovation/show"
	"github.com/ovation-live/ovation/store"
)

// publicRoutes are the routes anyone may call: the audience's, the pages,
// signing in. Every other route must appear in routeNeeds.
var publicRoutes = []string{
	"GET /healthz", "GET /readyz", "GET /metrics", "GET /ws",
	"GET /", "GET /e/:code", "GET /stage/:code", "GET /control", "GET /moments/:code", "GET /static/*",
	"GET /api/events/:code", "POST /api/events/:code/join", "GET /api/events/:code/qr.svg", "GET /api/me", "POST /api/votes",
	"GET /api/events/:code/feed", "POST /api/events/:code/feed/posts", "POST /api/events/:code/feed/webhook",
	"GET /api/events/:code/moments", "GET /api/events/:code/boards", "GET /api/events/:code/boards/:id/entries",
	"GET /api/events/:code/programme",
	"POST /api/events/:code/boards/:id/entries", "PUT /api/events/:code/entries/:id/upvote", "DELETE /api/events/:code/entries/:id/upvote",
	"POST /api/events/:code/pitches/:id/meeting-request", "DELETE /api/events/:code/pitches/:id/meeting-request",
	"PUT /api/polls/:id/answers/:answer/upvote", "DELETE /api/polls/:id/answers/:answer/upvote",
	"POST /api/login", "POST /api/logout",
	"GET /api/sign-in", "GET /api/oidc/login", "GET /api/oidc/callback",
}

// routeNeeds is, written apart from the server's table, what each team
// route needs: the role matrix below turns it into who may call it.
var routeNeeds = map[string]string{
	"GET /debug/pprof/*": "admin", "GET /debug/pprof/profile": "admin", "GET /debug/pprof/trace": "admin",
	"GET /api/session": "signed_in", "POST /api/logout-everywhere": "signed_in", "PUT /api/me/password": "signed_in",
	"GET /api/me/sessions": "signed_in", "DELETE /api/me/sessions/:id": "signed_in",
	"GET /api/me/tokens": "signed_in", "POST /api/me/tokens": "signed_in", "DELETE /api/me/tokens/:id": "signed_in",
	"GET /api/accounts": "admin", "POST /api/accounts": "admin", "GET /api/accounts/:id": "admin",
	"PATCH /api/accounts/:id": "admin", "DELETE /api/accounts/:id": "admin", "GET /api/accounts/:id/sessions": "admin",
	"DELETE /api/sessions/:id": "admin", "GET /api/tokens": "admin", "DELETE /api/tokens/:id": "admin", "GET /api/audit": "admin",
	"GET /api/events": "signed_in", "POST /api/events": "build",
	"GET /api/events/:code/model": "view", "PATCH /api/events/:code": "build", "POST /api/events/:code/rooms": "build",
	"PATCH /api/rooms/:id": "build", "PUT /api/rooms/:id/screen": "run",
	"POST /api/events/:code/rounds": "build", "PATCH /api/rounds/:id": "build", "POST /api/rounds/:id/pitches": "build",
	"PUT /api/rounds/:id/order": "build", "POST /api/rounds/:id/actions/:action": "run",
	"PATCH /api/pitches/:id": "build", "DELETE /api/pitches/:id": "build", "POST /api/pitches/:id/actions/:action": "run",
	"POST /api/events/:code/polls": "build", "PATCH /api/polls/:id": "build", "POST /api/polls/:id/actions/:action": "run",
	"POST /api/polls/:id/decisions":  "moderate",
	"POST /api/events/:code/quizzes": "build", "PATCH /api/quizzes/:id": "build", "POST /api/quizzes/:id/actions/:action": "run",
	"POST /api/events/:code/surveys": "build", "PATCH /api/surveys/:id": "build", "POST /api/surveys/:id/actions/:action": "run",
	"GET /api/surveys/:id/results":  "export",
	"GET /api/events/:code/results": "export", "GET /api/events/:code/audit": "export",
	"GET /api/events/:code/feed/items": "view", "POST /api/events/:code/feed/items/:id/actions/:action": "moderate",
	"GET /api/events/:code/feed/settings": "view", "PATCH /api/events/:code/feed/settings": "build",
	"POST /api/events/:code/feed/webhook-token": "build",
	"POST /api/events/:code/boards":             "build", "PATCH /api/events/:code/boards/:id": "build", "DELETE /api/events/:code/boards/:id": "build",
	"GET /api/events/:code/boards/:id/queue": "view", "POST /api/events/:code/boards/:id/highlight": "moderate",
	"POST /api/events/:code/boards/:id/poll": "build", "GET /api/events/:code/boards/:id/export": "export",
	"POST /api/events/:code/entries/:id/actions/:action": "moderate",
	"GET /api/events/:code/meeting-requests":             "export", "GET /api/events/:code/pitches/:id/meeting-requests.csv": "export",
	"GET /api/events/:code/report": "view", "GET /api/events/:code/pitches/:id/report": "view",
	"PUT /api/events/:code/programme/time-zone": "build", "POST /api/events/:code/programme/sessions": "build",
	"PATCH /api/events/:code/programme/sessions/:id": "build", "DELETE /api/events/:code/programme/sessions/:id": "build",
	"POST /api/events/:code/programme/import": "build",
	"GET /api/events/:code/feedback/settings": "view", "PUT /api/events/:code/feedback/settings": "build",
	"GET /api/events/:code/feedback/results": "export",
}

// member is a signed-in member of the team under test, and what the issue
// says they may do: needs they have on the event under test (TEAM), needs
// they have in its room A only, and whether they are an administrator.
type member struct {
	name    string
	grants  []live.Grant
	onEvent []string // needs held for the whole event TEAM
	inRoomA []string // needs held only for room A of TEAM
	admin   bool
	cookie  *http.Cookie
	csrf    string
}

// may reports whether m may call a route needing need, acting on the
// event (room 0) or on room A.
func (m *member) may(need string, room int64, roomA int64) bool {
	switch {
	case m.admin || need == "signed_in":
		return true
	case need == "admin":
		return false
	case room == -1: // the whole server (creating an event)
		return false
	case slices.Contains(m.onEvent, need):
		return true
	}
	return room == roomA && slices.Contains(m.inRoomA, need)
}

// teamFixture is a server with the feed and boards, an event TEAM with
// rooms A and B (each a round, pitches and a poll) and a board, another
// event OTHER, and one signed-in member per role.
type teamFixture struct {
	ts      *testServer
	db      *store.DB
	team    fixture // room A
	other   fixture
	roomB   int64
	roundB  int64
	pitchB  int64
	pollB   int64
	board   int64
	quiz    int64 // in room A
	survey  int64 // in room A
	members []*member
	spare   int64 // an account the table may delete
}

func newTeamFixture(t *testing.T) *teamFixture {
	t.Helper()
	tf := &teamFixture{}
	tf.ts, _ = newServiceServer(t, func(db *store.DB, engine *show.Engine, h *hub.Hub, d *Deps, log *slog.Logger) func(context.Context, *Server) {
		tf.db = db
		fs := feed.New(db, engine, h, feed.Options{Logger: log, FrameInterval: 10 * time.Millisecond})
		bs := board.New(db, engine, h, board.Options{Logger: log})
		d.Feed, d.Boards, d.Reports = fs, bs, db
		d.Programme = programme.New(db, engine, h, programme.Options{Logger: log})
		d.Feedback = feedback.New(db, engine, feedback.Options{Logger: log})
		return func(ctx context.Context, srv *Server) {
			var wg sync.WaitGroup
			wg.Go(func() { bs.Run(ctx) })
			wg.Go(func() { srv.Run(ctx) })
			fs.Run(ctx)
			wg.Wait()
		}
	})
	ts := tf.ts
	tf.team = newFixture(t, ts, "TEAM")
	tf.other = newFixture(t, ts, "OTHER")
	var room live.Room
	ts.mod(t, "POST", "/api/events/TEAM/rooms", map[string]string{"name": "Room B"}, &room)
	tf.roomB = room.ID
	var round live.Round
	ts.mod(t, "POST", "/api/events/TEAM/rounds", map[string]any{"room_id": tf.roomB, "title": "B", "scale": 5}, &round)
	tf.roundB = round.ID
	var pitch live.Pitch
	ts.mod(t, "POST", fmt.Sprintf("/api/rounds/%d/pitches", tf.roundB), map[string]any{"team": "Bee"}, &pitch)
	tf.pitchB = pitch.ID
	var poll live.Poll
	ts.mod(t, "POST", "/api/events/TEAM/polls", map[string]any{"room_id": tf.roomB, "question": "B?", "kind": "choices", "choices": []string{"x", "y"}}, &poll)
	tf.pollB = poll.ID
	var b struct {
		ID int64 `json:"id"`
	}
	ts.mod(t, "POST", "/api/events/TEAM/boards", map[string]any{"title": "Questions"}, &b)
	tf.board = b.ID
	var q live.Quiz
	ts.mod(t, "POST", "/api/events/TEAM/quizzes", map[string]any{"room_id": tf.team.RoomID, "title": "Geography"}, &q)
	tf.quiz = q.ID
	var sv live.Survey
	ts.mod(t, "POST", "/api/events/TEAM/surveys", map[string]any{"room_id": tf.team.RoomID, "title": "Feedback"}, &sv)
	tf.survey = sv.ID

	ev, roomA := tf.team.EventID, tf.team.RoomID
	tf.members = []*member{
		{name: "admin2", grants: []live.Grant{{Role: live.RoleAdmin}}, admin: true},
		{name: "organiser", grants: []live.Grant{{Role: live.RoleOrganiser, EventID: ev}}, onEvent: []string{"view", "run", "moderate", "build", "export"}},
		{name: "operator-a", grants: []live.Grant{{Role: live.RoleOperator, EventID: ev, RoomID: roomA}}, onEvent: []string{"view"}, inRoomA: []string{"run"}},
		{name: "operator-b", grants: []live.Grant{{Role: live.RoleOperator, EventID: ev, RoomID: tf.roomB}}, onEvent: []string{"view"}},
		{name: "moderator", grants: []live.Grant{{Role: live.RoleModerator, EventID: ev}}, onEvent: []string{"view", "moderate"}},
		{name: "viewer", grants: []live.Grant{{Role: live.RoleViewer, EventID: ev}}, onEvent: []string{"view"}},
		{name: "other-organiser", grants: []live.Grant{{Role: live.RoleOrganiser, EventID: tf.other.EventID}}},
		{name: "nobody", grants: []live.Grant{}},
	}
	for _, m := range tf.members {
		ts.mod(t, "POST", "/api/accounts", map[string]any{"login": m.name, "display_name": "The " + m.name, "password": "password-of-" + m.name, "grants": m.grants}, nil)
		m.cookie, m.csrf = tf.login(t, m.name, "password-of-"+m.name)
	}
	var spare live.Account
	ts.mod(t, "POST", "/api/accounts", map[string]any{"login": "spare", "display_name": "Spare", "grants": []live.Grant{}}, &spare)
	tf.spare = spare.ID
	return tf
}

// login signs in and returns the session cookie and CSRF token.
func (tf *teamFixture) login(tb testing.TB, login, password string) (*http.Cookie, string) {
	tb.Helper()
	r := tf.ts.do(tb, "POST", "/api/login", map[string]string{"login": login, "password": password})
	if r.Status != http.StatusOK {
		tb.Fatalf("login %s: status %d: %s", login, r.Status, r.Body)
	}
	var body struct {
		CSRF string `json:"csrf_token"`
	}
	_ = json.Unmarshal(r.Body, &body)
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == SessionCookie {
			return c, body.CSRF
		}
	}
	tb.Fatalf("login %s: no cookie", login)
	return nil, ""
}

// as sends a request as m (session cookie, CSRF token, allowed origin).
func (tf *teamFixture) as(tb testing.TB, m *member, method, path string, body any) response {
	tb.Helper()
	return tf.ts.do(tb, method, path, body, "Cookie", m.cookie.Name+"="+m.cookie.Value, CSRFHeader, m.csrf, "Origin", tf.ts.Origin)
}

// path fills a route's parameters with the fixture's ids (room A's
// targets) and returns it with the room it acts on (0: the event's; -1:
// the whole server).
func (tf *teamFixture) path(method, route string) (string, int64) {
	f := tf.team
	id := map[string]int64{"rooms": f.RoomID, "rounds": f.RoundID, "pitches": f.Pitches[1], "polls": f.PollID,
		"quizzes": tf.quiz, "surveys": tf.survey, "boards": tf.board, "entries": 1, "items": 1, "accounts": tf.spare, "sessions": 1, "tokens": 1}
	if method == http.MethodDelete && strings.HasPrefix(route, "/api/pitches/") {
		id["pitches"] = f.Pitches[2] // the pending pitch: the others stay for the routes after
	}
	parts := strings.Split(route, "/")
	room := int64(-1)
	for i, p := range parts {
		switch p {
		case ":code":
			parts[i], room = f.Code, 0
		case ":id":
			parts[i] = strconv.FormatInt(id[parts[i-1]], 10)
			if parts[i-1] == "sessions" || parts[i-1] == "tokens" {
				parts[i] = "999999"
			}
			if slices.Contains([]string{"rooms", "rounds", "pitches", "polls", "quizzes", "surveys"}, parts[i-1]) && i == 3 {
				room = f.RoomID
			}
		case ":action":
			parts[i] = "no-such-action"
		case "*":
			parts[i] = ""
		}
	}
	p := strings.Join(parts, "/")
	switch route {
	case "/debug/pprof/profile", "/debug/pprof/trace":
		p += "?seconds=1"
	}
	return p, room
}

// teamState is everything a team route could change, read as the first
// administrator's API token.
func (tf *teamFixture) teamState(tb testing.TB) string {
	tb.Helper()
	var b strings.Builder
	for _, path := range []string{"/api/events/TEAM/model", "/api/events/OTHER/model", "/api/audit?limit=5000", "/api/accounts", "/api/tokens",
		fmt.Sprintf("/api/events/TEAM/boards/%d/queue", tf.board), "/api/events/TEAM/feed/items?status=all", "/api/events/TEAM/feed/settings",
		"/api/events/TEAM/meeting-requests", "/api/events/TEAM/programme"} {
		r := tf.ts.do(tb, "GET", path, nil, bearer(tf.ts.Token)...)
		fmt.Fprintf(&b, "%d %s\n", r.Status, r.Body)
	}
	return b.String()
}

// refusedByRole reports whether r is the refusal of the team's roles.
func refusedByRole(r response) (bool, string) {
	var b errorBody
	_ = json.Unmarshal(r.Body, &b)
	return r.Status == http.StatusForbidden && b.Error.Code == live.EForbidden && b.Error.NeedsRole != "", b.Error.NeedsRole
}

// TestRoleTable calls every team route of the router as every role: each
// is refused, with no change and the role it needs, where the role
// matrix says so, and passes the role check everywhere else. A route the
// router has and neither publicRoutes nor routeNeeds lists fails.
func TestRoleTable(t *testing.T) {
	tf := newTeamFixture(t)
	type route struct{ method, path, need string }
	var routes []route
	seen := map[string]bool{}
	for _, r := range tf.ts.srv.echo.Routes() {
		key := r.Method + " " + r.Path
		if seen[key] || slices.Contains(publicRoutes, key) || r.Method == echo404 {
			continue
		}
		seen[key] = true
		need, ok := routeNeeds[key]
		if !ok {
			t.Errorf("route %s has no role in the test's table: add it to routeNeeds (or publicRoutes)", key)
			continue
		}
		routes = append(routes, route{r.Method, r.Path, need})
	}
	for key := range routeNeeds {
		if !seen[key] {
			t.Errorf("routeNeeds lists %s, which the router does not have", key)
		}
	}
	// Deletions last (they remove what later routes act on); logging out everywhere at the very end.
	rank := func(r route) int {
		switch {
		case r.path == "/api/logout-everywhere":
			return 2
		case r.method == http.MethodDelete:
			return 1
		}
		return 0
	}
	sort.SliceStable(routes, func(i, j int) bool { return rank(routes[i]) < rank(routes[j]) })

	for _, r := range routes {
		path, room := tf.path(r.method, r.path)
		var refused, allowed []*member
		for _, m := range tf.members {
			if m.may(r.need, room, tf.team.RoomID) {
				allowed = append(allowed, m)
			} else {
				refused = append(refused, m)
			}
		}
		var body any
		if r.method != http.MethodGet && r.method != http.MethodDelete {
			body = map[string]any{}
		}
		before := tf.teamState(t)
		for _, m := range refused {
			res := tf.as(t, m, r.method, path, body)
			if ok, role := refusedByRole(res); !ok {
				t.Errorf("%s %s as %s: status %d %s, want refused by role", r.method, path, m.name, res.Status, live.Truncate(string(res.Body), 160))
			} else if want := string(live.NeededRole(live.Permission(r.need))); role != want {
				t.Errorf("%s %s as %s: needs_role %q, want %q", r.method, path, m.name, role, want)
			}
		}
		if after := tf.teamState(t); after != before {
			t.Errorf("%s %s: refused calls changed the state", r.method, path)
		}
		for _, m := range allowed {
			res := tf.as(t, m, r.method, path, body)
			if ok, _ := refusedByRole(res); ok || res.Status == http.StatusUnauthorized && !strings.Contains(string(res.Body), `"field"`) {
				t.Errorf("%s %s as %s: status %d %s, want past the role check", r.method, path, m.name, res.Status, live.Truncate(string(res.Body), 160))
			}
		}
	}
}

// echo404 is no method: Echo lists its own catch-all routes with a method
// of "echo_route_not_found", which is no route of ours.
const echo404 = "echo_route_not_found"

// TestRoomOperatorIsolation drives room A as its operator, and is refused
// every run action on room B, which stays as it was.
func TestRoomOperatorIsolation(t *testing.T) {
	tf := newTeamFixture(t)
	opA := tf.members[2]
	if r := tf.as(t, opA, "PUT", fmt.Sprintf("/api/rooms/%d/screen", tf.team.RoomID), map[string]string{"screen": "lobby"}); r.Status != http.StatusOK {
		t.Fatalf("screen of room A: %d %s", r.Status, r.Body)
	}
	if r := tf.as(t, opA, "POST", fmt.Sprintf("/api/polls/%d/actions/close", tf.team.PollID), nil); r.Status != http.StatusOK {
		t.Fatalf("close poll of room A: %d %s", r.Status, r.Body)
	}
	before := tf.teamState(t)
	for _, c := range []struct{ method, path string }{
		{"PUT", fmt.Sprintf("/api/rooms/%d/screen", tf.roomB)},
		{"POST", fmt.Sprintf("/api/rounds/%d/actions/start", tf.roundB)},
		{"POST", fmt.Sprintf("/api/pitches/%d/actions/open", tf.pitchB)},
		{"POST", fmt.Sprintf("/api/polls/%d/actions/open", tf.pollB)},
		{"POST", fmt.Sprintf("/api/pitches/%d/actions/timer_extend", tf.pitchB)},
	} {
		r := tf.as(t, opA, c.method, c.path, map[string]any{})
		if ok, role := refusedByRole(r); !ok || role != "operator" {
			t.Errorf("%s %s: %d %s, want refused needing operator", c.method, c.path, r.Status, r.Body)
		}
	}
	if tf.teamState(t) != before {
		t.Error("room B changed")
	}
	var audit []live.AuditEntry
	tf.ts.mod(t, "GET", fmt.Sprintf("/api/events/TEAM/audit?account=operator-a&room=%d", tf.team.RoomID), nil, &audit)
	if len(audit) != 2 || audit[0].Account != "operator-a" || audit[0].RoomID != tf.team.RoomID {
		t.Fatalf("audit of operator-a in room A = %+v", audit)
	}
}

// TestControlTopicRoles lets the event's team follow its control topic
// and refuses everyone else, naming the role.
func TestControlTopicRoles(t *testing.T) {
	tf := newTeamFixture(t)
	control := hub.ControlTopic(tf.team.EventID)
	for _, m := range tf.members {
		c, w := dialWS(t, tf.ts, http.Header{"Cookie": {m.cookie.Name + "=" + m.cookie.Value}})
		if !w.Moderator {
			t.Fatalf("%s: welcome.moderator is false", m.name)
		}
		wsSend(t, c, map[string]string{"type": "subscribe", "topic": control})
		if m.may("view", 0, 0) {
			if s := expect(t, c, "snapshot"); s.Topic != control {
				t.Fatalf("%s: %s", m.name, s.raw)
			}
			continue
		}
		e := expectError(t, c, live.EForbidden)
		if !strings.Contains(string(e.raw), `"needs_role":"viewer"`) {
			t.Fatalf("%s: %s", m.name, e.raw)
		}
	}
}

// TestRevokedAndExpired refuses a revoked session, an expired token and a
// disabled account at once, and closes an open WebSocket of a revoked
// session within a few seconds.
func TestRevokedAndExpired(t *testing.T) {
	tf := newTeamFixture(t)
	ts := tf.ts
	viewer := tf.members[5]
	c, _ := dialWS(t, ts, http.Header{"Cookie": {viewer.cookie.Name + "=" + viewer.cookie.Value}})
	wsSend(t, c, map[string]string{"type": "subscribe", "topic": hub.ControlTopic(tf.team.EventID)})
	expect(t, c, "snapshot")

	var mine struct {
		Current  string         `json:"current"`
		Sessions []live.Session `json:"sessions"`
	}
	if r := tf.as(t, viewer, "GET", "/api/me/sessions", nil); r.Status != 200 || json.Unmarshal(r.Body, &mine) != nil || len(mine.Sessions) != 1 {
		t.Fatalf("my sessions: %d %s", r.Status, r.Body)
	}
	ts.mod(t, "DELETE", "/api/sessions/"+mine.Current, nil, nil)
	wantError(t, tf.as(t, viewer, "GET", "/api/events/TEAM/model", nil), http.StatusUnauthorized, live.EUnauthorized)
	expectClose(t, c, CloseSessionEnded)

	// An API token of the organiser, then the same token past its expiry.
	org := tf.members[1]
	var made struct {
		Token string        `json:"token"`
		Info  live.APIToken `json:"api_token"`
	}
	r := tf.as(t, org, "POST", "/api/me/tokens", map[string]any{"name": "stage bot", "role": "operator", "event_id": tf.team.EventID, "room_id": tf.team.RoomID, "expires_in_days": 1})
	if r.Status != http.StatusCreated || json.Unmarshal(r.Body, &made) != nil || made.Token == "" {
		t.Fatalf("create token: %d %s", r.Status, r.Body)
	}
	if r := ts.do(t, "POST", fmt.Sprintf("/api/polls/%d/actions/close", tf.team.PollID), nil, bearer(made.Token)...); r.Status != 200 {
		t.Fatalf("token in its room: %d %s", r.Status, r.Body)
	}
	if ok, _ := refusedByRole(ts.do(t, "POST", fmt.Sprintf("/api/polls/%d/actions/open", tf.pollB), nil, bearer(made.Token)...)); !ok {
		t.Fatal("an operator token of room A drove room B")
	}
	if ok, _ := refusedByRole(ts.do(t, "PATCH", "/api/events/TEAM", map[string]any{"title": "x"}, bearer(made.Token)...)); !ok {
		t.Fatal("an operator token of an organiser built the event")
	}
	var audit []live.AuditEntry
	ts.mod(t, "GET", "/api/events/TEAM/audit?account=organiser", nil, &audit)
	if len(audit) == 0 || audit[0].Token != strconv.FormatInt(made.Info.ID, 10) || audit[0].Actor != "organiser token:"+strconv.FormatInt(made.Info.ID, 10) {
		t.Fatalf("audit names no token: %+v", audit)
	}
	r = tf.as(t, viewer, "POST", "/api/me/tokens", map[string]any{"name": "x", "role": "organiser", "event_id": tf.team.EventID})
	if r.Status != http.StatusUnauthorized { // the viewer's session was revoked above
		t.Fatalf("revoked session made a token: %d %s", r.Status, r.Body)
	}
	mod := tf.members[4]
	if r := tf.as(t, mod, "POST", "/api/me/tokens", map[string]any{"name": "x", "role": "organiser", "event_id": tf.team.EventID}); r.Status != http.StatusForbidden {
		t.Fatalf("a moderator made an organiser token: %d %s", r.Status, r.Body)
	}
	expired := time.Now().Add(-time.Second)
	old := &live.APIToken{AccountID: made.Info.AccountID, Name: "old", Hash: live.HashToken("ovt_expired"), Grant: made.Info.Grant, ExpiresAt: &expired}
	if err := tf.db.SaveToken(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	wantError(t, ts.do(t, "GET", "/api/events/TEAM/model", nil, bearer("ovt_expired")...), http.StatusUnauthorized, live.EUnauthorized)
	tf.as(t, org, "DELETE", fmt.Sprintf("/api/me/tokens/%d", made.Info.ID), nil)
	wantError(t, ts.do(t, "GET", "/api/events/TEAM/model", nil, bearer(made.Token)...), http.StatusUnauthorized, live.EUnauthorized)

	// Disabling an account ends its sessions.
	var accounts []live.Account
	ts.mod(t, "GET", "/api/accounts", nil, &accounts)
	i := slices.IndexFunc(accounts, func(a live.Account) bool { return a.Login == "moderator" })
	ts.mod(t, "PATCH", fmt.Sprintf("/api/accounts/%d", accounts[i].ID), map[string]any{"disabled": true}, nil)
	wantError(t, tf.as(t, mod, "GET", "/api/events/TEAM/model", nil), http.StatusUnauthorized, live.EUnauthorized)
	if r := ts.do(t, "POST", "/api/login", map[string]string{"login": "moderator", "password": "password-of-moderator"}); r.Status != http.StatusUnauthorized {
		t.Fatalf("a disabled account signed in: %d", r.Status)
	}
}

// TestAccountsBadInput refuses bad accounts and keeps an administrator.
func TestAccountsBadInput(t *testing.T) {
	tf := newTeamFixture(t)
	ts := tf.ts
	before := tf.teamState(t)
	for _, c := range []struct {
		name   string
		method string
		path   string
		body   any
		status int
		code   string
	}{
		{"bad login", "POST", "/api/accounts", map[string]any{"login": "Bad Login", "display_name": "x"}, 400, live.EInvalid},
		{"short password", "POST", "/api/accounts", map[string]any{"login": "short", "display_name": "x", "password": "123"}, 400, live.EInvalid},
		{"taken login", "POST", "/api/accounts", map[string]any{"login": "viewer", "display_name": "x"}, 409, live.EConflict},
		{"unknown role", "POST", "/api/accounts", map[string]any{"login": "r", "display_name": "x", "grants": []map[string]any{{"role": "king"}}}, 400, live.EInvalid},
		{"admin of one event", "POST", "/api/accounts", map[string]any{"login": "r", "display_name": "x", "grants": []map[string]any{{"role": "admin", "event_id": tf.team.EventID}}}, 400, live.EInvalid},
		{"room of another event", "POST", "/api/accounts", map[string]any{"login": "r", "display_name": "x", "grants": []map[string]any{{"role": "operator", "event_id": tf.other.EventID, "room_id": tf.roomB}}}, 400, live.EInvalid},
		{"unknown event", "POST", "/api/accounts", map[string]any{"login": "r", "display_name": "x", "grants": []map[string]any{{"role": "viewer", "event_id": 999}}}, 400, live.EInvalid},
		{"unknown field", "POST", "/api/accounts", map[string]any{"login": "r", "display_name": "x", "root": true}, 400, live.EInvalid},
		{"the last administrator", "PATCH", "/api/accounts/1", map[string]any{"grants": []any{}}, 409, live.EConflict},
		{"delete the first administrator", "DELETE", "/api/accounts/1", nil, 409, live.EConflict},
		{"unknown account", "PATCH", "/api/accounts/999", map[string]any{"display_name": "x"}, 404, live.ENotFound},
		{"token with no name", "POST", "/api/me/tokens", map[string]any{"role": "viewer"}, 403, live.EForbidden}, // an API token may not make tokens
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "the last administrator" {
				ts.mod(t, "PATCH", fmt.Sprintf("/api/accounts/%d", accountID(t, ts, "admin2")), map[string]any{"disabled": true}, nil)
				before = tf.teamState(t)
			}
			wantError(t, ts.do(t, c.method, c.path, c.body, bearer(ts.Token)...), c.status, c.code)
		})
	}
	if tf.teamState(t) != before {
		t.Error("refused account changes changed the state")
	}
}

func accountID(tb testing.TB, ts *testServer, login string) int64 {
	tb.Helper()
	var accounts []live.Account
	ts.mod(tb, "GET", "/api/accounts", nil, &accounts)
	for _, a := range accounts {
		if a.Login == login {
			return a.ID
		}
	}
	tb.Fatalf("no account %s", login)
	return 0
}

// TestPasswordChangeAndLogoutEverywhere changes a password (other
// sessions end, this one stays) and logs out everywhere.
func TestPasswordChangeAndLogoutEverywhere(t *testing.T) {
	tf := newTeamFixture(t)
	viewer := tf.members[5]
	other, otherCSRF := tf.login(t, viewer.name, "password-of-viewer")
	second := &member{name: viewer.name, cookie: other, csrf: otherCSRF}
	wantError(t, tf.as(t, viewer, "PUT", "/api/me/password", map[string]string{"current_password": "wrong", "password": "a-new-long-password"}), 401, live.EUnauthorized)
	wantError(t, tf.as(t, viewer, "PUT", "/api/me/password", map[string]string{"current_password": "password-of-viewer", "password": "short"}), 400, live.EInvalid)
	if r := tf.as(t, viewer, "PUT", "/api/me/password", map[string]string{"current_password": "password-of-viewer", "password": "a-new-long-password"}); r.Status != 204 {
		t.Fatalf("change: %d %s", r.Status, r.Body)
	}
	wantError(t, tf.as(t, second, "GET", "/api/events", nil), 401, live.EUnauthorized)
	if r := tf.as(t, viewer, "GET", "/api/events", nil); r.Status != 200 {
		t.Fatalf("this session after the change: %d", r.Status)
	}
	third, thirdCSRF := tf.login(t, viewer.name, "a-new-long-password")
	if r := tf.as(t, viewer, "POST", "/api/logout-everywhere", nil); r.Status != 204 {
		t.Fatalf("logout everywhere: %d", r.Status)
	}
	wantError(t, tf.as(t, &member{cookie: third, csrf: thirdCSRF}, "GET", "/api/events", nil), 401, live.EUnauthorized)
	var events []live.Event
	if r := tf.as(t, tf.members[4], "GET", "/api/events", nil); r.Status != 200 || json.Unmarshal(r.Body, &events) != nil || len(events) != 1 || events[0].Code != "TEAM" {
		t.Fatalf("the moderator's events: %s", r.Body)
	}
}

// TestConfigPasswordShown holds that the first administrator, whose
// password the configuration gives, has a password in every answer that
// shows the account: the login's, the session's, the account list's, the
// account's and its edit's.
func TestConfigPasswordShown(t *testing.T) {
	ts := newTestServer(t, Config{})
	r := ts.do(t, "POST", "/api/login", map[string]string{"password": testPassword})
	var login struct {
		Account live.Account `json:"account"`
	}
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &login) != nil || !login.Account.HasPassword {
		t.Errorf("login: %d %s: want has_password true", r.Status, r.Body)
	}
	var list []live.Account
	ts.mod(t, "GET", "/api/accounts", nil, &list)
	var session struct {
		Account live.Account `json:"account"`
	}
	ts.mod(t, "GET", "/api/session", nil, &session)
	var one, edited live.Account
	ts.mod(t, "GET", "/api/accounts/1", nil, &one)
	ts.mod(t, "PATCH", "/api/accounts/1", map[string]any{"display_name": "Admin"}, &edited)
	for name, a := range map[string]live.Account{"list": list[0], "session": session.Account, "get": one, "patch": edited} {
		if !a.HasPassword {
			t.Errorf("%s: has_password false for the first administrator", name)
		}
	}
}
