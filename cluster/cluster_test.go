package cluster

// Unit tests of what the cluster decides without Redis: the broker's queue,
// the entries and values read back from Redis, the edge's vote buffer.
// The nodes against a real redis-server are tested in cmd/ovation.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
)

func TestBrokerQueueSupersedesInOrder(t *testing.T) {
	h := hub.New(hub.Options{})
	b := NewBroker(nil, h, Options{RedisURL: "redis://x", Node: "n"})
	h.SetBroker(b)
	h.Publish("stage:1", "tally:a", []byte(`{"v":1}`))
	h.Publish("stage:1", "stage", []byte(`{"v":2}`))
	h.Publish("stage:1", "tally:a", []byte(`{"v":3}`)) // supersedes the first, queued after the second
	h.Publish("room:1", "tally:a", []byte(`{"v":4}`))
	var got []string
	for _, f := range b.pending {
		got = append(got, fmt.Sprintf("%s/%s/%d", f.Topic, f.Key, f.Seq))
	}
	if want := "[stage:1/stage/2 stage:1/tally:a/3 room:1/tally:a/1]"; fmt.Sprint(got) != want {
		t.Fatalf("queue %v, want %v", got, want)
	}
	for k, i := range b.index {
		if p := b.pending[i]; p.Topic+"\x00"+p.Key != k {
			t.Fatalf("index %q → %d holds %s/%s", k, i, p.Topic, p.Key)
		}
	}
	if !h.Has("stage:1") { // delivered locally at once
		t.Fatal("the core's own hub did not get the frames")
	}
}

func TestVoteEntryRoundTrip(t *testing.T) {
	v := voteEntry{Node: "edge-a", Participant: 42, Event: 7, Jury: true, VoteID: "abc", Target: "poll:3", Answer: "2", Received: 1764635400123}
	vals := map[string]any{}
	for k, x := range v.values() {
		vals[k] = fmt.Sprint(x) // Redis gives every field back as a string
	}
	got, err := parseVoteEntry(vals)
	if err != nil || got != v {
		t.Fatalf("got %+v, %v; want %+v", got, err, v)
	}
	old := map[string]any{"n": "a", "p": "1", "e": "1", "j": "0", "v": "id", "t": "poll:1", "x": "1"} // before the received time
	if got, err := parseVoteEntry(old); err != nil || got.Received != 0 {
		t.Errorf("entry without a received time: %+v, %v", got, err)
	}
	for _, bad := range []map[string]any{{}, {"n": "a", "p": "x", "e": "1", "v": "id", "x": "1"}, {"n": "", "p": "1", "e": "1", "v": "id", "x": "1"},
		{"n": "a", "p": "1", "e": "1", "v": "id", "x": "1", "r": "soon"}, {"n": "a", "p": "1", "e": "1", "v": "id", "x": "1", "r": "-5"}} {
		if _, err := parseVoteEntry(bad); err == nil {
			t.Errorf("%v: accepted", bad)
		}
	}
}

func TestSnapshotValue(t *testing.T) {
	seq, data, err := parseSnapshotValue(snapshotValue(12, []byte(`{"seq":12}`)))
	if err != nil || seq != 12 || string(data) != `{"seq":12}` {
		t.Fatalf("%d %s %v", seq, data, err)
	}
	for _, bad := range []string{"", "12", "x {}", "12 nope", "-1 {}"} {
		if _, _, err := parseSnapshotValue(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

func FuzzParseVoteEntry(f *testing.F) {
	f.Add("edge-a", "1", "2", "1", "vote", "pitch:1", "3")
	f.Add("", "x", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, n, p, e, j, v, tg, x string) {
		got, err := parseVoteEntry(map[string]any{"n": n, "p": p, "e": e, "j": j, "v": v, "t": tg, "x": x})
		if err == nil && (got.Node == "" || got.VoteID == "") {
			t.Fatalf("accepted an entry without node or vote id: %+v", got)
		}
	})
}

func FuzzParseSnapshotValue(f *testing.F) {
	f.Add("3 {\"a\":1}")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		seq, data, err := parseSnapshotValue(s)
		if err == nil && (len(data) < 2 || data[0] != '{') {
			t.Fatalf("accepted %q as %d %q", s, seq, data)
		}
	})
}

