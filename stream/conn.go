// Package stream owns one WebSocket connection's transport: the upgrade, the
// socket and the frames written to it by hand, the one writer that holds a
// connection's turn (inline from whoever queued a frame, or a short-lived
// goroutine), the close handshake, and the keepalive pings of a server's
// connections, which also close the peers that stopped reading.
//
// What the messages mean (the protocol: auth, subscribe, vote) is the
// caller's: package api reads them with Conn.Read and answers with
// Conn.Send. Frames come from a hub.Subscriber, whose queue decides what is
// written; stream imports hub and nothing else of the project.
package stream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/ovation-live/ovation/hub"
)

// CloseSlowConsumer is the close code (RFC 6455 private range, in
// docs/protocol.md) of a client that did not read fast enough.
const CloseSlowConsumer websocket.StatusCode = 4008

// Conn is one WebSocket connection. Whoever queues a message writes it
// without blocking (see writeInline); a writer goroutine runs only for what
// does not fit in the socket's buffer and for the close handshake: an idle
// connection holds one goroutine, the caller's reader. Keepalive pings are
// frames written like the messages, after them; their pongs arrive through
// the reader, and the Set's pinger drops a connection whose pong is late.
type Conn struct {
	set    *Set
	ws     *websocket.Conn
	out    *socket // the hijacked socket: what waits to be written, and how
	sub    *hub.Subscriber
	ip     string // the peer's address, for the logs
	ctx    context.Context
	cancel context.CancelFunc
	closer closer
	writer writer
	ping   keepalive
	owed   atomic.Int32 // replies on their way (Owe) that a close waits for
}

// closer is the close a connection was asked for: code and reason, set once.
type closer struct {
	once    sync.Once
	code    websocket.StatusCode
	reason  string
	closing chan struct{}
}

// writer is the connection's writing turn: at most one holder at a time,
// inline or a goroutine.
type writer struct {
	mu      sync.Mutex    // guards running and done
	running bool          // someone holds the turn
	done    bool          // the connection is over: no writer starts
	wake    chan struct{} // work for the running writer (one token at most)
	wg      sync.WaitGroup
}

// keepalive is a connection's ping state.
type keepalive struct {
	due      atomic.Bool   // the next write ends with a ping
	last     time.Time     // when the pinger last asked for a ping; guarded by Set.mu
	unproven atomic.Int64  // unix ns of the first frame written since the last ping was; 0: none
	id       atomic.Uint32 // payload of the last ping written
	sent     atomic.Int64  // unix ns the last ping was written, until its pong; 0: none outstanding
	busy     atomic.Bool   // frames went before the outstanding ping: unanswered, the peer is not reading
}

// Accept upgrades the request to a WebSocket connection (refusing origins
// not in origins, host patterns as websocket.AcceptOptions takes them)
// whose frames come from a new subscriber of the set's hub. ip names the
// peer in the logs. If it fails, it has written the answer.
func (s *Set) Accept(w http.ResponseWriter, r *http.Request, origins []string, ip string) (*Conn, error) {
	sb := &smallBuffers{ResponseWriter: w}
	var c *Conn // set before the reader runs, which alone calls OnPongReceived
	ws, err := websocket.Accept(sb, r, &websocket.AcceptOptions{OriginPatterns: origins,
		OnPongReceived: func(_ context.Context, payload []byte) { c.pong(payload) }})
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(s.opts.ReadLimit)
	ctx, cancel := context.WithCancel(context.Background()) // the request's context ends with the hijack
	sb.conn.timeout = s.opts.WriteTimeout
	c = &Conn{set: s, ws: ws, out: sb.conn, ip: ip, ctx: ctx, cancel: cancel,
		closer: closer{closing: make(chan struct{})}, writer: writer{wake: make(chan struct{}, 1)}}
	c.ping.last = time.Now()
	c.sub = s.hub.NewSubscriber(func() { c.Close(CloseSlowConsumer, "slow consumer") }, c.kick)
	c.sub.OnTurn(c.wakeWriter)
	s.add(c)
	return c, nil
}

// Subscriber is the hub subscriber whose queue feeds the connection.
func (c *Conn) Subscriber() *hub.Subscriber { return c.sub }

// Context ends when the connection does.
func (c *Conn) Context() context.Context { return c.ctx }

// Send queues one message (a JSON text) for the peer, without blocking.
func (c *Conn) Send(msg []byte) { c.sub.Send(msg) }

