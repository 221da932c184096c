package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// process is the server binary running as a child process.
type process struct {
	cmd  *exec.Cmd
	URL  string
	addr chan string // the address it serves on, once it does
	done chan struct{}
}

// buildServer compiles the server binary once per test.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ovation")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// startProcess starts the server binary on a loopback port with the test's
// credentials and generous rate limits, extra flags last, and waits for its
// banner.
func startProcess(t *testing.T, bin, dataDir string, extra ...string) *process {
	t.Helper()
	return startProcessUnder(t, nil, bin, dataDir, extra...)
}

// startProcessUnder is startProcess with the binary run by the command
// prefix (for example a shell that prepares a mount namespace and execs it).
func startProcessUnder(t *testing.T, prefix []string, bin, dataDir string, extra ...string) *process {
	t.Helper()
	p := launchProcess(t, prefix, bin, dataDir, extra...)
	p.waitServing(t, 30*time.Second)
	return p
}

// launchProcess starts the server and returns at once, before it serves (a
// standby core serves only once it takes over): waitServing waits for that.
func launchProcess(t *testing.T, prefix []string, bin, dataDir string, extra ...string) *process {
	t.Helper()
	args := append([]string{"-listen", "127.0.0.1:0", "-data_dir", dataDir, "-api_token", testAPIToken,
		"-moderator_password", "correct horse", "-config", "/dev/null", "-log.level", "warn", "-shutdown_drain", "0s",
		"-limits.vote_rate", "100000", "-limits.vote_burst", "100000", "-limits.ip_vote_rate", "100000", "-limits.ip_vote_burst", "100000",
		"-limits.message_rate", "100000", "-limits.message_burst", "100000"}, extra...)
	argv := append(append(slices.Clone(prefix), bin), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, addr: make(chan string, 1), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := addrRE.FindStringSubmatch(sc.Text()); m != nil {
				p.addr <- m[1]
			}
		}
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill(t) })
	return p
}

// waitServing waits up to d for p to serve, and sets its URL.
func (p *process) waitServing(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case a := <-p.addr:
		p.URL = "http://" + a
	case <-p.done:
		t.Fatal("server process exited at start")
	case <-time.After(d):
		t.Fatalf("server process did not serve within %s", d)
	}
}

// kill sends SIGKILL to the process this test started (by its PID) and waits.
func (p *process) kill(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Error("process did not die")
	}
}

// TestDurabilityAfterSIGKILL kills the server with SIGKILL while phones vote,
// restarts it on the same data and checks that every acknowledged vote is
// counted, none twice.
func TestDurabilityAfterSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	dir := t.TempDir()
	p := startProcess(t, bin, dir)
	var poll struct{ ID int64 }
	f := newFixture(t, p.URL, "KILL", 0)
	must(t, p.URL, "POST", "/api/events/KILL/polls", map[string]any{"room_id": f.RoomID, "question": "Q?", "kind": "scale", "scale_max": 5}, &poll)
	must(t, p.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/open", poll.ID), nil, nil)
	target := fmt.Sprintf("poll:%d", poll.ID)

	const nPhones = 60
	phones := make([]*phone, nPhones)
	for i := range phones {
		j := join(t, p.URL, f.Code, nil)
		phones[i] = &phone{j: j, ws: dial(t, p.URL)}
		phones[i].ws.auth(t, j.Token)
	}

	// Each phone votes again and again (changing its vote) until the server
	// dies. acked[i] is the value of its last acknowledged vote; sent[i] the
	// vote in flight when it died, if any.
	type state struct {
		ackedID, sentID   string
		ackedVal, sentVal int
	}
	states := make([]state, nPhones)
	var acks atomic.Int64
	var wg sync.WaitGroup
	for i, ph := range phones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 10000; n++ {
				id, v := fmt.Sprintf("d-%d-%d", i, n), 1+(i+n)%5
				states[i].sentID, states[i].sentVal = id, v
				m, err := ph.vote(t, id, target, v)
				if err != nil {
					return // the server is gone
				}
				if m.str("type") != "ack" {
					t.Errorf("vote refused: %v", m)
					return
				}
				states[i].ackedID, states[i].ackedVal = id, v
				states[i].sentID = ""
				acks.Add(1)
			}
		}()
	}
	for acks.Load() < 3000 {
		select {
		case <-p.done:
			t.Fatal("server died early")
		case <-time.After(5 * time.Millisecond): // polling the ack counter the voters bump
		}
	}
	p.kill(t)
	wg.Wait()
	for _, ph := range phones {
		ph.ws.Close()
	}
	if acks.Load() < 3000 {
		t.Fatalf("only %d acks", acks.Load())
	}

	again := startProcess(t, bin, dir)
	counted := 0
	for i, ph := range phones {
		st := states[i]
		var me struct {
			Votes map[string]int `json:"votes"`
		}
		if st := call(t, again.URL, "GET", "/api/me", ph.j.Token, nil, &me); st != 200 {
			t.Fatalf("GET /api/me: %d", st)
		}
		got, ok := me.Votes[target]
		switch {
		case st.ackedID == "":
			// never acknowledged: may or may not have been committed
		case !ok:
			t.Errorf("phone %d: acknowledged vote %s lost", i, st.ackedID)
		case got != st.ackedVal && !(st.sentID != "" && got == st.sentVal):
			t.Errorf("phone %d: counted value %d, want acknowledged %d (or in-flight %d)", i, got, st.ackedVal, st.sentVal)
		}
		if ok {
			counted++
		}
	}
	var res struct {
		Polls []struct {
			Audience struct{ Count int } `json:"audience"`
		} `json:"polls"`
	}
	must(t, again.URL, "GET", "/api/events/KILL/results", nil, &res)
	if res.Polls[0].Audience.Count != counted {
		t.Fatalf("poll counts %d votes, phones hold %d: a vote was counted twice or lost", res.Polls[0].Audience.Count, counted)
	}
	// Replaying the acknowledged vote ids changes nothing.
	for i, ph := range phones {
		if states[i].ackedID == "" {
			continue
		}
		ph.ws = dial(t, again.URL)
		ph.ws.auth(t, ph.j.Token)
		m, err := ph.vote(t, states[i].ackedID, target, states[i].ackedVal)
		if err != nil || m.str("status") != "duplicate" {
			t.Fatalf("replay after restart: %v %v", m, err)
		}
	}
	must(t, again.URL, "GET", "/api/events/KILL/results", nil, &res)
	if res.Polls[0].Audience.Count != counted {
		t.Fatalf("after replays %d votes, want %d", res.Polls[0].Audience.Count, counted)
	}
	t.Logf("%d votes acknowledged before SIGKILL; %d phones counted after restart", acks.Load(), counted)
}
