package live

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// PollGrid is the rating grid kind: several statements (the poll's
// choices) rated on one scale from 1 to ScaleMax, with words at its two
// ends, each statement rated or skipped. Its answer is a JSON object from
// each statement's number (1 for the first) to its value, or null when
// skipped: {"1":4,"2":null,"3":5}. Feedback on a talk is asked with it.
const PollGrid = "grid"

// Rating grid limits.
const (
	MaxGridStatements   = 12  // statements of a grid
	MaxGridStatementLen = 200 // characters of a statement
	MinGridScale        = 5   // the smallest top of a grid's scale
	MaxGridEndLen       = 40  // characters of a word at an end of the scale
)

// gridKind is the rating grid: one answer (every statement rated or
// skipped) per participant, changeable until the question closes. Each
// statement counts apart: its distribution, mean and count leave out the
// participants who skipped it, who are counted as skips.
type gridKind struct{}

// gridSettings are a grid's words at the two ends of its scale, either
// or both may be empty.
type gridSettings struct {
	Low  string `json:"low,omitempty"`  // beside 1, e.g. "Poor"
	High string `json:"high,omitempty"` // beside ScaleMax, e.g. "Excellent"
}

// Define implements QuestionKind: 1 to MaxGridStatements statements
// (choices) of 1 to MaxGridStatementLen characters, no two the same
// (ignoring case); a scale from 1 to MinGridScale..MaxScale (scale_max);
// settings {"low":"Poor","high":"Excellent"}, each word at most
// MaxGridEndLen characters; an empty settings object is dropped.
func (gridKind) Define(q *Question) error {
	if len(q.Choices) < 1 || len(q.Choices) > MaxGridStatements {
		return FieldErrorf("choices", "A rating grid has 1 to %d statements.", MaxGridStatements)
	}
	items := slices.Clone(q.Choices)
	for i := range items {
		if err := validText(fmt.Sprintf("choices[%d]", i), &items[i], MaxGridStatementLen, true, false); err != nil {
			return err
		}
		for j := range i {
			if strings.EqualFold(items[i], items[j]) {
				return FieldErrorf(fmt.Sprintf("choices[%d]", i), "Statement %d is the same as statement %d.", i+1, j+1)
			}
		}
	}
	if q.ScaleMax < MinGridScale || q.ScaleMax > MaxScale {
		return FieldErrorf("scale_max", "A rating grid's scale goes from 1 to %d..%d.", MinGridScale, MaxScale)
	}
	var s gridSettings
	if err := decodeStrict(q.Settings, &s); err != nil {
		return FieldErrorf("settings", `Settings of a rating grid look like {"low":"Poor","high":"Excellent"}.`)
	}
	if err := validText("settings.low", &s.Low, MaxGridEndLen, false, false); err != nil {
		return err
	}
	if err := validText("settings.high", &s.High, MaxGridEndLen, false, false); err != nil {
		return err
	}
	q.Choices, q.Settings = items, nil
	if s != (gridSettings{}) {
		q.Settings = MustJSON(s)
	}
	return nil
}

// Answer implements QuestionKind: an object with every statement's number
// ("1".."n") as a key and a value from 1 to ScaleMax, or null to skip it;
// at least one statement rated. Canonical: the keys in order, compacted
// ({"1":4,"2":null}). A value that is not a whole number in range, an
// unknown, missing or repeated statement, or every statement skipped are
// EBadValue, each with its own message.
func (gridKind) Answer(q Question, raw Answer) (Answer, error) {
	n := len(q.Choices)
	bad := func(format string, args ...any) error {
		return &Error{Code: EBadValue, Field: "value", Message: fmt.Sprintf(format, args...)}
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", bad(`A rating grid's answer is an object from each statement's number to its value (1 to %d) or null to skip it: {"1":4,"2":null}.`, q.ScaleMax)
	}
	values := make([]int, n+1) // 0: not given yet; -1: skipped
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", bad("A rating grid's answer is not valid JSON.")
		}
		key, _ := tok.(string)
		i, err := strconv.Atoi(key)
		if err != nil || i < 1 || i > n || strconv.Itoa(i) != key {
			return "", bad("There is no statement %q: statements go from 1 to %d.", key, n)
		}
		if values[i] != 0 {
			return "", bad("Statement %d is answered twice.", i)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return "", bad("Statement %d takes a value from 1 to %d, or null to skip it.", i, q.ScaleMax)
		}
		if string(v) == "null" {
			values[i] = -1
			continue
		}
		x, err := strconv.Atoi(string(v))
		if err != nil || x < 1 || x > q.ScaleMax {
			return "", bad("Statement %d takes a value from 1 to %d, or null to skip it.", i, q.ScaleMax)
		}
		values[i] = x
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return "", bad("A rating grid's answer is not valid JSON.")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "", bad("A rating grid's answer is one object, with nothing after it.")
	}
	rated := false
	var b strings.Builder
	b.WriteByte('{')
	for i := 1; i <= n; i++ {
		if values[i] == 0 {
			return "", bad("Statement %d is missing: rate it or skip it (null).", i)
		}
		if i > 1 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + strconv.Itoa(i) + `":`)
		if values[i] < 0 {
			b.WriteString("null")
			continue
		}
		rated = true
		b.WriteString(strconv.Itoa(values[i]))
	}
	b.WriteByte('}')
	if !rated {
		return "", bad("Rate at least one statement: every statement is skipped.")
	}
	return Answer(b.String()), nil
}

// NewTally implements QuestionKind: per statement, the counts of each
// value and the skips, audience and jury apart.
func (gridKind) NewTally(q Question) Tally {
	t := &gridTally{n: len(q.Choices), max: q.ScaleMax}
	for i := range t.parts {
		t.parts[i] = gridPart{counts: make([]int64, t.n*t.max), skipped: make([]int64, t.n)}
	}
	return t
}

