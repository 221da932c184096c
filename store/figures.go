package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ovation-live/ovation/live"
)

// SaveFigures adds a batch of figures in one transaction: counts add to a
// row already stored for the same event, minute, room and node (a node
// that restarted within a minute), the peak keeps the higher value and the
// last sample is the batch's. An empty batch writes nothing.
func (db *DB) SaveFigures(ctx context.Context, figs []live.Figure) (err error) {
	if len(figs) == 0 {
		return nil
	}
	defer db.noteWrite(&err)
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: figures: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, f := range figs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO figures (event_id, room_id, node, minute, conn_peak, conn_last, joins, votes, answers)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (event_id, minute, room_id, node) DO UPDATE SET
				conn_peak = CASE WHEN excluded.conn_peak > figures.conn_peak THEN excluded.conn_peak ELSE figures.conn_peak END,
				conn_last = excluded.conn_last, joins = figures.joins + excluded.joins,
				votes = figures.votes + excluded.votes, answers = figures.answers + excluded.answers`,
			f.EventID, f.RoomID, f.Node, f.Minute.Unix()/60, f.ConnPeak, f.ConnLast, f.Joins, f.Votes, f.Answers); err != nil {
			return fmt.Errorf("store: figures: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: figures: %w", err)
	}
	return nil
}

// Figures returns an event's figures, oldest minute first, then by room
// and node.
func (db *DB) Figures(ctx context.Context, eventID int64) ([]live.Figure, error) {
	out := []live.Figure{}
	err := db.query(ctx, `SELECT room_id, node, minute, conn_peak, conn_last, joins, votes, answers FROM figures
		WHERE event_id = ? ORDER BY minute, room_id, node`, func(rows *sql.Rows) error {
		f := live.Figure{EventID: eventID}
		var minute int64
		if err := rows.Scan(&f.RoomID, &f.Node, &minute, &f.ConnPeak, &f.ConnLast, &f.Joins, &f.Votes, &f.Answers); err != nil {
			return err
		}
		f.Minute = time.Unix(minute*60, 0).UTC()
		out = append(out, f)
		return nil
	}, eventID)
	if err != nil {
		return nil, fmt.Errorf("store: figures: %w", err)
	}
	return out, nil
}
