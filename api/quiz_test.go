package api

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
)

func TestQuizAPI(t *testing.T) {
	ts := newTestServer(t, Config{})
	f := newFixture(t, ts, "QUIZ")
	var q live.Quiz
	ts.mod(t, "POST", "/api/events/"+f.Code+"/quizzes", map[string]any{"room_id": f.RoomID, "title": "Geography"}, &q)
	if q.State != live.QuizPending || q.Title != "Geography" {
		t.Fatalf("created quiz = %+v", q)
	}
	var q1, q2 live.Poll
	ts.mod(t, "POST", "/api/events/"+f.Code+"/polls", map[string]any{"quiz_id": q.ID, "question": "Capital of Peru?", "kind": "quiz",
		"choices": []string{"Lima", "Quito", "Cusco"}, "correct": []int{1}, "settings": map[string]int{"time_limit_s": 10}}, &q1)
	ts.mod(t, "POST", "/api/events/"+f.Code+"/polls", map[string]any{"quiz_id": q.ID, "question": "Andean?", "kind": "quiz",
		"choices": []string{"Spain", "Chile"}, "correct": []int{2}}, &q2)
	if q1.RoomID != f.RoomID || q1.Position != 1 || q2.Position != 2 || string(q2.Settings) != `{"time_limit_s":20}` {
		t.Fatalf("questions = %+v, %+v", q1, q2)
	}
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code, field        string
	}{
		{"a_question_without_a_right_choice_is_refused", "POST", "/api/events/" + f.Code + "/polls",
			map[string]any{"quiz_id": q.ID, "question": "Q", "kind": "quiz", "choices": []string{"A", "B"}}, 400, live.EInvalid, "correct"},
		{"a_question_of_no_quiz_is_refused", "POST", "/api/events/" + f.Code + "/polls",
			map[string]any{"question": "Q", "kind": "quiz", "choices": []string{"A", "B"}, "correct": []int{1}}, 400, live.EInvalid, "quiz_id"},
		{"a_bad_time_limit_is_refused", "POST", "/api/events/" + f.Code + "/polls",
			map[string]any{"quiz_id": q.ID, "question": "Q", "kind": "quiz", "choices": []string{"A", "B"}, "correct": []int{1}, "settings": map[string]int{"time_limit_s": 1}}, 400, live.EInvalid, "settings.time_limit_s"},
		{"an_untitled_quiz_is_refused", "POST", "/api/events/" + f.Code + "/quizzes", map[string]any{"room_id": f.RoomID, "title": " "}, 400, live.EInvalid, "title"},
		{"an_unknown_field_is_refused", "POST", "/api/events/" + f.Code + "/quizzes", map[string]any{"room_id": f.RoomID, "title": "T", "phase": "podium"}, 400, live.EInvalid, ""},
		{"an_unknown_action_is_refused", "POST", fmt.Sprintf("/api/quizzes/%d/actions/skip", q.ID), nil, 400, live.EInvalid, ""},
		{"reveal_before_the_start_is_refused", "POST", fmt.Sprintf("/api/quizzes/%d/actions/reveal", q.ID), nil, 409, live.ETransition, ""},
		{"a_quiz_question_does_not_open_alone", "POST", fmt.Sprintf("/api/polls/%d/actions/open", q1.ID), nil, 409, live.ETransition, ""},
		{"an_unknown_quiz_is_not_found", "POST", "/api/quizzes/999/actions/start", nil, 404, live.ENotFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := ts.state(t, f.Code)
			r := ts.do(t, tc.method, tc.path, tc.body, bearer(ts.Token)...)
			wantError(t, r, tc.status, tc.code)
			if tc.field != "" {
				var b errorBody
				if err := json.Unmarshal(r.Body, &b); err != nil || b.Error.Field != tc.field {
					t.Fatalf("field = %q, want %q (%s)", b.Error.Field, tc.field, r.Body)
				}
			}
			if ts.state(t, f.Code) != before {
				t.Fatal("a refused request changed the event")
			}
		})
	}

	ada := ts.join(t, f.Code, map[string]any{"display_name": "Ada"})
	anon := ts.join(t, f.Code, nil)
	t.Run("a_quiz_waits_for_the_open_poll_of_its_room", func(t *testing.T) {
		wantError(t, ts.do(t, "POST", fmt.Sprintf("/api/quizzes/%d/actions/start", q.ID), nil, bearer(ts.Token)...), 409, live.ETransition)
	})
	ts.mod(t, "POST", fmt.Sprintf("/api/polls/%d/actions/close", f.PollID), nil, nil)
	ts.mod(t, "POST", fmt.Sprintf("/api/quizzes/%d/actions/start", q.ID), nil, nil)
	target := fmt.Sprintf("poll:%d", q1.ID)
	if r := ts.vote(t, ada.Token, "a1", target, 1); r.Status != 200 {
		t.Fatalf("first answer: %d %s", r.Status, r.Body)
	}
	t.Run("a_second_answer_is_refused_and_changes_nothing", func(t *testing.T) {
		before := ts.state(t, f.Code)
		wantError(t, ts.vote(t, ada.Token, "a2", target, 2), 409, live.EAlreadyAnswered)
		if ts.state(t, f.Code) != before {
			t.Fatal("a second answer changed the event")
		}
	})
	t.Run("a_replayed_answer_is_a_duplicate", func(t *testing.T) {
		r := ts.vote(t, ada.Token, "a1", target, 1)
		var ack voteAck
		if r.Status != 200 || json.Unmarshal(r.Body, &ack) != nil || ack.Status != live.VoteDuplicate {
			t.Fatalf("replay: %d %s", r.Status, r.Body)
		}
	})
	t.Run("a_wrong_shape_is_refused", func(t *testing.T) {
		r := ts.do(t, "POST", "/api/votes", map[string]any{"vote_id": "n1", "target": target, "answer": []int{1}}, bearer(anon.Token)...)
		wantError(t, r, 400, live.EBadValue)
		wantError(t, ts.vote(t, anon.Token, "n2", target, 4), 400, live.EBadValue)
	})
	if r := ts.vote(t, anon.Token, "n3", target, 2); r.Status != 200 {
		t.Fatalf("anonymous answer: %d %s", r.Status, r.Body)
	}
	t.Run("me_hides_the_open_question_points", func(t *testing.T) {
		var me struct {
			Quizzes map[string]show.MyStanding `json:"quizzes"`
		}
		decodeOK(t, ts.do(t, "GET", "/api/me", nil, bearer(ada.Token)...), &me)
		if s := me.Quizzes[fmt.Sprint(q.ID)]; s.Points != 0 || s.Rank != 0 || s.Answered != 1 {
			t.Fatalf("during the question: %+v", s)
		}
	})
	ts.mod(t, "POST", fmt.Sprintf("/api/quizzes/%d/actions/reveal", q.ID), nil, nil)
	ts.mod(t, "POST", fmt.Sprintf("/api/quizzes/%d/actions/leaderboard", q.ID), nil, nil)
	t.Run("me_gives_the_rank_and_points_after_the_reveal", func(t *testing.T) {
		var me struct {
			Quizzes map[string]show.MyStanding `json:"quizzes"`
		}
		decodeOK(t, ts.do(t, "GET", "/api/me", nil, bearer(ada.Token)...), &me)
		s := me.Quizzes[fmt.Sprint(q.ID)]
		if s.Rank != 1 || s.Players != 2 || s.Points < 500 || s.Points > 1000 || s.Name != "Ada" || s.Questions[fmt.Sprint(q1.ID)] != s.Points {
			t.Fatalf("Ada: %+v", s)
		}
		decodeOK(t, ts.do(t, "GET", "/api/me", nil, bearer(anon.Token)...), &me)
		if s := me.Quizzes[fmt.Sprint(q.ID)]; s.Rank != 2 || s.Points != 0 || !strings.HasPrefix(s.Name, "Anonymous #") {
			t.Fatalf("anonymous: %+v", s)
		}
	})
	t.Run("a_returning_phone_that_renames_itself_shows_its_new_name", func(t *testing.T) {
		again := ts.join(t, f.Code, map[string]any{"token": anon.Token, "display_name": "Zoé"})
		if again.ID != anon.ID || again.DisplayName != "Zoé" {
			t.Fatalf("rejoin: %+v", again)
		}
		var me struct {
			Quizzes map[string]show.MyStanding `json:"quizzes"`
		}
		decodeOK(t, ts.do(t, "GET", "/api/me", nil, bearer(again.Token)...), &me)
		if s := me.Quizzes[fmt.Sprint(q.ID)]; s.Name != "Zoé" || s.Rank != 2 {
			t.Fatalf("after the rename: %+v", s)
		}
	})
	t.Run("a_late_answer_is_refused", func(t *testing.T) {
		wantError(t, ts.vote(t, anon.Token, "n4", target, 1), 409, live.EVotingClosed)
	})
	t.Run("the_audit_log_names_each_step", func(t *testing.T) {
		var audit []live.AuditEntry
		ts.mod(t, "GET", "/api/events/"+f.Code+"/audit", nil, &audit)
		var steps []string
		for i := len(audit) - 1; i >= 0; i-- {
			if a := audit[i]; strings.HasPrefix(a.Action, "quiz_") && a.Target == fmt.Sprintf("quiz:%d", q.ID) {
				steps = append(steps, a.Action+":"+a.Detail)
			}
		}
		if strings.Join(steps, " ") != "quiz_start:question quiz_reveal:reveal quiz_leaderboard:leaderboard" {
			t.Fatalf("audit: %v", steps)
		}
	})
	t.Run("the_exports_hold_the_standings", func(t *testing.T) {
		var res struct {
			Quizzes []show.QuizResults `json:"quizzes"`
			Polls   []map[string]any   `json:"polls"`
		}
		ts.mod(t, "GET", "/api/events/"+f.Code+"/results", nil, &res)
		if len(res.Quizzes) != 1 || len(res.Quizzes[0].Standings) != 2 || res.Quizzes[0].Standings[0].Name != "Ada" || res.Quizzes[0].Standings[1].Name != "Zoé" {
			t.Fatalf("JSON export: %+v", res.Quizzes)
		}
		right := -1.0
		for _, p := range res.Polls {
			if int64(p["poll"].(map[string]any)["id"].(float64)) == q1.ID {
				right = p["right"].(float64)
			}
		}
		if right != 1 {
			t.Fatalf("right answers in the export = %v, want 1", right)
		}
		r := ts.do(t, "GET", "/api/events/"+f.Code+"/results?format=csv", nil, bearer(ts.Token)...)
		rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var quizRows [][]string
		for _, row := range rows {
			if row[0] == "quiz" {
				quizRows = append(quizRows, row)
			}
		}
		if len(quizRows) != 2 || quizRows[0][1] != "Geography" || quizRows[0][2] != "1" || quizRows[0][3] != "Ada" || quizRows[1][3] != "Zoé" || quizRows[1][9] != "0" {
			t.Fatalf("CSV quiz rows = %v", quizRows)
		}
	})
}

// decodeOK decodes a 200 answer into out, or fails tb.
func decodeOK(tb testing.TB, r response, out any) {
	tb.Helper()
	if r.Status != 200 {
		tb.Fatalf("status %d: %s", r.Status, r.Body)
	}
	if err := json.Unmarshal(r.Body, out); err != nil {
		tb.Fatal(err)
	}
}
