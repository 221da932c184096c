package live

import "strconv"

// Counts is the tally of the kinds whose answer is one value from 1 to n
// (a choice, a score): Audience[v-1] and Jury[v-1] count the answers v of
// the audience and of the jury, kept apart for the ranking's weights.
type Counts struct {
	Audience []int64
	Jury     []int64
	// Scored makes the frame carry the mean: a mean of scores means
	// something, a mean of letters does not.
	Scored bool
}

// NewCounts returns an empty tally of values 1..n.
func NewCounts(n int, scored bool) *Counts {
	return &Counts{Audience: make([]int64, n), Jury: make([]int64, n), Scored: scored}
}

func (c *Counts) part(jury bool) []int64 {
	if jury {
		return c.Jury
	}
	return c.Audience
}

// valueOf is the value of a canonical one-value answer, 0 for none.
func valueOf(a Answer) int {
	n, _ := strconv.Atoi(string(a))
	return n
}

// Move implements Tally.
func (c *Counts) Move(prev Answer, vote Vote) {
	p := c.part(vote.Jury)
	if v := valueOf(prev); v > 0 && v <= len(p) {
		p[v-1]--
	}
	if v := valueOf(vote.Answer); v > 0 && v <= len(p) {
		p[v-1]++
	}
}

// Total implements Tally.
func (c *Counts) Total() int64 { return Summarize(c.Audience).Count + Summarize(c.Jury).Count }

// Reset implements Tally.
func (c *Counts) Reset() {
	clear(c.Audience)
	clear(c.Jury)
}

// TallyFrame is the tally frame of a one-value question. Counts[i] is the
// number of answers i+1; Counts, Mean and Jury are left out while results
// are hidden.
type TallyFrame struct {
	TallyHead
	Counts     []int64  `json:"counts,omitempty"`
	Mean       *float64 `json:"mean,omitempty"`
	Jury       *Summary `json:"jury,omitempty"`
	JuryCounts []int64  `json:"jury_counts,omitempty"`
}

// Frame implements Tally: at most a few hundred bytes (10 values).
func (c *Counts) Frame(t Target, v FrameView, now int64) []byte {
	aud, jury := Summarize(c.Audience), Summarize(c.Jury)
	f := TallyFrame{TallyHead: tallyHead(t, v, now, aud.Count+jury.Count)}
	if v.Show {
		f.Counts = c.Audience
		if c.Scored {
			f.Mean = &aud.Mean
		}
		if jury.Count > 0 {
			f.Jury, f.JuryCounts = &jury, c.Jury
		}
	}
	return MustJSON(f)
}

// CountResults are the exported results of a one-value question:
// Counts[i] holds the answers i+1.
type CountResults struct {
	Counts     []int64 `json:"counts"`
	JuryCounts []int64 `json:"jury_counts"`
	Audience   Summary `json:"audience"`
	Jury       Summary `json:"jury"`
}

// Results implements Tally.
func (c *Counts) Results() any {
	return CountResults{Counts: append([]int64(nil), c.Audience...), JuryCounts: append([]int64(nil), c.Jury...),
		Audience: Summarize(c.Audience), Jury: Summarize(c.Jury)}
}

// rows lists one export row per value, labelled by label(v).
func (c *Counts) rows(label func(v int) string) []ExportRow {
	out := make([]ExportRow, len(c.Audience))
	for i := range c.Audience {
		out[i] = ExportRow{Item: label(i + 1), Audience: c.Audience[i], Jury: c.Jury[i]}
	}
	return out
}

// oneValue checks that raw is a whole number from 1 to n and returns its canonical form.
func oneValue(raw Answer, n int) (Answer, error) {
	v, err := strconv.Atoi(string(raw))
	if err != nil || v < 1 || v > n {
		return "", &Error{Code: EBadValue, Field: "value", Message: "Vote value must be from 1 to " + strconv.Itoa(n) + "."}
	}
	return Answer(strconv.Itoa(v)), nil
}
