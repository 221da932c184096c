// Package show runs the show: every event of this node in memory, the
// vote path (validation by the question's kind, dedupe by vote id, the
// group commit, the tallies), the moderators' actions (lock, copy, apply
// the domain's rule, commit, publish), the quizzes' standings and the
// frames the screens, phones and moderators receive.
//
// It imports the domain (live) and the hub, which delivers its frames
// (hub.Publisher) under the hub's topic names, and declares its storage
// port, Store, which package store implements. A frame is published only
// after the store has committed what it shows. Boards and the feed ask it
// for events, room ids and pitches through interfaces of their own.
package show

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
)

// Store is what the show needs from storage. Writes of votes, resets and
// participants go through Enqueue, the group committer, which preserves
// their order; structural writes are synchronous.
type Store interface {
	Load(ctx context.Context) (*live.Dataset, error)
	SaveEvent(ctx context.Context, e *live.Event) error
	SaveRoom(ctx context.Context, r *live.Room) error
	SaveRound(ctx context.Context, r *live.Round) error
	SavePitch(ctx context.Context, p *live.Pitch) error
	DeletePitch(ctx context.Context, id int64) error
	SavePoll(ctx context.Context, p *live.Poll) error
	SaveQuiz(ctx context.Context, q *live.Quiz) error
	SaveSurvey(ctx context.Context, s *live.Survey) error
	// SaveState saves the rows an action changed and its audit entry in one
	// transaction: all of them or none.
	SaveState(ctx context.Context, st live.StateChange) error
	Audit(ctx context.Context, a live.AuditEntry) error
	// SaveDecision saves a moderator's decision on answers with its audit
	// entry, in one transaction.
	SaveDecision(ctx context.Context, d live.Decision, a live.AuditEntry) error
	// SaveUpvote records (up) or deletes a participant's upvote of an
	// answer, and reports whether that changed anything.
	SaveUpvote(ctx context.Context, u live.AnswerUpvote, up bool) (changed bool, err error)
	// Enqueue hands op to the group committer without blocking. It returns an
	// EBusy error when the queue is full or closed. op.Done is called, in
	// queue order, once op's batch is durable (nil) or has failed.
	Enqueue(op live.WriteOp) error
	// Flush waits until every op enqueued before it is durable.
	Flush(ctx context.Context) error
	// WriteFault is the storage error of the last write (the disk full, the
	// file read-only), or nil when it succeeded.
	WriteFault() error
}

// batch runs fn with the publisher's batch when it has one, else with Publish.
func (e *Engine) batch(fn func(publish func(topic, key string, frame []byte))) {
	if b, ok := e.pub.(hub.BatchPublisher); ok {
		b.Batch(fn)
		return
	}
	fn(e.pub.Publish)
}

// Options configures an Engine. Zero values take the defaults.
type Options struct {
	// TallyInterval is the coalescing period of tally frames on the stage and
	// control topics. Default 100 ms.
	TallyInterval time.Duration
	// AudienceTallyInterval is the coalescing period of tally frames on room
	// topics, which phones follow. Default 1 s.
	AudienceTallyInterval time.Duration
	Logger                *slog.Logger
	Now                   func() time.Time
}

// Engine runs every event of this node: it validates and applies moderator
// actions and votes, keeps tallies, and publishes state frames after the
// store has committed what they show.
type Engine struct {
	store Store
	pub   hub.Publisher
	opts  Options

	mu      sync.RWMutex
	byCode  map[string]*eventState
	byID    map[int64]*eventState
	owner   map[string]*eventState // "room:1", "round:2", "pitch:3", "poll:4" → owning event
	stopped bool

	frames hub.Coalescer // the tallies due, by event
}

type ballotKey struct {
	participant int64
	target      live.Target
}

type ballot struct {
	voteID string
	answer live.Answer
}

type seenKey struct {
	participant int64
	voteID      string
}

// seenVote is a vote id already used: what it voted, and its outcome.
type seenVote struct {
	target live.Target
	answer live.Answer
	wait   *voteWait
}

// voteWait lets a replayed vote id wait for the outcome of the original.
type voteWait struct {
	done chan struct{}
	err  error
}

var committedWait = func() *voteWait {
	w := &voteWait{done: make(chan struct{})}
	close(w.done)
	return w
}()

type eventState struct {
	mu      sync.Mutex // guards everything but tallies
	ev      *live.Event
	key     string                // its key in the engine's Coalescer
	flush   func(context.Context) // flushes its tallies, as marked due there (under tmu)
	rooms   map[int64]*live.Room
	rounds  map[int64]*live.Round
	pitches map[int64]*live.Pitch
	polls   map[int64]*live.Poll
	quizzes map[int64]*live.Quiz
	surveys map[int64]*live.Survey
	current map[ballotKey]ballot
	seen    map[seenKey]seenVote

	accepted atomic.Int64 // votes counted or changed since start
	rejected sync.Map     // error code → *atomic.Int64

	tmu     sync.Mutex // guards tallies, dirty, committed, names and boards; taken after mu when both are needed
	tallies map[live.Target]live.Tally
	dirty   map[live.Target]bool // changed since the last stage flush
	// audDirty changed since the last audience flush, due at audNext.
	audDirty map[live.Target]bool
	audNext  time.Time
	// committed holds each participant's committed answer per target: the
	// answer a newly committed vote replaces in the tally, which is not the
	// one current at submission when an earlier batch failed.
	committed map[ballotKey]live.Answer
	// names are the participants' display names, the named ones only (set
	// by the committer, as votes are), for the quizzes' standings.
	names  map[int64]string
	boards map[boardKey]*quizBoard // a quiz's standings as last counted
}

