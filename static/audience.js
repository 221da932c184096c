// Audience page (/e/CODE): join (optional name, jury code), pick a room (or
// go straight to the one the join URL names: /e/CODE?room=ID), vote
// on the pitch on stage or the open poll, see results and the ranking when
// the moderator shows them. Keeps working on bad Wi-Fi: votes wait on the
// phone and are sent again, with the same vote id, until acknowledged.
// Three sections, switched with a tab bar: Vote (the active vote first, then
// "Meet the teams": a meeting request for a pitch on stage or past, contact
// details asked only after the tap, withdrawable), Questions (the room's
// boards: submit, upvote or retract, sort) and Feed (the approved posts,
// newest first, pinned on top, and a box to post, moderated before it
// shows). Something new to vote on is brought into view, or announced by a
// tappable "New: …" when the person is typing or in another section.
import { boardFrames, sortEntries } from '/static/lib/boards.js';
import { startCountdowns } from '/static/lib/countdown.js';
import { h, scheduler, haptic } from '/static/lib/dom.js';
import { latestFeed, feedPost, followFeed } from '/static/lib/feed.js';
import { fitText } from '/static/lib/fit.js';
import { fmtScore, letter } from '/static/lib/format.js';
import { api } from '/static/lib/http.js';
import { icon } from '/static/lib/icons.js';
import { t, wireLangSwitch, setAvailableLangs, fieldErrorText } from '/static/lib/lang.js';
import { Live } from '/static/lib/live.js';
import { wireThemeSwitch, initTheme, applyBrand } from '/static/lib/theme.js';
import { VoteSender } from '/static/lib/votes.js';
import { rankingList, markCorrect, answeredRight, checkKeys } from '/static/lib/widgets.js';
import { announce, leadSummary } from '/static/lib/announce.js';
import { kindOf, kindsReady, pitchQuestion } from '/static/kinds/index.js';
import { later } from '/static/lib/later.js';
import { startEmbed } from '/static/embed.js';

const code = decodeURIComponent(location.pathname.split('/')[2] || '').trim().toUpperCase();
const TOKEN_KEY = `ovation.token.${code}`;
const ROOM_KEY = `ovation.room.${code}`;

const $ = (id) => document.getElementById(id);
const cardsBox = $('cards');
const footer = $('footer');
const banner = $('banner');
const feedBox = $('feed');
const boardsBox = $('boards');
const meetBox = $('meet');

let event = null; // the public event, from join
let me = { name: '', jury: false, id: 0 };
let token = ''; // the participant token, for GET /api/me (a quiz standing)
let roomId = 0;
let live = null;
let votes = null;
let rejoining = null;
let editing = false;
let nameLang = ''; // the event's language, that of its names and titles
const cards = new Map(); // key → {el, update()}
let progCard = null; // the room's Now / Next card (programme.js)
const progClock = {}; // its timer: the card turns over when a session starts or ends
let surveyTimer = 0; // renders again when a survey opens or closes by the clock
// Surveys and the programme load when the room first has one, as do the
// kinds beyond choices and scale (kinds/index.js): a first join carries
// what a phone shows at once. The page renders again when one arrives.
const surveyModule = later('/static/survey.js');
const programmeModule = later('/static/programme.js');

// fitName fits a name or a title to its box, at least .75 of the reader's text size.
const fitName = (el) => fitText(el, { min: '.75rem', lang: nameLang });

startEmbed(); // ?embed=1: framed in a web-TV page
initTheme();
wireLangSwitch();
wireThemeSwitch();

function storedToken() { try { return localStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; } }
function storeToken(tok) { try { localStorage.setItem(TOKEN_KEY, tok); } catch { /* private mode: this tab only */ } }

// patiently calls the API until it answers: network trouble, a busy server
// (a cluster whose core is being taken over) and rate limits are retried
// with backoff, saying why meanwhile; refusals (bad jury code, no such
// event) are thrown.
async function patiently(path, opts) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await api(path, opts);
    } catch (e) {
      if (e.status && e.status < 500 && e.code !== 'rate_limited') throw e;
      showMessage(e.status >= 500 ? t('err_busy_retry') : e.message);
      await new Promise((r) => setTimeout(r, Math.min(15000, 1000 * 2 ** attempt) * (0.5 + Math.random())));
    }
  }
}

// join makes this phone a participant.
async function join(body) {
  const res = await patiently(`/api/events/${encodeURIComponent(code)}/join`, { method: 'POST', body });
  storeToken(res.token);
  return res;
}

function showMessage(text, withHome = false) {
  cards.clear();
  cardsBox.replaceChildren(h('div', { class: 'card waiting' }, h('p', { text }),
    withHome ? h('a', { href: '/', class: 'btn btn-primary', text: t('back_home') }) : null));
}

// rejoin renews the token after the server refused it (expired), once at a time.
function rejoin() {
  if (!rejoining) {
    rejoining = join({ token: storedToken() }).then((res) => { live.setToken(res.token); votes.flush(); })
      .catch(() => {}).finally(() => { rejoining = null; });
  }
}

function brand(ev) {
  applyBrand(ev.color);
  setAvailableLangs(ev.languages);
  nameLang = ev.languages?.[0] || nameLang;
  $('title').textContent = document.title = ev.title;
  fitName($('title'));
  const logo = $('logo');
  if (ev.logo_url && logo.getAttribute('src') !== ev.logo_url) logo.src = ev.logo_url;
  logo.hidden = !ev.logo_url;
}

async function boot() {
  if (!/^[A-Z0-9]{3,12}$/.test(code)) { showMessage(t('no_event'), true); return; }
  try {
    if (storedToken()) {
      start(await join({ token: storedToken() }));
      return;
    }
    const ev = await patiently(`/api/events/${encodeURIComponent(code)}`);
    brand(ev);
    showWelcome(ev);
  } catch (e) {
    showMessage(e.code === 'not_found' ? t('no_event') : e.message, true);
  }
}

// joinForm asks for an optional name and, when the event has a jury, an
// optional jury code; onJoined gets the join answer.
function joinForm(ev, { name = '', submitLabel, onJoined, onCancel }) {
  const nameErr = h('p', { class: 'field-error', id: 'name-error' });
  const juryErr = h('p', { class: 'field-error', id: 'jury-error' });
  const formErr = h('p', { class: 'form-error', attrs: { role: 'alert' } });
  const nameIn = h('input', { id: 'name', name: 'display_name', value: name, maxLength: 60, autocomplete: 'nickname', attrs: { 'aria-describedby': 'name-error', enterkeyhint: 'go' } });
  const juryIn = h('input', { id: 'jury', name: 'jury_code', maxLength: 12, autocomplete: 'off', spellcheck: false, attrs: { autocapitalize: 'characters', 'aria-describedby': 'jury-hint jury-error' } });
  const submit = h('button', { type: 'submit', class: 'btn-primary btn-block btn-big', text: submitLabel });
  const form = h('form', { id: 'join-form', noValidate: true },
    h('div', { class: 'field' }, h('label', { htmlFor: 'name' }, t('your_name'), ' ', h('span', { class: 'muted', text: t('optional') })), nameIn, nameErr),
    ev.has_jury && !me.jury ? h('details', { class: 'disclose field' }, h('summary', { text: t('jury_member') }),
      h('div', { class: 'field' }, h('label', { htmlFor: 'jury', text: t('jury_code') }), juryIn,
        h('p', { class: 'hint', id: 'jury-hint', text: t('jury_hint') }), juryErr)) : null,
    submit, formErr,
    onCancel ? h('p', { style: { textAlign: 'center', margin: '.5rem 0 0' } }, h('button', { type: 'button', class: 'link', text: t('cancel'), onclick: onCancel })) : null);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const el of [nameErr, juryErr, formErr]) el.textContent = '';
    nameIn.classList.remove('invalid'); juryIn.classList.remove('invalid');
    nameIn.removeAttribute('aria-invalid'); juryIn.removeAttribute('aria-invalid');
    const body = { display_name: nameIn.value.trim() };
    const jury = juryIn.value.trim().toUpperCase();
    if (jury) body.jury_code = jury;
    const tok = storedToken();
    if (tok) body.token = tok;
    submit.disabled = true;
    submit.textContent = t('joining');
    try {
      onJoined(await join(body));
    } catch (err) {
      const [input, box] = err.field === 'jury_code' ? [juryIn, juryErr] : err.field === 'display_name' ? [nameIn, nameErr] : [null, formErr];
      box.textContent = err.field === 'jury_code' ? t('jury_wrong') : fieldErrorText(err);
      if (input) { input.classList.add('invalid'); input.setAttribute('aria-invalid', 'true'); input.focus(); }
    } finally {
      submit.disabled = false;
      submit.textContent = submitLabel;
    }
  });
  return form;
}

