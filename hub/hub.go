// Package hub owns frame delivery: this node's subscribers per topic, their
// bounded send queues, the slow-consumer policy, the writing of large
// broadcasts (paced while the node is busy, in background passes
// otherwise), each topic's sequence numbers and its latest frame per key
// (the snapshot a newcomer receives), and the Broker interface that carries
// frames between nodes, with its in-process implementation. The services
// publish through it: the Publisher interfaces, the Coalescer that holds
// their frames to one per key and interval, and the topic names.
//
// It imports no other package of the project. Frames are opaque JSON objects
// to the hub: it encodes each published frame once, splicing in its sequence
// number and topic, and writes the same bytes to every subscriber.
package hub

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Frame is one encoded state message of a topic. Frames with the same Key
// supersede each other: a subscriber only ever needs the latest.
type Frame struct {
	Topic string
	Key   string
	Seq   uint64
	Data  []byte // the whole JSON message, seq and topic included
}

// Broker carries frames from the node that publishes them to every node's
// hub. The in-process MemoryBroker delivers straight to the local hub.
type Broker interface {
	// Publish hands f to every node, this one included, in publish order per topic.
	Publish(f Frame) error
}

// MemoryBroker is the single-node Broker: it delivers to one local hub.
type MemoryBroker struct{ hub *Hub }

var _ Broker = (*MemoryBroker)(nil)

// Publish implements Broker.
func (b *MemoryBroker) Publish(f Frame) error {
	b.hub.Deliver(f)
	return nil
}

// Options configures a Hub. Zero values take the defaults.
type Options struct {
	// QueueLimit is the most frames that may wait for one subscriber after
	// superseded frames are dropped; beyond it the subscriber is closed as
	// slow. Default 256.
	QueueLimit int
	// OnFanout, if set, is called after each delivery with the number of
	// local subscribers and the time it took to queue the frame for all of them.
	OnFanout func(subscribers int, d time.Duration)
	// PaceAbove and PaceRate pace large broadcasts while the node is busy:
	// a frame for a topic with more than PaceAbove local subscribers is
	// queued for all of them at once, but their writers are woken in turn,
	// at most PaceRate per second and no faster than they run (see
	// paceInFlight), so that the writes of one broadcast
	// leave the CPU to the direct messages of other connections (vote acks,
	// replies) and to the frames of small topics (the stage screens)
	// instead of holding it for thousands of writes. A subscriber that gets
	// a direct message meanwhile is woken at once and writes everything it
	// has. The node is busy for BusyWindow after a direct message was
	// queued. Otherwise a large broadcast is woken in a background pass
	// (see passes), as fast as the cores allow. PaceRate 0 (the zero
	// Options) never paces. Defaults: PaceAbove 1,000; BusyWindow 1 s.
	PaceAbove  int
	PaceRate   int
	BusyWindow time.Duration
}

// Hub is this node's set of topics and subscribers.
type Hub struct {
	opts   Options
	epoch  string
	broker Broker

	mu     sync.RWMutex
	topics map[string]*topic

	pacer  pacer
	passes passes

	published  atomic.Int64
	delivered  atomic.Int64
	superseded atomic.Int64
	slowClosed atomic.Int64
	paced      atomic.Int64 // broadcasts handed to the pacer

	busySince atomic.Int64 // unix ns of the last direct message queued (see Options.BusyWindow)
}

type topic struct {
	pubMu    sync.Mutex // orders sequence numbers with broker publishes
	next     uint64
	payloads map[string][]byte // last payload published per key, guarded by pubMu

	mu     sync.Mutex
	seq    uint64
	latest map[string]*Frame
	subs   map[*Subscriber]struct{}
}

// WithDefaults returns o with its zero fields set to the defaults noted.
func (o Options) WithDefaults() Options {
	if o.QueueLimit <= 0 {
		o.QueueLimit = 256
	}
	if o.PaceAbove <= 0 {
		o.PaceAbove = 1000
	}
	if o.BusyWindow <= 0 {
		o.BusyWindow = time.Second
	}
	return o
}

// New returns a hub with an in-process broker. Its epoch is random: sequence
// numbers restart with each epoch, so clients resume only within one.
func New(opts Options) *Hub {
	opts = opts.WithDefaults()
	var b [6]byte
	_, _ = rand.Read(b[:])
	h := &Hub{opts: opts, epoch: hex.EncodeToString(b[:]), topics: map[string]*topic{}}
	h.broker = &MemoryBroker{hub: h}
	return h
}

