package static

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// staticRef finds what a page or module loads from /static/: ES module
// imports, scripts, stylesheets and module preloads.
var staticRef = regexp.MustCompile(`(?:from\s+|import\s*\(\s*|src=|href=)["'](/static/[^"']+)["']`)

// TestReferencesAreEmbedded proves that every file a page or module loads
// from /static/ is in Files: a module in a directory the embed pattern
// misses would load in no browser.
func TestReferencesAreEmbedded(t *testing.T) {
	var checked int
	err := fs.WalkDir(Files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".js") || strings.HasSuffix(path, ".html")) {
			return err
		}
		b, err := fs.ReadFile(Files, path)
		if err != nil {
			return err
		}
		for _, m := range staticRef.FindAllStringSubmatch(string(b), -1) {
			checked++
			if _, err := fs.Stat(Files, strings.TrimPrefix(m[1], "/static/")); err != nil {
				t.Errorf("%s loads %s, which is not embedded", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(Files, "kinds/index.js"); err != nil {
		t.Errorf("the kinds registry is not embedded: %v", err)
	}
	if checked == 0 {
		t.Error("no reference to /static/ found: the pattern no longer matches the pages")
	}
}

// TestEveryKindLoads: each question kind beyond choices and scale (which
// every page has from the start) is loaded on demand by the audience page
// (named in kinds/index.js's LATER) and at once by the stage and the
// control page (imported and registered by kinds/all.js): a kind added in
// one place and not the other would show on some pages only.
func TestEveryKindLoads(t *testing.T) {
	read := func(name string) string {
		b, err := fs.ReadFile(Files, name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	entries, err := fs.ReadDir(Files, "kinds")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".js")
		if name != "index" && name != "all" && name != "choices" && name != "scale" {
			kinds = append(kinds, name)
		}
	}
	later := regexp.MustCompile(`const LATER = \[([^\]]*)\]`).FindStringSubmatch(read("kinds/index.js"))
	if later == nil {
		t.Fatal("kinds/index.js has no LATER list")
	}
	all := read("kinds/all.js")
	register := regexp.MustCompile(`register\(\{([^}]*)\}\)`).FindStringSubmatch(all)
	if register == nil {
		t.Fatal("kinds/all.js registers no kinds")
	}
	registered := strings.Fields(strings.ReplaceAll(register[1], ",", " "))
	for _, k := range kinds {
		if !strings.Contains(later[1], "'"+k+"'") {
			t.Errorf("kind %s is not in kinds/index.js's LATER: the audience page never loads it", k)
		}
		if !strings.Contains(all, "import * as "+k+" from '/static/kinds/"+k+".js'") || !slices.Contains(registered, k) {
			t.Errorf("kind %s is not imported and registered by kinds/all.js: the stage and the control page lack it", k)
		}
	}
	if n := strings.Count(later[1], "'") / 2; n != len(kinds) || len(registered) != len(kinds) {
		t.Errorf("LATER names %d kinds and kinds/all.js registers %d, for the %d modules of kinds/", n, len(registered), len(kinds))
	}
}
