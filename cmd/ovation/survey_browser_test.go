package main

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// surveyResults is what the test reads of GET /api/surveys/:id/results.
type surveyResults struct {
	Questions []struct {
		Poll struct {
			ID   int64  `json:"id"`
			Kind string `json:"kind"`
		} `json:"poll"`
		Counts      []int64 `json:"counts"`
		Respondents int64   `json:"respondents"`
		Statements  []struct {
			Counts  []int64 `json:"counts"`
			Skipped int64   `json:"skipped"`
		} `json:"statements"`
	} `json:"questions"`
}

// TestBrowserSurvey: a phone answers a six-question survey (a rating grid,
// an open text, required and optional questions) at its own pace across a
// page reload and a server restart, skips the optional ones, ends on the
// closing screen, changes an answer from there, and the moderators'
// results and control page hold exactly its answers.
func TestBrowserSurvey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := startServer(t, dir)
	const code = "FEEDBK"
	must(t, srv.URL, "POST", "/api/events", map[string]any{"code": code, "title": "Feedback day", "languages": []string{"en", "fr"}}, nil)
	var model struct {
		Rooms []struct{ ID int64 } `json:"rooms"`
	}
	must(t, srv.URL, "GET", "/api/events/"+code+"/model", nil, &model)
	room := model.Rooms[0].ID
	var survey struct{ ID int64 }
	must(t, srv.URL, "POST", "/api/events/"+code+"/surveys", map[string]any{"room_id": room, "title": "Talk feedback", "thanks": "Thank you for your feedback!"}, &survey)
	var ids []int64
	for _, q := range []map[string]any{
		{"question": "How was the talk?", "kind": "grid", "choices": []string{"Content", "Speaker", "Slides"}, "scale_max": 5,
			"settings": map[string]any{"low": "Poor", "high": "Excellent"}, "required": true},
		{"question": "When did you arrive?", "kind": "choices", "choices": []string{"Morning", "Afternoon"}},
		{"question": "What should we change?", "kind": "opentext", "settings": map[string]any{"moderation": "post"}},
		{"question": "Would you recommend it?", "kind": "scale", "scale_max": 10, "required": true},
		{"question": "How was the venue?", "kind": "scale", "scale_max": 5},
		{"question": "Will you come back?", "kind": "choices", "choices": []string{"Yes", "No"}, "required": true},
	} {
		q["survey_id"] = survey.ID
		var p struct{ ID int64 }
		must(t, srv.URL, "POST", "/api/events/"+code+"/polls", q, &p)
		ids = append(ids, p.ID)
	}
	must(t, srv.URL, "POST", fmt.Sprintf("/api/surveys/%d/actions/open", survey.ID), nil, nil)

	shots := shotDir(t)
	b := newBrowser(t)
	p := phonePage{b.newTab("phone", phoneSize), ""}
	p.open(srv.URL + "/e/" + code)
	p.click(`#join-form button[type=submit]`)
	card := `.survey-card`
	p.waitFor("the survey offered", `document.querySelector('.survey-card .survey-count')?.textContent === '0 of 6 answered'`)
	p.screenshot(shots, "survey-entry-phone", phoneSize)
	p.click(card + ` .survey-start`)
	at := func(i int) string {
		return fmt.Sprintf(`document.querySelector('.survey-card[data-mode=q] .survey-number')?.textContent === 'Question %d of 6'`, i)
	}
	counted := func(what string) {
		p.t.Helper()
		p.waitFor(what+" counted", `['counted', 'changed'].includes(document.querySelector('.survey-card .vote-status')?.dataset.status)`)
	}
	next := func(label string) {
		p.t.Helper()
		p.waitFor("next says "+label, fmt.Sprintf(`(() => { const b = document.querySelector('.survey-card .survey-next'); return b && !b.disabled && b.textContent === %q; })()`, label))
		p.click(card + ` .survey-next`)
	}

	// 1. The grid, required: Next waits for the answer.
	p.waitFor("question 1", at(1))
	if !jsEval[bool](p.tab, `document.querySelector('.survey-card .survey-next').disabled`) {
		t.Error("Next is enabled on an unanswered required question")
	}
	p.click(card + ` .grid-item[data-statement="1"] .grid-key[data-v="4"]`)
	p.click(card + ` .grid-item[data-statement="2"] .grid-skip`)
	p.click(card + ` .grid-item[data-statement="3"] .grid-key[data-v="5"]`)
	p.screenshot(shots, "survey-grid-phone", phoneSize)
	p.click(card + ` .send-answer`)
	counted("the grid")
	next("Next")
	// 2. Optional: skipped.
	p.waitFor("question 2", at(2))
	next("Skip")
	// 3. Open text, optional: answered.
	p.waitFor("question 3", at(3))
	p.typeInto(card+` textarea.ot-input`, "More time for questions")
	p.click(card + ` .send-answer`)
	counted("the open text")
	p.waitFor("the open text's moderation state told", `document.querySelector('.survey-card .ot-mine')?.dataset.state === 'approved'`)

	// A reload: the phone is where it was, its answers as counted.
	p.open(srv.URL + "/e/" + code)
	p.waitFor("back at question 3 after a reload", at(3)+` && document.querySelector('.survey-card').dataset.answered === '2'`)
	counted("the open text, after the reload")
	next("Next")
	// 4. Required scale.
	p.waitFor("question 4", at(4))
	p.click(card + ` button.key[data-v="8"]`)
	counted("the scale")

	// A server restart: the phone reconnects and goes on.
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)
	p.waitFor("the server named as down", `!document.querySelector('#banner').hidden`)
	srv = startServer(t, dir, "-listen", u.Host)
	p.waitFor("live again", `document.querySelector('#banner').hidden && document.querySelector('.survey-card')?.dataset.answered === '3'`)
	p.waitFor("still question 4, its answer counted", at(4)+` && document.querySelector('.survey-card button.key[data-v="8"]').getAttribute('aria-checked') === 'true'`)
	next("Next")
	// 5. Optional: skipped. 6. Required: answered, then Finish.
	p.waitFor("question 5", at(5))
	next("Skip")
	p.waitFor("question 6", at(6))
	p.click(card + ` button.choice-key[data-v="1"]`)
	counted("the last question")
	next("Finish")
	p.waitFor("the closing screen", `document.querySelector('.survey-card[data-mode=done]') && document.querySelector('.survey-card h1').textContent === 'Thank you for your feedback!'`)
	if got := p.text(`[...document.querySelectorAll('.survey-answers li')].filter((li) => !li.querySelector('.survey-a-v.muted')).length + ' answered, ' + document.querySelectorAll('.survey-a-v.muted').length + ' skipped'`); got != "4 answered, 2 skipped" {
		t.Errorf("closing screen lists %s, want 4 answered, 2 skipped", got)
	}
	p.screenshot(shots, "survey-done-phone", phoneSize)

	// Changing an answer from the closing screen, while the survey is open.
	p.click(fmt.Sprintf(`.survey-answers li[data-poll="%d"] .survey-change`, ids[3]))
	p.waitFor("back at question 4", at(4))
	p.click(card + ` button.key[data-v="9"]`)
	p.waitFor("the change counted", `document.querySelector('.survey-card .vote-status')?.dataset.status === 'changed'`)
	next("Next")
	next("Skip")
	next("Finish")
	p.waitFor("the closing screen again", `document.querySelector('.survey-card[data-mode=done]')`)

	// The moderators' results hold exactly this phone's answers.
	var res surveyResults
	must(t, srv.URL, "GET", fmt.Sprintf("/api/surveys/%d/results", survey.ID), nil, &res)
	q := res.Questions
	if len(q) != 6 {
		t.Fatalf("%d questions in the results, want 6", len(q))
	}
	if g := q[0].Statements; len(g) != 3 || !slices.Equal(g[0].Counts, []int64{0, 0, 0, 1, 0}) || g[1].Skipped != 1 || !slices.Equal(g[2].Counts, []int64{0, 0, 0, 0, 1}) {
		t.Errorf("grid results = %+v, want Content 4, Speaker skipped, Slides 5", g)
	}
	if !slices.Equal(q[1].Counts, []int64{0, 0}) || !slices.Equal(q[4].Counts, []int64{0, 0, 0, 0, 0}) {
		t.Errorf("skipped questions counted: %v, %v", q[1].Counts, q[4].Counts)
	}
	if q[2].Respondents != 1 {
		t.Errorf("open text respondents = %d, want 1", q[2].Respondents)
	}
	if want := []int64{0, 0, 0, 0, 0, 0, 0, 0, 1, 0}; !slices.Equal(q[3].Counts, want) {
		t.Errorf("recommend = %v, want the changed answer 9 only", q[3].Counts)
	}
	if !slices.Equal(q[5].Counts, []int64{1, 0}) {
		t.Errorf("come back = %v, want one yes", q[5].Counts)
	}

	// The moderators' Surveys section shows the same results, live.
	control := loginControl(b, srv.URL, code)
	tally := func(id int64) string { return fmt.Sprintf(`#survey-%d [data-tally="poll:%d"]`, survey.ID, id) }
	control.waitFor("the grid's results on the control page", fmt.Sprintf(`(() => {
  const rows = [...document.querySelectorAll('%s .grid-row')];
  return rows.length === 3 && rows[0].dataset.mean === '4.000' && rows[1].dataset.count === '0' && rows[2].dataset.mean === '5.000';
})()`, tally(ids[0])))
	control.waitFor("the changed scale answer on the control page", fmt.Sprintf(`document.querySelectorAll('%s .bar')[8]?.dataset.count === '1' && document.querySelectorAll('%s .bar')[7]?.dataset.count === '0'`, tally(ids[3]), tally(ids[3])))
	control.waitFor("skipped questions at zero", fmt.Sprintf(`document.querySelector('%s .tally-text').textContent === '0 votes'`, tally(ids[1])))
	control.eval(fmt.Sprintf(`document.querySelector('#survey-%d').scrollIntoView()`, survey.ID))
	control.screenshot(shots, "survey-control-laptop", controlSize)

	// A grid is also a poll of the stage: its results there, with the words at its ends.
	var grid struct{ ID int64 }
	must(t, srv.URL, "POST", "/api/events/"+code+"/polls", map[string]any{"room_id": room, "question": "Rate the keynote", "kind": "grid",
		"choices": []string{"Content", "Speaker", "Slides", "Demo"}, "scale_max": 10, "settings": map[string]any{"low": "Poor", "high": "Excellent"}, "show_results": true}, &grid)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/open", grid.ID), nil, nil)
	stage := b.newTab("stage", stageSize)
	stage.open(srv.URL + "/stage/" + code)
	gridCard := fmt.Sprintf(`.card[data-target="poll:%d"]`, grid.ID)
	p.waitFor("the stage's grid on the phone", fmt.Sprintf(`document.querySelector('%s .grid-input')`, gridCard))
	for st, v := range []int{9, 7, 0, 10} {
		if v == 0 {
			p.click(fmt.Sprintf(`%s .grid-item[data-statement="%d"] .grid-skip`, gridCard, st+1))
			continue
		}
		p.click(fmt.Sprintf(`%s .grid-item[data-statement="%d"] .grid-key[data-v="%d"]`, gridCard, st+1, v))
	}
	p.click(gridCard + ` .send-answer`)
	p.waitFor("the grid counted", fmt.Sprintf(`document.querySelector('%s .vote-status').dataset.status === 'counted'`, gridCard))
	stage.waitFor("the grid's results on stage", `[...document.querySelectorAll('.grid-row')].map((r) => r.dataset.count).join() === '1,1,0,1'`)
	stage.screenshot(shots, "grid-stage", stageSize)
	p.screenshot(shots, "grid-phone", phoneSize)

	// A survey scheduled a few seconds ahead opens by the clock, on the phone and the control page.
	var later struct{ ID int64 }
	opensAt := time.Now().Add(8 * time.Second)
	opens := opensAt.UTC().Format(time.RFC3339Nano)
	must(t, srv.URL, "POST", "/api/events/"+code+"/surveys", map[string]any{"room_id": room, "title": "Later", "opens_at": opens}, &later)
	must(t, srv.URL, "POST", "/api/events/"+code+"/polls", map[string]any{"survey_id": later.ID, "question": "Lunch?", "kind": "scale", "scale_max": 5}, nil)
	// Opening before opens_at would take answers at once: set the window after the opening.
	must(t, srv.URL, "POST", fmt.Sprintf("/api/surveys/%d/actions/open", later.ID), nil, nil)
	must(t, srv.URL, "PATCH", fmt.Sprintf("/api/surveys/%d", later.ID), map[string]any{"opens_at": opens}, nil)
	laterCard := fmt.Sprintf(`.survey-card[data-survey="%d"]`, later.ID)
	control.waitFor("scheduled on the control page", fmt.Sprintf(`document.querySelector('#survey-%d')?.dataset.phase === 'scheduled'`, later.ID))
	// The phone has the survey's frame once the control page has it; checked only while well before opens_at.
	if offered := jsEval[bool](p.tab, `!!document.querySelector('`+laterCard+`')`); offered && time.Until(opensAt) > time.Second {
		t.Error("a scheduled survey is offered before its opens_at")
	}
	p.waitForWithin(20*time.Second, "offered at its opens_at", `!!document.querySelector('`+laterCard+`')`)
	control.waitForWithin(20*time.Second, "open on the control page", fmt.Sprintf(`document.querySelector('#survey-%d')?.dataset.phase === 'open'`, later.ID))

	// At 320 px with a 32 px font the grid still fits: no sideways scroll.
	// The font is the reader's own setting, as a phone's large text is: the
	// page's media queries follow it.
	small := phonePage{b.newTab("phone 320", viewport{320, 640, true}), ""}
	small.do("font size 32 px", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.SetFontSizes, page.SetFontSizesParams{FontSizes: &page.FontSizes{Standard: 32, Fixed: 26}})
		return err
	}))
	small.open(srv.URL + "/e/" + code)
	small.click(`#join-form button[type=submit]`)
	small.waitFor("the survey offered", `document.querySelector('.survey-card .survey-start')`)
	small.click(`.survey-card .survey-start`)
	small.waitFor("the grid", `document.querySelector('.survey-card .grid-item')`)
	// The survey card itself (the tab bar below is the page's own).
	if wide := small.text(`[...document.querySelectorAll('.survey-card, .survey-card *')].filter((el) => el.getBoundingClientRect().right > 320.5).map((el) => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right)).join('; ')`); wide != "" {
		t.Errorf("at 320 px with a 32 px font the survey overflows: %s", wide)
	}
	small.eval(`document.querySelector('.survey-card .grid-item').scrollIntoView({block: 'center'})`)
	small.screenshot(shots, "survey-grid-320-32px", viewport{320, 640, true})

	// Every page this touches, at the three sizes.
	for _, pg := range []struct {
		tb   *tab
		name string
	}{{p.tab, "survey-audience"}, {control, "survey-control"}, {stage, "grid-stage"}} {
		for _, sz := range []struct {
			name string
			vp   viewport
		}{{"phone", phoneSize}, {"laptop", controlSize}, {"stage", stageSize}} {
			pg.tb.do("emulate "+sz.name, pg.tb.emulate(sz.vp))
			pg.tb.screenshot(shots, pg.name+"-"+sz.name, sz.vp)
		}
	}
	for _, tb := range []*tab{p.tab, small.tab, control, stage} {
		tb.checkConsole()
	}
}