// Epoch identifies this run of the topics' sequence numbers.
func (h *Hub) Epoch() string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.epoch
}

// SetBroker replaces the in-process broker (cluster mode: frames go through
// Redis). Call it before anything is published.
func (h *Hub) SetBroker(b Broker) { h.broker = b }

// Reset starts epoch: every topic forgets its frames, continues from
// seqs[topic] (0 when absent), and its subscribers get a fresh, empty
// snapshot (paced as a broadcast), which the frames published from then on
// fill. A cluster's nodes share the epoch and sequence numbers of the
// core, so that a client may resume on any of them.
func (h *Hub) Reset(epoch string, seqs map[string]uint64) {
	h.mu.Lock()
	h.epoch = epoch
	for name := range seqs {
		if h.topics[name] == nil {
			h.topics[name] = newTopic()
		}
	}
	topics := make(map[string]*topic, len(h.topics))
	maps.Copy(topics, h.topics)
	h.mu.Unlock()
	for name, t := range topics {
		t.pubMu.Lock()
		t.mu.Lock()
		t.next, t.seq = seqs[name], seqs[name]
		clear(t.payloads)
		clear(t.latest)
		woken := h.fanout(t, snapshotKey(name), encodeSnapshot(name, t, epoch, 0, false))
		t.mu.Unlock()
		h.wake(woken)
		t.pubMu.Unlock()
	}
}

// Has reports whether topicName holds at least one frame.
func (h *Hub) Has(topicName string) bool {
	h.mu.RLock()
	t := h.topics[topicName]
	h.mu.RUnlock()
	if t == nil {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.latest) > 0
}

