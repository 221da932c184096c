package live

import "time"

// StateChange is the rows one moderator action changed, with its audit entry.
type StateChange struct {
	Rooms   []*Room
	Rounds  []*Round
	Pitches []*Pitch
	Polls   []*Poll
	Quizzes []*Quiz
	Surveys []*Survey
	Audit   *AuditEntry
}

// WriteOp is one ordered write for the group committer: exactly one of
// Vote, Reset and Participant is set.
type WriteOp struct {
	Vote        *Vote        // append to the ledger and make it the participant's current vote
	Reset       *Target      // delete every current vote for this target
	Participant *Participant // create a participant, or rename a known one
	Done        func(error)
}

// Dataset is everything the engine loads at start.
type Dataset struct {
	Events  []*Event
	Rooms   []*Room
	Rounds  []*Round
	Pitches []*Pitch
	Polls   []*Poll
	Quizzes []*Quiz
	Surveys []*Survey
	// Names are the participants that have a display name (ID, EventID and
	// DisplayName set): a quiz's leaderboard shows them.
	Names  []Participant
	Votes  []Vote     // current votes, one per participant and target
	Ledger []VoteMark // every vote id ever committed
	// Decisions are the moderators' decisions on answers, oldest first.
	Decisions []Decision
	// Upvotes are the audience's upvotes of answers.
	Upvotes []AnswerUpvote
}

// VoteMark identifies one committed vote id and what it voted.
type VoteMark struct {
	EventID       int64
	ParticipantID int64
	Target        Target
	Answer        Answer
	VoteID        string
}

// AuditEntry records one moderator action.
type AuditEntry struct {
	ID      int64  `json:"id"`
	EventID int64  `json:"event_id"`
	Actor   string `json:"actor"`
	// Account, Token and RoomID are what the store reads from Actor
	// (ParseActor) and Target when it writes the entry: who acted, with
	// which API token ("" for a session), in which room (0: the event's).
	Account string    `json:"account"`
	Token   string    `json:"token,omitempty"`
	RoomID  int64     `json:"room_id"`
	Action  string    `json:"action"`
	Target  string    `json:"target"`
	Detail  string    `json:"detail"`
	At      time.Time `json:"at"`
}

// AuditFilter selects audit entries: of an event (0: every event), a room
// of it (0: any), an account's login ("": anyone's), older than the entry
// Before (0: from the newest), at most Limit (default and cap 5000).
type AuditFilter struct {
	EventID int64
	RoomID  int64
	Account string
	Before  int64
	Limit   int
}