// Read returns the next message from the peer. Something must always be
// reading: pongs and the close handshake come through it.
func (c *Conn) Read() (websocket.MessageType, []byte, error) { return c.ws.Read(c.ctx) }

// CloseAsked reports whether Close was called: from then on messages are
// read only to finish the close handshake.
func (c *Conn) CloseAsked() bool {
	select {
	case <-c.closer.closing:
		return true
	default:
		return false
	}
}

// Owe counts a reply on its way to the peer (a vote's answer from the
// core); Paid, once it is queued. A close first writes what is owed, for
// up to the write timeout, and names in its reason how many did not come.
func (c *Conn) Owe() { c.owed.Add(1) }

// Paid ends an Owe.
func (c *Conn) Paid() { c.owed.Add(-1) }

// Close asks the writer to close the connection with code. It never
// blocks, so the hub may call it while holding its locks.
func (c *Conn) Close(code websocket.StatusCode, reason string) {
	c.closer.once.Do(func() {
		c.closer.code, c.closer.reason = code, reason
		close(c.closer.closing)
	})
	c.kick()
}

// End ends the connection's context, once its reader has returned: the
// requests made for it stop. Release follows once they did.
func (c *Conn) End() { c.cancel() }

// Release ends the connection after End: no writer starts any more, the
// running one finishes, the subscriber leaves the hub and the socket
// closes.
func (c *Conn) Release() {
	c.cancel()
	c.writer.mu.Lock()
	c.writer.done = true
	c.writer.mu.Unlock()
	c.writer.wg.Wait()
	c.set.hub.Remove(c.sub)
	c.set.remove(c)
	_ = c.ws.CloseNow()
}

// Writes is how many write(2) calls wrote to the socket so far.
func (c *Conn) Writes() int64 { return c.out.writes.Load() }

// Writing reports whether a writer holds the connection's turn.
func (c *Conn) Writing() bool {
	c.writer.mu.Lock()
	defer c.writer.mu.Unlock()
	return c.writer.running
}

// Hold takes the writer's turn once no one holds it (or ctx ends: false):
// frames queued meanwhile only leave a token, and the returned flush
// writes them all, as the turn's holder does, in one non-blocking write.
func (c *Conn) Hold(ctx context.Context) (flush func(), ok bool) {
	for {
		c.writer.mu.Lock()
		if !c.writer.running && !c.writer.done {
			c.writer.running = true
			c.writer.wg.Add(1)
			c.writer.mu.Unlock()
			return c.writeInline, true
		}
		c.writer.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, false
		case <-time.After(time.Millisecond): // the holder gives up its turn by itself
		}
	}
}

// Pings reports the payload of the last ping written (they count up from
// 1) and when a ping still unanswered was written (zero: none is).
func (c *Conn) Pings() (last uint32, waiting time.Time) {
	if sent := c.ping.sent.Load(); sent != 0 {
		waiting = time.Unix(0, sent)
	}
	return c.ping.id.Load(), waiting
}

// kick makes sure what is due gets written. If no writer runs, it writes
// the queued messages and a ping due itself, without blocking (see
// writeInline); it starts a writer goroutine for the close handshake; a running
// writer (inline or goroutine) gets a token to go round once more. It never
// blocks: the hub calls it for each frame, possibly under its locks.
func (c *Conn) kick() {
	w := &c.writer
	w.mu.Lock()
	switch {
	case w.done:
	case w.running:
		select {
		case w.wake <- struct{}{}:
		default:
		}
	case c.out.raw == nil || c.isClosing():
		w.running = true
		w.wg.Add(1)
		go c.write()
	default:
		w.running = true
		w.wg.Add(1)
		w.mu.Unlock()
		c.writeInline()
		return
	}
	w.mu.Unlock()
}

// wakeWriter is kick for a paced broadcast's turn: it starts a writer
// goroutine, or leaves the running writer a token, but never writes
// itself, so that the pacer's goroutine does not carry the broadcast's
// writes while vote acks wait for the CPU.
func (c *Conn) wakeWriter() {
	w := &c.writer
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.done:
	case w.running:
		select {
		case w.wake <- struct{}{}:
		default:
		}
	default:
		w.running = true
		w.wg.Add(1)
		go c.write()
	}
}

func (c *Conn) isClosing() bool {
	return c.CloseAsked() || c.ctx.Err() != nil
}

