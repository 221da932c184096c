package static

import (
	"io/fs"
	"regexp"
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
