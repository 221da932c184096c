package main

// Browser tests of how text fits the screens: long names and titles are
// never broken inside a word on the stage, the podium, the running order and
// the phones, at 1920×1080, 1280×720, 390×844 and 320×640; every text a hall
// reads on the stage is at least 32 px at 1080p (and as much in proportion
// at 720p); the feed wall's cards end on a whole line; the board view shows
// its six entries inside the screen; a 320 px phone with a 32 px system font
// shows the event's title and its Join button on the first screen; the
// moments chart's labels keep the page's text size on a phone and its time
// axis ends at now.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

const (
	// longName has long words that fit a box only when the name shrinks
	// and wraps between them.
	longName = "Coopérative Méditerranéenne d’Innovation Agroalimentaire"
	// longWord is one 40-letter word: without a hyphenation dictionary for
	// it (headless Chromium on Linux has none) the narrowest boxes cut it
	// with an ellipsis at the font's floor.
	longWord = "Hyperconnectivitéagroalimentairedurables"
)

var small720 = viewport{1280, 720, false}
var phone320 = viewport{320, 640, true}

// fitBox is what fitJS measures of an element showing a name.
type fitBox struct {
	Sel, Text, Fit, Overflow, TextOverflow, WrapRule string
	LongestWord                                      string
	SW, CW, SH, CH, FontPx, ClipSW, LongestWordPx    float64
	SplitWords, Lines, Clamp                         int
	Inside, FirstWordShown, LongestWordShown         bool
}

// whole reports whether the whole text shows in the box. Its width is the
// one measured without the ellipsis (ClipSW): Chromium leaves out of a
// clamped box's scrollWidth a word that the ellipsis hides.
func (b fitBox) whole() bool {
	if b.Clamp > 0 {
		return b.ClipSW <= b.CW+1 && b.Lines <= b.Clamp && b.LongestWordShown
	}
	return b.ClipSW <= b.CW+1 && b.SH <= b.CH+1 && b.LongestWordShown
}

// cutWithEllipsis reports whether the box clips what does not fit with an ellipsis.
func (b fitBox) cutWithEllipsis() bool { return b.Overflow == "hidden" && b.TextOverflow == "ellipsis" }

// fitJS measures the elements matching sel: their scroll and client sizes,
// font size, how fitText fitted them, whether a word is split over two lines,
// and whether the box lies inside the viewport.
func fitJS(sel string) string {
	return `[...document.querySelectorAll(` + jsString(sel) + `)].filter((el) => el.getClientRects().length).map((el) => {
  const cs = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  let split = 0;
  const node = el.firstChild;
  if (node && node.nodeType === 3) {
    const re = /\S+/g;
    for (let m; (m = re.exec(node.data));) {
      const rg = document.createRange();
      rg.setStart(node, m.index); rg.setEnd(node, m.index + m[0].length);
      const tops = new Set([...rg.getClientRects()].filter((q) => q.width > 0).map((q) => Math.round(q.top)));
      if (tops.size > 1) split++;
    }
  }
  // Lines as laid out: a glyph's ink may pass a tight line height (scrollHeight), the text does not.
  const all = document.createRange();
  all.selectNodeContents(el);
  const lines = new Set([...all.getClientRects()].filter((q) => q.width > 0).map((q) => Math.round(q.top))).size;
  // The longest word, and the box's width, measured for a moment without the
  // ellipsis and the clamp (which hide a cut word from scrollWidth): the word
  // shows whole when it is no wider than the box's content.
  let longestWord = '', longestWordPx = 0;
  const saved = [el.style.textOverflow, el.style.webkitLineClamp];
  el.style.textOverflow = 'clip';
  el.style.webkitLineClamp = 'none';
  const clipSW = el.scrollWidth;
  if (node && node.nodeType === 3) {
    const re = /\S+/g;
    for (let m; (m = re.exec(node.data));) {
      const rg = document.createRange();
      rg.setStart(node, m.index); rg.setEnd(node, m.index + m[0].length);
      const w = Math.max(0, ...[...rg.getClientRects()].map((q) => q.width));
      if (w > longestWordPx) { longestWordPx = w; longestWord = m[0]; }
    }
  }
  el.style.textOverflow = saved[0];
  el.style.webkitLineClamp = saved[1];
  const content = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  return { sel: ` + jsString(sel) + `, text: el.textContent, lines, clamp: parseInt(cs.webkitLineClamp, 10) || 0, fit: el.dataset.fit || '', overflow: cs.overflowX, textoverflow: cs.textOverflow,
    clipsw: clipSW, longestword: longestWord, longestwordpx: longestWordPx, longestwordshown: longestWordPx <= content + 1,
    wraprule: cs.overflowWrap + '/' + cs.wordBreak + '/' + cs.hyphens + '/' + (el.closest('[lang]')?.lang || ''),
    sw: el.scrollWidth, cw: el.clientWidth, sh: el.scrollHeight, ch: el.clientHeight, fontpx: parseFloat(cs.fontSize), splitwords: split,
    // Inside the screen: sideways always; up and down where the page does not scroll (the stage).
    inside: r.left >= -1 && r.right <= innerWidth + 1 && (document.scrollingElement.scrollHeight > innerHeight + 1 || (r.top >= -1 && r.bottom <= innerHeight + 1)),
    firstWordShown: (() => { const m = node && node.nodeType === 3 && /\S+/.exec(node.data); if (!m) return false;
      const rg = document.createRange(); rg.setStart(node, m.index); rg.setEnd(node, m.index + m[0].length);
      const q = rg.getBoundingClientRect(); return q.width > 0 && q.right <= r.right + 1 && q.bottom <= r.bottom + 1; })() };
})`
}

