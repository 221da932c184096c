package live

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// PollOpenText is the open-text kind: each person writes one short answer,
// moderators approve, reject and pin answers as on a board, the audience
// upvotes the approved ones, and the stage shows them as cards, pinned
// first, then newest first or most upvoted first.
const PollOpenText = "opentext"

// Open-text limits.
const (
	MaxOpenTextLen    = 280  // characters (code points) in an answer
	openTextCards     = 30   // answers in a public frame, at most
	openTextFrameSize = 8000 // bytes of a public frame, at most
	openTextQueue     = 200  // answers in the moderators' frame, at most
)

// The orders of an open-text question's cards (after the pinned ones).
const (
	OrderNewest = "newest" // newest first
	OrderTop    = "top"    // most upvoted first; ties: older first
)

// The states of an open-text answer.
const (
	TextPending  = "pending"  // pre-moderation: waiting for a moderator
	TextApproved = "approved" // on screen
	TextRejected = "rejected" // hidden by a moderator; never shown
)

// openTextKind is the open-text question: one answer per participant, a
// text of 1 to MaxOpenTextLen characters cleaned like a name (one line),
// changeable until the question closes. A changed answer is a new answer:
// it gets a new id, loses its pin and its upvotes and, under
// pre-moderation, waits for review again. Upvotes do not travel the vote
// path, which holds one answer per participant and target: they are
// stored apart (show.Engine.UpvoteAnswer). Its settings only change how answers
// show, so they may change while it runs.
type openTextKind struct{}

func (openTextKind) showSettingsOnly() {}

// openTextSettings are the settings of an open-text question.
type openTextSettings struct {
	Moderation string `json:"moderation"` // "pre" (default: answers show once approved) or "post"
	Order      string `json:"order"`      // OrderNewest (default) or OrderTop
}

// settings returns q's open-text settings, checked by Define.
func openTextSettingsOf(q Question) openTextSettings {
	var s openTextSettings
	_ = json.Unmarshal(q.Settings, &s)
	return s
}

// Define implements QuestionKind: no choices, settings
// {"moderation":"pre","order":"newest"}.
func (openTextKind) Define(q *Question) error {
	if len(q.Choices) > 0 {
		return FieldErrorf("choices", "An open-text question has no choices.")
	}
	var s openTextSettings
	if err := decodeStrict(q.Settings, &s); err != nil {
		return FieldErrorf("settings", `Settings of an open-text question look like {"moderation":"pre","order":"newest"}.`)
	}
	switch s.Moderation {
	case "":
		s.Moderation = "pre"
	case "pre", "post":
	default:
		return FieldErrorf("settings.moderation", `moderation must be "pre" (answers show once a moderator approves them) or "post" (answers show at once).`)
	}
	switch s.Order {
	case "":
		s.Order = OrderNewest
	case OrderNewest, OrderTop:
	default:
		return FieldErrorf("settings.order", `order must be "newest" (the newest answers first) or "top" (the most upvoted first).`)
	}
	q.Settings, _ = json.Marshal(s)
	q.Choices, q.ScaleMax = nil, 0
	return nil
}

// Answer implements QuestionKind: a JSON string of 1 to MaxOpenTextLen
// characters once cleaned with CleanText (controls dropped, white space
// and line breaks collapsed to single spaces). Canonical: the cleaned
// text, as a JSON string.
func (openTextKind) Answer(_ Question, raw Answer) (Answer, error) {
	var s string
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return "", &Error{Code: EBadValue, Field: "value", Message: `An answer is a text, as a JSON string: "Great talk".`}
	}
	s = CleanText(s, 0)
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return "", &Error{Code: EBadValue, Field: "value", Message: "The answer is empty: write a few words."}
	case n > MaxOpenTextLen:
		return "", &Error{Code: EBadValue, Field: "value", Message: "An answer has at most " + strconv.Itoa(MaxOpenTextLen) + " characters; this one has " + strconv.Itoa(n) + "."}
	}
	return Answer(plainJSON(s)), nil
}

