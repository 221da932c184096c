package main

// Browser tests of what the pages cost the devices that show them: a stage
// on a kiosk without a GPU (animations the compositor runs alone, none
// under reduced motion) and a phone on a slow, crowded Wi-Fi (bytes of a
// first join, a reload that fetches only the page, modules in one round).
// The CPU and time figures are measured by BenchmarkStageCPU and
// TestBrowserPhoneJoinsOnSlowNetwork and recorded in BENCHMARKS.md; the
// tests assert structure and generous bounds only.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// notComposited lists, as "what: properties", every running animation and
// every @keyframes rule of the page's style sheets that animates anything
// but transform and opacity (which the compositor moves and fades without
// painting the page again).
const notComposited = `(() => {
  const ok = new Set(['transform', 'opacity', 'translate', 'scale', 'rotate', 'offset', 'computedOffset', 'easing', 'composite']);
  const bad = [];
  for (const a of document.getAnimations()) {
    const props = new Set((a.effect?.getKeyframes() || []).flatMap((k) => Object.keys(k)));
    const wrong = [...props].filter((p) => !ok.has(p));
    if (wrong.length) bad.push('running ' + (a.animationName || a.transitionProperty || 'script animation') + ': ' + wrong.join(', '));
  }
  const rules = (list) => [...list].flatMap((r) => r.cssRules && !(r instanceof CSSKeyframesRule) ? rules(r.cssRules) : [r]);
  for (const r of [...document.styleSheets].flatMap((s) => rules(s.cssRules))) {
    if (!(r instanceof CSSKeyframesRule)) continue;
    for (const k of r.cssRules) {
      const wrong = [...k.style].filter((p) => !ok.has(p));
      if (wrong.length) bad.push('@keyframes ' + r.name + ' ' + k.keyText + ': ' + wrong.join(', '));
    }
  }
  return bad;
})()`

// reduceMotion emulates the user's wish for reduced motion.
var reduceMotion = chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
	_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
	})
	return err
})

func TestBrowserStageAnimationsComposited(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	b := newBrowser(t)
	shots := shotDir(t)

	// The idle lobby of the demo event, first without a ticker.
	stage := b.newTab("stage", stageSize)
	stage.open(srv.URL + "/stage/DEMO")
	stage.waitFor("lobby", `document.querySelector('#lobby-qr')`)
	if bad := jsEval[[]string](stage, notComposited); len(bad) > 0 {
		t.Errorf("the lobby animates what the compositor cannot move alone: %v", bad)
	}
	// The live dots ping a few times, then the idle lobby draws nothing.
	stage.waitFor("the idle lobby still", `document.getAnimations().length === 0`)
	// A phone joins: the lobby's dot pings for the new count.
	first := b.newTab("first phone", phoneSize)
	first.open(srv.URL + "/e/DEMO")
	first.waitFor("join form", `document.querySelector('#join-form')`)
	first.click(`#join-form button[type=submit]`)
	stage.waitFor("a ping for the new count", `document.querySelector('#lobby-connected').textContent !== '0' && document.getAnimations().some((a) => a.animationName === 'ping' && a.playState === 'running')`)

	// Then with posts: the ticker crawls as a CSS animation, not a script.
	postApproved(t, srv.URL, "DEMO", tickerPosts...)
	stage.waitFor("ticker crawling", `!document.querySelector('#ticker').hidden && document.querySelector('#ticker-track').getAnimations().some((a) => a.animationName === 'crawl' && a.playState === 'running')`)
	if bad := jsEval[[]string](stage, notComposited); len(bad) > 0 {
		t.Errorf("the lobby with its ticker animates what the compositor cannot move alone: %v", bad)
	}
	if got := stage.text(`document.querySelector('#ticker-track').style.transform`); got != "" {
		t.Errorf("a script sets the ticker's transform (%q): the crawl must be the CSS animation's", got)
	}
	// Each half of the track fills the window, so the crawl by one half
	// never shows an empty end.
	stage.waitFor("the track twice as wide as the window", `(() => {
	  const track = document.querySelector('#ticker-track'), win = track.parentElement;
	  return track.getBoundingClientRect().width / 2 >= win.getBoundingClientRect().width - 1 && track.children.length % 2 === 0;
	})()`)
	stage.screenshot(shots, "stage-lobby-ticker", stageSize)
	small := viewport{1280, 720, false}
	stage.do("1280x720", stage.emulate(small))
	stage.waitFor("the track refilled at 720p", `document.querySelector('#ticker-track').getBoundingClientRect().width / 2 >= document.querySelector('.ticker-window').getBoundingClientRect().width - 1`)
	stage.screenshot(shots, "stage-lobby-ticker-720", small)
	stage.do("1920x1080", stage.emulate(stageSize))

	// Under reduced motion nothing moves, on the stage or on a phone.
	stage.do("reduce motion", reduceMotion)
	stage.waitFor("no animation on the stage", `document.getAnimations().length === 0`)
	phone := b.newTab("phone", phoneSize)
	phone.do("reduce motion", reduceMotion)
	phone.open(srv.URL + "/e/DEMO")
	phone.waitFor("join form", `document.querySelector('#join-form')`)
	phone.click(`#join-form button[type=submit]`)
	phone.waitFor("the waiting card, still", `document.querySelector('#waiting') && document.getAnimations().length === 0`)
	if bad := jsEval[[]string](phone, notComposited); len(bad) > 0 {
		t.Errorf("the audience page animates what the compositor cannot move alone: %v", bad)
	}
	stage.checkConsole()
	first.checkConsole()
	phone.checkConsole()
}

