// Package live owns Ovation's domain: events, rooms, rounds of pitches,
// polls and the kinds of question they ask (kinds.go, one kind_*.go file
// each), quizzes, participants, votes and rankings, boards, feed items and
// accounts; their validation rules, state machines (methods on the
// values: Round.Apply, Quiz.Apply, Entry.Apply) and error codes; and the
// shapes a change persists (change.go).
//
// It imports the standard library only. The running show (package show)
// holds these values in memory, applies the rules and publishes frames.
package live

import (
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on user-supplied text and structure.
const (
	MaxTitleLen   = 120
	MaxNameLen    = 60
	MaxTeamLen    = 120 // a pitch's team: a company's full legal name fits
	MaxChoices    = 6   // keypad choices A–F
	MaxScale      = 10  // scale polls and pitch scores go from 1 to at most 10
	MaxDuration   = 3600
	DefaultScale  = 5
	DefaultPitchS = 120
)

var codeRE = regexp.MustCompile(`^[A-Z0-9]{3,12}$`)

// Event is one live event: a conference day or a pitch evening.
type Event struct {
	ID        int64    `json:"id"`
	Code      string   `json:"code"`      // short typeable code, 3–12 of A–Z 0–9, e.g. TDAYS
	Title     string   `json:"title"`     // shown on every screen
	Languages []string `json:"languages"` // e.g. ["fr","en"]; the first is the default
	Color     string   `json:"color"`     // branding colour, #RRGGBB
	LogoURL   string   `json:"logo_url"`  // branding logo, http(s) URL or empty
	JuryCode  string   `json:"-"`         // the code jury members join with; empty: no jury
	// JuryWeight is the jury's share of a combined pitch score in percent
	// (0–100). 0 means the ranking is the audience's alone.
	JuryWeight int       `json:"jury_weight"`
	CreatedAt  time.Time `json:"created_at"`
}

// firstRoomNames names an event's first room in each language it may have.
var firstRoomNames = map[string]string{"en": "Main stage", "fr": "Salle principale"}

// FirstRoomName is the name CreateEvent gives an event's first room, in the
// event's first language ("Salle principale" in French, "Main stage" in
// English): a name is data, shown as typed on every page and in exports,
// so it is chosen once, at creation; moderators rename it at will.
func (e *Event) FirstRoomName() string {
	if len(e.Languages) > 0 && firstRoomNames[e.Languages[0]] != "" {
		return firstRoomNames[e.Languages[0]]
	}
	return firstRoomNames["en"]
}

// NormalizeCode returns code upper-cased and trimmed, as codes are typed on phones.
func NormalizeCode(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// Validate reports the first invalid field of e.
func (e *Event) Validate() error {
	e.Code = NormalizeCode(e.Code)
	e.JuryCode = NormalizeCode(e.JuryCode)
	if !codeRE.MatchString(e.Code) {
		return FieldErrorf("code", "Event code must be 3 to 12 letters or digits.")
	}
	if err := validText("title", &e.Title, MaxTitleLen, true, false); err != nil {
		return err
	}
	if len(e.Languages) == 0 {
		e.Languages = []string{"fr", "en"}
	}
	for _, l := range e.Languages {
		if l != "fr" && l != "en" {
			return FieldErrorf("languages", "Language %q is not supported (fr, en).", l)
		}
	}
	if e.Color == "" {
		e.Color = "#5B3DF5"
	}
	if !regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`).MatchString(e.Color) {
		return FieldErrorf("color", "Colour must look like #5B3DF5.")
	}
	if err := validURL("logo_url", e.LogoURL); err != nil {
		return err
	}
	if e.JuryCode != "" && (!codeRE.MatchString(e.JuryCode) || e.JuryCode == e.Code) {
		return FieldErrorf("jury_code", "Jury code must be 3 to 12 letters or digits, different from the event code.")
	}
	if e.JuryWeight < 0 || e.JuryWeight > 100 {
		return FieldErrorf("jury_weight", "Jury weight is a percentage from 0 to 100.")
	}
	return nil
}

// Room is a stage with its own display; an event runs rooms in parallel.
type Room struct {
	ID      int64  `json:"id"`
	EventID int64  `json:"event_id"`
	Name    string `json:"name"`
	// ActiveRoundID is the round the room's stage shows: the one started last.
	ActiveRoundID int64 `json:"active_round_id"`
	// Screen is what every stage screen of the room shows: ScreenCurrent
	// (the default), ScreenLobby or ScreenBlank. Set with show.Engine.SetScreen.
	Screen string `json:"screen"`
}

// Screens a room's stage can be sent to.
const (
	ScreenCurrent = "current" // the automatic view: open poll, ranking, highlight, pitch, last poll or lobby
	ScreenLobby   = "lobby"   // the lobby (title, QR code, join code), whatever runs
	ScreenBlank   = "blank"   // the event's colour and nothing else: a break, a technical problem
)

// ValidScreen reports whether s is one of ScreenCurrent, ScreenLobby and ScreenBlank.
func ValidScreen(s string) bool { return s == ScreenCurrent || s == ScreenLobby || s == ScreenBlank }

// Validate reports the first invalid field of r. An empty Screen becomes ScreenCurrent.
func (r *Room) Validate() error {
	if r.Screen == "" {
		r.Screen = ScreenCurrent
	}
	if !ValidScreen(r.Screen) {
		return FieldErrorf("screen", "Screen must be current, lobby or blank.")
	}
	return validText("name", &r.Name, MaxNameLen, true, false)
}

// Round states.
const (
	RoundPending  = "pending"
	RoundRunning  = "running"
	RoundFinished = "finished"
)

// Round is an ordered list of pitches run in one room; its pitches' scores
// make its ranking.
type Round struct {
	ID      int64  `json:"id"`
	EventID int64  `json:"event_id"`
	RoomID  int64  `json:"room_id"`
	Title   string `json:"title"`
	Scale   int    `json:"scale"` // pitches are scored 1..Scale
	State   string `json:"state"`
	// CurrentPitchID is the pitch on stage, or 0 before the round starts.
	CurrentPitchID  int64 `json:"current_pitch_id"`
	RankingRevealed bool  `json:"ranking_revealed"`
	// RevealedPlaces is how many places of the revealed ranking the room's
	// screens show, counted from the last place up (0: none yet; the number
	// of pitches: all of them). 0 while the ranking is hidden.
	RevealedPlaces int `json:"revealed_places"`
	// AutoReveal makes RoundReveal show every place at once (the stage plays
	// them from the last up to first by itself) instead of one place per
	// RoundNextPlace. Default false: the moderator sets the pace.
	AutoReveal bool `json:"auto_reveal"`
	// Pitches in running order. Filled by the engine; not a stored column.
	Pitches []*Pitch `json:"pitches"`
}

// Validate reports the first invalid field of r.
func (r *Round) Validate() error {
	if r.Scale == 0 {
		r.Scale = DefaultScale
	}
	if r.State == "" {
		r.State = RoundPending
	}
	if err := validText("title", &r.Title, MaxTitleLen, true, false); err != nil {
		return err
	}
	if r.Scale < 2 || r.Scale > MaxScale {
		return FieldErrorf("scale", "Scale must be from 2 to %d.", MaxScale)
	}
	return nil
}

// Definition returns what the round's pitches ask: a score on its scale.
func (r *Round) Definition() Question { return Question{Kind: PollScale, ScaleMax: r.Scale} }

// Pitch states. A pitch goes pending → on_stage → voting → closed. Only the
// pitch on stage in a running round opens voting, and a closed pitch that is
// back on stage may reopen it. Leaving the stage closes its voting (or sends
// it back to pending if voting never opened).
const (
	PitchPending = "pending"
	PitchOnStage = "on_stage"
	PitchVoting  = "voting"
	PitchClosed  = "closed"
)

// Pitch is one team's turn on stage.
type Pitch struct {
	ID          int64  `json:"id"`
	RoundID     int64  `json:"round_id"`
	Position    int    `json:"position"`
	Team        string `json:"team"`
	Presenter   string `json:"presenter"`
	DurationS   int    `json:"duration_s"`
	VideoURL    string `json:"video_url"`
	State       string `json:"state"`
	ShowResults bool   `json:"show_results"`
	Timer       Timer  `json:"timer"`
}

// Validate reports the first invalid field of p.
func (p *Pitch) Validate() error {
	if p.DurationS == 0 {
		p.DurationS = DefaultPitchS
	}
	if p.State == "" {
		p.State = PitchPending
	}
	if err := validText("team", &p.Team, MaxTeamLen, true, false); err != nil {
		return err
	}
	if err := validText("presenter", &p.Presenter, MaxNameLen, false, false); err != nil {
		return err
	}
	if p.DurationS < 10 || p.DurationS > MaxDuration {
		return FieldErrorf("duration_s", "Duration must be from 10 to %d seconds.", MaxDuration)
	}
	if p.Timer.RemainingMS == 0 && !p.Timer.Running {
		p.Timer.RemainingMS = int64(p.DurationS) * 1000
	}
	return validURL("video_url", p.VideoURL)
}

// Accepts reports whether the pitch takes votes now.
func (p *Pitch) Accepts() bool { return p.State == PitchVoting }

// Transition moves p to state to if the state machine allows it, or
// returns ETransition.
func (p *Pitch) Transition(to string) error {
	allowed := map[string][]string{
		PitchPending: {PitchOnStage},
		PitchOnStage: {PitchVoting, PitchPending},
		PitchVoting:  {PitchClosed},
		PitchClosed:  {PitchVoting},
	}
	for _, s := range allowed[p.State] {
		if s == to {
			p.State = to
			return nil
		}
	}
	return Errorf(ETransition, "Pitch %q cannot go from %s to %s.", p.Team, p.State, to)
}

// Timer is a pitch countdown. It travels as a server deadline (when running)
// or the remaining time (when paused), with the server's clock in the frame,
// so every screen shows the same second.
type Timer struct {
	Running bool `json:"running"`
	// DeadlineMS is the Unix time in milliseconds at which the countdown
	// reaches zero; set only while running.
	DeadlineMS int64 `json:"deadline_ms,omitempty"`
	// RemainingMS is the time left while paused; may be negative once overrun.
	RemainingMS int64 `json:"remaining_ms"`
}

// Start runs the countdown from its remaining time.
func (t *Timer) Start(now time.Time) error {
	if t.Running {
		return Errorf(ETransition, "The timer is already running.")
	}
	t.Running, t.DeadlineMS = true, now.UnixMilli()+t.RemainingMS
	return nil
}

// Pause stops the countdown, keeping the time left.
func (t *Timer) Pause(now time.Time) error {
	if !t.Running {
		return Errorf(ETransition, "The timer is not running.")
	}
	t.Running, t.RemainingMS, t.DeadlineMS = false, t.DeadlineMS-now.UnixMilli(), 0
	return nil
}

// Extend adds d to the countdown, running or paused.
func (t *Timer) Extend(d time.Duration) {
	if t.Running {
		t.DeadlineMS += d.Milliseconds()
	} else {
		t.RemainingMS += d.Milliseconds()
	}
}

// Poll states: draft → open → closed; a closed poll may be reopened.
const (
	PollDraft  = "draft"
	PollOpen   = "open"
	PollClosed = "closed"
)

// Poll is a question put to the room: its Kind (see QuestionKind) says what
// it asks and how its answers count.
type Poll struct {
	ID       int64    `json:"id"`
	EventID  int64    `json:"event_id"`
	RoomID   int64    `json:"room_id"`
	Question string   `json:"question"`
	Kind     string   `json:"kind"`
	Choices  []string `json:"choices,omitempty"`   // labels shown next to A, B, …
	ScaleMax int      `json:"scale_max,omitempty"` // for PollScale
	// Settings are the kind's own settings of the question, as a JSON
	// object its kind checks (for PollMultiple: {"max_picks":2}); none for
	// choices and scale.
	Settings json.RawMessage `json:"settings,omitempty"`
	State    string          `json:"state"`
	// ShowResults is the moderators' switch: the results are public on the
	// room's screens and phones while it is on. The show_results and
	// hide_results actions set it; opening and closing the poll set it as
	// Results says.
	ShowResults bool `json:"show_results"`
	// Results is when the results turn public by themselves: ResultsReveal
	// (the default: only when a moderator shows them), ResultsLive,
	// ResultsAnswered or ResultsClosed.
	Results  string `json:"results"`
	Position int    `json:"position"`
	// Correct lists the numbers (1 for A) of the right choices of a choices,
	// multiple or quiz question, sorted (a quiz question has at least one);
	// empty: the question has no right answer. Public frames carry it only
	// while CorrectRevealed is set.
	Correct []int `json:"correct,omitempty"`
	// CorrectRevealed is set by the reveal_correct action (a closed poll
	// only) and cleared by hide_correct and by reopening the poll.
	CorrectRevealed bool `json:"correct_revealed"`
	// QuizID is the quiz a PollQuiz question belongs to (0 for the other
	// kinds); Position orders the questions of a quiz.
	QuizID int64 `json:"quiz_id,omitempty"`
	// OpenedAtMS is the server time (Unix ms) the poll's voting last
	// opened, 0 if it never did: a quiz question's time limit and its
	// answers' points count from it.
	OpenedAtMS int64 `json:"opened_at_ms,omitempty"`
	// SurveyID is the survey a question belongs to (0: a poll of the
	// stage); Position orders a survey's questions. A survey's question is
	// never put on stage: it takes answers while its survey does.
	SurveyID int64 `json:"survey_id,omitempty"`
	// Required marks a survey question a participant must answer to
	// complete the survey; the others may be skipped.
	Required bool `json:"required,omitempty"`
}

// Results visibility modes of a poll: when its results turn public by
// themselves. The moderators' show_results and hide_results actions work
// in every mode.
const (
	ResultsReveal   = "reveal"   // only when a moderator shows them (the default)
	ResultsLive     = "live"     // public from the opening: shown on open
	ResultsAnswered = "answered" // shown on open; a phone shows them once it has answered
	ResultsClosed   = "closed"   // hidden on open, shown on close
)

// ValidResults reports whether s is one of the results visibility modes.
func ValidResults(s string) bool {
	return s == ResultsReveal || s == ResultsLive || s == ResultsAnswered || s == ResultsClosed
}

// Public returns p as public screens see it: without its correct answer
// until it is revealed.
func (p Poll) Public() Poll {
	if !p.CorrectRevealed {
		p.Correct = nil
	}
	return p
}

// ShowsOnOpen returns whether opening p turns its results public (true) or
// hides them (false), or leaves the switch as it is (keep).
func (p *Poll) ShowsOnOpen() (show, keep bool) {
	switch p.Results {
	case ResultsLive, ResultsAnswered:
		return true, false
	case ResultsClosed:
		return false, false
	}
	return p.ShowResults, true
}

// Validate reports the first invalid field of p.
func (p *Poll) Validate() error {
	if p.State == "" {
		p.State = PollDraft
	}
	if err := validText("question", &p.Question, 200, true, false); err != nil {
		return err
	}
	k, err := KindOf(p.Kind)
	if err != nil {
		return err
	}
	q := p.Definition()
	if err := k.Define(&q); err != nil {
		return err
	}
	p.Choices, p.ScaleMax, p.Settings = q.Choices, q.ScaleMax, q.Settings
	if (p.Kind == PollQuiz) != (p.QuizID != 0) {
		return FieldErrorf("quiz_id", "A quiz question belongs to a quiz (quiz_id), and only a quiz question does.")
	}
	if p.SurveyID != 0 && p.Kind == PollQuiz {
		return FieldErrorf("kind", "A quiz question belongs to a quiz, not to a survey.")
	}
	if p.Required && p.SurveyID == 0 {
		return FieldErrorf("required", "Only a survey's questions can be required.")
	}
	if p.Results == "" {
		p.Results = ResultsReveal
		if p.Kind == PollQuiz {
			p.Results = ResultsClosed // the distribution shows at the reveal, not during the countdown
		}
	}
	if !ValidResults(p.Results) {
		return FieldErrorf("results", "Results must be live, answered, closed or reveal.")
	}
	return p.validCorrect()
}

// validCorrect checks and sorts p.Correct: distinct choice numbers, for a
// choices question at least one, for a multiple question at most max_picks
// (else no answer could be right).
func (p *Poll) validCorrect() error {
	if len(p.Correct) == 0 {
		p.Correct = nil
		if p.Kind == PollQuiz {
			return FieldErrorf("correct", "A quiz question has one or more right choices.")
		}
		return nil
	}
	if p.Kind != PollChoices && p.Kind != PollMultiple && p.Kind != PollQuiz {
		return FieldErrorf("correct", "Only choices, multiple and quiz questions have a correct answer.")
	}
	c := slices.Clone(p.Correct)
	slices.Sort(c)
	for i, v := range c {
		if v < 1 || v > len(p.Choices) || (i > 0 && c[i-1] == v) {
			return FieldErrorf("correct", "Correct answers are different choice numbers from 1 to %d.", len(p.Choices))
		}
	}
	if p.Kind == PollMultiple {
		if k := settingsOf(p.Definition()).picks(p.Definition()); len(c) > k {
			return FieldErrorf("correct", "At most %d choices can be correct: a participant ticks at most %d.", k, k)
		}
	}
	p.Correct = c
	return nil
}

// Definition returns what p asks, as its kind reads it.
func (p *Poll) Definition() Question {
	return Question{Kind: p.Kind, Choices: p.Choices, ScaleMax: p.ScaleMax, Settings: p.Settings, Correct: p.Correct}
}

// Transition moves p to state to (PollOpen, PollClosed) if the state
// machine allows it, or returns ETransition.
func (p *Poll) Transition(to string) error {
	ok := (p.State == PollDraft && to == PollOpen) || (p.State == PollOpen && to == PollClosed) ||
		(p.State == PollClosed && to == PollOpen)
	if !ok {
		return Errorf(ETransition, "Poll cannot go from %s to %s.", p.State, to)
	}
	p.State = to
	return nil
}

// Target kinds.
const (
	KindPitch = "pitch"
	KindPoll  = "poll"
)

// Target names what a vote is for: a pitch or a poll. Its text form is
// "pitch:12" or "poll:3".
type Target struct {
	Kind string
	ID   int64
}

// String returns the text form of t.
func (t Target) String() string { return t.Kind + ":" + strconv.FormatInt(t.ID, 10) }

// ParseTarget parses "pitch:12" or "poll:3". Only the canonical form that
// Target.String returns is accepted: no sign, no leading zeros.
func ParseTarget(s string) (Target, error) {
	kind, id, ok := strings.Cut(s, ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if !ok || err != nil || n <= 0 || strconv.FormatInt(n, 10) != id || (kind != KindPitch && kind != KindPoll) {
		return Target{}, &Error{Code: EInvalid, Field: "target", Message: `Target must look like "pitch:12" or "poll:3".`}
	}
	return Target{Kind: kind, ID: n}, nil
}

// Participant is an anonymous audience (or jury) member of one event.
type Participant struct {
	ID          int64     `json:"id"`
	EventID     int64     `json:"event_id"`
	DisplayName string    `json:"display_name"`
	Jury        bool      `json:"jury"`
	CreatedAt   time.Time `json:"created_at"`
}

// Validate cleans p's display name (CleanText) and checks its length; an
// empty name is anonymous.
func (p *Participant) Validate() error {
	return validText("display_name", &p.DisplayName, MaxNameLen, false, false)
}

// MaxVoteIDLen bounds client-chosen vote ids, in bytes of UTF-8.
const MaxVoteIDLen = 64

// Vote is one participant's answer to one target. VoteID is chosen by the
// client: replaying the same VoteID is idempotent. Answer is as the client
// sent it until the engine checks it against the target's kind, canonical
// from then on.
type Vote struct {
	VoteID        string
	ParticipantID int64
	EventID       int64
	Target        Target
	Answer        Answer
	Jury          bool
	At            time.Time
	// Received is when a server of Ovation first received the vote: in a
	// cluster, the edge's clock, carried in the vote stream; zero on a
	// single node, where the engine's clock at submission is the time. The
	// engine sets At from it (never later than its own now), and a quiz
	// question counts its time limit and points from At.
	Received time.Time
}

// ValidateShape checks what can be checked without the target's state.
func (v *Vote) ValidateShape() error {
	if v.VoteID == "" || len(v.VoteID) > MaxVoteIDLen || !utf8.ValidString(v.VoteID) {
		return FieldErrorf("vote_id", "vote_id must be 1 to %d bytes.", MaxVoteIDLen)
	}
	return v.Answer.CheckShape()
}

func validURL(field, s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > 500 {
		return FieldErrorf(field, "%s must be an http(s) URL.", field)
	}
	return nil
}

// Receipt statuses.
const (
	VoteCounted   = "counted"   // the first vote of this participant for this target
	VoteChanged   = "changed"   // replaced the participant's earlier vote
	VoteDuplicate = "duplicate" // this vote id was already counted; nothing changed
)

// Voter is the identity a vote is cast with, taken from a verified token.
type Voter struct {
	ParticipantID int64
	EventID       int64
	Jury          bool
}

// Receipt is what became of a vote: its status (VoteCounted, VoteChanged
// or VoteDuplicate) and its answer as counted, in the canonical form of
// its target's kind (for a duplicate, the answer first recorded).
type Receipt struct {
	Status string
	Answer Answer
}
