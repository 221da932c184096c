package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/ovation-live/ovation/live"
)

// answerPolls is an event of one room with a poll of each kind that takes
// text or a list, created closed; open opens one (closing the one before).
type answerPolls struct {
	ts    *testServer
	code  string
	room  int64
	polls map[string]int64 // by kind
	open  int64
}

func newAnswerPolls(tb testing.TB, ts *testServer, code string) *answerPolls {
	tb.Helper()
	f := newFixture(tb, ts, code)
	ts.mod(tb, "POST", fmt.Sprintf("/api/polls/%d/actions/close", f.PollID), nil, nil)
	a := &answerPolls{ts: ts, code: code, room: f.RoomID, polls: map[string]int64{}}
	for _, p := range []map[string]any{
		{"kind": live.PollMultiple, "choices": []string{"A", "B", "C", "D"}},
		{"kind": live.PollWordCloud},
		{"kind": live.PollOpenText, "settings": map[string]any{"moderation": "post"}},
		{"kind": live.PollRanking, "choices": []string{"A", "B", "C"}},
	} {
		p["room_id"], p["question"], p["show_results"] = f.RoomID, "Q?", true
		var poll live.Poll
		ts.mod(tb, "POST", "/api/events/"+code+"/polls", p, &poll)
		a.polls[poll.Kind] = poll.ID
	}
	return a
}

// target opens the poll of kind and returns its target.
func (a *answerPolls) target(tb testing.TB, kind string) string {
	tb.Helper()
	id := a.polls[kind]
	if a.open != id {
		if a.open != 0 {
			a.ts.mod(tb, "POST", fmt.Sprintf("/api/polls/%d/actions/close", a.open), nil, nil)
		}
		a.ts.mod(tb, "POST", fmt.Sprintf("/api/polls/%d/actions/open", id), nil, nil)
		a.open = id
	}
	return "poll:" + strconv.FormatInt(id, 10)
}

// voteBody is the body of an HTTP vote with answer inserted as it is,
// bytes and all.
func voteBody(voteID, target string, answer []byte) []byte {
	return fmt.Appendf(nil, `{"vote_id":%q,"target":%q,"answer":%s}`, voteID, target, answer)
}

// voteMessage is voteBody as a WebSocket vote message of id "m-" + voteID.
func voteMessage(voteID, target string, answer []byte) []byte {
	return fmt.Appendf(nil, `{"type":"vote","id":"m-%s",%s`, voteID, voteBody(voteID, target, answer)[1:])
}

// TestAnswerTextMustBeUTF8 sends answers whose text is not UTF-8 (invalid
// bytes, an escaped lone surrogate) over HTTP and the WebSocket: both are
// refused as invalid, naming the field answer, nothing changes, and no
// frame the server writes holds invalid UTF-8.
func TestAnswerTextMustBeUTF8(t *testing.T) {
	ts := newTestServer(t, Config{VoteRate: 100, VoteBurst: 100})
	a := newAnswerPolls(t, ts, "UTF")
	target := a.target(t, live.PollOpenText)
	p := ts.join(t, a.code, nil)
	c, _ := dialWS(t, ts, nil)
	wsAuth(t, c, p.Token)
	before := ts.state(t, a.code)
	for i, answer := range []string{"\"caf\xE9\xFF\"", `"caf\ud800"`, "[\"\xc3\"]"} {
		id := strconv.Itoa(i)
		r := ts.do(t, "POST", "/api/votes", voteBody("h"+id, target, []byte(answer)), bearer(p.Token)...)
		wantError(t, r, 400, live.EInvalid)
		if !utf8.Valid(r.Body) || !strings.Contains(string(r.Body), `"field":"answer"`) {
			t.Errorf("HTTP answer to %q: %s", answer, r.Body)
		}
		wsSend(t, c, voteMessage("w"+id, target, []byte(answer)))
		f := expectError(t, c, live.EInvalid)
		if f.ID != "m-w"+id || f.VoteID != "w"+id || f.Field != "answer" || !utf8.Valid(f.raw) {
			t.Errorf("WebSocket answer to %q: %s, want invalid with the message's id and vote_id", answer, f.raw)
		}
	}
	if after := ts.state(t, a.code); after != before {
		t.Errorf("state changed")
	}
}

