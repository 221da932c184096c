package redistest_test

import (
	"context"
	"testing"
	"time"

	"github.com/ovation-live/ovation/internal/redistest"
	"github.com/redis/go-redis/v9"
)

func TestSentinelFailover(t *testing.T) {
	s := redistest.StartSentinel(t)
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: s.MasterName(), SentinelAddrs: s.Addrs()})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := rdb.Set(ctx, "before", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	// The replica has it before the master dies.
	if n, err := rdb.Wait(ctx, 1, 5*time.Second).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT: %d replicas, %v", n, err)
	}
	old := s.MasterAddr(t)
	s.KillMaster(t)
	if now := s.MasterAddr(t); now == old {
		t.Fatalf("the master is still %s", now)
	}

	// The client finds the new master by itself; the first calls may
	// still reach the dead one.
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := rdb.Set(ctx, "after", "1", 0).Err()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no write after the failover: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, key := range []string{"before", "after"} {
		if v, err := rdb.Get(ctx, key).Result(); err != nil || v != "1" {
			t.Errorf("%s = %q, %v after the failover", key, v, err)
		}
	}
}
