package main

// Browser tests: the real server and the three pages in a real headless
// Chromium driven through the DevTools protocol (chromedp). They prove the
// pages work end to end, as people use them: a moderator runs a round from
// the control page while phones vote and the stage shows the results; a
// phone survives a server restart; joining, jury codes, languages, themes,
// contrast and large fonts work on a 320 px phone. Every page must finish
// without a console error or an uncaught exception.
//
// Chromium is Debian's /usr/bin/chromium (or OVATION_CHROMIUM). Without it
// the tests skip, except in CI (CI=true), where they fail.
//
// Screenshots of every page are taken on the way; they are written to
// $OVATION_SCREENSHOTS (relative to the repository root, e.g.
// docs/screenshots) when set, otherwise to a temporary directory.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// waitTimeout bounds every wait on a page condition. The conditions are met
// within milliseconds normally; the bound only turns a hang into a failure.
const waitTimeout = 20 * time.Second

// chromiumPath finds the browser, or skips (fails in CI) when there is none.
func chromiumPath(tb testing.TB) string {
	tb.Helper()
	candidates := []string{os.Getenv("OVATION_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		tb.Fatal("browser tests: no Chromium found (install Debian's chromium, or set OVATION_CHROMIUM); CI must run them")
	}
	tb.Skip("browser tests skipped: no Chromium found (install Debian's chromium, or set OVATION_CHROMIUM)")
	return ""
}

// browser is one headless Chromium, closed when the test ends.
type browser struct {
	t    *testing.T
	root context.Context
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // tests run as root in containers
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(alloc)
	if err := chromedp.Do(root); err != nil { // starts the browser
		cancelRoot()
		cancelAlloc()
		t.Fatalf("start Chromium: %v", err)
	}
	t.Cleanup(func() {
		_ = chromedp.Cancel(root)
		cancelRoot()
		cancelAlloc()
	})
	return &browser{t: t, root: root}
}

// tab is one page in its own browser context (its own cookies and storage,
// like a separate phone), with the console problems it reported.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context

	mu       sync.Mutex
	problems []string
	// offline, while true, tolerates the browser's network errors (the
	// server is down on purpose); page errors and exceptions still count.
	offline bool
	// answers are the HTTP errors the test provokes on purpose (a wrong
	// password, a wrong jury code): the browser logs each answer with a 4xx
	// status as a console error, though the page expects and shows it.
	answers []answer
}

// answer is an HTTP error status expected from a URL path.
type answer struct {
	path   string
	status int
}

// expect tolerates the browser's console line for an HTTP answer with
// status from path, which the page handles.
func (tb *tab) expect(path string, status int) {
	tb.mu.Lock()
	tb.answers = append(tb.answers, answer{path, status})
	tb.mu.Unlock()
}

// tolerated reports whether m is the browser's own report of a network
// failure the test caused on purpose. Callers hold tb.mu.
func (tb *tab) tolerated(m chromedp.ConsoleMessage) bool {
	if m.Source != "network" {
		return false
	}
	if tb.offline {
		return true
	}
	u, err := url.Parse(m.URL)
	if err != nil {
		return false
	}
	for _, a := range tb.answers {
		if u.Path == a.path && strings.Contains(m.Text, fmt.Sprintf("status of %d ", a.status)) {
			return true
		}
	}
	return false
}

// viewport sizes of the three kinds of screen.
type viewport struct {
	w, h   int64
	mobile bool
}

var (
	phoneSize   = viewport{390, 844, true}
	stageSize   = viewport{1920, 1080, false}
	controlSize = viewport{1440, 900, false}
)

func (b *browser) newTab(name string, vp viewport) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.root, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	tb := &tab{t: b.t, name: name, ctx: ctx}
	// The first run opens the tab and ties its life to the context it gets:
	// give it the tab's own context, not one with a timeout.
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("%s: open tab: %v", name, err)
	}
	tb.do("emulate viewport", tb.emulate(vp))
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type != chromedp.ConsoleError && !m.IsException() {
				continue
			}
			tb.mu.Lock()
			if !tb.tolerated(m) {
				tb.problems = append(tb.problems, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line+1))
			}
			tb.mu.Unlock()
		}
	}()
	return tb
}

func (tb *tab) emulate(vp viewport) chromedp.Action[chromedp.Void] {
	if vp.mobile {
		return chromedp.EmulateViewport(vp.w, vp.h, chromedp.EmulateMobile, chromedp.EmulatePortrait)
	}
	return chromedp.EmulateViewport(vp.w, vp.h)
}

func (tb *tab) setOffline(v bool) {
	tb.mu.Lock()
	tb.offline = v
	tb.mu.Unlock()
}

// checkConsole fails the test for every console error and uncaught
// exception the page reported.
func (tb *tab) checkConsole() {
	tb.t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, p := range tb.problems {
		tb.t.Errorf("%s: console: %s", tb.name, p)
	}
}

func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %s: %v\n%s", tb.name, what, err, tb.describe())
	}
}

func (tb *tab) open(u string) { tb.t.Helper(); tb.do("open "+u, chromedp.Navigate(u)) }

// click clicks the element sel with the mouse, first scrolled to the middle
// of the viewport (scrolled only "into view", it may sit under a sticky
// header that would take the click). A live page may replace the element
// between the query and the click (a new frame re-renders it); the click is
// then tried again on the new element.
func (tb *tab) click(sel string) {
	tb.t.Helper()
	center := `document.querySelector(` + jsString(sel) + `).scrollIntoView({block: 'center', inline: 'center'})`
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
		err := chromedp.Do(ctx, tb.reveal(sel), chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Evaluate[chromedp.Void](center),
			chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
		cancel()
		if err == nil {
			return
		}
		if attempt == 5 || !strings.Contains(err.Error(), "node") {
			tb.t.Fatalf("%s: click %s: %v\n%s", tb.name, sel, err, tb.describe())
		}
	}
}

