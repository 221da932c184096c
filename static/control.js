// Control page (/control): moderator login, event picker, and the console
// of one event (#CODE): build it (event settings, rooms, rounds, pitches,
// polls, quizzes and their questions), run it live from the live panel or
// the keyboard (a running quiz: start, reveal, leaderboard, next question,
// podium), watch the live
// numbers and a preview of the stage, export results, read the audit log,
// moderate the social feed (queue live from feed_queue frames, approve,
// reject, pin, unpin, block author) and edit its settings; run the audience
// boards (board_queue frames) and read the meeting requests.
// It follows the control:EVENTID topic; every change goes through the HTTP
// API of docs/protocol.md §13.
import { boardFrames, sortEntries } from '/static/lib/boards.js';
import { startCountdowns } from '/static/lib/countdown.js';
import { h, scheduler } from '/static/lib/dom.js';
import { latestFeed, feedPost, safeURL } from '/static/lib/feed.js';
import { fmtNum, fmtScore, fmtTime, hostPath, fmtHM, letter } from '/static/lib/format.js';
import { api } from '/static/lib/http.js';
import { icon } from '/static/lib/icons.js';
import { t, wireLangSwitch, fieldErrorText } from '/static/lib/lang.js';
import { Live } from '/static/lib/live.js';
import { wireThemeSwitch, initTheme, applyBrand } from '/static/lib/theme.js';
import { rankingList, markCorrect } from '/static/lib/widgets.js';
import { KINDS, kindOf, pitchQuestion } from '/static/kinds/all.js';
import * as quizKind from '/static/kinds/quiz.js';
import { renderTeam, renderAccount } from '/static/team.js';
import { renderProgrammePanel } from '/static/programme-control.js';

const $ = (id) => document.getElementById(id);
let csrf = '';
let me = null; // GET /api/session: the account, its grants, what each role may do
let live = null;
let model = null; // the latest model (GET /model or model frame)
let lastFrame = null;
let eventCode = '';
let roomSel = 0; // the room the live panel and the preview show
const roundSel = new Map(); // room id → round id picked in the live panel
let prevStats = null;
let rates = [];
let dragging = false;
let pointerDown = false;
let renderPending = false;
let modelKey = '';
let toastTimer = 0;
let settingsDirty = false;
let feedSettings = null; // GET /feed/settings
let feedFallback = { queue: null, rooms: new Map() }; // HTTP answers until frames arrive
let feedSig = '';
let feedDirty = false;

initTheme();
wireLangSwitch();
wireThemeSwitch();
$('brand-mark').replaceChildren(icon('mark'), h('span', { text: 'Ovation' }));
$('login-mark').replaceChildren(icon('mark'));

// ------------------------------------------------------------ plumbing ----

function show(view) {
  for (const v of ['login', 'picker', 'console', 'team', 'account']) $(`${v}-view`).hidden = v !== view;
  const logged = view !== 'login';
  $('logout').hidden = !logged;
  $('who').hidden = !logged || !me;
  if (me) $('who').textContent = me.account.display_name;
  $('team-link').hidden = !logged || !me || !can('admin', 0, 0);
  $('all-events').hidden = view === 'login' || view === 'picker';
  $('conn').hidden = view !== 'console';
  if (view !== 'console') document.body.classList.remove('stale');
  $('help-btn').hidden = view !== 'console';
  $('code-chip').hidden = view !== 'console';
  if (view !== 'console') { $('title').textContent = ''; document.title = t('ctl_title'); }
}

function toast(text, isError = false) {
  const el = $('toast');
  el.textContent = text;
  el.className = isError ? 'toast err' : 'toast';
  el.setAttribute('role', isError ? 'alert' : 'status');
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
  me = null;
  document.querySelectorAll('dialog[open]').forEach((d) => d.close());
  show('login');
  $('password').focus();
  showSignInOptions();
}

// showSignInOptions offers the identity provider's sign-in when the server
// has one, and says why a sign-in through it just failed (?sso_error=).
async function showSignInOptions() {
  const err = new URLSearchParams(location.search).get('sso_error');
  if (err) {
    $('login-form').querySelector('.form-error').textContent = t('sso_err_' + err) !== 'sso_err_' + err ? t('sso_err_' + err) : t('sso_err_refused');
    history.replaceState(null, '', location.pathname + location.hash);
  }
  try {
    const opts = await api('/api/sign-in');
    const link = $('sso-link');
    link.hidden = !opts.oidc;
    if (opts.oidc) link.textContent = t('sso_with', { name: opts.oidc.name });
  } catch { /* the password form works without it */ }
}

// Form errors: a .field-error[data-field=NAME] under each input shows the
// server's error about that field; anything else goes to the form's .form-error.
function clearErrors(form) {
  form.querySelectorAll('.field-error').forEach((e) => { e.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((e) => { e.removeAttribute('aria-invalid'); e.classList.remove('invalid'); });
  const fe = form.querySelector('.form-error');
  if (fe) fe.textContent = '';
}

function showError(form, e) {
  const box = e.field && form.querySelector(`.field-error[data-field="${e.field}"]`);
  if (box) {
    box.textContent = fieldErrorText(e);
    const input = form.querySelector(`[name="${e.field}"]`);
    if (input) { input.setAttribute('aria-invalid', 'true'); input.classList.add('invalid'); input.focus(); }
    return;
  }
  const fe = form.querySelector('.form-error');
  if (fe) fe.textContent = fieldErrorText(e);
  else toast(fieldErrorText(e), true);
}

const str = (v) => String(v ?? '').trim();

// preserveFocus re-renders with fn and gives focus back to the element with
// the same id, so that keyboard users keep their place across live updates.
function preserveFocus(fn) {
  const id = document.activeElement?.id;
  fn();
  if (id && document.activeElement?.id !== id) $(id)?.focus({ preventScroll: true });
}

// --------------------------------------------------------------- dialogs ----

// field builds one labelled input of a form from its spec; ids start with prefix.
function field(f, value, prefix = 'f-') {
  const id = `${prefix}${f.name}`;
  const err = h('p', { class: 'field-error', id: `${id}-error`, dataset: { field: f.name } });
  const described = [f.hint ? `${id}-hint` : '', `${id}-error`].filter(Boolean).join(' ');
  let input;
  switch (f.type) {
    case 'select':
      input = h('select', { id, name: f.name, disabled: f.disabled, attrs: { 'aria-describedby': described } },
        f.options.map(([v, label]) => h('option', { value: String(v), text: label, selected: String(v) === String(value) })));
      break;
    case 'textarea':
      input = h('textarea', { id, name: f.name, rows: f.rows || 4, disabled: f.disabled, value: Array.isArray(value) ? value.join('\n') : (value ?? ''), attrs: { 'aria-describedby': described } });
      break;
    case 'checkbox':
      input = h('input', { id, name: f.name, type: 'checkbox', checked: !!value, disabled: f.disabled });
      return h('div', { class: 'field', dataset: { name: f.name } }, h('label', { class: 'check', htmlFor: id }, input, h('span', { text: f.label })), err);
    case 'langs': {
      // Checked languages first, in their order: the first is the default.
      const names = { fr: 'Français', en: 'English' };
      const order = [...(value || []), ...Object.keys(names).filter((l) => !(value || []).includes(l))];
      return h('fieldset', { class: 'field', dataset: { name: f.name }, style: { border: 0, padding: 0, margin: '0 0 .8rem' } },
        h('legend', { class: 'form-label', text: f.label }),
        h('div', { class: 'checks' }, order.map((l) => [l, names[l]]).map(([l, label]) => h('label', { class: 'check' },
          h('input', { type: 'checkbox', name: f.name, value: l, checked: (value || []).includes(l), lang: l }), h('span', { text: label, lang: l })))),
        f.hint ? h('p', { class: 'hint', id: `${id}-hint`, text: f.hint }) : null, err);
    }
    default:
      input = h('input', {
        id, name: f.name, type: f.type || 'text', value: value ?? '', disabled: f.disabled, required: !!f.required,
        maxLength: f.maxLength, min: f.min, max: f.max, autocomplete: 'off', attrs: { 'aria-describedby': described },
      });
      if (f.upper) input.setAttribute('autocapitalize', 'characters');
  }
  return h('div', { class: 'field', dataset: { name: f.name } },
    h('label', { htmlFor: id, text: f.label }), input,
    f.hint ? h('p', { class: 'hint', id: `${id}-hint`, text: f.hint }) : null, err);
}

// readFields returns the values of the visible, enabled fields of form.
function readFields(form, fields) {
  const out = {};
  for (const f of fields) {
    const box = form.querySelector(`[data-name="${f.name}"]`);
    if (!box || box.hidden || f.disabled) continue;
    if (f.type === 'langs') { out[f.name] = [...form.querySelectorAll(`input[name="${f.name}"]:checked`)].map((x) => x.value); continue; }
    const el = form.elements[f.name];
    if (f.type === 'checkbox') out[f.name] = el.checked;
    else if (f.type === 'number') out[f.name] = el.value === '' ? undefined : Number(el.value);
    else if (f.type === 'select' && f.numeric) out[f.name] = Number(el.value);
    else if (f.type === 'textarea' && f.lines) out[f.name] = el.value.split('\n').map((s) => s.trim()).filter(Boolean);
    else out[f.name] = f.upper ? str(el.value).toUpperCase() : str(el.value);
  }
  return out;
}

// checkFields finds the first value the server would refuse for a plain
// reason (missing, out of range), so the message comes in the reader's language.
function checkFields(fields, data) {
  for (const f of fields) {
    if (!(f.name in data)) continue;
    const v = data[f.name];
    if (f.required && (v === '' || v === undefined)) return { field: f.name, message: t('v_required') };
    if (f.type === 'number' && v !== undefined && (!Number.isInteger(v) || (f.min !== undefined && v < f.min) || (f.max !== undefined && v > f.max))) {
      return { field: f.name, message: t('v_range', { min: f.min, max: f.max }) };
    }
  }
  return null;
}

// changed keeps the fields whose value differs from before (for PATCH).
function changed(data, before) {
  const out = {};
  for (const [k, v] of Object.entries(data)) if (JSON.stringify(v) !== JSON.stringify(before[k] ?? (Array.isArray(v) ? [] : ''))) out[k] = v;
  return out;
}

// openForm shows a modal form; submit(data) saves it and may throw an
// ApiError, shown next to its field. Fields with show(data) appear only
// when it returns true.
function openForm({ title, fields, values = {}, submitLabel = t('save'), submit }) {
  const dlg = $('form-dialog');
  const save = h('button', { type: 'submit', class: 'btn-primary', text: submitLabel });
  const form = h('form', { id: 'dlg-form', noValidate: true, attrs: { 'aria-labelledby': 'dlg-title' } },
    h('h2', { id: 'dlg-title', text: title }),
    fields.map((f) => field(f, values[f.name])),
    h('p', { class: 'form-error', attrs: { role: 'alert' } }),
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn-ghost', text: t('cancel'), onclick: () => dlg.close() }), save));
  const sync = () => {
    const data = readFields(form, fields.filter((f) => !f.show));
    for (const f of fields) if (f.show) form.querySelector(`[data-name="${f.name}"]`).hidden = !f.show(data);
  };
  form.addEventListener('change', sync);
  sync();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const data = readFields(form, fields);
    const bad = checkFields(fields, data);
    if (bad) { showError(form, bad); return; }
    save.disabled = true;
    try {
      await submit(data);
      dlg.close();
      toast(t('saved'));
    } catch (e) {
      if (e.status === 401) return;
      showError(form, e);
    } finally {
      save.disabled = false;
    }
  });
  dlg.replaceChildren(form);
  dlg.showModal();
  form.querySelector('input:not([type=hidden]):not(:disabled), select, textarea')?.focus();
}

// confirmDialog asks before something that cannot be undone; resolves true to go on.
function confirmDialog({ title, text, confirmLabel }) {
  const dlg = $('confirm-dialog');
  return new Promise((resolve) => {
    const form = h('form', { method: 'dialog', attrs: { 'aria-labelledby': 'cf-title', 'aria-describedby': 'cf-text' } },
      h('h2', { id: 'cf-title', text: title }),
      h('p', { id: 'cf-text', text }),
      h('div', { class: 'form-actions' },
        h('button', { value: 'no', class: 'btn-ghost', id: 'confirm-no', text: t('cancel') }),
        h('button', { value: 'yes', class: 'btn-danger', id: 'confirm-yes', text: confirmLabel })));
    dlg.replaceChildren(form);
    dlg.returnValue = '';
    dlg.addEventListener('close', () => resolve(dlg.returnValue === 'yes'), { once: true });
    dlg.showModal();
    $('confirm-no').focus();
  });
}

const SHORTCUTS = [
  ['S', 'act-start', 'a_start_round'], ['N', 'act-next', 'a_next'], ['→', 'act-next', 'a_next'], ['P', 'act-prev', 'a_previous'],
  ['←', 'act-prev', 'a_previous'], ['V', 'act-voting', 'sc_voting'], ['T', 'act-timer', 'sc_timer'], ['E', 'act-extend', 'a_extend'],
  ['H', 'act-results', 'sc_results'], ['R', 'act-ranking', 'sc_ranking'], ['F', 'act-finish', 'sc_finish'], ['?', '', 'shortcuts'],
];

// The single-key shortcuts can be turned off on this device (WCAG 2.1.4):
// speech input or a stray key would otherwise run the show. The ? key and
// the help button still open the list, where they are turned on again.
const SHORTCUTS_KEY = 'ovation.shortcuts';
function shortcutsOn() {
  try { return localStorage.getItem(SHORTCUTS_KEY) !== 'off'; } catch { return true; }
}

function openHelp() {
  const dlg = $('help-dialog');
  const toggle = h('input', { type: 'checkbox', id: 'shortcuts-on', checked: shortcutsOn(),
    onchange: () => { try { localStorage.setItem(SHORTCUTS_KEY, toggle.checked ? 'on' : 'off'); } catch { /* storage off */ } } });
  dlg.replaceChildren(h('div', { class: 'dialog-body', attrs: { 'aria-labelledby': 'help-title' } },
    h('h2', { id: 'help-title' }, icon('keyboard'), ' ', t('shortcuts')),
    h('p', { class: 'muted small', text: t('shortcuts_hint') }),
    h('label', { class: 'check', htmlFor: 'shortcuts-on' }, toggle, h('span', { text: t('shortcuts_on') })),
    h('table', { class: 'shortcut-table' }, h('tbody', {}, SHORTCUTS.map(([k, , label]) => h('tr', {}, h('td', {}, h('kbd', { text: k })), h('td', { text: t(label) }))))),
    h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn-primary', text: t('close'), onclick: () => dlg.close() }))));
  dlg.showModal();
}

$('help-btn').addEventListener('click', openHelp);

const KEYS = { s: 'act-start', n: 'act-next', ArrowRight: 'act-next', p: 'act-prev', ArrowLeft: 'act-prev', v: 'act-voting', t: 'act-timer', e: 'act-extend', h: 'act-results', r: 'act-ranking', f: 'act-finish' };

document.addEventListener('keydown', (ev) => {
  if ($('console-view').hidden || ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat) return;
  if (document.querySelector('dialog[open]')) return;
  if (ev.target.closest?.('input, textarea, select, [contenteditable]')) return;
  if (ev.key === '?') { ev.preventDefault(); openHelp(); return; }
  if (!shortcutsOn()) return;
  const id = KEYS[ev.key.length === 1 ? ev.key.toLowerCase() : ev.key];
  if (!id) return;
  ev.preventDefault();
  const btn = $(id);
  if (!btn || btn.disabled || btn.hidden || !btn.offsetParent) { toast(t('sc_unavailable')); return; }
  btn.click();
});

// --------------------------------------------------------- login, events ----

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  clearErrors(form);
  const btn = form.querySelector('button[type=submit]');
  btn.disabled = true;
  try {
    const login = str(form.elements.username.value).toLowerCase();
    const res = await api('/api/login', { method: 'POST', body: login ? { login, password: form.elements.password.value } : { password: form.elements.password.value } });
    csrf = res.csrf_token;
    me = await api('/api/session');
    form.reset();
    route();
  } catch (e) {
    showError(form, e.code === 'unauthorized' ? { field: 'password', message: t('wrong_password') } : e);
  } finally {
    btn.disabled = false;
  }
});

$('event-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  clearErrors(form);
  try {
    const e = await call('POST', '/api/events', { code: str(form.elements.code.value).toUpperCase(), title: str(form.elements.title.value), color: form.elements.color.value });
    form.reset();
    location.hash = e.code;
  } catch (e) {
    if (e.status !== 401) showError(form, e);
  }
});

