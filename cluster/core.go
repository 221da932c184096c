package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/retry"
	"github.com/redis/go-redis/v9"
)

// Voter is the core's vote path: the engine, which returns once the vote is
// durable in SQLite.
type Voter interface {
	Vote(ctx context.Context, who live.Voter, v live.Vote) (live.Receipt, error)
}

// Core runs the core's side of the cluster: the lease, the cluster epoch,
// the secrets edges need, and the consumers of the vote and command streams.
type Core struct {
	rdb      *redis.Client
	opts     Options
	instance string // this process: a restarted node holds a new lease

	leaseUntil atomic.Int64 // unix ms until which the lease is surely ours
	lost       chan string  // the node that took the lease

	// Set by Start, before started: what the core keeps in Redis, put back by ensure.
	started atomic.Bool
	epoch   string
	secrets map[string]string
	hub     *hub.Hub
	broker  *Broker
}

// NewCore returns the core side for rdb.
func NewCore(rdb *redis.Client, opts Options) (*Core, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &Core{rdb: rdb, opts: opts, instance: hex.EncodeToString(b[:]), lost: make(chan string, 1)}, nil
}

func (c *Core) leaseValue() string { return c.opts.Node + " " + c.instance }

// ErrLeaseHeld is returned by Acquire when another process holds the core lease.
var ErrLeaseHeld = errors.New("another node holds the core lease")

// ErrLeaseLost is what a core that lost its lease to another node stops with.
var ErrLeaseLost = errors.New("took the core lease")

// acquireScript takes the lease if it is free, and renews it if this
// process holds it. A lease of another process is held, even under this
// node id: an earlier process of this node that crashed is told apart from
// a second one running only by the lease running out.
var acquireScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return cur`)

// renewScript extends the lease only while this process holds it.
var renewScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return cur`)

// tryLease runs script and reports whether the lease is ours, or who holds it.
func (c *Core) tryLease(ctx context.Context, script *redis.Script) (bool, string, error) {
	start := time.Now()
	v, err := call(ctx, c.opts.Timeout, func(ctx context.Context) (any, error) {
		return script.Run(ctx, c.rdb, []string{keyLease}, c.leaseValue(), c.opts.LeaseTTL.Milliseconds()).Result()
	})
	if err != nil {
		return false, "", err
	}
	if n, ok := v.(int64); ok && n == 1 {
		// Counted from before the call: the lease surely lasts until then, less a margin for clock rates.
		c.leaseUntil.Store(start.Add(c.opts.LeaseTTL * 9 / 10).UnixMilli())
		return true, "", nil
	}
	holder, _ := v.(string)
	holder, _, _ = strings.Cut(holder, " ")
	return false, holder, nil
}

