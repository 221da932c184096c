package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/store"
)

func session(id string, account int64, expires time.Time) live.Session {
	return live.Session{ID: id, AccountID: account, CSRF: "csrf-" + id, Method: "password", IP: "127.0.0.1", UserAgent: "test",
		CreatedAt: time.Now(), ExpiresAt: expires}
}

func TestAccounts(t *testing.T) {
	t.Run("the_first_administrator_exists_with_no_password", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{})
		a, err := db.Account(ctxT(t), live.FirstAdminID)
		must(t, err)
		if a.Login != "admin" || a.HasPassword || len(a.Grants) != 1 || a.Grants[0] != (live.Grant{Role: live.RoleAdmin}) {
			t.Fatalf("first account = %+v", a)
		}
	})
	t.Run("the_moderator_password_of_version_7_becomes_the_administrators", func(t *testing.T) {
		path := dbPath(t)
		raw := rawDB(t, path)
		for _, name := range []string{"0001_init.sql", "0002_feed.sql", "0003_boards.sql", "0004_answers.sql", "0005_decisions.sql", "0006_show.sql", "0007_visibility.sql"} {
			body, err := migrationBody(name)
			must(t, err)
			_, err = raw.Exec(body)
			must(t, err)
		}
		_, err := raw.Exec(`PRAGMA user_version = 7;
			INSERT INTO settings VALUES ('moderator_password_hash', '$2a$04$old');
			INSERT INTO sessions VALUES ('h', 'c', 99999999999);
			INSERT INTO audit (event_id, actor, action, target, detail, at) VALUES (1, 'moderator', 'start', 'round:1', '', '2026-11-30T10:00:00Z');`)
		must(t, err)
		raw.Close()
		db := openDB(t, path, store.Options{})
		a, err := db.Account(ctxT(t), live.FirstAdminID)
		must(t, err)
		if a.PasswordHash != "$2a$04$old" {
			t.Fatalf("password hash = %q", a.PasswordHash)
		}
		if s, err := db.Session(ctxT(t), "h"); err != nil || s != nil {
			t.Fatalf("old session = %+v, %v; want ended", s, err)
		}
		if v, _ := db.Setting(ctxT(t), "moderator_password_hash"); v != "" {
			t.Fatalf("setting left: %q", v)
		}
		entries, err := db.AuditSearch(ctxT(t), live.AuditFilter{Account: "moderator"})
		must(t, err)
		if len(entries) != 1 {
			t.Fatalf("old audit by moderator = %+v", entries)
		}
	})
	t.Run("save_reads_back_with_grants_and_refuses_a_taken_login", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{})
		ctx := ctxT(t)
		a := &live.Account{Login: "ada", DisplayName: "Ada", PasswordHash: "h",
			Grants: []live.Grant{{Role: live.RoleOperator, EventID: 3, RoomID: 4}, {Role: live.RoleViewer, EventID: 3}}}
		must(t, db.SaveAccount(ctx, a))
		got, err := db.AccountByLogin(ctx, "ada")
		must(t, err)
		if got.ID != a.ID || len(got.Grants) != 2 || !got.HasPassword {
			t.Fatalf("got %+v", got)
		}
		wantCode(t, db.SaveAccount(ctx, &live.Account{Login: "ada", DisplayName: "Other"}), live.EConflict)
		got.Grants = got.Grants[:1]
		got.Disabled = true
		must(t, db.SaveAccount(ctx, got))
		again, err := db.Account(ctx, a.ID)
		must(t, err)
		if len(again.Grants) != 1 || !again.Disabled {
			t.Fatalf("after update %+v", again)
		}
		wantCode(t, db.SaveAccount(ctx, &live.Account{ID: 999, Login: "x", DisplayName: "X"}), live.ENotFound)
		_, err = db.AccountByLogin(ctx, "nobody")
		wantCode(t, err, live.ENotFound)
	})
	t.Run("an_identity_belongs_to_one_account", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{})
		ctx := ctxT(t)
		must(t, db.SaveAccount(ctx, &live.Account{Login: "sso1", DisplayName: "S", Issuer: "https://idp", Subject: "42"}))
		wantCode(t, db.SaveAccount(ctx, &live.Account{Login: "sso2", DisplayName: "S", Issuer: "https://idp", Subject: "42"}), live.EConflict)
		a, err := db.AccountByIdentity(ctx, "https://idp", "42")
		must(t, err)
		if a.Login != "sso1" {
			t.Fatalf("got %+v", a)
		}
	})
	t.Run("deleting_an_account_ends_its_sessions_and_tokens", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{})
		ctx := ctxT(t)
		a := &live.Account{Login: "gone", DisplayName: "Gone"}
		must(t, db.SaveAccount(ctx, a))
		must(t, db.SaveSession(ctx, "sh", session("s1", a.ID, time.Now().Add(time.Hour))))
		tok := &live.APIToken{AccountID: a.ID, Name: "ci", Hash: "th", Grant: live.Grant{Role: live.RoleViewer}}
		must(t, db.SaveToken(ctx, tok))
		must(t, db.DeleteAccount(ctx, a.ID))
		if s, _ := db.Session(ctx, "sh"); s != nil {
			t.Fatal("session outlived its account")
		}
		if tk, _ := db.TokenByHash(ctx, "th"); tk != nil {
			t.Fatal("token outlived its account")
		}
		wantCode(t, db.DeleteAccount(ctx, a.ID), live.ENotFound)
	})
}

