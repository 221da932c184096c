package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/store"
)

func TestFeedbackSettingsRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) *store.DB
	}{
		{"sqlite", func(t *testing.T) *store.DB { return openDB(t, dbPath(t), store.Options{Synchronous: "NORMAL"}) }},
		{"postgres", func(t *testing.T) *store.DB {
			pg, err := store.OpenPostgres(postgresURL(t), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { pg.Close() })
			return pg
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, ctx := tc.open(t), ctxT(t)
			ev := &live.Event{Code: "FEEDB", Title: "Feedback", CreatedAt: time.Now()}
			if err := db.SaveEvent(ctx, ev); err != nil {
				t.Fatal(err)
			}
			got, err := db.FeedbackSettings(ctx, ev.ID)
			if err != nil || got.TemplateID != 0 || got.OpenFor != "15m0s" || len(got.NoFeedback) != 0 {
				t.Fatalf("defaults: %+v, %v", got, err)
			}
			want := live.FeedbackSettings{TemplateID: 4, OpenFor: "1m30s", NoFeedback: []int64{2, 7}}
			a := &live.AuditEntry{EventID: ev.ID, Actor: "mod", Action: "set_feedback", Target: "event:1", At: time.Now()}
			if err := db.SetFeedbackSettings(ctx, ev.ID, want, a); err != nil {
				t.Fatal(err)
			}
			got, err = db.FeedbackSettings(ctx, ev.ID)
			if err != nil || got.TemplateID != 4 || got.OpenFor != "1m30s" || !slices.Equal(got.NoFeedback, want.NoFeedback) {
				t.Fatalf("read back: %+v, %v", got, err)
			}
		})
	}
}
