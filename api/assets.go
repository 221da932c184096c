package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/labstack/echo/v4"
	"github.com/ovation-live/ovation/live"
)

// This file serves the pages and their assets as a phone on a crowded
// Wi-Fi needs them: each file compressed once when the server starts, not
// per request; assets under fingerprinted URLs (app.3f9a1c2b7d.css, from a
// hash of their content) cached for a year as immutable, so that a reload
// fetches nothing but the page; the pages revalidated on every load
// (no-cache and an ETag answered 304), so that a new release is picked up.
// Each page carries an import map from every module's plain URL to its
// fingerprinted one (module specifiers stay as written), and module preload
// hints for its whole static import graph, found by reading the import
// statements, so that the browser asks for every module in one round. Any
// file under static/ is served this way, with no list to maintain.

// Cache-Control values: fingerprinted URLs never change; everything else is
// revalidated on each use.
const (
	cacheImmutable   = "public, max-age=31536000, immutable"
	cacheRevalidated = "no-cache"
)

// hashLen is the number of hex digits of a content hash in a fingerprinted
// URL: 40 bits, enough that two releases never give one file the same URL.
const hashLen = 10

// brotliOptions: quality 10 gives 10 % less than gzip's best on the pages'
// scripts in a twentieth of quality 11's time; a 256 KiB window holds any of
// them whole.
var brotliOptions = brotli.WriterOptions{Quality: 10, LGWin: 18}

// asset is one file as served, in each encoding it is worth sending in.
type asset struct {
	name  string // its path in the file system, e.g. kinds/index.js
	url   string // its fingerprinted URL, e.g. /static/kinds/index.0a1b2c3d4e.js
	ctype string
	hash  string // hex SHA-256 of body, the ETag's root
	body  []byte
	gzip  []byte                 // nil when gzip does not make it smaller
	br    atomic.Pointer[[]byte] // set once the background compression is done
}

// assetSet is every file of the pages' file system, as served.
type assetSet struct {
	files  map[string]*asset // by path (kinds/index.js), pages included
	byURL  map[string]*asset // by fingerprinted path (kinds/index.0a1b2c3d4e.js)
	pages  map[string]*asset // the HTML files, rewritten
	script string            // the CSP source of the pages' import map ('sha256-…')
	// brotliDone is closed once every file has its brotli form (or none,
	// when brotli does not make it smaller).
	brotliDone chan struct{}
}

// newAssetSet reads every file of fsys, fingerprints the assets, rewrites
// the HTML pages to use the fingerprinted URLs, and compresses everything
// with gzip. The brotli forms follow in the background: until one is ready
// its file goes out in gzip.
func newAssetSet(fsys fs.FS) (*assetSet, error) {
	set := &assetSet{files: map[string]*asset{}, byURL: map[string]*asset{}, pages: map[string]*asset{}, brotliDone: make(chan struct{})}
	var htmlNames []string
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		if path.Ext(name) == ".html" {
			htmlNames = append(htmlNames, name)
		}
		set.files[name] = newAsset(name, b)
		return nil
	})
	if err != nil {
		close(set.brotliDone)
		return nil, fmt.Errorf("read the pages' files: %w", err)
	}
	for name, a := range set.files {
		if path.Ext(name) != ".html" {
			a.url = "/static/" + fingerprinted(name, a.hash)
			set.byURL[strings.TrimPrefix(a.url, "/static/")] = a
		}
	}
	importMap := set.importMap()
	sum := sha256.Sum256([]byte(importMap))
	set.script = "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	for _, name := range htmlNames {
		set.pages[name] = newAsset(name, set.rewritePage(set.files[name].body, importMap))
	}
	all := make([]*asset, 0, len(set.files)+len(set.pages))
	for _, a := range set.files {
		all = append(all, a)
	}
	for _, a := range set.pages {
		all = append(all, a)
	}
	for _, a := range all {
		a.gzip = compressed(a, "gzip")
	}
	go func() {
		defer close(set.brotliDone)
		for _, a := range all {
			if b := compressed(a, "br"); b != nil {
				a.br.Store(&b)
			}
		}
	}()
	return set, nil
}

func newAsset(name string, body []byte) *asset {
	sum := sha256.Sum256(body)
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = http.DetectContentType(body)
	}
	return &asset{name: name, ctype: ctype, hash: hex.EncodeToString(sum[:]), body: body}
}

// fingerprinted inserts hash's first digits before name's extension:
// kinds/index.js becomes kinds/index.0a1b2c3d4e.js.
func fingerprinted(name, hash string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hash[:hashLen] + ext
}

// staleFingerprint matches a fingerprinted path, to find the plain name of
// a file whose fingerprint is not this release's.
var staleFingerprint = regexp.MustCompile(`^(.*)\.[0-9a-f]{` + fmt.Sprint(hashLen) + `}(\.[^./]*)?$`)

