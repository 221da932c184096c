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
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "MULTI26")
	b := newBrowser(t)
	shots := shotDir(t)

	control, pollID, settings := createPoll(t, b, srv.URL, ev.Code, "What worked best today?", "multiple", func(c *tab) {
		c.waitFor("the kind's fields", `!document.querySelector('[data-name="settings.max_picks"]').hidden && document.querySelector('[data-name="scale_max"]').hidden`)
		c.typeInto("#f-choices", "Talks\nFood\nVenue")
		c.eval(`document.getElementById('f-settings.max_picks').value = '2'`)
	})
	if settings["max_picks"] != float64(2) {
		t.Fatalf("settings as created: %v", settings)
	}
	control.click(fmt.Sprintf("#poll-%d-toggle", pollID))
	target := fmt.Sprintf("poll:%d", pollID)
	card := fmt.Sprintf(`.card[data-target=%q]`, target)
	stage := openStage(b, srv.URL, ev.Code)

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
	phones := joinPhones(b, srv.URL, ev.Code, 3)
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

// TestBrowserWordCloud runs a word cloud: the moderator creates it from the
// control page and opens it; phones send words; the stage shows them sized
// by count, without overlaps, spellings grouped, the profanity left out,
// and a word keeps its place while others grow; the moderator hides a word
// and merges two from the control page; the export lists the words.
func TestBrowserWordCloud(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "CLOUD26")
	b := newBrowser(t)
	shots := shotDir(t)

	control, pollID, settings := createPoll(t, b, srv.URL, ev.Code, "One word for today?", "wordcloud", func(c *tab) {
		c.waitFor("the cloud's fields", `!document.querySelector('[data-name="settings.moderation"]').hidden && document.querySelector('[data-name="choices"]').hidden`)
	})
	if settings["moderation"] != "post" || settings["max_words"] != float64(3) {
		t.Fatalf("settings = %v", settings)
	}
	control.click(fmt.Sprintf("#poll-%d-toggle", pollID))
	target := fmt.Sprintf("poll:%d", pollID)
	card := fmt.Sprintf(`.card[data-target=%q]`, target)
	stage := openStage(b, srv.URL, ev.Code)

	send := func(p phonePage, status string, words ...string) {
		t.Helper()
		p.waitFor("word boxes", fmt.Sprintf(`document.querySelector('%s .cloud-input') && !document.querySelector('%s .cloud-input').disabled`, card, card))
		p.eval(fmt.Sprintf(`document.querySelectorAll('%s .cloud-input').forEach((b) => { b.value = ''; })`, card))
		for i, w := range words {
			p.typeInto(fmt.Sprintf(`%s .cloud-input:nth-of-type(%d)`, card, i+1), w)
		}
		p.click(card + " .send-answer")
		p.waitFor(fmt.Sprintf("%v %s", words, status), fmt.Sprintf(`document.querySelector('%s .vote-status').dataset.status === %q`, card, status))
	}
	phones := joinPhones(b, srv.URL, ev.Code, 4)
	send(phones[0], "counted", "Inspiring", "AI")
	send(phones[1], "counted", "inspiring!", "Énergie", "K8s")
	send(phones[2], "counted", "AI", "merde")
	// cloud is the words on the stage with their counts, in sort order.
	cloud := `[...document.querySelectorAll('#stage-bars .cloud-word:not([hidden])')].map((w) => w.textContent + ':' + w.dataset.count).sort().join(',')`
	stage.waitFor("the cloud", cloud+` === 'AI:2,Inspiring:2,K8s:1,Énergie:1'`)
	before := stage.text(`(() => { const w = [...document.querySelectorAll('#stage-bars .cloud-word')].find((w) => w.textContent === 'AI'); return Math.round(parseFloat(w.style.left) + w.offsetWidth / 2) + ',' + Math.round(parseFloat(w.style.top) + w.offsetHeight / 2); })()`)

	// Another answer makes Inspiring grow: AI stays where it was.
	send(phones[3], "counted", "Inspiring", "Kubernetes")
	stage.waitFor("Inspiring grows", cloud+` === 'AI:2,Inspiring:3,K8s:1,Kubernetes:1,Énergie:1'`)
	if after := stage.text(`(() => { const w = [...document.querySelectorAll('#stage-bars .cloud-word')].find((w) => w.textContent === 'AI'); return Math.round(parseFloat(w.style.left) + w.offsetWidth / 2) + ',' + Math.round(parseFloat(w.style.top) + w.offsetHeight / 2); })()`); after != before {
		t.Errorf("AI's centre moved from %s to %s when Inspiring grew", before, after)
	}
	// Where the words are going (their moves are animated), in the cloud's box.
	overlaps := stage.text(`(() => { const rs = [...document.querySelectorAll('#stage-bars .cloud-word:not([hidden])')].map((w) => { const l = parseFloat(w.style.left), t = parseFloat(w.style.top);
			return [w.textContent, { left: l, top: t, right: l + w.offsetWidth, bottom: t + w.offsetHeight }]; });
		const el = document.querySelector('#stage-bars'), box = { left: 0, top: 0, right: el.clientWidth, bottom: el.clientHeight }; const bad = [];
		for (const [a, r] of rs) { if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) bad.push(a + ' out'); }
		for (let i = 0; i < rs.length; i++) for (let j = i + 1; j < rs.length; j++) { const [a, r] = rs[i], [b, s] = rs[j];
			if (r.left < s.right - 1 && s.left < r.right - 1 && r.top < s.bottom - 1 && s.top < r.bottom - 1) bad.push(a + '/' + b); }
		return bad.join(' '); })()`)
	if overlaps != "" {
		t.Errorf("words overlap or leave the cloud: %s", overlaps)
	}

	// The moderator hides Énergie and merges K8s into Kubernetes.
	row := func(k string) string { return fmt.Sprintf(`#poll-%d .cloud-q-row[data-k=%q]`, pollID, k) }
	control.waitFor("the words on the control page", fmt.Sprintf(`document.querySelector('%s') && document.querySelector('%s').dataset.state === 'blocked'`, row("energie"), row("merde")))
	control.click(row("energie") + ` button[data-role="toggle"]`)
	control.eval(fmt.Sprintf(`const s = document.querySelector('%s .cloud-q-into'); s.value = 'kubernetes'; s.dispatchEvent(new Event('change', {bubbles: true}))`, row("k8s")))
	stage.waitFor("hidden and merged", cloud+` === 'AI:2,Inspiring:3,Kubernetes:2'`)
	control.waitFor("the merge on the control page", fmt.Sprintf(`document.querySelector('%s .cloud-q-merged').textContent.includes('k8s') && document.querySelector('%s').dataset.state === 'hidden'`, row("kubernetes"), row("energie")))
	phones[0].waitFor("the cloud on the phone", fmt.Sprintf(`[...document.querySelectorAll('%s .cloud-word:not([hidden])')].map((w) => w.textContent).sort().join(',') === 'AI,Inspiring,Kubernetes'`, card))
	phones[0].screenshot(shots, "audience-wordcloud", phoneSize)
	stage.screenshot(shots, "stage-wordcloud", stageSize)
	control.screenshot(shots, "control-wordcloud", controlSize)

	csv := jsEval[string](control, `fetch(document.querySelector('#export-csv').href).then((r) => r.text())`)
	for _, line := range []string{",Inspiring,,3,", ",Kubernetes,,2,", ",Énergie (hidden),,1,", ",merde (blocked),,1,", ",respondents,,4,"} {
		if !strings.Contains(csv, line) {
			t.Errorf("CSV export lacks %q:\n%s", line, csv)
		}
	}
	// The audit log names the decisions.
	var audit []struct{ Action, Detail string }
	must(t, srv.URL, "GET", "/api/events/"+ev.Code+"/audit", nil, &audit)
	var decisions []string
	for _, a := range audit {
		if a.Action == "decide_answers" {
			decisions = append(decisions, a.Detail)
		}
	}
	if strings.Join(decisions, "; ") != "merge k8s into kubernetes; hide energie" {
		t.Errorf("audit: %v", decisions)
	}
	for _, tb := range []*tab{stage, control, phones[0].tab, phones[1].tab, phones[2].tab, phones[3].tab} {
		tb.checkConsole()
	}
}