$('logout').addEventListener('click', async () => {
  try { await api('/api/logout', { method: 'POST', csrf }); } catch { /* the session is gone either way */ }
  location.hash = '';
  showLogin();
});

async function showPicker() {
  if (live) { live.close(); live = null; }
  model = null;
  applyRights();
  show('picker');
  try {
    const events = await call('GET', '/api/events');
    $('event-list').replaceChildren(...(events.length ? events.map((e) => h('li', {},
      h('span', { class: 'swatch', style: { background: e.color } }),
      h('span', { class: 'spacer' }, h('strong', { text: e.title }), ' ', h('span', { class: 'muted mono', text: e.code })),
      h('a', { class: 'btn btn-small btn-primary', href: `#${e.code}`, text: t('open'), dataset: { code: e.code } })))
      : [h('li', { class: 'muted', text: t('no_events') })]));
  } catch (e) {
    if (e.status !== 401) toast(e.message, true);
  }
}

function route() {
  if (!csrf) return;
  const code = decodeURIComponent(location.hash.slice(1)).trim().toUpperCase();
  if (code === '~TEAM' || code === '~ACCOUNT') showTeamView(code === '~TEAM' ? 'team' : 'account');
  else if (code) openEvent(code);
  else showPicker();
}

// showTeamView opens the Team view (administrators) or My account.
async function showTeamView(view) {
  if (live) { live.close(); live = null; }
  model = null;
  eventCode = '';
  applyRights();
  show(view);
  const ctx = { call: (m, p, b) => call(m, p, b), toast, me, onLoggedOut: () => { location.hash = ''; showLogin(); } };
  try {
    if (view === 'team') await renderTeam($('team-view'), ctx);
    else await renderAccount($('account-view'), ctx);
  } catch (e) {
    if (e.status !== 401) toast(fieldErrorText(e), true);
  }
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
  model = m;
  lastFrame = null;
  prevStats = null;
  rates = [];
  settingsDirty = false;
  if (!m.rooms.some((r) => r.id === roomSel)) roomSel = m.rooms[0]?.id || 0;
  show('console');
  $('export-csv').href = `/api/events/${eventCode}/results?format=csv`;
  $('export-json').href = `/api/events/${eventCode}/results?format=json`;
  $('audience-link').href = `/e/${eventCode}`;
  feedSettings = null;
  feedFallback = { queue: null, rooms: new Map() };
  feedSig = '';
  renderStatic();
  renderModel();
  loadFeedSettings();
  loadFeedFallback();
  boardSig = '';
  $('board-panel').replaceChildren();
  $('programme-panel').replaceChildren();
  renderMeetings([]);
  loadMeetings();

  // The render keeps its own connection: one that fires after the console
  // closed (another view, another event) finds it is no longer live.
  const l = new Live({ topics: [`control:${m.event.id}`] });
  live = l;
  const render = scheduler(() => renderLive(l));
  live.addEventListener('update', (ev) => {
    const f = ev.detail.frame;
    if (f && f.type === 'stats') noteStats(f);
    render();
  });
  live.addEventListener('status', () => renderConn());
  live.addEventListener('message', (ev) => {
    const msg = ev.detail;
    if (msg.type === 'error' && msg.id && msg.id.startsWith('sub:')) {
      if (msg.code === 'forbidden') showLogin();
      else toast(msg.message, true);
    }
  });
  live.connect();
  renderConn();
}

// renderConn shows the connection state in the top bar and, as the stage
// and the phones do, greys the live figures (numbers, results, timers,
// the preview) while the page cannot vouch for them.
function renderConn() {
  const ok = live && live.status === 'open';
  $('conn').classList.toggle('conn-down', !ok);
  $('conn-dot').className = ok ? 'dot live' : 'dot off';
  $('conn-text').textContent = ok ? t('conn_live') : t('reconnecting');
  document.body.classList.toggle('stale', !!live && !ok);
}

function topicStore() { return live?.store([...live.stores.keys()][0]); }

function renderLive(l) {
  if (l !== live) return;
  const store = topicStore();
  const mf = store.get('model');
  if (mf && mf !== lastFrame) {
    lastFrame = mf;
    // The snapshot repeats the model the page already shows: keep its DOM.
    if (keyOf(mf) !== modelKey) {
      model = mf;
      renderModel();
    }
  }
  patchLive(store);
}

function keyOf(m) { return JSON.stringify([m.event, m.jury_code, m.rooms, m.rounds, m.polls, m.quizzes, m.surveys]); }

// A button replaced between the press and the release of a click loses the
// click: while a pointer is down, re-rendering waits until just after the click.
document.addEventListener('pointerdown', () => { pointerDown = true; }, true);
for (const type of ['pointerup', 'pointercancel']) {
  document.addEventListener(type, () => {
    pointerDown = false;
    if (renderPending && !dragging) setTimeout(() => { if (renderPending && !pointerDown) { renderPending = false; renderModel(); } });
  }, true);
}

// act runs a moderator action; the new state comes back on the control topic.
async function act(path, body, btn, method = 'POST') {
  if (btn) btn.disabled = true;
  try {
    await call(method, path, body);
  } catch (e) {
    if (e.status !== 401) toast(fieldErrorText(e), true);
  } finally {
    if (btn && btn.isConnected) btn.disabled = false;
  }
}

function button(label, { id, ic, kbd, primary, danger, small = true, disabled, onclick, title, aria, data } = {}) {
  return h('button', {
    type: 'button', id, disabled: !!disabled, title,
    class: [small ? 'btn-small' : '', primary ? 'btn-primary' : '', danger ? 'btn-danger' : ''].filter(Boolean).join(' '),
    attrs: { 'aria-label': aria, 'aria-keyshortcuts': kbd }, dataset: data,
    onclick: (ev) => onclick(ev.currentTarget),
  }, ic ? icon(ic) : null, label ? h('span', { text: label }) : null, kbd ? h('kbd', { text: kbd, attrs: { 'aria-hidden': 'true' } }) : null);
}

function iconButton(ic, label, opts = {}) {
  return button('', { ...opts, ic, aria: label, title: label, small: true });
}

function stateTag(state) {
  const cls = state === 'voting' || state === 'open' || state === 'running' ? 'tag live' : state === 'on_stage' ? 'tag warn' : state === 'closed' || state === 'finished' ? 'tag on' : 'tag';
  return h('span', { class: cls, text: t('s_' + state) });
}

const roomName = (id) => (model.rooms.find((r) => r.id === id) || {}).name || '?';

// renderStatic fills the parts that do not follow the model: labels and links.
function renderStatic() {
  $('export-csv').replaceChildren(icon('download'), h('span', { text: 'CSV' }));
  $('export-json').replaceChildren(icon('download'), h('span', { text: 'JSON' }));
  // The reports, in the language of the page.
  const report = `/api/events/${encodeURIComponent(eventCode)}/report?lang=${document.documentElement.lang}`;
  $('report-link').href = report;
  $('report-pdf').href = `${report}&format=pdf`;
  $('report-link').replaceChildren(h('span', { text: t('report_page') }), icon('external'));
  $('report-pdf').replaceChildren(icon('download'), h('span', { text: t('report_pdf') }));
  $('audience-link').replaceChildren(icon('phone'), h('span', { text: t('audience_link') }), icon('external'));
  $('stage-open').replaceChildren(h('span', { text: t('open_stage') }), icon('external'));
  $('overlay-open').replaceChildren(h('span', { text: t('stage_overlay_link') }), icon('external'));
  $('new-round').replaceChildren(icon('plus'), h('span', { text: t('new_round') }));
  $('new-poll').replaceChildren(icon('plus'), h('span', { text: t('new_poll') }));
  $('new-quiz').replaceChildren(icon('plus'), h('span', { text: t('new_quiz') }));
  $('new-room').replaceChildren(icon('plus'), h('span', { text: t('new_room') }));
  $('settings-summary').replaceChildren(icon('settings'), h('span', { text: t('event_settings') }));
  $('audit-summary').replaceChildren(icon('list'), h('span', { text: t('audit_log') }));
  $('feed-settings-summary').replaceChildren(icon('chat'), h('span', { text: t('feed_settings') }));
}

// can reports whether the signed-in account may do perm (view, run,
// moderate, build, export, admin) in the open event, or in its room roomId
// (0: the event), from its grants and what each role may do (GET
// /api/session). The server checks every call the same way; the page only
// hides what would be refused.
function can(perm, roomId = 0, eventId = model?.event.id ?? 0) {
  if (!me) return false;
  return me.account.grants.some((g) => (me.permissions[g.role] || []).includes(perm)
    && (g.event_id === 0 || g.event_id === eventId)
    && (g.room_id === 0 || g.room_id === roomId || (roomId === 0 && perm === 'view')));
}

// applyRights marks the body with what the account may not do here, for
// the style sheet to hide those controls (.no-run, .no-build, …).
function applyRights() {
  const b = document.body.classList;
  for (const p of ['run', 'moderate', 'build', 'export']) b.toggle('no-' + p, !can(p, p === 'run' ? roomSel : 0));
  b.toggle('no-admin', !can('admin', 0, 0));
  b.toggle('no-create', !can('build', 0, 0));
}

function renderModel() {
  if (!model) return;
  if (dragging || pointerDown) { renderPending = true; return; }
  modelKey = keyOf(model);
  const m = model;
  if (!m.rooms.some((r) => r.id === roomSel) || (!can('run', roomSel) && m.rooms.some((r) => can('run', r.id)))) {
    roomSel = (m.rooms.find((r) => can('run', r.id)) || m.rooms[0] || {}).id || 0; // an operator opens on their room
  }
  applyRights();
  applyBrand(m.event.color);
  $('title').textContent = m.event.title;
  $('code-chip').textContent = m.event.code;
  document.title = `${m.event.title} — ${t('ctl_title')}`;
  if (!m.rooms.some((r) => r.id === roomSel)) roomSel = m.rooms[0]?.id || 0;
  $('jury-line').hidden = !m.jury_code;
  $('jury-line').replaceChildren(t('jury_code'), ': ', h('strong', { class: 'mono', text: m.jury_code || '' }),
    ` · ${t('jury_weight')}: ${m.event.jury_weight} %`);
  preserveFocus(() => {
    renderLivePanel();
    renderRounds();
    renderPolls();
    renderQuizzes();
    renderSurveys();
    renderRooms();
  });
  renderSettings();
  renderPreview();
  if ($('audit-panel').open) loadAuditSoon();
  const store = topicStore();
  if (store) patchLive(store);
}

// ---------------------------------------------------------- live panel ----

// liveRound is the round the live panel drives in a room: the one the
// moderator picked, else the running one, the room's active one, or the
// first not yet started.
function liveRound(roomId) {
  const rounds = model.rounds.filter((r) => r.room_id === roomId);
  const picked = rounds.find((r) => r.id === roundSel.get(roomId));
  if (picked) return picked;
  const room = model.rooms.find((r) => r.id === roomId);
  return rounds.find((r) => r.state === 'running') || rounds.find((r) => r.id === room?.active_round_id)
    || rounds.find((r) => r.state === 'pending') || rounds[rounds.length - 1] || null;
}

