// Command ovation-drill is a fault drill for the highly available layout of
// docs/cluster.md §11, on loopback: it starts PostgreSQL with a synchronous
// standby (internal/pgtest), Redis with a replica and three sentinels
// (internal/redistest), two core-capable nodes (-cluster.standby=true on
// PostgreSQL) and two edges; drives phones that vote and change their vote;
// applies a random but seeded schedule of faults (the acting core SIGKILLed
// with its data directory gone, or SIGSTOPped past its lease then woken; the
// PostgreSQL primary SIGKILLed and its standby promoted; the Redis master
// SIGKILLed); and checks its own record of every acknowledgement the phones
// received against the database:
//
//   - lost: an acknowledged vote id (counted, changed or duplicate) that is
//     not in vote_log, or is there with another value;
//   - duplicated: a vote counted twice (the published tally above the
//     database's votes, or a vote id logged twice);
//   - stale: a phone whose counted vote is older than its last acknowledged
//     one.
//
// It exits with status 1 when any of them is not 0, or when the cluster did
// not recover from a fault. Everything it starts is stopped, by PID, and
// every file removed. scripts/drill builds and runs it:
//
//	scripts/drill -seed 7 -phones 300 -faults 4 -duration 3m
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/ovation-live/ovation/internal/pgtest"
	"github.com/ovation-live/ovation/internal/redistest"
)

const (
	apiToken = "drill-token"
	leaseTTL = 3 * time.Second
	// exitLease is the exit status of a core that lost its lease or was
	// fenced out (cmd/ovation).
	exitLease = 3
	// finalWait bounds how long a phone waits for a vote's final answer: a
	// core's takeover plus a PostgreSQL failover's retries fit in it.
	finalWait = 45 * time.Second
	// recoverWait bounds every wait for the cluster to recover from a fault.
	recoverWait = 40 * time.Second
)

type config struct {
	bin      string
	seed     uint64
	phones   int
	faults   int
	duration time.Duration
	port     int
	record   string
	jsonOut  string
	kinds    string
}

func main() {
	var cfg config
	flag.StringVar(&cfg.bin, "bin", "", "the ovation server binary (scripts/drill builds it)")
	flag.Uint64Var(&cfg.seed, "seed", 1, "seed of the fault schedule and of the phones' votes")
	flag.IntVar(&cfg.phones, "phones", 200, "phones voting (1-1000)")
	flag.IntVar(&cfg.faults, "faults", 4, "faults to apply (1-8)")
	flag.DurationVar(&cfg.duration, "duration", 3*time.Minute, "bound on the voting and faults (30s-10m)")
	flag.IntVar(&cfg.port, "port", 18400, "first of the four loopback ports of the nodes (cores, then edges)")
	flag.StringVar(&cfg.record, "record", "", "write every vote and its final answer to this file, as JSON lines")
	flag.StringVar(&cfg.jsonOut, "json", "", "write the summary to this file as JSON")
	flag.StringVar(&cfg.kinds, "kinds", "core-kill,core-pause,pg-kill,redis-kill", "the kinds of fault to draw from, comma-separated")
	flag.Parse()
	if cfg.bin == "" || cfg.phones < 1 || cfg.phones > 1000 || cfg.faults < 1 || cfg.faults > 8 ||
		cfg.duration < 30*time.Second || cfg.duration > 10*time.Minute {
		fmt.Fprintln(os.Stderr, "ovation-drill: needs -bin; -phones 1-1000, -faults 1-8, -duration 30s-10m")
		os.Exit(2)
	}
	os.Exit(run(cfg))
}

// run sets up, drills and checks, and returns the exit status; every
// process and file is gone when it returns.
func run(cfg config) (status int) {
	env := newEnv()
	defer env.cleanup()
	// An interrupt stops the drill the same way: cleanup, then exit.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		fmt.Fprintln(os.Stderr, "drill: interrupted; stopping everything")
		env.cleanup()
		os.Exit(130)
	}()
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(fatal)
			if !ok {
				panic(r)
			}
			fmt.Fprintf(os.Stderr, "drill: %s\n", f)
			env.dumpLogs()
			status = 1
		}
	}()
	d := &drill{cfg: cfg, env: env, rng: rand.New(rand.NewPCG(cfg.seed, 0x0fa17))}
	d.start()
	d.setup()
	d.drive()
	return d.check()
}

// fatal is the panic of env's Fatal: recovered by run, which cleans up.
type fatal string

// env is what testing.TB the test helpers need, for a program: Fatal
// panics (only the main goroutine calls the helpers), Cleanup and TempDir
// are run and removed by cleanup, in reverse order.
type env struct {
	testing.TB // the helpers' other methods are never called
	mu         sync.Mutex
	cleanups   []func()
	dir        string
	once       sync.Once
}

