package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"
	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"golang.org/x/time/rate"
)

// Application close codes (RFC 6455 private range), documented in docs/protocol.md.
const (
	CloseSlowConsumer websocket.StatusCode = 4008 // the client did not read fast enough
	CloseFlood        websocket.StatusCode = 4029 // too many messages refused in a row
)

// maxTopics bounds the topics one connection may follow.
const maxTopics = 8

// conn is one WebSocket connection. Its read loop, and the handler it runs
// for each message, one at a time, own claims and topics; the read loop
// lives as long as the connection. Whoever queues a message writes it
// without blocking (see writeInline); a writer goroutine runs only for what
// does not fit in the socket's buffer and for the close handshake: an idle
// connection holds one goroutine, the reader. Keepalive pings are frames
// written like the messages, after them; their pongs arrive through the
// reader (see pong), and the pinger drops a connection whose pong is late.
type conn struct {
	s         *Server
	ws        *websocket.Conn
	nc        *outConn // the hijacked socket: what waits to be written, and how
	sub       *hub.Subscriber
	ip        string
	principal *principal // the team member signed in on this connection, or nil
	claims    *tokenClaims
	token     string         // on an edge, the participant token claims came from (to ask the core)
	asks      sync.WaitGroup // an edge's requests to the core for this connection
	topics    []string       // followed; at most maxTopics
	msgLimit  *rate.Limiter
	strikes   int
	owed      atomic.Int32 // on an edge: votes whose final answer from the core is not queued yet

	ctx    context.Context
	cancel context.CancelFunc

	closeOnce   sync.Once
	closeCode   websocket.StatusCode
	closeReason string
	closing     chan struct{}

	wmu      sync.Mutex    // guards the writer's state below
	wrunning bool          // a writer goroutine is running
	wdone    bool          // the connection is over: no writer starts
	wake     chan struct{} // work for the running writer (one token at most)
	writers  sync.WaitGroup

	pingDue  atomic.Bool   // the next write ends with a ping
	lastPing time.Time     // when the pinger last asked for a ping; guarded by s.connMu
	unproven atomic.Int64  // unix ns of the first frame written since the last ping was; 0: none
	pingID   atomic.Uint32 // payload of the last ping written
	pingSent atomic.Int64  // unix ns the last ping was written, until its pong; 0: none outstanding
	pingBusy atomic.Bool   // frames went before the outstanding ping: unanswered, the peer is not reading
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
	sb := &smallBuffers{ResponseWriter: c.Response()}
	var cn *conn // set before the reader runs, which alone calls OnPongReceived
	ws, err := websocket.Accept(sb, c.Request(), &websocket.AcceptOptions{OriginPatterns: s.originHosts(),
		OnPongReceived: func(_ context.Context, payload []byte) { cn.pong(payload) }})
	if err != nil {
		s.connWG.Done()
		return nil // Accept has written the response
	}
	ws.SetReadLimit(s.cfg.ReadLimit)
	ctx, cancel := context.WithCancel(context.Background()) // the request's context ends with the hijack
	sb.conn.timeout = s.cfg.WriteTimeout
	cn = &conn{s: s, ws: ws, nc: sb.conn, ip: c.RealIP(), principal: who,
		msgLimit: rate.NewLimiter(rate.Limit(s.cfg.MessageRate), s.cfg.MessageBurst),
		ctx:      ctx, cancel: cancel, closing: make(chan struct{}), wake: make(chan struct{}, 1), lastPing: time.Now()}
	cn.sub = s.hub.NewSubscriber(func() { cn.close(CloseSlowConsumer, "slow consumer") }, cn.kick)
	cn.sub.OnTurn(cn.wakeWriter)

	s.connMu.Lock()
	s.conns[cn] = struct{}{}
	draining = s.draining // Shutdown may have listed the connections during the upgrade
	s.connMu.Unlock()
	s.metrics.sockets.Inc()
	if draining {
		cn.close(websocket.StatusGoingAway, "server shutting down")
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

// smallBuffers hands the WebSocket library small bufio buffers for the
// hijacked connection instead of net/http's 4 KiB pair: messages here are
// small, and an idle connection then holds 1.5 KiB of buffers, not 8 KiB.
// Larger writes bypass the buffer.
// It also hands the library the socket as an outConn, through which every
// write goes (see outConn).
type smallBuffers struct {
	http.ResponseWriter
	conn *outConn
}

func (w *smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = newOutConn(nc)
	if err := brw.Writer.Flush(); err != nil {
		nc.Close()
		return nil, nil, err
	}
	buffered, _ := brw.Reader.Peek(brw.Reader.Buffered()) // cannot fail: the bytes are buffered
	pending := bytes.Clone(buffered)
	r := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(pending), nc), max(512, len(pending)))
	if _, err := r.Peek(len(pending)); err != nil { // keep bytes the client sent early in the buffer
		nc.Close()
		return nil, nil, err
	}
	return w.conn, bufio.NewReadWriter(r, bufio.NewWriterSize(w.conn, 1024)), nil
}

