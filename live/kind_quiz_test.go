package live_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ovation-live/ovation/live"
)

func TestQuizPoints(t *testing.T) {
	T := 20 * time.Second
	for _, tc := range []struct {
		right bool
		t     time.Duration
		want  int64
	}{
		{true, 0, 1000},
		{true, 4300 * time.Millisecond, 892}, // 1000 × (1 − 4.3 / 40) = 892.5 → 500 × 4300 / 20000 = 107.5 rounds up to 108
		{true, 10 * time.Second, 750},
		{true, T, 500},
		{true, T + time.Second, 500}, // the time is taken within [0, T]
		{true, -time.Second, 1000},
		{false, time.Second, 0},
	} {
		if got := live.QuizPoints(tc.right, tc.t, T); got != tc.want {
			t.Errorf("QuizPoints(%v, %v, %v) = %d, want %d", tc.right, tc.t, T, got, tc.want)
		}
	}
}

func TestQuizDefinition(t *testing.T) {
	poll := func(settings string, correct ...int) *live.Poll {
		p := &live.Poll{Question: "Capital of Peru?", Kind: live.PollQuiz, QuizID: 1, Choices: []string{"Lima", "Quito", "Cusco"}, Correct: correct}
		if settings != "" {
			p.Settings = json.RawMessage(settings)
		}
		return p
	}
	t.Run("the_default_limit_is_twenty_seconds_and_results_show_at_the_reveal", func(t *testing.T) {
		p := poll("", 1)
		wantCode(t, p.Validate(), "")
		if string(p.Settings) != `{"time_limit_s":20}` || p.Results != live.ResultsClosed {
			t.Fatalf("poll = %+v, settings %s", p, p.Settings)
		}
	})
	t.Run("several_right_choices_pass_sorted", func(t *testing.T) {
		p := poll(`{"time_limit_s":5}`, 3, 1)
		wantCode(t, p.Validate(), "")
		if !reflect.DeepEqual(p.Correct, []int{1, 3}) {
			t.Fatalf("correct = %v", p.Correct)
		}
	})
	for _, tc := range []struct {
		name  string
		p     *live.Poll
		field string
	}{
		{"no_right_choice_is_refused", poll(""), "correct"},
		{"a_right_choice_out_of_range_is_refused", poll("", 4), "correct"},
		{"a_limit_under_five_seconds_is_refused", poll(`{"time_limit_s":4}`, 1), "settings.time_limit_s"},
		{"a_limit_over_five_minutes_is_refused", poll(`{"time_limit_s":301}`, 1), "settings.time_limit_s"},
		{"unknown_settings_are_refused", poll(`{"limit":10}`, 1), "settings"},
		{"one_choice_is_refused", &live.Poll{Question: "Q", Kind: live.PollQuiz, QuizID: 1, Choices: []string{"A"}, Correct: []int{1}}, "choices"},
		{"a_quiz_question_needs_its_quiz", &live.Poll{Question: "Q", Kind: live.PollQuiz, Choices: []string{"A", "B"}, Correct: []int{1}}, "quiz_id"},
		{"another_kind_is_in_no_quiz", &live.Poll{Question: "Q", Kind: live.PollChoices, QuizID: 1, Choices: []string{"A", "B"}}, "quiz_id"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantField(t, tc.p.Validate(), tc.field) })
	}
}

