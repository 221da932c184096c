package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"
	"github.com/ovation-live/ovation/live"
	"golang.org/x/crypto/bcrypt"
)

// Team is what the API keeps of the organising team: accounts with their
// grants, their sessions and API tokens, and the audit log (implemented by
// store.DB).
type Team interface {
	Accounts(ctx context.Context) ([]live.Account, error)
	Account(ctx context.Context, id int64) (*live.Account, error)
	AccountByLogin(ctx context.Context, login string) (*live.Account, error)
	AccountByIdentity(ctx context.Context, issuer, subject string) (*live.Account, error)
	SaveAccount(ctx context.Context, a *live.Account) error
	DeleteAccount(ctx context.Context, id int64) error

	SaveSession(ctx context.Context, tokenHash string, s live.Session) error
	Session(ctx context.Context, tokenHash string) (*live.Session, error)
	Sessions(ctx context.Context, accountID int64) ([]live.Session, error)
	DeleteSession(ctx context.Context, tokenHash string) error
	RevokeSession(ctx context.Context, accountID int64, id string) error
	DeleteAccountSessions(ctx context.Context, accountID int64) error

	SaveToken(ctx context.Context, t *live.APIToken) error
	TokenByHash(ctx context.Context, hash string) (*live.APIToken, error)
	Tokens(ctx context.Context, accountID int64) ([]live.APIToken, error)
	DeleteToken(ctx context.Context, accountID, id int64) error
}

// signedIn is the need of the routes any signed-in account may call (its
// own sessions and tokens, the event list, which shows only its events).
const signedIn live.Permission = "signed_in"

// principal is who sent a moderator request: an account, signed in with a
// session or acting through an API token (its own, or the configured
// api_token of the first administrator).
type principal struct {
	Account     *live.Account  `json:"account"`
	Session     *live.Session  `json:"session,omitempty"`
	Token       *live.APIToken `json:"token,omitempty"`
	ConfigToken bool           `json:"config_token,omitempty"`
	CSRF        string         `json:"csrf_token,omitempty"`

	// cookie or bearer is the credential it came with, to check again
	// while a WebSocket of it stays open.
	cookie, bearer string
}

// actor is what the audit log records for p (live.ActorOf).
func (p *principal) actor() string {
	var token int64
	if p.Token != nil {
		token = p.Token.ID
	}
	return live.ActorOf(p.Account.Login, token, p.ConfigToken)
}

// can reports whether p may do perm within scope: its account's grants
// allow it and, for an API token, so does the token's own grant.
func (p *principal) can(perm live.Permission, scope live.Scope) bool {
	if perm == signedIn {
		return true
	}
	if !live.Allowed(p.Account.Grants, perm, scope) {
		return false
	}
	return p.Token == nil || p.Token.Grant.Allows(perm, scope)
}

// grants returns what p may do: its account's grants, or for an API token
// the token's grant.
func (p *principal) grants() []live.Grant {
	if p.Token != nil {
		return []live.Grant{p.Token.Grant}
	}
	return p.Account.Grants
}

// refusal is the error of an action p may not do: forbidden, naming the
// least role that may, and where.
func (s *Server) refusal(perm live.Permission, scope live.Scope) *live.Error {
	role := live.NeededRole(perm)
	where := "every event"
	code := strconv.FormatInt(scope.EventID, 10)
	if s.engine != nil {
		if c, err := s.engine.EventCode(scope.EventID); err == nil {
			code = c
		}
	}
	switch {
	case role == live.RoleAdmin:
		where = "the server"
	case scope.RoomID != 0:
		where = "room " + strconv.FormatInt(scope.RoomID, 10) + " of event " + code
	case scope.EventID != 0:
		where = "event " + code
	}
	return &live.Error{Code: live.EForbidden, NeedsRole: string(role),
		Message: "This needs the " + string(role) + " role for " + where + "."}
}

