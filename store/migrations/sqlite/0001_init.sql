-- Ovation schema, version 1.
CREATE TABLE events (
	id          INTEGER PRIMARY KEY,
	code        TEXT NOT NULL UNIQUE,
	title       TEXT NOT NULL,
	languages   TEXT NOT NULL,           -- JSON array, e.g. ["fr","en"]
	color       TEXT NOT NULL,
	logo_url    TEXT NOT NULL,
	jury_code   TEXT NOT NULL,
	jury_weight INTEGER NOT NULL,
	created_at  TEXT NOT NULL
);

CREATE TABLE rooms (
	id              INTEGER PRIMARY KEY,
	event_id        INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	name            TEXT NOT NULL,
	active_round_id INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE rounds (
	id               INTEGER PRIMARY KEY,
	event_id         INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	room_id          INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
	title            TEXT NOT NULL,
	scale            INTEGER NOT NULL,
	state            TEXT NOT NULL,
	current_pitch_id INTEGER NOT NULL DEFAULT 0,
	ranking_revealed INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE pitches (
	id                 INTEGER PRIMARY KEY,
	round_id           INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
	position           INTEGER NOT NULL,
	team               TEXT NOT NULL,
	presenter          TEXT NOT NULL,
	duration_s         INTEGER NOT NULL,
	video_url          TEXT NOT NULL,
	state              TEXT NOT NULL,
	show_results       INTEGER NOT NULL,
	timer_running      INTEGER NOT NULL,
	timer_deadline_ms  INTEGER NOT NULL,
	timer_remaining_ms INTEGER NOT NULL
);

CREATE TABLE polls (
	id           INTEGER PRIMARY KEY,
	event_id     INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	room_id      INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
	question     TEXT NOT NULL,
	kind         TEXT NOT NULL,
	choices      TEXT NOT NULL,          -- JSON array of labels
	scale_max    INTEGER NOT NULL,
	state        TEXT NOT NULL,
	show_results INTEGER NOT NULL,
	position     INTEGER NOT NULL
);

CREATE TABLE participants (
	id           INTEGER PRIMARY KEY,    -- random, chosen by the engine
	event_id     INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	display_name TEXT NOT NULL,
	jury         INTEGER NOT NULL,
	created_at   TEXT NOT NULL
);

-- The current vote of each participant for each target. Targets are pitches
-- or polls, so there is no foreign key on target_id; a reset deletes rows.
CREATE TABLE votes (
	participant_id INTEGER NOT NULL,
	target_kind    TEXT NOT NULL,
	target_id      INTEGER NOT NULL,
	event_id       INTEGER NOT NULL,
	vote_id        TEXT NOT NULL,
	value          INTEGER NOT NULL,
	jury           INTEGER NOT NULL,
	at             TEXT NOT NULL,
	PRIMARY KEY (participant_id, target_kind, target_id)
) WITHOUT ROWID;

-- Every vote id ever committed: replays of a vote id are idempotent.
CREATE TABLE vote_log (
	participant_id INTEGER NOT NULL,
	vote_id        TEXT NOT NULL,
	event_id       INTEGER NOT NULL,
	target_kind    TEXT NOT NULL,
	target_id      INTEGER NOT NULL,
	value          INTEGER NOT NULL,
	at             TEXT NOT NULL,
	PRIMARY KEY (participant_id, vote_id)
) WITHOUT ROWID;

CREATE TABLE audit (
	id       INTEGER PRIMARY KEY,
	event_id INTEGER NOT NULL,
	actor    TEXT NOT NULL,
	action   TEXT NOT NULL,
	target   TEXT NOT NULL,
	detail   TEXT NOT NULL,
	at       TEXT NOT NULL
);
CREATE INDEX audit_event ON audit(event_id, id);

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY,
	csrf       TEXT NOT NULL,
	expires_at INTEGER NOT NULL
);
