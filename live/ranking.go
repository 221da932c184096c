package live

import (
	"math/bits"
	"sort"
)

// Summary is the count, sum and mean of one part of a tally.
type Summary struct {
	Count int64   `json:"count"`
	Sum   int64   `json:"sum"`
	Mean  float64 `json:"mean"` // Sum/Count rounded to 3 decimals (see round3); 0 when Count is 0
}

// Summarize returns the count, sum and mean of counts, where counts[i]
// holds the votes of value i+1.
func Summarize(counts []int64) Summary {
	var s Summary
	for i, n := range counts {
		s.Count += n
		s.Sum += n * int64(i+1)
	}
	if s.Count > 0 {
		s.Mean = round3(uint64(s.Sum), uint64(s.Count))
	}
	return s
}

// round3 returns num/den (both positive) rounded to the nearest thousandth,
// a half rounded up (away from zero). It computes on integers: rounding the
// float64 quotient instead turns some exact halves, such as 323/80 = 4.0375,
// into 4.037, so a client that recomputes a score from the counts would
// disagree with the server.
//
// It is ⌊(2000·num + den) / (2·den)⌋ / 1000, on 128 bits: no allocation on
// the tally path, exact for any vote counts (the quotient, a mean or a
// score times 1000, is far below 2^64).
func round3(num, den uint64) float64 {
	hi, lo := bits.Mul64(num, 2000)
	lo, carry := bits.Add64(lo, den, 0)
	q, _ := bits.Div64(hi+carry, lo, 2*den)
	return float64(q) / 1000
}

// RankEntry is one pitch's line in a round's ranking.
type RankEntry struct {
	Rank      int     `json:"rank"`
	PitchID   int64   `json:"pitch_id"`
	Team      string  `json:"team"`
	Presenter string  `json:"presenter"`
	Audience  Summary `json:"audience"`
	Jury      Summary `json:"jury"`
	Score     float64 `json:"score"` // the combined score the rank is based on
	// TieBreak names the tie-break that placed this pitch after the one
	// ranked just above it, when both have the same score: TieVotes,
	// TieTopVotes or TieRunningOrder; empty when the score decided.
	TieBreak string `json:"tie_break"`
	topCount int64
	position int
}

// RankPitches ranks a round's pitches. The method, documented in
// docs/protocol.md §12:
//
//   - Audience score: mean of the audience's votes (1..scale); jury score: mean of the jury's votes.
//   - Combined score: (100-w)% of the audience score + w% of the jury score, where w is the
//     event's jury weight, computed from the exact means and then rounded to 3 decimals; when
//     one part has no votes, or w = 0, the audience mean alone (the jury mean alone when only
//     the jury voted and w > 0; 0 when only the jury voted and w = 0).
//   - Pitches without any vote (audience or jury) come last.
//   - Equal rounded scores are broken by, in order: more votes in total, more votes of the top
//     value (audience and jury votes both count, whatever w), then running order; each entry's
//     TieBreak says which one placed it after the entry above.
//
// Equal entries after all tie-breaks cannot occur, so the order is deterministic.
func RankPitches(pitches []*Pitch, tallies map[Target]*Counts, juryWeight int) []RankEntry {
	entries := make([]RankEntry, 0, len(pitches))
	for _, p := range pitches {
		e := RankEntry{PitchID: p.ID, Team: p.Team, Presenter: p.Presenter, position: p.Position}
		if t := tallies[Target{KindPitch, p.ID}]; t != nil {
			e.Audience, e.Jury = Summarize(t.Audience), Summarize(t.Jury)
			if n := len(t.Audience); n > 0 {
				e.topCount = t.Audience[n-1] + t.Jury[n-1]
			}
		}
		e.Score = combine(e.Audience, e.Jury, juryWeight)
		entries = append(entries, e)
	}
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		na, nb := a.Audience.Count+a.Jury.Count, b.Audience.Count+b.Jury.Count
		if (na == 0) != (nb == 0) {
			return nb == 0
		}
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if na != nb {
			return na > nb
		}
		if a.topCount != b.topCount {
			return a.topCount > b.topCount
		}
		return a.position < b.position
	})
	for i := range entries {
		entries[i].Rank = i + 1
		if i > 0 {
			entries[i].TieBreak = tieBreak(entries[i-1], entries[i])
		}
	}
	return entries
}

// Tie-breaks, as RankEntry.TieBreak names them (docs/protocol.md §12).
const (
	TieVotes        = "votes"         // fewer votes in total (none at all included)
	TieTopVotes     = "top_votes"     // fewer votes of the top value
	TieRunningOrder = "running_order" // later in the running order
)

// tieBreak returns the tie-break that placed b after a, or "" when their
// scores differ.
func tieBreak(a, b RankEntry) string {
	switch {
	case a.Score != b.Score:
		return ""
	case a.Audience.Count+a.Jury.Count != b.Audience.Count+b.Jury.Count:
		return TieVotes
	case a.topCount != b.topCount:
		return TieTopVotes
	}
	return TieRunningOrder
}

func combine(aud, jury Summary, w int) float64 {
	switch {
	case w == 0 || jury.Count == 0:
		return aud.Mean
	case aud.Count == 0:
		return jury.Mean
	}
	// The exact means, not the rounded ones: ((100-w)·aS/aC + w·jS/jC) / 100
	// = ((100-w)·aS·jC + w·jS·aC) / (100·aC·jC).
	// Each product stays below 2^64 up to 10^7 votes a part (scores ≤ 10).
	num := uint64(100-w)*uint64(aud.Sum)*uint64(jury.Count) + uint64(w)*uint64(jury.Sum)*uint64(aud.Count)
	return round3(num, 100*uint64(aud.Count)*uint64(jury.Count))
}