// WithDefaults returns o with its zero intervals set to the defaults
// noted.
func (o Options) WithDefaults() Options {
	if o.TallyInterval <= 0 {
		o.TallyInterval = 100 * time.Millisecond
	}
	if o.AudienceTallyInterval <= 0 {
		o.AudienceTallyInterval = time.Second
	}
	return o
}

// NewEngine returns an engine over store publishing to pub. Call Load, then Run.
func NewEngine(store Store, pub hub.Publisher, opts Options) *Engine {
	opts = opts.WithDefaults()
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Engine{store: store, pub: pub, opts: opts,
		byCode: map[string]*eventState{}, byID: map[int64]*eventState{}, owner: map[string]*eventState{}}
}

func newEventState(ev *live.Event) *eventState {
	return &eventState{ev: ev, key: strconv.FormatInt(ev.ID, 10), rooms: map[int64]*live.Room{}, rounds: map[int64]*live.Round{},
		pitches: map[int64]*live.Pitch{}, polls: map[int64]*live.Poll{}, quizzes: map[int64]*live.Quiz{}, surveys: map[int64]*live.Survey{}, names: map[int64]string{}, current: map[ballotKey]ballot{},
		seen: map[seenKey]seenVote{}, tallies: map[live.Target]live.Tally{}, dirty: map[live.Target]bool{}, audDirty: map[live.Target]bool{}, committed: map[ballotKey]live.Answer{},
		boards: map[boardKey]*quizBoard{}}
}

// Load reads every event from the store, rebuilds tallies from the committed
// votes and publishes each room's state.
func (e *Engine) Load(ctx context.Context) error {
	ds, err := e.store.Load(ctx)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range ds.Events {
		es := newEventState(ev)
		e.byCode[ev.Code], e.byID[ev.ID] = es, es
	}
	for _, r := range ds.Rooms {
		es := e.byID[r.EventID]
		es.rooms[r.ID] = r
		e.owner["room:"+strconv.FormatInt(r.ID, 10)] = es
	}
	for _, r := range ds.Rounds {
		es := e.byID[r.EventID]
		es.rounds[r.ID] = r
		e.owner["round:"+strconv.FormatInt(r.ID, 10)] = es
	}
	for _, p := range ds.Pitches {
		es := e.owner["round:"+strconv.FormatInt(p.RoundID, 10)]
		es.pitches[p.ID] = p
		r := es.rounds[p.RoundID]
		r.Pitches = append(r.Pitches, p)
		e.owner[live.Target{Kind: live.KindPitch, ID: p.ID}.String()] = es
		es.tallies[live.Target{Kind: live.KindPitch, ID: p.ID}] = live.NewTally(r.Definition())
	}
	for _, q := range ds.Quizzes {
		es := e.byID[q.EventID]
		es.quizzes[q.ID] = q
		e.owner[quizKey(q.ID)] = es
	}
	for _, s := range ds.Surveys {
		es := e.byID[s.EventID]
		es.surveys[s.ID] = s
		e.owner[surveyKey(s.ID)] = es
	}
	for _, p := range ds.Names {
		if es := e.byID[p.EventID]; es != nil {
			es.names[p.ID] = p.DisplayName
		}
	}
	for _, p := range ds.Polls {
		if _, err := live.KindOf(p.Kind); err != nil {
			return fmt.Errorf("load: poll %d is of kind %q, which this version of Ovation does not know", p.ID, p.Kind)
		}
		es := e.byID[p.EventID]
		es.polls[p.ID] = p
		e.owner[live.Target{Kind: live.KindPoll, ID: p.ID}.String()] = es
		es.tallies[live.Target{Kind: live.KindPoll, ID: p.ID}] = live.NewTally(p.Definition())
	}
	for _, v := range ds.Votes {
		es := e.byID[v.EventID]
		es.current[ballotKey{v.ParticipantID, v.Target}] = ballot{v.VoteID, v.Answer}
		es.committed[ballotKey{v.ParticipantID, v.Target}] = v.Answer
		if t := es.tallies[v.Target]; t != nil {
			t.Move("", v)
		}
	}
	for _, d := range ds.Decisions {
		if es := e.byID[d.EventID]; es != nil {
			if rt, ok := es.tallies[d.Target].(live.ReviewedTally); ok {
				rt.Apply(d.Decision)
			}
		}
	}
	for _, u := range ds.Upvotes {
		if es := e.byID[u.EventID]; es != nil {
			if ut, ok := es.tallies[u.Target].(live.UpvotedTally); ok {
				ut.Upvote(u.AnswerID, u.ParticipantID, true)
			}
		}
	}
	for _, m := range ds.Ledger {
		if es := e.byID[m.EventID]; es != nil {
			es.seen[seenKey{m.ParticipantID, m.VoteID}] = seenVote{m.Target, m.Answer, committedWait}
		}
	}
	for _, es := range e.byID {
		for _, r := range es.rounds {
			sort.Slice(r.Pitches, func(i, j int) bool { return r.Pitches[i].Position < r.Pitches[j].Position })
		}
		for t := range es.tallies {
			e.touch(es, t)
		}
		e.publishAll(es)
	}
	return nil
}

