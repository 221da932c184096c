package deploy

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	"go.yaml.in/yaml/v3"
)

// root is the repository's root, relative to this package.
const root = ".."

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// metric is one series Ovation registers in api/metrics.go.
type metric struct {
	kind   string // counter, gauge or histogram
	labels []string
}

// exportedMetrics reads the metric definitions of api/metrics.go with the Go
// parser: every prometheus.NewXxx(prometheus.XxxOpts{Name: "..."}, labels)
// call, and the calls to its local helper counter("name", ...).
func exportedMetrics(t *testing.T) map[string]metric {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, "api", "metrics.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	str := func(e ast.Expr) (string, bool) {
		if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			s, err := strconv.Unquote(lit.Value)
			return s, err == nil
		}
		return "", false
	}
	metrics := map[string]metric{}
	seen := map[string]bool{} // every "ovation_..." literal, to catch definitions of a shape not handled here
	ast.Inspect(f, func(n ast.Node) bool {
		if s, ok := str(asExpr(n)); ok && strings.HasPrefix(s, "ovation_") {
			seen[s] = true
		}
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		switch fun := call.Fun.(type) {
		case *ast.SelectorExpr: // prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: ...}, []string{...})
			if x, ok := fun.X.(*ast.Ident); !ok || x.Name != "prometheus" || !strings.HasPrefix(fun.Sel.Name, "New") {
				return true
			}
			opts, ok := call.Args[0].(*ast.CompositeLit)
			if !ok {
				return true
			}
			typ, ok := opts.Type.(*ast.SelectorExpr)
			if !ok || !strings.HasSuffix(typ.Sel.Name, "Opts") {
				return true
			}
			var m metric
			m.kind = strings.ToLower(strings.TrimSuffix(typ.Sel.Name, "Opts"))
			var name string
			for _, el := range opts.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				switch k, _ := kv.Key.(*ast.Ident); {
				case k != nil && k.Name == "Name":
					name, _ = str(kv.Value)
				case k != nil && k.Name == "ConstLabels": // prometheus.Labels{"role": role}: its keys come first
					if l, ok := kv.Value.(*ast.CompositeLit); ok {
						for _, el := range l.Elts {
							if lkv, ok := el.(*ast.KeyValueExpr); ok {
								if s, ok := str(lkv.Key); ok {
									m.labels = append(m.labels, s)
								}
							}
						}
					} else {
						t.Errorf("api/metrics.go: %s: write ConstLabels as a prometheus.Labels literal", name)
					}
				}
			}
			if name == "" {
				return true // the helper's own CounterOpts{Name: name}
			}
			if len(call.Args) > 1 {
				if l, ok := call.Args[1].(*ast.CompositeLit); ok {
					for _, el := range l.Elts {
						if s, ok := str(el); ok {
							m.labels = append(m.labels, s)
						}
					}
				}
			}
			metrics[name] = m
		case *ast.Ident: // counter("ovation_frames_published_total", ...)
			name, ok := str(call.Args[0])
			if !ok || !strings.HasPrefix(name, "ovation_") {
				return true
			}
			switch fun.Name {
			case "counter", "gauge", "histogram":
				metrics[name] = metric{kind: fun.Name}
			default:
				t.Errorf("api/metrics.go: cannot tell the type of %s, defined through %s()", name, fun.Name)
			}
		}
		return true
	})
	for s := range seen {
		if _, ok := metrics[s]; !ok {
			t.Errorf("api/metrics.go: %q is not in a definition this test understands; teach exportedMetrics", s)
		}
	}
	if len(metrics) < 10 {
		t.Fatalf("api/metrics.go: found only %d metrics: %v", len(metrics), metrics)
	}
	return metrics
}

func asExpr(n ast.Node) ast.Expr {
	e, _ := n.(ast.Expr)
	return e
}

// standardSeries are the series of other exporters the files may use: the Go
// and process collectors Ovation registers, Prometheus's own up, and the
// blackbox exporter's probe_success.
var standardSeries = map[string]bool{
	"up": true, "probe_success": true,
	"process_resident_memory_bytes": true, "process_cpu_seconds_total": true, "process_open_fds": true,
	"go_goroutines": true, "go_memstats_heap_inuse_bytes": true,
}

// checkExported reports the series expr reads that nothing exports, and
// returns those it reads.
func checkExported(t *testing.T, where, expr string, metrics map[string]metric) []string {
	t.Helper()
	names, err := promqlMetrics(expr)
	if err != nil {
		t.Errorf("%s: %q: %v", where, expr, err)
		return nil
	}
	if len(names) == 0 {
		t.Errorf("%s: %q reads no series", where, expr)
	}
	for _, n := range names {
		if !exported(n, metrics) {
			t.Errorf("%s: %q reads %s, which the server does not export", where, expr, n)
		}
	}
	return names
}

// exported tells whether the series name exists: a metric of
// api/metrics.go, a histogram's _bucket, _sum or _count, or a standard one.
func exported(name string, metrics map[string]metric) bool {
	if _, ok := metrics[name]; ok || standardSeries[name] {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if m, ok := metrics[strings.TrimSuffix(name, suffix)]; ok && strings.HasSuffix(name, suffix) && m.kind == "histogram" {
			return true
		}
	}
	return false
}

