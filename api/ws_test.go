package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
)

// frame is any message the server sends; the fields cover every type.
type frame struct {
	Type          string         `json:"type"`
	ID            string         `json:"id"`
	Code          string         `json:"code"`
	Field         string         `json:"field"`
	VoteID        string         `json:"vote_id"`
	Target        string         `json:"target"`
	Value         int            `json:"value"`
	Status        string         `json:"status"`
	Topic         string         `json:"topic"`
	Seq           *uint64        `json:"seq"`
	Total         int64          `json:"total"`
	Moderator     bool           `json:"moderator"`
	ParticipantID int64          `json:"participant_id"`
	DisplayName   string         `json:"display_name"`
	Votes         map[string]int `json:"votes"`
	Frames        []frame        `json:"frames"`
	raw           []byte
}

const wsTimeout = 10 * time.Second

// wsURL is the WebSocket endpoint of ts.
func (ts *testServer) wsURL() string { return "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws" }

// dialWS opens a WebSocket to ts as a browser page of the allowed origin
// would (hdr may replace the Origin or add credentials) and reads the
// welcome message. The connection is closed when the test ends.
func dialWS(tb testing.TB, ts *testServer, hdr http.Header) (*websocket.Conn, frame) {
	tb.Helper()
	h := http.Header{"Origin": {ts.Origin}}
	maps.Copy(h, hdr)
	ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
	defer cancel()
	c, res, err := websocket.Dial(ctx, ts.wsURL(), &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		tb.Fatalf("dial: status %d: %v", status, err)
	}
	c.SetReadLimit(1 << 20)
	tb.Cleanup(func() { _ = c.CloseNow() })
	w := wsRead(tb, c)
	if w.Type != "welcome" {
		tb.Fatalf("first message = %s, want welcome", w.raw)
	}
	return c, w
}

// wsSend writes v: a string or []byte as a raw text message, anything else as JSON.
func wsSend(tb testing.TB, c *websocket.Conn, v any) {
	tb.Helper()
	var b []byte
	switch m := v.(type) {
	case string:
		b = []byte(m)
	case []byte:
		b = m
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			tb.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, b); err != nil {
		tb.Fatalf("write %s: %v", live.Truncate(string(b), 80), err)
	}
}

func wsRead(tb testing.TB, c *websocket.Conn) frame {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
	defer cancel()
	typ, b, err := c.Read(ctx)
	if err != nil {
		tb.Fatalf("read: %v", err)
	}
	if typ != websocket.MessageText {
		tb.Fatalf("server sent a %v message", typ)
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		tb.Fatalf("server sent %q: %v", b, err)
	}
	f.raw = b
	return f
}

// expect reads until a message of type typ, skipping topic frames (which
// carry a seq). Any other direct reply on the way fails the test.
func expect(tb testing.TB, c *websocket.Conn, typ string) frame {
	tb.Helper()
	for {
		f := wsRead(tb, c)
		if f.Type == typ {
			return f
		}
		if f.Seq == nil {
			tb.Fatalf("got %s, want a %q message", live.Truncate(string(f.raw), 300), typ)
		}
	}
}

// expectError reads the next reply and fails unless it is an error with code.
func expectError(tb testing.TB, c *websocket.Conn, code string) frame {
	tb.Helper()
	f := expect(tb, c, "error")
	if f.Code != code {
		tb.Fatalf("error code %q (%s), want %q", f.Code, f.raw, code)
	}
	return f
}

// expectClose reads until the connection ends and fails unless the server
// closed it with code.
func expectClose(tb testing.TB, c *websocket.Conn, code websocket.StatusCode) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
	defer cancel()
	for {
		_, _, err := c.Read(ctx)
		if err == nil {
			continue
		}
		if got := websocket.CloseStatus(err); got != code {
			tb.Fatalf("connection ended with %v (status %d), want close %d", err, got, code)
		}
		return
	}
}

// usable checks that the connection still answers a ping.
func usable(tb testing.TB, c *websocket.Conn) {
	tb.Helper()
	wsSend(tb, c, map[string]string{"type": "ping", "id": "still-there"})
	if f := expect(tb, c, "pong"); f.ID != "still-there" {
		tb.Fatalf("pong id %q", f.ID)
	}
}

// wsAuth authenticates c with a participant token.
func wsAuth(tb testing.TB, c *websocket.Conn, token string) frame {
	tb.Helper()
	wsSend(tb, c, map[string]string{"type": "auth", "id": "auth", "token": token})
	return expect(tb, c, "auth_ok")
}

