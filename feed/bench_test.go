package feed_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ovation-live/ovation/feed"
	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
)

// BenchmarkIngestAndApprove measures the feed's throughput with the stage
// ticker live: each op ingests one webhook-style item (normalise, dedupe,
// store, moderation queue) and a moderator approves it (store, audit), while
// the service publishes the coalesced ticker frame to 1,000 screen
// subscribers on the real hub every 250 ms; the screens' queues are drained
// as their writers would. Reports items per second.
func BenchmarkIngestAndApprove(b *testing.B) {
	db, dir := openDB(b, filepath.Join(b.TempDir(), "bench.db"))
	h := hub.New(hub.Options{})
	screens := make([]*hub.Subscriber, 1000)
	for i := range screens {
		screens[i] = h.NewSubscriber(func() {}, nil)
		h.Subscribe(hub.StageTopic(1), screens[i], "", 0)
	}
	s := feed.New(db, dir, h, feed.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	drained := make(chan struct{})
	go func() { // the screens' writers
		defer close(drained)
		var buf [][]byte
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
			for _, sc := range screens {
				buf = sc.Take(buf[:0])
			}
		}
	}()
	defer func() { cancel(); <-done; <-drained }()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		it := live.FeedItem{Source: "webhook", SourceID: strconv.Itoa(i), Author: "author" + strconv.Itoa(i%50),
			Text: "Great keynote, item " + strconv.Itoa(i) + " #TDAYS", PostedAt: time.Now()}
		got, _, err := s.Add(ctx, dir.ev.Code, it)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Decide(ctx, dir.ev.Code, "bench", got.ID, "approve"); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
	if st := h.Stats(); b.Elapsed() > time.Second && st.Published == 0 {
		b.Fatal("no ticker frame was published during the run")
	}
}