function showWelcome(ev) {
  cardsBox.replaceChildren(h('section', { class: 'card aud-hero', attrs: { 'aria-labelledby': 'welcome-title' } },
    ev.logo_url ? h('img', { class: 'hero-logo', src: ev.logo_url, alt: '' }) : h('div', { class: 'hero-mark' }, icon('mark')),
    h('p', { class: 'eyebrow', text: t('welcome_to') }),
    h('h1', { id: 'welcome-title', class: 'fit-lines', text: ev.title }),
    h('p', { class: 'muted welcome-hint', text: t('welcome_hint') }),
    h('div', { class: 'welcome-form' },
      joinForm(ev, { submitLabel: t('join'), onJoined: start }))));
  fitName($('welcome-title'));
  window.addEventListener('langchange', () => { if (!live) showWelcome(ev); }, { once: true });
}

function start(res) {
  event = res.event;
  me = { name: res.display_name, jury: res.jury, id: res.participant_id };
  token = res.token;
  brand(event);
  // A join URL that names a room (the stage's QR code, /e/CODE?room=ID) goes straight to it.
  const named = Number(new URLSearchParams(location.search).get('room'));
  const saved = Number(localStorage.getItem(ROOM_KEY));
  if (event.rooms.length === 1) roomId = event.rooms[0].id;
  else if (event.rooms.some((r) => r.id === named)) {
    roomId = named;
    try { localStorage.setItem(ROOM_KEY, String(named)); } catch { /* this tab only */ }
  } else if (event.rooms.some((r) => r.id === saved)) roomId = saved;

  live = new Live({ token: res.token, topics: roomId ? [`room:${roomId}`] : [] });
  votes = new VoteSender(live, `ovation.pending.${code}`);
  const render = scheduler(renderAll);
  live.addEventListener('update', render);
  followFeed(live, code, render);
  live.addEventListener('status', render);
  live.addEventListener('message', (ev) => {
    const m = ev.detail;
    if (m.type === 'error' && m.id === 'auth') rejoin();
  });
  votes.addEventListener('change', render);
  votes.addEventListener('unauthorized', rejoin);
  window.addEventListener('langchange', () => { cards.clear(); cardsBox.replaceChildren(); renderAll(); });
  startCountdowns(() => live.offset);
  live.connect();
  renderAll();
}

function chooseRoom(id) {
  if (roomId) live.unsubscribe(`room:${roomId}`);
  cueReady = false; // another room's votes are not news
  seen.clear();
  roomId = id;
  try { localStorage.setItem(ROOM_KEY, String(id)); } catch { /* this tab only */ }
  cards.clear();
  cardsBox.replaceChildren();
  if (id) live.subscribe(`room:${id}`);
  renderAll();
}

// identityChanged follows a new participant token (a jury code entered
// later makes a new, jury participant): its votes are its own.
function identityChanged(res) {
  me = { name: res.display_name, jury: res.jury, id: res.participant_id };
  token = res.token;
  editing = false;
  votes.confirmed.clear();
  votes.resets.clear();
  live.setToken(res.token);
  renderAll();
}

// ------------------------------------------------------------ sections ----
// The choice of section is remembered per event. A section whose content
// changed while another was shown carries a badge until it is opened.

const SECTION_KEY = `ovation.section.${code}`;
const SECTIONS = ['vote', 'questions', 'feed'];
const sectionsNav = $('sections');
const newsBox = $('news-box');
const newsBtn = $('news');
let section = (() => {
  try { const s = localStorage.getItem(SECTION_KEY); return SECTIONS.includes(s) ? s : 'vote'; } catch { return 'vote'; }
})();
const seen = new Map(); // section → signature of its content when last shown
const sigs = new Map(); // section → signature of its content now
let newsTarget = null; // the card the "New: …" button leads to
const cueKnown = new Set(); // the votes this page already showed (kind:id; poll:id:open while a poll is open)
let cueReady = false; // false until the room's first state is on screen: nothing is "new" then

const tabOf = (s) => $(`tab-${s}`);
const shownSections = () => SECTIONS.filter((s) => !tabOf(s).hidden);

// applySection shows section s's panel and marks its tab, nothing else.
function applySection(s) {
  for (const x of SECTIONS) {
    const on = x === s;
    tabOf(x).setAttribute('aria-selected', String(on));
    tabOf(x).tabIndex = on ? 0 : -1;
    $(`panel-${x}`).hidden = !on;
  }
}

// showSection switches to section s (the person's choice: remembered).
function showSection(s, focus = false) {
  if (!shownSections().includes(s)) s = 'vote';
  const moved = s !== section;
  section = s;
  try { localStorage.setItem(SECTION_KEY, s); } catch { /* this tab only */ }
  applySection(s);
  if (s === 'vote') newsBox.hidden = true;
  seen.set(s, sigs.get(s));
  syncBadges();
  if (focus) tabOf(s).focus();
  if (moved) scrollTo(0, 0);
}

function setSig(s, sig) {
  sigs.set(s, sig);
  if (!seen.has(s) || s === section) seen.set(s, sig);
}

function syncBadges() {
  for (const s of SECTIONS) {
    const badge = tabOf(s).querySelector('.tab-badge');
    const news = s !== section && seen.get(s) !== sigs.get(s);
    if (badge.hidden === !news) continue;
    badge.hidden = !news;
    badge.replaceChildren(...(news ? [h('span', { class: 'sr-only', text: t('section_news') })] : []));
  }
}

sectionsNav.addEventListener('click', (ev) => {
  const tab = ev.target.closest('[role=tab]');
  if (tab) showSection(tab.dataset.section);
});
// Arrow keys, Home and End move between the tabs and select them.
sectionsNav.addEventListener('keydown', (ev) => {
  const list = shownSections();
  const i = list.indexOf(section);
  const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: list.length - 1 }[ev.key];
  if (next === undefined) return;
  ev.preventDefault();
  showSection(list[(next + list.length) % list.length], true);
});
newsBtn.addEventListener('click', () => {
  const el = newsTarget;
  showSection('vote');
  if (el && el.isConnected) { bringIntoView(el, true); el.tabIndex = -1; el.focus({ preventScroll: true }); }
});
for (const [s, name] of [['vote', 'vote'], ['questions', 'list'], ['feed', 'chat']]) tabOf(s).prepend(icon(name));

const typing = () => !!document.activeElement?.matches?.('input, textarea, select, [contenteditable="true"]');

