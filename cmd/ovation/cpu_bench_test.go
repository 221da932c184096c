package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// BenchmarkPageCPU measures what a page costs the machine that shows it, as
// a kiosk without a GPU behind a projector runs it: a headless Chromium
// with software rendering shows the page at 1920×1080, and the CPU time of
// all its processes (browser, renderer, GPU, network) is read from
// /proc/PID/stat before and after a window of cpuWindow, in percent of one
// core. The pages: the stage's idle lobby of the demo event, the same with
// the ticker crawling three posts, the overlay and the audience page, idle.
//
//	go test -run '^$' -bench PageCPU -benchtime 1x ./cmd/ovation
//
// Figures in BENCHMARKS.md; the goal is ≤ 3 % in the lobby and ≤ 10 % with
// the ticker. A benchmark, not a test: the figures depend on the machine.
func BenchmarkPageCPU(b *testing.B) {
	chromium := chromiumPath(b)
	srv := startServer(b, "")
	for _, c := range []struct {
		name, path, ready string
		posts             bool
	}{
		{"stage-lobby", "/stage/DEMO", `!!document.querySelector('#lobby-qr')`, false},
		{"overlay", "/stage/DEMO?view=overlay", `document.documentElement.classList.contains('overlay')`, false},
		{"audience", "/e/DEMO", `!!document.querySelector('#join-form')`, false},
		{"stage-ticker", "/stage/DEMO", `!!document.querySelector('#lobby-qr') && !document.querySelector('#ticker').hidden`, true},
	} {
		if c.posts {
			postApproved(b, srv.URL, "DEMO", tickerPosts...)
		}
		b.Run(c.name, func(b *testing.B) {
			var total, rendering float64
			for range b.N {
				t, r := pageCPU(b, chromium, srv.URL+c.path, c.ready)
				total += t
				rendering += r
			}
			b.ReportMetric(total/float64(b.N), "%core")
			b.ReportMetric(rendering/float64(b.N), "%core-renderer+gpu")
		})
	}
}

// postApproved puts texts on code's feed, approved, so that the stage's
// ticker crawls.
func postApproved(tb testing.TB, base, code string, texts ...string) {
	tb.Helper()
	var hook struct{ Token string }
	must(tb, base, "POST", "/api/events/"+code+"/feed/webhook-token", nil, &hook)
	for i, text := range texts {
		var it feedItem
		if st := call(tb, base, "POST", "/api/events/"+code+"/feed/webhook", hook.Token, map[string]any{
			"id": fmt.Sprintf("cpu-%d", i), "author": fmt.Sprintf("user%d", i), "author_name": "Zoé", "text": text}, &it); st != 201 {
			tb.Fatalf("webhook post %d: status %d", i, st)
		}
		must(tb, base, "POST", fmt.Sprintf("/api/events/%s/feed/items/%d/actions/approve", code, it.ID), nil, nil)
	}
}

// tickerPosts are a few posts of ordinary length for the ticker.
var tickerPosts = []string{
	"Super ambiance ce soir 👏",
	"Le pitch de Solaris était clair, précis et drôle.",
	"Où peut-on retrouver les présentations après la soirée ?",
}

// cpuWindow is how long pageCPU measures, after cpuSettle for the page to
// start its animations and finish its first layout.
const (
	cpuWindow = 20 * time.Second
	cpuSettle = 3 * time.Second
)

// pageCPU opens u in a Chromium of its own, waits for ready, and returns
// the CPU its processes used over cpuWindow, in percent of one core: all of
// them, and the renderers' and the GPU process's alone.
func pageCPU(b *testing.B, chromium, u, ready string) (total, rendering float64) {
	b.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(b.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true), // software rendering, as on a stick PC without a GPU
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1920, 1080),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	wait, cancelWait := context.WithTimeout(ctx, time.Minute)
	defer cancelWait()
	if err := chromedp.Do(wait, chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(u), chromedp.Poll[chromedp.Void](ready)); err != nil {
		b.Fatalf("open %s: %v", u, err)
	}
	proc := chromedp.FromContext(ctx).Browser.Process()
	if proc == nil {
		b.Fatal("no browser process")
	}
	time.Sleep(cpuSettle) // a measurement's lead-in, not a wait for an event
	b.ResetTimer()
	t0, r0 := treeCPU(b, proc.Pid)
	time.Sleep(cpuWindow) // the measurement's window
	t1, r1 := treeCPU(b, proc.Pid)
	b.StopTimer()
	pct := func(d time.Duration) float64 { return 100 * d.Seconds() / cpuWindow.Seconds() }
	return pct(t1 - t0), pct(r1 - r0)
}

// clockTick is the unit of /proc/PID/stat's times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// treeCPU sums the user and system time of pid and all its descendants:
// all, and the renderers' and the GPU process's (--type=renderer,
// --type=gpu-process) alone.
func treeCPU(b *testing.B, pid int) (all, rendering time.Duration) {
	b.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(stats) == 0 {
		b.Skipf("no /proc to read CPU times from: %v", err)
	}
	parent := map[int]int{}
	cpu := map[int]time.Duration{}
	for _, f := range stats {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue // the process ended
		}
		// pid (comm) state ppid ... utime stime: comm may hold spaces and
		// parentheses, so the fields are counted from its last ')'.
		s := string(raw)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if len(fields) < 13 {
			continue
		}
		p, _ := strconv.Atoi(strings.TrimSpace(s[:strings.IndexByte(s, ' ')]))
		pp, _ := strconv.Atoi(fields[1])
		utime, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		parent[p] = pp
		cpu[p] = time.Duration(utime+stime) * clockTick
	}
	in := func(p int) bool {
		for ; p > 1; p = parent[p] {
			if p == pid {
				return true
			}
		}
		return false
	}
	for p, d := range cpu {
		if !in(p) {
			continue
		}
		all += d
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
		if strings.Contains(string(cmd), "--type=renderer") || strings.Contains(string(cmd), "--type=gpu-process") {
			rendering += d
		}
	}
	return all, rendering
}
