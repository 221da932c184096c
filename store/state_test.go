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

// TestSurveysSurviveReopen: a survey (its session, window and texts) and
// its questions (survey id, required flag, a grid's definition) and their
// answers are read back as saved after the database is closed and opened.
func TestSurveysSurviveReopen(t *testing.T) {
	path := dbPath(t)
	db := openDB(t, path, store.Options{})
	ctx := ctxT(t)
	ev := &live.Event{Code: "SURV", Title: "Surveys", Languages: []string{"en"}, CreatedAt: time.Now()}
	if err := db.SaveEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	room := &live.Room{EventID: ev.ID, Name: "Main"}
	if err := db.SaveRoom(ctx, room); err != nil {
		t.Fatal(err)
	}
	opens := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	s := &live.Survey{EventID: ev.ID, RoomID: room.ID, Title: "Feedback", Intro: "Two minutes", State: live.SurveyOpen, OpensAt: &opens}
	if err := db.SaveSurvey(ctx, s); err != nil {
		t.Fatal(err)
	}
	q := &live.Poll{EventID: ev.ID, RoomID: room.ID, Question: "Rate", Kind: live.PollGrid, Choices: []string{"A", "B"}, ScaleMax: 7,
		State: live.PollDraft, Results: live.ResultsReveal, SurveyID: s.ID, Required: true, Position: 1}
	if err := db.SavePoll(ctx, q); err != nil {
		t.Fatal(err)
	}
	if err := db.Enqueue(live.WriteOp{Participant: &live.Participant{ID: 9, EventID: ev.ID, CreatedAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	vote := live.Vote{VoteID: "v", ParticipantID: 9, EventID: ev.ID, Target: live.Target{Kind: live.KindPoll, ID: q.ID}, Answer: `{"1":7,"2":null}`, At: time.Now()}
	done := make(chan error, 1)
	if err := db.Enqueue(live.WriteOp{Vote: &vote, Done: func(err error) { done <- err }}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	db.Close()
	ds, err := openDB(t, path, store.Options{}).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Surveys) != 1 || ds.Surveys[0].Title != "Feedback" || ds.Surveys[0].Intro != "Two minutes" || ds.Surveys[0].SessionID != nil ||
		ds.Surveys[0].OpensAt == nil || !ds.Surveys[0].OpensAt.Equal(opens) || ds.Surveys[0].ClosesAt != nil || ds.Surveys[0].State != live.SurveyOpen {
		t.Fatalf("surveys = %+v", ds.Surveys)
	}
	var got *live.Poll
	for _, p := range ds.Polls {
		if p.ID == q.ID {
			got = p
		}
	}
	if got == nil || got.SurveyID != s.ID || !got.Required || got.ScaleMax != 7 || len(got.Choices) != 2 {
		t.Fatalf("question = %+v", got)
	}
	if len(ds.Votes) != 1 || ds.Votes[0].Answer != `{"1":7,"2":null}` {
		t.Fatalf("votes = %+v", ds.Votes)
	}
}
