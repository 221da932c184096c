package feed

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ovation-live/ovation/live"
)

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

// authorListed reports whether list holds the item's author, as
// "source:author" or as "author" alone.
func authorListed(list []string, source, author string) bool {
	a := authorKey(author)
	for _, e := range list {
		if e == a || e == source+":"+a {
			return true
		}
	}
	return false
}

// Arrival decides the state an item enters with, by the event's settings,
// in this order: a blocked author or a blocklisted word rejects it; an
// allowlisted author approves it; post-moderation approves it; otherwise it
// waits for a moderator. It returns the status and the reason.
func Arrival(s *live.FeedSettings, it *live.FeedItem) (status, reason string) {
	if authorListed(s.BlockedAuthors, it.Source, it.Author) {
		return live.FeedRejected, "blocked_author"
	}
	for _, k := range s.Blocklist {
		if ContainsWord(it.Text, k) || ContainsWord(it.AuthorName, k) || ContainsWord(it.Author, k) {
			return live.FeedRejected, "keyword"
		}
	}
	if authorListed(s.Allowlist, it.Source, it.Author) {
		return live.FeedApproved, "allowlist"
	}
	if s.Moderation == live.ModerationPost {
		return live.FeedApproved, "post_moderation"
	}
	return live.FeedPending, ""
}
