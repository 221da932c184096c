package live_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ovation-live/ovation/live"
)

// wantCode fails tb unless err carries the error code want ("" for no error).
func wantCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := live.ErrorCode(err); got != want {
		tb.Fatalf("error code = %q, want %q (err: %v)", got, want, err)
	}
}

// wantField fails tb unless err is an EInvalid *live.Error naming field.
func wantField(tb testing.TB, err error, field string) {
	tb.Helper()
	wantCode(tb, err, live.EInvalid)
	var le *live.Error
	if !errors.As(err, &le) || le.Field != field {
		tb.Fatalf("error field = %q, want %q (err: %v)", le.Field, field, err)
	}
}

// t0 is the fake clock's start: far from the real clock, so that any use of
// time.Now instead of the given time shows.
var t0 = time.Date(2031, 3, 14, 9, 0, 0, 0, time.UTC)

func TestErrorCode(t *testing.T) {
	t.Run("nil_has_no_code", func(t *testing.T) {
		if got := live.ErrorCode(nil); got != "" {
			t.Fatalf("ErrorCode(nil) = %q", got)
		}
		if got := live.ErrorMessage(nil); got != "" {
			t.Fatalf("ErrorMessage(nil) = %q", got)
		}
	})
	t.Run("wrapped_app_error_keeps_code_and_message", func(t *testing.T) {
		err := fmt.Errorf("context: %w", live.Errorf(live.EConflict, "taken %d", 7))
		wantCode(t, err, live.EConflict)
		if got := live.ErrorMessage(err); got != "taken 7" {
			t.Fatalf("ErrorMessage = %q", got)
		}
	})
	t.Run("other_error_is_internal_with_generic_message", func(t *testing.T) {
		err := errors.New("disk on fire at /secret/path")
		wantCode(t, err, live.EInternal)
		if got := live.ErrorMessage(err); strings.Contains(got, "secret") {
			t.Fatalf("ErrorMessage leaks detail: %q", got)
		}
	})
	t.Run("field_error_is_invalid", func(t *testing.T) {
		wantField(t, live.FieldErrorf("title", "bad"), "title")
	})
}

func validEvent() live.Event {
	return live.Event{Code: "TDAYS", Title: "Tech days", Languages: []string{"fr", "en"}, Color: "#5B3DF5",
		LogoURL: "https://example.com/logo.png", JuryCode: "JURY1", JuryWeight: 30}
}

