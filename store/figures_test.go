package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/store"
)

// figuresScenario saves two batches of one minute (the second as a node
// that restarted within it would write) and a second node's row, and
// returns what Figures, Participation and TalkParticipation read back, as
// JSON.
func figuresScenario(t *testing.T, db *store.DB) string {
	t.Helper()
	ctx := ctxT(t)
	f := seed(t, db)
	m := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	must(t, db.SaveFigures(ctx, nil))
	must(t, db.SaveFigures(ctx, []live.Figure{
		{EventID: f.event.ID, RoomID: f.room.ID, Node: "a", Minute: m, ConnPeak: 40, ConnLast: 30, Votes: 5, Answers: 7},
		{EventID: f.event.ID, Node: "a", Minute: m, Joins: 12},
		{EventID: f.event.ID, RoomID: f.room.ID, Node: "a", Minute: m.Add(time.Minute), ConnPeak: 31, ConnLast: 31},
	}))
	must(t, db.SaveFigures(ctx, []live.Figure{
		{EventID: f.event.ID, RoomID: f.room.ID, Node: "a", Minute: m, ConnPeak: 35, ConnLast: 20, Votes: 1, Answers: 2},
		{EventID: f.event.ID, RoomID: f.room.ID, Node: "b", Minute: m, ConnPeak: 9, ConnLast: 8},
	}))
	got, err := db.Figures(ctx, f.event.ID)
	must(t, err)
	for i := range got {
		got[i].EventID = 0
	}
	// Participation's queries, on both dialects: two joined, one answered and scored.
	for _, id := range []int64{11, 12} {
		must(t, enqueueWait(t, db, live.WriteOp{Participant: participant(f, id, false)}))
	}
	must(t, enqueueWait(t, db, live.WriteOp{Vote: vote(f, 11, "v1", pollT(f.scale), 3)}))
	must(t, enqueueWait(t, db, live.WriteOp{Vote: vote(f, 11, "v2", pitchT(f.pitches[0]), 4)}))
	part, err := db.Participation(ctx, f.event.ID)
	must(t, err)
	// Per talk: the votes at 03:05 fall in the first talk of the room, not in the second.
	at := time.Date(2030, 1, 2, 3, 0, 0, 0, time.UTC)
	talks, err := db.TalkParticipation(ctx, f.event.ID, []live.Talk{
		{ID: 1, EventID: f.event.ID, RoomID: f.room.ID, Title: "Keynote", Start: at, End: at.Add(30 * time.Minute)},
		{ID: 2, EventID: f.event.ID, RoomID: f.room.ID, Title: "Next", Start: at.Add(30 * time.Minute), End: at.Add(time.Hour)},
	})
	must(t, err)
	b, err := json.Marshal(map[string]any{"figures": got, "participation": part, "talks": talks})
	must(t, err)
	return string(b)
}

func TestFigures(t *testing.T) {
	t.Run("batches_add_up_and_keep_the_peak_and_people_are_counted", func(t *testing.T) {
		got := figuresScenario(t, openDB(t, dbPath(t), store.Options{}))
		want := `{"figures":[{"event_id":0,"room_id":0,"node":"a","minute":"2026-12-07T09:30:00Z","conn_peak":0,"conn_last":0,"joins":12,"votes":0,"answers":0},` +
			`{"event_id":0,"room_id":1,"node":"a","minute":"2026-12-07T09:30:00Z","conn_peak":40,"conn_last":20,"joins":0,"votes":6,"answers":9},` +
			`{"event_id":0,"room_id":1,"node":"b","minute":"2026-12-07T09:30:00Z","conn_peak":9,"conn_last":8,"joins":0,"votes":0,"answers":0},` +
			`{"event_id":0,"room_id":1,"node":"a","minute":"2026-12-07T09:31:00Z","conn_peak":31,"conn_last":31,"joins":0,"votes":0,"answers":0}],` +
			`"participation":{"joined":2,"answered":1,"voted":1,"posted":0,"rooms":{"1":{"answered":1,"voted":1,"posted":0}}},` +
			`"talks":{"1":{"answered":1,"voted":1,"posted":0},"2":{"answered":0,"voted":0,"posted":0}}}`
		if got != want {
			t.Fatalf("figures:\n got %s\nwant %s", got, want)
		}
	})
	t.Run("postgres_answers_as_sqlite", func(t *testing.T) {
		pg, err := store.OpenPostgres(postgresURL(t), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pg.Close() })
		if lite, got := figuresScenario(t, openDB(t, dbPath(t), store.Options{})), figuresScenario(t, pg); lite != got {
			t.Fatalf("SQLite:     %s\nPostgreSQL: %s", lite, got)
		}
	})
}
