package feed

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
)

// Moderation actions on one item.
const (
	ActionApprove     = "approve"
	ActionReject      = "reject"
	ActionPin         = "pin"
	ActionUnpin       = "unpin"
	ActionBlockAuthor = "block_author" // rejects the item and every later item of its author
)

// Add normalises an item from any source into the event's feed: it is
// de-duplicated (same source id, or same author and text on any source),
// given its arrival state by the rules (Arrival), stored with its volume,
// and the affected frames are scheduled. It returns the stored item and
// false if it was a duplicate (then nothing changed).
func (s *Service) Add(ctx context.Context, code string, it live.FeedItem) (live.FeedItem, bool, error) {
	ef, err := s.event(ctx, code)
	if err != nil {
		return it, false, err
	}
	return s.add(ctx, ef, it)
}

func (s *Service) add(ctx context.Context, ef *eventFeed, it live.FeedItem) (live.FeedItem, bool, error) {
	it, err := Normalize(it)
	if err != nil {
		return it, false, err
	}
	now := s.opts.Now().UTC()
	it.ID, it.EventID, it.ReceivedAt, it.Pinned, it.DecidedBy, it.DecidedAt = 0, ef.id, now, false, "", time.Time{}
	if it.PostedAt.IsZero() || it.PostedAt.After(now) {
		it.PostedAt = now
	}
	ef.mu.Lock()
	defer ef.mu.Unlock()
	it.Status, it.Reason = Arrival(&ef.settings, &it)
	added, err := s.store.AddFeedItem(ctx, &it)
	if err != nil || !added {
		return it, false, err
	}
	s.schedule(ef, it.RoomID, it.Status == live.FeedApproved)
	return it, true, nil
}

// Post adds an in-app post from a participant: rate-limited per
// participant, at most the event's post_max_len runes, signed with the
// display name. Errors: forbidden (posts are off), rate_limited, invalid
// (empty or too long text, unknown room), conflict (the same text again).
func (s *Service) Post(ctx context.Context, code string, participantID int64, displayName, text string, roomID int64) (live.FeedItem, error) {
	ef, err := s.event(ctx, code)
	if err != nil {
		return live.FeedItem{}, err
	}
	ef.mu.Lock()
	st := ef.settings
	ef.mu.Unlock()
	if !st.AppPostsEnabled() {
		return live.FeedItem{}, live.Errorf(live.EForbidden, "Posting is closed for this event.")
	}
	clean := live.CleanText(text, 0)
	if clean == "" || !utf8.ValidString(text) {
		return live.FeedItem{}, live.FieldErrorf("text", "Write something to post.")
	}
	if n := utf8.RuneCountInString(clean); n > st.PostMaxLen {
		return live.FeedItem{}, live.FieldErrorf("text", "A post is at most %d characters.", st.PostMaxLen)
	}
	if err := s.checkRoom(code, roomID); err != nil {
		return live.FeedItem{}, err
	}
	if wait := s.posts.Wait(participantID, s.opts.Now()); wait > 0 {
		return live.FeedItem{}, &live.Error{Code: live.ERateLimited, Message: "You are posting too fast; wait a few seconds.", RetryAfter: wait}
	}
	if displayName == "" {
		displayName = "Anonymous"
	}
	// A pseudonym, stable per participant so that block_author works, that
	// does not show the participant id on public screens.
	id := live.HashToken("participant:" + strconv.FormatInt(participantID, 10))[:12]
	it, added, err := s.add(ctx, ef, live.FeedItem{Source: live.SourceApp, SourceID: id + ":" + strconv.FormatInt(s.opts.Now().UnixNano(), 10),
		Author: "participant-" + id, AuthorName: displayName, Text: clean, RoomID: roomID})
	if err != nil {
		return it, err
	}
	if !added {
		return it, live.Errorf(live.EConflict, "You already posted this.")
	}
	return it, nil
}

func (s *Service) checkRoom(code string, roomID int64) error {
	if roomID == 0 {
		return nil
	}
	ev, err := s.dir.Event(code)
	if err != nil {
		return err
	}
	rooms, err := s.dir.RoomIDs(ev.ID)
	if err != nil {
		return err
	}
	if slices.Contains(rooms, roomID) {
		return nil
	}
	return live.FieldErrorf("room_id", "No room %d in this event.", roomID)
}

