// Open text: each person writes one short answer (280 characters), which
// they may change until the question closes. Moderators approve, reject,
// pin and unpin answers (settings.moderation 'pre', the default: an answer
// shows once approved; 'post': at once); the audience upvotes the approved
// ones; the stage shows them as cards, pinned first, then newest first or
// most upvoted first (settings.order 'newest' or 'top', switched live from
// the control page). The server sends at most 30 of them, long texts cut
// ("cut": true). Its parts for each screen follow the contract of
// /static/kinds/index.js. Texts are only ever set as textContent.
import { h } from '/static/lib/dom.js';
import { fmtTime } from '/static/lib/format.js';
import { icon } from '/static/lib/icons.js';
import { t } from '/static/lib/lang.js';

const MAX_LEN = 280;

// size: open text has no options to count.
export const size = () => 0;

const pre = (q) => q.settings?.moderation !== 'post';

const top = (q) => q.settings?.order === 'top';

// definition is what the question's input is built from.
export const definition = (q) => ({ moderation: pre(q) ? 'pre' : 'post' });

// clean is the text as the server keeps it, near enough to tell whether
// it was sent already: white space collapsed, trimmed.
const clean = (s) => String(s || '').replace(/\s+/g, ' ').trim();
const length = (s) => [...s].length;

const answers = (tally) => tally?.answers || [];

// cards fills list with one card per answer (an li with the text and its
// upvotes), kept by answer id and put in the frame's order; fill(el, a),
// when given, adds to a card once and updates it on every frame.
function cards(list, items, cls, fill) {
  const els = list._cards ??= new Map();
  const keep = new Set(items.map((a) => a.id));
  for (const [id, el] of els) if (!keep.has(id)) { el.remove(); els.delete(id); }
  items.forEach((a, i) => {
    let el = els.get(a.id);
    if (!el) {
      el = h('li', { class: cls, dataset: { id: a.id } }, h('p', { class: 'ot-text' }));
      els.set(a.id, el);
    }
    el.firstChild.textContent = a.text;
    el.classList.toggle('pinned', !!a.pinned);
    el.dataset.upvotes = String(a.upvotes || 0);
    if (fill) fill(el, a);
    if (list.children[i] !== el) list.insertBefore(el, list.children[i] || null);
  });
}

// MINE_TEXT names the state of the phone's own answer.
const MINE_TEXT = { pending: 'ot_mine_pending', approved: 'ot_mine_approved', rejected: 'ot_mine_rejected' };

// resultBox makes box hold a list of cards and an empty note, once.
function resultBox(box, listClass) {
  if (!box._ot) {
    box.classList.add('ot-box');
    const list = h('ol', { class: listClass });
    const empty = h('p', { class: 'muted ot-empty', text: t('ot_empty') });
    box.replaceChildren(list, empty);
    box._ot = { list, empty };
  }
  return box._ot;
}

