// The organising team on the control page: the Team view (administrators:
// accounts, their roles per event and room, password resets, sessions) and
// the My account view (everyone: password, sessions, logout everywhere, API
// tokens). Every change goes through the HTTP API of docs/protocol.md §20;
// control.js hands in its call (with the CSRF token) and its toasts.
import { h } from '/static/lib/dom.js';
import { fmtTime } from '/static/lib/format.js';
import { icon } from '/static/lib/icons.js';
import { t, fieldErrorText } from '/static/lib/lang.js';

const ROLES = ['admin', 'organiser', 'operator', 'moderator', 'viewer'];

// places returns every event the caller may see with its rooms.
async function places(call) {
  const events = await call('GET', '/api/events');
  const out = [];
  for (const e of events) {
    try {
      const m = await call('GET', `/api/events/${encodeURIComponent(e.code)}/model`);
      out.push({ id: e.id, code: e.code, title: e.title, rooms: m.rooms });
    } catch { out.push({ id: e.id, code: e.code, title: e.title, rooms: [] }); }
  }
  return out;
}

// grantText is one grant as people read it: "Room operator · TDAYS / Main stage".
export function grantText(g, evs) {
  const ev = evs.find((e) => e.id === g.event_id);
  const room = ev?.rooms.find((r) => r.id === g.room_id);
  let where = g.event_id ? (ev ? ev.code : '#' + g.event_id) : t('team_all_events');
  if (g.room_id) where += ' / ' + (room ? room.name : '#' + g.room_id);
  return `${t('role_' + g.role)} · ${where}`;
}

function chips(grants, evs) {
  return grants.length ? grants.map((g) => h('span', { class: 'tag role-' + g.role, text: grantText(g, evs) }))
    : [h('span', { class: 'muted small', text: t('team_no_role') })];
}

// grantRow is one editable grant: role, event (or all), room (or all).
function grantRow(g, evs, onRemove, roles = ROLES) {
  const role = h('select', { class: 'grant-role', attrs: { 'aria-label': t('team_role') } },
    roles.map((r) => h('option', { value: r, text: t('role_' + r) })));
  role.value = roles.includes(g.role) ? g.role : roles[roles.length - 1]; // the least role by default
  const event = h('select', { class: 'grant-event', attrs: { 'aria-label': t('team_event') } },
    h('option', { value: '0', text: t('team_all_events') }),
    evs.map((e) => h('option', { value: String(e.id), text: `${e.code} — ${e.title}`, selected: e.id === g.event_id })));
  const room = h('select', { class: 'grant-room', attrs: { 'aria-label': t('team_room') } });
  const fillRooms = () => {
    const ev = evs.find((e) => String(e.id) === event.value);
    room.replaceChildren(h('option', { value: '0', text: t('team_all_rooms') }),
      ...(ev ? ev.rooms.map((r) => h('option', { value: String(r.id), text: r.name, selected: r.id === g.room_id })) : []));
    room.disabled = !ev || role.value === 'admin';
    event.disabled = role.value === 'admin';
  };
  event.addEventListener('change', () => { g.room_id = 0; fillRooms(); });
  role.addEventListener('change', fillRooms);
  fillRooms();
  const row = h('div', { class: 'grant-row row' }, role, event, room,
    onRemove ? h('button', { type: 'button', class: 'btn-small', attrs: { 'aria-label': t('team_remove_role') }, onclick: () => { row.remove(); onRemove(); } }, icon('x')) : null);
  row.grant = () => ({ role: role.value, event_id: role.value === 'admin' ? 0 : Number(event.value), room_id: role.value === 'admin' ? 0 : Number(room.value) });
  return row;
}

function grantsEditor(grants, evs) {
  const list = h('div', { class: 'grant-list' });
  const add = (g) => list.append(grantRow({ ...g }, evs, () => {}));
  grants.forEach(add);
  const box = h('div', { class: 'field' }, h('span', { class: 'label', text: t('team_roles') }), list,
    h('button', { type: 'button', class: 'btn-small', id: 'grant-add', onclick: () => add({ role: 'viewer', event_id: evs[0]?.id || 0, room_id: 0 }) },
      icon('plus'), h('span', { text: t('team_add_role') })));
  box.grants = () => [...list.children].map((r) => r.grant());
  return box;
}

