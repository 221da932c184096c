package live_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ovation-live/ovation/live"
)

func TestRankingDefinition(t *testing.T) {
	poll := func(choices ...string) *live.Poll {
		return &live.Poll{Question: "Order these", Kind: live.PollRanking, Choices: choices}
	}
	t.Run("two_to_eight_items_pass", func(t *testing.T) {
		for _, items := range [][]string{{"A", "B"}, {"1", "2", "3", "4", "5", "6", "7", "8"}} {
			wantCode(t, poll(items...).Validate(), "")
		}
	})
	t.Run("items_are_cleaned_and_have_no_settings", func(t *testing.T) {
		p := poll("  Talks ", "Food", "Venue")
		wantCode(t, p.Validate(), "")
		if !reflect.DeepEqual(p.Choices, []string{"Talks", "Food", "Venue"}) || p.Settings != nil || p.ScaleMax != 0 {
			t.Fatalf("poll = %+v", p)
		}
	})
	for _, tc := range []struct {
		name  string
		p     *live.Poll
		field string
	}{
		{"one_item_is_refused", poll("Only"), "choices"},
		{"nine_items_are_refused", poll("1", "2", "3", "4", "5", "6", "7", "8", "9"), "choices"},
		{"an_empty_item_is_refused", poll("Talks", " "), "choices[1]"},
		{"a_repeated_item_is_refused", poll("Talks", "Food", "talks"), "choices[2]"},
		{"a_long_item_is_refused", poll("Talks", strings.Repeat("x", 81)), "choices[1]"},
		{"settings_are_refused", &live.Poll{Question: "Q", Kind: live.PollRanking, Choices: []string{"A", "B"}, Settings: json.RawMessage(`{"rank_top":1}`)}, "settings"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantField(t, tc.p.Validate(), tc.field) })
	}
	t.Run("empty_settings_pass", func(t *testing.T) {
		p := &live.Poll{Question: "Q", Kind: live.PollRanking, Choices: []string{"A", "B"}, Settings: json.RawMessage(`{}`)}
		wantCode(t, p.Validate(), "")
	})
}

func TestRankingAnswer(t *testing.T) {
	q := live.Question{Kind: live.PollRanking, Choices: []string{"Talks", "Food", "Venue", "Wi-Fi"}}
	for _, tc := range []struct{ raw, want string }{
		{"[2,1,4,3]", "[2,1,4,3]"},
		{" [ 1, 2, 3, 4 ] ", "[1,2,3,4]"},
		{"[4,3,2,1]", "[4,3,2,1]"},
	} {
		got, err := live.CheckAnswer(q, live.Answer(tc.raw))
		if err != nil || string(got) != tc.want {
			t.Errorf("CheckAnswer(%s) = %s, %v; want %s", tc.raw, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ name, raw, message string }{
		{"a_missing_item", "[2,1,4]", "Item 3 is missing: a ranking orders all 4 items."},
		{"a_repeated_item", "[2,1,2,3]", "Item 2 is ranked twice: each item goes in once."},
		{"too_many_items", "[1,2,3,4,1]", "Item 1 is ranked twice: each item goes in once."},
		{"an_item_out_of_range", "[1,2,3,5]", "There is no item 5: items go from 1 to 4."},
		{"item_zero", "[0,1,2,3]", "There is no item 0: items go from 1 to 4."},
		{"an_empty_list", "[]", "A ranking is the list of the items' numbers, 1 to 4, each once, best first."},
		{"a_fraction", "[1.5,2,3,4]", "A ranking is the list of the items' numbers, 1 to 4, each once, best first."},
		{"strings", `["1","2","3","4"]`, "A ranking is the list of the items' numbers, 1 to 4, each once, best first."},
		{"a_number", "2", "A ranking is the list of the items' numbers, 1 to 4, each once, best first."},
		{"an_object", `{"1":1}`, "A ranking is the list of the items' numbers, 1 to 4, each once, best first."},
		{"null", "null", "A ranking is the list of the items' numbers, 1 to 4, each once, best first."},
	} {
		t.Run(tc.name+"_is_a_bad_value", func(t *testing.T) {
			_, err := live.CheckAnswer(q, live.Answer(tc.raw))
			var le *live.Error
			if !errors.As(err, &le) || le.Code != live.EBadValue || le.Field != "value" || le.Message != tc.message {
				t.Fatalf("CheckAnswer(%s): %v, want bad_value %q", tc.raw, err, tc.message)
			}
		})
	}
}
