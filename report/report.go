// Package report makes what an event was into a document: the event's
// report (participation, connections over time, every question's results
// as charts, the pitch rounds, the quizzes' podiums, the boards' top
// entries, the feed's volume and moments) and a team's report for a
// sponsors' evening (its pitch, score, place and distribution against its
// round's, the meeting requests it received). It renders them as an HTML
// page with inline SVG charts, printable, and as a PDF it draws itself
// (codeberg.org/go-pdf/fpdf), in French or English.
//
// It gathers its facts through the interfaces of sources.go, which the
// running show, the store, the feed and the boards implement; it imports
// their packages for their types only.
package report

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/ovation-live/ovation/feed"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
)

// Options chooses what a report holds.
type Options struct {
	// Lang is the report's language, "fr" or "en"; "" takes the event's
	// first language. Anything else is EInvalid.
	Lang string
	// Personal lets the report name the people behind meeting requests
	// (their name, company, role and email, given with their consent).
	// Without it a team's report counts the requests only.
	Personal bool
	// Now is the report's time; zero is time.Now.
	Now time.Time
}

// Report is an event's report, ready to render.
type Report struct {
	Event         live.Event
	Lang          string
	Made          time.Time
	Participation live.Participation
	Rooms         []live.Room
	// Talks are the programme's sessions in time order, with the people
	// who took part in each one's room while it ran.
	Talks []Talk
	// Connections is the event's connections per minute (every room, every
	// node), and Rooms' own in RoomConnections, by room id.
	Connections     Series
	RoomConnections map[int64]Series
	Nodes           []string // the nodes that kept figures, sorted
	Activity        []Activity
	Questions       []Question
	Rounds          []Round
	Quizzes         []Quiz
	Boards          []Board
	Feed            Feed
	// Surveys are the surveys' results, each question as a chart in the
	// survey's order (chartOf draws a kind it does not know, such as a
	// rating grid, from its export rows); Questions holds the other polls.
	Surveys []Survey
}

// Talk is a session of the programme and its participation.
type Talk struct {
	live.Talk
	Room          string
	Participation live.RoomParticipation
}

// Series is a value per minute: its points, and its peak and when.
type Series struct {
	Points []Point
	Peak   int
	PeakAt time.Time
}

// Point is one minute of a series.
type Point struct {
	Minute time.Time
	Value  int
}

// Activity is one minute of the event: joins, votes, answers and posts.
type Activity struct {
	Minute                       time.Time
	Joins, Votes, Answers, Posts int
}

// Question is one question's results.
type Question struct {
	Poll     live.Poll
	Room     string
	Quiz     string // the quiz it belongs to, if any
	Chart    Chart
	Answered int64 // respondents (for choices and scale: votes)
}

// Chart is how a question's results are drawn: Bars, a Cloud of words or
// Cards of text. Exactly one is set, except for a question nobody
// answered, whose chart is empty.
type Chart struct {
	Bars  []Bar
	Cloud []Word
	Cards []Card
	// Unit names what Bars count: "votes", "points" (a ranking's Borda
	// points) or "answers".
	Unit string
}

// Bar is one bar: the audience's and the jury's parts, and whether it is a
// right answer.
type Bar struct {
	Label    string
	Audience int64
	Jury     int64
	Right    bool
}

// Word is a word of a cloud and the people who sent it.
type Word struct {
	Text  string
	Count int64
}

// Card is an approved open-text answer.
type Card struct {
	Text    string
	Upvotes int
	Pinned  bool
}

// Round is a pitch round: its ranking and each pitch's distribution.
type Round struct {
	Round      live.Round
	Room       string
	JuryWeight int
	Ranking    []live.RankEntry
	// Scores are, by pitch id, the votes per score (index 0 is score 1),
	// audience and jury apart; Total is the round's, summed over pitches.
	Scores map[int64]live.CountResults
	Total  live.CountResults
}

// Quiz is a quiz's podium (its first three places) and how many played.
type Quiz struct {
	Quiz    live.Quiz
	Podium  []live.Standing
	Players int
}