// bringIntoView scrolls el to the top of the page unless it is in view already.
function bringIntoView(el, always = false) {
  const r = el.getBoundingClientRect();
  const below = document.querySelector('.topbar').getBoundingClientRect().bottom;
  if (!always && r.top >= below && r.top < innerHeight / 2) return;
  el.scrollIntoView({ block: 'start', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
}

// cue tells the person that something new opened to vote on: a short
// vibration where the phone allows it, then the card brought into view, or
// a "New: …" button when they are typing or in another section.
function cue(el, what) {
  haptic([40, 60, 40]);
  if (section === 'vote' && !typing()) { bringIntoView(el); return; }
  newsTarget = el;
  newsBtn.replaceChildren(icon('bolt'), h('span', { text: t('news_prefix', { what }) }));
  newsBox.hidden = false;
}

// preloadKinds loads the modules of the kinds still to come in the room
// (stage.kinds: its drafts, a quiz's questions not asked yet) a few seconds
// after the room's state names them, so that a quiz's first question or a
// word cloud shows at once when it opens, while a first join still carries
// only what it shows.
let preloadTimer = 0;
function preloadKinds(kinds = []) {
  if (preloadTimer || kinds.every((k) => kindOf({ kind: k }))) return;
  preloadTimer = setTimeout(() => { preloadTimer = 0; kindsReady(kinds, () => {}); }, 3000);
}

function renderAll() {
  // The banner names the side that is down: this phone's network, or the server.
  const st = live.status;
  const why = st === 'open' ? (live.degraded ? 'degraded' : '') : st === 'connecting' ? '' : live.down ? `offline_${live.down}` : 'offline';
  banner.hidden = !why;
  const shown = `${why}|${document.documentElement.lang}`;
  if (why && banner.dataset.shown !== shown) {
    banner.replaceChildren(icon(live.down === 'restarting' ? 'clock' : 'wifioff'), h('span', { text: t(why) }));
    banner.dataset.shown = shown;
  }
  if (why) banner.dataset.down = st === 'open' ? 'degraded' : live.down || 'unknown';
  else { delete banner.dataset.shown; delete banner.dataset.down; }
  // Figures the phone cannot vouch for (results, timers) are greyed while it is not live.
  document.body.classList.toggle('stale', !!why);
  renderFooter();

  const sectionsOn = !!roomId && !editing && !!live.store(`room:${roomId}`)?.get(`stage:${roomId}`);
  sectionsNav.hidden = !sectionsOn;
  document.body.classList.toggle('has-sections', sectionsOn);
  if (!sectionsOn) { applySection('vote'); newsBox.hidden = true; }

  if (!roomId) {
    cards.clear();
    feedBox.replaceChildren();
    feedView = null;
    boardsBox.replaceChildren();
    boardViews.clear();
    meetBox.replaceChildren();
    meetView = null;
    cardsBox.replaceChildren(h('section', { class: 'card' }, h('h1', { text: t('choose_room') }),
      h('div', { class: 'choice-list' }, event.rooms.map((r) =>
        h('button', { type: 'button', class: 'choice-key', onclick: () => chooseRoom(r.id) }, icon('monitor'), h('span', { text: r.name }))))));
    return;
  }
  if (editing) { feedBox.replaceChildren(); feedView = null; boardsBox.replaceChildren(); boardViews.clear(); meetBox.replaceChildren(); meetView = null; return; }
  const store = live.store(`room:${roomId}`);
  const stage = store?.get(`stage:${roomId}`);
  if (!stage) {
    if (!cardsBox.querySelector('.card')) cardsBox.replaceChildren(h('p', { class: 'muted', text: t('connecting') }));
    return;
  }
  brand(stage.event);
  preloadKinds(stage.kinds);

  const list = [];
  if (stage.quiz) list.push(['quiz', stage.quiz]); // a running quiz takes the phone
  const openPoll = stage.quiz ? null : stage.polls.find((p) => p.state === 'open');
  const round = stage.round;
  const pitch = round && round.state === 'running' ? round.pitches.find((p) => p.id === round.current_pitch_id) : null;
  if (openPoll) list.push(['poll', openPoll]);
  if (pitch && !stage.quiz) list.push(['pitch', pitch]);
  if (round && round.ranking_revealed && !stage.quiz) list.push(['ranking', round]);
  if (!openPoll && !stage.quiz) {
    const shown = stage.polls.filter((p) => p.state === 'closed' && (p.show_results || p.correct_revealed) && !p.quiz_id);
    if (shown.length) list.push(['poll', shown[shown.length - 1]]);
  }

  // Open surveys of the room follow, answered at the person's own pace; the
  // page renders again when one opens or closes by the clock.
  clearTimeout(surveyTimer);
  const surveys = [...store.frames.keys()].some((k) => k.startsWith('survey:')) ? surveyModule(renderAll) : null;
  if (surveys) {
    for (const f of surveys.offeredSurveys(store, live.now())) list.push(['survey', f.survey, f.questions]);
    const change = surveys.nextChange(store, live.now());
    if (change) surveyTimer = setTimeout(renderAll, Math.min(change + 50, 2 ** 31 - 1));
  }

  const wanted = [];
  const fresh = [];
  for (const [kind, obj, questions] of list) {
    // A card waits for its kinds' modules; the page renders again when they arrive.
    const kinds = kind === 'poll' ? [obj.kind] : kind === 'quiz' ? ['quiz'] : kind === 'survey' ? questions.map((q) => q.kind) : [];
    if (!kindsReady(kinds, renderAll)) continue;
    const key = kind === 'poll' ? `poll:${obj.id}:${obj.kind}:${JSON.stringify(kindOf(obj).definition(obj))}`
      : kind === 'pitch' ? `pitch:${obj.id}:${round.scale}` : kind === 'quiz' ? `quiz:${obj.id}:${obj.current_poll_id}` : `${kind}:${obj.id}`;
    let card = cards.get(key);
    if (!card) {
      card = kind === 'poll' ? pollCard(obj.id) : kind === 'pitch' ? pitchCard(obj.id) : kind === 'quiz' ? quizCard(obj.id, obj.current_poll_id)
        : kind === 'survey' ? surveys.surveyCard(obj.id, { votes, now: () => live.now(), code, syncKeys, setStatus,
          askMe: () => api('/api/me', { bearer: live.token }).then((m) => votes.setAnswers(m)).catch(() => { /* asked again later */ }) })
          : rankingCard(obj.id);
      cards.set(key, card);
    }
    card.update(stage, store);
    wanted.push(card.el);
    // A poll is news each time it opens: reopened, it asks for votes again.
    const open = kind === 'poll' && obj.state === 'open';
    const id = `${kind}:${obj.id}${open ? ':open' : ''}`;
    if (!cueKnown.has(id)) {
      cueKnown.add(id);
      if (open) cueKnown.add(`poll:${obj.id}`); // its results, once closed, are not news
      if (cueReady) fresh.push([card.el, kind === 'poll' ? obj.question : kind === 'pitch' ? obj.team : kind === 'quiz' ? obj.title : kind === 'survey' ? t(obj.session_id != null ? 'feedback_entry' : 'survey_entry', { x: obj.title }) : t('ranking')]);
    }
  }
  for (const id of cueKnown) {
    if (id.endsWith(':open') && !list.some(([kind, obj]) => kind === 'poll' && obj.state === 'open' && id === `poll:${obj.id}:open`)) cueKnown.delete(id);
  }
  for (const [key, card] of cards) if (!wanted.includes(card.el)) cards.delete(key);
  if (!wanted.length) wanted.push(idleCard());
  const programme = store.get('programme')?.sessions?.length ? programmeModule(renderAll) : null;
  if (programme) wanted.push(programmeCard(store, programme));
  // Only touch the DOM when the list of cards changed: a node moved under a finger loses the tap.
  const same = cardsBox.children.length === wanted.length && wanted.every((el, i) => cardsBox.children[i] === el);
  if (!same) cardsBox.replaceChildren(...wanted);
  renderMeet(stage);
  renderBoards(store);
  renderFeed(store);

  // Sections: Questions only when the room has boards; badges for news.
  tabOf('questions').hidden = boardFrames(store).length === 0;
  if (!shownSections().includes(section)) section = 'vote';
  applySection(section);
  setSig('vote', list.map(([kind, obj]) => `${kind}:${obj.id}:${obj.state || ''}`).join(','));
  setSig('questions', boardFrames(store).map((f) => `${f.board.id}:${f.entries.filter((e) => e.status === 'approved').map((e) => e.id).join('.')}`).join(','));
  setSig('feed', latestFeed(store.get(`feed:${roomId}`)).map((it) => it.id).join(','));
  syncBadges();
  if (newsTarget && !wanted.includes(newsTarget)) { newsBox.hidden = true; newsTarget = null; }
  if (fresh.length) cue(...fresh[0]);
  cueReady = true;
  for (const box of [cardsBox, meetBox]) box.querySelectorAll('.fit-line, .fit-lines').forEach(fitName);
}

// ---------------------------------------------------------------- feed ----

let feedView = null; // {el, lang, room, list, sig}

function renderFeed(store) {
  const langNow = document.documentElement.lang;
  if (!feedView || feedView.lang !== langNow || feedView.room !== roomId) {
    feedView = feedCard();
    feedView.lang = langNow;
    feedView.room = roomId;
    feedBox.replaceChildren(feedView.el);
  }
  const frame = store.get(`feed:${roomId}`);
  feedView.setMax(frame?.post_max_len);
  const items = latestFeed(frame);
  const sig = JSON.stringify(items.map((it) => [it.id, it.pinned, it.text]));
  if (sig === feedView.sig) return;
  feedView.sig = sig;
  feedView.list.dataset.count = String(items.length);
  feedView.list.replaceChildren(...(items.length ? items.map((it) => feedPost(it))
    : [h('p', { class: 'muted small empty-feed', text: t('feed_empty') })]));
}

// feedCard is the post box and the list of approved posts. A post goes to
// the moderators first; the server's refusals (too long, too fast, the
// same post twice, posts off) are shown under the box.
function feedCard() {
  const text = h('textarea', { id: 'post-text', name: 'text', rows: 3, maxLength: 500,
    attrs: { 'aria-describedby': 'post-hint post-error post-status', enterkeyhint: 'send' }, placeholder: t('post_placeholder') });
  const count = h('span', { class: 'small muted num', id: 'post-count', attrs: { 'aria-hidden': 'true' } });
  const err = h('p', { class: 'form-error', id: 'post-error', attrs: { role: 'alert' } });
  const status = h('p', { class: 'form-ok', id: 'post-status', attrs: { role: 'status' } });
  const submit = h('button', { type: 'submit', class: 'btn-primary', id: 'post-submit' }, icon('chat'), h('span', { text: t('post_send') }));
  const list = h('div', { class: 'feed-list', id: 'feed-list', attrs: { 'aria-live': 'polite', 'aria-relevant': 'additions' } });
  // The event's limit comes with the room's feed frame (post_max_len); until then the count alone.
  let max = 0;
  const sync = () => {
    const n = [...text.value.trim()].length;
    count.textContent = max ? t('board_count', { n, max }) : String(n);
    count.classList.toggle('over', !!max && n > max);
    submit.disabled = !n;
  };
  const setMax = (m) => {
    if (!m || m === max) return;
    max = m; // the box keeps maxLength 500: it counts UTF-16 units, the server characters
    sync();
  };
  text.addEventListener('input', () => { sync(); err.textContent = ''; text.classList.remove('invalid'); text.removeAttribute('aria-invalid'); });
  const form = h('form', { id: 'post-form', noValidate: true },
    h('label', { htmlFor: 'post-text', class: 'form-label', text: t('post_label') }), text,
    h('div', { class: 'row post-row' }, h('span', { class: 'hint small muted', id: 'post-hint', text: t('post_hint') }), h('span', { class: 'spacer' }), count, submit),
    err, status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    status.textContent = '';
    const body = { text: text.value.trim(), room_id: roomId };
    if (!body.text) return;
    submit.disabled = true;
    try {
      const it = await api(`/api/events/${encodeURIComponent(code)}/feed/posts`, { method: 'POST', body, bearer: live.token });
      text.value = '';
      status.textContent = it.status === 'approved' ? t('post_published') : it.status === 'rejected' ? t('post_refused') : t('post_sent');
    } catch (e) {
      if (e.code === 'unauthorized') rejoin();
      err.textContent = postError(e);
      text.classList.add('invalid');
      text.setAttribute('aria-invalid', 'true');
    } finally {
      sync();
    }
  });
  sync();
  const el = h('section', { class: 'card feed-card', id: 'feed-card', attrs: { 'aria-labelledby': 'feed-title' } },
    h('h2', { id: 'feed-title' }, icon('chat'), h('span', { text: t('feed_title') })), form, list);
  return { el, list, sig: null, setMax };
}

// postError says why the server refused a post, in the reader's language
// when the reason is known.
function postError(e) {
  switch (e.code) {
    case 'rate_limited': return t('post_too_fast');
    case 'conflict': return t('post_duplicate');
    case 'forbidden': return t('post_off');
    case 'unauthorized': return t('err_unauthorized');
    case 'invalid': return e.field === 'room_id' ? e.message : fieldErrorText({ code: e.code, message: e.message, field: e.field || 'text' });
    default: return e.message;
  }
}

// -------------------------------------------------------------- boards ----

// Each board the room shows (its own and the event-wide ones) is a card:
// a box to submit an entry (when the board is open), the sort tabs, and
// the approved entries with an upvote button each. Entries come live from
// the board frames (top 20); whether this phone upvoted an entry comes
// from GET …/entries with its token, then from its own upvote answers.

const boardViews = new Map(); // board id → view
const SORTS = ['top', 'newest', 'trending'];

function renderBoards(store) {
  const frames = boardFrames(store);
  const langNow = document.documentElement.lang;
  const wanted = [];
  for (const f of frames) {
    let v = boardViews.get(f.board.id);
    if (!v || v.lang !== langNow) { v = boardCard(f.board.id); v.lang = langNow; boardViews.set(f.board.id, v); }
    v.update(f);
    wanted.push(v.el);
  }
  for (const [id, v] of boardViews) if (!wanted.includes(v.el)) boardViews.delete(id);
  const same = boardsBox.children.length === wanted.length && wanted.every((el, i) => boardsBox.children[i] === el);
  if (!same) boardsBox.replaceChildren(...wanted);
}

function boardError(e) {
  switch (e.code) {
    case 'rate_limited': return t('board_too_fast');
    case 'invalid_transition': return t('board_closed_err');
    case 'unauthorized': return t('err_unauthorized');
    // An ApiError's message is not enumerable: spread, it would be lost.
    case 'invalid': return fieldErrorText({ code: e.code, message: e.message, field: e.field || 'text' });
    default: return e.message;
  }
}

function boardCard(boardId) {
  const p = `b${boardId}`;
  const base = `/api/events/${encodeURIComponent(code)}`;
  let frame = null;
  let sort = 'top';
  const upvoted = new Set();
  const override = new Map(); // entry id → upvotes from our own answer, until the next frame
  const title = h('h2', { id: `${p}-title` });
  const tag = h('span', { class: 'tag' });
  const text = h('textarea', { id: `${p}-text`, name: 'text', rows: 2, attrs: { 'aria-describedby': `${p}-count ${p}-error ${p}-status`, enterkeyhint: 'send' } });
  const count = h('span', { class: 'small muted num', id: `${p}-count`, attrs: { 'aria-live': 'off' } });
  const name = h('input', { id: `${p}-name`, name: 'display_name', maxLength: 60, autocomplete: 'nickname', value: me.name || '', attrs: { 'aria-describedby': `${p}-name-hint` } });
  const err = h('p', { class: 'form-error', id: `${p}-error`, attrs: { role: 'alert' } });
  const status = h('p', { class: 'form-ok', id: `${p}-status`, attrs: { role: 'status' } });
  const submit = h('button', { type: 'submit', class: 'btn-primary', id: `${p}-submit` }, icon('chat'), h('span', { text: t('board_send') }));
  const closedNote = h('p', { class: 'small muted board-closed', text: t('board_closed') });
  const sync = () => {
    const n = [...text.value.trim()].length;
    const max = frame ? frame.board.max_len : 280;
    count.textContent = t('board_count', { n, max });
    count.classList.toggle('over', n > max);
    submit.disabled = !n;
  };
  text.addEventListener('input', () => { sync(); err.textContent = ''; text.classList.remove('invalid'); text.removeAttribute('aria-invalid'); });
  const form = h('form', { id: `${p}-form`, class: 'board-form', noValidate: true },
    h('label', { htmlFor: `${p}-text`, class: 'form-label', text: t('board_your_entry') }), text,
    h('div', { class: 'field board-name' },
      h('label', { htmlFor: `${p}-name` }, t('board_name'), ' ', h('span', { class: 'muted', text: t('optional') })), name,
      h('p', { class: 'hint', id: `${p}-name-hint`, text: t('board_name_hint') })),
    h('div', { class: 'row post-row' }, count, h('span', { class: 'spacer' }), submit), err, status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    status.textContent = '';
    const body = { text: text.value.trim(), display_name: name.value.trim() };
    if (!body.text) return;
    submit.disabled = true;
    try {
      const e = await api(`${base}/boards/${boardId}/entries`, { method: 'POST', body, bearer: live.token });
      text.value = '';
      status.textContent = e.status === 'pending' ? t('board_sent_pre') : t('board_sent_post');
    } catch (e) {
      if (e.code === 'unauthorized') rejoin();
      err.textContent = boardError(e);
      if (e.field !== 'display_name') { text.classList.add('invalid'); text.setAttribute('aria-invalid', 'true'); }
    } finally {
      sync();
    }
  });
  const tabs = h('div', { class: 'sort-tabs', attrs: { role: 'group', 'aria-label': t('board_sort') } },
    SORTS.map((s) => h('button', { type: 'button', class: 'btn-small', id: `${p}-sort-${s}`, dataset: { sort: s }, attrs: { 'aria-pressed': String(s === sort) }, text: t('board_sort_' + s),
      onclick: () => { sort = s; for (const b of tabs.children) b.setAttribute('aria-pressed', String(b.dataset.sort === s)); draw(true); } })));
  const list = h('ol', { class: 'board-list', id: `${p}-list`, attrs: { 'aria-labelledby': `${p}-title` } });
  const more = h('p', { class: 'small muted', hidden: true });
  const el = h('section', { class: 'card board-card', id: `board-${boardId}`, dataset: { board: String(boardId) }, attrs: { 'aria-labelledby': `${p}-title` } },
    h('div', { class: 'card-head' }, icon('chat'), title, h('span', { class: 'spacer' }), tag), closedNote, form, tabs, list, more);
  sync();

  async function loadUpvoted() {
    try {
      const entries = await api(`${base}/boards/${boardId}/entries?sort=top`, { bearer: live.token });
      upvoted.clear();
      for (const e of entries) if (e.upvoted) upvoted.add(e.id);
      el.dataset.upvotedLoaded = '1';
      draw(true);
    } catch { /* the buttons start unpressed; the next answer fixes each */ }
  }
  loadUpvoted();

  const busy = new Set(); // entry ids with an upvote request on its way
  async function toggle(id) {
    if (busy.has(id)) return;
    const on = upvoted.has(id);
    busy.add(id);
    draw(true);
    try {
      const res = await api(`${base}/entries/${id}/upvote`, { method: on ? 'DELETE' : 'PUT', bearer: live.token });
      haptic(10);
      if (res.upvoted) upvoted.add(id); else upvoted.delete(id);
      override.set(id, res.upvotes);
      err.textContent = '';
    } catch (x) {
      if (x.code === 'unauthorized') rejoin();
      err.textContent = x.code === 'invalid_transition' ? t('board_answered') : boardError(x);
    } finally {
      busy.delete(id);
      draw(true);
    }
  }

  let sig = '';
  const rows = new Map(); // entry id → { li, body, btn, count, key }
  const empty = h('li', { class: 'muted small empty-feed', text: t('board_empty') });
  function entryRow(e) {
    let r = rows.get(e.id);
    if (!r) {
      const count = h('span', { class: 'num up-count' });
      const btn = h('button', { type: 'button', class: 'upvote', id: `up-${e.id}`, onclick: () => toggle(e.id) }, icon('up'), count);
      const body = h('div', { class: 'entry-body' });
      r = { li: h('li', {}, body, btn), body, btn, count, key: '' };
      rows.set(e.id, r);
    }
    const on = upvoted.has(e.id);
    const answered = e.status === 'answered';
    r.btn.disabled = answered || busy.has(e.id);
    const key = JSON.stringify([e.upvotes, e.status, e.pinned, e.text, e.display_name, on]);
    if (key === r.key) return r;
    r.key = key;
    r.li.className = `entry${e.pinned ? ' pinned' : ''}${answered ? ' answered' : ''}`;
    Object.assign(r.li.dataset, { entryId: String(e.id), status: e.status });
    r.body.replaceChildren(
      h('p', { class: 'entry-text', text: e.text }),
      h('p', { class: 'entry-meta' },
        e.pinned ? h('span', { class: 'tag on', text: t('board_pinned') }) : null,
        answered ? h('span', { class: 'tag', text: t('board_answered') }) : null,
        h('span', { class: 'muted small', text: e.display_name || t('board_anonymous') })));
    r.btn.className = `upvote${on ? ' on' : ''}`;
    r.btn.setAttribute('aria-pressed', String(on));
    r.btn.setAttribute('aria-label', t(on ? 'board_retract_label' : 'board_upvote_label', { text: e.text, n: e.upvotes }));
    r.btn.title = on ? t('board_upvoted') : t('board_upvote');
    r.count.textContent = String(e.upvotes);
    return r;
  }
  function draw(force = false) {
    if (!frame) return;
    const entries = sortEntries(frame.entries.map((e) => (override.has(e.id) ? { ...e, upvotes: override.get(e.id) } : e)), sort);
    const next = JSON.stringify([entries.map((e) => [e.id, e.upvotes, e.status, e.pinned, e.text, e.display_name, upvoted.has(e.id)]), sort]);
    if (next === sig && !force) return;
    sig = next;
    list.dataset.count = String(entries.length);
    list.dataset.order = entries.map((e) => e.id).join(',');
    // Rows are kept per entry and updated in place: a frame arriving while a
    // finger is on an upvote button must not replace the button under it.
    const keep = new Set(entries.map((e) => e.id));
    for (const id of rows.keys()) if (!keep.has(id)) rows.delete(id);
    const want = entries.length ? entries.map((e) => entryRow(e).li) : [empty];
    want.forEach((li, i) => { if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null); });
    while (list.children.length > want.length) list.lastChild.remove();
    more.hidden = frame.total <= entries.length;
    more.textContent = t('board_more', { n: frame.total - entries.length });
  }

  return {
    el,
    update(f) {
      if (f !== frame) { if (frame) override.clear(); frame = f; }
      title.textContent = f.board.title;
      tag.textContent = f.board.open ? t('board_open_tag') : t('board_closed_tag');
      tag.className = f.board.open ? 'tag live' : 'tag';
      form.hidden = !f.board.open;
      closedNote.hidden = f.board.open;
      text.maxLength = f.board.max_len + 20; // a little over, so the server's refusal can be seen
      sync();
      draw();
    },
  };
}