func (tb *tab) typeInto(sel, text string) {
	tb.t.Helper()
	tb.do("type into "+sel, tb.reveal(sel), chromedp.SendKeys(chromedp.CSS(sel), text, chromedp.NodeVisible))
}

// reveal waits for the element sel and, when it is in a section of the
// page not shown (a hidden tab panel of the audience page), taps that
// section's tab first, as a person would.
func (tb *tab) reveal(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`(() => {
  const el = document.querySelector(`+jsString(sel)+`);
  if (!el) return false;
  const panel = el.closest('[role=tabpanel][hidden]');
  if (panel) document.getElementById(panel.getAttribute('aria-labelledby'))?.click();
  return true;
})()`, chromedp.WithPollingInterval(40*time.Millisecond), chromedp.WithPollingTimeout(waitTimeout))
}

// key presses a key on the page, with nothing focused: the way a
// moderator uses the keyboard shortcuts.
func (tb *tab) key(k string) {
	tb.t.Helper()
	tb.eval(`document.activeElement && document.activeElement.blur()`)
	tb.do("press "+k, chromedp.KeyEvent(k))
}

// jsEval evaluates expr in tb and decodes its value into T (awaited, if a promise).
func jsEval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("%s: evaluate %s: %v", tb.name, expr, err)
	}
	return v
}

func (tb *tab) eval(expr string) { tb.t.Helper(); jsEval[chromedp.Void](tb, expr) }

func (tb *tab) text(expr string) string { tb.t.Helper(); return jsEval[string](tb, expr) }

// waitFor waits until the JavaScript condition cond is true in the page.
func (tb *tab) waitFor(what, cond string) {
	tb.t.Helper()
	tb.waitForWithin(waitTimeout, what, cond)
}

func (tb *tab) waitForWithin(d time.Duration, what, cond string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, d)
	defer cancel()
	var err error
	for {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](`!!(`+cond+`)`, chromedp.WithPollingInterval(40*time.Millisecond), chromedp.WithPollingTimeout(d)))
		// A poll does not survive a navigation of the page ("Execution context
		// was destroyed", or "Inspected target navigated" when it lands during
		// the poll's own call): poll the new page.
		if err == nil || ctx.Err() != nil || !(strings.Contains(err.Error(), "context") || strings.Contains(err.Error(), "navigated")) {
			break
		}
	}
	if err != nil {
		tb.t.Fatalf("%s: waiting for %s (%s): %v\n%s", tb.name, what, cond, err, tb.describe())
	}
}

