package live

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// PollMultiple is the multiple-choice kind: tick up to max_picks of the
// choices A..F; the answer is the sorted list of the ticked choices'
// numbers ([1,3] for A and C).
const PollMultiple = "multiple"

// multipleKind is the multiple-choice question: one answer (a set of
// choices) per participant, changeable until the question closes. Its
// results give each choice's share of the respondents, so the shares add
// up to more than 100 %.
type multipleKind struct{}

// multipleSettings are the settings of a multiple-choice question.
type multipleSettings struct {
	MaxPicks int `json:"max_picks"` // 1..len(choices); 0 in a definition: every choice
}

func (s multipleSettings) picks(q Question) int {
	if s.MaxPicks == 0 {
		return len(q.Choices)
	}
	return s.MaxPicks
}

func settingsOf(q Question) multipleSettings {
	var s multipleSettings
	_ = json.Unmarshal(q.Settings, &s) // checked by Define
	return s
}

// Define implements QuestionKind: the choices of a single-choice question,
// and settings {"max_picks": k} with k from 1 to the number of choices
// (default: all of them).
func (multipleKind) Define(q *Question) error {
	labels := Question{Kind: PollChoices, Choices: q.Choices} // the choices follow the single-choice rules
	if err := (choicesKind{}).Define(&labels); err != nil {
		return err
	}
	choices := labels.Choices
	var s multipleSettings
	if err := decodeStrict(q.Settings, &s); err != nil {
		return FieldErrorf("settings", `Settings of a multiple-choice question look like {"max_picks":2}.`)
	}
	if s.MaxPicks == 0 {
		s.MaxPicks = len(choices)
	}
	if s.MaxPicks < 1 || s.MaxPicks > len(choices) {
		return FieldErrorf("settings.max_picks", "max_picks must be from 1 to %d (the number of choices).", len(choices))
	}
	canonical, _ := json.Marshal(s)
	q.Choices, q.ScaleMax, q.Settings = choices, 0, canonical
	return nil
}

// Answer implements QuestionKind: a list of 1 to max_picks distinct choice
// numbers, in any order; canonical: sorted, as [1,3].
func (multipleKind) Answer(q Question, raw Answer) (Answer, error) {
	k := settingsOf(q).picks(q)
	bad := &Error{Code: EBadValue, Field: "value",
		Message: "An answer is a list of 1 to " + strconv.Itoa(k) + " different choices, from 1 to " + strconv.Itoa(len(q.Choices)) + "."}
	var picks []int
	if err := json.Unmarshal([]byte(raw), &picks); err != nil || len(picks) < 1 || len(picks) > k {
		return "", bad
	}
	slices.Sort(picks)
	for i, v := range picks {
		if v < 1 || v > len(q.Choices) || (i > 0 && picks[i-1] == v) {
			return "", bad
		}
	}
	parts := make([]string, len(picks))
	for i, v := range picks {
		parts[i] = strconv.Itoa(v)
	}
	return Answer("[" + strings.Join(parts, ",") + "]"), nil
}

// NewTally implements QuestionKind: the respondents, and per choice the
// respondents who ticked it.
func (multipleKind) NewTally(q Question) Tally {
	return &multipleTally{counts: NewCounts(len(q.Choices), false)}
}

// multipleTally counts respondents, audience and jury, and the ticks of
// each choice in Counts.
type multipleTally struct {
	counts      *Counts
	respondents [2]int64 // audience, jury
}

// picksOf is the choices of a canonical answer, none for "".
func picksOf(a Answer) []int {
	var picks []int
	_ = json.Unmarshal([]byte(a), &picks)
	return picks
}

func part(jury bool) int {
	if jury {
		return 1
	}
	return 0
}

// Move implements Tally.
func (t *multipleTally) Move(prev Answer, vote Vote) {
	jury, next := vote.Jury, vote.Answer
	c := t.counts.part(jury)
	if prev != "" {
		t.respondents[part(jury)]--
		for _, v := range picksOf(prev) {
			c[v-1]--
		}
	}
	if next != "" {
		t.respondents[part(jury)]++
		for _, v := range picksOf(next) {
			c[v-1]++
		}
	}
}

// Total implements Tally: the respondents.
func (t *multipleTally) Total() int64 { return t.respondents[0] + t.respondents[1] }

// Reset implements Tally.
func (t *multipleTally) Reset() {
	t.counts.Reset()
	t.respondents = [2]int64{}
}

// MultipleFrame is the tally frame of a multiple-choice question: Total
// respondents, Counts[i] of whom ticked choice i+1 (the audience; the jury
// apart). Counts and the jury's numbers are left out while results are hidden.
type MultipleFrame struct {
	TallyHead
	Respondents     int64   `json:"respondents,omitempty"`      // the audience's
	Counts          []int64 `json:"counts,omitempty"`           // audience ticks per choice
	JuryRespondents int64   `json:"jury_respondents,omitempty"` // the jury's, when any
	JuryCounts      []int64 `json:"jury_counts,omitempty"`
}

// Frame implements Tally: a few hundred bytes at most (6 choices).
func (t *multipleTally) Frame(target Target, v FrameView, now int64) []byte {
	f := MultipleFrame{TallyHead: tallyHead(target, v, now, t.Total())}
	if v.Show {
		f.Respondents, f.Counts = t.respondents[0], t.counts.Audience
		if t.respondents[1] > 0 {
			f.JuryRespondents, f.JuryCounts = t.respondents[1], t.counts.Jury
		}
	}
	return MustJSON(f)
}

// MultipleResults are the exported results of a multiple-choice question.
type MultipleResults struct {
	Respondents     int64   `json:"respondents"`
	Counts          []int64 `json:"counts"` // audience ticks per choice
	JuryRespondents int64   `json:"jury_respondents"`
	JuryCounts      []int64 `json:"jury_counts"`
}

// Results implements Tally.
func (t *multipleTally) Results() any {
	return MultipleResults{Respondents: t.respondents[0], Counts: slices.Clone(t.counts.Audience),
		JuryRespondents: t.respondents[1], JuryCounts: slices.Clone(t.counts.Jury)}
}

// Rows implements Tally: one per choice, then the respondents.
func (t *multipleTally) Rows(q Question) []ExportRow {
	rows := t.counts.rows(func(v int) string { return string(rune('A'+v-1)) + " " + q.Choices[v-1] })
	return append(rows, ExportRow{Item: "respondents", Audience: t.respondents[0], Jury: t.respondents[1]})
}
