package main

// Browser tests of the second rehearsal's complaints (issue 26, items 4 to
// 12), with its long names: the stage's podium and bars keep clear of the
// ticker and the footer; the overlay shows every bar of a 1–7 scale and a
// histogram in proportion; names and texts are cut only when their box has
// no room left, and never broken inside a word; a pitch's countdown stops
// when its voting closes. Each measures the elements' own rectangles.

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// box is an element's rectangle, as boxesJS measures it.
type box struct {
	Name                     string
	Text                     string
	Left, Right, Top, Bottom float64
	Cut                      bool     // its text passes its box or its lines: the ellipsis shows
	Broken                   []string // its words broken across two lines
}

func (b box) String() string {
	return fmt.Sprintf("%s %.0f–%.0f × %.0f–%.0f", b.Name, b.Left, b.Right, b.Top, b.Bottom)
}

// boxesJS measures the elements sel matches in doc: their rectangles,
// whether their text is cut (as fitText's overflows tells it: the text's
// own rectangles against the box, without the ellipsis and the clamp), and
// the words laid out on two lines (split elsewhere than at a hyphen of
// their own).
func boxesJS(doc, sel string) string {
	return `((doc, sel) => {
  const win = doc.defaultView;
  // words are the ranges of el's words: the text's own rectangles, without
  // the spaces that hang at the end of a line.
  const words = (el) => {
    const out = [];
    const walker = doc.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      for (const m of n.textContent.matchAll(/[^\s-]+-?/g)) {
        const r = doc.createRange();
        r.setStart(n, m.index);
        r.setEnd(n, m.index + m[0].length);
        out.push([m[0], r]);
      }
    }
    return out;
  };
  const cut = (el) => {
    const cs = win.getComputedStyle(el);
    const clamp = parseInt(cs.webkitLineClamp, 10);
    const { textOverflow, webkitLineClamp } = el.style;
    el.style.textOverflow = 'clip';
    if (clamp) el.style.webkitLineClamp = 'none';
    try {
      if (el.scrollWidth > el.clientWidth + 1) return true;
      const rects = words(el).flatMap(([, r]) => [...r.getClientRects()]).filter((r) => r.width > 0);
      const b = el.getBoundingClientRect();
      const sx = el.offsetWidth ? b.width / el.offsetWidth : 1, sy = el.offsetHeight ? b.height / el.offsetHeight : 1;
      const left = b.left + (el.clientLeft + parseFloat(cs.paddingLeft)) * sx;
      const right = b.left + (el.clientLeft + el.clientWidth - parseFloat(cs.paddingRight)) * sx;
      const bottom = b.top + (el.clientTop + el.clientHeight) * sy;
      if (rects.some((r) => r.left < left - 0.5 || r.right > right + 0.5)) return true;
      if (clamp) return new Set(rects.map((r) => Math.round(r.top))).size > clamp;
      return cs.overflowY !== 'visible' && rects.some((r) => r.bottom > bottom + 1);
    } finally {
      el.style.textOverflow = textOverflow;
      el.style.webkitLineClamp = webkitLineClamp;
    }
  };
  const broken = (el) => words(el).filter(([, r]) => new Set([...r.getClientRects()].filter((x) => x.width > 0).map((x) => Math.round(x.top))).size > 1).map(([w]) => w);
  return [...doc.querySelectorAll(sel)].filter((el) => el.getClientRects().length).map((el, i) => {
    const r = el.getBoundingClientRect();
    return { name: (el.id || el.className || el.tagName) + ' ' + (i + 1), text: el.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
      cut: cut(el), broken: broken(el) };
  });
})(` + doc + `, ` + jsString(sel) + `)`
}

func boxes(tb *tab, doc, sel string) []box {
	tb.t.Helper()
	return jsEval[[]box](tb, boxesJS(doc, sel))
}

// checkWhole fails for each element of sel in tb whose text is cut or
// broken inside a word; want is how many there must be. A word of 40
// letters or more may be cut, as names are, when it is wider than its box
// at the hall's floor (fit_browser_test.go).
func checkWhole(t *testing.T, tb *tab, where, sel string, want int) {
	t.Helper()
	bs := boxes(tb, "document", sel)
	if len(bs) != want {
		t.Errorf("%s: %d of %s shown, want %d", where, len(bs), sel, want)
	}
	for _, b := range bs {
		if b.Cut && !hasLongWord(b.Text) {
			t.Errorf("%s: %q is cut with an ellipsis (%s)", where, b.Text, b)
		}
		if len(b.Broken) > 0 {
			t.Errorf("%s: %q is broken inside the words %q", where, b.Text, b.Broken)
		}
	}
}

