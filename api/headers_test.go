package api

import (
	"net/http"
	"strings"
	"testing"
)

// csp returns the directives of r's Content-Security-Policy by name.
func csp(tb testing.TB, r response) map[string]string {
	tb.Helper()
	out := map[string]string{}
	for _, d := range strings.Split(r.Header.Get("Content-Security-Policy"), ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		if name != "" {
			out[name] = value
		}
	}
	if len(out) == 0 {
		tb.Fatalf("no Content-Security-Policy in %v", r.Header)
	}
	return out
}

func TestSecurityHeaders(t *testing.T) {
	ts := newTestServer(t, Config{FrameAncestors: []string{"'self'", "https://organiser.example"}})
	ts.mod(t, "POST", "/api/events", map[string]any{"code": "HDR26", "title": "Headers"}, nil)

	common := func(t *testing.T, r response) {
		t.Helper()
		if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("X-Content-Type-Options %q", got)
		}
		if got := r.Header.Get("Referrer-Policy"); got != "same-origin" {
			t.Errorf("Referrer-Policy %q", got)
		}
		if got := r.Header.Get("Strict-Transport-Security"); got != "" {
			t.Errorf("Strict-Transport-Security %q without cookie_secure", got)
		}
	}
	t.Run("embeddable pages allow only the server's scripts and styles and the configured frames", func(t *testing.T) {
		for _, path := range []string{"/", "/e/HDR26", "/stage/HDR26", "/stage/HDR26?view=overlay", "/moments/HDR26"} {
			r := ts.do(t, "GET", path, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("GET %s: status %d", path, r.Status)
			}
			common(t, r)
			p := csp(t, r)
			for name, want := range map[string]string{"default-src": "'self'", "script-src": "'self' " + ts.srv.assets.script, "style-src": "'self'",
				"connect-src": "'self'", "object-src": "'none'", "frame-ancestors": "'self' https://organiser.example"} {
				if p[name] != want {
					t.Errorf("GET %s: %s %q, want %q", path, name, p[name], want)
				}
			}
			if !strings.Contains(p["img-src"], "https:") {
				t.Errorf("GET %s: img-src %q does not allow an event's logo", path, p["img-src"])
			}
			if got := r.Header.Get("X-Frame-Options"); got != "" {
				t.Errorf("GET %s: X-Frame-Options %q would forbid what frame-ancestors allows", path, got)
			}
		}
	})
	t.Run("the control page is never framed", func(t *testing.T) {
		r := ts.do(t, "GET", "/control", nil)
		common(t, r)
		if p := csp(t, r); p["frame-ancestors"] != "'none'" || p["script-src"] != "'self' "+ts.srv.assets.script {
			t.Fatalf("policy %q", r.Header.Get("Content-Security-Policy"))
		}
		if got := r.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Fatalf("X-Frame-Options %q", got)
		}
	})
	for name, req := range map[string]struct {
		method, path string
		status       int
	}{
		"an API answer":     {"GET", "/api/events/HDR26", http.StatusOK},
		"a static file":     {"GET", "/static/app.css", http.StatusOK},
		"an error answer":   {"GET", "/api/events/NOPE", http.StatusNotFound},
		"an unknown path":   {"GET", "/nope", http.StatusNotFound},
		"a refused method":  {"DELETE", "/api/events/HDR26/join", http.StatusMethodNotAllowed},
		"a refused upgrade": {"GET", "/ws", http.StatusUpgradeRequired}, // no Upgrade header
	} {
		t.Run(name+" loads nothing and is never framed", func(t *testing.T) {
			r := ts.do(t, req.method, req.path, nil)
			if r.Status != req.status {
				t.Fatalf("status %d, want %d: %s", r.Status, req.status, r.Body)
			}
			common(t, r)
			if p := csp(t, r); p["default-src"] != "'none'" || p["frame-ancestors"] != "'none'" {
				t.Fatalf("policy %q", r.Header.Get("Content-Security-Policy"))
			}
			if got := r.Header.Get("X-Frame-Options"); got != "DENY" {
				t.Fatalf("X-Frame-Options %q", got)
			}
		})
	}
	t.Run("the WebSocket upgrade still works", func(t *testing.T) {
		c, _ := dialWS(t, ts, nil)
		usable(t, c)
	})

	t.Run("default frame ancestors are the server itself", func(t *testing.T) {
		ts := newTestServer(t, Config{})
		if p := csp(t, ts.do(t, "GET", "/", nil)); p["frame-ancestors"] != "'self'" {
			t.Fatalf("frame-ancestors %q", p["frame-ancestors"])
		}
	})
	t.Run("HTTPS deployments get Strict-Transport-Security", func(t *testing.T) {
		ts := newTestServer(t, Config{CookieSecure: true})
		for _, path := range []string{"/", "/api/events/NOPE"} {
			if got := ts.do(t, "GET", path, nil).Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
				t.Fatalf("GET %s: Strict-Transport-Security %q", path, got)
			}
		}
	})
}
