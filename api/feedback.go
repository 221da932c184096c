package api

import (
	"encoding/csv"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/ovation-live/ovation/feedback"
	"github.com/ovation-live/ovation/live"
)

// Session feedback's routes: an event's feedback settings (the template,
// how long feedback stays open, the sessions without), and its results
// per session and per speaker, as JSON or CSV.

func (s *Server) feedbackService() (*feedback.Service, error) {
	if s.feedback == nil {
		return nil, live.Errorf(live.ENotFound, "Session feedback is not enabled on this server.")
	}
	return s.feedback, nil
}

// handleFeedbackSettings answers an event's feedback settings.
func (s *Server) handleFeedbackSettings(c echo.Context) error {
	f, err := s.feedbackService()
	if err != nil {
		return err
	}
	out, err := f.Settings(c.Request().Context(), c.Param("code"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// handleSetFeedbackSettings replaces an event's feedback settings.
func (s *Server) handleSetFeedbackSettings(c echo.Context) error {
	f, err := s.feedbackService()
	if err != nil {
		return err
	}
	var in live.FeedbackSettings
	if err := decode(c, &in); err != nil {
		return err
	}
	out, err := f.SetSettings(c.Request().Context(), actor(c), c.Param("code"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// handleFeedbackResults exports an event's feedback results as JSON
// (default) or CSV (?format=csv).
func (s *Server) handleFeedbackResults(c echo.Context) error {
	f, err := s.feedbackService()
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format != "" && format != "json" && format != "csv" {
		return &live.Error{Code: live.EInvalid, Field: "format", Message: "format must be json or csv."}
	}
	res, err := f.Results(c.Request().Context(), c.Param("code"))
	if err != nil {
		return err
	}
	name := live.NormalizeCode(c.Param("code")) + "-feedback"
	if format != "csv" {
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.json"`)
		return c.JSON(http.StatusOK, res)
	}
	c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	return writeFeedbackCSV(c.Response(), res)
}

// writeFeedbackCSV writes a header, one row per session and statement
// (then its "overall"), then one row per speaker and statement (then
// theirs) in rank order. Means have two decimals, empty without ratings.
func writeFeedbackCSV(w io.Writer, r *feedback.Results) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"kind", "sessions", "title", "speakers", "rank", "statement", "count", "mean"})
	mean := func(sc live.StatementScore) string {
		if sc.Count == 0 {
			return ""
		}
		return strconv.FormatFloat(sc.Mean, 'f', 2, 64)
	}
	for _, f := range r.Sessions {
		names := make([]string, len(f.Talk.Speakers))
		for i, sp := range f.Talk.Speakers {
			names[i] = sp.String()
		}
		id := strconv.FormatInt(f.Talk.ID, 10)
		for _, sc := range append(slices.Clone(f.Statements), f.Overall) {
			_ = cw.Write([]string{"session", id, csvSafe(f.Talk.Title), csvSafe(strings.Join(names, "; ")), "", csvSafe(sc.Statement), strconv.FormatInt(sc.Count, 10), mean(sc)})
		}
	}
	for i, sp := range r.Speakers {
		ids := make([]string, len(sp.Sessions))
		for j, id := range sp.Sessions {
			ids[j] = strconv.FormatInt(id, 10)
		}
		for _, sc := range append(slices.Clone(sp.Statements), sp.Overall) {
			_ = cw.Write([]string{"speaker", strings.Join(ids, " "), "", csvSafe(sp.Name), strconv.Itoa(i + 1), csvSafe(sc.Statement), strconv.FormatInt(sc.Count, 10), mean(sc)})
		}
	}
	cw.Flush()
	return cw.Error()
}
