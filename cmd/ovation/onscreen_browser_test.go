package main

// Browser tests of the second rehearsal's show-blockers (issue 26): a
// running order of long names (a company's legal name, a 42-letter word,
// emoji, Arabic, a 100-character name, a 40-letter word) keeps the stage's
// pitch view inside the screen at 1920×1080 and 1280×720, with the ticker
// on and off and in the control page's preview: the results, the vote count
// and the join QR code show; and on a phone at 390×844, and at 320×640 with
// a 32 px font, "Meet the teams" keeps its rows and the tab bar on the
// screen. Each measures the elements' own rectangles against the viewport.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// rehearsalTeams is the running order of the rehearsal, with a
// 100-character name and a 40-letter word added.
var rehearsalTeams = []struct{ Team, Presenter string }{
	{"Société Générale des Établissements Industriels de Franche-Comté", "Jean-Baptiste Poquelin-Larochefoucauld"},
	{"Anticonstitutionnellementdéraisonnablement", "Ana Lima"},
	{"🚀 Fusée Verte 🌱", "Tom Berg"},
	{"شركة الطاقة الشمسية المتجددة", "ليلى الحسيني"},
	{"Les Fromageries Artisanales du Haut-Doubs et du Jura Réunies", "Inès Moreau"},
	{"Hydrogène Vert Bisontin", "Marie-Clémentine Delacroix-Beaumont"},
	{"Association Intercommunale pour la Valorisation des Ressources Forestières du Massif du Jura Central", "Zoé"},
	{longWord, "Bo"},
}

const arabicTeam = 3 // the index of the right-to-left name in rehearsalTeams

// newRehearsal creates an event whose round runs rehearsalTeams, scored 1–5
// with a jury.
func newRehearsal(tb testing.TB, base, code string) pitchNight {
	tb.Helper()
	if n := utf8.RuneCountInString(rehearsalTeams[6].Team); n != 100 {
		tb.Fatalf("the 100-character name has %d characters", n)
	}
	if n := utf8.RuneCountInString(longWord); n != 40 {
		tb.Fatalf("the 40-letter word has %d letters", n)
	}
	ev := pitchNight{Code: code}
	var created struct{ ID int64 }
	must(tb, base, "POST", "/api/events", map[string]any{"code": code, "title": "Rencontres régionales de l’innovation 2026", "color": "#5B3DF5",
		"languages": []string{"fr", "en"}, "jury_code": "JURY7", "jury_weight": juryWeight}, &created)
	ev.EventID = created.ID
	var model struct{ Rooms []struct{ ID int64 } }
	must(tb, base, "GET", "/api/events/"+code+"/model", nil, &model)
	ev.RoomID = model.Rooms[0].ID
	var round struct{ ID int64 }
	must(tb, base, "POST", "/api/events/"+code+"/rounds", map[string]any{"room_id": ev.RoomID, "title": "Finale régionale", "scale": 5}, &round)
	ev.RoundID = round.ID
	for _, r := range rehearsalTeams {
		var p struct{ ID int64 }
		must(tb, base, "POST", fmt.Sprintf("/api/rounds/%d/pitches", ev.RoundID), map[string]any{"team": r.Team, "presenter": r.Presenter, "duration_s": 120}, &p)
		ev.Pitches = append(ev.Pitches, p.ID)
		ev.Teams = append(ev.Teams, r.Team)
	}
	return ev
}

// screenPart is an element's rectangle, as stageOnScreenJS and
// phoneOnScreenJS measure it.
type screenPart struct {
	Name                     string
	Shown                    bool
	Left, Right, Top, Bottom float64
	Dir                      string // the computed direction of its text
	Hit                      bool   // a tap at its centre reaches it
}

func (p screenPart) String() string {
	return fmt.Sprintf("%s %.0f–%.0f × %.0f–%.0f", p.Name, p.Left, p.Right, p.Top, p.Bottom)
}

// inside reports whether p shows within x0..x1 × y0..y1.
func (p screenPart) inside(x0, x1, y0, y1 float64) bool {
	return p.Shown && p.Left >= x0-1 && p.Right <= x1+1 && p.Top >= y0-1 && p.Bottom <= y1+1
}

