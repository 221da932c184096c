package live_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ovation-live/ovation/live"
)

func gridPoll(max int, statements ...string) *live.Poll {
	return &live.Poll{Question: "Rate the talk", Kind: live.PollGrid, Choices: statements, ScaleMax: max}
}

func TestGridDefinition(t *testing.T) {
	t.Run("one_to_twelve_statements_on_5_to_10_pass", func(t *testing.T) {
		twelve := make([]string, 12)
		for i := range twelve {
			twelve[i] = strings.Repeat("s", i+1)
		}
		wantCode(t, gridPoll(5, "Content").Validate(), "")
		wantCode(t, gridPoll(10, twelve...).Validate(), "")
	})
	t.Run("statements_and_ends_are_cleaned", func(t *testing.T) {
		p := gridPoll(5, "  Content ", "Speaker")
		p.Settings = json.RawMessage(`{"low":" Poor ","high":"Excellent"}`)
		wantCode(t, p.Validate(), "")
		if !reflect.DeepEqual(p.Choices, []string{"Content", "Speaker"}) || string(p.Settings) != `{"low":"Poor","high":"Excellent"}` || p.ScaleMax != 5 {
			t.Fatalf("poll = %+v settings %s", p, p.Settings)
		}
	})
	t.Run("empty_settings_are_dropped", func(t *testing.T) {
		p := gridPoll(7, "Content")
		p.Settings = json.RawMessage(`{}`)
		wantCode(t, p.Validate(), "")
		if p.Settings != nil {
			t.Fatalf("settings = %s, want none", p.Settings)
		}
	})
	withSettings := func(s string) *live.Poll {
		p := gridPoll(5, "Content")
		p.Settings = json.RawMessage(s)
		return p
	}
	for _, tc := range []struct {
		name  string
		p     *live.Poll
		field string
	}{
		{"no_statement_is_refused", gridPoll(5), "choices"},
		{"thirteen_statements_are_refused", gridPoll(5, "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13"), "choices"},
		{"an_empty_statement_is_refused", gridPoll(5, "Content", " "), "choices[1]"},
		{"a_repeated_statement_is_refused", gridPoll(5, "Content", "content"), "choices[1]"},
		{"a_long_statement_is_refused", gridPoll(5, strings.Repeat("x", 201)), "choices[0]"},
		{"a_scale_of_four_is_refused", gridPoll(4, "Content"), "scale_max"},
		{"a_scale_of_eleven_is_refused", gridPoll(11, "Content"), "scale_max"},
		{"unknown_settings_are_refused", withSettings(`{"left":"Poor"}`), "settings"},
		{"a_long_end_word_is_refused", withSettings(`{"high":"` + strings.Repeat("x", 41) + `"}`), "settings.high"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantField(t, tc.p.Validate(), tc.field) })
	}
}