export const audience = {
  // input is a text box, a character count and a Send button: the text is
  // the phone's own until sent; sync shows the answer the server has (or
  // the one on its way) until the person changes it.
  input(q, { labelledBy, onVote }) {
    let edited = false, answer = null, accepting = false;
    const box = h('textarea', {
      class: 'ot-input', rows: 3, autocomplete: 'off',
      attrs: { 'aria-labelledby': labelledBy, 'aria-describedby': `${labelledBy}-ot-count`, enterkeyhint: 'send' },
      oninput: () => { edited = true; render(); },
      onkeydown: (e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); if (!send.disabled) send.click(); } },
    });
    const count = h('span', { class: 'num small muted ot-count', id: `${labelledBy}-ot-count` });
    const send = h('button', {
      type: 'button', class: 'btn-primary send-answer', text: t('send_answer'),
      onclick: () => { edited = false; onVote(clean(box.value)); },
    });
    const note = h('p', { class: 'small muted ot-note', text: pre(q) ? t('ot_note_pre') : t('ot_note_post') });
    const mineLine = h('p', { class: 'small ot-mine', hidden: true, attrs: { role: 'status' } });
    const form = h('div', { class: 'ot-form', attrs: { role: 'group', 'aria-labelledby': labelledBy } },
      box, h('div', { class: 'ot-row' }, count, send), mineLine, note);
    function render() {
      const text = clean(box.value), n = length(text);
      count.textContent = t('board_count', { n, max: MAX_LEN });
      count.classList.toggle('over', n > MAX_LEN);
      box.disabled = !accepting;
      send.disabled = !accepting || n === 0 || n > MAX_LEN || text === answer;
    }
    // sync also tells the state of the answer the server holds (s.mine,
    // from my_votes or GET /api/me), once it is counted.
    form.sync = (s, open) => {
      accepting = open;
      answer = typeof s.value === 'string' && s.status !== 'error' ? s.value : null;
      if (!edited && answer !== null) box.value = answer;
      const state = (s.status === 'counted' || s.status === 'changed') && s.mine?.id ? s.mine.state : '';
      mineLine.hidden = !MINE_TEXT[state];
      if (MINE_TEXT[state]) {
        mineLine.textContent = t(MINE_TEXT[state]);
        mineLine.dataset.state = state;
      }
      render();
    };
    return form;
  },
  prompt: () => t('ot_hint', { n: MAX_LEN }),
  // personal: the server tells this phone its answer's state and upvotes.
  personal: true,
  label: (q, v) => (typeof v === 'string' ? `“${length(v) > 40 ? `${[...v].slice(0, 39).join('')}…` : v}”` : ''),
  // result lists the approved answers, as the stage shows them, each with
  // an upvote button (not on the phone's own answer): ctx.mine is what the
  // server told this phone (its answer's id, the ids it upvoted) and
  // ctx.upvote(id, up) sends an upvote and resolves with the server's
  // answer ({upvotes, upvoted}).
  result(box, q, tally, ctx = {}) {
    const { list, empty } = resultBox(box, 'board-list ot-list');
    const items = answers(tally).slice(0, 10);
    // By answer id: whether this phone upvotes it, the count the server
    // answered its last upvote with (shown until the next frame), and the
    // upvotes on their way.
    const state = box._up ??= { on: new Map(), counts: new Map(), busy: new Set() };
    const mine = ctx.mine || {};
    for (const id of mine.upvoted || []) if (!state.on.has(id)) state.on.set(id, true);
    const redraw = () => audience.result(box, q, box._tally, box._ctx);
    box._tally = tally;
    box._ctx = ctx;
    cards(list, items, 'entry ot-entry', (el, a) => {
      if (!el._btn) {
        const n = h('span', { class: 'num up-count' });
        el._btn = h('button', { type: 'button', class: 'upvote', dataset: { answer: a.id } }, icon('up'), n);
        el._btn.onclick = async () => {
          if (state.busy.has(a.id) || !ctx.upvote) return;
          const up = !state.on.get(a.id);
          state.busy.add(a.id);
          redraw();
          try {
            const res = await box._ctx.upvote(a.id, up);
            state.on.set(a.id, !!res.upvoted);
            state.counts.set(a.id, { n: res.upvotes, frame: box._tally });
          } catch { /* the button stays as it was; ctx.upvote reports the error */ }
          state.busy.delete(a.id);
          redraw();
        };
        el._count = n;
        el.append(el._btn);
      }
      const own = a.id === mine.id;
      const on = !!state.on.get(a.id);
      const answered = state.counts.get(a.id);
      const count = answered && answered.frame === tally ? answered.n : (a.upvotes || 0);
      el.classList.toggle('own', own);
      el._btn.hidden = own;
      el._btn.disabled = state.busy.has(a.id) || !ctx.upvote || !ctx.open;
      el._btn.className = `upvote${on ? ' on' : ''}`;
      el._btn.setAttribute('aria-pressed', String(on));
      el._btn.setAttribute('aria-label', t(on ? 'board_retract_label' : 'board_upvote_label', { text: a.text, n: count }));
      el._btn.title = on ? t('board_upvoted') : t('board_upvote');
      el._count.textContent = String(count);
      let tag = el.querySelector('.ot-own');
      if (own && !tag) el.firstChild.after(tag = h('span', { class: 'tag on small ot-own', text: t('ot_yours') }));
      if (!own && tag) tag.remove();
    });
    empty.hidden = items.length > 0;
  },
};

export const stage = {
  // result shows the approved answers as cards, in the frame's order
  // (pinned first, then newest); the box shows as many as fit.
  result(box, q, tally) {
    const { list, empty } = resultBox(box, 'ot-cards');
    const items = answers(tally);
    cards(list, items, 'ot-card', (el, a) => {
      if (!el._ups) el.append(el._ups = h('p', { class: 'ot-ups num' }, icon('up'), h('span')));
      el._ups.hidden = !a.upvotes;
      el._ups.lastChild.textContent = String(a.upvotes || 0);
    });
    list.dataset.order = items.map((a) => a.id).join(',');
    empty.hidden = items.length > 0;
  },
  // legend: nothing to press; the "results hidden" note shows.
  legend: () => false,
};

// ORDERS and MODERATIONS are the choices of the two settings, named.
const ORDERS = () => [['newest', t('ot_order_newest')], ['top', t('ot_order_top')]];
const MODERATIONS = () => [['pre', t('ot_mod_pre')], ['post', t('ot_mod_post')]];

// ACTIONS are the moderators' decisions, each with the states it applies to.
const ACTIONS = [
  ['approve', (a) => a.state !== 'approved', 'btn-small btn-primary'],
  ['pin', (a) => a.state === 'approved' && !a.pinned, 'btn-small'],
  ['unpin', (a) => a.pinned, 'btn-small'],
  ['reject', (a) => a.state !== 'rejected', 'btn-small btn-danger'],
];

