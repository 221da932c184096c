package feed_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/ovation-live/ovation/feed"
	"github.com/ovation-live/ovation/live"
)

// fakeX serves /1.1/search/tweets.json from a list of tweets (ids 1..n),
// newest first, honouring since_id, max_id and count. fail, if set, answers
// instead while it returns true.
type fakeX struct {
	mu    sync.Mutex
	n     int
	reqs  []string
	fail  func(w http.ResponseWriter) bool
	token string
}

func (f *fakeX) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, r.URL.RawQuery)
	if r.URL.Path != "/1.1/search/tweets.json" || r.Header.Get("Authorization") != "Bearer "+f.token {
		http.Error(w, `{"errors":[{"code":89,"message":"Invalid or expired token."}]}`, http.StatusUnauthorized)
		return
	}
	if f.fail != nil && f.fail(w) {
		return
	}
	q := r.URL.Query()
	since, _ := strconv.Atoi(q.Get("since_id"))
	maxID, _ := strconv.Atoi(q.Get("max_id"))
	count, _ := strconv.Atoi(q.Get("count"))
	var statuses []map[string]any
	for id := f.n; id > since && len(statuses) < count; id-- {
		if maxID > 0 && id > maxID {
			continue
		}
		statuses = append(statuses, map[string]any{"id_str": strconv.Itoa(id), "full_text": fmt.Sprintf("tweet %d #TEST &amp; more", id),
			"created_at": "Mon Nov 23 10:00:00 +0000 2026", "user": map[string]any{"screen_name": "user" + strconv.Itoa(id%7), "name": "User"}})
	}
	// A malformed tweet and a retweet, skipped by the source.
	statuses = append(statuses, map[string]any{"id_str": "abc", "full_text": "bad"},
		map[string]any{"id_str": strconv.Itoa(f.n + 1000), "full_text": "RT", "user": map[string]any{"screen_name": "rt"}, "retweeted_status": map[string]any{"id_str": "1"}})
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"statuses": statuses, "search_metadata": map[string]any{"count": count}})
}

func collect(items *[]live.FeedItem, cursors *[]string) feed.Sink {
	return func(ctx context.Context, batch []live.FeedItem, cursor string) error {
		*items = append(*items, batch...)
		*cursors = append(*cursors, cursor)
		return nil
	}
}

func once(ctx context.Context, d time.Duration) bool { return false } // stop after the first poll

