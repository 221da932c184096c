package main

// Cluster tests: a real redis-server on a loopback port, the nodes as real
// subprocesses (one core, two edges), phones and screens over real
// WebSockets. docs/cluster.md describes what each failure does.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ovation-live/ovation/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// testCluster is Redis, one core and two edges, as subprocesses.
type testCluster struct {
	redis        *redistest.Server
	bin          string
	coreDir      string
	core         *process
	edgeA, edgeB *process
}

func coreArgs(redisURL, node string) []string {
	return []string{"-cluster.role", "core", "-cluster.redis_url", redisURL, "-cluster.node", node,
		"-cluster.lease_ttl", "3s", "-cluster.lease_wait", "5s", "-password_cost", "4"}
}

func edgeArgs(redisURL, node string) []string {
	return []string{"-cluster.role", "edge", "-cluster.redis_url", redisURL, "-cluster.node", node,
		"-cluster.request_timeout", "5s", "-allowed_origins", "http://127.0.0.1"}
}

func startCluster(t *testing.T) *testCluster {
	t.Helper()
	if testing.Short() {
		t.Skip("runs redis-server and three server processes")
	}
	c := &testCluster{redis: redistest.Start(t), bin: buildServer(t), coreDir: t.TempDir()}
	c.core = startProcess(t, c.bin, c.coreDir, coreArgs(c.redis.URL(), "core-1")...)
	c.edgeA = startProcess(t, c.bin, t.TempDir(), edgeArgs(c.redis.URL(), "edge-a")...)
	c.edgeB = startProcess(t, c.bin, t.TempDir(), edgeArgs(c.redis.URL(), "edge-b")...)
	return c
}

// clusterPhone is a participant voting over a WebSocket on one edge.
type clusterPhone struct {
	j  joined
	ws *wsClient
}

func newClusterPhone(t *testing.T, edge *process, code string, room int64) *clusterPhone {
	t.Helper()
	p := &clusterPhone{j: join(t, edge.URL, code, map[string]any{})}
	p.ws = dial(t, edge.URL)
	p.ws.waitFor(t, 10*time.Second, "welcome", isType("welcome"))
	p.ws.auth(t, p.j.Token)
	if s := p.ws.subscribe(t, fmt.Sprintf("room:%d", room), "", 0); s.str("type") != "snapshot" {
		t.Fatalf("subscribe: %v", s)
	}
	return p
}

// vote sends a vote and returns the first ack (received or queued).
func (p *clusterPhone) vote(t *testing.T, voteID, target string, value int) msg {
	t.Helper()
	p.ws.send(t, map[string]any{"type": "vote", "vote_id": voteID, "target": target, "value": value})
	return p.ws.waitFor(t, 10*time.Second, "first ack of "+voteID, func(m msg) bool {
		return m.str("vote_id") == voteID && (m.str("type") == "ack" || m.str("type") == "error")
	})
}

// waitCounted waits for the core's final ack of voteID.
func (p *clusterPhone) waitCounted(t *testing.T, voteID string, d time.Duration) msg {
	t.Helper()
	return p.ws.waitFor(t, d, "counted ack of "+voteID, func(m msg) bool {
		if m.str("vote_id") != voteID {
			return false
		}
		if m.str("type") == "error" {
			t.Fatalf("vote %s refused: %v", voteID, m)
		}
		s := m.str("status")
		return s == "counted" || s == "changed" || s == "duplicate"
	})
}

// results returns the audience tally count of each pitch, from the core's results.
func pitchTotals(t *testing.T, base, code string) map[int64]int {
	t.Helper()
	var res struct {
		Rounds []struct {
			Pitches []struct {
				ID       int64 `json:"id"`
				Audience struct {
					N int `json:"n"`
				} `json:"audience"`
			} `json:"pitches"`
		} `json:"rounds"`
	}
	must(t, base, "GET", "/api/events/"+code+"/results", nil, &res)
	out := map[int64]int{}
	for _, r := range res.Rounds {
		for _, p := range r.Pitches {
			out[p.ID] = p.Audience.N
		}
	}
	return out
}

