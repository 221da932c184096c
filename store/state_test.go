package store_test

import (
	"testing"
	"time"

	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/store"
)

// TestSaveStateIsAllOrNothing: a moderator action's rows and audit entry are
// saved together, and a failing row leaves the others untouched.
func TestSaveStateIsAllOrNothing(t *testing.T) {
	path := dbPath(t)
	db := openDB(t, path, store.Options{})
	ctx := ctxT(t)
	ev := &live.Event{Code: "ATOM", Title: "Atom", Languages: []string{"en"}, CreatedAt: time.Now()}
	if err := db.SaveEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	room := &live.Room{EventID: ev.ID, Name: "Main"}
	if err := db.SaveRoom(ctx, room); err != nil {
		t.Fatal(err)
	}
	round := &live.Round{EventID: ev.ID, RoomID: room.ID, Title: "R", Scale: 5, State: live.RoundPending}
	if err := db.SaveRound(ctx, round); err != nil {
		t.Fatal(err)
	}
	audit := &live.AuditEntry{EventID: ev.ID, Actor: "mod", Action: "start", Target: "round:1", At: time.Now()}

	t.Run("a failing row saves nothing", func(t *testing.T) {
		started := *round
		started.State = live.RoundRunning
		badPoll := &live.Poll{ID: 0, EventID: ev.ID, RoomID: 999999, Question: "Q", Kind: live.PollScale, ScaleMax: 5, State: live.PollDraft}
		err := db.SaveState(ctx, live.StateChange{Rounds: []*live.Round{&started}, Polls: []*live.Poll{badPoll}, Audit: audit})
		if err == nil {
			t.Fatal("a poll in a missing room was saved")
		}
		raw := rawDB(t, path)
		if st := queryInt(t, raw, `SELECT count(*) FROM rounds WHERE state = 'running'`); st != 0 {
			t.Fatal("the round was saved although the change failed")
		}
		if n := queryInt(t, raw, `SELECT count(*) FROM audit`); n != 0 {
			t.Fatal("the audit entry was saved although the change failed")
		}
	})
	t.Run("a good change saves every row and the audit entry", func(t *testing.T) {
		started := *round
		started.State = live.RoundRunning
		room2 := *room
		room2.ActiveRoundID = round.ID
		if err := db.SaveState(ctx, live.StateChange{Rooms: []*live.Room{&room2}, Rounds: []*live.Round{&started}, Audit: audit}); err != nil {
			t.Fatal(err)
		}
		raw := rawDB(t, path)
		if queryInt(t, raw, `SELECT count(*) FROM rounds WHERE state = 'running'`) != 1 ||
			queryInt(t, raw, `SELECT active_round_id FROM rooms WHERE id = ?`, room.ID) != round.ID ||
			queryInt(t, raw, `SELECT count(*) FROM audit`) != 1 {
			t.Fatal("the change was not saved whole")
		}
	})
}
