package live_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ovation-live/ovation/live"
)

func TestTalkValidate(t *testing.T) {
	start := time.Date(2026, 12, 7, 9, 30, 0, 0, time.FixedZone("CET", 3600))
	ok := func() live.Talk {
		return live.Talk{Title: " Keynote ", RoomID: 1, Start: start, End: start.Add(45 * time.Minute),
			Speakers: []live.Speaker{{Name: "Hélène Dupré", Affiliation: "Ovation"}}}
	}
	t.Run("valid: trimmed, in UTC", func(t *testing.T) {
		s := ok()
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		if s.Title != "Keynote" || s.Start.Location() != time.UTC || s.Start.Hour() != 8 {
			t.Fatalf("%+v", s)
		}
	})
	t.Run("no speakers is an empty list", func(t *testing.T) {
		s := ok()
		s.Speakers = nil
		if err := s.Validate(); err != nil || s.Speakers == nil {
			t.Fatalf("%v %#v", err, s.Speakers)
		}
	})
	for name, c := range map[string]struct {
		edit  func(*live.Talk)
		field string
	}{
		"no title":         {func(s *live.Talk) { s.Title = "  " }, "title"},
		"long title":       {func(s *live.Talk) { s.Title = strings.Repeat("a", live.MaxTitleLen+1) }, "title"},
		"no room":          {func(s *live.Talk) { s.RoomID = 0 }, "room_id"},
		"nameless speaker": {func(s *live.Talk) { s.Speakers = []live.Speaker{{Affiliation: "X"}} }, "speakers"},
		"too many":         {func(s *live.Talk) { s.Speakers = make([]live.Speaker, live.MaxSpeakers+1) }, "speakers"},
		"no start":         {func(s *live.Talk) { s.Start = time.Time{} }, "start"},
		"ends at start":    {func(s *live.Talk) { s.End = s.Start }, "end"},
		"over a day":       {func(s *live.Talk) { s.End = s.Start.Add(live.MaxTalkLength + time.Minute) }, "end"},
		"script link":      {func(s *live.Talk) { s.Link = "javascript:alert(1)" }, "link"},
		"long description": {func(s *live.Talk) { s.Description = strings.Repeat("é", live.MaxTalkDescLen+1) }, "description"},
	} {
		t.Run("refused: "+name, func(t *testing.T) {
			s := ok()
			c.edit(&s)
			err := s.Validate()
			var e *live.Error
			if err == nil || live.ErrorCode(err) != live.EInvalid {
				t.Fatalf("error %v, want invalid", err)
			}
			if e, _ = err.(*live.Error); e.Field != c.field {
				t.Fatalf("field %q, want %q", e.Field, c.field)
			}
		})
	}
}

func TestParseSpeaker(t *testing.T) {
	for in, want := range map[string]live.Speaker{
		"Ada Lovelace":                     {Name: "Ada Lovelace"},
		" José Núñez (Universidad (UPM)) ": {Name: "José Núñez", Affiliation: "Universidad (UPM)"},
		"Name (A) (B)":                     {Name: "Name (A)", Affiliation: "B"},
		"Grace Hopper (US Navy)":           {Name: "Grace Hopper", Affiliation: "US Navy"},
		"(Nobody)":                         {Name: "(Nobody)"},
		"Zoë Åberg ( Nordic Events )":      {Name: "Zoë Åberg", Affiliation: "Nordic Events"},
	} {
		if got := live.ParseSpeaker(in); got != want {
			t.Errorf("ParseSpeaker(%q) = %+v, want %+v", in, got, want)
		}
		if got := live.ParseSpeaker(want.String()); got != want {
			t.Errorf("ParseSpeaker(String()) of %+v = %+v", want, got)
		}
	}
}

func TestValidTimeZone(t *testing.T) {
	if _, err := live.ValidTimeZone("Europe/Paris"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "Local", "Mars/Olympus", "../../etc/passwd", strings.Repeat("A", 80)} {
		if _, err := live.ValidTimeZone(bad); live.ErrorCode(err) != live.EInvalid {
			t.Errorf("ValidTimeZone(%q): %v, want invalid", bad, err)
		}
	}
}
