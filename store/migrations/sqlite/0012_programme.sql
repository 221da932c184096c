-- Ovation schema, version 12: the programme. Sessions (talks) of an event,
-- each in one room between two times (Unix milliseconds, UTC), and the
-- event's time zone, in which the programme is shown and imported.
-- Everything here belongs to an event and is deleted with it.

CREATE TABLE programme_sessions (
	id          INTEGER PRIMARY KEY,
	event_id    INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	room_id     INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
	title       TEXT NOT NULL,
	speakers    TEXT NOT NULL,            -- JSON array of {name, affiliation}
	start_at    INTEGER NOT NULL,
	end_at      INTEGER NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	link        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX programme_sessions_event ON programme_sessions(event_id, start_at);

CREATE TABLE programme_settings (
	event_id  INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
	time_zone TEXT NOT NULL                -- IANA name, e.g. Europe/Paris
);