func TestEventValidate(t *testing.T) {
	t.Run("valid_event_passes", func(t *testing.T) {
		e := validEvent()
		wantCode(t, e.Validate(), "")
	})
	t.Run("codes_are_normalized", func(t *testing.T) {
		e := validEvent()
		e.Code, e.JuryCode = "  tdays2 ", "jury9"
		wantCode(t, e.Validate(), "")
		if e.Code != "TDAYS2" || e.JuryCode != "JURY9" {
			t.Fatalf("codes = %q, %q; want TDAYS2, JURY9", e.Code, e.JuryCode)
		}
	})
	t.Run("defaults_fill_languages_and_color", func(t *testing.T) {
		e := validEvent()
		e.Languages, e.Color = nil, ""
		wantCode(t, e.Validate(), "")
		if len(e.Languages) != 2 || e.Languages[0] != "fr" || e.Languages[1] != "en" || e.Color != "#5B3DF5" {
			t.Fatalf("defaults = %v, %q", e.Languages, e.Color)
		}
	})
	t.Run("boundaries_are_accepted", func(t *testing.T) {
		for _, edit := range []func(*live.Event){
			func(e *live.Event) { e.Code = "ABC" },
			func(e *live.Event) { e.Code = "ABCDEFGHIJ12" },
			func(e *live.Event) { e.Title = strings.Repeat("é", live.MaxTitleLen) },
			func(e *live.Event) { e.Color = "#abcdef" },
			func(e *live.Event) { e.LogoURL = "" },
			func(e *live.Event) { e.LogoURL = "http://cdn.example.com/x.svg" },
			func(e *live.Event) { e.JuryCode = "" },
			func(e *live.Event) { e.JuryWeight = 0 },
			func(e *live.Event) { e.JuryWeight = 100 },
			func(e *live.Event) { e.Languages = []string{"en"} },
		} {
			e := validEvent()
			edit(&e)
			wantCode(t, e.Validate(), "")
		}
	})
	bad := []struct {
		name  string
		field string
		edit  func(*live.Event)
	}{
		{"empty_code_is_rejected", "code", func(e *live.Event) { e.Code = "" }},
		{"short_code_is_rejected", "code", func(e *live.Event) { e.Code = "AB" }},
		{"long_code_is_rejected", "code", func(e *live.Event) { e.Code = "ABCDEFGHIJKLM" }},
		{"code_with_symbols_is_rejected", "code", func(e *live.Event) { e.Code = "AB-CD" }},
		{"code_with_accents_is_rejected", "code", func(e *live.Event) { e.Code = "ÉTÉ24" }},
		{"empty_title_is_rejected", "title", func(e *live.Event) { e.Title = "" }},
		{"blank_title_is_rejected", "title", func(e *live.Event) { e.Title = " \t " }},
		{"long_title_is_rejected", "title", func(e *live.Event) { e.Title = strings.Repeat("x", live.MaxTitleLen+1) }},
		{"invalid_utf8_title_is_rejected", "title", func(e *live.Event) { e.Title = "ok\xff" }},
		{"unknown_language_is_rejected", "languages", func(e *live.Event) { e.Languages = []string{"fr", "de"} }},
		{"short_color_is_rejected", "color", func(e *live.Event) { e.Color = "#FFF" }},
		{"named_color_is_rejected", "color", func(e *live.Event) { e.Color = "red" }},
		{"non_hex_color_is_rejected", "color", func(e *live.Event) { e.Color = "#GG0000" }},
		{"color_without_hash_is_rejected", "color", func(e *live.Event) { e.Color = "5B3DF5" }},
		{"javascript_url_is_rejected", "logo_url", func(e *live.Event) { e.LogoURL = "javascript:alert(1)" }},
		{"relative_url_is_rejected", "logo_url", func(e *live.Event) { e.LogoURL = "/logo.png" }},
		{"url_without_host_is_rejected", "logo_url", func(e *live.Event) { e.LogoURL = "https://" }},
		{"ftp_url_is_rejected", "logo_url", func(e *live.Event) { e.LogoURL = "ftp://example.com/logo.png" }},
		{"overlong_url_is_rejected", "logo_url", func(e *live.Event) { e.LogoURL = "https://example.com/" + strings.Repeat("a", 500) }},
		{"bad_jury_code_is_rejected", "jury_code", func(e *live.Event) { e.JuryCode = "J!" }},
		{"jury_code_equal_to_event_code_is_rejected", "jury_code", func(e *live.Event) { e.JuryCode = "tdays" }},
		{"negative_jury_weight_is_rejected", "jury_weight", func(e *live.Event) { e.JuryWeight = -1 }},
		{"jury_weight_over_100_is_rejected", "jury_weight", func(e *live.Event) { e.JuryWeight = 101 }},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			e := validEvent()
			tc.edit(&e)
			wantField(t, e.Validate(), tc.field)
		})
	}
}

