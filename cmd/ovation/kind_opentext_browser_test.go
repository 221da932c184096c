package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserOpenText runs an open-text question as an organiser would: the
// moderator creates it from the control page (pre-moderated by default)
// and opens it; four phones answer, two of them with hostile markup; the
// moderator approves three, rejects one and pins one on the control page;
// the stage shows the approved answers as cards, the pinned one first, then
// newest first, the markup as text, and never the rejected one; each phone
// says what became of its answer; phones upvote the others' answers, and
// the moderator switches the stage to the most upvoted first while the
// poll runs; the export holds every answer with its state and upvotes.
func TestBrowserOpenText(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "TEXT26")
	b := newBrowser(t)
	shots := shotDir(t)

	control := b.newTab("control", controlSize)
	control.expect("/api/session", 401)
	control.open(srv.URL + "/control#" + ev.Code)
	control.typeInto("#password", "correct horse")
	control.click(`#login-form button[type=submit]`)
	control.waitFor("console", `document.querySelector('#new-poll')`)
	control.click("#new-poll")
	control.typeInto("#f-question", "What will you try on Monday?")
	control.eval(`const k = document.querySelector('#f-kind'); k.value = 'opentext'; k.dispatchEvent(new Event('change', {bubbles: true}))`)
	control.waitFor("the open-text fields, pre-moderated", `!document.querySelector('[data-name="settings.moderation"]').hidden && document.querySelector('[data-name="choices"]').hidden
		&& document.getElementById('f-settings.moderation').value === 'pre' && document.getElementById('f-settings.moderation').selectedOptions[0].textContent.includes('answers')`)
	control.eval(`document.querySelector('#f-results').value = 'live'`)
	control.click(`#dlg-form button[type=submit]`)
	control.waitFor("poll card", `[...document.querySelectorAll('.poll-card h3')].some((h) => h.textContent === 'What will you try on Monday?')`)
	var model struct {
		Polls []struct {
			ID       int64
			Question string
			Kind     string
			Settings map[string]any
		}
	}
	must(t, srv.URL, "GET", "/api/events/"+ev.Code+"/model", nil, &model)
	var pollID int64
	for _, p := range model.Polls {
		if p.Question == "What will you try on Monday?" {
			pollID = p.ID
			if p.Kind != "opentext" || p.Settings["moderation"] != "pre" {
				t.Fatalf("poll as created: %+v", p)
			}
		}
	}
	if pollID == 0 {
		t.Fatalf("poll not in the model: %+v", model.Polls)
	}
	control.click(fmt.Sprintf("#poll-%d-toggle", pollID))
	card := fmt.Sprintf(`.card[data-target="poll:%d"]`, pollID)

	stage := b.newTab("stage", stageSize)
	stage.open(srv.URL + "/stage/" + ev.Code)
	stage.waitFor("poll on stage", `document.querySelector('#poll-view')`)

	const (
		small   = "Ship small, ship often"
		script  = `<script>window.pwned = 1</script> Pair on the hard parts`
		img     = `<img src=x onerror="window.pwned = 2"> Write the docs first`
		weekend = "Rewrite everything in one weekend"
	)
	answers := []string{small, script, img, weekend}
	phones := make([]phonePage, len(answers))
	for i, a := range answers {
		p := phonePage{b.newTab(fmt.Sprintf("phone %d", i), phoneSize), fmt.Sprint(i)}
		p.open(srv.URL + "/e/" + ev.Code)
		p.waitFor("join form", `document.querySelector('#join-form')`)
		p.click(`#join-form button[type=submit]`)
		p.waitFor("the text box", fmt.Sprintf(`document.querySelector('%s .ot-input') && !document.querySelector('%s .ot-input').disabled`, card, card))
		p.typeInto(card+" .ot-input", a)
		p.waitFor("the count", fmt.Sprintf(`document.querySelector('%s .ot-count').textContent === '%d / 280'`, card, len([]rune(a))))
		p.click(card + " .send-answer")
		p.waitFor("counted", fmt.Sprintf(`document.querySelector('%s .vote-status').dataset.status === 'counted' && document.querySelector('%s .send-answer').disabled`, card, card))
		phones[i] = p
	}

	// Pre-moderation: nothing on stage until approved; all four wait on the
	// control page, and each phone says its answer waits.
	mine := func(p phonePage, state string) {
		t.Helper()
		p.waitFor("its answer "+state, fmt.Sprintf(`document.querySelector('%s .ot-mine[data-state="%s"]') && !document.querySelector('%s .ot-mine').hidden`, card, state, card))
	}
	mine(phones[0], "pending")
	rows := fmt.Sprintf(`#poll-%d .ot-q-row`, pollID)
	control.waitFor("four answers pending", fmt.Sprintf(`document.querySelectorAll('%s[data-state="pending"]').length === 4`, rows))
	if n := jsEval[int](stage, `document.querySelectorAll('#stage-bars .ot-card').length`); n != 0 {
		t.Fatalf("%d cards on stage before any approval", n)
	}
	idOf := func(text string) string {
		t.Helper()
		return control.text(fmt.Sprintf(`[...document.querySelectorAll('%s')].find((r) => r.querySelector('.ot-q-text').textContent === %s).dataset.id`, rows, jsString(text)))
	}
	decide := func(text, action, state string) {
		t.Helper()
		id := idOf(text)
		row := fmt.Sprintf(`%s[data-id="%s"]`, rows, id)
		control.click(fmt.Sprintf(`%s button[data-role="%s"]`, row, action))
		control.waitFor(action+" "+text, fmt.Sprintf(`document.querySelector('%s') && document.querySelector('%s').dataset.state === '%s'`, row, row, state))
	}
	decide(small, "approve", "approved")
	decide(script, "approve", "approved")
	decide(img, "approve", "approved")
	decide(weekend, "reject", "rejected")
	decide(small, "pin", "approved")
	control.waitFor("the pin on the control page", fmt.Sprintf(`document.querySelector('%s[data-id="%s"]').classList.contains('pinned')`, rows, idOf(small)))

	// The stage: the pinned answer first, then the newest; the markup as text.
	cardsJS := `[...document.querySelectorAll('#stage-bars .ot-card')].map((c) => (c.classList.contains('pinned') ? '*' : '') + c.querySelector('.ot-text').textContent
		+ (c.dataset.upvotes !== '0' ? c.dataset.upvotes : '')).join('|')`
	stage.waitFor("the approved answers as cards", cardsJS+` === `+jsString("*"+small+"|"+img+"|"+script))
	if got := stage.text(`String(window.pwned) + ' ' + document.querySelectorAll('#stage-bars script, #stage-bars img').length`); got != "undefined 0" {
		t.Errorf("hostile text ran or became markup on the stage: %s", got)
	}
	if strings.Contains(stage.text(`document.body.textContent`), weekend) {
		t.Errorf("the rejected answer shows on the stage")
	}
	phones[1].waitFor("the approved answers on the phone", fmt.Sprintf(`[...document.querySelectorAll('%s .ot-entry')].map((c) => c.querySelector('.ot-text').textContent).join('|') === %s`, card, jsString(small+"|"+img+"|"+script)))
	if got := phones[1].text(`String(window.pwned)`); got != "undefined" {
		t.Errorf("hostile text ran on the phone: %s", got)
	}
	mine(phones[0], "approved")
	phones[3].do("reload", chromedp.Reload())
	mine(phones[3], "rejected")

	// Upvotes: nobody upvotes their own answer; the stage shows the counts.
	up := func(p phonePage, text string) {
		t.Helper()
		btn := fmt.Sprintf(`[...document.querySelectorAll('%s .ot-entry')].find((c) => c.querySelector('.ot-text').textContent === %s).querySelector('.upvote')`, card, jsString(text))
		p.waitFor("the upvote button of "+text, btn+` && !`+btn+`.disabled && !`+btn+`.hidden`)
		p.eval(btn + `.click()`)
		p.waitFor("upvoted "+text, btn+`.getAttribute('aria-pressed') === 'true'`)
	}
	own := fmt.Sprintf(`[...document.querySelectorAll('%s .ot-entry')].find((c) => c.querySelector('.ot-text').textContent === %s)`, card, jsString(script))
	phones[1].waitFor("its own answer marked, without a button", own+`.classList.contains('own') && `+own+`.querySelector('.upvote').hidden && !!`+own+`.querySelector('.ot-own')`)
	up(phones[0], script)
	up(phones[2], script)
	up(phones[1], img)
	countsJS := `[...document.querySelectorAll('#stage-bars .ot-card')].map((c) => c.dataset.upvotes).join(',')`
	stage.waitFor("the upvotes on the stage", countsJS+` === '0,1,2'`)
	control.eval(fmt.Sprintf(`const s = document.querySelector('#poll-%d .ot-q-pick[data-setting="order"]'); s.value = 'top'; s.dispatchEvent(new Event('change'))`, pollID))
	stage.waitFor("the most upvoted first, after the pinned one", cardsJS+` === `+jsString("*"+small+"|"+script+"2|"+img+"1"))
	phones[1].do("reload", chromedp.Reload())
	phones[1].waitFor("its upvote remembered after a reload", fmt.Sprintf(`[...document.querySelectorAll('%s .ot-entry')].find((c) => c.querySelector('.ot-text').textContent === %s)?.querySelector('.upvote').getAttribute('aria-pressed') === 'true'`, card, jsString(img)))

	phones[1].eval(fmt.Sprintf(`document.querySelector('%s .results-block').scrollIntoView({block: 'center'})`, card))
	phones[1].screenshot(shots, "audience-opentext", phoneSize)
	stage.screenshot(shots, "stage-opentext", stageSize)
	control.eval(fmt.Sprintf(`document.querySelector('#poll-%d').scrollIntoView({block: 'start'})`, pollID))
	// Each answer's time on the 24-hour clock, as every other time of the control page.
	control.waitFor("the answers' times", fmt.Sprintf(`(() => { const m = [...document.querySelectorAll('#poll-%d .entry-meta .muted')].map((e) => e.textContent);
  return m.length > 0 && m.every((x) => /^\d\d:\d\d:\d\d · /.test(x)); })()`, pollID))
	control.screenshot(shots, "control-opentext", controlSize)

	// The export holds every answer, with its state and pin.
	var res struct {
		Polls []struct {
			Poll    struct{ ID int64 }
			Answers []struct {
				ID, Text, State, At string
				Pinned              bool
				Upvotes             int
			}
		}
	}
	must(t, srv.URL, "GET", "/api/events/"+ev.Code+"/results", nil, &res)
	var got []string
	for _, p := range res.Polls {
		if p.Poll.ID == pollID {
			for _, a := range p.Answers {
				got = append(got, fmt.Sprintf("%s:%s:%v:%d", a.Text, a.State, a.Pinned, a.Upvotes))
				if a.At == "" || len(a.ID) != 16 {
					t.Errorf("exported answer %+v", a)
				}
			}
		}
	}
	if w := []string{small + ":approved:true:0", script + ":approved:false:2", img + ":approved:false:1", weekend + ":rejected:false:0"}; strings.Join(got, "|") != strings.Join(w, "|") {
		t.Errorf("JSON export answers %q, want %q", got, w)
	}
	csv := jsEval[string](control, `fetch(document.querySelector('#export-csv').href).then((r) => r.text())`)
	for _, line := range []string{`"approved, pinned, `, ": " + small + `",,1,`, `"approved, 2 upvotes, `, `"rejected, `, ": " + weekend + `",,1,`, ",respondents,,4,"} {
		if !strings.Contains(csv, line) {
			t.Errorf("CSV export lacks %q:\n%s", line, csv)
		}
	}
	for _, tb := range []*tab{stage, control, phones[0].tab, phones[1].tab, phones[2].tab, phones[3].tab} {
		tb.checkConsole()
	}
}