// stageTotal waits until the stage client has seen a tally of target with
// total n and returns when; it fails after d.
func stageTotal(t *testing.T, stage *wsClient, target string, n int, d time.Duration) time.Time {
	t.Helper()
	stage.waitFor(t, d, fmt.Sprintf("stage tally %s = %d", target, n), func(m msg) bool {
		if m.str("type") == "snapshot" {
			for _, f := range m["frames"].([]any) {
				fm := msg(f.(map[string]any))
				if fm.str("type") == "tally" && fm.str("target") == target && int(fm.num("total")) == n {
					return true
				}
			}
			return false
		}
		return m.str("type") == "tally" && m.str("target") == target && int(m.num("total")) == n
	})
	return time.Now()
}

// snapshotTally subscribes a new screen on edge to the room's stage topic
// and returns the tally of target in its snapshot (nil when there is none
// yet): what a late joiner gets, from the snapshots the core keeps in Redis.
func snapshotTally(t *testing.T, edge string, room int64, target string) (counts []int64, total int) {
	t.Helper()
	w := dial(t, edge)
	defer w.Close()
	w.waitFor(t, 10*time.Second, "welcome", isType("welcome"))
	s := w.subscribe(t, fmt.Sprintf("stage:%d", room), "", 0)
	frames, _ := s["frames"].([]any)
	for _, f := range frames {
		fm := msg(f.(map[string]any))
		if fm.str("type") == "tally" && fm.str("target") == target {
			return ints(fm["counts"]), int(fm.num("total"))
		}
	}
	return nil, 0
}

