package cluster

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/retry"
	"github.com/redis/go-redis/v9"
)

// Edge runs an edge node's side of the cluster: it feeds the local hub from
// the core's frames (resynchronising from the snapshots in Redis after a
// gap), hands votes and HTTP requests to the core through the streams and
// routes the core's answers back, reports its subscriber counts, and
// watches Redis: while it is down the edge says it is degraded and holds up
// to VoteBuffer votes, which it appends when Redis is back.
type Edge struct {
	rdb  *redis.Client
	opts Options
	hub  *hub.Hub

	degraded atomic.Bool
	onStatus atomic.Pointer[func(degraded bool)]
	ready    chan struct{}
	once     sync.Once

	mu     sync.Mutex
	votes  map[voteKey]*voteWait           // votes waiting for the core's result
	reqs   map[string]chan *remoteResponse // forwarded requests waiting for their answer
	buffer []voteEntry                     // votes held while Redis is down
	last   uint64                          // the last frame batch delivered, guarded by the frames goroutine only
}

type voteKey struct {
	participant int64
	voteID      string
}

type voteWait struct {
	entry    voteEntry
	since    time.Time
	buffered bool                               // held in the buffer, not yet in the stream
	reports  []*func(r live.Receipt, err error) // by address, so that one can be taken back
}

// NewEdge returns the edge side, feeding h.
func NewEdge(rdb *redis.Client, h *hub.Hub, opts Options) (*Edge, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	return &Edge{rdb: rdb, opts: opts, hub: h, ready: make(chan struct{}),
		votes: map[voteKey]*voteWait{}, reqs: map[string]chan *remoteResponse{}}, nil
}

// OnStatus sets f to be called when the edge becomes degraded (Redis
// unreachable) and when it recovers. f must not block.
func (e *Edge) OnStatus(f func(degraded bool)) { e.onStatus.Store(&f) }

// Degraded reports whether Redis is unreachable from this edge.
func (e *Edge) Degraded() bool { return e.degraded.Load() }

// Ready is closed once the local hub holds the cluster's snapshots.
func (e *Edge) Ready() <-chan struct{} { return e.ready }

func (e *Edge) setDegraded(v bool) {
	if e.degraded.Swap(v) == v {
		return
	}
	if v {
		e.opts.Logger.Warn("cluster: Redis unreachable; this edge is degraded (votes buffered, up to the limit)", "buffer", e.opts.VoteBuffer)
	} else {
		e.opts.Logger.Info("cluster: Redis reachable again")
	}
	if f := e.onStatus.Load(); f != nil {
		(*f)(v)
	}
}

// Secrets waits up to wait for the secrets the core publishes (the token
// secret and the API token hash), so that this edge verifies tokens itself.
func (e *Edge) Secrets(ctx context.Context, wait time.Duration) (map[string]string, error) {
	deadline := time.Now().Add(wait)
	for {
		s, err := call(ctx, e.opts.Timeout, func(ctx context.Context) (map[string]string, error) { return e.rdb.HGetAll(ctx, keySecrets).Result() })
		if err == nil && s["token_secret"] != "" {
			return s, nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("no core has started yet")
			}
			return nil, errors.New("cluster: waiting for the core's secrets in Redis: " + err.Error())
		}
		if !retry.Sleep(ctx, 250*time.Millisecond) {
			return nil, ctx.Err()
		}
	}
}

// Run feeds the hub, routes answers, watches Redis and reports presence
// until ctx ends.
func (e *Edge) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { e.listen(ctx) })
	wg.Go(func() { e.watch(ctx) })
	wg.Wait()
}

// listen follows the frame channel and this node's answer channel on one
// connection. Each (re)subscription is followed by a resynchronisation
// from the snapshots and, after a reconnection, by sending again the votes
// still waiting for a result (their answers may have been published during
// the gap; the core answers a repeated vote id as a duplicate).
func (e *Edge) listen(ctx context.Context) {
	ps := e.rdb.Subscribe(ctx, chanFrames, chanNode+e.opts.Node)
	defer ps.Close()
	subscribed, fails := 0, 0
	for {
		msg, err := ps.ReceiveTimeout(ctx, 5*time.Second)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			var nerr interface{ Timeout() bool }
			if errors.As(err, &nerr) && nerr.Timeout() {
				// No message for a while: a ping tells a quiet connection from a
				// dead one (whose next receive then fails and reconnects).
				_, _ = call(ctx, e.opts.Timeout, func(ctx context.Context) (struct{}, error) { return struct{}{}, ps.Ping(ctx) })
				continue
			}
			e.setDegraded(true)
			retry.Sleep(ctx, backoff(fails))
			fails++
			continue
		}
		fails = 0
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			subscribed++
			if m.Channel == chanFrames {
				e.resyncUntilDone(ctx)
			} else if subscribed > 2 {
				e.resend(ctx)
			}
		case *redis.Message:
			if m.Channel == chanFrames {
				e.frames(ctx, m.Payload)
			} else {
				e.answer(m.Payload)
			}
		}
	}
}

