// Package board owns Ovation's audience boards and meeting requests: boards
// of questions or ideas per event or room, the entries the audience submits
// and upvotes, their moderation (approve, reject, merge, answer, pin,
// highlight), their sorting, the poll made from a board's top entries, the
// frames that show boards on stage, phones and the control page, and the
// requests to meet a pitch's team.
//
// It imports the domain package live and the hub (the publisher, the
// coalescer, the topic names). Storage is reached through the Store
// interface below (implemented by package store); events, their rooms and
// pitches, and polls through Directory (the running show).
package board

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/ratelimit"
)

// Store is what boards need from storage.
type Store interface {
	SaveBoard(ctx context.Context, b *live.Board, a *live.AuditEntry) error
	DeleteBoard(ctx context.Context, id int64, a *live.AuditEntry) error
	Board(ctx context.Context, eventID, id int64) (live.Board, error)
	Boards(ctx context.Context, eventID int64) ([]live.Board, error)
	AddEntry(ctx context.Context, e *live.Entry) error
	Entry(ctx context.Context, eventID, id int64) (live.Entry, error)
	Entries(ctx context.Context, boardID int64, statuses []string, participant int64) ([]live.Entry, error)
	SaveEntryDecision(ctx context.Context, e *live.Entry, a *live.AuditEntry) error
	MergeEntry(ctx context.Context, e *live.Entry, a *live.AuditEntry) error
	Upvote(ctx context.Context, entryID, participant int64, status string, at time.Time) (bool, error)
	HasUpvoted(ctx context.Context, entryID, participant int64) (bool, error)
	RetractUpvote(ctx context.Context, entryID, participant int64) (bool, error)
	SaveMeetingRequest(ctx context.Context, m *live.MeetingRequest) error
	DeleteMeetingRequest(ctx context.Context, eventID, pitchID, participant int64) (bool, error)
	MeetingRequests(ctx context.Context, eventID, pitchID int64) ([]live.MeetingRequest, error)
}

// Directory is what boards need of the running show: events, their rooms
// and pitches, and creating a poll. Boards keep an event by id, as its code
// may be renamed.
type Directory interface {
	Event(code string) (*live.Event, error)
	Events() []live.Event
	RoomIDs(eventID int64) ([]int64, error)
	Pitch(eventID, id int64) (*live.Pitch, error)
	CreatePoll(ctx context.Context, actor, code string, p *live.Poll) (*live.Poll, error)
}

// Options configures a Service. Zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// FrameInterval coalesces board frames: at most one per board and topic
	// every interval. Default 250 ms.
	FrameInterval time.Duration
	// PublicSize bounds the approved entries in a room's board frame
	// (default 20, at most live.MaxBoardPublicList); QueueSize the entries
	// of the control frame (default 200).
	PublicSize int
	QueueSize  int
	// EntryRate and EntryBurst limit submissions per participant: default
	// one every 20 s, burst 3.
	EntryRate  float64
	EntryBurst int
	// HalfLife of an upvote in the trending score; default live.DefaultHalfLife (10 min).
	HalfLife time.Duration
}

// Service runs the boards and meeting requests of every event.
type Service struct {
	store Store
	dir   Directory
	pub   hub.Publisher
	opts  Options

	// modMu serialises moderator decisions, so that each reads and writes
	// an entry's state without a concurrent decision in between.
	modMu sync.Mutex

	entryLimit *ratelimit.Keyed[int64] // entries per participant

	frames hub.Coalescer // by board
}

// New returns a board service. Call Run to publish frames every
// FrameInterval; without Run, FlushFrames publishes them.
func New(store Store, dir Directory, pub hub.Publisher, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FrameInterval <= 0 {
		opts.FrameInterval = 250 * time.Millisecond
	}
	if opts.PublicSize <= 0 || opts.PublicSize > live.MaxBoardPublicList {
		opts.PublicSize = 20
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 200
	}
	if opts.EntryRate <= 0 {
		opts.EntryRate = 1.0 / 20
	}
	if opts.EntryBurst <= 0 {
		opts.EntryBurst = 3
	}
	if opts.HalfLife <= 0 {
		opts.HalfLife = live.DefaultHalfLife
	}
	return &Service{store: store, dir: dir, pub: pub, opts: opts, entryLimit: ratelimit.New[int64](opts.EntryRate, opts.EntryBurst)}
}

