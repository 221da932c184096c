package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
	"github.com/ovation-live/ovation/store"
)

// The store is the running show's storage: store does not import show, so
// the assertion lives here.
var _ show.Store = (*store.DB)(nil)

// testTimeout bounds every wait in these tests.
const testTimeout = 10 * time.Second

func dbPath(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "ovation.db")
}

// openDB opens the database at path and closes it when the test ends.
func openDB(tb testing.TB, path string, opts store.Options) *store.DB {
	tb.Helper()
	db, err := store.Open(path, opts)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

func closeDB(tb testing.TB, db *store.DB) {
	tb.Helper()
	if err := db.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
}

// rawDB opens path with database/sql directly, to check what the file holds.
func rawDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		tb.Fatalf("sql.Open: %v", err)
	}
	tb.Cleanup(func() { raw.Close() })
	return raw
}

func queryInt(tb testing.TB, raw *sql.DB, q string, args ...any) int64 {
	tb.Helper()
	var n int64
	if err := raw.QueryRow(q, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return n
}

func ctxT(tb testing.TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	tb.Cleanup(cancel)
	return ctx
}

func wantCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := live.ErrorCode(err); got != want {
		tb.Fatalf("error code = %q, want %q (err: %v)", got, want, err)
	}
}

// recv waits for one value from ch or fails at the deadline.
func recv[T any](tb testing.TB, ch <-chan T, what string) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testTimeout):
		tb.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// enqueueWait enqueues op and waits until its batch is reported.
func enqueueWait(tb testing.TB, db *store.DB, op live.WriteOp) error {
	tb.Helper()
	done := make(chan error, 1)
	op.Done = func(err error) { done <- err }
	if err := db.Enqueue(op); err != nil {
		tb.Fatalf("Enqueue: %v", err)
	}
	return recv(tb, done, "Done")
}

// blockCommitter enqueues an op whose Done holds the committer until
// release is called; it returns once the committer is held, so that every
// op enqueued afterwards stays queued.
func blockCommitter(tb testing.TB, db *store.DB) (release func()) {
	tb.Helper()
	entered, gate := make(chan struct{}), make(chan struct{})
	if err := db.Enqueue(live.WriteOp{Done: func(error) { close(entered); <-gate }}); err != nil {
		tb.Fatalf("Enqueue blocker: %v", err)
	}
	recv(tb, entered, "the committer to reach the blocker")
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	tb.Cleanup(release) // never leave the committer stuck, even on failure
	return release
}

// fixture is a saved event with a room, a round of pitches and two polls.
type fixture struct {
	event   *live.Event
	room    *live.Room
	round   *live.Round
	pitches []*live.Pitch // in position order
	choice  *live.Poll
	scale   *live.Poll
}

func seed(tb testing.TB, db *store.DB) *fixture {
	tb.Helper()
	ctx := ctxT(tb)
	f := &fixture{}
	f.event = &live.Event{Code: "TDAYS", Title: "Tech days", Languages: []string{"en", "fr"}, Color: "#112233",
		LogoURL: "https://example.com/l.png", JuryCode: "JURY", JuryWeight: 40,
		CreatedAt: time.Date(2030, 1, 2, 3, 4, 5, 600_000_000, time.UTC)}
	must(tb, db.SaveEvent(ctx, f.event))
	f.room = &live.Room{EventID: f.event.ID, Name: "Main stage"}
	must(tb, db.SaveRoom(ctx, f.room))
	f.round = &live.Round{EventID: f.event.ID, RoomID: f.room.ID, Title: "Finals", Scale: 5, State: live.RoundPending}
	must(tb, db.SaveRound(ctx, f.round))
	// Saved out of running order: Load must sort by position.
	for _, pos := range []int{3, 1, 2} {
		p := &live.Pitch{RoundID: f.round.ID, Position: pos, Team: fmt.Sprintf("Team %d", pos), Presenter: "P",
			DurationS: 90, VideoURL: "https://v.example.com/" + fmt.Sprint(pos), State: live.PitchPending,
			Timer: live.Timer{RemainingMS: 90_000}}
		must(tb, db.SavePitch(ctx, p))
		f.pitches = append(f.pitches, p)
	}
	sort.Slice(f.pitches, func(i, j int) bool { return f.pitches[i].Position < f.pitches[j].Position })
	f.choice = &live.Poll{EventID: f.event.ID, RoomID: f.room.ID, Question: "Lunch?", Kind: live.PollChoices,
		Choices: []string{"Pizza", "Sushi", "Salad"}, State: live.PollDraft, Position: 1}
	must(tb, db.SavePoll(ctx, f.choice))
	f.scale = &live.Poll{EventID: f.event.ID, RoomID: f.room.ID, Question: "Rate the day", Kind: live.PollScale,
		ScaleMax: 10, State: live.PollOpen, ShowResults: true, Position: 2}
	must(tb, db.SavePoll(ctx, f.scale))
	return f
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func participant(f *fixture, id int64, jury bool) *live.Participant {
	return &live.Participant{ID: id, EventID: f.event.ID, DisplayName: fmt.Sprint("p", id), Jury: jury,
		CreatedAt: time.Date(2030, 1, 2, 3, 0, 0, 0, time.UTC)}
}

func vote(f *fixture, participant int64, voteID string, t live.Target, value int) *live.Vote {
	return &live.Vote{VoteID: voteID, ParticipantID: participant, EventID: f.event.ID, Target: t, Answer: live.Answer(strconv.Itoa(value)),
		At: time.Date(2030, 1, 2, 3, 5, 0, 0, time.UTC)}
}

func pitchT(p *live.Pitch) live.Target { return live.Target{Kind: live.KindPitch, ID: p.ID} }
func pollT(p *live.Poll) live.Target   { return live.Target{Kind: live.KindPoll, ID: p.ID} }

func load(tb testing.TB, db *store.DB) *live.Dataset {
	tb.Helper()
	ds, err := db.Load(ctxT(tb))
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	return ds
}

func sortedVotes(vs []live.Vote) []live.Vote {
	out := append([]live.Vote(nil), vs...)
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.ParticipantID != b.ParticipantID {
			return a.ParticipantID < b.ParticipantID
		}
		if a.Target.Kind != b.Target.Kind {
			return a.Target.Kind < b.Target.Kind
		}
		return a.Target.ID < b.Target.ID
	})
	return out
}

