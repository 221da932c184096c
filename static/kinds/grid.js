// Rating grid: 1 to 12 statements (the poll's choices) rated on one scale
// from 1 to scale_max (5 to 10), with words at its two ends
// (settings.low, settings.high); each statement is rated or skipped, then
// the whole grid is sent. The answer is an object from each statement's
// number to its value, null for a skip: {"1": 4, "2": null}. Results give
// each statement its mean, its count and its distribution. Its parts for
// each screen follow the contract of /static/kinds/index.js.
import { h, haptic } from '/static/lib/dom.js';
import { fmtNum, sameAnswer } from '/static/lib/format.js';
import { t } from '/static/lib/lang.js';
import { radioGroup } from '/static/lib/widgets.js';

// size is the number of statements.
export const size = (q) => q.choices.length;

// definition is what the question's input is built from.
export const definition = (q) => ({ choices: q.choices, scale_max: q.scale_max, settings: q.settings || null });

const ends = (q) => ({ low: q.settings?.low || '', high: q.settings?.high || '' });

// statements are the tally's statements, audience and jury together.
function statements(q, tally) {
  const max = q.scale_max;
  return q.choices.map((text, i) => {
    const s = tally?.statements?.[i];
    const counts = new Array(max).fill(0).map((_, v) => (s?.counts?.[v] || 0) + (s?.jury_counts?.[v] || 0));
    const count = counts.reduce((a, b) => a + b, 0);
    const mean = count ? counts.reduce((a, n, v) => a + n * (v + 1), 0) / count : 0;
    return { n: i + 1, text, counts, count, mean, skipped: s?.skipped || 0 };
  });
}

// resultRows shows each statement as a row: its text, a bar of its mean
// on the scale, the mean and the answers, and, with dist, the columns of
// its distribution.
function resultRows(box, q, tally, { dist = false } = {}) {
  box.classList.add('grid-result');
  const list = statements(q, tally);
  box.style.setProperty('--rows', String(list.length));
  if (box.children.length !== list.length || box.dataset.max !== String(q.scale_max)) {
    box.dataset.max = String(q.scale_max);
    box.replaceChildren(...list.map((s) => h('div', { class: 'bar grid-row', dataset: { statement: String(s.n) }, attrs: { role: 'img' } },
      h('span', { class: 'label', dir: 'auto', attrs: { 'aria-hidden': 'true' } }),
      h('div', { class: 'track', attrs: { 'aria-hidden': 'true' } }, h('div', { class: 'fill' })),
      h('span', { class: 'value', attrs: { 'aria-hidden': 'true' } }),
      dist ? h('span', { class: 'grid-dist', attrs: { 'aria-hidden': 'true' } }, s.counts.map(() => h('span'))) : null,
      h('span', { class: 'small muted grid-more', attrs: { 'aria-hidden': 'true' } }))));
  }
  list.forEach((s, i) => {
    const row = box.children[i];
    row.querySelector('.label').textContent = s.text;
    row.querySelector('.fill').style.width = `${s.count ? Math.round((100 * (s.mean - 1)) / Math.max(1, q.scale_max - 1)) : 0}%`;
    row.querySelector('.value').textContent = s.count ? fmtNum(s.mean, 1) : '–';
    row.querySelector('.grid-more').textContent = t('grid_more', { n: s.count, s: s.skipped });
    const d = row.querySelector('.grid-dist');
    if (d) {
      const top = Math.max(1, ...s.counts);
      s.counts.forEach((c, v) => { d.children[v].style.height = `${(100 * c) / top}%`; d.children[v].title = `${v + 1}: ${c}`; });
    }
    row.dataset.count = String(s.count);
    row.dataset.mean = s.count ? s.mean.toFixed(3) : '';
    row.setAttribute('aria-label', t('grid_row', { x: s.text, m: s.count ? fmtNum(s.mean, 1) : '–', max: q.scale_max, more: t('grid_more', { n: s.count, s: s.skipped }) }));
  });
}

// scaleLegend is the line of the scale's two ends above the rows.
function scaleLegend(q) {
  const { low, high } = ends(q);
  return h('div', { class: 'grid-ends small muted', attrs: { 'aria-hidden': 'true' } },
    h('span', { text: `1${low ? ` = ${low}` : ''}`, dir: 'auto' }), h('span', { text: `${q.scale_max}${high ? ` = ${high}` : ''}`, dir: 'auto' }));
}

