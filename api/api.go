// Package api owns Ovation's HTTP and WebSocket surface: the Echo routes (all
// in Routes), authentication of participants and moderators, CSRF, the rate
// limits it applies, the error table, metrics, the WebSocket protocol (what
// the messages mean; package stream carries them) and the one vote path
// (Voter: the engine on a core, the cluster edge on an edge).
//
// It imports show (the engine), board and feed (their services), cluster
// (an edge's port to the core), hub (fan-out), stream (the connections),
// ratelimit, live (the domain) and, through its Deps, the pages.
// docs/protocol.md documents every route and message.
package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"net/http/pprof"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/ovation-live/ovation/board"
	"github.com/ovation-live/ovation/cluster"
	"github.com/ovation-live/ovation/feed"
	"github.com/ovation-live/ovation/feedback"
	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/programme"
	"github.com/ovation-live/ovation/ratelimit"
	"github.com/ovation-live/ovation/report"
	"github.com/ovation-live/ovation/show"
	"github.com/ovation-live/ovation/stream"
	"golang.org/x/crypto/bcrypt"
)

// Config configures the API. Zero values take the defaults noted.
type Config struct {
	// AllowedOrigins lists the exact origins (scheme://host[:port]) whose pages
	// may open WebSockets and call the API from a browser.
	AllowedOrigins []string
	TokenSecret    []byte        // signs participant tokens; required
	TokenTTL       time.Duration // participant token lifetime; default 72 h
	// PasswordHash, if set, is the first administrator's password (bcrypt,
	// HashPassword) in place of the one stored with the account: the
	// configured moderator_password.
	PasswordHash string
	APITokenHash string // hash of the automation API token (HashAPIToken), the first administrator's; empty disables it
	// PasswordCost is the bcrypt cost of the passwords accounts set; default
	// bcrypt.DefaultCost (10), about 60 ms a hash.
	PasswordCost int
	// Credentials, if set, is asked for both at every login and every
	// API-token request instead of PasswordHash and APITokenHash, so that a
	// new token applies to the running server at once.
	Credentials Credentials
	// OIDC, if set with an issuer, client id and secret, adds single
	// sign-on through that OpenID Connect provider.
	OIDC         *OIDCConfig
	CookieSecure bool // set the Secure flag on the session cookie and send Strict-Transport-Security (behind HTTPS)
	TrustProxy   bool // take client IPs from X-Forwarded-For (only behind a trusted proxy)
	// PublicURL is the address phones use (scheme://host[:port]), for join URLs
	// and QR codes; empty: the scheme and host each request came to.
	PublicURL string
	// FrameAncestors lists the Content-Security-Policy sources (such as
	// https://organiser.example or 'self') whose pages may frame the stage,
	// audience and moments pages; empty: 'self'. The control page and every
	// other answer may never be framed.
	FrameAncestors []string

	ReadLimit    int64         // largest WebSocket message accepted, bytes; default 4096
	WriteTimeout time.Duration // a write stuck this long closes the connection; default 10 s
	PingInterval time.Duration // WebSocket keepalive; default 20 s
	// RevalidateInterval is how often a team member's open WebSocket has its
	// session or token checked again (closed with CloseSessionEnded once
	// revoked, expired or changed); default 2 s.
	RevalidateInterval time.Duration

	VoteRate  float64 // votes per second per participant; default 5, burst VoteBurst (10)
	VoteBurst int
	// Per-IP limits are generous: a whole venue may share one address behind NAT.
	IPVoteRate     float64 // votes per second per IP address; default 2000, burst IPVoteBurst (10000)
	IPVoteBurst    int
	JoinRate       float64 // joins per second per IP address; default 200, burst JoinBurst (2000)
	JoinBurst      int
	MessageRate    float64 // WebSocket messages per second per connection; default 20, burst MessageBurst (40)
	MessageBurst   int
	FloodThreshold int // messages refused in a row before the connection is closed (4029); default 50
}

// WithDefaults returns c with its zero fields set to the defaults noted.
func (c Config) WithDefaults() Config {
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	def := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	defi := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.VoteRate, 5)
	defi(&c.VoteBurst, 10)
	def(&c.IPVoteRate, 2000)
	defi(&c.IPVoteBurst, 10000)
	def(&c.JoinRate, 200)
	defi(&c.JoinBurst, 2000)
	def(&c.MessageRate, 20)
	defi(&c.MessageBurst, 40)
	defi(&c.FloodThreshold, 50)
	if c.PasswordCost <= 0 {
		c.PasswordCost = bcrypt.DefaultCost
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = 72 * time.Hour
	}
	if c.ReadLimit <= 0 {
		c.ReadLimit = 4096
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 20 * time.Second
	}
	if c.RevalidateInterval <= 0 {
		c.RevalidateInterval = 2 * time.Second
	}
}

// Credentials gives the first administrator's password hash in place of
// the stored one ("" for none: the account's own) and the API token's hash
// (HashAPIToken, "" disables the token) in force now.
type Credentials interface {
	PasswordHash(ctx context.Context) (string, error)
	APITokenHash(ctx context.Context) (string, error)
}

// AuditLog reads the audit trail and records the team's changes.
type AuditLog interface {
	AuditSearch(ctx context.Context, f live.AuditFilter) ([]live.AuditEntry, error)
	Audit(ctx context.Context, a live.AuditEntry) error
}

// Server is the HTTP and WebSocket API.
type Server struct {
	cfg     Config
	engine  *show.Engine
	hub     *hub.Hub
	team    Team // nil on an edge: the core keeps the team
	audit   AuditLog
	pages   fs.FS
	assets  *assetSet // pages, read and compressed once by Routes
	log     *slog.Logger
	echo    *echo.Echo
	metrics *Metrics
	feed    *feed.Service  // nil: the feed routes answer not_found
	boards  *board.Service // nil: the board routes answer not_found
	reports report.Store   // nil: the report routes answer not_found
	// programme is nil: the programme routes answer not_found.
	programme *programme.Service
	// feedback is nil: the feedback routes answer not_found.
	feedback *feedback.Service

	// edge is set on a cluster edge (NewEdge): the engine runs on the core,
	// reached through it. count gives presence counts (Deps.Presence).
	edge  Edge
	count func(topic string) int
	voter Voter // the engine, or on an edge the edge: the one vote path

	voteLimit, ipVoteLimit, joinLimit, loginLimit *ratelimit.Keyed[string]
	oidc                                          oidcClient

	streams  *stream.Set // the WebSocket transports, and their keepalive
	connMu   sync.Mutex
	conns    map[*conn]struct{}
	draining bool
	connWG   sync.WaitGroup
}

