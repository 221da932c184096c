-- Ovation schema, version 10: the organising team. Named accounts (a
-- bcrypt password, or an identity at the configured OpenID provider), their
-- roles per event and room (grants), sessions that name their account and
-- can be listed and revoked, API tokens per account, and audit entries that
-- name the account, the token and the room.
--
-- The moderator password of earlier versions becomes the password of the
-- first administrator (id 1, login "admin"); its old sessions end.
CREATE TABLE accounts (
	id            INTEGER PRIMARY KEY,
	login         TEXT NOT NULL UNIQUE,
	display_name  TEXT NOT NULL,
	password_hash TEXT NOT NULL DEFAULT '',  -- bcrypt; '' signs in only through the identity provider
	issuer        TEXT NOT NULL DEFAULT '',
	subject       TEXT NOT NULL DEFAULT '',
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX accounts_identity ON accounts(issuer, subject) WHERE issuer <> '';

INSERT INTO accounts (id, login, display_name, password_hash, created_at)
VALUES (1, 'admin', 'Administrator',
	COALESCE((SELECT value FROM settings WHERE key = 'moderator_password_hash'), ''),
	strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
DELETE FROM settings WHERE key = 'moderator_password_hash';

-- event_id 0: every event; room_id 0: every room of the event.
CREATE TABLE grants (
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	role       TEXT NOT NULL,
	event_id   INTEGER NOT NULL DEFAULT 0,
	room_id    INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (account_id, role, event_id, room_id)
) WITHOUT ROWID;
INSERT INTO grants (account_id, role) VALUES (1, 'admin');

DROP TABLE sessions;
CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY,
	id         TEXT NOT NULL UNIQUE,          -- public: listed and revoked by it
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	csrf       TEXT NOT NULL,
	method     TEXT NOT NULL,                 -- password or oidc
	ip         TEXT NOT NULL,
	user_agent TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_account ON sessions(account_id);

CREATE TABLE api_tokens (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	role       TEXT NOT NULL,
	event_id   INTEGER NOT NULL DEFAULT 0,
	room_id    INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL DEFAULT 0     -- Unix seconds; 0: never
);
CREATE INDEX api_tokens_account ON api_tokens(account_id);

-- Who did what: the account's login and the token (its id, or api_token)
-- split out of the actor, and the room of the target (0: the event's).
ALTER TABLE audit ADD COLUMN account TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN token TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN room_id INTEGER NOT NULL DEFAULT 0;
UPDATE audit SET account = actor;
CREATE INDEX audit_account ON audit(account, id);
CREATE INDEX audit_room ON audit(event_id, room_id, id);
