// Package store owns Ovation's database: SQLite, embedded, by default, or
// PostgreSQL (OpenPostgres) for a cluster that must survive the loss of a
// machine. It holds the embedded, versioned migrations of both dialects,
// the queries that load and save the domain (one text for both: written
// with ? placeholders, which the PostgreSQL connection rewrites), and the
// group committer that makes votes durable in batches.
//
// It imports the domain package live only, and implements the storage port
// of the running show, show.Store (asserted in its tests). There is one
// writer connection; reads use a separate pool.
package store

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/retry"
	"modernc.org/sqlite" // registers the "sqlite" driver; its errors carry SQLite's result codes
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// dialect is the SQL database a DB speaks.
type dialect string

const (
	sqliteDialect   dialect = "sqlite"
	postgresDialect dialect = "postgres"
)

// Options configures a DB. Zero values take the defaults.
type Options struct {
	// Synchronous is SQLite's synchronous pragma: FULL (default) makes every
	// acknowledged vote survive a power cut; NORMAL survives a process crash only.
	Synchronous string
	// CommitWindow is how long the committer waits to gather more writes into a
	// batch after the first arrives. Default 2 ms; 0 keeps the default, negative disables.
	CommitWindow time.Duration
	// MaxBatch caps the writes per transaction. Default 2048.
	MaxBatch int
	// QueueSize bounds the writes waiting for the committer; beyond it Enqueue
	// answers EBusy. Default 65536.
	QueueSize int
	// OnCommit, if set, is called after each batch with its size and duration.
	OnCommit func(ops int, d time.Duration, err error)
	// Beside opens a PostgreSQL database beside the process that acts on
	// it, adopting its fencing token instead of taking the next one (an
	// operator's command such as reset-password, which must not stop the
	// running core). SQLite ignores it.
	Beside bool
	// Cluster is, for a cluster's core on PostgreSQL, the cluster's
	// identity: the database must hold it (the setting SettingClusterID)
	// before this process takes it over, so that a core pointed at another
	// cluster's database by mistake stops it from acting on it before it
	// fences that cluster's core out. "" checks nothing.
	Cluster string
	// FailoverWait is how long a batch the database cannot take (no
	// PostgreSQL primary answers: a failover under way) is tried again,
	// whole, before its writes fail with busy. Default 15 s on PostgreSQL;
	// SQLite does not retry.
	FailoverWait time.Duration
}

// DB is an open Ovation database.
type DB struct {
	path    string // the SQLite file, or the PostgreSQL URL with its password hidden
	dialect dialect
	opts    Options
	writer  *sql.DB
	reader  *sql.DB

	token      int64         // PostgreSQL: this process's fencing token (takeOver)
	fenced     chan struct{} // PostgreSQL: closed once a write was fenced out
	fencedOnce sync.Once

	mu     sync.RWMutex // guards closed against Enqueue
	closed bool
	fault  atomic.Pointer[error] // the last write's storage fault; nil after a success
	ops    chan live.WriteOp
	done   chan struct{}
}

// Open opens (creating if needed) the database at path, migrates it and
// starts the group committer. Close flushes and stops it.
func Open(path string, opts Options) (*DB, error) {
	opts.defaults()
	switch strings.ToUpper(opts.Synchronous) {
	case "FULL", "NORMAL", "EXTRA":
	default:
		return nil, fmt.Errorf("store: synchronous must be FULL, NORMAL or EXTRA, not %q", opts.Synchronous)
	}
	if err := checkWritable(path); err != nil {
		return nil, err
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(" + opts.Synchronous + ")&_txlock=immediate&_time_format=sqlite"
	writer, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetConnMaxIdleTime(0)
	reader, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	reader.SetMaxOpenConns(4)
	return start(&DB{path: path, dialect: sqliteDialect, opts: opts, writer: writer, reader: reader}, false)
}

// Name names the database for messages: the SQLite file, or the
// PostgreSQL hosts and database, without a password.
func (db *DB) Name() string { return db.path }

// WithDefaults returns o with its zero fields set to the defaults noted
// (FailoverWait's is OpenPostgres').
func (o Options) WithDefaults() Options {
	o.defaults()
	return o
}

// defaults fills the zero fields of o.
func (o *Options) defaults() {
	if o.Synchronous == "" {
		o.Synchronous = "FULL"
	}
	if o.CommitWindow == 0 {
		o.CommitWindow = 2 * time.Millisecond
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 2048
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 65536
	}
}

// start migrates db (unless migrated is set) and starts its group committer.
func start(db *DB, migrated bool) (*DB, error) {
	db.ops, db.done = make(chan live.WriteOp, db.opts.QueueSize), make(chan struct{})
	if !migrated {
		if err := db.migrate(context.Background()); err != nil {
			db.writer.Close()
			db.reader.Close()
			return nil, fmt.Errorf("%w (database %s)", err, db.path)
		}
	}
	go db.commitLoop()
	return db, nil
}

// checkWritable makes sure the database at path can be written before
// SQLite opens it, which would otherwise open it read-only and fail only at
// the first write: the directory must take new files (the database, its
// -wal and -shm files), and the files that exist must open for writing.
func checkWritable(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("store: cannot create the data directory %s: %w", dir, errors.Unwrap(err))
	}
	probe, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("store: the data directory %s cannot be written (%w): the database and its -wal and -shm files live there; give the server's user write access to it, or set data_dir", dir, errors.Unwrap(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		f, err := os.OpenFile(name, os.O_RDWR, 0)
		switch {
		case err == nil:
			f.Close()
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("store: the database file %s cannot be written (%w); give the server's user write access to it", name, errors.Unwrap(err))
		}
	}
	return nil
}

// Close stops accepting writes, commits what is queued and closes the database.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil
	}
	db.closed = true
	close(db.ops) // safe: Enqueue checks closed under the read lock
	db.mu.Unlock()
	<-db.done
	return errors.Join(db.writer.Close(), db.reader.Close())
}

