// Result widgets: the keypad of a question, bars, histograms and ranking
// lists. They update their container in place when its shape is unchanged,
// so that bars animate and nothing a user is about to tap is replaced under
// a finger.

import { h, haptic } from '/static/lib/dom.js';
import { fmtScore, pct, shares } from '/static/lib/format.js';
import { t } from '/static/lib/lang.js';

// keypad returns the keys of values 1..n, for a question's input: one tap
// votes (onVote(v)). cls is each key's class, label(v) its face, aria(v)
// its name for screen readers, extra(v) what follows the face. Each key
// carries data-v. The keys of a single answer are radios (put them in a
// radioGroup), their aria-checked kept in step with the vote by checkKeys;
// with multi, each key is a toggle whose aria-pressed the page keeps.
export function keypad(n, { cls, label, aria, extra, onVote, multi = false }) {
  const keys = [];
  for (let v = 1; v <= n; v++) {
    const attrs = multi ? { 'aria-pressed': 'false', 'aria-label': aria(v) }
      : { role: 'radio', 'aria-checked': 'false', 'aria-label': aria(v), tabindex: v === 1 ? '0' : '-1' };
    keys.push(h('button', {
      type: 'button', class: cls, dataset: { v: String(v) }, attrs,
      onclick: () => { haptic(10); onVote(v); },
      // The space makes the text read "A Talks", as the key's name does
      // (WCAG 2.5.3): a flex box shows no space between the two.
    }, label(v), extra ? [' ', extra(v)] : null));
  }
  return keys;
}

// radioGroup makes el, which holds a single answer's keys, a radio group
// named by the element labelledBy: Tab enters it on the key checked (else
// the first), the arrow keys move between its keys (Home and End to the
// first and last, wrapping around) without voting, and Space or Enter
// votes for the key focused, as a tap does.
export function radioGroup(el, labelledBy) {
  el.setAttribute('role', 'radiogroup');
  if (labelledBy) el.setAttribute('aria-labelledby', labelledBy);
  el.addEventListener('keydown', (ev) => {
    const keys = [...el.querySelectorAll('[role=radio]')].filter((k) => !k.disabled);
    const i = keys.indexOf(document.activeElement);
    if (i < 0 || !keys.length) return;
    const rtl = getComputedStyle(el).direction === 'rtl';
    const step = { ArrowDown: 1, ArrowUp: -1, ArrowRight: rtl ? -1 : 1, ArrowLeft: rtl ? 1 : -1 }[ev.key];
    const to = ev.key === 'Home' ? 0 : ev.key === 'End' ? keys.length - 1 : step ? (i + step + keys.length) % keys.length : -1;
    if (to < 0) return;
    ev.preventDefault();
    for (const k of keys) k.tabIndex = k === keys[to] ? 0 : -1;
    keys[to].focus();
  });
  return el;
}

// checkKeys marks the key of value v checked in a radioGroup's keys (none
// when no key has it) and keeps one key in the tab order: the one focused,
// else the checked one, else the first one enabled.
export function checkKeys(keys, v) {
  keys = [...keys];
  for (const k of keys) k.setAttribute('aria-checked', String(Number(k.dataset.v) === v));
  const focused = keys.find((k) => k === document.activeElement && !k.disabled);
  const home = focused || keys.find((k) => Number(k.dataset.v) === v && !k.disabled) || keys.find((k) => !k.disabled) || keys[0];
  for (const k of keys) k.tabIndex = k === home ? 0 : -1;
}

// tallyCounts returns audience + jury counts per value (length n) from a tally frame.
export function tallyCounts(tally, n) {
  const out = new Array(n).fill(0);
  if (!tally) return out;
  for (let i = 0; i < n; i++) out[i] = (tally.counts?.[i] || 0) + (tally.jury_counts?.[i] || 0);
  return out;
}

// updateBars shows horizontal bars: rows are {label, n}; widths are shares
// of the total, or of `of` when given (respondents, for answers of several choices). Each bar is one image for screen readers, with its numbers.
export function updateBars(box, rows, of) {
  if (box.children.length !== rows.length) {
    box.replaceChildren(...rows.map(() => h('div', { class: 'bar', attrs: { role: 'img' } },
      h('span', { class: 'label', dir: 'auto', attrs: { 'aria-hidden': 'true' } }),
      h('div', { class: 'track', attrs: { 'aria-hidden': 'true' } }, h('div', { class: 'fill' })),
      h('span', { class: 'value', attrs: { 'aria-hidden': 'true' } }))));
  }
  box.style.setProperty('--rows', String(rows.length));
  const total = of ?? rows.reduce((s, r) => s + r.n, 0);
  const max = Math.max(0, ...rows.map((r) => r.n));
  // Shares of one whole add up to 100; of respondents who pick several, each stands alone.
  const pcts = of === undefined ? shares(rows.map((r) => r.n), total) : rows.map((r) => pct(r.n, total));
  rows.forEach((r, i) => {
    const b = box.children[i];
    const share = pcts[i];
    b.children[0].textContent = r.label;
    b.querySelector('.fill').style.width = `${share}%`;
    b.children[2].textContent = `${share} %`;
    b.classList.toggle('lead', r.n > 0 && r.n === max);
    b.dataset.count = String(r.n);
    b.setAttribute('aria-label', `${r.label}: ${t('votes', { n: r.n })}, ${share} %`);
  });
}