func TestSessions(t *testing.T) {
	t.Run("a_live_session_reads_back_and_expired_ones_do_not", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{})
		ctx := ctxT(t)
		must(t, db.SaveSession(ctx, "h1", session("s1", 1, time.Now().Add(time.Hour))))
		must(t, db.SaveSession(ctx, "old", session("s2", 1, time.Now().Add(-time.Minute))))
		s, err := db.Session(ctx, "h1")
		must(t, err)
		if s == nil || s.ID != "s1" || s.CSRF != "csrf-s1" || s.AccountID != 1 {
			t.Fatalf("Session = %+v", s)
		}
		for _, h := range []string{"old", "nope"} {
			if s, err := db.Session(ctx, h); err != nil || s != nil {
				t.Fatalf("Session(%s) = %+v, %v", h, s, err)
			}
		}
		list, err := db.Sessions(ctx, 1)
		must(t, err)
		if len(list) != 1 || list[0].ID != "s1" {
			t.Fatalf("Sessions = %+v", list)
		}
	})
	t.Run("revoke_by_id_only_within_the_account", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{})
		ctx := ctxT(t)
		a := &live.Account{Login: "b", DisplayName: "B"}
		must(t, db.SaveAccount(ctx, a))
		must(t, db.SaveSession(ctx, "h1", session("s1", 1, time.Now().Add(time.Hour))))
		must(t, db.SaveSession(ctx, "h2", session("s2", a.ID, time.Now().Add(time.Hour))))
		wantCode(t, db.RevokeSession(ctx, a.ID, "s1"), live.ENotFound)
		must(t, db.RevokeSession(ctx, a.ID, "s2"))
		if s, _ := db.Session(ctx, "h2"); s != nil {
			t.Fatal("revoked session lives")
		}
		must(t, db.SaveSession(ctx, "h3", session("s3", a.ID, time.Now().Add(time.Hour))))
		must(t, db.DeleteAccountSessions(ctx, a.ID))
		if s, _ := db.Session(ctx, "h3"); s != nil {
			t.Fatal("session survived logout everywhere")
		}
		if s, _ := db.Session(ctx, "h1"); s == nil {
			t.Fatal("another account's session ended")
		}
	})
	t.Run("sessions_survive_a_restart", func(t *testing.T) {
		path := dbPath(t)
		db := openDB(t, path, store.Options{})
		must(t, db.SaveSession(ctxT(t), "h", session("s", 1, time.Now().Add(time.Hour))))
		closeDB(t, db)
		db = openDB(t, path, store.Options{})
		if s, err := db.Session(ctxT(t), "h"); err != nil || s == nil {
			t.Fatalf("Session after restart = %+v, %v", s, err)
		}
	})
}

func TestTokens(t *testing.T) {
	db := openDB(t, dbPath(t), store.Options{})
	ctx := ctxT(t)
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	tok := &live.APIToken{AccountID: 1, Name: "deploy", Hash: "hash", Grant: live.Grant{Role: live.RoleOperator, EventID: 2, RoomID: 5}, ExpiresAt: &exp}
	must(t, db.SaveToken(ctx, tok))
	got, err := db.TokenByHash(ctx, "hash")
	must(t, err)
	if got == nil || got.ID != tok.ID || got.Grant != tok.Grant || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) {
		t.Fatalf("TokenByHash = %+v", got)
	}
	list, err := db.Tokens(ctx, 1)
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("Tokens = %+v", list)
	}
	wantCode(t, db.DeleteToken(ctx, 7, tok.ID), live.ENotFound)
	must(t, db.DeleteToken(ctx, 1, tok.ID))
	if got, _ := db.TokenByHash(ctx, "hash"); got != nil {
		t.Fatal("revoked token found")
	}
}

func TestAuditSearch(t *testing.T) {
	db := openDB(t, dbPath(t), store.Options{})
	f := seed(t, db)
	ctx := context.Background()
	at := time.Now()
	for _, a := range []live.AuditEntry{
		{EventID: f.event.ID, Actor: "ada", Action: "start", Target: "round:" + itoa(f.round.ID), At: at},
		{EventID: f.event.ID, Actor: "bob token:4", Action: "open", Target: "poll:" + itoa(f.choice.ID), At: at},
		{EventID: f.event.ID, Actor: "ada", Action: "approve", Target: "feed:9", At: at},
		{EventID: f.event.ID + 1, Actor: "ada", Action: "start", Target: "round:999", At: at},
	} {
		must(t, db.Audit(ctx, a))
	}
	count := func(flt live.AuditFilter) []live.AuditEntry {
		t.Helper()
		out, err := db.AuditSearch(ctx, flt)
		must(t, err)
		return out
	}
	if got := count(live.AuditFilter{Account: "ada"}); len(got) != 3 {
		t.Fatalf("by ada: %+v", got)
	}
	if got := count(live.AuditFilter{Account: "bob"}); len(got) != 1 || got[0].Token != "4" || got[0].RoomID != f.choice.RoomID {
		t.Fatalf("by bob: %+v", got)
	}
	if got := count(live.AuditFilter{EventID: f.event.ID, RoomID: f.round.RoomID}); len(got) != 2 {
		t.Fatalf("in the room: %+v", got)
	}
	if got := count(live.AuditFilter{EventID: f.event.ID, Account: "ada"}); len(got) != 2 || got[0].RoomID != 0 {
		t.Fatalf("ada in the event: %+v", got)
	}
	if got := count(live.AuditFilter{EventID: f.event.ID, Limit: 1}); len(got) != 1 {
		t.Fatalf("limit 1: %+v", got)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func migrationBody(name string) (string, error) {
	b, err := os.ReadFile(filepath.Join("migrations", "sqlite", name))
	return string(b), err
}
