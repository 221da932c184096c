// Stage display (/stage/CODE?room=ID): a kiosk screen that follows one
// room's screen topic (stage:N, tallies at the full rate) and never needs a click. ?theme=light overrides the dark
// theme, ?lang=fr|en the event's default language. It recovers by itself
// after a network cut or a server restart.
//
// The social feed: approved posts crawl along a ticker (?ticker=bottom, the
// default, top or off; ?speed=PX pixels per second on a 1080-line screen,
// 20–600, default 110), pinned posts first and highlighted. ?view=wall
// shows the latest posts as cards, full screen, instead of the voting views.
//
// Boards: an entry a moderator highlights shows full screen ("now
// answering") over the pitch and the lobby (an open poll and the ranking
// reveal still come first). ?view=board shows a board's top entries live
// instead of the voting views (?board=ID, default: the room's newest open
// board); a highlight still takes over while it lasts.
//
// The room's screen (room.screen in the stage frame, set on the control
// page) overrides all of that on every stage of the room: "lobby" shows the
// lobby, "blank" the event's colour alone; "current" is the automatic view.
//
// ?view=overlay is the stage for a stream's browser source (OBS, vMix) at
// 1920×1080: a transparent page with a lower third, inside the title-safe
// area, of what the stage shows (the pitch or the poll with its live result,
// the entry on stage) beside the join code and URL, and the ranking as a
// side panel above it; "blank" shows nothing over the picture. Its only
// connection state is a small mark in a corner.
import { boardFrames, boardHighlight, sortEntries } from '/static/lib/boards.js';
import { startCountdowns } from '/static/lib/countdown.js';
import { h, scheduler } from '/static/lib/dom.js';
import { latestFeed, feedPost, authorLine, followFeed } from '/static/lib/feed.js';
import { fitBox, fitText, fitLines } from '/static/lib/fit.js';
import { hostPath, fmtScore, letter } from '/static/lib/format.js';
import { api } from '/static/lib/http.js';
import { icon } from '/static/lib/icons.js';
import { t, applyI18n, setLang } from '/static/lib/lang.js';
import { Live } from '/static/lib/live.js';
import { applyBrand } from '/static/lib/theme.js';
import { hasJury, scoreParts, entryData, tieText, markCorrect } from '/static/lib/widgets.js';
import { kindOf, pitchQuestion } from '/static/kinds/all.js';
import * as quizKind from '/static/kinds/quiz.js';
import { lobbyLine, followClock } from '/static/programme.js';

const params = new URLSearchParams(location.search);
const wallMode = params.get('view') === 'wall';
const boardMode = params.get('view') === 'board';
const overlayMode = params.get('view') === 'overlay';
const boardWanted = Number(params.get('board')) || 0;
const tickerAt = wallMode || boardMode || overlayMode ? 'off' : ['top', 'off'].includes(params.get('ticker')) ? params.get('ticker') : 'bottom';
const tickerSpeed = Math.min(600, Math.max(20, Number(params.get('speed')) || 110));
document.body.dataset.ticker = tickerAt;
if (wallMode) document.body.classList.add('wall-mode');
if (overlayMode) document.documentElement.classList.add('overlay');
const code = decodeURIComponent(location.pathname.split('/')[2] || '').trim().toUpperCase();
if (params.get('theme')) document.documentElement.dataset.theme = params.get('theme');
if (params.get('lang')) setLang(params.get('lang'), false);
applyI18n();

const $ = (id) => document.getElementById(id);
const main = $('main');
let live = null;
let roomId = 0;
let roomCount = 1; // the event's rooms: with more than one, the join URL names this stage's
let joinBase = location.origin; // scheme://host of the public join URL
let qrVersion = '';
let view = { key: '', update: () => {} };
let nameLang = ''; // the event's language, that of its names and titles

// fitName fits a name or a title to its box; a hall reads nothing under 3vh (32 px at 1080p).
const fitName = (el) => fitText(el, { min: '3vh', lang: nameLang });

async function boot() {
  for (let attempt = 0; ; attempt++) {
    try {
      const ev = await api(`/api/events/${encodeURIComponent(code)}`);
      const wanted = Number(params.get('room'));
      const room = ev.rooms.find((r) => r.id === wanted) || ev.rooms[0];
      roomId = room.id;
      roomCount = ev.rooms.length;
      joinBase = ev.join_url.slice(0, ev.join_url.length - ev.join_path.length);
      if (!params.get('lang') && ev.languages?.length) setLang(ev.languages[0], false);
      applyEvent(ev);
      break;
    } catch (e) {
      main.replaceChildren(h('div', { class: 'hidden-note' }, h('p', { text: e.code === 'not_found' ? t('no_event') : t('reconnecting') })));
      $('reconnecting').hidden = e.code === 'not_found';
      await new Promise((r) => setTimeout(r, Math.min(5000, 1000 * 2 ** attempt) * (0.7 + Math.random() * 0.6)));
    }
  }
  live = new Live({ topics: [`stage:${roomId}`] });
  const render = scheduler(renderAll);
  live.addEventListener('update', render);
  followFeed(live, code, render);
  live.addEventListener('status', renderConn);
  window.addEventListener('langchange', renderConn);
  live.addEventListener('update', (ev) => {
    // After a server restart the public URL may differ: fetch the QR code again.
    const st = live.store(`stage:${roomId}`);
    if (ev.detail.snapshot && st.epoch !== qrVersion) { qrVersion = st.epoch; render(); }
  });
  window.addEventListener('langchange', () => { view = { key: '' }; renderAll(); });
  startCountdowns(() => live.offset);
  live.connect();
}

// renderConn shows the connection state above everything (the ticker
// included) and greys the live figures (phones, votes, timers, results)
// while the screen cannot vouch for them: disconnected, or a cluster edge
// that receives no frames.
function renderConn() {
  const mark = $('reconnecting');
  const stale = live.status !== 'open' || live.degraded;
  mark.hidden = !stale;
  document.body.classList.toggle('stale', stale);
  if (!stale) { delete mark.dataset.down; return; }
  const down = live.status === 'open' ? 'degraded' : live.down || '';
  mark.dataset.down = down || 'unknown';
  mark.lastElementChild.textContent = down === 'degraded' ? t('stage_degraded') : down ? t(`stage_offline_${down}`) : t('reconnecting');
}

