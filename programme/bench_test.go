package programme_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/programme"
)

// bigCSV is a programme of n sessions in two rooms, 30 minutes each,
// with quotes, accents and two speakers per row.
func bigCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("\uFEFFtitle,speakers,room,start,end,description,link\n")
	t0 := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	for i := range n {
		start := t0.Add(time.Duration(i/2) * 30 * time.Minute)
		room := []string{"Amphi Bleu", "Salle Fleming"}[i%2]
		fmt.Fprintf(&b, "\"Session %d : « le direct, à grande échelle »\",Hélène Dupré (Ovation); José Núñez,%s,%s,%s,\"Une description, avec des \"\"guillemets\"\".\",https://devdays.example.org/%d\n",
			i, room, start.Format("2006-01-02T15:04"), start.Add(30*time.Minute).Format("2006-01-02T15:04"), i)
	}
	return b.Bytes()
}

// BenchmarkParseCSV reads a programme of live.MaxTalks sessions.
func BenchmarkParseCSV(b *testing.B) {
	data := bigCSV(live.MaxTalks)
	loc, _ := time.LoadLocation("Europe/Paris")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		rows, err := programme.ParseCSV(data, loc, testRooms)
		if err != nil || len(rows) != live.MaxTalks || rows[0].Error != "" {
			b.Fatalf("%v %d", err, len(rows))
		}
	}
}

// BenchmarkImportCSV imports live.MaxTalks sessions into an empty
// programme: parsed, checked for duplicates, saved in one SQLite
// transaction (the database emptied between runs, outside the timer).
func BenchmarkImportCSV(b *testing.B) {
	data := bigCSV(live.MaxTalks)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		h := newHarness(b)
		b.StartTimer()
		res, err := h.svc.Import(ctx, "mod", "PROG", programme.FormatCSV, data, false)
		if err != nil || res.Imported != live.MaxTalks {
			b.Fatalf("%v %+v", err, res)
		}
	}
}
