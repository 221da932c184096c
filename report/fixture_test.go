package report_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ovation-live/ovation/board"
	"github.com/ovation-live/ovation/feed"
	"github.com/ovation-live/ovation/figures"
	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/report"
	"github.com/ovation-live/ovation/show"
	"github.com/ovation-live/ovation/store"
)

// The teams of the show-day rehearsal: the long names, an emoji, Arabic.
var teams = []live.Pitch{
	{Team: "Société Générale des Établissements Industriels de Franche-Comté", Presenter: "Amélie Jeanneret"},
	{Team: "Anticonstitutionnellementdéraisonnablement", Presenter: "Loïc Perrenoud"},
	{Team: "Fusée 🚀 Énergie", Presenter: "Zoé Bôle"},
	{Team: "شركة الأمل للتقنيات", Presenter: "ليلى حداد"},
	{Team: "Les Fromageries Artisanales du Haut-Doubs et du Jura Réunies", Presenter: "Jean-Baptiste Cuenot"},
	{Team: "Hydrogène Vert Bisontin", Presenter: "Nadia Œuvray"},
}

// clock is a time the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// presence is a Presence the test sets.
type presence struct {
	mu sync.Mutex
	by map[string]map[string]int
}

func (p *presence) ByNode() map[string]map[string]int { p.mu.Lock(); defer p.mu.Unlock(); return p.by }

