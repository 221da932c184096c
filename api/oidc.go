package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/labstack/echo/v4"
	"github.com/ovation-live/ovation/live"
	"golang.org/x/oauth2"
)

// OIDCConfig configures single sign-on through an OpenID Connect provider:
// the authorisation code flow with PKCE. Issuer, ClientID and ClientSecret
// are required to enable it.
type OIDCConfig struct {
	Name         string // the button's label; default "single sign-on"
	Issuer       string // the provider's issuer URL; its discovery document is read at the first sign-in
	ClientID     string
	ClientSecret string
	// RedirectURL is this server's callback as registered at the provider;
	// default PublicURL (or the request's scheme and host) + /api/oidc/callback.
	RedirectURL string
	Scopes      []string // default openid, profile, email
	// RoleClaim names the ID token claim (a string or a list of strings, e.g.
	// groups) whose values Roles maps to grants. Empty: roles are granted by
	// an administrator; a first sign-in creates the account with none.
	RoleClaim string
	Roles     []OIDCRole
	// HTTPClient, if set, is used to reach the provider (tests on loopback).
	HTTPClient *http.Client
}

// OIDCRole maps one value of the role claim to a role for an event (by
// code; "" for every event) and optionally a room of it (by name).
type OIDCRole struct {
	Claim string
	Role  live.Role
	Event string
	Room  string
}

// enabled reports whether sign-on is configured.
func (c *OIDCConfig) enabled() bool {
	return c != nil && c.Issuer != "" && c.ClientID != "" && c.ClientSecret != ""
}

// oidcClient holds the provider, discovered once.
type oidcClient struct {
	mu       sync.Mutex
	provider *oidc.Provider
}

// provider returns the discovered provider, discovering it on first use.
func (s *Server) oidcProvider(ctx context.Context) (*oidc.Provider, error) {
	s.oidc.mu.Lock()
	defer s.oidc.mu.Unlock()
	if s.oidc.provider != nil {
		return s.oidc.provider, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(s.oidcContext(ctx), s.cfg.OIDC.Issuer)
	if err != nil {
		s.log.Warn("oidc: discovery failed", "issuer", s.cfg.OIDC.Issuer, "err", err)
		return nil, live.Errorf(live.EBusy, "The sign-on provider does not answer; try again, or sign in with a password.")
	}
	s.oidc.provider = p
	return p, nil
}

func (s *Server) oidcContext(ctx context.Context) context.Context {
	if s.cfg.OIDC.HTTPClient != nil {
		return oidc.ClientContext(ctx, s.cfg.OIDC.HTTPClient)
	}
	return ctx
}

func (s *Server) oauth2Config(c echo.Context, p *oidc.Provider) *oauth2.Config {
	redirect := s.cfg.OIDC.RedirectURL
	if redirect == "" {
		redirect = s.baseURL(c) + "/api/oidc/callback"
	}
	scopes := s.cfg.OIDC.Scopes
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "profile", "email"}
	}
	return &oauth2.Config{ClientID: s.cfg.OIDC.ClientID, ClientSecret: s.cfg.OIDC.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: redirect, Scopes: scopes}
}

// oidcCookie keeps a sign-in's state, nonce and PKCE verifier between the
// redirect to the provider and its callback: signed, HttpOnly, Lax (the
// callback is a navigation from the provider's site), 10 minutes.
const oidcCookie = "ovation_oidc"

type oidcState struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Expires  int64  `json:"x"`
}

