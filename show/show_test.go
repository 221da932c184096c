package show_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
)

func screenDo(screen string) step {
	return func(h *harness, ctx context.Context) error { return h.e.SetScreen(ctx, "mod", h.room, screen) }
}

func TestSetScreen(t *testing.T) {
	t.Run("lobby_and_blank_reach_the_stage_frame_and_the_audit_log", func(t *testing.T) {
		h := newHarness(t)
		for _, screen := range []string{live.ScreenLobby, live.ScreenBlank, live.ScreenCurrent} {
			h.run(t, screenDo(screen))
			var st show.StageState
			h.pub.last(t, hub.StageTopic(h.room), "stage", &st)
			if st.Room.Screen != screen {
				t.Fatalf("stage frame's screen = %q, want %q", st.Room.Screen, screen)
			}
			h.pub.last(t, hub.RoomTopic(h.room), "stage", &st)
			if st.Room.Screen != screen {
				t.Fatalf("room frame's screen = %q, want %q", st.Room.Screen, screen)
			}
		}
		log, err := h.db.AuditLog(ctxT(t), h.ev.ID, 3)
		must(t, err)
		if len(log) != 3 || log[0].Action != "screen" || log[0].Target != fmt.Sprint("room:", h.room) || log[0].Detail != "current" || log[2].Detail != "lobby" {
			t.Fatalf("audit = %+v", log)
		}
	})
	t.Run("the_screen_survives_a_restart", func(t *testing.T) {
		h := newHarness(t)
		h.run(t, screenDo(live.ScreenBlank))
		h.db.Close()
		h2 := startEngine(t, h.path)
		m, err := h2.e.Model(h.ev.Code)
		must(t, err)
		if m.Rooms[0].Screen != live.ScreenBlank {
			t.Fatalf("screen after restart = %q", m.Rooms[0].Screen)
		}
	})
	t.Run("a_new_room_shows_the_current_view", func(t *testing.T) {
		h := newHarness(t)
		r, err := h.e.CreateRoom(ctxT(t), "mod", h.ev.Code, &live.Room{Name: "Side", Screen: live.ScreenBlank})
		must(t, err)
		if r.Screen != live.ScreenCurrent || h.model(t).Rooms[0].Screen != live.ScreenCurrent {
			t.Fatalf("new room's screen = %q", r.Screen)
		}
	})
	t.Run("renaming_keeps_the_screen", func(t *testing.T) {
		h := newHarness(t)
		h.run(t, screenDo(live.ScreenLobby))
		r, err := h.e.UpdateRoom(ctxT(t), "mod", h.room, func(r *live.Room) error { r.Name, r.Screen = "Hall", ""; return nil })
		must(t, err)
		if r.Screen != live.ScreenLobby {
			t.Fatalf("screen after rename = %q", r.Screen)
		}
	})
	t.Run("the_same_screen_again_changes_nothing", func(t *testing.T) {
		h := newHarness(t)
		h.run(t, screenDo(live.ScreenLobby))
		before := h.snapshot(t)
		h.run(t, screenDo(live.ScreenLobby))
		if after := h.snapshot(t); after.frames != before.frames {
			t.Fatal("setting the same screen published frames")
		}
	})
	t.Run("an_unknown_screen_is_invalid_and_changes_nothing", func(t *testing.T) {
		h := newHarness(t)
		h.rejects(t, live.EInvalid, screenDo("party"))
		err := h.e.SetScreen(ctxT(t), "mod", h.room, "")
		var e *live.Error
		if !errors.As(err, &e) || e.Field != "screen" {
			t.Fatalf("empty screen: %v, want a field error on screen", err)
		}
	})
	t.Run("an_unknown_room_is_not_found", func(t *testing.T) {
		h := newHarness(t)
		h.rejects(t, live.ENotFound, func(h *harness, ctx context.Context) error { return h.e.SetScreen(ctx, "mod", 98765, live.ScreenLobby) })
	})
}

func TestPacedReveal(t *testing.T) {
	// Six pitches: the first next_place shows the 4th to 6th places at once,
	// then third, second and first, one a press.
	h := newHarness(t)
	for _, team := range []string{"Delta", "Echo", "Foxtrot"} {
		_, err := h.e.CreatePitch(ctxT(t), "mod", h.round, &live.Pitch{Team: team})
		must(t, err)
	}
	h.run(t, roundDo(live.RoundStart), roundDo(live.RoundReveal))
	key := fmt.Sprint("ranking:", h.round)
	for _, want := range []int{3, 4, 5, 6} {
		h.run(t, roundDo(live.RoundNextPlace))
		var rf show.RankingFrame
		h.pub.last(t, hub.RoomTopic(h.room), key, &rf)
		if rf.RevealedPlaces != want || len(rf.Entries) != want || rf.Places != 6 || rf.Entries[0].Rank != 7-want {
			t.Fatalf("after a press: %d places revealed, entries from rank %d; want %d", rf.RevealedPlaces, rf.Entries[0].Rank, want)
		}
	}
	h.rejects(t, live.ETransition, roundDo(live.RoundNextPlace))
	// The step is stored: a restarted engine publishes the same places.
	h.db.Close()
	h2 := startEngine(t, h.path)
	var rf show.RankingFrame
	h2.pub.last(t, hub.StageTopic(h.room), key, &rf)
	if !rf.Revealed || rf.RevealedPlaces != 6 || len(rf.Entries) != 6 {
		t.Fatalf("ranking after restart = %+v", rf)
	}
	// Hiding and revealing again starts from no place.
	h2.ev, h2.round, h2.room = h.ev, h.round, h.room
	h2.run(t, roundDo(live.RoundHideRanking), roundDo(live.RoundReveal))
	h2.pub.last(t, hub.RoomTopic(h.room), key, &rf)
	if rf.RevealedPlaces != 0 || len(rf.Entries) != 0 {
		t.Fatalf("ranking revealed again = %+v", rf)
	}
}
