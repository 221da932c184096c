package show_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
	"github.com/ovation-live/ovation/store"
)

// testTimeout bounds every wait in these tests.
const testTimeout = 10 * time.Second

// t0 is the fake clock's start: far from the real clock, so that any use of
// time.Now instead of the engine's clock shows.
var t0 = time.Date(2031, 3, 14, 9, 0, 0, 0, time.UTC)

// wantCode fails tb unless err carries the error code want ("" for no error).
func wantCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := live.ErrorCode(err); got != want {
		tb.Fatalf("error code = %q, want %q (err: %v)", got, want, err)
	}
}

// wantField fails tb unless err is an EInvalid *live.Error naming field.
func wantField(tb testing.TB, err error, field string) {
	tb.Helper()
	wantCode(tb, err, live.EInvalid)
	var le *live.Error
	if !errors.As(err, &le) || le.Field != field {
		tb.Fatalf("error field = %q, want %q (err: %v)", le.Field, field, err)
	}
}

// frame is one published frame.
type frame struct {
	topic, key string
	data       []byte
}

// recorder is a Publisher that records every frame.
type recorder struct {
	mu     sync.Mutex
	frames []frame
}

var _ hub.Publisher = (*recorder)(nil)

func (r *recorder) Publish(topic, key string, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.frames = append(r.frames, frame{topic, key, append([]byte(nil), data...)})
}

// mark returns the number of frames so far, for since.
func (r *recorder) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.frames)
}

// since returns the frames published after mark with the given topic and key.
func (r *recorder) since(mark int, topic, key string) []frame {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []frame
	for _, f := range r.frames[mark:] {
		if f.topic == topic && f.key == key {
			out = append(out, f)
		}
	}
	return out
}

// last decodes into v the latest frame with topic and key, and fails tb if there is none.
func (r *recorder) last(tb testing.TB, topic, key string, v any) {
	tb.Helper()
	fs := r.since(0, topic, key)
	if len(fs) == 0 {
		tb.Fatalf("no frame %s on %s", key, topic)
	}
	if err := json.Unmarshal(fs[len(fs)-1].data, v); err != nil {
		tb.Fatalf("decode %s on %s: %v", key, topic, err)
	}
}

// fakeClock is the engine's clock in tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// spyStore is the real store with a hook on Enqueue.
type spyStore struct {
	*store.DB
	mu        sync.Mutex
	onEnqueue func(live.WriteOp)
}

func (s *spyStore) Enqueue(op live.WriteOp) error {
	err := s.DB.Enqueue(op)
	s.mu.Lock()
	hook := s.onEnqueue
	s.mu.Unlock()
	if err == nil && hook != nil {
		hook(op)
	}
	return err
}

func (s *spyStore) setHook(h func(live.WriteOp)) {
	s.mu.Lock()
	s.onEnqueue = h
	s.mu.Unlock()
}

// harness is an engine over a real SQLite file with one event: a room, a
// round of three pitches (scale 5, 60 s each) and a three-choice poll.
type harness struct {
	e       *show.Engine
	db      *store.DB
	spy     *spyStore
	path    string
	pub     *recorder
	clk     *fakeClock
	ev      *live.Event
	room    int64
	round   int64
	pitches []int64
	poll    int64
}

