-- The audience's upvotes of the answers of a question (open text): one per
-- participant and answer, applied again when the engine loads. An answer
-- changed or reset since keeps its rows, which then match no answer.
CREATE TABLE answer_upvotes (
	event_id       INTEGER NOT NULL,
	target_kind    TEXT NOT NULL,
	target_id      INTEGER NOT NULL,
	answer_id      TEXT NOT NULL,
	participant_id INTEGER NOT NULL,
	at             TEXT NOT NULL,
	PRIMARY KEY (target_kind, target_id, answer_id, participant_id)
) WITHOUT ROWID;
