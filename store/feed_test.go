package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ovation-live/ovation/live"
)

func TestFeedStorage(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ovation.db")
	db, err := Open(path, Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	ev := &live.Event{Code: "FEED", Title: "Feed", Languages: []string{"en"}, Color: "#000000"}
	if err := db.SaveEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 9, 30, 15, 500, time.UTC)
	it := &live.FeedItem{EventID: ev.ID, RoomID: 1, Source: live.SourceX, SourceID: "1", DedupKey: "k1", Author: "a", AuthorName: "A",
		Text: "<b>hi</b>", PostedAt: at, ReceivedAt: at.Add(time.Second), Status: live.FeedPending}
	t.Run("a new item is stored and counted", func(t *testing.T) {
		if added, err := db.AddFeedItem(ctx, it); err != nil || !added || it.ID == 0 {
			t.Fatalf("added %v, id %d, err %v", added, it.ID, err)
		}
	})
	t.Run("the same source id or dedup key is refused, uncounted", func(t *testing.T) {
		for _, dup := range []live.FeedItem{{SourceID: "1", DedupKey: "other"}, {SourceID: "2", DedupKey: "k1"}} {
			d := *it
			d.ID, d.SourceID, d.DedupKey = 0, dup.SourceID, dup.DedupKey
			if added, err := db.AddFeedItem(ctx, &d); err != nil || added {
				t.Fatalf("duplicate added %v, err %v", added, err)
			}
		}
		vol, err := db.FeedVolume(ctx, ev.ID, at.Add(-time.Hour), at.Add(time.Hour))
		if err != nil || len(vol) != 1 || vol[0].Count != 1 || !vol[0].Minute.Equal(at.Truncate(time.Minute)) {
			t.Fatalf("volume %+v, %v", vol, err)
		}
	})
	t.Run("decisions, cursors and settings survive a reopen", func(t *testing.T) {
		it.Status, it.Pinned, it.DecidedBy, it.DecidedAt = live.FeedApproved, true, "moderator", at
		if err := db.SaveFeedDecision(ctx, it); err != nil {
			t.Fatal(err)
		}
		if err := db.SetFeedCursor(ctx, ev.ID, "x:feed", "12345"); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveFeedSettings(ctx, ev.ID, live.FeedSettings{Moderation: live.ModerationPost, Blocklist: []string{"x"}}); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if db, err = Open(path, Options{Synchronous: "NORMAL"}); err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		got, err := db.FeedItem(ctx, ev.ID, it.ID)
		if err != nil || got.Status != live.FeedApproved || !got.Pinned || got.Text != "<b>hi</b>" || !got.PostedAt.Equal(at) {
			t.Fatalf("item %+v, %v", got, err)
		}
		if c, _ := db.FeedCursor(ctx, ev.ID, "x:feed"); c != "12345" {
			t.Fatalf("cursor %q", c)
		}
		if st, ok, err := db.FeedSettings(ctx, ev.ID); err != nil || !ok || st.Moderation != live.ModerationPost {
			t.Fatalf("settings %+v %v %v", st, ok, err)
		}
		if _, err := db.FeedItem(ctx, ev.ID+1, it.ID); live.ErrorCode(err) != live.ENotFound {
			t.Fatalf("another event's item: %v", err)
		}
		items, err := db.FeedItems(ctx, live.FeedQuery{EventID: ev.ID, RoomID: 2, Status: live.FeedApproved})
		if err != nil || len(items) != 0 {
			t.Fatalf("room 2 sees room 1's item: %+v", items)
		}
		items, _ = db.FeedItems(ctx, live.FeedQuery{EventID: ev.ID, Since: at, Until: at.Add(time.Minute), Pinned: true})
		if len(items) != 1 {
			t.Fatalf("time window: %+v", items)
		}
	})
}
