package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"codeberg.org/go-pdf/fpdf"
	"github.com/ovation-live/ovation/live"
)

// Page geometry, in millimetres (A4 portrait).
const (
	pageW, pageH = 210.0, 297.0
	margin       = 15.0
	bodyW        = pageW - 2*margin
	bottom       = 18.0 // the footer's band
)

// rgb is a colour.
type rgb struct{ r, g, b int }

// parseColour reads #RRGGBB; anything else is Ovation's violet.
func parseColour(s string) rgb {
	if len(s) == 7 && s[0] == '#' {
		if v, err := strconv.ParseUint(s[1:], 16, 32); err == nil {
			return rgb{int(v >> 16), int(v >> 8 & 0xFF), int(v & 0xFF)}
		}
	}
	return rgb{0x5B, 0x3D, 0xF5}
}

// lighter mixes c with white: t = 0 is c, 1 is white.
func (c rgb) lighter(t float64) rgb {
	mix := func(v int) int { return v + int(math.Round(float64(255-v)*t)) }
	return rgb{mix(c.r), mix(c.g), mix(c.b)}
}

var (
	ink     = rgb{0x22, 0x22, 0x2A}
	muted   = rgb{0x6B, 0x6B, 0x78}
	rule    = rgb{0xDD, 0xDD, 0xE3}
	juryInk = rgb{0xE0, 0x8A, 0x1E}
	good    = rgb{0x1E, 0x8E, 0x3E}
)

// doc is a PDF being drawn: fpdf with the report's fonts, colours and
// language, and the sections met so far (for the table of contents).
type doc struct {
	*fpdf.Fpdf
	lang     string
	colour   rgb
	sections []section
}

// section is an entry of the table of contents.
type section struct {
	title string
	page  int
	link  int
}

func newDoc(lang, colour, title string) *doc {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(true, bottom+4)
	f.AddUTF8FontFromBytes("sans", "", regularFont)
	f.AddUTF8FontFromBytes("sans", "B", bold())
	f.SetTitle(printable(title), true)
	f.SetCreator("Ovation", true)
	f.AliasNbPages("{nb}")
	d := &doc{Fpdf: f, lang: lang, colour: parseColour(colour)}
	f.SetFooterFunc(func() {
		f.SetDrawColor(d.colour.r, d.colour.g, d.colour.b)
		f.SetLineWidth(0.6)
		f.Line(margin, pageH-bottom+4, pageW-margin, pageH-bottom+4)
		d.font("", 8, muted)
		f.SetXY(margin, pageH-bottom+6)
		f.CellFormat(bodyW/2, 5, d.text(title), "", 0, "L", false, 0, "")
		f.CellFormat(bodyW/2, 5, tr(lang, "page", f.PageNo(), "{nb}"), "", 0, "R", false, 0, "")
	})
	return d
}

// text prepares s for the font: without what it cannot draw, shaped and
// in visual order.
func (d *doc) text(s string) string { return visual(printable(s)) }

func (d *doc) font(style string, size float64, c rgb) {
	d.SetFont("sans", style, size)
	d.SetTextColor(c.r, c.g, c.b)
}

func (d *doc) fill(c rgb) { d.SetFillColor(c.r, c.g, c.b) }

// need starts a new page unless h millimetres are left on this one.
func (d *doc) need(h float64) {
	if d.GetY()+h > pageH-bottom-4 {
		d.AddPage()
	}
}

// heading starts a section on a new page, in the table of contents and the
// outline.
func (d *doc) heading(title string) {
	d.AddPage()
	link := d.AddLink()
	d.SetLink(link, 0, -1)
	d.sections = append(d.sections, section{title: title, page: d.PageNo(), link: link})
	d.Bookmark(printable(title), 0, -1)
	d.fill(d.colour)
	d.Rect(margin, d.GetY(), 4, 9, "F")
	d.SetX(margin + 7)
	d.font("B", 18, ink)
	d.CellFormat(bodyW-7, 9, d.text(title), "", 1, "L", false, 0, "")
	d.Ln(4)
}

// subheading is a block's title, kept with at least keep millimetres of it.
func (d *doc) subheading(title string, keep float64) {
	d.need(10 + keep)
	d.font("B", 12, ink)
	d.MultiCell(bodyW, 6, d.text(title), "", "L", false)
	d.Ln(1)
}