// Webhook adds an item posted by an integration (already authenticated
// with CheckWebhook). Its source is "webhook"; id, author and text are
// required. It returns false for a duplicate.
func (s *Service) Webhook(ctx context.Context, code string, it live.FeedItem) (live.FeedItem, bool, error) {
	if err := s.checkRoom(code, it.RoomID); err != nil {
		return it, false, err
	}
	it.Source = live.SourceWebhook
	return s.Add(ctx, code, it)
}

// Decide applies a moderator's action to an item and audits it. Approving
// an approved item, or pinning a pinned one, changes nothing and is not an
// error. Errors: not_found (no such item in this event), invalid (unknown
// action), invalid_transition (pinning an item that is not approved).
func (s *Service) Decide(ctx context.Context, code, actor string, id int64, action string) (live.FeedItem, error) {
	ef, err := s.event(ctx, code)
	if err != nil {
		return live.FeedItem{}, err
	}
	switch action {
	case ActionApprove, ActionReject, ActionPin, ActionUnpin, ActionBlockAuthor:
	default:
		return live.FeedItem{}, live.FieldErrorf("action", "Unknown feed action %q (approve, reject, pin, unpin, block_author).", action)
	}
	ef.mu.Lock()
	defer ef.mu.Unlock()
	it, err := s.store.FeedItem(ctx, ef.id, id)
	if err != nil {
		return it, err
	}
	was := it
	switch action {
	case ActionApprove:
		it.Status = live.FeedApproved
	case ActionReject:
		it.Status, it.Pinned = live.FeedRejected, false
	case ActionPin:
		if it.Status != live.FeedApproved {
			return it, live.Errorf(live.ETransition, "Approve the item before pinning it.")
		}
		it.Pinned = true
	case ActionUnpin:
		it.Pinned = false
	case ActionBlockAuthor:
		it.Status, it.Pinned = live.FeedRejected, false
		entry := it.Source + ":" + authorKey(it.Author)
		if !authorListed(ef.settings.BlockedAuthors, it.Source, it.Author) {
			next := cloneSettings(ef.settings)
			next.BlockedAuthors = append(next.BlockedAuthors, entry)
			if err := next.Normalize(); err != nil {
				return it, err
			}
			if err := s.store.SaveFeedSettings(ctx, ef.id, next); err != nil {
				return it, err
			}
			ef.settings = next
		}
	}
	if it.Status == was.Status && it.Pinned == was.Pinned {
		return it, nil
	}
	it.Reason, it.DecidedBy, it.DecidedAt = "", actor, s.opts.Now().UTC()
	if err := s.store.SaveFeedDecision(ctx, &it); err != nil {
		return was, err
	}
	detail := it.Source + " @" + it.Author + ": " + live.CleanText(it.Text, 80)
	s.audit(ctx, ef.id, actor, "feed_"+action, "feed_item:"+strconv.FormatInt(it.ID, 10), detail)
	s.schedule(ef, it.RoomID, was.Status == live.FeedApproved || it.Status == live.FeedApproved)
	return it, nil
}

// Items returns an event's items as q selects them (q.EventID is set here).
func (s *Service) Items(ctx context.Context, code string, q live.FeedQuery) ([]live.FeedItem, error) {
	ef, err := s.event(ctx, code)
	if err != nil {
		return nil, err
	}
	q.EventID = ef.id
	return s.store.FeedItems(ctx, q)
}

// --- Frames -----------------------------------------------------------------

// FeedFrame is the "feed" frame of a room: the approved items it shows,
// newest first, and the pinned ones apart, with the longest in-app post the
// event takes (PostMaxLen, for the post box's counter). It is absolute
// state: each frame replaces the last.
type FeedFrame struct {
	Type       string          `json:"type"` // "feed"
	ServerTime int64           `json:"server_time"`
	RoomID     int64           `json:"room_id"`
	PostMaxLen int             `json:"post_max_len"`
	Pinned     []live.FeedItem `json:"pinned"`
	Items      []live.FeedItem `json:"items"`
}

// QueueFrame is the "feed_queue" frame of an event's control topic: the
// oldest pending items first (the order to moderate them in).
type QueueFrame struct {
	Type       string          `json:"type"` // "feed_queue"
	ServerTime int64           `json:"server_time"`
	Pending    []live.FeedItem `json:"pending"`
	More       bool            `json:"more"` // more items wait than are listed
}