// Deps is what a core's API serves: the running show and the services
// beside it. Engine, Hub, Pages, Metrics and Log are required; Team and
// Audit may be nil only in tests that never touch the team's routes.
type Deps struct {
	Config  Config
	Engine  *show.Engine
	Hub     *hub.Hub
	Team    Team     // accounts, sessions and tokens
	Audit   AuditLog // the audit trail
	Pages   fs.FS    // the embedded pages (static.Files)
	Metrics *Metrics
	Log     *slog.Logger
	// Feed and Boards are the audience services; nil: their routes answer
	// 404 not_found.
	Feed   *feed.Service
	Boards *board.Service
	// Reports is the store the report routes read figures and participation
	// from; nil: they answer 404 not_found.
	Reports report.Store
	// Programme is the events' programme; nil: its routes answer 404
	// not_found.
	Programme *programme.Service
	// Feedback is the sessions' feedback; nil: its routes answer 404
	// not_found.
	Feedback *feedback.Service
	// Presence counts the subscribers of a topic for the presence frames;
	// nil: this node's hub (a cluster core passes the count of every node).
	Presence func(topic string) int
}

// EdgeDeps is what a cluster edge's API serves: the pages and the
// WebSockets here, everything else on the core through Edge. Every field
// is required.
type EdgeDeps struct {
	Config  Config
	Edge    Edge
	Hub     *hub.Hub
	Pages   fs.FS
	Metrics *Metrics
	Log     *slog.Logger
}

// New returns the API server of a core (or of a single node). Call Routes'
// handler through ServeHTTP, and Shutdown to close WebSockets with "going
// away".
func New(d Deps) *Server {
	s := newServer(d.Config, d.Hub, d.Pages, d.Metrics, d.Log)
	s.engine, s.team, s.audit, s.feed, s.boards, s.reports, s.programme = d.Engine, d.Team, d.Audit, d.Feed, d.Boards, d.Reports, d.Programme
	s.feedback = d.Feedback
	s.voter = engineVoter{d.Engine}
	if d.Presence != nil {
		s.count = d.Presence
	}
	s.echo = s.Routes()
	return s
}

// NewEdge returns the API server of a cluster edge: every HTTP request but
// the health checks, metrics, static files and WebSockets goes to the core
// through d.Edge; so do the votes.
func NewEdge(d EdgeDeps) *Server {
	s := newServer(d.Config, d.Hub, d.Pages, d.Metrics, d.Log)
	s.edge, s.voter = d.Edge, d.Edge
	s.echo = s.Routes()
	return s
}

// newServer holds what a core's and an edge's servers share.
func newServer(cfg Config, h *hub.Hub, pages fs.FS, m *Metrics, log *slog.Logger) *Server {
	cfg.setDefaults()
	s := &Server{cfg: cfg, hub: h, pages: pages, log: log, metrics: m, count: h.Count,
		voteLimit: ratelimit.New[string](cfg.VoteRate, cfg.VoteBurst), ipVoteLimit: ratelimit.New[string](cfg.IPVoteRate, cfg.IPVoteBurst),
		joinLimit: ratelimit.New[string](cfg.JoinRate, cfg.JoinBurst), loginLimit: ratelimit.New[string](5.0/60, 10),
		conns: map[*conn]struct{}{}}
	s.streams = stream.NewSet(h, stream.Options{ReadLimit: cfg.ReadLimit, WriteTimeout: cfg.WriteTimeout,
		PingInterval: cfg.PingInterval, Logger: log, OnStalled: m.writeTimeouts.Inc})
	m.watchHub(h)
	return s
}

// Edge is what the API of a cluster edge uses instead of the engine, which
// runs on the core (implemented by package cluster).
type Edge interface {
	// Do forwards an HTTP request to the core and returns its answer.
	Do(ctx context.Context, r *http.Request, ip string) (*cluster.Response, error)
	// Voter hands a vote to the core: "received" or "queued" now, the
	// final status or error through report later.
	Voter
	// Degraded reports whether the edge cannot reach Redis.
	Degraded() bool
}

// SetDegraded tells every connected client that the service runs degraded
// (a cluster node that cannot reach Redis) or is whole again.
func (s *Server) SetDegraded(degraded bool) {
	status := "ok"
	if degraded {
		status = "degraded"
	}
	msg := live.MustJSON(map[string]any{"type": "service", "status": status})
	s.connMu.Lock()
	defer s.connMu.Unlock()
	for cn := range s.conns {
		cn.st.Send(msg)
	}
}