// joinURL is the audience page of the event; with several rooms it names
// this stage's room, so that a phone goes straight to it.
function joinURL(ev) { return `${joinBase}/e/${ev.code}${roomCount > 1 ? `?room=${roomId}` : ''}`; }
function qrSrc(ev) {
  const q = new URLSearchParams();
  if (roomCount > 1) q.set('room', String(roomId));
  if (qrVersion) q.set('v', qrVersion);
  return `/api/events/${encodeURIComponent(ev.code)}/qr.svg${q.size ? `?${q}` : ''}`;
}

function applyEvent(ev) {
  applyBrand(ev.color);
  nameLang = ev.languages?.[0] || nameLang;
  $('title').textContent = document.title = ev.title;
  fitName($('title'));
  $('joincode').textContent = ev.code;
  $('joinurl').textContent = hostPath(joinURL(ev));
  const qr = $('qr-small');
  if (qr.getAttribute('src') !== qrSrc(ev)) qr.src = qrSrc(ev);
  qr.alt = t('qr_alt', { url: hostPath(joinURL(ev)) });
  const logo = $('logo');
  if (ev.logo_url && logo.getAttribute('src') !== ev.logo_url) logo.src = ev.logo_url;
  logo.hidden = !ev.logo_url;
}

function renderAll() {
  if (!live) return;
  const store = live.store(`stage:${roomId}`);
  const stage = store.get(`stage:${roomId}`);
  if (!stage) return;
  applyEvent(stage.event);
  const presence = store.get('presence');
  const connected = presence ? presence.connected : 0;
  const pres = $('presence');
  // Drawn again only when the count or the language changes: a new dot
  // pings, and a stage that nothing happens on draws nothing.
  const presSig = `${connected} ${document.documentElement.lang}`;
  if (pres.dataset.sig !== presSig) {
    pres.dataset.sig = presSig;
    pres.dataset.connected = String(connected);
    pres.replaceChildren(h('span', { class: 'dot live' }), h('span', { text: t('connected', { n: connected }) }));
  }
  $('room').textContent = stage.room.name;

  // What the screen shows, most urgent first.
  const round = stage.round;
  const openPoll = stage.polls.find((p) => p.state === 'open');
  const pitch = round && round.state === 'running' ? round.pitches.find((p) => p.id === round.current_pitch_id) : null;
  // A quiz's questions show in the quiz's views only: once it ended they leave the screen.
  const shownPolls = stage.polls.filter((p) => p.state === 'closed' && (p.show_results || p.correct_revealed) && !p.quiz_id);
  const hl = boardHighlight(store);
  const quiz = stage.quiz; // a running quiz takes the screen
  let next;
  if (quiz) next = ['quiz', quiz.id, () => quizView(quiz.id)];
  else if (openPoll) next = ['poll', openPoll.id, () => pollView(openPoll.id)];
  else if (round && round.ranking_revealed) next = ['ranking', round.id, () => rankingView(round.id)];
  else if (hl) next = ['highlight', hl.entry.id, () => highlightView()];
  else if (pitch) next = ['pitch', pitch.id, () => pitchView(pitch.id)];
  else if (shownPolls.length) {
    const p = shownPolls[shownPolls.length - 1];
    next = ['poll', p.id, () => pollView(p.id)];
  } else next = ['lobby', 0, lobbyView];
  if (wallMode) next = ['wall', 0, wallView];
  if (boardMode) next = hl ? ['highlight', hl.entry.id, () => highlightView()] : ['board', 0, boardView];
  if (stage.room.screen === 'lobby') next = ['lobby', 0, lobbyView];
  else if (stage.room.screen === 'blank') next = ['blank', 0, blankView];
  // The overlay shows a quiz's question as a poll: its lower third has no room for a leaderboard.
  if (overlayMode && next[0] === 'quiz') next = quiz.current_poll_id ? ['poll', quiz.current_poll_id] : ['lobby', 0];
  if (overlayMode) { const [what, id] = next; next = [what, id, () => overlayView(what, id)]; }
  const key = `${next[0]}:${next[1]}`;
  if (view.key !== key) {
    view = next[2]();
    view.key = key;
    main.replaceChildren(view.el);
    document.body.dataset.view = next[0];
  }
  $('head').hidden = next[0] === 'lobby' || next[0] === 'blank';
  document.body.classList.toggle('board-mode', next[0] === 'highlight' || next[0] === 'board');
  renderRunOrder(next[0] === 'pitch' ? round : null);
  view.update(stage, store, connected);
  renderTicker(next[0] === 'blank' ? [] : latestFeed(store.get(`feed:${roomId}`)));
}

// blankView is the event's colour and nothing else, for a break or a
// technical problem; the page's CSS hides the frame around it.
// For a screen reader it keeps the page's main landmark and the event's
// name as its heading.
function blankView() {
  return { el: h('div', { class: 'blank-screen', id: 'blank-view' }, h('h1', { class: 'sr-only', text: document.title })), update() {} };
}

// ------------------------------------------------------------ overlay ----