// schedule marks the frames an item change affects: always the event's
// queue, and the room feeds when the approved set changed. Call with ef.mu held.
func (s *Service) schedule(ef *eventFeed, roomID int64, feedChanged bool) {
	s.frames.Mark("queue:"+strconv.FormatInt(ef.id, 10), func(context.Context) { s.publishQueue(ef) })
	if !feedChanged {
		return
	}
	rooms := []int64{roomID}
	if roomID == 0 {
		rooms, _ = s.dir.RoomIDs(ef.id) // none when the event is gone
	}
	for _, r := range rooms {
		s.frames.Mark("room:"+strconv.FormatInt(r, 10), func(context.Context) { s.publishRoom(ef, r) })
	}
}

// FlushFrames publishes every frame scheduled since the last flush. Run
// calls it every FrameInterval; it is exported for tests and shutdown.
func (s *Service) FlushFrames() { s.frames.Flush(context.Background()) }

// RoomFeed returns the feed frame of a room as it would be published now.
func (s *Service) RoomFeed(ctx context.Context, eventID, roomID int64) (FeedFrame, error) {
	f := FeedFrame{Type: "feed", ServerTime: s.opts.Now().UnixMilli(), RoomID: roomID}
	var err error
	if f.PostMaxLen, err = s.postMaxLen(ctx, eventID); err != nil {
		return f, err
	}
	if f.Pinned, err = s.store.FeedItems(ctx, live.FeedQuery{EventID: eventID, RoomID: roomID, Status: live.FeedApproved, Pinned: true, Limit: 10}); err != nil {
		return f, err
	}
	f.Items, err = s.store.FeedItems(ctx, live.FeedQuery{EventID: eventID, RoomID: roomID, Status: live.FeedApproved, Limit: s.opts.TickerSize})
	return f, err
}

// postMaxLen is the event's longest in-app post: from its cached settings,
// or from the store when the feed has not loaded them yet.
func (s *Service) postMaxLen(ctx context.Context, eventID int64) (int, error) {
	s.mu.Lock()
	ef := s.events[eventID]
	s.mu.Unlock()
	if ef != nil {
		ef.mu.Lock()
		defer ef.mu.Unlock()
		return ef.settings.PostMaxLen, nil
	}
	st, _, err := s.store.FeedSettings(ctx, eventID)
	if err != nil {
		return 0, err
	}
	if err := st.Normalize(); err != nil {
		st = live.FeedSettings{}
		_ = st.Normalize()
	}
	return st.PostMaxLen, nil
}

func (s *Service) publishRoom(ef *eventFeed, roomID int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, err := s.RoomFeed(ctx, ef.id, roomID)
	if err != nil {
		s.opts.Logger.Error("feed: room frame", "room", roomID, "err", err)
		return
	}
	b, _ := json.Marshal(f) // encoded once, published on three topics
	s.pub.Publish(hub.RoomTopic(roomID), "feed", b)
	s.pub.Publish(hub.StageTopic(roomID), "feed", b)
	s.pub.Publish(hub.ControlTopic(ef.id), "feed:"+strconv.FormatInt(roomID, 10), b)
}

// Queue returns the queue frame of an event as it would be published now.
func (s *Service) Queue(ctx context.Context, eventID int64) (QueueFrame, error) {
	f := QueueFrame{Type: "feed_queue", ServerTime: s.opts.Now().UnixMilli()}
	items, err := s.store.FeedItems(ctx, live.FeedQuery{EventID: eventID, Status: live.FeedPending, Limit: 500})
	if err != nil {
		return f, err
	}
	// Oldest first, the order to moderate in; newest first is the store's order.
	for i := len(items) - 1; i >= 0 && len(f.Pending) < s.opts.QueueSize; i-- {
		f.Pending = append(f.Pending, items[i])
	}
	f.More = len(items) > len(f.Pending)
	if f.Pending == nil {
		f.Pending = []live.FeedItem{}
	}
	return f, nil
}

func (s *Service) publishQueue(ef *eventFeed) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, err := s.Queue(ctx, ef.id)
	if err != nil {
		s.opts.Logger.Error("feed: queue frame", "event", ef.id, "err", err)
		return
	}
	b, _ := json.Marshal(f)
	s.pub.Publish(hub.ControlTopic(ef.id), "feed_queue", b)
}

// --- Running the sources -----------------------------------------------------

