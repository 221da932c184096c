// Stage display (/stage/CODE?room=ID): a kiosk screen that follows one
// room's topic and never needs a click. ?theme=light overrides the dark theme,
// ?lang=fr|en the language.
import {
  api, t, h, applyI18n, setLang, applyBrand, Live, startCountdowns, scheduler, letter,
  tallyCounts, updateBars, updateHist, rankingList, fmtNum,
} from '/static/ovation.js';

const params = new URLSearchParams(location.search);
const code = decodeURIComponent(location.pathname.split('/')[2] || '').trim().toUpperCase();
if (params.get('theme')) document.documentElement.dataset.theme = params.get('theme');
if (params.get('lang')) setLang(params.get('lang'));
applyI18n();

const $ = (id) => document.getElementById(id);
const main = $('main');
let live = null;
let roomId = 0;
let view = { key: '', update: () => {} };

async function boot() {
  for (let attempt = 0; ; attempt++) {
    try {
      const ev = await api(`/api/events/${encodeURIComponent(code)}`);
      const wanted = Number(params.get('room'));
      const room = ev.rooms.find((r) => r.id === wanted) || ev.rooms[0];
      roomId = room.id;
      applyEvent(ev);
      break;
    } catch (e) {
      main.replaceChildren(h('div', { class: 'idle' }, h('p', { class: 'hidden-note', text: e.message })));
      await new Promise((r) => setTimeout(r, Math.min(30000, 2000 * 2 ** attempt)));
    }
  }
  live = new Live({ topics: [`room:${roomId}`] });
  const render = scheduler(renderAll);
  live.addEventListener('update', render);
  live.addEventListener('status', () => { $('reconnecting').hidden = live.status === 'open'; });
  window.addEventListener('langchange', () => { view = { key: '' }; renderAll(); });
  startCountdowns(() => live.offset);
  live.connect();
}

function applyEvent(ev) {
  applyBrand(ev.color);
  $('title').textContent = document.title = ev.title;
  $('joincode').textContent = ev.code;
  $('joinurl').textContent = `${location.host}/e/${ev.code}`;
  const logo = $('logo');
  if (ev.logo_url && logo.getAttribute('src') !== ev.logo_url) logo.src = ev.logo_url;
  logo.hidden = !ev.logo_url;
}

function renderAll() {
  const store = live.store(`room:${roomId}`);
  const stage = store.get(`stage:${roomId}`);
  if (!stage) return;
  applyEvent(stage.event);
  const presence = store.get('presence');
  $('presence').textContent = presence ? t('connected', { n: presence.connected }) : '';
  $('room').textContent = stage.room.name + (stage.round ? ` · ${stage.round.title}` : '');

  // What the screen shows, most urgent first.
  const round = stage.round;
  const openPoll = stage.polls.find((p) => p.state === 'open');
  const pitch = round && round.state === 'running' ? round.pitches.find((p) => p.id === round.current_pitch_id) : null;
  const shownPolls = stage.polls.filter((p) => p.state === 'closed' && p.show_results);
  let next;
  if (openPoll) next = ['poll', openPoll.id, () => pollView(openPoll.id)];
  else if (round && round.ranking_revealed) next = ['ranking', round.id, () => rankingView(round.id)];
  else if (pitch) next = ['pitch', pitch.id, () => pitchView(pitch.id)];
  else if (shownPolls.length) {
    const p = shownPolls[shownPolls.length - 1];
    next = ['poll', p.id, () => pollView(p.id)];
  } else next = ['idle', 0, idleView];
  const key = `${next[0]}:${next[1]}`;
  if (view.key !== key) {
    view = next[2]();
    view.key = key;
    main.replaceChildren(view.el);
  }
  $('joinbox').hidden = next[0] === 'idle';
  view.update(stage, store);
}

function idleView() {
  const codeEl = h('div', { class: 'join-code' });
  const url = h('div', { class: 'join-url' });
  return {
    el: h('div', { class: 'idle' }, h('p', { class: 'stage-kicker', text: t('join_at') }), codeEl, url),
    update(stage) {
      codeEl.textContent = stage.event.code;
      url.textContent = `${location.host}/e/${stage.event.code}`;
    },
  };
}

