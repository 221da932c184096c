package redistest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The sentinels' settings: a master is down after a second without an
// answer, and a failover that stalls is tried again after 2 × 5 s.
const (
	downAfter       = 1000 * time.Millisecond
	failoverTimeout = 5000 * time.Millisecond
	quorum          = 2
	sentinelCount   = 3
)

// failoverWait bounds every wait of the helper: sentinels finding each
// other, a failover.
const failoverWait = 30 * time.Second

// Sentinel is a Redis master, one replica and three redis-sentinel
// processes monitoring them (quorum 2, down after 1 s, failover timeout
// 5 s), started by a test on loopback; every process is killed when the
// test ends.
type Sentinel struct {
	name      string
	servers   []*Server // the first master and its replica
	sentinels []*process
	ports     []int // the sentinels'
}

// StartSentinel starts a master, its replica and three sentinels, and
// returns once every sentinel knows the replica and the other two, so that
// a failover can happen. It skips the test without redis-server or
// redis-sentinel (fails with CI=true).
func StartSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	server := lookPath(tb, "redis-server")
	sentinel := lookPath(tb, "redis-sentinel")
	s := &Sentinel{name: "ovation"}
	master := startServer(tb, server, freePort(tb))
	replica := startServer(tb, server, freePort(tb), "--replicaof", "127.0.0.1", strconv.Itoa(master.Port))
	s.servers = []*Server{master, replica}
	for range sentinelCount {
		port := freePort(tb)
		dir := tb.TempDir()
		// A sentinel rewrites its configuration file: it must be its own.
		conf := filepath.Join(dir, "sentinel.conf")
		text := fmt.Sprintf(`port %d
bind 127.0.0.1
daemonize no
dir %s
logfile %s
sentinel monitor %s 127.0.0.1 %d %d
sentinel down-after-milliseconds %s %d
sentinel failover-timeout %s %d
sentinel parallel-syncs %s 1
`, port, dir, filepath.Join(dir, "sentinel.log"), s.name, master.Port, quorum,
			s.name, downAfter.Milliseconds(), s.name, failoverTimeout.Milliseconds(), s.name)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			tb.Fatal(err)
		}
		p := startProcess(tb, sentinel, conf)
		tb.Cleanup(func() { p.kill(tb) })
		s.sentinels = append(s.sentinels, p)
		s.ports = append(s.ports, port)
	}
	s.waitReady(tb)
	return s
}

// Addrs are the sentinels' host:port addresses, as go-redis's
// FailoverOptions.SentinelAddrs takes them.
func (s *Sentinel) Addrs() []string {
	addrs := make([]string, len(s.ports))
	for i, p := range s.ports {
		addrs[i] = fmt.Sprintf("127.0.0.1:%d", p)
	}
	return addrs
}

// MasterName is the name the sentinels monitor the master under
// ("ovation").
func (s *Sentinel) MasterName() string { return s.name }

// MasterAddr is the master's host:port as the first sentinel that answers
// reports it.
func (s *Sentinel) MasterAddr(tb testing.TB) string {
	tb.Helper()
	addr, err := s.masterAddr()
	if err != nil {
		tb.Fatal(err)
	}
	return addr
}

func (s *Sentinel) masterAddr() (string, error) {
	var last error
	for _, a := range s.Addrs() {
		sc := redis.NewSentinelClient(&redis.Options{Addr: a})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		hp, err := sc.GetMasterAddrByName(ctx, s.name).Result()
		cancel()
		sc.Close()
		if err == nil && len(hp) == 2 {
			return hp[0] + ":" + hp[1], nil
		}
		last = err
	}
	return "", fmt.Errorf("no sentinel reports a master: %v", last)
}

// KillMaster sends SIGKILL to the master (as the sentinels report it) and
// returns once a sentinel reports the replica as the new master and it
// answers as one.
func (s *Sentinel) KillMaster(tb testing.TB) {
	tb.Helper()
	old := s.MasterAddr(tb)
	var master *Server
	for _, r := range s.servers {
		if r.Addr() == old {
			master = r
		}
	}
	if master == nil {
		tb.Fatalf("the master %s is none of this test's servers", old)
	}
	master.Kill(tb)
	deadline := time.Now().Add(failoverWait)
	for {
		addr, err := s.masterAddr()
		if err == nil && addr != old && role(addr) == "master" {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no failover within %v: master %q (%v)%s", failoverWait, addr, err, s.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitReady waits until every sentinel knows the replica and the other
// sentinels, and the replica is in sync.
func (s *Sentinel) waitReady(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(failoverWait)
	for i, a := range s.Addrs() {
		sc := redis.NewSentinelClient(&redis.Options{Addr: a})
		defer sc.Close()
		for {
			if s.sentinels[i].ended() {
				tb.Fatalf("sentinel %s ended%s", a, s.logs())
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			m, err := sc.Master(ctx, s.name).Result()
			cancel()
			if err == nil && m["num-slaves"] == "1" && m["num-other-sentinels"] == strconv.Itoa(sentinelCount-1) {
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("sentinel %s is not ready: %v %v%s", a, m, err, s.logs())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	replica := s.servers[1].Addr()
	for role(replica) != "slave" || !linkUp(replica) {
		if time.Now().After(deadline) {
			tb.Fatalf("the replica %s is not in sync", replica)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// role is the server's role as ROLE reports it ("master", "slave"), or ""
// when it does not answer.
func role(addr string) string {
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	v, err := rdb.Do(ctx, "ROLE").Slice()
	if err != nil || len(v) == 0 {
		return ""
	}
	r, _ := v[0].(string)
	return r
}

// linkUp tells whether the replica at addr is connected to its master.
func linkUp(addr string) bool {
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	v, err := rdb.Do(ctx, "ROLE").Slice()
	// A replica's ROLE: "slave", master host, master port, state, offset.
	return err == nil && len(v) >= 4 && v[3] == "connected"
}

// logs is the end of each sentinel's log, to explain a failure.
func (s *Sentinel) logs() string {
	var out string
	for _, p := range s.sentinels {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(p.cmd.Args[1]), "sentinel.log"))
		if err != nil {
			continue
		}
		if len(b) > 1500 {
			b = b[len(b)-1500:]
		}
		out += fmt.Sprintf("\n%s:\n%s", p.cmd.Args[1], b)
	}
	return out
}
