package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestBrowserReport opens the event's report from the control page at
// laptop size, looks at it at the three sizes, and prints it from
// Chromium: the printed PDF holds every section and the names as typed.
func TestBrowserReport(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "REPORT26")
	shots := shotDir(t)
	// An Arabic and a long name, scored by a few phones, and a poll answered.
	must(t, srv.URL, "PATCH", fmt.Sprintf("/api/pitches/%d", ev.Pitches[1]), map[string]any{"team": "شركة الأمل للتقنيات"}, nil)
	must(t, srv.URL, "PATCH", fmt.Sprintf("/api/pitches/%d", ev.Pitches[2]), map[string]any{"team": "Société Générale des Établissements Industriels de Franche-Comté"}, nil)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/start", ev.RoundID), nil, nil)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/open", ev.PollID), nil, nil)
	phones := make([]joined, 6)
	for i := range phones {
		phones[i] = join(t, srv.URL, ev.Code, map[string]any{"display_name": fmt.Sprint("Phone ", i)})
	}
	for k, pitch := range ev.Pitches {
		if k > 0 {
			must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/next", ev.RoundID), nil, nil)
		}
		must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/open", pitch), nil, nil)
		for i, p := range phones {
			if st := call(t, srv.URL, "POST", "/api/votes", p.Token, map[string]any{"vote_id": fmt.Sprint("v", k, i),
				"target": fmt.Sprint("pitch:", pitch), "value": 1 + (i+k*2)%5}, nil); st != 200 {
				t.Fatalf("vote: %d", st)
			}
		}
	}
	for i, p := range phones {
		call(t, srv.URL, "POST", "/api/votes", p.Token, map[string]any{"vote_id": fmt.Sprint("q", i), "target": fmt.Sprint("poll:", ev.PollID), "value": 1 + i%3}, nil)
	}

	b := newBrowser(t)
	control := b.newTab("control", controlSize)
	control.open(srv.URL + "/control#" + ev.Code)
	control.waitFor("login form", `!document.querySelector('#login-view').hidden`)
	control.typeInto("#password", "correct horse")
	control.click(`#login-form button[type=submit]`)
	control.waitFor("report link", `document.querySelector('#report-link')?.getAttribute('href')?.includes('/report?lang=')`)
	href := control.text(`document.querySelector('#report-link').href`)

	// The page needs the control's session: opened where the control was
	// (a new tab of the harness is a browser context of its own).
	tab := control
	tab.open(href)
	tab.waitFor("report", has("#participation .figures"))
	for _, s := range []struct {
		name string
		vp   viewport
	}{{"report-laptop", controlSize}, {"report-phone", phoneSize}, {"report-stage", stageSize}} {
		tab.do("emulate "+s.name, tab.emulate(s.vp))
		if got := tab.text(`document.querySelector('h1').textContent`); got != "Pitch Night 2026" {
			t.Errorf("%s: title %q", s.name, got)
		}
		tab.screenshot(shots, s.name, s.vp)
		if s.vp == controlSize {
			printed := printPDF(t, tab)
			text := pdfText(t, printed)
			for _, want := range []string{"Pitch Night 2026", "Participation", "Pitch rounds", "Which idea should win the public prize?",
				"Société Générale des Établissements Industriels de Franche-Comté", "Quizzes", "Boards", "Feed", "Surveys"} {
				if !strings.Contains(text, want) {
					t.Errorf("the printed report has no %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, "Download the PDF") {
				t.Error("the printed report shows its tools")
			}
			if n := strings.Count(text, "\f"); n < 7 {
				t.Errorf("the printed report has %d pages, want a page a section (7 or more)", n)
			}
		}
	}
	tab.checkConsole()
}

// printPDF prints the tab's page as Chromium does (A4, backgrounds).
func printPDF(t *testing.T, tab *tab) string {
	t.Helper()
	var buf []byte
	ctx, cancel := context.WithTimeout(tab.ctx, waitTimeout)
	defer cancel()
	background := true
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PrintBackground: &background, PaperWidth: 8.27, PaperHeight: 11.69})
		buf = res.Data
		return err
	}))
	if err != nil {
		t.Fatalf("print: %v", err)
	}
	path := filepath.Join(t.TempDir(), "printed.pdf")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// pdfText is pdftotext's text of a PDF (Debian's poppler-utils).
func pdfText(t *testing.T, path string) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skipf("pdftotext is not installed (poppler-utils): %v", err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// TestFiguresKeptThroughARestart checks the figures' wiring on a single
// node: the joins and votes committed are recorded, written when the
// server stops (the last, unfinished minute included), and in the report
// of the restarted server.
func TestFiguresKeptThroughARestart(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, dir)
	ev := newPitchNight(t, srv.URL, "FIGS26")
	must(t, srv.URL, "POST", fmt.Sprintf("/api/rounds/%d/actions/start", ev.RoundID), nil, nil)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/pitches/%d/actions/open", ev.Pitches[0]), nil, nil)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/open", ev.PollID), nil, nil)
	for i := range 3 {
		p := join(t, srv.URL, ev.Code, map[string]any{})
		for _, target := range []string{fmt.Sprint("pitch:", ev.Pitches[0]), fmt.Sprint("poll:", ev.PollID)} {
			if st := call(t, srv.URL, "POST", "/api/votes", p.Token, map[string]any{"vote_id": target, "target": target, "value": 1 + i}, nil); st != 200 {
				t.Fatalf("vote on %s: %d", target, st)
			}
		}
	}
	srv.Stop(t)
	srv = startServer(t, dir)
	req, _ := http.NewRequest("GET", srv.URL+"/api/events/FIGS26/report?lang=en", nil)
	req.Header.Set("Authorization", "Bearer "+testAPIToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	page, _ := io.ReadAll(res.Body)
	if want := "3 joins · 3 votes · 3 answers · 0 posts"; res.StatusCode != 200 || !strings.Contains(string(page), want) {
		t.Fatalf("%d: the report has no %q:\n%.3000s", res.StatusCode, want, page)
	}
}
