package main

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestClusterSurvey: a survey's answers take the cluster's vote stream
// like any vote. Phones on both edges answer a rating grid of an open
// survey; an answer before the opening comes back refused through the
// edge; the moderators' results, read through an edge, hold exactly the
// acknowledged answers; the survey's frame reaches the room's phones
// through their edge.
func TestClusterSurvey(t *testing.T) {
	c := startCluster(t)
	f := newFixture(t, c.edgeA.URL, "SURV26", 1)
	phones := c.phones(t, f, 2) // A, B, A, B
	var s struct{ ID int64 }
	must(t, c.edgeB.URL, "POST", "/api/events/"+f.Code+"/surveys", map[string]any{"room_id": f.RoomID, "title": "Feedback"}, &s)
	var q struct{ ID int64 }
	must(t, c.edgeB.URL, "POST", "/api/events/"+f.Code+"/polls", map[string]any{"survey_id": s.ID, "question": "Rate it", "kind": "grid",
		"choices": []string{"Content", "Speaker"}, "scale_max": 5, "required": true}, &q)
	target := fmt.Sprintf("poll:%d", q.ID)

	phones[0].ws.send(t, map[string]any{"type": "vote", "vote_id": "early", "target": target, "answer": map[string]any{"1": 3, "2": nil}})
	phones[0].ws.waitFor(t, 10*time.Second, "voting_closed before the opening", func(m msg) bool {
		return m.str("vote_id") == "early" && m.str("code") == "voting_closed"
	})

	must(t, c.edgeA.URL, "POST", fmt.Sprintf("/api/surveys/%d/actions/open", s.ID), nil, nil)
	phones[1].ws.waitFor(t, 10*time.Second, "the survey's frame through edge B", func(m msg) bool {
		qs, _ := m["questions"].([]any)
		return m.str("type") == "survey" && m.str("phase") == "open" && len(qs) == 1
	})
	answers := []map[string]any{{"1": 5, "2": 4}, {"1": 4, "2": nil}, {"1": 5, "2": 2}, {"1": nil, "2": 4}}
	for i, a := range answers {
		p := phones[i]
		p.ws.send(t, map[string]any{"type": "vote", "vote_id": fmt.Sprintf("g%d", i), "target": target, "answer": a})
		p.waitCounted(t, fmt.Sprintf("g%d", i), 10*time.Second)
	}
	// The same vote id again through the other edge's phone is a duplicate.
	phones[2].ws.send(t, map[string]any{"type": "vote", "vote_id": "g2", "target": target, "answer": answers[2]})
	phones[2].ws.waitFor(t, 10*time.Second, "duplicate", func(m msg) bool { return m.str("vote_id") == "g2" && m.str("status") == "duplicate" })

	var res struct {
		Questions []struct {
			Respondents int64 `json:"respondents"`
			Statements  []struct {
				Counts  []int64 `json:"counts"`
				Skipped int64   `json:"skipped"`
			} `json:"statements"`
		} `json:"questions"`
	}
	must(t, c.edgeB.URL, "GET", fmt.Sprintf("/api/surveys/%d/results", s.ID), nil, &res)
	g := res.Questions[0]
	if g.Respondents != 4 || !slices.Equal(g.Statements[0].Counts, []int64{0, 0, 0, 1, 2}) || g.Statements[0].Skipped != 1 ||
		!slices.Equal(g.Statements[1].Counts, []int64{0, 1, 0, 2, 0}) || g.Statements[1].Skipped != 1 {
		t.Fatalf("results through edge B = %+v", g)
	}
}