// overlayView is the stream overlay's picture of what the stage shows
// (what: pitch, poll, ranking, highlight, lobby or blank; id: its id): a
// lower third with a kicker, the title (a team, a question), a subtitle,
// the live result, and the join code and URL; for the ranking, a side
// panel of the places revealed, the others numbered blanks.
function overlayView(what, id) {
  const kicker = h('div', { class: 'ov-kicker', id: 'ov-kicker' });
  const title = h('h1', { class: 'ov-title fit-lines', id: 'ov-title' });
  const sub = h('div', { class: 'ov-sub fit-line', id: 'ov-sub' });
  const count = h('div', { class: 'ov-count vote-count', id: 'ov-count' });
  const hist = h('div', { class: 'hist', id: 'ov-hist' });
  const bars = h('div', { class: 'bars', id: 'ov-bars' });
  const note = h('div', { class: 'ov-note', id: 'ov-note' });
  const meta = h('div', { class: 'ov-meta meta-line', id: 'ov-meta' });
  const liveBox = h('div', { class: 'ov-live', id: 'ov-live' }, count, hist, bars, note, meta);
  const url = h('div', { class: 'ov-join-url', id: 'ov-join-url' });
  const codeEl = h('div', { class: 'ov-join-code', id: 'ov-join-code' });
  const join = h('div', { class: 'ov-join', id: 'ov-join' }, h('div', { class: 'ov-join-label', text: t('join_at') }), url, codeEl);
  const third = h('div', { class: 'ov-third ov-panel', id: 'ov-third' }, h('div', { class: 'ov-main' }, kicker, title, sub), liveBox, join);
  const sideTitle = h('div', { class: 'ov-side-title' }, icon('trophy'), h('span'));
  const places = h('ol', { class: 'ov-places', id: 'ov-places' });
  const side = h('aside', { class: 'ov-side ov-panel', id: 'ov-ranking', hidden: what !== 'ranking' }, sideTitle, places);
  const el = h('div', { class: 'ov', id: 'overlay', dataset: { what } }, side, third);
  el.hidden = what === 'blank'; // nothing over the picture
  let placesSig = '';
  // live shows a tally: its count, then the result drawn by draw, or why there is none.
  const live = (tally, draw, waiting) => {
    const total = tally ? tally.total : 0;
    const show = !!tally && !tally.hidden;
    count.replaceChildren(h('strong', { text: String(total) }), t('votes_word', { n: total }));
    hist.hidden = true;
    bars.hidden = true;
    meta.replaceChildren();
    note.hidden = show;
    note.textContent = waiting ? t('voting_soon') : t('results_hidden');
    if (show) draw();
  };
  return {
    el,
    update(stage, store) {
      const ev = stage.event;
      url.textContent = hostPath(joinURL(ev));
      codeEl.textContent = ev.code;
      liveBox.hidden = !['pitch', 'poll'].includes(what);
      let main = '', subText = '';
      if (what === 'pitch') {
        const round = stage.round;
        const i = round ? round.pitches.findIndex((x) => x.id === id) : -1;
        const p = round?.pitches[i];
        if (!p) return;
        kicker.textContent = `${t('on_stage')} · ${i + 1}/${round.pitches.length}${p.state === 'voting' ? ` · ${t('voting_open')}` : ''}`;
        main = p.team;
        subText = p.presenter || '';
        const tally = store.get(`tally:pitch:${id}`);
        live(tally, () => {
          const q = pitchQuestion(round);
          hist.hidden = false;
          kindOf(q).stage.histogram(hist, q, tally);
          meta.replaceChildren(h('span', {}, t('mean_label'), ' ', h('strong', { text: fmtScore(tally.mean || 0) })));
        }, p.state === 'on_stage' || p.state === 'pending');
      } else if (what === 'poll') {
        const p = stage.polls.find((x) => x.id === id);
        if (!p) return;
        kicker.textContent = p.state === 'open' ? t('voting_open') : t('voting_closed');
        main = p.question;
        const tally = store.get(`tally:poll:${id}`);
        // A scale shows as columns: the lower third has no height for ten bars.
        const kind = kindOf(p);
        live(tally, () => {
          if (kind.stage.histogram) { hist.hidden = false; kind.stage.histogram(hist, p, tally); } else { bars.hidden = false; kind.stage.result(bars, p, tally); }
        }, false);
      } else if (what === 'ranking') {
        kicker.textContent = t('ranking');
        main = stage.round?.title || '';
        const f = store.get(`ranking:${id}`);
        const entries = f?.revealed ? f.entries : [];
        const total = Math.min(8, f?.places ?? stage.round?.pitches.length ?? 0);
        sideTitle.lastChild.textContent = t('ranking');
        const sig = JSON.stringify([entries, total]);
        if (sig !== placesSig) {
          placesSig = sig;
          const byRank = new Map(entries.map((e) => [e.rank, e]));
          const rows = [];
          for (let r = 1; r <= total; r++) {
            const e = byRank.get(r);
            rows.push(e ? h('li', { class: `p${r}`, dataset: entryData(e) }, h('span', { class: 'rank', text: String(r) }),
              h('span', { class: 'team fit-lines', text: e.team, lang: nameLang || undefined, style: { '--lines': total > 6 ? '1' : '3' } }),
              h('span', { class: 'score', text: e.audience.count + e.jury.count ? fmtScore(e.score) : '–' }))
              : h('li', { class: `p${r} waiting-place` }, h('span', { class: 'rank', text: String(r) }), h('span', { class: 'team', text: '?' }), h('span')));
          }
          places.replaceChildren(...rows);
          places.dataset.places = String(entries.length);
          places.querySelectorAll('.fit-lines').forEach(fitName);
        }
      } else if (what === 'highlight') {
        const hl = boardHighlight(store);
        if (!hl) return;
        kicker.textContent = `${t('now_answering')} · ${hl.board.title}`;
        main = hl.entry.text;
        subText = `${hl.entry.display_name || t('board_anonymous')} · ${t('board_upvotes', { n: hl.entry.upvotes })}`;
      } else {
        // The join box beside it says how to vote and where, once.
        kicker.textContent = '';
        main = ev.title;
      }
      kicker.hidden = !kicker.textContent;
      title.textContent = main;
      sub.textContent = subText;
      sub.hidden = !subText;
      fitText(title, { min: '2.6vh', lang: nameLang });
      fitText(sub, { min: '2.2vh', lang: nameLang });
    },
  };
}

// ------------------------------------------------------------- ticker ----