func (s *Server) sealOIDC(st oidcState) string {
	b, _ := json.Marshal(st)
	p := base64.RawURLEncoding.EncodeToString(b)
	mac := hmac.New(sha256.New, append([]byte("oidc:"), s.cfg.TokenSecret...))
	mac.Write([]byte(p))
	return p + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (s *Server) openOIDC(v string) (oidcState, bool) {
	var st oidcState
	p, sig, ok := strings.Cut(v, ".")
	mac := hmac.New(sha256.New, append([]byte("oidc:"), s.cfg.TokenSecret...))
	mac.Write([]byte(p))
	if !ok || !hmac.Equal([]byte(sig), []byte(base64.RawURLEncoding.EncodeToString(mac.Sum(nil)))) {
		return st, false
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil || json.Unmarshal(b, &st) != nil || time.Now().Unix() >= st.Expires {
		return st, false
	}
	return st, true
}

// handleSignInOptions tells the login form how one may sign in.
func (s *Server) handleSignInOptions(c echo.Context) error {
	out := map[string]any{"password": true}
	if s.cfg.OIDC.enabled() {
		name := s.cfg.OIDC.Name
		if name == "" {
			name = "single sign-on"
		}
		out["oidc"] = map[string]string{"name": name, "url": "/api/oidc/login"}
	}
	return c.JSON(http.StatusOK, out)
}

// handleOIDCLogin sends the browser to the provider with a fresh state,
// nonce and PKCE challenge.
func (s *Server) handleOIDCLogin(c echo.Context) error {
	if !s.cfg.OIDC.enabled() {
		return live.Errorf(live.ENotFound, "Single sign-on is not configured.")
	}
	if wait := s.loginLimit.Wait(c.RealIP(), time.Now()); wait > 0 {
		return &live.Error{Code: live.ERateLimited, Message: "Too many login attempts; wait a minute.", RetryAfter: wait}
	}
	p, err := s.oidcProvider(c.Request().Context())
	if err != nil {
		return err
	}
	st := oidcState{State: randomToken(16), Nonce: randomToken(16), Verifier: oauth2.GenerateVerifier(), Expires: time.Now().Add(10 * time.Minute).Unix()}
	c.SetCookie(&http.Cookie{Name: oidcCookie, Value: s.sealOIDC(st), Path: "/api/oidc/", HttpOnly: true, Secure: s.cfg.CookieSecure,
		SameSite: http.SameSiteLaxMode, MaxAge: 600})
	return c.Redirect(http.StatusFound, s.oauth2Config(c, p).AuthCodeURL(st.State, oauth2.S256ChallengeOption(st.Verifier), oidc.Nonce(st.Nonce)))
}

// oidcFail ends a failed sign-in on the control page's login form, which
// shows why (?sso_error=).
func (s *Server) oidcFail(c echo.Context, reason string) error {
	c.SetCookie(&http.Cookie{Name: oidcCookie, Value: "", Path: "/api/oidc/", HttpOnly: true, MaxAge: -1})
	return c.Redirect(http.StatusFound, "/control?sso_error="+url.QueryEscape(reason))
}

// oidcClaims are the ID token claims read.
type oidcClaims struct {
	Nonce             string `json:"nonce"`
	PreferredUsername string `json:"preferred_username"`
	Email             string `json:"email"`
	Name              string `json:"name"`
}

// handleOIDCCallback finishes the sign-in: it exchanges the code (with the
// PKCE verifier), verifies the ID token (signature, issuer, audience,
// expiry, nonce), finds or creates the account of its issuer and subject,
// maps the role claim to grants if configured, and starts a session.
func (s *Server) handleOIDCCallback(c echo.Context) error {
	if !s.cfg.OIDC.enabled() {
		return live.Errorf(live.ENotFound, "Single sign-on is not configured.")
	}
	ck, err := c.Cookie(oidcCookie)
	if err != nil {
		return s.oidcFail(c, "expired")
	}
	st, ok := s.openOIDC(ck.Value)
	if !ok || c.QueryParam("state") != st.State {
		return s.oidcFail(c, "expired")
	}
	if c.QueryParam("error") != "" || c.QueryParam("code") == "" {
		return s.oidcFail(c, "refused")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 15*time.Second)
	defer cancel()
	p, err := s.oidcProvider(ctx)
	if err != nil {
		return s.oidcFail(c, "unavailable")
	}
	tok, err := s.oauth2Config(c, p).Exchange(s.oidcContext(ctx), c.QueryParam("code"), oauth2.VerifierOption(st.Verifier))
	if err != nil {
		s.log.Warn("oidc: code exchange failed", "err", err)
		return s.oidcFail(c, "refused")
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&oidc.Config{ClientID: s.cfg.OIDC.ClientID}).Verify(s.oidcContext(ctx), raw)
	var claims oidcClaims
	var all map[string]any
	if err == nil {
		err = idt.Claims(&claims)
	}
	if err == nil {
		err = idt.Claims(&all)
	}
	if err != nil || claims.Nonce != st.Nonce {
		s.log.Warn("oidc: ID token refused", "err", err)
		return s.oidcFail(c, "refused")
	}
	a, err := s.oidcAccount(ctx, idt.Issuer, idt.Subject, claims, all)
	if live.ErrorCode(err) == live.EUnauthorized {
		return s.oidcFail(c, "disabled")
	}
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: oidcCookie, Value: "", Path: "/api/oidc/", HttpOnly: true, MaxAge: -1})
	if _, err := s.startSession(c, a, "oidc"); err != nil {
		return err
	}
	return c.Redirect(http.StatusFound, "/control")
}