func ctxT(tb testing.TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	tb.Cleanup(cancel)
	return ctx
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startEngine opens the database at path and loads an engine over it.
func startEngine(tb testing.TB, path string) *harness {
	tb.Helper()
	return startEngineWith(tb, path, store.Options{})
}

// startEngineWith is startEngine with store options (Synchronous NORMAL by default).
func startEngineWith(tb testing.TB, path string, opts store.Options) *harness {
	tb.Helper()
	if opts.Synchronous == "" {
		opts.Synchronous = "NORMAL"
	}
	db, err := store.Open(path, opts)
	if err != nil {
		tb.Fatalf("store.Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	h := &harness{db: db, spy: &spyStore{DB: db}, path: path, pub: &recorder{}, clk: &fakeClock{now: t0}}
	h.e = show.NewEngine(h.spy, h.pub, show.Options{Now: h.clk.Now, Logger: quietLogger()})
	must(tb, h.e.Load(ctxT(tb)))
	return h
}

func newHarness(tb testing.TB) *harness {
	tb.Helper()
	return newHarnessWith(tb, store.Options{})
}

func newHarnessWith(tb testing.TB, opts store.Options) *harness {
	tb.Helper()
	h := startEngineWith(tb, filepath.Join(tb.TempDir(), "ovation.db"), opts)
	ctx := ctxT(tb)
	ev, err := h.e.CreateEvent(ctx, "mod", &live.Event{Code: "demo", Title: "Demo day", JuryCode: "jury", JuryWeight: 30})
	must(tb, err)
	h.ev = ev
	m := h.model(tb)
	if len(m.Rooms) != 1 {
		tb.Fatalf("new event has %d rooms, want 1", len(m.Rooms))
	}
	h.room = m.Rooms[0].ID
	r, err := h.e.CreateRound(ctx, "mod", ev.Code, &live.Round{RoomID: h.room, Title: "Finals", Scale: 5})
	must(tb, err)
	h.round = r.ID
	for _, team := range []string{"Alpha", "Beta", "Gamma"} {
		p, err := h.e.CreatePitch(ctx, "mod", r.ID, &live.Pitch{Team: team, Presenter: "P. " + team, DurationS: 60})
		must(tb, err)
		h.pitches = append(h.pitches, p.ID)
	}
	p, err := h.e.CreatePoll(ctx, "mod", ev.Code, &live.Poll{RoomID: h.room, Question: "Lunch?", Kind: live.PollChoices,
		Choices: []string{"Pizza", "Sushi", "Salad"}})
	must(tb, err)
	h.poll = p.ID
	return h
}

func (h *harness) model(tb testing.TB) *show.Model {
	tb.Helper()
	m, err := h.e.Model(h.ev.Code)
	must(tb, err)
	return m
}

func (h *harness) roundIn(tb testing.TB, m *show.Model, id int64) live.Round {
	tb.Helper()
	for _, r := range m.Rounds {
		if r.ID == id {
			return r
		}
	}
	tb.Fatalf("round %d not in model", id)
	return live.Round{}
}

// pitch returns pitch i (0-based) of the main round as the model shows it.
func (h *harness) pitch(tb testing.TB, m *show.Model, i int) live.Pitch {
	tb.Helper()
	for _, p := range h.roundIn(tb, m, h.round).Pitches {
		if p.ID == h.pitches[i] {
			return *p
		}
	}
	tb.Fatalf("pitch %d not in model", i)
	return live.Pitch{}
}

func (h *harness) pollIn(tb testing.TB, m *show.Model, id int64) live.Poll {
	tb.Helper()
	for _, p := range m.Polls {
		if p.ID == id {
			return p
		}
	}
	tb.Fatalf("poll %d not in model", id)
	return live.Poll{}
}

// states returns the pitch states of the main round, e.g. "on_stage pending pending".
func (h *harness) states(tb testing.TB, m *show.Model) string {
	tb.Helper()
	var s []string
	for i := range h.pitches {
		s = append(s, h.pitch(tb, m, i).State)
	}
	return strings.Join(s, " ")
}

func (h *harness) join(tb testing.TB, jury bool) live.Voter {
	tb.Helper()
	code := ""
	if jury {
		code = "JURY"
	}
	p, ev, err := h.e.Join(ctxT(tb), h.ev.Code, "someone", code)
	must(tb, err)
	if p.Jury != jury || ev.ID != h.ev.ID || p.EventID != h.ev.ID {
		tb.Fatalf("Join = %+v in %d", p, ev.ID)
	}
	return live.Voter{ParticipantID: p.ID, EventID: p.EventID, Jury: p.Jury}
}

func (h *harness) vote(tb testing.TB, who live.Voter, t live.Target, value int, voteID string) (string, error) {
	tb.Helper()
	r, err := h.e.Vote(ctxT(tb), who, live.Vote{VoteID: voteID, Target: t, Answer: answer(value)})
	return r.Status, err
}

func (h *harness) mustVote(tb testing.TB, who live.Voter, t live.Target, value int, voteID, want string) {
	tb.Helper()
	got, err := h.vote(tb, who, t, value, voteID)
	if err != nil || got != want {
		tb.Fatalf("Vote(%s=%d, %s) = %q, %v; want %q", t, value, voteID, got, err, want)
	}
}

func (h *harness) pitchT(i int) live.Target {
	return live.Target{Kind: live.KindPitch, ID: h.pitches[i]}
}
func (h *harness) pollT() live.Target { return live.Target{Kind: live.KindPoll, ID: h.poll} }

// step is one moderator action in a scenario.
type step func(h *harness, ctx context.Context) error

func roundDo(action string) step {
	return func(h *harness, ctx context.Context) error { return h.e.RoundAction(ctx, "mod", h.round, action) }
}

func pitchDo(i int, action string) step { return pitchSec(i, action, 0) }

func pitchSec(i int, action string, seconds int) step {
	return func(h *harness, ctx context.Context) error {
		return h.e.PitchAction(ctx, "mod", h.pitches[i], action, seconds)
	}
}

func pollDo(action string) step {
	return func(h *harness, ctx context.Context) error { return h.e.PollAction(ctx, "mod", h.poll, action) }
}

func advance(d time.Duration) step {
	return func(h *harness, _ context.Context) error { h.clk.Advance(d); return nil }
}

func (h *harness) run(tb testing.TB, steps ...step) {
	tb.Helper()
	for i, s := range steps {
		if err := s(h, ctxT(tb)); err != nil {
			tb.Fatalf("setup step %d: %v", i, err)
		}
	}
}

// snapshot is everything an action may change: memory, database and frames.
type snapshot struct {
	model  *show.Model
	data   *live.Dataset
	frames int
}

func (h *harness) snapshot(tb testing.TB) snapshot {
	tb.Helper()
	ds, err := h.db.Load(ctxT(tb))
	must(tb, err)
	return snapshot{h.model(tb), ds, h.pub.mark()}
}

// rejects runs act and checks that it fails with code and changes nothing:
// not the model, not the database, and publishes no frame.
func (h *harness) rejects(tb testing.TB, code string, act step) {
	tb.Helper()
	before := h.snapshot(tb)
	wantCode(tb, act(h, ctxT(tb)), code)
	after := h.snapshot(tb)
	if !reflect.DeepEqual(before.model, after.model) {
		tb.Fatalf("model changed by a rejected action:\nbefore %+v\nafter  %+v", before.model, after.model)
	}
	if !reflect.DeepEqual(before.data, after.data) {
		tb.Fatalf("database changed by a rejected action")
	}
	if after.frames != before.frames {
		tb.Fatalf("a rejected action published %d frames", after.frames-before.frames)
	}
}

func TestPitchStateMachine(t *testing.T) {
	const ms = int64(60_000) // every pitch lasts 60 s
	start := roundDo(live.RoundStart)
	allowed := []struct {
		name  string
		prep  []step
		act   step
		check func(tb testing.TB, h *harness, m *show.Model)
	}{
		{"start_runs_the_round_and_stages_the_first_pitch", nil, start, func(tb testing.TB, h *harness, m *show.Model) {
			r := h.roundIn(tb, m, h.round)
			if r.State != live.RoundRunning || r.CurrentPitchID != h.pitches[0] || r.RankingRevealed {
				tb.Fatalf("round = %+v", r)
			}
			if m.Rooms[0].ActiveRoundID != h.round {
				tb.Fatalf("room's active round = %d, want %d", m.Rooms[0].ActiveRoundID, h.round)
			}
			if s := h.states(tb, m); s != "on_stage pending pending" {
				tb.Fatalf("states = %s", s)
			}
		}},
		{"open_starts_voting_on_the_pitch_on_stage", []step{start}, pitchDo(0, live.PitchOpen), func(tb testing.TB, h *harness, m *show.Model) {
			if s := h.states(tb, m); s != "voting pending pending" {
				tb.Fatalf("states = %s", s)
			}
		}},
		{"close_ends_voting", []step{start, pitchDo(0, live.PitchOpen)}, pitchDo(0, live.PitchClose), func(tb testing.TB, h *harness, m *show.Model) {
			if s := h.states(tb, m); s != "closed pending pending" {
				tb.Fatalf("states = %s", s)
			}
		}},
		{"open_reopens_a_closed_pitch", []step{start, pitchDo(0, live.PitchOpen), pitchDo(0, live.PitchClose)}, pitchDo(0, live.PitchOpen),
			func(tb testing.TB, h *harness, m *show.Model) {
				if s := h.states(tb, m); s != "voting pending pending" {
					tb.Fatalf("states = %s", s)
				}
			}},
		{"next_closes_voting_and_stages_the_next_pitch", []step{start, pitchDo(0, live.PitchOpen)}, roundDo(live.RoundNext),
			func(tb testing.TB, h *harness, m *show.Model) {
				if s := h.states(tb, m); s != "closed on_stage pending" {
					tb.Fatalf("states = %s", s)
				}
				if cur := h.roundIn(tb, m, h.round).CurrentPitchID; cur != h.pitches[1] {
					tb.Fatalf("current pitch = %d, want %d", cur, h.pitches[1])
				}
			}},
		{"next_sends_a_never_opened_pitch_back_to_pending", []step{start}, roundDo(live.RoundNext), func(tb testing.TB, h *harness, m *show.Model) {
			if s := h.states(tb, m); s != "pending on_stage pending" {
				tb.Fatalf("states = %s", s)
			}
		}},
		{"previous_returns_to_the_closed_pitch", []step{start, pitchDo(0, live.PitchOpen), roundDo(live.RoundNext)}, roundDo(live.RoundPrevious),
			func(tb testing.TB, h *harness, m *show.Model) {
				if s := h.states(tb, m); s != "closed pending pending" {
					tb.Fatalf("states = %s", s)
				}
				if cur := h.roundIn(tb, m, h.round).CurrentPitchID; cur != h.pitches[0] {
					tb.Fatalf("current pitch = %d, want %d", cur, h.pitches[0])
				}
			}},
		{"stage_jumps_to_any_pitch", []step{start}, pitchDo(2, live.PitchStage), func(tb testing.TB, h *harness, m *show.Model) {
			if s := h.states(tb, m); s != "pending pending on_stage" {
				tb.Fatalf("states = %s", s)
			}
			if cur := h.roundIn(tb, m, h.round).CurrentPitchID; cur != h.pitches[2] {
				tb.Fatalf("current pitch = %d", cur)
			}
		}},
		{"stage_of_a_closed_pitch_keeps_it_closed", []step{start, pitchDo(0, live.PitchOpen), roundDo(live.RoundNext), pitchDo(1, live.PitchOpen)},
			pitchDo(0, live.PitchStage), func(tb testing.TB, h *harness, m *show.Model) {
				if s := h.states(tb, m); s != "closed closed pending" {
					tb.Fatalf("states = %s", s)
				}
			}},
		{"reveal_shows_the_ranking_and_keeps_the_round_where_it_was", []step{start, pitchDo(0, live.PitchOpen), pitchDo(0, live.PitchTimerStart)}, roundDo(live.RoundReveal),
			func(tb testing.TB, h *harness, m *show.Model) {
				r := h.roundIn(tb, m, h.round)
				if r.State != live.RoundRunning || !r.RankingRevealed || r.RevealedPlaces != 0 || r.CurrentPitchID != h.pitches[0] {
					tb.Fatalf("round = %+v", r)
				}
				if s := h.states(tb, m); s != "voting pending pending" {
					tb.Fatalf("states = %s", s)
				}
				if !h.pitch(tb, m, 0).Timer.Running {
					tb.Fatal("reveal stopped the timer")
				}
			}},
		{"hide_ranking_returns_to_the_round_where_it_was", []step{start, pitchDo(0, live.PitchOpen), roundDo(live.RoundReveal), roundDo(live.RoundNextPlace)},
			roundDo(live.RoundHideRanking), func(tb testing.TB, h *harness, m *show.Model) {
				r := h.roundIn(tb, m, h.round)
				if r.RankingRevealed || r.RevealedPlaces != 0 || r.State != live.RoundRunning || r.CurrentPitchID != h.pitches[0] {
					tb.Fatalf("round = %+v", r)
				}
				if s := h.states(tb, m); s != "voting pending pending" {
					tb.Fatalf("states = %s", s)
				}
			}},
		{"next_works_after_a_reveal_and_hide", []step{start, roundDo(live.RoundReveal), roundDo(live.RoundHideRanking)}, roundDo(live.RoundNext),
			func(tb testing.TB, h *harness, m *show.Model) {
				if r := h.roundIn(tb, m, h.round); r.State != live.RoundRunning || r.CurrentPitchID != h.pitches[1] {
					tb.Fatalf("round = %+v", r)
				}
			}},
		{"next_place_reveals_one_more_place", []step{start, roundDo(live.RoundReveal), roundDo(live.RoundNextPlace)}, roundDo(live.RoundNextPlace),
			func(tb testing.TB, h *harness, m *show.Model) {
				if r := h.roundIn(tb, m, h.round); r.RevealedPlaces != 2 {
					tb.Fatalf("revealed places = %d, want 2", r.RevealedPlaces)
				}
			}},
		{"auto_reveal_shows_every_place_at_once", []step{start, func(h *harness, ctx context.Context) error {
			_, err := h.e.UpdateRound(ctx, "mod", h.round, func(r *live.Round) error { r.AutoReveal = true; return nil })
			return err
		}}, roundDo(live.RoundReveal), func(tb testing.TB, h *harness, m *show.Model) {
			if r := h.roundIn(tb, m, h.round); !r.RankingRevealed || r.RevealedPlaces != 3 || !r.AutoReveal {
				tb.Fatalf("round = %+v", r)
			}
		}},
		{"finish_closes_voting_stops_the_timer_and_ends_the_round", []step{start, pitchDo(0, live.PitchOpen), pitchDo(0, live.PitchTimerStart), advance(70 * time.Second)},
			roundDo(live.RoundFinish), func(tb testing.TB, h *harness, m *show.Model) {
				r := h.roundIn(tb, m, h.round)
				if r.State != live.RoundFinished || r.RankingRevealed || r.CurrentPitchID != h.pitches[0] {
					tb.Fatalf("round = %+v", r)
				}
				if s := h.states(tb, m); s != "closed pending pending" {
					tb.Fatalf("states = %s", s)
				}
				if got := h.pitch(tb, m, 0).Timer; got != (live.Timer{RemainingMS: ms - 70_000}) {
					tb.Fatalf("timer = %+v, want paused at -10 s", got)
				}
			}},
		{"finish_keeps_a_revealed_ranking", []step{start, roundDo(live.RoundReveal), roundDo(live.RoundNextPlace)}, roundDo(live.RoundFinish),
			func(tb testing.TB, h *harness, m *show.Model) {
				if r := h.roundIn(tb, m, h.round); r.State != live.RoundFinished || !r.RankingRevealed || r.RevealedPlaces != 1 {
					tb.Fatalf("round = %+v", r)
				}
			}},
		{"hide_ranking_of_a_finished_round", []step{start, roundDo(live.RoundFinish), roundDo(live.RoundReveal)}, roundDo(live.RoundHideRanking),
			func(tb testing.TB, h *harness, m *show.Model) {
				if r := h.roundIn(tb, m, h.round); r.RankingRevealed || r.State != live.RoundFinished {
					tb.Fatalf("round = %+v", r)
				}
			}},
		{"reveal_again_after_hiding", []step{start, roundDo(live.RoundReveal), roundDo(live.RoundHideRanking)}, roundDo(live.RoundReveal),
			func(tb testing.TB, h *harness, m *show.Model) {
				if r := h.roundIn(tb, m, h.round); !r.RankingRevealed {
					tb.Fatalf("round = %+v", r)
				}
			}},
		{"timer_start_counts_down_from_the_duration", []step{start}, pitchDo(0, live.PitchTimerStart), func(tb testing.TB, h *harness, m *show.Model) {
			want := live.Timer{Running: true, DeadlineMS: t0.UnixMilli() + ms, RemainingMS: ms}
			if got := h.pitch(tb, m, 0).Timer; got != want {
				tb.Fatalf("timer = %+v, want %+v", got, want)
			}
		}},
		{"timer_pause_keeps_the_time_left", []step{start, pitchDo(0, live.PitchTimerStart), advance(20 * time.Second)},
			pitchDo(0, live.PitchTimerPause), func(tb testing.TB, h *harness, m *show.Model) {
				if got := h.pitch(tb, m, 0).Timer; got != (live.Timer{RemainingMS: ms - 20_000}) {
					tb.Fatalf("timer = %+v, want 40 s left, paused", got)
				}
			}},
		{"timer_restart_resumes_from_the_time_left", []step{start, pitchDo(0, live.PitchTimerStart), advance(20 * time.Second),
			pitchDo(0, live.PitchTimerPause), advance(time.Hour)}, pitchDo(0, live.PitchTimerStart),
			func(tb testing.TB, h *harness, m *show.Model) {
				now := t0.Add(20*time.Second + time.Hour)
				if got := h.pitch(tb, m, 0).Timer; !got.Running || got.DeadlineMS != now.UnixMilli()+40_000 {
					tb.Fatalf("timer = %+v, want 40 s from now", got)
				}
			}},
		{"timer_extend_adds_30_s_by_default", []step{start}, pitchDo(0, live.PitchTimerExtend), func(tb testing.TB, h *harness, m *show.Model) {
			if got := h.pitch(tb, m, 0).Timer; got != (live.Timer{RemainingMS: ms + 30_000}) {
				tb.Fatalf("timer = %+v", got)
			}
		}},
		{"timer_extend_moves_a_running_deadline", []step{start, pitchDo(0, live.PitchTimerStart)}, pitchSec(0, live.PitchTimerExtend, -15),
			func(tb testing.TB, h *harness, m *show.Model) {
				if got := h.pitch(tb, m, 0).Timer; !got.Running || got.DeadlineMS != t0.UnixMilli()+ms-15_000 {
					tb.Fatalf("timer = %+v", got)
				}
			}},
		{"timer_extend_accepts_the_bounds", []step{start, pitchSec(0, live.PitchTimerExtend, 600)}, pitchSec(0, live.PitchTimerExtend, -600),
			func(tb testing.TB, h *harness, m *show.Model) {
				if got := h.pitch(tb, m, 0).Timer; got != (live.Timer{RemainingMS: ms}) {
					tb.Fatalf("timer = %+v", got)
				}
			}},
		{"timer_reset_restores_the_duration_paused", []step{start, pitchDo(0, live.PitchTimerStart), advance(10 * time.Second),
			pitchSec(0, live.PitchTimerExtend, 45)}, pitchDo(0, live.PitchTimerReset),
			func(tb testing.TB, h *harness, m *show.Model) {
				if got := h.pitch(tb, m, 0).Timer; got != (live.Timer{RemainingMS: ms}) {
					tb.Fatalf("timer = %+v", got)
				}
			}},
		{"timer_runs_on_a_closed_pitch", []step{start, pitchDo(0, live.PitchOpen), pitchDo(0, live.PitchClose)}, pitchDo(0, live.PitchTimerStart),
			func(tb testing.TB, h *harness, m *show.Model) {
				if !h.pitch(tb, m, 0).Timer.Running {
					tb.Fatal("timer not running")
				}
			}},
		{"next_pauses_a_running_timer_by_the_engine_clock", []step{start, pitchDo(0, live.PitchTimerStart), advance(25 * time.Second)},
			roundDo(live.RoundNext), func(tb testing.TB, h *harness, m *show.Model) {
				if got := h.pitch(tb, m, 0).Timer; got != (live.Timer{RemainingMS: ms - 25_000}) {
					tb.Fatalf("left pitch's timer = %+v, want paused with 35 s left", got)
				}
			}},
		{"stage_pauses_a_running_timer_by_the_engine_clock", []step{start, pitchDo(0, live.PitchTimerStart), advance(5 * time.Second)},
			pitchDo(2, live.PitchStage), func(tb testing.TB, h *harness, m *show.Model) {
				if got := h.pitch(tb, m, 0).Timer; got != (live.Timer{RemainingMS: ms - 5_000}) {
					tb.Fatalf("left pitch's timer = %+v, want paused with 55 s left", got)
				}
			}},
		{"show_results_makes_them_public", nil, pitchDo(1, live.ShowResults), func(tb testing.TB, h *harness, m *show.Model) {
			if !h.pitch(tb, m, 1).ShowResults {
				tb.Fatal("results not shown")
			}
		}},
		{"hide_results_hides_them_again", []step{pitchDo(1, live.ShowResults)}, pitchDo(1, live.HideResults), func(tb testing.TB, h *harness, m *show.Model) {
			if h.pitch(tb, m, 1).ShowResults {
				tb.Fatal("results still shown")
			}
		}},
	}
	for _, tc := range allowed {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.run(t, tc.prep...)
			mark := h.pub.mark()
			must(t, tc.act(h, ctxT(t)))
			m := h.model(t)
			tc.check(t, h, m)
			// What memory holds, the database holds, and the screens were told.
			ds, err := h.db.Load(ctxT(t))
			must(t, err)
			for _, p := range ds.Pitches {
				for _, r := range m.Rounds {
					for _, mp := range r.Pitches {
						if mp.ID == p.ID && !reflect.DeepEqual(*mp, *p) {
							t.Fatalf("stored pitch %+v differs from memory %+v", *p, *mp)
						}
					}
				}
			}
			if len(h.pub.since(mark, hub.ControlTopic(h.ev.ID), "model")) == 0 {
				t.Fatal("no model frame published")
			}
			if len(h.pub.since(mark, hub.RoomTopic(h.room), "stage")) == 0 {
				t.Fatal("no stage frame published")
			}
		})
	}

	rejected := []struct {
		name string
		code string
		prep []step
		act  step
	}{
		{"start_of_a_running_round_is_rejected", live.ETransition, []step{start}, start},
		{"start_of_a_finished_round_is_rejected", live.ETransition, []step{start, roundDo(live.RoundFinish)}, start},
		{"next_before_start_is_rejected", live.ETransition, nil, roundDo(live.RoundNext)},
		{"previous_before_start_is_rejected", live.ETransition, nil, roundDo(live.RoundPrevious)},
		{"next_at_the_last_pitch_is_rejected", live.ETransition, []step{start, pitchDo(2, live.PitchStage)}, roundDo(live.RoundNext)},
		{"previous_at_the_first_pitch_is_rejected", live.ETransition, []step{start}, roundDo(live.RoundPrevious)},
		{"next_after_finish_is_rejected", live.ETransition, []step{start, roundDo(live.RoundFinish)}, roundDo(live.RoundNext)},
		{"finish_before_start_is_rejected", live.ETransition, nil, roundDo(live.RoundFinish)},
		{"finish_twice_is_rejected", live.ETransition, []step{start, roundDo(live.RoundFinish)}, roundDo(live.RoundFinish)},
		{"reveal_while_shown_is_rejected", live.ETransition, []step{start, roundDo(live.RoundReveal)}, roundDo(live.RoundReveal)},
		{"next_place_while_hidden_is_rejected", live.ETransition, []step{start}, roundDo(live.RoundNextPlace)},
		{"next_place_after_the_first_is_rejected", live.ETransition,
			[]step{start, roundDo(live.RoundReveal), roundDo(live.RoundNextPlace), roundDo(live.RoundNextPlace), roundDo(live.RoundNextPlace)}, roundDo(live.RoundNextPlace)},
		{"reveal_before_start_is_rejected", live.ETransition, nil, roundDo(live.RoundReveal)},
		{"hide_ranking_not_shown_is_rejected", live.ETransition, []step{start}, roundDo(live.RoundHideRanking)},
		{"hide_ranking_twice_is_rejected", live.ETransition, []step{start, roundDo(live.RoundReveal), roundDo(live.RoundHideRanking)}, roundDo(live.RoundHideRanking)},
		{"unknown_round_action_is_invalid", live.EInvalid, []step{start}, roundDo("rewind")},
		{"unknown_round_is_not_found", live.ENotFound, nil, func(h *harness, ctx context.Context) error {
			return h.e.RoundAction(ctx, "mod", 987654, live.RoundStart)
		}},
		{"stage_before_start_is_rejected", live.ETransition, nil, pitchDo(1, live.PitchStage)},
		{"stage_of_the_current_pitch_is_rejected", live.ETransition, []step{start}, pitchDo(0, live.PitchStage)},
		{"stage_after_finish_is_rejected", live.ETransition, []step{start, roundDo(live.RoundFinish)}, pitchDo(1, live.PitchStage)},
		{"open_before_start_is_rejected", live.ETransition, nil, pitchDo(0, live.PitchOpen)},
		{"open_of_a_pitch_not_on_stage_is_rejected", live.ETransition, []step{start}, pitchDo(1, live.PitchOpen)},
		{"open_while_voting_is_rejected", live.ETransition, []step{start, pitchDo(0, live.PitchOpen)}, pitchDo(0, live.PitchOpen)},
		{"open_of_a_closed_pitch_off_stage_is_rejected", live.ETransition, []step{start, pitchDo(0, live.PitchOpen), roundDo(live.RoundNext)}, pitchDo(0, live.PitchOpen)},
		{"open_after_finish_is_rejected", live.ETransition, []step{start, pitchDo(0, live.PitchOpen), roundDo(live.RoundFinish)}, pitchDo(0, live.PitchOpen)},
		{"close_of_a_pitch_on_stage_is_rejected", live.ETransition, []step{start}, pitchDo(0, live.PitchClose)},
		{"close_of_a_pending_pitch_is_rejected", live.ETransition, nil, pitchDo(1, live.PitchClose)},
		{"close_of_a_closed_pitch_is_rejected", live.ETransition, []step{start, pitchDo(0, live.PitchOpen), pitchDo(0, live.PitchClose)}, pitchDo(0, live.PitchClose)},
		{"timer_start_while_running_is_rejected", live.ETransition, []step{start, pitchDo(0, live.PitchTimerStart)}, pitchDo(0, live.PitchTimerStart)},
		{"timer_pause_while_paused_is_rejected", live.ETransition, []step{start}, pitchDo(0, live.PitchTimerPause)},
		{"timer_start_on_a_pending_pitch_is_rejected", live.ETransition, []step{start}, pitchDo(1, live.PitchTimerStart)},
		{"timer_pause_on_a_pending_pitch_is_rejected", live.ETransition, nil, pitchDo(1, live.PitchTimerPause)},
		{"timer_extend_on_a_pending_pitch_is_rejected", live.ETransition, nil, pitchDo(1, live.PitchTimerExtend)},
		{"timer_reset_on_a_pending_pitch_is_rejected", live.ETransition, nil, pitchDo(1, live.PitchTimerReset)},
		{"timer_extend_beyond_600_s_is_invalid", live.EInvalid, []step{start}, pitchSec(0, live.PitchTimerExtend, 601)},
		{"timer_extend_below_minus_600_s_is_invalid", live.EInvalid, []step{start}, pitchSec(0, live.PitchTimerExtend, -601)},
		{"unknown_pitch_action_is_invalid", live.EInvalid, []step{start}, pitchDo(0, "dance")},
		{"unknown_pitch_is_not_found", live.ENotFound, nil, func(h *harness, ctx context.Context) error {
			return h.e.PitchAction(ctx, "mod", 987654, live.PitchOpen, 0)
		}},
	}
	for _, tc := range rejected {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.run(t, tc.prep...)
			h.rejects(t, tc.code, tc.act)
		})
	}
}

