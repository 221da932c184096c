package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/ovation-live/ovation/api/oidctest"
)

// TestBrowserSSOSignIn signs in on the control page through an OpenID
// Connect provider started on loopback (real ID tokens, PKCE), in Chromium:
// the provider's groups claim makes the new account a room operator of the
// event, and the page opens on what that account may see.
func TestBrowserSSOSignIn(t *testing.T) {
	t.Parallel()
	idp := oidctest.Start(t, "ovation-control", "sso-client-secret",
		oidctest.User{Subject: "u-1001", PreferredUsername: "lea", Name: "Léa Martin", Email: "lea@example.org", Groups: []string{"staff", "sso26-operators"}})
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte(`oidc:
  name: Example SSO
  issuer: `+idp.URL+`
  client_id: ovation-control
  client_secret: sso-client-secret
  role_claim: groups
  roles:
    - claim: sso26-operators
      role: operator
      event: SSO26
`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "", "-config", cfg, "-seed_demo=false")
	ev := newPitchNight(t, srv.URL, "SSO26")
	newPitchNight(t, srv.URL, "OTHER26")

	b := newBrowser(t)
	c := b.newTab("control", controlSize)
	c.open(srv.URL + "/control")
	c.waitFor("the provider's button", `!document.querySelector('#sso-link').hidden && document.querySelector('#sso-link').textContent === 'Sign in with Example SSO'`)
	c.click("#sso-link")
	c.do("the provider's page", chromedp.WaitVisible(chromedp.CSS("#as-lea")))
	c.waitFor("the provider's page", `location.origin === `+jsString(idp.URL)+` && document.querySelector('#as-lea')`)
	c.click("#as-lea")
	c.do("the control page after the redirects", chromedp.WaitVisible(chromedp.CSS("#who")))
	c.waitFor("signed in, back on the control page", `location.origin === `+jsString(srv.URL)+` && document.querySelector('#who') && !document.querySelector('#who').hidden && document.querySelector('#who').textContent === 'Léa Martin'`)
	c.waitFor("only the event of the operator's role", `[...document.querySelectorAll('#event-list a[data-code]')].map((a) => a.dataset.code).join(',') === 'SSO26'`)
	c.checkConsole()

	var accounts []struct {
		Login   string
		Issuer  string
		Subject string
		Grants  []struct {
			Role    string
			EventID int64 `json:"event_id"`
			RoomID  int64 `json:"room_id"`
		}
	}
	must(t, srv.URL, "GET", "/api/accounts", nil, &accounts)
	var found bool
	for _, a := range accounts {
		if a.Login == "lea" {
			found = true
			if a.Issuer != idp.URL || a.Subject != "u-1001" || len(a.Grants) != 1 || a.Grants[0].Role != "operator" || a.Grants[0].EventID != ev.EventID {
				t.Fatalf("lea = %+v, want operator of event %d from %s", a, ev.EventID, idp.URL)
			}
		}
	}
	if !found {
		t.Fatalf("no account lea in %+v", accounts)
	}
}

// laptopSize is the control page's laptop screenshots.
var laptopSize = viewport{1366, 768, false}

