package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// TestBrowserQuiz runs a quiz as an organiser would: the moderator creates
// it and its two questions from the control page and runs it from the live
// panel (start, reveal, leaderboard, next question, reveal, podium); three
// phones (two named, one anonymous) answer, and a second tap is locked
// out; the stage shows the countdown, the right answer marked on the
// distribution, the leaderboard and the podium; each phone its own rank
// and points, the same as the export's.
func TestBrowserQuiz(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "QUIZ26")
	b := newBrowser(t)
	shots := shotDir(t)

	control := b.newTab("control", controlSize)
	control.open(srv.URL + "/control#" + ev.Code)
	control.typeInto("#password", "correct horse")
	control.click(`#login-form button[type=submit]`)
	control.waitFor("console", `document.querySelector('#new-quiz')`)
	control.click("#new-quiz")
	control.typeInto("#f-title", "Pub quiz")
	control.click(`#dlg-form button[type=submit]`)
	control.waitFor("quiz card", `[...document.querySelectorAll('.quiz-card h3')].some((h) => h.textContent === 'Pub quiz')`)
	var model struct {
		Quizzes []struct {
			ID        int64
			Questions []int64
		}
		Polls []struct {
			ID       int64
			Question string
			Kind     string
			Correct  []int
			Settings map[string]any
		}
	}
	must(t, srv.URL, "GET", "/api/events/"+ev.Code+"/model", nil, &model)
	quiz := model.Quizzes[0].ID
	addQuestion := func(question, choices, correct, limit string) {
		t.Helper()
		control.click(fmt.Sprintf("#quiz-%d-add", quiz))
		control.typeInto("#f-question", question)
		control.typeInto("#f-choices", choices)
		control.eval(fmt.Sprintf(`document.getElementById('f-settings.time_limit_s').value = %q`, limit))
		control.typeInto("#f-correct", correct)
		control.click(`#dlg-form button[type=submit]`)
		control.waitFor("question listed", fmt.Sprintf(`[...document.querySelectorAll('#quiz-%d-questions .quiz-q-text')].some((q) => q.textContent === %s)`, quiz, jsString(question)))
	}
	addQuestion("Capital of Peru?", "Lima\nQuito\nCusco", "A", "30")
	addQuestion("Which are Andean countries?", "Spain\nChile\nBolivia", "B, C", "25")
	addQuestion("Highest capital?", "La Paz\nQuito", "A", "5")
	must(t, srv.URL, "GET", "/api/events/"+ev.Code+"/model", nil, &model)
	qs := model.Quizzes[0].Questions
	if len(qs) != 3 {
		t.Fatalf("quiz questions %v", qs)
	}
	for _, p := range model.Polls {
		if p.ID == qs[1] && (p.Kind != "quiz" || fmt.Sprint(p.Correct) != "[2 3]" || p.Settings["time_limit_s"] != float64(25)) {
			t.Fatalf("second question as created: %+v", p)
		}
	}
	// The quiz's questions are not in the poll list.
	if n := control.text(fmt.Sprintf(`String(document.querySelectorAll('#polls #poll-%d').length)`, qs[0])); n != "0" {
		t.Errorf("a quiz question is listed with the polls")
	}

	stage := b.newTab("stage", stageSize)
	stage.open(srv.URL + "/stage/" + ev.Code)
	stage.waitFor("lobby", `document.body.dataset.view === 'lobby'`)
	phones := make([]phonePage, 3)
	for i, name := range []string{"Ada Lovelace", "Brune", ""} {
		p := phonePage{b.newTab(fmt.Sprintf("phone %d", i), phoneSize), fmt.Sprint(i)}
		p.open(srv.URL + "/e/" + ev.Code)
		p.waitFor("join form", `document.querySelector('#join-form')`)
		if name != "" {
			p.typeInto("#name", name)
		}
		p.click(`#join-form button[type=submit]`)
		p.waitFor("joined", `document.querySelector('#waiting')`)
		phones[i] = p
	}
	// The quiz's module comes while the phones wait, not when its first
	// question opens and its clock runs.
	for _, p := range phones {
		p.waitFor("the quiz's module loaded before the quiz", `performance.getEntriesByType('resource').some((r) => new URL(r.name).pathname.startsWith('/static/kinds/quiz.'))`)
	}

	// Question 1: the countdown runs on the stage and the phones.
	control.click(fmt.Sprintf("#quiz-%d-start", quiz))
	stage.waitFor("question 1 on stage", `document.querySelector('#quiz-view[data-phase="question"]') && document.querySelector('#quiz-question').textContent === 'Capital of Peru?'`)
	stage.waitFor("the countdown", `/^0:(2\d|30)$/.test(document.querySelector('#quiz-clock').textContent)`)
	card := func(poll int64) string { return fmt.Sprintf(`.quiz-card[data-target="poll:%d"]`, poll) }
	answer := func(p phonePage, poll int64, v int) {
		t.Helper()
		c := card(poll)
		p.waitFor("keys open", fmt.Sprintf(`document.querySelector('%s button[data-v="%d"]') && !document.querySelector('%s button[data-v="%d"]').disabled`, c, v, c, v))
		p.click(fmt.Sprintf(`%s button[data-v="%d"]`, c, v))
		p.waitFor("counted", fmt.Sprintf(`document.querySelector('%s .vote-status').dataset.status === 'counted'`, c))
	}
	answer(phones[0], qs[0], 1) // Ada: Lima, right, first
	answer(phones[1], qs[0], 2) // Brune: Quito, wrong
	answer(phones[2], qs[0], 1) // anonymous: Lima, right, later
	// The first answer is final: the other keys are locked.
	phones[1].waitFor("keys locked", fmt.Sprintf(`[...document.querySelectorAll('%s .quiz-keys button')].every((b) => b.disabled) && document.querySelector('%s .prompt').textContent.includes('B')`, card(qs[0]), card(qs[0])))
	stage.waitFor("3 answers on stage", `document.querySelector('#quiz-answers strong').textContent === '3'`)
	if got := stage.text(`document.querySelector('#quiz-bars').hidden + ' ' + document.querySelectorAll('#quiz-legend .legend-row').length`); got != "true 3" {
		t.Errorf("during the countdown the stage shows %q, want the legend without the distribution", got)
	}
	stage.screenshot(shots, "stage-quiz-question", stageSize)
	phones[1].screenshot(shots, "audience-quiz-question", phoneSize)

	// Reveal: the right answer marked on the distribution.
	control.waitFor("the live panel runs the quiz", `document.querySelector('#live-quiz-reveal')`)
	control.click("#live-quiz-reveal")
	stage.waitFor("the reveal", `document.querySelector('#quiz-view[data-phase="reveal"]') && JSON.stringify([...document.querySelectorAll('#quiz-bars .bar')].map((b) => +b.dataset.count)) === '[2,1,0]'`)
	if got := stage.text(`[...document.querySelectorAll('#quiz-bars .bar')].map((b) => b.dataset.correct).join(',') + ' ' + document.querySelector('#quiz-meta').textContent`); got != "true,false,false 2 of 3 right" {
		t.Errorf("the reveal shows %q", got)
	}
	phones[0].waitFor("right, with its points", fmt.Sprintf(`document.querySelector('#verdict-%d').dataset.right === 'true' && /^\+\d{3,4} points$/.test(document.querySelector('#quiz-gain')?.textContent || '')`, qs[0]))
	phones[1].waitFor("wrong", fmt.Sprintf(`document.querySelector('#verdict-%d').dataset.right === 'false' && document.querySelector('#quiz-me')?.dataset.points === '0'`, qs[0]))
	stage.screenshot(shots, "stage-quiz-reveal", stageSize)
	phones[0].screenshot(shots, "audience-quiz-reveal", phoneSize)

	// The leaderboard: names (or Anonymous #n), ranks and points; each phone its own.
	control.click("#live-quiz-leaderboard")
	stage.waitFor("the leaderboard", `document.querySelector('#quiz-view[data-phase="leaderboard"]') && document.querySelectorAll('#quiz-board .leaderboard li').length === 3`)
	names := stage.text(`[...document.querySelectorAll('#quiz-board .leaderboard li')].map((li) => li.dataset.rank + ' ' + li.querySelector('.name').textContent).join('|')`)
	// Ada answered first: more points, or the same (then listed first, as quicker).
	m := regexp.MustCompile(`^1 Ada Lovelace\|([12]) Anonymous #\d{4}\|3 Brune$`).FindStringSubmatch(names)
	if m == nil {
		t.Fatalf("leaderboard %q", names)
	}
	phones[2].waitFor("its own rank", fmt.Sprintf(`document.querySelector('#quiz-me')?.dataset.rank === %q && document.querySelector('#quiz-phone-board li.me')?.dataset.rank === %q`, m[1], m[1]))
	stage.screenshot(shots, "stage-quiz-leaderboard", stageSize)
	// In French: the titles, and the anonymous player's name.
	fr := b.newTab("stage fr", stageSize)
	fr.open(srv.URL + "/stage/" + ev.Code + "?lang=fr")
	fr.waitFor("the leaderboard in French", `document.querySelector('#quiz-board-title')?.textContent === 'Classement après la question 1 sur 3' && [...document.querySelectorAll('#quiz-board .name')].some((n) => /^Anonyme #\d{4}$/.test(n.textContent))`)
	fr.checkConsole()
	phones[2].screenshot(shots, "audience-quiz-leaderboard", phoneSize)

	// Question 2 (B and C right), then the podium.
	control.click("#live-quiz-next")
	stage.waitFor("question 2 on stage", `document.querySelector('#quiz-view[data-phase="question"]') && document.querySelector('#quiz-question').textContent === 'Which are Andean countries?'`)
	answer(phones[1], qs[1], 3) // Brune: Bolivia, right, first
	answer(phones[0], qs[1], 2) // Ada: Chile, right
	answer(phones[2], qs[1], 1) // anonymous: Spain, wrong
	control.click("#live-quiz-reveal")
	stage.waitFor("the second reveal", `document.querySelector('#quiz-view[data-phase="reveal"]') && [...document.querySelectorAll('#quiz-bars .bar')].map((b) => b.dataset.correct).join(',') === 'false,true,true'`)
	// Question 3 (5 s): nobody answers; when time is up the stage says so and the keys lock.
	control.click("#live-quiz-next")
	stage.waitFor("question 3 on stage", `document.querySelector('#quiz-view[data-phase="question"]') && document.querySelector('#quiz-question').textContent === 'Highest capital?'`)
	phones[2].waitFor("its keys open", fmt.Sprintf(`document.querySelector('%s button[data-v="1"]') && !document.querySelector('%s button[data-v="1"]').disabled`, card(qs[2]), card(qs[2])))
	stage.waitFor("time is up on stage", `!document.querySelector('#quiz-timeup').hidden && document.querySelector('#quiz-clock').textContent === '0:00'`)
	phones[2].waitFor("keys locked when time is up", fmt.Sprintf(`[...document.querySelectorAll('%s .quiz-keys button')].every((b) => b.disabled) && document.querySelector('%s .prompt').textContent === "Time’s up!"`, card(qs[2]), card(qs[2])))
	control.click("#live-quiz-reveal")
	stage.waitFor("the third reveal", `document.querySelector('#quiz-view[data-phase="reveal"]') && document.querySelector('#quiz-question').textContent === 'Highest capital?'`)
	control.waitFor("no next question after the last", `!document.querySelector('#live-quiz-next') && document.querySelector('#live-quiz-podium')`)
	control.click("#live-quiz-podium")
	stage.waitFor("the podium", `document.querySelector('#quiz-view[data-phase="podium"]') && document.querySelectorAll('#podium .place[data-rank]').length === 3`)
	control.waitFor("the standings on the control page", `document.querySelectorAll('#live-quiz-leaders .leaderboard li').length === 3`)
	for _, p := range phones {
		p.waitFor("its final place", `document.querySelector('.quiz-card[data-phase="podium"] #quiz-me')?.dataset.rank > '0'`)
	}
	stage.waitFor("the podium risen", `[...document.querySelectorAll('#podium .place')].every((p) => p.getAnimations().every((a) => a.playState === 'finished'))`)
	stage.screenshot(shots, "stage-quiz-podium", stageSize)
	phones[1].screenshot(shots, "audience-quiz-podium", phoneSize)
	control.eval(`(() => { document.querySelector('#live-panel').scrollIntoView({block: 'start'}); scrollBy(0, -80); })()`)
	control.screenshot(shots, "control-quiz", controlSize)

	// Each phone's rank and points are the export's.
	var res struct {
		Quizzes []struct {
			Standings []struct {
				Rank          int
				ParticipantID int64 `json:"participant_id"`
				Name          string
				Points        int64
				Right         int
			}
		}
	}
	must(t, srv.URL, "GET", "/api/events/"+ev.Code+"/results", nil, &res)
	if len(res.Quizzes) != 1 || len(res.Quizzes[0].Standings) != 3 {
		t.Fatalf("export: %+v", res.Quizzes)
	}
	podium := stage.text(`[...document.querySelectorAll('#podium .place[data-rank]')].map((p) => p.dataset.rank + ':' + p.querySelector('.team').textContent + ':' + p.querySelector('.score').textContent.replace(/\D/g, '')).sort().join('|')`)
	var want []string
	for _, s := range res.Quizzes[0].Standings {
		want = append(want, fmt.Sprintf("%d:%s:%d", s.Rank, s.Name, s.Points))
	}
	if podium != strings.Join(want, "|") {
		t.Errorf("podium %q, export %q", podium, strings.Join(want, "|"))
	}
	for i, p := range phones {
		got := p.text(`document.querySelector('#quiz-me').dataset.rank + ':' + document.querySelector('#quiz-me').dataset.points`)
		found := false
		for _, s := range res.Quizzes[0].Standings {
			if fmt.Sprintf("%d:%d", s.Rank, s.Points) == got && (i != 0 || s.Name == "Ada Lovelace") {
				found = true
			}
		}
		if !found {
			t.Errorf("phone %d shows %s, not in the export %+v", i, got, res.Quizzes[0].Standings)
		}
	}
	csv := jsEval[string](control, `fetch(document.querySelector('#export-csv').href).then((r) => r.text())`)
	for _, row := range []string{"poll,Capital of Peru?,,A Lima (right),,2,,0,,", "poll,Which are Andean countries?,,C Bolivia (right),,1,,0,,", "quiz,Pub quiz,1,"} {
		if !strings.Contains(csv, row) {
			t.Errorf("CSV export lacks %q:\n%s", row, csv)
		}
	}
	// Ending the quiz takes it off the screens: the stage is back to the lobby, the phones wait.
	control.click("#live-quiz-finish")
	stage.waitFor("the lobby after the quiz", `document.body.dataset.view === 'lobby'`)
	phones[0].waitFor("waiting after the quiz", `document.querySelector('#waiting') && !document.querySelector('.quiz-card')`)
	for _, tb := range []*tab{stage, control, phones[0].tab, phones[1].tab, phones[2].tab} {
		tb.checkConsole()
	}
}
