package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/andybalholm/brotli"
)

// get fetches path from ts with the given request headers, without the
// transport's own decompression.
func get(tb testing.TB, ts *testServer, path string, headers ...string) (*http.Response, []byte) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "identity")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return res, b
}

func decoded(tb testing.TB, encoding string, b []byte) []byte {
	tb.Helper()
	var r io.Reader
	switch encoding {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			tb.Fatal(err)
		}
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(b))
	default:
		return b
	}
	out, err := io.ReadAll(r)
	if err != nil {
		tb.Fatalf("decode %s: %v", encoding, err)
	}
	return out
}

var (
	importMapRE = regexp.MustCompile(`<script type="importmap">([^<]*)</script>`)
	preloadRE   = regexp.MustCompile(`<link rel="modulepreload" href="([^"]+)">`)
	stylesRE    = regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)">`)
)

func TestAssets(t *testing.T) {
	ts := newTestServer(t, Config{})
	ts.mod(t, "POST", "/api/events", map[string]any{"code": "AST26", "title": "Assets"}, nil)
	<-ts.srv.assets.brotliDone

	res, page := get(t, ts, "/e/AST26")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("page: status %d", res.StatusCode)
	}
	t.Run("the page is revalidated and answers 304 to its ETag", func(t *testing.T) {
		if got := res.Header.Get("Cache-Control"); got != "no-cache" {
			t.Fatalf("Cache-Control %q", got)
		}
		etag := res.Header.Get("ETag")
		again, body := get(t, ts, "/e/AST26", "If-None-Match", etag)
		if again.StatusCode != http.StatusNotModified || len(body) != 0 {
			t.Fatalf("If-None-Match %s: status %d, %d bytes", etag, again.StatusCode, len(body))
		}
		if other, _ := get(t, ts, "/e/AST26", "If-None-Match", `"another"`); other.StatusCode != http.StatusOK {
			t.Fatalf("another ETag: status %d", other.StatusCode)
		}
	})
	t.Run("the import map is allowed by its hash and maps every module", func(t *testing.T) {
		m := importMapRE.FindSubmatch(page)
		if m == nil {
			t.Fatalf("no import map in %s", page)
		}
		sum := sha256.Sum256(m[1])
		if want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp(t, response{Header: res.Header})["script-src"], want) {
			t.Fatalf("script-src %q lacks %s", res.Header.Get("Content-Security-Policy"), want)
		}
		for _, name := range []string{"/static/lib/lang.js", "/static/i18n.js", "/static/kinds/index.js", "/static/kinds/quiz.js"} {
			if !bytes.Contains(m[1], []byte(`"`+name+`":"/static/`)) {
				t.Errorf("the import map lacks %s: %s", name, m[1])
			}
		}
	})
	preloads := preloadRE.FindAllStringSubmatch(string(page), -1)
	t.Run("the page preloads its whole import graph", func(t *testing.T) {
		var got []string
		for _, p := range preloads {
			got = append(got, p[1])
		}
		// audience.js imports lib/lang.js and the kinds' index, which imports
		// choices and scale; lib/lang.js imports i18n.js: three levels deep.
		for _, name := range []string{"audience", "lib/lang", "i18n", "kinds/index", "kinds/choices", "kinds/scale"} {
			if !slices.ContainsFunc(got, func(u string) bool {
				return regexp.MustCompile(`^/static/` + name + `\.[0-9a-f]{10}\.js$`).MatchString(u)
			}) {
				t.Errorf("no preload of %s in %v", name, got)
			}
		}
		if slices.ContainsFunc(got, func(u string) bool { return strings.Contains(u, "control") || strings.Contains(u, "stage") }) {
			t.Errorf("the audience page preloads another page's module: %v", got)
		}
		// The other kinds, the surveys and the programme load when the
		// event first needs them (import()), not with a first join.
		if slices.ContainsFunc(got, func(u string) bool {
			return strings.Contains(u, "kinds/quiz.") || strings.Contains(u, "kinds/ranking.") || strings.Contains(u, "/survey.") || strings.Contains(u, "/programme.")
		}) {
			t.Errorf("the audience page preloads a module it loads on demand: %v", got)
		}
	})
	t.Run("fingerprinted assets are immutable and compressed", func(t *testing.T) {
		urls := []string{stylesRE.FindStringSubmatch(string(page))[1]}
		for _, p := range preloads {
			urls = append(urls, p[1])
		}
		for _, u := range urls {
			plain, body := get(t, ts, u)
			if plain.StatusCode != http.StatusOK || plain.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
				t.Fatalf("GET %s: status %d, Cache-Control %q", u, plain.StatusCode, plain.Header.Get("Cache-Control"))
			}
			// Scripts and styles carry no document's headers and no validator:
			// a first join's thirty answers stay small.
			for _, name := range []string{"Content-Security-Policy", "X-Frame-Options", "Referrer-Policy", "ETag"} {
				if got := plain.Header.Get(name); got != "" {
					t.Errorf("GET %s: %s %q on an immutable script or style", u, name, got)
				}
			}
			if got := plain.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("GET %s: X-Content-Type-Options %q", u, got)
			}
			for _, enc := range []string{"gzip", "br"} {
				res, b := get(t, ts, u, "Accept-Encoding", enc)
				if got := res.Header.Get("Content-Encoding"); got != enc {
					t.Fatalf("GET %s accepting %s: Content-Encoding %q", u, enc, got)
				}
				if !bytes.Equal(decoded(t, enc, b), body) {
					t.Fatalf("GET %s in %s: not the same file", u, enc)
				}
				if len(b) >= len(body) {
					t.Errorf("GET %s in %s: %d bytes, uncompressed %d", u, enc, len(b), len(body))
				}
				if !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
					t.Errorf("GET %s: Vary %q", u, res.Header.Get("Vary"))
				}
			}
			if res, _ := get(t, ts, u, "Accept-Encoding", "gzip;q=0, br;q=0"); res.Header.Get("Content-Encoding") != "" {
				t.Errorf("GET %s refusing both: Content-Encoding %q", u, res.Header.Get("Content-Encoding"))
			}
		}
	})
	t.Run("plain and stale asset URLs are revalidated", func(t *testing.T) {
		for _, u := range []string{"/static/app.css", "/static/kinds/index.js", "/static/app.0123456789.css"} {
			res, b := get(t, ts, u, "Accept-Encoding", "gzip")
			if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-cache" || len(b) == 0 {
				t.Fatalf("GET %s: status %d, Cache-Control %q", u, res.StatusCode, res.Header.Get("Cache-Control"))
			}
			if again, b := get(t, ts, u, "Accept-Encoding", "gzip", "If-None-Match", res.Header.Get("ETag")); again.StatusCode != http.StatusNotModified || len(b) != 0 {
				t.Fatalf("GET %s with its ETag: status %d", u, again.StatusCode)
			}
		}
	})
	t.Run("unknown files and folders are not found", func(t *testing.T) {
		for _, u := range []string{"/static/nope.js", "/static/kinds/", "/static/", "/static/../api/api.go", "/static/app.zzzzzzzzzz.css"} {
			res, b := get(t, ts, u)
			if res.StatusCode != http.StatusNotFound || !bytes.Contains(b, []byte(`"not_found"`)) {
				t.Errorf("GET %s: status %d %s", u, res.StatusCode, b)
			}
		}
	})
}