// checkNames measures sel on tb and fails for a name broken inside a word,
// spilling out of its box or the screen, or (for longName, unless cut is
// allowed) not shown whole.
func checkNames(t *testing.T, tb *tab, where, sel string, cutOK bool) []fitBox {
	t.Helper()
	boxes := jsEval[[]fitBox](tb, fitJS(sel))
	if len(boxes) == 0 {
		t.Errorf("%s: no %s shown", where, sel)
	}
	for _, b := range boxes {
		t.Logf("%s %s %q: fit=%s font %.1fpx scroll %vx%v (%v unclipped) client %vx%v, %d lines of %d, longest word %q %.1fpx, wrap %s",
			where, sel, b.Text, b.Fit, b.FontPx, b.SW, b.SH, b.ClipSW, b.CW, b.CH, b.Lines, b.Clamp, b.LongestWord, b.LongestWordPx, b.WrapRule)
		if b.SplitWords > 0 && !strings.Contains(b.WrapRule, "auto") {
			t.Errorf("%s: %s %q has %d words broken over two lines without hyphenation", where, sel, b.Text, b.SplitWords)
		}
		if !strings.HasPrefix(b.WrapRule, "normal/normal/auto/") {
			t.Errorf("%s: %s %q wraps by %s, want normal/normal/auto (no break inside words, hyphenated)", where, sel, b.Text, b.WrapRule)
		}
		if !b.Inside {
			t.Errorf("%s: %s %q is not inside the screen", where, sel, b.Text)
		}
		switch {
		case b.whole():
		// The one exception: a 40-letter word, which no hyphenation
		// dictionary breaks here, may still be cut with an ellipsis at the
		// font's floor in the narrowest boxes.
		case cutOK || strings.Contains(b.Text, longWord):
			if !b.cutWithEllipsis() {
				t.Errorf("%s: %s %q overflows its box (%vx%v in %vx%v) and is not cut with an ellipsis", where, sel, b.Text, b.SW, b.SH, b.CW, b.CH)
			}
		case !b.LongestWordShown:
			t.Errorf("%s: %s %q cuts its word %q (%.1f px in a %v px box) though a smaller font would show it whole", where, sel, b.Text, b.LongestWord, b.LongestWordPx, b.CW)
		default:
			t.Errorf("%s: %s %q does not fit its box: scroll %vx%v (%v unclipped), client %vx%v, %d lines of %d", where, sel, b.Text, b.SW, b.SH, b.ClipSW, b.CW, b.CH, b.Lines, b.Clamp)
		}
	}
	return boxes
}

