// The programme on the pages: a room's sessions on now and next, picked
// from the room's "programme" frame by the page's clock (corrected by the
// server's), times shown in the event's time zone whatever the reader's,
// the audience page's Now / Next card with the day's sessions of the room,
// and the stage lobby's line for the session on now (docs/protocol.md §21).
import { t, h, icon, safeURL } from '/static/ovation.js';

const lang = () => document.documentElement.lang || 'en';

// nowNext returns the session on now (the first that started and has not
// ended) and the next one (the first to start later) of a programme frame.
export function nowNext(frame, now) {
  let on = null;
  let next = null;
  for (const s of frame?.sessions || []) {
    const a = Date.parse(s.start);
    const b = Date.parse(s.end);
    if (a <= now && now < b) { if (!on) on = s; } else if (a > now && (!next || a < Date.parse(next.start))) next = s;
  }
  return { on, next };
}

// untilChange is the time in ms until the session on now or next changes
// (a start or an end passes), at most an hour.
export function untilChange(frame, now) {
  let soon = now + 3600e3;
  for (const s of frame?.sessions || []) {
    for (const x of [Date.parse(s.start), Date.parse(s.end)]) if (x > now && x < soon) soon = x;
  }
  return soon - now;
}

// followClock calls render whenever the session on now or next changes;
// call it again after each render (it replaces its own timer).
export function followClock(timerHolder, frame, now, render) {
  clearTimeout(timerHolder.timer);
  timerHolder.timer = setTimeout(render, untilChange(frame, now) + 250);
}

// clock formats a time as hours and minutes in zone.
export function clock(iso, zone) {
  try {
    return new Intl.DateTimeFormat(lang(), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone || undefined }).format(new Date(iso));
  } catch { return new Intl.DateTimeFormat(lang(), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso)); }
}

// dayKey is the date (YYYY-MM-DD) of a time in zone.
export function dayKey(iso, zone) {
  try {
    return new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: zone || undefined }).format(new Date(iso));
  } catch { return String(iso).slice(0, 10); }
}

// dayName formats a day of the programme: "lundi 7 décembre".
export function dayName(iso, zone) {
  try {
    return new Intl.DateTimeFormat(lang(), { weekday: 'long', day: 'numeric', month: 'long', timeZone: zone || undefined }).format(new Date(iso));
  } catch { return dayKey(iso, zone); }
}

// speakerText names a session's speakers: "Ada Lovelace (Analytical Engines), Grace Hopper".
export function speakerText(s) {
  return (s.speakers || []).map((p) => (p.affiliation ? `${p.name} (${p.affiliation})` : p.name)).join(', ');
}

// span is a session's times: "09:30–10:15".
export const span = (s, zone) => `${clock(s.start, zone)}–${clock(s.end, zone)}`;

// zoneOffset is zone's offset from UTC at time ms, in ms.
function zoneOffset(zone, ms) {
  const parts = {};
  for (const p of new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(ms))) parts[p.type] = p.value;
  const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute, +parts.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

// zonedToISO turns a wall time in zone ("2026-12-07T09:30", from a
// datetime-local input) into an RFC 3339 time in UTC; "" if not a time.
export function zonedToISO(local, zone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local || '');
  if (!m) return '';
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  let ms = wall - zoneOffset(zone, wall);
  ms = wall - zoneOffset(zone, ms); // the offset at the time itself, across a change of summer time
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

// isoToZoned is the wall time in zone of an RFC 3339 time, for a datetime-local input.
export function isoToZoned(iso, zone) {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  return new Date(ms + zoneOffset(zone, ms)).toISOString().slice(0, 16);
}

// sessionRow is one session in a list: its times, title, speakers and room.
export function sessionRow(s, zone, { on = false, room = '' } = {}) {
  const link = safeURL(s.link);
  return h('li', { class: on ? 'prog-row prog-on' : 'prog-row', dataset: { session: String(s.id) } },
    h('span', { class: 'prog-time num', text: span(s, zone) }),
    h('span', { class: 'prog-what' },
      link ? h('a', { class: 'prog-title', href: link, target: '_blank', rel: 'noopener', text: s.title, dir: 'auto' })
        : h('span', { class: 'prog-title', text: s.title, dir: 'auto' }),
      s.speakers?.length ? h('span', { class: 'prog-speakers small muted', text: speakerText(s), dir: 'auto' }) : null,
      room ? h('span', { class: 'prog-room small muted', text: room }) : null));
}