// The ticker is a track of posts repeated enough times that each half of
// it fills the window; a CSS animation (app.css, "crawl") moves it left by
// one half at tickerSpeed and starts again, where the track looks the same,
// so the crawl never jumps and no script runs per frame. New posts replace
// the track's content at the same place in the crawl. With reduced motion
// it stands still (app.css).
const ticker = { sig: '', copy: 0, items: [] };

function renderTicker(items) {
  const box = $('ticker');
  const show = tickerAt !== 'off' && items.length > 0;
  box.hidden = !show;
  document.body.classList.toggle('has-ticker', show);
  ticker.items = items;
  if (!show) { ticker.sig = ''; return; }
  const sig = JSON.stringify([items.map((it) => [it.id, it.pinned, it.text, it.author_name]), document.documentElement.lang, innerWidth, innerHeight]);
  if (sig === ticker.sig) return;
  ticker.sig = sig;
  $('ticker-label').replaceChildren(icon('chat'), h('span', { text: t('feed_live') }));
  const track = $('ticker-track');
  const speed = tickerSpeed * innerHeight / 1080; // px per second
  // Where the crawl is now, in px into one copy, to go on from there.
  const running = track.getAnimations()[0];
  const at = running && ticker.copy > 0 ? ((Number(running.currentTime) || 0) / 1000 * speed) % ticker.copy : 0;
  const copy = (hidden) => h('div', { class: 'ticker-copy', attrs: { 'aria-hidden': hidden ? 'true' : null, role: hidden ? null : 'list' } },
    items.map((it) => h('div', { class: `tick${it.pinned ? ' pinned' : ''}`, dataset: { itemId: String(it.id) }, attrs: { role: hidden ? null : 'listitem' } },
      it.pinned ? h('span', { class: 'tick-pin', attrs: { 'aria-label': t('feed_pinned') } }, icon('pin')) : null,
      h('strong', { class: 'tick-author', text: authorLine(it) }),
      h('span', { class: 'tick-text', text: it.text }))));
  track.replaceChildren(copy(false));
  ticker.copy = track.firstElementChild.getBoundingClientRect().width;
  const windowW = track.parentElement.getBoundingClientRect().width;
  const half = Math.max(1, Math.ceil(windowW / Math.max(1, ticker.copy)));
  for (let i = 1; i < 2 * half; i++) track.append(copy(true));
  track.dataset.count = String(items.length);
  track.style.animationDuration = `${Math.max(1, half * ticker.copy / speed).toFixed(2)}s`;
  const anim = track.getAnimations()[0];
  if (anim && ticker.copy > 0) anim.currentTime = (at % ticker.copy) / speed * 1000;
}

addEventListener('resize', () => { if (ticker.sig) renderTicker(ticker.items); });

// wallView shows the latest posts as cards, pinned first: the feed alone on
// the screen, between sessions or on a second display.
function wallView() {
  const grid = h('div', { class: 'wall-grid', id: 'wall-grid' });
  const empty = h('div', { class: 'hidden-note' }, icon('chat'), h('span', {}));
  const title = h('div', { class: 'wall-title' }, icon('chat'), h('span', {}));
  let sig = '';
  return {
    el: h('div', { class: 'wall', id: 'wall-view' }, title, grid, empty),
    update(stage, store) {
      title.lastChild.textContent = t('feed_wall_title');
      const items = latestFeed(store.get(`feed:${roomId}`)).slice(0, 9);
      empty.hidden = items.length > 0;
      empty.lastChild.textContent = t('feed_wall_empty');
      const next = JSON.stringify([items.map((it) => [it.id, it.pinned, it.text]), document.documentElement.lang]);
      if (next === sig) return;
      sig = next;
      grid.dataset.count = String(items.length);
      // One row of cards as high as the screen for three posts or fewer: their text shows whole.
      grid.dataset.rows = String(Math.max(1, Math.ceil(items.length / 3)));
      grid.replaceChildren(...items.map((it) => feedPost(it, { cls: 'post wall-card', link: false })));
      for (const card of grid.children) {
        card.querySelector('.post-author').classList.add('fit-line');
        const text = card.querySelector('.post-text');
        text.classList.add('fill-lines');
        fitLines(text);
      }
    },
  };
}

// highlightView is the entry a moderator put on stage, full screen.
function highlightView() {
  const board = h('div', { class: 'hl-board' }, icon('chat'), h('span'));
  const text = h('blockquote', { class: 'hl-text fit-lines', id: 'highlight-text' });
  const who = h('div', { class: 'hl-who' });
  const ups = h('div', { class: 'hl-ups' });
  const el = h('div', { class: 'highlight', id: 'highlight-view' },
    h('div', { class: 'stage-kicker hl-kicker', text: t('now_answering') }), board, text, h('div', { class: 'hl-foot' }, who, ups));
  return {
    el,
    update(stage, store) {
      const hl = boardHighlight(store);
      if (!hl) return;
      el.dataset.entry = String(hl.entry.id);
      board.lastChild.textContent = hl.board.title;
      text.textContent = hl.entry.text;
      const len = [...hl.entry.text].length;
      text.dataset.size = len > 180 ? 's' : len > 90 ? 'm' : 'l';
      // Never broken inside a word: a long word shrinks the text.
      fitText(text, { min: '3vh', lang: nameLang });
      who.textContent = hl.entry.display_name || t('board_anonymous');
      ups.replaceChildren(icon('up'), h('span', { text: t('board_upvotes', { n: hl.entry.upvotes }) }));
    },
  };
}

