-- Ovation schema, version 14: session feedback. Per event, the survey each
-- session's feedback is copied from (0 for none), how long it stays open
-- after the session ends (milliseconds), and the sessions that ask for no
-- feedback (a JSON array of their ids).
CREATE TABLE feedback_settings (
	event_id           INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
	template_survey_id INTEGER NOT NULL DEFAULT 0,
	open_for_ms        INTEGER NOT NULL,
	no_feedback        TEXT NOT NULL DEFAULT '[]'
);
