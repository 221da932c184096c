package stream_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/stream"
)

// serve starts a server whose every connection is handed to each, running
// until its reader fails, and returns the URL to dial.
func serve(tb testing.TB, set *stream.Set, each func(*stream.Conn)) string {
	tb.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := set.Accept(w, r, nil, "test")
		if err != nil {
			return
		}
		go each(c)
		for {
			if _, _, err := c.Read(); err != nil {
				break
			}
		}
		c.End()
		c.Release()
	}))
	tb.Cleanup(hs.Close)
	return "ws" + strings.TrimPrefix(hs.URL, "http")
}

// TestCloseWritesWhatIsOwed: a close asked while a reply is owed waits for
// it, writes it, then the close frame with the code asked for.
func TestCloseWritesWhatIsOwed(t *testing.T) {
	set := stream.NewSet(hub.New(hub.Options{}), stream.Options{WriteTimeout: 5 * time.Second})
	url := serve(t, set, func(c *stream.Conn) {
		c.Send([]byte(`{"type":"first"}`))
		c.Owe()
		c.Close(websocket.StatusPolicyViolation, "enough")
		c.Send([]byte(`{"type":"owed"}`)) // after the close was asked: still written, before the close frame
		c.Paid()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	for _, want := range []string{"first", "owed"} {
		_, data, err := ws.Read(ctx)
		if err != nil || !strings.Contains(string(data), want) {
			t.Fatalf("read %q %v, want the %s message", data, err, want)
		}
	}
	_, _, err = ws.Read(ctx)
	if got := websocket.CloseStatus(err); got != websocket.StatusPolicyViolation {
		t.Fatalf("ended with %v (status %d), want %d", err, got, websocket.StatusPolicyViolation)
	}
}

// TestCloseNamesWhatIsNotPaid: a reply owed that does not come within the
// write timeout is named in the close reason.
func TestCloseNamesWhatIsNotPaid(t *testing.T) {
	set := stream.NewSet(hub.New(hub.Options{}), stream.Options{WriteTimeout: 200 * time.Millisecond})
	url := serve(t, set, func(c *stream.Conn) {
		c.Owe()
		c.Close(websocket.StatusPolicyViolation, "enough")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	_, _, err = ws.Read(ctx)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation || !strings.Contains(ce.Reason, "1 vote answers not sent") {
		t.Fatalf("ended with %v, want %d naming the answer not sent", err, websocket.StatusPolicyViolation)
	}
}

// TestConnStaysSmall: the connection holds its state in a dozen fields at
// most, grouped into small owned types, as the review asked.
func TestConnStaysSmall(t *testing.T) {
	if n := reflect.TypeFor[stream.Conn]().NumField(); n > 12 {
		t.Fatalf("stream.Conn has %d fields, more than 12: group them", n)
	}
}

// TestClosingConnIsNotCountedStalled: a connection the server closes for a
// reason of its own, whose peer reads nothing, times out writing its last
// frames; that is not a stall to count (the metrics would count one
// connection twice).
func TestClosingConnIsNotCountedStalled(t *testing.T) {
	var stalls atomic.Int32
	set := stream.NewSet(hub.New(hub.Options{}), stream.Options{WriteTimeout: 300 * time.Millisecond, OnStalled: func() { stalls.Add(1) }})
	big := []byte(`{"type":"big","pad":"` + strings.Repeat("x", 64<<10) + `"}`)
	ended := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := set.Accept(w, r, nil, "test")
		if err != nil {
			return
		}
		defer close(ended)
		for range 200 {
			c.Send(big)
		}
		c.Close(websocket.StatusPolicyViolation, "enough")
		for {
			if _, _, err := c.Read(); err != nil {
				break
			}
		}
		c.End()
		c.Release()
	}))
	defer hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := &net.Dialer{Control: func(network, address string, rc syscall.RawConn) error {
		var err error
		_ = rc.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return err
	}}
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http"), &websocket.DialOptions{HTTPClient: &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	select {
	case <-ended: // the close gave up on the peer within its write timeout
	case <-ctx.Done():
		t.Fatal("the connection was not dropped")
	}
	if n := stalls.Load(); n != 0 {
		t.Fatalf("%d stalls counted for a connection the server closed itself, want 0", n)
	}
}