// FuzzDecodeBatch feeds the edge's decoder arbitrary pub/sub payloads:
// what it accepts is a batch whose every frame can go to the hub.
func FuzzDecodeBatch(f *testing.F) {
	ok, _ := json.Marshal(batch{Epoch: "e1", N: 1, Frames: []wireFrame{{Topic: "stage:1", Key: "k", Seq: 1, Data: json.RawMessage(`{"seq":1}`)}}})
	f.Add(string(ok))
	f.Add(`{"e":"e1","n":1,"f":[{"t":"stage:1","k":"k","s":1,"d":5}]}`)
	f.Add(`{"e":"e1","n":0}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, payload string) {
		b, err := decodeBatch(payload)
		if err != nil {
			return
		}
		if b.Epoch == "" || b.N == 0 {
			t.Fatalf("accepted %q", payload)
		}
		for _, fr := range b.Frames {
			var obj map[string]any
			if fr.Topic == "" || fr.Seq == 0 || json.Unmarshal(fr.Data, &obj) != nil {
				t.Fatalf("accepted frame %+v of %q", fr, payload)
			}
		}
	})
}

func TestSubmitBuffersWhileDegradedAndRefusesBeyond(t *testing.T) {
	e, err := NewEdge(nil, hub.New(hub.Options{}), Options{RedisURL: "redis://x", Node: "n", VoteBuffer: 2})
	if err != nil {
		t.Fatal(err)
	}
	e.degraded.Store(true) // Redis down: no call is made
	who := live.Voter{ParticipantID: 1, EventID: 1}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var reports []string
	report := func(r live.Receipt, err error) { reports = append(reports, r.Status) }
	before := time.Now().UnixMilli()
	for i := range 2 {
		st, err := e.Submit(ctx, who, live.Vote{VoteID: fmt.Sprint(i), Target: live.Target{Kind: live.KindPitch, ID: 1}, Answer: "3"}, report)
		if err != nil || st != "queued" {
			t.Fatalf("vote %d: %q %v, want queued", i, st, err)
		}
	}
	_, err = e.Submit(ctx, who, live.Vote{VoteID: "full", Target: live.Target{Kind: live.KindPitch, ID: 1}, Answer: "3"}, report)
	if live.ErrorCode(err) != live.EBusy {
		t.Fatalf("third vote with a buffer of 2: %v, want busy", err)
	}
	if len(e.buffer) != 2 || len(e.votes) != 2 {
		t.Fatalf("buffer %d, waiting %d: the refused vote was kept", len(e.buffer), len(e.votes))
	}
	// A held vote keeps the time the edge received it, which a quiz counts from.
	for _, v := range e.buffer {
		if v.Received < before || v.Received > time.Now().UnixMilli() {
			t.Fatalf("held vote received at %d, not between %d and now", v.Received, before)
		}
	}
	// The core's answer reaches the vote's waiter once, then no more.
	e.answer(`{"votes":[{"p":1,"v":"0","t":"pitch:1","x":3,"s":"counted"}]}`)
	e.answer(`{"votes":[{"p":1,"v":"0","t":"pitch:1","x":3,"s":"counted"}]}`)
	e.answer(`not json`)
	if fmt.Sprint(reports) != "[counted]" || len(e.votes) != 1 {
		t.Fatalf("reports %v, waiting %d", reports, len(e.votes))
	}
}

func TestForwardedHeaderKeepsWhatTheCoreReads(t *testing.T) {
	in := http.Header{}
	in.Set("Cookie", "ovation_session=abc")
	in.Set("X-Csrf-Token", "t")
	in.Set("X-Forwarded-For", "6.6.6.6") // the edge passes the client's address itself
	in.Set("X-Real-Ip", "6.6.6.6")
	in.Set("X-Junk", strings.Repeat("x", 1000))
	in.Set("User-Agent", strings.Repeat("u", 2*maxForwardedHeader))
	out := forwardedHeader(in)
	if out.Get("Cookie") == "" || out.Get("X-Csrf-Token") != "t" {
		t.Fatalf("lost a header the core needs: %v", out)
	}
	for _, k := range []string{"X-Forwarded-For", "X-Real-Ip", "X-Junk", "User-Agent"} {
		if out.Get(k) != "" {
			t.Errorf("%s forwarded", k)
		}
	}
}

// A batch encoded for pub/sub decodes to the same frames, their data as the
// hub encoded it.
func TestBatchRoundTrip(t *testing.T) {
	frames := []hub.Frame{
		{Topic: "stage:1", Key: "tally:pitch:2", Seq: 7, Data: []byte(`{"seq":7,"topic":"stage:1","type":"tally","total":3}`)},
		{Topic: "room:1", Key: `odd "key" <&>`, Seq: 9, Data: []byte(`{"seq":9,"topic":"room:1","type":"presence","connected":12}`)},
	}
	b, err := decodeBatch(string(encodeBatch("e1", 4, frames)))
	if err != nil {
		t.Fatal(err)
	}
	if b.Epoch != "e1" || b.N != 4 || len(b.Frames) != len(frames) {
		t.Fatalf("decoded %+v", b)
	}
	for i, f := range b.Frames {
		want := frames[i]
		if f.Topic != want.Topic || f.Key != want.Key || f.Seq != want.Seq || string(f.Data) != string(want.Data) {
			t.Errorf("frame %d: %+v, want %+v", i, f, want)
		}
	}
}
