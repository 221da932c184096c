package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ovation-live/ovation/internal/redistest"
)

// TestStandbyWaitsThroughRedisLoss: a standby core waiting for the lease
// outlives Redis going away (its master killed, a failover under way), and
// takes the lease once Redis is back and the acting core's has run out. It
// used to stop with "cluster: core lease: … connection refused", leaving
// the cluster with no standby after a Redis failover.
func TestStandbyWaitsThroughRedisLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("runs redis-server")
	}
	r := redistest.Start(t)
	acting, err := NewCore(r.Client(t), Options{RedisURL: r.URL(), Node: "core-1", LeaseTTL: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := acting.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr(), MaxRetries: -1})
	defer rdb.Close()
	standby, err := NewCore(rdb, Options{RedisURL: r.URL(), Node: "core-2", LeaseTTL: 2 * time.Second, Standby: true, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	acquired := make(chan error, 1)
	go func() { acquired <- standby.Acquire(ctx) }()
	time.Sleep(300 * time.Millisecond)
	r.Kill(t)
	select {
	case err := <-acquired:
		t.Fatalf("the standby stopped waiting while Redis was down: %v", err)
	case <-time.After(1500 * time.Millisecond):
	}
	r.Restart(t) // the acting core's lease, kept by the append-only file, runs out
	select {
	case err := <-acquired:
		if err != nil {
			t.Fatalf("the standby: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the standby did not take the lease once Redis was back")
	}
}
