package cluster

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/internal/redistest"
)

// TestPresenceByNode checks that the core reads every node's subscribers
// per room from the reports the nodes make, and leaves out a stale one.
func TestPresenceByNode(t *testing.T) {
	if testing.Short() {
		t.Skip("runs redis-server")
	}
	r := redistest.Start(t)
	rdb := r.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stale, _ := json.Marshal(presenceReport{At: time.Now().Add(-time.Minute).UnixMilli(), Counts: map[string]int{"room:1": 99}})
	if err := rdb.HSet(ctx, keyPresence, "gone", stale).Err(); err != nil {
		t.Fatal(err)
	}
	nodes := map[string]int{"core": 2, "edge-1": 3}
	for node, phones := range nodes {
		h := hub.New(hub.Options{})
		for range phones {
			h.Subscribe(hub.RoomTopic(1), h.NewSubscriber(func() {}, func() {}), "", 0)
		}
		h.Subscribe(hub.ControlTopic(7), h.NewSubscriber(func() {}, func() {}), "", 0) // not a room's
		p := NewPresence(rdb, h, Options{RedisURL: r.URL(), Node: node})
		go p.Run(ctx)
	}
	core := NewPresence(rdb, hub.New(hub.Options{}), Options{RedisURL: r.URL(), Node: "core"})
	for {
		got := core.ByNode()
		if len(got) == 2 && got["core"]["room:1"] == 2 && got["edge-1"]["room:1"] == 3 {
			if _, ok := got["core"]["control:7"]; ok {
				t.Fatalf("a control topic is reported: %v", got)
			}
			return
		}
		if _, ok := got["gone"]; ok {
			t.Fatalf("a stale report is read: %v", got)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("by node: %v, want core 2 and edge-1 3 on room:1", got)
		case <-time.After(100 * time.Millisecond): // the nodes report every second
		}
	}
}