// forward serves a request on an edge by handing it to the core.
func (s *Server) forward(c echo.Context) error {
	res, err := s.edge.Do(c.Request().Context(), c.Request(), c.RealIP())
	if err != nil {
		return err
	}
	h := c.Response().Header()
	for k, v := range res.Header {
		h[k] = v
	}
	c.Response().WriteHeader(res.Status)
	_, err = c.Response().Write(res.Body)
	return err
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// Routes builds the Echo router: every route of the API is here.
func (s *Server) Routes() *echo.Echo {
	if s.assets == nil {
		s.assets = s.loadAssets()
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = echo.ExtractIPDirect()
	if s.cfg.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	e.Use(middleware.Recover())
	e.Use(s.securityHeaders)
	// A programme import reads its own, larger limit (on an edge too,
	// which forwards it to the core).
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "64K", Skipper: isImport}))
	e.Use(limitImport)
	e.Use(s.checkOrigin)

	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/readyz", s.handleReady)
	e.GET("/metrics", echo.WrapHandler(s.metrics.handler))
	// Profiles, for administrators (or the API token) only.
	for path, h := range map[string]http.HandlerFunc{"/debug/pprof/*": pprof.Index, "/debug/pprof/profile": pprof.Profile, "/debug/pprof/trace": pprof.Trace} {
		e.GET(path, echo.WrapHandler(h), s.require(live.PermAdmin)).Name = needName(live.PermAdmin)
	}
	e.GET("/ws", s.handleWS)
	// Pages: static files, served by every node, so that a page loads on an
	// edge also while no core acts (a failover).
	e.GET("/", s.page("index.html"))
	e.GET("/e/:code", s.page("audience.html"))
	e.GET("/stage/:code", s.page("stage.html"))
	e.GET("/control", s.page("control.html"))
	e.GET("/moments/:code", s.page("moments.html"))
	e.GET("/static/*", s.handleStatic)
	if s.edge != nil { // a cluster edge: the core answers the API; unknown paths stop here
		e.Any("/api/*", s.forward)
		return e
	}

	a := e.Group("/api") // no group middleware: Echo would add a catch-all that hides 404 and 405
	// Audience.
	a.GET("/events/:code", s.handlePublicEvent)
	a.POST("/events/:code/join", s.handleJoin)
	a.GET("/events/:code/qr.svg", s.handleJoinQR)
	a.GET("/me", s.handleMe)
	a.POST("/votes", s.handleVote)
	a.GET("/events/:code/feed", s.handleFeed)
	a.POST("/events/:code/feed/posts", s.handleFeedPost)
	a.POST("/events/:code/feed/webhook", s.handleFeedWebhook) // webhook token, not moderator
	a.GET("/events/:code/moments", s.handleMoments)
	a.GET("/events/:code/boards", s.handleBoards)
	a.GET("/events/:code/boards/:id/entries", s.handleBoardEntries)
	a.POST("/events/:code/boards/:id/entries", s.handleSubmitEntry)
	a.PUT("/events/:code/entries/:id/upvote", s.handleUpvote)
	a.DELETE("/events/:code/entries/:id/upvote", s.handleUpvote)
	a.PUT("/polls/:id/answers/:answer/upvote", s.handleUpvoteAnswer)
	a.DELETE("/polls/:id/answers/:answer/upvote", s.handleUpvoteAnswer)
	a.GET("/events/:code/programme", s.handleProgramme)
	a.POST("/events/:code/pitches/:id/meeting-request", s.handleRequestMeeting)
	a.DELETE("/events/:code/pitches/:id/meeting-request", s.handleWithdrawMeeting)
	// Sessions.
	a.POST("/login", s.handleLogin)
	a.POST("/logout", s.handleLogout)
	a.GET("/sign-in", s.handleSignInOptions)
	a.GET("/oidc/login", s.handleOIDCLogin)
	a.GET("/oidc/callback", s.handleOIDCCallback)
	// The team: every route names the permission it needs (live.RolePermissions
	// says which roles carry it), checked for the event and room it acts on
	// (scopeOf). The middleware is per route, not per group, so that unknown
	// paths and methods under /api answer 404 and 405. Each route is named
	// for its permission (needName), so that Echo's route list says what it
	// needs: a test holds docs/protocol.md's route tables against it.
	mod := func(method, path string, need live.Permission, h echo.HandlerFunc) {
		a.Add(method, path, h, s.require(need)).Name = needName(need)
	}
	const (
		view, run, moderate, build, export, admin = live.PermView, live.PermRun, live.PermModerate, live.PermBuild, live.PermExport, live.PermAdmin
	)
	mod(http.MethodGet, "/session", signedIn, s.handleSession)
	mod(http.MethodPost, "/logout-everywhere", signedIn, s.handleLogoutEverywhere)
	mod(http.MethodPut, "/me/password", signedIn, s.handleChangePassword)
	mod(http.MethodGet, "/me/sessions", signedIn, s.handleMySessions)
	mod(http.MethodDelete, "/me/sessions/:id", signedIn, s.handleRevokeMySession)
	mod(http.MethodGet, "/me/tokens", signedIn, s.handleMyTokens)
	mod(http.MethodPost, "/me/tokens", signedIn, s.handleCreateToken)
	mod(http.MethodDelete, "/me/tokens/:id", signedIn, s.handleRevokeMyToken)
	mod(http.MethodGet, "/accounts", admin, s.handleListAccounts)
	mod(http.MethodPost, "/accounts", admin, s.handleCreateAccount)
	mod(http.MethodGet, "/accounts/:id", admin, s.handleGetAccount)
	mod(http.MethodPatch, "/accounts/:id", admin, s.handleUpdateAccount)
	mod(http.MethodDelete, "/accounts/:id", admin, s.handleDeleteAccount)
	mod(http.MethodGet, "/accounts/:id/sessions", admin, s.handleAccountSessions)
	mod(http.MethodDelete, "/sessions/:id", admin, s.handleRevokeSession)
	mod(http.MethodGet, "/tokens", admin, s.handleListTokens)
	mod(http.MethodDelete, "/tokens/:id", admin, s.handleRevokeToken)
	mod(http.MethodGet, "/audit", admin, s.handleAudit)
	// Build and run.
	mod(http.MethodGet, "/events", signedIn, s.handleListEvents) // lists the events the account may view
	mod(http.MethodPost, "/events", build, s.handleCreateEvent)
	mod(http.MethodGet, "/events/:code/model", view, s.handleModel)
	mod(http.MethodPatch, "/events/:code", build, s.handleUpdateEvent)
	mod(http.MethodPost, "/events/:code/rooms", build, s.handleCreateRoom)
	mod(http.MethodPatch, "/rooms/:id", build, s.handleUpdateRoom)
	mod(http.MethodPut, "/rooms/:id/screen", run, s.handleSetScreen)
	mod(http.MethodPost, "/events/:code/rounds", build, s.handleCreateRound)
	mod(http.MethodPatch, "/rounds/:id", build, s.handleUpdateRound)
	mod(http.MethodPost, "/rounds/:id/pitches", build, s.handleCreatePitch)
	mod(http.MethodPut, "/rounds/:id/order", build, s.handleReorder)
	mod(http.MethodPost, "/rounds/:id/actions/:action", run, s.handleRoundAction)
	mod(http.MethodPatch, "/pitches/:id", build, s.handleUpdatePitch)
	mod(http.MethodDelete, "/pitches/:id", build, s.handleDeletePitch)
	mod(http.MethodPost, "/pitches/:id/actions/:action", run, s.handlePitchAction)
	mod(http.MethodPost, "/events/:code/polls", build, s.handleCreatePoll)
	mod(http.MethodPatch, "/polls/:id", build, s.handleUpdatePoll)
	mod(http.MethodPost, "/polls/:id/actions/:action", run, s.handlePollAction)
	mod(http.MethodPost, "/polls/:id/decisions", moderate, s.handleDecideAnswers)
	mod(http.MethodPost, "/events/:code/quizzes", build, s.handleCreateQuiz)
	mod(http.MethodPatch, "/quizzes/:id", build, s.handleUpdateQuiz)
	mod(http.MethodPost, "/quizzes/:id/actions/:action", run, s.handleQuizAction)
	mod(http.MethodPost, "/events/:code/surveys", build, s.handleCreateSurvey)
	mod(http.MethodPatch, "/surveys/:id", build, s.handleUpdateSurvey)
	mod(http.MethodPost, "/surveys/:id/actions/:action", run, s.handleSurveyAction)
	mod(http.MethodGet, "/surveys/:id/results", export, s.handleSurveyResults)
	mod(http.MethodGet, "/events/:code/results", export, s.handleResults)
	mod(http.MethodGet, "/events/:code/audit", export, s.handleAudit)
	mod(http.MethodGet, "/events/:code/report", view, s.handleReport)
	mod(http.MethodGet, "/events/:code/pitches/:id/report", view, s.handleTeamReport)
	// Feed and boards.
	mod(http.MethodGet, "/events/:code/feed/items", view, s.handleFeedItems)
	mod(http.MethodPost, "/events/:code/feed/items/:id/actions/:action", moderate, s.handleFeedAction)
	mod(http.MethodGet, "/events/:code/feed/settings", view, s.handleFeedSettings)
	mod(http.MethodPatch, "/events/:code/feed/settings", build, s.handleUpdateFeedSettings)
	mod(http.MethodPost, "/events/:code/feed/webhook-token", build, s.handleFeedWebhookToken)
	mod(http.MethodPost, "/events/:code/boards", build, s.handleCreateBoard)
	mod(http.MethodPatch, "/events/:code/boards/:id", build, s.handleUpdateBoard)
	mod(http.MethodDelete, "/events/:code/boards/:id", build, s.handleDeleteBoard)
	mod(http.MethodGet, "/events/:code/boards/:id/queue", view, s.handleBoardQueue)
	mod(http.MethodPost, "/events/:code/boards/:id/highlight", moderate, s.handleHighlight)
	mod(http.MethodPost, "/events/:code/boards/:id/poll", build, s.handleBoardToPoll)
	mod(http.MethodGet, "/events/:code/boards/:id/export", export, s.handleBoardExport)
	mod(http.MethodPost, "/events/:code/entries/:id/actions/:action", moderate, s.handleEntryAction)
	mod(http.MethodGet, "/events/:code/meeting-requests", export, s.handleMeetingRequests)
	mod(http.MethodGet, "/events/:code/pitches/:id/meeting-requests.csv", export, s.handleMeetingRequestsCSV)
	// The programme.
	mod(http.MethodPut, "/events/:code/programme/time-zone", build, s.handleSetTimeZone)
	mod(http.MethodPost, "/events/:code/programme/sessions", build, s.handleCreateTalk)
	mod(http.MethodPatch, "/events/:code/programme/sessions/:id", build, s.handleUpdateTalk)
	mod(http.MethodDelete, "/events/:code/programme/sessions/:id", build, s.handleDeleteTalk)
	mod(http.MethodPost, "/events/:code/programme/import", build, s.handleImportProgramme)
	// Session feedback.
	mod(http.MethodGet, "/events/:code/feedback/settings", view, s.handleFeedbackSettings)
	mod(http.MethodPut, "/events/:code/feedback/settings", build, s.handleSetFeedbackSettings)
	mod(http.MethodGet, "/events/:code/feedback/results", export, s.handleFeedbackResults)
	return e
}

