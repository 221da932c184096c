//go:build linux

package api

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// BenchmarkSocketWrite measures the floor under the cost of a delivered
// frame: one ~200-byte tally frame written to each of 1,000 (then 8,000)
// loopback connections in turn, by a raw socket write of the encoded
// WebSocket frame ("tcp") and by the WebSocket library ("websocket"), while
// the other ends read and discard in the same process. ns/op is the wall
// time per write on the writing goroutine; cpu-µs/write is the whole
// process's CPU (writer, the readers, the kernel's loopback delivery to
// them) per write.
func BenchmarkSocketWrite(b *testing.B) {
	for _, conns := range []int{1000, 8000} {
		b.Run(strconv.Itoa(conns), func(b *testing.B) { benchmarkSocketWrite(b, conns) })
	}
}

func benchmarkSocketWrite(b *testing.B, conns int) {
	var limit syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &limit); err != nil || limit.Cur < uint64(2*conns+100) {
		b.Skipf("needs %d open files (both ends of each connection); the limit is %d", 2*conns+100, limit.Cur)
	}
	payload := []byte(`{"seq":1234,"topic":"room:1","type":"tally","target":"pitch:12","counts":[412,1033,2210,3120,1502],` +
		`"total":8277,"mean":3.37,"visible":true,"server_time":1795430400000,"pad":"` + strings.Repeat("x", 20) + `"}`)

	b.Run("tcp", func(b *testing.B) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		var readers sync.WaitGroup
		servers := make([]net.Conn, 0, conns)
		for range conns {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			readers.Go(func() { _, _ = io.Copy(io.Discard, c); c.Close() })
			s, err := ln.Accept()
			if err != nil {
				b.Fatal(err)
			}
			servers = append(servers, s)
		}
		wire := append([]byte{0x81, 126, byte(len(payload) >> 8), byte(len(payload))}, payload...)
		measure(b, func(i int) error {
			_, err := servers[i%conns].Write(wire)
			return err
		})
		for _, s := range servers {
			s.Close()
		}
		readers.Wait()
	})

	b.Run("websocket", func(b *testing.B) {
		accepted := make(chan *websocket.Conn, conns)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ws, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			accepted <- ws
		}))
		defer srv.Close()
		ctx := context.Background()
		var readers sync.WaitGroup
		servers := make([]*websocket.Conn, 0, conns)
		for range conns {
			c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
			if err != nil {
				b.Fatal(err)
			}
			readers.Go(func() {
				for {
					if _, _, err := c.Read(ctx); err != nil {
						c.CloseNow()
						return
					}
				}
			})
			select {
			case ws := <-accepted:
				servers = append(servers, ws)
			case <-time.After(10 * time.Second):
				b.Fatal("no connection accepted within 10 s")
			}
		}
		measure(b, func(i int) error {
			return servers[i%conns].Write(ctx, websocket.MessageText, payload)
		})
		for _, s := range servers {
			s.CloseNow()
		}
		readers.Wait()
	})
}

// measure runs write for each iteration and reports the process's CPU per write.
func measure(b *testing.B, write func(i int) error) {
	b.Helper()
	before := processCPU(b)
	i := 0
	for b.Loop() {
		if err := write(i); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(processCPU(b)-before)/float64(time.Microsecond)/float64(i), "cpu-µs/write")
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkWriterKeys is the whole write path of a real server: 1,000
// phones follow a room over loopback WebSockets (read and counted in the
// same process) and each op is one tick of K frames of different keys for
// the room (K = 1, or 4: a tally, the stage, the feed and a ranking due
// together), published in one hub Batch as the engine's tick does.
// cpu-µs/frame is the process's CPU (server, readers, the kernel's loopback
// delivery) per delivered frame; writes/conn/tick the server's write(2)
// calls per connection per tick.
func BenchmarkWriterKeys(b *testing.B) {
	for _, keys := range []int{1, 4} {
		b.Run(strconv.Itoa(keys), func(b *testing.B) { benchmarkWriterKeys(b, 1000, keys) })
	}
}

func benchmarkWriterKeys(b *testing.B, phones, keys int) {
	var limit syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &limit); err != nil || limit.Cur < uint64(2*phones+200) {
		b.Skipf("needs %d open files (both ends of each connection); the limit is %d", 2*phones+200, limit.Cur)
	}
	ts := newTestServer(b, Config{})
	f := newFixture(b, ts, "WKEYS")
	topic := "room:" + strconv.FormatInt(f.RoomID, 10)
	var got atomic.Int64
	reached := make(chan struct{}, 1)
	var target atomic.Int64
	target.Store(-1)
	var readers sync.WaitGroup
	clients := make([]*websocket.Conn, 0, phones)
	for range phones {
		c, _ := dialWS(b, ts, nil)
		wsSend(b, c, map[string]string{"type": "subscribe", "topic": topic})
		expect(b, c, "snapshot")
		clients = append(clients, c)
		readers.Go(func() {
			for {
				_, data, err := c.Read(context.Background())
				if err != nil {
					return
				}
				if strings.Contains(string(data[:min(len(data), 80)]), `"type":"bench"`) && got.Add(1) == target.Load() {
					reached <- struct{}{}
				}
			}
		})
	}
	conns := func() (n int64) {
		ts.srv.connMu.Lock()
		defer ts.srv.connMu.Unlock()
		for cn := range ts.srv.conns {
			n += cn.st.Writes()
		}
		return n
	}
	pad := strings.Repeat("x", 120)
	writesBefore, cpuBefore := conns(), processCPU(b)
	ticks := 0
	for b.Loop() {
		ticks++
		target.Store(got.Load() + int64(phones*keys))
		ts.srv.hub.Batch(func(publish func(topic, key string, payload []byte)) {
			for k := range keys {
				publish(topic, "k"+strconv.Itoa(k), []byte(`{"type":"bench","n":`+strconv.Itoa(ticks)+`,"pad":"`+pad+`"}`))
			}
		})
		select {
		case <-reached:
		case <-time.After(30 * time.Second):
			b.Fatalf("tick %d: %d frames delivered of %d", ticks, got.Load(), target.Load())
		}
	}
	cpu := processCPU(b) - cpuBefore
	b.ReportMetric(float64(cpu)/float64(time.Microsecond)/float64(ticks*keys*phones), "cpu-µs/frame")
	b.ReportMetric(float64(conns()-writesBefore)/float64(ticks*phones), "writes/conn/tick")
	for _, c := range clients {
		_ = c.CloseNow()
	}
	readers.Wait()
}
