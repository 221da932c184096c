// Ranking: a poll of 2 to 8 items (its choices) that each person puts in
// order, best first, then sends; the answer is the full order as the
// items' numbers ([2, 1, 3]: the second item first). A phone orders them by
// dragging a row, by its up and down buttons (keyboard and screen readers),
// or, the default on a small phone, by tapping the items in order. Results
// are the Borda count (position p of n gets n − p points): the server sends
// the items in result order (points, then first places, then the defined
// order), and the list moves to its new order smoothly (FLIP), unless the
// reader asked for reduced motion. Its parts for each screen follow the
// contract of /static/kinds/index.js.
import { h, haptic } from '/static/lib/dom.js';
import { sameAnswer } from '/static/lib/format.js';
import { t } from '/static/lib/lang.js';

// size is the number of items.
export const size = (q) => q.choices.length;

// definition is what the question's input is built from.
export const definition = (q) => ({ choices: q.choices });

const label = (q, v) => q.choices[v - 1] ?? String(v);
const identity = (q) => q.choices.map((_, i) => i + 1);
const reducedMotion = () => matchMedia('(prefers-reduced-motion: reduce)').matches;

// flip moves box's children into the order of els and animates each from
// where it was (First, Last, Invert, Play); without motion it just moves. A
// row being dragged follows the pointer instead.
function flip(box, els) {
  const before = new Map([...box.children].map((el) => [el, el.getBoundingClientRect().top]));
  els.forEach((el, i) => { if (box.children[i] !== el) box.insertBefore(el, box.children[i] || null); });
  if (reducedMotion()) return;
  for (const el of els) {
    const from = before.get(el);
    if (from === undefined || el.classList.contains('dragging')) continue;
    const dy = from - el.getBoundingClientRect().top;
    if (Math.abs(dy) < 1) continue;
    el.getAnimations().forEach((a) => a.cancel());
    el.animate([{ transform: `translateY(${dy}px)` }, { transform: 'none' }], { duration: 450, easing: 'cubic-bezier(.2, .8, .2, 1)' });
  }
}

// items are the tally's items in result order, audience and jury together.
const items = (tally) => (tally?.items || []).map((it) => ({
  item: it.item, place: it.place, points: it.points + (it.jury_points || 0),
  firsts: it.firsts + (it.jury_firsts || 0), mean: it.mean_position,
}));

// resultList shows the items by score, each a bar of its points (the
// leader's fills the track) and the points; rows are kept by item and
// moved with flip. details adds first places and the mean position.
function resultList(box, q, tally, { sep = ' ', details = false } = {}) {
  box.classList.add('rank-result');
  const rows = box._rows ??= new Map();
  const list = items(tally);
  const top = Math.max(1, ...list.map((it) => it.points));
  const keep = new Set(list.map((it) => it.item));
  for (const [k, row] of rows) if (!keep.has(k)) { row.el.remove(); rows.delete(k); }
  const els = list.map((it) => {
    let row = rows.get(it.item);
    if (!row) {
      const name = h('span', { class: 'label', dir: 'auto', attrs: { 'aria-hidden': 'true' } });
      const fill = h('div', { class: 'fill' });
      const value = h('span', { class: 'value', attrs: { 'aria-hidden': 'true' } });
      const more = details ? h('span', { class: 'small muted rank-more', attrs: { 'aria-hidden': 'true' } }) : null;
      row = { el: h('div', { class: 'bar rank-row', dataset: { item: String(it.item) }, attrs: { role: 'img' } },
        name, h('div', { class: 'track', attrs: { 'aria-hidden': 'true' } }, fill), value, more), name, fill, value, more };
      rows.set(it.item, row);
    }
    const text = label(q, it.item);
    row.name.textContent = `${it.place}.${sep}${text}`;
    row.fill.style.width = `${Math.round((100 * it.points) / top)}%`;
    row.value.textContent = t('rank_points', { n: it.points });
    if (row.more) row.more.textContent = `${t('rank_firsts', { n: it.firsts })} · ${t('rank_mean', { m: it.mean.toFixed(2) })}`;
    row.el.dataset.points = String(it.points);
    row.el.dataset.place = String(it.place);
    row.el.classList.toggle('lead', it.place === 1 && it.points > 0);
    row.el.setAttribute('aria-label', t('rank_row', { p: it.place, x: text, pts: t('rank_points', { n: it.points }), f: t('rank_firsts', { n: it.firsts }), m: it.mean.toFixed(2) }));
    return row.el;
  });
  flip(box, els);
}

