package feed

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dghubble/go-twitter/twitter"
	"github.com/ovation-live/ovation/live"
)

// XSource searches X (Twitter) for a hashtag with the v1.1 search API
// through github.com/dghubble/go-twitter, authenticated by a bearer token.
// Its cursor is the since-id: the newest tweet id stored. Each poll pages
// back with max_id until a short page, then stores the newest id, so a burst
// larger than one page leaves no gap (up to MaxPages pages per poll).
type XSource struct {
	Hashtag  string
	Token    string
	RoomID   int64
	BaseURL  string        // default https://api.twitter.com; tests point it at a fake
	Interval time.Duration // between polls; default 30 s
	PageSize int           // tweets per request; default 100 (the API's maximum)
	MaxPages int           // pages per poll; default 5
	Client   *http.Client  // its Transport is wrapped; default http.DefaultTransport with a 20 s timeout
	Wait     func(ctx context.Context, d time.Duration) bool
	Now      func() time.Time
}

var _ Source = (*XSource)(nil)

// rewriteTransport sends every request to base's scheme and host, and adds
// the bearer token: go-twitter's base URL is not exported.
type rewriteTransport struct {
	base  *url.URL
	token string
	next  http.RoundTripper
}

func (t *rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if t.base != nil {
		r.URL.Scheme, r.URL.Host, r.Host = t.base.Scheme, t.base.Host, t.base.Host
	}
	if t.token != "" {
		r.Header.Set("Authorization", "Bearer "+t.token)
	}
	return t.next.RoundTrip(r)
}

func (s *XSource) defaults() {
	if s.Interval <= 0 {
		s.Interval = 30 * time.Second
	}
	if s.PageSize <= 0 {
		s.PageSize = 100
	}
	if s.MaxPages <= 0 {
		s.MaxPages = 5
	}
	if s.Wait == nil {
		s.Wait = sleep
	}
	if s.Now == nil {
		s.Now = time.Now
	}
}

// Run implements Source.
func (s *XSource) Run(ctx context.Context, cursor string, sink Sink) error {
	s.defaults()
	var base *url.URL
	if s.BaseURL != "" {
		u, err := url.Parse(s.BaseURL)
		if err != nil {
			return fmt.Errorf("x: base url: %w", err)
		}
		base = u
	}
	hc := &http.Client{Timeout: 20 * time.Second, Transport: http.DefaultTransport}
	if s.Client != nil {
		hc = &http.Client{Timeout: s.Client.Timeout, Transport: s.Client.Transport}
		if hc.Transport == nil {
			hc.Transport = http.DefaultTransport
		}
	}
	hc.Transport = &rewriteTransport{base: base, token: s.Token, next: hc.Transport}
	client := twitter.NewClient(hc)
	sinceID, _ := strconv.ParseInt(cursor, 10, 64)
	for {
		items, newest, err := s.poll(ctx, client, sinceID)
		if err != nil {
			return err
		}
		if newest > sinceID {
			if err := sink(ctx, items, strconv.FormatInt(newest, 10)); err != nil {
				return err
			}
			sinceID = newest
		}
		if !s.Wait(ctx, s.Interval) {
			return nil
		}
	}
}

// poll reads every tweet newer than sinceID, newest page first.
func (s *XSource) poll(ctx context.Context, client *twitter.Client, sinceID int64) ([]live.FeedItem, int64, error) {
	var items []live.FeedItem
	newest, maxID := sinceID, int64(0)
	for page := 0; page < s.MaxPages; page++ {
		if ctx.Err() != nil {
			return nil, 0, errStopped
		}
		params := &twitter.SearchTweetParams{Query: "#" + s.Hashtag + " -filter:retweets", ResultType: "recent",
			Count: s.PageSize, SinceID: sinceID, MaxID: maxID, TweetMode: "extended"}
		search, resp, err := client.Search.Tweets(params)
		if resp != nil && resp.StatusCode >= 300 {
			return nil, 0, responseError(resp, s.Now(), "x search")
		}
		if err != nil {
			return nil, 0, fmt.Errorf("x search: %w", err)
		}
		oldest := int64(0)
		for _, t := range search.Statuses {
			id, err := strconv.ParseInt(t.IDStr, 10, 64)
			if err != nil || id <= sinceID || t.User == nil || t.RetweetedStatus != nil {
				continue // malformed, or not newer, or a retweet
			}
			newest = max(newest, id)
			if oldest == 0 || id < oldest {
				oldest = id
			}
			items = append(items, tweetItem(t, s.RoomID))
		}
		if len(search.Statuses) < s.PageSize || oldest == 0 {
			break
		}
		maxID = oldest - 1
	}
	return items, newest, nil
}

func tweetItem(t twitter.Tweet, room int64) live.FeedItem {
	text := t.FullText
	if text == "" {
		text = t.Text
	}
	it := live.FeedItem{Source: live.SourceX, SourceID: t.IDStr, RoomID: room, Author: t.User.ScreenName, AuthorName: t.User.Name,
		Text: htmlUnescape(text), Link: "https://x.com/" + url.PathEscape(t.User.ScreenName) + "/status/" + t.IDStr}
	it.PostedAt, _ = t.CreatedAtTime()
	if t.ExtendedEntities != nil {
		for _, m := range t.ExtendedEntities.Media {
			if m.Type == "photo" {
				it.MediaURL = m.MediaURLHttps
				break
			}
		}
	}
	return it
}
