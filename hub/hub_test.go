package hub

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type snapshot struct {
	Type    string            `json:"type"`
	Topic   string            `json:"topic"`
	Epoch   string            `json:"epoch"`
	Seq     uint64            `json:"seq"`
	Resumed bool              `json:"resumed"`
	Frames  []json.RawMessage `json:"frames"`
}

type frame struct {
	Seq   uint64 `json:"seq"`
	Topic string `json:"topic"`
	Type  string `json:"type"`
	N     int    `json:"n"`
}

func decode[T any](tb testing.TB, b []byte) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func payload(typ string, n int) []byte { return []byte(fmt.Sprintf(`{"type":%q,"n":%d}`, typ, n)) }

func TestPublishEncodesOnceWithSeqAndTopic(t *testing.T) {
	h := New(Options{})
	a, b := h.NewSubscriber(func() {}, nil), h.NewSubscriber(func() {}, nil)
	h.Subscribe("room:1", a, "", 0)
	h.Subscribe("room:1", b, "", 0)
	h.Publish("room:1", "tally:poll:1", payload("tally", 7))
	ma, mb := a.Take(nil), b.Take(nil)
	if len(ma) != 2 || len(mb) != 2 {
		t.Fatalf("got %d and %d messages, want snapshot + frame each", len(ma), len(mb))
	}
	if &ma[1][0] != &mb[1][0] {
		t.Error("subscribers got different byte slices: the frame was encoded per subscriber")
	}
	f := decode[frame](t, ma[1])
	if f.Seq != 1 || f.Topic != "room:1" || f.Type != "tally" || f.N != 7 {
		t.Fatalf("frame %s", ma[1])
	}
}

func TestUnchangedPayloadIsNotPublishedAgain(t *testing.T) {
	h := New(Options{})
	s := h.NewSubscriber(func() {}, nil)
	h.Subscribe("room:1", s, "", 0)
	h.Publish("room:1", "ranking:1", payload("ranking", 1))
	h.Publish("room:1", "ranking:1", payload("ranking", 1))
	h.Publish("room:1", "ranking:2", payload("ranking", 1)) // another key is another state
	h.Publish("room:1", "ranking:1", payload("ranking", 2))
	if n := h.Stats().Published; n != 3 {
		t.Fatalf("%d frames published, want 3", n)
	}
	got := s.Take(nil)[1:] // after the snapshot; the second ranking:1 superseded the first in the queue
	if len(got) != 2 || decode[frame](t, got[1]).N != 2 {
		t.Fatalf("queued %q", got)
	}
}

func TestSnapshotHoldsLatestFramePerKey(t *testing.T) {
	h := New(Options{})
	for i := 1; i <= 5; i++ {
		h.Publish("room:1", "stage", payload("stage", i))
		h.Publish("room:1", "tally:pitch:"+strconv.Itoa(i%2), payload("tally", i))
	}
	s := h.NewSubscriber(func() {}, nil)
	h.Subscribe("room:1", s, "", 0)
	snap := decode[snapshot](t, s.Take(nil)[0])
	if snap.Resumed || snap.Seq != 10 || len(snap.Frames) != 3 || snap.Epoch != h.Epoch() {
		t.Fatalf("snapshot %+v", snap)
	}
	var last uint64
	for _, raw := range snap.Frames {
		f := decode[frame](t, raw)
		if f.Seq <= last {
			t.Fatalf("frames out of order: %s", raw)
		}
		last = f.Seq
	}
}

func TestResume(t *testing.T) {
	h := New(Options{})
	h.Publish("room:1", "a", payload("a", 1)) // seq 1
	h.Publish("room:1", "b", payload("b", 1)) // seq 2
	h.Publish("room:1", "a", payload("a", 2)) // seq 3
	t.Run("resumed with the frames after last_seq", func(t *testing.T) {
		s := h.NewSubscriber(func() {}, nil)
		h.Subscribe("room:1", s, h.Epoch(), 2)
		snap := decode[snapshot](t, s.Take(nil)[0])
		if !snap.Resumed || len(snap.Frames) != 1 || decode[frame](t, snap.Frames[0]).Seq != 3 {
			t.Fatalf("%+v", snap)
		}
	})
	t.Run("full snapshot for another epoch", func(t *testing.T) {
		s := h.NewSubscriber(func() {}, nil)
		h.Subscribe("room:1", s, "stale", 2)
		if snap := decode[snapshot](t, s.Take(nil)[0]); snap.Resumed || len(snap.Frames) != 2 {
			t.Fatalf("%+v", snap)
		}
	})
	t.Run("full snapshot when last_seq is ahead", func(t *testing.T) {
		s := h.NewSubscriber(func() {}, nil)
		h.Subscribe("room:1", s, h.Epoch(), 99)
		if snap := decode[snapshot](t, s.Take(nil)[0]); snap.Resumed || len(snap.Frames) != 2 {
			t.Fatalf("%+v", snap)
		}
	})
}