func (h *Hub) topic(name string) *topic {
	h.mu.RLock()
	t := h.topics[name]
	h.mu.RUnlock()
	if t != nil {
		return t
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if t = h.topics[name]; t == nil {
		t = newTopic()
		h.topics[name] = t
	}
	return t
}

func newTopic() *topic {
	return &topic{payloads: map[string][]byte{}, latest: map[string]*Frame{}, subs: map[*Subscriber]struct{}{}}
}

// Publish assigns the next sequence number of topicName to payload, a JSON
// object, encodes it once and hands it to the broker. A payload equal to the
// last one published under the same key changes nothing and is skipped. It
// never blocks on a subscriber.
func (h *Hub) Publish(topicName, key string, payload []byte) {
	h.wake(h.publish(topicName, key, payload, false))
}

// Batch runs fn, which publishes frames with the publish function it is
// given (as Publish does, in order), and wakes the subscribers only once
// every frame is queued: the frames of several keys due together (a tally
// tick's) then go to each connection in one write. Through another broker
// than the in-process one (a cluster), each frame is published at once and
// delivered as it comes back.
func (h *Hub) Batch(fn func(publish func(topic, key string, payload []byte))) {
	var woken []*[]*Subscriber
	fn(func(topic, key string, payload []byte) {
		if w := h.publish(topic, key, payload, true); w != nil {
			woken = append(woken, w)
		}
	})
	for _, w := range woken {
		h.wake(w)
	}
}

// publish is Publish; with deferred set and the in-process broker, it
// returns the subscribers to wake instead of waking them.
func (h *Hub) publish(topicName, key string, payload []byte, deferred bool) *[]*Subscriber {
	t := h.topic(topicName)
	t.pubMu.Lock()
	defer t.pubMu.Unlock()
	if prev, ok := t.payloads[key]; ok && bytes.Equal(prev, payload) {
		return nil
	}
	t.payloads[key] = payload
	t.next++
	f := Frame{Topic: topicName, Key: key, Seq: t.next, Data: encodeFrame(topicName, t.next, payload)}
	h.published.Add(1)
	if mb, ok := h.broker.(*MemoryBroker); ok && mb.hub == h {
		woken := h.deliver(f)
		if !deferred {
			h.wake(woken) // under pubMu, as the broker would: the next frame of a small topic waits for these writes
			return nil
		}
		return woken
	}
	_ = h.broker.Publish(f)
	return nil
}

// encodeFrame returns payload with "seq" and "topic" added as its first members.
func encodeFrame(topicName string, seq uint64, payload []byte) []byte {
	b := make([]byte, 0, len(payload)+len(topicName)+32)
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"topic":`...)
	b = strconv.AppendQuote(b, topicName)
	if len(payload) > 2 {
		b = append(b, ',')
	}
	return append(b, payload[1:]...)
}

// Deliver stores f as its topic's latest frame for f.Key and queues it for
// every local subscriber of the topic. Frames older than one already
// delivered are ignored.
func (h *Hub) Deliver(f Frame) { h.wake(h.deliver(f)) }

// deliver is Deliver without the wake: it returns the subscribers to wake.
func (h *Hub) deliver(f Frame) *[]*Subscriber {
	start := time.Now()
	t := h.topic(f.Topic)
	t.mu.Lock()
	if f.Seq <= t.seq {
		t.mu.Unlock()
		return nil
	}
	t.seq = f.Seq
	t.latest[f.Key] = &f
	n := len(t.subs)
	woken := h.fanout(t, f.Topic+"\x00"+f.Key, f.Data)
	t.mu.Unlock()
	h.delivered.Add(int64(n))
	if h.opts.OnFanout != nil {
		h.opts.OnFanout(n, time.Since(start))
	}
	return woken
}

// fanout queues data under key for every subscriber of t (t.mu held),
// through the pacer when the topic is large and the node busy. It returns
// the subscribers to wake once t.mu is released (nil when paced): a writer
// woken may write at once, from the waking goroutine (see wake).
func (h *Hub) fanout(t *topic, key string, data []byte) *[]*Subscriber {
	if h.opts.PaceRate > 0 && len(t.subs) > h.opts.PaceAbove && h.busy() {
		h.paced.Add(1)
		h.pacer.enqueue(t.subs, key, data, h.opts.PaceRate)
		return nil
	}
	woken := wokenPool.Get().(*[]*Subscriber)
	for s := range t.subs {
		if s.enqueue(key, data, false) {
			*woken = append(*woken, s)
		}
	}
	return woken
}

var wokenPool = sync.Pool{New: func() any { return new([]*Subscriber) }}

// wake calls the notify function of each subscriber of woken, which may
// write to its socket, and returns woken to its pool: at once for a few
// subscribers (a stage screen's frame is written before the publisher
// returns), in a background pass for more than PaceAbove.
func (h *Hub) wake(woken *[]*Subscriber) {
	if woken == nil {
		return
	}
	subs := *woken
	if len(subs) > h.opts.PaceAbove {
		h.passes.add(subs)
	} else {
		for _, s := range subs {
			s.notify()
		}
	}
	clear(subs)
	if cap(subs) > 1<<16 { // do not keep a huge topic's array
		*woken = nil
	} else {
		*woken = subs[:0]
	}
	wokenPool.Put(woken)
}

// markBusy notes that the node is busy: a direct message was queued.
func (h *Hub) markBusy() { h.busySince.Store(time.Now().UnixNano()) }

// busy reports whether a direct message was queued within the busy window.
func (h *Hub) busy() bool {
	return time.Now().UnixNano()-h.busySince.Load() < int64(h.opts.BusyWindow)
}

// Subscribe adds s to topicName and queues its snapshot first: if epoch is
// this hub's and lastSeq is not ahead of the topic, only the frames newer
// than lastSeq ("resumed"); otherwise every latest frame. See docs/protocol.md.
func (h *Hub) Subscribe(topicName string, s *Subscriber, epoch string, lastSeq uint64) {
	if h.subscribe(topicName, s, epoch, lastSeq) {
		s.notify() // once the topic's lock is released: the writer may write at once
	}
}

// subscribe is Subscribe under the topic's lock; it reports whether s was added.
func (h *Hub) subscribe(topicName string, s *Subscriber, epoch string, lastSeq uint64) bool {
	t := h.topic(topicName)
	t.mu.Lock()
	defer t.mu.Unlock()
	hubEpoch := h.Epoch()
	resumed := epoch == hubEpoch && lastSeq > 0 && lastSeq <= t.seq
	if !resumed {
		lastSeq = 0
	}
	// A newer snapshot of the topic replaces a queued one.
	if !s.enqueue(snapshotKey(topicName), encodeSnapshot(topicName, t, hubEpoch, lastSeq, resumed), false) {
		return false // closed: never added
	}
	t.subs[s] = struct{}{}
	s.mu.Lock()
	if !slices.Contains(s.topics, topicName) {
		s.topics = append(s.topics, topicName)
	}
	s.mu.Unlock()
	return true
}

const snapshotPrefix = "\x00snapshot\x00"

func snapshotKey(topicName string) string { return snapshotPrefix + topicName }

// encodeSnapshot encodes t's snapshot message (t.mu held): its latest frames
// newer than lastSeq, oldest first.
func encodeSnapshot(topicName string, t *topic, epoch string, lastSeq uint64, resumed bool) []byte {
	frames := make([]*Frame, 0, len(t.latest))
	for _, f := range t.latest {
		if f.Seq > lastSeq {
			frames = append(frames, f)
		}
	}
	slices.SortFunc(frames, func(a, b *Frame) int { return cmp.Compare(a.Seq, b.Seq) })
	n := 96 + len(topicName)
	for _, f := range frames {
		n += len(f.Data) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"type":"snapshot","topic":`...)
	b = strconv.AppendQuote(b, topicName)
	b = append(b, `,"epoch":"`...)
	b = append(b, epoch...)
	b = append(b, `","seq":`...)
	b = strconv.AppendUint(b, t.seq, 10)
	b = append(b, `,"resumed":`...)
	b = strconv.AppendBool(b, resumed)
	b = append(b, `,"frames":[`...)
	for i, f := range frames {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, f.Data...)
	}
	return append(b, "]}"...)
}