// scopeOf returns the event and room a moderator request touches, from its
// route: /api/events/:code… an event, /api/rooms|rounds|pitches|polls/:id
// the room, anything else the whole server. Errors: ENotFound for an
// unknown event or id.
func (s *Server) scopeOf(c echo.Context) (live.Scope, error) {
	rest, ok := strings.CutPrefix(c.Path(), "/api/")
	if !ok {
		return live.Scope{}, nil
	}
	kind, _, _ := strings.Cut(rest, "/")
	switch kind {
	case "events":
		if c.Param("code") == "" {
			return live.Scope{}, nil
		}
		ev, err := s.engine.Event(c.Param("code"))
		if err != nil {
			return live.Scope{}, err
		}
		return live.Scope{EventID: ev.ID}, nil
	case "rooms", "rounds", "pitches", "polls", "quizzes", "surveys":
		id, err := pathID(c)
		if err != nil {
			return live.Scope{}, err
		}
		ev, room, err := s.engine.Place(strings.TrimSuffix(strings.TrimSuffix(kind, "es"), "s"), id)
		switch kind {
		case "pitches":
			ev, room, err = s.engine.Place("pitch", id)
		case "quizzes":
			ev, room, err = s.engine.Place("quiz", id)
		}
		return live.Scope{EventID: ev, RoomID: room}, err
	}
	return live.Scope{}, nil
}

// require is the middleware of every moderator route: it authenticates,
// checks the CSRF token of a session's state-changing request, and checks
// that the principal may do perm where the route acts (scopeOf). A refusal
// changes nothing and names the role it needs.
func (s *Server) require(perm live.Permission) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p, err := s.authenticate(c)
			if err != nil {
				return err
			}
			if m := c.Request().Method; p.Session != nil && m != http.MethodGet && m != http.MethodHead {
				got := c.Request().Header.Get(CSRFHeader)
				if subtle.ConstantTimeCompare([]byte(got), []byte(p.CSRF)) != 1 {
					return live.Errorf(live.EForbidden, "Missing or wrong CSRF token.")
				}
			}
			scope, err := s.scopeOf(c)
			if err != nil {
				return err
			}
			if !p.can(perm, scope) {
				return s.refusal(perm, scope)
			}
			c.Set("actor", p.actor())
			c.Set("principal", p)
			return next(c)
		}
	}
}

// principalOf returns the principal require set.
func principalOf(c echo.Context) *principal { p, _ := c.Get("principal").(*principal); return p }

var errLoginRequired = live.Errorf(live.EUnauthorized, "Moderator login required.")

// authenticate returns who sent the request: by API token (Authorization:
// Bearer) or session cookie; on a cluster edge the core answers.
func (s *Server) authenticate(c echo.Context) (*principal, error) {
	if s.edge != nil {
		return s.edgePrincipal(c)
	}
	bearer, cookie, err := credentialOf(c.Request())
	if err != nil {
		return nil, err
	}
	return s.principalOf(c.Request().Context(), bearer, cookie)
}

// credentialOf returns a request's API token or session cookie.
func credentialOf(r *http.Request) (bearer, cookie string, err error) {
	if token, ok := strings.CutPrefix(r.Header.Get(echo.HeaderAuthorization), "Bearer "); ok {
		return token, "", nil
	}
	if ck, err := r.Cookie(SessionCookie); err == nil {
		return "", ck.Value, nil
	}
	return "", "", errLoginRequired
}

// principalOf returns the principal of an API token or session cookie.
func (s *Server) principalOf(ctx context.Context, bearer, cookie string) (*principal, error) {
	var p *principal
	var err error
	if bearer != "" {
		p, err = s.tokenPrincipal(ctx, bearer)
	} else {
		p, err = s.sessionPrincipal(ctx, cookie)
	}
	if err != nil {
		return nil, err
	}
	p.bearer, p.cookie = bearer, cookie
	return p, nil
}