var (
	identRE = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	// PromQL words that are not series names.
	promqlAggregations = map[string]bool{"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true,
		"stdvar": true, "count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true, "limitk": true, "limit_ratio": true}
	promqlGrouping = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true}
	promqlWords    = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true, "atan2": true, "inf": true, "nan": true}
)

// promqlMetrics returns the series names a PromQL expression reads (as the
// identifiers that are neither functions, keywords nor labels), with
// Grafana's $variables allowed in label matchers and ranges.
func promqlMetrics(expr string) ([]string, error) {
	// Blank out strings, label matchers {...} and ranges [...], keeping the
	// positions of the rest.
	b := []byte(expr)
	depth := map[byte]int{}
	var quote byte
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case quote != 0:
			if c == '\\' && i+1 < len(b) {
				b[i], b[i+1] = ' ', ' '
				i++
				continue
			}
			if c == quote {
				quote = 0
			}
			b[i] = ' '
		case c == '"' || c == '\'' || c == '`':
			quote = c
			b[i] = ' '
		case c == '{' || c == '[':
			depth[c]++
			b[i] = ' '
		case c == '}':
			depth['{']--
			b[i] = ' '
		case c == ']':
			depth['[']--
			b[i] = ' '
		case depth['{'] > 0 || depth['['] > 0:
			b[i] = ' '
		}
	}
	if quote != 0 || depth['{'] != 0 || depth['['] != 0 {
		return nil, fmt.Errorf("unbalanced quotes or brackets")
	}
	if strings.Count(string(b), "(") != strings.Count(string(b), ")") {
		return nil, fmt.Errorf("unbalanced parentheses")
	}
	if strings.Contains(string(b), "$") {
		return nil, fmt.Errorf("a $variable outside a label matcher or a range")
	}
	s := string(b)
	var names []string
	skipUntil := -1 // end of a grouping label list
	for _, loc := range identRE.FindAllStringIndex(s, -1) {
		if loc[0] < skipUntil {
			continue
		}
		if loc[0] > 0 && (s[loc[0]-1] >= '0' && s[loc[0]-1] <= '9' || s[loc[0]-1] == '.') {
			continue // the exponent or unit of a number: 1e3, 0.5
		}
		word := s[loc[0]:loc[1]]
		rest := strings.TrimLeft(s[loc[1]:], " \t\n")
		switch {
		case promqlGrouping[word]:
			if strings.HasPrefix(rest, "(") { // by (instance, le): labels
				open := len(s) - len(rest)
				skipUntil = open + strings.Index(s[open:], ")")
			}
		case promqlAggregations[word], promqlWords[word]:
		case strings.HasPrefix(rest, "("): // a function
		default:
			names = append(names, word)
		}
	}
	return names, nil
}

func TestPromqlMetrics(t *testing.T) {
	for expr, want := range map[string][]string{
		`histogram_quantile(0.99, sum by (instance, le) (rate(ovation_commit_batch_seconds_bucket{job=~"$job"}[$__rate_interval])))`: {"ovation_commit_batch_seconds_bucket"},
		`increase(ovation_commit_errors_total[5m]) > 0`:                                 {"ovation_commit_errors_total"},
		`sum without (code) (rate(a_total[1m])) / on (instance) group_left (x) b > 1e3`: {"a_total", "b"},
		`probe_success{job="x", path!~"/(a|b)"} == 0 and up`:                            {"probe_success", "up"},
	} {
		got, err := promqlMetrics(expr)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("promqlMetrics(%q) = %v, %v; want %v", expr, got, err, want)
		}
	}
	if _, err := promqlMetrics(`rate(x[5m]`); err == nil {
		t.Error("unbalanced parentheses accepted")
	}
}

// TestReadmeMetrics checks the README's table of metrics against
// api/metrics.go: every series, its type and its labels.
func TestReadmeMetrics(t *testing.T) {
	metrics := exportedMetrics(t)
	row := regexp.MustCompile("(?m)^\\| `(ovation_[a-z0-9_]+)(?:\\{([a-z_, ]+)\\})?` \\| ([a-z]+) \\|")
	listed := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(read(t, "README.md")), -1) {
		name, kind := m[1], m[3]
		var labels []string
		if m[2] != "" {
			for _, l := range strings.Split(m[2], ",") {
				labels = append(labels, strings.TrimSpace(l))
			}
		}
		listed[name] = true
		def, ok := metrics[name]
		switch {
		case !ok:
			t.Errorf("README lists %s, which api/metrics.go does not define", name)
		case def.kind != kind:
			t.Errorf("README: %s is a %s, not a %s", name, def.kind, kind)
		case !slices.Equal(def.labels, labels):
			t.Errorf("README: %s has the labels %v, not %v", name, def.labels, labels)
		}
	}
	for name := range metrics {
		if !listed[name] {
			t.Errorf("README's table of metrics misses %s", name)
		}
	}
}

