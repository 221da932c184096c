package feed_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ovation-live/ovation/feed"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/store"
)

// directory is a fake engine: one event with rooms 1 and 2.
type directory struct{ ev live.Event }

func (d *directory) Event(code string) (*live.Event, error) {
	if live.NormalizeCode(code) != d.ev.Code {
		return nil, live.Errorf(live.ENotFound, "No event with code %q.", code)
	}
	ev := d.ev
	return &ev, nil
}
func (d *directory) Events() []live.Event { return []live.Event{d.ev} }
func (d *directory) RoomIDs(id int64) ([]int64, error) {
	if id != d.ev.ID {
		return nil, live.Errorf(live.ENotFound, "No event %d.", id)
	}
	return []int64{1, 2}, nil
}

// publisher records published frames and signals each one.
type publisher struct {
	mu     sync.Mutex
	frames map[string][]byte // topic + " " + key → latest payload
	notify chan string
}

func newPublisher() *publisher {
	return &publisher{frames: map[string][]byte{}, notify: make(chan string, 1024)}
}

func (p *publisher) Publish(topic, key string, b []byte) {
	p.mu.Lock()
	p.frames[topic+" "+key] = b
	p.mu.Unlock()
	select {
	case p.notify <- topic + " " + key:
	default:
	}
}

func (p *publisher) get(topic, key string) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.frames[topic+" "+key]
}

// openDB opens a fresh database holding event 1, code TEST.
func openDB(tb testing.TB, path string) (*store.DB, *directory) {
	tb.Helper()
	if path == "" {
		path = filepath.Join(tb.TempDir(), "ovation.db")
	}
	db, err := store.Open(path, store.Options{Synchronous: "NORMAL"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	ev := live.Event{ID: 1, Code: "TEST", Title: "Test", Languages: []string{"en"}, Color: "#000000", CreatedAt: time.Now()}
	ds, err := db.Load(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	if len(ds.Events) == 0 {
		ev.ID = 0
		if err := db.SaveEvent(context.Background(), &ev); err != nil {
			tb.Fatal(err)
		}
	} else {
		ev = *ds.Events[0]
	}
	return db, &directory{ev: ev}
}

func newService(tb testing.TB, db *store.DB, dir *directory, pub *publisher, opts feed.Options) *feed.Service {
	tb.Helper()
	return feed.New(db, dir, pub, opts)
}

// waitFor polls cond on every published frame, failing after a deadline.
func waitFor(tb testing.TB, pub *publisher, what string, cond func() bool) {
	tb.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-pub.notify:
		case <-time.After(50 * time.Millisecond): // cond may change without a frame (a cursor)
		case <-deadline:
			tb.Fatalf("timed out waiting for %s", what)
		}
	}
}

func code(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := live.ErrorCode(err); got != want {
		tb.Fatalf("error code %q (%v), want %q", got, err, want)
	}
}
