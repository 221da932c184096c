// Command ovation runs the Ovation live-event server: audience voting, stage
// display and moderator control over HTTP and WebSockets, on an embedded
// SQLite database and an in-process broker, or as a core or edge node of a
// cluster on Redis (docs/cluster.md).
//
// This is the only place that wires concrete types together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ovation-live/ovation/api"
	"github.com/ovation-live/ovation/board"
	"github.com/ovation-live/ovation/cluster"
	"github.com/ovation-live/ovation/feed"
	"github.com/ovation-live/ovation/feedback"
	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/programme"
	"github.com/ovation-live/ovation/show"
	"github.com/ovation-live/ovation/static"
	"github.com/ovation-live/ovation/store"
	"github.com/redis/go-redis/v9"
)

// exitLease is the exit status of a core that stops because another
// process holds the core lease, or because its database is not the
// cluster's: restarting it would not help (the systemd unit's
// RestartPreventExitStatus).
const exitLease = 3

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr); err != nil && !errors.Is(err, errPrinted) {
		fmt.Fprintln(os.Stderr, "ovation:", err)
		if errors.Is(err, cluster.ErrLeaseHeld) || errors.Is(err, cluster.ErrLeaseLost) || errors.Is(err, cluster.ErrForeignData) ||
			errors.Is(err, store.ErrFenced) || errors.Is(err, store.ErrOtherCluster) {
			os.Exit(exitLease)
		}
		os.Exit(1)
	}
}

// errPrinted is what run returns when it printed what the command line
// asked for (-h, -version) instead of serving: the exit status is 0.
var errPrinted = errors.New("printed the help or the version")

