package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// BenchmarkWSVote measures a vote over the WebSocket, end to end on one
// node: the message read and decoded, the vote path (admission, the
// engine, group commit with synchronous=NORMAL, the tally) and the ack
// written, with 64 phones each waiting for its ack before its next vote
// (a change of the last). ns/op is the wall time per vote across them.
func BenchmarkWSVote(b *testing.B) {
	const phones = 64
	ts := newTestServer(b, Config{VoteRate: 1e9, VoteBurst: 1 << 30, IPVoteRate: 1e9, IPVoteBurst: 1 << 30,
		MessageRate: 1e9, MessageBurst: 1 << 30, JoinRate: 1e9, JoinBurst: 1 << 30})
	f := newFixture(b, ts, "WSVOTE")
	conns := make([]*websocket.Conn, phones)
	for i := range conns {
		c, _ := dialWS(b, ts, nil)
		wsAuth(b, c, ts.join(b, "WSVOTE", nil).Token)
		conns[i] = c
	}
	ack := []byte(`"type":"ack"`)
	b.ResetTimer()
	var wg sync.WaitGroup
	errs := make(chan error, phones)
	for i, c := range conns {
		n := b.N / phones
		if i < b.N%phones {
			n++
		}
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			for v := range n {
				msg, _ := json.Marshal(map[string]any{"type": "vote", "vote_id": fmt.Sprint("v", v), "target": f.openPitch(), "value": 1 + v%5})
				if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
					errs <- err
					return
				}
				for {
					_, data, err := c.Read(ctx)
					if err != nil {
						errs <- err
						return
					}
					if bytes.Contains(data, ack) {
						break
					}
					if bytes.Contains(data, []byte(`"type":"error"`)) {
						errs <- fmt.Errorf("vote %d: %s", v, data)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}
