package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/ovation-live/ovation/live"
)

// The page is one HTML document with its style and its charts inline (SVG
// drawn here): it opens as it is, prints as it is (@media print: no
// navigation, a section per page, the colours kept) and needs no script.
// The browser shapes and orders every script itself; names carry dir=auto.

// esc escapes text for HTML and SVG.
func esc(s string) string { return template.HTMLEscapeString(s) }

// svgBars draws horizontal bars, the jury's part stacked on the audience's.
func svgBars(bars []Bar, colour string) template.HTML {
	const w, rowH, labelW, valueW = 720.0, 26.0, 260.0, 80.0
	var top int64
	for _, b := range bars {
		top = max(top, b.Audience+b.Jury)
	}
	var sb strings.Builder
	h := rowH * float64(len(bars))
	name := make([]string, len(bars))
	for i, b := range bars {
		name[i] = b.Label + ": " + barValue(b)
	}
	fmt.Fprintf(&sb, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s" preserveAspectRatio="xMinYMin meet">`, w, h, esc(strings.Join(name, " · ")))
	barW := w - labelW - valueW
	for i, b := range bars {
		y := float64(i) * rowH
		fill := colour
		label := esc(b.Label)
		if b.Right {
			fill, label = "#1E8E3E", "✓ "+label
		}
		fmt.Fprintf(&sb, `<text x="0" y="%.1f" class="label"><tspan>%s</tspan><title>%s</title></text>`, y+rowH*0.65, label, esc(b.Label))
		var wa, wj float64
		if top > 0 {
			wa, wj = barW*float64(b.Audience)/float64(top), barW*float64(b.Jury)/float64(top)
		}
		fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#eee"/>`, labelW, y+4, barW, rowH-8)
		fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, labelW, y+4, wa, rowH-8, fill)
		if wj > 0 {
			fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#E08A1E"/>`, labelW+wa, y+4, wj, rowH-8)
		}
		fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" text-anchor="end" class="value">%s</text>`, w, y+rowH*0.65, barValue(b))
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

// barValue is a bar's count, the jury's added: "12 + 3".
func barValue(b Bar) string {
	v := strconv.FormatInt(b.Audience, 10)
	if b.Jury > 0 {
		v += " + " + strconv.FormatInt(b.Jury, 10)
	}
	return v
}

// svgLine draws a series as an area chart with its time axis. Its name for
// screen readers is its span and its peak: "09:00 – 18:00, max 412 (14:05)".
func svgLine(s Series, colour string) template.HTML {
	if len(s.Points) == 0 {
		return ""
	}
	const w, h, left, below, above = 720.0, 180.0, 40.0, 20.0, 10.0
	pts := downsample(s.Points, 360)
	top := float64(max(s.Peak, 1))
	n := float64(max(len(pts)-1, 1))
	var sb strings.Builder
	name := clock(pts[0].Minute) + " – " + clock(pts[len(pts)-1].Minute)
	if s.Peak > 0 {
		name += fmt.Sprintf(", max %d (%s)", s.Peak, clock(s.PeakAt))
	}
	fmt.Fprintf(&sb, `<svg class="chart" viewBox="0 %.0f %.0f %.0f" role="img" aria-label="%s">`, -above, w, h+below+above, esc(name))
	for i := 0; i <= 4; i++ {
		y := h - h*float64(i)/4
		fmt.Fprintf(&sb, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.0f" y="%.1f" text-anchor="end" class="axis">%d</text>`,
			left, w, y, y, left-4, y+4, int(math.Round(top*float64(i)/4)))
	}
	var path strings.Builder
	fmt.Fprintf(&path, "M%.1f %.1f", left, h)
	for i, p := range pts {
		fmt.Fprintf(&path, " L%.1f %.1f", left+(w-left)*float64(i)/n, h-h*float64(p.Value)/top)
	}
	fmt.Fprintf(&path, " L%.1f %.1f Z", left+(w-left)*float64(len(pts)-1)/n, h)
	fmt.Fprintf(&sb, `<path d="%s" fill="%s" fill-opacity="0.25" stroke="%s" stroke-width="2"/>`, path.String(), colour, colour)
	for i := 0; i <= 4; i++ {
		k := int(math.Round(float64(len(pts)-1) * float64(i) / 4))
		anchor := map[int]string{0: "start", 4: "end"}[i]
		if anchor == "" {
			anchor = "middle"
		}
		fmt.Fprintf(&sb, `<text x="%.1f" y="%.0f" text-anchor="%s" class="axis">%s</text>`, left+(w-left)*float64(k)/n, h+16, anchor, clock(pts[k].Minute))
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

// svgDistribution draws a pitch's share of votes per score, filled, against
// its round's, outlined. Its name for screen readers gives both per score:
// "1: 10 % (15 %) · 2: …", the round's in brackets.
func svgDistribution(pitch, round live.CountResults, colour string) template.HTML {
	n := len(round.Counts)
	if n == 0 {
		return ""
	}
	const w, h = 720.0, 110.0
	share := func(c live.CountResults, i int) float64 {
		total := c.Audience.Count + c.Jury.Count
		if total == 0 {
			return 0
		}
		var v int64
		if i < len(c.Counts) {
			v += c.Counts[i]
		}
		if i < len(c.JuryCounts) {
			v += c.JuryCounts[i]
		}
		return float64(v) / float64(total)
	}
	col := w / float64(n)
	name := make([]string, n)
	for i := range n {
		name[i] = fmt.Sprintf("%d: %.0f %% (%.0f %%)", i+1, 100*share(pitch, i), 100*share(round, i))
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="chart dist" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`, w, h+20, esc(strings.Join(name, " · ")))
	for i := range n {
		x := col * float64(i)
		p, r := share(pitch, i), share(round, i)
		fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, x+col*0.2, h-h*p, col*0.6, h*p, colour)
		fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#22222A" stroke-width="1.5"/>`, x+col*0.1, h-h*r, col*0.8, h*r)
		fmt.Fprintf(&sb, `<text x="%.1f" y="%.0f" text-anchor="middle" class="axis">%d (%.0f%%)</text>`, x+col/2, h+15, i+1, 100*p)
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

// cloudSize is a word's size class in a cloud: 1 to 5, by its count
// against the top word's.
func cloudSize(c, top int64) int { return 1 + int(4*c/max(top, 1)) }

// page is what the template of a report receives.
type page struct {
	*Report
	Team *TeamReport
	PageOptions
}

// PageOptions are what the page links to and the nonce of its style and
// script.
type PageOptions struct {
	PDFURL string // the report's PDF; empty: no link
	// Nonce is the content security policy's nonce of the page's inline
	// style and script (the server answers style-src and script-src
	// 'nonce-…'): URL-safe base64 of random bytes, new for every answer.
	Nonce string
}

func (p page) T(key string, args ...any) string { return tr(p.lang(), key, args...) }
func (p page) lang() string {
	if p.Team != nil {
		return p.Team.Lang
	}
	return p.Report.Lang
}

var funcs = template.FuncMap{
	"bars": svgBars, "line": svgLine, "dist": svgDistribution, "clock": clock,
	"cloudSize": cloudSize, "kind": kindName, "day": day,
	"f2":       func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) },
	"f3":       func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) },
	"room":     func(r *Report, id int64) live.RoomParticipation { return r.Participation.Rooms[id] },
	"conns":    func(r *Report, id int64) Series { return r.RoomConnections[id] },
	"activity": func(as []Activity) Series { return activitySeries(as) },
	"hasJury":  hasJury,
	"scores":   func(rd Round, id int64) live.CountResults { return rd.Scores[id] },
	"join":     strings.Join,
	"sources":  sources,
	"dict":     func(p page, q Question) questionView { return questionView{P: p, Q: q} },
}

// questionView is what the "question" template receives.
type questionView struct {
	P page
	Q Question
}

var pageTemplate = template.Must(template.New("report").Funcs(funcs).Parse(pageHTML))

// HTML writes the event's report as a page.
func (r *Report) HTML(w io.Writer, o PageOptions) error {
	return pageTemplate.ExecuteTemplate(w, "event", page{Report: r, PageOptions: o})
}

// HTML writes the team's report as a page.
func (t *TeamReport) HTML(w io.Writer, o PageOptions) error {
	return pageTemplate.ExecuteTemplate(w, "team", page{Report: &Report{Event: t.Event, Lang: t.Lang, Made: t.Made}, Team: t, PageOptions: o})
}