func TestWSBadInput(t *testing.T) {
	ts := newTestServer(t, Config{MessageRate: 1000, MessageBurst: 1000})
	f := newFixture(t, ts, "WSBAD")
	other := newFixture(t, ts, "WSOTHER")
	p := ts.join(t, f.Code, nil)
	claims, err := ts.srv.verifyToken(p.Token)
	if err != nil {
		t.Fatal(err)
	}
	expiredClaims := claims
	expiredClaims.Expires = time.Now().Add(-time.Second).Unix()
	expired := ts.srv.signToken(expiredClaims)
	forged := signed("guess", claims)
	if r := ts.vote(t, p.Token, "seed", f.openPitch(), 2); r.Status != 200 {
		t.Fatalf("seed vote: %d %s", r.Status, r.Body)
	}

	vote := func(target string, value int) map[string]any {
		return map[string]any{"type": "vote", "id": "m1", "vote_id": "ws-bad", "target": target, "value": value}
	}
	sub := func(topic string) map[string]any {
		return map[string]any{"type": "subscribe", "id": "m1", "topic": topic}
	}
	type tc struct {
		name   string
		msg    any
		binary bool
		code   string
		voteID bool // the error names the vote
	}
	anonymous := []tc{
		{name: "malformed JSON is a bad message", msg: `{"type":`, code: EBadMessage},
		{name: "an array is a bad message", msg: `[{"type":"ping"}]`, code: EBadMessage},
		{name: "a string is a bad message", msg: `"ping"`, code: EBadMessage},
		{name: "a number is a bad message", msg: `42`, code: EBadMessage},
		{name: "null is a bad message", msg: `null`, code: EBadMessage},
		{name: "an empty message is a bad message", msg: ``, code: EBadMessage},
		{name: "an object without type is a bad message", msg: `{}`, code: EBadMessage},
		{name: "two objects are a bad message", msg: `{"type":"ping"} {"type":"ping"}`, code: EBadMessage},
		{name: "trailing garbage is a bad message", msg: `{"type":"ping"} x`, code: EBadMessage},
		{name: "a trailing brace is a bad message", msg: `{"type":"ping"}}`, code: EBadMessage},
		{name: "a trailing bracket is a bad message", msg: `{"type":"ping"}]`, code: EBadMessage},
		{name: "a wrong field type is a bad message", msg: `{"type":"vote","vote_id":"x","target":"pitch:1","value":"5"}`, code: EBadMessage},
		{name: "a numeric type is a bad message", msg: `{"type":5}`, code: EBadMessage},
		{name: "a long id is a bad message", msg: map[string]string{"type": "ping", "id": strings.Repeat("i", 65)}, code: EBadMessage},
		{name: "an id of 33 é (66 bytes) is a bad message", msg: map[string]string{"type": "ping", "id": strings.Repeat("é", 33)}, code: EBadMessage},
		{name: "a binary message is a bad message", msg: `{"type":"ping"}`, binary: true, code: EBadMessage},
		{name: "an unknown type is unknown", msg: map[string]string{"type": "launch", "id": "m1"}, code: EUnknown},
		{name: "types are case sensitive", msg: map[string]any{"type": "VOTE", "id": "m1", "vote_id": "x", "target": f.openPitch(), "value": 3}, code: EUnknown},
		{name: "a vote before auth is unauthorized", msg: vote(f.openPitch(), 3), code: live.EUnauthorized, voteID: true},
		{name: "auth with a forged token is unauthorized", msg: map[string]string{"type": "auth", "id": "m1", "token": forged}, code: live.EUnauthorized},
		{name: "auth with an expired token is unauthorized", msg: map[string]string{"type": "auth", "id": "m1", "token": expired}, code: live.EUnauthorized},
		{name: "auth with garbage is unauthorized", msg: map[string]string{"type": "auth", "id": "m1", "token": "x.y"}, code: live.EUnauthorized},
		{name: "auth without token is unauthorized", msg: map[string]string{"type": "auth", "id": "m1"}, code: live.EUnauthorized},
		{name: "auth with the API token is unauthorized", msg: map[string]string{"type": "auth", "id": "m1", "token": testAPIToken}, code: live.EUnauthorized},
		{name: "the control topic is forbidden to the audience", msg: sub(hub.ControlTopic(f.EventID)), code: live.EForbidden},
		{name: "an unknown room is not found", msg: sub("room:999999"), code: live.ENotFound},
		{name: "another event's control topic is forbidden", msg: sub(hub.ControlTopic(other.EventID)), code: live.EForbidden},
		{name: "unsubscribing an unknown topic is not found", msg: map[string]string{"type": "unsubscribe", "id": "m1", "topic": "room:1"}, code: live.ENotFound},
	}
	for _, topic := range []string{"", "room", "room:", "room:abc", "room:-1", "room:0", "room:1:2", " room:1", "lobby:1", "control:x", "ROOM:1"} {
		anonymous = append(anonymous, tc{name: fmt.Sprintf("topic %q is invalid", topic), msg: sub(topic), code: live.EInvalid})
	}
	// No message type performs a moderator action, whatever it is called.
	for _, typ := range []string{"action", "round_action", "pitch_action", "poll_action", "reset_votes", "create_event", "reveal", "open", "close", "login"} {
		anonymous = append(anonymous, tc{name: "moderator action " + typ + " is unknown",
			msg: map[string]any{"type": typ, "id": "m1", "action": "open", "target": f.openPitch(), "round_id": f.RoundID, "pitch_id": f.Pitches[2]}, code: EUnknown})
	}
	authed := []tc{
		{name: "a vote on a closed pitch is refused", msg: vote(f.closedPitch(), 3), code: live.EVotingClosed, voteID: true},
		{name: "a vote on a pending pitch is refused", msg: vote(f.pendingPitch(), 3), code: live.EVotingClosed, voteID: true},
		{name: "a vote of zero is a bad value", msg: vote(f.openPitch(), 0), code: live.EBadValue, voteID: true},
		{name: "a vote above the scale is a bad value", msg: vote(f.openPitch(), 6), code: live.EBadValue, voteID: true},
		{name: "a vote above the choices is a bad value", msg: vote(f.poll(), 4), code: live.EBadValue, voteID: true},
		{name: "a vote for an unknown pitch is not found", msg: vote("pitch:999999", 3), code: live.ENotFound, voteID: true},
		{name: "a vote in another event is not found", msg: vote(other.openPitch(), 3), code: live.ENotFound, voteID: true},
		{name: "a vote for a bad target is invalid", msg: vote("pitch:x", 3), code: live.EInvalid, voteID: true},
		{name: "a vote without id is invalid", msg: map[string]any{"type": "vote", "id": "m1", "target": f.openPitch(), "value": 3}, code: live.EInvalid},
		{name: "the control topic is still forbidden", msg: sub(hub.ControlTopic(f.EventID)), code: live.EForbidden},
		{name: "a forged re-auth is unauthorized", msg: map[string]string{"type": "auth", "id": "m1", "token": forged}, code: live.EUnauthorized},
	}

	run := func(t *testing.T, c *websocket.Conn, cases []tc) {
		for _, k := range cases {
			t.Run(k.name, func(t *testing.T) {
				before := ts.state(t, f.Code)
				if k.binary {
					ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
					err := c.Write(ctx, websocket.MessageBinary, []byte(k.msg.(string)))
					cancel()
					if err != nil {
						t.Fatal(err)
					}
				} else {
					wsSend(t, c, k.msg)
				}
				e := expectError(t, c, k.code)
				if m, ok := k.msg.(map[string]any); ok && e.ID != m["id"] {
					t.Errorf("error id %q, want %q", e.ID, m["id"])
				}
				if k.voteID && e.VoteID != "ws-bad" {
					t.Errorf("error vote_id %q, want ws-bad", e.VoteID)
				}
				usable(t, c)
				if after := ts.state(t, f.Code); after != before {
					t.Errorf("state changed:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	}

	t.Run("anonymous", func(t *testing.T) {
		c, w := dialWS(t, ts, nil)
		if w.Moderator {
			t.Fatal("an anonymous connection is a moderator")
		}
		run(t, c, anonymous)
	})
	t.Run("participant bearer on the upgrade", func(t *testing.T) {
		c, w := dialWS(t, ts, http.Header{"Authorization": {"Bearer " + p.Token}})
		if w.Moderator {
			t.Fatal("a participant token made a moderator connection")
		}
		run(t, c, anonymous)
	})
	t.Run("authenticated participant", func(t *testing.T) {
		c, _ := dialWS(t, ts, nil)
		if ok := wsAuth(t, c, p.Token); ok.ParticipantID != p.ID {
			t.Fatalf("auth_ok for %d, want %d", ok.ParticipantID, p.ID)
		}
		run(t, c, authed)
		// The failed re-auth kept the valid identity.
		wsSend(t, c, map[string]any{"type": "vote", "vote_id": "after", "target": f.poll(), "value": 1})
		if a := expect(t, c, "ack"); a.Status != live.VoteCounted {
			t.Fatalf("ack %s", a.raw)
		}
	})
	t.Run("vote after auth with an expired token is unauthorized", func(t *testing.T) {
		c, _ := dialWS(t, ts, nil)
		wsSend(t, c, map[string]string{"type": "auth", "token": expired})
		expectError(t, c, live.EUnauthorized)
		before := ts.state(t, f.Code)
		wsSend(t, c, vote(f.openPitch(), 5))
		expectError(t, c, live.EUnauthorized)
		if after := ts.state(t, f.Code); after != before {
			t.Errorf("state changed")
		}
	})
}

// TestWSBadMessageEchoesIDs sends votes with fields of the wrong type: the
// error carries the message's id and vote_id as sent, names the field, and
// nothing changes.
func TestWSBadMessageEchoesIDs(t *testing.T) {
	ts := newTestServer(t, Config{MessageRate: 1000, MessageBurst: 1000})
	f := newFixture(t, ts, "WSIDS")
	p := ts.join(t, f.Code, nil)
	c, _ := dialWS(t, ts, nil)
	wsAuth(t, c, p.Token)
	target := f.openPitch()
	for _, k := range []struct {
		name, msg, id, voteID, field string
	}{
		{"a value as a string", `{"type":"vote","id":"m1","vote_id":"v1","target":"` + target + `","value":"5"}`, `"m1"`, `"v1"`, "value"},
		{"a fractional value", `{"type":"vote","id":"m2","vote_id":"v2","target":"` + target + `","value":2.5}`, `"m2"`, `"v2"`, "value"},
		{"a value in exponent form", `{"type":"vote","id":"m3","vote_id":"v3","target":"` + target + `","value":1e9}`, `"m3"`, `"v3"`, "value"},
		{"a numeric vote_id", `{"type":"vote","id":"m4","vote_id":17,"target":"` + target + `","value":3}`, `"m4"`, `17`, "vote_id"},
		{"a numeric id", `{"type":"vote","id":9,"vote_id":"v5","target":"` + target + `","value":3}`, `9`, `"v5"`, "id"},
		{"trailing data", `{"type":"vote","id":"m6","vote_id":"v6","target":"` + target + `","value":3} x`, `"m6"`, `"v6"`, ""},
	} {
		t.Run(k.name+" is a bad message that names the vote", func(t *testing.T) {
			before := ts.state(t, f.Code)
			wsSend(t, c, k.msg)
			ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
			_, b, err := c.Read(ctx) // raw: the ids may be numbers
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			var e map[string]json.RawMessage
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatal(err)
			}
			if string(e["code"]) != `"`+EBadMessage+`"` || string(e["id"]) != k.id || string(e["vote_id"]) != k.voteID {
				t.Errorf("error %s: want %s with id %s and vote_id %s", b, EBadMessage, k.id, k.voteID)
			}
			if k.field != "" && string(e["field"]) != `"`+k.field+`"` {
				t.Errorf("error %s: want field %s", b, k.field)
			}
			if after := ts.state(t, f.Code); after != before {
				t.Errorf("state changed")
			}
		})
	}
}

func TestWSTokenExpiresOnOpenConnection(t *testing.T) {
	ts := newTestServer(t, Config{TokenTTL: time.Second})
	f := newFixture(t, ts, "WSTTL")
	p := ts.join(t, f.Code, nil)
	c, _ := dialWS(t, ts, nil)
	wsAuth(t, c, p.Token)
	<-time.After(time.Until(time.Unix(p.ExpiresAt, 0)) + 10*time.Millisecond)
	before := ts.state(t, f.Code)
	wsSend(t, c, map[string]any{"type": "vote", "vote_id": "late", "target": f.openPitch(), "value": 3})
	expectError(t, c, live.EUnauthorized)
	if after := ts.state(t, f.Code); after != before {
		t.Errorf("state changed")
	}
}

func TestWSReadLimit(t *testing.T) {
	const limit = 1024
	ts := newTestServer(t, Config{ReadLimit: limit})
	f := newFixture(t, ts, "WSBIG")
	p := ts.join(t, f.Code, nil)
	c, _ := dialWS(t, ts, nil)
	wsAuth(t, c, p.Token)

	t.Run("a message of exactly the limit is read", func(t *testing.T) {
		msg := `{"type":"ping","id":"edge","pad":"`
		msg += strings.Repeat("x", limit-len(msg)-2) + `"}`
		if len(msg) != limit {
			t.Fatalf("len %d", len(msg))
		}
		wsSend(t, c, msg)
		if f := expect(t, c, "pong"); f.ID != "edge" {
			t.Fatalf("pong %s", f.raw)
		}
	})
	t.Run("a larger message closes with 1009 and changes nothing", func(t *testing.T) {
		before := ts.state(t, f.Code)
		msg := `{"type":"vote","vote_id":"big","target":"` + f.openPitch() + `","value":5,"pad":"` + strings.Repeat("x", limit) + `"}`
		wsSend(t, c, msg)
		expectClose(t, c, websocket.StatusMessageTooBig)
		if after := ts.state(t, f.Code); after != before {
			t.Errorf("state changed")
		}
	})
}

// TestWSFloodCloses floods a connection as a misbehaving client would: 37
// pings, a vote, 80 pings. Every message within the burst is answered
// (the vote with its ack, after the commit), every refused one with
// rate_limited until the threshold-th refusal, which closes the connection
// with CloseFlood; nothing owed is dropped on the way out.
func TestWSFloodCloses(t *testing.T) {
	const burst, threshold = 40, 50
	ts := newTestServer(t, Config{MessageRate: 0.001, MessageBurst: burst, FloodThreshold: threshold, VoteRate: 100, VoteBurst: 100})
	f := newFixture(t, ts, "FLOOD")
	for run := range 5 {
		p := ts.join(t, f.Code, nil)
		c, _ := dialWS(t, ts, nil)
		wsSend(t, c, map[string]string{"type": "auth", "token": p.Token}) // the burst's first message
		voteID := "flood-" + strconv.Itoa(run)
		var msgs []string
		for i := range 36 {
			msgs = append(msgs, `{"type":"ping","id":"`+strconv.Itoa(i)+`"}`)
		}
		msgs = append(msgs, `{"type":"vote","id":"v","vote_id":"`+voteID+`","target":"`+f.openPitch()+`","value":4}`)
		for i := range 80 {
			msgs = append(msgs, `{"type":"ping","id":"late-`+strconv.Itoa(i)+`"}`)
		}
		for _, m := range msgs {
			ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
			err := c.Write(ctx, websocket.MessageText, []byte(m))
			cancel()
			if err != nil {
				break // the server may already have closed
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
		var pongs, limited, acks int
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				if got := websocket.CloseStatus(err); got != CloseFlood {
					t.Fatalf("run %d: connection ended with %v (status %d), want %d", run, err, got, CloseFlood)
				}
				break
			}
			var fr frame
			if err := json.Unmarshal(b, &fr); err != nil {
				t.Fatal(err)
			}
			switch {
			case fr.Type == "pong":
				pongs++
			case fr.Type == "ack" && fr.VoteID == voteID:
				acks++
			case fr.Type == "error" && fr.Code == live.ERateLimited:
				limited++
			case fr.Type == "welcome", fr.Type == "auth_ok":
			default:
				t.Fatalf("run %d: unexpected %s", run, b)
			}
		}
		cancel()
		// The burst: auth, 36 pings, the vote and 2 more pings.
		if pongs != burst-2 || acks != 1 || limited != threshold-1 {
			t.Errorf("run %d: %d pongs, %d acks, %d rate_limited before the close; want %d, 1, %d", run, pongs, acks, limited, burst-2, threshold-1)
		}
	}
}

func TestWSModerator(t *testing.T) {
	ts := newTestServer(t, Config{})
	f := newFixture(t, ts, "WSMOD")
	control := hub.ControlTopic(f.EventID)

	t.Run("the API token follows the control topic", func(t *testing.T) {
		c, w := dialWS(t, ts, http.Header{"Authorization": {"Bearer " + ts.Token}})
		if !w.Moderator {
			t.Fatal("welcome.moderator is false")
		}
		wsSend(t, c, map[string]string{"type": "subscribe", "topic": control})
		s := expect(t, c, "snapshot")
		if s.Topic != control || !slices.ContainsFunc(s.Frames, func(fr frame) bool { return fr.Type == "model" }) {
			t.Fatalf("snapshot %s", live.Truncate(string(s.raw), 300))
		}
		wsSend(t, c, map[string]string{"type": "subscribe", "id": "x", "topic": "control:999999"})
		expectError(t, c, live.ENotFound)
	})
	t.Run("a session cookie from the allowed origin follows the control topic", func(t *testing.T) {
		cookie, _ := ts.login(t)
		c, w := dialWS(t, ts, http.Header{"Cookie": {cookie.Name + "=" + cookie.Value}})
		if !w.Moderator {
			t.Fatal("welcome.moderator is false")
		}
		wsSend(t, c, map[string]string{"type": "subscribe", "topic": control})
		if s := expect(t, c, "snapshot"); s.Topic != control {
			t.Fatalf("snapshot %s", live.Truncate(string(s.raw), 300))
		}
	})
	t.Run("a wrong API token is an audience connection", func(t *testing.T) {
		c, w := dialWS(t, ts, http.Header{"Authorization": {"Bearer " + ts.Token + "x"}})
		if w.Moderator {
			t.Fatal("welcome.moderator is true")
		}
		wsSend(t, c, map[string]string{"type": "subscribe", "topic": control})
		expectError(t, c, live.EForbidden)
	})
	t.Run("one connection follows at most eight topics", func(t *testing.T) {
		var rooms []int64
		for i := range maxTopics {
			var r live.Room
			ts.mod(t, "POST", "/api/events/"+f.Code+"/rooms", map[string]string{"name": "Room " + strconv.Itoa(i)}, &r)
			rooms = append(rooms, r.ID)
		}
		c, _ := dialWS(t, ts, nil)
		for _, id := range rooms {
			wsSend(t, c, map[string]string{"type": "subscribe", "topic": hub.RoomTopic(id)})
			expect(t, c, "snapshot")
		}
		wsSend(t, c, map[string]string{"type": "subscribe", "topic": hub.RoomTopic(f.RoomID)})
		expectError(t, c, live.EInvalid)
		// Subscribing again to a followed topic is not a new topic.
		wsSend(t, c, map[string]string{"type": "subscribe", "topic": hub.RoomTopic(rooms[0])})
		expect(t, c, "snapshot")
		wsSend(t, c, map[string]string{"type": "unsubscribe", "id": "u", "topic": hub.RoomTopic(rooms[0])})
		if u := expect(t, c, "unsubscribed"); u.ID != "u" {
			t.Fatalf("unsubscribed %s", u.raw)
		}
		wsSend(t, c, map[string]string{"type": "subscribe", "topic": hub.RoomTopic(f.RoomID)})
		expect(t, c, "snapshot")
	})
}

func TestWSOriginRefused(t *testing.T) {
	ts := newTestServer(t, Config{})
	cookie, _ := ts.login(t)
	for name, origin := range map[string]string{
		"foreign":      evilOrigin,
		"other scheme": strings.Replace(ts.Origin, "http:", "https:", 1),
		"null":         "null",
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
			defer cancel()
			c, res, err := websocket.Dial(ctx, ts.wsURL(), &websocket.DialOptions{HTTPHeader: http.Header{
				"Origin": {origin}, "Cookie": {cookie.Name + "=" + cookie.Value}}})
			if err == nil {
				c.CloseNow()
				t.Fatal("upgrade from a foreign origin succeeded")
			}
			if res == nil || res.StatusCode != http.StatusForbidden {
				t.Fatalf("response %v, want 403", res)
			}
			b, _ := io.ReadAll(res.Body)
			if r := (response{Body: b}); r.code() != live.EForbidden {
				t.Errorf("body %s, want code forbidden", b)
			}
		})
	}
}

func TestVoteSamePathOverWSAndHTTP(t *testing.T) {
	ts := newTestServer(t, Config{})
	f := newFixture(t, ts, "SAME")
	p := ts.join(t, f.Code, nil)
	c, _ := dialWS(t, ts, nil)
	wsAuth(t, c, p.Token)

	wsVote := func(voteID string, value int) map[string]any {
		t.Helper()
		wsSend(t, c, map[string]any{"type": "vote", "vote_id": voteID, "target": f.openPitch(), "value": value})
		a := expect(t, c, "ack")
		var m map[string]any
		if err := json.Unmarshal(a.raw, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	httpVote := func(voteID string, value int) map[string]any {
		t.Helper()
		r := ts.vote(t, p.Token, voteID, f.openPitch(), value)
		if r.Status != http.StatusOK {
			t.Fatalf("vote: %d %s", r.Status, r.Body)
		}
		var m map[string]any
		if err := json.Unmarshal(r.Body, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	want := func(ack map[string]any, voteID string, value int, status string) {
		t.Helper()
		exp := map[string]any{"type": "ack", "vote_id": voteID, "target": f.openPitch(), "value": float64(value), "status": status}
		if !maps.Equal(ack, exp) {
			t.Errorf("ack = %v, want %v", ack, exp)
		}
	}

	want(wsVote("v1", 4), "v1", 4, live.VoteCounted)
	want(httpVote("v1", 4), "v1", 4, live.VoteDuplicate)
	want(httpVote("v2", 2), "v2", 2, live.VoteChanged)
	want(wsVote("v2", 2), "v2", 2, live.VoteDuplicate)
	want(wsVote("v1", 4), "v1", 4, live.VoteDuplicate) // an old id stays a no-op

	var res show.Results
	ts.mod(t, "GET", "/api/events/"+f.Code+"/results", nil, &res)
	for _, e := range res.Rounds[0].Ranking {
		if e.PitchID == f.Pitches[1] && (e.Audience.Count != 1 || e.Audience.Sum != 2) {
			t.Errorf("tally %+v, want one vote of 2", e.Audience)
		}
	}
	// A newly subscribed room sends the participant's votes.
	wsSend(t, c, map[string]string{"type": "subscribe", "topic": hub.RoomTopic(f.RoomID)})
	expect(t, c, "snapshot")
	if m := expect(t, c, "my_votes"); len(m.Votes) != 1 || m.Votes[f.openPitch()] != 2 {
		t.Errorf("my_votes %s", m.raw)
	}
}

// TestWSManyClients runs many phones at once: each joins, subscribes to
// the room, votes and waits until the room's tally frame counts everyone.
func TestWSManyClients(t *testing.T) {
	const phones = 24
	ts := newTestServer(t, Config{})
	f := newFixture(t, ts, "MANY")
	ts.mod(t, "POST", fmt.Sprintf("/api/pitches/%d/actions/show_results", f.Pitches[1]), nil, nil)
	room := hub.RoomTopic(f.RoomID)

	joins := make([]joinResponse, phones)
	for i := range joins {
		joins[i] = ts.join(t, f.Code, nil)
	}
	conns := make([]*websocket.Conn, phones)
	for i := range conns {
		conns[i], _ = dialWS(t, ts, nil)
	}
	errs := make(chan error, phones)
	var wg sync.WaitGroup
	for i := range phones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- phone(conns[i], joins[i].Token, room, f.openPitch(), i%5+1, phones)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	var res show.Results
	ts.mod(t, "GET", "/api/events/"+f.Code+"/results", nil, &res)
	for _, e := range res.Rounds[0].Ranking {
		if e.PitchID == f.Pitches[1] && e.Audience.Count != phones {
			t.Errorf("tally %+v, want %d votes", e.Audience, phones)
		}
	}
}

// phone is one audience client: auth, subscribe, vote, then read until the
// tally of target counts want votes. It runs in its own goroutine, so it
// reports errors instead of failing the test.
func phone(c *websocket.Conn, token, room, target string, value, want int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, m := range []map[string]any{
		{"type": "auth", "token": token},
		{"type": "subscribe", "topic": room},
		{"type": "vote", "vote_id": "v", "target": target, "value": value},
	} {
		b, _ := json.Marshal(m)
		if err := c.Write(ctx, websocket.MessageText, b); err != nil {
			return err
		}
	}
	// The tally may count this phone's vote before its ack arrives: the
	// engine publishes once the vote is committed, while the ack waits for
	// the read loop.
	acked, total := false, int64(0)
	for !acked || total < int64(want) {
		_, b, err := c.Read(ctx)
		if err != nil {
			return fmt.Errorf("phone: acked %v, tally %d of %d: %w", acked, total, want, err)
		}
		var f frame
		if err := json.Unmarshal(b, &f); err != nil {
			return err
		}
		switch f.Type {
		case "error":
			return fmt.Errorf("phone: %s", b)
		case "ack":
			if f.Status != live.VoteCounted {
				return fmt.Errorf("phone: ack %s", b)
			}
			acked = true
		case "tally", "snapshot":
			for _, fr := range append(f.Frames, f) {
				if fr.Type == "tally" && fr.Target == target {
					total = max(total, fr.Total)
				}
			}
		}
	}
	if total != int64(want) {
		return fmt.Errorf("phone: tally %d, want %d", total, want)
	}
	return nil
}

func TestShutdownClosesWebSocketsGoingAway(t *testing.T) {
	ts := newTestServer(t, Config{})
	c, _ := dialWS(t, ts, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
		defer cancel()
		ts.srv.Shutdown(ctx)
	}()
	expectClose(t, c, websocket.StatusGoingAway)
	<-done

	ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
	defer cancel()
	_, res, err := websocket.Dial(ctx, ts.wsURL(), &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {ts.Origin}}})
	if err == nil || res == nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial while draining: %v %v, want 503", res, err)
	}
	if got := res.Header.Get("Retry-After"); got != "1" {
		t.Errorf("dial while draining: Retry-After %q, want the default 1", got)
	}
	r := ts.do(t, "GET", "/readyz", nil)
	if r.Status != http.StatusServiceUnavailable {
		t.Errorf("readyz while draining: %d", r.Status)
	}
	wantRetryAfter(t, r, 1, 1)
}

// TestBurstsWrittenInline: a connection whose peer reads gets its messages
// written by whoever queued them, in order, each burst in few writes, and
// holds no writer goroutine between bursts.
func TestBurstsWrittenInline(t *testing.T) {
	ts := newTestServer(t, Config{})
	c, _ := dialWS(t, ts, nil)
	var cn *conn
	ts.srv.connMu.Lock()
	for k := range ts.srv.conns {
		cn = k
	}
	ts.srv.connMu.Unlock()
	for burst := range 20 {
		before := cn.st.Writes()
		for i := range 50 {
			cn.send(map[string]any{"type": "test", "id": fmt.Sprintf("%d-%d", burst, i)})
		}
		for i := range 50 {
			if m := wsRead(t, c); m.ID != fmt.Sprintf("%d-%d", burst, i) {
				t.Fatalf("burst %d: message %d is %s", burst, i, m.raw)
			}
		}
		if n := cn.st.Writes() - before; n > 50 {
			t.Fatalf("burst %d: 50 messages in %d socket writes", burst, n)
		}
		for deadline := time.Now().Add(time.Second); ; time.Sleep(time.Millisecond) { // the last writer gives up its turn
			if !cn.st.Writing() {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("burst %d: a writer still runs 1 s after its messages were read", burst)
			}
		}
	}
}

// TestWSStalledReaderClosed follows a room and then stops reading while
// frames keep coming: the server closes the connection with 4008 within
// about 1.5 write timeouts of the first frame not read (the pong of the
// ping behind the frames never comes), and counts it, although every write
// went into the socket's buffers at once.
func TestWSStalledReaderClosed(t *testing.T) {
	const writeTimeout = 2 * time.Second
	ts := newTestServer(t, Config{WriteTimeout: writeTimeout})
	f := newFixture(t, ts, "STALL")
	topic := hub.RoomTopic(f.RoomID)
	c, _ := dialWS(t, ts, nil)
	wsSend(t, c, map[string]string{"type": "subscribe", "topic": topic})
	expect(t, c, "snapshot")
	before := ts.metric(t, "ovation_write_timeout_closes_total")

	// The client reads nothing from now on; frames keep coming.
	stalled := time.Now()
	stop := make(chan struct{})
	published := make(chan struct{})
	go func() {
		defer close(published)
		for i := 0; ; i++ {
			ts.srv.hub.Publish(topic, fmt.Sprintf("k%d", i%4), []byte(fmt.Sprintf(`{"type":"test","n":%d}`, i)))
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	defer func() { close(stop); <-published }()
	deadline := time.Now().Add(4 * writeTimeout)
	for ts.metric(t, "ovation_write_timeout_closes_total") == before {
		if time.Now().After(deadline) {
			t.Fatalf("a reader stalled for %v is still connected", time.Since(stalled))
		}
		time.Sleep(50 * time.Millisecond) // polling a counter
	}
	if took := time.Since(stalled); took > writeTimeout*3/2+time.Second {
		t.Errorf("closed %v after the reader stalled, want within %v", took, writeTimeout*3/2+time.Second)
	}
	// Reading again, the client finds the frames, then the close frame.
	ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
	defer cancel()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			if got := websocket.CloseStatus(err); got != CloseSlowConsumer {
				t.Fatalf("connection ended with %v (status %d), want %d", err, got, CloseSlowConsumer)
			}
			return
		}
	}
}

// metric reads a series without labels from the server's /metrics.
func (ts *testServer) metric(tb testing.TB, name string) float64 {
	tb.Helper()
	r := ts.do(tb, http.MethodGet, "/metrics", nil)
	for _, line := range strings.Split(string(r.Body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				tb.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	tb.Fatalf("no series %s on /metrics", name)
	return 0
}

// TestPresenceGoesToScreens: the stage screens get the room's numbers of
// phones and screens; the phones, which show no count, get no presence
// frame (while people arrive it would be a second tally to each of them).
func TestPresenceGoesToScreens(t *testing.T) {
	ts := newTestServer(t, Config{})
	f := newFixture(t, ts, "PRES")
	phone, _ := dialWS(t, ts, nil)
	wsSend(t, phone, map[string]string{"type": "subscribe", "topic": hub.RoomTopic(f.RoomID)})
	expect(t, phone, "snapshot")
	screen, _ := dialWS(t, ts, nil)
	wsSend(t, screen, map[string]string{"type": "subscribe", "topic": hub.StageTopic(f.RoomID)})
	expect(t, screen, "snapshot")
	for {
		m := expect(t, screen, "presence")
		if strings.Contains(string(m.raw), `"connected":1`) && strings.Contains(string(m.raw), `"screens":1`) {
			break
		}
	}
	// Every frame queued for the phone by now comes before the answer to its ping.
	wsSend(t, phone, map[string]string{"type": "ping", "id": "p1"})
	for {
		m := wsRead(t, phone)
		if m.Type == "presence" {
			t.Fatalf("a phone got %s", m.raw)
		}
		if m.Type == "pong" {
			break
		}
	}
}

// TestSeveralKeysOneWrite: frames of several keys due on one connection at
// once (a tally, the stage, the feed of one tick) go out in one write to
// the socket, in their order, the newest frame of each key only.
func TestSeveralKeysOneWrite(t *testing.T) {
	ts := newTestServer(t, Config{})
	f := newFixture(t, ts, "KEYS")
	topic := hub.RoomTopic(f.RoomID)
	c, _ := dialWS(t, ts, nil)
	wsSend(t, c, map[string]string{"type": "subscribe", "topic": topic})
	expect(t, c, "snapshot")
	var cn *conn
	ts.srv.connMu.Lock()
	for k := range ts.srv.conns {
		cn = k
	}
	ts.srv.connMu.Unlock()

	// Take the writer's turn while the frames are queued (as a broadcast
	// under way to this connection would): their kicks only leave it a
	// token; then write as the turn's holder does.
	ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
	defer cancel()
	flush, ok := cn.st.Hold(ctx) // once the snapshot's writer gives up its turn
	if !ok {
		t.Fatal("the writer of the snapshot still runs")
	}
	before := cn.st.Writes()
	for i, key := range []string{"a", "b", "a", "c", "d", "b"} {
		ts.srv.hub.Publish(topic, key, []byte(fmt.Sprintf(`{"type":"test","key":%q,"n":%d}`, key, i)))
	}
	flush()

	var got []string
	var last uint64
	for len(got) < 4 {
		m := wsRead(t, c)
		if m.Type != "test" {
			t.Fatalf("got %s, want the test frames only", m.raw)
		}
		var body struct {
			Key string `json:"key"`
			N   int    `json:"n"`
		}
		if err := json.Unmarshal(m.raw, &body); err != nil {
			t.Fatal(err)
		}
		if m.Seq == nil || *m.Seq <= last {
			t.Fatalf("frame %s out of order after seq %d", m.raw, last)
		}
		last = *m.Seq
		got = append(got, fmt.Sprintf("%s%d", body.Key, body.N))
	}
	if n := cn.st.Writes() - before; n != 1 {
		t.Errorf("%d frames written in %d socket writes, want 1", len(got), n)
	}
	if want := []string{"a2", "c3", "d4", "b5"}; !slices.Equal(got, want) {
		t.Errorf("frames %v: want the newest of each key, in sequence order", got)
	}
}

// TestWSKeepalive: an idle client that reads answers the server's pings and
// stays connected for many ping intervals; one that answered a ping and
// then stopped answering (a raw socket here, to answer by hand) is dropped
// at the next ping's deadline, without a close frame and without counting
// as a slow consumer: nothing was sent to it since its last pong.
func TestWSKeepalive(t *testing.T) {
	const interval = 300 * time.Millisecond
	ts := newTestServer(t, Config{PingInterval: interval})
	reading, _ := dialWS(t, ts, nil)
	readCtx := reading.CloseRead(context.Background()) // answers pings, as a browser does
	before := ts.metric(t, "ovation_write_timeout_closes_total")

	raw, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(raw, "GET /ws HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", raw.RemoteAddr(), ts.Origin)
	br := bufio.NewReader(raw)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", res, err)
	}
	// readFrame returns the next frame's opcode and payload (server frames are unmasked).
	readFrame := func() (byte, []byte, error) {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return 0, nil, err
		}
		n := int(h[1] & 0x7f)
		if n == 126 {
			var ext [2]byte
			if _, err := io.ReadFull(br, ext[:]); err != nil {
				return 0, nil, err
			}
			n = int(ext[0])<<8 | int(ext[1])
		}
		p := make([]byte, n)
		_, err := io.ReadFull(br, p)
		return h[0] & 0x0f, p, err
	}
	if op, p, err := readFrame(); err != nil || op != 0x1 || !strings.Contains(string(p), `"welcome"`) {
		t.Fatalf("first frame: opcode %d %q %v", op, p, err)
	}
	op, payload, err := readFrame()
	if err != nil || op != 0x9 {
		t.Fatalf("second frame: opcode %d %v, want a ping", op, err)
	}
	pong := []byte{0x8a, 0x80 | byte(len(payload)), 1, 2, 3, 4}
	for i, b := range payload {
		pong = append(pong, b^pong[2+i%4])
	}
	if _, err := raw.Write(pong); err != nil {
		t.Fatal(err)
	}
	answered := time.Now()

	// From now on it answers nothing: the next ping comes an interval
	// later and waits an interval for its pong.
	op, _, err = readFrame()
	if err != nil || op != 0x9 {
		t.Fatalf("third frame: opcode %d %v, want the next ping", op, err)
	}
	if op, p, err := readFrame(); err == nil {
		t.Fatalf("after the unanswered ping: opcode %d %q, want the connection dropped without a close frame", op, p)
	}
	took := time.Since(answered)
	if limit := 2*interval + 2*ts.srv.streams.Tick() + time.Second; took < 2*interval || took > limit {
		t.Errorf("dropped %v after its last pong, want between %v and %v", took, 2*interval, limit)
	}
	if got := ts.metric(t, "ovation_write_timeout_closes_total"); got != before {
		t.Errorf("write timeout closes went from %v to %v for an idle client", before, got)
	}

	// The reader is still there after several more intervals, every ping answered.
	time.Sleep(3 * interval)
	select {
	case <-readCtx.Done():
		t.Fatal("the client that reads was dropped")
	default:
	}
	ts.srv.connMu.Lock()
	defer ts.srv.connMu.Unlock()
	if len(ts.srv.conns) != 1 {
		t.Fatalf("%d connections, want the reading one", len(ts.srv.conns))
	}
	for cn := range ts.srv.conns {
		id, waiting := cn.st.Pings()
		if id < 4 {
			t.Errorf("%d pings answered in %v with a ping interval of %v", id, time.Since(answered), interval)
		}
		if !waiting.IsZero() && time.Since(waiting) > interval+ts.srv.streams.Tick() {
			t.Errorf("a ping written %v ago is unanswered", time.Since(waiting))
		}
	}
}

// TestConnStaysSmall: a connection's protocol state stays within a dozen
// fields (its transport is stream.Conn's).
func TestConnStaysSmall(t *testing.T) {
	if n := reflect.TypeFor[conn]().NumField(); n > 12 {
		t.Fatalf("conn has %d fields, more than 12: group them", n)
	}
}