// Participant is who submits, upvotes or requests a meeting: taken from a
// verified token.
type Participant struct {
	ID      int64
	EventID int64
}

// event returns the event, checking that who belongs to it.
func (s *Service) event(code string, who *Participant) (*live.Event, error) {
	ev, err := s.dir.Event(code)
	if err != nil {
		return nil, err
	}
	if who != nil && who.EventID != ev.ID {
		return nil, live.Errorf(live.EForbidden, "This participant token is for another event.")
	}
	return ev, nil
}

func (s *Service) auditEntry(ev *live.Event, actor, action, target, detail string) *live.AuditEntry {
	return &live.AuditEntry{EventID: ev.ID, Actor: actor, Action: action, Target: target, Detail: detail, At: s.opts.Now().UTC()}
}

// hasRoom reports whether roomID is a room of the event.
func (s *Service) hasRoom(eventID, roomID int64) (bool, error) {
	rooms, err := s.dir.RoomIDs(eventID)
	return slices.Contains(rooms, roomID), err
}

// --- Boards -----------------------------------------------------------------

// CreateBoard adds a board to the event. Errors: not_found (event), invalid
// (a field; room_id not a room of the event; more than live.MaxBoardsPerEvent).
func (s *Service) CreateBoard(ctx context.Context, actor, code string, b live.Board) (*live.Board, error) {
	ev, err := s.event(code, nil)
	if err != nil {
		return nil, err
	}
	b.ID, b.EventID, b.HighlightID, b.PollID, b.CreatedAt = 0, ev.ID, 0, 0, s.opts.Now().UTC().Truncate(time.Millisecond)
	if err := s.checkBoard(ev, &b); err != nil {
		return nil, err
	}
	s.modMu.Lock()
	defer s.modMu.Unlock()
	all, err := s.store.Boards(ctx, ev.ID)
	if err != nil {
		return nil, err
	}
	if len(all) >= live.MaxBoardsPerEvent {
		return nil, live.Errorf(live.EInvalid, "An event has at most %d boards.", live.MaxBoardsPerEvent)
	}
	if err := s.store.SaveBoard(ctx, &b, s.auditEntry(ev, actor, "create_board", "board:0", b.Title)); err != nil {
		return nil, err
	}
	s.markDirty(b.ID, b.EventID)
	return &b, nil
}

func (s *Service) checkBoard(ev *live.Event, b *live.Board) error {
	if err := b.Validate(); err != nil {
		return err
	}
	if b.RoomID == 0 {
		return nil
	}
	if ok, err := s.hasRoom(ev.ID, b.RoomID); err != nil {
		return err
	} else if !ok {
		return live.FieldErrorf("room_id", "No room %d in this event.", b.RoomID)
	}
	return nil
}

