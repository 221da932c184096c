package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/ovation-live/ovation/live"
	"golang.org/x/crypto/bcrypt"
)

// The examples of docs/protocol.md that show a request and its answer are
// replayed against a real server, and the answers compared with the
// documented ones.
//
// The convention, in the docs: every fenced block holding such a pair is
// preceded by one HTML comment, either
//
//	<!-- example: SETUP -->            the state the block needs (docSetups)
//	<!-- example skipped: REASON -->   why it cannot be replayed
//
// A pair is an HTTP request line ("POST /api/votes", then optional headers
// and a JSON body) with its status line ("200", or "→ 200" on the same
// line) and answer; or a WebSocket client message (a JSON line of type
// auth, subscribe, unsubscribe, vote or ping) followed at once by the
// server's reply. A request line may name who sends it after its path, in
// parentheses ("(nothing)": no credentials; others are the setup's) or as
// an Authorization header; without one it is sent with the API token.
// A block whose first JSON line is a poll's definition (no "type") creates
// that poll and opens it (or starts its quiz) before its messages.
// A block of pairs without the comment fails the test, so that a new
// example is checked by default.

// docExamplesChecked is the number of pairs checked when this test was
// written: fewer means that examples lost their check.
const docExamplesChecked = 114

// docVariable says whether an answer's member differs from one run to the
// next, so that only its JSON type is compared:
//   - ids ("id", "…_id" but the client's own vote_id, "merged_into", a
//     quiz's "questions"): a setup creates what a block needs, not every
//     object made before it in the docs' story;
//   - times ("…_at", "at", "server_time", "deadline_ms", "opened_at_ms",
//     a moments range "from", "to", "minute"): the clock;
//   - secrets and random values ("token", "csrf_token", "epoch", "current"
//     (a session id), a post's "author" (named from the random participant
//     id), "upvoted" (answer ids)); "trending" (decays with the clock);
//   - the client's "user_agent" (curl in the docs, Go here).
func docVariable(key string) bool {
	switch key {
	case "vote_id", "started_at":
		return false // the client's own
	case "id", "merged_into", "questions", "at", "server_time", "deadline_ms", "opened_at_ms",
		"from", "to", "minute", "token", "csrf_token", "epoch", "current", "author", "upvoted",
		"trending", "user_agent":
		return true
	}
	return strings.HasSuffix(key, "_id") || strings.HasSuffix(key, "_at")
}

// docEnv is a server holding what a block's examples need.
type docEnv struct {
	ts          *testServer
	code        string              // the event a definition line's poll goes to
	participant string              // the token of "Bearer <participant token>" and "Bearer eyJ…"
	as          map[string][]string // headers of a request line's "(who)"
	subst       map[string]string   // the docs' text → this server's, in requests and answers
}

// docSetups builds, on a fresh server, the state each block names.
var docSetups = map[string]func(tb testing.TB) *docEnv{
	"server": func(tb testing.TB) *docEnv { return newDocEnv(newTestServer(tb, Config{}), "") },
	"login": func(tb testing.TB) *docEnv {
		h, err := bcrypt.GenerateFromPassword([]byte("1b94409a51be5f93"), bcrypt.MinCost)
		if err != nil {
			tb.Fatal(err)
		}
		e := newDocEnv(newTestServer(tb, Config{PasswordHash: string(h)}), "")
		e.as["(nothing)"] = nil
		e.as["(ended session)"] = e.session(tb, "", "1b94409a51be5f93", true)
		return e
	},
	"sso": func(tb testing.TB) *docEnv {
		return newDocEnv(newTestServer(tb, Config{OIDC: &OIDCConfig{Name: "Example SSO", Issuer: "http://127.0.0.1:1", ClientID: "ovation", ClientSecret: "secret"}}), "")
	},
	"pitch26":         func(tb testing.TB) *docEnv { return pitchNight(tb, "") },
	"pitch26-round":   func(tb testing.TB) *docEnv { return pitchNight(tb, "round") },
	"pitch-night":     func(tb testing.TB) *docEnv { return pitchNight(tb, "pitches") },
	"round-running":   func(tb testing.TB) *docEnv { return pitchNight(tb, "running") },
	"round-finished":  func(tb testing.TB) *docEnv { return pitchNight(tb, "finished") },
	"quiz":            func(tb testing.TB) *docEnv { return pitchNight(tb, "quiz") },
	"quiz-question":   func(tb testing.TB) *docEnv { return pitchNight(tb, "quiz-question") },
	"rank26":          rank26,
	"team":            func(tb testing.TB) *docEnv { return team(tb, "lea") },
	"team-event":      func(tb testing.TB) *docEnv { return team(tb, "") },
	"team-token":      func(tb testing.TB) *docEnv { return team(tb, "token") },
	"feed":            func(tb testing.TB) *docEnv { return feedEnv(tb, "") },
	"feed-webhook":    func(tb testing.TB) *docEnv { return feedEnv(tb, "webhook") },
	"feed-post":       func(tb testing.TB) *docEnv { return feedEnv(tb, "post") },
	"feed-approved":   func(tb testing.TB) *docEnv { return feedEnv(tb, "approved") },
	"feed-moments":    func(tb testing.TB) *docEnv { return feedEnv(tb, "moments") },
	"board-event":     func(tb testing.TB) *docEnv { return boardEnv(tb, "") },
	"board":           func(tb testing.TB) *docEnv { return boardEnv(tb, "board") },
	"board-entries":   func(tb testing.TB) *docEnv { return boardEnv(tb, "entries") },
	"board-approved":  func(tb testing.TB) *docEnv { return boardEnv(tb, "approved") },
	"board-upvoted":   func(tb testing.TB) *docEnv { return boardEnv(tb, "upvoted") },
	"board-two":       func(tb testing.TB) *docEnv { return boardEnv(tb, "two") },
	"opentext-upvote": opentextUpvote,
	"survey":          func(tb testing.TB) *docEnv { return surveyEnv(tb, false) },
	"survey-question": func(tb testing.TB) *docEnv { return surveyEnv(tb, true) },
	"programme":       func(tb testing.TB) *docEnv { return programmeEnv(tb, "") },
	"programme-talks": func(tb testing.TB) *docEnv { return programmeEnv(tb, "sessions") },
	"feedback":        feedbackEnv,
}