// rich is an event of every kind, run for half an hour, with its sources.
type rich struct {
	src     report.Sources
	code    string
	now     time.Time
	pitches []int64
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func must1[T any](tb testing.TB) func(T, error) T {
	return func(v T, err error) T {
		tb.Helper()
		must(tb, err)
		return v
	}
}

// richEvent builds the rehearsal's event on a real SQLite store: two rooms,
// a round of the six teams with a jury, a question of every kind, a quiz,
// a board, feed posts with a burst, meeting requests, and figures kept by
// two nodes over 30 minutes.
func richEvent(tb testing.TB) *rich {
	tb.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(filepath.Join(tb.TempDir(), "ovation.db"), store.Options{Synchronous: "NORMAL"})
	must(tb, err)
	tb.Cleanup(func() { db.Close() })
	h := hub.New(hub.Options{})
	clk := &clock{t: time.Now().UTC().Truncate(time.Minute).Add(time.Minute)}
	pres := &presence{}
	var engine *show.Engine
	rec := figures.New(figures.Options{Node: "core-1", Now: clk.Now, Presence: pres, Store: db,
		Places: figures.PlacesFunc(func(k string, id int64) (int64, int64, error) { return engine.Place(k, id) })})
	engine = show.NewEngine(rec.Wrap(db), h, show.Options{Logger: log})
	must(tb, engine.Load(ctx))
	feeds := feed.New(db, engine, h, feed.Options{Logger: log, Now: clk.Now, PostRate: 1000, PostBurst: 1000})
	boards := board.New(db, engine, h, board.Options{Logger: log})

	ev := must1[*live.Event](tb)(engine.CreateEvent(ctx, "mod", &live.Event{Code: "TDAYS", Title: "Tech Days Besançon — soirée des partenaires",
		Languages: []string{"fr", "en"}, Color: "#0B7A75", JuryCode: "JURY", JuryWeight: 40}))
	m := must1[*show.Model](tb)(engine.Model(ev.Code))
	main := m.Rooms[0].ID
	side := must1[*live.Room](tb)(engine.CreateRoom(ctx, "mod", ev.Code, &live.Room{Name: "Salle Vauban"})).ID

	// The programme: the evening in the main room, and an afternoon talk in
	// the other one that ended before anyone joined.
	start := time.Now().UTC().Truncate(time.Minute)
	must(tb, db.SaveTalks(ctx, []live.Talk{
		{EventID: ev.ID, RoomID: main, Title: "Soirée des partenaires : les pitchs", Speakers: []live.Speaker{{Name: "Jean-Baptiste Poquelin-Larochefoucauld"}},
			Start: start.Add(-2 * time.Hour), End: start.Add(2 * time.Hour)},
		{EventID: ev.ID, RoomID: side, Title: "L'hydrogène en Franche-Comté", Start: start.Add(-5 * time.Hour), End: start.Add(-4 * time.Hour)},
	}, nil))

	people := make([]live.Voter, 60)
	for i := range people {
		name := ""
		if i < 8 {
			name = []string{"Léa", "Karim", "Zoé 🎉", "سارة", "Mathéo", "Inès", "Yanis", "Chloé"}[i]
		}
		p, _, err := engine.Join(ctx, ev.Code, name, map[bool]string{true: "JURY"}[i%15 == 0])
		must(tb, err)
		people[i] = live.Voter{ParticipantID: p.ID, EventID: ev.ID, Jury: p.Jury}
	}
	vote := func(who live.Voter, id string, t live.Target, a string) {
		tb.Helper()
		_, err := engine.Vote(ctx, who, live.Vote{VoteID: id, Target: t, Answer: live.Answer(a)})
		must(tb, err)
	}

	// The round: every team on stage, scored by everyone.
	round := must1[*live.Round](tb)(engine.CreateRound(ctx, "mod", ev.Code, &live.Round{RoomID: main, Title: "Pitchs des partenaires", Scale: 5}))
	var pitches []int64
	for _, p := range teams {
		p.DurationS = 120
		pitches = append(pitches, must1[*live.Pitch](tb)(engine.CreatePitch(ctx, "mod", round.ID, &p)).ID)
	}
	must(tb, engine.RoundAction(ctx, "mod", round.ID, live.RoundStart))
	for i, id := range pitches {
		if i > 0 {
			must(tb, engine.RoundAction(ctx, "mod", round.ID, live.RoundNext))
		}
		must(tb, engine.PitchAction(ctx, "mod", id, live.PitchOpen, 0))
		for j, who := range people {
			score := min(5, max(1, []int{4, 2, 3, 5, 4, 3}[i]+(j*7%5)/2-1+j%2*(i%2)))
			vote(who, fmt.Sprintf("p%d-%d", i, j), live.Target{Kind: live.KindPitch, ID: id}, fmt.Sprint(score))
		}
	}
	must(tb, engine.RoundAction(ctx, "mod", round.ID, live.RoundFinish))

	// A question of every kind, in both rooms.
	polls := []*live.Poll{
		{RoomID: main, Question: "Quel pitch vous a le plus marqué ?", Kind: live.PollChoices, Choices: []string{"Hydrogène", "Fromageries", "شركة الأمل", "Fusée"}},
		{RoomID: main, Question: "Votre note de la soirée", Kind: live.PollScale, ScaleMax: 5},
		{RoomID: side, Question: "Quels sujets pour 2027 ?", Kind: live.PollMultiple, Choices: []string{"IA", "Énergie", "Industrie", "Agroalimentaire"}},
		{RoomID: side, Question: "Un mot pour la soirée", Kind: live.PollWordCloud},
		{RoomID: side, Question: "Une idée pour l'an prochain ?", Kind: live.PollOpenText},
		{RoomID: main, Question: "Classez les thèmes", Kind: live.PollRanking, Choices: []string{"Climat", "Emploi", "Innovation"}},
	}
	cloud := []string{`["audace"]`, `["énergie","audace"]`, `["audace"]`, `["جميل"]`, `["Franche-Comté"]`, `["audace","partage"]`, `["énergie"]`}
	texts := []string{`"Un prix du public pour les étudiants"`, `"Plus de temps pour les questions 🙏"`, `"نريد المزيد من الورشات"`, `"Visiter les ateliers"`}
	for i, p := range polls {
		p = must1[*live.Poll](tb)(engine.CreatePoll(ctx, "mod", ev.Code, p))
		must(tb, engine.PollAction(ctx, "mod", p.ID, live.PollOpenAction))
		t := live.Target{Kind: live.KindPoll, ID: p.ID}
		for j, who := range people[:40] {
			var a string
			switch p.Kind {
			case live.PollChoices, live.PollScale:
				a = fmt.Sprint(1 + (j*j+i)%4)
			case live.PollMultiple:
				a = fmt.Sprintf("[%d,%d]", 1+j%2, 3+j%2)
			case live.PollWordCloud:
				a = cloud[j%len(cloud)]
			case live.PollOpenText:
				if j >= len(texts) {
					continue
				}
				a = texts[j]
			case live.PollRanking:
				a = []string{"[1,2,3]", "[2,1,3]", "[3,1,2]"}[j%3]
			}
			vote(who, fmt.Sprintf("q%d-%d", i, j), t, a)
		}
		if p.Kind == live.PollOpenText {
			res := must1[*show.Results](tb)(engine.Results(ctx, ev.Code))
			for _, pr := range res.Polls {
				if pr.Poll.ID == p.ID {
					for k, a := range pr.Results.(live.OpenTextResults).Answers {
						action := "approve"
						if k == 3 {
							action = "reject"
						}
						must(tb, engine.DecideAnswers(ctx, "mod", t, []byte(fmt.Sprintf(`{"action":%q,"id":%q}`, action, a.ID))))
					}
				}
			}
		}
		must(tb, engine.PollAction(ctx, "mod", p.ID, live.PollCloseAction))
	}

	// A survey of the evening: a rating grid and a choice, at each phone's pace.
	survey := must1[*live.Survey](tb)(engine.CreateSurvey(ctx, "mod", ev.Code, &live.Survey{RoomID: main, Title: "Votre avis sur la soirée"}, 0))
	grid := must1[*live.Poll](tb)(engine.CreatePoll(ctx, "mod", ev.Code, &live.Poll{SurveyID: survey.ID, Question: "Notez la soirée", Kind: live.PollGrid,
		Choices: []string{"Accueil", "Qualité des pitchs", "Buffet"}, ScaleMax: 5}))
	again := must1[*live.Poll](tb)(engine.CreatePoll(ctx, "mod", ev.Code, &live.Poll{SurveyID: survey.ID, Question: "Reviendrez-vous en 2027 ?", Kind: live.PollChoices,
		Choices: []string{"Oui", "Peut-être", "Non"}}))
	must(tb, engine.SurveyAction(ctx, "mod", survey.ID, live.SurveyOpenAction))
	for j, who := range people[:20] {
		vote(who, fmt.Sprintf("s-grid-%d", j), live.Target{Kind: live.KindPoll, ID: grid.ID}, fmt.Sprintf(`{"1":%d,"2":%d,"3":null}`, 3+j%3, 2+j%4))
		vote(who, fmt.Sprintf("s-again-%d", j), live.Target{Kind: live.KindPoll, ID: again.ID}, fmt.Sprint(1+j%3))
	}

	// A quiz of two questions.
	quiz := must1[*live.Quiz](tb)(engine.CreateQuiz(ctx, "mod", ev.Code, &live.Quiz{RoomID: side, Title: "Quiz franc-comtois"}))
	for _, q := range []*live.Poll{
		{RoomID: side, Question: "Capitale de la Franche-Comté ?", Kind: live.PollQuiz, QuizID: quiz.ID, Choices: []string{"Besançon", "Dole", "Belfort"}, Correct: []int{1}},
		{RoomID: side, Question: "Le fromage du Haut-Doubs ?", Kind: live.PollQuiz, QuizID: quiz.ID, Choices: []string{"Comté", "Brie"}, Correct: []int{1}},
	} {
		must1[*live.Poll](tb)(engine.CreatePoll(ctx, "mod", ev.Code, q))
	}
	must(tb, engine.QuizAction(ctx, "mod", quiz.ID, live.QuizStart))
	for k := range 2 {
		cur := must1[*show.Model](tb)(engine.Model(ev.Code))
		var qid int64
		for _, q := range cur.Quizzes {
			if q.ID == quiz.ID {
				qid = q.CurrentPollID
			}
		}
		for j, who := range people[:12] {
			vote(who, fmt.Sprintf("z%d-%d", k, j), live.Target{Kind: live.KindPoll, ID: qid}, fmt.Sprint(1+j%3%2))
		}
		must(tb, engine.QuizAction(ctx, "mod", quiz.ID, live.QuizReveal))
		if k == 0 {
			must(tb, engine.QuizAction(ctx, "mod", quiz.ID, live.QuizNext))
		}
	}
	must(tb, engine.QuizAction(ctx, "mod", quiz.ID, live.QuizFinish))

	// A board with upvoted ideas.
	b := must1[*live.Board](tb)(boards.CreateBoard(ctx, "mod", ev.Code, live.Board{Title: "Vos idées pour 2027", Moderation: live.ModerationPost, Open: true}))
	for i, idea := range []string{"Un hackathon sur l'hydrogène", "Des visites d'usines 🏭", "ورشة عمل للشركات الناشئة", "Un prix Anticonstitutionnellementdéraisonnablement"} {
		e := must1[*live.Entry](tb)(boards.Submit(ctx, ev.Code, board.Participant{ID: people[i].ParticipantID, EventID: ev.ID}, b.ID, idea, []string{"Léa", "", "سارة", "Mathéo"}[i]))
		for _, who := range people[10 : 10+(4-i)*3] {
			must1[int](tb)(boards.Upvote(ctx, ev.Code, board.Participant{ID: who.ParticipantID, EventID: ev.ID}, e.ID))
		}
	}

	// Meeting requests for the Arabic-named team and Hydrogène.
	for i, who := range people[20:25] {
		pitch := pitches[3+2*(i%2)]
		must1[*live.MeetingRequest](tb)(boards.RequestMeeting(ctx, ev.Code, board.Participant{ID: who.ParticipantID, EventID: ev.ID},
			live.MeetingRequest{PitchID: pitch, Name: []string{"Élodie Marchand", "يوسف بن علي", "Jürgen Öztürk", "Camille Dupré", "Søren Ålund"}[i],
				Company: "Entreprise " + fmt.Sprint(i), Role: "Directrice", Email: fmt.Sprintf("contact%d@example.com", i), Consent: true}))
	}

	// Half an hour: connections sampled on two nodes, posts every minute, a burst at minute 20.
	for minute := range 30 {
		n := 20 + minute*4
		if minute > 22 {
			n = 200 - minute*3
		}
		pres.mu.Lock()
		pres.by = map[string]map[string]int{
			"core-1": {hub.RoomTopic(main): n, hub.StageTopic(main): 1, hub.RoomTopic(side): n / 3},
			"edge-2": {hub.RoomTopic(main): n / 2, hub.RoomTopic(side): n / 4, hub.StageTopic(side): 1},
		}
		pres.mu.Unlock()
		rec.Sample()
		posts := 1 + minute%2
		if minute == 20 {
			posts = 14
		}
		for k := range posts {
			who := people[(minute*3+k)%len(people)]
			text := fmt.Sprintf("Superbe pitch, bravo à l'équipe ! (%d.%d)", minute, k)
			if k%4 == 1 {
				text = fmt.Sprintf("رائع! شركة الأمل للتقنيات 👏 %d", minute)
			}
			it, err := feeds.Post(ctx, ev.Code, who.ParticipantID, "Public "+fmt.Sprint(k), text, main)
			must(tb, err)
			if minute == 20 && k < 3 {
				must1[live.FeedItem](tb)(feeds.Decide(ctx, ev.Code, "mod", it.ID, "approve"))
			}
		}
		clk.Advance(time.Minute)
		must(tb, rec.Flush(ctx, false))
	}
	must(tb, rec.Flush(ctx, true))
	return &rich{src: report.Sources{Show: engine, Store: db, Feed: feeds, Boards: boards}, code: ev.Code, now: clk.Now(), pitches: pitches}
}