func TestSlowSubscriberKeepsOnlyLatestFramePerKey(t *testing.T) {
	h := New(Options{QueueLimit: 4})
	s := h.NewSubscriber(func() { t.Error("closed, but superseded frames should not count") }, nil)
	h.Subscribe("room:1", s, "", 0)
	s.Take(nil)
	for i := 1; i <= 100; i++ {
		h.Publish("room:1", "tally:poll:1", payload("tally", i))
		h.Publish("room:1", "tally:poll:2", payload("tally", -i))
	}
	got := s.Take(nil)
	if len(got) != 2 {
		t.Fatalf("queued %d frames, want the 2 latest", len(got))
	}
	a, b := decode[frame](t, got[0]), decode[frame](t, got[1])
	if a.N != 100 || b.N != -100 || a.Seq >= b.Seq {
		t.Fatalf("got %s %s", got[0], got[1])
	}
	if st := h.Stats(); st.Superseded != 198 {
		t.Errorf("superseded %d, want 198", st.Superseded)
	}
}

func TestOverflowClosesSubscriberOnce(t *testing.T) {
	h := New(Options{QueueLimit: 3})
	var closed atomic.Int32
	s := h.NewSubscriber(func() { closed.Add(1) }, nil)
	other := h.NewSubscriber(func() { t.Error("the reading subscriber was closed") }, nil)
	h.Subscribe("room:1", s, "", 0)
	h.Subscribe("room:1", other, "", 0)
	for i := 0; i < 10; i++ {
		h.Publish("room:1", "k"+strconv.Itoa(i), payload("x", i))
		other.Take(nil)
	}
	if closed.Load() != 1 || h.Stats().SlowClosed != 1 {
		t.Fatalf("closed %d times", closed.Load())
	}
	if s.Send([]byte(`{}`)) {
		t.Error("a closed subscriber accepted a message")
	}
	h.Remove(s)
	if n := h.Count("room:1"); n != 1 {
		t.Errorf("count %d after remove, want 1", n)
	}
}

func TestConcurrentPublishersAndSubscribers(t *testing.T) {
	h := New(Options{QueueLimit: 1 << 16})
	var wg sync.WaitGroup
	subs := make([]*Subscriber, 50)
	for i := range subs {
		subs[i] = h.NewSubscriber(func() {}, nil)
	}
	for i, s := range subs {
		wg.Add(1)
		go func() { defer wg.Done(); h.Subscribe("room:"+strconv.Itoa(i%3), s, "", 0) }()
	}
	for p := 0; p < 4; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				h.Publish("room:"+strconv.Itoa(i%3), "k"+strconv.Itoa(p), payload("x", i))
			}
		}()
	}
	wg.Wait()
	for _, s := range subs {
		var last uint64
		for _, m := range s.Take(nil) {
			var f struct{ Seq uint64 }
			_ = json.Unmarshal(m, &f)
			if f.Seq != 0 && f.Seq <= last {
				t.Fatalf("sequence went back: %d after %d", f.Seq, last)
			}
			if f.Seq != 0 {
				last = f.Seq
			}
		}
	}
}

// BenchmarkFanout10k publishes one ~200-byte tally frame to 10,000
// subscribers of a topic: one encoding, 10,000 queue appends.
func BenchmarkFanout10k(b *testing.B) { benchmarkFanout10k(b, Options{}) }

// BenchmarkFanout10kPaced is the same with the server's default pacing on
// two cores: the writers' wake-ups handed to the pacer.
func BenchmarkFanout10kPaced(b *testing.B) { benchmarkFanout10k(b, Options{PaceRate: 25000}) }

