package store

import (
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ovation-live/ovation/internal/pgtest"
	"github.com/ovation-live/ovation/live"
)

// BenchmarkGroupCommit measures durable vote ingest: 256 concurrent voters,
// each waiting for its vote's batch to commit (synchronous=FULL) before
// sending the next, as phones do.
func BenchmarkGroupCommit(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run(sync, func(b *testing.B) { benchmarkGroupCommit(b, sync) })
	}
}

func benchmarkGroupCommit(b *testing.B, synchronous string) {
	benchmarkIngest(b, 256, func(opts Options) (*DB, error) {
		opts.Synchronous = synchronous
		return Open(filepath.Join(b.TempDir(), "bench.db"), opts)
	})
}

// BenchmarkPostgresIngest is BenchmarkGroupCommit on PostgreSQL with a
// synchronous standby (internal/pgtest), both on this machine: a batch is
// acknowledged once its commit is on the standby too. The SQLite figure
// for the same voters (synchronous=FULL) runs alongside for comparison:
//
//	go test -run '^$' -bench 'PostgresIngest' -benchtime 200000x ./store
func BenchmarkPostgresIngest(b *testing.B) {
	for _, voters := range []int{256, 2048} {
		b.Run("sqlite/voters="+strconv.Itoa(voters), func(b *testing.B) {
			benchmarkIngest(b, voters, func(opts Options) (*DB, error) {
				return Open(filepath.Join(b.TempDir(), "bench.db"), opts)
			})
		})
		b.Run("postgres/voters="+strconv.Itoa(voters), func(b *testing.B) {
			url := pgtest.Start(b).URL()
			benchmarkIngest(b, voters, func(opts Options) (*DB, error) { return OpenPostgres(url, opts) })
		})
	}
}

// benchmarkIngest sends b.N votes from the given number of concurrent
// voters through the database open returns, each voter waiting for its
// vote's batch to commit before sending the next.
func benchmarkIngest(b *testing.B, voters int, open func(Options) (*DB, error)) {
	var batches, writes int64
	var mu sync.Mutex
	db, err := open(Options{OnCommit: func(n int, _ time.Duration, _ error) {
		mu.Lock()
		batches++
		writes += int64(n)
		mu.Unlock()
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var wg sync.WaitGroup
	per := b.N/voters + 1
	b.ReportAllocs()
	b.ResetTimer()
	for v := 0; v < voters; v++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan error, 1)
			for i := 0; i < per; i++ {
				vote := &live.Vote{VoteID: strconv.Itoa(i), ParticipantID: int64(v + 1), EventID: 1,
					Target: live.Target{Kind: live.KindPoll, ID: int64(i%50 + 1)}, Answer: live.Answer(strconv.Itoa(1 + i%5)), At: time.Now()}
				for db.Enqueue(live.WriteOp{Vote: vote, Done: func(err error) { done <- err }}) != nil {
					time.Sleep(time.Millisecond) // queue full: back off like a client would
				}
				if err := <-done; err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	total := float64(per * voters)
	b.ReportMetric(total/b.Elapsed().Seconds(), "votes/s")
	mu.Lock()
	b.ReportMetric(float64(writes)/float64(batches), "votes/batch")
	mu.Unlock()
}
