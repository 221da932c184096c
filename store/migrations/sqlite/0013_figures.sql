-- The figures of an event's life, one row per minute, room (0: the event
-- as a whole) and node: connections at their peak and last sample, joins,
-- votes and answers. Package figures writes one batch a minute.
CREATE TABLE figures (
	event_id  INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	room_id   INTEGER NOT NULL,
	node      TEXT NOT NULL,
	minute    INTEGER NOT NULL,           -- Unix time / 60
	conn_peak INTEGER NOT NULL DEFAULT 0,
	conn_last INTEGER NOT NULL DEFAULT 0,
	joins     INTEGER NOT NULL DEFAULT 0,
	votes     INTEGER NOT NULL DEFAULT 0,
	answers   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (event_id, minute, room_id, node)
) WITHOUT ROWID;