// Run publishes coalesced tallies every TallyInterval until ctx ends.
func (e *Engine) Run(ctx context.Context) {
	e.frames.Run(ctx, e.opts.TallyInterval)
	e.FlushTallies()
}

// FlushTallies publishes every tally changed since the last call that is
// due, and the rankings of the rounds they belong to.
func (e *Engine) FlushTallies() { e.frames.Flush(context.Background()) }

// touch marks t's tally changed: its frames go out at the next flush (the
// phones' at the audience interval). Call with es.tmu held.
func (e *Engine) touch(es *eventState, t live.Target) {
	es.dirty[t] = true
	e.due(es)
}

// due makes es's changed tallies due at the next flush. Call with es.tmu
// held (which guards es.flush, made once rather than at every vote).
func (e *Engine) due(es *eventState) {
	if es.flush == nil {
		es.flush = func(context.Context) { e.flushEvent(es, false) }
	}
	e.frames.Mark(es.key, es.flush)
}

// flushEvent publishes the tallies changed since the last flush to the
// control and stage topics, and to the room topics when the audience
// interval has passed (or force is set: after a close, a reset or a change
// of visibility, everyone gets the final state at once).
func (e *Engine) flushEvent(es *eventState, force bool) {
	es.mu.Lock()
	defer es.mu.Unlock()
	es.tmu.Lock()
	now := e.opts.Now()
	audience := (force || !now.Before(es.audNext)) && (len(es.audDirty) > 0 || len(es.dirty) > 0)
	if len(es.dirty) == 0 && !audience {
		if len(es.audDirty) > 0 { // the phones' frames wait for the audience interval: ask again at the next flush
			e.due(es)
		}
		es.tmu.Unlock()
		return
	}
	type out struct {
		key   string
		room  int64
		frame []byte
	}
	var full, stage, room []out
	rounds := map[int64]bool{}
	ms := now.UnixMilli()
	// frame builds t's frame for the moderators, the stage screens or the phones.
	const moderators, screens, phones = 0, 1, 2
	frame := func(t live.Target, to int) (out, bool) {
		r, show, ok := es.targetRoom(t)
		if !ok || (to != moderators && es.inSurvey(t)) {
			return out{}, false // a survey's results are the moderators'
		}
		v := live.FrameView{Show: show || to == moderators, Moderator: to == moderators, Phone: to == phones}
		return out{"tally:" + t.String(), r, es.tallies[t].Frame(t, v, ms)}, true
	}
	for t := range es.dirty {
		if f, ok := frame(t, moderators); ok {
			full = append(full, f)
		}
		if f, ok := frame(t, screens); ok {
			stage = append(stage, f)
		}
		if t.Kind == live.KindPitch && es.pitches[t.ID] != nil {
			rounds[es.pitches[t.ID].RoundID] = true
		}
		es.audDirty[t] = true
	}
	clear(es.dirty)
	if audience {
		for t := range es.audDirty {
			if f, ok := frame(t, phones); ok {
				room = append(room, f)
			}
		}
		clear(es.audDirty)
		// Half a tick early, so that ticker jitter never skips a due flush.
		es.audNext = now.Add(e.opts.AudienceTallyInterval - e.opts.TallyInterval/2)
	}
	if len(es.audDirty) > 0 { // the phones' frames wait for the audience interval: ask again at the next flush
		e.due(es)
	}
	es.tmu.Unlock()

	e.batch(func(publish func(topic, key string, frame []byte)) {
		for _, f := range full {
			publish(hub.ControlTopic(es.ev.ID), f.key, f.frame)
		}
		for _, f := range stage {
			publish(hub.StageTopic(f.room), f.key, f.frame)
		}
		for _, f := range room {
			publish(hub.RoomTopic(f.room), f.key, f.frame)
		}
	})
	for id := range rounds {
		e.publishRanking(es, es.rounds[id])
	}
}

// targetRoom returns the room a target is shown in and whether its results
// are public. es.mu must be held.
func (es *eventState) targetRoom(t live.Target) (room int64, show, ok bool) {
	switch t.Kind {
	case live.KindPitch:
		p := es.pitches[t.ID]
		if p == nil {
			return 0, false, false
		}
		return es.rounds[p.RoundID].RoomID, p.ShowResults, true
	case live.KindPoll:
		p := es.polls[t.ID]
		if p == nil {
			return 0, false, false
		}
		return p.RoomID, p.ShowResults, true
	}
	return 0, false, false
}

