package live

import (
	"strconv"
	"testing"
)

// BenchmarkRankPitches ranks a 25-pitch round with audience and jury votes.
func BenchmarkRankPitches(b *testing.B) {
	var pitches []*Pitch
	tallies := map[Target]*Counts{}
	for i := 0; i < 25; i++ {
		p := &Pitch{ID: int64(i + 1), Position: i + 1, Team: "Team " + strconv.Itoa(i)}
		pitches = append(pitches, p)
		t := NewCounts(5, true)
		for v := 0; v < 5; v++ {
			t.Audience[v] = int64((i*7 + v*13) % 97)
			t.Jury[v] = int64((i + v) % 3)
		}
		tallies[Target{KindPitch, p.ID}] = t
	}
	b.ReportAllocs()
	for b.Loop() {
		RankPitches(pitches, tallies, 30)
	}
}

// BenchmarkTallyUpdate applies one committed vote (a change) to a tally and
// marks it for the next coalesced frame, as the committer's callback does.
func BenchmarkTallyUpdate(b *testing.B) {
	es := newEventState(&Event{ID: 1})
	t := Target{KindPitch, 1}
	es.tallies[t] = newTally(Question{Kind: PollScale, ScaleMax: 5})
	answers := []Answer{"1", "2", "3", "4", "5"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		es.tmu.Lock()
		es.tallies[t].Move(false, answers[i%5], answers[(i+1)%5])
		es.dirty[t] = true
		es.tmu.Unlock()
		i++
	}
}

// BenchmarkTallyFrame encodes one tally frame, the work done once per tick
// per changed target (then shared by every subscriber).
func BenchmarkTallyFrame(b *testing.B) {
	t := NewCounts(5, true)
	copy(t.Audience, []int64{120, 340, 900, 1500, 1382})
	copy(t.Jury, []int64{0, 0, 1, 5, 3})
	b.ReportAllocs()
	for b.Loop() {
		t.Frame(Target{KindPitch, 12}, true, 1795439664790)
	}
}
