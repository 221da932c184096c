package live_test

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/ovation-live/ovation/live"
)

// rankCase builds pitches and tallies for RankPitches: each pitch gets its
// position from its index (1-based) and the given audience and jury counts.
type rankCase struct {
	pitches []*live.Pitch
	tallies map[live.Target]*live.Counts
}

func newRankCase(tb testing.TB, scale int, counts ...[2][]int64) rankCase {
	tb.Helper()
	rc := rankCase{tallies: map[live.Target]*live.Counts{}}
	for i, c := range counts {
		p := &live.Pitch{ID: int64(100 + i), Position: i + 1, Team: string(rune('A' + i))}
		t := live.NewCounts(scale, true)
		if c[0] != nil {
			if len(c[0]) != scale {
				tb.Fatalf("pitch %d: audience counts have %d values, want %d", i, len(c[0]), scale)
			}
			copy(t.Audience, c[0])
		}
		if c[1] != nil {
			if len(c[1]) != scale {
				tb.Fatalf("pitch %d: jury counts have %d values, want %d", i, len(c[1]), scale)
			}
			copy(t.Jury, c[1])
		}
		rc.pitches = append(rc.pitches, p)
		rc.tallies[live.Target{Kind: live.KindPitch, ID: p.ID}] = t
	}
	return rc
}

// order returns the teams in ranked order and checks ranks are 1..n.
func order(tb testing.TB, entries []live.RankEntry) string {
	tb.Helper()
	s := ""
	for i, e := range entries {
		if e.Rank != i+1 {
			tb.Fatalf("entry %d has rank %d", i, e.Rank)
		}
		s += e.Team
	}
	return s
}

// tieBreaks returns the entries' tie-breaks, comma-separated, in rank order.
func tieBreaks(entries []live.RankEntry) string {
	s := ""
	for i, e := range entries {
		if i > 0 {
			s += ","
		}
		s += e.TieBreak
	}
	return s
}

func aud(c ...int64) [2][]int64           { return [2][]int64{c, nil} }
func both(a, j []int64) [2][]int64        { return [2][]int64{a, j} }
func juryOnly(c ...int64) [2][]int64      { return [2][]int64{nil, c} }
func counts5(a, b, c, d, e int64) []int64 { return []int64{a, b, c, d, e} }

func TestSummarize(t *testing.T) {
	t.Run("empty_counts_have_zero_mean", func(t *testing.T) {
		if s := live.Summarize(make([]int64, 5)); s != (live.Summary{}) {
			t.Fatalf("Summarize(empty) = %+v", s)
		}
	})
	t.Run("mean_is_rounded_to_three_decimals", func(t *testing.T) {
		// votes 1, 1, 2 → sum 4, mean 1.333…
		if s := live.Summarize([]int64{2, 1, 0}); s != (live.Summary{Count: 3, Sum: 4, Mean: 1.333}) {
			t.Fatalf("Summarize = %+v", s)
		}
	})
	t.Run("a_half_thousandth_rounds_up", func(t *testing.T) {
		// 77 fours and 3 fives: 323/80 = 4.0375 exactly, which rounding the
		// float64 quotient gave as 4.037.
		if s := live.Summarize([]int64{0, 0, 0, 77, 3}); s != (live.Summary{Count: 80, Sum: 323, Mean: 4.038}) {
			t.Fatalf("Summarize = %+v, want mean 4.038", s)
		}
	})
	t.Run("counts_are_values_minus_one", func(t *testing.T) {
		if s := live.Summarize([]int64{0, 0, 0, 0, 4}); s != (live.Summary{Count: 4, Sum: 20, Mean: 5}) {
			t.Fatalf("Summarize = %+v", s)
		}
	})
}