// Board is a board's top entries (at most 10), by upvotes.
type Board struct {
	Board   live.Board
	Top     []live.Entry
	Entries int // its public entries
}

// Feed is the feed's volume per minute and its moments, by room.
type Feed struct {
	Volume   Series
	Total    int
	BySource map[string]int
	Moments  []live.Moment
}

// Survey is one survey's results.
type Survey struct {
	Title     string
	Questions []Question
}

// TeamReport is a team's report for a sponsors' evening.
type TeamReport struct {
	Event    live.Event
	Lang     string
	Made     time.Time
	Round    Round
	Entry    live.RankEntry // the team's line in its round's ranking
	Pitch    live.Pitch
	Requests int // meeting requests received
	// People are the requests themselves, only when the report may hold
	// personal data (Options.Personal).
	People []live.MeetingRequest
}

// maxMinutes caps the minutes a series spans: a week.
const maxMinutes = 7 * 24 * 60

// language returns the report's language for opts and ev, or EInvalid.
func language(opts Options, ev live.Event) (string, error) {
	switch opts.Lang {
	case "fr", "en":
		return opts.Lang, nil
	case "":
		if len(ev.Languages) > 0 && ev.Languages[0] == "fr" {
			return "fr", nil
		}
		return "en", nil
	}
	return "", &live.Error{Code: live.EInvalid, Field: "lang", Message: "lang must be fr or en."}
}