// TestGrafanaDashboard parses deploy/grafana-dashboard.json and checks its
// queries, its data source variable and its legends.
func TestGrafanaDashboard(t *testing.T) {
	metrics := exportedMetrics(t)
	type target struct {
		Datasource   map[string]string `json:"datasource"`
		Expr         string            `json:"expr"`
		LegendFormat string            `json:"legendFormat"`
		RefID        string            `json:"refId"`
	}
	type panel struct {
		ID         int               `json:"id"`
		Type       string            `json:"type"`
		Title      string            `json:"title"`
		Datasource map[string]string `json:"datasource"`
		GridPos    struct{ H, W, X, Y int }
		Targets    []target `json:"targets"`
		Panels     []panel  `json:"panels"`
	}
	var dash struct {
		UID        string  `json:"uid"`
		Title      string  `json:"title"`
		Panels     []panel `json:"panels"`
		Templating struct {
			List []struct {
				Name       string            `json:"name"`
				Type       string            `json:"type"`
				Query      json.RawMessage   `json:"query"`
				Datasource map[string]string `json:"datasource"`
			} `json:"list"`
		} `json:"templating"`
	}
	dec := json.NewDecoder(bytes.NewReader(read(t, "deploy/grafana-dashboard.json")))
	if err := dec.Decode(&dash); err != nil {
		t.Fatal(err)
	}
	if dash.UID == "" || dash.Title == "" {
		t.Error("the dashboard needs a uid and a title")
	}

	hasDatasource := false
	for _, v := range dash.Templating.List {
		switch v.Type {
		case "datasource":
			var q string
			if err := json.Unmarshal(v.Query, &q); err != nil || q != "prometheus" || v.Name != "datasource" {
				t.Errorf("data source variable %s: query %s, want a variable named datasource of type prometheus", v.Name, v.Query)
			}
			hasDatasource = true
		case "query":
			var q struct{ Query string }
			if err := json.Unmarshal(v.Query, &q); err != nil {
				t.Errorf("variable %s: %v", v.Name, err)
				continue
			}
			m := regexp.MustCompile(`^label_values\((.+),\s*[a-z_]+\)$`).FindStringSubmatch(q.Query)
			if m == nil {
				t.Errorf("variable %s: %q is not label_values(series, label)", v.Name, q.Query)
				continue
			}
			checkExported(t, "variable "+v.Name, m[1], metrics)
			if v.Datasource["uid"] != "${datasource}" {
				t.Errorf("variable %s does not use the data source variable", v.Name)
			}
		}
	}
	if !hasDatasource {
		t.Error("no data source variable")
	}

	used := map[string]bool{}
	ids := map[int]bool{}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if ids[p.ID] {
				t.Errorf("panel %q: id %d used twice", p.Title, p.ID)
			}
			ids[p.ID] = true
			if p.GridPos.W == 0 || p.GridPos.H == 0 || p.GridPos.X+p.GridPos.W > 24 {
				t.Errorf("panel %q: gridPos %+v", p.Title, p.GridPos)
			}
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if p.Datasource["uid"] != "${datasource}" || len(p.Targets) == 0 {
				t.Errorf("panel %q: no targets, or not on the data source variable", p.Title)
			}
			for _, tg := range p.Targets {
				where := fmt.Sprintf("panel %q target %s", p.Title, tg.RefID)
				for _, n := range checkExported(t, where, tg.Expr, metrics) {
					used[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")] = true
				}
				if !strings.Contains(tg.LegendFormat, "{{instance}}") {
					t.Errorf("%s: legend %q does not name the instance", where, tg.LegendFormat)
				}
				if tg.Datasource["uid"] != "${datasource}" {
					t.Errorf("%s: not on the data source variable", where)
				}
			}
		}
	}
	walk(dash.Panels)
	for name := range metrics {
		if !used[name] {
			t.Errorf("no panel shows %s", name)
		}
	}
}

// TestPrometheusAlerts parses deploy/prometheus-alerts.yml as Prometheus
// reads a rule file and checks its expressions and templates.
func TestPrometheusAlerts(t *testing.T) {
	metrics := exportedMetrics(t)
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(read(t, "deploy/prometheus-alerts.yml")))
	dec.KnownFields(true)
	if err := dec.Decode(&rules); err != nil {
		t.Fatal(err)
	}
	var readyz, commitErrors bool
	alerts := map[string]bool{}
	for _, g := range rules.Groups {
		if g.Name == "" || len(g.Rules) == 0 {
			t.Errorf("group %q: a name and rules are needed", g.Name)
		}
		for _, r := range g.Rules {
			if r.Alert == "" || alerts[r.Alert] {
				t.Errorf("rule %q: missing or repeated alert name", r.Alert)
			}
			alerts[r.Alert] = true
			names := checkExported(t, "alert "+r.Alert, r.Expr, metrics)
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("alert %s: for: %v", r.Alert, err)
				}
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("alert %s: severity %q, want critical or warning", r.Alert, s)
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("alert %s: no summary", r.Alert)
			}
			for k, text := range r.Annotations { // Prometheus expands them as Go templates with $labels and $value
				if _, err := template.New(k).Parse(`{{$labels := .Labels}}{{$value := .Value}}` + text); err != nil {
					t.Errorf("alert %s: annotation %s: %v", r.Alert, k, err)
				}
			}
			readyz = readyz || slices.Contains(names, "probe_success") && strings.Contains(strings.ToLower(r.Annotations["description"]), "/readyz")
			commitErrors = commitErrors || strings.Join(strings.Fields(r.Expr), " ") == "increase(ovation_commit_errors_total[5m]) > 0"
		}
	}
	if !readyz {
		t.Error("no alert on /readyz (probe_success)")
	}
	if !commitErrors {
		t.Error("no alert on increase(ovation_commit_errors_total[5m]) > 0")
	}
}

