package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// surveyQuestions are the survey scenario's ten questions, of the kinds a
// feedback survey asks: two rating grids, scales, single and multiple
// choices and an open text.
var surveyQuestions = []map[string]any{
	{"question": "Rate the talk", "kind": "grid", "choices": []string{"Content", "Speaker", "Slides"}, "scale_max": 5, "required": true},
	{"question": "Overall", "kind": "scale", "scale_max": 10, "required": true},
	{"question": "Your role", "kind": "choices", "choices": []string{"Developer", "Manager", "Student", "Other"}},
	{"question": "Topics you want next", "kind": "multiple", "choices": []string{"AI", "Cloud", "Security", "Data"}, "settings": map[string]int{"max_picks": 2}},
	{"question": "Rate the venue", "kind": "grid", "choices": []string{"Room", "Sound", "Food", "Wi-Fi"}, "scale_max": 7},
	{"question": "Length", "kind": "scale", "scale_max": 5},
	{"question": "Would you come back?", "kind": "choices", "choices": []string{"Yes", "No", "Maybe"}, "required": true},
	{"question": "How did you hear of it?", "kind": "choices", "choices": []string{"Colleague", "Social", "Email"}},
	{"question": "Pace", "kind": "scale", "scale_max": 5},
	{"question": "One thing to change", "kind": "opentext", "settings": map[string]string{"moderation": "post"}},
}

// SurveyCheck is what the survey scenario verified, question by question,
// against the server's stored tallies.
type SurveyCheck struct {
	Questions int `json:"questions"`
	Answers   int `json:"answers"` // answers acknowledged (a changed answer once)
	Changes   int `json:"changes"` // answers sent again with another value (changed)
	Replays   int `json:"replays"` // answers sent again with the same vote id
	// ReplaysDuplicate counts the replays acknowledged as a duplicate.
	ReplaysDuplicate int `json:"replays_duplicate"`
	// Matching counts the questions whose stored tally equals the tool's
	// count of the acknowledged answers (every value, every statement).
	Matching int `json:"matching"`
	// Lost are acknowledged answers the server does not count; Double
	// answers it counts more than once (respondents over the phones that
	// answered).
	Lost         int64    `json:"lost"`
	Double       int64    `json:"double"`
	LastAckS     float64  `json:"last_ack_s"` // from the survey's opening to the last acknowledgement
	Mismatches   []string `json:"mismatches,omitempty"`
	PhonesFinish int      `json:"phones_finished"` // phones with every question acknowledged
}

// OK reports whether the server holds exactly the acknowledged answers.
func (s SurveyCheck) OK() bool {
	return s.Matching == s.Questions && s.Lost == 0 && s.Double == 0 && s.ReplaysDuplicate == s.Replays
}

// surveySetup creates the scenario's survey in the room with its ten
// questions, left a draft until the phones are in.
func (l *loader) surveySetup(ctx context.Context) error {
	var s struct{ ID int64 }
	if err := l.api(ctx, "POST", "/api/events/"+l.code+"/surveys", map[string]any{"room_id": l.roomID, "title": "Load survey"}, &s); err != nil {
		return err
	}
	l.surveyID = s.ID
	for _, q := range surveyQuestions {
		body := map[string]any{"survey_id": s.ID}
		for k, v := range q {
			body[k] = v
		}
		var p struct{ ID int64 }
		if err := l.api(ctx, "POST", "/api/events/"+l.code+"/polls", body, &p); err != nil {
			return err
		}
		l.surveyPolls = append(l.surveyPolls, p.ID)
	}
	l.target = fmt.Sprintf("poll:%d", l.surveyPolls[0])
	return nil
}

// surveyAnswer draws phone rng's answer to question q, and the tool's
// count of it: the values it adds to each tally cell.
func surveyAnswer(rng *rand.Rand, q map[string]any) any {
	switch q["kind"] {
	case "grid":
		n, max := len(q["choices"].([]string)), q["scale_max"].(int)
		a := map[string]any{}
		rated := false
		for i := 1; i <= n; i++ {
			if rng.IntN(6) == 0 {
				a[fmt.Sprint(i)] = nil
				continue
			}
			a[fmt.Sprint(i)], rated = 1+rng.IntN(max), true
		}
		if !rated {
			a["1"] = 1 + rng.IntN(max)
		}
		return a
	case "scale":
		return 1 + rng.IntN(q["scale_max"].(int))
	case "choices":
		return 1 + rng.IntN(len(q["choices"].([]string)))
	case "multiple":
		a := 1 + rng.IntN(4)
		b := 1 + rng.IntN(4)
		if a == b {
			return []int{a}
		}
		return []int{min(a, b), max(a, b)}
	default: // opentext
		return fmt.Sprintf("Idea %d", rng.IntN(1000))
	}
}