// needName is the name of a route that needs perm (echo.Route.Name):
// "needs " and the permission.
func needName(perm live.Permission) string { return "needs " + string(perm) }

// statusOf maps error codes to HTTP statuses.
var statusOf = map[string]int{
	live.EInvalid:         http.StatusBadRequest,
	live.EBadValue:        http.StatusBadRequest,
	live.ENotFound:        http.StatusNotFound,
	live.EConflict:        http.StatusConflict,
	live.ETransition:      http.StatusConflict,
	live.EVotingClosed:    http.StatusConflict,
	live.EAlreadyAnswered: http.StatusConflict,
	live.ETimeUp:          http.StatusConflict,
	live.EUnauthorized:    http.StatusUnauthorized,
	live.EForbidden:       http.StatusForbidden,
	live.ERateLimited:     http.StatusTooManyRequests,
	live.EBusy:            http.StatusServiceUnavailable,
	live.EInternal:        http.StatusInternalServerError,
	ETooLarge:             http.StatusRequestEntityTooLarge,
	EMethod:               http.StatusMethodNotAllowed,
}

// Error codes of the transport layer, beside live's.
const (
	ETooLarge   = "too_large"          // the request body or message is too large
	EMethod     = "method_not_allowed" // the route exists, not with this method
	EBadMessage = "bad_message"        // a WebSocket message is not a JSON object of the documented shape
	EUnknown    = "unknown_type"       // a WebSocket message has an unknown type
)

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field,omitempty"`
		// NeedsRole names, for a forbidden action, the least role that may do it.
		NeedsRole string `json:"needs_role,omitempty"`
	} `json:"error"`
}

func newErrorBody(err error) (int, errorBody) {
	var b errorBody
	var ae *live.Error
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ae):
		b.Error.Code, b.Error.Message, b.Error.Field, b.Error.NeedsRole = ae.Code, ae.Message, ae.Field, ae.NeedsRole
	case errors.As(err, &he):
		switch he.Code {
		case http.StatusNotFound:
			b.Error.Code, b.Error.Message = live.ENotFound, "No such page or endpoint."
		case http.StatusMethodNotAllowed:
			b.Error.Code, b.Error.Message = EMethod, "This method is not allowed here."
		case http.StatusRequestEntityTooLarge:
			b.Error.Code, b.Error.Message = ETooLarge, "The request body is too large."
		case http.StatusUnauthorized:
			b.Error.Code, b.Error.Message = live.EUnauthorized, fmt.Sprint(he.Message)
		case http.StatusForbidden:
			b.Error.Code, b.Error.Message = live.EForbidden, fmt.Sprint(he.Message)
		default:
			b.Error.Code, b.Error.Message = live.EInvalid, fmt.Sprint(he.Message)
		}
	default:
		b.Error.Code, b.Error.Message = live.EInternal, "Internal error."
	}
	status, ok := statusOf[b.Error.Code]
	if !ok {
		status = http.StatusBadRequest
	}
	return status, b
}

// DefaultRetryAfter is the Retry-After of a 429 or 503 answer whose refusal
// does not know when to try again (busy, shutting down, a core out of reach).
const DefaultRetryAfter = time.Second

// setRetryAfter sets the Retry-After header to wait in whole seconds,
// rounded up, at least 1.
func setRetryAfter(c echo.Context, wait time.Duration) {
	c.Response().Header().Set("Retry-After", strconv.FormatInt(max(1, int64(math.Ceil(wait.Seconds()))), 10))
}

// handleError is Echo's HTTPErrorHandler: one JSON error shape for every
// route, and Retry-After on every 429 and 503 (DefaultRetryAfter unless the
// error's RetryAfter says otherwise).
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, body := newErrorBody(err)
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		var ae *live.Error
		wait := DefaultRetryAfter
		if errors.As(err, &ae) && ae.RetryAfter > 0 {
			wait = ae.RetryAfter
		}
		setRetryAfter(c, wait)
	}
	if status >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, body)
}

