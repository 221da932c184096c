// Package programme owns an event's programme: its sessions (talks, each
// in one room between two times), the event's time zone they are shown
// and imported in, their imports from CSV and iCalendar (checked row by
// row, previewed, then saved all or nothing), and the frames that carry
// each room's programme to its phones and stage, and the whole programme
// to the control page.
//
// It imports the domain package live and the hub (the publisher, the
// coalescer, the topic names). Storage is reached through Store
// (implemented by package store); events and their rooms through
// Directory (the running show).
package programme

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
)

// Store is what the programme needs from storage.
type Store interface {
	SaveTalks(ctx context.Context, ss []live.Talk, a *live.AuditEntry) error
	DeleteTalk(ctx context.Context, eventID, id int64, a *live.AuditEntry) error
	Talk(ctx context.Context, eventID, id int64) (live.Talk, error)
	Talks(ctx context.Context, eventID int64) ([]live.Talk, error)
	TimeZone(ctx context.Context, eventID int64) (string, error)
	SetTimeZone(ctx context.Context, eventID int64, tz string, a *live.AuditEntry) error
}

// Directory is what the programme needs of the running show: events and
// their rooms.
type Directory interface {
	Event(code string) (*live.Event, error)
	Events() []live.Event
	Rooms(eventID int64) ([]live.Room, error)
}

// Options configures a Service. Zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// DefaultTimeZone is the time zone of an event that has not set one:
	// an IANA name; default the server's (LocalZone).
	DefaultTimeZone string
	// FrameInterval coalesces programme frames: at most one per event
	// every interval. Default 250 ms.
	FrameInterval time.Duration
	// RefreshInterval republishes every programme, so that a room's frame
	// keeps the sessions of the coming day as days pass. Default 1 h.
	RefreshInterval time.Duration
	// Changed, when set, is told of every change to an event's programme
	// (and of the periodic refresh); it must not block. The session
	// feedback's clock looks at the sessions again then.
	Changed func(eventID int64)
}

// Service runs the programme of every event.
type Service struct {
	store Store
	dir   Directory
	pub   hub.Publisher
	opts  Options

	// mu serialises changes, so that an import's check for duplicates
	// sees every session saved before it.
	mu     sync.Mutex
	frames hub.Coalescer // by event
}

// New returns a programme service. Call Run to publish frames; without
// Run, FlushFrames publishes them.
func New(store Store, dir Directory, pub hub.Publisher, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if _, err := live.ValidTimeZone(opts.DefaultTimeZone); err != nil {
		opts.DefaultTimeZone = LocalZone()
	}
	if opts.FrameInterval <= 0 {
		opts.FrameInterval = 250 * time.Millisecond
	}
	if opts.RefreshInterval <= 0 {
		opts.RefreshInterval = time.Hour
	}
	return &Service{store: store, dir: dir, pub: pub, opts: opts}
}

// LocalZone returns the IANA name of the server's time zone: the TZ
// variable, else the zone /etc/localtime links to, else "UTC".
func LocalZone() string {
	if tz := strings.TrimPrefix(os.Getenv("TZ"), ":"); tz != "" {
		if _, err := live.ValidTimeZone(tz); err == nil {
			return tz
		}
	}
	if target, err := os.Readlink("/etc/localtime"); err == nil {
		if _, name, ok := strings.Cut(filepath.ToSlash(target), "zoneinfo/"); ok {
			if _, err := live.ValidTimeZone(name); err == nil {
				return name
			}
		}
	}
	return "UTC"
}

// Programme is an event's programme: its time zone and sessions.
type Programme struct {
	TimeZone string      `json:"time_zone"`
	Sessions []live.Talk `json:"sessions"` // by start, then room
}

func (s *Service) auditEntry(ev *live.Event, actor, action, target, detail string) *live.AuditEntry {
	return &live.AuditEntry{EventID: ev.ID, Actor: actor, Action: action, Target: target, Detail: detail, At: s.opts.Now().UTC()}
}

func sessionTarget(id int64) string { return "session:" + strconv.FormatInt(id, 10) }

