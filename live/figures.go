package live

import "time"

// Figure is one minute of an event's life as one node of Ovation saw it,
// kept while the event runs (package figures records it): the
// connections of a room (its phones and its screens) at their peak and at
// the minute's last sample, and what was committed in it. RoomID 0 holds
// what belongs to no room (joins). In a cluster every node has its own
// rows, keyed by its name; the core writes them all.
type Figure struct {
	EventID  int64     `json:"event_id"`
	RoomID   int64     `json:"room_id"`
	Node     string    `json:"node"`
	Minute   time.Time `json:"minute"`    // the minute's start, UTC
	ConnPeak int       `json:"conn_peak"` // the most connections a sample of the minute saw
	ConnLast int       `json:"conn_last"` // the connections of the minute's last sample
	Joins    int       `json:"joins"`     // participants who joined the event
	Votes    int       `json:"votes"`     // scores of pitches committed (changes included)
	Answers  int       `json:"answers"`   // answers to questions committed (changes included)
}

// Add adds o's counts to f and keeps the higher peak; the last sample is
// o's when o has one.
func (f *Figure) Add(o Figure) {
	f.ConnPeak = max(f.ConnPeak, o.ConnPeak)
	if o.ConnLast > 0 || o.ConnPeak > 0 {
		f.ConnLast = o.ConnLast
	}
	f.Joins += o.Joins
	f.Votes += o.Votes
	f.Answers += o.Answers
}

// Participation counts the people of an event: those who joined, and
// among them those who answered a question, scored a pitch or posted (an
// in-app post to the feed or an entry on a board), in all and per room.
type Participation struct {
	Joined   int                         `json:"joined"`
	Answered int                         `json:"answered"`
	Voted    int                         `json:"voted"`
	Posted   int                         `json:"posted"`
	Rooms    map[int64]RoomParticipation `json:"rooms"`
}

// RoomParticipation counts the people who took part in one room.
type RoomParticipation struct {
	Answered int `json:"answered"`
	Voted    int `json:"voted"`
	Posted   int `json:"posted"`
}
