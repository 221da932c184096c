package report

import (
	"slices"
	"unicode"
)

// The PDF library draws the runes of a string one after the other, left
// to right, with the glyph each rune maps to: it neither shapes Arabic nor
// orders right-to-left text. visual does both before a string reaches it:
// each Arabic letter becomes the presentation form its neighbours call for
// (isolated, initial, medial or final, and lam-alef as one ligature), and
// the runs of right-to-left text are laid out right to left. It is a
// simplification of the Unicode bidirectional algorithm that is exact for
// names and short lines: the first strong letter sets the line's
// direction, neutral characters between two runs of one direction take it
// (others take the line's), digits stay left to right, and brackets in a
// right-to-left run are mirrored.

// forms holds a letter's isolated, final, initial and medial forms; 0: the
// letter has no such form (it joins on its right side only, or not at all).
type forms [4]rune

var arabicForms = map[rune]forms{
	0x0621: {0xFE80, 0, 0, 0},
	0x0622: {0xFE81, 0xFE82, 0, 0}, 0x0623: {0xFE83, 0xFE84, 0, 0}, 0x0624: {0xFE85, 0xFE86, 0, 0},
	0x0625: {0xFE87, 0xFE88, 0, 0}, 0x0626: {0xFE89, 0xFE8A, 0xFE8B, 0xFE8C}, 0x0627: {0xFE8D, 0xFE8E, 0, 0},
	0x0628: {0xFE8F, 0xFE90, 0xFE91, 0xFE92}, 0x0629: {0xFE93, 0xFE94, 0, 0}, 0x062A: {0xFE95, 0xFE96, 0xFE97, 0xFE98},
	0x062B: {0xFE99, 0xFE9A, 0xFE9B, 0xFE9C}, 0x062C: {0xFE9D, 0xFE9E, 0xFE9F, 0xFEA0}, 0x062D: {0xFEA1, 0xFEA2, 0xFEA3, 0xFEA4},
	0x062E: {0xFEA5, 0xFEA6, 0xFEA7, 0xFEA8}, 0x062F: {0xFEA9, 0xFEAA, 0, 0}, 0x0630: {0xFEAB, 0xFEAC, 0, 0},
	0x0631: {0xFEAD, 0xFEAE, 0, 0}, 0x0632: {0xFEAF, 0xFEB0, 0, 0}, 0x0633: {0xFEB1, 0xFEB2, 0xFEB3, 0xFEB4},
	0x0634: {0xFEB5, 0xFEB6, 0xFEB7, 0xFEB8}, 0x0635: {0xFEB9, 0xFEBA, 0xFEBB, 0xFEBC}, 0x0636: {0xFEBD, 0xFEBE, 0xFEBF, 0xFEC0},
	0x0637: {0xFEC1, 0xFEC2, 0xFEC3, 0xFEC4}, 0x0638: {0xFEC5, 0xFEC6, 0xFEC7, 0xFEC8}, 0x0639: {0xFEC9, 0xFECA, 0xFECB, 0xFECC},
	0x063A: {0xFECD, 0xFECE, 0xFECF, 0xFED0}, 0x0641: {0xFED1, 0xFED2, 0xFED3, 0xFED4}, 0x0642: {0xFED5, 0xFED6, 0xFED7, 0xFED8},
	0x0643: {0xFED9, 0xFEDA, 0xFEDB, 0xFEDC}, 0x0644: {0xFEDD, 0xFEDE, 0xFEDF, 0xFEE0}, 0x0645: {0xFEE1, 0xFEE2, 0xFEE3, 0xFEE4},
	0x0646: {0xFEE5, 0xFEE6, 0xFEE7, 0xFEE8}, 0x0647: {0xFEE9, 0xFEEA, 0xFEEB, 0xFEEC}, 0x0648: {0xFEED, 0xFEEE, 0, 0},
	0x0649: {0xFEEF, 0xFEF0, 0, 0}, 0x064A: {0xFEF1, 0xFEF2, 0xFEF3, 0xFEF4},
	// Persian and Urdu letters.
	0x067E: {0xFB56, 0xFB57, 0xFB58, 0xFB59}, 0x0686: {0xFB7A, 0xFB7B, 0xFB7C, 0xFB7D}, 0x0698: {0xFB8A, 0xFB8B, 0, 0},
	0x06A9: {0xFB8E, 0xFB8F, 0xFB90, 0xFB91}, 0x06AF: {0xFB92, 0xFB93, 0xFB94, 0xFB95}, 0x06CC: {0xFBFC, 0xFBFD, 0xFBFE, 0xFBFF},
}

// lamAlef are the ligatures of lam with an alef: isolated and final.
var lamAlef = map[rune][2]rune{0x0622: {0xFEF5, 0xFEF6}, 0x0623: {0xFEF7, 0xFEF8}, 0x0625: {0xFEF9, 0xFEFA}, 0x0627: {0xFEFB, 0xFEFC}}

const tatweel = 0x0640

// transparent reports whether r is a mark that joining skips (the harakat).
func transparent(r rune) bool {
	return (r >= 0x064B && r <= 0x065F) || r == 0x0670 || unicode.Is(unicode.Mn, r)
}

// joinsNext reports whether r connects to the letter after it.
func joinsNext(r rune) bool {
	if r == tatweel {
		return true
	}
	f, ok := arabicForms[r]
	return ok && f[2] != 0
}