function renderLivePanel() {
  const panel = $('live-panel');
  const m = model;
  // A room's operator sees the rooms they run: another room's tab would do nothing.
  const ran = m.rooms.filter((r) => can('run', r.id));
  const tabs = ran.length ? ran : m.rooms;
  const head = h('div', { class: 'card-head' },
    h('h2', { id: 'live-title' }, t('live_panel')),
    tabs.length > 1 ? h('div', { class: 'room-tabs', attrs: { role: 'tablist', 'aria-label': t('rooms') } }, tabs.map((r) => h('button', {
      type: 'button', class: 'btn-small', text: r.name, id: `room-tab-${r.id}`, attrs: { role: 'tab', 'aria-selected': String(r.id === roomSel) },
      onclick: () => { roomSel = r.id; renderModel(); },
    }))) : h('span', { class: 'muted small', text: roomName(roomSel) }),
    h('span', { class: 'spacer' }));
  const round = liveRound(roomSel);
  const inRoom = m.rounds.filter((r) => r.room_id === roomSel);
  if (inRoom.length > 1) {
    head.append(h('label', { class: 'sr-only', htmlFor: 'live-round', text: t('f_round') }),
      h('select', { id: 'live-round', style: { width: 'auto', minHeight: '2.25rem', padding: '.2rem .6rem' }, onchange: (ev) => { roundSel.set(roomSel, Number(ev.target.value)); renderModel(); } },
        inRoom.map((r) => h('option', { value: String(r.id), text: r.title, selected: round && r.id === round.id }))));
  }
  const quiz = (m.quizzes || []).find((q) => q.room_id === roomSel && q.state === 'running');
  const poll = quiz ? null : stagePoll(roomSel);
  const top = quiz ? liveQuiz(quiz) : poll ? livePoll(poll) : null;
  if (!round) {
    const none = can('build') ? t('no_round_in_room') : t('no_round_in_room_ask'); // Build is not theirs to use
    panel.replaceChildren(...[head, screenSwitch(), top, quiz ? null : h('p', { class: 'empty', text: none })].filter(Boolean));
    return;
  }
  head.append(stateTag(round.state));
  const idx = round.pitches.findIndex((p) => p.id === round.current_pitch_id);
  const pitch = idx >= 0 ? round.pitches[idx] : null;
  const running = round.state === 'running';
  const next = running && idx >= 0 ? round.pitches[idx + 1] : round.state === 'pending' ? round.pitches[0] : null;
  const rbase = `/api/rounds/${round.id}/actions/`;
  const pbase = pitch ? `/api/pitches/${pitch.id}/actions/` : '';

  // Only a running round has a countdown: a finished one shows none.
  const clock = h('div', { class: 'countdown', id: 'live-clock', attrs: { role: 'timer', 'aria-label': t('time_left') } });
  clock._timer = running ? pitch?.timer : undefined;
  if (!clock._timer) clock.textContent = '–:––';
  const onstage = h('div', { class: 'onstage' },
    h('div', {},
      h('p', { class: 'eyebrow', text: pitch && running ? `${t('on_stage')} · ${idx + 1}/${round.pitches.length}` : t(`round_${round.state}`) }),
      h('div', { class: 'team-name', id: 'live-team', text: pitch && running ? pitch.team : round.title, dir: 'auto' }),
      pitch && running && pitch.presenter ? h('div', { class: 'muted', text: pitch.presenter, dir: 'auto' }) : null,
      h('div', { class: 'up-next' }, next ? [t('up_next'), ' ', h('strong', { text: next.team })] : t(running ? 'last_pitch' : 'round_count', { n: round.pitches.length }))),
    h('div', { style: { textAlign: 'right' } }, clock, pitch && running ? h('div', { class: 'small muted', style: { marginTop: '.35rem' } }, stateTag(pitch.state)) : null));

  const figures = h('div', { class: 'live-figures' },
    h('div', {}, h('div', { class: 'big-stat', id: 'live-votes', text: '0' }), h('div', { class: 'stat-label', text: t('votes_on_pitch') })),
    h('div', {}, h('div', { class: 'hist', id: 'live-hist', dataset: { tally: pitch ? `pitch:${pitch.id}` : '', n: String(round.scale) }, _question: pitchQuestion(round) }),
      h('div', { class: 'small muted', id: 'live-mean' })));

  const canTimer = pitch && running && pitch.state !== 'pending';
  const controls = h('div', { class: 'controls' },
    h('div', { class: 'group' }, round.state === 'pending' ? button(t('a_start_round'), { id: 'act-start', ic: 'play', kbd: 'S', primary: true, small: false, disabled: !round.pitches.length, onclick: (b) => act(rbase + 'start', undefined, b) }) : null,
    running ? [
      button(t('a_previous'), { id: 'act-prev', ic: 'prev', kbd: 'P', disabled: idx <= 0, onclick: (b) => act(rbase + 'previous', undefined, b) }),
      pitch && pitch.state === 'voting'
        ? button(t('a_close'), { id: 'act-voting', ic: 'x', kbd: 'V', primary: true, small: false, onclick: (b) => act(pbase + 'close', undefined, b) })
        : button(t('a_open'), { id: 'act-voting', ic: 'vote', kbd: 'V', primary: true, small: false, disabled: !pitch, onclick: (b) => act(pbase + 'open', undefined, b) }),
      button(t('a_next'), { id: 'act-next', ic: 'next', kbd: 'N', disabled: idx < 0 || idx >= round.pitches.length - 1, onclick: (b) => act(rbase + 'next', undefined, b) }),
    ] : null),
    running ? h('div', { class: 'group' },
      pitch && pitch.timer.running
        ? button(t('a_timer_pause'), { id: 'act-timer', ic: 'pause', kbd: 'T', disabled: !canTimer, onclick: (b) => act(pbase + 'timer_pause', undefined, b) })
        : button(t('a_timer_start'), { id: 'act-timer', ic: 'play', kbd: 'T', disabled: !canTimer, onclick: (b) => act(pbase + 'timer_start', undefined, b) }),
      button(t('a_extend'), { id: 'act-extend', ic: 'plus', kbd: 'E', disabled: !canTimer, onclick: (b) => act(pbase + 'timer_extend', { seconds: 30 }, b) }),
      iconButton('clock', t('a_timer_reset'), { id: 'act-timer-reset', disabled: !canTimer, onclick: (b) => act(pbase + 'timer_reset', undefined, b) })) : null,
    h('div', { class: 'group' }, pitch && round.state !== 'pending' ? (pitch.show_results
      ? button(t('a_hide_results'), { id: 'act-results', ic: 'eyeoff', kbd: 'H', onclick: (b) => act(pbase + 'hide_results', undefined, b) })
      : button(t('a_show_results'), { id: 'act-results', ic: 'eye', kbd: 'H', onclick: (b) => act(pbase + 'show_results', undefined, b) })) : null,
    pitch && round.state !== 'pending' ? button(t('a_reset_votes'), { id: 'act-reset-votes', ic: 'reset', danger: true, onclick: (b) => resetVotes(`pitch:${pitch.id}`, pitch.team, b) }) : null),
    round.state !== 'pending' ? rankingControls(round, idx) : null,
    running ? h('div', { class: 'group' }, button(t('a_finish'), { id: 'act-finish', ic: 'check', kbd: 'F', onclick: (b) => finishRound(round, b) })) : null);

  const keys = h('p', { class: 'shortcut-line', id: 'shortcut-line' }, icon('keyboard'),
    ...[['N', 'a_next'], ['P', 'a_previous'], ['V', 'sc_voting'], ['T', 'sc_timer'], ['E', 'a_extend'], ['H', 'sc_results'], ['R', 'sc_ranking'], ['F', 'sc_finish'], ['?', 'shortcuts']]
      .map(([k, label]) => h('span', {}, h('kbd', { text: k }), ' ', t(label))));
  panel.replaceChildren(...[head, screenSwitch(), top, onstage, figures, controls, keys].filter(Boolean));
}

// stagePoll is the poll the room's stages show, as the stage decides: the
// open one, else, while no pitch and no ranking is on stage, the last
// closed one whose results are shown.
function stagePoll(roomId) {
  const polls = model.polls.filter((p) => p.room_id === roomId && !p.quiz_id && !p.survey_id);
  const open = polls.find((p) => p.state === 'open');
  if (open) return open;
  const busy = model.rounds.some((r) => r.room_id === roomId && (r.ranking_revealed || (r.state === 'running' && r.current_pitch_id)));
  const shown = polls.filter((p) => p.state === 'closed' && (p.show_results || p.correct_revealed));
  return busy ? null : shown[shown.length - 1] || null;
}

// livePoll puts the controls of the poll on stage in the live panel, beside
// the round's, with its live result: the same actions as its card below.
function livePoll(p) {
  return h('div', { class: 'live-poll', id: 'live-poll', dataset: { poll: String(p.id) } },
    h('div', { class: 'card-head' },
      h('p', { class: 'eyebrow', text: t('live_poll') }), stateTag(p.state),
      p.show_results ? h('span', { class: 'tag on', text: t('s_public') }) : null,
      h('span', { class: 'spacer' }),
      h('a', { class: 'small', href: `#poll-${p.id}`, text: t('edit') })),
    h('h3', { class: 'live-poll-question', id: 'live-poll-question', text: p.question }),
    pollActions(p, `live-poll-${p.id}`),
    pollTally(p));
}

// screenSwitch sends every stage of the live panel's room to the lobby, a
// blank screen or back to the current view (PUT /api/rooms/:id/screen).
function screenSwitch() {
  const room = model.rooms.find((r) => r.id === roomSel);
  if (!room) return null;
  const now = room.screen || 'current';
  const icons = { current: 'monitor', lobby: 'users', blank: 'eyeoff' };
  return h('div', { class: 'screen-switch', id: 'screen-switch', dataset: { screen: now }, attrs: { role: 'group', 'aria-label': t('screen') } },
    h('span', { class: 'muted small', text: t('screen') }),
    ...['current', 'lobby', 'blank'].map((v) => {
      const b = button(t(`screen_${v}`), { id: `screen-${v}`, ic: icons[v], onclick: (btn) => {
        if (v !== now) act(`/api/rooms/${room.id}/screen`, { screen: v }, btn, 'PUT');
      } });
      b.setAttribute('aria-pressed', String(v === now));
      return b;
    }),
    now !== 'current' ? h('span', { class: 'tag warn', id: 'screen-note', text: t(`screen_hint_${now}`) }) : null);
}

// rankingControls reveal the ranking (asking first before the last pitch),
// then one place per press of R, from the last up, or all at once when the
// podium reveals itself; then hide it, back to the round where it was.
function rankingControls(round, idx) {
  const rbase = `/api/rounds/${round.id}/actions/`;
  const total = round.pitches.length;
  const shown = Math.min(round.revealed_places, total);
  let main;
  if (!round.ranking_revealed) {
    main = button(t('a_reveal'), { id: 'act-ranking', ic: 'trophy', kbd: 'R', onclick: (b) => revealRanking(round, idx, b) });
  } else if (shown < total) {
    main = button(t('a_next_place', { place: nextPlaceLabel(shown, total) }), { id: 'act-ranking', ic: 'trophy', kbd: 'R', primary: true,
      onclick: (b) => act(rbase + 'next_place', undefined, b) });
  } else {
    main = button(t('a_hide_ranking'), { id: 'act-ranking', ic: 'eyeoff', kbd: 'R', onclick: (b) => act(rbase + 'hide_ranking', undefined, b) });
  }
  const auto = h('input', { type: 'checkbox', id: 'auto-reveal', checked: !!round.auto_reveal,
    onchange: (ev) => call('PATCH', `/api/rounds/${round.id}`, { auto_reveal: ev.target.checked }).catch((e) => {
      ev.target.checked = !!round.auto_reveal;
      if (e.status !== 401) toast(fieldErrorText(e), true);
    }) });
  return h('div', { class: 'group' }, main,
    round.ranking_revealed && shown < total ? button(t('a_hide_ranking'), { id: 'act-hide-ranking', ic: 'eyeoff', onclick: (b) => act(rbase + 'hide_ranking', undefined, b) }) : null,
    round.ranking_revealed ? h('span', { class: 'muted reveal-progress', id: 'reveal-progress', text: t('places_revealed', { n: shown, total }) }) : null,
    h('label', { class: 'check small', htmlFor: 'auto-reveal', title: t('auto_reveal_hint') }, auto, h('span', { text: t('auto_reveal') })));
}

// nextPlaceLabel names what the next press reveals: every place below the
// podium at once, then third, second and first (docs/protocol.md §10).
function nextPlaceLabel(shown, total) {
  const next = shown < total - 3 ? total - 3 : shown + 1;
  const from = total - next + 1;
  const to = total - shown;
  return from === to ? t('place_n', { n: from }) : t('places_below', { from, to });
}

async function revealRanking(round, idx, btn) {
  const early = round.state === 'running' && idx >= 0 && idx < round.pitches.length - 1;
  if (early) {
    const ok = await confirmDialog({ title: t('reveal_early_title'), confirmLabel: t('reveal_early_yes'),
      text: t('reveal_early_text', { i: idx + 1, n: round.pitches.length, x: round.pitches[idx].team }) });
    if (!ok) return;
  }
  await act(`/api/rounds/${round.id}/actions/reveal`, undefined, btn);
}

async function finishRound(round, btn) {
  const ok = await confirmDialog({ title: t('finish_title'), text: t('finish_text'), confirmLabel: t('a_finish') });
  if (ok) await act(`/api/rounds/${round.id}/actions/finish`, undefined, btn);
}

async function resetVotes(target, name, btn) {
  const ok = await confirmDialog({ title: t('reset_title'), text: t('confirm_reset', { x: name }), confirmLabel: t('a_reset_votes') });
  if (!ok) return;
  const [kind, id] = target.split(':');
  await act(`/api/${kind === 'pitch' ? 'pitches' : 'polls'}/${id}/actions/reset_votes`, undefined, btn);
  toast(t('votes_reset_done', { x: name }));
}

// -------------------------------------------------------- rounds, pitches ----

function renderRounds() {
  const m = model;
  $('rounds').replaceChildren(h('h2', { id: 'rounds-title', style: { margin: '1.4rem 0 .8rem' } }, t('rounds')),
    ...(m.rounds.length ? m.rounds.map(roundCard) : [h('p', { class: 'empty card', text: t('no_rounds') })]));
}

function roundCard(r) {
  const running = r.state === 'running';
  const question = pitchQuestion(r);
  const rows = r.pitches.map((p, i) => pitchRow(r, p, i));
  const tbody = h('tbody', {}, rows);
  wireDrag(tbody, r);
  return h('section', { class: 'card round-card', id: `round-${r.id}`, dataset: { round: String(r.id) }, attrs: { 'aria-labelledby': `round-${r.id}-title` } },
    h('div', { class: 'card-head' },
      h('h3', { id: `round-${r.id}-title`, text: r.title }), stateTag(r.state),
      r.ranking_revealed ? h('span', { class: 'tag on', text: t('s_revealed') }) : null,
      h('span', { class: 'round-meta', text: `${roomName(r.room_id)} · ${kindOf(question).control.summary(question)} · ${t('n_pitches', { n: r.pitches.length })}` }),
      h('span', { class: 'spacer' }),
      button(t('edit'), { ic: 'edit', id: `round-${r.id}-edit`, onclick: () => editRound(r) }),
      button(t('new_pitch'), { ic: 'plus', id: `round-${r.id}-add`, disabled: r.state === 'finished', onclick: () => newPitch(r) })),
    r.pitches.length
      ? h('div', { style: { overflowX: 'auto' } }, h('table', { class: 'pitches' },
        h('thead', {}, h('tr', {}, h('th', {}, h('span', { class: 'sr-only', text: t('reorder') })), h('th', { text: '#' }), h('th', { text: t('f_team') }),
          h('th', { text: t('col_state') }), h('th', { text: t('col_timer') }), h('th', { text: t('col_votes') }), h('th', {}, h('span', { class: 'sr-only', text: t('col_actions') })))),
        tbody))
      : h('p', { class: 'empty', text: t('no_pitches') }),
    h('details', { class: 'panel', style: { marginTop: '.8rem' } },
      h('summary', {}, icon('trophy'), h('span', { text: running || r.state === 'finished' ? t('ranking_live') : t('ranking') })),
      h('div', { dataset: { ranking: String(r.id) } })));
}

function pitchRow(r, p, i) {
  const base = `/api/pitches/${p.id}/actions/`;
  const current = p.id === r.current_pitch_id && r.state !== 'pending';
  const clock = h('span', { class: 'countdown' });
  clock._timer = r.state === 'finished' && p.timer.running ? undefined : p.timer;
  if (!clock._timer) clock.textContent = '–:––';
  const n = r.pitches.length;
  return h('tr', { class: current ? 'current' : '', draggable: true, dataset: { pitch: String(p.id) }, id: `pitch-row-${p.id}` },
    h('td', {}, h('span', { class: 'grip', title: t('drag_hint'), attrs: { 'aria-hidden': 'true' } }, icon('grip'))),
    h('td', { class: 'num', text: String(i + 1) }),
    h('td', {}, h('strong', { text: p.team }), p.presenter ? h('div', { class: 'small muted', text: p.presenter }) : null,
      p.video_url ? h('a', { class: 'small', href: p.video_url, target: '_blank', rel: 'noopener', text: t('video') }) : null),
    h('td', {}, stateTag(p.state), p.show_results ? h('div', { class: 'small muted', text: t('s_public') }) : null),
    h('td', {}, clock, h('div', { class: 'small muted', text: `${Math.round(p.duration_s / 60 * 10) / 10} min` })),
    h('td', { dataset: { tally: `pitch:${p.id}`, n: String(r.scale) }, _question: pitchQuestion(r) }, h('div', { class: 'mini-hist', attrs: { 'aria-hidden': 'true' } }), h('div', { class: 'small tally-text' })),
    h('td', {}, h('div', { class: 'actions end' },
      r.state === 'running' && !current ? button(t('a_stage'), { id: `p-${p.id}-stage`, onclick: (b) => act(base + 'stage', undefined, b) }) : null,
      p.show_results
        ? iconButton('eyeoff', t('a_hide_results'), { id: `p-${p.id}-results`, onclick: (b) => act(base + 'hide_results', undefined, b) })
        : iconButton('eye', t('a_show_results'), { id: `p-${p.id}-results`, onclick: (b) => act(base + 'show_results', undefined, b) }),
      iconButton('up', t('move_up', { x: p.team }), { id: `p-${p.id}-up`, disabled: i === 0, onclick: () => move(r, i, -1) }),
      iconButton('down', t('move_down', { x: p.team }), { id: `p-${p.id}-down`, disabled: i === n - 1, onclick: () => move(r, i, 1) }),
      iconButton('edit', t('edit_x', { x: p.team }), { id: `p-${p.id}-edit`, onclick: () => editPitch(p) }),
      iconButton('reset', t('reset_x', { x: p.team }), { id: `p-${p.id}-reset`, onclick: (b) => resetVotes(`pitch:${p.id}`, p.team, b) }),
      iconButton('trash', t('delete_x', { x: p.team }), { id: `p-${p.id}-delete`, disabled: p.state !== 'pending', onclick: (b) => deletePitch(p, b) }))));
}