// run starts the server and blocks until ctx ends, then shuts down
// gracefully: stop accepting, close WebSockets with "going away", commit the
// last vote batch, close the database. With a first argument of
// reset-password [LOGIN] or reset-api-token it runs that command instead
// (reset).
func run(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	command, login := "", ""
	if len(args) > 0 && (args[0] == cmdResetPassword || args[0] == cmdResetAPIToken) {
		command, args = args[0], args[1:]
		if command == cmdResetPassword && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			login, args = args[0], args[1:]
		}
	}
	cfg, err := LoadConfig(args, env)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printUsage(stdout)
		return errPrinted
	case errors.Is(err, errVersion):
		fmt.Fprintln(stdout, "ovation", readBuildInfo())
		return errPrinted
	case err != nil:
		return err
	case command != "":
		return reset(ctx, command, login, cfg, stdout)
	}
	log := newLogger(cfg.Log, stderr)
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(cfg.GCPercent)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	if cfg.Cluster.Role == "edge" {
		return runEdge(ctx, cfg, ln, log, stdout)
	}

	// A core takes the lease before it touches the database, and keeps it
	// until the database is closed: two cores never act at once, not even
	// two processes started together on one data directory.
	var core *cluster.Core
	var rdb *redis.Client
	var opts cluster.Options
	if cfg.Cluster.Role == "core" {
		opts = clusterOptions(cfg, ln, log)
		if rdb, err = cluster.Dial(&opts); err != nil {
			return err
		}
		defer rdb.Close()
		if core, err = cluster.NewCore(rdb, opts); err != nil {
			return err
		}
		if err := core.Acquire(ctx); err != nil {
			return err
		}
		leaseCtx, release := context.WithCancel(context.Background())
		var leaseWG sync.WaitGroup
		leaseWG.Go(func() { core.KeepLease(leaseCtx) })
		defer func() { release(); leaseWG.Wait() }()
	}

	build := readBuildInfo()
	metrics := newMetrics(build, nodeRole(cfg))
	var clusterID string // the cluster's identity, which a PostgreSQL database must hold before the core takes it over
	if core != nil {
		if clusterID, err = core.ClusterID(ctx); err != nil {
			return err
		}
	}
	db, err := openStore(cfg, store.Options{OnCommit: metrics.ObserveCommit, Cluster: clusterID})
	if err != nil {
		return err
	}
	defer db.Close()
	if core != nil {
		if err := bindCluster(ctx, core, db); err != nil {
			return err
		}
	}
	secrets, err := loadSecrets(ctx, db, cfg)
	if err != nil {
		return err
	}

	h := newHub(cfg, metrics)
	var broker *cluster.Broker
	var presence *cluster.Presence
	if core != nil {
		// Before the engine publishes anything: the hub continues the cluster's epoch and numbering.
		if err := core.Start(ctx, h, map[string]string{"token_secret": string(secrets.tokenSecret), "api_token_hash": secrets.apiTokenHash}); err != nil {
			return err
		}
		broker = core.Broker()
		presence = cluster.NewPresence(rdb, h, opts)
	}
	engine := show.NewEngine(db, h, show.Options{TallyInterval: cfg.Votes.TallyInterval,
		AudienceTallyInterval: cfg.Votes.AudienceTallyInterval, Logger: log})
	if err := engine.Load(ctx); err != nil {
		return err
	}
	if cfg.SeedDemo && len(engine.Events()) == 0 {
		if err := seedDemo(ctx, engine); err != nil {
			return fmt.Errorf("seed demo event: %w", err)
		}
	}

	feeds := feed.New(db, engine, h, feed.Options{Logger: log, FrameInterval: cfg.Feed.FrameInterval,
		PostRate: cfg.Feed.PostRate, PostBurst: cfg.Feed.PostBurst})
	for _, fe := range cfg.Feed.Events { // settings for events that have none yet; the API's edits win afterwards
		if err := feeds.Seed(ctx, fe.Code, fe.Settings()); err != nil {
			return fmt.Errorf("config: feed.events %s: %w", fe.Code, err)
		}
	}
	boards := board.New(db, engine, h, board.Options{Logger: log})
	ratings := feedback.New(db, engine, feedback.Options{Logger: log})
	talks := programme.New(db, engine, h, programme.Options{Logger: log, Changed: ratings.Changed})

	publicURL, apiCfg := apiConfig(cfg, ln)
	apiCfg.TokenSecret, apiCfg.Credentials = secrets.tokenSecret, newCredentials(db, secrets)
	srv := api.New(apiCfg, engine, h, db, db, static.Files, metrics, log)
	srv.SetFeed(feeds)
	srv.SetBoards(boards)
	srv.SetProgramme(talks)
	srv.SetFeedback(ratings)

	if core != nil {
		srv.SetPresence(presence.Count)
	}
	bg, stopBG := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { engine.Run(bg) })
	wg.Go(func() { srv.Run(bg) })
	wg.Go(func() { feeds.Run(bg) }) // ends after every source goroutine
	wg.Go(func() { boards.Run(bg) })
	wg.Go(func() { talks.Run(bg) })
	wg.Go(func() { ratings.Run(bg) }) // the clock of session feedback: here, never on an edge
	var lost <-chan string
	pubCtx, stopPub := context.WithCancel(context.Background()) // the broker outlives the publishers
	var pubWG sync.WaitGroup
	if core != nil {
		wg.Go(func() { core.Run(bg, srv, srv) }) // votes through srv: counted where they are committed
		wg.Go(func() { presence.Run(bg) })
		pubWG.Go(func() { broker.Run(pubCtx) })
		lost = core.Lost()
	}
	printBanner(stdout, build, publicURL, ln.Addr().String(), engine.Events(), secrets)
	err = serve(ctx, cfg, ln, srv, log, lost, db.Fenced())
	stopBG()
	wg.Wait()
	stopPub()
	pubWG.Wait()
	if cerr := db.Close(); cerr != nil { // commits the last vote batch
		return cerr
	}
	if err == nil {
		log.Info("stopped")
	}
	return err
}

