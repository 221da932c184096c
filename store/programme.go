package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ovation-live/ovation/live"
)

// The programme's storage: the sessions (talks) of each event and the
// event's time zone. Package programme declares the interface it needs.
// Every change is saved with its audit entry in one transaction; an import
// saves all its sessions in one transaction, or none.

const talkCols = `id, event_id, room_id, title, speakers, start_at, end_at, description, link`

func scanTalk(r interface{ Scan(...any) error }) (live.Talk, error) {
	var s live.Talk
	var speakers string
	var start, end int64
	if err := r.Scan(&s.ID, &s.EventID, &s.RoomID, &s.Title, &speakers, &start, &end, &s.Description, &s.Link); err != nil {
		return s, err
	}
	s.Start, s.End = fromMS(start), fromMS(end)
	if err := json.Unmarshal([]byte(speakers), &s.Speakers); err != nil {
		return s, fmt.Errorf("store: session %d speakers: %w", s.ID, err)
	}
	return s, nil
}

func saveTalk(ctx context.Context, tx *sql.Tx, s *live.Talk) error {
	speakers, err := json.Marshal(s.Speakers)
	if err != nil {
		return err
	}
	return upsert(ctx, tx, "programme_sessions", &s.ID, []string{"event_id", "room_id", "title", "speakers", "start_at", "end_at", "description", "link"},
		s.EventID, s.RoomID, s.Title, string(speakers), ms(s.Start), ms(s.End), s.Description, s.Link)
}

// SaveTalks inserts (ID 0) or updates every session of ss in one
// transaction, with its audit entry: all are saved, or none.
func (db *DB) SaveTalks(ctx context.Context, ss []live.Talk, a *live.AuditEntry) error {
	return db.inTx(ctx, "save sessions", a, func(tx *sql.Tx) error {
		for i := range ss {
			if err := saveTalk(ctx, tx, &ss[i]); err != nil {
				return err
			}
		}
		if a != nil && len(ss) == 1 && a.Target == "session:0" {
			a.Target = fmt.Sprintf("session:%d", ss[0].ID)
		}
		return nil
	})
}

// DeleteTalk deletes a session of the event, with its audit entry, or
// answers not_found.
func (db *DB) DeleteTalk(ctx context.Context, eventID, id int64, a *live.AuditEntry) error {
	return db.inTx(ctx, "delete session", a, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM programme_sessions WHERE id = ? AND event_id = ?`, id, eventID)
		if err != nil {
			return fmt.Errorf("store: delete session: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return live.Errorf(live.ENotFound, "No session %d in this event.", id)
		}
		return nil
	})
}

// Talk returns a session of the event, or not_found.
func (db *DB) Talk(ctx context.Context, eventID, id int64) (live.Talk, error) {
	s, err := scanTalk(db.reader.QueryRowContext(ctx, `SELECT `+talkCols+` FROM programme_sessions WHERE id = ? AND event_id = ?`, id, eventID))
	if errors.Is(err, sql.ErrNoRows) {
		return s, live.Errorf(live.ENotFound, "No session %d in this event.", id)
	}
	return s, err
}

// Talks returns the event's sessions by start time, then room, then id.
func (db *DB) Talks(ctx context.Context, eventID int64) ([]live.Talk, error) {
	out := []live.Talk{}
	err := db.query(ctx, `SELECT `+talkCols+` FROM programme_sessions WHERE event_id = ? ORDER BY start_at, room_id, id`, func(rows *sql.Rows) error {
		s, err := scanTalk(rows)
		out = append(out, s)
		return err
	}, eventID)
	return out, err
}

// TimeZone returns the event's time zone (an IANA name), or "" if none was set.
func (db *DB) TimeZone(ctx context.Context, eventID int64) (string, error) {
	var tz string
	err := db.reader.QueryRowContext(ctx, `SELECT time_zone FROM programme_settings WHERE event_id = ?`, eventID).Scan(&tz)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return tz, err
}

// SetTimeZone sets the event's time zone, with its audit entry.
func (db *DB) SetTimeZone(ctx context.Context, eventID int64, tz string, a *live.AuditEntry) error {
	return db.inTx(ctx, "set time zone", a, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO programme_settings (event_id, time_zone) VALUES (?, ?)
			ON CONFLICT (event_id) DO UPDATE SET time_zone = excluded.time_zone`, eventID, tz)
		return err
	})
}