// setting is one leaf of config.yaml.
type setting struct {
	name string // votes.tally_interval
	tag  string // the YAML tag of its default: !!str, !!int, !!bool, !!seq, ...
	def  string
}

// configSettings reads the settings config.yaml documents, by environment
// variable name (OVATION_ + the YAML path in capitals, dots as underscores).
func configSettings(t *testing.T) map[string]setting {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(read(t, "config.yaml"), &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]setting{}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			if v.Kind == yaml.MappingNode {
				walk(v, prefix+k+".")
				continue
			}
			name := prefix + k
			out["OVATION_"+strings.ToUpper(strings.ReplaceAll(name, ".", "_"))] = setting{name: name, tag: v.ShortTag(), def: v.Value}
		}
	}
	walk(doc.Content[0], "")
	if _, ok := out["OVATION_CLUSTER_REDIS_URL"]; !ok || len(out) < 30 {
		t.Fatalf("config.yaml: read %d settings, without cluster.redis_url", len(out))
	}
	return out
}

// checkEnv checks that an OVATION_* variable names a setting and that its
// value is of the setting's type.
func checkEnv(t *testing.T, where, name, value string, settings map[string]setting) {
	t.Helper()
	if name == "OVATION_CONFIG" { // the config file's path, not a setting
		return
	}
	s, ok := settings[name]
	if !ok {
		t.Errorf("%s: %s is not a setting of config.yaml", where, name)
		return
	}
	var err error
	switch s.tag {
	case "!!bool":
		_, err = strconv.ParseBool(value)
	case "!!int":
		_, err = strconv.ParseInt(value, 10, 64)
	case "!!float":
		_, err = strconv.ParseFloat(value, 64)
	case "!!str":
		if _, derr := time.ParseDuration(s.def); derr == nil {
			_, err = time.ParseDuration(value)
		}
	}
	if err != nil {
		t.Errorf("%s: %s=%q is not a valid %s: %v", where, name, value, s.name, err)
	}
}

// duration returns a setting's default as a duration.
func duration(t *testing.T, settings map[string]setting, env string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(settings[env].def)
	if err != nil {
		t.Fatalf("config.yaml: %s: %v", env, err)
	}
	return d
}

// instruction is one Dockerfile instruction.
type instruction struct {
	cmd  string // upper case
	args string
	line int
}

// dockerfile splits a Dockerfile into its instructions, joining continued
// lines and dropping comments, as the builder does.
func dockerfile(t *testing.T) []instruction {
	t.Helper()
	var out []instruction
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(bytes.NewReader(read(t, "Dockerfile")))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || line == "" && cur.Len() == 0 {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(cont + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{cmd: strings.ToUpper(cmd), args: strings.Join(strings.Fields(args), " "), line: start})
		cur.Reset()
	}
	if cur.Len() > 0 {
		t.Fatal("Dockerfile: ends with a continued line")
	}
	return out
}

// dockerEnv parses the arguments of ENV (key=value pairs, values optionally
// quoted).
func dockerEnv(t *testing.T, args string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)`).FindAllStringSubmatch(args, -1) {
		v := m[2]
		if strings.HasPrefix(v, `"`) {
			var err error
			if v, err = strconv.Unquote(v); err != nil {
				t.Errorf("ENV %s: %v", m[1], err)
			}
		}
		out[m[1]] = v
	}
	return out
}

