package main

import (
	"strconv"
	"testing"
)

// reflowJS lists what makes a page wider than its viewport: the page's own
// width, and each visible element whose right or left edge is outside the
// viewport and that no scrolling box of its own holds (a table in its
// scroll box may scroll: WCAG 1.4.10 excepts a data table's two dimensions).
const reflowJS = `(() => {
  const vw = document.documentElement.clientWidth;
  const inScroller = (el) => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX; if ((o === 'auto' || o === 'scroll' || o === 'hidden') && p.clientWidth <= vw) return true; } return false; };
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!el.getClientRects().length || el.closest('[hidden], dialog:not([open])')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || (r.right <= vw + 1 && r.left >= -1) || inScroller(el)) continue;
    out.push((el.id ? '#' + el.id : el.tagName.toLowerCase() + '.' + [...el.classList].join('.')) + ' ' + Math.round(r.left) + '–' + Math.round(r.right));
  }
  if (!out.length && document.documentElement.scrollWidth > vw + 1) {
    // Content that overflows a box showing its overflow widens the page: name the deepest such box.
    const wide = [...document.querySelectorAll('body, body *')].filter((el) => el.getClientRects().length && el.scrollWidth > vw + 1 && getComputedStyle(el).overflowX === 'visible');
    const deepest = wide.filter((el) => !wide.some((o) => o !== el && el.contains(o)));
    for (const el of deepest.slice(0, 4)) out.push((el.id ? '#' + el.id : el.tagName.toLowerCase() + '.' + [...el.classList].join('.')) + ' scrollWidth ' + el.scrollWidth + ' ' + el.outerHTML.slice(0, 160));
  }
  return { width: document.documentElement.scrollWidth, out: out.slice(0, 12) };
})()`

type reflow struct {
	Width float64
	Out   []string
}

// TestBrowserControlReflows opens the control page on a phone's width (390
// and 320 px): its views reflow into one column, nothing but a table in its
// own scroll box wider than the screen (WCAG 1.4.10).
func TestBrowserControlReflows(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "FLOW26")
	shots := shotDir(t)
	b := newBrowser(t)
	for _, vp := range []viewport{phoneSize, phone320} {
		c := b.newTab("control", vp)
		c.open(srv.URL + "/control#" + ev.Code)
		c.waitFor("login form", `!document.querySelector('#login-view').hidden`)
		c.typeInto("#password", "correct horse")
		c.click(`#login-form button[type=submit]`)
		c.waitFor("live panel", has("#live-title"))
		for _, view := range []struct{ name, hash, ready string }{
			{"console", "#" + ev.Code, has("#live-title")},
			{"team", "#~team", has("#team-table")},
			{"account", "#~account", `!document.querySelector('#account-view').hidden`},
		} {
			c.open(srv.URL + "/control" + view.hash)
			c.waitFor(view.name, view.ready)
			frames(c)
			r := jsEval[reflow](c, reflowJS)
			if r.Width > float64(vp.w)+1 || len(r.Out) > 0 {
				t.Errorf("control, %s at %d px: the page is %.0f px wide; outside: %q", view.name, vp.w, r.Width, r.Out)
			}
			c.screenshot(shots, "control-"+view.name+"-"+strconv.FormatInt(vp.w, 10), vp)
			if view.name == "console" {
				c.click("#new-poll")
				c.waitFor("the poll form", has("dialog[open] #f-question"))
				frames(c)
				if r := jsEval[reflow](c, reflowJS); r.Width > float64(vp.w)+1 || len(r.Out) > 0 {
					t.Errorf("control, new poll form at %d px: the page is %.0f px wide; outside: %q", vp.w, r.Width, r.Out)
				}
				c.screenshot(shots, "control-poll-form-"+strconv.FormatInt(vp.w, 10), vp)
				c.eval(`document.querySelector('#form-dialog').close()`)
				c.waitFor("the form closed", `!document.querySelector('#form-dialog').open`)
			}
		}
		c.checkConsole()
	}
}

// TestBrowserControlLeavesConsoleMidRender leaves the console for the Team
// view while a render of a live frame waits for its animation frame: the
// render must find that the console is gone, not throw on the closed
// connection's missing store.
func TestBrowserControlLeavesConsoleMidRender(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "LEAVE26")
	c := openControl(newBrowser(t), srv.URL, ev)
	frames(c)
	// Hold every animation frame the page asks for from now on.
	c.eval(`window.heldFrames = []; window.realRAF = window.requestAnimationFrame;
		window.requestAnimationFrame = (cb) => { window.heldFrames.push(cb); return 0; }`)
	must(t, srv.URL, "POST", "/api/events/"+ev.Code+"/polls", map[string]any{"room_id": ev.RoomID,
		"question": "Coffee or tea?", "kind": "choices", "choices": []string{"Coffee", "Tea"}}, nil)
	c.waitFor("a render waiting for its frame", `window.heldFrames.length > 0`)
	c.eval(`location.hash = '#~team'`)
	c.waitFor("the team view", `!document.querySelector('#team-view').hidden`)
	c.eval(`window.requestAnimationFrame = window.realRAF; for (const cb of window.heldFrames.splice(0)) window.realRAF(cb)`)
	c.waitFor("the team table", has("#team-table"))
	frames(c)
	c.checkConsole()
}