func TestRoundsShareARoom(t *testing.T) {
	t.Run("round_without_pitches_cannot_start", func(t *testing.T) {
		h := newHarness(t)
		r, err := h.e.CreateRound(ctxT(t), "mod", h.ev.Code, &live.Round{RoomID: h.room, Title: "Empty"})
		must(t, err)
		h.rejects(t, live.ETransition, func(h *harness, ctx context.Context) error {
			return h.e.RoundAction(ctx, "mod", r.ID, live.RoundStart)
		})
	})
	t.Run("second_round_waits_until_the_first_finishes", func(t *testing.T) {
		h := newHarness(t)
		ctx := ctxT(t)
		r2, err := h.e.CreateRound(ctx, "mod", h.ev.Code, &live.Round{RoomID: h.room, Title: "Bonus"})
		must(t, err)
		_, err = h.e.CreatePitch(ctx, "mod", r2.ID, &live.Pitch{Team: "Delta"})
		must(t, err)
		h.run(t, roundDo(live.RoundStart))
		startR2 := func(h *harness, ctx context.Context) error {
			return h.e.RoundAction(ctx, "mod", r2.ID, live.RoundStart)
		}
		h.rejects(t, live.ETransition, startR2)
		h.run(t, roundDo(live.RoundFinish), startR2)
		m := h.model(t)
		if m.Rooms[0].ActiveRoundID != r2.ID || h.roundIn(t, m, r2.ID).State != live.RoundRunning {
			t.Fatalf("room = %+v, round 2 = %+v", m.Rooms[0], h.roundIn(t, m, r2.ID))
		}
	})
	t.Run("rounds_in_different_rooms_run_together", func(t *testing.T) {
		h := newHarness(t)
		ctx := ctxT(t)
		room2, err := h.e.CreateRoom(ctx, "mod", h.ev.Code, &live.Room{Name: "Side stage"})
		must(t, err)
		r2, err := h.e.CreateRound(ctx, "mod", h.ev.Code, &live.Round{RoomID: room2.ID, Title: "Side"})
		must(t, err)
		_, err = h.e.CreatePitch(ctx, "mod", r2.ID, &live.Pitch{Team: "Delta"})
		must(t, err)
		h.run(t, roundDo(live.RoundStart))
		must(t, h.e.RoundAction(ctx, "mod", r2.ID, live.RoundStart))
		if got, err := h.e.RoomEvent(room2.ID); err != nil || got != h.ev.ID {
			t.Fatalf("RoomEvent = %d, %v", got, err)
		}
	})
}

func TestPollStateMachine(t *testing.T) {
	open, closeP := pollDo(live.PollOpenAction), pollDo(live.PollCloseAction)
	state := func(tb testing.TB, h *harness) string {
		tb.Helper()
		return h.pollIn(tb, h.model(tb), h.poll).State
	}
	t.Run("draft_opens", func(t *testing.T) {
		h := newHarness(t)
		if s := state(t, h); s != live.PollDraft {
			t.Fatalf("new poll is %s", s)
		}
		h.run(t, open)
		if s := state(t, h); s != live.PollOpen {
			t.Fatalf("state = %s", s)
		}
	})
	t.Run("open_closes", func(t *testing.T) {
		h := newHarness(t)
		h.run(t, open, closeP)
		if s := state(t, h); s != live.PollClosed {
			t.Fatalf("state = %s", s)
		}
	})
	t.Run("closed_reopens", func(t *testing.T) {
		h := newHarness(t)
		h.run(t, open, closeP, open)
		if s := state(t, h); s != live.PollOpen {
			t.Fatalf("state = %s", s)
		}
	})
	t.Run("show_and_hide_results", func(t *testing.T) {
		h := newHarness(t)
		h.run(t, pollDo(live.ShowResults))
		if !h.pollIn(t, h.model(t), h.poll).ShowResults {
			t.Fatal("results not shown")
		}
		h.run(t, pollDo(live.HideResults))
		if h.pollIn(t, h.model(t), h.poll).ShowResults {
			t.Fatal("results still shown")
		}
	})
	t.Run("draft_close_is_rejected", func(t *testing.T) {
		h := newHarness(t)
		h.rejects(t, live.ETransition, closeP)
	})
	t.Run("open_twice_is_rejected", func(t *testing.T) {
		h := newHarness(t)
		h.run(t, open)
		h.rejects(t, live.ETransition, open)
	})
	t.Run("close_twice_is_rejected", func(t *testing.T) {
		h := newHarness(t)
		h.run(t, open, closeP)
		h.rejects(t, live.ETransition, closeP)
	})
	t.Run("unknown_action_is_invalid", func(t *testing.T) {
		h := newHarness(t)
		h.rejects(t, live.EInvalid, pollDo("publish"))
	})
	t.Run("unknown_poll_is_not_found", func(t *testing.T) {
		h := newHarness(t)
		h.rejects(t, live.ENotFound, func(h *harness, ctx context.Context) error {
			return h.e.PollAction(ctx, "mod", 987654, live.PollOpenAction)
		})
	})
	t.Run("second_open_poll_in_a_room_is_rejected", func(t *testing.T) {
		h := newHarness(t)
		ctx := ctxT(t)
		p2, err := h.e.CreatePoll(ctx, "mod", h.ev.Code, &live.Poll{RoomID: h.room, Question: "Rate", Kind: live.PollScale, ScaleMax: 5})
		must(t, err)
		openP2 := func(h *harness, ctx context.Context) error {
			return h.e.PollAction(ctx, "mod", p2.ID, live.PollOpenAction)
		}
		h.run(t, open)
		h.rejects(t, live.ETransition, openP2)
		h.run(t, closeP, openP2)
		m := h.model(t)
		if h.pollIn(t, m, p2.ID).State != live.PollOpen || h.pollIn(t, m, h.poll).State != live.PollClosed {
			t.Fatalf("polls = %+v", m.Polls)
		}
		// And now the first cannot reopen while the second is open.
		h.rejects(t, live.ETransition, open)
	})
	t.Run("polls_in_different_rooms_open_together", func(t *testing.T) {
		h := newHarness(t)
		ctx := ctxT(t)
		room2, err := h.e.CreateRoom(ctx, "mod", h.ev.Code, &live.Room{Name: "Side"})
		must(t, err)
		p2, err := h.e.CreatePoll(ctx, "mod", h.ev.Code, &live.Poll{RoomID: room2.ID, Question: "Rate", Kind: live.PollScale, ScaleMax: 5})
		must(t, err)
		h.run(t, open)
		must(t, h.e.PollAction(ctx, "mod", p2.ID, live.PollOpenAction))
	})
	t.Run("stage_shows_open_and_closed_polls_but_not_drafts", func(t *testing.T) {
		h := newHarness(t)
		_, err := h.e.CreatePoll(ctxT(t), "mod", h.ev.Code, &live.Poll{RoomID: h.room, Question: "One word?", Kind: live.PollWordCloud})
		must(t, err)
		var s show.StageState
		h.pub.last(t, hub.RoomTopic(h.room), "stage", &s)
		if len(s.Polls) != 0 {
			t.Fatalf("stage shows draft polls: %+v", s.Polls)
		}
		if !slices.Equal(s.Kinds, []string{live.PollChoices, live.PollWordCloud}) { // their kinds only, for the pages to load
			t.Fatalf("kinds to come = %q, want the drafts' choices and wordcloud", s.Kinds)
		}
		h.run(t, open)
		h.pub.last(t, hub.RoomTopic(h.room), "stage", &s)
		if len(s.Polls) != 1 || s.Polls[0].ID != h.poll || s.Polls[0].State != live.PollOpen {
			t.Fatalf("stage polls = %+v", s.Polls)
		}
		if !slices.Equal(s.Kinds, []string{live.PollWordCloud}) {
			t.Fatalf("kinds to come = %q once the choices poll opened, want wordcloud", s.Kinds)
		}
		if s.ServerTime != t0.UnixMilli() {
			t.Fatalf("server_time = %d, want the engine clock %d", s.ServerTime, t0.UnixMilli())
		}
	})
}