// gridPart is the count of one part of the room, audience or jury.
type gridPart struct {
	respondents int64
	counts      []int64 // counts[s*max+v-1]: answers v to statement s (0-based)
	skipped     []int64 // per statement
}

// gridTally counts a rating grid's answers statement by statement.
type gridTally struct {
	n, max int
	parts  [2]gridPart // audience, jury
}

// gridValues reads a canonical answer: the value of each statement in
// order, 0 for a skip; nil for "" or an answer of another shape.
func gridValues(a Answer, n int) []int {
	if a == "" {
		return nil
	}
	var m map[string]*int
	if json.Unmarshal([]byte(a), &m) != nil || len(m) != n {
		return nil
	}
	out := make([]int, n)
	for k, v := range m {
		i, err := strconv.Atoi(k)
		if err != nil || i < 1 || i > n {
			return nil
		}
		if v != nil {
			out[i-1] = *v
		}
	}
	return out
}

// add counts (d = 1) or uncounts (d = -1) an answer of part c.
func (t *gridTally) add(c *gridPart, a Answer, d int64) {
	vs := gridValues(a, t.n)
	if vs == nil {
		return
	}
	c.respondents += d
	for s, v := range vs {
		if v < 1 || v > t.max {
			c.skipped[s] += d
			continue
		}
		c.counts[s*t.max+v-1] += d
	}
}

// Move implements Tally.
func (t *gridTally) Move(prev Answer, vote Vote) {
	c := &t.parts[part(vote.Jury)]
	if prev != "" {
		t.add(c, prev, -1)
	}
	if vote.Answer != "" {
		t.add(c, vote.Answer, 1)
	}
}

// Total implements Tally: the respondents.
func (t *gridTally) Total() int64 { return t.parts[0].respondents + t.parts[1].respondents }

// Reset implements Tally.
func (t *gridTally) Reset() {
	for i := range t.parts {
		t.parts[i].respondents = 0
		clear(t.parts[i].counts)
		clear(t.parts[i].skipped)
	}
}

// GridStatement is one statement's results in a rating grid: Counts[v-1]
// answers v, their count and mean (0 when none), and the skips; the
// jury's apart, when any.
type GridStatement struct {
	Statement  int      `json:"statement"` // its number, 1 for the first
	Counts     []int64  `json:"counts"`
	Count      int64    `json:"count"`
	Mean       float64  `json:"mean"`
	Skipped    int64    `json:"skipped"`
	JuryCounts []int64  `json:"jury_counts,omitempty"`
	Jury       *Summary `json:"jury,omitempty"`
}

// statements returns every statement's results, in the definition's order.
func (t *gridTally) statements() []GridStatement {
	out := make([]GridStatement, t.n)
	aud, jury := &t.parts[0], &t.parts[1]
	for s := range out {
		counts := slices.Clone(aud.counts[s*t.max : (s+1)*t.max])
		sum := Summarize(counts)
		st := GridStatement{Statement: s + 1, Counts: counts, Count: sum.Count, Mean: sum.Mean, Skipped: aud.skipped[s] + jury.skipped[s]}
		if jury.respondents > 0 {
			jc := slices.Clone(jury.counts[s*t.max : (s+1)*t.max])
			js := Summarize(jc)
			st.JuryCounts, st.Jury = jc, &js
		}
		out[s] = st
	}
	return out
}

// GridFrame is the tally frame of a rating grid: Total respondents and,
// when shown, every statement's results. At most 12 statements of 10
// values: about 2 KB.
type GridFrame struct {
	TallyHead
	Respondents     int64           `json:"respondents,omitempty"`      // the audience's
	JuryRespondents int64           `json:"jury_respondents,omitempty"` // the jury's, when any
	Statements      []GridStatement `json:"statements,omitempty"`
}

// Frame implements Tally.
func (t *gridTally) Frame(target Target, v FrameView, now int64) []byte {
	f := GridFrame{TallyHead: tallyHead(target, v, now, t.Total())}
	if v.Show {
		f.Respondents, f.JuryRespondents, f.Statements = t.parts[0].respondents, t.parts[1].respondents, t.statements()
	}
	return MustJSON(f)
}

// GridResults are the exported results of a rating grid.
type GridResults struct {
	Respondents     int64           `json:"respondents"`
	JuryRespondents int64           `json:"jury_respondents"`
	Statements      []GridStatement `json:"statements"`
}

// Results implements Tally.
func (t *gridTally) Results() any {
	return GridResults{Respondents: t.parts[0].respondents, JuryRespondents: t.parts[1].respondents, Statements: t.statements()}
}

// Rows implements Tally: per statement, one row per value ("<statement>:
// 4"), then its skips ("<statement>: skipped"); then the respondents.
func (t *gridTally) Rows(q Question) []ExportRow {
	rows := make([]ExportRow, 0, t.n*(t.max+1)+1)
	aud, jury := &t.parts[0], &t.parts[1]
	for s := 0; s < t.n; s++ {
		label := strconv.Itoa(s + 1)
		if s < len(q.Choices) {
			label = q.Choices[s]
		}
		for v := 1; v <= t.max; v++ {
			rows = append(rows, ExportRow{Item: label + ": " + strconv.Itoa(v), Audience: aud.counts[s*t.max+v-1], Jury: jury.counts[s*t.max+v-1]})
		}
		rows = append(rows, ExportRow{Item: label + ": skipped", Audience: aud.skipped[s], Jury: jury.skipped[s]})
	}
	return append(rows, ExportRow{Item: "respondents", Audience: aud.respondents, Jury: jury.respondents})
}