// boardView shows a board's top entries live, with their upvotes.
function boardView() {
  const title = h('div', { class: 'wall-title' }, icon('chat'), h('span'));
  const list = h('ol', { class: 'stage-board', id: 'stage-board' });
  const empty = h('div', { class: 'hidden-note' }, icon('chat'), h('span'));
  let sig = '';
  return {
    el: h('div', { class: 'wall', id: 'board-view' }, title, list, empty),
    update(stage, store) {
      const frames = boardFrames(store);
      const f = frames.find((x) => x.board.id === boardWanted)
        || frames.filter((x) => x.board.room_id === roomId && x.board.open).pop() || frames.filter((x) => x.board.open).pop() || frames[frames.length - 1];
      title.lastChild.textContent = f ? `${f.board.title} · ${t('board_top')}` : t('board_top');
      const entries = f ? sortEntries(f.entries, 'top').filter((e) => e.status === 'approved' || e.pinned).slice(0, 6) : [];
      empty.hidden = entries.length > 0;
      empty.lastChild.textContent = t('board_on_stage_empty');
      const next = JSON.stringify([f?.board.id, entries.map((e) => [e.id, e.upvotes, e.text, e.display_name, e.pinned]), document.documentElement.lang]);
      if (next === sig) return;
      sig = next;
      list.dataset.board = f ? String(f.board.id) : '';
      list.dataset.order = entries.map((e) => e.id).join(',');
      // Four rows at least; fewer entries share the height and show more lines.
      list.style.setProperty('--rows', String(Math.max(4, entries.length)));
      const max = Math.max(1, ...entries.map((e) => e.upvotes));
      list.replaceChildren(...entries.map((e, i) => h('li', { class: `sb-row${e.pinned ? ' pinned' : ''}`, dataset: { entryId: String(e.id) } },
        h('span', { class: 'sb-rank', text: String(i + 1) }),
        h('div', { class: 'sb-main' }, h('div', { class: 'sb-text fill-lines', text: e.text }),
          h('div', { class: 'sb-who fit-line', text: e.display_name || t('board_anonymous') }),
          h('div', { class: 'sb-bar' }, h('span', { style: { width: `${(100 * e.upvotes) / max}%` } }))),
        h('span', { class: 'sb-ups' }, icon('up'), h('strong', { text: String(e.upvotes) })))));
      // A question shows whole, in a smaller font if need be, down to the hall's floor (32 px at 1080p).
      list.querySelectorAll('.sb-text').forEach((el) => fitBox(el, { min: '3vh' }));
    },
  };
}

// renderRunOrder shows the round's running order in the footer during pitches
// (drawn again when a pitch comes back after a poll or the lobby).
function renderRunOrder(round) {
  const box = $('runorder');
  if (!round) { box.replaceChildren(); delete box.dataset.sig; delete box.dataset.now; return; }
  const idx = round.pitches.findIndex((p) => p.id === round.current_pitch_id);
  const sig = round.pitches.map((p) => `${p.id}:${p.team}`).join('|') + '#' + idx;
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  box.dataset.now = String(idx);
  box.replaceChildren(...round.pitches.map((p, i) => h('span', {
    class: `step fit-line${i === idx ? ' now' : i < idx ? ' done' : ''}`, lang: nameLang || undefined, dir: 'auto',
  }, h('span', { class: 'n', text: String(i + 1) }), ' ', h('span', { class: 'name', text: p.team }))));
  shortenRunOrder();
}

// shortenRunOrder makes room in a running order too long for its row: while
// a name the row shows is cut short for want of room, a pill shows its number
// alone, those done first (the oldest first), then the last ones to come, so
// the pitch on stage and the next keep their names; in a round longer still,
// those pills leave the row in the same order. It starts again from
// whole names when the row's width or its neighbours' change (the screen,
// the room's name, the presence count).
function shortenRunOrder() {
  const box = $('runorder');
  const steps = [...box.children];
  if (!steps.length) return;
  const now = Number(box.dataset.now);
  steps.forEach((s) => s.classList.remove('short', 'gone'));
  const far = [...steps.keys()].filter((i) => i < now).concat([...steps.keys()].filter((i) => i > now + 1).reverse());
  const order = [...far];
  // Squeezed by the row to less than three quarters of the width it would
  // take (its name's, at most its widest: app.css's 18vw); a name missing a
  // letter or two keeps them.
  const squeezed = (s) => s.offsetWidth < 0.75 * Math.min(s.scrollWidth, parseFloat(getComputedStyle(s).flexBasis));
  const cut = () => steps.some((s, i) => i !== now && !s.classList.contains('short') && squeezed(s));
  while (order.length && cut()) steps[order.shift()].classList.add('short');
  // A round too long for the row even so (25 sponsors): the pills farthest
  // from the stage leave it, so the pitch on stage and the next stay in view.
  while (far.length && (box.scrollWidth > box.clientWidth + 1 || cut())) steps[far.shift()].classList.add('gone');
}
let runOrderQueued = false;
const runOrderRoom = new ResizeObserver(() => {
  if (runOrderQueued) return;
  runOrderQueued = true;
  requestAnimationFrame(() => { runOrderQueued = false; shortenRunOrder(); });
});
for (const id of ['runorder', 'room', 'presence']) runOrderRoom.observe($(id));
document.fonts?.ready.then(shortenRunOrder);

function lobbyView() {
  const logo = h('img', { class: 'lobby-logo', alt: '' });
  const title = h('h1', { class: 'fit-lines' });
  const urlStep = h('strong');
  const codeEl = h('span', { class: 'code', id: 'lobby-code' });
  const qr = h('img', { id: 'lobby-qr' });
  const qrURL = h('div', { class: 'qr-url' });
  const count = h('strong', { id: 'lobby-connected' });
  const session = lobbyLine(); // the session on now, from the room's programme
  const turn = {}; // its timer: the line changes when a session starts or ends
  return {
    el: h('div', { class: 'lobby', id: 'lobby' },
      h('div', {},
        logo, title, session.el,
        h('ol', { class: 'steps' },
          h('li', { text: t('step_scan') }),
          h('li', {}, t('step_go'), ' ', urlStep),
          h('li', { text: t('step_vote') })),
        h('div', { class: 'code-pill' }, h('span', { class: 'label', text: t('code') }), codeEl),
        h('div', { class: 'connected-big' }, h('span', { class: 'dot live' }), count, h('span', { class: 'connected-label' }))),
      h('div', { class: 'qr-card' }, qr, qrURL)),
    update(stage, store, connected) {
      const ev = stage.event;
      title.textContent = ev.title;
      fitName(title);
      const programme = store.get('programme');
      session.update(programme, live.now(), fitName);
      followClock(turn, programme, live.now(), renderAll);
      if (ev.logo_url && logo.getAttribute('src') !== ev.logo_url) logo.src = ev.logo_url;
      logo.hidden = !ev.logo_url;
      codeEl.textContent = ev.code;
      urlStep.textContent = hostPath(joinURL(ev));
      qrURL.textContent = hostPath(joinURL(ev));
      if (qr.getAttribute('src') !== qrSrc(ev)) qr.src = qrSrc(ev);
      qr.alt = t('qr_alt', { url: hostPath(joinURL(ev)) });
      if (count.textContent !== String(connected)) {
        count.textContent = String(connected);
        count.previousElementSibling.replaceWith(h('span', { class: 'dot live' })); // pings for the new count
      }
      count.parentElement.querySelector('.connected-label').textContent = t('connected_label', { n: connected });
    },
  };
}

