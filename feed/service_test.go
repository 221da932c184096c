package feed_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
)

func TestContainsWord(t *testing.T) {
	for _, c := range []struct {
		text, word string
		want       bool
	}{
		{"Greetings from Scunthorpe!", "cunt", false},
		{"what a cunt.", "cunt", true},
		{"#cunt", "cunt", true},
		{"CUNT", "cunt", true},
		{"classic assessment", "ass", false},
		{"kick ass", "ass", true},
		{"free money now", "free money", true},
		{"freemoney", "free money", false},
		{"naïve café", "café", true},
		{"cafés", "café", false},
		{"", "x", false},
	} {
		if got := live.ContainsWord(c.text, c.word); got != c.want {
			t.Errorf("ContainsWord(%q, %q) = %v, want %v", c.text, c.word, got, c.want)
		}
	}
}

func TestArrival(t *testing.T) {
	st := live.FeedSettings{Blocklist: []string{"CUNT", "spam"}, Allowlist: []string{"x:ovation", "anna"}, BlockedAuthors: []string{"mastodon:troll@bad.example"}}
	if err := st.Normalize(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name               string
		it                 live.FeedItem
		status, wantReason string
	}{
		{"Scunthorpe passes into the queue", live.FeedItem{Source: "x", Author: "bob", Text: "Live from Scunthorpe"}, live.FeedPending, ""},
		{"a blocked word rejects", live.FeedItem{Source: "x", Author: "bob", Text: "buy SPAM now"}, live.FeedRejected, "keyword"},
		{"a blocked word in the name rejects", live.FeedItem{Source: "x", Author: "bob", AuthorName: "spam king", Text: "hi"}, live.FeedRejected, "keyword"},
		{"an allowlisted author is approved", live.FeedItem{Source: "x", Author: "@Ovation", Text: "welcome"}, live.FeedApproved, "allowlist"},
		{"the allowlist is per source when it says so", live.FeedItem{Source: "mastodon", Author: "ovation", Text: "welcome"}, live.FeedPending, ""},
		{"an author allowlisted on any source", live.FeedItem{Source: "bluesky", Author: "anna", Text: "hello"}, live.FeedApproved, "allowlist"},
		{"a blocked author is rejected", live.FeedItem{Source: "mastodon", Author: "Troll@bad.example", Text: "hello"}, live.FeedRejected, "blocked_author"},
		{"the blocklist beats the allowlist", live.FeedItem{Source: "x", Author: "ovation", Text: "spam"}, live.FeedRejected, "keyword"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, reason := feed.Arrival(&st, &c.it)
			if status != c.status || reason != c.wantReason {
				t.Fatalf("got %s/%s, want %s/%s", status, reason, c.status, c.wantReason)
			}
		})
	}
	st.Moderation = live.ModerationPost
	if status, reason := feed.Arrival(&st, &live.FeedItem{Source: "x", Author: "bob", Text: "hi"}); status != live.FeedApproved || reason != "post_moderation" {
		t.Fatalf("post-moderation: %s/%s", status, reason)
	}
}