// markCorrect marks the rows of box (bars or legend rows, one per choice,
// in order) whose choice is right, once a poll's correct answer is
// revealed (poll.correct_revealed; poll.correct lists the choices, 1 for
// A); it unmarks them otherwise.
export function markCorrect(box, poll) {
  const right = poll.correct_revealed ? new Set(poll.correct || []) : new Set();
  [...box.children].forEach((row, i) => {
    const on = right.has(i + 1);
    row.classList.toggle('correct', on);
    row.dataset.correct = String(on);
    if (on && row.getAttribute('aria-label') && !row.getAttribute('aria-label').endsWith(t('correct_mark'))) {
      row.setAttribute('aria-label', `${row.getAttribute('aria-label')}, ${t('correct_mark')}`);
    }
  });
}

// answeredRight reports whether a phone's answer v (a choice number, or a
// list of them for a multiple question) is right: for single choice, one
// of the correct choices; for multiple, exactly the correct choices, all
// ticked and none other.
export function answeredRight(poll, v) {
  const correct = poll.correct || [];
  if (Array.isArray(v)) {
    const mine = [...v].sort((a, b) => a - b);
    return mine.length === correct.length && mine.every((x, i) => x === correct[i]);
  }
  return correct.includes(v);
}

// updateHist shows a vertical histogram of counts for values 1..n; the box
// is one image for screen readers, described value by value.
export function updateHist(box, counts) {
  if (box.children.length !== counts.length) {
    box.replaceChildren(...counts.map((_, i) => h('div', { class: 'col', dataset: { value: String(i + 1) }, attrs: { 'aria-hidden': 'true' } },
      h('span', { class: 'n' }), h('div', { class: 'fill' }), h('span', { class: 'v', text: String(i + 1) }))));
  }
  box.setAttribute('role', 'img');
  const max = Math.max(1, ...counts);
  counts.forEach((n, i) => {
    const c = box.children[i];
    c.dataset.count = String(n);
    c.children[0].textContent = String(n);
    // The fill and the space above it share the column's free height (see app.css).
    c.style.setProperty('--n', String(n));
    c.style.setProperty('--rest', String(max - n));
  });
  box.setAttribute('aria-label', `${t('hist_label')} ${counts.map((n, i) => `${i + 1}: ${n}`).join(', ')}`);
}

// hasJury tells whether any entry of a ranking has jury votes.
export function hasJury(entries) { return (entries || []).some((e) => e.jury && e.jury.count > 0); }

// scoreParts describes an entry's audience and jury parts, e.g.
// "audience 4.25 (12) · jury 3.00 (3)".
export function scoreParts(e, withJury) {
  const a = e.audience.count ? `${t('part_audience')} ${fmtScore(e.audience.mean)} (${e.audience.count})` : `${t('part_audience')} –`;
  if (!withJury) return t('votes', { n: e.audience.count + e.jury.count });
  const j = e.jury.count ? `${t('part_jury')} ${fmtScore(e.jury.mean)} (${e.jury.count})` : `${t('part_jury')} –`;
  return `${a} · ${j}`;
}

// entryData is the machine-readable face of a ranking entry, for tests and tools.
export function entryData(e) {
  return {
    rank: String(e.rank), pitchId: String(e.pitch_id), team: e.team, score: String(e.score),
    audienceMean: String(e.audience.mean), audienceCount: String(e.audience.count),
    juryMean: String(e.jury.mean), juryCount: String(e.jury.count), tieBreak: e.tie_break || '',
  };
}

// tieText says, in small print, which tie-break placed e below the entry
// ranked just above it (docs/protocol.md §12); '' when the score decided.
export function tieText(e) {
  return e.tie_break ? t(`tie_${e.tie_break}`, { n: e.rank - 1 }) : '';
}

// rankingList renders a ranking frame's entries (at most limit) as a list,
// medals for the podium, with the audience and jury parts when a jury voted,
// and the tie-break that placed an entry below an equal score.
export function rankingList(entries, limit = 50) {
  const withJury = hasJury(entries);
  return h('ol', { class: 'ranking' }, (entries || []).slice(0, limit).map((e) => {
    const n = e.audience.count + e.jury.count;
    return h('li', { class: e.rank === 1 && n > 0 ? 'top' : '', dataset: entryData(e) },
      e.rank <= 3 && n > 0 ? h('span', { class: `medal m${e.rank}`, text: String(e.rank), attrs: { 'aria-label': t('rank_n', { n: e.rank }) } })
        : h('span', { class: 'rank', text: String(e.rank), attrs: { 'aria-label': t('rank_n', { n: e.rank }) } }),
      h('span', { class: 'who' }, h('strong', { class: 'fit-lines', text: e.team, dir: 'auto' }),
        e.presenter ? h('span', { class: 'parts', text: e.presenter, dir: 'auto' }) : null,
        withJury ? h('span', { class: 'parts', text: scoreParts(e, true) }) : null,
        e.tie_break ? h('span', { class: 'parts tie', dataset: { tieBreak: e.tie_break }, text: tieText(e) }) : null),
      h('span', { class: 'score' }, n ? fmtScore(e.score) : '–', h('span', { class: 'small', text: t('votes', { n }) })));
  }));
}