// checkOrigin refuses browser requests from origins not in the allowlist.
// Requests without an Origin header (non-browser clients) pass; they carry
// no ambient cookies of ours that a page could abuse.
func (s *Server) checkOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if o := c.Request().Header.Get("Origin"); o != "" && !s.originAllowed(o) {
			return live.Errorf(live.EForbidden, "Origin %q is not allowed.", o)
		}
		return next(c)
	}
}

func (s *Server) originAllowed(origin string) bool {
	for _, o := range s.cfg.AllowedOrigins {
		if origin == o {
			return true
		}
	}
	return false
}

// originHosts returns the host[:port] of each allowed origin, for websocket.AcceptOptions.
func (s *Server) originHosts() []string {
	var hosts []string
	for _, o := range s.cfg.AllowedOrigins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			hosts = append(hosts, u.Host)
		}
	}
	return hosts
}

func (s *Server) handleReady(c echo.Context) error {
	s.connMu.Lock()
	draining := s.draining
	s.connMu.Unlock()
	if draining || (s.engine != nil && !s.engine.Healthy()) {
		setRetryAfter(c, DefaultRetryAfter)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

// decode reads a JSON body strictly: unknown fields and trailing data are errors.
func decode(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if tooLarge := bodyTooLarge(err); tooLarge != nil {
			return tooLarge
		}
		return live.Errorf(live.EInvalid, "The request body is not valid JSON of the expected shape: %s.", jsonProblem(err))
	}
	// Token, unlike More, also sees a stray '}' or ']' after the value, and
	// reads the rest of the body, so a body past the limit is refused.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if tooLarge := bodyTooLarge(err); tooLarge != nil {
			return tooLarge
		}
		return live.Errorf(live.EInvalid, "The request body has data after the JSON value.")
	}
	return nil
}

// bodyTooLarge returns the error to answer when reading the body failed at
// the body limit, or nil.
func bodyTooLarge(err error) error {
	var he *echo.HTTPError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		return he
	case errors.As(err, &maxErr):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	}
	return nil
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te) && te.Field == "": // the body itself: every body is an object
		return "the body must be a JSON object"
	case errors.As(err, &te):
		return "field " + te.Field + " must be " + te.Type.String()
	case strings.HasPrefix(err.Error(), "json: unknown field"): // encoding/json has no type for it
		return strings.TrimPrefix(err.Error(), "json: ")
	case errors.Is(err, io.EOF):
		return "empty body"
	}
	return "malformed"
}

func pathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, live.Errorf(live.ENotFound, "No such id %q.", c.Param("id"))
	}
	return id, nil
}

func actor(c echo.Context) string { s, _ := c.Get("actor").(string); return s }

// --- Audience ---------------------------------------------------------------

// publicEvent is what anyone may know of an event.
type publicEvent struct {
	live.Event
	Rooms    []live.Room `json:"rooms"`
	HasJury  bool        `json:"has_jury"`
	JoinPath string      `json:"join_path"`
	JoinURL  string      `json:"join_url"` // absolute: the public URL + join_path
}

func (s *Server) handlePublicEvent(c echo.Context) error {
	m, err := s.engine.Model(c.Param("code"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.publicEventOf(c, m))
}

type joinRequest struct {
	DisplayName string `json:"display_name"`
	JuryCode    string `json:"jury_code"`
	// Token, if set and still valid for this event, rejoins as the same participant.
	Token string `json:"token"`
}

type joinResponse struct {
	Token       string      `json:"token"`
	ID          int64       `json:"participant_id"`
	DisplayName string      `json:"display_name"`
	Jury        bool        `json:"jury"`
	ExpiresAt   int64       `json:"expires_at"`
	Event       publicEvent `json:"event"`
}

// handleJoin makes the caller a participant of the event, or renews the
// token of a returning one.
func (s *Server) handleJoin(c echo.Context) error {
	var req joinRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if wait := s.joinLimit.Wait(c.RealIP(), time.Now()); wait > 0 {
		return &live.Error{Code: live.ERateLimited, Message: "Too many joins from your network; try again in a few seconds.", RetryAfter: wait}
	}
	m, err := s.engine.Model(c.Param("code"))
	if err != nil {
		return err
	}
	var claims tokenClaims
	if prev, err := s.verifyToken(req.Token); req.Token != "" && err == nil && prev.EventID == m.Event.ID &&
		(req.JuryCode == "" || prev.Jury) {
		claims = prev
		if req.DisplayName != "" {
			who := live.Participant{DisplayName: req.DisplayName}
			if err := who.Validate(); err != nil {
				return err
			}
			if who.DisplayName != "" && who.DisplayName != claims.Name { // a new name (nothing visible left: as if none was sent), stored for the quizzes
				ctx, cancel := context.WithTimeout(c.Request().Context(), 10*time.Second)
				defer cancel()
				if err := s.engine.Rename(ctx, voterOf(claims), who.DisplayName); err != nil {
					return err
				}
				claims.Name = who.DisplayName
			}
		}
	} else {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 10*time.Second)
		defer cancel()
		p, _, err := s.engine.Join(ctx, c.Param("code"), req.DisplayName, req.JuryCode)
		if err != nil {
			return err
		}
		claims = tokenClaims{ParticipantID: p.ID, EventID: p.EventID, Jury: p.Jury, Name: p.DisplayName}
	}
	claims.Expires = time.Now().Add(s.cfg.TokenTTL).Unix()
	return c.JSON(http.StatusOK, joinResponse{Token: s.signToken(claims), ID: claims.ParticipantID, DisplayName: claims.Name,
		Jury: claims.Jury, ExpiresAt: claims.Expires, Event: s.publicEventOf(c, m)})
}

// handleMe returns the participant's identity, current votes, standing
// in each quiz that has started and progress in each survey offered.
func (s *Server) handleMe(c echo.Context) error {
	claims, err := s.participant(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"participant_id": claims.ParticipantID, "event_id": claims.EventID,
		"jury": claims.Jury, "display_name": claims.Name, "votes": s.engine.MyVotes(voterOf(claims)), "answers": s.engine.MyAnswers(voterOf(claims)),
		"quizzes": s.engine.MyQuizzes(voterOf(claims)), "surveys": s.engine.MySurveys(voterOf(claims))})
}

// handleUpvoteAnswer records (PUT) or withdraws (DELETE) the participant's
// upvote of an answer of an open-text poll; both are idempotent and
// answer the answer's count.
func (s *Server) handleUpvoteAnswer(c echo.Context) error {
	claims, err := s.participant(c)
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	answer := c.Param("answer")
	if len(answer) != 16 || strings.Trim(answer, "0123456789abcdef") != "" {
		return &live.Error{Code: live.ENotFound, Field: "answer", Message: "An answer id is 16 hexadecimal digits, as the tally frame gives it."}
	}
	up := c.Request().Method == http.MethodPut
	n, err := s.engine.UpvoteAnswer(c.Request().Context(), voterOf(claims), live.Target{Kind: live.KindPoll, ID: id}, answer, up)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"answer_id": answer, "upvotes": n, "upvoted": up})
}

