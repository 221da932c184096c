package live_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ovation-live/ovation/live"
)

func openTextQ(settings string) live.Question {
	p := live.Poll{Question: "Your takeaway?", Kind: live.PollOpenText, Settings: json.RawMessage(settings)}
	if err := p.Validate(); err != nil {
		panic(err)
	}
	return p.Definition()
}

func TestOpenTextDefinition(t *testing.T) {
	t.Run("defaults_to_pre_moderation_newest_first", func(t *testing.T) {
		if q := openTextQ(""); string(q.Settings) != `{"moderation":"pre","order":"newest"}` {
			t.Fatalf("settings = %s", q.Settings)
		}
	})
	t.Run("post_moderation_and_top_order_are_kept", func(t *testing.T) {
		if q := openTextQ(`{"moderation":"post","order":"top"}`); string(q.Settings) != `{"moderation":"post","order":"top"}` {
			t.Fatalf("settings = %s", q.Settings)
		}
	})
	for _, tc := range []struct{ name, settings, field string }{
		{"an_unknown_moderation_is_refused", `{"moderation":"later"}`, "settings.moderation"},
		{"an_unknown_order_is_refused", `{"order":"oldest"}`, "settings.order"},
		{"an_unknown_setting_is_refused", `{"upvotes":true}`, "settings"},
		{"settings_that_are_not_an_object_are_refused", `[1]`, "settings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := live.Poll{Question: "Q", Kind: live.PollOpenText, Settings: json.RawMessage(tc.settings)}
			wantField(t, p.Validate(), tc.field)
		})
	}
	t.Run("choices_are_refused", func(t *testing.T) {
		p := live.Poll{Question: "Q", Kind: live.PollOpenText, Choices: []string{"a", "b"}}
		wantField(t, p.Validate(), "choices")
	})
}

func TestOpenTextAnswer(t *testing.T) {
	q := openTextQ("")
	for _, tc := range []struct{ raw, want string }{
		{`"Great talk"`, `"Great talk"`},
		{`"  More\n\nDemos \u202eplease\t "`, `"More Demos please"`},   // one line, controls stripped
		{`"<script>alert(1)</script>"`, `"<script>alert(1)</script>"`}, // text, kept as sent
	} {
		got, err := live.CheckAnswer(q, live.Answer(tc.raw))
		if err != nil || string(got) != tc.want {
			t.Errorf("CheckAnswer(%s) = %s, %v; want %s", tc.raw, got, err, tc.want)
		}
	}
	// 280 characters, not bytes: accented letters and emoji count once.
	for _, r := range []string{"é", "🎤"} {
		v := live.Vote{VoteID: "v", Answer: live.Answer(`"` + strings.Repeat(r, 280) + `"`)}
		if err := v.ValidateShape(); err != nil {
			t.Errorf("280 × %s: %v", r, err)
		}
		if _, err := live.CheckAnswer(q, v.Answer); err != nil {
			t.Errorf("280 × %s: %v", r, err)
		}
	}
	for _, raw := range []string{`""`, `" \n\u200b "`, `"` + strings.Repeat("x", 281) + `"`, `["text"]`, `3`, `{"text":"x"}`, `null`, `"unterminated`} {
		_, err := live.CheckAnswer(q, live.Answer(raw))
		if live.ErrorCode(err) != live.EBadValue {
			t.Errorf("CheckAnswer(%.40s): %v, want bad_value", raw, err)
		} else if live.ErrorMessage(err) == "" {
			t.Errorf("CheckAnswer(%.40s): no message", raw)
		}
	}
}
