package show_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
)

// textFrame reads the latest open-text frame of the poll on topic.
func textFrame(t *testing.T, h *harness, topic string, poll int64) live.OpenTextFrame {
	t.Helper()
	h.e.FlushTallies()
	var f live.OpenTextFrame
	h.pub.last(t, topic, fmt.Sprintf("tally:poll:%d", poll), &f)
	return f
}

// cards lists a frame's answers, with their state and pin when set.
func cards(f live.OpenTextFrame) string {
	var parts []string
	for _, a := range f.Answers {
		part := a.Text
		if a.State != "" {
			part += "(" + a.State + ")"
		}
		if a.Pinned {
			part += "*"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, " | ")
}

// idOf returns the id of the answer with text in the moderators' frame.
func idOf(t *testing.T, f live.OpenTextFrame, text string) string {
	t.Helper()
	for _, a := range f.Answers {
		if a.Text == text {
			return a.ID
		}
	}
	t.Fatalf("no answer %q in %s", text, cards(f))
	return ""
}

// TestOpenTextVotes runs a pre-moderated open-text question through the
// engine: answers wait for review, approved ones show newest first with a
// pinned one first, a rejected one never shows, a changed answer goes
// back to review under a new id, bad decisions change nothing, and the
// answers and decisions survive a restart.
func TestOpenTextVotes(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	p, err := h.e.CreatePoll(ctx, "mod", h.ev.Code, &live.Poll{RoomID: h.room, Question: "Your takeaway?", Kind: live.PollOpenText, ShowResults: true})
	must(t, err)
	must(t, h.e.PollAction(ctx, "mod", p.ID, live.PollOpenAction))
	target := live.Target{Kind: live.KindPoll, ID: p.ID}
	answers := []string{`"Ship small"`, `"Talk to users"`, `"<img src=x onerror=alert(1)>"`, `"Measure"`}
	voters := make([]live.Voter, len(answers))
	for i, a := range answers {
		voters[i] = h.join(t, i == 3)
		h.clk.Advance(time.Second)
		if s, err := h.e.Vote(ctx, voters[i], live.Vote{VoteID: fmt.Sprint("v", i), Target: target, Answer: live.Answer(a)}); err != nil || s.Status != live.VoteCounted {
			t.Fatalf("answer %d: %q %v", i, s.Status, err)
		}
	}
	room, control := hub.StageTopic(h.room), hub.ControlTopic(h.ev.ID)
	if f := textFrame(t, h, room, p.ID); cards(f) != "" || f.Total != 4 {
		t.Fatalf("public frame before review: %q, total %d", cards(f), f.Total)
	}
	mod := textFrame(t, h, control, p.ID)
	if got, want := cards(mod), "Ship small(pending) | Talk to users(pending) | <img src=x onerror=alert(1)>(pending) | Measure(pending)"; got != want || mod.Pending == nil || *mod.Pending != 4 {
		t.Fatalf("moderators' queue = %q (pending %v), want %q (oldest first) and 4 pending", got, mod.Pending, want)
	}
	for _, a := range mod.Answers {
		if len(a.ID) != 16 || strings.Trim(a.ID, "0123456789abcdef") != "" {
			t.Fatalf("answer id %q", a.ID)
		}
	}
	if !mod.Answers[3].Jury {
		t.Errorf("the juror's answer is not marked: %+v", mod.Answers[3])
	}
	id := func(text string) string { return idOf(t, textFrame(t, h, control, p.ID), text) }
	decide := func(action, text string) error {
		return h.e.DecideAnswers(ctx, "mod", target, json.RawMessage(fmt.Sprintf(`{"action":%q,"id":%q}`, action, id(text))))
	}
	must(t, decide("approve", "Ship small"))
	must(t, decide("approve", "Talk to users"))
	must(t, decide("approve", "<img src=x onerror=alert(1)>"))
	must(t, decide("reject", "Measure"))
	must(t, decide("pin", "Ship small"))
	if got, want := cards(textFrame(t, h, room, p.ID)), "Ship small* | <img src=x onerror=alert(1)> | Talk to users"; got != want {
		t.Fatalf("public cards = %q, want %q (pinned first, then newest)", got, want)
	}
	// A changed answer is a new answer: a new id, no pin, back to review.
	old := id("Ship small")
	h.clk.Advance(time.Second)
	if s, err := h.e.Vote(ctx, voters[0], live.Vote{VoteID: "v0b", Target: target, Answer: `"Ship smaller"`}); err != nil || s.Status != live.VoteChanged {
		t.Fatalf("change: %q %v", s.Status, err)
	}
	if got, want := cards(textFrame(t, h, room, p.ID)), "<img src=x onerror=alert(1)> | Talk to users"; got != want {
		t.Fatalf("public cards after a change = %q, want %q", got, want)
	}
	if got := id("Ship smaller"); got == old {
		t.Fatalf("a changed answer kept its id %s", got)
	}
	for _, bad := range []struct{ d, code string }{
		{`{"action":"approve","id":"` + old + `"}`, live.ENotFound}, // the replaced answer
		{`{"action":"approve","id":"` + id("Talk to users") + `"}`, live.ETransition},
		{`{"action":"reject","id":"` + id("Measure") + `"}`, live.ETransition},
		{`{"action":"pin","id":"` + id("Ship smaller") + `"}`, live.ETransition}, // pending
		{`{"action":"unpin","id":"` + id("Talk to users") + `"}`, live.ETransition},
		{`{"action":"highlight","id":"` + id("Talk to users") + `"}`, live.EInvalid},
		{`{"action":"approve"}`, live.EInvalid},
		{`{"action":"approve","id":"x","extra":1}`, live.EInvalid},
		{`"approve"`, live.EInvalid},
	} {
		if err := h.e.DecideAnswers(ctx, "mod", target, json.RawMessage(bad.d)); live.ErrorCode(err) != bad.code {
			t.Errorf("decision %s: %v, want %s", bad.d, err, bad.code)
		}
	}
	must(t, decide("approve", "Ship smaller"))
	must(t, decide("pin", "Talk to users"))
	must(t, decide("reject", "<img src=x onerror=alert(1)>"))
	must(t, decide("unpin", "Talk to users"))
	must(t, decide("pin", "Talk to users"))
	before := cards(textFrame(t, h, room, p.ID))
	if want := "Talk to users* | Ship smaller"; before != want {
		t.Fatalf("public cards = %q, want %q", before, want)
	}
	modBefore := cards(textFrame(t, h, control, p.ID))

	// The export holds every answer, oldest first, with its state, time and pin.
	res, err := h.e.Results(ctx, h.ev.Code)
	must(t, err)
	var exported live.OpenTextResults
	var rows []live.ExportRow
	for _, pr := range res.Polls {
		if pr.Poll.ID == p.ID {
			exported, rows = pr.Results.(live.OpenTextResults), pr.Rows
		}
	}
	if len(exported.Answers) != 4 || exported.Approved != 2 || exported.Rejected != 2 || exported.Respondents != 4 {
		t.Fatalf("export: %+v", exported)
	}
	if a := exported.Answers[0]; a.Text != "Talk to users" || a.State != "approved" || !a.Pinned || !a.At.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("exported answer: %+v", a)
	}
	if got := rows[0].Item; got != "approved, pinned, "+t0.Add(2*time.Second).UTC().Format(time.RFC3339)+": Talk to users" || rows[0].Audience != 1 {
		t.Fatalf("CSV row %q", got)
	}
	if rows[2].Jury != 1 || rows[4].Item != "respondents" || rows[4].Audience != 4 {
		t.Fatalf("CSV rows %+v", rows)
	}

	// The answers, their ids and the decisions survive a restart.
	must(t, h.db.Close())
	h2 := startEngine(t, h.path)
	h2.ev, h2.room = h.ev, h.room
	if after := cards(textFrame(t, h2, room, p.ID)); after != before {
		t.Fatalf("public cards after a restart = %q, want %q", after, before)
	}
	if after := cards(textFrame(t, h2, control, p.ID)); after != modBefore {
		t.Fatalf("moderators' queue after a restart = %q, want %q", after, modBefore)
	}
	if got := idOf(t, textFrame(t, h2, control, p.ID), "Ship smaller"); got != id("Ship smaller") {
		t.Fatalf("id after a restart %s, want %s", got, id("Ship smaller"))
	}
}