// surveyEnv is event PITCH26 with a draft survey 1 "Talk feedback" in
// room 1, and with question a required grid.
func surveyEnv(tb testing.TB, question bool) *docEnv {
	tb.Helper()
	e := pitchNight(tb, "")
	e.ts.mod(tb, "POST", "/api/events/PITCH26/surveys", map[string]any{"room_id": 1, "title": "Talk feedback", "thanks": "Thank you!"}, nil)
	if question {
		e.ts.mod(tb, "POST", "/api/events/PITCH26/polls", map[string]any{"survey_id": 1, "question": "How was the talk?", "kind": "grid",
			"choices": []string{"Content", "Speaker", "Slides"}, "scale_max": 5, "required": true}, nil)
	}
	return e
}

func newDocEnv(ts *testServer, code string) *docEnv {
	return &docEnv{ts: ts, code: code, as: map[string][]string{"(nothing)": nil}, subst: map[string]string{}}
}

// session signs in (login "" is the first administrator) and returns the
// headers of its requests; ended logs it out first.
func (e *docEnv) session(tb testing.TB, login, password string, ended bool) []string {
	tb.Helper()
	body := map[string]string{"password": password}
	if login != "" {
		body["login"] = login
	}
	r := e.ts.do(tb, "POST", "/api/login", body)
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &out) != nil {
		tb.Fatalf("login %s: %d %s", login, r.Status, r.Body)
	}
	var cookie string
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == SessionCookie {
			cookie = c.Name + "=" + c.Value
		}
	}
	h := []string{"Cookie", cookie, "X-CSRF-Token", out.CSRF}
	if ended {
		if r := e.ts.do(tb, "POST", "/api/logout", nil, h...); r.Status != http.StatusNoContent {
			tb.Fatalf("logout: %d %s", r.Status, r.Body)
		}
	}
	return h
}