// hasLongWord reports whether s holds a word of 40 letters or more.
func hasLongWord(s string) bool {
	for _, w := range strings.Fields(s) {
		if utf8.RuneCountInString(w) >= 40 {
			return true
		}
	}
	return false
}

// stageArea is the screen's area the ticker and the footer leave to the
// stage's main view.
func stageArea(tb *tab) (top, bottom float64) {
	tb.t.Helper()
	a := jsEval[[]float64](tb, `(() => {
  const t = document.querySelector('#ticker'), f = document.querySelector('.stage-foot');
  let top = 0, bottom = innerHeight;
  if (t && !t.hidden) { const r = t.getBoundingClientRect(); if (r.top < innerHeight / 2) top = r.bottom; else bottom = r.top; }
  if (f && f.getClientRects().length) bottom = Math.min(bottom, f.getBoundingClientRect().top);
  return [top, bottom];
})()`)
	return a[0], a[1]
}

// checkAbove fails for each element of sel that is not inside the area
// the ticker and the footer leave.
func checkAbove(t *testing.T, tb *tab, where, sel string, want int) {
	t.Helper()
	top, bottom := stageArea(tb)
	bs := boxes(tb, "document", sel)
	if len(bs) != want {
		t.Errorf("%s: %d of %s shown, want %d", where, len(bs), sel, want)
	}
	for _, b := range bs {
		if b.Top < top-1 || b.Bottom > bottom+1 || b.Left < -1 || b.Right > float64(stageSize.w)+1 {
			t.Errorf("%s: %s passes the area the ticker and the footer leave (%.0f–%.0f)", where, b, top, bottom)
		}
	}
}

// frames waits for two animation frames, so that a fit is laid out.
func frames(tb *tab) {
	tb.t.Helper()
	tb.eval(`new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))`)
}

// vote casts value on target for p, and fails unless it is accepted.
func vote(t *testing.T, base string, p joined, id, target string, value any) {
	t.Helper()
	if st := call(t, base, "POST", "/api/votes", p.Token, map[string]any{"vote_id": id, "target": target, "value": value}, nil); st != 200 {
		t.Fatalf("vote %s on %s: status %d", id, target, st)
	}
}

