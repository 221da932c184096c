package api

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
)

// Voter takes this node's participants' votes, over HTTP and WebSocket
// alike: the engine on a core or a single node, the cluster edge (which
// hands them to the core) on an edge.
type Voter interface {
	// Vote takes v. Its receipt is final (counted, changed, duplicate), or,
	// on an edge, "received" or "queued": the final receipt or error then
	// comes through report, which must not block.
	Vote(ctx context.Context, who live.Voter, v live.Vote, report func(r live.Receipt, err error)) (live.Receipt, error)
}

// engineVoter is the engine as a Voter: every receipt final, at once.
type engineVoter struct{ engine *show.Engine }

func (e engineVoter) Vote(ctx context.Context, who live.Voter, v live.Vote, _ func(live.Receipt, error)) (live.Receipt, error) {
	return e.engine.Vote(ctx, who, v)
}

// final reports whether a vote's status is its last: not "received" or
// "queued" (an edge's, until the core has committed the vote).
func final(status string) bool { return status != "received" && status != "queued" }

// castVote is the one vote path behind the WebSocket and HTTP entries: the
// node's own checks (admitVote), the answer's syntax, the Voter, the
// metrics of every final outcome. Its ack is final, or "received" or
// "queued" on an edge: the later acks (the final one last) or the error then
// come through report, which must not block.
func (s *Server) castVote(ctx context.Context, claims tokenClaims, ip string, req voteRequest, report func(voteAck, error)) (voteAck, error) {
	target, err := s.admitVote(claims, ip, req)
	if err != nil {
		return voteAck{}, err
	}
	answer, err := req.answer()
	if err != nil {
		s.countVote("", err)
		return voteAck{}, err
	}
	// ack is the answer as counted, or as sent while it is not counted yet.
	ack := func(r live.Receipt) voteAck {
		if r.Answer == "" {
			r.Answer = answer
		}
		return req.ack(target, r.Answer, r.Status)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	r, err := s.voter.Vote(ctx, voterOf(claims), live.Vote{VoteID: req.VoteID, Target: target, Answer: answer}, func(r live.Receipt, err error) {
		if err != nil || final(r.Status) {
			s.countVote(r.Status, err)
		}
		if err != nil {
			report(voteAck{}, err)
			return
		}
		report(ack(r), nil)
	})
	if err != nil || final(r.Status) {
		s.countVote(r.Status, err)
	}
	if err != nil {
		return voteAck{}, err
	}
	return ack(r), nil
}

// handleVote takes a vote over HTTP and answers with its final ack (or
// error), as the WebSocket's last ack for it.
func (s *Server) handleVote(c echo.Context) error {
	claims, err := s.participant(c)
	if err != nil {
		return err
	}
	var req voteRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	type answer struct {
		ack voteAck
		err error
	}
	last := make(chan answer, 1)
	ack, err := s.castVote(c.Request().Context(), claims, c.RealIP(), req, func(a voteAck, err error) {
		if err != nil || final(a.Status) {
			last <- answer{a, err}
		}
	})
	if err == nil && !final(ack.Status) {
		select {
		case a := <-last:
			ack, err = a.ack, a.err
		case <-c.Request().Context().Done():
			return c.Request().Context().Err()
		}
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ack)
}

// vote takes a vote over the WebSocket: its first ack now, and on an edge
// the final ack or error when the core has committed the vote. The
// connection owes the final answer until it is queued: a close waits for
// it.
func (cn *conn) vote(m inMsg) {
	// The voter may answer before castVote returns: its answer then waits
	// until the first ack is queued ("received" comes before "counted").
	var mu sync.Mutex
	firstSent := false
	var held []func()
	send := func(a voteAck, err error) {
		if err != nil {
			cn.failVote(m, err)
			return
		}
		a.ID = m.ID
		cn.send(a)
	}
	cn.st.Owe()
	ack, err := cn.s.castVote(cn.st.Context(), *cn.claims, cn.ip, m.voteRequest, func(a voteAck, err error) {
		later := func() {
			if err != nil || final(a.Status) {
				defer cn.st.Paid() // after the answer is queued: a closing writer then writes it
			}
			send(a, err)
		}
		mu.Lock()
		defer mu.Unlock()
		if !firstSent {
			held = append(held, later)
			return
		}
		later()
	})
	if err != nil || final(ack.Status) {
		cn.st.Paid() // nothing comes later
	}
	mu.Lock()
	defer mu.Unlock()
	send(ack, err)
	firstSent = true
	for _, later := range held {
		later()
	}
}