// migrate applies the embedded migrations of db's dialect newer than the
// schema's version, each in its own write transaction that reads the
// version first: a second process migrating the same database at the same
// time waits for the lock, then finds the migration applied.
func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/"+string(db.dialect)+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		n, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("store: migration %s: bad name", name)
		}
		body, _ := migrations.ReadFile(name)
		if err := db.migrateTo(ctx, n, string(body)); err != nil {
			return fmt.Errorf("store: migration %s: %w", name, err)
		}
	}
	return nil
}

// migrateTo runs body and sets the schema version to n, unless the schema
// is at n already. SQLite keeps the version in PRAGMA user_version and
// takes the write lock first (BEGIN IMMEDIATE, the DSN's _txlock);
// PostgreSQL keeps it in schema_version, under an advisory lock.
func (db *DB) migrateTo(ctx context.Context, n int, body string) error {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	read, write := "PRAGMA user_version", fmt.Sprintf("PRAGMA user_version = %d", n)
	if db.dialect == postgresDialect {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7390001);
			CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)`); err != nil {
			return fmt.Errorf("lock the schema: %w", err)
		}
		read = "SELECT COALESCE(MAX(version), 0) FROM schema_version"
		write = fmt.Sprintf("DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES (%d)", n)
	}
	var version int
	if err := tx.QueryRowContext(ctx, read).Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if n <= version {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, write); err != nil {
		return err
	}
	return tx.Commit()
}

// Enqueue implements show.Store: it hands op to the group committer without blocking.
func (db *DB) Enqueue(op live.WriteOp) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return live.Errorf(live.EBusy, "The server is shutting down; try again in a moment.")
	}
	select {
	case db.ops <- op:
		return nil
	default:
		return live.Errorf(live.EBusy, "The server is saturated; try again in a moment.")
	}
}

// Flush implements show.Store: it waits until every write queued before it
// is durable. It never holds the queue's lock while waiting, so a full queue
// delays only the flush, not the votes.
func (db *DB) Flush(ctx context.Context) error {
	done := make(chan error, 1)
	barrier := live.WriteOp{Done: func(err error) { done <- err }}
	for {
		db.mu.RLock()
		closed := db.closed
		queued := false
		if !closed {
			select {
			case db.ops <- barrier:
				queued = true
			default:
			}
		}
		db.mu.RUnlock()
		if closed {
			<-db.done // Close commits everything queued
			return nil
		}
		if queued {
			break
		}
		select { // the queue is full: try again shortly
		case <-time.After(time.Millisecond):
		case <-ctx.Done():
			return live.Errorf(live.EBusy, "The database is busy.")
		}
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return live.Errorf(live.EBusy, "The database is busy.")
	}
}

// commitLoop is the group committer: it gathers queued writes into one
// transaction, commits, and only then reports each write as done, in order.
func (db *DB) commitLoop() {
	defer close(db.done)
	batch := make([]live.WriteOp, 0, db.opts.MaxBatch)
	for {
		op, ok := <-db.ops
		if !ok {
			return
		}
		batch = append(batch[:0], op)
		open := db.gather(&batch)
		db.commitBatch(batch)
		if !open {
			return
		}
	}
}

// gather adds queued writes to batch, waiting up to CommitWindow for more. It
// returns false when the queue is closed.
func (db *DB) gather(batch *[]live.WriteOp) bool {
	var window <-chan time.Time
	if db.opts.CommitWindow > 0 {
		t := time.NewTimer(db.opts.CommitWindow)
		defer t.Stop()
		window = t.C
	}
	for len(*batch) < db.opts.MaxBatch {
		select {
		case op, ok := <-db.ops:
			if !ok {
				return false
			}
			*batch = append(*batch, op)
			continue
		default:
		}
		if window == nil {
			return true
		}
		select {
		case op, ok := <-db.ops:
			if !ok {
				return false
			}
			*batch = append(*batch, op)
		case <-window:
			return true
		}
	}
	return true
}

// commitBackoff is the wait between a batch's commits while the database
// fails over: 50 ms doubling to 1 s.
var commitBackoff = retry.Backoff{Min: 50 * time.Millisecond, Max: time.Second}

func (db *DB) commitBatch(batch []live.WriteOp) {
	start := time.Now()
	err := db.writeBatch(batch)
	// Again while the database cannot take it, whole: every write of a batch
	// is idempotent (a vote id is written once, a vote and a participant are
	// upserts, a reset deletes), so a batch whose commit was lost with the
	// connection may run twice.
	for attempt := 1; err != nil && pgFault(err); attempt++ {
		wait := commitBackoff.Delay(attempt)
		if time.Since(start)+wait >= db.opts.FailoverWait {
			break
		}
		time.Sleep(wait)
		err = db.writeBatch(batch)
	}
	if db.opts.OnCommit != nil {
		db.opts.OnCommit(len(batch), time.Since(start), err)
	}
	if err != nil && !isStorageFault(err) { // the engine checked every write: any failure is the storage's
		err = &storageError{err}
	}
	db.noteWrite(&err)
	for _, op := range batch {
		if op.Done != nil {
			op.Done(err)
		}
	}
}

func (db *DB) writeBatch(batch []live.WriteOp) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	writes := batchWrites(batch)
	if db.dialect == postgresDialect {
		return db.writeBatchPostgres(ctx, writes)
	}
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin batch: %w", err)
	}
	defer tx.Rollback()
	stmts := map[string]*sql.Stmt{}
	for _, w := range writes {
		st := stmts[w.query]
		if st == nil {
			if st, err = tx.PrepareContext(ctx, w.query); err != nil {
				return err
			}
			stmts[w.query] = st
		}
		if _, err := st.ExecContext(ctx, w.args...); err != nil {
			return fmt.Errorf("store: %s: %w", w.what, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit batch: %w", err)
	}
	return nil
}

// batchWrite is one statement of a batch, its query written with ?
// placeholders.
type batchWrite struct {
	what, query string
	args        []any
}

const (
	voteLogColumns = `INSERT INTO vote_log (participant_id, vote_id, event_id, target_kind, target_id, answer, at) VALUES `
	voteLogEnd     = ` ON CONFLICT DO NOTHING`
	voteColumns    = `INSERT INTO votes (participant_id, target_kind, target_id, event_id, vote_id, answer, jury, at) VALUES `
	voteEnd        = ` ON CONFLICT (participant_id, target_kind, target_id) DO UPDATE SET vote_id = excluded.vote_id, answer = excluded.answer, at = excluded.at`
	resetDelete    = `DELETE FROM votes WHERE target_kind = ? AND target_id = ?`
	// A known participant (a returning phone that renamed itself) keeps all but its new name.
	participantUpsert = `INSERT INTO participants (id, event_id, display_name, jury, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name`
)

// batchWrites are the statements of batch, in its order. Each run of
// votes between two other writes becomes two statements of many rows: the
// ledger gets every vote, the current votes the last of each ballot in the
// run (one statement may not update a row twice), which is what the votes
// one by one would have left.
func batchWrites(batch []live.WriteOp) []batchWrite {
	var out []batchWrite
	var run []*live.Vote
	flush := func() {
		if len(run) == 0 {
			return
		}
		type ballot struct {
			participant int64
			target      live.Target
		}
		last := make(map[ballot]int, len(run))
		for i, v := range run {
			last[ballot{v.ParticipantID, v.Target}] = i
		}
		logArgs := make([]any, 0, 7*len(run))
		voteArgs := make([]any, 0, 8*len(last))
		for i, v := range run {
			at := v.At.UTC().Format(time.RFC3339Nano)
			logArgs = append(logArgs, v.ParticipantID, v.VoteID, v.EventID, v.Target.Kind, v.Target.ID, v.Answer, at)
			if last[ballot{v.ParticipantID, v.Target}] == i {
				voteArgs = append(voteArgs, v.ParticipantID, v.Target.Kind, v.Target.ID, v.EventID, v.VoteID, v.Answer, v.Jury, at)
			}
		}
		out = append(out,
			batchWrite{"vote log", voteLogColumns + rows(len(run), 7) + voteLogEnd, logArgs},
			batchWrite{"vote", voteColumns + rows(len(last), 8) + voteEnd, voteArgs})
		run = run[:0]
	}
	for _, op := range batch {
		switch {
		case op.Vote != nil:
			if len(run) == maxVoteRun {
				flush()
			}
			run = append(run, op.Vote)
		case op.Reset != nil:
			flush()
			out = append(out, batchWrite{"reset", resetDelete, []any{op.Reset.Kind, op.Reset.ID}})
		case op.Participant != nil:
			flush()
			p := op.Participant
			out = append(out, batchWrite{"participant", participantUpsert, []any{p.ID, p.EventID, p.DisplayName, p.Jury, p.CreatedAt.UTC().Format(time.RFC3339Nano)}})
		}
	}
	flush()
	return out
}

// maxVoteRun bounds the votes of one statement: 8 parameters each, under
// SQLite's limit of 32,766 parameters a statement (PostgreSQL's is 65,535).
const maxVoteRun = 4000

// rows is the VALUES list of n rows of cols placeholders each.
func rows(n, cols int) string {
	row := "(?" + strings.Repeat(", ?", cols-1) + ")"
	return row + strings.Repeat(", "+row, n-1)
}

// Load implements show.Store.
func (db *DB) Load(ctx context.Context) (*live.Dataset, error) {
	ds := &live.Dataset{}
	err := db.query(ctx, `SELECT id, code, title, languages, color, logo_url, jury_code, jury_weight, created_at FROM events ORDER BY id`,
		func(rows *sql.Rows) error {
			e := &live.Event{}
			var langs, created string
			if err := rows.Scan(&e.ID, &e.Code, &e.Title, &langs, &e.Color, &e.LogoURL, &e.JuryCode, &e.JuryWeight, &created); err != nil {
				return err
			}
			e.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
			ds.Events = append(ds.Events, e)
			return json.Unmarshal([]byte(langs), &e.Languages)
		})
	if err == nil {
		err = db.query(ctx, `SELECT id, event_id, name, active_round_id, screen FROM rooms ORDER BY id`, func(rows *sql.Rows) error {
			r := &live.Room{}
			ds.Rooms = append(ds.Rooms, r)
			return rows.Scan(&r.ID, &r.EventID, &r.Name, &r.ActiveRoundID, &r.Screen)
		})
	}
	if err == nil {
		err = db.query(ctx, `SELECT id, event_id, room_id, title, scale, state, current_pitch_id, ranking_revealed, revealed_places, auto_reveal FROM rounds ORDER BY id`, func(rows *sql.Rows) error {
			r := &live.Round{}
			ds.Rounds = append(ds.Rounds, r)
			return rows.Scan(&r.ID, &r.EventID, &r.RoomID, &r.Title, &r.Scale, &r.State, &r.CurrentPitchID, &r.RankingRevealed, &r.RevealedPlaces, &r.AutoReveal)
		})
	}
	if err == nil {
		err = db.query(ctx, `SELECT id, round_id, position, team, presenter, duration_s, video_url, state, show_results,
			timer_running, timer_deadline_ms, timer_remaining_ms FROM pitches ORDER BY round_id, position`, func(rows *sql.Rows) error {
			p := &live.Pitch{}
			ds.Pitches = append(ds.Pitches, p)
			return rows.Scan(&p.ID, &p.RoundID, &p.Position, &p.Team, &p.Presenter, &p.DurationS, &p.VideoURL, &p.State, &p.ShowResults,
				&p.Timer.Running, &p.Timer.DeadlineMS, &p.Timer.RemainingMS)
		})
	}
	if err == nil {
		err = db.query(ctx, `SELECT id, event_id, room_id, question, kind, choices, scale_max, settings, state, show_results, position,
			results, correct, correct_revealed, quiz_id, opened_at_ms, survey_id, required FROM polls ORDER BY id`, func(rows *sql.Rows) error {
			p := &live.Poll{}
			var choices, settings, correct string
			if err := rows.Scan(&p.ID, &p.EventID, &p.RoomID, &p.Question, &p.Kind, &choices, &p.ScaleMax, &settings, &p.State, &p.ShowResults, &p.Position,
				&p.Results, &correct, &p.CorrectRevealed, &p.QuizID, &p.OpenedAtMS, &p.SurveyID, &p.Required); err != nil {
				return err
			}
			if settings != "" {
				p.Settings = json.RawMessage(settings)
			}
			if correct != "" {
				if err := json.Unmarshal([]byte(correct), &p.Correct); err != nil {
					return fmt.Errorf("poll %d: correct: %w", p.ID, err)
				}
			}
			ds.Polls = append(ds.Polls, p)
			return json.Unmarshal([]byte(choices), &p.Choices)
		})
	}
	if err == nil {
		err = db.query(ctx, `SELECT id, event_id, room_id, title, state, phase, current_poll_id FROM quizzes ORDER BY id`, func(rows *sql.Rows) error {
			q := &live.Quiz{}
			ds.Quizzes = append(ds.Quizzes, q)
			return rows.Scan(&q.ID, &q.EventID, &q.RoomID, &q.Title, &q.State, &q.Phase, &q.CurrentPollID)
		})
	}
	if err == nil {
		err = db.query(ctx, `SELECT id, event_id, room_id, session_id, title, intro, thanks, state, opens_at_ms, closes_at_ms FROM surveys ORDER BY id`, func(rows *sql.Rows) error {
			s := &live.Survey{}
			var session sql.NullInt64
			var opens, closes int64
			if err := rows.Scan(&s.ID, &s.EventID, &s.RoomID, &session, &s.Title, &s.Intro, &s.Thanks, &s.State, &opens, &closes); err != nil {
				return err
			}
			if session.Valid {
				s.SessionID = &session.Int64
			}
			s.OpensAt, s.ClosesAt = timeOfMS(opens), timeOfMS(closes)
			ds.Surveys = append(ds.Surveys, s)
			return nil
		})
	}
	if err == nil {
		err = db.loadVotes(ctx, ds)
	}
	if err != nil {
		return nil, fmt.Errorf("store: load: %w", err)
	}
	return ds, nil
}

// loadVotes reads what the participants did into ds: the named
// participants, the votes counted, the ledger of vote ids, the answers'
// decisions and upvotes.
func (db *DB) loadVotes(ctx context.Context, ds *live.Dataset) error {
	var err error
	{
		// Only named participants: a quiz's leaderboard shows their names.
		err = db.query(ctx, `SELECT id, event_id, display_name FROM participants WHERE display_name != '' ORDER BY id`, func(rows *sql.Rows) error {
			var p live.Participant
			if err := rows.Scan(&p.ID, &p.EventID, &p.DisplayName); err != nil {
				return err
			}
			ds.Names = append(ds.Names, p)
			return nil
		})
	}
	if err == nil {
		err = db.query(ctx, `SELECT participant_id, target_kind, target_id, event_id, vote_id, answer, jury, at FROM votes ORDER BY participant_id, target_kind, target_id`, func(rows *sql.Rows) error {
			var v live.Vote
			var at string
			if err := rows.Scan(&v.ParticipantID, &v.Target.Kind, &v.Target.ID, &v.EventID, &v.VoteID, &v.Answer, &v.Jury, &at); err != nil {
				return err
			}
			v.At = parseTime(at)
			ds.Votes = append(ds.Votes, v)
			return nil
		})
	}
	if err == nil {
		err = db.query(ctx, `SELECT event_id, participant_id, vote_id, target_kind, target_id, answer FROM vote_log ORDER BY participant_id, vote_id`, func(rows *sql.Rows) error {
			var m live.VoteMark
			if err := rows.Scan(&m.EventID, &m.ParticipantID, &m.VoteID, &m.Target.Kind, &m.Target.ID, &m.Answer); err != nil {
				return err
			}
			ds.Ledger = append(ds.Ledger, m)
			return nil
		})
	}
	if err == nil {
		err = db.query(ctx, `SELECT event_id, target_kind, target_id, decision, at FROM answer_decisions ORDER BY id`, func(rows *sql.Rows) error {
			var d live.Decision
			var decision, at string
			if err := rows.Scan(&d.EventID, &d.Target.Kind, &d.Target.ID, &decision, &at); err != nil {
				return err
			}
			d.Decision, d.At = json.RawMessage(decision), parseTime(at)
			ds.Decisions = append(ds.Decisions, d)
			return nil
		})
	}
	if err == nil {
		err = db.query(ctx, `SELECT event_id, target_kind, target_id, answer_id, participant_id, at FROM answer_upvotes ORDER BY target_kind, target_id, answer_id, participant_id`, func(rows *sql.Rows) error {
			var u live.AnswerUpvote
			var at string
			if err := rows.Scan(&u.EventID, &u.Target.Kind, &u.Target.ID, &u.AnswerID, &u.ParticipantID, &at); err != nil {
				return err
			}
			u.At = parseTime(at)
			ds.Upvotes = append(ds.Upvotes, u)
			return nil
		})
	}
	return err
}

func (db *DB) query(ctx context.Context, q string, scan func(*sql.Rows) error, args ...any) error {
	rows, err := db.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// execer runs a statement: the writer pool, or a transaction on it.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// upsert inserts a row when *id is 0 (setting *id) and updates it otherwise.
func upsert(ctx context.Context, x execer, table string, id *int64, cols []string, vals ...any) error {
	var err error
	if *id == 0 {
		q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (?%s) RETURNING id", table, strings.Join(cols, ", "), strings.Repeat(", ?", len(cols)-1))
		err = x.QueryRowContext(ctx, q, vals...).Scan(id)
	} else {
		q := fmt.Sprintf("UPDATE %s SET %s = ? WHERE id = ?", table, strings.Join(cols, " = ?, "))
		_, err = x.ExecContext(ctx, q, append(vals, *id)...)
	}
	if isUnique(err) {
		return live.Errorf(live.EConflict, "This already exists.")
	}
	if err != nil {
		return fmt.Errorf("store: save %s: %w", table, err)
	}
	return nil
}

// SaveEvent implements show.Store.
func (db *DB) SaveEvent(ctx context.Context, e *live.Event) (err error) {
	defer db.noteWrite(&err)
	langs, _ := json.Marshal(e.Languages)
	return upsert(ctx, db.writer, "events", &e.ID, []string{"code", "title", "languages", "color", "logo_url", "jury_code", "jury_weight", "created_at"},
		e.Code, e.Title, string(langs), e.Color, e.LogoURL, e.JuryCode, e.JuryWeight, e.CreatedAt.UTC().Format(time.RFC3339Nano))
}

// SaveRoom implements show.Store.
func (db *DB) SaveRoom(ctx context.Context, r *live.Room) (err error) {
	defer db.noteWrite(&err)
	return saveRoom(ctx, db.writer, r)
}

func saveRoom(ctx context.Context, x execer, r *live.Room) error {
	return upsert(ctx, x, "rooms", &r.ID, []string{"event_id", "name", "active_round_id", "screen"}, r.EventID, r.Name, r.ActiveRoundID, r.Screen)
}

// SaveRound implements show.Store.
func (db *DB) SaveRound(ctx context.Context, r *live.Round) (err error) {
	defer db.noteWrite(&err)
	return saveRound(ctx, db.writer, r)
}

func saveRound(ctx context.Context, x execer, r *live.Round) error {
	return upsert(ctx, x, "rounds", &r.ID, []string{"event_id", "room_id", "title", "scale", "state", "current_pitch_id", "ranking_revealed", "revealed_places", "auto_reveal"},
		r.EventID, r.RoomID, r.Title, r.Scale, r.State, r.CurrentPitchID, r.RankingRevealed, r.RevealedPlaces, r.AutoReveal)
}

// SavePitch implements show.Store.
func (db *DB) SavePitch(ctx context.Context, p *live.Pitch) (err error) {
	defer db.noteWrite(&err)
	return savePitch(ctx, db.writer, p)
}

func savePitch(ctx context.Context, x execer, p *live.Pitch) error {
	return upsert(ctx, x, "pitches", &p.ID, []string{"round_id", "position", "team", "presenter", "duration_s", "video_url", "state",
		"show_results", "timer_running", "timer_deadline_ms", "timer_remaining_ms"},
		p.RoundID, p.Position, p.Team, p.Presenter, p.DurationS, p.VideoURL, p.State, p.ShowResults,
		p.Timer.Running, p.Timer.DeadlineMS, p.Timer.RemainingMS)
}

// DeletePitch implements show.Store.
func (db *DB) DeletePitch(ctx context.Context, id int64) (err error) {
	defer db.noteWrite(&err)
	_, err = db.writer.ExecContext(ctx, `DELETE FROM pitches WHERE id = ?`, id)
	return err
}

// SavePoll implements show.Store.
func (db *DB) SavePoll(ctx context.Context, p *live.Poll) (err error) {
	defer db.noteWrite(&err)
	return savePoll(ctx, db.writer, p)
}

func savePoll(ctx context.Context, x execer, p *live.Poll) error {
	choices, _ := json.Marshal(p.Choices)
	if p.Choices == nil {
		choices = []byte("[]")
	}
	correct := ""
	if len(p.Correct) > 0 {
		b, _ := json.Marshal(p.Correct)
		correct = string(b)
	}
	return upsert(ctx, x, "polls", &p.ID, []string{"event_id", "room_id", "question", "kind", "choices", "scale_max", "settings", "state", "show_results", "position",
		"results", "correct", "correct_revealed", "quiz_id", "opened_at_ms", "survey_id", "required"},
		p.EventID, p.RoomID, p.Question, p.Kind, string(choices), p.ScaleMax, string(p.Settings), p.State, p.ShowResults, p.Position,
		p.Results, correct, p.CorrectRevealed, p.QuizID, p.OpenedAtMS, p.SurveyID, p.Required)
}

// SaveQuiz implements show.Store.
func (db *DB) SaveQuiz(ctx context.Context, q *live.Quiz) (err error) {
	defer db.noteWrite(&err)
	return saveQuiz(ctx, db.writer, q)
}

func saveQuiz(ctx context.Context, x execer, q *live.Quiz) error {
	return upsert(ctx, x, "quizzes", &q.ID, []string{"event_id", "room_id", "title", "state", "phase", "current_poll_id"},
		q.EventID, q.RoomID, q.Title, q.State, q.Phase, q.CurrentPollID)
}

// SaveSurvey implements show.Store.
func (db *DB) SaveSurvey(ctx context.Context, s *live.Survey) (err error) {
	defer db.noteWrite(&err)
	return saveSurvey(ctx, db.writer, s)
}

func saveSurvey(ctx context.Context, x execer, s *live.Survey) error {
	var session sql.NullInt64
	if s.SessionID != nil {
		session = sql.NullInt64{Int64: *s.SessionID, Valid: true}
	}
	return upsert(ctx, x, "surveys", &s.ID, []string{"event_id", "room_id", "session_id", "title", "intro", "thanks", "state", "opens_at_ms", "closes_at_ms"},
		s.EventID, s.RoomID, session, s.Title, s.Intro, s.Thanks, s.State, msOfTime(s.OpensAt), msOfTime(s.ClosesAt))
}

// timeOfMS is the time of a stored Unix ms, nil for 0 (none).
func timeOfMS(ms int64) *time.Time {
	if ms == 0 {
		return nil
	}
	t := time.UnixMilli(ms).UTC()
	return &t
}

// msOfTime is the Unix ms stored for t, 0 for nil (none).
func msOfTime(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return t.UnixMilli()
}

// SaveDecision implements show.Store.
func (db *DB) SaveDecision(ctx context.Context, d live.Decision, a live.AuditEntry) (err error) {
	defer db.noteWrite(&err)
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO answer_decisions (event_id, target_kind, target_id, decision, at) VALUES (?, ?, ?, ?, ?)`,
		d.EventID, d.Target.Kind, d.Target.ID, string(d.Decision), d.At.UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("store: save decision: %w", err)
	}
	if err := audit(ctx, tx, a); err != nil {
		return fmt.Errorf("store: decision audit: %w", err)
	}
	return tx.Commit()
}

