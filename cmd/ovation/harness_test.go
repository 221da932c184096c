package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

const testAPIToken = "test-api-token-0123456789"

// testServer is a real Ovation server started by run() on a loopback port.
type testServer struct {
	URL     string
	DataDir string
	stop    context.CancelFunc
	done    chan error

	banner     strings.Builder // stdout up to the API token line, the banner's last
	bannerDone chan struct{}
}

// Banner returns what the server printed at start, up to its API token line.
func (s *testServer) Banner(tb testing.TB) string {
	tb.Helper()
	select {
	case <-s.bannerDone:
		return s.banner.String()
	case <-time.After(10 * time.Second):
		tb.Fatal("the banner has no API token line")
		return ""
	}
}

var addrRE = regexp.MustCompile(`Ovation is running on (\S+)`)

// startServer runs the server in-process on port 0 with a fresh data
// directory (or dataDir if given) and stops it when the test ends.
func startServer(tb testing.TB, dataDir string, extra ...string) *testServer {
	tb.Helper()
	if dataDir == "" {
		dataDir = tb.TempDir()
	}
	args := append([]string{"-listen", "127.0.0.1:0", "-data_dir", dataDir, "-api_token", testAPIToken,
		"-moderator_password", "correct horse", "-log.level", "warn", "-config", "/dev/null", "-shutdown_drain", "0s",
		"-password_cost", "4"}, extra...) // accounts' passwords: seconds each under -race at the default cost
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &testServer{DataDir: dataDir, stop: cancel, done: make(chan error, 1), bannerDone: make(chan struct{})}
	go func() {
		err := run(ctx, args, nil, pw, io.Discard)
		pw.CloseWithError(io.EOF)
		s.done <- err
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		inBanner := true
		for sc.Scan() {
			if m := addrRE.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
			if inBanner {
				s.banner.WriteString(sc.Text() + "\n")
				if strings.HasPrefix(sc.Text(), "  API token:") {
					inBanner = false
					close(s.bannerDone)
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case a := <-addr:
		s.URL = "http://" + a
	case err := <-s.done:
		tb.Fatalf("server did not start: %v", err)
	case <-time.After(30 * time.Second):
		tb.Fatal("server did not start within 30 s")
	}
	tb.Cleanup(func() { s.Stop(tb) })
	return s
}

// Stop shuts the server down gracefully and waits for run to return.
func (s *testServer) Stop(tb testing.TB) {
	tb.Helper()
	if s.stop == nil {
		return
	}
	s.stop()
	s.stop = nil
	select {
	case err := <-s.done:
		if err != nil {
			tb.Errorf("run returned %v", err)
		}
	case <-time.After(30 * time.Second):
		tb.Error("server did not stop within 30 s")
	}
}

// call sends a JSON request (with bearer as the Authorization token, if set)
// and decodes the JSON answer into out. It returns the status code.
func call(tb testing.TB, base, method, path, bearer string, body, out any) int {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
	return res.StatusCode
}

// must calls and fails the test unless the status is 2xx.
func must(tb testing.TB, base, method, path string, body, out any) {
	tb.Helper()
	var raw json.RawMessage
	if st := call(tb, base, method, path, testAPIToken, body, &raw); st/100 != 2 {
		tb.Fatalf("%s %s: status %d: %s", method, path, st, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			tb.Fatal(err)
		}
	}
}

// fixture is an event with one round of pitches in its main room.
type fixture struct {
	Code    string
	EventID int64
	RoomID  int64
	RoundID int64
	Pitches []int64
}

func newFixture(tb testing.TB, base, code string, pitches int) fixture {
	tb.Helper()
	f := fixture{Code: code}
	var ev struct{ ID int64 }
	must(tb, base, "POST", "/api/events", map[string]any{"code": code, "title": "Test " + code, "jury_code": code + "J", "jury_weight": 25}, &ev)
	f.EventID = ev.ID
	var model struct {
		Rooms []struct{ ID int64 }
	}
	must(tb, base, "GET", "/api/events/"+code+"/model", nil, &model)
	f.RoomID = model.Rooms[0].ID
	var round struct{ ID int64 }
	must(tb, base, "POST", "/api/events/"+code+"/rounds", map[string]any{"room_id": f.RoomID, "title": "Finals", "scale": 5}, &round)
	f.RoundID = round.ID
	for i := 0; i < pitches; i++ {
		var p struct{ ID int64 }
		must(tb, base, "POST", fmt.Sprintf("/api/rounds/%d/pitches", f.RoundID), map[string]any{"team": fmt.Sprintf("Team %d", i+1), "presenter": "P", "duration_s": 120}, &p)
		f.Pitches = append(f.Pitches, p.ID)
	}
	return f
}

func (f fixture) roundAction(tb testing.TB, base, action string) {
	tb.Helper()
	must(tb, base, "POST", fmt.Sprintf("/api/rounds/%d/actions/%s", f.RoundID, action), nil, nil)
}

func (f fixture) pitchAction(tb testing.TB, base string, i int, action string) {
	tb.Helper()
	must(tb, base, "POST", fmt.Sprintf("/api/pitches/%d/actions/%s", f.Pitches[i], action), nil, nil)
}

// joined is a participant's identity.
type joined struct {
	Token string `json:"token"`
	ID    int64  `json:"participant_id"`
}

func join(tb testing.TB, base, code string, body map[string]any) joined {
	tb.Helper()
	var j joined
	var raw json.RawMessage
	if st := call(tb, base, "POST", "/api/events/"+code+"/join", "", body, &raw); st != 200 {
		tb.Fatalf("join: %d %s", st, raw)
	}
	_ = json.Unmarshal(raw, &j)
	return j
}

// msg is one decoded server message.
type msg map[string]any

func (m msg) str(k string) string { s, _ := m[k].(string); return s }
func (m msg) num(k string) float64 {
	f, _ := m[k].(float64)
	return f
}

// wsClient is a real WebSocket client whose reader goroutine feeds msgs.
type wsClient struct {
	c    *websocket.Conn
	msgs chan msg
	err  chan error // the read error that ended the reader
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
}

func dial(tb testing.TB, base string) *wsClient {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	defer dcancel()
	c, _, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(base, "http")+"/ws", nil)
	if err != nil {
		cancel()
		tb.Fatalf("dial: %v", err)
	}
	c.SetReadLimit(1 << 20)
	w := &wsClient{c: c, msgs: make(chan msg, 4096), err: make(chan error, 1), ctx: ctx, stop: cancel}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				w.err <- err
				close(w.msgs)
				return
			}
			var m msg
			if json.Unmarshal(b, &m) == nil {
				select {
				case w.msgs <- m:
				case <-ctx.Done():
				}
			}
		}
	}()
	tb.Cleanup(w.Close)
	return w
}