async function saveOrder(r, ids) {
  try {
    await call('PUT', `/api/rounds/${r.id}/order`, { pitch_ids: ids });
    toast(t('order_saved'));
  } catch (e) {
    if (e.status !== 401) toast(fieldErrorText(e), true);
  }
}

function move(r, i, delta) {
  const ids = r.pitches.map((p) => p.id);
  const j = i + delta;
  if (j < 0 || j >= ids.length) return;
  [ids[i], ids[j]] = [ids[j], ids[i]];
  saveOrder(r, ids);
  // Keep the keyboard where the pitch goes.
  const moved = r.pitches[i].id;
  setTimeout(() => $(`p-${moved}-${delta < 0 ? 'up' : 'down'}`)?.focus(), 300);
}

// wireDrag lets the moderator drag a pitch row to a new place (HTML5 drag
// and drop); the up and down buttons do the same from the keyboard.
function wireDrag(tbody, r) {
  let from = 0;
  const clear = () => tbody.querySelectorAll('.drop-before, .drop-after').forEach((x) => x.classList.remove('drop-before', 'drop-after'));
  tbody.addEventListener('dragstart', (ev) => {
    const tr = ev.target.closest('tr');
    if (!tr) return;
    from = Number(tr.dataset.pitch);
    dragging = true;
    tr.classList.add('dragging');
    ev.dataTransfer.effectAllowed = 'move';
    ev.dataTransfer.setData('text/plain', String(from));
  });
  tbody.addEventListener('dragover', (ev) => {
    const tr = ev.target.closest('tr');
    if (!tr || !from) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = 'move';
    const box = tr.getBoundingClientRect();
    clear();
    tr.classList.add(ev.clientY < box.top + box.height / 2 ? 'drop-before' : 'drop-after');
  });
  tbody.addEventListener('drop', (ev) => {
    const tr = ev.target.closest('tr');
    if (!tr || !from) return;
    ev.preventDefault();
    const before = tr.classList.contains('drop-before');
    const target = Number(tr.dataset.pitch);
    const ids = r.pitches.map((p) => p.id).filter((id) => id !== from);
    if (target !== from) {
      ids.splice(ids.indexOf(target) + (before ? 0 : 1), 0, from);
      saveOrder(r, ids);
    }
    endDrag();
  });
  // Some drags end without a dragend (the source row was replaced): the
  // drop ends them too.
  const endDrag = () => {
    from = 0;
    dragging = false;
    clear();
    tbody.querySelectorAll('.dragging').forEach((x) => x.classList.remove('dragging'));
    if (renderPending) { renderPending = false; renderModel(); }
  };
  tbody.addEventListener('dragend', () => endDrag());
}

async function deletePitch(p, btn) {
  const ok = await confirmDialog({ title: t('delete_title'), text: t('confirm_delete', { x: p.team }), confirmLabel: t('delete') });
  if (!ok) return;
  btn.disabled = true;
  try {
    await call('DELETE', `/api/pitches/${p.id}`);
    toast(t('deleted', { x: p.team }));
  } catch (e) {
    if (e.status !== 401) toast(fieldErrorText(e), true);
  } finally {
    if (btn.isConnected) btn.disabled = false;
  }
}

const pitchFields = () => [
  { name: 'team', label: t('f_team'), required: true, maxLength: 120 },
  { name: 'presenter', label: t('f_presenter'), maxLength: 60 },
  { name: 'duration_s', label: t('f_duration'), type: 'number', min: 10, max: 3600 },
  { name: 'video_url', label: t('f_video'), type: 'url', hint: t('video_hint') },
];

function newPitch(r) {
  openForm({ title: t('new_pitch_in', { x: r.title }), fields: pitchFields(), values: { duration_s: 120 }, submitLabel: t('create'),
    submit: (d) => call('POST', `/api/rounds/${r.id}/pitches`, d) });
}

function editPitch(p) {
  openForm({ title: t('edit_x', { x: p.team }), fields: pitchFields(), values: p,
    submit: (d) => { const c = changed(d, p); return Object.keys(c).length ? call('PATCH', `/api/pitches/${p.id}`, c) : null; } });
}

const roundFields = (r) => [
  { name: 'title', label: t('f_title'), required: true, maxLength: 120 },
  { name: 'room_id', label: t('f_room'), type: 'select', numeric: true, options: model.rooms.map((x) => [x.id, x.name]), disabled: r && r.state !== 'pending', hint: r && r.state !== 'pending' ? t('locked_started') : '' },
  { name: 'scale', label: t('f_scale'), type: 'number', min: 2, max: 10, disabled: r && r.state !== 'pending' },
];

function newRound() {
  openForm({ title: t('new_round'), fields: roundFields(null), values: { room_id: roomSel, scale: 5 }, submitLabel: t('create'),
    submit: async (d) => { const r = await call('POST', `/api/events/${eventCode}/rounds`, d); roomSel = r.room_id; roundSel.set(r.room_id, r.id); } });
}

function editRound(r) {
  openForm({ title: t('edit_x', { x: r.title }), fields: roundFields(r), values: r,
    submit: (d) => { const c = changed(d, r); return Object.keys(c).length ? call('PATCH', `/api/rounds/${r.id}`, c) : null; } });
}

// --------------------------------------------------------------- polls ----

function renderPolls() {
  const polls = model.polls.filter((p) => !p.quiz_id && !p.survey_id); // a quiz's or a survey's questions are on its card
  $('polls').replaceChildren(h('h2', { id: 'polls-title', style: { margin: '1.4rem 0 .8rem' } }, t('polls')),
    ...(polls.length ? polls.map(pollCard) : [h('p', { class: 'empty card', text: t('no_polls') })]));
}

// ------------------------------------------------------------- quizzes ----

function renderQuizzes() {
  const quizzes = model.quizzes || [];
  $('quizzes').replaceChildren(h('h2', { id: 'quizzes-title', style: { margin: '1.4rem 0 .8rem' } }, t('quizzes')),
    ...(quizzes.length ? quizzes.map(quizCard) : [h('p', { class: 'empty card', text: t('no_quizzes') })]));
}

const quizQuestions = (q) => q.questions.map((id) => model.polls.find((p) => p.id === id)).filter(Boolean);

// quizActions are the buttons that run a quiz, as its state and phase
// allow: start; reveal the open question; then the leaderboard, the next
// question or the podium; finish. ids start with prefix.
function quizActions(q, prefix) {
  const base = `/api/quizzes/${q.id}/actions/`;
  const n = q.questions.indexOf(q.current_poll_id);
  const last = n === q.questions.length - 1;
  const after = ['reveal', 'leaderboard', 'podium'].includes(q.phase);
  const b = (action, ic, opts = {}) => button(t(`a_quiz_${action}`), { ic, id: `${prefix}-${action}`, onclick: (el) => act(base + action, undefined, el), ...opts });
  if (q.state === 'pending') return h('div', { class: 'actions' }, b('start', 'play', { primary: true, small: false, disabled: !q.questions.length }));
  if (q.state !== 'running') return null;
  return h('div', { class: 'actions quiz-actions' },
    q.phase === 'question' ? b('reveal', 'eye', { primary: true, small: false }) : null,
    after && q.phase !== 'leaderboard' && q.phase !== 'podium' ? b('leaderboard', 'list') : null,
    after && !last && q.phase !== 'podium' ? b('next', 'next', { primary: q.phase === 'leaderboard', small: q.phase !== 'leaderboard' }) : null,
    after && q.phase !== 'podium' ? b('podium', 'trophy', { primary: last && q.phase === 'leaderboard', small: !(last && q.phase === 'leaderboard') }) : null,
    b('finish', 'check', { danger: true }));
}

// quizLeaders is where patchLive puts a quiz's standings (the first ten).
const quizLeaders = (q, id) => h('div', { class: 'quiz-leaders', id, dataset: { quiz: String(q.id) } });

// liveQuiz is the running quiz of the live panel's room: the question on
// stage with its countdown and answers, the buttons that run it, and the
// standings as they are.
function liveQuiz(q) {
  const qs = quizQuestions(q);
  const p = qs.find((x) => x.id === q.current_poll_id);
  const n = q.questions.indexOf(q.current_poll_id) + 1;
  const clock = h('div', { class: 'countdown', id: 'live-quiz-clock', attrs: { role: 'timer', 'aria-label': t('time_left') } });
  clock._timer = p && q.phase === 'question' ? quizKind.timer(p) : undefined;
  if (!clock._timer) clock.textContent = '–:––';
  return h('div', { class: 'live-poll live-quiz', id: 'live-quiz', dataset: { quiz: String(q.id), phase: q.phase } },
    h('div', { class: 'card-head' },
      h('p', { class: 'eyebrow', text: `${t('live_quiz')} · ${q.title}` }), h('span', { class: 'tag live', text: t(`phase_${q.phase}`) }),
      h('span', { class: 'spacer' }), h('a', { class: 'small', href: `#quiz-${q.id}`, text: t('edit') })),
    h('div', { class: 'onstage' },
      h('div', {},
        h('p', { class: 'eyebrow', text: t('quiz_question_n', { n, total: q.questions.length }) }),
        h('h3', { class: 'live-poll-question', id: 'live-quiz-question', text: p ? p.question : '' }),
        p ? h('p', { class: 'small muted', text: `${t('quiz_right_label')}: ${(p.correct || []).map(letter).join(', ')}` }) : null),
      clock),
    quizActions(q, 'live-quiz'),
    p ? h('div', { class: 'live-quiz-tally' }, pollTally(p)) : null,
    ['leaderboard', 'podium', 'reveal'].includes(q.phase) ? quizLeaders(q, 'live-quiz-leaders') : null);
}

function quizCard(q) {
  const qs = quizQuestions(q);
  const list = h('ol', { class: 'quiz-questions', id: `quiz-${q.id}-questions` }, qs.map((p) => h('li', { dataset: { poll: String(p.id) } },
    h('span', { class: 'quiz-q-text', text: p.question }),
    h('span', { class: 'round-meta', text: `${quizKind.control.summary(p)} · ${t('quiz_right_label')}: ${(p.correct || []).map(letter).join(', ')}` }),
    stateTag(p.state),
    p.state === 'draft' ? iconButton('edit', t('edit_x', { x: p.question }), { id: `quiz-q-${p.id}-edit`, onclick: () => editQuestion(p) }) : null)));
  return h('section', { class: can('run', q.room_id) ? 'card quiz-card can-run' : 'card quiz-card', id: `quiz-${q.id}`, attrs: { 'aria-labelledby': `quiz-${q.id}-title` } },
    h('div', { class: 'card-head' },
      h('h3', { id: `quiz-${q.id}-title`, text: q.title }), stateTag(q.state),
      q.phase ? h('span', { class: 'tag on', text: t(`phase_${q.phase}`) }) : null,
      h('span', { class: 'round-meta', text: `${roomName(q.room_id)} · ${t('quiz_questions', { n: qs.length })}` }),
      h('span', { class: 'spacer' }),
      button(t('edit'), { ic: 'edit', id: `quiz-${q.id}-edit`, onclick: () => editQuiz(q) })),
    qs.length ? list : h('p', { class: 'muted small', text: t('quiz_no_questions') }),
    h('div', { class: 'actions quiz-build', style: { margin: '.6rem 0' } },
      q.state !== 'finished' ? button(t('new_question'), { ic: 'plus', id: `quiz-${q.id}-add`, onclick: () => newQuestion(q) }) : null),
    quizActions(q, `quiz-${q.id}`),
    q.state !== 'pending' ? quizLeaders(q, `quiz-${q.id}-leaders`) : null);
}

const quizFields = (q) => [
  { name: 'title', label: t('f_title'), required: true, maxLength: 120 },
  { name: 'room_id', label: t('f_room'), type: 'select', numeric: true, options: model.rooms.map((x) => [x.id, x.name]), disabled: q && q.state !== 'pending' },
];

function newQuiz() {
  openForm({ title: t('new_quiz'), fields: quizFields(null), values: { room_id: roomSel }, submitLabel: t('create'),
    submit: (d) => call('POST', `/api/events/${eventCode}/quizzes`, d) });
}

function editQuiz(q) {
  openForm({ title: t('edit_x', { x: q.title }), fields: quizFields(q), values: q,
    submit: (d) => { const c = changed(d, q); return Object.keys(c).length ? call('PATCH', `/api/quizzes/${q.id}`, c) : null; } });
}

const questionFields = () => [
  { name: 'question', label: t('f_question'), required: true, maxLength: 200 },
  ...quizKind.control.fields(),
  { name: 'correct', label: t('f_correct'), hint: t('quiz_correct_hint'), maxLength: 40, required: true },
];

function newQuestion(q) {
  openForm({ title: t('new_question'), fields: questionFields(), values: { ...quizKind.control.defaults }, submitLabel: t('create'),
    submit: (d) => call('POST', `/api/events/${eventCode}/polls`, { ...correctIn(nested(d)), kind: 'quiz', quiz_id: q.id }) });
}

function editQuestion(p) {
  openForm({ title: t('edit_x', { x: p.question }), fields: questionFields(), values: flat(p),
    submit: (d) => { const c = changed(correctIn(nested(d)), p); return Object.keys(c).length ? call('PATCH', `/api/polls/${p.id}`, c) : null; } });
}

// ------------------------------------------------------------- surveys ----
// A survey is answered at each phone's own pace, off the stage: its card
// builds it (questions of any kind but quiz, their order and required
// flag), opens and closes it or sets its window, shows each question's live
// result and exports it; "Copy" makes a new survey of its questions, a
// template.

let surveyTimer = 0; // renders the surveys again when one opens or closes by the clock

function renderSurveys() {
  const surveys = model.surveys || [];
  clearTimeout(surveyTimer);
  const now = live ? live.now() : Date.now();
  const next = Math.min(...surveys.filter((s) => s.state === 'open').flatMap((s) => [s.opens_at, s.closes_at])
    .filter(Boolean).map((at) => Date.parse(at) - now).filter((ms) => ms > 0));
  if (Number.isFinite(next)) surveyTimer = setTimeout(() => preserveFocus(renderSurveys), Math.min(next + 50, 2 ** 31 - 1));
  $('surveys').replaceChildren(h('div', { class: 'section-head' },
    h('h2', { id: 'surveys-title', style: { margin: '1.4rem 0 .8rem' } }, t('surveys')), h('span', { class: 'spacer' }),
    button(t('new_survey'), { ic: 'plus', id: 'new-survey', onclick: () => newSurvey() })),
  ...(surveys.length ? surveys.map(surveyCard) : [h('p', { class: 'empty card', text: t('no_surveys') })]));
}

const surveyQuestions = (s) => s.questions.map((id) => model.polls.find((p) => p.id === id)).filter(Boolean);

// surveyPhase is a survey's phase now (draft, scheduled, open, closed), as
// the server counts it.
function surveyPhase(s) {
  const now = live ? live.now() : Date.now();
  if (s.state === 'draft') return 'draft';
  if (s.state === 'closed' || (s.closes_at && now >= Date.parse(s.closes_at))) return 'closed';
  if (s.opens_at && now < Date.parse(s.opens_at)) return 'scheduled';
  return 'open';
}

const fmtWhen = (iso) => new Date(iso).toLocaleString(document.documentElement.lang, { dateStyle: 'short', timeStyle: 'short' });