// describe returns what the page shows, for failure messages.
func (tb *tab) describe() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 3*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + (document.body ? document.body.innerText.slice(0, 1200) : "")`))
	if err != nil {
		return "(page text unavailable: " + err.Error() + ")"
	}
	return "page shows: " + s
}

// shotDir is where screenshots go: $OVATION_SCREENSHOTS (relative to the
// repository root) or a temporary directory.
func shotDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("OVATION_SCREENSHOTS")
	if dir == "" {
		return tb.TempDir()
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", "..", dir) // tests run in cmd/ovation
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// screenshot captures the viewport as dir/name.png, after checking that the
// image has the page's size and is not blank.
func (tb *tab) screenshot(dir, name string, vp viewport) {
	tb.t.Helper()
	tb.settled()
	ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatalf("%s: screenshot: %v", tb.name, err)
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		tb.t.Fatalf("%s: screenshot is not a PNG: %v", tb.name, err)
	}
	if b := img.Bounds(); int64(b.Dx()) != vp.w || int64(b.Dy()) != vp.h {
		tb.t.Errorf("%s: screenshot is %dx%d, want %dx%d", tb.name, b.Dx(), b.Dy(), vp.w, vp.h)
	}
	if n := colours(img); n < 16 {
		tb.t.Errorf("%s: screenshot %s has %d colours: blank page?", tb.name, name, n)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// colours counts distinct colours on a grid of samples, up to 64.
func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r >> 8, g >> 8, bl >> 8, a >> 8}] = true
			if len(seen) >= 64 {
				return len(seen)
			}
		}
	}
	return len(seen)
}

// contrastJS lists the visible texts whose colour does not reach WCAG AA
// contrast on their background: 4.5:1, or 3:1 for large text (24 px, or
// 18.66 px bold). Disabled controls are exempt, as WCAG says.
const contrastJS = `(() => {
  const parse = (c) => {
    let m = c.match(/^rgba?\(([^)]+)\)/);
    if (m) { const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; }
    m = c.match(/^color\(srgb ([^)]+)\)/);
    if (m) { const p = m[1].split(/[\s\/]+/).filter(Boolean).map(Number); return [p[0] * 255, p[1] * 255, p[2] * 255, p.length > 3 ? p[3] : 1]; }
    return null;
  };
  const over = (top, under) => { const a = top[3]; return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat(1); };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || !n.textContent.trim() || el.closest('svg, .sr-only, option, script, style, [hidden], :disabled')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.bottom < 0 || r.top > innerHeight) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden') continue;
    let opacity = 1;
    for (let e = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
    if (opacity < 0.05) continue;
    const bg = background(el);
    let fg = parse(cs.color);
    if (!fg) continue;
    fg = over([fg[0], fg[1], fg[2], fg[3] * opacity], bg);
    const size = parseFloat(cs.fontSize), weight = Number(cs.fontWeight) || 400;
    const need = size >= 24 || (size >= 18.66 && weight >= 700) ? 3 : 4.5;
    const got = ratio(fg, bg);
    if (got < need) bad.push(n.textContent.trim().slice(0, 40) + ' — ' + got.toFixed(2) + ':1 < ' + need + ' (' + cs.color + ' on ' + bg.map(Math.round).slice(0, 3).join(',') + ')');
  }
  return [...new Set(bad)];
})()`

// settled waits until no CSS transition runs: colours and bars
// mid-transition (just after a theme switch or a new tally) are not the page's.
func (tb *tab) settled() {
	tb.t.Helper()
	tb.waitFor("transitions finished", `document.getAnimations().every((a) => !(a instanceof CSSTransition) || a.playState !== 'running')`)
}

// checkContrast fails the test for every text below AA contrast.
func (tb *tab) checkContrast(when string) {
	tb.t.Helper()
	tb.settled()
	for _, v := range jsEval[[]string](tb, contrastJS) {
		tb.t.Errorf("%s (%s): contrast below AA: %s", tb.name, when, v)
	}
}

// emulateScheme makes the page see prefers-color-scheme: scheme.
func (tb *tab) emulateScheme(scheme string) {
	tb.t.Helper()
	tb.do("prefers-color-scheme "+scheme, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	}))
}

// ---------------------------------------------------------------- event ----

// pitchNight is the event the browser tests run: three pitches in a round
// scored 1..5, a jury weighing 25 %, and a poll.
type pitchNight struct {
	Code    string
	EventID int64
	RoomID  int64
	RoundID int64
	Pitches []int64
	Teams   []string
	PollID  int64
}

const juryWeight = 25

func newPitchNight(tb testing.TB, base, code string) pitchNight {
	tb.Helper()
	ev := pitchNight{Code: code, Teams: []string{"Solaris", "Kelp Labs", "Quill"}}
	var created struct{ ID int64 }
	must(tb, base, "POST", "/api/events", map[string]any{"code": code, "title": "Pitch Night 2026", "color": "#5B3DF5",
		"languages": []string{"en", "fr"}, "jury_code": "JURY7", "jury_weight": juryWeight}, &created)
	ev.EventID = created.ID
	var model struct{ Rooms []struct{ ID int64 } }
	must(tb, base, "GET", "/api/events/"+code+"/model", nil, &model)
	ev.RoomID = model.Rooms[0].ID
	var round struct{ ID int64 }
	must(tb, base, "POST", "/api/events/"+code+"/rounds", map[string]any{"room_id": ev.RoomID, "title": "Grand final", "scale": 5}, &round)
	ev.RoundID = round.ID
	presenters := []string{"Ana Lima", "Tom Berg", "Inès Moreau"}
	for i, team := range ev.Teams {
		var p struct{ ID int64 }
		must(tb, base, "POST", fmt.Sprintf("/api/rounds/%d/pitches", ev.RoundID), map[string]any{"team": team, "presenter": presenters[i], "duration_s": 120}, &p)
		ev.Pitches = append(ev.Pitches, p.ID)
	}
	var poll struct{ ID int64 }
	must(tb, base, "POST", "/api/events/"+code+"/polls", map[string]any{"room_id": ev.RoomID, "question": "Which idea should win the public prize?",
		"kind": "choices", "choices": ev.Teams, "show_results": true}, &poll)
	ev.PollID = poll.ID
	return ev
}

// expectedEntry is a pitch's ranking entry computed here, apart from the
// server, from the votes the test cast (docs/protocol.md §12).
type expectedEntry struct {
	PitchID           int64
	Team              string
	Audience, Jury    []int
	Score             float64
	AudMean, JuryMean float64
}

func mean(v []int) float64 {
	if len(v) == 0 {
		return 0
	}
	s := 0
	for _, x := range v {
		s += x
	}
	return float64(s) / float64(len(v))
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func expectedRanking(entries []expectedEntry, weight int) []expectedEntry {
	out := slices.Clone(entries)
	for i := range out {
		e := &out[i]
		e.AudMean, e.JuryMean = round3(mean(e.Audience)), round3(mean(e.Jury))
		switch {
		case len(e.Audience) > 0 && len(e.Jury) > 0 && weight > 0:
			e.Score = float64(100-weight)/100*mean(e.Audience) + float64(weight)/100*mean(e.Jury)
		case len(e.Audience) > 0:
			e.Score = mean(e.Audience)
		case weight > 0:
			e.Score = mean(e.Jury)
		}
		e.Score = round3(e.Score)
	}
	// The test's votes give distinct scores, so no tie-break is needed.
	slices.SortStableFunc(out, func(a, b expectedEntry) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	return out
}

// counts returns the histogram of values 1..5.
func counts(vs ...[]int) []int {
	out := make([]int, 5)
	for _, v := range vs {
		for _, x := range v {
			out[x-1]++
		}
	}
	return out
}

// rankingEntry is an entry as GET /results or a page's data-* attributes give it.
type rankingEntry struct {
	PitchID  int64 `json:"pitch_id"`
	Team     string
	Score    float64
	Audience struct {
		Count int
		Mean  float64
	}
	Jury struct {
		Count int
		Mean  float64
	}
}

func results(tb testing.TB, base, code string) (rounds []struct{ Ranking []rankingEntry }) {
	tb.Helper()
	var res struct {
		Rounds []struct{ Ranking []rankingEntry }
	}
	must(tb, base, "GET", "/api/events/"+code+"/results", nil, &res)
	return res.Rounds
}

func sameEntry(got rankingEntry, want expectedEntry) bool {
	near := func(a, b float64) bool { return math.Abs(a-b) < 0.0005 }
	return got.PitchID == want.PitchID && got.Team == want.Team && near(got.Score, want.Score) &&
		got.Audience.Count == len(want.Audience) && near(got.Audience.Mean, want.AudMean) &&
		got.Jury.Count == len(want.Jury) && near(got.Jury.Mean, want.JuryMean)
}

// pageEntriesJS reads ranking entries from the data-* attributes of sel.
func pageEntriesJS(sel string) string {
	return `[...document.querySelectorAll(` + jsString(sel) + `)].map((e) => ({pitch_id: +e.dataset.pitchId, team: e.dataset.team, score: +e.dataset.score,
  audience: {count: +e.dataset.audienceCount, mean: +e.dataset.audienceMean}, jury: {count: +e.dataset.juryCount, mean: +e.dataset.juryMean}}))`
}

func jsString(s string) string { b, _ := json.Marshal(s); return string(b) }

// ----------------------------------------------------------------- tests ----

// phonePage is an audience page and the votes it cast.
type phonePage struct {
	*tab
	name string
}

// vote taps value on the keypad of the card for target (a score, or A = 1
// for a choice) and waits until the page says the vote is recorded with
// status ("counted" or "changed") and the key is checked.
func (p phonePage) vote(target string, value int, status string) {
	p.t.Helper()
	card := fmt.Sprintf(`.card[data-target=%q]`, target)
	key := fmt.Sprintf(`%s button[data-v="%d"]`, card, value)
	p.waitFor("keypad open", fmt.Sprintf(`document.querySelector('%s') && !document.querySelector('%s').disabled`, key, key))
	p.click(key)
	p.waitFor(fmt.Sprintf("%s %d %s", target, value, status), fmt.Sprintf(
		`document.querySelector('%s .vote-status').dataset.status === %q && document.querySelector('%s').getAttribute('aria-checked') === 'true'`,
		card, status, key))
}

func TestBrowserPitchRound(t *testing.T) {
	t.Parallel()
	started := time.Now()
	srv := startServer(t, "", "-public_url", "https://ovation.example")
	ev := newPitchNight(t, srv.URL, "PITCH26")
	b := newBrowser(t)
	shots := shotDir(t)
	pitch := func(i int) string { return fmt.Sprintf("pitch:%d", ev.Pitches[i]) }

	// The stage lobby: title, QR code of the public join URL, code, count.
	stage := b.newTab("stage", stageSize)
	stage.open(srv.URL + "/stage/" + ev.Code)
	stage.waitFor("lobby with its QR code", `document.querySelector('#lobby-qr') && document.querySelector('#lobby-qr').complete && document.querySelector('#lobby-qr').naturalWidth > 0`)
	if got := stage.text(`document.querySelector('#lobby-code').textContent`); got != ev.Code {
		t.Errorf("stage lobby shows code %q, want %q", got, ev.Code)
	}
	if got := stage.text(`document.querySelector('.qr-card .qr-url').textContent`); got != "ovation.example/e/"+ev.Code {
		t.Errorf("stage lobby shows join URL %q, want the public one", got)
	}
	var public struct {
		JoinURL string `json:"join_url"`
	}
	if st := call(t, srv.URL, "GET", "/api/events/"+ev.Code, "", nil, &public); st != 200 || public.JoinURL != "https://ovation.example/e/"+ev.Code {
		t.Errorf("GET /api/events/%s: status %d, join_url %q", ev.Code, st, public.JoinURL)
	}

	// Three phones join, one of them with a name typed in.
	names := []string{"Ana", "Ben", "Chloé"}
	phones := make([]phonePage, len(names))
	for i, name := range names {
		p := phonePage{b.newTab("phone "+name, phoneSize), name}
		p.open(srv.URL + "/e/" + ev.Code)
		p.waitFor("join form", `document.querySelector('#join-form')`)
		if i == 0 {
			p.screenshot(shots, "audience-join", phoneSize)
		}
		p.typeInto("#name", name)
		p.click(`#join-form button[type=submit]`)
		p.waitFor("waiting card", `document.querySelector('#waiting')`)
		if got := p.text(`document.querySelector('#whoami').textContent`); !strings.Contains(got, name) {
			t.Errorf("%s: footer says %q, want the name", p.tab.name, got)
		}
		phones[i] = p
	}
	stage.waitFor("3 phones on the lobby", `document.querySelector('#lobby-connected').textContent === '3'`)
	stage.screenshot(shots, "stage-lobby", stageSize)
	stage.checkContrast("lobby")
	small := viewport{1280, 720, false}
	stage.do("1280x720", stage.emulate(small))
	stage.waitFor("lobby at 720p", `innerHeight === 720 && document.querySelector('#lobby-qr').getBoundingClientRect().bottom <= 720`)
	stage.screenshot(shots, "stage-lobby-720", small)
	stage.do("1920x1080", stage.emulate(stageSize))

	// The moderator logs in through the form and opens the event.
	control := b.newTab("control", controlSize)
	control.expect("/api/login", 401) // the wrong password, on purpose
	control.open(srv.URL + "/control")
	control.waitFor("login form", `document.querySelector('#login-form') && !document.querySelector('#login-view').hidden`)
	control.typeInto("#password", "wrong one")
	control.click(`#login-form button[type=submit]`)
	control.waitFor("wrong password next to the field", `document.querySelector('#password-error').textContent !== '' && document.querySelector('#password').getAttribute('aria-invalid') === 'true'`)
	control.eval(`document.querySelector('#password').value = ''`)
	control.typeInto("#password", "correct horse")
	control.click(`#login-form button[type=submit]`)
	control.click(fmt.Sprintf(`#event-list a[data-code=%q]`, ev.Code))
	control.waitFor("live panel", `document.querySelector('#act-start') && !document.querySelector('#act-start').disabled`)

	// Pitch 1: started with the button, voting opened with the V key.
	control.click("#act-start")
	stage.waitFor("pitch 1 on stage", fmt.Sprintf(`document.querySelector('#pitch-view[data-pitch="%d"]')`, ev.Pitches[0]))
	control.waitFor("voting can open", `document.querySelector('#act-voting') && !document.querySelector('#act-voting').disabled`)
	control.key("v")
	vote := [][]int{{4, 5, 2}, nil, nil}
	for i, p := range phones {
		p.vote(pitch(0), vote[0][i], "counted")
	}
	phones[2].vote(pitch(0), 3, "changed") // Chloé changes her mind: 2 → 3
	audience1 := []int{4, 5, 3}
	jury := join(t, srv.URL, ev.Code, map[string]any{"jury_code": "JURY7"})
	var ack struct{ Status string }
	if st := call(t, srv.URL, "POST", "/api/votes", jury.Token, map[string]any{"vote_id": "jury-1", "target": pitch(0), "value": 3}, &ack); st != 200 || ack.Status != "counted" {
		t.Fatalf("jury vote: status %d %+v", st, ack)
	}
	jury1 := []int{3}
	control.waitFor("4 votes on the current pitch", `document.querySelector('#live-votes').textContent === '4'`)
	control.key("h") // show results
	wantHist := func(tbb *tab, sel string, want []int) {
		tbb.t.Helper()
		js, _ := json.Marshal(want)
		tbb.waitFor(fmt.Sprintf("histogram %v", want), fmt.Sprintf(`JSON.stringify([...document.querySelectorAll('%s .col')].map((c) => +c.dataset.count)) === %q`, sel, js))
	}
	wantHist(stage, "#stage-hist", counts(audience1, jury1))
	stage.waitFor("4 votes on stage", `document.querySelector('#stage-votes strong').textContent === '4'`)
	wantHist(phones[0].tab, ".pitch-card .hist", counts(audience1, jury1))
	control.key("v") // close voting
	phones[0].waitFor("voting closed on the phone", `document.querySelector('.pitch-card .vote-status').dataset.status === 'counted' && document.querySelector('.pitch-card .key').disabled`)

	// Pitch 2: next with N, voting opened with the button; the moderator
	// resets the votes and every phone is told to vote again.
	control.key("n")
	stage.waitFor("pitch 2 on stage", fmt.Sprintf(`document.querySelector('#pitch-view[data-pitch="%d"]')`, ev.Pitches[1]))
	control.waitFor("pitch 2 in the live panel", fmt.Sprintf(`document.querySelector('#live-team').textContent === %q && !document.querySelector('#act-voting').disabled`, ev.Teams[1]))
	control.click("#act-voting")
	for i, p := range phones {
		p.vote(pitch(1), []int{3, 3, 4}[i], "counted")
	}
	control.waitFor("3 votes on pitch 2", `document.querySelector('#live-votes').textContent === '3'`)
	control.click("#act-reset-votes")
	control.waitFor("confirmation dialog", `document.querySelector('#confirm-dialog').open`)
	control.click("#confirm-yes")
	for _, p := range phones {
		p.waitFor("reset shown on the phone", fmt.Sprintf(`document.querySelector('.card[data-target=%q] .vote-status').dataset.status === 'reset' && !document.querySelector('.card[data-target=%q] .key[aria-checked="true"]')`, pitch(1), pitch(1)))
	}
	stage.waitFor("no votes left on stage", `document.querySelector('#stage-votes strong').textContent === '0'`)
	phones[0].vote(pitch(1), 2, "counted")
	phones[1].vote(pitch(1), 3, "counted")
	phones[1].vote(pitch(1), 1, "changed")
	phones[2].vote(pitch(1), 2, "counted")
	audience2 := []int{2, 1, 2}
	control.click("#act-results")
	wantHist(stage, "#stage-hist", counts(audience2))
	control.waitFor("results shown in the live panel", `document.querySelector('#act-results').textContent.includes('Hide')`)
	control.click("#act-voting") // close
	control.waitFor("voting closed in the live panel", `document.querySelector('#act-voting').textContent.includes('Open')`)

	// Pitch 3: next with the arrow key, voting and results with the keys.
	control.key(kb.ArrowRight)
	control.waitFor("pitch 3 in the live panel", fmt.Sprintf(`document.querySelector('#live-team').textContent === %q && !document.querySelector('#act-voting').disabled`, ev.Teams[2]))
	control.key("v")
	for i, p := range phones {
		p.vote(pitch(2), []int{5, 4, 5}[i], "counted")
	}
	audience3 := []int{5, 4, 5}
	control.key("h")
	wantHist(stage, "#stage-hist", counts(audience3))
	phones[0].waitFor("results on the phone", `!document.querySelector('.pitch-card .results-block').hidden`)
	control.key("t") // start the timer: the screenshots show it running
	control.waitFor("timer running", `document.querySelector('#act-timer').textContent.includes('Pause')`)
	control.waitFor("votes per second seen", `document.querySelector('#spark polyline')`)
	control.waitFor("no toast over the screenshot", `document.querySelector('#toast').hidden`)
	stage.waitFor("countdown running", `!document.querySelector('#pitch-view .countdown').classList.contains('paused')`)
	stage.screenshot(shots, "stage-pitch", stageSize)
	stage.checkContrast("pitch")
	phones[0].screenshot(shots, "audience-vote", phoneSize)
	control.screenshot(shots, "control-live", controlSize)
	control.checkContrast("live")

	// Reveal with R, then one place per press of R, from the last up: the
	// stage shows the podium in the order the votes give.
	control.key("r")
	stage.waitFor("ranking view, no place yet", `document.querySelector('#ranking-view[data-reveal="waiting"]')`)
	for n := 1; n <= 3; n++ {
		control.waitFor("next place button", fmt.Sprintf(`document.querySelector('#reveal-progress') && document.querySelector('#reveal-progress').textContent.startsWith('%d ')`, n-1))
		control.key("r")
		stage.waitFor(fmt.Sprintf("%d places on the podium", n), fmt.Sprintf(`document.querySelector('#ranking-view').dataset.places === '%d'`, n))
	}
	want := expectedRanking([]expectedEntry{
		{PitchID: ev.Pitches[0], Team: ev.Teams[0], Audience: audience1, Jury: jury1},
		{PitchID: ev.Pitches[1], Team: ev.Teams[1], Audience: audience2},
		{PitchID: ev.Pitches[2], Team: ev.Teams[2], Audience: audience3},
	}, juryWeight)
	var order []string
	for _, e := range want {
		order = append(order, fmt.Sprint(e.PitchID))
	}
	stage.waitFor("ranking revealed", fmt.Sprintf(`document.querySelector('#ranking-view[data-reveal="done"]') && document.querySelector('#ranking-view').dataset.order === %q`, strings.Join(order, ",")))
	onStage := jsEval[[]rankingEntry](stage, pageEntriesJS(`#ranking-view [data-pitch-id]`))
	byID := map[int64]rankingEntry{}
	for _, e := range onStage {
		byID[e.PitchID] = e
	}
	for _, w := range want {
		if got, ok := byID[w.PitchID]; !ok || !sameEntry(got, w) {
			t.Errorf("stage ranking entry for %s = %+v, want %+v", w.Team, got, w)
		}
	}
	if got := stage.text(`[...document.querySelectorAll('#podium .place')].map((p) => p.querySelector('.team') ? p.querySelector('.team').textContent : '').join('|')`); got != want[1].Team+"|"+want[0].Team+"|"+want[2].Team {
		t.Errorf("podium left to right = %q, want second|first|third", got)
	}
	api := results(t, srv.URL, ev.Code)
	if len(api) != 1 || len(api[0].Ranking) != 3 {
		t.Fatalf("results: %+v", api)
	}
	for i, w := range want {
		if !sameEntry(api[0].Ranking[i], w) {
			t.Errorf("results ranking[%d] = %+v, want %+v", i, api[0].Ranking[i], w)
		}
	}
	for _, p := range phones {
		p.waitFor("ranking on the phone", fmt.Sprintf(`[...document.querySelectorAll('.ranking-card li')].map((li) => li.dataset.pitchId).join(',') === %q`, strings.Join(order, ",")))
	}
	stage.screenshot(shots, "stage-ranking", stageSize)
	stage.checkContrast("ranking")
	phones[0].screenshot(shots, "audience-ranking", phoneSize)

	// A keypad poll: opened from its card, answered on the phones, shown as
	// bars on the stage.
	control.click(fmt.Sprintf("#poll-%d-toggle", ev.PollID))
	stage.waitFor("poll on stage", `document.querySelector('#poll-view')`)
	pollTarget := fmt.Sprintf("poll:%d", ev.PollID)
	for i, p := range phones {
		p.vote(pollTarget, []int{1, 3, 1}[i], "counted")
	}
	stage.waitFor("poll bars 2,0,1", `JSON.stringify([...document.querySelectorAll('#stage-bars .bar')].map((b) => +b.dataset.count)) === '[2,0,1]'`)
	stage.screenshot(shots, "stage-poll", stageSize)
	phones[2].emulateScheme("dark")
	phones[2].waitFor("dark theme", `getComputedStyle(document.body).backgroundColor === 'rgb(12, 12, 18)'`)
	phones[2].screenshot(shots, "audience-poll-dark", phoneSize)

	// The reset and the reveal are in the audit log on the control page.
	control.click("#audit-summary")
	control.waitFor("audit log", `document.querySelector('#audit-table tr[data-action="reset_votes"]') && document.querySelector('#audit-table tr[data-action="reveal"]')`)

	for _, tb := range []*tab{stage, control, phones[0].tab, phones[1].tab, phones[2].tab} {
		tb.checkConsole()
	}
	t.Logf("round run in the browser in %v", time.Since(started).Round(time.Millisecond))
}