func newEnv() *env {
	dir, err := os.MkdirTemp("", "ovation-drill-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return &env{dir: dir}
}

func (e *env) Helper()                           {}
func (e *env) Name() string                      { return "drill" }
func (e *env) Fatal(args ...any)                 { panic(fatal(fmt.Sprint(args...))) }
func (e *env) Fatalf(format string, args ...any) { panic(fatal(fmt.Sprintf(format, args...))) }
func (e *env) Skip(args ...any)                  { panic(fatal(fmt.Sprint(args...))) }
func (e *env) Skipf(format string, args ...any)  { panic(fatal(fmt.Sprintf(format, args...))) }
func (e *env) Errorf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "drill: "+format+"\n", args...)
}
func (e *env) Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "drill: "+format+"\n", args...)
}

func (e *env) Cleanup(f func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cleanups = append(e.cleanups, f)
}

func (e *env) TempDir() string {
	dir, err := os.MkdirTemp(e.dir, "tmp-")
	if err != nil {
		e.Fatal(err)
	}
	return dir
}

// cleanup runs every cleanup once, newest first, then removes the files.
func (e *env) cleanup() {
	e.once.Do(func() {
		e.mu.Lock()
		fs := slices.Clone(e.cleanups)
		e.mu.Unlock()
		for i := len(fs) - 1; i >= 0; i-- {
			fs[i]()
		}
		_ = os.RemoveAll(e.dir)
	})
}

// dumpLogs prints the end of every node's log, to explain a failure.
func (e *env) dumpLogs() {
	logs, _ := filepath.Glob(filepath.Join(e.dir, "*.log"))
	for _, l := range logs {
		b, err := os.ReadFile(l)
		if err != nil || len(b) == 0 {
			continue
		}
		if len(b) > 1500 {
			b = b[len(b)-1500:]
		}
		fmt.Fprintf(os.Stderr, "--- %s (end)\n%s\n", filepath.Base(l), b)
	}
}

// node is one ovation process: a core-capable node or an edge.
type node struct {
	name string
	role string
	port int
	args []string
	log  string

	cmd  *exec.Cmd
	done chan struct{}
	dir  string
}

func (n *node) url() string { return fmt.Sprintf("http://127.0.0.1:%d", n.port) }