// Acquire takes the core lease, waiting up to LeaseWait for a lease
// another process holds (a crashed core's runs out within LeaseTTL). It
// returns ErrLeaseHeld, wrapped with the holder's node id, when the lease
// stays taken; a Standby core waits until it is free, however long, and
// while Redis cannot be reached (a failover under way). Call
// it before touching the database, and keep the lease with KeepLease from
// then on.
func (c *Core) Acquire(ctx context.Context) error {
	deadline := time.Now().Add(c.opts.LeaseWait)
	unreachable := false
	for attempt := 0; ; attempt++ {
		ok, holder, err := c.tryLease(ctx, acquireScript)
		if err != nil && c.opts.Standby && ctx.Err() == nil {
			// Redis failing over, or restarting: a standby is there to
			// outlive it, and waits as it would for the lease.
			if !unreachable {
				c.opts.Logger.Warn("cluster: cannot reach Redis while standing by; retrying", "err", err)
				unreachable = true
			}
			if !retry.Sleep(ctx, 250*time.Millisecond) {
				return ctx.Err()
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("cluster: core lease: %w", err)
		}
		unreachable = false
		if ok {
			return nil
		}
		if attempt == 0 {
			who := "node " + holder
			if holder == c.opts.Node {
				who = "another process of node " + holder + " (a second one running, or an earlier one that did not stop cleanly)"
			}
			if c.opts.Standby {
				c.opts.Logger.Info("cluster: " + who + " holds the core lease; standing by to take over")
			} else {
				c.opts.Logger.Warn("cluster: "+who+" holds the core lease; waiting for it to expire", "wait", c.opts.LeaseWait)
			}
		}
		if !c.opts.Standby && time.Now().After(deadline) {
			return fmt.Errorf("cluster: node %s: %w; refusing to act as core", holder, ErrLeaseHeld)
		}
		if !retry.Sleep(ctx, 250*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// ErrForeignData is what a core stops with when its database does not hold
// the cluster's data: acting on it would hand the cluster's phones an empty
// or another event, and refuse their votes.
var ErrForeignData = errors.New("the core's database does not hold this cluster's data")

// ClusterID returns the cluster's identity ("" for a cluster that has
// none yet), for a check before the core opens its database (Bind).
func (c *Core) ClusterID(ctx context.Context) (string, error) {
	id, err := call(ctx, c.opts.Timeout, func(ctx context.Context) (string, error) { return c.rdb.Get(ctx, keyCluster).Result() })
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("cluster: read the cluster's identity: %w", err)
	}
	return id, nil
}

// Bind ties the core's database to the cluster, before the core acts (call
// it after Acquire, before Start). dbID is the cluster identity the
// database holds ("" for one that never served a cluster); Bind returns
// the identity the database must keep. A cluster and a database that have
// none are given a new one; a cluster that lost its (Redis restarted
// empty) takes the database's. A database with another identity, or none
// while the cluster has one (a standby on an empty disk), is refused with
// ErrForeignData, and nothing is changed in Redis.
func (c *Core) Bind(ctx context.Context, dbID string) (string, error) {
	want := dbID
	if want == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		want = hex.EncodeToString(b[:])
	}
	set, err := call(ctx, c.opts.Timeout, func(ctx context.Context) (bool, error) { return c.rdb.SetNX(ctx, keyCluster, want, 0).Result() })
	if err != nil {
		return "", fmt.Errorf("cluster: read the cluster's identity: %w", err)
	}
	if set {
		return want, nil
	}
	id, err := call(ctx, c.opts.Timeout, func(ctx context.Context) (string, error) { return c.rdb.Get(ctx, keyCluster).Result() })
	switch {
	case err != nil:
		return "", fmt.Errorf("cluster: read the cluster's identity: %w", err)
	case dbID == "":
		return "", fmt.Errorf("cluster: %w: it has no cluster identity while cluster %s runs (a standby on an empty disk?); refusing to act as core: start it on the cluster's database (docs/cluster.md)", ErrForeignData, id)
	case id != dbID:
		return "", fmt.Errorf("cluster: %w: it belongs to cluster %s, not %s; refusing to act as core: start it on the cluster's database (docs/cluster.md)", ErrForeignData, dbID, id)
	}
	return id, nil
}

// Start sets the local hub to the cluster's epoch and sequence numbers (a
// new epoch if Redis has none) and publishes the secrets edges need. Call
// it once the lease is taken (Acquire), before the engine publishes.
func (c *Core) Start(ctx context.Context, h *hub.Hub, secrets map[string]string) error {
	epoch, err := call(ctx, c.opts.Timeout, func(ctx context.Context) (string, error) { return c.rdb.Get(ctx, keyEpoch).Result() })
	switch {
	case errors.Is(err, redis.Nil):
		epoch = h.Epoch()
		_, err = call(ctx, c.opts.Timeout, func(ctx context.Context) (any, error) {
			return c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Del(ctx, keySeqs) // sequence numbers of a forgotten epoch mean nothing
				p.Set(ctx, keyEpoch, epoch, 0)
				return nil
			})
		})
		if err != nil {
			return fmt.Errorf("cluster: set epoch: %w", err)
		}
	case err != nil:
		return fmt.Errorf("cluster: read epoch: %w", err)
	}
	raw, err := call(ctx, c.opts.Timeout, func(ctx context.Context) (map[string]string, error) { return c.rdb.HGetAll(ctx, keySeqs).Result() })
	if err != nil {
		return fmt.Errorf("cluster: read sequence numbers: %w", err)
	}
	seqs := make(map[string]uint64, len(raw))
	for t, v := range raw {
		if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			seqs[t] = n + takeoverSeqGap
		}
	}
	h.Reset(epoch, seqs) // the frames this core publishes continue the cluster's numbering
	c.epoch, c.secrets, c.hub = epoch, secrets, h
	c.broker = NewBroker(c.rdb, h, c.opts)
	c.broker.leaseValid = c.leaseValid
	h.SetBroker(c.broker)
	if err := c.ensure(ctx); err != nil {
		return err
	}
	c.started.Store(true)
	c.opts.Logger.Info("cluster: acting as core", "node", c.opts.Node, "epoch", epoch)
	return nil
}

