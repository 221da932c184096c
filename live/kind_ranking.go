package live

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// PollRanking is the ranking kind: each person puts the poll's 2 to
// MaxRankItems items (its choices) in order, best first; the answer is the
// full order as the items' numbers ([2,1,3]: the second item first).
const PollRanking = "ranking"

// MaxRankItems bounds a ranking's items: eight can still be ordered on a
// phone, and they bound the tally frame.
const MaxRankItems = 8

// rankingKind is the ranking question: one answer (a full order of the
// items) per participant, changeable until the question closes. Answers
// count by the Borda count: the item in position p of n gets n − p points.
// Partial rankings (a top k) are not offered: every answer orders every
// item, so that points, mean positions and first places mean the same for
// every respondent.
type rankingKind struct{}

// Define implements QuestionKind: 2 to MaxRankItems items (choices), each
// of 1 to 80 characters, no two the same (ignoring case); no settings.
func (rankingKind) Define(q *Question) error {
	if len(q.Choices) < 2 || len(q.Choices) > MaxRankItems {
		return FieldErrorf("choices", "A ranking has 2 to %d items.", MaxRankItems)
	}
	// A new slice: q may hold the choices of a poll others read.
	items := slices.Clone(q.Choices)
	for i := range items {
		if err := validText(fmt.Sprintf("choices[%d]", i), &items[i], 80, true, false); err != nil {
			return err
		}
		for j := range i {
			if strings.EqualFold(items[i], items[j]) {
				return FieldErrorf(fmt.Sprintf("choices[%d]", i), "Item %d is the same as item %d: each item can be ranked once.", i+1, j+1)
			}
		}
	}
	q.Choices, q.ScaleMax = items, 0
	return noSettings(q)
}

// Answer implements QuestionKind: every item's number (1..n) once, best
// first; canonical: that list, compacted ("[2,1,3]"). A list that is not
// of whole numbers, an item out of range, a repeated or a missing item are
// EBadValue, each with its own message.
func (rankingKind) Answer(q Question, raw Answer) (Answer, error) {
	n := len(q.Choices)
	bad := func(format string, args ...any) error {
		return &Error{Code: EBadValue, Field: "value", Message: fmt.Sprintf(format, args...)}
	}
	var order []int
	if err := json.Unmarshal([]byte(raw), &order); err != nil || len(order) == 0 {
		return "", bad("A ranking is the list of the items' numbers, 1 to %d, each once, best first.", n)
	}
	seen := make([]bool, n+1)
	for _, v := range order {
		if v < 1 || v > n {
			return "", bad("There is no item %d: items go from 1 to %d.", v, n)
		}
		if seen[v] {
			return "", bad("Item %d is ranked twice: each item goes in once.", v)
		}
		seen[v] = true
	}
	if len(order) < n {
		for v := 1; v <= n; v++ {
			if !seen[v] {
				return "", bad("Item %d is missing: a ranking orders all %d items.", v, n)
			}
		}
	}
	parts := make([]string, n)
	for i, v := range order {
		parts[i] = strconv.Itoa(v)
	}
	return Answer("[" + strings.Join(parts, ",") + "]"), nil
}

// NewTally implements QuestionKind: the respondents, and per item its
// points and first places, audience and jury apart.
func (rankingKind) NewTally(q Question) Tally {
	n := len(q.Choices)
	t := &rankingTally{n: n}
	for i := range t.parts {
		t.parts[i] = rankingPart{points: make([]int64, n), firsts: make([]int64, n)}
	}
	return t
}

// rankingPart is the count of one part of the room, audience or jury.
type rankingPart struct {
	respondents int64
	points      []int64 // Borda points per item
	firsts      []int64 // first places per item
}

// rankingTally counts a ranking's answers by the Borda count.
type rankingTally struct {
	n     int
	parts [2]rankingPart // audience, jury
}

// orderOf reads a canonical answer into buf and returns the items, best
// first; none for "". Items are single digits (MaxRankItems < 10), so the
// digits of "[2,1,3]" are the order: no JSON decoding on the vote path.
func orderOf(a Answer, buf *[MaxRankItems]int) []int {
	order := buf[:0]
	for i := 0; i < len(a) && len(order) < MaxRankItems; i++ {
		if c := a[i]; c >= '1' && c <= '9' {
			order = append(order, int(c-'0'))
		}
	}
	return order
}

// add counts (d = 1) or uncounts (d = -1) an answer of part c.
func (t *rankingTally) add(c *rankingPart, a Answer, d int64) {
	var buf [MaxRankItems]int
	order := orderOf(a, &buf)
	if len(order) != t.n || slices.Max(order) > t.n {
		return // checked by Answer; never counted half
	}
	c.respondents += d
	for p, v := range order {
		c.points[v-1] += d * int64(t.n-1-p)
	}
	c.firsts[order[0]-1] += d
}