// writeInline writes the queued messages, and a ping due after them, from
// the goroutine that queued them (the hub's broadcast, the pacer, a reply's
// handler, the pinger), in one non-blocking write: a phone that reads has
// room in its socket buffer, so a broadcast to thousands costs no goroutine
// wake-up per connection, and a ping rides with the frames it follows. What
// does not fit, a close asked for meanwhile, and a failed socket are handed
// to a writer goroutine. The caller holds the writer's turn (running,
// counted in wg).
func (c *Conn) writeInline() {
	w := &c.writer
	var arr [8][]byte
	for {
		batch := c.sub.Take(arr[:0])
		err := c.appendDue(batch)
		clear(batch)
		var pending bool
		if err == nil {
			pending, err = c.out.tryFlush()
		}
		w.mu.Lock()
		if err != nil || pending || c.isClosing() {
			if w.done { // the connection is over: nothing more to write
				w.running = false
				w.mu.Unlock()
				w.wg.Done()
				return
			}
			go c.write() // it takes over the turn
			w.mu.Unlock()
			return
		}
		select {
		case <-w.wake: // more was queued meanwhile
			w.mu.Unlock()
			continue
		default:
		}
		w.running = false
		w.mu.Unlock()
		w.wg.Done()
		return
	}
}

// write writes what is due, blocking (each write bounded by the write
// timeout), until nothing is, and ends. The next kick writes inline again
// or starts another.
func (c *Conn) write() {
	w := &c.writer
	defer w.wg.Done()
	var batch [][]byte
	for {
		var open bool
		batch, open = c.writeOnce(batch)
		if !open {
			w.mu.Lock()
			w.running, w.done = false, true
			w.mu.Unlock()
			return
		}
		if c.writerDone() {
			return
		}
	}
}

// writerDone ends the writer unless a kick left it work: under the
// writer's lock, so that a kick from then on writes or starts a new writer.
func (c *Conn) writerDone() bool {
	w := &c.writer
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-w.wake:
		return false
	default:
		w.running = false
		return true
	}
}

// writeOnce does what is due, each write bounded by WriteTimeout: the close
// handshake when asked, else the queued messages, a ping due and whatever
// else waits for the socket. It reports whether the connection goes on.
func (c *Conn) writeOnce(batch [][]byte) (_ [][]byte, open bool) {
	select {
	case <-c.ctx.Done():
		return batch, false
	case <-c.closer.closing:
		reason := c.closer.reason
		if owed := c.writeOwed(); owed > 0 {
			reason = fmt.Sprintf("%s; %d vote answers not sent: send those votes again", reason, owed)
		}
		_ = c.ws.Close(c.closer.code, reason)
		c.cancel()
		return batch, false
	default:
	}
	batch = c.sub.Take(batch[:0])
	return batch, c.writeBatch(batch)
}

// writeBatch frames batch's messages (and the ping due) after what waits
// for the socket and writes everything, blocking, bounded by the write
// timeout; it clears batch (the frames are not kept past their write). On
// failure the connection is dropped; a stalled write counts as a stalled
// connection unless the connection was already closing, counted by the
// reason it was closed for (a slow consumer's queue, a ping unanswered).
func (c *Conn) writeBatch(batch [][]byte) bool {
	err := c.appendDue(batch)
	clear(batch)
	if err == nil {
		err = c.out.flush()
	}
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) && !c.CloseAsked() {
			c.set.stalled()
			c.set.opts.Logger.Info("closing slow websocket", "ip", c.ip)
		}
		_ = c.ws.CloseNow()
		c.cancel()
		return false
	}
	return true
}

// writeOwed writes, before a close, every reply the connection is owed:
// what is queued, and the replies on their way (Owe), as they arrive, for
// up to WriteTimeout. It returns how many did not arrive in time.
func (c *Conn) writeOwed() int {
	deadline := time.NewTimer(c.set.opts.WriteTimeout)
	defer deadline.Stop()
	var batch [][]byte
	for {
		batch = c.sub.Take(batch[:0])
		if len(batch) > 0 && !c.writeBatch(batch) {
			return 0 // the peer is gone: nothing more can reach it
		}
		owed := int(c.owed.Load())
		if owed == 0 {
			return 0
		}
		select {
		case <-c.writer.wake: // an answer was queued
		case <-deadline.C:
			return owed
		case <-c.ctx.Done():
			return owed
		}
	}
}
