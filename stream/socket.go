package stream

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// socket is a WebSocket connection's socket on its way out: the bytes
// waiting to be written, in order, and the two ways of writing them.
//
// The connection's messages are framed here (text frames, server to client:
// unmasked; compression is never negotiated) and appended as whole frames;
// the WebSocket library writes its own frames (pongs, pings, close) through
// Write, each a whole frame too (one flush of its buffer, larger than any
// control frame), so the byte stream is always a sequence of whole frames.
//
// Whoever queued the messages first tries a non-blocking write(2) of
// everything waiting (tryFlush): a phone that reads keeps room in its
// socket buffer, so a broadcast is written without waking a goroutine per
// connection, and every message due goes in one system call. What does not
// fit is left to the connection's writer goroutine (flush), whose blocking
// write is bounded by the write timeout.
type socket struct {
	net.Conn
	raw     syscall.RawConn // nil: no non-blocking writes, the writer goroutine writes everything
	timeout time.Duration   // bound of a blocking write; 0: none

	writes atomic.Int64 // write(2) calls that wrote to the socket

	mu        sync.Mutex
	buf       []byte // waiting bytes; nil when none (from bufPool)
	flushing  bool   // a blocking write runs outside mu; it writes what is appended meanwhile
	sentClose bool   // the library wrote a close frame: no message may follow it
	err       error  // the socket failed; every later write fails

	// Arguments and results of rawWrite, under mu: one function value for
	// the connection's life instead of a closure per write.
	wp    []byte
	wn    int
	werr  error
	rawFn func(fd uintptr) bool
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// errSentClose is the error of a message after the close frame.
var errSentClose = errors.New("websocket: close frame sent")

func newSocket(nc net.Conn) *socket {
	c := &socket{Conn: nc}
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			c.raw = raw
		}
	}
	c.rawFn = func(fd uintptr) bool {
		for {
			c.wn, c.werr = syscall.Write(int(fd), c.wp)
			if c.werr != syscall.EINTR {
				return true // done, or EAGAIN: nothing waits for room
			}
		}
	}
	return c
}

// appendLocked adds p to the waiting bytes (mu held).
func (c *socket) appendLocked(p []byte) {
	if c.buf == nil {
		c.buf = (*bufPool.Get().(*[]byte))[:0]
	}
	c.buf = append(c.buf, p...)
}

// releaseLocked returns the emptied buffer to the pool (mu held), so that an
// idle connection holds none; a burst's large buffer is dropped.
func (c *socket) releaseLocked() {
	if c.buf != nil && len(c.buf) == 0 {
		if cap(c.buf) <= 64<<10 {
			b := c.buf
			bufPool.Put(&b)
		}
		c.buf = nil
	}
}

// Write implements io.Writer for the WebSocket library: p is one of its
// frames, written after the bytes already waiting. If the socket's buffer
// is full, the call blocks as a write of the library would (bounded by the
// write timeout), unless a blocking write is under way, which writes p too.
func (c *socket) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return 0, err
	}
	if len(p) > 0 && p[0]&0x0f == 0x8 { // a close frame
		c.sentClose = true
	}
	c.appendLocked(p)
	pending := c.tryFlushLocked()
	err := c.err
	c.mu.Unlock()
	if pending {
		err = c.flush()
	}
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// endedLocked is why no frame may be appended (mu held): the socket
// failed or the close frame went; nil otherwise.
func (c *socket) endedLocked() error {
	if c.err != nil {
		return c.err
	}
	if c.sentClose {
		return errSentClose
	}
	return nil
}

// appendMessages frames msgs as text messages and appends them. It fails
// once the socket failed or the close frame went.
func (c *socket) appendMessages(msgs [][]byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.endedLocked(); err != nil {
		return err
	}
	var hdr [10]byte
	for _, m := range msgs {
		n := textHeader(&hdr, len(m))
		c.appendLocked(hdr[:n])
		c.buf = append(c.buf, m...)
	}
	return nil
}

// appendPing appends a ping control frame whose payload is id (4 bytes, big
// endian), after the messages waiting: its pong proves that the peer read
// them. It fails once the socket failed or the close frame went.
func (c *socket) appendPing(id uint32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.endedLocked(); err != nil {
		return err
	}
	c.appendLocked(binary.BigEndian.AppendUint32([]byte{0x89, 4}, id))
	return nil
}

