package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/ovation-live/ovation/internal/redistest"
)

// TestBrowserJoinDuringTakeover: a phone that opens the audience page on an
// edge while no core acts (the core's machine gone, a standby about to take
// over) gets the page from the edge, says the service is busy while the
// event cannot be read, and goes on by itself once a core acts: the welcome
// form, the join, the pitch's keypad and a counted vote, with no reload.
func TestBrowserJoinDuringTakeover(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs redis-server, two server processes and Chromium")
	}
	// The phone's origin is the edge's address: every node allows it, as
	// every node of a deployment allows its public URL.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	origin := "http://" + addr
	rdb, bin, coreDir := redistest.Start(t), buildServer(t), t.TempDir()
	coreFlags := append(coreArgs(rdb.URL(), "core-1"), "-allowed_origins", origin)
	core := startProcess(t, bin, coreDir, coreFlags...)
	edge := startProcess(t, bin, t.TempDir(), "-listen", addr, "-cluster.role", "edge", "-cluster.redis_url", rdb.URL(),
		"-cluster.node", "edge-a", "-cluster.request_timeout", "5s", "-allowed_origins", origin)

	ev := newPitchNight(t, core.URL, "TAKEOVER")
	must(t, core.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/start", ev.RoundID), nil, nil)
	must(t, core.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/open", ev.Pitches[0]), nil, nil)
	core.kill(t)

	b := newBrowser(t)
	p := phonePage{b.newTab("phone", phoneSize), ""}
	p.expect("/api/events/"+ev.Code, 503)
	p.open(edge.URL + "/e/" + ev.Code)
	// A French phone at 320 px with a 32 px font, opened at the same time.
	fr := b.newTab("phone 320, 32 px font, French", phone320)
	fr.expect("/api/events/"+ev.Code, 503)
	fr.do("font size 32 px", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.SetFontSizes, page.SetFontSizesParams{FontSizes: &page.FontSizes{Standard: 32, Fixed: 26}})
		return err
	}))
	fr.open(edge.URL + "/e/" + ev.Code)
	fr.click(".lang-switch")
	busy := `document.querySelector('#cards .card.waiting p')?.textContent.length > 0`
	p.waitForWithin(20*time.Second, "the busy answer shown", busy)
	if got := p.text(`document.querySelector('#cards .card.waiting').textContent`); got != "The event’s server is busy. This page tries again by itself in a moment." {
		t.Errorf("the phone says %q while no core acts", got)
	}
	fr.waitForWithin(20*time.Second, "the busy answer shown in French", busy)
	if got := fr.text(`document.querySelector('#cards .card.waiting').textContent`); !strings.HasPrefix(got, "Le serveur de l’événement est occupé.") {
		t.Errorf("the French phone says %q while no core acts", got)
	}
	if w := jsEval[float64](fr, `document.documentElement.scrollWidth - innerWidth`); w > 0 {
		t.Errorf("the busy page scrolls sideways by %v px at 320 px with a 32 px font", w)
	}
	shots := shotDir(t)
	p.screenshot(shots, "audience-busy-takeover", phoneSize)
	fr.screenshot(shots, "audience-busy-takeover-320-large-fr", phone320)

	startProcess(t, bin, coreDir, coreFlags...)
	p.waitForWithin(45*time.Second, "the welcome form, by itself", `document.querySelector('#join-form button[type=submit]') !== null`)
	p.click(`#join-form button[type=submit]`)
	p.vote(fmt.Sprintf("pitch:%d", ev.Pitches[0]), 4, "counted")
	p.checkConsole()
	fr.checkConsole()
}