// close asks the writer to close the connection with code. It never blocks,
// so the hub may call it while holding its locks.
func (cn *conn) close(code websocket.StatusCode, reason string) {
	cn.closeOnce.Do(func() {
		cn.closeCode, cn.closeReason = code, reason
		close(cn.closing)
	})
	cn.kick()
}

// kick makes sure what is due gets written. If no writer runs, it writes
// the queued messages and a ping due itself, without blocking (see
// writeInline); it starts a writer goroutine for the close handshake; a running
// writer (inline or goroutine) gets a token to go round once more. It never
// blocks: the hub calls it for each frame, possibly under its locks.
func (cn *conn) kick() {
	cn.wmu.Lock()
	switch {
	case cn.wdone:
	case cn.wrunning:
		select {
		case cn.wake <- struct{}{}:
		default:
		}
	case cn.nc.raw == nil || cn.isClosing():
		cn.wrunning = true
		cn.writers.Add(1)
		go cn.writer()
	default:
		cn.wrunning = true
		cn.writers.Add(1)
		cn.wmu.Unlock()
		cn.writeInline()
		return
	}
	cn.wmu.Unlock()
}

// wakeWriter is kick for a paced broadcast's turn: it starts a writer
// goroutine, or leaves the running writer a token, but never writes
// itself, so that the pacer's goroutine does not carry the broadcast's
// writes while vote acks wait for the CPU.
func (cn *conn) wakeWriter() {
	cn.wmu.Lock()
	defer cn.wmu.Unlock()
	switch {
	case cn.wdone:
	case cn.wrunning:
		select {
		case cn.wake <- struct{}{}:
		default:
		}
	default:
		cn.wrunning = true
		cn.writers.Add(1)
		go cn.writer()
	}
}

func (cn *conn) isClosing() bool {
	select {
	case <-cn.closing:
		return true
	default:
		return cn.ctx.Err() != nil
	}
}

// writeInline writes the queued messages, and a ping due after them, from
// the goroutine that queued them (the hub's broadcast, the pacer, a reply's
// handler, the pinger), in one non-blocking write: a phone that reads has
// room in its socket buffer, so a broadcast to thousands costs no goroutine
// wake-up per connection, and a ping rides with the frames it follows. What
// does not fit, a close asked for meanwhile, and a failed socket are handed
// to a writer goroutine. The caller holds the writer's turn (wrunning,
// counted in writers).
func (cn *conn) writeInline() {
	var arr [8][]byte
	for {
		batch := cn.sub.Take(arr[:0])
		err := cn.appendDue(batch)
		clear(batch)
		var pending bool
		if err == nil {
			pending, err = cn.nc.tryFlush()
		}
		cn.wmu.Lock()
		if err != nil || pending || cn.isClosing() {
			if cn.wdone { // the connection is over: nothing more to write
				cn.wrunning = false
				cn.wmu.Unlock()
				cn.writers.Done()
				return
			}
			go cn.writer() // it takes over the turn
			cn.wmu.Unlock()
			return
		}
		select {
		case <-cn.wake: // more was queued meanwhile
			cn.wmu.Unlock()
			continue
		default:
		}
		cn.wrunning = false
		cn.wmu.Unlock()
		cn.writers.Done()
		return
	}
}

// writer writes what is due, blocking (each write bounded by the write
// timeout), until nothing is, and ends. The next kick writes inline again
// or starts another.
func (cn *conn) writer() {
	defer cn.writers.Done()
	var batch [][]byte
	for {
		var live bool
		batch, live = cn.writeOnce(batch)
		if !live {
			cn.wmu.Lock()
			cn.wrunning, cn.wdone = false, true
			cn.wmu.Unlock()
			return
		}
		if cn.writerDone() {
			return
		}
	}
}