// plainJSON encodes s as a JSON string without escaping <, > and &, so
// that an answer's canonical form is no longer than the text needs.
func plainJSON(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// NewTally implements QuestionKind.
func (openTextKind) NewTally(q Question) Tally {
	t := &openTextTally{byVoter: map[int64]*textAnswer{}, byID: map[string]*textAnswer{},
		decided: map[string]string{}, pinned: map[string]bool{}}
	t.Retune(q)
	return t
}

// textAnswer is one participant's counted answer.
type textAnswer struct {
	id     string
	text   string
	author int64
	at     time.Time // when it was sent (its vote's time)
	jury   bool
	// upvoters are the participants who upvoted it.
	upvoters map[int64]struct{}
}

// openTextTally keeps every answer of an open-text question, the
// moderators' decisions on them and the audience's upvotes, by answer id.
type openTextTally struct {
	pre     bool
	top     bool                  // cards by upvotes (OrderTop), not newest first
	byVoter map[int64]*textAnswer // by participant id; never shown
	byID    map[string]*textAnswer
	decided map[string]string // approved or rejected, by a moderator
	pinned  map[string]bool

	sorted []*textAnswer // in the cards' order, until the next change
}

// Retune implements RetunedTally: the moderation and the order change how
// the answers show, not which are counted. An answer pending under
// pre-moderation shows at once under post-moderation.
func (t *openTextTally) Retune(q Question) {
	s := openTextSettingsOf(q)
	t.pre, t.top, t.sorted = s.Moderation != "post", s.Order == OrderTop, nil
}

// textAnswerID is the id of the answer a participant sent with a vote id:
// a digest, so that it names the answer without telling who wrote it, and
// is the same when the tally is rebuilt from the stored votes.
func textAnswerID(t Target, participant int64, voteID string) string {
	sum := sha256.Sum256([]byte("opentext\x00" + t.String() + "\x00" + strconv.FormatInt(participant, 10) + "\x00" + voteID))
	return hex.EncodeToString(sum[:8])
}

// Move implements Tally: v's answer replaces its participant's earlier
// one, with a new id and no decision.
func (t *openTextTally) Move(_ Answer, v Vote) {
	t.sorted = nil
	if old := t.byVoter[v.ParticipantID]; old != nil {
		delete(t.byVoter, v.ParticipantID)
		delete(t.byID, old.id)
		delete(t.decided, old.id)
		delete(t.pinned, old.id)
	}
	if v.Answer == "" {
		return
	}
	var text string
	_ = json.Unmarshal([]byte(v.Answer), &text)
	a := &textAnswer{id: textAnswerID(v.Target, v.ParticipantID, v.VoteID), text: text, author: v.ParticipantID, at: v.At, jury: v.Jury}
	t.byVoter[v.ParticipantID] = a
	t.byID[a.id] = a
}

// Total implements Tally: the respondents.
func (t *openTextTally) Total() int64 { return int64(len(t.byVoter)) }

// Reset implements Tally: the answers go, and the decisions on them.
func (t *openTextTally) Reset() {
	t.sorted = nil
	clear(t.byVoter)
	clear(t.byID)
	clear(t.decided)
	clear(t.pinned)
}

// state is an answer's state: a moderator's decision, else pending under
// pre-moderation and approved under post-moderation.
func (t *openTextTally) state(id string) string {
	if s, ok := t.decided[id]; ok {
		return s
	}
	if t.pre {
		return TextPending
	}
	return TextApproved
}

// ordered returns the answers in the cards' order: newest first (then by
// id), or under OrderTop the most upvoted first, ties older first (then by
// id). The slice is shared until the next change.
func (t *openTextTally) ordered() []*textAnswer {
	if t.sorted == nil {
		t.sorted = make([]*textAnswer, 0, len(t.byID))
		for _, a := range t.byID {
			t.sorted = append(t.sorted, a)
		}
		slices.SortFunc(t.sorted, func(a, b *textAnswer) int {
			if t.top {
				if c := len(b.upvoters) - len(a.upvoters); c != 0 {
					return c
				}
				if c := a.at.Compare(b.at); c != 0 {
					return c
				}
				return strings.Compare(a.id, b.id)
			}
			if c := b.at.Compare(a.at); c != 0 {
				return c
			}
			return strings.Compare(a.id, b.id)
		})
	}
	return t.sorted
}

// OpenTextCard is one answer of an open-text frame. The public frames
// carry approved answers only, without State.
type OpenTextCard struct {
	ID      string `json:"id"`
	Text    string `json:"text"`
	At      int64  `json:"at"`                // sent at, Unix ms
	Pinned  bool   `json:"pinned,omitempty"`  // shown first
	Upvotes int    `json:"upvotes,omitempty"` // the participants who upvoted it
	Cut     bool   `json:"cut,omitempty"`     // Text was shortened to keep the frame small; the export has it whole
	State   string `json:"state,omitempty"`   // moderators' frame: pending, approved or rejected
	Jury    bool   `json:"jury,omitempty"`    // moderators' frame: sent by a juror
}

// OpenTextFrame is the tally frame of an open-text question: Total
// respondents and, when shown, Approved answers, the Order and the cards.
// The public frame holds the 30 approved answers shown first (pinned, then
// in the Order), in under 8 KB, long texts cut to fit; the moderators'
// frame holds up to 200 answers, the pending ones first (oldest first),
// then the others in the Order, each with its state, and the Pending and
// Rejected counts. A frame that is shown always carries its counts, 0
// included (the public one Approved, the moderators' all three); a hidden
// one only the head.
type OpenTextFrame struct {
	TallyHead
	Approved int            `json:"approved"`
	Pending  *int           `json:"pending,omitempty"`  // moderators' frame only
	Rejected *int           `json:"rejected,omitempty"` // moderators' frame only
	Order    string         `json:"order,omitempty"`
	Answers  []OpenTextCard `json:"answers,omitempty"`
}

func (a *textAnswer) card() OpenTextCard {
	return OpenTextCard{ID: a.id, Text: a.text, At: a.at.UnixMilli(), Upvotes: len(a.upvoters)}
}

func (t *openTextTally) order() string {
	if t.top {
		return OrderTop
	}
	return OrderNewest
}

// Frame implements Tally.
func (t *openTextTally) Frame(target Target, v FrameView, now int64) []byte {
	f := OpenTextFrame{TallyHead: tallyHead(target, v, now, t.Total())}
	if !v.Show {
		return MustJSON(f.TallyHead)
	}
	f.Order = t.order()
	var pending, approved, others []*textAnswer
	for _, a := range t.ordered() {
		switch t.state(a.id) {
		case TextPending:
			pending = append(pending, a)
		case TextApproved:
			approved = append(approved, a)
		default:
			others = append(others, a)
		}
	}
	f.Approved = len(approved)
	if v.Moderator {
		np, nr := len(pending), len(others)
		f.Pending, f.Rejected = &np, &nr
		slices.SortFunc(pending, func(a, b *textAnswer) int { // a queue: the oldest first
			if c := a.at.Compare(b.at); c != 0 {
				return c
			}
			return strings.Compare(a.id, b.id)
		})
		for _, a := range slices.Concat(pending, t.shownFirst(approved), others)[:min(len(t.byID), openTextQueue)] {
			c := a.card()
			c.State, c.Pinned, c.Jury = t.state(a.id), t.pinned[a.id], a.jury
			f.Answers = append(f.Answers, c)
		}
		return MustJSON(f)
	}
	shown := t.shownFirst(approved)
	shown = shown[:min(len(shown), openTextCards)]
	f.Answers = make([]OpenTextCard, 0, len(shown))
	left := openTextFrameSize - len(MustJSON(f)) - len(`,"answers":[]`)
	for i, a := range shown {
		c := a.card()
		c.Pinned = t.pinned[a.id]
		b := fitCard(&c, left/(len(shown)-i)-1) // -1: the comma
		left -= b + 1
		f.Answers = append(f.Answers, c)
	}
	return MustJSON(f)
}

// shownFirst orders approved answers (in the cards' order) as the stage
// shows them: the pinned ones first, each part in that order.
func (t *openTextTally) shownFirst(approved []*textAnswer) []*textAnswer {
	out := make([]*textAnswer, 0, len(approved))
	for _, a := range approved {
		if t.pinned[a.id] {
			out = append(out, a)
		}
	}
	for _, a := range approved {
		if !t.pinned[a.id] {
			out = append(out, a)
		}
	}
	return out
}

// fitCard cuts c's text, ending it with "…", until c encodes in at most
// size bytes, and returns its encoded size.
func fitCard(c *OpenTextCard, size int) int {
	n := len(MustJSON(c))
	if n <= size {
		return n
	}
	runes := []rune(c.Text)
	c.Cut = true
	lo, hi := 0, len(runes) // the longest prefix that fits is in [lo, hi)
	for lo+1 < hi {
		mid := (lo + hi) / 2
		c.Text = string(runes[:mid]) + "…"
		if len(MustJSON(c)) <= size {
			lo = mid
		} else {
			hi = mid
		}
	}
	c.Text = strings.TrimRight(string(runes[:lo]), " ") + "…"
	return len(MustJSON(c))
}

// OpenTextAnswer is one answer in the export of an open-text question.
type OpenTextAnswer struct {
	ID      string    `json:"id"`
	Text    string    `json:"text"` // whole
	State   string    `json:"state"`
	Pinned  bool      `json:"pinned"`
	Upvotes int       `json:"upvotes"`
	Jury    bool      `json:"jury"`
	At      time.Time `json:"at"`
}

// OpenTextResults are the exported results of an open-text question:
// every answer, oldest first, with its state.
type OpenTextResults struct {
	Respondents int64            `json:"respondents"`
	Approved    int              `json:"approved"`
	Pending     int              `json:"pending"`
	Rejected    int              `json:"rejected"`
	Answers     []OpenTextAnswer `json:"answers"`
}

// Results implements Tally.
func (t *openTextTally) Results() any {
	r := OpenTextResults{Respondents: t.Total(), Answers: []OpenTextAnswer{}}
	all := slices.SortedFunc(maps.Values(t.byID), func(a, b *textAnswer) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	for _, a := range all {
		s := t.state(a.id)
		switch s {
		case TextApproved:
			r.Approved++
		case TextPending:
			r.Pending++
		default:
			r.Rejected++
		}
		r.Answers = append(r.Answers, OpenTextAnswer{ID: a.id, Text: a.text, State: s, Pinned: t.pinned[a.id], Upvotes: len(a.upvoters), Jury: a.jury, At: a.at.UTC()})
	}
	return r
}

// Rows implements Tally: one per answer, oldest first, as "approved,
// pinned, 4 upvotes, 2026-03-05T19:04:05Z: the text", counted as the
// audience's or the jury's; then the respondents.
func (t *openTextTally) Rows(Question) []ExportRow {
	var rows []ExportRow
	for _, a := range t.Results().(OpenTextResults).Answers {
		item := a.State
		if a.Pinned {
			item += ", pinned"
		}
		switch a.Upvotes {
		case 0:
		case 1:
			item += ", 1 upvote"
		default:
			item += ", " + strconv.Itoa(a.Upvotes) + " upvotes"
		}
		row := ExportRow{Item: item + ", " + a.At.Format(time.RFC3339) + ": " + a.Text, Audience: 1}
		if a.Jury {
			row.Audience, row.Jury = 0, 1
		}
		rows = append(rows, row)
	}
	return append(rows, ExportRow{Item: "respondents", Audience: t.Total()})
}

// textDecision is a moderator's decision on an open-text answer.
type textDecision struct {
	Action string `json:"action"` // approve, reject, pin, unpin
	ID     string `json:"id"`     // the answer's id
}

// Check implements ReviewedTally: approve an answer (it shows), reject it
// (it never shows, and loses its pin), pin an approved answer (it shows
// first) or unpin it. Errors: EInvalid (shape, action, no id), ENotFound
// (no such answer now: it may have been changed), ETransition (the answer
// is already so, or a pin on an answer not approved).
func (t *openTextTally) Check(raw json.RawMessage) (json.RawMessage, string, error) {
	var d textDecision
	if err := decodeStrict(raw, &d); err != nil {
		return nil, "", FieldErrorf("action", `A decision looks like {"action":"approve","id":"3f9c0a1b2c3d4e5f"}.`)
	}
	switch d.Action {
	case "approve", "reject", "pin", "unpin":
	default:
		return nil, "", FieldErrorf("action", "action must be approve, reject, pin or unpin.")
	}
	if d.ID == "" {
		return nil, "", FieldErrorf("id", "Name the answer to decide on (its id).")
	}
	a := t.byID[d.ID]
	if a == nil {
		return nil, "", &Error{Code: ENotFound, Field: "id", Message: "No answer has this id now: it may have been changed or reset."}
	}
	s, pinned := t.state(a.id), t.pinned[a.id]
	switch {
	case d.Action == "approve" && s == TextApproved:
		return nil, "", Errorf(ETransition, "This answer is already approved.")
	case d.Action == "reject" && s == TextRejected:
		return nil, "", Errorf(ETransition, "This answer is already rejected.")
	case d.Action == "pin" && s != TextApproved:
		return nil, "", Errorf(ETransition, "Approve the answer before pinning it.")
	case d.Action == "pin" && pinned:
		return nil, "", Errorf(ETransition, "This answer is already pinned.")
	case d.Action == "unpin" && !pinned:
		return nil, "", Errorf(ETransition, "This answer is not pinned.")
	}
	b, _ := json.Marshal(d)
	return b, d.Action + " " + d.ID + ": " + CleanText(a.text, 60), nil
}

// Apply implements ReviewedTally. A decision on an answer that is no
// longer there (changed since) changes nothing, at once as at load.
func (t *openTextTally) Apply(canonical json.RawMessage) {
	var d textDecision
	if json.Unmarshal(canonical, &d) != nil || t.byID[d.ID] == nil {
		return
	}
	t.sorted = nil
	switch d.Action {
	case "approve":
		t.decided[d.ID] = TextApproved
	case "reject":
		t.decided[d.ID] = TextRejected
		delete(t.pinned, d.ID)
	case "pin":
		t.pinned[d.ID] = true
	case "unpin":
		delete(t.pinned, d.ID)
	}
}

// CanUpvote implements UpvotedTally: an approved answer, not one's own.
func (t *openTextTally) CanUpvote(id string, participant int64) error {
	a := t.byID[id]
	if a == nil || t.state(id) != TextApproved {
		return &Error{Code: ENotFound, Field: "answer", Message: "No answer on screen has this id now: it may have been changed, hidden or reset."}
	}
	if a.author == participant {
		return Errorf(EForbidden, "This is your own answer: upvote the others'.")
	}
	return nil
}

// Upvote implements UpvotedTally. Upvotes stay with an answer a moderator
// hides later, and count again if it is approved again.
func (t *openTextTally) Upvote(id string, participant int64, up bool) int {
	a := t.byID[id]
	if a == nil {
		return 0
	}
	_, had := a.upvoters[participant]
	switch {
	case up && !had:
		if a.upvoters == nil {
			a.upvoters = map[int64]struct{}{}
		}
		a.upvoters[participant] = struct{}{}
	case !up && had:
		delete(a.upvoters, participant)
	default:
		return len(a.upvoters)
	}
	if t.top {
		t.sorted = nil
	}
	return len(a.upvoters)
}

// OpenTextMine is what a participant's phone is told of an open-text
// question: their own answer's id and state, and the answers they upvoted.
type OpenTextMine struct {
	ID      string   `json:"id,omitempty"`
	State   string   `json:"state,omitempty"` // pending, approved or rejected
	Upvoted []string `json:"upvoted"`
}

// Personal implements PersonalTally.
func (t *openTextTally) Personal(participant int64) any {
	m := OpenTextMine{Upvoted: []string{}}
	if a := t.byVoter[participant]; a != nil {
		m.ID, m.State = a.id, t.state(a.id)
	}
	for id, a := range t.byID {
		if _, ok := a.upvoters[participant]; ok {
			m.Upvoted = append(m.Upvoted, id)
		}
	}
	if m.ID == "" && len(m.Upvoted) == 0 {
		return nil
	}
	slices.Sort(m.Upvoted)
	return m
}
