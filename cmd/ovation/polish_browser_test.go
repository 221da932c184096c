package main

// Browser tests of the second rehearsal's polish (issue 26, items 13 to
// 20): a phone at 320×640 with a 32 px font keeps its keypad's ✓ badge, the
// pitch card's pill, the ranking's items and the tab labels inside their
// boxes; an Arabic name is cut at its end wherever a name is cut; the
// overlay's lower third says each thing once; the stage's reconnecting
// pill is as large as the rest of the stage; choice percentages add up to
// 100; the poll form has one setting for its results; the control page
// greys its live figures while the server is down; a closed ranking poll
// offers nothing to move.

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// polishRanking is a ranking poll's items: a short one, an Arabic one and
// a long one.
var polishRanking = []string{"Talks", "شركة الطاقة الشمسية المتجددة والمستدامة", rehearsalTeams[4].Team}

// newPolishEvent creates the rehearsal's event with the Arabic team on
// stage taking votes, a choice poll open and a ranking poll ready, with
// results live, four votes on the choice poll (two on B, two on C), and a
// board open; it returns the event and the two polls' ids.
func newPolishEvent(t *testing.T, base, code string) (ev pitchNight, choices, ranking int64) {
	t.Helper()
	ev = newRehearsal(t, base, code)
	must(t, base, "POST", fmt.Sprintf("/api/rounds/%d/actions/start", ev.RoundID), nil, nil)
	for range arabicTeam {
		must(t, base, "POST", fmt.Sprintf("/api/rounds/%d/actions/next", ev.RoundID), nil, nil)
	}
	must(t, base, "POST", fmt.Sprintf("/api/pitches/%d/actions/open", ev.Pitches[arabicTeam]), nil, nil)
	var p struct{ ID int64 }
	must(t, base, "POST", "/api/events/"+code+"/polls", map[string]any{"room_id": ev.RoomID, "question": "Quelle équipe a le meilleur stand ?", "kind": "choices",
		"choices": []string{"Industrie", rehearsalTeams[arabicTeam].Team, "Fromageries"}, "results": "live"}, &p)
	choices = p.ID
	must(t, base, "POST", fmt.Sprintf("/api/polls/%d/actions/open", choices), nil, nil)
	for i, v := range []int{2, 2, 3, 3} {
		vote(t, base, join(t, base, code, map[string]any{}), fmt.Sprint("polish-", i), fmt.Sprintf("poll:%d", choices), v)
	}
	must(t, base, "POST", "/api/events/"+code+"/polls", map[string]any{"room_id": ev.RoomID, "question": "Qu’est-ce qui compte le plus ?", "kind": "ranking",
		"choices": polishRanking, "results": "live", "position": 1}, &p)
	ranking = p.ID
	createBoard(t, base, code, map[string]any{"title": "Questions pour le jury", "room_id": ev.RoomID, "moderation": "post", "open": true})
	return ev, choices, ranking
}

// rtlCutsJS lists the elements of doc whose text starts (by its first
// strong letter) in Arabic and that cut it (an ellipsis or a line clamp)
// while laid out left to right: their text would lose its start.
func rtlCutsJS(doc string) string {
	return `((doc) => {
  const win = doc.defaultView;
  const first = (s) => (s.match(/[A-Za-z\u00C0-\u024F\u0590-\u08FF]/) || [''])[0];
  return [...doc.querySelectorAll('body *')].filter((el) => {
    if (!el.getClientRects().length || !/[\u0600-\u06FF]/.test(first(el.textContent))) return false;
    const cs = win.getComputedStyle(el);
    const cuts = (cs.textOverflow === 'ellipsis' && cs.overflowX !== 'visible') || parseInt(cs.webkitLineClamp, 10) > 0;
    return cuts && cs.direction !== 'rtl';
  }).map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + [...el.classList].map((c) => '.' + c).join('') + ' ' + JSON.stringify(el.textContent.slice(0, 30)));
})(` + doc + `)`
}

// checkRTLCuts fails for every element of doc that would cut an Arabic
// name at its start.
func checkRTLCuts(t *testing.T, tb *tab, where, doc string) {
	t.Helper()
	frames(tb) // the names shown are fitted
	if bad := jsEval[[]string](tb, rtlCutsJS(doc)); len(bad) > 0 {
		t.Errorf("%s: Arabic text cut left to right, at its start, in %q", where, bad)
	}
}

// phoneFit is what phoneFitJS measures of an audience page.
type phoneFit struct {
	ScrollWidth float64
	Problems    []string
	Badges      int // the ✓ badges measured
}

