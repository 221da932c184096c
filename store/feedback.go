package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/ovation-live/ovation/live"
)

// The session feedback's storage: each event's feedback settings.
// Package feedback declares the interface it needs.

// FeedbackSettings returns the event's feedback settings: the defaults
// (no template, live.DefaultFeedbackOpenFor) when none were set.
func (db *DB) FeedbackSettings(ctx context.Context, eventID int64) (live.FeedbackSettings, error) {
	f := live.FeedbackSettings{OpenFor: live.DefaultFeedbackOpenFor.String(), NoFeedback: []int64{}}
	var openMS int64
	var no string
	err := db.reader.QueryRowContext(ctx, `SELECT template_survey_id, open_for_ms, no_feedback FROM feedback_settings WHERE event_id = ?`, eventID).
		Scan(&f.TemplateID, &openMS, &no)
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil
	}
	if err != nil {
		return f, err
	}
	f.OpenFor = (time.Duration(openMS) * time.Millisecond).String()
	if err := json.Unmarshal([]byte(no), &f.NoFeedback); err != nil {
		return f, err
	}
	return f, nil
}

// SetFeedbackSettings saves the event's feedback settings, validated by
// the caller, with their audit entry.
func (db *DB) SetFeedbackSettings(ctx context.Context, eventID int64, f live.FeedbackSettings, a *live.AuditEntry) error {
	no, err := json.Marshal(f.NoFeedback)
	if err != nil {
		return err
	}
	if f.NoFeedback == nil {
		no = []byte("[]")
	}
	return db.inTx(ctx, "set feedback settings", a, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO feedback_settings (event_id, template_survey_id, open_for_ms, no_feedback) VALUES (?, ?, ?, ?)
			ON CONFLICT (event_id) DO UPDATE SET template_survey_id = excluded.template_survey_id, open_for_ms = excluded.open_for_ms, no_feedback = excluded.no_feedback`,
			eventID, f.TemplateID, f.Window().Milliseconds(), string(no))
		return err
	})
}
