package ovation_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// liveForbidden are the standard packages the domain does without: it
// holds no lock and starts no goroutine (sync), and logs nothing (log,
// log/slog); the running show does those.
var liveForbidden = map[string]bool{"sync": true, "sync/atomic": true, "log": true, "log/slog": true}

// TestLiveIsTheDomain holds package live to the ground floor: its files
// import the standard library only, without sync or logging, and its
// tests open no database (no store, no SQLite driver).
func TestLiveIsTheDomain(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("live", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go file in live: %v", err)
	}
	fset := token.NewFileSet()
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		test := strings.HasSuffix(path, "_test.go")
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(p, "/")
			switch {
			case test && (strings.HasSuffix(p, "/store") || strings.Contains(p, "sqlite") || p == "database/sql"):
				t.Errorf("%s imports %s: live's tests run without a database", path, p)
			case test:
			case strings.Contains(first, "."):
				t.Errorf("%s imports %s: live imports the standard library only", path, p)
			case liveForbidden[p]:
				t.Errorf("%s imports %s: the domain holds no lock, starts no goroutine and logs nothing", path, p)
			}
		}
	}
}
