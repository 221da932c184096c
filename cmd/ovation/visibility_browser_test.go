package main

import (
	"fmt"
	"slices"
	"testing"
)

// TestBrowserResultsVisibility runs a quiz question as an organiser would:
// the moderator creates a choices question from the control page with its
// results shown once voting closes and B marked as the correct answer, and
// opens it; two phones answer (one B, one A); the stage shows the choices
// but no results while voting is open, and the bars once it closes; the
// moderator reveals the answer: the stage marks B's bar, the phone that
// answered B says it was right, the other one what the answer was.
func TestBrowserResultsVisibility(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "QUIZ26")
	b := newBrowser(t)
	shots := shotDir(t)
	const question = "Which planet is the largest?"

	control := b.newTab("control", controlSize)
	control.open(srv.URL + "/control#" + ev.Code)
	control.typeInto("#password", "correct horse")
	control.click(`#login-form button[type=submit]`)
	control.waitFor("console", `document.querySelector('#new-poll')`)
	control.click("#new-poll")
	control.typeInto("#f-question", question)
	control.waitFor("the correct answer field of a choices question", `!document.querySelector('[data-name="correct"]').hidden`)
	control.typeInto("#f-choices", "Mars\nJupiter\nVenus")
	control.typeInto("#f-correct", "B")
	control.eval(`const r = document.querySelector('#f-results'); r.value = 'closed'; r.dispatchEvent(new Event('change', {bubbles: true}))`)
	control.click(`#dlg-form button[type=submit]`)
	control.waitFor("poll card", fmt.Sprintf(`[...document.querySelectorAll('.poll-card h3')].some((h) => h.textContent === %s)`, jsString(question)))
	var model struct {
		Polls []struct {
			ID       int64
			Question string
			Results  string
			Correct  []int
		}
	}
	must(t, srv.URL, "GET", "/api/events/"+ev.Code+"/model", nil, &model)
	var pollID int64
	for _, p := range model.Polls {
		if p.Question == question {
			if p.Results != "closed" || !slices.Equal(p.Correct, []int{2}) {
				t.Fatalf("poll as created: %+v, want results closed and correct [2]", p)
			}
			pollID = p.ID
		}
	}
	if pollID == 0 {
		t.Fatalf("poll not in the model: %+v", model.Polls)
	}
	target := fmt.Sprintf("poll:%d", pollID)
	control.click(fmt.Sprintf("#poll-%d-toggle", pollID))

	stage := openStage(b, srv.URL, ev.Code)
	phones := joinPhones(b, srv.URL, ev.Code, 2)
	phones[0].vote(target, 2, "counted") // Jupiter: right
	phones[1].vote(target, 1, "counted") // Mars: wrong
	stage.waitFor("two votes counted on stage", `document.querySelector('#poll-view .vote-count strong').textContent === '2'`)
	if got := stage.text(`String(document.querySelector('#stage-bars').hidden) + ' ' + document.querySelectorAll('#poll-view .legend .legend-row').length + ' ' + document.querySelectorAll('#poll-view .correct').length`); got != "true 3 0" {
		t.Fatalf("stage while voting is open (bars hidden, legend rows, marks) = %q, want \"true 3 0\"", got)
	}
	if got := phones[0].text(fmt.Sprintf(`String(document.querySelector('.card[data-target=%q] .results-block').hidden)`, target)); got != "true" {
		t.Fatalf("a phone shows the results while voting is open")
	}

	// Closing turns the results public.
	control.click(fmt.Sprintf("#poll-%d-toggle", pollID))
	stage.waitFor("the results on stage after the close", `!document.querySelector('#stage-bars').hidden && [...document.querySelectorAll('#stage-bars .bar')].map((b) => b.dataset.count).join(',') === '1,1,0'`)
	if n := stage.text(`String(document.querySelectorAll('#poll-view .correct').length)`); n != "0" {
		t.Fatalf("the correct answer is marked before the reveal (%s marks)", n)
	}

	// The reveal marks Jupiter, and only Jupiter.
	control.click(fmt.Sprintf("#poll-%d-correct", pollID))
	stage.waitFor("Jupiter marked on stage", `[...document.querySelectorAll('#stage-bars .bar')].map((b) => b.dataset.correct).join(',') === 'false,true,false'`)
	if got := stage.text(`document.querySelector('#stage-bars .bar.correct').getAttribute('aria-label')`); got != "B  Jupiter: 1 vote, 50 %, correct answer" {
		t.Errorf("the marked bar reads %q", got)
	}
	verdict := fmt.Sprintf(`#verdict-%d`, pollID)
	phones[0].waitFor("the phone that answered B told it was right", fmt.Sprintf(`document.querySelector('%s') && !document.querySelector('%s').hidden && document.querySelector('%s').dataset.right === 'true'`, verdict, verdict, verdict))
	if got := phones[0].text(fmt.Sprintf(`document.querySelector('%s').textContent`, verdict)); got != "You were right!" {
		t.Errorf("the right phone says %q", got)
	}
	phones[1].waitFor("the phone that answered A told the answer", fmt.Sprintf(`document.querySelector('%s') && !document.querySelector('%s').hidden && document.querySelector('%s').dataset.right === 'false'`, verdict, verdict, verdict))
	if got := phones[1].text(fmt.Sprintf(`document.querySelector('%s').textContent`, verdict)); got != "Not this time — the answer was B" {
		t.Errorf("the wrong phone says %q", got)
	}
	phones[0].waitFor("the marked bar on the phone", fmt.Sprintf(`document.querySelector('.card[data-target=%q] .results-block .bar.correct')`, target))
	stage.screenshot(shots, "stage-correct-answer", stageSize)
	phones[0].eval(fmt.Sprintf(`document.querySelector('.card[data-target=%q] .results-block').scrollIntoView({block: 'center'})`, target))
	phones[0].screenshot(shots, "audience-correct-answer", phoneSize)

	// Hiding the answer takes the marks off.
	control.click(fmt.Sprintf("#poll-%d-correct", pollID))
	stage.waitFor("no mark after hiding", `document.querySelectorAll('#poll-view .correct').length === 0`)
	phones[0].waitFor("no verdict after hiding", fmt.Sprintf(`document.querySelector('%s').hidden`, verdict))
	for _, tb := range []*tab{stage, control, phones[0].tab, phones[1].tab} {
		tb.checkConsole()
	}
}

