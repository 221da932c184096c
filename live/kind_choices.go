package live

import (
	"fmt"
	"slices"
)

// PollChoices is the single-choice kind: keypad letters A..F, each with a
// label; the answer is the number of the choice (1 for A).
const PollChoices = "choices"

// choicesKind is the single-choice question: one answer per participant,
// changeable until the question closes.
type choicesKind struct{}

// Define implements QuestionKind: 2 to MaxChoices labels.
func (choicesKind) Define(q *Question) error {
	if len(q.Choices) < 2 || len(q.Choices) > MaxChoices {
		return FieldErrorf("choices", "A keypad poll has 2 to %d choices (A–F).", MaxChoices)
	}
	// A new slice: q may hold the choices of a poll others read.
	choices := slices.Clone(q.Choices)
	for i := range choices {
		if err := validText(fmt.Sprintf("choices[%d]", i), &choices[i], 80, true, false); err != nil {
			return err
		}
	}
	q.Choices, q.ScaleMax = choices, 0
	return noSettings(q)
}

// Answer implements QuestionKind: a choice's number.
func (choicesKind) Answer(q Question, raw Answer) (Answer, error) {
	return oneValue(raw, len(q.Choices))
}

// NewTally implements QuestionKind: counts per choice, without a mean.
func (choicesKind) NewTally(q Question) Tally { return &choicesTally{NewCounts(len(q.Choices), false)} }

// choicesTally counts per choice and labels export rows with the letter
// and the choice.
type choicesTally struct{ *Counts }

// Rows implements Tally.
func (t *choicesTally) Rows(q Question) []ExportRow {
	return t.rows(func(v int) string { return string(rune('A'+v-1)) + " " + q.Choices[v-1] })
}
