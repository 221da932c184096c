// Package figures keeps the figures of an event's life while it runs:
// the connections of every room over time (sampled from the presence the
// hub or the cluster already counts, every 10 s; per minute the peak and
// the last sample), and the joins, votes and answers committed each
// minute. It writes them to the store in one small batch a minute, never
// per vote: its counters sit on the committer's path (Wrap) and cost one
// map increment under a mutex.
//
// In a cluster only the core records, and it writes a row for every node:
// the edges already report their subscribers per topic to the cluster
// every second (cluster.Presence), so the core reads every node's counts
// there instead of sending samples of its own across the cluster. Joins,
// votes and answers are committed on the core, so they are the core's
// rows.
//
// It imports the domain (live), the hub's topic names and the running
// show's storage port, which it wraps.
package figures

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
)

// Presence gives the subscribers of every topic on every node: node name
// → topic → subscribers. A single node answers with its own name only.
type Presence interface {
	ByNode() map[string]map[string]int
}

// Places says which event and room a target or a room belongs to
// (show.Engine implements it).
type Places interface {
	Place(kind string, id int64) (eventID, roomID int64, err error)
}

// PlacesFunc is a function that implements Places.
type PlacesFunc func(kind string, id int64) (eventID, roomID int64, err error)

// Place implements Places.
func (f PlacesFunc) Place(kind string, id int64) (eventID, roomID int64, err error) {
	return f(kind, id)
}

// Store keeps the figures (store.DB implements it).
type Store interface {
	SaveFigures(ctx context.Context, figs []live.Figure) error
}

// Options configures a Recorder. Zero values take the defaults.
type Options struct {
	Node     string        // the name of the node that counts joins and votes; default "single"
	Sample   time.Duration // how often presence is sampled; default 10 s
	Flush    time.Duration // how often the finished minutes are written; default 1 min
	Now      func() time.Time
	Logger   *slog.Logger
	Presence Presence // nil: no connection figures
	Places   Places
	Store    Store
}

// rowKey names one row of figures being gathered.
type rowKey struct {
	event, room int64
	node        string
	minute      int64 // Unix time / 60
}

// Recorder gathers the figures of the events of this node (or, on a
// cluster's core, of the cluster) and writes them a minute at a time.
type Recorder struct {
	opts Options

	mu     sync.Mutex
	rows   map[rowKey]*live.Figure
	votes  map[voteKey]int          // committed votes per minute and target, not yet in rows
	joined map[int64]map[int64]bool // event → participants seen (a rename is no join)
}

// voteKey counts the votes of one target in one minute.
type voteKey struct {
	minute int64
	target live.Target
}

// New returns a Recorder; Run samples and writes until its context ends.
func New(opts Options) *Recorder {
	if opts.Node == "" {
		opts.Node = "single"
	}
	if opts.Sample <= 0 {
		opts.Sample = 10 * time.Second
	}
	if opts.Flush <= 0 {
		opts.Flush = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Recorder{opts: opts, rows: map[rowKey]*live.Figure{}, votes: map[voteKey]int{}, joined: map[int64]map[int64]bool{}}
}

// Wrap returns st with every committed write counted: a participant's
// first write is a join, a vote on a pitch a vote, a vote on a question
// an answer. Nothing else of st changes.
func (r *Recorder) Wrap(st show.Store) show.Store { return &countingStore{Store: st, r: r} }

type countingStore struct {
	show.Store
	r *Recorder
}

// Enqueue counts op once it is committed.
func (s *countingStore) Enqueue(op live.WriteOp) error {
	done := op.Done
	op.Done = func(err error) {
		if err == nil {
			s.r.count(op)
		}
		if done != nil {
			done(err)
		}
	}
	return s.Store.Enqueue(op)
}

// count adds a committed write to the current minute. It runs on the
// committer's goroutine: a map increment, no lookup of the show (Flush
// finds the votes' rooms).
func (r *Recorder) count(op live.WriteOp) {
	minute := r.opts.Now().Unix() / 60
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case op.Vote != nil:
		r.votes[voteKey{minute, op.Vote.Target}]++
	case op.Participant != nil:
		p := op.Participant
		seen := r.joined[p.EventID]
		if seen == nil {
			seen = map[int64]bool{}
			r.joined[p.EventID] = seen
		}
		if !seen[p.ID] {
			seen[p.ID] = true
			r.row(rowKey{event: p.EventID, node: r.opts.Node, minute: minute}).Joins++
		}
	}
}

