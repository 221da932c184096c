package live

import (
	"strconv"
	"testing"
	"time"
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

// BenchmarkTallyFrame encodes one tally frame, the work done once per tick
// per changed target (then shared by every subscriber).
func BenchmarkTallyFrame(b *testing.B) {
	t := NewCounts(5, true)
	copy(t.Audience, []int64{120, 340, 900, 1500, 1382})
	copy(t.Jury, []int64{0, 0, 1, 5, 3})
	b.ReportAllocs()
	for b.Loop() {
		t.Frame(Target{KindPitch, 12}, FrameView{Show: true}, 1795439664790)
	}
}

// benchKinds are a question of each kind with answers for its benchmarks.
var benchKinds = []struct {
	name    string
	q       Question
	answers []Answer
}{
	{"choices", Question{Kind: PollChoices, Choices: []string{"A", "B", "C", "D"}}, []Answer{"1", "2", "3", "4"}},
	{"scale", Question{Kind: PollScale, ScaleMax: 5}, []Answer{"1", "2", "3", "4", "5"}},
	{"multiple", Question{Kind: PollMultiple, Choices: []string{"A", "B", "C", "D"}, Settings: []byte(`{"max_picks":2}`)}, []Answer{"[1,2]", "[3]", "[2,4]", "[1,4]"}},
	{"wordcloud", Question{Kind: PollWordCloud, Settings: []byte(`{"max_words":3,"moderation":"post"}`)},
		[]Answer{`["Inspiring","AI","Énergie"]`, `["inspiring","Cloud"]`, `["Data Mesh","AI","Kubernetes"]`, `["Énergie","Sobriété"]`}},
	{"opentext", Question{Kind: PollOpenText, Settings: []byte(`{"moderation":"post"}`)},
		[]Answer{`"Ship small, ship often"`, `"Talk to your users before you build"`, `"Les démos en direct, c’est risqué mais ça marche"`, `"Measure what matters"`}},
	{"ranking", Question{Kind: PollRanking, Choices: []string{"A", "B", "C", "D", "E", "F", "G", "H"}},
		[]Answer{"[1,2,3,4,5,6,7,8]", "[8,7,6,5,4,3,2,1]", "[2,4,6,8,1,3,5,7]", "[5,1,7,3,8,2,6,4]"}},
	{"quiz", Question{Kind: PollQuiz, Choices: []string{"A", "B", "C", "D"}, Settings: []byte(`{"time_limit_s":10}`), Correct: []int{2}},
		[]Answer{"1", "2", "3", "4"}},
}

// BenchmarkKindTallyMove moves one participant's answer to another, as the
// committer's callback does for a changed vote, for each kind (open text:
// among 500 answers, each replaced under a new id).
func BenchmarkKindTallyMove(b *testing.B) {
	for _, k := range benchKinds {
		b.Run(k.name, func(b *testing.B) {
			t := NewTally(k.q)
			cur := make([]Answer, 500)
			for i := range cur { // a room that has answered
				cur[i] = k.answers[i%len(k.answers)]
				t.Move("", Vote{ParticipantID: int64(i), VoteID: "a", Answer: cur[i]})
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				p, next := i%len(cur), k.answers[(i+1)%len(k.answers)]
				t.Move(cur[p], Vote{ParticipantID: int64(p), VoteID: strconv.Itoa(i), Answer: next})
				cur[p] = next
				i++
			}
		})
	}
}

// BenchmarkKindTallyFrame encodes a public tally frame for each kind; the
// word cloud's with 2,000 distinct words, open text's from 500 answers.
func BenchmarkKindTallyFrame(b *testing.B) {
	for _, k := range benchKinds {
		b.Run(k.name, func(b *testing.B) {
			t := NewTally(k.q)
			for i := 0; i < 500; i++ {
				t.Move("", Vote{ParticipantID: int64(i), VoteID: "a", Answer: k.answers[i%len(k.answers)]})
			}
			if k.q.Kind == PollWordCloud {
				for i := 0; i < 2000; i++ {
					t.Move("", Vote{Answer: Answer(`["Mot` + strconv.Itoa(i) + `"]`)})
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				t.Frame(Target{KindPoll, 3}, FrameView{Show: true}, 1795439664790)
			}
		})
	}
}

// BenchmarkWordCloudFrameAfterChange is a word cloud's frame when an
// answer changed since the last one (every flush during a burst): its
// 2,000 words are grouped and sorted again.
func BenchmarkWordCloudFrameAfterChange(b *testing.B) {
	k := benchKinds[3]
	t := NewTally(k.q)
	for i := 0; i < 2000; i++ {
		t.Move("", Vote{Answer: Answer(`["Mot` + strconv.Itoa(i) + `","AI"]`)})
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		t.Move(k.answers[i%len(k.answers)], Vote{ParticipantID: 1, VoteID: strconv.Itoa(i), Answer: k.answers[(i+1)%len(k.answers)]})
		t.Frame(Target{KindPoll, 3}, FrameView{Show: true}, 1795439664790)
		i++
	}
}

// quizBench is a quiz of questions, each answered by players players at
// spread times, half of them right.
func quizBench(questions, players int) ([]*Poll, []QuizTally, map[int64]string) {
	qs := make([]*Poll, questions)
	tallies := make([]QuizTally, questions)
	names := map[int64]string{}
	for i := range qs {
		qs[i] = &Poll{ID: int64(i + 1), Kind: PollQuiz, QuizID: 1, Position: i + 1, Choices: []string{"A", "B", "C", "D"},
			Settings: []byte(`{"time_limit_s":10}`), Correct: []int{2}, OpenedAtMS: 1795439600000 + int64(i)*60000}
		t := NewTally(qs[i].Definition()).(QuizTally)
		for p := range players {
			at := time.UnixMilli(qs[i].OpenedAtMS + int64((p*7919+i*104729)%10000))
			t.Move("", Vote{ParticipantID: int64(p + 1), Answer: Answer(strconv.Itoa(1 + (p+i)%4)), At: at})
		}
		tallies[i] = t
	}
	for p := range players {
		if p%3 != 0 { // a third of the players are anonymous
			names[int64(p+1)] = "Player " + strconv.Itoa(p)
		}
	}
	return qs, tallies, names
}

// BenchmarkQuizStandings counts a quiz's standings from scratch: 10
// questions answered by 10,000 players each. It runs when a question's
// answers changed since the standings were last asked for (the cache then
// serves every GET /api/me of the phones).
func BenchmarkQuizStandings(b *testing.B) {
	qs, tallies, names := quizBench(10, 10000)
	b.ReportAllocs()
	for b.Loop() {
		CountStandings(qs, tallies, names)
	}
}

// BenchmarkQuizAnswerMove is the committer's callback for one quiz answer
// into a tally that holds 10,000 answers: counts and the answer's time.
func BenchmarkQuizAnswerMove(b *testing.B) {
	qs, tallies, _ := quizBench(1, 10000)
	t := tallies[0]
	at := time.UnixMilli(qs[0].OpenedAtMS + 4300)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := int64(20000 + i%100000)
		if i >= 100000 { // the same participants again: withdraw first, as a reset would
			t.Move("2", Vote{ParticipantID: p})
		}
		t.Move("", Vote{ParticipantID: p, Answer: "2", At: at})
		i++
	}
}