// hallText is one kind of visible text on the stage and its font size.
type hallText struct {
	Sel  string
	Px   float64
	Text string
}

// hallTextJS lists every visible text of the page (the crew's "Reconnecting"
// mark aside) by the element that holds it, with its smallest font size.
const hallTextJS = `(() => {
  const by = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || !n.textContent.trim() || el.closest('#reconnecting, [hidden], svg, .sr-only')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.bottom <= 0 || r.top >= innerHeight || r.right <= 0 || r.left >= innerWidth) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden') continue;
    const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + [...e.classList].filter((c) => !/^(on|now|done|pinned|open|lead|p\d|reveal-item|fit-line|fit-lines|fill-lines)$/.test(c)).map((c) => '.' + c).join('');
    const sel = (el.parentElement && el.parentElement !== document.body ? name(el.parentElement) + ' > ' : '') + name(el);
    const px = parseFloat(cs.fontSize);
    const seen = by.get(sel);
    if (!seen || px < seen.px) by.set(sel, { sel, px, text: n.textContent.trim().slice(0, 30) });
  }
  return [...by.values()].sort((a, b) => a.sel.localeCompare(b.sel));
})()`

// checkHallText fails for any visible stage text under minPx.
func checkHallText(t *testing.T, tb *tab, where string, minPx float64) {
	t.Helper()
	tb.settled()
	var lines []string
	for _, h := range jsEval[[]hallText](tb, hallTextJS) {
		lines = append(lines, fmt.Sprintf("%s %.1fpx", h.Sel, h.Px))
		if h.Px < minPx-0.05 {
			t.Errorf("%s: %s (%q) is %.1f px, want at least %.1f", where, h.Sel, h.Text, h.Px, minPx)
		}
	}
	t.Logf("%s: texts checked (≥ %.1f px):\n  %s", where, minPx, strings.Join(lines, "\n  "))
}

// resize emulates vp on a stage tab and waits until the names are fitted again.
func resize(tb *tab, vp viewport) {
	tb.t.Helper()
	tb.do(fmt.Sprintf("%dx%d", vp.w, vp.h), tb.emulate(vp))
	tb.waitFor("resized", fmt.Sprintf(`innerWidth === %d && innerHeight === %d`, vp.w, vp.h))
	tb.eval(`new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))`)
}