function pitchView(pitchId) {
  const kicker = h('div', { class: 'stage-kicker' });
  const team = h('div', { class: 'stage-team fit-lines', id: 'stage-team' });
  const presenter = h('div', { class: 'stage-presenter fit-lines' });
  const clock = h('div', { class: 'countdown', attrs: { role: 'timer' } });
  const pill = h('span', { class: 'state-pill' });
  const count = h('span', { class: 'vote-count', id: 'stage-votes' });
  const hist = h('div', { class: 'hist', id: 'stage-hist' });
  const hidden = h('div', { class: 'hidden-note' }, icon('eyeoff'), h('span', { text: t('results_hidden') }));
  const waitNote = h('div', { class: 'hidden-note' }, icon('clock'), h('span', { text: t('voting_soon') }));
  const meta = h('div', { class: 'meta-line' });
  const el = h('div', { class: 'stage-grid', id: 'pitch-view', dataset: { pitch: String(pitchId) } },
    h('div', {}, kicker, team, presenter, clock),
    h('div', { class: 'stage-panel' }, h('div', { class: 'panel-head' }, pill, count), hist, hidden, waitNote, meta));
  return {
    el,
    update(stage, store) {
      const round = stage.round;
      const i = round.pitches.findIndex((x) => x.id === pitchId);
      const p = round.pitches[i];
      if (!p) return;
      kicker.textContent = `${t('on_stage')} · ${i + 1}/${round.pitches.length}`;
      team.textContent = p.team;
      presenter.textContent = p.presenter;
      fitName(team);
      fitName(presenter);
      // Once its voting closed the pitch is over: no countdown runs on.
      clock._timer = p.state === 'closed' ? undefined : p.timer;
      clock.hidden = p.state === 'closed';
      pill.textContent = p.state === 'voting' ? t('voting_open') : p.state === 'closed' ? t('voting_closed') : t('voting_soon');
      pill.className = `state-pill${p.state === 'voting' ? ' open' : ''}`;
      const tally = store.get(`tally:pitch:${pitchId}`);
      const total = tally ? tally.total : 0;
      const show = !!tally && !tally.hidden;
      const before = p.state === 'on_stage' || p.state === 'pending';
      count.replaceChildren(h('strong', { text: String(total) }), t('votes_word', { n: total }));
      count.hidden = before && !total;
      hist.hidden = !show;
      hidden.hidden = show || before;
      waitNote.hidden = show || !before;
      if (show) {
        const q = pitchQuestion(round);
        kindOf(q).stage.histogram(hist, q, tally);
        const parts = [h('span', {}, t('mean_label'), ' ', h('strong', { text: fmtScore(tally.mean || 0) }))];
        if (tally.jury && tally.jury.count) parts.push(h('span', {}, t('jury_mean_label'), ' ', h('strong', { text: fmtScore(tally.jury.mean) })));
        meta.replaceChildren(...parts);
      } else meta.replaceChildren();
    },
  };
}

function pollView(pollId) {
  const question = h('div', { class: 'stage-question fit-lines' });
  const pill = h('span', { class: 'state-pill' });
  const count = h('span', { class: 'vote-count' });
  const bars = h('div', { class: 'bars', id: 'stage-bars' });
  const hidden = h('div', { class: 'hidden-note' }, icon('eyeoff'), h('span', { text: t('results_hidden') }));
  const legend = h('div', { class: 'legend' });
  return {
    el: h('div', { id: 'poll-view' }, h('div', { class: 'panel-head', style: { display: 'flex', gap: '2vw', alignItems: 'center', marginBottom: '3vh' } }, pill, count),
      question, bars, legend, hidden),
    update(stage, store) {
      const p = stage.polls.find((x) => x.id === pollId);
      if (!p) return;
      const kind = kindOf(p);
      pill.textContent = p.state === 'open' ? t('voting_open') : t('voting_closed');
      pill.className = `state-pill${p.state === 'open' ? ' open' : ''}`;
      question.textContent = p.question;
      fitName(question);
      const tally = store.get(`tally:poll:${pollId}`);
      const show = !!tally && !tally.hidden;
      const total = tally ? tally.total : 0;
      count.replaceChildren(h('strong', { text: String(total) }), t('votes_word', { n: total }));
      bars.hidden = !show;
      if (show) kind.stage.result(bars, p, tally);
      // Hidden results may still show what to press (the choices), in place of the note.
      const legendShown = !show && kind.stage.legend(legend, p);
      markCorrect(bars, p);
      markCorrect(legend, p);
      legend.hidden = !legendShown;
      hidden.hidden = show || legendShown;
    },
  };
}

