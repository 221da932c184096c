package live

import (
	"math"
	"sort"
)

// Summary is the count, sum and mean of one part of a tally.
type Summary struct {
	Count int64   `json:"count"`
	Sum   int64   `json:"sum"`
	Mean  float64 `json:"mean"` // 0 when Count is 0; rounded to 3 decimals
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
		s.Mean = round3(float64(s.Sum) / float64(s.Count))
	}
	return s
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// RankEntry is one pitch's line in a round's ranking.
type RankEntry struct {
	Rank      int     `json:"rank"`
	PitchID   int64   `json:"pitch_id"`
	Team      string  `json:"team"`
	Presenter string  `json:"presenter"`
	Audience  Summary `json:"audience"`
	Jury      Summary `json:"jury"`
	Score     float64 `json:"score"` // the combined score the rank is based on
	topCount  int64
	position  int
}

// RankPitches ranks a round's pitches. The method, also in the README:
//
//   - Audience score: mean of the audience's votes (1..scale); jury score: mean of the jury's votes.
//   - Combined score: (100-w)% of the audience score + w% of the jury score, where w is the
//     event's jury weight; when one part has no votes, the other part alone; w = 0 ignores the jury.
//   - Pitches without any counted vote come last.
//   - Ties on the combined score (compared to 3 decimals) are broken by, in order: more votes in
//     total, more votes of the top value, then running order (earlier pitch first).
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
	}
	return entries
}

func combine(aud, jury Summary, w int) float64 {
	switch {
	case w == 0 || jury.Count == 0:
		return aud.Mean
	case aud.Count == 0:
		return jury.Mean
	}
	return round3((float64(100-w)*float64(aud.Sum)/float64(aud.Count) + float64(w)*float64(jury.Sum)/float64(jury.Count)) / 100)
}