// stageScreen is what stageOnScreenJS measures of a stage's pitch view.
type stageScreen struct {
	W, H, ScrollWidth, RootWidth float64
	Top, Bottom                  float64 // the area the ticker leaves
	Parts                        []screenPart
	Cols, Counted, Filled        int // the histogram's columns, its votes, and the columns drawn
	Votes                        string
	TeamDir, StepDirs            string
	Named                        []bool    // whether each pill of the running order shows its name
	Squeezed                     []float64 // the widths of the pills squeezed under three quarters of their names' (at most 18vw)
}

// stageOnScreenJS measures the pitch view of the stage in doc (a stage
// page's document, or the control page's preview frame's).
func stageOnScreenJS(doc string) string {
	return `((doc) => {
  const win = doc.defaultView;
  const W = win.innerWidth, H = win.innerHeight;
  const ticker = doc.querySelector('#ticker');
  const tr = ticker && !ticker.hidden ? ticker.getBoundingClientRect() : null;
  const atTop = tr && tr.top < H / 2;
  const part = (name, el) => {
    const r = el && el.getClientRects().length ? el.getBoundingClientRect() : null;
    return { name, shown: !!r && r.width > 0 && r.height > 0, left: r ? r.left : 0, right: r ? r.right : 0, top: r ? r.top : 0, bottom: r ? r.bottom : 0,
      dir: el ? win.getComputedStyle(el).direction : '' };
  };
  const parts = [['team', '#stage-team'], ['presenter', '.stage-presenter'], ['results panel', '.stage-panel'], ['vote count', '#stage-votes'],
    ['results', '#stage-hist'], ['join QR code', '#qr-small'], ['join code', '#joincode'], ['running order', '#runorder'], ['presence', '#presence']]
    .map(([name, sel]) => part(name, doc.querySelector(sel)));
  const cols = [...doc.querySelectorAll('#stage-hist .col')];
  cols.forEach((c, i) => parts.push(part('result ' + (i + 1), c)));
  return { w: W, h: H, scrollwidth: doc.documentElement.scrollWidth, rootwidth: doc.querySelector('.stage-root').getBoundingClientRect().width,
    top: tr && atTop ? tr.bottom : 0, bottom: tr && !atTop ? tr.top : H, parts,
    cols: cols.length, counted: cols.reduce((s, c) => s + Number(c.dataset.count || 0), 0),
    filled: cols.filter((c) => c.querySelector('.fill').getBoundingClientRect().height > 0).length,
    votes: doc.querySelector('#stage-votes strong')?.textContent || '',
    teamdir: win.getComputedStyle(doc.querySelector('#stage-team')).direction,
    stepdirs: [...doc.querySelectorAll('#runorder .step')].map((s) => win.getComputedStyle(s).direction).join(' '),
    named: [...doc.querySelectorAll('#runorder .step')].map((s) => !s.querySelector('.name') || s.querySelector('.name').getClientRects().length > 0),
    squeezed: [...doc.querySelectorAll('#runorder .step:not(.now)')].filter((s) => s.offsetWidth < 0.75 * Math.min(s.scrollWidth, 0.18 * W)).map((s) => s.offsetWidth) };
})(` + doc + `)`
}