// Unsubscribe removes s from topicName.
func (h *Hub) Unsubscribe(topicName string, s *Subscriber) {
	t := h.topic(topicName)
	t.mu.Lock()
	delete(t.subs, s)
	t.mu.Unlock()
	s.mu.Lock()
	s.topics = slices.DeleteFunc(s.topics, func(t string) bool { return t == topicName })
	s.mu.Unlock()
}

// Remove takes s out of every topic and closes its queue.
func (h *Hub) Remove(s *Subscriber) {
	s.mu.Lock()
	topics := slices.Clone(s.topics)
	s.closed = true
	s.queue = nil
	s.mu.Unlock()
	for _, name := range topics {
		h.Unsubscribe(name, s)
	}
}

// Count returns the number of local subscribers of topicName.
func (h *Hub) Count(topicName string) int {
	h.mu.RLock()
	t := h.topics[topicName]
	h.mu.RUnlock()
	if t == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.subs)
}

// Frames returns every topic's latest frames, each topic's oldest first.
func (h *Hub) Frames() []Frame {
	h.mu.RLock()
	topics := maps.Clone(h.topics)
	h.mu.RUnlock()
	var out []Frame
	for _, t := range topics {
		t.mu.Lock()
		start := len(out)
		for _, f := range t.latest {
			out = append(out, *f)
		}
		t.mu.Unlock()
		slices.SortFunc(out[start:], func(a, b Frame) int { return cmp.Compare(a.Seq, b.Seq) })
	}
	return out
}

// Counts returns the number of local subscribers of every topic that has any.
func (h *Hub) Counts() map[string]int {
	h.mu.RLock()
	topics := maps.Clone(h.topics)
	h.mu.RUnlock()
	out := map[string]int{}
	for name, t := range topics {
		t.mu.Lock()
		if n := len(t.subs); n > 0 {
			out[name] = n
		}
		t.mu.Unlock()
	}
	return out
}

// Stats are the hub's counters since start.
type Stats struct {
	Published  int64 // frames published
	Delivered  int64 // frames queued to subscribers
	Superseded int64 // queued frames dropped because a newer one with the same key replaced them
	SlowClosed int64 // subscribers closed because their queue overflowed
	Paced      int64 // broadcasts whose writers were woken in turn (the node was busy)
}

// Stats returns the hub's counters.
func (h *Hub) Stats() Stats {
	return Stats{h.published.Load(), h.delivered.Load(), h.superseded.Load(), h.slowClosed.Load(), h.paced.Load()}
}

// Subscriber is one connection's bounded send queue. Queued frames with the
// same topic and key supersede each other (latest wins, moved to the end so
// that sequence numbers stay in order), and so do snapshots of one topic;
// other direct messages (acks, errors) are never dropped. When the queue
// overflows, the subscriber is closed and OnSlow is called once.
type Subscriber struct {
	hub    *Hub
	onSlow func()
	notify func()
	onTurn func() // wakes the writer when a paced broadcast's turn comes; nil: notify

	mu     sync.Mutex
	queue  []queued
	closed bool
	topics []string // followed (a handful)

	paced  bool // waiting in the hub's pacer; guarded by the pacer's mu
	inPass bool // waiting in the hub's passes; guarded by the passes' mu
}

type queued struct {
	key  string // topic + "\x00" + frame key; "" for direct messages
	data []byte
}