// zone returns the event's time zone, its name and location.
func (s *Service) zone(ctx context.Context, eventID int64) (string, *time.Location, error) {
	name, err := s.store.TimeZone(ctx, eventID)
	if err != nil {
		return "", nil, err
	}
	if name == "" {
		name = s.opts.DefaultTimeZone
	}
	loc, err := live.ValidTimeZone(name)
	if err != nil { // the zone database lost it: show the programme in UTC
		return "UTC", time.UTC, nil
	}
	return name, loc, nil
}

// Programme returns the event's programme. Errors: not_found.
func (s *Service) Programme(ctx context.Context, code string) (*Programme, error) {
	ev, err := s.dir.Event(code)
	if err != nil {
		return nil, err
	}
	return s.programme(ctx, ev.ID)
}

func (s *Service) programme(ctx context.Context, eventID int64) (*Programme, error) {
	tz, _, err := s.zone(ctx, eventID)
	if err != nil {
		return nil, err
	}
	ss, err := s.store.Talks(ctx, eventID)
	if err != nil {
		return nil, err
	}
	return &Programme{TimeZone: tz, Sessions: ss}, nil
}

// SetTimeZone sets the event's time zone (an IANA name), in which its
// programme is shown and imported. Errors: not_found, invalid (time_zone).
func (s *Service) SetTimeZone(ctx context.Context, actor, code, tz string) (*Programme, error) {
	ev, err := s.dir.Event(code)
	if err != nil {
		return nil, err
	}
	if _, err := live.ValidTimeZone(tz); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.store.SetTimeZone(ctx, ev.ID, tz, s.auditEntry(ev, actor, "set_time_zone", "event:"+strconv.FormatInt(ev.ID, 10), tz)); err != nil {
		return nil, err
	}
	s.markDirty(ev.ID)
	return s.programme(ctx, ev.ID)
}

