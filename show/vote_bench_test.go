package show_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
	"github.com/ovation-live/ovation/store"
)

type discard struct{}

func (discard) Publish(string, string, []byte) {}

// BenchmarkEngineVote measures durable answer ingest through the engine,
// for each kind of question: validation by the kind, dedupe, group commit
// (synchronous=FULL) and the tally update, with 512 or 2,048 voters each
// waiting for its acknowledgement before the next answer (a room of
// thousands keeps more answers in each group commit), each answer a change
// of the last. "scale" is the vote of a pitch or a scale poll.
func BenchmarkEngineVote(b *testing.B) {
	words := []string{"energie", "Énergie", "climat", "vélo", "train", "soleil", "eau", "forêt", "ville", "mer"}
	for _, k := range []struct {
		name     string
		poll     live.Poll
		answerOf func(i int) live.Answer
	}{
		{"scale", live.Poll{Kind: live.PollScale, ScaleMax: 5}, func(i int) live.Answer { return answer(1 + i%5) }},
		{"choices", live.Poll{Kind: live.PollChoices, Choices: []string{"A", "B", "C", "D"}}, func(i int) live.Answer { return answer(1 + i%4) }},
		{"multiple", live.Poll{Kind: live.PollMultiple, Choices: []string{"A", "B", "C", "D"}, Settings: []byte(`{"max_picks":3}`)},
			func(i int) live.Answer { return live.Answer(fmt.Sprintf("[%d,%d]", 1+i%2, 3+i%2)) }},
		{"wordcloud", live.Poll{Kind: live.PollWordCloud, Settings: []byte(`{"moderation":"post"}`)},
			func(i int) live.Answer {
				return live.Answer(fmt.Sprintf("[%q,%q,%q]", words[i%10], words[(i+3)%10], words[(i+7)%10]))
			}},
		{"opentext", live.Poll{Kind: live.PollOpenText, Settings: []byte(`{"moderation":"post"}`)},
			func(i int) live.Answer {
				return live.Answer(fmt.Sprintf(`"Answer number %d, a sentence of a few words"`, i))
			}},
		{"ranking", live.Poll{Kind: live.PollRanking, Choices: []string{"A", "B", "C", "D", "E"}},
			func(i int) live.Answer {
				return live.Answer([]string{"[1,2,3,4,5]", "[5,4,3,2,1]", "[2,1,3,5,4]"}[i%3])
			}},
	} {
		for _, voters := range []int{512, 2048} {
			b.Run(fmt.Sprintf("%s/voters=%d", k.name, voters), func(b *testing.B) { benchIngest(b, k.poll, k.answerOf, voters) })
		}
	}
}

func benchIngest(b *testing.B, poll live.Poll, answerOf func(int) live.Answer, voters int) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	e := show.NewEngine(db, discard{}, show.Options{})
	if err := e.Load(ctx); err != nil {
		b.Fatal(err)
	}
	ev, err := e.CreateEvent(ctx, "bench", &live.Event{Code: "BENCH", Title: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	m, _ := e.Model(ev.Code)
	poll.RoomID, poll.Question = m.Rooms[0].ID, "Q"
	p, err := e.CreatePoll(ctx, "bench", ev.Code, &poll)
	if err != nil {
		b.Fatal(err)
	}
	if err := e.PollAction(ctx, "bench", p.ID, live.PollOpenAction); err != nil {
		b.Fatal(err)
	}
	who := make([]live.Voter, voters)
	for i := range who {
		p, _, err := e.Join(ctx, ev.Code, "", "")
		if err != nil {
			b.Fatal(err)
		}
		who[i] = live.Voter{ParticipantID: p.ID, EventID: p.EventID}
	}
	target := live.Target{Kind: live.KindPoll, ID: p.ID}
	per := b.N/voters + 1
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for n, w := range who {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				if _, err := e.Vote(ctx, w, live.Vote{VoteID: strconv.Itoa(i), Target: target, Answer: answerOf(n + i)}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(per*voters)/b.Elapsed().Seconds(), "answers/s")
}