func TestAssetSetServesAnyFile(t *testing.T) {
	fsys := fstest.MapFS{
		"page.html":     {Data: []byte(`<html><head><link rel="stylesheet" href="/static/site.css"><link rel="modulepreload" href="/static/gone.js"></head><body><script type="module" src="/static/main.js"></script></body></html>`)},
		"site.css":      {Data: []byte(strings.Repeat("body { color: red; }\n", 50))},
		"main.js":       {Data: []byte("import { a } from './lib/a.js';\nimport {\n  b,\n} from \"/static/lib/b.js\";\nconst later = () => import('./lazy.js');\n")},
		"lib/a.js":      {Data: []byte("export * from '../lib/deep/c.js';\nexport const a = 1;\n")},
		"lib/b.js":      {Data: []byte("import '../outside/../lib/a.js';\nimport 'https://example.org/x.js';\nexport const b = 2;\n")},
		"lib/deep/c.js": {Data: []byte("export const c = 3;\n")},
		"lazy.js":       {Data: []byte("export default 4;\n")},
		"logo.png":      {Data: []byte("\x89PNG\r\n\x1a\n" + strings.Repeat("\x00", 200))},
	}
	set, err := newAssetSet(fsys)
	if err != nil {
		t.Fatal(err)
	}
	<-set.brotliDone
	page := string(set.pages["page.html"].body)
	var got []string
	for _, m := range preloadRE.FindAllStringSubmatch(page, -1) {
		got = append(got, m[1])
	}
	var want []string
	for _, name := range []string{"main.js", "lib/a.js", "lib/b.js", "lib/deep/c.js"} {
		want = append(want, set.files[name].url)
	}
	if !slices.Equal(got, want) {
		t.Errorf("preloads %v, want %v (the static graph, not the lazy module nor the hand-written hint)", got, want)
	}
	if !strings.Contains(page, `"/static/lazy.js":"`+set.files["lazy.js"].url+`"`) {
		t.Errorf("the import map lacks the lazily imported module: %s", page)
	}
	if !strings.Contains(page, `href="`+set.files["site.css"].url+`"`) || !strings.Contains(page, `src="`+set.files["main.js"].url+`"`) {
		t.Errorf("the page's references are not fingerprinted: %s", page)
	}
	if set.files["logo.png"].gzip != nil || set.files["logo.png"].br.Load() != nil {
		t.Error("an image is compressed again")
	}
	if set.files["site.css"].gzip == nil || set.files["site.css"].br.Load() == nil {
		t.Error("a stylesheet is not compressed")
	}
}

