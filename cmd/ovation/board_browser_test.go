package main

// Browser tests of the audience boards and the meeting requests: questions
// from two phones, upvoted, moderated and highlighted on the stage; a naming
// contest from proposals (approved and upvoted on phones) to a final keypad
// poll with a ranked result; a meeting request made on a phone, seen on the
// control page and exported.

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// queueEntryID is the id of a board's entries by text, read from the control
// page's queue.
func queueEntryID(t *testing.T, control *tab, text string) int64 {
	t.Helper()
	control.waitFor("entry "+text+" in the queue", `[...document.querySelectorAll('#board-queue .queue-entry')].some((e) => e.querySelector('.post-text').textContent === `+jsString(text)+`)`)
	id := control.text(`[...document.querySelectorAll('#board-queue .queue-entry')].find((e) => e.querySelector('.post-text').textContent === ` + jsString(text) + `).dataset.entryId`)
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		t.Fatalf("entry id %q: %v", id, err)
	}
	return n
}

// loginControl opens the control page of code and logs in.
func loginControl(b *browser, base, code string) *tab {
	control := b.newTab("control", controlSize)
	control.open(base + "/control#" + code)
	control.waitFor("login form", `!document.querySelector('#login-view').hidden`)
	control.typeInto("#password", "correct horse")
	control.click(`#login-form button[type=submit]`)
	control.waitFor("boards panel", has("#board-panel .card-head"))
	return control
}

// joinPhone opens the audience page on a new phone and joins as name.
func joinPhone(b *browser, base, code, name string) *tab {
	p := b.newTab("phone "+name, phoneSize)
	p.open(base + "/e/" + code)
	if name != "" {
		p.typeInto("#name", name)
	}
	p.click(`#join-form button[type=submit]`)
	p.waitFor("joined", has("#whoami"))
	return p
}

// submitEntry types text (and a display name) into a board's box on a phone
// and waits for the answer.
func submitEntry(p *tab, board int64, name, text string) {
	p.t.Helper()
	pre := fmt.Sprintf("#b%d", board)
	p.waitFor("board box", has(pre+"-text"))
	p.eval(fmt.Sprintf(`document.querySelector('%s-status').textContent = ''; document.querySelector('%s-name').value = ''`, pre, pre))
	if name != "" {
		p.typeInto(pre+"-name", name)
	}
	p.typeInto(pre+"-text", text)
	p.click(pre + "-submit")
	p.waitFor("entry sent", fmt.Sprintf(`document.querySelector('%s-status').textContent !== '' || document.querySelector('%s-error').textContent !== ''`, pre, pre))
}

// upvote taps the upvote button of entry on a phone and waits for its state.
func upvote(p *tab, entry int64, pressed bool, count int) {
	p.t.Helper()
	sel := upvoteButton(p, entry)
	p.click(sel)
	p.waitFor(fmt.Sprintf("entry %d upvoted=%v count %d", entry, pressed, count), fmt.Sprintf(
		`document.querySelector('%s').getAttribute('aria-pressed') === '%v' && document.querySelector('%s .up-count').textContent === '%d'`, sel, pressed, sel, count))
}

// upvoteButton waits for entry's upvote button on a phone, with the phone's
// own upvotes loaded, and returns its selector.
func upvoteButton(p *tab, entry int64) string {
	p.t.Helper()
	sel := fmt.Sprintf("#up-%d", entry)
	p.waitFor("upvote button", has(sel)+` && document.querySelector('`+sel+`').closest('.board-card').dataset.upvotedLoaded === '1'`)
	return sel
}

// tapThrough taps sel on p with the press and the release apart, running
// between them what sends the page a frame: a frame arriving under a finger
// must not swallow the tap.
func tapThrough(p *tab, sel string, between func()) {
	p.t.Helper()
	at := jsEval[[]float64](p, `(() => { const b = document.querySelector(`+jsString(sel)+`); b.scrollIntoView({block: 'center'}); const r = b.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`)
	p.do("press "+sel, chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, at[0], at[1], chromedp.ButtonLeft, chromedp.ClickCount(1)))
	between()
	p.do("release "+sel, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, at[0], at[1], chromedp.ButtonLeft, chromedp.ClickCount(1)))
}

func createBoard(t *testing.T, base, code string, body map[string]any) int64 {
	t.Helper()
	var b struct{ ID int64 }
	must(t, base, "POST", "/api/events/"+code+"/boards", body, &b)
	return b.ID
}

