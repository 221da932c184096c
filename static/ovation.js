// Ovation shared client module: i18n, themes, icons, HTTP helper, live
// WebSocket client with reconnect and resume, per-topic frame store, vote
// sender, and the result widgets. Plain ES module, no dependencies. The
// protocol is in docs/protocol.md.

import { DICT } from '/static/i18n.js';

// ---------------------------------------------------------------- i18n ----

const LANG_KEY = 'ovation.lang';
let available = ['fr', 'en'];

function pickLang() {
  let saved = '';
  try { saved = localStorage.getItem(LANG_KEY) || ''; } catch { /* storage off */ }
  if (saved && available.includes(saved)) return saved;
  const langs = navigator.languages?.length ? navigator.languages : [navigator.language || 'en'];
  for (const l of langs) {
    const base = String(l).slice(0, 2).toLowerCase();
    if (available.includes(base)) return base;
  }
  return available[0] || 'en';
}

let lang = pickLang();

export function currentLang() { return lang; }

// setAvailableLangs restricts the pages to an event's languages (its first
// is the default) and picks the reader's language among them.
export function setAvailableLangs(langs) {
  const ok = (langs || []).filter((l) => DICT[l]);
  if (!ok.length || ok.join() === available.join()) return;
  available = ok;
  const next = pickLang();
  if (next !== lang) { lang = next; window.dispatchEvent(new Event('langchange')); }
  applyI18n();
}

// setLang switches language, re-translates static markup and notifies pages.
export function setLang(l, remember = true) {
  if (!DICT[l]) return;
  lang = l;
  if (remember) { try { localStorage.setItem(LANG_KEY, l); } catch { /* storage off */ } }
  applyI18n();
  window.dispatchEvent(new Event('langchange'));
}

// t translates key, replacing {name} with vars.name; function entries take vars.n.
export function t(key, vars = {}) {
  const v = DICT[lang][key] ?? DICT.en[key] ?? key;
  if (typeof v === 'function') return v(vars.n ?? 0, vars);
  return v.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ''));
}

// applyI18n fills [data-i18n] text, [data-i18n-placeholder] placeholders,
// [data-i18n-label] accessible names and [data-i18n-title] titles.
export function applyI18n(root = document) {
  document.documentElement.lang = lang;
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  root.querySelectorAll('[data-i18n-label]').forEach((el) => { el.setAttribute('aria-label', t(el.dataset.i18nLabel)); });
  root.querySelectorAll('[data-i18n-title]').forEach((el) => { el.title = t(el.dataset.i18nTitle); });
  root.querySelectorAll('.lang-switch').forEach((b) => {
    const other = available.find((l) => l !== lang);
    b.hidden = !other;
    b.textContent = other ? other.toUpperCase() : '';
    b.setAttribute('aria-label', t('lang_switch'));
    b.lang = other || lang;
  });
}

// wireLangSwitch makes every .lang-switch button switch to the other language.
export function wireLangSwitch() {
  document.querySelectorAll('.lang-switch').forEach((b) => {
    b.addEventListener('click', () => setLang(available.find((l) => l !== lang) || lang));
  });
  applyI18n();
}

// errorText returns a localized text for a protocol error code, or the server's message.
export function errorText(code, message) {
  const k = 'err_' + code;
  return DICT[lang][k] || DICT.en[k] || message || code;
}

// fieldErrorText localizes a server validation error about one form field
// when a translation exists ("fe_<code>_<field>"), else keeps its message.
export function fieldErrorText(e) {
  if (lang === 'en' || !e.field) return e.message;
  const v = DICT[lang][`fe_${e.code}_${e.field}`];
  return v || e.message;
}

// --------------------------------------------------------------- theme ----

const THEME_KEY = 'ovation.theme';

// initTheme applies the theme the reader chose on this device, if any;
// otherwise the system's (prefers-color-scheme) applies.
export function initTheme() {
  let saved = '';
  try { saved = localStorage.getItem(THEME_KEY) || ''; } catch { /* storage off */ }
  if (saved === 'light' || saved === 'dark') document.documentElement.dataset.theme = saved;
}

