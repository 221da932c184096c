package report

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestVisual(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"latin_is_unchanged", "Hydrogène Vert Bisontin", "Hydrogène Vert Bisontin"},
		// شركة: sheen initial, reh final (reh does not join on), kaf initial, teh marbuta final; drawn right to left.
		{"word_joins_and_reverses", "شركة", "\uFE94\uFEDB\uFEAE\uFEB7"},
		// الأمل: alef isolated, lam + hamza-alef as the isolated ligature, meem initial, lam final.
		{"lam_alef_is_one_ligature", "الأمل", "\uFEDE\uFEE3\uFEF7\uFE8D"},
		{"rtl_line_puts_its_words_right_to_left", "شركة الأمل", "\uFEDE\uFEE3\uFEF7\uFE8D \uFE94\uFEDB\uFEAE\uFEB7"},
		{"latin_line_keeps_an_arabic_name_in_place", "Team شركة 2", "Team \uFE94\uFEDB\uFEAE\uFEB7 2"},
		{"digits_stay_left_to_right_in_arabic", "شركة 2026", "2026 \uFE94\uFEDB\uFEAE\uFEB7"},
		{"brackets_are_mirrored", "(شركة)", "(\uFE94\uFEDB\uFEAE\uFEB7)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := visual(tc.in); got != tc.want {
				t.Errorf("visual(%q) = %q (%U), want %q (%U)", tc.in, got, []rune(got), tc.want, []rune(tc.want))
			}
		})
	}
}

// FuzzVisual checks that any text comes out valid, with no more runes than
// it had (a ligature makes two one), and unchanged without Arabic.
func FuzzVisual(f *testing.F) {
	for _, s := range []string{"شركة الأمل للتقنيات", "Société Générale", "لا", "ـلـ", "a(ب)c 12", "🚀 مرحبا", "\u064Bب", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		got := visual(s)
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > utf8.RuneCountInString(s) {
			t.Fatalf("visual(%q) = %q", s, got)
		}
		if !strings.ContainsFunc(s, func(r rune) bool { return directionOf(r) == rtl }) && got != s {
			t.Fatalf("visual(%q) = %q, want it unchanged", s, got)
		}
	})
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"Les Fromageries 🧀 du Jura":                  "Les Fromageries du Jura",
		"Équipe 👩🏽‍💻 Fusée 🚀":                        "Équipe Fusée",
		"شركة الأمل للتقنيات":                        "شركة الأمل للتقنيات",
		"Hydrogène Vert Bisontin ✓":                  "Hydrogène Vert Bisontin ✓",
		"Anticonstitutionnellementdéraisonnablement": "Anticonstitutionnellementdéraisonnablement",
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
	if !coverage()[0xFEFB] || !coverage()[0xFE94] {
		t.Error("the font has no Arabic presentation forms")
	}
}

// FuzzCmapCoverage feeds the font reader broken fonts: it answers an
// error or a coverage of the whole plane, never panics.
func FuzzCmapCoverage(f *testing.F) {
	f.Add(regularFont[:4096])
	f.Add(regularFont[:12])
	f.Add([]byte("\x00\x01\x00\x00\x00\x01cmap"))
	f.Fuzz(func(t *testing.T, ttf []byte) {
		c, err := cmapCoverage(ttf)
		if err == nil && len(c) != 0x10000 {
			t.Fatalf("coverage of %d runes", len(c))
		}
	})
}
