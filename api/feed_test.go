package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ovation-live/ovation/feed"
	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
	"github.com/ovation-live/ovation/static"
	"github.com/ovation-live/ovation/store"
	"golang.org/x/crypto/bcrypt"
)

// newServiceServer is newTestServer with a service wired in as cmd/ovation
// wires it: attach builds the service, hands it to the server and returns
// its Run, which runs (with the engine's) until the test ends.
// attach adds services to d and returns what runs them beside the server.
func newServiceServer(tb testing.TB, attach func(db *store.DB, engine *show.Engine, h *hub.Hub, d *Deps, log *slog.Logger) func(context.Context, *Server)) (*testServer, *hub.Hub) {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(filepath.Join(tb.TempDir(), "ovation.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		tb.Fatal(err)
	}
	h := hub.New(hub.Options{})
	engine := show.NewEngine(db, h, show.Options{Logger: log})
	if err := engine.Load(context.Background()); err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(nil)
	base := "http://" + hs.Listener.Addr().String()
	d := Deps{Config: Config{TokenSecret: []byte("s"), PasswordHash: testPasswordHash(), APITokenHash: HashAPIToken(testAPIToken),
		AllowedOrigins: []string{base}, PasswordCost: bcrypt.MinCost}, Engine: engine, Hub: h, Team: db, Audit: db, Pages: static.Files,
		Metrics: NewMetrics("single"), Log: log}
	run := attach(db, engine, h, &d, log)
	srv := New(d)
	hs.Config.Handler = srv
	hs.Start()
	bg, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); engine.Run(bg) }()
	go func() { defer wg.Done(); run(bg, srv) }()
	tb.Cleanup(func() {
		hs.Close()
		stop()
		wg.Wait()
		db.Close()
	})
	return &testServer{URL: base, Origin: base, Token: testAPIToken, Close: func() {}, srv: srv, engine: engine}, h
}

// newFeedServer is newServiceServer with the feed service and an event FEED
// with one room.
func newFeedServer(tb testing.TB) (*testServer, *feed.Service, *hub.Hub, show.Model) {
	tb.Helper()
	var fs *feed.Service
	ts, h := newServiceServer(tb, func(db *store.DB, engine *show.Engine, h *hub.Hub, d *Deps, log *slog.Logger) func(context.Context, *Server) {
		fs = feed.New(db, engine, h, feed.Options{Logger: log, FrameInterval: 10 * time.Millisecond})
		d.Feed = fs
		return func(ctx context.Context, _ *Server) { fs.Run(ctx) }
	})
	ts.mod(tb, "POST", "/api/events", map[string]any{"code": "FEED", "title": "Feed"}, nil)
	var m show.Model
	ts.mod(tb, "GET", "/api/events/FEED/model", nil, &m)
	return ts, fs, h, m
}

// feedState is what a moderator can see of the feed; bad input leaves it unchanged.
func feedState(tb testing.TB, ts *testServer) string {
	tb.Helper()
	var items, settings, audit json.RawMessage
	ts.mod(tb, "GET", "/api/events/FEED/feed/items?status=all", nil, &items)
	ts.mod(tb, "GET", "/api/events/FEED/feed/settings", nil, &settings)
	ts.mod(tb, "GET", "/api/events/FEED/audit", nil, &audit)
	return string(items) + "\n" + string(settings) + "\n" + string(audit)
}

