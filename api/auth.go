package api

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/ovation-live/ovation/live"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"
)

// Cookie and header names.
const (
	SessionCookie = "ovation_session"
	// SignedInCookie is set beside the session cookie, readable by the
	// page's script and holding no secret ("1"): a page without it knows it
	// is not logged in and shows the login form without asking
	// GET /api/session (whose 401 the browser would log as an error).
	SignedInCookie = "ovation_signed_in"
	CSRFHeader     = "X-CSRF-Token"
)

// tokenClaims is the payload of a participant token.
type tokenClaims struct {
	ParticipantID int64  `json:"p"`
	EventID       int64  `json:"e"`
	Jury          bool   `json:"j,omitempty"`
	Name          string `json:"n,omitempty"`
	Expires       int64  `json:"x"` // Unix seconds
}

// signToken returns "payload.signature", both base64url without padding.
func (s *Server) signToken(c tokenClaims) string {
	payload, _ := json.Marshal(c)
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + s.tokenSignature(p)
}

// tokenSignature returns the signature of a token's encoded payload, encoded.
func (s *Server) tokenSignature(payload string) string {
	mac := hmac.New(sha256.New, s.cfg.TokenSecret)
	mac.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// verifyToken checks a participant token's signature and expiry.
func (s *Server) verifyToken(token string) (tokenClaims, error) {
	var c tokenClaims
	bad := &live.Error{Code: live.EUnauthorized, Message: "This participant token is not valid; join the event again."}
	p, sig, ok := strings.Cut(token, ".")
	if !ok || len(token) > 1024 {
		return c, bad
	}
	// Compare the encoded signatures: decoding sig first would accept other
	// spellings of the same bytes (line breaks, other unused bits in the last
	// character), so one signed token would have many valid forms.
	if !hmac.Equal([]byte(sig), []byte(s.tokenSignature(p))) {
		return c, bad
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil || json.Unmarshal(payload, &c) != nil || c.ParticipantID == 0 {
		return c, bad
	}
	if time.Now().Unix() >= c.Expires {
		return c, &live.Error{Code: live.EUnauthorized, Message: "This participant token has expired; join the event again."}
	}
	return c, nil
}

// participant returns the verified claims of the request's bearer token.
func (s *Server) participant(c echo.Context) (tokenClaims, error) {
	token, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
	if !ok {
		return tokenClaims{}, live.Errorf(live.EUnauthorized, "Send the participant token as a Bearer token.")
	}
	return s.verifyToken(token)
}

// randomToken returns n random bytes, hex-encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// HashPassword returns the bcrypt hash stored for the moderator password.
func HashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	return string(h), err
}

// HashAPIToken returns the hash stored for the automation API token.
func HashAPIToken(t string) string { return hashToken(t) }

// RandomSecret returns a random secret of n bytes, hex-encoded.
func RandomSecret(n int) string { return randomToken(n) }

const sessionTTL = 12 * time.Hour

// passwordHash returns the moderator password's hash in force.
func (s *Server) passwordHash(ctx context.Context) (string, error) {
	if s.cfg.Credentials != nil {
		return s.cfg.Credentials.PasswordHash(ctx)
	}
	return s.cfg.PasswordHash, nil
}

// apiTokenHash returns the API token's hash in force; "" if there is none.
func (s *Server) apiTokenHash(ctx context.Context) (string, error) {
	if s.cfg.Credentials != nil {
		return s.cfg.Credentials.APITokenHash(ctx)
	}
	return s.cfg.APITokenHash, nil
}

// handleLogin checks the moderator password and starts a session: an
// HttpOnly SameSite=Strict cookie plus a CSRF token for state-changing calls.
func (s *Server) handleLogin(c echo.Context) error {
	var req struct {
		Password string `json:"password"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if wait := s.loginLimit.wait(c.RealIP()); wait > 0 {
		return &live.Error{Code: live.ERateLimited, Message: "Too many login attempts; wait a minute.", RetryAfter: wait}
	}
	hash, err := s.passwordHash(c.Request().Context())
	if err != nil {
		return err
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(req.Password)) != nil {
		return &live.Error{Code: live.EUnauthorized, Field: "password", Message: "Wrong password."}
	}
	token, csrf := randomToken(32), randomToken(16)
	if err := s.sessions.SaveSession(c.Request().Context(), hashToken(token), csrf, time.Now().Add(sessionTTL)); err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.cfg.CookieSecure,
		SameSite: http.SameSiteStrictMode, MaxAge: int(sessionTTL.Seconds())})
	c.SetCookie(&http.Cookie{Name: SignedInCookie, Value: "1", Path: "/", Secure: s.cfg.CookieSecure,
		SameSite: http.SameSiteStrictMode, MaxAge: int(sessionTTL.Seconds())})
	return c.JSON(http.StatusOK, map[string]any{"csrf_token": csrf})
}

func (s *Server) handleLogout(c echo.Context) error {
	if ck, err := c.Cookie(SessionCookie); err == nil {
		if err := s.sessions.DeleteSession(c.Request().Context(), hashToken(ck.Value)); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, MaxAge: -1, SameSite: http.SameSiteStrictMode})
	c.SetCookie(&http.Cookie{Name: SignedInCookie, Value: "", Path: "/", MaxAge: -1, SameSite: http.SameSiteStrictMode})
	return c.NoContent(http.StatusNoContent)
}

// handleSession tells a page whether it is logged in, with its CSRF token.
func (s *Server) handleSession(c echo.Context) error {
	actor, csrf, err := s.moderator(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"actor": actor, "csrf_token": csrf})
}

// moderator authenticates a moderator request: by API token (Authorization:
// Bearer) or session cookie. It returns the actor name and the session's CSRF token.
func (s *Server) moderator(c echo.Context) (actor, csrf string, err error) {
	if token, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer "); ok {
		want, err := s.apiTokenHash(c.Request().Context())
		if err != nil {
			return "", "", err
		}
		if want != "" && subtle.ConstantTimeCompare([]byte(hashToken(token)), []byte(want)) == 1 {
			return "api-token", "", nil
		}
		return "", "", live.Errorf(live.EUnauthorized, "Moderator login required.")
	}
	ck, err := c.Cookie(SessionCookie)
	if err != nil {
		return "", "", live.Errorf(live.EUnauthorized, "Moderator login required.")
	}
	if s.edge != nil {
		return s.edgeModerator(c)
	}
	csrf, err = s.sessions.Session(c.Request().Context(), hashToken(ck.Value))
	if err != nil {
		return "", "", err
	}
	if csrf == "" {
		return "", "", live.Errorf(live.EUnauthorized, "Your session has expired; log in again.")
	}
	return "moderator", csrf, nil
}

// requireModerator is the middleware of every moderator route: it
// authenticates and, for cookie sessions, checks the CSRF token on
// state-changing methods.
func (s *Server) requireModerator(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		actor, csrf, err := s.moderator(c)
		if err != nil {
			return err
		}
		if m := c.Request().Method; csrf != "" && m != http.MethodGet && m != http.MethodHead {
			got := c.Request().Header.Get(CSRFHeader)
			if subtle.ConstantTimeCompare([]byte(got), []byte(csrf)) != 1 {
				return live.Errorf(live.EForbidden, "Missing or wrong CSRF token.")
			}
		}
		c.Set("actor", actor)
		return next(c)
	}
}

// limiter is a set of token buckets by key (a participant, an IP address).
// Idle buckets are swept as new keys arrive, so it needs no goroutine.
type limiter struct {
	every rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(perSecond float64, burst int) *limiter {
	return &limiter{every: rate.Limit(perSecond), burst: burst, buckets: map[string]*bucket{}}
}

// wait takes one of key's tokens and returns 0 if it has one now; otherwise
// it takes nothing and returns how long until it will.
func (l *limiter) wait(key string) time.Duration {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if now.Sub(l.sweep) > time.Minute {
			for k, v := range l.buckets {
				if now.Sub(v.seen) > 10*time.Minute {
					delete(l.buckets, k)
				}
			}
			l.sweep = now
		}
		b = &bucket{lim: rate.NewLimiter(l.every, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

// edgeModerator asks the core, which keeps the sessions, whether the
// request's session cookie is a moderator's (GET /api/session).
func (s *Server) edgeModerator(c echo.Context) (actor, csrf string, err error) {
	r := c.Request().Clone(c.Request().Context())
	r.Method, r.RequestURI, r.Body, r.ContentLength = http.MethodGet, "/api/session", http.NoBody, 0
	res, err := s.edge.Do(r.Context(), r, c.RealIP())
	if err != nil {
		return "", "", err
	}
	var out struct {
		Actor string `json:"actor"`
		CSRF  string `json:"csrf_token"`
	}
	if res.Status != http.StatusOK || json.Unmarshal(res.Body, &out) != nil {
		return "", "", live.Errorf(live.EUnauthorized, "Moderator login required.")
	}
	return out.Actor, out.CSRF, nil
}
