// Control page (/control): moderator login, event picker, and the live
// console of one event (#CODE) driven by the control:EVENTID topic.
import {
  api, t, h, wireLangSwitch, applyBrand, Live, startCountdowns, scheduler, letter,
  tallyCounts, updateBars, rankingList, fmtNum,
} from '/static/ovation.js';

const $ = (id) => document.getElementById(id);
let csrf = '';
let live = null;
let eventCode = '';
let lastModel = null;
let toastTimer = 0;

// ------------------------------------------------------------ plumbing ----

function show(view) {
  for (const v of ['login', 'picker', 'console']) $(`${v}-view`).hidden = v !== view;
  const logged = view !== 'login';
  $('logout').hidden = !logged;
  $('all-events').hidden = view !== 'console';
  $('conn').hidden = view !== 'console';
  if (view !== 'console') $('title').textContent = t('ctl_title');
}

function toast(text, isError = false) {
  const el = $('toast');
  el.textContent = text;
  el.className = isError ? 'toast err' : 'toast';
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, isError ? 6000 : 2500);
}

// call is api() with the CSRF token; a lost session sends back to the login form.
async function call(method, path, body) {
  try {
    return await api(path, { method, body, csrf: method === 'GET' ? '' : csrf });
  } catch (e) {
    if (e.status === 401) showLogin();
    throw e;
  }
}

function showLogin() {
  if (live) { live.close(); live = null; }
  csrf = '';
  show('login');
  $('login-form').elements.password.focus();
}

// wireForm submits a form through submit(data), showing the server's error
// message under it and marking the offending field.
function wireForm(form, submit) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const msg = form.querySelector('.form-error');
    msg.textContent = '';
    msg.className = 'form-error';
    form.querySelectorAll('.invalid').forEach((x) => x.classList.remove('invalid'));
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      await submit(new FormData(form), form);
      const keep = [...form.querySelectorAll('select')].map((s) => [s, s.value]);
      form.reset();
      keep.forEach(([s, v]) => { s.value = v; });
      form.dispatchEvent(new Event('change'));
      msg.textContent = t('saved');
      msg.className = 'form-error form-ok';
      setTimeout(() => { if (msg.classList.contains('form-ok')) msg.textContent = ''; }, 3000);
    } catch (e) {
      msg.textContent = e.message;
      const field = e.field && form.elements[e.field.split('[')[0]];
      if (field && field.classList) { field.classList.add('invalid'); field.focus(); }
    } finally {
      btn.disabled = false;
    }
  });
}

const int = (v) => (v === '' || v === null ? undefined : Number(v));
const str = (v) => String(v ?? '').trim();

// --------------------------------------------------------- login, events ----

wireForm($('login-form'), async (d) => {
  const res = await api('/api/login', { method: 'POST', body: { password: d.get('password') } });
  csrf = res.csrf_token;
  route();
});

wireForm($('event-form'), async (d) => {
  const ev = await call('POST', '/api/events', { code: str(d.get('code')).toUpperCase(), title: str(d.get('title')), color: d.get('color') });
  location.hash = ev.code;
});

$('logout').addEventListener('click', async () => {
  try { await api('/api/logout', { method: 'POST', csrf }); } catch { /* the session is gone either way */ }
  location.hash = '';
  showLogin();
});

async function showPicker() {
  if (live) { live.close(); live = null; }
  show('picker');
  try {
    const events = await call('GET', '/api/events');
    $('event-list').replaceChildren(...events.map((e) => h('li', {},
      h('span', { class: 'swatch', style: { background: e.color } }),
      h('span', { class: 'spacer' }, h('strong', { text: e.title }), h('span', { class: 'muted mono', text: ` ${e.code}` })),
      h('a', { class: 'btn btn-small btn-primary', href: `#${e.code}`, text: t('open') }))));
  } catch (e) {
    if (e.status !== 401) toast(e.message, true);
  }
}

function route() {
  if (!csrf) return;
  const code = decodeURIComponent(location.hash.slice(1)).trim().toUpperCase();
  if (code) openEvent(code);
  else showPicker();
}

window.addEventListener('hashchange', route);

// ------------------------------------------------------------- console ----

