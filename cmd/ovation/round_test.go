package main

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"
)

// phone is one audience member: a participant with a live WebSocket.
type phone struct {
	j    joined
	jury bool
	ws   *wsClient
}

// vote sends a vote and waits for its ack or error.
func (p *phone) vote(tb testing.TB, voteID, target string, value int) (msg, error) {
	p.ws.send(tb, map[string]any{"type": "vote", "vote_id": voteID, "target": target, "value": value})
	timeout := time.After(15 * time.Second)
	for {
		select {
		case m, ok := <-p.ws.msgs:
			if !ok {
				return nil, errors.New("connection closed")
			}
			if (m.str("type") == "ack" || m.str("type") == "error") && m.str("vote_id") == voteID {
				return m, nil
			}
		case <-timeout:
			return nil, fmt.Errorf("no ack for %s", voteID)
		}
	}
}

func connectPhones(t *testing.T, base string, f fixture, n, jury int) []*phone {
	t.Helper()
	phones := make([]*phone, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range phones {
		body := map[string]any{"display_name": fmt.Sprintf("Phone %d", i)}
		isJury := i < jury
		if isJury {
			body["jury_code"] = f.Code + "J"
		}
		phones[i] = &phone{j: join(t, base, f.Code, body), jury: isJury}
		phones[i].ws = dial(t, base)
	}
	for _, p := range phones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.ws.send(t, map[string]any{"type": "auth", "token": p.j.Token})
			p.ws.send(t, map[string]any{"type": "subscribe", "topic": fmt.Sprintf("room:%d", f.RoomID)})
			seen := 0
			timeout := time.After(15 * time.Second)
			for seen < 2 {
				select {
				case m := <-p.ws.msgs:
					switch m.str("type") {
					case "auth_ok", "snapshot":
						seen++
					case "error":
						errs <- fmt.Errorf("phone setup: %v", m)
						return
					}
				case <-timeout:
					errs <- errors.New("phone setup timed out")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return phones
}

// tallyOf keeps an independent count: value per participant, split by jury.
type tallyOf struct {
	audience map[int64]int
	jury     map[int64]int
}

func (t tallyOf) counts(jury bool, scale int) []int64 {
	c := make([]int64, scale)
	m := t.audience
	if jury {
		m = t.jury
	}
	for _, v := range m {
		c[v-1]++
	}
	return c
}

func meanOf(c []int64) (n, sum int64, mean float64) {
	for i, k := range c {
		n += k
		sum += k * int64(i+1)
	}
	if n > 0 {
		mean = math.Round(float64(sum)/float64(n)*1000) / 1000
	}
	return
}

// TestPitchRound runs a 3-pitch round with 300 phones (10 of them jury)
// voting concurrently, some changing their vote, and checks that a stage
// subscriber sees tallies and a final ranking equal to an independent count
// of the votes acknowledged.
func TestPitchRound(t *testing.T) {
	srv := startServer(t, "")
	f := newFixture(t, srv.URL, "ROUND", 3)
	const nPhones, nJury, scale = 300, 10, 5

	stage := dial(t, srv.URL)
	snap := stage.subscribe(t, fmt.Sprintf("stage:%d", f.RoomID), "", 0)
	if snap.str("type") != "snapshot" || snap["resumed"] != false {
		t.Fatalf("stage snapshot: %v", snap)
	}
	phones := connectPhones(t, srv.URL, f, nPhones, nJury)

	f.roundAction(t, srv.URL, "start")
	truth := make([]tallyOf, len(f.Pitches))
	for i := range f.Pitches {
		target := fmt.Sprintf("pitch:%d", f.Pitches[i])
		if i > 0 {
			f.roundAction(t, srv.URL, "next")
		}
		f.pitchAction(t, srv.URL, i, "open")
		f.pitchAction(t, srv.URL, i, "show_results")
		truth[i] = tallyOf{audience: map[int64]int{}, jury: map[int64]int{}}

		var mu sync.Mutex
		var wg sync.WaitGroup
		errs := make(chan error, nPhones)
		for k, p := range phones {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(k), uint64(i)))
				votes := []int{1 + rng.IntN(scale)}
				if k%3 == 0 { // a third change their mind
					votes = append(votes, 1+rng.IntN(scale))
				}
				for n, v := range votes {
					id := fmt.Sprintf("v-%d-%d-%d", k, i, n)
					m, err := p.vote(t, id, target, v)
					if err == nil && m.str("type") != "ack" {
						err = fmt.Errorf("vote %s refused: %v", id, m)
					}
					if err == nil && n == 1 && m.str("status") != "changed" {
						err = fmt.Errorf("second vote status %q, want changed", m.str("status"))
					}
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					if p.jury {
						truth[i].jury[p.j.ID] = v
					} else {
						truth[i].audience[p.j.ID] = v
					}
					mu.Unlock()
				}
				// A replay of the first vote id is idempotent and does not revert a change.
				if m, err := p.vote(t, fmt.Sprintf("v-%d-%d-0", k, i), target, votes[0]); err != nil || m.str("status") != "duplicate" {
					errs <- fmt.Errorf("replay: %v %v", m, err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}

		// The stage sees the exact tally, audience and jury apart.
		want := fmt.Sprint(truth[i].counts(false, scale))
		wantJury := fmt.Sprint(truth[i].counts(true, scale))
		stage.waitFor(t, 10*time.Second, "tally "+want, func(m msg) bool {
			return m.str("type") == "tally" && m.str("target") == target && fmt.Sprint(ints(m["counts"])) == want &&
				fmt.Sprint(ints(m["jury_counts"])) == wantJury && m.num("total") == nPhones
		})
	}

	// Voting on a closed pitch is refused with voting_closed.
	f.pitchAction(t, srv.URL, 2, "close")
	m, err := phones[0].vote(t, "late", fmt.Sprintf("pitch:%d", f.Pitches[0]), 3)
	if err != nil || m.str("code") != "voting_closed" {
		t.Fatalf("vote on closed pitch: %v %v", m, err)
	}

	// The whole ranking at once: the round reveals automatically.
	must(t, srv.URL, "PATCH", fmt.Sprintf("/api/rounds/%d", f.RoundID), map[string]any{"auto_reveal": true}, nil)
	f.roundAction(t, srv.URL, "reveal")
	ranking := stage.waitFor(t, 10*time.Second, "revealed ranking", func(m msg) bool {
		return m.str("type") == "ranking" && m["revealed"] == true
	})

	// An independent ranking: combined score, then votes, then top votes, then order.
	type row struct {
		id                 int64
		score              float64
		n, top, pos        int64
		audN, audSum, jurN int64
		audMean, juryMean  float64
	}
	var rows []row
	for i, id := range f.Pitches {
		ac, jc := truth[i].counts(false, scale), truth[i].counts(true, scale)
		an, as, am := meanOf(ac)
		jn, _, jm := meanOf(jc)
		score := math.Round((75*am+25*jm)/100*1000) / 1000
		if jn == 0 {
			score = am
		}
		rows = append(rows, row{id: id, score: score, n: an + jn, top: ac[scale-1] + jc[scale-1], pos: int64(i), audN: an, audSum: as, jurN: jn, audMean: am, juryMean: jm})
	}
	sort.Slice(rows, func(a, b int) bool {
		x, y := rows[a], rows[b]
		if x.score != y.score {
			return x.score > y.score
		}
		if x.n != y.n {
			return x.n > y.n
		}
		if x.top != y.top {
			return x.top > y.top
		}
		return x.pos < y.pos
	})
	entries, _ := ranking["entries"].([]any)
	if len(entries) != len(rows) {
		t.Fatalf("ranking has %d entries, want %d", len(entries), len(rows))
	}
	for i, e := range entries {
		got := msg(e.(map[string]any))
		aud, jury := msg(got["audience"].(map[string]any)), msg(got["jury"].(map[string]any))
		w := rows[i]
		if int64(got.num("pitch_id")) != w.id || got.num("rank") != float64(i+1) || got.num("score") != w.score ||
			int64(aud.num("count")) != w.audN || int64(aud.num("sum")) != w.audSum || int64(jury.num("count")) != w.jurN {
			t.Errorf("rank %d: got %v, want %+v", i+1, got, w)
		}
	}

	// The JSON export agrees with the ranking.
	var res struct {
		Rounds []struct {
			Ranking []struct {
				PitchID int64 `json:"pitch_id"`
			} `json:"ranking"`
		} `json:"rounds"`
	}
	must(t, srv.URL, "GET", "/api/events/ROUND/results", nil, &res)
	for i, e := range res.Rounds[0].Ranking {
		if e.PitchID != rows[i].id {
			t.Errorf("export rank %d: pitch %d, want %d", i+1, e.PitchID, rows[i].id)
		}
	}
}

func ints(v any) []int64 {
	list, _ := v.([]any)
	out := make([]int64, len(list))
	for i, x := range list {
		f, _ := x.(float64)
		out[i] = int64(f)
	}
	return out
}
