// Quiz: a question of a quiz, 2 to 6 choices keyed A to F of which one or
// more are right, answered within a time limit (settings.time_limit_s); one
// vote is the number of a choice, and the first answer is final. Its parts
// for each screen follow the contract of /static/kinds/index.js; the quiz's
// own views (countdown, reveal, leaderboard, podium) are quizStage,
// quizPhone and the control page's quiz panel, built on the helpers below.
import { h } from '/static/lib/dom.js';
import { letter } from '/static/lib/format.js';
import { t } from '/static/lib/lang.js';
import { keypad, radioGroup, checkKeys, tallyCounts, updateBars } from '/static/lib/widgets.js';

export const size = (q) => q.choices.length;
export const definition = (q) => ({ choices: q.choices });

// inQuiz: a question of this kind is created in a quiz, not in the poll form.
export const inQuiz = true;

// limitMS is the question's time limit; deadline its end in server time
// (0 before it opened).
export const limitMS = (q) => 1000 * ((q.settings && q.settings.time_limit_s) || 20);
export const deadline = (q) => (q.opened_at_ms ? q.opened_at_ms + limitMS(q) : 0);

// timer is the countdown of a question, in the shape the pages' countdowns
// read: running until its deadline while it is open, where it stops at
// zero (an answer after it is refused), and at zero once closed.
export function timer(q) {
  if (q.state === 'open') return { running: true, deadline_ms: deadline(q), stopsAtZero: true };
  return { running: false, remaining_ms: 0 };
}

const rows = (q, tally, sep) => tallyCounts(tally, size(q)).map((n, i) => ({ label: `${letter(i + 1)}${sep}${q.choices[i]}`, n }));

const LOCKED = ['sending', 'received', 'queued', 'offline', 'counted', 'changed'];

export const audience = {
  // input is the choice keys; sync locks them once an answer is on its way
  // or counted (the first answer is final) and marks the one chosen.
  input(q, { labelledBy, onVote }) {
    const box = radioGroup(h('div', { class: 'choice-list quiz-keys' },
      keypad(size(q), {
        cls: 'choice-key', onVote,
        label: (v) => h('span', { class: 'letter', text: letter(v), attrs: { 'aria-hidden': 'true' } }),
        aria: (v) => `${letter(v)} ${q.choices[v - 1]}`,
        extra: (v) => h('span', { text: q.choices[v - 1], dir: 'auto' }),
      })), labelledBy);
    box.sync = (state, accepting) => {
      const locked = LOCKED.includes(state.status);
      for (const b of box.children) {
        const sel = Number(b.dataset.v) === state.value && state.status !== 'error';
        b.classList.toggle('selected', sel);
        b.classList.toggle('pending', sel && ['sending', 'received', 'queued', 'offline'].includes(state.status));
        b.classList.toggle('confirmed', sel && (state.status === 'counted' || state.status === 'changed'));
        b.disabled = !accepting || locked;
      }
      checkKeys(box.children, state.status !== 'error' ? state.value : 0);
    };
    return box;
  },
  prompt: () => t('quiz_prompt'),
  label: (q, v) => letter(v),
  result: (box, q, tally) => updateBars(box, rows(q, tally, ' · ')),
};

export const stage = {
  result: (box, q, tally) => updateBars(box, rows(q, tally, '  ')),
  legend(box, q) {
    if (box.children.length !== size(q)) {
      box.replaceChildren(...q.choices.map((c, i) => h('div', { class: 'legend-row' },
        h('span', { class: 'letter', text: letter(i + 1) }), h('span', { text: c }))));
    }
    return true;
  },
};

export const control = {
  title: () => t('kind_quiz'),
  fields: () => [
    { name: 'choices', label: t('f_choices'), type: 'textarea', lines: true, rows: 4 },
    { name: 'settings.time_limit_s', label: t('f_time_limit'), type: 'number', numeric: true, min: 5, max: 300, hint: t('time_limit_hint') },
  ],
  defaults: { 'settings.time_limit_s': 20 },
  summary: (q) => `A–${letter(size(q))} · ${limitMS(q) / 1000} s`,
  result: (box, q, tally) => updateBars(box, rows(q, tally, ' · ')),
};

// anonymousName is the name a player without a display name has on the
// leaderboard, as the server gives it: the last four digits of its id.
export const anonymousName = (id) => `${t('anonymous')} #${String(id % 10000).padStart(4, '0')}`;

// leaderName is a standing's name in the page's language: the server
// names the anonymous "Anonymous #n" in English.
export const leaderName = (s) => (/^Anonymous #\d{4}$/.test(s.name) ? anonymousName(s.participant_id) : s.name);

// fmtPoints writes points with the language's digit grouping.
export const fmtPoints = (n) => new Intl.NumberFormat(document.documentElement.lang || 'en').format(n);

// ordinal is "1st", "2nd" / "1er", "2e".
export function ordinal(n) {
  if (document.documentElement.lang === 'fr') return n === 1 ? '1er' : `${n}e`;
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' })[n % 10] || 'th';
  return `${n}${s}`;
}

// leaderList is the standings as an ordered list: rank, name, points; the
// participant `me` (an id) is marked.
export function leaderList(leaders, me = 0) {
  return h('ol', { class: 'leaderboard' }, leaders.map((s) => h('li', {
    class: s.participant_id === me ? 'me' : '', dataset: { rank: String(s.rank), participant: String(s.participant_id) },
  },
  h('span', { class: 'rank', text: String(s.rank) }),
  h('span', { class: 'name fit-line', text: leaderName(s), dir: 'auto' }),
  h('span', { class: 'points', text: fmtPoints(s.points) }))));
}
