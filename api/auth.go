package api

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/ovation-live/ovation/live"
	"golang.org/x/crypto/bcrypt"
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

// HashPassword returns the bcrypt hash stored for the moderator password.
func HashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	return string(h), err
}

// HashAPIToken returns the hash stored for the automation API token.
func HashAPIToken(t string) string { return live.HashToken(t) }

// RandomSecret returns a random secret of n bytes, hex-encoded.
func RandomSecret(n int) string { return randomToken(n) }

const sessionTTL = 12 * time.Hour

// passwordHash returns the first administrator's password hash set by the
// configuration, or "" (the account's own applies).
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
