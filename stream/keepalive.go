package stream

import (
	"context"
	"encoding/binary"
	"log/slog"
	"sync"
	"time"

	"github.com/ovation-live/ovation/hub"
)

// Options configures a Set. Zero values take the defaults noted.
type Options struct {
	ReadLimit    int64         // largest message accepted, bytes; default 4096
	WriteTimeout time.Duration // a write stuck this long closes the connection; default 10 s
	PingInterval time.Duration // keepalive of an idle connection; default 20 s
	Logger       *slog.Logger  // default slog.Default()
	// OnStalled, if set, is called for each connection closed because its
	// peer did not read (a write timed out, or a ping behind frames got no
	// pong): a metric.
	OnStalled func()
}

func (o *Options) setDefaults() {
	if o.ReadLimit <= 0 {
		o.ReadLimit = 4096
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 20 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Set is a server's open connections, fed by one hub: it upgrades them
// (Accept) and keeps them alive (Run).
type Set struct {
	opts  Options
	hub   *hub.Hub
	mu    sync.Mutex
	conns map[*Conn]struct{}
}

// NewSet returns an empty set whose connections' frames come from h.
func NewSet(h *hub.Hub, opts Options) *Set {
	opts.setDefaults()
	return &Set{opts: opts, hub: h, conns: map[*Conn]struct{}{}}
}

func (s *Set) add(c *Conn) {
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
}

func (s *Set) remove(c *Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func (s *Set) stalled() {
	if s.opts.OnStalled != nil {
		s.opts.OnStalled()
	}
}

// appendDue frames batch's messages, and the ping due if one is, after what
// waits for the socket.
func (c *Conn) appendDue(batch [][]byte) error {
	if len(batch) > 0 {
		c.ping.unproven.CompareAndSwap(0, time.Now().UnixNano())
		if err := c.out.appendMessages(batch); err != nil {
			return err
		}
	}
	if !c.ping.due.CompareAndSwap(true, false) {
		return nil
	}
	// The pong proves the frames before the ping were read; those after it
	// are the next ping's to prove.
	c.ping.busy.Store(c.ping.unproven.Swap(0) != 0)
	id := c.ping.id.Add(1)
	c.ping.sent.Store(time.Now().UnixNano())
	return c.out.appendPing(id)
}

// pong takes a pong's payload (from the reader): the answer to the last
// ping ends its wait.
func (c *Conn) pong(payload []byte) {
	if len(payload) == 4 && binary.BigEndian.Uint32(payload) == c.ping.id.Load() {
		c.ping.sent.Store(0)
	}
}

// unanswered ends a connection whose last ping got no pong in time (the
// pinger calls it): one that was sent frames before the ping has not taken
// them and is closed as a slow consumer (counted with the write timeouts);
// an idle one is dropped without a close frame (the peer is gone, a close
// frame would not arrive either). A busy one already closing or dropped is
// left to that (and counted by the reason it was closed for).
func (c *Conn) unanswered() {
	if c.ping.busy.Load() {
		if c.isClosing() {
			return
		}
		c.set.stalled()
		c.set.opts.Logger.Info("closing slow websocket: frames not read", "ip", c.ip)
		c.Close(CloseSlowConsumer, "slow consumer: frames not read")
		return
	}
	_ = c.out.Conn.Close() // the reader fails and ends the connection
}

// pongWait is how long a ping waits for its pong: the keepalive interval
// for an idle connection; for one that was sent frames, half the write
// timeout, so that with the pinger's busy period (0.9 write timeouts) and
// its looks (every 0.05 write timeouts at most; a busy ping waits up to two
// for frames to go with) a peer that stopped reading is closed within 1.6
// write timeouts of its first unread frame (16 s by default).
func (s *Set) pongWait(busy bool) time.Duration {
	if busy {
		return min(s.opts.PingInterval, s.opts.WriteTimeout/2)
	}
	return s.opts.PingInterval
}

// busyPingEvery is how often a connection that is sent frames is pinged to
// prove it reads them: rarely enough to cost little (1,100 pings a second
// for 10,000 phones), often enough to close a stalled reader within 1.4
// write timeouts.
func (s *Set) busyPingEvery() time.Duration { return s.opts.WriteTimeout * 9 / 10 }

// Tick is how often the pinger looks at the connections: 500 ms, or less
// with a short ping interval or write timeout.
func (s *Set) Tick() time.Duration {
	return min(500*time.Millisecond, s.opts.PingInterval/10, s.opts.WriteTimeout/20)
}

// Run pings the connections until ctx ends. It asks for a ping on each
// connection that was written frames since its last ping, once
// busyPingEvery has passed (the pong proves the frames were read), and on
// every other connection each ping interval (keepalive); it ends the
// connections whose pong is late (see pongWait and unanswered). A
// keepalive ping is written at once; a busy one goes with the connection's
// next frames, or alone two looks later (1 s, a phone's tally interval, by
// default) if none came.
func (s *Set) Run(ctx context.Context) {
	t := time.NewTicker(s.Tick())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.look(now)
		}
	}
}

// look is one look of the pinger at every connection. It asks at most an
// even share of each kind of ping each time, so that they spread over
// their period even when thousands of phones connected, or got their
// first frame, in the same few seconds (a keynote).
func (s *Set) look(now time.Time) {
	tick, busyEvery := s.Tick(), s.busyPingEvery()
	s.mu.Lock()
	defer s.mu.Unlock()
	idle := len(s.conns)*int(tick)/int(s.opts.PingInterval) + 1
	busy := len(s.conns)*int(tick)/int(busyEvery) + 1
	for c := range s.conns {
		if sent := c.ping.sent.Load(); sent != 0 {
			if now.UnixNano()-sent > int64(s.pongWait(c.ping.busy.Load())) && c.ping.sent.CompareAndSwap(sent, 0) { // not answered meanwhile
				c.unanswered()
			}
			continue
		}
		if c.ping.due.Load() {
			if now.Sub(c.ping.last) >= tick*3/2 { // no frame took it for two looks
				c.kick()
			}
			continue
		}
		since, keepalive := now.Sub(c.ping.last), false
		switch {
		case since >= busyEvery && busy > 0 && c.ping.unproven.Load() != 0:
			busy--
		case since >= s.opts.PingInterval && idle > 0:
			idle--
			keepalive = true
		default:
			continue
		}
		c.ping.last = now
		c.ping.due.Store(true)
		if keepalive { // a busy ping waits for frames to go with
			c.kick()
		}
	}
}
