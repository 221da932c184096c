package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ovation-live/ovation/live"
)

// The boards' storage: boards, entries with their moderation state, one
// upvote row per participant and entry, and meeting requests. Their caller
// (package board) declares the interface it needs; these methods speak
// live's types. Moderator changes are saved with their audit entry in one
// transaction.

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// inTx runs f in a write transaction, then saves a (if not nil) in it.
func (db *DB) inTx(ctx context.Context, what string, a *live.AuditEntry, f func(tx *sql.Tx) error) (err error) {
	defer db.noteWrite(&err)
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	if a != nil {
		if err := audit(ctx, tx, *a); err != nil {
			return fmt.Errorf("store: %s audit: %w", what, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return nil
}

// SaveBoard inserts (ID 0) or updates b, with its audit entry.
func (db *DB) SaveBoard(ctx context.Context, b *live.Board, a *live.AuditEntry) error {
	return db.inTx(ctx, "save board", a, func(tx *sql.Tx) error {
		err := upsert(ctx, tx, "boards", &b.ID, []string{"event_id", "room_id", "title", "moderation", "open", "max_len", "highlight_id", "poll_id", "created_at"},
			b.EventID, b.RoomID, b.Title, b.Moderation, b.Open, b.MaxLen, b.HighlightID, b.PollID, ms(b.CreatedAt))
		if err != nil {
			return fmt.Errorf("store: save board: %w", err)
		}
		if a != nil && strings.HasSuffix(a.Target, ":0") { // a new board: the audit names its id
			a.Target = fmt.Sprintf("board:%d", b.ID)
		}
		return nil
	})
}

// DeleteBoard deletes a board with its entries and upvotes, with its audit entry.
func (db *DB) DeleteBoard(ctx context.Context, id int64, a *live.AuditEntry) error {
	return db.inTx(ctx, "delete board", a, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM boards WHERE id = ?`, id)
		return err
	})
}

const boardCols = `id, event_id, room_id, title, moderation, open, max_len, highlight_id, poll_id, created_at`

func scanBoard(r interface{ Scan(...any) error }) (live.Board, error) {
	var b live.Board
	var created int64
	err := r.Scan(&b.ID, &b.EventID, &b.RoomID, &b.Title, &b.Moderation, &b.Open, &b.MaxLen, &b.HighlightID, &b.PollID, &created)
	b.CreatedAt = fromMS(created)
	return b, err
}

// Board returns a board of the event, or not_found.
func (db *DB) Board(ctx context.Context, eventID, id int64) (live.Board, error) {
	b, err := scanBoard(db.reader.QueryRowContext(ctx, `SELECT `+boardCols+` FROM boards WHERE id = ? AND event_id = ?`, id, eventID))
	if errors.Is(err, sql.ErrNoRows) {
		return b, live.Errorf(live.ENotFound, "No board %d in this event.", id)
	}
	return b, err
}

// Boards returns the event's boards, oldest first.
func (db *DB) Boards(ctx context.Context, eventID int64) ([]live.Board, error) {
	out := []live.Board{}
	err := db.query(ctx, `SELECT `+boardCols+` FROM boards WHERE event_id = ? ORDER BY id`, func(rows *sql.Rows) error {
		b, err := scanBoard(rows)
		out = append(out, b)
		return err
	}, eventID)
	return out, err
}

// AddEntry stores a new entry.
func (db *DB) AddEntry(ctx context.Context, e *live.Entry) (err error) {
	defer db.noteWrite(&err)
	err = db.writer.QueryRowContext(ctx, `INSERT INTO board_entries (board_id, event_id, participant_id, display_name, text, status, pinned,
		merged_into, created_at, decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.BoardID, e.EventID, e.ParticipantID, e.DisplayName, e.Text, e.Status, e.Pinned, e.MergedInto, ms(e.CreatedAt), e.DecidedBy, ms(e.DecidedAt)).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("store: add entry: %w", err)
	}
	return nil
}

const entryCols = `id, board_id, event_id, participant_id, display_name, text, status, pinned, merged_into, created_at, decided_by, decided_at,
	(SELECT COUNT(*) FROM board_upvotes u WHERE u.entry_id = board_entries.id)`

func scanEntry(r interface{ Scan(...any) error }) (live.Entry, error) {
	var e live.Entry
	var created, decided int64
	err := r.Scan(&e.ID, &e.BoardID, &e.EventID, &e.ParticipantID, &e.DisplayName, &e.Text, &e.Status, &e.Pinned, &e.MergedInto,
		&created, &e.DecidedBy, &decided, &e.Upvotes)
	e.CreatedAt, e.DecidedAt = fromMS(created), fromMS(decided)
	return e, err
}

// Entry returns an entry of the event with its upvote count, or not_found.
func (db *DB) Entry(ctx context.Context, eventID, id int64) (live.Entry, error) {
	e, err := scanEntry(db.reader.QueryRowContext(ctx, `SELECT `+entryCols+` FROM board_entries WHERE id = ? AND event_id = ?`, id, eventID))
	if errors.Is(err, sql.ErrNoRows) {
		return e, live.Errorf(live.ENotFound, "No entry %d in this event.", id)
	}
	return e, err
}

// Entries returns a board's entries in the given states (all when none),
// by id, with their upvote counts and times. Upvoted is set on the entries
// participant (if not 0) upvoted.
func (db *DB) Entries(ctx context.Context, boardID int64, statuses []string, participant int64) ([]live.Entry, error) {
	q, args := `SELECT `+entryCols+` FROM board_entries WHERE board_id = ?`, []any{boardID}
	if len(statuses) > 0 {
		q += ` AND status IN (?` + strings.Repeat(", ?", len(statuses)-1) + `)`
		for _, s := range statuses {
			args = append(args, s)
		}
	}
	out := []live.Entry{}
	index := map[int64]int{}
	err := db.query(ctx, q+` ORDER BY id`, func(rows *sql.Rows) error {
		e, err := scanEntry(rows)
		index[e.ID] = len(out)
		out = append(out, e)
		return err
	}, args...)
	if err != nil {
		return nil, err
	}
	err = db.query(ctx, `SELECT u.entry_id, u.participant_id, u.at FROM board_upvotes u JOIN board_entries e ON e.id = u.entry_id
		WHERE e.board_id = ?`, func(rows *sql.Rows) error {
		var id, p, at int64
		if err := rows.Scan(&id, &p, &at); err != nil {
			return err
		}
		if i, ok := index[id]; ok {
			out[i].UpvoteTimes = append(out[i].UpvoteTimes, fromMS(at))
			out[i].Upvoted = out[i].Upvoted || (participant != 0 && p == participant)
		}
		return nil
	}, boardID)
	return out, err
}

// SaveEntryDecision saves an entry's moderation state with its audit entry.
func (db *DB) SaveEntryDecision(ctx context.Context, e *live.Entry, a *live.AuditEntry) error {
	return db.inTx(ctx, "entry decision", a, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE board_entries SET status = ?, pinned = ?, merged_into = ?, decided_by = ?, decided_at = ? WHERE id = ?`,
			e.Status, e.Pinned, e.MergedInto, e.DecidedBy, ms(e.DecidedAt), e.ID)
		return err
	})
}

// MergeEntry saves e as merged into e.MergedInto and moves its upvotes
// there, in one transaction: a participant who upvoted both counts once
// (the target's upvote, the earlier one, is kept).
func (db *DB) MergeEntry(ctx context.Context, e *live.Entry, a *live.AuditEntry) error {
	return db.inTx(ctx, "merge entry", a, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO board_upvotes (entry_id, participant_id, at)
			SELECT CAST(? AS BIGINT), participant_id, at FROM board_upvotes WHERE entry_id = ? ON CONFLICT DO NOTHING`, e.MergedInto, e.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM board_upvotes WHERE entry_id = ?`, e.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE board_entries SET status = ?, pinned = ?, merged_into = ?, decided_by = ?, decided_at = ? WHERE id = ?`,
			e.Status, e.Pinned, e.MergedInto, e.DecidedBy, ms(e.DecidedAt), e.ID)
		return err
	})
}

// Upvote records participant's upvote of an entry if the entry is in state
// status. It reports false, changing nothing, when the participant had
// already upvoted it or the entry is not (or no longer) in that state.
func (db *DB) Upvote(ctx context.Context, entryID, participant int64, status string, at time.Time) (_ bool, err error) {
	defer db.noteWrite(&err)
	res, err := db.writer.ExecContext(ctx, `INSERT INTO board_upvotes (entry_id, participant_id, at)
		SELECT id, CAST(? AS BIGINT), CAST(? AS BIGINT) FROM board_entries WHERE id = ? AND status = ? ON CONFLICT DO NOTHING`, participant, ms(at), entryID, status)
	if err != nil {
		return false, fmt.Errorf("store: upvote: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// HasUpvoted reports whether participant upvotes the entry.
func (db *DB) HasUpvoted(ctx context.Context, entryID, participant int64) (bool, error) {
	var n int
	err := db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM board_upvotes WHERE entry_id = ? AND participant_id = ?`, entryID, participant).Scan(&n)
	return n > 0, err
}

// RetractUpvote deletes participant's upvote of an entry; false if there was none.
func (db *DB) RetractUpvote(ctx context.Context, entryID, participant int64) (_ bool, err error) {
	defer db.noteWrite(&err)
	res, err := db.writer.ExecContext(ctx, `DELETE FROM board_upvotes WHERE entry_id = ? AND participant_id = ?`, entryID, participant)
	if err != nil {
		return false, fmt.Errorf("store: retract upvote: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SaveMeetingRequest stores m, replacing the participant's earlier request
// for the same pitch.
func (db *DB) SaveMeetingRequest(ctx context.Context, m *live.MeetingRequest) (err error) {
	defer db.noteWrite(&err)
	err = db.writer.QueryRowContext(ctx, `INSERT INTO meeting_requests (event_id, pitch_id, participant_id, name, company, role, email, consent_text, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pitch_id, participant_id) DO UPDATE SET name = excluded.name, company = excluded.company,
		role = excluded.role, email = excluded.email, consent_text = excluded.consent_text, created_at = excluded.created_at RETURNING id`,
		m.EventID, m.PitchID, m.ParticipantID, m.Name, m.Company, m.Role, m.Email, m.ConsentText, ms(m.CreatedAt)).Scan(&m.ID)
	if err != nil {
		return fmt.Errorf("store: meeting request: %w", err)
	}
	return nil
}

// DeleteMeetingRequest deletes participant's request for a pitch; false if there was none.
func (db *DB) DeleteMeetingRequest(ctx context.Context, eventID, pitchID, participant int64) (_ bool, err error) {
	defer db.noteWrite(&err)
	res, err := db.writer.ExecContext(ctx, `DELETE FROM meeting_requests WHERE event_id = ? AND pitch_id = ? AND participant_id = ?`, eventID, pitchID, participant)
	if err != nil {
		return false, fmt.Errorf("store: withdraw meeting request: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// MeetingRequests returns the event's requests for a pitch (every pitch
// when pitchID is 0), by pitch then oldest first.
func (db *DB) MeetingRequests(ctx context.Context, eventID, pitchID int64) ([]live.MeetingRequest, error) {
	out := []live.MeetingRequest{}
	err := db.query(ctx, `SELECT id, event_id, pitch_id, participant_id, name, company, role, email, consent_text, created_at
		FROM meeting_requests WHERE event_id = ? AND (? = 0 OR pitch_id = ?) ORDER BY pitch_id, id`, func(rows *sql.Rows) error {
		var m live.MeetingRequest
		var created int64
		err := rows.Scan(&m.ID, &m.EventID, &m.PitchID, &m.ParticipantID, &m.Name, &m.Company, &m.Role, &m.Email, &m.ConsentText, &created)
		m.CreatedAt, m.Consent = fromMS(created), true
		out = append(out, m)
		return err
	}, eventID, pitchID, pitchID)
	return out, err
}