func (s *Server) sessionPrincipal(ctx context.Context, token string) (*principal, error) {
	if s.team == nil {
		return nil, errLoginRequired
	}
	sess, err := s.team.Session(ctx, live.HashToken(token))
	if err != nil {
		return nil, err
	}
	if sess == nil {
		return nil, live.Errorf(live.EUnauthorized, "Your session has ended; log in again.")
	}
	a, err := s.activeAccount(ctx, sess.AccountID)
	if err != nil {
		return nil, err
	}
	return &principal{Account: a, Session: sess, CSRF: sess.CSRF}, nil
}

func (s *Server) tokenPrincipal(ctx context.Context, token string) (*principal, error) {
	if s.team == nil {
		return nil, errLoginRequired
	}
	want, err := s.apiTokenHash(ctx)
	if err != nil {
		return nil, err
	}
	h := live.HashToken(token)
	if want != "" && subtle.ConstantTimeCompare([]byte(h), []byte(want)) == 1 {
		a, err := s.activeAccount(ctx, live.FirstAdminID)
		if err != nil {
			return nil, err
		}
		return &principal{Account: a, ConfigToken: true}, nil
	}
	t, err := s.team.TokenByHash(ctx, h)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, errLoginRequired
	}
	if t.ExpiresAt != nil && !time.Now().Before(*t.ExpiresAt) {
		return nil, live.Errorf(live.EUnauthorized, "This API token has expired.")
	}
	a, err := s.activeAccount(ctx, t.AccountID)
	if err != nil {
		return nil, err
	}
	return &principal{Account: a, Token: t}, nil
}

// activeAccount returns an account that may sign in: EUnauthorized if it
// is gone or disabled.
func (s *Server) activeAccount(ctx context.Context, id int64) (*live.Account, error) {
	a, err := s.team.Account(ctx, id)
	if live.ErrorCode(err) == live.ENotFound || err == nil && a.Disabled {
		return nil, live.Errorf(live.EUnauthorized, "This account is disabled or gone.")
	}
	return a, err
}

// edgePrincipal asks the core, which keeps the team, who sent the request
// (GET /api/session with the request's cookie or token).
func (s *Server) edgePrincipal(c echo.Context) (*principal, error) {
	bearer, cookie, err := credentialOf(c.Request())
	if err != nil {
		return nil, err
	}
	return s.askCore(c.Request().Context(), bearer, cookie, c.RealIP())
}

// askCore asks the core for the principal of a credential. Errors:
// EUnauthorized when the core refuses it, the core's error (EBusy…) when
// it cannot answer.
func (s *Server) askCore(ctx context.Context, bearer, cookie, ip string) (*principal, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, "/api/session", http.NoBody)
	if err != nil {
		return nil, err
	}
	r.RequestURI = "/api/session"
	if bearer != "" {
		r.Header.Set(echo.HeaderAuthorization, "Bearer "+bearer)
	} else {
		r.AddCookie(&http.Cookie{Name: SessionCookie, Value: cookie})
	}
	res, err := s.edge.Do(ctx, r, ip)
	if err != nil {
		return nil, err
	}
	var p principal
	switch {
	case res.Status == http.StatusUnauthorized || res.Status == http.StatusForbidden:
		return nil, errLoginRequired
	case res.Status != http.StatusOK || json.Unmarshal(res.Body, &p) != nil || p.Account == nil:
		return nil, live.Errorf(live.EBusy, "The core did not say who is signed in; try again.")
	}
	p.bearer, p.cookie = bearer, cookie
	return &p, nil
}

// CloseSessionEnded is the WebSocket close code of a team member's
// connection whose session was revoked or ended, whose token was revoked or
// expired, or whose grants changed: the page signs in again, or reconnects
// with its new grants.
const CloseSessionEnded websocket.StatusCode = 4401

