// Moments page (/moments/CODE?room=ID): a room's posts per minute as an
// inline SVG chart with its peaks marked, and each moment (a peak) with its
// time, volume, top approved posts and a link into the room's recording at
// that offset. ?from= and ?to= (RFC 3339) choose the period (default: the
// last 24 hours, as GET /api/events/CODE/moments). It refreshes every minute.
import { h } from '/static/lib/dom.js';
import { feedPost, safeURL, sourceName } from '/static/lib/feed.js';
import { fmtHM } from '/static/lib/format.js';
import { api } from '/static/lib/http.js';
import { icon } from '/static/lib/icons.js';
import { t, wireLangSwitch, setAvailableLangs } from '/static/lib/lang.js';
import { wireThemeSwitch, initTheme, applyBrand } from '/static/lib/theme.js';

const params = new URLSearchParams(location.search);
const code = decodeURIComponent(location.pathname.split('/')[2] || '').trim().toUpperCase();
const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
let event = null;
let roomId = 0;
let page = null;

initTheme();
wireLangSwitch();
wireThemeSwitch();

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) if (c) el.append(c);
  return el;
}

// fmtOffset shows seconds into a recording as h:mm:ss.
function fmtOffset(s) {
  const p = (n) => String(n).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}`;
}

async function load() {
  try {
    if (!event) {
      event = await api(`/api/events/${encodeURIComponent(code)}`);
      setAvailableLangs(event.languages);
      applyBrand(event.color);
      const logo = $('logo');
      if (event.logo_url) { logo.src = event.logo_url; logo.hidden = false; }
      const wanted = Number(params.get('room'));
      roomId = (event.rooms.find((r) => r.id === wanted) || event.rooms[0]).id;
    }
    const q = new URLSearchParams({ room_id: String(roomId) });
    for (const k of ['from', 'to']) if (params.get(k)) q.set(k, params.get(k));
    page = await api(`/api/events/${encodeURIComponent(code)}/moments?${q}`);
    render();
  } catch (e) {
    $('moments-list').replaceChildren(h('p', { class: 'card form-error', attrs: { role: 'alert' }, text: e.code === 'not_found' ? t('no_event') : e.message }));
  }
}

function render() {
  if (!event || !page) return;
  const room = event.rooms.find((r) => r.id === roomId);
  $('title').textContent = event.title;
  document.title = `${t('moments_title')} — ${room ? room.name : ''} — ${event.title}`;
  $('room-tabs').replaceChildren(...event.rooms.map((r) => h('a', {
    class: `btn btn-small${r.id === roomId ? ' btn-primary' : ''}`, href: `?room=${r.id}`, text: r.name,
    attrs: { 'aria-current': r.id === roomId ? 'page' : null },
  })));
  $('room-tabs').hidden = event.rooms.length < 2;
  const total = page.volume.reduce((s, v) => s + v.count, 0);
  $('summary').replaceChildren(
    h('span', { class: 'tag', text: t('moments_posts', { n: total }) }),
    ...Object.entries(page.by_source || {}).map(([src, n]) => h('span', { class: 'tag', text: `${sourceName(src)} ${n}` })),
    params.get('from') ? null : h('span', { class: 'muted', text: t('moments_range') }));
  drawChart();
  renderMoments();
}

// drawChart draws the chart at the width of its box, again when that changes.
let chartWidth = 0;
function drawChart() {
  chartWidth = $('chart-box').clientWidth;
  $('chart-box').replaceChildren(chart(page, chartWidth), h('figcaption', { class: 'small muted', text: t('moments_chart') }));
}
new ResizeObserver(() => { if (page && $('chart-box').clientWidth !== chartWidth) drawChart(); }).observe($('chart-box'));

// chart draws one bar per minute with a post, the peaks in the accent colour
// with their number above, on a time axis that ends at the period's end
// (now, unless ?to= is earlier) and spans ten minutes at least. It is width
// CSS pixels wide, so that its labels keep the page's text size.
function chart(p, width) {
  const W = Math.max(280, Math.round(width || 960)), H = W < 600 ? 220 : 260;
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
  const L = Math.round(2.6 * rem), R = 12, T = Math.round(1.6 * rem), B = Math.round(1.9 * rem);
  const pts = p.volume.map((v) => ({ at: Date.parse(v.minute), n: v.count }));
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'vchart', id: 'volume-chart', role: 'img' });
  if (!pts.length) {
    root.setAttribute('aria-label', t('moments_no_posts'));
    root.append(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'vc-empty' }));
    root.lastChild.textContent = t('moments_no_posts');
    return root;
  }
  const minute = 60000;
  const now = Date.now();
  const last = Math.max(...pts.map((x) => x.at));
  const t1 = Math.max(last, Math.min(Date.parse(p.to) || now, now));
  const t0 = Math.min(...pts.map((x) => x.at), t1 - 10 * minute);
  const span = t1 - t0;
  root.dataset.from = new Date(t0).toISOString();
  root.dataset.to = new Date(t1).toISOString();
  const max = Math.max(1, ...pts.map((x) => x.n));
  const x = (at) => L + ((W - L - R) * (at - t0)) / span;
  const y = (n) => H - B - ((H - B - T) * n) / max;
  const bw = Math.max(1.5, ((W - L - R) * minute) / span - 1);
  const peaks = new Map(p.moments.map((m, i) => [Date.parse(m.at), i + 1]));
  // Axes: a baseline, the maximum, and a few times.
  root.append(svg('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'vc-axis' }));
  for (const n of [0, max]) {
    const lab = svg('text', { x: L - 6, y: y(n) + 4, 'text-anchor': 'end', class: 'vc-label' });
    lab.textContent = String(n);
    root.append(lab, svg('line', { x1: L, x2: W - R, y1: y(n), y2: y(n), class: 'vc-grid' }));
  }
  const ticks = Math.max(1, Math.min(4, Math.floor((W - L - R) / (6 * rem))));
  for (let i = 0; i <= ticks; i++) {
    const at = t0 + (span * i) / ticks;
    const lab = svg('text', { x: x(at), y: H - 8, 'text-anchor': i === 0 ? 'start' : i === ticks ? 'end' : 'middle', class: 'vc-label' });
    lab.textContent = fmtHM(new Date(at).toISOString());
    root.append(lab);
  }
  for (const pt of pts) {
    const peak = peaks.get(pt.at);
    const w = Math.max(1.5, Math.min(bw, x(t1) - x(pt.at))); // the current minute ends now
    const bar = svg('rect', { x: x(pt.at), y: y(pt.n), width: w, height: Math.max(0, H - B - y(pt.n)), class: peak ? 'vc-bar vc-peak' : 'vc-bar' });
    const tip = svg('title');
    tip.textContent = `${fmtHM(new Date(pt.at).toISOString())} · ${t('moments_posts', { n: pt.n })}`;
    bar.append(tip);
    root.append(bar);
    if (peak) {
      const cx = Math.min(x(pt.at) + w / 2, W - 10);
      const a = svg('a', { href: `#moment-${peak}` }, svg('circle', { cx, cy: y(pt.n) - 11, r: 9, class: 'vc-dot' }));
      const num = svg('text', { x: cx, y: y(pt.n) - 7, 'text-anchor': 'middle', class: 'vc-num' });
      num.textContent = String(peak);
      a.append(num);
      root.append(a);
    }
  }
  root.setAttribute('aria-label', `${t('moments_chart')}: ${t('moments_posts', { n: pts.reduce((s, v) => s + v.n, 0) })}, ${p.moments.length} ${t('moments_title').toLowerCase()}`);
  return root;
}

