package report

import "fmt"

// Colour is the event's colour as #rrggbb, whatever was stored.
func (p page) Colour() string {
	c := parseColour(p.Report.Event.Color)
	return fmt.Sprintf("#%02x%02x%02x", c.r, c.g, c.b)
}

// TotalsLine says the totals of the event's activity.
func (p page) TotalsLine() string { return p.Report.totalsLine() }

// Lang is the page's language.
func (p page) Lang() string { return p.lang() }

const pageHTML = `{{define "head"}}<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{{.Event.Title}} · {{if .Team}}{{.T "team_report"}}{{else}}{{.T "report"}}{{end}}</title>
<style nonce="{{.Nonce}}">
:root { --brand: {{.Colour}}; --ink: #22222a; --muted: #6b6b78; --rule: #dddde3; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, "DejaVu Sans", "Noto Sans", "Noto Sans Arabic", sans-serif; color: var(--ink); background: #f6f6f8; }
header.cover { background: var(--brand); color: #fff; padding: 2.5rem max(1rem, calc(50% - 26rem)) 2rem; }
header.cover p { margin: 0 0 .3rem; opacity: .9; }
header.cover h1 { margin: 0; font-size: clamp(1.6rem, 4vw, 2.6rem); line-height: 1.15; overflow-wrap: anywhere; }
nav.tools { display: flex; gap: .6rem; flex-wrap: wrap; padding: .8rem max(1rem, calc(50% - 26rem)); background: #fff; border-bottom: 1px solid var(--rule); }
nav.tools a, nav.tools button { font: inherit; padding: .45rem .9rem; border-radius: .5rem; border: 1px solid var(--brand); color: var(--brand); background: #fff; text-decoration: none; cursor: pointer; }
main { max-width: 52rem; margin: 0 auto; padding: 1rem; }
section.part { background: #fff; border-radius: .8rem; padding: 1.2rem 1.4rem; margin: 1rem 0; box-shadow: 0 1px 3px rgba(0,0,0,.06); }
h2 { margin: 0 0 .8rem; padding-left: .7rem; border-left: .35rem solid var(--brand); }
h3 { margin: 1.4rem 0 .2rem; overflow-wrap: anywhere; }
.meta, .note { color: var(--muted); font-size: .9rem; margin: 0 0 .5rem; }
table { width: 100%; border-collapse: collapse; margin: .5rem 0 1rem; font-size: .95rem; }
th, td { text-align: start; padding: .35rem .5rem; border-bottom: 1px solid var(--rule); overflow-wrap: anywhere; }
th { border-bottom: 2px solid var(--brand); }
td.n, th.n { text-align: end; font-variant-numeric: tabular-nums; white-space: nowrap; }
.chart { width: 100%; height: auto; display: block; margin: .3rem 0 .6rem; }
.chart text { font: 13px system-ui, "DejaVu Sans", sans-serif; fill: var(--ink); }
.chart .axis { fill: var(--muted); font-size: 11px; }
.legend { font-size: .85rem; color: var(--muted); }
.legend i { display: inline-block; width: .8rem; height: .8rem; margin: 0 .3rem 0 .8rem; vertical-align: -.1rem; background: var(--brand); }
.legend i.jury { background: #E08A1E; }
.cloud { display: flex; flex-wrap: wrap; gap: .2rem 1rem; align-items: baseline; }
.cloud span { font-weight: 700; color: var(--brand); font-size: 1rem; }
.cloud .s2 { font-size: 1.4rem; } .cloud .s3 { font-size: 1.8rem; } .cloud .s4 { font-size: 2.3rem; } .cloud .s5 { font-size: 2.8rem; }
.cloud span:nth-child(3n+2) { opacity: .7; }
.cloud span:nth-child(3n) { color: var(--ink); }
.card { border: 1px solid var(--rule); border-radius: .6rem; padding: .6rem .8rem; margin: .5rem 0; background: color-mix(in srgb, var(--brand) 6%, #fff); overflow-wrap: anywhere; }
.card small { display: block; text-align: end; color: var(--muted); }
.big { font-size: 2.4rem; font-weight: 800; color: var(--brand); margin: .2rem 0; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: .6rem; }
.figures div { background: color-mix(in srgb, var(--brand) 8%, #fff); border-radius: .6rem; padding: .6rem .8rem; }
.figures b { display: block; font-size: 1.8rem; color: var(--brand); }
ol.toc { columns: 2; }
@media (max-width: 40rem) { ol.toc { columns: 1; } section.part { padding: 1rem; } .chart text { font-size: 16px; } }
@media print {
  @page { size: A4; margin: 14mm 12mm 16mm; }
  body { background: #fff; font-size: 11pt; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  nav.tools { display: none; }
  header.cover { padding: 1.5rem 1rem; }
  main { max-width: none; padding: 0; }
  section.part { box-shadow: none; border-radius: 0; padding: 0; margin: 0; break-before: page; }
  section.toc { break-before: avoid; margin-top: 1rem; }
  h3, .chart, table, .card { break-inside: avoid; }
  h3 { break-after: avoid; }
}
</style>
</head>
<body>
<header class="cover">
<p>{{if .Team}}{{.Event.Title}} · {{.T "team_report"}}{{else}}{{.T "report"}}{{end}}</p>
<h1 dir="auto">{{if .Team}}{{.Team.Pitch.Team}}{{else}}{{.Event.Title}}{{end}}</h1>
</header>
<nav class="tools" aria-label="{{.T "report"}}">
{{if .PDFURL}}<a href="{{.PDFURL}}" download>{{.T "download_pdf"}}</a>{{end}}
<button type="button" id="print">{{.T "print"}}</button>
</nav>
<main>
<p class="meta">{{.T "made" (day .Lang .Made)}}</p>
{{end}}

{{define "foot"}}</main>
<script nonce="{{.Nonce}}">document.getElementById("print").addEventListener("click", () => print());</script>
</body>
</html>
{{end}}

{{define "question"}}
<h3 dir="auto">{{.Q.Poll.Question}}</h3>
<p class="meta">{{kind .P.Lang .Q.Poll.Kind}}{{if .Q.Room}} · <span dir="auto">{{.Q.Room}}</span>{{end}}{{if .Q.Quiz}} · {{.P.T "quiz_of" .Q.Quiz}}{{end}} · {{.P.T "respondents" .Q.Answered}}</p>
{{if and (eq .Q.Answered 0) (not .Q.Chart.Cards)}}<p class="note">{{.P.T "no_answers"}}</p>
{{else if .Q.Chart.Bars}}{{bars .Q.Chart.Bars .P.Colour}}
{{if hasJury .Q.Chart.Bars}}<p class="legend"><i></i>{{.P.T "audience"}}<i class="jury"></i>{{.P.T "jury"}} · {{.P.T .Q.Chart.Unit}}</p>{{end}}
{{else if .Q.Chart.Cloud}}<div class="cloud">{{range .Q.Chart.Cloud}}<span dir="auto" class="s{{cloudSize .Count (index $.Q.Chart.Cloud 0).Count}}">{{.Text}}</span>{{end}}</div>
{{else}}{{range .Q.Chart.Cards}}<div class="card" dir="auto">{{if .Pinned}}★ {{end}}{{.Text}}<small>{{$.P.T "upvotes" .Upvotes}}</small></div>{{end}}{{end}}
{{end}}

{{define "event"}}{{template "head" .}}
<section class="toc"><h2>{{.T "contents"}}</h2><ol class="toc">
<li><a href="#participation">{{.T "participation"}}</a></li><li><a href="#questions">{{.T "questions"}}</a></li>
<li><a href="#rounds">{{.T "rounds"}}</a></li><li><a href="#quizzes">{{.T "quizzes"}}</a></li>
<li><a href="#boards">{{.T "boards"}}</a></li><li><a href="#feed">{{.T "feed"}}</a></li><li><a href="#surveys">{{.T "surveys"}}</a></li>
</ol></section>

<section class="part" id="participation"><h2>{{.T "participation"}}</h2>
<div class="figures">
<div><b>{{.Participation.Joined}}</b>{{.T "joined"}}</div><div><b>{{.Participation.Answered}}</b>{{.T "answered"}}</div>
<div><b>{{.Participation.Voted}}</b>{{.T "voted"}}</div><div><b>{{.Participation.Posted}}</b>{{.T "posted"}}</div>
</div>
{{if .Rooms}}<h3>{{.T "per_room"}}</h3>
<table><thead><tr><th>{{.T "room"}}</th><th class="n">{{.T "col_peak"}}</th><th class="n">{{.T "col_answered"}}</th><th class="n">{{.T "col_voted"}}</th><th class="n">{{.T "col_posted"}}</th></tr></thead><tbody>
{{range .Rooms}}{{$p := room $.Report .ID}}<tr><td dir="auto">{{.Name}}</td><td class="n">{{(conns $.Report .ID).Peak}}</td><td class="n">{{$p.Answered}}</td><td class="n">{{$p.Voted}}</td><td class="n">{{$p.Posted}}</td></tr>{{end}}
</tbody></table>{{end}}
{{if .Talks}}<h3>{{.T "per_session"}}</h3>
<table><thead><tr><th>{{.T "col_session"}}</th><th>{{.T "room"}}</th><th>{{.T "col_time"}} (UTC)</th><th class="n">{{.T "col_answered"}}</th><th class="n">{{.T "col_voted"}}</th><th class="n">{{.T "col_posted"}}</th></tr></thead><tbody>
{{range .Talks}}<tr><td dir="auto">{{.Title}}</td><td dir="auto">{{.Room}}</td><td>{{clock .Start}}–{{clock .End}}</td><td class="n">{{.Participation.Answered}}</td><td class="n">{{.Participation.Voted}}</td><td class="n">{{.Participation.Posted}}</td></tr>{{end}}
</tbody></table>{{end}}
<h3>{{.T "connections"}}</h3>
{{if .Connections.Points}}<p class="meta">{{.T "conn_peak" .Connections.Peak (clock .Connections.PeakAt)}}</p>{{line .Connections .Colour}}
{{if .Nodes}}<p class="note">{{.T "nodes" (join .Nodes ", ")}}</p>{{end}}
{{else}}<p class="note">{{.T "conn_none"}}</p>{{end}}
{{if .Activity}}<h3>{{.T "activity"}}</h3><p class="meta">{{.TotalsLine}}</p>{{line (activity .Activity) "#E08A1E"}}{{end}}
</section>

<section class="part" id="questions"><h2>{{.T "questions"}}</h2>
{{range .Questions}}{{template "question" (dict $ .)}}{{else}}<p class="note">{{.T "no_questions"}}</p>{{end}}
</section>

<section class="part" id="rounds"><h2>{{.T "rounds"}}</h2>
{{range $rd := .Rounds}}<h3 dir="auto">{{.Round.Title}}</h3>
<p class="meta"><span dir="auto">{{.Room}}</span>{{if .JuryWeight}} · {{$.T "jury_weight" .JuryWeight}}{{end}}</p>
<table><thead><tr><th class="n">{{$.T "rank"}}</th><th>{{$.T "team"}}</th><th class="n">{{$.T "audience"}}</th><th class="n">{{$.T "jury"}}</th><th class="n">{{$.T "score"}}</th></tr></thead><tbody>
{{range .Ranking}}<tr><td class="n">{{.Rank}}</td><td dir="auto">{{.Team}}</td><td class="n">{{.Audience.Count}} · {{f2 .Audience.Mean}}</td><td class="n">{{.Jury.Count}} · {{f2 .Jury.Mean}}</td><td class="n">{{f3 .Score}}</td></tr>{{end}}
</tbody></table>
<p class="note">{{$.T "votes_mean"}}</p>
<h3>{{$.T "distribution"}}</h3><p class="note">{{$.T "dist_legend"}}</p>
{{range .Ranking}}<p><b>{{.Rank}}.</b> <span dir="auto">{{.Team}}</span></p>{{dist (scores $rd .PitchID) $rd.Total $.Colour}}{{end}}
{{else}}<p class="note">{{.T "no_rounds"}}</p>{{end}}
</section>

<section class="part" id="quizzes"><h2>{{.T "quizzes"}}</h2>
{{range .Quizzes}}<h3 dir="auto">{{.Quiz.Title}}</h3><p class="meta">{{$.T "podium" .Players}}</p>
<table><thead><tr><th class="n">{{$.T "rank"}}</th><th>{{$.T "name"}}</th><th class="n">{{$.T "points"}}</th><th class="n">✓</th></tr></thead><tbody>
{{range .Podium}}<tr><td class="n">{{.Rank}}</td><td dir="auto">{{.Name}}</td><td class="n">{{.Points}}</td><td class="n">{{.Right}}/{{.Answered}}</td></tr>{{end}}
</tbody></table>
{{else}}<p class="note">{{.T "no_quizzes"}}</p>{{end}}
</section>

<section class="part" id="boards"><h2>{{.T "boards"}}</h2>
{{range .Boards}}<h3 dir="auto">{{.Board.Title}}</h3><p class="meta">{{$.T "top_entries" .Entries}}</p>
{{range .Top}}<div class="card" dir="auto">{{if .Pinned}}★ {{end}}{{.Text}}{{if .DisplayName}} — {{.DisplayName}}{{end}}<small>{{$.T "upvotes" .Upvotes}}</small></div>{{end}}
{{else}}<p class="note">{{.T "no_boards"}}</p>{{end}}
</section>

<section class="part" id="feed"><h2>{{.T "feed"}}</h2>
{{if .Feed.Total}}<p class="meta">{{.T "feed_total" .Feed.Total}} · {{sources .Feed.BySource}}</p>{{line .Feed.Volume .Colour}}
{{if .Feed.Moments}}<h3>{{.T "moments"}}</h3>{{range .Feed.Moments}}<p><b>{{$.T "moment" (clock .At) .Volume .Baseline}}</b></p>
{{range .Top}}<div class="card" dir="auto">{{.AuthorName}}: {{.Text}}</div>{{end}}{{end}}{{end}}
{{else}}<p class="note">{{.T "no_feed"}}</p>{{end}}
</section>

<section class="part" id="surveys"><h2>{{.T "surveys"}}</h2>
{{range $s := .Surveys}}<h3 dir="auto">{{.Title}}</h3>{{range .Questions}}{{template "question" (dict $ .)}}{{end}}
{{else}}<p class="note">{{.T "no_surveys"}}</p>{{end}}
</section>
{{template "foot" .}}{{end}}

{{define "team"}}{{template "head" .}}
<section class="part" id="team">
{{if .Team.Pitch.Presenter}}<p class="meta" dir="auto">{{.T "presenter" .Team.Pitch.Presenter}}</p>{{end}}
<p class="big">{{.T "place_of" .Team.Entry.Rank (len .Team.Round.Ranking)}}</p>
<p>{{.T "score"}}: <b>{{f3 .Team.Entry.Score}}</b> · <span dir="auto">{{.Team.Round.Round.Title}}</span> · <span dir="auto">{{.Team.Round.Room}}</span></p>
<table><thead><tr><th></th><th class="n">{{.T "audience"}}</th><th class="n">{{.T "jury"}}</th></tr></thead><tbody>
<tr><td dir="auto">{{.Team.Pitch.Team}}</td><td class="n">{{.Team.Entry.Audience.Count}} · {{f2 .Team.Entry.Audience.Mean}}</td><td class="n">{{.Team.Entry.Jury.Count}} · {{f2 .Team.Entry.Jury.Mean}}</td></tr>
<tr><td dir="auto">{{.Team.Round.Round.Title}}</td><td class="n">{{.Team.Round.Total.Audience.Count}} · {{f2 .Team.Round.Total.Audience.Mean}}</td><td class="n">{{.Team.Round.Total.Jury.Count}} · {{f2 .Team.Round.Total.Jury.Mean}}</td></tr>
</tbody></table>
<p class="note">{{.T "votes_mean"}}{{if .Team.Round.JuryWeight}} {{.T "jury_weight" .Team.Round.JuryWeight}}{{end}}</p>
<h3>{{.T "vs_round" (.T "distribution")}}</h3><p class="note">{{.T "dist_legend"}}</p>
{{dist (scores .Team.Round .Team.Pitch.ID) .Team.Round.Total .Colour}}
<h3>{{.T "meetings"}}</h3><p>{{.T "meetings_n" .Team.Requests}}</p>
{{if .Team.People}}<table><thead><tr><th>{{.T "name"}}</th><th>{{.T "company"}}</th><th>{{.T "role"}}</th><th>{{.T "email"}}</th></tr></thead><tbody>
{{range .Team.People}}<tr><td dir="auto">{{.Name}}</td><td dir="auto">{{.Company}}</td><td dir="auto">{{.Role}}</td><td>{{.Email}}</td></tr>{{end}}
</tbody></table>{{else if .Team.Requests}}<p class="note">{{.T "meetings_priv"}}</p>{{end}}
</section>
{{template "foot" .}}{{end}}
`