// latestMigration is the number of the last migration file: the schema
// version of a new database.
func latestMigration(t *testing.T) int64 {
	t.Helper()
	names, err := filepath.Glob("migrations/sqlite/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("migrations: %v %v", names, err)
	}
	slices.Sort(names)
	n, err := strconv.ParseInt(strings.SplitN(filepath.Base(names[len(names)-1]), "_", 2)[0], 10, 64)
	must(t, err)
	return n
}

func TestOpen(t *testing.T) {
	t.Run("new_file_is_migrated_to_latest_version", func(t *testing.T) {
		path := dbPath(t)
		db := openDB(t, path, store.Options{})
		closeDB(t, db)
		raw := rawDB(t, path)
		if v, want := queryInt(t, raw, "PRAGMA user_version"), latestMigration(t); v != want {
			t.Fatalf("user_version = %d, want %d (the last migration)", v, want)
		}
		for _, table := range []string{"events", "rooms", "rounds", "pitches", "polls", "participants", "votes", "vote_log", "audit", "settings", "sessions", "quizzes", "accounts", "grants", "api_tokens"} {
			if n := queryInt(t, raw, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", table); n != 1 {
				t.Errorf("table %s missing", table)
			}
		}
		if mode := func() string {
			var m string
			must(t, raw.QueryRow("PRAGMA journal_mode").Scan(&m))
			return m
		}(); mode != "wal" {
			t.Errorf("journal_mode = %q, want wal", mode)
		}
	})
	t.Run("reopen_is_idempotent_and_keeps_data", func(t *testing.T) {
		path := dbPath(t)
		db := openDB(t, path, store.Options{})
		f := seed(t, db)
		closeDB(t, db)
		for i := 0; i < 2; i++ {
			db = openDB(t, path, store.Options{})
			ds := load(t, db)
			if len(ds.Events) != 1 || ds.Events[0].ID != f.event.ID || len(ds.Pitches) != 3 {
				t.Fatalf("reopen %d: events %d, pitches %d", i, len(ds.Events), len(ds.Pitches))
			}
			closeDB(t, db)
		}
		if v, want := queryInt(t, rawDB(t, path), "PRAGMA user_version"), latestMigration(t); v != want {
			t.Fatalf("user_version = %d, want %d", v, want)
		}
	})
	t.Run("a_poll_keeps_its_results_mode_and_correct_answer", func(t *testing.T) {
		path := dbPath(t)
		db := openDB(t, path, store.Options{})
		f := seed(t, db)
		f.choice.Results, f.choice.Correct, f.choice.CorrectRevealed = live.ResultsClosed, []int{2}, true
		must(t, db.SavePoll(context.Background(), f.choice))
		closeDB(t, db)
		ds := load(t, openDB(t, path, store.Options{}))
		for _, p := range ds.Polls {
			switch p.ID {
			case f.choice.ID:
				if p.Results != live.ResultsClosed || len(p.Correct) != 1 || p.Correct[0] != 2 || !p.CorrectRevealed {
					t.Fatalf("choice poll = %+v, want results closed, correct [2] revealed", p)
				}
			case f.scale.ID:
				if len(p.Correct) != 0 || p.CorrectRevealed {
					t.Fatalf("scale poll = %+v, want no correct answer", p)
				}
			}
		}
	})
	t.Run("newer_schema_is_left_alone", func(t *testing.T) {
		path := dbPath(t)
		closeDB(t, openDB(t, path, store.Options{}))
		raw := rawDB(t, path)
		newer := latestMigration(t) + 1
		if _, err := raw.Exec(fmt.Sprintf("PRAGMA user_version = %d", newer)); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		closeDB(t, openDB(t, path, store.Options{}))
		if v := queryInt(t, rawDB(t, path), "PRAGMA user_version"); v != newer {
			t.Fatalf("user_version = %d, want %d (no downgrade, no re-run)", v, newer)
		}
	})
	t.Run("integer_votes_of_version_3_become_answers", func(t *testing.T) {
		path := dbPath(t)
		raw := rawDB(t, path)
		for _, name := range []string{"0001_init.sql", "0002_feed.sql", "0003_boards.sql"} {
			body, err := os.ReadFile(filepath.Join("migrations", "sqlite", name))
			must(t, err)
			_, err = raw.Exec(string(body))
			must(t, err)
		}
		_, err := raw.Exec(`PRAGMA user_version = 3;
			INSERT INTO votes VALUES (7, 'poll', 3, 1, 'v1', 4, 0, '2026-11-30T10:00:00Z');
			INSERT INTO vote_log VALUES (7, 'v1', 1, 'poll', 3, 4, '2026-11-30T10:00:00Z');`)
		must(t, err)
		raw.Close()
		ds := load(t, openDB(t, path, store.Options{}))
		if len(ds.Votes) != 1 || ds.Votes[0].Answer != "4" || ds.Votes[0].VoteID != "v1" {
			t.Fatalf("votes = %+v, want v1 answering 4", ds.Votes)
		}
		if len(ds.Ledger) != 1 || ds.Ledger[0].Answer != "4" {
			t.Fatalf("ledger = %+v, want v1 answering 4", ds.Ledger)
		}
	})
	t.Run("a_ranking_revealed_before_version_6_stays_whole", func(t *testing.T) {
		path := dbPath(t)
		raw := rawDB(t, path)
		for _, name := range []string{"0001_init.sql", "0002_feed.sql", "0003_boards.sql", "0004_answers.sql"} {
			body, err := os.ReadFile(filepath.Join("migrations", "sqlite", name))
			must(t, err)
			_, err = raw.Exec(string(body))
			must(t, err)
		}
		_, err := raw.Exec(`PRAGMA user_version = 4;
			INSERT INTO events (id, code, title, languages, color, logo_url, jury_code, jury_weight, created_at) VALUES (1, 'OLD', 'Old', '["en"]', '#5B3DF5', '', '', 0, '2026-11-30T10:00:00Z');
			INSERT INTO rooms (id, event_id, name, active_round_id) VALUES (1, 1, 'Main', 1);
			INSERT INTO rounds (id, event_id, room_id, title, scale, state, current_pitch_id, ranking_revealed) VALUES (1, 1, 1, 'R', 5, 'finished', 2, 1);
			INSERT INTO pitches (id, round_id, position, team, presenter, duration_s, video_url, state, show_results, timer_running, timer_deadline_ms, timer_remaining_ms)
				VALUES (1, 1, 1, 'A', '', 60, '', 'closed', 0, 0, 0, 0), (2, 1, 2, 'B', '', 60, '', 'closed', 0, 0, 0, 0);`)
		must(t, err)
		raw.Close()
		ds := load(t, openDB(t, path, store.Options{}))
		if len(ds.Rounds) != 1 || ds.Rounds[0].RevealedPlaces != 2 || ds.Rounds[0].AutoReveal || ds.Rooms[0].Screen != live.ScreenCurrent {
			t.Fatalf("round %+v, room %+v", ds.Rounds[0], ds.Rooms[0])
		}
	})
	t.Run("bad_synchronous_is_rejected", func(t *testing.T) {
		if db, err := store.Open(dbPath(t), store.Options{Synchronous: "OFF"}); err == nil {
			db.Close()
			t.Fatal("Open with synchronous OFF succeeded")
		}
	})
	t.Run("missing_directories_are_created", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "a", "b", "ovation.db")
		closeDB(t, openDB(t, path, store.Options{Synchronous: "normal"}))
	})
	t.Run("close_twice_is_harmless", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{})
		closeDB(t, db)
		closeDB(t, db)
	})
}