// TestAckEchoesCanonicalAnswer checks that the ack, over HTTP and the
// WebSocket, echoes the answer as counted, not as sent, and that an answer
// over MaxAnswerLen gets the one message the docs give.
func TestAckEchoesCanonicalAnswer(t *testing.T) {
	ts := newTestServer(t, Config{VoteRate: 100, VoteBurst: 100})
	a := newAnswerPolls(t, ts, "CANON")
	c, _ := dialWS(t, ts, nil)
	p := ts.join(t, a.code, nil)
	wsAuth(t, c, p.Token)
	for i, tc := range []struct{ kind, sent, counted string }{
		{live.PollMultiple, "[4,1]", "[1,4]"},
		{live.PollMultiple, "[ 2 , 3 ]", "[2,3]"},
		{live.PollWordCloud, `["AI", "ai", "  Cloud   native "]`, `["AI","Cloud native"]`},
		{live.PollOpenText, `"  Ship\tsmaller\n "`, `"Ship smaller"`},
		{live.PollRanking, "[3,1,2]", "[3,1,2]"},
	} {
		target := a.target(t, tc.kind)
		id := strconv.Itoa(i)
		r := ts.do(t, "POST", "/api/votes", voteBody("h"+id, target, []byte(tc.sent)), bearer(p.Token)...)
		var ack struct {
			Answer json.RawMessage `json:"answer"`
			Status string          `json:"status"`
		}
		if err := json.Unmarshal(r.Body, &ack); err != nil || r.Status != 200 || string(ack.Answer) != tc.counted {
			t.Errorf("HTTP ack of %s %s: %d %s, want answer %s", tc.kind, tc.sent, r.Status, r.Body, tc.counted)
		}
		wsSend(t, c, voteMessage("w"+id, target, []byte(tc.sent)))
		f := expect(t, c, "ack")
		if err := json.Unmarshal(f.raw, &ack); err != nil || string(ack.Answer) != tc.counted || ack.Status != live.VoteChanged {
			t.Errorf("WebSocket ack of %s %s: %s, want changed with answer %s", tc.kind, tc.sent, f.raw, tc.counted)
		}
	}
	long := strconv.Quote(strings.Repeat("x", live.MaxAnswerLen))
	r := ts.do(t, "POST", "/api/votes", voteBody("long", a.target(t, live.PollOpenText), []byte(long)), bearer(p.Token)...)
	wantError(t, r, 400, live.EBadValue)
	if got, want := live.ErrorMessage(errorOf(t, r)), "An answer is 1 to 2048 bytes of JSON."; got != want {
		t.Errorf("message for an answer over 2048 bytes = %q, want %q", got, want)
	}
}

// errorOf decodes the error of an HTTP answer.
func errorOf(tb testing.TB, r response) error {
	tb.Helper()
	var b errorBody
	if err := json.Unmarshal(r.Body, &b); err != nil {
		tb.Fatalf("not an error body: %s", r.Body)
	}
	return &live.Error{Code: b.Error.Code, Message: b.Error.Message, Field: b.Error.Field}
}

// FuzzFramesAreUTF8 sends arbitrary bytes to a real server, as a whole
// WebSocket message, as the answer of a vote on each kind, and as the body
// of an HTTP vote, and fails if any frame or answer the server writes is
// not valid UTF-8 JSON: a browser must fail a connection that sends a text
// frame of invalid UTF-8 (RFC 6455, close 1007).
func FuzzFramesAreUTF8(f *testing.F) {
	for _, seed := range []string{
		"\"caf\xE9\xFF\"", `"caf\ud800"`, `"\udc00"`, `"\ud83d\ude00 ok"`, "[\"\xc3\", \"x\"]", `[4,1]`, `["a\u0000b"]`,
		`"` + strings.Repeat("é", 1100) + `"`, "{\"type\":\"\xff\",\"id\":\"\xfe\"}", `{"type":"subscribe","topic":"room:\ud800"}`,
		"{\"type\":\"vote\",\"id\":\"\xe9\",\"vote_id\":\"\xe9\",\"target\":\"poll:1\",\"value\":1}", "\xff", `null`, ``,
	} {
		f.Add([]byte(seed))
	}
	ts := newTestServer(f, Config{VoteRate: 1e6, VoteBurst: 1e6, MessageRate: 1e6, MessageBurst: 1e6})
	a := newAnswerPolls(f, ts, "FUZZ")
	targets := []string{a.target(f, live.PollOpenText)} // one poll open at a time: the others refuse with voting_closed
	for _, k := range []string{live.PollMultiple, live.PollWordCloud, live.PollRanking} {
		targets = append(targets, "poll:"+strconv.FormatInt(a.polls[k], 10))
	}
	p := ts.join(f, a.code, nil)
	c, _ := dialWS(f, ts, nil)
	wsAuth(f, c, p.Token)
	wsSend(f, c, map[string]string{"type": "subscribe", "topic": "room:" + strconv.FormatInt(a.room, 10)})
	n := 0
	f.Fuzz(func(t *testing.T, data []byte) {
		n++
		wsSend(t, c, data)
		for i, target := range targets {
			wsSend(t, c, voteMessage(fmt.Sprintf("f%d-%d", n, i), target, data))
		}
		wsSend(t, c, fmt.Sprintf(`{"type":"ping","id":"end%d"}`, n))
		ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
		defer cancel()
		for {
			typ, b, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if typ != websocket.MessageText || !utf8.Valid(b) || !json.Valid(b) {
				t.Fatalf("after %q the server wrote %q, not UTF-8 JSON text", data, b)
			}
			if bytes.Contains(b, fmt.Appendf(nil, `"id":"end%d"`, n)) {
				break
			}
		}
		r := ts.do(t, "POST", "/api/votes", voteBody(fmt.Sprintf("h%d", n), targets[0], data), bearer(p.Token)...)
		if !utf8.Valid(r.Body) {
			t.Fatalf("after %q the HTTP answer is %q, not UTF-8", data, r.Body)
		}
	})
}
