package live

import "strconv"

// PollScale is the scale kind: a score from 1 to ScaleMax, as a poll or as
// a pitch's score (on its round's scale).
const PollScale = "scale"

// scaleKind is the scale question: one score per participant, changeable
// until the question closes; its mean is shown and ranks pitches.
type scaleKind struct{}

// Define implements QuestionKind: a scale from 1 to 2..MaxScale.
func (scaleKind) Define(q *Question) error {
	if q.ScaleMax < 2 || q.ScaleMax > MaxScale {
		return FieldErrorf("scale_max", "A scale poll goes from 1 to 2..%d.", MaxScale)
	}
	q.Choices = nil
	return noSettings(q)
}

// Answer implements QuestionKind: a score.
func (scaleKind) Answer(q Question, raw Answer) (Answer, error) { return oneValue(raw, q.ScaleMax) }

// NewTally implements QuestionKind: counts per score, with the mean.
func (scaleKind) NewTally(q Question) Tally { return &scaleTally{NewCounts(q.ScaleMax, true)} }

// scaleTally counts per score and labels export rows with the score.
type scaleTally struct{ *Counts }

// Rows implements Tally.
func (t *scaleTally) Rows(Question) []ExportRow { return t.rows(strconv.Itoa) }

// ScoresOf returns the counts of a scale tally (a pitch's scores), nil for
// another kind's.
func ScoresOf(t Tally) *Counts {
	if t, ok := t.(*scaleTally); ok {
		return t.Counts
	}
	return nil
}
