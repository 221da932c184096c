package api

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
	"rsc.io/qr"
)

// This file holds what the pages need beside the protocol's core: the
// event's public face with its absolute join URL, and the join QR code the
// stage shows.

// publicEventOf returns what anyone may know of the event of m. Its join URL
// is the configured public URL, or, when none is configured, the scheme and
// host the request came to.
func (s *Server) publicEventOf(c echo.Context, m *show.Model) publicEvent {
	path := "/e/" + m.Event.Code
	return publicEvent{Event: m.Event, Rooms: m.Rooms, HasJury: m.JuryCode != "", JoinPath: path, JoinURL: s.baseURL(c) + path}
}

// baseURL is the public URL without a trailing slash, or the request's
// scheme://host when no public URL is configured.
func (s *Server) baseURL(c echo.Context) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimSuffix(s.cfg.PublicURL, "/")
	}
	return c.Scheme() + "://" + c.Request().Host
}

// qrQuietZone is the white margin around a QR code, in modules: the
// standard asks for 4 so that phone cameras find the code's edges.
const qrQuietZone = 4

// handleJoinQR answers the event's join URL as a QR code in SVG, black on
// white with its quiet zone, for the stage lobby. SVG scales to any screen
// without blur and weighs a few kB for a short URL.
func (s *Server) handleJoinQR(c echo.Context) error {
	m, err := s.engine.Model(c.Param("code"))
	if err != nil {
		return err
	}
	url := s.publicEventOf(c, m).JoinURL
	// ?room=ID names one of the event's rooms: a phone that scans it goes
	// straight to that room, without a step to pick it (an event of several
	// rooms). Any other value is not a room of the event: not found.
	if v := c.QueryParam("room"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || !slices.ContainsFunc(m.Rooms, func(r live.Room) bool { return r.ID == id }) {
			return live.Errorf(live.ENotFound, "No room %q in event %s.", v, m.Event.Code)
		}
		url += "?room=" + strconv.FormatInt(id, 10)
	}
	// Level M (15 % recovery) keeps the code small, so each module is larger
	// and readable from farther away than with Q or H.
	code, err := qr.Encode(url, qr.M)
	if err != nil {
		return fmt.Errorf("encode join QR code: %w", err)
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "image/svg+xml; charset=utf-8", qrSVG(code, url))
}

// qrSVG draws code as one path of horizontal runs of dark modules, with
// title naming what it encodes for screen readers.
func qrSVG(code *qr.Code, title string) []byte {
	n := code.Size + 2*qrQuietZone
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img">`, n, n)
	fmt.Fprintf(&b, `<title>%s</title><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, html.EscapeString(title), n, n)
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; {
			if !code.Black(x, y) {
				x++
				continue
			}
			start := x
			for x < code.Size && code.Black(x, y) {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start+qrQuietZone, y+qrQuietZone, x-start, x-start)
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes()
}