func benchmarkFanout10k(b *testing.B, opts Options) {
	h := New(opts)
	subs := make([]*Subscriber, 10000)
	for i := range subs {
		subs[i] = h.NewSubscriber(func() {}, nil)
		h.Subscribe("room:1", subs[i], "", 0)
	}
	frames := [2][]byte{ // alternate: an unchanged payload is not published again
		[]byte(`{"type":"tally","target":"pitch:12","hidden":false,"total":4242,"counts":[120,340,900,1500,1382],"mean":3.652,"jury":{"count":9,"sum":38,"mean":4.222},"jury_counts":[0,0,1,5,3]}`),
		[]byte(`{"type":"tally","target":"pitch:12","hidden":false,"total":4243,"counts":[120,340,900,1500,1383],"mean":3.652,"jury":{"count":9,"sum":38,"mean":4.222},"jury_counts":[0,0,1,5,3]}`),
	}
	var buf [][]byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.Publish("room:1", "tally:pitch:12", frames[i%2])
		if i%64 == 63 { // writers drain their queues in the real server
			for _, s := range subs {
				buf = s.Take(buf[:0])
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10000, "ns/delivery")
}

// BenchmarkFanoutNaive10k is the same broadcast done the naive way, for
// comparison: the frame encoded with encoding/json once per subscriber.
func BenchmarkFanoutNaive10k(b *testing.B) {
	type tally struct {
		Seq    uint64  `json:"seq"`
		Topic  string  `json:"topic"`
		Type   string  `json:"type"`
		Target string  `json:"target"`
		Total  int64   `json:"total"`
		Counts []int64 `json:"counts"`
		Mean   float64 `json:"mean"`
	}
	queues := make([][][]byte, 10000)
	v := tally{Type: "tally", Topic: "room:1", Target: "pitch:12", Total: 4242, Counts: []int64{120, 340, 900, 1500, 1382}, Mean: 3.652}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v.Seq++
		for q := range queues {
			data, _ := json.Marshal(v)
			queues[q] = append(queues[q][:0], data)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10000, "ns/delivery")
}

// BenchmarkCoalescing compares, for 1,000 votes arriving within one second
// on a topic of 10,000 subscribers, a tally frame per vote (the naive way)
// with a frame per 100 ms tick (the design: 10 frames). Each op is the whole
// second's fan-out work.
func BenchmarkCoalescing(b *testing.B) {
	for _, c := range []struct {
		name   string
		frames int
	}{{"PerVote", 1000}, {"Coalesced100ms", 10}} {
		b.Run(c.name, func(b *testing.B) {
			h := New(Options{QueueLimit: 1 << 20})
			subs := make([]*Subscriber, 10000)
			for i := range subs {
				subs[i] = h.NewSubscriber(func() {}, nil)
				h.Subscribe("room:1", subs[i], "", 0)
			}
			var buf [][]byte
			total := 0
			b.ReportAllocs()
			for b.Loop() {
				for f := 0; f < c.frames; f++ {
					total++
					h.Publish("room:1", "tally:pitch:1", payload("tally", total))
				}
				for _, s := range subs { // the writers drain what is queued
					buf = s.Take(buf[:0])
				}
			}
		})
	}
}

// TestResetContinuesAnotherEpoch is a cluster node taking the core's epoch
// and numbering: frames are forgotten, subscribers get an empty snapshot of
// the new epoch, and publishing continues after the given sequence numbers.
func TestResetContinuesAnotherEpoch(t *testing.T) {
	h := New(Options{})
	s := h.NewSubscriber(func() {}, nil)
	h.Subscribe("room:1", s, "", 0)
	h.Publish("room:1", "a", payload("a", 1))
	s.Take(nil)
	h.Reset("cluster-epoch", map[string]uint64{"room:1": 40, "stage:1": 7})
	msgs := s.Take(nil)
	if len(msgs) != 1 {
		t.Fatalf("after reset: %d messages, want one snapshot", len(msgs))
	}
	if snap := decode[snapshot](t, msgs[0]); snap.Epoch != "cluster-epoch" || snap.Seq != 40 || snap.Resumed || len(snap.Frames) != 0 {
		t.Fatalf("snapshot %+v", snap)
	}
	if h.Has("room:1") || h.Epoch() != "cluster-epoch" {
		t.Fatal("the old frames survived the reset")
	}
	h.Publish("room:1", "a", payload("a", 1)) // the same payload is new in the new epoch
	if f := decode[frame](t, s.Take(nil)[0]); f.Seq != 41 {
		t.Fatalf("first frame after reset has seq %d, want 41", f.Seq)
	}
	if c := h.Counts(); c["room:1"] != 1 || len(c) != 1 {
		t.Fatalf("counts %v", c)
	}
}

// TestClosedSubscriberIsNotAddedAgain: a connection removed while a reset
// (or a late subscribe) runs stays out of every topic.
func TestClosedSubscriberIsNotAddedAgain(t *testing.T) {
	h := New(Options{})
	s := h.NewSubscriber(func() {}, nil)
	h.Subscribe("room:1", s, "", 0)
	h.Remove(s)
	h.Subscribe("room:1", s, "", 0)
	h.Reset("e2", nil)
	if n := h.Count("room:1"); n != 0 {
		t.Fatalf("%d subscribers after removal", n)
	}
}

// Frames for a large topic are queued for every subscriber at once, but
// their writers are woken in turn, no faster than the pace rate, each once
// for all the frames queued meanwhile; a direct message wakes its
// subscriber at once; a removed subscriber is not woken; a small topic is
// never paced.
func TestLargeBroadcastWakesWritersInTurn(t *testing.T) {
	const subscribers, rate = 30, 20 // 1.5 s for all of them
	h := New(Options{PaceAbove: 10, PaceRate: rate})
	woken := make(chan int, 2*subscribers)
	var wakes [subscribers]atomic.Int32
	var publishing atomic.Bool
	subs := make([]*Subscriber, subscribers)
	for i := range subs {
		subs[i] = h.NewSubscriber(func() {}, func() {
			if publishing.Load() {
				wakes[i].Add(1)
				woken <- i
			}
		})
		h.Subscribe("room:1", subs[i], "", 0)
		subs[i].Take(nil)
	}
	stage := h.NewSubscriber(func() {}, nil)
	h.Subscribe("stage:1", stage, "", 0)
	stage.Send([]byte(`{"type":"ack"}`)) // a vote answered: the node is busy, broadcasts are paced
	stage.Take(nil)

	publishing.Store(true)
	start := time.Now()
	h.Publish("room:1", "tally:poll:1", payload("tally", 1))
	h.Publish("room:1", "ranking:1", payload("ranking", 1))
	h.Publish("stage:1", "tally:poll:1", payload("tally", 1))
	if got := len(stage.Take(nil)); got != 1 {
		t.Fatalf("the small topic's subscriber has %d messages queued, want its frame", got)
	}

	removed := 0
	h.Remove(subs[removed])
	wokenBeforeRemove := wakes[removed].Load()

	direct := subscribers - 1 // gets an ack: woken at once, writes everything
	before := wakes[direct].Load()
	subs[direct].Send([]byte(`{"type":"ack"}`))
	if wakes[direct].Load() != before+1 {
		t.Fatal("a direct message did not wake its subscriber at once")
	}
	if got := len(subs[direct].Take(nil)); got != 3 {
		t.Fatalf("the subscriber woken by its ack has %d messages, want both frames and the ack", got)
	}

	paced := map[int]bool{}
	var last time.Time
	for len(paced) < subscribers-2 {
		var i int
		select {
		case i = <-woken:
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d writers woken after 10 s", len(paced), subscribers-2)
		}
		if i == direct || i == removed {
			continue // its own wake above, or a wake that came before its removal
		}
		last = time.Now()
		if paced[i] {
			t.Fatalf("subscriber %d woken twice", i)
		}
		paced[i] = true
		if got := len(subs[i].Take(nil)); got != 2 {
			t.Fatalf("subscriber %d woken with %d messages queued, want both frames", i, got)
		}
	}
	if min := time.Duration(subscribers-3) * time.Second / rate; last.Sub(start) < min {
		t.Errorf("%d writers woken in %v: faster than %d a second", subscribers-2, last.Sub(start), rate)
	}
	time.Sleep(100 * time.Millisecond) // time for a wrong extra wake
	if n := wakes[removed].Load(); n != wokenBeforeRemove {
		t.Errorf("the removed subscriber was woken after its removal")
	}
	for i := 1; i < subscribers-1; i++ {
		if n := wakes[i].Load(); n != 1 {
			t.Errorf("subscriber %d woken %d times, want once", i, n)
		}
	}
}

// The pacer wakes no more writers while the ones it woke have not taken
// their frames (they wait for a core): at most paceInFlight per core, until
// they take them, or until paceStuck has passed (then they wait for their
// network, and the broadcast goes on).
func TestPacerWaitsForTheWritersItWoke(t *testing.T) {
	inFlight := paceInFlight * runtime.GOMAXPROCS(0)
	subscribers := 4 * inFlight
	h := New(Options{PaceAbove: 10, PaceRate: 1_000_000}) // the rate never decides here
	var mu sync.Mutex
	var turns []time.Time
	var woken []*Subscriber
	subs := make([]*Subscriber, subscribers)
	for i := range subs {
		subs[i] = h.NewSubscriber(func() {}, nil)
		subs[i].OnTurn(func() {
			mu.Lock()
			turns = append(turns, time.Now())
			woken = append(woken, subs[i])
			mu.Unlock()
		})
		h.Subscribe("room:1", subs[i], "", 0)
		subs[i].Take(nil)
	}
	busy := h.NewSubscriber(func() {}, nil)
	busy.Send([]byte(`{"type":"ack"}`)) // the node is busy: broadcasts are paced
	h.Publish("room:1", "tally:poll:1", payload("tally", 1))

	// Nobody writes: the first turns, then a pause of paceStuck.
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(turns)
		var first time.Time
		if n > 0 {
			first = turns[0]
		}
		early := 0
		for _, at := range turns {
			if at.Before(first.Add(paceStuck / 2)) {
				early++
			}
		}
		mu.Unlock()
		if early > inFlight {
			t.Fatalf("%d writers woken within %v while none had written, want at most %d", early, paceStuck/2, inFlight)
		}
		if n > inFlight {
			if gap := turns[inFlight].Sub(turns[inFlight-1]); gap < paceStuck/2 {
				t.Errorf("the pacer went on after %v, want a pause of about %v", gap, paceStuck)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d writers woken after 10 s", n)
		}
		time.Sleep(time.Millisecond)
	}

	// The writers keep up: the rest follow at once.
	for {
		mu.Lock()
		batch := woken
		woken = nil
		n := len(turns)
		mu.Unlock()
		for _, s := range batch {
			s.Take(nil)
		}
		if n == subscribers {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d writers woken after 10 s", n, subscribers)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// A subscriber waiting for its paced turn is not a slow consumer: frames of
// many keys at once (a resync) wake it before its queue could overflow.
func TestPacedSubscriberIsWokenBeforeItsQueueOverflows(t *testing.T) {
	h := New(Options{QueueLimit: 4, PaceAbove: 2, PaceRate: 1})
	var woken [3]atomic.Int32
	var slow atomic.Int32
	subs := make([]*Subscriber, 3)
	for i := range subs {
		subs[i] = h.NewSubscriber(func() { slow.Add(1) }, func() { woken[i].Add(1) })
		h.Subscribe("room:1", subs[i], "", 0)
		subs[i].Take(nil)
		woken[i].Store(0)
	}
	busy := h.NewSubscriber(func() {}, nil)
	busy.Send([]byte(`{"type":"ack"}`)) // the node is busy: broadcasts are paced
	for k := range 3 {                  // the third frame makes each queue longer than half the limit
		h.Publish("room:1", "tally:"+strconv.Itoa(k), payload("tally", k))
	}
	for i, s := range subs {
		if woken[i].Load() == 0 {
			t.Errorf("subscriber %d holds 3 frames of a limit of 4 and was not woken", i)
		}
		if got := len(s.Take(nil)); got != 3 {
			t.Errorf("subscriber %d has %d frames, want 3", i, got)
		}
	}
	if n := slow.Load(); n != 0 {
		t.Errorf("%d subscribers closed as slow", n)
	}
}

// A large broadcast is paced only while the node is busy: on an idle node
// every subscriber is woken in a background pass, as fast as it goes
// (notify); after a direct message the next broadcasts are paced, the turns
// going to OnTurn; when the busy window has passed, they are written in a
// pass again, also when the writers are behind (the newest frame of a key
// replaces the one still queued, and the subscribers are not woken twice).
func TestPacingOnlyWhileBusy(t *testing.T) {
	const subscribers = 30
	const window = 300 * time.Millisecond
	h := New(Options{PaceAbove: 10, PaceRate: 1000, BusyWindow: window})
	var notified, turns atomic.Int32
	subs := make([]*Subscriber, subscribers)
	for i := range subs {
		subs[i] = h.NewSubscriber(func() {}, func() { notified.Add(1) })
		subs[i].OnTurn(func() { turns.Add(1) })
		h.Subscribe("room:1", subs[i], "", 0)
		subs[i].Take(nil)
	}
	takeAll := func() {
		for _, s := range subs {
			s.Take(nil)
		}
	}
	waitTurns := func(want int32) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); turns.Load() < want; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d paced turns after 5 s, want %d", turns.Load(), want)
			}
		}
	}
	h.waitPasses(t)
	notified.Store(0)

	h.Publish("room:1", "tally", payload("tally", 1)) // idle: in a pass
	h.waitPasses(t)
	if n := notified.Load(); n != subscribers || h.Stats().Paced != 0 {
		t.Fatalf("idle node: %d of %d woken in a pass, %d broadcasts paced", n, subscribers, h.Stats().Paced)
	}
	takeAll()

	other := h.NewSubscriber(func() {}, nil)
	other.Send([]byte(`{"type":"ack"}`)) // an answer to a vote: busy
	notified.Store(0)
	h.Publish("room:1", "tally", payload("tally", 2))
	if n := notified.Load(); n != 0 || h.Stats().Paced != 1 {
		t.Fatalf("busy node: %d woken at once, %d broadcasts paced, want 0 and 1", n, h.Stats().Paced)
	}
	waitTurns(subscribers)
	takeAll()

	time.Sleep(window + 50*time.Millisecond) // the busy window passes
	h.Publish("room:1", "tally", payload("tally", 3))
	h.waitPasses(t)
	if n := notified.Load(); n != subscribers {
		t.Fatalf("after the busy window: %d of %d woken in a pass", n, subscribers)
	}
	// Not taken: the next frames of the key supersede it in every queue;
	// the writers are behind, which is no reason to pace.
	h.Publish("room:1", "tally", payload("tally", 4))
	h.Publish("room:1", "tally", payload("tally", 5))
	h.waitPasses(t)
	if h.Stats().Paced != 1 {
		t.Fatalf("writers behind: %d broadcasts paced, want still 1", h.Stats().Paced)
	}
	if n := notified.Load(); n > 3*subscribers {
		t.Errorf("%d wakes for 3 broadcasts to %d subscribers", n, subscribers)
	}
	for i, s := range subs {
		if got := s.Take(nil); len(got) != 1 || decode[frame](t, got[0]).N != 5 {
			t.Fatalf("subscriber %d holds %d frames, want only the newest", i, len(got))
		}
	}
}

