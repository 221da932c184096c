-- Ovation schema, version 8: quizzes. A quiz is an ordered list of quiz
-- questions (polls of kind 'quiz' with its id and a position) run in one
-- room by a moderator; its phase says what the room's screens show of it.
-- A poll keeps the server time its voting opened (Unix ms, 0 for never):
-- a quiz question's time limit and its answers' points count from it.
CREATE TABLE quizzes (
	id               INTEGER PRIMARY KEY,
	event_id         INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	room_id          INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
	title            TEXT NOT NULL,
	state            TEXT NOT NULL,
	phase            TEXT NOT NULL,
	current_poll_id  INTEGER NOT NULL DEFAULT 0
);
ALTER TABLE polls ADD COLUMN quiz_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE polls ADD COLUMN opened_at_ms INTEGER NOT NULL DEFAULT 0;
