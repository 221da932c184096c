package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/ovation-live/ovation/live"
)

// TestOpenTextUpvotesOverHTTP upvotes an open-text answer over HTTP: PUT
// and DELETE are idempotent, bad requests are refused with their error
// and change nothing, and GET /api/me tells each phone its own answer's
// state and what it upvoted.
func TestOpenTextUpvotesOverHTTP(t *testing.T) {
	ts := newTestServer(t, Config{})
	f := newFixture(t, ts, "TEXT")
	var poll live.Poll
	ts.mod(t, "POST", "/api/events/TEXT/polls", map[string]any{"room_id": f.RoomID, "question": "Your takeaway?", "kind": "opentext",
		"settings": map[string]any{"moderation": "post", "order": "top"}, "show_results": true}, &poll)
	ts.mod(t, "POST", fmt.Sprintf("/api/polls/%d/actions/close", f.PollID), nil, nil) // one open poll per room
	ts.mod(t, "POST", fmt.Sprintf("/api/polls/%d/actions/open", poll.ID), nil, nil)
	target := fmt.Sprintf("poll:%d", poll.ID)
	alice, bob := ts.join(t, "TEXT", nil), ts.join(t, "TEXT", nil)
	r := ts.do(t, "POST", "/api/votes", map[string]any{"vote_id": "a1", "target": target, "answer": "Ship small"}, bearer(alice.Token)...)
	if r.Status != http.StatusOK {
		t.Fatalf("answer: %d %s", r.Status, r.Body)
	}
	me := func(token string) (out struct {
		Answers map[string]live.OpenTextMine `json:"answers"`
	}) {
		r := ts.do(t, "GET", "/api/me", nil, bearer(token)...)
		if r.Status != http.StatusOK || json.Unmarshal(r.Body, &out) != nil {
			t.Fatalf("me: %d %s", r.Status, r.Body)
		}
		return out
	}
	mine := me(alice.Token).Answers[target]
	if len(mine.ID) != 16 || mine.State != live.TextApproved {
		t.Fatalf("alice's answer: %+v", mine)
	}
	path := fmt.Sprintf("/api/polls/%d/answers/%s/upvote", poll.ID, mine.ID)
	for _, bad := range []struct {
		name, method, path string
		token              string
		status             int
		code               string
	}{
		{"no token", "PUT", path, "", http.StatusUnauthorized, live.EUnauthorized},
		{"one's own answer", "PUT", path, alice.Token, http.StatusForbidden, live.EForbidden},
		{"a bad answer id", "PUT", fmt.Sprintf("/api/polls/%d/answers/x'1/upvote", poll.ID), bob.Token, http.StatusNotFound, live.ENotFound},
		{"no such answer", "PUT", fmt.Sprintf("/api/polls/%d/answers/0123456789abcdef/upvote", poll.ID), bob.Token, http.StatusNotFound, live.ENotFound},
		{"a choices poll", "PUT", fmt.Sprintf("/api/polls/%d/answers/%s/upvote", f.PollID, mine.ID), bob.Token, http.StatusBadRequest, live.EInvalid},
		{"no such poll", "PUT", fmt.Sprintf("/api/polls/999/answers/%s/upvote", mine.ID), bob.Token, http.StatusNotFound, live.ENotFound},
	} {
		var hdr []string
		if bad.token != "" {
			hdr = bearer(bad.token)
		}
		wantError(t, ts.do(t, bad.method, bad.path, nil, hdr...), bad.status, bad.code)
	}
	upvote := func(method string) map[string]any {
		var out map[string]any
		r := ts.do(t, method, path, nil, bearer(bob.Token)...)
		if r.Status != http.StatusOK || json.Unmarshal(r.Body, &out) != nil {
			t.Fatalf("%s upvote: %d %s", method, r.Status, r.Body)
		}
		return out
	}
	for range 2 {
		if out := upvote("PUT"); out["upvotes"] != 1.0 || out["upvoted"] != true || out["answer_id"] != mine.ID {
			t.Fatalf("upvote: %v", out)
		}
	}
	if got := me(bob.Token).Answers[target]; len(got.Upvoted) != 1 || got.Upvoted[0] != mine.ID || got.ID != "" {
		t.Fatalf("bob is told %+v", got)
	}
	for range 2 {
		if out := upvote("DELETE"); out["upvotes"] != 0.0 || out["upvoted"] != false {
			t.Fatalf("withdraw: %v", out)
		}
	}
	if got, ok := me(bob.Token).Answers[target]; ok {
		t.Fatalf("bob is told %+v after withdrawing", got)
	}
}
