package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// hostPage is the web-TV page of an organiser: the embed snippet of the
// README, framing the audience page of room at ovation, and noting in
// window.heights every height the framed page posts.
func hostPage(ovation, code string, room int64) http.Handler {
	src := fmt.Sprintf("%s/e/%s?room=%d&embed=1", ovation, code, room)
	html := `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Web TV</title>
<style>body{font-family:sans-serif;margin:0;padding:16px;background:#101020;color:#fff}.player{height:180px;background:#000;margin-bottom:12px}</style></head>
<body><div class="player">LIVE</div>
<iframe id="ovation" src="` + src + `" title="Ovation" style="width:100%;max-width:34rem;border:0;height:32rem" allow="clipboard-write"></iframe>
<script>
window.heights = [];
addEventListener('message', (e) => {
  if (e.origin !== '` + ovation + `' || !e.data || e.data.type !== 'ovation:height') return;
  document.getElementById('ovation').style.height = e.data.height + 'px';
  window.heights.push(e.data.height);
});
</script></body></html>`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(html))
	})
}

// frameURLs returns the URLs of the frames framed by the tab's page.
func frameURLs(tb *tab) []string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		tb.t.Fatalf("%s: frame tree: %v", tb.name, err)
	}
	var out []string
	for _, c := range res.FrameTree.ChildFrames {
		out = append(out, c.Frame.URL+c.Frame.URLFragment)
	}
	return out
}

// frame returns the iframe of the tab's page whose URL starts with prefix,
// as a tab of its own: a frame from another site runs in its own process,
// which the page's DOM does not reach.
func (tb *tab) frame(prefix string) *tab {
	tb.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		infos, err := chromedp.Targets(tb.ctx)
		if err != nil {
			tb.t.Fatalf("%s: targets: %v", tb.name, err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, prefix) {
				ctx, cancel := chromedp.NewContext(tb.ctx, chromedp.WithTargetID(info.TargetID))
				tb.t.Cleanup(cancel)
				// The first run attaches to the frame for the life of the context
				// it gets: the frame's own, not one with a timeout.
				if err := chromedp.Do(ctx); err != nil {
					tb.t.Fatalf("%s: attach to the frame: %v", tb.name, err)
				}
				return &tab{t: tb.t, name: tb.name + " (frame)", ctx: ctx}
			}
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("%s: no frame of %s", tb.name, prefix)
		}
		time.Sleep(40 * time.Millisecond) // the poll's interval, as chromedp.Poll's
	}
}