// checkStageOnScreen fails unless the pitch view of team (its index in
// rehearsalTeams) lies inside the screen with its results, its vote count
// and the join QR code, for votes votes cast.
func checkStageOnScreen(t *testing.T, tb *tab, where, doc string, team, votes int) stageScreen {
	t.Helper()
	s := jsEval[stageScreen](tb, stageOnScreenJS(doc))
	t.Logf("%s: laid out %.0f px wide (page %.0f) on a %.0f×%.0f screen, %d result columns, %d drawn, %s votes; %v",
		where, s.ScrollWidth, s.RootWidth, s.W, s.H, s.Cols, s.Filled, s.Votes, s.Parts)
	if s.ScrollWidth > s.W+1 || s.RootWidth > s.W+1 {
		t.Errorf("%s: the stage lays out %.0f px wide (page %.0f px) on a %.0f px screen", where, s.ScrollWidth, s.RootWidth, s.W)
	}
	for _, p := range s.Parts {
		if !p.inside(0, s.W, s.Top, s.Bottom) {
			t.Errorf("%s: %s is not inside the screen (%.0f×%.0f–%.0f, shown %v)", where, p, s.W, s.Top, s.Bottom, p.Shown)
		}
	}
	if s.Cols != 5 || s.Counted != votes || s.Filled == 0 {
		t.Errorf("%s: the results show %d columns of %d votes, %d drawn; want 5 columns of %d votes", where, s.Cols, s.Counted, s.Filled, votes)
	}
	if s.Votes != fmt.Sprint(votes) {
		t.Errorf("%s: the vote count shows %q, want %d", where, s.Votes, votes)
	}
	// Right to left where the name is: an Arabic name is cut at its end.
	if want := map[bool]string{true: "rtl", false: "ltr"}[team == arabicTeam]; s.TeamDir != want {
		t.Errorf("%s: the team %q is laid out %s, want %s", where, rehearsalTeams[team].Team, s.TeamDir, want)
	}
	if dirs := strings.Fields(s.StepDirs); len(dirs) != len(rehearsalTeams) || dirs[arabicTeam] != "rtl" {
		t.Errorf("%s: the running order's pills are laid out %q, want the Arabic name's rtl", where, s.StepDirs)
	}
	// A row too short for every name keeps those of the pitch on stage and
	// the next; the pitches to come give theirs from the last.
	for i, named := range s.Named {
		switch {
		case (i == team || i == team+1) && !named:
			t.Errorf("%s: the running order shows pill %d without its name (pitch %d on stage): %v", where, i+1, team+1, s.Named)
		case i > team+1 && named && !s.Named[i-1]:
			t.Errorf("%s: the running order shows pill %d's name but not pill %d's: %v", where, i+1, i, s.Named)
		}
	}
	// A pill may lose a few letters to the row, never be squeezed to a letter or two.
	for _, w := range s.Squeezed {
		t.Errorf("%s: a pill of the running order is squeezed to %.0f px on a %.0f px screen", where, w, s.W)
	}
	return s
}

