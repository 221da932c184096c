package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/ovation-live/ovation/feed"
	"github.com/ovation-live/ovation/live"
)

// The social feed's routes (docs/protocol.md, "Social feed"). Their lines
// are in Routes with the others; the handlers are here.

func (s *Server) feedService() (*feed.Service, error) {
	if s.feed == nil {
		return nil, live.Errorf(live.ENotFound, "The social feed is not enabled on this server.")
	}
	return s.feed, nil
}

// queryInt reads an optional integer query parameter (0 when absent).
func queryInt(c echo.Context, name string) (int64, error) {
	v := c.QueryParam(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, live.FieldErrorf(name, "%s must be a whole number.", name)
	}
	return n, nil
}

// queryTime reads an optional RFC 3339 time query parameter.
func queryTime(c echo.Context, name string) (time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, live.FieldErrorf(name, "%s must be an RFC 3339 time like 2026-11-23T09:00:00Z.", name)
	}
	return t, nil
}

// feedPage is the public feed of a room: approved items newest first, the
// pinned ones (first page only), and the longest in-app post the event takes.
type feedPage struct {
	RoomID     int64           `json:"room_id"`
	PostMaxLen int             `json:"post_max_len"`
	Pinned     []live.FeedItem `json:"pinned"`
	Items      []live.FeedItem `json:"items"`
}

