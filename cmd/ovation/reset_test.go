package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// login posts password to /api/login and returns the status and the session cookie.
func login(tb testing.TB, base, password string) (int, *http.Cookie) {
	tb.Helper()
	res, err := http.Post(base+"/api/login", "application/json", strings.NewReader(`{"password":"`+password+`"}`))
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	for _, c := range res.Cookies() {
		if c.Name == "ovation_session" {
			return res.StatusCode, c
		}
	}
	return res.StatusCode, nil
}

// sessionStatus returns the status of GET /api/session with cookie.
func sessionStatus(tb testing.TB, base string, cookie *http.Cookie) int {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/api/session", nil)
	req.AddCookie(cookie)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// runCommand runs ovation with args to its end and returns what it printed.
func runCommand(tb testing.TB, args ...string) (string, error) {
	tb.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, nil, &out, io.Discard)
	return out.String(), err
}

// find returns the first group of re in s, failing the test if re does not match.
func find(tb testing.TB, re, s string) string {
	tb.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		tb.Fatalf("no %s in:\n%s", re, s)
	}
	return m[1]
}

func TestReset(t *testing.T) {
	dir := t.TempDir()
	generated := []string{"-moderator_password", "", "-api_token", ""} // override the harness's fixed ones
	srv := startServer(t, dir, generated...)
	banner := srv.Banner(t)
	oldPassword := find(t, `Administrator:\s+login admin, password (\S+)\s+\(generated now`, banner)
	if n := strings.Count(banner, "password"); n != 1 {
		t.Fatalf("the first start prints %d passwords, want the administrator's only:\n%s", n, banner)
	}
	oldToken := find(t, `API token:\s+(\S+)\s+\(shown once`, banner)
	st, oldSession := login(t, srv.URL, oldPassword)
	if st != http.StatusOK || oldSession == nil {
		t.Fatalf("login with the first password: %d", st)
	}
	if st := call(t, srv.URL, "GET", "/api/events", oldToken, nil, nil); st != http.StatusOK {
		t.Fatalf("first token: %d", st)
	}

	t.Run("reset-password while the server runs replaces the password and ends the sessions", func(t *testing.T) {
		out, err := runCommand(t, "reset-password", "-config", "/dev/null", "-data_dir", dir)
		if err != nil {
			t.Fatal(err)
		}
		newPassword := find(t, `New password of admin: (\S+)`, out)
		if st, _ := login(t, srv.URL, oldPassword); st != http.StatusUnauthorized {
			t.Errorf("old password: %d, want 401", st)
		}
		if st, c := login(t, srv.URL, newPassword); st != http.StatusOK || c == nil {
			t.Errorf("new password: %d, want 200", st)
		}
		if st := sessionStatus(t, srv.URL, oldSession); st != http.StatusUnauthorized {
			t.Errorf("session of the old password: %d, want 401", st)
		}
	})
	var newToken string
	t.Run("reset-api-token while the server runs replaces the token", func(t *testing.T) {
		out, err := runCommand(t, "reset-api-token", "-config", "/dev/null", "-data_dir", dir)
		if err != nil {
			t.Fatal(err)
		}
		newToken = find(t, `New API token: (\S+)`, out)
		if st := call(t, srv.URL, "GET", "/api/events", oldToken, nil, nil); st != http.StatusUnauthorized {
			t.Errorf("old token: %d, want 401", st)
		}
		if st := call(t, srv.URL, "GET", "/api/events", newToken, nil, nil); st != http.StatusOK {
			t.Errorf("new token: %d, want 200", st)
		}
	})
	srv.Stop(t)
	again := startServer(t, dir, generated...)
	t.Run("the banner of a later start says where the credentials come from", func(t *testing.T) {
		b := again.Banner(t)
		for _, want := range []string{"Administrator:        login admin, password printed at first start (`ovation reset-password` makes a new one)",
			"API token:            the one printed at first start (`ovation reset-api-token` makes a new one)"} {
			if !strings.Contains(b, want) {
				t.Errorf("banner lacks %q:\n%s", want, b)
			}
		}
		if st := call(t, again.URL, "GET", "/api/events", newToken, nil, nil); st != http.StatusOK {
			t.Errorf("new token after a restart: %d", st)
		}
	})
	t.Run("reset-password LOGIN resets that account only", func(t *testing.T) {
		adminPassword := find(t, `New password of admin: (\S+)`, func() string {
			out, err := runCommand(t, "reset-password", "-config", "/dev/null", "-data_dir", dir)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}())
		st, admin := login(t, again.URL, adminPassword)
		if st != http.StatusOK {
			t.Fatalf("admin login: %d", st)
		}
		req, _ := http.NewRequest(http.MethodPost, again.URL+"/api/accounts", strings.NewReader(`{"login":"ada","display_name":"Ada","password":"first-password-1"}`))
		req.Header.Set("Authorization", "Bearer "+newToken)
		if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusCreated {
			t.Fatalf("create ada: %v %v", res, err)
		}
		out, err := runCommand(t, "reset-password", "ada", "-config", "/dev/null", "-data_dir", dir)
		if err != nil {
			t.Fatal(err)
		}
		pw := find(t, `New password of ada: (\S+)`, out)
		res, err := http.Post(again.URL+"/api/login", "application/json", strings.NewReader(`{"login":"ada","password":"`+pw+`"}`))
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("ada with the new password: %v %v", res, err)
		}
		res.Body.Close()
		if st := sessionStatus(t, again.URL, admin); st != http.StatusOK {
			t.Errorf("the administrator's session after ada's reset: %d, want 200", st)
		}
		if _, err := runCommand(t, "reset-password", "nobody", "-config", "/dev/null", "-data_dir", dir); err == nil || !strings.Contains(err.Error(), `no account with login "nobody"`) {
			t.Errorf("unknown login: %v", err)
		}
	})
	t.Run("refuses a password the configuration sets", func(t *testing.T) {
		_, err := runCommand(t, "reset-password", "-config", "/dev/null", "-data_dir", dir, "-moderator_password", "from the config")
		if err == nil || !strings.Contains(err.Error(), "moderator_password is set") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("refuses a data directory without a database, and creates none", func(t *testing.T) {
		empty := t.TempDir()
		_, err := runCommand(t, "reset-api-token", "-config", "/dev/null", "-data_dir", empty)
		if err == nil || !strings.Contains(err.Error(), "no database at "+filepath.Join(empty, "ovation.db")) {
			t.Fatalf("got %v", err)
		}
		if entries, _ := os.ReadDir(empty); len(entries) != 0 {
			t.Fatalf("created %v", entries)
		}
	})
}
