package live_test

import (
	"encoding/json"
	"reflect"
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

// TestMultipleVotes runs a multiple-choice poll through the engine: the
// tally counts respondents and ticks per choice, a changed answer moves
// its ticks, the jury is kept apart, hidden results show the total only,
// and the export has a row per choice and the respondents.
func TestMultipleVotes(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	p, err := h.e.CreatePoll(ctx, "mod", h.ev.Code, &live.Poll{RoomID: h.room, Question: "What worked?", Kind: live.PollMultiple,
		Choices: []string{"Talks", "Food", "Venue"}, Settings: json.RawMessage(`{"max_picks":2}`), ShowResults: true})
	must(t, err)
	must(t, h.e.PollAction(ctx, "mod", p.ID, live.PollOpenAction))
	target := live.Target{Kind: live.KindPoll, ID: p.ID}
	a, b, j := h.join(t, false), h.join(t, false), h.join(t, true)
	vote := func(who live.Voter, id, answer, want string) {
		t.Helper()
		s, err := h.e.Vote(ctx, who, live.Vote{VoteID: id, Target: target, Answer: live.Answer(answer)})
		if err != nil || s.Status != want {
			t.Fatalf("vote %s %s: %q %v, want %s", id, answer, s.Status, err, want)
		}
	}
	vote(a, "a1", "[2,1]", live.VoteCounted)
	vote(b, "b1", "[2]", live.VoteCounted)
	vote(j, "j1", "[3]", live.VoteCounted)
	vote(a, "a2", "[1,3]", live.VoteChanged)
	vote(a, "a2", "[3,1]", live.VoteDuplicate) // the same answer, in another order
	if _, err := h.e.Vote(ctx, b, live.Vote{VoteID: "b2", Target: target, Answer: "[1,2,3]"}); live.ErrorCode(err) != live.EBadValue {
		t.Fatalf("three picks of two: %v, want bad_value", err)
	}
	if my := h.e.MyVotes(a); my[target.String()] != "[1,3]" {
		t.Fatalf("MyVotes = %v", my)
	}
	h.e.FlushTallies()
	var f live.MultipleFrame
	h.pub.last(t, live.RoomTopic(h.room), "tally:"+target.String(), &f)
	if f.Total != 3 || f.Respondents != 2 || !reflect.DeepEqual(f.Counts, []int64{1, 1, 1}) || f.JuryRespondents != 1 || !reflect.DeepEqual(f.JuryCounts, []int64{0, 0, 1}) {
		t.Fatalf("frame = %+v", f)
	}
	must(t, h.e.PollAction(ctx, "mod", p.ID, live.HideResults))
	h.e.FlushTallies()
	f = live.MultipleFrame{}
	h.pub.last(t, live.RoomTopic(h.room), "tally:"+target.String(), &f)
	if !f.Hidden || f.Total != 3 || f.Counts != nil || f.Respondents != 0 {
		t.Fatalf("hidden frame = %+v", f)
	}
	res := h.results(t)
	for _, pr := range res.Polls {
		if pr.Poll.ID != p.ID {
			continue
		}
		r := pr.Results.(live.MultipleResults)
		if r.Respondents != 2 || !reflect.DeepEqual(r.Counts, []int64{1, 1, 1}) || r.JuryRespondents != 1 {
			t.Fatalf("results = %+v", r)
		}
		if n := len(pr.Rows); n != 4 || pr.Rows[3].Item != "respondents" || pr.Rows[0].Item != "A Talks" || pr.Rows[2].Jury != 1 {
			t.Fatalf("rows = %+v", pr.Rows)
		}
		b, err := json.Marshal(pr)
		must(t, err)
		var back map[string]json.RawMessage
		must(t, json.Unmarshal(b, &back))
		if string(back["respondents"]) != "2" || back["poll"] == nil {
			t.Fatalf("JSON export %s", b)
		}
		return
	}
	t.Fatal("poll not in results")
}
