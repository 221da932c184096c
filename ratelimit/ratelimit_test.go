package ratelimit_test

import (
	"testing"
	"time"

	"github.com/ovation-live/ovation/ratelimit"
)

// TestBurstThenWait: a key has its burst at once, then waits for the rate;
// another key has its own bucket.
func TestBurstThenWait(t *testing.T) {
	l := ratelimit.New[int64](2, 3) // 2 a second, burst 3
	now := time.Unix(1_000_000, 0)
	for i := range 3 {
		if d := l.Wait(1, now); d != 0 {
			t.Fatalf("token %d of the burst: wait %v", i, d)
		}
	}
	if d := l.Wait(1, now); d != 500*time.Millisecond {
		t.Fatalf("past the burst: wait %v, want 500ms", d)
	}
	if d := l.Wait(1, now); d != 500*time.Millisecond { // a refusal takes nothing
		t.Fatalf("refused again: wait %v, want 500ms", d)
	}
	if d := l.Wait(2, now); d != 0 {
		t.Fatalf("another key: wait %v", d)
	}
	if d := l.Wait(1, now.Add(500*time.Millisecond)); d != 0 {
		t.Fatalf("after the wait: %v", d)
	}
}

// TestIdleKeysForgotten: buckets unused for Idle go when a new key comes,
// those in use stay; a slow bucket is kept until it is full again.
func TestIdleKeysForgotten(t *testing.T) {
	l := ratelimit.New[string](1, 10)
	now := time.Unix(1_000_000, 0)
	l.Wait("idle", now)
	l.Wait("busy", now)
	later := now.Add(ratelimit.Idle + time.Second)
	l.Wait("busy", later.Add(-time.Second))
	l.Wait("new", later)
	if n := l.Len(); n != 2 {
		t.Fatalf("%d buckets after the sweep, want busy and new", n)
	}

	slow := ratelimit.New[string](1.0/3600, 5) // fills up in 5 hours
	slow.Wait("a", now)
	slow.Wait("b", now.Add(ratelimit.Idle+time.Minute))
	if n := slow.Len(); n != 2 {
		t.Fatalf("a bucket still filling was forgotten: %d left", n)
	}
}