// NewSubscriber returns a subscriber. notify (if not nil) is called when
// messages wait to be written: after each message is queued (for a
// broadcast, once the topic's lock is released; for a large one, from a
// background pass's goroutines), or for a paced broadcast when the
// subscriber's turn comes (from the pacer's goroutine); onSlow is called
// once when the queue overflows. Both are called from the goroutine that
// queued, a pass's or the pacer's, possibly under the hub's locks, so they
// must not block; notify may write to the connection without blocking.
func (h *Hub) NewSubscriber(onSlow, notify func()) *Subscriber {
	if notify == nil {
		notify = func() {}
	}
	return &Subscriber{hub: h, onSlow: onSlow, notify: notify}
}

// OnTurn sets the function called instead of notify when the subscriber's
// turn in a paced broadcast comes (from the pacer's goroutine): one that
// only wakes the writer, so that the pacer never writes itself and the
// writers of a paced broadcast share the CPU with every other goroutine.
// Call it before the subscriber is subscribed.
func (s *Subscriber) OnTurn(f func()) { s.onTurn = f }

func (s *Subscriber) turn() {
	if s.onTurn != nil {
		s.onTurn()
		return
	}
	s.notify()
}

// Send queues a direct message (never superseded) and wakes the writer at
// once; the node counts as busy for the hub's busy window. It reports false
// if the subscriber is closed or has just been closed as slow.
func (s *Subscriber) Send(data []byte) bool {
	s.hub.markBusy()
	return s.enqueue("", data, true)
}

// enqueue queues data under key and, with notify set or a long queue, wakes the writer.
func (s *Subscriber) enqueue(key string, data []byte, notify bool) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	if key != "" {
		for i, q := range s.queue {
			if q.key == key {
				s.queue = slices.Delete(s.queue, i, i+1)
				s.hub.superseded.Add(1)
				break
			}
		}
	}
	if len(s.queue) >= s.hub.opts.QueueLimit {
		s.closed, s.queue = true, nil
		s.mu.Unlock()
		s.hub.slowClosed.Add(1)
		s.onSlow()
		return false
	}
	s.queue = append(s.queue, queued{key, data})
	// A paced subscriber is woken before its queue could overflow (a
	// resync delivers every frame of a topic at once): it is not slow.
	notify = notify || len(s.queue) > s.hub.opts.QueueLimit/2
	s.mu.Unlock()
	if notify {
		s.notify()
	}
	return true
}

// pending reports whether messages wait in the queue.
func (s *Subscriber) pending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue) > 0
}

// Take returns and clears the queued messages, oldest first, appending them to buf.
func (s *Subscriber) Take(buf [][]byte) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.queue {
		buf = append(buf, q.data)
	}
	if cap(s.queue) > 4 {
		s.queue = nil // after a burst, do not keep its room for an idle connection
	} else {
		clear(s.queue)
		s.queue = s.queue[:0]
	}
	return buf
}

// pacer wakes the subscribers of large broadcasts in turn, at
// Options.PaceRate per second, each once however many frames were queued
// for it meanwhile. Its goroutine runs while subscribers wait and then
// ends; the next large broadcast starts another.
type pacer struct {
	mu sync.Mutex
	line
	running bool
}

// line is the subscribers waiting in the pacer or the passes, oldest
// first, from head on; its owner's mutex guards it.
type line struct {
	waiting []*Subscriber
	head    int
}

// take moves up to n waiting subscribers, oldest first, to buf and
// reports whether none is left; a line emptied drops a large backlog's array.
func (l *line) take(buf []*Subscriber, n int) ([]*Subscriber, bool) {
	n = min(n, len(l.waiting)-l.head)
	buf = append(buf, l.waiting[l.head:l.head+n]...)
	clear(l.waiting[l.head : l.head+n])
	l.head += n
	if l.head < len(l.waiting) {
		return buf, false
	}
	l.waiting, l.head = l.waiting[:0], 0
	if cap(l.waiting) > 1<<16 {
		l.waiting = nil
	}
	return buf, true
}

// compact drops the part already woken before the line grows.
func (l *line) compact() {
	if l.head > 0 && l.head >= len(l.waiting)/2 {
		n := copy(l.waiting, l.waiting[l.head:])
		clear(l.waiting[n:])
		l.waiting, l.head = l.waiting[:n], 0
	}
}

// paceTick is how often the pacer wakes its share of the waiting subscribers.
const paceTick = time.Millisecond