// TestBrowserAnsweredMultipleCorrect runs a multiple-choice question whose
// results each phone sees once it has answered, with two right choices
// (A and C): the stage shows the bars live; a phone that has not answered
// sees none, only a note, until it answers; after the close the reveal
// marks both right bars, and a phone is right only with both ticked.
func TestBrowserAnsweredMultipleCorrect(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "BOTH26")
	b := newBrowser(t)
	const question = "Which of these are prime?"
	control, pollID, _ := createPoll(t, b, srv.URL, ev.Code, question, "multiple", func(c *tab) {
		c.waitFor("the kind's fields", `!document.querySelector('[data-name="settings.max_picks"]').hidden && !document.querySelector('[data-name="correct"]').hidden`)
		c.typeInto("#f-choices", "2\n4\n7")
		c.eval(`document.getElementById('f-settings.max_picks').value = '3'`)
		c.typeInto("#f-correct", "A, C")
		c.eval(`const r = document.querySelector('#f-results'); r.value = 'answered'; r.dispatchEvent(new Event('change', {bubbles: true}))`)
	})
	var model struct {
		Polls []struct {
			ID      int64
			Results string
			Correct []int
		}
	}
	must(t, srv.URL, "GET", "/api/events/"+ev.Code+"/model", nil, &model)
	for _, p := range model.Polls {
		if p.ID == pollID && (p.Results != "answered" || !slices.Equal(p.Correct, []int{1, 3})) {
			t.Fatalf("poll as created: %+v, want results answered and correct [1 3]", p)
		}
	}
	control.click(fmt.Sprintf("#poll-%d-toggle", pollID))
	target := fmt.Sprintf("poll:%d", pollID)
	card := fmt.Sprintf(`.card[data-target=%q]`, target)
	stage := openStage(b, srv.URL, ev.Code)
	phones := joinPhones(b, srv.URL, ev.Code, 3)
	send := func(p phonePage, choices ...int) {
		t.Helper()
		p.waitFor("choices open", fmt.Sprintf(`document.querySelector('%s button[data-v="1"]') && !document.querySelector('%s button[data-v="1"]').disabled`, card, card))
		for _, v := range choices {
			p.click(fmt.Sprintf(`%s button[data-v="%d"]`, card, v))
		}
		p.click(card + " .send-answer")
		p.waitFor(fmt.Sprintf("answer %v counted", choices), fmt.Sprintf(`document.querySelector('%s .vote-status').dataset.status === 'counted'`, card))
	}
	results := func(p phonePage) string {
		return p.text(fmt.Sprintf(`String(document.querySelector('%s .results-block').hidden)`, card))
	}
	send(phones[0], 1, 3) // right
	stage.waitFor("the bars live on stage", `!document.querySelector('#stage-bars').hidden && [...document.querySelectorAll('#stage-bars .bar')].map((b) => b.dataset.count).join(',') === '1,0,1'`)
	phones[0].waitFor("the results once answered", fmt.Sprintf(`!document.querySelector('%s .results-block').hidden`, card))
	phones[1].waitFor("the note to answer first", fmt.Sprintf(`[...document.querySelectorAll('%s p')].some((p) => !p.hidden && p.textContent === 'Answer to see the results')`, card))
	if got := results(phones[1]); got != "true" {
		t.Fatalf("a phone that has not answered sees the results")
	}
	send(phones[1], 1) // half right: wrong
	phones[1].waitFor("the results once answered", fmt.Sprintf(`!document.querySelector('%s .results-block').hidden`, card))
	if got := results(phones[2]); got != "true" {
		t.Fatalf("the phone that never answered sees the results")
	}

	control.click(fmt.Sprintf("#poll-%d-toggle", pollID)) // close
	control.waitFor("the reveal button", fmt.Sprintf(`document.querySelector('#poll-%d-correct')`, pollID))
	control.click(fmt.Sprintf("#poll-%d-correct", pollID))
	stage.waitFor("2 and 7 marked on stage", `[...document.querySelectorAll('#stage-bars .bar')].map((b) => b.dataset.correct).join(',') === 'true,false,true'`)
	verdict := fmt.Sprintf(`#verdict-%d`, pollID)
	for i, want := range []string{"You were right!", "Not this time — the answer was A, C", "The answer was A, C"} {
		phones[i].waitFor("the verdict", fmt.Sprintf(`document.querySelector('%s') && !document.querySelector('%s').hidden && document.querySelector('%s').textContent === %s`, verdict, verdict, verdict, jsString(want)))
	}
	for _, tb := range []*tab{stage, control, phones[0].tab, phones[1].tab, phones[2].tab} {
		tb.checkConsole()
	}
}
