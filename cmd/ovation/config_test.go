package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
		file string
		args []string
		env  []string
	}{
		"unknown key":                     {file: "listn: \":1\"\n"},
		"unknown nested key":              {file: "votes:\n  tally: 1s\n"},
		"not YAML":                        {file: "listen: [\n"},
		"bad duration in file":            {file: "votes:\n  tally_interval: soon\n"},
		"bad duration in env":             {env: []string{"OVATION_WEBSOCKET_WRITE_TIMEOUT=10"}},
		"bad number in flag":              {args: []string{"-votes.max_batch", "many"}},
		"bad bool":                        {env: []string{"OVATION_SEED_DEMO=perhaps"}},
		"unknown flag":                    {args: []string{"-no-such-setting", "1"}},
		"stray argument":                  {args: []string{"serve"}},
		"negative limit":                  {args: []string{"-limits.vote_rate", "-1"}},
		"zero interval":                   {args: []string{"-votes.tally_interval", "0s"}},
		"negative broadcast rate":         {args: []string{"-websocket.broadcast_rate_per_core", "-5"}},
		"negative lease wait":             {args: []string{"-cluster.lease_wait", "-1s"}},
		"bad synchronous":                 {args: []string{"-votes.synchronous", "OFF"}},
		"bad log format":                  {args: []string{"-log.format", "xml"}},
		"origin with a path":              {args: []string{"-allowed_origins", "https://a.example/"}},
		"origin without a scheme":         {args: []string{"-allowed_origins", "a.example"}},
		"short password":                  {args: []string{"-moderator_password", "short"}},
		"frame ancestor with a directive": {args: []string{"-frame_ancestors", "https://a.example; script-src *"}},
		"frame ancestor with a path":      {args: []string{"-frame_ancestors", "https://a.example/x"}},
		"'none' among frame ancestors":    {args: []string{"-frame_ancestors", "'none',https://a.example"}},
		"missing explicit file":           {args: []string{"-config", "/nonexistent/config.yaml"}},
	}
	for name, tc := range bad {
		t.Run("refuses "+name, func(t *testing.T) {
			args := tc.args
			if !contains(args, "-config") {
				args = append([]string{"-config", writeConfig(t, tc.file)}, args...)
			}
			if _, err := LoadConfig(args, tc.env); err == nil {
				t.Fatal("accepted")
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