func TestBrowserAudienceSurvivesRestart(t *testing.T) {
	t.Parallel()
	started := time.Now()
	dir := t.TempDir()
	srv := startServer(t, dir)
	ev := newPitchNight(t, srv.URL, "RESTART")
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/start", ev.RoundID), nil, nil)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/open", ev.Pitches[0]), nil, nil)
	target := fmt.Sprintf("pitch:%d", ev.Pitches[0])
	b := newBrowser(t)

	p := phonePage{b.newTab("phone", phoneSize), ""}
	p.open(srv.URL + "/e/" + ev.Code)
	p.click(`#join-form button[type=submit]`)
	p.vote(target, 4, "counted")
	stage := b.newTab("stage", viewport{1280, 720, false})
	stage.open(srv.URL + "/stage/" + ev.Code)
	stage.waitFor("pitch on stage", `document.querySelector('#pitch-view')`)

	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	p.setOffline(true)
	stage.setOffline(true)
	srv.Stop(t)
	p.waitFor("offline banner", `!document.querySelector('#banner').hidden`)
	stage.waitFor("reconnecting mark", `!document.querySelector('#reconnecting').hidden`)

	// A new choice while the server is down waits on the phone.
	p.click(fmt.Sprintf(`.card[data-target=%q] .key[data-v="2"]`, target))
	p.waitFor("vote kept on the phone", fmt.Sprintf(`document.querySelector('.card[data-target=%q] .vote-status').dataset.status === 'offline'`, target))
	pending := p.text(`localStorage.getItem('ovation.pending.RESTART')`)
	if !strings.Contains(pending, `"value":2`) {
		t.Fatalf("pending votes in localStorage = %s, want the vote for 2", pending)
	}

	again := startServer(t, dir, "-listen", u.Host)
	if again.URL != srv.URL {
		t.Fatalf("restarted on %s, want %s", again.URL, srv.URL)
	}
	// The reconnect backoff can reach several seconds: allow for it.
	p.waitForWithin(45*time.Second, "pending vote acknowledged after the restart", fmt.Sprintf(`document.querySelector('.card[data-target=%q] .vote-status').dataset.status === 'changed'`, target))
	p.waitFor("banner gone", `document.querySelector('#banner').hidden`)
	stage.waitForWithin(45*time.Second, "stage back", `document.querySelector('#reconnecting').hidden && document.querySelector('#pitch-view')`)
	p.setOffline(false)
	stage.setOffline(false)
	if got := p.text(`localStorage.getItem('ovation.pending.RESTART')`); got != "[]" {
		t.Errorf("pending votes after the ack = %s, want []", got)
	}

	// Counted exactly once: one audience vote, of value 2.
	rounds := results(t, again.URL, ev.Code)
	for _, e := range rounds[0].Ranking {
		if e.PitchID == ev.Pitches[0] && (e.Audience.Count != 1 || e.Audience.Mean != 2) {
			t.Errorf("after the restart the pitch has %d audience votes, mean %v; want 1 vote of 2", e.Audience.Count, e.Audience.Mean)
		}
	}
	// A reload shows the same vote, from the server.
	p.do("reload", chromedp.Reload())
	p.waitFor("vote shown after reload", fmt.Sprintf(`document.querySelector('.card[data-target=%q] .key[data-v="2"][aria-checked="true"]')`, target))

	p.checkConsole()
	stage.checkConsole()
	t.Logf("restart survived in %v", time.Since(started).Round(time.Millisecond))
}