// Build gathers the report of the event with the given code.
func Build(ctx context.Context, src Sources, code string, opts Options) (*Report, error) {
	m, err := src.Show.Model(code)
	if err != nil {
		return nil, err
	}
	lang, err := language(opts, m.Event)
	if err != nil {
		return nil, err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	res, err := src.Show.Results(ctx, code)
	if err != nil {
		return nil, err
	}
	counts, err := src.Show.PitchCounts(ctx, code)
	if err != nil {
		return nil, err
	}
	r := &Report{Event: m.Event, Lang: lang, Made: now.UTC(), Rooms: m.Rooms, RoomConnections: map[int64]Series{}}
	roomName := map[int64]string{}
	for _, room := range m.Rooms {
		roomName[room.ID] = room.Name
	}
	if r.Participation, err = src.Store.Participation(ctx, m.Event.ID); err != nil {
		return nil, err
	}
	if r.Talks, err = talks(ctx, src.Store, m.Event.ID, roomName); err != nil {
		return nil, err
	}
	figs, err := src.Store.Figures(ctx, m.Event.ID)
	if err != nil {
		return nil, err
	}
	from := m.Event.CreatedAt.UTC().Truncate(time.Minute)
	if len(figs) > 0 && figs[0].Minute.Before(from) {
		from = figs[0].Minute
	}
	from = later(from, now.Add(-maxMinutes*time.Minute).UTC().Truncate(time.Minute))
	vol, err := src.Store.FeedVolume(ctx, m.Event.ID, from, now.Add(time.Minute))
	if err != nil {
		return nil, err
	}
	r.figures(figs, vol)

	r.questions(m, res.Polls, roomName)
	for _, rr := range res.Rounds {
		round := Round{Round: rr.Round, Room: roomName[rr.Round.RoomID], JuryWeight: m.Event.JuryWeight, Ranking: rr.Ranking,
			Scores: map[int64]live.CountResults{}}
		round.Total = live.CountResults{Counts: make([]int64, rr.Round.Scale), JuryCounts: make([]int64, rr.Round.Scale)}
		for _, p := range rr.Round.Pitches {
			c := counts[p.ID]
			round.Scores[p.ID] = c
			addCounts(round.Total.Counts, c.Counts)
			addCounts(round.Total.JuryCounts, c.JuryCounts)
		}
		round.Total.Audience, round.Total.Jury = live.Summarize(round.Total.Counts), live.Summarize(round.Total.JuryCounts)
		r.Rounds = append(r.Rounds, round)
	}
	for _, q := range res.Quizzes {
		podium := q.Standings[:min(3, len(q.Standings))]
		r.Quizzes = append(r.Quizzes, Quiz{Quiz: q.Quiz, Podium: podium, Players: len(q.Standings)})
	}
	if src.Boards != nil {
		if err := r.boards(ctx, src.Boards, code); err != nil {
			return nil, err
		}
	}
	if src.Feed != nil {
		for _, room := range m.Rooms {
			page, err := src.Feed.Moments(ctx, code, room.ID, from, now, feed.PeakOptions{})
			if err != nil {
				return nil, err
			}
			r.Feed.Moments = append(r.Feed.Moments, page.Moments...)
		}
		slices.SortFunc(r.Feed.Moments, func(a, b live.Moment) int { return a.At.Compare(b.At) })
	}
	return r, nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func addCounts(dst, src []int64) {
	for i := range min(len(dst), len(src)) {
		dst[i] += src[i]
	}
}

// figures turns the stored figures and the feed's volume into series.
func (r *Report) figures(figs []live.Figure, vol []live.VolumeCount) {
	conns := map[time.Time]int{}
	rooms := map[int64]map[time.Time]int{}
	act := map[time.Time]*Activity{}
	nodes := map[string]bool{}
	activity := func(m time.Time) *Activity {
		a := act[m]
		if a == nil {
			a = &Activity{Minute: m}
			act[m] = a
		}
		return a
	}
	for _, f := range figs {
		nodes[f.Node] = true
		if f.RoomID != 0 && f.ConnPeak > 0 {
			conns[f.Minute] += f.ConnPeak
			if rooms[f.RoomID] == nil {
				rooms[f.RoomID] = map[time.Time]int{}
			}
			rooms[f.RoomID][f.Minute] += f.ConnPeak
		}
		if f.Joins+f.Votes+f.Answers > 0 {
			a := activity(f.Minute)
			a.Joins += f.Joins
			a.Votes += f.Votes
			a.Answers += f.Answers
		}
	}
	posts := map[time.Time]int{}
	r.Feed.BySource = map[string]int{}
	for _, v := range vol {
		activity(v.Minute).Posts += v.Count
		posts[v.Minute] += v.Count
		r.Feed.Total += v.Count
		r.Feed.BySource[v.Source] += v.Count
	}
	r.Connections = seriesOf(conns)
	for id, m := range rooms {
		r.RoomConnections[id] = seriesOf(m)
	}
	r.Feed.Volume = seriesOf(posts)
	for _, a := range act {
		r.Activity = append(r.Activity, *a)
	}
	slices.SortFunc(r.Activity, func(a, b Activity) int { return a.Minute.Compare(b.Minute) })
	for n := range nodes {
		r.Nodes = append(r.Nodes, n)
	}
	sort.Strings(r.Nodes)
}

// Totals sums the activity of every minute.
func (r *Report) Totals() Activity {
	var t Activity
	for _, a := range r.Activity {
		t.Joins += a.Joins
		t.Votes += a.Votes
		t.Answers += a.Answers
		t.Posts += a.Posts
	}
	return t
}

// totalsLine says the totals of the activity in lang.
func (r *Report) totalsLine() string {
	t := r.Totals()
	return fmt.Sprintf("%d %s · %d %s · %d %s · %d %s", t.Joins, tr(r.Lang, "joins"), t.Votes, tr(r.Lang, "votes"),
		t.Answers, tr(r.Lang, "answers"), t.Posts, tr(r.Lang, "posts"))
}

// seriesOf returns the minutes of m in order, the minutes between them at
// zero (at most maxMinutes), and the peak.
func seriesOf(m map[time.Time]int) Series {
	var s Series
	if len(m) == 0 {
		return s
	}
	keys := make([]time.Time, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b time.Time) int { return a.Compare(b) })
	first := later(keys[0], keys[len(keys)-1].Add(-maxMinutes*time.Minute))
	for t := first; !t.After(keys[len(keys)-1]); t = t.Add(time.Minute) {
		v := m[t]
		s.Points = append(s.Points, Point{t, v})
		if v > s.Peak {
			s.Peak, s.PeakAt = v, t
		}
	}
	return s
}

// boards gathers every board's top entries.
func (r *Report) boards(ctx context.Context, src Boards, code string) error {
	bs, err := src.Boards(ctx, code)
	if err != nil {
		return err
	}
	for _, b := range bs {
		es, err := src.Entries(ctx, code, b.ID, live.SortTop, true, nil)
		if err != nil {
			return err
		}
		r.Boards = append(r.Boards, Board{Board: b, Top: es[:min(10, len(es))], Entries: len(es)})
	}
	return nil
}

// answered returns a question's respondents: its results' own count, or
// the "respondents" export row, or the sum of its rows.
func answered(res any, rows []live.ExportRow) int64 {
	switch v := res.(type) {
	case live.CountResults:
		return v.Audience.Count + v.Jury.Count
	case live.QuizQuestionResults:
		return v.Audience.Count + v.Jury.Count
	}
	var sum int64
	for _, row := range rows {
		if row.Item == "respondents" {
			return row.Audience + row.Jury
		}
		sum += row.Audience + row.Jury
	}
	return sum
}

// chartOf draws a question's results by its kind. A kind this package does
// not know (one added later, such as a survey's rating grid) is drawn from
// its export rows, one bar each.
func chartOf(p live.Poll, res any, rows []live.ExportRow) Chart {
	label := func(i int) string {
		if i < len(p.Choices) {
			return string(rune('A'+i)) + "  " + p.Choices[i]
		}
		return fmt.Sprint(i + 1)
	}
	countBars := func(c live.CountResults) []Bar {
		n := max(len(c.Counts), len(c.JuryCounts), len(p.Choices))
		if p.Kind == live.PollScale && p.ScaleMax > n {
			n = p.ScaleMax
		}
		bars := make([]Bar, n)
		for i := range bars {
			bars[i] = Bar{Label: label(i), Right: slices.Contains(p.Correct, i+1)}
			if i < len(c.Counts) {
				bars[i].Audience = c.Counts[i]
			}
			if i < len(c.JuryCounts) {
				bars[i].Jury = c.JuryCounts[i]
			}
		}
		return bars
	}
	switch v := res.(type) {
	case live.CountResults:
		return Chart{Bars: countBars(v), Unit: "votes"}
	case live.QuizQuestionResults:
		return Chart{Bars: countBars(v.CountResults), Unit: "votes"}
	case live.MultipleResults:
		return Chart{Bars: countBars(live.CountResults{Counts: v.Counts, JuryCounts: v.JuryCounts}), Unit: "votes"}
	case live.BordaResults:
		var bars []Bar
		for _, it := range v.Items {
			bars = append(bars, Bar{Label: fmt.Sprintf("%d. %s", it.Place, choice(p, it.Item)), Audience: it.Points, Jury: it.JuryPoints})
		}
		return Chart{Bars: bars, Unit: "points"}
	case live.CloudResults:
		var words []Word
		for _, w := range v.Words {
			if w.State == "" || w.State == "shown" {
				words = append(words, Word{Text: w.Word, Count: w.Count})
			}
		}
		slices.SortStableFunc(words, func(a, b Word) int { return cmp.Compare(b.Count, a.Count) })
		return Chart{Cloud: words[:min(40, len(words))]}
	case live.OpenTextResults:
		var cards []Card
		for _, a := range v.Answers {
			if a.State == "approved" {
				cards = append(cards, Card{Text: a.Text, Upvotes: a.Upvotes, Pinned: a.Pinned})
			}
		}
		slices.SortStableFunc(cards, func(a, b Card) int {
			if a.Pinned != b.Pinned {
				if a.Pinned {
					return -1
				}
				return 1
			}
			return cmp.Compare(b.Upvotes, a.Upvotes)
		})
		return Chart{Cards: cards[:min(30, len(cards))]}
	}
	var bars []Bar
	for _, row := range rows {
		if row.Item != "respondents" {
			bars = append(bars, Bar{Label: row.Item, Audience: row.Audience, Jury: row.Jury})
		}
	}
	return Chart{Bars: bars, Unit: "answers"}
}

func choice(p live.Poll, item int) string {
	if item >= 1 && item <= len(p.Choices) {
		return p.Choices[item-1]
	}
	return fmt.Sprint(item)
}

// talks returns the event's programme with each session's participation.
func talks(ctx context.Context, st Store, eventID int64, roomName map[int64]string) ([]Talk, error) {
	ts, err := st.Talks(ctx, eventID)
	if err != nil || len(ts) == 0 {
		return nil, err
	}
	part, err := st.TalkParticipation(ctx, eventID, ts)
	if err != nil {
		return nil, err
	}
	out := make([]Talk, len(ts))
	for i, t := range ts {
		out[i] = Talk{Talk: t, Room: roomName[t.RoomID], Participation: part[t.ID]}
	}
	return out, nil
}

// questions fills the report's questions and its surveys' from the
// polls' results: a survey's questions in the survey's order, under it.
func (r *Report) questions(m *show.Model, polls []show.PollResults, roomName map[int64]string) {
	quizTitle := map[int64]string{}
	for _, q := range m.Quizzes {
		quizTitle[q.ID] = q.Title
	}
	surveyQuestions := map[int64][]*live.Poll{}
	asked := map[int64]Question{} // a survey's questions, by poll id
	for i, p := range polls {
		q := Question{Poll: p.Poll, Room: roomName[p.Poll.RoomID], Quiz: quizTitle[p.Poll.QuizID],
			Chart: chartOf(p.Poll, p.Results, p.Rows), Answered: answered(p.Results, p.Rows)}
		if p.Poll.SurveyID == 0 {
			r.Questions = append(r.Questions, q)
			continue
		}
		asked[p.Poll.ID] = q
		surveyQuestions[p.Poll.SurveyID] = append(surveyQuestions[p.Poll.SurveyID], &polls[i].Poll)
	}
	for _, sv := range m.Surveys {
		s := Survey{Title: sv.Title}
		for _, p := range live.SurveyQuestionsOf(sv.ID, slices.Values(surveyQuestions[sv.ID])) {
			s.Questions = append(s.Questions, asked[p.ID])
		}
		r.Surveys = append(r.Surveys, s)
	}
}

// BuildTeam gathers the report of one pitch's team.
func BuildTeam(ctx context.Context, src Sources, code string, pitchID int64, opts Options) (*TeamReport, error) {
	m, err := src.Show.Model(code)
	if err != nil {
		return nil, err
	}
	lang, err := language(opts, m.Event)
	if err != nil {
		return nil, err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	res, err := src.Show.Results(ctx, code)
	if err != nil {
		return nil, err
	}
	counts, err := src.Show.PitchCounts(ctx, code)
	if err != nil {
		return nil, err
	}
	t := &TeamReport{Event: m.Event, Lang: lang, Made: now.UTC()}
	found := false
	for _, rr := range res.Rounds {
		for _, e := range rr.Ranking {
			if e.PitchID != pitchID {
				continue
			}
			found = true
			t.Entry = e
			t.Round = Round{Round: rr.Round, JuryWeight: m.Event.JuryWeight, Ranking: rr.Ranking, Scores: map[int64]live.CountResults{}}
			t.Round.Total = live.CountResults{Counts: make([]int64, rr.Round.Scale), JuryCounts: make([]int64, rr.Round.Scale)}
			for _, p := range rr.Round.Pitches {
				if p.ID == pitchID {
					t.Pitch = *p
				}
				c := counts[p.ID]
				t.Round.Scores[p.ID] = c
				addCounts(t.Round.Total.Counts, c.Counts)
				addCounts(t.Round.Total.JuryCounts, c.JuryCounts)
			}
			t.Round.Total.Audience, t.Round.Total.Jury = live.Summarize(t.Round.Total.Counts), live.Summarize(t.Round.Total.JuryCounts)
			for _, room := range m.Rooms {
				if room.ID == rr.Round.RoomID {
					t.Round.Room = room.Name
				}
			}
		}
	}
	if !found {
		return nil, live.Errorf(live.ENotFound, "No pitch %d in event %s.", pitchID, m.Event.Code)
	}
	if src.Boards != nil {
		reqs, _, err := src.Boards.MeetingRequests(ctx, code, pitchID)
		if err != nil {
			return nil, err
		}
		t.Requests = len(reqs)
		if opts.Personal {
			t.People = reqs
		}
	}
	return t, nil
}
