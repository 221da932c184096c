package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/store"
)

// TestPostgresKeepsTheProgrammeAsSQLite runs the programme's queries on
// both databases and compares what each step reads back.
func TestPostgresKeepsTheProgrammeAsSQLite(t *testing.T) {
	pg, err := store.OpenPostgres(postgresURL(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	lite := openDB(t, dbPath(t), store.Options{Synchronous: "NORMAL"})
	want, got := programmeScenario(t, lite), programmeScenario(t, pg)
	if len(want) != len(got) {
		t.Fatalf("%d steps on SQLite, %d on PostgreSQL", len(want), len(got))
	}
	for i := range want {
		if want[i] != got[i] {
			t.Errorf("step %d:\nSQLite:     %s\nPostgreSQL: %s", i, want[i], got[i])
		}
	}
}

func programmeScenario(t *testing.T, db *store.DB) []string {
	ctx := ctxT(t)
	t0 := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	var out []string
	step := func(v any, err error) {
		t.Helper()
		if err != nil {
			out = append(out, "error "+live.ErrorCode(err))
			return
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	ev := &live.Event{Code: "PROG", Title: "Programme", CreatedAt: t0}
	step(ev.ID, db.SaveEvent(ctx, ev))
	room := &live.Room{EventID: ev.ID, Name: "Amphi Bleu"}
	step(room.ID, db.SaveRoom(ctx, room))
	step(db.TimeZone(ctx, ev.ID))
	step(nil, db.SetTimeZone(ctx, ev.ID, "Europe/Paris", &live.AuditEntry{EventID: ev.ID, Actor: "mod", Action: "set_time_zone", At: t0}))
	step(nil, db.SetTimeZone(ctx, ev.ID, "America/Montreal", nil))
	step(db.TimeZone(ctx, ev.ID))
	talks := []live.Talk{
		{EventID: ev.ID, RoomID: room.ID, Title: "Ouverture", Speakers: []live.Speaker{{Name: "Hélène", Affiliation: "Ovation"}}, Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour)},
		{EventID: ev.ID, RoomID: room.ID, Title: "Keynote", Speakers: []live.Speaker{}, Start: t0, End: t0.Add(time.Hour), Link: "https://example.org/k", Description: "a\nb"},
	}
	a := &live.AuditEntry{EventID: ev.ID, Actor: "mod", Action: "import_programme", Target: "event:1", At: t0}
	step(nil, db.SaveTalks(ctx, talks, a))
	step(db.Talks(ctx, ev.ID))
	talks[1].Title = "Keynote (moved)"
	step(nil, db.SaveTalks(ctx, talks[1:], nil))
	step(db.Talk(ctx, ev.ID, talks[1].ID))
	step(nil, db.SaveTalks(ctx, []live.Talk{{EventID: ev.ID, RoomID: 9999, Title: "No room", Start: t0, End: t0.Add(time.Hour), Speakers: []live.Speaker{}}}, nil))
	step(nil, db.DeleteTalk(ctx, ev.ID, talks[0].ID, nil))
	step(nil, db.DeleteTalk(ctx, ev.ID, talks[0].ID, nil))
	step(db.Talk(ctx, ev.ID, talks[0].ID))
	step(db.Talks(ctx, ev.ID))
	return out
}
