// Package oidctest is a small OpenID Connect provider for tests, on a
// loopback port: discovery, a JSON Web Key Set, an authorisation page that
// signs in one of its users at a click, and a token endpoint that checks
// the client's secret and the PKCE verifier and returns real ID tokens
// signed with RS256. Only tests import it.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// User is someone the provider can sign in.
type User struct {
	Subject           string
	PreferredUsername string
	Name              string
	Email             string
	Groups            []string
}

// Issuer is a running provider. URL is its issuer URL.
type Issuer struct {
	URL          string
	ClientID     string
	ClientSecret string

	users []User
	key   *rsa.PrivateKey
	srv   *httptest.Server

	mu    sync.Mutex
	codes map[string]pending
}

type pending struct {
	user      User
	nonce     string
	challenge string
	redirect  string
	expires   time.Time
}

// Start runs a provider for one client until the test ends.
func Start(tb testing.TB, clientID, clientSecret string, users ...User) *Issuer {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	is := &Issuer{ClientID: clientID, ClientSecret: clientSecret, users: users, key: key, codes: map[string]pending{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", is.discovery)
	mux.HandleFunc("GET /jwks", is.jwks)
	mux.HandleFunc("GET /authorize", is.authorizePage)
	mux.HandleFunc("POST /authorize", is.authorize)
	mux.HandleFunc("POST /token", is.token)
	is.srv = httptest.NewServer(mux)
	is.URL = is.srv.URL
	tb.Cleanup(is.srv.Close)
	return is
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (is *Issuer) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer": is.URL, "authorization_endpoint": is.URL + "/authorize", "token_endpoint": is.URL + "/token",
		"jwks_uri": is.URL + "/jwks", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
		"scopes_supported": []string{"openid", "profile", "email"},
	})
}

func (is *Issuer) jwks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &is.key.PublicKey, KeyID: "test-key", Algorithm: "RS256", Use: "sig"}}})
}

var page = template.Must(template.New("authorize").Parse(`<!doctype html><html><head><title>Test identity provider</title><link rel="icon" href="data:,"></head>
<body><h1>Test identity provider</h1><form method="post" action="/authorize">
{{range $k, $v := .Query}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}">{{end}}
{{range .Users}}<button type="submit" name="user" value="{{.Subject}}" id="as-{{.PreferredUsername}}">Sign in as {{.Name}}</button>{{end}}
</form></body></html>`))

// checkRequest checks an authorisation request's client, redirect and
// PKCE challenge.
func (is *Issuer) checkRequest(q url.Values) string {
	switch {
	case q.Get("client_id") != is.ClientID:
		return "unknown client"
	case q.Get("response_type") != "code":
		return "response_type must be code"
	case q.Get("redirect_uri") == "":
		return "no redirect_uri"
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		return "PKCE with S256 is required"
	}
	return ""
}

func (is *Issuer) authorizePage(w http.ResponseWriter, r *http.Request) {
	if problem := is.checkRequest(r.URL.Query()); problem != "" {
		http.Error(w, problem, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = page.Execute(w, map[string]any{"Query": r.URL.Query(), "Users": is.users})
}

func (is *Issuer) authorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if problem := is.checkRequest(r.PostForm); problem != "" {
		http.Error(w, problem, http.StatusBadRequest)
		return
	}
	var user *User
	for i := range is.users {
		if is.users[i].Subject == r.PostForm.Get("user") {
			user = &is.users[i]
		}
	}
	if user == nil {
		http.Error(w, "no such user", http.StatusBadRequest)
		return
	}
	code := random()
	is.mu.Lock()
	is.codes[code] = pending{user: *user, nonce: r.PostForm.Get("nonce"), challenge: r.PostForm.Get("code_challenge"),
		redirect: r.PostForm.Get("redirect_uri"), expires: time.Now().Add(time.Minute)}
	is.mu.Unlock()
	to, err := url.Parse(r.PostForm.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	q := to.Query()
	q.Set("code", code)
	q.Set("state", r.PostForm.Get("state"))
	to.RawQuery = q.Encode()
	http.Redirect(w, r, to.String(), http.StatusFound)
}

func (is *Issuer) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != is.ClientID || secret != is.ClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	is.mu.Lock()
	p, found := is.codes[r.PostForm.Get("code")]
	delete(is.codes, r.PostForm.Get("code")) // a code is good once
	is.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case r.PostForm.Get("grant_type") != "authorization_code" || !found || time.Now().After(p.expires):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	case r.PostForm.Get("redirect_uri") != p.redirect:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "redirect_uri differs"})
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != p.challenge:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "PKCE verifier does not match"})
		return
	}
	idToken, err := is.Sign(p.user, p.nonce, time.Now().Add(time.Hour))
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": random(), "token_type": "Bearer", "expires_in": 3600, "id_token": idToken})
}

// Sign returns an ID token for user, with nonce, expiring at exp.
func (is *Issuer) Sign(user User, nonce string, exp time.Time) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: is.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "test-key"))
	if err != nil {
		return "", err
	}
	now := time.Now()
	std := jwt.Claims{Issuer: is.URL, Subject: user.Subject, Audience: jwt.Audience{is.ClientID},
		Expiry: jwt.NewNumericDate(exp), IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-time.Minute))}
	extra := map[string]any{"nonce": nonce, "preferred_username": user.PreferredUsername, "name": user.Name, "email": user.Email, "groups": user.Groups}
	return jwt.Signed(signer).Claims(std).Claims(extra).Serialize()
}

func random() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