// checkTally compares the tally a late joiner of edge gets with the test's
// own count of acknowledged votes. Tallies are coalesced (published every
// votes.tally_interval), so it looks again for up to 10 s.
func checkTally(t *testing.T, edge string, room int64, target string, want map[int]int) {
	t.Helper()
	wantCounts, n := make([]int64, 5), 0
	for v := 1; v <= 5; v++ {
		wantCounts[v-1] = int64(want[v])
		n += want[v]
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		counts, total := snapshotTally(t, edge, room, target)
		if fmt.Sprint(counts) == fmt.Sprint(wantCounts) && total == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("tally of %s on %s: counts %v (total %d), want %v (total %d)", target, edge, counts, total, wantCounts, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// openPitch creates an event through edge A and opens its first pitch with
// its results shown (tally frames carry their counts).
func (c *testCluster) openPitch(t *testing.T, code string) (fixture, string) {
	t.Helper()
	f := newFixture(t, c.edgeA.URL, code, 2) // every HTTP request of the set-up goes through an edge to the core
	f.roundAction(t, c.edgeB.URL, "start")
	f.pitchAction(t, c.edgeB.URL, 0, "open")
	f.pitchAction(t, c.edgeA.URL, 0, "show_results")
	return f, fmt.Sprintf("pitch:%d", f.Pitches[0])
}

func (c *testCluster) stage(t *testing.T, edge *process, room int64) *wsClient {
	t.Helper()
	w := dial(t, edge.URL)
	w.waitFor(t, 10*time.Second, "welcome", isType("welcome"))
	w.subscribe(t, fmt.Sprintf("stage:%d", room), "", 0)
	return w
}

func (c *testCluster) phones(t *testing.T, f fixture, perEdge int) []*clusterPhone {
	t.Helper()
	var out []*clusterPhone
	for i := 0; i < perEdge; i++ {
		out = append(out, newClusterPhone(t, c.edgeA, f.Code, f.RoomID), newClusterPhone(t, c.edgeB, f.Code, f.RoomID))
	}
	return out
}

func TestClusterVotesAcrossEdges(t *testing.T) {
	c := startCluster(t)
	f, target := c.openPitch(t, "CLU26")
	stage := c.stage(t, c.edgeA, f.RoomID)
	phones := c.phones(t, f, 15)
	want := map[int]int{}
	for i, p := range phones {
		v := i%5 + 1
		id := fmt.Sprintf("v-%d", i)
		if a := p.vote(t, id, target, v); a.str("status") != "received" {
			t.Fatalf("phone %d: first ack %v, want received", i, a)
		}
		p.waitCounted(t, id, 10*time.Second)
		want[v]++
	}
	// A phone of edge B changes its vote; a replayed vote id is a duplicate.
	phones[1].vote(t, "v-1b", target, 5)
	if a := phones[1].waitCounted(t, "v-1b", 10*time.Second); a.str("status") != "changed" {
		t.Fatalf("change: %v, want changed", a)
	}
	want[2]--
	want[5]++
	phones[3].vote(t, "v-3", target, 4)
	if a := phones[3].waitCounted(t, "v-3", 10*time.Second); a.str("status") != "duplicate" {
		t.Fatalf("replayed vote id: %v, want duplicate", a)
	}
	// A vote the core refuses comes back as an error through the edge.
	phones[0].vote(t, "v-bad", target, 9)
	phones[0].ws.waitFor(t, 10*time.Second, "bad_value error", func(m msg) bool { return m.str("vote_id") == "v-bad" && m.str("code") == "bad_value" })

	// The stage on edge A sees the votes cast on edge B; late joiners on
	// either edge get the same tally from Redis; it equals our own count.
	stageTotal(t, stage, target, len(phones), 10*time.Second)
	checkTally(t, c.edgeA.URL, f.RoomID, target, want)
	checkTally(t, c.edgeB.URL, f.RoomID, target, want)
	checkTally(t, c.core.URL, f.RoomID, target, want)

	// The core counts the votes it committed (30 counted, 1 changed; the
	// replay is a duplicate), each edge those of its own phones.
	if got := metricValue(t, c.core.URL, `ovation_votes_accepted_total{role="core"}`); got != float64(len(phones)+1) {
		t.Errorf("core: %v votes accepted, want %d", got, len(phones)+1)
	}
	if got := metricValue(t, c.core.URL, `ovation_votes_duplicate_total{role="core"}`); got != 1 {
		t.Errorf("core: %v duplicates, want 1", got)
	}
	edges := metricValue(t, c.edgeA.URL, `ovation_votes_accepted_total{role="edge"}`) + metricValue(t, c.edgeB.URL, `ovation_votes_accepted_total{role="edge"}`)
	if edges != float64(len(phones)+1) {
		t.Errorf("edges: %v votes accepted, want %d", edges, len(phones)+1)
	}

	// Without public_url, each node's join URL and QR code name the host
	// the request came to, not the core's.
	for _, node := range []*process{c.core, c.edgeA, c.edgeB} {
		var ev struct {
			JoinURL string `json:"join_url"`
		}
		must(t, node.URL, "GET", "/api/events/"+f.Code, nil, &ev)
		want := node.URL + "/e/" + f.Code
		if ev.JoinURL != want {
			t.Errorf("join_url through %s: %s, want %s", node.URL, ev.JoinURL, want)
		}
		res, err := http.Get(node.URL + "/api/events/" + f.Code + "/qr.svg")
		if err != nil {
			t.Fatal(err)
		}
		svg, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(svg), want) {
			t.Errorf("QR code through %s does not encode %s", node.URL, want)
		}
	}
}

// metricValue reads one series (name and labels, as /metrics prints them) from a node.
func metricValue(t *testing.T, base, series string) float64 {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("%s: no series %s on /metrics", base, series)
	return 0
}

// TestClusterCoreKilled kills the core with SIGKILL while phones vote on
// both edges, restarts it, and checks that every vote acknowledged as
// received is counted exactly once.
func TestClusterCoreKilled(t *testing.T) {
	c := startCluster(t)
	f, target := c.openPitch(t, "KIL26")
	phones := c.phones(t, f, 10)
	want := map[int]int{}
	var ids []string
	for i, p := range phones[:6] {
		id := fmt.Sprintf("a-%d", i)
		p.vote(t, id, target, i%5+1)
		p.waitCounted(t, id, 10*time.Second)
		want[i%5+1]++
	}
	// Votes in flight while the core dies, then votes while it is down.
	for i := 6; i < 12; i++ {
		id := fmt.Sprintf("b-%d", i)
		phones[i].ws.send(t, map[string]any{"type": "vote", "vote_id": id, "target": target, "value": i%5 + 1})
		ids = append(ids, id)
	}
	c.core.kill(t)
	for i := 12; i < len(phones); i++ {
		id := fmt.Sprintf("b-%d", i)
		if a := phones[i].vote(t, id, target, i%5+1); a.str("status") != "received" {
			t.Fatalf("vote with the core down: %v, want received", a)
		}
		ids = append(ids, id)
	}
	for i := 6; i < len(phones); i++ {
		if i < 12 { // every vote in flight was received: the edge appended it before the core died or after
			phones[i].ws.waitFor(t, 10*time.Second, "received", func(m msg) bool {
				return m.str("vote_id") == ids[i-6] && m.str("type") == "ack" && m.str("status") == "received"
			})
		}
		want[i%5+1]++
	}
	c.core = startProcess(t, c.bin, c.coreDir, coreArgs(c.redis.URL(), "core-1")...)
	for i := 6; i < len(phones); i++ {
		phones[i].waitCounted(t, ids[i-6], 20*time.Second)
	}
	checkTally(t, c.edgeA.URL, f.RoomID, target, want)
	checkTally(t, c.core.URL, f.RoomID, target, want)
}

// TestClusterLastAckCounts has every phone change its vote quickly, many
// times, through the edges: each phone's last acknowledged vote is the one
// the core counts, whatever the order the core's goroutines ran in.
func TestClusterLastAckCounts(t *testing.T) {
	c := startCluster(t)
	f, target := c.openPitch(t, "ORD26")
	phones := c.phones(t, f, 25)
	const changes = 10 // a participant's burst of votes
	for i := range changes {
		for n, p := range phones {
			p.ws.send(t, map[string]any{"type": "vote", "vote_id": fmt.Sprintf("o%d-%d", n, i), "target": target, "value": (n+i)%5 + 1})
		}
	}
	for n, p := range phones {
		p.waitCounted(t, fmt.Sprintf("o%d-%d", n, changes-1), 20*time.Second)
		var me struct{ Votes map[string]int }
		if st := call(t, c.edgeA.URL, "GET", "/api/me", p.j.Token, nil, &me); st != 200 || me.Votes[target] != (n+changes-1)%5+1 {
			t.Errorf("phone %d: %d %v, want its last vote %d counted", n, st, me.Votes, (n+changes-1)%5+1)
		}
	}
}

// TestClusterRedisRestart kills Redis during voting and restarts it: the
// edges tell their clients they are degraded, hold the votes, and once
// Redis is back append them and resynchronise their screens.
func TestClusterRedisRestart(t *testing.T) {
	c := startCluster(t)
	f, target := c.openPitch(t, "RED26")
	stage := c.stage(t, c.edgeA, f.RoomID)
	phones := c.phones(t, f, 6)
	want := map[int]int{}
	for i, p := range phones[:4] {
		id := fmt.Sprintf("a-%d", i)
		p.vote(t, id, target, i%5+1)
		p.waitCounted(t, id, 10*time.Second)
		want[i%5+1]++
	}
	stageTotal(t, stage, target, 4, 10*time.Second)

	c.redis.Kill(t)
	for _, p := range phones[4:6] { // one on each edge
		p.ws.waitFor(t, 10*time.Second, "degraded notice", func(m msg) bool { return m.str("type") == "service" && m.str("status") == "degraded" })
	}
	var queued []string
	for i := 4; i < len(phones); i++ {
		id := fmt.Sprintf("b-%d", i)
		a := phones[i].vote(t, id, target, i%5+1)
		if a.str("type") != "ack" || a.str("status") != "queued" {
			t.Fatalf("vote with Redis down: %v, want queued", a)
		}
		queued = append(queued, id)
		want[i%5+1]++
	}

	time.Sleep(2 * time.Second)
	back := time.Now()
	c.redis.Restart(t)
	seen := stageTotal(t, stage, target, len(phones), 30*time.Second)
	t.Logf("the stage on edge A showed every vote %v after Redis came back", seen.Sub(back).Round(time.Millisecond))
	phones[5].ws.waitFor(t, 10*time.Second, "service ok", func(m msg) bool { return m.str("type") == "service" && m.str("status") == "ok" })
	for i := 4; i < len(phones); i++ {
		phones[i].waitCounted(t, queued[i-4], 20*time.Second)
	}
	checkTally(t, c.edgeA.URL, f.RoomID, target, want)
	checkTally(t, c.edgeB.URL, f.RoomID, target, want)
}

// TestClusterEdgeKilled kills an edge: its screen reconnects to the other
// edge and resumes where it was (the nodes share the core's epoch and
// sequence numbers).
func TestClusterEdgeKilled(t *testing.T) {
	c := startCluster(t)
	f, target := c.openPitch(t, "EDG26")
	topic := fmt.Sprintf("stage:%d", f.RoomID)
	screen := dial(t, c.edgeA.URL)
	screen.waitFor(t, 10*time.Second, "welcome", isType("welcome"))
	snap := screen.subscribe(t, topic, "", 0)
	epoch := snap.str("epoch")
	phones := c.phones(t, f, 2) // edge A, edge B, edge A, edge B
	phones[1].vote(t, "x-1", target, 3)
	phones[1].waitCounted(t, "x-1", 10*time.Second)
	last := screen.waitFor(t, 10*time.Second, "tally", func(m msg) bool { return m.str("type") == "tally" && m.str("target") == target && m.num("total") == 1 })

	c.edgeA.kill(t)
	timeout := time.After(10 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-screen.msgs: // closed when edge A's death ends the connection
		case <-timeout:
			t.Fatal("the connection to the killed edge did not end")
		}
	}
	screen = dial(t, c.edgeB.URL)
	screen.waitFor(t, 10*time.Second, "welcome", isType("welcome"))
	resumed := screen.subscribe(t, topic, epoch, last.num("seq"))
	if resumed.str("epoch") != epoch || resumed["resumed"] != true {
		t.Fatalf("on edge B: %v, want a resumed snapshot of epoch %s", resumed, epoch)
	}
	phones[3].vote(t, "x-3", target, 5)
	phones[3].waitCounted(t, "x-3", 10*time.Second)
	stageTotal(t, screen, target, 2, 10*time.Second)
}

// TestClusterTwoCores starts a second core for the same cluster: it refuses
// to act as core and says so, and the first one goes on.
func TestClusterTwoCores(t *testing.T) {
	c := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := append([]string{"-listen", "127.0.0.1:0", "-data_dir", t.TempDir(), "-config", "/dev/null", "-log.level", "warn"},
		coreArgs(c.redis.URL(), "core-2")...)
	args = append(args, "-cluster.lease_wait", "1s")
	out, err := exec.CommandContext(ctx, c.bin, args...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "node core-1") || !strings.Contains(string(out), "refusing to act as core") {
		t.Fatalf("second core: err %v, output:\n%s", err, out)
	}
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != exitLease {
		t.Errorf("second core: %v, want exit status %d (not restarted by the systemd unit)", err, exitLease)
	}
	// The first core still answers, through an edge.
	newFixture(t, c.edgeA.URL, "TWO26", 1)
}

// TestClusterForeignDatabaseRefused loses the core, then starts a second
// core on an empty disk: it refuses to act on a database that is not the
// cluster's and says why, before it changes anything in Redis (the epoch,
// the token secret, the votes waiting in the stream); the first core, back
// on its own database, counts the votes taken meanwhile.
func TestClusterForeignDatabaseRefused(t *testing.T) {
	c := startCluster(t)
	f, target := c.openPitch(t, "FOR26")
	p := c.phones(t, f, 1)[0]
	p.vote(t, "f1", target, 4)
	p.waitCounted(t, "f1", 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rdb := c.redis.Client(t)
	before := fmt.Sprint(rdb.Get(ctx, "ovation:epoch").Val(), rdb.HGetAll(ctx, "ovation:secrets").Val())
	c.core.kill(t)
	if a := p.vote(t, "f2", target, 2); a.str("status") != "received" {
		t.Fatalf("vote with the core down: %v, want received", a)
	}
	// The stream as the killed core left it: the vote taken meanwhile, and
	// perhaps an entry of one it counted but had not yet deleted.
	waiting := fmt.Sprint(rdb.XRange(ctx, "ovation:votes", "-", "+").Val())
	if !strings.Contains(waiting, "v:f2 ") {
		t.Fatalf("the vote taken while the core was down is not in the stream: %s", waiting)
	}
	args := append([]string{"-listen", "127.0.0.1:0", "-data_dir", t.TempDir(), "-config", "/dev/null", "-log.level", "warn"},
		coreArgs(c.redis.URL(), "core-2")...)
	out, err := exec.CommandContext(ctx, c.bin, args...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "does not hold this cluster's data") || !strings.Contains(string(out), "refusing to act as core") {
		t.Fatalf("core on an empty disk: err %v, output:\n%s", err, out)
	}
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != exitLease {
		t.Errorf("core on an empty disk: %v, want exit status %d (not restarted by the systemd unit)", err, exitLease)
	}
	if after := fmt.Sprint(rdb.Get(ctx, "ovation:epoch").Val(), rdb.HGetAll(ctx, "ovation:secrets").Val()); after != before {
		t.Errorf("the refused core changed the cluster's epoch or secrets in Redis:\n%s\n%s", before, after)
	}
	if after := fmt.Sprint(rdb.XRange(ctx, "ovation:votes", "-", "+").Val()); after != waiting {
		t.Errorf("the refused core changed the votes waiting in the stream:\n%s\n%s", waiting, after)
	}
	c.core = startProcess(t, c.bin, c.coreDir, coreArgs(c.redis.URL(), "core-1")...)
	if got := p.waitCounted(t, "f2", 20*time.Second); got.str("status") != "changed" {
		t.Fatalf("vote taken while the core was down: %v, want changed", got)
	}
}

// TestClusterSameNodeIDRefused starts a second core process under the
// first one's node id (a copy-pasted unit, a restart script run twice): it
// refuses to act as core before it touches its database, and the first one
// goes on alone.
func TestClusterSameNodeIDRefused(t *testing.T) {
	c := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dataDir := t.TempDir()
	args := append([]string{"-listen", "127.0.0.1:0", "-data_dir", dataDir, "-config", "/dev/null", "-log.level", "warn"},
		coreArgs(c.redis.URL(), "core-1")...)
	args = append(args, "-cluster.lease_wait", "1s")
	out, err := exec.CommandContext(ctx, c.bin, args...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "another process of node core-1") || !strings.Contains(string(out), "refusing to act as core") {
		t.Fatalf("second process of core-1: err %v, output:\n%s", err, out)
	}
	if entries, _ := os.ReadDir(dataDir); len(entries) != 0 {
		t.Errorf("the refused core wrote %d files in its data directory", len(entries))
	}
	newFixture(t, c.edgeA.URL, "SAME26", 1)
}

// TestClusterCoresRaceOnFreshData starts two cores at once on one empty data
// directory: one takes the lease and migrates, the other waits for the
// lease and refuses; neither dies in the migrations.
func TestClusterCoresRaceOnFreshData(t *testing.T) {
	if testing.Short() {
		t.Skip("runs redis-server and two server processes")
	}
	r := redistest.Start(t)
	bin := buildServer(t)
	dataDir := t.TempDir()
	type result struct {
		i   int
		out string
		err error
	}
	results := make(chan result, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var cmds []*exec.Cmd
	for i := range 2 {
		args := append([]string{"-listen", "127.0.0.1:0", "-data_dir", dataDir, "-config", "/dev/null", "-log.level", "warn", "-shutdown_drain", "0s"},
			coreArgs(r.URL(), fmt.Sprintf("core-%d", i))...)
		args = append(args, "-cluster.lease_wait", "5s")
		cmd := exec.CommandContext(ctx, bin, args...)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		go func() { err := cmd.Wait(); results <- result{i, out.String(), err} }()
	}
	// The loser ends by itself; then stop the winner (SIGTERM, by its PID).
	first := <-results
	if first.err == nil || !strings.Contains(first.out, "refusing to act as core") || strings.Contains(first.out, "already exists") {
		t.Fatalf("the first core to end: err %v, output:\n%s", first.err, first.out)
	}
	_ = cmds[1-first.i].Process.Signal(syscall.SIGTERM)
	second := <-results
	if !strings.Contains(second.out, "Ovation is running on") {
		t.Fatalf("the other core did not serve: err %v, output:\n%s", second.err, second.out)
	}
}

// TestClusterRedisFlushed empties Redis under a running cluster (a Redis
// without persistence restarting): the core puts back the epoch, its
// secrets, the consumer groups and every snapshot, so votes are counted
// again and a new edge can start and serve the current tally.
func TestClusterRedisFlushed(t *testing.T) {
	c := startCluster(t)
	f, target := c.openPitch(t, "FLU26")
	phones := c.phones(t, f, 2)
	want := map[int]int{}
	phones[0].vote(t, "a-0", target, 2)
	phones[0].waitCounted(t, "a-0", 10*time.Second)
	want[2]++

	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", c.redis.Port)})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for i, p := range phones[1:] {
		id := fmt.Sprintf("b-%d", i)
		p.vote(t, id, target, 4)
		p.waitCounted(t, id, 20*time.Second)
		want[4]++
	}
	edgeC := startProcess(t, c.bin, t.TempDir(), edgeArgs(c.redis.URL(), "edge-c")...)
	checkTally(t, edgeC.URL, f.RoomID, target, want)
	checkTally(t, c.edgeA.URL, f.RoomID, target, want)
}

// TestClusterQuiz runs a quiz question answered on both edges: answers are
// timed on the servers against the question's opening on the core (each
// player's points lie within what the test's own clocks allow), a second
// answer and a late one are refused through the edge, and each phone gets
// its rank and points from GET /api/me through its edge.
func TestClusterQuiz(t *testing.T) {
	c := startCluster(t)
	f := newFixture(t, c.edgeA.URL, "QCLU26", 0)
	var quiz, q struct{ ID int64 }
	must(t, c.edgeB.URL, "POST", "/api/events/"+f.Code+"/quizzes", map[string]any{"room_id": f.RoomID, "title": "Cluster quiz"}, &quiz)
	must(t, c.edgeA.URL, "POST", "/api/events/"+f.Code+"/polls", map[string]any{"quiz_id": quiz.ID, "question": "Capital of Peru?", "kind": "quiz",
		"choices": []string{"Lima", "Quito"}, "correct": []int{1}, "settings": map[string]int{"time_limit_s": 5}}, &q)
	target := fmt.Sprintf("poll:%d", q.ID)
	phones := c.phones(t, f, 2) // A, B, A, B
	opened0 := time.Now()
	must(t, c.edgeB.URL, "POST", fmt.Sprintf("/api/quizzes/%d/actions/start", quiz.ID), nil, nil)
	opened1 := time.Now()
	type timing struct{ sent, acked time.Time }
	times := map[int64]timing{}
	for i, p := range phones[:3] {
		id := fmt.Sprintf("q-%d", i)
		sent := time.Now()
		if a := p.vote(t, id, target, 1+i%2); a.str("status") != "received" {
			t.Fatalf("phone %d: first ack %v, want received", i, a)
		}
		p.waitCounted(t, id, 10*time.Second)
		times[p.j.ID] = timing{sent, time.Now()}
	}
	// The first answer is final: a second one comes back refused through the edge.
	phones[0].vote(t, "q-0-again", target, 2)
	phones[0].ws.waitFor(t, 10*time.Second, "already_answered", func(m msg) bool { return m.str("vote_id") == "q-0-again" && m.str("code") == "already_answered" })
	// After the time limit (on the servers' clocks): time_up.
	time.Sleep(time.Until(opened1.Add(5*time.Second + 300*time.Millisecond)))
	phones[3].vote(t, "q-3", target, 1)
	phones[3].ws.waitFor(t, 10*time.Second, "time_up", func(m msg) bool { return m.str("vote_id") == "q-3" && m.str("code") == "time_up" })

	must(t, c.edgeA.URL, "POST", fmt.Sprintf("/api/quizzes/%d/actions/reveal", quiz.ID), nil, nil)
	var res struct {
		Quizzes []struct {
			Standings []struct {
				Rank          int
				ParticipantID int64 `json:"participant_id"`
				Points        int64
			}
		}
	}
	must(t, c.edgeB.URL, "GET", "/api/events/"+f.Code+"/results", nil, &res)
	if len(res.Quizzes) != 1 || len(res.Quizzes[0].Standings) != 3 {
		t.Fatalf("standings: %+v", res.Quizzes)
	}
	points := func(d time.Duration) int64 { // the documented formula, T = 5 s
		ms := min(max(d.Milliseconds(), 0), 5000)
		return 1000 - (1000*ms+5000)/10000
	}
	for _, s := range res.Quizzes[0].Standings {
		tm, ok := times[s.ParticipantID]
		if !ok {
			t.Fatalf("a stranger in the standings: %+v", s)
		}
		right := s.ParticipantID == phones[0].j.ID || s.ParticipantID == phones[2].j.ID // they answered A
		lo, hi := int64(0), int64(0)
		if right {
			lo, hi = points(tm.acked.Sub(opened0)), points(tm.sent.Sub(opened1))
		}
		if s.Points < lo || s.Points > hi {
			t.Errorf("participant %d: %d points, want %d to %d", s.ParticipantID, s.Points, lo, hi)
		}
	}
	// Each phone its own rank and points, through its edge.
	for i, p := range phones[:3] {
		edge := c.edgeA.URL
		if i%2 == 1 {
			edge = c.edgeB.URL
		}
		var me struct {
			Quizzes map[string]struct{ Rank, Points int64 } `json:"quizzes"`
		}
		if st := call(t, edge, "GET", "/api/me", p.j.Token, nil, &me); st != 200 {
			t.Fatalf("GET /api/me through an edge: %d", st)
		}
		got := me.Quizzes[fmt.Sprint(quiz.ID)]
		found := false
		for _, s := range res.Quizzes[0].Standings {
			found = found || (s.ParticipantID == p.j.ID && int64(s.Rank) == got.Rank && s.Points == got.Points)
		}
		if !found {
			t.Errorf("phone %d: /api/me %+v, not its standing", i, got)
		}
	}
}
