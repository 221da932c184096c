-- Ovation schema, version 3: audience boards and meeting requests.
-- Times are Unix milliseconds. Everything here belongs to an event and is
-- deleted with it (ON DELETE CASCADE), personal data included.

CREATE TABLE boards (
	id           INTEGER PRIMARY KEY,
	event_id     INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	room_id      INTEGER NOT NULL,        -- 0: the whole event
	title        TEXT NOT NULL,
	moderation   TEXT NOT NULL,           -- pre, post
	open         INTEGER NOT NULL,
	max_len      INTEGER NOT NULL,
	highlight_id INTEGER NOT NULL DEFAULT 0,
	poll_id      INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL
);
CREATE INDEX boards_event ON boards(event_id, id);

CREATE TABLE board_entries (
	id             INTEGER PRIMARY KEY,
	board_id       INTEGER NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
	event_id       INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	participant_id INTEGER NOT NULL,
	display_name   TEXT NOT NULL,         -- empty: anonymous
	text           TEXT NOT NULL,
	status         TEXT NOT NULL,         -- pending, approved, rejected, answered, merged
	pinned         INTEGER NOT NULL DEFAULT 0,
	merged_into    INTEGER NOT NULL DEFAULT 0,
	created_at     INTEGER NOT NULL,
	decided_by     TEXT NOT NULL DEFAULT '',
	decided_at     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX board_entries_board ON board_entries(board_id, status);

-- One row per participant and entry: the primary key makes upvotes exact
-- under any concurrency; a retraction deletes the row.
CREATE TABLE board_upvotes (
	entry_id       INTEGER NOT NULL REFERENCES board_entries(id) ON DELETE CASCADE,
	participant_id INTEGER NOT NULL,
	at             INTEGER NOT NULL,
	PRIMARY KEY (entry_id, participant_id)
) WITHOUT ROWID;

-- Personal data, given with explicit consent; one request per participant and pitch.
CREATE TABLE meeting_requests (
	id             INTEGER PRIMARY KEY,
	event_id       INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	pitch_id       INTEGER NOT NULL REFERENCES pitches(id) ON DELETE CASCADE,
	participant_id INTEGER NOT NULL,
	name           TEXT NOT NULL,
	company        TEXT NOT NULL,
	role           TEXT NOT NULL,
	email          TEXT NOT NULL,
	consent_text   TEXT NOT NULL,
	created_at     INTEGER NOT NULL,
	UNIQUE (pitch_id, participant_id)
);
CREATE INDEX meeting_requests_event ON meeting_requests(event_id, pitch_id);