async function openEvent(code) {
  let m;
  try {
    m = await call('GET', `/api/events/${encodeURIComponent(code)}/model`);
  } catch (e) {
    if (e.status !== 401) { toast(e.message, true); location.hash = ''; }
    return;
  }
  if (live) live.close();
  eventCode = m.event.code;
  lastModel = null;
  show('console');
  $('audience-link').href = `/e/${eventCode}`;
  $('export-csv').href = `/api/events/${eventCode}/results?format=csv`;
  $('export-json').href = `/api/events/${eventCode}/results?format=json`;
  renderModel(m);

  live = new Live({ topics: [`control:${m.event.id}`] });
  const render = scheduler(() => renderLive(live));
  live.addEventListener('update', render);
  live.addEventListener('status', () => { $('conn').classList.toggle('off', live.status !== 'open'); });
  live.addEventListener('message', (ev) => {
    const msg = ev.detail;
    if (msg.type === 'error' && msg.id && msg.id.startsWith('sub:')) {
      if (msg.code === 'forbidden') showLogin();
      else toast(msg.message, true);
    }
  });
  live.connect();
}

function renderLive(l) {
  if (l !== live) return;
  const store = live.store([...live.stores.keys()][0]);
  const mf = store.get('model');
  if (mf && mf !== lastModel) {
    lastModel = mf;
    renderModel(mf);
  }
  patchLive(store);
}

// act runs a moderator action; the new state comes back on the control topic.
async function act(btn, path, body) {
  btn.disabled = true;
  try {
    await call('POST', path, body);
  } catch (e) {
    toast(e.message, true);
  } finally {
    btn.disabled = false;
  }
}

function actionButton(label, path, { enabled = true, danger = false, confirmText = '', primary = false, body } = {}) {
  return h('button', {
    type: 'button', class: `btn-small${danger ? ' btn-danger' : ''}${primary ? ' btn-primary' : ''}`, text: label, disabled: !enabled,
    onclick: (ev) => {
      if (confirmText && !confirm(confirmText)) return;
      act(ev.currentTarget, path, body);
    },
  });
}

function stateTag(state) {
  const cls = state === 'voting' || state === 'open' || state === 'running' ? 'tag live' : state === 'on_stage' ? 'tag warn' : 'tag';
  return h('span', { class: cls, text: t('s_' + state) });
}

function renderModel(m) {
  applyBrand(m.event.color);
  $('title').textContent = `${m.event.title} · ${m.event.code}`;
  document.title = `${m.event.title} — ${t('ctl_title')}`;
  $('jury').hidden = !m.jury_code;
  $('jury-code').textContent = m.jury_code || '';
  const roomName = (id) => (m.rooms.find((r) => r.id === id) || {}).name || '?';

  // Rooms, with their stage links.
  $('room-list').replaceChildren(...m.rooms.map((r) => {
    const active = m.rounds.find((x) => x.id === r.active_round_id);
    return h('li', {},
      h('span', { class: 'spacer' }, h('strong', { text: r.name }),
        h('div', { class: 'small muted' }, h('span', { dataset: { roomConn: String(r.id) } }),
          active ? ` · ${t('active_round', { x: active.title })}` : '')),
      h('a', { class: 'btn btn-small', href: `/stage/${m.event.code}?room=${r.id}`, target: '_blank', rel: 'noopener', text: t('stage_link') }));
  }));
  for (const sel of document.querySelectorAll('.room-select')) fillSelect(sel, m.rooms.map((r) => [r.id, r.name]));
  fillSelect($('round-select'), m.rounds.map((r) => [r.id, `${r.title} (${roomName(r.room_id)})`]));

  $('rounds').replaceChildren(h('h2', { text: t('rounds') }),
    ...(m.rounds.length ? m.rounds.map((r) => roundCard(r, roomName(r.room_id))) : [h('p', { class: 'card muted', text: t('no_rounds') })]));
  $('polls').replaceChildren(h('h2', { text: t('polls') }),
    ...(m.polls.length ? m.polls.map((p) => pollCard(p, roomName(p.room_id))) : [h('p', { class: 'card muted', text: t('no_polls') })]));
}

function fillSelect(sel, items) {
  const v = sel.value;
  sel.replaceChildren(...items.map(([val, label]) => h('option', { value: String(val), text: label })));
  if ([...sel.options].some((o) => o.value === v)) sel.value = v;
}

