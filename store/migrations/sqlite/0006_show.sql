-- Ovation schema, version 6: running the show. A room's screen can be sent
-- to the lobby or blanked ('current' follows the room's round and polls);
-- a round's ranking is revealed place by place (revealed_places, from the
-- last place up) or all at once (auto_reveal).
ALTER TABLE rooms ADD COLUMN screen TEXT NOT NULL DEFAULT 'current';
ALTER TABLE rounds ADD COLUMN revealed_places INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rounds ADD COLUMN auto_reveal INTEGER NOT NULL DEFAULT 0;
-- A ranking revealed before version 6 was shown whole.
UPDATE rounds SET revealed_places = (SELECT count(*) FROM pitches WHERE pitches.round_id = rounds.id) WHERE ranking_revealed;