func TestGridAnswer(t *testing.T) {
	q := live.Question{Kind: live.PollGrid, Choices: []string{"Content", "Speaker", "Slides"}, ScaleMax: 5}
	for _, tc := range []struct{ raw, want string }{
		{`{"1":4,"2":null,"3":5}`, `{"1":4,"2":null,"3":5}`},
		{` { "3" : 1 , "1" : 5, "2": 2 } `, `{"1":5,"2":2,"3":1}`},
		{`{"1":null,"2":null,"3":1}`, `{"1":null,"2":null,"3":1}`},
	} {
		got, err := live.CheckAnswer(q, live.Answer(tc.raw))
		if err != nil || string(got) != tc.want {
			t.Errorf("CheckAnswer(%s) = %s, %v; want %s", tc.raw, got, err, tc.want)
		}
	}
	shape := `A rating grid's answer is an object from each statement's number to its value (1 to 5) or null to skip it: {"1":4,"2":null}.`
	value := func(i int) string {
		return "Statement " + string(rune('0'+i)) + " takes a value from 1 to 5, or null to skip it."
	}
	for _, tc := range []struct{ name, raw, message string }{
		{"a_missing_statement", `{"1":4,"3":5}`, "Statement 2 is missing: rate it or skip it (null)."},
		{"every_statement_skipped", `{"1":null,"2":null,"3":null}`, "Rate at least one statement: every statement is skipped."},
		{"an_unknown_statement", `{"1":4,"2":4,"3":4,"4":4}`, `There is no statement "4": statements go from 1 to 3.`},
		{"statement_zero", `{"0":4,"1":4,"2":4}`, `There is no statement "0": statements go from 1 to 3.`},
		{"a_padded_statement", `{"01":4,"2":4,"3":4}`, `There is no statement "01": statements go from 1 to 3.`},
		{"a_repeated_statement", `{"1":4,"1":3,"2":4,"3":4}`, "Statement 1 is answered twice."},
		{"a_value_too_high", `{"1":6,"2":4,"3":4}`, value(1)},
		{"a_value_of_zero", `{"1":4,"2":0,"3":4}`, value(2)},
		{"a_fraction", `{"1":4,"2":4,"3":4.5}`, value(3)},
		{"a_string_value", `{"1":"4","2":4,"3":4}`, value(1)},
		{"a_list", `[4,4,4]`, shape},
		{"a_number", `4`, shape},
		{"null", `null`, shape},
		{"trailing_data", `{"1":4,"2":4,"3":4} {}`, "A rating grid's answer is one object, with nothing after it."},
		{"an_unclosed_object", `{"1":4,"2":4,"3":4`, "A rating grid's answer is not valid JSON."},
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

func TestGridTally(t *testing.T) {
	q := live.Question{Kind: live.PollGrid, Choices: []string{"Content", "Speaker"}, ScaleMax: 5}
	tally := live.NewTally(q)
	vote := func(a string, jury bool) live.Vote { return live.Vote{Answer: live.Answer(a), Jury: jury} }
	tally.Move("", vote(`{"1":4,"2":null}`, false))
	tally.Move("", vote(`{"1":2,"2":5}`, false))
	tally.Move("", vote(`{"1":1,"2":1}`, false))
	tally.Move(`{"1":1,"2":1}`, vote(`{"1":5,"2":3}`, false)) // a changed answer
	tally.Move("", vote(`{"1":3,"2":3}`, true))
	if tally.Total() != 4 {
		t.Fatalf("total = %d, want 4", tally.Total())
	}
	res := tally.Results().(live.GridResults)
	if res.Respondents != 3 || res.JuryRespondents != 1 {
		t.Fatalf("respondents = %d + %d jury, want 3 + 1", res.Respondents, res.JuryRespondents)
	}
	s1, s2 := res.Statements[0], res.Statements[1]
	if !reflect.DeepEqual(s1.Counts, []int64{0, 1, 0, 1, 1}) || s1.Count != 3 || s1.Mean != 3.667 || s1.Skipped != 0 {
		t.Errorf("statement 1 = %+v, want counts [0 1 0 1 1], 3 answers, mean 3.667", s1)
	}
	if !reflect.DeepEqual(s2.Counts, []int64{0, 0, 1, 0, 1}) || s2.Count != 2 || s2.Mean != 4 || s2.Skipped != 1 {
		t.Errorf("statement 2 = %+v, want counts [0 0 1 0 1], 2 answers, mean 4, 1 skip", s2)
	}
	if s2.Jury == nil || s2.Jury.Count != 1 || s2.Jury.Mean != 3 {
		t.Errorf("statement 2 jury = %+v, want one 3", s2.Jury)
	}
	var f live.GridFrame
	if err := json.Unmarshal(tally.Frame(live.Target{Kind: live.KindPoll, ID: 1}, live.FrameView{}, 0), &f); err != nil || !f.Hidden || f.Total != 4 || f.Statements != nil {
		t.Fatalf("hidden frame = %+v, %v; want the total only", f, err)
	}
	rows := tally.Rows(q)
	if len(rows) != 2*6+1 || rows[3] != (live.ExportRow{Item: "Content: 4", Audience: 1}) ||
		rows[11] != (live.ExportRow{Item: "Speaker: skipped", Audience: 1}) || rows[12] != (live.ExportRow{Item: "respondents", Audience: 3, Jury: 1}) {
		t.Fatalf("rows = %+v", rows)
	}
	tally.Reset()
	if tally.Total() != 0 || tally.Results().(live.GridResults).Statements[0].Count != 0 {
		t.Fatalf("after reset: %+v", tally.Results())
	}
}

func TestGridSameAnswers(t *testing.T) {
	q := live.Question{Kind: live.PollGrid, Choices: []string{"A", "B"}, ScaleMax: 5}
	relabelled := live.Question{Kind: live.PollGrid, Choices: []string{"C", "D"}, ScaleMax: 5}
	more := live.Question{Kind: live.PollGrid, Choices: []string{"A", "B", "C"}, ScaleMax: 5}
	if !q.SameAnswers(relabelled) || q.SameAnswers(more) {
		t.Fatal("a grid's answers stay valid when statements are relabelled, not when one is added")
	}
}

func FuzzGridAnswer(f *testing.F) {
	for _, s := range []string{`{"1":4,"2":null}`, `{"2":1,"1":5}`, `{"1":null,"2":null}`, `[1]`, `{"1":4,"2":4} x`, `{"1":1e0,"2":1}`} {
		f.Add(s)
	}
	q := live.Question{Kind: live.PollGrid, Choices: []string{"A", "B"}, ScaleMax: 5}
	f.Fuzz(func(t *testing.T, raw string) {
		a, err := live.CheckAnswer(q, live.Answer(raw))
		if err != nil {
			return
		}
		again, err := live.CheckAnswer(q, a)
		if err != nil || again != a {
			t.Fatalf("canonical %s checks as %s, %v", a, again, err)
		}
		tally := live.NewTally(q)
		tally.Move("", live.Vote{Answer: a})
		if tally.Total() != 1 {
			t.Fatalf("answer %s not counted", a)
		}
	})
}