func voterOf(c tokenClaims) live.Voter {
	return live.Voter{ParticipantID: c.ParticipantID, EventID: c.EventID, Jury: c.Jury}
}

// voteRequest is a vote, over HTTP or WebSocket: its answer is Answer, a
// JSON value of the target's kind, or, for an answer that is one number (a
// choice, a score), Value.
type voteRequest struct {
	VoteID string          `json:"vote_id"`
	Target string          `json:"target"`
	Value  int             `json:"value"`
	Answer json.RawMessage `json:"answer,omitempty"`
}

// answer returns the vote's answer as sent, compacted, once it has the
// shape every answer has (Answer.CheckShape); the target's kind checks the rest.
func (r voteRequest) answer() (live.Answer, error) {
	if len(r.Answer) == 0 || string(r.Answer) == "null" {
		return live.Answer(strconv.Itoa(r.Value)), nil
	}
	if r.Value != 0 {
		return "", &live.Error{Code: live.EInvalid, Field: "answer", Message: "Send value or answer, not both."}
	}
	var b bytes.Buffer
	if err := json.Compact(&b, r.Answer); err != nil {
		return "", live.FieldErrorf("answer", "answer must be a JSON value.")
	}
	a := live.Answer(b.String())
	return a, a.CheckShape()
}

// voteAck is the answer to an accepted vote: it echoes value, or answer.
type voteAck struct {
	Type   string      `json:"type"`
	ID     string      `json:"id,omitempty"` // the WebSocket message id, echoed
	VoteID string      `json:"vote_id"`
	Target string      `json:"target"`
	Value  int         `json:"value,omitempty"`
	Answer live.Answer `json:"answer,omitempty"`
	Status string      `json:"status"`
}

// ack is the acknowledgement of r, whose answer is a (canonical once
// counted), with status.
func (r voteRequest) ack(target live.Target, a live.Answer, status string) voteAck {
	ack := voteAck{Type: "ack", VoteID: r.VoteID, Target: target.String(), Value: r.Value, Status: status}
	if r.Value == 0 {
		ack.Answer = a
	}
	return ack
}

// admitVote is what the node that takes a vote checks itself: the target's
// syntax and the per-participant and per-address rate limits.
func (s *Server) admitVote(claims tokenClaims, ip string, req voteRequest) (live.Target, error) {
	target, err := live.ParseTarget(req.Target)
	if err != nil {
		return target, err
	}
	wait := s.voteLimit.Wait(strconv.FormatInt(claims.ParticipantID, 10), time.Now())
	if wait == 0 {
		wait = s.ipVoteLimit.Wait(ip, time.Now())
	}
	if wait > 0 {
		err = &live.Error{Code: live.ERateLimited, Message: "Too many votes; wait a moment.", RetryAfter: wait}
		s.countVote("", err)
	}
	return target, err
}

// Vote commits a vote taken by a cluster edge (the core's vote stream) and
// counts its outcome where it is committed; the edge validated its target
// and rate-limited it.
func (s *Server) Vote(ctx context.Context, who live.Voter, v live.Vote) (live.Receipt, error) {
	r, err := s.engine.Vote(ctx, who, v)
	s.countVote(r.Status, err)
	return r, err
}

// countVote records a vote's final outcome in the metrics.
func (s *Server) countVote(status string, err error) {
	switch {
	case err != nil:
		s.metrics.votesRejected.WithLabelValues(live.ErrorCode(err)).Inc()
	case status == live.VoteDuplicate:
		s.metrics.votesDuplicate.Inc()
	default:
		s.metrics.votesAccepted.Inc()
	}
}

// --- Moderator ----------------------------------------------------------------

// handleListEvents lists the events the caller may view.
func (s *Server) handleListEvents(c echo.Context) error {
	p := principalOf(c)
	out := []live.Event{}
	for _, e := range s.engine.Events() {
		if p.can(live.PermView, live.Scope{EventID: e.ID}) {
			out = append(out, e)
		}
	}
	return c.JSON(http.StatusOK, out)
}

// eventInput is the editable part of an event; jury_code is write-only elsewhere.
type eventInput struct {
	Code       *string   `json:"code"`
	Title      *string   `json:"title"`
	Languages  *[]string `json:"languages"`
	Color      *string   `json:"color"`
	LogoURL    *string   `json:"logo_url"`
	JuryCode   *string   `json:"jury_code"`
	JuryWeight *int      `json:"jury_weight"`
}

