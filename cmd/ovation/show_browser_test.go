package main

// Browser tests of running the show: a ranking revealed by mistake before
// the last pitch is asked for and undone, the round carrying on where it
// was; the podium revealed one place per press on every stage of the room,
// a reloaded stage resuming at the same place; the room's screen sent to
// the lobby, blanked and brought back; a tie shown with the tie-break that
// decided it, on the podium and in the exports. The control page logs no
// console error on the way: none of these tests tolerates one.

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// roundState reads the round of the pitch night from the model.
func roundState(tb testing.TB, base string, ev pitchNight) (state string, current int64, revealed bool, places int) {
	tb.Helper()
	var m struct {
		Rounds []struct {
			ID              int64
			State           string
			CurrentPitchID  int64 `json:"current_pitch_id"`
			RankingRevealed bool  `json:"ranking_revealed"`
			RevealedPlaces  int   `json:"revealed_places"`
		}
	}
	must(tb, base, "GET", "/api/events/"+ev.Code+"/model", nil, &m)
	for _, r := range m.Rounds {
		if r.ID == ev.RoundID {
			return r.State, r.CurrentPitchID, r.RankingRevealed, r.RevealedPlaces
		}
	}
	tb.Fatalf("round %d not in the model", ev.RoundID)
	return
}

// openControl logs in on the control page of ev and waits for the live panel.
func openControl(b *browser, base string, ev pitchNight) *tab {
	c := b.newTab("control", controlSize)
	c.open(base + "/control#" + ev.Code)
	c.waitFor("login form", `!document.querySelector('#login-view').hidden`)
	c.typeInto("#password", "correct horse")
	c.click(`#login-form button[type=submit]`)
	c.waitFor("live panel", has("#live-title"))
	return c
}

func TestBrowserRevealEarlyIsAskedAndUndone(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "EARLY26")
	b := newBrowser(t)
	shots := shotDir(t)
	stage := b.newTab("stage", stageSize)
	stage.open(srv.URL + "/stage/" + ev.Code)
	phone := joinPhone(b, srv.URL, ev.Code, "Ana")
	control := openControl(b, srv.URL, ev)

	// Pitch 2 of 3 on stage, voting open, its timer running.
	control.click("#act-start")
	control.waitFor("pitch 1 live", `document.querySelector('#live-team').textContent === 'Solaris'`)
	control.key("n")
	control.waitFor("pitch 2 live", `document.querySelector('#live-team').textContent === 'Kelp Labs' && !document.querySelector('#act-voting').disabled`)
	control.key("v")
	control.waitFor("voting open", `document.querySelector('#act-voting').textContent.includes('Close')`)
	control.key("t")
	control.waitFor("timer running", `document.querySelector('#act-timer').textContent.includes('Pause')`)
	target := fmt.Sprintf("pitch:%d", ev.Pitches[1])
	phonePage{phone, "Ana"}.vote(target, 4, "counted")

	// R before the last pitch asks first; cancelling changes nothing.
	control.key("r")
	control.waitFor("confirmation", `document.querySelector('#confirm-dialog').open && document.querySelector('#cf-text').textContent.includes('Kelp Labs')`)
	control.screenshot(shots, "control-reveal-confirm", controlSize)
	control.click("#confirm-no")
	control.waitFor("dialog closed", `!document.querySelector('#confirm-dialog').open`)
	if _, _, revealed, _ := roundState(t, srv.URL, ev); revealed {
		t.Fatal("cancelled reveal revealed the ranking")
	}

	// Confirmed: the ranking is on the stage and the phone, the round is untouched.
	control.key("r")
	control.waitFor("confirmation", `document.querySelector('#confirm-dialog').open`)
	control.click("#confirm-yes")
	stage.waitFor("ranking on stage", has(`#ranking-view[data-reveal="waiting"]`))
	phone.waitFor("ranking card on the phone, pitch card kept", has(".ranking-card")+" && "+has(fmt.Sprintf(`.card[data-target=%q]`, target)))
	state, current, revealed, _ := roundState(t, srv.URL, ev)
	if state != "running" || current != ev.Pitches[1] || !revealed {
		t.Fatalf("after reveal: round %s, current pitch %d, revealed %v; want running at pitch 2", state, current, revealed)
	}
	control.waitFor("hide button", has("#act-hide-ranking"))
	control.screenshot(shots, "control-reveal", controlSize)

	// Hidden again: the stage is back on pitch 2, voting still open, and next works.
	control.click("#act-hide-ranking")
	stage.waitFor("pitch 2 back on stage", fmt.Sprintf(`document.querySelector('#pitch-view[data-pitch="%d"] .state-pill.open')`, ev.Pitches[1]))
	phonePage{phone, "Ana"}.vote(target, 5, "changed")
	control.waitFor("next available", `!document.querySelector('#act-next').disabled`)
	control.key("n")
	stage.waitFor("pitch 3 on stage", fmt.Sprintf(`document.querySelector('#pitch-view[data-pitch="%d"]')`, ev.Pitches[2]))
	control.waitFor("pitch 3 live", `document.querySelector('#live-team').textContent === 'Quill' && document.querySelector('#act-timer').textContent.includes('Start')`)

	// Finishing is its own action, asked for: the round ends, no timer runs.
	control.key("t")
	control.waitFor("timer running", `document.querySelector('#act-timer').textContent.includes('Pause')`)
	control.key("f")
	control.waitFor("finish confirmation", `document.querySelector('#confirm-dialog').open`)
	control.click("#confirm-yes")
	control.waitFor("round finished, no countdown", `!document.querySelector('#act-finish') && document.querySelector('#live-clock').textContent === '–:––'`)
	if running := jsEval[bool](control, `[...document.querySelectorAll('#console-view .countdown')].some((c) => c._timer && c._timer.running)`); running {
		t.Error("a countdown still runs on the control page of a finished round")
	}

	// The audit log says it in words.
	control.click("#audit-summary")
	control.waitFor("finish in the audit log", has(`#audit-table tr[data-action="finish"]`))
	if got := control.text(`document.querySelector('#audit-table tr[data-action="finish"]').innerText`); !strings.Contains(got, "Round finished") || !strings.Contains(got, "Grand final") {
		t.Errorf("audit row of finish = %q", got)
	}
	for _, tb := range []*tab{stage, control, phone} {
		tb.checkConsole()
	}
}