// takeoverSeqGap is added to every topic's sequence number by a core that
// starts: a core that lost the lease may still have published a few frames
// after this one read the numbers, and its frames must not supersede the
// new core's (clients see a jump, and take a snapshot).
const takeoverSeqGap = 1 << 20

// Broker returns the core's frame broker (set on the hub by Start); run it
// with its Run.
func (c *Core) Broker() *Broker { return c.broker }

// ensure puts back what the cluster needs of the core in Redis: the epoch,
// the secrets, the streams' consumer group, and, when the epoch was gone
// (Redis restarted without its data), every topic's latest frames, so that
// edges and late joiners find the snapshots again. It runs at start and at
// each lease renewal.
func (c *Core) ensure(ctx context.Context) error {
	set, err := call(ctx, c.opts.Timeout, func(ctx context.Context) (bool, error) { return c.rdb.SetNX(ctx, keyEpoch, c.epoch, 0).Result() })
	if err != nil {
		return fmt.Errorf("cluster: set epoch: %w", err)
	}
	if len(c.secrets) > 0 {
		if _, err := call(ctx, c.opts.Timeout, func(ctx context.Context) (int64, error) { return c.rdb.HSet(ctx, keySecrets, c.secrets).Result() }); err != nil {
			return fmt.Errorf("cluster: publish secrets: %w", err)
		}
	}
	for _, s := range []string{streamVotes, streamCmds} {
		_, err := call(ctx, c.opts.Timeout, func(ctx context.Context) (string, error) {
			return c.rdb.XGroupCreateMkStream(ctx, s, group, "0").Result()
		})
		if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
			return fmt.Errorf("cluster: create consumer group on %s: %w", s, err)
		}
	}
	if set && c.hub != nil {
		c.opts.Logger.Warn("cluster: Redis had lost the cluster's data; publishing every snapshot again")
		c.republish()
	}
	return nil
}

// republish queues every topic's latest frames for Redis again, so that
// its snapshots, and the edges, hold the core's state: after Redis lost its
// data, or after an outage (a Sentinel failover may promote a replica that
// missed the last frames; the edges resynchronise from its snapshots).
func (c *Core) republish() {
	for _, f := range c.hub.Frames() {
		c.broker.queue(f)
	}
}

// Lost delivers the node id that took the lease from this core. The core
// must then stop: main exits, so that two cores never act at once.
func (c *Core) Lost() <-chan string { return c.lost }

func (c *Core) leaseValid() bool { return time.Now().UnixMilli() < c.leaseUntil.Load() }

