-- Moderators' decisions on the answers of a question (hide, show or merge a
-- word of a cloud), applied again in order when the engine loads.
CREATE TABLE answer_decisions (
	id          INTEGER PRIMARY KEY,
	event_id    INTEGER NOT NULL,
	target_kind TEXT NOT NULL,
	target_id   INTEGER NOT NULL,
	decision    TEXT NOT NULL,
	at          TEXT NOT NULL
);