// prefix keeps the ids of the Team page's form and the account page's
// apart: both stay in the page, and a label names the first id it finds.
function input(name, label, props = {}, prefix = 'tm-') {
  const id = prefix + name;
  return h('div', { class: 'field' }, h('label', { htmlFor: id, text: label }),
    h('input', { id, name, ...props, attrs: { 'aria-describedby': id + '-error', ...(props.attrs || {}) } }),
    h('p', { class: 'field-error', id: id + '-error', dataset: { field: name } }));
}

// formError shows an API error next to its field, or at the form's foot.
function formError(form, e) {
  form.querySelectorAll('.field-error, .form-error').forEach((x) => { x.textContent = ''; });
  const box = e.field && form.querySelector(`.field-error[data-field="${e.field}"]`);
  (box || form.querySelector('.form-error')).textContent = fieldErrorText(e);
}

// renderTeam fills root with the accounts and the account form.
export async function renderTeam(root, { call, toast }) {
  const [accounts, evs] = await Promise.all([call('GET', '/api/accounts'), places(call)]);
  const editor = h('section', { class: 'card', id: 'account-form-card' });
  const openForm = (a) => {
    const grants = grantsEditor(a ? a.grants : [], evs);
    const form = h('form', { id: 'account-form', novalidate: true },
      h('h2', { text: a ? t('team_edit', { login: a.login }) : t('team_new_account') }),
      h('div', { class: 'form-grid' },
        input('login', t('login_name'), { value: a?.login || '', disabled: !!a, autocapitalize: 'none', spellcheck: false, maxLength: 40 }),
        input('display_name', t('team_display_name'), { value: a?.display_name || '', maxLength: 80 })),
      input('password', a ? t('team_reset_password') : t('team_password'), { type: 'password', autocomplete: 'new-password',
        attrs: { placeholder: a ? t('team_password_keep') : t('team_password_none') } }),
      grants,
      a && a.id !== 1 ? h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'disabled', checked: a.disabled }), t('team_disabled')) : null,
      h('p', { class: 'form-error', attrs: { role: 'alert' } }),
      h('div', { class: 'form-actions' },
        a ? h('button', { type: 'button', class: 'btn-small', onclick: () => openForm(null) }, t('cancel')) : null,
        h('button', { type: 'submit', class: 'btn-primary', id: 'account-save' }, a ? t('save') : t('team_create'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const f = form.elements;
      const body = { display_name: f.display_name.value.trim(), grants: grants.grants() };
      if (!a) body.login = f.login.value.trim().toLowerCase();
      if (f.password.value) body.password = f.password.value;
      if (f.disabled) body.disabled = f.disabled.checked;
      try {
        if (a) await call('PATCH', `/api/accounts/${a.id}`, body);
        else await call('POST', '/api/accounts', body);
        toast(t('saved'));
        await renderTeam(root, { call, toast });
      } catch (e) { if (e.status !== 401) formError(form, e); }
    });
    editor.replaceChildren(form);
  };
  const sessionsRow = (a, tr) => {
    const next = tr.nextElementSibling;
    if (next?.classList.contains('sessions-row')) { next.remove(); return; }
    const cell = h('td', { colSpan: 5 }, h('span', { class: 'muted small', text: '…' }));
    tr.after(h('tr', { class: 'sessions-row' }, cell));
    call('GET', `/api/accounts/${a.id}/sessions`).then((list) => {
      cell.replaceChildren(list.length ? h('ul', { class: 'session-list' }, list.map((s) => h('li', { class: 'row' },
        h('span', { class: 'tag', text: s.method === 'oidc' ? t('team_sso') : t('team_pw') }),
        h('span', { class: 'small', text: `${s.ip} · ${fmtTime(s.created_at)} · ${s.user_agent.slice(0, 60)}` }), h('span', { class: 'spacer' }),
        h('button', { type: 'button', class: 'btn-small btn-danger', onclick: async () => { await call('DELETE', `/api/sessions/${s.id}`); toast(t('team_session_ended')); sessionsRow(a, tr); sessionsRow(a, tr); } }, t('team_end_session')))))
        : h('span', { class: 'muted small', text: t('team_no_sessions') }));
    }).catch((e) => toast(fieldErrorText(e), true));
  };
  const rows = accounts.map((a) => {
    const tr = h('tr', { id: `account-${a.login}`, class: a.disabled ? 'disabled' : '' },
      h('td', {}, h('strong', { text: a.display_name }), h('div', { class: 'mono small muted', text: a.login })),
      h('td', {}, h('div', { class: 'chips' }, chips(a.grants, evs))),
      h('td', { class: 'small', text: [a.has_password ? t('team_pw') : null, a.issuer ? t('team_sso') : null].filter(Boolean).join(' + ') || '—' }),
      h('td', {}, a.disabled ? h('span', { class: 'tag', text: t('team_disabled_tag') }) : h('span', { class: 'tag live', text: t('team_active') })),
      h('td', { class: 'row-actions' }, h('div', { class: 'row' },
        h('button', { type: 'button', class: 'btn-small', id: `account-${a.login}-edit`, onclick: () => { openForm(a); editor.scrollIntoView({ block: 'nearest' }); } }, icon('edit'), h('span', { text: t('edit') })),
        h('button', { type: 'button', class: 'btn-small', id: `account-${a.login}-sessions`, onclick: (ev) => sessionsRow(a, ev.currentTarget.closest('tr')) }, t('team_sessions')),
        a.id !== 1 ? h('button', { type: 'button', class: 'btn-small btn-danger', id: `account-${a.login}-delete`, title: t('delete'), attrs: { 'aria-label': `${t('delete')} ${a.login}` }, onclick: async () => {
          if (!confirm(t('team_delete_confirm', { login: a.login }))) return;
          try { await call('DELETE', `/api/accounts/${a.id}`); await renderTeam(root, { call, toast }); } catch (e) { toast(fieldErrorText(e), true); }
        } }, icon('x')) : null)));
    return tr;
  });
  root.replaceChildren(
    h('section', { class: 'card' },
      h('div', { class: 'card-head' }, h('h1', { text: t('team_title') }), h('span', { class: 'spacer' }),
        h('span', { class: 'muted small', text: t('team_count', { n: accounts.length }) })),
      h('p', { class: 'muted small', text: t('team_hint') }),
      h('div', { class: 'team-scroll' }, h('table', { class: 'team-table', id: 'team-table' },
        h('thead', {}, h('tr', {}, [t('team_person'), t('team_roles'), t('team_signin'), t('team_status')].map((x) => h('th', { text: x })),
          h('th', {}, h('span', { class: 'sr-only', text: t('col_actions') })))),
        h('tbody', {}, rows)))),
    editor);
  openForm(null);
}

