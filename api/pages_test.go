package api

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"rsc.io/qr"
)

func TestPublicEventJoinURL(t *testing.T) {
	t.Run("public URL configured: join_url is under it", func(t *testing.T) {
		ts := newTestServer(t, Config{PublicURL: "https://vote.example/"})
		ts.mod(t, "POST", "/api/events", map[string]any{"code": "qr26", "title": "QR"}, nil)
		var ev struct {
			JoinPath string `json:"join_path"`
			JoinURL  string `json:"join_url"`
		}
		r := ts.do(t, "GET", "/api/events/qr26", nil)
		if err := json.Unmarshal(r.Body, &ev); err != nil || r.Status != 200 {
			t.Fatalf("status %d %s: %v", r.Status, r.Body, err)
		}
		if ev.JoinPath != "/e/QR26" || ev.JoinURL != "https://vote.example/e/QR26" {
			t.Fatalf("join_path %q join_url %q", ev.JoinPath, ev.JoinURL)
		}
	})
	t.Run("no public URL: join_url is on the address asked", func(t *testing.T) {
		ts := newTestServer(t, Config{})
		ts.mod(t, "POST", "/api/events", map[string]any{"code": "qr26", "title": "QR"}, nil)
		var joined struct {
			Event struct {
				JoinURL string `json:"join_url"`
			} `json:"event"`
		}
		r := ts.do(t, "POST", "/api/events/qr26/join", map[string]any{})
		if err := json.Unmarshal(r.Body, &joined); err != nil || r.Status != 200 {
			t.Fatalf("status %d %s: %v", r.Status, r.Body, err)
		}
		if joined.Event.JoinURL != ts.URL+"/e/QR26" {
			t.Fatalf("join_url %q, want %q", joined.Event.JoinURL, ts.URL+"/e/QR26")
		}
	})
}

func TestJoinQRCode(t *testing.T) {
	ts := newTestServer(t, Config{PublicURL: "https://vote.example"})
	ts.mod(t, "POST", "/api/events", map[string]any{"code": "qr26", "title": "QR"}, nil)

	t.Run("answers an SVG of the join URL", func(t *testing.T) {
		r := ts.do(t, "GET", "/api/events/qr26/qr.svg", nil)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "image/svg+xml") {
			t.Fatalf("status %d, Content-Type %q", r.Status, r.Header.Get("Content-Type"))
		}
		var svg struct {
			ViewBox string `xml:"viewBox,attr"`
			Title   string `xml:"title"`
			Path    struct {
				D string `xml:"d,attr"`
			} `xml:"path"`
		}
		if err := xml.Unmarshal(r.Body, &svg); err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, r.Body)
		}
		if svg.Title != "https://vote.example/e/QR26" {
			t.Fatalf("title %q", svg.Title)
		}
		want, err := qr.Encode(svg.Title, qr.M)
		if err != nil {
			t.Fatal(err)
		}
		// Count the dark modules the path draws: every run is "M x y h n v1 h-n z".
		dark, drawn := 0, 0
		for y := 0; y < want.Size; y++ {
			for x := 0; x < want.Size; x++ {
				if want.Black(x, y) {
					dark++
				}
			}
		}
		for _, run := range strings.Split(strings.TrimSuffix(svg.Path.D, "z"), "z") {
			var x, y, n, m int
			if _, err := fmt.Sscanf(run, "M%d %dh%dv1h-%d", &x, &y, &n, &m); err != nil || n != m {
				t.Fatalf("run %q: %v", run, err)
			}
			if x < qrQuietZone || y < qrQuietZone {
				t.Fatalf("run %q is in the quiet zone", run)
			}
			drawn += n
		}
		if drawn != dark {
			t.Fatalf("path draws %d dark modules, the code has %d", drawn, dark)
		}
		size := want.Size + 2*qrQuietZone
		if svg.ViewBox != strings.Join([]string{"0", "0", strconv.Itoa(size), strconv.Itoa(size)}, " ") {
			t.Fatalf("viewBox %q, want a square of %d with the quiet zone", svg.ViewBox, size)
		}
	})
	t.Run("unknown event is not_found", func(t *testing.T) {
		wantError(t, ts.do(t, "GET", "/api/events/nope/qr.svg", nil), 404, "not_found")
	})
}