// ------------------------------------------------------ meeting requests ----

// "Meet the teams" lists the round's pitches once on stage (and after).
// A tap on "I'd like to meet this team" opens the form: name, company,
// role, email and the consent box; nothing is asked before. The requests
// this phone made are remembered on the phone, to offer withdrawing them.

const MEET_KEY = `ovation.meet.${code}`;
let meetView = null;
let meetOpen = 0; // the pitch whose form is open
const meetMsg = new Map(); // pitch id → message after a withdrawal

function meetRequested() { try { return new Set(JSON.parse(localStorage.getItem(MEET_KEY) || '[]')); } catch { return new Set(); } }
function meetRemember(id, on) {
  const s = meetRequested();
  if (on) s.add(id); else s.delete(id);
  try { localStorage.setItem(MEET_KEY, JSON.stringify([...s])); } catch { /* this tab only */ }
}

function renderMeet(stage) {
  const round = stage.round;
  const pitches = round ? round.pitches.filter((p) => p.state !== 'pending') : [];
  const mine = meetRequested();
  const sig = JSON.stringify([pitches.map((p) => [p.id, p.team]), [...mine], meetOpen, [...meetMsg], document.documentElement.lang]);
  if (meetView && meetView.sig === sig) return;
  if (meetView && meetView.el.contains(document.activeElement) && meetView.el.querySelector('form')) return; // typing: keep the form
  if (!pitches.length) { meetBox.replaceChildren(); meetView = null; return; }
  const el = h('section', { class: 'card meet-card', id: 'meet-card', attrs: { 'aria-labelledby': 'meet-title' } },
    h('h2', { id: 'meet-title' }, icon('users'), h('span', { text: t('meet_title') })),
    h('p', { class: 'small muted', text: t('meet_hint') }),
    h('ul', { class: 'meet-list' }, pitches.slice().reverse().map((p) => meetRow(p, mine.has(p.id)))));
  meetView = { el, sig };
  meetBox.replaceChildren(el);
}

