package live

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// A QuestionKind is what a question asks and how its answers count: it
// checks a question's definition, checks an answer and gives its canonical
// form, and keeps the tally, whose frame, results and export rows it
// builds. Every kind shares the one vote path (group commit, ack after
// commit, idempotent vote ids, the cluster's vote stream, the HTTP
// fallback), which carries and stores the canonical answer as it is.
//
// Each kind lives in one file (kind_*.go) and is registered in
// questionKinds; its page modules are in static/kinds/.
type QuestionKind interface {
	// Define checks q's definition (the kind's fields of q) and normalises
	// it, with EInvalid errors naming the field.
	Define(q *Question) error
	// Answer checks raw, an answer as a client sent it, against q and
	// returns its canonical form; EBadValue errors name the field "value".
	Answer(q Question, raw Answer) (Answer, error)
	// NewTally returns an empty tally of q's answers.
	NewTally(q Question) Tally
}

// questionKinds are the kinds of question there are, by name: the one place
// a kind is registered.
var questionKinds = map[string]QuestionKind{
	PollChoices:   choicesKind{},
	PollScale:     scaleKind{},
	PollMultiple:  multipleKind{},
	PollWordCloud: wordCloudKind{},
	PollOpenText:  openTextKind{},
	PollRanking:   rankingKind{},
	PollQuiz:      quizKind{},
	PollGrid:      gridKind{},
}

// KindOf returns the kind named name, or EInvalid (field "kind") for a
// kind this version of Ovation does not know.
func KindOf(name string) (QuestionKind, error) {
	if k, ok := questionKinds[name]; ok {
		return k, nil
	}
	names := slices.Sorted(maps.Keys(questionKinds))
	return nil, FieldErrorf("kind", "Question kind must be one of %s.", strings.Join(names, ", "))
}

// CheckAnswer checks raw against q by q's kind and returns its canonical
// form (EBadValue when it does not fit, EInvalid for an unknown kind).
func CheckAnswer(q Question, raw Answer) (Answer, error) {
	k, err := KindOf(q.Kind)
	if err != nil {
		return "", err
	}
	return k.Answer(q, raw)
}

// Question is the definition of what a target asks, in the fields its kind
// reads: a poll's kind and options, or the scale a pitch is scored on.
type Question struct {
	Kind     string
	Choices  []string        // the labels shown next to A, B, …
	ScaleMax int             // scale: values from 1 to ScaleMax
	Settings json.RawMessage // the kind's own settings, a JSON object (nil: none)
	Correct  []int           // the right choices (1 for A) of a question that has them, sorted
}

// SameAnswers reports whether answers to q stay valid for r: the same kind,
// as many options (choices or scale values) and the same settings (any
// settings, for a kind whose settings only change how answers show); the
// labels may change.
// A quiz question's right choices count too: its points depend on them;
// a rating grid's statements and scale both do.
func (q Question) SameAnswers(r Question) bool {
	if q.Kind != r.Kind || max(len(q.Choices), q.ScaleMax) != max(len(r.Choices), r.ScaleMax) ||
		(q.Kind == PollQuiz && !slices.Equal(q.Correct, r.Correct)) ||
		(q.Kind == PollGrid && (len(q.Choices) != len(r.Choices) || q.ScaleMax != r.ScaleMax)) {
		return false
	}
	_, shows := questionKinds[q.Kind].(showSettingsKind)
	return shows || bytes.Equal(q.Settings, r.Settings)
}

// A showSettingsKind is a kind whose settings only change how its answers
// show (open text's moderation and order): they may change while answers
// are counted, and its tally is a RetunedTally.
type showSettingsKind interface {
	QuestionKind
	showSettingsOnly()
}

// decodeStrict decodes raw, a kind's settings or a moderator's decision,
// into the kind's struct, refusing unknown fields and trailing data; empty
// raw leaves it as it is.
func decodeStrict(raw json.RawMessage, into any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

// noSettings refuses settings for a kind that has none.
func noSettings(q *Question) error {
	if len(q.Settings) > 0 && !bytes.Equal(bytes.TrimSpace(q.Settings), []byte("{}")) && !bytes.Equal(bytes.TrimSpace(q.Settings), []byte("null")) {
		return FieldErrorf("settings", "A %s question has no settings.", q.Kind)
	}
	q.Settings = nil
	return nil
}

// Answer is an answer in the canonical JSON form of its question's kind
// (a choice or a score is its number: "3"). It is what votes carry and
// what the store keeps; "" is no answer.
type Answer string

// MaxAnswerLen bounds an answer's JSON, in bytes: room for an open-text
// answer of 280 characters of four bytes each (emoji).
const MaxAnswerLen = 2048

// CheckShape checks what every answer must be, whatever its kind: 1 to
// MaxAnswerLen bytes (EBadValue) of valid text (EInvalid): valid UTF-8,
// with no escaped lone surrogate ("\ud800"), which a decoder would
// silently turn into U+FFFD. Both name the field "answer".
func (a Answer) CheckShape() error {
	if a == "" || len(a) > MaxAnswerLen {
		return &Error{Code: EBadValue, Field: "answer", Message: fmt.Sprintf("An answer is 1 to %d bytes of JSON.", MaxAnswerLen)}
	}
	if !utf8.ValidString(string(a)) || loneSurrogate(string(a)) {
		return FieldErrorf("answer", "answer is not valid text.")
	}
	return nil
}

// loneSurrogate reports whether JSON text s escapes a UTF-16 surrogate
// that is not half of a pair. Backslashes occur only within strings of
// valid JSON, so escapes are found without parsing the rest.
func loneSurrogate(s string) bool {
	high := false // the last escape was a high surrogate
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			if high {
				return true
			}
			continue
		}
		if i+1 >= len(s) || s[i+1] != 'u' {
			if high {
				return true
			}
			i++ // \" \\ \n …
			continue
		}
		if i+6 > len(s) {
			return true
		}
		u, err := strconv.ParseUint(s[i+2:i+6], 16, 16)
		if err != nil {
			return true
		}
		switch {
		case u >= 0xD800 && u < 0xDC00:
			if high {
				return true
			}
			high = true
		case u >= 0xDC00 && u < 0xE000:
			if !high {
				return true
			}
			high = false
		default:
			if high {
				return true
			}
		}
		i += 5
	}
	return high
}

