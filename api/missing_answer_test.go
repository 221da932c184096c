package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ovation-live/ovation/live"
)

// TestMissingAnswer sends a vote with no answer (no value, value 0, or
// "answer":null) to an open target of every kind: each is refused with
// bad_value, field value, and the kind's own message for a wrong answer,
// as docs/protocol.md §9 lists them.
func TestMissingAnswer(t *testing.T) {
	ts := newTestServer(t, Config{})
	f := newFixture(t, ts, "NONE")
	open := f.PollID
	for i, tc := range []struct {
		kind string
		poll map[string]any // nil: the fixture's open pitch (a scale of 5)
		want string
	}{
		{"pitch", nil, "Vote value must be from 1 to 5."},
		{"choices", map[string]any{"kind": "choices", "choices": []string{"A", "B", "C"}}, "Vote value must be from 1 to 3."},
		{"scale", map[string]any{"kind": "scale", "scale_max": 7}, "Vote value must be from 1 to 7."},
		{"multiple", map[string]any{"kind": "multiple", "choices": []string{"A", "B", "C"}, "settings": map[string]any{"max_picks": 2}},
			"An answer is a list of 1 to 2 different choices, from 1 to 3."},
		{"wordcloud", map[string]any{"kind": "wordcloud"}, "An answer is a list of 1 to 3 words or short phrases."},
		{"ranking", map[string]any{"kind": "ranking", "choices": []string{"A", "B", "C"}},
			"A ranking is the list of the items' numbers, 1 to 3, each once, best first."},
		{"opentext", map[string]any{"kind": "opentext"}, `An answer is a text, as a JSON string: "Great talk".`},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			p := ts.join(t, "NONE", nil) // a participant per kind: the vote rate limit counts refused votes too
			target := f.openPitch()
			if tc.poll != nil {
				var poll live.Poll
				tc.poll["room_id"], tc.poll["question"] = f.RoomID, "Question "+tc.kind
				ts.mod(t, "POST", "/api/events/NONE/polls", tc.poll, &poll)
				ts.mod(t, "POST", fmt.Sprintf("/api/polls/%d/actions/close", open), nil, nil) // one open poll per room
				ts.mod(t, "POST", fmt.Sprintf("/api/polls/%d/actions/open", poll.ID), nil, nil)
				open, target = poll.ID, fmt.Sprintf("poll:%d", poll.ID)
			}
			for j, body := range []string{`{"vote_id":"%s","target":"%s"}`, `{"vote_id":"%s","target":"%s","value":0}`, `{"vote_id":"%s","target":"%s","answer":null}`} {
				r := ts.do(t, "POST", "/api/votes", fmt.Sprintf(body, fmt.Sprint("v", i, j), target), bearer(p.Token)...)
				wantError(t, r, http.StatusBadRequest, live.EBadValue)
				if want := fmt.Sprintf(`"message":%q,"field":"value"`, tc.want); !strings.Contains(string(r.Body), want) {
					t.Errorf("%s: %s, want the message %q", body, r.Body, tc.want)
				}
			}
		})
	}
}