// dragList is the list mode of the input: rows in the current order, each
// with a handle to drag it and buttons to move it up and down. onMove(order)
// reports each change.
function dragList(q, { onMove, announce }) {
  const rows = new Map();
  const list = h('ol', { class: 'rank-list' });
  let order = identity(q);
  let enabled = false, numbered = true;
  const move = (v, to, focusDir) => {
    const from = order.indexOf(v);
    if (to < 0 || to >= order.length || to === from) return;
    order.splice(from, 1);
    order.splice(to, 0, v);
    render(true);
    onMove(order.slice());
    announce(t('rank_moved', { x: label(q, v), p: to + 1, n: order.length }));
    if (focusDir) {
      const r = rows.get(v);
      const b = (focusDir === 'up' && to > 0) || (focusDir === 'down' && to === order.length - 1) ? r.up : r.down;
      (b.disabled ? (b === r.up ? r.down : r.up) : b).focus();
    }
  };
  for (const v of identity(q)) {
    const pos = h('span', { class: 'rank-pos', attrs: { 'aria-hidden': 'true' } });
    const handle = h('span', { class: 'rank-handle', attrs: { 'aria-hidden': 'true' }, text: '⠿' }); // the keyboard has the buttons
    const up = h('button', { type: 'button', class: 'btn-small rank-up', text: '▲', attrs: { 'aria-label': t('rank_up_x', { x: label(q, v) }) }, onclick: () => move(v, order.indexOf(v) - 1, 'up') });
    const down = h('button', { type: 'button', class: 'btn-small rank-down', text: '▼', attrs: { 'aria-label': t('rank_down_x', { x: label(q, v) }) }, onclick: () => move(v, order.indexOf(v) + 1, 'down') });
    const el = h('li', { class: 'rank-item', dataset: { v: String(v) } }, handle, pos, h('span', { class: 'rank-label fit-lines', text: label(q, v), dir: 'auto' }), up, down);
    rows.set(v, { el, pos, up, down, handle });
    // Dragging by the handle (the rest of the row scrolls the page): the
    // row follows the pointer; crossing the middle of a neighbour swaps
    // them. The moves are followed on the window: reordering the rows would
    // end a pointer capture.
    handle.addEventListener('pointerdown', (ev) => {
      if (!enabled || ev.button > 0) return;
      ev.preventDefault();
      let y = ev.clientY;
      const id = ev.pointerId;
      el.classList.add('dragging');
      haptic(8);
      const follow = (e) => {
        if (e.pointerId !== id) return;
        const i = order.indexOf(v);
        const dir = Math.sign(e.clientY - y);
        const neighbour = rows.get(order[i + dir]);
        if (neighbour && Math.abs(e.clientY - y) > neighbour.el.offsetHeight / 2) {
          y += dir * (neighbour.el.offsetHeight + parseFloat(getComputedStyle(list).rowGap || '0'));
          move(v, i + dir);
        }
        el.style.transform = `translateY(${e.clientY - y}px)`;
      };
      const drop = (e) => {
        if (e.pointerId !== id) return;
        el.classList.remove('dragging');
        el.style.transform = '';
        removeEventListener('pointermove', follow);
        removeEventListener('pointerup', drop);
        removeEventListener('pointercancel', drop);
      };
      addEventListener('pointermove', follow);
      addEventListener('pointerup', drop);
      addEventListener('pointercancel', drop);
    });
  }
  function render(animate) {
    const els = order.map((v) => rows.get(v).el);
    if (animate) flip(list, els);
    else els.forEach((el, i) => { if (list.children[i] !== el) list.insertBefore(el, list.children[i] || null); });
    order.forEach((v, i) => {
      const r = rows.get(v);
      r.pos.textContent = numbered ? String(i + 1) : '';
      r.up.disabled = !enabled || i === 0;
      r.down.disabled = !enabled || i === order.length - 1;
      // Closed, nothing moves: the arrows and the handle go.
      r.up.hidden = r.down.hidden = r.handle.hidden = !enabled;
    });
    list.classList.toggle('disabled', !enabled);
  }
  return {
    el: list,
    // set shows next; open lets the person move the rows; numbered (by
    // default) shows their places.
    set(next, open, num = true) { order = next.slice(); enabled = open; numbered = num; render(false); },
  };
}