// getText fetches path with the API token and returns the body.
func getText(t *testing.T, base, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+testAPIToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func TestBrowserQuestions(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "ASK26")
	shots := shotDir(t)
	board := createBoard(t, srv.URL, ev.Code, map[string]any{"title": "Questions for the jury", "room_id": ev.RoomID, "moderation": "pre", "open": true})

	b := newBrowser(t)
	stage := b.newTab("stage", stageSize)
	stage.open(srv.URL + "/stage/" + ev.Code)
	stage.waitFor("stage lobby", has("#lobby"))
	top := b.newTab("stage board view", stageSize)
	top.open(fmt.Sprintf("%s/stage/%s?view=board&board=%d", srv.URL, ev.Code, board))
	top.waitFor("board view, empty", has("#board-view")+` && document.querySelector('#stage-board').dataset.board === '`+strconv.FormatInt(board, 10)+`' && document.querySelectorAll('#stage-board li').length === 0`)
	control := loginControl(b, srv.URL, ev.Code)
	ana, bo := joinPhone(b, srv.URL, ev.Code, "Ana"), joinPhone(b, srv.URL, ev.Code, "Bo")

	const (
		profit = "How will you reach profitability?"
		churn  = "What is your churn rate?"
		spam   = "Buy followers at cheap-likes dot com"
	)
	submitEntry(ana, board, "Ana", profit)
	submitEntry(bo, board, "", churn)
	submitEntry(bo, board, "", spam)
	for _, p := range []*tab{ana, bo} {
		if got := p.text(fmt.Sprintf(`document.querySelector('#b%d-status').textContent`, board)); got == "" {
			t.Errorf("%s: no word that the entry waits for a moderator", p.name)
		}
	}
	// Pre-moderated: nothing public before a moderator decides.
	ids := map[string]int64{}
	for _, q := range []string{profit, churn, spam} {
		ids[q] = queueEntryID(t, control, q)
	}
	control.waitFor("three pending", `document.querySelector('#board-queue').dataset.pending === '3'`)
	for _, p := range []*tab{ana, bo} {
		if n := p.text(fmt.Sprintf(`document.querySelector('#b%d-list').dataset.count ?? ''`, board)); n != "0" {
			t.Errorf("%s shows %s public entries before moderation", p.name, n)
		}
	}
	control.click(fmt.Sprintf("#be-%d-approve", ids[profit]))
	control.click(fmt.Sprintf("#be-%d-approve", ids[churn]))
	control.click(fmt.Sprintf("#be-%d-reject", ids[spam]))
	control.waitFor("decided", fmt.Sprintf(`document.querySelector('#board-queue').dataset.pending === '0' && document.querySelector('#board-queue [data-entry-id="%d"]').dataset.status === 'rejected'`, ids[spam]))

	// Upvotes: churn 2 (both phones), profitability 0 (Ana upvotes, then retracts).
	for _, p := range []*tab{ana, bo} {
		p.waitFor("two questions", fmt.Sprintf(`document.querySelector('#b%d-list').dataset.count === '2' && !document.querySelector('#b%d-list').textContent.includes('cheap-likes')`, board, board))
	}
	upvote(ana, ids[profit], true, 1)
	upvote(ana, ids[churn], true, 1)
	upvote(bo, ids[churn], true, 2)
	upvote(ana, ids[profit], false, 0)
	order := fmt.Sprintf("%d,%d", ids[churn], ids[profit])
	for _, p := range []*tab{ana, bo} {
		p.waitFor("top order", fmt.Sprintf(`document.querySelector('#b%d-list').dataset.order === '%s' && document.querySelector('#up-%d .up-count').textContent === '2' && document.querySelector('#up-%d .up-count').textContent === '0'`, board, order, ids[churn], ids[profit]))
	}
	top.waitFor("top entries live on stage", fmt.Sprintf(`[...document.querySelectorAll('#stage-board li')].map((li) => li.dataset.entryId).join(',') === '%s' && document.querySelector('#stage-board li .sb-ups').textContent === '2'`, order))

	// Highlighted full screen on both screens ("now answering"), then answered.
	control.click(fmt.Sprintf("#be-%d-highlight", ids[churn]))
	for _, s := range []*tab{stage, top} {
		s.waitFor("now answering", has("#highlight-view")+` && document.querySelector('#highlight-text').textContent === `+jsString(churn))
	}
	stage.screenshot(shots, "stage-highlight", stageSize)
	control.click(fmt.Sprintf("#be-%d-answer", ids[churn]))
	for _, p := range []*tab{ana, bo} {
		p.waitFor("answered on the phone", fmt.Sprintf(`document.querySelector('#board-%d [data-entry-id="%d"]').dataset.status === 'answered' && document.querySelector('#up-%d').disabled`, board, ids[churn], ids[churn]))
	}
	stage.waitFor("still on stage once answered", `document.querySelector('#highlight-text')?.textContent === `+jsString(churn))
	control.click("#board-unhighlight")
	control.waitFor("highlight cleared on control", `!document.querySelector('#board-unhighlight')`)
	stage.waitFor("back to the lobby", has("#lobby")+` && !document.querySelector('#highlight-view')`)
	top.waitFor("back to the board view", has("#board-view")+` && !document.querySelector('#highlight-view')`)

	// Every decision is in the audit trail.
	var audit []struct{ Action, Target string }
	must(t, srv.URL, "GET", "/api/events/"+ev.Code+"/audit", nil, &audit)
	seen := map[string]int{}
	for _, a := range audit {
		seen[a.Action]++
	}
	for action, n := range map[string]int{"approve_entry": 2, "reject_entry": 1, "answer_entry": 1, "highlight_entry": 2} {
		if seen[action] != n {
			t.Errorf("audit: %d %s, want %d (%v)", seen[action], action, n, seen)
		}
	}
	for _, tb := range []*tab{stage, top, control, ana, bo} {
		tb.checkConsole()
	}
}