// pitchNight is the docs' running example, event PITCH26 and its rooms,
// built up to stage: "" (the event), "round" (a round without pitches),
// "pitches" (three pitches, a draft choice poll and an open scale poll),
// "running" (the round on its third pitch), "finished", "quiz" (a pending
// quiz), "quiz-question" (with one question).
func pitchNight(tb testing.TB, stage string) *docEnv {
	tb.Helper()
	ts := newTestServer(tb, Config{PublicURL: "https://vote.example"})
	e := newDocEnv(ts, "PITCH26")
	ts.mod(tb, "POST", "/api/events", map[string]any{"code": "pitch26", "title": "Pitch Night 2026", "languages": []string{"en", "fr"}, "jury_code": "jury7", "jury_weight": 40}, nil)
	var room live.Room
	ts.mod(tb, "POST", "/api/events/PITCH26/rooms", map[string]any{"name": "Auditorium B"}, &room)
	e.participant = ts.join(tb, "PITCH26", map[string]any{"display_name": "Léa"}).Token
	switch stage {
	case "":
		return e
	case "quiz", "quiz-question":
		var q live.Quiz
		ts.mod(tb, "POST", "/api/events/PITCH26/quizzes", map[string]any{"room_id": 1, "title": "Pub quiz"}, &q)
		if stage == "quiz-question" {
			ts.mod(tb, "POST", "/api/events/PITCH26/polls", map[string]any{"quiz_id": q.ID, "question": "Capital of Peru?", "kind": "quiz",
				"choices": []string{"Lima", "Quito", "Cusco"}, "correct": []int{1}}, nil)
		}
		return e
	}
	var round live.Round
	ts.mod(tb, "POST", "/api/events/PITCH26/rounds", map[string]any{"room_id": 1, "title": "Grand final", "scale": 5}, &round)
	if stage == "round" {
		return e
	}
	for _, p := range []map[string]any{
		{"team": "Solaris", "presenter": "Ana Lima", "duration_s": 120, "video_url": "https://video.example/solaris.mp4"},
		{"team": "Kelp Labs", "presenter": "Tom Berg"},
		{"team": "Quill", "presenter": "Inès Moreau", "duration_s": 100},
	} {
		ts.mod(tb, "POST", fmt.Sprintf("/api/rounds/%d/pitches", round.ID), p, nil)
	}
	ts.mod(tb, "POST", "/api/events/PITCH26/polls", map[string]any{"room_id": 1, "question": "Which idea should win the public prize?", "kind": "choices",
		"choices": []string{"Solaris", "Kelp Labs", "Quill"}, "show_results": true}, nil)
	var scale live.Poll
	ts.mod(tb, "POST", "/api/events/PITCH26/polls", map[string]any{"room_id": 1, "question": "How was the evening overall?", "kind": "scale", "scale_max": 5, "position": 2}, &scale)
	ts.mod(tb, "POST", fmt.Sprintf("/api/polls/%d/actions/open", scale.ID), nil, nil)
	actions := map[string][]string{"running": {"start", "next", "next"}, "finished": {"start", "finish"}}[stage]
	for _, a := range actions {
		ts.mod(tb, "POST", fmt.Sprintf("/api/rounds/%d/actions/%s", round.ID, a), nil, nil)
	}
	return e
}

// rank26 is the event of the jury's join example: a round started in its
// room, renamed "Main stage".
func rank26(tb testing.TB) *docEnv {
	tb.Helper()
	ts := newTestServer(tb, Config{PublicURL: "https://vote.example"})
	ts.mod(tb, "POST", "/api/events", map[string]any{"code": "RANK26", "title": "Ranking demo", "languages": []string{"fr", "en"}, "jury_code": "JURY7", "jury_weight": 50}, nil)
	ts.mod(tb, "PATCH", "/api/rooms/1", map[string]any{"name": "Main stage"}, nil)
	var round live.Round
	ts.mod(tb, "POST", "/api/events/RANK26/rounds", map[string]any{"room_id": 1, "title": "Final"}, &round)
	ts.mod(tb, "POST", fmt.Sprintf("/api/rounds/%d/pitches", round.ID), map[string]any{"team": "Atlas"}, nil)
	ts.mod(tb, "POST", fmt.Sprintf("/api/rounds/%d/actions/start", round.ID), nil, nil)
	return newDocEnv(ts, "RANK26")
}

// team is the docs' team (§20): event DEMO, and with "lea" or "token" the
// operator of its room 1, Léa, signed in ("(Léa's session)", and "(an
// operator of room 1)"); with "token", Léa's token "Stage deck clicker".
func team(tb testing.TB, stage string) *docEnv {
	tb.Helper()
	ts := newTestServer(tb, Config{})
	e := newDocEnv(ts, "DEMO")
	ts.mod(tb, "POST", "/api/events", map[string]any{"code": "DEMO", "title": "Demo"}, nil)
	if stage == "" {
		return e
	}
	ts.mod(tb, "POST", "/api/accounts", map[string]any{"login": "lea", "display_name": "Léa Martin", "password": "stage-left-2026",
		"grants": []map[string]any{{"role": "operator", "event_id": 1, "room_id": 1}}}, nil)
	lea := e.session(tb, "lea", "stage-left-2026", false)
	e.as["(Léa's session)"] = lea
	e.as["(an operator of room 1)"] = lea
	if stage == "token" {
		if r := ts.do(tb, "POST", "/api/me/tokens", map[string]any{"name": "Stage deck clicker", "role": "operator", "event_id": 1, "room_id": 1, "expires_in_days": 2}, lea...); r.Status != http.StatusCreated {
			tb.Fatalf("make a token: %d %s", r.Status, r.Body)
		}
	}
	return e
}