// TestOpenTextPostModeration shows a post-moderated question: answers show
// at once; a rejected one goes.
func TestOpenTextPostModeration(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	p, err := h.e.CreatePoll(ctx, "mod", h.ev.Code, &live.Poll{RoomID: h.room, Question: "Q?", Kind: live.PollOpenText,
		Settings: json.RawMessage(`{"moderation":"post"}`), ShowResults: true})
	must(t, err)
	must(t, h.e.PollAction(ctx, "mod", p.ID, live.PollOpenAction))
	target := live.Target{Kind: live.KindPoll, ID: p.ID}
	for i, a := range []string{`"Paris"`, `"Lyon"`} {
		h.clk.Advance(time.Second)
		_, err = h.e.Vote(ctx, h.join(t, false), live.Vote{VoteID: fmt.Sprint(i), Target: target, Answer: live.Answer(a)})
		must(t, err)
	}
	if got := cards(textFrame(t, h, hub.StageTopic(h.room), p.ID)); got != "Lyon | Paris" {
		t.Fatalf("public cards = %q, want newest first", got)
	}
	lyon := idOf(t, textFrame(t, h, hub.ControlTopic(h.ev.ID), p.ID), "Lyon")
	must(t, h.e.DecideAnswers(ctx, "mod", target, json.RawMessage(`{"action":"reject","id":"`+lyon+`"}`)))
	if got := cards(textFrame(t, h, hub.StageTopic(h.room), p.ID)); got != "Paris" {
		t.Fatalf("public cards after a rejection = %q, want Paris", got)
	}
}

