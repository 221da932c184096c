package main

// Browser tests of the meeting requests: made on a phone (details asked only
// after the tap, consent required), seen on the control page, exported as
// CSV for the team, withdrawn.

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// loginControl opens the control page of code and logs in.
func loginControl(b *browser, base, code string) *tab {
	control := b.newTab("control", controlSize)
	control.expect("/api/session", 401)
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

func TestBrowserMeetingRequest(t *testing.T) {
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
