package main

import (
	"fmt"
	"io"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ovation-live/ovation"
	"go.yaml.in/yaml/v3"
)

// printUsage prints the commands and every setting as a flag, grouped by
// the sections of config.yaml, with its type, default and the first
// sentence of the comment config.yaml gives it.
func printUsage(w io.Writer) {
	docs := settingDocs()
	fmt.Fprint(w, `Usage:
  ovation [flags]                          run the server
  ovation reset-password [LOGIN] [flags]   store a new random password of the account LOGIN
                                           (default: the first administrator, admin) and print it once
  ovation reset-api-token [flags]          store a new random API token and print it once
  ovation -version                         print the version and exit

The reset commands take the flags of the server (-config, -data_dir, ...) to
find its database, and apply at once, also to a running server.

  -config path   the YAML configuration file (default ./config.yaml if present)
  -version       print the version and exit
  -h, -help      print this help and exit

Each setting is a flag named by its YAML path, an OVATION_ environment
variable (votes.tally_interval is OVATION_VOTES_TALLY_INTERVAL) and a key of
the configuration file. Flags win over the environment, which wins over the
file. config.yaml describes each setting in full.
`)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	section := "-"
	cfg := DefaultConfig()
	walkSettings(reflect.ValueOf(&cfg).Elem(), "", func(name string, v reflect.Value) {
		sec, _, nested := strings.Cut(name, ".")
		if !nested {
			sec = "top level"
		}
		if sec != section {
			section = sec
			fmt.Fprintf(tw, "\n%s:\n", sec)
		}
		typ := settingType(v)
		if typ == "" {
			fmt.Fprintf(tw, "  %s (file only)\t%s\n", name, docs[name])
			return
		}
		fmt.Fprintf(tw, "  -%s %s\t%s (default %s)\n", name, typ, docs[name], formatSetting(v))
	})
	tw.Flush()
}

// settingType names the type of a setting's value as -h shows it, or ""
// for a setting only the configuration file can give (feed.events).
func settingType(v reflect.Value) string {
	switch v.Interface().(type) {
	case time.Duration:
		return "duration"
	case []string:
		return "list"
	}
	switch v.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int64:
		return "int"
	case reflect.Float64:
		return "number"
	}
	return ""
}

// formatSetting writes a setting's value as config.yaml does.
func formatSetting(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case time.Duration:
		s := x.String() // 72h0m0s → 72h, 1m0s → 1m
		if strings.HasSuffix(s, "m0s") {
			s = strings.TrimSuffix(s, "0s")
		}
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
		return s
	case []string:
		return "[" + strings.Join(x, ", ") + "]"
	case string:
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprint(v.Interface())
}

// settingDocs returns the first sentence of the comment above each key of
// the embedded config.yaml, by YAML path. A key with no comment of its own
// shares the one above it ("vote_rate, and the burst": vote_burst).
func settingDocs() map[string]string {
	var doc yaml.Node
	docs := map[string]string{}
	if err := yaml.Unmarshal(ovation.ConfigYAML, &doc); err != nil || len(doc.Content) == 0 {
		return docs
	}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		last := ""
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.MappingNode {
				walk(v, prefix+k.Value+".")
				continue
			}
			if k.HeadComment != "" {
				last = firstSentence(k.HeadComment)
			}
			docs[prefix+k.Value] = last
		}
	}
	walk(doc.Content[0], "")
	return docs
}

// firstSentence returns a comment block's first sentence on one line.
func firstSentence(comment string) string {
	var words []string
	for _, line := range strings.Split(comment, "\n") {
		words = append(words, strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "#"))...)
	}
	for i, w := range words {
		if strings.HasSuffix(w, ".") && w != "e.g." && w != "i.e." {
			return strings.Join(words[:i+1], " ")
		}
	}
	return strings.Join(words, " ")
}

// buildInfo is what the binary knows of its build: the main module's
// version and the VCS stamp Go records when it builds from a checkout.
type buildInfo struct {
	Version   string // a module version, or (devel)
	Revision  string // the commit, or "" when not stamped (-buildvcs=false)
	Time      string // the commit's time, RFC 3339
	Modified  bool   // the work tree had changes
	GoVersion string
}

// readBuildInfo returns the binary's build information.
func readBuildInfo() buildInfo {
	b := buildInfo{Version: "(devel)", GoVersion: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if bi.Main.Version != "" {
		b.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String returns e.g. "v0.0.0-20261201093000-abc1234def56 (revision
// abc1234, 2026-12-01, modified, go1.26.8)".
func (b buildInfo) String() string {
	var parts []string
	if b.Revision != "" {
		parts = append(parts, "revision "+b.Revision[:min(7, len(b.Revision))])
	}
	if t, err := time.Parse(time.RFC3339, b.Time); err == nil {
		parts = append(parts, t.UTC().Format(time.DateOnly))
	}
	if b.Modified {
		parts = append(parts, "modified")
	}
	parts = append(parts, b.GoVersion)
	return b.Version + " (" + strings.Join(parts, ", ") + ")"
}
