// The control page's Programme panel: the event's sessions by day and
// room, from the control topic's "programme" frame; add, edit and delete
// a session; import a CSV or iCalendar file with a preview of every row
// before anything is saved; set the event's time zone; and the snippet
// that embeds a room's audience page in a web-TV page. The control page
// hands in its helpers (forms, confirmations, API calls with the CSRF
// token), so that the panel works as every other panel does.
import { h } from '/static/lib/dom.js';
import { ApiError } from '/static/lib/http.js';
import { icon } from '/static/lib/icons.js';
import { fieldErrorText, t } from '/static/lib/lang.js';
import { clock, dayKey, dayName, speakerText, span, zonedToISO, isoToZoned } from '/static/programme.js';
import { renderFeedback } from '/static/feedback-control.js';

let sig = '';
let lastFrame = null;

const fbBox = h('div', { class: 'fb-box', id: 'fb-box' }); // session feedback, below the sessions

// renderProgrammePanel draws the panel into el from the control store's
// programme frame, then its session feedback. ctx: {model, eventCode,
// can(perm), openForm, confirmDialog, call(method, path, body), toast,
// button(label, opts), csrf()}.
export function renderProgrammePanel(el, store, ctx) {
  drawProgramme(el, store, ctx);
  if (el.lastChild !== fbBox) el.append(fbBox);
  renderFeedback(fbBox, ctx, store, store?.get('programme')?.sessions || []);
}

function drawProgramme(el, store, ctx) {
  const frame = store?.get('programme');
  const { model } = ctx;
  const s = JSON.stringify([document.documentElement.lang, model.rooms.map((r) => [r.id, r.name]), ctx.can('build')]);
  if (s === sig && frame === lastFrame && el.childElementCount) return;
  sig = s;
  lastFrame = frame;
  const zone = frame?.time_zone || '';
  const sessions = frame?.sessions || [];
  const canBuild = ctx.can('build');
  const head = h('div', { class: 'card-head' },
    h('h2', { id: 'programme-title' }, icon('clock'), ' ', t('prog_panel')), h('span', { class: 'spacer' }),
    canBuild ? ctx.button(t('prog_add'), { ic: 'plus', id: 'prog-add', onclick: () => editSession(ctx, zone, null) }) : null,
    canBuild ? ctx.button(t('prog_import'), { id: 'prog-import', onclick: () => importFile(ctx, zone) }) : null);
  const tools = h('div', { class: 'prog-tools' },
    h('span', { class: 'zone', id: 'prog-zone', text: t('prog_zone', { zone: zone || '…' }) }),
    canBuild ? ctx.button(t('prog_zone_change'), { id: 'prog-zone-edit', onclick: () => editZone(ctx, zone) }) : null,
    ctx.button(t('prog_embed'), { id: 'prog-embed', onclick: () => showEmbed(ctx) }));
  if (!sessions.length) {
    el.replaceChildren(head, tools, h('p', { class: 'empty', text: t('prog_empty') }));
    return;
  }
  const roomName = (id) => model.rooms.find((r) => r.id === id)?.name || '?';
  const days = new Map();
  for (const x of sessions) {
    const d = dayKey(x.start, zone);
    if (!days.has(d)) days.set(d, []);
    days.get(d).push(x);
  }
  const blocks = [];
  for (const list of days.values()) {
    blocks.push(h('h3', { text: dayName(list[0].start, zone) }));
    for (const room of model.rooms) {
      const inRoom = list.filter((x) => x.room_id === room.id);
      if (!inRoom.length) continue;
      blocks.push(h('div', { class: 'prog-room-head', text: roomName(room.id) }),
        h('ol', { class: 'prog-list' }, inRoom.map((x) => h('li', { class: 'prog-row', dataset: { session: String(x.id) } },
          h('span', { class: 'prog-time num', text: span(x, zone) }),
          h('span', { class: 'prog-what' }, h('span', { class: 'prog-title', text: x.title, dir: 'auto' }),
            x.speakers?.length ? h('span', { class: 'prog-speakers small muted', text: speakerText(x), dir: 'auto' }) : null),
          canBuild ? h('span', { class: 'row-actions' },
            ctx.button(t('edit'), { ic: 'edit', aria: t('edit_x', { x: x.title }), onclick: () => editSession(ctx, zone, x) }),
            ctx.button(t('delete'), { ic: 'trash', danger: true, aria: t('prog_delete_x', { x: x.title }), onclick: () => deleteSession(ctx, x) })) : null))));
    }
  }
  el.replaceChildren(head, tools, ...blocks);
}

const base = (ctx) => `/api/events/${encodeURIComponent(ctx.eventCode)}/programme`;