// runEdge runs a cluster edge: WebSockets and pages here, everything else
// on the core, reached through Redis.
func runEdge(ctx context.Context, cfg Config, ln net.Listener, log *slog.Logger, stdout io.Writer) error {
	opts := clusterOptions(cfg, ln, log)
	rdb, err := cluster.Dial(&opts)
	if err != nil {
		return err
	}
	defer rdb.Close()
	build := readBuildInfo()
	metrics := newMetrics(build, "edge")
	h := newHub(cfg, metrics)
	edge, err := cluster.NewEdge(rdb, h, opts)
	if err != nil {
		return err
	}
	sec, err := edge.Secrets(ctx, opts.LeaseWait+20*time.Second)
	if err != nil {
		return err
	}
	publicURL, apiCfg := apiConfig(cfg, ln)
	apiCfg.TokenSecret = []byte(sec["token_secret"]) // the core checks moderators' sessions and tokens
	srv := api.New(apiCfg, nil, h, nil, nil, static.Files, metrics, log)
	srv.SetEdge(edge)
	edge.OnStatus(srv.SetDegraded)

	bg, stopBG := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { edge.Run(bg) })
	wg.Go(func() { srv.Run(bg) }) // keepalive pings, and the checks of team members' sessions with the core
	wg.Go(func() { cluster.NewPresence(rdb, h, opts).Run(bg) })
	select { // serve once the hub holds the snapshots, or degraded after a while
	case <-edge.Ready():
	case <-time.After(10 * time.Second):
		log.Warn("cluster: no snapshot from Redis yet; serving anyway")
	case <-ctx.Done():
	}
	fmt.Fprintf(stdout, "Ovation is running on %s (edge %s; the core is reached through %s)\n", ln.Addr(), opts.Node, redactURL(cfg.Cluster.RedisURL))
	fmt.Fprintf(stdout, "  Version: %s\n\n", build)
	fmt.Fprintf(stdout, "  Audience: %s/e/CODE   Stage: %s/stage/CODE   Control: %s/control\n\n", publicURL, publicURL, publicURL)
	err = serve(ctx, cfg, ln, srv, log, nil, nil)
	stopBG()
	wg.Wait()
	if err == nil {
		log.Info("stopped")
	}
	return err
}

// serve serves srv on ln until ctx ends (or the core lease is lost), then
// drains: /readyz fails, plain HTTP requests finish, WebSockets close with
// "going away".
func serve(ctx context.Context, cfg Config, ln net.Listener, srv *api.Server, log *slog.Logger, lost <-chan string, fenced <-chan struct{}) error {
	httpSrv := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "role", cfg.Cluster.Role)
	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	case holder := <-lost:
		err = fmt.Errorf("cluster: node %s %w; stopping so that only one core acts", holder, cluster.ErrLeaseLost)
	case <-fenced:
		err = fmt.Errorf("%w; stopping so that only one core acts", store.ErrFenced)
	}
	log.Info("shutting down")
	srv.Drain() // /readyz answers 503 from now on
	if err == nil && cfg.ShutdownDrain > 0 {
		drain(cfg.ShutdownDrain, log)
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	shutdownErr := httpSrv.Shutdown(sctx) // stop accepting; finish plain HTTP requests
	srv.Shutdown(sctx)                    // close WebSockets with "going away"
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if shutdownErr != nil && !errors.Is(shutdownErr, context.DeadlineExceeded) {
		return shutdownErr
	}
	return nil
}

// drain keeps serving, not ready, for d or until a second SIGINT or SIGTERM,
// so that load balancers see the node go before its listener closes.
func drain(d time.Duration, log *slog.Logger) {
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(again)
	t := time.NewTimer(d)
	defer t.Stop()
	log.Info("draining: /readyz answers 503 until the listener closes (a second signal closes it now)", "for", d)
	select {
	case <-t.C:
	case <-again:
	}
}

