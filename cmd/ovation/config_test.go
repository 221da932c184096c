package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func writeConfig(tb testing.TB, body string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestLoadConfig(t *testing.T) {
	t.Run("defaults without a file", func(t *testing.T) {
		cfg, err := LoadConfig([]string{"-config", writeConfig(t, "")}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Votes.TallyInterval != 100*time.Millisecond || cfg.Listen != ":8080" || !cfg.SeedDemo {
			t.Fatalf("defaults: %+v", cfg)
		}
	})
	t.Run("the repository's config.yaml loads and equals the defaults", func(t *testing.T) {
		if _, err := os.Stat("../../config.yaml"); err != nil {
			t.Skip("no config.yaml yet")
		}
		cfg, err := LoadConfig([]string{"-config", "../../config.yaml"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		def := DefaultConfig()
		if cfg.Votes != def.Votes || cfg.WebSocket != def.WebSocket || cfg.Limits != def.Limits || cfg.Listen != def.Listen {
			t.Fatalf("config.yaml differs from the defaults:\n%+v\n%+v", cfg, def)
		}
	})
	t.Run("config.yaml states every constructor's default", func(t *testing.T) {
		// Decoded over a zero Config, not over the defaults: a setting the
		// file leaves out, or states wrong, shows.
		b, err := os.ReadFile("../../config.yaml")
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		var file Config
		if err := decodeSettings(doc.Content[0], reflect.ValueOf(&file).Elem(), "", "config.yaml"); err != nil {
			t.Fatal(err)
		}
		stated := map[string]reflect.Value{}
		walkSettings(reflect.ValueOf(&file).Elem(), "", func(name string, v reflect.Value) { stated[name] = v })
		def := DefaultConfig()
		walkSettings(reflect.ValueOf(&def).Elem(), "", func(name string, want reflect.Value) {
			got := stated[name]
			empty := (got.Kind() == reflect.Slice && got.Len() == 0) && (want.Kind() == reflect.Slice && want.Len() == 0) // [] and nil
			if !empty && !reflect.DeepEqual(got.Interface(), want.Interface()) {
				t.Errorf("config.yaml says %s: %v; the default is %v", name, got, want)
			}
		})
	})
	t.Run("file, then environment, then flags", func(t *testing.T) {
		p := writeConfig(t, "listen: \":9000\"\nvotes:\n  tally_interval: 250ms\n  max_batch: 10\nallowed_origins: [\"https://a.example\"]\n")
		env := []string{"OVATION_VOTES_TALLY_INTERVAL=300ms", "OVATION_VOTES_MAX_BATCH=20", "OVATION_ALLOWED_ORIGINS=https://b.example, https://c.example", "HOME=/x"}
		cfg, err := LoadConfig([]string{"-config", p, "-votes.max_batch", "30"}, env)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Listen != ":9000" || cfg.Votes.TallyInterval != 300*time.Millisecond || cfg.Votes.MaxBatch != 30 ||
			strings.Join(cfg.AllowedOrigins, " ") != "https://b.example https://c.example" {
			t.Fatalf("got %+v", cfg)
		}
	})
	t.Run("frame ancestors from the environment", func(t *testing.T) {
		cfg, err := LoadConfig([]string{"-config", writeConfig(t, "")}, []string{"OVATION_FRAME_ANCESTORS='self', https://*.organiser.example:8443, https:"})
		if err != nil || strings.Join(cfg.FrameAncestors, " ") != "'self' https://*.organiser.example:8443 https:" {
			t.Fatalf("got %q, %v", cfg.FrameAncestors, err)
		}
	})
	t.Run("OVATION_CONFIG names the file", func(t *testing.T) {
		p := writeConfig(t, "seed_demo: false\n")
		cfg, err := LoadConfig(nil, []string{"OVATION_CONFIG=" + p})
		if err != nil || cfg.SeedDemo {
			t.Fatalf("got %+v, %v", cfg, err)
		}
	})

	bad := map[string]struct {
		file    string
		args    []string
		env     []string
		setting string // the YAML path the *ConfigError names; "" if the error is of another kind
		says    string // in the message too
	}{
		"unknown key":                  {file: "listn: \":1\"\n", setting: "listn", says: "line 1): not a setting; did you mean listen?"},
		"unknown nested key":           {file: "votes:\n  tally_intervall: 1s\n", setting: "votes.tally_intervall", says: "line 2): not a setting; did you mean votes.tally_interval?"},
		"key given by its prefix":      {file: "votes:\n  tally: 1s\n", setting: "votes.tally", says: "did you mean votes.tally_interval?"},
		"key in the wrong section":     {file: "tally_interval: 1s\n", setting: "tally_interval", says: "did you mean votes.tally_interval?"},
		"unknown key, nothing close":   {file: "websocket:\n  zzz: 1\n", setting: "websocket.zzz", says: "line 2): not a setting"},
		"unknown key in a feed source": {file: "feed:\n  events:\n    - code: X\n      sources:\n        - kind: x\n          hashtg: a\n", setting: "feed.events[0].sources[0].hashtg", says: "line 6): not a setting; did you mean feed.events[0].sources[0].hashtag?"},
		"key given twice":              {file: "listen: \":1\"\nlisten: \":2\"\n", setting: "listen", says: "line 2): given twice (also line 1)"},
		"section not a mapping":        {file: "votes: 5\n", setting: "votes", says: "line 1"},
		"not YAML":                     {file: "listen: [\n"},
		"duration without a unit":      {file: "votes:\n  tally_interval: 100\n", setting: "votes.tally_interval", says: "line 2): 100 has no unit; write 100ms or 100s"},
		"fraction without a unit":      {file: "cluster:\n  timeout: 1.5\n", setting: "cluster.timeout", says: "1.5 has no unit"},
		"bad duration in file":         {file: "votes:\n  tally_interval: soon\n", setting: "votes.tally_interval", says: `"soon" is not a duration`},
		"bad number in file":           {file: "votes:\n  max_batch: many\n", setting: "votes.max_batch", says: `line 2): "many" is not a int`},
		"duration without unit in env": {env: []string{"OVATION_WEBSOCKET_WRITE_TIMEOUT=10"}, setting: "websocket.write_timeout", says: "(OVATION_WEBSOCKET_WRITE_TIMEOUT): 10 has no unit; write 10ms or 10s"},
		"duration without unit in flag": {args: []string{"-votes.tally_interval", "100"}, setting: "votes.tally_interval",
			says: "(-votes.tally_interval): 100 has no unit"},
		"bad number in flag":              {args: []string{"-votes.max_batch", "many"}, setting: "votes.max_batch", says: `"many" is not a whole number`},
		"bad bool":                        {env: []string{"OVATION_SEED_DEMO=perhaps"}, setting: "seed_demo", says: "OVATION_SEED_DEMO"},
		"feed events in env":              {env: []string{"OVATION_FEED_EVENTS=x"}, setting: "feed.events", says: "only the configuration file"},
		"unknown flag":                    {args: []string{"-no-such-setting", "1"}, setting: "no-such-setting", says: "not a setting"},
		"mistyped flag":                   {args: []string{"-listen", ":1", "-votes.tally_intervall", "1s"}, setting: "votes.tally_intervall", says: "did you mean -votes.tally_interval?"},
		"stray argument":                  {args: []string{"serve"}},
		"negative limit":                  {args: []string{"-limits.vote_rate", "-1"}, setting: "limits.vote_rate", says: "must be positive"},
		"not a number limit":              {args: []string{"-limits.vote_rate", "NaN"}, setting: "limits.vote_rate", says: "must be positive"},
		"zero interval":                   {args: []string{"-votes.tally_interval", "0s"}, setting: "votes.tally_interval"},
		"negative broadcast rate":         {args: []string{"-websocket.broadcast_rate_per_core", "-5"}, setting: "websocket.broadcast_rate_per_core"},
		"negative lease wait":             {args: []string{"-cluster.lease_wait", "-1s"}, setting: "cluster.lease_wait"},
		"bad synchronous":                 {args: []string{"-votes.synchronous", "OFF"}, setting: "votes.synchronous", says: `"OFF"`},
		"bad log format":                  {args: []string{"-log.format", "xml"}, setting: "log.format", says: `"xml"`},
		"origin with a trailing slash":    {args: []string{"-allowed_origins", "https://a.example/"}, setting: "allowed_origins", says: `"https://a.example/" has a path`},
		"origin with a path":              {args: []string{"-allowed_origins", "https://a.example/x"}, setting: "allowed_origins", says: `"https://a.example/x" has a path: an origin is scheme://host[:port]`},
		"origin without a scheme":         {args: []string{"-allowed_origins", "a.example"}, setting: "allowed_origins", says: `"a.example" has no http:// or https:// scheme`},
		"origin with a port, no scheme":   {args: []string{"-allowed_origins", "a.example:8080"}, setting: "allowed_origins", says: "no http:// or https:// scheme"},
		"origin of another scheme":        {file: "allowed_origins: [\"https://a.example\", \"ftp://b.example\"]\n", setting: "allowed_origins", says: `"ftp://b.example"`},
		"origin with a query":             {args: []string{"-allowed_origins", "https://a.example?x=1"}, setting: "allowed_origins", says: "has a query"},
		"public URL without a scheme":     {args: []string{"-public_url", "vote.example.com"}, setting: "public_url", says: `"vote.example.com" has no http:// or https:// scheme`},
		"public URL with a path":          {args: []string{"-public_url", "https://example.com/vote"}, setting: "public_url", says: `"https://example.com/vote" has a path`},
		"public URL with a query":         {env: []string{"OVATION_PUBLIC_URL=https://example.com?a=b"}, setting: "public_url", says: "has a query"},
		"public URL with a fragment":      {args: []string{"-public_url", "https://example.com#x"}, setting: "public_url", says: "has a fragment"},
		"public URL with a bad port":      {args: []string{"-public_url", "https://example.com:99999"}, setting: "public_url", says: "bad port"},
		"short password":                  {args: []string{"-moderator_password", "short"}, setting: "moderator_password"},
		"frame ancestor with a directive": {args: []string{"-frame_ancestors", "https://a.example; script-src *"}, setting: "frame_ancestors"},
		"frame ancestor with a path":      {args: []string{"-frame_ancestors", "https://a.example/x"}, setting: "frame_ancestors"},
		"'none' among frame ancestors":    {args: []string{"-frame_ancestors", "'none',https://a.example"}, setting: "frame_ancestors"},
		"missing explicit file":           {args: []string{"-config", "/nonexistent/config.yaml"}},
		"sign-on without a secret":        {args: []string{"-oidc.issuer", "https://idp.example", "-oidc.client_id", "ovation"}, setting: "oidc", says: "go together"},
		"sign-on issuer not a URL":        {args: []string{"-oidc.issuer", "idp.example", "-oidc.client_id", "o", "-oidc.client_secret", "s"}, setting: "oidc.issuer"},
		"sign-on role of no kind":         {file: "oidc:\n  roles:\n    - claim: g\n      role: king\n", setting: "oidc.roles[0]"},
		"sign-on admin of one event":      {file: "oidc:\n  roles:\n    - claim: g\n      role: admin\n      event: TDAYS\n", setting: "oidc.roles[0]"},
		"sign-on room without its event":  {file: "oidc:\n  roles:\n    - claim: g\n      role: operator\n      room: Main\n", setting: "oidc.roles[0]"},
	}
	for name, tc := range bad {
		t.Run("refuses "+name, func(t *testing.T) {
			args := tc.args
			if !contains(args, "-config") {
				args = append([]string{"-config", writeConfig(t, tc.file)}, args...)
			}
			_, err := LoadConfig(args, tc.env)
			if err == nil {
				t.Fatal("accepted")
			}
			var ce *ConfigError
			if tc.setting == "" {
				if errors.As(err, &ce) {
					t.Fatalf("a *ConfigError: %v", err)
				}
				return
			}
			if !errors.As(err, &ce) || ce.Setting != tc.setting {
				t.Fatalf("got %v (%T), want a *ConfigError naming %s", err, err, tc.setting)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.setting) || !strings.Contains(msg, tc.says) {
				t.Fatalf("message %q does not say %s and %q", msg, tc.setting, tc.says)
			}
		})
	}

	good := map[string]struct {
		file string
		args []string
		ok   func(Config) bool
	}{
		"a zero duration without a unit": {file: "cluster:\n  lease_wait: 0\n", ok: func(c Config) bool { return c.Cluster.LeaseWait == 0 }},
		"an empty section":               {file: "log:\nvotes:\n", ok: func(c Config) bool { return c.Log.Level == "info" }},
		"a public URL with a trailing slash and a port": {args: []string{"-public_url", "https://vote.example.com:8443/"},
			ok: func(c Config) bool { return c.PublicURL == "https://vote.example.com:8443/" }},
		"an origin with a port": {args: []string{"-allowed_origins", "http://127.0.0.1:8080,https://[::1]:9000"},
			ok: func(c Config) bool { return len(c.AllowedOrigins) == 2 }},
		"feed events in the file": {file: "feed:\n  events:\n    - code: TDAYS\n      sources:\n        - kind: mastodon\n          hashtag: t\n",
			ok: func(c Config) bool { return len(c.Feed.Events) == 1 && c.Feed.Events[0].Sources[0].Hashtag == "t" }},
		"sign-on with roles in the file": {file: "oidc:\n  issuer: https://idp.example\n  client_id: o\n  client_secret: s\n  role_claim: groups\n  roles:\n    - claim: g\n      role: operator\n      event: TDAYS\n      room: Main stage\n",
			ok: func(c Config) bool {
				return c.OIDC.Issuer == "https://idp.example" && len(c.OIDC.Roles) == 1 && c.OIDC.Roles[0].Room == "Main stage"
			}},
	}
	for name, tc := range good {
		t.Run("accepts "+name, func(t *testing.T) {
			cfg, err := LoadConfig(append([]string{"-config", writeConfig(t, tc.file)}, tc.args...), nil)
			if err != nil || !tc.ok(cfg) {
				t.Fatalf("got %+v, %v", cfg, err)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// FuzzLoadConfig feeds arbitrary files to the loader: it must return a
// configuration or an error, never panic, and never accept an invalid one.
func FuzzLoadConfig(f *testing.F) {
	f.Add("listen: \":8080\"\n")
	f.Add("votes:\n  tally_interval: 100ms\n  max_batch: 5\n")
	f.Add("allowed_origins: [\"https://x.example\"]\nlimits:\n  vote_rate: 2.5\n")
	f.Add("websocket: {read_limit: -1}\n")
	f.Add("- a\n- b\n")
	f.Fuzz(func(t *testing.T, body string) {
		p := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig([]string{"-config", p}, nil)
		if err == nil {
			if verr := cfg.Validate(); verr != nil {
				t.Fatalf("accepted an invalid configuration: %v", verr)
			}
		}
	})
}