// TestDockerfile checks the image: a multi-stage build of a static binary,
// a non-root user, the /data volume, a health check on /healthz, settings
// that exist.
func TestDockerfile(t *testing.T) {
	settings := configSettings(t)
	ins := dockerfile(t)
	var stages []string // names of the stages, "" when unnamed
	env := map[string]string{}
	var final []instruction // the last stage's instructions
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(read(t, "go.mod"))
	for _, in := range ins {
		switch in.cmd {
		case "FROM":
			f := strings.Fields(in.args)
			name := ""
			if len(f) == 3 && strings.EqualFold(f[1], "as") {
				name = f[2]
			}
			stages = append(stages, name)
			final = nil
		case "ARG":
			if v, ok := strings.CutPrefix(in.args, "GO_VERSION="); ok && (goVersion == nil || v != string(goVersion[1])) {
				t.Errorf("Dockerfile:%d: GO_VERSION %s, but go.mod says go %s", in.line, v, goVersion[1])
			}
		case "ENV":
			for k, v := range dockerEnv(t, in.args) {
				env[k] = v
				if strings.HasPrefix(k, "OVATION_") {
					checkEnv(t, fmt.Sprintf("Dockerfile:%d", in.line), k, v, settings)
				}
			}
		case "RUN":
			if strings.Contains(in.args, "go build") && (!strings.Contains(in.args, "CGO_ENABLED=0") || !strings.Contains(in.args, "./cmd/ovation")) {
				t.Errorf("Dockerfile:%d: the build must be CGO_ENABLED=0 go build ... ./cmd/ovation (a static binary): %s", in.line, in.args)
			}
		}
		final = append(final, in)
	}
	if len(stages) < 2 || stages[0] == "" {
		t.Fatalf("Dockerfile: want a named build stage and a runtime stage, got stages %q", stages)
	}
	last := map[string]instruction{}
	for _, in := range final {
		last[in.cmd] = in
	}
	if c, ok := last["COPY"]; !ok || !regexp.MustCompile(`--from=`+regexp.QuoteMeta(stages[0])+`\b`).MatchString(c.args) {
		t.Errorf("Dockerfile: the runtime stage must copy the binary from the %s stage", stages[0])
	}
	if u, ok := last["USER"]; !ok {
		t.Error("Dockerfile: the runtime stage has no USER: it would run as root")
	} else if user, _, _ := strings.Cut(u.args, ":"); user == "root" || user == "0" {
		t.Errorf("Dockerfile:%d: USER %s is root", u.line, u.args)
	}
	if v, ok := last["VOLUME"]; !ok || v.args != "/data" && v.args != `["/data"]` {
		t.Error("Dockerfile: the runtime stage needs VOLUME /data")
	}
	if env["OVATION_DATA_DIR"] != "/data" {
		t.Errorf("Dockerfile: OVATION_DATA_DIR=%q, want the volume /data", env["OVATION_DATA_DIR"])
	}
	_, port, _ := strings.Cut(env["OVATION_LISTEN"], ":")
	if e, ok := last["EXPOSE"]; !ok || port == "" || e.args != port {
		t.Errorf("Dockerfile: EXPOSE %q does not match OVATION_LISTEN %q", e.args, env["OVATION_LISTEN"])
	}
	if h, ok := last["HEALTHCHECK"]; !ok || !strings.Contains(h.args, "CMD ") || !strings.Contains(h.args, "/healthz") {
		t.Error("Dockerfile: the runtime stage needs a HEALTHCHECK CMD on /healthz")
	} else if !strings.Contains(h.args, "wget ") || !strings.Contains(last["FROM"].args, "alpine") {
		t.Errorf("Dockerfile:%d: the health check runs wget, which needs a base that has it (alpine's busybox)", h.line)
	}
	var entry []string
	if e, ok := last["ENTRYPOINT"]; !ok || json.Unmarshal([]byte(e.args), &entry) != nil || len(entry) == 0 {
		t.Error(`Dockerfile: ENTRYPOINT must be in exec form (["/usr/local/bin/ovation"]) so that SIGTERM reaches the server`)
	}
}