// start starts the node on a fresh data directory.
func (d *drill) startNode(n *node) {
	n.dir = d.env.TempDir()
	args := append([]string{"-listen", fmt.Sprintf("127.0.0.1:%d", n.port), "-data_dir", n.dir,
		"-api_token", apiToken, "-moderator_password", "drill pass", "-config", "/dev/null", "-seed_demo=false",
		"-log.level", "warn", "-shutdown_drain", "0s", "-password_cost", "4",
		"-limits.join_rate", "100000", "-limits.join_burst", "100000",
		"-limits.vote_rate", "100000", "-limits.vote_burst", "100000", "-limits.ip_vote_rate", "100000", "-limits.ip_vote_burst", "100000",
		"-limits.message_rate", "100000", "-limits.message_burst", "100000",
		"-cluster.role", n.role, "-cluster.node", n.name, "-cluster.redis_url", d.redisURL}, n.args...)
	logf, err := os.OpenFile(n.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		d.env.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(d.cfg.bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		d.env.Fatalf("start %s: %v", n.name, err)
	}
	n.cmd, n.done = cmd, make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(cmd, n.done)
}

func (n *node) running() bool {
	if n.done == nil {
		return false
	}
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

// stop sends sig (SIGKILL) to the node, by its PID, wakes it if it was
// stopped, and waits for it to end.
func (n *node) kill() {
	if !n.running() {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	_ = n.cmd.Process.Signal(syscall.SIGCONT)
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
		fmt.Fprintf(os.Stderr, "drill: %s (pid %d) did not die\n", n.name, n.cmd.Process.Pid)
	}
}

// ready tells whether the node answers /readyz with 200.
func (n *node) ready() bool {
	c := http.Client{Timeout: 500 * time.Millisecond}
	res, err := c.Get(n.url() + "/readyz")
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == 200
}

type drill struct {
	cfg config
	env *env
	rng *rand.Rand

	pg       *pgtest.Cluster
	sentinel *redistest.Sentinel
	redisURL string
	rdb      redis.UniversalClient
	cores    [2]*node
	edges    [2]*node

	code     string
	eventID  int64
	target   string
	phones   []*phone
	began    time.Time
	faultLog []faultResult
	failed   []string // faults the cluster did not recover from

	mark      atomic.Int64 // UnixNano of the last fault: phones note the first vote sent after it and counted
	recovered atomic.Int64 // UnixNano of that vote's final ack, 0 until then
}

// start starts every server, and returns once the cluster serves.
func (d *drill) start() {
	t0 := time.Now()
	d.pg = pgtest.Start(d.env)
	d.sentinel = redistest.StartSentinel(d.env)
	addrs := d.sentinel.Addrs()
	d.redisURL = fmt.Sprintf("redis://%s/0?master_name=%s&addr=%s&addr=%s", addrs[0], d.sentinel.MasterName(), addrs[1], addrs[2])
	d.rdb = redis.NewFailoverClient(&redis.FailoverOptions{MasterName: d.sentinel.MasterName(), SentinelAddrs: addrs})
	d.env.Cleanup(func() { d.rdb.Close() })
	for i := range d.cores {
		d.cores[i] = &node{name: fmt.Sprintf("core-%d", i+1), role: "core", port: d.cfg.port + i,
			log:  filepath.Join(d.env.dir, fmt.Sprintf("core-%d.log", i+1)),
			args: []string{"-store.url", d.pg.URL(), "-cluster.standby=true", "-cluster.lease_ttl", leaseTTL.String(), "-cluster.lease_wait", "5s"}}
	}
	for i := range d.edges {
		d.edges[i] = &node{name: fmt.Sprintf("edge-%d", i+1), role: "edge", port: d.cfg.port + 2 + i,
			log:  filepath.Join(d.env.dir, fmt.Sprintf("edge-%d.log", i+1)),
			args: []string{"-cluster.request_timeout", "5s"}}
	}
	for _, n := range append(d.cores[:], d.edges[:]...) {
		d.env.Cleanup(n.kill)
	}
	d.startNode(d.cores[0])
	d.waitFor("core-1 to act", recoverWait, func() bool { return d.acting() == d.cores[0] })
	d.startNode(d.cores[1])
	for _, e := range d.edges {
		d.startNode(e)
	}
	d.waitFor("the edges to be ready", recoverWait, func() bool { return d.edges[0].ready() && d.edges[1].ready() })
	fmt.Printf("drill: PostgreSQL primary + synchronous standby, Redis master + replica + 3 sentinels, 2 cores (standby), 2 edges: up in %.1f s\n",
		time.Since(t0).Seconds())
}

// acting is the core that holds the lease and serves, or nil.
func (d *drill) acting() *node {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	v, err := d.rdb.Get(ctx, "ovation:lease").Result()
	if err != nil {
		return nil
	}
	name, _, _ := strings.Cut(v, " ")
	for _, c := range d.cores {
		if c.name == name && c.running() && c.ready() {
			return c
		}
	}
	return nil
}

func (d *drill) other(n *node) *node {
	if n == d.cores[0] {
		return d.cores[1]
	}
	return d.cores[0]
}

// waitFor polls cond every 100 ms for up to limit; it reports whether cond
// held, and how long it took.
func (d *drill) waitFor(what string, limit time.Duration, cond func() bool) time.Duration {
	t0 := time.Now()
	for time.Since(t0) < limit {
		if cond() {
			return time.Since(t0)
		}
		time.Sleep(100 * time.Millisecond)
	}
	d.env.Fatalf("waited %v for %s", limit, what)
	return 0
}

// api calls the moderator API through the first edge.
func (d *drill) api(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, d.edges[0].url()+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+apiToken)
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// setup creates the drill's event (one pitch, voting open, results shown)
// and connects the phones, half on each edge.
func (d *drill) setup() {
	d.code = fmt.Sprintf("DRILL%d", d.cfg.seed%100000)
	must := func(err error) {
		if err != nil {
			d.env.Fatal(err)
		}
	}
	must(d.api("POST", "/api/events", map[string]any{"code": d.code, "title": "Fault drill"}, nil))
	var model struct {
		Event struct{ ID int64 }
		Rooms []struct{ ID int64 }
	}
	must(d.api("GET", "/api/events/"+d.code+"/model", nil, &model))
	d.eventID = model.Event.ID
	room := model.Rooms[0].ID
	var round, pitch struct{ ID int64 }
	must(d.api("POST", "/api/events/"+d.code+"/rounds", map[string]any{"room_id": room, "title": "Drill", "scale": 5}, &round))
	must(d.api("POST", fmt.Sprintf("/api/rounds/%d/pitches", round.ID), map[string]any{"team": "Drill", "duration_s": 3600}, &pitch))
	for _, step := range []string{fmt.Sprintf("/api/rounds/%d/actions/start", round.ID),
		fmt.Sprintf("/api/pitches/%d/actions/open", pitch.ID), fmt.Sprintf("/api/pitches/%d/actions/show_results", pitch.ID)} {
		must(d.api("POST", step, nil, nil))
	}
	d.target = fmt.Sprintf("pitch:%d", pitch.ID)
	for i := range d.cfg.phones {
		p := &phone{n: i, d: d, edge: d.edges[i%2], room: room, rng: rand.New(rand.NewPCG(d.cfg.seed, uint64(i)))}
		if err := p.join(); err != nil {
			d.env.Fatalf("phone %d: %v", i, err)
		}
		d.phones = append(d.phones, p)
	}
	fmt.Printf("drill: event %s, target %s, %d phones connected\n", d.code, d.target, len(d.phones))
}

// The faults.
const (
	coreKill  = "core-kill"  // the acting core SIGKILLed, its data directory removed; restarted as a standby
	corePause = "core-pause" // the acting core SIGSTOPped past its lease, then SIGCONT; restarted as a standby once it stops
	pgKill    = "pg-kill"    // the PostgreSQL primary SIGKILLed, the standby promoted (once: no new standby)
	redisKill = "redis-kill" // the Redis master SIGKILLed; the sentinels promote the replica (once: no new replica)
)

// schedule draws the faults: each kind once in a seeded order, then (for
// more than four) core faults; fewer than four take the first ones.
func (d *drill) schedule() []string {
	var kinds, repeat []string
	for _, k := range []string{coreKill, corePause, pgKill, redisKill} {
		if slices.Contains(strings.Split(d.cfg.kinds, ","), k) {
			kinds = append(kinds, k)
			if k == coreKill || k == corePause {
				repeat = append(repeat, k)
			}
		}
	}
	d.rng.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	for len(kinds) < d.cfg.faults && len(repeat) > 0 {
		kinds = append(kinds, repeat[d.rng.IntN(len(repeat))])
	}
	return kinds[:min(len(kinds), d.cfg.faults)]
}

type faultResult struct {
	Kind   string  `json:"kind"`
	AtS    float64 `json:"at_s"`   // since voting began
	Node   string  `json:"node"`   // the core faulted, or the database or Redis
	ActS   float64 `json:"act_s"`  // fault → the other core acts / the standby promoted / the sentinels promoted the replica
	VoteS  float64 `json:"vote_s"` // fault → the first final ack of a vote sent after the fault
	EdgesS float64 `json:"edges_s,omitempty"`
	Note   string  `json:"note,omitempty"`
}

// drive runs the phones and the faults, then stops the phones and waits
// for their last answers.
func (d *drill) drive() {
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	d.began = time.Now()
	deadline := d.began.Add(d.cfg.duration)
	for _, p := range d.phones {
		wg.Add(1)
		go func() { defer wg.Done(); p.run(ctx) }()
	}
	faults := d.schedule()
	fmt.Printf("drill: seed %d, faults %s, within %v\n", d.cfg.seed, strings.Join(faults, " "), d.cfg.duration)
	time.Sleep(5 * time.Second) // warm up: every phone has voted
	for i, kind := range faults {
		gap := time.Duration(5+d.rng.IntN(10)) * time.Second
		if time.Now().Add(gap).Add(recoverWait).After(deadline) {
			fmt.Printf("drill: no time left for fault %d (%s) within %v\n", i+1, kind, d.cfg.duration)
			break
		}
		if i > 0 {
			time.Sleep(gap)
		}
		r := d.fault(kind)
		d.faultLog = append(d.faultLog, r)
		fmt.Printf("fault %d at %5.1f s: %-10s %-8s acting/promoted after %4.1f s, votes counted again after %4.1f s%s\n",
			i+1, r.AtS, r.Kind, r.Node, r.ActS, r.VoteS, noteSuffix(r))
	}
	time.Sleep(min(10*time.Second, time.Until(deadline))) // votes after the last fault
	stop()
	wg.Wait()
}

func noteSuffix(r faultResult) string {
	s := ""
	if r.EdgesS > 0 {
		s += fmt.Sprintf(", edges ready after %.1f s", r.EdgesS)
	}
	if r.Note != "" {
		s += "; " + r.Note
	}
	return s
}

// fault applies one fault and waits for the cluster to recover from it.
func (d *drill) fault(kind string) faultResult {
	r := faultResult{Kind: kind}
	acting := d.acting()
	if acting == nil {
		d.waitFor("a core to act", recoverWait, func() bool { acting = d.acting(); return acting != nil })
	}
	standby := d.other(acting)
	d.checkNodes()
	t0 := time.Now()
	r.AtS = t0.Sub(d.began).Seconds()
	d.recovered.Store(0)
	d.mark.Store(t0.UnixNano())
	switch kind {
	case coreKill:
		r.Node = acting.name
		acting.kill()
		_ = os.RemoveAll(acting.dir) // its machine is gone
		r.ActS = d.waitFor(standby.name+" to act", recoverWait, func() bool { return d.acting() == standby }).Seconds()
		d.startNode(acting) // back as a standby, on an empty disk
	case corePause:
		r.Node = acting.name
		_ = acting.cmd.Process.Signal(syscall.SIGSTOP)
		r.ActS = d.waitFor(standby.name+" to act", recoverWait, func() bool { return d.acting() == standby }).Seconds()
		time.Sleep(leaseTTL) // paused well past its lease
		_ = acting.cmd.Process.Signal(syscall.SIGCONT)
		select {
		case <-acting.done:
			r.Note = fmt.Sprintf("%s woke and stopped (%v)", acting.name, acting.cmd.ProcessState)
		case <-time.After(recoverWait):
			r.Note = acting.name + " woke and did not stop: killed"
			d.failed = append(d.failed, kind+": the woken core did not stop")
			acting.kill()
		}
		d.startNode(acting)
	case pgKill:
		r.Node = "postgres"
		d.pg.KillPrimary(d.env)
		d.pg.Promote(d.env)
		r.ActS = time.Since(t0).Seconds()
	case redisKill:
		r.Node = "redis"
		d.sentinel.KillMaster(d.env)
		r.ActS = time.Since(t0).Seconds()
		d.waitFor("the edges to be ready", recoverWait, func() bool { return d.edges[0].ready() && d.edges[1].ready() })
		r.EdgesS = time.Since(t0).Seconds()
	}
	limit := time.Now().Add(recoverWait)
	for d.recovered.Load() == 0 && time.Now().Before(limit) {
		time.Sleep(50 * time.Millisecond)
	}
	if at := d.recovered.Load(); at != 0 {
		r.VoteS = time.Duration(at - t0.UnixNano()).Seconds()
	} else {
		d.failed = append(d.failed, fmt.Sprintf("%s at %.1f s: no vote counted within %v", kind, r.AtS, recoverWait))
	}
	time.Sleep(time.Second) // a node the fault made stop has stopped by now
	d.checkNodes()
	return r
}

// checkNodes finds the nodes that stopped though no fault was applied to
// them, records each as a failure, and starts it again, as the runbook
// says (docs/cluster.md §11), so that the drill goes on.
func (d *drill) checkNodes() {
	for _, n := range append(d.cores[:], d.edges[:]...) {
		if n.running() {
			continue
		}
		msg := fmt.Sprintf("%s stopped by itself (%v): %s", n.name, n.cmd.ProcessState, lastLine(n.log))
		fmt.Println("drill: " + msg + "; starting it again")
		// Status 3: a core that lost its lease (Redis out of reach past
		// lease_ttl) stops so that only one acts, as it should.
		if n.role != "core" || n.cmd.ProcessState.ExitCode() != exitLease {
			d.failed = append(d.failed, msg)
		}
		d.startNode(n)
		if n.role == "edge" {
			d.waitFor(n.name+" to be ready", recoverWait, n.ready)
		}
	}
}

// lastLine is the last line of a log file.
func lastLine(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// phone is one participant on one edge; it votes, waits for the final
// answer, and records it.
type phone struct {
	n    int
	d    *drill
	edge *node
	room int64
	rng  *rand.Rand

	token       string
	participant int64
	ws          *websocket.Conn
	msgs        chan inbound
	cancel      context.CancelFunc

	votes []*vote // every vote sent, in order
}

// vote is one vote id and what the phone learnt of it.
type vote struct {
	Phone       int    `json:"phone"`
	Participant int64  `json:"participant"`
	ID          string `json:"vote_id"`
	Seq         int    `json:"seq"`
	Value       int    `json:"value"`
	Status      string `json:"status"` // counted, changed, duplicate (acknowledged); received, busy, error code, closed, none
	Sent        int64  `json:"sent_ms"`
	Final       int64  `json:"final_ms,omitempty"`
	Tries       int    `json:"tries"`
}

func (v *vote) acked() bool {
	return v.Status == "counted" || v.Status == "changed" || v.Status == "duplicate"
}

type inbound struct {
	Type   string `json:"type"`
	VoteID string `json:"vote_id"`
	Status string `json:"status"`
	Code   string `json:"code"`
}

// join joins the event and connects.
func (p *phone) join() error {
	res, err := (&http.Client{Timeout: 10 * time.Second}).Post(p.edge.url()+"/api/events/"+p.d.code+"/join", "application/json", strings.NewReader(`{}`))
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var j struct {
		Token string
		ID    int64 `json:"participant_id"`
	}
	if res.StatusCode != 200 || json.Unmarshal(b, &j) != nil {
		return fmt.Errorf("join: %d %s", res.StatusCode, b)
	}
	p.token, p.participant = j.Token, j.ID
	return p.connect()
}

// connect opens the WebSocket, authenticates and follows the room.
func (p *phone) connect() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(p.edge.url(), "http")+"/ws", nil)
	if err != nil {
		return err
	}
	ws.SetReadLimit(1 << 20)
	rctx, rcancel := context.WithCancel(context.Background())
	p.ws, p.cancel, p.msgs = ws, rcancel, make(chan inbound, 64)
	go func(msgs chan inbound) {
		defer close(msgs)
		for {
			_, b, err := ws.Read(rctx)
			if err != nil {
				return
			}
			if !strings.Contains(string(b[:min(len(b), 120)]), `"type":"ack"`) && !strings.Contains(string(b[:min(len(b), 120)]), `"type":"error"`) {
				continue
			}
			var m inbound
			if json.Unmarshal(b, &m) == nil && m.VoteID != "" {
				msgs <- m
			}
		}
	}(p.msgs)
	for _, m := range []map[string]any{{"type": "auth", "token": p.token}, {"type": "subscribe", "topic": fmt.Sprintf("room:%d", p.room)}} {
		if err := p.send(m); err != nil {
			p.close()
			return err
		}
	}
	return nil
}

func (p *phone) send(m map[string]any) error {
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.ws.Write(ctx, websocket.MessageText, b)
}

func (p *phone) close() {
	if p.ws != nil {
		_ = p.ws.CloseNow()
		p.cancel()
		for range p.msgs { // until the reader has ended
		}
		p.ws = nil
	}
}

// run votes until ctx ends: a random value, the final answer awaited
// (busy: the same vote id again, a connection lost: reconnect and send it
// again), then a pause of 0.5-2.5 s.
func (p *phone) run(ctx context.Context) {
	defer p.close()
	time.Sleep(time.Duration(p.rng.IntN(2000)) * time.Millisecond)
	for seq := 0; ctx.Err() == nil && seq < 10000; seq++ {
		v := &vote{Phone: p.n, Participant: p.participant, ID: fmt.Sprintf("d%d-%05d", p.n, seq), Seq: seq,
			Value: 1 + p.rng.IntN(5), Sent: time.Now().UnixMilli()}
		p.votes = append(p.votes, v)
		p.cast(v)
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(500+p.rng.IntN(2000)) * time.Millisecond):
		}
	}
}