// A broadcast that comes while the pass of an earlier one is under way
// joins it: a subscriber still waiting for its wake is woken once for both
// frames; only those its pass's goroutines had already taken (a chunk each)
// are woken again.
func TestPassesWakeEachSubscriberOnce(t *testing.T) {
	const subscribers = 2000
	h := New(Options{PaceAbove: 10})
	var armed atomic.Bool
	release := make(chan struct{})
	var wakes, got [subscribers]atomic.Int32
	subs := make([]*Subscriber, subscribers)
	for i := range subs {
		subs[i] = h.NewSubscriber(func() {}, func() {
			if armed.Load() {
				<-release // the pass's goroutines stop at their first wake
			}
			wakes[i].Add(1)
			got[i].Add(int32(len(subs[i].Take(nil))))
		})
		h.Subscribe("room:1", subs[i], "", 0)
		subs[i].Take(nil)
	}
	for i := range wakes {
		wakes[i].Store(0)
		got[i].Store(0)
	}
	armed.Store(true)
	h.Publish("room:1", "tally", payload("tally", 1))
	h.Publish("room:1", "ranking", payload("ranking", 1))
	close(release)
	h.waitPasses(t)
	once := 0
	for i := range subs {
		if n := got[i].Load(); n != 2 {
			t.Fatalf("subscriber %d took %d frames, want 2", i, n)
		}
		switch wakes[i].Load() {
		case 1:
			once++
		case 2:
		default:
			t.Fatalf("subscriber %d woken %d times", i, wakes[i].Load())
		}
	}
	if want := subscribers - runtime.GOMAXPROCS(0)*passChunk; once < want {
		t.Errorf("%d of %d subscribers woken once for two frames, want at least %d", once, subscribers, want)
	}
}