// writerDone ends the writer unless a kick left it work: under wmu, so that
// a kick from then on writes or starts a new writer.
func (cn *conn) writerDone() bool {
	cn.wmu.Lock()
	defer cn.wmu.Unlock()
	select {
	case <-cn.wake:
		return false
	default:
		cn.wrunning = false
		return true
	}
}

func (cn *conn) run() {
	cn.send(map[string]any{"type": "welcome", "server_time": time.Now().UnixMilli(), "epoch": cn.s.hub.Epoch(),
		"moderator": cn.principal != nil, "degraded": cn.s.edge != nil && cn.s.edge.Degraded()})
	cn.readLoop()
	cn.cancel()
	cn.asks.Wait()
	cn.wmu.Lock()
	cn.wdone = true
	cn.wmu.Unlock()
	cn.writers.Wait()
	cn.s.hub.Remove(cn.sub)
	for _, t := range slices.Clone(cn.topics) {
		cn.untrack(t)
	}
	_ = cn.ws.CloseNow()
}

func (cn *conn) readLoop() {
	var handling sync.WaitGroup // the message being handled
	for {
		typ, data, err := cn.ws.Read(cn.ctx)
		if err != nil {
			if code := websocket.CloseStatus(err); code == -1 && !errors.Is(err, context.Canceled) {
				cn.s.log.Debug("websocket read ended", "err", err)
			}
			return
		}
		select {
		case <-cn.closing: // read only to finish the close handshake
			continue
		default:
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
	if cn.msgLimit.Allow() {
		cn.strikes = 0
		return true
	}
	cn.strikes++
	if cn.strikes == cn.s.cfg.FloodThreshold {
		cn.close(CloseFlood, "too many messages")
	} else if cn.strikes < cn.s.cfg.FloodThreshold {
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
	if _, err := dec.Token(); err != io.EOF { // More would miss a stray '}' or ']'
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
		cn.s.hub.Unsubscribe(m.Topic, cn.sub)
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
		if cn.s.edge != nil {
			cn.submitVote(m)
			return
		}
		ack, err := cn.s.castVote(cn.ctx, *cn.claims, cn.ip, m.voteRequest)
		if err != nil {
			cn.failVote(m, err)
			return
		}
		ack.ID = m.ID
		cn.send(ack)
	case "":
		cn.fail(m.ID, &live.Error{Code: EBadMessage, Field: "type", Message: "The message has no type."})
	default:
		cn.fail(m.ID, &live.Error{Code: EUnknown, Field: "type", Message: "Unknown message type " + strconv.Quote(truncate(m.Type, 32)) + "."})
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
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
	cn.s.hub.Subscribe(m.Topic, cn.sub, m.Epoch, m.LastSeq)
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
	r, err := http.NewRequestWithContext(cn.ctx, http.MethodGet, "/api/me", http.NoBody)
	if err != nil {
		return
	}
	r.RequestURI = "/api/me"
	r.Header.Set(echo.HeaderAuthorization, "Bearer "+cn.token)
	cn.asks.Go(func() {
		res, err := cn.s.edge.Do(cn.ctx, r, cn.ip)
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

// submitVote hands a vote to the core through the edge: an ack "received"
// (or "queued" while degraded) now, the final ack or error when the core
// has committed it.
func (cn *conn) submitVote(m inMsg) {
	target, err := cn.s.admitVote(*cn.claims, cn.ip, m.voteRequest)
	if err != nil {
		cn.failVote(m, err)
		return
	}
	answer, err := m.answer()
	if err != nil {
		cn.s.countVote("", err)
		cn.failVote(m, err)
		return
	}
	ack := m.ack(target, answer, "") // the answer as sent until the core counts it
	ack.ID = m.ID
	// The core may answer before Submit returns: its answer then waits
	// until the first ack ("received" comes before "counted").
	var mu sync.Mutex
	firstSent := false
	var held []func()
	cn.owed.Add(1)
	report := func(r live.Receipt, err error) {
		send := func() {
			if r.Status != "received" { // the others are final
				cn.s.countVote(r.Status, err)
				defer cn.owed.Add(-1) // after the answer is queued: a closing writer then writes it
			}
			if err != nil {
				cn.failVote(m, err)
				return
			}
			if r.Answer == "" { // received: not counted yet
				r.Answer = answer
			}
			a := m.ack(target, r.Answer, r.Status)
			a.ID = m.ID
			cn.send(a)
		}
		mu.Lock()
		defer mu.Unlock()
		if !firstSent {
			held = append(held, send)
			return
		}
		send()
	}
	status, err := cn.s.edge.Submit(cn.ctx, voterOf(*cn.claims), live.Vote{VoteID: m.VoteID, Target: target, Answer: answer}, report)
	if err != nil {
		cn.s.countVote("", err)
		cn.failVote(m, err)
		cn.owed.Add(-1)
		return
	}
	a := ack
	a.Status = status
	mu.Lock()
	defer mu.Unlock()
	cn.send(a)
	firstSent = true
	for _, send := range held {
		send()
	}
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
	cn.sub.Send(b)
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

// writeOnce does what is due, each write bounded by WriteTimeout: the close
// handshake when asked, else the queued messages, a ping due and whatever
// else waits for the socket. It reports whether the connection goes on.
func (cn *conn) writeOnce(batch [][]byte) (_ [][]byte, live bool) {
	select {
	case <-cn.ctx.Done():
		return batch, false
	case <-cn.closing:
		reason := cn.closeReason
		if owed := cn.writeOwed(); owed > 0 {
			reason = fmt.Sprintf("%s; %d vote answers not sent: send those votes again", reason, owed)
		}
		_ = cn.ws.Close(cn.closeCode, reason)
		cn.cancel()
		return batch, false
	default:
	}
	batch = cn.sub.Take(batch[:0])
	return batch, cn.writeBatch(batch)
}

// appendDue frames batch's messages, and the ping due if one is, after what
// waits for the socket.
func (cn *conn) appendDue(batch [][]byte) error {
	if len(batch) > 0 {
		cn.unproven.CompareAndSwap(0, time.Now().UnixNano())
		if err := cn.nc.appendMessages(batch); err != nil {
			return err
		}
	}
	if !cn.pingDue.CompareAndSwap(true, false) {
		return nil
	}
	// The pong proves the frames before the ping were read; those after it
	// are the next ping's to prove.
	cn.pingBusy.Store(cn.unproven.Swap(0) != 0)
	id := cn.pingID.Add(1)
	cn.pingSent.Store(time.Now().UnixNano())
	return cn.nc.appendPing(id)
}

// pong takes a pong's payload (from the reader): the answer to the last
// ping ends its wait.
func (cn *conn) pong(payload []byte) {
	if len(payload) == 4 && binary.BigEndian.Uint32(payload) == cn.pingID.Load() {
		cn.pingSent.Store(0)
	}
}

// writeBatch frames batch's messages (and the ping due) after what waits
// for the socket and writes everything, blocking, bounded by the write
// timeout; it clears batch (the frames are not kept past their write). On
// failure the connection is dropped.
func (cn *conn) writeBatch(batch [][]byte) bool {
	err := cn.appendDue(batch)
	clear(batch)
	if err == nil {
		err = cn.nc.flush()
	}
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			cn.s.metrics.writeTimeouts.Inc()
			cn.s.log.Info("closing slow websocket", "ip", cn.ip)
		}
		_ = cn.ws.CloseNow()
		cn.cancel()
		return false
	}
	return true
}

// unanswered ends a connection whose last ping got no pong in time (the
// pinger calls it): one that was sent frames before the ping has not taken
// them and is closed as a slow consumer (counted with the write timeouts);
// an idle one is dropped without a close frame (the peer is gone, a close
// frame would not arrive either).
func (cn *conn) unanswered() {
	if cn.pingBusy.Load() {
		cn.s.metrics.writeTimeouts.Inc()
		cn.s.log.Info("closing slow websocket: frames not read", "ip", cn.ip)
		cn.close(CloseSlowConsumer, "slow consumer: frames not read")
		return
	}
	_ = cn.nc.Conn.Close() // the reader fails and ends the connection
}

// pongWait is how long a ping waits for its pong: the keepalive interval
// for an idle connection; for one that was sent frames, half the write
// timeout, so that with the pinger's busy period (0.9 write timeouts) and
// its looks (every 0.05 write timeouts at most; a busy ping waits up to two
// for frames to go with) a peer that stopped reading is closed within 1.6
// write timeouts of its first unread frame (16 s by default).
func (s *Server) pongWait(busy bool) time.Duration {
	if busy {
		return min(s.cfg.PingInterval, s.cfg.WriteTimeout/2)
	}
	return s.cfg.PingInterval
}

// busyPingEvery is how often a connection that is sent frames is pinged to
// prove it reads them: rarely enough to cost little (1,100 pings a second
// for 10,000 phones), often enough to close a stalled reader within 1.4
// write timeouts.
func (s *Server) busyPingEvery() time.Duration { return s.cfg.WriteTimeout * 9 / 10 }

// writeOwed writes, before a close, every reply the connection is owed:
// what is queued, and on an edge the answers of votes still with the core,
// as they arrive, for up to WriteTimeout. It returns how many vote answers
// did not arrive in time.
func (cn *conn) writeOwed() int {
	deadline := time.NewTimer(cn.s.cfg.WriteTimeout)
	defer deadline.Stop()
	var batch [][]byte
	for {
		batch = cn.sub.Take(batch[:0])
		if len(batch) > 0 && !cn.writeBatch(batch) {
			return 0 // the peer is gone: nothing more can reach it
		}
		owed := int(cn.owed.Load())
		if owed == 0 {
			return 0
		}
		select {
		case <-cn.wake: // an answer was queued
		case <-deadline.C:
			return owed
		case <-cn.ctx.Done():
			return owed
		}
	}
}

// pingTick is how often the pinger looks at the connections.
func (s *Server) pingTick() time.Duration {
	return min(500*time.Millisecond, s.cfg.PingInterval/10, s.cfg.WriteTimeout/20)
}

// pinger asks for a ping on each connection that was written frames since
// its last ping, once busyPingEvery has passed (the pong proves the frames
// were read), and on every other connection each ping interval
// (keepalive); it ends the connections whose pong is late (see pongWait
// and unanswered). A keepalive ping is written at once; a busy one goes
// with the connection's next frames, or alone two looks later (1 s, a
// phone's tally interval, by default) if none came. It looks every
// pingTick and asks at most an even share of each kind of ping each time,
// so that they spread over their period even when thousands of phones
// connected, or got their first frame, in the same few seconds.
func (s *Server) pinger(ctx context.Context) {
	tick := s.pingTick()
	t := time.NewTicker(tick)
	defer t.Stop()
	busyEvery := s.busyPingEvery()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.connMu.Lock()
			// Each kind of ping has its share of the connections per tick:
			// the steady rate, so that thousands of phones that got their
			// first frame in the same second (a keynote) are pinged over the
			// next busy period, not in one herd.
			idle := len(s.conns)*int(tick)/int(s.cfg.PingInterval) + 1
			busy := len(s.conns)*int(tick)/int(busyEvery) + 1
			for cn := range s.conns {
				if sent := cn.pingSent.Load(); sent != 0 {
					if now.UnixNano()-sent > int64(s.pongWait(cn.pingBusy.Load())) && cn.pingSent.CompareAndSwap(sent, 0) { // not answered meanwhile
						cn.unanswered()
					}
					continue
				}
				if cn.pingDue.Load() {
					if now.Sub(cn.lastPing) >= tick*3/2 { // no frame took it for two looks
						cn.kick()
					}
					continue
				}
				since, keepalive := now.Sub(cn.lastPing), false
				switch {
				case since >= busyEvery && busy > 0 && cn.unproven.Load() != 0:
					busy--
				case since >= s.cfg.PingInterval && idle > 0:
					idle--
					keepalive = true
				default:
					continue
				}
				cn.lastPing = now
				cn.pingDue.Store(true)
				if keepalive { // a busy ping waits for frames to go with
					cn.kick()
				}
			}
			s.connMu.Unlock()
		}
	}
}

// presence publishes, every second, the number of phones (room topic) and
// screens (stage topic) per room, and each event's live numbers to its
// control topic. The hub skips frames that did not change.
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
				s.hub.Publish(hub.RoomTopic(r.ID), "presence", frame)
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
	wg.Go(func() { s.pinger(ctx) })
	wg.Go(func() { s.revalidate(ctx, s.cfg.RevalidateInterval) })
	if s.engine != nil {
		s.presence(ctx)
	}
	wg.Wait()
}

var _ http.Handler = (*Server)(nil)
