package api

import (
	"strings"

	"github.com/labstack/echo/v4"
)

// This file holds the security headers every answer carries: the content
// security policy of the pages, who may frame them, and the transport rules.

// pagePolicy is the content security policy of the pages, without its
// frame-ancestors: scripts and styles from this server only, and the one
// inline script of each page, its import map, by the hash script names (the
// pages have no other inline script and no style attribute; scripts set
// styles through the CSSOM, which style-src does not govern), the WebSocket
// and the API on this origin ('self' covers ws: and wss: to it), and images
// from here (the join QR code), from the http(s) address an event's logo may
// have, or data: (the pages' empty icon, which spares a request for
// /favicon.ico). The control page frames the stage (frame-src).
func pagePolicy(script string) string {
	return "default-src 'self'; script-src 'self' " + script + "; style-src 'self'; img-src 'self' https: http: data:; " +
		"connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
}

// resourcePolicy is the policy of every other answer (API, static files,
// errors): nothing in it may load anything or be framed.
const resourcePolicy = "default-src 'none'; frame-ancestors 'none'"

// embeddable lists the routes whose pages may be framed by FrameAncestors:
// the stage and the overlay for streaming software, the audience pages for
// the organiser's site. The control page is not among them: it is never
// framed, so that no page can trick a moderator into clicking its buttons.
var embeddable = map[string]bool{"/": true, "/e/:code": true, "/stage/:code": true, "/moments/:code": true}

// pages lists the routes that answer an HTML page (the edge forwards the same
// routes to the core, so both set the same headers).
var pages = map[string]bool{"/": true, "/e/:code": true, "/stage/:code": true, "/control": true, "/moments/:code": true}

// securityHeaders is the middleware that sets the security headers on every
// answer, pages, API, static files and errors alike, before the handler runs.
// Referrer-Policy same-origin keeps the full referrer and the Origin header
// (which checkOrigin reads) on the pages' own requests and sends nothing to
// other sites (a logo's host, a feed link); no-referrer would turn the Origin
// of the pages' own POSTs into "null". Strict-Transport-Security is sent only
// when the cookie is Secure, that is when the server is reached over HTTPS.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	ancestors := strings.Join(s.cfg.FrameAncestors, " ")
	if ancestors == "" {
		ancestors = "'self'"
	}
	embeddablePolicy := pagePolicy(s.assets.script) + "; frame-ancestors " + ancestors
	controlPolicy := pagePolicy(s.assets.script) + "; frame-ancestors 'none'"
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if s.cfg.CookieSecure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		switch path := c.Path(); {
		case embeddable[path]:
			h.Set("Content-Security-Policy", embeddablePolicy)
		case pages[path]:
			h.Set("Content-Security-Policy", controlPolicy)
			h.Set("X-Frame-Options", "DENY")
		default:
			h.Set("Content-Security-Policy", resourcePolicy)
			h.Set("X-Frame-Options", "DENY")
		}
		return next(c)
	}
}