// check validates sess and that its room is the event's.
func (s *Service) check(ev *live.Event, sess *live.Talk) error {
	if err := sess.Validate(); err != nil {
		return err
	}
	rooms, err := s.dir.Rooms(ev.ID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(rooms, func(r live.Room) bool { return r.ID == sess.RoomID }) {
		return live.FieldErrorf("room_id", "No room %d in this event.", sess.RoomID)
	}
	return nil
}

// CreateSession adds a session to the event's programme. Errors:
// not_found (event), invalid or bad_value (a field; room_id not a room of
// the event; more than live.MaxTalks).
func (s *Service) CreateSession(ctx context.Context, actor, code string, sess live.Talk) (*live.Talk, error) {
	ev, err := s.dir.Event(code)
	if err != nil {
		return nil, err
	}
	sess.ID, sess.EventID = 0, ev.ID
	if err := s.check(ev, &sess); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all, err := s.store.Talks(ctx, ev.ID)
	if err != nil {
		return nil, err
	}
	if len(all) >= live.MaxTalks {
		return nil, live.Errorf(live.EInvalid, "An event has at most %d sessions.", live.MaxTalks)
	}
	ss := []live.Talk{sess}
	if err := s.store.SaveTalks(ctx, ss, s.auditEntry(ev, actor, "create_session", "session:0", sess.Title)); err != nil {
		return nil, err
	}
	s.markDirty(ev.ID)
	return &ss[0], nil
}

// UpdateSession applies edit to a copy of the session, validates and
// saves it. Errors as CreateSession, and not_found (session).
func (s *Service) UpdateSession(ctx context.Context, actor, code string, id int64, edit func(*live.Talk)) (*live.Talk, error) {
	ev, err := s.dir.Event(code)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, err := s.store.Talk(ctx, ev.ID, id)
	if err != nil {
		return nil, err
	}
	edit(&sess)
	sess.ID, sess.EventID = id, ev.ID
	if err := s.check(ev, &sess); err != nil {
		return nil, err
	}
	if err := s.store.SaveTalks(ctx, []live.Talk{sess}, s.auditEntry(ev, actor, "update_session", sessionTarget(id), sess.Title)); err != nil {
		return nil, err
	}
	s.markDirty(ev.ID)
	return &sess, nil
}

// DeleteSession deletes a session. Errors: not_found.
func (s *Service) DeleteSession(ctx context.Context, actor, code string, id int64) error {
	ev, err := s.dir.Event(code)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, err := s.store.Talk(ctx, ev.ID, id)
	if err != nil {
		return err
	}
	if err := s.store.DeleteTalk(ctx, ev.ID, id, s.auditEntry(ev, actor, "delete_session", sessionTarget(id), sess.Title)); err != nil {
		return err
	}
	s.markDirty(ev.ID)
	return nil
}

// Import formats.
const (
	FormatCSV = "csv"
	FormatICS = "ics"
)

// ImportResult is what an import did, or would do (a dry run): every row
// with its session or the reason it is refused.
type ImportResult struct {
	DryRun   bool  `json:"dry_run"`
	Rows     []Row `json:"rows"`
	Accepted int   `json:"accepted"` // rows that are (or would be) imported
	Refused  int   `json:"refused"`
	Imported int   `json:"imported"` // sessions saved: 0 on a dry run or when a row is refused
}

// Import reads a programme file (FormatCSV or FormatICS; see ParseCSV and
// ParseICS) in the event's time zone, refuses also a row that repeats a
// session already in the programme or in the file (same room, start and
// title), and, unless dryRun, saves every session in one transaction if no
// row is refused. Errors: not_found (event), invalid (a file that cannot
// be read at all, an unknown format, refused rows when not a dry run: the
// message names the first ones with their lines), bad_value (the
// programme would pass live.MaxTalks).
func (s *Service) Import(ctx context.Context, actor, code, format string, data []byte, dryRun bool) (*ImportResult, error) {
	ev, err := s.dir.Event(code)
	if err != nil {
		return nil, err
	}
	parse := map[string]func([]byte, *time.Location, Rooms) ([]Row, error){FormatCSV: ParseCSV, FormatICS: ParseICS}[format]
	if parse == nil {
		return nil, live.FieldErrorf("format", "The format is csv or ics.")
	}
	rooms, err := s.dir.Rooms(ev.ID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, loc, err := s.zone(ctx, ev.ID)
	if err != nil {
		return nil, err
	}
	rows, err := parse(data, loc, NewRooms(rooms))
	if err != nil {
		return nil, live.FieldErrorf("file", "%s", err.Error())
	}
	if len(rows) == 0 {
		return nil, live.FieldErrorf("file", "The file holds no session.")
	}
	existing, err := s.store.Talks(ctx, ev.ID)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, e := range existing {
		seen[dupKey(e)] = true
	}
	res := &ImportResult{DryRun: dryRun, Rows: rows}
	var ss []live.Talk
	for i := range rows {
		r := &rows[i]
		r.Session.EventID = ev.ID
		if r.Error == "" {
			k := dupKey(r.Session)
			if seen[k] {
				r.Error = "already in the programme: same room, start and title"
			}
			seen[k] = true
		}
		if r.Error != "" {
			res.Refused++
			continue
		}
		res.Accepted++
		ss = append(ss, r.Session)
	}
	if len(existing)+len(ss) > live.MaxTalks {
		return nil, live.Errorf(live.EBadValue, "An event has at most %d sessions: this file would make %d.", live.MaxTalks, len(existing)+len(ss))
	}
	if dryRun {
		return res, nil
	}
	if res.Refused > 0 {
		return nil, live.FieldErrorf("file", "Nothing imported: %d of %d rows are refused (%s).", res.Refused, len(rows), firstRefusals(rows, 3))
	}
	detail := fmt.Sprintf("%d sessions from %s", len(ss), format)
	if err := s.store.SaveTalks(ctx, ss, s.auditEntry(ev, actor, "import_programme", "event:"+strconv.FormatInt(ev.ID, 10), detail)); err != nil {
		return nil, err
	}
	for i := range ss {
		res.Rows[i].Session.ID = ss[i].ID // no row is refused: rows and ss match one to one
	}
	res.Imported = len(ss)
	s.markDirty(ev.ID)
	return res, nil
}

func dupKey(s live.Talk) string {
	return strconv.FormatInt(s.RoomID, 10) + "|" + strconv.FormatInt(s.Start.UnixMilli(), 10) + "|" + strings.ToLower(s.Title)
}

func firstRefusals(rows []Row, n int) string {
	var out []string
	for _, r := range rows {
		if r.Error != "" && len(out) < n {
			out = append(out, fmt.Sprintf("line %d: %s", r.Line, r.Error))
		}
	}
	return strings.Join(out, "; ")
}

// --- Frames -------------------------------------------------------------

// MaxRoomFrameSessions bounds the sessions a room's frame carries.
const MaxRoomFrameSessions = 200

// RoomFrame is a room's programme, on its phones and stage (type
// "programme"): the room's sessions that end after the start of the
// previous day in the event's time zone, by start. The pages pick the
// session on now and the next one by their own clock.
type RoomFrame struct {
	Type     string      `json:"type"`
	RoomID   int64       `json:"room_id"`
	TimeZone string      `json:"time_zone"`
	Sessions []live.Talk `json:"sessions"`
}

// ControlFrame is the whole programme, on the control page (type "programme").
type ControlFrame struct {
	Type string `json:"type"`
	Programme
}

// markDirty makes the event's frames due at the next flush, built from
// what the database holds then.
func (s *Service) markDirty(eventID int64) {
	if s.opts.Changed != nil {
		s.opts.Changed(eventID)
	}
	s.frames.Mark(strconv.FormatInt(eventID, 10), func(ctx context.Context) {
		if err := s.publish(ctx, eventID); err != nil {
			s.opts.Logger.Error("programme: frame failed", "event", eventID, "err", err)
		}
	})
}

// Run publishes every event's programme once, so that after a restart the
// hub's snapshots hold them, then the frames of changed programmes at
// most every FrameInterval, and every programme each RefreshInterval,
// until ctx ends.
func (s *Service) Run(ctx context.Context) {
	refreshAll := func() {
		for _, ev := range s.dir.Events() {
			s.markDirty(ev.ID)
		}
	}
	refreshAll()
	s.FlushFrames(ctx)
	go func() {
		t := time.NewTicker(s.opts.RefreshInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				refreshAll()
			}
		}
	}()
	s.frames.Run(ctx, s.opts.FrameInterval)
	s.FlushFrames(context.WithoutCancel(ctx))
}

// FlushFrames publishes the frames of every programme changed since the
// last flush. Run calls it every FrameInterval; it is exported for tests.
func (s *Service) FlushFrames(ctx context.Context) { s.frames.Flush(ctx) }

func (s *Service) publish(ctx context.Context, eventID int64) error {
	p, err := s.programme(ctx, eventID)
	if err != nil {
		return err
	}
	rooms, err := s.dir.Rooms(eventID)
	if err != nil {
		return err
	}
	_, loc, err := s.zone(ctx, eventID)
	if err != nil { // the store closed or the event went since the line above
		return err
	}
	y, m, d := s.opts.Now().In(loc).AddDate(0, 0, -1).Date()
	since := time.Date(y, m, d, 0, 0, 0, 0, loc)
	s.pub.Publish(hub.ControlTopic(eventID), "programme", live.MustJSON(ControlFrame{Type: "programme", Programme: *p}))
	for _, r := range rooms {
		f := RoomFrame{Type: "programme", RoomID: r.ID, TimeZone: p.TimeZone, Sessions: []live.Talk{}}
		for _, sess := range p.Sessions {
			if sess.RoomID == r.ID && sess.End.After(since) && len(f.Sessions) < MaxRoomFrameSessions {
				f.Sessions = append(f.Sessions, sess)
			}
		}
		b := live.MustJSON(f)
		s.pub.Publish(hub.RoomTopic(r.ID), "programme", b)
		s.pub.Publish(hub.StageTopic(r.ID), "programme", b)
	}
	return nil
}