// voting returns a harness with pitch 0 open for votes, the poll open and
// an audience member and a jury member joined.
func voting(tb testing.TB) (h *harness, aud, jury live.Voter) {
	tb.Helper()
	return votingWith(tb, store.Options{})
}

func votingWith(tb testing.TB, opts store.Options) (h *harness, aud, jury live.Voter) {
	tb.Helper()
	h = newHarnessWith(tb, opts)
	h.run(tb, roundDo(live.RoundStart), pitchDo(0, live.PitchOpen), pollDo(live.PollOpenAction))
	return h, h.join(tb, false), h.join(tb, true)
}

// results returns the committed tally of a target from Engine.Results.
func (h *harness) results(tb testing.TB) *show.Results {
	tb.Helper()
	res, err := h.e.Results(ctxT(tb), h.ev.Code)
	must(tb, err)
	return res
}

func (h *harness) pitchResult(tb testing.TB, res *show.Results, i int) live.RankEntry {
	tb.Helper()
	for _, rr := range res.Rounds {
		for _, e := range rr.Ranking {
			if e.PitchID == h.pitches[i] {
				return e
			}
		}
	}
	tb.Fatalf("pitch %d not in results", i)
	return live.RankEntry{}
}

func (h *harness) pollResult(tb testing.TB, res *show.Results) live.CountResults {
	tb.Helper()
	for _, p := range res.Polls {
		if p.Poll.ID == h.poll {
			return p.Results.(live.CountResults)
		}
	}
	tb.Fatal("poll not in results")
	return live.CountResults{}
}

// answer is the canonical answer of a one-value question (a choice, a score).
func answer(v int) live.Answer { return live.Answer(strconv.Itoa(v)) }

func TestEngineVote(t *testing.T) {
	t.Run("first_vote_is_counted", func(t *testing.T) {
		h, a, _ := voting(t)
		h.mustVote(t, a, h.pitchT(0), 4, "v1", live.VoteCounted)
		if got := h.pitchResult(t, h.results(t), 0).Audience; got != (live.Summary{Count: 1, Sum: 4, Mean: 4}) {
			t.Fatalf("audience = %+v", got)
		}
		if my := h.e.MyVotes(a); !reflect.DeepEqual(my, map[string]live.Answer{h.pitchT(0).String(): "4"}) {
			t.Fatalf("MyVotes = %v", my)
		}
	})
	t.Run("new_vote_id_changes_the_vote", func(t *testing.T) {
		h, a, _ := voting(t)
		h.mustVote(t, a, h.pitchT(0), 4, "v1", live.VoteCounted)
		h.mustVote(t, a, h.pitchT(0), 2, "v2", live.VoteChanged)
		if got := h.pitchResult(t, h.results(t), 0).Audience; got != (live.Summary{Count: 1, Sum: 2, Mean: 2}) {
			t.Fatalf("audience = %+v", got)
		}
	})
	t.Run("same_vote_id_is_a_duplicate", func(t *testing.T) {
		h, a, _ := voting(t)
		h.mustVote(t, a, h.pitchT(0), 4, "v1", live.VoteCounted)
		h.mustVote(t, a, h.pitchT(0), 4, "v1", live.VoteDuplicate)
		// The same id for another value is refused: nothing recorded answers it.
		_, err := h.vote(t, a, h.pitchT(0), 1, "v1")
		wantCode(t, err, live.EConflict)
		if got := h.pitchResult(t, h.results(t), 0).Audience; got != (live.Summary{Count: 1, Sum: 4, Mean: 4}) {
			t.Fatalf("audience = %+v", got)
		}
	})
	t.Run("replay_of_an_old_id_after_a_change_does_not_revert", func(t *testing.T) {
		h, a, _ := voting(t)
		h.mustVote(t, a, h.pitchT(0), 4, "v1", live.VoteCounted)
		h.mustVote(t, a, h.pitchT(0), 2, "v2", live.VoteChanged)
		h.mustVote(t, a, h.pitchT(0), 4, "v1", live.VoteDuplicate)
		if my := h.e.MyVotes(a); my[h.pitchT(0).String()] != "2" {
			t.Fatalf("MyVotes = %v, want 2", my)
		}
		if got := h.pitchResult(t, h.results(t), 0).Audience; got != (live.Summary{Count: 1, Sum: 2, Mean: 2}) {
			t.Fatalf("audience = %+v", got)
		}
		ds, err := h.db.Load(ctxT(t))
		must(t, err)
		if len(ds.Votes) != 1 || ds.Votes[0].VoteID != "v2" || ds.Votes[0].Answer != "2" {
			t.Fatalf("stored votes = %+v", ds.Votes)
		}
	})
	t.Run("participants_vote_separately_per_target", func(t *testing.T) {
		h, a, j := voting(t)
		b := h.join(t, false)
		h.mustVote(t, a, h.pitchT(0), 5, "x", live.VoteCounted)
		h.mustVote(t, b, h.pitchT(0), 5, "x", live.VoteCounted) // same id, other participant
		h.mustVote(t, a, h.pollT(), 3, "y", live.VoteCounted)
		h.mustVote(t, j, h.pitchT(0), 1, "z", live.VoteCounted)
		res := h.results(t)
		e := h.pitchResult(t, res, 0)
		if e.Audience != (live.Summary{Count: 2, Sum: 10, Mean: 5}) || e.Jury != (live.Summary{Count: 1, Sum: 1, Mean: 1}) {
			t.Fatalf("pitch = %+v / %+v", e.Audience, e.Jury)
		}
		if e.Score != 3.8 { // 70% of 5 + 30% of 1
			t.Fatalf("score = %v, want 3.8", e.Score)
		}
		if p := h.pollResult(t, res); !reflect.DeepEqual(p.Counts, []int64{0, 0, 1}) || !reflect.DeepEqual(p.JuryCounts, []int64{0, 0, 0}) {
			t.Fatalf("poll = %+v", p)
		}
	})
	rejected := []struct {
		name   string
		code   string
		target func(h *harness) live.Target
		value  int
		voteID string
	}{
		{"zero_is_a_bad_value", live.EBadValue, func(h *harness) live.Target { return h.pitchT(0) }, 0, "r"},
		{"above_the_scale_is_a_bad_value", live.EBadValue, func(h *harness) live.Target { return h.pitchT(0) }, 6, "r"},
		{"above_max_scale_is_a_bad_value", live.EBadValue, func(h *harness) live.Target { return h.pitchT(0) }, 11, "r"},
		{"above_the_choices_is_a_bad_value", live.EBadValue, func(h *harness) live.Target { return h.pollT() }, 4, "r"},
		{"empty_vote_id_is_invalid", live.EInvalid, func(h *harness) live.Target { return h.pitchT(0) }, 3, ""},
		{"pending_pitch_is_closed_for_voting", live.EVotingClosed, func(h *harness) live.Target { return h.pitchT(1) }, 3, "r"},
		{"unknown_pitch_is_not_found", live.ENotFound, func(h *harness) live.Target { return live.Target{Kind: live.KindPitch, ID: 987654} }, 3, "r"},
		{"unknown_poll_is_not_found", live.ENotFound, func(h *harness) live.Target { return live.Target{Kind: live.KindPoll, ID: 987654} }, 3, "r"},
		{"unknown_kind_is_not_found", live.ENotFound, func(h *harness) live.Target { return live.Target{Kind: "round", ID: h.round} }, 3, "r"},
	}
	for _, tc := range rejected {
		t.Run(tc.name, func(t *testing.T) {
			h, a, _ := voting(t)
			before := h.snapshot(t)
			_, err := h.vote(t, a, tc.target(h), tc.value, tc.voteID)
			wantCode(t, err, tc.code)
			after := h.snapshot(t)
			if !reflect.DeepEqual(before.data.Votes, after.data.Votes) || !reflect.DeepEqual(before.data.Ledger, after.data.Ledger) {
				t.Fatal("a rejected vote reached the database")
			}
			if len(h.e.MyVotes(a)) != 0 {
				t.Fatalf("MyVotes = %v after a rejected vote", h.e.MyVotes(a))
			}
			if _, rej := h.e.VoteCounts(h.ev.ID); rej[tc.code] != 1 {
				t.Fatalf("rejections = %v, want one %s", rej, tc.code)
			}
			// The same vote id is still usable for a valid vote.
			h.mustVote(t, a, h.pitchT(0), 3, "r", live.VoteCounted)
		})
	}
	t.Run("closed_pitch_is_closed_for_voting", func(t *testing.T) {
		h, a, _ := voting(t)
		h.mustVote(t, a, h.pitchT(0), 3, "v1", live.VoteCounted)
		h.run(t, pitchDo(0, live.PitchClose))
		_, err := h.vote(t, a, h.pitchT(0), 5, "v2")
		wantCode(t, err, live.EVotingClosed)
		if got := h.pitchResult(t, h.results(t), 0).Audience; got.Sum != 3 {
			t.Fatalf("audience = %+v", got)
		}
		// Reopening takes votes again.
		h.run(t, pitchDo(0, live.PitchOpen))
		h.mustVote(t, a, h.pitchT(0), 5, "v2", live.VoteChanged)
	})
	t.Run("draft_and_closed_polls_are_closed_for_voting", func(t *testing.T) {
		h := newHarness(t)
		a := h.join(t, false)
		_, err := h.vote(t, a, h.pollT(), 1, "v1")
		wantCode(t, err, live.EVotingClosed)
		h.run(t, pollDo(live.PollOpenAction), pollDo(live.PollCloseAction))
		_, err = h.vote(t, a, h.pollT(), 1, "v1")
		wantCode(t, err, live.EVotingClosed)
	})
	t.Run("target_of_another_event_is_not_found", func(t *testing.T) {
		h, a, _ := voting(t)
		ctx := ctxT(t)
		other, err := h.e.CreateEvent(ctx, "mod", &live.Event{Code: "OTHER", Title: "Other"})
		must(t, err)
		om, err := h.e.Model(other.Code)
		must(t, err)
		r, err := h.e.CreateRound(ctx, "mod", other.Code, &live.Round{RoomID: om.Rooms[0].ID, Title: "R"})
		must(t, err)
		p, err := h.e.CreatePitch(ctx, "mod", r.ID, &live.Pitch{Team: "Elsewhere"})
		must(t, err)
		must(t, h.e.RoundAction(ctx, "mod", r.ID, live.RoundStart))
		must(t, h.e.PitchAction(ctx, "mod", p.ID, live.PitchOpen, 0))
		_, err = h.vote(t, a, live.Target{Kind: live.KindPitch, ID: p.ID}, 3, "v1")
		wantCode(t, err, live.ENotFound)
		// A voter of that event may vote on it.
		pp, _, err := h.e.Join(ctx, other.Code, "", "")
		must(t, err)
		h.mustVote(t, live.Voter{ParticipantID: pp.ID, EventID: pp.EventID}, live.Target{Kind: live.KindPitch, ID: p.ID}, 3, "v1", live.VoteCounted)
	})
	t.Run("vote_counts_track_accepted_votes", func(t *testing.T) {
		h, a, j := voting(t)
		h.mustVote(t, a, h.pitchT(0), 3, "1", live.VoteCounted)
		h.mustVote(t, a, h.pitchT(0), 4, "2", live.VoteChanged)
		h.mustVote(t, a, h.pitchT(0), 4, "2", live.VoteDuplicate)
		h.mustVote(t, j, h.pitchT(0), 4, "3", live.VoteCounted)
		if acc, rej := h.e.VoteCounts(h.ev.ID); acc != 3 || len(rej) != 0 {
			t.Fatalf("VoteCounts = %d, %v; want 3 accepted, none rejected", acc, rej)
		}
		if !h.e.Healthy() {
			t.Fatal("engine unhealthy")
		}
	})
}

