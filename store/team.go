package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/ovation-live/ovation/live"
	"modernc.org/sqlite"
)

// sqliteConstraintUnique is SQLite's extended result code for a UNIQUE
// (or PRIMARY KEY) constraint that failed.
const (
	sqliteConstraintUnique     = 2067
	sqliteConstraintPrimaryKey = 1555
)

// isUnique reports whether err is a failed UNIQUE or PRIMARY KEY constraint.
func isUnique(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code() == sqliteConstraintUnique || se.Code() == sqliteConstraintPrimaryKey) || pgUnique(err)
}

const accountCols = `id, login, display_name, password_hash, issuer, subject, disabled, created_at`

func scanAccount(sc interface{ Scan(...any) error }) (*live.Account, error) {
	var a live.Account
	var at string
	if err := sc.Scan(&a.ID, &a.Login, &a.DisplayName, &a.PasswordHash, &a.Issuer, &a.Subject, &a.Disabled, &at); err != nil {
		return nil, err
	}
	a.CreatedAt, _ = time.Parse(time.RFC3339Nano, at)
	a.HasPassword = a.PasswordHash != ""
	a.Grants = []live.Grant{}
	return &a, nil
}

// Accounts returns every account with its grants, by id.
func (db *DB) Accounts(ctx context.Context) ([]live.Account, error) {
	out := []live.Account{}
	byID := map[int64]int{}
	err := db.query(ctx, `SELECT `+accountCols+` FROM accounts ORDER BY id`, func(rows *sql.Rows) error {
		a, err := scanAccount(rows)
		if err != nil {
			return err
		}
		byID[a.ID] = len(out)
		out = append(out, *a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = db.query(ctx, `SELECT account_id, role, event_id, room_id FROM grants ORDER BY account_id, event_id, room_id, role`, func(rows *sql.Rows) error {
		var id int64
		var g live.Grant
		if err := rows.Scan(&id, &g.Role, &g.EventID, &g.RoomID); err != nil {
			return err
		}
		if i, ok := byID[id]; ok {
			out[i].Grants = append(out[i].Grants, g)
		}
		return nil
	})
	return out, err
}

// Account returns the account with this id, or ENotFound.
func (db *DB) Account(ctx context.Context, id int64) (*live.Account, error) {
	return db.accountWhere(ctx, `id = ?`, id)
}

// AccountByLogin returns the account with this login, or ENotFound.
func (db *DB) AccountByLogin(ctx context.Context, login string) (*live.Account, error) {
	return db.accountWhere(ctx, `login = ?`, login)
}

// AccountByIdentity returns the account of the identity provider's
// issuer and subject, or ENotFound.
func (db *DB) AccountByIdentity(ctx context.Context, issuer, subject string) (*live.Account, error) {
	if issuer == "" {
		return nil, live.Errorf(live.ENotFound, "No such account.")
	}
	return db.accountWhere(ctx, `issuer = ? AND subject = ?`, issuer, subject)
}

func (db *DB) accountWhere(ctx context.Context, where string, args ...any) (*live.Account, error) {
	a, err := scanAccount(db.reader.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, live.Errorf(live.ENotFound, "No such account.")
	}
	if err != nil {
		return nil, err
	}
	err = db.query(ctx, `SELECT role, event_id, room_id FROM grants WHERE account_id = ? ORDER BY event_id, room_id, role`, func(rows *sql.Rows) error {
		var g live.Grant
		if err := rows.Scan(&g.Role, &g.EventID, &g.RoomID); err != nil {
			return err
		}
		a.Grants = append(a.Grants, g)
		return nil
	}, a.ID)
	return a, err
}

// SaveAccount creates the account (ID 0, setting ID and CreatedAt) or
// updates its login, display name, password hash, identity and disabled
// flag, and replaces its grants, in one transaction. Errors: EConflict for
// a login or identity another account has, ENotFound for an unknown id.
func (db *DB) SaveAccount(ctx context.Context, a *live.Account) (err error) {
	defer db.noteWrite(&err)
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if a.ID == 0 {
		if a.CreatedAt.IsZero() {
			a.CreatedAt = time.Now().UTC()
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO accounts (login, display_name, password_hash, issuer, subject, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			a.Login, a.DisplayName, a.PasswordHash, a.Issuer, a.Subject, a.Disabled, a.CreatedAt.UTC().Format(time.RFC3339Nano)).Scan(&a.ID)
		if isUnique(err) {
			return &live.Error{Code: live.EConflict, Field: "login", Message: "An account with this login or identity exists already."}
		}
		if err != nil {
			return err
		}
	} else {
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET login = ?, display_name = ?, password_hash = ?, issuer = ?, subject = ?, disabled = ? WHERE id = ?`,
			a.Login, a.DisplayName, a.PasswordHash, a.Issuer, a.Subject, a.Disabled, a.ID)
		if isUnique(err) {
			return &live.Error{Code: live.EConflict, Field: "login", Message: "An account with this login or identity exists already."}
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return live.Errorf(live.ENotFound, "No account %d.", a.ID)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM grants WHERE account_id = ?`, a.ID); err != nil {
			return err
		}
	}
	for _, g := range a.Grants {
		if _, err := tx.ExecContext(ctx, `INSERT INTO grants (account_id, role, event_id, room_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			a.ID, g.Role, g.EventID, g.RoomID); err != nil {
			return err
		}
	}
	a.HasPassword = a.PasswordHash != ""
	return tx.Commit()
}

// DeleteAccount deletes an account with its grants, sessions and tokens.
// Errors: ENotFound.
func (db *DB) DeleteAccount(ctx context.Context, id int64) (err error) {
	defer db.noteWrite(&err)
	res, err := db.writer.ExecContext(ctx, `DELETE FROM accounts WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return live.Errorf(live.ENotFound, "No account %d.", id)
	}
	return nil
}

// SaveSession stores a session of s.AccountID by the hash of its token.
func (db *DB) SaveSession(ctx context.Context, tokenHash string, s live.Session) (err error) {
	defer db.noteWrite(&err)
	_, err = db.writer.ExecContext(ctx, `INSERT INTO sessions (token_hash, id, account_id, csrf, method, ip, user_agent, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tokenHash, s.ID, s.AccountID, s.CSRF, s.Method, s.IP, s.UserAgent, s.CreatedAt.Unix(), s.ExpiresAt.Unix())
	return err
}

const sessionCols = `id, account_id, csrf, method, ip, user_agent, created_at, expires_at`

func scanSession(sc interface{ Scan(...any) error }) (*live.Session, error) {
	var s live.Session
	var created, expires int64
	if err := sc.Scan(&s.ID, &s.AccountID, &s.CSRF, &s.Method, &s.IP, &s.UserAgent, &created, &expires); err != nil {
		return nil, err
	}
	s.CreatedAt, s.ExpiresAt = time.Unix(created, 0).UTC(), time.Unix(expires, 0).UTC()
	return &s, nil
}

// Session returns the live session of a token's hash, or nil if there is
// none (never was, expired, revoked).
func (db *DB) Session(ctx context.Context, tokenHash string) (*live.Session, error) {
	s, err := scanSession(db.reader.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE token_hash = ? AND expires_at > ?`, tokenHash, time.Now().Unix()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return s, err
}

// Sessions returns the live sessions of an account (0: of every account),
// newest first.
func (db *DB) Sessions(ctx context.Context, accountID int64) ([]live.Session, error) {
	out := []live.Session{}
	err := db.query(ctx, `SELECT `+sessionCols+` FROM sessions WHERE (? = 0 OR account_id = ?) AND expires_at > ? ORDER BY created_at DESC, id`,
		func(rows *sql.Rows) error {
			s, err := scanSession(rows)
			if err == nil {
				out = append(out, *s)
			}
			return err
		}, accountID, accountID, time.Now().Unix())
	return out, err
}

// DeleteSession ends a session by its token's hash (and purges expired ones).
func (db *DB) DeleteSession(ctx context.Context, tokenHash string) (err error) {
	defer db.noteWrite(&err)
	_, err = db.writer.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ? OR expires_at <= ?`, tokenHash, time.Now().Unix())
	return err
}

// RevokeSession ends the session with public id of account accountID (0:
// of any account). Errors: ENotFound.
func (db *DB) RevokeSession(ctx context.Context, accountID int64, id string) (err error) {
	defer db.noteWrite(&err)
	res, err := db.writer.ExecContext(ctx, `DELETE FROM sessions WHERE id = ? AND (? = 0 OR account_id = ?)`, id, accountID, accountID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return live.Errorf(live.ENotFound, "No such session.")
	}
	return nil
}

// DeleteAccountSessions ends every session of an account: logout
// everywhere, a new password, a disabled account.
func (db *DB) DeleteAccountSessions(ctx context.Context, accountID int64) (err error) {
	defer db.noteWrite(&err)
	_, err = db.writer.ExecContext(ctx, `DELETE FROM sessions WHERE account_id = ?`, accountID)
	return err
}

const tokenCols = `id, account_id, name, token_hash, role, event_id, room_id, created_at, expires_at`

func scanToken(sc interface{ Scan(...any) error }) (*live.APIToken, error) {
	var t live.APIToken
	var created, expires int64
	if err := sc.Scan(&t.ID, &t.AccountID, &t.Name, &t.Hash, &t.Grant.Role, &t.Grant.EventID, &t.Grant.RoomID, &created, &expires); err != nil {
		return nil, err
	}
	t.CreatedAt = time.Unix(created, 0).UTC()
	if expires != 0 {
		x := time.Unix(expires, 0).UTC()
		t.ExpiresAt = &x
	}
	return &t, nil
}

// SaveToken stores a new API token (setting ID).
func (db *DB) SaveToken(ctx context.Context, t *live.APIToken) (err error) {
	defer db.noteWrite(&err)
	var expires int64
	if t.ExpiresAt != nil {
		expires = t.ExpiresAt.Unix()
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = time.Now().UTC()
	}
	return db.writer.QueryRowContext(ctx, `INSERT INTO api_tokens (account_id, name, token_hash, role, event_id, room_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		t.AccountID, t.Name, t.Hash, t.Grant.Role, t.Grant.EventID, t.Grant.RoomID, t.CreatedAt.Unix(), expires).Scan(&t.ID)
}

// TokenByHash returns the API token of a hash, expired or not (the caller
// tells them apart), or nil if there is none.
func (db *DB) TokenByHash(ctx context.Context, hash string) (*live.APIToken, error) {
	t, err := scanToken(db.reader.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE token_hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return t, err
}

// Tokens returns the API tokens of an account (0: of every account), by id.
func (db *DB) Tokens(ctx context.Context, accountID int64) ([]live.APIToken, error) {
	out := []live.APIToken{}
	err := db.query(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE ? = 0 OR account_id = ? ORDER BY id`, func(rows *sql.Rows) error {
		t, err := scanToken(rows)
		if err == nil {
			out = append(out, *t)
		}
		return err
	}, accountID, accountID)
	return out, err
}

// DeleteToken revokes the API token with id of account accountID (0: of
// any account). Errors: ENotFound.
func (db *DB) DeleteToken(ctx context.Context, accountID, id int64) (err error) {
	defer db.noteWrite(&err)
	res, err := db.writer.ExecContext(ctx, `DELETE FROM api_tokens WHERE id = ? AND (? = 0 OR account_id = ?)`, id, accountID, accountID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return live.Errorf(live.ENotFound, "No token %d.", id)
	}
	return nil
}

// AuditSearch returns the audit entries that f selects, newest first.
func (db *DB) AuditSearch(ctx context.Context, f live.AuditFilter) ([]live.AuditEntry, error) {
	if f.Limit <= 0 || f.Limit > 5000 {
		f.Limit = 5000
	}
	var where []string
	var args []any
	if f.EventID != 0 {
		where, args = append(where, "event_id = ?"), append(args, f.EventID)
	}
	if f.RoomID != 0 {
		where, args = append(where, "room_id = ?"), append(args, f.RoomID)
	}
	if f.Account != "" {
		where, args = append(where, "account = ?"), append(args, f.Account)
	}
	if f.Before != 0 {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	q := `SELECT id, event_id, actor, account, token, room_id, action, target, detail, at FROM audit`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	out := []live.AuditEntry{}
	err := db.query(ctx, q, func(rows *sql.Rows) error {
		var a live.AuditEntry
		var at string
		if err := rows.Scan(&a.ID, &a.EventID, &a.Actor, &a.Account, &a.Token, &a.RoomID, &a.Action, &a.Target, &a.Detail, &at); err != nil {
			return err
		}
		a.At, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, a)
		return nil
	}, append(args, f.Limit)...)
	return out, err
}

// auditRoomSQL is the room of an audit entry's target ("room:3", "round:4",
// "pitch:5", "poll:6") as the database holds it when the entry is written,
// from the target's kind (?1) and id (?2); 0 for a target outside any room.
const auditRoomSQL = `COALESCE(CASE ?1
	WHEN 'room'  THEN (SELECT id FROM rooms WHERE id = ?2)
	WHEN 'round' THEN (SELECT room_id FROM rounds WHERE id = ?2)
	WHEN 'poll'  THEN (SELECT room_id FROM polls WHERE id = ?2)
	WHEN 'pitch' THEN (SELECT r.room_id FROM pitches p JOIN rounds r ON r.id = p.round_id WHERE p.id = ?2)
	END, 0)`

func audit(ctx context.Context, x execer, a live.AuditEntry) error {
	login, token := live.ParseActor(a.Actor)
	kind, idText, _ := strings.Cut(a.Target, ":")
	id, _ := strconv.ParseInt(idText, 10, 64)
	_, err := x.ExecContext(ctx, `INSERT INTO audit (event_id, actor, account, token, action, target, detail, at, room_id)
		VALUES (?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, `+auditRoomSQL+`)`,
		kind, id, a.EventID, a.Actor, login, token, a.Action, a.Target, a.Detail, a.At.UTC().Format(time.RFC3339Nano))
	return err
}