var notLogin = regexp.MustCompile(`[^a-z0-9._-]+`)

// oidcAccount returns the account of an identity, creating it at the first
// sign-in (login from preferred_username, else email, else the subject;
// made unique), with its grants from the role claim when one is mapped.
func (s *Server) oidcAccount(ctx context.Context, issuer, subject string, claims oidcClaims, all map[string]any) (*live.Account, error) {
	a, err := s.team.AccountByIdentity(ctx, issuer, subject)
	switch {
	case live.ErrorCode(err) == live.ENotFound:
		a = &live.Account{Issuer: issuer, Subject: subject, Grants: []live.Grant{}}
		a.DisplayName = strings.TrimSpace(claims.Name)
		base := claims.PreferredUsername
		if base == "" {
			base, _, _ = strings.Cut(claims.Email, "@")
		}
		base = strings.Trim(notLogin.ReplaceAllString(strings.ToLower(base), "-"), "-._")
		if base == "" || len(base) > 30 {
			sub := strings.Trim(notLogin.ReplaceAllString(strings.ToLower(subject), "-"), "-._")
			base = "sso-" + sub[:min(len(sub), 20)] // ASCII only (notLogin): bytes are runes
		}
		if a.DisplayName == "" {
			a.DisplayName = base
		}
		a.Login = base
		for i := 2; ; i++ {
			if _, err := s.team.AccountByLogin(ctx, a.Login); live.ErrorCode(err) == live.ENotFound {
				break
			} else if err != nil {
				return nil, err
			}
			if i > 50 {
				return nil, live.Errorf(live.EConflict, "No free login for this identity.")
			}
			a.Login = fmt.Sprintf("%s-%d", base, i)
		}
	case err != nil:
		return nil, err
	case a.Disabled:
		return nil, live.Errorf(live.EUnauthorized, "This account is disabled.")
	}
	if s.cfg.OIDC.RoleClaim != "" {
		a.Grants = s.mappedGrants(all[s.cfg.OIDC.RoleClaim])
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if err := s.team.SaveAccount(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// mappedGrants turns the role claim's values into grants, by Roles; a
// mapping naming an event or room that does not exist gives nothing.
func (s *Server) mappedGrants(claim any) []live.Grant {
	var values []string
	switch v := claim.(type) {
	case string:
		values = []string{v}
	case []any:
		for _, x := range v {
			if str, ok := x.(string); ok {
				values = append(values, str)
			}
		}
	}
	grants := []live.Grant{}
	for _, r := range s.cfg.OIDC.Roles {
		if !slices.Contains(values, r.Claim) {
			continue
		}
		g := live.Grant{Role: r.Role}
		if r.Event != "" {
			m, err := s.engine.Model(r.Event)
			if err != nil {
				continue
			}
			g.EventID = m.Event.ID
			if r.Room != "" {
				for _, room := range m.Rooms {
					if room.Name == r.Room {
						g.RoomID = room.ID
					}
				}
				if g.RoomID == 0 {
					continue
				}
			}
		}
		if g.Validate() == nil {
			grants = append(grants, g)
		}
	}
	return grants
}
