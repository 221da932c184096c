package live_test

import (
	"encoding/json"
	"testing"

	"github.com/ovation-live/ovation/live"
)

func TestMultipleDefinition(t *testing.T) {
	choices := []string{"Talks", "Food", "Venue", "Wi-Fi"}
	t.Run("max_picks_defaults_to_every_choice", func(t *testing.T) {
		p := live.Poll{Question: "What worked?", Kind: live.PollMultiple, Choices: choices}
		wantCode(t, p.Validate(), "")
		if string(p.Settings) != `{"max_picks":4}` {
			t.Fatalf("settings = %s", p.Settings)
		}
	})
	for _, tc := range []struct {
		name, settings, field string
	}{
		{"zero_picks_is_every_choice", `{"max_picks":0}`, ""},
		{"two_picks_pass", ` {"max_picks": 2} `, ""},
		{"more_picks_than_choices_are_refused", `{"max_picks":5}`, "settings.max_picks"},
		{"negative_picks_are_refused", `{"max_picks":-1}`, "settings.max_picks"},
		{"an_unknown_setting_is_refused", `{"max_pick":2}`, "settings"},
		{"a_list_is_refused", `[2]`, "settings"},
		{"a_string_is_refused", `"2"`, "settings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := live.Poll{Question: "What worked?", Kind: live.PollMultiple, Choices: choices, Settings: json.RawMessage(tc.settings)}
			if tc.field == "" {
				wantCode(t, p.Validate(), "")
			} else {
				wantField(t, p.Validate(), tc.field)
			}
		})
	}
	t.Run("one_choice_is_refused", func(t *testing.T) {
		p := live.Poll{Question: "Q", Kind: live.PollMultiple, Choices: []string{"Only"}}
		wantField(t, p.Validate(), "choices")
	})
	t.Run("settings_on_a_single_choice_poll_are_refused", func(t *testing.T) {
		p := live.Poll{Question: "Q", Kind: live.PollChoices, Choices: choices, Settings: json.RawMessage(`{"max_picks":2}`)}
		wantField(t, p.Validate(), "settings")
	})
}

func TestMultipleAnswer(t *testing.T) {
	q := live.Question{Kind: live.PollMultiple, Choices: []string{"A", "B", "C", "D"}, Settings: json.RawMessage(`{"max_picks":2}`)}
	for _, tc := range []struct {
		raw, want string
	}{
		{"[3,1]", "[1,3]"},
		{" [ 2 ] ", "[2]"},
		{"[4,3]", "[3,4]"},
	} {
		got, err := live.CheckAnswer(q, live.Answer(tc.raw))
		if err != nil || string(got) != tc.want {
			t.Errorf("CheckAnswer(%s) = %s, %v; want %s", tc.raw, got, err, tc.want)
		}
	}
	for _, raw := range []string{"[]", "[1,2,3]", "[1,1]", "[0]", "[5]", "[1.5]", `["A"]`, "2", `{"a":1}`, "null"} {
		if _, err := live.CheckAnswer(q, live.Answer(raw)); live.ErrorCode(err) != live.EBadValue {
			t.Errorf("CheckAnswer(%s): %v, want bad_value", raw, err)
		}
	}
}
