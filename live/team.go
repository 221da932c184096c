package live

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what an account may do for the events and rooms a grant names.
type Role string

// The roles, from the most to the least powerful. An administrator does
// everything, accounts included; an organiser builds and runs their events
// and exports them (results, audit, meeting requests); a room operator
// drives the rooms they are given (rounds, pitches, polls, timer, reveal,
// screen); a moderator moderates the feed, the boards and the answers of
// their events; a viewer reads the control page and its live numbers.
const (
	RoleAdmin     Role = "admin"
	RoleOrganiser Role = "organiser"
	RoleOperator  Role = "operator"
	RoleModerator Role = "moderator"
	RoleViewer    Role = "viewer"
)

// Roles lists every role, the most powerful first.
var Roles = []Role{RoleAdmin, RoleOrganiser, RoleOperator, RoleModerator, RoleViewer}

// Permission is one kind of action that a route or a control topic needs.
type Permission string

// The permissions. Every moderator route needs exactly one.
const (
	PermView     Permission = "view"     // read an event's model, queues and live numbers
	PermRun      Permission = "run"      // drive a room: round, pitch and poll actions, timer, reveal, screen
	PermModerate Permission = "moderate" // approve, reject, pin, block, highlight; decide on answers
	PermBuild    Permission = "build"    // create and edit events, rooms, rounds, pitches, polls, boards, feed settings
	PermExport   Permission = "export"   // results, audit log, board exports, meeting requests (personal data)
	PermAdmin    Permission = "admin"    // accounts, sessions, every token, profiles
)

// RolePermissions is what each role may do, within the scope of its grant.
var RolePermissions = map[Role][]Permission{
	RoleAdmin:     {PermView, PermRun, PermModerate, PermBuild, PermExport, PermAdmin},
	RoleOrganiser: {PermView, PermRun, PermModerate, PermBuild, PermExport},
	RoleOperator:  {PermView, PermRun},
	RoleModerator: {PermView, PermModerate},
	RoleViewer:    {PermView},
}

// Has reports whether role r carries permission p.
func (r Role) Has(p Permission) bool { return slices.Contains(RolePermissions[r], p) }

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { _, ok := RolePermissions[r]; return ok }

// NeededRole returns the least powerful role that carries p: the role a
// refusal names.
func NeededRole(p Permission) Role {
	for i := len(Roles) - 1; i >= 0; i-- {
		if Roles[i].Has(p) {
			return Roles[i]
		}
	}
	return RoleAdmin
}

// Scope is the event and room an action touches; 0 for none. A scope of
// event 0 is the whole server (creating an event, the account list).
type Scope struct {
	EventID int64
	RoomID  int64
}

// Grant gives an account a role for one event (EventID), one room of it
// (RoomID), or every event (EventID 0). An administrator's grant is always
// for every event.
type Grant struct {
	Role    Role  `json:"role"`
	EventID int64 `json:"event_id"`
	RoomID  int64 `json:"room_id"`
}

// Validate checks the grant's shape; that its event and room exist is for
// the caller to check. Errors: EInvalid naming role, event_id or room_id.
func (g Grant) Validate() error {
	switch {
	case !g.Role.Valid():
		return FieldErrorf("role", "Role must be one of admin, organiser, operator, moderator, viewer.")
	case g.EventID < 0 || g.RoomID < 0:
		return FieldErrorf("event_id", "Event and room ids are positive, or 0 for all.")
	case g.Role == RoleAdmin && (g.EventID != 0 || g.RoomID != 0):
		return FieldErrorf("event_id", "An administrator acts on every event: give no event or room.")
	case g.RoomID != 0 && g.EventID == 0:
		return FieldErrorf("room_id", "A room grant names its event too.")
	}
	return nil
}

// Allows reports whether the grant allows p within s. A grant for a room
// covers that room, and reading its event (PermView of the event itself).
func (g Grant) Allows(p Permission, s Scope) bool {
	if !g.Role.Has(p) || (g.EventID != 0 && g.EventID != s.EventID) {
		return false
	}
	return g.RoomID == 0 || g.RoomID == s.RoomID || (s.RoomID == 0 && p == PermView)
}

