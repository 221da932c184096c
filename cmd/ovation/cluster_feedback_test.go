package main

import (
	"fmt"
	"testing"
	"time"
)

// TestClusterSessionFeedback: in a cluster the acting core's clock opens
// a talk's feedback at its end, once: the frame reaches the room's phones
// through both edges, an answer through an edge counts, and the audit
// holds one copy of the template made by the clock (the edges run none).
func TestClusterSessionFeedback(t *testing.T) {
	c := startCluster(t)
	f := newFixture(t, c.edgeA.URL, "RATE26", 1)
	phones := c.phones(t, f, 1) // A, B
	var tpl struct{ ID int64 }
	must(t, c.edgeB.URL, "POST", "/api/events/"+f.Code+"/surveys", map[string]any{"room_id": f.RoomID, "title": "Talk feedback"}, &tpl)
	var q struct{ ID int64 }
	must(t, c.edgeB.URL, "POST", "/api/events/"+f.Code+"/polls", map[string]any{"survey_id": tpl.ID, "question": "Rate it", "kind": "grid",
		"choices": []string{"Content", "Speaker"}, "scale_max": 5, "required": true}, &q)
	must(t, c.edgeA.URL, "PUT", "/api/events/"+f.Code+"/feedback/settings", map[string]any{"template_survey_id": tpl.ID, "feedback_open_for": "1h"}, nil)
	end := time.Now().UTC().Add(3 * time.Second).Truncate(time.Second)
	var talk struct{ ID int64 }
	must(t, c.edgeB.URL, "POST", "/api/events/"+f.Code+"/programme/sessions", map[string]any{"title": "Edge cases", "room_id": f.RoomID,
		"speakers": []map[string]string{{"name": "Ada Lovelace"}}, "start": end.Add(-time.Hour), "end": end}, &talk)

	var question float64
	for i, p := range phones {
		m := p.ws.waitFor(t, 30*time.Second, fmt.Sprintf("the talk's feedback through edge %c", 'A'+i), func(m msg) bool {
			s, _ := m["survey"].(map[string]any)
			qs, _ := m["questions"].([]any)
			return m.str("type") == "survey" && m.str("phase") == "open" && s != nil && s["session_id"] == float64(talk.ID) && len(qs) == 1
		})
		question = m["questions"].([]any)[0].(map[string]any)["id"].(float64)
	}
	if time.Now().Before(end) {
		t.Errorf("opened before the talk's end %s", end)
	}
	phones[1].ws.send(t, map[string]any{"type": "vote", "vote_id": "r1", "target": fmt.Sprintf("poll:%d", int64(question)), "answer": map[string]any{"1": 5, "2": 4}})
	phones[1].waitCounted(t, "r1", 10*time.Second)

	var res struct {
		Sessions []struct {
			Respondents int64
			Overall     struct {
				Count int64
				Mean  float64
			}
		}
		Speakers []struct{ Name string }
	}
	must(t, c.edgeA.URL, "GET", "/api/events/"+f.Code+"/feedback/results", nil, &res)
	if len(res.Sessions) != 1 || res.Sessions[0].Respondents != 1 || res.Sessions[0].Overall.Count != 2 || res.Sessions[0].Overall.Mean != 4.5 ||
		len(res.Speakers) != 1 || res.Speakers[0].Name != "Ada Lovelace" {
		t.Errorf("results through edge A: %+v", res)
	}
	var audit []struct{ Actor, Action string }
	must(t, c.edgeB.URL, "GET", "/api/events/"+f.Code+"/audit", nil, &audit)
	made := 0
	for _, a := range audit {
		if a.Actor == "feedback clock" && a.Action == "create_survey" {
			made++
		}
	}
	if made != 1 {
		t.Errorf("the clock made %d copies of the template, want 1: %+v", made, audit)
	}
}