// balanced tells whether every parenthesis of s is closed in order.
function balanced(s) {
  let depth = 0;
  for (const c of s) {
    if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

// parseSpeaker reads "Name (Affiliation)" or "Name", as the server's
// live.ParseSpeaker does: the affiliation may hold parentheses of its own.
function parseSpeaker(line) {
  const s = line.trim();
  if (s.endsWith(')')) {
    for (let i = s.indexOf(' ('); i > 0; i = s.indexOf(' (', i + 1)) {
      const inner = s.slice(i + 2, -1);
      if (balanced(inner)) return { name: s.slice(0, i).trim(), affiliation: inner.trim() };
    }
  }
  return { name: s };
}

// speakers are typed one per line.
const parseSpeakers = (lines) => (lines || []).map(parseSpeaker).filter((p) => p.name);

function editSession(ctx, zone, x) {
  const fields = [
    { name: 'title', label: t('prog_f_title'), required: true, maxLength: 120 },
    { name: 'room_id', label: t('f_room'), type: 'select', numeric: true, options: ctx.model.rooms.map((r) => [r.id, r.name]) },
    { name: 'start', label: t('prog_f_start', { zone }), type: 'datetime-local', required: true },
    { name: 'end', label: t('prog_f_end', { zone }), type: 'datetime-local', required: true },
    { name: 'speakers', label: t('prog_f_speakers'), type: 'textarea', lines: true, rows: 3, hint: t('prog_f_speakers_hint') },
    { name: 'description', label: t('prog_f_description'), type: 'textarea', rows: 3, maxLength: 2000 },
    { name: 'link', label: t('prog_f_link'), type: 'url', maxLength: 500 },
  ];
  const values = x ? { ...x, start: isoToZoned(x.start, zone), end: isoToZoned(x.end, zone),
    speakers: (x.speakers || []).map((p) => (p.affiliation ? `${p.name} (${p.affiliation})` : p.name)) }
    : { room_id: ctx.model.rooms[0]?.id };
  ctx.openForm({ title: x ? t('edit_x', { x: x.title }) : t('prog_add'), fields, values, submitLabel: x ? t('save') : t('create'),
    submit: (d) => {
      const body = { ...d, speakers: parseSpeakers(d.speakers), start: zonedToISO(d.start, zone), end: zonedToISO(d.end, zone) };
      if (!body.start) throw new ApiError(400, 'invalid', t('v_required'), 'start');
      if (!body.end) throw new ApiError(400, 'invalid', t('v_required'), 'end');
      return x ? ctx.call('PATCH', `${base(ctx)}/sessions/${x.id}`, body) : ctx.call('POST', `${base(ctx)}/sessions`, body);
    } });
}

async function deleteSession(ctx, x) {
  const ok = await ctx.confirmDialog({ title: t('prog_delete_title'), text: t('prog_delete_text', { title: x.title }), confirmLabel: t('delete') });
  if (ok) await ctx.call('DELETE', `${base(ctx)}/sessions/${x.id}`).catch((e) => ctx.toast(fieldErrorText(e), true));
}

function editZone(ctx, zone) {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  if (zone && !zones.includes(zone)) zones.unshift(zone);
  ctx.openForm({ title: t('prog_zone_change'), values: { time_zone: zone },
    fields: [zones.length ? { name: 'time_zone', label: t('prog_f_zone'), type: 'select', options: zones.map((z) => [z, z.replaceAll('_', ' ')]), hint: t('prog_f_zone_hint') }
      : { name: 'time_zone', label: t('prog_f_zone'), required: true, hint: t('prog_f_zone_hint') }],
    submit: (d) => ctx.call('PUT', `${base(ctx)}/time-zone`, d) });
}

// importFile asks for a file, previews every row (a dry run), and imports
// it only when no row is refused: the server takes it all or nothing.
function importFile(ctx, zone) {
  const dlg = document.getElementById('form-dialog');
  const input = h('input', { type: 'file', id: 'prog-file', accept: '.csv,.ics,text/csv,text/calendar', attrs: { 'aria-describedby': 'prog-file-hint' } });
  const preview = h('div', { class: 'import-preview', id: 'prog-preview', attrs: { 'aria-live': 'polite' } });
  const error = h('p', { class: 'form-error', attrs: { role: 'alert' } });
  const go = h('button', { type: 'submit', class: 'btn-primary', id: 'prog-import-go', text: t('prog_import_go', { n: 0 }), disabled: true });
  let file = null;
  const send = async (dry) => {
    const format = /\.ics$/i.test(file.name) || file.type === 'text/calendar' ? 'ics' : 'csv';
    const res = await fetch(`${base(ctx)}/import?format=${format}${dry ? '&dry_run=1' : ''}`, {
      method: 'POST', credentials: 'same-origin', body: await file.arrayBuffer(),
      headers: { 'Content-Type': format === 'ics' ? 'text/calendar' : 'text/csv', Accept: 'application/json', 'X-CSRF-Token': ctx.csrf() } });
    const data = await res.json().catch(() => null);
    if (!res.ok) { const e = data?.error || {}; throw new ApiError(res.status, e.code || `http_${res.status}`, e.message || res.statusText, e.field); }
    return data;
  };
  input.addEventListener('change', async () => {
    file = input.files[0] || null;
    go.disabled = true;
    error.textContent = '';
    preview.replaceChildren();
    if (!file) return;
    try {
      const r = await send(true);
      const roomName = (id, name) => ctx.model.rooms.find((x) => x.id === id)?.name || name;
      preview.replaceChildren(
        h('p', { class: r.refused ? 'form-error' : 'muted', id: 'prog-preview-summary', text: t('prog_import_summary', { n: r.accepted, refused: r.refused }) }),
        h('table', {}, h('thead', {}, h('tr', {}, [t('prog_col_line'), t('prog_col_when'), t('prog_f_title'), t('f_room'), t('prog_col_status')].map((c) => h('th', { text: c })))),
          h('tbody', {}, r.rows.map((row) => h('tr', { class: row.error ? 'refused' : '' },
            h('td', { class: 'num', text: String(row.line) }),
            h('td', { class: 'num', text: row.session.start && !row.session.start.startsWith('0001') ? `${dayKey(row.session.start, zone)} ${clock(row.session.start, zone)}` : '' }),
            h('td', { text: row.session.title, dir: 'auto' }),
            h('td', { text: roomName(row.session.room_id, row.room) }),
            h('td', { text: row.error || t('prog_row_ok') }))))));
      go.textContent = t('prog_import_go', { n: r.accepted });
      go.disabled = r.refused > 0 || r.accepted === 0;
    } catch (e) {
      if (e.status === 401) { dlg.close(); return; }
      error.textContent = fieldErrorText(e);
    }
  });
  const form = h('form', { id: 'dlg-form', noValidate: true, attrs: { 'aria-labelledby': 'dlg-title' } },
    h('h2', { id: 'dlg-title', text: t('prog_import') }),
    h('div', { class: 'field' }, h('label', { htmlFor: 'prog-file', text: t('prog_import_file') }), input,
      h('p', { class: 'hint', id: 'prog-file-hint', text: t('prog_import_hint') })),
    preview, error,
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn-ghost', text: t('cancel'), onclick: () => dlg.close() }), go));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!file) return;
    go.disabled = true;
    try {
      const r = await send(false);
      dlg.close();
      ctx.toast(t('prog_imported', { n: r.imported }));
    } catch (e) {
      error.textContent = fieldErrorText(e);
    }
  });
  dlg.replaceChildren(form);
  dlg.showModal();
  input.focus();
}

// showEmbed shows the snippet that frames a room's audience page in a
// web-TV page and sizes its iframe from the page's messages.
function showEmbed(ctx) {
  const dlg = document.getElementById('form-dialog');
  const origin = location.origin;
  const snippet = (room) => embedSnippet(origin, ctx.eventCode, room);
  const area = h('textarea', { class: 'embed-snippet', id: 'prog-embed-code', rows: 12, readOnly: true, value: snippet(ctx.model.rooms[0]?.id || 0) });
  const pick = h('select', { id: 'prog-embed-room', onchange: () => { area.value = snippet(Number(pick.value)); } },
    ctx.model.rooms.map((r) => h('option', { value: String(r.id), text: r.name })));
  dlg.replaceChildren(h('div', { class: 'dialog-body', attrs: { 'aria-labelledby': 'dlg-title' } },
    h('h2', { id: 'dlg-title', text: t('prog_embed') }),
    h('p', { class: 'muted small', text: t('prog_embed_hint') }),
    h('div', { class: 'field' }, h('label', { htmlFor: 'prog-embed-room', text: t('f_room') }), pick),
    h('div', { class: 'field' }, h('label', { htmlFor: 'prog-embed-code', text: t('prog_embed_code') }), area),
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn-ghost', text: t('close'), onclick: () => dlg.close() }),
      h('button', { type: 'button', class: 'btn-primary', text: t('prog_embed_copy'), onclick: () => { navigator.clipboard?.writeText(area.value).then(() => ctx.toast(t('prog_embed_copied'))); } }))));
  dlg.showModal();
}

// embedSnippet is the HTML to paste in a web-TV page (README, "Web TV").
export function embedSnippet(origin, code, room) {
  const src = `${origin}/e/${encodeURIComponent(code)}?room=${room}&embed=1`;
  return `<iframe id="ovation" src="${src}" title="Ovation" style="width:100%;max-width:34rem;border:0;height:32rem" allow="clipboard-write"></iframe>
<script>
addEventListener('message', (e) => {
  if (e.origin !== '${origin}' || !e.data || e.data.type !== 'ovation:height') return;
  document.getElementById('ovation').style.height = e.data.height + 'px';
});
</script>`;
}