// tapList is the tap mode: the items as buttons; each tap gives the item
// the next place, a tap on a placed item takes it (and the places after it
// shift up) out again.
function tapList(q, { onMove, announce }) {
  let picked = [];
  let enabled = false;
  const keys = identity(q).map((v) => {
    const badge = h('span', { class: 'rank-badge', attrs: { 'aria-hidden': 'true' } });
    const b = h('button', { type: 'button', class: 'choice-key rank-key', dataset: { v: String(v) } }, badge, h('span', { text: label(q, v), dir: 'auto' }));
    b.onclick = () => {
      haptic(10);
      const i = picked.indexOf(v);
      if (i >= 0) picked.splice(i, 1);
      else picked.push(v);
      render();
      onMove(picked.slice());
      announce(i >= 0 ? t('rank_unplaced_x', { x: label(q, v) }) : t('rank_placed_x', { x: label(q, v), p: picked.length }));
    };
    return { v, b, badge };
  });
  const clear = h('button', { type: 'button', class: 'btn-small btn-ghost rank-clear', text: t('rank_clear'), onclick: () => { picked = []; render(); onMove([]); } });
  const el = h('div', { class: 'rank-tap' }, h('div', { class: 'choice-list' }, keys.map((k) => k.b)), clear);
  function render() {
    for (const { v, b, badge } of keys) {
      const p = picked.indexOf(v) + 1;
      badge.textContent = p ? String(p) : '';
      b.classList.toggle('selected', p > 0);
      b.setAttribute('aria-pressed', String(p > 0));
      b.setAttribute('aria-label', p ? t('rank_placed_x', { x: label(q, v), p }) : t('rank_unplaced_x', { x: label(q, v) }));
      b.disabled = !enabled;
    }
    clear.disabled = !enabled || picked.length === 0;
  }
  return {
    el,
    set(next, open) { picked = next.slice(); enabled = open; render(); },
  };
}

// chosenMode is the way of ordering the person chose on this page (drag or
// tap): the next ranking, and this one drawn again, start with it.
let chosenMode = '';

