// Package feed owns Ovation's social feed: the sources (X, Mastodon, Bluesky
// Jetstream, in-app posts, webhook) and their supervision, normalisation and
// de-duplication of items, the moderation rules and decisions, the ticker
// frames published to rooms and the queue frame published to moderators,
// and the volume per minute with its peaks (moments).
//
// It imports the domain package live and the hub (the publisher, the
// coalescer, the topic names). Storage is reached through the Store
// interface below (implemented by package store); events and their rooms
// through Directory (the running show).
package feed

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/ratelimit"
)

// Store is what the feed needs from storage.
type Store interface {
	AddFeedItem(ctx context.Context, it *live.FeedItem) (bool, error)
	SaveFeedDecision(ctx context.Context, it *live.FeedItem) error
	FeedItem(ctx context.Context, eventID, id int64) (live.FeedItem, error)
	FeedItems(ctx context.Context, q live.FeedQuery) ([]live.FeedItem, error)
	FeedCursor(ctx context.Context, eventID int64, source string) (string, error)
	SetFeedCursor(ctx context.Context, eventID int64, source, cursor string) error
	FeedSettings(ctx context.Context, eventID int64) (live.FeedSettings, bool, error)
	SaveFeedSettings(ctx context.Context, eventID int64, s live.FeedSettings) error
	FeedVolume(ctx context.Context, eventID int64, from, to time.Time) ([]live.VolumeCount, error)
	Audit(ctx context.Context, a live.AuditEntry) error
}

// Directory is what the feed needs to know of events: their ids and
// rooms. The feed keeps an event by id, as its code may be renamed.
type Directory interface {
	Event(code string) (*live.Event, error)
	RoomIDs(eventID int64) ([]int64, error)
	Events() []live.Event
}

// Options configures a Service. Zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// FrameInterval coalesces ticker and queue frames: at most one per room
	// (and per event's queue) every interval. Default 250 ms.
	FrameInterval time.Duration
	TickerSize    int // approved items in a room's feed frame; default 20
	QueueSize     int // pending items in the queue frame; default 50
	// PostRate and PostBurst limit in-app posts per participant: default one
	// every 10 s, burst 3.
	PostRate  float64
	PostBurst int
	// Backoff between failed runs of a source; default 2 s doubling to 5 min.
	Backoff Backoff
	// Wait is how a source supervisor waits before a retry; tests replace it
	// to observe the waits. Default: a timer, or until ctx ends.
	Wait func(ctx context.Context, d time.Duration) bool
	// HTTPClient is used by the polling sources; default a 20 s timeout.
	HTTPClient *http.Client
	// NewSource builds a source from its configuration; default NewSource.
	NewSource func(cfg live.SourceConfig, o *Options) Source
}

// Service runs the feed of every event.
type Service struct {
	store Store
	dir   Directory
	pub   hub.Publisher
	opts  Options
	posts *ratelimit.Keyed[int64]

	mu     sync.Mutex
	events map[int64]*eventFeed
	runCtx context.Context
	wg     sync.WaitGroup
	frames hub.Coalescer // by topic key
	status map[string]*SourceStatus
}

// eventFeed is the cached settings of one event and its running sources.
type eventFeed struct {
	mu       sync.Mutex // serialises arrivals and decisions of the event
	id       int64
	code     string
	settings live.FeedSettings
	stop     context.CancelFunc // ends its sources
}

// SourceStatus is the health of one running source, for the control page.
type SourceStatus struct {
	Source    string    `json:"source"` // kind:hashtag
	State     string    `json:"state"`  // running, waiting, stopped
	LastError string    `json:"last_error,omitempty"`
	RetryAt   time.Time `json:"retry_at,omitzero"`
	Items     int64     `json:"items"` // new items stored since start
	Cursor    string    `json:"cursor"`
}