func TestGroupCommit(t *testing.T) {
	t.Run("queued_votes_commit_in_fewer_batches_than_votes", func(t *testing.T) {
		var mu sync.Mutex
		var batches []int
		db := openDB(t, dbPath(t), store.Options{OnCommit: func(ops int, _ time.Duration, err error) {
			if err != nil {
				t.Errorf("batch failed: %v", err)
			}
			mu.Lock()
			batches = append(batches, ops)
			mu.Unlock()
		}})
		f := seed(t, db)
		must(t, enqueueWait(t, db, live.WriteOp{Participant: participant(f, 1, false)}))
		release := blockCommitter(t, db)
		mu.Lock()
		before := len(batches)
		mu.Unlock()

		const n = 300
		var wg sync.WaitGroup
		var done sync.WaitGroup
		errs := make(chan error, n)
		done.Add(n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				op := live.WriteOp{Vote: vote(f, int64(1000+i), fmt.Sprint("v", i), pitchT(f.pitches[i%3]), 1+i%5),
					Done: func(err error) { errs <- err; done.Done() }}
				if err := db.Enqueue(op); err != nil {
					errs <- err
					done.Done()
				}
			}()
		}
		wg.Wait()
		release()
		allDone := make(chan struct{})
		go func() { done.Wait(); close(allDone) }()
		recv(t, allDone, "every vote's Done")
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("vote failed: %v", err)
			}
		}
		mu.Lock()
		votesBatches := batches[before:]
		mu.Unlock()
		total := 0
		for _, b := range votesBatches {
			total += b
		}
		// The blocker's own batch was reported before the votes were queued.
		if total != n {
			t.Fatalf("batches %v hold %d ops, want %d", votesBatches, total, n)
		}
		if len(votesBatches) >= n || len(votesBatches) > 2 {
			t.Fatalf("%d votes took %d transactions %v; want them grouped", n, len(votesBatches), votesBatches)
		}
		if got := len(load(t, db).Votes); got != n {
			t.Fatalf("Load returned %d votes, want %d", got, n)
		}
	})
	t.Run("concurrent_votes_are_grouped_without_a_block", func(t *testing.T) {
		var batches atomic.Int64
		db := openDB(t, dbPath(t), store.Options{CommitWindow: 5 * time.Millisecond,
			OnCommit: func(int, time.Duration, error) { batches.Add(1) }})
		f := seed(t, db)
		const n = 200
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := enqueueWaitNoFatal(db, live.WriteOp{Vote: vote(f, int64(i+1), "v", pitchT(f.pitches[0]), 3)}); err != nil {
					t.Errorf("vote %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if b := batches.Load(); b >= n {
			t.Fatalf("%d votes took %d transactions; want fewer", n, b)
		}
	})
	t.Run("done_is_called_in_queue_order_across_batches", func(t *testing.T) {
		var sizes []int
		var smu sync.Mutex
		db := openDB(t, dbPath(t), store.Options{MaxBatch: 7, OnCommit: func(ops int, _ time.Duration, _ error) {
			smu.Lock()
			sizes = append(sizes, ops)
			smu.Unlock()
		}})
		f := seed(t, db)
		release := blockCommitter(t, db)
		const n = 50
		var order []int // appended by the committer goroutine only
		last := make(chan struct{})
		for i := 0; i < n; i++ {
			op := live.WriteOp{Done: func(err error) {
				if err != nil {
					t.Errorf("op %d: %v", i, err)
				}
				order = append(order, i)
				if i == n-1 {
					close(last)
				}
			}}
			switch i % 3 {
			case 0:
				op.Vote = vote(f, 7, fmt.Sprint("v", i), pitchT(f.pitches[0]), 1+i%5)
			case 1:
				op.Reset = &live.Target{Kind: live.KindPitch, ID: f.pitches[1].ID}
			}
			must(t, db.Enqueue(op))
		}
		release()
		recv(t, last, "the last Done")
		for i, got := range order {
			if got != i {
				t.Fatalf("Done order = %v; want 0..%d in order", order, n-1)
			}
		}
		smu.Lock()
		defer smu.Unlock()
		for _, s := range sizes {
			if s > 7 {
				t.Fatalf("batch sizes %v exceed MaxBatch 7", sizes)
			}
		}
		// The last vote (i = 48, value 4) is the participant's current one.
		ds := load(t, db)
		if len(ds.Votes) != 1 || ds.Votes[0].VoteID != "v48" || ds.Votes[0].Answer != "4" {
			t.Fatalf("current votes = %+v, want only v48 = 4", ds.Votes)
		}
	})
	t.Run("flush_waits_for_prior_ops", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{CommitWindow: 20 * time.Millisecond})
		f := seed(t, db)
		var done atomic.Int64
		const n = 100
		for i := 0; i < n; i++ {
			must(t, db.Enqueue(live.WriteOp{Vote: vote(f, int64(i+1), "v", pitchT(f.pitches[0]), 2),
				Done: func(err error) {
					if err == nil {
						done.Add(1)
					}
				}}))
		}
		must(t, db.Flush(ctxT(t)))
		if got := done.Load(); got != n {
			t.Fatalf("after Flush, %d of %d ops are done", got, n)
		}
		if got := len(load(t, db).Votes); got != n {
			t.Fatalf("after Flush, Load sees %d votes, want %d", got, n)
		}
	})
	t.Run("flush_gives_up_at_the_context_deadline", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{})
		blockCommitter(t, db)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		wantCode(t, db.Flush(ctx), live.EBusy)
	})
	t.Run("failed_batch_reports_the_error_to_every_op_and_commits_none", func(t *testing.T) {
		var failed atomic.Int64
		db := openDB(t, dbPath(t), store.Options{OnCommit: func(_ int, _ time.Duration, err error) {
			if err != nil {
				failed.Add(1)
			}
		}})
		f := seed(t, db)
		release := blockCommitter(t, db)
		errs := make(chan error, 3)
		report := func(err error) { errs <- err }
		must(t, db.Enqueue(live.WriteOp{Vote: vote(f, 1, "ok", pitchT(f.pitches[0]), 3), Done: report}))
		bad := participant(f, 2, false)
		bad.EventID = 999 // violates the foreign key to events
		must(t, db.Enqueue(live.WriteOp{Participant: bad, Done: report}))
		must(t, db.Enqueue(live.WriteOp{Vote: vote(f, 3, "ok", pitchT(f.pitches[0]), 4), Done: report}))
		release()
		for i := 0; i < 3; i++ {
			if err := recv(t, errs, "Done"); err == nil {
				t.Fatalf("op %d of a failed batch reported success", i)
			}
		}
		if failed.Load() != 1 {
			t.Fatalf("OnCommit saw %d failed batches, want 1", failed.Load())
		}
		ds := load(t, db)
		if len(ds.Votes) != 0 || len(ds.Ledger) != 0 {
			t.Fatalf("failed batch left votes %v, ledger %v", ds.Votes, ds.Ledger)
		}
		// The committer keeps going after a failure.
		must(t, enqueueWait(t, db, live.WriteOp{Vote: vote(f, 1, "again", pitchT(f.pitches[0]), 3)}))
		if got := len(load(t, db).Votes); got != 1 {
			t.Fatalf("after recovery Load sees %d votes, want 1", got)
		}
	})
}

