// Open text: each person writes one short answer (280 characters), which
// they may change until the question closes. Moderators approve, reject,
// pin and unpin answers (settings.moderation 'pre', the default: an answer
// shows once approved; 'post': at once); the stage shows the approved
// answers as cards, pinned first, then newest first. The server sends at
// most 30 of them, long texts cut ("cut": true). Its parts for each screen
// follow the contract of /static/kinds/index.js. Texts are only ever set
// as textContent.
import { t, h } from '/static/ovation.js';

const MAX_LEN = 280;

// size: open text has no options to count.
export const size = () => 0;

const pre = (q) => q.settings?.moderation !== 'post';

// definition is what the question's input is built from.
export const definition = (q) => ({ moderation: pre(q) ? 'pre' : 'post' });

// clean is the text as the server keeps it, near enough to tell whether
// it was sent already: white space collapsed, trimmed.
const clean = (s) => String(s || '').replace(/\s+/g, ' ').trim();
const length = (s) => [...s].length;

const answers = (tally) => tally?.answers || [];

// cards fills list with one card per answer (an li with the text), kept by
// answer id and put in the frame's order.
function cards(list, items, cls) {
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
    if (list.children[i] !== el) list.insertBefore(el, list.children[i] || null);
  });
}

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
    const form = h('div', { class: 'ot-form', attrs: { role: 'group', 'aria-labelledby': labelledBy } },
      box, h('div', { class: 'ot-row' }, count, send), note);
    function render() {
      const text = clean(box.value), n = length(text);
      count.textContent = t('board_count', { n, max: MAX_LEN });
      count.classList.toggle('over', n > MAX_LEN);
      box.disabled = !accepting;
      send.disabled = !accepting || n === 0 || n > MAX_LEN || text === answer;
    }
    form.sync = (s, open) => {
      accepting = open;
      answer = typeof s.value === 'string' && s.status !== 'error' ? s.value : null;
      if (!edited && answer !== null) box.value = answer;
      render();
    };
    return form;
  },
  prompt: () => t('ot_hint', { n: MAX_LEN }),
  label: (q, v) => (typeof v === 'string' ? `“${length(v) > 40 ? `${[...v].slice(0, 39).join('')}…` : v}”` : ''),
  // result lists the approved answers, as the stage shows them.
  result(box, q, tally) {
    const { list, empty } = resultBox(box, 'board-list ot-list');
    const items = answers(tally).slice(0, 10);
    cards(list, items, 'entry ot-entry');
    empty.hidden = items.length > 0;
  },
};

export const stage = {
  // result shows the approved answers as cards, in the frame's order
  // (pinned first, then newest); the box shows as many as fit.
  result(box, q, tally) {
    const { list, empty } = resultBox(box, 'ot-cards');
    const items = answers(tally);
    cards(list, items, 'ot-card');
    list.dataset.order = items.map((a) => a.id).join(',');
    empty.hidden = items.length > 0;
  },
  // legend: nothing to press; the "results hidden" note shows.
  legend: () => false,
};

// ACTIONS are the moderators' decisions, each with the states it applies to.
const ACTIONS = [
  ['approve', (a) => a.state !== 'approved', 'btn-small btn-primary'],
  ['pin', (a) => a.state === 'approved' && !a.pinned, 'btn-small'],
  ['unpin', (a) => a.pinned, 'btn-small'],
  ['reject', (a) => a.state !== 'rejected', 'btn-small btn-danger'],
];

const fmtTime = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export const control = {
  title: () => t('kind_opentext'),
  fields: () => [
    { name: 'settings.moderation', label: t('f_moderation'), type: 'select', options: [['pre', t('ot_mod_pre')], ['post', t('ot_mod_post')]] },
  ],
  defaults: { 'settings.moderation': 'pre' },
  summary: (q) => (pre(q) ? t('ot_mod_pre') : t('ot_mod_post')),
  // result is the moderation queue: every answer (the pending ones first)
  // with its state and the decisions it can take. Rows are kept by answer
  // id and updated in place, so buttons do not move under the pointer.
  result(box, q, tally, { decide } = {}) {
    box.classList.add('ot-queue');
    if (!box._head) {
      box._head = h('p', { class: 'small muted ot-q-head' });
      box._list = h('div', { class: 'ot-q-list' });
      box.replaceChildren(box._head, box._list);
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
      row.meta.textContent = `${fmtTime(a.at)}${a.jury ? ` · ${t('part_jury')}` : ''}`;
      row.text.textContent = a.text;
      ACTIONS.forEach(([, can], j) => { row.btns[j].hidden = !can(a); });
      if (box._list.children[i] !== row.el) box._list.insertBefore(row.el, box._list.children[i] || null);
    });
  },
};