func TestXSource(t *testing.T) {
	fx := &fakeX{n: 250, token: "tok"}
	srv := httptest.NewServer(fx)
	defer srv.Close()
	src := func() *feed.XSource {
		return &feed.XSource{Hashtag: "TEST", Token: "tok", BaseURL: srv.URL, Wait: once, RoomID: 2}
	}

	t.Run("pages back to the since-id and resumes from it", func(t *testing.T) {
		var items []live.FeedItem
		var cursors []string
		if err := src().Run(context.Background(), "", collect(&items, &cursors)); err != nil {
			t.Fatal(err)
		}
		if len(items) != 250 || len(cursors) != 1 || cursors[0] != "250" {
			t.Fatalf("got %d items, cursors %v; want 250 items and cursor 250", len(items), cursors)
		}
		if it := items[0]; it.Text != "tweet 250 #TEST & more" || it.Author != "user5" || it.Link != "https://x.com/user5/status/250" || it.RoomID != 2 {
			t.Fatalf("first item %+v", it)
		}
		fx.mu.Lock()
		fx.n, fx.reqs = 260, nil
		fx.mu.Unlock()
		items, cursors = nil, nil
		if err := src().Run(context.Background(), "250", collect(&items, &cursors)); err != nil {
			t.Fatal(err)
		}
		if len(items) != 10 || cursors[0] != "260" || !strings.Contains(fx.reqs[0], "since_id=250") {
			t.Fatalf("resume: %d items, cursors %v, requests %v", len(items), cursors, fx.reqs)
		}
	})
	t.Run("429 asks to wait until x-rate-limit-reset", func(t *testing.T) {
		reset := time.Now().Add(90 * time.Second).Unix()
		fx.fail = func(w http.ResponseWriter) bool {
			w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(reset, 10))
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		defer func() { fx.fail = nil }()
		err := src().Run(context.Background(), "260", func(context.Context, []live.FeedItem, string) error { t.Fatal("sink called"); return nil })
		var re *feed.RetryError
		if !errors.As(err, &re) || re.After < 80*time.Second || re.After > 91*time.Second {
			t.Fatalf("err %v, want a RetryError of about 90 s", err)
		}
	})
	t.Run("5xx outage and malformed payload are errors to retry", func(t *testing.T) {
		for name, fail := range map[string]func(w http.ResponseWriter) bool{
			"503 html": func(w http.ResponseWriter) bool { http.Error(w, "<html>down</html>", 503); return true },
			"bad json": func(w http.ResponseWriter) bool {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"statuses":[{`))
				return true
			},
		} {
			fx.fail = fail
			err := src().Run(context.Background(), "260", func(context.Context, []live.FeedItem, string) error { t.Fatal("sink called"); return nil })
			if err == nil {
				t.Fatalf("%s: no error", name)
			}
		}
		fx.fail = nil
	})
}

// fakeMastodon serves a hashtag timeline of statuses 1..n (ids as strings),
// honouring min_id and limit like Mastodon: the statuses immediately newer
// than min_id, newest first.
type fakeMastodon struct {
	mu   sync.Mutex
	n    int
	reqs []string
	fail func(w http.ResponseWriter) bool
}

func (f *fakeMastodon) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, r.URL.RawQuery)
	if r.URL.Path != "/api/v1/timelines/tag/TEST" {
		http.NotFound(w, r)
		return
	}
	if f.fail != nil && f.fail(w) {
		return
	}
	minID, _ := strconv.Atoi(r.URL.Query().Get("min_id"))
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	var page []map[string]any
	for id := minID + 1; id <= f.n && len(page) < limit; id++ {
		st := map[string]any{"id": strconv.Itoa(id), "created_at": "2026-11-23T10:00:00.000Z", "url": "https://m.example/@bob/" + strconv.Itoa(id),
			"content":           fmt.Sprintf(`<p>toot %d <a href="https://m.example/tags/test">#<span>TEST</span></a><script>alert(1)</script></p>`, id),
			"account":           map[string]any{"acct": "bob", "display_name": "Bob <b>B</b>"},
			"media_attachments": []any{map[string]any{"type": "image", "url": "javascript:alert(1)"}}}
		if id%10 == 0 {
			st["reblog"] = map[string]any{"id": "1"}
		}
		page = append(page, st)
	}
	for i, j := 0, len(page)-1; i < j; i, j = i+1, j-1 {
		page[i], page[j] = page[j], page[i]
	}
	json.NewEncoder(w).Encode(page)
}

func TestMastodonSource(t *testing.T) {
	fm := &fakeMastodon{n: 95}
	srv := httptest.NewServer(fm)
	defer srv.Close()
	src := &feed.MastodonSource{Hashtag: "TEST", BaseURL: srv.URL, Wait: once}
	var items []live.FeedItem
	var cursors []string
	if err := src.Run(context.Background(), "", collect(&items, &cursors)); err != nil {
		t.Fatal(err)
	}
	if len(items) != 86 || cursors[len(cursors)-1] != "95" || len(cursors) != 3 {
		t.Fatalf("got %d items (want 95 minus 9 reblogs), cursors %v", len(items), cursors)
	}
	it, err := feed.Normalize(items[0])
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	host = host[:strings.IndexByte(host, ':')]
	if it.Text != "toot 39 #TEST" {
		t.Fatalf("text %q is not the plain text of the toot", it.Text)
	}
	if it.Author != "bob@"+host || it.AuthorName != "Bob <b>B</b>" || it.MediaURL != "" {
		t.Fatalf("item %+v", it)
	}

	t.Run("resumes from its since-id", func(t *testing.T) {
		fm.mu.Lock()
		fm.n, fm.reqs = 97, nil
		fm.mu.Unlock()
		items, cursors = nil, nil
		if err := src.Run(context.Background(), "95", collect(&items, &cursors)); err != nil {
			t.Fatal(err)
		}
		if len(items) != 2 || !strings.Contains(fm.reqs[0], "min_id=95") {
			t.Fatalf("%d items, requests %v", len(items), fm.reqs)
		}
	})
	t.Run("429 with Retry-After", func(t *testing.T) {
		fm.fail = func(w http.ResponseWriter) bool {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(429)
			return true
		}
		defer func() { fm.fail = nil }()
		var re *feed.RetryError
		if err := src.Run(context.Background(), "97", collect(&items, &cursors)); !errors.As(err, &re) || re.After != 120*time.Second {
			t.Fatalf("err %v, want a RetryError of 120 s", err)
		}
	})
	t.Run("malformed payload", func(t *testing.T) {
		fm.fail = func(w http.ResponseWriter) bool { w.Write([]byte(`[{"id": 5}`)); return true }
		defer func() { fm.fail = nil }()
		if err := src.Run(context.Background(), "97", collect(&items, &cursors)); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestJetstreamSource(t *testing.T) {
	gotCursor := make(chan string, 4)
	msgs := []string{
		`not json`,
		`{"did":"did:plc:a","time_us":1000,"kind":"identity"}`,
		`{"did":"did:plc:a","time_us":1001,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"k1","record":{"text":"no tag here","createdAt":"2026-11-23T10:00:00Z"}}}`,
		`{"did":"did:plc:a","time_us":1002,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"k2","record":{"text":"facet only","createdAt":"2026-11-23T10:00:00Z","facets":[{"features":[{"$type":"app.bsky.richtext.facet#tag","tag":"test"}]}]}}}`,
		`{"did":"did:plc:b","time_us":1003,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"k3","record":{"text":"hello #Test!","createdAt":"2026-11-23T10:00:00Z"}}}`,
		`{"did":"did:plc:b","time_us":1004,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"k4","record":{"text":"#testing is another tag"}}}`,
		`{"did":"did:plc:b","time_us":1005,"kind":"commit","commit":{"operation":"delete","collection":"app.bsky.feed.post","rkey":"k3"}}`,
		`{"did":"did:plc:b","time_us":1006,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"k5","record":"oops"}}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/subscribe" || r.URL.Query().Get("wantedCollections") != "app.bsky.feed.post" {
			http.NotFound(w, r)
			return
		}
		gotCursor <- r.URL.Query().Get("cursor")
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for _, m := range msgs {
			if err := c.Write(r.Context(), websocket.MessageText, []byte(m)); err != nil {
				return
			}
		}
		c.Close(websocket.StatusGoingAway, "bye") // an outage: the source returns an error
	}))
	defer srv.Close()
	src := &feed.JetstreamSource{Hashtag: "TEST", BaseURL: "ws" + strings.TrimPrefix(srv.URL, "http"), SaveEvery: time.Nanosecond}
	var items []live.FeedItem
	var cursors []string
	err := src.Run(context.Background(), "5000000", collect(&items, &cursors))
	if err == nil {
		t.Fatal("a closed stream must be an error to retry")
	}
	if c := <-gotCursor; c != "3000000" {
		t.Fatalf("resumed at cursor %q, want 3000000 (2 s rewind)", c)
	}
	if len(items) != 2 || items[0].SourceID != "at://did:plc:a/app.bsky.feed.post/k2" || items[1].Text != "hello #Test!" {
		t.Fatalf("items %+v", items)
	}
	if last := cursors[len(cursors)-1]; last != "1006" {
		t.Fatalf("last cursor %q, want 1006", last)
	}
	if items[1].Link != "https://bsky.app/profile/did:plc:b/post/k3" {
		t.Fatalf("link %q", items[1].Link)
	}
}

// TestJetstreamStalledStreamIsAnError: a connection that stays open but
// delivers nothing ends after IdleTimeout, so the supervisor reconnects.
func TestJetstreamStalledStreamIsAnError(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		select { // open, silent
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	src := &feed.JetstreamSource{Hashtag: "TEST", BaseURL: "ws" + strings.TrimPrefix(srv.URL, "http"), IdleTimeout: 200 * time.Millisecond}
	done := make(chan error, 1)
	go func() {
		done <- src.Run(context.Background(), "", func(context.Context, []live.FeedItem, string) error { return nil })
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a stalled stream must be an error to retry")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the source kept waiting on a silent connection")
	}
}