function surveyCard(s) {
  const qs = surveyQuestions(s);
  const phase = surveyPhase(s);
  const base = `/api/surveys/${s.id}/actions/`;
  const window = [s.opens_at ? t('survey_opens', { at: fmtWhen(s.opens_at) }) : '', s.closes_at ? t('survey_closes', { at: fmtWhen(s.closes_at) }) : ''].filter(Boolean).join(' · ');
  const list = h('ol', { class: 'survey-questions', id: `survey-${s.id}-questions` }, qs.map((p, i) => {
    const kind = kindOf(p);
    return h('li', { class: 'survey-question', dataset: { poll: String(p.id) } },
      h('div', { class: 'card-head' },
        h('span', { class: 'quiz-q-text', text: p.question }),
        h('span', { class: `tag ${p.required ? 'warn' : ''}`, text: p.required ? t('survey_required') : t('survey_optional') }),
        h('span', { class: 'round-meta', text: kind.control.summary(p) }),
        h('span', { class: 'spacer' }),
        h('span', { class: 'survey-build actions' },
          iconButton('up', t('move_up', { x: p.question }), { id: `survey-q-${p.id}-up`, disabled: i === 0, onclick: (b) => moveQuestion(qs, i, -1, b) }),
          iconButton('down', t('move_down', { x: p.question }), { id: `survey-q-${p.id}-down`, disabled: i === qs.length - 1, onclick: (b) => moveQuestion(qs, i, 1, b) }),
          button(p.required ? t('a_make_optional') : t('a_make_required'), { id: `survey-q-${p.id}-required`, onclick: (b) => act(`/api/polls/${p.id}`, { required: !p.required }, b, 'PATCH') }),
          iconButton('edit', t('edit_x', { x: p.question }), { id: `survey-q-${p.id}-edit`, onclick: () => editSurveyQuestion(s, p) }))),
      pollTally(p));
  }));
  return h('section', { class: can('run', s.room_id) ? 'card survey-admin can-run' : 'card survey-admin', id: `survey-${s.id}`, dataset: { phase }, attrs: { 'aria-labelledby': `survey-${s.id}-title` } },
    h('div', { class: 'card-head' },
      h('h3', { id: `survey-${s.id}-title`, text: s.title }), h('span', { class: `tag ${phase === 'open' ? 'live' : ''}`, text: t(`survey_phase_${phase}`) }),
      h('span', { class: 'round-meta', text: [roomName(s.room_id), t('quiz_questions', { n: qs.length }), window].filter(Boolean).join(' · ') }),
      h('span', { class: 'spacer' }),
      button(t('edit'), { ic: 'edit', id: `survey-${s.id}-edit`, onclick: () => editSurvey(s) })),
    qs.length ? list : h('p', { class: 'muted small', text: t('survey_no_questions') }),
    h('div', { class: 'actions', style: { margin: '.6rem 0' } },
      h('span', { class: 'survey-run actions' }, phase === 'open' || phase === 'scheduled'
        ? button(t('a_close_survey'), { ic: 'x', primary: true, id: `survey-${s.id}-toggle`, onclick: (b) => act(base + 'close', undefined, b) })
        : button(t('a_open_survey'), { ic: 'vote', primary: true, id: `survey-${s.id}-toggle`, disabled: !qs.length, onclick: (b) => act(base + 'open', undefined, b) })),
      h('span', { class: 'survey-build actions' },
        button(t('new_question'), { ic: 'plus', id: `survey-${s.id}-add`, onclick: () => newSurveyQuestion(s) }),
        button(t('a_copy_survey'), { ic: 'plus', id: `survey-${s.id}-copy`, onclick: () => copySurvey(s) })),
      h('span', { class: 'survey-export actions' },
        h('a', { class: 'btn btn-small', id: `survey-${s.id}-csv`, href: `/api/surveys/${s.id}/results?format=csv` }, icon('download'), h('span', { text: 'CSV' })),
        h('a', { class: 'btn btn-small', id: `survey-${s.id}-json`, href: `/api/surveys/${s.id}/results?format=json` }, icon('download'), h('span', { text: 'JSON' })))));
}

// moveQuestion swaps question i of qs with its neighbour (delta ±1) by
// their positions.
async function moveQuestion(qs, i, delta, btn) {
  const a = qs[i], b = qs[i + delta];
  if (!b) return;
  // Positions may be equal (a copy keeps them): number them in order first.
  const pos = qs.map((_, k) => k + 1);
  [pos[i], pos[i + delta]] = [pos[i + delta], pos[i]];
  btn.disabled = true;
  try {
    for (const [k, p] of qs.entries()) if (p.position !== pos[k]) await call('PATCH', `/api/polls/${p.id}`, { position: pos[k] });
  } catch (e) {
    if (e.status !== 401) toast(fieldErrorText(e), true);
  } finally {
    if (btn.isConnected) btn.disabled = false;
  }
  return a;
}

// localTime is an RFC 3339 time as a datetime-local value, '' for none;
// isoTime the reverse, null for ''.
const localTime = (iso) => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
};
const isoTime = (v) => (v ? new Date(v).toISOString() : null);

const surveyFields = (s) => [
  { name: 'title', label: t('f_title'), required: true, maxLength: 120 },
  { name: 'room_id', label: t('f_room'), type: 'select', numeric: true, options: model.rooms.map((x) => [x.id, x.name]), disabled: !!s && s.state !== 'draft' },
  { name: 'intro', label: t('f_survey_intro'), type: 'textarea', rows: 2 },
  { name: 'thanks', label: t('f_survey_thanks'), type: 'textarea', rows: 2, hint: t('f_survey_thanks_hint') },
  { name: 'opens_at', label: t('f_opens_at'), type: 'datetime-local', hint: t('f_window_hint') },
  { name: 'closes_at', label: t('f_closes_at'), type: 'datetime-local' },
];

const surveyIn = (d) => ({ ...d, opens_at: isoTime(d.opens_at), closes_at: isoTime(d.closes_at) });

function newSurvey() {
  openForm({ title: t('new_survey'), fields: surveyFields(null), values: { room_id: roomSel }, submitLabel: t('create'),
    submit: (d) => call('POST', `/api/events/${eventCode}/surveys`, surveyIn(d)) });
}

function editSurvey(s) {
  const before = { ...s, opens_at: s.opens_at, closes_at: s.closes_at };
  openForm({ title: t('edit_x', { x: s.title }), fields: surveyFields(s), values: { ...s, opens_at: localTime(s.opens_at), closes_at: localTime(s.closes_at) },
    submit: (d) => {
      const c = changed(surveyIn(d), before);
      for (const k of ['opens_at', 'closes_at']) if ((surveyIn(d)[k] ?? null) === (before[k] ?? null)) delete c[k];
      return Object.keys(c).length ? call('PATCH', `/api/surveys/${s.id}`, c) : null;
    } });
}

function copySurvey(s) {
  openForm({ title: t('a_copy_survey'), fields: surveyFields(null).filter((f) => !['opens_at', 'closes_at'].includes(f.name)),
    values: { title: t('copy_of', { x: s.title }), room_id: s.room_id, intro: s.intro, thanks: s.thanks }, submitLabel: t('create'),
    submit: (d) => call('POST', `/api/events/${eventCode}/surveys`, { ...d, from_survey_id: s.id }) });
}

// surveyQuestionFields are a survey question's fields: any kind but quiz
// (a quiz's own), its kind's definition, and whether it is required.
const surveyQuestionFields = (s, p) => {
  const locked = !!p && s.state !== 'draft';
  return [
    { name: 'question', label: t('f_question'), required: true, maxLength: 200 },
    { name: 'kind', label: t('f_kind'), type: 'select', options: Object.entries(KINDS).filter(([, k]) => !k.inQuiz).map(([name, k]) => [name, k.control.title()]), disabled: locked, hint: locked ? t('survey_locked') : '' },
    ...kindFields((d) => d.kind || p?.kind).filter((f) => f.name !== 'settings.time_limit_s').map((f) => ({ ...f, disabled: locked })),
    { name: 'required', label: t('f_required'), type: 'checkbox' },
  ];
};

function newSurveyQuestion(s) {
  const defaults = Object.assign({}, ...Object.values(KINDS).map((k) => k.control.defaults));
  openForm({ title: t('new_question'), fields: surveyQuestionFields(s, null), values: { kind: 'grid', ...defaults, scale_max: 5, required: false }, submitLabel: t('create'),
    submit: (d) => call('POST', `/api/events/${eventCode}/polls`, { ...nested(d), survey_id: s.id }) });
  followKind($('dlg-form'), true);
}

function editSurveyQuestion(s, p) {
  openForm({ title: t('edit_x', { x: p.question }), fields: surveyQuestionFields(s, p), values: flat(p),
    submit: (d) => { const c = changed(nested(d), p); return Object.keys(c).length ? call('PATCH', `/api/polls/${p.id}`, c) : null; } });
  followKind($('dlg-form'), false);
}

// pollActions are a poll's buttons: open or close, show or hide its
// results, reveal or hide its correct answer (once closed), reset its votes; ids start with prefix (poll-ID on its card,
// live-poll-ID in the live panel).
function pollActions(p, prefix) {
  const base = `/api/polls/${p.id}/actions/`;
  return h('div', { class: 'actions', style: { marginBottom: '.8rem' } },
    p.state === 'open'
      ? button(t('a_close'), { ic: 'x', primary: true, id: `${prefix}-toggle`, onclick: (b) => act(base + 'close', undefined, b) })
      : button(t('a_open'), { ic: 'vote', primary: true, id: `${prefix}-toggle`, onclick: (b) => act(base + 'open', undefined, b) }),
    p.show_results
      ? button(t('a_hide_results'), { ic: 'eyeoff', id: `${prefix}-results`, onclick: (b) => act(base + 'hide_results', undefined, b) })
      : button(t('a_show_results'), { ic: 'eye', id: `${prefix}-results`, onclick: (b) => act(base + 'show_results', undefined, b) }),
    p.correct?.length && (p.state === 'closed' || p.correct_revealed) ? (p.correct_revealed
      ? button(t('a_hide_correct'), { ic: 'eyeoff', id: `${prefix}-correct`, onclick: (b) => act(base + 'hide_correct', undefined, b) })
      : button(t('a_reveal_correct'), { ic: 'check', id: `${prefix}-correct`, onclick: (b) => act(base + 'reveal_correct', undefined, b) })) : null,
    button(t('a_reset_votes'), { ic: 'reset', danger: true, id: `${prefix}-reset`, onclick: (b) => resetVotes(`poll:${p.id}`, p.question, b) }));
}

// pollTally is a poll's live result, filled by patchLive.
function pollTally(p) {
  return h('div', { dataset: { tally: `poll:${p.id}`, n: String(kindOf(p).size(p)) }, _question: p },
    h('div', { class: 'bars' }), h('div', { class: 'small tally-text', style: { marginTop: '.4rem' } }));
}

function pollCard(p) {
  const kind = kindOf(p);
  return h('section', { class: can('run', p.room_id) ? 'card poll-card can-run' : 'card poll-card', id: `poll-${p.id}`, attrs: { 'aria-labelledby': `poll-${p.id}-title` } },
    h('div', { class: 'card-head' },
      h('h3', { id: `poll-${p.id}-title`, text: p.question }), stateTag(p.state),
      p.show_results ? h('span', { class: 'tag on', text: t('s_public') }) : null,
      p.correct_revealed ? h('span', { class: 'tag on', text: t('s_correct_shown') }) : null,
      h('span', { class: 'round-meta', text: `${roomName(p.room_id)} · ${kind.control.summary(p)}` }),
      h('span', { class: 'spacer' }),
      button(t('edit'), { ic: 'edit', id: `poll-${p.id}-edit`, onclick: () => editPoll(p) })),
    pollActions(p, `poll-${p.id}`),
    pollTally(p));
}

const pollFields = (p) => {
  const locked = p && p.state !== 'draft';
  return [
    { name: 'question', label: t('f_question'), required: true, maxLength: 200 },
    { name: 'room_id', label: t('f_room'), type: 'select', numeric: true, options: model.rooms.map((x) => [x.id, x.name]), disabled: locked },
    { name: 'kind', label: t('f_kind'), type: 'select', options: Object.entries(KINDS).filter(([, k]) => !k.inQuiz).map(([name, k]) => [name, k.control.title()]), disabled: locked, hint: locked ? t('locked_open') : '' },
    ...kindFields((d) => d.kind || p?.kind).filter((f) => f.name !== 'settings.time_limit_s'),
    { name: 'correct', label: t('f_correct'), hint: t('correct_hint'), maxLength: 40, show: (d) => CORRECT_KINDS.includes(d.kind || p?.kind) },
    { name: 'results', label: t('f_results'), type: 'select', options: ['reveal', 'live', 'answered', 'closed'].map((m) => [m, t(`results_${m}`)]) },
    { name: 'position', label: t('f_position'), type: 'number', min: 0, max: 1000, hint: t('position_hint') },
  ].filter(Boolean);
};

// CORRECT_KINDS are the kinds whose questions may mark a correct answer.
const CORRECT_KINDS = ['choices', 'multiple'];

// correctIn turns the form's correct letters ("A, C") into choice numbers
// for the API; a character that is not a letter becomes 0, which the
// server refuses on the field. correctOut is the reverse, for the form.
function correctIn(d) {
  if (typeof d.correct !== 'string') return d;
  const nums = d.correct.split(/[\s,;]+/).filter(Boolean).map((x) => (/^[a-z]$/i.test(x) ? x.toUpperCase().charCodeAt(0) - 64 : 0));
  return { ...d, correct: nums };
}
const correctOut = (p) => (p.correct || []).map(letter).join(', ');

// kindFields are the definition fields of every kind, each shown while
// the form's kind (kindIn(data)) is one that has it.
function kindFields(kindIn) {
  const byName = new Map();
  for (const [name, k] of Object.entries(KINDS)) {
    for (const f of k.control.fields()) {
      if (!byName.has(f.name)) byName.set(f.name, { f, kinds: [] });
      byName.get(f.name).kinds.push(name);
    }
  }
  return [...byName.values()].map(({ f, kinds }) => ({ ...f, show: (d) => kinds.includes(kindIn(d)) }));
}

// nested turns the form's dotted field names ("settings.max_picks", a
// kind's own settings) into objects, for the API; flat is the reverse, for
// the form's values.
function nested(d) {
  const out = {};
  for (const [k, v] of Object.entries(d)) {
    const [a, b] = k.split('.');
    if (b) (out[a] ??= {})[b] = v;
    else out[k] = v;
  }
  return out;
}

function flat(p) {
  const out = { ...p, correct: correctOut(p) };
  for (const [b, v] of Object.entries(p.settings || {})) out[`settings.${b}`] = v;
  return out;
}

function newPoll() {
  const defaults = Object.assign({}, ...Object.values(KINDS).map((k) => k.control.defaults));
  openForm({ title: t('new_poll'), fields: pollFields(null), values: { room_id: roomSel, kind: Object.keys(KINDS)[0], ...defaults, results: 'reveal', position: 0 }, submitLabel: t('create'),
    submit: (d) => call('POST', `/api/events/${eventCode}/polls`, correctIn(nested(d))) });
  followKind($('dlg-form'), true);
}

// followKind keeps the fields that several kinds share (moderation) in the
// form's kind: its option labels and, in a new poll, its default value.
function followKind(form, withDefaults) {
  const sel = form?.elements.kind;
  if (!sel) return;
  const apply = (defaults) => {
    const k = KINDS[sel.value];
    if (!k) return;
    for (const f of k.control.fields()) {
      const el = form.elements[f.name];
      if (f.type === 'select' && el) for (const [v, label] of f.options) { const o = [...el.options].find((x) => x.value === String(v)); if (o) o.textContent = label; }
    }
    if (defaults) for (const [name, v] of Object.entries(k.control.defaults || {})) { if (form.elements[name]) form.elements[name].value = String(v); }
  };
  sel.addEventListener('change', () => apply(withDefaults));
  apply(false);
}

