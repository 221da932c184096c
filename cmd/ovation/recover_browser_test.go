package main

// Browser tests of a show day's bad moments: the server restarts under a
// stage with its ticker on and a phone. The stage's state must be the
// topmost thing on screen and its live figures greyed; the phone must say
// which side is down (its network, or the server); both must be live again
// within 3 s of the server answering /healthz again.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// healTarget is how long a page may take to be live again after the
// restarted server first answers /healthz.
const healTarget = 3 * time.Second

// setNetwork makes the page's browser context see the network as off or on
// (navigator.onLine and the online/offline events), as a phone whose Wi-Fi
// drops.
func (tb *tab) setNetwork(offline bool) {
	tb.t.Helper()
	tb.do(fmt.Sprintf("network offline=%v", offline), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
			Offline: offline, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}))
}

// firstHealthy polls GET base/healthz until it answers 200 and returns when
// it did.
func firstHealthy(t *testing.T, base string) time.Time {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return time.Now()
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("/healthz did not answer 200 within 30 s")
	return time.Time{}
}

// watchLive records in the page (window.__liveAt, Unix ms) the first moment
// cond holds, checked on every change of the page.
func (tb *tab) watchLive(cond string) {
	tb.t.Helper()
	tb.eval(`(() => {
  window.__liveAt = 0;
  const check = () => { if (!window.__liveAt && (` + cond + `)) window.__liveAt = Date.now(); };
  window.__liveObs?.disconnect();
  window.__liveObs = new MutationObserver(check);
  window.__liveObs.observe(document.documentElement, { attributes: true, childList: true, subtree: true, characterData: true });
})()`)
}

const (
	stageLive = `document.querySelector('#reconnecting').hidden && !document.body.classList.contains('stale')`
	phoneLive = `document.querySelector('#banner').hidden && !document.body.classList.contains('stale')`
)

func TestBrowserRecoverRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := startServer(t, dir)
	ev := newPitchNight(t, srv.URL, "RECOVER")
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/start", ev.RoundID), nil, nil)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/open", ev.Pitches[0]), nil, nil)
	target := fmt.Sprintf("pitch:%d", ev.Pitches[0])
	// An approved post, so that the stage's ticker runs along the bottom.
	must(t, srv.URL, "PATCH", "/api/events/"+ev.Code+"/feed/settings", map[string]any{"moderation": "post"}, nil)
	fan := join(t, srv.URL, ev.Code, map[string]any{"display_name": "Zoé"})
	if st := call(t, srv.URL, "POST", "/api/events/"+ev.Code+"/feed/posts", fan.Token, map[string]any{"text": "Bravo Solaris !", "room_id": ev.RoomID}, nil); st != 201 {
		t.Fatalf("post: status %d", st)
	}
	shots := shotDir(t)
	b := newBrowser(t)

	stage := b.newTab("stage", stageSize)
	stage.open(srv.URL + "/stage/" + ev.Code)
	stage.waitFor("pitch on stage, ticker on", `document.querySelector('#pitch-view') && !document.querySelector('#ticker').hidden`)
	p := phonePage{b.newTab("phone", phoneSize), ""}
	p.open(srv.URL + "/e/" + ev.Code)
	p.click(`#join-form button[type=submit]`)
	p.vote(target, 4, "counted")
	stage.waitFor("the vote on stage", `document.querySelector('#stage-votes strong').textContent === '1'`)
	small := phonePage{b.newTab("phone 320", viewport{320, 640, true}), ""}
	small.open(srv.URL + "/e/" + ev.Code)
	small.click(`#join-form button[type=submit]`)
	small.waitFor("pitch card", fmt.Sprintf(`document.querySelector('.card[data-target=%q]')`, target))

	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	tabs := []*tab{stage, p.tab, small.tab}
	var heals []time.Duration
	for cycle := 1; cycle <= 3; cycle++ {
		for _, tb := range tabs {
			tb.setOffline(true)
		}
		srv.Stop(t)

		stage.waitFor("reconnecting mark", `!document.querySelector('#reconnecting').hidden && document.body.classList.contains('stale')`)
		p.waitFor("server named as down", `!document.querySelector('#banner').hidden && ['restarting', 'server'].includes(document.querySelector('#banner').dataset.down)`)
		if cycle == 1 {
			t.Run("the stage's state is on top of the ticker", func(t *testing.T) {
				got := jsEval[map[string]any](stage, `(() => {
  const m = document.querySelector('#reconnecting').getBoundingClientRect();
  const tk = document.querySelector('#ticker').getBoundingClientRect();
  const x = m.left + m.width / 2, y = m.top + m.height / 2;
  const top = document.elementFromPoint(x, y);
  return { onTop: !!top && !!top.closest('#reconnecting'), overTicker: y >= tk.top && y <= tk.bottom && !document.querySelector('#ticker').hidden,
    text: document.querySelector('#reconnecting').textContent,
    presence: Number(getComputedStyle(document.querySelector('#presence')).opacity),
    votes: Number(getComputedStyle(document.querySelector('#stage-votes')).opacity),
    clock: Number(getComputedStyle(document.querySelector('#pitch-view .countdown')).opacity) };
})()`)
				if got["onTop"] != true || got["overTicker"] != true {
					t.Errorf("reconnecting mark: topmost %v, over the ticker %v; want both", got["onTop"], got["overTicker"])
				}
				if text, _ := got["text"].(string); !strings.Contains(text, "Server") {
					t.Errorf("stage mark says %q, want it to name the server", text)
				}
				for _, k := range []string{"presence", "votes", "clock"} {
					if o, _ := got[k].(float64); o > 0.6 {
						t.Errorf("%s opacity %v while disconnected, want it greyed (≤ 0.6)", k, o)
					}
				}
			})
			stage.screenshot(shots, "stage-reconnecting", stageSize)
			t.Run("the phone names the server, then its own network", func(t *testing.T) {
				if got := p.text(`document.querySelector('#banner').textContent`); !strings.Contains(got, "server") {
					t.Errorf("banner says %q, want it to name the server", got)
				}
				p.screenshot(shots, "audience-server-down", phoneSize)
				small.setNetwork(true)
				small.waitFor("own network named", `document.querySelector('#banner').dataset.down === 'network'`)
				if got := small.text(`document.querySelector('#banner').textContent`); !strings.Contains(got, "This phone has no network") {
					t.Errorf("banner says %q offline, want it to name the phone's network", got)
				}
				small.screenshot(shots, "audience-no-network-320", viewport{320, 640, true})
				small.setNetwork(false)
				small.waitFor("server named again", `['restarting', 'server'].includes(document.querySelector('#banner').dataset.down)`)
			})
		}

		stage.watchLive(stageLive)
		p.watchLive(phoneLive)
		small.watchLive(phoneLive)
		srv = startServer(t, dir, "-listen", u.Host)
		healthy := firstHealthy(t, srv.URL)
		for _, tb := range tabs {
			tb.waitForWithin(healTarget+5*time.Second, "live again", `window.__liveAt > 0`)
			at := time.UnixMilli(int64(jsEval[float64](tb, `window.__liveAt`)))
			heal := at.Sub(healthy)
			heals = append(heals, heal)
			t.Logf("restart %d: %s live %v after the first 200 of /healthz", cycle, tb.name, heal.Round(time.Millisecond))
			if heal > healTarget {
				t.Errorf("restart %d: %s live %v after /healthz answered, want ≤ %v", cycle, tb.name, heal.Round(time.Millisecond), healTarget)
			}
			tb.setOffline(false)
		}
		stage.waitFor("figures live", fmt.Sprintf(`document.querySelector('#stage-votes strong').textContent === '%d'`, 1))
	}
	slowest := time.Duration(0)
	for _, h := range heals {
		slowest = max(slowest, h)
	}
	t.Logf("slowest heal %v over %d page restarts", slowest.Round(time.Millisecond), len(heals))
	small.vote(target, 5, "counted")
	stage.waitFor("the new vote on stage", `document.querySelector('#stage-votes strong').textContent === '2'`)
	for _, tb := range tabs {
		tb.checkConsole()
	}
}

