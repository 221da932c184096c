-- Ovation schema, version 2: the social feed.

-- Every item received from a source, in its moderation state. Text is plain
-- text, never HTML.
CREATE TABLE feed_items (
	id          INTEGER PRIMARY KEY,
	event_id    INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	room_id     INTEGER NOT NULL,        -- 0: every room of the event
	source      TEXT NOT NULL,           -- x, mastodon, bluesky, app, webhook
	source_id   TEXT NOT NULL,
	dedup_key   TEXT NOT NULL,           -- same post across sources
	author      TEXT NOT NULL,
	author_name TEXT NOT NULL,
	text        TEXT NOT NULL,
	link        TEXT NOT NULL,
	media_url   TEXT NOT NULL,
	posted_at   TEXT NOT NULL,
	received_at TEXT NOT NULL,
	status      TEXT NOT NULL,           -- pending, approved, rejected
	pinned      INTEGER NOT NULL DEFAULT 0,
	reason      TEXT NOT NULL DEFAULT '',
	decided_by  TEXT NOT NULL DEFAULT '',
	decided_at  TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX feed_items_source ON feed_items(event_id, source, source_id);
CREATE UNIQUE INDEX feed_items_dedup ON feed_items(event_id, dedup_key);
CREATE INDEX feed_items_status ON feed_items(event_id, status, id);

-- Where each source of each event resumes after a restart (since_id, cursor).
CREATE TABLE feed_cursors (
	event_id   INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	source     TEXT NOT NULL,            -- kind:hashtag, e.g. x:TDAYS
	cursor     TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (event_id, source)
) WITHOUT ROWID;

-- One JSON document per event: moderation mode, rules, sources, recordings.
CREATE TABLE feed_settings (
	event_id INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
	settings TEXT NOT NULL
);

-- Items received per minute, per room (0: event-wide) and source.
CREATE TABLE feed_volume (
	event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	room_id  INTEGER NOT NULL,
	source   TEXT NOT NULL,
	minute   INTEGER NOT NULL,           -- Unix time / 60
	count    INTEGER NOT NULL,
	PRIMARY KEY (event_id, room_id, source, minute)
) WITHOUT ROWID;
