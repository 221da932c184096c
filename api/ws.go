package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"
	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/stream"
	"golang.org/x/time/rate"
)

// Application close codes (RFC 6455 private range), documented in docs/protocol.md.
const (
	CloseSlowConsumer                      = stream.CloseSlowConsumer // the client did not read fast enough
	CloseFlood        websocket.StatusCode = 4029                     // too many messages refused in a row
)

// maxTopics bounds the topics one connection may follow.
const maxTopics = 8

// conn is one WebSocket connection's protocol: who is on it, what it
// follows, its message rate; the transport is the stream.Conn. Its read
// loop, and the handler it runs for each message, one at a time, own
// claims and topics; the read loop lives as long as the connection.
type conn struct {
	s         *Server
	st        *stream.Conn
	ip        string
	principal *principal // the team member signed in on this connection, or nil
	claims    *tokenClaims
	token     string         // on an edge, the participant token claims came from (to ask the core)
	asks      sync.WaitGroup // an edge's requests to the core for this connection
	topics    []string       // followed; at most maxTopics
	flood     flood
}

// flood is a connection's message rate: refused messages in a row close it.
type flood struct {
	limit   *rate.Limiter
	strikes int // messages refused in a row
}

// inMsg is every client message; Type says which fields apply.
type inMsg struct {
	Type    string `json:"type"`
	ID      string `json:"id"`       // optional; echoed in the reply
	Token   string `json:"token"`    // auth
	Topic   string `json:"topic"`    // subscribe, unsubscribe
	Epoch   string `json:"epoch"`    // subscribe: resume within this epoch…
	LastSeq uint64 `json:"last_seq"` // …after this sequence number
	voteRequest
}