// MarshalJSON writes the answer as the JSON value it is (null when empty).
func (a Answer) MarshalJSON() ([]byte, error) {
	if a == "" {
		return []byte("null"), nil
	}
	return []byte(a), nil
}

// Tally is a kind's running count of one question's answers, in absolute
// numbers, so that a frame lost on the way is healed by the next one. It
// is kept under the engine's tally lock.
type Tally interface {
	// Move replaces the counted answer prev ("" for none) of v's
	// participant by v.Answer ("" to withdraw it); v is the committed vote
	// (at load, as stored), for kinds that keep each answer apart (open text).
	Move(prev Answer, v Vote)
	// Total is the number of answers counted, audience and jury.
	Total() int64
	// Reset forgets every answer.
	Reset()
	// Frame encodes the tally frame of target at now (Unix ms) for v; it
	// stays small whatever the number of answers.
	Frame(target Target, v FrameView, now int64) []byte
	// Results returns the results for the JSON export: an object whose
	// fields join the question's own.
	Results() any
	// Rows returns the lines of the CSV export, one per item.
	Rows(q Question) []ExportRow
}

// ReviewedTally is the tally of a kind whose answers moderators review
// (hide, show, merge a word of a cloud). Decisions are kept with the votes
// and applied again, in order, when the engine loads.
type ReviewedTally interface {
	Tally
	// Check checks a moderator's decision, a JSON object of the kind's,
	// against the tally, and returns its canonical form and a line for the
	// audit log; an error changes nothing.
	Check(raw json.RawMessage) (canonical json.RawMessage, audit string, err error)
	// Apply applies a decision Check returned.
	Apply(canonical json.RawMessage)
}

// A RetunedTally adopts new settings of its question and keeps its answers
// (the tally of a showSettingsKind).
type RetunedTally interface {
	Tally
	Retune(q Question)
}

// An UpvotedTally is the tally of a kind whose answers the audience
// upvotes, each participant once per answer (open text). Upvotes are
// stored apart from the votes and applied again when the engine loads.
type UpvotedTally interface {
	Tally
	// CanUpvote checks that participant may upvote answer id now: ENotFound
	// when no answer shown has that id, EForbidden for one's own answer.
	CanUpvote(id string, participant int64) error
	// Upvote records (up) or withdraws participant's upvote of answer id,
	// and returns the answer's upvotes; an answer no longer there is left
	// as it is (0).
	Upvote(id string, participant int64, up bool) int
}

// A PersonalTally tells a participant what the public frames do not: the
// state of their own answer, the answers they upvoted. Personal returns
// nil when there is nothing to tell.
type PersonalTally interface {
	Tally
	Personal(participant int64) any
}

// AnswerUpvote is one participant's upvote of an answer of a target.
type AnswerUpvote struct {
	EventID       int64
	Target        Target
	AnswerID      string
	ParticipantID int64
	At            time.Time
}

// Decision is a moderator's decision on the answers of a target, as
// ReviewedTally.Check made it.
type Decision struct {
	EventID  int64
	Target   Target
	Decision json.RawMessage
	At       time.Time
}

// TallyHead is how every tally frame starts, whatever its kind: its type
// ("tally"), when it was built (Unix ms: clients measure staleness with
// it), its target, whether the results are hidden (then the frame has
// nothing more) and the answers counted.
type TallyHead struct {
	Type       string `json:"type"`
	ServerTime int64  `json:"server_time"`
	Target     string `json:"target"`
	Hidden     bool   `json:"hidden"`
	Total      int64  `json:"total"`
}

// tallyHead is the head of target's tally frame for v at now.
func tallyHead(target Target, v FrameView, now, total int64) TallyHead {
	return TallyHead{Type: "tally", ServerTime: now, Target: target.String(), Hidden: !v.Show, Total: total}
}

// FrameView says whom a tally frame is for.
type FrameView struct {
	Show      bool // results public, or the moderators' frame: counts included; else the total only
	Moderator bool // the control topic: also what only moderators see (answers held for review)
	Phone     bool // the room topic, for phones: a kind may send less than the stage shows (a cloud's top words)
}

// ExportRow is one line of a question's results in the CSV export.
type ExportRow struct {
	Item     string // the choice, value or answer
	Audience int64  // the audience's answers for it
	Jury     int64  // the jury's
}

// NewTally returns an empty tally of q's answers. It panics when q's kind
// is unknown: q must have been validated.
func NewTally(q Question) Tally {
	k, err := KindOf(q.Kind)
	if err != nil {
		panic(err)
	}
	return k.NewTally(q)
}

// MustJSON encodes v, a frame of the domain's own types, to JSON. It
// panics when v cannot be encoded, which only a bug in those types can cause.
func MustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own types are encoded here
	}
	return b
}