function meetRow(p, requested) {
  const li = h('li', { class: 'meet-row', dataset: { pitch: String(p.id) } },
    h('div', { class: 'row' }, h('strong', { class: 'meet-team fit-lines', text: p.team, dir: 'auto', lang: nameLang || undefined }),
      requested ? h('span', { class: 'tag on', id: `meet-${p.id}-sent` }, icon('check'), h('span', { text: t('meet_sent') })) : null));
  if (requested) {
    li.append(h('button', { type: 'button', class: 'btn-ghost btn-block', id: `meet-${p.id}-withdraw`, text: t('meet_withdraw'), onclick: (ev) => withdraw(p, ev.currentTarget) }));
  } else if (meetOpen === p.id) {
    li.append(meetForm(p));
  } else {
    li.append(h('button', { type: 'button', class: 'btn-primary btn-block', id: `meet-${p.id}`, onclick: () => { meetOpen = p.id; meetMsg.delete(p.id); renderAll(); document.getElementById(`mf-${p.id}-name`)?.focus(); } },
      icon('users'), h('span', { text: t('meet_button') })));
  }
  if (meetMsg.has(p.id)) li.append(h('p', { class: 'form-ok', attrs: { role: 'status' }, text: meetMsg.get(p.id) }));
  return li;
}