func TestModeration(t *testing.T) {
	ctx := context.Background()
	db, dir := openDB(t, "")
	pub := newPublisher()
	s := newService(t, db, dir, pub, feed.Options{})
	if _, err := s.UpdateSettings(ctx, "TEST", "moderator", func(st *live.FeedSettings) error {
		st.Blocklist = []string{"cunt"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	add := func(author, text string, room int64) live.FeedItem {
		t.Helper()
		it, added, err := s.Add(ctx, "TEST", live.FeedItem{Source: live.SourceX, SourceID: author + text, Author: author, Text: text, RoomID: room})
		if err != nil || !added {
			t.Fatalf("add: %v %v", added, err)
		}
		return it
	}
	town := add("ann", "Hello from <b>Scunthorpe</b>", 0)
	rude := add("bob", "you cunt", 1)
	if town.Status != live.FeedPending || rude.Status != live.FeedRejected {
		t.Fatalf("arrival: %s, %s", town.Status, rude.Status)
	}
	s.FlushFrames()
	var q feed.QueueFrame
	json.Unmarshal(pub.get("control:1", "feed_queue"), &q)
	if len(q.Pending) != 1 || q.Pending[0].ID != town.ID || q.Pending[0].Text != "Hello from <b>Scunthorpe</b>" {
		t.Fatalf("queue %+v", q)
	}
	if pub.get("room:1", "feed") != nil {
		t.Fatal("a pending item reached a room")
	}

	t.Run("pinning a pending item is refused", func(t *testing.T) {
		_, err := s.Decide(ctx, "TEST", "moderator", town.ID, feed.ActionPin)
		code(t, err, live.ETransition)
	})
	t.Run("unknown action and item", func(t *testing.T) {
		_, err := s.Decide(ctx, "TEST", "moderator", town.ID, "promote")
		code(t, err, live.EInvalid)
		_, err = s.Decide(ctx, "TEST", "moderator", 9999, feed.ActionApprove)
		code(t, err, live.ENotFound)
	})
	t.Run("approve publishes the item to every room, the same bytes on room and stage", func(t *testing.T) {
		if _, err := s.Decide(ctx, "TEST", "moderator", town.ID, feed.ActionApprove); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Decide(ctx, "TEST", "moderator", town.ID, feed.ActionPin); err != nil {
			t.Fatal(err)
		}
		s.FlushFrames()
		for _, room := range []string{"1", "2"} {
			a, b := pub.get("room:"+room, "feed"), pub.get("stage:"+room, "feed")
			if a == nil || !bytes.Equal(a, b) {
				t.Fatalf("room %s: %s / %s", room, a, b)
			}
			var f feed.FeedFrame
			json.Unmarshal(a, &f)
			if f.Type != "feed" || len(f.Items) != 1 || len(f.Pinned) != 1 || f.Items[0].ID != town.ID {
				t.Fatalf("frame %s", a)
			}
		}
	})
	t.Run("block author rejects and blocks later items", func(t *testing.T) {
		spam := add("carl", "first", 2)
		if it, err := s.Decide(ctx, "TEST", "moderator", spam.ID, feed.ActionBlockAuthor); err != nil || it.Status != live.FeedRejected {
			t.Fatalf("%+v %v", it, err)
		}
		if later := add("carl", "second", 2); later.Status != live.FeedRejected || later.Reason != "blocked_author" {
			t.Fatalf("later %+v", later)
		}
		st, _ := s.Settings(ctx, "TEST")
		if len(st.BlockedAuthors) != 1 || st.BlockedAuthors[0] != "x:carl" {
			t.Fatalf("blocked %v", st.BlockedAuthors)
		}
	})
	t.Run("reject removes it from the rooms", func(t *testing.T) {
		if _, err := s.Decide(ctx, "TEST", "moderator", town.ID, feed.ActionReject); err != nil {
			t.Fatal(err)
		}
		s.FlushFrames()
		var f feed.FeedFrame
		json.Unmarshal(pub.get("stage:2", "feed"), &f)
		if len(f.Items) != 0 || len(f.Pinned) != 0 {
			t.Fatalf("frame %+v", f)
		}
	})
	t.Run("every decision is audited", func(t *testing.T) {
		log, err := db.AuditLog(ctx, dir.ev.ID, 50)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, a := range log {
			actions = append(actions, a.Action)
		}
		want := "feed_reject feed_block_author feed_pin feed_approve feed_settings"
		if strings.Join(actions, " ") != want {
			t.Fatalf("audit %v, want %s", actions, want)
		}
	})
	t.Run("invalid settings change nothing", func(t *testing.T) {
		_, err := s.UpdateSettings(ctx, "TEST", "moderator", func(st *live.FeedSettings) error { st.Moderation = "anarchy"; return nil })
		code(t, err, live.EInvalid)
		_, err = s.UpdateSettings(ctx, "TEST", "moderator", func(st *live.FeedSettings) error {
			st.Sources = []live.SourceConfig{{Kind: live.SourceX, Hashtag: "T", RoomID: 42}}
			return nil
		})
		code(t, err, live.EInvalid)
		if st, _ := s.Settings(ctx, "TEST"); st.Moderation != live.ModerationPre || len(st.Sources) != 0 {
			t.Fatalf("settings changed: %+v", st)
		}
	})
}

func TestDuplicatesAcrossSources(t *testing.T) {
	ctx := context.Background()
	db, dir := openDB(t, "")
	s := newService(t, db, dir, newPublisher(), feed.Options{})
	first, added, err := s.Add(ctx, "TEST", live.FeedItem{Source: live.SourceX, SourceID: "1", Author: "alice", Text: "Great keynote! https://t.co/abc #TEST"})
	if err != nil || !added {
		t.Fatal(added, err)
	}
	for name, it := range map[string]live.FeedItem{
		"same source id":          {Source: live.SourceX, SourceID: "1", Author: "other", Text: "different"},
		"cross-post on mastodon":  {Source: live.SourceMastodon, SourceID: "99", Author: "alice@mastodon.social", Text: "great keynote!  #test https://x.example/1"},
		"relayed through webhook": {Source: live.SourceWebhook, SourceID: "w1", Author: "@Alice", Text: "Great   keynote! #TEST"},
	} {
		if _, added, err := s.Add(ctx, "TEST", it); err != nil || added {
			t.Errorf("%s: added %v, err %v; want a duplicate", name, added, err)
		}
	}
	if _, added, _ := s.Add(ctx, "TEST", live.FeedItem{Source: live.SourceX, SourceID: "2", Author: "bob", Text: first.Text}); !added {
		t.Error("the same text by another author is not a duplicate")
	}
	items, _ := s.Items(ctx, "TEST", live.FeedQuery{})
	if len(items) != 2 {
		t.Fatalf("%d items stored, want 2", len(items))
	}
}

func TestInAppPosts(t *testing.T) {
	ctx := context.Background()
	db, dir := openDB(t, "")
	s := newService(t, db, dir, newPublisher(), feed.Options{PostRate: 0.001, PostBurst: 2})
	it, err := s.Post(ctx, "TEST", 77, "Zoé", "  Bravo\n\n<script>x</script> ", 1)
	if err != nil || it.Text != "Bravo <script>x</script>" || it.AuthorName != "Zoé" || it.Source != live.SourceApp || it.Status != live.FeedPending {
		t.Fatalf("%+v %v", it, err)
	}
	_, err = s.Post(ctx, "TEST", 77, "Zoé", "Bravo <script>x</script>", 1)
	code(t, err, live.EConflict)
	_, err = s.Post(ctx, "TEST", 77, "Zoé", "again", 1)
	code(t, err, live.ERateLimited)
	if le := (*live.Error)(nil); !errors.As(err, &le) || le.RetryAfter < 900*time.Second || le.RetryAfter > 1000*time.Second {
		t.Fatalf("RetryAfter of %v, want the limiter's wait (about 1000 s at 0.001/s)", err)
	}
	_, err = s.Post(ctx, "TEST", 78, "", strings.Repeat("a", 281), 1)
	code(t, err, live.EInvalid)
	_, err = s.Post(ctx, "TEST", 78, "", "   ", 1)
	code(t, err, live.EInvalid)
	_, err = s.Post(ctx, "TEST", 78, "", "hi", 9)
	code(t, err, live.EInvalid)
	off := false
	s.UpdateSettings(ctx, "TEST", "m", func(st *live.FeedSettings) error { st.AppPosts = &off; return nil })
	_, err = s.Post(ctx, "TEST", 78, "", "hi", 1)
	code(t, err, live.EForbidden)
}

// TestSourceSupervision runs a Mastodon source through the service: a 429
// with Retry-After, then a 5xx outage, then items; then a restart resumes
// from the stored since-id.
func TestSourceSupervision(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ovation.db")
	db, dir := openDB(t, path)
	fm := &fakeMastodon{n: 3}
	calls := 0
	fm.fail = func(w http.ResponseWriter) bool {
		calls++
		switch calls {
		case 1:
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(429)
			return true
		case 2:
			w.WriteHeader(502)
			return true
		}
		return false
	}
	srv := httptest.NewServer(fm)
	defer srv.Close()

	var mu sync.Mutex
	var waits []time.Duration
	opts := feed.Options{
		Backoff: feed.Backoff{Min: time.Second, Max: time.Minute},
		Wait: func(ctx context.Context, d time.Duration) bool { // the supervisor's clock: record, do not sleep
			mu.Lock()
			waits = append(waits, d)
			mu.Unlock()
			return ctx.Err() == nil
		},
		NewSource: func(cfg live.SourceConfig, o *feed.Options) feed.Source {
			return &feed.MastodonSource{Hashtag: cfg.Hashtag, BaseURL: cfg.BaseURL, RoomID: cfg.RoomID,
				Wait: func(ctx context.Context, d time.Duration) bool { <-ctx.Done(); return false }} // one poll, then idle
		},
	}
	pub := newPublisher()
	s := newService(t, db, dir, pub, opts)
	if _, err := s.UpdateSettings(ctx, "TEST", "moderator", func(st *live.FeedSettings) error {
		st.Moderation = live.ModerationPost
		st.Sources = []live.SourceConfig{{Kind: live.SourceMastodon, Hashtag: "TEST", BaseURL: srv.URL, Enabled: true, RoomID: 1}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	run, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s.Run(run); close(done) }()
	waitFor(t, pub, "three approved toots on room 1", func() bool {
		var f feed.FeedFrame
		json.Unmarshal(pub.get("stage:1", "feed"), &f)
		return len(f.Items) == 3
	})
	stop()
	<-done
	mu.Lock()
	if len(waits) != 2 || waits[0] != 120*time.Second || waits[1] < 2*time.Second || waits[1] > 3*time.Second {
		t.Fatalf("waits %v, want [120s, the second backoff step of ~2s]", waits)
	}
	mu.Unlock()
	if c, _ := db.FeedCursor(ctx, dir.ev.ID, "mastodon:test"); c != "3" {
		t.Fatalf("cursor %q", c)
	}

	// Restart: a new service on the same database resumes after status 3.
	fm.mu.Lock()
	fm.n, fm.reqs, fm.fail = 5, nil, nil
	fm.mu.Unlock()
	s2 := newService(t, db, dir, pub, opts)
	run, stop = context.WithCancel(ctx)
	done = make(chan struct{})
	go func() { s2.Run(run); close(done) }()
	waitFor(t, pub, "five toots", func() bool {
		items, _ := s2.Items(ctx, "TEST", live.FeedQuery{})
		return len(items) == 5
	})
	stop()
	<-done
	fm.mu.Lock()
	defer fm.mu.Unlock()
	if !strings.Contains(fm.reqs[0], "min_id=3") {
		t.Fatalf("restart requested %v, want min_id=3", fm.reqs)
	}
}

func TestPeaks(t *testing.T) {
	flat := make([]int, 60)
	for i := range flat {
		flat[i] = 2 + i%3 // 2,3,4 noise
	}
	if p := feed.Peaks(flat, feed.PeakOptions{}); len(p) != 0 {
		t.Fatalf("noise gave peaks %v", p)
	}
	series := append([]int(nil), flat...)
	series[20], series[21], series[22] = 30, 45, 12 // one burst over three minutes: one peak, at 21
	series[50] = 25
	p := feed.Peaks(series, feed.PeakOptions{})
	if len(p) != 2 || p[0].Index != 21 || p[1].Index != 50 {
		t.Fatalf("peaks %+v, want minutes 21 and 50", p)
	}
	if p[0].Baseline != 3 || p[0].Score < 3.5 {
		t.Fatalf("peak %+v", p[0])
	}
	quiet := make([]int, 30)
	quiet[10] = 2 // below MinVolume
	quiet[20] = 6
	if p := feed.Peaks(quiet, feed.PeakOptions{}); len(p) != 1 || p[0].Index != 20 {
		t.Fatalf("quiet series peaks %+v", p)
	}
	if p := feed.Peaks([]int{50, 1, 1}, feed.PeakOptions{}); len(p) != 0 {
		t.Fatal("no peak without history")
	}
}

func TestMoments(t *testing.T) {
	ctx := context.Background()
	db, dir := openDB(t, "")
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	now := start
	s := newService(t, db, dir, newPublisher(), feed.Options{Now: func() time.Time { return now }})
	rec := live.Recording{URL: "https://video.example/keynote.mp4#old", StartedAt: start.Add(-5 * time.Minute)}
	if _, err := s.UpdateSettings(ctx, "TEST", "m", func(st *live.FeedSettings) error {
		st.Recordings = map[int64]live.Recording{1: rec}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	n := 0
	post := func(minute int, room int64, k int) []live.FeedItem {
		var out []live.FeedItem
		for i := 0; i < k; i++ {
			n++
			it, _, err := s.Add(ctx, "TEST", live.FeedItem{Source: live.SourceX, SourceID: strconv.Itoa(n),
				Author: "u", Text: "post " + strconv.Itoa(n), RoomID: room, PostedAt: start.Add(time.Duration(minute)*time.Minute + time.Duration(i)*time.Second)})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, it)
		}
		return out
	}
	now = start.Add(time.Hour)
	for m := 0; m < 40; m++ {
		post(m, 0, 1)
	}
	peak := post(25, 1, 12)
	post(30, 2, 20) // another room's burst: not room 1's moment
	s.Decide(ctx, "TEST", "m", peak[3].ID, feed.ActionApprove)
	s.Decide(ctx, "TEST", "m", peak[5].ID, feed.ActionApprove)
	s.Decide(ctx, "TEST", "m", peak[5].ID, feed.ActionPin)
	page, err := s.Moments(ctx, "TEST", 1, start, start.Add(40*time.Minute), feed.PeakOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Moments) != 1 {
		t.Fatalf("moments %+v, volume %+v", page.Moments, page.Volume)
	}
	m := page.Moments[0]
	if !m.At.Equal(start.Add(25*time.Minute)) || m.Volume != 13 || m.OffsetS != 30*60 || m.RecordingURL != "https://video.example/keynote.mp4#t=1800" {
		t.Fatalf("moment %+v", m)
	}
	if len(m.Top) != 2 || m.Top[0].ID != peak[5].ID {
		t.Fatalf("top %+v", m.Top)
	}
	if page.BySource["x"] != 52 || len(page.Volume) != 41 {
		t.Fatalf("by source %v, %d volume points", page.BySource, len(page.Volume))
	}
	_, err = s.Moments(ctx, "TEST", 9, time.Time{}, time.Time{}, feed.PeakOptions{})
	code(t, err, live.EInvalid)
}

// TestRunPublishesTheCurrentFeed: when the service starts (a server restart),
// it publishes every room's feed and the queue once, so that snapshots hold
// them before anything changes.
func TestRunPublishesTheCurrentFeed(t *testing.T) {
	db, dir := openDB(t, "")
	pub := newPublisher()
	s := newService(t, db, dir, pub, feed.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, pub, "the feed of both rooms and the queue", func() bool {
		return pub.get(hub.RoomTopic(1), "feed") != nil && pub.get(hub.StageTopic(2), "feed") != nil &&
			pub.get(hub.ControlTopic(dir.ev.ID), "feed_queue") != nil
	})
}

// TestRoomFeedCarriesThePostLimit shows that a room's feed frame tells the
// post boxes the event's longest in-app post, and comes again when a
// moderator changes it.
func TestRoomFeedCarriesThePostLimit(t *testing.T) {
	ctx := context.Background()
	db, dir := openDB(t, "")
	pub := newPublisher()
	s := newService(t, db, dir, pub, feed.Options{})
	limit := func(topic string) int {
		t.Helper()
		var f feed.FeedFrame
		if err := json.Unmarshal(pub.get(topic, "feed"), &f); err != nil {
			t.Fatalf("%s: no feed frame: %v", topic, err)
		}
		return f.PostMaxLen
	}
	f, err := s.RoomFeed(ctx, dir.ev.ID, 1)
	if err != nil || f.PostMaxLen != 280 {
		t.Fatalf("RoomFeed = %+v, %v; want post_max_len 280 (the default)", f, err)
	}
	const n = 120
	if _, err := s.UpdateSettings(ctx, "TEST", "m", func(st *live.FeedSettings) error { st.PostMaxLen = n; return nil }); err != nil {
		t.Fatal(err)
	}
	s.FlushFrames()
	for _, topic := range []string{hub.RoomTopic(1), hub.RoomTopic(2), hub.StageTopic(1)} {
		if got := limit(topic); got != 120 {
			t.Errorf("%s: post_max_len %d after the change, want 120", topic, got)
		}
	}
}