// netLog counts what a tab's requests cost, by URL, from the DevTools
// protocol's network events.
type netLog struct {
	mu   sync.Mutex
	reqs map[network.RequestID]*netRequest
}

type netRequest struct {
	url       string
	initiator network.InitiatorType
	status    int64
	cached    bool  // from the memory or disk cache
	bytes     int64 // received over the network, headers included
}

func watchNetwork(tb *tab) *netLog {
	l := &netLog{reqs: map[network.RequestID]*netRequest{}}
	err := chromedp.Listen(tb.ctx, func(ev any) {
		l.mu.Lock()
		defer l.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			r := &netRequest{url: ev.Request.URL}
			if ev.Initiator != nil {
				r.initiator = ev.Initiator.Type
			}
			l.reqs[ev.RequestID] = r
		case *network.EventRequestServedFromCache:
			if r := l.reqs[ev.RequestID]; r != nil {
				r.cached = true
			}
		case *network.EventResponseReceived:
			if r := l.reqs[ev.RequestID]; r != nil {
				r.status = ev.Response.Status
				r.cached = r.cached || ev.Response.FromDiskCache || ev.Response.FromPrefetchCache
			}
		case *network.EventLoadingFinished:
			if r := l.reqs[ev.RequestID]; r != nil {
				r.bytes = int64(ev.EncodedDataLength)
			}
		}
	})
	if err != nil {
		tb.t.Fatalf("%s: listen to the network: %v", tb.name, err)
	}
	return l
}

// take returns the requests seen so far and forgets them.
func (l *netLog) take() []netRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []netRequest
	for _, r := range l.reqs {
		out = append(out, *r)
	}
	l.reqs = map[network.RequestID]*netRequest{}
	return out
}

// slowMobile is the profile of a phone on a crowded hall's Wi-Fi: 400 kb/s
// each way, 400 ms round trip, for every request.
var slowMobile = chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		return err
	}
	_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Latency: 400, DownloadThroughput: 400_000 / 8, UploadThroughput: 400_000 / 8}},
	})
	return err
})

