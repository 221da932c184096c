package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserRanking runs a ranking question as an organiser would: the
// moderator creates it from the control page (three items) and opens it;
// three phones order the items and send: one drags a row by its handle,
// one uses the up and down buttons (and changes its answer), one taps the
// items in order on a 320 px phone; the stage shows the items in Borda
// order with their points, the phones the same list; the export holds one
// row per item with its points, and the respondents.
func TestBrowserRanking(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "RANK26")
	b := newBrowser(t)
	shots := shotDir(t)

	control := b.newTab("control", controlSize)
	control.open(srv.URL + "/control#" + ev.Code)
	control.typeInto("#password", "correct horse")
	control.click(`#login-form button[type=submit]`)
	control.waitFor("console", `document.querySelector('#new-poll')`)
	control.click("#new-poll")
	control.typeInto("#f-question", "What should we keep next year?")
	control.eval(`const k = document.querySelector('#f-kind'); k.value = 'ranking'; k.dispatchEvent(new Event('change', {bubbles: true}))`)
	control.waitFor("the ranking's fields", `!document.querySelector('[data-name="choices"]').hidden && document.querySelector('[data-name="settings.max_picks"]').hidden`)
	control.typeInto("#f-choices", "Talks\nFood\nVenue")
	control.eval(`document.querySelector('#f-results').value = 'live'`)
	control.click(`#dlg-form button[type=submit]`)
	control.waitFor("poll card", `[...document.querySelectorAll('.poll-card h3')].some((h) => h.textContent === 'What should we keep next year?')`)
	var model struct {
		Polls []struct {
			ID       int64
			Question string
			Kind     string
			Choices  []string
		}
	}
	must(t, srv.URL, "GET", "/api/events/"+ev.Code+"/model", nil, &model)
	var pollID int64
	for _, p := range model.Polls {
		if p.Question == "What should we keep next year?" {
			if p.Kind != "ranking" || strings.Join(p.Choices, ",") != "Talks,Food,Venue" {
				t.Fatalf("poll as created: %+v", p)
			}
			pollID = p.ID
		}
	}
	if pollID == 0 {
		t.Fatalf("poll not in the model: %+v", model.Polls)
	}
	control.click(fmt.Sprintf("#poll-%d-toggle", pollID))
	target := fmt.Sprintf("poll:%d", pollID)
	card := fmt.Sprintf(`.card[data-target=%q]`, target)

	stage := b.newTab("stage", stageSize)
	stage.open(srv.URL + "/stage/" + ev.Code)
	stage.waitFor("poll on stage", `document.querySelector('#poll-view')`)

	newPhone := func(i int, vp viewport) phonePage {
		p := phonePage{b.newTab(fmt.Sprintf("phone %d", i), vp), fmt.Sprint(i)}
		p.open(srv.URL + "/e/" + ev.Code)
		p.waitFor("join form", `document.querySelector('#join-form')`)
		p.click(`#join-form button[type=submit]`)
		p.waitFor("the ranking open", fmt.Sprintf(`document.querySelector('%s .rank-input') && !document.querySelector('%s .rank-up[aria-label="Move Venue up"], %s .rank-key').disabled`, card, card, card))
		return p
	}
	// listOrder is the phone's list, top to bottom, as item numbers.
	listOrder := func(p phonePage) string {
		return p.text(fmt.Sprintf(`[...document.querySelectorAll('%s .rank-item')].map((li) => li.dataset.v).join(',')`, card))
	}
	send := func(p phonePage, status string) {
		t.Helper()
		p.click(card + " .send-answer")
		p.waitFor("answer "+status, fmt.Sprintf(`document.querySelector('%s .vote-status').dataset.status === %q`, card, status))
	}
	upDown := func(p phonePage, dir, item string) {
		t.Helper()
		// Rows move smoothly: a button is clicked where it stands, once the last move ended.
		p.waitFor("the rows in place", fmt.Sprintf(`[...document.querySelectorAll('%s .rank-item')].every((li) => !li.getAnimations().length)`, card))
		p.click(fmt.Sprintf(`%s .rank-%s[aria-label="Move %s %s"]`, card, dir, item, dir))
	}

	// Phone 0 drags Talks by its handle below Venue: Food, Venue, Talks.
	p0 := newPhone(0, phoneSize)
	if got := listOrder(p0); got != "1,2,3" {
		t.Fatalf("the list starts as %s, want the defined order", got)
	}
	p0.do("drag Talks to the bottom", chromedp.DragAndDrop(chromedp.CSS(card+` .rank-item[data-v="1"] .rank-handle`), chromedp.CSS(card+` .rank-item[data-v="3"]`)))
	p0.waitFor("Talks dragged to the bottom", fmt.Sprintf(`[...document.querySelectorAll('%s .rank-item')].map((li) => li.dataset.v).join(',') === '2,3,1'`, card))
	send(p0, "counted")

	// Phone 1 uses the buttons: Venue, Food, Talks; then changes to Talks, Food, Venue.
	p1 := newPhone(1, phoneSize)
	upDown(p1, "up", "Venue")
	upDown(p1, "up", "Venue")
	upDown(p1, "down", "Talks")
	if got := listOrder(p1); got != "3,2,1" {
		t.Fatalf("after the buttons the list is %s, want 3,2,1", got)
	}
	if got := p1.text(`document.activeElement.getAttribute('aria-label') + ' | ' + document.querySelector('` + card + ` [role=status].sr-only').textContent`); got != "Move Talks up | Talks: now 3 of 3" {
		t.Errorf("focus and announcement after a move: %q", got)
	}
	send(p1, "counted")
	upDown(p1, "down", "Venue")
	upDown(p1, "down", "Venue")
	upDown(p1, "down", "Food")
	send(p1, "changed")

	// Phone 2, 320 px wide, taps in order: Food, Venue, Talks.
	p2 := newPhone(2, phone320)
	p2.waitFor("tap mode on a small phone", fmt.Sprintf(`document.querySelector('%s .rank-input').dataset.mode === 'tap'`, card))
	for _, v := range []int{2, 3} {
		p2.click(fmt.Sprintf(`%s .rank-key[data-v="%d"]`, card, v))
	}
	p2.waitFor("send waits for every item", fmt.Sprintf(`document.querySelector('%s .send-answer').disabled && document.querySelector('%s .rank-key[data-v="3"]').getAttribute('aria-label') === 'Venue: place 2'`, card, card))
	p2.click(fmt.Sprintf(`%s .rank-key[data-v="1"]`, card))
	p2.screenshot(shots, "audience-kind-ranking-tap-320", phone320)
	send(p2, "counted")

	// Food 1+2+2 = 5 points; Talks 0+2+0 = 2 and Venue 1+0+1 = 2, Talks ahead by its first place.
	rows := `[...document.querySelectorAll('%s .rank-row')].map((r) => r.dataset.item + ':' + r.dataset.points).join(',')`
	stage.waitFor("Borda order on stage", fmt.Sprintf(rows, "#stage-bars")+` === '2:5,1:2,3:2'`)
	stage.waitFor("the rows in place", `[...document.querySelectorAll('#stage-bars .rank-row')].every((r) => !r.getAnimations().length)`)
	if got := stage.text(`[...document.querySelectorAll('#stage-bars .rank-row')].map((r) => r.querySelector('.label').textContent + ' ' + r.querySelector('.value').textContent).join('|')`); got != "1.  Food 5 pts|2.  Talks 2 pts|3.  Venue 2 pts" {
		t.Errorf("stage shows %q", got)
	}
	if got := stage.text(`(() => { const r = [...document.querySelectorAll('#stage-bars .rank-row')].map((r) => r.getBoundingClientRect().top); return String(r[0] < r[1] && r[1] < r[2]); })()`); got != "true" {
		t.Errorf("stage rows are not laid out top to bottom in order")
	}
	p0.waitFor("the phone's results", fmt.Sprintf(rows, card+" .results-block")+` === '2:5,1:2,3:2'`)
	p0.waitFor("the phone's rows in place", fmt.Sprintf(`[...document.querySelectorAll('%s .rank-row')].every((r) => !r.getAnimations().length)`, card))
	// The phone's list and its results together: the results' end just above the section bar.
	p0.eval(fmt.Sprintf(`(() => { const r = document.querySelector('%s .results-block').getBoundingClientRect(); scrollBy(0, r.bottom - innerHeight + 90); })()`, card))
	p0.screenshot(shots, "audience-kind-ranking", phoneSize)
	stage.screenshot(shots, "stage-kind-ranking", stageSize)
	control.waitFor("the live result on the control page", fmt.Sprintf(rows, fmt.Sprintf("#poll-%d", pollID))+` === '2:5,1:2,3:2'`)
	control.eval(fmt.Sprintf(`document.querySelector('#poll-%d').scrollIntoView({block: 'center'})`, pollID))
	control.screenshot(shots, "control-kind-ranking", controlSize)
	if got := control.text(fmt.Sprintf(`document.querySelector('#poll-%d .rank-row .rank-more').textContent`, pollID)); got != "2 first places · mean position 1.33" {
		t.Errorf("control details %q", got)
	}

	csv := jsEval[string](control, `fetch(document.querySelector('#export-csv').href).then((r) => r.text())`)
	for _, row := range []string{"poll,What should we keep next year?,,1. Food,,5,,0,,", "poll,What should we keep next year?,,2. Talks,,2,,0,,",
		"poll,What should we keep next year?,,3. Venue,,2,,0,,", "poll,What should we keep next year?,,respondents,,3,,0,,"} {
		if !strings.Contains(csv, row) {
			t.Errorf("CSV export lacks %q:\n%s", row, csv)
		}
	}
	// A reload shows the phone's answer (from my_votes), already sent.
	p1.open(srv.URL + "/e/" + ev.Code)
	p1.waitFor("answer kept after a reload", fmt.Sprintf(`document.querySelector('%s .rank-item') && [...document.querySelectorAll('%s .rank-item')].map((li) => li.dataset.v).join(',') === '1,2,3' && document.querySelector('%s .send-answer').disabled`, card, card, card))
	for _, tb := range []*tab{stage, control, p0.tab, p1.tab, p2.tab} {
		tb.checkConsole()
	}
}