// WithDefaults returns o with its zero fields set to the defaults noted.
func (o Options) WithDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.FrameInterval <= 0 {
		o.FrameInterval = 250 * time.Millisecond
	}
	if o.TickerSize <= 0 {
		o.TickerSize = 20
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 50
	}
	if o.PostRate <= 0 {
		o.PostRate = 0.1
	}
	if o.PostBurst <= 0 {
		o.PostBurst = 3
	}
	if o.Backoff.Min <= 0 {
		o.Backoff.Min = 2 * time.Second
	}
	if o.Backoff.Max <= 0 {
		o.Backoff.Max = 5 * time.Minute
	}
	if o.Wait == nil {
		o.Wait = sleep
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 20 * time.Second}
	}
	if o.NewSource == nil {
		o.NewSource = NewSource
	}
	return o
}

// New returns a feed service. Call Run to start the sources and the frame
// flusher; without Run, arrivals and decisions work and frames are published
// by FlushFrames.
func New(store Store, dir Directory, pub hub.Publisher, opts Options) *Service {
	opts = opts.WithDefaults()
	return &Service{store: store, dir: dir, pub: pub, opts: opts, posts: ratelimit.New[int64](opts.PostRate, opts.PostBurst),
		events: map[int64]*eventFeed{}, status: map[string]*SourceStatus{}}
}

// NewSource builds the source a configuration describes, with the default
// base URLs: https://api.twitter.com (X) and
// wss://jetstream2.us-east.bsky.network (Bluesky); Mastodon needs its instance.
func NewSource(cfg live.SourceConfig, o *Options) Source {
	interval := time.Duration(cfg.IntervalS) * time.Second
	switch cfg.Kind {
	case live.SourceX:
		return &XSource{Hashtag: cfg.Hashtag, Token: cfg.Token, RoomID: cfg.RoomID, BaseURL: cfg.BaseURL, Interval: interval, Client: o.HTTPClient, Now: o.Now}
	case live.SourceMastodon:
		return &MastodonSource{Hashtag: cfg.Hashtag, Token: cfg.Token, RoomID: cfg.RoomID, BaseURL: cfg.BaseURL, Interval: interval, Client: o.HTTPClient, Now: o.Now}
	default:
		base := cfg.BaseURL
		if base == "" {
			base = "wss://jetstream2.us-east.bsky.network"
		}
		return &JetstreamSource{Hashtag: cfg.Hashtag, RoomID: cfg.RoomID, BaseURL: base, Now: o.Now}
	}
}

// sourceKey names a source's cursor: kind and hashtag, so that a new
// hashtag starts afresh.
func sourceKey(c live.SourceConfig) string { return c.Kind + ":" + strings.ToLower(c.Hashtag) }