function editPoll(p) {
  openForm({ title: t('edit_x', { x: p.question }), fields: pollFields(p), values: flat(p),
    submit: (d) => { const c = changed(correctIn(nested(d)), p); return Object.keys(c).length ? call('PATCH', `/api/polls/${p.id}`, c) : null; } });
  followKind($('dlg-form'), false);
}

// ------------------------------------------------------ rooms, settings ----

function renderRooms() {
  const m = model;
  $('room-list').replaceChildren(...m.rooms.map((r) => {
    const active = m.rounds.find((x) => x.id === r.active_round_id);
    return h('li', {},
      h('span', { class: 'spacer' }, h('strong', { text: r.name }),
        h('div', { class: 'small muted' }, h('span', { dataset: { roomConn: String(r.id) } }), active ? ` · ${active.title}` : '')),
      iconButton('edit', t('rename_x', { x: r.name }), { id: `room-${r.id}-edit`, onclick: () => renameRoom(r) }),
      h('a', { class: 'btn btn-small btn-icon', href: `/stage/${m.event.code}?room=${r.id}`, target: '_blank', rel: 'noopener', title: t('open_stage'), attrs: { 'aria-label': `${t('open_stage')}: ${r.name}` } }, icon('monitor')));
  }));
}

function renameRoom(r) {
  openForm({ title: t('rename_x', { x: r.name }), fields: [{ name: 'name', label: t('f_name'), required: true, maxLength: 60 }], values: r,
    submit: (d) => call('PATCH', `/api/rooms/${r.id}`, d) });
}

function newRoom() {
  openForm({ title: t('new_room'), fields: [{ name: 'name', label: t('f_name'), required: true, maxLength: 60 }], submitLabel: t('create'),
    submit: async (d) => { const r = await call('POST', `/api/events/${eventCode}/rooms`, d); roomSel = r.id; } });
}

$('new-round').addEventListener('click', newRound);
$('new-poll').addEventListener('click', newPoll);
$('new-quiz').addEventListener('click', newQuiz);
$('new-room').addEventListener('click', newRoom);

const settingsFields = () => [
  { name: 'title', label: t('f_title'), required: true, maxLength: 120 },
  { name: 'code', label: t('f_code'), required: true, maxLength: 12, upper: true, hint: t('code_hint') },
  { name: 'color', label: t('f_color'), type: 'color' },
  { name: 'logo_url', label: t('f_logo'), type: 'url', hint: t('logo_hint') },
  { name: 'languages', label: t('f_languages'), type: 'langs', hint: t('languages_hint') },
  { name: 'jury_code', label: t('jury_code'), maxLength: 12, upper: true, hint: t('jury_code_hint') },
  { name: 'jury_weight', label: t('jury_weight'), type: 'number', min: 0, max: 100, hint: t('jury_weight_hint') },
];

function settingsValues() { return { ...model.event, color: model.event.color.toLowerCase(), jury_code: model.jury_code || '' }; }

