package hub_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ovation-live/ovation/hub"
)

// TestCoalescer: a key marked many times between flushes publishes once,
// with its last mark; a flush waits for Exclusive; Run flushes on its
// ticks and returns when its context ends.
func TestCoalescer(t *testing.T) {
	var c hub.Coalescer
	var got []string
	for _, v := range []string{"a1", "a2", "a3"} {
		c.Mark("a", func(context.Context) { got = append(got, v) })
	}
	c.Mark("b", func(context.Context) { got = append(got, "b") })
	c.Flush(t.Context())
	if len(got) != 2 || !(got[0] == "a3" && got[1] == "b" || got[0] == "b" && got[1] == "a3") {
		t.Fatalf("published %v, want a3 and b once each", got)
	}
	c.Flush(t.Context())
	if len(got) != 2 {
		t.Fatalf("a second flush published again: %v", got)
	}

	var published atomic.Int32
	flushed := make(chan struct{})
	c.Exclusive(func() {
		c.Mark("c", func(context.Context) { published.Add(1) })
		go func() { c.Flush(t.Context()); close(flushed) }()
		time.Sleep(20 * time.Millisecond)
		if published.Load() != 0 {
			t.Error("a flush ran inside Exclusive")
		}
	})
	<-flushed
	if published.Load() != 1 {
		t.Fatalf("published %d times after Exclusive, want 1", published.Load())
	}

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { c.Run(ctx, 5*time.Millisecond); close(done) }()
	c.Mark("d", func(context.Context) { published.Add(1) })
	deadline := time.Now().Add(5 * time.Second)
	for published.Load() != 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if published.Load() != 2 {
		t.Fatalf("Run did not flush the mark: %d", published.Load())
	}
}