func enqueueWaitNoFatal(db *store.DB, op live.WriteOp) error {
	done := make(chan error, 1)
	op.Done = func(err error) { done <- err }
	if err := db.Enqueue(op); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-time.After(testTimeout):
		return fmt.Errorf("timed out")
	}
}

func TestEnqueueBackpressure(t *testing.T) {
	t.Run("enqueue_after_close_is_busy", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{})
		closeDB(t, db)
		wantCode(t, db.Enqueue(live.WriteOp{Done: func(error) { t.Error("Done called for a refused op") }}), live.EBusy)
	})
	t.Run("flush_after_close_returns_at_once", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{})
		closeDB(t, db)
		wantCode(t, db.Flush(ctxT(t)), "")
	})
	t.Run("full_queue_is_busy_instead_of_blocking", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{QueueSize: 2})
		release := blockCommitter(t, db)
		var done atomic.Int64
		count := func(error) { done.Add(1) }
		must(t, db.Enqueue(live.WriteOp{Done: count}))
		must(t, db.Enqueue(live.WriteOp{Done: count}))
		result := make(chan error, 1)
		go func() {
			result <- db.Enqueue(live.WriteOp{Done: func(error) { t.Error("Done called for a refused op") }})
		}()
		wantCode(t, recv(t, result, "Enqueue on a full queue to return"), live.EBusy)
		release()
		must(t, db.Flush(ctxT(t)))
		if done.Load() != 2 {
			t.Fatalf("%d queued ops done, want 2", done.Load())
		}
		// Room again once the committer drained the queue.
		must(t, enqueueWait(t, db, live.WriteOp{}))
	})
	t.Run("close_commits_what_is_queued", func(t *testing.T) {
		path := dbPath(t)
		db := openDB(t, path, store.Options{})
		f := seed(t, db)
		release := blockCommitter(t, db)
		var done atomic.Int64
		for i := 0; i < 10; i++ {
			must(t, db.Enqueue(live.WriteOp{Vote: vote(f, int64(i+1), "v", pitchT(f.pitches[0]), 5),
				Done: func(err error) {
					if err == nil {
						done.Add(1)
					}
				}}))
		}
		closed := make(chan error, 1)
		go func() { closed <- db.Close() }()
		release()
		must(t, recv(t, closed, "Close"))
		if done.Load() != 10 {
			t.Fatalf("%d of 10 queued votes done at Close", done.Load())
		}
		db = openDB(t, path, store.Options{})
		if got := len(load(t, db).Votes); got != 10 {
			t.Fatalf("after reopen, %d votes, want 10", got)
		}
	})
}

