package cluster

import (
	"context"
	"encoding/json"
	"time"
)

// ByNode returns every node's subscribers per topic, as the nodes last
// reported them (reports older than 5 s are left out): the figures a
// cluster's core keeps per node read it, so that no edge has to send
// samples of its own. It answers an empty map while Redis is down.
func (p *Presence) ByNode() map[string]map[string]int {
	out := map[string]map[string]int{}
	all, err := call(context.Background(), p.opts.Timeout, func(ctx context.Context) (map[string]string, error) {
		return p.rdb.HGetAll(ctx, keyPresence).Result()
	})
	if err != nil {
		return out
	}
	for node, v := range all {
		var r presenceReport
		if json.Unmarshal([]byte(v), &r) != nil || time.Since(time.UnixMilli(r.At)) > 5*time.Second {
			continue
		}
		out[node] = r.Counts
	}
	return out
}