// waitPasses waits until no background pass runs.
func (h *Hub) waitPasses(tb testing.TB) {
	tb.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		h.passes.mu.Lock()
		n := h.passes.workers
		h.passes.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d pass goroutines still run after 10 s", n)
		}
	}
}

// Frames published in one Batch are all queued before any subscriber is
// woken, so that the first wake finds (and a writer writes at once) every
// frame of the batch, across topics; Publish alone wakes for each frame.
func TestBatchWakesOnceAllAreQueued(t *testing.T) {
	h := New(Options{})
	const n = 5
	taken := make([][]int, n)
	subs := make([]*Subscriber, n)
	for i := range subs {
		subs[i] = h.NewSubscriber(func() {}, func() { taken[i] = append(taken[i], len(subs[i].Take(nil))) })
		h.Subscribe("room:1", subs[i], "", 0)
		h.Subscribe("room:2", subs[i], "", 0)
	}
	for i := range taken {
		taken[i] = nil
	}
	h.Batch(func(publish func(topic, key string, payload []byte)) {
		publish("room:1", "tally:pitch:1", payload("tally", 1))
		publish("room:1", "tally:pitch:1", payload("tally", 2)) // supersedes the first
		publish("room:1", "tally:poll:2", payload("tally", 3))
		publish("room:2", "tally:pitch:3", payload("tally", 4))
		publish("room:2", "tally:pitch:3", payload("tally", 4)) // unchanged: not published
	})
	for i, got := range taken {
		if len(got) == 0 || got[0] != 3 || slices.ContainsFunc(got[1:], func(n int) bool { return n != 0 }) {
			t.Errorf("subscriber %d: wakes took %v frames, want 3 at the first, then none", i, got)
		}
	}
	for i := range taken {
		taken[i] = nil
	}
	h.Publish("room:1", "tally:pitch:1", payload("tally", 5))
	h.Publish("room:2", "tally:pitch:3", payload("tally", 6))
	for i, got := range taken {
		if !slices.Equal(got, []int{1, 1}) {
			t.Errorf("subscriber %d: Publish wakes took %v frames, want 1 and 1", i, got)
		}
	}
}