// TestBrowserStageRehearsalFits runs the rehearsal's round on a stage with
// the ticker, with the overlay beside it: items 4, 5, 6 and 7 of issue 26.
func TestBrowserStageRehearsalFits(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newRehearsal(t, srv.URL, "FITS26")
	// The rehearsal's six names: places 4 to 6 below the podium, with room.
	for _, id := range ev.Pitches[6:] {
		must(t, srv.URL, "DELETE", fmt.Sprintf("/api/pitches/%d", id), nil, nil)
	}
	ev.Pitches, ev.Teams = ev.Pitches[:6], ev.Teams[:6]
	shots := shotDir(t)
	var hook struct{ Token string }
	must(t, srv.URL, "POST", "/api/events/"+ev.Code+"/feed/webhook-token", nil, &hook)
	var post feedItem
	if st := call(t, srv.URL, "POST", "/api/events/"+ev.Code+"/feed/webhook", hook.Token, map[string]any{"id": "fits-1", "author": "zoe", "author_name": "Zoé",
		"text": "Bravo " + rehearsalTeams[0].Team + " !"}, &post); st != 201 {
		t.Fatalf("webhook post: status %d", st)
	}
	must(t, srv.URL, "POST", fmt.Sprintf("/api/events/%s/feed/items/%d/actions/approve", ev.Code, post.ID), nil, nil)
	voters := make([]joined, 21)
	for i := range voters {
		voters[i] = join(t, srv.URL, ev.Code, map[string]any{})
	}

	b := newBrowser(t)
	stage := b.newTab("stage", stageSize)
	stage.open(srv.URL + "/stage/" + ev.Code)
	ov := b.newTab("overlay", stageSize)
	ov.transparent()
	ov.open(srv.URL + "/stage/" + ev.Code + "?view=overlay")
	stage.waitFor("ticker", `!document.querySelector('#ticker').hidden`)

	// The round: places 4 to 6 go to the two long names and the Arabic
	// one; the first pitch has 14 votes of 3 and 7 of 5.
	order := []int{5, 1, 2, 0, 4, 3} // the teams' indexes, first place first
	place := map[int]int{}
	for r, i := range order {
		place[i] = r + 1
	}
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/start", ev.RoundID), nil, nil)
	for i := range ev.Pitches {
		if i > 0 {
			must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/next", ev.RoundID), nil, nil)
		}
		must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/open", ev.Pitches[i]), nil, nil)
		target := fmt.Sprintf("pitch:%d", ev.Pitches[i])
		for j, v := range voters {
			value := 5 - (place[i]-1)/2 // 5, 5, 4, 4, 3, 3
			if place[i]%2 == 0 && j%2 == 0 {
				value-- // the second of each pair a little lower
			}
			if i == 0 {
				value = map[bool]int{true: 5, false: 3}[j < 7]
			}
			vote(t, srv.URL, v, fmt.Sprint("fits-", i, "-", j), target, value)
		}
		if i == 0 {
			must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/show_results", ev.Pitches[0]), nil, nil)
			ov.waitFor("the first pitch's histogram", `!document.querySelector('#ov-hist').hidden && document.querySelector('#ov-count strong')?.textContent === '21'`)
			ov.settled()
			frames(ov)
			// Item 5: 14 votes stand twice as high as 7.
			h := jsEval[[]float64](ov, `[...document.querySelectorAll('#ov-hist .col .fill')].map((f) => f.getBoundingClientRect().height)`)
			t.Logf("overlay pitch histogram: %v px", h)
			if len(h) != 5 || h[4] <= 0 || math.Abs(h[2]/h[4]-2) > 0.1 {
				t.Errorf("overlay: the histogram's columns of 7 and 14 votes are %v px high, want 1:2", h)
			}
			stage.waitFor("the first pitch's histogram", `!document.querySelector('#stage-hist')?.hidden && document.querySelector('#stage-votes strong')?.textContent === '21'`)
			stage.settled()
			h = jsEval[[]float64](stage, `[...document.querySelectorAll('#stage-hist .col .fill')].map((f) => f.getBoundingClientRect().height)`)
			if len(h) != 5 || h[4] <= 0 || math.Abs(h[2]/h[4]-2) > 0.1 {
				t.Errorf("stage: the histogram's columns of 7 and 14 votes are %v px high, want 1:2", h)
			}
		}
		must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/close", ev.Pitches[i]), nil, nil)
	}
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/finish", ev.RoundID), nil, nil)

	// Item 4 and 5: a 1–7 scale, results live: every bar above the ticker
	// and the footer on the stage; on the overlay, seven columns inside the
	// lower third.
	var scale struct{ ID int64 }
	must(t, srv.URL, "POST", "/api/events/"+ev.Code+"/polls", map[string]any{"room_id": ev.RoomID, "question": "Sur une échelle de 1 à 7, quelle est la maturité de l’écosystème régional ?",
		"kind": "scale", "scale_max": 7, "results": "live"}, &scale)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/open", scale.ID), nil, nil)
	for j, v := range voters {
		vote(t, srv.URL, v, fmt.Sprint("fits-scale-", j), fmt.Sprintf("poll:%d", scale.ID), 1+j%7)
	}
	for _, tb := range []*tab{stage, ov} {
		tb.waitFor("the scale's seven values", `document.querySelectorAll('#stage-bars .bar, #ov-live:not([hidden]) .col, #ov-live:not([hidden]) .bar').length === 7 && [...document.querySelectorAll('.vote-count strong')].some((s) => s.textContent === '21')`)
		tb.settled()
		frames(tb)
	}
	checkAbove(t, stage, "stage, 1–7 scale", "#stage-bars .bar", 7)
	stage.screenshot(shots, "wshow-stage-scale7", stageSize)
	third := jsEval[[]float64](ov, `(() => { const r = document.querySelector('#ov-third').getBoundingClientRect(); return [r.top, r.bottom]; })()`)
	shown := boxes(ov, "document", "#ov-live .bar, #ov-live .col")
	for _, bx := range shown {
		if bx.Top < third[0]-1 || bx.Bottom > third[1]+1 {
			t.Errorf("overlay, 1–7 scale: %s is not inside the lower third (%.0f–%.0f)", bx, third[0], third[1])
		}
	}
	if len(shown) != 7 {
		t.Errorf("overlay, 1–7 scale: %d values shown, want 7", len(shown))
	}
	ov.overlayShot(shots, "wshow-overlay-scale7")
	must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/close", scale.ID), nil, nil)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/hide_results", scale.ID), nil, nil)

	// Item 6: the choices' labels, the rehearsal's names, show whole.
	var choices struct{ ID int64 }
	names := []string{rehearsalTeams[0].Team, rehearsalTeams[4].Team, rehearsalTeams[5].Team, rehearsalTeams[3].Team}
	must(t, srv.URL, "POST", "/api/events/"+ev.Code+"/polls", map[string]any{"room_id": ev.RoomID, "question": "Quel projet mérite le prix du public ?",
		"kind": "choices", "choices": names, "results": "live"}, &choices)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/open", choices.ID), nil, nil)
	for j, v := range voters {
		vote(t, srv.URL, v, fmt.Sprint("fits-choice-", j), fmt.Sprintf("poll:%d", choices.ID), 1+j%4)
	}
	stage.waitFor("the choices' bars", `document.querySelectorAll('#stage-bars .bar').length === 4 && document.querySelector('#poll-view .vote-count strong')?.textContent === '21'`)
	stage.settled()
	frames(stage)
	checkWhole(t, stage, "stage, choices", "#stage-bars .bar .label", 4)
	checkAbove(t, stage, "stage, choices", "#stage-bars .bar", 4)
	stage.screenshot(shots, "wshow-stage-choices", stageSize)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/close", choices.ID), nil, nil)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/hide_results", choices.ID), nil, nil)

	// Items 4 and 6: the ranking, every place revealed.
	must(t, srv.URL, "PATCH", fmt.Sprintf("/api/rounds/%d", ev.RoundID), map[string]any{"auto_reveal": true}, nil)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/reveal", ev.RoundID), nil, nil)
	stage.waitForWithin(30*time.Second, "the ranking revealed", `document.querySelector('#ranking-view')?.dataset.reveal === 'done' && document.querySelector('#ranking-view').dataset.places === '6'`)
	stage.settled()
	frames(stage)
	if got := stage.text(`[...document.querySelectorAll('#podium .place')].map((p) => p.dataset.team).join(' | ')`); got != strings.Join([]string{rehearsalTeams[order[1]].Team, rehearsalTeams[order[0]].Team, rehearsalTeams[order[2]].Team}, " | ") {
		t.Fatalf("stage: the podium shows %q: the votes did not make the order wanted", got)
	}
	checkAbove(t, stage, "stage, ranking", "#podium .place .block", 3)
	checkAbove(t, stage, "stage, ranking", "#rest li", 3)
	checkWhole(t, stage, "stage, ranking places 4–6", "#rest li:nth-child(-n+3) strong", 3)
	checkWhole(t, stage, "stage, podium", "#podium .team", 3)
	stage.screenshot(shots, "wshow-stage-ranking", stageSize)
	ov.waitFor("the overlay's ranking", `document.querySelector('#ov-places')?.dataset.places === '6'`)
	frames(ov)
	checkWhole(t, ov, "overlay, ranking", "#ov-places .team", 6)
	ov.overlayShot(shots, "wshow-overlay-ranking")
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/hide_ranking", ev.RoundID), nil, nil)

	// Items 6 and 7: a board's four long questions show whole on a board
	// view made for six; the one on stage is never broken inside a word.
	board := createBoard(t, srv.URL, ev.Code, map[string]any{"title": "Questions pour le jury", "room_id": ev.RoomID, "moderation": "post", "open": true})
	questions := []string{
		"Comment " + rehearsalTeams[0].Team + " compte-t-elle financer son industrialisation au-delà de 2027 ?",
		"Pourquoi " + longWord + " plutôt qu’un modèle de licence ?",
		"Les Fromageries Artisanales du Haut-Doubs et du Jura Réunies travaillent-elles avec des coopératives ?",
		"Quel est le rôle de la région dans votre tour de table, et qu’attendez-vous des collectivités territoriales ?",
	}
	var entries []int64
	for i, q := range questions {
		var e struct{ ID int64 }
		if st := call(t, srv.URL, "POST", fmt.Sprintf("/api/events/%s/boards/%d/entries", ev.Code, board), voters[i].Token, map[string]any{"text": q, "display_name": rehearsalTeams[5].Presenter}, &e); st != 201 && st != 200 {
			t.Fatalf("entry %d: status %d", i, st)
		}
		entries = append(entries, e.ID)
	}
	top := b.newTab("stage, board view", stageSize)
	top.open(srv.URL + "/stage/" + ev.Code + "?view=board")
	top.waitFor("the board's questions", `document.querySelectorAll('#stage-board .sb-row').length === 4`)
	frames(top)
	checkWhole(t, top, "board view", "#stage-board .sb-text", 4)
	top.screenshot(shots, "wshow-stage-board", stageSize)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/events/%s/boards/%d/highlight", ev.Code, board), map[string]any{"entry_id": entries[1]}, nil)
	stage.waitFor("now answering", has("#highlight-view"))
	frames(stage)
	checkWhole(t, stage, "now answering", "#highlight-text", 1)
	stage.screenshot(shots, "wshow-stage-highlight", stageSize)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/events/%s/boards/%d/highlight", ev.Code, board), map[string]any{"entry_id": entries[2]}, nil)
	stage.waitFor("now answering the fourth", `document.querySelector('#highlight-text')?.textContent === `+jsString(questions[2]))
	frames(stage)
	checkWhole(t, stage, "now answering", "#highlight-text", 1)

	// Items 6 and 7: the wall of posts, half empty, shows them whole.
	for i, text := range []string{
		"Quelle soirée ! " + rehearsalTeams[4].Team + " mérite le prix du public, leur comté affiné vingt-quatre mois est une merveille et leur projet de coopérative est exemplaire.",
		"Bravo à " + rehearsalTeams[1].Team + " et à " + longWord + " : deux noms impossibles, deux projets formidables pour la Franche-Comté.",
	} {
		var p feedItem
		if st := call(t, srv.URL, "POST", "/api/events/"+ev.Code+"/feed/webhook", hook.Token, map[string]any{"id": fmt.Sprint("fits-wall-", i), "author": "ines", "author_name": rehearsalTeams[4].Presenter, "text": text}, &p); st != 201 {
			t.Fatalf("webhook post: status %d", st)
		}
		must(t, srv.URL, "POST", fmt.Sprintf("/api/events/%s/feed/items/%d/actions/approve", ev.Code, p.ID), nil, nil)
	}
	wall := b.newTab("stage, wall", stageSize)
	wall.open(srv.URL + "/stage/" + ev.Code + "?view=wall")
	wall.waitFor("three cards", `document.querySelectorAll('#wall-grid .wall-card').length === 3`)
	frames(wall)
	// A word wider than its card at the hall's floor may be cut, as names are; never broken.
	for _, bx := range boxes(wall, "document", "#wall-grid .post-text") {
		if bx.Cut && !hasLongWord(bx.Text) {
			t.Errorf("wall: %q is cut with an ellipsis (%s)", bx.Text, bx)
		}
		if len(bx.Broken) > 0 {
			t.Errorf("wall: %q is broken inside the words %q", bx.Text, bx.Broken)
		}
	}
	wall.screenshot(shots, "wshow-stage-wall", stageSize)

	for _, tb := range []*tab{stage, ov, top, wall} {
		tb.checkConsole()
	}
}

