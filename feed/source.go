package feed

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/retry"
)

// Source is one external feed: it polls or streams items from where the
// last run stopped (cursor, "" the first time) until ctx ends, handing each
// batch with the position after it to sink, which stores both before
// returning. Run returns nil when ctx ends and an error otherwise; the
// service then waits (backoff, or what a *RetryError asks) and runs it
// again from the last stored cursor.
type Source interface {
	Run(ctx context.Context, cursor string, sink Sink) error
}

// Sink stores a batch of items and then the cursor after them. Items it
// cannot use (duplicates, malformed) are skipped, not errors.
type Sink func(ctx context.Context, items []live.FeedItem, cursor string) error

// RetryError asks the service to wait After before running the source again:
// a rate limit (429, Retry-After, x-rate-limit-reset) or an outage.
type RetryError struct {
	After time.Duration
	Err   error
}

func (e *RetryError) Error() string { return fmt.Sprintf("%v (retry in %s)", e.Err, e.After) }
func (e *RetryError) Unwrap() error { return e.Err }

// Backoff is the wait before the attempt-th retry of a source (from 1):
// retry.Backoff.
type Backoff = retry.Backoff

// responseError classifies a failed HTTP response: 429 and 5xx become a
// *RetryError honouring Retry-After, then x-rate-limit-reset (X: Unix
// seconds; Mastodon: an RFC 3339 time); anything else a plain error.
func responseError(resp *http.Response, now time.Time, what string) error {
	err := fmt.Errorf("%s: HTTP %d", what, resp.StatusCode)
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 {
		return err
	}
	wait := retryAfter(resp.Header, now)
	if wait <= 0 && resp.StatusCode == http.StatusTooManyRequests {
		wait = time.Minute
	}
	if wait <= 0 {
		return err // 5xx without a hint: the ordinary backoff
	}
	return &RetryError{After: wait, Err: err}
}

// retryAfter reads how long a server asked us to wait, capped at an hour.
func retryAfter(h http.Header, now time.Time) time.Duration {
	var wait time.Duration
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			wait = time.Duration(n) * time.Second
		} else if t, err := http.ParseTime(v); err == nil {
			wait = t.Sub(now)
		}
	}
	if v := strings.TrimSpace(h.Get("X-Rate-Limit-Reset")); wait <= 0 && v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			wait = time.Unix(n, 0).Sub(now)
		} else if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			wait = t.Sub(now)
		}
	}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); wait <= 0 && v != "" {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			wait = t.Sub(now)
		} else if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			wait = time.Unix(n, 0).Sub(now)
		}
	}
	return min(max(wait, 0), time.Hour)
}

// sleep waits d or until ctx ends; it reports false if ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// errStopped is returned by a source's Run when its context ended mid-call.
var errStopped = errors.New("feed: stopped")