// feedEnv is event FEED with the feed service, and with stage "webhook"
// its webhook token ("<webhook token>"), or up to stage "post" (Zoé's
// pending post), "approved" (approved), "moments" (approved, and a
// recording of room 1).
func feedEnv(tb testing.TB, stage string) *docEnv {
	tb.Helper()
	ts, _, _, _ := newFeedServer(tb)
	e := newDocEnv(ts, "FEED")
	e.participant = ts.join(tb, "FEED", map[string]any{"display_name": "Zoé"}).Token
	switch stage {
	case "":
		return e
	case "webhook":
		var wt struct {
			Token string `json:"token"`
		}
		ts.mod(tb, "POST", "/api/events/FEED/feed/webhook-token", nil, &wt)
		e.subst["<webhook token>"] = wt.Token
		return e
	}
	var item struct {
		ID int64 `json:"id"`
	}
	if r := ts.do(tb, "POST", "/api/events/FEED/feed/posts", map[string]any{"text": "Bravo la démo ! #FEED", "room_id": 1}, bearer(e.participant)...); r.Status != http.StatusCreated || json.Unmarshal(r.Body, &item) != nil {
		tb.Fatalf("post: %d %s", r.Status, r.Body)
	}
	if stage == "post" {
		return e
	}
	ts.mod(tb, "POST", fmt.Sprintf("/api/events/FEED/feed/items/%d/actions/approve", item.ID), nil, nil)
	if stage == "moments" {
		ts.mod(tb, "PATCH", "/api/events/FEED/feed/settings", map[string]any{"recordings": map[string]any{"1": map[string]any{"url": "https://video.example/main.mp4", "started_at": "2026-11-23T09:00:00Z"}}}, nil)
	}
	return e
}

// boardEnv is event BOARD with the board service, a room and a pitch
// "@Kelp Labs", up to stage: "board" (board 1, open), "entries" (Zoé's
// entry 1 and an anonymous entry 2, pending), "approved" (entry 1
// approved), "upvoted" (and upvoted by Zoé), "two" (entry 1 approved and
// pinned, entry 2 merged into it, entry 3 "Roadmap?" approved).
func boardEnv(tb testing.TB, stage string) *docEnv {
	tb.Helper()
	ts, _, room, _ := newBoardServer(tb)
	e := newDocEnv(ts, "BOARD")
	e.participant = ts.join(tb, "BOARD", map[string]any{"display_name": "Zoé"}).Token
	if stage == "" {
		return e
	}
	ts.mod(tb, "POST", "/api/events/BOARD/boards", map[string]any{"title": "Questions for this session", "room_id": room}, nil)
	if stage == "board" {
		return e
	}
	other := ts.join(tb, "BOARD", nil).Token
	for _, s := range []struct{ token, text, name string }{
		{e.participant, "Will it be open source?", "Zoé"}, {other, "Is it open-source?", ""}, {other, "Roadmap?", ""},
	} {
		if r := ts.do(tb, "POST", "/api/events/BOARD/boards/1/entries", map[string]any{"text": s.text, "display_name": s.name}, bearer(s.token)...); r.Status != http.StatusCreated {
			tb.Fatalf("entry: %d %s", r.Status, r.Body)
		}
	}
	act := func(path string, body any) { ts.mod(tb, "POST", "/api/events/BOARD/entries/"+path, body, nil) }
	switch stage {
	case "approved":
		act("1/actions/approve", nil)
	case "upvoted":
		act("1/actions/approve", nil)
		if r := ts.do(tb, "PUT", "/api/events/BOARD/entries/1/upvote", nil, bearer(e.participant)...); r.Status != http.StatusOK {
			tb.Fatalf("upvote: %d %s", r.Status, r.Body)
		}
	case "two":
		act("1/actions/approve", nil)
		act("1/actions/pin", nil)
		act("2/actions/merge", map[string]any{"into": 1})
		act("3/actions/approve", nil)
	}
	return e
}