// KeepLease renews the lease taken by Acquire every third of its TTL until
// ctx ends, then releases it: end it once the database is closed. If
// another node takes the lease, it delivers that node on Lost and returns.
func (c *Core) KeepLease(ctx context.Context) {
	t := time.NewTicker(c.opts.LeaseTTL / 3)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			rctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
			c.rdb.Eval(rctx, `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`, []string{keyLease}, c.leaseValue())
			cancel()
			return
		case <-t.C:
		}
		ok, holder, err := c.tryLease(ctx, renewScript)
		switch {
		case err != nil:
			if !failing {
				c.opts.Logger.Warn("cluster: cannot renew the core lease; streams paused when it runs out", "err", err)
			}
			failing = true
		case !ok:
			c.opts.Logger.Error("cluster: node " + holder + " took the core lease; this node stops acting as core")
			c.leaseUntil.Store(0) // the consumers stop at once
			c.lost <- holder
			return
		default:
			if !c.started.Load() { // nothing to put back yet
				failing = false
				continue
			}
			if err := c.ensure(ctx); err != nil {
				c.opts.Logger.Warn("cluster: restoring the cluster's keys in Redis failed", "err", err)
			}
			if failing {
				c.opts.Logger.Info("cluster: core lease renewed again; publishing every snapshot again")
				c.republish()
			}
			failing = false
		}
	}
}

// Run consumes the vote and command streams, while the lease is valid, until ctx
// ends: votes through voter (acknowledged in the stream after the commit,
// the result sent to the edge that took the vote), HTTP requests through
// handler.
func (c *Core) Run(ctx context.Context, voter Voter, handler http.Handler) {
	var wg sync.WaitGroup
	wg.Go(func() {
		c.consume(ctx, streamVotes, 512, func(ctx context.Context, ms []redis.XMessage, old bool) ([]string, func()) {
			return c.votes(ctx, voter, ms)
		})
	})
	wg.Go(func() {
		c.consume(ctx, streamCmds, 64, func(ctx context.Context, ms []redis.XMessage, old bool) ([]string, func()) {
			return c.commands(ctx, handler, ms, old), nil
		})
	})
	wg.Wait()
}

// consume reads stream with the core's consumer group: first the entries
// delivered before and never acknowledged (a crash between reading and
// acknowledging), then new ones. handle returns the ids it finished, which
// are acknowledged and deleted, and what to do before they are (answer the
// edges). Entries it leaves are read again later.
func (c *Core) consume(ctx context.Context, stream string, count int64, handle func(context.Context, []redis.XMessage, bool) ([]string, func())) {
	fails := 0
	old := true // reading this consumer's pending entries ("0") first
	for ctx.Err() == nil {
		if !c.leaseValid() {
			if !retry.Sleep(ctx, 200*time.Millisecond) {
				return
			}
			continue
		}
		id := ">"
		if old {
			id = "0"
		}
		res, err := call(ctx, c.opts.Timeout+time.Second, func(ctx context.Context) ([]redis.XStream, error) {
			return c.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: group, Streams: []string{stream, id},
				Count: count, Block: 500 * time.Millisecond}).Result()
		})
		var ms []redis.XMessage
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			if redis.HasErrorPrefix(err, "NOGROUP") { // Redis came back without its data
				c.opts.Logger.Warn("cluster: " + stream + " lost its consumer group (Redis restarted empty?); creating it again")
				_ = c.ensure(ctx)
			}
			if fails == 0 {
				c.opts.Logger.Warn("cluster: reading "+stream+" failed; retrying", "err", err)
			}
			retry.Sleep(ctx, backoff(fails))
			fails++
			continue
		case len(res) > 0:
			ms = res[0].Messages
		}
		fails = 0
		if len(ms) == 0 {
			old = false
			continue
		}
		done, then := handle(ctx, ms, old)
		// The answers go out before the entries are acknowledged: a core that
		// stops between the two leaves them pending, and the next one answers
		// them again (a duplicate), where the other order could leave a phone
		// with no final answer.
		if then != nil {
			then()
		}
		if len(done) > 0 {
			_, err := call(context.Background(), c.opts.Timeout, func(ctx context.Context) ([]redis.Cmder, error) {
				return c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
					p.XAck(ctx, stream, group, done...)
					p.XDel(ctx, stream, done...)
					return nil
				})
			})
			if err != nil {
				c.opts.Logger.Warn("cluster: acknowledging "+stream+" entries failed; they will be read again (idempotent)", "err", err)
			}
		}
		if len(done) < len(ms) { // some failed for a passing reason: read the pending entries again after a pause
			old = true
			retry.Sleep(ctx, 500*time.Millisecond)
		} else if old && len(ms) < int(count) {
			old = false
		}
	}
}