func TestBrowserPacedPodiumOnTwoStages(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "PODIUM26")
	b := newBrowser(t)
	shots := shotDir(t)
	// Votes: Quill 5 5, Solaris 4 4, Kelp Labs 4: Solaris and Kelp Labs tie
	// on score, Solaris has more votes.
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/start", ev.RoundID), nil, nil)
	votes := [][]int{{4, 4}, {4}, {5, 5}}
	voters := []joined{join(t, srv.URL, ev.Code, map[string]any{}), join(t, srv.URL, ev.Code, map[string]any{})}
	for i, vs := range votes {
		if i > 0 {
			must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/next", ev.RoundID), nil, nil)
		}
		must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/open", ev.Pitches[i]), nil, nil)
		for j, v := range vs {
			var ack struct{ Status string }
			if st := call(t, srv.URL, "POST", "/api/votes", voters[j].Token, map[string]any{"vote_id": fmt.Sprint("v", i, j), "target": fmt.Sprintf("pitch:%d", ev.Pitches[i]), "value": v}, &ack); st != 200 {
				t.Fatalf("vote: %d %+v", st, ack)
			}
		}
	}
	must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/close", ev.Pitches[2]), nil, nil)

	stages := []*tab{b.newTab("stage 1", stageSize), b.newTab("stage 2", stageSize)}
	for _, s := range stages {
		s.open(srv.URL + "/stage/" + ev.Code)
		s.waitFor("pitch on stage", has("#pitch-view"))
	}
	phone := joinPhone(b, srv.URL, ev.Code, "Ben")
	control := openControl(b, srv.URL, ev)
	control.waitFor("last pitch live", `document.querySelector('#live-team').textContent === 'Quill'`)

	// At the last pitch, R reveals without asking; each R reveals one place,
	// the third first, on both stages and the phone at once.
	control.key("r")
	for _, s := range stages {
		s.waitFor("empty podium", has(`#ranking-view[data-reveal="waiting"]`)+" && document.querySelectorAll('#podium .waiting-place').length === 3")
	}
	wantOrder := []int64{ev.Pitches[2], ev.Pitches[0], ev.Pitches[1]} // Quill, Solaris, Kelp Labs
	for n := 1; n <= 3; n++ {
		control.waitFor("next place", fmt.Sprintf(`document.querySelector('#reveal-progress') && document.querySelector('#reveal-progress').textContent.startsWith('%d ')`, n-1))
		control.key("r")
		var ids []string
		for _, id := range wantOrder[3-n:] {
			ids = append(ids, fmt.Sprint(id))
		}
		for _, s := range stages {
			s.waitFor(fmt.Sprintf("%d places", n), fmt.Sprintf(`document.querySelector('#ranking-view').dataset.places === '%d' && document.querySelector('#ranking-view').dataset.order === %q && document.querySelector('#ranking-view').dataset.reveal === 'done'`, n, strings.Join(ids, ",")))
			if got := jsEval[int](s, `document.querySelectorAll('#podium .waiting-place').length`); got != 3-n {
				t.Errorf("%s: %d places still waiting, want %d", s.name, got, 3-n)
			}
		}
		phone.waitFor(fmt.Sprintf("%d places on the phone", n), fmt.Sprintf(`document.querySelector('.ranking-card') && document.querySelector('.ranking-card').dataset.places === '%d'`, n))
		if n == 1 {
			// Kelp Labs is third: it ties with Solaris on score, and says so.
			tie := stages[0].text(`document.querySelector('#podium .p3 .tie') ? document.querySelector('#podium .p3 .tie').textContent : ''`)
			if tie != "Same score as no. 2: fewer votes" {
				t.Errorf("third place's tie-break = %q", tie)
			}
			stages[0].screenshot(shots, "stage-podium-third", stageSize)
			phone.screenshot(shots, "audience-ranking-third", phoneSize)
			// A stage reloaded mid-reveal shows the same place.
			stages[1].open(srv.URL + "/stage/" + ev.Code)
			stages[1].waitFor("same place after a reload", `document.querySelector('#ranking-view') && document.querySelector('#ranking-view').dataset.places === '1'`)
		}
	}
	stages[0].screenshot(shots, "stage-podium", stageSize)
	stages[0].checkContrast("podium")
	if _, _, _, places := roundState(t, srv.URL, ev); places != 3 {
		t.Errorf("revealed_places = %d, want 3", places)
	}

	// The tie-break is in the exports too.
	var res struct {
		Rounds []struct {
			Ranking []struct {
				Team     string
				TieBreak string `json:"tie_break"`
			}
		}
	}
	must(t, srv.URL, "GET", "/api/events/"+ev.Code+"/results", nil, &res)
	if r := res.Rounds[0].Ranking; len(r) != 3 || r[1].TieBreak != "" || r[2].Team != "Kelp Labs" || r[2].TieBreak != "votes" {
		t.Errorf("results ranking = %+v", r)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/events/"+ev.Code+"/results?format=csv", nil)
	req.Header.Set("Authorization", "Bearer "+testAPIToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil || rows[0][10] != "tie_break" || rows[3][3] != "Kelp Labs" || rows[3][10] != "votes" {
		t.Errorf("CSV = %q (%v)", rows, err)
	}

	// Automatic podium: hidden, then revealed again, every place at once.
	control.key("r") // every place shown: R hides
	for _, s := range stages {
		s.waitFor("ranking hidden", `!document.querySelector('#ranking-view')`)
	}
	control.click("#auto-reveal")
	control.waitFor("auto reveal saved", `document.querySelector('#auto-reveal').checked && document.querySelector('#act-ranking').textContent.includes('Reveal ranking')`)
	control.key("r")
	for _, s := range stages {
		s.waitFor("whole podium at once", `document.querySelector('#ranking-view') && document.querySelector('#ranking-view').dataset.places === '3' && document.querySelector('#ranking-view').dataset.reveal === 'done'`)
	}
	for _, tb := range append(stages, control, phone) {
		tb.checkConsole()
	}
}

func TestBrowserScreenControl(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "SCREEN26")
	b := newBrowser(t)
	shots := shotDir(t)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/start", ev.RoundID), nil, nil)
	stages := []*tab{b.newTab("stage 1", stageSize), b.newTab("stage 2", stageSize)}
	for _, s := range stages {
		s.open(srv.URL + "/stage/" + ev.Code)
		s.waitFor("pitch on stage", has("#pitch-view"))
	}
	control := openControl(b, srv.URL, ev)
	control.waitFor("screen switch", `document.querySelector('#screen-current').getAttribute('aria-pressed') === 'true'`)

	// Lobby: every stage of the room shows it, though a pitch is on stage.
	control.click("#screen-lobby")
	for _, s := range stages {
		s.waitFor("lobby", has("#lobby")+" && document.body.dataset.view === 'lobby'")
	}
	control.waitFor("lobby pressed", `document.querySelector('#screen-lobby').getAttribute('aria-pressed') === 'true' && document.querySelector('#screen-note')`)
	control.screenshot(shots, "control-screen", controlSize)

	// Blank: the event's colour, nothing else.
	control.click("#screen-blank")
	for _, s := range stages {
		s.waitFor("blank", `document.body.dataset.view === 'blank' && getComputedStyle(document.body).backgroundColor === 'rgb(91, 61, 245)' && getComputedStyle(document.querySelector('.stage-root')).visibility === 'hidden'`)
	}
	// (No screenshot: a blank screen is one colour, which the screenshot check refuses as a blank page.)
	// A reloaded stage obeys too.
	stages[1].open(srv.URL + "/stage/" + ev.Code)
	stages[1].waitFor("blank after a reload", `document.body.dataset.view === 'blank'`)

	// Current: back to the pitch.
	control.click("#screen-current")
	for _, s := range stages {
		s.waitFor("pitch again", fmt.Sprintf(`document.querySelector('#pitch-view[data-pitch="%d"]')`, ev.Pitches[0]))
	}
	control.click("#audit-summary")
	control.waitFor("screen changes in the audit log", `document.querySelectorAll('#audit-table tr[data-action="screen"]').length === 3`)
	if got := control.text(`document.querySelector('#audit-table tr[data-action="screen"]').innerText`); !strings.Contains(got, "Stage screen") || !strings.Contains(got, "Main stage") || !strings.Contains(got, "Current") {
		t.Errorf("audit row of the screen = %q", got)
	}
	for _, tb := range append(stages, control) {
		tb.checkConsole()
	}
}