// quizView shows a running quiz as its moderator runs it (the quiz frame's
// phase): the question with its choices and countdown while it is being
// answered; then its right choices marked on the distribution; the
// leaderboard (the first ten); the final podium. data-phase says which.
function quizView(quizId) {
  const kicker = h('div', { class: 'stage-kicker', id: 'quiz-kicker' });
  const question = h('div', { class: 'stage-question fit-lines', id: 'quiz-question' });
  const legend = h('div', { class: 'legend', id: 'quiz-legend' });
  const bars = h('div', { class: 'bars', id: 'quiz-bars' });
  const clock = h('div', { class: 'countdown quiz-clock', id: 'quiz-clock', attrs: { role: 'timer', 'aria-label': t('time_left') } });
  const count = h('div', { class: 'vote-count', id: 'quiz-answers' });
  const meta = h('div', { class: 'meta-line', id: 'quiz-meta' });
  const answerBox = h('div', { class: 'quiz-answer', id: 'quiz-answer', hidden: true });
  const timeUp = h('div', { class: 'quiz-timeup', id: 'quiz-timeup', text: t('quiz_time_up'), hidden: true });
  const ask = h('div', { class: 'quiz-ask' }, h('div', {}, question, legend, bars), h('div', { class: 'stage-panel quiz-side' }, clock, timeUp, answerBox, count, meta));
  const boardTitle = h('div', { class: 'reveal-title' }, icon('trophy'), h('span', { id: 'quiz-board-title' }));
  const board = h('div', { class: 'quiz-board', id: 'quiz-board' });
  const standings = h('div', { class: 'reveal quiz-standings' }, boardTitle, board);
  const el = h('div', { class: 'quiz-view', id: 'quiz-view', dataset: { quiz: String(quizId), phase: '' } }, kicker, ask, standings);
  let sig = '';
  let timeUpAt = 0; // the deadline a redraw is set for
  return {
    el,
    update(stage, store) {
      const quiz = stage.quiz;
      const f = store.get(`quiz:${quizId}`);
      if (!quiz || quiz.id !== quizId) return;
      const p = stage.polls.find((x) => x.id === quiz.current_poll_id);
      const n = quiz.questions.indexOf(quiz.current_poll_id) + 1;
      el.dataset.phase = quiz.phase;
      kicker.textContent = `${quiz.title} · ${t('quiz_question_n', { n, total: quiz.questions.length })}`;
      const ranking = quiz.phase === 'leaderboard' || quiz.phase === 'podium';
      ask.hidden = ranking || !p;
      standings.hidden = !ranking;
      if (ranking) {
        const leaders = f?.leaders || [];
        const next = JSON.stringify([quiz.phase, leaders, f?.players, document.documentElement.lang]);
        if (next === sig) return;
        sig = next;
        $('quiz-board-title').textContent = quiz.phase === 'podium' ? t('quiz_podium') : t('quiz_leaderboard_after', { n, total: quiz.questions.length });
        board.replaceChildren(...(quiz.phase === 'podium' ? quizPodium(leaders) : [quizKind.leaderList(leaders)]),
          h('div', { class: 'meta-line quiz-players', text: t('quiz_players', { n: f?.players || 0 }) }));
        board.querySelectorAll('.fit-line, .fit-lines').forEach(fitName);
        return;
      }
      if (!p) return;
      sig = '';
      question.textContent = p.question;
      fitName(question);
      const tally = store.get(`tally:poll:${p.id}`);
      const total = tally ? tally.total : 0;
      const revealed = quiz.phase === 'reveal';
      const show = !!tally && !tally.hidden; // at the reveal, or during the countdown when the question's results are public

      clock._timer = quizKind.timer(p);
      clock.hidden = revealed;
      const left = quizKind.deadline(p) - (Date.now() + (live?.offset || 0));
      timeUp.hidden = revealed || p.state !== 'open' || left > 0;
      if (p.state === 'open' && left > 0 && timeUpAt !== quizKind.deadline(p)) { // "Time's up!" when it is, without waiting for a frame
        timeUpAt = quizKind.deadline(p);
        setTimeout(renderAll, left + 50);
      }
      count.replaceChildren(h('strong', { text: String(total) }), t('quiz_answers', { n: total }));
      bars.hidden = !show;
      legend.hidden = show;
      if (show) quizKind.stage.result(bars, p, tally);
      else quizKind.stage.legend(legend, p);
      markCorrect(bars, p);
      markCorrect(legend, p);
      answerBox.hidden = !revealed || !p.correct_revealed;
      if (!answerBox.hidden) {
        answerBox.replaceChildren(h('div', { class: 'eyebrow-stage', text: t('quiz_the_answer', { n: (p.correct || []).length }) }),
          ...(p.correct || []).map((c) => h('div', { class: 'quiz-answer-row' }, h('span', { class: 'letter', text: letter(c) }), h('span', { class: 'fit-line', text: p.choices[c - 1] }))));
        answerBox.querySelectorAll('.fit-line').forEach(fitName);
      }
      if (revealed && tally && tally.counts) {
        const right = (p.correct || []).reduce((a, c) => a + (tally.counts[c - 1] || 0), 0);
        meta.replaceChildren(h('span', {}, t('quiz_right_of', { n: right, total })));
      } else meta.replaceChildren();
    },
  };
}

// quizPodium is the final podium of a quiz: the first three places (ties
// share a place, and a block holds them all), the next ones listed beside.
function quizPodium(leaders) {
  const at = (r) => leaders.filter((s) => s.rank === r);
  const place = (r) => {
    const who = at(r);
    if (!who.length) return h('div', { class: 'place' });
    return h('div', { class: `place p${r} reveal-item`, dataset: { rank: String(r), participants: who.map((s) => s.participant_id).join(',') } },
      h('div', { class: 'who' },
        ...who.map((s) => h('div', { class: 'team fit-lines', text: quizKind.leaderName(s) })),
        h('div', { class: 'score', text: quizKind.fmtPoints(who[0].points) }),
        h('div', { class: 'parts', text: t('quiz_points_word') })),
      h('div', { class: 'block', text: String(r), attrs: { 'aria-label': t('rank_n', { n: r }) } }));
  };
  const places = [place(2), place(1), place(3)];
  places.forEach((node, i) => node.style?.setProperty('--i', String([1, 2, 0][i])));
  const rest = leaders.filter((s) => s.rank > 3);
  return [h('div', { class: 'reveal-body' + (rest.length ? '' : ' solo') },
    h('div', { class: 'podium', id: 'podium' }, places),
    rest.length ? h('ol', { class: 'rest', id: 'rest' }, rest.map((s) => h('li', { dataset: { rank: String(s.rank) } },
      h('span', { class: 'rank', text: String(s.rank) }), h('strong', { class: 'fit-line', text: quizKind.leaderName(s) }),
      h('span', { class: 'score', text: quizKind.fmtPoints(s.points) })))) : null)];
}