// UpdateBoard applies edit to a copy of the board (title, room, moderation,
// open, max_len), validates and saves it. Errors as CreateBoard.
func (s *Service) UpdateBoard(ctx context.Context, actor, code string, id int64, edit func(*live.Board)) (*live.Board, error) {
	ev, err := s.event(code, nil)
	if err != nil {
		return nil, err
	}
	s.modMu.Lock()
	defer s.modMu.Unlock()
	old, err := s.store.Board(ctx, ev.ID, id)
	if err != nil {
		return nil, err
	}
	b := old
	edit(&b)
	b.ID, b.EventID, b.HighlightID, b.PollID, b.CreatedAt = old.ID, old.EventID, old.HighlightID, old.PollID, old.CreatedAt
	if err := s.checkBoard(ev, &b); err != nil {
		return nil, err
	}
	s.frames.Exclusive(func() { // the old room's frames are cleared before any flush shows the new one
		if err = s.store.SaveBoard(ctx, &b, s.auditEntry(ev, actor, "update_board", boardTarget(id), b.Title)); err != nil {
			return
		}
		s.markDirty(b.ID, b.EventID)
		if old.RoomID != b.RoomID {
			s.clearFrames(old) // the old room's screens stop showing it
		}
	})
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// DeleteBoard deletes a board with its entries and upvotes.
func (s *Service) DeleteBoard(ctx context.Context, actor, code string, id int64) error {
	ev, err := s.event(code, nil)
	if err != nil {
		return err
	}
	s.modMu.Lock()
	defer s.modMu.Unlock()
	b, err := s.store.Board(ctx, ev.ID, id)
	if err != nil {
		return err
	}
	s.frames.Exclusive(func() { // no flush may publish the board after its removal
		if err = s.store.DeleteBoard(ctx, id, s.auditEntry(ev, actor, "delete_board", boardTarget(id), b.Title)); err == nil {
			s.clearFrames(b)
		}
	})
	return err
}

// Boards returns the event's boards, oldest first.
func (s *Service) Boards(ctx context.Context, code string) ([]live.Board, error) {
	ev, err := s.event(code, nil)
	if err != nil {
		return nil, err
	}
	return s.store.Boards(ctx, ev.ID)
}

func boardTarget(id int64) string { return "board:" + strconv.FormatInt(id, 10) }
func entryTarget(id int64) string { return "entry:" + strconv.FormatInt(id, 10) }

// Entries returns a board's entries sorted by order (live.SortEntries).
// Public lists hold approved and answered entries only, with Upvoted set
// for who (if not nil); moderator lists hold every entry.
func (s *Service) Entries(ctx context.Context, code string, boardID int64, order string, public bool, who *Participant) ([]live.Entry, error) {
	ev, err := s.event(code, who)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.Board(ctx, ev.ID, boardID); err != nil {
		return nil, err
	}
	return s.entries(ctx, boardID, order, public, who)
}

func (s *Service) entries(ctx context.Context, boardID int64, order string, public bool, who *Participant) ([]live.Entry, error) {
	var statuses []string
	var pid int64
	if public {
		statuses = []string{live.EntryApproved, live.EntryAnswered}
		if who != nil {
			pid = who.ID
		}
	}
	es, err := s.store.Entries(ctx, boardID, statuses, pid)
	if err != nil {
		return nil, err
	}
	if err := live.SortEntries(es, order, s.opts.Now(), s.opts.HalfLife); err != nil {
		return nil, err
	}
	return es, nil
}

// --- Participants -----------------------------------------------------------

// Submit adds an entry by who to an open board: pending on a pre-moderated
// board, approved on a post-moderated one. displayName empty: anonymous.
// Errors: not_found (event, board), forbidden (another event's token),
// invalid_transition (board closed), invalid (text, display_name),
// rate_limited.
func (s *Service) Submit(ctx context.Context, code string, who Participant, boardID int64, text, displayName string) (*live.Entry, error) {
	ev, err := s.event(code, &who)
	if err != nil {
		return nil, err
	}
	b, err := s.store.Board(ctx, ev.ID, boardID)
	if err != nil {
		return nil, err
	}
	if !b.Open {
		return nil, live.Errorf(live.ETransition, "This board does not take new entries now.")
	}
	text, displayName, err = live.ValidateEntryText(&b, text, displayName)
	if err != nil {
		return nil, err
	}
	if wait := s.entryLimit.Wait(who.ID, s.opts.Now()); wait > 0 {
		return nil, &live.Error{Code: live.ERateLimited, Message: "You are sending entries too fast; try again in a few seconds.", RetryAfter: wait}
	}
	e := &live.Entry{BoardID: b.ID, EventID: b.EventID, ParticipantID: who.ID, DisplayName: displayName, Text: text,
		Status: live.EntryPending, CreatedAt: s.opts.Now().UTC().Truncate(time.Millisecond)}
	if b.Moderation == live.ModerationPost {
		e.Status = live.EntryApproved
	}
	if err := s.store.AddEntry(ctx, e); err != nil {
		return nil, err
	}
	s.markDirty(b.ID, b.EventID)
	return e, nil
}

// Upvote records who's upvote of an approved entry; a second upvote changes
// nothing. It returns the entry's upvote count. Errors: not_found (entry
// not public in this event), invalid_transition (answered or merged),
// forbidden (another event's token).
func (s *Service) Upvote(ctx context.Context, code string, who Participant, entryID int64) (int, error) {
	ev, err := s.event(code, &who)
	if err != nil {
		return 0, err
	}
	e, err := s.publicEntry(ctx, ev, entryID)
	if err != nil {
		return 0, err
	}
	added, err := s.store.Upvote(ctx, e.ID, who.ID, live.EntryApproved, s.opts.Now())
	if err != nil {
		return 0, err
	}
	if !added { // already upvoted, or the entry left approved meanwhile
		if ok, err := s.store.HasUpvoted(ctx, e.ID, who.ID); err != nil || !ok {
			if err == nil {
				err = live.Errorf(live.ETransition, "This entry no longer takes upvotes.")
			}
			return 0, err
		}
	}
	s.markDirty(e.BoardID, e.EventID)
	return s.count(ctx, ev, e.ID)
}

// Retract deletes who's upvote of an entry, if any, and returns the count.
// Errors as Upvote, but answered entries may be retracted from.
func (s *Service) Retract(ctx context.Context, code string, who Participant, entryID int64) (int, error) {
	ev, err := s.event(code, &who)
	if err != nil {
		return 0, err
	}
	e, err := s.store.Entry(ctx, ev.ID, entryID)
	if err != nil {
		return 0, err
	}
	if !e.Public() && e.Status != live.EntryMerged {
		return 0, live.Errorf(live.ENotFound, "No entry %d in this event.", entryID)
	}
	if _, err := s.store.RetractUpvote(ctx, e.ID, who.ID); err != nil {
		return 0, err
	}
	s.markDirty(e.BoardID, e.EventID)
	return s.count(ctx, ev, e.ID)
}

func (s *Service) publicEntry(ctx context.Context, ev *live.Event, id int64) (live.Entry, error) {
	e, err := s.store.Entry(ctx, ev.ID, id)
	if err != nil {
		return e, err
	}
	switch e.Status {
	case live.EntryApproved:
		return e, nil
	case live.EntryAnswered:
		return e, live.Errorf(live.ETransition, "This entry was answered; it takes no more upvotes.")
	case live.EntryMerged:
		return e, &live.Error{Code: live.ETransition, Message: fmt.Sprintf("This entry was merged into entry %d; upvote that one.", e.MergedInto)}
	}
	return e, live.Errorf(live.ENotFound, "No entry %d in this event.", id)
}

func (s *Service) count(ctx context.Context, ev *live.Event, id int64) (int, error) {
	e, err := s.store.Entry(ctx, ev.ID, id)
	return e.Upvotes, err
}

// --- Moderation -------------------------------------------------------------

// Decide runs a moderator action on an entry (live.EntryApprove, …; for
// live.EntryMerge, into names the entry it duplicates) and audits it.
// Errors: not_found (entry, or into), invalid (action, into),
// invalid_transition (not allowed in the entry's state; nothing changes).
func (s *Service) Decide(ctx context.Context, actor, code string, entryID int64, action string, into int64) (*live.Entry, error) {
	ev, err := s.event(code, nil)
	if err != nil {
		return nil, err
	}
	s.modMu.Lock()
	defer s.modMu.Unlock()
	e, err := s.store.Entry(ctx, ev.ID, entryID)
	if err != nil {
		return nil, err
	}
	e.DecidedBy, e.DecidedAt = actor, s.opts.Now().UTC().Truncate(time.Millisecond)
	if action == live.EntryMerge {
		if into <= 0 {
			return nil, live.FieldErrorf("into", "merge needs the entry to merge into (into).")
		}
		target, err := s.store.Entry(ctx, ev.ID, into)
		if err != nil {
			return nil, err
		}
		if err := e.Merge(&target); err != nil {
			return nil, err
		}
		a := s.auditEntry(ev, actor, "merge_entry", entryTarget(e.ID), "into "+entryTarget(into))
		if err := s.store.MergeEntry(ctx, &e, a); err != nil {
			return nil, err
		}
	} else {
		if into != 0 {
			return nil, live.FieldErrorf("into", "into is for merge only.")
		}
		if err := e.Apply(action); err != nil {
			return nil, err
		}
		a := s.auditEntry(ev, actor, action+"_entry", entryTarget(e.ID), live.Truncate(e.Text, 80))
		if err := s.store.SaveEntryDecision(ctx, &e, a); err != nil {
			return nil, err
		}
	}
	if b, err := s.store.Board(ctx, ev.ID, e.BoardID); err == nil && b.HighlightID == e.ID && !e.Public() {
		b.HighlightID = 0 // a rejected or merged entry leaves the stage
		if err := s.store.SaveBoard(ctx, &b, s.auditEntry(ev, actor, "highlight_entry", boardTarget(b.ID), "cleared: "+entryTarget(e.ID)+" "+e.Status)); err != nil {
			return nil, err
		}
	}
	s.markDirty(e.BoardID, e.EventID)
	out, err := s.store.Entry(ctx, ev.ID, e.ID)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Highlight puts a public entry of the board full screen on stage ("now
// answering"); entryID 0 takes it off. Errors: not_found (board),
// invalid (entry not on this board), invalid_transition (entry not public;
// clearing when nothing is highlighted).
func (s *Service) Highlight(ctx context.Context, actor, code string, boardID, entryID int64) (*live.Board, error) {
	ev, err := s.event(code, nil)
	if err != nil {
		return nil, err
	}
	s.modMu.Lock()
	defer s.modMu.Unlock()
	b, err := s.store.Board(ctx, ev.ID, boardID)
	if err != nil {
		return nil, err
	}
	detail := "cleared"
	if entryID == 0 {
		if b.HighlightID == 0 {
			return nil, live.Errorf(live.ETransition, "No entry is highlighted.")
		}
	} else {
		e, err := s.store.Entry(ctx, ev.ID, entryID)
		if err != nil || e.BoardID != b.ID {
			return nil, live.FieldErrorf("entry_id", "No entry %d on this board.", entryID)
		}
		if !e.Public() {
			return nil, live.Errorf(live.ETransition, "Only an approved or answered entry can be highlighted (entry %d is %s).", e.ID, e.Status)
		}
		detail = entryTarget(e.ID)
	}
	b.HighlightID = entryID
	if err := s.store.SaveBoard(ctx, &b, s.auditEntry(ev, actor, "highlight_entry", boardTarget(b.ID), detail)); err != nil {
		return nil, err
	}
	s.markDirty(b.ID, b.EventID)
	return &b, nil
}

// ToPoll makes a draft keypad choice poll of the board's top n (2..6)
// approved or answered entries, in the board's room (or roomID, required
// for an event-wide board), and links it to the board. question defaults
// to the board's title. Errors: not_found (board), invalid (n, room_id,
// question, fewer than n public entries).
func (s *Service) ToPoll(ctx context.Context, actor, code string, boardID int64, n int, question string, roomID int64) (*live.Poll, error) {
	ev, err := s.event(code, nil)
	if err != nil {
		return nil, err
	}
	if n < live.MinPollEntries || n > live.MaxChoices {
		return nil, live.FieldErrorf("n", "n must be from %d to %d.", live.MinPollEntries, live.MaxChoices)
	}
	s.modMu.Lock()
	defer s.modMu.Unlock()
	b, err := s.store.Board(ctx, ev.ID, boardID)
	if err != nil {
		return nil, err
	}
	if roomID == 0 {
		roomID = b.RoomID
	}
	if roomID == 0 {
		return nil, live.FieldErrorf("room_id", "room_id must be a room of this event.")
	}
	if ok, err := s.hasRoom(ev.ID, roomID); err != nil {
		return nil, err
	} else if !ok {
		return nil, live.FieldErrorf("room_id", "room_id must be a room of this event.")
	}
	if strings.TrimSpace(question) == "" {
		question = b.Title
	}
	es, err := s.entries(ctx, b.ID, live.SortTop, true, nil)
	if err != nil {
		return nil, err
	}
	if len(es) < n {
		return nil, live.FieldErrorf("n", "The board has %d approved entries; the poll needs %d.", len(es), n)
	}
	p := &live.Poll{RoomID: roomID, Question: question, Kind: live.PollChoices}
	for _, e := range es[:n] {
		p.Choices = append(p.Choices, live.Truncate(e.Text, 80)) // a choice label holds 80 runes
	}
	if p, err = s.dir.CreatePoll(ctx, actor, ev.Code, p); err != nil {
		return nil, err
	}
	b.PollID = p.ID
	if err := s.store.SaveBoard(ctx, &b, s.auditEntry(ev, actor, "board_to_poll", boardTarget(b.ID), fmt.Sprintf("poll:%d", p.ID))); err != nil {
		return nil, err
	}
	s.markDirty(b.ID, b.EventID)
	return p, nil
}

// Export is a board with every entry (any status), top-sorted, with upvotes.
type Export struct {
	Board   live.Board   `json:"board"`
	Entries []live.Entry `json:"entries"`
}

// Export returns a board and all its entries, for the moderator.
func (s *Service) Export(ctx context.Context, code string, boardID int64) (*Export, error) {
	ev, err := s.event(code, nil)
	if err != nil {
		return nil, err
	}
	b, err := s.store.Board(ctx, ev.ID, boardID)
	if err != nil {
		return nil, err
	}
	es, err := s.entries(ctx, b.ID, live.SortTop, false, nil)
	if err != nil {
		return nil, err
	}
	return &Export{Board: b, Entries: es}, nil
}

// --- Meeting requests -------------------------------------------------------

// RequestMeeting stores who's request to meet a pitch's team, replacing an
// earlier one for the same pitch. Errors: not_found (pitch), forbidden
// (another event's token), invalid (a field; consent missing).
func (s *Service) RequestMeeting(ctx context.Context, code string, who Participant, req live.MeetingRequest) (*live.MeetingRequest, error) {
	ev, err := s.event(code, &who)
	if err != nil {
		return nil, err
	}
	if _, err := s.dir.Pitch(ev.ID, req.PitchID); err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	req.ID, req.EventID, req.ParticipantID, req.CreatedAt = 0, ev.ID, who.ID, s.opts.Now().UTC().Truncate(time.Millisecond)
	if err := s.store.SaveMeetingRequest(ctx, &req); err != nil {
		return nil, err
	}
	return &req, nil
}

// WithdrawMeeting deletes who's request for a pitch, personal data
// included. Errors: not_found (pitch, or no request), forbidden.
func (s *Service) WithdrawMeeting(ctx context.Context, code string, who Participant, pitchID int64) error {
	ev, err := s.event(code, &who)
	if err != nil {
		return err
	}
	ok, err := s.store.DeleteMeetingRequest(ctx, ev.ID, pitchID, who.ID)
	if err == nil && !ok {
		err = live.Errorf(live.ENotFound, "You have no meeting request for pitch %d.", pitchID)
	}
	return err
}

// MeetingRequests returns the event's requests for a pitch (0: every
// pitch), with the pitch it is for. Errors: not_found (event, pitch).
func (s *Service) MeetingRequests(ctx context.Context, code string, pitchID int64) ([]live.MeetingRequest, *live.Pitch, error) {
	ev, err := s.event(code, nil)
	if err != nil {
		return nil, nil, err
	}
	var p *live.Pitch
	if pitchID != 0 {
		if p, err = s.dir.Pitch(ev.ID, pitchID); err != nil {
			return nil, nil, err
		}
	}
	rs, err := s.store.MeetingRequests(ctx, ev.ID, pitchID)
	return rs, p, err
}

// --- Frames -----------------------------------------------------------------

// PublicFrame is a board as phones and stages see it (type "board").
type PublicFrame struct {
	Type    string       `json:"type"`
	Board   live.Board   `json:"board"`
	Entries []live.Entry `json:"entries"` // approved and answered, top-sorted, at most PublicSize
	Total   int          `json:"total"`   // public entries in all
}

// HighlightFrame is the entry on stage full screen (type "board_highlight"); Entry is null when none.
type HighlightFrame struct {
	Type    string      `json:"type"`
	BoardID int64       `json:"board_id"`
	Entry   *live.Entry `json:"entry"`
}

// QueueFrame is the whole board for moderators (type "board_queue").
type QueueFrame struct {
	Type    string       `json:"type"`
	Board   live.Board   `json:"board"`
	Entries []live.Entry `json:"entries"` // every status, newest first, at most QueueSize
	Pending int          `json:"pending"`
}

// markDirty makes the board's frames due at the next flush, built from what
// the database holds then: a frame never shows an uncommitted change, and
// a later flush supersedes an earlier one.
func (s *Service) markDirty(boardID, eventID int64) {
	s.frames.Mark(strconv.FormatInt(boardID, 10), func(ctx context.Context) {
		if err := s.publish(ctx, boardID, eventID); err != nil {
			s.opts.Logger.Error("board: frame failed", "board", boardID, "err", err)
		}
	})
}

// Run publishes every board's frames once, so that after a restart the
// hub's snapshots hold them, then the frames of changed boards at most
// every FrameInterval, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	for _, ev := range s.dir.Events() {
		bs, err := s.store.Boards(ctx, ev.ID)
		if err != nil {
			s.opts.Logger.Error("board: list boards failed", "event", ev.Code, "err", err)
		}
		for _, b := range bs {
			s.markDirty(b.ID, b.EventID)
		}
	}
	s.FlushFrames(ctx)
	s.frames.Run(ctx, s.opts.FrameInterval)
	s.FlushFrames(context.WithoutCancel(ctx))
}

// FlushFrames publishes the frames of every board changed since the last
// flush. Run calls it every FrameInterval; it is exported for tests.
func (s *Service) FlushFrames(ctx context.Context) { s.frames.Flush(ctx) }

// roomsOf returns the rooms whose screens show board b: its room, or every
// room of the event.
func (s *Service) roomsOf(b live.Board) ([]int64, error) {
	rooms, err := s.dir.RoomIDs(b.EventID)
	if err != nil || b.RoomID == 0 {
		return rooms, err
	}
	return []int64{b.RoomID}, nil
}

func (s *Service) publish(ctx context.Context, boardID, eventID int64) error {
	b, err := s.store.Board(ctx, eventID, boardID)
	if live.ErrorCode(err) == live.ENotFound {
		return nil // deleted meanwhile: DeleteBoard cleared its frames
	} else if err != nil {
		return err
	}
	all, err := s.store.Entries(ctx, b.ID, nil, 0)
	if err != nil {
		return err
	}
	if err := live.SortEntries(all, live.SortNewest, s.opts.Now(), s.opts.HalfLife); err != nil {
		return err
	}
	q := QueueFrame{Type: "board_queue", Board: b, Entries: []live.Entry{}}
	var public []live.Entry
	var highlight *live.Entry
	for _, e := range all {
		if e.Status == live.EntryPending {
			q.Pending++
		}
		if len(q.Entries) < s.opts.QueueSize {
			q.Entries = append(q.Entries, e)
		}
		if e.Public() {
			public = append(public, e)
		}
		if e.ID == b.HighlightID && e.Public() {
			h := e
			highlight = &h
		}
	}
	_ = live.SortEntries(public, live.SortTop, s.opts.Now(), s.opts.HalfLife)
	p := PublicFrame{Type: "board", Board: b, Entries: []live.Entry{}, Total: len(public)}
	p.Entries = append(p.Entries, public[:min(len(public), s.opts.PublicSize)]...)
	h := HighlightFrame{Type: "board_highlight", BoardID: b.ID, Entry: highlight}

	key := boardTarget(b.ID)
	s.pub.Publish(hub.ControlTopic(eventID), key, live.MustJSON(q))
	rooms, err := s.roomsOf(b)
	if err != nil {
		return err
	}
	pf, hf := live.MustJSON(p), live.MustJSON(h)
	for _, room := range rooms {
		for _, topic := range []string{hub.RoomTopic(room), hub.StageTopic(room)} {
			s.pub.Publish(topic, key, pf)
			s.pub.Publish(topic, "board_highlight:"+strconv.FormatInt(b.ID, 10), hf)
		}
	}
	return nil
}

// clearFrames publishes an empty board to the rooms that showed b, so that
// screens drop it.
func (s *Service) clearFrames(b live.Board) {
	gone := live.MustJSON(map[string]any{"type": "board_removed", "board_id": b.ID})
	key := boardTarget(b.ID)
	s.pub.Publish(hub.ControlTopic(b.EventID), key, gone)
	rooms, _ := s.roomsOf(b) // events and rooms are never deleted
	for _, room := range rooms {
		for _, topic := range []string{hub.RoomTopic(room), hub.StageTopic(room)} {
			s.pub.Publish(topic, key, gone)
			s.pub.Publish(topic, "board_highlight:"+strconv.FormatInt(b.ID, 10), live.MustJSON(HighlightFrame{Type: "board_highlight", BoardID: b.ID}))
		}
	}
}