func TestBrowserPhoneJoinAccessibility(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "JURYNIGHT")
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/start", ev.RoundID), nil, nil)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/open", ev.Pitches[0]), nil, nil)
	target := fmt.Sprintf("pitch:%d", ev.Pitches[0])
	b := newBrowser(t)
	small := viewport{320, 640, true}
	p := phonePage{b.newTab("phone 320", small), "jury"}
	p.expect("/api/events/"+ev.Code+"/join", 403) // the wrong jury code, on purpose
	p.emulateScheme("dark")
	p.open(srv.URL + "/")
	p.typeInto("#code", strings.ToLower(ev.Code)) // typed as it comes; the page upper-cases it
	p.click(`#join button[type=submit]`)
	p.waitFor("join form", `location.pathname === '/e/`+ev.Code+`' && document.querySelector('#join-form')`)
	p.checkContrast("welcome, dark")

	t.Run("switches to French", func(t *testing.T) {
		p.click(".lang-switch")
		p.waitFor("French", `document.documentElement.lang === 'fr' && document.querySelector('#join-form button[type=submit]').textContent === 'Rejoindre'`)
	})
	t.Run("wrong jury code is shown next to its field", func(t *testing.T) {
		p.click("#join-form summary")
		p.typeInto("#jury", "NOPE42")
		p.click(`#join-form button[type=submit]`)
		p.waitFor("jury code error", `document.querySelector('#jury-error').textContent !== '' && document.querySelector('#jury').getAttribute('aria-invalid') === 'true'`)
	})
	t.Run("right jury code joins the jury", func(t *testing.T) {
		p.eval(`document.querySelector('#jury').value = ''`)
		p.typeInto("#jury", "jury7")
		p.click(`#join-form button[type=submit]`)
		p.waitFor("jury badge", `document.querySelector('#jury-badge')`)
		p.vote(target, 5, "counted")
		for _, e := range results(t, srv.URL, ev.Code)[0].Ranking {
			if e.PitchID == ev.Pitches[0] && (e.Jury.Count != 1 || e.Audience.Count != 0) {
				t.Errorf("jury vote counted as %d jury, %d audience; want 1 jury", e.Jury.Count, e.Audience.Count)
			}
		}
	})
	t.Run("keypad has names and AA contrast in both themes", func(t *testing.T) {
		labels := jsEval[[]string](p.tab, `[...document.querySelectorAll('.pitch-card .key')].map((k) => k.getAttribute('aria-label'))`)
		if len(labels) != 5 || labels[3] != "4 sur 5" {
			t.Errorf("key labels = %q, want \"1 sur 5\" … \"5 sur 5\"", labels)
		}
		p.checkContrast("voting, dark")
		p.click(".theme-switch")
		p.waitFor("light theme", `document.documentElement.dataset.theme === 'light'`)
		p.checkContrast("voting, light")
	})
	t.Run("large system font: no sideways scrolling, keys at least 48 px", func(t *testing.T) {
		p.do("font size 32 px", chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.SetFontSizes, page.SetFontSizesParams{FontSizes: &page.FontSizes{Standard: 32, Fixed: 26}})
			return err
		}))
		p.do("reload", chromedp.Reload())
		p.waitFor("keypad", `document.querySelector('.pitch-card .key')`)
		p.waitFor("bigger text", `parseFloat(getComputedStyle(document.documentElement).fontSize) >= 32`)
		if w := jsEval[float64](p.tab, `document.documentElement.scrollWidth - innerWidth`); w > 0 {
			t.Errorf("the page scrolls sideways by %v px at 320 px with a 32 px font", w)
		}
		if small := jsEval[float64](p.tab, `Math.min(...[...document.querySelectorAll('.pitch-card .key')].map((k) => Math.min(k.getBoundingClientRect().width, k.getBoundingClientRect().height)))`); small < 48 {
			t.Errorf("smallest key is %v px, want at least 48", small)
		}
		p.checkContrast("large font, light")
	})
	p.checkConsole()
}