export const audience = {
  // input is the order (drag list or taps), a switch between the two
  // ways, and a Send button: the order is the phone's own until sent; sync
  // shows the answer the server has (or the one on its way) until the
  // person changes the order.
  input(q, { labelledBy, onVote }) {
    const n = size(q);
    let order = identity(q); // the list's order, always complete
    let picked = []; // the taps so far
    let mode = chosenMode || (matchMedia('(max-width: 359px)').matches ? 'tap' : 'drag');
    let edited = false, answer = null, accepting = false, state = { status: '' };
    const live = h('p', { class: 'sr-only', attrs: { role: 'status', 'aria-live': 'polite' } });
    const announce = (text) => { live.textContent = text; };
    const current = () => (mode === 'tap' ? picked : order);
    const drag = dragList(q, { announce, onMove: (o) => { order = o; edited = true; render(); } });
    const tap = tapList(q, { announce, onMove: (p) => { picked = p; edited = true; render(); } });
    const modes = ['drag', 'tap'].map((m) => h('button', {
      type: 'button', class: 'btn-small rank-mode', dataset: { mode: m }, text: t(`rank_mode_${m}`),
      onclick: () => {
        if (mode === m) return;
        // The order carries over: the taps so far first, the rest after in the list's order.
        if (m === 'tap') picked = order.length === n && edited ? order.slice() : [];
        else order = [...picked, ...order.filter((v) => !picked.includes(v))];
        mode = chosenMode = m;
        render();
      },
    }));
    const hint = h('p', { class: 'small muted pick-hint' });
    const send = h('button', {
      type: 'button', class: 'btn-primary send-answer', text: t('send_answer'),
      onclick: () => { edited = false; onVote(current().slice()); },
    });
    const switcher = h('div', { class: 'rank-modes', attrs: { role: 'group', 'aria-label': t('rank_mode') } }, modes);
    const box = h('div', { class: 'rank-input', attrs: { role: 'group', 'aria-labelledby': labelledBy } }, switcher, drag.el, tap.el, hint, send, live);
    function render() {
      const o = current();
      const sent = answer && sameAnswer(o, answer);
      // Closed, the poll shows the answer counted (or the items, unnumbered)
      // and nothing to move or send.
      const closed = !accepting;
      box.classList.toggle('closed', closed);
      switcher.hidden = hint.hidden = send.hidden = closed;
      if (closed) drag.set(answer || identity(q), false, !!answer);
      else drag.set(order, true);
      tap.set(picked, accepting);
      drag.el.hidden = !closed && mode !== 'drag';
      tap.el.hidden = closed || mode !== 'tap';
      for (const b of modes) b.setAttribute('aria-pressed', String(b.dataset.mode === mode));
      box.dataset.mode = mode;
      box.classList.toggle('pending', !!sent && ['sending', 'received', 'queued', 'offline'].includes(state.status));
      box.classList.toggle('confirmed', !!sent && (state.status === 'counted' || state.status === 'changed'));
      hint.textContent = mode === 'tap' ? t('rank_tap_left', { n: picked.length, k: n }) : t('rank_drag_hint');
      send.disabled = !accepting || o.length !== n || !!sent;
    }
    // sync is called with the vote state of the question on every update.
    box.sync = (s, open) => {
      state = s;
      accepting = open;
      const next = s.status === 'error' || s.status === 'reset' ? null : s.value;
      const full = Array.isArray(next) && next.length === n;
      if (!edited && full) { order = next.slice(); picked = next.slice(); }
      answer = full ? next : null;
      render();
    };
    render();
    return box;
  },
  prompt: () => t('rank_hint'),
  label: (q, v) => (Array.isArray(v) ? v.map((i) => label(q, i)).join(' › ') : ''),
  result: (box, q, tally) => resultList(box, q, tally, { sep: ' ' }),
};

export const stage = {
  result: (box, q, tally) => resultList(box, q, tally, { sep: '  ' }),
  // legend lists the items while the results are hidden, so the room
  // knows what it orders.
  legend(box, q) {
    if (box.children.length !== size(q)) {
      box.replaceChildren(...q.choices.map((c, i) => h('div', { class: 'legend-row' },
        h('span', { class: 'letter', text: String(i + 1) }), h('span', { text: c }))));
    }
    return true;
  },
};

export const control = {
  title: () => t('kind_ranking'),
  fields: () => [{ name: 'choices', label: t('f_choices'), type: 'textarea', lines: true, rows: 4 }],
  defaults: {},
  summary: (q) => t('rank_summary', { n: size(q) }),
  result: (box, q, tally) => resultList(box, q, tally, { sep: ' ', details: true }),
};