// joinsPrev reports whether r connects to the letter before it.
func joinsPrev(r rune) bool {
	if r == tatweel {
		return true
	}
	f, ok := arabicForms[r]
	return ok && f[1] != 0
}

// shape replaces the Arabic letters of s by their contextual forms.
func shape(s []rune) []rune {
	out := make([]rune, 0, len(s))
	neighbour := func(i, step int) rune { // the next non-mark rune from i in direction step, or 0
		for j := i + step; j >= 0 && j < len(s); j += step {
			if !transparent(s[j]) {
				return s[j]
			}
		}
		return 0
	}
	for i := 0; i < len(s); i++ {
		r := s[i]
		f, ok := arabicForms[r]
		if !ok {
			out = append(out, r)
			continue
		}
		prev := neighbour(i, -1)
		joinedBefore := prev != 0 && joinsNext(prev) && joinsPrev(r)
		if r == 0x0644 { // lam: with the alef after it (marks between are dropped from the pair), one ligature
			j := i + 1
			for j < len(s) && transparent(s[j]) {
				j++
			}
			if j < len(s) {
				if lig, ok := lamAlef[s[j]]; ok {
					if joinedBefore {
						out = append(out, lig[1])
					} else {
						out = append(out, lig[0])
					}
					out = append(out, s[i+1:j]...)
					i = j
					continue
				}
			}
		}
		next := neighbour(i, 1)
		joinsAfter := next != 0 && joinsNext(r) && joinsPrev(next)
		var form rune
		switch {
		case joinedBefore && joinsAfter:
			form = f[3]
		case joinsAfter:
			form = f[2]
		case joinedBefore:
			form = f[1]
		}
		if form == 0 {
			form = f[0]
		}
		out = append(out, form)
	}
	return out
}

// direction of a rune: strong right to left, strong left to right, or neutral.
type direction int8

const (
	neutral direction = iota
	ltr
	rtl
)

func directionOf(r rune) direction {
	switch {
	case (r >= 0x0590 && r <= 0x08FF) || (r >= 0xFB1D && r <= 0xFDFF) || (r >= 0xFE70 && r <= 0xFEFF):
		if transparent(r) || (r >= 0x0660 && r <= 0x0669) {
			return neutral // marks follow their letter; Arabic-Indic digits read left to right
		}
		return rtl
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		return ltr
	}
	return neutral
}

var mirrored = map[rune]rune{'(': ')', ')': '(', '[': ']', ']': '[', '{': '}', '}': '{', '<': '>', '>': '<', '«': '»', '»': '«'}

// rightToLeft reports whether s reads right to left: its first strong
// letter does.
func rightToLeft(s string) bool {
	for _, r := range s {
		if d := directionOf(r); d != neutral {
			return d == rtl
		}
	}
	return false
}

// visual returns s shaped and in the order its glyphs are drawn, left to
// right. A line without right-to-left letters is returned as it is.
func visual(s string) string {
	runes := []rune(s)
	if !slices.ContainsFunc(runes, func(r rune) bool { return directionOf(r) == rtl }) {
		return s
	}
	runes = shape(runes)
	dirs := make([]direction, len(runes))
	base := neutral
	for i, r := range runes {
		dirs[i] = directionOf(r)
		if base == neutral {
			base = dirs[i]
		}
	}
	// Neutrals take the direction of the runs around them when both agree,
	// else the line's; a mark takes its letter's.
	for i := 0; i < len(runes); {
		if dirs[i] != neutral {
			i++
			continue
		}
		j := i
		for j < len(runes) && dirs[j] != neutral {
			j++
		}
		for j < len(runes) && dirs[j] == neutral {
			j++
		}
		before, after := base, base
		if i > 0 {
			before = dirs[i-1]
		}
		if j < len(runes) {
			after = dirs[j]
		}
		d := base
		if before == after {
			d = before
		}
		if i > 0 && transparent(runes[i]) {
			d = dirs[i-1]
		}
		for k := i; k < j; k++ {
			dirs[k] = d
		}
		i = j
	}
	// Runs of one direction; right-to-left ones reversed, marks kept after their letter.
	type run struct {
		text []rune
		dir  direction
	}
	var runs []run
	for i := 0; i < len(runes); {
		j := i
		for j < len(runes) && dirs[j] == dirs[i] {
			j++
		}
		text := slices.Clone(runes[i:j])
		if dirs[i] == rtl {
			text = reverseClusters(text)
		}
		runs = append(runs, run{text, dirs[i]})
		i = j
	}
	if base == rtl {
		slices.Reverse(runs)
	}
	out := make([]rune, 0, len(runes))
	for _, r := range runs {
		out = append(out, r.text...)
	}
	return string(out)
}

// reverseClusters reverses a right-to-left run letter by letter, each
// letter keeping its marks after it, and mirrors brackets.
func reverseClusters(rs []rune) []rune {
	var clusters [][]rune
	for _, r := range rs {
		if m, ok := mirrored[r]; ok {
			r = m
		}
		if transparent(r) && len(clusters) > 0 {
			clusters[len(clusters)-1] = append(clusters[len(clusters)-1], r)
			continue
		}
		clusters = append(clusters, []rune{r})
	}
	slices.Reverse(clusters)
	out := make([]rune, 0, len(rs))
	for _, c := range clusters {
		out = append(out, c...)
	}
	return out
}
