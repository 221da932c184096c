package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestHelp(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		t.Run(arg+" prints the usage and exits 0", func(t *testing.T) {
			var out bytes.Buffer
			if err := run(context.Background(), []string{arg}, nil, &out, io.Discard); !errors.Is(err, errPrinted) {
				t.Fatalf("run returned %v, want errPrinted", err)
			}
			usage := out.String()
			for _, want := range []string{"ovation reset-password", "ovation reset-api-token", "-version", "-config path",
				"\ntop level:\n", "\nlog:\n", "\nvotes:\n", "\nwebsocket:\n", "\nlimits:\n", "\nfeed:\n", "\ncluster:\n",
				`-listen string  `, `(default ":8080")`, "-votes.tally_interval duration", "(default 100ms)", "(default 72h)",
				"-limits.vote_rate number", "feed.events (file only)"} {
				if !strings.Contains(usage, want) {
					t.Errorf("usage lacks %q:\n%s", want, usage)
				}
			}
		})
	}
	t.Run("every setting has a description in config.yaml", func(t *testing.T) {
		docs := settingDocs()
		cfg := DefaultConfig()
		n := 0
		walkSettings(reflect.ValueOf(&cfg).Elem(), "", func(name string, _ reflect.Value) {
			n++
			if d := docs[name]; len(d) < 10 || !strings.HasSuffix(d, ".") {
				t.Errorf("%s: description %q; write a comment block above its key in config.yaml", name, d)
			}
		})
		if len(docs) != n {
			t.Errorf("config.yaml documents %d keys, the configuration has %d settings", len(docs), n)
		}
	})
	t.Run("a description is the comment's first sentence", func(t *testing.T) {
		got := firstSentence("# The address, e.g. https://a.example. More\n# detail.")
		if got != "The address, e.g. https://a.example." {
			t.Fatalf("got %q", got)
		}
	})
}

func TestVersion(t *testing.T) {
	t.Run("-version prints the build and exits 0", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"-version"}, nil, &out, io.Discard); !errors.Is(err, errPrinted) {
			t.Fatalf("run returned %v, want errPrinted", err)
		}
		if !regexp.MustCompile(`^ovation \S+ \(.*go1\.[0-9.]+.*\)\n$`).MatchString(out.String()) {
			t.Fatalf("got %q", out.String())
		}
	})
	t.Run("a stamped build shows revision, date and modification", func(t *testing.T) {
		b := buildInfo{Version: "v0.0.0-20261201093000-abc1234def56+dirty", Revision: "abc1234def5678", Time: "2026-12-01T09:30:00Z",
			Modified: true, GoVersion: "go1.26.8"}
		if got, want := b.String(), "v0.0.0-20261201093000-abc1234def56+dirty (revision abc1234, 2026-12-01, modified, go1.26.8)"; got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
	t.Run("the banner and /metrics show it", func(t *testing.T) {
		s := startServer(t, "")
		res, err := http.Get(s.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		body := string(raw)
		b := readBuildInfo()
		want := `ovation_build_info{goversion="` + b.GoVersion + `",revision="` + b.Revision + `",version="` + b.Version + `"} 1`
		if res.StatusCode != 200 || !strings.Contains(body, want) {
			t.Fatalf("status %d; /metrics lacks %s", res.StatusCode, want)
		}
		if !strings.Contains(s.Banner(t), "\n  Version:              "+b.String()+"\n") {
			t.Fatalf("banner:\n%s", s.Banner(t))
		}
	})
}
