package figures_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ovation-live/ovation/figures"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
)

// committer is a show.Store whose Enqueue commits at once.
type committer struct{ show.Store }

func (committer) Enqueue(op live.WriteOp) error { op.Done(nil); return nil }

// saved keeps the batches SaveFigures received; fail makes the next fail.
type saved struct {
	mu      sync.Mutex
	batches [][]live.Figure
	fail    bool
}

func (s *saved) SaveFigures(_ context.Context, figs []live.Figure) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		s.fail = false
		return errors.New("disk full")
	}
	s.batches = append(s.batches, figs)
	return nil
}

// rows returns every saved row as text, sorted.
func (s *saved) rows() []string {
	var out []string
	for _, b := range s.batches {
		for _, f := range b {
			out = append(out, f.Minute.Format("15:04")+" "+f.Node+" room "+itoa(f.RoomID)+": peak "+itoa(int64(f.ConnPeak))+
				" last "+itoa(int64(f.ConnLast))+" joins "+itoa(int64(f.Joins))+" votes "+itoa(int64(f.Votes))+" answers "+itoa(int64(f.Answers)))
		}
	}
	slices.Sort(out)
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

type presence map[string]map[string]int

func (p *presence) ByNode() map[string]map[string]int { return *p }

// places puts rooms 1 and 2, pitch 10 (room 1) and poll 20 (room 2) in event 7.
var places = figures.PlacesFunc(func(kind string, id int64) (int64, int64, error) {
	switch {
	case kind == "room" && (id == 1 || id == 2):
		return 7, id, nil
	case kind == live.KindPitch && id == 10:
		return 7, 1, nil
	case kind == live.KindPoll && id == 20:
		return 7, 2, nil
	}
	return 0, 0, &live.Error{Code: live.ENotFound}
})

func TestRecorder(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 30, 5, 0, time.UTC)
	pres := &presence{}
	st := &saved{}
	r := figures.New(figures.Options{Node: "core", Now: func() time.Time { return now }, Presence: pres, Places: places, Store: st})
	db := r.Wrap(committer{})
	enqueue := func(op live.WriteOp) {
		t.Helper()
		op.Done = func(error) {}
		if err := db.Enqueue(op); err != nil {
			t.Fatal(err)
		}
	}
	// 09:30: two joins and a rename, three votes, two answers, samples on two nodes.
	enqueue(live.WriteOp{Participant: &live.Participant{ID: 1, EventID: 7}})
	enqueue(live.WriteOp{Participant: &live.Participant{ID: 2, EventID: 7}})
	enqueue(live.WriteOp{Participant: &live.Participant{ID: 1, EventID: 7, DisplayName: "Léa"}})
	for range 3 {
		enqueue(live.WriteOp{Vote: &live.Vote{EventID: 7, Target: live.Target{Kind: live.KindPitch, ID: 10}}})
	}
	for range 2 {
		enqueue(live.WriteOp{Vote: &live.Vote{EventID: 7, Target: live.Target{Kind: live.KindPoll, ID: 20}}})
	}
	enqueue(live.WriteOp{Vote: &live.Vote{EventID: 7, Target: live.Target{Kind: live.KindPoll, ID: 99}}}) // deleted since
	*pres = presence{"core": {"room:1": 30, "stage:1": 2, "control:7": 3}, "edge-a": {"room:1": 100}}
	r.Sample()
	*pres = presence{"core": {"room:1": 20, "stage:1": 2}, "edge-a": {"room:1": 140, "room:3": 5}}
	r.Sample()
	if err := r.Flush(t.Context(), false); err != nil || len(st.batches) != 0 {
		t.Fatalf("flush within the minute: %v, %d batches; want nothing written", err, len(st.batches))
	}
	// 09:31: the first minute is over; a failed batch is kept for the next.
	now = now.Add(time.Minute)
	r.Sample()
	st.fail = true
	if err := r.Flush(t.Context(), false); err == nil {
		t.Fatal("failed batch: no error")
	}
	if err := r.Flush(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	if err := r.Flush(t.Context(), true); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"09:30 core room 0: peak 0 last 0 joins 2 votes 0 answers 0",
		"09:30 core room 1: peak 32 last 22 joins 0 votes 3 answers 0",
		"09:30 core room 2: peak 0 last 0 joins 0 votes 0 answers 2",
		"09:30 edge-a room 1: peak 140 last 140 joins 0 votes 0 answers 0",
		"09:31 core room 1: peak 22 last 22 joins 0 votes 0 answers 0",
		"09:31 edge-a room 1: peak 140 last 140 joins 0 votes 0 answers 0",
	}
	if got := st.rows(); !slices.Equal(got, want) {
		t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(st.batches) != 2 {
		t.Errorf("%d batches, want 2: one a minute, one at the end", len(st.batches))
	}
}
