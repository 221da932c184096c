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
	"github.com/ovation-live/ovation/figures"
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
	return runCore(ctx, cfg, ln, log, stdout)
}

// leaseHolder is a core's hold on the cluster lease: core nil on a single
// node.
type leaseHolder struct {
	core *cluster.Core
	rdb  *redis.Client
	opts cluster.Options
}

// takeLease takes the core lease (a core of a cluster; nothing on a single
// node) and keeps it until release is called.
func takeLease(ctx context.Context, cfg Config, ln net.Listener, log *slog.Logger) (lh leaseHolder, release func(), err error) {
	release = func() {}
	if cfg.Cluster.Role != "core" {
		return lh, release, nil
	}
	lh.opts = clusterOptions(cfg, ln, log)
	if lh.rdb, err = cluster.Dial(&lh.opts); err != nil {
		return lh, release, err
	}
	if lh.core, err = cluster.NewCore(lh.rdb, lh.opts); err == nil {
		err = lh.core.Acquire(ctx)
	}
	if err != nil {
		lh.rdb.Close()
		return lh, release, err
	}
	leaseCtx, stop := context.WithCancel(context.Background())
	var leaseWG sync.WaitGroup
	leaseWG.Go(func() { lh.core.KeepLease(leaseCtx) })
	return lh, func() { stop(); leaseWG.Wait(); lh.rdb.Close() }, nil
}

// runCore runs a single node, or the core of a cluster.
func runCore(ctx context.Context, cfg Config, ln net.Listener, log *slog.Logger, stdout io.Writer) error {
	// A core takes the lease before it touches the database, and keeps it
	// until the database is closed: two cores never act at once, not even
	// two processes started together on one data directory.
	lh, release, err := takeLease(ctx, cfg, ln, log)
	if err != nil {
		return err
	}
	defer release()
	core, rdb, opts := lh.core, lh.rdb, lh.opts

	build := readBuildInfo()
	metrics := newMetrics(build, nodeRole(cfg))
	db, err := openCoreStore(ctx, cfg, core, metrics)
	if err != nil {
		return err
	}
	defer db.Close()
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
	var node string
	var nodes figures.Presence
	if core != nil {
		node, nodes = opts.Node, presence
	}
	engine, recorder := newEngine(cfg, db, h, node, nodes, log)
	if err := engine.Load(ctx); err != nil {
		return err
	}
	if cfg.SeedDemo && len(engine.Events()) == 0 {
		if err := seedDemo(ctx, engine); err != nil {
			return fmt.Errorf("seed demo event: %w", err)
		}
	}

	feeds, err := newFeeds(ctx, cfg, db, engine, h, log)
	if err != nil {
		return err
	}
	boards := board.New(db, engine, h, board.Options{Logger: log})
	ratings := feedback.New(db, engine, feedback.Options{Logger: log})
	talks := programme.New(db, engine, h, programme.Options{Logger: log, Changed: ratings.Changed})

	publicURL, apiCfg := apiConfig(cfg, ln)
	apiCfg.TokenSecret, apiCfg.Credentials = secrets.tokenSecret, newCredentials(db, secrets)
	deps := api.Deps{Config: apiCfg, Engine: engine, Hub: h, Team: db, Audit: db, Pages: static.Files,
		Metrics: metrics, Log: log, Feed: feeds, Boards: boards, Reports: db,
		Programme: talks, Feedback: ratings}
	if core != nil {
		deps.Presence = presence.Count
	}
	srv := api.New(deps)
	bg, stopBG := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { engine.Run(bg) })
	wg.Go(func() { srv.Run(bg) })
	wg.Go(func() { feeds.Run(bg) }) // ends after every source goroutine
	wg.Go(func() { boards.Run(bg) })
	wg.Go(func() { recorder.Run(bg) })
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

// newEngine returns the running show on db, its writes counted by the
// recorder of the events' figures: this node's, or on a core (node and
// nodes set) every node's.
func newEngine(cfg Config, db *store.DB, h *hub.Hub, node string, nodes figures.Presence, log *slog.Logger) (*show.Engine, *figures.Recorder) {
	var engine *show.Engine
	figs := figures.Options{Node: "single", Store: db, Logger: log, Presence: figures.HubPresence{Node: "single", Counts: h.Counts},
		Places: figures.PlacesFunc(func(kind string, id int64) (int64, int64, error) { return engine.Place(kind, id) })}
	if node != "" {
		figs.Node, figs.Presence = node, nodes
	}
	recorder := figures.New(figs)
	engine = show.NewEngine(recorder.Wrap(db), h, show.Options{TallyInterval: cfg.Votes.TallyInterval,
		AudienceTallyInterval: cfg.Votes.AudienceTallyInterval, Logger: log})
	return engine, recorder
}

// newFeeds returns the feed service, with the configured feed settings of
// the events that have none yet (the API's edits win afterwards).
func newFeeds(ctx context.Context, cfg Config, db *store.DB, engine *show.Engine, h *hub.Hub, log *slog.Logger) (*feed.Service, error) {
	feeds := feed.New(db, engine, h, feed.Options{Logger: log, FrameInterval: cfg.Feed.FrameInterval,
		PostRate: cfg.Feed.PostRate, PostBurst: cfg.Feed.PostBurst})
	for _, fe := range cfg.Feed.Events {
		if err := feeds.Seed(ctx, fe.Code, fe.Settings()); err != nil {
			return nil, fmt.Errorf("config: feed.events %s: %w", fe.Code, err)
		}
	}
	return feeds, nil
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
	srv := api.NewEdge(api.EdgeDeps{Config: apiCfg, Edge: edge, Hub: h, Pages: static.Files, Metrics: metrics, Log: log})
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

// openCoreStore opens the store; a cluster's core ties it to the cluster
// (a PostgreSQL database must hold the cluster's identity before the core
// takes it over).
func openCoreStore(ctx context.Context, cfg Config, core *cluster.Core, metrics *api.Metrics) (*store.DB, error) {
	var clusterID string
	if core != nil {
		var err error
		if clusterID, err = core.ClusterID(ctx); err != nil {
			return nil, err
		}
	}
	db, err := openStore(cfg, store.Options{OnCommit: metrics.ObserveCommit, Cluster: clusterID})
	if err != nil {
		return nil, err
	}
	if core != nil {
		if err := bindCluster(ctx, core, db); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
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
