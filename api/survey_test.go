package api

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ovation-live/ovation/live"
)

// TestSurveyRoutes: a survey is built, opened, answered over HTTP and
// exported; bad input at each entry point is refused with a clear error
// and changes nothing.
func TestSurveyRoutes(t *testing.T) {
	ts := newTestServer(t, Config{})
	ts.mod(t, "POST", "/api/events", map[string]any{"code": "SURV", "title": "Surveys"}, nil)
	var s live.Survey
	ts.mod(t, "POST", "/api/events/SURV/surveys", map[string]any{"room_id": 1, "title": "Feedback", "closes_at": nil}, &s)
	var grid, text live.Poll
	ts.mod(t, "POST", "/api/events/SURV/polls", map[string]any{"survey_id": s.ID, "question": "Rate", "kind": "grid",
		"choices": []string{"Content", "Speaker"}, "scale_max": 5, "required": true}, &grid)
	ts.mod(t, "POST", "/api/events/SURV/polls", map[string]any{"survey_id": s.ID, "question": "Comments", "kind": "opentext"}, &text)
	if grid.RoomID != 1 || grid.Position != 1 || text.Position != 2 || !grid.Required {
		t.Fatalf("questions = %+v, %+v", grid, text)
	}
	phone := ts.join(t, "SURV", nil).Token
	vote := func(id string, target int64, answer any) response {
		return ts.do(t, "POST", "/api/votes", map[string]any{"vote_id": id, "target": fmt.Sprintf("poll:%d", target), "answer": answer}, bearer(phone)...)
	}
	path := fmt.Sprintf("/api/surveys/%d", s.ID)
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"malformed_json", "PATCH", path, "{", http.StatusBadRequest, live.EInvalid},
		{"an_unknown_field", "PATCH", path, map[string]any{"colour": "red"}, http.StatusBadRequest, live.EInvalid},
		{"a_time_that_is_not_one", "PATCH", path, map[string]any{"opens_at": "tomorrow"}, http.StatusBadRequest, live.EInvalid},
		{"a_copy_on_edit", "PATCH", path, map[string]any{"from_survey_id": s.ID}, http.StatusBadRequest, live.EInvalid},
		{"an_empty_title", "PATCH", path, map[string]any{"title": " "}, http.StatusBadRequest, live.EInvalid},
		{"another_event's_room", "POST", "/api/events/SURV/surveys", map[string]any{"room_id": 99, "title": "X"}, http.StatusBadRequest, live.EInvalid},
		{"an_unknown_survey", "PATCH", "/api/surveys/999", map[string]any{"title": "X"}, http.StatusNotFound, live.ENotFound},
		{"a_quiz_question", "POST", "/api/events/SURV/polls", map[string]any{"survey_id": s.ID, "question": "Q", "kind": "quiz", "choices": []string{"a", "b"}, "correct": []int{1}}, http.StatusBadRequest, live.EInvalid},
		{"an_unknown_format", "GET", path + "/results?format=xml", nil, http.StatusBadRequest, live.EInvalid},
	} {
		t.Run(tc.name+"_is_refused", func(t *testing.T) {
			r := ts.do(t, tc.method, tc.path, tc.body, bearer(ts.Token)...)
			wantError(t, r, tc.status, tc.code)
		})
	}
	t.Run("a_draft_takes_no_answers", func(t *testing.T) {
		wantError(t, vote("d1", grid.ID, map[string]any{"1": 4, "2": nil}), http.StatusConflict, live.EVotingClosed)
	})
	ts.mod(t, "POST", path+"/actions/open", nil, nil)
	t.Run("answers_count_and_change_once_open", func(t *testing.T) {
		if r := vote("a1", grid.ID, map[string]any{"2": 3, "1": nil}); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"counted"`) {
			t.Fatalf("first answer: %d %s", r.Status, r.Body)
		}
		if r := vote("a2", grid.ID, map[string]any{"1": 5, "2": 3}); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"changed"`) {
			t.Fatalf("changed answer: %d %s", r.Status, r.Body)
		}
		wantError(t, vote("a3", grid.ID, map[string]any{"1": 9, "2": 3}), http.StatusBadRequest, live.EBadValue)
		r := ts.do(t, "GET", "/api/me", nil, bearer(phone)...)
		if !strings.Contains(string(r.Body), fmt.Sprintf(`"survey:%d":{"total":2,"answered":1,"missing":[],"complete":true}`, s.ID)) {
			t.Fatalf("me: %s", r.Body)
		}
	})
	t.Run("the_csv_export_has_every_statement", func(t *testing.T) {
		r := ts.do(t, "GET", path+"/results?format=csv", nil, bearer(ts.Token)...)
		rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
		if r.Status != http.StatusOK || err != nil {
			t.Fatalf("csv: %d %v %s", r.Status, err, r.Body)
		}
		want := map[string]string{"Content: 5": "1", "Speaker: 3": "1", "Content: 1": "0", "respondents": "1"}
		for _, row := range rows[1:] {
			if n, ok := want[row[5]]; ok && row[0] == "Feedback" && row[2] == "Rate" {
				if row[6] != n {
					t.Errorf("row %v: %s answers, want %s", row, row[6], n)
				}
				delete(want, row[5])
			}
		}
		if len(want) != 0 {
			t.Fatalf("rows missing: %v in %v", want, rows)
		}
	})
	ts.mod(t, "POST", path+"/actions/close", nil, nil)
	t.Run("a_closed_survey_keeps_its_answers_and_takes_no_more", func(t *testing.T) {
		wantError(t, vote("c1", grid.ID, map[string]any{"1": 1, "2": 1}), http.StatusConflict, live.EVotingClosed)
		r := ts.do(t, "GET", path+"/results", nil, bearer(ts.Token)...)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"respondents":1`) {
			t.Fatalf("results: %d %s", r.Status, r.Body)
		}
	})
}
