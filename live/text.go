package live

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The zero-width non-joiner and joiner are format characters that text
// needs: emoji sequences (👩‍💻) and Persian or Indic words are built with them.
const (
	zwnj = '\u200c'
	zwj  = '\u200d'
)

// CleanText makes s plain text safe to show on one line, of at most max runes
// (0: no limit): valid UTF-8 (invalid bytes are dropped), no control or format
// characters (NUL, the C0 and C1 controls, bidirectional embeddings,
// overrides, isolates and marks, zero-width spaces, the byte-order mark, tag
// characters) except a zero-width joiner or non-joiner after a visible
// character; runs of white space, line breaks included, collapsed to one
// space; trimmed. A cut text ends with "…". Every name and title, and every
// feed post, is stored as CleanText made it.
func CleanText(s string, max int) string { return cleanText(s, max, false) }

// CleanLines is CleanText for text whose line breaks belong to it (a board
// entry): line breaks (\n, \r\n, \r, U+2028, U+2029) become "\n", at most one
// blank line in a row, and each line is cleaned and trimmed as CleanText
// cleans a text.
func CleanLines(s string, max int) string { return cleanText(s, max, true) }

func cleanText(s string, max int, lines bool) string {
	var b strings.Builder
	s = strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\r\n", "\n")
	space, breaks := false, 0 // white space, and line breaks, pending since the last visible rune
	for _, r := range s {
		switch {
		case lines && (r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029'):
			breaks++
			continue
		case unicode.IsSpace(r):
			space = true
			continue
		case r == zwnj || r == zwj:
			if b.Len() == 0 || space || breaks > 0 { // it joins nothing (nor does a last one: trimmed below)
				continue
			}
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError:
			continue
		}
		switch {
		case b.Len() > 0 && breaks > 0:
			b.WriteString("\n\n"[:min(breaks, 2)])
		case b.Len() > 0 && space:
			b.WriteByte(' ')
		}
		space, breaks = false, 0
		b.WriteRune(r)
	}
	out := strings.TrimRight(b.String(), string([]rune{zwnj, zwj}))
	if max > 0 {
		out = Truncate(out, max)
	}
	return out
}

// Truncate shortens s to at most max runes (max ≥ 1), cutting between runes:
// a cut text ends with "…", the white space before it trimmed. A shorter s
// is returned as it is.
func Truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return strings.TrimRightFunc(string([]rune(s)[:max-1]), unicode.IsSpace) + "…"
}

// validText cleans *s with CleanText, or CleanLines when lines is set, and
// checks the result: not empty when required, at most max runes. Invalid
// UTF-8 is refused rather than cleaned, as a client that sends it is broken.
func validText(field string, s *string, max int, required, lines bool) error {
	if !utf8.ValidString(*s) {
		return FieldErrorf(field, "%s is not valid text.", field)
	}
	*s = cleanText(*s, 0, lines)
	n := utf8.RuneCountInString(*s)
	if required && n == 0 {
		return FieldErrorf(field, "%s is required.", field)
	}
	if n > max {
		return FieldErrorf(field, "%s must be at most %d characters.", field, max)
	}
	return nil
}

// ContainsWord reports whether keyword (lower case, maybe a phrase) appears
// in text as whole words: the characters on either side of the match are not
// letters, digits or '_'. So a block on "cunt" does not touch "Scunthorpe",
// while "#cunt" and "cunt!" are caught.
func ContainsWord(text, keyword string) bool {
	if keyword == "" {
		return false
	}
	text = strings.ToLower(text)
	for from := 0; from <= len(text)-len(keyword); {
		i := strings.Index(text[from:], keyword)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(keyword)
		before, _ := utf8.DecodeLastRuneInString(text[:i])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if (i == 0 || !wordRune(before)) && (end == len(text) || !wordRune(after)) {
			return true
		}
		_, size := utf8.DecodeRuneInString(text[i:])
		from = i + size
	}
	return false
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }
