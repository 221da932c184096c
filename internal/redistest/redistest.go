// Package redistest starts a real redis-server for tests, on a free
// loopback port, with append-only persistence fsynced on every write (the
// setting docs/cluster.md asks for). Without redis-server a test is
// skipped, except in CI (CI=true), where it fails: scripts/test installs it.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a redis-server a test started; it is killed when the test ends.
type Server struct {
	Port int
	dir  string
	bin  string
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts redis-server on a free loopback port and waits until it answers.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatal("redis-server is not installed (scripts/test installs it)")
		}
		tb.Skip("redis-server is not installed; scripts/test installs it")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	r := &Server{Port: port, dir: tb.TempDir(), bin: bin}
	r.Restart(tb)
	tb.Cleanup(func() { r.Kill(tb) })
	return r
}

// URL is the server's address as the cluster's redis_url takes it.
func (r *Server) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.Port) }

// Client returns a client of the server, closed when the test ends.
func (r *Server) Client(tb testing.TB) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.Port)})
	tb.Cleanup(func() { rdb.Close() })
	return rdb
}

// Restart starts the server again on its port and data (after Kill), and
// waits until it answers.
func (r *Server) Restart(tb testing.TB) {
	tb.Helper()
	r.cmd = exec.Command(r.bin, "--port", strconv.Itoa(r.Port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no", "--loglevel", "warning")
	if err := r.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	r.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(r.cmd, r.done)
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.Port)})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redis-server did not answer: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill sends SIGKILL to the server and waits for it to end.
func (r *Server) Kill(tb testing.TB) {
	tb.Helper()
	select {
	case <-r.done:
		return
	default:
	}
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		tb.Error("redis-server did not die")
	}
}