// cast sends v until it has a final answer, for up to finalWait overall.
func (p *phone) cast(v *vote) {
	sent := time.Now()
	limit := sent.Add(finalWait)
	v.Status = "none"
	for v.Tries < 20 && time.Now().Before(limit) {
		if p.ws == nil {
			if err := p.connect(); err != nil {
				time.Sleep(time.Second)
				continue
			}
		}
		v.Tries++
		if err := p.send(map[string]any{"type": "vote", "vote_id": v.ID, "target": p.d.target, "value": v.Value}); err != nil {
			p.close()
			continue
		}
	wait:
		for {
			select {
			case m, ok := <-p.msgs:
				if !ok {
					p.close() // the connection ended: reconnect and send it again
					v.Status = "closed"
					break wait
				}
				if m.VoteID != v.ID {
					continue // a late answer to an earlier vote, already given up on
				}
				switch {
				case m.Type == "ack" && (m.Status == "received" || m.Status == "queued"):
					v.Status = m.Status
				case m.Type == "ack":
					v.Status, v.Final = m.Status, time.Now().UnixMilli()
					if mark := p.d.mark.Load(); mark != 0 && sent.UnixNano() >= mark {
						p.d.recovered.CompareAndSwap(0, time.Now().UnixNano())
					}
					return
				case m.Code == "busy":
					v.Status = "busy"
					time.Sleep(time.Duration(1000+p.rng.IntN(1000)) * time.Millisecond)
					break wait // the same vote id again
				default:
					v.Status, v.Final = "error "+m.Code, time.Now().UnixMilli()
					return
				}
			case <-time.After(time.Until(limit)):
				return // no final answer: not acknowledged
			}
		}
	}
}