// opentextUpvote is event PITCH26 with an open-text poll under
// post-moderation holding another participant's answer, upvoted by 12
// people: the upvote example's answer id is that answer's.
func opentextUpvote(tb testing.TB) *docEnv {
	tb.Helper()
	e := pitchNight(tb, "")
	ts := e.ts
	var poll live.Poll
	ts.mod(tb, "POST", "/api/events/PITCH26/polls", map[string]any{"room_id": 1, "question": "What will you try on Monday?", "kind": "opentext",
		"settings": map[string]any{"moderation": "post"}, "show_results": true}, &poll)
	ts.mod(tb, "POST", fmt.Sprintf("/api/polls/%d/actions/open", poll.ID), nil, nil)
	target := "poll:" + strconv.FormatInt(poll.ID, 10)
	author := ts.join(tb, "PITCH26", nil).Token
	r := ts.do(tb, "POST", "/api/votes", map[string]any{"vote_id": "a1", "target": target, "answer": "Ship small, ship often"}, bearer(author)...)
	if r.Status != http.StatusOK {
		tb.Fatalf("answer: %d %s", r.Status, r.Body)
	}
	var me struct {
		Answers map[string]struct {
			ID string `json:"id"`
		} `json:"answers"`
	}
	if r := ts.do(tb, "GET", "/api/me", nil, bearer(author)...); json.Unmarshal(r.Body, &me) != nil || me.Answers[target].ID == "" {
		tb.Fatalf("me: %d %s", r.Status, r.Body)
	}
	answer := me.Answers[target].ID
	path := fmt.Sprintf("/api/polls/%d/answers/%s/upvote", poll.ID, answer)
	for range 12 {
		fan := ts.join(tb, "PITCH26", nil).Token
		if r := ts.do(tb, "PUT", path, nil, bearer(fan)...); r.Status != http.StatusOK {
			tb.Fatalf("upvote: %d %s", r.Status, r.Body)
		}
	}
	e.subst["/api/polls/6/answers/3f9c0a1b2c3d4e5f/"] = path[:strings.LastIndex(path, "/")+1]
	e.subst["3f9c0a1b2c3d4e5f"] = answer
	return e
}

// docBlock is a fenced block of docs/protocol.md.
type docBlock struct {
	line   int    // of its opening fence, 1-based
	marker string // the HTML comment before it, without <!-- -->, or ""
	lines  []string
}

