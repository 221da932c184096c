package programme

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/ovation-live/ovation/live"
)

// ParseICS reads a programme in iCalendar (RFC 5545): one session per
// VEVENT, from SUMMARY (title), LOCATION (the room, by name), DTSTART,
// DTEND or DURATION, DESCRIPTION, URL, and the speakers from each
// ATTENDEE (its CN parameter, else its address). Times are read:
//
//   - in UTC when they end in Z;
//   - in the zone their TZID names, an IANA name ("Europe/Paris"), or the
//     X-LIC-LOCATION of the VTIMEZONE that TZID names;
//   - in loc, the event's time zone, when floating (neither).
//
// Refused, each with its reason: an all-day entry (a date without a time:
// not a session), a recurring one (RRULE, RDATE or RECURRENCE-ID: import
// each occurrence as an event of its own), a cancelled one, one in a time
// zone that cannot be resolved, and one whose room is not the event's.
//
// It returns an error for a file it cannot read at all (not a calendar,
// too many entries), else one Row per VEVENT.
func ParseICS(data []byte, loc *time.Location, rooms Rooms) ([]Row, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	cal, err := parseCalendar(data)
	if err != nil {
		return nil, fmt.Errorf("not an iCalendar file: %v", err)
	}
	zones := map[string]string{} // TZID → X-LIC-LOCATION
	for _, z := range cal.Timezones() {
		id, where := z.GetProperty(ics.ComponentPropertyTzid), z.GetProperty("X-LIC-LOCATION")
		if id != nil && where != nil {
			zones[id.Value] = where.Value
		}
	}
	events := cal.Events()
	if len(events) > live.MaxTalks {
		return nil, fmt.Errorf("more than %d events in one file", live.MaxTalks)
	}
	lines := veventLines(data)
	rows := make([]Row, 0, len(events))
	for i, ev := range events {
		row := icsRow(ev, loc, zones, rooms)
		if i < len(lines) {
			row.Line = lines[i]
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// parseCalendar parses data, turning the library's panics on malformed
// input into errors: an import never takes the server down.
func parseCalendar(data []byte) (cal *ics.Calendar, err error) {
	defer func() {
		if r := recover(); r != nil {
			cal, err = nil, fmt.Errorf("malformed calendar (%v)", r)
		}
	}()
	return ics.ParseCalendar(bytes.NewReader(data))
}

// veventLines returns the line of each BEGIN:VEVENT, in order.
func veventLines(data []byte) []int {
	var out []int
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), MaxImportBytes)
	for n := 1; sc.Scan(); n++ {
		if strings.EqualFold(strings.TrimSpace(sc.Text()), "BEGIN:VEVENT") {
			out = append(out, n)
		}
	}
	return out
}

func prop(ev *ics.VEvent, name ics.ComponentProperty) string {
	if p := ev.GetProperty(name); p != nil {
		return strings.TrimSpace(p.Value)
	}
	return ""
}

func icsRow(ev *ics.VEvent, loc *time.Location, zones map[string]string, rooms Rooms) Row {
	row := Row{UID: prop(ev, ics.ComponentPropertyUniqueId), Room: prop(ev, ics.ComponentPropertyLocation)}
	s := live.Talk{Title: prop(ev, ics.ComponentPropertySummary), Description: prop(ev, ics.ComponentPropertyDescription),
		Link: prop(ev, ics.ComponentPropertyUrl), Speakers: []live.Speaker{}}
	for _, a := range ev.GetProperties(ics.ComponentPropertyAttendee) {
		name := ""
		if cn := a.ICalParameters["CN"]; len(cn) > 0 {
			name = cn[0]
		}
		if strings.TrimSpace(name) == "" {
			name = strings.TrimPrefix(strings.TrimPrefix(a.Value, "mailto:"), "MAILTO:")
		}
		s.Speakers = append(s.Speakers, live.Speaker{Name: strings.TrimSpace(name)})
	}
	row.Session = s
	switch {
	case ev.HasProperty(ics.ComponentPropertyRrule) || ev.HasProperty(ics.ComponentPropertyRdate) || ev.HasProperty(ics.ComponentPropertyRecurrenceId):
		row.Error = "recurring event (RRULE, RDATE or RECURRENCE-ID): not imported; give each occurrence as an event of its own"
		return row
	case strings.EqualFold(prop(ev, ics.ComponentPropertyStatus), "CANCELLED"):
		row.Error = "cancelled event (STATUS:CANCELLED): not imported"
		return row
	}
	start := ev.GetProperty(ics.ComponentPropertyDtStart)
	if start == nil {
		row.Error = "no start (DTSTART)"
		return row
	}
	if allDay(start) {
		row.Error = "all-day entry (DTSTART is a date without a time): not a session, not imported"
		return row
	}
	var err error
	if row.Session.Start, err = icsTime(start, loc, zones); err != nil {
		row.Error = "DTSTART: " + err.Error()
		return row
	}
	switch end, dur := ev.GetProperty(ics.ComponentPropertyDtEnd), ev.GetProperty(ics.ComponentPropertyDuration); {
	case end != nil:
		if row.Session.End, err = icsTime(end, loc, zones); err != nil {
			row.Error = "DTEND: " + err.Error()
			return row
		}
	case dur != nil:
		d, err := parseDuration(dur.Value)
		if err != nil {
			row.Error = "DURATION: " + err.Error()
			return row
		}
		row.Session.End = row.Session.Start.Add(d)
	default:
		row.Error = "no end (DTEND or DURATION)"
		return row
	}
	if row.Session.RoomID, err = rooms.find(row.Room); err != nil {
		row.Error = "LOCATION: " + err.Error()
		return row
	}
	row.Error = validate(&row.Session)
	return row
}

func allDay(p *ics.IANAProperty) bool {
	if v := p.ICalParameters["VALUE"]; len(v) > 0 && strings.EqualFold(v[0], "DATE") {
		return true
	}
	return len(strings.TrimSpace(p.Value)) == 8
}

// icsTime reads a DATE-TIME property: UTC (Z), in its TZID, or floating in loc.
func icsTime(p *ics.IANAProperty, loc *time.Location, zones map[string]string) (time.Time, error) {
	v := strings.TrimSpace(p.Value)
	if strings.HasSuffix(v, "Z") {
		t, err := time.Parse("20060102T150405Z", v)
		if err != nil {
			return t, fmt.Errorf("%q is not a date and time such as 20261207T093000Z", v)
		}
		return t.UTC(), nil
	}
	if tz := p.ICalParameters["TZID"]; len(tz) > 0 {
		z, err := zone(tz[0], zones)
		if err != nil {
			return time.Time{}, err
		}
		loc = z
	}
	t, err := time.ParseInLocation("20060102T150405", v, loc)
	if err != nil {
		return t, fmt.Errorf("%q is not a date and time such as 20261207T093000", v)
	}
	return t.UTC(), nil
}

// zone resolves a TZID: an IANA name (a leading "/" dropped, as some
// producers write it), or the X-LIC-LOCATION of its VTIMEZONE.
func zone(tzid string, zones map[string]string) (*time.Location, error) {
	for _, name := range []string{strings.TrimPrefix(tzid, "/"), zones[tzid]} {
		if name == "" || name == "Local" {
			continue
		}
		if loc, err := time.LoadLocation(name); err == nil {
			return loc, nil
		}
	}
	return nil, fmt.Errorf("unknown time zone %q: use an IANA name such as Europe/Paris", tzid)
}

var durationRE = regexp.MustCompile(`^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)

// parseDuration reads an iCalendar DURATION (RFC 5545 3.3.6: P1DT2H, PT45M).
func parseDuration(v string) (time.Duration, error) {
	m := durationRE.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil || v == "P" || strings.HasSuffix(v, "T") {
		return 0, fmt.Errorf("%q is not a duration such as PT45M", v)
	}
	units := []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Minute, time.Second}
	var d time.Duration
	for i, u := range units {
		if m[i+2] == "" {
			continue
		}
		n, err := strconv.Atoi(m[i+2])
		if err != nil || n > 10000 {
			return 0, errors.New("duration too long")
		}
		d += time.Duration(n) * u
	}
	if m[1] == "-" || d <= 0 {
		return 0, errors.New("a session lasts a positive time")
	}
	return d, nil
}
