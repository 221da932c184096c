package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// asUnprivileged returns cmd's process attributes for a user the file
// permissions apply to: nobody when the test runs as root (root writes
// anywhere), the test's own user otherwise.
func asUnprivileged(cmd *exec.Cmd) {
	if os.Getuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
}

// TestStartRefusesUnwritableData starts the server on a data directory it
// cannot write, and on a database file it cannot write: it refuses to
// start, naming the directory or the file and the cause, instead of
// answering "ready" and failing at the first join.
func TestStartRefusesUnwritableData(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	// A directory every user can reach, for the binary and the data.
	root, err := os.MkdirTemp("", "ovation-readonly-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	must0(t, os.Chmod(root, 0o755))
	bin := filepath.Join(root, "ovation")
	src, err := os.ReadFile(buildServer(t))
	must0(t, err)
	must0(t, os.WriteFile(bin, src, 0o755))

	start := func(t *testing.T, dataDir string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "-listen", "127.0.0.1:0", "-data_dir", dataDir, "-config", "/dev/null", "-log.level", "warn")
		asUnprivileged(cmd)
		out, err := cmd.CombinedOutput()
		if err == nil || ctx.Err() != nil {
			t.Fatalf("the server started on %s:\n%s", dataDir, out)
		}
		return string(out)
	}

	t.Run("a read-only data directory is named with its cause", func(t *testing.T) {
		dir := filepath.Join(root, "ro-dir")
		must0(t, os.Mkdir(dir, 0o555))
		out := start(t, dir)
		if !strings.Contains(out, "data directory "+dir+" cannot be written") || !strings.Contains(out, "permission denied") {
			t.Fatalf("output does not name the directory and the cause:\n%s", out)
		}
	})
	t.Run("a read-only database file is named with its cause", func(t *testing.T) {
		dir := filepath.Join(root, "ro-file")
		must0(t, os.Mkdir(dir, 0o777))
		must0(t, os.Chmod(dir, 0o777))
		db := filepath.Join(dir, "ovation.db")
		must0(t, os.WriteFile(db, nil, 0o444)) // an empty file is a valid empty database
		out := start(t, dir)
		if !strings.Contains(out, "database file "+db+" cannot be written") || !strings.Contains(out, "permission denied") {
			t.Fatalf("output does not name the file and the cause:\n%s", out)
		}
	})
}