func TestAcceptsEncoding(t *testing.T) {
	for _, c := range []struct {
		header string
		gzip   bool
	}{
		{"", false},
		{"gzip", true},
		{"GZIP", true},
		{"deflate, gzip;q=1.0, *;q=0.5", true},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"gzip;q=0.001", true},
		{"br, *", true},
		{"br, *;q=0", false},
		{"*;q=0.1, gzip;q=0", false},
		{"gzip;q=1.5", false},
		{"gzip;q=abc", false},
		{"identity", false},
		{"x-gzip", false},
	} {
		if got := acceptsEncoding(c.header, "gzip"); got != c.gzip {
			t.Errorf("acceptsEncoding(%q, gzip) = %v", c.header, got)
		}
	}
}

func FuzzAcceptsEncoding(f *testing.F) {
	for _, s := range []string{"gzip, deflate, br, zstd", "br;q=0.5, gzip;q=0.8", "*;q=0", "gzip;q=", ";;,,", "gzip;q=0.0001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		got := acceptsEncoding(header, "br")
		if acceptsEncoding(" "+header+" ", "br") != got {
			t.Fatalf("spaces around %q change the answer", header)
		}
		if !acceptsEncoding("br, "+header, "br") {
			t.Fatalf("br first, then %q: refused", header)
		}
	})
}

func FuzzModuleImports(f *testing.F) {
	for _, s := range []string{"import { a } from './a.js';", "export * from '../b.js'", "import '/static/../../etc/passwd'", "import x from\n'./lib/../../x.js'"} {
		f.Add("kinds/index.js", s)
	}
	f.Fuzz(func(t *testing.T, name, src string) {
		for _, p := range moduleImports(name, []byte(src)) {
			if strings.HasPrefix(p, "/") || strings.HasPrefix(p, "../") || p == ".." {
				t.Fatalf("moduleImports(%q, %q) leaves the root: %q", name, src, p)
			}
		}
	})
}