func TestRankPitches(t *testing.T) {
	t.Run("mean_and_vote_count_come_from_the_tally", func(t *testing.T) {
		rc := newRankCase(t, 5, aud(0, 1, 0, 0, 1)) // votes 2 and 5
		got := live.RankPitches(rc.pitches, rc.tallies, 0)
		want := live.Summary{Count: 2, Sum: 7, Mean: 3.5}
		if len(got) != 1 || got[0].Audience != want || got[0].Score != 3.5 || got[0].PitchID != 100 || got[0].Team != "A" {
			t.Fatalf("entry = %+v, want audience %+v and score 3.5", got, want)
		}
	})
	t.Run("higher_mean_ranks_first", func(t *testing.T) {
		rc := newRankCase(t, 5, aud(0, 3, 0, 0, 0), aud(0, 0, 0, 1, 0), aud(0, 0, 2, 0, 0))
		if got := order(t, live.RankPitches(rc.pitches, rc.tallies, 0)); got != "BCA" {
			t.Fatalf("order = %s, want BCA", got)
		}
	})

	// Audience mean 4, jury mean 2 for one pitch.
	weighted := both(counts5(0, 0, 0, 2, 0), counts5(0, 2, 0, 0, 0))
	for _, tc := range []struct {
		name   string
		weight int
		score  float64
	}{
		{"weight_0_ignores_the_jury", 0, 4},
		{"weight_30_mixes_70_30", 30, 3.4},
		{"weight_100_is_the_jury_alone", 100, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := newRankCase(t, 5, weighted)
			got := live.RankPitches(rc.pitches, rc.tallies, tc.weight)
			if got[0].Score != tc.score {
				t.Fatalf("score = %v, want %v", got[0].Score, tc.score)
			}
			if got[0].Audience.Count != 2 || got[0].Jury.Count != 2 || got[0].Jury.Mean != 2 {
				t.Fatalf("summaries = %+v / %+v", got[0].Audience, got[0].Jury)
			}
		})
	}
	t.Run("score_combines_the_exact_means", func(t *testing.T) {
		// Audience 3; jury 1, 2, 2 (mean 5/3, shown 1.667). Weight 50:
		// (3 + 5/3) / 2 = 7/3 → 2.333, where the rounded means would give
		// (3 + 1.667) / 2 = 2.3335 → 2.334.
		rc := newRankCase(t, 5, both(counts5(0, 0, 1, 0, 0), counts5(1, 2, 0, 0, 0)))
		got := live.RankPitches(rc.pitches, rc.tallies, 50)
		if got[0].Score != 2.333 || got[0].Jury.Mean != 1.667 {
			t.Fatalf("score = %v, jury mean = %v; want 2.333 and 1.667", got[0].Score, got[0].Jury.Mean)
		}
	})
	t.Run("an_exact_half_score_rounds_up", func(t *testing.T) {
		// Audience 2; jury 2, 3, 3, 3 (mean 2.75). Weight 1: 1.98 + 0.0275 =
		// 2.0075 exactly, which float64 arithmetic rounded to 2.007.
		rc := newRankCase(t, 5, both(counts5(0, 1, 0, 0, 0), counts5(0, 1, 3, 0, 0)))
		if got := live.RankPitches(rc.pitches, rc.tallies, 1); got[0].Score != 2.008 {
			t.Fatalf("score = %v, want 2.008", got[0].Score)
		}
	})
	t.Run("jury_weight_changes_the_order", func(t *testing.T) {
		// A: audience loves it, jury does not. B: the reverse, less strongly.
		rc := newRankCase(t, 5,
			both(counts5(0, 0, 0, 0, 4), counts5(2, 0, 0, 0, 0)),
			both(counts5(0, 4, 0, 0, 0), counts5(0, 0, 0, 2, 0)))
		for weight, want := range map[int]string{0: "AB", 30: "AB", 100: "BA"} {
			if got := order(t, live.RankPitches(rc.pitches, rc.tallies, weight)); got != want {
				t.Errorf("weight %d: order = %s, want %s", weight, got, want)
			}
		}
	})
	t.Run("empty_jury_leaves_the_audience_alone", func(t *testing.T) {
		rc := newRankCase(t, 5, aud(0, 0, 1, 0, 0))
		if got := live.RankPitches(rc.pitches, rc.tallies, 30); got[0].Score != 3 {
			t.Fatalf("score = %v, want 3", got[0].Score)
		}
	})
	t.Run("empty_audience_leaves_the_jury_alone", func(t *testing.T) {
		rc := newRankCase(t, 5, juryOnly(0, 0, 0, 1, 0))
		if got := live.RankPitches(rc.pitches, rc.tallies, 30); got[0].Score != 4 {
			t.Fatalf("score = %v, want 4", got[0].Score)
		}
	})
	t.Run("pitches_without_votes_come_last", func(t *testing.T) {
		rc := newRankCase(t, 5, aud(0, 0, 0, 0, 0), aud(1, 0, 0, 0, 0), aud(0, 0, 0, 0, 0), aud(0, 0, 1, 0, 0))
		got := live.RankPitches(rc.pitches, rc.tallies, 0)
		if o := order(t, got); o != "DBAC" {
			t.Fatalf("order = %s, want DBAC (no-vote pitches last, in running order)", o)
		}
		if got[2].Score != 0 || got[2].Audience.Count != 0 {
			t.Fatalf("no-vote entry = %+v", got[2])
		}
	})
	t.Run("pitch_without_tally_ranks_last", func(t *testing.T) {
		rc := newRankCase(t, 5, aud(1, 0, 0, 0, 0))
		rc.pitches = append([]*live.Pitch{{ID: 1, Position: 0, Team: "Z"}}, rc.pitches...)
		if o := order(t, live.RankPitches(rc.pitches, rc.tallies, 0)); o != "AZ" {
			t.Fatalf("order = %s, want AZ", o)
		}
	})
	t.Run("tie_on_score_goes_to_more_votes", func(t *testing.T) {
		// Both mean 3; B has more votes though A runs first.
		rc := newRankCase(t, 5, aud(0, 0, 1, 0, 0), aud(0, 0, 2, 0, 0))
		if o := order(t, live.RankPitches(rc.pitches, rc.tallies, 0)); o != "BA" {
			t.Fatalf("order = %s, want BA", o)
		}
	})
	t.Run("tie_on_score_and_votes_goes_to_more_top_votes", func(t *testing.T) {
		// Both mean 3 over 2 votes; B has a 5.
		rc := newRankCase(t, 5, aud(0, 1, 0, 1, 0), aud(1, 0, 0, 0, 1))
		if o := order(t, live.RankPitches(rc.pitches, rc.tallies, 0)); o != "BA" {
			t.Fatalf("order = %s, want BA", o)
		}
	})
	t.Run("top_votes_count_the_jury_too", func(t *testing.T) {
		// Same combined score (weight 0 → audience mean 3), same totals; B's jury gave the top value.
		rc := newRankCase(t, 5,
			both(counts5(0, 0, 1, 0, 0), counts5(0, 0, 1, 0, 0)),
			both(counts5(0, 0, 1, 0, 0), counts5(0, 0, 0, 0, 1)))
		if o := order(t, live.RankPitches(rc.pitches, rc.tallies, 0)); o != "BA" {
			t.Fatalf("order = %s, want BA", o)
		}
	})
	t.Run("full_tie_goes_to_running_order", func(t *testing.T) {
		rc := newRankCase(t, 5, aud(0, 1, 1, 0, 0), aud(0, 1, 1, 0, 0), aud(0, 1, 1, 0, 0))
		// Present them out of running order: the result must not depend on it.
		in := []*live.Pitch{rc.pitches[2], rc.pitches[0], rc.pitches[1]}
		if o := order(t, live.RankPitches(in, rc.tallies, 0)); o != "ABC" {
			t.Fatalf("order = %s, want ABC", o)
		}
	})
	t.Run("scores_equal_to_three_decimals_tie", func(t *testing.T) {
		// A: 10/3 = 3.3333… over 3 votes; B: exactly 3.333 over 1000 votes.
		// Rounded to 3 decimals they tie, so B's larger vote count wins.
		rc := newRankCase(t, 5, aud(0, 0, 2, 1, 0), aud(0, 0, 667, 333, 0))
		got := live.RankPitches(rc.pitches, rc.tallies, 0)
		if got[0].Score != 3.333 || got[1].Score != 3.333 {
			t.Fatalf("scores = %v, %v; want both 3.333", got[0].Score, got[1].Score)
		}
		if o := order(t, got); o != "BA" {
			t.Fatalf("order = %s, want BA", o)
		}
	})
	t.Run("order_is_deterministic_under_any_input_order", func(t *testing.T) {
		rc := newRankCase(t, 5,
			aud(0, 0, 1, 0, 0), aud(0, 0, 2, 0, 0), aud(0, 1, 0, 1, 0), aud(1, 0, 0, 0, 1),
			aud(0, 0, 0, 0, 0), aud(0, 0, 0, 0, 0), aud(0, 0, 2, 0, 0), juryOnly(0, 0, 0, 0, 1))
		want := live.RankPitches(rc.pitches, rc.tallies, 30)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < 200; i++ {
			in := append([]*live.Pitch(nil), rc.pitches...)
			rng.Shuffle(len(in), func(a, b int) { in[a], in[b] = in[b], in[a] })
			if got := live.RankPitches(in, rc.tallies, 30); !reflect.DeepEqual(got, want) {
				t.Fatalf("shuffle %d: order %s, want %s", i, order(t, got), order(t, want))
			}
		}
		// H (jury alone: 5) > D (1+5: a top vote) > B, C, G (mean 3 over 2 votes,
		// no top vote) in running order > A (1 vote) > E, F (no votes).
		if o := order(t, want); o != "HDBCGAEF" {
			t.Fatalf("order = %s, want HDBCGAEF", o)
		}
	})
	t.Run("worked_example_of_the_protocol", func(t *testing.T) {
		// docs/protocol.md §12: A..F = Atlas, Birch, Cobalt, Dune, Ember, Fjord; weight 50.
		rc := newRankCase(t, 5,
			both(counts5(0, 0, 0, 3, 0), counts5(0, 0, 0, 1, 0)),
			both(counts5(0, 0, 1, 1, 0), counts5(0, 0, 0, 1, 1)),
			both(counts5(0, 0, 0, 4, 0), counts5(0, 0, 0, 2, 0)),
			both(counts5(0, 0, 0, 3, 0), counts5(0, 0, 0, 1, 0)),
			both(counts5(0, 0, 1, 0, 0), counts5(1, 2, 0, 0, 0)),
			aud(0, 0, 0, 0, 0))
		got := live.RankPitches(rc.pitches, rc.tallies, 50)
		if o := order(t, got); o != "CBADEF" {
			t.Fatalf("order = %s, want CBADEF", o)
		}
		for i, want := range []float64{4, 4, 4, 4, 2.333, 0} {
			if got[i].Score != want {
				t.Errorf("%s: score %v, want %v", got[i].Team, got[i].Score, want)
			}
		}
		// Each entry names the step that put it below the one above: Birch has
		// fewer votes than Cobalt, Atlas fewer 5s than Birch, Dune runs after
		// Atlas; Ember and Fjord were decided by their scores.
		if tb := tieBreaks(got); tb != ",votes,top_votes,running_order,," {
			t.Fatalf("tie-breaks = %q", tb)
		}
	})
	t.Run("tie_break_is_empty_when_scores_differ", func(t *testing.T) {
		rc := newRankCase(t, 5, aud(0, 0, 0, 0, 1), aud(0, 0, 0, 1, 0))
		if tb := tieBreaks(live.RankPitches(rc.pitches, rc.tallies, 0)); tb != "," {
			t.Fatalf("tie-breaks = %q, want none", tb)
		}
	})
	t.Run("tie_break_between_pitches_of_score_0_is_the_votes", func(t *testing.T) {
		// Weight 0: a jury-only pitch scores 0 like a pitch without votes, and
		// comes first by having votes.
		rc := newRankCase(t, 5, aud(0, 0, 0, 0, 0), juryOnly(0, 0, 0, 0, 1), aud(0, 0, 0, 0, 0))
		got := live.RankPitches(rc.pitches, rc.tallies, 0)
		if o, tb := order(t, got), tieBreaks(got); o != "BAC" || tb != ",votes,running_order" {
			t.Fatalf("order %s, tie-breaks %q", o, tb)
		}
	})
	t.Run("weight_0_puts_jury_only_pitches_after_audience_votes", func(t *testing.T) {
		// A and D have only jury votes: they score 0, below B's audience vote of 1,
		// but they have votes, so they come before C (none), A's three first.
		rc := newRankCase(t, 5, juryOnly(0, 0, 0, 0, 3), aud(1, 0, 0, 0, 0), aud(0, 0, 0, 0, 0), juryOnly(0, 0, 0, 0, 1))
		got := live.RankPitches(rc.pitches, rc.tallies, 0)
		if o := order(t, got); o != "BADC" {
			t.Fatalf("order = %s, want BADC", o)
		}
		if got[1].Score != 0 || got[2].Score != 0 {
			t.Fatalf("jury-only scores = %v, %v; want 0", got[1].Score, got[2].Score)
		}
	})
	t.Run("no_pitches_give_an_empty_ranking", func(t *testing.T) {
		if got := live.RankPitches(nil, nil, 50); got == nil || len(got) != 0 {
			t.Fatalf("RankPitches(nil) = %#v, want empty non-nil", got)
		}
	})
}
