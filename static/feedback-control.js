// Session feedback in the control page's Programme panel: the event's
// feedback settings (the template survey every session's feedback is
// copied from, how long it stays open after the session ends), each
// session's feedback (its own survey, or none: "no feedback for this
// session") with its results, and the Speakers view ranking speakers by
// their mean over every rating of the sessions they spoke in. Results come
// from GET /api/events/:code/feedback/results, asked again when a session
// survey's answers change.
import { h } from '/static/lib/dom.js';
import { icon } from '/static/lib/icons.js';
import { fmtDuration } from '/static/lib/format.js';
import { fieldErrorText, t } from '/static/lib/lang.js';
import { speakerText } from '/static/programme.js';

let results = null; // the last answer of the results route
let asked = ''; // the signature the results were asked for
let asking = false;
let drawn = ''; // what the block shows now

const base = (ctx) => `/api/events/${encodeURIComponent(ctx.eventCode)}/feedback`;
const fmt = (sc) => (sc && sc.count ? sc.mean.toFixed(2) : '–');

// signature changes when a session survey or one of its tallies changes,
// so that the results are asked again only then.
function signature(ctx, store) {
  const parts = [];
  for (const s of ctx.model.surveys || []) {
    if (s.session_id == null) continue;
    parts.push(s.id, s.state, s.closes_at);
    for (const q of s.questions || []) parts.push(store?.get(`tally:poll:${q}`)?.total ?? 0);
  }
  return JSON.stringify(parts);
}

// renderFeedback draws the feedback part of the Programme panel into box
// for the programme's sessions, when what it shows changed; it asks for
// the results again when a session survey's answers changed.
export function renderFeedback(box, ctx, store, sessions) {
  const sig = signature(ctx, store) + ctx.eventCode;
  if (sig !== asked && !asking) {
    asking = true;
    // Results are for those who may export; others see the settings.
    const ask = ctx.can('export') ? ctx.call('GET', `${base(ctx)}/results`)
      : ctx.call('GET', `${base(ctx)}/settings`).then((settings) => ({ settings, sessions: [], speakers: [] }));
    ask.then((r) => { results = r; asked = sig; })
      .catch(() => { asked = sig; })
      .finally(() => { asking = false; drawn = ''; renderFeedback(box, ctx, store, sessions); });
  }
  const now = JSON.stringify([document.documentElement.lang, sessions, ctx.model.surveys, ctx.can('build'), asked, asking]);
  if (now === drawn && box.childElementCount) return;
  drawn = now;
  box.replaceChildren(feedbackBlock(ctx, sessions));
}