// docBlocks returns the fenced blocks of a markdown text.
func docBlocks(doc string) []docBlock {
	var blocks []docBlock
	lines := strings.Split(doc, "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "```") {
			continue
		}
		b := docBlock{line: i + 1}
		for j := i - 1; j >= 0; j-- {
			if t := strings.TrimSpace(lines[j]); t != "" {
				if s, ok := strings.CutPrefix(t, "<!--"); ok && strings.HasSuffix(s, "-->") {
					b.marker = strings.TrimSpace(strings.TrimSuffix(s, "-->"))
				}
				break
			}
		}
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			b.lines = append(b.lines, lines[i])
		}
		blocks = append(blocks, b)
	}
	return blocks
}

// docExchange is one request of a block and its documented answers: more
// than one when the same request is sent again ("a duplicate").
type docExchange struct {
	line      int
	method    string
	path      string
	who       string   // "(…)" after the path, or ""
	header    []string // request headers, in pairs
	body      string
	answers   []docAnswer
	skipped   []string // answers in another state ("→ 503 … while shutting down")
	wsRequest bool     // a WebSocket message: body is the message
}

type docAnswer struct {
	status int // 0 on the WebSocket
	header []string
	body   string // JSON or text as documented
}

var (
	requestLine = regexp.MustCompile(`^(GET|POST|PUT|PATCH|DELETE) (/\S*)(.*)$`)
	statusLine  = regexp.MustCompile(`^(?:→ )?([1-5][0-9][0-9])(?:\s+(.*))?$`)
	headerLine  = regexp.MustCompile(`^([A-Z][A-Za-z-]*): (.*)$`)
	clientTypes = []string{"auth", "subscribe", "unsubscribe", "vote", "ping"}
	replyTypes  = []string{"ack", "error", "pong", "auth_ok", "snapshot", "unsubscribed", "my_votes"}
)

// httpExchanges reads the HTTP requests of a block that come with a status.
func httpExchanges(b docBlock) []docExchange {
	var out []docExchange
	var cur *docExchange
	inAnswer := false
	flush := func() {
		if cur != nil && len(cur.answers) > 0 {
			out = append(out, *cur)
		}
		cur, inAnswer = nil, false
	}
	for k, raw := range b.lines {
		line := strings.TrimSpace(raw)
		if m := requestLine.FindStringSubmatch(line); m != nil {
			flush()
			cur = &docExchange{line: b.line + 1 + k, method: m[1], path: m[2]}
			rest := strings.TrimSpace(m[3])
			who, answer, hasAnswer := strings.Cut(rest, "→")
			who = strings.TrimSpace(who)
			if h := headerLine.FindStringSubmatch(who); h != nil {
				cur.header = append(cur.header, h[1], h[2])
			} else if strings.HasPrefix(who, "(") {
				cur.who = who[:strings.Index(who, ")")+1]
			}
			if hasAnswer {
				st := statusLine.FindStringSubmatch("→ " + strings.TrimSpace(answer))
				if st != nil {
					n, _ := strconv.Atoi(st[1])
					cur.answers = append(cur.answers, docAnswer{status: n, body: st[2]})
					inAnswer = true
				}
			}
			continue
		}
		if cur == nil {
			continue
		}
		if line == "" {
			if inAnswer {
				flush()
			}
			continue
		}
		if strings.HasPrefix(line, "→") && strings.HasPrefix(raw, " ") {
			cur.skipped = append(cur.skipped, line)
			continue
		}
		if st := statusLine.FindStringSubmatch(line); st != nil {
			n, _ := strconv.Atoi(st[1])
			cur.answers = append(cur.answers, docAnswer{status: n, body: st[2]})
			inAnswer = true
			continue
		}
		if h := headerLine.FindStringSubmatch(line); h != nil {
			if inAnswer {
				a := &cur.answers[len(cur.answers)-1]
				a.header = append(a.header, h[1], h[2])
			} else {
				cur.header = append(cur.header, h[1], h[2])
			}
			continue
		}
		if inAnswer {
			a := &cur.answers[len(cur.answers)-1]
			if a.body != "" {
				a.body += "\n"
			}
			a.body += line
		} else {
			if cur.body != "" {
				cur.body += "\n" // JSON allows it; a CSV or iCalendar body needs it
			}
			cur.body += line
		}
	}
	flush()
	return out
}

// wsLine is a JSON line of a block, decoded.
func wsLine(line string) map[string]any {
	var m map[string]any
	if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &m) != nil {
		return nil
	}
	return m
}

// wsExchanges reads the client messages of a block that are followed at
// once by their reply, and the poll definition the block starts with.
func wsExchanges(b docBlock) (def string, out []docExchange) {
	for k, raw := range b.lines {
		line := strings.TrimSpace(raw)
		m := wsLine(line)
		if m == nil {
			continue
		}
		if _, typed := m["type"]; !typed && k == 0 && m["question"] != nil {
			def = line
		}
		if !slices.Contains(clientTypes, fmt.Sprint(m["type"])) || k+1 >= len(b.lines) {
			continue
		}
		reply := wsLine(strings.TrimSpace(b.lines[k+1]))
		if reply == nil || reply["seq"] != nil || !slices.Contains(replyTypes, fmt.Sprint(reply["type"])) {
			continue
		}
		out = append(out, docExchange{line: b.line + 1 + k, body: line, wsRequest: true,
			answers: []docAnswer{{body: strings.TrimSpace(b.lines[k+1])}}})
	}
	return def, out
}

// ellipses are the docs' elisions inside JSON: "[…]", "{…the item…}", ",…,".
var ellipses = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\[…[^\[\]]*\]`), `"…"`},
	{regexp.MustCompile(`\{…[^{}]*\}`), `"…"`},
	{regexp.MustCompile(`,\s*…\s*,`), `,"…":"…",`},
	{regexp.MustCompile(`,\s*…\s*\]`), `,"…"]`},
}

// docJSON decodes the first JSON value of a documented answer, its
// elisions as wildcards ("…"), and ignores prose after it. ok is false
// when the answer is not JSON (CSV, an SVG, a remark).
func docJSON(s string) (v any, ok bool) {
	for _, e := range ellipses {
		s = e.re.ReplaceAllString(s, e.with)
	}
	if !strings.HasPrefix(s, "{") && !strings.HasPrefix(s, "[") {
		return nil, false
	}
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}

