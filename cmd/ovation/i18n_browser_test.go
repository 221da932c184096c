package main

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ovation-live/ovation/static"
)

// i18nKeysJS loads the dictionaries as the pages do (an ES module in the
// browser, with every Object.assign block after DICT applied) and lists the
// keys each language holds.
const i18nKeysJS = `import('/static/i18n.js').then(({ DICT }) => ({
  en: Object.keys(DICT.en).sort(),
  fr: Object.keys(DICT.fr).sort(),
  kinds: Object.fromEntries(Object.entries(DICT).map(([l, d]) => [l, Object.fromEntries(Object.entries(d).map(([k, v]) => [k, typeof v]))])),
}))`

// usedKey finds the keys the pages name literally: t('key'), a data-i18n*
// attribute set in markup or in a module's dataset, and errorText codes are
// left out (they fall back to the server's message by design).
var usedKey = regexp.MustCompile(`(?:\bt\(\s*'([a-z0-9_]+)'\s*[,)]|data-i18n(?:-placeholder|-label|-title)?="([a-z0-9_]+)"|\bi18n(?:Placeholder|Label|Title)?:\s*'([a-z0-9_]+)')`)

// TestBrowserI18nKeys proves that English and French hold the same keys, of
// the same shape (a text, or a function of a count), and that every key a
// page names literally is in them: a missing key shows its raw name to
// people. Only French has fe_ keys (see fieldErrorText).
func TestBrowserI18nKeys(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	b := newBrowser(t)
	tb := b.newTab("i18n", phoneSize)
	tb.open(srv.URL + "/")
	got := jsEval[struct {
		En, Fr []string
		Kinds  map[string]map[string]string
	}](tb, i18nKeysJS)
	if len(got.En) < 100 {
		t.Fatalf("English holds %d keys: the dictionaries did not load", len(got.En))
	}
	for _, k := range got.En {
		if _, ok := slices.BinarySearch(got.Fr, k); !ok {
			t.Errorf("key %q is in English, not in French", k)
		} else if en, fr := got.Kinds["en"][k], got.Kinds["fr"][k]; en != fr {
			t.Errorf("key %q is a %s in English, a %s in French", k, en, fr)
		}
	}
	for _, k := range got.Fr {
		// fe_ keys translate the server's English messages about a form
		// field (fieldErrorText): English shows the message itself.
		if _, ok := slices.BinarySearch(got.En, k); !ok && !strings.HasPrefix(k, "fe_") {
			t.Errorf("key %q is in French, not in English", k)
		}
	}

	used := 0
	err := fs.WalkDir(static.Files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == "i18n.js" || !(strings.HasSuffix(path, ".js") || strings.HasSuffix(path, ".html")) {
			return err
		}
		src, err := fs.ReadFile(static.Files, path)
		if err != nil {
			return err
		}
		for _, m := range usedKey.FindAllStringSubmatch(string(src), -1) {
			k := m[1] + m[2] + m[3]
			used++
			if _, ok := slices.BinarySearch(got.En, k); !ok {
				t.Errorf("%s names key %q, which no dictionary holds", path, k)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if used < 100 {
		t.Errorf("found %d keys named in the pages: the pattern no longer matches them", used)
	}
	tb.checkConsole()
}
