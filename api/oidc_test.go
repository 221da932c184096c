package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/ovation-live/ovation/api/oidctest"
	"github.com/ovation-live/ovation/live"
)

// ssoBrowser is an HTTP client with cookies that stops at each redirect,
// so the test sees every hop of the sign-in.
func ssoBrowser(tb testing.TB) *http.Client {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// signOn walks the sign-in from /api/oidc/login through the provider's
// page (clicking the user subject) back to the server, and returns where
// the callback sent the browser.
func signOn(tb testing.TB, ts *testServer, b *http.Client, subject string, tamper func(callback *url.URL)) string {
	tb.Helper()
	get := func(u string) *http.Response {
		tb.Helper()
		res, err := b.Get(u)
		if err != nil {
			tb.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	res := get(ts.URL + "/api/oidc/login")
	if res.StatusCode != http.StatusFound {
		tb.Fatalf("login: %d", res.StatusCode)
	}
	authorize, _ := url.Parse(res.Header.Get("Location"))
	q := authorize.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
		tb.Fatalf("authorisation request without PKCE, nonce or state: %s", authorize)
	}
	q.Set("user", subject)
	res, err := b.PostForm(authorize.Scheme+"://"+authorize.Host+"/authorize", q)
	if err != nil {
		tb.Fatal(err)
	}
	res.Body.Close()
	callback, _ := url.Parse(res.Header.Get("Location"))
	if tamper != nil {
		tamper(callback)
	}
	res = get(callback.String())
	if res.StatusCode != http.StatusFound {
		tb.Fatalf("callback: %d", res.StatusCode)
	}
	return res.Header.Get("Location")
}

func TestOIDCSignIn(t *testing.T) {
	idp := oidctest.Start(t, "ovation", "client-secret",
		oidctest.User{Subject: "u-lea", PreferredUsername: "lea", Name: "Léa Martin", Email: "lea@example.org", Groups: []string{"ops-main", "staff"}},
		oidctest.User{Subject: "u-sam", PreferredUsername: "sam", Name: "Sam Social", Groups: []string{"staff"}})
	cfg := Config{OIDC: &OIDCConfig{Name: "Example SSO", Issuer: idp.URL, ClientID: "ovation", ClientSecret: "client-secret", RoleClaim: "groups",
		Roles: []OIDCRole{{Claim: "ops-main", Role: live.RoleOperator, Event: "SSO", Room: "Hall A"}, {Claim: "ops-main", Role: live.RoleViewer, Event: "NOPE"}}}}
	ts := newTestServer(t, cfg)
	f := newFixture(t, ts, "SSO")
	var hall live.Room
	ts.mod(t, "POST", "/api/events/SSO/rooms", map[string]string{"name": "Hall A"}, &hall)

	session := func(b *http.Client) (int, sessionView) {
		res, err := b.Get(ts.URL + "/api/session")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var v sessionView
		_ = json.NewDecoder(res.Body).Decode(&v)
		return res.StatusCode, v
	}
	t.Run("the login form offers the provider", func(t *testing.T) {
		r := ts.do(t, "GET", "/api/sign-in", nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"name":"Example SSO"`) {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("a first sign-in creates the account with the claim's roles", func(t *testing.T) {
		b := ssoBrowser(t)
		if to := signOn(t, ts, b, "u-lea", nil); to != "/control" {
			t.Fatalf("callback sent to %q", to)
		}
		st, v := session(b)
		if st != 200 || v.Account.Login != "lea" || v.Account.DisplayName != "Léa Martin" || v.Session.Method != "oidc" {
			t.Fatalf("session %d %+v", st, v.Account)
		}
		want := []live.Grant{{Role: live.RoleOperator, EventID: f.EventID, RoomID: hall.ID}}
		if len(v.Account.Grants) != 1 || v.Account.Grants[0] != want[0] {
			t.Fatalf("grants %+v, want %+v", v.Account.Grants, want)
		}
		if v.Account.Issuer != idp.URL || v.Account.Subject != "u-lea" {
			t.Fatalf("identity %+v", v.Account)
		}
	})
	t.Run("an identity without a mapped claim gets no role", func(t *testing.T) {
		b := ssoBrowser(t)
		signOn(t, ts, b, "u-sam", nil)
		st, v := session(b)
		if st != 200 || v.Account.Login != "sam" || len(v.Account.Grants) != 0 {
			t.Fatalf("session %d %+v", st, v.Account)
		}
		res, _ := b.Get(ts.URL + "/api/events/SSO/model")
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("model without a role: %d", res.StatusCode)
		}
	})
	t.Run("a forged state, a reused code and a disabled account are refused", func(t *testing.T) {
		for name, tamper := range map[string]func(*url.URL){
			"forged state": func(u *url.URL) { q := u.Query(); q.Set("state", "forged"); u.RawQuery = q.Encode() },
			"bad code":     func(u *url.URL) { q := u.Query(); q.Set("code", "not-a-code"); u.RawQuery = q.Encode() },
		} {
			b := ssoBrowser(t)
			to := signOn(t, ts, b, "u-lea", tamper)
			if !regexp.MustCompile(`^/control\?sso_error=`).MatchString(to) {
				t.Errorf("%s: sent to %q", name, to)
			}
			if st, _ := session(b); st != http.StatusUnauthorized {
				t.Errorf("%s: session %d", name, st)
			}
		}
		ts.mod(t, "PATCH", "/api/accounts/"+strconv.FormatInt(accountID(t, ts, "sam"), 10), map[string]any{"disabled": true}, nil)
		b := ssoBrowser(t)
		if to := signOn(t, ts, b, "u-sam", nil); to != "/control?sso_error=disabled" {
			t.Errorf("disabled: sent to %q", to)
		}
	})
	t.Run("a token signed by another key is refused", func(t *testing.T) {
		other := oidctest.Start(t, "ovation", "client-secret", oidctest.User{Subject: "u-lea"})
		forged, err := other.Sign(oidctest.User{Subject: "u-lea"}, "n", time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		p, err := ts.srv.oidcProvider(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Verifier(&oidc.Config{ClientID: "ovation"}).Verify(t.Context(), forged); err == nil {
			t.Fatal("a token of another issuer verified")
		}
	})
}