func TestBrowserStagePitchStaysOnScreen(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newRehearsal(t, srv.URL, "LONG26")
	shots := shotDir(t)
	voters := []joined{join(t, srv.URL, ev.Code, map[string]any{}), join(t, srv.URL, ev.Code, map[string]any{}), join(t, srv.URL, ev.Code, map[string]any{"jury_code": "JURY7"})}
	var hook struct{ Token string }
	must(t, srv.URL, "POST", "/api/events/"+ev.Code+"/feed/webhook-token", nil, &hook)

	b := newBrowser(t)
	// The ticker is off on one stage; the other shows it from the first approved post.
	off := b.newTab("stage, ticker off", stageSize)
	off.open(srv.URL + "/stage/" + ev.Code + "?ticker=off")
	on := b.newTab("stage", stageSize)
	on.open(srv.URL + "/stage/" + ev.Code)
	control := openControl(b, srv.URL, ev)
	const preview = `document.querySelector('#preview').contentDocument`

	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/start", ev.RoundID), nil, nil)
	for i := range rehearsalTeams {
		if i > 0 {
			must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/next", ev.RoundID), nil, nil)
		}
		must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/open", ev.Pitches[i]), nil, nil)
		for j, v := range voters {
			var ack struct{ Status string }
			if st := call(t, srv.URL, "POST", "/api/votes", v.Token, map[string]any{"vote_id": fmt.Sprint("long-", i, "-", j), "target": fmt.Sprintf("pitch:%d", ev.Pitches[i]), "value": 1 + (i+j)%5}, &ack); st != 200 {
				t.Fatalf("vote on pitch %d: status %d", i+1, st)
			}
		}
		must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/show_results", ev.Pitches[i]), nil, nil)
		results := func(doc string) string {
			return fmt.Sprintf(`((doc) => !!doc && !!doc.querySelector('#pitch-view[data-pitch="%d"]') && !doc.querySelector('#stage-hist').hidden && doc.querySelector('#stage-votes strong')?.textContent === '%d')(%s)`, ev.Pitches[i], len(voters), doc)
		}

		stages := []*tab{off, on}
		if i == 0 {
			// Before the first approved post the ticker is off on both stages.
			on.waitFor("pitch with results, no ticker", results("document")+` && document.querySelector('#ticker').hidden`)
			checkStageOnScreen(t, on, "pitch 1, before the first post, 1920×1080", "document", i, len(voters))
			var post feedItem
			if st := call(t, srv.URL, "POST", "/api/events/"+ev.Code+"/feed/webhook", hook.Token, map[string]any{"id": "long-1", "author": "zoe", "author_name": "Zoé",
				"text": "Bravo " + rehearsalTeams[0].Team + " !"}, &post); st != 201 {
				t.Fatalf("webhook post: status %d", st)
			}
			must(t, srv.URL, "POST", fmt.Sprintf("/api/events/%s/feed/items/%d/actions/approve", ev.Code, post.ID), nil, nil)
			on.waitFor("ticker", `!document.querySelector('#ticker').hidden`)
		}
		for _, s := range stages {
			s.waitFor(fmt.Sprintf("pitch %d with results", i+1), results("document"))
			for _, vp := range []viewport{stageSize, small720} {
				resize(s, vp)
				where := fmt.Sprintf("%s, pitch %d, %d×%d", s.name, i+1, vp.w, vp.h)
				checkStageOnScreen(t, s, where, "document", i, len(voters))
				checkHallText(t, s, where, 32*float64(vp.h)/1080)
				// The first name without the ticker at 1080p; the 100-character one with it at 720p.
				if (i == 0 && s == off && vp == stageSize) || (i == 6 && s == on && vp == small720) {
					s.screenshot(shots, fmt.Sprintf("stage-long-names-%d", vp.h), vp)
				}
			}
			resize(s, stageSize)
		}
		if i == 1 {
			// A poll during the round takes the screen; the pitch comes back with its running order.
			var poll struct{ ID int64 }
			must(t, srv.URL, "POST", "/api/events/"+ev.Code+"/polls", map[string]any{"room_id": ev.RoomID, "question": "Café ou thé ?", "kind": "choices", "choices": []string{"Café", "Thé"}}, &poll)
			must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/open", poll.ID), nil, nil)
			on.waitFor("the poll on stage", has("#poll-view"))
			must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/close", poll.ID), nil, nil)
			on.waitFor("the pitch back with its running order", results("document")+fmt.Sprintf(` && document.querySelectorAll('#runorder .step').length === %d`, len(rehearsalTeams)))
		}
		// The control page's preview is the stage at 1920×1080, scaled down.
		control.waitFor(fmt.Sprintf("preview of pitch %d with results", i+1), results(preview))
		control.eval(`new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))`)
		checkStageOnScreen(t, control, fmt.Sprintf("control's preview, pitch %d", i+1), preview, i, len(voters))
		if i == 3 {
			control.screenshot(shots, "control-long-names", controlSize)
		}
	}
	for _, tb := range []*tab{off, on, control} {
		tb.checkConsole()
	}
}

// phoneScreen is what phoneOnScreenJS measures of an audience page.
type phoneScreen struct {
	W, H, ScrollWidth, ScrollX, Scale float64
	Rows, Parts                       []screenPart
	Wide                              []string // the elements wider than the screen, innermost first
}

// phoneOnScreenJS measures the audience page on a screen w px wide: the
// "Meet the teams" rows, their names and buttons, the pitch card, the tab
// bar and its tabs (reached by a tap at their centre), and the elements that
// pass the screen's right edge.
func phoneOnScreenJS(w int64) string {
	return `((w) => {
  const part = (name, el) => {
    const r = el && el.getClientRects().length ? el.getBoundingClientRect() : null;
    const x = r ? Math.min(innerWidth - 1, Math.max(0, (r.left + r.right) / 2)) : 0, y = r ? Math.min(innerHeight - 1, Math.max(0, (r.top + r.bottom) / 2)) : 0;
    const at = r && document.elementFromPoint(x, y);
    return { name, shown: !!r && r.width > 0 && r.height > 0, left: r ? r.left : 0, right: r ? r.right : 0, top: r ? r.top : 0, bottom: r ? r.bottom : 0,
      dir: el ? getComputedStyle(el).direction : '', hit: !!at && (at === el || el.contains(at)) };
  };
  const rows = [...document.querySelectorAll('.meet-row')].flatMap((row) => [part('row ' + row.dataset.pitch, row),
    part('name ' + row.dataset.pitch, row.querySelector('.meet-team')), part('button ' + row.dataset.pitch, row.querySelector('button'))]);
  const parts = [part('pitch card', document.querySelector('.pitch-card')), part('tab bar', document.querySelector('#sections')),
    ...[...document.querySelectorAll('#sections [role=tab]')].map((tab) => part('tab ' + tab.dataset.section, tab))];
  const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + [...e.classList].map((c) => '.' + c).join('');
  const wide = [...document.body.querySelectorAll('*')].filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > w + 1 &&
    ![...e.children].some((c) => c.getClientRects().length && c.getBoundingClientRect().right > w + 1))
    .slice(0, 8).map((e) => name(e) + ' ' + Math.round(e.getBoundingClientRect().left) + '–' + Math.round(e.getBoundingClientRect().right));
  return { w: innerWidth, h: innerHeight, scrollwidth: document.documentElement.scrollWidth, scrollx: scrollX, scale: visualViewport.scale, rows, parts, wide };
})(` + fmt.Sprint(w) + `)`
}