// note writes a line of small grey text.
func (d *doc) note(s string) {
	d.font("", 9, muted)
	d.MultiCell(bodyW, 5, d.text(s), "", "L", false)
}

// fit returns s cut (with an ellipsis) to w millimetres at the current font.
func (d *doc) fit(s string, w float64) string {
	s = d.text(s)
	if d.GetStringWidth(s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 1 && d.GetStringWidth(string(r)+"…") > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// cell writes one cell of a table row: text fitted to its width.
func (d *doc) cell(w, h float64, s, align string) {
	d.CellFormat(w, h, d.fit(s, w-2), "", 0, align, false, 0, "")
}

// bars draws horizontal bars: a label, the audience's part and the jury's
// stacked, and the value.
func (d *doc) bars(bars []Bar, unit string) {
	const labelW, valueW, rowH = 62.0, 26.0, 6.5
	var top int64
	for _, b := range bars {
		top = max(top, b.Audience+b.Jury)
	}
	barW := bodyW - labelW - valueW
	for _, b := range bars {
		d.need(rowH)
		y := d.GetY()
		d.font("", 9, ink)
		label := b.Label
		if b.Right {
			label = "✓ " + label
			d.font("B", 9, good)
		}
		d.SetXY(margin, y)
		d.cell(labelW, rowH, label, "L")
		if top > 0 {
			wa := barW * float64(b.Audience) / float64(top)
			wj := barW * float64(b.Jury) / float64(top)
			d.fill(d.colour)
			if b.Right {
				d.fill(good)
			}
			if wa > 0 {
				d.Rect(margin+labelW, y+1.2, wa, rowH-2.4, "F")
			}
			if wj > 0 {
				d.fill(juryInk)
				d.Rect(margin+labelW+wa, y+1.2, wj, rowH-2.4, "F")
			}
		}
		d.fill(rule)
		d.Rect(margin+labelW, y+rowH-0.6, barW, 0.2, "F")
		d.font("", 9, muted)
		d.SetXY(margin+labelW+barW, y)
		v := strconv.FormatInt(b.Audience, 10)
		if b.Jury > 0 {
			v += " + " + strconv.FormatInt(b.Jury, 10)
		}
		d.CellFormat(valueW, rowH, v, "", 1, "R", false, 0, "")
	}
	if hasJury(bars) {
		d.legend()
	}
	d.font("", 8, muted)
	d.CellFormat(bodyW, 4, tr(d.lang, unit), "", 1, "R", false, 0, "")
}

func hasJury(bars []Bar) bool {
	for _, b := range bars {
		if b.Jury > 0 {
			return true
		}
	}
	return false
}

// legend says which colour is the audience's and which the jury's.
func (d *doc) legend() {
	d.need(6)
	y := d.GetY() + 1
	d.font("", 8, muted)
	x := margin
	for _, l := range []struct {
		c    rgb
		text string
	}{{d.colour, tr(d.lang, "audience")}, {juryInk, tr(d.lang, "jury")}} {
		d.fill(l.c)
		d.Rect(x, y+1, 3, 3, "F")
		d.SetXY(x+4, y)
		w := d.GetStringWidth(l.text) + 6
		d.CellFormat(w, 5, l.text, "", 0, "L", false, 0, "")
		x += w + 4
	}
	d.SetXY(margin, y+5)
}

// cloud lays the words out in lines, each sized by its count.
func (d *doc) cloud(ws []Word) {
	if len(ws) == 0 {
		return
	}
	top := ws[0].Count
	x, lineH := margin, 0.0
	d.need(14)
	y := d.GetY()
	for i, w := range ws {
		size := 9 + 15*float64(w.Count)/float64(max(top, 1))
		c := d.colour
		if i%3 == 1 {
			c = d.colour.lighter(0.3)
		} else if i%3 == 2 {
			c = ink
		}
		d.font("B", size, c)
		s := d.text(w.Text)
		sw := d.GetStringWidth(s) + 5
		h := size * 0.45
		if x+sw > margin+bodyW && x > margin {
			x, y = margin, y+lineH
			lineH = 0
			if y+h > pageH-bottom-4 {
				d.AddPage()
				y = d.GetY()
			}
		}
		d.SetXY(x, y)
		d.CellFormat(sw, h, s, "", 0, "L", false, 0, "")
		x += sw
		lineH = max(lineH, h)
	}
	d.SetXY(margin, y+lineH+2)
}

// cards writes approved answers as framed cards.
func (d *doc) cards(cs []Card) {
	for _, c := range cs {
		d.font("", 10, ink)
		lines := d.SplitText(d.text(c.Text), bodyW-8)
		h := 5*float64(len(lines)) + 9
		d.need(h + 2)
		y := d.GetY()
		d.SetDrawColor(rule.r, rule.g, rule.b)
		d.SetLineWidth(0.3)
		d.fill(d.colour.lighter(0.93))
		d.Rect(margin, y, bodyW, h, "DF")
		d.SetXY(margin+4, y+2)
		align := "L"
		if rightToLeft(c.Text) {
			align = "R"
		}
		d.MultiCell(bodyW-8, 5, d.text(c.Text), "", align, false)
		d.SetX(margin + 4)
		d.font("", 8, muted)
		meta := tr(d.lang, "upvotes", c.Upvotes)
		if c.Pinned {
			meta = "★ " + meta
		}
		d.CellFormat(bodyW-8, 5, meta, "", 1, "R", false, 0, "")
		d.SetY(y + h + 2)
	}
}

// line draws a series as a line chart with its time axis.
func (d *doc) line(s Series, h float64, c rgb) {
	if len(s.Points) == 0 {
		return
	}
	d.need(h + 11)
	x0, y0, w := margin+10, d.GetY()+3, bodyW-10 // 3 mm for the top value's label
	top := float64(max(s.Peak, 1))
	d.SetDrawColor(rule.r, rule.g, rule.b)
	d.SetLineWidth(0.2)
	for i := 0; i <= 4; i++ {
		y := y0 + h - h*float64(i)/4
		d.Line(x0, y, x0+w, y)
		d.font("", 7, muted)
		d.SetXY(margin, y-2)
		d.CellFormat(9, 4, strconv.Itoa(int(math.Round(top*float64(i)/4))), "", 0, "R", false, 0, "")
	}
	pts := downsample(s.Points, 400)
	n := float64(max(len(pts)-1, 1))
	poly := []fpdf.PointType{{X: x0, Y: y0 + h}}
	for i, p := range pts {
		poly = append(poly, fpdf.PointType{X: x0 + w*float64(i)/n, Y: y0 + h - h*float64(p.Value)/top})
	}
	poly = append(poly, fpdf.PointType{X: x0 + w*float64(len(pts)-1)/n, Y: y0 + h})
	d.fill(c.lighter(0.75))
	d.Polygon(poly, "F")
	d.SetDrawColor(c.r, c.g, c.b)
	d.SetLineWidth(0.5)
	for i := 2; i < len(poly)-1; i++ {
		d.Line(poly[i-1].X, poly[i-1].Y, poly[i].X, poly[i].Y)
	}
	d.font("", 7, muted)
	for i := 0; i <= 4; i++ {
		k := int(math.Round(float64(len(pts)-1) * float64(i) / 4))
		d.SetXY(x0+w*float64(k)/n-8, y0+h+1)
		d.CellFormat(16, 4, clock(pts[k].Minute), "", 0, "C", false, 0, "")
	}
	d.SetXY(margin, y0+h+6)
}

// downsample keeps at most n points, each the highest of its stretch.
func downsample(ps []Point, n int) []Point {
	if len(ps) <= n {
		return ps
	}
	out := make([]Point, 0, n)
	step := float64(len(ps)) / float64(n)
	for i := range n {
		lo, hi := int(float64(i)*step), int(float64(i+1)*step)
		best := ps[lo]
		for _, p := range ps[lo:min(hi, len(ps))] {
			if p.Value > best.Value {
				best = p
			}
		}
		out = append(out, best)
	}
	return out
}

// table writes a header row and rows, with column widths and alignments.
func (d *doc) table(widths []float64, aligns string, header []string, rows [][]string) {
	row := func(cells []string, style string, shade bool) {
		d.need(6.5)
		y := d.GetY()
		if shade {
			d.fill(d.colour.lighter(0.92))
			d.Rect(margin, y, bodyW, 6.5, "F")
		}
		d.font(style, 9, ink)
		d.SetX(margin)
		for i, c := range cells {
			d.cell(widths[i], 6.5, c, string(aligns[i]))
		}
		d.Ln(6.5)
	}
	row(header, "B", false)
	d.SetDrawColor(d.colour.r, d.colour.g, d.colour.b)
	d.SetLineWidth(0.4)
	d.Line(margin, d.GetY(), margin+bodyW, d.GetY())
	for i, r := range rows {
		row(r, "", i%2 == 1)
	}
	d.Ln(3)
}

// distribution draws a pitch's scores against its round's: for every score,
// the share of the pitch's votes (filled) and of the round's (outlined).
func (d *doc) distribution(pitch, round live.CountResults, h float64) {
	n := len(round.Counts)
	if n == 0 {
		return
	}
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
	d.need(h + 6)
	x0, y0 := margin, d.GetY()
	colW := bodyW / float64(n)
	for i := range n {
		x := x0 + colW*float64(i)
		p, r := share(pitch, i), share(round, i)
		d.fill(d.colour)
		d.Rect(x+colW*0.2, y0+h-h*p, colW*0.6, h*p, "F")
		d.SetDrawColor(ink.r, ink.g, ink.b)
		d.SetLineWidth(0.4)
		d.Rect(x+colW*0.1, y0+h-h*r, colW*0.8, h*r, "D")
		d.font("", 8, muted)
		d.SetXY(x, y0+h+0.5)
		d.CellFormat(colW, 4, fmt.Sprintf("%d  (%.0f%%)", i+1, 100*p), "", 0, "C", false, 0, "")
	}
	d.SetXY(margin, y0+h+6)
}

// PDF writes the event's report as a PDF.
func (r *Report) PDF(w io.Writer) error {
	// Drawn twice: the first pass learns the sections' pages for the table
	// of contents, which takes one page in both.
	first := newDoc(r.Lang, r.Event.Color, r.Event.Title)
	r.draw(first, nil)
	if err := first.Error(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	d := newDoc(r.Lang, r.Event.Color, r.Event.Title)
	r.draw(d, first.sections)
	return d.Output(w)
}

// cover draws the first page: the event, the report's title and date and
// the table of contents.
func cover(d *doc, title, subtitle string, made string, toc []section) []int {
	d.AddPage()
	d.fill(d.colour)
	d.Rect(0, 0, pageW, 70, "F")
	d.SetXY(margin, 22)
	d.font("", 12, rgb{255, 255, 255})
	d.CellFormat(bodyW, 7, d.text(subtitle), "", 1, "L", false, 0, "")
	d.SetX(margin)
	d.font("B", 24, rgb{255, 255, 255})
	d.MultiCell(bodyW, 11, d.text(title), "", "L", false)
	d.SetXY(margin, 76)
	d.font("", 10, muted)
	d.CellFormat(bodyW, 6, made, "", 1, "L", false, 0, "")
	if toc == nil {
		return nil
	}
	d.Ln(8)
	d.font("B", 14, ink)
	d.CellFormat(bodyW, 8, tr(d.lang, "contents"), "", 1, "L", false, 0, "")
	d.Ln(2)
	links := make([]int, len(toc))
	for i, s := range toc {
		links[i] = d.AddLink()
		d.font("", 11, ink)
		y := d.GetY()
		d.SetX(margin)
		d.CellFormat(bodyW-15, 7, d.text(s.title), "", 0, "L", false, links[i], "")
		d.CellFormat(15, 7, strconv.Itoa(s.page), "", 1, "R", false, links[i], "")
		d.SetDrawColor(rule.r, rule.g, rule.b)
		d.SetLineWidth(0.2)
		d.Line(margin, y+7, margin+bodyW, y+7)
	}
	return links
}

// draw draws the whole report; toc is the first pass's sections (nil in
// the first pass, which leaves the contents out but keeps their page).
func (r *Report) draw(d *doc, toc []section) {
	placeholder := toc
	if placeholder == nil {
		placeholder = []section{} // the first pass: the page is there, its lines not
	}
	links := cover(d, r.Event.Title, tr(r.Lang, "report"), tr(r.Lang, "made", day(r.Lang, r.Made)), placeholder)
	next := 0
	section := func(title string) {
		d.heading(title)
		if next < len(links) {
			d.SetLink(links[next], 0, -1)
		}
		next++
	}
	lang := r.Lang

	section(tr(lang, "participation"))
	r.drawParticipation(d)

	section(tr(lang, "questions"))
	if len(r.Questions) == 0 {
		d.note(tr(lang, "no_questions"))
	}
	for _, q := range r.Questions {
		d.question(q)
	}

	section(tr(lang, "rounds"))
	if len(r.Rounds) == 0 {
		d.note(tr(lang, "no_rounds"))
	}
	for _, rd := range r.Rounds {
		d.round(rd)
	}

	section(tr(lang, "quizzes"))
	r.drawQuizzes(d)

	section(tr(lang, "boards"))
	r.drawBoards(d)

	section(tr(lang, "feed"))
	r.drawFeed(d)

	section(tr(lang, "surveys"))
	if len(r.Surveys) == 0 {
		d.note(tr(lang, "no_surveys"))
	}
	for _, s := range r.Surveys {
		d.subheading(s.Title, 20)
		for _, q := range s.Questions {
			d.question(q)
		}
	}
}

// drawParticipation draws who joined, answered, voted and posted, per room, and the connections and activity over time.
func (r *Report) drawParticipation(d *doc) {
	lang := r.Lang
	p := r.Participation
	d.table([]float64{bodyW / 2, bodyW / 2}, "LR", []string{tr(lang, "participation"), ""}, [][]string{
		{tr(lang, "joined"), strconv.Itoa(p.Joined)}, {tr(lang, "answered"), strconv.Itoa(p.Answered)},
		{tr(lang, "voted"), strconv.Itoa(p.Voted)}, {tr(lang, "posted"), strconv.Itoa(p.Posted)}})
	if len(r.Rooms) > 0 {
		d.subheading(tr(lang, "per_room"), 14)
		var rows [][]string
		for _, room := range r.Rooms {
			rp, c := p.Rooms[room.ID], r.RoomConnections[room.ID]
			rows = append(rows, []string{room.Name, strconv.Itoa(c.Peak), strconv.Itoa(rp.Answered), strconv.Itoa(rp.Voted), strconv.Itoa(rp.Posted)})
		}
		d.table([]float64{70, 28, 28, 27, 27}, "LRRRR", []string{tr(lang, "room"), tr(lang, "col_peak"),
			tr(lang, "col_answered"), tr(lang, "col_voted"), tr(lang, "col_posted")}, rows)
	}
	if len(r.Talks) > 0 {
		d.subheading(tr(lang, "per_session"), 14)
		var rows [][]string
		for _, t := range r.Talks {
			tp := t.Participation
			rows = append(rows, []string{t.Title, t.Room, clock(t.Start) + "–" + clock(t.End),
				strconv.Itoa(tp.Answered), strconv.Itoa(tp.Voted), strconv.Itoa(tp.Posted)})
		}
		d.table([]float64{62, 34, 26, 20, 19, 19}, "LLLRRR", []string{tr(lang, "col_session"), tr(lang, "room"),
			tr(lang, "col_time") + " (UTC)", tr(lang, "col_answered"), tr(lang, "col_voted"), tr(lang, "col_posted")}, rows)
	}
	d.subheading(tr(lang, "connections"), 50)
	if len(r.Connections.Points) == 0 {
		d.note(tr(lang, "conn_none"))
	} else {
		d.note(tr(lang, "conn_peak", r.Connections.Peak, clock(r.Connections.PeakAt)))
		d.line(r.Connections, 45, d.colour)
		if len(r.Nodes) > 0 {
			d.note(tr(lang, "nodes", strings.Join(r.Nodes, ", ")))
		}
	}
	if len(r.Activity) > 0 {
		d.subheading(tr(lang, "activity"), 40)
		d.note(r.totalsLine())
		d.line(activitySeries(r.Activity), 35, juryInk)
	}
}

// drawQuizzes draws each quiz's podium.
func (r *Report) drawQuizzes(d *doc) {
	lang := r.Lang
	if len(r.Quizzes) == 0 {
		d.note(tr(lang, "no_quizzes"))
	}
	for _, q := range r.Quizzes {
		d.subheading(q.Quiz.Title, 20)
		d.note(tr(lang, "podium", q.Players))
		var rows [][]string
		for _, s := range q.Podium {
			rows = append(rows, []string{strconv.Itoa(s.Rank) + ".", s.Name, strconv.FormatInt(s.Points, 10), fmt.Sprintf("%d/%d", s.Right, s.Answered)})
		}
		d.table([]float64{20, 100, 30, 30}, "CLRR", []string{tr(lang, "rank"), tr(lang, "name"), tr(lang, "points"), "✓"}, rows)
	}
}

// drawBoards draws each board's top entries.
func (r *Report) drawBoards(d *doc) {
	lang := r.Lang
	if len(r.Boards) == 0 {
		d.note(tr(lang, "no_boards"))
	}
	for _, b := range r.Boards {
		d.subheading(b.Board.Title, 20)
		d.note(tr(lang, "top_entries", b.Entries))
		d.Ln(1)
		var cards []Card
		for _, e := range b.Top {
			text := e.Text
			if e.DisplayName != "" {
				text += " — " + e.DisplayName
			}
			cards = append(cards, Card{Text: text, Upvotes: e.Upvotes, Pinned: e.Pinned})
		}
		d.cards(cards)
	}
}

// drawFeed draws the feed's volume and its moments.
func (r *Report) drawFeed(d *doc) {
	lang := r.Lang
	if r.Feed.Total == 0 {
		d.note(tr(lang, "no_feed"))
	} else {
		d.note(tr(lang, "feed_total", r.Feed.Total) + " · " + sources(r.Feed.BySource))
		d.line(r.Feed.Volume, 40, d.colour)
		if len(r.Feed.Moments) > 0 {
			d.subheading(tr(lang, "moments"), 20)
			for _, m := range r.Feed.Moments {
				d.font("B", 10, ink)
				d.MultiCell(bodyW, 5.5, d.text(tr(lang, "moment", clock(m.At), m.Volume, m.Baseline)), "", "L", false)
				for _, it := range m.Top {
					d.font("", 9, muted)
					d.SetX(margin + 5)
					d.MultiCell(bodyW-5, 4.5, d.text(it.AuthorName+": "+it.Text), "", "L", false)
				}
				d.Ln(1)
			}
		}
	}
}

// activitySeries sums a minute's joins, votes, answers and posts.
func activitySeries(as []Activity) Series {
	var s Series
	for _, a := range as {
		v := a.Joins + a.Votes + a.Answers + a.Posts
		s.Points = append(s.Points, Point{a.Minute, v})
		if v > s.Peak {
			s.Peak, s.PeakAt = v, a.Minute
		}
	}
	return s
}

func sources(by map[string]int) string {
	var parts []string
	for _, k := range []string{"app", "x", "mastodon", "bluesky", "webhook"} {
		if by[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, by[k]))
		}
	}
	return strings.Join(parts, " · ")
}

// question draws one question and its chart.
func (d *doc) question(q Question) {
	lang := d.lang
	d.subheading(q.Poll.Question, 24)
	meta := kindName(lang, q.Poll.Kind)
	if q.Room != "" {
		meta += " · " + q.Room
	}
	if q.Quiz != "" {
		meta += " · " + tr(lang, "quiz_of", q.Quiz)
	}
	meta += " · " + tr(lang, "respondents", q.Answered)
	d.note(meta)
	d.Ln(1)
	switch {
	case q.Answered == 0 && len(q.Chart.Cards) == 0:
		d.note(tr(lang, "no_answers"))
	case len(q.Chart.Bars) > 0:
		d.bars(q.Chart.Bars, q.Chart.Unit)
	case len(q.Chart.Cloud) > 0:
		d.cloud(q.Chart.Cloud)
	case len(q.Chart.Cards) > 0:
		d.cards(q.Chart.Cards)
	}
	d.Ln(4)
}

// round draws a round's ranking and each pitch's distribution.
func (d *doc) round(rd Round) {
	lang := d.lang
	d.subheading(rd.Round.Title, 30)
	meta := rd.Room
	if rd.JuryWeight > 0 {
		meta += " · " + tr(lang, "jury_weight", rd.JuryWeight)
	}
	d.note(meta)
	d.Ln(1)
	var rows [][]string
	for _, e := range rd.Ranking {
		rows = append(rows, []string{strconv.Itoa(e.Rank), e.Team, fmt.Sprintf("%d · %.2f", e.Audience.Count, e.Audience.Mean),
			fmt.Sprintf("%d · %.2f", e.Jury.Count, e.Jury.Mean), fmt.Sprintf("%.3f", e.Score)})
	}
	d.table([]float64{14, 90, 26, 26, 24}, "CLRRR", []string{tr(lang, "rank"), tr(lang, "team"), tr(lang, "audience"), tr(lang, "jury"), tr(lang, "score")}, rows)
	d.note(tr(lang, "votes_mean"))
	d.subheading(tr(lang, "distribution"), 30)
	d.note(tr(lang, "dist_legend"))
	d.Ln(2)
	for _, e := range rd.Ranking {
		d.need(34)
		d.font("B", 10, ink)
		d.CellFormat(bodyW, 6, d.fit(fmt.Sprintf("%d. %s", e.Rank, e.Team), bodyW), "", 1, "L", false, 0, "")
		d.distribution(rd.Scores[e.PitchID], rd.Total, 20)
	}
}

// PDF writes the team's report as a PDF.
func (t *TeamReport) PDF(w io.Writer) error {
	lang := t.Lang
	d := newDoc(lang, t.Event.Color, t.Event.Title)
	cover(d, t.Pitch.Team, t.Event.Title+" · "+tr(lang, "team_report"), tr(lang, "made", day(lang, t.Made)), nil)
	d.SetY(90)
	if t.Pitch.Presenter != "" {
		d.note(tr(lang, "presenter", t.Pitch.Presenter))
	}
	d.Ln(2)
	d.font("B", 30, d.colour)
	d.CellFormat(bodyW, 14, tr(lang, "place_of", t.Entry.Rank, len(t.Round.Ranking)), "", 1, "L", false, 0, "")
	d.font("", 11, ink)
	d.MultiCell(bodyW, 6, d.text(fmt.Sprintf("%s: %.3f · %s · %s", tr(lang, "score"), t.Entry.Score, t.Round.Round.Title, t.Round.Room)), "", "L", false)
	d.Ln(3)
	d.table([]float64{100, 40, 40}, "LRR", []string{"", tr(lang, "audience"), tr(lang, "jury")}, [][]string{
		{t.Pitch.Team, fmt.Sprintf("%d · %.2f", t.Entry.Audience.Count, t.Entry.Audience.Mean), fmt.Sprintf("%d · %.2f", t.Entry.Jury.Count, t.Entry.Jury.Mean)},
		{t.Round.Round.Title, fmt.Sprintf("%d · %.2f", t.Round.Total.Audience.Count, t.Round.Total.Audience.Mean),
			fmt.Sprintf("%d · %.2f", t.Round.Total.Jury.Count, t.Round.Total.Jury.Mean)}})
	d.note(tr(lang, "votes_mean"))
	if t.Round.JuryWeight > 0 {
		d.note(tr(lang, "jury_weight", t.Round.JuryWeight))
	}
	d.subheading(tr(lang, "vs_round", tr(lang, "distribution")), 50)
	d.note(tr(lang, "dist_legend"))
	d.Ln(2)
	d.distribution(t.Round.Scores[t.Pitch.ID], t.Round.Total, 45)
	d.subheading(tr(lang, "meetings"), 20)
	d.note(tr(lang, "meetings_n", t.Requests))
	if t.People == nil && t.Requests > 0 {
		d.note(tr(lang, "meetings_priv"))
	}
	if len(t.People) > 0 {
		d.Ln(2)
		var rows [][]string
		for _, m := range t.People {
			rows = append(rows, []string{m.Name, m.Company, m.Role, m.Email})
		}
		d.table([]float64{45, 50, 35, 50}, "LLLL", []string{tr(lang, "name"), tr(lang, "company"), tr(lang, "role"), tr(lang, "email")}, rows)
	}
	return d.Output(w)
}
