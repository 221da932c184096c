package live

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Feed sources: where a feed item came from.
const (
	SourceX        = "x"
	SourceMastodon = "mastodon"
	SourceBluesky  = "bluesky"
	SourceApp      = "app"     // posted from the audience page
	SourceWebhook  = "webhook" // posted by an authenticated integration
)

// Feed item states. An item enters pending (pre-moderation) or approved
// (post-moderation, allowlisted author) or rejected (blocked author or
// keyword); a moderator may then approve or reject it at any time.
const (
	FeedPending  = "pending"
	FeedApproved = "approved"
	FeedRejected = "rejected"
)

// Moderation modes of an event's feed.
const (
	ModerationPre  = "pre"  // items wait in the queue until approved (default)
	ModerationPost = "post" // items are approved on arrival and may be removed later
)

// Limits on feed items.
const (
	MaxFeedTextLen   = 500 // runes kept of a post's text
	MaxFeedAuthorLen = 100
	MaxFeedURLLen    = 500
	MaxRuleLen       = 60  // runes of one blocklist keyword or allowlisted author
	MaxRules         = 500 // entries per list
	MaxFeedSources   = 16
)

// FeedItem is one post from a source, normalised to plain text. Nothing in
// it is HTML: pages must escape every field when they show it.
type FeedItem struct {
	ID       int64  `json:"id"`
	EventID  int64  `json:"event_id"`
	RoomID   int64  `json:"room_id"` // 0: every room of the event
	Source   string `json:"source"`
	SourceID string `json:"source_id"` // the source's own id (tweet id, status id, at:// URI, …)
	// DedupKey identifies the same post seen twice, on one source or across
	// sources; see feed.DedupKey.
	DedupKey   string    `json:"-"`
	Author     string    `json:"author"`      // handle, e.g. "alice" or "alice@mastodon.social"
	AuthorName string    `json:"author_name"` // display name
	Text       string    `json:"text"`
	Link       string    `json:"link"`      // the post on its source, http(s) or empty
	MediaURL   string    `json:"media_url"` // first image, http(s) or empty
	PostedAt   time.Time `json:"posted_at"`
	ReceivedAt time.Time `json:"received_at"`
	Status     string    `json:"status"`
	Pinned     bool      `json:"pinned"`
	// Reason says why the item is in its state when no moderator decided:
	// "blocked_author", "keyword", "allowlist", "post_moderation"; else "".
	Reason    string    `json:"reason,omitempty"`
	DecidedBy string    `json:"decided_by,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
}

// FeedSettings is an event's feed configuration: moderation mode, rules,
// sources and recordings. Stored as one document per event.
type FeedSettings struct {
	// Moderation is ModerationPre (default) or ModerationPost.
	Moderation string `json:"moderation"`
	// Blocklist holds keywords (or phrases) that reject an item when they
	// appear as whole words, case-insensitively.
	Blocklist []string `json:"blocklist"`
	// Allowlist holds authors whose items are approved on arrival:
	// "source:author" (e.g. "x:ovation") or "author" for any source.
	Allowlist []string `json:"allowlist"`
	// BlockedAuthors holds authors whose items are rejected on arrival, in
	// the same form as Allowlist.
	BlockedAuthors []string `json:"blocked_authors"`
	// Sources are the external sources polled or streamed for this event.
	Sources []SourceConfig `json:"sources"`
	// Recordings maps a room id to the recording of its sessions, so each
	// moment links to its offset.
	Recordings map[int64]Recording `json:"recordings"`
	// PostMaxLen bounds in-app posts, in runes. Default 280.
	PostMaxLen int `json:"post_max_len"`
	// AppPosts enables the in-app post box. Default true (nil).
	AppPosts *bool `json:"app_posts"`
	// WebhookTokenHash is the SHA-256 (hex) of the event's webhook token;
	// empty: the webhook is off. Never sent back by the API.
	WebhookTokenHash string `json:"webhook_token_hash,omitempty"`
}

// SourceConfig configures one external source of an event.
type SourceConfig struct {
	Kind    string `json:"kind"`    // SourceX, SourceMastodon or SourceBluesky
	Enabled bool   `json:"enabled"` // a disabled source keeps its position but does not run
	Hashtag string `json:"hashtag"` // without '#', e.g. "TDAYS26"
	RoomID  int64  `json:"room_id"` // items go to this room; 0: every room
	// BaseURL is the API's root: https://api.twitter.com/1.1 (X), the
	// instance, e.g. https://mastodon.social (Mastodon), the Jetstream host,
	// e.g. wss://jetstream2.us-east.bsky.network (Bluesky).
	BaseURL string `json:"base_url"`
	// Token is the bearer token (X, Mastodon). Never sent back by the API.
	Token string `json:"token,omitempty"`
	// Interval between polls (X, Mastodon), in seconds. Default 30 (X), 15 (Mastodon).
	IntervalS int `json:"interval_s"`
}

// Recording is where a room's sessions can be watched again.
type Recording struct {
	URL       string    `json:"url"`        // http(s)
	StartedAt time.Time `json:"started_at"` // wall-clock time of offset 0
}

// Normalize fills the defaults of s and reports its first invalid field.
func (s *FeedSettings) Normalize() error {
	if s.Moderation == "" {
		s.Moderation = ModerationPre
	}
	if s.Moderation != ModerationPre && s.Moderation != ModerationPost {
		return FieldErrorf("moderation", "moderation must be %q or %q.", ModerationPre, ModerationPost)
	}
	if s.PostMaxLen == 0 {
		s.PostMaxLen = 280
	}
	if s.PostMaxLen < 1 || s.PostMaxLen > MaxFeedTextLen {
		return FieldErrorf("post_max_len", "post_max_len must be from 1 to %d.", MaxFeedTextLen)
	}
	lists := []struct {
		name string
		list *[]string
	}{{"blocklist", &s.Blocklist}, {"allowlist", &s.Allowlist}, {"blocked_authors", &s.BlockedAuthors}}
	for _, l := range lists {
		clean, err := cleanRules(l.name, *l.list)
		if err != nil {
			return err
		}
		*l.list = clean
	}
	if len(s.Sources) > MaxFeedSources {
		return FieldErrorf("sources", "At most %d sources.", MaxFeedSources)
	}
	if s.Sources == nil {
		s.Sources = []SourceConfig{}
	}
	for i := range s.Sources {
		if err := s.Sources[i].Validate(); err != nil {
			return err
		}
	}
	if s.Recordings == nil {
		s.Recordings = map[int64]Recording{}
	}
	for _, r := range s.Recordings {
		if err := validURL("recordings.url", r.URL); err != nil || r.URL == "" {
			return FieldErrorf("recordings", "A recording needs an http(s) url.")
		}
	}
	return nil
}

// AppPostsEnabled reports whether the audience may post from the app.
func (s *FeedSettings) AppPostsEnabled() bool { return s.AppPosts == nil || *s.AppPosts }

// cleanRules trims, lower-cases and de-duplicates a rule list.
func cleanRules(field string, in []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	if len(in) > MaxRules {
		return nil, FieldErrorf(field, "%s holds at most %d entries.", field, MaxRules)
	}
	for _, r := range in {
		if !utf8.ValidString(r) {
			return nil, FieldErrorf(field, "Each %s entry is at most %d characters.", field, MaxRuleLen)
		}
		r = strings.ToLower(CleanText(r, 0))
		if r == "" || seen[r] {
			continue
		}
		if utf8.RuneCountInString(r) > MaxRuleLen {
			return nil, FieldErrorf(field, "Each %s entry is at most %d characters.", field, MaxRuleLen)
		}
		seen[r] = true
		out = append(out, r)
	}
	return out, nil
}

// Validate reports the first invalid field of c.
func (c *SourceConfig) Validate() error {
	switch c.Kind {
	case SourceX, SourceMastodon, SourceBluesky:
	default:
		return FieldErrorf("sources.kind", "A source kind is %q, %q or %q.", SourceX, SourceMastodon, SourceBluesky)
	}
	c.Hashtag = strings.TrimPrefix(CleanText(c.Hashtag, 0), "#")
	if c.Hashtag == "" || utf8.RuneCountInString(c.Hashtag) > 100 || strings.ContainsAny(c.Hashtag, " #/?&") {
		return FieldErrorf("sources.hashtag", "A source needs a hashtag, without spaces.")
	}
	if c.BaseURL != "" {
		ok := false
		for _, p := range []string{"http://", "https://", "ws://", "wss://"} {
			ok = ok || strings.HasPrefix(c.BaseURL, p)
		}
		if !ok || len(c.BaseURL) > MaxFeedURLLen {
			return FieldErrorf("sources.base_url", "base_url must be an http(s) or ws(s) URL.")
		}
	}
	if c.IntervalS < 0 || c.IntervalS > 3600 {
		return FieldErrorf("sources.interval_s", "interval_s must be from 0 (default) to 3600.")
	}
	if c.RoomID < 0 {
		return FieldErrorf("sources.room_id", "room_id must be a room of the event, or 0.")
	}
	return nil
}

// Moment is a peak of feed volume in a room: when, how many items in its
// minute, and the approved posts that made it.
type Moment struct {
	RoomID int64     `json:"room_id"`
	At     time.Time `json:"at"`     // start of the peak minute
	Volume int       `json:"volume"` // items in that minute
	// Baseline is the rolling median the peak stands above, and Score how
	// many robust deviations (MAD) above it.
	Baseline float64 `json:"baseline"`
	Score    float64 `json:"score"`
	// RecordingURL opens the room's recording at the moment (a "#t=" offset),
	// when a recording is set and started before the moment.
	RecordingURL string     `json:"recording_url,omitempty"`
	OffsetS      int64      `json:"offset_s,omitempty"`
	Top          []FeedItem `json:"top"`
}

// VolumePoint is the number of feed items in one minute.
type VolumePoint struct {
	Minute time.Time `json:"minute"`
	Count  int       `json:"count"`
}

// VolumeCount is the number of items one source brought to one room (0:
// event-wide) in one minute.
type VolumeCount struct {
	Minute time.Time `json:"minute"`
	RoomID int64     `json:"room_id"`
	Source string    `json:"source"`
	Count  int       `json:"count"`
}

// FeedQuery selects feed items, newest first.
type FeedQuery struct {
	EventID  int64
	Status   string // "" for any
	RoomID   int64  // > 0: items of that room and event-wide items
	Pinned   bool   // only pinned items
	Since    time.Time
	Until    time.Time
	BeforeID int64 // > 0: items older than this id (paging)
	Limit    int   // default 50, at most 500
}