// lookup finds the file a path under /static/ names: a fingerprinted path
// of this release (immutable), or a plain path (revalidated). A path with
// another release's fingerprint (a page of the previous release during a
// rolling upgrade) gets this release's file, revalidated.
func (set *assetSet) lookup(p string) (a *asset, immutable bool) {
	if a := set.byURL[p]; a != nil {
		return a, true
	}
	if a := set.pages[p]; a != nil {
		return a, false
	}
	if a := set.files[p]; a != nil {
		return a, false
	}
	if m := staleFingerprint.FindStringSubmatch(p); m != nil {
		if a := set.files[m[1]+m[2]]; a != nil && set.pages[m[1]+m[2]] == nil {
			return a, false
		}
	}
	return nil, false
}

// importMap is the pages' import map: every module's plain URL to its
// fingerprinted one, whatever page imports it, statically or not.
func (set *assetSet) importMap() string {
	imports := map[string]string{}
	for name, a := range set.files {
		if path.Ext(name) == ".js" || path.Ext(name) == ".mjs" {
			imports["/static/"+name] = a.url
		}
	}
	b, err := json.Marshal(map[string]any{"imports": imports}) // sorted keys: the same bytes, the same hash
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	return string(b)
}

var (
	// moduleScript finds the module scripts of a page.
	moduleScript = regexp.MustCompile(`<script\b[^>]*\btype=["']module["'][^>]*>`)
	// scriptSrc finds a script tag's src.
	scriptSrc = regexp.MustCompile(`\bsrc=["']([^"']+)["']`)
	// preloadLink finds a module preload hint written by hand, replaced by
	// the computed ones.
	preloadLink = regexp.MustCompile(`<link\b[^>]*\brel=["']modulepreload["'][^>]*>\n?`)
	// staticRef finds an attribute that loads a file from /static/.
	staticRef = regexp.MustCompile(`\b(src|href)=(["'])/static/([^"'?#]+)(["'])`)
	// staticImport finds a module's static imports and re-exports:
	// import x from '…', import { a, b } from '…', import '…',
	// export * from '…'. Dynamic import() is left out: it loads later.
	staticImport = regexp.MustCompile(`\b(?:import|export)\s*(?:[\w$*{}\s,]*?\bfrom\s*)?["']([^"'\n]+)["']`)
)

// rewritePage points page's references to assets at their fingerprinted
// URLs, and adds before </head> the import map and a module preload hint for
// every module of the page's static import graph.
func (set *assetSet) rewritePage(page []byte, importMap string) []byte {
	s := preloadLink.ReplaceAllString(string(page), "")
	var entries []string
	for _, tag := range moduleScript.FindAllString(s, -1) {
		if m := scriptSrc.FindStringSubmatch(tag); m != nil && strings.HasPrefix(m[1], "/static/") {
			entries = append(entries, strings.TrimPrefix(m[1], "/static/"))
		}
	}
	s = staticRef.ReplaceAllStringFunc(s, func(ref string) string {
		m := staticRef.FindStringSubmatch(ref)
		a := set.files[m[3]]
		if a == nil || a.url == "" {
			return ref
		}
		return m[1] + "=" + m[2] + a.url + m[4]
	})
	var head strings.Builder
	head.WriteString(`<script type="importmap">` + importMap + "</script>\n")
	for _, name := range set.moduleGraph(entries) {
		head.WriteString(`<link rel="modulepreload" href="` + set.files[name].url + "\">\n")
	}
	if i := strings.Index(s, "</head>"); i >= 0 {
		s = s[:i] + head.String() + s[i:]
	}
	return []byte(s)
}

// moduleGraph lists the modules that entries import statically, entries
// included, each once, in the order a breadth-first walk meets them.
func (set *assetSet) moduleGraph(entries []string) []string {
	var order []string
	seen := map[string]bool{}
	queue := slices.Clone(entries)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		a := set.files[name]
		if seen[name] || a == nil {
			continue
		}
		seen[name] = true
		order = append(order, name)
		queue = append(queue, moduleImports(name, a.body)...)
	}
	return order
}

// moduleImports returns the paths, relative to the file system's root, of
// the modules that the module at name imports statically. Specifiers that
// are not under /static/ nor relative (bare names, other sites) are left
// out, as are paths that match no file: the walk checks them.
func moduleImports(name string, src []byte) []string {
	var out []string
	for _, m := range staticImport.FindAllSubmatch(src, -1) {
		spec := string(m[1])
		var p string
		switch {
		case strings.HasPrefix(spec, "/static/"):
			p = path.Clean(strings.TrimPrefix(spec, "/static/"))
		case strings.HasPrefix(spec, "./"), strings.HasPrefix(spec, "../"):
			p = path.Join(path.Dir(name), spec)
		default:
			continue
		}
		if p != ".." && !strings.HasPrefix(p, "../") && !strings.HasPrefix(p, "/") {
			out = append(out, p)
		}
	}
	return out
}

// compressedCache keeps the compressed forms by content and encoding, so
// that servers started in one process (tests, a restart in place) compress
// each file once.
var compressedCache sync.Map // "br:" or "gzip:" + hash → []byte (nil: not worth it)