func TestJoin(t *testing.T) {
	t.Run("audience_joins_with_the_event_code", func(t *testing.T) {
		h := newHarness(t)
		p, ev, err := h.e.Join(ctxT(t), " demo ", "Ann", "")
		must(t, err)
		if p.Jury || p.ID <= 0 || p.DisplayName != "Ann" || ev.Code != "DEMO" || !p.CreatedAt.Equal(t0) {
			t.Fatalf("participant = %+v, event %+v", p, ev)
		}
	})
	t.Run("jury_joins_with_the_jury_code", func(t *testing.T) {
		h := newHarness(t)
		p, _, err := h.e.Join(ctxT(t), "DEMO", "", " jury ")
		must(t, err)
		if !p.Jury {
			t.Fatal("not a jury member")
		}
	})
	t.Run("wrong_jury_code_is_forbidden", func(t *testing.T) {
		h := newHarness(t)
		_, _, err := h.e.Join(ctxT(t), "DEMO", "", "NOPE")
		wantCode(t, err, live.EForbidden)
	})
	t.Run("jury_code_for_an_event_without_jury_is_forbidden", func(t *testing.T) {
		h := newHarness(t)
		_, err := h.e.CreateEvent(ctxT(t), "mod", &live.Event{Code: "NOJURY", Title: "No jury"})
		must(t, err)
		_, _, err = h.e.Join(ctxT(t), "NOJURY", "", "JURY")
		wantCode(t, err, live.EForbidden)
	})
	t.Run("unknown_event_is_not_found", func(t *testing.T) {
		h := newHarness(t)
		_, _, err := h.e.Join(ctxT(t), "NOPE", "", "")
		wantCode(t, err, live.ENotFound)
	})
	t.Run("long_display_name_is_invalid", func(t *testing.T) {
		h := newHarness(t)
		_, _, err := h.e.Join(ctxT(t), "DEMO", strings.Repeat("n", live.MaxNameLen+1), "")
		wantCode(t, err, live.EInvalid)
	})
}

func TestCreateEvent(t *testing.T) {
	t.Run("duplicate_code_is_a_conflict", func(t *testing.T) {
		h := newHarness(t)
		_, err := h.e.CreateEvent(ctxT(t), "mod", &live.Event{Code: "Demo", Title: "Again"})
		wantCode(t, err, live.EConflict)
		if n := len(h.e.Events()); n != 1 {
			t.Fatalf("%d events, want 1", n)
		}
	})
	t.Run("invalid_event_is_rejected", func(t *testing.T) {
		h := newHarness(t)
		_, err := h.e.CreateEvent(ctxT(t), "mod", &live.Event{Code: "X", Title: "Bad code"})
		wantCode(t, err, live.EInvalid)
	})
	t.Run("unknown_event_is_not_found", func(t *testing.T) {
		h := newHarness(t)
		_, err := h.e.Model("NOPE")
		wantCode(t, err, live.ENotFound)
		_, err = h.e.Results(ctxT(t), "NOPE")
		wantCode(t, err, live.ENotFound)
		_, err = h.e.RoomEvent(987654)
		wantCode(t, err, live.ENotFound)
	})
}

func TestEditRules(t *testing.T) {
	t.Run("pitch_that_went_on_stage_cannot_be_deleted", func(t *testing.T) {
		h := newHarness(t)
		h.run(t, roundDo(live.RoundStart))
		h.rejects(t, live.ETransition, func(h *harness, ctx context.Context) error { return h.e.DeletePitch(ctx, "mod", h.pitches[0]) })
	})
	t.Run("pending_pitch_is_deleted", func(t *testing.T) {
		h := newHarness(t)
		must(t, h.e.DeletePitch(ctxT(t), "mod", h.pitches[1]))
		if ps := h.roundIn(t, h.model(t), h.round).Pitches; len(ps) != 2 || ps[0].ID != h.pitches[0] || ps[1].ID != h.pitches[2] {
			t.Fatalf("pitches = %v", ps)
		}
		_, err := h.vote(t, h.join(t, false), h.pitchT(1), 3, "v")
		wantCode(t, err, live.ENotFound)
	})
	t.Run("finished_round_takes_no_new_pitch", func(t *testing.T) {
		h := newHarness(t)
		h.run(t, roundDo(live.RoundStart), roundDo(live.RoundFinish))
		h.rejects(t, live.ETransition, func(h *harness, ctx context.Context) error {
			_, err := h.e.CreatePitch(ctx, "mod", h.round, &live.Pitch{Team: "Late"})
			return err
		})
	})
	t.Run("scale_of_a_started_round_cannot_change", func(t *testing.T) {
		h := newHarness(t)
		h.run(t, roundDo(live.RoundStart))
		h.rejects(t, live.ETransition, func(h *harness, ctx context.Context) error {
			_, err := h.e.UpdateRound(ctx, "mod", h.round, func(r *live.Round) error { r.Scale = 10; return nil })
			return err
		})
	})
	t.Run("choices_of_an_opened_poll_cannot_change", func(t *testing.T) {
		h := newHarness(t)
		h.run(t, pollDo(live.PollOpenAction))
		h.rejects(t, live.ETransition, func(h *harness, ctx context.Context) error {
			_, err := h.e.UpdatePoll(ctx, "mod", h.poll, func(p *live.Poll) error { p.Choices = append(p.Choices, "Soup"); return nil })
			return err
		})
	})
	updatePitch := func(tb testing.TB, h *harness, i int, edit func(*live.Pitch)) live.Pitch {
		tb.Helper()
		p, err := h.e.UpdatePitch(ctxT(tb), "mod", h.pitches[i], func(p *live.Pitch) error { edit(p); return nil })
		must(tb, err)
		if got := h.pitch(tb, h.model(tb), i); !reflect.DeepEqual(got, *p) {
			tb.Fatalf("UpdatePitch returned %+v, model holds %+v", *p, got)
		}
		return *p
	}
	t.Run("new_duration_resets_an_untouched_timer", func(t *testing.T) {
		h := newHarness(t)
		p := updatePitch(t, h, 0, func(p *live.Pitch) { p.DurationS = 90 })
		if p.DurationS != 90 || p.Timer != (live.Timer{RemainingMS: 90_000}) {
			t.Fatalf("pitch = %+v", p)
		}
		p = updatePitch(t, h, 0, func(p *live.Pitch) { p.DurationS = 0 })
		if p.DurationS != live.DefaultPitchS || p.Timer != (live.Timer{RemainingMS: live.DefaultPitchS * 1000}) {
			t.Fatalf("pitch with the default duration = %+v", p)
		}
	})
	t.Run("new_duration_keeps_a_used_timer", func(t *testing.T) {
		h := newHarness(t)
		h.run(t, roundDo(live.RoundStart), pitchDo(0, live.PitchTimerStart), advance(10*time.Second), pitchDo(0, live.PitchTimerPause))
		p := updatePitch(t, h, 0, func(p *live.Pitch) { p.DurationS = 90 })
		if p.Timer != (live.Timer{RemainingMS: 50_000}) {
			t.Fatalf("timer = %+v, want the 50 s left", p.Timer)
		}
	})
	t.Run("edits_cannot_touch_state_or_timer", func(t *testing.T) {
		h := newHarness(t)
		h.run(t, roundDo(live.RoundStart), pitchDo(0, live.PitchOpen))
		p := updatePitch(t, h, 0, func(p *live.Pitch) {
			p.State, p.ShowResults, p.Position, p.Timer = live.PitchClosed, true, 9, live.Timer{Running: true, DeadlineMS: 1}
		})
		if p.State != live.PitchVoting || p.ShowResults || p.Position != 1 || p.Timer != (live.Timer{RemainingMS: 60_000}) {
			t.Fatalf("pitch = %+v", p)
		}
	})
	t.Run("rename_keeps_a_timer_paused_at_zero", func(t *testing.T) {
		h := newHarness(t)
		h.run(t, roundDo(live.RoundStart), pitchSec(0, live.PitchTimerExtend, -60))
		if got := h.pitch(t, h.model(t), 0).Timer; got != (live.Timer{}) {
			t.Fatalf("timer = %+v, want paused at zero", got)
		}
		p := updatePitch(t, h, 0, func(p *live.Pitch) { p.Team = "Alpha Corp" })
		if p.Team != "Alpha Corp" || p.Timer != (live.Timer{}) {
			t.Fatalf("pitch = %+v; a rename must not restart the countdown", p)
		}
	})
	t.Run("event_code_change_moves_the_index", func(t *testing.T) {
		h := newHarness(t)
		ctx := ctxT(t)
		ev, err := h.e.UpdateEvent(ctx, "mod", "DEMO", func(e *live.Event) error { e.Code = "demo2"; e.ID = 99; return nil })
		must(t, err)
		if ev.Code != "DEMO2" || ev.ID != h.ev.ID {
			t.Fatalf("event = %+v", ev)
		}
		if _, err := h.e.Event("DEMO"); live.ErrorCode(err) != live.ENotFound {
			t.Fatalf("old code still resolves: %v", err)
		}
		if got, err := h.e.Event("demo2"); err != nil || got.ID != h.ev.ID {
			t.Fatalf("Event(new code) = %+v, %v", got, err)
		}
	})
	t.Run("event_code_change_to_a_taken_code_is_a_conflict", func(t *testing.T) {
		h := newHarness(t)
		_, err := h.e.CreateEvent(ctxT(t), "mod", &live.Event{Code: "TAKEN", Title: "T"})
		must(t, err)
		h.rejects(t, live.EConflict, func(h *harness, ctx context.Context) error {
			_, err := h.e.UpdateEvent(ctx, "mod", "DEMO", func(e *live.Event) error { e.Code = "TAKEN"; return nil })
			return err
		})
	})
	t.Run("invalid_event_edit_is_rejected", func(t *testing.T) {
		h := newHarness(t)
		h.rejects(t, live.EInvalid, func(h *harness, ctx context.Context) error {
			_, err := h.e.UpdateEvent(ctx, "mod", "DEMO", func(e *live.Event) error { e.JuryWeight = 101; return nil })
			return err
		})
	})
	t.Run("scale_change_of_a_pending_round_resizes_its_tallies", func(t *testing.T) {
		h := newHarness(t)
		r, err := h.e.UpdateRound(ctxT(t), "mod", h.round, func(r *live.Round) error { r.Scale = 10; return nil })
		must(t, err)
		if r.Scale != 10 || len(r.Pitches) != 3 {
			t.Fatalf("round = %+v", r)
		}
		h.run(t, roundDo(live.RoundStart), pitchDo(0, live.PitchOpen))
		h.mustVote(t, h.join(t, false), h.pitchT(0), 10, "v", live.VoteCounted)
		if e := h.pitchResult(t, h.results(t), 0); e.Audience != (live.Summary{Count: 1, Sum: 10, Mean: 10}) {
			t.Fatalf("audience = %+v", e.Audience)
		}
	})
	t.Run("choices_of_a_draft_poll_change_with_its_tally", func(t *testing.T) {
		h := newHarness(t)
		_, err := h.e.UpdatePoll(ctxT(t), "mod", h.poll, func(p *live.Poll) error { p.Choices = append(p.Choices, "Soup"); return nil })
		must(t, err)
		h.run(t, pollDo(live.PollOpenAction))
		h.mustVote(t, h.join(t, false), h.pollT(), 4, "v", live.VoteCounted)
		if p := h.pollResult(t, h.results(t)); !reflect.DeepEqual(p.Counts, []int64{0, 0, 0, 1}) {
			t.Fatalf("counts = %v", p.Counts)
		}
	})
	t.Run("room_rename_is_saved", func(t *testing.T) {
		h := newHarness(t)
		r, err := h.e.UpdateRoom(ctxT(t), "mod", h.room, func(r *live.Room) error { r.Name = "Amphi"; r.EventID = 99; return nil })
		must(t, err)
		if r.Name != "Amphi" || r.EventID != h.ev.ID {
			t.Fatalf("room = %+v", r)
		}
		ds, err := h.db.Load(ctxT(t))
		must(t, err)
		if ds.Rooms[0].Name != "Amphi" {
			t.Fatalf("stored room = %+v", ds.Rooms[0])
		}
	})
	t.Run("reorder_must_list_every_pitch_once", func(t *testing.T) {
		h := newHarness(t)
		for _, ids := range [][]int64{{h.pitches[0], h.pitches[1]}, {h.pitches[0], h.pitches[0], h.pitches[1]}, {h.pitches[0], h.pitches[1], 987654}} {
			h.rejects(t, live.EInvalid, func(h *harness, ctx context.Context) error { return h.e.ReorderPitches(ctx, "mod", h.round, ids) })
		}
		must(t, h.e.ReorderPitches(ctxT(t), "mod", h.round, []int64{h.pitches[2], h.pitches[0], h.pitches[1]}))
		ps := h.roundIn(t, h.model(t), h.round).Pitches
		if ps[0].ID != h.pitches[2] || ps[0].Position != 1 || ps[2].ID != h.pitches[1] || ps[2].Position != 3 {
			t.Fatalf("order = %+v %+v %+v", *ps[0], *ps[1], *ps[2])
		}
	})
}