// waitForBrotli waits until the server answers page and every file it
// loads from /static/ in brotli, which the server compresses in the
// background after its start.
func waitForBrotli(tb testing.TB, base, page string) {
	tb.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	brotli := func(path string) (bool, []byte) {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			tb.Fatal(err)
		}
		req.Header.Set("Accept-Encoding", "br")
		res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			tb.Fatalf("GET %s: %v", path, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(brotliReader(res))
		return res.Header.Get("Content-Encoding") == "br", b
	}
	for {
		ok, html := brotli(page)
		for _, m := range staticURL.FindAllStringSubmatch(string(html), -1) {
			if ok {
				ok, _ = brotli(m[1])
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s and its files are not all in brotli within 2 minutes", page)
		}
		time.Sleep(100 * time.Millisecond) // polls a state the server reaches by itself
	}
}

// staticURL finds what a page loads from /static/.
var staticURL = regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`)

// brotliReader decodes res's body when it is in brotli.
func brotliReader(res *http.Response) io.Reader {
	if res.Header.Get("Content-Encoding") == "br" {
		return brotli.NewReader(res.Body)
	}
	return res.Body
}

// firstJoinBudget is the goal for a first join's bytes (issue 26): page,
// styles, scripts and API answers, headers included. The modules a first
// join does not show (the kinds beyond choices and scale, surveys, the
// programme) load when the event first needs them.
const firstJoinBudget = 100_000

func TestBrowserPhoneJoinsOnSlowNetwork(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	f := newFixture(t, srv.URL, "SLOW26", 2)
	f.roundAction(t, srv.URL, "start")
	f.pitchAction(t, srv.URL, 0, "open")
	waitForBrotli(t, srv.URL, "/e/"+f.Code)
	b := newBrowser(t)
	phone := b.newTab("phone", phoneSize)
	log := watchNetwork(phone)
	phone.do("slow mobile network", slowMobile)

	// The first join: from the QR code's URL to a vote counted.
	started := time.Now()
	phone.open(srv.URL + "/e/" + f.Code)
	phone.waitFor("join form", `document.querySelector('#join-form')`)
	phone.click(`#join-form button[type=submit]`)
	pp := phonePage{phone, "phone"}
	pp.vote(fmt.Sprintf("pitch:%d", f.Pitches[0]), 4, "counted")
	toVote := time.Since(started)
	first := log.take()
	var total, assets int64
	var lines []string
	for _, r := range first {
		u, err := url.Parse(r.url)
		if err != nil || u.Scheme != "http" {
			continue // the WebSocket's frames are the show, not the page
		}
		total += r.bytes
		if strings.HasPrefix(u.Path, "/static/") {
			assets += r.bytes
			// One round for the modules: every script was named by the page
			// (the import map's preload hints), none found by reading another.
			if strings.HasSuffix(u.Path, ".js") && r.initiator != network.InitiatorTypeParser {
				t.Errorf("%s was requested by %s, not by the page's preload hints: a second round", u.Path, r.initiator)
			}
		}
		lines = append(lines, fmt.Sprintf("%s %d %d B", u.Path, r.status, r.bytes))
	}
	t.Logf("first join: %d B over HTTP (%d B of assets), vote counted after %v:\n  %s", total, assets, toVote.Round(10*time.Millisecond), strings.Join(lines, "\n  "))
	if total > firstJoinBudget {
		t.Errorf("a first join transfers %d B, over the %d B budget", total, firstJoinBudget)
	}
	if assets == 0 {
		t.Fatal("no asset counted: the network log sees nothing")
	}
	// The goal is 5 s (BENCHMARKS.md); the bound only catches a page that
	// waits on something it should not, on a machine of any speed.
	if toVote > 60*time.Second {
		t.Errorf("the first vote was counted after %v", toVote)
	}

	// A reload fetches the page alone; the assets come from the cache.
	phone.do("reload", chromedp.Reload())
	phone.waitFor("the keypad again, the vote kept", fmt.Sprintf(`document.querySelector('.card[data-target="pitch:%d"] button[data-v="4"][aria-checked="true"]')`, f.Pitches[0]))
	var fetched []string
	var fetchedBytes int64
	for _, r := range log.take() {
		u, err := url.Parse(r.url)
		if err != nil || u.Scheme != "http" || r.cached {
			continue
		}
		fetchedBytes += r.bytes
		fetched = append(fetched, fmt.Sprintf("%s %d %d B", u.Path, r.status, r.bytes))
		if strings.HasPrefix(u.Path, "/static/") {
			t.Errorf("the reload fetched %s again (status %d)", u.Path, r.status)
		}
	}
	t.Logf("reload: %d B over HTTP:\n  %s", fetchedBytes, strings.Join(fetched, "\n  "))
	phone.checkConsole()
}