// compressed returns a's body in encoding ("gzip" or "br"), or nil when a is
// not text or the encoding does not save a tenth of it.
func compressed(a *asset, encoding string) []byte {
	if !compressible(a.ctype) {
		return nil
	}
	key := encoding + ":" + a.hash
	if v, ok := compressedCache.Load(key); ok {
		return v.([]byte)
	}
	var buf bytes.Buffer
	switch encoding {
	case "gzip":
		w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level: no error
		w.Write(a.body)
		w.Close()
	case "br":
		w := brotli.NewWriterOptions(&buf, brotliOptions)
		w.Write(a.body)
		w.Close()
	}
	var out []byte
	if buf.Len() < len(a.body)*9/10 {
		out = buf.Bytes()
	}
	compressedCache.Store(key, out)
	return out
}

// compressible reports whether a file of type ctype is text, which
// compresses, unlike images and fonts, which are compressed already.
func compressible(ctype string) bool {
	t, _, _ := strings.Cut(ctype, ";")
	return strings.HasPrefix(t, "text/") || strings.HasSuffix(t, "javascript") || strings.HasSuffix(t, "json") ||
		strings.HasSuffix(t, "+xml") || t == "application/xml" || t == "application/wasm"
}

// serve answers a in the best encoding the request accepts, a Range its part
// (http.ServeContent). A revalidated answer carries its validator (an
// If-None-Match naming it gets 304 and no body); an immutable one needs
// none, its URL names its content.
func (a *asset) serve(w http.ResponseWriter, r *http.Request, immutable bool) {
	h := w.Header()
	cache := cacheRevalidated
	if immutable {
		cache = cacheImmutable
	}
	h.Set("Cache-Control", cache)
	h.Set("Content-Type", a.ctype)
	body, etag := a.body, `"`+a.hash+`"`
	if a.gzip != nil {
		h.Add("Vary", "Accept-Encoding")
		accept := r.Header.Get("Accept-Encoding")
		if br := a.br.Load(); br != nil && acceptsEncoding(accept, "br") {
			body, etag = *br, `"`+a.hash+`-br"`
			h.Set("Content-Encoding", "br")
		} else if acceptsEncoding(accept, "gzip") {
			body, etag = a.gzip, `"`+a.hash+`-gzip"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	if !immutable {
		h.Set("ETag", etag)
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// scriptOrStyle reports whether a is a script or a style sheet: never a
// document, whatever opens it.
func (a *asset) scriptOrStyle() bool {
	t, _, _ := strings.Cut(a.ctype, ";")
	return t == "text/css" || t == "text/javascript"
}

// acceptsEncoding reports whether an Accept-Encoding header value accepts
// coding: named, or by "*", with a quality above zero. A malformed element
// accepts nothing.
func acceptsEncoding(header, coding string) bool {
	star := false
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		ok := qualityAboveZero(params)
		if name == coding {
			return ok
		}
		if name == "*" {
			star = ok
		}
	}
	return star
}

// qualityAboveZero reads the q parameter of an Accept-Encoding element:
// absent is 1; "0", "0.0" up to "0.000" is 0; anything unreadable is 0.
func qualityAboveZero(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, found := strings.Cut(strings.TrimSpace(p), "=")
		if !found || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		v = strings.TrimSpace(v)
		switch {
		case v == "0" || v == "1":
			return v == "1"
		case len(v) >= 2 && len(v) <= 5 && v[1] == '.' && (v[0] == '0' || v[0] == '1'):
			digits := v[2:]
			if strings.Trim(digits, "0123456789") != "" || (v[0] == '1' && strings.Trim(digits, "0") != "") {
				return false
			}
			return v[0] == '1' || strings.Trim(digits, "0") != ""
		default:
			return false
		}
	}
	return true
}

// handleStatic serves a file under /static/: fingerprinted URLs as
// immutable, plain ones revalidated.
func (s *Server) handleStatic(c echo.Context) error {
	a, immutable := s.assets.lookup(c.Param("*"))
	if a == nil {
		return live.Errorf(live.ENotFound, "No file %q.", c.Param("*"))
	}
	if immutable && a.scriptOrStyle() {
		// A script or a style sheet is no document: the headers that rule a
		// document (its policy, its framing, its referrers) do nothing on
		// it, and a first join fetches some thirty of them.
		h := c.Response().Header()
		h.Del("Content-Security-Policy")
		h.Del("X-Frame-Options")
		h.Del("Referrer-Policy")
	}
	a.serve(c.Response(), c.Request(), immutable)
	return nil
}

// page serves the HTML page name, revalidated on each load.
func (s *Server) page(name string) echo.HandlerFunc {
	return func(c echo.Context) error {
		a := s.assets.pages[name]
		if a == nil {
			return fmt.Errorf("page %s is not among the embedded files", name)
		}
		a.serve(c.Response(), c.Request(), false)
		return nil
	}
}

// loadAssets reads the pages' files once. A file system that cannot be read
// leaves the pages and assets answering errors, logged here; the API works.
func (s *Server) loadAssets() *assetSet {
	set, err := newAssetSet(s.pages)
	if err != nil {
		s.log.Error("the pages cannot be served", "err", err)
		set = &assetSet{files: map[string]*asset{}, byURL: map[string]*asset{}, pages: map[string]*asset{}, brotliDone: make(chan struct{})}
		close(set.brotliDone)
	}
	return set
}
