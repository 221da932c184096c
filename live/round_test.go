package live_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/ovation-live/ovation/live"
)

// round returns a round of three pitches in room 1, in state, with the
// pitch at cur (-1: none) on stage in pitch state on.
func round(state string, cur int, on string) live.Round {
	r := live.Round{ID: 7, EventID: 1, RoomID: 1, Title: "Finals", State: state, Scale: 5}
	for i := range 3 {
		p := &live.Pitch{ID: int64(10 + i), RoundID: 7, Position: i + 1, Team: string(rune('A' + i)), State: live.PitchPending,
			DurationS: 60, Timer: live.Timer{RemainingMS: 60_000}}
		if i == cur {
			p.State = on
			r.CurrentPitchID = p.ID
		}
		r.Pitches = append(r.Pitches, p)
	}
	return r
}

// states is the round's state, current pitch and its pitches' states, as
// "running 11 closed,on_stage,pending".
func states(r live.Round) string {
	s := r.State + " " + string(rune('0'+r.CurrentPitchID%10))
	for i, p := range r.Pitches {
		if i == 0 {
			s += " "
		} else {
			s += ","
		}
		s += p.State
	}
	return s
}

func siblingsOf(rounds ...*live.Round) live.Siblings {
	return live.Siblings{Rounds: slices.Values(rounds), Polls: maps.Values(map[int64]*live.Poll{}), Quizzes: maps.Values(map[int64]*live.Quiz{})}
}