func TestRestart(t *testing.T) {
	path := dbPath(t)
	db := openDB(t, path, store.Options{})
	f := seed(t, db)
	ctx := ctxT(t)

	// Structural edits after the first save are updates, not inserts.
	f.round.State, f.round.CurrentPitchID, f.round.RankingRevealed = live.RoundRunning, f.pitches[0].ID, true
	must(t, db.SaveRound(ctx, f.round))
	f.room.ActiveRoundID, f.room.Name = f.round.ID, "Amphi"
	must(t, db.SaveRoom(ctx, f.room))
	f.pitches[0].State, f.pitches[0].ShowResults = live.PitchVoting, true
	f.pitches[0].Timer = live.Timer{Running: true, DeadlineMS: 1_900_000_000_000, RemainingMS: 42}
	must(t, db.SavePitch(ctx, f.pitches[0]))
	f.event.Title = "Tech days 2030"
	must(t, db.SaveEvent(ctx, f.event))

	jury := participant(f, 2, true)
	for _, op := range []live.WriteOp{
		{Participant: participant(f, 1, false)},
		{Participant: jury},
		{Vote: vote(f, 1, "a1", pitchT(f.pitches[0]), 2)},
		{Vote: vote(f, 1, "a2", pitchT(f.pitches[0]), 5)}, // changes a1
		{Vote: vote(f, 1, "a3", pollT(f.choice), 3)},
		{Vote: func() *live.Vote { v := vote(f, 2, "j1", pitchT(f.pitches[0]), 4); v.Jury = true; return v }()},
		{Vote: vote(f, 1, "a4", pollT(f.scale), 9)},
	} {
		must(t, enqueueWait(t, db, op))
	}
	closeDB(t, db)

	db = openDB(t, path, store.Options{})
	ds := load(t, db)

	t.Run("events_come_back", func(t *testing.T) {
		if len(ds.Events) != 1 {
			t.Fatalf("%d events", len(ds.Events))
		}
		got := ds.Events[0]
		if !got.CreatedAt.Equal(f.event.CreatedAt) {
			t.Fatalf("created_at = %v, want %v", got.CreatedAt, f.event.CreatedAt)
		}
		got.CreatedAt = f.event.CreatedAt
		if !reflect.DeepEqual(got, f.event) {
			t.Fatalf("event = %+v\nwant    %+v", got, f.event)
		}
	})
	t.Run("rooms_and_rounds_come_back_updated", func(t *testing.T) {
		if len(ds.Rooms) != 1 || !reflect.DeepEqual(ds.Rooms[0], f.room) {
			t.Fatalf("rooms = %+v, want %+v", ds.Rooms, f.room)
		}
		if len(ds.Rounds) != 1 || !reflect.DeepEqual(ds.Rounds[0], f.round) {
			t.Fatalf("rounds = %+v, want %+v", ds.Rounds, f.round)
		}
	})
	t.Run("pitches_come_back_in_position_order", func(t *testing.T) {
		if !reflect.DeepEqual(ds.Pitches, f.pitches) {
			for i, p := range ds.Pitches {
				t.Logf("got %d: %+v", i, *p)
			}
			t.Fatalf("pitches differ from %v", f.pitches)
		}
	})
	t.Run("polls_come_back_with_choices", func(t *testing.T) {
		if len(ds.Polls) != 2 {
			t.Fatalf("%d polls", len(ds.Polls))
		}
		if !reflect.DeepEqual(ds.Polls[0], f.choice) {
			t.Fatalf("choice poll = %+v, want %+v", ds.Polls[0], f.choice)
		}
		s := ds.Polls[1]
		if len(s.Choices) != 0 || s.Kind != live.PollScale || s.ScaleMax != 10 || s.State != live.PollOpen || !s.ShowResults || s.Position != 2 {
			t.Fatalf("scale poll = %+v", s)
		}
	})
	t.Run("current_votes_come_back_with_their_time", func(t *testing.T) {
		at := time.Date(2030, 1, 2, 3, 5, 0, 0, time.UTC)
		want := []live.Vote{
			{VoteID: "a2", ParticipantID: 1, EventID: f.event.ID, Target: pitchT(f.pitches[0]), Answer: "5", At: at},
			{VoteID: "a3", ParticipantID: 1, EventID: f.event.ID, Target: pollT(f.choice), Answer: "3", At: at},
			{VoteID: "a4", ParticipantID: 1, EventID: f.event.ID, Target: pollT(f.scale), Answer: "9", At: at},
			{VoteID: "j1", ParticipantID: 2, EventID: f.event.ID, Target: pitchT(f.pitches[0]), Answer: "4", Jury: true, At: at},
		}
		if got := sortedVotes(ds.Votes); !reflect.DeepEqual(got, want) {
			t.Fatalf("votes = %+v\nwant    %+v", got, want)
		}
	})
	t.Run("ledger_holds_every_vote_id", func(t *testing.T) {
		var got []string
		for _, m := range ds.Ledger {
			if m.EventID != f.event.ID {
				t.Fatalf("ledger mark %+v has the wrong event", m)
			}
			got = append(got, fmt.Sprint(m.ParticipantID, "/", m.VoteID))
		}
		sort.Strings(got)
		want := []string{"1/a1", "1/a2", "1/a3", "1/a4", "2/j1"}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("ledger = %v, want %v", got, want)
		}
	})
	t.Run("participants_are_stored", func(t *testing.T) {
		closeDB(t, db)
		raw := rawDB(t, path)
		if n := queryInt(t, raw, "SELECT count(*) FROM participants WHERE event_id = ?", f.event.ID); n != 2 {
			t.Fatalf("%d participants, want 2", n)
		}
		if n := queryInt(t, raw, "SELECT jury FROM participants WHERE id = 2"); n != 1 {
			t.Fatalf("jury flag = %d, want 1", n)
		}
	})
}