// Move implements Tally.
func (t *rankingTally) Move(prev Answer, vote Vote) {
	next := vote.Answer
	c := &t.parts[part(vote.Jury)]
	if prev != "" {
		t.add(c, prev, -1)
	}
	if next != "" {
		t.add(c, next, 1)
	}
}

// Total implements Tally: the respondents.
func (t *rankingTally) Total() int64 { return t.parts[0].respondents + t.parts[1].respondents }

// Reset implements Tally.
func (t *rankingTally) Reset() {
	for i := range t.parts {
		t.parts[i].respondents = 0
		clear(t.parts[i].points)
		clear(t.parts[i].firsts)
	}
}

// BordaItem is one item of a ranking question's results, audience and
// jury apart; its place and mean position count every answer, audience and
// jury together.
type BordaItem struct {
	Item         int     `json:"item"`  // its number, 1 for the first of the poll's choices
	Place        int     `json:"place"` // 1 for the best; no two items share a place
	Points       int64   `json:"points"`
	Firsts       int64   `json:"firsts"`        // answers that put it first
	MeanPosition float64 `json:"mean_position"` // 1 = always first; 0 when nobody answered; rounded to 3 decimals
	JuryPoints   int64   `json:"jury_points,omitempty"`
	JuryFirsts   int64   `json:"jury_firsts,omitempty"`
}

// items returns the items in result order: most points (audience and jury
// together), then most first places, then the item's order in the
// definition. The mean position follows from the points (n − points ÷
// respondents), so it cannot break a tie of points.
func (t *rankingTally) items() []BordaItem {
	aud, jury := &t.parts[0], &t.parts[1]
	r := aud.respondents + jury.respondents
	out := make([]BordaItem, t.n)
	for i := range out {
		it := BordaItem{Item: i + 1, Points: aud.points[i], Firsts: aud.firsts[i], JuryPoints: jury.points[i], JuryFirsts: jury.firsts[i]}
		if r > 0 {
			// Positions are 1..n: the mean is n − points/r, computed on integers.
			it.MeanPosition = round3(uint64(int64(t.n)*r-it.Points-it.JuryPoints), uint64(r))
		}
		out[i] = it
	}
	slices.SortStableFunc(out, func(a, b BordaItem) int {
		if d := (b.Points + b.JuryPoints) - (a.Points + a.JuryPoints); d != 0 {
			return sign(d)
		}
		if d := (b.Firsts + b.JuryFirsts) - (a.Firsts + a.JuryFirsts); d != 0 {
			return sign(d)
		}
		return a.Item - b.Item
	})
	for i := range out {
		out[i].Place = i + 1
	}
	return out
}

func sign(d int64) int {
	if d < 0 {
		return -1
	}
	return 1
}

// BordaFrame is the tally frame of a ranking question: Total respondents and,
// when shown, the audience's and the jury's respondents and every item in
// result order with its points. At most MaxRankItems items: under 1 KB.
type BordaFrame struct {
	TallyHead
	Respondents     int64       `json:"respondents,omitempty"`      // the audience's
	JuryRespondents int64       `json:"jury_respondents,omitempty"` // the jury's, when any
	Items           []BordaItem `json:"items,omitempty"`
}

// Frame implements Tally.
func (t *rankingTally) Frame(target Target, v FrameView, now int64) []byte {
	f := BordaFrame{TallyHead: tallyHead(target, v, now, t.Total())}
	if v.Show {
		f.Respondents, f.JuryRespondents, f.Items = t.parts[0].respondents, t.parts[1].respondents, t.items()
	}
	return MustJSON(f)
}

// BordaResults are the exported results of a ranking question: the respondents
// and every item in result order.
type BordaResults struct {
	Respondents     int64       `json:"respondents"`
	JuryRespondents int64       `json:"jury_respondents"`
	Items           []BordaItem `json:"items"`
}

// Results implements Tally.
func (t *rankingTally) Results() any {
	return BordaResults{Respondents: t.parts[0].respondents, JuryRespondents: t.parts[1].respondents, Items: t.items()}
}

// Rows implements Tally: one per item in result order, "1. <item>" with
// its points, then the respondents.
func (t *rankingTally) Rows(q Question) []ExportRow {
	items := t.items()
	rows := make([]ExportRow, 0, len(items)+1)
	for _, it := range items {
		label := ""
		if it.Item <= len(q.Choices) {
			label = q.Choices[it.Item-1]
		}
		rows = append(rows, ExportRow{Item: strconv.Itoa(it.Place) + ". " + label, Audience: it.Points, Jury: it.JuryPoints})
	}
	return append(rows, ExportRow{Item: "respondents", Audience: t.parts[0].respondents, Jury: t.parts[1].respondents})
}