export function currentTheme() {
  const set = document.documentElement.dataset.theme;
  if (set === 'light' || set === 'dark') return set;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

// wireThemeSwitch makes every .theme-switch button toggle dark and light.
export function wireThemeSwitch() {
  const sync = () => document.querySelectorAll('.theme-switch').forEach((b) => {
    const dark = currentTheme() === 'dark';
    b.replaceChildren(icon(dark ? 'sun' : 'moon'));
    b.setAttribute('aria-label', t(dark ? 'theme_light' : 'theme_dark'));
    b.title = t(dark ? 'theme_light' : 'theme_dark');
  });
  document.querySelectorAll('.theme-switch').forEach((b) => b.addEventListener('click', () => {
    const next = currentTheme() === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    try { localStorage.setItem(THEME_KEY, next); } catch { /* storage off */ }
    sync();
    window.dispatchEvent(new Event('themechange'));
  }));
  window.addEventListener('langchange', sync);
  sync();
}

// --------------------------------------------------------------- icons ----

const ICONS = {
  mark: '<circle cx="12" cy="12" r="9"/><path d="M7.5 12a4.5 4.5 0 0 1 9 0"/><circle cx="12" cy="12" r="1.6" fill="currentColor"/>',
  check: '<polyline points="20 6 9 17 4 12"/>',
  x: '<line x1="18" y1="6" x2="6" y2="18"/><line x1="6" y1="6" x2="18" y2="18"/>',
  play: '<polygon points="7 4 20 12 7 20 7 4" fill="currentColor"/>',
  pause: '<rect x="6" y="4" width="4" height="16" fill="currentColor"/><rect x="14" y="4" width="4" height="16" fill="currentColor"/>',
  prev: '<polyline points="15 18 9 12 15 6"/>',
  next: '<polyline points="9 18 15 12 9 6"/>',
  up: '<polyline points="18 15 12 9 6 15"/>',
  down: '<polyline points="6 9 12 15 18 9"/>',
  plus: '<line x1="12" y1="5" x2="12" y2="19"/><line x1="5" y1="12" x2="19" y2="12"/>',
  reset: '<polyline points="1 4 1 10 7 10"/><path d="M3.51 15a9 9 0 1 0 2.13-9.36L1 10"/>',
  eye: '<path d="M1 12s4-8 11-8 11 8 11 8-4 8-11 8-11-8-11-8z"/><circle cx="12" cy="12" r="3"/>',
  eyeoff: '<path d="M17.94 17.94A10.07 10.07 0 0 1 12 20c-7 0-11-8-11-8a18.45 18.45 0 0 1 5.06-5.94M9.9 4.24A9.12 9.12 0 0 1 12 4c7 0 11 8 11 8a18.5 18.5 0 0 1-2.16 3.19m-6.72-1.07a3 3 0 1 1-4.24-4.24"/><line x1="1" y1="1" x2="23" y2="23"/>',
  trophy: '<path d="M8 21h8M12 17v4M7 4h10v5a5 5 0 0 1-10 0V4z"/><path d="M17 5h3v2a3 3 0 0 1-3 3M7 5H4v2a3 3 0 0 0 3 3"/>',
  trash: '<polyline points="3 6 5 6 21 6"/><path d="M19 6l-1 14a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2L5 6m3 0V4a2 2 0 0 1 2-2h4a2 2 0 0 1 2 2v2"/>',
  edit: '<path d="M12 20h9"/><path d="M16.5 3.5a2.12 2.12 0 0 1 3 3L7 19l-4 1 1-4L16.5 3.5z"/>',
  grip: '<circle cx="9" cy="6" r="1.3" fill="currentColor"/><circle cx="15" cy="6" r="1.3" fill="currentColor"/><circle cx="9" cy="12" r="1.3" fill="currentColor"/><circle cx="15" cy="12" r="1.3" fill="currentColor"/><circle cx="9" cy="18" r="1.3" fill="currentColor"/><circle cx="15" cy="18" r="1.3" fill="currentColor"/>',
  external: '<path d="M18 13v6a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h6"/><polyline points="15 3 21 3 21 9"/><line x1="10" y1="14" x2="21" y2="3"/>',
  sun: '<circle cx="12" cy="12" r="4.5"/><path d="M12 1.5v2.5M12 20v2.5M4.6 4.6l1.8 1.8M17.6 17.6l1.8 1.8M1.5 12H4M20 12h2.5M4.6 19.4l1.8-1.8M17.6 6.4l1.8-1.8"/>',
  moon: '<path d="M21 12.79A9 9 0 1 1 11.21 3 7 7 0 0 0 21 12.79z"/>',
  users: '<path d="M17 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2"/><circle cx="9" cy="7" r="4"/><path d="M23 21v-2a4 4 0 0 0-3-3.87M16 3.13a4 4 0 0 1 0 7.75"/>',
  bolt: '<polygon points="13 2 3 14 12 14 11 22 21 10 12 10 13 2"/>',
  download: '<path d="M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4"/><polyline points="7 10 12 15 17 10"/><line x1="12" y1="15" x2="12" y2="3"/>',
  wifioff: '<line x1="1" y1="1" x2="23" y2="23"/><path d="M16.72 11.06A10.94 10.94 0 0 1 19 12.55M5 12.55a10.94 10.94 0 0 1 5.17-2.39M10.71 5.05A16 16 0 0 1 22.58 9M1.42 9a15.91 15.91 0 0 1 4.7-2.88M8.53 16.11a6 6 0 0 1 6.95 0"/><line x1="12" y1="20" x2="12.01" y2="20"/>',
  keyboard: '<rect x="2" y="5" width="20" height="14" rx="2"/><path d="M6 9h.01M10 9h.01M14 9h.01M18 9h.01M6 13h.01M18 13h.01M8 17h8M10 13h4"/>',
  clock: '<circle cx="12" cy="12" r="10"/><polyline points="12 6 12 12 16 14"/>',
  monitor: '<rect x="2" y="3" width="20" height="14" rx="2"/><line x1="8" y1="21" x2="16" y2="21"/><line x1="12" y1="17" x2="12" y2="21"/>',
  phone: '<rect x="5" y="2" width="14" height="20" rx="2"/><line x1="12" y1="18" x2="12.01" y2="18"/>',
  list: '<line x1="8" y1="6" x2="21" y2="6"/><line x1="8" y1="12" x2="21" y2="12"/><line x1="8" y1="18" x2="21" y2="18"/><line x1="3" y1="6" x2="3.01" y2="6"/><line x1="3" y1="12" x2="3.01" y2="12"/><line x1="3" y1="18" x2="3.01" y2="18"/>',
  vote: '<path d="M9 11l3 3L22 4"/><path d="M21 12v7a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h11"/>',
  pin: '<path d="M9 3h6l-1 6 4 3v2H6v-2l4-3-1-6z"/><line x1="12" y1="14" x2="12" y2="21"/>',
  chat: '<path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"/>',
  ban: '<circle cx="12" cy="12" r="9"/><line x1="5.6" y1="5.6" x2="18.4" y2="18.4"/>',
  chart: '<line x1="4" y1="20" x2="20" y2="20"/><polyline points="4 16 9 10 13 13 20 5"/>',
  settings: '<circle cx="12" cy="12" r="3"/><path d="M19.4 15a1.65 1.65 0 0 0 .33 1.82l.06.06a2 2 0 1 1-2.83 2.83l-.06-.06a1.65 1.65 0 0 0-1.82-.33 1.65 1.65 0 0 0-1 1.51V21a2 2 0 1 1-4 0v-.09A1.65 1.65 0 0 0 9 19.4a1.65 1.65 0 0 0-1.82.33l-.06.06a2 2 0 1 1-2.83-2.83l.06-.06A1.65 1.65 0 0 0 4.68 15a1.65 1.65 0 0 0-1.51-1H3a2 2 0 1 1 0-4h.09A1.65 1.65 0 0 0 4.6 9a1.65 1.65 0 0 0-.33-1.82l-.06-.06a2 2 0 1 1 2.83-2.83l.06.06A1.65 1.65 0 0 0 9 4.68a1.65 1.65 0 0 0 1-1.51V3a2 2 0 1 1 4 0v.09a1.65 1.65 0 0 0 1 1.51 1.65 1.65 0 0 0 1.82-.33l.06-.06a2 2 0 1 1 2.83 2.83l-.06.06A1.65 1.65 0 0 0 19.4 9a1.65 1.65 0 0 0 1.51 1H21a2 2 0 1 1 0 4h-.09a1.65 1.65 0 0 0-1.51 1z"/>',
};

// icon returns a decorative SVG icon (hidden from screen readers).
export function icon(name, cls = '') {
  const span = document.createElement('span');
  span.className = 'icon' + (cls ? ' ' + cls : '');
  span.setAttribute('aria-hidden', 'true');
  span.innerHTML = `<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${ICONS[name] || ''}</svg>`;
  return span;
}

// ---------------------------------------------------------------- HTTP ----

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || '';
  }
}

// api calls a JSON endpoint and returns the decoded body (null for 204);
// bearer, when set, is sent as the Authorization token (a participant's).
// Errors are thrown as ApiError with the server's {"error":{code,message,field}}.
export async function api(path, { method = 'GET', body, csrf, bearer } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (csrf) headers['X-CSRF-Token'] = csrf;
  if (bearer) headers.Authorization = 'Bearer ' + bearer;
  let res;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network', t('err_network'));
  }
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(res.status, e.code || 'http_' + res.status, e.message || res.statusText, e.field);
  }
  return data;
}

// ------------------------------------------------------------ ids, time ----

// uuid returns a random v4 UUID; crypto.randomUUID needs a secure context,
// so plain-HTTP LAN deployments fall back to getRandomValues.
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// timerRemaining returns the milliseconds left on a pitch timer, using the
// server clock offset (server time minus local time).
export function timerRemaining(timer, offset = 0) {
  if (!timer) return 0;
  if (timer.running) return timer.deadline_ms - (Date.now() + offset);
  return timer.remaining_ms;
}

// fmtClock formats milliseconds as m:ss, with a leading minus once overrun.
export function fmtClock(ms) {
  const neg = ms < 0;
  const s = neg ? Math.ceil(-ms / 1000) : Math.ceil(ms / 1000);
  const out = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  return neg && s > 0 ? '−' + out : out;
}