func TestVoteLedger(t *testing.T) {
	t.Run("replayed_vote_id_is_logged_once", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{})
		f := seed(t, db)
		for i := 0; i < 3; i++ {
			must(t, enqueueWait(t, db, live.WriteOp{Vote: vote(f, 1, "same", pitchT(f.pitches[0]), 2)}))
		}
		ds := load(t, db)
		if len(ds.Ledger) != 1 || len(ds.Votes) != 1 {
			t.Fatalf("ledger %v, votes %v; want one each", ds.Ledger, ds.Votes)
		}
	})
}

func TestReset(t *testing.T) {
	t.Run("reset_deletes_only_the_targets_votes", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{})
		f := seed(t, db)
		for p := int64(1); p <= 3; p++ {
			must(t, enqueueWait(t, db, live.WriteOp{Vote: vote(f, p, "a", pitchT(f.pitches[0]), 3)}))
			must(t, enqueueWait(t, db, live.WriteOp{Vote: vote(f, p, "b", pitchT(f.pitches[1]), 4)}))
			must(t, enqueueWait(t, db, live.WriteOp{Vote: vote(f, p, "c", pollT(f.choice), 1)}))
		}
		// A poll with the same numeric id as the pitch must survive too.
		must(t, enqueueWait(t, db, live.WriteOp{Vote: vote(f, 9, "d", live.Target{Kind: live.KindPoll, ID: f.pitches[0].ID}, 1)}))
		target := pitchT(f.pitches[0])
		must(t, enqueueWait(t, db, live.WriteOp{Reset: &target}))
		ds := load(t, db)
		for _, v := range ds.Votes {
			if v.Target == target {
				t.Fatalf("vote %+v survived the reset", v)
			}
		}
		if len(ds.Votes) != 7 {
			t.Fatalf("%d votes left, want 7", len(ds.Votes))
		}
		if len(ds.Ledger) != 10 {
			t.Fatalf("ledger has %d marks, want 10 (a reset keeps vote ids)", len(ds.Ledger))
		}
	})
	t.Run("votes_after_a_reset_count", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{})
		f := seed(t, db)
		target := pitchT(f.pitches[0])
		release := blockCommitter(t, db)
		done := make(chan error, 3)
		report := func(err error) { done <- err }
		must(t, db.Enqueue(live.WriteOp{Vote: vote(f, 1, "before", target, 2), Done: report}))
		must(t, db.Enqueue(live.WriteOp{Reset: &target, Done: report}))
		must(t, db.Enqueue(live.WriteOp{Vote: vote(f, 2, "after", target, 5), Done: report}))
		release()
		for i := 0; i < 3; i++ {
			must(t, recv(t, done, "Done"))
		}
		ds := load(t, db)
		if len(ds.Votes) != 1 || ds.Votes[0].VoteID != "after" {
			t.Fatalf("votes = %+v, want only the one after the reset", ds.Votes)
		}
	})
}

