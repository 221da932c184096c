// Audience page (/e/CODE): join, pick a room, vote on the pitch on stage or
// the open poll, see results and the ranking when the moderator shows them.
import {
  api, t, h, wireLangSwitch, applyBrand, errorText, Live, VoteSender, startCountdowns,
  scheduler, letter, tallyCounts, updateBars, updateHist, rankingList, fmtNum,
} from '/static/ovation.js';

const code = decodeURIComponent(location.pathname.split('/')[2] || '').trim().toUpperCase();
const TOKEN_KEY = `ovation.token.${code}`;
const ROOM_KEY = `ovation.room.${code}`;

const app = document.getElementById('app');
const banner = document.getElementById('banner');
const titleEl = document.getElementById('title');

let event = null;
let roomId = 0;
let live = null;
let votes = null;
let rejoining = null;
const cards = new Map(); // key → {el, update()}

wireLangSwitch();

// join makes this phone a participant, reusing its stored token when valid.
async function join() {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await api(`/api/events/${encodeURIComponent(code)}/join`, {
        method: 'POST', body: { token: localStorage.getItem(TOKEN_KEY) || '' },
      });
      localStorage.setItem(TOKEN_KEY, res.token);
      return res;
    } catch (e) {
      if (e.code === 'not_found' || e.code === 'invalid') throw e;
      showMessage(e.message);
      await new Promise((r) => setTimeout(r, Math.min(15000, 1000 * 2 ** attempt) * (0.5 + Math.random())));
    }
  }
}

function showMessage(text, withHome = false) {
  app.replaceChildren(h('div', { class: 'card' }, h('p', { text }),
    withHome ? h('a', { href: '/', class: 'btn btn-primary', text: t('back_home') }) : null));
}

// rejoin renews the token after the server refused it (expired), once at a time.
function rejoin() {
  if (!rejoining) {
    rejoining = join().then((res) => { live.setToken(res.token); votes.flush(); })
      .catch(() => {}).finally(() => { rejoining = null; });
  }
}

async function boot() {
  if (!/^[A-Z0-9]{3,12}$/.test(code)) { showMessage(t('no_event'), true); return; }
  let res;
  try {
    res = await join();
  } catch (e) {
    showMessage(e.code === 'not_found' ? t('no_event') : e.message, true);
    return;
  }
  event = res.event;
  applyBrand(event.color);
  titleEl.textContent = document.title = event.title;
  const saved = Number(localStorage.getItem(ROOM_KEY));
  if (event.rooms.length === 1) roomId = event.rooms[0].id;
  else if (event.rooms.some((r) => r.id === saved)) roomId = saved;

  live = new Live({ token: res.token, topics: roomId ? [`room:${roomId}`] : [] });
  votes = new VoteSender(live, `ovation.pending.${code}`);
  const render = scheduler(renderAll);
  live.addEventListener('update', render);
  live.addEventListener('status', render);
  live.addEventListener('message', (ev) => {
    const m = ev.detail;
    if (m.type === 'error' && m.id === 'auth') rejoin();
  });
  votes.addEventListener('change', render);
  votes.addEventListener('unauthorized', rejoin);
  window.addEventListener('langchange', () => { cards.clear(); app.replaceChildren(); renderAll(); });
  startCountdowns(() => live.offset);
  live.connect();
  renderAll();
}

function chooseRoom(id) {
  if (roomId) live.unsubscribe(`room:${roomId}`);
  roomId = id;
  localStorage.setItem(ROOM_KEY, String(id));
  cards.clear();
  app.replaceChildren();
  if (id) live.subscribe(`room:${id}`);
  renderAll();
}