// Run starts the sources of every event that has feed settings and
// publishes scheduled frames every FrameInterval, until ctx ends; it returns
// after every source goroutine has ended.
func (s *Service) Run(ctx context.Context) {
	s.mu.Lock()
	s.runCtx = ctx
	s.mu.Unlock()
	for _, ev := range s.dir.Events() {
		ef, err := s.event(ctx, ev.Code)
		if err != nil {
			s.opts.Logger.Error("feed: load settings", "event", ev.Code, "err", err)
			continue
		}
		ef.mu.Lock()
		s.restartSources(ef)
		// Publish the current feeds and queue once, so that the hub holds them
		// and every new subscriber's snapshot includes them (after a restart too).
		s.schedule(ef, 0, true)
		ef.mu.Unlock()
	}
	s.FlushFrames()
	s.frames.Run(ctx, s.opts.FrameInterval)
	s.wg.Wait()
	s.FlushFrames()
}

// restartSources stops the event's sources and starts the enabled ones of
// its settings. Call with ef.mu held. Before Run it does nothing.
func (s *Service) restartSources(ef *eventFeed) {
	if ef.stop != nil {
		ef.stop()
		ef.stop = nil
	}
	s.mu.Lock()
	parent := s.runCtx
	s.mu.Unlock()
	if parent == nil || parent.Err() != nil {
		return
	}
	ctx, stop := context.WithCancel(parent)
	ef.stop = stop
	for _, cfg := range ef.settings.Sources {
		if !cfg.Enabled {
			continue
		}
		src := s.opts.NewSource(cfg, &s.opts)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.supervise(ctx, ef, sourceKey(cfg), src)
		}()
	}
}

// supervise runs src until ctx ends, resuming from its stored cursor after
// every failure, waiting by the backoff or the source's RetryError.
func (s *Service) supervise(ctx context.Context, ef *eventFeed, key string, src Source) {
	st := &SourceStatus{Source: key, State: "running"}
	statusKey := strconv.FormatInt(ef.id, 10) + "/" + key
	s.mu.Lock()
	s.status[statusKey] = st
	s.mu.Unlock()
	setStatus := func(f func(*SourceStatus)) { s.mu.Lock(); f(st); s.mu.Unlock() }
	defer setStatus(func(st *SourceStatus) { st.State = "stopped" })

	attempt := 0
	for ctx.Err() == nil {
		cursor, err := s.store.FeedCursor(ctx, ef.id, key)
		progressed := false
		if err == nil {
			setStatus(func(st *SourceStatus) { st.State, st.Cursor = "running", cursor })
			err = src.Run(ctx, cursor, func(ctx context.Context, items []live.FeedItem, next string) error {
				n := 0
				for _, it := range items {
					if _, added, err := s.add(ctx, ef, it); err != nil && live.ErrorCode(err) == live.EInternal {
						return err // storage failed: retry from the stored cursor
					} else if added {
						n++
					}
				}
				if err := s.store.SetFeedCursor(ctx, ef.id, key, next); err != nil {
					return err
				}
				progressed = true
				setStatus(func(st *SourceStatus) { st.Items += int64(n); st.Cursor = next; st.LastError = "" })
				return nil
			})
		}
		if ctx.Err() != nil || (err == nil && ctx.Err() != nil) {
			return
		}
		if err == nil || errors.Is(err, errStopped) {
			err = errors.New("source ended")
		}
		if progressed {
			attempt = 0
		}
		attempt++
		wait := s.opts.Backoff.Delay(attempt)
		var re *RetryError
		if errors.As(err, &re) && re.After > wait {
			wait = re.After
		}
		s.opts.Logger.Warn("feed: source failed; retrying", "event", ef.code, "source", key, "in", wait, "err", err)
		setStatus(func(st *SourceStatus) {
			st.State, st.LastError, st.RetryAt = "waiting", err.Error(), s.opts.Now().Add(wait).UTC()
		})
		if !s.opts.Wait(ctx, wait) {
			return
		}
	}
}

// SourceStatuses returns the health of the event's sources.
func (s *Service) SourceStatuses(eventID int64) []SourceStatus {
	prefix := strconv.FormatInt(eventID, 10) + "/"
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []SourceStatus{}
	for k, st := range s.status {
		if len(k) > len(prefix) && k[:len(prefix)] == prefix {
			out = append(out, *st)
		}
	}
	return out
}