func TestSaveEvent(t *testing.T) {
	t.Run("duplicate_code_is_a_conflict", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{})
		f := seed(t, db)
		dup := &live.Event{Code: f.event.Code, Title: "Other", Languages: []string{"fr"}, CreatedAt: time.Now()}
		wantCode(t, db.SaveEvent(ctxT(t), dup), live.EConflict)
		if dup.ID != 0 {
			t.Fatalf("failed insert set id %d", dup.ID)
		}
		if got := len(load(t, db).Events); got != 1 {
			t.Fatalf("%d events after the conflict, want 1", got)
		}
	})
	t.Run("renaming_to_a_taken_code_is_a_conflict", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{})
		f := seed(t, db)
		other := &live.Event{Code: "OTHER", Title: "Other", Languages: []string{"fr"}, CreatedAt: time.Now()}
		must(t, db.SaveEvent(ctxT(t), other))
		other.Code = f.event.Code
		wantCode(t, db.SaveEvent(ctxT(t), other), live.EConflict)
	})
	t.Run("new_events_get_increasing_ids", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{})
		a := &live.Event{Code: "AAA", Title: "A", Languages: []string{"fr"}}
		b := &live.Event{Code: "BBB", Title: "B", Languages: []string{"fr"}}
		must(t, db.SaveEvent(ctxT(t), a))
		must(t, db.SaveEvent(ctxT(t), b))
		if a.ID <= 0 || b.ID <= a.ID {
			t.Fatalf("ids = %d, %d", a.ID, b.ID)
		}
	})
}

func TestDeletePitch(t *testing.T) {
	t.Run("deleted_pitch_is_not_loaded", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{})
		f := seed(t, db)
		must(t, db.DeletePitch(ctxT(t), f.pitches[1].ID))
		ds := load(t, db)
		if len(ds.Pitches) != 2 || ds.Pitches[0].ID != f.pitches[0].ID || ds.Pitches[1].ID != f.pitches[2].ID {
			t.Fatalf("pitches after delete = %v", ds.Pitches)
		}
	})
}

func TestAuditLog(t *testing.T) {
	t.Run("entries_come_newest_first_up_to_the_limit", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{})
		ctx := ctxT(t)
		at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i < 5; i++ {
			must(t, db.Audit(ctx, live.AuditEntry{EventID: 1, Actor: "mod", Action: fmt.Sprint("a", i), Target: "pitch:1", Detail: "d", At: at.Add(time.Duration(i) * time.Second)}))
		}
		must(t, db.Audit(ctx, live.AuditEntry{EventID: 2, Actor: "mod", Action: "other"}))
		got, err := db.AuditLog(ctx, 1, 3)
		must(t, err)
		if len(got) != 3 || got[0].Action != "a4" || got[2].Action != "a2" {
			t.Fatalf("audit log = %+v", got)
		}
		if !got[0].At.Equal(at.Add(4*time.Second)) || got[0].Actor != "mod" || got[0].Target != "pitch:1" || got[0].EventID != 1 {
			t.Fatalf("entry = %+v", got[0])
		}
	})
	t.Run("unknown_event_has_an_empty_log", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{})
		got, err := db.AuditLog(ctxT(t), 42, 10)
		must(t, err)
		if got == nil || len(got) != 0 {
			t.Fatalf("audit log = %#v, want empty", got)
		}
	})
}

func TestSettings(t *testing.T) {
	t.Run("missing_key_is_empty", func(t *testing.T) {
		db := openDB(t, dbPath(t), store.Options{})
		got, err := db.Setting(ctxT(t), "admin_hash")
		must(t, err)
		if got != "" {
			t.Fatalf("Setting = %q", got)
		}
	})
	t.Run("set_overwrites_and_survives_a_restart", func(t *testing.T) {
		path := dbPath(t)
		db := openDB(t, path, store.Options{})
		ctx := ctxT(t)
		must(t, db.SetSetting(ctx, "k", "v1"))
		must(t, db.SetSetting(ctx, "k", "v2"))
		must(t, db.SetSetting(ctx, "other", "x"))
		closeDB(t, db)
		db = openDB(t, path, store.Options{})
		got, err := db.Setting(ctx, "k")
		must(t, err)
		if got != "v2" {
			t.Fatalf("Setting = %q, want v2", got)
		}
	})
}