// revalidate checks the session or token of every open team member's
// WebSocket every interval (on an edge, by asking the core) and closes
// those that ended or whose grants changed, until ctx ends. A check that
// cannot be answered (the core out of reach) keeps the connection.
func (s *Server) revalidate(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.connMu.Lock()
		var team []*conn
		for cn := range s.conns {
			if cn.principal != nil {
				team = append(team, cn)
			}
		}
		s.connMu.Unlock()
		for _, cn := range team {
			if ctx.Err() != nil {
				return
			}
			if s.stillValid(ctx, cn.principal, cn.ip) == nil {
				continue
			}
			cn.st.Close(CloseSessionEnded, "session ended")
		}
	}
}

// stillValid returns nil if p's credential still gives the same grants,
// errLoginRequired if not, and another error if it cannot tell.
func (s *Server) stillValid(ctx context.Context, p *principal, ip string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var now *principal
	var err error
	if s.edge != nil {
		now, err = s.askCore(ctx, p.bearer, p.cookie, ip)
	} else {
		now, err = s.principalOf(ctx, p.bearer, p.cookie)
	}
	switch {
	case live.ErrorCode(err) == live.EUnauthorized:
		return errLoginRequired
	case err != nil:
		return err
	case !slices.Equal(now.grants(), p.grants()):
		return errLoginRequired
	}
	return nil
}

// startSession signs account a in: an HttpOnly SameSite=Strict session
// cookie, the script-readable signed-in marker, and a CSRF token for
// state-changing calls, returned.
func (s *Server) startSession(c echo.Context, a *live.Account, method string) (string, error) {
	token, now := randomToken(32), time.Now()
	sess := live.Session{ID: randomToken(8), AccountID: a.ID, CSRF: randomToken(16), Method: method, IP: c.RealIP(),
		UserAgent: live.Truncate(c.Request().UserAgent(), 200), CreatedAt: now, ExpiresAt: now.Add(sessionTTL)}
	if err := s.team.SaveSession(c.Request().Context(), live.HashToken(token), sess); err != nil {
		return "", err
	}
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.cfg.CookieSecure,
		SameSite: http.SameSiteStrictMode, MaxAge: int(sessionTTL.Seconds())})
	c.SetCookie(&http.Cookie{Name: SignedInCookie, Value: "1", Path: "/", Secure: s.cfg.CookieSecure,
		SameSite: http.SameSiteStrictMode, MaxAge: int(sessionTTL.Seconds())})
	return sess.CSRF, nil
}

