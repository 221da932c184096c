package api

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/ovation-live/ovation/board"
	"github.com/ovation-live/ovation/live"
)

// The boards' and meeting requests' routes (docs/protocol.md, "Boards and
// meeting requests"). Their lines are in Routes with the others; the
// handlers are here.

func (s *Server) boardService() (*board.Service, error) {
	if s.boards == nil {
		return nil, live.Errorf(live.ENotFound, "Boards are not enabled on this server.")
	}
	return s.boards, nil
}

// boardParticipant verifies the participant token of the request.
func (s *Server) boardParticipant(c echo.Context) (board.Participant, error) {
	claims, err := s.participant(c)
	if err != nil {
		return board.Participant{}, err
	}
	return board.Participant{ID: claims.ParticipantID, EventID: claims.EventID}, nil
}

// boardRequest is the preamble of a participant's route on one item: the
// service, the verified participant and the id in the path.
func (s *Server) boardRequest(c echo.Context) (*board.Service, board.Participant, int64, error) {
	b, id, err := s.boardAndID(c)
	if err != nil {
		return nil, board.Participant{}, 0, err
	}
	who, err := s.boardParticipant(c)
	return b, who, id, err
}

// boardAndID is the preamble of a route on one board, entry or pitch: the
// service and the id in the path.
func (s *Server) boardAndID(c echo.Context) (*board.Service, int64, error) {
	b, err := s.boardService()
	if err != nil {
		return nil, 0, err
	}
	id, err := pathID(c)
	return b, id, err
}

// --- Audience ---------------------------------------------------------------

// handleBoards lists the event's boards.
func (s *Server) handleBoards(c echo.Context) error {
	b, err := s.boardService()
	if err != nil {
		return err
	}
	list, err := b.Boards(c.Request().Context(), c.Param("code"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}

// handleBoardEntries lists a board's approved and answered entries,
// ?sort=top (default), newest or trending. With a participant token, each
// entry says whether that participant upvoted it.
func (s *Server) handleBoardEntries(c echo.Context) error {
	b, id, err := s.boardAndID(c)
	if err != nil {
		return err
	}
	var who *board.Participant
	if c.Request().Header.Get(echo.HeaderAuthorization) != "" {
		p, err := s.boardParticipant(c)
		if err != nil {
			return err
		}
		who = &p
	}
	es, err := b.Entries(c.Request().Context(), c.Param("code"), id, c.QueryParam("sort"), true, who)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, es)
}

type entryInput struct {
	Text        string `json:"text"`
	DisplayName string `json:"display_name"` // empty: anonymous
}

// handleSubmitEntry adds the participant's entry to a board.
func (s *Server) handleSubmitEntry(c echo.Context) error {
	b, who, id, err := s.boardRequest(c)
	if err != nil {
		return err
	}
	var in entryInput
	if err := decode(c, &in); err != nil {
		return err
	}
	e, err := b.Submit(c.Request().Context(), c.Param("code"), who, id, in.Text, in.DisplayName)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, e)
}

// handleUpvote records (PUT) or retracts (DELETE) the participant's upvote;
// both are idempotent and answer the entry's count.
func (s *Server) handleUpvote(c echo.Context) error {
	b, who, id, err := s.boardRequest(c)
	if err != nil {
		return err
	}
	var n int
	upvoted := c.Request().Method == http.MethodPut
	if upvoted {
		n, err = b.Upvote(c.Request().Context(), c.Param("code"), who, id)
	} else {
		n, err = b.Retract(c.Request().Context(), c.Param("code"), who, id)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"entry_id": id, "upvotes": n, "upvoted": upvoted})
}

type meetingInput struct {
	Name    string `json:"name"`
	Company string `json:"company"`
	Role    string `json:"role"`
	Email   string `json:"email"`
	Consent bool   `json:"consent"`
}

// handleRequestMeeting stores the participant's request to meet a pitch's team.
func (s *Server) handleRequestMeeting(c echo.Context) error {
	b, who, id, err := s.boardRequest(c)
	if err != nil {
		return err
	}
	var in meetingInput
	if err := decode(c, &in); err != nil {
		return err
	}
	m, err := b.RequestMeeting(c.Request().Context(), c.Param("code"), who, live.MeetingRequest{PitchID: id, Name: in.Name,
		Company: in.Company, Role: in.Role, Email: in.Email, Consent: in.Consent})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, m)
}