function pitchView(pitchId) {
  const kicker = h('div', { class: 'stage-kicker' });
  const team = h('div', { class: 'stage-team' });
  const presenter = h('div', { class: 'stage-presenter' });
  const clock = h('div', { class: 'countdown' });
  const state = h('div', { class: 'big-number' });
  const hist = h('div', { class: 'hist' });
  const meta = h('div', { class: 'big-number' });
  const hidden = h('div', { class: 'hidden-note' });
  const el = h('div', { class: 'stage-grid' },
    h('div', {}, kicker, team, presenter, h('div', { style: { marginTop: '4vh' } }, clock)),
    h('div', {}, state, hist, meta, hidden));
  return {
    el,
    update(stage, store) {
      const round = stage.round;
      const i = round.pitches.findIndex((x) => x.id === pitchId);
      const p = round.pitches[i];
      if (!p) return;
      kicker.textContent = `${t('on_stage')} · ${i + 1}/${round.pitches.length}`;
      team.textContent = p.team;
      presenter.textContent = p.presenter;
      clock._timer = p.timer;
      state.textContent = p.state === 'voting' ? t('voting_open') : p.state === 'closed' ? t('voting_closed') : t('voting_soon');
      state.style.color = p.state === 'voting' ? 'var(--accent)' : 'var(--muted)';
      const tally = store.get(`tally:pitch:${pitchId}`);
      const total = tally ? tally.total : 0;
      const show = tally && !tally.hidden;
      hist.hidden = !show;
      hidden.hidden = show || p.state === 'on_stage' || p.state === 'pending';
      if (show) {
        updateHist(hist, tallyCounts(tally, round.scale));
        meta.textContent = `${t('votes', { n: total })} · ${t('mean', { m: fmtNum(tally.mean || 0, 2) })}`;
      } else {
        meta.textContent = p.state === 'on_stage' || p.state === 'pending' ? '' : t('votes', { n: total });
        hidden.textContent = t('results_hidden');
      }
    },
  };
}

function pollView(pollId) {
  const question = h('div', { class: 'stage-question' });
  const kicker = h('div', { class: 'stage-kicker' });
  const bars = h('div', { class: 'bars' });
  const meta = h('div', { class: 'big-number', style: { marginTop: '3vh' } });
  const hidden = h('div', { class: 'hidden-note' });
  const choices = h('div', { class: 'legend' });
  return {
    el: h('div', {}, kicker, question, bars, choices, hidden, meta),
    update(stage, store) {
      const p = stage.polls.find((x) => x.id === pollId);
      if (!p) return;
      const n = p.kind === 'choices' ? p.choices.length : p.scale_max;
      kicker.textContent = p.state === 'open' ? t('voting_open') : t('voting_closed');
      question.textContent = p.question;
      const tally = store.get(`tally:poll:${pollId}`);
      const show = tally && !tally.hidden;
      const counts = tallyCounts(show ? tally : null, n);
      const rows = counts.map((c, i) => (p.kind === 'choices'
        ? { label: `${letter(i + 1)}  ${p.choices[i]}`, n: c } : { label: String(i + 1), n: c }));
      bars.hidden = !show;
      if (show) updateBars(bars, rows);
      // Hidden results still list the choices, so the room knows what to press.
      choices.hidden = show || p.kind !== 'choices';
      if (!show && p.kind === 'choices' && choices.children.length !== n) {
        choices.replaceChildren(...p.choices.map((c, i) => h('div', { class: 'legend-row' },
          h('span', { class: 'letter', text: letter(i + 1) }), h('span', { text: c }))));
      }
      hidden.hidden = show;
      hidden.textContent = t('results_hidden');
      meta.textContent = t('votes', { n: tally ? tally.total : 0 });
    },
  };
}

function rankingView(roundId) {
  const title = h('div', { class: 'stage-question' });
  const list = h('div');
  return {
    el: h('div', {}, title, list),
    update(stage, store) {
      title.textContent = `${t('ranking')} — ${stage.round.title}`;
      const f = store.get(`ranking:${roundId}`);
      list.replaceChildren(rankingList(f?.entries || [], 8));
    },
  };
}

boot();