function renderMoments() {
  const list = $('moments-list');
  if (!page.moments.length) {
    list.replaceChildren(h('p', { class: 'card empty', id: 'no-moments', text: t('moments_none') }));
    return;
  }
  const rec = page.recording && safeURL(page.recording.url);
  list.replaceChildren(...page.moments.map((m, i) => {
    const href = safeURL(m.recording_url);
    return h('article', { class: 'card moment', id: `moment-${i + 1}`, dataset: { at: m.at, volume: String(m.volume) } },
      h('div', { class: 'card-head' },
        h('span', { class: 'moment-num', text: String(i + 1), attrs: { 'aria-hidden': 'true' } }),
        h('h2', { text: fmtHM(m.at) }),
        h('span', { class: 'tag live', text: t('moments_posts', { n: m.volume }) }),
        h('span', { class: 'small muted', text: t('moments_baseline', { n: m.baseline }) }),
        h('span', { class: 'spacer' }),
        href ? h('a', { class: 'btn btn-small btn-primary moment-watch', href, target: '_blank', rel: 'noopener' },
          icon('play'), h('span', { text: t('moments_watch', { time: fmtOffset(m.offset_s || 0) }) }))
          : h('span', { class: 'small muted', text: rec ? '' : t('moments_no_recording') })),
      h('div', { class: 'feed-list' }, (m.top || []).map((it) => feedPost(it))));
  }));
}

window.addEventListener('langchange', render);
if (!/^[A-Z0-9]{3,12}$/.test(code)) $('moments-list').replaceChildren(h('p', { class: 'card form-error', text: t('no_event') }));
else { load(); setInterval(load, 60000); }
