package main

// Failover tests: the highly available layout of docs/cluster.md at a small
// scale, every part real and on loopback: PostgreSQL with a synchronous
// standby (internal/pgtest), Redis, two core-capable nodes (one acting, one
// standing by) and two edges, as subprocesses.

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/ovation-live/ovation/internal/pgtest"
	"github.com/ovation-live/ovation/internal/redistest"
)

// haCluster is a testCluster whose cores keep the data on PostgreSQL, with
// a second core standing by.
type haCluster struct {
	*testCluster
	pg      *pgtest.Cluster
	standby *process // not serving until it takes over
}

func (c *haCluster) coreArgs(node string) []string {
	return append(coreArgs(c.redis.URL(), node), "-store.url", c.pg.URL(), "-cluster.standby=true")
}

func startHACluster(t *testing.T) *haCluster {
	t.Helper()
	if testing.Short() {
		t.Skip("runs PostgreSQL, redis-server and four server processes")
	}
	c := &haCluster{testCluster: &testCluster{redis: redistest.Start(t), bin: buildServer(t)}, pg: pgtest.Start(t)}
	c.core = startProcess(t, c.bin, t.TempDir(), c.coreArgs("core-1")...)
	c.standby = launchProcess(t, nil, c.bin, t.TempDir(), c.coreArgs("core-2")...)
	c.edgeA = startProcess(t, c.bin, t.TempDir(), edgeArgs(c.redis.URL(), "edge-a")...)
	c.edgeB = startProcess(t, c.bin, t.TempDir(), edgeArgs(c.redis.URL(), "edge-b")...)
	return c
}

// meVotes is a phone's counted votes, asked through an edge.
func meVotes(t *testing.T, edge *process, p *clusterPhone) map[string]int {
	t.Helper()
	var me struct{ Votes map[string]int }
	if st := call(t, edge.URL, "GET", "/api/me", p.j.Token, nil, &me); st != 200 {
		t.Fatalf("GET /api/me: %d", st)
	}
	return me.Votes
}

// TestClusterStandbyTakesOver kills the acting core mid-burst (its machine
// gone: its data is on PostgreSQL): the standby acts within 10 s, and every
// vote acknowledged before or after counts exactly once, each phone's last
// acknowledged one.
func TestClusterStandbyTakesOver(t *testing.T) {
	c := startHACluster(t)
	f, target := c.openPitch(t, "HA26")
	phones := c.phones(t, f, 20)
	for n, p := range phones {
		p.vote(t, fmt.Sprintf("a%d", n), target, 1)
		p.waitCounted(t, fmt.Sprintf("a%d", n), 10*time.Second)
	}
	for n, p := range phones { // in flight when the core dies
		p.ws.send(t, map[string]any{"type": "vote", "vote_id": fmt.Sprintf("b%d", n), "target": target, "value": 2})
	}
	c.core.kill(t)
	killed := time.Now()
	for n, p := range phones { // while no core acts: received, counted later
		if a := p.vote(t, fmt.Sprintf("c%d", n), target, n%5+1); a.str("status") != "received" {
			t.Fatalf("phone %d's vote with no core acting: %v, want received", n, a)
		}
	}
	c.standby.waitServing(t, 30*time.Second)
	for n, p := range phones {
		p.waitCounted(t, fmt.Sprintf("c%d", n), 30*time.Second)
		if n == 0 {
			took := time.Since(killed)
			t.Logf("the standby counted the first vote %.1f s after the core was killed", took.Seconds())
			if took > 10*time.Second {
				t.Errorf("the standby took over %.1f s after the core's loss, want within 10 s", took.Seconds())
			}
		}
	}
	want := map[int]int{}
	for n, p := range phones {
		if got := meVotes(t, c.edgeA, p)[target]; got != n%5+1 {
			t.Errorf("phone %d: %d counted, want its last acknowledged vote %d", n, got, n%5+1)
		}
		want[n%5+1]++
	}
	checkTally(t, c.edgeB.URL, f.RoomID, target, want)
}

// TestClusterPausedCoreCommitsNothing pauses the acting core (SIGSTOP) past
// its lease: the standby acts; when the paused core wakes up it commits
// nothing (its database writes are fenced out) and stops.
func TestClusterPausedCoreCommitsNothing(t *testing.T) {
	c := startHACluster(t)
	f, target := c.openPitch(t, "PAU26")
	direct := newClusterPhone(t, c.core, f.Code, f.RoomID) // a phone on the core itself
	phones := c.phones(t, f, 2)
	if err := c.core.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	c.standby.waitServing(t, 30*time.Second)
	for n, p := range phones {
		p.vote(t, fmt.Sprintf("s%d", n), target, 4)
		p.waitCounted(t, fmt.Sprintf("s%d", n), 20*time.Second)
	}
	// Waiting in the paused core's socket: it reads it when it wakes up.
	direct.ws.send(t, map[string]any{"type": "vote", "vote_id": "late", "target": target, "value": 5})
	if err := c.core.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.core.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the woken core did not stop")
	}
	if exit, ok := c.core.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || exit.ExitStatus() != exitLease {
		t.Errorf("the woken core exited with %v, want status %d", c.core.cmd.ProcessState, exitLease)
	}
	if got := meVotes(t, c.edgeA, direct)[target]; got != 0 {
		t.Errorf("the woken core's vote was counted (%d)", got)
	}
	checkTally(t, c.edgeB.URL, f.RoomID, target, map[int]int{4: len(phones)})
}

// TestClusterRedisSentinelFailover runs the cluster on Redis under Sentinel
// and kills the Redis master: the sentinels promote the replica, the nodes
// follow them to it, and no counted vote is lost; votes go on being counted.
func TestClusterRedisSentinelFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Redis with three sentinels and three server processes")
	}
	s := redistest.StartSentinel(t)
	addrs := s.Addrs()
	url := fmt.Sprintf("redis://%s/0?master_name=%s&addr=%s&addr=%s", addrs[0], s.MasterName(), addrs[1], addrs[2])
	c := &testCluster{bin: buildServer(t)}
	c.core = startProcess(t, c.bin, t.TempDir(), coreArgs(url, "core-1")...)
	c.edgeA = startProcess(t, c.bin, t.TempDir(), edgeArgs(url, "edge-a")...)
	c.edgeB = startProcess(t, c.bin, t.TempDir(), edgeArgs(url, "edge-b")...)
	f, target := c.openPitch(t, "SEN26")
	phones := c.phones(t, f, 5)
	for n, p := range phones {
		p.vote(t, fmt.Sprintf("a%d", n), target, 1)
		p.waitCounted(t, fmt.Sprintf("a%d", n), 10*time.Second)
	}
	s.KillMaster(t)
	// The promoted replica may have missed the last frames: the edges, which
	// resynchronise from its snapshots, still come to the core's tally.
	checkTally(t, c.edgeA.URL, f.RoomID, target, map[int]int{1: len(phones)})
	for n, p := range phones {
		p.ws.send(t, map[string]any{"type": "vote", "vote_id": fmt.Sprintf("b%d", n), "target": target, "value": n%5 + 1})
	}
	want := map[int]int{}
	for n, p := range phones {
		p.waitCounted(t, fmt.Sprintf("b%d", n), 60*time.Second)
		if got := meVotes(t, c.edgeA, p)[target]; got != n%5+1 {
			t.Errorf("phone %d: %d counted, want %d", n, got, n%5+1)
		}
		want[n%5+1]++
	}
	checkTally(t, c.core.URL, f.RoomID, target, want)
	checkTally(t, c.edgeB.URL, f.RoomID, target, want)
}
