package board_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ovation-live/ovation/board"
	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
	"github.com/ovation-live/ovation/store"
)

// recorder is a hub.Publisher keeping the last frame of each topic and key.
type recorder struct {
	mu   sync.Mutex
	last map[string][]byte
}

func (r *recorder) Publish(topic, key string, frame []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last[topic+" "+key] = frame
}

func (r *recorder) get(tb testing.TB, topic, key string, v any) {
	tb.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.last[topic+" "+key]
	if !ok {
		tb.Fatalf("no frame %s %s", topic, key)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatal(err)
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type harness struct {
	db     *store.DB
	path   string
	engine *show.Engine
	svc    *board.Service
	pub    *recorder
	clock  *clock
	ev     *live.Event
	room   int64
	pitch  int64
}

func newHarness(tb testing.TB) *harness {
	tb.Helper()
	ctx := context.Background()
	path := filepath.Join(tb.TempDir(), "ovation.db")
	db, err := store.Open(path, store.Options{Synchronous: "NORMAL"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	pub := &recorder{last: map[string][]byte{}}
	c := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	engine := show.NewEngine(db, pub, show.Options{Logger: log})
	if err := engine.Load(ctx); err != nil {
		tb.Fatal(err)
	}
	ev, err := engine.CreateEvent(ctx, "test", &live.Event{Code: "BOARDS", Title: "Boards"})
	if err != nil {
		tb.Fatal(err)
	}
	m, _ := engine.Model("BOARDS")
	round, err := engine.CreateRound(ctx, "test", "BOARDS", &live.Round{RoomID: m.Rooms[0].ID, Title: "Pitches"})
	if err != nil {
		tb.Fatal(err)
	}
	p, err := engine.CreatePitch(ctx, "test", round.ID, &live.Pitch{Team: "=Kelp Labs"})
	if err != nil {
		tb.Fatal(err)
	}
	svc := board.New(db, engine, pub, board.Options{Logger: log, Now: c.Now, EntryRate: 1000, EntryBurst: 1000})
	return &harness{db: db, path: path, engine: engine, svc: svc, pub: pub, clock: c, ev: ev, room: m.Rooms[0].ID, pitch: p.ID}
}

func wantCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := live.ErrorCode(err); got != want {
		tb.Fatalf("error code %q, want %q (%v)", got, want, err)
	}
}

func (h *harness) board(tb testing.TB, moderation string) *live.Board {
	tb.Helper()
	b, err := h.svc.CreateBoard(context.Background(), "mod", "BOARDS", live.Board{Title: "Questions", RoomID: h.room, Moderation: moderation, Open: true})
	wantCode(tb, err, "")
	return b
}

func (h *harness) submit(tb testing.TB, b *live.Board, who int64, text string) *live.Entry {
	tb.Helper()
	e, err := h.svc.Submit(context.Background(), "BOARDS", h.who(who), b.ID, text, "")
	wantCode(tb, err, "")
	return e
}

func (h *harness) who(id int64) board.Participant { return board.Participant{ID: id, EventID: h.ev.ID} }

func (h *harness) decide(tb testing.TB, id int64, action string, into int64, want string) {
	tb.Helper()
	_, err := h.svc.Decide(context.Background(), "mod", "BOARDS", id, action, into)
	wantCode(tb, err, want)
}

func (h *harness) entry(tb testing.TB, id int64) live.Entry {
	tb.Helper()
	e, err := h.db.Entry(context.Background(), h.ev.ID, id)
	wantCode(tb, err, "")
	return e
}

func (h *harness) auditCount(tb testing.TB) int {
	tb.Helper()
	a, err := h.db.AuditLog(context.Background(), h.ev.ID, 1000)
	wantCode(tb, err, "")
	return len(a)
}

func TestSubmitAndModerate(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	pre := h.board(t, live.ModerationPre)
	post := h.board(t, live.ModerationPost)

	t.Run("pre-moderated entries wait, post-moderated ones are public", func(t *testing.T) {
		e := h.submit(t, pre, 1, "Why Go?")
		if e.Status != live.EntryPending {
			t.Fatalf("%+v", e)
		}
		if e := h.submit(t, post, 1, "Why not?"); e.Status != live.EntryApproved {
			t.Fatalf("%+v", e)
		}
		public, err := h.svc.Entries(ctx, "BOARDS", pre.ID, live.SortTop, true, nil)
		if err != nil || len(public) != 0 {
			t.Fatalf("public list of a pre board: %+v %v", public, err)
		}
		_, err = h.svc.Upvote(ctx, "BOARDS", h.who(2), e.ID)
		wantCode(t, err, live.ENotFound) // a pending entry is not public
	})
	t.Run("bad submissions are refused and store nothing", func(t *testing.T) {
		before, _ := h.db.Entries(ctx, pre.ID, nil, 0)
		_, err := h.svc.Submit(ctx, "BOARDS", h.who(1), pre.ID, "", "")
		wantCode(t, err, live.EInvalid)
		_, err = h.svc.Submit(ctx, "BOARDS", h.who(1), pre.ID, string(make([]rune, live.MaxEntryLen+1)), "")
		wantCode(t, err, live.EInvalid)
		_, err = h.svc.Submit(ctx, "BOARDS", board.Participant{ID: 1, EventID: h.ev.ID + 1}, pre.ID, "x", "")
		wantCode(t, err, live.EForbidden)
		_, err = h.svc.Submit(ctx, "BOARDS", h.who(1), 999, "x", "")
		wantCode(t, err, live.ENotFound)
		_, err = h.svc.UpdateBoard(ctx, "mod", "BOARDS", pre.ID, func(b *live.Board) { b.Open = false })
		wantCode(t, err, "")
		_, err = h.svc.Submit(ctx, "BOARDS", h.who(1), pre.ID, "late", "")
		wantCode(t, err, live.ETransition)
		_, err = h.svc.UpdateBoard(ctx, "mod", "BOARDS", pre.ID, func(b *live.Board) { b.Open = true })
		wantCode(t, err, "")
		after, _ := h.db.Entries(ctx, pre.ID, nil, 0)
		if len(after) != len(before) {
			t.Fatalf("%d entries, want %d", len(after), len(before))
		}
	})
	t.Run("submissions are rate-limited per participant", func(t *testing.T) {
		svc := board.New(h.db, h.engine, h.pub, board.Options{Now: h.clock.Now}) // defaults: burst 3, one per 20 s
		for i := range 3 {
			if _, err := svc.Submit(ctx, "BOARDS", h.who(50), post.ID, fmt.Sprint("idea ", i), "Zoé"); err != nil {
				t.Fatal(err)
			}
		}
		_, err := svc.Submit(ctx, "BOARDS", h.who(50), post.ID, "one more", "")
		wantCode(t, err, live.ERateLimited)
		var le *live.Error
		if !errors.As(err, &le) || le.RetryAfter != 20*time.Second {
			t.Fatalf("RetryAfter of %v, want the limiter's 20s", err)
		}
		_, err = svc.Submit(ctx, "BOARDS", h.who(51), post.ID, "someone else", "")
		wantCode(t, err, "")
		h.clock.Advance(20 * time.Second)
		_, err = svc.Submit(ctx, "BOARDS", h.who(50), post.ID, "later", "")
		wantCode(t, err, "")
	})
	t.Run("every decision is audited; illegal ones change nothing", func(t *testing.T) {
		e := h.submit(t, pre, 3, "Roadmap?")
		audits := h.auditCount(t)
		h.decide(t, e.ID, live.EntryAnswer, 0, live.ETransition)
		h.decide(t, e.ID, live.EntryPin, 0, live.ETransition)
		h.decide(t, e.ID, live.EntryUnanswer, 0, live.ETransition)
		h.decide(t, e.ID, "explode", 0, live.EInvalid)
		h.decide(t, e.ID, live.EntryApprove, e.ID, live.EInvalid) // into is for merge only
		h.decide(t, 9999, live.EntryApprove, 0, live.ENotFound)
		if got := h.entry(t, e.ID); got.Status != live.EntryPending || got.Pinned || h.auditCount(t) != audits {
			t.Fatalf("refused actions changed %+v (audits %d → %d)", got, audits, h.auditCount(t))
		}
		for _, a := range []string{live.EntryApprove, live.EntryPin, live.EntryAnswer, live.EntryUnanswer, live.EntryReject, live.EntryApprove} {
			h.decide(t, e.ID, a, 0, "")
		}
		if got := h.entry(t, e.ID); got.Status != live.EntryApproved || got.Pinned || got.DecidedBy != "mod" {
			t.Fatalf("%+v", got)
		}
		if n := h.auditCount(t); n != audits+6 {
			t.Fatalf("%d audit entries, want %d", n, audits+6)
		}
	})
}

func TestMergeCountsEachParticipantOnce(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	b := h.board(t, live.ModerationPost)
	keep := h.submit(t, b, 1, "Dark mode")
	dup := h.submit(t, b, 2, "dark theme please")
	other := h.submit(t, h.board(t, live.ModerationPost), 3, "elsewhere")
	for _, p := range []int64{10, 11, 12} { // 12 upvotes both
		if _, err := h.svc.Upvote(ctx, "BOARDS", h.who(p), keep.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []int64{12, 13} {
		if _, err := h.svc.Upvote(ctx, "BOARDS", h.who(p), dup.ID); err != nil {
			t.Fatal(err)
		}
	}
	h.decide(t, dup.ID, live.EntryMerge, 0, live.EInvalid)
	h.decide(t, dup.ID, live.EntryMerge, dup.ID, live.EInvalid)
	h.decide(t, dup.ID, live.EntryMerge, other.ID, live.EInvalid) // another board
	h.decide(t, dup.ID, live.EntryMerge, 9999, live.ENotFound)
	h.decide(t, dup.ID, live.EntryMerge, keep.ID, "")
	if got := h.entry(t, keep.ID); got.Upvotes != 4 {
		t.Fatalf("merged entry has %d upvotes, want 4 (10, 11, 12, 13)", got.Upvotes)
	}
	if got := h.entry(t, dup.ID); got.Status != live.EntryMerged || got.MergedInto != keep.ID || got.Upvotes != 0 {
		t.Fatalf("duplicate %+v", got)
	}
	h.decide(t, dup.ID, live.EntryMerge, keep.ID, live.ETransition)
	h.decide(t, dup.ID, live.EntryApprove, 0, live.ETransition)
	_, err := h.svc.Upvote(ctx, "BOARDS", h.who(14), dup.ID)
	wantCode(t, err, live.ETransition)
	n, err := h.svc.Upvote(ctx, "BOARDS", h.who(13), keep.ID) // 13's upvote moved here: idempotent
	if err != nil || n != 4 {
		t.Fatalf("upvote after merge: %d %v", n, err)
	}
}

func TestConcurrentUpvotesAreExact(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	b := h.board(t, live.ModerationPost)
	e := h.submit(t, b, 1, "Name it Ovation")
	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	start := make(chan struct{})
	for p := int64(1); p <= n; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range 2 { // the second upvote of each participant is idempotent
				if _, err := h.svc.Upvote(ctx, "BOARDS", h.who(p), e.ID); err != nil {
					errs <- err
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := h.entry(t, e.ID); got.Upvotes != n {
		t.Fatalf("%d upvotes, want %d", got.Upvotes, n)
	}
	t.Run("retractions are exact too", func(t *testing.T) {
		var wg sync.WaitGroup
		for p := int64(1); p <= n/2; p++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 2 {
					if _, err := h.svc.Retract(ctx, "BOARDS", h.who(p), e.ID); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		if got := h.entry(t, e.ID); got.Upvotes != n/2 {
			t.Fatalf("%d upvotes, want %d", got.Upvotes, n/2)
		}
	})
}

func TestFramesAndHighlight(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	b := h.board(t, live.ModerationPre)
	a := h.submit(t, b, 1, "First question")
	q := h.submit(t, b, 2, "Second question")
	h.decide(t, q.ID, live.EntryApprove, 0, "")
	if _, err := h.svc.Upvote(ctx, "BOARDS", h.who(3), q.ID); err != nil {
		t.Fatal(err)
	}
	_, err := h.svc.Highlight(ctx, "mod", "BOARDS", b.ID, a.ID) // pending
	wantCode(t, err, live.ETransition)
	_, err = h.svc.Highlight(ctx, "mod", "BOARDS", b.ID, 0)
	wantCode(t, err, live.ETransition)
	_, err = h.svc.Highlight(ctx, "mod", "BOARDS", b.ID, 9999)
	wantCode(t, err, live.EInvalid)
	if _, err := h.svc.Highlight(ctx, "mod", "BOARDS", b.ID, q.ID); err != nil {
		t.Fatal(err)
	}
	h.svc.FlushFrames(ctx)

	key := fmt.Sprintf("board:%d", b.ID)
	for _, topic := range []string{hub.RoomTopic(h.room), hub.StageTopic(h.room)} {
		var pf board.PublicFrame
		h.pub.get(t, topic, key, &pf)
		if pf.Type != "board" || len(pf.Entries) != 1 || pf.Entries[0].ID != q.ID || pf.Entries[0].Upvotes != 1 {
			t.Fatalf("%s: %+v", topic, pf)
		}
		var hf board.HighlightFrame
		h.pub.get(t, topic, fmt.Sprintf("board_highlight:%d", b.ID), &hf)
		if hf.Entry == nil || hf.Entry.ID != q.ID {
			t.Fatalf("%s highlight: %+v", topic, hf)
		}
	}
	var qf board.QueueFrame
	h.pub.get(t, hub.ControlTopic(h.ev.ID), key, &qf)
	if qf.Type != "board_queue" || len(qf.Entries) != 2 || qf.Pending != 1 {
		t.Fatalf("queue %+v", qf)
	}

	t.Run("rejecting the highlighted entry takes it off the stage", func(t *testing.T) {
		h.decide(t, q.ID, live.EntryReject, 0, "")
		h.svc.FlushFrames(ctx)
		var hf board.HighlightFrame
		h.pub.get(t, hub.StageTopic(h.room), fmt.Sprintf("board_highlight:%d", b.ID), &hf)
		if hf.Entry != nil {
			t.Fatalf("highlight %+v", hf)
		}
	})
	t.Run("a deleted board leaves the screens", func(t *testing.T) {
		wantCode(t, h.svc.DeleteBoard(ctx, "mod", "BOARDS", b.ID), "")
		h.svc.FlushFrames(ctx)
		var gone map[string]any
		h.pub.get(t, hub.RoomTopic(h.room), key, &gone)
		if gone["type"] != "board_removed" {
			t.Fatalf("%v", gone)
		}
		_, err := h.db.Entry(ctx, h.ev.ID, q.ID)
		wantCode(t, err, live.ENotFound)
	})
}

func TestBoardToPoll(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	b := h.board(t, live.ModerationPost)
	names := []string{"Ovation", "Clap", "Encore", "Bravo"}
	var ids []int64
	for i, name := range names {
		e := h.submit(t, b, int64(i+1), name)
		ids = append(ids, e.ID)
		for p := range i + 1 { // Bravo 4, Encore 3, Clap 2, Ovation 1
			if _, err := h.svc.Upvote(ctx, "BOARDS", h.who(int64(100+p)), e.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	h.decide(t, ids[3], live.EntryReject, 0, "") // Bravo is out
	audits := h.auditCount(t)
	for _, n := range []int{1, 7} {
		_, err := h.svc.ToPoll(ctx, "mod", "BOARDS", b.ID, n, "", 0)
		wantCode(t, err, live.EInvalid)
	}
	_, err := h.svc.ToPoll(ctx, "mod", "BOARDS", b.ID, 4, "", 0) // only 3 approved
	wantCode(t, err, live.EInvalid)
	_, err = h.svc.ToPoll(ctx, "mod", "BOARDS", b.ID, 2, "", 9999)
	wantCode(t, err, live.EInvalid)
	if m, _ := h.engine.Model("BOARDS"); len(m.Polls) != 0 || h.auditCount(t) != audits {
		t.Fatal("a refused to-poll changed something")
	}
	p, err := h.svc.ToPoll(ctx, "mod", "BOARDS", b.ID, 3, "Final vote: the event's name", 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != live.PollChoices || p.State != live.PollDraft || p.RoomID != h.room || fmt.Sprint(p.Choices) != "[Encore Clap Ovation]" {
		t.Fatalf("poll %+v", p)
	}
	bs, _ := h.svc.Boards(ctx, "BOARDS")
	if bs[0].PollID != p.ID {
		t.Fatalf("board not linked: %+v", bs[0])
	}
	t.Run("the poll takes keypad votes through the engine", func(t *testing.T) {
		wantCode(t, h.engine.PollAction(ctx, "mod", p.ID, live.PollOpenAction), "")
		pt, _, err := h.engine.Join(ctx, "BOARDS", "", "")
		if err != nil {
			t.Fatal(err)
		}
		st, err := h.engine.Vote(ctx, live.Voter{ParticipantID: pt.ID, EventID: h.ev.ID}, live.Vote{VoteID: "v1", Target: live.Target{Kind: live.KindPoll, ID: p.ID}, Answer: "1"})
		if err != nil || st.Status != live.VoteCounted {
			t.Fatalf("%s %v", st.Status, err)
		}
	})
}

func TestExport(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	b := h.board(t, live.ModerationPre)
	a := h.submit(t, b, 1, "kept")
	h.submit(t, b, 2, "waiting")
	h.decide(t, a.ID, live.EntryApprove, 0, "")
	if _, err := h.svc.Upvote(ctx, "BOARDS", h.who(5), a.ID); err != nil {
		t.Fatal(err)
	}
	x, err := h.svc.Export(ctx, "BOARDS", b.ID)
	if err != nil || len(x.Entries) != 2 || x.Entries[0].ID != a.ID || x.Entries[0].Upvotes != 1 || x.Entries[1].Status != live.EntryPending {
		t.Fatalf("%+v %v", x, err)
	}
	_, err = h.svc.Export(ctx, "BOARDS", 9999)
	wantCode(t, err, live.ENotFound)
}

func TestMeetingRequests(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	req := live.MeetingRequest{PitchID: h.pitch, Name: "Ada", Company: "=cmd|' /C calc'!A0", Role: "CTO", Email: "ada@example.com"}
	_, err := h.svc.RequestMeeting(ctx, "BOARDS", h.who(1), req)
	wantCode(t, err, live.EInvalid) // no consent
	if rs, _, _ := h.svc.MeetingRequests(ctx, "BOARDS", h.pitch); len(rs) != 0 {
		t.Fatal("a request without consent was stored")
	}
	req.Consent = true
	bad := req
	bad.PitchID = 9999
	_, err = h.svc.RequestMeeting(ctx, "BOARDS", h.who(1), bad)
	wantCode(t, err, live.ENotFound)
	if _, err := h.svc.RequestMeeting(ctx, "BOARDS", h.who(1), req); err != nil {
		t.Fatal(err)
	}
	req.Role = "CEO" // a second request replaces the first
	if _, err := h.svc.RequestMeeting(ctx, "BOARDS", h.who(1), req); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.RequestMeeting(ctx, "BOARDS", h.who(2), req); err != nil {
		t.Fatal(err)
	}
	rs, p, err := h.svc.MeetingRequests(ctx, "BOARDS", h.pitch)
	if err != nil || len(rs) != 2 || rs[0].Role != "CEO" || p.Team != "=Kelp Labs" || rs[0].ConsentText != live.MeetingConsentText {
		t.Fatalf("%+v %v", rs, err)
	}
	wantCode(t, h.svc.WithdrawMeeting(ctx, "BOARDS", h.who(2), h.pitch), "")
	wantCode(t, h.svc.WithdrawMeeting(ctx, "BOARDS", h.who(2), h.pitch), live.ENotFound)
	if rs, _, _ := h.svc.MeetingRequests(ctx, "BOARDS", h.pitch); len(rs) != 1 {
		t.Fatalf("after withdrawal: %+v", rs)
	}

	t.Run("deleting the event deletes the personal data", func(t *testing.T) {
		b := h.board(t, live.ModerationPost)
		e := h.submit(t, b, 1, "bye")
		if _, err := h.svc.Upvote(ctx, "BOARDS", h.who(9), e.ID); err != nil {
			t.Fatal(err)
		}
		raw, err := sql.Open("sqlite", "file:"+h.path+"?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)")
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.Exec(`DELETE FROM events WHERE id = ?`, h.ev.ID); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"meeting_requests", "boards", "board_entries", "board_upvotes"} {
			var n int
			if err := raw.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s: %d rows left (%v)", table, n, err)
			}
		}
	})
}

// cancelOnPublish cancels a context at the first frame of key.
type cancelOnPublish struct {
	*recorder
	key    string
	cancel context.CancelFunc
}

func (c cancelOnPublish) Publish(topic, key string, frame []byte) {
	c.recorder.Publish(topic, key, frame)
	if key == c.key {
		c.cancel()
	}
}

func TestRunPublishesEveryBoardAtStart(t *testing.T) {
	h := newHarness(t)
	b := h.board(t, live.ModerationPost)
	h.submit(t, b, 1, "survives a restart")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec := &recorder{last: map[string][]byte{}}
	key := fmt.Sprintf("board:%d", b.ID)
	svc := board.New(h.db, h.engine, cancelOnPublish{rec, key, cancel}, board.Options{FrameInterval: time.Hour})
	svc.Run(ctx) // returns once the board's first frame is out (or at the deadline)
	var pf board.PublicFrame
	rec.get(t, hub.StageTopic(h.room), key, &pf)
	if len(pf.Entries) != 1 || pf.Entries[0].Text != "survives a restart" {
		t.Fatalf("%+v", pf)
	}
}