// nowNextCard is the audience page's card of a room's programme: the
// session on now and the next one, and the day's sessions of the room in a
// disclosure. update(frame, now) redraws it when something changed; el is
// null-rendered (hidden) while the room has no session today or later.
export function nowNextCard() {
  const body = h('div', { class: 'prog-now-next' });
  const list = h('ol', { class: 'prog-list' });
  const summary = h('summary', {});
  const day = h('details', { class: 'prog-day', id: 'prog-day' }, summary, list);
  const el = h('section', { class: 'card prog-card', id: 'programme-card', attrs: { 'aria-labelledby': 'prog-card-title' } },
    h('h2', { class: 'eyebrow', id: 'prog-card-title' }, icon('clock'), ' ', h('span', { class: 'prog-card-label' })), body, day);
  let sig = '';
  return {
    el,
    update(frame, now) {
      const zone = frame?.time_zone;
      const { on, next } = nowNext(frame, now);
      const shownDay = dayKey(new Date((on || next)?.start ?? now).toISOString(), zone);
      const today = (frame?.sessions || []).filter((s) => dayKey(s.start, zone) === shownDay);
      const s = JSON.stringify([lang(), on?.id, next?.id, today.map((x) => [x.id, x.title, x.start, x.end, x.speakers, x.link]), zone]);
      el.hidden = !on && !next;
      if (s === sig) return;
      sig = s;
      el.querySelector('.prog-card-label').textContent = t('prog_title');
      const block = (label, x, cls) => h('div', { class: `prog-slot ${cls}` },
        h('div', { class: 'prog-slot-head' }, h('span', { class: 'prog-label', text: label }), h('span', { class: 'prog-time num', text: span(x, zone) })),
        h('strong', { class: 'prog-title', text: x.title, dir: 'auto' }),
        x.speakers?.length ? h('span', { class: 'prog-speakers muted', text: speakerText(x), dir: 'auto' }) : null);
      body.replaceChildren(
        on ? block(t('prog_now'), on, 'prog-slot-now') : h('p', { class: 'muted small prog-none', text: t('prog_nothing_now') }),
        next ? block(t('prog_next'), next, 'prog-slot-next') : null);
      summary.textContent = t('prog_day', { day: today.length ? dayName(today[0].start, zone) : '', n: today.length });
      list.replaceChildren(...today.map((x) => sessionRow(x, zone, { on: on?.id === x.id })));
    },
  };
}

// lobbyLine is the stage lobby's line for the session on now: its title
// and speakers, under the event's name. update(frame, now, fit) fills it
// and returns whether a session is on; fit(el) fits a name to its box.
export function lobbyLine() {
  const title = h('div', { class: 'lobby-session-title fit-lines', id: 'lobby-session-title' });
  const speakers = h('div', { class: 'lobby-session-speakers fit-lines', id: 'lobby-session-speakers' });
  const when = h('span', { class: 'lobby-session-when num' });
  const el = h('div', { class: 'lobby-session', id: 'lobby-session', hidden: true },
    h('div', { class: 'lobby-session-kicker' }, h('span', { class: 'lobby-session-label' }), ' ', when), title, speakers);
  return {
    el,
    update(frame, now, fit) {
      const { on } = nowNext(frame, now);
      el.hidden = !on;
      if (!on) return false;
      el.querySelector('.lobby-session-label').textContent = t('prog_now');
      when.textContent = span(on, frame.time_zone);
      title.textContent = on.title;
      speakers.textContent = speakerText(on);
      speakers.hidden = !on.speakers?.length;
      fit(title);
      if (!speakers.hidden) fit(speakers);
      return true;
    },
  };
}