// checkPhoneOnScreen fails unless the page of tb, at vp, has no row wider
// than the screen, does not scroll sideways, and keeps the tab bar on the
// screen with each tab reachable; the name of the pitch arabic is laid out
// right to left.
func checkPhoneOnScreen(t *testing.T, tb *tab, where string, vp viewport, arabic int64) {
	t.Helper()
	s := jsEval[phoneScreen](tb, phoneOnScreenJS(vp.w))
	w, h := float64(vp.w), float64(vp.h)
	widest := 0.0
	for _, r := range s.Rows {
		if strings.HasPrefix(r.Name, "row ") {
			widest = max(widest, r.Right-r.Left)
		}
	}
	t.Logf("%s: page %.0f px wide on a %.0f px screen (inner %.0f×%.0f, scale %.2f, scrolled %.0f), widest row %.0f px; %v %v",
		where, s.ScrollWidth, w, s.W, s.H, s.Scale, s.ScrollX, widest, s.Parts, s.Rows)
	if s.ScrollWidth > w+1 || s.W > w+1 {
		t.Errorf("%s: the page is %.0f px wide (viewport %.0f) on a %.0f px screen: it slides sideways; wider than the screen: %q", where, s.ScrollWidth, s.W, w, s.Wide)
	}
	if len(s.Rows) != 3*len(rehearsalTeams) {
		t.Errorf("%s: %d rows in Meet the teams, want %d", where, len(s.Rows)/3, len(rehearsalTeams))
	}
	for _, r := range s.Rows {
		if !r.Shown || r.Left < -1 || r.Right > w+1 {
			t.Errorf("%s: Meet the teams' %s is not within the screen's width (%.0f px)", where, r, w)
		}
	}
	for _, p := range s.Parts {
		switch {
		case p.Name == "pitch card" && (!p.Shown || p.Left < -1 || p.Right > w+1):
			t.Errorf("%s: the %s is not within the screen's width (%.0f px)", where, p, w)
		case p.Name != "pitch card" && (!p.inside(0, w, 0, h) || !p.Hit):
			t.Errorf("%s: the %s is not on the %.0f×%.0f screen (a tap reaches it: %v)", where, p, w, h, p.Hit)
		}
	}
	for _, r := range s.Rows {
		if r.Name == fmt.Sprint("name ", arabic) && r.Dir != "rtl" {
			t.Errorf("%s: the Arabic name is laid out %s, want rtl", where, r.Dir)
		}
	}
}