func TestFirstRoomName(t *testing.T) {
	for _, tc := range []struct {
		name  string
		langs []string
		want  string
	}{
		{"french_first_is_french", []string{"fr", "en"}, "Salle principale"},
		{"english_first_is_english", []string{"en", "fr"}, "Main stage"},
		{"no_language_is_english", nil, "Main stage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := live.Event{Languages: tc.langs}
			if got := e.FirstRoomName(); got != tc.want {
				t.Errorf("FirstRoomName() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRoomValidate(t *testing.T) {
	t.Run("named_room_passes", func(t *testing.T) {
		r := live.Room{Name: "Salle Turing"}
		wantCode(t, r.Validate(), "")
	})
	t.Run("longest_name_passes", func(t *testing.T) {
		r := live.Room{Name: strings.Repeat("ü", live.MaxNameLen)}
		wantCode(t, r.Validate(), "")
	})
	t.Run("blank_name_is_rejected", func(t *testing.T) {
		r := live.Room{Name: "   "}
		wantField(t, r.Validate(), "name")
	})
	t.Run("long_name_is_rejected", func(t *testing.T) {
		r := live.Room{Name: strings.Repeat("a", live.MaxNameLen+1)}
		wantField(t, r.Validate(), "name")
	})
}

func TestRoundValidate(t *testing.T) {
	t.Run("defaults_fill_scale_and_state", func(t *testing.T) {
		r := live.Round{Title: "Finals"}
		wantCode(t, r.Validate(), "")
		if r.Scale != live.DefaultScale || r.State != live.RoundPending {
			t.Fatalf("scale, state = %d, %q", r.Scale, r.State)
		}
	})
	t.Run("scale_bounds_pass", func(t *testing.T) {
		for _, s := range []int{2, live.MaxScale} {
			r := live.Round{Title: "Finals", Scale: s}
			wantCode(t, r.Validate(), "")
		}
	})
	for _, tc := range []struct {
		name, field string
		r           live.Round
	}{
		{"missing_title_is_rejected", "title", live.Round{Scale: 5}},
		{"long_title_is_rejected", "title", live.Round{Title: strings.Repeat("t", live.MaxTitleLen+1)}},
		{"scale_of_one_is_rejected", "scale", live.Round{Title: "R", Scale: 1}},
		{"negative_scale_is_rejected", "scale", live.Round{Title: "R", Scale: -3}},
		{"scale_over_max_is_rejected", "scale", live.Round{Title: "R", Scale: live.MaxScale + 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantField(t, tc.r.Validate(), tc.field)
		})
	}
}

func TestPitchValidate(t *testing.T) {
	t.Run("defaults_fill_duration_state_and_timer", func(t *testing.T) {
		p := live.Pitch{Team: "Acme"}
		wantCode(t, p.Validate(), "")
		if p.DurationS != live.DefaultPitchS || p.State != live.PitchPending || p.Timer.RemainingMS != live.DefaultPitchS*1000 || p.Timer.Running {
			t.Fatalf("defaults = %d %q %+v", p.DurationS, p.State, p.Timer)
		}
	})
	t.Run("paused_timer_is_kept", func(t *testing.T) {
		p := live.Pitch{Team: "Acme", DurationS: 60, Timer: live.Timer{RemainingMS: 1234}}
		wantCode(t, p.Validate(), "")
		if p.Timer.RemainingMS != 1234 {
			t.Fatalf("remaining = %d", p.Timer.RemainingMS)
		}
	})
	t.Run("bounds_pass", func(t *testing.T) {
		for _, p := range []live.Pitch{
			{Team: "A", DurationS: 10},
			{Team: "A", DurationS: live.MaxDuration},
			{Team: strings.Repeat("a", live.MaxTeamLen), Presenter: strings.Repeat("b", live.MaxNameLen)},
			{Team: "A", VideoURL: "https://video.example.com/watch?v=1"},
		} {
			wantCode(t, p.Validate(), "")
		}
	})
	for _, tc := range []struct {
		name, field string
		p           live.Pitch
	}{
		{"missing_team_is_rejected", "team", live.Pitch{Presenter: "Bob"}},
		{"long_team_is_rejected", "team", live.Pitch{Team: strings.Repeat("a", live.MaxTeamLen+1)}},
		{"long_presenter_is_rejected", "presenter", live.Pitch{Team: "A", Presenter: strings.Repeat("b", live.MaxNameLen+1)}},
		{"short_duration_is_rejected", "duration_s", live.Pitch{Team: "A", DurationS: 9}},
		{"negative_duration_is_rejected", "duration_s", live.Pitch{Team: "A", DurationS: -10}},
		{"long_duration_is_rejected", "duration_s", live.Pitch{Team: "A", DurationS: live.MaxDuration + 1}},
		{"non_http_video_is_rejected", "video_url", live.Pitch{Team: "A", VideoURL: "file:///etc/passwd"}},
		{"unparsable_video_is_rejected", "video_url", live.Pitch{Team: "A", VideoURL: "http://[::1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantField(t, tc.p.Validate(), tc.field)
		})
	}
}

func TestPollValidate(t *testing.T) {
	t.Run("choices_poll_passes_and_drops_scale", func(t *testing.T) {
		p := live.Poll{Question: "Lunch?", Kind: live.PollChoices, Choices: []string{"Yes", "No"}, ScaleMax: 7}
		wantCode(t, p.Validate(), "")
		if p.State != live.PollDraft || p.ScaleMax != 0 || len(p.Choices) != 2 {
			t.Fatalf("poll = %+v", p)
		}
	})
	t.Run("six_choices_pass", func(t *testing.T) {
		p := live.Poll{Question: "Pick", Kind: live.PollChoices, Choices: []string{"A", "B", "C", "D", "E", "F"}}
		wantCode(t, p.Validate(), "")
	})
	t.Run("scale_poll_passes_and_drops_choices", func(t *testing.T) {
		p := live.Poll{Question: "Rate", Kind: live.PollScale, ScaleMax: 10, Choices: []string{"x"}}
		wantCode(t, p.Validate(), "")
		if p.Choices != nil || p.ScaleMax != 10 {
			t.Fatalf("poll = %+v", p)
		}
	})
	for _, tc := range []struct {
		name, field string
		p           live.Poll
	}{
		{"missing_question_is_rejected", "question", live.Poll{Kind: live.PollScale, ScaleMax: 5}},
		{"long_question_is_rejected", "question", live.Poll{Question: strings.Repeat("q", 201), Kind: live.PollScale, ScaleMax: 5}},
		{"unknown_kind_is_rejected", "kind", live.Poll{Question: "Q", Kind: "trivia"}},
		{"empty_kind_is_rejected", "kind", live.Poll{Question: "Q"}},
		{"one_choice_is_rejected", "choices", live.Poll{Question: "Q", Kind: live.PollChoices, Choices: []string{"A"}}},
		{"seven_choices_are_rejected", "choices", live.Poll{Question: "Q", Kind: live.PollChoices, Choices: []string{"1", "2", "3", "4", "5", "6", "7"}}},
		{"blank_choice_is_rejected", "choices[1]", live.Poll{Question: "Q", Kind: live.PollChoices, Choices: []string{"A", " "}}},
		{"long_choice_is_rejected", "choices[0]", live.Poll{Question: "Q", Kind: live.PollChoices, Choices: []string{strings.Repeat("c", 81), "B"}}},
		{"scale_of_one_is_rejected", "scale_max", live.Poll{Question: "Q", Kind: live.PollScale, ScaleMax: 1}},
		{"scale_over_max_is_rejected", "scale_max", live.Poll{Question: "Q", Kind: live.PollScale, ScaleMax: live.MaxScale + 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantField(t, tc.p.Validate(), tc.field)
		})
	}
}

func TestVoteValidateShape(t *testing.T) {
	ok := live.Vote{VoteID: "v1", Answer: "1"}
	t.Run("valid_vote_passes", func(t *testing.T) {
		for _, v := range []live.Vote{ok, {VoteID: strings.Repeat("x", live.MaxVoteIDLen), Answer: live.Answer(strings.Repeat("1", live.MaxAnswerLen))}} {
			wantCode(t, v.ValidateShape(), "")
		}
	})
	t.Run("empty_vote_id_is_rejected", func(t *testing.T) {
		v := ok
		v.VoteID = ""
		wantField(t, v.ValidateShape(), "vote_id")
	})
	t.Run("long_vote_id_is_rejected", func(t *testing.T) {
		v := ok
		v.VoteID = strings.Repeat("x", live.MaxVoteIDLen+1)
		wantField(t, v.ValidateShape(), "vote_id")
	})
	t.Run("vote_id_length_counts_bytes", func(t *testing.T) {
		v := ok
		v.VoteID = strings.Repeat("😀", live.MaxVoteIDLen/4) // 16 characters, 64 bytes
		wantCode(t, v.ValidateShape(), "")
		v.VoteID = strings.Repeat("é", live.MaxVoteIDLen/2+1) // 33 characters, 66 bytes
		wantField(t, v.ValidateShape(), "vote_id")
	})
	t.Run("invalid_utf8_vote_id_is_rejected", func(t *testing.T) {
		v := ok
		v.VoteID = "\xc3"
		wantField(t, v.ValidateShape(), "vote_id")
	})
	t.Run("no_answer_or_a_long_one_is_bad_value", func(t *testing.T) {
		for _, a := range []live.Answer{"", live.Answer(strings.Repeat("1", live.MaxAnswerLen+1))} {
			v := ok
			v.Answer = a
			wantCode(t, v.ValidateShape(), live.EBadValue)
		}
	})
	t.Run("text_that_is_not_utf8_is_invalid", func(t *testing.T) {
		for _, a := range []live.Answer{"\"caf\xe9\xff\"", "[\"\xc3\"]", `"caf\ud800"`, `"\udc00x"`, `["\ud83d"]`, `"\ud83d\u0041"`, `"\ud83d\ud83d\ude00"`} {
			v := ok
			v.Answer = a
			wantField(t, v.ValidateShape(), "answer")
		}
	})
	t.Run("valid_text_passes", func(t *testing.T) {
		for _, a := range []live.Answer{`"café 😀"`, `"\ud83d\ude00"`, `"\\ud800"`, `"\\\ud83d\ude00"`, `"\u00e9\n\"\\"`, `["\uffff"]`} {
			v := ok
			v.Answer = a
			wantCode(t, v.ValidateShape(), "")
		}
	})
	t.Run("value_out_of_range_is_bad_value", func(t *testing.T) {
		for _, value := range []live.Answer{"0", "-1", "11", "2.5", `"5"`, "[1]"} {
			_, err := live.CheckAnswer(live.Question{Kind: live.PollScale, ScaleMax: live.MaxScale}, value)
			wantCode(t, err, live.EBadValue)
		}
	})
}

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want live.Target
	}{
		{"pitch:12", live.Target{Kind: live.KindPitch, ID: 12}},
		{"poll:3", live.Target{Kind: live.KindPoll, ID: 3}},
		{"pitch:9223372036854775807", live.Target{Kind: live.KindPitch, ID: 9223372036854775807}},
	} {
		t.Run("accepts_"+tc.in, func(t *testing.T) {
			got, err := live.ParseTarget(tc.in)
			wantCode(t, err, "")
			if got != tc.want {
				t.Fatalf("ParseTarget(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
			if got.String() != tc.in {
				t.Fatalf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
	for _, in := range []string{
		"", "pitch", "pitch:", ":12", "12", "pitch:0", "pitch:-1", "pitch:abc", "pitch:1.5",
		"pitch:12:1", "Pitch:12", "POLL:3", "round:1", "room:1", " pitch:12", "pitch:12 ",
		"pitch: 12", "pitch:9223372036854775808", "pitch:0x1f", "pitch:+12", "pitch:012",
	} {
		t.Run(fmt.Sprintf("rejects_%q", in), func(t *testing.T) {
			got, err := live.ParseTarget(in)
			wantField(t, err, "target")
			if got != (live.Target{}) {
				t.Fatalf("ParseTarget(%q) = %+v with an error", in, got)
			}
		})
	}
}

// FuzzParseTarget checks that ParseTarget never panics, rejects with EInvalid
// only, and accepts only the canonical text form of a target.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"pitch:12", "poll:3", "pitch:0", "poll:-7", "pitch:", ":1", "pitch:1:2",
		"poll:9223372036854775807", "poll:9223372036854775808", "round:4", "", "pitch:1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := live.ParseTarget(s)
		if err != nil {
			wantField(t, err, "target")
			return
		}
		if tg.Kind != live.KindPitch && tg.Kind != live.KindPoll {
			t.Fatalf("ParseTarget(%q) kind = %q", s, tg.Kind)
		}
		if tg.ID <= 0 {
			t.Fatalf("ParseTarget(%q) id = %d", s, tg.ID)
		}
		if tg.String() != s {
			t.Fatalf("ParseTarget(%q).String() = %q: accepted input does not round-trip", s, tg.String())
		}
		again, err := live.ParseTarget(tg.String())
		if err != nil || again != tg {
			t.Fatalf("ParseTarget(String()) = %+v, %v; want %+v", again, err, tg)
		}
	})
}

func TestTimer(t *testing.T) {
	t0 := time.Date(2031, 5, 4, 10, 0, 0, 0, time.UTC)
	t.Run("start_sets_deadline_from_remaining", func(t *testing.T) {
		tm := live.Timer{RemainingMS: 60_000}
		wantCode(t, tm.Start(t0), "")
		if !tm.Running || tm.DeadlineMS != t0.UnixMilli()+60_000 {
			t.Fatalf("timer = %+v", tm)
		}
	})
	t.Run("pause_keeps_time_left", func(t *testing.T) {
		tm := live.Timer{RemainingMS: 60_000}
		wantCode(t, tm.Start(t0), "")
		wantCode(t, tm.Pause(t0.Add(15*time.Second)), "")
		if tm.Running || tm.RemainingMS != 45_000 || tm.DeadlineMS != 0 {
			t.Fatalf("timer = %+v", tm)
		}
	})
	t.Run("pause_after_deadline_goes_negative", func(t *testing.T) {
		tm := live.Timer{RemainingMS: 1_000}
		wantCode(t, tm.Start(t0), "")
		wantCode(t, tm.Pause(t0.Add(3*time.Second)), "")
		if tm.RemainingMS != -2_000 {
			t.Fatalf("remaining = %d", tm.RemainingMS)
		}
	})
	t.Run("extend_moves_deadline_or_remaining", func(t *testing.T) {
		tm := live.Timer{RemainingMS: 1_000}
		tm.Extend(2 * time.Second)
		if tm.RemainingMS != 3_000 {
			t.Fatalf("paused extend: %+v", tm)
		}
		wantCode(t, tm.Start(t0), "")
		tm.Extend(-time.Second)
		if tm.DeadlineMS != t0.UnixMilli()+2_000 || tm.RemainingMS != 3_000 {
			t.Fatalf("running extend: %+v", tm)
		}
	})
	t.Run("double_start_is_a_transition_error", func(t *testing.T) {
		tm := live.Timer{RemainingMS: 1_000}
		wantCode(t, tm.Start(t0), "")
		before := tm
		wantCode(t, tm.Start(t0.Add(time.Second)), live.ETransition)
		if tm != before {
			t.Fatalf("timer changed: %+v -> %+v", before, tm)
		}
	})
	t.Run("pause_when_stopped_is_a_transition_error", func(t *testing.T) {
		tm := live.Timer{RemainingMS: 1_000}
		wantCode(t, tm.Pause(t0), live.ETransition)
		if tm != (live.Timer{RemainingMS: 1_000}) {
			t.Fatalf("timer changed: %+v", tm)
		}
	})
}
