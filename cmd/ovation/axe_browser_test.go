package main

// The accessibility test: axe-core (a pinned copy, testdata/axe) runs
// inside the pages, one browser visiting every page and state in turn, and
// any violation of WCAG 2.2 A and AA, or of axe's best practices, fails
// the test. docs/accessibility.md says what this checks and what was
// checked by hand.

import (
	_ "embed"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// axeSource is axe-core's axe.min.js, unchanged (testdata/axe/README.md).
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// axeVersion is the version of axeSource; the test checks it, so that a
// fixture replaced without updating its notes fails.
const axeVersion = "4.14.1"

// axeRunJS runs axe on the document with the WCAG 2.0, 2.1 and 2.2 A and AA
// rules and the best practices, and lists each violation with the first
// elements it found. Frames are left out: the control page's stage preview
// is the stage, checked on its own.
const axeRunJS = `(async () => {
  const r = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa', 'best-practice']},
    resultTypes: ['violations'], iframes: false,
  });
  return r.violations.map((v) => v.id + ' (' + v.impact + '): ' + v.help + ' — ' + v.nodes.slice(0, 5).map((n) =>
    n.target.join(' ') + ' [' + (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 200) + ']').join('; ') +
    (v.nodes.length > 5 ? ' and ' + (v.nodes.length - 5) + ' more' : ''));
})()`

// checkAxe runs axe-core in the page once its transitions are over and
// fails the test for each violation, naming the page's state.
func (tb *tab) checkAxe(state string) {
	tb.t.Helper()
	tb.settled()
	if jsEval[bool](tb, `typeof axe === 'undefined'`) {
		tb.eval(axeSource + "\n;undefined")
		if v := tb.text(`axe.version`); v != axeVersion {
			tb.t.Fatalf("axe-core fixture is version %s, want %s", v, axeVersion)
		}
	}
	for _, v := range jsEval[[]string](tb, axeRunJS) {
		tb.t.Errorf("%s, %s: axe: %s", tb.name, state, v)
	}
}

// TestBrowserAxe visits every page in each of its states, each question
// kind on the phone and each view of the stage, and checks that axe-core
// finds nothing.
func TestBrowserAxe(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "AXE26")
	base, code := srv.URL, ev.Code
	poll := func(body map[string]any) int64 {
		t.Helper()
		var p struct{ ID int64 }
		body["room_id"] = ev.RoomID
		if _, ok := body["results"]; !ok {
			body["results"] = "live"
		}
		must(t, base, "POST", "/api/events/"+code+"/polls", body, &p)
		return p.ID
	}
	action := func(path string) { t.Helper(); must(t, base, "POST", path, nil, nil) }
	kinds := []struct {
		kind string
		id   int64
	}{
		{"choices", ev.PollID},
		{"multiple", poll(map[string]any{"question": "What worked best today?", "kind": "multiple", "choices": []string{"Talks", "Food", "Venue"}, "settings": map[string]any{"max_picks": 2}})},
		{"scale", poll(map[string]any{"question": "How was the evening?", "kind": "scale", "scale_max": 7})},
		{"ranking", poll(map[string]any{"question": "What matters most?", "kind": "ranking", "choices": []string{"Talks", "Food", "Venue"}})},
		{"wordcloud", poll(map[string]any{"question": "One word for today?", "kind": "wordcloud", "settings": map[string]any{"max_words": 3, "moderation": "post"}})},
		{"opentext", poll(map[string]any{"question": "What will you try on Monday?", "kind": "opentext", "settings": map[string]any{"moderation": "post"}})},
		{"grid", poll(map[string]any{"question": "Rate the parts of the evening", "kind": "grid", "choices": []string{"Talks", "Food", "Venue"}, "scale_max": 5,
			"settings": map[string]any{"low": "Poor", "high": "Great"}})},
	}
	var quiz struct{ ID int64 }
	must(t, base, "POST", "/api/events/"+code+"/quizzes", map[string]any{"room_id": ev.RoomID, "title": "Pub quiz"}, &quiz)
	var question struct{ ID int64 }
	must(t, base, "POST", "/api/events/"+code+"/polls", map[string]any{"quiz_id": quiz.ID, "question": "Capital of Peru?", "kind": "quiz",
		"choices": []string{"Lima", "Quito", "Cusco"}, "correct": []int{1}, "settings": map[string]any{"time_limit_s": 300}}, &question)
	board := createBoard(t, base, code, map[string]any{"title": "Questions for the jury", "room_id": ev.RoomID, "moderation": "post", "open": true})
	var hook struct{ Token string }
	must(t, base, "POST", "/api/events/"+code+"/feed/webhook-token", nil, &hook)

	b := newBrowser(t)

	// The home page, the join form, and the phone waiting.
	phone := b.newTab("phone", phoneSize)
	phone.open(base + "/")
	phone.waitFor("home", has("#code"))
	phone.checkAxe("home")
	phone.open(base + "/e/" + code)
	phone.waitFor("join form", has("#join-form"))
	phone.checkAxe("join form")
	phone.click(`#join-form button[type=submit]`)
	phone.waitFor("joined", has("#whoami"))
	phone.checkAxe("waiting")

	stage := b.newTab("stage", stageSize)
	stage.open(base + "/stage/" + code)
	stage.waitFor("lobby", `document.body.dataset.view === 'lobby'`)
	stage.checkAxe("lobby")

	control := b.newTab("control", controlSize)
	control.open(base + "/control#" + code)
	control.waitFor("login form", `!document.querySelector('#login-view').hidden`)
	control.checkAxe("login")
	control.typeInto("#password", "correct horse")
	control.click(`#login-form button[type=submit]`)
	control.waitFor("console", has("#board-panel .card-head")+" && "+has("#new-poll"))
	control.checkAxe("console")

	// A pitch taking votes, then voted.
	action(fmt.Sprintf("/api/rounds/%d/actions/start", ev.RoundID))
	action(fmt.Sprintf("/api/pitches/%d/actions/open", ev.Pitches[0]))
	pitch := fmt.Sprintf("pitch:%d", ev.Pitches[0])
	phone.waitFor("pitch card", has(fmt.Sprintf(`.card[data-target=%q] button[data-v="1"]`, pitch)))
	phone.checkAxe("pitch open")
	t.Run("arrow keys move within the keypad, Space votes", func(t *testing.T) {
		keys := fmt.Sprintf(`.card[data-target=%q] [role=radiogroup] [role=radio]`, pitch)
		focused := func() string {
			return phone.text(`document.activeElement.matches(` + jsString(keys) + `) ? document.activeElement.dataset.v : 'none'`)
		}
		press := func(k string) { t.Helper(); phone.do("press "+k, chromedp.KeyEvent(k)) }
		if n := jsEval[int](phone, `document.querySelectorAll(`+jsString(keys)+`).length`); n != 5 {
			t.Fatalf("the pitch's keypad has %d radios, want 5", n)
		}
		// Tab stops once in the group: on its first key while none is checked.
		if got := phone.text(`[...document.querySelectorAll(` + jsString(keys) + `)].map((k) => k.tabIndex).join()`); got != "0,-1,-1,-1,-1" {
			t.Errorf("tab order of the keys = %s, want 0,-1,-1,-1,-1", got)
		}
		phone.eval(`document.querySelector(` + jsString(keys) + `).focus()`)
		for _, step := range []struct{ key, want string }{
			{kb.ArrowRight, "2"}, {kb.ArrowDown, "3"}, {kb.ArrowLeft, "2"}, {kb.ArrowUp, "1"},
			{kb.ArrowLeft, "5"}, {kb.ArrowRight, "1"}, {kb.End, "5"}, {kb.Home, "1"}, {kb.ArrowRight, "2"},
		} {
			press(step.key)
			if got := focused(); got != step.want {
				t.Fatalf("after %q the focus is on key %s, want %s", step.key, got, step.want)
			}
		}
		// Moving votes nothing; Space votes for the key focused.
		if got := phone.text(`document.querySelector(` + jsString(keys+`[aria-checked="true"]`) + `)?.dataset.v || 'none'`); got != "none" {
			t.Errorf("moving with the arrows checked key %s", got)
		}
		press(" ")
		phone.waitFor("key 2 voted and checked", fmt.Sprintf(`document.querySelector('.card[data-target=%q] .vote-status').dataset.status === 'counted' && document.querySelector(%s).getAttribute('aria-checked') === 'true'`,
			pitch, jsString(keys+`[data-v="2"]`)))
		if got := phone.text(`[...document.querySelectorAll(` + jsString(keys) + `)].map((k) => k.tabIndex).join()`); got != "-1,0,-1,-1,-1" {
			t.Errorf("tab order of the keys after the vote = %s, want -1,0,-1,-1,-1 (the checked key)", got)
		}
		// Enter changes the vote too.
		press(kb.ArrowRight)
		press(kb.Enter)
		phone.waitFor("key 3 voted", fmt.Sprintf(`document.querySelector(%s).getAttribute('aria-checked') === 'true' && document.querySelector('.card[data-target=%q] .vote-status').dataset.status === 'changed'`,
			jsString(keys+`[data-v="3"]`), pitch))
	})
	phonePage{phone, "phone"}.vote(pitch, 4, "changed")
	phone.checkAxe("pitch voted")
	stage.waitFor("pitch", `document.body.dataset.view === 'pitch'`)
	stage.checkAxe("pitch")
	control.checkAxe("console, pitch live")
	// The shortcuts' list, where the single-key shortcuts are turned off (WCAG 2.1.4).
	control.click("#help-btn")
	control.waitFor("shortcuts dialog", has("#help-dialog[open] #shortcuts-on:checked"))
	control.checkAxe("shortcuts dialog")
	control.click("#shortcuts-on")
	control.waitFor("single-key shortcuts off", `localStorage.getItem('ovation.shortcuts') === 'off'`)
	control.click("#help-dialog .form-actions button")
	// S (start the round, which runs already) answers "Not available now."
	// when the shortcuts are on, nothing when off; "?" comes after it.
	control.eval(`document.querySelector('#toast').hidden = true`)
	control.key("s")
	control.key("?")
	control.waitFor("the list again, shortcuts still off", has("#help-dialog[open] #shortcuts-on:not(:checked)")+` && document.querySelector('#toast').hidden`)
	control.click("#shortcuts-on")
	control.click("#help-dialog .form-actions button")
	control.key("s")
	control.waitFor("shortcuts on again", `!document.querySelector('#toast').hidden && document.querySelector('#toast').textContent === 'Not available now.'`)
	action(fmt.Sprintf("/api/pitches/%d/actions/show_results", ev.Pitches[0]))
	stage.waitFor("the pitch's results", has("#pitch-view .hist .col"))
	stage.checkAxe("pitch results")
	phone.waitFor("the pitch's results on the phone", has(fmt.Sprintf(`.card[data-target=%q] .results-block:not([hidden])`, pitch)))
	phone.checkAxe("pitch results")
	action(fmt.Sprintf("/api/pitches/%d/actions/close", ev.Pitches[0]))

	// The phone without network, and the stage sent to its lobby and blanked.
	phone.setOffline(true)
	phone.setNetwork(true)
	phone.waitFor("no network", `!document.querySelector('#banner').hidden && document.querySelector('#banner').dataset.down === 'network'`)
	phone.checkAxe("no network")
	phone.setNetwork(false)
	phone.waitFor("back online", `document.querySelector('#banner').hidden`)
	phone.setOffline(false)
	for _, screen := range []string{"lobby", "blank", "current"} {
		must(t, base, "PUT", fmt.Sprintf("/api/rooms/%d/screen", ev.RoomID), map[string]any{"screen": screen}, nil)
		view := map[string]string{"lobby": `=== 'lobby'`, "blank": `=== 'blank'`, "current": `=== 'pitch'`}[screen]
		stage.waitFor("screen "+screen, `document.body.dataset.view `+view)
		stage.checkAxe("screen " + screen)
	}

	// Each kind of question, open then closed with its results.
	for _, k := range kinds {
		target := fmt.Sprintf("poll:%d", k.id)
		card := fmt.Sprintf(`.card[data-target=%q]`, target)
		action(fmt.Sprintf("/api/polls/%d/actions/open", k.id))
		phone.waitFor(k.kind+" open", has(card)+` && !`+has(card+" .prompt.closed"))
		phone.checkAxe(k.kind + " open")
		if k.kind == "choices" {
			phonePage{phone, "phone"}.vote(target, 1, "counted")
			phone.checkAxe(k.kind + " voted")
			// The result is announced politely, in one short sentence.
			phone.waitFor("the result announced", `document.querySelector('#announcer[aria-live="polite"]')?.textContent === `+
				jsString("Results, Which idea should win the public prize?: A · Solaris: 1 vote, 100 %. 1 vote"))
		}
		stage.waitFor(k.kind+" on stage", `document.body.dataset.view === 'poll'`)
		stage.checkAxe(k.kind + " results")
		action(fmt.Sprintf("/api/polls/%d/actions/close", k.id))
		phone.waitFor(k.kind+" closed", has(card+" .prompt.closed"))
		phone.checkAxe(k.kind + " closed")
	}

	// The quiz: a question, its answer revealed, the leaderboard, the podium.
	action(fmt.Sprintf("/api/quizzes/%d/actions/start", quiz.ID))
	phone.waitFor("quiz question", has(fmt.Sprintf("#quiz-clock-%d", question.ID)))
	phone.checkAxe("quiz question")
	phone.click(fmt.Sprintf(`.card[data-target="poll:%d"] [role=radio][data-v="1"]`, question.ID))
	phone.waitFor("quiz answered", fmt.Sprintf(`document.querySelector('.card[data-target="poll:%d"] [role=radio][data-v="1"]').getAttribute('aria-checked') === 'true'`, question.ID))
	phone.checkAxe("quiz answered")
	stage.waitFor("quiz on stage", `document.body.dataset.view === 'quiz'`)
	stage.checkAxe("quiz question")
	for _, phase := range []string{"reveal", "leaderboard", "podium"} {
		action(fmt.Sprintf("/api/quizzes/%d/actions/%s", quiz.ID, phase))
		stage.waitFor("quiz "+phase, fmt.Sprintf(`document.querySelector('[data-phase]')?.dataset.phase === %q`, phase))
		stage.checkAxe("quiz " + phase)
		phone.checkAxe("quiz " + phase)
	}
	action(fmt.Sprintf("/api/quizzes/%d/actions/finish", quiz.ID))

	// The round's ranking and podium.
	action(fmt.Sprintf("/api/rounds/%d/actions/finish", ev.RoundID))
	action(fmt.Sprintf("/api/rounds/%d/actions/reveal", ev.RoundID))
	stage.waitFor("ranking", has("#ranking-view"))
	stage.checkAxe("ranking")
	phone.waitFor("ranking on the phone", has(".ranking-card"))
	phone.checkAxe("ranking")

	// The board and the feed: on the phone's tabs, the stage's ticker,
	// board and wall views.
	var it struct{ ID int64 }
	if st := call(t, base, "POST", "/api/events/"+code+"/feed/webhook", hook.Token, map[string]any{
		"id": "axe-1", "author": "ada", "author_name": "Ada", "text": "Great talks tonight 👏"}, &it); st != 201 {
		t.Fatalf("webhook: status %d", st)
	}
	action(fmt.Sprintf("/api/events/%s/feed/items/%d/actions/approve", code, it.ID))
	submitEntry(phone, board, "", "How do you break ties?")
	phone.checkAxe("questions tab")
	phone.click("#tab-feed")
	phone.waitFor("feed", has("#feed .post"))
	phone.checkAxe("feed tab")
	stage.waitFor("ticker", `document.body.classList.contains('has-ticker')`)
	stage.checkAxe("ticker")
	for _, view := range []string{"board", "wall", "overlay"} {
		stage.open(base + "/stage/" + code + "?view=" + view)
		stage.waitFor(view, has(map[string]string{"board": "#board-view", "wall": "#wall-view", "overlay": "#overlay"}[view]))
		stage.checkAxe("view " + view)
		if view == "board" { // an entry on stage: "now answering"
			var entries []struct{ ID int64 }
			if st := call(t, base, "GET", fmt.Sprintf("/api/events/%s/boards/%d/entries", code, board), "", nil, &entries); st != 200 {
				t.Fatalf("board entries: status %d", st)
			}
			if len(entries) != 1 {
				t.Fatalf("board entries: %+v", entries)
			}
			must(t, base, "POST", fmt.Sprintf("/api/events/%s/boards/%d/highlight", code, board), map[string]any{"entry_id": entries[0].ID}, nil)
			stage.waitFor("now answering", has("#highlight-view"))
			stage.checkAxe("highlight")
			must(t, base, "POST", fmt.Sprintf("/api/events/%s/boards/%d/highlight", code, board), map[string]any{"entry_id": 0}, nil)
		}
	}

	// The programme's Now / Next, and a survey answered at the phone's own
	// pace (its entry, a rating grid, its closing screen); their sections
	// on the control page.
	now := time.Now().UTC().Truncate(time.Minute)
	must(t, base, "POST", "/api/events/"+code+"/programme/sessions", map[string]any{"title": "Opening keynote", "room_id": ev.RoomID,
		"speakers": []map[string]string{{"name": "Ada Lovelace"}}, "start": now.Add(-10 * time.Minute), "end": now.Add(40 * time.Minute)}, nil)
	var survey struct{ ID int64 }
	must(t, base, "POST", "/api/events/"+code+"/surveys", map[string]any{"room_id": ev.RoomID, "title": "Your evening", "thanks": "Thank you!"}, &survey)
	must(t, base, "POST", "/api/events/"+code+"/polls", map[string]any{"survey_id": survey.ID, "question": "Rate the evening", "kind": "grid",
		"choices": []string{"Talks", "Food"}, "scale_max": 5, "required": true}, nil)
	must(t, base, "POST", fmt.Sprintf("/api/surveys/%d/actions/open", survey.ID), nil, nil)
	phone.click("#tab-vote")
	phone.waitFor("programme and survey", has("#programme-card:not([hidden])")+" && "+has(".survey-card .survey-start"))
	phone.checkAxe("programme and survey offered")
	phone.click(".survey-card .survey-start")
	phone.waitFor("the survey's grid", has(`.survey-card[data-mode=q] .grid-item [role=radiogroup] [role=radio]`))
	phone.checkAxe("survey, rating grid")
	phone.click(`.survey-card .grid-item[data-statement="1"] .grid-key[data-v="4"]`)
	phone.click(`.survey-card .grid-item[data-statement="2"] .grid-skip`)
	phone.waitFor("the grid's row checked", `document.querySelector('.survey-card .grid-item[data-statement="2"] .grid-skip').getAttribute('aria-checked') === 'true'`)
	phone.checkAxe("survey, grid answered")
	control.waitFor("surveys and programme on the control page", has("#surveys .card")+" && "+has("#fb-sessions tbody tr"))
	control.checkAxe("console, programme and surveys")

	// The control page's other views: a dialog, the Team page, the account.
	control.click("#new-poll")
	control.waitFor("poll dialog", has("dialog[open] #f-question"))
	control.checkAxe("new poll dialog")
	control.key("Escape")
	control.open(base + "/control#~team")
	control.waitFor("team page", has("#account-form")+" && "+has("#team-table"))
	control.checkAxe("team page")
	control.open(base + "/control#~account")
	control.waitFor("account page", `!document.querySelector('#account-view').hidden && document.querySelector('#account-view').children.length > 0`)
	control.checkAxe("account page")
	// The event's report, the page the control links to (it needs the
	// control's session, so it opens in the same tab).
	control.open(base + "/control#" + code)
	control.waitFor("report link", `document.querySelector('#report-link')?.getAttribute('href')?.includes('/report?lang=')`)
	control.open(control.text(`document.querySelector('#report-link').href`))
	control.waitFor("report", has("#participation .figures"))
	control.checkAxe("event report")

	// The audience page framed in a web-TV page's place: its embedded form.
	phone.open(base + "/e/" + code + "?embed=1")
	phone.waitFor("embedded", `document.documentElement.classList.contains('embed') && !!document.querySelector('#whoami')`)
	phone.checkAxe("embedded audience page")

	moments := b.newTab("moments", controlSize)
	moments.open(base + "/moments/" + code)
	moments.waitFor("moments", `document.readyState === 'complete'`)
	moments.checkAxe("moments")

	for _, tb := range []*tab{phone, stage, control, moments} {
		tb.checkConsole()
	}
}