function renderAll() {
  const online = live.status === 'open';
  banner.hidden = online || live.status === 'connecting';
  banner.textContent = t('offline');

  if (!roomId) {
    cards.clear();
    app.replaceChildren(h('div', { class: 'card' }, h('h2', { text: t('choose_room') }),
      h('div', { class: 'choice-list' }, event.rooms.map((r) =>
        h('button', { type: 'button', class: 'choice-key', text: r.name, onclick: () => chooseRoom(r.id) })))));
    return;
  }
  const store = live.store(`room:${roomId}`);
  const stage = store?.get(`stage:${roomId}`);
  if (!stage) {
    if (!app.querySelector('.card')) app.replaceChildren(h('p', { class: 'muted', text: t('connecting') }));
    return;
  }
  applyBrand(stage.event.color);
  titleEl.textContent = document.title = stage.event.title;

  const list = [];
  const openPoll = stage.polls.find((p) => p.state === 'open');
  const round = stage.round;
  const pitch = round && round.state === 'running' ? round.pitches.find((p) => p.id === round.current_pitch_id) : null;
  if (openPoll) list.push(['poll', openPoll]);
  if (pitch) list.push(['pitch', pitch]);
  if (round && round.ranking_revealed) list.push(['ranking', round]);
  if (!openPoll) {
    const shown = stage.polls.filter((p) => p.state === 'closed' && p.show_results);
    if (shown.length) list.push(['poll', shown[shown.length - 1]]);
  }

  const wanted = [];
  for (const [kind, obj] of list) {
    const key = kind === 'poll' ? `poll:${obj.id}:${obj.kind}:${obj.scale_max || ''}:${(obj.choices || []).join('|')}`
      : kind === 'pitch' ? `pitch:${obj.id}:${round.scale}` : `ranking:${obj.id}`;
    let card = cards.get(key);
    if (!card) {
      card = kind === 'poll' ? pollCard(obj.id) : kind === 'pitch' ? pitchCard(obj.id) : rankingCard(obj.id);
      cards.set(key, card);
    }
    card.update(stage, store);
    wanted.push(card.el);
  }
  for (const [key, card] of cards) if (!wanted.includes(card.el)) cards.delete(key);
  if (!wanted.length) wanted.push(idleCard());
  const extra = event.rooms.length > 1
    ? h('p', { class: 'small muted', style: { textAlign: 'center' } },
      h('button', { type: 'button', class: 'link', text: `${stage.room.name} · ${t('change_room')}`, onclick: () => chooseRoom(0) }))
    : null;
  if (extra) wanted.push(extra);
  // Only touch the DOM when the list of cards changed: a node moved under a finger loses the tap.
  const same = app.children.length === wanted.length && wanted.every((el, i) => app.children[i] === el);
  if (!same) app.replaceChildren(...wanted);
}

let idle = null;
function idleCard() {
  if (!idle || idle._lang !== document.documentElement.lang) {
    idle = h('div', { class: 'card', style: { textAlign: 'center' } }, h('p', { class: 'muted', text: t('waiting') }));
    idle._lang = document.documentElement.lang;
  }
  return idle;
}

// statusLine returns the text and class of the vote state for target;
// label(v) names a value (a score or a letter).
function statusLine(target, accepting, label) {
  const s = votes.state(target);
  switch (s.status) {
    case 'sending': return [t('st_sending'), 'st-sending'];
    case 'offline': return [t('st_offline'), 'st-offline'];
    case 'error': return [s.code === 'voting_closed' ? t('st_closed') : t('st_error', { m: s.message }), 'st-error'];
    case 'counted': case 'changed':
      return accepting ? [t('st_' + s.status), 'st-' + s.status] : [t('your_vote', { v: label(s.value) }), ''];
    default: return ['', ''];
  }
}

// keypad builds buttons for values 1..n; label(v) and extra(v) shape each.
function keypad(n, target, label, cls, extra) {
  const keys = [];
  for (let v = 1; v <= n; v++) {
    keys.push(h('button', { type: 'button', class: cls, dataset: { v: String(v) }, attrs: { 'aria-pressed': 'false' },
      onclick: () => votes.vote(target, v) }, label(v), extra ? extra(v) : null));
  }
  return keys;
}

function syncKeys(box, target, accepting) {
  const s = votes.state(target);
  for (const b of box.children) {
    const v = Number(b.dataset.v);
    const sel = v === s.value && s.status !== 'error';
    b.classList.toggle('selected', sel);
    b.classList.toggle('pending', sel && (s.status === 'sending' || s.status === 'offline'));
    b.setAttribute('aria-pressed', String(sel));
    b.disabled = !accepting;
  }
}