// renderSettings fills the event settings form, unless the moderator is editing it.
function renderSettings() {
  const form = $('settings-form');
  if (settingsDirty && form.children.length) return;
  const fields = settingsFields();
  const vals = settingsValues();
  form.replaceChildren(...fields.map((f) => field(f, vals[f.name], 'set-')),
    h('p', { class: 'form-error', attrs: { role: 'alert' } }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn-primary', id: 'settings-save', text: t('save') })));
  form._fields = fields;
}

$('settings-form').addEventListener('input', () => { settingsDirty = true; });
$('settings-form').addEventListener('change', () => { settingsDirty = true; });
$('settings-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  clearErrors(form);
  const fields = form._fields;
  const data = readFields(form, fields);
  const bad = checkFields(fields, data);
  if (bad) { showError(form, bad); return; }
  const c = changed(data, settingsValues());
  if (!Object.keys(c).length) { settingsDirty = false; toast(t('saved')); return; }
  try {
    const ev2 = await call('PATCH', `/api/events/${eventCode}`, c);
    settingsDirty = false;
    toast(t('saved'));
    if (ev2.code !== eventCode) location.hash = ev2.code;
  } catch (e) {
    if (e.status !== 401) showError(form, e);
  }
});

// ------------------------------------------------------ preview, audit ----

function renderPreview() {
  const src = `/stage/${encodeURIComponent(eventCode)}?room=${roomSel}`;
  const frame = $('preview');
  if (frame.getAttribute('src') !== src) frame.src = src;
  $('stage-open').href = src;
  $('overlay-open').href = `${src}&view=overlay`;
}

new ResizeObserver(([e]) => {
  $('preview').style.transform = `scale(${e.contentRect.width / 1920})`;
}).observe($('preview-frame'));

let auditTimer = 0;
function loadAuditSoon() { clearTimeout(auditTimer); auditTimer = setTimeout(loadAudit, 400); }

// The audit log is written in words: ids ("pitch:3", "entry:7") become the
// names the model and the board frames give them.
function boardEntry(id) {
  for (const f of boardFrames(topicStore(), 'board_queue')) {
    const e = f.entries.find((x) => x.id === id);
    if (e) return e;
  }
  return null;
}

const quote = (text) => `“${text.length > 70 ? `${text.slice(0, 69)}…` : text}”`;

function targetName(target) {
  const [kind, idText] = String(target).split(':');
  const id = Number(idText);
  if (kind === 'pitch') { for (const r of model.rounds) { const p = r.pitches.find((x) => x.id === id); if (p) return p.team; } }
  if (kind === 'round') return model.rounds.find((x) => x.id === id)?.title || target;
  if (kind === 'poll') return model.polls.find((x) => x.id === id)?.question || target;
  if (kind === 'room') return model.rooms.find((x) => x.id === id)?.name || target;
  if (kind === 'quiz') return (model.quizzes || []).find((x) => x.id === id)?.title || target;
  if (kind === 'board') return boardFrames(topicStore(), 'board_queue').find((f) => f.board.id === id)?.board.title || t('au_board_n', { id });
  if (kind === 'entry') { const e = boardEntry(id); return e ? quote(e.text) : t('au_entry_n', { id }); }
  if (kind === 'feed_item') return t('feed_item_n', { id });
  if (kind === 'feed') return t('feed_title');
  return target;
}

// auditWords returns an audit entry's action, what it acted on and its
// detail, each in words.
function auditWords(a) {
  let action = auditAction(a.action);
  let target = targetName(a.target);
  let detail = a.detail || '';
  const ids = (text) => text.replace(/\b(pitch|round|poll|room|board|entry|feed_item):(\d+)\b/g, (m) => targetName(m));
  if (a.action === 'highlight_entry') {
    if (/^cleared\b/.test(detail)) action = auditAction('unhighlight_entry');
    const [what, status] = detail.replace(/^cleared:?\s*/, '').split(' ');
    detail = [what ? ids(what) : '', status ? `(${t(`st_${status}`).toLowerCase()})` : ''].filter(Boolean).join(' ');
  } else if (a.action === 'merge_entry') {
    detail = t('au_merge_into', { x: ids(detail.replace(/^into\s+/, '')).replace(/^“|”$/g, '') });
  } else if (a.action === 'screen') {
    detail = t(`screen_${detail}`);
  } else if (a.action.startsWith('quiz_')) {
    detail = detail ? t(`phase_${detail}`) : ''; // the quiz's new phase
  } else if (String(a.target).startsWith('entry:') && detail && !/^\w+:\d+/.test(detail)) {
    target = quote(detail); // the entry's text, as it was when decided
    detail = '';
  } else {
    detail = ids(detail);
  }
  return { action, on: [...new Set([target, detail].filter(Boolean))].join(' · ') };
}

function auditAction(a) {
  const k = t('au_' + a);
  if (k !== 'au_' + a) return k;
  const k2 = t('a_' + a);
  return k2 !== 'a_' + a ? k2 : a.replace(/_/g, ' ');
}

// actorName is who acted, as the audit log names them: the account's login
// and the API token it used, if any (older entries: moderator, API token).
function actorName(e) {
  const who = e.account || e.actor;
  const named = t('actor_' + who) !== 'actor_' + who ? t('actor_' + who) : who;
  return e.token ? t('actor_token', { who: named, token: e.token === 'api_token' ? 'api_token' : '#' + e.token }) : named;
}

async function loadAudit() {
  if (!eventCode) return;
  try {
    const rows = await call('GET', `/api/events/${eventCode}/audit`);
    $('audit-box').replaceChildren(rows.length ? h('table', { class: 'audit-table', id: 'audit-table' },
      h('thead', {}, h('tr', {}, [t('au_time'), t('au_who'), t('au_action'), t('au_target')].map((x) => h('th', { text: x })))),
      h('tbody', {}, rows.map((e) => {
        const w = auditWords(e);
        return h('tr', { dataset: { action: e.action, target: e.target } },
          h('td', { class: 'num', text: fmtTime(e.at) }), h('td', { text: actorName(e) }),
          h('td', { text: w.action }), h('td', { text: w.on }));
      })))
      : h('p', { class: 'empty', text: t('audit_empty') }));
  } catch (e) {
    if (e.status !== 401) toast(e.message, true);
  }
}

$('audit-panel').addEventListener('toggle', () => { if ($('audit-panel').open) loadAudit(); });
$('audit-refresh').addEventListener('click', loadAudit);

// ---------------------------------------------------------------- feed ----

// The queue comes from feed_queue frames (oldest first, the order to
// moderate in) and the room's approved posts from its feed frame; until the
// first frame, from the HTTP API (after a server restart the snapshot holds
// none). Decisions go through the actions route and come back as frames.

const feedBase = () => `/api/events/${encodeURIComponent(eventCode)}/feed`;

async function loadFeedFallback() {
  const code = eventCode;
  try {
    const pending = await call('GET', `${feedBase()}/items?status=pending&limit=50`);
    if (code !== eventCode) return;
    feedFallback.queue = { pending: pending.slice().reverse(), more: pending.length >= 50 };
    for (const r of model.rooms) {
      feedFallback.rooms.set(r.id, { ...(await call('GET', `${feedBase()}?room_id=${r.id}&limit=20`)), type: 'feed' });
    }
    if (code === eventCode) { feedSig = ''; const st = topicStore(); if (st) renderFeedPanel(st); else renderFeedPanel(null); }
  } catch (e) {
    if (e.status !== 401) toast(fieldErrorText(e), true);
  }
}

function feedAction(it, action, btn) {
  return act(`${feedBase()}/items/${it.id}/actions/${action}`, undefined, btn).then(() => {
    if ($('audit-panel').open) loadAuditSoon();
    if (action === 'block_author') loadFeedSettings();
  });
}

async function blockAuthor(it, btn) {
  const ok = await confirmDialog({ title: t('feed_block_title'), text: t('feed_block_text', { who: `${it.source}:${it.author}` }), confirmLabel: t('feed_block') });
  if (ok) feedAction(it, 'block_author', btn);
}

function renderFeedPanel(store) {
  if (!model || !eventCode) return;
  const queue = store?.get('feed_queue') || feedFallback.queue || { pending: [], more: false };
  const room = store?.get(`feed:${roomSel}`) || feedFallback.rooms.get(roomSel);
  const shown = latestFeed(room);
  const sig = JSON.stringify([queue.pending.map((x) => x.id), queue.more, shown.map((x) => [x.id, x.pinned]), roomSel,
    feedSettings?.moderation, document.documentElement.lang, model.rooms.map((r) => r.name)]);
  if (sig === feedSig) return;
  if (pointerDown) { feedDirty = true; return; }
  feedSig = sig;
  feedDirty = false;
  const multi = model.rooms.length > 1;
  const where = (it) => (multi ? h('span', { class: 'tag', text: it.room_id ? roomName(it.room_id) : t('feed_all_rooms') }) : null);
  const mode = feedSettings?.moderation === 'post' ? t('feed_mode_post') : t('feed_mode_pre');
  const pendingList = h('div', { class: 'feed-list', id: 'feed-queue', dataset: { count: String(queue.pending.length) } },
    queue.pending.length ? queue.pending.map((it) => feedPost(it, { cls: 'post queue-item' }, where(it),
      h('div', { class: 'actions post-actions' },
        button(t('feed_approve'), { ic: 'check', primary: true, id: `fq-${it.id}-approve`, onclick: (b) => feedAction(it, 'approve', b) }),
        button(t('feed_reject'), { ic: 'x', id: `fq-${it.id}-reject`, onclick: (b) => feedAction(it, 'reject', b) }),
        button(t('feed_block'), { ic: 'ban', danger: true, id: `fq-${it.id}-block`, onclick: (b) => blockAuthor(it, b) }))))
      : [h('p', { class: 'empty', text: t('feed_queue_empty') })],
    queue.more ? h('p', { class: 'small muted', text: t('feed_more') }) : null);
  const shownList = h('div', { class: 'feed-list', id: 'feed-approved', dataset: { count: String(shown.length) } },
    shown.length ? shown.map((it) => feedPost(it, { cls: 'post approved-item' }, where(it),
      h('div', { class: 'actions post-actions' },
        it.pinned
          ? button(t('feed_unpin'), { ic: 'pin', id: `fa-${it.id}-unpin`, onclick: (b) => feedAction(it, 'unpin', b) })
          : button(t('feed_pin'), { ic: 'pin', id: `fa-${it.id}-pin`, onclick: (b) => feedAction(it, 'pin', b) }),
        button(t('feed_remove'), { ic: 'x', id: `fa-${it.id}-reject`, onclick: (b) => feedAction(it, 'reject', b) }))))
      : [h('p', { class: 'empty', text: t('feed_shown_empty') })]);
  preserveFocus(() => $('feed-panel').replaceChildren(
    h('div', { class: 'card-head' },
      h('h2', { id: 'feed-title' }, icon('chat'), ' ', t('feed_title')),
      h('span', { class: queue.pending.length ? 'tag warn' : 'tag', id: 'feed-pending-count', text: t('feed_waiting', { n: queue.pending.length }) }),
      h('span', { class: 'tag', id: 'feed-mode', text: mode }),
      h('span', { class: 'spacer' }),
      h('a', { class: 'btn btn-small', href: `/moments/${encodeURIComponent(eventCode)}?room=${roomSel}`, target: '_blank', rel: 'noopener' }, icon('chart'), h('span', { text: t('moments') })),
      h('a', { class: 'btn btn-small', href: `/stage/${encodeURIComponent(eventCode)}?room=${roomSel}&view=wall`, target: '_blank', rel: 'noopener' }, icon('monitor'), h('span', { text: t('feed_wall') }))),
    h('div', { class: 'feed-cols' },
      h('div', {}, h('h3', { text: t('feed_queue') }), pendingList),
      h('div', {}, h('h3', { text: t('feed_shown', { room: roomName(roomSel) }) }), shownList))));
}

document.addEventListener('pointerup', () => {
  if (feedDirty) setTimeout(() => { const st = topicStore(); if (st && !pointerDown) renderFeedPanel(st); });
}, true);

async function loadFeedSettings() {
  const code = eventCode;
  try {
    const st = await call('GET', `${feedBase()}/settings`);
    if (code !== eventCode) return;
    feedSettings = st;
    feedSig = '';
    boardSig = '';
    loadMeetings();
    renderFeedSettings(true);
    const store = topicStore();
    renderFeedPanel(store || null);
  } catch (e) {
    if (e.status !== 401) toast(fieldErrorText(e), true);
  }
}

const SOURCE_KINDS = [['mastodon', 'Mastodon'], ['bluesky', 'Bluesky (Jetstream)'], ['x', 'X (Twitter)']];

// sourceRow edits one external source; its inputs are named src-N-FIELD.
function sourceRow(src, i, status) {
  const id = (f) => `src-${i}-${f}`;
  const opt = (list, v) => list.map(([k, label]) => h('option', { value: String(k), text: label, selected: String(k) === String(v) }));
  const st = status.find((x) => x.source === `${src.kind}:${String(src.hashtag || '').toLowerCase()}`) || status.find((x) => x.source === `${src.kind}:${src.hashtag}`);
  return h('fieldset', { class: 'source-row', dataset: { index: String(i) } },
    h('legend', { class: 'form-label' }, t('feed_source_n', { n: i + 1 }),
      st ? h('span', { class: st.state === 'running' ? 'tag on' : 'tag warn', text: t('src_' + st.state) }) : null),
    h('div', { class: 'form-grid' },
      h('div', { class: 'field' }, h('label', { htmlFor: id('kind'), text: t('feed_source_kind') }),
        h('select', { id: id('kind'), name: id('kind') }, opt(SOURCE_KINDS, src.kind))),
      h('div', { class: 'field' }, h('label', { htmlFor: id('hashtag'), text: t('feed_hashtag') }),
        h('input', { id: id('hashtag'), name: id('hashtag'), value: src.hashtag || '', maxLength: 100, autocomplete: 'off' })),
      h('div', { class: 'field' }, h('label', { htmlFor: id('room'), text: t('f_room') }),
        h('select', { id: id('room'), name: id('room') }, opt([[0, t('feed_all_rooms')], ...model.rooms.map((r) => [r.id, r.name])], src.room_id || 0))),
      h('div', { class: 'field' }, h('label', { htmlFor: id('interval'), text: t('feed_interval') }),
        h('input', { id: id('interval'), name: id('interval'), type: 'number', min: 0, max: 3600, value: src.interval_s || 0 }))),
    h('div', { class: 'field' }, h('label', { htmlFor: id('base'), text: t('feed_base_url') }),
      h('input', { id: id('base'), name: id('base'), type: 'url', value: src.base_url || '', autocomplete: 'off', placeholder: 'https://mastodon.example' })),
    h('div', { class: 'field' }, h('label', { htmlFor: id('token'), text: t('feed_token') }),
      h('input', { id: id('token'), name: id('token'), type: 'password', autocomplete: 'off', placeholder: src.token_set ? t('feed_token_kept') : '' })),
    st && st.last_error ? h('p', { class: 'field-error', text: st.last_error }) : null,
    h('div', { class: 'row' },
      h('label', { class: 'check', htmlFor: id('enabled') }, h('input', { id: id('enabled'), name: id('enabled'), type: 'checkbox', checked: !!src.enabled }), h('span', { text: t('feed_enabled') })),
      h('span', { class: 'spacer' }),
      button(t('remove'), { ic: 'trash', danger: true, onclick: (b) => { b.closest('fieldset').remove(); feedSettingsDirty = true; } })));
}

let feedSettingsDirty = false;

const isoLocal = (iso) => {
  if (!iso || iso.startsWith('0001-')) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
};

// renderFeedSettings fills the feed settings form, unless the moderator is
// editing it (force: after a save or a reload).
function renderFeedSettings(force = false) {
  const form = $('feed-settings-form');
  if (!feedSettings || (feedSettingsDirty && !force && form.children.length)) return;
  feedSettingsDirty = false;
  const st = feedSettings;
  const simple = [
    { name: 'moderation', label: t('feed_moderation'), type: 'select', options: [['pre', t('feed_mode_pre_long')], ['post', t('feed_mode_post_long')]] },
    { name: 'app_posts', label: t('feed_app_posts'), type: 'checkbox' },
    { name: 'post_max_len', label: t('feed_post_max_len'), type: 'number', min: 1, max: 500 },
    { name: 'blocklist', label: t('feed_blocklist'), type: 'textarea', lines: true, rows: 3, hint: t('feed_blocklist_hint') },
    { name: 'allowlist', label: t('feed_allowlist'), type: 'textarea', lines: true, rows: 3, hint: t('feed_allowlist_hint') },
    { name: 'blocked_authors', label: t('feed_blocked_authors'), type: 'textarea', lines: true, rows: 2, hint: t('feed_allowlist_hint') },
  ];
  const sources = h('div', { id: 'feed-sources' }, (st.sources || []).map((src, i) => sourceRow(src, i, st.source_status || [])));
  let next = (st.sources || []).length;
  const recs = model.rooms.map((r) => {
    const rec = (st.recordings || {})[r.id] || {};
    return h('fieldset', { class: 'source-row', dataset: { room: String(r.id) } },
      h('legend', { class: 'form-label', text: t('feed_recording_of', { room: r.name }) }),
      h('div', { class: 'field' }, h('label', { htmlFor: `rec-${r.id}-url`, text: t('feed_recording_url') }),
        h('input', { id: `rec-${r.id}-url`, name: `rec-${r.id}-url`, type: 'url', value: rec.url || '', placeholder: 'https://video.example/main.mp4' })),
      h('div', { class: 'field' }, h('label', { htmlFor: `rec-${r.id}-start`, text: t('feed_recording_start') }),
        h('input', { id: `rec-${r.id}-start`, name: `rec-${r.id}-start`, type: 'datetime-local', value: isoLocal(rec.started_at) })));
  });
  const tokenOut = h('div', { id: 'webhook-token-out' });
  form.replaceChildren(...simple.map((f) => field(f, st[f.name], 'fs-')),
    h('h3', { text: t('feed_sources') }), sources,
    h('div', { class: 'actions' }, button(t('feed_add_source'), { ic: 'plus', id: 'feed-add-source', onclick: () => {
      sources.append(sourceRow({ kind: 'mastodon', enabled: true, hashtag: eventCode }, next++, []));
      feedSettingsDirty = true;
    } })),
    h('h3', { text: t('feed_recordings') }), h('p', { class: 'hint small muted', text: t('feed_recordings_hint') }), ...recs,
    h('h3', { text: t('feed_webhook') }),
    h('p', { class: 'small muted', id: 'webhook-state', text: st.webhook_enabled ? t('feed_webhook_on') : t('feed_webhook_off') }),
    h('div', { class: 'actions' }, button(t('feed_webhook_new'), { ic: 'reset', id: 'webhook-new', onclick: (b) => newWebhookToken(b, tokenOut) })),
    tokenOut,
    h('p', { class: 'form-error', attrs: { role: 'alert' } }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn-primary', id: 'feed-settings-save', text: t('save') })));
  form._fields = simple;
}

async function newWebhookToken(btn, out) {
  if (feedSettings?.webhook_enabled && !(await confirmDialog({ title: t('feed_webhook_new'), text: t('feed_webhook_replace'), confirmLabel: t('feed_webhook_new') }))) return;
  btn.disabled = true;
  try {
    const res = await call('POST', `${feedBase()}/webhook-token`);
    const url = `${location.origin}${feedBase()}/webhook`;
    out.replaceChildren(h('div', { class: 'field' }, h('label', { htmlFor: 'webhook-token', text: t('feed_webhook_token') }),
      h('input', { id: 'webhook-token', readOnly: true, value: res.token, class: 'mono', onfocus: (e) => e.target.select() }),
      h('p', { class: 'hint', text: t('feed_webhook_how', { url }) })));
    feedSettings.webhook_enabled = true;
    $('webhook-state').textContent = t('feed_webhook_on');
    if ($('audit-panel').open) loadAuditSoon();
  } catch (e) {
    if (e.status !== 401) toast(fieldErrorText(e), true);
  } finally {
    btn.disabled = false;
  }
}

$('feed-settings-form').addEventListener('input', () => { feedSettingsDirty = true; });
$('feed-settings-form').addEventListener('change', () => { feedSettingsDirty = true; });
$('feed-settings-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  clearErrors(form);
  const data = readFields(form, form._fields);
  const bad = checkFields(form._fields, data);
  if (bad) { showError(form, bad); return; }
  const val = (n) => form.elements[n]?.value ?? '';
  data.sources = [...form.querySelectorAll('#feed-sources fieldset')].map((fs) => {
    const i = fs.dataset.index;
    const src = { kind: val(`src-${i}-kind`), hashtag: str(val(`src-${i}-hashtag`)).replace(/^#/, ''), room_id: Number(val(`src-${i}-room`)),
      base_url: str(val(`src-${i}-base`)), interval_s: Number(val(`src-${i}-interval`)) || 0, enabled: form.elements[`src-${i}-enabled`].checked };
    const tok = str(val(`src-${i}-token`));
    if (tok) src.token = tok;
    return src;
  });
  data.recordings = {};
  for (const r of model.rooms) {
    const url = str(val(`rec-${r.id}-url`));
    const start = val(`rec-${r.id}-start`);
    if (!url && !start) continue;
    if (url && !safeURL(url)) { showError(form, { field: 'recordings', message: t('feed_recording_bad_url') }); return; }
    const d = new Date(start);
    if (!start || Number.isNaN(d.getTime())) { showError(form, { field: 'recordings', message: t('feed_recording_need_start') }); return; }
    data.recordings[r.id] = { url, started_at: d.toISOString() };
  }
  const save = $('feed-settings-save');
  save.disabled = true;
  try {
    feedSettings = await call('PATCH', `${feedBase()}/settings`, data);
    feedSig = '';
    boardSig = '';
    loadMeetings();
    renderFeedSettings(true);
    renderFeedPanel(topicStore() || null);
    toast(t('saved'));
    if ($('audit-panel').open) loadAuditSoon();
  } catch (e) {
    if (e.status !== 401) showError(form, e);
  } finally {
    if (save.isConnected) save.disabled = false;
  }
});

$('feed-settings-panel').addEventListener('toggle', () => { if ($('feed-settings-panel').open && !feedSettingsDirty) loadFeedSettings(); });

// -------------------------------------------------------------- boards ----

// The boards panel follows the board_queue frames of the control topic
// (every entry, any state, newest first, pinned first): create and edit
// boards, moderate their entries (approve, reject, merge, answered, pin,
// put on stage), turn the top N into a keypad poll, export. Meeting
// requests are not published: the panel below loads them on demand.

let boardSel = 0;
let boardSort = 'newest'; // the queue's order: 'newest' (time) or 'top' (upvotes)
let boardSig = '';
let boardDirty = false;
const boardBase = () => `/api/events/${encodeURIComponent(eventCode)}/boards`;

const boardFields = (b) => [
  { name: 'title', label: t('f_board_title'), required: true, maxLength: 120 },
  { name: 'room_id', label: t('f_board_room'), type: 'select', numeric: true, options: [[0, t('board_event_wide')], ...model.rooms.map((x) => [x.id, x.name])] },
  { name: 'moderation', label: t('f_moderation'), type: 'select', options: [['pre', t('mod_pre')], ['post', t('mod_post')]] },
  { name: 'max_len', label: t('f_max_len'), type: 'number', min: 1, max: 280 },
  b ? null : { name: 'open', label: t('f_open'), type: 'checkbox' },
].filter(Boolean);

function newBoard() {
  openForm({ title: t('new_board'), fields: boardFields(null), values: { room_id: roomSel, moderation: 'pre', max_len: 280, open: true }, submitLabel: t('create'),
    submit: async (d) => { const b = await call('POST', boardBase(), d); boardSel = b.id; boardSig = ''; } });
}

function editBoard(b) {
  openForm({ title: t('edit_x', { x: b.title }), fields: boardFields(b), values: b,
    submit: (d) => { const c = changed(d, b); return Object.keys(c).length ? call('PATCH', `${boardBase()}/${b.id}`, c) : null; } });
}

async function deleteBoard(b) {
  const ok = await confirmDialog({ title: t('board_delete_title'), text: t('board_delete_text', { title: b.title }), confirmLabel: t('board_delete') });
  if (ok) await call('DELETE', `${boardBase()}/${b.id}`).catch((e) => toast(fieldErrorText(e), true));
}

function boardToPoll(f) {
  const b = f.board;
  openForm({ title: t('board_to_poll'), submitLabel: t('create'),
    fields: [
      { name: 'n', label: t('board_poll_n'), type: 'number', min: 2, max: 6, required: true },
      { name: 'question', label: t('board_poll_question'), maxLength: 200, required: true },
      { name: 'room_id', label: t('board_poll_room'), type: 'select', numeric: true, options: model.rooms.map((x) => [x.id, x.name]) },
    ],
    values: { n: Math.min(4, Math.max(2, f.entries.filter((e) => e.status === 'approved' || e.status === 'answered').length)), question: b.title, room_id: b.room_id || roomSel },
    submit: async (d) => {
      const p = await call('POST', `${boardBase()}/${b.id}/poll`, d);
      toast(t('board_poll_made'));
      setTimeout(() => $(`poll-${p.id}`)?.scrollIntoView({ block: 'center' }), 300);
    } });
}

function entryAction(e, action, btn, body) {
  return act(`/api/events/${encodeURIComponent(eventCode)}/entries/${e.id}/actions/${action}`, body, btn).then(() => { if ($('audit-panel').open) loadAuditSoon(); });
}

function highlight(b, id, btn) {
  return act(`${boardBase()}/${b.id}/highlight`, { entry_id: id }, btn);
}

function mergeEntry(f, e) {
  const targets = f.entries.filter((x) => x.id !== e.id && (x.status === 'approved' || x.status === 'answered'));
  if (!targets.length) { toast(t('board_merge_none'), true); return; }
  openForm({ title: t('board_merge_title'), submitLabel: t('board_merge').replace('…', ''),
    fields: [{ name: 'into', label: t('board_merge_into'), type: 'select', numeric: true, options: targets.map((x) => [x.id, `#${x.id} · ${x.text.slice(0, 70)}`]), hint: e.text }],
    values: { into: targets[0].id },
    submit: (d) => call('POST', `/api/events/${encodeURIComponent(eventCode)}/entries/${e.id}/actions/merge`, { into: d.into }) });
}

function renderBoardPanel(store) {
  if (!model || !eventCode) return;
  const frames = boardFrames(store, 'board_queue');
  if (!frames.some((f) => f.board.id === boardSel)) boardSel = frames.length ? frames[frames.length - 1].board.id : 0;
  const f = frames.find((x) => x.board.id === boardSel);
  const sig = JSON.stringify([frames.map((x) => [x.board, x.pending]), f?.entries, boardSort, document.documentElement.lang, model.rooms.map((r) => r.name), model.polls.map((p) => [p.id, p.question])]);
  if (sig === boardSig) return;
  if (pointerDown) { boardDirty = true; return; }
  boardSig = sig;
  boardDirty = false;
  const head = h('div', { class: 'card-head' },
    h('h2', { id: 'boards-title' }, icon('chat'), ' ', t('boards')), h('span', { class: 'spacer' }),
    button(t('new_board'), { ic: 'plus', id: 'board-new', onclick: newBoard }));
  if (!f) {
    preserveFocus(() => $('board-panel').replaceChildren(head, h('p', { class: 'empty', text: t('no_boards') })));
    return;
  }
  const b = f.board;
  const tabs = frames.length > 1 ? h('div', { class: 'board-tabs', attrs: { role: 'tablist', 'aria-label': t('boards') } }, frames.map((x) =>
    h('button', { type: 'button', class: 'btn-small', id: `board-tab-${x.board.id}`, attrs: { role: 'tab', 'aria-selected': String(x.board.id === boardSel) },
      onclick: () => { boardSel = x.board.id; boardSig = ''; renderBoardPanel(topicStore()); } },
    h('span', { text: x.board.title }), x.pending ? h('span', { class: 'tag warn', text: String(x.pending) }) : null))) : null;
  const poll = b.poll_id ? model.polls.find((p) => p.id === b.poll_id) : null;
  const exp = (fmt) => h('a', { class: 'btn btn-small', id: `board-export-${fmt}`, href: `${boardBase()}/${b.id}/export?format=${fmt}`, download: '' }, icon('download'), h('span', { text: fmt.toUpperCase() }));
  const info = h('div', { class: 'card-head' },
    h('h3', { id: 'board-title', text: b.title }),
    h('span', { class: 'tag', text: b.room_id ? roomName(b.room_id) : t('board_event_wide') }),
    h('span', { class: 'tag', text: b.moderation === 'post' ? t('feed_mode_post') : t('feed_mode_pre') }),
    h('span', { class: b.open ? 'tag live' : 'tag', id: 'board-state', text: b.open ? t('board_open_tag') : t('board_closed_tag') }),
    h('span', { class: f.pending ? 'tag warn' : 'tag', id: 'board-pending', text: t('board_pending', { n: f.pending }) }),
    poll ? h('a', { class: 'small', href: `#poll-${poll.id}`, id: 'board-poll-link', text: t('board_poll_link', { q: poll.question }) }) : null);
  const actions = h('div', { class: 'actions', style: { marginBottom: '.8rem' } },
    button(t('edit'), { ic: 'edit', id: 'board-edit', onclick: () => editBoard(b) }),
    b.open ? button(t('board_close_it'), { ic: 'x', id: 'board-toggle', onclick: (btn) => call('PATCH', `${boardBase()}/${b.id}`, { open: false }).catch((e) => toast(fieldErrorText(e), true)) })
      : button(t('board_open_it'), { ic: 'check', id: 'board-toggle', onclick: (btn) => call('PATCH', `${boardBase()}/${b.id}`, { open: true }).catch((e) => toast(fieldErrorText(e), true)) }),
    button(t('board_to_poll'), { ic: 'vote', primary: true, id: 'board-to-poll', onclick: () => boardToPoll(f) }),
    exp('csv'), exp('json'),
    h('a', { class: 'btn btn-small', id: 'board-stage-link', href: `/stage/${encodeURIComponent(eventCode)}?room=${b.room_id || roomSel}&view=board&board=${b.id}`, target: '_blank', rel: 'noopener' }, icon('monitor'), h('span', { text: t('board_stage_link') })),
    b.highlight_id ? button(t('e_unhighlight'), { ic: 'eyeoff', id: 'board-unhighlight', onclick: (btn) => highlight(b, 0, btn) }) : null,
    button(t('board_delete'), { ic: 'trash', danger: true, id: 'board-delete', onclick: () => deleteBoard(b) }));
  const entries = sortEntries(f.entries, boardSort);
  const pending = entries.filter((e) => e.status === 'pending');
  const tools = f.entries.length ? h('div', { class: 'row queue-tools' },
    h('div', { class: 'sort-tabs', id: 'board-sort', attrs: { role: 'group', 'aria-label': t('board_sort') } },
      ['newest', 'top'].map((s) => h('button', { type: 'button', class: 'btn-small', id: `board-sort-${s}`, dataset: { sort: s }, attrs: { 'aria-pressed': String(s === boardSort) },
        text: t('board_sort_' + s), onclick: () => { boardSort = s; boardSig = ''; renderBoardPanel(topicStore()); } }))),
    h('span', { class: 'spacer' }),
    pending.length ? button(t('board_approve_all', { n: pending.length }), { ic: 'check', id: 'board-approve-all', onclick: (btn) => approveAll(pending, btn) }) : null) : null;
  const list = h('div', { class: 'feed-list', id: 'board-queue', dataset: { count: String(f.entries.length), pending: String(f.pending), sort: boardSort, order: entries.map((e) => e.id).join(',') } },
    entries.length ? entries.map((e) => queueEntry(f, e)) : [h('p', { class: 'empty', text: t('board_queue_empty') })]);
  preserveFocus(() => $('board-panel').replaceChildren(...[head, tabs, info, actions, tools, list].filter(Boolean)));
}

// approveAll approves the pending entries the queue lists, one request
// each (each one audited), and says how many it approved.
async function approveAll(entries, btn) {
  btn.disabled = true;
  let done = 0;
  try {
    for (const e of entries) {
      await call('POST', `/api/events/${encodeURIComponent(eventCode)}/entries/${e.id}/actions/approve`);
      done++;
    }
  } catch (e) {
    if (e.status !== 401) toast(fieldErrorText(e), true);
  } finally {
    if (btn.isConnected) btn.disabled = false;
  }
  if (done) toast(t('board_approved_all', { n: done }));
  if ($('audit-panel').open) loadAuditSoon();
}

function queueEntry(f, e) {
  const b = f.board;
  const onStage = b.highlight_id === e.id;
  const id = (a) => `be-${e.id}-${a}`;
  const btns = [];
  const add = (action, ic, opts = {}) => btns.push(button(t('e_' + action), { ic, id: id(action), onclick: (btn) => entryAction(e, action, btn), ...opts }));
  if (e.status === 'pending' || e.status === 'rejected') add('approve', 'check', { primary: true });
  if (e.status === 'approved' || e.status === 'answered') {
    btns.push(onStage ? button(t('e_unhighlight'), { ic: 'eyeoff', id: id('unhighlight'), onclick: (btn) => highlight(b, 0, btn) })
      : button(t('e_highlight'), { ic: 'monitor', primary: true, id: id('highlight'), onclick: (btn) => highlight(b, e.id, btn) }));
    add(e.status === 'approved' ? 'answer' : 'unanswer', e.status === 'approved' ? 'check' : 'reset');
    add(e.pinned ? 'unpin' : 'pin', 'pin');
  }
  if (e.status === 'pending' || e.status === 'approved') add('reject', 'x');
  if (e.status === 'pending' || e.status === 'approved') btns.push(button(t('board_merge'), { ic: 'list', id: id('merge'), onclick: () => mergeEntry(f, e) }));
  return h('article', { class: `queue-entry${e.pinned ? ' pinned' : ''}${onStage ? ' on-stage' : ''}`, dataset: { entryId: String(e.id), status: e.status } },
    h('p', { class: 'entry-meta small' },
      h('span', { class: e.status === 'pending' ? 'tag warn' : e.status === 'approved' ? 'tag live' : 'tag', text: t('st_' + e.status) }),
      onStage ? h('span', { class: 'tag on', text: t('e_on_stage') }) : null,
      e.pinned ? h('span', { class: 'tag on', text: t('board_pinned') }) : null,
      h('strong', { text: e.display_name || t('board_anonymous') }),
      h('span', { class: 'muted', text: `#${e.id} · ${fmtHM(e.created_at)} · ${t('board_upvotes', { n: e.upvotes })}` }),
      e.merged_into ? h('span', { class: 'muted', text: t('board_merged_into', { id: e.merged_into }) }) : null),
    h('p', { class: 'post-text', text: e.text }),
    btns.length ? h('div', { class: 'actions post-actions' }, btns) : null);
}

document.addEventListener('pointerup', () => {
  if (boardDirty) setTimeout(() => { const st = topicStore(); if (st && !pointerDown) renderBoardPanel(st); });
}, true);

// ------------------------------------------------------ meeting requests ----

let meetLoad = 0;
async function loadMeetings() {
  if (!eventCode || !can('export')) return; // personal data: organisers only
  const n = ++meetLoad;
  const code = eventCode;
  try {
    const reqs = await call('GET', `/api/events/${encodeURIComponent(code)}/meeting-requests`);
    if (n === meetLoad && code === eventCode) renderMeetings(reqs);
  } catch (e) {
    if (e.status !== 401) toast(fieldErrorText(e), true);
  }
}

function renderMeetings(reqs) {
  const pitches = model.rounds.flatMap((r) => r.pitches.map((p) => ({ ...p, round: r.title })));
  const byPitch = new Map();
  for (const r of reqs) { if (!byPitch.has(r.pitch_id)) byPitch.set(r.pitch_id, []); byPitch.get(r.pitch_id).push(r); }
  const withReqs = pitches.filter((p) => byPitch.has(p.id));
  $('meet-panel').replaceChildren(
    h('div', { class: 'card-head' }, h('h2', { id: 'meet-title' }, icon('users'), ' ', t('meetings')),
      h('span', { class: 'tag', id: 'meet-total', dataset: { count: String(reqs.length) }, text: t('meet_count', { n: reqs.length }) }),
      h('span', { class: 'spacer' }), button(t('meet_refresh'), { ic: 'reset', id: 'meet-refresh', onclick: loadMeetings })),
    ...(withReqs.length ? withReqs.map((p) => {
      const list = byPitch.get(p.id);
      return h('div', { class: 'meet-pitch', id: `meet-pitch-${p.id}`, dataset: { count: String(list.length) } },
        h('div', { class: 'row' }, h('strong', { text: p.team }), h('span', { class: 'muted small', text: `${p.round} · ${t('meet_count', { n: list.length })}` }), h('span', { class: 'spacer' }),
          h('a', { class: 'btn btn-small', id: `meet-csv-${p.id}`, href: `/api/events/${encodeURIComponent(eventCode)}/pitches/${p.id}/meeting-requests.csv`, download: '' }, icon('download'), h('span', { text: t('meet_csv') })),
          h('a', { class: 'btn btn-small', id: `team-report-${p.id}`, href: `/api/events/${encodeURIComponent(eventCode)}/pitches/${p.id}/report?format=pdf&lang=${document.documentElement.lang}`, download: '' }, icon('download'), h('span', { text: t('team_report_pdf') }))),
        h('table', { class: 'meet-table' },
          h('thead', {}, h('tr', {}, [t('meet_name'), t('meet_company'), t('meet_role'), t('meet_email')].map((x) => h('th', { text: x })))),
          h('tbody', {}, list.map((r) => h('tr', { dataset: { request: String(r.id) } },
            h('td', { text: r.name }), h('td', { text: r.company }), h('td', { text: r.role }), h('td', { class: 'mono', text: r.email }))))));
    }) : [h('p', { class: 'empty', text: t('meet_none') })]));
}

// ------------------------------------------------------------ live data ----

function noteStats(s) {
  if (prevStats && s.votes_accepted >= prevStats.votes_accepted && s.server_time > prevStats.server_time) {
    rates.push(((s.votes_accepted - prevStats.votes_accepted) * 1000) / (s.server_time - prevStats.server_time));
    if (rates.length > 60) rates = rates.slice(-60);
  }
  prevStats = s;
}

function renderSpark() {
  const svg = $('spark');
  const data = rates.length ? rates : [0];
  const max = Math.max(1, ...data);
  const pts = data.map((v, i) => [data.length === 1 ? 120 : (120 * i) / (data.length - 1), 29 - (27 * v) / max]);
  const line = pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  svg.innerHTML = `<polygon points="0,30 ${line} 120,30" fill="currentColor" opacity=".14"/><polyline points="${line}" fill="none" stroke="currentColor" stroke-width="1.5" vector-effect="non-scaling-stroke"/>`;
}

// patchLive updates tallies, rankings and stats in place, so buttons are not
// rebuilt under the moderator's pointer at every tally tick.
function patchLive(store) {
  for (const el of document.querySelectorAll('#console-view [data-tally]')) {
    if (!el.dataset.tally) continue;
    const f = store.get(`tally:${el.dataset.tally}`);
    const q = el._question;
    const kind = kindOf(q);
    const total = f ? f.total : 0;
    if (el.id === 'live-hist') {
      kind.control.histogram(el, q, f);
      $('live-votes').textContent = String(total);
      $('live-votes').nextElementSibling.textContent = t('votes_on_pitch', { n: total });
      $('live-mean').textContent = total ? `${t('mean', { m: fmtScore(f.mean || 0) })}${f.jury ? ` · ${t('part_jury')} ${fmtScore(f.jury.mean)}` : ''}` : '';
    } else if (el.dataset.tally.startsWith('pitch:')) {
      kind.control.miniHistogram(el.querySelector('.mini-hist'), q, f);
      el.dataset.total = String(total);
      el.querySelector('.tally-text').textContent = total ? `${t('votes', { n: total })} · ${fmtScore(f.mean || 0)}` : t('votes', { n: 0 });
    } else {
      kind.control.result(el.querySelector('.bars'), q, f, {
        decide: (d) => call('POST', `/api/polls/${q.id}/decisions`, d),
        configure: (settings) => call('PATCH', `/api/polls/${q.id}`, { settings }),
      });
      if (q.quiz_id) markCorrect(el.querySelector('.bars'), { ...q, correct_revealed: true }); // the moderators know the right choices
      el.querySelector('.tally-text').textContent = t('votes', { n: total });
    }
  }
  for (const el of document.querySelectorAll('#console-view .quiz-leaders')) {
    const f = store.get(`quiz:${el.dataset.quiz}`);
    if (el._frame === f) continue;
    el._frame = f;
    el.replaceChildren(h('p', { class: 'eyebrow', text: `${t('quiz_leaderboard')} · ${t('quiz_players', { n: f?.players || 0 })}` }),
      f?.leaders?.length ? quizKind.leaderList(f.leaders) : h('p', { class: 'muted small', text: '–' }));
  }
  for (const el of document.querySelectorAll('#console-view [data-ranking]')) {
    const f = store.get(`ranking:${el.dataset.ranking}`);
    if (el._frame === f) continue;
    el._frame = f;
    el.replaceChildren(f && f.entries.length ? rankingList(f.entries, 10) : h('p', { class: 'muted small', text: '–' }));
  }
  renderFeedPanel(store);
  renderBoardPanel(store);
  renderProgrammePanel($('programme-panel'), store, { model, eventCode, can, openForm, confirmDialog, call, toast, button, csrf: () => csrf });
  const stats = store.get('stats');
  if (stats) {
    const conns = Object.values(stats.connected || {}).reduce((a, b) => a + b, 0);
    // The votes the event holds (stats.votes_stored): the same after a
    // restart; votes_accepted counts since the start, for the rate only.
    const votes = stats.votes_stored ?? stats.votes_accepted;
    $('stat-connected').textContent = fmtNum(conns, 0);
    $('stat-connected').nextElementSibling.textContent = t('connected_short', { n: conns });
    $('stat-votes').textContent = fmtNum(votes, 0);
    $('stat-votes').nextElementSibling.textContent = t('votes_accepted', { n: votes });
    $('stat-rate').textContent = fmtNum(rates.length ? rates[rates.length - 1] : 0, 1);
    for (const el of document.querySelectorAll('[data-room-conn]')) el.textContent = t('connected', { n: stats.connected[el.dataset.roomConn] || 0 });
    const list = model ? model.rooms.map((r) => h('li', {}, h('span', { text: r.name }), h('strong', { class: 'num', text: String(stats.connected[r.id] || 0) }))) : [];
    $('room-conns').replaceChildren(...(model && model.rooms.length > 1 ? list : []));
    renderSpark();
  }
}

// ---------------------------------------------------------------- boot ----

window.addEventListener('langchange', () => {
  renderConn();
  if (model && !$('console-view').hidden) {
    renderStatic();
    settingsDirty = false;
    feedSig = '';
    boardSig = '';
    loadMeetings();
    renderFeedSettings(true);
    renderModel();
    if ($('audit-panel').open) loadAudit();
  }
  if (!$('picker-view').hidden) showPicker();
});
startCountdowns(() => (live ? live.offset : 0));

// signedIn reports whether the server marked this browser as logged in
// (the ovation_signed_in cookie, set at login beside the session cookie):
// without it the page shows the login form without asking, so that a page
// that works logs no 401.
const signedIn = () => /(?:^|;\s*)ovation_signed_in=1(?:;|$)/.test(document.cookie);

(async () => {
  if (!signedIn()) { showLogin(); return; }
  try {
    const s = await api('/api/session');
    csrf = s.csrf_token;
    me = s;
    route();
  } catch (e) {
    showLogin();
    if (e.status !== 401) toast(e.message, true);
  }
})();