func TestBrowserPhoneMeetStaysOnScreen(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newRehearsal(t, srv.URL, "MEET26")
	shots := shotDir(t)
	// Every team has pitched; the last one takes votes. A board gives the
	// phones their third tab.
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/start", ev.RoundID), nil, nil)
	last := len(ev.Pitches) - 1
	for i, id := range ev.Pitches {
		if i > 0 {
			must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/next", ev.RoundID), nil, nil)
		}
		must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/open", id), nil, nil)
	}
	createBoard(t, srv.URL, ev.Code, map[string]any{"title": "Questions pour le jury", "room_id": ev.RoomID, "moderation": "post", "open": true})

	b := newBrowser(t)
	for _, c := range []struct {
		name string
		vp   viewport
		font int64
		shot string
	}{
		{"phone 390", phoneSize, 0, "audience-long-names-390"},
		{"phone 320, 32 px font", phone320, 32, "audience-long-names-320-large"},
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
		p.waitFor("pitch card and every team to meet", fmt.Sprintf(`document.querySelector('#team-%d') && document.querySelectorAll('.meet-row').length === %d && document.querySelectorAll('#sections [role=tab]:not([hidden])').length === 3`, ev.Pitches[last], len(ev.Pitches)))
		p.eval(`new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))`)
		checkPhoneOnScreen(t, p, c.name+", top of the Vote tab", c.vp, ev.Pitches[arabicTeam])
		// Scrolled down to the teams, on the Vote tab: the tab bar still shows.
		p.eval(`document.querySelector('#meet-card .meet-row').scrollIntoView({block: 'center'})`)
		p.eval(`new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))`)
		checkPhoneOnScreen(t, p, c.name+", Meet the teams", c.vp, ev.Pitches[arabicTeam])
		p.screenshot(shots, c.shot, c.vp)
		p.checkConsole()
	}
}

// TestBrowserStageLongRound runs the sponsors' evening: 25 pitches in one
// round. With the twentieth on stage, the running order keeps it and the
// next in view, named, at 1920×1080 and 1280×720; the pills that leave the
// row are the farthest from the stage.
func TestBrowserStageLongRound(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	const code = "SPONS26"
	must(t, srv.URL, "POST", "/api/events", map[string]any{"code": code, "title": "Soirée des partenaires"}, nil)
	var model struct{ Rooms []struct{ ID int64 } }
	must(t, srv.URL, "GET", "/api/events/"+code+"/model", nil, &model)
	var round struct{ ID int64 }
	must(t, srv.URL, "POST", "/api/events/"+code+"/rounds", map[string]any{"room_id": model.Rooms[0].ID, "title": "Sponsors", "scale": 5}, &round)
	for i := 1; i <= 25; i++ {
		must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/pitches", round.ID), map[string]any{"team": fmt.Sprintf("Sponsor Partenaire %02d", i), "duration_s": 120}, nil)
	}
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/start", round.ID), nil, nil)
	for range 19 {
		must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/next", round.ID), nil, nil)
	}
	stage := newBrowser(t).newTab("stage", stageSize)
	stage.open(srv.URL + "/stage/" + code)
	stage.waitFor("the twentieth pitch", `document.querySelector('#runorder .step.now')?.textContent.startsWith('20')`)
	for _, vp := range []viewport{stageSize, small720} {
		resize(stage, vp)
		frames(stage)
		type pill struct {
			N           int
			Shown, Name bool
			Squeezed    bool // under three quarters of its name's width (at most 18vw)
			Left, Right float64
		}
		row := jsEval[struct {
			Left, Right float64
			Pills       []pill
		}](stage, `(() => { const box = document.querySelector('#runorder').getBoundingClientRect();
  return { left: box.left, right: box.right, pills: [...document.querySelectorAll('#runorder .step')].map((s, i) => { const r = s.getBoundingClientRect();
    return { n: i + 1, shown: s.getClientRects().length > 0, name: s.querySelector('.name').getClientRects().length > 0, left: r.left, right: r.right,
      squeezed: s.offsetWidth < 0.75 * Math.min(s.scrollWidth, 0.18 * innerWidth) }; }) }; })()`)
		where := fmt.Sprintf("%dx%d", vp.w, vp.h)
		for _, p := range row.Pills {
			switch {
			case (p.N == 20 || p.N == 21) && (!p.Shown || !p.Name || p.Squeezed || p.Left < row.Left-1 || p.Right > row.Right+1):
				t.Errorf("%s: pill %d (on stage or next) is not in the row with its name: %+v in %.0f–%.0f", where, p.N, p, row.Left, row.Right)
			case p.Shown && p.Right > row.Right+1:
				t.Errorf("%s: pill %d is cut off by the row's end", where, p.N)
			case p.N < 20 && p.Shown && !row.Pills[p.N].Shown && p.N+1 < 20:
				t.Errorf("%s: pill %d shows though pill %d, nearer the stage, left", where, p.N, p.N+1)
			}
		}
		stage.screenshot(shotDir(t), fmt.Sprintf("stage-long-round-%d", vp.h), vp)
	}
	stage.checkConsole()
}