// docCompare returns how got differs from want: the same members at every
// level, of the same JSON types, with the same values but for docVariable
// members. "…" in want matches anything; a "…" member allows more members,
// a last "…" element more elements.
func docCompare(at string, want, got any, variable bool) []string {
	if want == "…" {
		return nil
	}
	kind := func(v any) string {
		switch v.(type) {
		case nil:
			return "null"
		case bool:
			return "boolean"
		case json.Number:
			return "number"
		case string:
			return "string"
		case []any:
			return "array"
		}
		return "object"
	}
	if kind(want) != kind(got) {
		return []string{fmt.Sprintf("%s: a %s (%s) in the docs, a %s (%s) from the server", at, kind(want), short(want), kind(got), short(got))}
	}
	var diffs []string
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		_, more := w["…"]
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range w {
				if !yield(k) {
					return
				}
			}
		})
		for _, k := range keys {
			if k == "…" {
				continue
			}
			gv, ok := g[k]
			if !ok {
				diffs = append(diffs, fmt.Sprintf("%s.%s: in the docs, not from the server", at, k))
				continue
			}
			diffs = append(diffs, docCompare(at+"."+k, w[k], gv, variable || docVariable(k))...)
		}
		var extra []string
		for k := range g {
			if _, ok := w[k]; !ok && !more {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		for _, k := range extra {
			diffs = append(diffs, fmt.Sprintf("%s.%s: from the server (%s), not in the docs", at, k, short(g[k])))
		}
	case []any:
		g := got.([]any)
		more := len(w) > 0 && w[len(w)-1] == "…"
		if more {
			w = w[:len(w)-1]
		}
		if len(g) < len(w) || (!more && len(g) != len(w)) {
			if variable {
				return nil // a list of ids
			}
			return []string{fmt.Sprintf("%s: %d elements in the docs, %d from the server: %s", at, len(w), len(g), short(got))}
		}
		for i := range w {
			diffs = append(diffs, docCompare(fmt.Sprintf("%s[%d]", at, i), w[i], g[i], variable)...)
		}
	default:
		if !variable && fmt.Sprint(want) != fmt.Sprint(got) {
			diffs = append(diffs, fmt.Sprintf("%s: %s in the docs, %s from the server", at, short(want), short(got)))
		}
	}
	return diffs
}

func short(v any) string {
	b, _ := json.Marshal(v)
	return live.Truncate(string(b), 120)
}

// replace applies the setup's substitutions to a documented text.
func (e *docEnv) replace(s string) string {
	keys := slices.Collect(func(yield func(string) bool) {
		for k := range e.subst {
			if !yield(k) {
				return
			}
		}
	})
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, k := range keys {
		s = strings.ReplaceAll(s, k, e.subst[k])
	}
	return s
}

// send replays a documented HTTP request.
func (e *docEnv) send(tb testing.TB, x docExchange) response {
	tb.Helper()
	var hdr []string
	credentials := false
	for i := 0; i+1 < len(x.header); i += 2 {
		name, value := x.header[i], x.header[i+1]
		if name == "Authorization" && (strings.Contains(value, "<participant token>") || strings.Contains(value, "eyJ")) {
			value = "Bearer " + e.participant
		}
		credentials = credentials || name == "Authorization"
		hdr = append(hdr, name, e.replace(value))
	}
	if h, ok := e.as[x.who]; ok && x.who != "" {
		hdr, credentials = append(hdr, h...), true
	}
	if !credentials {
		hdr = append(hdr, bearer(e.ts.Token)...)
	}
	var body any
	if x.body != "" {
		body = e.replace(x.body)
	}
	return e.ts.do(tb, x.method, e.replace(x.path), body, hdr...)
}

// check compares an answer with its documentation.
func (e *docEnv) check(want docAnswer, status int, header http.Header, body []byte) []string {
	var diffs []string
	if want.status != 0 && want.status != status {
		diffs = append(diffs, fmt.Sprintf("status %d in the docs, %d from the server (%s)", want.status, status, live.Truncate(string(body), 200)))
	}
	for i := 0; i+1 < len(want.header); i += 2 {
		name, value := want.header[i], want.header[i+1]
		switch got := header.Values(name); {
		case len(got) == 0:
			diffs = append(diffs, fmt.Sprintf("header %s: in the docs, not from the server", name))
		case name == "Set-Cookie":
			cookie, _, _ := strings.Cut(value, "=")
			if !slices.ContainsFunc(got, func(c string) bool { return strings.HasPrefix(c, cookie+"=") }) {
				diffs = append(diffs, fmt.Sprintf("cookie %s: in the docs, not from the server (%q)", cookie, got))
			}
		case !slices.Contains(got, value):
			diffs = append(diffs, fmt.Sprintf("header %s: %q in the docs, %q from the server", name, value, got))
		}
	}
	w, isJSON := docJSON(e.replace(want.body))
	if !isJSON {
		return diffs // a text answer: its status and headers
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var g any
	if err := d.Decode(&g); err != nil {
		return append(diffs, fmt.Sprintf("the server's answer is not JSON: %q", live.Truncate(string(body), 200)))
	}
	return append(diffs, docCompare("answer", w, g, false)...)
}

// readReply reads the WebSocket until a message that is no topic frame.
func readReply(tb testing.TB, c *websocket.Conn) []byte {
	tb.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
		_, b, err := c.Read(ctx)
		cancel()
		if err != nil {
			tb.Fatalf("read: %v", err)
		}
		var m map[string]any
		if json.Unmarshal(b, &m) == nil && m["seq"] == nil {
			return b
		}
	}
}