// textHeader writes the header of a final, unmasked text frame of n bytes
// into hdr and returns its length (RFC 6455 §5.2).
func textHeader(hdr *[10]byte, n int) int {
	hdr[0] = 0x81
	switch {
	case n <= 125:
		hdr[1] = byte(n)
		return 2
	case n <= 0xffff:
		hdr[1] = 126
		hdr[2], hdr[3] = byte(n>>8), byte(n)
		return 4
	default:
		hdr[1] = 127
		for i := range 8 {
			hdr[2+i] = byte(uint64(n) >> (56 - 8*i))
		}
		return 10
	}
}

// tryFlush writes what waits without blocking. It reports whether bytes
// are left for a blocking write (the socket's buffer is full, or a blocking
// write is under way) and the socket's error, if it failed.
func (c *socket) tryFlush() (pending bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	pending = c.tryFlushLocked()
	return pending, c.err
}

// tryFlushLocked is tryFlush with mu held; a failed socket has nothing pending.
func (c *socket) tryFlushLocked() bool {
	if c.flushing {
		return true
	}
	if c.raw == nil {
		return len(c.buf) > 0 && c.err == nil
	}
	for len(c.buf) > 0 && c.err == nil {
		c.wp = c.buf
		if err := c.raw.Write(c.rawFn); err != nil { // closed, or a blocking write's deadline has passed
			c.wp = nil
			return true // the blocking write sees it
		}
		c.wp = nil
		c.writes.Add(1)
		switch {
		case c.werr == syscall.EAGAIN:
			return true
		case c.werr != nil:
			c.err = c.werr
			c.buf = c.buf[:0]
		case c.wn < len(c.buf):
			c.buf = c.buf[:copy(c.buf, c.buf[c.wn:])]
		default:
			c.buf = c.buf[:0]
		}
	}
	c.releaseLocked()
	return false
}

// flush writes everything waiting, blocking, each write bounded by the
// write timeout; bytes appended meanwhile are written too. It returns the
// socket's error, if it failed (os.ErrDeadlineExceeded: the peer did not
// read for a write timeout). The deadline is set for the blocking writes
// and cleared afterwards: the non-blocking writes need none. If a blocking
// write is under way already, it returns at once: that one writes
// everything.
func (c *socket) flush() error {
	c.mu.Lock()
	if c.flushing {
		err := c.err
		c.mu.Unlock()
		return err
	}
	deadline := false
	for len(c.buf) > 0 && c.err == nil {
		c.flushing = true
		chunk := c.buf
		c.buf = nil
		c.mu.Unlock()
		if c.timeout > 0 {
			_ = c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
			deadline = true
		}
		_, err := c.Conn.Write(chunk)
		c.writes.Add(1)
		c.mu.Lock()
		if err != nil {
			c.err = err
		}
		if cap(chunk) <= 64<<10 {
			chunk = chunk[:0]
			bufPool.Put(&chunk)
		}
	}
	if deadline && c.err == nil { // before another blocking write may set its own
		_ = c.Conn.SetWriteDeadline(time.Time{})
	}
	c.flushing = false
	if c.err != nil {
		c.buf = nil
	}
	c.releaseLocked()
	err := c.err
	c.mu.Unlock()
	return err
}

// smallBuffers hands the WebSocket library small bufio buffers for the
// hijacked connection instead of net/http's 4 KiB pair: messages here are
// small, and an idle connection then holds 1.5 KiB of buffers, not 8 KiB.
// Larger writes bypass the buffer.
// It also hands the library the socket as a *socket, through which every
// write goes (see socket).
type smallBuffers struct {
	http.ResponseWriter
	conn *socket
}

func (w *smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = newSocket(nc)
	if err := brw.Writer.Flush(); err != nil {
		nc.Close()
		return nil, nil, err
	}
	buffered, _ := brw.Reader.Peek(brw.Reader.Buffered()) // cannot fail: the bytes are buffered
	pending := bytes.Clone(buffered)
	r := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(pending), nc), max(512, len(pending)))
	if _, err := r.Peek(len(pending)); err != nil { // keep bytes the client sent early in the buffer
		nc.Close()
		return nil, nil, err
	}
	return w.conn, bufio.NewReadWriter(r, bufio.NewWriterSize(w.conn, 1024)), nil
}
