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
	"github.com/ovation-live/ovation/store"
)

// The commands that replace a stored credential.
const (
	cmdResetPassword = "reset-password"
	cmdResetAPIToken = "reset-api-token"
)

// Keys of the credentials in the settings table.
const (
	keyPasswordHash = "moderator_password_hash"
	keyAPITokenHash = "api_token_hash"
)

// reset runs reset-password or reset-api-token: it stores a new random
// moderator password (ending every moderator session) or API token in the
// database of cfg.DataDir and prints it once. A running server reads the
// credentials at every check, so the new one applies to it at once. It
// refuses when the configuration sets the credential, which then wins over
// the stored one, and when there is no database yet.
func reset(ctx context.Context, command string, cfg Config, stdout io.Writer) error {
	setting, env := "moderator_password", "OVATION_MODERATOR_PASSWORD"
	if command == cmdResetAPIToken {
		setting, env = "api_token", "OVATION_API_TOKEN"
	}
	if command == cmdResetPassword && cfg.ModeratorPassword != "" || command == cmdResetAPIToken && cfg.APIToken != "" {
		return fmt.Errorf("%s: %s is set (in the configuration file, %s or -%s) and takes precedence over the stored one: change it there, or remove it and run %s again",
			command, setting, env, setting, command)
	}
	if cfg.Cluster.Role == "edge" {
		return fmt.Errorf("%s: an edge keeps no database; run it where the core runs, with the core's data_dir", command)
	}
	path := filepath.Join(cfg.DataDir, "ovation.db")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: no database at %s; give the server's -data_dir (or -config), or start the server once: the first start generates the credentials", command, path)
	}
	db, err := store.Open(path, store.Options{Synchronous: cfg.Votes.Synchronous})
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
		fmt.Fprintf(stdout, "New API token: %s   (shown once; stored hashed in %s; send as Authorization: Bearer)\n", token, path)
		fmt.Fprintln(stdout, "The old token is refused from now on, also by a server running on this data directory.")
		return nil
	}
	pw := api.RandomSecret(8)
	hash, err := api.HashPassword(pw)
	if err != nil {
		return err
	}
	if err := db.SetSetting(ctx, keyPasswordHash, hash); err != nil {
		return err
	}
	if err := db.DeleteSessions(ctx); err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "New moderator password: %s   (shown once; stored hashed in %s)\n", pw, path)
	fmt.Fprintln(stdout, "The old password is refused from now on, also by a server running on this data directory, and every moderator session has ended.")
	return nil
}

// credentials are the moderator password and the API token as the server
// checks them: the configuration's when set, else the database's, read at
// every check so that reset-password and reset-api-token apply to a running
// server at once.
type credentials struct {
	db           settingsStore
	passwordHash string // of moderator_password; "" reads the database
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
func (c credentials) PasswordHash(ctx context.Context) (string, error) {
	if c.passwordHash != "" {
		return c.passwordHash, nil
	}
	return c.db.Setting(ctx, keyPasswordHash)
}

// APITokenHash implements api.Credentials.
func (c credentials) APITokenHash(ctx context.Context) (string, error) {
	if c.apiTokenHash != "" {
		return c.apiTokenHash, nil
	}
	return c.db.Setting(ctx, keyAPITokenHash)
}
