// Surveys on the audience page: an open survey of the room is offered as a
// card ("Survey: <title> · 3 of 6 answered"); tapped, it goes question by
// question at the person's own pace, with Back and Next, a progress bar,
// Skip for an optional question, and ends on a closing screen that lists
// the answers given, each changeable while the survey is open. Answers are
// votes (the page's VoteSender: sent again until acknowledged, counted
// once); the place in the survey is kept on the phone, so a reload or a
// restart of the server resumes where the person was.
import { h } from '/static/lib/dom.js';
import { icon } from '/static/lib/icons.js';
import { t } from '/static/lib/lang.js';
import { kindOf } from '/static/kinds/index.js';

const answered = (s) => ['counted', 'changed', 'sending', 'received', 'queued', 'offline'].includes(s.status) && s.value !== 0 && s.value != null;

// phaseAt is a survey frame's phase at the server time now (Unix ms): the
// phones follow opens_at and closes_at as the clock passes them.
export function phaseAt(f, now) {
  const s = f.survey;
  if (s.state === 'draft') return 'draft';
  if (s.state === 'closed' || (s.closes_at && now >= Date.parse(s.closes_at))) return 'closed';
  if (s.opens_at && now < Date.parse(s.opens_at)) return 'scheduled';
  return 'open';
}

// offeredSurveys returns the survey frames of a room's store that the
// phone offers: open ones, by id.
export function offeredSurveys(store, now) {
  const out = [];
  for (const [key, f] of store?.frames || []) {
    if (key.startsWith('survey:') && f.type === 'survey' && f.questions.length && phaseAt(f, now) === 'open') out.push(f);
  }
  return out.sort((a, b) => a.survey.id - b.survey.id);
}

// nextChange returns the ms until the next opens_at or closes_at of a
// survey of store after now, or 0 for none: the page renders again then.
export function nextChange(store, now) {
  let next = 0;
  for (const [key, f] of store?.frames || []) {
    if (!key.startsWith('survey:') || f.type !== 'survey' || f.survey.state !== 'open') continue;
    for (const at of [f.survey.opens_at, f.survey.closes_at]) {
      const ms = at ? Date.parse(at) - now : 0;
      if (ms > 0 && (!next || ms < next)) next = ms;
    }
  }
  return next;
}

// answerText is how the closing screen shows answer v to q: a choice with
// its label ("A · Yes"), else as its kind names it.
function answerText(q, v) {
  const label = kindOf(q).audience.label(q, v) || (typeof v === 'string' ? v : '');
  return q.kind === 'choices' && typeof v === 'number' && q.choices?.[v - 1] ? `${label} · ${q.choices[v - 1]}` : label;
}

