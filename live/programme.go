package live

import (
	"strings"
	"time"
)

// Limits of a programme session (Talk).
const (
	MaxTalkDescLen    = 2000 // runes of a session's description
	MaxSpeakers       = 12   // speakers of one session
	MaxAffiliationLen = 120  // runes of a speaker's affiliation
	MaxTalkLength     = 24 * time.Hour
	MaxTalks          = 2000 // sessions of one event
)

// Speaker is one person who speaks at a session: a name, and optionally
// whom they speak for.
type Speaker struct {
	Name        string `json:"name"`
	Affiliation string `json:"affiliation,omitempty"`
}

// String returns the speaker as a programme prints it: "Name (Affiliation)",
// or the name alone.
func (s Speaker) String() string {
	if s.Affiliation == "" {
		return s.Name
	}
	return s.Name + " (" + s.Affiliation + ")"
}

// ParseSpeaker reads "Name (Affiliation)" or "Name", the form String
// returns. The affiliation is the last parenthesised part, which may hold
// parentheses of its own: "José Núñez (Universidad (UPM))".
func ParseSpeaker(s string) Speaker {
	s = strings.TrimSpace(s)
	if !strings.HasSuffix(s, ")") {
		return Speaker{Name: s}
	}
	for i := strings.Index(s, " ("); i > 0; {
		if inner := s[i+2 : len(s)-1]; balanced(inner) {
			return Speaker{Name: strings.TrimSpace(s[:i]), Affiliation: strings.TrimSpace(inner)}
		}
		next := strings.Index(s[i+1:], " (")
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return Speaker{Name: s}
}

// balanced reports whether every parenthesis of s is closed in order.
func balanced(s string) bool {
	depth := 0
	for _, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			if depth--; depth < 0 {
				return false
			}
		}
	}
	return depth == 0
}

// Talk is a session of the programme: a talk, held in one room between two times.
// Its ID is stable for the event's life, and End is when others (a
// feedback survey) may act on its end.
type Talk struct {
	ID          int64     `json:"id"`
	EventID     int64     `json:"event_id"`
	RoomID      int64     `json:"room_id"`
	Title       string    `json:"title"`
	Speakers    []Speaker `json:"speakers"`
	Start       time.Time `json:"start"` // UTC
	End         time.Time `json:"end"`   // UTC, after Start, at most MaxTalkLength later
	Description string    `json:"description,omitempty"`
	Link        string    `json:"link,omitempty"` // http(s) URL or empty
}

// Validate cleans s's text, puts its times in UTC and reports its first
// invalid field (invalid or bad_value, with the field named).
func (s *Talk) Validate() error {
	if err := validText("title", &s.Title, MaxTitleLen, true, false); err != nil {
		return err
	}
	if s.RoomID <= 0 {
		return FieldErrorf("room_id", "A session takes place in a room of the event.")
	}
	if len(s.Speakers) > MaxSpeakers {
		return FieldErrorf("speakers", "A session has at most %d speakers.", MaxSpeakers)
	}
	if s.Speakers == nil {
		s.Speakers = []Speaker{}
	}
	for i := range s.Speakers {
		if err := validText("speakers", &s.Speakers[i].Name, MaxNameLen, true, false); err != nil {
			return err
		}
		if err := validText("speakers", &s.Speakers[i].Affiliation, MaxAffiliationLen, false, false); err != nil {
			return err
		}
	}
	if s.Start.IsZero() {
		return FieldErrorf("start", "A session has a start time.")
	}
	if s.End.IsZero() || !s.End.After(s.Start) {
		return FieldErrorf("end", "A session ends after it starts.")
	}
	if s.End.Sub(s.Start) > MaxTalkLength {
		return FieldErrorf("end", "A session lasts at most 24 hours.")
	}
	s.Start, s.End = s.Start.UTC(), s.End.UTC()
	if err := validText("description", &s.Description, MaxTalkDescLen, false, true); err != nil {
		return err
	}
	return validURL("link", s.Link)
}

// OnAt reports whether s is on at t: from its start, until before its end.
func (s *Talk) OnAt(t time.Time) bool { return !t.Before(s.Start) && t.Before(s.End) }

// ValidTimeZone checks an IANA time zone name ("Europe/Paris", "UTC") and
// returns its location; "Local" and the empty name are refused, as they
// would mean different zones on different servers.
func ValidTimeZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, FieldErrorf("time_zone", "The time zone must be an IANA name such as Europe/Paris.")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, FieldErrorf("time_zone", "Unknown time zone %q: use an IANA name such as Europe/Paris.", name)
	}
	return loc, nil
}