// voteEntry is a vote in the stream: who, the vote, and the edge to answer.
type voteEntry struct {
	Node        string
	Participant int64
	Event       int64
	Jury        bool
	VoteID      string
	Target      string
	Answer      live.Answer // as the phone sent it ("x": a number was all an answer could be before kinds)
	// Received is when the edge received the vote, Unix ms in its clock
	// ("r"; 0 in entries of versions without it): a quiz question's time
	// limit and points count from it, on the core, against the question's
	// opening in the core's clock.
	Received int64
}

func (v voteEntry) values() map[string]any {
	j := "0"
	if v.Jury {
		j = "1"
	}
	return map[string]any{"n": v.Node, "p": v.Participant, "e": v.Event, "j": j, "v": v.VoteID, "t": v.Target, "x": string(v.Answer), "r": v.Received}
}

func parseVoteEntry(m map[string]any) (voteEntry, error) {
	str := func(k string) string { s, _ := m[k].(string); return s }
	var v voteEntry
	var err1, err2 error
	v.Node, v.VoteID, v.Target, v.Jury, v.Answer = str("n"), str("v"), str("t"), str("j") == "1", live.Answer(str("x"))
	v.Participant, err1 = strconv.ParseInt(str("p"), 10, 64)
	v.Event, err2 = strconv.ParseInt(str("e"), 10, 64)
	var err3 error
	if r := str("r"); r != "" {
		v.Received, err3 = strconv.ParseInt(r, 10, 64)
	}
	if err := errors.Join(err1, err2, err3); err != nil || v.Node == "" || v.VoteID == "" || v.Answer == "" || v.Received < 0 {
		return v, fmt.Errorf("cluster: malformed vote entry %v", m)
	}
	return v, nil
}