// TestBrowserLiveControlsTogether shows the poll on stage driven from the
// live panel, its result live there, and the board queue sorted by upvotes
// or by time, its pending entries approved at once (one audited request each).
func TestBrowserLiveControlsTogether(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "TOGETHER26")
	shots := shotDir(t)
	board := createBoard(t, srv.URL, ev.Code, map[string]any{"title": "Questions", "room_id": ev.RoomID, "moderation": "pre", "open": true})
	entry := func(text string) (int64, string) {
		t.Helper()
		p := join(t, srv.URL, ev.Code, map[string]any{})
		var e struct{ ID int64 }
		if st := call(t, srv.URL, "POST", fmt.Sprintf("/api/events/%s/boards/%d/entries", ev.Code, board), p.Token, map[string]any{"text": text}, &e); st != 201 {
			t.Fatalf("entry %q: status %d", text, st)
		}
		return e.ID, p.Token
	}
	// Four entries, oldest first; the first two approved, the second upvoted twice, the first once.
	var ids []int64
	var tokens []string
	for _, text := range []string{"How do you make money?", "What is your churn?", "Who is on the team?", "When do you launch?"} {
		id, tok := entry(text)
		ids = append(ids, id)
		tokens = append(tokens, tok)
	}
	for _, id := range ids[:2] {
		must(t, srv.URL, "POST", fmt.Sprintf("/api/events/%s/entries/%d/actions/approve", ev.Code, id), nil, nil)
	}
	for _, up := range []struct {
		entry int64
		tok   string
	}{{ids[1], tokens[0]}, {ids[1], tokens[2]}, {ids[0], tokens[3]}} {
		if st := call(t, srv.URL, "PUT", fmt.Sprintf("/api/events/%s/entries/%d/upvote", ev.Code, up.entry), up.tok, nil, nil); st != 200 {
			t.Fatalf("upvote %d: status %d", up.entry, st)
		}
	}

	b := newBrowser(t)
	control := openControl(b, srv.URL, ev)
	if control.text(`document.querySelector('#live-poll') ? 'shown' : ''`) != "" {
		t.Error("the live panel shows a poll controls though no poll is on stage")
	}

	// The poll, opened from its card, comes into the live panel with its controls and result.
	control.click(fmt.Sprintf("#poll-%d-toggle", ev.PollID))
	control.waitFor("the poll in the live panel", fmt.Sprintf(`document.querySelector('#live-panel #live-poll[data-poll="%d"]') && document.querySelector('#live-poll-%d-toggle')`, ev.PollID, ev.PollID))
	voter := join(t, srv.URL, ev.Code, map[string]any{})
	if st := call(t, srv.URL, "POST", "/api/votes", voter.Token, map[string]any{"vote_id": "together-1", "target": fmt.Sprintf("poll:%d", ev.PollID), "value": 1}, nil); st != 200 {
		t.Fatalf("poll vote: status %d", st)
	}
	control.waitFor("the poll's result in the live panel", `document.querySelector('#live-poll .tally-text').textContent === '1 vote' && document.querySelectorAll('#live-poll .bars .bar').length === 3`)
	if got := jsEval[float64](control, `document.querySelector('#live-poll').getBoundingClientRect().top - document.querySelector('#live-panel').getBoundingClientRect().top`); got > 400 {
		t.Errorf("the poll's controls are %v px below the top of the live panel", got)
	}
	control.eval(`window.scrollTo(0, 0)`)
	control.screenshot(shots, "control-live-poll", controlSize)
	pollState := func() (state string, shown bool) {
		var m struct {
			Polls []struct {
				ID          int64
				State       string
				ShowResults bool `json:"show_results"`
			}
		}
		must(t, srv.URL, "GET", "/api/events/"+ev.Code+"/model", nil, &m)
		for _, p := range m.Polls {
			if p.ID == ev.PollID {
				return p.State, p.ShowResults
			}
		}
		return "", false
	}
	control.click(fmt.Sprintf("#live-poll-%d-results", ev.PollID))
	control.waitFor("results hidden from the live panel", fmt.Sprintf(`document.querySelector('#live-poll-%d-results')?.textContent.includes('Show')`, ev.PollID))
	if state, shown := pollState(); state != "open" || shown {
		t.Errorf("after Hide results in the live panel the poll is %s, results shown %v", state, shown)
	}
	control.click(fmt.Sprintf("#live-poll-%d-results", ev.PollID))
	control.waitFor("results shown again", fmt.Sprintf(`document.querySelector('#live-poll-%d-results')?.textContent.includes('Hide')`, ev.PollID))
	control.click(fmt.Sprintf("#live-poll-%d-toggle", ev.PollID))
	control.waitFor("closed, still on stage with its results", fmt.Sprintf(`document.querySelector('#live-poll-%d-toggle')?.textContent.includes('Open')`, ev.PollID))
	if state, shown := pollState(); state != "closed" || !shown {
		t.Errorf("after Close in the live panel the poll is %s, results shown %v", state, shown)
	}

	// The board queue: newest first, then by upvotes; the pending ones approved at once.
	order := func(ids ...int64) string {
		s := make([]string, len(ids))
		for i, id := range ids {
			s[i] = fmt.Sprint(id)
		}
		return strings.Join(s, ",")
	}
	control.waitFor("the queue newest first", fmt.Sprintf(`document.querySelector('#board-queue')?.dataset.order === %q`, order(ids[3], ids[2], ids[1], ids[0])))
	control.click("#board-sort-top")
	control.waitFor("the queue by upvotes", fmt.Sprintf(`document.querySelector('#board-queue').dataset.order === %q && document.querySelector('#board-sort-top').getAttribute('aria-pressed') === 'true'`,
		order(ids[1], ids[0], ids[2], ids[3])))
	control.eval(`document.querySelector('#board-panel').scrollIntoView()`)
	control.screenshot(shots, "control-board-sorted", controlSize)
	control.click("#board-approve-all")
	control.waitFor("every entry approved", `document.querySelector('#board-queue').dataset.pending === '0' && !document.querySelector('#board-approve-all')
  && [...document.querySelectorAll('#board-queue .queue-entry')].every((e) => e.dataset.status === 'approved')`)
	control.waitFor("the toast", `document.querySelector('#toast').textContent === '2 entries approved'`)
	var audit []struct{ Action, Target string }
	must(t, srv.URL, "GET", "/api/events/"+ev.Code+"/audit", nil, &audit)
	approved := 0
	for _, a := range audit {
		if a.Action == "approve_entry" {
			approved++
		}
	}
	if approved != 4 {
		t.Errorf("audit: %d approve_entry rows, want 4 (two before, two from Approve all)", approved)
	}
	control.checkConsole()
}
