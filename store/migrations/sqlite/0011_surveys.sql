-- Ovation schema, version 11: surveys. A survey is an ordered set of
-- questions (polls with its id and a position) answered at each
-- participant's own pace in one room, open between two times (Unix ms,
-- 0 for none) or as a moderator opens and closes it. It may be the
-- feedback of a session of the programme (session_id, NULL for none).
-- A survey's question may be required.
CREATE TABLE surveys (
	id           INTEGER PRIMARY KEY,
	event_id     INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	room_id      INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
	session_id   INTEGER,
	title        TEXT NOT NULL,
	intro        TEXT NOT NULL DEFAULT '',
	thanks       TEXT NOT NULL DEFAULT '',
	state        TEXT NOT NULL,
	opens_at_ms  INTEGER NOT NULL DEFAULT 0,
	closes_at_ms INTEGER NOT NULL DEFAULT 0
);
ALTER TABLE polls ADD COLUMN survey_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE polls ADD COLUMN required INTEGER NOT NULL DEFAULT 0;
