package live

import (
	"math"
	"net/mail"
	"sort"
	"strings"
	"time"
)

// Board entry states. An entry enters pending (pre-moderation) or approved
// (post-moderation). Moderators move it along:
//
//	pending  → approved | rejected | merged
//	approved → rejected | answered | merged
//	rejected → approved
//	answered → approved
//
// merged is final: the entry's upvotes moved to the entry it duplicates.
const (
	EntryPending  = "pending"
	EntryApproved = "approved"
	EntryRejected = "rejected"
	EntryAnswered = "answered"
	EntryMerged   = "merged"
)

// Entry actions of a moderator.
const (
	EntryApprove  = "approve"
	EntryReject   = "reject"
	EntryAnswer   = "answer"   // mark answered ("done" for ideas)
	EntryUnanswer = "unanswer" // back to approved
	EntryMerge    = "merge"    // into another entry of the same board
	EntryPin      = "pin"      // first in every public list
	EntryUnpin    = "unpin"
)

// Board sort orders.
const (
	SortTop      = "top"      // most upvotes first; ties: older first, then lower id
	SortNewest   = "newest"   // newest first
	SortTrending = "trending" // highest TrendingScore first; ties as SortTop
)

// Limits on boards, entries and meeting requests.
const (
	MaxEntryLen        = 280 // default and maximum runes of an entry
	MaxBoardsPerEvent  = 50
	MinPollEntries     = 2
	MaxEmailLen        = 254
	DefaultHalfLife    = 10 * time.Minute
	MaxBoardPublicList = 50 // approved entries in a room's board frame
)

// Board is a place where the audience submits entries and upvotes them:
// "questions for this session", "ideas", "name the event".
type Board struct {
	ID      int64  `json:"id"`
	EventID int64  `json:"event_id"`
	RoomID  int64  `json:"room_id"` // 0: the whole event (every room shows it)
	Title   string `json:"title"`
	// Moderation is ModerationPre (entries wait for approval; default) or
	// ModerationPost (entries are public on arrival and may be rejected).
	Moderation string `json:"moderation"`
	// Open boards take new entries; closed ones keep taking upvotes.
	Open bool `json:"open"`
	// MaxLen bounds entries, in runes: 1..MaxEntryLen, default MaxEntryLen.
	MaxLen int `json:"max_len"`
	// HighlightID is the entry shown full screen on stage ("now answering"), or 0.
	HighlightID int64 `json:"highlight_id"`
	// PollID is the keypad poll made from this board's top entries, or 0.
	PollID    int64     `json:"poll_id"`
	CreatedAt time.Time `json:"created_at"`
}

// Validate fills b's defaults and reports its first invalid field.
func (b *Board) Validate() error {
	if b.Moderation == "" {
		b.Moderation = ModerationPre
	}
	if b.MaxLen == 0 {
		b.MaxLen = MaxEntryLen
	}
	if err := validText("title", &b.Title, MaxTitleLen, true, false); err != nil {
		return err
	}
	if b.Moderation != ModerationPre && b.Moderation != ModerationPost {
		return FieldErrorf("moderation", "moderation must be %q or %q.", ModerationPre, ModerationPost)
	}
	if b.MaxLen < 1 || b.MaxLen > MaxEntryLen {
		return FieldErrorf("max_len", "max_len must be from 1 to %d.", MaxEntryLen)
	}
	if b.RoomID < 0 {
		return FieldErrorf("room_id", "room_id must be a room of the event, or 0.")
	}
	return nil
}