func TestFeedAPI(t *testing.T) {
	ts, _, h, m := newFeedServer(t)
	room := m.Rooms[0].ID
	p := ts.join(t, "FEED", map[string]any{"display_name": "Zoé"})

	// A stage screen follows the room: the approved post reaches it as a feed frame.
	sub, wake := follow(h, hub.StageTopic(room))

	var item live.FeedItem
	r := ts.do(t, "POST", "/api/events/FEED/feed/posts", map[string]any{"text": "<img src=x onerror=alert(1)> Bravo!", "room_id": room}, bearer(p.Token)...)
	if r.Status != http.StatusCreated || json.Unmarshal(r.Body, &item) != nil || item.Status != live.FeedPending {
		t.Fatalf("post: %d %s", r.Status, r.Body)
	}
	var queue []live.FeedItem
	ts.mod(t, "GET", "/api/events/FEED/feed/items", nil, &queue)
	if len(queue) != 1 || queue[0].Text != "<img src=x onerror=alert(1)> Bravo!" || queue[0].AuthorName != "Zoé" {
		t.Fatalf("queue %+v", queue)
	}
	var page feedPage
	json.Unmarshal(ts.do(t, "GET", "/api/events/FEED/feed", nil).Body, &page)
	if len(page.Items) != 0 {
		t.Fatal("a pending post is public")
	}
	ts.mod(t, "POST", "/api/events/FEED/feed/items/"+strconv.FormatInt(item.ID, 10)+"/actions/approve", nil, nil)
	json.Unmarshal(ts.do(t, "GET", "/api/events/FEED/feed?room_id="+strconv.FormatInt(room, 10), nil).Body, &page)
	if len(page.Items) != 1 || page.Items[0].ID != item.ID || page.PostMaxLen != 280 {
		t.Fatalf("feed %+v, want the approved post and post_max_len 280", page)
	}
	deadline := time.After(10 * time.Second)
	for found := false; !found; {
		select {
		case <-wake:
			for _, b := range sub.Take(nil) {
				found = found || strings.Contains(string(b), `"type":"feed"`) && strings.Contains(string(b), "Bravo!")
			}
		case <-deadline:
			t.Fatal("no feed frame on the stage topic")
		}
	}

	t.Run("settings hide tokens and keep them when omitted", func(t *testing.T) {
		var v feedSettingsView
		ts.mod(t, "PATCH", "/api/events/FEED/feed/settings", map[string]any{"sources": []map[string]any{
			{"kind": "mastodon", "hashtag": "#Feed", "base_url": "http://127.0.0.1:1", "token": "secret-token"}}}, &v)
		if len(v.Sources) != 1 || !v.Sources[0].TokenSet || v.Sources[0].Token != "" || v.Sources[0].Hashtag != "Feed" {
			t.Fatalf("view %+v", v)
		}
		ts.mod(t, "PATCH", "/api/events/FEED/feed/settings", map[string]any{"sources": []map[string]any{
			{"kind": "mastodon", "hashtag": "feed", "base_url": "http://127.0.0.1:1", "interval_s": 60}}}, &v)
		if !v.Sources[0].TokenSet {
			t.Fatal("the token was lost")
		}
		raw := ts.do(t, "GET", "/api/events/FEED/feed/settings", nil, bearer(ts.Token)...)
		if strings.Contains(string(raw.Body), "secret-token") {
			t.Fatal("the token was sent back")
		}
	})
	t.Run("webhook needs its token", func(t *testing.T) {
		body := map[string]any{"id": "w1", "author": "bot", "text": "from zapier"}
		wantError(t, ts.do(t, "POST", "/api/events/FEED/feed/webhook", body), http.StatusUnauthorized, live.EUnauthorized)
		var tok map[string]string
		ts.mod(t, "POST", "/api/events/FEED/feed/webhook-token", nil, &tok)
		wantError(t, ts.do(t, "POST", "/api/events/FEED/feed/webhook", body, bearer("wrong")...), http.StatusUnauthorized, live.EUnauthorized)
		if r := ts.do(t, "POST", "/api/events/FEED/feed/webhook", body, bearer(tok["token"])...); r.Status != http.StatusCreated {
			t.Fatalf("webhook: %d %s", r.Status, r.Body)
		}
		if r := ts.do(t, "POST", "/api/events/FEED/feed/webhook", body, bearer(tok["token"])...); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "duplicate") {
			t.Fatalf("duplicate webhook: %d %s", r.Status, r.Body)
		}
	})
	t.Run("moments page", func(t *testing.T) {
		var mp feed.MomentsPage
		r := ts.do(t, "GET", "/api/events/FEED/moments?room_id="+strconv.FormatInt(room, 10), nil)
		if r.Status != http.StatusOK || json.Unmarshal(r.Body, &mp) != nil || mp.BySource["app"] != 1 {
			t.Fatalf("moments: %d %s", r.Status, r.Body)
		}
	})

	t.Run("bad input changes nothing", func(t *testing.T) {
		before := feedState(t, ts)
		other := ts.join(t, "FEED", nil)
		forged := signed("other-secret", tokenClaims{ParticipantID: 1, EventID: m.Event.ID, Expires: time.Now().Add(time.Hour).Unix()})
		id := strconv.FormatInt(item.ID, 10)
		for _, c := range []struct {
			name         string
			method, path string
			body         any
			hdr          []string
			status       int
			code         string
		}{
			{"post without token", "POST", "/api/events/FEED/feed/posts", map[string]any{"text": "hi"}, nil, 401, live.EUnauthorized},
			{"post with forged token", "POST", "/api/events/FEED/feed/posts", map[string]any{"text": "hi"}, bearer(forged), 401, live.EUnauthorized},
			{"post malformed json", "POST", "/api/events/FEED/feed/posts", `{"text":`, bearer(other.Token), 400, live.EInvalid},
			{"post unknown field", "POST", "/api/events/FEED/feed/posts", map[string]any{"txt": "hi"}, bearer(other.Token), 400, live.EInvalid},
			{"post empty", "POST", "/api/events/FEED/feed/posts", map[string]any{"text": " \n "}, bearer(other.Token), 400, live.EInvalid},
			{"post too long", "POST", "/api/events/FEED/feed/posts", map[string]any{"text": strings.Repeat("é", 281)}, bearer(other.Token), 400, live.EInvalid},
			{"post to unknown room", "POST", "/api/events/FEED/feed/posts", map[string]any{"text": "hi", "room_id": 999}, bearer(other.Token), 400, live.EInvalid},
			{"post to unknown event", "POST", "/api/events/NOPE/feed/posts", map[string]any{"text": "hi"}, bearer(other.Token), 404, live.ENotFound},
			{"decide without auth", "POST", "/api/events/FEED/feed/items/" + id + "/actions/reject", nil, nil, 401, live.EUnauthorized},
			{"unknown action", "POST", "/api/events/FEED/feed/items/" + id + "/actions/promote", nil, bearer(ts.Token), 400, live.EInvalid},
			{"unknown item", "POST", "/api/events/FEED/feed/items/99999/actions/approve", nil, bearer(ts.Token), 404, live.ENotFound},
			{"malformed item id", "POST", "/api/events/FEED/feed/items/abc/actions/approve", nil, bearer(ts.Token), 404, live.ENotFound},
			{"bad status filter", "GET", "/api/events/FEED/feed/items?status=maybe", nil, bearer(ts.Token), 400, live.EInvalid},
			{"bad room filter", "GET", "/api/events/FEED/feed?room_id=x", nil, nil, 400, live.EInvalid},
			{"limit too high", "GET", "/api/events/FEED/feed?limit=1000", nil, nil, 400, live.EInvalid},
			{"settings bad moderation", "PATCH", "/api/events/FEED/feed/settings", map[string]any{"moderation": "none"}, bearer(ts.Token), 400, live.EInvalid},
			{"settings bad source", "PATCH", "/api/events/FEED/feed/settings", map[string]any{"sources": []map[string]any{{"kind": "myspace", "hashtag": "x"}}}, bearer(ts.Token), 400, live.EInvalid},
			{"settings source in unknown room", "PATCH", "/api/events/FEED/feed/settings", map[string]any{"sources": []map[string]any{{"kind": "x", "hashtag": "x", "room_id": 999}}}, bearer(ts.Token), 400, live.EInvalid},
			{"settings recording javascript", "PATCH", "/api/events/FEED/feed/settings", map[string]any{"recordings": map[string]any{strconv.FormatInt(room, 10): map[string]any{"url": "javascript:alert(1)"}}}, bearer(ts.Token), 400, live.EInvalid},
			{"settings long keyword", "PATCH", "/api/events/FEED/feed/settings", map[string]any{"blocklist": []string{strings.Repeat("k", 61)}}, bearer(ts.Token), 400, live.EInvalid},
			{"settings unknown field", "PATCH", "/api/events/FEED/feed/settings", map[string]any{"mode": "post"}, bearer(ts.Token), 400, live.EInvalid},
			{"webhook malformed body", "POST", "/api/events/FEED/feed/webhook", `[1]`, bearer("wrong"), 401, live.EUnauthorized},
			{"moments without room", "GET", "/api/events/FEED/moments", nil, nil, 400, live.EInvalid},
			{"moments bad time", "GET", "/api/events/FEED/moments?room_id=1&from=yesterday", nil, nil, 400, live.EInvalid},
			{"settings wrong method", "PUT", "/api/events/FEED/feed/settings", map[string]any{}, bearer(ts.Token), 405, EMethod},
		} {
			r := ts.do(t, c.method, c.path, c.body, c.hdr...)
			if r.Status != c.status || r.code() != c.code {
				t.Errorf("%s: got %d %q (%s), want %d %q", c.name, r.Status, r.code(), r.Body, c.status, c.code)
			}
		}
		if after := feedState(t, ts); after != before {
			t.Fatalf("bad input changed the feed:\n%s\n---\n%s", before, after)
		}
	})
}

// follow subscribes a test client to topic; wake is signalled when a
// message is queued for it.
func follow(h *hub.Hub, topic string) (*hub.Subscriber, <-chan struct{}) {
	wake := make(chan struct{}, 1)
	sub := h.NewSubscriber(func() {}, func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	h.Subscribe(topic, sub, "", 0)
	return sub, wake
}