// tallyCells turns an answer to q into the tally cells it counts: for a
// grid "s<statement>:<value>" or "s<statement>:skip", else "v<value>";
// every answer counts "respondents".
func tallyCells(q map[string]any, a any) []string {
	cells := []string{"respondents"}
	switch v := a.(type) {
	case int:
		cells = append(cells, fmt.Sprintf("v%d", v))
	case []int:
		for _, x := range v {
			cells = append(cells, fmt.Sprintf("v%d", x))
		}
	case map[string]any:
		for i := 1; i <= len(q["choices"].([]string)); i++ {
			if x, ok := v[fmt.Sprint(i)].(int); ok {
				cells = append(cells, fmt.Sprintf("s%d:%d", i, x))
			} else {
				cells = append(cells, fmt.Sprintf("s%d:skip", i))
			}
		}
	}
	return cells
}

// survey: the survey opens once every phone is connected; each phone
// starts at a random moment of the first half of -burst and answers the
// ten questions one after another at its own pace, each answer waiting for
// its ack, so that it finishes within -burst; a -change fraction then
// changes one answer, one in twenty sends an answer again with its vote
// id. The survey is then closed and each question's stored tally compared
// with the tool's count of the acknowledged answers.
func (l *loader) survey(ctx context.Context, sum *Summary) error {
	n := len(surveyQuestions)
	type phoneRun struct {
		final   []any // the acknowledged answer per question, nil when none
		first   any   // the first question's first answer, which a replay sends again
		acks    []time.Duration
		errs    []string
		changed bool
		replay  string
		lastAck time.Time
	}
	runs := make([]*phoneRun, len(l.phones))
	var sent, acked atomic.Int64
	if err := l.api(ctx, "POST", fmt.Sprintf("/api/surveys/%d/actions/open", l.surveyID), nil, nil); err != nil {
		return err
	}
	opened := time.Now()
	stop := l.every(func() { fmt.Fprintf(l.out, "answering: %d sent, %d acknowledged\n", sent.Load(), acked.Load()) })
	var wg sync.WaitGroup
	for i, p := range l.phones {
		r := &phoneRun{final: make([]any, n)}
		runs[i] = r
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 24))
			half := l.cfg.burst / 2
			start := time.Duration(rng.Int64N(int64(half)))
			gap := (half - half/10) / time.Duration(n) // finishes within the window, acks included
			send := func(id string, q int, a any) result {
				s, w, err := p.vote(ctx, id, fmt.Sprintf("poll:%d", l.surveyPolls[q]), a)
				sent.Add(1)
				if err != nil {
					return result{code: "send: " + err.Error()}
				}
				res := await(ctx, w)
				if res.ack {
					acked.Add(1)
					r.acks = append(r.acks, res.at.Sub(s))
					r.lastAck = res.at
				}
				return res
			}
			next := opened.Add(start)
			for q := range n {
				select {
				case <-time.After(time.Until(next)):
				case <-ctx.Done():
					r.errs = append(r.errs, "timeout")
					return
				}
				next = next.Add(gap/2 + time.Duration(rng.Int64N(int64(gap/2)+1)))
				a := surveyAnswer(rng, surveyQuestions[q])
				if q == 0 {
					r.first = a
				}
				if res := send(fmt.Sprintf("s%d-%d", i, q), q, a); res.ack {
					r.final[q] = a
				} else {
					r.errs = append(r.errs, res.code)
				}
			}
			if rng.Float64() < l.cfg.change { // a changed answer: the last one acknowledged counts
				q := rng.IntN(n)
				a := surveyAnswer(rng, surveyQuestions[q])
				if res := send(fmt.Sprintf("s%d-%d-again", i, q), q, a); res.ack {
					r.final[q], r.changed = a, true
				} else {
					r.errs = append(r.errs, res.code)
				}
			}
			if rng.IntN(20) == 0 { // the first answer again with its vote id, as after a lost ack: a duplicate, even once changed
				_, w, err := p.vote(ctx, fmt.Sprintf("s%d-0", i), fmt.Sprintf("poll:%d", l.surveyPolls[0]), r.first)
				r.replay = "send"
				sent.Add(1)
				if err == nil {
					res := await(ctx, w)
					r.replay = map[bool]string{true: res.status, false: res.code}[res.ack]
				}
			}
		})
	}
	wg.Wait()
	stop()
	if err := l.api(ctx, "POST", fmt.Sprintf("/api/surveys/%d/actions/close", l.surveyID), nil, nil); err != nil {
		return err
	}

	// The tool's own count, per question and tally cell.
	check := &SurveyCheck{Questions: n}
	expected := make([]map[string]int64, n)
	for q := range expected {
		expected[q] = map[string]int64{}
	}
	var acks []time.Duration
	var last time.Time
	sum.VoteErrors = map[string]int{}
	sum.VotesSent = int(sent.Load())
	for _, r := range runs {
		acks = append(acks, r.acks...)
		for _, e := range r.errs {
			sum.VoteErrors[e]++
		}
		if r.changed {
			check.Changes++
		}
		if r.replay != "" {
			check.Replays++
			if r.replay == "duplicate" {
				check.ReplaysDuplicate++
			}
		}
		if r.lastAck.After(last) {
			last = r.lastAck
		}
		done := 0
		for q, a := range r.final {
			if a == nil {
				continue
			}
			done++
			check.Answers++
			for _, c := range tallyCells(surveyQuestions[q], a) {
				expected[q][c]++
			}
		}
		if done == n {
			check.PhonesFinish++
		}
	}
	sum.VotesAcked = len(acks)
	p := percentiles(acks)
	sum.AckMS = &p
	check.LastAckS = last.Sub(opened).Seconds()

	// The server's stored tallies, read back once the survey is closed.
	var res struct {
		Questions []struct {
			Poll struct {
				ID   int64  `json:"id"`
				Kind string `json:"kind"`
			} `json:"poll"`
			Counts      []int64 `json:"counts"`
			Respondents *int64  `json:"respondents"`
			Audience    *struct {
				Count int64 `json:"count"`
			} `json:"audience"`
			Statements []struct {
				Counts  []int64 `json:"counts"`
				Skipped int64   `json:"skipped"`
			} `json:"statements"`
		} `json:"questions"`
	}
	if err := l.api(ctx, "GET", fmt.Sprintf("/api/surveys/%d/results", l.surveyID), nil, &res); err != nil {
		return err
	}
	if len(res.Questions) != n {
		return fmt.Errorf("the survey's results have %d questions, want %d", len(res.Questions), n)
	}
	for q, qr := range res.Questions {
		got := map[string]int64{}
		switch {
		case qr.Respondents != nil:
			got["respondents"] = *qr.Respondents
		case qr.Audience != nil:
			got["respondents"] = qr.Audience.Count
		}
		for v, c := range qr.Counts {
			if c != 0 {
				got[fmt.Sprintf("v%d", v+1)] = c
			}
		}
		for s, st := range qr.Statements {
			for v, c := range st.Counts {
				if c != 0 {
					got[fmt.Sprintf("s%d:%d", s+1, v+1)] = c
				}
			}
			if st.Skipped != 0 {
				got[fmt.Sprintf("s%d:skip", s+1)] = st.Skipped
			}
		}
		want := expected[q]
		if qr.Poll.Kind == "opentext" { // its results are answers, not counts: its respondents only
			want = map[string]int64{"respondents": want["respondents"]}
		}
		if d := got["respondents"] - want["respondents"]; d < 0 {
			check.Lost -= d
		} else {
			check.Double += d
		}
		if mapsEqual(got, want) {
			check.Matching++
		} else if len(check.Mismatches) < 5 {
			check.Mismatches = append(check.Mismatches, fmt.Sprintf("question %d (%s): server %v, acknowledged %v", q+1, qr.Poll.Kind, got, want))
		}
	}
	sum.Survey = check
	match := check.OK()
	sum.TallyMatches = &match
	return nil
}

// mapsEqual reports whether a and b hold the same non-zero cells.
func mapsEqual(a, b map[string]int64) bool {
	keys := map[string]bool{}
	for k, v := range a {
		if v != 0 {
			keys[k] = true
		}
	}
	for k, v := range b {
		if v != 0 {
			keys[k] = true
		}
	}
	for k := range keys {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}