// handleLogin checks a login and password (no login: the first
// administrator, as with the single moderator password of old) and starts
// a session. Login attempts are rate-limited per address.
func (s *Server) handleLogin(c echo.Context) error {
	var req struct {
		Login    string `json:"login"`
		Password string `json:"password"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if wait := s.loginLimit.Wait(c.RealIP(), time.Now()); wait > 0 {
		return &live.Error{Code: live.ERateLimited, Message: "Too many login attempts; wait a minute.", RetryAfter: wait}
	}
	if s.team == nil {
		return errLoginRequired
	}
	ctx := c.Request().Context()
	wrong := &live.Error{Code: live.EUnauthorized, Field: "password", Message: "Wrong login or password."}
	var a *live.Account
	var err error
	if req.Login == "" {
		a, err = s.team.Account(ctx, live.FirstAdminID)
	} else {
		a, err = s.team.AccountByLogin(ctx, strings.ToLower(strings.TrimSpace(req.Login)))
	}
	if live.ErrorCode(err) == live.ENotFound {
		return wrong
	}
	if err != nil {
		return err
	}
	hash := a.PasswordHash
	if a.ID == live.FirstAdminID {
		override, err := s.passwordHash(ctx)
		if err != nil {
			return err
		}
		if override != "" {
			hash = override
		}
	}
	if hash == "" || a.Disabled || bcrypt.CompareHashAndPassword([]byte(hash), []byte(req.Password)) != nil {
		return wrong
	}
	csrf, err := s.startSession(c, a, "password")
	if err != nil {
		return err
	}
	s.markConfigPassword(ctx, a)
	return c.JSON(http.StatusOK, map[string]any{"csrf_token": csrf, "account": a})
}

func clearSessionCookies(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, MaxAge: -1, SameSite: http.SameSiteStrictMode})
	c.SetCookie(&http.Cookie{Name: SignedInCookie, Value: "", Path: "/", MaxAge: -1, SameSite: http.SameSiteStrictMode})
}

func (s *Server) handleLogout(c echo.Context) error {
	if ck, err := c.Cookie(SessionCookie); err == nil && s.team != nil {
		if err := s.team.DeleteSession(c.Request().Context(), live.HashToken(ck.Value)); err != nil {
			return err
		}
	}
	clearSessionCookies(c)
	return c.NoContent(http.StatusNoContent)
}

// handleLogoutEverywhere ends every session of the caller's account.
func (s *Server) handleLogoutEverywhere(c echo.Context) error {
	p, err := sessionOnly(c)
	if err != nil {
		return err
	}
	if err := s.team.DeleteAccountSessions(c.Request().Context(), p.Account.ID); err != nil {
		return err
	}
	clearSessionCookies(c)
	return c.NoContent(http.StatusNoContent)
}

// sessionView is the answer of GET /api/session.
type sessionView struct {
	principal
	// Permissions is what each role may do, for the control page to show
	// only what the account may do.
	Permissions map[live.Role][]live.Permission `json:"permissions"`
}

// handleSession tells a page who is signed in, with the CSRF token, the
// grants in force and what each role may do.
func (s *Server) handleSession(c echo.Context) error {
	p := principalOf(c)
	out := sessionView{principal: *p, Permissions: live.RolePermissions}
	a := *p.Account
	s.markConfigPassword(c.Request().Context(), &a)
	a.Grants = p.grants()
	out.Account = &a
	return c.JSON(http.StatusOK, out)
}

// sessionOnly returns the principal of a route that only a signed-in
// person may use (not an API token): their own password, sessions, tokens.
func sessionOnly(c echo.Context) (*principal, error) {
	p := principalOf(c)
	if p == nil || p.Session == nil {
		return nil, live.Errorf(live.EForbidden, "Sign in with a session to manage your own account; API tokens may not.")
	}
	return p, nil
}

// --- Accounts (administrators) ------------------------------------------

type accountInput struct {
	Login       *string       `json:"login"`
	DisplayName *string       `json:"display_name"`
	Password    *string       `json:"password"`
	Disabled    *bool         `json:"disabled"`
	Grants      *[]live.Grant `json:"grants"`
}

func (in accountInput) apply(a *live.Account) {
	set(&a.Login, in.Login)
	set(&a.DisplayName, in.DisplayName)
	set(&a.Disabled, in.Disabled)
	set(&a.Grants, in.Grants)
}

// checkGrants checks that each grant's event and room exist, the room in
// the event.
func (s *Server) checkGrants(grants []live.Grant) error {
	for _, g := range grants {
		if err := g.Validate(); err != nil {
			return err
		}
		if g.EventID != 0 {
			if _, err := s.engine.EventCode(g.EventID); err != nil {
				return &live.Error{Code: live.EInvalid, Field: "event_id", Message: "No event " + strconv.FormatInt(g.EventID, 10) + "."}
			}
		}
		if g.RoomID != 0 {
			if ev, err := s.engine.RoomEvent(g.RoomID); err != nil || ev != g.EventID {
				return &live.Error{Code: live.EInvalid, Field: "room_id", Message: "No room " + strconv.FormatInt(g.RoomID, 10) + " in event " + strconv.FormatInt(g.EventID, 10) + "."}
			}
		}
	}
	return nil
}

// saveAccount validates a, hashes a new password and saves, refusing a
// change that would leave no enabled administrator.
func (s *Server) saveAccount(ctx context.Context, a *live.Account, password *string) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if err := s.checkGrants(a.Grants); err != nil {
		return err
	}
	if password != nil {
		if err := live.CheckPassword(*password); err != nil {
			return err
		}
		h, err := bcrypt.GenerateFromPassword([]byte(*password), s.cfg.PasswordCost)
		if err != nil {
			return err
		}
		a.PasswordHash = string(h)
	}
	if a.ID != 0 {
		if err := s.keepAnAdministrator(ctx, a.ID, a); err != nil {
			return err
		}
	}
	return s.team.SaveAccount(ctx, a)
}

// keepAnAdministrator refuses a change of account id (after: what it
// becomes; nil: deleted) that would leave no enabled administrator.
func (s *Server) keepAnAdministrator(ctx context.Context, id int64, after *live.Account) error {
	all, err := s.team.Accounts(ctx)
	if err != nil {
		return err
	}
	for _, a := range all {
		if a.ID == id {
			if after == nil {
				continue
			}
			a = *after
		}
		if !a.Disabled && live.Allowed(a.Grants, live.PermAdmin, live.Scope{}) {
			return nil
		}
	}
	return live.Errorf(live.EConflict, "This would leave no enabled administrator.")
}

func (s *Server) handleListAccounts(c echo.Context) error {
	all, err := s.team.Accounts(c.Request().Context())
	if err != nil {
		return err
	}
	for i := range all {
		s.markConfigPassword(c.Request().Context(), &all[i])
	}
	return c.JSON(http.StatusOK, all)
}

// markConfigPassword sets HasPassword on the first administrator when the
// configuration gives its password.
func (s *Server) markConfigPassword(ctx context.Context, a *live.Account) {
	if a.ID == live.FirstAdminID && !a.HasPassword {
		if h, err := s.passwordHash(ctx); err == nil && h != "" {
			a.HasPassword = true
		}
	}
}

func (s *Server) handleCreateAccount(c echo.Context) error {
	var in accountInput
	if err := decode(c, &in); err != nil {
		return err
	}
	a := live.Account{Grants: []live.Grant{}}
	in.apply(&a)
	a.Login = strings.ToLower(a.Login)
	if err := s.saveAccount(c.Request().Context(), &a, in.Password); err != nil {
		return err
	}
	s.auditTeam(c, "create_account", "account:"+a.Login, grantsText(a.Grants))
	return c.JSON(http.StatusCreated, a)
}

func (s *Server) accountParam(c echo.Context) (*live.Account, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	return s.team.Account(c.Request().Context(), id)
}

func (s *Server) handleGetAccount(c echo.Context) error {
	a, err := s.accountParam(c)
	if err != nil {
		return err
	}
	s.markConfigPassword(c.Request().Context(), a)
	return c.JSON(http.StatusOK, a)
}

// handleUpdateAccount edits an account; a new password (a reset by an
// administrator) or disabling it ends its sessions.
func (s *Server) handleUpdateAccount(c echo.Context) error {
	a, err := s.accountParam(c)
	if err != nil {
		return err
	}
	var in accountInput
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Login != nil && *in.Login != a.Login && a.ID == live.FirstAdminID {
		return &live.Error{Code: live.EInvalid, Field: "login", Message: "The first administrator keeps the login admin."}
	}
	in.apply(a)
	ctx := c.Request().Context()
	if err := s.saveAccount(ctx, a, in.Password); err != nil {
		return err
	}
	if in.Password != nil || a.Disabled {
		if err := s.team.DeleteAccountSessions(ctx, a.ID); err != nil {
			return err
		}
	}
	detail := grantsText(a.Grants)
	if in.Password != nil {
		detail += "; password reset"
	}
	if a.Disabled {
		detail += "; disabled"
	}
	s.auditTeam(c, "update_account", "account:"+a.Login, detail)
	s.markConfigPassword(ctx, a)
	return c.JSON(http.StatusOK, a)
}

func (s *Server) handleDeleteAccount(c echo.Context) error {
	a, err := s.accountParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if a.ID == live.FirstAdminID {
		return live.Errorf(live.EConflict, "The first administrator cannot be deleted; disable it once another administrator exists.")
	}
	if err := s.keepAnAdministrator(ctx, a.ID, nil); err != nil {
		return err
	}
	if err := s.team.DeleteAccount(ctx, a.ID); err != nil {
		return err
	}
	s.auditTeam(c, "delete_account", "account:"+a.Login, "")
	return c.NoContent(http.StatusNoContent)
}

// handleAccountSessions lists an account's sessions (administrators).
func (s *Server) handleAccountSessions(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	list, err := s.team.Sessions(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}

// handleRevokeSession ends any session by its id (administrators).
func (s *Server) handleRevokeSession(c echo.Context) error {
	if err := s.team.RevokeSession(c.Request().Context(), 0, c.Param("id")); err != nil {
		return err
	}
	s.auditTeam(c, "revoke_session", "session:"+c.Param("id"), "")
	return c.NoContent(http.StatusNoContent)
}

// --- The caller's own account -------------------------------------------

// handleChangePassword changes the caller's own password, given the
// current one; their other sessions end.
func (s *Server) handleChangePassword(c echo.Context) error {
	p, err := sessionOnly(c)
	if err != nil {
		return err
	}
	var in struct {
		Current  string `json:"current_password"`
		Password string `json:"password"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if wait := s.loginLimit.Wait("account:"+strconv.FormatInt(p.Account.ID, 10), time.Now()); wait > 0 {
		return &live.Error{Code: live.ERateLimited, Message: "Too many password attempts; wait a minute.", RetryAfter: wait}
	}
	ctx := c.Request().Context()
	if p.Account.ID == live.FirstAdminID {
		if override, err := s.passwordHash(ctx); err != nil || override != "" {
			if err != nil {
				return err
			}
			return live.Errorf(live.EConflict, "This password is set by the configuration (moderator_password); change it there.")
		}
	}
	if p.Account.PasswordHash == "" || bcrypt.CompareHashAndPassword([]byte(p.Account.PasswordHash), []byte(in.Current)) != nil {
		return &live.Error{Code: live.EUnauthorized, Field: "current_password", Message: "Wrong current password."}
	}
	a := *p.Account
	if err := s.saveAccount(ctx, &a, &in.Password); err != nil {
		return err
	}
	sessions, err := s.team.Sessions(ctx, a.ID)
	if err != nil {
		return err
	}
	for _, other := range sessions {
		if other.ID != p.Session.ID {
			if err := s.team.RevokeSession(ctx, a.ID, other.ID); err != nil && live.ErrorCode(err) != live.ENotFound {
				return err
			}
		}
	}
	s.auditTeam(c, "change_password", "account:"+a.Login, "")
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) handleMySessions(c echo.Context) error {
	p, err := sessionOnly(c)
	if err != nil {
		return err
	}
	list, err := s.team.Sessions(c.Request().Context(), p.Account.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"current": p.Session.ID, "sessions": list})
}

