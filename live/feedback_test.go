package live_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/ovation-live/ovation/live"
)

func TestPlanFeedback(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	ptr := func(v int64) *int64 { return &v }
	tp := func(tm time.Time) *time.Time { return &tm }
	talk := func(id int64, end int) live.Talk {
		return live.Talk{ID: id, RoomID: 1, Title: "T", Start: at(end - 30), End: at(end)}
	}
	talks := []live.Talk{talk(1, 0), talk(2, 30), talk(3, 60)}
	set := live.FeedbackSettings{TemplateID: 9, OpenFor: "15m"}
	tpl := live.Survey{ID: 9, State: live.SurveyDraft}
	type step struct {
		talk, survey int64
		action       string
		closes       time.Time
	}
	cases := []struct {
		name    string
		talks   []live.Talk
		surveys []live.Survey
		set     live.FeedbackSettings
		now     time.Time
		want    []step
		next    time.Time
	}{
		{name: "nothing before the first end", talks: talks, surveys: []live.Survey{tpl}, set: set, now: at(-10), next: at(0)},
		{name: "the template copied at the end", talks: talks, surveys: []live.Survey{tpl}, set: set, now: at(0),
			want: []step{{1, 0, "open", at(15)}}, next: at(15)},
		{name: "an own draft survey opens instead", talks: talks, surveys: []live.Survey{tpl, {ID: 5, SessionID: ptr(1), State: live.SurveyDraft}}, set: set, now: at(1),
			want: []step{{1, 5, "open", at(15)}}, next: at(15)},
		{name: "an own survey already open is left to the moderators", talks: talks,
			surveys: []live.Survey{tpl, {ID: 5, SessionID: ptr(1), State: live.SurveyOpen, ClosesAt: tp(at(15))}}, set: set, now: at(5), next: at(15)},
		{name: "an own survey closed by a moderator stays closed", talks: talks,
			surveys: []live.Survey{tpl, {ID: 5, SessionID: ptr(1), State: live.SurveyClosed}}, set: set, now: at(5), next: at(30)},
		{name: "no feedback for this session", talks: talks, surveys: []live.Survey{tpl},
			set: live.FeedbackSettings{TemplateID: 9, OpenFor: "15m", NoFeedback: []int64{1}}, now: at(5), next: at(30)},
		{name: "no template: only own surveys", talks: talks, surveys: []live.Survey{{ID: 5, SessionID: ptr(2), State: live.SurveyDraft}},
			set: live.FeedbackSettings{OpenFor: "15m"}, now: at(31), want: []step{{2, 5, "open", at(45)}}, next: at(45)},
		{name: "an open survey closes at the window's end", talks: talks,
			surveys: []live.Survey{tpl, {ID: 5, SessionID: ptr(1), State: live.SurveyOpen, ClosesAt: tp(at(15))}}, set: set, now: at(15),
			want: []step{{1, 5, "close", time.Time{}}}, next: at(30)},
		{name: "after a restart within the window: opens with what is left", talks: talks, surveys: []live.Survey{tpl}, set: set, now: at(40),
			want: []step{{2, 0, "open", at(45)}}, next: at(45)},
		{name: "after a restart past the window: missed, and late closes done", talks: talks,
			surveys: []live.Survey{tpl, {ID: 5, SessionID: ptr(1), State: live.SurveyOpen, ClosesAt: tp(at(15))}}, set: set, now: at(50),
			want: []step{{1, 5, "close", time.Time{}}}, next: at(60)},
		{name: "two sessions ending together both open", talks: []live.Talk{talk(1, 0), {ID: 4, RoomID: 2, Start: at(-20), End: at(0)}},
			surveys: []live.Survey{tpl}, set: set, now: at(0), want: []step{{1, 0, "open", at(15)}, {4, 0, "open", at(15)}}, next: at(15)},
		{name: "a window in seconds", talks: talks, surveys: []live.Survey{tpl}, set: live.FeedbackSettings{TemplateID: 9, OpenFor: "20s"}, now: at(0),
			want: []step{{1, 0, "open", at(0).Add(20 * time.Second)}}, next: at(0).Add(20 * time.Second)},
		{name: "all done", talks: talks, surveys: []live.Survey{tpl}, set: set, now: at(200)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			steps, next := live.PlanFeedback(tc.talks, tc.surveys, tc.set, tc.now)
			var got []step
			for _, s := range steps {
				got = append(got, step{s.Talk.ID, s.SurveyID, s.Action, s.ClosesAt})
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("steps = %v, want %v", got, tc.want)
			}
			if !next.Equal(tc.next) {
				t.Errorf("next = %v, want %v", next, tc.next)
			}
		})
	}
}