func TestBrowserFitNames(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	shots := shotDir(t)
	const code = "FIT26"
	var created struct{ ID int64 }
	must(t, srv.URL, "POST", "/api/events", map[string]any{"code": code, "title": "Rencontres régionales de l’innovation agroalimentaire 2026",
		"color": "#5B3DF5", "languages": []string{"fr", "en"}, "jury_code": "JURY7", "jury_weight": 25}, &created)
	var model struct{ Rooms []struct{ ID int64 } }
	must(t, srv.URL, "GET", "/api/events/"+code+"/model", nil, &model)
	room := model.Rooms[0].ID
	var round struct{ ID int64 }
	must(t, srv.URL, "POST", "/api/events/"+code+"/rounds", map[string]any{"room_id": room, "title": "Finale régionale", "scale": 5}, &round)
	teams := []string{longName, longWord, "Solaris", "Kelp Labs", "Quill"}
	presenters := []string{"Marie-Clémentine Delacroix-Beaumont", "Jean-Baptiste Castelnau", "Ana Lima", "Tom Berg", "Inès Moreau"}
	var pitches []int64
	for i, team := range teams {
		var p struct{ ID int64 }
		must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/pitches", round.ID), map[string]any{"team": team, "presenter": presenters[i], "duration_s": 120}, &p)
		pitches = append(pitches, p.ID)
	}
	voters := make([]joined, 3)
	for i := range voters {
		voters[i] = join(t, srv.URL, code, map[string]any{})
	}
	jury := join(t, srv.URL, code, map[string]any{"jury_code": "JURY7"})
	votes := 0
	vote := func(tok string, i, value int) {
		t.Helper()
		votes++
		var ack struct{ Status string }
		if st := call(t, srv.URL, "POST", "/api/votes", tok, map[string]any{"vote_id": fmt.Sprintf("fit-%d", votes), "target": fmt.Sprintf("pitch:%d", pitches[i]), "value": value}, &ack); st != 200 {
			t.Fatalf("vote on pitch %d: status %d", i, st)
		}
	}
	scores := [][]int{{5, 4, 5}, {4, 4, 3}, {3, 4, 2}, {2, 3, 3}, {1, 2, 2}}
	castVotes := func(i int) {
		t.Helper()
		must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/open", pitches[i]), nil, nil)
		for j, v := range voters {
			vote(v.Token, i, scores[i][j])
		}
		vote(jury.Token, i, scores[i][0])
		must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/show_results", pitches[i]), nil, nil)
	}

	b := newBrowser(t)
	stage := b.newTab("stage", stageSize)
	stage.open(srv.URL + "/stage/" + code)
	stage.waitFor("lobby", has("#lobby"))
	checkNames(t, stage, "stage lobby 1920", ".lobby h1", false)
	checkHallText(t, stage, "stage lobby 1920", 32)

	// Phones: 390 and 320 px, and 320 px with a 32 px system font.
	phones := map[string]*tab{}
	for _, vp := range []viewport{phoneSize, phone320} {
		name := fmt.Sprintf("phone %d", vp.w)
		p := b.newTab(name, vp)
		p.open(srv.URL + "/e/" + code)
		p.waitFor("join form", has("#join-form"))
		checkNames(t, p, name+" welcome", "#welcome-title", false)
		for _, bx := range checkNames(t, p, name+" top bar", "#title", true) {
			if !bx.FirstWordShown {
				t.Errorf("%s: the top bar does not show the title's first word", name)
			}
		}
		p.click(`#join-form button[type=submit]`)
		p.waitFor("joined", has("#waiting"))
		phones[name] = p
	}
	big := b.newTab("phone 320, 32 px font", phone320)
	big.do("font size 32 px", chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.SetFontSizes, page.SetFontSizesParams{FontSizes: &page.FontSizes{Standard: 32, Fixed: 26}})
		return err
	}))
	big.open(srv.URL + "/e/" + code)
	big.waitFor("join form, 32 px", has("#join-form")+` && parseFloat(getComputedStyle(document.documentElement).fontSize) >= 32`)
	big.eval(`new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))`)
	// Readable: the title's first word at least, at a text size, on a wide enough box.
	for _, sel := range []string{"#title", "#welcome-title"} {
		for _, bx := range checkNames(t, big, "phone 320, 32 px font", sel, true) {
			if !bx.FirstWordShown || bx.CW < 100 || bx.FontPx < 16 {
				t.Errorf("phone 320, 32 px font: %s %q is not readable: %vpx wide, %.1f px font, fit %s", sel, bx.Text, bx.CW, bx.FontPx, bx.Fit)
			}
		}
	}
	if got := jsEval[[]float64](big, `(() => { const r = document.querySelector('#join-form button[type=submit]').getBoundingClientRect(); return [r.top, r.bottom, innerHeight, scrollY]; })()`); got[1] > got[2] || got[3] != 0 {
		t.Errorf("phone 320, 32 px font: Join is at %v–%v px, the first screen ends at %v (scrolled %v)", got[0], got[1], got[2], got[3])
	} else {
		t.Logf("phone 320, 32 px font: Join at %v–%v px of %v", got[0], got[1], got[2])
	}
	if w := jsEval[float64](big, `document.documentElement.scrollWidth - innerWidth`); w > 0 {
		t.Errorf("phone 320, 32 px font: the page scrolls sideways by %v px", w)
	}
	big.screenshot(shots, "audience-join-320-large", phone320)
	big.click(`#join-form button[type=submit]`)
	big.waitFor("joined", has("#waiting"))
	phones["phone 320, 32 px font"] = big

	// The pitch view with the long name, then with the long word, at both sizes.
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/start", round.ID), nil, nil)
	for i := range 2 {
		if i > 0 {
			must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/next", round.ID), nil, nil)
		}
		castVotes(i)
		stage.waitFor("pitch on stage with results", fmt.Sprintf(`document.querySelector('#pitch-view[data-pitch="%d"]') && document.querySelector('#stage-team').textContent === %s && !document.querySelector('#stage-hist').hidden`, pitches[i], jsString(teams[i])))
		for _, vp := range []viewport{stageSize, small720} {
			resize(stage, vp)
			where := fmt.Sprintf("stage pitch %d %dx%d", i+1, vp.w, vp.h)
			checkNames(t, stage, where, "#stage-team", false)
			checkNames(t, stage, where, ".stage-presenter", false)
			checkNames(t, stage, where, "#title", true)
			checkRunOrder(t, stage, where)
			checkHallText(t, stage, where, 32*float64(vp.h)/1080)
			stage.screenshot(shots, fmt.Sprintf("stage-fit-pitch%d-%d", i+1, vp.h), vp)
		}
		for name, p := range phones {
			p.waitFor("pitch card", fmt.Sprintf(`document.querySelector('#team-%d')?.textContent === %s`, pitches[i], jsString(teams[i])))
			p.eval(`new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))`)
			checkNames(t, p, name+fmt.Sprintf(" pitch %d", i+1), fmt.Sprintf("#team-%d", pitches[i]), false)
			checkNames(t, p, name+fmt.Sprintf(" pitch %d", i+1), ".pitch-card p.fit-lines", false)
			p.screenshot(shots, fmt.Sprintf("audience-fit-pitch%d-%s", i+1, strings.ReplaceAll(strings.TrimPrefix(name, "phone "), ", 32 px font", "-large")), map[bool]viewport{true: phoneSize, false: phone320}[strings.HasPrefix(name, "phone 390")])
		}
	}

	// The ranking: the podium and the places below it.
	for i := 2; i < len(teams); i++ {
		must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/next", round.ID), nil, nil)
		castVotes(i)
	}
	// The podium reveals itself (without it, each place waits for the moderator).
	must(t, srv.URL, "PATCH", fmt.Sprintf("/api/rounds/%d", round.ID), map[string]any{"auto_reveal": true}, nil)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/reveal", round.ID), nil, nil)
	stage.waitForWithin(40*time.Second, "ranking revealed", `document.querySelector('#ranking-view[data-reveal="done"]') && document.querySelectorAll('#podium .team').length === 3`)
	for _, vp := range []viewport{stageSize, small720} {
		resize(stage, vp)
		where := fmt.Sprintf("stage ranking %dx%d", vp.w, vp.h)
		checkNames(t, stage, where, "#podium .team", false)
		checkNames(t, stage, where, "#podium .presenter", false)
		checkNames(t, stage, where, "#rest strong", false)
		checkHallText(t, stage, where, 32*float64(vp.h)/1080)
		stage.screenshot(shots, fmt.Sprintf("stage-fit-ranking-%d", vp.h), vp)
	}
	for name, p := range phones {
		p.waitFor("ranking on the phone", `document.querySelectorAll('.ranking-card li').length === 5`)
		checkNames(t, p, name+" ranking", ".ranking-card .who strong", true)
	}
	phones["phone 390"].screenshot(shots, "audience-fit-ranking-390", phoneSize)

	// A poll with long choices: every text on the stage still ≥ 32 px.
	var poll struct{ ID int64 }
	must(t, srv.URL, "POST", "/api/events/"+code+"/polls", map[string]any{"room_id": room, "question": "Quelle équipe mérite le prix du public de la finale régionale ?",
		"kind": "choices", "choices": teams[:3], "show_results": true}, &poll)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/open", poll.ID), nil, nil)
	stage.waitFor("poll on stage", has("#poll-view"))
	resize(stage, stageSize)
	checkNames(t, stage, "stage poll 1920", ".stage-question", false)
	checkHallText(t, stage, "stage poll 1920", 32)
	stage.screenshot(shots, "stage-fit-poll", stageSize)

	for _, tb := range append([]*tab{stage}, phones["phone 390"], phones["phone 320"], big) {
		tb.checkConsole()
	}
}