function meetForm(p) {
  const pre = `mf-${p.id}`;
  const input = (fieldName, label, attrs = {}, required = false) => h('div', { class: 'field' },
    h('label', { htmlFor: `${pre}-${fieldName}` }, label, required ? null : [' ', h('span', { class: 'muted', text: t('optional') })]),
    h('input', { id: `${pre}-${fieldName}`, name: fieldName, maxLength: fieldName === 'email' ? 254 : 60, required, ...attrs, attrs: { 'aria-describedby': `${pre}-${fieldName}-error` } }),
    h('p', { class: 'field-error', id: `${pre}-${fieldName}-error`, dataset: { field: fieldName } }));
  const consent = h('input', { type: 'checkbox', id: `${pre}-consent`, name: 'consent', attrs: { 'aria-describedby': `${pre}-consent-error` } });
  const formErr = h('p', { class: 'form-error', attrs: { role: 'alert' } });
  const send = h('button', { type: 'submit', class: 'btn-primary btn-block', id: `${pre}-send`, text: t('meet_send') });
  const form = h('form', { id: pre, class: 'meet-form', noValidate: true, attrs: { 'aria-label': t('meet_form_title', { team: p.team }) } },
    input('name', t('meet_name'), { autocomplete: 'name' }, true),
    input('company', t('meet_company'), { autocomplete: 'organization' }),
    input('role', t('meet_role'), { autocomplete: 'organization-title' }),
    input('email', t('meet_email'), { type: 'email', autocomplete: 'email', inputMode: 'email' }),
    h('label', { class: 'check consent', htmlFor: `${pre}-consent` }, consent, h('span', { text: t('meet_consent') })),
    h('p', { class: 'field-error', id: `${pre}-consent-error`, dataset: { field: 'consent' } }),
    send, formErr,
    h('button', { type: 'button', class: 'link', text: t('cancel'), onclick: () => { meetOpen = 0; meetView = null; renderAll(); } }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    form.querySelectorAll('.field-error').forEach((x) => { x.textContent = ''; });
    form.querySelectorAll('[aria-invalid]').forEach((x) => { x.removeAttribute('aria-invalid'); x.classList.remove('invalid'); });
    formErr.textContent = '';
    const val = (n) => form.querySelector(`[name="${n}"]`).value.trim();
    const body = { name: val('name'), company: val('company'), role: val('role'), email: val('email'), consent: consent.checked };
    const fail = (field, text) => {
      const box = form.querySelector(`.field-error[data-field="${field}"]`);
      const inp = form.querySelector(`[name="${field}"]`);
      if (box) box.textContent = text; else formErr.textContent = text;
      if (inp) { inp.setAttribute('aria-invalid', 'true'); inp.classList.add('invalid'); inp.focus(); }
    };
    if (!consent.checked) { fail('consent', t('meet_need_consent')); return; }
    send.disabled = true;
    try {
      await api(`/api/events/${encodeURIComponent(code)}/pitches/${p.id}/meeting-request`, { method: 'POST', body, bearer: live.token });
      meetRemember(p.id, true);
      meetOpen = 0;
      meetView = null;
      renderAll();
    } catch (e) {
      if (e.code === 'unauthorized') rejoin();
      fail(e.field, e.field === 'consent' ? t('meet_need_consent') : fieldErrorText(e));
    } finally {
      send.disabled = false;
    }
  });
  return form;
}

async function withdraw(p, btn) {
  btn.disabled = true;
  try {
    await api(`/api/events/${encodeURIComponent(code)}/pitches/${p.id}/meeting-request`, { method: 'DELETE', bearer: live.token });
  } catch (e) {
    if (e.code !== 'not_found') { btn.disabled = false; meetMsg.set(p.id, e.message); meetView = null; renderAll(); return; }
  }
  meetRemember(p.id, false);
  meetMsg.set(p.id, t('meet_withdrawn'));
  meetView = null;
  renderAll();
}

let footerKey = '';
function renderFooter() {
  const room = event.rooms.find((r) => r.id === roomId);
  const key = [document.documentElement.lang, me.name, me.jury, roomId, editing].join('|');
  if (key === footerKey) return;
  footerKey = key;
  if (editing) {
    cards.clear();
    cardsBox.replaceChildren(h('section', { class: 'card' }, h('h1', { text: t('edit_profile') }),
      joinForm(event, { name: me.name, submitLabel: t('save'), onJoined: identityChanged,
        onCancel: () => { editing = false; renderAll(); } })));
    footer.replaceChildren();
    return;
  }
  footer.replaceChildren(h('div', { class: 'whoami', id: 'whoami' },
    h('span', { text: me.name ? t('joined_as', { name: me.name }) : t('joined_anon') }),
    me.jury ? h('span', { class: 'tag live', id: 'jury-badge', text: t('jury') }) : null,
    h('button', { type: 'button', class: 'link', text: event.has_jury && !me.jury ? t('edit_profile_jury') : t('edit_profile'),
      onclick: () => { editing = true; renderAll(); } }),
    event.rooms.length > 1 && room ? h('button', { type: 'button', class: 'link', text: `${room.name} · ${t('change_room')}`, onclick: () => chooseRoom(0) }) : null));
}

let idle = null;
// programmeCard is the room's Now / Next card, below the vote (hidden
// while the room has no session to come); it turns over by itself.
function programmeCard(store, { nowNextCard, followClock }) {
  if (!progCard || progCard.lang !== document.documentElement.lang) {
    progCard = nowNextCard();
    progCard.lang = document.documentElement.lang;
  }
  const frame = store.get('programme');
  progCard.update(frame, live.now());
  followClock(progClock, frame, live.now(), renderAll);
  return progCard.el;
}

function idleCard() {
  if (!idle || idle._lang !== document.documentElement.lang) {
    idle = h('section', { class: 'card waiting', id: 'waiting' },
      h('div', { class: 'pulse-ring' }, icon('vote')),
      h('h1', { text: t('youre_in') }),
      h('p', { class: 'muted', text: t('waiting') }),
      h('p', { class: 'small muted', text: t('keep_open') }));
    idle._lang = document.documentElement.lang;
  }
  return idle;
}

// statusLine returns [text, class, icon] for the vote state of target;
// label(v) names a value (a score or a letter).
function statusLine(s, accepting, label) {
  switch (s.status) {
    case 'sending': return [t('st_sending'), 'st-sending', 'clock'];
    case 'received': return [t('st_received'), 'st-sending', 'clock'];
    case 'queued': return [t('st_queued'), 'st-offline', 'clock'];
    case 'offline': return [t('st_offline'), 'st-offline', 'wifioff'];
    case 'error': return [s.code === 'voting_closed' ? t('st_closed') : ['time_up', 'already_answered'].includes(s.code) ? t(`st_${s.code}`)
      : t('st_error', { m: s.message }), 'st-error', 'x'];
    case 'reset': return [t('st_reset'), 'st-reset', 'reset'];
    case 'counted': case 'changed':
      return accepting ? [t('st_' + s.status), 'st-' + s.status, 'check'] : [t('your_vote', { v: label(s.value) }), 'st-final', 'check'];
    default: return ['', '', ''];
  }
}

function setStatus(el, target, accepting, label) {
  const s = votes.state(target);
  const [text, cls, ic] = statusLine(s, accepting, label);
  const key = `${text}|${cls}`;
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  el.dataset.status = s.status;
  el.className = 'vote-status ' + cls;
  el.replaceChildren(...(text ? [icon(ic), h('span', { text })] : []));
}

