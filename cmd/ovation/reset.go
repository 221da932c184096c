package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ovation-live/ovation/api"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/store"
)

// The commands that replace a stored credential.
const (
	cmdResetPassword = "reset-password"
	cmdResetAPIToken = "reset-api-token"
)

// keyAPITokenHash is the key of the API token's hash in the settings table.
const keyAPITokenHash = "api_token_hash"

// reset runs reset-password [LOGIN] or reset-api-token: it stores a new
// random password for the account LOGIN (default: the first administrator,
// admin), ending its sessions, or a new API token in the database of
// cfg.DataDir and prints it once. A running server reads the credentials at
// every check, so the new one applies to it at once. It refuses when the
// configuration sets the credential, which then wins over the stored one,
// and when there is no database yet.
func reset(ctx context.Context, command string, login string, cfg Config, stdout io.Writer) error {
	setting, env := "moderator_password", "OVATION_MODERATOR_PASSWORD"
	if command == cmdResetAPIToken {
		setting, env = "api_token", "OVATION_API_TOKEN"
	}
	if command == cmdResetPassword && cfg.ModeratorPassword != "" && (login == "" || login == "admin") || command == cmdResetAPIToken && cfg.APIToken != "" {
		return fmt.Errorf("%s: %s is set (in the configuration file, %s or -%s) and takes precedence over the stored one: change it there, or remove it and run %s again",
			command, setting, env, setting, command)
	}
	if cfg.Cluster.Role == "edge" {
		return fmt.Errorf("%s: an edge keeps no database; run it where the core runs, with the core's data_dir", command)
	}
	if path := filepath.Join(cfg.DataDir, "ovation.db"); cfg.Store.URL == "" {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: no database at %s; give the server's -data_dir (or -config), or start the server once: the first start generates the credentials", command, path)
		}
	}
	db, err := openStore(cfg, store.Options{Beside: true}) // beside a running server, which goes on
	if err != nil {
		return err
	}
	defer db.Close()
	if command == cmdResetAPIToken {
		token := api.RandomSecret(24)
		if err := db.SetSetting(ctx, keyAPITokenHash, api.HashAPIToken(token)); err != nil {
			return err
		}
		if err := db.Close(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "New API token: %s   (shown once; stored hashed in %s; send as Authorization: Bearer)\n", token, db.Name())
		fmt.Fprintln(stdout, "The old token is refused from now on, also by a server running on this data directory.")
		return nil
	}
	var account *live.Account
	if login == "" {
		account, err = db.Account(ctx, live.FirstAdminID)
	} else {
		account, err = db.AccountByLogin(ctx, login)
	}
	if live.ErrorCode(err) == live.ENotFound {
		return fmt.Errorf("%s: no account with login %q", command, login)
	}
	if err != nil {
		return err
	}
	pw := api.RandomSecret(8)
	if account.PasswordHash, err = api.HashPassword(pw); err != nil {
		return err
	}
	if err := db.SaveAccount(ctx, account); err != nil {
		return err
	}
	if err := db.DeleteAccountSessions(ctx, account.ID); err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "New password of %s: %s   (shown once; stored hashed in %s)\n", account.Login, pw, db.Name())
	fmt.Fprintf(stdout, "The old password is refused from now on, also by a server running on this data directory, and every session of %s has ended.\n", account.Login)
	return nil
}

// credentials are the first administrator's password as the configuration
// sets it ("" otherwise: the account's own, stored with it) and the API
// token as the server checks it: the configuration's when set, else the
// database's, read at every check so that reset-api-token applies to a
// running server at once.
type credentials struct {
	db           settingsStore
	passwordHash string // of moderator_password; "": the account's own
	apiTokenHash string // of api_token; "" reads the database
}

var _ api.Credentials = credentials{}

// newCredentials returns the credentials of a server on db whose start
// loaded s.
func newCredentials(db settingsStore, s secrets) credentials {
	c := credentials{db: db}
	if s.fromConfig {
		c.passwordHash = s.passwordHash
	}
	if s.tokenConfig {
		c.apiTokenHash = s.apiTokenHash
	}
	return c
}

// PasswordHash implements api.Credentials.
func (c credentials) PasswordHash(context.Context) (string, error) { return c.passwordHash, nil }

// APITokenHash implements api.Credentials.
func (c credentials) APITokenHash(ctx context.Context) (string, error) {
	if c.apiTokenHash != "" {
		return c.apiTokenHash, nil
	}
	return c.db.Setting(ctx, keyAPITokenHash)
}
