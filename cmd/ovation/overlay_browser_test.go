package main

// Browser test of the stream overlay (/stage/CODE?view=overlay), the page a
// stream's browser source (OBS, vMix) shows over the video at 1920×1080:
// its background is transparent, its panels sit in the title-safe area
// (5 % in from each edge), the lower third shows the join code, the pitch on
// stage with its live result, then the poll, then the ranking as a side
// panel; the connection state is a small mark, not a banner. Screenshots
// are taken with Chromium's background transparent and laid over a
// checkerboard, so that they show what the stream's video would see.

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// backgroundParams are those of Emulation.setDefaultBackgroundColorOverride,
// spelled out here: cdproto's RGBA omits an alpha of 0, which Chromium then
// reads as opaque.
type backgroundParams struct {
	Color struct {
		R int64   `json:"r"`
		G int64   `json:"g"`
		B int64   `json:"b"`
		A float64 `json:"a"`
	} `json:"color"`
}

var setBackground = cdp.Command[backgroundParams, cdp.Empty]{Method: emulation.CommandSetDefaultBackgroundColorOverride}

// transparent makes the tab's default background transparent, as a
// streaming program's browser source has it.
func (tb *tab) transparent() {
	tb.t.Helper()
	tb.do("transparent background", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, setBackground, backgroundParams{})
		return err
	}))
}