// TestBrowserTimerStopsWhenVotingCloses closes the last pitch's voting
// while its countdown runs (issue 26, item 8): the stage and the phones
// showed it running on, "−18:32" in red, until the round finished. The
// pitch's timer stops, and neither screen shows a countdown once its
// voting closed.
func TestBrowserTimerStopsWhenVotingCloses(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	f := newFixture(t, srv.URL, "TIME26", 2)
	b := newBrowser(t)
	stage := b.newTab("stage", stageSize)
	stage.open(srv.URL + "/stage/" + f.Code)
	phone := joinPhone(b, srv.URL, f.Code, "")

	f.roundAction(t, srv.URL, "start")
	f.roundAction(t, srv.URL, "next")
	f.pitchAction(t, srv.URL, 1, "timer_start")
	f.pitchAction(t, srv.URL, 1, "open")
	shown := `(() => { const c = document.querySelector(%q); return !!c && c.getClientRects().length > 0 && /\d:\d\d/.test(c.textContent); })()`
	stage.waitFor("the countdown running", fmt.Sprintf(`document.querySelector('#pitch-view[data-pitch="%d"]') && `, f.Pitches[1])+fmt.Sprintf(shown, "#pitch-view .countdown"))
	phone.waitFor("the countdown running", fmt.Sprintf(`document.querySelector('#team-%d') && `, f.Pitches[1])+fmt.Sprintf(shown, ".pitch-card .countdown"))

	f.pitchAction(t, srv.URL, 1, "close")
	var model struct {
		Rounds []struct {
			Pitches []struct {
				ID    int64
				State string
				Timer struct{ Running bool }
			}
		}
	}
	must(t, srv.URL, "GET", "/api/events/"+f.Code+"/model", nil, &model)
	for _, p := range model.Rounds[0].Pitches {
		if p.ID == f.Pitches[1] && (p.State != "closed" || p.Timer.Running) {
			t.Errorf("the last pitch is %s with its timer running %v; want closed, its timer stopped", p.State, p.Timer.Running)
		}
	}
	closed := `(() => { const c = document.querySelector(%q); return !!document.querySelector(%q) && (!c || c.getClientRects().length === 0); })()`
	stage.waitFor("no countdown once voting closed", fmt.Sprintf(closed, "#pitch-view .countdown", ".stage-panel .state-pill:not(.open)"))
	phone.waitFor("no countdown once voting closed", fmt.Sprintf(closed, ".pitch-card .countdown", ".pitch-card .prompt.closed"))
	stage.checkConsole()
	phone.checkConsole()
}

