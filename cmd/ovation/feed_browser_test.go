package main

// Browser tests of the social feed's pages: posts arrive from a phone (in
// app) and from the authenticated webhook, a moderator decides on them from
// the control page's live queue, and only the approved ones reach the stage
// ticker, the wall and the audience feed. Posts carrying HTML and script
// stay text on every page.

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// feedItem is a feed item as the API returns it.
type feedItem struct {
	ID     int64  `json:"id"`
	Text   string `json:"text"`
	Status string `json:"status"`
	Pinned bool   `json:"pinned"`
}

// watchDialogs counts the JavaScript dialogs (alert, confirm, prompt) the
// tab opens, and dismisses them so that the page goes on.
func watchDialogs(tb *tab, n *atomic.Int32) {
	tb.t.Helper()
	err := chromedp.Listen(tb.ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			n.Add(1)
			go func() {
				ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
				defer cancel()
				_ = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
					_, err := chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
					return err
				}))
			}()
		}
	})
	if err != nil {
		tb.t.Fatalf("%s: listen for dialogs: %v", tb.name, err)
	}
}

// noInjectedMarkup is true when the page holds no element a post could have
// injected: no inline script, no event-handler attribute, no image of "x",
// no javascript: link. The page's own import map, the first script of its
// <head>, is the one inline script a page has.
const noInjectedMarkup = `document.querySelectorAll('script:not([src]):not(head > script[type="importmap"]:first-of-type), [onerror], [onload], img[src="x"], a[href^="javascript:" i]').length === 0`

// itemSel selects the element of item id inside sel.
func itemSel(sel string, id int64) string { return fmt.Sprintf(`%s [data-item-id="%d"]`, sel, id) }

func has(sel string) string { return `!!document.querySelector(` + jsString(sel) + `)` }

