package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startServer builds and runs the real server binary on a loopback port.
func startServer(t *testing.T) (url string, pid int) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ovation")
	if out, err := exec.Command("go", "build", "-o", bin, "../ovation").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-data_dir", t.TempDir(), "-api_token", "load-test-token",
		"-moderator_password", "correct horse", "-config", "/dev/null", "-seed_demo=false", "-log.level", "warn",
		"-votes.audience_tally_interval", "100ms")
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	addr := make(chan string, 1)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`running on (\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-done
		_ = cmd.Wait()
	})
	select {
	case a := <-addr:
		return "http://" + a, cmd.Process.Pid
	case <-time.After(60 * time.Second):
		t.Fatal("server did not start")
	}
	return "", 0
}

func TestKeynoteAndFanout(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the server binary")
	}
	url, pid := startServer(t)
	t.Run("keynote counts every acknowledged vote", func(t *testing.T) {
		dir := t.TempDir()
		out, timeline, prof := filepath.Join(dir, "sum.json"), filepath.Join(dir, "timeline.csv"), filepath.Join(dir, "cpu.pprof")
		var log bytes.Buffer
		err := run(t.Context(), []string{"-targets", url, "-api-token", "load-test-token", "-phones", "120", "-stages", "2",
			"-burst", "1s", "-change", "0.3", "-pid", strconv.Itoa(pid), "-json", out, "-timeout", "60s",
			"-timeline", timeline, "-cpuprofile", prof}, &log, &log)
		if err != nil {
			t.Fatalf("run: %v\n%s", err, log.String())
		}
		var s Summary
		b, _ := os.ReadFile(out)
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		if s.Connected != 122 || s.VotesAcked != s.VotesSent || s.VotesAcked < 120 || s.TallyMatches == nil || !*s.TallyMatches ||
			s.AckMS == nil || s.VoteToStageMS == nil || s.VoteToStageMS.N != 120 || s.Server == nil || s.Server.RSSPeakKiB == 0 {
			t.Fatalf("summary: %s\n%s", b, log.String())
		}
		rows, _ := os.ReadFile(timeline)
		lines := strings.Split(strings.TrimSpace(string(rows)), "\n")
		if len(lines) != 1+s.VotesAcked || lines[0] != "sent_ms,received_ms,ack_ms" || strings.Count(lines[1], ",") != 2 {
			t.Errorf("timeline of %d acknowledged votes:\n%s", s.VotesAcked, string(rows[:min(len(rows), 300)]))
		}
		if fi, err := os.Stat(prof); err != nil || fi.Size() == 0 {
			t.Errorf("no CPU profile: %v", err)
		}
	})
	t.Run("wordcloud counts every word of every acknowledged answer", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "sum.json")
		var log bytes.Buffer
		err := run(t.Context(), []string{"-targets", url, "-api-token", "load-test-token", "-scenario", "wordcloud", "-phones", "80",
			"-stages", "1", "-burst", "1s", "-change", "0.3", "-json", out, "-timeout", "60s"}, &log, &log)
		if err != nil {
			t.Fatalf("run: %v\n%s", err, log.String())
		}
		var s Summary
		b, _ := os.ReadFile(out)
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		var words int64
		for _, n := range s.TallyExpected {
			words += n
		}
		if s.VotesAcked != s.VotesSent || s.VotesAcked < 80 || words != 3*80 || s.TallyMatches == nil || !*s.TallyMatches || s.VoteToStageMS == nil || s.VoteToStageMS.N != 80 {
			t.Fatalf("summary: %s\n%s", b, log.String())
		}
	})
	t.Run("quiz counts every first answer once and each player's points in time", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "sum.json")
		var log bytes.Buffer
		err := run(t.Context(), []string{"-targets", url, "-api-token", "load-test-token", "-scenario", "quiz", "-phones", "100",
			"-stages", "1", "-burst", "5s", "-change", "0.3", "-json", out, "-timeout", "60s"}, &log, &log)
		if err != nil {
			t.Fatalf("run: %v\n%s", err, log.String())
		}
		var s Summary
		b, _ := os.ReadFile(out)
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		q := s.Quiz
		if q == nil || !q.OK() || q.PlayersExpected != 100 || q.SecondAnswers < 10 || q.Replays == 0 || q.RightExpected == 0 ||
			s.TallyMatches == nil || !*s.TallyMatches || s.VoteToStageMS == nil || s.VoteToStageMS.N != 100 {
			t.Fatalf("summary: %s\n%s", b, log.String())
		}
	})
	t.Run("quiz points follow the documented formula", func(t *testing.T) {
		for _, tc := range []struct {
			t    time.Duration
			want int64
		}{{0, 1000}, {4300 * time.Millisecond, 892}, {10 * time.Second, 750}, {20 * time.Second, 500}, {30 * time.Second, 500}} {
			if got := quizPoints(tc.t, 20*time.Second); got != tc.want {
				t.Errorf("quizPoints(%v) = %d, want %d", tc.t, got, tc.want)
			}
		}
	})
	t.Run("fanout delivers tally frames to every client", func(t *testing.T) {
		var log bytes.Buffer
		out := filepath.Join(t.TempDir(), "sum.json")
		err := run(t.Context(), []string{"-targets", url, "-api-token", "load-test-token", "-scenario", "fanout", "-phones", "50",
			"-stages", "1", "-drivers", "4", "-hold", "2s", "-json", out, "-timeout", "60s"}, &log, &log)
		if err != nil {
			t.Fatalf("run: %v\n%s", err, log.String())
		}
		var s Summary
		b, _ := os.ReadFile(out)
		_ = json.Unmarshal(b, &s)
		if s.FramesExpected < 5 || s.FramesDelivered < 51*s.FramesExpected*9/10 || s.DeliveryMS == nil {
			t.Fatalf("summary: %s\n%s", b, log.String())
		}
	})
	t.Run("fanout with -keys delivers the tally frames of every key", func(t *testing.T) {
		var log bytes.Buffer
		out := filepath.Join(t.TempDir(), "sum.json")
		err := run(t.Context(), []string{"-targets", url, "-api-token", "load-test-token", "-scenario", "fanout", "-keys", "4",
			"-phones", "50", "-stages", "1", "-drivers", "8", "-hold", "2s", "-json", out, "-timeout", "60s"}, &log, &log)
		if err != nil {
			t.Fatalf("run: %v\n%s", err, log.String())
		}
		var s Summary
		b, _ := os.ReadFile(out)
		_ = json.Unmarshal(b, &s)
		// 2 s at a 100 ms tick, 4 targets changing: far more frames than one key gives.
		if s.Keys != 4 || s.FramesExpected < 4*5 || s.FramesDelivered < 51*s.FramesExpected*9/10 || s.DeliveryMS == nil {
			t.Fatalf("summary: %s\n%s", b, log.String())
		}
	})
	t.Run("bad flags are refused", func(t *testing.T) {
		for _, args := range [][]string{{}, {"-api-token", "x", "-targets", "ftp://x"}, {"-api-token", "x", "-scenario", "nope"},
			{"-api-token", "x", "-phones", "0"}, {"-api-token", "x", "-change", "2"},
			{"-api-token", "x", "-scenario", "quiz", "-burst", "2s"}, {"-api-token", "x", "-scenario", "quiz", "-burst", "7500ms"},
			{"-api-token", "x", "-scenario", "fanout", "-keys", "0"}, {"-api-token", "x", "-keys", "4"}} {
			var log bytes.Buffer
			if err := run(t.Context(), args, &log, &log); err == nil {
				t.Errorf("%v accepted", args)
			}
		}
	})
}
