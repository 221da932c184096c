package feed

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/ovation-live/ovation/live"
)

// FuzzNormalize checks the normaliser's promises on any input: valid UTF-8
// within the limits, no control or format characters, links only http(s),
// and PlainText never keeps a tag it saw whole.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"hello #TEST", "<p>a<br>b</p>", "<script>alert(1)</script>x", "&lt;b&gt;", "a\u202eb\x00c", "👩\u200d💻\u200d", "\xff\xfe", strings.Repeat("é", 600), "<a href=\"javascript:x\">y"} {
		f.Add(s, s, "javascript:alert(1)")
	}
	f.Fuzz(func(t *testing.T, text, author, link string) {
		it, err := Normalize(live.FeedItem{Source: "x", SourceID: "1", Author: author, Text: PlainText(text), Link: link, MediaURL: link})
		if err != nil {
			return
		}
		for _, s := range []string{it.Text, it.Author, it.AuthorName} {
			if !utf8.ValidString(s) || s != strings.TrimSpace(s) {
				t.Fatalf("%q: invalid or untrimmed", s)
			}
			for _, r := range s {
				if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d' { // joiners are text (live.CleanText)
					t.Fatalf("%q keeps control or format rune %U", s, r)
				}
			}
		}
		if utf8.RuneCountInString(it.Text) > live.MaxFeedTextLen || utf8.RuneCountInString(it.Author) > live.MaxFeedAuthorLen {
			t.Fatalf("over the limits: %d, %d", utf8.RuneCountInString(it.Text), utf8.RuneCountInString(it.Author))
		}
		if it.Link != "" && !strings.HasPrefix(it.Link, "http://") && !strings.HasPrefix(it.Link, "https://") {
			t.Fatalf("link %q", it.Link)
		}
		if it.DedupKey == "" || it.DedupKey != DedupKey(it.Author, it.Text) {
			t.Fatal("dedup key unstable")
		}
	})
}

// FuzzJetstreamParse feeds arbitrary messages to the Jetstream parser: it
// never panics, and an item it returns carries the tag and an at:// id.
func FuzzJetstreamParse(f *testing.F) {
	f.Add([]byte(`{"did":"did:plc:b","time_us":1003,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"k3","record":{"text":"hello #Test!"}}}`))
	f.Add([]byte(`{"did":"d","time_us":1,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"k","record":{"text":"x","facets":[{"features":[{"$type":"app.bsky.richtext.facet#tag","tag":"#TEST"}]}],"embed":{"images":[{"image":{"ref":{"$link":"bafy"}}}]}}}}`))
	f.Add([]byte(`{"kind":"commit","commit":null}`))
	s := &JetstreamSource{Hashtag: "TEST"}
	f.Fuzz(func(t *testing.T, msg []byte) {
		it, timeUS, ok := s.parse(msg)
		if !ok {
			return
		}
		if timeUS == 0 && it.SourceID == "" || !strings.HasPrefix(it.SourceID, "at://") || it.Source != live.SourceBluesky {
			t.Fatalf("item %+v", it)
		}
		if _, err := Normalize(it); err != nil && it.Text != "" && strings.TrimSpace(it.Text) != "" {
			// A tagged post with text normalises unless its text is all control characters.
			if live.CleanText(it.Text, 0) != "" {
				t.Fatalf("normalise %+v: %v", it, err)
			}
		}
	})
}

// FuzzPlainText checks that PlainText never panics and drops whole tags.
func FuzzPlainText(f *testing.F) {
	f.Add("<p>Hi <a href='x'>#tag</a></p><script>evil()</script>")
	f.Fuzz(func(t *testing.T, s string) {
		out := PlainText(s)
		if strings.Contains(s, "<script>") && !strings.Contains(s, "&") && strings.Contains(out, "<script>") {
			t.Fatalf("%q kept a script tag: %q", s, out)
		}
	})
}
