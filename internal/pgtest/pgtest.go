// Package pgtest starts a real PostgreSQL for tests: a primary and a
// streaming standby made from it with pg_basebackup, the standby synchronous
// (synchronous_commit = on, named in the primary's synchronous_standby_names),
// so that a commit returns only once the standby has it: the layout
// docs/cluster.md asks for, on free loopback ports.
//
// It uses Debian's PostgreSQL 15 (/usr/lib/postgresql/15/bin), or the
// directory of pg_ctl on the PATH. Without them a test is skipped, except in
// CI (CI=true), where it fails: scripts/test installs them.
//
// PostgreSQL refuses to run as root, and tests run as root here. A test run
// by root starts every PostgreSQL program under the postgres account that
// Debian's postgresql-common creates with the binaries (or, where there is
// none, a system account ovation-pg, created with useradd on first use),
// with no supplementary groups, through the credential of the child process
// (what setpriv --reuid --regid --clear-groups does, without a process in
// between: the PID the helper holds is the postmaster's). A test run by any
// other user runs them as itself.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sys/unix"
)

// User and Database name the superuser and the database every URL points
// at; the superuser needs no password on loopback.
const (
	User     = "ovation"
	Database = "ovation"
)

// standbyName is the standby's application_name, the name the primary's
// synchronous_standby_names waits for.
const standbyName = "standby"

// startTimeout bounds every wait of the helper: a server's start, a
// promotion, a standby catching up.
const startTimeout = 30 * time.Second

// Cluster is a PostgreSQL primary and its synchronous standby, started by
// a test; every process is killed and every file removed when the test
// ends.
type Cluster struct {
	bin  string              // directory of initdb, pg_ctl, postgres, pg_basebackup
	cred *syscall.Credential // the servers' account; nil when the test is not root
	dir  string              // every file: data directories, logs, sockets

	primary, standby *server
	promoted         bool // the standby was promoted: it is the primary now
}

// server is one postmaster: its port, data directory and process.
type server struct {
	name string
	port int
	data string
	log  string
	cmd  *exec.Cmd
	done chan struct{} // closed once the postmaster has ended
}

// Start starts a primary and a synchronous streaming standby on free
// loopback ports, creates the database, and returns once a commit on the
// primary waits for the standby. It skips the test when PostgreSQL is not
// installed (fails with CI=true).
func Start(tb testing.TB) *Cluster {
	tb.Helper()
	bin := findBin()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal("postgresql is not installed (scripts/test installs it)")
		}
		tb.Skip("postgresql is not installed; scripts/test installs it")
	}
	c := &Cluster{bin: bin, cred: credential(tb)}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		tb.Fatal(err)
	}
	c.dir = dir
	tb.Cleanup(c.cleanup(tb))
	if err := os.Mkdir(filepath.Join(dir, "sock"), 0o700); err != nil {
		tb.Fatal(err)
	}
	for _, p := range []string{dir, filepath.Join(dir, "sock")} {
		c.chown(tb, p)
	}
	ports := freePorts(tb, 2)
	c.primary = &server{name: "primary", port: ports[0], data: filepath.Join(dir, "primary"), log: filepath.Join(dir, "primary.log")}
	c.standby = &server{name: "standby", port: ports[1], data: filepath.Join(dir, "standby"), log: filepath.Join(dir, "standby.log")}

	// --no-sync skips only initdb's own flush of the new files; the servers
	// keep fsync on.
	c.run(tb, "initdb", "-D", c.primary.data, "-U", User, "--auth=trust", "--encoding=UTF8", "--locale=C",
		"--no-sync", "--no-instructions")
	c.startServer(tb, c.primary)
	c.waitServer(tb, c.primary, false)
	c.exec(tb, c.primary, "CREATE DATABASE "+Database)

	// The standby's postgresql.auto.conf gets primary_conninfo (-R); its
	// application_name is the one synchronous_standby_names will name.
	c.run(tb, "pg_basebackup", "-D", c.standby.data, "-R", "-X", "stream", "-c", "fast", "--no-sync",
		"-d", fmt.Sprintf("host=127.0.0.1 port=%d user=%s application_name=%s", c.primary.port, User, standbyName))
	c.startServer(tb, c.standby)
	c.waitServer(tb, c.standby, true)

	// Set after the base backup, so that the standby, once promoted, waits
	// for no standby of its own.
	c.exec(tb, c.primary, fmt.Sprintf("ALTER SYSTEM SET synchronous_standby_names = '%q'", standbyName))
	c.exec(tb, c.primary, "SELECT pg_reload_conf()")
	c.waitSync(tb)
	return c
}

// URL is the cluster's address for a client that follows a failover: both
// servers, the one that accepts writes chosen at connection.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d,127.0.0.1:%d/%s?target_session_attrs=read-write&sslmode=disable",
		User, c.primary.port, c.standby.port, Database)
}

