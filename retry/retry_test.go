package retry_test

import (
	"context"
	"testing"
	"time"

	"github.com/ovation-live/ovation/retry"
)

// TestDelayDoublesToMax: Min, doubled each retry, held at Max, each with
// at most 20% jitter on top.
func TestDelayDoublesToMax(t *testing.T) {
	b := retry.Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	for attempt, base := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 60: time.Second} {
		for range 50 {
			if d := b.Delay(attempt); d < base || d > base+base/5 {
				t.Fatalf("Delay(%d) = %v, want between %v and %v", attempt, d, base, base+base/5)
			}
		}
	}
}

// TestSleepEndsWithItsContext: a cancelled context ends the wait at once.
func TestSleepEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if retry.Sleep(ctx, time.Hour) {
		t.Fatal("Sleep reported a cancelled context live")
	}
	if !retry.Sleep(context.Background(), time.Millisecond) {
		t.Fatal("Sleep of a live context reported it ended")
	}
}
