package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/programme"
)

// The programme's routes: the public programme, and for those who may
// build the event, its sessions, time zone and imports.

// SetProgramme enables the programme routes with p.
func (s *Server) SetProgramme(p *programme.Service) { s.programme = p }

// importRE matches the path of the import route, whose body may be
// larger than the others' (programme.MaxImportBytes).
var importRE = regexp.MustCompile(`^/api/events/[^/]+/programme/import$`)

// isImport reports whether c is a programme import, by its URL: on a
// cluster edge, where every API path is one catch-all route, too.
func isImport(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && importRE.MatchString(c.Request().URL.Path)
}

// limitImport bounds an import's body to programme.MaxImportBytes (the
// body limit middleware skips it).
func limitImport(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if isImport(c) {
			c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, programme.MaxImportBytes)
		}
		return next(c)
	}
}

func (s *Server) programmeService() (*programme.Service, error) {
	if s.programme == nil {
		return nil, live.Errorf(live.ENotFound, "The programme is not enabled on this server.")
	}
	return s.programme, nil
}

// handleProgramme answers an event's programme: its time zone and sessions.
func (s *Server) handleProgramme(c echo.Context) error {
	p, err := s.programmeService()
	if err != nil {
		return err
	}
	out, err := p.Programme(c.Request().Context(), c.Param("code"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// talkInput is the body of a session's creation or edit: it sets the
// fields it carries.
type talkInput struct {
	Title       *string         `json:"title"`
	RoomID      *int64          `json:"room_id"`
	Speakers    *[]live.Speaker `json:"speakers"`
	Start       *time.Time      `json:"start"`
	End         *time.Time      `json:"end"`
	Description *string         `json:"description"`
	Link        *string         `json:"link"`
}

func (in talkInput) apply(t *live.Talk) {
	set(&t.Title, in.Title)
	set(&t.RoomID, in.RoomID)
	set(&t.Speakers, in.Speakers)
	set(&t.Start, in.Start)
	set(&t.End, in.End)
	set(&t.Description, in.Description)
	set(&t.Link, in.Link)
}

func (s *Server) handleCreateTalk(c echo.Context) error {
	p, err := s.programmeService()
	if err != nil {
		return err
	}
	var in talkInput
	if err := decode(c, &in); err != nil {
		return err
	}
	var t live.Talk
	in.apply(&t)
	out, err := p.CreateSession(c.Request().Context(), actor(c), c.Param("code"), t)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) handleUpdateTalk(c echo.Context) error {
	p, err := s.programmeService()
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in talkInput
	if err := decode(c, &in); err != nil {
		return err
	}
	out, err := p.UpdateSession(c.Request().Context(), actor(c), c.Param("code"), id, in.apply)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) handleDeleteTalk(c echo.Context) error {
	p, err := s.programmeService()
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := p.DeleteSession(c.Request().Context(), actor(c), c.Param("code"), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// handleSetTimeZone sets the event's time zone: {"time_zone": "Europe/Paris"}.
func (s *Server) handleSetTimeZone(c echo.Context) error {
	p, err := s.programmeService()
	if err != nil {
		return err
	}
	var in struct {
		TimeZone string `json:"time_zone"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	out, err := p.SetTimeZone(c.Request().Context(), actor(c), c.Param("code"), in.TimeZone)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// handleImportProgramme reads a CSV or iCalendar file from the body
// (?format=csv or ics, else from its Content-Type: text/csv,
// text/calendar), at most programme.MaxImportBytes. With ?dry_run=1 it
// answers what the import would do, saving nothing.
func (s *Server) handleImportProgramme(c echo.Context) error {
	p, err := s.programmeService()
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format == "" {
		mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
		format = map[string]string{"text/csv": programme.FormatCSV, "text/calendar": programme.FormatICS}[mt]
	}
	if format != programme.FormatCSV && format != programme.FormatICS {
		return live.FieldErrorf("format", "Say the file's format: ?format=csv or ?format=ics (or Content-Type text/csv or text/calendar).")
	}
	dry := c.QueryParam("dry_run")
	if dry != "" && dry != "0" && dry != "1" && dry != "true" && dry != "false" {
		return live.FieldErrorf("dry_run", "dry_run is 1 or 0.")
	}
	data, err := io.ReadAll(c.Request().Body) // limitImport bounds it
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return live.Errorf(ETooLarge, "The file is larger than %d MiB.", programme.MaxImportBytes>>20)
	}
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(data)) == "" {
		return live.FieldErrorf("file", "The file is empty.")
	}
	out, err := p.Import(c.Request().Context(), actor(c), c.Param("code"), format, data, dry == "1" || dry == "true")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