// TestBrowserControlVotesSurviveRestart watches the control page's count
// of votes across a server restart (issue 26, item 9): it counted the
// votes accepted since the start, 226 then 1, which read as lost votes,
// and said "1 votes". It shows the votes the event holds, one per
// participant and question, in the singular for one.
func TestBrowserControlVotesSurviveRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := startServer(t, dir)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ev := newPitchNight(t, srv.URL, "KEEP26")
	b := newBrowser(t)
	control := openControl(b, srv.URL, ev)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/start", ev.RoundID), nil, nil)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/open", ev.Pitches[0]), nil, nil)
	target := fmt.Sprintf("pitch:%d", ev.Pitches[0])
	shows := func(n int) string {
		return fmt.Sprintf(`document.querySelector('#stat-votes').textContent === '%d'`, n)
	}
	label := `document.querySelector('#stat-votes').nextElementSibling.textContent`

	first := join(t, srv.URL, ev.Code, map[string]any{})
	vote(t, srv.URL, first, "keep-1", target, 4)
	control.waitFor("one vote", shows(1))
	if got := control.text(label); !strings.HasPrefix(got, "vote ") {
		t.Errorf("the control page says 1 %q, want the singular", got)
	}
	for i := range 2 {
		vote(t, srv.URL, join(t, srv.URL, ev.Code, map[string]any{}), fmt.Sprint("keep-", i+2), target, 5)
	}
	vote(t, srv.URL, first, "keep-1b", target, 3) // a changed vote is still one vote
	control.waitFor("three votes", shows(3))
	control.waitFor("the pitch's three votes", fmt.Sprintf(`document.querySelector('#live-votes')?.textContent === '%d'`, 3))
	if got := control.text(label); !strings.HasPrefix(got, "votes ") {
		t.Errorf("the control page says 3 %q, want the plural", got)
	}
	control.screenshot(shotDir(t), "wshow-control-votes", controlSize)

	control.setOffline(true)
	srv.Stop(t)
	srv = startServer(t, dir, "-listen", u.Host)
	vote(t, srv.URL, join(t, srv.URL, ev.Code, map[string]any{}), "keep-4", target, 2)
	control.waitForWithin(30*time.Second, "the pitch's four votes after the restart", `document.querySelector('#live-votes')?.textContent === '4'`)
	control.setOffline(false)
	control.waitFor("four votes counted after the restart", shows(4))
	control.checkConsole()
}

