package feed

import "github.com/ovation-live/ovation/live"

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
		if live.ContainsWord(it.Text, k) || live.ContainsWord(it.AuthorName, k) || live.ContainsWord(it.Author, k) {
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
