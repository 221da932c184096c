package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/ovation-live/ovation/live"
)

// JetstreamSource reads Bluesky posts from a Jetstream server: JSON over a
// WebSocket (/subscribe?wantedCollections=app.bsky.feed.post), read with
// coder/websocket. Jetstream has no tag filter, so every post goes by and
// Ovation keeps those tagged with Hashtag (a tag facet or "#tag" in the text).
//
// Its cursor is the time_us of the last event read. On resume it rewinds
// Rewind (default 2 s), as Jetstream advises for a gapless replay; the
// duplicates that brings are dropped by source id. The cursor is stored at
// most every SaveEvery (default 2 s) when nothing matches.
type JetstreamSource struct {
	Hashtag   string
	RoomID    int64
	BaseURL   string // e.g. wss://jetstream2.us-east.bsky.network
	Rewind    time.Duration
	SaveEvery time.Duration
	// IdleTimeout ends a connection that delivers nothing for this long:
	// Jetstream streams every post of the network, so silence means a
	// stalled link; the supervisor reconnects with backoff. Default 60 s.
	IdleTimeout time.Duration
	Now         func() time.Time
}

var _ Source = (*JetstreamSource)(nil)

// jetstreamEvent is the part of a Jetstream message Ovation reads.
type jetstreamEvent struct {
	DID    string `json:"did"`
	TimeUS int64  `json:"time_us"`
	Kind   string `json:"kind"`
	Commit *struct {
		Operation  string          `json:"operation"`
		Collection string          `json:"collection"`
		RKey       string          `json:"rkey"`
		Record     json.RawMessage `json:"record"`
	} `json:"commit"`
}

type bskyPost struct {
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"createdAt"`
	Facets    []struct {
		Features []struct {
			Type string `json:"$type"`
			Tag  string `json:"tag"`
		} `json:"features"`
	} `json:"facets"`
	Embed *struct {
		Images []struct {
			Image struct {
				Ref struct {
					Link string `json:"$link"`
				} `json:"ref"`
			} `json:"image"`
		} `json:"images"`
	} `json:"embed"`
}

// Run implements Source.
func (s *JetstreamSource) Run(ctx context.Context, cursor string, sink Sink) error {
	if s.Rewind <= 0 {
		s.Rewind = 2 * time.Second
	}
	if s.SaveEvery <= 0 {
		s.SaveEvery = 2 * time.Second
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	q := url.Values{"wantedCollections": {"app.bsky.feed.post"}}
	if n, err := strconv.ParseInt(cursor, 10, 64); err == nil && n > 0 {
		q.Set("cursor", strconv.FormatInt(max(n-s.Rewind.Microseconds(), 1), 10))
	}
	u := strings.TrimSuffix(s.BaseURL, "/") + "/subscribe?" + q.Encode()
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	c, resp, err := websocket.Dial(dctx, u, nil)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		if resp != nil && resp.StatusCode >= 300 {
			return responseError(resp, s.Now(), "jetstream")
		}
		return fmt.Errorf("jetstream: dial: %w", err)
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	lastSaved := s.Now()
	idle := s.IdleTimeout
	if idle <= 0 {
		idle = 60 * time.Second
	}
	for {
		rctx, cancel := context.WithTimeout(ctx, idle)
		_, msg, err := c.Read(rctx)
		stalled := rctx.Err() == context.DeadlineExceeded
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				c.Close(websocket.StatusNormalClosure, "")
				return nil
			}
			if stalled {
				return fmt.Errorf("jetstream: nothing received for %v", idle)
			}
			return fmt.Errorf("jetstream: read: %w", err)
		}
		it, timeUS, ok := s.parse(msg)
		if timeUS <= 0 {
			continue // malformed: no position to keep
		}
		cursor = strconv.FormatInt(timeUS, 10)
		switch {
		case ok:
			err = sink(ctx, []live.FeedItem{it}, cursor)
		case s.Now().Sub(lastSaved) >= s.SaveEvery:
			err = sink(ctx, nil, cursor)
		default:
			continue
		}
		if err != nil {
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				return nil
			}
			return err
		}
		lastSaved = s.Now()
	}
}

// parse reads one Jetstream message. It returns the item if the message is
// a new post carrying the hashtag, and the message's time_us (0 if malformed).
func (s *JetstreamSource) parse(msg []byte) (live.FeedItem, int64, bool) {
	var ev jetstreamEvent
	if json.Unmarshal(msg, &ev) != nil {
		return live.FeedItem{}, 0, false
	}
	if ev.Kind != "commit" || ev.Commit == nil || ev.Commit.Operation != "create" || ev.Commit.Collection != "app.bsky.feed.post" ||
		ev.DID == "" || ev.Commit.RKey == "" {
		return live.FeedItem{}, ev.TimeUS, false
	}
	var p bskyPost
	if json.Unmarshal(ev.Commit.Record, &p) != nil || !hasTag(p, s.Hashtag) {
		return live.FeedItem{}, ev.TimeUS, false
	}
	it := live.FeedItem{Source: live.SourceBluesky, SourceID: "at://" + ev.DID + "/app.bsky.feed.post/" + ev.Commit.RKey,
		RoomID: s.RoomID, Author: ev.DID, Text: p.Text, PostedAt: p.CreatedAt,
		Link: "https://bsky.app/profile/" + url.PathEscape(ev.DID) + "/post/" + url.PathEscape(ev.Commit.RKey)}
	if p.Embed != nil && len(p.Embed.Images) > 0 && p.Embed.Images[0].Image.Ref.Link != "" {
		it.MediaURL = "https://cdn.bsky.app/img/feed_fullsize/plain/" + url.PathEscape(ev.DID) + "/" + url.PathEscape(p.Embed.Images[0].Image.Ref.Link) + "@jpeg"
	}
	if it.PostedAt.IsZero() || it.PostedAt.After(time.UnixMicro(ev.TimeUS).Add(time.Minute)) {
		it.PostedAt = time.UnixMicro(ev.TimeUS).UTC() // a client clock is not to be trusted
	}
	return it, ev.TimeUS, true
}

// hasTag reports whether the post carries tag, as a tag facet or as
// "#tag" in its text, case-insensitively.
func hasTag(p bskyPost, tag string) bool {
	for _, f := range p.Facets {
		for _, feat := range f.Features {
			if feat.Type == "app.bsky.richtext.facet#tag" && strings.EqualFold(strings.TrimPrefix(feat.Tag, "#"), tag) {
				return true
			}
		}
	}
	return live.ContainsWord(p.Text, "#"+strings.ToLower(tag))
}