// TestBrowserStageJoinNamesRoom opens the stage of an event's second room
// (issue 26, item 10): its join URL and QR code named no room, so every
// phone had a third step, a room to pick, and could pick the wrong one.
// Both name the stage's room, and the phone that opens them goes straight
// to it.
func TestBrowserStageJoinNamesRoom(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	f := newFixture(t, srv.URL, "ROOM26", 1)
	var roomB struct{ ID int64 }
	must(t, srv.URL, "POST", "/api/events/ROOM26/rooms", map[string]string{"name": "Amphithéâtre Victor Hugo"}, &roomB)
	b := newBrowser(t)
	stage := b.newTab("stage, second room", stageSize)
	stage.open(fmt.Sprintf("%s/stage/%s?room=%d", srv.URL, f.Code, roomB.ID))
	want := fmt.Sprintf("%s/e/%s?room=%d", hostOf(srv.URL), f.Code, roomB.ID)
	stage.waitFor("the lobby's join URL", has("#lobby-code"))
	if got := stage.text(`document.querySelector('#lobby .qr-url').textContent`); got != want {
		t.Errorf("the lobby shows the join URL %q, want %q", got, want)
	}
	// The QR code encodes what the page shows: its title names the URL.
	qr := stage.text(`fetch(document.querySelector('#lobby-qr').src).then((r) => r.text())`)
	if !strings.Contains(qr, "<title>http://"+want+"</title>") {
		t.Errorf("the QR code encodes %q, want http://%s", qr[:min(len(qr), 200)], want)
	}
	stage.screenshot(shotDir(t), "wshow-stage-lobby-room", stageSize)

	phone := b.newTab("phone", phoneSize)
	phone.open("http://" + want)
	phone.waitFor("join form", has("#join-form"))
	phone.click(`#join-form button[type=submit]`)
	phone.waitFor("joined", has("#whoami"))
	phone.waitFor("in the second room", `document.querySelector('#whoami').textContent.includes('Amphithéâtre Victor Hugo')`)
	if n := jsEval[int](phone, `document.querySelectorAll('.choice-list').length`); n != 0 {
		t.Errorf("the phone asks which room (%d lists), want the stage's room at once", n)
	}
	phone.screenshot(shotDir(t), "wshow-audience-room", phoneSize)

	// The join URL without a room still asks, as before.
	other := b.newTab("phone, no room named", phoneSize)
	other.open(srv.URL + "/e/" + f.Code)
	other.waitFor("join form", has("#join-form"))
	other.click(`#join-form button[type=submit]`)
	other.waitFor("the rooms to pick", has(".choice-list"))
	for _, tb := range []*tab{stage, phone, other} {
		tb.checkConsole()
	}
}