// apiConfig returns the public URL and the API settings of cfg, secrets aside.
func apiConfig(cfg Config, ln net.Listener) (string, api.Config) {
	publicURL := cfg.PublicURL
	port := ln.Addr().(*net.TCPAddr).Port
	if publicURL == "" {
		publicURL = fmt.Sprintf("http://localhost:%d", port)
	}
	publicURL = strings.TrimSuffix(publicURL, "/")
	origins := cfg.AllowedOrigins
	if len(origins) == 0 {
		origins = []string{publicURL, fmt.Sprintf("http://localhost:%d", port), fmt.Sprintf("http://127.0.0.1:%d", port)}
	}
	return publicURL, api.Config{
		AllowedOrigins: origins, TokenTTL: cfg.Votes.TokenTTL, CookieSecure: cfg.CookieSecure,
		FrameAncestors: cfg.FrameAncestors,
		TrustProxy:     cfg.TrustProxy, ReadLimit: cfg.WebSocket.ReadLimit, WriteTimeout: cfg.WebSocket.WriteTimeout,
		PingInterval: cfg.WebSocket.PingInterval, VoteRate: cfg.Limits.VoteRate, VoteBurst: cfg.Limits.VoteBurst,
		IPVoteRate: cfg.Limits.IPVoteRate, IPVoteBurst: cfg.Limits.IPVoteBurst, JoinRate: cfg.Limits.JoinRate,
		JoinBurst: cfg.Limits.JoinBurst, MessageRate: cfg.Limits.MessageRate, MessageBurst: cfg.Limits.MessageBurst,
		FloodThreshold: cfg.Limits.FloodThreshold, PublicURL: strings.TrimSuffix(cfg.PublicURL, "/"), // empty: the host each request came to
		OIDC: oidcConfig(cfg.OIDC), PasswordCost: cfg.PasswordCost,
	}
}

// oidcConfig returns the API's single sign-on settings; nil when off.
func oidcConfig(c OIDCConfig) *api.OIDCConfig {
	if c.Issuer == "" {
		return nil
	}
	o := &api.OIDCConfig{Name: c.Name, Issuer: c.Issuer, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		RedirectURL: c.RedirectURL, Scopes: c.Scopes, RoleClaim: c.RoleClaim}
	for _, r := range c.Roles {
		o.Roles = append(o.Roles, api.OIDCRole{Claim: r.Claim, Role: live.Role(r.Role), Event: r.Event, Room: r.Room})
	}
	return o
}

// clusterOptions returns the cluster settings of cfg; the node id defaults
// to the host name and the listening port.
func clusterOptions(cfg Config, ln net.Listener, log *slog.Logger) cluster.Options {
	node := cfg.Cluster.Node
	if node == "" {
		host, _ := os.Hostname()
		node = fmt.Sprintf("%s:%d", host, ln.Addr().(*net.TCPAddr).Port)
	}
	c := cfg.Cluster
	return cluster.Options{RedisURL: c.RedisURL, Node: node, Timeout: c.Timeout, LeaseTTL: c.LeaseTTL, LeaseWait: c.LeaseWait, Standby: c.Standby,
		VoteBuffer: c.VoteBuffer, RequestTimeout: c.RequestTimeout, Logger: log.With("node", node)}
}

// redactURL hides a password in a Redis URL, and the master's in a
// Sentinel URL's query.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "redis"
	}
	if q := p.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		p.RawQuery = q.Encode()
	}
	return p.Redacted()
}

func commitWindow(d time.Duration) time.Duration {
	if d == 0 {
		return -1 // store: negative disables the wait; 0 would mean its default
	}
	return d
}

