package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ovation-live/ovation/live"
)

// nullable is a field of a survey's input that may be set to null (none):
// set says whether the body carried it at all.
type nullable[T any] struct {
	set bool
	v   *T
}

// UnmarshalJSON implements json.Unmarshaler, null included.
func (n *nullable[T]) UnmarshalJSON(b []byte) error {
	n.set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		n.v = nil
		return nil
	}
	n.v = new(T)
	return json.Unmarshal(b, n.v)
}

func (n nullable[T]) apply(dst **T) {
	if n.set {
		*dst = n.v
	}
}

// surveyInput is the body of POST /api/events/:code/surveys and PATCH
// /api/surveys/:id: the fields it carries are set; opens_at, closes_at and
// session_id take null for none. FromSurveyID (creation only) copies the
// questions of another survey of the event, a template.
type surveyInput struct {
	RoomID       *int64              `json:"room_id"`
	Title        *string             `json:"title"`
	Intro        *string             `json:"intro"`
	Thanks       *string             `json:"thanks"`
	OpensAt      nullable[time.Time] `json:"opens_at"`
	ClosesAt     nullable[time.Time] `json:"closes_at"`
	SessionID    nullable[int64]     `json:"session_id"`
	FromSurveyID *int64              `json:"from_survey_id"`
}

func (in surveyInput) apply(s *live.Survey) {
	set(&s.RoomID, in.RoomID)
	set(&s.Title, in.Title)
	set(&s.Intro, in.Intro)
	set(&s.Thanks, in.Thanks)
	in.OpensAt.apply(&s.OpensAt)
	in.ClosesAt.apply(&s.ClosesAt)
	in.SessionID.apply(&s.SessionID)
}

// handleCreateSurvey creates a draft survey in a room, empty or with the
// questions of the survey from_survey_id.
func (s *Server) handleCreateSurvey(c echo.Context) error {
	var in surveyInput
	if err := decode(c, &in); err != nil {
		return err
	}
	var sv live.Survey
	in.apply(&sv)
	from := int64(0)
	if in.FromSurveyID != nil {
		from = *in.FromSurveyID
	}
	out, err := s.engine.CreateSurvey(c.Request().Context(), actor(c), c.Param("code"), &sv, from)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

// handleUpdateSurvey edits a survey; from_survey_id is refused (a copy is
// made at creation).
func (s *Server) handleUpdateSurvey(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return updateWith[live.Survey, surveyInput](c, func(in surveyInput) error {
		if in.FromSurveyID != nil {
			return live.FieldErrorf("from_survey_id", "A survey is copied at its creation only.")
		}
		return nil
	}, func(ctx context.Context, a string, edit func(*live.Survey) error) (*live.Survey, error) {
		return s.engine.UpdateSurvey(ctx, a, id, edit)
	})
}

// handleSurveyAction opens or closes a survey.
func (s *Server) handleSurveyAction(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := decodeAction(c); err != nil {
		return err
	}
	if err := s.engine.SurveyAction(c.Request().Context(), actor(c), id, c.Param("action")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// handleSurveyResults exports a survey's results as JSON (default) or CSV
// (?format=csv): one row per question and item, in the survey's order.
func (s *Server) handleSurveyResults(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format != "" && format != "json" && format != "csv" {
		return &live.Error{Code: live.EInvalid, Field: "format", Message: "format must be json or csv."}
	}
	res, err := s.engine.SurveyResults(c.Request().Context(), id)
	if err != nil {
		return err
	}
	name := "survey-" + strconv.FormatInt(id, 10) + "-results"
	if format != "csv" {
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.json"`)
		return c.JSON(http.StatusOK, res)
	}
	c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	cw := csv.NewWriter(c.Response())
	_ = cw.Write([]string{"survey", "position", "question", "kind", "required", "item", "audience_answers", "jury_answers"})
	for i, q := range res.Questions {
		for _, row := range q.Rows {
			_ = cw.Write([]string{csvSafe(res.Survey.Title), strconv.Itoa(i + 1), csvSafe(q.Poll.Question), q.Poll.Kind, strconv.FormatBool(q.Poll.Required),
				csvSafe(row.Item), strconv.FormatInt(row.Audience, 10), strconv.FormatInt(row.Jury, 10)})
		}
	}
	cw.Flush()
	return cw.Error()
}