// event returns the event's cached feed, loading its settings once.
func (s *Service) event(ctx context.Context, code string) (*eventFeed, error) {
	ev, err := s.dir.Event(code)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	ef := s.events[ev.ID]
	s.mu.Unlock()
	if ef != nil {
		return ef, nil
	}
	st, _, err := s.store.FeedSettings(ctx, ev.ID)
	if err != nil {
		return nil, err
	}
	if err := st.Normalize(); err != nil {
		s.opts.Logger.Warn("feed: stored settings invalid; using defaults", "event", ev.Code, "err", err)
		st = live.FeedSettings{}
		_ = st.Normalize()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ef = s.events[ev.ID]; ef == nil {
		ef = &eventFeed{id: ev.ID, code: ev.Code, settings: st}
		s.events[ev.ID] = ef
	}
	return ef, nil
}

// Seed stores settings for the event if it has none yet (config.yaml's
// feed section); the API's edits win afterwards.
func (s *Service) Seed(ctx context.Context, code string, st live.FeedSettings) error {
	ev, err := s.dir.Event(code)
	if err != nil {
		return err
	}
	if _, ok, err := s.store.FeedSettings(ctx, ev.ID); err != nil || ok {
		return err
	}
	if err := st.Normalize(); err != nil {
		return err
	}
	return s.store.SaveFeedSettings(ctx, ev.ID, st)
}

// Settings returns an event's feed settings, tokens included.
func (s *Service) Settings(ctx context.Context, code string) (live.FeedSettings, error) {
	ef, err := s.event(ctx, code)
	if err != nil {
		return live.FeedSettings{}, err
	}
	ef.mu.Lock()
	defer ef.mu.Unlock()
	return cloneSettings(ef.settings), nil
}

func cloneSettings(st live.FeedSettings) live.FeedSettings {
	b, _ := json.Marshal(st)
	var out live.FeedSettings
	_ = json.Unmarshal(b, &out)
	_ = out.Normalize()
	return out
}

// UpdateSettings applies edit to a copy of the event's settings, validates,
// stores and audits it, then restarts the event's sources. Invalid settings
// change nothing.
func (s *Service) UpdateSettings(ctx context.Context, code, actor string, edit func(*live.FeedSettings) error) (live.FeedSettings, error) {
	ef, err := s.event(ctx, code)
	if err != nil {
		return live.FeedSettings{}, err
	}
	rooms, err := s.dir.RoomIDs(ef.id)
	if err != nil {
		return live.FeedSettings{}, err
	}
	ef.mu.Lock()
	defer ef.mu.Unlock()
	next := cloneSettings(ef.settings)
	if err := edit(&next); err != nil {
		return live.FeedSettings{}, err
	}
	if err := next.Normalize(); err != nil {
		return live.FeedSettings{}, err
	}
	for _, src := range next.Sources {
		if src.RoomID != 0 && !slices.Contains(rooms, src.RoomID) {
			return live.FeedSettings{}, live.FieldErrorf("sources.room_id", "No room %d in this event.", src.RoomID)
		}
	}
	for id := range next.Recordings {
		if !slices.Contains(rooms, id) {
			return live.FeedSettings{}, live.FieldErrorf("recordings", "No room %d in this event.", id)
		}
	}
	if err := s.store.SaveFeedSettings(ctx, ef.id, next); err != nil {
		return live.FeedSettings{}, err
	}
	limitChanged := next.PostMaxLen != ef.settings.PostMaxLen
	ef.settings = next
	s.audit(ctx, ef.id, actor, "feed_settings", "feed", settingsSummary(next))
	if limitChanged { // the room feeds carry it, for the post boxes
		s.schedule(ef, 0, true)
	}
	s.restartSources(ef)
	return cloneSettings(next), nil
}

func settingsSummary(st live.FeedSettings) string {
	var kinds []string
	for _, src := range st.Sources {
		kinds = append(kinds, sourceKey(src)+map[bool]string{true: "", false: " (off)"}[src.Enabled])
	}
	return "moderation=" + st.Moderation + " blocklist=" + strconv.Itoa(len(st.Blocklist)) + " allowlist=" + strconv.Itoa(len(st.Allowlist)) +
		" blocked_authors=" + strconv.Itoa(len(st.BlockedAuthors)) + " sources=[" + strings.Join(kinds, ", ") + "]"
}

// SetWebhookToken makes token the event's webhook secret (stored hashed).
func (s *Service) SetWebhookToken(ctx context.Context, code, actor, token string) error {
	_, err := s.UpdateSettings(ctx, code, actor, func(st *live.FeedSettings) error {
		st.WebhookTokenHash = live.HashToken(token)
		return nil
	})
	return err
}

// CheckWebhook reports whether token is the event's webhook secret.
func (s *Service) CheckWebhook(ctx context.Context, code, token string) error {
	ef, err := s.event(ctx, code)
	if err != nil {
		return err
	}
	ef.mu.Lock()
	want := ef.settings.WebhookTokenHash
	ef.mu.Unlock()
	if want == "" || token == "" || subtle.ConstantTimeCompare([]byte(live.HashToken(token)), []byte(want)) != 1 {
		return live.Errorf(live.EUnauthorized, "Send the event's webhook token as a Bearer token.")
	}
	return nil
}

func (s *Service) audit(ctx context.Context, eventID int64, actor, action, target, detail string) {
	if err := s.store.Audit(ctx, live.AuditEntry{EventID: eventID, Actor: actor, Action: action, Target: target, Detail: detail,
		At: s.opts.Now().UTC()}); err != nil {
		s.opts.Logger.Error("feed: audit failed", "action", action, "target", target, "err", err)
	}
}