func TestFeedbackSettingsValidate(t *testing.T) {
	for _, bad := range []string{"1s", "banana", "-5m", "200h"} {
		f := live.FeedbackSettings{OpenFor: bad}
		if err := f.Validate(); live.ErrorCode(err) != live.EInvalid {
			t.Errorf("open for %q: %v, want invalid", bad, err)
		}
	}
	f := live.FeedbackSettings{NoFeedback: []int64{3, 1, 3}}
	if err := f.Validate(); err != nil || f.OpenFor != "15m0s" || !slices.Equal(f.NoFeedback, []int64{1, 3}) || f.Asks(3) || !f.Asks(2) {
		t.Errorf("defaults: %+v, %v", f, err)
	}
}

func TestRankSpeakers(t *testing.T) {
	ada, bob := live.Speaker{Name: "Ada"}, live.Speaker{Name: "Bob", Affiliation: "X"}
	st := func(label string, count, sum int64) live.StatementScore {
		return live.StatementScore{Statement: label, Count: count, Sum: sum}
	}
	mk := func(id int64, sp []live.Speaker, ss ...live.StatementScore) live.SessionFeedback {
		f := live.SessionFeedback{Talk: live.Talk{ID: id, Speakers: sp}}
		f.SetStatements(ss)
		return f
	}
	got := live.RankSpeakers([]live.SessionFeedback{
		mk(1, []live.Speaker{ada}, st("Clear", 2, 10), st("Useful", 2, 6)), // Ada: 5, 3
		mk(2, []live.Speaker{ada, bob}, st("Clear", 2, 4)),                 // both: 2
		mk(3, []live.Speaker{{Name: "Cy"}}),                                // no ratings
		mk(4, []live.Speaker{bob}, st("Clear", 2, 10)),
	})
	if len(got) != 3 || got[0].Name != "Bob" || got[1].Name != "Ada" || got[2].Name != "Cy" {
		t.Fatalf("order: %+v", got)
	}
	a := got[1]
	// Ada: Clear (10+4)/4 = 3.5, Useful 3; overall (10+6+4)/6.
	if !slices.Equal(a.Sessions, []int64{1, 2}) || a.Statements[0].Mean != 3.5 || a.Statements[1].Mean != 3 || a.Overall.Count != 6 || a.Overall.Mean != 20.0/6 {
		t.Errorf("Ada: %+v", a)
	}
	if b := got[0]; b.Overall.Count != 4 || b.Overall.Mean != 3.5 {
		t.Errorf("Bob: %+v", b)
	}
}

func TestGridScores(t *testing.T) {
	q := live.Question{Kind: live.PollGrid, Choices: []string{"Clear"}, ScaleMax: 5}
	got := live.GridScores(q, live.GridResults{Statements: []live.GridStatement{{Statement: 1, Counts: []int64{1, 0, 0, 0, 2}, Count: 3}, {Statement: 2, Counts: []int64{0, 0, 0, 0, 0}}}})
	if len(got) != 2 || got[0] != (live.StatementScore{Statement: "Clear", Count: 3, Sum: 11, Mean: 11.0 / 3}) || got[1].Statement != "2" || got[1].Mean != 0 {
		t.Errorf("scores: %+v", got)
	}
}

