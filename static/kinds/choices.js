// Single choice: a poll of 2 to 6 choices, keyed A to F on the phones; one
// vote is the number of a choice (A = 1). Its parts for each screen follow
// the contract of /static/kinds/index.js.
import { h } from '/static/lib/dom.js';
import { letter } from '/static/lib/format.js';
import { t } from '/static/lib/lang.js';
import { keypad, radioGroup, tallyCounts, updateBars } from '/static/lib/widgets.js';

// size is the number of values a vote may take: 1..size.
export const size = (q) => q.choices.length;

// definition is what the question's input is built from.
export const definition = (q) => ({ choices: q.choices });

// rows are the bars of a tally, labelled "letter, separator, choice".
const rows = (q, tally, sep) => tallyCounts(tally, size(q)).map((n, i) => ({ label: `${letter(i + 1)}${sep}${q.choices[i]}`, n }));

export const audience = {
  // input is the list of choices, one key each: its letter, then its text.
  input: (q, { labelledBy, onVote }) => radioGroup(h('div', { class: 'choice-list' },
    keypad(size(q), {
      cls: 'choice-key', onVote,
      label: (v) => h('span', { class: 'letter', text: letter(v), attrs: { 'aria-hidden': 'true' } }),
      aria: (v) => `${letter(v)} ${q.choices[v - 1]}`,
      extra: (v) => h('span', { text: q.choices[v - 1], dir: 'auto' }),
    })), labelledBy),
  prompt: () => t('choose_hint'),
  label: (q, v) => letter(v),
  result: (box, q, tally) => updateBars(box, rows(q, tally, ' · ')),
};

export const stage = {
  result: (box, q, tally) => updateBars(box, rows(q, tally, '  ')),
  // legend lists the choices while the results are hidden, so that the
  // room knows what to press; it returns true: the legend stands in for
  // the "results hidden" note.
  legend(box, q) {
    if (box.children.length !== size(q)) {
      box.replaceChildren(...q.choices.map((c, i) => h('div', { class: 'legend-row' },
        h('span', { class: 'letter', text: letter(i + 1) }), h('span', { text: c }))));
    }
    return true;
  },
};

export const control = {
  title: () => t('kind_choices'),
  fields: () => [{ name: 'choices', label: t('f_choices'), type: 'textarea', lines: true, rows: 4 }],
  defaults: {},
  summary: (q) => `A–${letter(size(q))}`,
  result: (box, q, tally) => updateBars(box, rows(q, tally, ' · ')),
};
