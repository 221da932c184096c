// Word cloud: each person sends up to settings.max_words words or short
// phrases (25 characters each); the stage shows the room's words sized by
// how many people sent them. The server groups spellings (case, accents,
// punctuation), drops stop words and profanities, and sends at most the 100
// words most sent; moderators hide, show (under pre-moderation: approve) and
// merge words. Its parts for each screen follow the contract of
// /static/kinds/index.js.
import { h } from '/static/lib/dom.js';
import { sameAnswer } from '/static/lib/format.js';
import { t } from '/static/lib/lang.js';

const MAX_LEN = 25;

// size: a cloud has no options to count.
export const size = () => 0;

const maxWords = (q) => q.settings?.max_words || 3;

// definition is what the question's input is built from.
export const definition = (q) => ({ max_words: maxWords(q) });

// layout places the words of a frame in box as a cloud: the most sent
// first, each at the first free spot on a spiral from the centre (from
// where it was, for a word already shown), so that a word keeps its place
// while others grow and only a word that no longer fits moves. Positions
// are kept as fractions of the box, so the cloud scales with the screen.
function layout(box, words, { minPx, maxPx }) {
  box.classList.add('cloud');
  const st = box._cloud ??= { pos: new Map(), els: new Map() };
  const W = box.clientWidth, H = box.clientHeight;
  if (!W || !H) return;
  const top = Math.max(1, ...words.map((w) => w.n));
  const keep = new Set(words.map((w) => w.k));
  for (const [k, el] of st.els) if (!keep.has(k)) { el.remove(); st.els.delete(k); st.pos.delete(k); }
  const placed = [];
  const overlaps = (r) => r.x < 0 || r.y < 0 || r.x + r.w > W || r.y + r.h > H
    || placed.some((o) => r.x < o.x + o.w && o.x < r.x + r.w && r.y < o.y + o.h && o.y < r.y + r.h);
  words.forEach((w, i) => {
    let el = st.els.get(w.k);
    if (!el) {
      el = h('span', { class: 'cloud-word', dataset: { k: w.k } });
      st.els.set(w.k, el);
      box.append(el);
    }
    el.textContent = w.w;
    el.dataset.count = String(w.n);
    el.classList.toggle('lead', i === 0);
    el.style.fontSize = `${Math.round(minPx + (maxPx - minPx) * Math.sqrt(w.n / top))}px`;
    const ew = el.offsetWidth + 8, eh = el.offsetHeight;
    const from = st.pos.get(w.k) || { fx: 0.5, fy: 0.5 };
    const at = (fx, fy) => ({ x: fx * W - ew / 2, y: fy * H - eh / 2, w: ew, h: eh });
    let r = at(from.fx, from.fy);
    if (overlaps(r)) {
      r = null;
      for (let s = 1; s < 1500 && !r; s++) { // an Archimedean spiral, wider than tall like the screen
        const a = s * 0.35, d = 2.2 * a;
        const c = at(from.fx + (d * Math.cos(a)) / W, from.fy + (0.6 * d * Math.sin(a)) / H);
        if (!overlaps(c)) r = c;
      }
    }
    el.hidden = !r;
    if (!r) return; // the box is full: the word waits for room
    placed.push(r);
    st.pos.set(w.k, { fx: (r.x + ew / 2) / W, fy: (r.y + eh / 2) / H });
    el.style.left = `${r.x + 4}px`;
    el.style.top = `${r.y}px`;
  });
}

const words = (tally) => (tally?.words || []).map((w) => ({ k: w.k, w: w.w, n: w.n, s: w.s, merged: w.merged }));

export const audience = {
  // input is one text box per word and a Send button: the words are the
  // phone's own until sent; sync shows the answer the server has (or the one
  // on its way) until the person changes the words.
  input(q, { labelledBy, onVote }) {
    const n = maxWords(q);
    let edited = false, answer = null, accepting = false;
    const boxes = Array.from({ length: n }, (_, i) => h('input', {
      type: 'text', class: 'cloud-input', maxLength: MAX_LEN, autocomplete: 'off',
      attrs: { 'aria-label': t('cloud_word_n', { i: i + 1, n }), enterkeyhint: i === n - 1 ? 'send' : 'next' },
      oninput: () => { edited = true; render(); },
    }));
    const typed = () => boxes.map((b) => b.value.trim()).filter(Boolean);
    const send = h('button', {
      type: 'button', class: 'btn-primary send-answer', text: t('send_answer'),
      onclick: () => { edited = false; onVote(typed()); },
    });
    const form = h('div', { class: 'cloud-form', attrs: { role: 'group', 'aria-labelledby': labelledBy } }, boxes, send);
    function render() {
      const sent = answer && sameAnswer(typed(), answer);
      for (const b of boxes) b.disabled = !accepting;
      send.disabled = !accepting || typed().length === 0 || sent;
    }
    form.sync = (s, open) => {
      accepting = open;
      answer = Array.isArray(s.value) && s.status !== 'error' ? s.value : null;
      if (!edited && answer) boxes.forEach((b, i) => { b.value = answer[i] || ''; });
      render();
    };
    return form;
  },
  prompt: (q) => t('cloud_hint', { n: maxWords(q) }),
  label: (q, v) => (Array.isArray(v) ? v.join(', ') : ''),
  result: (box, q, tally) => layout(box, words(tally).slice(0, 30), { minPx: 14, maxPx: 34 }),
};

