package live

import (
	"errors"
	"testing"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"plain text is kept":                        {"Grand final 2026 — Zoé", "Grand final 2026 — Zoé"},
		"NUL and C0 controls are dropped":           {"a\x00b\x07c\x1bd", "abcd"},
		"DEL and C1 controls are dropped":           {"a\x7fb\u0080c\u009bd", "abcd"},
		"bidi overrides and embeddings are dropped": {"pay\u202emoc.exe\u202c", "paymoc.exe"},
		"bidi isolates and marks are dropped":       {"\u2066x\u2067y\u2068z\u2069\u200e\u200f\u061c", "xyz"},
		"zero-width spaces and the BOM are dropped": {"\ufeffad\u200bmin\u2060", "admin"},
		"tag characters are dropped":                {"hi\U000E0041\U000E007F", "hi"},
		"white space collapses, line breaks too":    {"  Grand\t\tfinal\r\n\n2026 \u00a0", "Grand final 2026"},
		"emoji joiners between characters are kept": {"Zoé 👩\u200d💻", "Zoé 👩\u200d💻"},
		"a non-joiner inside a word is kept":        {"می\u200cخواهم", "می\u200cخواهم"},
		"joiners that join nothing are dropped":     {"\u200d a \u200cb\u200d", "a b"},
		"invalid UTF-8 is dropped":                  {"a\xffb", "ab"},
		"only controls leave nothing":               {"\x00\u202e\u200b\t", ""},
	} {
		t.Run(name, func(t *testing.T) {
			if got := CleanText(tc.in, 0); got != tc.want {
				t.Fatalf("CleanText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	t.Run("a cut text ends with an ellipsis within max", func(t *testing.T) {
		if got := CleanText("abc def ghi", 5); got != "abc…" {
			t.Fatalf("got %q", got)
		}
	})
}

func TestCleanLines(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"line breaks are kept":                   {"first line\nsecond line", "first line\nsecond line"},
		"CR LF, CR and U+2028 become LF":         {"a\r\nb\rc\u2028d", "a\nb\nc\nd"},
		"at most one blank line in a row":        {"a\n\n\n\n\nb", "a\n\nb"},
		"lines are trimmed, the text too":        {"\n\n  a  \t\n  b  \n\n", "a\nb"},
		"controls are dropped as on one line":    {"a\x00\u202e\nb\u2066", "a\nb"},
		"a joiner after a line break is dropped": {"a\n\u200db", "a\nb"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := CleanLines(tc.in, 0); got != tc.want {
				t.Fatalf("CleanLines(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestValidateCleansText: every name and title a Validate checks is stored
// as CleanText makes it, and one that cleaning leaves empty is refused as
// missing (when required) with its field named.
func TestValidateCleansText(t *testing.T) {
	const dirty, clean = "\u202e Grand\x00  final\u2066 ", "Grand final"
	for name, tc := range map[string]struct {
		field    string
		validate func(s string) (string, error) // validates a value holding s, returns the field after
	}{
		"event title": {"title", func(s string) (string, error) {
			e := Event{Code: "ABC", Title: s}
			err := e.Validate()
			return e.Title, err
		}},
		"room name":   {"name", func(s string) (string, error) { r := Room{Name: s}; err := r.Validate(); return r.Name, err }},
		"round title": {"title", func(s string) (string, error) { r := Round{Title: s}; err := r.Validate(); return r.Title, err }},
		"pitch team":  {"team", func(s string) (string, error) { p := Pitch{Team: s}; err := p.Validate(); return p.Team, err }},
		"pitch presenter": {"team", func(s string) (string, error) { // presenter is optional: the team, required, reports
			p := Pitch{Team: s, Presenter: s}
			err := p.Validate()
			return p.Presenter, err
		}},
		"poll question": {"question", func(s string) (string, error) {
			p := Poll{Question: s, Kind: PollChoices, Choices: []string{"A", "B"}}
			err := p.Validate()
			return p.Question, err
		}},
		"poll choice": {"choices[1]", func(s string) (string, error) {
			p := Poll{Question: "Q", Kind: PollChoices, Choices: []string{"A", s}}
			err := p.Validate()
			return p.Choices[1], err
		}},
		"board title": {"title", func(s string) (string, error) { b := Board{Title: s}; err := b.Validate(); return b.Title, err }},
		"board entry": {"text", func(s string) (string, error) {
			text, _, err := ValidateEntryText(&Board{MaxLen: MaxEntryLen}, s, "")
			return text, err
		}},
		"meeting request name": {"name", func(s string) (string, error) {
			m := MeetingRequest{Name: s, Email: "a@example.com", Consent: true}
			err := m.Validate()
			return m.Name, err
		}},
	} {
		t.Run(name+" is stored clean", func(t *testing.T) {
			got, err := tc.validate(dirty)
			if err != nil || got != clean {
				t.Fatalf("got %q, %v; want %q", got, err, clean)
			}
		})
		t.Run(name+" of controls only is refused", func(t *testing.T) {
			_, err := tc.validate("\x00\u202e\u200b")
			var le *Error
			if !errors.As(err, &le) || le.Code != EInvalid || le.Field != tc.field {
				t.Fatalf("got %v, want invalid %s", err, tc.field)
			}
		})
	}
	t.Run("a participant's name of controls only is anonymous", func(t *testing.T) {
		p := Participant{DisplayName: "\u202e\x00"}
		if err := p.Validate(); err != nil || p.DisplayName != "" {
			t.Fatalf("got %q, %v", p.DisplayName, err)
		}
		p = Participant{DisplayName: dirty}
		if err := p.Validate(); err != nil || p.DisplayName != clean {
			t.Fatalf("got %q, %v", p.DisplayName, err)
		}
	})
	t.Run("a board entry keeps its line breaks", func(t *testing.T) {
		text, name, err := ValidateEntryText(&Board{MaxLen: MaxEntryLen}, "Two questions:\r\n1. why?\u202e\n2. how?", dirty)
		if err != nil || text != "Two questions:\n1. why?\n2. how?" || name != clean {
			t.Fatalf("got %q %q, %v", text, name, err)
		}
	})
	t.Run("validating a copy leaves the original's choices alone", func(t *testing.T) {
		orig := Poll{Question: "Q", Kind: PollChoices, Choices: []string{"A\u202e", "B"}}
		c := orig
		if err := c.Validate(); err != nil || c.Choices[0] != "A" || orig.Choices[0] != "A\u202e" {
			t.Fatalf("copy %q, original %q, %v", c.Choices, orig.Choices, err)
		}
	})
}

// TestTruncate: at most max runes, cut between runes, "…" last when cut.
func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"abcdefgh", 5, "abcd…"},
		{"abc defgh", 5, "abc…"}, // the space before the cut goes
		{"ééééé", 3, "éé…"},      // two-byte runes, not cut in half
		{"👩‍💻👩‍💻", 2, "👩…"},
	} {
		got := Truncate(tc.in, tc.max)
		if got != tc.want || utf8.RuneCountInString(got) > tc.max || !utf8.ValidString(got) {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
