// Question kinds: what a question asks and how its answers show. Each kind
// is one module here, registered below; the pages ask the registry for a
// question's kind instead of branching on it. A question q is a poll (its
// kind and definition: choices, scale_max) or a pitch, which is a scale
// question of 1..round.scale: {kind: 'scale', scale_max: round.scale}.
//
// A kind's module exports:
//   size(q)        the number of options (values, choices) the question offers
//   definition(q)  what its input is built from (a new one makes a new input)
//   audience       input(q, {labelledBy, onVote}) the keys, one tap votes;
//                  prompt(q) what to do; label(q, v) a value's name ("B", "3");
//                  result(box, q, tally, {mine, open, upvote}) the live
//                  result in box (mine: what the server told this phone of
//                  its answer, open: the question takes answers, upvote(id,
//                  up): upvote an answer, for a kind whose answers the
//                  audience upvotes); an input whose answer is not one
//                  value (a set of choices) has sync(state, accepting),
//                  called on every update (state.mine as for result), and
//                  marks its own keys; personal: true when the server tells
//                  the phone of its answers (GET /api/me)
//   stage          result(box, q, tally); legend(box, q) fills box while the
//                  results are hidden and returns true, or returns false for
//                  the "results hidden" note
//   control        title() its name in the poll form; fields() its definition
//                  fields (specs of the form's field()); defaults, their values
//                  for a new poll; summary(q) ("A–C"); result(box, q, tally,
//                  {decide, configure}) where decide(decision) posts a
//                  moderator's decision on the answers (a kind whose answers
//                  are reviewed) and configure(settings) changes the
//                  settings that only change how answers show
// A quiz question (kind quiz) is asked in its quiz's views on each page;
// its module also gives their helpers (timer, leaderList, ordinal).
// Pitches show their scores as a histogram: the scale kind adds
// histogram(box, q, tally) to each screen's part, and control.miniHistogram
// for a table cell.
import { later } from '/static/lib/later.js';
import * as choices from '/static/kinds/choices.js';
import * as scale from '/static/kinds/scale.js';

// KINDS maps a kind's name to its module, in the order the poll form offers
// them; a kind with inQuiz set (quiz) is created in a quiz instead. It
// holds choices and scale (a pitch is a scale question) from the start, the
// other kinds once loaded: the stage and the control page load them all
// (kinds/all.js), the audience page each when it first meets it
// (kindsReady), so that a phone's first join carries only what it shows.
export const KINDS = { choices, scale };

// LATER are the kinds a page may load on demand.
const LATER = ['multiple', 'wordcloud', 'opentext', 'ranking', 'grid', 'quiz'];

// kindOf returns the module of question q's kind, or undefined while the
// kind is not loaded yet (kindsReady); the server sends only these kinds
// (the pages and the API ship in one binary).
export function kindOf(q) { return KINDS[q.kind]; }

// register adds loaded kinds' modules to KINDS.
export function register(mods) { Object.assign(KINDS, mods); }

const loaders = Object.fromEntries(LATER.map((name) => {
  const get = later(`/static/kinds/${name}.js`);
  const add = (mod) => register({ [name]: mod });
  return [name, (onLoad) => { if (!get(add)) get(onLoad); }];
}));

// kindsReady reports whether the kinds named are all loaded; if not, it
// loads those missing and calls onLoad as each arrives. A name that is no
// kind counts as ready.
export function kindsReady(names, onLoad) {
  let ready = true;
  for (const name of names) {
    if (KINDS[name] || !loaders[name]) continue;
    ready = false;
    loaders[name](onLoad);
  }
  return ready;
}

// pitchQuestion is the question a round's pitches ask: a score of 1..round.scale.
export function pitchQuestion(round) { return { kind: 'scale', scale_max: round.scale }; }
