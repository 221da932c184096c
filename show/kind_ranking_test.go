package show_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
)

// rankingPoll creates and opens a ranking of items, results shown, and
// returns its target; the poll closes when tb ends (one poll is open per
// room).
func rankingPoll(tb testing.TB, h *harness, items ...string) live.Target {
	tb.Helper()
	ctx := ctxT(tb)
	p, err := h.e.CreatePoll(ctx, "mod", h.ev.Code, &live.Poll{RoomID: h.room, Question: "Rank " + strings.Join(items, ", "),
		Kind: live.PollRanking, Choices: items, ShowResults: true})
	must(tb, err)
	must(tb, h.e.PollAction(ctx, "mod", p.ID, live.PollOpenAction))
	tb.Cleanup(func() { must(tb, h.e.PollAction(context.Background(), "mod", p.ID, live.PollCloseAction)) })
	return live.Target{Kind: live.KindPoll, ID: p.ID}
}

// rankVote casts answer for who and fails tb unless its status is want.
func rankVote(tb testing.TB, ctx context.Context, h *harness, who live.Voter, target live.Target, id, answer, want string) {
	tb.Helper()
	s, err := h.e.Vote(ctx, who, live.Vote{VoteID: id, Target: target, Answer: live.Answer(answer)})
	if err != nil || s.Status != want {
		tb.Fatalf("vote %s %s: %q %v, want %s", id, answer, s.Status, err, want)
	}
}

// bordaFrame flushes the tallies and returns target's last frame on the
// stage topic (published at every flush; the room topic at the audience
// interval).
func bordaFrame(tb testing.TB, h *harness, target live.Target) live.BordaFrame {
	tb.Helper()
	h.e.FlushTallies()
	var f live.BordaFrame
	h.pub.last(tb, hub.StageTopic(h.room), "tally:"+target.String(), &f)
	return f
}

// bordaOrder is the items of a frame in result order, as "item:points:firsts".
func bordaOrder(items []live.BordaItem) string {
	var s []string
	for _, it := range items {
		s = append(s, fmt.Sprintf("%d:%d:%d", it.Item, it.Points+it.JuryPoints, it.Firsts+it.JuryFirsts))
	}
	return strings.Join(s, " ")
}

// TestRankingVotes runs a ranking through the engine: Borda points (n − p
// for position p), first places and mean positions; a changed answer moves
// its points; the jury is counted apart; hidden results show the total
// only; the export has the items in result order and the respondents.
func TestRankingVotes(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	target := rankingPoll(t, h, "Talks", "Food", "Venue")
	a, b, j := h.join(t, false), h.join(t, false), h.join(t, true)
	rankVote(t, ctx, h, a, target, "a1", "[1,2,3]", live.VoteCounted)
	rankVote(t, ctx, h, b, target, "b1", "[3,2,1]", live.VoteCounted)
	rankVote(t, ctx, h, j, target, "j1", "[2,3,1]", live.VoteCounted)
	if f := bordaFrame(t, h, target); bordaOrder(f.Items) != "2:4:1 3:3:1 1:2:1" {
		t.Fatalf("before the change: %s", bordaOrder(f.Items))
	}
	rankVote(t, ctx, h, b, target, "b2", "[2,3,1]", live.VoteChanged)
	rankVote(t, ctx, h, b, target, "b2", "[2,3,1]", live.VoteDuplicate)
	if _, err := h.e.Vote(ctx, b, live.Vote{VoteID: "b3", Target: target, Answer: "[2,3]"}); live.ErrorCode(err) != live.EBadValue {
		t.Fatalf("a missing item: %v, want bad_value", err)
	}
	if my := h.e.MyVotes(b); my[target.String()] != "[2,3,1]" {
		t.Fatalf("MyVotes = %v (a refused answer changes nothing)", my)
	}

	// Talks: 2+0+0 = 2, Food: 1+2+2 = 5, Venue: 0+1+1 = 2; Talks has a first place, Venue none.
	f := bordaFrame(t, h, target)
	want := []live.BordaItem{
		{Item: 2, Place: 1, Points: 3, Firsts: 1, MeanPosition: 1.333, JuryPoints: 2, JuryFirsts: 1},
		{Item: 1, Place: 2, Points: 2, Firsts: 1, MeanPosition: 2.333},
		{Item: 3, Place: 3, Points: 1, Firsts: 0, MeanPosition: 2.333, JuryPoints: 1},
	}
	if f.Hidden || f.Total != 3 || f.Respondents != 2 || f.JuryRespondents != 1 || !reflect.DeepEqual(f.Items, want) {
		t.Fatalf("frame = %+v", f)
	}

	must(t, h.e.PollAction(ctx, "mod", target.ID, live.HideResults))
	f = bordaFrame(t, h, target)
	if !f.Hidden || f.Total != 3 || f.Items != nil || f.Respondents != 0 {
		t.Fatalf("hidden frame = %+v", f)
	}
	var ctl live.BordaFrame
	h.pub.last(t, hub.ControlTopic(h.ev.ID), "tally:"+target.String(), &ctl)
	if ctl.Hidden || !reflect.DeepEqual(ctl.Items, want) {
		t.Fatalf("the moderators' frame while hidden = %+v", ctl)
	}

	for _, pr := range h.results(t).Polls {
		if pr.Poll.ID != target.ID {
			continue
		}
		r := pr.Results.(live.BordaResults)
		if r.Respondents != 2 || r.JuryRespondents != 1 || !reflect.DeepEqual(r.Items, want) {
			t.Fatalf("results = %+v", r)
		}
		wantRows := []live.ExportRow{{Item: "1. Food", Audience: 3, Jury: 2}, {Item: "2. Talks", Audience: 2}, {Item: "3. Venue", Audience: 1, Jury: 1}, {Item: "respondents", Audience: 2, Jury: 1}}
		if !reflect.DeepEqual(pr.Rows, wantRows) {
			t.Fatalf("rows = %+v", pr.Rows)
		}
		b, err := json.Marshal(pr)
		must(t, err)
		var back map[string]json.RawMessage
		must(t, json.Unmarshal(b, &back))
		if back["poll"] == nil || string(back["respondents"]) != "2" ||
			!strings.HasPrefix(string(back["items"]), `[{"item":2,"place":1,"points":3,"firsts":1,"mean_position":1.333,"jury_points":2,"jury_firsts":1}`) {
			t.Fatalf("JSON export %s", b)
		}
		return
	}
	t.Fatal("poll not in results")
}