// FuzzQuizDefinition checks a quiz question's definition: accepted, it is
// canonical (a time limit in range, right choices sorted, distinct, in
// range, at least one) and validating it again changes nothing; refused,
// it is an EInvalid error naming a field of the definition.
func FuzzQuizDefinition(f *testing.F) {
	for _, seed := range []struct {
		settings string
		choices  int
		correct  []byte
	}{
		{`{"time_limit_s":20}`, 3, []byte{1}}, {``, 2, []byte{2, 1}}, {`{}`, 6, []byte{6, 1, 3}}, {`null`, 4, []byte{1}},
		{`{"time_limit_s":4}`, 3, []byte{1}}, {`{"time_limit_s":301}`, 3, []byte{1}}, {`{"time_limit_s":"20"}`, 3, []byte{1}},
		{`{"time_limit_s":20,"x":1}`, 3, []byte{1}}, {`{"time_limit_s":20} {}`, 3, []byte{1}}, {`[20]`, 3, []byte{1}},
		{`{"time_limit_s":1e1}`, 3, []byte{1}}, {`{"time_limit_s":20.5}`, 3, []byte{1}}, {`{"time_limit_s":20}`, 3, nil},
		{`{"time_limit_s":20}`, 3, []byte{4}}, {`{"time_limit_s":20}`, 3, []byte{0}}, {`{"time_limit_s":20}`, 3, []byte{2, 2}},
		{`{"time_limit_s":20}`, 1, []byte{1}}, {`{"time_limit_s":20}`, 7, []byte{1}},
	} {
		f.Add(seed.settings, seed.choices, seed.correct)
	}
	fields := map[string]bool{"settings": true, "settings.time_limit_s": true, "correct": true, "choices": true}
	f.Fuzz(func(t *testing.T, settings string, choices int, correct []byte) {
		if choices < 0 || choices > 10 || len(correct) > 10 {
			return
		}
		p := &live.Poll{Question: "Q?", Kind: live.PollQuiz, QuizID: 1}
		for i := range choices {
			p.Choices = append(p.Choices, "Choice "+strconv.Itoa(i))
		}
		for _, c := range correct {
			p.Correct = append(p.Correct, int(int8(c)))
		}
		if settings != "" {
			p.Settings = json.RawMessage(settings)
		}
		err := p.Validate()
		if err != nil {
			var le *live.Error
			if !errors.As(err, &le) || le.Code != live.EInvalid || !fields[le.Field] {
				t.Fatalf("refusal %v (field %q) is not an invalid definition field", err, le.Field)
			}
			return
		}
		var s struct {
			TimeLimitS int `json:"time_limit_s"`
		}
		if json.Unmarshal(p.Settings, &s) != nil || s.TimeLimitS < live.MinQuizLimitS || s.TimeLimitS > live.MaxQuizLimitS ||
			string(p.Settings) != `{"time_limit_s":`+strconv.Itoa(s.TimeLimitS)+`}` {
			t.Fatalf("accepted settings %q became %s", settings, p.Settings)
		}
		if len(p.Correct) == 0 || !slices.IsSorted(p.Correct) || p.Correct[0] < 1 || p.Correct[len(p.Correct)-1] > len(p.Choices) ||
			len(slices.Compact(slices.Clone(p.Correct))) != len(p.Correct) {
			t.Fatalf("accepted right choices %v of %d", p.Correct, len(p.Choices))
		}
		again := *p
		if err := again.Validate(); err != nil || !reflect.DeepEqual(&again, p) {
			t.Fatalf("a canonical definition did not validate to itself: %v, %+v", err, again)
		}
	})
}

// FuzzQuizAnswer checks a quiz answer as a phone sends it: accepted, it
// is the canonical number of a choice, which is accepted as itself;
// refused, it is bad_value on the field value.
func FuzzQuizAnswer(f *testing.F) {
	for _, s := range []string{"1", "3", "0", "4", "-1", "01", "1.0", "1e0", " 2", "[1]", `"1"`, "null", "", "9223372036854775808", "２"} {
		f.Add(s)
	}
	q := live.Question{Kind: live.PollQuiz, Choices: []string{"Lima", "Quito", "Cusco"}, Settings: json.RawMessage(`{"time_limit_s":20}`), Correct: []int{1}}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := live.CheckAnswer(q, live.Answer(raw))
		if err != nil {
			var le *live.Error
			if !errors.As(err, &le) || le.Code != live.EBadValue || le.Field != "value" {
				t.Fatalf("CheckAnswer(%q): %v is not bad_value on value", raw, err)
			}
			return
		}
		if got != "1" && got != "2" && got != "3" {
			t.Fatalf("CheckAnswer(%q) = %q, not a choice's number", raw, got)
		}
		if again, err := live.CheckAnswer(q, got); err != nil || again != got {
			t.Fatalf("canonical %q checked again: %q, %v", got, again, err)
		}
	})
}
