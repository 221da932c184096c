package live

import (
	"encoding/json"
	"slices"
	"time"
)

// PollQuiz is the quiz kind: a question of a Quiz, with 2 to 6 choices of
// which one or more are right (Poll.Correct) and a time limit. The answer
// is the number of one choice (1 for A), as for a single-choice question;
// a participant's first answer is final, and an answer counts only within
// the time limit from the question's opening, in the server's clock.
const PollQuiz = "quiz"

// Time limits of a quiz question, in seconds.
const (
	MinQuizLimitS     = 5
	MaxQuizLimitS     = 300
	DefaultQuizLimitS = 20
)

// quizKind is the quiz question. Its answers earn points (QuizPoints) that
// add up, over the questions of its quiz, to the quiz's leaderboard.
type quizKind struct{}

// quizSettings are the settings of a quiz question.
type quizSettings struct {
	TimeLimitS int `json:"time_limit_s"` // MinQuizLimitS..MaxQuizLimitS; 0 in a definition: DefaultQuizLimitS
}

// quizLimit returns the time limit of quiz question q (checked by Define).
func quizLimit(q Question) time.Duration {
	var s quizSettings
	_ = json.Unmarshal(q.Settings, &s)
	if s.TimeLimitS == 0 {
		s.TimeLimitS = DefaultQuizLimitS
	}
	return time.Duration(s.TimeLimitS) * time.Second
}

// Define implements QuestionKind: the choices of a single-choice question
// and settings {"time_limit_s": n}, n from 5 to 300 (default 20). Its right
// choices are the poll's Correct, checked by Poll.Validate.
func (quizKind) Define(q *Question) error {
	labels := Question{Kind: PollChoices, Choices: q.Choices}
	if err := (choicesKind{}).Define(&labels); err != nil {
		return err
	}
	var s quizSettings
	if err := decodeStrict(q.Settings, &s); err != nil {
		return FieldErrorf("settings", `Settings of a quiz question look like {"time_limit_s":20}.`)
	}
	if s.TimeLimitS == 0 {
		s.TimeLimitS = DefaultQuizLimitS
	}
	if s.TimeLimitS < MinQuizLimitS || s.TimeLimitS > MaxQuizLimitS {
		return FieldErrorf("settings.time_limit_s", "time_limit_s must be from %d to %d seconds.", MinQuizLimitS, MaxQuizLimitS)
	}
	canonical, _ := json.Marshal(s)
	q.Choices, q.ScaleMax, q.Settings = labels.Choices, 0, canonical
	return nil
}

// Answer implements QuestionKind: a choice's number.
func (quizKind) Answer(q Question, raw Answer) (Answer, error) { return oneValue(raw, len(q.Choices)) }

// NewTally implements QuestionKind: counts per choice, and each answer's
// choice and time for the points.
func (quizKind) NewTally(q Question) Tally {
	return &quizTally{Counts: NewCounts(len(q.Choices), false), correct: slices.Clone(q.Correct), answers: map[int64]quizAnswer{}}
}

// TimeLimit implements TimedKind.
func (quizKind) TimeLimit(q Question) time.Duration { return quizLimit(q) }

// A TimedKind is a kind whose questions take one answer per participant,
// final once counted, and only within TimeLimit of their opening (the
// poll's OpenedAtMS, the engine's clock).
type TimedKind interface {
	TimeLimit(q Question) time.Duration
}

// QuizPoints is what a quiz answer earns: 0 when wrong; when right,
// 1000 × (1 − t / 2T) rounded to the nearest point (halves up), where t is
// the time from the question's opening to the answer and T the time limit,
// both in milliseconds: 1000 for an instant answer, 500 at the limit. t is
// taken within [0, T].
func QuizPoints(right bool, t, limit time.Duration) int64 {
	if !right || limit <= 0 {
		return 0
	}
	tm, lm := min(max(t.Milliseconds(), 0), limit.Milliseconds()), limit.Milliseconds()
	return 1000 - (1000*tm+lm)/(2*lm)
}

// A QuizTally is the tally of a quiz question. Besides its counts it
// knows who answered, for the quiz's standings (CountStandings), and its
// Generation changes with every answer and reset, so that standings
// counted from it can be kept until it changes.
type QuizTally interface {
	Tally
	Generation() int64
	Answered(participantID int64) bool
}

// quizAnswer is one participant's counted answer to a quiz question.
type quizAnswer struct {
	choice int   // 1 for A
	atMS   int64 // when it was received, Unix ms in the server's clock
}

// quizTally counts the answers per choice (its Counts) and keeps each
// participant's choice and time, from which the quiz's leaderboard is
// counted.
type quizTally struct {
	*Counts
	correct []int // the question's right choices
	answers map[int64]quizAnswer
	gen     int64 // changes with every Move and Reset: the leaderboard's cache key
}

// Move implements Tally.
func (t *quizTally) Move(prev Answer, v Vote) {
	t.gen++
	t.Counts.Move(prev, v)
	if v.Answer == "" {
		delete(t.answers, v.ParticipantID)
		return
	}
	t.answers[v.ParticipantID] = quizAnswer{choice: valueOf(v.Answer), atMS: v.At.UnixMilli()}
}

// Generation implements QuizTally.
func (t *quizTally) Generation() int64 { return t.gen }

// Answered implements QuizTally.
func (t *quizTally) Answered(participantID int64) bool {
	_, ok := t.answers[participantID]
	return ok
}

// Reset implements Tally.
func (t *quizTally) Reset() {
	t.gen++
	t.Counts.Reset()
	clear(t.answers)
}

// QuizQuestionResults are the exported results of a quiz question: its
// counts per choice, and how many answers were right.
type QuizQuestionResults struct {
	CountResults
	Right int64 `json:"right"` // answers, audience and jury, on one of the right choices
}

// Results implements Tally.
func (t *quizTally) Results() any {
	return QuizQuestionResults{CountResults: t.Counts.Results().(CountResults), Right: t.right(t.correct)}
}

// Rows implements Tally: one per choice, the right ones marked "(right)".
func (t *quizTally) Rows(q Question) []ExportRow {
	return t.rows(func(v int) string {
		s := string(rune('A'+v-1)) + " " + q.Choices[v-1]
		if slices.Contains(t.correct, v) {
			s += " (right)"
		}
		return s
	})
}

// right counts the answers on one of the choices in correct.
func (t *quizTally) right(correct []int) int64 {
	var n int64
	for _, v := range correct {
		if v >= 1 && v <= len(t.Audience) {
			n += t.Audience[v-1] + t.Jury[v-1]
		}
	}
	return n
}
