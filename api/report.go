package api

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/report"
)

// reportSources returns the sources of a report: the engine, the store,
// and the feed and boards where this server runs them.
func (s *Server) reportSources() (report.Sources, error) {
	if s.reports == nil {
		return report.Sources{}, live.Errorf(live.ENotFound, "Reports are not enabled on this server.")
	}
	src := report.Sources{Show: s.engine, Store: s.reports}
	if s.feed != nil { // an interface holding a nil *feed.Service would not be nil
		src.Feed = s.feed
	}
	if s.boards != nil {
		src.Boards = s.boards
	}
	return src, nil
}

// reportFormat reads ?format=: html (the default) or pdf.
func reportFormat(c echo.Context) (string, error) {
	switch f := c.QueryParam("format"); f {
	case "", "html":
		return "html", nil
	case "pdf":
		return f, nil
	}
	return "", &live.Error{Code: live.EInvalid, Field: "format", Message: "format must be html or pdf."}
}

// sendReport answers a report as a page (with a content security policy
// of its own: its inline style and script by nonce) or as a PDF download.
// Either is rendered whole before the answer starts, so that an error is
// still answered as an error.
func sendReport(c echo.Context, format, name string, page func(io.Writer, report.PageOptions) error, pdf func(io.Writer) error) error {
	var b bytes.Buffer
	if format == "pdf" {
		if err := pdf(&b); err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.pdf"`)
		return c.Blob(http.StatusOK, "application/pdf", b.Bytes())
	}
	nonce := make([]byte, 18)
	_, _ = rand.Read(nonce)
	n := base64.RawURLEncoding.EncodeToString(nonce) // no "+" or "/", which the page's template would write as entities
	q := c.Request().URL.Query()
	q.Set("format", "pdf")
	if err := page(&b, report.PageOptions{Nonce: n, PDFURL: (&url.URL{Path: c.Request().URL.Path, RawQuery: q.Encode()}).String()}); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+n+"'; script-src 'nonce-"+n+"'; img-src 'self' data:; "+
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	return c.HTMLBlob(http.StatusOK, b.Bytes())
}

// handleReport answers the event's report: ?format=html (default) or pdf,
// ?lang=fr or en (default: the event's first language).
func (s *Server) handleReport(c echo.Context) error {
	format, err := reportFormat(c)
	if err != nil {
		return err
	}
	src, err := s.reportSources()
	if err != nil {
		return err
	}
	r, err := report.Build(c.Request().Context(), src, c.Param("code"), report.Options{Lang: c.QueryParam("lang")})
	if err != nil {
		return err
	}
	return sendReport(c, format, r.Event.Code+"-report", r.HTML, r.PDF)
}

// handleTeamReport answers a pitch's team report, in the same formats and
// languages. It names the people who asked to meet the team only for a
// role that may export personal data (live.PermExport) for the event;
// others get their number.
func (s *Server) handleTeamReport(c echo.Context) error {
	format, err := reportFormat(c)
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	src, err := s.reportSources()
	if err != nil {
		return err
	}
	scope, err := s.scopeOf(c)
	if err != nil {
		return err
	}
	personal := principalOf(c).can(live.PermExport, scope)
	t, err := report.BuildTeam(c.Request().Context(), src, c.Param("code"), id, report.Options{Lang: c.QueryParam("lang"), Personal: personal})
	if err != nil {
		return err
	}
	return sendReport(c, format, t.Event.Code+"-team-"+c.Param("id"), t.HTML, t.PDF)
}