// phoneFitJS measures the parts of the audience page that passed their
// boxes at 320 px with a 32 px font: each ✓ badge (a ::after of its key)
// against the other keys and the screen, the pitch card's pill against the
// card, the ranking's items against their card, and the tab labels against
// their tabs.
const phoneFitJS = `(() => {
  const out = [], W = innerWidth;
  const rect = (el) => el.getBoundingClientRect();
  const meets = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const name = (el) => el.tagName.toLowerCase() + [...el.classList].map((c) => '.' + c).join('') + (el.dataset.v ? '[' + el.dataset.v + ']' : '');
  const f = (r) => Math.round(r.left) + '–' + Math.round(r.right) + '×' + Math.round(r.top) + '–' + Math.round(r.bottom);
  let badges = 0;
  for (const key of document.querySelectorAll('.key.confirmed, .choice-key.confirmed')) {
    const cs = getComputedStyle(key, '::after');
    if (cs.content === 'none' || cs.display === 'none') continue;
    badges++;
    // The badge is placed against the key's padding box.
    const k = rect(key), kcs = getComputedStyle(key);
    const right = k.right - parseFloat(kcs.borderRightWidth) - parseFloat(cs.right);
    const top = k.top + parseFloat(kcs.borderTopWidth) + parseFloat(cs.top);
    const b = { left: right - parseFloat(cs.width), right, top, bottom: top + parseFloat(cs.height) };
    if (b.left < 0 || b.right > W) out.push('the ✓ badge of ' + name(key) + ' ' + f(b) + ' passes the screen');
    for (const other of key.parentElement.children) {
      if (other !== key && other.getClientRects().length && meets(b, rect(other))) out.push('the ✓ badge of ' + name(key) + ' ' + f(b) + ' overlaps ' + name(other) + ' ' + f(rect(other)));
    }
  }
  const inCard = (el, what) => {
    const card = el.closest('.card'), c = rect(card), r = rect(el), cs = getComputedStyle(card);
    const box = { left: c.left + parseFloat(cs.borderLeftWidth), right: c.right - parseFloat(cs.borderRightWidth) };
    if (r.left < box.left - 0.5 || r.right > box.right + 0.5) out.push(what + ' ' + f(r) + ' passes its card ' + f(c));
    if (getComputedStyle(el).display !== 'inline' && el.scrollWidth > el.clientWidth + 1) out.push(what + ' ' + JSON.stringify(el.textContent) + ' is ' + el.scrollWidth + ' px wide in ' + el.clientWidth);
  };
  document.querySelectorAll('.pitch-card .pitch-head .tag').forEach((el) => inCard(el, 'the pitch card pill'));
  document.querySelectorAll('.rank-item, .rank-key, .rank-item > *, .rank-key > *, .rank-modes > *').forEach((el) => { if (el.getClientRects().length) inCard(el, name(el)); });
  for (const l of document.querySelectorAll('#sections [role=tab]:not([hidden]) .tab-label')) {
    if (l.scrollWidth > l.clientWidth + 1) out.push('the tab label ' + JSON.stringify(l.textContent) + ' is cut: ' + l.scrollWidth + ' px in ' + l.clientWidth);
  }
  return { scrollwidth: document.documentElement.scrollWidth, problems: out, badges };
})()`

// checkPhoneFit fails for each part phoneFitJS finds out of its box, and
// unless it measured badges ✓ badges.
func checkPhoneFit(t *testing.T, tb *tab, where string, vp viewport, badges int) {
	t.Helper()
	frames(tb)
	f := jsEval[phoneFit](tb, phoneFitJS)
	t.Logf("%s: %d badges measured, page %.0f px wide; %q", where, f.Badges, f.ScrollWidth, f.Problems)
	if f.Badges != badges {
		t.Errorf("%s: %d ✓ badges measured, want %d", where, f.Badges, badges)
	}
	for _, pr := range f.Problems {
		t.Errorf("%s: %s", where, pr)
	}
	if f.ScrollWidth > float64(vp.w)+1 {
		t.Errorf("%s: the page is %.0f px wide on a %d px screen", where, f.ScrollWidth, vp.w)
	}
}

// shownPercents are the percentages the bars of sel show, as numbers.
func shownPercents(tb *tab, sel string) []int {
	tb.t.Helper()
	return jsEval[[]int](tb, `[...document.querySelectorAll(`+jsString(sel+` .bar .value`)+`)].map((v) => parseInt(v.textContent, 10))`)
}