// TestOpenTextFrameBounded fills a question with 300 answers of 280
// characters, escapes included: the public frame holds the 30 newest, cut
// to stay under 8 KB, and the moderators' frame 200.
func TestOpenTextFrameBounded(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	p, err := h.e.CreatePoll(ctx, "mod", h.ev.Code, &live.Poll{RoomID: h.room, Question: "Q?", Kind: live.PollOpenText,
		Settings: json.RawMessage(`{"moderation":"post"}`), ShowResults: true})
	must(t, err)
	must(t, h.e.PollAction(ctx, "mod", p.ID, live.PollOpenAction))
	target := live.Target{Kind: live.KindPoll, ID: p.ID}
	for i := 0; i < 300; i++ {
		h.clk.Advance(time.Millisecond)
		text := fmt.Sprintf("%03d ", i) + strings.Repeat("<é\"", 92)
		if _, err := h.e.Vote(ctx, h.join(t, false), live.Vote{VoteID: "v", Target: target, Answer: live.Answer(fmt.Sprintf("%q", text))}); err != nil {
			t.Fatal(err)
		}
	}
	h.e.FlushTallies()
	fs := h.pub.since(0, hub.StageTopic(h.room), fmt.Sprintf("tally:poll:%d", p.ID))
	raw := fs[len(fs)-1].data
	var f live.OpenTextFrame
	must(t, json.Unmarshal(raw, &f))
	if len(raw) > 8000 || len(f.Answers) != 30 || f.Total != 300 || f.Approved != 300 {
		t.Fatalf("frame of %d bytes with %d answers, total %d", len(raw), len(f.Answers), f.Total)
	}
	if a := f.Answers[0]; !strings.HasPrefix(a.Text, "299 ") || !a.Cut || !strings.HasSuffix(a.Text, "…") {
		t.Fatalf("first card %+v, want the newest, cut", a)
	}
	if mod := textFrame(t, h, hub.ControlTopic(h.ev.ID), p.ID); len(mod.Answers) != 200 || mod.Answers[0].Cut {
		t.Fatalf("moderators' frame: %d answers", len(mod.Answers))
	}
	// The export holds them whole.
	res, err := h.e.Results(ctx, h.ev.Code)
	must(t, err)
	for _, pr := range res.Polls {
		if pr.Poll.ID == p.ID {
			if a := pr.Results.(live.OpenTextResults).Answers; len(a) != 300 || len([]rune(a[0].Text)) != 280 {
				t.Fatalf("export holds %d answers, the first of %d characters", len(a), len([]rune(a[0].Text)))
			}
		}
	}
}

