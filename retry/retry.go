// Package retry owns the server's one backoff: how long to wait before
// each retry of something that failed (a Redis call in cluster, a social
// source in feed, a batch commit during a database failover in store),
// doubling up to a bound, with jitter, and a wait that ends with its
// context. It imports no project package.
package retry

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff is the wait before the attempt-th retry (from 1): Min doubled
// each time, at most Max, plus up to 20% random jitter so that many nodes
// or sources do not retry in step.
type Backoff struct {
	Min, Max time.Duration
}

// Delay returns the wait before retry attempt (1, 2, …).
func (b Backoff) Delay(attempt int) time.Duration {
	d := b.Min
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}

// Sleep waits d or until ctx ends; it reports whether ctx is still live.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