function pitchCard(pitchId) {
  const target = `pitch:${pitchId}`;
  const team = h('h1');
  const presenter = h('p', { class: 'muted' });
  const clock = h('span', { class: 'countdown', style: { fontSize: '2rem' } });
  const hint = h('p', { class: 'eyebrow' });
  const keys = h('div', { class: 'keypad' });
  const status = h('p', { class: 'vote-status', attrs: { role: 'status' } });
  const resultBox = h('div', { class: 'hist' });
  const resultMeta = h('p', { class: 'small muted' });
  const results = h('div', { hidden: true }, h('h3', { text: t('results') }), resultBox, resultMeta);
  const el = h('section', { class: 'card' },
    h('div', { class: 'row' }, h('span', { class: 'tag live', text: t('on_stage') }), h('span', { class: 'spacer' }), clock),
    team, presenter, hint, keys, status, results);
  let scale = 0;
  return {
    el,
    update(stage, store) {
      const round = stage.round;
      const p = round.pitches.find((x) => x.id === pitchId);
      if (!p) return;
      if (scale !== round.scale) {
        scale = round.scale;
        keys.className = scale <= 5 || scale === 10 ? 'keypad cols-5' : 'keypad';
        keys.replaceChildren(...keypad(scale, target, (v) => String(v), 'key'));
      }
      team.textContent = p.team;
      presenter.textContent = p.presenter;
      clock._timer = p.timer;
      const accepting = p.state === 'voting';
      hint.textContent = accepting ? t('voting_open') : p.state === 'closed' ? t('voting_closed') : t('voting_soon');
      syncKeys(keys, target, accepting);
      const [text, cls] = statusLine(target, accepting, String);
      status.textContent = text;
      status.className = 'vote-status ' + cls;
      const tally = store.get(`tally:${target}`);
      results.hidden = !tally || tally.hidden;
      if (tally && !tally.hidden) {
        updateHist(resultBox, tallyCounts(tally, scale));
        resultMeta.textContent = `${t('votes', { n: tally.total })} · ${t('mean', { m: fmtNum(tally.mean || 0, 2) })}`;
      }
    },
  };
}

function pollCard(pollId) {
  const target = `poll:${pollId}`;
  const question = h('h1');
  const hint = h('p', { class: 'eyebrow' });
  let keys = null;
  const status = h('p', { class: 'vote-status', attrs: { role: 'status' } });
  const bars = h('div', { class: 'bars' });
  const meta = h('p', { class: 'small muted' });
  const results = h('div', { hidden: true }, h('h3', { text: t('results') }), bars, meta);
  const el = h('section', { class: 'card' }, hint, question);
  return {
    el,
    update(stage, store) {
      const p = stage.polls.find((x) => x.id === pollId);
      if (!p) return;
      const n = p.kind === 'choices' ? p.choices.length : p.scale_max;
      if (!keys) {
        keys = p.kind === 'choices'
          ? h('div', { class: 'choice-list' }, keypad(n, target, (v) => h('span', { class: 'letter', text: letter(v) }),
            'choice-key', (v) => h('span', { text: p.choices[v - 1] })))
          : h('div', { class: n <= 5 || n === 10 ? 'keypad cols-5' : 'keypad' }, keypad(n, target, (v) => String(v), 'key'));
        el.append(keys, status, results);
      }
      question.textContent = p.question;
      const accepting = p.state === 'open';
      hint.textContent = accepting ? (p.kind === 'choices' ? t('choose_hint') : t('rate_hint')) : t('voting_closed');
      syncKeys(keys, target, accepting);
      const [text, cls] = statusLine(target, accepting, p.kind === 'choices' ? letter : String);
      status.textContent = text;
      status.className = 'vote-status ' + cls;
      const tally = store.get(`tally:${target}`);
      results.hidden = !tally || tally.hidden;
      if (tally && !tally.hidden) {
        const counts = tallyCounts(tally, n);
        updateBars(bars, counts.map((c, i) => p.kind === 'choices'
          ? { label: `${letter(i + 1)} · ${p.choices[i]}`, n: c } : { label: String(i + 1), n: c }));
        meta.textContent = t('votes', { n: tally.total });
      }
    },
  };
}

function rankingCard(roundId) {
  const list = h('div');
  const title = h('h2', { text: t('ranking') });
  const el = h('section', { class: 'card' }, title, list);
  return {
    el,
    update(stage, store) {
      const f = store.get(`ranking:${roundId}`);
      title.textContent = `${t('ranking')} — ${stage.round.title}`;
      list.replaceChildren(rankingList(f?.entries || []));
    },
  };
}

boot();