func sum(v []int) (s int) {
	for _, x := range v {
		s += x
	}
	return s
}

// rankingControls lists the controls of a ranking poll's card that let a
// phone change or send its order, as shown.
func rankingControls(tb *tab, card string) []string {
	tb.t.Helper()
	return jsEval[[]string](tb, `[...document.querySelectorAll(`+jsString(card+` .rank-mode, `+card+` .rank-up, `+card+` .rank-down, `+card+` .rank-clear, `+card+` .rank-handle, `+card+` .send-answer, `+card+` .rank-key`)+`)]
  .filter((el) => el.getClientRects().length).map((el) => el.className + ' ' + JSON.stringify(el.textContent))`)
}

func TestBrowserPolishPhone(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev, choices, ranking := newPolishEvent(t, srv.URL, "POLISH")
	shots := shotDir(t)
	pitch := fmt.Sprintf("pitch:%d", ev.Pitches[arabicTeam])
	choiceCard := fmt.Sprintf(`.card[data-target="poll:%d"]`, choices)
	rankCard := fmt.Sprintf(`.card[data-target="poll:%d"]`, ranking)

	b := newBrowser(t)
	type phone struct {
		name string
		vp   viewport
		font int64
		shot string
		p    phonePage
	}
	phones := []*phone{
		{name: "phone 320, 32 px font", vp: phone320, font: 32, shot: "wpolish-phone-320-large"},
		{name: "phone 390", vp: phoneSize, shot: "wpolish-phone-390"},
	}
	for i, c := range phones {
		c.p = phonePage{b.newTab(c.name, c.vp), fmt.Sprint(i)}
		if c.font > 0 {
			c.p.do("font size", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, page.SetFontSizes, page.SetFontSizesParams{FontSizes: &page.FontSizes{Standard: c.font, Fixed: c.font - 6}})
				return err
			}))
		}
		p := c.p
		p.open(srv.URL + "/e/" + ev.Code)
		p.waitFor("join form", has("#join-form"))
		p.click(`#join-form button[type=submit]`)
		p.waitFor("the pitch, the poll and the board's tab", fmt.Sprintf(`%s && %s && document.querySelectorAll('#sections [role=tab]:not([hidden])').length === 3`,
			has(fmt.Sprintf(`.card[data-target=%q]`, pitch)), has(choiceCard+" .bar")))
		p.vote(pitch, 4, "counted")
		p.vote(fmt.Sprintf("poll:%d", choices), 1, "counted")
		// Item 13: the ✓ badges, the pill and the tab labels stay in their boxes.
		checkPhoneFit(t, p.tab, c.name, c.vp, 2)
		// Item 14: the Arabic names are cut at their end, if at all.
		checkRTLCuts(t, p.tab, c.name, "document")
	}

	// Item 17: two votes on each of three choices show 34 + 33 + 33.
	for _, c := range phones {
		c.p.waitFor("six votes on the choice poll", fmt.Sprintf(`[...document.querySelectorAll('%s .bar')].reduce((s, b) => s + Number(b.dataset.count), 0) === 6`, choiceCard))
		if got := shownPercents(c.p.tab, choiceCard); len(got) != 3 || sum(got) != 100 {
			t.Errorf("%s: the choice poll shows %v %%, want three shares adding up to 100", c.name, got)
		}
		c.p.eval(fmt.Sprintf(`document.querySelector('%s .choice-list').scrollIntoView({block: 'start'})`, choiceCard))
		c.p.screenshot(shots, c.shot, c.vp)
	}

	// Item 13: the ranking's items stay in their card, in either way of
	// ordering them.
	must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/close", choices), nil, nil)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/open", ranking), nil, nil)
	for _, c := range phones {
		p := c.p
		p.waitFor("the ranking open", has(rankCard+" .rank-input"))
		for _, mode := range []string{"drag", "tap"} {
			// The cards above may still move as the page takes the poll's
			// change in (slowly, on a machine busy with the suite): a tap
			// that landed beside the button is made again, three at most.
			modeIs := fmt.Sprintf(`document.querySelector('%s .rank-input').dataset.mode === %q`, rankCard, mode)
			for try := 1; try <= 3; try++ {
				frames(p.tab)
				p.click(fmt.Sprintf(`%s .rank-mode[data-mode=%q]`, rankCard, mode))
				if switched := jsEval[bool](p.tab, `new Promise((done) => { const end = Date.now() + 3000;
  const look = () => (`+modeIs+`) ? done(true) : Date.now() > end ? done(false) : setTimeout(look, 50); look(); })`); switched {
					break
				}
				t.Logf("%s: the tap on %s did not switch the ranking (try %d)", c.name, mode, try)
			}
			p.waitFor(mode+" mode", modeIs)
			if mode == "tap" {
				p.click(rankCard + ` .rank-key[data-v="2"]`)
			}
			where := fmt.Sprintf("%s, ranking by %s", c.name, mode)
			checkPhoneFit(t, p.tab, where, c.vp, 1)
			checkRTLCuts(t, p.tab, where, "document")
			p.eval(fmt.Sprintf(`document.querySelector('%s .rank-input').scrollIntoView({block: 'start'})`, rankCard))
			p.screenshot(shots, c.shot+"-ranking-"+mode, c.vp)
		}
	}

	// Item 20: once closed, the ranking shows the order and nothing to move.
	must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/close", ranking), nil, nil)
	for _, c := range phones {
		p := c.p
		p.waitFor("the ranking closed", fmt.Sprintf(`document.querySelector('%s .prompt').classList.contains('closed')`, rankCard))
		frames(p.tab)
		if got := rankingControls(p.tab, rankCard); len(got) > 0 {
			t.Errorf("%s: the closed ranking still offers %q", c.name, got)
		}
		if n := jsEval[int](p.tab, fmt.Sprintf(`document.querySelectorAll('%s .rank-item').length`, rankCard)); n != len(polishRanking) {
			t.Errorf("%s: the closed ranking lists %d items, want %d", c.name, n, len(polishRanking))
		}
		checkRTLCuts(t, p.tab, c.name+", ranking closed", "document")
		p.eval(fmt.Sprintf(`document.querySelector('%s .rank-input').scrollIntoView({block: 'start'})`, rankCard))
		p.screenshot(shots, c.shot+"-ranking-closed", c.vp)
		p.eval(fmt.Sprintf(`document.querySelector('.card[data-target=%q] .pitch-head').scrollIntoView({block: 'start'})`, pitch))
		p.screenshot(shots, c.shot+"-pitch", c.vp)
		p.checkConsole()
	}
}