func (e *Edge) resyncUntilDone(ctx context.Context) {
	for n := 0; ; n++ {
		err := e.resync(ctx)
		if err == nil {
			e.once.Do(func() { close(e.ready) })
			return
		}
		e.opts.Logger.Warn("cluster: resynchronising from the snapshots failed; retrying", "err", err)
		if !retry.Sleep(ctx, backoff(n)) {
			return
		}
	}
}

// frames delivers a batch to the hub; a batch of another epoch, or a
// missing batch, makes the edge resynchronise from the snapshots.
func (e *Edge) frames(ctx context.Context, payload string) {
	b, err := decodeBatch(payload)
	if err != nil {
		e.opts.Logger.Error("cluster: malformed frame batch", "err", err)
		return
	}
	if b.Epoch != e.hub.Epoch() {
		e.resyncUntilDone(ctx)
		e.last = b.N
		return
	}
	for _, f := range b.Frames {
		e.hub.Deliver(hub.Frame{Topic: f.Topic, Key: f.Key, Seq: f.Seq, Data: f.Data})
	}
	gap := b.N != e.last+1
	e.last = b.N
	if gap {
		e.resyncUntilDone(ctx)
	}
}

// resync brings the hub to the snapshots in Redis: a new epoch resets it,
// then every topic's latest frames newer than what the hub holds are
// delivered, oldest first.
func (e *Edge) resync(ctx context.Context) error {
	epoch, err := call(ctx, e.opts.Timeout, func(ctx context.Context) (string, error) { return e.rdb.Get(ctx, keyEpoch).Result() })
	if errors.Is(err, redis.Nil) {
		return nil // no core has published yet
	}
	if err != nil {
		return err
	}
	topics, err := call(ctx, e.opts.Timeout, func(ctx context.Context) ([]string, error) { return e.rdb.SMembers(ctx, keyTopics).Result() })
	if err != nil {
		return err
	}
	cmds, err := call(ctx, e.opts.Timeout, func(ctx context.Context) ([]redis.Cmder, error) {
		return e.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, t := range topics {
				p.HGetAll(ctx, keySnapshot+t)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	if epoch != e.hub.Epoch() {
		e.hub.Reset(epoch, nil)
	}
	for i, t := range topics {
		var frames []hub.Frame
		for key, v := range cmds[i].(*redis.MapStringStringCmd).Val() {
			seq, data, err := parseSnapshotValue(v)
			if err != nil {
				e.opts.Logger.Error("cluster: skipping a malformed snapshot frame", "topic", t, "err", err)
				continue
			}
			frames = append(frames, hub.Frame{Topic: t, Key: key, Seq: seq, Data: data})
		}
		slices.SortFunc(frames, func(a, b hub.Frame) int { return cmp.Compare(a.Seq, b.Seq) })
		for _, f := range frames {
			e.hub.Deliver(f)
		}
	}
	return nil
}

// watch pings Redis twice a second: it sets the degraded status and
// appends the buffered votes once Redis answers again.
func (e *Edge) watch(ctx context.Context) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, err := call(ctx, min(e.opts.Timeout, time.Second), func(ctx context.Context) (string, error) { return e.rdb.Ping(ctx).Result() })
		if err != nil {
			e.setDegraded(true)
			continue
		}
		if e.flushBuffer(ctx) != nil {
			continue
		}
		e.setDegraded(false)
		e.sweep()
	}
}

// flushBuffer appends the buffered votes to the stream, in order.
func (e *Edge) flushBuffer(ctx context.Context) error {
	e.mu.Lock()
	held := e.buffer
	e.buffer = nil
	e.mu.Unlock()
	if len(held) == 0 {
		return nil
	}
	if err := e.appendVotes(ctx, held); err != nil {
		e.mu.Lock()
		e.buffer = append(held, e.buffer...)
		e.mu.Unlock()
		return err
	}
	e.opts.Logger.Info("cluster: buffered votes appended", "votes", len(held))
	e.mu.Lock()
	for _, v := range held {
		if w := e.votes[voteKey{v.Participant, v.VoteID}]; w != nil {
			w.buffered = false
		}
	}
	e.mu.Unlock()
	for _, v := range held {
		e.report(voteKey{v.Participant, v.VoteID}, live.Receipt{Status: "received"}, nil, false)
	}
	return nil
}

// appendVotes appends votes to the vote stream, in order, in one pipeline.
func (e *Edge) appendVotes(ctx context.Context, votes []voteEntry) error {
	_, err := call(ctx, e.opts.Timeout, func(ctx context.Context) ([]redis.Cmder, error) {
		return e.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, v := range votes {
				p.XAdd(ctx, &redis.XAddArgs{Stream: streamVotes, Values: v.values()})
			}
			return nil
		})
	})
	return err
}