func TestBrowserNamingContest(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "NAME26")
	shots := shotDir(t)
	board := createBoard(t, srv.URL, ev.Code, map[string]any{"title": "Name the event", "room_id": 0})

	b := newBrowser(t)
	stage := b.newTab("stage", stageSize)
	stage.open(srv.URL + "/stage/" + ev.Code)
	stage.waitFor("stage lobby", has("#lobby"))
	control := loginControl(b, srv.URL, ev.Code)
	phones := []*tab{joinPhone(b, srv.URL, ev.Code, "Ana"), joinPhone(b, srv.URL, ev.Code, "Bo"), joinPhone(b, srv.URL, ev.Code, "Cy")}

	names := []string{"Ovation", "Encore", "Applause"}
	for i, n := range names {
		submitEntry(phones[i], board, "", n)
	}
	ids := map[string]int64{}
	for _, n := range names {
		ids[n] = queueEntryID(t, control, n)
		control.click(fmt.Sprintf("#be-%d-approve", ids[n]))
	}
	control.waitFor("all approved", `document.querySelector('#board-queue').dataset.pending === '0' && [...document.querySelectorAll('#board-queue .queue-entry')].every((e) => e.dataset.status === 'approved')`)
	// Upvotes: Ovation 3, Encore 1, Applause 0 (1 while Bo taps Encore).
	for i, p := range phones {
		p.waitFor("proposals", fmt.Sprintf(`document.querySelector('#b%d-list').dataset.count === '3'`, board))
		upvote(p, ids["Ovation"], true, i+1)
	}
	// Bo's finger is on Encore while Cy's upvote of Applause reaches Bo's
	// page (and back down to 0: the order the poll below expects).
	encore := upvoteButton(phones[1], ids["Encore"])
	tapThrough(phones[1], encore, func() {
		upvote(phones[2], ids["Applause"], true, 1)
		control.waitFor("Applause upvoted", fmt.Sprintf(`document.querySelector('#board-queue [data-entry-id="%d"]').textContent.includes('1 upvote')`, ids["Applause"]))
		time.Sleep(300 * time.Millisecond) // the same frame reaches Bo's page
	})
	phones[1].waitFor("Encore upvoted through a frame", fmt.Sprintf(`document.querySelector('%s').getAttribute('aria-pressed') === 'true' && document.querySelector('%s .up-count').textContent === '1' && document.querySelector('#up-%d .up-count').textContent === '1'`, encore, encore, ids["Applause"]))
	upvote(phones[2], ids["Applause"], false, 0)
	control.waitFor("top order on control", fmt.Sprintf(`document.querySelector('#board-queue [data-entry-id="%d"]').textContent.includes('3 upvotes')`, ids["Ovation"]))
	phones[1].waitFor("upvotes on the phone", fmt.Sprintf(`document.querySelector('#b%d-list').dataset.order === '%d,%d,%d'`, board, ids["Ovation"], ids["Encore"], ids["Applause"]))
	phones[1].eval(fmt.Sprintf(`scrollTo(0, document.querySelector('#board-%d').getBoundingClientRect().top + scrollY - 70)`, board))
	phones[1].screenshot(shots, "audience-board", phoneSize)
	phones[1].eval(`scrollTo(0, 0)`)
	control.eval(`scrollTo(0, document.querySelector('#board-panel').getBoundingClientRect().top + scrollY - 80)`)
	control.screenshot(shots, "control-board", controlSize)

	// Top 3 to a keypad poll, opened with the poll controls.
	control.click("#board-to-poll")
	control.waitFor("poll form", has("#f-n"))
	control.eval(`document.querySelector('#f-n').value = '3'; document.querySelector('#f-question').value = 'Our new name?'`)
	control.click(`#dlg-form button[type=submit]`)
	control.waitFor("poll linked", has("#board-poll-link"))
	pollID, err := strconv.ParseInt(strings.TrimPrefix(control.text(`document.querySelector('#board-poll-link').getAttribute('href')`), "#poll-"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	control.waitFor("poll card", fmt.Sprintf(`document.querySelector('#poll-%d-title')?.textContent === 'Our new name?'`, pollID))
	control.click(fmt.Sprintf("#poll-%d-toggle", pollID))
	control.click(fmt.Sprintf("#poll-%d-results", pollID))
	target := fmt.Sprintf("poll:%d", pollID)
	// A = Ovation, B = Encore, C = Applause (the board's top order).
	for i, v := range []int{1, 2, 1} {
		phonePage{phones[i], ""}.vote(target, v, "counted")
	}
	phones[0].waitFor("choices in top order", fmt.Sprintf(`[...document.querySelectorAll('.card[data-target="%s"] .choice-key')].map((k) => k.textContent).join('|') === 'A Ovation|B Encore|C Applause'`, target))
	control.click(fmt.Sprintf("#poll-%d-toggle", pollID))
	stage.waitFor("results, winner first", `document.querySelector('#stage-bars') && document.querySelectorAll('#stage-bars .bar').length === 3 && document.querySelector('#stage-bars .bar').classList.contains('lead') && document.querySelector('#stage-bars .bar .label').textContent.includes('Ovation') && document.querySelector('#stage-bars').textContent.includes('67')`)
	for _, p := range phones {
		p.waitFor("results on the phone", fmt.Sprintf(`!document.querySelector('.card[data-target="%s"] .results-block').hidden`, target))
	}
	for _, tb := range append([]*tab{stage, control}, phones...) {
		tb.checkConsole()
	}
}

func TestBrowserMeetingRequest(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "MEET26")
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/start", ev.RoundID), nil, nil)

	b := newBrowser(t)
	control := loginControl(b, srv.URL, ev.Code)
	control.waitFor("no requests", `document.querySelector('#meet-total').dataset.count === '0'`)
	phone := joinPhone(b, srv.URL, ev.Code, "Zoé")
	btn := fmt.Sprintf("#meet-%d", ev.Pitches[0])
	phone.waitFor("meet button, no form before the tap", has(btn)+` && !document.querySelector('.meet-form')`)
	phone.click(btn)
	pre := fmt.Sprintf("#mf-%d", ev.Pitches[0])
	phone.waitFor("meet form", has(pre+"-name")+" && "+has(pre+"-consent"))
	if got := phone.text(`document.querySelector('.meet-form .consent').textContent`); !strings.Contains(got, "deleted with the event") {
		t.Errorf("consent text %q", got)
	}
	phone.typeInto(pre+"-name", "Zoé Martin")
	phone.typeInto(pre+"-company", "=Acme")
	phone.typeInto(pre+"-role", "CTO")
	phone.typeInto(pre+"-email", "zoe@example.com")
	// Without the box ticked nothing is sent.
	phone.click(pre + "-send")
	phone.waitFor("consent asked", `document.querySelector('`+pre+`-consent-error').textContent !== ''`)
	phone.click(pre + "-consent")
	phone.click(pre + "-send")
	phone.waitFor("request sent", has(fmt.Sprintf("#meet-%d-sent", ev.Pitches[0]))+" && "+has(fmt.Sprintf("#meet-%d-withdraw", ev.Pitches[0])))

	control.click("#meet-refresh")
	control.waitFor("request on the control page", fmt.Sprintf(`document.querySelector('#meet-pitch-%d')?.dataset.count === '1' && document.querySelector('#meet-pitch-%d tbody').textContent.includes('zoe@example.com')`, ev.Pitches[0], ev.Pitches[0]))
	href := control.text(fmt.Sprintf(`document.querySelector('#meet-csv-%d').getAttribute('href')`, ev.Pitches[0]))
	st, csv := getText(t, srv.URL, href)
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if st != 200 || len(lines) != 2 || !strings.HasPrefix(lines[0], "team,name,company,role,email") ||
		!strings.HasPrefix(lines[1], ev.Teams[0]+",Zoé Martin,'=Acme,CTO,zoe@example.com,") {
		t.Errorf("meeting requests CSV: %d\n%s", st, csv)
	}

	// Withdrawn: gone from the export.
	phone.click(fmt.Sprintf("#meet-%d-withdraw", ev.Pitches[0]))
	phone.waitFor("withdrawn", has(btn))
	control.click("#meet-refresh")
	control.waitFor("no requests", `document.querySelector('#meet-total').dataset.count === '0'`)
	if _, csv := getText(t, srv.URL, href); len(strings.Split(strings.TrimSpace(csv), "\n")) != 1 {
		t.Errorf("after withdrawal the CSV still holds %q", csv)
	}
	for _, tb := range []*tab{control, phone} {
		tb.checkConsole()
	}
}