// FuzzPlanFeedback checks the rule's promises on random programmes: each
// step is due, next is ahead, and once its steps are done the plan at the
// same time has nothing left to do (a second tick, or a restart, does not
// open twice).
func FuzzPlanFeedback(f *testing.F) {
	f.Add(int64(1), int64(0), uint16(900), int64(9))
	f.Add(int64(7), int64(3600), uint16(5), int64(0))
	f.Add(int64(42), int64(-600), uint16(60), int64(2))
	f.Fuzz(func(t *testing.T, seed, offset int64, windowS uint16, template int64) {
		rng := rand.New(rand.NewPCG(uint64(seed), 0))
		t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		now := t0.Add(time.Duration(offset%(48*3600)) * time.Second)
		set := live.FeedbackSettings{TemplateID: template % 12, OpenFor: (time.Duration(windowS) * time.Second).String()}
		if err := set.Validate(); err != nil {
			set = live.FeedbackSettings{TemplateID: set.TemplateID}
			_ = set.Validate()
		}
		var talks []live.Talk
		for i := range rng.IntN(8) {
			end := t0.Add(time.Duration(rng.IntN(7200)-3600) * time.Second)
			talks = append(talks, live.Talk{ID: int64(i + 1), RoomID: 1, Start: end.Add(-time.Hour), End: end})
			if rng.IntN(5) == 0 {
				set.NoFeedback = append(set.NoFeedback, int64(i+1))
			}
		}
		_ = set.Validate()
		states := []string{live.SurveyDraft, live.SurveyOpen, live.SurveyClosed}
		var surveys []live.Survey
		for i := range rng.IntN(8) {
			s := live.Survey{ID: int64(i + 20), State: states[rng.IntN(3)]}
			if rng.IntN(4) > 0 {
				sid := int64(rng.IntN(9) + 1)
				s.SessionID = &sid
			}
			if rng.IntN(2) == 0 {
				c := t0.Add(time.Duration(rng.IntN(7200)-3600) * time.Second)
				s.ClosesAt = &c
			}
			surveys = append(surveys, s)
		}
		steps, next := live.PlanFeedback(talks, surveys, set, now)
		if !next.IsZero() && !next.After(now) {
			t.Fatalf("next %v is not after now %v", next, now)
		}
		nextID := int64(100)
		for _, st := range steps {
			switch st.Action {
			case live.SurveyOpenAction:
				if now.Before(st.Talk.End) || !now.Before(st.Talk.End.Add(set.Window())) || !set.Asks(st.Talk.ID) || !st.ClosesAt.Equal(st.Talk.End.Add(set.Window())) {
					t.Fatalf("open step not due: %+v at %v", st, now)
				}
				if st.SurveyID == 0 {
					sid := st.Talk.ID
					c := st.ClosesAt
					surveys = append(surveys, live.Survey{ID: nextID, SessionID: &sid, State: live.SurveyOpen, ClosesAt: &c})
					nextID++
					continue
				}
				for i := range surveys {
					if surveys[i].ID == st.SurveyID {
						c := st.ClosesAt
						surveys[i].State, surveys[i].ClosesAt = live.SurveyOpen, &c
					}
				}
			case live.SurveyCloseAction:
				for i := range surveys {
					if surveys[i].ID == st.SurveyID {
						if surveys[i].State != live.SurveyOpen || surveys[i].ClosesAt == nil || now.Before(*surveys[i].ClosesAt) {
							t.Fatalf("close step not due: %+v", surveys[i])
						}
						surveys[i].State = live.SurveyClosed
					}
				}
			default:
				t.Fatalf("unknown action %q", st.Action)
			}
		}
		if again, _ := live.PlanFeedback(talks, surveys, set, now); len(again) != 0 {
			t.Fatalf("steps left after doing them: %+v", again)
		}
	})
}