// row returns the row of k, made when missing. Call with mu held.
func (r *Recorder) row(k rowKey) *live.Figure {
	f := r.rows[k]
	if f == nil {
		f = &live.Figure{EventID: k.event, RoomID: k.room, Node: k.node, Minute: time.Unix(k.minute*60, 0).UTC()}
		r.rows[k] = f
	}
	return f
}

// settleVotes moves the votes counted per target into the rows of their
// rooms. It finds the rooms without holding mu: Places locks an event of
// the show, and the show may wait on the committer, which counts under mu.
func (r *Recorder) settleVotes() {
	r.mu.Lock()
	votes := r.votes
	r.votes = map[voteKey]int{}
	r.mu.Unlock()
	type place struct{ event, room int64 }
	places := map[live.Target]place{}
	for k := range votes {
		if _, ok := places[k.target]; ok {
			continue
		}
		ev, room, err := r.opts.Places.Place(k.target.Kind, k.target.ID)
		if err != nil {
			ev = 0 // deleted since: its votes went with it
		}
		places[k.target] = place{ev, room}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, n := range votes {
		p := places[k.target]
		if p.event == 0 {
			continue
		}
		f := r.row(rowKey{event: p.event, room: p.room, node: r.opts.Node, minute: k.minute})
		if k.target.Kind == live.KindPitch {
			f.Votes += n
		} else {
			f.Answers += n
		}
	}
}

// Sample records the connections of every room on every node now: the
// subscribers of its room topic (phones) and stage topic (screens).
func (r *Recorder) Sample() {
	if r.opts.Presence == nil {
		return
	}
	minute := r.opts.Now().Unix() / 60
	type nodeRoom struct {
		node string
		room int64
	}
	conns := map[nodeRoom]int{}
	for node, topics := range r.opts.Presence.ByNode() {
		for topic, n := range topics {
			kind, id, ok := strings.Cut(topic, ":")
			if !ok || (kind != "room" && kind != "stage") {
				continue
			}
			room, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				continue
			}
			conns[nodeRoom{node, room}] += n
		}
	}
	events := map[int64]int64{} // room → event, found before taking mu (see settleVotes)
	for nr := range conns {
		if ev, _, err := r.opts.Places.Place("room", nr.room); err == nil {
			events[nr.room] = ev
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for nr, n := range conns {
		ev, ok := events[nr.room]
		if !ok {
			continue
		}
		f := r.row(rowKey{event: ev, room: nr.room, node: nr.node, minute: minute})
		f.ConnPeak, f.ConnLast = max(f.ConnPeak, n), n
	}
}

// Flush writes the rows of the minutes that are over (all of them when
// all is set, at shutdown) in one batch. Rows that fail to save are kept
// for the next flush.
func (r *Recorder) Flush(ctx context.Context, all bool) error {
	now := r.opts.Now().Unix() / 60
	r.settleVotes()
	r.mu.Lock()
	var batch []live.Figure
	for k, f := range r.rows {
		if k.minute < now || all {
			batch = append(batch, *f)
			delete(r.rows, k)
		}
	}
	r.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if err := r.opts.Store.SaveFigures(ctx, batch); err != nil {
		r.mu.Lock()
		for _, f := range batch {
			k := rowKey{event: f.EventID, room: f.RoomID, node: f.Node, minute: f.Minute.Unix() / 60}
			r.row(k).Add(f)
		}
		r.mu.Unlock()
		return err
	}
	return nil
}

// Run samples every Sample and writes every Flush until ctx ends, then
// writes what is left.
func (r *Recorder) Run(ctx context.Context) {
	sample, flush := time.NewTicker(r.opts.Sample), time.NewTicker(r.opts.Flush)
	defer sample.Stop()
	defer flush.Stop()
	r.Sample()
	for {
		select {
		case <-ctx.Done():
			saveCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := r.Flush(saveCtx, true); err != nil {
				r.opts.Logger.Warn("figures: last batch not saved", "err", err)
			}
			return
		case <-sample.C:
			r.Sample()
		case <-flush.C:
			if err := r.Flush(ctx, false); err != nil {
				r.opts.Logger.Warn("figures: batch not saved, kept for the next", "err", err)
			}
		}
	}
}

// HubPresence is the Presence of a single node: its hub's counts under
// its own name.
type HubPresence struct {
	Node   string
	Counts func() map[string]int // hub.Hub.Counts
}

// ByNode implements Presence.
func (p HubPresence) ByNode() map[string]map[string]int {
	return map[string]map[string]int{p.Node: p.Counts()}
}
