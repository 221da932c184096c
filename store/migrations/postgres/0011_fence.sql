-- Ovation schema on PostgreSQL, version 11: fencing. Each process that
-- opens the database takes the next fencing token (store.OpenPostgres) and
-- names it on every connection (the ovation.fence setting). Every write
-- statement first takes a share lock on the token's row and checks that it
-- is still its own: once a newer process took the next token, which waits
-- for the older one's writes in flight, the older one cannot write again.
-- So two cores never act at once, not even a paused one that wakes up.
-- (SQLite needs none: a core's SQLite file is on its own disk.)
CREATE TABLE fence (token BIGINT NOT NULL);
INSERT INTO fence (token) VALUES (0);

CREATE FUNCTION ovation_fenced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM 1 FROM fence WHERE token = COALESCE(NULLIF(current_setting('ovation.fence', true), ''), '-1')::bigint FOR SHARE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'a newer process took over this database (fencing token)' USING ERRCODE = 'OV001';
	END IF;
	RETURN NULL;
END $$;

DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['events', 'rooms', 'rounds', 'pitches', 'polls', 'quizzes', 'participants', 'votes',
		'vote_log', 'answer_decisions', 'answer_upvotes', 'audit', 'settings', 'feed_items', 'feed_cursors',
		'feed_settings', 'feed_volume', 'boards', 'board_entries', 'board_upvotes', 'meeting_requests', 'accounts',
		'grants', 'sessions', 'api_tokens'] LOOP
		EXECUTE format('CREATE TRIGGER fenced BEFORE INSERT OR UPDATE OR DELETE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ovation_fenced()', t);
	END LOOP;
END $$;
