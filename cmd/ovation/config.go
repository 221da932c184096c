package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ovation-live/ovation/api"
	"github.com/ovation-live/ovation/cluster"
	"github.com/ovation-live/ovation/feed"
	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
	"github.com/ovation-live/ovation/store"
	"go.yaml.in/yaml/v3"
)

// Config is every setting of the server. config.yaml documents each one with
// its default; OVATION_* environment variables override the file and
// command-line flags override both. The name of a setting is its YAML path:
// votes.tally_interval is OVATION_VOTES_TALLY_INTERVAL and -votes.tally_interval.
type Config struct {
	Listen            string   `yaml:"listen"`
	PublicURL         string   `yaml:"public_url"`
	DataDir           string   `yaml:"data_dir"`
	AllowedOrigins    []string `yaml:"allowed_origins"`
	ModeratorPassword string   `yaml:"moderator_password"`
	APIToken          string   `yaml:"api_token"`
	// PasswordCost is the bcrypt cost of the passwords accounts set (4-15):
	// each step doubles the time a guess costs, and a login's.
	PasswordCost int  `yaml:"password_cost"`
	TrustProxy   bool `yaml:"trust_proxy"`
	CookieSecure bool `yaml:"cookie_secure"`
	// FrameAncestors lists who may frame the stage, audience and moments
	// pages: 'self', 'none', https: or an origin such as
	// https://organiser.example (a leading *. matches its subdomains).
	// Empty: 'self'. The control page is never framed.
	FrameAncestors  []string      `yaml:"frame_ancestors"`
	SeedDemo        bool          `yaml:"seed_demo"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	ShutdownDrain   time.Duration `yaml:"shutdown_drain"` // /readyz answers 503 this long before the listener closes
	// GCPercent is the garbage collector's target (GOGC): the heap may grow
	// this many percent over the live data before a collection. Lower holds
	// less memory per connection for a little more CPU. The GOGC variable,
	// when set, wins.
	GCPercent int           `yaml:"gc_percent"`
	Log       LogConfig     `yaml:"log"`
	Store     StoreConfig   `yaml:"store"`
	Votes     VotesConfig   `yaml:"votes"`
	WebSocket WSConfig      `yaml:"websocket"`
	Limits    LimitsConfig  `yaml:"limits"`
	Feed      FeedConfig    `yaml:"feed"`
	Cluster   ClusterConfig `yaml:"cluster"`
	OIDC      OIDCConfig    `yaml:"oidc"`
}

// OIDCConfig configures single sign-on through an OpenID Connect provider
// (authorisation code with PKCE); off unless issuer, client_id and
// client_secret are set.
type OIDCConfig struct {
	Name         string   `yaml:"name"`   // the sign-in button's label
	Issuer       string   `yaml:"issuer"` // the provider's issuer URL
	ClientID     string   `yaml:"client_id"`
	ClientSecret string   `yaml:"client_secret"`
	RedirectURL  string   `yaml:"redirect_url"` // default public_url + /api/oidc/callback
	Scopes       []string `yaml:"scopes"`       // default openid, profile, email
	// RoleClaim is the ID token claim whose values roles maps to grants
	// (e.g. groups); empty: an administrator grants roles after the first sign-in.
	RoleClaim string           `yaml:"role_claim"`
	Roles     []OIDCRoleConfig `yaml:"roles"` // in this file only
}

// OIDCRoleConfig maps one value of the role claim to a role for an event
// (by code; empty: every event) and a room of it (by name; empty: every room).
type OIDCRoleConfig struct {
	Claim string `yaml:"claim"`
	Role  string `yaml:"role"` // admin, organiser, operator, moderator or viewer
	Event string `yaml:"event"`
	Room  string `yaml:"room"`
}

// ClusterConfig configures cluster mode (docs/cluster.md). Role "" (the
// default) is one node on its own: SQLite and the in-process broker.
type ClusterConfig struct {
	Role           string        `yaml:"role"`      // "", core or edge
	Node           string        `yaml:"node"`      // this node's id, unique in the cluster (default: the host name and port)
	RedisURL       string        `yaml:"redis_url"` // redis://[:password@]host:port[/db]
	Timeout        time.Duration `yaml:"timeout"`   // every Redis call
	LeaseTTL       time.Duration `yaml:"lease_ttl"`
	LeaseWait      time.Duration `yaml:"lease_wait"`      // a starting core waits this long for another node's lease; 0: lease_ttl + 2s
	Standby        bool          `yaml:"standby"`         // a core that finds the lease held waits for it, connected, instead of refusing
	VoteBuffer     int           `yaml:"vote_buffer"`     // votes an edge holds while Redis is down
	RequestTimeout time.Duration `yaml:"request_timeout"` // an edge's wait for the core's answer
}

// LogConfig configures structured logging.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// StoreConfig chooses the database: SQLite under data_dir (URL empty, the
// default), or PostgreSQL at URL (postgres://…), the store of a cluster
// that must survive the loss of any machine (docs/cluster.md).
type StoreConfig struct {
	URL string `yaml:"url"`
}

// VotesConfig configures the vote path.
type VotesConfig struct {
	TallyInterval         time.Duration `yaml:"tally_interval"`
	AudienceTallyInterval time.Duration `yaml:"audience_tally_interval"`
	CommitWindow          time.Duration `yaml:"commit_window"`
	MaxBatch              int           `yaml:"max_batch"`
	QueueSize             int           `yaml:"queue_size"`
	Synchronous           string        `yaml:"synchronous"`
	TokenTTL              time.Duration `yaml:"participant_token_ttl"`
}

// WSConfig configures WebSocket connections.
type WSConfig struct {
	ReadLimit    int64         `yaml:"read_limit"`
	WriteTimeout time.Duration `yaml:"write_timeout"`
	PingInterval time.Duration `yaml:"ping_interval"`
	QueueLimit   int           `yaml:"queue_limit"`
	// BroadcastRatePerCore paces a frame for more than 1,000 connections
	// of this node while it is busy (acks being sent, writes behind): their
	// writers are woken in turn, at most this many per second per CPU core
	// the process may use, so that vote acks and the stage screens' frames
	// are not stuck behind the phones' bulk frames. An idle node, or 0,
	// writes to them all at once.
	BroadcastRatePerCore int `yaml:"broadcast_rate_per_core"`
}

// LimitsConfig holds the rate limits.
type LimitsConfig struct {
	VoteRate       float64 `yaml:"vote_rate"`
	VoteBurst      int     `yaml:"vote_burst"`
	IPVoteRate     float64 `yaml:"ip_vote_rate"`
	IPVoteBurst    int     `yaml:"ip_vote_burst"`
	JoinRate       float64 `yaml:"join_rate"`
	JoinBurst      int     `yaml:"join_burst"`
	MessageRate    float64 `yaml:"message_rate"`
	MessageBurst   int     `yaml:"message_burst"`
	FloodThreshold int     `yaml:"flood_threshold"`
}

// FeedConfig configures the social feed.
type FeedConfig struct {
	FrameInterval time.Duration     `yaml:"frame_interval"` // ticker and queue frames at most this often
	PostRate      float64           `yaml:"post_rate"`      // in-app posts per second per participant
	PostBurst     int               `yaml:"post_burst"`
	Events        []FeedEventConfig `yaml:"events"` // initial feed settings of events, by code
}

// FeedEventConfig is the initial feed settings of one event: applied when
// the event has none stored yet; afterwards the control API edits them.
type FeedEventConfig struct {
	Code       string             `yaml:"code"`
	Moderation string             `yaml:"moderation"` // pre (default) or post
	Blocklist  []string           `yaml:"blocklist"`
	Allowlist  []string           `yaml:"allowlist"`
	Sources    []FeedSourceConfig `yaml:"sources"`
}

// FeedSourceConfig is one external source of an event's feed.
type FeedSourceConfig struct {
	Kind      string `yaml:"kind"` // x, mastodon or bluesky
	Hashtag   string `yaml:"hashtag"`
	RoomID    int64  `yaml:"room_id"`
	BaseURL   string `yaml:"base_url"`
	Token     string `yaml:"token"`
	IntervalS int    `yaml:"interval_s"`
	Disabled  bool   `yaml:"disabled"`
}

// Settings returns the feed settings fe describes.
func (fe FeedEventConfig) Settings() live.FeedSettings {
	st := live.FeedSettings{Moderation: fe.Moderation, Blocklist: fe.Blocklist, Allowlist: fe.Allowlist}
	for _, s := range fe.Sources {
		st.Sources = append(st.Sources, live.SourceConfig{Kind: s.Kind, Hashtag: s.Hashtag, RoomID: s.RoomID, BaseURL: s.BaseURL,
			Token: s.Token, IntervalS: s.IntervalS, Enabled: !s.Disabled})
	}
	return st
}

// DefaultConfig returns the defaults, as config.yaml lists them: the
// server's own (the address, the data directory, the demo event, shutdown,
// the collector's target, logs, the broadcast pace) and, for every other
// setting, what its constructor takes for a zero value: the defaults have
// one home, the package that uses them.
func DefaultConfig() Config {
	a := api.Config{}.WithDefaults()
	st := store.Options{}.WithDefaults()
	sh := show.Options{}.WithDefaults()
	h := hub.Options{}.WithDefaults()
	f := feed.Options{}.WithDefaults()
	cl := cluster.Options{}.WithDefaults()
	return Config{
		Listen:          ":8080",
		DataDir:         "./data",
		SeedDemo:        true,
		PasswordCost:    a.PasswordCost,
		ShutdownTimeout: 10 * time.Second,
		ShutdownDrain:   5 * time.Second,
		GCPercent:       50,
		Log:             LogConfig{Level: "info", Format: "text"},
		Votes: VotesConfig{TallyInterval: sh.TallyInterval, AudienceTallyInterval: sh.AudienceTallyInterval,
			CommitWindow: st.CommitWindow, MaxBatch: st.MaxBatch, QueueSize: st.QueueSize, Synchronous: st.Synchronous, TokenTTL: a.TokenTTL},
		WebSocket: WSConfig{ReadLimit: a.ReadLimit, WriteTimeout: a.WriteTimeout, PingInterval: a.PingInterval, QueueLimit: h.QueueLimit,
			BroadcastRatePerCore: 12500}, // per core here; the hub takes the node's rate, 0 for none
		Limits: LimitsConfig{VoteRate: a.VoteRate, VoteBurst: a.VoteBurst, IPVoteRate: a.IPVoteRate, IPVoteBurst: a.IPVoteBurst,
			JoinRate: a.JoinRate, JoinBurst: a.JoinBurst, MessageRate: a.MessageRate, MessageBurst: a.MessageBurst, FloodThreshold: a.FloodThreshold},
		Feed: FeedConfig{FrameInterval: f.FrameInterval, PostRate: f.PostRate, PostBurst: f.PostBurst},
		Cluster: ClusterConfig{Timeout: cl.Timeout, LeaseTTL: cl.LeaseTTL, // lease_wait 0: lease_ttl + 2s, the cluster's own rule
			VoteBuffer: cl.VoteBuffer, RequestTimeout: cl.RequestTimeout},
	}
}

// errVersion is LoadConfig's answer to -version.
var errVersion = errors.New("version requested")

// LoadConfig builds the configuration from the defaults, the YAML file
// (-config, OVATION_CONFIG, or ./config.yaml if present), OVATION_*
// variables from env, and args. It returns an error wrapping flag.ErrHelp
// for -h, and errVersion for -version.
func LoadConfig(args []string, env []string) (Config, error) {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("ovation", flag.ContinueOnError)
	fs.SetOutput(new(bytes.Buffer))
	path := fs.String("config", "", "path to the YAML configuration file (default ./config.yaml if present)")
	version := fs.Bool("version", false, "print the version and exit")
	overrides := map[string]string{}
	walkSettings(reflect.ValueOf(&cfg).Elem(), "", func(name string, v reflect.Value) {
		if settingType(v) != "" { // feed.events: in the file only
			fs.Func(name, "setting "+name, func(v string) error { overrides[name] = v; return nil })
		}
	})
	if err := fs.Parse(args); err != nil {
		if name, ok := unknownFlag(fs, args); ok {
			problem := "not a setting"
			if s := suggestFlag(name); s != "" {
				problem += "; did you mean -" + s + "?"
			}
			return cfg, &ConfigError{Setting: name, Source: "-" + name, Problem: problem + " (ovation -h lists them)"}
		}
		return cfg, fmt.Errorf("flags: %w", err) // flag.ErrHelp for -h
	}
	if *version {
		return cfg, errVersion
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("flags: unexpected argument %q", fs.Arg(0))
	}
	envMap := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "OVATION_") {
			envMap[k] = v
		}
	}
	if *path == "" {
		*path = envMap["OVATION_CONFIG"]
	}
	explicit := *path != ""
	if !explicit {
		*path = "config.yaml"
	}
	if b, err := os.ReadFile(*path); err == nil {
		var doc yaml.Node
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return cfg, fmt.Errorf("config file %s: %w", *path, err)
		}
		if len(doc.Content) > 0 { // else empty: the defaults
			if err := decodeSettings(doc.Content[0], reflect.ValueOf(&cfg).Elem(), "", *path); err != nil {
				return cfg, err
			}
		}
	} else if explicit || !errors.Is(err, os.ErrNotExist) {
		return cfg, fmt.Errorf("config file: %w", err)
	}
	var err error
	walkSettings(reflect.ValueOf(&cfg).Elem(), "", func(name string, v reflect.Value) {
		envName := "OVATION_" + strings.ToUpper(strings.ReplaceAll(name, ".", "_"))
		apply := func(val, from string) {
			if e := setValue(v, val); e != nil && err == nil {
				err = &ConfigError{Setting: name, Source: from, Problem: e.Error()}
			}
		}
		if val, ok := envMap[envName]; ok {
			apply(val, envName)
		}
		if val, ok := overrides[name]; ok {
			apply(val, "-"+name)
		}
	})
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// ConfigError is a setting the configuration refuses.
type ConfigError struct {
	Setting string // its YAML path, e.g. votes.tally_interval
	Source  string // where it was given: "config.yaml line 3", OVATION_VOTES_TALLY_INTERVAL, -votes.tally_interval; "" after merging
	Problem string // what is wrong and what is expected
}

func (e *ConfigError) Error() string {
	if e.Source == "" {
		return fmt.Sprintf("config: %s: %s", e.Setting, e.Problem)
	}
	return fmt.Sprintf("config: %s (%s): %s", e.Setting, e.Source, e.Problem)
}

var durationType = reflect.TypeFor[time.Duration]()

// decodeSettings decodes the YAML node n into v, the setting at path
// (empty at the top), from file: unknown keys and durations without a unit
// are refused with their path and line; YAML decodes each leaf.
func decodeSettings(n *yaml.Node, v reflect.Value, path, file string) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	at := func(problem string, args ...any) error {
		name := path
		if name == "" {
			name = "(top level)"
		}
		return &ConfigError{Setting: name, Source: fmt.Sprintf("%s line %d", file, n.Line), Problem: fmt.Sprintf(problem, args...)}
	}
	if n.ShortTag() == "!!null" {
		return nil // "log:" with nothing below: the defaults
	}
	switch t := v.Type(); {
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return at("expected the settings of this section (key: value lines below it), not %q", n.Value)
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if line, twice := seen[k.Value]; twice {
				return &ConfigError{Setting: joinPath(path, k.Value), Source: fmt.Sprintf("%s line %d", file, k.Line),
					Problem: fmt.Sprintf("given twice (also line %d)", line)}
			}
			seen[k.Value] = k.Line
			field := -1
			for j := range t.NumField() {
				if t.Field(j).Tag.Get("yaml") == k.Value {
					field = j
				}
			}
			name := joinPath(path, k.Value)
			if field < 0 {
				problem := "not a setting"
				if s := suggestSetting(t, path, k.Value); s != "" {
					problem += "; did you mean " + s + "?"
				}
				return &ConfigError{Setting: name, Source: fmt.Sprintf("%s line %d", file, k.Line), Problem: problem}
			}
			if err := decodeSettings(val, v.Field(field), name, file); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct: // feed.events, their sources
		if n.Kind != yaml.SequenceNode {
			return at("expected a list (- lines below it)")
		}
		list := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			if err := decodeSettings(item, list.Index(i), fmt.Sprintf("%s[%d]", path, i), file); err != nil {
				return err
			}
		}
		v.Set(list)
		return nil
	case t == durationType && n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float"):
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && f == 0 {
			v.SetInt(0)
			return nil
		}
		return at("%s has no unit; write %sms or %ss", n.Value, n.Value, n.Value)
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		if n.Kind == yaml.ScalarNode {
			return at("%q is not a %s", n.Value, settingType(v))
		}
		return at("expected a %s", settingType(v))
	}
	return nil
}

// unknownFlag returns the first flag of args that fs does not define.
func unknownFlag(fs *flag.FlagSet, args []string) (string, bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") {
			return "", false
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "h" || name == "help" {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			return name, name != ""
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !hasValue && !(ok && b.IsBoolFlag()) {
			i++ // its value
		}
	}
	return "", false
}

// suggestFlag returns the setting a mistyped flag most likely meant: one at
// most 2 edits away, or of the same last name in another section; "" if none.
func suggestFlag(name string) string {
	best, bestDist := "", 3
	last := name[strings.LastIndex(name, ".")+1:]
	cfg := DefaultConfig()
	walkSettings(reflect.ValueOf(&cfg).Elem(), "", func(path string, _ reflect.Value) {
		d := editDistance(name, path)
		if path[strings.LastIndex(path, ".")+1:] == last {
			d = min(d, 2)
		}
		if d < bestDist {
			best, bestDist = path, d
		}
	})
	return best
}

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// suggestSetting returns the setting an unknown key of the section t (at
// path) most likely meant: a key of the section at most 2 edits away, or
// one that starts with the other, else a setting of that name in another
// section; "" if none.
func suggestSetting(t reflect.Type, path, key string) string {
	best, bestDist := "", 3
	for i := range t.NumField() {
		k := t.Field(i).Tag.Get("yaml")
		d := editDistance(key, k)
		if d > 2 && len(key) >= 4 && (strings.HasPrefix(k, key) || strings.HasPrefix(key, k)) {
			d = 2
		}
		if d < bestDist {
			best, bestDist = joinPath(path, k), d
		}
	}
	if best != "" || strings.Contains(path, "[") {
		return best
	}
	cfg := DefaultConfig()
	walkSettings(reflect.ValueOf(&cfg).Elem(), "", func(name string, _ reflect.Value) {
		if best == "" && (name == key || strings.HasSuffix(name, "."+key)) {
			best = name
		}
	})
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// walkSettings calls f for every leaf setting with its dotted YAML name.
func walkSettings(v reflect.Value, prefix string, f func(name string, v reflect.Value)) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name := prefix + t.Field(i).Tag.Get("yaml")
		if fv := v.Field(i); fv.Kind() == reflect.Struct {
			walkSettings(fv, name+".", f)
		} else {
			f(name, fv)
		}
	}
}

// setValue parses s into v according to v's type.
func setValue(v reflect.Value, s string) error {
	switch v.Interface().(type) {
	case time.Duration:
		d, err := time.ParseDuration(s)
		if _, nerr := strconv.ParseFloat(s, 64); err != nil && nerr == nil {
			return fmt.Errorf("%s has no unit; write %sms or %ss", s, s, s)
		}
		if err != nil {
			return fmt.Errorf("%q is not a duration like 100ms or 2s", s)
		}
		v.SetInt(int64(d))
		return nil
	case []string:
		var list []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				list = append(list, p)
			}
		}
		v.Set(reflect.ValueOf(list))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		v.SetInt(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		v.SetFloat(f)
	default: // feed.events
		return errors.New("only the configuration file can give this setting")
	}
	return nil
}

// frameAncestorRE matches the frame-ancestors sources frame_ancestors accepts;
// nothing else, so that no entry can end the policy or add a directive.
var frameAncestorRE = regexp.MustCompile(`^('self'|'none'|https?:|https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5}|:\*)?)$`)

// Validate reports the first setting out of range, as a *ConfigError.
func (c *Config) Validate() error {
	bad := func(setting, problem string, args ...any) error {
		return &ConfigError{Setting: setting, Problem: fmt.Sprintf(problem, args...)}
	}
	positive := []struct {
		name string
		v    float64
	}{
		{"votes.tally_interval", float64(c.Votes.TallyInterval)}, {"votes.audience_tally_interval", float64(c.Votes.AudienceTallyInterval)},
		{"votes.max_batch", float64(c.Votes.MaxBatch)}, {"votes.queue_size", float64(c.Votes.QueueSize)},
		{"votes.participant_token_ttl", float64(c.Votes.TokenTTL)},
		{"websocket.read_limit", float64(c.WebSocket.ReadLimit)}, {"websocket.write_timeout", float64(c.WebSocket.WriteTimeout)},
		{"websocket.ping_interval", float64(c.WebSocket.PingInterval)}, {"websocket.queue_limit", float64(c.WebSocket.QueueLimit)},
		{"limits.vote_rate", c.Limits.VoteRate}, {"limits.vote_burst", float64(c.Limits.VoteBurst)},
		{"limits.ip_vote_rate", c.Limits.IPVoteRate}, {"limits.ip_vote_burst", float64(c.Limits.IPVoteBurst)},
		{"limits.join_rate", c.Limits.JoinRate}, {"limits.join_burst", float64(c.Limits.JoinBurst)},
		{"limits.message_rate", c.Limits.MessageRate}, {"limits.message_burst", float64(c.Limits.MessageBurst)},
		{"limits.flood_threshold", float64(c.Limits.FloodThreshold)}, {"shutdown_timeout", float64(c.ShutdownTimeout)},
		{"gc_percent", float64(c.GCPercent)},
		{"feed.frame_interval", float64(c.Feed.FrameInterval)}, {"feed.post_rate", c.Feed.PostRate}, {"feed.post_burst", float64(c.Feed.PostBurst)},
		{"cluster.timeout", float64(c.Cluster.Timeout)}, {"cluster.lease_ttl", float64(c.Cluster.LeaseTTL)},
		{"cluster.vote_buffer", float64(c.Cluster.VoteBuffer)}, {"cluster.request_timeout", float64(c.Cluster.RequestTimeout)},
	}
	for _, p := range positive {
		if !(p.v > 0) {
			return bad(p.name, "must be positive")
		}
	}
	if c.ShutdownDrain < 0 {
		return bad("shutdown_drain", "must be 0 (close at once) or positive")
	}
	if c.Cluster.Standby && (c.Cluster.Role != "core" || c.Store.URL == "") {
		return bad("cluster.standby", "needs cluster.role core and store.url: a standby core takes over the acting core's PostgreSQL database")
	}
	if c.Cluster.LeaseWait < 0 {
		return bad("cluster.lease_wait", "must be 0 (lease_ttl + 2s) or positive")
	}
	if c.WebSocket.BroadcastRatePerCore < 0 {
		return bad("websocket.broadcast_rate_per_core", "must be 0 (no pacing) or positive")
	}
	if c.Votes.CommitWindow < 0 || c.Votes.CommitWindow > time.Second {
		return bad("votes.commit_window", "must be from 0 to 1s, not %s", c.Votes.CommitWindow)
	}
	switch strings.ToUpper(c.Votes.Synchronous) {
	case "FULL", "NORMAL", "EXTRA":
	default:
		return bad("votes.synchronous", "must be FULL, NORMAL or EXTRA, not %q", c.Votes.Synchronous)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return bad("log.format", "must be text or json, not %q", c.Log.Format)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return bad("log.level", "must be debug, info, warn or error, not %q", c.Log.Level)
	}
	if c.Listen == "" {
		return bad("listen", "is required (host:port, or :port for every interface)")
	}
	if c.DataDir == "" {
		return bad("data_dir", "is required")
	}
	if c.PublicURL != "" {
		if problem := originProblem(strings.TrimSuffix(c.PublicURL, "/")); problem != "" {
			return bad("public_url", "%q %s: it must be the address of the server's root, like https://vote.example.com or http://10.0.0.5:8080", c.PublicURL, problem)
		}
	}
	for _, o := range c.AllowedOrigins {
		if problem := originProblem(o); problem != "" {
			return bad("allowed_origins", "%q %s: an origin is scheme://host[:port], like https://vote.example.com, without a path or a trailing slash", o, problem)
		}
	}
	for _, a := range c.FrameAncestors {
		if !frameAncestorRE.MatchString(a) || (a == "'none'" && len(c.FrameAncestors) > 1) {
			return bad("frame_ancestors", "%q must be 'self', 'none' (alone), https: or an origin like https://host[:port]", a)
		}
	}
	if err := c.Cluster.validate(); err != nil {
		return err
	}
	if c.PasswordCost < 4 || c.PasswordCost > 15 {
		return bad("password_cost", "must be 4 to 15, not %d", c.PasswordCost)
	}
	if c.ModeratorPassword != "" && len(c.ModeratorPassword) < 8 {
		return bad("moderator_password", "must be at least 8 characters")
	}
	return c.OIDC.validate()
}

// configErrorf is a *ConfigError of setting, found after merging.
func configErrorf(setting, problem string, args ...any) error {
	return &ConfigError{Setting: setting, Problem: fmt.Sprintf(problem, args...)}
}

// validate checks the cluster settings of Config.Validate.
func (c ClusterConfig) validate() error {
	switch c.Role {
	case "":
	case "core", "edge":
		if c.RedisURL == "" {
			return configErrorf("cluster.redis_url", "is required for role %s", c.Role)
		}
		if !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
			return configErrorf("cluster.redis_url", "%q must look like redis://host:port", redactURL(c.RedisURL))
		}
		if c.LeaseTTL < time.Second {
			return configErrorf("cluster.lease_ttl", "must be at least 1s")
		}
	default:
		return configErrorf("cluster.role", "must be empty (one node), core or edge, not %q", c.Role)
	}
	if len(c.Node) > 64 || strings.ContainsAny(c.Node, " \t\n") {
		return configErrorf("cluster.node", "%q: at most 64 characters, no spaces", c.Node)
	}
	return nil
}

// validate checks the single sign-on settings of Config.Validate.
func (o OIDCConfig) validate() error {
	if set := o.Issuer != "" || o.ClientID != "" || o.ClientSecret != ""; set && (o.Issuer == "" || o.ClientID == "" || o.ClientSecret == "") {
		return configErrorf("oidc", "issuer, client_id and client_secret go together")
	}
	if o.Issuer != "" {
		if u, err := url.Parse(o.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return configErrorf("oidc.issuer", "%q must be an http(s) URL", o.Issuer)
		}
	}
	for i, r := range o.Roles {
		g := live.Grant{Role: live.Role(r.Role)}
		if r.Event != "" {
			g.EventID = 1 // checked at sign-in, when the event exists
		}
		if r.Room != "" {
			g.RoomID = 1
		}
		if r.Claim == "" || g.Validate() != nil {
			return configErrorf(fmt.Sprintf("oidc.roles[%d]", i), "needs a claim and a role (admin, organiser, operator, moderator, viewer); admin names no event, a room names its event")
		}
	}
	return nil
}

// originProblem says what keeps s from being a web origin,
// scheme://host[:port] with scheme http or https, or "" if nothing.
func originProblem(s string) string {
	u, err := url.Parse(s)
	switch {
	case !strings.Contains(s, "://"):
		return "has no http:// or https:// scheme"
	case err != nil:
		return "is not a URL"
	case u.Scheme != "http" && u.Scheme != "https" || u.Opaque != "":
		return "has no http:// or https:// scheme"
	case u.Host == "" || u.Hostname() == "":
		return "has no host"
	case u.User != nil:
		return "has a user name"
	case u.Path != "" || u.RawPath != "":
		return "has a path"
	case u.RawQuery != "" || u.ForceQuery:
		return "has a query"
	case u.Fragment != "" || strings.Contains(s, "#"):
		return "has a fragment"
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "has a bad port"
		}
	}
	return ""
}