function syncKeys(box, target, accepting) {
  const s = votes.state(target);
  for (const b of box.children) {
    const v = Number(b.dataset.v);
    const sel = v === s.value && s.status !== 'error';
    b.classList.toggle('selected', sel);
    b.classList.toggle('pending', sel && ['sending', 'received', 'queued', 'offline'].includes(s.status));
    b.classList.toggle('confirmed', sel && (s.status === 'counted' || s.status === 'changed'));
    b.disabled = !accepting;
  }
  checkKeys(box.children, s.status !== 'error' ? s.value : 0);
}

function pitchCard(pitchId) {
  const target = `pitch:${pitchId}`;
  const tag = h('span', { class: 'tag live' });
  const clock = h('span', { class: 'countdown', attrs: { role: 'timer', 'aria-label': t('time_left') } });
  const team = h('h1', { class: 'team-name fit-lines', id: `team-${pitchId}` });
  const presenter = h('p', { class: 'muted fit-lines' });
  const prompt = h('p', { class: 'prompt', id: `prompt-${pitchId}` });
  let keys = h('div');
  const status = h('p', { class: 'vote-status', attrs: { role: 'status' } });
  const hist = h('div', { class: 'hist' });
  const meta = h('p', { class: 'meta-line small' });
  const results = h('div', { class: 'results-block', hidden: true }, h('h2', {}, icon('list'), t('results')), hist, meta);
  const el = h('section', { class: 'card pitch-card', dataset: { target }, attrs: { 'aria-labelledby': `team-${pitchId}` } },
    h('div', { class: 'pitch-head' }, tag, h('span', { class: 'spacer' }), clock),
    team, presenter, prompt, keys, status, results);
  let scale = 0;
  return {
    el,
    update(stage, store) {
      const round = stage.round;
      const i = round.pitches.findIndex((x) => x.id === pitchId);
      const p = round.pitches[i];
      if (!p) return;
      const q = pitchQuestion(round);
      const kind = kindOf(q);
      if (scale !== round.scale) {
        scale = round.scale;
        const next = kind.audience.input(q, { labelledBy: `prompt-${pitchId}`, onVote: (v) => votes.vote(target, v) });
        keys.replaceWith(next);
        keys = next;
      }
      tag.textContent = `${t('on_stage')} · ${i + 1}/${round.pitches.length}`;
      team.textContent = p.team;
      presenter.textContent = p.presenter;
      presenter.hidden = !p.presenter;
      // Once its voting closed the pitch is over: no countdown runs on.
      clock._timer = p.state === 'closed' ? undefined : p.timer;
      clock.hidden = p.state === 'closed';
      const accepting = p.state === 'voting';
      prompt.textContent = accepting ? t('rate_prompt', { n: scale }) : p.state === 'closed' ? t('voting_closed') : t('voting_soon');
      prompt.classList.toggle('closed', !accepting);
      syncKeys(keys, target, accepting);
      setStatus(status, target, accepting, (v) => kind.audience.label(q, v));
      const tally = store.get(`tally:${target}`);
      results.hidden = !tally || tally.hidden;
      if (tally && !tally.hidden) {
        kind.audience.histogram(hist, q, tally);
        meta.textContent = `${t('votes', { n: tally.total })} · ${t('mean', { m: fmtScore(tally.mean || 0) })}`;
        announce(target, t('results_announce', { what: p.team, summary: meta.textContent }));
      }
    },
  };
}

function pollCard(pollId) {
  const target = `poll:${pollId}`;
  const tag = h('span', { class: 'tag live', text: t('poll') });
  const question = h('h1', { id: `q-${pollId}`, class: 'fit-lines' });
  const prompt = h('p', { class: 'prompt' });
  let keys = null;
  const status = h('p', { class: 'vote-status', attrs: { role: 'status' } });
  const bars = h('div', { class: 'bars' });
  const meta = h('p', { class: 'meta-line small' });
  const results = h('div', { class: 'results-block', hidden: true }, h('h2', {}, icon('list'), t('results')), bars, meta);
  const verdict = h('p', { class: 'answer-verdict', id: `verdict-${pollId}`, hidden: true, attrs: { role: 'status' } });
  const afterAnswer = h('p', { class: 'muted small', text: t('results_after_answer'), hidden: true });
  const upErr = h('p', { class: 'field-error small', attrs: { role: 'alert' } });
  // For a kind whose answers the server tells this phone about (personal:
  // open text), ask GET /api/me once per counted answer, and again every
  // 20–40 s while its answer waits for a moderator.
  let askedFor = null, nextAsk = 0;
  const ask = (key) => {
    askedFor = key;
    nextAsk = Date.now() + 20000 + Math.random() * 20000;
    api('/api/me', { bearer: live.token }).then((me) => votes.setAnswers(me)).catch(() => { /* the next update asks again */ });
  };
  const upvote = async (id, up) => {
    try {
      const res = await api(`/api/polls/${pollId}/answers/${id}/upvote`, { method: up ? 'PUT' : 'DELETE', bearer: live.token });
      haptic(10);
      upErr.textContent = '';
      return res;
    } catch (x) {
      if (x.code === 'unauthorized') rejoin();
      upErr.textContent = fieldErrorText(x);
      throw x;
    }
  };
  const el = h('section', { class: 'card poll-card', dataset: { target }, attrs: { 'aria-labelledby': `q-${pollId}` } },
    h('div', { class: 'pitch-head' }, tag), question, prompt);
  return {
    el,
    update(stage, store) {
      const p = stage.polls.find((x) => x.id === pollId);
      if (!p) return;
      const kind = kindOf(p);
      if (!keys) {
        keys = kind.audience.input(p, { labelledBy: `q-${pollId}`, onVote: (v) => votes.vote(target, v) });
        el.append(keys, status, verdict, afterAnswer, results, upErr);
      }
      question.textContent = p.question;
      const accepting = p.state === 'open';
      tag.className = accepting ? 'tag live' : 'tag';
      prompt.textContent = accepting ? kind.audience.prompt(p) : t('voting_closed');
      prompt.classList.toggle('closed', !accepting);
      const personal = kind.audience.personal ? votes.mine(target) : null;
      if (kind.audience.personal) {
        const st = votes.state(target);
        const key = st.status === 'counted' || st.status === 'changed' ? JSON.stringify(st.value) : null;
        const onScreen = personal?.id && (store.get(`tally:${target}`)?.answers || []).some((a) => a.id === personal.id);
        if (onScreen) personal.state = 'approved';
        if (key && ((!personal?.id && askedFor !== key) || (personal?.state === 'pending' && accepting && Date.now() > nextAsk))) ask(key);
      }
      if (keys.sync) keys.sync({ ...votes.state(target), mine: personal }, accepting);
      else syncKeys(keys, target, accepting);
      setStatus(status, target, accepting, (v) => kind.audience.label(p, v));
      const tally = store.get(`tally:${target}`);
      const mine = votes.state(target);
      const answered = mine.status === 'counted' || mine.status === 'changed';
      // In the "answered" mode the frame is public (the stage shows it):
      // this phone keeps it to itself until its own answer is counted.
      const waitAnswer = p.results === 'answered' && accepting && !answered;
      results.hidden = !tally || tally.hidden || waitAnswer;
      if (tally && !tally.hidden && !waitAnswer) {
        kind.audience.result(bars, p, tally, { mine: personal || votes.mine(target), open: accepting, upvote });
        meta.textContent = t('votes', { n: tally.total });
        announce(target, t('results_announce', { what: p.question, summary: [leadSummary(bars), meta.textContent].filter(Boolean).join('. ') }));
      }
      markCorrect(bars, p);
      afterAnswer.hidden = !(waitAnswer && tally && !tally.hidden);
      verdict.hidden = !p.correct_revealed;
      if (p.correct_revealed) {
        const right = answered && answeredRight(p, mine.value);
        const answer = (p.correct || []).map(letter).join(', ');
        verdict.className = `answer-verdict ${right ? 'right' : 'wrong'}`;
        verdict.dataset.right = String(right);
        verdict.replaceChildren(icon(right ? 'check' : 'x'),
          h('span', { text: right ? t('verdict_right') : answered ? t('verdict_wrong', { a: answer }) : t('verdict_answer', { a: answer }) }));
      }
    },
  };
}