// overlayShot captures the tab with its transparency, checks that the page
// lets the video through where it draws nothing (the top-left corner and
// the middle of the screen's upper half), and writes dir/name.png laid over
// a grey checkerboard.
func (tb *tab) overlayShot(dir, name string) {
	tb.t.Helper()
	tb.settled()
	ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatalf("%s: screenshot: %v", tb.name, err)
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		tb.t.Fatalf("%s: screenshot is not a PNG: %v", tb.name, err)
	}
	b := img.Bounds()
	if b.Dx() != int(stageSize.w) || b.Dy() != int(stageSize.h) {
		tb.t.Errorf("%s: screenshot is %dx%d, want %dx%d", tb.name, b.Dx(), b.Dy(), stageSize.w, stageSize.h)
	}
	for _, p := range []image.Point{{8, 8}, {b.Dx() / 2, b.Dy() / 4}} {
		if _, _, _, a := img.At(p.X, p.Y).RGBA(); a != 0 {
			tb.t.Errorf("%s: the overlay paints %v at %v (alpha %d): the video would not show through", tb.name, img.At(p.X, p.Y), p, a>>8)
		}
	}
	out := image.NewRGBA(b)
	light, dark := color.RGBA{0xcc, 0xcc, 0xcc, 0xff}, color.RGBA{0x99, 0x99, 0x99, 0xff}
	const square = 40
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			if (x/square+y/square)%2 == 0 {
				out.Set(x, y, light)
			} else {
				out.Set(x, y, dark)
			}
		}
	}
	draw.Draw(out, b, img, b.Min, draw.Over)
	var png2 bytes.Buffer
	if err := png.Encode(&png2, out); err != nil {
		tb.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png2.Bytes(), 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// overlayPanel is where a panel of the overlay lies.
type overlayPanel struct {
	ID                       string
	Left, Top, Right, Bottom float64
}

// overlayPanelsJS lists the overlay's visible panels with their boxes.
const overlayPanelsJS = `[...document.querySelectorAll('#overlay .ov-panel')].filter((e) => e.getClientRects().length).map((e) => {
  const r = e.getBoundingClientRect();
  return { id: e.id, left: r.left, top: r.top, right: r.right, bottom: r.bottom };
})`

// checkSafeArea fails for a panel outside the title-safe area, or a lower
// third not in the screen's lower part; it returns the panels' ids.
func checkSafeArea(t *testing.T, tb *tab, where string) map[string]bool {
	t.Helper()
	w, h := float64(stageSize.w), float64(stageSize.h)
	seen := map[string]bool{}
	for _, p := range jsEval[[]overlayPanel](tb, overlayPanelsJS) {
		seen[p.ID] = true
		t.Logf("%s: %s at %.0f,%.0f–%.0f,%.0f", where, p.ID, p.Left, p.Top, p.Right, p.Bottom)
		if p.Left < 0.05*w-1 || p.Top < 0.05*h-1 || p.Right > 0.95*w+1 || p.Bottom > 0.95*h+1 {
			t.Errorf("%s: %s (%.0f,%.0f–%.0f,%.0f) passes the title-safe area (%.0f,%.0f–%.0f,%.0f)", where, p.ID, p.Left, p.Top, p.Right, p.Bottom, 0.05*w, 0.05*h, 0.95*w, 0.95*h)
		}
		if p.ID == "ov-third" && p.Top < 0.6*h {
			t.Errorf("%s: the lower third starts at %.0f px, above the screen's lower part (%.0f px)", where, p.Top, 0.6*h)
		}
	}
	if !seen["ov-third"] {
		t.Errorf("%s: no lower third", where)
	}
	return seen
}

func TestBrowserStreamOverlay(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "LIVE26")
	shots := shotDir(t)
	b := newBrowser(t)
	ov := b.newTab("overlay", stageSize)
	ov.transparent()
	ov.open(srv.URL + "/stage/" + ev.Code + "?view=overlay")
	ov.waitFor("overlay lobby", has(`#overlay[data-what="lobby"]`)+` && document.querySelector('#ov-join-code').textContent === 'LIVE26'`)

	// Transparent: no background on the page, the body or the stage's frame, in the stage's dark theme.
	for _, bg := range jsEval[[]string](ov, `[document.documentElement, document.body, document.querySelector('.stage-root')].map((e) => {
  const cs = getComputedStyle(e); return e.tagName + ' ' + cs.backgroundColor + ' ' + cs.backgroundImage; })`) {
		if want := " rgba(0, 0, 0, 0) none"; len(bg) < len(want) || bg[len(bg)-len(want):] != want {
			t.Errorf("overlay: background %q, want transparent", bg)
		}
	}
	if got := ov.text(`document.querySelector('#ov-join-url').textContent`); got != hostOf(srv.URL)+"/e/LIVE26" {
		t.Errorf("overlay: join URL %q, want %q", got, hostOf(srv.URL)+"/e/LIVE26")
	}
	checkSafeArea(t, ov, "overlay lobby")

	// A pitch on stage with three votes and its results shown.
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/start", ev.RoundID), nil, nil)
	for i := range ev.Pitches {
		if i > 0 {
			must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/next", ev.RoundID), nil, nil)
		}
		must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/open", ev.Pitches[i]), nil, nil)
		for j, v := range []int{5 - i, 4 - i, 5} {
			p := join(t, srv.URL, ev.Code, map[string]any{})
			if st := call(t, srv.URL, "POST", "/api/votes", p.Token, map[string]any{"vote_id": fmt.Sprintf("ov-%d-%d", i, j), "target": fmt.Sprintf("pitch:%d", ev.Pitches[i]), "value": v}, nil); st != 200 {
				t.Fatalf("vote: status %d", st)
			}
		}
		if i == 0 {
			must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/show_results", ev.Pitches[0]), nil, nil)
			ov.waitFor("the pitch's live result", fmt.Sprintf(`document.querySelector('#overlay[data-what="pitch"]') && document.querySelector('#ov-title').textContent === %s
  && !document.querySelector('#ov-hist').hidden && document.querySelector('#ov-count strong').textContent === '3'`, jsString(ev.Teams[0])))
			checkSafeArea(t, ov, "overlay pitch")
			checkNames(t, ov, "overlay pitch", "#ov-title", false)
			if got := ov.text(`document.querySelector('#ov-join-code').textContent`); got != "LIVE26" {
				t.Errorf("overlay pitch: join code %q, want LIVE26", got)
			}
			// The connection state, when shown, is a small mark: no banner over the video.
			if got := jsEval[[]float64](ov, `(() => { const m = document.querySelector('#reconnecting'); m.hidden = false;
  const r = m.getBoundingClientRect(); m.hidden = true; return [r.width, r.height]; })()`); got[0] > 60 || got[1] > 60 {
				t.Errorf("overlay: the reconnecting mark is %vx%v px, want a small mark (at most 60 px)", got[0], got[1])
			}
			ov.overlayShot(shots, "stage-overlay")
		}
		must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/close", ev.Pitches[i]), nil, nil)
	}

	// The poll takes the lower third, with its bars.
	must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/open", ev.PollID), nil, nil)
	voter := join(t, srv.URL, ev.Code, map[string]any{})
	if st := call(t, srv.URL, "POST", "/api/votes", voter.Token, map[string]any{"vote_id": "ov-poll", "target": fmt.Sprintf("poll:%d", ev.PollID), "value": 2}, nil); st != 200 {
		t.Fatalf("poll vote: status %d", st)
	}
	ov.waitFor("the poll's live result", `document.querySelector('#overlay[data-what="poll"]') && !document.querySelector('#ov-bars').hidden
  && document.querySelectorAll('#ov-bars .bar').length === 3 && document.querySelector('#ov-count strong').textContent === '1'`)
	checkSafeArea(t, ov, "overlay poll")
	ov.overlayShot(shots, "stage-overlay-poll")
	must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/close", ev.PollID), nil, nil)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/hide_results", ev.PollID), nil, nil)

	// The ranking: a side panel of the places, the lower third under it.
	must(t, srv.URL, "PATCH", fmt.Sprintf("/api/rounds/%d", ev.RoundID), map[string]any{"auto_reveal": true}, nil)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/reveal", ev.RoundID), nil, nil)
	ov.waitForWithin(30*time.Second, "the ranking's side panel", `document.querySelector('#overlay[data-what="ranking"]') && document.querySelector('#ov-places').dataset.places === '3'`)
	if seen := checkSafeArea(t, ov, "overlay ranking"); !seen["ov-ranking"] {
		t.Error("overlay ranking: no side panel")
	}
	if got := ov.text(`document.querySelector('#ov-places li.p1 .team').textContent`); got != ev.Teams[0] {
		t.Errorf("overlay ranking: first place %q, want %q", got, ev.Teams[0])
	}
	checkNames(t, ov, "overlay ranking", "#ov-places .team", false)
	ov.overlayShot(shots, "stage-overlay-ranking")

	// A blank screen shows nothing over the picture.
	must(t, srv.URL, "PUT", fmt.Sprintf("/api/rooms/%d/screen", ev.RoomID), map[string]any{"screen": "blank"}, nil)
	ov.waitFor("nothing over the picture", `document.body.dataset.view === 'blank' && document.querySelector('#overlay').hidden && getComputedStyle(document.body).backgroundColor === 'rgba(0, 0, 0, 0)'`)
	ov.checkConsole()
}

// hostOf is the host:port of a URL such as http://127.0.0.1:4000.
func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Host
}
