package feed

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ovation-live/ovation/live"
)

// MastodonSource polls an instance's hashtag timeline
// (GET /api/v1/timelines/tag/:hashtag) with plain net/http: go-mastodon
// hides the response headers that carry Retry-After and X-RateLimit-Reset,
// and the endpoint is one GET of documented JSON.
//
// Its cursor is the since-id: the newest status id stored. Pages are
// requested with min_id (the statuses immediately newer than it), so a burst
// larger than one page is read in order without a gap.
type MastodonSource struct {
	Hashtag  string
	Token    string // user or app token, for instances that require one
	RoomID   int64
	BaseURL  string        // the instance, e.g. https://mastodon.social
	Interval time.Duration // between polls; default 15 s
	PageSize int           // statuses per request; default 40 (the API's maximum)
	MaxPages int           // pages per poll; default 5
	Client   *http.Client  // default: a 20 s timeout
	Wait     func(ctx context.Context, d time.Duration) bool
	Now      func() time.Time
}

var _ Source = (*MastodonSource)(nil)

type mastodonStatus struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	Content   string    `json:"content"`
	URL       string    `json:"url"`
	Spoiler   string    `json:"spoiler_text"`
	Reblog    *struct{} `json:"reblog"`
	Account   struct {
		Acct        string `json:"acct"`
		DisplayName string `json:"display_name"`
	} `json:"account"`
	Media []struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"media_attachments"`
}

// Run implements Source.
func (s *MastodonSource) Run(ctx context.Context, cursor string, sink Sink) error {
	if s.Interval <= 0 {
		s.Interval = 15 * time.Second
	}
	if s.PageSize <= 0 {
		s.PageSize = 40
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
	if s.Client == nil {
		s.Client = &http.Client{Timeout: 20 * time.Second}
	}
	for {
		for page := 0; page < s.MaxPages; page++ {
			statuses, err := s.fetch(ctx, cursor)
			if err != nil {
				return err
			}
			var items []live.FeedItem
			newest := cursor
			for _, st := range statuses {
				if !digits(st.ID) || !idAfter(st.ID, cursor) {
					continue
				}
				if idAfter(st.ID, newest) {
					newest = st.ID
				}
				if st.Reblog == nil {
					items = append(items, s.item(st))
				}
			}
			if newest == cursor {
				break
			}
			if err := sink(ctx, items, newest); err != nil {
				return err
			}
			cursor = newest
			if len(statuses) < s.PageSize {
				break
			}
		}
		if !s.Wait(ctx, s.Interval) {
			return nil
		}
	}
}

func (s *MastodonSource) fetch(ctx context.Context, minID string) ([]mastodonStatus, error) {
	q := url.Values{"limit": {fmt.Sprint(s.PageSize)}}
	if minID != "" {
		q.Set("min_id", minID)
	}
	u := strings.TrimSuffix(s.BaseURL, "/") + "/api/v1/timelines/tag/" + url.PathEscape(s.Hashtag) + "?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("mastodon: %w", err)
	}
	if s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, errStopped
		}
		return nil, fmt.Errorf("mastodon: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, responseError(resp, s.Now(), "mastodon timeline")
	}
	var out []mastodonStatus
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&out); err != nil {
		return nil, fmt.Errorf("mastodon: malformed timeline: %w", err)
	}
	return out, nil
}

func (s *MastodonSource) item(st mastodonStatus) live.FeedItem {
	text := PlainText(st.Content)
	if st.Spoiler != "" {
		text = PlainText(st.Spoiler) + " — " + text
	}
	it := live.FeedItem{Source: live.SourceMastodon, SourceID: st.ID, RoomID: s.RoomID, Author: st.Account.Acct,
		AuthorName: st.Account.DisplayName, Text: text, Link: st.URL, PostedAt: st.CreatedAt}
	if host, err := url.Parse(s.BaseURL); err == nil && !strings.Contains(it.Author, "@") && host.Host != "" {
		it.Author += "@" + host.Hostname() // a local account: name its instance, as remote ones are
	}
	for _, m := range st.Media {
		if m.Type == "image" {
			it.MediaURL = m.URL
			break
		}
	}
	return it
}

// idAfter reports whether id a is newer than b. Mastodon ids are decimal
// strings that sort by length, then lexically; an empty b is older than all.
func idAfter(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != "" && len(s) <= 30
}