function roundCard(r, roomName) {
  const idx = r.pitches.findIndex((p) => p.id === r.current_pitch_id);
  const running = r.state === 'running';
  const base = `/api/rounds/${r.id}/actions/`;
  const rows = r.pitches.map((p, i) => pitchRow(r, p, i));
  return h('section', { class: 'card' },
    h('div', { class: 'row' }, h('h3', { text: r.title, style: { margin: 0 } }), stateTag(r.state),
      r.ranking_revealed ? h('span', { class: 'tag on', text: t('s_revealed') }) : null,
      h('span', { class: 'muted small', text: `${roomName} · 1–${r.scale}` })),
    h('div', { class: 'actions', style: { margin: '.7rem 0' } },
      actionButton(t('a_start'), base + 'start', { enabled: r.state === 'pending' && r.pitches.length > 0, primary: true }),
      actionButton(`◀ ${t('a_previous')}`, base + 'previous', { enabled: running && idx > 0 }),
      actionButton(`${t('a_next')} ▶`, base + 'next', { enabled: running && idx >= 0 && idx < r.pitches.length - 1, primary: running }),
      actionButton(t('a_reveal'), base + 'reveal', { enabled: r.state !== 'pending' && !r.ranking_revealed }),
      actionButton(t('a_hide_ranking'), base + 'hide_ranking', { enabled: r.ranking_revealed })),
    r.pitches.length
      ? h('div', { style: { overflowX: 'auto' } }, h('table', { class: 'pitches' },
        h('thead', {}, h('tr', {}, ['#', t('f_team'), t('col_state'), t('col_timer'), t('col_votes'), ''].map((x) => h('th', { text: x })))),
        h('tbody', {}, rows)))
      : h('p', { class: 'muted', text: t('no_pitches') }),
    h('h3', { text: t('ranking'), style: { marginTop: '1rem' } }),
    h('div', { dataset: { ranking: String(r.id) } }));
}

function pitchRow(r, p, i) {
  const base = `/api/pitches/${p.id}/actions/`;
  const running = r.state === 'running';
  const current = p.id === r.current_pitch_id;
  const clock = h('span', { class: 'countdown' });
  clock._timer = p.timer;
  const onStage = p.state !== 'pending';
  return h('tr', { class: current ? 'current' : '' },
    h('td', { text: String(i + 1) }),
    h('td', {}, h('strong', { text: p.team }), h('div', { class: 'small muted', text: p.presenter }),
      p.video_url ? h('a', { class: 'small', href: p.video_url, target: '_blank', rel: 'noopener', text: 'video' }) : null),
    h('td', {}, stateTag(p.state), p.show_results ? h('div', { class: 'small muted', text: t('s_public') }) : null),
    h('td', { class: 'timer' }, clock, h('div', { class: 'actions' },
      p.timer.running
        ? actionButton(t('a_timer_pause'), base + 'timer_pause', { enabled: onStage })
        : actionButton(`▶ ${t('a_timer_start')}`, base + 'timer_start', { enabled: onStage }),
      actionButton('+30 s', base + 'timer_extend', { enabled: onStage, body: { seconds: 30 } }),
      actionButton(`↺ ${t('a_timer_reset')}`, base + 'timer_reset', { enabled: onStage }))),
    h('td', { dataset: { tally: `pitch:${p.id}`, n: String(r.scale) } },
      h('div', { class: 'mini-hist' }), h('div', { class: 'small tally-text' })),
    h('td', {}, h('div', { class: 'actions' },
      actionButton(t('a_stage'), base + 'stage', { enabled: running && !current }),
      p.state === 'voting'
        ? actionButton(t('a_close'), base + 'close', { primary: true })
        : actionButton(t('a_open'), base + 'open', { enabled: running && current, primary: running && current }),
      p.show_results
        ? actionButton(t('a_hide_results'), base + 'hide_results')
        : actionButton(t('a_show_results'), base + 'show_results'),
      actionButton(t('a_reset_votes'), base + 'reset_votes', { danger: true, confirmText: t('confirm_reset', { x: p.team }) }))));
}

function pollCard(p, roomName) {
  const base = `/api/polls/${p.id}/actions/`;
  const n = p.kind === 'choices' ? p.choices.length : p.scale_max;
  const box = h('div', { dataset: { tally: `poll:${p.id}`, n: String(n) } }, h('div', { class: 'bars' }), h('div', { class: 'small tally-text' }));
  box._labels = Array.from({ length: n }, (_, i) => (p.kind === 'choices' ? `${letter(i + 1)} · ${p.choices[i]}` : String(i + 1)));
  return h('section', { class: 'card' },
    h('div', { class: 'row' }, h('h3', { text: p.question, style: { margin: 0 } }), stateTag(p.state),
      p.show_results ? h('span', { class: 'tag on', text: t('s_public') }) : null,
      h('span', { class: 'muted small', text: `${roomName} · ${p.kind === 'choices' ? 'A–' + letter(n) : '1–' + n}` })),
    h('div', { class: 'actions', style: { margin: '.7rem 0' } },
      p.state === 'open'
        ? actionButton(t('a_close'), base + 'close', { primary: true })
        : actionButton(t('a_open'), base + 'open', { primary: true }),
      p.show_results
        ? actionButton(t('a_hide_results'), base + 'hide_results')
        : actionButton(t('a_show_results'), base + 'show_results'),
      actionButton(t('a_reset_votes'), base + 'reset_votes', { danger: true, confirmText: t('confirm_reset', { x: p.question }) })),
    box);
}