export const audience = {
  // input is one row per statement: its text, the values as big buttons
  // that wrap, and a Skip button, a radio group moved with the arrow keys
  // as the keypads are (lib/widgets.js's radioGroup); then Send, once every statement is rated
  // or skipped and one at least is rated. The choices are the phone's own
  // until sent; sync shows the answer the server has (or the one on its
  // way) until the person changes a row.
  input(q, { labelledBy, onVote }) {
    const n = size(q), max = q.scale_max;
    let picked = new Array(n).fill(undefined); // a value, null (skipped) or undefined (not yet)
    let edited = false, answer = null, accepting = false, state = { status: '' };
    const { low, high } = ends(q);
    const rows = q.choices.map((text, i) => {
      const id = `${labelledBy}-s${i + 1}`;
      const keys = [];
      for (let v = 1; v <= max; v++) {
        keys.push(h('button', {
          type: 'button', class: 'grid-key', dataset: { v: String(v) }, text: String(v),
          attrs: { role: 'radio', 'aria-checked': 'false', 'aria-label': t('grid_value', { v, max, x: text }) },
          onclick: () => { haptic(10); picked[i] = v; edited = true; render(); },
        }));
      }
      const skip = h('button', {
        type: 'button', class: 'grid-skip btn-small btn-ghost', text: t('grid_skip'),
        attrs: { role: 'radio', 'aria-checked': 'false', 'aria-label': t('grid_skip_x', { x: text }) },
        onclick: () => { haptic(6); picked[i] = null; edited = true; render(); },
      });
      const group = radioGroup(h('div', { class: 'grid-keys', style: { '--cols': String(max <= 7 ? max : Math.ceil(max / 2)) } }, keys, skip), id);
      const el = h('div', { class: 'grid-item', dataset: { statement: String(i + 1) } }, h('p', { class: 'grid-text', id, text: text, dir: 'auto' }), group);
      return { el, keys, skip };
    });
    const hint = h('p', { class: 'small muted pick-hint' });
    const send = h('button', {
      type: 'button', class: 'btn-primary send-answer', text: t('send_answer'),
      onclick: () => { edited = false; onVote(current()); },
    });
    const legend = low || high ? h('div', { class: 'grid-ends small muted' },
      h('span', { text: `1 = ${low || '1'}`, dir: 'auto' }), h('span', { text: `${max} = ${high || max}`, dir: 'auto' })) : null;
    const box = h('div', { class: 'grid-input', attrs: { role: 'group', 'aria-labelledby': labelledBy } }, legend, rows.map((r) => r.el), hint, send);
    const current = () => Object.fromEntries(picked.map((v, i) => [String(i + 1), v ?? null]));
    const complete = () => picked.every((v) => v !== undefined) && picked.some((v) => v !== null);
    function render() {
      const sent = answer && complete() && sameAnswer(current(), answer);
      rows.forEach((r, i) => {
        for (const k of r.keys) {
          const on = picked[i] === Number(k.dataset.v);
          k.classList.toggle('selected', on);
          k.classList.toggle('pending', on && !!sent && ['sending', 'received', 'queued', 'offline'].includes(state.status));
          k.classList.toggle('confirmed', on && !!sent && (state.status === 'counted' || state.status === 'changed'));
          k.setAttribute('aria-checked', String(on));
          k.disabled = !accepting;
        }
        r.skip.classList.toggle('selected', picked[i] === null);
        r.skip.setAttribute('aria-checked', String(picked[i] === null));
        r.skip.disabled = !accepting;
        // One key of the row in the tab order: the focused, else the checked, else the first.
        const all = [...r.keys, r.skip];
        const home = all.find((k) => k === document.activeElement) || all.find((k) => k.getAttribute('aria-checked') === 'true') || all[0];
        for (const k of all) k.tabIndex = k === home ? 0 : -1;
        r.el.classList.toggle('done', picked[i] !== undefined);
      });
      const left = picked.filter((v) => v === undefined).length;
      hint.textContent = left ? t('grid_left', { n: left }) : picked.every((v) => v === null) ? t('grid_all_skipped') : '';
      send.hidden = !accepting;
      send.disabled = !accepting || !complete() || !!sent;
    }
    // sync is called with the vote state of the question on every update.
    box.sync = (s, open) => {
      state = s;
      accepting = open;
      const next = s.status === 'error' || s.status === 'reset' ? null : s.value;
      const full = next && typeof next === 'object' && !Array.isArray(next);
      if (!edited && full) picked = q.choices.map((_, i) => next[String(i + 1)] ?? null);
      answer = full ? next : null;
      render();
    };
    box.dataset.kind = 'grid';
    render();
    return box;
  },
  prompt: () => t('grid_hint'),
  label: (q, v) => (v && typeof v === 'object'
    ? q.choices.map((c, i) => `${c}: ${v[String(i + 1)] ?? t('grid_skipped')}`).join(' · ') : ''),
  result: (box, q, tally) => resultRows(box, q, tally),
};

export const stage = {
  result(box, q, tally) {
    resultRows(box, q, tally, { dist: true });
  },
  // legend lists the statements and the scale's ends while the results
  // are hidden, so the room knows what it rates.
  legend(box, q) {
    if (box.children.length !== size(q) + 1) {
      box.replaceChildren(scaleLegend(q), ...q.choices.map((c, i) => h('div', { class: 'legend-row' },
        h('span', { class: 'letter', text: String(i + 1) }), h('span', { text: c, dir: 'auto' }))));
    }
    return true;
  },
};

export const control = {
  title: () => t('kind_grid'),
  fields: () => [
    { name: 'choices', label: t('f_statements'), type: 'textarea', lines: true, rows: 5 },
    { name: 'scale_max', label: t('f_scale_max'), type: 'number', min: 5, max: 10 },
    { name: 'settings.low', label: t('f_grid_low'), maxLength: 40 },
    { name: 'settings.high', label: t('f_grid_high'), maxLength: 40 },
  ],
  defaults: { 'settings.low': '', 'settings.high': '' },
  summary: (q) => t('grid_summary', { n: size(q), max: q.scale_max }),
  result: (box, q, tally) => resultRows(box, q, tally, { dist: true }),
};