// defineWSPoll creates the poll of a block's definition line, opens it
// (or starts its quiz, or opens its survey) and maps the docs' target to it.
func (e *docEnv) defineWSPoll(tb testing.TB, def string, xs []docExchange) {
	tb.Helper()
	var body map[string]any
	if err := json.Unmarshal([]byte(def), &body); err != nil {
		tb.Fatal(err)
	}
	var poll live.Poll
	e.ts.mod(tb, "POST", "/api/events/"+e.code+"/polls", body, &poll)
	switch {
	case poll.QuizID != 0:
		e.ts.mod(tb, "POST", fmt.Sprintf("/api/quizzes/%d/actions/start", poll.QuizID), nil, nil)
	case poll.SurveyID != 0:
		e.ts.mod(tb, "POST", fmt.Sprintf("/api/surveys/%d/actions/open", poll.SurveyID), nil, nil)
	default:
		e.ts.mod(tb, "POST", fmt.Sprintf("/api/polls/%d/actions/open", poll.ID), nil, nil)
	}
	for _, x := range xs {
		if t, _ := wsLine(x.body)["target"].(string); strings.HasPrefix(t, "poll:") {
			e.subst[`"`+t+`"`] = fmt.Sprintf(`"poll:%d"`, poll.ID)
			return
		}
	}
}

// TestDocExamples replays the examples of docs/protocol.md that show a
// request and its answer (see the convention above) and compares the
// server's answers with them.
func TestDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	checked, skipped := 0, 0
	for _, b := range docBlocks(string(doc)) {
		xs := httpExchanges(b)
		def, ws := wsExchanges(b)
		xs = append(xs, ws...)
		pairs, alternatives := 0, 0
		for _, x := range xs {
			pairs += len(x.answers)
			alternatives += len(x.skipped)
		}
		setup, isExample := strings.CutPrefix(b.marker, "example:")
		reason, isSkipped := strings.CutPrefix(b.marker, "example skipped:")
		switch {
		case pairs == 0 && (isExample || isSkipped):
			t.Errorf("docs/protocol.md:%d: <!-- %s --> before a block that shows no request with its answer", b.line, b.marker)
			continue
		case pairs == 0:
			continue
		case isSkipped:
			if strings.TrimSpace(reason) == "" {
				t.Errorf("docs/protocol.md:%d: say why the example is skipped", b.line)
			}
			skipped += pairs + alternatives
			continue
		case !isExample:
			t.Errorf("docs/protocol.md:%d: %d requests with their answers, and no <!-- example: SETUP --> (or <!-- example skipped: REASON -->) before the block", b.line, pairs)
			continue
		}
		setup = strings.TrimSpace(setup)
		build, ok := docSetups[setup]
		if !ok {
			t.Errorf("docs/protocol.md:%d: no setup %q in docSetups", b.line, setup)
			continue
		}
		checked += pairs
		skipped += alternatives
		t.Run(fmt.Sprintf("line %d %s", b.line, setup), func(t *testing.T) {
			e := build(t)
			var c *websocket.Conn
			if len(ws) > 0 {
				if def != "" {
					e.defineWSPoll(t, def, ws)
				}
				c, _ = dialWS(t, e.ts, nil)
				if e.participant != "" {
					wsSend(t, c, map[string]string{"type": "auth", "token": e.participant})
					if r := readReply(t, c); !bytes.Contains(r, []byte(`"auth_ok"`)) {
						t.Fatalf("auth: %s", r)
					}
				}
			}
			for _, x := range xs {
				for _, want := range x.answers {
					var diffs []string
					if x.wsRequest {
						wsSend(t, c, e.replace(x.body))
						diffs = e.check(want, 0, nil, readReply(t, c))
					} else {
						r := e.send(t, x)
						diffs = e.check(want, r.Status, r.Header, r.Body)
					}
					for _, d := range diffs {
						t.Errorf("docs/protocol.md:%d: %s", x.line, d)
					}
				}
			}
		})
	}
	t.Logf("%d requests with their answers checked, %d skipped", checked, skipped)
	if checked < docExamplesChecked {
		t.Errorf("%d requests with their answers checked, fewer than the %d checked before", checked, docExamplesChecked)
	}
}