// checkRunOrder fails when a pill of the running order is cut without an
// ellipsis, or cut off by the end of the row.
func checkRunOrder(t *testing.T, tb *tab, where string) {
	t.Helper()
	pills := checkNames(t, tb, where, "#runorder .step", true)
	if len(pills) != 5 {
		t.Errorf("%s: %d pills in the running order, want 5", where, len(pills))
	}
	if cut := jsEval[[]string](tb, `(() => { const row = document.querySelector('#runorder').getBoundingClientRect();
  return [...document.querySelectorAll('#runorder .step')].filter((s) => s.getBoundingClientRect().right > row.right + 1).map((s) => s.textContent); })()`); len(cut) > 0 {
		t.Errorf("%s: the running order cuts off %q", where, cut)
	}
}

// wallCardsJS measures each wall card: the lines its text shows (at most
// its --lines, inside the text box and the card's padding box) and whether
// the last one is cut.
const wallCardsJS = `[...document.querySelectorAll('#wall-grid .wall-card')].map((card) => {
  const text = card.querySelector('.post-text');
  const cs = getComputedStyle(card);
  const cr = card.getBoundingClientRect(), tr = text.getBoundingClientRect();
  const clip = Math.min(tr.bottom, cr.bottom - parseFloat(cs.borderBottomWidth));
  const rg = document.createRange();
  rg.selectNodeContents(text);
  const tops = [...new Map([...rg.getClientRects()].filter((q) => q.width > 0 && q.height > 0).map((q) => [Math.round(q.top), q])).values()].sort((a, b) => a.top - b.top);
  const n = Number(text.dataset.lines || tops.length);
  const shown = tops.slice(0, n);
  const last = shown[shown.length - 1];
  // Cut: the last line shown crosses the edge, or a line past it still shows.
  const peeks = tops.slice(n).some((q) => q.top < clip - 1);
  return { id: card.dataset.itemId, pinned: card.classList.contains('pinned'), lines: shown.length,
    cut: (!!last && last.bottom > clip + 1) || peeks, text: text.textContent.slice(0, 30), inside: cr.bottom <= innerHeight + 1 && cr.right <= innerWidth + 1 };
})`