// Entry is one question or idea on a board. Text and DisplayName are plain
// text: pages must escape them.
type Entry struct {
	ID            int64  `json:"id"`
	BoardID       int64  `json:"board_id"`
	EventID       int64  `json:"event_id"`
	ParticipantID int64  `json:"-"`            // the author; never shown
	DisplayName   string `json:"display_name"` // empty: anonymous
	Text          string `json:"text"`
	Status        string `json:"status"`
	Pinned        bool   `json:"pinned"`
	// MergedInto is the entry this one duplicates, once merged.
	MergedInto int64 `json:"merged_into,omitempty"`
	// Upvotes counts distinct participants; filled by queries.
	Upvotes int `json:"upvotes"`
	// Trending is the entry's TrendingScore at the time of the query.
	Trending  float64   `json:"trending"`
	CreatedAt time.Time `json:"created_at"`
	DecidedBy string    `json:"decided_by,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	// UpvoteTimes are when each upvote was cast; filled for sorting, never sent.
	UpvoteTimes []time.Time `json:"-"`
	// Upvoted reports whether the asking participant upvoted it (public lists only).
	Upvoted bool `json:"upvoted,omitempty"`
}

// ValidateEntryText trims text and checks it against the board's limit.
func ValidateEntryText(b *Board, text, displayName string) (string, string, error) {
	if err := validText("text", &text, b.MaxLen, true, true); err != nil {
		return "", "", err
	}
	if err := validText("display_name", &displayName, MaxNameLen, false, false); err != nil {
		return "", "", err
	}
	return text, displayName, nil
}

// Public reports whether the audience and the stage see the entry.
func (e *Entry) Public() bool { return e.Status == EntryApproved || e.Status == EntryAnswered }

// Apply runs a moderator action on e (merge excepted: see Merge). It returns
// ETransition, leaving e unchanged, when the action is not allowed now, and
// EInvalid for an unknown action.
func (e *Entry) Apply(action string) error {
	to := e.Status
	pinned := e.Pinned
	switch action {
	case EntryApprove:
		to = EntryApproved
		if e.Status != EntryPending && e.Status != EntryRejected {
			return e.illegal(action)
		}
	case EntryReject:
		to = EntryRejected
		if e.Status != EntryPending && e.Status != EntryApproved {
			return e.illegal(action)
		}
		pinned = false
	case EntryAnswer:
		to = EntryAnswered
		if e.Status != EntryApproved {
			return e.illegal(action)
		}
	case EntryUnanswer:
		to = EntryApproved
		if e.Status != EntryAnswered {
			return e.illegal(action)
		}
	case EntryPin, EntryUnpin:
		pinned = action == EntryPin
		if !e.Public() || e.Pinned == pinned {
			return e.illegal(action)
		}
	case EntryMerge:
		return FieldErrorf("into", "merge needs the entry to merge into (into).")
	default:
		return Errorf(EInvalid, "Unknown entry action %q.", action)
	}
	e.Status, e.Pinned = to, pinned
	return nil
}

// Merge marks e a duplicate of into. Both must be on the same board, e
// pending or approved, into approved or answered.
func (e *Entry) Merge(into *Entry) error {
	if into.ID == e.ID || into.BoardID != e.BoardID {
		return FieldErrorf("into", "An entry merges into another entry of the same board.")
	}
	if (e.Status != EntryPending && e.Status != EntryApproved) || !into.Public() {
		return Errorf(ETransition, "Entry %d (%s) cannot be merged into entry %d (%s).", e.ID, e.Status, into.ID, into.Status)
	}
	e.Status, e.MergedInto, e.Pinned = EntryMerged, into.ID, false
	return nil
}

func (e *Entry) illegal(action string) error {
	if (action == EntryPin || action == EntryUnpin) && e.Public() {
		return Errorf(ETransition, "Cannot %s: the entry is already %sned.", action, action)
	}
	return Errorf(ETransition, "Cannot %s an entry that is %s.", action, e.Status)
}

// TrendingScore is the sum, over the entry's upvotes, of 2^(−age/halfLife):
// an upvote counts 1 when cast, ½ one half-life later, ¼ after two. So an
// entry upvoted a lot in the last minutes outranks an older one with more
// upvotes in total.
func TrendingScore(upvotes []time.Time, now time.Time, halfLife time.Duration) float64 {
	if halfLife <= 0 {
		halfLife = DefaultHalfLife
	}
	var s float64
	for _, at := range upvotes {
		age := max(now.Sub(at), 0)
		s += math.Exp2(-float64(age) / float64(halfLife))
	}
	return s
}

// SortEntries orders entries by order (SortTop, SortNewest, SortTrending),
// pinned entries first, filling each Trending at now. It returns EInvalid
// for an unknown order.
func SortEntries(entries []Entry, order string, now time.Time, halfLife time.Duration) error {
	if order == "" {
		order = SortTop
	}
	for i := range entries {
		entries[i].Trending = math.Round(TrendingScore(entries[i].UpvoteTimes, now, halfLife)*1000) / 1000
	}
	var less func(a, b *Entry) bool
	top := func(a, b *Entry) bool {
		if a.Upvotes != b.Upvotes {
			return a.Upvotes > b.Upvotes
		}
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return a.ID < b.ID
	}
	switch order {
	case SortTop:
		less = top
	case SortNewest:
		less = func(a, b *Entry) bool {
			if !a.CreatedAt.Equal(b.CreatedAt) {
				return a.CreatedAt.After(b.CreatedAt)
			}
			return a.ID > b.ID
		}
	case SortTrending:
		less = func(a, b *Entry) bool {
			if a.Trending != b.Trending {
				return a.Trending > b.Trending
			}
			return top(a, b)
		}
	default:
		return FieldErrorf("sort", "sort must be %q, %q or %q.", SortTop, SortNewest, SortTrending)
	}
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := &entries[i], &entries[j]
		if a.Pinned != b.Pinned {
			return a.Pinned
		}
		return less(a, b)
	})
	return nil
}

// MeetingConsentText is what a participant agrees to when requesting a
// meeting; it is stored with each request.
const MeetingConsentText = "I agree that my name, company, role and email are given to this team so that they can contact me. " +
	"They are deleted with the event, or when I withdraw my request."

// MeetingRequest is a participant's wish to meet a pitch's team, with the
// contact details they chose to leave. It is personal data: it is kept in
// the event's database only, and deleted on withdrawal or with the event.
type MeetingRequest struct {
	ID            int64     `json:"id"`
	EventID       int64     `json:"event_id"`
	PitchID       int64     `json:"pitch_id"`
	ParticipantID int64     `json:"-"`
	Name          string    `json:"name"`
	Company       string    `json:"company"`
	Role          string    `json:"role"`
	Email         string    `json:"email"`
	Consent       bool      `json:"consent"`
	ConsentText   string    `json:"consent_text"`
	CreatedAt     time.Time `json:"created_at"`
}

// Validate trims m's fields and reports the first invalid one. Without
// consent the request is refused (EInvalid, field consent).
func (m *MeetingRequest) Validate() error {
	m.Email = strings.TrimSpace(m.Email)
	if !m.Consent {
		return FieldErrorf("consent", "A meeting request needs your explicit consent to share these details with the team.")
	}
	if err := validText("name", &m.Name, MaxNameLen, true, false); err != nil {
		return err
	}
	if err := validText("company", &m.Company, MaxNameLen, false, false); err != nil {
		return err
	}
	if err := validText("role", &m.Role, MaxNameLen, false, false); err != nil {
		return err
	}
	a, err := mail.ParseAddress(m.Email)
	if err != nil || a.Address != m.Email || len(m.Email) > MaxEmailLen || a.Name != "" {
		return FieldErrorf("email", "email must be a plain address like name@example.com.")
	}
	m.ConsentText = MeetingConsentText
	return nil
}