// summary is what the drill prints, and writes with -json.
type summary struct {
	Seed          uint64         `json:"seed"`
	Phones        int            `json:"phones"`
	Faults        []faultResult  `json:"faults"`
	Sent          int            `json:"votes_sent"`
	Statuses      map[string]int `json:"statuses"`
	Acknowledged  int            `json:"acknowledged"`
	Lost          int            `json:"lost"`
	Duplicated    int            `json:"duplicated"`
	Stale         int            `json:"stale"`
	Mismatched    int            `json:"mismatched"` // phones whose vote the cluster counts is not the database's
	Unrecovered   []string       `json:"unrecovered,omitempty"`
	TallyServer   []int64        `json:"tally_server"`
	TallyDatabase []int64        `json:"tally_database"`
}

// check compares the phones' record with PostgreSQL and the published
// tally, prints the result and returns the exit status.
func (d *drill) check() int {
	s := d.countSent()
	logged, counted := d.readVotes(&s)

	var lostIDs, staleIDs []string
	for _, p := range d.phones {
		last := -1 // the phone's last acknowledged vote
		for _, v := range p.votes {
			if !v.acked() {
				continue
			}
			last = v.Seq
			if answer, ok := logged[voteKey{p.participant, v.ID}]; !ok || answer != strconv.Itoa(v.Value) {
				s.Lost++
				lostIDs = append(lostIDs, fmt.Sprintf("%s (%s %d, logged %q)", v.ID, v.Status, v.Value, answer))
			}
		}
		if last < 0 {
			continue
		}
		id, ok := counted[p.participant]
		seq := -1
		if ok {
			seq, _ = strconv.Atoi(id[strings.IndexByte(id, '-')+1:])
		}
		if seq < last {
			s.Stale++
			staleIDs = append(staleIDs, fmt.Sprintf("phone %d counts %q, last acknowledged d%d-%05d", p.n, id, p.n, last))
		}
	}

	// The tally the cluster publishes, against the database's votes: a vote
	// counted twice shows above it.
	d.waitFor("a core to act for the final tally", recoverWait, func() bool { return d.acting() != nil })
	// Tallies are coalesced (a frame every tally interval) and cross Redis:
	// the last acknowledged votes reach the published tally shortly after
	// their acks. Read it again for a few seconds before calling it wrong.
	var tally []int64
	for deadline := time.Now().Add(5 * time.Second); ; {
		var err error
		if tally, err = d.serverTally(); err != nil {
			d.env.Fatalf("the published tally: %v", err)
		}
		if slices.Equal(tally, s.TallyDatabase) || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	s.TallyServer = tally
	var mismatchIDs []string
	if !slices.Equal(s.TallyServer, s.TallyDatabase) {
		// Which phones: each one's counted vote as the cluster tells it.
		counts := map[string]string{} // vote id → answer, in the database
		for k, a := range logged {
			counts[k.id] = a
		}
		for _, p := range d.phones {
			got, err := p.me()
			want := counts[counted[p.participant]]
			if err != nil || strconv.Itoa(got) != want {
				s.Mismatched++
				mismatchIDs = append(mismatchIDs, fmt.Sprintf("phone %d: the cluster counts %d (%v), the database %s (%s); its votes %s",
					p.n, got, err, want, counted[p.participant], p.history()))
			}
		}
	}

	printSummary(s, slices.Concat(lostIDs[:min(len(lostIDs), 10)], staleIDs[:min(len(staleIDs), 10)], mismatchIDs[:min(len(mismatchIDs), 10)]), d.failed)
	if d.cfg.jsonOut != "" {
		b, _ := json.MarshalIndent(s, "", "  ")
		if err := os.WriteFile(d.cfg.jsonOut, b, 0o644); err != nil {
			d.env.Fatal(err)
		}
	}
	if s.Lost > 0 || s.Duplicated > 0 || s.Stale > 0 || len(d.failed) > 0 || !slices.Equal(s.TallyServer, s.TallyDatabase) {
		fmt.Println("drill: FAILED")
		return 1
	}
	fmt.Println("drill: passed")
	return 0
}

// countSent counts the votes the phones sent and what came back, recording
// each (-record).
func (d *drill) countSent() summary {
	s := summary{Seed: d.cfg.seed, Phones: len(d.phones), Faults: d.faultLog, Statuses: map[string]int{}, Unrecovered: d.failed}
	var rec *os.File
	if d.cfg.record != "" {
		f, err := os.Create(d.cfg.record)
		if err != nil {
			d.env.Fatal(err)
		}
		defer f.Close()
		rec = f
	}
	for _, p := range d.phones {
		for _, v := range p.votes {
			s.Sent++
			s.Statuses[v.Status]++
			if v.acked() {
				s.Acknowledged++
			}
			if rec != nil {
				b, _ := json.Marshal(v)
				fmt.Fprintf(rec, "%s\n", b)
			}
		}
	}
	return s
}

// voteKey is one vote id of one participant.
type voteKey struct {
	participant int64
	id          string
}

// readVotes reads the database directly, from whichever server is the
// primary: every vote id logged with its answer (the duplicates counted in
// s), and the vote id counted for each participant on the target (the
// tally in s).
func (d *drill) readVotes(s *summary) (logged map[voteKey]string, counted map[int64]string) {
	// The database: read it directly, from whichever server is the primary.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, d.pg.URL())
	if err != nil {
		d.env.Fatal(err)
	}
	defer conn.Close(context.Background())
	logged = map[voteKey]string{}
	rows, err := conn.Query(ctx, `SELECT participant_id, vote_id, answer, count(*) OVER (PARTITION BY participant_id, vote_id) FROM vote_log WHERE event_id = $1`, d.eventID)
	if err != nil {
		d.env.Fatal(err)
	}
	for rows.Next() {
		var k voteKey
		var answer string
		var n int64
		if err := rows.Scan(&k.participant, &k.id, &answer, &n); err != nil {
			d.env.Fatal(err)
		}
		logged[k] = answer
		s.Duplicated += int(n - 1) // n rows for one vote id: n-1 of them extra (the primary key forbids it)
	}
	if rows.Err() != nil {
		d.env.Fatal(rows.Err())
	}
	counted = map[int64]string{} // participant → the vote id counted
	s.TallyDatabase = make([]int64, 5)
	rows, err = conn.Query(ctx, `SELECT participant_id, vote_id, answer FROM votes WHERE event_id = $1 AND target_kind || ':' || target_id = $2`, d.eventID, d.target)
	if err != nil {
		d.env.Fatal(err)
	}
	for rows.Next() {
		var pid int64
		var id, answer string
		if err := rows.Scan(&pid, &id, &answer); err != nil {
			d.env.Fatal(err)
		}
		counted[pid] = id
		if n, err := strconv.Atoi(answer); err == nil && n >= 1 && n <= 5 {
			s.TallyDatabase[n-1]++
		}
	}
	if rows.Err() != nil {
		d.env.Fatal(rows.Err())
	}
	return logged, counted
}

// printSummary prints the drill's findings, with examples of the votes
// lost, stale or mismatched and the faults not recovered.
func printSummary(s summary, examples, failed []string) {
	keys := make([]string, 0, len(s.Statuses))
	for k := range s.Statuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var st []string
	for _, k := range keys {
		st = append(st, fmt.Sprintf("%s %d", k, s.Statuses[k]))
	}
	fmt.Printf("votes sent %d: %s\n", s.Sent, strings.Join(st, ", "))
	fmt.Printf("tally published %v, in the database %v\n", s.TallyServer, s.TallyDatabase)
	fmt.Printf("acknowledged %d  lost %d  duplicated %d  stale %d\n", s.Acknowledged, s.Lost, s.Duplicated, s.Stale)
	if !slices.Equal(s.TallyServer, s.TallyDatabase) {
		fmt.Printf("the published tally is not the database's; %d phones' votes as the cluster tells them differ from the database\n", s.Mismatched)
	}
	for _, l := range examples {
		fmt.Println("  " + l)
	}
	for _, f := range failed {
		fmt.Println("not recovered: " + f)
	}
}

// me is the phone's vote on the target as the cluster counts it (GET
// /api/me through its edge).
func (p *phone) me() (int, error) {
	req, _ := http.NewRequest("GET", p.edge.url()+"/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+p.token)
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var me struct{ Votes map[string]int }
	if res.StatusCode != 200 {
		return 0, fmt.Errorf("GET /api/me: %d", res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(&me); err != nil {
		return 0, err
	}
	return me.Votes[p.d.target], nil
}

// history is the phone's last votes, for a report.
func (p *phone) history() string {
	var out []string
	for _, v := range p.votes[max(0, len(p.votes)-4):] {
		out = append(out, fmt.Sprintf("%s=%d %s", v.ID, v.Value, v.Status))
	}
	return strings.Join(out, ", ")
}

// serverTally reads the committed tally of the target from the control
// topic's snapshot, through the first edge.
func (d *drill) serverTally() ([]int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	h := http.Header{"Authorization": {"Bearer " + apiToken}}
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(d.edges[0].url(), "http")+"/ws", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		return nil, err
	}
	defer ws.CloseNow()
	ws.SetReadLimit(4 << 20)
	b, _ := json.Marshal(map[string]any{"type": "subscribe", "topic": fmt.Sprintf("control:%d", d.eventID)})
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		return nil, err
	}
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			return nil, err
		}
		var snap struct {
			Type   string `json:"type"`
			Frames []struct {
				Type   string  `json:"type"`
				Target string  `json:"target"`
				Counts []int64 `json:"counts"`
			} `json:"frames"`
		}
		if json.Unmarshal(b, &snap) != nil || snap.Type != "snapshot" {
			continue
		}
		for _, f := range snap.Frames {
			if f.Type == "tally" && f.Target == d.target {
				if f.Counts == nil {
					f.Counts = make([]int64, 5)
				}
				return f.Counts, nil
			}
		}
		return nil, errors.New("no tally for the target in the control snapshot")
	}
}