func TestRoundApply(t *testing.T) {
	now := t0
	revealed := func(places int) live.Round {
		r := round(live.RoundRunning, 1, live.PitchClosed)
		r.RankingRevealed, r.RevealedPlaces = true, places
		return r
	}
	sevenPitches := func(places int) live.Round {
		r := revealed(places)
		for i := 3; i < 7; i++ {
			r.Pitches = append(r.Pitches, &live.Pitch{ID: int64(10 + i), State: live.PitchClosed})
		}
		return r
	}
	for _, tc := range []struct {
		name   string
		r      live.Round
		action string
		want   string // states after, or the error code
		places int    // RevealedPlaces after
	}{
		{"start_puts_the_first_pitch_on_stage", round(live.RoundPending, -1, ""), live.RoundStart, "running 0 on_stage,pending,pending", 0},
		{"start_twice_is_refused", round(live.RoundRunning, 0, live.PitchOnStage), live.RoundStart, live.ETransition, 0},
		{"start_without_pitches_is_refused", live.Round{ID: 7, RoomID: 1, State: live.RoundPending}, live.RoundStart, live.ETransition, 0},
		{"next_closes_the_voting_pitch", round(live.RoundRunning, 0, live.PitchVoting), live.RoundNext, "running 1 closed,on_stage,pending", 0},
		{"next_sends_an_unopened_pitch_back_to_pending", round(live.RoundRunning, 0, live.PitchOnStage), live.RoundNext, "running 1 pending,on_stage,pending", 0},
		{"next_after_the_last_is_refused", round(live.RoundRunning, 2, live.PitchOnStage), live.RoundNext, live.ETransition, 0},
		{"previous_before_the_first_is_refused", round(live.RoundRunning, 0, live.PitchOnStage), live.RoundPrevious, live.ETransition, 0},
		{"previous_goes_back", round(live.RoundRunning, 1, live.PitchVoting), live.RoundPrevious, "running 0 on_stage,closed,pending", 0},
		{"next_when_pending_is_refused", round(live.RoundPending, -1, ""), live.RoundNext, live.ETransition, 0},
		{"reveal_leaves_the_stage_as_it_is", round(live.RoundRunning, 1, live.PitchVoting), live.RoundReveal, "running 1 pending,voting,pending", 0},
		{"reveal_before_the_start_is_refused", round(live.RoundPending, -1, ""), live.RoundReveal, live.ETransition, 0},
		{"reveal_twice_is_refused", revealed(0), live.RoundReveal, live.ETransition, 0},
		{"next_place_reveals_the_last_place", revealed(0), live.RoundNextPlace, "running 1 pending,closed,pending", 1},
		{"next_place_reveals_below_the_podium_at_once", sevenPitches(0), live.RoundNextPlace, "running 1 pending,closed,pending,closed,closed,closed,closed", 4},
		{"next_place_when_all_are_revealed_is_refused", revealed(3), live.RoundNextPlace, live.ETransition, 0},
		{"next_place_when_hidden_is_refused", round(live.RoundRunning, 1, live.PitchClosed), live.RoundNextPlace, live.ETransition, 0},
		{"hide_ranking_hides_every_place", revealed(2), live.RoundHideRanking, "running 1 pending,closed,pending", 0},
		{"hide_ranking_when_hidden_is_refused", round(live.RoundRunning, 1, live.PitchClosed), live.RoundHideRanking, live.ETransition, 0},
		{"finish_closes_the_voting", round(live.RoundRunning, 1, live.PitchVoting), live.RoundFinish, "finished 1 pending,closed,pending", 0},
		{"finish_before_the_start_is_refused", round(live.RoundPending, -1, ""), live.RoundFinish, live.ETransition, 0},
		{"finish_twice_is_refused", round(live.RoundFinished, 1, live.PitchClosed), live.RoundFinish, live.ETransition, 0},
		{"an_unknown_action_is_invalid", round(live.RoundRunning, 0, live.PitchOnStage), "jump", live.EInvalid, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := states(tc.r)
			got, room, err := tc.r.Apply(tc.action, live.Room{ID: 1}, siblingsOf(&tc.r), now)
			if states(tc.r) != before {
				t.Fatalf("the round applied to changed: %s, was %s", states(tc.r), before)
			}
			if tc.want == live.ETransition || tc.want == live.EInvalid {
				wantCode(t, err, tc.want)
				return
			}
			wantCode(t, err, "")
			if s := states(got); s != tc.want || got.RevealedPlaces != tc.places {
				t.Fatalf("after %s: %s with %d places, want %s with %d", tc.action, s, got.RevealedPlaces, tc.want, tc.places)
			}
			if wantRoom := map[bool]int64{true: 7}[tc.action == live.RoundStart]; room.ActiveRoundID != wantRoom {
				t.Fatalf("room's active round = %d, want %d", room.ActiveRoundID, wantRoom)
			}
		})
	}
	t.Run("start_is_refused_while_another_round_runs_in_the_room", func(t *testing.T) {
		r, other := round(live.RoundPending, -1, ""), live.Round{ID: 8, RoomID: 1, Title: "Semis", State: live.RoundRunning}
		_, _, err := r.Apply(live.RoundStart, live.Room{ID: 1}, siblingsOf(&r, &other), now)
		wantCode(t, err, live.ETransition)
		other.RoomID = 2
		_, _, err = r.Apply(live.RoundStart, live.Room{ID: 1}, siblingsOf(&r, &other), now)
		wantCode(t, err, "")
	})
	t.Run("a_pitch_left_pauses_its_timer_and_unchanged_pitches_are_shared", func(t *testing.T) {
		r := round(live.RoundRunning, 0, live.PitchVoting)
		must := func(err error) {
			t.Helper()
			wantCode(t, err, "")
		}
		must(r.Pitches[0].Timer.Start(now))
		got, _, err := r.Apply(live.RoundNext, live.Room{ID: 1}, siblingsOf(&r), now.Add(10*time.Second))
		must(err)
		if p := got.Pitches[0]; p.Timer.Running || p.Timer.RemainingMS != 50_000 {
			t.Fatalf("timer = %+v, want paused at 50 s", p.Timer)
		}
		if !r.Pitches[0].Timer.Running {
			t.Fatal("the original pitch's timer was paused")
		}
		if got.Pitches[2] != r.Pitches[2] || got.Pitches[0] == r.Pitches[0] {
			t.Fatal("want the changed pitches copied and the others shared")
		}
	})
}

func TestRoundStage(t *testing.T) {
	t.Run("staging_a_pitch_closes_the_current_one", func(t *testing.T) {
		r := round(live.RoundRunning, 0, live.PitchVoting)
		got, err := r.Stage(12, t0)
		wantCode(t, err, "")
		if s := states(got); s != "running 2 closed,pending,on_stage" {
			t.Fatalf("after stage: %s", s)
		}
	})
	t.Run("the_pitch_on_stage_is_refused", func(t *testing.T) {
		r := round(live.RoundRunning, 0, live.PitchVoting)
		_, err := r.Stage(10, t0)
		wantCode(t, err, live.ETransition)
	})
	t.Run("a_round_not_running_is_refused", func(t *testing.T) {
		r := round(live.RoundPending, -1, "")
		_, err := r.Stage(10, t0)
		wantCode(t, err, live.ETransition)
	})
}
