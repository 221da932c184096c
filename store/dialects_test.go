package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ovation-live/ovation/internal/pgtest"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/store"
)

// TestPostgresAnswersAsSQLite runs one scenario through every kind of
// write and read the store has, on SQLite and on a real PostgreSQL, and
// compares what the two give back: the same queries (written once, with ?
// placeholders) must mean the same thing in both dialects, ids included.
func TestPostgresAnswersAsSQLite(t *testing.T) {
	pg, err := store.OpenPostgres(postgresURL(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	lite := openDB(t, dbPath(t), store.Options{Synchronous: "NORMAL"})
	want, got := storeScenario(t, lite), storeScenario(t, pg)
	if len(want) != len(got) {
		t.Fatalf("%d steps on SQLite, %d on PostgreSQL", len(want), len(got))
	}
	for i := range want {
		if want[i] != got[i] {
			t.Errorf("step %d:\nSQLite:     %s\nPostgreSQL: %s", i, want[i], got[i])
		}
	}
}

// storeScenario writes an event of every kind of row through db and
// returns what each step read back (or its error code), as JSON.
func storeScenario(t *testing.T, db *store.DB) []string {
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
	ev := &live.Event{Code: "DIAL", Title: "Dialects", Languages: []string{"fr", "en"}, JuryCode: "J", JuryWeight: 30, CreatedAt: t0}
	step(ev.ID, db.SaveEvent(ctx, ev))
	step(nil, db.SaveEvent(ctx, &live.Event{Code: "DIAL", Title: "Again", CreatedAt: t0})) // a taken code: conflict
	room := &live.Room{EventID: ev.ID, Name: "Main"}
	step(room.ID, db.SaveRoom(ctx, room))
	round := &live.Round{EventID: ev.ID, RoomID: room.ID, Title: "Final", Scale: 5, State: live.RoundRunning}
	step(round.ID, db.SaveRound(ctx, round))
	pitch := &live.Pitch{RoundID: round.ID, Team: "Société Générale", Presenter: "Zoé", DurationS: 120, State: live.PitchVoting, ShowResults: true}
	step(pitch.ID, db.SavePitch(ctx, pitch))
	poll := &live.Poll{EventID: ev.ID, RoomID: room.ID, Question: "Mots ?", Kind: live.PollWordCloud, State: live.PollOpen, ShowResults: true}
	step(poll.ID, db.SavePoll(ctx, poll))
	quiz := &live.Quiz{EventID: ev.ID, RoomID: room.ID, Title: "Quiz", State: "pending"}
	step(quiz.ID, db.SaveQuiz(ctx, quiz))
	session, closes := int64(7), t0.Add(time.Hour)
	survey := &live.Survey{EventID: ev.ID, RoomID: room.ID, SessionID: &session, Title: "Retours", Thanks: "Merci !", State: live.SurveyDraft, ClosesAt: &closes}
	step(survey.ID, db.SaveSurvey(ctx, survey))
	gridQ := &live.Poll{EventID: ev.ID, RoomID: room.ID, Question: "Notez", Kind: live.PollGrid, Choices: []string{"Fond", "Forme"}, ScaleMax: 5,
		Settings: json.RawMessage(`{"low":"Mauvais","high":"Excellent"}`), State: live.PollDraft, SurveyID: survey.ID, Required: true}
	step(gridQ.ID, db.SavePoll(ctx, gridQ))
	opened := *survey
	opened.State = live.SurveyOpen
	step(nil, db.SaveState(ctx, live.StateChange{Surveys: []*live.Survey{&opened},
		Audit: &live.AuditEntry{EventID: ev.ID, Actor: "admin", Action: "survey_open", Target: fmt.Sprintf("survey:%d", survey.ID), At: t0}}))
	pitch.Team = "Hydrogène Vert"
	step(nil, db.SaveState(ctx, live.StateChange{Pitches: []*live.Pitch{pitch},
		Audit: &live.AuditEntry{EventID: ev.ID, Actor: "admin", Action: "pitch_open", Target: fmt.Sprintf("pitch:%d", pitch.ID), At: t0}}))

	// Votes, a participant, a reset, through the group committer.
	pt := live.Target{Kind: live.KindPitch, ID: pitch.ID}
	pollT := live.Target{Kind: live.KindPoll, ID: poll.ID}
	for i, op := range []live.WriteOp{
		{Participant: &live.Participant{ID: 1<<62 + 7, EventID: ev.ID, DisplayName: "Zoé", Jury: true, CreatedAt: t0}},
		{Participant: &live.Participant{ID: 42, EventID: ev.ID, CreatedAt: t0}},
		{Vote: &live.Vote{VoteID: "a", ParticipantID: 1<<62 + 7, EventID: ev.ID, Target: pt, Answer: "4", Jury: true, At: t0}},
		{Vote: &live.Vote{VoteID: "b", ParticipantID: 42, EventID: ev.ID, Target: pt, Answer: "2", At: t0}},
		{Vote: &live.Vote{VoteID: "c", ParticipantID: 42, EventID: ev.ID, Target: pt, Answer: "5", At: t0.Add(time.Second)}},
		{Vote: &live.Vote{VoteID: "c", ParticipantID: 42, EventID: ev.ID, Target: pt, Answer: "5", At: t0.Add(time.Second)}},
		{Vote: &live.Vote{VoteID: "w", ParticipantID: 42, EventID: ev.ID, Target: pollT, Answer: `["vélo","train"]`, At: t0}},
		{Reset: &pollT},
		{Participant: &live.Participant{ID: 42, EventID: ev.ID, DisplayName: "Renamed", CreatedAt: t0}},
	} {
		if err := enqueueWait(t, db, op); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	up := live.AnswerUpvote{EventID: ev.ID, Target: pollT, AnswerID: "x1", ParticipantID: 42, At: t0}
	changed, err := db.SaveUpvote(ctx, up, true)
	step(changed, err)
	changed, err = db.SaveUpvote(ctx, up, true) // twice: nothing changes
	step(changed, err)
	step(nil, db.SaveDecision(ctx, live.Decision{EventID: ev.ID, Target: pollT, Decision: json.RawMessage(`{"action":"hide","word":"train"}`), At: t0},
		live.AuditEntry{EventID: ev.ID, Actor: "admin", Action: "decide_answers", Target: pollT.String(), At: t0}))
	step(db.Load(ctx))

	// Boards: entries, upvotes (twice), a merge that moves them, meeting requests.
	board := &live.Board{EventID: ev.ID, Title: "Questions", Moderation: "post", Open: true, MaxLen: 280, CreatedAt: t0}
	step(board.ID, db.SaveBoard(ctx, board, &live.AuditEntry{EventID: ev.ID, Actor: "admin", Action: "board_create", Target: "board", At: t0}))
	var entries []*live.Entry
	for i, text := range []string{"Pourquoi ?", "Why?"} {
		e := &live.Entry{BoardID: board.ID, EventID: ev.ID, ParticipantID: int64(40 + i), Text: text, Status: live.EntryApproved, CreatedAt: t0}
		step(e.ID, db.AddEntry(ctx, e))
		entries = append(entries, e)
	}
	for _, p := range []int64{42, 43, 42} {
		ok, err := db.Upvote(ctx, entries[1].ID, p, live.EntryApproved, t0)
		step(ok, err)
	}
	entries[1].Status, entries[1].MergedInto = live.EntryMerged, entries[0].ID
	step(nil, db.MergeEntry(ctx, entries[1], &live.AuditEntry{EventID: ev.ID, Actor: "admin", Action: "merge", Target: "entry", At: t0}))
	step(db.Entries(ctx, board.ID, nil, 42))
	m := &live.MeetingRequest{EventID: ev.ID, PitchID: pitch.ID, ParticipantID: 42, Name: "Zoé", Email: "zoe@example.org", Consent: true, CreatedAt: t0}
	step(m.ID, db.SaveMeetingRequest(ctx, m))
	step(db.MeetingRequests(ctx, ev.ID, 0))

	// The feed: an item, its duplicate, a decision, the volume, cursors, settings.
	item := &live.FeedItem{EventID: ev.ID, Source: "app", SourceID: "1", DedupKey: "k1", Author: "zoe", Text: "Bravo", PostedAt: t0, ReceivedAt: t0, Status: live.FeedPending}
	added, err := db.AddFeedItem(ctx, item)
	step(added, err)
	dup := *item
	dup.ID = 0
	added, err = db.AddFeedItem(ctx, &dup)
	step(added, err)
	item.Status, item.Pinned, item.DecidedBy, item.DecidedAt = live.FeedApproved, true, "admin", t0
	step(nil, db.SaveFeedDecision(ctx, item))
	step(db.FeedItems(ctx, live.FeedQuery{EventID: ev.ID, Pinned: true}))
	step(db.FeedVolume(ctx, ev.ID, t0.Add(-time.Hour), t0.Add(time.Hour)))
	step(nil, db.SetFeedCursor(ctx, ev.ID, "x:DIAL", "17"))
	step(db.FeedCursor(ctx, ev.ID, "x:DIAL"))

	// The team: accounts (a taken login), grants, sessions, tokens, the audit by room.
	lea := &live.Account{Login: "lea", DisplayName: "Léa", PasswordHash: "h", CreatedAt: t0,
		Grants: []live.Grant{{Role: live.RoleOperator, EventID: ev.ID, RoomID: room.ID}, {Role: live.RoleOperator, EventID: ev.ID, RoomID: room.ID}}}
	step(lea.ID, db.SaveAccount(ctx, lea))
	step(nil, db.SaveAccount(ctx, &live.Account{Login: "lea", DisplayName: "Other", CreatedAt: t0}))
	accounts, err := db.Accounts(ctx)
	for i := range accounts {
		if accounts[i].ID == live.FirstAdminID {
			accounts[i].CreatedAt = time.Time{} // made by the migration, at its own time
		}
	}
	step(accounts, err)
	step(nil, db.SaveSession(ctx, "hash1", live.Session{ID: "s1", AccountID: lea.ID, Method: "password", CreatedAt: t0, ExpiresAt: time.Now().Add(time.Hour).Truncate(time.Second)}))
	s, err := db.Session(ctx, "hash1")
	if s != nil {
		s.ExpiresAt = time.Time{}
	}
	step(s, err)
	tok := &live.APIToken{AccountID: lea.ID, Name: "ci", Grant: live.Grant{Role: live.RoleViewer, EventID: ev.ID}, Hash: "th", CreatedAt: t0}
	step(tok.ID, db.SaveToken(ctx, tok))
	step(db.Tokens(ctx, lea.ID))
	step(nil, db.Audit(ctx, live.AuditEntry{EventID: ev.ID, Actor: "lea", Action: "pitch_open", Target: fmt.Sprintf("pitch:%d", pitch.ID), At: t0}))
	step(db.AuditSearch(ctx, live.AuditFilter{EventID: ev.ID, RoomID: room.ID, Limit: 10}))
	step(nil, db.SetSetting(ctx, "k", "v1"))
	step(nil, db.SetSetting(ctx, "k", "v2"))
	step(db.Setting(ctx, "k"))
	step(nil, db.DeletePitch(ctx, pitch.ID))
	step(db.MeetingRequests(ctx, ev.ID, 0)) // gone with the pitch
	return out
}

// postgresURL is the address of a PostgreSQL primary and its synchronous
// standby, started for the test.
func postgresURL(tb testing.TB) string {
	return pgtest.Start(tb).URL()
}

// TestPostgresFailoverLosesNoAckedVote commits a burst of votes while the
// PostgreSQL primary is killed and its synchronous standby promoted, as
// Patroni would: the batches in flight wait and are tried again on the new
// primary (or fail busy, and the phone sends the vote again), and every
// vote acknowledged before, during or after is on the new primary, once.
func TestPostgresFailoverLosesNoAckedVote(t *testing.T) {
	c := pgtest.Start(t)
	db, err := store.OpenPostgres(c.URL(), store.Options{FailoverWait: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ev := &live.Event{Code: "FAIL", Title: "Failover", CreatedAt: time.Now()}
	must(t, db.SaveEvent(ctx, ev))
	const phones, votes = 20, 40
	acked := make(chan live.Vote, phones*votes)
	var wg sync.WaitGroup
	var sent atomic.Int64
	for p := range phones {
		wg.Go(func() {
			for i := range votes {
				v := live.Vote{VoteID: fmt.Sprintf("p%d-v%d", p, i), ParticipantID: int64(p + 1), EventID: ev.ID,
					Target: live.Target{Kind: live.KindPitch, ID: 1}, Answer: live.Answer(fmt.Sprint(i%5 + 1)), At: time.Now()}
				for try := 0; ; try++ { // a phone sends a vote again until it is acknowledged
					done := make(chan error, 1)
					if err := db.Enqueue(live.WriteOp{Vote: &v, Done: func(err error) { done <- err }}); err == nil {
						if err = <-done; err == nil {
							acked <- v
							break
						}
					}
					if try == 100 {
						t.Errorf("vote %s never acknowledged", v.VoteID)
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
				sent.Add(1)
			}
		})
	}
	for sent.Load() < phones*votes/4 && ctx.Err() == nil { // a quarter in: the primary dies
		time.Sleep(5 * time.Millisecond)
	}
	c.KillPrimary(t)
	c.Promote(t)
	wg.Wait()
	close(acked)

	again, err := store.OpenPostgres(c.URL(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	ds, err := again.Load(ctx)
	must(t, err)
	ledger := map[string]int{}
	for _, m := range ds.Ledger {
		ledger[m.VoteID]++
	}
	last := map[int64]live.Vote{}
	n := 0
	for v := range acked {
		n++
		if ledger[v.VoteID] != 1 {
			t.Errorf("acknowledged vote %s is %d times on the new primary", v.VoteID, ledger[v.VoteID])
		}
		last[v.ParticipantID] = v
	}
	if n != phones*votes {
		t.Fatalf("%d votes acknowledged, want %d", n, phones*votes)
	}
	for _, v := range ds.Votes {
		if want := last[v.ParticipantID]; v.VoteID != want.VoteID || v.Answer != want.Answer {
			t.Errorf("phone %d's counted vote is %s %s, want its last acknowledged %s %s", v.ParticipantID, v.VoteID, v.Answer, want.VoteID, want.Answer)
		}
	}
	if len(ds.Votes) != phones {
		t.Errorf("%d current votes, want one per phone (%d)", len(ds.Votes), phones)
	}
}

// TestPostgresFencesOutTheOlderProcess opens the database twice, as a core
// and then the standby that took over from it: from then on every write of
// the first fails and it learns it must stop (Fenced), while the second
// writes and sees what the first wrote before. A command opened beside the
// second (reset-password) writes without fencing it out.
func TestPostgresFencesOutTheOlderProcess(t *testing.T) {
	c := pgtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	first, err := store.OpenPostgres(c.URL(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { first.Close() })
	ev := &live.Event{Code: "FENCE", Title: "Before", CreatedAt: time.Now()}
	must(t, first.SaveEvent(ctx, ev))
	vote := func(db *store.DB, id string) error {
		return enqueueWait(t, db, live.WriteOp{Vote: &live.Vote{VoteID: id, ParticipantID: 1, EventID: ev.ID,
			Target: live.Target{Kind: live.KindPitch, ID: 1}, Answer: "3", At: time.Now()}})
	}
	must(t, vote(first, "v1"))

	second, err := store.OpenPostgres(c.URL(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.Close() })
	if err := vote(first, "v2"); live.ErrorCode(err) != live.EBusy {
		t.Fatalf("a vote through the fenced process: %v, want busy", err)
	}
	ev.Title = "After"
	if err := first.SaveEvent(ctx, ev); err == nil {
		t.Fatal("the fenced process saved an event")
	}
	select {
	case <-first.Fenced():
	default:
		t.Fatal("the fenced process was not told to stop")
	}
	must(t, vote(second, "v3"))
	ds, err := second.Load(ctx)
	must(t, err)
	var ids []string
	for _, m := range ds.Ledger {
		ids = append(ids, m.VoteID)
	}
	if fmt.Sprint(ids) != "[v1 v3]" || ds.Events[0].Title != "Before" {
		t.Fatalf("after the takeover: votes %v, event %q; want v1 and v3, the event as the first left it", ids, ds.Events[0].Title)
	}
	// An operator's command opens it beside the acting process: both write.
	tool, err := store.OpenPostgres(c.URL(), store.Options{Beside: true})
	if err != nil {
		t.Fatal(err)
	}
	must(t, tool.SetSetting(ctx, "api_token_hash", "new"))
	must(t, tool.Close())
	must(t, vote(second, "v4"))
	// A core of another cluster pointed at this database by mistake is
	// refused before it takes the database over: the acting process goes on.
	if _, err := store.OpenPostgres(c.URL(), store.Options{Cluster: "another-cluster"}); !errors.Is(err, store.ErrOtherCluster) {
		t.Fatalf("a core of another cluster: %v, want ErrOtherCluster", err)
	}
	must(t, vote(second, "v5"))
	select {
	case <-second.Fenced():
		t.Fatal("the process that took over is fenced")
	default:
	}
}
