package report

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"sync"
)

// The PDF's font is DejaVu Sans: it covers Latin with its accents, Greek,
// Cyrillic, Arabic (with its presentation forms, which visual uses) and
// many symbols, but no emoji. The regular face is embedded (its licence is
// fonts/LICENSE.DejaVu.txt); the bold face is read from Debian's
// fonts-dejavu-core at BoldFontPath when it is there, else headings use
// the regular face.

//go:embed fonts/DejaVuSans.ttf
var regularFont []byte

// BoldFontPath is where the bold face of DejaVu Sans is looked for.
const BoldFontPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

var (
	boldOnce sync.Once
	boldFont []byte
	covered  []bool // by rune, the Basic Multilingual Plane: whether the font has a glyph
)

func bold() []byte {
	boldOnce.Do(func() {
		if b, err := os.ReadFile(BoldFontPath); err == nil && len(b) > 0 {
			boldFont = b
		} else {
			boldFont = regularFont
		}
	})
	return boldFont
}

var coverOnce sync.Once

// coverage returns which runes of the BMP the regular face has a glyph for.
func coverage() []bool {
	coverOnce.Do(func() {
		c, err := cmapCoverage(regularFont)
		if err != nil {
			panic("report: the embedded font has no readable cmap: " + err.Error())
		}
		covered = c
	})
	return covered
}

// cmapCoverage reads the Unicode BMP cmap (platform 3, encoding 1, format
// 4) of a TrueType font.
func cmapCoverage(ttf []byte) ([]bool, error) {
	bad := errors.New("truncated or unsupported font")
	if len(ttf) < 12 {
		return nil, bad
	}
	u16 := func(o int) int { return int(binary.BigEndian.Uint16(ttf[o:])) }
	u32 := func(o int) int { return int(binary.BigEndian.Uint32(ttf[o:])) }
	n := u16(4)
	cmap := -1
	for i := range n {
		o := 12 + 16*i
		if o+16 > len(ttf) {
			return nil, bad
		}
		if string(ttf[o:o+4]) == "cmap" {
			cmap = u32(o + 8)
		}
	}
	if cmap < 0 || cmap+4 > len(ttf) {
		return nil, bad
	}
	sub := -1
	for i := range u16(cmap + 2) {
		o := cmap + 4 + 8*i
		if o+8 > len(ttf) {
			return nil, bad
		}
		if u16(o) == 3 && u16(o+2) == 1 {
			sub = cmap + u32(o+4)
		}
	}
	if sub < 0 || sub+14 > len(ttf) || u16(sub) != 4 {
		return nil, bad
	}
	segs := u16(sub+6) / 2
	ends, starts := sub+14, sub+16+2*segs
	deltas, offsets := starts+2*segs, starts+4*segs
	if offsets+2*segs > len(ttf) {
		return nil, bad
	}
	out := make([]bool, 0x10000)
	for i := range segs {
		end, start := u16(ends+2*i), u16(starts+2*i)
		delta, ro := u16(deltas+2*i), u16(offsets+2*i)
		for c := start; c <= end && c < 0xFFFF; c++ {
			glyph := 0
			if ro == 0 {
				glyph = (c + delta) & 0xFFFF
			} else if o := offsets + 2*i + ro + 2*(c-start); o+2 <= len(ttf) {
				if g := u16(o); g != 0 {
					glyph = (g + delta) & 0xFFFF
				}
			}
			out[c] = glyph != 0
		}
	}
	return out, nil
}

// printable returns s with what the font cannot draw taken out: emoji
// (with their joiners and variation selectors) and any other rune without
// a glyph; runs of spaces left behind become one.
func printable(s string) string {
	cov := coverage()
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == '\u200d' || r == '\ufe0f' || r == '\ufe0e' {
			continue
		}
		if r == '\t' || r == '\n' || r == '\r' {
			r = ' '
		}
		if r > 0xFFFF || !cov[r] {
			continue
		}
		if r == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}
