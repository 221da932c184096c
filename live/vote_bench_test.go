package live_test

import (
	"context"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/store"
)

type discard struct{}

func (discard) Publish(string, string, []byte) {}

// BenchmarkEngineVote measures durable vote ingest through the engine:
// validation, dedupe, group commit (synchronous=FULL) and the tally update,
// with 512 voters each waiting for its acknowledgement before the next vote.
func BenchmarkEngineVote(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	e := live.NewEngine(db, discard{}, live.EngineOptions{})
	if err := e.Load(ctx); err != nil {
		b.Fatal(err)
	}
	ev, err := e.CreateEvent(ctx, "bench", &live.Event{Code: "BENCH", Title: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	m, _ := e.Model(ev.Code)
	poll, err := e.CreatePoll(ctx, "bench", ev.Code, &live.Poll{RoomID: m.Rooms[0].ID, Question: "Q", Kind: live.PollScale, ScaleMax: 5})
	if err != nil {
		b.Fatal(err)
	}
	if err := e.PollAction(ctx, "bench", poll.ID, live.PollOpenAction); err != nil {
		b.Fatal(err)
	}
	const voters = 512
	who := make([]live.Voter, voters)
	for i := range who {
		p, _, err := e.Join(ctx, ev.Code, "", "")
		if err != nil {
			b.Fatal(err)
		}
		who[i] = live.Voter{ParticipantID: p.ID, EventID: p.EventID}
	}
	target := live.Target{Kind: live.KindPoll, ID: poll.ID}
	per := b.N/voters + 1
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for _, w := range who {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				if _, err := e.Vote(ctx, w, live.Vote{VoteID: strconv.Itoa(i), Target: target, Answer: answer(1 + i%5)}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(per*voters)/b.Elapsed().Seconds(), "votes/s")
}