// patchLive updates tallies, rankings and stats in place, so buttons are not
// rebuilt under the moderator's pointer at every tally tick.
function patchLive(store) {
  for (const el of document.querySelectorAll('#console-view [data-tally]')) {
    const f = store.get(`tally:${el.dataset.tally}`);
    const n = Number(el.dataset.n);
    const counts = tallyCounts(f, n);
    const text = el.querySelector('.tally-text');
    const total = f ? f.total : 0;
    if (el.dataset.tally.startsWith('pitch:')) {
      const mh = el.querySelector('.mini-hist');
      if (mh.children.length !== n) mh.replaceChildren(...counts.map(() => h('span')));
      const max = Math.max(1, ...counts);
      counts.forEach((c, i) => { mh.children[i].style.height = `${(100 * c) / max}%`; mh.children[i].title = `${i + 1}: ${c}`; });
      text.textContent = total ? `${t('votes', { n: total })} · ${fmtNum(f.mean || 0, 2)}${f.jury ? ` · jury ${fmtNum(f.jury.mean, 2)}` : ''}` : t('votes', { n: 0 });
    } else {
      updateBars(el.querySelector('.bars'), counts.map((c, i) => ({ label: el._labels[i], n: c })));
      text.textContent = t('votes', { n: total });
    }
  }
  for (const el of document.querySelectorAll('#console-view [data-ranking]')) {
    const f = store.get(`ranking:${el.dataset.ranking}`);
    el.replaceChildren(f && f.entries.length ? rankingList(f.entries, 10) : h('p', { class: 'muted small', text: '–' }));
  }
  const stats = store.get('stats');
  if (stats) {
    $('stat-votes').textContent = fmtNum(stats.votes_accepted, 0);
    for (const el of document.querySelectorAll('[data-room-conn]')) {
      el.textContent = t('connected', { n: stats.connected[el.dataset.roomConn] || 0 });
    }
  }
}

// --------------------------------------------------------- build forms ----

wireForm($('room-form'), (d) => call('POST', `/api/events/${eventCode}/rooms`, { name: str(d.get('name')) }));

wireForm($('round-form'), (d) => call('POST', `/api/events/${eventCode}/rounds`, {
  room_id: int(d.get('room_id')), title: str(d.get('title')), scale: int(d.get('scale')),
}));

wireForm($('pitch-form'), (d) => {
  const round = int(d.get('round_id'));
  if (!round) throw Object.assign(new Error(t('no_rounds')), { field: 'round_id' });
  return call('POST', `/api/rounds/${round}/pitches`, {
    team: str(d.get('team')), presenter: str(d.get('presenter')), duration_s: int(d.get('duration_s')), video_url: str(d.get('video_url')),
  });
});

const pollForm = $('poll-form');
const syncPollKind = () => {
  const choices = pollForm.elements.kind.value === 'choices';
  pollForm.querySelector('.if-choices').hidden = !choices;
  pollForm.querySelector('.if-scale').hidden = choices;
};
pollForm.elements.kind.addEventListener('change', syncPollKind);
pollForm.addEventListener('change', syncPollKind);
wireForm(pollForm, (d) => {
  const body = { room_id: int(d.get('room_id')), question: str(d.get('question')), kind: d.get('kind'), show_results: d.get('show_results') === 'on' };
  if (body.kind === 'choices') body.choices = str(d.get('choices')).split('\n').map((s) => s.trim()).filter(Boolean);
  else body.scale_max = int(d.get('scale_max'));
  return call('POST', `/api/events/${eventCode}/polls`, body);
});

// ---------------------------------------------------------------- boot ----

wireLangSwitch();
window.addEventListener('langchange', () => {
  if (lastModel && !$('console-view').hidden) { renderModel(lastModel); patchLive(live.store([...live.stores.keys()][0])); }
});
startCountdowns(() => (live ? live.offset : 0));

(async () => {
  try {
    const s = await api('/api/session');
    csrf = s.csrf_token;
    route();
  } catch (e) {
    showLogin();
    if (e.status !== 401) toast(e.message, true);
  }
})();
