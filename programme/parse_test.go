package programme_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/programme"
)

var testRooms = programme.NewRooms([]live.Room{{ID: 1, Name: "Amphi Bleu"}, {ID: 2, Name: "Salle  Fleming"}})

func paris(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

func readFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseCSVReadsQuotesAccentsAndBOM(t *testing.T) {
	rows, err := programme.ParseCSV(readFile(t, "programme.csv"), paris(t), testRooms)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4: %+v", len(rows), rows)
	}
	for _, r := range rows {
		if r.Error != "" {
			t.Errorf("line %d refused: %s", r.Line, r.Error)
		}
	}
	first := rows[0].Session
	if first.Title != "Ouverture : « l'avenir du direct »" || rows[0].Line != 2 {
		t.Errorf("first row: line %d title %q", rows[0].Line, first.Title)
	}
	if len(first.Speakers) != 2 || first.Speakers[0] != (live.Speaker{Name: "Hélène Dupré", Affiliation: "Ovation"}) || first.Speakers[1].Name != "José Núñez" {
		t.Errorf("speakers %+v", first.Speakers)
	}
	if want := `Mot d'accueil, programme du jour et "questions" de la salle.`; first.Description != want {
		t.Errorf("description %q, want %q", first.Description, want)
	}
	if !first.Start.Equal(utc("2026-12-07T08:00:00Z")) || !first.End.Equal(utc("2026-12-07T08:45:00Z")) {
		t.Errorf("times without offset not read in Europe/Paris: %v %v", first.Start, first.End)
	}
	second := rows[1]
	if second.Line != 3 || second.Session.RoomID != 2 || second.Session.Title != "Scaling votes, the hard way" {
		t.Errorf("second row: %+v", second)
	}
	if !strings.Contains(second.Session.Description, "\nand what") {
		t.Errorf("a quoted line break is lost: %q", second.Session.Description)
	}
	if rows[2].Line != 5 { // the quoted value above spans lines 3 and 4
		t.Errorf("third row on line %d, want 5", rows[2].Line)
	}
	if rows[2].Session.RoomID != 1 || !rows[2].Session.Start.Equal(utc("2026-12-07T09:45:00Z")) {
		t.Errorf("room by name in any case, offset kept: %+v", rows[2].Session)
	}
	if !rows[3].Session.Start.Equal(utc("2026-12-07T10:00:00Z")) {
		t.Errorf("Z not read as UTC: %v", rows[3].Session.Start)
	}
}

func TestParseCSVRefusesRowsWithTheirReasons(t *testing.T) {
	rows, err := programme.ParseCSV(readFile(t, "refused.csv"), paris(t), testRooms)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line   int
		reason string
	}{{2, ""}, {3, "unknown room"}, {4, "end"}, {5, "start"}, {6, "title"}}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		if rows[i].Line != w.line || (w.reason == "") != (rows[i].Error == "") || !strings.Contains(rows[i].Error, w.reason) {
			t.Errorf("row %d: line %d error %q, want line %d and %q", i, rows[i].Line, rows[i].Error, w.line, w.reason)
		}
	}
}

func TestParseCSVRefusesUnreadableFiles(t *testing.T) {
	for name, data := range map[string]string{
		"empty":          "",
		"unknown column": "title,room,start,end,track\n",
		"missing column": "title,room,start\n",
		"twice":          "title,room,start,end,title\n",
		"bare quote":     "title,room,start,end\nA \"b\" c,Amphi Bleu,2026-12-07T09:00,2026-12-07T10:00\n",
		"latin-1":        "title,room,start,end\nCaf\xe9,Amphi Bleu,2026-12-07T09:00,2026-12-07T10:00\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := programme.ParseCSV([]byte(data), time.UTC, testRooms); err == nil {
				t.Fatal("read")
			}
		})
	}
}