// composeFile is the part of compose.yaml the checks read.
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       string            `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Volumes         []string `yaml:"volumes"`
		Ports           []string `yaml:"ports"`
		Networks        []string `yaml:"networks"`
		StopGracePeriod string   `yaml:"stop_grace_period"`
	} `yaml:"services"`
	Networks map[string]struct {
		Internal bool `yaml:"internal"`
	} `yaml:"networks"`
	Volumes map[string]any `yaml:"volumes"`
}

// interpolate expands ${VAR:-default} and ${VAR} as compose does, with every
// variable unset.
func interpolate(s string) string {
	return regexp.MustCompile(`\$\{[A-Z_][A-Z0-9_]*(?::?-([^}]*))?\}`).ReplaceAllString(s, "$1")
}

// TestCompose checks compose.yaml: Redis, a core, two edges on the core,
// nginx in front with its configuration, settings that exist.
func TestCompose(t *testing.T) {
	settings := configSettings(t)
	var c composeFile
	if err := yaml.Unmarshal(read(t, "compose.yaml"), &c); err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range c.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	if want := []string{"core", "edge-1", "edge-2", "nginx", "redis"}; !slices.Equal(names, want) {
		t.Fatalf("compose.yaml: services %v, want %v", names, want)
	}
	nodes := map[string]string{} // service → node id
	ids := map[string]bool{}
	for name, s := range c.Services {
		for k, v := range s.Environment {
			v = interpolate(v)
			if strings.HasPrefix(k, "OVATION_") {
				checkEnv(t, "compose.yaml: "+name, k, v, settings)
			}
		}
		if !strings.HasPrefix(s.Image, "ovation") {
			continue
		}
		if s.Build != "." {
			t.Errorf("compose.yaml: %s: build %q, want the Dockerfile at the root (.)", name, s.Build)
		}
		role, node := s.Environment["OVATION_CLUSTER_ROLE"], s.Environment["OVATION_CLUSTER_NODE"]
		if want := map[string]string{"core": "core", "edge-1": "edge", "edge-2": "edge"}[name]; role != want {
			t.Errorf("compose.yaml: %s: OVATION_CLUSTER_ROLE=%q, want %q", name, role, want)
		}
		if node == "" || ids[node] {
			t.Errorf("compose.yaml: %s: OVATION_CLUSTER_NODE=%q: each node needs its own id", name, node)
		}
		ids[node] = true
		nodes[name] = node
		u, err := url.Parse(s.Environment["OVATION_CLUSTER_REDIS_URL"])
		if err != nil || u.Hostname() != "redis" || u.Port() != "6379" {
			t.Errorf("compose.yaml: %s: OVATION_CLUSTER_REDIS_URL %q does not reach the redis service", name, s.Environment["OVATION_CLUSTER_REDIS_URL"])
		}
		if s.Environment["OVATION_PUBLIC_URL"] == "" || s.Environment["OVATION_TRUST_PROXY"] != "true" {
			t.Errorf("compose.yaml: %s: behind nginx every node needs public_url and trust_proxy", name)
		}
		if g, err := time.ParseDuration(s.StopGracePeriod); err != nil || g <= duration(t, settings, "OVATION_SHUTDOWN_TIMEOUT") {
			t.Errorf("compose.yaml: %s: stop_grace_period %q must be longer than shutdown_timeout", name, s.StopGracePeriod)
		}
		if len(s.Ports) > 0 {
			t.Errorf("compose.yaml: %s publishes %v: with trust_proxy, only nginx may reach the nodes", name, s.Ports)
		}
		if !slices.Contains(s.Networks, "backend") {
			t.Errorf("compose.yaml: %s is not on the backend network, where Redis is", name)
		}
	}
	if len(nodes) != 3 {
		t.Errorf("compose.yaml: %d Ovation nodes, want a core and two edges", len(nodes))
	}
	if d, ok := c.Services["core"].DependsOn["redis"]; !ok || d.Condition != "service_healthy" {
		t.Error("compose.yaml: the core must wait for a healthy redis")
	}
	for _, e := range []string{"edge-1", "edge-2"} {
		if d, ok := c.Services[e].DependsOn["core"]; !ok || d.Condition != "service_healthy" {
			t.Errorf("compose.yaml: %s must wait for a healthy core (an edge stops when no core publishes its secrets)", e)
		}
	}
	core := c.Services["core"]
	if !slices.ContainsFunc(core.Volumes, func(v string) bool {
		src, dst, _ := strings.Cut(v, ":")
		_, named := c.Volumes[src]
		return named && dst == "/data"
	}) {
		t.Errorf("compose.yaml: the core's /data (its SQLite file) must be a named volume: %v", core.Volumes)
	}

	redis := c.Services["redis"]
	if cmd := strings.Join(redis.Command, " "); !strings.Contains(cmd, "--appendonly yes") || !strings.Contains(cmd, "--appendfsync always") {
		t.Errorf("compose.yaml: redis must persist with appendonly yes and appendfsync always (docs/cluster.md §9): %q", cmd)
	}
	if len(redis.Ports) > 0 || !slices.Equal(redis.Networks, []string{"backend"}) || !c.Networks["backend"].Internal {
		t.Error("compose.yaml: redis must be only on the internal backend network, unpublished")
	}

	nginx := c.Services["nginx"]
	for _, n := range []string{"edge-1", "edge-2"} {
		if _, ok := nginx.DependsOn[n]; !ok {
			t.Errorf("compose.yaml: nginx must start after %s (it resolves the upstreams' names at start)", n)
		}
	}
	var conf string
	for _, v := range nginx.Volumes {
		if src, dst, _ := strings.Cut(v, ":"); strings.HasPrefix(dst, "/etc/nginx/conf.d/") {
			conf = filepath.Clean(src)
		}
	}
	if conf != filepath.Join("deploy", "nginx.compose.conf") {
		t.Fatalf("compose.yaml: nginx must mount deploy/nginx.compose.conf in /etc/nginx/conf.d/, got %q", conf)
	}
	// The upstream servers are the nodes, on the port they listen on.
	_, port, _ := strings.Cut(settings["OVATION_LISTEN"].def, ":")
	up := findBlock(nginxConf(t, conf), "upstream", "ovation")
	if up == nil {
		t.Fatal("deploy/nginx.compose.conf: no upstream ovation")
	}
	var servers []string
	for _, d := range up.children {
		if d.name == "server" {
			host, p, _ := strings.Cut(d.args[0], ":")
			if _, ok := nodes[host]; !ok || p != port {
				t.Errorf("deploy/nginx.compose.conf: upstream server %s is not a node of compose.yaml on port %s", d.args[0], port)
			}
			if (host == "core") != slices.Contains(d.args, "backup") {
				t.Errorf("deploy/nginx.compose.conf: %s: the core, and only it, is the backup (as in deploy/nginx.conf)", d.args[0])
			}
			servers = append(servers, host)
		}
	}
	if len(servers) != 3 {
		t.Errorf("deploy/nginx.compose.conf: upstream servers %v, want the three nodes", servers)
	}
}

// directive is one nginx directive, with its block if it has one.
type directive struct {
	name     string
	args     []string
	children []directive
	block    bool
}

// nginxConf parses an nginx configuration file into its directives.
func nginxConf(t *testing.T, path string) []directive {
	t.Helper()
	src := string(read(t, path))
	var toks []string
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '{' || c == '}' || c == ';':
			toks = append(toks, string(c))
			i++
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(src) && src[j] != c {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				t.Fatalf("%s: unterminated string", path)
			}
			toks = append(toks, src[i:j+1])
			i = j + 1
		default:
			j := i
			for j < len(src) && !strings.ContainsRune(" \t\r\n{};#", rune(src[j])) {
				j++
			}
			toks = append(toks, src[i:j])
			i = j
		}
	}
	pos := 0
	var parse func(depth int) []directive
	parse = func(depth int) []directive {
		var out []directive
		for pos < len(toks) {
			if toks[pos] == "}" {
				if depth == 0 {
					t.Fatalf("%s: unexpected }", path)
				}
				pos++
				return out
			}
			d := directive{name: toks[pos]}
			pos++
			for pos < len(toks) && toks[pos] != ";" && toks[pos] != "{" {
				if toks[pos] == "}" {
					t.Fatalf("%s: %s: missing ;", path, d.name)
				}
				d.args = append(d.args, toks[pos])
				pos++
			}
			if pos == len(toks) {
				t.Fatalf("%s: %s: missing ; or {", path, d.name)
			}
			if toks[pos] == "{" {
				pos++
				d.block = true
				d.children = parse(depth + 1)
			} else {
				pos++
			}
			out = append(out, d)
		}
		if depth > 0 {
			t.Fatalf("%s: missing }", path)
		}
		return out
	}
	return parse(0)
}

func findBlock(ds []directive, name string, args ...string) *directive {
	for i := range ds {
		if ds[i].block && ds[i].name == name && slices.Equal(ds[i].args, args) {
			return &ds[i]
		}
	}
	return nil
}

func (d directive) String() string {
	var b strings.Builder
	b.WriteString(strings.Join(append([]string{d.name}, d.args...), " "))
	if d.block {
		b.WriteString(" {")
		for _, c := range d.children {
			b.WriteString(" " + c.String())
		}
		b.WriteString(" }")
	} else {
		b.WriteString(";")
	}
	return b.String()
}

// TestNginxComposeMatchesExample checks that deploy/nginx.compose.conf is
// deploy/nginx.conf but for the addresses of the nodes and TLS.
func TestNginxComposeMatchesExample(t *testing.T) {
	example, compose := nginxConf(t, "deploy/nginx.conf"), nginxConf(t, "deploy/nginx.compose.conf")
	for _, name := range []string{"map", "upstream"} {
		var e, c *directive
		for i := range example {
			if example[i].name == name {
				e = &example[i]
			}
		}
		for i := range compose {
			if compose[i].name == name {
				c = &compose[i]
			}
		}
		if e == nil || c == nil {
			t.Fatalf("%s block missing", name)
		}
		strip := func(d directive) string { // the server lines without their addresses
			for i, ch := range d.children {
				if ch.name == "server" && len(ch.args) > 0 {
					d.children = slices.Clone(d.children)
					d.children[i].args = append([]string{"ADDR"}, ch.args[1:]...)
				}
			}
			return d.String()
		}
		if strip(*e) != strip(*c) {
			t.Errorf("the %s blocks differ beyond the addresses:\n  nginx.conf:         %s\n  nginx.compose.conf: %s", name, strip(*e), strip(*c))
		}
	}
	// The server that proxies, without what TLS and the public name need.
	proxying := func(ds []directive) []string {
		var out []string
		for _, d := range ds {
			if d.name != "server" || findBlock(d.children, "location", "/") == nil {
				continue
			}
			for _, ch := range d.children {
				if ch.name == "listen" || ch.name == "server_name" || strings.HasPrefix(ch.name, "ssl_") {
					continue
				}
				out = append(out, ch.String())
			}
		}
		return out
	}
	e, c := proxying(example), proxying(compose)
	if len(e) == 0 || !slices.Equal(e, c) {
		t.Errorf("the proxying server blocks differ:\n  nginx.conf:         %q\n  nginx.compose.conf: %q", e, c)
	}
}

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
	buildDir  string
)

// build builds cmd/ovation once for the tests, as the image does: static,
// without cgo.
func build(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "ovation-deploy-"); buildErr != nil {
			return
		}
		binary = filepath.Join(buildDir, "ovation")
		cmd := exec.Command("go", "build", "-o", binary, "./cmd/ovation")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("CGO_ENABLED=0 go build ./cmd/ovation: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// TestStaticBuild builds cmd/ovation with CGO_ENABLED=0 and checks that the
// binary links no shared library; and that the README's go install path is
// the module's command.
func TestStaticBuild(t *testing.T) {
	bin := build(t)
	if runtime.GOOS == "linux" {
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Error("the binary asks for a dynamic loader (PT_INTERP): not static")
			}
		}
		if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
			t.Errorf("the binary links %v: not static", libs)
		}
	}

	cmd := exec.Command("go", "list", "-f", "{{.Name}} {{.ImportPath}}", "./cmd/ovation")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list ./cmd/ovation: %v", err)
	}
	name, importPath, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	if name != "main" {
		t.Errorf("./cmd/ovation is package %s, not a command", name)
	}
	readme := string(read(t, "README.md"))
	if want := "go install " + importPath + "@latest"; !strings.Contains(readme, want) {
		t.Errorf("README does not give %q", want)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\S+)`).FindStringSubmatch(string(read(t, "go.mod")))
	if goVersion == nil || !strings.Contains(readme, "Go "+goVersion[1]) {
		t.Errorf("README's Install section does not name the Go version of go.mod (%v)", goVersion)
	}
	for _, f := range []string{"Dockerfile", "compose.yaml", "deploy/ovation.service", "deploy/grafana-dashboard.json",
		"deploy/prometheus-alerts.yml", "deploy/nginx.compose.conf", "LICENSE", "CHANGELOG.md"} {
		if !strings.Contains(readme, "("+f+")") {
			t.Errorf("README does not link %s", f)
		}
	}
}

