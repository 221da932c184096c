package api

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ovation-live/ovation/live"
)

// routeRow is one method and path of a route table of docs/protocol.md,
// with the permission its auth column names ("" for none: anyone, a
// participant, a webhook token).
type routeRow struct {
	line int
	need live.Permission
}

// routeTableHeader starts every route table of docs/protocol.md (§13, §18,
// §19): one path per row, one or more methods.
const routeTableHeader = "| method | path | auth | purpose |"

// routeRows parses the route tables of the markdown doc: each row's methods
// and path, keyed "METHOD /path", and the permission its auth column names.
// A row that cannot be read, or names a route twice, fails tb.
func routeRows(tb testing.TB, doc string) map[string]routeRow {
	tb.Helper()
	pathCell := regexp.MustCompile("^`(/[^` ]*)`$")
	// A role with its permission, "organiser (build)"; "admin"; "signed in".
	rolePerm := regexp.MustCompile(`^([a-z]+) \(([a-z]+)\)`)
	rows := map[string]routeRow{}
	lines := strings.Split(doc, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != routeTableHeader {
			continue
		}
		for i += 2; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
			cells := strings.Split(strings.Trim(lines[i], "|"), "|")
			if len(cells) < 4 {
				tb.Errorf("docs/protocol.md:%d: a route row has a method, a path, an auth and a purpose: %q", i+1, lines[i])
				continue
			}
			path := pathCell.FindStringSubmatch(strings.TrimSpace(cells[1]))
			if path == nil {
				tb.Errorf("docs/protocol.md:%d: the path cell holds one path in backticks: %q", i+1, cells[1])
				continue
			}
			auth := strings.TrimSpace(cells[2])
			var need live.Permission
			switch m := rolePerm.FindStringSubmatch(auth); {
			case m != nil:
				need = live.Permission(m[2])
				if !slices.Contains(live.RolePermissions[live.RoleAdmin], need) {
					tb.Errorf("docs/protocol.md:%d: no permission %q", i+1, need)
				}
				if role := live.NeededRole(need); string(role) != m[1] {
					tb.Errorf("docs/protocol.md:%d: %s: the least role with %q is %s, not %s", i+1, path[1], need, role, m[1])
				}
			case auth == "admin":
				need = live.PermAdmin
			case strings.HasPrefix(auth, "signed in"):
				need = signedIn
			}
			for _, method := range strings.Split(cells[0], ",") {
				key := strings.TrimSpace(method) + " " + path[1]
				if prev, ok := rows[key]; ok {
					tb.Errorf("docs/protocol.md:%d: %s is already in the row of line %d", i+1, key, prev.line)
				}
				rows[key] = routeRow{line: i + 1, need: need}
			}
		}
	}
	return rows
}

// TestRouteTablesMatchRouter holds the route tables of docs/protocol.md
// against the router: every route of the router has a row, every row is a
// route of the router, and each row names the permission the route
// requires (a route's name says it: needName), or none where the route
// requires none. The pages and their assets are rows of §13's table too,
// so no route is left out.
func TestRouteTablesMatchRouter(t *testing.T) {
	doc, err := os.ReadFile("../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := routeRows(t, string(doc))
	if len(rows) < 50 {
		t.Fatalf("read %d routes from the route tables: did their header change from %q?", len(rows), routeTableHeader)
	}
	ts := newTestServer(t, Config{})
	seen := map[string]bool{}
	for _, r := range ts.srv.Routes().Routes() {
		key := r.Method + " " + r.Path
		seen[key] = true
		need, _ := strings.CutPrefix(r.Name, needName(""))
		if need == r.Name {
			need = "" // a handler's name: the route requires no permission
		}
		row, ok := rows[key]
		switch {
		case !ok:
			t.Errorf("%s (needs %q) has no row in the route tables of docs/protocol.md", key, need)
		case ok && string(row.need) != need:
			t.Errorf("docs/protocol.md:%d: %s needs %q in the router, %q in the docs", row.line, key, need, row.need)
		}
	}
	for key, row := range rows {
		if !seen[key] {
			t.Errorf("docs/protocol.md:%d: %s is no route of the router", row.line, key)
		}
	}
}