// TestOpenTextUpvotes has the audience upvote approved answers: each
// participant once per answer, never their own, only while the question
// is open; the stage shows the counts and, under the "top" order, the most
// upvoted first (ties older first), an order and a moderation the
// moderators change while it runs without losing an answer; each phone
// is told its own answer's state and what it upvoted; and everything
// survives a restart.
func TestOpenTextUpvotes(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	p, err := h.e.CreatePoll(ctx, "mod", h.ev.Code, &live.Poll{RoomID: h.room, Question: "Your takeaway?", Kind: live.PollOpenText, ShowResults: true})
	must(t, err)
	target := live.Target{Kind: live.KindPoll, ID: p.ID}
	voters := make([]live.Voter, 5)
	for i := range voters {
		voters[i] = h.join(t, false)
	}
	if _, err := h.e.UpvoteAnswer(ctx, voters[0], target, "0123456789abcdef", true); live.ErrorCode(err) != live.EVotingClosed {
		t.Fatalf("an upvote on a draft: %v, want %s", err, live.EVotingClosed)
	}
	must(t, h.e.PollAction(ctx, "mod", p.ID, live.PollOpenAction))
	for i, a := range []string{`"Ship small"`, `"Talk to users"`, `"Measure"`} {
		h.clk.Advance(time.Second)
		_, err := h.e.Vote(ctx, voters[i], live.Vote{VoteID: fmt.Sprint("v", i), Target: target, Answer: live.Answer(a)})
		must(t, err)
	}
	control, stage := hub.ControlTopic(h.ev.ID), hub.StageTopic(h.room)
	id := func(text string) string { return idOf(t, textFrame(t, h, control, p.ID), text) }
	ship, talk, measure := id("Ship small"), id("Talk to users"), id("Measure")
	for _, a := range []string{ship, talk} {
		must(t, h.e.DecideAnswers(ctx, "mod", target, json.RawMessage(`{"action":"approve","id":"`+a+`"}`)))
	}
	upvote := func(who live.Voter, answer string, up bool) (int, error) {
		return h.e.UpvoteAnswer(ctx, who, target, answer, up)
	}
	for _, bad := range []struct {
		name   string
		who    live.Voter
		answer string
		code   string
	}{
		{"one's own answer", voters[0], ship, live.EForbidden},
		{"a pending answer", voters[0], measure, live.ENotFound},
		{"no such answer", voters[0], "0123456789abcdef", live.ENotFound},
		{"another event's participant", live.Voter{ParticipantID: voters[0].ParticipantID, EventID: h.ev.ID + 99}, talk, live.ENotFound},
	} {
		if _, err := upvote(bad.who, bad.answer, true); live.ErrorCode(err) != bad.code {
			t.Errorf("%s: %v, want %s", bad.name, err, bad.code)
		}
	}
	if _, err := h.e.UpvoteAnswer(ctx, voters[0], live.Target{Kind: live.KindPoll, ID: h.poll}, talk, true); live.ErrorCode(err) != live.ENotFound && live.ErrorCode(err) != live.EInvalid {
		t.Errorf("an upvote on a choices poll: %v", err)
	}
	for _, u := range []struct {
		who    int
		answer string
		want   int
	}{{3, talk, 1}, {3, talk, 1}, {4, talk, 2}, {0, talk, 3}, {1, ship, 1}} { // the second is the first again
		if n, err := upvote(voters[u.who], u.answer, true); err != nil || n != u.want {
			t.Fatalf("upvote by %d: %d %v, want %d", u.who, n, err, u.want)
		}
	}
	upvotes := func(h *harness, topic string) string {
		var parts []string
		for _, a := range textFrame(t, h, topic, p.ID).Answers {
			parts = append(parts, fmt.Sprintf("%s:%d", a.Text, a.Upvotes))
		}
		return strings.Join(parts, " | ")
	}
	if got, want := upvotes(h, stage), "Talk to users:3 | Ship small:1"; got != want {
		t.Fatalf("stage = %q, want %q (newest first, with the counts)", got, want)
	}
	if n, err := upvote(voters[0], talk, false); err != nil || n != 2 {
		t.Fatalf("withdraw: %d %v, want 2", n, err)
	}
	if n, err := upvote(voters[0], talk, false); err != nil || n != 2 {
		t.Fatalf("withdraw again: %d %v, want 2 (nothing changes)", n, err)
	}
	// The moderators switch to the most upvoted first, and to
	// post-moderation: the pending answer shows at once; no answer is lost.
	h.clk.Advance(time.Second)
	must(t, h.e.DecideAnswers(ctx, "mod", target, json.RawMessage(`{"action":"pin","id":"`+ship+`"}`)))
	_, err = h.e.UpdatePoll(ctx, "mod", p.ID, func(q *live.Poll) error {
		q.Settings = json.RawMessage(`{"moderation":"post","order":"top"}`)
		return nil
	})
	must(t, err)
	if f := textFrame(t, h, stage, p.ID); f.Order != live.OrderTop || f.Total != 3 {
		t.Fatalf("after the switch: order %q, total %d", f.Order, f.Total)
	}
	if got, want := upvotes(h, stage), "Ship small:1 | Talk to users:2 | Measure:0"; got != want {
		t.Fatalf("stage = %q, want %q (pinned first, then most upvoted)", got, want)
	}
	must(t, h.e.DecideAnswers(ctx, "mod", target, json.RawMessage(`{"action":"unpin","id":"`+ship+`"}`)))
	if n, err := upvote(voters[3], measure, true); err != nil || n != 1 {
		t.Fatalf("upvote of a post-moderated answer: %d %v", n, err)
	}
	if got, want := upvotes(h, stage), "Talk to users:2 | Ship small:1 | Measure:1"; got != want {
		t.Fatalf("stage = %q, want %q (ties: older first)", got, want)
	}
	_, err = h.e.UpdatePoll(ctx, "mod", p.ID, func(q *live.Poll) error { q.Choices = []string{"x", "y"}; return nil })
	if live.ErrorCode(err) != live.EInvalid && live.ErrorCode(err) != live.ETransition {
		t.Fatalf("choices added to an open open-text question: %v", err)
	}

	mine := func(h *harness, who live.Voter) string {
		b, _ := json.Marshal(h.e.MyAnswers(who)[target.String()])
		return string(b)
	}
	if got, want := mine(h, voters[0]), `{"id":"`+ship+`","state":"approved","upvoted":[]}`; got != want {
		t.Errorf("voter 0 is told %s, want %s", got, want)
	}
	wantUp := []string{talk, measure}
	slices.Sort(wantUp)
	if got, want := mine(h, voters[3]), `{"upvoted":["`+wantUp[0]+`","`+wantUp[1]+`"]}`; got != want {
		t.Errorf("voter 3 is told %s, want %s", got, want)
	}
	must(t, h.e.DecideAnswers(ctx, "mod", target, json.RawMessage(`{"action":"reject","id":"`+measure+`"}`)))
	if got, want := mine(h, voters[2]), `{"id":"`+measure+`","state":"rejected","upvoted":[]}`; got != want {
		t.Errorf("voter 2 is told %s, want %s", got, want)
	}

	// A changed answer is a new one: its upvotes go.
	h.clk.Advance(time.Second)
	_, err = h.e.Vote(ctx, voters[1], live.Vote{VoteID: "v1b", Target: target, Answer: `"Talk to more users"`})
	must(t, err)
	if got, want := upvotes(h, stage), "Ship small:1 | Talk to more users:0"; got != want {
		t.Fatalf("stage after a change = %q, want %q", got, want)
	}
	res, err := h.e.Results(ctx, h.ev.Code)
	must(t, err)
	for _, pr := range res.Polls {
		if pr.Poll.ID != p.ID {
			continue
		}
		r := pr.Results.(live.OpenTextResults)
		if r.Answers[0].Text != "Ship small" || r.Answers[0].Upvotes != 1 || !strings.Contains(pr.Rows[0].Item, ", 1 upvote, ") {
			t.Errorf("export: %+v, row %q", r.Answers[0], pr.Rows[0].Item)
		}
	}
	before := upvotes(h, stage)
	must(t, h.e.PollAction(ctx, "mod", p.ID, live.PollCloseAction))
	if _, err := upvote(voters[3], ship, true); live.ErrorCode(err) != live.EVotingClosed {
		t.Errorf("an upvote after close: %v, want %s", err, live.EVotingClosed)
	}

	must(t, h.db.Close())
	h2 := startEngine(t, h.path)
	h2.ev, h2.room = h.ev, h.room
	if got := upvotes(h2, stage); got != before {
		t.Fatalf("stage after a restart = %q, want %q", got, before)
	}
	if got, want := mine(h2, voters[3]), `{"upvoted":["`+measure+`"]}`; got != want { // talk was replaced; the upvote after close was refused
		t.Errorf("voter 3 is told after a restart %s, want %s", got, want)
	}
}