function feedbackBlock(ctx, sessions) {
  const set = results?.settings;
  const tpl = (ctx.model.surveys || []).find((s) => s.id === set?.template_survey_id);
  const canBuild = ctx.can('build');
  const head = h('div', { class: 'card-head fb-head' },
    h('h3', { id: 'feedback-title' }, icon('users'), ' ', t('fb_title')), h('span', { class: 'spacer' }),
    canBuild ? ctx.button(t('fb_settings'), { id: 'fb-settings', onclick: () => editSettings(ctx, set) }) : null,
    ctx.can('export') ? h('a', { class: 'btn btn-small', id: 'fb-csv', href: `${base(ctx)}/results?format=csv` }, icon('download'), h('span', { text: 'CSV' })) : null,
    ctx.can('export') ? h('a', { class: 'btn btn-small', id: 'fb-json', href: `${base(ctx)}/results?format=json` }, icon('download'), h('span', { text: 'JSON' })) : null);
  const line = h('p', { class: 'muted small', id: 'fb-summary', text: set
    ? `${tpl ? t('fb_template', { x: tpl.title }) : t('fb_no_template')} ${t('fb_open_for', { d: fmtDuration(set.feedback_open_for) })}` : '…' });
  if (!ctx.can('export')) return h('section', { class: 'fb-block', attrs: { 'aria-labelledby': 'feedback-title' } }, head, line);
  const bySession = new Map((results?.sessions || []).map((f) => [f.session.id, f]));
  const none = new Set(set?.no_feedback || []);
  const rows = sessions.map((x) => {
    const f = bySession.get(x.id);
    const off = none.has(x.id);
    const state = off ? t('fb_none') : f?.survey_id ? t(`fb_phase_${f.phase}`) : t('fb_phase_waiting');
    return h('tr', { dataset: { feedbackSession: String(x.id) } },
      h('th', { scope: 'row' }, h('span', { text: x.title, dir: 'auto' }),
        x.speakers?.length ? h('span', { class: 'small muted fb-speakers', text: speakerText(x), dir: 'auto' }) : null),
      h('td', { class: 'fb-state', text: state }),
      h('td', { class: 'num', text: String(f?.respondents || 0) }),
      h('td', { class: 'num fb-mean', text: fmt(f?.overall) }),
      canBuild ? h('td', { class: 'fb-actions' }, h('span', { class: 'row-actions' },
        ctx.button(off ? t('fb_ask') : t('fb_skip'), { aria: `${off ? t('fb_ask') : t('fb_skip')}: ${x.title}`,
          onclick: () => toggleSession(ctx, set, x.id, !off) }),
        !off && !f?.survey_id && tpl ? ctx.button(t('fb_own'), { aria: `${t('fb_own')}: ${x.title}`, onclick: () => ownSurvey(ctx, set, x) }) : null)) : null);
  });
  const sessTable = h('table', { class: 'fb-table', id: 'fb-sessions' },
    h('caption', { text: t('fb_sessions') }),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: t('fb_col_session') }), h('th', { scope: 'col', text: t('fb_col_state') }),
      h('th', { scope: 'col', class: 'num', text: t('fb_col_respondents') }), h('th', { scope: 'col', class: 'num', text: t('fb_col_mean') }),
      canBuild ? h('th', { scope: 'col' }, h('span', { class: 'sr-only', text: t('col_actions') })) : null)),
    h('tbody', {}, rows));
  const speakers = results?.speakers || [];
  const spTable = h('table', { class: 'fb-table', id: 'fb-speakers' },
    h('caption', { text: t('fb_speakers') }),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'num', text: '#' }), h('th', { scope: 'col', text: t('fb_col_speaker') }),
      h('th', { scope: 'col', class: 'num', text: t('fb_col_sessions') }), h('th', { scope: 'col', class: 'num', text: t('fb_col_mean') }),
      h('th', { scope: 'col', class: 'num', text: t('fb_col_ratings') }), h('th', { scope: 'col', text: t('fb_col_statements') }))),
    h('tbody', {}, speakers.length ? speakers.map((sp, i) => h('tr', { dataset: { speaker: sp.name } },
      h('td', { class: 'num', text: String(i + 1) }),
      h('th', { scope: 'row', text: sp.name, dir: 'auto' }),
      h('td', { class: 'num', text: String(sp.sessions.length) }),
      h('td', { class: 'num fb-mean', text: fmt(sp.overall) }),
      h('td', { class: 'num fb-count', text: String(sp.overall.count) }),
      h('td', { class: 'small muted', text: sp.statements.map((s) => `${s.statement} ${fmt(s)}`).join(' · '), dir: 'auto' })))
      : h('tr', {}, h('td', { colspan: 6, class: 'muted', text: t('fb_no_speakers') }))));
  return h('section', { class: 'fb-block', attrs: { 'aria-labelledby': 'feedback-title' } }, head, line,
    h('div', { class: 'fb-scroll' }, sessTable), h('div', { class: 'fb-scroll' }, spTable));
}

function put(ctx, set, patch) {
  const body = { template_survey_id: set?.template_survey_id || 0, feedback_open_for: set?.feedback_open_for || '15m', no_feedback: set?.no_feedback || [], ...patch };
  return ctx.call('PUT', `${base(ctx)}/settings`, body).then(() => { asked = ''; drawn = ''; });
}

// shortDuration writes a duration as people type it: "15m", not "15m0s".
function shortDuration(d) { return String(d).replace(/(\d[hm])0s$/, '$1').replace(/(\d)h0m$/, '$1h'); }

function editSettings(ctx, set) {
  const surveys = (ctx.model.surveys || []).filter((s) => s.session_id == null);
  ctx.openForm({ title: t('fb_settings'),
    values: { template_survey_id: set?.template_survey_id || 0, feedback_open_for: shortDuration(set?.feedback_open_for || '15m') },
    fields: [
      { name: 'template_survey_id', label: t('fb_f_template'), type: 'select', numeric: true, options: [[0, t('fb_f_none')], ...surveys.map((s) => [s.id, s.title])], hint: t('fb_f_template_hint') },
      { name: 'feedback_open_for', label: t('fb_f_open_for'), required: true, maxLength: 20, hint: t('fb_f_open_for_hint') },
    ],
    submit: (d) => put(ctx, set, d) });
}

function toggleSession(ctx, set, id, off) {
  const list = new Set(set?.no_feedback || []);
  if (off) list.add(id); else list.delete(id);
  put(ctx, set, { no_feedback: [...list] }).catch((e) => ctx.toast(fieldErrorText(e), true));
}

// ownSurvey makes the session its own survey, a copy of the template to
// edit in the Surveys section; it opens by itself as the template's would.
function ownSurvey(ctx, set, x) {
  ctx.call('POST', `/api/events/${encodeURIComponent(ctx.eventCode)}/surveys`,
    { room_id: x.room_id, title: x.title, session_id: x.id, from_survey_id: set.template_survey_id })
    .then(() => { asked = ''; ctx.toast(t('fb_own_done', { x: x.title })); })
    .catch((e) => ctx.toast(fieldErrorText(e), true));
}
