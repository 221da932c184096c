package store

import (
	"context"
	"database/sql"
	"errors"
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

// Participation counts the people of an event as its stored rows say:
// participants, and the distinct ones among them who answered, voted on a
// pitch or posted (in-app feed posts and board entries), per room too.
// A post or board of the whole event (room 0) counts in no room.
func (db *DB) Participation(ctx context.Context, eventID int64) (live.Participation, error) {
	p := live.Participation{Rooms: map[int64]live.RoomParticipation{}}
	one := func(q string, dst *int) error {
		return db.query(ctx, q, func(rows *sql.Rows) error { return rows.Scan(dst) }, eventID)
	}
	perRoom := func(q string, set func(*live.RoomParticipation, int), args ...any) error {
		return db.query(ctx, q, func(rows *sql.Rows) error {
			var room int64
			var n int
			if err := rows.Scan(&room, &n); err != nil {
				return err
			}
			if room != 0 {
				rp := p.Rooms[room]
				set(&rp, n)
				p.Rooms[room] = rp
			}
			return nil
		}, args...)
	}
	// Posters are named by one text: "participant-<id>", as the feed names in-app authors.
	const posters = `SELECT f.room_id AS room_id, f.author AS who FROM feed_items f WHERE f.event_id = ? AND f.source = 'app'
		UNION SELECT b.room_id, 'participant-' || CAST(e.participant_id AS TEXT) FROM board_entries e JOIN boards b ON b.id = e.board_id WHERE e.event_id = ?`
	err := errors.Join(
		one(`SELECT count(*) FROM participants WHERE event_id = ?`, &p.Joined),
		one(`SELECT count(DISTINCT participant_id) FROM votes WHERE event_id = ? AND target_kind = 'poll'`, &p.Answered),
		one(`SELECT count(DISTINCT participant_id) FROM votes WHERE event_id = ? AND target_kind = 'pitch'`, &p.Voted),
		db.query(ctx, `SELECT count(DISTINCT who) FROM (`+posters+`) AS x`, func(rows *sql.Rows) error { return rows.Scan(&p.Posted) }, eventID, eventID),
		perRoom(`SELECT p.room_id, count(DISTINCT v.participant_id) FROM votes v JOIN polls p ON p.id = v.target_id
			WHERE v.event_id = ? AND v.target_kind = 'poll' GROUP BY p.room_id`, func(r *live.RoomParticipation, n int) { r.Answered = n }, eventID),
		perRoom(`SELECT r.room_id, count(DISTINCT v.participant_id) FROM votes v JOIN pitches p ON p.id = v.target_id JOIN rounds r ON r.id = p.round_id
			WHERE v.event_id = ? AND v.target_kind = 'pitch' GROUP BY r.room_id`, func(r *live.RoomParticipation, n int) { r.Voted = n }, eventID),
		perRoom(`SELECT room_id, count(DISTINCT who) FROM (`+posters+`) AS x GROUP BY room_id`,
			func(r *live.RoomParticipation, n int) { r.Posted = n }, eventID, eventID),
	)
	if err != nil {
		return live.Participation{}, fmt.Errorf("store: participation: %w", err)
	}
	return p, nil
}

// TalkParticipation counts, for each of talks (the event's programme), the
// people who answered a question or scored a pitch in its room while it
// ran, and who posted there, by talk id. A vote counts at the time of its
// last change (the votes table keeps one row per person and target), a
// post at its time; a talk in no room's rows counts zero.
func (db *DB) TalkParticipation(ctx context.Context, eventID int64, talks []live.Talk) (map[int64]live.RoomParticipation, error) {
	byRoom := map[int64][]live.Talk{}
	for _, t := range talks {
		byRoom[t.RoomID] = append(byRoom[t.RoomID], t)
	}
	// seen[kind][talk] is the set of people counted, kind 0 answered, 1 voted, 2 posted.
	var seen [3]map[int64]map[string]struct{}
	for i := range seen {
		seen[i] = map[int64]map[string]struct{}{}
	}
	count := func(kind int) func(rows *sql.Rows) error {
		return func(rows *sql.Rows) error {
			var room int64
			var who, at string
			if err := rows.Scan(&room, &who, &at); err != nil {
				return err
			}
			when, err := time.Parse(time.RFC3339Nano, at)
			if err != nil {
				return nil // a row without a readable time belongs to no talk
			}
			for _, t := range byRoom[room] {
				if !when.Before(t.Start) && when.Before(t.End) {
					if seen[kind][t.ID] == nil {
						seen[kind][t.ID] = map[string]struct{}{}
					}
					seen[kind][t.ID][who] = struct{}{}
				}
			}
			return nil
		}
	}
	if len(talks) > 0 {
		err := errors.Join(
			db.query(ctx, `SELECT p.room_id, CAST(v.participant_id AS TEXT), v.at FROM votes v JOIN polls p ON p.id = v.target_id
				WHERE v.event_id = ? AND v.target_kind = 'poll'`, count(0), eventID),
			db.query(ctx, `SELECT r.room_id, CAST(v.participant_id AS TEXT), v.at FROM votes v JOIN pitches p ON p.id = v.target_id JOIN rounds r ON r.id = p.round_id
				WHERE v.event_id = ? AND v.target_kind = 'pitch'`, count(1), eventID),
			db.query(ctx, `SELECT room_id, author, posted_at FROM feed_items WHERE event_id = ? AND source = 'app'`, count(2), eventID),
		)
		if err != nil {
			return nil, fmt.Errorf("store: participation per talk: %w", err)
		}
	}
	out := make(map[int64]live.RoomParticipation, len(talks))
	for _, t := range talks {
		out[t.ID] = live.RoomParticipation{Answered: len(seen[0][t.ID]), Voted: len(seen[1][t.ID]), Posted: len(seen[2][t.ID])}
	}
	return out, nil
}
