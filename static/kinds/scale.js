// Scale: a score from 1 to scale_max (2 to 10). A scale poll shows its
// votes as bars; a pitch is a scale question of 1..round.scale, whose scores
// show as a histogram. Its parts for each screen follow the contract of
// /static/kinds/index.js.
import { h } from '/static/lib/dom.js';
import { t } from '/static/lib/lang.js';
import { keypad, radioGroup, tallyCounts, updateBars, updateHist } from '/static/lib/widgets.js';

// size is the number of values a vote may take: 1..size.
export const size = (q) => q.scale_max;

// definition is what the question's input is built from.
export const definition = (q) => ({ scale_max: q.scale_max });

const bars = (box, q, tally) => updateBars(box, tallyCounts(tally, size(q)).map((n, i) => ({ label: String(i + 1), n })));
const histogram = (box, q, tally) => updateHist(box, tallyCounts(tally, size(q)));

export const audience = {
  // input is a keypad of the scores, five to a row when that fills the rows.
  input(q, { labelledBy, onVote }) {
    const n = size(q);
    return radioGroup(h('div', { class: n <= 5 || n === 10 ? 'keypad cols-5' : 'keypad' },
      keypad(n, { cls: 'key', label: String, aria: (v) => t('score_of', { v, n }), onVote })), labelledBy);
  },
  prompt: () => t('rate_hint'),
  label: (q, v) => String(v),
  result: bars,
  histogram,
};

export const stage = {
  result: bars,
  histogram,
  // legend: the scores need none; the "results hidden" note shows.
  legend: () => false,
};

export const control = {
  title: () => t('kind_scale'),
  fields: () => [{ name: 'scale_max', label: t('f_scale_max'), type: 'number', min: 2, max: 10 }],
  defaults: { scale_max: 5 },
  summary: (q) => t('scale_1_n', { n: size(q) }),
  result: bars,
  histogram,
  // miniHistogram draws the scores as plain columns, for a table cell.
  miniHistogram(box, q, tally) {
    const counts = tallyCounts(tally, size(q));
    if (box.children.length !== counts.length) box.replaceChildren(...counts.map(() => h('span')));
    const max = Math.max(1, ...counts);
    counts.forEach((c, i) => { box.children[i].style.height = `${(100 * c) / max}%`; });
  },
};