// TestBrowserPhoneNewPollCueOnFeed opens a poll while a phone reads the
// Feed (issue 26, item 11): the phone showed only its 6 px dot on the Vote
// tab, not the "New: …" the README promises. The cue shows on the screen,
// above the tab bar, where a tap reaches it, and leads to the poll.
func TestBrowserPhoneNewPollCueOnFeed(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newRehearsal(t, srv.URL, "CUE26")
	var hook struct{ Token string }
	must(t, srv.URL, "POST", "/api/events/"+ev.Code+"/feed/webhook-token", nil, &hook)
	for i := range 12 {
		var post feedItem
		if st := call(t, srv.URL, "POST", "/api/events/"+ev.Code+"/feed/webhook", hook.Token, map[string]any{"id": fmt.Sprint("cue-", i), "author": "zoe", "author_name": "Zoé",
			"text": fmt.Sprintf("Message %d : bravo %s !", i+1, rehearsalTeams[i%6].Team)}, &post); st != 201 {
			t.Fatalf("webhook post: status %d", st)
		}
		must(t, srv.URL, "POST", fmt.Sprintf("/api/events/%s/feed/items/%d/actions/approve", ev.Code, post.ID), nil, nil)
	}
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/start", ev.RoundID), nil, nil)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/open", ev.Pitches[0]), nil, nil)
	var polls []int64
	for range 2 {
		var poll struct{ ID int64 }
		must(t, srv.URL, "POST", "/api/events/"+ev.Code+"/polls", map[string]any{"room_id": ev.RoomID, "question": "Quel projet mérite le prix du public ?",
			"kind": "choices", "choices": []string{rehearsalTeams[0].Team, rehearsalTeams[4].Team}}, &poll)
		polls = append(polls, poll.ID)
	}

	b := newBrowser(t)
	for i, c := range []struct {
		name string
		vp   viewport
		font int64
	}{
		{"phone 390", phoneSize, 0},
		{"phone 320, 32 px font", phone320, 32},
	} {
		p := b.newTab(c.name, c.vp)
		if c.font > 0 {
			p.do("font size", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, page.SetFontSizes, page.SetFontSizesParams{FontSizes: &page.FontSizes{Standard: c.font, Fixed: c.font - 6}})
				return err
			}))
		}
		p.open(srv.URL + "/e/" + ev.Code)
		p.waitFor("join form", has("#join-form"))
		p.click(`#join-form button[type=submit]`)
		p.waitFor("the pitch to vote on", fmt.Sprintf(`!!document.querySelector('#team-%d') && !document.querySelector('#sections').hidden`, ev.Pitches[0]))
		// The poll opens while the phone reads the Feed; then again, reopened.
		for _, again := range []bool{false, true} {
			where := map[bool]string{false: c.name, true: c.name + ", the poll reopened"}[again]
			p.click("#tab-feed")
			p.waitFor("the feed", `!document.querySelector('#panel-feed').hidden && document.querySelectorAll('#feed-list .post').length >= 12`)
			p.eval(`scrollTo(0, document.documentElement.scrollHeight / 2)`)
			must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/open", polls[i]), nil, nil)
			p.waitFor("the badge on the Vote tab", `!document.querySelector('#tab-vote .tab-badge').hidden`)
			frames(p)
			cue := jsEval[screenPart](p, `(() => {
  const el = document.querySelector('#news'), r = el.getClientRects().length ? el.getBoundingClientRect() : null;
  const at = r && document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
  return { name: el.textContent, shown: !!r && r.width > 0 && r.height > 0, left: r ? r.left : 0, right: r ? r.right : 0, top: r ? r.top : 0, bottom: r ? r.bottom : 0,
    hit: !!at && (at === el || el.contains(at)) };
})()`)
			t.Logf("%s: the cue: %v, shown %v, reached %v", where, cue, cue.Shown, cue.Hit)
			if !cue.inside(0, float64(c.vp.w), 0, float64(c.vp.h)) || !cue.Hit || cue.Bottom-cue.Top < 40 || !strings.HasPrefix(cue.Name, "New: ") {
				t.Errorf("%s: a poll opened while on the Feed shows the cue %q at %v (shown %v, a tap reaches it %v); want \"New: Quel projet…\" on the screen, 40 px high at least", where, cue.Name, cue, cue.Shown, cue.Hit)
			}
			p.screenshot(shotDir(t), fmt.Sprint("wshow-audience-feed-cue-", c.vp.w), c.vp)
			if t.Failed() {
				return
			}
			p.click("#news")
			p.waitFor("the poll in view", fmt.Sprintf(`document.querySelector('#tab-vote').getAttribute('aria-selected') === 'true' && document.querySelector('#cards').firstElementChild.dataset.target === 'poll:%d'`, polls[i]))
			must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/close", polls[i]), nil, nil)
			p.waitFor("the poll closed", fmt.Sprintf(`!document.querySelector('[data-target="poll:%d"]')`, polls[i]))
		}
		p.checkConsole()
	}
}

