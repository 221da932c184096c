package programme

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ovation-live/ovation/live"
)

// Row is one entry of an imported file: the session it makes, or why it
// is refused.
type Row struct {
	// Line is where the entry is in the file: its CSV line (the header is
	// line 1), or the line of its BEGIN:VEVENT.
	Line    int       `json:"line"`
	UID     string    `json:"uid,omitempty"` // an iCalendar entry's UID
	Room    string    `json:"room"`          // the room's name, as the file gives it
	Session live.Talk `json:"session"`
	Error   string    `json:"error,omitempty"` // why the row is refused; empty: it is imported
}

// Rooms finds an event's room by name: case, accents kept, spaces and
// letter case ignored.
type Rooms map[string]int64

// NewRooms indexes rooms by name.
func NewRooms(rooms []live.Room) Rooms {
	m := Rooms{}
	for _, r := range rooms {
		m[roomKey(r.Name)] = r.ID
	}
	return m
}

func roomKey(name string) string { return strings.ToLower(strings.Join(strings.Fields(name), " ")) }

// find returns the room's id, or an error that names the known rooms.
func (r Rooms) find(name string) (int64, error) {
	if strings.TrimSpace(name) == "" {
		return 0, errors.New("no room given")
	}
	if id, ok := r[roomKey(name)]; ok {
		return id, nil
	}
	return 0, fmt.Errorf("unknown room %q: create it first, or use the name of one of the event's rooms", name)
}

// CSV columns. Title, room, start and end are required; the others optional.
var (
	csvColumns  = []string{"title", "speakers", "room", "start", "end", "description", "link"}
	csvRequired = []string{"title", "room", "start", "end"}
)

// MaxImportBytes bounds an imported file.
const MaxImportBytes = 2 << 20

// ParseCSV reads a programme in CSV (UTF-8, with or without a byte-order
// mark; comma-separated, quoted as RFC 4180). The first line names the
// columns, in any order: title, speakers, room, start, end, description,
// link. Speakers are separated by ";", each "Name" or "Name (Affiliation)";
// a room is named as in the event; start and end are ISO 8601 date and
// time (2026-12-07T09:30, 2026-12-07 09:30:00, 2026-12-07T09:30+01:00),
// read in loc when they carry no offset. Empty lines are skipped.
//
// It returns an error for a file it cannot read at all (not UTF-8, a bad
// header, broken quoting, too many rows), else one Row per entry, each
// with its session or its error.
func ParseCSV(data []byte, loc *time.Location, rooms Rooms) ([]Row, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if !utf8.Valid(data) {
		return nil, errors.New("the file is not UTF-8 text: save it as CSV UTF-8")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty: its first line names the columns")
	}
	if err != nil {
		return nil, csvError(err)
	}
	col := map[string]int{}
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		if !slices.Contains(csvColumns, name) {
			return nil, fmt.Errorf("line 1: unknown column %q: the columns are %s", name, strings.Join(csvColumns, ", "))
		}
		if _, dup := col[name]; dup {
			return nil, fmt.Errorf("line 1: column %q appears twice", name)
		}
		col[name] = i
	}
	for _, name := range csvRequired {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("line 1: column %q is missing: %s are required", name, strings.Join(csvRequired, ", "))
		}
	}
	var rows []Row
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := r.FieldPos(0)
		if blank(rec) {
			continue
		}
		if len(rows) == live.MaxTalks {
			return nil, fmt.Errorf("line %d: more than %d sessions in one file", line, live.MaxTalks)
		}
		rows = append(rows, csvRow(line, rec, col, loc, rooms))
	}
	return rows, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("line %d: %v: put quotes around a value that holds commas or quotes, and double the quotes inside", pe.Line, pe.Err)
	}
	return err
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

func csvRow(line int, rec []string, col map[string]int, loc *time.Location, rooms Rooms) Row {
	get := func(name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	row := Row{Line: line, Room: get("room")}
	if len(rec) > len(col) {
		row.Error = fmt.Sprintf("%d values for %d columns", len(rec), len(col))
		return row
	}
	s := live.Talk{Title: get("title"), Description: get("description"), Link: get("link"), Speakers: []live.Speaker{}}
	for sp := range strings.SplitSeq(get("speakers"), ";") {
		if strings.TrimSpace(sp) != "" {
			s.Speakers = append(s.Speakers, live.ParseSpeaker(sp))
		}
	}
	var err error
	if s.Start, err = parseISOTime(get("start"), loc); err != nil {
		row.Error = "start: " + err.Error()
	} else if s.End, err = parseISOTime(get("end"), loc); err != nil {
		row.Error = "end: " + err.Error()
	} else if s.RoomID, err = rooms.find(row.Room); err != nil {
		row.Error = err.Error()
	}
	row.Session = s
	if row.Error == "" {
		row.Error = validate(&row.Session)
	}
	return row
}

// validate checks s as the domain does and returns the reason it is
// refused, or "".
func validate(s *live.Talk) string {
	if err := s.Validate(); err != nil {
		if f := fieldOf(err); f != "" {
			return f + ": " + live.ErrorMessage(err)
		}
		return live.ErrorMessage(err)
	}
	return ""
}

func fieldOf(err error) string {
	var e *live.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// isoLayouts are the ISO 8601 forms a CSV date and time may take: with an
// offset (or Z) first, then without, read in the event's time zone.
var isoLayouts = []struct {
	layout string
	offset bool
}{
	{"2006-01-02T15:04:05Z07:00", true}, {"2006-01-02T15:04Z07:00", true},
	{"2006-01-02 15:04:05Z07:00", true}, {"2006-01-02 15:04Z07:00", true},
	{"2006-01-02T15:04:05", false}, {"2006-01-02T15:04", false},
	{"2006-01-02 15:04:05", false}, {"2006-01-02 15:04", false},
}

// parseISOTime reads an ISO 8601 date and time; without an offset, in loc.
func parseISOTime(v string, loc *time.Location) (time.Time, error) {
	if v == "" {
		return time.Time{}, errors.New("missing date and time")
	}
	for _, l := range isoLayouts {
		var t time.Time
		var err error
		if l.offset {
			t, err = time.Parse(l.layout, v)
		} else {
			t, err = time.ParseInLocation(l.layout, v, loc)
		}
		if err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date and time such as 2026-12-07T09:30 or 2026-12-07T09:30:00+01:00", v)
}