// Covers reports whether g gives everything other gives: a token's grant
// may not exceed its account's.
func (g Grant) Covers(other Grant) bool {
	for _, p := range RolePermissions[other.Role] {
		if !g.Role.Has(p) {
			return false
		}
	}
	return g.EventID == 0 || (g.EventID == other.EventID && (g.RoomID == 0 || g.RoomID == other.RoomID))
}

// Allowed reports whether any of grants allows p within s.
func Allowed(grants []Grant, p Permission, s Scope) bool {
	return slices.ContainsFunc(grants, func(g Grant) bool { return g.Allows(p, s) })
}

// Account is a named member of the organising team. It signs in with a
// password (PasswordHash, bcrypt) or through the identity provider (Issuer
// and Subject of its ID tokens), and may do what its grants allow.
type Account struct {
	ID          int64     `json:"id"`
	Login       string    `json:"login"`
	DisplayName string    `json:"display_name"`
	Issuer      string    `json:"issuer,omitempty"`
	Subject     string    `json:"subject,omitempty"`
	Disabled    bool      `json:"disabled"`
	HasPassword bool      `json:"has_password"`
	Grants      []Grant   `json:"grants"`
	CreatedAt   time.Time `json:"created_at"`

	PasswordHash string `json:"-"`
}

// FirstAdminID is the id of the administrator the first start creates.
const FirstAdminID = 1

// MinPasswordLength is the shortest password an account may set.
const MinPasswordLength = 10

var loginPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,39}$`)

// Validate checks the login (1-40 of a-z, 0-9, '.', '_', '-', starting
// with a letter or digit), the display name (1-80 characters) and the
// grants. Errors: EInvalid naming the field.
func (a *Account) Validate() error {
	a.DisplayName = strings.TrimSpace(a.DisplayName)
	if !loginPattern.MatchString(a.Login) {
		return FieldErrorf("login", "Login must be 1 to 40 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit.")
	}
	if a.DisplayName == "" || utf8.RuneCountInString(a.DisplayName) > 80 || !utf8.ValidString(a.DisplayName) {
		return FieldErrorf("display_name", "Display name must be 1 to 80 characters.")
	}
	for _, g := range a.Grants {
		if err := g.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// CheckPassword checks a new password's length: at least MinPasswordLength
// characters, at most 72 bytes (bcrypt's limit). Errors: EInvalid on password.
func CheckPassword(pw string) error {
	if utf8.RuneCountInString(pw) < MinPasswordLength || len(pw) > 72 {
		return FieldErrorf("password", "Password must be %d to 72 characters.", MinPasswordLength)
	}
	return nil
}

// APIToken is an account's token for automation: it acts as its account,
// limited to its own grant (never more than the account's), until it
// expires or is revoked. Only its hash is stored.
type APIToken struct {
	ID        int64      `json:"id"`
	AccountID int64      `json:"account_id"`
	Name      string     `json:"name"`
	Grant     Grant      `json:"grant"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"` // null: never

	Hash string `json:"-"`
}

// Validate checks the name (1-60 characters) and the grant. Errors:
// EInvalid naming the field.
func (t *APIToken) Validate() error {
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" || utf8.RuneCountInString(t.Name) > 60 {
		return FieldErrorf("name", "Token name must be 1 to 60 characters.")
	}
	return t.Grant.Validate()
}

// Session is a signed-in browser of an account.
type Session struct {
	ID        string    `json:"id"` // public id: the token itself is never listed
	AccountID int64     `json:"account_id"`
	Method    string    `json:"method"` // "password" or "oidc"
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	CSRF      string    `json:"-"`
}

// ActorOf returns the actor that audit entries record for an account's
// login acting with API token tokenID (0: a session). The configured
// api_token is token 0 of the first administrator, recorded as "api_token".
func ActorOf(login string, tokenID int64, configToken bool) string {
	switch {
	case configToken:
		return login + " token:api_token"
	case tokenID != 0:
		return login + " token:" + strconv.FormatInt(tokenID, 10)
	}
	return login
}

// ParseActor splits an actor (ActorOf) into the account's login and the
// token it used ("" for none: a session, or a system action).
func ParseActor(actor string) (login, token string) {
	login, token, _ = strings.Cut(actor, " token:")
	return login, token
}

// HashToken returns the hex SHA-256 of a secret token: what is stored of
// API tokens, sessions and webhook secrets, so that a copy of the database
// holds none of them.
func HashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}