func TestQuizRoundTrip(t *testing.T) {
	db := openDB(t, dbPath(t), store.Options{})
	f := seed(t, db)
	ctx := ctxT(t)
	q := &live.Quiz{EventID: f.event.ID, RoomID: f.room.ID, Title: "Geography", State: live.QuizPending}
	must(t, db.SaveQuiz(ctx, q))
	p := &live.Poll{EventID: f.event.ID, RoomID: f.room.ID, Question: "Capital of Peru?", Kind: live.PollQuiz, Choices: []string{"Lima", "Quito"},
		Settings: json.RawMessage(`{"time_limit_s":20}`), State: live.PollOpen, Results: live.ResultsClosed, Correct: []int{1},
		QuizID: q.ID, OpenedAtMS: 1_900_000_000_123, Position: 1}
	must(t, db.SavePoll(ctx, p))
	q.State, q.Phase, q.CurrentPollID = live.QuizRunning, live.PhaseQuestion, p.ID
	must(t, db.SaveState(ctx, live.StateChange{Quizzes: []*live.Quiz{q}}))
	done := make(chan error, 2)
	for _, name := range []string{"Ada", ""} {
		must(t, db.Enqueue(live.WriteOp{Participant: &live.Participant{ID: int64(len(name)) + 10, EventID: f.event.ID, DisplayName: name, CreatedAt: time.Now()},
			Done: func(err error) { done <- err }}))
	}
	must(t, <-done)
	must(t, <-done)
	ds := load(t, db)
	if len(ds.Quizzes) != 1 || !reflect.DeepEqual(ds.Quizzes[0], q) {
		t.Fatalf("quizzes = %+v, want %+v", ds.Quizzes, q)
	}
	var got *live.Poll
	for _, x := range ds.Polls {
		if x.ID == p.ID {
			got = x
		}
	}
	if got == nil || got.QuizID != q.ID || got.OpenedAtMS != p.OpenedAtMS {
		t.Fatalf("poll = %+v", got)
	}
	if len(ds.Names) != 1 || ds.Names[0].DisplayName != "Ada" || ds.Names[0].ID != 13 || ds.Names[0].EventID != f.event.ID {
		t.Fatalf("names = %+v (only the named participants)", ds.Names)
	}
	// A known participant written again keeps its row and takes the new name.
	must(t, db.Enqueue(live.WriteOp{Participant: &live.Participant{ID: 10, EventID: f.event.ID, DisplayName: "Zoé", CreatedAt: time.Now()},
		Done: func(err error) { done <- err }}))
	must(t, <-done)
	ds = load(t, db)
	names := map[int64]string{}
	for _, p := range ds.Names {
		names[p.ID] = p.DisplayName
	}
	if len(names) != 2 || names[10] != "Zoé" || names[13] != "Ada" {
		t.Fatalf("names after a rename = %v", names)
	}
}

// TestBatchOfManyVotesAndResets commits one batch longer than a statement
// takes, with changes of one ballot and a reset in the middle: what it
// leaves is what the writes one by one would have left.
func TestBatchOfManyVotesAndResets(t *testing.T) {
	db := openDB(t, dbPath(t), store.Options{Synchronous: "NORMAL", MaxBatch: 10000, CommitWindow: 50 * time.Millisecond})
	release := blockCommitter(t, db)
	pitch, poll := live.Target{Kind: live.KindPitch, ID: 1}, live.Target{Kind: live.KindPoll, ID: 2}
	var dones []chan error
	enqueue := func(op live.WriteOp) {
		done := make(chan error, 1)
		op.Done = func(err error) { done <- err }
		if err := db.Enqueue(op); err != nil {
			t.Fatal(err)
		}
		dones = append(dones, done)
	}
	for i := range 9000 { // 4,500 phones, two votes each on the pitch: the second counts
		enqueue(live.WriteOp{Vote: &live.Vote{VoteID: fmt.Sprint("v", i), ParticipantID: int64(i%4500 + 1), EventID: 1, Target: pitch,
			Answer: live.Answer(fmt.Sprint(i/4500 + 1)), At: time.Now()}})
		if i == 100 {
			enqueue(live.WriteOp{Vote: &live.Vote{VoteID: "p", ParticipantID: 1, EventID: 1, Target: poll, Answer: "1", At: time.Now()}})
			enqueue(live.WriteOp{Reset: &poll})
		}
	}
	release()
	for _, done := range dones {
		if err := recv(t, done, "the batch's commit"); err != nil {
			t.Fatal(err)
		}
	}
	raw := rawDB(t, db.Name())
	if n := queryInt(t, raw, `SELECT COUNT(*) FROM vote_log`); n != 9001 {
		t.Errorf("%d votes in the ledger, want 9001", n)
	}
	if n := queryInt(t, raw, `SELECT COUNT(*) FROM votes WHERE target_kind = 'pitch' AND answer = '2'`); n != 4500 {
		t.Errorf("%d phones counted on their second vote, want 4500", n)
	}
	if n := queryInt(t, raw, `SELECT COUNT(*) FROM votes WHERE target_kind = 'poll'`); n != 0 {
		t.Errorf("%d votes on the reset poll, want 0", n)
	}
}