func TestBrowserAudienceSections(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "SECTIONS")
	board := createBoard(t, srv.URL, ev.Code, map[string]any{"title": "Questions for the teams", "room_id": ev.RoomID, "moderation": "post", "open": true})
	must(t, srv.URL, "PATCH", "/api/events/"+ev.Code+"/feed/settings", map[string]any{"moderation": "post"}, nil)
	fan := join(t, srv.URL, ev.Code, map[string]any{"display_name": "Zoé"})
	if st := call(t, srv.URL, "POST", "/api/events/"+ev.Code+"/feed/posts", fan.Token, map[string]any{"text": "Bravo Solaris !", "room_id": ev.RoomID}, nil); st != 201 {
		t.Fatalf("post: status %d", st)
	}
	if st := call(t, srv.URL, "POST", fmt.Sprintf("/api/events/%s/boards/%d/entries", ev.Code, board), fan.Token, map[string]any{"text": "How do you make money?"}, nil); st != 201 {
		t.Fatalf("board entry: status %d", st)
	}
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/start", ev.RoundID), nil, nil)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/open", ev.Pitches[0]), nil, nil)
	target := fmt.Sprintf("pitch:%d", ev.Pitches[0])
	shots := shotDir(t)
	b := newBrowser(t)
	p := phonePage{b.newTab("phone", phoneSize), ""}
	p.open(srv.URL + "/e/" + ev.Code)
	p.click(`#join-form button[type=submit]`)
	p.waitFor("sections", `!document.querySelector('#sections').hidden && document.querySelector('#board-`+fmt.Sprint(board)+`')`)

	t.Run("the active vote is first, in the first section", func(t *testing.T) {
		got := jsEval[map[string]any](p.tab, `(() => ({
  tabs: [...document.querySelectorAll('#sections [role=tab]')].map((b) => b.dataset.section + ':' + b.getAttribute('aria-selected')).join(','),
  role: document.querySelector('#sections > [role]')?.getAttribute('role'),
  first: document.querySelector('#app').firstElementChild.id,
  card: document.querySelector('#panel-vote .card').dataset.target || '',
  height: document.documentElement.scrollHeight,
}))()`)
		if got["tabs"] != "vote:true,questions:false,feed:false" || got["role"] != "tablist" {
			t.Errorf("tabs %v (role %v), want vote selected first, then questions and feed in a tablist", got["tabs"], got["role"])
		}
		if got["first"] != "panel-vote" || got["card"] != target {
			t.Errorf("first panel %v with first card %v, want panel-vote with %s", got["first"], got["card"], target)
		}
		t.Logf("vote section: page %v px high", got["height"])
	})
	p.screenshot(shots, "audience-sections-vote", phoneSize)

	t.Run("arrow keys switch sections", func(t *testing.T) {
		p.eval(`document.querySelector('#tab-vote').focus()`)
		p.do("arrow right", chromedp.KeyEvent(kb.ArrowRight))
		p.waitFor("questions shown", `document.querySelector('#tab-questions').getAttribute('aria-selected') === 'true' && !document.querySelector('#panel-questions').hidden && document.querySelector('#panel-vote').hidden && document.activeElement.id === 'tab-questions'`)
		p.do("arrow right", chromedp.KeyEvent(kb.ArrowRight))
		p.waitFor("feed shown", `document.querySelector('#tab-feed').getAttribute('aria-selected') === 'true' && !document.querySelector('#panel-feed').hidden && document.querySelector('#panel-questions').hidden`)
		if got := p.text(`document.querySelector('#feed-list .post-meta').textContent`); !strings.HasPrefix(got, "Audience ·") {
			t.Errorf("an in-app post is signed %q, want it to come from the audience", got)
		}
	})
	p.do("reload", chromedp.Reload())
	p.waitFor("feed section remembered", `!document.querySelector('#sections').hidden && document.querySelector('#tab-feed').getAttribute('aria-selected') === 'true' && !document.querySelector('#panel-feed').hidden`)

	t.Run("a new poll is announced in another section, and leads to its card", func(t *testing.T) {
		must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/open", ev.PollID), nil, nil)
		p.waitFor("New: the poll", `!document.querySelector('#news-box').hidden && document.querySelector('#news').textContent.startsWith('New: Which idea') && !document.querySelector('#tab-vote .tab-badge').hidden`)
		p.screenshot(shots, "audience-sections-news", phoneSize)
		p.click("#news")
		p.waitFor("poll card first and in view", fmt.Sprintf(`document.querySelector('#tab-vote').getAttribute('aria-selected') === 'true' && document.querySelector('#news-box').hidden
  && document.querySelector('#cards').firstElementChild.dataset.target === 'poll:%d'
  && document.querySelector('#cards').firstElementChild.getBoundingClientRect().top >= 0 && document.querySelector('#cards').firstElementChild.getBoundingClientRect().top < innerHeight / 2`, ev.PollID))
	})

	t.Run("the next pitch is brought into view at 320 px", func(t *testing.T) {
		small := viewport{320, 640, true}
		p.do("320x640", p.emulate(small))
		must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/close", ev.PollID), nil, nil)
		p.waitFor("poll closed", fmt.Sprintf(`document.querySelector('#cards').firstElementChild.dataset.target !== 'poll:%d' || document.querySelector('.card[data-target="poll:%d"] .prompt').classList.contains('closed')`, ev.PollID, ev.PollID))
		p.eval(`scrollTo(0, document.documentElement.scrollHeight)`)
		scrolled := jsEval[float64](p.tab, `scrollY`)
		must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/next", ev.RoundID), nil, nil)
		next := fmt.Sprintf("pitch:%d", ev.Pitches[1])
		p.waitFor("next pitch in view", fmt.Sprintf(`(() => { const c = document.querySelector('.card[data-target=%q]'); if (!c) return false; const r = c.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight / 2; })()`, next))
		t.Logf("scrolled to %v px before the next pitch, %v px after", scrolled, jsEval[float64](p.tab, `scrollY`))
		if w := jsEval[float64](p.tab, `document.documentElement.scrollWidth - innerWidth`); w > 0 {
			t.Errorf("the page scrolls sideways by %v px at 320 px", w)
		}
		p.screenshot(shots, "audience-sections-320", small)
		p.click("#tab-questions")
		p.waitFor("questions at 320", `!document.querySelector('#panel-questions').hidden`)
		p.screenshot(shots, "audience-sections-questions-320", small)
		p.checkContrast("sections, 320")
	})

	t.Run("a French-first event names its first room in French", func(t *testing.T) {
		var created struct{ ID int64 }
		must(t, srv.URL, "POST", "/api/events", map[string]any{"code": "SALLE", "title": "Soirée", "languages": []string{"fr", "en"}}, &created)
		var pub struct{ Rooms []struct{ Name string } }
		must(t, srv.URL, "GET", "/api/events/SALLE", nil, &pub)
		if len(pub.Rooms) != 1 || pub.Rooms[0].Name != "Salle principale" {
			t.Errorf("rooms %+v, want one named \"Salle principale\"", pub.Rooms)
		}
	})
	p.checkConsole()
}
