// Package cluster owns Ovation's multi-node mode on Redis. One node, the
// core, runs the event engine and owns SQLite; every node (the core
// included) holds WebSocket connections. This package carries what crosses
// nodes:
//
//   - frames: the core publishes each encoded frame once (batched) on Redis
//     pub/sub and keeps the latest frame per topic and key in Redis as the
//     topic's snapshot; edges deliver them to their local hub and
//     resynchronise from the snapshots after a gap (Broker, Edge);
//   - votes and commands: edges append them to Redis Streams, the core reads
//     them with a consumer group, commits, acknowledges the entry and only
//     then answers the edge (Core, Edge);
//   - the core lease, which makes a second core for the cluster impossible;
//   - an edge's conduct while Redis is down: degraded status, a bounded vote
//     buffer, resynchronisation when Redis is back.
//
// Every Redis call has a deadline. docs/cluster.md describes the design,
// the failures and how the system recovers.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ovation-live/ovation/retry"
	"github.com/redis/go-redis/v9"
)

// Redis keys and channels. One Redis (or one database of it) serves one cluster.
const (
	keyEpoch    = "ovation:epoch"    // the hub epoch the cluster's frames belong to
	keySeqs     = "ovation:seqs"     // hash: topic → last sequence number published
	keyTopics   = "ovation:topics"   // set of topics with a snapshot
	keySnapshot = "ovation:snap:"    // + topic: hash key → "seq data"
	keyLease    = "ovation:lease"    // the core lease: "node instance"
	keyCluster  = "ovation:cluster"  // the cluster's identity, also kept in the core's database
	keySecrets  = "ovation:secrets"  // hash: what edges need to verify tokens
	keyPresence = "ovation:presence" // hash: node → its local subscriber counts
	chanFrames  = "ovation:frames"   // pub/sub: frame batches from the core
	chanNode    = "ovation:node:"    // + node id: pub/sub, the core's answers to that edge
	streamVotes = "ovation:votes"    // stream of votes from edges
	streamCmds  = "ovation:commands" // stream of HTTP requests from edges
	group       = "core"             // the core's consumer group (and consumer) on both streams
)

// Options configures a node's Redis side. Zero values take the defaults.
type Options struct {
	// RedisURL is the Redis address, "redis://[:password@]host:port[/db]".
	RedisURL string
	// Node names this node, unique in the cluster (replies are addressed to it).
	Node string
	// Timeout bounds every Redis call. Default 2 s.
	Timeout time.Duration
	// LeaseTTL is the core lease's lifetime; the core renews it every third
	// of it. Default 10 s.
	LeaseTTL time.Duration
	// LeaseWait is how long a starting core waits for a lease held by
	// another node (a crashed core's lease runs out within LeaseTTL) before
	// refusing to act as core. Default LeaseTTL + 2 s.
	LeaseWait time.Duration
	// Standby makes a core that finds the lease held wait for it for as
	// long as it takes (standing by, to take over when the acting core is
	// lost) instead of refusing after LeaseWait.
	Standby bool
	// VoteBuffer is how many votes an edge holds while Redis is down;
	// beyond it, votes are refused with "busy". Default 10,000.
	VoteBuffer int
	// RequestTimeout bounds an edge's wait for the core's answer to a
	// forwarded HTTP request. Default 10 s.
	RequestTimeout time.Duration
	Logger         *slog.Logger
}

func (o *Options) defaults() error {
	if o.RedisURL == "" {
		return errors.New("cluster: redis_url is required")
	}
	if o.Node == "" {
		return errors.New("cluster: node id is required")
	}
	if strings.ContainsAny(o.Node, " \t\n") || len(o.Node) > 64 {
		return fmt.Errorf("cluster: node id %q: at most 64 characters, no spaces", o.Node)
	}
	*o = o.WithDefaults()
	return nil
}

// WithDefaults returns o with its zero fields set to the defaults noted.
func (o Options) WithDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 10 * time.Second
	}
	if o.LeaseWait <= 0 {
		o.LeaseWait = o.LeaseTTL + 2*time.Second
	}
	if o.VoteBuffer <= 0 {
		o.VoteBuffer = 10_000
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Dial returns a Redis client for opts (not yet connected: go-redis dials
// on first use and redials after failures), with every call bounded. A URL
// with a master_name names Redis Sentinel instead, its sentinels in the
// host and the addr parameters
// (redis://s1:26379/0?master_name=ovation&addr=s2:26379&addr=s3:26379&password=…):
// the client asks them for the master, and follows a failover.
func Dial(opts *Options) (*redis.Client, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	redis.SetLogger(redisLogger{opts.Logger})
	if u, err := url.Parse(opts.RedisURL); err == nil && u.Query().Has("master_name") {
		fo, err := redis.ParseFailoverURL(opts.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("cluster: redis_url (Sentinel): %w", err)
		}
		fo.DialTimeout, fo.ReadTimeout, fo.WriteTimeout = opts.Timeout, opts.Timeout, opts.Timeout
		fo.MaxRetries = 1
		fo.ContextTimeoutEnabled = true
		return redis.NewFailoverClient(fo), nil
	}
	ro, err := redis.ParseURL(opts.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("cluster: redis_url: %w", err)
	}
	ro.DialTimeout, ro.ReadTimeout, ro.WriteTimeout = opts.Timeout, opts.Timeout, opts.Timeout
	ro.MaxRetries = 1
	ro.ContextTimeoutEnabled = true
	return redis.NewClient(ro), nil
}

// redisLogger sends go-redis's own messages (a failed dial, retried by
// itself) to the debug log: the node logs what they mean once, at warn.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.Debug("redis: " + fmt.Sprintf(format, v...))
}

// call runs f with a context bounded by the node's Redis timeout.
func call[T any](ctx context.Context, timeout time.Duration, f func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return f(ctx)
}

// snapshotValue is how a frame is kept in a topic's snapshot hash.
func snapshotValue(seq uint64, data []byte) string {
	return strconv.FormatUint(seq, 10) + " " + string(data)
}

func parseSnapshotValue(v string) (uint64, []byte, error) {
	seqText, data, ok := strings.Cut(v, " ")
	seq, err := strconv.ParseUint(seqText, 10, 64)
	if !ok || err != nil || len(data) < 2 || data[0] != '{' {
		return 0, nil, fmt.Errorf("cluster: malformed snapshot value %.40q", v)
	}
	return seq, []byte(data), nil
}

// redisBackoff is the wait between retries of a failing Redis call.
var redisBackoff = retry.Backoff{Min: 100 * time.Millisecond, Max: 2 * time.Second}

// backoff returns the wait before retry n (0-based): 100 ms doubling to 2 s.
func backoff(n int) time.Duration { return redisBackoff.Delay(n + 1) }