// TestBrowserTeamPageRehearsal runs the Team page at 1440×900 and the
// control page as a room's operator (issue 26, item 12): "Add a role"
// defaulted to Administrator, the login and display-name inputs had no
// label, the first row's Sessions button was cut; the operator saw the
// other room's tab, which did nothing, and a hint to use Build, a right
// the role lacks.
func TestBrowserTeamPageRehearsal(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "", "-seed_demo=false")
	ev := newRehearsal(t, srv.URL, "CREW26")
	var roomB struct{ ID int64 }
	must(t, srv.URL, "POST", "/api/events/CREW26/rooms", map[string]string{"name": "Amphithéâtre Victor Hugo"}, &roomB)
	for _, a := range []map[string]any{
		{"login": "jbpl", "display_name": rehearsalTeams[0].Presenter, "password": "moliere-1622", "grants": []map[string]any{{"role": "organiser", "event_id": ev.EventID}}},
		{"login": "lea", "display_name": "Léa Martin", "password": "stage-left-2026", "grants": []map[string]any{{"role": "operator", "event_id": ev.EventID, "room_id": roomB.ID}}},
	} {
		must(t, srv.URL, "POST", "/api/accounts", a, nil)
	}
	b := newBrowser(t)
	admin := b.newTab("admin", controlSize)
	admin.open(srv.URL + "/control")
	admin.typeInto("#password", "correct horse")
	admin.click(`#login-form button[type=submit]`)
	admin.waitFor("the Team link", `!document.querySelector('#team-link').hidden`)
	admin.click("#team-link")
	admin.waitFor("the account form", `document.querySelector('#account-form') && document.querySelector('#account-jbpl')`)
	frames(admin)

	// Every button of the table on the screen, inside its card.
	for _, bx := range jsEval[[]screenPart](admin, `[...document.querySelectorAll('#team-table button')].map((el) => {
  const r = el.getBoundingClientRect(), card = el.closest('.card').getBoundingClientRect();
  const inside = r.left >= card.left - 1 && r.right <= card.right + 1 && r.right <= innerWidth;
  return { name: el.id || el.textContent, shown: inside, left: r.left, right: r.right, top: r.top, bottom: r.bottom };
})`) {
		if !bx.Shown {
			t.Errorf("team page, 1440 px: the button %s is cut by its card or the screen", bx)
		}
	}
	// Every input of the account form is labelled.
	for _, id := range jsEval[[]string](admin, `[...document.querySelectorAll('#account-form input, #account-form select')].filter((el) => !el.labels?.length && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')).map((el) => el.id || el.name || el.className)`) {
		t.Errorf("team page: the account form's %q has no label", id)
	}
	admin.click("#grant-add")
	if got := admin.text(`document.querySelector('#account-form .grant-row:last-child .grant-role').value`); got != "viewer" {
		t.Errorf("team page: \"Add a role\" adds %q, want the least role, viewer", got)
	}
	admin.eval(`window.scrollTo(0, 0); document.querySelector('#toast').hidden = true`)
	admin.screenshot(shotDir(t), "wshow-control-team-1440", controlSize)
	admin.checkConsole()

	// The operator of the second room, which has no round yet.
	op := b.newTab("operator", controlSize)
	op.open(srv.URL + "/control#CREW26")
	op.typeInto("#login-name", "lea")
	op.typeInto("#password", "stage-left-2026")
	op.click(`#login-form button[type=submit]`)
	op.waitFor("the Live panel of her room", `document.querySelector('#live-panel .empty')`)
	if n := jsEval[int](op, fmt.Sprintf(`document.querySelectorAll('#room-tab-%d').length`, ev.RoomID)); n != 0 {
		t.Errorf("operator: the other room's tab shows, though she cannot run it")
	}
	if got := op.text(`document.querySelector('#live-panel').textContent`); !strings.Contains(got, "Amphithéâtre Victor Hugo") || strings.Contains(got, "Build") {
		t.Errorf("operator: the Live panel says %q; want her room named, and no hint to use Build", got)
	}
	op.eval(`window.scrollTo(0, 0)`)
	op.screenshot(shotDir(t), "wshow-control-operator-1440", controlSize)
	op.checkConsole()
}
