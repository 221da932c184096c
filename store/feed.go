package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ovation-live/ovation/live"
)

// The feed's storage: items with their moderation state, source cursors,
// per-event settings and per-minute volume. Its callers (package feed)
// declare the interface they need; these methods speak live's types.

const feedCols = `id, event_id, room_id, source, source_id, dedup_key, author, author_name, text, link, media_url,
	posted_at, received_at, status, pinned, reason, decided_by, decided_at`

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z07:00") // fixed width: compares as text
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// AddFeedItem stores a new item and counts it in its minute's volume, in
// one transaction. It returns false, storing nothing, when the event already
// holds the same source id or the same dedup key.
func (db *DB) AddFeedItem(ctx context.Context, it *live.FeedItem) (_ bool, err error) {
	defer db.noteWrite(&err)
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("store: feed item: %w", err)
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx, `INSERT INTO feed_items (event_id, room_id, source, source_id, dedup_key, author, author_name,
		text, link, media_url, posted_at, received_at, status, pinned, reason, decided_by, decided_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		it.EventID, it.RoomID, it.Source, it.SourceID, it.DedupKey, it.Author, it.AuthorName, it.Text, it.Link, it.MediaURL,
		fmtTime(it.PostedAt), fmtTime(it.ReceivedAt), it.Status, it.Pinned, it.Reason, it.DecidedBy, fmtTime(it.DecidedAt)).Scan(&it.ID)
	if errors.Is(err, sql.ErrNoRows) { // a known post
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: feed item: %w", err)
	}
	at := it.PostedAt
	if at.IsZero() || at.After(it.ReceivedAt) {
		at = it.ReceivedAt
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO feed_volume (event_id, room_id, source, minute, count) VALUES (?, ?, ?, ?, 1)
		ON CONFLICT (event_id, room_id, source, minute) DO UPDATE SET count = feed_volume.count + 1`,
		it.EventID, it.RoomID, it.Source, at.Unix()/60); err != nil {
		return false, fmt.Errorf("store: feed volume: %w", err)
	}
	return true, tx.Commit()
}

// SaveFeedDecision stores an item's moderation state: status, pin, reason
// and who decided when.
func (db *DB) SaveFeedDecision(ctx context.Context, it *live.FeedItem) (err error) {
	defer db.noteWrite(&err)
	_, err = db.writer.ExecContext(ctx, `UPDATE feed_items SET status = ?, pinned = ?, reason = ?, decided_by = ?, decided_at = ? WHERE id = ?`,
		it.Status, it.Pinned, it.Reason, it.DecidedBy, fmtTime(it.DecidedAt), it.ID)
	if err != nil {
		return fmt.Errorf("store: feed decision: %w", err)
	}
	return nil
}

func scanFeedItem(rows interface{ Scan(...any) error }) (live.FeedItem, error) {
	var it live.FeedItem
	var posted, received, decided string
	err := rows.Scan(&it.ID, &it.EventID, &it.RoomID, &it.Source, &it.SourceID, &it.DedupKey, &it.Author, &it.AuthorName, &it.Text,
		&it.Link, &it.MediaURL, &posted, &received, &it.Status, &it.Pinned, &it.Reason, &it.DecidedBy, &decided)
	it.PostedAt, it.ReceivedAt, it.DecidedAt = parseTime(posted), parseTime(received), parseTime(decided)
	return it, err
}

// FeedItem returns one item of an event, or a not_found error.
func (db *DB) FeedItem(ctx context.Context, eventID, id int64) (live.FeedItem, error) {
	it, err := scanFeedItem(db.writer.QueryRowContext(ctx, `SELECT `+feedCols+` FROM feed_items WHERE id = ? AND event_id = ?`, id, eventID))
	if errors.Is(err, sql.ErrNoRows) {
		return it, live.Errorf(live.ENotFound, "No feed item %d in this event.", id)
	}
	return it, err
}

