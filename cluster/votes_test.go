package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ovation-live/ovation/internal/redistest"
	"github.com/ovation-live/ovation/live"
	"github.com/redis/go-redis/v9"
)

// recordingVoter applies votes as an engine would, each after a short random
// pause (so that goroutines run in any order), and keeps the order in which
// each participant's votes were applied. busyOnce names vote ids refused
// once with EBusy, a passing failure.
type recordingVoter struct {
	mu       sync.Mutex
	applied  map[int64][]string // by participant
	busyOnce map[string]bool
}

func (r *recordingVoter) Vote(_ context.Context, who live.Voter, v live.Vote) (live.Receipt, error) {
	time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.busyOnce[v.VoteID] {
		delete(r.busyOnce, v.VoteID)
		return live.Receipt{}, live.Errorf(live.EBusy, "The vote could not be saved; send it again.")
	}
	r.applied[who.ParticipantID] = append(r.applied[who.ParticipantID], v.VoteID)
	return live.Receipt{Status: live.VoteChanged, Answer: v.Answer}, nil
}

// voteMessages is a stream batch: for each of phones, votes changes on one
// pitch, interleaved phone by phone as edges append them.
func voteMessages(phones, changes int) []redis.XMessage {
	var ms []redis.XMessage
	for c := range changes {
		for p := range phones {
			v := voteEntry{Node: "edge-a", Participant: int64(p + 1), Event: 1, VoteID: fmt.Sprintf("p%d-c%d", p+1, c),
				Target: "pitch:1", Answer: live.Answer(strconv.Itoa(c%5 + 1)), Received: 1}
			values := map[string]any{}
			for k, x := range v.values() {
				values[k] = fmt.Sprint(x) // as Redis gives them back: strings
			}
			ms = append(ms, redis.XMessage{ID: fmt.Sprintf("1-%d", len(ms)), Values: values})
		}
	}
	return ms
}

// TestCoreAppliesOnePhonesVotesInStreamOrder commits a batch in which each
// phone changed its vote many times: each phone's votes are applied in the
// order of the stream, so the last one acknowledged is the one counted.
func TestCoreAppliesOnePhonesVotesInStreamOrder(t *testing.T) {
	c := &Core{opts: Options{Node: "core-1"}}
	const phones, changes = 20, 10
	for run := range 3 {
		voter := &recordingVoter{applied: map[int64][]string{}}
		done, _ := c.votes(context.Background(), voter, voteMessages(phones, changes))
		if len(done) != phones*changes {
			t.Fatalf("run %d: %d entries done, want %d", run, len(done), phones*changes)
		}
		for p := int64(1); p <= phones; p++ {
			var want []string
			for c := range changes {
				want = append(want, fmt.Sprintf("p%d-c%d", p, c))
			}
			if got := voter.applied[p]; !slices.Equal(got, want) {
				t.Fatalf("run %d: phone %d's votes applied in the order %v, want %v", run, p, got, want)
			}
		}
	}
}

// TestCoreHoldsBackABallotAfterAPassingFailure refuses one vote with busy:
// the later votes of its ballot are not applied before it, and stay pending
// with it, while the other phones' votes go on.
func TestCoreHoldsBackABallotAfterAPassingFailure(t *testing.T) {
	c := &Core{opts: Options{Node: "core-1"}}
	voter := &recordingVoter{applied: map[int64][]string{}, busyOnce: map[string]bool{"p1-c1": true}}
	ms := voteMessages(2, 3)
	done, _ := c.votes(context.Background(), voter, ms)
	if got := voter.applied[1]; !slices.Equal(got, []string{"p1-c0"}) {
		t.Fatalf("phone 1's votes applied: %v, want only the one before the failure", got)
	}
	if got := voter.applied[2]; len(got) != 3 {
		t.Fatalf("phone 2's votes applied: %v, want all 3", got)
	}
	var pending []redis.XMessage
	for _, m := range ms {
		if !slices.Contains(done, m.ID) {
			pending = append(pending, m)
		}
	}
	if len(pending) != 2 {
		t.Fatalf("%d entries left pending, want phone 1's last two", len(pending))
	}
	if done, _ := c.votes(context.Background(), voter, pending); len(done) != 2 {
		t.Fatalf("read again: %d done, want 2", len(done))
	}
	if got := voter.applied[1]; !slices.Equal(got, []string{"p1-c0", "p1-c1", "p1-c2"}) {
		t.Fatalf("phone 1's votes after the retry: %v, want in order", got)
	}
}

// TestCoreAnswersBeforeItAcknowledges runs the core's stream consumer
// against a real Redis: a vote's answer goes to its edge while the entry is
// still in the stream, so that a core that stops between the two leaves it
// pending for the next core (which answers it again) rather than answered
// by no one; the entry is deleted after.
func TestCoreAnswersBeforeItAcknowledges(t *testing.T) {
	r := redistest.Start(t)
	rdb := r.Client(t)
	c, err := NewCore(rdb, Options{RedisURL: r.URL(), Node: "core-1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rdb.XGroupCreateMkStream(ctx, streamVotes, group, "0").Err(); err != nil {
		t.Fatal(err)
	}
	entry := voteEntry{Node: "edge-a", Participant: 1, Event: 1, VoteID: "v1", Target: "pitch:1", Answer: "3", Received: 1}
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: streamVotes, Values: entry.values()}).Err(); err != nil {
		t.Fatal(err)
	}
	c.leaseUntil.Store(time.Now().Add(time.Minute).UnixMilli())
	inStream := make(chan int64, 1)
	consumed, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		c.consume(consumed, streamVotes, 16, func(_ context.Context, ms []redis.XMessage, _ bool) ([]string, func()) {
			var ids []string
			for _, m := range ms {
				ids = append(ids, m.ID)
			}
			return ids, func() { inStream <- rdb.XLen(ctx, streamVotes).Val() }
		})
	})
	defer func() { stop(); wg.Wait() }()
	select {
	case n := <-inStream:
		if n != 1 {
			t.Fatalf("the stream held %d entries when the answer went out, want the vote's still there", n)
		}
	case <-ctx.Done():
		t.Fatal("no answer")
	}
	for rdb.XLen(ctx, streamVotes).Val() != 0 {
		if ctx.Err() != nil {
			t.Fatal("the answered entry was never deleted")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