// overlayLobby is what the overlay's lower third shows in the lobby.
type overlayLobby struct {
	Text, Label, URL string
	Labels, URLs     int // how many times the join label and the join URL show
}

// TestBrowserPolishStage runs the stage and the overlay at 1920×1080:
// the overlay's lobby says how and where to vote once (item 15), the
// stage's percentages add up to 100 (17), Arabic names are cut at their
// end (14), and the reconnecting pill is at least 32 px high (16).
func TestBrowserPolishStage(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	shots := shotDir(t)
	b := newBrowser(t)

	// Item 15: the lobby's lower third, in both languages.
	lobby := newRehearsal(t, srv.URL, "LOBBY26")
	for _, lang := range []string{"en", "fr"} {
		ov := b.newTab("overlay "+lang, stageSize)
		ov.transparent()
		ov.open(srv.URL + "/stage/" + lobby.Code + "?view=overlay&lang=" + lang)
		ov.waitFor("the lobby's lower third", `document.querySelector('#overlay')?.dataset.what === 'lobby' && document.querySelector('#ov-join-url')?.textContent !== ''`)
		ov.settled()
		got := jsEval[overlayLobby](ov, `(() => {
  const third = document.querySelector('#ov-third'), text = third.innerText.toLowerCase(); // the kicker is in capitals
  const label = document.querySelector('.ov-join-label').textContent, url = document.querySelector('#ov-join-url').textContent;
  const count = (s) => s ? text.split(s.toLowerCase()).length - 1 : 0;
  return { text, label, url, labels: count(label), urls: count(url) };
})()`)
		t.Logf("overlay %s, lobby: %q", lang, got.Text)
		if got.Labels != 1 || got.URLs != 1 {
			t.Errorf("overlay %s, lobby: %q shows %d times and %q %d times, want each once", lang, got.Label, got.Labels, got.URL, got.URLs)
		}
		ov.screenshot(shots, "wpolish-overlay-lobby-"+lang, stageSize)
		ov.checkConsole()
	}

	// Item 17 and 14: two votes on each choice, on the stage and the overlay.
	ev, choices, _ := newPolishEvent(t, srv.URL, "STAGE26")
	for i := range 2 {
		vote(t, srv.URL, join(t, srv.URL, ev.Code, map[string]any{}), fmt.Sprint("polish-a-", i), fmt.Sprintf("poll:%d", choices), 1)
	}
	stage := b.newTab("stage", stageSize)
	stage.open(srv.URL + "/stage/" + ev.Code)
	ov := b.newTab("overlay", stageSize)
	ov.transparent()
	ov.open(srv.URL + "/stage/" + ev.Code + "?view=overlay")
	six := `[...document.querySelectorAll('%s .bar')].reduce((s, b) => s + Number(b.dataset.count), 0) === 6`
	stage.waitFor("six votes on stage", fmt.Sprintf(six, "#poll-view"))
	ov.waitFor("six votes on the overlay", fmt.Sprintf(six, "#ov-bars"))
	for _, c := range []struct {
		tb  *tab
		sel string
	}{{stage, "#poll-view"}, {ov, "#ov-bars"}} {
		if got := shownPercents(c.tb, c.sel); len(got) != 3 || sum(got) != 100 {
			t.Errorf("%s: the choice poll shows %v %%, want three shares adding up to 100", c.tb.name, got)
		}
		checkRTLCuts(t, c.tb, c.tb.name+", poll", "document")
	}
	stage.screenshot(shots, "wpolish-stage-poll", stageSize)
	ov.screenshot(shots, "wpolish-overlay-poll", stageSize)

	// Item 16: the reconnecting pill's text is as large as the stage's.
	srv.Stop(t)
	stage.setOffline(true)
	stage.waitFor("reconnecting", `!document.querySelector('#reconnecting').hidden`)
	stage.settled()
	px := jsEval[float64](stage, `parseFloat(getComputedStyle(document.querySelector('#reconnecting > span:last-child')).fontSize)`)
	if px < 32 {
		t.Errorf("the stage's reconnecting pill is %.1f px at 1080p, want at least 32", px)
	}
	stage.screenshot(shots, "wpolish-stage-reconnecting", stageSize)
}