func TestResetVotes(t *testing.T) {
	t.Run("pitch_reset_zeroes_the_tally_and_later_votes_count", func(t *testing.T) {
		h, a, j := voting(t)
		b := h.join(t, false)
		h.mustVote(t, a, h.pitchT(0), 5, "a1", live.VoteCounted)
		h.mustVote(t, b, h.pitchT(0), 4, "b1", live.VoteCounted)
		h.mustVote(t, j, h.pitchT(0), 2, "j1", live.VoteCounted)
		h.mustVote(t, a, h.pollT(), 2, "a2", live.VoteCounted)
		must(t, h.e.PitchAction(ctxT(t), "mod", h.pitches[0], live.ResetVotes, 0))

		res := h.results(t)
		if e := h.pitchResult(t, res, 0); e.Audience.Count != 0 || e.Jury.Count != 0 {
			t.Fatalf("after reset: %+v / %+v", e.Audience, e.Jury)
		}
		if p := h.pollResult(t, res); !reflect.DeepEqual(p.Counts, []int64{0, 1, 0}) {
			t.Fatalf("poll votes were touched: %v", p.Counts)
		}
		if my := h.e.MyVotes(a); !reflect.DeepEqual(my, map[string]live.Answer{h.pollT().String(): "2"}) {
			t.Fatalf("MyVotes = %v", my)
		}
		ds, err := h.db.Load(ctxT(t))
		must(t, err)
		for _, v := range ds.Votes {
			if v.Target == h.pitchT(0) {
				t.Fatalf("stored vote %+v survived the reset", v)
			}
		}
		var tf live.TallyFrame
		h.pub.last(t, hub.ControlTopic(h.ev.ID), "tally:"+h.pitchT(0).String(), &tf)
		if tf.Total != 0 || !reflect.DeepEqual(tf.Counts, []int64{0, 0, 0, 0, 0}) {
			t.Fatalf("tally frame after reset = %+v", tf)
		}

		// An old vote id stays spent; a new one counts afresh.
		h.mustVote(t, a, h.pitchT(0), 5, "a1", live.VoteDuplicate)
		h.mustVote(t, a, h.pitchT(0), 3, "a3", live.VoteCounted)
		if e := h.pitchResult(t, h.results(t), 0); e.Audience != (live.Summary{Count: 1, Sum: 3, Mean: 3}) {
			t.Fatalf("after a new vote: %+v", e.Audience)
		}
	})
	t.Run("poll_reset_zeroes_the_tally", func(t *testing.T) {
		h, a, j := voting(t)
		h.mustVote(t, a, h.pollT(), 1, "a", live.VoteCounted)
		h.mustVote(t, j, h.pollT(), 3, "j", live.VoteCounted)
		must(t, h.e.PollAction(ctxT(t), "mod", h.poll, live.ResetVotes))
		p := h.pollResult(t, h.results(t))
		if !reflect.DeepEqual(p.Counts, []int64{0, 0, 0}) || !reflect.DeepEqual(p.JuryCounts, []int64{0, 0, 0}) {
			t.Fatalf("after reset: %+v", p)
		}
		h.mustVote(t, j, h.pollT(), 2, "j2", live.VoteCounted)
		if p := h.pollResult(t, h.results(t)); !reflect.DeepEqual(p.JuryCounts, []int64{0, 1, 0}) {
			t.Fatalf("after a new vote: %+v", p)
		}
	})
	t.Run("reset_is_audited", func(t *testing.T) {
		h, a, _ := voting(t)
		h.mustVote(t, a, h.pitchT(0), 5, "a1", live.VoteCounted)
		must(t, h.e.PitchAction(ctxT(t), "alice", h.pitches[0], live.ResetVotes, 0))
		log, err := h.db.AuditLog(ctxT(t), h.ev.ID, 1)
		must(t, err)
		if len(log) != 1 || log[0].Action != live.ResetVotes || log[0].Actor != "alice" || log[0].Target != h.pitchT(0).String() {
			t.Fatalf("audit = %+v", log)
		}
	})
}

// tallyJSON decodes the latest tally frame of target on topic as a map, to
// check which fields are present.
func (h *harness) tallyJSON(tb testing.TB, topic string, t live.Target) map[string]json.RawMessage {
	tb.Helper()
	var m map[string]json.RawMessage
	h.pub.last(tb, topic, "tally:"+t.String(), &m)
	return m
}

func TestTallyFrames(t *testing.T) {
	t.Run("counts_are_absolute", func(t *testing.T) {
		h, a, j := voting(t)
		b, c := h.join(t, false), h.join(t, false)
		h.mustVote(t, a, h.pitchT(0), 2, "1", live.VoteCounted)
		h.mustVote(t, b, h.pitchT(0), 2, "1", live.VoteCounted)
		h.mustVote(t, c, h.pitchT(0), 5, "1", live.VoteCounted)
		h.e.FlushTallies()
		var tf live.TallyFrame
		control := hub.ControlTopic(h.ev.ID)
		h.pub.last(t, control, "tally:"+h.pitchT(0).String(), &tf)
		if tf.Type != "tally" || tf.Target != h.pitchT(0).String() || tf.Hidden || tf.Total != 3 ||
			!reflect.DeepEqual(tf.Counts, []int64{0, 2, 0, 0, 1}) || tf.Mean == nil || *tf.Mean != 3 || tf.Jury != nil {
			t.Fatalf("frame = %+v", tf)
		}
		h.mustVote(t, c, h.pitchT(0), 1, "2", live.VoteChanged)
		h.mustVote(t, j, h.pitchT(0), 4, "1", live.VoteCounted)
		h.e.FlushTallies()
		tf = live.TallyFrame{}
		h.pub.last(t, control, "tally:"+h.pitchT(0).String(), &tf)
		if tf.Total != 4 || !reflect.DeepEqual(tf.Counts, []int64{1, 2, 0, 0, 0}) || !reflect.DeepEqual(tf.JuryCounts, []int64{0, 0, 0, 1, 0}) ||
			tf.Jury == nil || *tf.Jury != (live.Summary{Count: 1, Sum: 4, Mean: 4}) {
			t.Fatalf("frame after a change = %+v", tf)
		}
	})
	t.Run("hidden_results_omit_counts_on_the_room", func(t *testing.T) {
		h, a, j := voting(t)
		h.mustVote(t, a, h.pitchT(0), 3, "1", live.VoteCounted)
		h.mustVote(t, j, h.pitchT(0), 3, "1", live.VoteCounted)
		h.e.FlushTallies()
		room := h.tallyJSON(t, hub.RoomTopic(h.room), h.pitchT(0))
		for _, k := range []string{"counts", "mean", "jury", "jury_counts"} {
			if _, ok := room[k]; ok {
				t.Fatalf("hidden room frame has %q: %v", k, room)
			}
		}
		if string(room["hidden"]) != "true" || string(room["total"]) != "2" {
			t.Fatalf("hidden room frame = %v", room)
		}
		control := h.tallyJSON(t, hub.ControlTopic(h.ev.ID), h.pitchT(0))
		if _, ok := control["counts"]; !ok || string(control["hidden"]) != "false" {
			t.Fatalf("control frame = %v; the moderator always sees counts", control)
		}
	})
	t.Run("show_results_publishes_counts_at_once", func(t *testing.T) {
		h, a, _ := voting(t)
		h.mustVote(t, a, h.pitchT(0), 3, "1", live.VoteCounted)
		h.e.FlushTallies()
		h.run(t, pitchDo(0, live.ShowResults)) // no FlushTallies: the action publishes
		var tf live.TallyFrame
		h.pub.last(t, hub.RoomTopic(h.room), "tally:"+h.pitchT(0).String(), &tf)
		if tf.Hidden || !reflect.DeepEqual(tf.Counts, []int64{0, 0, 1, 0, 0}) {
			t.Fatalf("room frame after show = %+v", tf)
		}
		h.run(t, pitchDo(0, live.HideResults))
		if room := h.tallyJSON(t, hub.RoomTopic(h.room), h.pitchT(0)); room["counts"] != nil {
			t.Fatalf("room frame after hide = %v", room)
		}
	})
	t.Run("poll_results_follow_show_and_hide", func(t *testing.T) {
		h, a, _ := voting(t)
		h.mustVote(t, a, h.pollT(), 2, "1", live.VoteCounted)
		h.run(t, pollDo(live.ShowResults))
		var tf live.TallyFrame
		h.pub.last(t, hub.RoomTopic(h.room), "tally:"+h.pollT().String(), &tf)
		if tf.Hidden || !reflect.DeepEqual(tf.Counts, []int64{0, 1, 0}) {
			t.Fatalf("room frame = %+v", tf)
		}
	})
	t.Run("nothing_changed_publishes_nothing", func(t *testing.T) {
		h, a, _ := voting(t)
		h.mustVote(t, a, h.pitchT(0), 3, "1", live.VoteCounted)
		h.e.FlushTallies()
		mark := h.pub.mark()
		h.e.FlushTallies()
		if n := h.pub.mark() - mark; n != 0 {
			t.Fatalf("an idle flush published %d frames", n)
		}
		h.mustVote(t, a, h.pitchT(0), 3, "1", live.VoteDuplicate)
		h.e.FlushTallies()
		if n := h.pub.mark() - mark; n != 0 {
			t.Fatalf("a duplicate vote published %d frames", n)
		}
	})
	t.Run("tally_is_published_only_after_commit", func(t *testing.T) {
		h, a, _ := voting(t)
		h.e.FlushTallies()
		release := blockCommitter(t, h.db)
		enqueued := make(chan struct{}, 1)
		h.spy.setHook(func(op live.WriteOp) {
			if op.Vote != nil {
				enqueued <- struct{}{}
			}
		})
		type outcome struct {
			status string
			err    error
		}
		result := make(chan outcome, 1)
		go func() {
			s, err := h.e.Vote(ctxT(t), a, live.Vote{VoteID: "late", Target: h.pitchT(0), Answer: answer(5)})
			result <- outcome{s.Status, err}
		}()
		recv(t, enqueued, "the vote to be queued")
		mark := h.pub.mark()
		h.e.FlushTallies()
		key := "tally:" + h.pitchT(0).String()
		if fs := h.pub.since(mark, hub.ControlTopic(h.ev.ID), key); len(fs) != 0 {
			t.Fatalf("tally published before commit: %s", fs[0].data)
		}
		ds, err := h.db.Load(ctxT(t))
		must(t, err)
		if len(ds.Votes) != 0 {
			t.Fatalf("vote stored before its batch: %+v", ds.Votes)
		}
		select {
		case o := <-result:
			t.Fatalf("Vote returned %+v before commit", o)
		default:
		}
		release()
		if o := recv(t, result, "Vote"); o.err != nil || o.status != live.VoteCounted {
			t.Fatalf("Vote = %+v", o)
		}
		h.e.FlushTallies()
		var tf live.TallyFrame
		h.pub.last(t, hub.ControlTopic(h.ev.ID), key, &tf)
		if tf.Total != 1 {
			t.Fatalf("tally after commit = %+v", tf)
		}
	})
	t.Run("ranking_reaches_the_room_only_when_revealed", func(t *testing.T) {
		h, a, _ := voting(t)
		h.mustVote(t, a, h.pitchT(0), 4, "1", live.VoteCounted)
		h.e.FlushTallies()
		key := fmt.Sprint("ranking:", h.round)
		var rf show.RankingFrame
		h.pub.last(t, hub.RoomTopic(h.room), key, &rf)
		if rf.Revealed || len(rf.Entries) != 0 {
			t.Fatalf("room ranking before reveal = %+v", rf)
		}
		h.pub.last(t, hub.ControlTopic(h.ev.ID), key, &rf)
		if len(rf.Entries) != 3 || rf.Entries[0].PitchID != h.pitches[0] || rf.JuryWeight != 30 {
			t.Fatalf("control ranking = %+v", rf)
		}
		h.run(t, roundDo(live.RoundReveal))
		rf = show.RankingFrame{}
		h.pub.last(t, hub.RoomTopic(h.room), key, &rf)
		if !rf.Revealed || len(rf.Entries) != 0 || rf.Places != 3 || rf.RevealedPlaces != 0 {
			t.Fatalf("room ranking after reveal = %+v, want no place yet", rf)
		}
		// Each next place adds one, from the last up; the control sees them all.
		for n := 1; n <= 3; n++ {
			h.run(t, roundDo(live.RoundNextPlace))
			rf = show.RankingFrame{}
			h.pub.last(t, hub.RoomTopic(h.room), key, &rf)
			if len(rf.Entries) != n || rf.RevealedPlaces != n || rf.Entries[0].Rank != 4-n {
				t.Fatalf("room ranking after %d places = %+v", n, rf)
			}
			rf = show.RankingFrame{}
			h.pub.last(t, hub.StageTopic(h.room), key, &rf)
			if len(rf.Entries) != n {
				t.Fatalf("stage ranking after %d places = %+v", n, rf)
			}
			rf = show.RankingFrame{}
			h.pub.last(t, hub.ControlTopic(h.ev.ID), key, &rf)
			if len(rf.Entries) != 3 || rf.RevealedPlaces != n {
				t.Fatalf("control ranking after %d places = %+v", n, rf)
			}
		}
		rf = show.RankingFrame{}
		h.pub.last(t, hub.RoomTopic(h.room), key, &rf)
		if rf.Entries[0].PitchID != h.pitches[0] || rf.Entries[0].Audience.Sum != 4 {
			t.Fatalf("room ranking, all places = %+v", rf)
		}
		h.run(t, roundDo(live.RoundHideRanking))
		rf = show.RankingFrame{}
		h.pub.last(t, hub.RoomTopic(h.room), key, &rf)
		if rf.Revealed || len(rf.Entries) != 0 {
			t.Fatalf("room ranking after hide = %+v", rf)
		}
	})
}