// SaveUpvote implements show.Store.
func (db *DB) SaveUpvote(ctx context.Context, u live.AnswerUpvote, up bool) (_ bool, err error) {
	defer db.noteWrite(&err)
	var res sql.Result
	if up {
		res, err = db.writer.ExecContext(ctx, `INSERT INTO answer_upvotes (event_id, target_kind, target_id, answer_id, participant_id, at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			u.EventID, u.Target.Kind, u.Target.ID, u.AnswerID, u.ParticipantID, u.At.UTC().Format(time.RFC3339Nano))
	} else {
		res, err = db.writer.ExecContext(ctx, `DELETE FROM answer_upvotes WHERE target_kind = ? AND target_id = ? AND answer_id = ? AND participant_id = ?`,
			u.Target.Kind, u.Target.ID, u.AnswerID, u.ParticipantID)
	}
	if err != nil {
		return false, fmt.Errorf("store: save upvote: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Audit implements show.Store.
func (db *DB) Audit(ctx context.Context, a live.AuditEntry) (err error) {
	defer db.noteWrite(&err)
	return audit(ctx, db.writer, a)
}

// SaveState implements show.Store: every row of the change and its audit
// entry in one transaction, so that a failure leaves nothing half-applied.
func (db *DB) SaveState(ctx context.Context, st live.StateChange) (err error) {
	defer db.noteWrite(&err)
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback()
	for _, r := range st.Rooms {
		if err := saveRoom(ctx, tx, r); err != nil {
			return err
		}
	}
	for _, r := range st.Rounds {
		if err := saveRound(ctx, tx, r); err != nil {
			return err
		}
	}
	for _, p := range st.Pitches {
		if err := savePitch(ctx, tx, p); err != nil {
			return err
		}
	}
	for _, p := range st.Polls {
		if err := savePoll(ctx, tx, p); err != nil {
			return err
		}
	}
	for _, q := range st.Quizzes {
		if err := saveQuiz(ctx, tx, q); err != nil {
			return err
		}
	}
	for _, sv := range st.Surveys {
		if err := saveSurvey(ctx, tx, sv); err != nil {
			return err
		}
	}
	if st.Audit != nil {
		if err := audit(ctx, tx, *st.Audit); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// AuditLog returns an event's audit entries, newest first, at most limit.
func (db *DB) AuditLog(ctx context.Context, eventID int64, limit int) ([]live.AuditEntry, error) {
	if eventID == 0 {
		return []live.AuditEntry{}, nil
	}
	return db.AuditSearch(ctx, live.AuditFilter{EventID: eventID, Limit: limit})
}

// Setting returns the value stored under key, or "" if none. It reads
// from the reader pool, so that a read per request (the credentials) never
// waits behind a vote batch.
func (db *DB) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := db.reader.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetSetting stores value under key.
func (db *DB) SetSetting(ctx context.Context, key, value string) (err error) {
	defer db.noteWrite(&err)
	_, err = db.writer.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// DeleteSessions ends every session of every account.
func (db *DB) DeleteSessions(ctx context.Context) (err error) {
	defer db.noteWrite(&err)
	_, err = db.writer.ExecContext(ctx, `DELETE FROM sessions`)
	return err
}

// storageFaults are the SQLite result codes (primary, the low byte) that say
// the database cannot be written, whatever was asked: the disk is full or
// failing, the file or its directory is read-only or gone, another process
// holds the lock.
var storageFaults = map[int]bool{
	3:  true, // SQLITE_PERM
	5:  true, // SQLITE_BUSY
	6:  true, // SQLITE_LOCKED
	8:  true, // SQLITE_READONLY
	10: true, // SQLITE_IOERR
	11: true, // SQLITE_CORRUPT
	13: true, // SQLITE_FULL
	14: true, // SQLITE_CANTOPEN
	26: true, // SQLITE_NOTADB
}

// isStorageFault reports whether err is one of storageFaults, PostgreSQL's
// equivalent (pgFault), or a failed group commit.
func isStorageFault(err error) bool {
	var se *sqlite.Error
	var ce *storageError
	return errors.As(err, &ce) || errors.As(err, &se) && storageFaults[se.Code()&0xff] || pgFault(err)
}

// storageError marks a failed group commit as a storage fault whatever its
// cause: the engine validated every write it holds.
type storageError struct{ err error }

func (e *storageError) Error() string { return e.err.Error() }
func (e *storageError) Unwrap() error { return e.err }

// errCannotWrite is what a write that hit a storage fault answers: busy, to
// be retried once the node can write again (or on another node).
var errCannotWrite = live.Errorf(live.EBusy, "The server cannot save data right now; try again in a moment.")

// noteWrite records the outcome of a write in the database's health and
// turns a storage fault in *err into errCannotWrite (wrapping the cause, for
// the log). A success clears the fault; other errors (a conflict, a bad
// row) leave it as it was.
func (db *DB) noteWrite(err *error) {
	if *err != nil && pgFenced(*err) {
		db.fencedOnce.Do(func() { close(db.fenced) })
	}
	switch {
	case *err == nil:
		db.fault.Store(nil)
	case isStorageFault(*err):
		cause := *err
		db.fault.Store(&cause)
		if !errors.Is(cause, errCannotWrite) {
			*err = fmt.Errorf("%w: %w", errCannotWrite, cause)
		}
	}
}

// WriteFault implements show.Store: the storage error of the last write,
// or nil when it succeeded (or nothing failed yet).
func (db *DB) WriteFault() error {
	if p := db.fault.Load(); p != nil {
		return *p
	}
	return nil
}
