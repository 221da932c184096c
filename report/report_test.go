package report_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/report"
)

// poppler runs a poppler-utils command, skipping the test where it is missing.
func poppler(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	if _, err := exec.LookPath(name); err != nil {
		tb.Skipf("%s is not installed (Debian's poppler-utils): %v", name, err)
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// writePDF renders a PDF to a file of a test directory (and to $REPORT_PDF
// when set, to look at it) and returns its path and text.
func writePDF(tb testing.TB, render func(*bytes.Buffer) error, keep string) (path, text string) {
	tb.Helper()
	var b bytes.Buffer
	must(tb, render(&b))
	path = filepath.Join(tb.TempDir(), "report.pdf")
	must(tb, os.WriteFile(path, b.Bytes(), 0o644))
	if out := os.Getenv(keep); out != "" {
		must(tb, os.WriteFile(out, b.Bytes(), 0o644))
	}
	return path, poppler(tb, "pdftotext", "-enc", "UTF-8", path, "-")
}

// inkShare renders every page of a PDF in grey at 20 dpi and returns, per
// page, the share of its pixels that are not white.
func inkShare(tb testing.TB, path string) []float64 {
	tb.Helper()
	dir := tb.TempDir()
	poppler(tb, "pdftoppm", "-r", "20", "-gray", path, filepath.Join(dir, "p"))
	names, err := filepath.Glob(filepath.Join(dir, "p-*.pgm"))
	must(tb, err)
	var shares []float64
	for _, name := range names {
		f, err := os.Open(name)
		must(tb, err)
		rd := bufio.NewReader(f)
		var magic string
		var w, h, maxv int
		if _, err := fmt.Fscan(rd, &magic, &w, &h, &maxv); err != nil || magic != "P5" {
			tb.Fatalf("%s: not a PGM: %v", name, err)
		}
		_, _ = rd.ReadByte() // the one whitespace before the pixels
		pix := make([]byte, w*h)
		if _, err := io.ReadFull(rd, pix); err != nil {
			tb.Fatal(err)
		}
		f.Close()
		dark := 0
		for _, p := range pix {
			if p < 200 {
				dark++
			}
		}
		shares = append(shares, float64(dark)/float64(len(pix)))
	}
	return shares
}

// TestReports makes the reports of the rehearsal's event (richEvent, made
// once for all its subtests).
func TestReports(t *testing.T) {
	ev := richEvent(t)
	t.Run("event_pdf", func(t *testing.T) { testEventPDF(t, ev) })
	t.Run("team_pdf", func(t *testing.T) { testTeamPDF(t, ev) })
	t.Run("event_page", func(t *testing.T) { testEventHTML(t, ev) })
}

func testEventPDF(t *testing.T, ev *rich) {
	r, err := report.Build(t.Context(), ev.src, ev.code, report.Options{Now: ev.now})
	must(t, err)
	// Per session: the afternoon talk ended before anyone came; the evening's
	// 40 people answered the main room's questions and everyone scored.
	if len(r.Talks) != 2 || r.Talks[0].Participation != (live.RoomParticipation{}) ||
		r.Talks[1].Participation.Answered != 40 || r.Talks[1].Participation.Voted != 60 {
		t.Errorf("participation per session: %+v", r.Talks)
	}
	path, text := writePDF(t, func(b *bytes.Buffer) error { return r.PDF(b) }, "REPORT_PDF")

	info := poppler(t, "pdfinfo", path)
	pages, _ := strconv.Atoi(regexp.MustCompile(`Pages:\s+(\d+)`).FindStringSubmatch(info)[1])
	if pages < 8 {
		t.Errorf("%d pages, want at least 8: a cover and one section a page\n%s", pages, info)
	}
	if !strings.Contains(info, "Tech Days Besançon") {
		t.Errorf("the PDF's title is not the event's:\n%s", info)
	}
	for i, share := range inkShare(t, path) {
		if share < 0.002 { // a page of a heading and a line is 0.007
			t.Errorf("page %d is blank (%.4f of it inked)", i+1, share)
		}
	}
	for _, want := range []string{
		// The cover, the contents and the page numbers, in the event's language (French).
		"Rapport de l'événement", "Sommaire", "Sessions de pitchs", "Page 1 sur " + strconv.Itoa(pages),
		// Every team's full name (emoji dropped: the font has none), the Arabic one shaped.
		"Société Générale des Établissements Industriels de Franche-Comté", "Anticonstitutionnellementdéraisonnablement",
		"Fusée Énergie", report.Shape("شركة الأمل للتقنيات"), "Les Fromageries Artisanales du Haut-Doubs et du Jura Réunies",
		"Hydrogène Vert Bisontin",
		// A question of every kind, with its chart's text.
		"Quel pitch vous a le plus marqué ?", "choix unique", "échelle", "choix multiple", "nuage de mots", "audace",
		"texte libre", "Un prix du public pour les étudiants", "classement", "1. Climat",
		// The round with its jury, the quiz, the board, the feed and its moment, the survey.
		"Le jury compte pour 40 % du score.", "Répartition des notes", "Quiz franc-comtois", "Podium (12 joueurs)", "Léa",
		"Vos idées pour 2027", "Un hackathon sur l'hydrogène", "Temps forts", "14 publications",
		// The survey, in its order: the grid, then the choice.
		"Votre avis sur la soirée", "Notez la soirée", "grille d'évaluation", "Qualité des pitchs", "Reviendrez-vous en 2027 ?",
		// Participation and connections.
		"Personnes venues", "Par session du programme", "Soirée des partenaires : les pitchs", "Connexions au fil du temps", "core-1, edge-2",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text has no %q", want)
		}
	}
	if strings.Contains(text, "Visiter les ateliers") {
		t.Error("a rejected open-text answer is in the report")
	}
	if t.Failed() {
		t.Logf("text:\n%s", text)
	}
}

func testTeamPDF(t *testing.T, ev *rich) {
	arabic := ev.pitches[3] // شركة الأمل للتقنيات, with meeting requests
	for _, tc := range []struct {
		name     string
		personal bool
	}{{"names_the_people_where_the_role_may", true}, {"counts_them_only_otherwise", false}} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := report.BuildTeam(t.Context(), ev.src, ev.code, arabic, report.Options{Lang: "en", Personal: tc.personal, Now: ev.now})
			must(t, err)
			_, text := writePDF(t, func(b *bytes.Buffer) error { return tr.PDF(b) }, "REPORT_TEAM_PDF")
			for _, want := range []string{report.Shape("شركة الأمل للتقنيات"), "Team report", "Place 1 of 6", "3 people asked to meet the team."} {
				if !strings.Contains(text, want) {
					t.Errorf("no %q in:\n%s", want, text)
				}
			}
			for _, who := range []string{"Élodie Marchand", "contact0@example.com", "Søren Ålund"} {
				if strings.Contains(text, who) != tc.personal {
					t.Errorf("%q in the report: %v, want %v", who, !tc.personal, tc.personal)
				}
			}
		})
	}
	t.Run("unknown_pitch_is_not_found", func(t *testing.T) {
		_, err := report.BuildTeam(t.Context(), ev.src, ev.code, 987654, report.Options{})
		if live.ErrorCode(err) != live.ENotFound {
			t.Fatalf("err = %v, want not_found", err)
		}
	})
	t.Run("unknown_language_is_invalid", func(t *testing.T) {
		_, err := report.Build(t.Context(), ev.src, ev.code, report.Options{Lang: "de"})
		if live.ErrorCode(err) != live.EInvalid {
			t.Fatalf("err = %v, want invalid", err)
		}
	})
}

func testEventHTML(t *testing.T, ev *rich) {
	r, err := report.Build(t.Context(), ev.src, ev.code, report.Options{Now: ev.now, Lang: "en"})
	must(t, err)
	var b bytes.Buffer
	must(t, r.HTML(&b, report.PageOptions{PDFURL: "report.pdf", Nonce: "abc"}))
	if out := os.Getenv("REPORT_HTML"); out != "" {
		must(t, os.WriteFile(out, b.Bytes(), 0o644))
	}
	page := b.String()
	for _, want := range []string{`<html lang="en">`, `<style nonce="abc">`, `<script nonce="abc">`, "@media print", "break-before: page",
		"شركة الأمل للتقنيات", "Fusée 🚀 Énergie", "<svg", "Pitch rounds", "The jury weighs 40% of the score."} {
		if !strings.Contains(page, want) {
			t.Errorf("the page has no %q", want)
		}
	}
	if strings.Contains(page, " style=") || strings.Contains(page, "onclick") {
		t.Error("the page has a style or script attribute, which its content security policy refuses")
	}
}
