package live_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ovation-live/ovation/live"
)

func cloudQ(settings string) live.Question {
	p := live.Poll{Question: "One word?", Kind: live.PollWordCloud, Settings: json.RawMessage(settings)}
	if err := p.Validate(); err != nil {
		panic(err)
	}
	return p.Definition()
}

func TestWordCloudDefinition(t *testing.T) {
	t.Run("defaults_are_three_words_post_moderated", func(t *testing.T) {
		if q := cloudQ(""); string(q.Settings) != `{"max_words":3,"moderation":"post"}` {
			t.Fatalf("settings = %s", q.Settings)
		}
	})
	for _, tc := range []struct{ name, settings, field string }{
		{"four_words_are_refused", `{"max_words":4}`, "settings.max_words"},
		{"an_unknown_moderation_is_refused", `{"moderation":"later"}`, "settings.moderation"},
		{"an_unknown_setting_is_refused", `{"words":2}`, "settings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := live.Poll{Question: "Q", Kind: live.PollWordCloud, Settings: json.RawMessage(tc.settings)}
			wantField(t, p.Validate(), tc.field)
		})
	}
	t.Run("choices_are_refused", func(t *testing.T) {
		p := live.Poll{Question: "Q", Kind: live.PollWordCloud, Choices: []string{"a", "b"}}
		wantField(t, p.Validate(), "choices")
	})
}

func TestWordCloudAnswer(t *testing.T) {
	q := cloudQ(`{"max_words":3}`)
	for _, tc := range []struct{ raw, want string }{
		{`["Cloud"]`, `["Cloud"]`},
		{`["  AI ", "ai", "Data\u202e Mesh"]`, `["AI","Data Mesh"]`}, // trimmed, one per folded word, controls stripped
		{`["Énergie","energie!"]`, `["Énergie"]`},
	} {
		got, err := live.CheckAnswer(q, live.Answer(tc.raw))
		if err != nil || string(got) != tc.want {
			t.Errorf("CheckAnswer(%s) = %s, %v; want %s", tc.raw, got, err, tc.want)
		}
	}
	for _, raw := range []string{`[]`, `["a","b","c","d"]`, `["` + strings.Repeat("x", 26) + `"]`, `["!!!"]`, `[" "]`, `"word"`, `[1]`, `{"w":"x"}`} {
		if _, err := live.CheckAnswer(q, live.Answer(raw)); live.ErrorCode(err) != live.EBadValue {
			t.Errorf("CheckAnswer(%s): %v, want bad_value", raw, err)
		}
	}
	// 25 characters, not bytes: accented letters count once.
	if _, err := live.CheckAnswer(q, live.Answer(`["`+strings.Repeat("é", 25)+`"]`)); err != nil {
		t.Errorf("25 accented letters: %v", err)
	}
}
