package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestBrowserSessionFeedback: a talk's feedback opens by itself when the
// talk ends, a copy of the event's template, on the phones of its room
// only ("Rate the talk: …"); a phone answers it; it closes by itself when
// the event's window (feedback_open_for) is over; and its results show
// per speaker on the control page and in the exports.
func TestBrowserSessionFeedback(t *testing.T) {
	t.Parallel()
	srv := startServer(t, t.TempDir())
	const code = "RATEIT"
	must(t, srv.URL, "POST", "/api/events", map[string]any{"code": code, "title": "Rate it", "languages": []string{"en", "fr"}}, nil)
	var model struct {
		Rooms []struct{ ID int64 } `json:"rooms"`
	}
	must(t, srv.URL, "GET", "/api/events/"+code+"/model", nil, &model)
	roomA := model.Rooms[0].ID
	must(t, srv.URL, "PATCH", fmt.Sprintf("/api/rooms/%d", roomA), map[string]any{"name": "Amphi Bleu"}, nil)
	var roomB struct{ ID int64 }
	must(t, srv.URL, "POST", "/api/events/"+code+"/rooms", map[string]string{"name": "Salle Verte"}, &roomB)

	// The template: a draft survey of the event, never offered itself.
	var tpl struct{ ID int64 }
	must(t, srv.URL, "POST", "/api/events/"+code+"/surveys", map[string]any{"room_id": roomA, "title": "Talk feedback", "thanks": "Thank you!"}, &tpl)
	must(t, srv.URL, "POST", "/api/events/"+code+"/polls", map[string]any{"survey_id": tpl.ID, "question": "How was the talk?", "kind": "grid",
		"choices": []string{"Content", "Delivery"}, "scale_max": 5, "settings": map[string]any{"low": "Poor", "high": "Excellent"}, "required": true}, nil)
	must(t, srv.URL, "POST", "/api/events/"+code+"/polls", map[string]any{"survey_id": tpl.ID, "question": "What should change?", "kind": "opentext"}, nil)
	const window = 15 * time.Second
	must(t, srv.URL, "PUT", "/api/events/"+code+"/feedback/settings", map[string]any{"template_survey_id": tpl.ID, "feedback_open_for": window.String()}, nil)

	// The talk in room A ends a few seconds from now; room B's later.
	now := time.Now().UTC()
	end := now.Add(12 * time.Second).Truncate(time.Second)
	const title = "Five thousand phones, one vote path"
	var talk, later struct{ ID int64 }
	must(t, srv.URL, "POST", "/api/events/"+code+"/programme/sessions", map[string]any{"title": title, "room_id": roomA,
		"speakers": []map[string]string{{"name": "Ada Lovelace", "affiliation": "Analytical"}, {"name": "Grace Hopper"}},
		"start":    now.Add(-30 * time.Minute), "end": end}, &talk)
	must(t, srv.URL, "POST", "/api/events/"+code+"/programme/sessions", map[string]any{"title": "Compilers at scale", "room_id": roomB.ID,
		"speakers": []map[string]string{{"name": "Grace Hopper"}}, "start": now, "end": now.Add(2 * time.Hour)}, &later)

	b := newBrowser(t)
	shots := shotDir(t)
	phoneA := b.newTab("phone A", phoneSize)
	phoneA.open(fmt.Sprintf("%s/e/%s?room=%d", srv.URL, code, roomA))
	phoneA.click(`#join-form button[type=submit]`)
	phoneB := b.newTab("phone B", phoneSize)
	phoneB.open(fmt.Sprintf("%s/e/%s?room=%d", srv.URL, code, roomB.ID))
	phoneB.click(`#join-form button[type=submit]`)
	phoneB.waitFor("phone B joined", has("#whoami"))
	phoneA.waitFor("phone A joined", has("#whoami"))
	if jsEval[bool](phoneA, has(".survey-card")) && time.Now().Before(end) {
		t.Fatal("phone A: the feedback is offered before the talk ends")
	}

	// At the talk's end, the clock opens its feedback on room A's phones:
	// announced by "New: Rate the talk: …" to a person in the Feed section.
	card := `.survey-card`
	phoneA.waitFor("the sections", has("#tab-feed"))
	inFeed := time.Now().Add(2 * time.Second).Before(end) // else the page is too slow to be in the Feed before the end
	if inFeed {
		phoneA.click("#tab-feed")
		phoneA.waitForWithin(window+20*time.Second, "New: Rate the talk", `!document.querySelector('#news-box').hidden && document.querySelector('#news').textContent === `+jsString("New: Rate the talk: "+title))
		phoneA.screenshot(shots, "feedback-news-phone", phoneSize)
		phoneA.click("#news")
	} else {
		t.Logf("the page joined %s before the talk's end: the cue is not checked", time.Until(end))
	}
	phoneA.waitForWithin(window+20*time.Second, "the feedback offered at the talk's end",
		`document.querySelector('.survey-card .tag')?.textContent === 'Rate the talk' && document.querySelector('.survey-card h1')?.textContent === `+jsString(title))
	if time.Now().Before(end) {
		t.Errorf("the feedback opened before the talk's end (%s)", end)
	}
	phoneA.screenshot(shots, "feedback-entry-phone", phoneSize)
	phoneA.click(card + ` .survey-start`)
	phoneA.waitFor("the grid", has(card+` .grid-item[data-statement="2"] .grid-key[data-v="5"]`))
	phoneA.click(card + ` .grid-item[data-statement="1"] .grid-key[data-v="4"]`)
	phoneA.click(card + ` .grid-item[data-statement="2"] .grid-key[data-v="5"]`)
	phoneA.screenshot(shots, "feedback-grid-phone", phoneSize)
	phoneA.click(card + ` .send-answer`)
	phoneA.waitFor("the grid counted", `['counted', 'changed'].includes(document.querySelector('.survey-card .vote-status')?.dataset.status)`)

	// Room B's phone saw none of it: a poll opened in room B after the
	// feedback reaches it, and the feedback never did.
	var poll struct{ ID int64 }
	must(t, srv.URL, "POST", "/api/events/"+code+"/polls", map[string]any{"room_id": roomB.ID, "question": "Coffee?", "kind": "choices", "choices": []string{"Yes", "No"}}, &poll)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/open", poll.ID), nil, nil)
	phoneB.waitFor("room B's poll", has(fmt.Sprintf(`.card[data-target="poll:%d"]`, poll.ID)))
	if jsEval[bool](phoneB, has(".survey-card")) {
		t.Error("phone B (another room) was offered the talk's feedback")
	}

	// The window ends: the feedback closes by itself, on the phone and on the server.
	phoneA.waitForWithin(window+20*time.Second, "the feedback closed by the clock", `!document.querySelector('.survey-card')`)
	if closes := end.Add(window); time.Now().Before(closes) {
		t.Errorf("the feedback closed before its window's end (%s)", closes)
	}
	type score struct {
		Statement string
		Count     int64
		Mean      float64
	}
	var res struct {
		Sessions []struct {
			Session     struct{ ID int64 }
			SurveyID    int64 `json:"survey_id"`
			Phase       string
			Respondents int64
			Overall     score
		}
		Speakers []struct {
			Name       string
			Sessions   []int64
			Statements []score
			Overall    score
		}
	}
	// The phone hides the card by its own clock; the server's clock closes
	// the survey in the store (state "closed", audited) at the same time.
	closedByClock := func() bool {
		var audit []struct{ Actor, Action string }
		must(t, srv.URL, "GET", "/api/events/"+code+"/audit", nil, &audit)
		for _, a := range audit {
			if a.Actor == "feedback clock" && a.Action == "survey_close" {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(waitTimeout); !closedByClock(); {
		if time.Now().After(deadline) {
			t.Fatal("the server's clock did not close the feedback")
		}
		time.Sleep(100 * time.Millisecond) // polled, as chromedp.Poll does
	}
	must(t, srv.URL, "GET", "/api/events/"+code+"/feedback/results", nil, &res)
	if len(res.Sessions) != 2 || res.Sessions[0].Session.ID != talk.ID || res.Sessions[0].Phase != "closed" || res.Sessions[0].Respondents != 1 ||
		res.Sessions[0].Overall.Count != 2 || res.Sessions[0].Overall.Mean != 4.5 || res.Sessions[1].SurveyID != 0 {
		t.Errorf("sessions: %+v", res.Sessions)
	}
	if len(res.Speakers) != 2 || res.Speakers[0].Name != "Ada Lovelace" || res.Speakers[0].Overall.Mean != 4.5 ||
		len(res.Speakers[1].Sessions) != 2 || res.Speakers[1].Overall.Count != 2 ||
		len(res.Speakers[0].Statements) != 2 || res.Speakers[0].Statements[1] != (score{"Delivery", 1, 5}) {
		t.Errorf("speakers: %+v", res.Speakers)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/events/"+code+"/feedback/results?format=csv", nil)
	req.Header.Set("Authorization", "Bearer "+testAPIToken)
	hres, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(hres.Body)
	hres.Body.Close()
	csv := string(body)
	for _, row := range []string{"session," + fmt.Sprint(talk.ID) + ",\"" + title + "\",Ada Lovelace (Analytical); Grace Hopper,,Content,1,4.00",
		"speaker," + fmt.Sprintf("%d %d", talk.ID, later.ID) + ",,Grace Hopper,2,overall,2,4.50"} {
		if !strings.Contains(csv, row) {
			t.Errorf("CSV lacks %q:\n%s", row, csv)
		}
	}

	// The control page: the talk's results and the speakers ranked.
	control := b.newTab("control", controlSize)
	control.open(srv.URL + "/control#" + url.PathEscape(code))
	control.waitFor("login form", `!document.querySelector('#login-view').hidden`)
	control.typeInto("#password", "correct horse")
	control.click(`#login-form button[type=submit]`)
	control.waitFor("the speakers ranked", `(() => {
  const rows = [...document.querySelectorAll('#fb-speakers tbody tr')];
  return rows.length === 2 && rows[0].dataset.speaker === 'Ada Lovelace' && rows[0].querySelector('.fb-mean').textContent === '4.50' &&
    rows[0].querySelector('.fb-count').textContent === '2' && rows[1].dataset.speaker === 'Grace Hopper';
})()`)
	control.waitFor("the window in words", `document.querySelector('#fb-summary')?.textContent.endsWith('stays open 15 seconds.')`)
	control.waitFor("the talk's results", fmt.Sprintf(`document.querySelector('#fb-sessions tr[data-feedback-session="%d"] .fb-mean')?.textContent === '4.50'`, talk.ID))
	control.eval(`document.querySelector('#fb-box').scrollIntoView({block: 'start'}); scrollBy(0, -90)`)
	control.screenshot(shots, "feedback-control-laptop", controlSize)
	control.click(".lang-switch")
	control.waitFor("the feedback in French", `document.documentElement.lang === 'fr' && document.querySelector('#fb-speakers caption')?.textContent === 'Intervenants, par note moyenne' &&
  document.querySelector('#fb-sessions tbody .fb-state')?.textContent === 'Close' &&
  document.querySelector('#fb-summary')?.textContent.replace(/\s/g, ' ').endsWith('reste ouverte 15 secondes.')`)
	control.eval(`document.querySelector('#fb-box').scrollIntoView({block: 'start'}); scrollBy(0, -90)`)
	control.screenshot(shots, "feedback-control-fr", controlSize)
}