// Close closes the connection and waits for its reader.
func (w *wsClient) Close() {
	_ = w.c.Close(websocket.StatusNormalClosure, "")
	w.stop()
	w.wg.Wait()
}

func (w *wsClient) send(tb testing.TB, v any) {
	tb.Helper()
	b, _ := json.Marshal(v)
	ctx, cancel := context.WithTimeout(w.ctx, 5*time.Second)
	defer cancel()
	if err := w.c.Write(ctx, websocket.MessageText, b); err != nil {
		tb.Fatalf("write: %v", err)
	}
}

// waitFor returns the first message for which ok is true, failing after d.
func (w *wsClient) waitFor(tb testing.TB, d time.Duration, what string, ok func(msg) bool) msg {
	tb.Helper()
	timeout := time.After(d)
	for {
		select {
		case m, open := <-w.msgs:
			if !open {
				tb.Fatalf("waiting for %s: connection closed: %v", what, <-w.err)
			}
			if ok(m) {
				return m
			}
		case <-timeout:
			tb.Fatalf("waiting for %s: no such message within %v", what, d)
		}
	}
}

func isType(t string) func(msg) bool { return func(m msg) bool { return m.str("type") == t } }

// subscribe subscribes to topic and returns the snapshot.
func (w *wsClient) subscribe(tb testing.TB, topic, epoch string, lastSeq float64) msg {
	tb.Helper()
	w.send(tb, map[string]any{"type": "subscribe", "topic": topic, "epoch": epoch, "last_seq": lastSeq})
	return w.waitFor(tb, 10*time.Second, "snapshot", func(m msg) bool {
		return m.str("type") == "snapshot" || m.str("type") == "error"
	})
}

func (w *wsClient) auth(tb testing.TB, token string) {
	tb.Helper()
	w.send(tb, map[string]any{"type": "auth", "token": token})
	if m := w.waitFor(tb, 10*time.Second, "auth_ok", func(m msg) bool { return m.str("type") == "auth_ok" || m.str("type") == "error" }); m.str("type") != "auth_ok" {
		tb.Fatalf("auth: %v", m)
	}
}