// createPoll logs in on the control page, creates a poll of kind with
// question from the form (fill sets the kind's fields), results live
// unless fill says otherwise, and returns the control tab, the poll's id
// and its settings as stored.
func createPoll(t *testing.T, b *browser, base, code, question, kind string, fill func(*tab)) (*tab, int64, map[string]any) {
	t.Helper()
	c := b.newTab("control", controlSize)
	c.open(base + "/control#" + code)
	c.typeInto("#password", "correct horse")
	c.click(`#login-form button[type=submit]`)
	c.waitFor("console", `document.querySelector('#new-poll')`)
	c.click("#new-poll")
	c.typeInto("#f-question", question)
	c.eval(fmt.Sprintf(`const k = document.querySelector('#f-kind'); k.value = %q; k.dispatchEvent(new Event('change', {bubbles: true}))`, kind))
	c.eval(`document.querySelector('#f-results').value = 'live'`) // unless fill sets another mode
	fill(c)
	c.click(`#dlg-form button[type=submit]`)
	c.waitFor("poll card", fmt.Sprintf(`[...document.querySelectorAll('.poll-card h3')].some((h) => h.textContent === %s)`, jsString(question)))
	var model struct {
		Polls []struct {
			ID       int64
			Question string
			Kind     string
			Settings map[string]any
		}
	}
	must(t, base, "GET", "/api/events/"+code+"/model", nil, &model)
	for _, p := range model.Polls {
		if p.Question == question {
			if p.Kind != kind {
				t.Fatalf("poll %q is of kind %q, want %q", question, p.Kind, kind)
			}
			return c, p.ID, p.Settings
		}
	}
	t.Fatalf("poll %q not in the model: %+v", question, model.Polls)
	return nil, 0, nil
}

// openStage opens the stage of the event's first room and waits for its poll view.
func openStage(b *browser, base, code string) *tab {
	s := b.newTab("stage", stageSize)
	s.open(base + "/stage/" + code)
	s.waitFor("poll on stage", `document.querySelector('#poll-view')`)
	return s
}

// joinPhones opens n audience pages and joins the event on each.
func joinPhones(b *browser, base, code string, n int) []phonePage {
	phones := make([]phonePage, n)
	for i := range phones {
		p := phonePage{b.newTab(fmt.Sprintf("phone %d", i), phoneSize), fmt.Sprint(i)}
		p.open(base + "/e/" + code)
		p.waitFor("join form", `document.querySelector('#join-form')`)
		p.click(`#join-form button[type=submit]`)
		phones[i] = p
	}
	return phones
}
