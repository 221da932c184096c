package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/ovation-live/ovation/api/oidctest"
)

// TestBrowserSSOSignIn signs in on the control page through an OpenID
// Connect provider started on loopback (real ID tokens, PKCE), in Chromium:
// the provider's groups claim makes the new account a room operator of the
// event, and the page opens on what that account may see.
func TestBrowserSSOSignIn(t *testing.T) {
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
