// Package ratelimit owns the server's keyed rate limits: one token bucket
// per key (a participant, an IP address, an account), idle buckets
// forgotten. The API limits votes, joins and logins with it, the feed
// in-app posts, the boards entries. It imports no project package.
package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Idle is how long a key's bucket is kept unused before it is forgotten
// (or the time it takes to fill up again, if that is longer: forgetting
// never hands out tokens the bucket would not have).
const Idle = 10 * time.Minute

// sweepEvery is how often, at most, idle buckets are looked for (when a
// new key comes).
const sweepEvery = time.Minute

// Keyed is a token bucket per key, each of the same rate and burst. It is
// safe for concurrent use.
type Keyed[K comparable] struct {
	every rate.Limit
	burst int
	idle  time.Duration

	mu      sync.Mutex
	buckets map[K]*bucket
	sweep   time.Time // the last look for idle buckets
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// New returns a limiter of perSecond tokens a second per key, burst at
// most (at least 1).
func New[K comparable](perSecond float64, burst int) *Keyed[K] {
	burst = max(burst, 1)
	idle := Idle
	if perSecond > 0 {
		idle = max(Idle, time.Duration(float64(burst)/perSecond*float64(time.Second)))
	}
	return &Keyed[K]{every: rate.Limit(perSecond), burst: burst, idle: idle, buckets: map[K]*bucket{}}
}

// Wait takes one of key's tokens at now and returns 0 if it had one;
// otherwise it takes nothing and returns how long until it will.
func (l *Keyed[K]) Wait(key K, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if now.Sub(l.sweep) >= sweepEvery {
			l.forgetIdle(now)
		}
		b = &bucket{lim: rate.NewLimiter(l.every, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

// Len is how many keys have a bucket.
func (l *Keyed[K]) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// forgetIdle drops the buckets unused for the idle time (mu held).
func (l *Keyed[K]) forgetIdle(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.seen) > l.idle {
			delete(l.buckets, k)
		}
	}
	l.sweep = now
}
