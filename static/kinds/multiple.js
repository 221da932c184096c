// Multiple choice: a poll of 2 to 6 choices (A to F) where each person ticks
// up to settings.max_picks of them, then sends; the answer is the sorted
// list of the ticked choices' numbers ([1, 3] for A and C). Results give
// each choice's share of the respondents, so the shares add up to more than
// 100 %. Its parts for each screen follow the contract of
// /static/kinds/index.js.
import { h } from '/static/lib/dom.js';
import { letter, sameAnswer } from '/static/lib/format.js';
import { t } from '/static/lib/lang.js';
import { keypad, updateBars } from '/static/lib/widgets.js';
import * as choices from '/static/kinds/choices.js';

// size is the number of choices.
export const size = (q) => q.choices.length;

// picks is the most choices one answer may tick.
const picks = (q) => q.settings?.max_picks || size(q);

// definition is what the question's input is built from.
export const definition = (q) => ({ choices: q.choices, max_picks: picks(q) });

// rows are the bars of a tally, audience and jury together, each a share of
// the respondents.
const rows = (q, tally, sep) => q.choices.map((c, i) => ({
  label: `${letter(i + 1)}${sep}${c}`, n: (tally?.counts?.[i] || 0) + (tally?.jury_counts?.[i] || 0),
}));
const respondents = (tally) => (tally?.respondents || 0) + (tally?.jury_respondents || 0);
const bars = (sep) => (box, q, tally) => updateBars(box, rows(q, tally, sep), respondents(tally));

export const audience = {
  // input is the list of choices, each a toggle, and a Send button: the
  // ticks are the phone's own until sent; sync shows the answer the server
  // has (or the one on its way) until the person changes the ticks.
  input(q, { labelledBy, onVote }) {
    let ticked = new Set();
    let edited = false; // the ticks differ from the answer last sent
    let answer = null; // the answer sent, pending or counted
    const send = h('button', {
      type: 'button', class: 'btn-primary send-answer', text: t('send_answer'),
      onclick: () => { edited = false; onVote([...ticked].sort((a, b) => a - b)); },
    });
    const hint = h('p', { class: 'small muted pick-hint' });
    const keys = keypad(size(q), {
      cls: 'choice-key', multi: true, aria: (v) => `${letter(v)} ${q.choices[v - 1]}`,
      label: (v) => h('span', { class: 'letter', text: letter(v), attrs: { 'aria-hidden': 'true' } }),
      extra: (v) => h('span', { text: q.choices[v - 1], dir: 'auto' }),
      onVote: (v) => {
        if (ticked.has(v)) ticked.delete(v);
        else if (ticked.size < picks(q)) ticked.add(v);
        edited = true;
        render();
      },
    });
    const list = h('div', { class: 'choice-list multi', attrs: { role: 'group', 'aria-labelledby': labelledBy } }, keys);
    const box = h('div', { class: 'multi-input' }, list, hint, send);
    let state = { status: '' };
    let accepting = false;
    function render() {
      const sent = answer && sameAnswer([...ticked].sort((a, b) => a - b), answer);
      for (const b of keys) {
        const v = Number(b.dataset.v);
        const on = ticked.has(v);
        b.classList.toggle('selected', on);
        b.classList.toggle('pending', on && sent && ['sending', 'received', 'queued', 'offline'].includes(state.status));
        b.classList.toggle('confirmed', on && sent && (state.status === 'counted' || state.status === 'changed'));
        b.setAttribute('aria-pressed', String(on));
        b.disabled = !accepting || (!on && ticked.size >= picks(q));
      }
      hint.textContent = t('picks_left', { n: ticked.size, k: picks(q) });
      send.disabled = !accepting || ticked.size === 0 || sent;
    }
    // sync is called with the vote state of the question on every update.
    box.sync = (s, open) => {
      state = s;
      accepting = open;
      const next = s.status === 'error' || s.status === 'reset' ? null : s.value;
      if (!edited && Array.isArray(next)) ticked = new Set(next);
      answer = Array.isArray(next) ? next : null;
      render();
    };
    return box;
  },
  prompt: (q) => t('multi_hint', { k: picks(q) }),
  label: (q, v) => (Array.isArray(v) ? v.map(letter).join(', ') : ''),
  result: bars(' · '),
};

export const stage = {
  result: bars('  '),
  // legend lists the choices while the results are hidden, as single choice does.
  legend: choices.stage.legend,
};

export const control = {
  title: () => t('kind_multiple'),
  fields: () => [
    { name: 'choices', label: t('f_choices'), type: 'textarea', lines: true, rows: 4 },
    { name: 'settings.max_picks', label: t('f_max_picks'), type: 'number', min: 1, max: 6 },
  ],
  defaults: { 'settings.max_picks': 2 },
  summary: (q) => `A–${letter(size(q))} · ${t('up_to_k', { k: picks(q) })}`,
  result: bars(' · '),
};
