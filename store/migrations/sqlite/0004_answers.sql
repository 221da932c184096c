-- Votes carry the answer of their question's kind in its canonical JSON
-- form ("3" for a choice or a score), so that every kind shares the votes
-- table and the ledger. Existing integer values become their JSON text.
CREATE TABLE votes_answers (
	participant_id INTEGER NOT NULL,
	target_kind    TEXT NOT NULL,
	target_id      INTEGER NOT NULL,
	event_id       INTEGER NOT NULL,
	vote_id        TEXT NOT NULL,
	answer         TEXT NOT NULL,
	jury           INTEGER NOT NULL,
	at             TEXT NOT NULL,
	PRIMARY KEY (participant_id, target_kind, target_id)
) WITHOUT ROWID;
INSERT INTO votes_answers SELECT participant_id, target_kind, target_id, event_id, vote_id, CAST(value AS TEXT), jury, at FROM votes;
DROP TABLE votes;
ALTER TABLE votes_answers RENAME TO votes;

CREATE TABLE vote_log_answers (
	participant_id INTEGER NOT NULL,
	vote_id        TEXT NOT NULL,
	event_id       INTEGER NOT NULL,
	target_kind    TEXT NOT NULL,
	target_id      INTEGER NOT NULL,
	answer         TEXT NOT NULL,
	at             TEXT NOT NULL,
	PRIMARY KEY (participant_id, vote_id)
) WITHOUT ROWID;
INSERT INTO vote_log_answers SELECT participant_id, vote_id, event_id, target_kind, target_id, CAST(value AS TEXT), at FROM vote_log;
DROP TABLE vote_log;
ALTER TABLE vote_log_answers RENAME TO vote_log;

-- A question's kind may have settings of its own (a JSON object; '' for none).
ALTER TABLE polls ADD COLUMN settings TEXT NOT NULL DEFAULT '';