// unit is a systemd unit file: section → key → values, in order.
type unit map[string]map[string][]string

func parseUnit(t *testing.T, path string) unit {
	t.Helper()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(read(t, path)))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			section = line[1 : len(line)-1]
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not key=value in a section: %q", path, n, line)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	return u
}

// TestSystemdUnit checks deploy/ovation.service: its own user, its state
// directory as data_dir, the hardening, a stop timeout above the server's,
// settings that exist; then systemd-analyze verify and security where
// systemd-analyze is installed.
// TestHAEnvFiles checks that the highly available layout's settings
// (deploy/ha/*.env) name settings of config.yaml, with values of their types.
func TestHAEnvFiles(t *testing.T) {
	settings := configSettings(t)
	for _, name := range []string{"deploy/ha/core.env", "deploy/ha/edge.env"} {
		n := 0
		for i, line := range strings.Split(string(read(t, name)), "\n") {
			k, v, ok := strings.Cut(line, "=")
			if !ok || strings.HasPrefix(line, "#") {
				continue
			}
			checkEnv(t, fmt.Sprintf("%s line %d", name, i+1), k, v, settings)
			n++
		}
		if n < 5 {
			t.Errorf("%s: %d settings read", name, n)
		}
	}
}

func TestSystemdUnit(t *testing.T) {
	settings := configSettings(t)
	const path = "deploy/ovation.service"
	u := parseUnit(t, path)
	s := u["Service"]
	if s == nil || u["Unit"] == nil || u["Install"] == nil {
		t.Fatalf("%s: want [Unit], [Service] and [Install]", path)
	}
	get := func(k string) string { // the last assignment wins
		if v := s[k]; len(v) > 0 {
			return v[len(v)-1]
		}
		return ""
	}
	if get("DynamicUser") != "yes" && (get("User") == "" || get("User") == "root") {
		t.Errorf("%s: the server must run as its own user (DynamicUser=yes or User=)", path)
	}
	env := map[string]string{}
	for _, e := range s["Environment"] {
		for _, kv := range strings.Fields(e) {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
			checkEnv(t, path, k, v, settings)
		}
	}
	if state := get("StateDirectory"); state != "ovation" || env["OVATION_DATA_DIR"] != "/var/lib/"+state {
		t.Errorf("%s: StateDirectory=%s and OVATION_DATA_DIR=%s: data_dir must be the state directory /var/lib/ovation", path, state, env["OVATION_DATA_DIR"])
	}
	for k, want := range map[string]string{"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
		"PrivateTmp": "yes", "PrivateDevices": "yes", "CapabilityBoundingSet": "", "Restart": "on-failure", "KillSignal": "SIGTERM"} {
		if _, ok := s[k]; !ok || get(k) != want {
			t.Errorf("%s: %s=%q, want %q", path, k, get(k), want)
		}
	}
	if get("RestrictAddressFamilies") == "" || !slices.Contains(s["SystemCallFilter"], "@system-service") {
		t.Errorf("%s: RestrictAddressFamilies and SystemCallFilter=@system-service are needed", path)
	}
	if d, err := time.ParseDuration(get("TimeoutStopSec")); err != nil || d <= duration(t, settings, "OVATION_SHUTDOWN_TIMEOUT") {
		t.Errorf("%s: TimeoutStopSec=%s must be longer than shutdown_timeout (%s)", path, get("TimeoutStopSec"), settings["OVATION_SHUTDOWN_TIMEOUT"].def)
	}
	if exec := get("ExecStart"); !strings.HasSuffix(strings.Fields(exec)[0], "/ovation") {
		t.Errorf("%s: ExecStart=%s does not run the ovation binary", path, exec)
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed: the unit was checked by reading it only")
	}
	// verify checks that ExecStart's binary exists: point it at a real one.
	bin := build(t)
	src := regexp.MustCompile(`(?m)^ExecStart=\S+`).ReplaceAll(read(t, path), []byte("ExecStart="+bin))
	tmp := filepath.Join(t.TempDir(), "ovation.service")
	if err := os.WriteFile(tmp, src, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", tmp).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", path, err, out)
	}
	// The exposure level must stay "OK" (at most 2.0 of 10; threshold in tenths).
	out, err = exec.Command(analyze, "security", "--offline=true", "--threshold=20", "--no-pager", tmp).CombinedOutput()
	if bytes.Contains(out, []byte("nrecognized option")) || bytes.Contains(out, []byte("unknown option")) {
		t.Logf("systemd-analyze security --offline is not supported here: %s", out)
		return
	}
	if err != nil {
		t.Errorf("systemd-analyze security: exposure above 2.0: %v\n%s", err, out)
	} else if m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out); m != nil {
		t.Logf("systemd-analyze security: exposure %s", m[1])
	}
}
