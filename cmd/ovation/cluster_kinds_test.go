package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestClusterQuestionKinds runs every kind whose answer is not one number
// through the edges: phones on both edges answer a multiple-choice, a word
// cloud, a ranking and an open-text question (the answer as JSON), a
// screen on edge A gets each tally as the core counted it, a bad answer
// comes back refused through the edge, and the open text's moderation,
// upvotes and each phone's own state work through any edge.
func TestClusterQuestionKinds(t *testing.T) {
	c := startCluster(t)
	f := newFixture(t, c.edgeA.URL, "KIND26", 1)
	stage := c.stage(t, c.edgeA, f.RoomID)
	phones := c.phones(t, f, 2) // A, B, A, B
	answer := func(p *clusterPhone, voteID, target string, a any) {
		t.Helper()
		p.ws.send(t, map[string]any{"type": "vote", "vote_id": voteID, "target": target, "answer": a})
		p.waitCounted(t, voteID, 10*time.Second)
	}
	tally := func(target string, ok func(msg) bool) msg {
		t.Helper()
		return stage.waitFor(t, 10*time.Second, "the tally of "+target, func(m msg) bool {
			return m.str("type") == "tally" && m.str("target") == target && ok(m)
		})
	}
	run := func(kind string, def map[string]any, answers []any, check func(msg) bool) string {
		t.Helper()
		var p struct{ ID int64 }
		body := map[string]any{"room_id": f.RoomID, "question": "A " + kind + " question", "kind": kind, "show_results": true}
		for k, v := range def {
			body[k] = v
		}
		must(t, c.edgeB.URL, "POST", "/api/events/"+f.Code+"/polls", body, &p)
		must(t, c.edgeA.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/open", p.ID), nil, nil)
		target := fmt.Sprintf("poll:%d", p.ID)
		for i, a := range answers {
			answer(phones[i], fmt.Sprintf("%s-%d", kind, i), target, a)
		}
		tally(target, func(m msg) bool { return int(m.num("total")) == len(answers) && check(m) })
		return target
	}
	closePoll := func(target string) {
		var id int64
		fmt.Sscanf(target, "poll:%d", &id)
		must(t, c.edgeB.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/close", id), nil, nil)
	}
	asJSON := func(v any) string { b, _ := json.Marshal(v); return string(b) }

	multi := run("multiple", map[string]any{"choices": []string{"Talks", "Food", "Venue"}, "settings": map[string]any{"max_picks": 2}},
		[]any{[]int{1, 3}, []int{1}, []int{3, 2}, []int{2}}, func(m msg) bool { return asJSON(m["counts"]) == "[2,2,2]" })
	// Three choices when two are allowed: refused by the core, through edge B.
	phones[1].ws.send(t, map[string]any{"type": "vote", "vote_id": "multiple-bad", "target": multi, "answer": []int{1, 2, 3}})
	phones[1].ws.waitFor(t, 10*time.Second, "bad_value error", func(m msg) bool { return m.str("vote_id") == "multiple-bad" && m.str("code") == "bad_value" })
	// The first ack echoes the answer as sent, the final one as the core counted it.
	phones[2].ws.send(t, map[string]any{"type": "vote", "vote_id": "multiple-change", "target": multi, "answer": []int{3, 2}})
	received := phones[2].ws.waitFor(t, 10*time.Second, "received ack", func(m msg) bool { return m.str("vote_id") == "multiple-change" })
	if got := phones[2].waitCounted(t, "multiple-change", 10*time.Second); asJSON(got["answer"]) != "[2,3]" || asJSON(received["answer"]) != "[3,2]" {
		t.Errorf("acks of [3,2] through an edge: %v then %v, want [3,2] received then [2,3] counted", received, got)
	}
	closePoll(multi)

	cloud := run("wordcloud", nil, []any{[]string{"Énergie", "vélo"}, []string{"energie"}, []string{"VÉLO", "train"}, []string{"énergie!"}},
		func(m msg) bool {
			words, _ := m["words"].([]any)
			return len(words) == 3 && asJSON(words[0].(map[string]any)["n"]) == "3" && words[0].(map[string]any)["k"] == "energie"
		})
	closePoll(cloud)

	rank := run("ranking", map[string]any{"choices": []string{"Lyon", "Paris", "Nice"}},
		[]any{[]int{2, 1, 3}, []int{2, 3, 1}, []int{1, 2, 3}, []int{2, 1, 3}}, func(m msg) bool {
			items, _ := m["items"].([]any)
			if len(items) != 3 {
				return false
			}
			best := items[0].(map[string]any) // Borda: 2 points for a first place, 1 for a second
			return best["item"] == 2.0 && best["points"] == 7.0
		})
	closePoll(rank)

	text := run("opentext", map[string]any{"settings": map[string]any{"moderation": "pre"}},
		[]any{"Ship small", "Talk to users", "Measure", "Write it down"}, func(m msg) bool { return true })
	var id int64
	fmt.Sscanf(text, "poll:%d", &id)
	// Each phone learns its answer's id and state through its edge.
	type me struct {
		Answers map[string]struct {
			ID, State string
			Upvoted   []string
		} `json:"answers"`
	}
	mine := func(p *clusterPhone, edge *process) (out me) {
		t.Helper()
		if st := call(t, edge.URL, "GET", "/api/me", p.j.Token, nil, &out); st != http.StatusOK {
			t.Fatalf("GET /api/me through %s: %d", edge.URL, st)
		}
		return out
	}
	first := mine(phones[0], c.edgeA).Answers[text]
	if len(first.ID) != 16 || first.State != "pending" {
		t.Fatalf("phone 0's answer through edge A: %+v", first)
	}
	must(t, c.edgeB.URL, "POST", fmt.Sprintf("/api/polls/%d/decisions", id), map[string]any{"action": "approve", "id": first.ID}, nil)
	if got := mine(phones[0], c.edgeB).Answers[text]; got.State != "approved" {
		t.Fatalf("phone 0's answer after the approval, through edge B: %+v", got)
	}
	// Phones of both edges upvote it; its author cannot.
	up := fmt.Sprintf("/api/polls/%d/answers/%s/upvote", id, first.ID)
	var res struct{ Upvotes int }
	for i, p := range phones[1:] {
		edge := []*process{c.edgeB, c.edgeA, c.edgeB}[i]
		if st := call(t, edge.URL, "PUT", up, p.j.Token, nil, &res); st != http.StatusOK || res.Upvotes != i+1 {
			t.Fatalf("upvote %d through %s: %d, %d upvotes", i, edge.URL, st, res.Upvotes)
		}
	}
	if st := call(t, c.edgeA.URL, "PUT", up, phones[0].j.Token, nil, nil); st != http.StatusForbidden {
		t.Fatalf("an upvote of one's own answer: %d, want 403", st)
	}
	tally(text, func(m msg) bool {
		cards, _ := m["answers"].([]any)
		return len(cards) == 1 && cards[0].(map[string]any)["id"] == first.ID && cards[0].(map[string]any)["upvotes"] == 3.0
	})
	// A phone subscribing again through its edge gets its upvote in my_votes.
	phones[3].ws.subscribe(t, fmt.Sprintf("room:%d", f.RoomID), "", 0)
	phones[3].ws.waitFor(t, 10*time.Second, "my_votes with the upvote", func(m msg) bool {
		if m.str("type") != "my_votes" {
			return false
		}
		a, _ := m["answers"].(map[string]any)
		entry, _ := a[text].(map[string]any)
		return entry != nil && asJSON(entry["upvoted"]) == asJSON([]string{first.ID})
	})
}
