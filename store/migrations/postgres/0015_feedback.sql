-- Ovation schema on PostgreSQL, version 15: session feedback, as SQLite's
-- version 14.
CREATE TABLE feedback_settings (
	event_id           BIGINT PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
	template_survey_id BIGINT NOT NULL DEFAULT 0,
	open_for_ms        BIGINT NOT NULL,
	no_feedback        TEXT NOT NULL DEFAULT '[]'
);

CREATE TRIGGER fenced BEFORE INSERT OR UPDATE OR DELETE ON feedback_settings FOR EACH STATEMENT EXECUTE FUNCTION ovation_fenced();
