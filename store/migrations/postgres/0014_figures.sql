-- Ovation schema on PostgreSQL, version 14: the figures of an event's
-- life, as SQLite's 0013_figures.sql, fenced like every table.
CREATE TABLE figures (
	event_id  BIGINT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	room_id   BIGINT NOT NULL,
	node      TEXT NOT NULL,
	minute    BIGINT NOT NULL,
	conn_peak INTEGER NOT NULL DEFAULT 0,
	conn_last INTEGER NOT NULL DEFAULT 0,
	joins     INTEGER NOT NULL DEFAULT 0,
	votes     INTEGER NOT NULL DEFAULT 0,
	answers   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (event_id, minute, room_id, node)
);
CREATE TRIGGER fenced BEFORE INSERT OR UPDATE OR DELETE ON figures FOR EACH STATEMENT EXECUTE FUNCTION ovation_fenced();