func must0(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// TestFullDiskIsBusyAndNotReady runs the server on a small tmpfs of its own
// (a private mount namespace), fills the disk under it, and checks that a
// join and a moderator action answer 503 busy and /readyz turns 503; once
// space is freed, the next write succeeds and /readyz is 200 again.
func TestFullDiskIsBusyAndNotReady(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	if os.Getuid() != 0 {
		t.Skip("mounting a tmpfs in a private mount namespace needs root")
	}
	for _, tool := range []string{"unshare", "nsenter"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s (util-linux) is missing", tool)
		}
	}
	bin := buildServer(t)
	dir := t.TempDir()
	mount := []string{"unshare", "--mount", "--propagation", "private", "sh", "-c",
		`mount -t tmpfs -o size=4m tmpfs "$1" && shift && exec "$@"`, "sh", dir}
	p := startProcessUnder(t, mount, bin, dir, "-seed_demo=false", "-limits.join_rate", "1000", "-limits.join_burst", "1000")
	f := newFixture(t, p.URL, "FULL", 1)
	join(t, p.URL, f.Code, nil)

	inNS := func(script string) {
		t.Helper()
		out, err := exec.Command("nsenter", "-t", fmt.Sprint(p.cmd.Process.Pid), "-m", "sh", "-c", script).CombinedOutput()
		if err != nil && !strings.Contains(string(out), "No space left on device") {
			t.Fatalf("%s: %v\n%s", script, err, out)
		}
	}
	ready := func() int {
		res, err := http.Get(p.URL + "/readyz")
		must0(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	inNS(`dd if=/dev/zero of="` + dir + `/fill" bs=64k 2>&1`)

	// The first writes may still fit in pages the files already hold.
	var st int
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	for i := 0; i < 200; i++ {
		if st = call(t, p.URL, "POST", "/api/events/FULL/join", "", map[string]any{}, &body); st != http.StatusOK {
			break
		}
	}
	if st != http.StatusServiceUnavailable || body.Error.Code != "busy" {
		t.Fatalf("join on a full disk: %d %s, want 503 busy", st, body.Error.Code)
	}
	if r := ready(); r != http.StatusServiceUnavailable {
		t.Fatalf("/readyz on a full disk: %d, want 503", r)
	}
	var raw json.RawMessage
	if st := call(t, p.URL, "POST", "/api/events", testAPIToken, map[string]any{"code": "FULL2", "title": "Full"}, &raw); st != http.StatusServiceUnavailable {
		t.Fatalf("creating an event on a full disk: %d %s, want 503", st, raw)
	}

	inNS(`rm "` + dir + `/fill"`)
	if st := call(t, p.URL, "POST", "/api/events/FULL/join", "", map[string]any{}, nil); st != http.StatusOK {
		t.Fatalf("join once space is back: %d, want 200", st)
	}
	if r := ready(); r != http.StatusOK {
		t.Fatalf("/readyz once a write succeeded again: %d, want 200", r)
	}
}

// TestShutdownDrainIsVisible stops the server with SIGTERM: for
// shutdown_drain it keeps answering, /readyz with 503, so that a load
// balancer sees the node go; then the listener closes and the process ends
// cleanly. A second SIGTERM ends the drain at once.
func TestShutdownDrainIsVisible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	ready := func(base string) (int, error) {
		res, err := http.Get(base + "/readyz")
		if err != nil {
			return 0, err
		}
		res.Body.Close()
		return res.StatusCode, nil
	}
	waitExit := func(p *process, within time.Duration) {
		t.Helper()
		select {
		case <-p.done:
		case <-time.After(within):
			t.Fatalf("the server did not stop within %v", within)
		}
		if !p.cmd.ProcessState.Success() {
			t.Fatalf("the server ended with %v", p.cmd.ProcessState)
		}
	}

	t.Run("readyz answers 503 through the drain, then the listener closes", func(t *testing.T) {
		p := startProcess(t, bin, t.TempDir(), "-shutdown_drain", "2s")
		if st, err := ready(p.URL); err != nil || st != http.StatusOK {
			t.Fatalf("/readyz before: %d %v", st, err)
		}
		sent := time.Now()
		must0(t, p.cmd.Process.Signal(syscall.SIGTERM))
		seen503 := false
		for time.Since(sent) < 1500*time.Millisecond {
			st, err := ready(p.URL)
			if err != nil {
				t.Fatalf("/readyz %v after SIGTERM: %v, want 503 until the drain ends", time.Since(sent).Round(time.Millisecond), err)
			}
			if st == http.StatusServiceUnavailable {
				seen503 = true
			} else if seen503 || time.Since(sent) > 500*time.Millisecond {
				t.Fatalf("/readyz %v after SIGTERM: %d, want 503", time.Since(sent).Round(time.Millisecond), st)
			}
			time.Sleep(50 * time.Millisecond) // a health checker's polling interval, not a wait for a state
		}
		if !seen503 {
			t.Fatal("/readyz never answered 503")
		}
		waitExit(p, 15*time.Second)
		if _, err := ready(p.URL); err == nil {
			t.Fatal("the listener is still open after the server stopped")
		}
	})
	t.Run("a second signal ends the drain at once", func(t *testing.T) {
		p := startProcess(t, bin, t.TempDir(), "-shutdown_drain", "60s")
		must0(t, p.cmd.Process.Signal(syscall.SIGTERM))
		deadline := time.Now().Add(10 * time.Second)
		for {
			if st, err := ready(p.URL); err == nil && st == http.StatusServiceUnavailable {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("/readyz did not turn 503")
			}
			time.Sleep(20 * time.Millisecond)
		}
		must0(t, p.cmd.Process.Signal(syscall.SIGTERM))
		waitExit(p, 15*time.Second)
	})
}