// TestBrowserPolishControl runs the control page at 1440×900: the poll
// form has one setting for its results (item 18), Arabic names are cut at
// their end (14), and while the server is down the page says so and greys
// its live figures (19).
func TestBrowserPolishControl(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev, _, _ := newPolishEvent(t, srv.URL, "CTRL26")
	shots := shotDir(t)
	b := newBrowser(t)
	c := openControl(b, srv.URL, ev)
	c.waitFor("the rounds and polls", has("#rounds .pitch-row, #rounds tr, #rounds li")+` && `+has(".poll-card"))
	// The round's ranking comes with its frame, after the page: its names too.
	c.waitFor("the round's ranking", has("#console-view [data-ranking] .ranking li"))
	checkRTLCuts(t, c, "control", "document")

	c.click("#new-poll")
	c.waitFor("the poll form", has("#dlg-form #f-results"))
	fields := jsEval[[]string](c, `[...document.querySelectorAll('#dlg-form [name]')].filter((el) => /result/i.test(el.name) || /result/i.test(el.labels?.[0]?.textContent || '')).map((el) => el.name)`)
	if len(fields) != 1 || fields[0] != "results" {
		t.Errorf("the poll form's settings of its results: %q, want results alone", fields)
	}
	c.screenshot(shots, "wpolish-control-poll-form", controlSize)
	c.eval(`document.querySelector('#form-dialog').close()`)
	c.waitFor("the form closed", `!document.querySelector('#form-dialog').open`)

	live := `getComputedStyle(document.querySelector(%q)).opacity`
	greyed := func() map[string]float64 {
		return jsEval[map[string]float64](c, fmt.Sprintf(`({ numbers: Number(%s), preview: Number(%s) })`,
			fmt.Sprintf(live, "#stats-card .stats-grid"), fmt.Sprintf(live, "#preview-frame")))
	}
	if g := greyed(); g["numbers"] < 1 || g["preview"] < 1 {
		t.Errorf("live, the control page greys its figures: %v", g)
	}
	srv.Stop(t)
	c.setOffline(true)
	c.waitFor("reconnecting", `!document.querySelector('#conn').hidden && document.querySelector('#conn-text').textContent === 'Reconnecting…'`)
	c.settled()
	if g := greyed(); g["numbers"] > 0.6 || g["preview"] > 0.6 {
		t.Errorf("server down, the control page's figures are not greyed: opacity %v", g)
	}
	if !jsEval[bool](c, `document.body.classList.contains('stale') && getComputedStyle(document.querySelector('#conn')).backgroundColor !== 'rgba(0, 0, 0, 0)'`) {
		t.Errorf("server down, the control page does not mark the reconnecting state")
	}
	c.screenshot(shots, "wpolish-control-reconnecting", controlSize)
}