// paceInFlight is how many of the subscribers the pacer woke may still wait
// for their writers to take their frames, per core, before it wakes more:
// writers that have not run yet are waiting for a core, and waking more
// would only line them up in front of the goroutines that answer votes. On
// a node that has its cores the writers keep up and the rate decides; on
// one that shares them (a noisy machine, processes beside it) the writers
// set the pace, and the acks keep their turn.
const paceInFlight = 16

// paceStuck is how long a woken subscriber counts as in flight: a writer
// that has not taken its frames by then waits for its network (a phone
// on bad Wi-Fi, its socket's buffer full), not for a core.
const paceStuck = 20 * time.Millisecond

// woken is a subscriber the pacer woke, and when.
type woken struct {
	s  *Subscriber
	at time.Time
}

// enqueue queues data under key for every subscriber of subs, waking only
// those whose queue is getting long (see Subscriber.enqueue), lines up those
// not already waiting, and starts the pacer's goroutine if it is not
// running. The caller holds the topic's lock.
func (p *pacer) enqueue(subs map[*Subscriber]struct{}, key string, data []byte, rate int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.compact()
	for s := range subs {
		if s.enqueue(key, data, false) && !s.paced {
			s.paced = true
			p.waiting = append(p.waiting, s)
		}
	}
	if !p.running && len(p.waiting) > p.head {
		p.running = true
		go p.run(rate, paceInFlight*runtime.GOMAXPROCS(0))
	}
}

// run wakes the waiting subscribers, oldest first, as many at each tick as
// the rate allows for the time since it started and as leave at most
// inFlight woken writers yet to run (a share nobody waited for, or that the
// writers could not take, is not saved up), until none waits.
func (p *pacer) run(rate, inFlight int) {
	start, credited := time.Now(), 0
	var batch []*Subscriber
	var flying []woken
	for {
		if due := int(time.Since(start).Seconds() * float64(rate)); due > credited {
			now := time.Now()
			p.mu.Lock()
			// Still in flight: woken within paceStuck, frames not taken, not
			// waiting in the line again for a newer broadcast.
			flying = slices.DeleteFunc(flying, func(w woken) bool { return now.Sub(w.at) >= paceStuck || w.s.paced || !w.s.pending() })
			var done bool
			batch, done = p.take(batch[:0], max(0, min(due-credited, inFlight-len(flying))))
			for _, s := range batch {
				s.paced = false
			}
			p.running = !done
			p.mu.Unlock()
			for _, s := range batch {
				if s.pending() { // a direct message may have woken it already
					flying = append(flying, woken{s, now})
					s.turn()
				}
			}
			clear(batch)
			if done {
				return
			}
			credited = due
		}
		next := time.Duration(float64(credited+1) / float64(rate) * float64(time.Second)) // when one more is due
		time.Sleep(max(paceTick, next-time.Since(start)))
	}
}

// passes wakes the subscribers of large broadcasts that are not paced, in
// the background, as fast as the process's cores allow: a broadcast's
// publisher returns once its frame is queued, and a broadcast that comes
// while an earlier one is still being written joins its pass, each
// subscriber woken once for what it has queued by then (the newest frame of
// each key). Its goroutines, at most one per core, run while subscribers
// wait and then end; the next large broadcast starts them again.
type passes struct {
	mu sync.Mutex
	line
	workers int
}

// passChunk is how many subscribers a pass's goroutine takes at a time,
// after which it lets other goroutines (acks, readers) run.
const passChunk = 64

// add lines up every subscriber of subs not already waiting and starts
// the goroutines the backlog needs.
func (p *passes) add(subs []*Subscriber) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.compact()
	for _, s := range subs {
		if !s.inPass {
			s.inPass = true
			p.waiting = append(p.waiting, s)
		}
	}
	want := min(runtime.GOMAXPROCS(0), (len(p.waiting)-p.head+wakeShare-1)/wakeShare)
	for ; p.workers < want; p.workers++ {
		go p.run()
	}
}

// wakeShare is the fewest waiting subscribers worth another goroutine.
const wakeShare = 256

// run wakes the waiting subscribers, oldest first, a chunk at a time,
// until none waits.
func (p *passes) run() {
	var chunk []*Subscriber
	for {
		p.mu.Lock()
		chunk, _ = p.take(chunk[:0], passChunk)
		if len(chunk) == 0 {
			p.workers--
			p.mu.Unlock()
			return
		}
		for _, s := range chunk {
			s.inPass = false // a frame queued from now on lines it up again
		}
		p.mu.Unlock()
		for _, s := range chunk {
			s.notify()
		}
		clear(chunk)
		runtime.Gosched()
	}
}