// blockCommitter holds the store's committer until release is called; it
// returns once the committer is held.
func blockCommitter(tb testing.TB, db *store.DB) (release func()) {
	tb.Helper()
	entered, gate := make(chan struct{}), make(chan struct{})
	must(tb, db.Enqueue(live.WriteOp{Done: func(error) { close(entered); <-gate }}))
	recv(tb, entered, "the committer to be held")
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	tb.Cleanup(release)
	return release
}

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

// expected is an independent count: each participant's last vote per target.
type expected struct {
	mu    sync.Mutex
	final map[live.Target]map[int64]int // target → participant → value
	jury  map[int64]bool
}

func (x *expected) set(t live.Target, who live.Voter, value int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.final[t] == nil {
		x.final[t] = map[int64]int{}
	}
	x.final[t][who.ParticipantID] = value
	x.jury[who.ParticipantID] = who.Jury
}

func (x *expected) counts(t live.Target, options int, jury bool) []int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	c := make([]int64, options)
	for p, v := range x.final[t] {
		if x.jury[p] == jury {
			c[v-1]++
		}
	}
	return c
}

func TestResultsMatchAnIndependentCount(t *testing.T) {
	h := newHarness(t)
	var voters []live.Voter
	for i := 0; i < 40; i++ {
		voters = append(voters, h.join(t, i%8 == 0))
	}
	x := &expected{final: map[live.Target]map[int64]int{}, jury: map[int64]bool{}}

	// castAll has every voter vote concurrently on t, some changing their
	// mind and some replaying an earlier vote id.
	castAll := func(t *testing.T, target live.Target, options int, seed uint64) {
		t.Helper()
		var wg sync.WaitGroup
		for i, who := range voters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(seed, uint64(i)))
				first := 1 + rng.IntN(options)
				steps := []struct {
					id     string
					value  int
					status string
				}{{"a", first, live.VoteCounted}}
				last := first
				if i%3 == 0 {
					last = 1 + rng.IntN(options)
					steps = append(steps, struct {
						id     string
						value  int
						status string
					}{"b", last, live.VoteChanged})
				}
				if i%4 == 0 {
					steps = append(steps, struct {
						id     string
						value  int
						status string
					}{"a", first, live.VoteDuplicate})
				}
				for _, s := range steps {
					got, err := h.e.Vote(ctxT(t), who, live.Vote{VoteID: fmt.Sprint(target, "-", s.id), Target: target, Answer: answer(s.value)})
					if err != nil || got.Status != s.status {
						t.Errorf("voter %d %s: %q, %v; want %q", i, s.id, got.Status, err, s.status)
						return
					}
				}
				x.set(target, who, last)
			}()
		}
		wg.Wait()
	}

	h.run(t, roundDo(live.RoundStart), pollDo(live.PollOpenAction))
	for i := range h.pitches {
		if i > 0 {
			h.run(t, roundDo(live.RoundNext))
		}
		h.run(t, pitchDo(i, live.PitchOpen))
		castAll(t, h.pitchT(i), 5, uint64(i+1))
	}
	castAll(t, h.pollT(), 3, 99)
	h.run(t, roundDo(live.RoundReveal), pollDo(live.PollCloseAction))
	if t.Failed() {
		t.FailNow()
	}

	check := func(t *testing.T, res *show.Results) {
		t.Helper()
		if len(res.Rounds) != 1 || len(res.Rounds[0].Ranking) != 3 {
			t.Fatalf("results = %+v", res)
		}
		for i := range h.pitches {
			e := h.pitchResult(t, res, i)
			wantAud, wantJury := live.Summarize(x.counts(h.pitchT(i), 5, false)), live.Summarize(x.counts(h.pitchT(i), 5, true))
			if e.Audience != wantAud || e.Jury != wantJury {
				t.Fatalf("pitch %d: audience %+v jury %+v; independent count %+v / %+v", i, e.Audience, e.Jury, wantAud, wantJury)
			}
		}
		rank := res.Rounds[0].Ranking
		for i := 1; i < len(rank); i++ {
			if rank[i].Score > rank[i-1].Score || rank[i].Rank != i+1 {
				t.Fatalf("ranking out of order: %+v", rank)
			}
		}
		p := h.pollResult(t, res)
		if want := x.counts(h.pollT(), 3, false); !reflect.DeepEqual(p.Counts, want) {
			t.Fatalf("poll counts = %v, independent count %v", p.Counts, want)
		}
		if want := x.counts(h.pollT(), 3, true); !reflect.DeepEqual(p.JuryCounts, want) {
			t.Fatalf("poll jury counts = %v, independent count %v", p.JuryCounts, want)
		}
		if p.Audience.Count+p.Jury.Count != int64(len(voters)) {
			t.Fatalf("poll has %d votes, want %d", p.Audience.Count+p.Jury.Count, len(voters))
		}
	}
	res := h.results(t)
	model := h.model(t)
	t.Run("results_match_the_count", func(t *testing.T) { check(t, res) })

	t.Run("results_survive_a_restart", func(t *testing.T) {
		must(t, h.db.Close())
		h2 := startEngine(t, h.path)
		h2.ev, h2.room, h2.round, h2.pitches, h2.poll = h.ev, h.room, h.round, h.pitches, h.poll
		res2 := h2.results(t)
		check(t, res2)
		if !res2.Event.CreatedAt.Equal(res.Event.CreatedAt) {
			t.Fatalf("created_at = %v, want %v", res2.Event.CreatedAt, res.Event.CreatedAt)
		}
		res2.Event.CreatedAt = res.Event.CreatedAt
		if !reflect.DeepEqual(res2, res) {
			t.Fatalf("results after restart differ:\n%+v\n%+v", res2, res)
		}
		model2 := h2.model(t)
		model2.Event.CreatedAt = model.Event.CreatedAt
		if !reflect.DeepEqual(model2, model) {
			t.Fatalf("model after restart differs:\n%+v\n%+v", model2, model)
		}
		// Load publishes every room's state, and the next flush every tally.
		var stage show.StageState
		h2.pub.last(t, hub.RoomTopic(h.room), "stage", &stage)
		if stage.Round == nil || stage.Round.ID != h.round || len(stage.Round.Pitches) != 3 || stage.Round.Pitches[0].ID != h.pitches[0] {
			t.Fatalf("stage after restart = %+v", stage)
		}
		h2.e.FlushTallies()
		var tf live.TallyFrame
		h2.pub.last(t, hub.ControlTopic(h.ev.ID), "tally:"+h.pollT().String(), &tf)
		if !reflect.DeepEqual(tf.Counts, x.counts(h.pollT(), 3, false)) || tf.Total != int64(len(voters)) {
			t.Fatalf("tally frame after restart = %+v", tf)
		}
		// Vote ids committed before the restart are still spent.
		h2.run(t, roundDo(live.RoundHideRanking), pollDo(live.PollOpenAction))
		h2.mustVote(t, voters[1], h2.pollT(), 1, fmt.Sprint(h2.pollT(), "-a"), live.VoteDuplicate)
		if p := h2.pollResult(t, h2.results(t)); !reflect.DeepEqual(p.Counts, x.counts(h2.pollT(), 3, false)) {
			t.Fatalf("a replay after restart changed the poll: %v", p.Counts)
		}
	})
}

func TestConcurrentEditsAndVotes(t *testing.T) {
	// Meant for -race: moderator edits, votes, reads and tally flushes at once.
	h, _, _ := voting(t)
	var voters []live.Voter
	for i := 0; i < 8; i++ {
		voters = append(voters, h.join(t, i == 0))
	}
	ctx := ctxT(t)
	var writers sync.WaitGroup
	for i, who := range voters {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for n := 0; n < 30; n++ {
				if _, err := h.e.Vote(ctx, who, live.Vote{VoteID: fmt.Sprint(n), Target: h.pollT(), Answer: answer(1 + (i+n)%3)}); err != nil {
					t.Errorf("vote: %v", err)
					return
				}
			}
		}()
	}
	writers.Add(2)
	go func() {
		defer writers.Done()
		for n := 0; n < 20; n++ {
			if _, err := h.e.UpdateEvent(ctx, "mod", h.ev.Code, func(e *live.Event) error { e.Title = fmt.Sprint("Demo ", n); return nil }); err != nil {
				t.Errorf("UpdateEvent: %v", err)
				return
			}
		}
	}()
	go func() {
		defer writers.Done()
		for _, a := range []string{live.ShowResults, live.HideResults, live.ShowResults} {
			if err := h.e.PollAction(ctx, "mod", h.poll, a); err != nil {
				t.Errorf("PollAction: %v", err)
			}
		}
	}()
	stop, readerDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			h.e.FlushTallies()
			if _, err := h.e.RoomEvent(h.room); err != nil {
				t.Errorf("RoomEvent: %v", err)
				return
			}
			h.e.MyVotes(voters[0])
			h.e.Events()
		}
	}()
	writersDone := make(chan struct{})
	go func() { writers.Wait(); close(writersDone) }()
	recv(t, writersDone, "the writers")
	close(stop)
	recv(t, readerDone, "the reader")

	p := h.pollResult(t, h.results(t))
	if p.Audience.Count+p.Jury.Count != int64(len(voters)) {
		t.Fatalf("poll has %d votes, want one per voter (%d)", p.Audience.Count+p.Jury.Count, len(voters))
	}
	for i, who := range voters {
		want := 1 + (i+29)%3
		if got := h.e.MyVotes(who)[h.pollT().String()]; got != answer(want) {
			t.Fatalf("voter %d: %s, want %d", i, got, want)
		}
	}
	if m := h.model(t); m.Event.Title != "Demo 19" {
		t.Fatalf("title = %q", m.Event.Title)
	}
}

// badParticipant is a write that fails its whole batch: its event does not exist.
func badParticipant() live.WriteOp {
	return live.WriteOp{Participant: &live.Participant{ID: 424242, EventID: 987654, CreatedAt: t0}}
}

// signalOn returns a channel that receives once per enqueued op matching want.
func (h *harness) signalOn(want func(live.WriteOp) bool) <-chan struct{} {
	ch := make(chan struct{}, 16)
	h.spy.setHook(func(op live.WriteOp) {
		if want(op) {
			ch <- struct{}{}
		}
	})
	return ch
}

func isVote(op live.WriteOp) bool  { return op.Vote != nil }
func isReset(op live.WriteOp) bool { return op.Reset != nil }

type voteOutcome struct {
	status string
	err    error
}

// voteAsync casts a vote in its own goroutine and returns when it is queued.
func (h *harness) voteAsync(tb testing.TB, queued <-chan struct{}, who live.Voter, t live.Target, value int, voteID string) <-chan voteOutcome {
	tb.Helper()
	out := make(chan voteOutcome, 1)
	ctx := ctxT(tb)
	go func() {
		s, err := h.e.Vote(ctx, who, live.Vote{VoteID: voteID, Target: t, Answer: answer(value)})
		out <- voteOutcome{s.Status, err}
	}()
	recv(tb, queued, "vote "+voteID+" to be queued")
	return out
}