// handleFeed returns the approved feed: ?room_id= (0 or absent: every
// room), ?before_id= for the next page, ?limit= (default 50, at most 200).
func (s *Server) handleFeed(c echo.Context) error {
	f, err := s.feedService()
	if err != nil {
		return err
	}
	q, err := s.feedQuery(c, live.FeedApproved)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	st, err := f.Settings(ctx, c.Param("code"))
	if err != nil {
		return err
	}
	page := feedPage{RoomID: q.RoomID, PostMaxLen: st.PostMaxLen, Pinned: []live.FeedItem{}}
	if q.BeforeID == 0 {
		pq := q
		pq.Pinned, pq.Limit = true, 10
		if page.Pinned, err = f.Items(ctx, c.Param("code"), pq); err != nil {
			return err
		}
	}
	if page.Items, err = f.Items(ctx, c.Param("code"), q); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

// feedQuery reads room_id, before_id and limit, checking the room.
func (s *Server) feedQuery(c echo.Context, status string) (live.FeedQuery, error) {
	q := live.FeedQuery{Status: status}
	var err error
	if q.RoomID, err = queryInt(c, "room_id"); err != nil {
		return q, err
	}
	if q.BeforeID, err = queryInt(c, "before_id"); err != nil {
		return q, err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return q, err
	}
	if limit > 200 {
		return q, live.FieldErrorf("limit", "limit is at most 200.")
	}
	q.Limit = int(limit)
	ev, err := s.engine.Event(c.Param("code"))
	if err != nil {
		return q, err
	}
	rooms, err := s.engine.RoomIDs(ev.ID)
	if err != nil {
		return q, err
	}
	if q.RoomID > 0 && !slices.Contains(rooms, q.RoomID) {
		return q, live.FieldErrorf("room_id", "No room %d in this event.", q.RoomID)
	}
	return q, nil
}

type postInput struct {
	Text   string `json:"text"`
	RoomID int64  `json:"room_id"`
}

// handleFeedPost adds an in-app post by the participant of the token.
func (s *Server) handleFeedPost(c echo.Context) error {
	f, err := s.feedService()
	if err != nil {
		return err
	}
	claims, err := s.participant(c)
	if err != nil {
		return err
	}
	var in postInput
	if err := decode(c, &in); err != nil {
		return err
	}
	ev, err := s.engine.Event(c.Param("code"))
	if err != nil {
		return err
	}
	if ev.ID != claims.EventID {
		return live.Errorf(live.EForbidden, "This participant token is for another event.")
	}
	it, err := f.Post(c.Request().Context(), ev.Code, claims.ParticipantID, claims.Name, in.Text, in.RoomID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, it)
}

type webhookInput struct {
	ID         string    `json:"id"`
	Author     string    `json:"author"`
	AuthorName string    `json:"author_name"`
	Text       string    `json:"text"`
	Link       string    `json:"link"`
	MediaURL   string    `json:"media_url"`
	PostedAt   time.Time `json:"posted_at"`
	RoomID     int64     `json:"room_id"`
}

// handleFeedWebhook adds an item from an integration holding the event's
// webhook token: 201 with the item, or 200 with "duplicate" status.
func (s *Server) handleFeedWebhook(c echo.Context) error {
	f, err := s.feedService()
	if err != nil {
		return err
	}
	token, _ := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
	if err := f.CheckWebhook(c.Request().Context(), c.Param("code"), token); err != nil {
		return err
	}
	var in webhookInput
	if err := decode(c, &in); err != nil {
		return err
	}
	it, added, err := f.Webhook(c.Request().Context(), c.Param("code"), live.FeedItem{SourceID: in.ID, Author: in.Author,
		AuthorName: in.AuthorName, Text: in.Text, Link: in.Link, MediaURL: in.MediaURL, PostedAt: in.PostedAt, RoomID: in.RoomID})
	if err != nil {
		return err
	}
	if !added {
		return c.JSON(http.StatusOK, map[string]string{"status": "duplicate"})
	}
	return c.JSON(http.StatusCreated, it)
}

// handleMoments returns a room's moments page: ?room_id= (required),
// ?from= and ?to= (RFC 3339; default the last 24 hours).
func (s *Server) handleMoments(c echo.Context) error {
	f, err := s.feedService()
	if err != nil {
		return err
	}
	room, err := queryInt(c, "room_id")
	if err != nil {
		return err
	}
	from, err := queryTime(c, "from")
	if err != nil {
		return err
	}
	to, err := queryTime(c, "to")
	if err != nil {
		return err
	}
	page, err := f.Moments(c.Request().Context(), c.Param("code"), room, from, to, feed.PeakOptions{})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

// --- Moderator --------------------------------------------------------------

// handleFeedItems lists items for moderation: ?status=pending (default),
// approved, rejected or all; room_id, before_id, limit as handleFeed.
func (s *Server) handleFeedItems(c echo.Context) error {
	f, err := s.feedService()
	if err != nil {
		return err
	}
	status := c.QueryParam("status")
	switch status {
	case "":
		status = live.FeedPending
	case live.FeedPending, live.FeedApproved, live.FeedRejected:
	case "all":
		status = ""
	default:
		return live.FieldErrorf("status", "status must be pending, approved, rejected or all.")
	}
	q, err := s.feedQuery(c, status)
	if err != nil {
		return err
	}
	items, err := f.Items(c.Request().Context(), c.Param("code"), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, items)
}

// handleFeedAction approves, rejects, pins, unpins or blocks the author of
// an item, and returns the item.
func (s *Server) handleFeedAction(c echo.Context) error {
	f, err := s.feedService()
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := decodeAction(c); err != nil {
		return err
	}
	it, err := f.Decide(c.Request().Context(), c.Param("code"), actor(c), id, c.Param("action"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, it)
}

// sourceView is a source's configuration as the API shows it: the token
// is never sent back, only whether one is set.
type sourceView struct {
	live.SourceConfig
	TokenSet bool `json:"token_set"`
}

// feedSettingsView is the feed settings as the API shows them.
type feedSettingsView struct {
	Moderation     string                   `json:"moderation"`
	Blocklist      []string                 `json:"blocklist"`
	Allowlist      []string                 `json:"allowlist"`
	BlockedAuthors []string                 `json:"blocked_authors"`
	Sources        []sourceView             `json:"sources"`
	Recordings     map[int64]live.Recording `json:"recordings"`
	PostMaxLen     int                      `json:"post_max_len"`
	AppPosts       bool                     `json:"app_posts"`
	WebhookEnabled bool                     `json:"webhook_enabled"`
	SourceStatus   []feed.SourceStatus      `json:"source_status"`
}

func (s *Server) settingsView(c echo.Context, st live.FeedSettings) (feedSettingsView, error) {
	v := feedSettingsView{Moderation: st.Moderation, Blocklist: st.Blocklist, Allowlist: st.Allowlist, BlockedAuthors: st.BlockedAuthors,
		Sources: []sourceView{}, Recordings: st.Recordings, PostMaxLen: st.PostMaxLen, AppPosts: st.AppPostsEnabled(),
		WebhookEnabled: st.WebhookTokenHash != ""}
	for _, src := range st.Sources {
		set := src.Token != ""
		src.Token = ""
		v.Sources = append(v.Sources, sourceView{SourceConfig: src, TokenSet: set})
	}
	ev, err := s.engine.Event(c.Param("code"))
	if err != nil {
		return v, err
	}
	v.SourceStatus = s.feed.SourceStatuses(ev.ID)
	return v, nil
}

func (s *Server) handleFeedSettings(c echo.Context) error {
	f, err := s.feedService()
	if err != nil {
		return err
	}
	st, err := f.Settings(c.Request().Context(), c.Param("code"))
	if err != nil {
		return err
	}
	v, err := s.settingsView(c, st)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// feedSettingsInput is a partial edit of the feed settings. A source sent
// without a token keeps the token of the same kind and hashtag, if any.
type feedSettingsInput struct {
	Moderation     *string                   `json:"moderation"`
	Blocklist      *[]string                 `json:"blocklist"`
	Allowlist      *[]string                 `json:"allowlist"`
	BlockedAuthors *[]string                 `json:"blocked_authors"`
	Sources        *[]live.SourceConfig      `json:"sources"`
	Recordings     *map[int64]live.Recording `json:"recordings"`
	PostMaxLen     *int                      `json:"post_max_len"`
	AppPosts       *bool                     `json:"app_posts"`
}

func (s *Server) handleUpdateFeedSettings(c echo.Context) error {
	f, err := s.feedService()
	if err != nil {
		return err
	}
	var in feedSettingsInput
	if err := decode(c, &in); err != nil {
		return err
	}
	st, err := f.UpdateSettings(c.Request().Context(), c.Param("code"), actor(c), func(st *live.FeedSettings) error {
		set(&st.Moderation, in.Moderation)
		set(&st.Blocklist, in.Blocklist)
		set(&st.Allowlist, in.Allowlist)
		set(&st.BlockedAuthors, in.BlockedAuthors)
		set(&st.Recordings, in.Recordings)
		set(&st.PostMaxLen, in.PostMaxLen)
		if in.AppPosts != nil {
			st.AppPosts = in.AppPosts
		}
		if in.Sources != nil {
			old := map[string]string{}
			for _, src := range st.Sources {
				old[src.Kind+":"+strings.ToLower(strings.TrimPrefix(src.Hashtag, "#"))] = src.Token
			}
			next := *in.Sources
			for i := range next {
				if next[i].Token == "" {
					next[i].Token = old[next[i].Kind+":"+strings.ToLower(strings.TrimPrefix(strings.TrimSpace(next[i].Hashtag), "#"))]
				}
			}
			st.Sources = next
		}
		return nil
	})
	if err != nil {
		return err
	}
	v, err := s.settingsView(c, st)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// handleFeedWebhookToken makes a new webhook token for the event, replacing
// any earlier one, and returns it once.
func (s *Server) handleFeedWebhookToken(c echo.Context) error {
	f, err := s.feedService()
	if err != nil {
		return err
	}
	token := randomToken(24)
	if err := f.SetWebhookToken(c.Request().Context(), c.Param("code"), actor(c), token); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]string{"token": token})
}