// TestRankingTieBreaks: equal points go to the item with more first
// places, then to the item defined first; with no answers (after a reset)
// the items are in their defined order, without a mean position.
func TestRankingTieBreaks(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	voters := []live.Voter{h.join(t, false), h.join(t, false), h.join(t, false)}
	t.Run("more_first_places_win_a_tie_of_points", func(t *testing.T) {
		target := rankingPoll(t, h, "One", "Two", "Three")
		// One: 0+1+1 = 2 points, no first place; Two: 2+0+0 = 2, one first place.
		for i, a := range []string{"[2,3,1]", "[3,1,2]", "[3,1,2]"} {
			rankVote(t, ctx, h, voters[i], target, fmt.Sprintf("f%d", i), a, live.VoteCounted)
		}
		if got := bordaOrder(bordaFrame(t, h, target).Items); got != "3:5:2 2:2:1 1:2:0" {
			t.Fatalf("order %s, want Three, Two (a first place), One", got)
		}
	})
	t.Run("the_definition_order_breaks_a_tie_of_points_and_first_places", func(t *testing.T) {
		target := rankingPoll(t, h, "Alpha", "Beta", "Gamma")
		for i, a := range []string{"[2,1,3]", "[1,2,3]"} {
			rankVote(t, ctx, h, voters[i], target, fmt.Sprintf("d%d", i), a, live.VoteCounted)
		}
		if got := bordaOrder(bordaFrame(t, h, target).Items); got != "1:3:1 2:3:1 3:0:0" {
			t.Fatalf("order %s, want Alpha, Beta (defined first), Gamma", got)
		}
	})
	t.Run("after_a_reset_the_definition_order_without_a_mean", func(t *testing.T) {
		target := rankingPoll(t, h, "X", "Y")
		rankVote(t, ctx, h, voters[0], target, "r1", "[2,1]", live.VoteCounted)
		if got := bordaOrder(bordaFrame(t, h, target).Items); got != "2:1:1 1:0:0" {
			t.Fatalf("order %s", got)
		}
		must(t, h.e.PollAction(ctx, "mod", target.ID, live.ResetVotes))
		f := bordaFrame(t, h, target)
		if f.Total != 0 || bordaOrder(f.Items) != "1:0:0 2:0:0" || f.Items[0].MeanPosition != 0 {
			t.Fatalf("after a reset = %+v", f)
		}
	})
}

// TestRankingFrameBounded: eight items and a large room stay under 1 KB.
func TestRankingFrameBounded(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	target := rankingPoll(t, h, "A long item name", "B", "C", "D", "E", "F", "G", "H")
	for i := range 30 {
		v := h.join(t, i%5 == 0)
		rankVote(t, ctx, h, v, target, fmt.Sprintf("v%d", i), fmt.Sprintf("[%d,%d,%d,%d,%d,%d,%d,%d]", i%8+1, (i+1)%8+1, (i+2)%8+1, (i+3)%8+1, (i+4)%8+1, (i+5)%8+1, (i+6)%8+1, (i+7)%8+1), live.VoteCounted)
	}
	h.e.FlushTallies()
	fs := h.pub.since(0, hub.StageTopic(h.room), "tally:"+target.String())
	if n := len(fs[len(fs)-1].data); n > 1024 {
		t.Fatalf("frame of %d bytes", n)
	}
}