func (s *Server) handleRevokeMySession(c echo.Context) error {
	p, err := sessionOnly(c)
	if err != nil {
		return err
	}
	if err := s.team.RevokeSession(c.Request().Context(), p.Account.ID, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// --- API tokens -----------------------------------------------------------

// maxTokenDays is the longest an API token's expires_in_days may be.
const maxTokenDays = 3650

// handleCreateToken makes an API token for the caller's account, with a
// grant no wider than one the account holds and an optional expiry. The
// token is in the answer only.
func (s *Server) handleCreateToken(c echo.Context) error {
	p, err := sessionOnly(c)
	if err != nil {
		return err
	}
	var in struct {
		Name          string `json:"name"`
		Role          string `json:"role"`
		EventID       int64  `json:"event_id"`
		RoomID        int64  `json:"room_id"`
		ExpiresInDays int    `json:"expires_in_days"` // 0: never
		// ExpiresAt is an exact expiry instead, as short as a client's
		// test of expiry needs: a token that may do less is no risk.
		ExpiresAt *time.Time `json:"expires_at"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	t := live.APIToken{AccountID: p.Account.ID, Name: in.Name, Grant: live.Grant{Role: live.Role(in.Role), EventID: in.EventID, RoomID: in.RoomID}}
	if err := t.Validate(); err != nil {
		return err
	}
	if err := s.checkGrants([]live.Grant{t.Grant}); err != nil {
		return err
	}
	covered := false
	for _, g := range p.Account.Grants {
		covered = covered || g.Covers(t.Grant)
	}
	if !covered {
		return &live.Error{Code: live.EForbidden, Field: "role", NeedsRole: string(t.Grant.Role),
			Message: "A token may not do more than its account: your grants do not include this role here."}
	}
	if in.ExpiresInDays < 0 || in.ExpiresInDays > maxTokenDays {
		return live.FieldErrorf("expires_in_days", "expires_in_days must be 0 (never) to %d.", maxTokenDays)
	}
	if in.ExpiresInDays > 0 {
		x := time.Now().Add(time.Duration(in.ExpiresInDays) * 24 * time.Hour).UTC().Truncate(time.Second)
		t.ExpiresAt = &x
	}
	if in.ExpiresAt != nil {
		x := in.ExpiresAt.UTC().Truncate(time.Second)
		switch now := time.Now(); {
		case in.ExpiresInDays > 0:
			return live.FieldErrorf("expires_at", "Send expires_in_days or expires_at, not both.")
		case !x.After(now) || x.After(now.Add(maxTokenDays*24*time.Hour)):
			return live.FieldErrorf("expires_at", "expires_at must be a time from the next second to %d days ahead.", maxTokenDays)
		}
		t.ExpiresAt = &x
	}
	secret := "ovt_" + randomToken(24)
	t.Hash = live.HashToken(secret)
	if err := s.team.SaveToken(c.Request().Context(), &t); err != nil {
		return err
	}
	s.auditTeam(c, "create_token", "token:"+strconv.FormatInt(t.ID, 10), t.Name+": "+grantsText([]live.Grant{t.Grant}))
	return c.JSON(http.StatusCreated, map[string]any{"token": secret, "api_token": t})
}

func (s *Server) handleMyTokens(c echo.Context) error {
	p, err := sessionOnly(c)
	if err != nil {
		return err
	}
	list, err := s.team.Tokens(c.Request().Context(), p.Account.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}

func (s *Server) handleRevokeMyToken(c echo.Context) error {
	p, err := sessionOnly(c)
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.team.DeleteToken(c.Request().Context(), p.Account.ID, id); err != nil {
		return err
	}
	s.auditTeam(c, "revoke_token", "token:"+c.Param("id"), "")
	return c.NoContent(http.StatusNoContent)
}

// handleListTokens lists every account's tokens (administrators).
func (s *Server) handleListTokens(c echo.Context) error {
	list, err := s.team.Tokens(c.Request().Context(), 0)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}

// handleRevokeToken revokes any token (administrators).
func (s *Server) handleRevokeToken(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.team.DeleteToken(c.Request().Context(), 0, id); err != nil {
		return err
	}
	s.auditTeam(c, "revoke_token", "token:"+c.Param("id"), "")
	return c.NoContent(http.StatusNoContent)
}

// grantsText describes grants for the audit log: "operator@1/2, viewer@1".
func grantsText(grants []live.Grant) string {
	parts := make([]string, 0, len(grants))
	for _, g := range grants {
		p := string(g.Role)
		if g.EventID != 0 {
			p += "@" + strconv.FormatInt(g.EventID, 10)
		}
		if g.RoomID != 0 {
			p += "/" + strconv.FormatInt(g.RoomID, 10)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// auditTeam records a change of the team (event 0 of the audit log) on
// target ("account:ada", "token:3", "session:…"). A
// failure to record is logged: the change is made.
func (s *Server) auditTeam(c echo.Context, action, target, detail string) {
	if s.audit == nil {
		return
	}
	err := s.audit.Audit(c.Request().Context(), live.AuditEntry{Actor: actor(c), Action: action, Target: target, Detail: detail, At: time.Now().UTC()})
	if err != nil {
		s.log.Error("audit failed", "action", action, "err", err)
	}
}
