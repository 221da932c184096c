package hub

import (
	"context"
	"sync"
	"time"
)

// A Coalescer publishes changed state at most once per interval, the same
// way for every service that publishes frames (the vote engine, the
// boards, the feed). A change marks a key due with the function that
// builds and publishes that key's frames from the state at flush time; a
// later mark of the same key replaces the earlier. So a frame never shows
// a change before it is committed, and a burst of changes costs one frame
// per key and interval. The zero value is ready to use.
type Coalescer struct {
	flush sync.Mutex // held by a flush and by Exclusive: frames of a key go out in order
	mu    sync.Mutex
	due   map[string]func(context.Context)
}

// Mark makes publish due at the next flush under key.
func (c *Coalescer) Mark(key string, publish func(context.Context)) {
	c.mu.Lock()
	if c.due == nil {
		c.due = map[string]func(context.Context){}
	}
	c.due[key] = publish
	c.mu.Unlock()
}

// Flush runs every publish marked since the last flush.
func (c *Coalescer) Flush(ctx context.Context) {
	c.flush.Lock()
	defer c.flush.Unlock()
	c.mu.Lock()
	due := c.due
	c.due = nil
	c.mu.Unlock()
	for _, publish := range due {
		publish(ctx)
	}
}

// Exclusive runs f while no flush runs: a change that must not be
// overtaken by a flush of what it replaces (a board moved to another room,
// or deleted, clearing its old frames).
func (c *Coalescer) Exclusive(f func()) {
	c.flush.Lock()
	defer c.flush.Unlock()
	f()
}

// Run flushes every interval until ctx ends. It does not flush at the end:
// the caller does, once what may still mark keys has stopped.
func (c *Coalescer) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.Flush(ctx)
		}
	}
}