// receivedAt is the time of an entry's "r", zero for none.
func receivedAt(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// voteResult is the core's answer about one vote, sent to its edge.
type voteResult struct {
	Participant int64           `json:"p"`
	VoteID      string          `json:"v"`
	Status      string          `json:"s,omitempty"`
	Answer      json.RawMessage `json:"a,omitempty"` // as counted, canonical
	Code        string          `json:"c,omitempty"`
	Message     string          `json:"m,omitempty"`
	Field       string          `json:"f,omitempty"`
}

// reply is one message on an edge's channel.
type reply struct {
	Votes    []voteResult    `json:"votes,omitempty"`
	Response *remoteResponse `json:"response,omitempty"`
}

// transient reports whether a vote error may pass on a retry: the entry then
// stays pending.
func transient(err error) bool {
	c := live.ErrorCode(err)
	return c == live.EBusy || c == live.EInternal
}

// votes commits a batch through the engine (its group committer takes them
// together) and returns the ids to acknowledge, and the answers to the edges.
// One phone's votes on one target are applied one after the other, in the
// stream's order (the order its edge received them), so that the last one
// acknowledged is the one counted; a vote that fails for a passing reason
// holds back the later ones of its ballot until it is read again.
func (c *Core) votes(ctx context.Context, voter Voter, ms []redis.XMessage) ([]string, func()) {
	results := make([]voteResult, len(ms))
	ok := make([]bool, len(ms))
	type ballot struct {
		participant, event int64
		target             string
	}
	ballots := map[ballot][]int{} // indexes into ms, in stream order
	entries := make([]voteEntry, len(ms))
	for i, m := range ms {
		v, err := parseVoteEntry(m.Values)
		if err != nil {
			c.opts.Logger.Error("cluster: dropping a malformed vote entry", "id", m.ID, "err", err)
			ok[i] = true
			continue
		}
		entries[i] = v
		b := ballot{v.Participant, v.Event, v.Target}
		ballots[b] = append(ballots[b], i)
	}
	var wg sync.WaitGroup
	for _, in := range ballots {
		wg.Go(func() {
			for _, i := range in {
				if results[i], ok[i] = c.vote(ctx, voter, entries[i]); !ok[i] {
					return
				}
			}
		})
	}
	wg.Wait()
	byNode := map[string][]voteResult{}
	var done []string
	for i, m := range ms {
		if !ok[i] {
			continue
		}
		done = append(done, m.ID)
		if results[i].VoteID != "" {
			n, _ := m.Values["n"].(string)
			byNode[n] = append(byNode[n], results[i])
		}
	}
	return done, func() {
		for node, rs := range byNode {
			c.send(node, reply{Votes: rs})
		}
	}
}

// vote commits one vote entry through voter and returns the edge's answer;
// false when it failed for a passing reason (the entry stays pending).
func (c *Core) vote(ctx context.Context, voter Voter, v voteEntry) (voteResult, bool) {
	r := voteResult{Participant: v.Participant, VoteID: v.VoteID}
	target, err := live.ParseTarget(v.Target)
	if err == nil {
		vctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		var rc live.Receipt
		rc, err = voter.Vote(vctx, live.Voter{ParticipantID: v.Participant, EventID: v.Event, Jury: v.Jury},
			live.Vote{VoteID: v.VoteID, Target: target, Answer: v.Answer, Received: receivedAt(v.Received)})
		cancel()
		r.Status, r.Answer = rc.Status, json.RawMessage(rc.Answer)
	}
	if err != nil && transient(err) {
		return r, false
	}
	if err != nil {
		var le *live.Error
		errors.As(err, &le)
		r.Code, r.Message = live.ErrorCode(err), live.ErrorMessage(err)
		if le != nil {
			r.Field = le.Field
		}
	}
	return r, true
}

// send publishes r to node's channel; an edge that misses it asks again
// (votes are idempotent by vote id).
func (c *Core) send(node string, r reply) {
	b, err := json.Marshal(r)
	if err != nil {
		c.opts.Logger.Error("cluster: encode reply", "err", err)
		return
	}
	if _, err := call(context.Background(), c.opts.Timeout, func(ctx context.Context) (int64, error) {
		return c.rdb.Publish(ctx, chanNode+node, b).Result()
	}); err != nil {
		c.opts.Logger.Warn("cluster: answering node "+node+" failed", "err", err)
	}
}

// remoteRequest is an HTTP request an edge forwards to the core.
type remoteRequest struct {
	ID       string      `json:"id"`
	Node     string      `json:"node"`
	Deadline int64       `json:"deadline"` // unix ms: after it, the edge has given up
	Method   string      `json:"method"`
	URI      string      `json:"uri"`
	Host     string      `json:"host"`
	IP       string      `json:"ip"`
	Header   http.Header `json:"header"`
	Body     []byte      `json:"body,omitempty"`
}

// remoteResponse is the core's answer to a remoteRequest.
type remoteResponse struct {
	ID     string      `json:"id"`
	Status int         `json:"status"`
	Header http.Header `json:"header"`
	Body   []byte      `json:"body,omitempty"`
}

// recorder is the http.ResponseWriter a forwarded request is served into.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// commands serves forwarded HTTP requests, several at a time. Requests
// found pending at start (old) were read by a core that stopped before
// answering: they are not run again (a moderator action is not idempotent;
// its edge has answered 503 busy), only acknowledged. Requests past their
// deadline are dropped the same way.
func (c *Core) commands(ctx context.Context, handler http.Handler, ms []redis.XMessage, old bool) []string {
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	now := time.Now().UnixMilli()
	for _, m := range ms {
		raw, _ := m.Values["r"].(string)
		var req remoteRequest
		if err := json.Unmarshal([]byte(raw), &req); err != nil || req.Node == "" {
			c.opts.Logger.Error("cluster: dropping a malformed command entry", "id", m.ID)
			continue
		}
		if old || now > req.Deadline {
			c.opts.Logger.Warn("cluster: dropping a forwarded request its edge no longer waits for", "method", req.Method, "uri", req.URI, "node", req.Node)
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c.send(req.Node, reply{Response: serve(ctx, handler, &req)})
		})
	}
	wg.Wait()
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids
}