// rankingView shows a round's ranking as the moderator reveals it: the
// places revealed (the ranking frame carries only those, from the last place
// up) stand on the podium and in the list below it, the others wait as
// numbered blanks. Each place rises when it arrives: one at a time at the
// moderator's pace, or all in turn, the last first, when the round reveals
// itself. A reloaded stage shows the same places. data-places counts the
// places shown; data-reveal is "done" once the last rise ended (at once
// with reduced motion), "waiting" while no place is revealed.
function rankingView(roundId) {
  const title = h('span', {});
  const weight = h('span', { class: 'weight' });
  const body = h('div', { class: 'reveal-body' });
  const el = h('div', { class: 'reveal', id: 'ranking-view', dataset: { round: String(roundId), reveal: 'waiting', places: '0' } },
    h('div', { class: 'reveal-title' }, icon('trophy'), title, weight), body);
  let sig = '';
  const seen = new Set(); // places already shown in this view ("rank:pitch"): they do not rise again
  return {
    el,
    update(stage, store) {
      title.textContent = `${t('ranking')} — ${stage.round.title}`;
      const f = store.get(`ranking:${roundId}`);
      const entries = f?.revealed ? f.entries : [];
      const total = f?.places ?? stage.round.pitches.length;
      const withJury = hasJury(entries) && f.jury_weight > 0;
      weight.textContent = withJury ? t('jury_weight_is', { n: f.jury_weight }) : '';
      const next = JSON.stringify([entries, total, withJury, document.documentElement.lang]);
      if (next === sig) return;
      sig = next;
      renderReveal(el, body, entries, total, withJury, seen);
    },
  };
}

function renderReveal(el, body, entries, total, withJury, seen) {
  const byRank = new Map(entries.map((e) => [e.rank, e]));
  const rising = []; // the places that arrive now, from the last up
  const rise = (node, e) => {
    const k = `${e.rank}:${e.pitch_id}`;
    if (!seen.has(k)) { seen.add(k); node.classList.add('reveal-item'); rising.push([e.rank, node]); }
    return node;
  };
  const restRanks = [];
  for (let r = 4; r <= Math.min(total, 8); r++) restRanks.push(r);
  const restLines = restRanks.length <= 3 ? 3 : restRanks.length === 4 ? 2 : 1; // as many as the height holds
  const restItems = restRanks.map((r) => {
    const e = byRank.get(r);
    if (!e) return h('li', { class: 'waiting-place' }, h('span', { class: 'rank', text: String(r) }), h('span', { class: 'muted', text: '?' }), h('span'));
    const tie = tieText(e);
    return rise(h('li', { dataset: entryData(e) },
      h('span', { class: 'rank', text: String(e.rank) }),
      h('span', {}, h('strong', { class: 'fit-lines', text: e.team, dir: 'auto', style: { '--lines': String(restLines) } }), h('span', { class: 'parts', text: scoreParts(e, withJury) }),
        tie ? h('span', { class: 'parts tie', text: tie }) : null),
      h('span', { class: 'score', text: e.audience.count + e.jury.count ? fmtScore(e.score) : '–' })), e);
  });
  const place = (r) => {
    if (r > total) return h('div', { class: 'place' });
    const e = byRank.get(r);
    if (!e) {
      return h('div', { class: `place p${r} waiting-place` },
        h('div', { class: 'who' }, h('div', { class: 'team', text: '?' })),
        h('div', { class: 'block', text: String(r), attrs: { 'aria-label': t('rank_n', { n: r }) } }));
    }
    const n = e.audience.count + e.jury.count;
    const tie = tieText(e);
    return rise(h('div', { class: `place p${e.rank}`, dataset: entryData(e) },
      h('div', { class: 'who' },
        h('div', { class: 'team fit-lines', text: e.team }),
        e.presenter ? h('div', { class: 'presenter fit-lines', text: e.presenter }) : null,
        h('div', { class: 'score', text: n ? fmtScore(e.score) : '–' }),
        h('div', { class: 'parts', text: scoreParts(e, withJury) }),
        tie ? h('div', { class: 'parts tie', text: tie }) : null),
      h('div', { class: 'block', text: String(e.rank), attrs: { 'aria-label': t('rank_n', { n: e.rank }) } })), e);
  };
  const places = [place(2), place(1), place(3)];
  // The places arriving rise in turn, the last place first.
  rising.sort((a, b) => b[0] - a[0]).forEach(([, node], i) => node.style.setProperty('--i', String(i)));
  body.classList.toggle('solo', restItems.length === 0);
  body.replaceChildren(h('div', { class: 'podium', id: 'podium' }, places),
    ...(restItems.length ? [h('ol', { class: 'rest', id: 'rest', start: 4 }, restItems)] : []));
  body.querySelectorAll('.fit-line, .fit-lines').forEach(fitName);
  // The places shown in rank order, for screen readers and tests.
  el.dataset.order = entries.map((e) => e.pitch_id).join(',');
  el.dataset.places = String(entries.length);
  el.dataset.total = String(total);
  const last = rising.length ? rising[rising.length - 1][1] : null;
  const reduced = matchMedia('(prefers-reduced-motion: reduce)').matches;
  if (!entries.length) { el.dataset.reveal = 'waiting'; return; }
  if (!last || reduced) { el.dataset.reveal = 'done'; return; }
  el.dataset.reveal = 'running';
  last.addEventListener('animationend', () => { el.dataset.reveal = 'done'; }, { once: true });
}

boot();