// PrimaryURL is the address of the server that is the primary: the first
// one, or the standby once Promote has returned.
func (c *Cluster) PrimaryURL() string {
	if c.promoted {
		return c.standby.url(Database)
	}
	return c.primary.url(Database)
}

// StandbyURL is the address of the standby: read-only until Promote.
func (c *Cluster) StandbyURL() string { return c.standby.url(Database) }

// KillPrimary sends SIGKILL to the primary's postmaster and its backends
// (its process group: the machine is gone) and waits for it to end. The
// standby keeps what the primary committed, and nothing is promoted.
func (c *Cluster) KillPrimary(tb testing.TB) {
	tb.Helper()
	c.kill(tb, c.primary)
}

// Promote promotes the standby with pg_ctl promote, as Patroni would, and
// returns once it accepts writes. The primary must be dead (KillPrimary):
// nothing fences it here.
func (c *Cluster) Promote(tb testing.TB) {
	tb.Helper()
	if c.primary.running() {
		tb.Fatal("pgtest: Promote with the primary running; KillPrimary first")
	}
	c.run(tb, "pg_ctl", "promote", "-D", c.standby.data, "-w", "-t", strconv.Itoa(int(startTimeout/time.Second)))
	c.waitServer(tb, c.standby, false)
	c.promoted = true
}

// StopStandby shuts the standby down (fast shutdown) and waits for it to
// end. A commit on the primary then waits until StartStandby.
func (c *Cluster) StopStandby(tb testing.TB) {
	tb.Helper()
	s := c.standby
	if !s.running() {
		return
	}
	_ = syscall.Kill(s.cmd.Process.Pid, syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(startTimeout):
		c.kill(tb, s)
		tb.Fatalf("pgtest: the standby did not stop%s", s.logTail())
	}
}

// StartStandby starts the standby again after StopStandby and returns once
// it streams from the primary as its synchronous standby (or, once
// promoted, once it accepts writes).
func (c *Cluster) StartStandby(tb testing.TB) {
	tb.Helper()
	if c.standby.running() {
		return
	}
	c.startServer(tb, c.standby)
	c.waitServer(tb, c.standby, !c.promoted)
	if !c.promoted && c.primary.running() {
		c.waitSync(tb)
	}
}

func (s *server) url(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", User, s.port, db)
}

func (s *server) running() bool {
	if s.done == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// logTail is the end of the server's log, to explain a failure.
func (s *server) logTail() string {
	b, err := os.ReadFile(s.log)
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return fmt.Sprintf("\n%s log (end):\n%s", s.name, b)
}

// startServer starts s's postmaster in a process group of its own, so that
// a kill reaches its backends too. Every setting that differs between the
// two servers, or that the tests rely on, is on the command line, which
// overrides the configuration files the standby copied.
func (c *Cluster) startServer(tb testing.TB, s *server) {
	tb.Helper()
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	defer logf.Close()
	cmd := c.command("postgres", "-D", s.data,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "port="+strconv.Itoa(s.port),
		"-c", "unix_socket_directories="+filepath.Join(c.dir, "sock"),
		"-c", "cluster_name="+s.name,
		"-c", "max_connections=50",
		"-c", "shared_buffers=16MB",
		// fsync stays on: a commit the tests count as acknowledged is on disk.
		"-c", "fsync=on",
		"-c", "synchronous_commit=on",
		"-c", "wal_level=replica",
		"-c", "max_wal_senders=4",
		"-c", "wal_keep_size=64MB",
		"-c", "hot_standby=on",
		"-c", "wal_retrieve_retry_interval=200ms",
		// Files in the data directory, removed with it, rather than in
		// /dev/shm, where a killed server would leave them.
		"-c", "dynamic_shared_memory_type=mmap",
		"-c", "jit=off",
		"-c", "logging_collector=off",
	)
	cmd.Stdout = logf
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		tb.Fatalf("pgtest: start %s: %v", s.name, err)
	}
	s.cmd = cmd
	s.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(cmd, s.done)
}