// resend appends again every vote in the stream still waiting for its
// result (the buffered ones are appended by flushBuffer).
func (e *Edge) resend(ctx context.Context) {
	e.mu.Lock()
	var again []voteEntry
	for _, w := range e.votes {
		if !w.buffered {
			again = append(again, w.entry)
		}
	}
	e.mu.Unlock()
	if len(again) == 0 {
		return
	}
	if err := e.appendVotes(ctx, again); err != nil {
		e.opts.Logger.Warn("cluster: sending waiting votes again failed", "err", err)
	}
}

// maxWait is how long a vote's result is awaited; the phone sends a vote it
// saw no result for again when it reconnects.
const maxWait = 5 * time.Minute

func (e *Edge) sweep() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for k, w := range e.votes {
		if time.Since(w.since) > maxWait {
			delete(e.votes, k)
		}
	}
}

// Submit hands a vote to the core. It returns "received" once the vote is
// in the stream, or "queued" when Redis is down and the vote is held in
// this edge's buffer (appended when Redis is back, reported then as
// "received"). The core's result (counted, changed, duplicate, with the
// answer as counted; or an error) goes to report later; report must not block. With the buffer full, the
// vote is refused with EBusy and nothing is kept.
func (e *Edge) Submit(ctx context.Context, who live.Voter, v live.Vote, report func(r live.Receipt, err error)) (string, error) {
	received := v.Received
	if received.IsZero() {
		received = time.Now()
	}
	entry := voteEntry{Node: e.opts.Node, Participant: who.ParticipantID, Event: who.EventID, Jury: who.Jury,
		VoteID: v.VoteID, Target: v.Target.String(), Answer: v.Answer, Received: received.UnixMilli()}
	k := voteKey{who.ParticipantID, v.VoteID}
	e.mu.Lock()
	w := e.votes[k]
	if w == nil {
		w = &voteWait{entry: entry, since: time.Now()}
		e.votes[k] = w
	}
	rp := &report
	w.reports = append(w.reports, rp)
	e.mu.Unlock()
	if !e.degraded.Load() {
		_, err := call(ctx, e.opts.Timeout, func(ctx context.Context) (string, error) {
			return e.rdb.XAdd(ctx, &redis.XAddArgs{Stream: streamVotes, Values: entry.values()}).Result()
		})
		if err == nil {
			e.opts.Logger.Debug("cluster: vote appended", "participant", who.ParticipantID, "vote_id", v.VoteID)
			return "received", nil
		}
		if ctx.Err() != nil { // the connection went away, not Redis
			e.forget(k, rp)
			return "", ctx.Err()
		}
		e.setDegraded(true)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.buffer) >= e.opts.VoteBuffer {
		e.forgetLocked(k, rp)
		return "", live.Errorf(live.EBusy, "The service is degraded and this node holds as many votes as it can; try again in a few seconds.")
	}
	e.buffer = append(e.buffer, entry)
	w.buffered = true
	return "queued", nil
}

// Vote is Submit as a node's one vote path takes it (api.Voter): the
// receipt "received" or "queued" now, the core's through report later.
func (e *Edge) Vote(ctx context.Context, who live.Voter, v live.Vote, report func(r live.Receipt, err error)) (live.Receipt, error) {
	status, err := e.Submit(ctx, who, v, report)
	return live.Receipt{Status: status}, err
}

// forget takes back report from a vote's waiter (and the waiter with its
// last report): for a vote that was not taken.
func (e *Edge) forget(k voteKey, report *func(live.Receipt, error)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.forgetLocked(k, report)
}

func (e *Edge) forgetLocked(k voteKey, report *func(live.Receipt, error)) {
	w := e.votes[k]
	if w == nil {
		return
	}
	if w.reports = slices.DeleteFunc(w.reports, func(r *func(live.Receipt, error)) bool { return r == report }); len(w.reports) == 0 {
		delete(e.votes, k)
	}
}