func (in eventInput) apply(e *live.Event) {
	set(&e.Code, in.Code)
	set(&e.Title, in.Title)
	set(&e.Languages, in.Languages)
	set(&e.Color, in.Color)
	set(&e.LogoURL, in.LogoURL)
	set(&e.JuryCode, in.JuryCode)
	set(&e.JuryWeight, in.JuryWeight)
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// input is the decoded body of a build endpoint: it sets the fields it carries.
type input[T any] interface{ apply(*T) }

// createWith decodes an I, applies it to a new T and answers 201 with what
// create made of it.
func createWith[T any, I input[T]](c echo.Context, create func(ctx context.Context, actor string, v *T) (*T, error)) error {
	var in I
	if err := decode(c, &in); err != nil {
		return err
	}
	var v T
	in.apply(&v)
	out, err := create(c.Request().Context(), actor(c), &v)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

// updateWith decodes an I, checks it (if check is set) and answers 200 with
// what update made of the current value once the input is applied to it.
func updateWith[T any, I input[T]](c echo.Context, check func(I) error, update func(ctx context.Context, actor string, edit func(*T) error) (*T, error)) error {
	var in I
	if err := decode(c, &in); err != nil {
		return err
	}
	if check != nil {
		if err := check(in); err != nil {
			return err
		}
	}
	out, err := update(c.Request().Context(), actor(c), func(v *T) error { in.apply(v); return nil })
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) handleCreateEvent(c echo.Context) error {
	return createWith[live.Event, eventInput](c, s.engine.CreateEvent)
}

func (s *Server) handleUpdateEvent(c echo.Context) error {
	return updateWith[live.Event, eventInput](c, nil, func(ctx context.Context, a string, edit func(*live.Event) error) (*live.Event, error) {
		return s.engine.UpdateEvent(ctx, a, c.Param("code"), edit)
	})
}

func (s *Server) handleModel(c echo.Context) error {
	m, err := s.engine.Model(c.Param("code"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

type roomInput struct {
	Name *string `json:"name"`
}

func (in roomInput) apply(r *live.Room) { set(&r.Name, in.Name) }

func (s *Server) handleCreateRoom(c echo.Context) error {
	return createWith[live.Room, roomInput](c, func(ctx context.Context, a string, r *live.Room) (*live.Room, error) {
		return s.engine.CreateRoom(ctx, a, c.Param("code"), r)
	})
}

// handleSetScreen sends a room's stage screens to {"screen":"lobby"}, "blank" or "current".
func (s *Server) handleSetScreen(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in struct {
		Screen *string `json:"screen"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Screen == nil {
		return live.FieldErrorf("screen", "Screen must be current, lobby or blank.")
	}
	if err := s.engine.SetScreen(c.Request().Context(), actor(c), id, *in.Screen); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleUpdateRoom(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return updateWith[live.Room, roomInput](c, nil, func(ctx context.Context, a string, edit func(*live.Room) error) (*live.Room, error) {
		return s.engine.UpdateRoom(ctx, a, id, edit)
	})
}

type roundInput struct {
	RoomID     *int64  `json:"room_id"`
	Title      *string `json:"title"`
	Scale      *int    `json:"scale"`
	AutoReveal *bool   `json:"auto_reveal"`
}

func (in roundInput) apply(r *live.Round) {
	set(&r.RoomID, in.RoomID)
	set(&r.Title, in.Title)
	set(&r.Scale, in.Scale)
	set(&r.AutoReveal, in.AutoReveal)
}

func (s *Server) handleCreateRound(c echo.Context) error {
	return createWith[live.Round, roundInput](c, func(ctx context.Context, a string, r *live.Round) (*live.Round, error) {
		return s.engine.CreateRound(ctx, a, c.Param("code"), r)
	})
}

func (s *Server) handleUpdateRound(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return updateWith[live.Round, roundInput](c, nil, func(ctx context.Context, a string, edit func(*live.Round) error) (*live.Round, error) {
		return s.engine.UpdateRound(ctx, a, id, edit)
	})
}

type pitchInput struct {
	Team      *string `json:"team"`
	Presenter *string `json:"presenter"`
	DurationS *int    `json:"duration_s"`
	VideoURL  *string `json:"video_url"`
}

func (in pitchInput) apply(p *live.Pitch) {
	set(&p.Team, in.Team)
	set(&p.Presenter, in.Presenter)
	set(&p.DurationS, in.DurationS)
	set(&p.VideoURL, in.VideoURL)
}

func (s *Server) handleCreatePitch(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return createWith[live.Pitch, pitchInput](c, func(ctx context.Context, a string, p *live.Pitch) (*live.Pitch, error) {
		return s.engine.CreatePitch(ctx, a, id, p)
	})
}

func (s *Server) handleUpdatePitch(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return updateWith[live.Pitch, pitchInput](c, nil, func(ctx context.Context, a string, edit func(*live.Pitch) error) (*live.Pitch, error) {
		return s.engine.UpdatePitch(ctx, a, id, edit)
	})
}

func (s *Server) handleDeletePitch(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.engine.DeletePitch(c.Request().Context(), actor(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) handleReorder(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in struct {
		PitchIDs []int64 `json:"pitch_ids"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if err := s.engine.ReorderPitches(c.Request().Context(), actor(c), id, in.PitchIDs); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

type pollInput struct {
	RoomID   *int64           `json:"room_id"`
	Question *string          `json:"question"`
	Kind     *string          `json:"kind"`
	Choices  *[]string        `json:"choices"`
	ScaleMax *int             `json:"scale_max"`
	Settings *json.RawMessage `json:"settings"`
	Position *int             `json:"position"`
	// ShowResults sets whether results are public from the start (creation only;
	// afterwards use the show_results and hide_results actions).
	ShowResults *bool `json:"show_results"`
	// Results is the results visibility mode: reveal (default), live,
	// answered or closed.
	Results *string `json:"results"`
	// Correct lists the right choices (1 for A) of a choices, multiple or
	// quiz question; [] for none. Changing the kind drops it unless it is sent.
	Correct *[]int `json:"correct"`
	// QuizID is the quiz of a quiz question (set at creation; it stays).
	QuizID *int64 `json:"quiz_id"`
	// SurveyID is the survey of a survey's question (set at creation; it
	// stays); Required marks a question its participants must answer.
	SurveyID *int64 `json:"survey_id"`
	Required *bool  `json:"required"`
}

func (in pollInput) apply(p *live.Poll) {
	if in.Kind != nil && *in.Kind != p.Kind && in.Settings == nil {
		p.Settings = nil // settings belong to the kind
	}
	if in.Kind != nil && *in.Kind != p.Kind && in.Correct == nil {
		p.Correct = nil // so does a correct answer
	}
	set(&p.RoomID, in.RoomID)
	set(&p.Question, in.Question)
	set(&p.Kind, in.Kind)
	set(&p.Choices, in.Choices)
	set(&p.ScaleMax, in.ScaleMax)
	set(&p.Settings, in.Settings)
	set(&p.Position, in.Position)
	set(&p.ShowResults, in.ShowResults)
	set(&p.Results, in.Results)
	set(&p.Correct, in.Correct)
	set(&p.QuizID, in.QuizID)
	set(&p.SurveyID, in.SurveyID)
	set(&p.Required, in.Required)
}

type quizInput struct {
	RoomID *int64  `json:"room_id"`
	Title  *string `json:"title"`
}

func (in quizInput) apply(q *live.Quiz) {
	set(&q.RoomID, in.RoomID)
	set(&q.Title, in.Title)
}

func (s *Server) handleCreateQuiz(c echo.Context) error {
	return createWith[live.Quiz, quizInput](c, func(ctx context.Context, a string, q *live.Quiz) (*live.Quiz, error) {
		return s.engine.CreateQuiz(ctx, a, c.Param("code"), q)
	})
}

func (s *Server) handleUpdateQuiz(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return updateWith[live.Quiz, quizInput](c, nil, func(ctx context.Context, a string, edit func(*live.Quiz) error) (*live.Quiz, error) {
		return s.engine.UpdateQuiz(ctx, a, id, edit)
	})
}

func (s *Server) handleQuizAction(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := decodeAction(c); err != nil {
		return err
	}
	if err := s.engine.QuizAction(c.Request().Context(), actor(c), id, c.Param("action")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleCreatePoll(c echo.Context) error {
	return createWith[live.Poll, pollInput](c, func(ctx context.Context, a string, p *live.Poll) (*live.Poll, error) {
		return s.engine.CreatePoll(ctx, a, c.Param("code"), p)
	})
}

func (s *Server) handleUpdatePoll(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	showResults := func(in pollInput) error {
		if in.ShowResults != nil {
			return &live.Error{Code: live.EInvalid, Field: "show_results", Message: "Use the show_results and hide_results actions."}
		}
		return nil
	}
	return updateWith[live.Poll, pollInput](c, showResults, func(ctx context.Context, a string, edit func(*live.Poll) error) (*live.Poll, error) {
		return s.engine.UpdatePoll(ctx, a, id, edit)
	})
}

// actionInput is the optional body of an action.
type actionInput struct {
	Seconds int `json:"seconds"` // for timer_extend
}

func decodeAction(c echo.Context) (actionInput, error) {
	var in actionInput
	if c.Request().ContentLength == 0 {
		return in, nil
	}
	return in, decode(c, &in)
}

func (s *Server) handleRoundAction(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := decodeAction(c); err != nil {
		return err
	}
	if err := s.engine.RoundAction(c.Request().Context(), actor(c), id, c.Param("action")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handlePitchAction(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	in, err := decodeAction(c)
	if err != nil {
		return err
	}
	if err := s.engine.PitchAction(c.Request().Context(), actor(c), id, c.Param("action"), in.Seconds); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handlePollAction(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := decodeAction(c); err != nil {
		return err
	}
	if err := s.engine.PollAction(c.Request().Context(), actor(c), id, c.Param("action")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// handleDecideAnswers applies a moderator's decision on a poll's answers
// (hide, show or merge a word of a cloud).
func (s *Server) handleDecideAnswers(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var decision json.RawMessage
	if err := decode(c, &decision); err != nil {
		return err
	}
	if err := s.engine.DecideAnswers(c.Request().Context(), actor(c), live.Target{Kind: live.KindPoll, ID: id}, decision); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// handleResults exports an event's results as JSON (default) or CSV (?format=csv).
func (s *Server) handleResults(c echo.Context) error {
	res, err := s.engine.Results(c.Request().Context(), c.Param("code"))
	if err != nil {
		return err
	}
	switch c.QueryParam("format") {
	case "", "json":
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+res.Event.Code+`-results.json"`)
		return c.JSON(http.StatusOK, res)
	case "csv":
		c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+res.Event.Code+`-results.csv"`)
		c.Response().WriteHeader(http.StatusOK)
		return writeResultsCSV(c.Response(), res)
	default:
		return &live.Error{Code: live.EInvalid, Field: "format", Message: "format must be json or csv."}
	}
}

// writeResultsCSV writes one row per pitch (with its rank), per poll value
// and per quiz player (with its rank).
func writeResultsCSV(w http.ResponseWriter, res *show.Results) error {
	cw := csv.NewWriter(w)
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 3, 64) }
	_ = cw.Write([]string{"kind", "round_or_poll", "rank", "item", "presenter", "audience_votes", "audience_mean", "jury_votes", "jury_mean", "score", "tie_break"})
	for _, r := range res.Rounds {
		for _, e := range r.Ranking {
			_ = cw.Write([]string{"pitch", csvSafe(r.Round.Title), strconv.Itoa(e.Rank), csvSafe(e.Team), csvSafe(e.Presenter),
				strconv.FormatInt(e.Audience.Count, 10), f(e.Audience.Mean), strconv.FormatInt(e.Jury.Count, 10), f(e.Jury.Mean), f(e.Score), e.TieBreak})
		}
	}
	for _, p := range res.Polls {
		for _, row := range p.Rows {
			_ = cw.Write([]string{"poll", csvSafe(p.Poll.Question), "", csvSafe(row.Item), "", strconv.FormatInt(row.Audience, 10), "",
				strconv.FormatInt(row.Jury, 10), "", "", ""})
		}
	}
	// A quiz's standings: the points as the score, right answers and their time as the tie-break.
	for _, q := range res.Quizzes {
		for _, st := range q.Standings {
			_ = cw.Write([]string{"quiz", csvSafe(q.Quiz.Title), strconv.Itoa(st.Rank), csvSafe(st.Name), "", strconv.Itoa(st.Answered), "", "", "",
				strconv.FormatInt(st.Points, 10), fmt.Sprintf("%d right in %.3f s", st.Right, float64(st.TimeMS)/1000)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe defuses spreadsheet formulas in user text.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// handleAudit answers the audit log: of an event (/api/events/:code/audit)
// or of the whole server (/api/audit, administrators), filtered by
// ?account= (a login), ?room= (a room id) and ?before= (an entry id), at
// most ?limit= entries (default 500, at most 5000), as JSON or
// ?format=csv.
func (s *Server) handleAudit(c echo.Context) error {
	var f live.AuditFilter
	if code := c.Param("code"); code != "" {
		ev, err := s.engine.Event(code)
		if err != nil {
			return err
		}
		f.EventID = ev.ID
	} else if c.QueryParam("event") != "" {
		ev, err := s.engine.Event(c.QueryParam("event"))
		if err != nil {
			return err
		}
		f.EventID = ev.ID
	}
	var err error
	if f.RoomID, err = queryInt(c, "room"); err != nil {
		return err
	}
	if f.Before, err = queryInt(c, "before"); err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	f.Limit, f.Account = int(min(limit, 5000)), c.QueryParam("account")
	if f.Limit == 0 {
		f.Limit = 500
	}
	entries, err := s.audit.AuditSearch(c.Request().Context(), f)
	if err != nil {
		return err
	}
	switch c.QueryParam("format") {
	case "", "json":
		return c.JSON(http.StatusOK, entries)
	case "csv":
		rows := [][]string{{"id", "at", "event_id", "room_id", "account", "token", "action", "target", "detail"}}
		for _, e := range entries {
			rows = append(rows, []string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339), strconv.FormatInt(e.EventID, 10),
				strconv.FormatInt(e.RoomID, 10), csvSafe(e.Account), csvSafe(e.Token), csvSafe(e.Action), csvSafe(e.Target), csvSafe(e.Detail)})
		}
		return writeCSV(c, "audit", rows)
	default:
		return &live.Error{Code: live.EInvalid, Field: "format", Message: "format must be json or csv."}
	}
}

// Drain makes /readyz answer 503 and refuses new WebSockets, so a load
// balancer stops sending clients here before the listener closes.
func (s *Server) Drain() {
	s.connMu.Lock()
	s.draining = true
	s.connMu.Unlock()
}

// Shutdown drains, then closes every open WebSocket with "going away",
// waiting for their loops to end or ctx to expire.
func (s *Server) Shutdown(ctx context.Context) {
	s.connMu.Lock()
	s.draining = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.connMu.Unlock()
	for _, c := range conns {
		c.st.Close(websocket.StatusGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() { s.connWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
