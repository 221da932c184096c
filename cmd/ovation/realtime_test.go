package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestResume checks the reconnect rules: within an epoch a client gets only
// the frames it missed; with an unknown epoch or a sequence number ahead of
// the topic it gets a full snapshot.
func TestResume(t *testing.T) {
	srv := startServer(t, "")
	f := newFixture(t, srv.URL, "RESUME", 2)
	topic := fmt.Sprintf("room:%d", f.RoomID)

	first := dial(t, srv.URL)
	snap := first.subscribe(t, topic, "", 0)
	epoch, seq := snap.str("epoch"), snap.num("seq")
	if len(snap["frames"].([]any)) == 0 || epoch == "" || seq == 0 {
		t.Fatalf("first snapshot: %v", snap)
	}
	first.Close()

	f.roundAction(t, srv.URL, "start") // changes the stage frame while the client is away

	t.Run("resumes with only the missed frames", func(t *testing.T) {
		c := dial(t, srv.URL)
		m := c.subscribe(t, topic, epoch, seq)
		frames := m["frames"].([]any)
		if m["resumed"] != true || len(frames) == 0 {
			t.Fatalf("resume: %v", m)
		}
		for _, fr := range frames {
			fm := msg(fr.(map[string]any))
			if fm.num("seq") <= seq {
				t.Errorf("resumed frame with seq %v <= last_seq %v", fm.num("seq"), seq)
			}
		}
		var stage msg
		for _, fr := range frames {
			if fm := msg(fr.(map[string]any)); fm.str("type") == "stage" {
				stage = fm
			}
		}
		if stage == nil {
			t.Fatal("resume lacks the changed stage frame")
		}
		round := msg(stage["round"].(map[string]any))
		if round.str("state") != "running" {
			t.Errorf("round state %q, want running", round.str("state"))
		}
	})
	t.Run("full snapshot for another epoch", func(t *testing.T) {
		c := dial(t, srv.URL)
		m := c.subscribe(t, topic, "other-epoch", seq)
		if m["resumed"] != false || len(m["frames"].([]any)) < 2 {
			t.Fatalf("snapshot: %v", m)
		}
	})
	t.Run("full snapshot when last_seq is ahead", func(t *testing.T) {
		c := dial(t, srv.URL)
		m := c.subscribe(t, topic, epoch, seq+1e6)
		if m["resumed"] != false {
			t.Fatalf("snapshot: %v", m)
		}
	})
	t.Run("a phone gets its own votes back after reconnecting", func(t *testing.T) {
		f.pitchAction(t, srv.URL, 0, "open")
		j := join(t, srv.URL, f.Code, nil)
		p := &phone{j: j, ws: dial(t, srv.URL)}
		p.ws.auth(t, j.Token)
		target := fmt.Sprintf("pitch:%d", f.Pitches[0])
		if m, err := p.vote(t, "r1", target, 4); err != nil || m.str("status") != "counted" {
			t.Fatalf("vote: %v %v", m, err)
		}
		p.ws.Close()
		again := dial(t, srv.URL)
		again.auth(t, j.Token)
		again.subscribe(t, topic, epoch, seq)
		mine := again.waitFor(t, 5*time.Second, "my_votes", isType("my_votes"))
		if v := msg(mine["votes"].(map[string]any)).num(target); v != 4 {
			t.Fatalf("my_votes: %v", mine)
		}
	})
}