func TestParseICSRespectsZonesAndRefusesAllDayAndRecurring(t *testing.T) {
	rows, err := programme.ParseICS(readFile(t, "programme.ics"), paris(t), testRooms)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 {
		t.Fatalf("%d rows, want 5", len(rows))
	}
	byUID := map[string]programme.Row{}
	for _, r := range rows {
		byUID[r.UID] = r
	}
	talk := byUID["talk-101@schedule.example.org"]
	if talk.Error != "" || !talk.Session.Start.Equal(utc("2026-12-07T08:30:00Z")) || !talk.Session.End.Equal(utc("2026-12-07T09:15:00Z")) {
		t.Errorf("TZID=Europe/Paris: %+v", talk)
	}
	if talk.Session.Title != "Le direct, sans fil : ce que 5 000 téléphones nous ont appris" || talk.Session.RoomID != 1 {
		t.Errorf("summary or room: %+v", talk.Session)
	}
	if !strings.Contains(talk.Session.Description, "places.\nQuestions en fin") {
		t.Errorf("folded, escaped description: %q", talk.Session.Description)
	}
	if len(talk.Session.Speakers) != 2 || talk.Session.Speakers[0].Name != "Hélène Dupré" || talk.Session.Speakers[1].Name != "José Núñez" {
		t.Errorf("speakers from ATTENDEE CN: %+v", talk.Session.Speakers)
	}
	if talk.Line != 25 {
		t.Errorf("line %d, want 25", talk.Line)
	}
	utcTalk := byUID["talk-102@schedule.example.org"]
	if utcTalk.Error != "" || !utcTalk.Session.Start.Equal(utc("2026-12-07T09:30:00Z")) || !utcTalk.Session.End.Equal(utc("2026-12-07T10:15:00Z")) {
		t.Errorf("UTC with DURATION: %+v", utcTalk)
	}
	floating := byUID["talk-103@schedule.example.org"]
	if floating.Error != "" || !floating.Session.Start.Equal(utc("2026-12-07T13:00:00Z")) || floating.Session.RoomID != 2 {
		t.Errorf("floating time in the event's zone: %+v", floating)
	}
	if r := byUID["day-1@schedule.example.org"]; !strings.Contains(r.Error, "all-day") {
		t.Errorf("all-day entry: %q", r.Error)
	}
	if r := byUID["standup@schedule.example.org"]; !strings.Contains(r.Error, "recurring") {
		t.Errorf("recurring entry: %q", r.Error)
	}
}

func TestParseICSZones(t *testing.T) {
	cal := func(ev string) []byte {
		return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n" +
			"BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\nX-LIC-LOCATION:Europe/Berlin\r\nEND:VTIMEZONE\r\n" +
			"BEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20261120T080000Z\r\nSUMMARY:T\r\nLOCATION:Amphi Bleu\r\n" + ev + "END:VEVENT\r\nEND:VCALENDAR\r\n")
	}
	t.Run("a TZID resolved by its VTIMEZONE's X-LIC-LOCATION", func(t *testing.T) {
		rows, err := programme.ParseICS(cal("DTSTART;TZID=W. Europe Standard Time:20260701T100000\r\nDTEND;TZID=W. Europe Standard Time:20260701T110000\r\n"), time.UTC, testRooms)
		if err != nil || rows[0].Error != "" || !rows[0].Session.Start.Equal(utc("2026-07-01T08:00:00Z")) {
			t.Fatalf("%v %+v", err, rows)
		}
	})
	t.Run("an unknown zone refused", func(t *testing.T) {
		rows, err := programme.ParseICS(cal("DTSTART;TZID=Mars/Olympus:20260701T100000\r\nDTEND;TZID=Mars/Olympus:20260701T110000\r\n"), time.UTC, testRooms)
		if err != nil || !strings.Contains(rows[0].Error, "unknown time zone") {
			t.Fatalf("%v %+v", err, rows)
		}
	})
	t.Run("no end refused", func(t *testing.T) {
		rows, err := programme.ParseICS(cal("DTSTART:20260701T100000Z\r\n"), time.UTC, testRooms)
		if err != nil || !strings.Contains(rows[0].Error, "no end") {
			t.Fatalf("%v %+v", err, rows)
		}
	})
	t.Run("not a calendar", func(t *testing.T) {
		if _, err := programme.ParseICS([]byte("title,room\n"), time.UTC, testRooms); err == nil {
			t.Fatal("read")
		}
	})
}

func FuzzParseCSV(f *testing.F) {
	f.Add(readFile(f, "programme.csv"))
	f.Add(readFile(f, "refused.csv"))
	f.Add([]byte("title,room,start,end\n\"a\"\"b\",Amphi Bleu,2026-12-07T09:00,2026-12-07T10:00\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := programme.ParseCSV(data, time.UTC, testRooms)
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.Error == "" {
				s := r.Session
				if s.Validate() != nil || s.RoomID == 0 {
					t.Fatalf("line %d accepted but invalid: %+v", r.Line, s)
				}
			}
		}
	})
}

func FuzzParseICS(f *testing.F) {
	f.Add(readFile(f, "programme.ics"))
	f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20260701T100000Z\r\nDURATION:PT1H\r\nSUMMARY:x\r\nLOCATION:Amphi Bleu\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;TZID=/Europe/Paris:20260701T100000\r\nDURATION:-P1W\r\nEND:VEVENT\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := programme.ParseICS(data, time.UTC, testRooms)
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.Error == "" {
				s := r.Session
				if s.Validate() != nil || s.RoomID == 0 {
					t.Fatalf("accepted but invalid: %+v", s)
				}
			}
		}
	})
}