// TestBrowserTeam builds a team on the control page as the administrator
// (an account with a role for one room), then opens the event as that room
// operator: the page shows the Live panel of their room with its controls,
// and neither building, exports, the feed's moderation nor the Team page.
func TestBrowserTeam(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "", "-seed_demo=false")
	ev := newPitchNight(t, srv.URL, "TEAM26")
	var roomB struct{ ID int64 }
	must(t, srv.URL, "POST", "/api/events/TEAM26/rooms", map[string]string{"name": "Room B"}, &roomB)
	must(t, srv.URL, "POST", "/api/events/TEAM26/rounds", map[string]any{"room_id": roomB.ID, "title": "Workshop pitches", "scale": 5}, nil)
	for _, a := range []map[string]any{
		{"login": "sam", "display_name": "Sam Social", "password": "feed-and-questions", "grants": []map[string]any{{"role": "moderator", "event_id": ev.EventID}}},
		{"login": "ines", "display_name": "Inès Moreau", "password": "builds-the-event", "grants": []map[string]any{{"role": "organiser", "event_id": ev.EventID}}},
		{"login": "desk", "display_name": "Sponsor desk", "password": "reads-the-numbers", "grants": []map[string]any{{"role": "viewer", "event_id": ev.EventID}}},
	} {
		must(t, srv.URL, "POST", "/api/accounts", a, nil)
	}
	dir := shotDir(t)
	b := newBrowser(t)

	admin := b.newTab("admin", laptopSize)
	admin.open(srv.URL + "/control")
	admin.typeInto("#password", "correct horse")
	admin.click(`#login-form button[type=submit]`)
	admin.waitFor("the Team link", `!document.querySelector('#team-link').hidden`)
	admin.click("#team-link")
	admin.waitFor("the account form", `document.querySelector('#account-form') && document.querySelector('#team-table')`)
	admin.typeInto("#tm-login", "lea")
	admin.typeInto("#tm-display_name", "Léa Martin")
	admin.typeInto("#tm-password", "stage-left-2026")
	admin.click("#grant-add")
	admin.eval(`(() => {
		const row = document.querySelector('#account-form .grant-row');
		const set = (sel, v) => { const el = row.querySelector(sel); el.value = v; el.dispatchEvent(new Event('change')); };
		set('.grant-role', 'operator'); set('.grant-event', '` + fmt.Sprint(ev.EventID) + `'); set('.grant-room', '` + fmt.Sprint(ev.RoomID) + `');
	})()`)
	admin.click("#account-save")
	admin.waitFor("Léa in the table with her room", `document.querySelector('#account-lea') && document.querySelector('#account-lea').textContent.includes('Room operator · TEAM26 / ')`)
	admin.click("#account-lea-edit")
	admin.waitFor("Léa's roles in the form", `document.querySelector('#account-form h2').textContent === 'Edit lea' && document.querySelector('#account-form .grant-role').value === 'operator'`)
	admin.eval(`window.scrollTo(0, 0); document.querySelector('#toast').hidden = true`)
	admin.screenshot(dir, "control-team", laptopSize)
	admin.checkConsole()

	op := b.newTab("operator", laptopSize)
	op.open(srv.URL + "/control#TEAM26")
	op.typeInto("#login-name", "lea")
	op.typeInto("#password", "stage-left-2026")
	op.click(`#login-form button[type=submit]`)
	// Her room only: the other room's tab would do nothing.
	op.waitFor("the Live panel of her room", fmt.Sprintf(`!document.querySelector('#room-tab-%d') && document.querySelector('#act-start') && document.querySelector('#act-start').offsetParent`, roomB.ID))
	hidden := func(sel string) string {
		return `(!document.querySelector('` + sel + `') || !document.querySelector('` + sel + `').offsetParent)`
	}
	op.waitFor("no building, exports, moderation or team", strings.Join([]string{hidden("#build-card"), hidden("#export-card"), hidden("#settings-panel"),
		hidden("#feed-panel button"), hidden("#team-link"), hidden(fmt.Sprintf("#p-%d-edit", ev.Pitches[0])), hidden("#meet-panel")}, " && "))
	op.click("#act-start")
	op.waitFor("the round started", fmt.Sprintf(`document.querySelector('#round-%d') && document.querySelector('#round-%d').textContent.includes('running')`, ev.RoundID, ev.RoundID))
	op.eval(`window.scrollTo(0, 0); document.querySelector('#toast').hidden = true`)
	op.screenshot(dir, "control-operator", laptopSize)
	op.checkConsole()

	op.click("#who")
	op.waitFor("My account", `document.querySelector('#token-form') && document.querySelector('#my-sessions .tag.live')`)
	op.typeInto("#tm-name", "Stage clicker")
	op.click(`#token-form button[type=submit]`)
	op.waitFor("the new token, shown once", `/^ovt_[0-9a-f]{48}$/.test(document.querySelector('#token-value')?.textContent || '') && document.querySelector('#my-tokens').textContent.includes('Stage clicker')`)
	op.checkConsole()

	var audit []struct{ Account, Action string }
	must(t, srv.URL, "GET", "/api/events/TEAM26/audit?account=lea", nil, &audit)
	if len(audit) != 1 || audit[0].Action != "start" {
		t.Fatalf("lea's audit = %+v, want her start", audit)
	}
}