// smallReadBuffer dials with a tiny socket receive buffer, so that a client
// that stops reading fills the server's send buffer quickly.
func smallReadBuffer() *http.Client {
	d := &net.Dialer{Control: func(network, address string, c syscall.RawConn) error {
		var err error
		_ = c.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return err
	}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// TestSlowConsumer checks that a client that stops reading delays no one
// else and is closed by the server.
func TestSlowConsumer(t *testing.T) {
	// The write timeout is short, so the slow client is closed soon, yet long
	// enough that a fast client on a machine busy with the rest of the suite
	// answers its pings in time (a busy ping waits half of it).
	srv := startServer(t, "", "-websocket.write_timeout", "2s", "-votes.synchronous", "NORMAL")
	f := newFixture(t, srv.URL, "SLOW", 0)
	// Big stage frames: 25 pitches with long names and links.
	long := strings.Repeat("x", 55)
	var pitches []int64
	for i := 0; i < 25; i++ {
		var p struct{ ID int64 }
		must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/pitches", f.RoundID), map[string]any{
			"team": fmt.Sprintf("%s %02d", long, i), "presenter": long, "video_url": "https://video.example/" + strings.Repeat("v", 400)}, &p)
		pitches = append(pitches, p.ID)
	}
	f.Pitches = pitches
	f.roundAction(t, srv.URL, "start")
	topic := fmt.Sprintf("room:%d", f.RoomID)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slow, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", &websocket.DialOptions{HTTPClient: smallReadBuffer()})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.CloseNow()
	if err := slow.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribe","topic":"`+topic+`"}`)); err != nil {
		t.Fatal(err)
	}

	const nFast = 5
	fast := make([]*wsClient, nFast)
	for i := range fast {
		fast[i] = dial(t, srv.URL)
		fast[i].subscribe(t, topic, "", 0)
	}

	// Publish many large stage frames: each timer extension changes the stage.
	const actions = 600
	for n := 1; n <= actions; n++ {
		must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/timer_extend", pitches[0]), map[string]any{"seconds": 1}, nil)
	}
	wantMS := float64((120 + actions) * 1000)
	// Every fast client sees the final state promptly.
	for i, c := range fast {
		c.waitFor(t, 5*time.Second, fmt.Sprintf("final stage on fast client %d", i), func(m msg) bool {
			if m.str("type") != "stage" {
				return false
			}
			p := msg(m["round"].(map[string]any)["pitches"].([]any)[0].(map[string]any))
			return msg(p["timer"].(map[string]any)).num("remaining_ms") == wantMS
		})
	}
	// The slow client has been closed by the server.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && metric(t, srv.URL, "ovation_write_timeout_closes_total")+metric(t, srv.URL, "ovation_slow_consumer_closes_total") == 0 {
		time.Sleep(50 * time.Millisecond) // polling a counter; no event to wait on from outside the process
	}
	if n := metric(t, srv.URL, "ovation_write_timeout_closes_total") + metric(t, srv.URL, "ovation_slow_consumer_closes_total"); n != 1 {
		t.Fatalf("slow-consumer closes = %v, want 1", n)
	}
	rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
	defer rcancel()
	for {
		if _, _, err := slow.Read(rctx); err != nil {
			if rctx.Err() != nil {
				t.Fatal("the slow connection was not closed")
			}
			break
		}
	}
}

// metric reads one unlabelled series from /metrics.
func metric(tb testing.TB, base, name string) float64 {
	tb.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// TestGracefulShutdown checks that stopping the server closes WebSockets with
// "going away" and keeps every acknowledged vote.
func TestGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, dir)
	f := newFixture(t, srv.URL, "BYE", 1)
	f.roundAction(t, srv.URL, "start")
	f.pitchAction(t, srv.URL, 0, "open")
	target := fmt.Sprintf("pitch:%d", f.Pitches[0])

	var phones []*phone
	for i := 0; i < 20; i++ {
		j := join(t, srv.URL, f.Code, nil)
		p := &phone{j: j, ws: dial(t, srv.URL)}
		p.ws.auth(t, j.Token)
		phones = append(phones, p)
	}
	var wg sync.WaitGroup
	for i, p := range phones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if m, err := p.vote(t, "g"+strconv.Itoa(i), target, 1+i%5); err != nil || m.str("type") != "ack" {
				t.Errorf("vote: %v %v", m, err)
			}
		}()
	}
	wg.Wait()
	srv.Stop(t)
	for _, p := range phones {
		select {
		case <-p.ws.msgs:
		default:
		}
		err := <-p.ws.err
		if websocket.CloseStatus(err) != websocket.StatusGoingAway {
			t.Fatalf("close status %v (%v), want going away", websocket.CloseStatus(err), err)
		}
	}
	again := startServer(t, dir)
	var res struct {
		Rounds []struct {
			Ranking []struct {
				Audience struct{ Count int } `json:"audience"`
			} `json:"ranking"`
		} `json:"rounds"`
	}
	must(t, again.URL, "GET", "/api/events/BYE/results", nil, &res)
	if n := res.Rounds[0].Ranking[0].Audience.Count; n != len(phones) {
		t.Fatalf("after restart %d votes, want %d", n, len(phones))
	}
}

// TestIdleConnectionOutlivesWriteTimeout checks that a connection idle for
// longer than the write timeout (with keepalive pings in between) still
// gets frames: the write deadline only bounds writes in progress.
func TestIdleConnectionOutlivesWriteTimeout(t *testing.T) {
	srv := startServer(t, "", "-websocket.write_timeout", "200ms", "-websocket.ping_interval", "600ms")
	f := newFixture(t, srv.URL, "IDLE", 1)
	c := dial(t, srv.URL)
	c.subscribe(t, fmt.Sprintf("room:%d", f.RoomID), "", 0)
	idle := time.After(time.Second) // several write timeouts and pings long
	for waiting := true; waiting; {
		select {
		case _, open := <-c.msgs:
			if !open {
				t.Fatalf("connection closed while idle: %v", <-c.err)
			}
		case <-idle:
			waiting = false
		}
	}
	f.roundAction(t, srv.URL, "start")
	c.waitFor(t, 5*time.Second, "stage frame after idling", func(m msg) bool {
		return m.str("type") == "stage" && m["round"] != nil
	})
	// Idle again past the write timeout: the server still answers a close
	// (the library writes that reply itself, so no stale deadline may linger).
	<-time.After(time.Second)
	if err := c.c.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Fatalf("close handshake after idling: %v", err)
	}
}
