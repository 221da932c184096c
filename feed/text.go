package feed

import (
	"crypto/sha256"
	"encoding/hex"
	"html"
	"net/url"
	"strings"
	"unicode"

	"github.com/ovation-live/ovation/live"
)

// PlainText turns a source's HTML (Mastodon's content) into plain text:
// tags are dropped (their content kept, except script and style), <br> and
// block ends become spaces, entities are decoded once. The result is text for
// pages to escape, never markup to insert.
func PlainText(s string) string {
	var b strings.Builder
	skip := "" // inside <script> or <style>: drop until its end tag
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			if skip == "" {
				b.WriteString(s)
			}
			break
		}
		if skip == "" {
			b.WriteString(s[:i])
		}
		s = s[i:]
		j := strings.IndexByte(s, '>')
		if j < 0 { // an unclosed tag: drop the rest
			break
		}
		tag := strings.ToLower(strings.TrimLeft(s[1:j], "/ "))
		name := tag
		if k := strings.IndexAny(tag, " \t\n/"); k >= 0 {
			name = tag[:k]
		}
		closing := strings.HasPrefix(s, "</")
		switch {
		case skip != "":
			if closing && name == skip {
				skip = ""
			}
		case !closing && (name == "script" || name == "style"):
			skip = name
		case name == "br" || name == "p" || name == "div" || name == "li":
			b.WriteByte(' ')
		}
		s = s[j+1:]
	}
	return html.UnescapeString(b.String())
}

// cleanURL keeps u if it is an absolute http(s) URL of reasonable length,
// and returns "" otherwise, so that no javascript: or data: link reaches a page.
func cleanURL(u string) string {
	u = strings.TrimSpace(u)
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || len(u) > live.MaxFeedURLLen {
		return ""
	}
	return p.String()
}

// authorKey is how rules and dedup name an author: lower case, without a
// leading "@"; for a Mastodon account "alice@host", the handle and the host.
func authorKey(author string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(author), "@"))
}

// DedupKey identifies the same post seen twice, on one source or across
// sources (a cross-post, a webhook relaying a tweet): a hash of the author's
// local handle (before any "@host") and the text folded to lower-case
// letters and digits, with links removed.
func DedupKey(author, text string) string {
	local, _, _ := strings.Cut(authorKey(author), "@")
	var b strings.Builder
	b.WriteString(local)
	b.WriteByte(0)
	for _, w := range strings.Fields(strings.ToLower(text)) {
		if strings.HasPrefix(w, "http://") || strings.HasPrefix(w, "https://") {
			continue
		}
		for _, r := range w {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				b.WriteRune(r)
			}
		}
		b.WriteByte(' ')
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:16])
}

// Normalize cleans an item from a source into its stored form: plain text
// fields within their limits, http(s) links only, a dedup key. It returns an
// invalid error when nothing usable remains (no text, no author, no id).
func Normalize(it live.FeedItem) (live.FeedItem, error) {
	it.Text = live.CleanText(it.Text, live.MaxFeedTextLen)
	it.Author = live.CleanText(it.Author, live.MaxFeedAuthorLen)
	it.AuthorName = live.CleanText(it.AuthorName, live.MaxFeedAuthorLen)
	it.SourceID = live.CleanText(it.SourceID, 200)
	it.Link, it.MediaURL = cleanURL(it.Link), cleanURL(it.MediaURL)
	switch {
	case it.Text == "":
		return it, live.FieldErrorf("text", "A post needs some text.")
	case it.Author == "":
		return it, live.FieldErrorf("author", "A post needs an author.")
	case it.SourceID == "":
		return it, live.FieldErrorf("id", "A post needs its source id.")
	}
	if it.AuthorName == "" {
		it.AuthorName = it.Author
	}
	it.DedupKey = DedupKey(it.Author, it.Text)
	return it, nil
}

// htmlUnescape decodes the entities X escapes in tweet text (&amp; &lt; &gt;).
func htmlUnescape(s string) string { return html.UnescapeString(s) }