func newLogger(c LogConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// secrets are the credentials the server keeps in its database.
type secrets struct {
	tokenSecret  []byte
	passwordHash string
	apiTokenHash string
	newPassword  string // set only when generated at this start, to print once
	newAPIToken  string
	fromConfig   bool // the password is the moderator_password setting
	tokenConfig  bool // the API token is the api_token setting
}

// settingsStore is the part of the store that keeps secrets.
type settingsStore interface {
	Setting(ctx context.Context, key string) (string, error)
	SetSetting(ctx context.Context, key, value string) error
}

// secretStore keeps the secrets and the first administrator's password.
type secretStore interface {
	settingsStore
	Account(ctx context.Context, id int64) (*live.Account, error)
	SaveAccount(ctx context.Context, a *live.Account) error
}

// openStore opens the configured database, PostgreSQL at store.url or
// SQLite under data_dir, with the votes.* settings and opts' own fields
// (OnCommit, Beside, Cluster).
func openStore(cfg Config, opts store.Options) (*store.DB, error) {
	opts.Synchronous, opts.CommitWindow = cfg.Votes.Synchronous, commitWindow(cfg.Votes.CommitWindow)
	opts.MaxBatch, opts.QueueSize = cfg.Votes.MaxBatch, cfg.Votes.QueueSize
	if cfg.Store.URL != "" {
		return store.OpenPostgres(cfg.Store.URL, opts)
	}
	return store.Open(filepath.Join(cfg.DataDir, "ovation.db"), opts)
}

// bindCluster ties the core's database to the cluster (cluster.Core.Bind),
// storing the identity in the database when it is new there.
func bindCluster(ctx context.Context, core *cluster.Core, db settingsStore) error {
	have, err := db.Setting(ctx, store.SettingClusterID)
	if err != nil {
		return err
	}
	id, err := core.Bind(ctx, have)
	if err != nil || id == have {
		return err
	}
	return db.SetSetting(ctx, store.SettingClusterID, id)
}

// loadSecrets reads the token secret, the first administrator's password
// hash and the API token hash, generating each at first start. A password
// or API token in the configuration replaces the stored one.
func loadSecrets(ctx context.Context, db secretStore, cfg Config) (secrets, error) {
	var s secrets
	get := func(key string, gen func() (stored, shown string, err error)) (string, string, error) {
		v, err := db.Setting(ctx, key)
		if err != nil || v != "" {
			return v, "", err
		}
		stored, shown, err := gen()
		if err != nil {
			return "", "", err
		}
		return stored, shown, db.SetSetting(ctx, key, stored)
	}
	secret, _, err := get("token_secret", func() (string, string, error) { return api.RandomSecret(32), "", nil })
	if err != nil {
		return s, err
	}
	s.tokenSecret = []byte(secret)
	if cfg.ModeratorPassword != "" {
		s.fromConfig = true
		if s.passwordHash, err = api.HashPassword(cfg.ModeratorPassword); err != nil {
			return s, err
		}
	} else if s.passwordHash, s.newPassword, err = firstAdminPassword(ctx, db); err != nil {
		return s, err
	}
	if cfg.APIToken != "" {
		s.tokenConfig = true
		s.apiTokenHash = api.HashAPIToken(cfg.APIToken)
	} else if s.apiTokenHash, s.newAPIToken, err = get(keyAPITokenHash, func() (string, string, error) {
		t := api.RandomSecret(24)
		return api.HashAPIToken(t), t, nil
	}); err != nil {
		return s, err
	}
	return s, nil
}

// firstAdminPassword returns the first administrator's password hash,
// generating a password at first start (returned to be shown once).
func firstAdminPassword(ctx context.Context, db secretStore) (hash, shown string, err error) {
	admin, err := db.Account(ctx, live.FirstAdminID)
	if err != nil {
		return "", "", err
	}
	if admin.PasswordHash != "" {
		return admin.PasswordHash, "", nil
	}
	pw := api.RandomSecret(8)
	if admin.PasswordHash, err = api.HashPassword(pw); err != nil {
		return "", "", err
	}
	return admin.PasswordHash, pw, db.SaveAccount(ctx, admin)
}

// printBanner tells the operator where to go. Its first line, "Ovation is
// running on ADDR", is what scripts and tests wait for: keep it first and
// keep its form.
func printBanner(w io.Writer, build buildInfo, publicURL, addr string, events []live.Event, s secrets) {
	fmt.Fprintf(w, "Ovation is running on %s\n", addr)
	fmt.Fprintf(w, "  Version:              %s\n\n", build)
	for _, e := range events {
		fmt.Fprintf(w, "  %s (code %s)\n", e.Title, e.Code)
		fmt.Fprintf(w, "    Audience (phones):  %s/e/%s\n", publicURL, e.Code)
		fmt.Fprintf(w, "    Stage display:      %s/stage/%s\n", publicURL, e.Code)
	}
	fmt.Fprintf(w, "  Moderator control:    %s/control\n\n", publicURL)
	switch {
	case s.newPassword != "":
		fmt.Fprintf(w, "  Administrator:        login admin, password %s   (generated now and shown once; stored hashed)\n", s.newPassword)
	case s.fromConfig:
		fmt.Fprintln(w, "  Administrator:        login admin, password the moderator_password setting")
	default:
		fmt.Fprintln(w, "  Administrator:        login admin, password printed at first start (`ovation reset-password` makes a new one)")
	}
	switch {
	case s.newAPIToken != "":
		fmt.Fprintf(w, "  API token:            %s   (shown once; send as Authorization: Bearer)\n", s.newAPIToken)
	case s.tokenConfig:
		fmt.Fprintln(w, "  API token:            the api_token setting")
	default:
		fmt.Fprintln(w, "  API token:            the one printed at first start (`ovation reset-api-token` makes a new one)")
	}
	fmt.Fprintln(w)
}

// seedDemo creates a demo event at first start so the printed URLs show
// something: a round of three pitches and a keypad poll in the main room.
func seedDemo(ctx context.Context, e *show.Engine) error {
	ev, err := e.CreateEvent(ctx, "system", &live.Event{Code: "DEMO", Title: "Ovation demo", Languages: []string{"en", "fr"}, JuryCode: "JURY42", JuryWeight: 30})
	if err != nil {
		return err
	}
	m, err := e.Model(ev.Code)
	if err != nil {
		return err
	}
	room := m.Rooms[0].ID
	round, err := e.CreateRound(ctx, "system", ev.Code, &live.Round{RoomID: room, Title: "Startup pitches", Scale: 5})
	if err != nil {
		return err
	}
	for _, p := range []live.Pitch{{Team: "Solaris", Presenter: "Ana Lima"}, {Team: "Kelp Labs", Presenter: "Tom Berg"}, {Team: "Quill", Presenter: "Inès Moreau"}} {
		p.DurationS = 120
		if _, err := e.CreatePitch(ctx, "system", round.ID, &p); err != nil {
			return err
		}
	}
	_, err = e.CreatePoll(ctx, "system", ev.Code, &live.Poll{RoomID: room, Question: "Which talk did you like best?", Kind: live.PollChoices,
		Choices: []string{"Opening keynote", "Product deep-dive", "Customer panel", "Closing talk"}, ShowResults: true})
	return err
}

// nodeRole is the node's role in the metrics: single, core or edge.
func nodeRole(cfg Config) string {
	if cfg.Cluster.Role == "" {
		return "single"
	}
	return cfg.Cluster.Role
}

// newMetrics returns the node's metrics for its role, with ovation_build_info set from b.
func newMetrics(b buildInfo, role string) *api.Metrics {
	m := api.NewMetrics(role)
	m.SetBuildInfo(b.Version, b.Revision, b.GoVersion)
	return m
}

// newHub returns the node's hub as cfg.WebSocket says, its fan-out measured by metrics.
func newHub(cfg Config, metrics *api.Metrics) *hub.Hub {
	return hub.New(hub.Options{QueueLimit: cfg.WebSocket.QueueLimit, OnFanout: metrics.ObserveFanout,
		PaceRate: cfg.WebSocket.BroadcastRatePerCore * runtime.GOMAXPROCS(0)})
}