// serve runs a forwarded request through the core's HTTP handler.
func serve(ctx context.Context, handler http.Handler, req *remoteRequest) *remoteResponse {
	ctx, cancel := context.WithDeadline(ctx, time.UnixMilli(req.Deadline))
	defer cancel()
	r, err := http.NewRequestWithContext(ctx, req.Method, req.URI, bytes.NewReader(req.Body))
	if err != nil {
		return &remoteResponse{ID: req.ID, Status: http.StatusBadRequest, Header: http.Header{"Content-Type": {"application/json"}},
			Body: []byte(`{"error":{"code":"invalid","message":"The request could not be forwarded."}}`)}
	}
	r.RequestURI, r.Host, r.RemoteAddr = req.URI, req.Host, net.JoinHostPort(req.IP, "0")
	r.Header = req.Header
	r.ContentLength = int64(len(req.Body))
	w := &recorder{header: http.Header{}}
	handler.ServeHTTP(w, r)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return &remoteResponse{ID: req.ID, Status: w.status, Header: w.header, Body: w.body.Bytes()}
}

// Presence carries subscriber counts across nodes: Run reports this
// node's every second, Count sums every node's (the core's presence frames
// use it). Reports older than 5 s are ignored.
type Presence struct {
	rdb   *redis.Client
	local *hub.Hub
	opts  Options

	mu     sync.Mutex
	counts map[string]int
	at     time.Time
}

// NewPresence returns the presence of the cluster, with local's counts as this node's.
func NewPresence(rdb *redis.Client, local *hub.Hub, opts Options) *Presence {
	_ = opts.defaults()
	return &Presence{rdb: rdb, local: local, opts: opts}
}

// Run reports this node's room and stage subscriber counts every second until ctx ends.
func (p *Presence) Run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		counts := map[string]int{}
		for t, n := range p.local.Counts() {
			if strings.HasPrefix(t, "room:") || strings.HasPrefix(t, "stage:") {
				counts[t] = n
			}
		}
		b, _ := json.Marshal(presenceReport{At: time.Now().UnixMilli(), Counts: counts})
		_, _ = call(ctx, p.opts.Timeout, func(ctx context.Context) (int64, error) { return p.rdb.HSet(ctx, keyPresence, p.opts.Node, b).Result() })
	}
}

// Count returns the number of subscribers of topic on every node, read
// from Redis at most once a second (the last known sums while Redis is down).
func (p *Presence) Count(topic string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.at) >= time.Second {
		p.at = time.Now()
		all, err := call(context.Background(), p.opts.Timeout, func(ctx context.Context) (map[string]string, error) {
			return p.rdb.HGetAll(ctx, keyPresence).Result()
		})
		if err == nil {
			p.counts = map[string]int{}
			for _, v := range all {
				var r presenceReport
				if json.Unmarshal([]byte(v), &r) != nil || time.Since(time.UnixMilli(r.At)) > 5*time.Second {
					continue
				}
				for t, n := range r.Counts {
					p.counts[t] += n
				}
			}
		}
	}
	return p.counts[topic]
}

// presenceReport is one node's subscriber counts.
type presenceReport struct {
	At     int64          `json:"at"`
	Counts map[string]int `json:"counts"`
}