export const control = {
  title: () => t('kind_opentext'),
  fields: () => [
    { name: 'settings.moderation', label: t('f_moderation'), type: 'select', options: MODERATIONS() },
    { name: 'settings.order', label: t('f_ot_order'), type: 'select', options: ORDERS() },
  ],
  defaults: { 'settings.moderation': 'pre', 'settings.order': 'newest' },
  summary: (q) => `${pre(q) ? t('ot_mod_pre') : t('ot_mod_post')} · ${top(q) ? t('ot_order_top') : t('ot_order_newest')}`,
  // result is the moderation queue: every answer (the pending ones first)
  // with its state, upvotes and the decisions it can take, under the
  // order and moderation switches, which configure(settings) changes while
  // the poll runs. Rows are kept by answer id and updated in place, so
  // buttons do not move under the pointer.
  result(box, q, tally, { decide, configure } = {}) {
    box.classList.add('ot-queue');
    if (!box._head) {
      box._head = h('p', { class: 'small muted ot-q-head' });
      box._list = h('div', { class: 'ot-q-list' });
      const pick = (name, options) => {
        const sel = h('select', { class: 'ot-q-pick', dataset: { setting: name } },
          options.map(([v, label]) => h('option', { value: v, text: label })));
        sel.onchange = async () => {
          const settings = { moderation: box._moderation.value, order: box._order.value };
          sel.disabled = true;
          try { await configure?.(settings); } catch (e) { box.dataset.error = e.message || String(e); } finally { sel.disabled = false; }
        };
        return sel;
      };
      box._order = pick('order', ORDERS());
      box._moderation = pick('moderation', MODERATIONS());
      box._tools = h('div', { class: 'ot-q-tools small' },
        h('label', {}, h('span', { class: 'muted', text: t('f_ot_order') }), box._order),
        h('label', {}, h('span', { class: 'muted', text: t('f_moderation') }), box._moderation));
      box.replaceChildren(box._tools, box._head, box._list);
    }
    box._tools.hidden = !configure;
    for (const [sel, v] of [[box._order, top(q) ? 'top' : 'newest'], [box._moderation, pre(q) ? 'pre' : 'post']]) {
      if (document.activeElement !== sel && !sel.disabled) sel.value = v;
    }
    const list = answers(tally);
    box._head.textContent = list.length
      ? `${t('board_pending', { n: tally.pending || 0 })} · ${t('ot_on_screen', { n: tally.approved || 0 })} · ${t('ot_rejected_n', { n: tally.rejected || 0 })}`
      : t('ot_queue_empty');
    const rows = box._rows ??= new Map();
    const keep = new Set(list.map((a) => a.id));
    for (const [id, row] of rows) if (!keep.has(id)) { row.el.remove(); rows.delete(id); }
    const act = async (d, btn) => {
      btn.disabled = true;
      try { await decide?.(d); } catch (e) { box.dataset.error = e.message || String(e); } finally { btn.disabled = false; }
    };
    list.forEach((a, i) => {
      let row = rows.get(a.id);
      if (!row) {
        const state = h('span', { class: 'tag' });
        const pin = h('span', { class: 'tag on', text: t('board_pinned') });
        const meta = h('span', { class: 'muted' });
        const text = h('p', { class: 'post-text ot-q-text' });
        const btns = ACTIONS.map(([action, , cls]) => {
          const b = h('button', { type: 'button', class: cls, text: t(`e_${action}`), dataset: { role: action } });
          b.onclick = () => act({ action, id: a.id }, b);
          return b;
        });
        row = { el: h('article', { class: 'queue-entry ot-q-row', dataset: { id: a.id } },
          h('p', { class: 'entry-meta small' }, state, pin, meta), text, h('div', { class: 'actions post-actions' }, btns)), state, pin, meta, text, btns };
        rows.set(a.id, row);
      }
      row.el.dataset.state = a.state;
      row.el.classList.toggle('pinned', !!a.pinned);
      row.state.textContent = t(`st_${a.state}`);
      row.state.className = `tag ${a.state === 'pending' ? 'warn' : a.state === 'approved' ? 'live' : ''}`;
      row.pin.hidden = !a.pinned;
      row.meta.textContent = `${fmtTime(a.at)} · ${t('board_upvotes', { n: a.upvotes || 0 })}${a.jury ? ` · ${t('part_jury')}` : ''}`;
      row.text.textContent = a.text;
      ACTIONS.forEach(([, can], j) => { row.btns[j].hidden = !can(a); });
      if (box._list.children[i] !== row.el) box._list.insertBefore(row.el, box._list.children[i] || null);
    });
  },
};