// outError is the error message sent over the socket.
// ID and VoteID echo the message's own, as sent (a string, or a number in
// a message that did not decode).
type outError struct {
	Type    string `json:"type"`
	ID      any    `json:"id,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	VoteID  any    `json:"vote_id,omitempty"`
	// NeedsRole names, for a topic refused by the team's roles, the least role that may follow it.
	NeedsRole string `json:"needs_role,omitempty"`
}

func (s *Server) handleWS(c echo.Context) error {
	s.connMu.Lock()
	draining := s.draining
	if !draining {
		s.connWG.Add(1)
	}
	s.connMu.Unlock()
	if draining {
		return live.Errorf(live.EBusy, "The server is shutting down.")
	}
	who, _ := s.authenticate(c) // nil for phones and stages
	st, err := s.streams.Accept(c.Response(), c.Request(), s.originHosts(), c.RealIP())
	if err != nil {
		s.connWG.Done()
		return nil // Accept has written the response
	}
	cn := &conn{s: s, st: st, ip: c.RealIP(), principal: who,
		flood: flood{limit: rate.NewLimiter(rate.Limit(s.cfg.MessageRate), s.cfg.MessageBurst)}}

	s.connMu.Lock()
	s.conns[cn] = struct{}{}
	draining = s.draining // Shutdown may have listed the connections during the upgrade
	s.connMu.Unlock()
	s.metrics.sockets.Inc()
	if draining {
		cn.st.Close(websocket.StatusGoingAway, "server shutting down")
	}
	// The connection lives in its own goroutine (owned by connWG, ended by
	// Shutdown) so that the HTTP handler's deep stack and the request are
	// released: an idle connection costs one small goroutine.
	go func() {
		defer s.connWG.Done()
		cn.run()
		s.connMu.Lock()
		delete(s.conns, cn)
		s.connMu.Unlock()
		s.metrics.sockets.Dec()
	}()
	return nil
}

func (cn *conn) run() {
	cn.send(map[string]any{"type": "welcome", "server_time": time.Now().UnixMilli(), "epoch": cn.s.hub.Epoch(),
		"moderator": cn.principal != nil, "degraded": cn.s.edge != nil && cn.s.edge.Degraded()})
	cn.readLoop()
	cn.st.End()
	cn.asks.Wait()
	cn.st.Release()
	for _, t := range slices.Clone(cn.topics) {
		cn.untrack(t)
	}
}

func (cn *conn) readLoop() {
	var handling sync.WaitGroup // the message being handled
	for {
		typ, data, err := cn.st.Read()
		if err != nil {
			if code := websocket.CloseStatus(err); code == -1 && !errors.Is(err, context.Canceled) {
				cn.s.log.Debug("websocket read ended", "err", err)
			}
			return
		}
		if cn.st.CloseAsked() { // read only to finish the close handshake
			continue
		}
		if !cn.allow() {
			continue
		}
		if typ != websocket.MessageText {
			cn.fail("", &live.Error{Code: EBadMessage, Message: "Messages are JSON text."})
			continue
		}
		// Decoding and handling run on a short-lived goroutine, the reader
		// waiting: the reader's own stack then stays as small as a blocked
		// read needs, for the whole life of an idle connection.
		handling.Go(func() {
			m, err := decodeMessage(data)
			if err != nil {
				cn.fail(m.ID, err)
				return
			}
			cn.handle(m)
		})
		handling.Wait()
	}
}

// allow applies the per-connection message rate. A refused message gets a
// rate_limited error; a client refused FloodThreshold times in a row is
// closed with CloseFlood (the loop keeps reading, to finish the handshake).
func (cn *conn) allow() bool {
	if cn.flood.limit.Allow() {
		cn.flood.strikes = 0
		return true
	}
	cn.flood.strikes++
	if cn.flood.strikes == cn.s.cfg.FloodThreshold {
		cn.st.Close(CloseFlood, "too many messages")
	} else if cn.flood.strikes < cn.s.cfg.FloodThreshold {
		cn.fail("", live.Errorf(live.ERateLimited, "Too many messages; slow down."))
	}
	return false
}

// decodeMessage parses one client message. It accepts exactly one JSON
// object; unknown fields are ignored, wrong types and trailing data are
// EBadMessage errors, as a *badMessage that echoes what could be recovered
// of the message's id and vote_id. A message without a known type is left
// to handle.
func decodeMessage(data []byte) (inMsg, error) {
	var m inMsg
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		bad := recoverIDs(data)
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			field := typeErr.Field[strings.LastIndexByte(typeErr.Field, '.')+1:] // "voteRequest.value": the embedded struct's name is no field of the message
			bad.err = &live.Error{Code: EBadMessage, Field: field, Message: field + " must be " + jsonKind(typeErr.Type.Kind()) + "."}
		} else {
			bad.err = &live.Error{Code: EBadMessage, Message: "The message is not a JSON object of the documented shape."}
		}
		return inMsg{}, bad
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) { // More would miss a stray '}' or ']'
		bad := recoverIDs(data)
		bad.err = &live.Error{Code: EBadMessage, Message: "Send one JSON object per message."}
		return inMsg{}, bad
	}
	if len(m.ID) > 64 {
		return inMsg{}, &live.Error{Code: EBadMessage, Field: "id", Message: "id must be at most 64 bytes."}
	}
	return m, nil
}

// badMessage is a message that could not be decoded, with its id and
// vote_id as sent (a string or a number; nil when absent or unusable), so
// that the client can match the error to what it sent.
type badMessage struct {
	err        *live.Error
	id, voteID any
}

func (b *badMessage) Error() string { return b.err.Error() }
func (b *badMessage) Unwrap() error { return b.err }

// recoverIDs reads the id and vote_id of a message that did not decode, if
// it is one JSON object: each as sent, when it is a string of at most 64
// bytes or a number.
func recoverIDs(data []byte) *badMessage {
	var fields map[string]json.RawMessage
	_ = json.NewDecoder(bytes.NewReader(data)).Decode(&fields)
	scalar := func(raw json.RawMessage) any {
		var s string
		var n json.Number
		switch {
		case json.Unmarshal(raw, &s) == nil && s != "" && len(s) <= 64:
			return s
		case len(raw) <= 32 && json.Unmarshal(raw, &n) == nil:
			return n
		}
		return nil
	}
	return &badMessage{id: scalar(fields["id"]), voteID: scalar(fields["vote_id"])}
}

// jsonKind names the JSON value a Go field of kind k takes.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		return "a whole number, 0 or more"
	case reflect.Bool:
		return "true or false"
	}
	return "of the documented type"
}

func (cn *conn) handle(m inMsg) {
	switch m.Type {
	case "ping":
		cn.reply(m, map[string]any{"type": "pong", "server_time": time.Now().UnixMilli()})
	case "auth":
		claims, err := cn.s.verifyToken(m.Token)
		if err != nil {
			cn.fail(m.ID, err)
			return
		}
		cn.claims = &claims
		if cn.s.edge != nil {
			cn.token = m.Token
		}
		cn.reply(m, map[string]any{"type": "auth_ok", "participant_id": claims.ParticipantID, "event_id": claims.EventID,
			"jury": claims.Jury, "display_name": claims.Name})
	case "subscribe":
		cn.subscribe(m)
	case "unsubscribe":
		if !slices.Contains(cn.topics, m.Topic) {
			cn.fail(m.ID, &live.Error{Code: live.ENotFound, Field: "topic", Message: "Not subscribed to this topic."})
			return
		}
		cn.s.hub.Unsubscribe(m.Topic, cn.st.Subscriber())
		cn.untrack(m.Topic)
		cn.reply(m, map[string]any{"type": "unsubscribed", "topic": m.Topic})
	case "vote":
		if cn.claims == nil {
			cn.failVote(m, live.Errorf(live.EUnauthorized, "Send an auth message with your participant token first."))
			return
		}
		if time.Now().Unix() >= cn.claims.Expires {
			cn.failVote(m, live.Errorf(live.EUnauthorized, "This participant token has expired; join the event again."))
			return
		}
		cn.vote(m)
	case "":
		cn.fail(m.ID, &live.Error{Code: EBadMessage, Field: "type", Message: "The message has no type."})
	default:
		cn.fail(m.ID, &live.Error{Code: EUnknown, Field: "type", Message: "Unknown message type " + strconv.Quote(live.Truncate(m.Type, 32)) + "."})
	}
}

// subscribe follows a room or stage topic (anyone) or an event's control
// topic (the team members who may view the event).
func (cn *conn) subscribe(m inMsg) {
	kind, idText, _ := strings.Cut(m.Topic, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 || (kind != "room" && kind != "stage" && kind != "control") {
		cn.fail(m.ID, &live.Error{Code: live.EInvalid, Field: "topic", Message: `Topic must look like "room:3", "stage:3" or "control:1".`})
		return
	}
	if kind == "control" && cn.principal == nil {
		cn.fail(m.ID, &live.Error{Code: live.EForbidden, Field: "topic", NeedsRole: string(live.RoleViewer), Message: "Only the event's team may follow the control topic."})
		return
	}
	if scope := (live.Scope{EventID: id}); kind == "control" && !cn.principal.can(live.PermView, scope) {
		err := cn.s.refusal(live.PermView, scope)
		err.Field = "topic"
		cn.fail(m.ID, err)
		return
	}
	if !cn.s.topicExists(m.Topic, kind, id) {
		msg := "No such room."
		if kind == "control" {
			msg = "No such event."
		}
		cn.fail(m.ID, &live.Error{Code: live.ENotFound, Field: "topic", Message: msg})
		return
	}
	followed := slices.Contains(cn.topics, m.Topic)
	if !followed && len(cn.topics) >= maxTopics {
		cn.fail(m.ID, &live.Error{Code: live.EInvalid, Field: "topic", Message: "Too many topics on one connection."})
		return
	}
	if !followed {
		cn.topics = append(cn.topics, m.Topic)
		if kind == "room" {
			cn.s.metrics.roomConns.WithLabelValues(m.Topic).Inc()
		}
	}
	cn.s.hub.Subscribe(m.Topic, cn.st.Subscriber(), m.Epoch, m.LastSeq)
	if cn.claims != nil && kind == "room" {
		cn.sendMyVotes()
	}
}

// sendMyVotes sends the participant's counted votes: from the engine, or on
// an edge from the core (GET /api/me), without holding up the read loop.
func (cn *conn) sendMyVotes() {
	if cn.s.edge == nil {
		who := voterOf(*cn.claims)
		cn.send(map[string]any{"type": "my_votes", "votes": cn.s.engine.MyVotes(who), "answers": cn.s.engine.MyAnswers(who)})
		return
	}
	r, err := http.NewRequestWithContext(cn.st.Context(), http.MethodGet, "/api/me", http.NoBody)
	if err != nil {
		return
	}
	r.RequestURI = "/api/me"
	r.Header.Set(echo.HeaderAuthorization, "Bearer "+cn.token)
	cn.asks.Go(func() {
		res, err := cn.s.edge.Do(cn.st.Context(), r, cn.ip)
		var me struct {
			Votes   map[string]json.RawMessage `json:"votes"`
			Answers map[string]json.RawMessage `json:"answers"`
		}
		if err != nil || res.Status != http.StatusOK || json.Unmarshal(res.Body, &me) != nil {
			return // the phone keeps what it knows; the next subscribe asks again
		}
		cn.send(map[string]any{"type": "my_votes", "votes": me.Votes, "answers": me.Answers})
	})
}

func (cn *conn) untrack(topic string) {
	cn.topics = slices.DeleteFunc(cn.topics, func(t string) bool { return t == topic })
	if strings.HasPrefix(topic, "room:") {
		cn.s.metrics.roomConns.WithLabelValues(topic).Dec()
	}
}

// topicExists reports whether topic ("room:3", "stage:3", "control:1"; its
// kind and id already parsed) names a room or event: from the engine, or on
// an edge from the hub, which holds every topic's snapshot (each room's
// stage frame, each event's stats).
func (s *Server) topicExists(topic, kind string, id int64) bool {
	if s.edge != nil {
		return s.hub.Has(topic)
	}
	if kind != "control" {
		_, err := s.engine.RoomEvent(id)
		return err == nil
	}
	for _, e := range s.engine.Events() {
		if e.ID == id {
			return true
		}
	}
	return false
}

func (cn *conn) send(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		cn.s.log.Error("encode message", "err", err)
		return
	}
	cn.st.Send(b)
}

// reply sends v (a message object) with the id of the message it answers, if any.
func (cn *conn) reply(m inMsg, v map[string]any) {
	if m.ID != "" {
		v["id"] = m.ID
	}
	cn.send(v)
}

func (cn *conn) fail(id string, err error) {
	e := outError{Type: "error", ID: textOrNil(id), Code: live.ErrorCode(err), Message: live.ErrorMessage(err), Field: fieldOf(err)}
	if bad, ok := err.(*badMessage); ok {
		e.ID, e.VoteID = bad.id, bad.voteID
	}
	if ae, ok := err.(*live.Error); ok {
		e.NeedsRole = ae.NeedsRole
	}
	cn.send(e)
}

func (cn *conn) failVote(m inMsg, err error) {
	cn.send(outError{Type: "error", ID: textOrNil(m.ID), Code: live.ErrorCode(err), Message: live.ErrorMessage(err), Field: fieldOf(err), VoteID: textOrNil(m.VoteID)})
}

// textOrNil is s, or nil (left out of a JSON object) when s is empty.
func textOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func fieldOf(err error) string {
	var e *live.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// presence publishes, every second, the number of phones (followers of the
// room topic) and screens (of the stage topic) per room to the stage topic,
// and each event's live numbers to its control topic. The hub skips frames
// that did not change. The phones are not sent the count: no phone shows
// it, and while people arrive it changes every second, as a second tally
// to every phone of the room.
func (s *Server) presence(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, ev := range s.engine.Events() {
			m, err := s.engine.Model(ev.Code)
			if err != nil {
				continue
			}
			counts := map[string]int{}
			for _, r := range m.Rooms {
				phones, screens := s.count(hub.RoomTopic(r.ID)), s.count(hub.StageTopic(r.ID))
				counts[strconv.FormatInt(r.ID, 10)] = phones
				frame := live.MustJSON(map[string]any{"type": "presence", "connected": phones, "screens": screens})
				s.hub.Publish(hub.StageTopic(r.ID), "presence", frame)
			}
			accepted, _ := s.engine.VoteCounts(ev.ID)
			s.hub.Publish(hub.ControlTopic(ev.ID), "stats", live.MustJSON(map[string]any{"type": "stats",
				"connected": counts, "votes_stored": s.engine.StoredVotes(ev.ID), "votes_accepted": accepted, "server_time": time.Now().UnixMilli()}))
		}
	}
}

// Run runs the API's background work until ctx ends: the WebSocket
// keepalive pings, the checks of team members' sessions and, where the engine runs, presence and stats frames
// (on an edge the core publishes them).
func (s *Server) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.streams.Run(ctx) })
	wg.Go(func() { s.revalidate(ctx, s.cfg.RevalidateInterval) })
	if s.engine != nil {
		s.presence(ctx)
	}
	wg.Wait()
}

var _ http.Handler = (*Server)(nil)
