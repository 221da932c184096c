// Package redistest starts a real redis-server for tests, on a free
// loopback port, with append-only persistence fsynced on every write (the
// setting docs/cluster.md asks for), and a master, a replica and three
// sentinels for the tests of a failover. Without redis-server (or
// redis-sentinel) a test is skipped, except in CI (CI=true), where it fails:
// scripts/test installs them.
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
	Port  int
	dir   string
	bin   string
	extra []string // arguments after the common ones, e.g. --replicaof
	proc  *process
}

// Start starts redis-server on a free loopback port and waits until it answers.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return startServer(tb, lookPath(tb, "redis-server"), freePort(tb))
}

func startServer(tb testing.TB, bin string, port int, extra ...string) *Server {
	tb.Helper()
	r := &Server{Port: port, dir: tb.TempDir(), bin: bin, extra: extra}
	tb.Cleanup(func() { r.Kill(tb) })
	r.Restart(tb)
	return r
}

// lookPath finds a program, skipping the test without it (failing in CI).
func lookPath(tb testing.TB, name string) string {
	tb.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not installed (scripts/test installs it)", name)
		}
		tb.Skipf("%s is not installed; scripts/test installs it", name)
	}
	return bin
}

// freePort is a loopback port that was free a moment ago.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// URL is the server's address as the cluster's redis_url takes it.
func (r *Server) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.Port) }

// Addr is the server's host:port.
func (r *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", r.Port) }

// Client returns a client of the server, closed when the test ends.
func (r *Server) Client(tb testing.TB) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr()})
	tb.Cleanup(func() { rdb.Close() })
	return rdb
}

// Restart starts the server again on its port and data (after Kill), and
// waits until it answers.
func (r *Server) Restart(tb testing.TB) {
	tb.Helper()
	args := append([]string{"--port", strconv.Itoa(r.Port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no", "--loglevel", "warning"},
		r.extra...)
	r.proc = startProcess(tb, r.bin, args...)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr()})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) || r.proc.ended() {
			tb.Fatalf("redis-server did not answer: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill sends SIGKILL to the server and waits for it to end.
func (r *Server) Kill(tb testing.TB) {
	tb.Helper()
	r.proc.kill(tb)
}

// process is a program a test started, and the end of its Wait.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has ended
}

func startProcess(tb testing.TB, bin string, args ...string) *process {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p
}

func (p *process) ended() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL to the process, by its PID, and waits for it to end.
func (p *process) kill(tb testing.TB) {
	tb.Helper()
	if p == nil || p.ended() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		tb.Errorf("%s (pid %d) did not die", p.cmd.Path, p.cmd.Process.Pid)
	}
}