// Vote validates v, hands it to the group committer and waits until it is
// durable. Errors are EInvalid, ENotFound, EVotingClosed, EBadValue or EBusy.
func (e *Engine) Vote(ctx context.Context, who live.Voter, v live.Vote) (live.Receipt, error) {
	es := e.eventByID(who.EventID)
	if es == nil {
		return live.Receipt{}, live.Errorf(live.ENotFound, "No such event.")
	}
	r, wait, err := e.submitVote(es, who, v)
	if err != nil {
		es.reject(err)
		return live.Receipt{}, err
	}
	select {
	case <-wait.done:
	case <-ctx.Done():
		return live.Receipt{}, live.Errorf(live.EBusy, "The vote was not confirmed in time; send it again.")
	}
	if wait.err != nil {
		es.reject(wait.err)
		return live.Receipt{}, wait.err
	}
	if r.Status == "" {
		r.Status = live.VoteDuplicate
		return r, nil
	}
	es.accepted.Add(1)
	return r, nil
}

func (es *eventState) reject(err error) {
	c, _ := es.rejected.LoadOrStore(live.ErrorCode(err), new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
}

// VoteCounts returns an event's number of accepted votes (counted or
// changed, duplicates excluded) and of rejected votes by error code since start.
func (e *Engine) VoteCounts(eventID int64) (accepted int64, rejected map[string]int64) {
	rejected = map[string]int64{}
	es := e.eventByID(eventID)
	if es == nil {
		return 0, rejected
	}
	es.rejected.Range(func(k, v any) bool {
		rejected[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return es.accepted.Load(), rejected
}

// StoredVotes returns the number of votes an event holds in its store: one
// per participant and question, as the tallies count them. Unlike
// VoteCounts it survives a restart.
func (e *Engine) StoredVotes(eventID int64) int64 {
	es := e.eventByID(eventID)
	if es == nil {
		return 0
	}
	es.tmu.Lock()
	defer es.tmu.Unlock()
	return int64(len(es.committed))
}

// submitVote returns an empty status with the original's answer and wait
// for a replayed vote id.
func (e *Engine) submitVote(es *eventState, who live.Voter, v live.Vote) (live.Receipt, *voteWait, error) {
	v.ParticipantID, v.EventID, v.Jury, v.At = who.ParticipantID, who.EventID, who.Jury, e.opts.Now()
	if !v.Received.IsZero() && v.Received.Before(v.At) {
		v.At = v.Received // an edge received it then: the time a quiz counts
	}
	if err := v.ValidateShape(); err != nil {
		return live.Receipt{}, nil, err
	}
	if e.owned(v.Target.String()) != es {
		return live.Receipt{}, nil, live.Errorf(live.ENotFound, "No such %s in this event.", v.Target.Kind)
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	if sv, ok := es.seen[seenKey{v.ParticipantID, v.VoteID}]; ok {
		if sv.target != v.Target || (sv.answer != v.Answer && !es.sameAnswer(v.Target, sv.answer, v.Answer)) {
			return live.Receipt{}, nil, &live.Error{Code: live.EConflict, Field: "vote_id", Message: "This vote id was already used for another vote."}
		}
		return live.Receipt{Answer: sv.answer}, sv.wait, nil
	}
	q, err := es.accepting(v.Target, v.At)
	if err != nil {
		return live.Receipt{}, nil, err
	}
	if v.Answer, err = live.CheckAnswer(q, v.Answer); err != nil {
		return live.Receipt{}, nil, err
	}
	key := ballotKey{v.ParticipantID, v.Target}
	prev, had := es.current[key]
	if err := es.inTime(v, q, had); err != nil {
		return live.Receipt{}, nil, err
	}
	status := live.VoteCounted
	if had {
		status = live.VoteChanged
	}
	w := &voteWait{done: make(chan struct{})}
	sk := seenKey{v.ParticipantID, v.VoteID}
	vote := v
	err = e.store.Enqueue(live.WriteOp{Vote: &vote, Done: func(err error) {
		if err == nil {
			es.tmu.Lock()
			es.tallies[vote.Target].Move(es.committed[key], vote)
			es.committed[key] = vote.Answer
			e.touch(es, vote.Target)
			es.tmu.Unlock()
		} else {
			e.opts.Logger.Error("vote commit failed", "err", err)
			es.mu.Lock()
			delete(es.seen, sk)
			if es.current[key].voteID == vote.VoteID {
				if had {
					es.current[key] = prev
				} else {
					delete(es.current, key)
				}
			}
			es.mu.Unlock()
			err = live.Errorf(live.EBusy, "The vote could not be saved; send it again.")
		}
		w.err = err
		close(w.done)
	}})
	if err != nil {
		return live.Receipt{}, nil, err
	}
	es.current[key] = ballot{v.VoteID, v.Answer}
	es.seen[sk] = seenVote{v.Target, v.Answer, w}
	return live.Receipt{Status: status, Answer: v.Answer}, w, nil
}

// inTime applies the rules of a TimedKind's question q to v: the first
// answer is final (EAlreadyAnswered when had, a counted answer, is set),
// and it counts only within the time limit from the opening (ETimeUp).
func (es *eventState) inTime(v live.Vote, q live.Question, had bool) error {
	k, _ := live.KindOf(q.Kind)
	tk, ok := k.(live.TimedKind)
	if !ok {
		return nil
	}
	if had {
		return &live.Error{Code: live.EAlreadyAnswered, Field: "target", Message: "You have already answered this question: the first answer is final."}
	}
	opened := es.polls[v.Target.ID].OpenedAtMS
	if limit := tk.TimeLimit(q); v.At.UnixMilli()-opened > limit.Milliseconds() {
		return &live.Error{Code: live.ETimeUp, Field: "target", Message: fmt.Sprintf("Time is up: answers count within %d seconds.", int(limit.Seconds()))}
	}
	return nil
}

// accepting returns what t asks, or EVotingClosed when it takes no answers
// at now (a poll: while open; a survey's question: while its survey is).
func (es *eventState) accepting(t live.Target, now time.Time) (live.Question, error) {
	switch t.Kind {
	case live.KindPitch:
		if p := es.pitches[t.ID]; p != nil {
			if !p.Accepts() {
				return live.Question{}, live.Errorf(live.EVotingClosed, "Voting is not open for %q.", p.Team)
			}
			return es.rounds[p.RoundID].Definition(), nil
		}
	case live.KindPoll:
		if p := es.polls[t.ID]; p != nil {
			if s := es.surveys[p.SurveyID]; s != nil {
				if err := s.Accepts(now); err != nil {
					return live.Question{}, err
				}
				return p.Definition(), nil
			}
			if p.State != live.PollOpen {
				return live.Question{}, live.Errorf(live.EVotingClosed, "This poll is not open.")
			}
			return p.Definition(), nil
		}
	}
	return live.Question{}, live.Errorf(live.ENotFound, "No such %s in this event.", t.Kind)
}

// scores returns the tallies of r's pitches, for RankPitches. es.tmu must
// be held.
func (es *eventState) scores(r *live.Round) map[live.Target]*live.Counts {
	out := make(map[live.Target]*live.Counts, len(r.Pitches))
	for _, p := range r.Pitches {
		t := live.Target{Kind: live.KindPitch, ID: p.ID}
		if c := live.ScoresOf(es.tallies[t]); c != nil {
			out[t] = c
		}
	}
	return out
}

// sameAnswer reports whether raw, as sent, is canonical once checked by
// t's kind: the same answer written another way ([3,1] for [1,3]).
func (es *eventState) sameAnswer(t live.Target, canonical, raw live.Answer) bool {
	var q live.Question
	switch t.Kind {
	case live.KindPitch:
		if p := es.pitches[t.ID]; p != nil {
			q = es.rounds[p.RoundID].Definition()
		}
	case live.KindPoll:
		if p := es.polls[t.ID]; p != nil {
			q = p.Definition()
		}
	}
	c, err := live.CheckAnswer(q, raw)
	return err == nil && c == canonical
}

// Healthy reports whether the store's last write succeeded: a node that
// cannot write (disk full, read-only) is not, until a write succeeds again.
func (e *Engine) Healthy() bool { return e.store.WriteFault() == nil }

// MyVotes returns a participant's current answers by target ("pitch:12" → 4).
func (e *Engine) MyVotes(who live.Voter) map[string]live.Answer {
	out := map[string]live.Answer{}
	es := e.eventByID(who.EventID)
	if es == nil {
		return out
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	for k, b := range es.current {
		if k.participant == who.ParticipantID {
			out[k.target.String()] = b.answer
		}
	}
	return out
}

// MyAnswers returns what the public frames do not tell a participant of
// their answers, by target, for the kinds that tell it (PersonalTally: the
// state of one's open-text answer, the answers one upvoted).
func (e *Engine) MyAnswers(who live.Voter) map[string]any {
	out := map[string]any{}
	es := e.eventByID(who.EventID)
	if es == nil {
		return out
	}
	es.tmu.Lock()
	defer es.tmu.Unlock()
	for t, tally := range es.tallies {
		if pt, ok := tally.(live.PersonalTally); ok {
			if m := pt.Personal(who.ParticipantID); m != nil {
				out[t.String()] = m
			}
		}
	}
	return out
}

// UpvoteAnswer records (up) or withdraws a participant's upvote of answer
// id of poll t while it is open, once stored, and returns the answer's
// upvotes; the tally frames follow at the next tick. Doing it twice is
// doing it once. Errors: ENotFound (no such poll in the participant's
// event, or no such answer on screen), EInvalid (the kind has no upvotes),
// EVotingClosed, EForbidden (one's own answer).
func (e *Engine) UpvoteAnswer(ctx context.Context, who live.Voter, t live.Target, id string, up bool) (int, error) {
	es := e.owned(t.String())
	if es == nil || t.Kind != live.KindPoll || es.ev.ID != who.EventID {
		return 0, live.Errorf(live.ENotFound, "No such poll in your event.")
	}
	es.mu.Lock()
	p := es.polls[t.ID]
	kind, open := p.Kind, p.State == live.PollOpen
	es.mu.Unlock()
	es.tmu.Lock()
	ut, ok := es.tallies[t].(live.UpvotedTally)
	var err error
	switch {
	case !ok:
		err = live.Errorf(live.EInvalid, "The answers of a %s question take no upvotes.", kind)
	case !open:
		err = live.Errorf(live.EVotingClosed, "This question is closed: upvotes are counted while it is open.")
	case up:
		err = ut.CanUpvote(id, who.ParticipantID)
	}
	es.tmu.Unlock()
	if err != nil {
		return 0, err
	}
	changed, err := e.store.SaveUpvote(ctx, live.AnswerUpvote{EventID: es.ev.ID, Target: t, AnswerID: id, ParticipantID: who.ParticipantID, At: e.opts.Now().UTC()}, up)
	if err != nil {
		return 0, err
	}
	es.tmu.Lock()
	defer es.tmu.Unlock()
	n := ut.Upvote(id, who.ParticipantID, up)
	if changed {
		e.touch(es, t)
	}
	return n, nil
}

// Join creates a participant of the event with the given code. A non-empty
// juryCode must match the event's jury code (EForbidden otherwise).
func (e *Engine) Join(ctx context.Context, code, displayName, juryCode string) (*live.Participant, *live.Event, error) {
	es := e.eventByCode(code)
	if es == nil {
		return nil, nil, live.Errorf(live.ENotFound, "No event with code %q.", live.NormalizeCode(code))
	}
	who := live.Participant{DisplayName: displayName}
	if err := who.Validate(); err != nil {
		return nil, nil, err
	}
	es.mu.Lock()
	ev := *es.ev
	es.mu.Unlock()
	jury := false
	if juryCode != "" {
		if ev.JuryCode == "" || live.NormalizeCode(juryCode) != ev.JuryCode {
			return nil, nil, &live.Error{Code: live.EForbidden, Field: "jury_code", Message: "This jury code is not valid."}
		}
		jury = true
	}
	p := &live.Participant{ID: randomID(), EventID: ev.ID, DisplayName: who.DisplayName, Jury: jury, CreatedAt: e.opts.Now().UTC()}
	done := make(chan error, 1)
	if err := e.store.Enqueue(live.WriteOp{Participant: p, Done: func(err error) {
		if err == nil && p.DisplayName != "" {
			es.tmu.Lock()
			es.names[p.ID] = p.DisplayName
			es.tmu.Unlock()
		}
		done <- err
	}}); err != nil {
		return nil, nil, err
	}
	select {
	case err := <-done:
		if err != nil {
			return nil, nil, err
		}
	case <-ctx.Done():
		return nil, nil, live.Errorf(live.EBusy, "Joining took too long; try again.")
	}
	return p, &ev, nil
}

// Rename gives the participant who its new display name (empty:
// anonymous), as a returning phone chose it: a quiz's leaderboard shows it.
// It returns once the name is durable; errors are EInvalid (field
// display_name), ENotFound and EBusy.
func (e *Engine) Rename(ctx context.Context, who live.Voter, displayName string) error {
	es := e.eventByID(who.EventID)
	if es == nil {
		return live.Errorf(live.ENotFound, "No such event.")
	}
	p := &live.Participant{ID: who.ParticipantID, EventID: who.EventID, DisplayName: displayName, Jury: who.Jury, CreatedAt: e.opts.Now().UTC()}
	if err := p.Validate(); err != nil {
		return err
	}
	done := make(chan error, 1)
	if err := e.store.Enqueue(live.WriteOp{Participant: p, Done: func(err error) {
		if err == nil {
			es.tmu.Lock()
			if p.DisplayName == "" {
				delete(es.names, p.ID)
			} else {
				es.names[p.ID] = p.DisplayName
			}
			clear(es.boards) // the standings show names
			es.tmu.Unlock()
		}
		done <- err
	}}); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return live.Errorf(live.EBusy, "Renaming took too long; try again.")
	}
}

func randomID() int64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return int64(binary.BigEndian.Uint64(b[:])>>12) + 1 // < 2^52, exact in JavaScript numbers
}

func (e *Engine) eventByCode(code string) *eventState {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.byCode[live.NormalizeCode(code)]
}

func (e *Engine) eventByID(id int64) *eventState {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.byID[id]
}

func (e *Engine) owned(key string) *eventState {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.owner[key]
}

func (e *Engine) setOwner(key string, es *eventState) {
	e.mu.Lock()
	e.owner[key] = es
	e.mu.Unlock()
}

// Event returns a copy of the event with the given code.
func (e *Engine) Event(code string) (*live.Event, error) {
	es := e.eventByCode(code)
	if es == nil {
		return nil, live.Errorf(live.ENotFound, "No event with code %q.", live.NormalizeCode(code))
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	ev := *es.ev
	return &ev, nil
}

// Events returns copies of every event, oldest first.
func (e *Engine) Events() []live.Event {
	e.mu.RLock()
	all := make([]*eventState, 0, len(e.byID))
	for _, es := range e.byID {
		all = append(all, es)
	}
	e.mu.RUnlock()
	out := make([]live.Event, 0, len(all))
	for _, es := range all {
		es.mu.Lock()
		out = append(out, *es.ev)
		es.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// RoomEvent returns the id of the event owning the room, or ENotFound.
func (e *Engine) RoomEvent(roomID int64) (int64, error) {
	es := e.owned("room:" + strconv.FormatInt(roomID, 10))
	if es == nil {
		return 0, live.Errorf(live.ENotFound, "No room %d.", roomID)
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	return es.ev.ID, nil
}

// EventCode returns the code of the event with the given id, or ENotFound:
// for who names an event it keeps by id, without a copy of its model.
func (e *Engine) EventCode(id int64) (string, error) {
	es := e.eventByID(id)
	if es == nil {
		return "", live.Errorf(live.ENotFound, "No event %d.", id)
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	return es.ev.Code, nil
}

// RoomIDs returns the ids of the event's rooms in ascending order, or
// ENotFound when there is no event with that id.
func (e *Engine) RoomIDs(eventID int64) ([]int64, error) {
	es := e.eventByID(eventID)
	if es == nil {
		return nil, live.Errorf(live.ENotFound, "No event %d.", eventID)
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	ids := make([]int64, 0, len(es.rooms))
	for id := range es.rooms {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// Pitch returns a copy of the event's pitch with the given id. Errors:
// not_found (no such event, or no such pitch in it).
func (e *Engine) Pitch(eventID, id int64) (*live.Pitch, error) {
	es := e.eventByID(eventID)
	if es == nil {
		return nil, live.Errorf(live.ENotFound, "No event %d.", eventID)
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	p := es.pitches[id]
	if p == nil {
		return nil, live.Errorf(live.ENotFound, "No pitch %d in this event.", id)
	}
	c := *p
	return &c, nil
}

// Model is an event's whole structure, as the control page edits it.
type Model struct {
	Event    live.Event    `json:"event"`
	JuryCode string        `json:"jury_code"`
	Rooms    []live.Room   `json:"rooms"`
	Rounds   []live.Round  `json:"rounds"`
	Polls    []live.Poll   `json:"polls"`
	Quizzes  []live.Quiz   `json:"quizzes"`
	Surveys  []live.Survey `json:"surveys"`
}

// Model returns the event's structure, or ENotFound.
func (e *Engine) Model(code string) (*Model, error) {
	es := e.eventByCode(code)
	if es == nil {
		return nil, live.Errorf(live.ENotFound, "No event with code %q.", live.NormalizeCode(code))
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	return es.model(), nil
}

// ModelByID returns a copy of the model of the event with the given id:
// for services that keep an event by id, as its code may be renamed.
func (e *Engine) ModelByID(id int64) (*Model, error) {
	es := e.eventByID(id)
	if es == nil {
		return nil, live.Errorf(live.ENotFound, "No event %d.", id)
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	return es.model(), nil
}

func (es *eventState) model() *Model {
	m := &Model{Event: *es.ev, JuryCode: es.ev.JuryCode, Rooms: []live.Room{}, Rounds: []live.Round{}, Polls: []live.Poll{}, Quizzes: []live.Quiz{}, Surveys: []live.Survey{}}
	for _, r := range es.rooms {
		m.Rooms = append(m.Rooms, *r)
	}
	for _, r := range es.rounds {
		m.Rounds = append(m.Rounds, es.roundCopy(r))
	}
	for _, p := range es.polls {
		m.Polls = append(m.Polls, *p)
	}
	for _, q := range es.quizzes {
		m.Quizzes = append(m.Quizzes, es.quizCopy(q))
	}
	for _, s := range es.surveys {
		m.Surveys = append(m.Surveys, es.surveyCopy(s))
	}
	sort.Slice(m.Surveys, func(i, j int) bool { return m.Surveys[i].ID < m.Surveys[j].ID })
	sort.Slice(m.Quizzes, func(i, j int) bool { return m.Quizzes[i].ID < m.Quizzes[j].ID })
	sort.Slice(m.Rooms, func(i, j int) bool { return m.Rooms[i].ID < m.Rooms[j].ID })
	sort.Slice(m.Rounds, func(i, j int) bool { return m.Rounds[i].ID < m.Rounds[j].ID })
	sort.Slice(m.Polls, func(i, j int) bool { return m.Polls[i].ID < m.Polls[j].ID })
	return m
}

// roundCopy deep-copies r so that frames and callers never share it.
func (es *eventState) roundCopy(r *live.Round) live.Round {
	c := *r
	c.Pitches = make([]*live.Pitch, len(r.Pitches))
	for i, p := range r.Pitches {
		pc := *p
		c.Pitches[i] = &pc
	}
	return c
}

// publishAll publishes the model and every room's stage. es.mu must be held
// (or es not yet shared).
func (e *Engine) publishAll(es *eventState) {
	e.publishModel(es)
	for _, r := range es.rooms {
		e.publishStage(es, r)
	}
	for _, r := range es.rounds {
		e.publishRanking(es, r)
	}
	for _, q := range es.quizzes {
		e.publishQuiz(es, q)
	}
	for _, s := range es.surveys {
		e.publishSurvey(es, s)
	}
}

func (e *Engine) publishModel(es *eventState) {
	e.pub.Publish(hub.ControlTopic(es.ev.ID), "model", live.MustJSON(struct {
		Type       string `json:"type"`
		ServerTime int64  `json:"server_time"`
		*Model
	}{"model", e.opts.Now().UnixMilli(), es.model()}))
}

// StageState is what a room's screens show: the event's public face, the
// active round with its pitches, the polls that are open or closed
// (without their correct answer until it is revealed), and the room's
// running quiz, which takes the screens while it runs. Kinds names the
// kinds of the room's questions still to come (its drafts, a quiz's
// questions not asked yet) and nothing else of them, so that a page can
// load what they need before they open.
type StageState struct {
	Type       string      `json:"type"`
	ServerTime int64       `json:"server_time"`
	Event      live.Event  `json:"event"`
	Room       live.Room   `json:"room"`
	Round      *live.Round `json:"round"`
	Polls      []live.Poll `json:"polls"`
	Quiz       *live.Quiz  `json:"quiz"`
	Kinds      []string    `json:"kinds"`
}

func (e *Engine) publishStage(es *eventState, room *live.Room) {
	s := StageState{Type: "stage", ServerTime: e.opts.Now().UnixMilli(), Event: *es.ev, Room: *room, Polls: []live.Poll{}}
	if r := es.rounds[room.ActiveRoundID]; r != nil {
		rc := es.roundCopy(r)
		s.Round = &rc
	}
	s.Kinds = []string{}
	for _, p := range es.polls {
		switch {
		case p.RoomID != room.ID || p.SurveyID != 0:
		case p.State != live.PollDraft:
			s.Polls = append(s.Polls, p.Public())
		case !slices.Contains(s.Kinds, p.Kind):
			s.Kinds = append(s.Kinds, p.Kind)
		}
	}
	slices.Sort(s.Kinds)
	sort.Slice(s.Polls, func(i, j int) bool {
		return s.Polls[i].Position < s.Polls[j].Position || (s.Polls[i].Position == s.Polls[j].Position && s.Polls[i].ID < s.Polls[j].ID)
	})
	for _, q := range es.quizzes {
		if q.RoomID == room.ID && q.State == live.QuizRunning {
			c := es.quizCopy(q)
			s.Quiz = &c
		}
	}
	b := live.MustJSON(s)
	e.pub.Publish(hub.RoomTopic(room.ID), "stage", b)
	e.pub.Publish(hub.StageTopic(room.ID), "stage", b)
	e.pub.Publish(hub.ControlTopic(es.ev.ID), "stage:"+strconv.FormatInt(room.ID, 10), b)
}

// RankingFrame is a round's ranking as published.
type RankingFrame struct {
	Type       string `json:"type"`
	RoundID    int64  `json:"round_id"`
	Revealed   bool   `json:"revealed"`
	JuryWeight int    `json:"jury_weight"`
	// Places is the number of places of the ranking (one per pitch);
	// RevealedPlaces how many of them, from the last up, are revealed.
	Places         int              `json:"places"`
	RevealedPlaces int              `json:"revealed_places"`
	Entries        []live.RankEntry `json:"entries"`
}

// publishRanking sends the ranking preview to the control topic, and to the
// room the places revealed (none while the ranking is hidden). es.mu must be held.
func (e *Engine) publishRanking(es *eventState, r *live.Round) {
	es.tmu.Lock()
	entries := live.RankPitches(r.Pitches, es.scores(r), es.ev.JuryWeight)
	es.tmu.Unlock()
	key := "ranking:" + strconv.FormatInt(r.ID, 10)
	n := len(entries)
	revealed := 0
	if r.RankingRevealed {
		revealed = min(r.RevealedPlaces, n)
	}
	full := RankingFrame{"ranking", r.ID, r.RankingRevealed, es.ev.JuryWeight, n, revealed, entries}
	e.pub.Publish(hub.ControlTopic(es.ev.ID), key, live.MustJSON(full))
	full.Entries = entries[n-revealed:]
	public := live.MustJSON(full)
	e.pub.Publish(hub.RoomTopic(r.RoomID), key, public)
	e.pub.Publish(hub.StageTopic(r.RoomID), key, public)
}

// Place returns the event and room of a room, round, pitch, poll, quiz or
// survey (kind "room", "round", "pitch", "poll", "quiz" or "survey"), or ENotFound: what a role for a room
// is checked against.
func (e *Engine) Place(kind string, id int64) (eventID, roomID int64, err error) {
	key := kind + ":" + strconv.FormatInt(id, 10)
	es := e.owned(key)
	if es == nil {
		return 0, 0, live.Errorf(live.ENotFound, "No %s %d.", kind, id)
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	switch kind {
	case "room":
		if r := es.rooms[id]; r != nil {
			return es.ev.ID, r.ID, nil
		}
	case "round":
		if r := es.rounds[id]; r != nil {
			return es.ev.ID, r.RoomID, nil
		}
	case "pitch":
		if p := es.pitches[id]; p != nil {
			if r := es.rounds[p.RoundID]; r != nil {
				return es.ev.ID, r.RoomID, nil
			}
		}
	case "poll":
		if p := es.polls[id]; p != nil {
			return es.ev.ID, p.RoomID, nil
		}
	case "quiz":
		if q := es.quizzes[id]; q != nil {
			return es.ev.ID, q.RoomID, nil
		}
	case "survey":
		if s := es.surveys[id]; s != nil {
			return es.ev.ID, s.RoomID, nil
		}
	}
	return 0, 0, live.Errorf(live.ENotFound, "No %s %d.", kind, id)
}