// TestBrowserProgramme: the phone's Now / Next card and the stage lobby's
// session on now follow the programme, a change is pushed to both, and
// both turn over by themselves when the session ends; the control page
// imports a CSV after its preview; the embedded audience page joins and
// votes inside a web-TV page of another site (its token in third-party
// storage) and resizes the frame, and a page of an origin not allowed
// cannot frame it.
func TestBrowserProgramme(t *testing.T) {
	t.Parallel()
	// The web-TV page is on another site (localhost, the server on
	// 127.0.0.1): the browser runs the frame in its own process, with the
	// storage of a third party. Its origin is known before the server's config.
	hostMux := http.NewServeMux()
	host := httptest.NewServer(hostMux)
	t.Cleanup(host.Close)
	webTV := strings.Replace(host.URL, "127.0.0.1", "localhost", 1)
	srv := startServer(t, "", "-frame_ancestors", "'self',"+webTV) // 'self': the control page's stage preview
	const code = "DEVDAYS"
	var ev struct{ ID int64 }
	must(t, srv.URL, "POST", "/api/events", map[string]any{"code": code, "title": "Journées Ovation", "languages": []string{"en", "fr"}}, &ev)
	var model struct {
		Rooms []struct{ ID int64 }
	}
	must(t, srv.URL, "GET", "/api/events/"+code+"/model", nil, &model)
	room := model.Rooms[0].ID
	must(t, srv.URL, "PATCH", fmt.Sprintf("/api/rooms/%d", room), map[string]any{"name": "Amphi Bleu"}, nil)
	must(t, srv.URL, "PUT", "/api/events/"+code+"/programme/time-zone", map[string]any{"time_zone": "Europe/Paris"}, nil)
	now := time.Now().UTC().Truncate(time.Minute)
	longTitle := "Internationalisation, accessibilité et résilience : ce que cinq mille téléphones nous ont appris en direct"
	must(t, srv.URL, "POST", "/api/events/"+code+"/programme/sessions", map[string]any{"title": longTitle, "room_id": room,
		"speakers": []map[string]string{{"name": "Hélène Dupré-Vasconcelos", "affiliation": "Ovation"}, {"name": "José Núñez", "affiliation": "Universidad Politécnica de Madrid"}},
		"start":    now.Add(-10 * time.Minute), "end": now.Add(40 * time.Minute)}, nil)
	must(t, srv.URL, "POST", "/api/events/"+code+"/programme/sessions", map[string]any{"title": "Streaming to 124,000 viewers", "room_id": room,
		"speakers": []map[string]string{{"name": "Zoë Åberg"}}, "start": now.Add(45 * time.Minute), "end": now.Add(90 * time.Minute)}, nil)

	b := newBrowser(t)
	shots := shotDir(t)

	// The phone: Now / Next under the waiting card.
	phone := b.newTab("phone", phoneSize)
	phone.open(fmt.Sprintf("%s/e/%s?room=%d", srv.URL, code, room))
	phone.click(`#join-form button[type=submit]`)
	phone.waitFor("waiting card", `document.querySelector('#waiting')`)
	phone.waitFor("now and next", `document.querySelector('#programme-card:not([hidden]) .prog-slot-now .prog-title')?.textContent === `+jsString(longTitle)+
		` && document.querySelector('.prog-slot-next .prog-title')?.textContent === 'Streaming to 124,000 viewers'`)
	if got := phone.text(`document.querySelector('.prog-slot-now .prog-speakers').textContent`); got != "Hélène Dupré-Vasconcelos (Ovation), José Núñez (Universidad Politécnica de Madrid)" {
		t.Errorf("phone: speakers %q", got)
	}
	if w := jsEval[bool](phone, `document.documentElement.scrollWidth <= innerWidth`); !w {
		t.Error("phone: the programme card overflows the screen sideways")
	}
	phone.click(`#prog-day summary`)
	phone.waitFor("the day's sessions", `document.querySelectorAll('#prog-day[open] .prog-row').length === 2 && document.querySelector('.prog-row.prog-on')`)
	phone.eval(`document.querySelector('#programme-card').scrollIntoView({block: 'start'})`)
	phone.screenshot(shots, "audience-programme", phoneSize)
	phone.checkContrast("programme")

	// The stage's lobby: the session on now under the event's name, inside the screen.
	stage := b.newTab("stage", stageSize)
	stage.open(fmt.Sprintf("%s/stage/%s?room=%d", srv.URL, code, room))
	stage.waitFor("session on now in the lobby", `document.querySelector('#lobby-session:not([hidden]) #lobby-session-title')?.textContent === `+jsString(longTitle))
	fits := `(() => {
  const inside = (el) => { const r = el.getBoundingClientRect(); return r.left >= 0 && r.right <= innerWidth && r.bottom <= innerHeight; };
  const els = ['#lobby-session-title', '#lobby-session-speakers', '#lobby h1'].map((s) => document.querySelector(s));
  return els.every(inside) && document.documentElement.scrollWidth <= innerWidth &&
    els.every((el) => el.dataset.fit !== 'cut' || /…$|\S$/.test(el.textContent));
})()`
	for _, vp := range []viewport{stageSize, {1280, 720, false}} {
		stage.do(fmt.Sprintf("%dx%d", vp.w, vp.h), stage.emulate(vp))
		stage.waitFor(fmt.Sprintf("lobby fits at %dx%d", vp.w, vp.h), fmt.Sprintf(`innerWidth === %d && %s`, vp.w, fits))
		stage.settled()
		// The long-name rules: wrapped between words (hyphenated in the
		// text's language), inside the screen, shown whole where room allows.
		for _, sel := range []string{"#lobby-session-title", "#lobby-session-speakers"} {
			checkNames(t, stage, fmt.Sprintf("lobby %dx%d", vp.w, vp.h), sel, false)
		}
		stage.screenshot(shots, fmt.Sprintf("stage-lobby-programme-%d", vp.h), vp)
	}
	stage.checkContrast("lobby with the session on now")
	stage.do("1920x1080", stage.emulate(stageSize))

	// A change of the programme is pushed to both.
	var list struct {
		Sessions []struct{ ID int64 }
	}
	must(t, srv.URL, "GET", "/api/events/"+code+"/programme", nil, &list)
	must(t, srv.URL, "PATCH", fmt.Sprintf("/api/events/%s/programme/sessions/%d", code, list.Sessions[0].ID), map[string]any{"title": "Keynote, retitled"}, nil)
	phone.waitFor("retitled on the phone", `document.querySelector('.prog-slot-now .prog-title')?.textContent === 'Keynote, retitled'`)
	stage.waitFor("retitled on the stage", `document.querySelector('#lobby-session-title')?.textContent === 'Keynote, retitled'`)

	// In French.
	phone.click(".lang-switch")
	phone.waitFor("Now / Next in French", `document.querySelector('.prog-slot-now .prog-label')?.textContent === 'En ce moment' && document.querySelector('.prog-slot-next .prog-label')?.textContent === 'Ensuite' && /^lundi 7 décembre : 2 sessions$/.test(document.querySelector('#prog-day summary').textContent)`)
	phone.screenshot(shots, "audience-programme-fr", phoneSize)
	phone.click(".lang-switch")

	// When the session ends, phone and stage turn over by themselves: no
	// session on now, the next one still announced.
	must(t, srv.URL, "PATCH", fmt.Sprintf("/api/events/%s/programme/sessions/%d", code, list.Sessions[0].ID), map[string]any{"end": time.Now().UTC().Add(2 * time.Second)}, nil)
	phone.waitFor("nothing on now once it ended", `document.querySelector('.prog-none') && document.querySelector('.prog-slot-next .prog-title')?.textContent === 'Streaming to 124,000 viewers'`)
	stage.waitFor("the lobby without a session once it ended", `document.querySelector('#lobby-session').hidden && document.querySelector('#lobby')`)

	// The control page: the Programme panel, a CSV previewed then imported.
	control := b.newTab("control", controlSize)
	control.open(srv.URL + "/control#" + code)
	control.typeInto("#password", "correct horse")
	control.click(`#login-form button[type=submit]`)
	control.waitFor("programme panel", `document.querySelectorAll('#programme-panel .prog-row').length === 2`)
	csv := filepath.Join(t.TempDir(), "programme.csv")
	data := "\uFEFFtitle,speakers,room,start,end\n" +
		fmt.Sprintf("\"Ateliers : « questions, réponses »\",Élodie Marchand (Ovation); Marc,Amphi Bleu,%s,%s\n",
			now.Add(2*time.Hour).Format(time.RFC3339), now.Add(3*time.Hour).Format(time.RFC3339))
	if err := os.WriteFile(csv, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	control.click("#prog-import")
	control.do("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#prog-file"), []string{csv}))
	control.waitFor("preview", `document.querySelector('#prog-preview-summary') && !document.querySelector('#prog-import-go').disabled`)
	if got := control.text(`document.querySelector('#prog-preview tbody td:nth-child(3)').textContent`); got != "Ateliers : « questions, réponses »" {
		t.Errorf("control: preview shows %q", got)
	}
	control.screenshot(shots, "control-programme-import", controlSize)
	control.click("#prog-import-go")
	control.waitFor("imported", `document.querySelectorAll('#programme-panel .prog-row').length === 3 && !document.querySelector('#form-dialog').open`)
	control.eval(`document.querySelector('#programme-panel').scrollIntoView({block: 'start'})`)
	control.screenshot(shots, "control-programme", controlSize)

	// Edited in its form: the times shown and sent back in the event's zone.
	type talk struct {
		ID    int64     `json:"id"`
		Start time.Time `json:"start"`
		End   time.Time `json:"end"`
	}
	read := func(id int64) talk {
		t.Helper()
		var p struct{ Sessions []talk }
		must(t, srv.URL, "GET", "/api/events/"+code+"/programme", nil, &p)
		for _, x := range p.Sessions {
			if x.ID == id {
				return x
			}
		}
		t.Fatalf("no session %d", id)
		return talk{}
	}
	second := read(list.Sessions[1].ID)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	control.click(fmt.Sprintf(`#programme-panel .prog-row[data-session="%d"] .row-actions button`, second.ID))
	control.waitFor("the session's form, in Paris time", `document.querySelector('#f-start')?.value === `+jsString(second.Start.In(paris).Format("2006-01-02T15:04")))
	// The form is longer than the laptop's screen: its buttons stay in view.
	control.waitFor("Save in view", `(() => { const r = document.querySelector('#form-dialog button[type=submit]').getBoundingClientRect();
  const d = document.querySelector('#form-dialog').getBoundingClientRect(); return r.top >= d.top && r.bottom <= Math.min(d.bottom, innerHeight); })()`)
	control.screenshot(shots, "control-programme-edit", controlSize)
	control.eval(`document.querySelector('#f-title').value = ''`)
	control.typeInto("#f-title", "Streaming to 124,000 viewers, live")
	control.click(`#dlg-form button[type=submit]`)
	control.waitFor("renamed in the panel", fmt.Sprintf(`document.querySelector('#programme-panel .prog-row[data-session="%d"] .prog-title')?.textContent === 'Streaming to 124,000 viewers, live'`, second.ID))
	after := read(second.ID)
	if !after.Start.Equal(second.Start) || !after.End.Equal(second.End) {
		t.Errorf("the form moved the session: %v–%v, was %v–%v", after.Start, after.End, second.Start, second.End)
	}
	control.checkContrast("programme panel")
	phone.waitFor("imported session on the phone's day", `document.querySelectorAll('#prog-day .prog-row').length === 3`)

	// The embed, framed by the web-TV page of another origin.
	hostMux.Handle("/", hostPage(srv.URL, code, room))
	tv := b.newTab("web tv", controlSize)
	tv.open(webTV)
	frame := tv.frame(srv.URL + "/e/")
	frame.click(`#join-form button[type=submit]`)
	frame.waitFor("joined inside the frame", `document.querySelector('#waiting') && localStorage.getItem('ovation.token.`+code+`')`)
	tv.waitFor("the frame's height from its messages", `window.heights.length > 0 && document.querySelector('#ovation').style.height === window.heights[window.heights.length - 1] + 'px'`)
	before := jsEval[float64](tv, `document.querySelector('#ovation').getBoundingClientRect().height`)
	var poll struct{ ID int64 }
	must(t, srv.URL, "POST", "/api/events/"+code+"/polls", map[string]any{"room_id": room, "question": "Which talk next year?", "kind": "choices",
		"choices": []string{"Latency", "Accessibility", "Moderation at scale", "Offline first", "Web TV audiences", "Something else"}}, &poll)
	must(t, srv.URL, "POST", fmt.Sprintf("/api/polls/%d/actions/open", poll.ID), nil, nil)
	tv.waitFor("the frame grew with the poll", fmt.Sprintf(`document.querySelector('#ovation').getBoundingClientRect().height > %f + 100`, before))
	phonePage{frame, "web tv viewer"}.vote(fmt.Sprintf("poll:%d", poll.ID), 5, "counted")
	var results struct {
		Polls []struct {
			Poll struct {
				ID int64 `json:"id"`
			} `json:"poll"`
			Counts []int `json:"counts"`
		} `json:"polls"`
	}
	must(t, srv.URL, "GET", "/api/events/"+code+"/results?format=json", nil, &results)
	counted := false
	for _, p := range results.Polls {
		counted = counted || (p.Poll.ID == poll.ID && len(p.Counts) == 6 && p.Counts[4] == 1)
	}
	if !counted {
		t.Errorf("the embed's vote is not in the results: %+v", results.Polls)
	}
	tv.eval(`scrollTo(0, 0)`)
	tv.screenshot(shots, "embed-web-tv", controlSize)
	tv.do("phone size", tv.emulate(phoneSize))
	tv.waitFor("the frame follows a narrow host", `window.heights.length > 1`)
	tv.eval(`scrollTo(0, 0)`)
	tv.screenshot(shots, "embed-web-tv-phone", phoneSize)

	// A page of an origin that is not in frame_ancestors cannot frame it.
	other := httptest.NewServer(hostPage(srv.URL, code, room))
	t.Cleanup(other.Close)
	stranger := b.newTab("stranger", controlSize)
	stranger.open(other.URL)
	stranger.waitFor("host page", `document.querySelector('#ovation')`)
	deadline := time.Now().Add(waitTimeout)
	for {
		urls := frameURLs(stranger)
		if len(urls) == 1 && strings.HasPrefix(urls[0], "chrome-error:") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stranger: the framed page was not refused: frames %q", urls)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := jsEval[int](stranger, `window.heights.length`); got != 0 {
		t.Errorf("stranger: got %d heights from a refused frame", got)
	}
	for _, tb := range []*tab{phone, stage, control, tv} {
		tb.checkConsole()
	}
}