export const stage = {
  result: (box, q, tally) => {
    const hPx = box.clientHeight || innerHeight * 0.55;
    layout(box, words(tally), { minPx: Math.round(hPx * 0.045), maxPx: Math.round(hPx * 0.16) });
  },
  // legend: nothing to press; the "results hidden" note shows.
  legend: () => false,
};

// STATES are the words' states the moderators see, in the order shown.
const STATES = { pending: 'cloud_pending', shown: 'cloud_shown', hidden: 'cloud_hidden', blocked: 'cloud_blocked' };

export const control = {
  title: () => t('kind_wordcloud'),
  fields: () => [
    { name: 'settings.max_words', label: t('f_max_words'), type: 'number', min: 1, max: 3 },
    { name: 'settings.moderation', label: t('f_moderation'), type: 'select', options: [['post', t('cloud_mod_post')], ['pre', t('cloud_mod_pre')]] },
  ],
  defaults: { 'settings.max_words': 3, 'settings.moderation': 'post' },
  summary: (q) => `${t('up_to_k', { k: maxWords(q) })} · ${q.settings?.moderation === 'pre' ? t('cloud_mod_pre') : t('cloud_mod_post')}`,
  // result lists every word with its count and state, and the moderators'
  // decisions on it: show or hide, merge into another word, undo a merge.
  // Rows are kept by word and updated in place.
  result(box, q, tally, { decide } = {}) {
    box.classList.add('cloud-queue');
    const list = words(tally);
    const rows = box._rows ??= new Map();
    const keep = new Set(list.map((w) => w.k));
    for (const [k, row] of rows) if (!keep.has(k)) { row.el.remove(); rows.delete(k); }
    const act = async (d, btn) => {
      btn.disabled = true;
      try { await decide?.(d); } catch (e) { box.dataset.error = e.message || String(e); } finally { btn.disabled = false; }
    };
    list.forEach((w, i) => {
      let row = rows.get(w.k);
      if (!row) {
        const word = h('span', { class: 'cloud-q-word' });
        const count = h('span', { class: 'cloud-q-count' });
        const state = h('span', { class: 'tag' });
        const merged = h('span', { class: 'small muted cloud-q-merged' });
        const toggle = h('button', { type: 'button', class: 'btn-small', dataset: { role: 'toggle' } });
        toggle.onclick = () => act({ action: row.w.s === 'shown' ? 'hide' : 'show', word: w.k }, toggle);
        const into = h('select', { class: 'cloud-q-into', attrs: { 'aria-label': t('cloud_merge_x', { x: w.w }) } });
        into.onchange = () => { if (into.value) act({ action: 'merge', word: w.k, into: into.value }, into); };
        const unmerge = h('span', { class: 'cloud-q-unmerge' });
        row = { el: h('div', { class: 'cloud-q-row', dataset: { k: w.k } }, word, count, state, toggle, into, merged, unmerge), word, count, state, toggle, into, merged, unmerge };
        rows.set(w.k, row);
      }
      row.w = w;
      row.word.textContent = w.w;
      row.count.textContent = String(w.n);
      row.state.textContent = t(STATES[w.s] || 'cloud_shown');
      row.state.className = `tag ${w.s === 'shown' ? 'on' : ''}`;
      row.el.dataset.state = w.s || 'shown';
      row.toggle.textContent = w.s === 'shown' ? t('cloud_hide') : t('cloud_show');
      row.toggle.hidden = w.s === 'blocked';
      const others = list.filter((o) => o.k !== w.k).slice(0, 50);
      const othersKey = others.map((o) => `${o.k}\u0000${o.w}`).join('|');
      if (row.into._others !== othersKey) { // rebuilt only when the other words change, not under a finger at every frame
        row.into._others = othersKey;
        row.into.replaceChildren(h('option', { value: '', text: t('cloud_merge_into') }), ...others.map((o) => h('option', { value: o.k, text: o.w })));
      }
      row.merged.textContent = w.merged?.length ? `+ ${w.merged.join(', ')}` : '';
      const mergedKey = (w.merged || []).join('|');
      if (row.unmerge._key !== mergedKey) {
        row.unmerge._key = mergedKey;
        row.unmerge.replaceChildren(...(w.merged || []).map((m) => {
          const b = h('button', { type: 'button', class: 'btn-small btn-ghost', text: t('cloud_unmerge_x', { x: m }) });
          b.onclick = () => act({ action: 'unmerge', word: m }, b);
          return b;
        }));
      }
      if (box.children[i] !== row.el) box.insertBefore(row.el, box.children[i] || null);
    });
  },
};