export function fmtNum(x, digits = 2) {
  return new Intl.NumberFormat(lang, { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(x);
}

// fmtScore shows a score or mean with two decimals, as on a scoreboard.
export function fmtScore(x) {
  return new Intl.NumberFormat(lang, { maximumFractionDigits: 2, minimumFractionDigits: 2 }).format(x);
}

export function fmtTime(iso) {
  const d = new Date(iso);
  return new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(d);
}

// fmtHM formats a time as hours and minutes, for posts.
export function fmtHM(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
}

// sameAnswer reports whether two answers (numbers, or lists of numbers) are equal.
export function sameAnswer(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

export function pct(n, total) { return total > 0 ? Math.round((100 * n) / total) : 0; }

// shares are the whole percentages of counts in total that add up to 100
// (largest remainder: each share rounded down, then the points left go to
// the largest fractions, the first of equal ones first), so that three
// equal thirds read 34, 33 and 33, not 33 three times. With total 0, all 0.
export function shares(counts, total) {
  if (!(total > 0)) return counts.map(() => 0);
  const exact = counts.map((n) => (100 * n) / total);
  const out = exact.map(Math.floor);
  let left = 100 - out.reduce((s, x) => s + x, 0);
  const order = exact.map((x, i) => i).sort((a, b) => (exact[b] - out[b]) - (exact[a] - out[a]) || a - b);
  for (const i of order) {
    if (left <= 0) break;
    if (exact[i] > out[i]) { out[i]++; left--; }
  }
  return out;
}

// letter returns A..F for values 1..6.
export function letter(v) { return String.fromCharCode(64 + v); }

// hostPath shows a URL without its scheme, for people to type.
export function hostPath(url) { return String(url || '').replace(/^https?:\/\//, ''); }

// haptic gives a short vibration where the phone offers it and the page may.
export function haptic(ms = 12) {
  if (navigator.vibrate && navigator.userActivation?.hasBeenActive) {
    try { navigator.vibrate(ms); } catch { /* not allowed */ }
  }
}

// ------------------------------------------------------------------ DOM ----

// h builds an element. props: class, text, attrs {}, dataset {}, style {} (custom properties too), on* handlers,
// and any other property set directly (value, disabled, type…). Children may be
// strings, nodes, arrays, null or false. Text always goes through textContent.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'attrs') for (const [a, av] of Object.entries(v)) { if (av !== false && av != null) el.setAttribute(a, av === true ? '' : av); }
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') for (const [p, pv] of Object.entries(v)) { if (p.startsWith('--')) el.style.setProperty(p, pv); else el.style[p] = pv; }
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el[k] = v;
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// A render waits while a pointer is pressed: a frame that replaced the
// button under a finger between press and release would swallow the tap.
// The wait ends with the release (the click has run by then) or after a
// second, so a thumb resting on the screen does not freeze the page.
let pressedAt = -1;
addEventListener('pointerdown', () => { pressedAt = performance.now(); }, true);
for (const type of ['pointerup', 'pointercancel']) addEventListener(type, () => { pressedAt = -1; }, true);
const pressed = () => pressedAt >= 0 && performance.now() - pressedAt < 1000;

// scheduler coalesces render requests into one per animation frame, held
// while a pointer is pressed.
export function scheduler(fn) {
  let queued = false;
  const run = () => {
    if (pressed()) { setTimeout(() => requestAnimationFrame(run), 50); return; }
    queued = false;
    fn();
  };
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(run);
  };
}

// ------------------------------------------------------------ fitting ----
// Names and titles (.fit-line: one line; .fit-lines: at most --lines lines,
// app.css) are never broken inside a word. fitText shrinks such an element's
// font from its stylesheet size until the text fits its box, down to a
// floor; the box wraps between words, hyphenated in the text's language;
// what still does not fit at the floor is cut with an ellipsis. fitLines
// makes a text box of a given height show whole lines only. Both run again
// when the text changes, when the box's width changes, and on resize; call
// them once the element is in the page (a view's update).

const fitted = new Map(); // element → its fitting function
const fitState = new WeakMap(); // element → [width, viewport height, text] at its last fit

const stale = (el) => {
  const [w, vh, text] = fitState.get(el) || [];
  return w !== el.clientWidth || vh !== innerHeight || text !== el.textContent;
};

function refit(el) {
  const fn = fitted.get(el);
  if (!fn || !el.isConnected) return;
  fn(el);
  fitState.set(el, [el.clientWidth, innerHeight, el.textContent]);
}

// A box resized, or its text changed, is fitted again on the next frame,
// outside the observers' callbacks: fitting resizes the box itself.
const fitQueue = new Set();
function queueFit(el) {
  if (!stale(el)) return;
  if (!fitQueue.size) {
    requestAnimationFrame(() => {
      const els = [...fitQueue];
      fitQueue.clear();
      els.filter(stale).forEach(refit);
    });
  }
  fitQueue.add(el);
}

const fitResize = new ResizeObserver((entries) => { for (const { target } of entries) queueFit(target); });
const fitContent = new MutationObserver((records) => {
  for (const r of records) {
    for (let n = r.target; n; n = n.parentNode) if (fitted.has(n)) { queueFit(n); break; }
  }
});
addEventListener('resize', () => { for (const el of [...fitted.keys()]) if (stale(el)) refit(el); });
document.fonts?.ready.then(() => { for (const el of [...fitted.keys()]) refit(el); });

// watchFit registers el (in the page: call it after inserting el) and fits
// it now unless nothing changed since its last fit.
function watchFit(el, key, fn) {
  if (!fitted.has(el)) {
    for (const old of [...fitted.keys()]) if (!old.isConnected) { fitted.delete(old); fitResize.unobserve(old); }
    fitResize.observe(el);
    fitContent.observe(el, { childList: true, characterData: true, subtree: true });
  } else if (fitted.get(el).key === key && !stale(el)) return;
  fn.key = key;
  fitted.set(el, fn);
  refit(el);
}

// overflows tells whether el's text passes its box sideways, or passes its
// lines (its -webkit-line-clamp, counted on the laid-out text) or its height.
// It measures the text itself, to the fraction of a pixel, for a moment
// without the ellipsis and the clamp: scrollWidth is rounded, so a word
// 0.5 px wider than its box passes it though the ellipsis cuts it, and
// Chromium may leave out of a clamped box's scrollWidth a word that the
// ellipsis hides.
function overflows(el) {
  const cs = getComputedStyle(el);
  const clamp = parseInt(cs.webkitLineClamp, 10);
  const { textOverflow, webkitLineClamp } = el.style;
  el.style.textOverflow = 'clip';
  if (clamp) el.style.webkitLineClamp = 'none';
  try {
    if (el.scrollWidth > el.clientWidth + 1) return true;
    const range = document.createRange();
    range.selectNodeContents(el);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0);
    // The content box on the screen (a rising podium place may be scaled).
    const box = el.getBoundingClientRect();
    const sx = el.offsetWidth ? box.width / el.offsetWidth : 1;
    const left = box.left + (el.clientLeft + parseFloat(cs.paddingLeft)) * sx;
    const right = box.left + (el.clientLeft + el.clientWidth - parseFloat(cs.paddingRight)) * sx;
    if (rects.some((r) => r.left < left - 0.1 * sx || r.right > right + 0.1 * sx)) return true;
    if (!clamp) return el.scrollHeight > el.clientHeight + 1;
    const tops = new Set();
    for (const r of rects) tops.add(Math.round(r.top));
    return tops.size > clamp;
  } finally {
    el.style.textOverflow = textOverflow;
    el.style.webkitLineClamp = webkitLineClamp;
  }
}

// fitText fits el's text to its box: min is the smallest font size, a CSS
// length (default: 60 % of the stylesheet's size); lang, when given, is the
// text's language (an event's names are in the event's language, whatever
// the page's), for hyphenation. el.dataset.fit tells what it did: "whole"
// (fits at its size), "shrunk" or "cut" (at the floor, with an ellipsis).
// The text runs in its own direction (dir="auto", unless el has one): an
// Arabic name reads right to left and is cut at its end.
export function fitText(el, { min = '', lang = '' } = {}) {
  if (lang && el.lang !== lang) el.lang = lang;
  if (!el.dir) el.dir = 'auto';
  watchFit(el, `text:${min}:${lang}`, () => {
    el.style.fontSize = '';
    const max = parseFloat(getComputedStyle(el).fontSize);
    let floor = max * 0.6;
    if (min) {
      el.style.fontSize = min;
      floor = Math.min(max, parseFloat(getComputedStyle(el).fontSize));
    }
    el.style.fontSize = '';
    if (!overflows(el) || el.clientWidth === 0) { el.dataset.fit = 'whole'; return; }
    el.style.fontSize = `${floor}px`;
    if (overflows(el)) { el.dataset.fit = 'cut'; return; }
    let lo = floor, hi = max;
    while (hi - lo > 0.5) {
      const mid = (lo + hi) / 2;
      el.style.fontSize = `${mid}px`;
      if (overflows(el)) hi = mid; else lo = mid;
    }
    el.style.fontSize = `${lo}px`;
    el.dataset.fit = 'shrunk';
  });
}

// fitLines makes el (a .fill-lines box, whose height its container sets)
// show as many whole lines as its height holds, at least one, the last
// with an ellipsis when the text is longer.
export function fitLines(el) {
  watchFit(el, 'lines', () => {
    el.style.removeProperty('--lines');
    const lh = parseFloat(getComputedStyle(el).lineHeight) || parseFloat(getComputedStyle(el).fontSize) * 1.2;
    const n = Math.max(1, Math.floor((el.clientHeight + 1) / lh));
    el.style.setProperty('--lines', String(n));
    el.dataset.lines = String(n);
  });
}

// ------------------------------------------------------------ branding ----

function channel(c) {
  const s = c / 255;
  return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

function luminance([r, g, b]) { return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b); }

function contrast(a, b) {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

function mix(a, b, w) { return a.map((v, i) => Math.round(v * (1 - w) + b[i] * w)); }

function hex(rgb) { return '#' + rgb.map((v) => v.toString(16).padStart(2, '0')).join(''); }

// inkOn returns color mixed toward black (or white) just enough to reach
// AA contrast (4.5:1) against every background in bgs.
function inkOn(rgb, bgs, toward) {
  for (let w = 0; w <= 1.0001; w += 0.05) {
    const c = mix(rgb, toward, w);
    if (bgs.every((bg) => contrast(c, bg) >= 4.6)) return hex(c);
  }
  return hex(toward);
}

const LIGHT_BGS = [[244, 244, 247], [255, 255, 255], [236, 236, 242]];
const DARK_BGS = [[12, 12, 18], [22, 22, 31], [32, 32, 43]];

// applyBrand sets --brand, a readable --on-brand, and brand-tinted text
// colours that keep AA contrast on the light and dark surfaces.
export function applyBrand(color) {
  if (!/^#[0-9a-f]{6}$/i.test(color || '')) return;
  const n = parseInt(color.slice(1), 16);
  const rgb = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  const root = document.documentElement.style;
  root.setProperty('--brand', color);
  root.setProperty('--on-brand', contrast(rgb, [255, 255, 255]) >= contrast(rgb, [0, 0, 0]) ? '#fff' : '#000');
  root.setProperty('--brand-ink-light', inkOn(rgb, LIGHT_BGS, [0, 0, 0]));
  root.setProperty('--brand-ink-dark', inkOn(rgb, DARK_BGS, [255, 255, 255]));
  document.querySelector('meta[name="theme-color"]')?.setAttribute('content', color);
}

// Countdowns: any element with class "countdown" and a _timer property
// (a pitch Timer) is refreshed four times a second.
export function startCountdowns(getOffset) {
  const tick = () => {
    document.querySelectorAll('.countdown').forEach((el) => {
      if (!el._timer) return;
      // A countdown that stops at zero (a quiz question's) never shows an overrun.
      const ms = el._timer.stopsAtZero ? Math.max(0, timerRemaining(el._timer, getOffset())) : timerRemaining(el._timer, getOffset());
      const text = fmtClock(ms);
      if (el.textContent !== text) el.textContent = text;
      el.classList.toggle('overrun', ms <= 0);
      el.classList.toggle('low', ms > 0 && ms <= 15000);
      el.classList.toggle('paused', !el._timer.running);
    });
  };
  tick();
  return setInterval(tick, 250);
}

// -------------------------------------------------------- topic store ----

// frameKey names what a frame replaces: frames with the same key supersede
// each other (a tally per target, a ranking per round, a stage per room, a
// feed per room: the control topic carries one for each room; a board, its
// queue or its removal per board, a board's highlight, and a survey).
export function frameKey(f) {
  switch (f.type) {
    case 'tally': return 'tally:' + f.target;
    case 'ranking': return 'ranking:' + f.round_id;
    case 'quiz': return 'quiz:' + (f.quiz ? f.quiz.id : '');
    case 'survey': return 'survey:' + (f.survey ? f.survey.id : '');
    case 'stage': return 'stage:' + (f.room ? f.room.id : '');
    case 'feed': return 'feed:' + (f.room_id ?? '');
    case 'board': case 'board_queue': return 'board:' + (f.board ? f.board.id : '');
    case 'board_removed': return 'board:' + f.board_id;
    case 'board_highlight': return 'board_highlight:' + f.board_id;
    default: return f.type;
  }
}

// TopicStore keeps the latest frame per key of one topic and its resume point.
export class TopicStore {
  constructor(topic) {
    this.topic = topic;
    this.epoch = '';
    this.seq = 0;
    this.frames = new Map();
  }

  applySnapshot(s) {
    if (!s.resumed) this.frames.clear();
    for (const f of s.frames || []) this.frames.set(frameKey(f), f);
    this.epoch = s.epoch;
    this.seq = s.seq;
  }

  // applyFrame stores f unless it is older than what the store holds.
  applyFrame(f) {
    if (typeof f.seq === 'number' && f.seq <= this.seq) return false;
    this.frames.set(frameKey(f), f);
    if (typeof f.seq === 'number') this.seq = f.seq;
    return true;
  }

  get(key) { return this.frames.get(key); }
}

// ---------------------------------------------------------- live socket ----

// Live is the WebSocket client: it reconnects, authenticates, resubscribes
// each topic with its epoch and last seq (so the server only sends what was
// missed), estimates the server clock offset, and detects dead connections
// with an application ping.
//
// Reconnecting (docs/protocol.md §17): a connection that had been open a
// while is tried again once, 250–1000 ms after it dropped. After that, and
// at once after a close 1001 (the server is going away), the page does not
// hammer the WebSocket: it probes GET /healthz about every second (±30 %
// jitter; every 3 s once the outage passes a minute; never while the phone
// reports no network) and opens the socket as soon as a probe answers 200.
// A socket that fails again although the probe answered (the server
// accepts HTTP but not yet WebSockets, or closes at once) waits 1, 2, 4… s,
// capped at 15 s, before the next try; a flood close (4029) 10–20 s.
//
// Events (on the instance): "status" (detail: connecting|open|offline; also
// sent when down changes), "update" (detail: {topic, frame} or {topic,
// snapshot}), "message" (detail: any direct message: ack, error, my_votes,
// auth_ok…), "ready" (after auth and subscribes are sent).
//
// down says, while not open, which side is unreachable: "network" (this
// device has no network), "restarting" (the server said it is going away,
// or answers but is not ready), "server" (the server does not answer), or
// "" (not known yet).
export class Live extends EventTarget {
  constructor({ token = '', topics = [], url } = {}) {
    super();
    this.url = url || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    this.healthURL = new URL('/healthz', this.url.replace(/^ws/, 'http')).href;
    this.token = token;
    this.stores = new Map();
    for (const tp of topics) this.stores.set(tp, new TopicStore(tp));
    this.offset = 0; // server clock minus local clock, ms
    this.bestRtt = Infinity;
    this.status = 'connecting';
    this.down = '';
    this.moderator = false;
    this.degraded = false; // the server says it runs degraded (cluster node without Redis)
    this.ws = null;
    this.openedAt = 0; // when the current socket got its welcome
    this.downSince = 0; // when the last open socket was lost
    this.goingAwayAt = 0; // when the server last closed with 1001
    this.socketFails = 0; // sockets in a row that failed or did not stay open 5 s
    this.nextSocketAt = 0; // no socket attempt before this time (ms)
    this.probing = false;
    this.timer = null;
    this.pingTimer = null;
    this.lastHeard = 0;
    this.stopped = false;
    // A venue's Wi-Fi coming back brings every phone online at once: spread them.
    window.addEventListener('online', () => this.kick(Math.random() * 1000));
    window.addEventListener('offline', () => {
      if (this.ws && this.ready) this.drop();
      else this.setDown('network');
    });
    document.addEventListener('visibilitychange', () => { if (!document.hidden) this.kick(0); });
  }

  now() { return Date.now() + this.offset; }

  store(topic) { return this.stores.get(topic); }

  connect() {
    this.stopped = false;
    clearTimeout(this.timer);
    if (this.ws) { this.ws.onclose = null; try { this.ws.close(); } catch { /* closed */ } }
    let ws;
    try { ws = new WebSocket(this.url); } catch { this.ws = null; this.lost(null, 1006); return; }
    this.ws = ws;
    this.ready = false;
    ws.onmessage = (ev) => this.onMessage(ev.data);
    ws.onclose = (ev) => { if (this.ws === ws) this.lost(ws, ev.code); };
    ws.onerror = () => { /* onclose follows */ };
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stopPing();
    if (this.ws) { this.ws.onclose = null; this.ws.close(1000); this.ws = null; }
    this.setStatus('offline');
  }

  // kick looks for the server after delay ms if the socket is down (network
  // back, tab visible): a probe, then the socket.
  kick(delay = 0) {
    if (this.stopped || (this.ws && this.ws.readyState <= 1)) return;
    this.schedule(() => this.probe(), delay);
  }

  schedule(fn, delay) {
    clearTimeout(this.timer);
    this.timer = setTimeout(fn, Math.max(0, delay));
  }

  // lost handles the end of socket ws (null: it could not be created) with
  // its close code, and plans the way back.
  lost(ws, code) {
    const wasOpen = !!ws && this.ready;
    const stable = wasOpen && Date.now() - this.openedAt >= 5000;
    this.ws = null;
    this.ready = false;
    this.stopPing();
    if (this.stopped) return;
    const now = Date.now();
    if (wasOpen || !this.downSince) this.downSince = now;
    // A server going away (1001) is not the socket's fault: it does not count.
    this.socketFails = stable || code === 1001 ? 0 : this.socketFails + 1;
    this.nextSocketAt = this.socketFails < 2 ? 0 : now + Math.min(15000, 500 * 2 ** (this.socketFails - 1)) * (0.5 + Math.random());
    if (code === 4029) this.nextSocketAt = now + 10000 + Math.random() * 10000;
    if (code === 1001) { this.goingAwayAt = now; this.down = 'restarting'; }
    else if (navigator.onLine === false) this.down = 'network';
    if (this.status === 'offline') this.dispatchEvent(new CustomEvent('status', { detail: this.status })); // down may have changed
    else this.setStatus('offline');
    if (stable && code !== 1001) this.schedule(() => this.connect(), 250 + Math.random() * 750);
    else this.schedule(() => this.probe(), code === 1001 ? 200 + Math.random() * 600 : this.probeDelay());
  }

  // probeDelay is the wait before the next health probe: about a second
  // (±30 %), about three once the outage lasted a minute.
  probeDelay() {
    const base = Date.now() - this.downSince < 60000 ? 1000 : 3000;
    return base * (0.7 + Math.random() * 0.6);
  }

  // probe asks GET /healthz (no cookies, not cached, 2.5 s at most) and
  // opens the socket when it answers 200; otherwise it notes which side is
  // down and probes again later.
  async probe() {
    if (this.stopped || this.ws || this.probing) return;
    if (navigator.onLine === false) {
      this.setDown('network');
      this.schedule(() => this.probe(), this.probeDelay()); // the online event comes sooner
      return;
    }
    this.probing = true;
    let ok = false;
    const ctl = new AbortController();
    const limit = setTimeout(() => ctl.abort(), 2500);
    try {
      const res = await fetch(this.healthURL, { cache: 'no-store', credentials: 'omit', signal: ctl.signal });
      ok = res.ok;
      if (!ok) this.setDown('restarting');
    } catch {
      const leaving = Date.now() - this.goingAwayAt < 60000;
      this.setDown(navigator.onLine === false ? 'network' : leaving ? 'restarting' : 'server');
    } finally {
      clearTimeout(limit);
      this.probing = false;
    }
    if (this.stopped || this.ws) return;
    if (ok) this.schedule(() => this.connect(), this.nextSocketAt - Date.now());
    else this.schedule(() => this.probe(), this.probeDelay());
  }

  setDown(d) {
    if (this.down === d) return;
    this.down = d;
    this.dispatchEvent(new CustomEvent('status', { detail: this.status }));
  }

  setStatus(s) {
    if (this.status === s) return;
    this.status = s;
    this.dispatchEvent(new CustomEvent('status', { detail: s }));
  }

  send(msg) {
    if (!this.ws || this.ws.readyState !== 1 || !this.ready) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  setToken(token) {
    this.token = token;
    if (this.ws && this.ws.readyState === 1 && token) {
      this.ws.send(JSON.stringify({ type: 'auth', id: 'auth', token }));
      // Subscribing again brings my_votes for the new identity.
      for (const st of this.stores.values()) if (st.topic.startsWith('room:')) this.subscribe(st.topic);
    }
  }

  // subscribe follows topic; for a topic already followed it asks again,
  // resuming from the last frame held (the answer carries my_votes on rooms).
  subscribe(topic) {
    if (!this.stores.has(topic)) this.stores.set(topic, new TopicStore(topic));
    const st = this.stores.get(topic);
    if (this.ready) this.ws.send(JSON.stringify({ type: 'subscribe', id: 'sub:' + topic, topic, epoch: st.epoch, last_seq: st.seq }));
  }

  unsubscribe(topic) {
    if (!this.stores.has(topic)) return;
    this.stores.delete(topic);
    if (this.ready) this.ws.send(JSON.stringify({ type: 'unsubscribe', topic }));
  }

  onMessage(data) {
    let m;
    try { m = JSON.parse(data); } catch { return; }
    this.lastHeard = Date.now();
    switch (m.type) {
      case 'welcome': {
        this.offset = m.server_time - Date.now();
        this.bestRtt = Infinity;
        this.moderator = !!m.moderator;
        this.degraded = !!m.degraded;
        this.ready = true;
        if (this.token) this.ws.send(JSON.stringify({ type: 'auth', id: 'auth', token: this.token }));
        for (const st of this.stores.values()) {
          this.ws.send(JSON.stringify({ type: 'subscribe', id: 'sub:' + st.topic, topic: st.topic, epoch: st.epoch, last_seq: st.seq }));
        }
        this.startPing();
        this.openedAt = Date.now();
        this.down = '';
        this.setStatus('open');
        this.dispatchEvent(new Event('ready'));
        return;
      }
      case 'snapshot': {
        const st = this.stores.get(m.topic);
        if (!st) return;
        st.applySnapshot(m);
        this.dispatchEvent(new CustomEvent('update', { detail: { topic: m.topic, snapshot: true } }));
        return;
      }
      case 'service': { // cluster: this node cannot reach the others for now
        this.degraded = m.status === 'degraded';
        this.dispatchEvent(new CustomEvent('status', { detail: this.status }));
        return;
      }
      case 'pong': {
        const sent = this.pings?.get(m.id);
        if (sent) {
          this.pings.delete(m.id);
          const rtt = Date.now() - sent;
          if (rtt <= this.bestRtt * 1.5 || rtt < 100) {
            this.bestRtt = Math.min(this.bestRtt, rtt);
            this.offset = m.server_time - (sent + rtt / 2);
          }
        }
        return;
      }
    }
    if (m.topic && typeof m.seq === 'number') {
      const st = this.stores.get(m.topic);
      if (st && st.applyFrame(m)) this.dispatchEvent(new CustomEvent('update', { detail: { topic: m.topic, frame: m } }));
      return;
    }
    this.dispatchEvent(new CustomEvent('message', { detail: m }));
  }

  // The application ping measures the clock offset and detects a dead link
  // (Wi-Fi gone without a TCP close): no message for 10 s after a ping → reconnect.
  startPing() {
    this.stopPing();
    this.pings = new Map();
    let n = 0;
    const ping = () => {
      if (!this.ws || this.ws.readyState !== 1) return;
      const id = 'p' + ++n;
      this.pings.set(id, Date.now());
      this.ws.send(JSON.stringify({ type: 'ping', id }));
      const sentAt = Date.now();
      this.deadTimer = setTimeout(() => { if (this.lastHeard < sentAt) this.drop(); }, 10000);
    };
    this.firstPing = setTimeout(ping, 300);
    this.pingTimer = setInterval(ping, 15000);
  }

  stopPing() {
    clearTimeout(this.firstPing);
    clearInterval(this.pingTimer);
    clearTimeout(this.deadTimer);
  }

  // drop abandons a silent socket without waiting for its close handshake.
  drop() {
    const ws = this.ws;
    if (!ws) return;
    ws.onclose = null;
    ws.onmessage = null;
    try { ws.close(); } catch { /* already closed */ }
    this.lost(ws, 1006);
  }
}

// ---------------------------------------------------------- vote sender ----

// Errors after which resending the same vote cannot succeed.
const FINAL_ERRORS = new Set(['voting_closed', 'bad_value', 'not_found', 'invalid', 'forbidden', 'bad_message', 'too_large']);

// VoteSender sends votes over a Live socket and keeps every unacknowledged
// vote in localStorage, resending it with the same vote_id after reconnects
// until the server acks it or refuses it for good. Only the latest vote per
// target is kept: a newer choice supersedes a pending one.
//
// It also notices when a moderator resets votes: a tally with total 0 for a
// target this phone holds a counted vote for makes it subscribe again to the
// room, and the my_votes that answers says whether the vote is gone (a reset)
// or still there (the tally was computed just before the vote committed).
//
// state(target) returns {value, status, message}: status is "sending",
// "received" or "queued" (a cluster edge holds it; not yet counted), "offline", "counted", "changed", "error", "reset" or "" (no vote). A vote is
// never shown as counted before its ack. Emits "change" and "unauthorized".
export class VoteSender extends EventTarget {
  constructor(live, storageKey) {
    super();
    this.live = live;
    this.key = storageKey;
    this.pending = new Map(); // target → {vote_id, target, value, sentAt}
    this.confirmed = new Map(); // target → {value, status}
    this.errors = new Map(); // target → {value, code, message}
    this.resets = new Set(); // targets whose counted vote a moderator reset
    this.resync = new Map(); // topic → timer
    this.answers = new Map(); // target → {mine, value}: what the server told of this phone's answers there, for which vote value
    try {
      for (const v of JSON.parse(localStorage.getItem(storageKey) || '[]')) {
        if (v && v.vote_id && v.target && v.value) this.pending.set(v.target, { ...v, sentAt: 0 });
      }
    } catch { /* ignore a corrupt entry */ }
    live.addEventListener('ready', () => this.flush());
    live.addEventListener('status', () => this.emit());
    live.addEventListener('message', (ev) => this.onMessage(ev.detail));
    live.addEventListener('update', (ev) => this.onFrame(ev.detail.frame));
    setInterval(() => this.flush(8000), 2000);
  }

  save() {
    try {
      localStorage.setItem(this.key, JSON.stringify([...this.pending.values()].map(({ vote_id, target, value }) => ({ vote_id, target, value }))));
    } catch { /* storage full or off: the vote still lives in memory */ }
  }

  emit() { this.dispatchEvent(new Event('change')); }

  vote(target, value) {
    const v = { vote_id: uuid(), target, value, sentAt: 0 };
    this.pending.set(target, v);
    this.errors.delete(target);
    this.resets.delete(target);
    this.save();
    this.sendOne(v);
    this.emit();
  }

  sendOne(v) {
    // A number is sent as value; an answer of another shape (a list of choices) as answer.
    const answer = typeof v.value === 'number' ? { value: v.value } : { answer: v.value };
    if (this.live.send({ type: 'vote', vote_id: v.vote_id, target: v.target, ...answer })) v.sentAt = Date.now();
  }

  // flush (re)sends pending votes: all of them after a reconnect, or those
  // unanswered for olderThan ms.
  flush(olderThan = 0) {
    const now = Date.now();
    for (const v of this.pending.values()) {
      if (olderThan && v.stage && v.sentAt) continue; // on its way to the core: sent again after a reconnect only
      if (!olderThan || (v.sentAt && now - v.sentAt > olderThan) || !v.sentAt) this.sendOne(v);
    }
  }

  onFrame(f) {
    if (!f || f.type !== 'tally' || f.total !== 0 || !this.confirmed.has(f.target)) return;
    // Spread the phones of a room over half a second after a reset.
    clearTimeout(this.resync.get(f.topic));
    this.resync.set(f.topic, setTimeout(() => this.live.subscribe(f.topic), 50 + Math.random() * 450));
  }

  onMessage(m) {
    if (m.type === 'my_votes') {
      const next = new Map();
      for (const [target, value] of Object.entries(m.votes || {})) {
        const prev = this.confirmed.get(target);
        next.set(target, { value, status: prev && sameAnswer(prev.value, value) ? prev.status : 'counted' });
        this.resets.delete(target);
      }
      for (const target of this.confirmed.keys()) {
        if (!next.has(target) && !this.pending.has(target)) this.resets.add(target);
      }
      this.confirmed = next;
      this.setAnswers(m);
      return;
    }
    if (m.type === 'ack' && (m.status === 'received' || m.status === 'queued')) {
      // A cluster edge has the vote (in the core's stream, or held while degraded):
      // still pending until the core's commit says counted.
      const p = this.pending.get(m.target);
      if (p && p.vote_id === m.vote_id) { p.stage = m.status; this.emit(); }
      return;
    }
    if (m.type === 'ack') {
      const p = this.pending.get(m.target);
      if (p && p.vote_id === m.vote_id) {
        this.pending.delete(m.target);
        this.save();
        this.confirmed.set(m.target, { value: m.value ?? m.answer, status: m.status === 'changed' ? 'changed' : 'counted' });
        this.emit();
      }
      return;
    }
    if (m.type === 'error' && m.vote_id) {
      const p = [...this.pending.values()].find((v) => v.vote_id === m.vote_id);
      if (!p) return;
      if (m.code === 'unauthorized') {
        p.sentAt = 0;
        this.dispatchEvent(new Event('unauthorized'));
      } else if (FINAL_ERRORS.has(m.code)) {
        this.pending.delete(p.target);
        this.save();
        this.errors.set(p.target, { value: p.value, code: m.code, message: m.message });
      } else {
        // rate_limited, busy, internal: try again shortly with the same vote_id.
        p.sentAt = Date.now();
        setTimeout(() => { if (this.pending.get(p.target) === p) this.sendOne(p); }, 1000 + Math.random() * 2000);
      }
      this.emit();
    }
  }

  // setAnswers keeps what my_votes, or GET /api/me, tells of the phone's
  // answers ({answers, votes}) and emits "change".
  setAnswers(m) {
    this.answers = new Map(Object.entries(m.answers || {}).map(([target, mine]) => [target, { mine, value: m.votes?.[target] }]));
    this.emit();
  }

  // mine(target) is what the server told of the phone's answer there (an
  // open-text answer's {id, state, upvoted}), or null. Told for an earlier
  // answer than the one counted now, it keeps only the upvotes.
  mine(target) {
    const a = this.answers.get(target);
    if (!a) return null;
    const c = this.confirmed.get(target);
    return c && sameAnswer(c.value, a.value) ? a.mine : { upvoted: a.mine.upvoted || [] };
  }

  state(target) {
    const p = this.pending.get(target);
    if (p) return { value: p.value, status: this.live.status !== 'open' ? 'offline' : p.stage || 'sending' };
    const e = this.errors.get(target);
    if (e) return { value: e.value, status: 'error', code: e.code, message: errorText(e.code, e.message) };
    const c = this.confirmed.get(target);
    if (c) return { value: c.value, status: c.status };
    if (this.resets.has(target)) return { value: 0, status: 'reset' };
    return { value: 0, status: '' };
  }
}

// ------------------------------------------------------------- widgets ----
// These update their container in place when its shape is unchanged, so that
// bars animate and nothing a user is about to tap is replaced under a finger.

// keypad returns the keys of values 1..n, for a question's input: one tap
// votes (onVote(v)). cls is each key's class, label(v) its face, aria(v)
// its name for screen readers, extra(v) what follows the face. Each key
// carries data-v and aria-pressed, which the page keeps in step with the vote.
export function keypad(n, { cls, label, aria, extra, onVote }) {
  const keys = [];
  for (let v = 1; v <= n; v++) {
    keys.push(h('button', {
      type: 'button', class: cls, dataset: { v: String(v) }, attrs: { 'aria-pressed': 'false', 'aria-label': aria(v) },
      onclick: () => { haptic(10); onVote(v); },
    }, label(v), extra ? extra(v) : null));
  }
  return keys;
}

// tallyCounts returns audience + jury counts per value (length n) from a tally frame.
export function tallyCounts(tally, n) {
  const out = new Array(n).fill(0);
  if (!tally) return out;
  for (let i = 0; i < n; i++) out[i] = (tally.counts?.[i] || 0) + (tally.jury_counts?.[i] || 0);
  return out;
}

// updateBars shows horizontal bars: rows are {label, n}; widths are shares
// of the total, or of `of` when given (respondents, for answers of several choices). Each bar is one image for screen readers, with its numbers.
export function updateBars(box, rows, of) {
  if (box.children.length !== rows.length) {
    box.replaceChildren(...rows.map(() => h('div', { class: 'bar', attrs: { role: 'img' } },
      h('span', { class: 'label', dir: 'auto', attrs: { 'aria-hidden': 'true' } }),
      h('div', { class: 'track', attrs: { 'aria-hidden': 'true' } }, h('div', { class: 'fill' })),
      h('span', { class: 'value', attrs: { 'aria-hidden': 'true' } }))));
  }
  box.style.setProperty('--rows', String(rows.length));
  const total = of ?? rows.reduce((s, r) => s + r.n, 0);
  const max = Math.max(0, ...rows.map((r) => r.n));
  // Shares of one whole add up to 100; of respondents who pick several, each stands alone.
  const pcts = of === undefined ? shares(rows.map((r) => r.n), total) : rows.map((r) => pct(r.n, total));
  rows.forEach((r, i) => {
    const b = box.children[i];
    const share = pcts[i];
    b.children[0].textContent = r.label;
    b.querySelector('.fill').style.width = `${share}%`;
    b.children[2].textContent = `${share} %`;
    b.classList.toggle('lead', r.n > 0 && r.n === max);
    b.dataset.count = String(r.n);
    b.setAttribute('aria-label', `${r.label}: ${t('votes', { n: r.n })}, ${share} %`);
  });
}

// markCorrect marks the rows of box (bars or legend rows, one per choice,
// in order) whose choice is right, once a poll's correct answer is
// revealed (poll.correct_revealed; poll.correct lists the choices, 1 for
// A); it unmarks them otherwise.
export function markCorrect(box, poll) {
  const right = poll.correct_revealed ? new Set(poll.correct || []) : new Set();
  [...box.children].forEach((row, i) => {
    const on = right.has(i + 1);
    row.classList.toggle('correct', on);
    row.dataset.correct = String(on);
    if (on && row.getAttribute('aria-label') && !row.getAttribute('aria-label').endsWith(t('correct_mark'))) {
      row.setAttribute('aria-label', `${row.getAttribute('aria-label')}, ${t('correct_mark')}`);
    }
  });
}

// answeredRight reports whether a phone's answer v (a choice number, or a
// list of them for a multiple question) is right: for single choice, one
// of the correct choices; for multiple, exactly the correct choices, all
// ticked and none other.
export function answeredRight(poll, v) {
  const correct = poll.correct || [];
  if (Array.isArray(v)) {
    const mine = [...v].sort((a, b) => a - b);
    return mine.length === correct.length && mine.every((x, i) => x === correct[i]);
  }
  return correct.includes(v);
}

// updateHist shows a vertical histogram of counts for values 1..n; the box
// is one image for screen readers, described value by value.
export function updateHist(box, counts) {
  if (box.children.length !== counts.length) {
    box.replaceChildren(...counts.map((_, i) => h('div', { class: 'col', dataset: { value: String(i + 1) }, attrs: { 'aria-hidden': 'true' } },
      h('span', { class: 'n' }), h('div', { class: 'fill' }), h('span', { class: 'v', text: String(i + 1) }))));
  }
  box.setAttribute('role', 'img');
  const max = Math.max(1, ...counts);
  counts.forEach((n, i) => {
    const c = box.children[i];
    c.dataset.count = String(n);
    c.children[0].textContent = String(n);
    // The fill and the space above it share the column's free height (see app.css).
    c.style.setProperty('--n', String(n));
    c.style.setProperty('--rest', String(max - n));
  });
  box.setAttribute('aria-label', `${t('hist_label')} ${counts.map((n, i) => `${i + 1}: ${n}`).join(', ')}`);
}

// hasJury tells whether any entry of a ranking has jury votes.
export function hasJury(entries) { return (entries || []).some((e) => e.jury && e.jury.count > 0); }

// scoreParts describes an entry's audience and jury parts, e.g.
// "audience 4.25 (12) · jury 3.00 (3)".
export function scoreParts(e, withJury) {
  const a = e.audience.count ? `${t('part_audience')} ${fmtScore(e.audience.mean)} (${e.audience.count})` : `${t('part_audience')} –`;
  if (!withJury) return t('votes', { n: e.audience.count + e.jury.count });
  const j = e.jury.count ? `${t('part_jury')} ${fmtScore(e.jury.mean)} (${e.jury.count})` : `${t('part_jury')} –`;
  return `${a} · ${j}`;
}

// entryData is the machine-readable face of a ranking entry, for tests and tools.
export function entryData(e) {
  return {
    rank: String(e.rank), pitchId: String(e.pitch_id), team: e.team, score: String(e.score),
    audienceMean: String(e.audience.mean), audienceCount: String(e.audience.count),
    juryMean: String(e.jury.mean), juryCount: String(e.jury.count), tieBreak: e.tie_break || '',
  };
}

// tieText says, in small print, which tie-break placed e below the entry
// ranked just above it (docs/protocol.md §12); '' when the score decided.
export function tieText(e) {
  return e.tie_break ? t(`tie_${e.tie_break}`, { n: e.rank - 1 }) : '';
}

// rankingList renders a ranking frame's entries (at most limit) as a list,
// medals for the podium, with the audience and jury parts when a jury voted,
// and the tie-break that placed an entry below an equal score.
export function rankingList(entries, limit = 50) {
  const withJury = hasJury(entries);
  return h('ol', { class: 'ranking' }, (entries || []).slice(0, limit).map((e) => {
    const n = e.audience.count + e.jury.count;
    return h('li', { class: e.rank === 1 && n > 0 ? 'top' : '', dataset: entryData(e) },
      e.rank <= 3 && n > 0 ? h('span', { class: `medal m${e.rank}`, text: String(e.rank), attrs: { 'aria-label': t('rank_n', { n: e.rank }) } })
        : h('span', { class: 'rank', text: String(e.rank), attrs: { 'aria-label': t('rank_n', { n: e.rank }) } }),
      h('span', { class: 'who' }, h('strong', { class: 'fit-lines', text: e.team }),
        e.presenter ? h('span', { class: 'parts', text: e.presenter }) : null,
        withJury ? h('span', { class: 'parts', text: scoreParts(e, true) }) : null,
        e.tie_break ? h('span', { class: 'parts tie', dataset: { tieBreak: e.tie_break }, text: tieText(e) }) : null),
      h('span', { class: 'score' }, n ? fmtScore(e.score) : '–', h('span', { class: 'small', text: t('votes', { n }) })));
  }));
}

// ---------------------------------------------------------------- feed ----
// Feed items come from anyone on the internet: every field is inserted as
// text (h() uses textContent), links keep http(s) URLs only.

// safeURL returns url when it is an absolute http(s) URL, else ''.
export function safeURL(url) {
  try {
    const u = new URL(String(url || ''));
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : '';
  } catch { return ''; }
}

const SOURCE_NAMES = { x: 'X', mastodon: 'Mastodon', bluesky: 'Bluesky', webhook: 'Webhook' };

// sourceName names a feed source for people ("Mastodon", "X"…); posts from
// the event page come from its audience, not from a product they never saw.
export function sourceName(s) { return s === 'app' ? t('source_app') : SOURCE_NAMES[s] || String(s || ''); }

// authorLine is how a post is signed: the display name, then the handle
// (in-app pseudonyms are not shown: they mean nothing to people).
export function authorLine(it) {
  const name = it.author_name || '';
  const handle = it.source === 'app' ? '' : it.author ? '@' + it.author : '';
  return [name, handle].filter(Boolean).join(' ') || handle || t('feed_anonymous');
}

// latestFeed merges a feed frame's pinned and other items: pinned first,
// then newest first, each once.
export function latestFeed(f) {
  if (!f) return [];
  const seen = new Set();
  const out = [];
  for (const it of [...(f.pinned || []), ...(f.items || [])]) {
    if (seen.has(it.id)) continue;
    seen.add(it.id);
    out.push(it);
  }
  return out;
}

// feedPost renders one item as an article: author, source, time, text, and
// its link when it is http(s). extra children go at the end (buttons).
export function feedPost(it, { cls = 'post', link = true } = {}, ...extra) {
  const href = link ? safeURL(it.link) : '';
  return h('article', { class: `${cls}${it.pinned ? ' pinned' : ''}`, dataset: { itemId: String(it.id), status: it.status || '' } },
    h('div', { class: 'post-head' },
      it.pinned ? h('span', { class: 'pin-badge', attrs: { 'aria-label': t('feed_pinned'), title: t('feed_pinned') } }, icon('pin')) : null,
      h('strong', { class: 'post-author', text: authorLine(it) }),
      h('span', { class: 'post-meta', text: `${sourceName(it.source)} · ${fmtHM(it.posted_at || it.received_at)}` })),
    h('p', { class: 'post-text', text: it.text }),
    href ? h('a', { class: 'post-link', href, target: '_blank', rel: 'noopener noreferrer nofollow ugc', text: hostPath(href).slice(0, 60) }) : null,
    ...extra);
}

// followFeed makes sure the store of each room:N or stage:N topic live
// follows holds the room's feed frame (key feed:N): the server sends one on
// every change, but a snapshot after a server restart holds none until the
// next change, so when a snapshot comes without it the page asks GET
// /api/events/CODE/feed. A frame that arrived meanwhile wins. onChange runs
// after a seed.
export function followFeed(live, code, onChange) {
  const busy = new Set();
  const seed = async (topic) => {
    const roomId = Number(topic.split(':')[1]);
    const key = `feed:${roomId}`;
    const st = live.store(topic);
    if (!st || st.get(key) || busy.has(topic)) return;
    busy.add(topic);
    try {
      const page = await api(`/api/events/${encodeURIComponent(code)}/feed?room_id=${roomId}&limit=20`);
      const now = live.store(topic);
      if (now && !now.get(key)) { now.frames.set(key, { ...page, type: 'feed' }); onChange(); }
    } catch { /* the next snapshot tries again */ } finally { busy.delete(topic); }
  };
  live.addEventListener('update', (ev) => {
    if (ev.detail.snapshot && /^(room|stage):\d+$/.test(ev.detail.topic)) seed(ev.detail.topic);
  });
}

// ---------------------------------------------------------------- boards ----

// boardFrames returns the board frames (type, e.g. "board" or
// "board_queue") a topic store holds, oldest board first; removed boards
// are left out (their board_removed frame replaced them).
export function boardFrames(store, type = 'board') {
  if (!store) return [];
  const out = [];
  for (const f of store.frames.values()) if (f.type === type && f.board) out.push(f);
  return out.sort((a, b) => a.board.id - b.board.id);
}

// boardHighlight returns the entry on stage among the boards of a room or
// stage store, with its board, or null: the latest highlight wins.
export function boardHighlight(store) {
  let best = null;
  for (const f of boardFrames(store)) {
    const hl = store.get(`board_highlight:${f.board.id}`);
    if (hl && hl.entry && (!best || (hl.seq || 0) > (best.hl.seq || 0))) best = { hl, board: f.board, entry: hl.entry };
  }
  return best;
}

// sortEntries orders board entries as the server does: pinned first, then
// by sort (top: most upvotes, older first; newest; trending).
export function sortEntries(entries, sort = 'top') {
  const top = (a, b) => b.upvotes - a.upvotes || Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id;
  const cmp = sort === 'newest' ? (a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id
    : sort === 'trending' ? (a, b) => (b.trending || 0) - (a.trending || 0) || top(a, b) : top;
  return entries.slice().sort((a, b) => (b.pinned ? 1 : 0) - (a.pinned ? 1 : 0) || cmp(a, b));
}