// BenchmarkFanoutKeys is one tally tick of 4 frames of different keys (4
// rooms every phone follows) for 5,000 subscribers whose wake takes what is
// queued, as the writer does: published in one Batch (the engine's tick)
// or frame by frame. takes/conn/tick counts the wakes that found frames:
// the writes a connection costs per tick.
func BenchmarkFanoutKeys(b *testing.B) {
	for _, batched := range []bool{true, false} {
		name := "Batch"
		if !batched {
			name = "PerFrame"
		}
		b.Run(name, func(b *testing.B) {
			const subscribers, keys = 5000, 4
			h := New(Options{})
			var takes atomic.Int64
			subs := make([]*Subscriber, subscribers)
			for i := range subs {
				var buf [][]byte
				subs[i] = h.NewSubscriber(func() {}, func() {
					if buf = subs[i].Take(buf[:0]); len(buf) > 0 {
						takes.Add(1)
					}
				})
				for k := range keys {
					h.Subscribe("room:"+strconv.Itoa(k), subs[i], "", 0)
				}
			}
			takes.Store(0)
			tick := func(publish func(topic, key string, payload []byte), n int) {
				for k := range keys {
					publish("room:"+strconv.Itoa(k), "tally:pitch:"+strconv.Itoa(k), payload("tally", n))
				}
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n++
				if batched {
					h.Batch(func(publish func(topic, key string, payload []byte)) { tick(publish, n) })
				} else {
					tick(h.Publish, n)
				}
				h.waitPasses(b) // a tick's writes end before the next tick's
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*keys*subscribers), "ns/frame")
			b.ReportMetric(float64(takes.Load())/float64(n*subscribers), "takes/conn/tick")
		})
	}
}