// FeedItems returns the items q selects, newest first.
func (db *DB) FeedItems(ctx context.Context, q live.FeedQuery) ([]live.FeedItem, error) {
	where, args := []string{"event_id = ?"}, []any{q.EventID}
	if q.Status != "" {
		where, args = append(where, "status = ?"), append(args, q.Status)
	}
	if q.RoomID > 0 {
		where, args = append(where, "room_id IN (0, ?)"), append(args, q.RoomID)
	}
	if q.Pinned {
		where = append(where, "pinned = 1")
	}
	if !q.Since.IsZero() {
		where, args = append(where, "posted_at >= ?"), append(args, fmtTime(q.Since))
	}
	if !q.Until.IsZero() {
		where, args = append(where, "posted_at < ?"), append(args, fmtTime(q.Until))
	}
	if q.BeforeID > 0 {
		where, args = append(where, "id < ?"), append(args, q.BeforeID)
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 500)
	out := []live.FeedItem{}
	err := db.query(ctx, `SELECT `+feedCols+` FROM feed_items WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`,
		func(rows *sql.Rows) error {
			it, err := scanFeedItem(rows)
			out = append(out, it)
			return err
		}, append(args, q.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: feed items: %w", err)
	}
	return out, nil
}

// FeedCursor returns where source of the event resumes, or "" the first time.
func (db *DB) FeedCursor(ctx context.Context, eventID int64, source string) (string, error) {
	var c string
	err := db.writer.QueryRowContext(ctx, `SELECT cursor FROM feed_cursors WHERE event_id = ? AND source = ?`, eventID, source).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return c, err
}

// SetFeedCursor stores where source of the event resumes.
func (db *DB) SetFeedCursor(ctx context.Context, eventID int64, source, cursor string) (err error) {
	defer db.noteWrite(&err)
	_, err = db.writer.ExecContext(ctx, `INSERT INTO feed_cursors (event_id, source, cursor, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (event_id, source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`,
		eventID, source, cursor, fmtTime(time.Now()))
	return err
}

// FeedSettings returns an event's feed settings; ok is false if none were saved.
func (db *DB) FeedSettings(ctx context.Context, eventID int64) (s live.FeedSettings, ok bool, err error) {
	var doc string
	err = db.writer.QueryRowContext(ctx, `SELECT settings FROM feed_settings WHERE event_id = ?`, eventID).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	} else if err != nil {
		return s, false, err
	}
	return s, true, json.Unmarshal([]byte(doc), &s)
}

// SaveFeedSettings stores an event's feed settings.
func (db *DB) SaveFeedSettings(ctx context.Context, eventID int64, s live.FeedSettings) (err error) {
	defer db.noteWrite(&err)
	doc, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = db.writer.ExecContext(ctx, `INSERT INTO feed_settings (event_id, settings) VALUES (?, ?)
		ON CONFLICT (event_id) DO UPDATE SET settings = excluded.settings`, eventID, string(doc))
	return err
}

// FeedVolume returns an event's items per minute, room and source in
// [from, to), oldest first.
func (db *DB) FeedVolume(ctx context.Context, eventID int64, from, to time.Time) ([]live.VolumeCount, error) {
	out := []live.VolumeCount{}
	err := db.query(ctx, `SELECT minute, room_id, source, count FROM feed_volume WHERE event_id = ? AND minute >= ? AND minute < ?
		ORDER BY minute, room_id, source`, func(rows *sql.Rows) error {
		var v live.VolumeCount
		var minute int64
		if err := rows.Scan(&minute, &v.RoomID, &v.Source, &v.Count); err != nil {
			return err
		}
		v.Minute = time.Unix(minute*60, 0).UTC()
		out = append(out, v)
		return nil
	}, eventID, from.Unix()/60, (to.Unix()+59)/60)
	if err != nil {
		return nil, fmt.Errorf("store: feed volume: %w", err)
	}
	return out, nil
}