func TestFailedWrites(t *testing.T) {
	t.Run("failed_commit_is_busy_and_the_vote_can_be_sent_again", func(t *testing.T) {
		h, a, _ := voting(t)
		release := blockCommitter(t, h.db)
		must(t, h.db.Enqueue(badParticipant()))
		queued := h.signalOn(isVote)
		res := h.voteAsync(t, queued, a, h.pitchT(0), 4, "v1")
		release()
		if o := recv(t, res, "Vote"); live.ErrorCode(o.err) != live.EBusy {
			t.Fatalf("Vote in a failed batch = %+v, want busy", o)
		}
		if h.e.Healthy() {
			t.Fatal("engine still healthy after a failed commit")
		}
		if my := h.e.MyVotes(a); len(my) != 0 {
			t.Fatalf("MyVotes = %v after a failed commit", my)
		}
		h.mustVote(t, a, h.pitchT(0), 4, "v1", live.VoteCounted)
		if e := h.pitchResult(t, h.results(t), 0); e.Audience != (live.Summary{Count: 1, Sum: 4, Mean: 4}) {
			t.Fatalf("audience = %+v", e.Audience)
		}
	})
	t.Run("change_queued_behind_a_failed_vote_keeps_the_tally_right", func(t *testing.T) {
		// MaxBatch 2 puts the failing write and vote a in one batch, vote b in the next.
		h, a, _ := votingWith(t, store.Options{MaxBatch: 2})
		release := blockCommitter(t, h.db)
		must(t, h.db.Enqueue(badParticipant()))
		queued := h.signalOn(isVote)
		first := h.voteAsync(t, queued, a, h.pitchT(0), 3, "a")
		second := h.voteAsync(t, queued, a, h.pitchT(0), 5, "b")
		release()
		if o := recv(t, first, "vote a"); live.ErrorCode(o.err) != live.EBusy {
			t.Fatalf("vote a = %+v, want busy", o)
		}
		if o := recv(t, second, "vote b"); o.err != nil {
			t.Fatalf("vote b = %+v", o)
		}
		e := h.pitchResult(t, h.results(t), 0)
		if e.Audience != (live.Summary{Count: 1, Sum: 5, Mean: 5}) {
			t.Fatalf("audience = %+v, want the one committed vote of 5", e.Audience)
		}
		ds, err := h.db.Load(ctxT(t))
		must(t, err)
		if len(ds.Votes) != 1 || ds.Votes[0].Answer != "5" {
			t.Fatalf("stored votes = %+v", ds.Votes)
		}
	})
	t.Run("busy_reset_keeps_the_votes", func(t *testing.T) {
		h, a, _ := votingWith(t, store.Options{QueueSize: 1})
		h.mustVote(t, a, h.pitchT(0), 2, "a1", live.VoteCounted)
		release := blockCommitter(t, h.db)
		must(t, h.db.Enqueue(live.WriteOp{})) // the queue is now full
		wantCode(t, h.e.PitchAction(ctxT(t), "mod", h.pitches[0], live.ResetVotes, 0), live.EBusy)
		release()
		must(t, h.db.Flush(ctxT(t)))
		if my := h.e.MyVotes(a); my[h.pitchT(0).String()] != "2" {
			t.Fatalf("MyVotes = %v after a refused reset; the vote is still stored", my)
		}
		h.mustVote(t, a, h.pitchT(0), 4, "a2", live.VoteChanged)
		if e := h.pitchResult(t, h.results(t), 0); e.Audience != (live.Summary{Count: 1, Sum: 4, Mean: 4}) {
			t.Fatalf("audience = %+v, want the one current vote", e.Audience)
		}
	})
	t.Run("failed_reset_keeps_the_tally", func(t *testing.T) {
		h, a, _ := voting(t)
		h.mustVote(t, a, h.pitchT(0), 2, "a1", live.VoteCounted)
		release := blockCommitter(t, h.db)
		must(t, h.db.Enqueue(badParticipant()))
		queued := h.signalOn(isReset)
		done := make(chan error, 1)
		ctx := ctxT(t)
		go func() { done <- h.e.PitchAction(ctx, "mod", h.pitches[0], live.ResetVotes, 0) }()
		recv(t, queued, "the reset to be queued")
		release()
		if err := recv(t, done, "the reset"); err == nil {
			t.Fatal("reset in a failed batch succeeded")
		}
		if e := h.pitchResult(t, h.results(t), 0); e.Audience != (live.Summary{Count: 1, Sum: 2, Mean: 2}) {
			t.Fatalf("audience after a failed reset = %+v, want the stored vote", e.Audience)
		}
		if my := h.e.MyVotes(a); my[h.pitchT(0).String()] != "2" {
			t.Fatalf("MyVotes = %v after a failed reset; the vote is still stored", my)
		}
		h.mustVote(t, a, h.pitchT(0), 4, "a2", live.VoteChanged)
		if e := h.pitchResult(t, h.results(t), 0); e.Audience != (live.Summary{Count: 1, Sum: 4, Mean: 4}) {
			t.Fatalf("audience = %+v, want the one current vote", e.Audience)
		}
	})
}

func TestRun(t *testing.T) {
	t.Run("cancel_flushes_pending_tallies_and_returns", func(t *testing.T) {
		h := newHarness(t)
		// A new engine over the same store, with a tick that never comes.
		e := show.NewEngine(h.spy, h.pub, show.Options{TallyInterval: time.Hour, Now: h.clk.Now, Logger: quietLogger()})
		must(t, e.Load(ctxT(t)))
		must(t, e.RoundAction(ctxT(t), "mod", h.round, live.RoundStart))
		must(t, e.PitchAction(ctxT(t), "mod", h.pitches[0], live.PitchOpen, 0))
		p, _, err := e.Join(ctxT(t), h.ev.Code, "", "")
		must(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan struct{})
		go func() { e.Run(ctx); close(stopped) }()
		if s, err := e.Vote(ctxT(t), live.Voter{ParticipantID: p.ID, EventID: p.EventID}, live.Vote{VoteID: "v", Target: h.pitchT(0), Answer: answer(5)}); err != nil || s.Status != live.VoteCounted {
			t.Fatalf("Vote = %q, %v", s, err)
		}
		mark := h.pub.mark()
		cancel()
		recv(t, stopped, "Run to return")
		fs := h.pub.since(mark, hub.ControlTopic(h.ev.ID), "tally:"+h.pitchT(0).String())
		if len(fs) != 1 {
			t.Fatalf("%d tally frames at shutdown, want 1", len(fs))
		}
		var tf live.TallyFrame
		must(t, json.Unmarshal(fs[0].data, &tf))
		if tf.Total != 1 || tf.Counts[4] != 1 {
			t.Fatalf("final tally = %+v", tf)
		}
	})
}

// TestPhonesGetTalliesAtTheAudienceInterval: the stage gets a tally at
// every flush, the phones (the room topic) at most once per audience
// interval, and a change that waited for that interval reaches them at the
// first flush after it, though nothing changed since.
func TestPhonesGetTalliesAtTheAudienceInterval(t *testing.T) {
	h, a, j := voting(t)
	pitch := h.pitchT(0)
	h.run(t, pitchDo(0, live.ShowResults))
	key := "tally:" + pitch.String()
	room, stage := hub.RoomTopic(h.room), hub.StageTopic(h.room)
	total := func(topic string, mark int) []int64 {
		var out []int64
		for _, f := range h.pub.since(mark, topic, key) {
			var tf live.TallyFrame
			must(t, json.Unmarshal(f.data, &tf))
			out = append(out, tf.Total)
		}
		return out
	}
	h.e.FlushTallies()
	h.clk.Advance(2 * time.Second) // the phones got nothing for a while
	mark := h.pub.mark()
	h.mustVote(t, a, pitch, 4, "a1", live.VoteCounted)
	h.e.FlushTallies()
	if got := total(room, mark); fmt.Sprint(got) != "[1]" {
		t.Fatalf("phones got %v after the first vote, want [1] (nothing sent to them for a while)", got)
	}
	h.clk.Advance(100 * time.Millisecond)
	h.mustVote(t, j, pitch, 2, "j1", live.VoteCounted)
	h.e.FlushTallies()
	if got, st := total(room, mark), total(stage, mark); fmt.Sprint(got) != "[1]" || fmt.Sprint(st) != "[1 2]" {
		t.Fatalf("within the audience interval: phones %v (want [1]), stage %v (want [1 2])", got, st)
	}
	h.e.FlushTallies() // nothing new, not due yet
	h.clk.Advance(time.Second)
	h.e.FlushTallies() // due now: the second vote reaches the phones
	if got := total(room, mark); fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("after the audience interval, phones got %v, want [1 2]", got)
	}
	h.clk.Advance(2 * time.Second)
	h.e.FlushTallies()
	if got := total(room, mark); fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("with nothing changed, phones got %v, want no more frames", got)
	}
}

// TestVoteReceiptIsCanonical checks that a vote's receipt carries its answer
// as counted, in its kind's canonical form, and a replay the answer first
// counted, so that the phone shows what was counted.
func TestVoteReceiptIsCanonical(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	for _, tc := range []struct {
		poll      live.Poll
		sent, got live.Answer
	}{
		{live.Poll{Kind: live.PollMultiple, Choices: []string{"A", "B", "C"}}, "[3,1]", "[1,3]"},
		{live.Poll{Kind: live.PollWordCloud}, `["AI","ai","  Cloud   native "]`, `["AI","Cloud native"]`},
		{live.Poll{Kind: live.PollOpenText}, `"  Ship\tsmaller\n  "`, `"Ship smaller"`},
		{live.Poll{Kind: live.PollRanking, Choices: []string{"A", "B", "C"}}, "[2,3,1]", "[2,3,1]"},
		{live.Poll{Kind: live.PollChoices, Choices: []string{"A", "B"}}, "2", "2"},
	} {
		t.Run(tc.poll.Kind, func(t *testing.T) {
			poll := tc.poll
			poll.RoomID, poll.Question = h.room, "Q?"
			p, err := h.e.CreatePoll(ctx, "mod", h.ev.Code, &poll)
			must(t, err)
			must(t, h.e.PollAction(ctx, "mod", p.ID, live.PollOpenAction))
			who := h.join(t, false)
			v := live.Vote{VoteID: "v", Target: live.Target{Kind: live.KindPoll, ID: p.ID}, Answer: tc.sent}
			r, err := h.e.Vote(ctx, who, v)
			if err != nil || r.Status != live.VoteCounted || r.Answer != tc.got {
				t.Fatalf("vote %s: %+v %v, want counted %s", tc.sent, r, err, tc.got)
			}
			if r, err := h.e.Vote(ctx, who, v); err != nil || r.Status != live.VoteDuplicate || r.Answer != tc.got {
				t.Fatalf("replay of %s: %+v %v, want duplicate %s", tc.sent, r, err, tc.got)
			}
			must(t, h.e.PollAction(ctx, "mod", p.ID, live.PollCloseAction)) // one open poll per room
		})
	}
}

// TestLookups: RoomIDs and Pitch answer board and feed with what they ask,
// and not_found for an event or pitch that is not there.
func TestLookups(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	room2, err := h.e.CreateRoom(ctx, "mod", h.ev.Code, &live.Room{Name: "Side stage"})
	must(t, err)
	t.Run("room_ids_in_order", func(t *testing.T) {
		ids, err := h.e.RoomIDs(h.ev.ID)
		must(t, err)
		if len(ids) != 2 || ids[0] != min(h.room, room2.ID) || ids[1] != max(h.room, room2.ID) {
			t.Fatalf("RoomIDs = %v, want %d and %d", ids, h.room, room2.ID)
		}
	})
	t.Run("pitch_is_a_copy", func(t *testing.T) {
		p, err := h.e.Pitch(h.ev.ID, h.pitches[0])
		must(t, err)
		if p.ID != h.pitches[0] || p.RoundID != h.round {
			t.Fatalf("Pitch = %+v", p)
		}
		p.Team = "changed"
		if again, _ := h.e.Pitch(h.ev.ID, h.pitches[0]); again.Team == "changed" {
			t.Fatal("Pitch shares the engine's pitch")
		}
	})
	t.Run("unknown_is_not_found", func(t *testing.T) {
		_, err := h.e.RoomIDs(987654)
		wantCode(t, err, live.ENotFound)
		_, err = h.e.Pitch(h.ev.ID, 987654)
		wantCode(t, err, live.ENotFound)
		_, err = h.e.Pitch(987654, h.pitches[0])
		wantCode(t, err, live.ENotFound)
	})
}