type wallCard struct {
	ID     string
	Pinned bool
	Lines  int
	Cut    bool
	Text   string
	Inside bool
}

// boardRowsJS measures the board view's rows: inside the screen, above the
// footer, and the lines their text shows.
const boardRowsJS = `(() => {
  const foot = document.querySelector('.stage-foot').getBoundingClientRect();
  return [...document.querySelectorAll('#stage-board li')].map((li) => {
    const r = li.getBoundingClientRect();
    const text = li.querySelector('.sb-text');
    const tr = text.getBoundingClientRect();
    const rg = document.createRange();
    rg.selectNodeContents(text);
    const tops = [...new Map([...rg.getClientRects()].filter((q) => q.width > 0).map((q) => [Math.round(q.top), q])).values()].sort((a, b) => a.top - b.top);
    const n = Number(text.dataset.lines || 0);
    const cut = tops.slice(0, n).some((q) => q.bottom > tr.bottom + 1) || tops.slice(n).some((q) => q.top < tr.bottom - 1);
    return { top: r.top, bottom: r.bottom, right: r.right, lines: n, cut,
      inside: r.top >= 0 && r.left >= 0 && r.right <= innerWidth + 1 && r.bottom <= Math.min(innerHeight, foot.top) + 1,
      textFits: text.getBoundingClientRect().bottom <= r.bottom + 1 && text.clientHeight >= parseFloat(getComputedStyle(text).lineHeight) - 1 };
  });
})()`

type boardRow struct {
	Top, Bottom, Right    float64
	Lines                 int
	Inside, TextFits, Cut bool
}

