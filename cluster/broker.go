package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/retry"
	"github.com/redis/go-redis/v9"
)

// batch is one pub/sub message of frames. N counts the core's batches in an
// epoch, one by one, so that an edge sees when it missed one.
type batch struct {
	Epoch  string      `json:"e"`
	N      uint64      `json:"n"`
	Frames []wireFrame `json:"f"`
}

type wireFrame struct {
	Topic string          `json:"t"`
	Key   string          `json:"k"`
	Seq   uint64          `json:"s"`
	Data  json.RawMessage `json:"d"`
}

// encodeBatch returns the pub/sub message of frames: a batch, each frame's
// data (a JSON object the hub encoded once) spliced in as it is.
func encodeBatch(epoch string, n uint64, frames []hub.Frame) []byte {
	size := 64 + len(epoch)
	for _, f := range frames {
		size += len(f.Topic) + len(f.Key) + len(f.Data) + 48
	}
	str := func(b []byte, s string) []byte {
		q, _ := json.Marshal(s) // a string always encodes
		return append(b, q...)
	}
	b := append(make([]byte, 0, size), `{"e":`...)
	b = str(b, epoch)
	b = append(b, `,"n":`...)
	b = strconv.AppendUint(b, n, 10)
	b = append(b, `,"f":[`...)
	for i, f := range frames {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"t":`...)
		b = str(b, f.Topic)
		b = append(b, `,"k":`...)
		b = str(b, f.Key)
		b = append(b, `,"s":`...)
		b = strconv.AppendUint(b, f.Seq, 10)
		b = append(b, `,"d":`...)
		b = append(b, f.Data...)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// decodeBatch parses a pub/sub message of frames; every frame must name its
// topic and key, have a sequence number and be a JSON object.
func decodeBatch(payload string) (batch, error) {
	var b batch
	if err := json.Unmarshal([]byte(payload), &b); err != nil {
		return b, err
	}
	if b.Epoch == "" || b.N == 0 {
		return b, errors.New("cluster: batch without epoch or number")
	}
	for _, f := range b.Frames {
		if f.Topic == "" || f.Key == "" || f.Seq == 0 || len(f.Data) < 2 || f.Data[0] != '{' {
			return b, fmt.Errorf("cluster: malformed frame in batch %d", b.N)
		}
	}
	return b, nil
}

// maxBatch bounds the frames of one pub/sub message.
const maxBatch = 512

// Broker is the core's hub.Broker: it delivers each frame to the core's own
// hub at once and queues it for Redis, where one goroutine publishes the
// queue in batches: the snapshot hashes updated and the batch published in
// one pipeline. Queued frames with the same topic and key supersede each
// other, so while Redis is slow or down the queue holds at most one frame
// per key; they are published when it is back.
type Broker struct {
	rdb     *redis.Client
	local   *hub.Hub
	epoch   string
	timeout time.Duration
	log     *slog.Logger

	mu      sync.Mutex
	pending []hub.Frame
	index   map[string]int // topic + "\x00" + key → position in pending
	wake    chan struct{}
	n       uint64 // batches published, guarded by the Run goroutine only

	failing bool // guarded by the Run goroutine only

	// leaseValid, set by the core, says whether the core lease is surely
	// still its own: frames wait while it may not be, so that a core that
	// lost it publishes nothing over its successor's.
	leaseValid func() bool
}

// errNoLease is why frames wait while the core lease may have run out.
var errNoLease = errors.New("the core lease may have run out")

var _ hub.Broker = (*Broker)(nil)

// NewBroker returns the core's broker for the local hub, whose epoch must
// already be the cluster's (see Core.Start).
func NewBroker(rdb *redis.Client, local *hub.Hub, opts Options) *Broker {
	_ = opts.defaults()
	return &Broker{rdb: rdb, local: local, epoch: local.Epoch(), timeout: opts.Timeout, log: opts.Logger,
		index: map[string]int{}, wake: make(chan struct{}, 1)}
}

// Publish implements hub.Broker. It never blocks on Redis.
func (b *Broker) Publish(f hub.Frame) error {
	b.local.Deliver(f)
	b.queue(f)
	return nil
}

// queue adds f to what Run publishes, superseding a queued frame of its key.
func (b *Broker) queue(f hub.Frame) {
	k := f.Topic + "\x00" + f.Key
	b.mu.Lock()
	if i, ok := b.index[k]; ok { // superseded: drop the old one, keep sequence order
		b.pending = slices.Delete(b.pending, i, i+1)
		for j := i; j < len(b.pending); j++ {
			b.index[b.pending[j].Topic+"\x00"+b.pending[j].Key] = j
		}
	}
	b.index[k] = len(b.pending)
	b.pending = append(b.pending, f)
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Run publishes queued frames until ctx ends, then makes one last attempt.
func (b *Broker) Run(ctx context.Context) {
	fails := 0
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), b.timeout)
			for b.flush(fctx) == nil && b.queued() > 0 {
			}
			cancel()
			return
		case <-b.wake:
		}
		for b.queued() > 0 {
			if err := b.flush(ctx); err != nil {
				if !b.failing {
					b.log.Warn("cluster: publishing frames to Redis failed; frames are kept (latest per key) and retried", "err", err)
				}
				b.failing = true
				if !retry.Sleep(ctx, backoff(fails)) {
					break
				}
				fails++
				continue
			}
			if b.failing {
				b.log.Info("cluster: publishing frames to Redis again")
			}
			b.failing, fails = false, 0
		}
	}
}

func (b *Broker) queued() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.pending)
}

// flush publishes up to maxBatch queued frames; on failure they stay queued.
func (b *Broker) flush(ctx context.Context) error {
	if b.leaseValid != nil && !b.leaseValid() {
		return errNoLease
	}
	b.mu.Lock()
	n := min(len(b.pending), maxBatch)
	frames := slices.Clone(b.pending[:n])
	b.mu.Unlock()
	if n == 0 {
		return nil
	}
	payload := encodeBatch(b.epoch, b.n+1, frames)
	seqs := make(map[string]any, n)
	for _, f := range frames {
		seqs[f.Topic] = strconv.FormatUint(f.Seq, 10)
	}
	_, err := call(ctx, b.timeout, func(ctx context.Context) ([]redis.Cmder, error) {
		return b.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for _, f := range frames {
				p.HSet(ctx, keySnapshot+f.Topic, f.Key, snapshotValue(f.Seq, f.Data))
				p.SAdd(ctx, keyTopics, f.Topic)
			}
			p.HSet(ctx, keySeqs, seqs)
			p.Publish(ctx, chanFrames, payload)
			return nil
		})
	})
	if err != nil {
		return err
	}
	b.n++
	b.mu.Lock()
	// Remove what was published, unless a newer frame of the key replaced it meanwhile.
	done := map[string]uint64{}
	for _, f := range frames {
		done[f.Topic+"\x00"+f.Key] = f.Seq
	}
	kept := b.pending[:0]
	for _, f := range b.pending {
		if s, ok := done[f.Topic+"\x00"+f.Key]; ok && s == f.Seq {
			continue
		}
		kept = append(kept, f)
	}
	clear(b.pending[len(kept):])
	b.pending = kept
	clear(b.index)
	for i, f := range b.pending {
		b.index[f.Topic+"\x00"+f.Key] = i
	}
	b.mu.Unlock()
	return nil
}