// handleWithdrawMeeting deletes the participant's request for a pitch.
func (s *Server) handleWithdrawMeeting(c echo.Context) error {
	b, who, id, err := s.boardRequest(c)
	if err != nil {
		return err
	}
	if err := b.WithdrawMeeting(c.Request().Context(), c.Param("code"), who, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// --- Moderator --------------------------------------------------------------

type boardInput struct {
	Title      *string `json:"title"`
	RoomID     *int64  `json:"room_id"`
	Moderation *string `json:"moderation"`
	Open       *bool   `json:"open"`
	MaxLen     *int    `json:"max_len"`
}

func (in boardInput) apply(b *live.Board) {
	set(&b.Title, in.Title)
	set(&b.RoomID, in.RoomID)
	set(&b.Moderation, in.Moderation)
	set(&b.Open, in.Open)
	set(&b.MaxLen, in.MaxLen)
}

// handleCreateBoard adds a board; it is open unless "open": false.
func (s *Server) handleCreateBoard(c echo.Context) error {
	b, err := s.boardService()
	if err != nil {
		return err
	}
	var in boardInput
	if err := decode(c, &in); err != nil {
		return err
	}
	nb := live.Board{Open: true}
	in.apply(&nb)
	out, err := b.CreateBoard(c.Request().Context(), actor(c), c.Param("code"), nb)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) handleUpdateBoard(c echo.Context) error {
	b, id, err := s.boardAndID(c)
	if err != nil {
		return err
	}
	var in boardInput
	if err := decode(c, &in); err != nil {
		return err
	}
	out, err := b.UpdateBoard(c.Request().Context(), actor(c), c.Param("code"), id, in.apply)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) handleDeleteBoard(c echo.Context) error {
	b, id, err := s.boardAndID(c)
	if err != nil {
		return err
	}
	if err := b.DeleteBoard(c.Request().Context(), actor(c), c.Param("code"), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// handleBoardQueue lists every entry of a board, any status, ?sort= as
// handleBoardEntries (default newest).
func (s *Server) handleBoardQueue(c echo.Context) error {
	b, id, err := s.boardAndID(c)
	if err != nil {
		return err
	}
	order := c.QueryParam("sort")
	if order == "" {
		order = live.SortNewest
	}
	es, err := b.Entries(c.Request().Context(), c.Param("code"), id, order, false, nil)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, es)
}

type entryActionInput struct {
	Into int64 `json:"into"` // for merge: the entry this one duplicates
}

// handleEntryAction runs a moderator action on an entry; the body is empty
// or {"into": id} for merge.
func (s *Server) handleEntryAction(c echo.Context) error {
	b, id, err := s.boardAndID(c)
	if err != nil {
		return err
	}
	var in entryActionInput
	if c.Request().ContentLength != 0 {
		if err := decode(c, &in); err != nil {
			return err
		}
	}
	e, err := b.Decide(c.Request().Context(), actor(c), c.Param("code"), id, c.Param("action"), in.Into)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, e)
}

type highlightInput struct {
	EntryID *int64 `json:"entry_id"` // 0 clears
}

func (s *Server) handleHighlight(c echo.Context) error {
	b, id, err := s.boardAndID(c)
	if err != nil {
		return err
	}
	var in highlightInput
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.EntryID == nil || *in.EntryID < 0 {
		return live.FieldErrorf("entry_id", "entry_id is required: an entry of the board, or 0 to clear.")
	}
	out, err := b.Highlight(c.Request().Context(), actor(c), c.Param("code"), id, *in.EntryID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

type toPollInput struct {
	N        int    `json:"n"`
	Question string `json:"question"`
	RoomID   int64  `json:"room_id"`
}

// handleBoardToPoll makes a draft poll of the board's top entries.
func (s *Server) handleBoardToPoll(c echo.Context) error {
	b, id, err := s.boardAndID(c)
	if err != nil {
		return err
	}
	var in toPollInput
	if err := decode(c, &in); err != nil {
		return err
	}
	p, err := b.ToPoll(c.Request().Context(), actor(c), c.Param("code"), id, in.N, in.Question, in.RoomID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, p)
}

// handleBoardExport exports a board with every entry as JSON (default) or CSV (?format=csv).
func (s *Server) handleBoardExport(c echo.Context) error {
	b, id, err := s.boardAndID(c)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format != "" && format != "json" && format != "csv" {
		return live.FieldErrorf("format", "format must be json or csv.")
	}
	x, err := b.Export(c.Request().Context(), c.Param("code"), id)
	if err != nil {
		return err
	}
	name := "board-" + strconv.FormatInt(id, 10)
	if format != "csv" {
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.json"`)
		return c.JSON(http.StatusOK, x)
	}
	rows := [][]string{{"rank", "entry_id", "status", "pinned", "merged_into", "upvotes", "display_name", "text", "created_at", "decided_by", "decided_at"}}
	for i, e := range x.Entries {
		rows = append(rows, []string{strconv.Itoa(i + 1), strconv.FormatInt(e.ID, 10), e.Status, strconv.FormatBool(e.Pinned),
			strconv.FormatInt(e.MergedInto, 10), strconv.Itoa(e.Upvotes), csvSafe(e.DisplayName), csvSafe(e.Text), fmtCSVTime(e.CreatedAt),
			csvSafe(e.DecidedBy), fmtCSVTime(e.DecidedAt)})
	}
	return writeCSV(c, name, rows)
}

func fmtCSVTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func writeCSV(c echo.Context, name string, rows [][]string) error {
	c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	cw := csv.NewWriter(c.Response())
	_ = cw.WriteAll(rows)
	return cw.Error()
}

// handleMeetingRequests lists an event's meeting requests, ?pitch_id= for
// one pitch (0 or absent: every pitch).
func (s *Server) handleMeetingRequests(c echo.Context) error {
	b, err := s.boardService()
	if err != nil {
		return err
	}
	pitch, err := queryInt(c, "pitch_id")
	if err != nil {
		return err
	}
	rs, _, err := b.MeetingRequests(c.Request().Context(), c.Param("code"), pitch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rs)
}

// handleMeetingRequestsCSV exports one pitch's requests for its team.
func (s *Server) handleMeetingRequestsCSV(c echo.Context) error {
	b, id, err := s.boardAndID(c)
	if err != nil {
		return err
	}
	rs, p, err := b.MeetingRequests(c.Request().Context(), c.Param("code"), id)
	if err != nil {
		return err
	}
	rows := [][]string{{"team", "name", "company", "role", "email", "requested_at", "consent_text"}}
	for _, r := range rs {
		rows = append(rows, []string{csvSafe(p.Team), csvSafe(r.Name), csvSafe(r.Company), csvSafe(r.Role), csvSafe(r.Email),
			fmtCSVTime(r.CreatedAt), r.ConsentText})
	}
	return writeCSV(c, "meeting-requests-pitch-"+strconv.FormatInt(id, 10), rows)
}