func TestBrowserFitWallBoardMoments(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "WALL26")
	shots := shotDir(t)

	// Nine posts, the first pinned, by authors with long names and with texts long and short.
	var hook struct{ Token string }
	must(t, srv.URL, "POST", "/api/events/"+ev.Code+"/feed/webhook-token", nil, &hook)
	texts := []string{
		"Épinglé : la finale commence à 20 h, votez depuis votre téléphone pendant chaque pitch, les résultats s’affichent ici dès que le jury a voté. Bonne soirée à toutes et à tous !",
		"Bravo " + longName + " pour cette démonstration impressionnante, et merci aux organisateurs pour l’accueil",
		"Super ambiance ce soir 👏",
		"Question pour le jury : comment départagez-vous deux équipes à égalité ? Le vote du public compte-t-il autant que le vôtre ?",
		"Le pitch de Solaris était clair, précis et drôle. Mon favori jusqu’ici, sans hésiter une seconde.",
		longWord + " " + longWord,
		"Où peut-on retrouver les présentations après la soirée ?",
		"Merci Kelp Labs pour la démo en direct, ça a marché du premier coup !",
		"Dernier pitch : Quill. Suspense total pour le classement final…",
	}
	var ids []int64
	for i, text := range texts {
		var it feedItem
		if st := call(t, srv.URL, "POST", "/api/events/"+ev.Code+"/feed/webhook", hook.Token, map[string]any{
			"id": fmt.Sprintf("fit-%d", i), "author": fmt.Sprintf("user%d", i), "author_name": []string{"Marie-Clémentine Delacroix-Beaumont", "Zoé", "Tom"}[i%3], "text": text}, &it); st != 201 {
			t.Fatalf("webhook post %d: status %d", i, st)
		}
		ids = append(ids, it.ID)
	}
	for i := len(ids) - 1; i >= 0; i-- {
		must(t, srv.URL, "POST", fmt.Sprintf("/api/events/%s/feed/items/%d/actions/approve", ev.Code, ids[i]), nil, nil)
	}
	must(t, srv.URL, "POST", fmt.Sprintf("/api/events/%s/feed/items/%d/actions/pin", ev.Code, ids[0]), nil, nil)

	// Seven entries on a board: the view shows the top six.
	board := createBoard(t, srv.URL, ev.Code, map[string]any{"title": "Questions pour le jury", "room_id": ev.RoomID, "moderation": "post", "open": true})
	questions := []string{
		"Comment comptez-vous atteindre la rentabilité dans un marché aussi concurrentiel que celui de l’agroalimentaire durable ?",
		"Quel est votre taux d’attrition ?",
		"Combien de personnes dans l’équipe aujourd’hui, et combien dans deux ans ?",
		"Avez-vous déjà des clients qui paient ?",
		"Pourquoi " + longName + " plutôt qu’un grand groupe ?",
		longWord + " : c’est quoi exactement ?",
		"Quelle est la prochaine étape ?",
	}
	for i, q := range questions {
		p := join(t, srv.URL, ev.Code, map[string]any{})
		if st := call(t, srv.URL, "POST", fmt.Sprintf("/api/events/%s/boards/%d/entries", ev.Code, board), p.Token, map[string]any{"text": q, "display_name": []string{"Marie-Clémentine Delacroix-Beaumont", "Bo", ""}[i%3]}, nil); st != 201 {
			t.Fatalf("entry %d: status %d", i, st)
		}
	}

	b := newBrowser(t)
	wall := b.newTab("wall", stageSize)
	wall.open(srv.URL + "/stage/" + ev.Code + "?view=wall")
	wall.waitFor("nine cards, the pinned first", `document.querySelectorAll('#wall-grid .wall-card').length === 9 && document.querySelector('#wall-grid .wall-card').classList.contains('pinned')`)
	for _, vp := range []viewport{stageSize, small720} {
		resize(wall, vp)
		where := fmt.Sprintf("wall %dx%d", vp.w, vp.h)
		for _, c := range jsEval[[]wallCard](wall, wallCardsJS) {
			t.Logf("%s: card %s pinned=%v shows %d lines, cut=%v", where, c.ID, c.Pinned, c.Lines, c.Cut)
			if c.Lines < 1 {
				t.Errorf("%s: card %s (pinned %v) shows no text", where, c.ID, c.Pinned)
			}
			if c.Cut {
				t.Errorf("%s: card %s (%q) ends through a line", where, c.ID, c.Text)
			}
			if !c.Inside {
				t.Errorf("%s: card %s is not inside the screen", where, c.ID)
			}
		}
		checkNames(t, wall, where, "#wall-grid .post-author", true)
		checkHallText(t, wall, where, 32*float64(vp.h)/1080)
		wall.screenshot(shots, fmt.Sprintf("stage-fit-wall-%d", vp.h), vp)
	}

	top := b.newTab("board view", stageSize)
	top.open(fmt.Sprintf("%s/stage/%s?view=board&board=%d", srv.URL, ev.Code, board))
	top.waitFor("board view with six entries", has("#board-view")+` && document.querySelectorAll('#stage-board li').length === 6`)
	for _, vp := range []viewport{stageSize, small720} {
		resize(top, vp)
		where := fmt.Sprintf("board view %dx%d", vp.w, vp.h)
		rows := jsEval[[]boardRow](top, boardRowsJS)
		if len(rows) != 6 {
			t.Errorf("%s: %d entries, want 6", where, len(rows))
		}
		for i, r := range rows {
			t.Logf("%s: entry %d at %.0f–%.0f px, %d lines", where, i+1, r.Top, r.Bottom, r.Lines)
			if !r.Inside {
				t.Errorf("%s: entry %d (%.0f–%.0f px, right %.0f) is not inside the screen above the footer", where, i+1, r.Top, r.Bottom, r.Right)
			}
			if !r.TextFits || r.Lines < 1 {
				t.Errorf("%s: entry %d shows no whole line of its text", where, i+1)
			}
			if r.Cut {
				t.Errorf("%s: entry %d ends through a line of its text", where, i+1)
			}
		}
		// Each question whole, in a smaller font where it needs one (checkHallText keeps the floor).
		checkWhole(t, top, where, "#stage-board .sb-text", 6)
		checkNames(t, top, where, "#stage-board .sb-who", true)
		checkHallText(t, top, where, 32*float64(vp.h)/1080)
		top.screenshot(shots, fmt.Sprintf("stage-fit-board-%d", vp.h), vp)
	}

	// The moments chart on a phone: labels at the page's text size, the axis ending now.
	moments := b.newTab("moments phone", phoneSize)
	moments.open(fmt.Sprintf("%s/moments/%s?room=%d", srv.URL, ev.Code, ev.RoomID))
	moments.waitFor("volume chart", `document.querySelectorAll('#volume-chart rect.vc-bar').length > 0`)
	var chart struct {
		MinLabelPx float64
		To         string
		AgoS       float64
		LastLabel  string
		NowLabel   string
		Overflow   float64
	}
	chart = jsEval[struct {
		MinLabelPx float64
		To         string
		AgoS       float64
		LastLabel  string
		NowLabel   string
		Overflow   float64
	}](moments, `(() => {
  const svg = document.querySelector('#volume-chart');
  const scale = svg.getScreenCTM().a;
  const labels = [...svg.querySelectorAll('.vc-label')];
  const px = Math.min(...labels.map((l) => parseFloat(getComputedStyle(l).fontSize) * scale));
  const fmt = (d) => new Intl.DateTimeFormat(document.documentElement.lang, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
  const times = labels.filter((l) => l.getAttribute('y') === labels[labels.length - 1].getAttribute('y'));
  return { minlabelpx: px, to: svg.dataset.to, agos: (Date.now() - Date.parse(svg.dataset.to)) / 1000,
    lastlabel: times[times.length - 1].textContent, nowlabel: fmt(new Date()), overflow: document.documentElement.scrollWidth - innerWidth };
})()`)
	t.Logf("moments on a phone: smallest label %.1f px, axis ends %s (%.0f s ago), last time label %q, now %q", chart.MinLabelPx, chart.To, chart.AgoS, chart.LastLabel, chart.NowLabel)
	if chart.MinLabelPx < 10 {
		t.Errorf("moments chart labels are %.1f px on a phone, want at least 10", chart.MinLabelPx)
	}
	if chart.AgoS < -1 || chart.AgoS > 90 {
		t.Errorf("moments chart axis ends at %s, %.0f s from now; want now", chart.To, chart.AgoS)
	}
	if chart.LastLabel != chart.NowLabel {
		t.Errorf("moments chart's last time is %q, want now (%q)", chart.LastLabel, chart.NowLabel)
	}
	if chart.Overflow > 0 {
		t.Errorf("moments page scrolls sideways by %v px on a phone", chart.Overflow)
	}
	moments.screenshot(shots, "moments-phone", phoneSize)

	for _, tb := range []*tab{wall, top, moments} {
		tb.checkConsole()
	}
}