// waitServer waits until s accepts connections, in recovery (a standby) or
// accepting writes as asked.
func (c *Cluster) waitServer(tb testing.TB, s *server, recovery bool) {
	tb.Helper()
	deadline := time.Now().Add(startTimeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			tb.Fatalf("pgtest: %s ended while starting%s", s.name, s.logTail())
		default:
		}
		var inRecovery bool
		last = query(s.url("postgres"), "SELECT pg_is_in_recovery()", &inRecovery)
		if last == nil && inRecovery == recovery {
			return
		}
		if last == nil {
			last = fmt.Errorf("in recovery: %v", inRecovery)
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("pgtest: %s did not become ready: %v%s", s.name, last, s.logTail())
}

// waitSync waits until the primary streams to the standby as its
// synchronous standby: from then on a commit waits for it.
func (c *Cluster) waitSync(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(startTimeout)
	var state string
	var last error
	for time.Now().Before(deadline) {
		last = query(c.primary.url("postgres"),
			"SELECT coalesce(max(sync_state), '') FROM pg_stat_replication WHERE application_name = '"+standbyName+"' AND state = 'streaming'",
			&state)
		if last == nil && state == "sync" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("pgtest: the standby is not synchronous (state %q, %v)%s%s", state, last, c.primary.logTail(), c.standby.logTail())
}

// exec runs one statement on s's postgres database.
func (c *Cluster) exec(tb testing.TB, s *server, sql string) {
	tb.Helper()
	if err := query(s.url("postgres"), sql); err != nil {
		tb.Fatalf("pgtest: %s: %v%s", sql, err, s.logTail())
	}
}

// query connects to url, runs sql and scans its row into dest (if any).
func query(url, sql string, dest ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if len(dest) == 0 {
		_, err = conn.Exec(ctx, sql)
		return err
	}
	return conn.QueryRow(ctx, sql).Scan(dest...)
}

// kill sends SIGKILL to s's process group and waits for the postmaster.
func (c *Cluster) kill(tb testing.TB, s *server) {
	tb.Helper()
	if !s.running() {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		tb.Errorf("pgtest: %s (pid %d) did not die", s.name, s.cmd.Process.Pid)
		return
	}
	removeSharedMemory(s.data)
}

// removeSharedMemory removes the small System V segment of a killed
// postmaster, which PostgreSQL removes only when it exits by itself. Its key
// and id are on the 7th line of postmaster.pid; the segment goes once its
// last dying backend detaches.
func removeSharedMemory(data string) {
	b, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
	if err != nil {
		return
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 7 {
		return
	}
	f := strings.Fields(lines[6])
	if len(f) != 2 {
		return
	}
	key, err1 := strconv.ParseInt(f[0], 10, 32)
	id, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return
	}
	var desc unix.SysvShmDesc
	if _, err := unix.SysvShmCtl(id, unix.IPC_STAT, &desc); err != nil || desc.Perm.Key != int32(key) {
		return
	}
	_, _ = unix.SysvShmCtl(id, unix.IPC_RMID, nil)
}

// cleanup kills both servers and removes every file.
func (c *Cluster) cleanup(tb testing.TB) func() {
	return func() {
		for _, s := range []*server{c.primary, c.standby} {
			if s != nil {
				c.kill(tb, s)
			}
		}
		if err := os.RemoveAll(c.dir); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	}
}

// run runs one of PostgreSQL's programs to its end.
func (c *Cluster) run(tb testing.TB, name string, args ...string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	out, err := runContext(ctx, c.command(name, args...))
	if err != nil {
		tb.Fatalf("pgtest: %s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, c.primary.logTail())
	}
}

// runContext runs cmd, killing its process group when ctx ends first.
func runContext(ctx context.Context, cmd *exec.Cmd) ([]byte, error) {
	var out strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return []byte(out.String()), err
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return []byte(out.String()), ctx.Err()
	}
}

// command prepares one of PostgreSQL's programs, run under the servers'
// account, in a process group of its own, killed if the test process dies.
func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = []string{"PATH=" + c.bin + ":/usr/bin:/bin", "HOME=" + c.dir, "LC_ALL=C", "TZ=UTC"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	return cmd
}

// chown gives path to the servers' account.
func (c *Cluster) chown(tb testing.TB, path string) {
	tb.Helper()
	if c.cred == nil {
		return
	}
	if err := os.Chown(path, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
		tb.Fatal(err)
	}
}

// findBin is the directory of PostgreSQL's programs, or "".
func findBin() string {
	const debian = "/usr/lib/postgresql/15/bin"
	if _, err := os.Stat(filepath.Join(debian, "initdb")); err == nil {
		return debian
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir
		}
	}
	return ""
}

// accounts are the accounts the servers may run under when the test is
// root, in order of preference; the last is created when none exists.
var accounts = []string{"postgres", "ovation-pg"}

// credential is the account the servers run under: nil (the test's own)
// unless the test is root.
func credential(tb testing.TB) *syscall.Credential {
	tb.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := lookupAccount()
	if err != nil {
		tb.Fatalf("pgtest: PostgreSQL refuses to run as root, and no account to run it under: %v", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		tb.Fatal(err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
}

// lookupAccount finds the first of accounts, creating the last one when
// none exists. Test binaries of several packages may race to create it: a
// failed useradd is followed by a second lookup.
func lookupAccount() (*user.User, error) {
	for _, name := range accounts {
		if u, err := user.Lookup(name); err == nil {
			return u, nil
		}
	}
	name := accounts[len(accounts)-1]
	var out []byte
	var err error
	for range 3 {
		out, err = exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name).CombinedOutput()
		if u, lerr := user.Lookup(name); lerr == nil {
			return u, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil, fmt.Errorf("useradd %s: %v: %s", name, err, out)
}

// freePorts returns n distinct free loopback ports.
func freePorts(tb testing.TB, n int) []int {
	tb.Helper()
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports
}