func TestBrowserFeedModeration(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "")
	ev := newPitchNight(t, srv.URL, "FEED26")
	shots := shotDir(t)
	var hook struct{ Token string }
	must(t, srv.URL, "POST", "/api/events/"+ev.Code+"/feed/webhook-token", nil, &hook)
	must(t, srv.URL, "PATCH", "/api/events/"+ev.Code+"/feed/settings", map[string]any{"recordings": map[string]any{
		fmt.Sprint(ev.RoomID): map[string]any{"url": "https://video.example/final.mp4", "started_at": time.Now().Add(-20 * time.Minute).UTC().Format(time.RFC3339)}}}, nil)

	b := newBrowser(t)
	var dialogs atomic.Int32
	stage := b.newTab("stage", stageSize)
	watchDialogs(stage, &dialogs)
	stage.open(srv.URL + "/stage/" + ev.Code)
	stage.waitFor("stage lobby", has("#lobby"))
	wall := b.newTab("wall", stageSize)
	watchDialogs(wall, &dialogs)
	wall.open(srv.URL + "/stage/" + ev.Code + "?view=wall")
	wall.waitFor("empty wall", has("#wall-view")+` && document.querySelector('#wall-grid').dataset.count === '0'`)

	control := b.newTab("control", controlSize)
	watchDialogs(control, &dialogs)
	control.open(srv.URL + "/control#" + ev.Code)
	control.waitFor("login form", `!document.querySelector('#login-view').hidden`)
	control.typeInto("#password", "correct horse")
	control.click(`#login-form button[type=submit]`)
	control.waitFor("empty queue", `document.querySelector('#feed-queue') && document.querySelector('#feed-queue').dataset.count === '0'`)

	// A phone posts twice from the audience page, once with markup.
	phone := b.newTab("phone", phoneSize)
	watchDialogs(phone, &dialogs)
	phone.open(srv.URL + "/e/" + ev.Code)
	phone.typeInto("#name", "Zoé")
	phone.click(`#join-form button[type=submit]`)
	phone.waitFor("post box", has("#post-form")+` && document.querySelector('#feed-list').dataset.count === '0'`)
	// The box counts against the event's limit, and follows it when a moderator changes it.
	phone.waitFor("0 / 280 under the box", `document.querySelector('#post-count').textContent === '0 / 280'`)
	must(t, srv.URL, "PATCH", "/api/events/"+ev.Code+"/feed/settings", map[string]any{"post_max_len": 140}, nil)
	phone.waitFor("0 / 140 after the change", `document.querySelector('#post-count').textContent === '0 / 140'`)
	phone.typeInto("#post-text", "Bravo")
	phone.waitFor("5 / 140 while typing", `document.querySelector('#post-count').textContent === '5 / 140'`)
	phone.eval(`const b = document.querySelector('#post-text'); b.value = ''; b.dispatchEvent(new Event('input'))`)
	post := func(text string) {
		t.Helper()
		phone.eval(`document.querySelector('#post-status').textContent = ''; document.querySelector('#post-error').textContent = ''`)
		phone.typeInto("#post-text", text)
		phone.click("#post-submit")
		phone.waitFor("post answered", `document.querySelector('#post-status').textContent !== '' || document.querySelector('#post-error').textContent !== ''`)
	}
	const bravo = "Bravo la démo ! #FEED26"
	const xssApp = `Look <img src=x onerror=alert(1)> and <script>alert(2)</script> here`
	post(bravo)
	if got := phone.text(`document.querySelector('#post-status').textContent`); !strings.Contains(got, "moderator") {
		t.Errorf("after posting the phone says %q, want that a moderator will approve it", got)
	}
	post(xssApp)
	// The same post again: the server's refusal shows under the box.
	phone.expect("/api/events/"+ev.Code+"/feed/posts", 409)
	post(bravo)
	if got := phone.text(`document.querySelector('#post-error').textContent`); got != "You already posted this." {
		t.Errorf("a duplicate post shows %q, want the server's refusal", got)
	}

	// Two posts come by the webhook; one carries markup in every field.
	webhook := func(id, author, name, text, link string) feedItem {
		t.Helper()
		var it feedItem
		if st := call(t, srv.URL, "POST", "/api/events/"+ev.Code+"/feed/webhook", hook.Token, map[string]any{
			"id": id, "author": author, "author_name": name, "text": text, "link": link}, &it); st != 201 {
			t.Fatalf("webhook %s: status %d", id, st)
		}
		return it
	}
	spam := webhook("zap-1", "spammer", "Spam Bot", "Buy followers now", "https://spam.example/buy")
	xssHook := webhook("zap-2", "mallory", `<svg onload=alert(3)>`, `<script>alert(4)</script> <img src=x onerror=alert(5)> great talk`, "javascript:alert(6)")

	// The moderation queue shows all four, live.
	control.waitFor("4 posts in the queue", `document.querySelector('#feed-queue').dataset.count === '4'`)
	idOf := func(text string) int64 {
		t.Helper()
		id := control.text(`String([...document.querySelectorAll('#feed-queue .queue-item')].find((e) => e.querySelector('.post-text').textContent === ` + jsString(text) + `)?.dataset.itemId || '')`)
		var n int64
		if _, err := fmt.Sscan(id, &n); err != nil {
			t.Fatalf("no queue item with text %q (%v)", text, err)
		}
		return n
	}
	bravoID, xssAppID := idOf(bravo), idOf(xssApp)
	if idOf(spam.Text) != spam.ID || idOf(xssHook.Text) != xssHook.ID {
		t.Fatalf("the queue does not show the webhook items %d and %d", spam.ID, xssHook.ID)
	}
	control.waitFor("no markup in the queue", noInjectedMarkup)
	control.eval(`scrollTo(0, document.querySelector('#feed-panel').getBoundingClientRect().top + scrollY - 80)`)
	control.screenshot(shots, "control-feed-queue", controlSize)

	// Approve three, reject the spam, pin the phone's first post.
	for _, id := range []int64{bravoID, xssAppID, xssHook.ID} {
		control.click(fmt.Sprintf("#fq-%d-approve", id))
		control.waitFor(fmt.Sprintf("item %d approved", id), has(itemSel("#feed-approved", id))+` && !`+has(itemSel("#feed-queue", id)))
	}
	control.click(fmt.Sprintf("#fq-%d-reject", spam.ID))
	control.waitFor("queue empty", `document.querySelector('#feed-queue').dataset.count === '0'`)
	control.click(fmt.Sprintf("#fa-%d-pin", bravoID))
	control.waitFor("pinned", has(itemSel("#feed-approved", bravoID)+".pinned")+" && "+has(fmt.Sprintf("#fa-%d-unpin", bravoID)))

	// Every decision is in the audit log.
	control.click("#audit-summary")
	control.waitFor("decisions audited", fmt.Sprintf(`%s && %s && %s`,
		has(fmt.Sprintf(`#audit-table tr[data-action="feed_approve"][data-target="feed_item:%d"]`, xssHook.ID)),
		has(fmt.Sprintf(`#audit-table tr[data-action="feed_reject"][data-target="feed_item:%d"]`, spam.ID)),
		has(fmt.Sprintf(`#audit-table tr[data-action="feed_pin"][data-target="feed_item:%d"]`, bravoID))))

	// The stage ticker crawls the approved posts, the pinned one highlighted.
	approved := []int64{bravoID, xssAppID, xssHook.ID}
	for _, tc := range []struct {
		tab *tab
		sel string
	}{{stage, "#ticker-track"}, {wall, "#wall-grid"}, {phone, "#feed-list"}} {
		conds := []string{has(itemSel(tc.sel, bravoID) + ".pinned")}
		for _, id := range approved {
			conds = append(conds, has(itemSel(tc.sel, id)))
		}
		tc.tab.waitFor("approved posts", strings.Join(conds, " && "))
		if tc.tab.text(`String(!!document.querySelector(`+jsString(itemSel(tc.sel, spam.ID))+`))`) != "false" {
			t.Errorf("%s shows the rejected post", tc.tab.name)
		}
		if got := jsEval[[]string](tc.tab, `[...document.querySelectorAll('`+tc.sel+` [data-item-id]')].map((e) => e.textContent)`); !containsAll(got, "<img src=x onerror=alert(1)>", "<script>alert(4)</script>", "<svg onload=alert(3)>") {
			t.Errorf("%s does not show the markup as text: %q", tc.tab.name, got)
		}
		tc.tab.waitFor("no markup injected", noInjectedMarkup)
	}
	// The crawl is a CSS animation: its computed transform moves on.
	stage.eval(`window.__x0 = getComputedStyle(document.querySelector('#ticker-track')).transform`)
	stage.waitFor("ticker crawling", `getComputedStyle(document.querySelector('#ticker-track')).transform !== window.__x0`)
	if got := stage.text(`getComputedStyle(document.querySelector('#ticker')).bottom`); got != "0px" {
		t.Errorf("ticker bottom = %s, want along the bottom by default", got)
	}
	stage.screenshot(shots, "stage-ticker", stageSize)
	wall.screenshot(shots, "stage-wall", stageSize)
	phone.screenshot(shots, "audience-feed", phoneSize)

	// ?ticker=top puts it along the top.
	top := b.newTab("stage top", stageSize)
	top.open(srv.URL + "/stage/" + ev.Code + "?ticker=top&speed=300")
	top.waitFor("ticker at the top", has(itemSel("#ticker-track", bravoID))+` && document.querySelector('#ticker').getBoundingClientRect().top === 0`)

	// The moments page charts the room's volume.
	moments := b.newTab("moments", controlSize)
	watchDialogs(moments, &dialogs)
	moments.open(fmt.Sprintf("%s/moments/%s?room=%d", srv.URL, ev.Code, ev.RoomID))
	moments.waitFor("volume chart", `document.querySelectorAll('#volume-chart rect.vc-bar').length > 0 && document.querySelector('#moments-list').children.length > 0`)
	for _, href := range jsEval[[]string](moments, `[...document.querySelectorAll('.moment-watch')].map((a) => a.href)`) {
		if !strings.HasPrefix(href, "https://video.example/final.mp4#t=") {
			t.Errorf("moment links to %q, want the recording at an offset", href)
		}
	}
	moments.waitFor("no markup injected", noInjectedMarkup)
	moments.screenshot(shots, "moments", controlSize)

	if n := dialogs.Load(); n != 0 {
		t.Errorf("%d JavaScript dialogs opened: a post ran script", n)
	}
	for _, tb := range []*tab{stage, wall, control, phone, top, moments} {
		tb.checkConsole()
	}
}

func containsAll(texts []string, subs ...string) bool {
	all := strings.Join(texts, "\n")
	for _, s := range subs {
		if !strings.Contains(all, s) {
			return false
		}
	}
	return true
}