// renderAccount fills root with the caller's own account.
export async function renderAccount(root, { call, toast, me, onLoggedOut }) {
  const [sessions, tokens, evs] = await Promise.all([call('GET', '/api/me/sessions'), call('GET', '/api/me/tokens'), places(call)]);
  const a = me.account;
  const pw = h('form', { id: 'password-form', novalidate: true }, h('h2', { text: t('acct_password') }),
    input('current_password', t('acct_current_password'), { type: 'password', autocomplete: 'current-password' }, 'acct-'),
    input('password', t('acct_new_password'), { type: 'password', autocomplete: 'new-password' }, 'acct-'),
    h('p', { class: 'form-error', attrs: { role: 'alert' } }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn-primary' }, t('acct_change'))));
  pw.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await call('PUT', '/api/me/password', { current_password: pw.elements.current_password.value, password: pw.elements.password.value });
      pw.reset();
      toast(t('acct_password_changed'));
      renderAccount(root, { call, toast, me, onLoggedOut });
    } catch (e) { if (e.status !== 401 || e.field) formError(pw, e); }
  });
  const tokenGrant = grantRow({ ...(a.grants[0] || { role: 'viewer', event_id: 0, room_id: 0 }) }, evs, null);
  const tk = h('form', { id: 'token-form', novalidate: true }, h('h3', { text: t('acct_new_token') }),
    h('div', { class: 'form-grid' }, input('name', t('acct_token_name'), { maxLength: 60 }),
      input('expires_in_days', t('acct_token_days'), { type: 'number', min: 0, max: 3650, value: '30' })),
    h('div', { class: 'field' }, h('span', { class: 'label', text: t('team_role') }), tokenGrant),
    h('p', { class: 'field-error', dataset: { field: 'role' } }),
    h('p', { class: 'form-error', attrs: { role: 'alert' } }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn-primary' }, t('acct_make_token'))),
    h('div', { id: 'token-shown' }));
  tk.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const res = await call('POST', '/api/me/tokens', { name: tk.elements.name.value, ...tokenGrant.grant(), expires_in_days: Number(tk.elements.expires_in_days.value || 0) });
      await renderAccount(root, { call, toast, me, onLoggedOut });
      root.querySelector('#token-shown').replaceChildren(h('p', { class: 'small', text: t('acct_token_once') }), h('code', { class: 'token-value mono', id: 'token-value', text: res.token }));
    } catch (e) { if (e.status !== 401) formError(tk, e); }
  });
  root.replaceChildren(
    h('section', { class: 'card' },
      h('h1', { text: a.display_name }), h('p', { class: 'mono muted', text: a.login }),
      h('div', { class: 'chips' }, chips(a.grants, evs))),
    a.has_password ? h('section', { class: 'card' }, pw) : null,
    h('section', { class: 'card', id: 'my-sessions' },
      h('div', { class: 'card-head' }, h('h2', { text: t('team_sessions') }), h('span', { class: 'spacer' }),
        h('button', { type: 'button', class: 'btn-small btn-danger', id: 'logout-everywhere', onclick: async () => { await call('POST', '/api/logout-everywhere'); onLoggedOut(); } }, t('acct_logout_everywhere'))),
      h('ul', { class: 'session-list' }, sessions.sessions.map((s) => h('li', { class: 'row' },
        h('span', { class: 'tag', text: s.method === 'oidc' ? t('team_sso') : t('team_pw') }),
        h('span', { class: 'small', text: `${s.ip} · ${fmtTime(s.created_at)} · ${s.user_agent.slice(0, 60)}` }), h('span', { class: 'spacer' }),
        s.id === sessions.current ? h('span', { class: 'tag live', text: t('acct_this_session') })
          : h('button', { type: 'button', class: 'btn-small', onclick: async () => { await call('DELETE', `/api/me/sessions/${s.id}`); renderAccount(root, { call, toast, me, onLoggedOut }); } }, t('team_end_session')))))),
    h('section', { class: 'card', id: 'my-tokens' },
      h('h2', { text: t('acct_tokens') }),
      tokens.length ? h('ul', { class: 'session-list' }, tokens.map((x) => h('li', { class: 'row' },
        h('strong', { text: x.name }), h('span', { class: 'tag role-' + x.grant.role, text: grantText(x.grant, evs) }),
        h('span', { class: 'small muted', text: x.expires_at ? t('acct_token_until', { at: fmtTime(x.expires_at) }) : t('acct_token_never') }), h('span', { class: 'spacer' }),
        h('button', { type: 'button', class: 'btn-small btn-danger', onclick: async () => { await call('DELETE', `/api/me/tokens/${x.id}`); renderAccount(root, { call, toast, me, onLoggedOut }); } }, t('acct_revoke')))))
        : h('p', { class: 'muted small', text: t('acct_no_tokens') }),
      tk));
}