// quizCard is a running quiz on the phone, one card per question: the
// choices with the countdown while the question is open (one tap, final),
// then whether the answer was right and the points it earned, the
// distribution, and this phone's own rank and points on the leaderboard and
// the podium (from GET /api/me, asked a moment after each phase after the
// question begins, spread over a second and a half so that a room does not
// ask at once).
function quizCard(quizId, pollId) {
  const quizKind = kindOf({ kind: 'quiz' }); // loaded before the card is made
  const target = `poll:${pollId}`;
  const tag = h('span', { class: 'tag live', text: t('quiz') });
  const number = h('span', { class: 'muted small quiz-number' });
  const clock = h('span', { class: 'countdown', id: `quiz-clock-${pollId}`, attrs: { role: 'timer', 'aria-label': t('time_left') } });
  const question = h('h1', { id: `q-${pollId}`, class: 'fit-lines' });
  const prompt = h('p', { class: 'prompt' });
  let keys = null;
  const status = h('p', { class: 'vote-status', attrs: { role: 'status' } });
  const verdict = h('p', { class: 'answer-verdict', id: `verdict-${pollId}`, hidden: true, attrs: { role: 'status' } });
  const bars = h('div', { class: 'bars' });
  const results = h('div', { class: 'results-block', hidden: true }, h('h2', {}, icon('list'), t('results')), bars);
  const mine = h('div', { class: 'quiz-me', id: 'quiz-me', hidden: true });
  const board = h('div', { class: 'quiz-phone-board', id: 'quiz-phone-board', hidden: true });
  const ask = h('div', { class: 'quiz-ask-phone' }, question, prompt);
  const el = h('section', { class: 'card quiz-card', dataset: { target, quiz: String(quizId) }, attrs: { 'aria-labelledby': `q-${pollId}` } },
    h('div', { class: 'pitch-head' }, tag, number, h('span', { class: 'spacer' }), clock), ask);
  let asked = ''; // the phase whose standing was asked for
  let lockAt = 0; // the deadline a redraw is set for
  let standing = null;
  let boardSig = '';
  const askStanding = (phaseKey) => {
    asked = phaseKey;
    setTimeout(async () => {
      try {
        const res = await api('/api/me', { bearer: token });
        if (asked !== phaseKey) return;
        standing = res.quizzes?.[String(quizId)] || null;
        renderAll();
      } catch { if (asked === phaseKey) asked = ''; /* asked again at the next update */ }
    }, Math.random() * 1500);
  };
  return {
    el,
    update(stage, store) {
      const quiz = stage.quiz;
      const p = stage.polls.find((x) => x.id === pollId);
      if (!quiz || !p) return;
      const n = quiz.questions.indexOf(pollId) + 1;
      el.dataset.phase = quiz.phase;
      number.textContent = `${quiz.title} · ${t('quiz_question_n', { n, total: quiz.questions.length })}`;
      if (!keys) {
        keys = quizKind.audience.input(p, { labelledBy: `q-${pollId}`, onVote: (v) => votes.vote(target, v) });
        el.append(keys, status, verdict, results, mine, board);
      }
      question.textContent = p.question;
      const s = votes.state(target);
      const answered = s.status === 'counted' || s.status === 'changed';
      const now = Date.now() + (live.offset || 0);
      const inTime = p.state === 'open' && now < quizKind.deadline(p);
      if (inTime && lockAt !== quizKind.deadline(p)) { // the keys lock when time is up, without waiting for a frame
        lockAt = quizKind.deadline(p);
        setTimeout(renderAll, quizKind.deadline(p) - now + 50);
      }
      const final = s.status === 'error' && ['already_answered', 'time_up'].includes(s.code);
      const accepting = inTime && !final;
      clock._timer = quizKind.timer(p);
      clock.hidden = quiz.phase !== 'question';
      const ranking = quiz.phase === 'leaderboard' || quiz.phase === 'podium';
      ask.hidden = ranking;
      keys.hidden = ranking;
      keys.sync(s, accepting);
      status.hidden = ranking;
      prompt.hidden = quiz.phase !== 'question'; // the verdict says it
      prompt.textContent = quiz.phase !== 'question' ? t('voting_closed') : answered ? t('quiz_locked', { a: letter(s.value) })
        : !inTime ? t('quiz_time_up') : quizKind.audience.prompt(p);
      prompt.classList.toggle('closed', !accepting);
      setStatus(status, target, accepting, (v) => letter(v));
      const phaseKey = `${quiz.phase}:${pollId}`;
      if (quiz.phase === 'question') { standing = null; asked = ''; } else if (asked !== phaseKey) askStanding(phaseKey);
      // The reveal: right or wrong, the points of this question, the distribution.
      const revealed = quiz.phase === 'reveal';
      const tally = store.get(`tally:${target}`);
      // At the reveal, or during the countdown when the question's results are public (in the
      // "answered" mode once this phone's answer is counted).
      results.hidden = ranking || !tally || tally.hidden || (!revealed && p.results === 'answered' && !answered);
      if (!results.hidden) {
        quizKind.audience.result(bars, p, tally);
        announce(target, t('results_announce', { what: p.question, summary: leadSummary(bars) }));
      }
      markCorrect(bars, p);
      verdict.hidden = !revealed || !p.correct_revealed;
      if (!verdict.hidden) {
        const right = answered && answeredRight(p, s.value);
        const answer = (p.correct || []).map(letter).join(', ');
        const gained = standing?.questions?.[String(pollId)];
        verdict.className = `answer-verdict ${right ? 'right' : 'wrong'}`;
        verdict.dataset.right = String(right);
        verdict.replaceChildren(icon(right ? 'check' : 'x'),
          h('span', { text: right ? t('verdict_right') : answered ? t('verdict_wrong', { a: answer }) : t('verdict_answer', { a: answer }) }),
          gained !== undefined ? h('strong', { class: 'quiz-gain', id: 'quiz-gain', text: t('quiz_points_gain', { p: quizKind.fmtPoints(gained) }) }) : null);
      }
      // This phone's own place, from the reveal on.
      mine.hidden = quiz.phase === 'question' || !standing;
      if (!mine.hidden) {
        const ranked = standing.rank > 0;
        mine.dataset.rank = String(standing.rank);
        mine.dataset.points = String(standing.points);
        mine.replaceChildren(
          h('p', { class: 'eyebrow', text: quiz.phase === 'podium' ? t('quiz_final') : t('quiz_you', { name: quizKind.leaderName({ name: standing.name, participant_id: me.id }) }) }),
          h('div', { class: 'quiz-me-rank', text: ranked ? quizKind.ordinal(standing.rank) : '–' }),
          h('p', { class: 'quiz-me-of', text: ranked ? t('quiz_of_players', { n: standing.players }) : t('quiz_no_answer') }),
          h('p', { class: 'quiz-me-points' }, h('strong', { text: quizKind.fmtPoints(standing.points) }), ' ', t('quiz_points_word')));
      }
      board.hidden = !ranking;
      if (ranking) {
        const f = store.get(`quiz:${quizId}`);
        const next = JSON.stringify([f?.leaders, document.documentElement.lang]);
        if (next !== boardSig) {
          boardSig = next;
          board.replaceChildren(h('h2', {}, icon('trophy'), h('span', { text: quiz.phase === 'podium' ? t('quiz_podium') : t('quiz_leaderboard') })),
            quizKind.leaderList(f?.leaders || [], me.id));
        }
      }
    },
  };
}

// rankingCard shows the places of the ranking revealed so far, the same
// as the stage: the frame carries only those, from the last place up.
function rankingCard(roundId) {
  const list = h('div');
  const title = h('h1', { class: 'fit-lines' });
  const progress = h('p', { class: 'muted small', id: 'ranking-progress' });
  const el = h('section', { class: 'card ranking-card', dataset: { round: String(roundId) } }, h('p', { class: 'eyebrow', text: t('ranking') }), title, progress, list);
  let last = null;
  return {
    el,
    update(stage, store) {
      const f = store.get(`ranking:${roundId}`);
      title.textContent = stage.round.title;
      if (f === last) return;
      last = f;
      const shown = f?.entries?.length || 0;
      const total = f?.places ?? stage.round.pitches.length;
      progress.hidden = shown >= total;
      progress.textContent = shown ? t('places_revealed', { n: shown, total }) : t('ranking_soon');
      el.dataset.places = String(shown);
      list.replaceChildren(rankingList(f?.entries || []));
    },
  };
}

boot();
