package show_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
)

// cloudFrame reads the latest cloud frame of the poll on topic.
func cloudFrame(t *testing.T, h *harness, topic string, poll int64) live.CloudFrame {
	t.Helper()
	h.e.FlushTallies()
	var f live.CloudFrame
	h.pub.last(t, topic, fmt.Sprintf("tally:poll:%d", poll), &f)
	return f
}

func cloudWords(f live.CloudFrame) string {
	var parts []string
	for _, w := range f.Words {
		part := fmt.Sprintf("%s:%d", w.Word, w.Count)
		if w.State != "" && w.State != "shown" {
			part += "(" + w.State + ")"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, " ")
}

// TestWordCloudVotes runs a word cloud through the engine: words fold into
// one group shown in the most frequent spelling, stop words are not
// counted, profanities never show, a changed answer moves its words, and a
// moderator hides, shows and merges words, decisions that survive a
// restart.
func TestWordCloudVotes(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	p, err := h.e.CreatePoll(ctx, "mod", h.ev.Code, &live.Poll{RoomID: h.room, Question: "One word for today?", Kind: live.PollWordCloud, ShowResults: true})
	must(t, err)
	must(t, h.e.PollAction(ctx, "mod", p.ID, live.PollOpenAction))
	target := live.Target{Kind: live.KindPoll, ID: p.ID}
	answers := []string{
		`["Inspiring","the","AI"]`,
		`["inspiring","Énergie","merde"]`,
		`["Inspiring!","energie","Kubernetes"]`,
		`["AI","K8s","and"]`,
		`["ai","energie"]`,
	}
	voters := make([]live.Voter, len(answers))
	for i, a := range answers {
		voters[i] = h.join(t, i == 4)
		if s, err := h.e.Vote(ctx, voters[i], live.Vote{VoteID: fmt.Sprint("v", i), Target: target, Answer: live.Answer(a)}); err != nil || s.Status != live.VoteCounted {
			t.Fatalf("answer %d: %q %v", i, s.Status, err)
		}
	}
	room := hub.StageTopic(h.room) // published at every flush (the room topic at the audience interval)
	if got, want := cloudWords(cloudFrame(t, h, room, p.ID)), "AI:3 energie:3 Inspiring:3 K8s:1 Kubernetes:1"; got != want {
		t.Fatalf("cloud = %q, want %q (stop words dropped, profanity hidden, most frequent spelling)", got, want)
	}
	control := cloudFrame(t, h, hub.ControlTopic(h.ev.ID), p.ID)
	if !strings.Contains(cloudWords(control), "merde:1(blocked)") || control.Total != 5 {
		t.Fatalf("moderators' cloud = %q, total %d", cloudWords(control), control.Total)
	}
	// A changed answer moves its words.
	if s, err := h.e.Vote(ctx, voters[3], live.Vote{VoteID: "v3b", Target: target, Answer: `["Cloud"]`}); err != nil || s.Status != live.VoteChanged {
		t.Fatalf("change: %q %v", s.Status, err)
	}
	if got, want := cloudWords(cloudFrame(t, h, room, p.ID)), "energie:3 Inspiring:3 AI:2 Cloud:1 Kubernetes:1"; got != want {
		t.Fatalf("cloud after a change = %q, want %q", got, want)
	}
	decide := func(d string) error { return h.e.DecideAnswers(ctx, "mod", target, json.RawMessage(d)) }
	must(t, decide(`{"action":"hide","word":"cloud"}`))
	must(t, decide(`{"action":"merge","word":"k8s","into":"Kubernetes"}`)) // no voter says k8s now: the merge waits
	if s, err := h.e.Vote(ctx, voters[0], live.Vote{VoteID: "v0b", Target: target, Answer: `["K8S","AI"]`}); err != nil || s.Status != live.VoteChanged {
		t.Fatalf("change: %q %v", s.Status, err)
	}
	if got, want := cloudWords(cloudFrame(t, h, room, p.ID)), "energie:3 AI:2 Inspiring!:2 Kubernetes:2"; got != want {
		t.Fatalf("cloud after hide and merge = %q, want %q (Cloud hidden, K8S merged)", got, want)
	}
	for _, bad := range []struct{ d, code string }{
		{`{"action":"merge","word":"kubernetes","into":"k8s"}`, live.EInvalid}, // into itself, through the merge
		{`{"action":"unmerge","word":"ai"}`, live.ETransition},
		{`{"action":"explode","word":"ai"}`, live.EInvalid},
		{`{"action":"hide"}`, live.EInvalid},
		{`{"action":"hide","word":"ai","extra":1}`, live.EInvalid},
		{`[1]`, live.EInvalid},
	} {
		if err := decide(bad.d); live.ErrorCode(err) != bad.code {
			t.Errorf("decision %s: %v, want %s", bad.d, err, bad.code)
		}
	}
	if err := h.e.DecideAnswers(ctx, "mod", live.Target{Kind: live.KindPoll, ID: h.poll}, json.RawMessage(`{"action":"hide","word":"x"}`)); live.ErrorCode(err) != live.EInvalid {
		t.Errorf("a decision on a single-choice poll: %v, want invalid", err)
	}
	before := cloudWords(cloudFrame(t, h, room, p.ID))

	// The decisions and the answers survive a restart.
	must(t, h.db.Close())
	h2 := startEngine(t, h.path)
	h2.ev, h2.room = h.ev, h.room
	if after := cloudWords(cloudFrame(t, h2, room, p.ID)); after != before {
		t.Fatalf("cloud after a restart = %q, want %q", after, before)
	}
}

// TestWordCloudMergeCountsPeopleOnce merges words that some people sent
// both of: the merged word counts each person once, in the frames, the
// export and after a restart, and an unmerge splits them again.
func TestWordCloudMergeCountsPeopleOnce(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	p, err := h.e.CreatePoll(ctx, "mod", h.ev.Code, &live.Poll{RoomID: h.room, Question: "Q?", Kind: live.PollWordCloud, ShowResults: true})
	must(t, err)
	must(t, h.e.PollAction(ctx, "mod", p.ID, live.PollOpenAction))
	target := live.Target{Kind: live.KindPoll, ID: p.ID}
	for i, a := range []string{`["k8s","kubernetes"]`, `["K8s","Kubernetes","AI"]`, `["kubernetes"]`, `["k8s"]`, `["AI"]`} {
		if _, err := h.e.Vote(ctx, h.join(t, false), live.Vote{VoteID: fmt.Sprint("v", i), Target: target, Answer: live.Answer(a)}); err != nil {
			t.Fatal(err)
		}
	}
	room := hub.StageTopic(h.room)
	decide := func(d string) { must(t, h.e.DecideAnswers(ctx, "mod", target, json.RawMessage(d))) }
	decide(`{"action":"merge","word":"k8s","into":"kubernetes"}`)
	want := "kubernetes:4 AI:2" // 4 people sent one or both, not 6 words
	if got := cloudWords(cloudFrame(t, h, room, p.ID)); got != want {
		t.Fatalf("cloud after the merge = %q, want %q", got, want)
	}
	results, err := h.e.Results(ctx, h.ev.Code)
	must(t, err)
	if b, _ := json.Marshal(results); !strings.Contains(string(b), `"k":"kubernetes","w":"kubernetes","n":4`) {
		t.Errorf("export after the merge: %s, want kubernetes counted 4 times", b)
	}
	must(t, h.db.Close())
	h2 := startEngine(t, h.path)
	h2.ev, h2.room = h.ev, h.room
	if got := cloudWords(cloudFrame(t, h2, room, p.ID)); got != want {
		t.Fatalf("cloud after a restart = %q, want %q", got, want)
	}
	must(t, h2.e.DecideAnswers(ctx, "mod", target, json.RawMessage(`{"action":"unmerge","word":"k8s"}`)))
	if got, want := cloudWords(cloudFrame(t, h2, room, p.ID)), "k8s:3 kubernetes:3 AI:2"; got != want {
		t.Fatalf("cloud after the unmerge = %q, want %q", got, want)
	}
}

// TestWordCloudPreModeration shows a pre-moderated cloud: words wait until
// a moderator shows them, and the moderators see them waiting.
func TestWordCloudPreModeration(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	p, err := h.e.CreatePoll(ctx, "mod", h.ev.Code, &live.Poll{RoomID: h.room, Question: "Q?", Kind: live.PollWordCloud,
		Settings: json.RawMessage(`{"moderation":"pre"}`), ShowResults: true})
	must(t, err)
	must(t, h.e.PollAction(ctx, "mod", p.ID, live.PollOpenAction))
	target := live.Target{Kind: live.KindPoll, ID: p.ID}
	_, err = h.e.Vote(ctx, h.join(t, false), live.Vote{VoteID: "a", Target: target, Answer: `["Paris","Lyon"]`})
	must(t, err)
	if got := cloudWords(cloudFrame(t, h, hub.StageTopic(h.room), p.ID)); got != "" {
		t.Fatalf("public cloud before review = %q, want empty", got)
	}
	if got := cloudWords(cloudFrame(t, h, hub.ControlTopic(h.ev.ID), p.ID)); got != "Lyon:1(pending) Paris:1(pending)" {
		t.Fatalf("moderators' cloud = %q", got)
	}
	must(t, h.e.DecideAnswers(ctx, "mod", target, json.RawMessage(`{"action":"show","word":"paris"}`)))
	if got := cloudWords(cloudFrame(t, h, hub.StageTopic(h.room), p.ID)); got != "Paris:1" {
		t.Fatalf("public cloud after review = %q, want Paris:1", got)
	}
}

// TestWordCloudFrameBounded fills a cloud with 800 distinct long words:
// the public frame holds at most 100 of them, the most sent, in under 4 KB.
func TestWordCloudFrameBounded(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // 800 commits: slow under -race on a loaded machine
	defer cancel()
	p, err := h.e.CreatePoll(ctx, "mod", h.ev.Code, &live.Poll{RoomID: h.room, Question: "Q?", Kind: live.PollWordCloud, ShowResults: true})
	must(t, err)
	must(t, h.e.PollAction(ctx, "mod", p.ID, live.PollOpenAction))
	target := live.Target{Kind: live.KindPoll, ID: p.ID}
	for i := 0; i < 400; i++ {
		words := []string{fmt.Sprintf("Écoénergétique%05d", i), fmt.Sprintf("Méditerranée%05d", i), "Popular"}
		b, _ := json.Marshal(words)
		if _, err := h.e.Vote(ctx, h.join(t, false), live.Vote{VoteID: "v", Target: target, Answer: live.Answer(b)}); err != nil {
			t.Fatal(err)
		}
	}
	h.e.FlushTallies()
	fs := h.pub.since(0, hub.StageTopic(h.room), fmt.Sprintf("tally:poll:%d", p.ID))
	raw := fs[len(fs)-1].data
	var f live.CloudFrame
	must(t, json.Unmarshal(raw, &f))
	if len(raw) >= 4096 || len(f.Words) == 0 || len(f.Words) > 100 {
		t.Fatalf("frame of %d bytes with %d words", len(raw), len(f.Words))
	}
	if f.Words[0].Word != "Popular" || f.Words[0].Count != 400 || f.Total != 400 {
		t.Fatalf("first word %+v, total %d", f.Words[0], f.Total)
	}
}
