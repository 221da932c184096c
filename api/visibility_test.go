package api

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/ovation-live/ovation/live"
)

func TestPollVisibilityFields(t *testing.T) {
	ts := newTestServer(t, Config{})
	f := newFixture(t, ts, "VIS")
	polls := "/api/events/" + f.Code + "/polls"
	t.Run("results_and_correct_are_kept", func(t *testing.T) {
		var p live.Poll
		ts.mod(t, "POST", polls, map[string]any{"room_id": f.RoomID, "question": "Capital of Peru?", "kind": "choices",
			"choices": []string{"Quito", "Lima", "Bogotá"}, "results": "closed", "correct": []int{2}}, &p)
		if p.Results != live.ResultsClosed || !slices.Equal(p.Correct, []int{2}) || p.CorrectRevealed {
			t.Fatalf("created poll = %+v", p)
		}
		var def live.Poll
		ts.mod(t, "POST", polls, map[string]any{"room_id": f.RoomID, "question": "Lunch?", "kind": "choices", "choices": []string{"A", "B"}}, &def)
		if def.Results != live.ResultsReveal || def.Correct != nil {
			t.Fatalf("default poll = %+v, want results reveal and no correct answer", def)
		}
		var changed live.Poll
		ts.mod(t, "PATCH", fmt.Sprintf("/api/polls/%d", p.ID), map[string]any{"kind": "scale", "scale_max": 5}, &changed)
		if changed.Correct != nil {
			t.Fatalf("a kind change kept the correct answer: %+v", changed)
		}
	})
	for _, tc := range []struct {
		name, body, field string
	}{
		{"bad_results_names_the_field", `{"results":"later"}`, "results"},
		{"bad_correct_names_the_field", `{"correct":[0]}`, "correct"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := ts.state(t, f.Code)
			r := ts.do(t, "PATCH", fmt.Sprintf("/api/polls/%d", f.PollID), tc.body, bearer(ts.Token)...)
			wantError(t, r, 400, live.EInvalid)
			var b errorBody
			if err := json.Unmarshal(r.Body, &b); err != nil || b.Error.Field != tc.field {
				t.Fatalf("field = %q, want %q (%s)", b.Error.Field, tc.field, r.Body)
			}
			if ts.state(t, f.Code) != before {
				t.Fatal("a refused edit changed the event")
			}
		})
	}
}
