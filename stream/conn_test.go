package stream_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
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