// answer routes a reply from the core.
func (e *Edge) answer(payload string) {
	var r reply
	if err := json.Unmarshal([]byte(payload), &r); err != nil {
		e.opts.Logger.Error("cluster: malformed reply", "err", err)
		return
	}
	for _, v := range r.Votes {
		e.opts.Logger.Debug("cluster: vote result", "participant", v.Participant, "vote_id", v.VoteID, "status", v.Status, "code", v.Code)
		var err error
		if v.Code != "" {
			err = &live.Error{Code: v.Code, Message: v.Message, Field: v.Field}
		}
		e.report(voteKey{v.Participant, v.VoteID}, live.Receipt{Status: v.Status, Answer: live.Answer(v.Answer)}, err, true)
	}
	if r.Response != nil {
		e.mu.Lock()
		ch := e.reqs[r.Response.ID]
		delete(e.reqs, r.Response.ID)
		e.mu.Unlock()
		if ch != nil {
			ch <- r.Response // buffered: never blocks
		}
	}
}

// report tells the waiters of a vote its status; a final one ends the wait.
// A final success goes to the first waiter only: the others sent the same
// vote again while it was on its way, and learn that it was a duplicate,
// as a single node would answer them.
func (e *Edge) report(k voteKey, r live.Receipt, err error, final bool) {
	e.mu.Lock()
	w := e.votes[k]
	if w != nil && final {
		delete(e.votes, k)
	}
	var reports []*func(live.Receipt, error)
	if w != nil {
		reports = slices.Clone(w.reports)
	}
	e.mu.Unlock()
	for i, f := range reports {
		if i > 0 && final && err == nil {
			r.Status = live.VoteDuplicate
		}
		(*f)(r, err)
	}
}

// forwarded lists the request headers the core's handlers read; others
// (X-Forwarded-For among them: the edge gives the core the client's
// address itself) are not forwarded.
var forwarded = []string{"Accept", "Accept-Language", "Authorization", "Content-Type", "Cookie", "If-None-Match", "Origin", "Referer", "User-Agent", "X-Csrf-Token", "X-Forwarded-Proto"}

// maxForwardedHeader bounds one forwarded header's values, in bytes.
const maxForwardedHeader = 8 << 10

func forwardedHeader(h http.Header) http.Header {
	out := http.Header{}
	for _, k := range forwarded {
		n := 0
		for _, v := range h.Values(k) {
			if n += len(v); n > maxForwardedHeader {
				break
			}
			out.Add(k, v)
		}
	}
	return out
}

// Response is the core's answer to a forwarded HTTP request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do forwards an HTTP request to the core through the command stream and
// waits up to RequestTimeout for the answer. ip is the client's address as
// this edge sees it (the core's rate limits use it). Errors: EBusy when
// Redis is down or the core does not answer in time.
func (e *Edge) Do(ctx context.Context, r *http.Request, ip string) (*Response, error) {
	if e.degraded.Load() {
		return nil, live.Errorf(live.EBusy, "The service is degraded; try again in a few seconds.")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, live.Errorf(live.EInvalid, "The request body could not be read.")
	}
	var id [12]byte
	_, _ = rand.Read(id[:])
	req := remoteRequest{ID: hex.EncodeToString(id[:]), Node: e.opts.Node, Deadline: time.Now().Add(e.opts.RequestTimeout).UnixMilli(),
		Method: r.Method, URI: r.RequestURI, Host: r.Host, IP: ip, Header: forwardedHeader(r.Header), Body: body}
	raw, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	ch := make(chan *remoteResponse, 1)
	e.mu.Lock()
	e.reqs[req.ID] = ch
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.reqs, req.ID)
		e.mu.Unlock()
	}()
	_, err = call(ctx, e.opts.Timeout, func(ctx context.Context) (string, error) {
		// Trimmed: an entry the core has not read within RequestTimeout is dropped by it anyway.
		return e.rdb.XAdd(ctx, &redis.XAddArgs{Stream: streamCmds, MaxLen: 10_000, Approx: true, Values: map[string]any{"r": raw}}).Result()
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		e.setDegraded(true)
		return nil, live.Errorf(live.EBusy, "The service is degraded; try again in a few seconds.")
	}
	t := time.NewTimer(e.opts.RequestTimeout)
	defer t.Stop()
	select {
	case resp := <-ch:
		return &Response{Status: resp.Status, Header: resp.Header, Body: resp.Body}, nil
	case <-t.C:
		if r.Method == http.MethodGet || r.Method == http.MethodHead { // nothing to check: a phone asks again
			return nil, live.Errorf(live.EBusy, "The service is busy; try again in a few seconds.")
		}
		return nil, live.Errorf(live.EBusy, "The core did not answer in time; check whether the change was made before trying again.")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