// surveyCard is one survey on the phone. deps: votes (the VoteSender), now()
// (the server's clock), code (the event's), syncKeys(box, target, open) and
// setStatus(el, target, open, label) (the page's, for one-value kinds), and
// askMe() (asks GET /api/me into votes: where an open-text answer is in its
// moderation, once per counted answer and every 20–40 s while it waits).
export function surveyCard(surveyId, { votes, now, code, syncKeys, setStatus, askMe }) {
  const asked = new Map(); // target → [answer asked for, next ask]
  const placeKey = `ovation.survey.${code}.${surveyId}`;
  let place = (() => {
    try { return JSON.parse(localStorage.getItem(placeKey)) || { mode: 'entry', index: 0 }; } catch { return { mode: 'entry', index: 0 }; }
  })();
  const keep = () => { try { localStorage.setItem(placeKey, JSON.stringify(place)); } catch { /* this tab only */ } };
  const el = h('section', { class: 'card survey-card', dataset: { survey: String(surveyId) }, attrs: { 'aria-labelledby': `survey-title-${surveyId}` } });
  let frame = null;
  let built = ''; // what the card shows now: mode, question and language
  let keys = null, status = null, nextBtn = null, hint = null, bar = null;
  let rerender = () => {};

  const targetOf = (q) => `poll:${q.id}`;
  const progress = () => {
    const qs = frame.questions;
    const done = qs.filter((q) => answered(votes.state(targetOf(q))));
    const missing = qs.filter((q) => q.required && !answered(votes.state(targetOf(q))));
    return { total: qs.length, answered: done.length, missing };
  };
  const go = (mode, index = place.index) => {
    place = { mode, index: Math.max(0, Math.min(index, frame.questions.length - 1)) };
    keep();
    built = '';
    rerender();
    el.scrollIntoView({ block: 'start', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
    el.querySelector('h2, h1')?.focus({ preventScroll: true });
  };
  const progressBar = () => {
    bar = h('div', { class: 'survey-bar', attrs: { role: 'progressbar', 'aria-valuemin': '0' } }, h('div', { class: 'survey-bar-fill' }));
    return bar;
  };
  const syncBar = (pr) => {
    bar.setAttribute('aria-valuemax', String(pr.total));
    bar.setAttribute('aria-valuenow', String(pr.answered));
    bar.setAttribute('aria-label', t('survey_progress', { a: pr.answered, n: pr.total }));
    bar.firstChild.style.width = `${pr.total ? Math.round((100 * pr.answered) / pr.total) : 0}%`;
  };
  const head = () => h('div', { class: 'pitch-head' }, h('span', { class: 'tag live', text: frame.survey.session_id != null ? t('feedback_tag') : t('survey') }),
    h('span', { class: 'muted small survey-count' }));

  function buildEntry() {
    const title = h('h1', { id: `survey-title-${surveyId}`, class: 'fit-lines', text: frame.survey.title, attrs: { tabindex: '-1' } });
    const pr = progress();
    const label = pr.answered === 0 ? t('survey_start') : pr.missing.length || pr.answered < pr.total ? t('survey_continue') : t('survey_review');
    const start = h('button', { type: 'button', class: 'btn-primary btn-block btn-big survey-start', text: label,
      onclick: () => (pr.answered && !pr.missing.length && pr.answered === pr.total ? go('done') : go('q', firstOpen())) });
    el.replaceChildren(...[head(), title, frame.survey.intro ? h('p', { class: 'survey-intro', text: frame.survey.intro, dir: 'auto' }) : null, progressBar(), start].filter(Boolean));
  }

  // firstOpen is where to resume: the question last shown, else the first unanswered.
  const firstOpen = () => {
    if (place.mode === 'q') return place.index;
    const i = frame.questions.findIndex((q) => !answered(votes.state(targetOf(q))));
    return i < 0 ? 0 : i;
  };

  function buildQuestion() {
    const i = place.index;
    const q = frame.questions[i];
    const kind = kindOf(q);
    const target = targetOf(q);
    const number = h('p', { class: 'muted small survey-number', text: t('survey_question_n', { i: i + 1, n: frame.questions.length }) });
    const need = h('span', { class: `tag ${q.required ? 'warn' : ''} survey-need`, text: q.required ? t('survey_required') : t('survey_optional') });
    const title = h('h2', { id: `sq-${q.id}`, class: 'survey-q', text: q.question, dir: 'auto', attrs: { tabindex: '-1' } });
    const prompt = h('p', { class: 'prompt', text: kind.audience.prompt(q) });
    keys = kind.audience.input(q, { labelledBy: `sq-${q.id}`, onVote: (v) => votes.vote(target, v) });
    status = h('p', { class: 'vote-status', attrs: { role: 'status' } });
    hint = h('p', { class: 'small muted survey-hint', attrs: { role: 'status' } });
    const back = h('button', { type: 'button', class: 'btn survey-back', text: t('survey_back'), disabled: i === 0, onclick: () => go('q', i - 1) });
    nextBtn = h('button', { type: 'button', class: 'btn-primary survey-next', onclick: () => {
      if (q.required && !answered(votes.state(target))) return;
      if (i + 1 < frame.questions.length) go('q', i + 1);
      else { const m = progress().missing; if (m.length) go('q', frame.questions.indexOf(m[0])); else go('done'); }
    } });
    const title0 = h('p', { class: 'survey-title small', id: `survey-title-${surveyId}`, text: frame.survey.title, dir: 'auto' });
    el.replaceChildren(head(), title0, progressBar(), number, h('div', { class: 'survey-need-line' }, need), title, prompt, keys, status, hint,
      h('div', { class: 'survey-nav' }, back, nextBtn));
  }

  function syncQuestion() {
    const i = place.index;
    const q = frame.questions[i];
    const kind = kindOf(q);
    const target = targetOf(q);
    const st = votes.state(target);
    const mine = kind.audience.personal ? votes.mine(target) : null;
    if (kind.audience.personal && (st.status === 'counted' || st.status === 'changed')) {
      const key = JSON.stringify(st.value);
      const [was, next] = asked.get(target) || ['', 0];
      if (was !== key || (mine?.state === 'pending' && Date.now() > next)) {
        asked.set(target, [key, Date.now() + 20000 + Math.random() * 20000]);
        askMe();
      }
    }
    if (keys.sync) keys.sync({ ...st, mine }, true);
    else syncKeys(keys, target, true);
    setStatus(status, target, true, (v) => kind.audience.label(q, v));
    const has = answered(st);
    const last = i + 1 === frame.questions.length;
    nextBtn.textContent = !has && !q.required ? t('survey_skip') : last ? t('survey_finish') : t('survey_next');
    nextBtn.disabled = q.required && !has;
    hint.textContent = q.required && !has ? t('survey_required_hint') : '';
  }

  function buildDone() {
    const pr = progress();
    const title = h('h1', { id: `survey-title-${surveyId}`, class: 'fit-lines', text: frame.survey.thanks || t('survey_thanks'), attrs: { tabindex: '-1' } });
    const list = h('ol', { class: 'survey-answers' }, frame.questions.map((q, i) => {
      const st = votes.state(targetOf(q));
      const value = answered(st) ? answerText(q, st.value) : '';
      return h('li', { dataset: { poll: String(q.id) } },
        h('span', { class: 'survey-a-q', text: q.question, dir: 'auto' }),
        h('span', { class: `survey-a-v ${value ? '' : 'muted'}`, text: value || t('survey_skipped'), dir: 'auto' }),
        h('button', { type: 'button', class: 'btn-small btn-ghost survey-change', text: t('survey_change'), attrs: { 'aria-label': t('survey_change_x', { x: q.question }) }, onclick: () => go('q', i) }));
    }));
    el.replaceChildren(head(), h('div', { class: 'survey-done-mark' }, icon('check')), title,
      h('p', { class: 'muted', text: t('survey_done', { a: pr.answered, n: pr.total }) }),
      h('p', { class: 'small muted', text: t('survey_change_hint') }), list,
      h('button', { type: 'button', class: 'btn btn-block survey-close', text: t('survey_close'), onclick: () => go('entry') }));
  }

  return {
    el,
    // update shows the survey as its frame in store (the room's) says.
    update(stage, store) {
      const f = store.get(`survey:${surveyId}`);
      if (!f) return;
      frame = f;
      rerender = () => this.update(stage, store);
      if (place.index >= f.questions.length) place.index = 0;
      const sig = `${place.mode}:${place.index}:${f.questions.map((q) => `${q.id}.${q.kind}.${JSON.stringify(kindOf(q).definition(q))}.${q.required}`).join(',')}:${document.documentElement.lang}`;
      if (place.mode === 'done' && progress().missing.length) place.mode = 'entry';
      if (sig !== built) {
        built = sig;
        if (place.mode === 'q') buildQuestion();
        else if (place.mode === 'done') buildDone();
        else buildEntry();
      }
      const pr = progress();
      if (bar) syncBar(pr);
      const c = el.querySelector('.survey-count');
      if (c) c.textContent = t('survey_answered', { a: pr.answered, n: pr.total });
      if (place.mode === 'q') syncQuestion();
      el.dataset.mode = place.mode;
      el.dataset.answered = String(pr.answered);
    },
  };
}