func TestBrowserControlBuildsEvent(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "BUILD26")
	b := newBrowser(t)
	c := b.newTab("control", controlSize)
	c.open(srv.URL + "/control#" + ev.Code)
	c.typeInto("#password", "correct horse")
	c.click(`#login-form button[type=submit]`)
	c.waitFor("console", `document.querySelector('#round-`+fmt.Sprint(ev.RoundID)+`')`)

	model := func() (m struct {
		Event struct {
			Title      string
			Color      string
			JuryWeight int `json:"jury_weight"`
			Languages  []string
		}
		Rooms  []struct{ Name string }
		Rounds []struct {
			Title   string
			Pitches []struct {
				ID        int64
				Team      string
				DurationS int `json:"duration_s"`
			}
		}
		Polls []struct{ Question string }
	}) {
		must(t, srv.URL, "GET", "/api/events/"+ev.Code+"/model", nil, &m)
		return m
	}

	t.Run("edits a pitch; bad values are shown next to their field", func(t *testing.T) {
		c.expect(fmt.Sprintf("/api/pitches/%d", ev.Pitches[1]), 400) // the bad URL, on purpose
		c.click(fmt.Sprintf("#p-%d-edit", ev.Pitches[1]))
		c.waitFor("edit dialog", `document.querySelector('#form-dialog').open`)
		c.eval(`document.querySelector('#f-duration_s').value = '5'`)
		c.click(`#dlg-form button[type=submit]`)
		c.waitFor("range error, from the page", `document.querySelector('#f-duration_s-error').textContent !== ''`)
		c.eval(`document.querySelector('#f-duration_s').value = '90'; document.querySelector('#f-video_url').value = 'ftp://video.example/x'`)
		c.click(`#dlg-form button[type=submit]`)
		c.waitFor("URL error, from the server", `document.querySelector('#f-video_url-error').textContent.includes('http') && document.querySelector('#f-video_url').getAttribute('aria-invalid') === 'true' && document.querySelector('#f-duration_s-error').textContent === ''`)
		c.eval(`document.querySelector('#f-video_url').value = ''; document.querySelector('#f-team').value = ''`)
		c.typeInto("#f-team", "Kelp Labs 2")
		c.click(`#dlg-form button[type=submit]`)
		c.waitFor("dialog closed", `!document.querySelector('#form-dialog').open`)
		m := model()
		if p := m.Rounds[0].Pitches[1]; p.Team != "Kelp Labs 2" || p.DurationS != 90 {
			t.Errorf("pitch after edit = %+v", p)
		}
	})
	t.Run("reorders with the buttons and by drag and drop", func(t *testing.T) {
		c.click(fmt.Sprintf("#p-%d-down", ev.Pitches[0]))
		c.waitFor("order 2,1,3", fmt.Sprintf(`[...document.querySelectorAll('#round-%d tbody tr')].map((r) => r.dataset.pitch).join(',') === '%d,%d,%d'`, ev.RoundID, ev.Pitches[1], ev.Pitches[0], ev.Pitches[2]))
		c.do("drag", chromedp.DragAndDrop(chromedp.CSS(fmt.Sprintf("#pitch-row-%d", ev.Pitches[2])), chromedp.CSS(fmt.Sprintf("#pitch-row-%d td:nth-child(3)", ev.Pitches[1]))))
		c.waitFor("pitch 3 moved up by drag", fmt.Sprintf(`[...document.querySelectorAll('#round-%d tbody tr')].map((r) => r.dataset.pitch).indexOf('%d') < 2`, ev.RoundID, ev.Pitches[2]))
	})
	t.Run("deletes a pitch after confirmation", func(t *testing.T) {
		c.click(fmt.Sprintf("#p-%d-delete", ev.Pitches[2]))
		c.click("#confirm-yes")
		c.waitFor("row gone", fmt.Sprintf(`!document.querySelector('#pitch-row-%d')`, ev.Pitches[2]))
		if n := len(model().Rounds[0].Pitches); n != 2 {
			t.Errorf("%d pitches left, want 2", n)
		}
	})
	t.Run("edits the event settings", func(t *testing.T) {
		c.click("#settings-summary")
		c.eval(`document.querySelector('#set-title').value = ''; document.querySelector('#set-jury_weight').value = ''`)
		c.typeInto("#set-title", "Pitch Night Finals")
		c.typeInto("#set-jury_weight", "40")
		c.click("#settings-save")
		c.waitFor("title in the top bar", `document.querySelector('#title').textContent === 'Pitch Night Finals'`)
		if m := model(); m.Event.JuryWeight != 40 || strings.Join(m.Event.Languages, ",") != "en,fr" {
			t.Errorf("jury weight %d, languages %v; want 40 and en,fr unchanged", m.Event.JuryWeight, m.Event.Languages)
		}
	})
	t.Run("adds a room and a poll", func(t *testing.T) {
		c.click("#new-room")
		c.typeInto("#f-name", "Auditorium B")
		c.click(`#dlg-form button[type=submit]`)
		c.waitFor("room tab", `[...document.querySelectorAll('#room-list strong')].some((s) => s.textContent === 'Auditorium B')`)
		c.click("#new-poll")
		c.typeInto("#f-question", "Best demo?")
		c.typeInto("#f-choices", "Solaris\nQuill")
		c.click(`#dlg-form button[type=submit]`)
		c.waitFor("poll card", `[...document.querySelectorAll('.poll-card h3')].some((h) => h.textContent === 'Best demo?')`)
		if m := model(); len(m.Rooms) != 2 || len(m.Polls) != 2 {
			t.Errorf("rooms %d, polls %d; want 2 and 2", len(m.Rooms), len(m.Polls))
		}
	})
	t.Run("exports results as CSV and JSON", func(t *testing.T) {
		csv := jsEval[string](c, `fetch(document.querySelector('#export-csv').href).then(async (r) => r.status + ' ' + r.headers.get('content-type') + ' ' + (await r.text()).split('\n')[0])`)
		if !strings.HasPrefix(csv, "200 text/csv") || !strings.Contains(csv, "kind,round_or_poll,rank") {
			t.Errorf("CSV export: %q", csv)
		}
		js := jsEval[string](c, `fetch(document.querySelector('#export-json').href).then(async (r) => r.status + ' ' + Object.keys(await r.json()).join(','))`)
		if js != "200 event,rounds,polls,quizzes,surveys" {
			t.Errorf("JSON export: %q", js)
		}
	})
	t.Run("has AA contrast in light and dark", func(t *testing.T) {
		c.emulateScheme("light")
		c.checkContrast("light")
		c.emulateScheme("dark")
		c.checkContrast("dark")
	})
	c.checkConsole()
}
