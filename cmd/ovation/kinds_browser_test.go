package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestBrowserMultipleChoice runs a multiple-choice question as an
// organiser would: the moderator creates it from the control page (up to
// two of three choices) and opens it; three phones tick and send (one
// changes its answer, one cannot tick a third choice); the stage shows each
// choice's share of the respondents; the export holds one row per choice
// and the respondents.
func TestBrowserMultipleChoice(t *testing.T) {
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "MULTI26")
	b := newBrowser(t)
	shots := shotDir(t)

	control := b.newTab("control", controlSize)
	control.open(srv.URL + "/control#" + ev.Code)
	control.typeInto("#password", "correct horse")
	control.click(`#login-form button[type=submit]`)
	control.waitFor("console", `document.querySelector('#new-poll')`)
	control.click("#new-poll")
	control.typeInto("#f-question", "What worked best today?")
	control.eval(`const k = document.querySelector('#f-kind'); k.value = 'multiple'; k.dispatchEvent(new Event('change', {bubbles: true}))`)
	control.waitFor("the kind's fields", `!document.querySelector('[data-name="settings.max_picks"]').hidden && document.querySelector('[data-name="scale_max"]').hidden`)
	control.typeInto("#f-choices", "Talks\nFood\nVenue")
	control.eval(`document.getElementById('f-settings.max_picks').value = '2'; document.querySelector('#f-show_results').checked = true`)
	control.click(`#dlg-form button[type=submit]`)
	control.waitFor("poll card", `[...document.querySelectorAll('.poll-card h3')].some((h) => h.textContent === 'What worked best today?')`)
	var model struct {
		Polls []struct {
			ID       int64
			Question string
			Kind     string
			Settings struct {
				MaxPicks int `json:"max_picks"`
			}
		}
	}
	must(t, srv.URL, "GET", "/api/events/"+ev.Code+"/model", nil, &model)
	var pollID int64
	for _, p := range model.Polls {
		if p.Question == "What worked best today?" {
			if p.Kind != "multiple" || p.Settings.MaxPicks != 2 {
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

	// tickAndSend ticks the choices (1 = A), sends, and waits for "counted".
	tickAndSend := func(p phonePage, status string, choices ...int) {
		t.Helper()
		p.waitFor("choices open", fmt.Sprintf(`document.querySelector('%s button[data-v="1"]') && !document.querySelector('%s button[data-v="1"]').disabled`, card, card))
		for _, v := range choices {
			p.click(fmt.Sprintf(`%s button[data-v="%d"]`, card, v))
		}
		p.click(card + " .send-answer")
		p.waitFor(fmt.Sprintf("answer %v %s", choices, status), fmt.Sprintf(`document.querySelector('%s .vote-status').dataset.status === %q`, card, status))
	}
	phones := make([]phonePage, 3)
	for i := range phones {
		p := phonePage{b.newTab(fmt.Sprintf("phone %d", i), phoneSize), fmt.Sprint(i)}
		p.open(srv.URL + "/e/" + ev.Code)
		p.waitFor("join form", `document.querySelector('#join-form')`)
		p.click(`#join-form button[type=submit]`)
		phones[i] = p
	}
	tickAndSend(phones[0], "counted", 1, 3) // Talks, Venue
	tickAndSend(phones[1], "counted", 2)    // Food
	// The third phone ticks two: the third choice cannot be ticked.
	p := phones[2]
	p.waitFor("choices open", fmt.Sprintf(`document.querySelector('%s button[data-v="1"]') && !document.querySelector('%s button[data-v="1"]').disabled`, card, card))
	p.click(fmt.Sprintf(`%s button[data-v="1"]`, card))
	p.click(fmt.Sprintf(`%s button[data-v="2"]`, card))
	p.waitFor("a third choice is disabled", fmt.Sprintf(`document.querySelector('%s button[data-v="3"]').disabled && document.querySelector('%s .pick-hint').textContent.includes('2')`, card, card))
	p.click(card + " .send-answer")
	p.waitFor("counted", fmt.Sprintf(`document.querySelector('%s .vote-status').dataset.status === 'counted'`, card))
	// The first phone changes its answer: Talks only.
	phones[0].click(fmt.Sprintf(`%s button[data-v="3"]`, card))
	phones[0].click(card + " .send-answer")
	phones[0].waitFor("changed", fmt.Sprintf(`document.querySelector('%s .vote-status').dataset.status === 'changed'`, card))

	// Talks 2 of 3 respondents, Food 2 of 3, Venue 0.
	stage.waitFor("bars 2,2,0 of 3 respondents", `JSON.stringify([...document.querySelectorAll('#stage-bars .bar')].map((b) => +b.dataset.count)) === '[2,2,0]'`)
	if got := stage.text(`[...document.querySelectorAll('#stage-bars .bar .value')].map((v) => v.textContent).join('|')`); got != "67 %|67 %|0 %" {
		t.Errorf("stage shares %q, want 67 %%|67 %%|0 %% (of the respondents)", got)
	}
	phones[0].waitFor("the phone's results", fmt.Sprintf(`JSON.stringify([...document.querySelectorAll('%s .results-block .bar')].map((b) => +b.dataset.count)) === '[2,2,0]'`, card))
	phones[0].screenshot(shots, "audience-multiple", phoneSize)
	stage.screenshot(shots, "stage-multiple", stageSize)
	control.waitFor("3 respondents on the control page", fmt.Sprintf(`document.querySelector('#poll-%d .tally-text').textContent.includes('3')`, pollID))

	csv := jsEval[string](control, `fetch(document.querySelector('#export-csv').href).then((r) => r.text())`)
	for _, row := range []string{"poll,What worked best today?,,A Talks,,2,,0,,", "poll,What worked best today?,,C Venue,,0,,0,,", "poll,What worked best today?,,respondents,,3,,0,,"} {
		if !strings.Contains(csv, row) {
			t.Errorf("CSV export lacks %q:\n%s", row, csv)
		}
	}
	// A reload keeps the phone's answer ticked (from my_votes).
	phones[1].open(srv.URL + "/e/" + ev.Code)
	phones[1].waitFor("answer ticked after a reload", fmt.Sprintf(`document.querySelector('%s button[data-v="2"]') && document.querySelector('%s button[data-v="2"]').getAttribute('aria-pressed') === 'true' && document.querySelector('%s .send-answer').disabled`, card, card, card))
	for _, tb := range []*tab{stage, control, phones[0].tab, phones[1].tab, phones[2].tab} {
		tb.checkConsole()
	}
}
