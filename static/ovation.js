// Ovation shared client module: i18n, HTTP helper, live WebSocket client with
// reconnect and resume, per-topic frame store, vote sender, and small DOM and
// formatting helpers. Plain ES module, no dependencies. The protocol is in
// docs/protocol.md and api/ws.go.

// ---------------------------------------------------------------- i18n ----

const DICT = {
  en: {
    app: 'Ovation',
    lang_other: 'Français',
    enter_code: 'Event code',
    join: 'Join',
    join_hint: 'Type the code shown on the big screen.',
    code_invalid: 'An event code is 3 to 12 letters or digits.',
    joining: 'Joining…',
    no_event: 'No event with this code.',
    back_home: 'Try another code',
    choose_room: 'Which room are you in?',
    change_room: 'Change room',
    connecting: 'Connecting…',
    offline: 'Offline — your votes will be sent when the connection is back.',
    reconnecting: 'Reconnecting…',
    waiting: 'Waiting for the next vote…',
    on_stage: 'On stage',
    voting_open: 'Vote now',
    voting_soon: 'Voting opens soon',
    voting_closed: 'Voting closed',
    your_vote: 'Your vote: {v}',
    st_sending: 'Sending…',
    st_offline: 'Saved on this phone — will be sent when back online',
    st_counted: 'Counted ✓',
    st_changed: 'Changed ✓',
    st_error: 'Not counted: {m}',
    st_closed: 'Voting closed — not counted',
    rate_hint: 'Tap a score',
    choose_hint: 'Tap your answer',
    results: 'Results',
    results_hidden: 'Results hidden',
    ranking: 'Ranking',
    votes: (n) => (n === 1 ? '1 vote' : `${n} votes`),
    mean: 'mean {m}',
    score: 'score {s}',
    connected: (n) => (n === 1 ? '1 connected' : `${n} connected`),
    join_at: 'Vote on your phone',
    err_network: 'Network error — check your connection.',
    err_voting_closed: 'voting is closed',
    err_bad_value: 'this answer is not allowed',
    err_rate_limited: 'too many votes, wait a moment',
    err_unauthorized: 'please join again',
    err_not_found: 'this vote no longer exists',
    // control
    ctl_title: 'Ovation control',
    password: 'Moderator password',
    login: 'Log in',
    logout: 'Log out',
    events: 'Events',
    open: 'Open',
    new_event: 'New event',
    f_code: 'Code',
    f_title: 'Title',
    f_color: 'Colour',
    create: 'Create',
    rooms: 'Rooms',
    new_room: 'New room',
    f_name: 'Name',
    rounds: 'Rounds',
    new_round: 'New round',
    f_room: 'Room',
    f_scale: 'Scale (2–10)',
    new_pitch: 'New pitch',
    f_round: 'Round',
    f_team: 'Team',
    f_presenter: 'Presenter',
    f_duration: 'Duration (s)',
    f_video: 'Video URL',
    polls: 'Polls',
    new_poll: 'New poll',
    f_question: 'Question',
    f_kind: 'Kind',
    kind_choices: 'Choices A–F',
    kind_scale: 'Scale 1–N',
    f_choices: 'Choices (one per line)',
    f_scale_max: 'Scale max',
    f_show_results: 'Show results live',
    export: 'Export results',
    stage_link: 'Stage',
    audience_link: 'Audience page',
    votes_accepted: 'votes accepted',
    confirm_reset: 'Delete every vote for “{x}”? This cannot be undone.',
    no_pitches: 'No pitch yet.',
    no_polls: 'No poll yet.',
    no_rounds: 'No round yet.',
    all_events: 'All events',
    saved: 'Saved.',
    active_round: 'active round: {x}',
    jury_code: 'Jury code',
    s_pending: 'pending', s_on_stage: 'on stage', s_voting: 'voting', s_closed: 'closed', s_running: 'running',
    s_finished: 'finished', s_draft: 'draft', s_open: 'open', s_revealed: 'ranking shown', s_public: 'results public',
    a_start: 'Start', a_previous: 'Previous', a_next: 'Next', a_reveal: 'Reveal ranking', a_hide_ranking: 'Hide ranking',
    a_stage: 'On stage', a_open: 'Open voting', a_close: 'Close voting', a_show_results: 'Show results',
    a_hide_results: 'Hide results', a_reset_votes: 'Reset votes',
    a_timer_start: 'Start', a_timer_pause: 'Pause', a_timer_reset: 'Reset',
    col_state: 'State', col_timer: 'Timer', col_votes: 'Votes',
  },
  fr: {
    app: 'Ovation',
    lang_other: 'English',
    enter_code: 'Code de l’événement',
    join: 'Rejoindre',
    join_hint: 'Tapez le code affiché sur le grand écran.',
    code_invalid: 'Un code fait 3 à 12 lettres ou chiffres.',
    joining: 'Connexion…',
    no_event: 'Aucun événement avec ce code.',
    back_home: 'Essayer un autre code',
    choose_room: 'Dans quelle salle êtes-vous ?',
    change_room: 'Changer de salle',
    connecting: 'Connexion…',
    offline: 'Hors ligne — vos votes partiront dès le retour du réseau.',
    reconnecting: 'Reconnexion…',
    waiting: 'En attente du prochain vote…',
    on_stage: 'Sur scène',
    voting_open: 'Votez',
    voting_soon: 'Le vote va bientôt ouvrir',
    voting_closed: 'Vote fermé',
    your_vote: 'Votre vote : {v}',
    st_sending: 'Envoi…',
    st_offline: 'Gardé sur ce téléphone — envoyé au retour du réseau',
    st_counted: 'Compté ✓',
    st_changed: 'Modifié ✓',
    st_error: 'Non compté : {m}',
    st_closed: 'Vote fermé — non compté',
    rate_hint: 'Touchez une note',
    choose_hint: 'Touchez votre réponse',
    results: 'Résultats',
    results_hidden: 'Résultats masqués',
    ranking: 'Classement',
    votes: (n) => (n <= 1 ? `${n} vote` : `${n} votes`),
    mean: 'moyenne {m}',
    score: 'score {s}',
    connected: (n) => (n <= 1 ? `${n} connecté` : `${n} connectés`),
    join_at: 'Votez avec votre téléphone',
    err_network: 'Erreur réseau — vérifiez votre connexion.',
    err_voting_closed: 'le vote est fermé',
    err_bad_value: 'cette réponse n’est pas permise',
    err_rate_limited: 'trop de votes, patientez un instant',
    err_unauthorized: 'rejoignez à nouveau',
    err_not_found: 'ce vote n’existe plus',
    ctl_title: 'Ovation — régie',
    password: 'Mot de passe modérateur',
    login: 'Se connecter',
    logout: 'Se déconnecter',
    events: 'Événements',
    open: 'Ouvrir',
    new_event: 'Nouvel événement',
    f_code: 'Code',
    f_title: 'Titre',
    f_color: 'Couleur',
    create: 'Créer',
    rooms: 'Salles',
    new_room: 'Nouvelle salle',
    f_name: 'Nom',
    rounds: 'Sessions de pitchs',
    new_round: 'Nouvelle session',
    f_room: 'Salle',
    f_scale: 'Échelle (2–10)',
    new_pitch: 'Nouveau pitch',
    f_round: 'Session',
    f_team: 'Équipe',
    f_presenter: 'Présentateur',
    f_duration: 'Durée (s)',
    f_video: 'URL vidéo',
    polls: 'Sondages',
    new_poll: 'Nouveau sondage',
    f_question: 'Question',
    f_kind: 'Type',
    kind_choices: 'Choix A–F',
    kind_scale: 'Échelle 1–N',
    f_choices: 'Choix (un par ligne)',
    f_scale_max: 'Échelle max',
    f_show_results: 'Résultats visibles en direct',
    export: 'Exporter les résultats',
    stage_link: 'Écran',
    audience_link: 'Page public',
    votes_accepted: 'votes acceptés',
    confirm_reset: 'Supprimer tous les votes pour « {x} » ? Action irréversible.',
    no_pitches: 'Aucun pitch.',
    no_polls: 'Aucun sondage.',
    no_rounds: 'Aucune session.',
    all_events: 'Tous les événements',
    saved: 'Enregistré.',
    active_round: 'session active : {x}',
    jury_code: 'Code jury',
    s_pending: 'en attente', s_on_stage: 'sur scène', s_voting: 'vote ouvert', s_closed: 'fermé', s_running: 'en cours',
    s_finished: 'terminée', s_draft: 'brouillon', s_open: 'ouvert', s_revealed: 'classement affiché', s_public: 'résultats publics',
    a_start: 'Démarrer', a_previous: 'Précédent', a_next: 'Suivant', a_reveal: 'Révéler le classement', a_hide_ranking: 'Masquer le classement',
    a_stage: 'Sur scène', a_open: 'Ouvrir le vote', a_close: 'Fermer le vote', a_show_results: 'Afficher les résultats',
    a_hide_results: 'Masquer les résultats', a_reset_votes: 'Remettre à zéro',
    a_timer_start: 'Lancer', a_timer_pause: 'Pause', a_timer_reset: 'Remettre',
    col_state: 'État', col_timer: 'Chrono', col_votes: 'Votes',
  },
};

const LANG_KEY = 'ovation.lang';

function pickLang() {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved && DICT[saved]) return saved;
  const langs = navigator.languages?.length ? navigator.languages : [navigator.language || 'en'];
  for (const l of langs) {
    const base = String(l).slice(0, 2).toLowerCase();
    if (DICT[base]) return base;
  }
  return 'en';
}

let lang = pickLang();

export function currentLang() { return lang; }

// setLang switches language, re-translates static markup and notifies pages.
export function setLang(l) {
  if (!DICT[l]) return;
  lang = l;
  localStorage.setItem(LANG_KEY, l);
  applyI18n();
  window.dispatchEvent(new Event('langchange'));
}

// t translates key, replacing {name} with vars.name; function entries take vars.n.
export function t(key, vars = {}) {
  let v = DICT[lang][key] ?? DICT.en[key] ?? key;
  if (typeof v === 'function') return v(vars.n ?? 0);
  return v.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ''));
}

// applyI18n fills [data-i18n] text and [data-i18n-placeholder] placeholders.
export function applyI18n(root = document) {
  document.documentElement.lang = lang;
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  root.querySelectorAll('.lang-switch').forEach((b) => { b.textContent = t('lang_other'); });
}

// wireLangSwitch makes every .lang-switch button toggle French and English.
export function wireLangSwitch() {
  document.querySelectorAll('.lang-switch').forEach((b) => {
    b.addEventListener('click', () => setLang(lang === 'fr' ? 'en' : 'fr'));
  });
  applyI18n();
}

// errorText returns a localized text for a protocol error code, or the server's message.
export function errorText(code, message) {
  const k = 'err_' + code;
  return DICT[lang][k] || DICT.en[k] || message || code;
}

// ---------------------------------------------------------------- HTTP ----

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || '';
  }
}

// api calls a JSON endpoint and returns the decoded body (null for 204).
// Errors are thrown as ApiError with the server's {"error":{code,message,field}}.
export async function api(path, { method = 'GET', body, csrf } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (csrf) headers['X-CSRF-Token'] = csrf;
  let res;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network', t('err_network'));
  }
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(res.status, e.code || 'http_' + res.status, e.message || res.statusText, e.field);
  }
  return data;
}

// ------------------------------------------------------------ ids, time ----

// uuid returns a random v4 UUID; crypto.randomUUID needs a secure context,
// so plain-HTTP LAN deployments fall back to getRandomValues.
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// timerRemaining returns the milliseconds left on a pitch timer, using the
// server clock offset (server time minus local time).
export function timerRemaining(timer, offset = 0) {
  if (!timer) return 0;
  if (timer.running) return timer.deadline_ms - (Date.now() + offset);
  return timer.remaining_ms;
}

// fmtClock formats milliseconds as m:ss, with a leading minus once overrun.
export function fmtClock(ms) {
  const neg = ms < 0;
  const s = neg ? Math.ceil(-ms / 1000) : Math.ceil(ms / 1000);
  const out = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  return neg && s > 0 ? '−' + out : out;
}

export function fmtNum(x, digits = 2) {
  return new Intl.NumberFormat(lang, { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(x);
}

export function pct(n, total) { return total > 0 ? Math.round((100 * n) / total) : 0; }

// letter returns A..F for values 1..6.
export function letter(v) { return String.fromCharCode(64 + v); }

// ------------------------------------------------------------------ DOM ----

// h builds an element. props: class, text, attrs {}, dataset {}, style {}, on* handlers,
// and any other property set directly (value, disabled, type…). Children may be
// strings, nodes, arrays, null or false. Text always goes through textContent.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'attrs') for (const [a, av] of Object.entries(v)) { if (av !== false && av != null) el.setAttribute(a, av === true ? '' : av); }
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') Object.assign(el.style, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el[k] = v;
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// scheduler coalesces render requests into one per animation frame.
export function scheduler(fn) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; fn(); });
  };
}

// applyBrand sets --brand and a readable --on-brand from an event colour.
export function applyBrand(color) {
  if (!/^#[0-9a-f]{6}$/i.test(color || '')) return;
  const n = parseInt(color.slice(1), 16);
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const root = document.documentElement.style;
  root.setProperty('--brand', color);
  root.setProperty('--on-brand', lum > 0.45 ? '#111' : '#fff');
}

// Countdowns: any element with class "countdown" and a _timer property
// (a pitch Timer) is refreshed four times a second.
export function startCountdowns(getOffset) {
  const tick = () => {
    document.querySelectorAll('.countdown').forEach((el) => {
      if (!el._timer) return;
      const ms = timerRemaining(el._timer, getOffset());
      el.textContent = fmtClock(ms);
      el.classList.toggle('overrun', ms <= 0);
      el.classList.toggle('low', ms > 0 && ms <= 15000);
      el.classList.toggle('paused', !el._timer.running);
    });
  };
  tick();
  return setInterval(tick, 250);
}

// -------------------------------------------------------- topic store ----

// frameKey names what a frame replaces: frames with the same key supersede
// each other (a tally per target, a ranking per round, a stage per room).
export function frameKey(f) {
  switch (f.type) {
    case 'tally': return 'tally:' + f.target;
    case 'ranking': return 'ranking:' + f.round_id;
    case 'stage': return 'stage:' + (f.room ? f.room.id : '');
    default: return f.type;
  }
}

// TopicStore keeps the latest frame per key of one topic and its resume point.
export class TopicStore {
  constructor(topic) {
    this.topic = topic;
    this.epoch = '';
    this.seq = 0;
    this.frames = new Map();
  }

  applySnapshot(s) {
    if (!s.resumed) this.frames.clear();
    for (const f of s.frames || []) this.frames.set(frameKey(f), f);
    this.epoch = s.epoch;
    this.seq = s.seq;
  }

  // applyFrame stores f unless it is older than what the store holds.
  applyFrame(f) {
    if (typeof f.seq === 'number' && f.seq <= this.seq) return false;
    this.frames.set(frameKey(f), f);
    if (typeof f.seq === 'number') this.seq = f.seq;
    return true;
  }

  get(key) { return this.frames.get(key); }

}

// ---------------------------------------------------------- live socket ----

// Live is the WebSocket client: it reconnects with exponential backoff and
// jitter, authenticates, resubscribes each topic with its epoch and last seq
// (so the server only sends what was missed), estimates the server clock
// offset, and detects dead connections with an application ping.
//
// Events (on the instance): "status" (detail: connecting|open|offline),
// "update" (detail: {topic}), "message" (detail: any direct message:
// ack, error, my_votes, auth_ok…), "ready" (after auth and subscribes are sent).
export class Live extends EventTarget {
  constructor({ token = '', topics = [], url } = {}) {
    super();
    this.url = url || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    this.token = token;
    this.stores = new Map();
    for (const tp of topics) this.stores.set(tp, new TopicStore(tp));
    this.offset = 0; // server clock minus local clock, ms
    this.bestRtt = Infinity;
    this.status = 'connecting';
    this.moderator = false;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.pingTimer = null;
    this.lastHeard = 0;
    this.stopped = false;
    window.addEventListener('online', () => this.kick());
    document.addEventListener('visibilitychange', () => { if (!document.hidden) this.kick(); });
  }

  now() { return Date.now() + this.offset; }

  store(topic) { return this.stores.get(topic); }

  connect() {
    this.stopped = false;
    clearTimeout(this.timer);
    if (this.ws) { this.ws.onclose = null; try { this.ws.close(); } catch { /* closed */ } }
    this.setStatus(this.attempt === 0 ? 'connecting' : 'offline');
    let ws;
    try { ws = new WebSocket(this.url); } catch { this.retry(); return; }
    this.ws = ws;
    this.ready = false;
    ws.onmessage = (ev) => this.onMessage(ev.data);
    ws.onclose = () => { if (this.ws === ws) { this.ws = null; this.ready = false; this.stopPing(); this.retry(); } };
    ws.onerror = () => { /* onclose follows */ };
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stopPing();
    if (this.ws) { this.ws.onclose = null; this.ws.close(1000); this.ws = null; }
    this.setStatus('offline');
  }

  // kick reconnects now if the socket is down (network back, tab visible).
  kick() {
    if (this.stopped || (this.ws && this.ws.readyState <= 1)) return;
    this.attempt = Math.min(this.attempt, 1);
    this.connect();
  }

  retry() {
    if (this.stopped) return;
    this.setStatus('offline');
    const cap = Math.min(15000, 500 * 2 ** this.attempt);
    const delay = 250 + Math.random() * cap; // full jitter
    this.attempt++;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  setStatus(s) {
    if (this.status === s) return;
    this.status = s;
    this.dispatchEvent(new CustomEvent('status', { detail: s }));
  }

  send(msg) {
    if (!this.ws || this.ws.readyState !== 1 || !this.ready) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  setToken(token) {
    this.token = token;
    if (this.ws && this.ws.readyState === 1 && token) this.ws.send(JSON.stringify({ type: 'auth', id: 'auth', token }));
  }

  subscribe(topic) {
    if (!this.stores.has(topic)) this.stores.set(topic, new TopicStore(topic));
    const st = this.stores.get(topic);
    if (this.ready) this.ws.send(JSON.stringify({ type: 'subscribe', id: 'sub:' + topic, topic, epoch: st.epoch, last_seq: st.seq }));
  }

  unsubscribe(topic) {
    if (!this.stores.has(topic)) return;
    this.stores.delete(topic);
    if (this.ready) this.ws.send(JSON.stringify({ type: 'unsubscribe', topic }));
  }

  onMessage(data) {
    let m;
    try { m = JSON.parse(data); } catch { return; }
    this.lastHeard = Date.now();
    switch (m.type) {
      case 'welcome': {
        this.offset = m.server_time - Date.now();
        this.bestRtt = Infinity;
        this.moderator = !!m.moderator;
        this.ready = true;
        if (this.token) this.ws.send(JSON.stringify({ type: 'auth', id: 'auth', token: this.token }));
        for (const st of this.stores.values()) {
          this.ws.send(JSON.stringify({ type: 'subscribe', id: 'sub:' + st.topic, topic: st.topic, epoch: st.epoch, last_seq: st.seq }));
        }
        this.startPing();
        clearTimeout(this.stableTimer);
        this.stableTimer = setTimeout(() => { this.attempt = 0; }, 5000); // open a while: reset the backoff
        this.setStatus('open');
        this.dispatchEvent(new Event('ready'));
        return;
      }
      case 'snapshot': {
        const st = this.stores.get(m.topic);
        if (!st) return;
        this.attempt = 0; // a full round trip worked: reset the backoff
        st.applySnapshot(m);
        this.dispatchEvent(new CustomEvent('update', { detail: { topic: m.topic, snapshot: true } }));
        return;
      }
      case 'pong': {
        const sent = this.pings?.get(m.id);
        if (sent) {
          this.pings.delete(m.id);
          const rtt = Date.now() - sent;
          if (rtt <= this.bestRtt * 1.5 || rtt < 100) {
            this.bestRtt = Math.min(this.bestRtt, rtt);
            this.offset = m.server_time - (sent + rtt / 2);
          }
        }
        return;
      }
    }
    if (m.topic && typeof m.seq === 'number') {
      const st = this.stores.get(m.topic);
      if (st && st.applyFrame(m)) this.dispatchEvent(new CustomEvent('update', { detail: { topic: m.topic, frame: m } }));
      return;
    }
    this.dispatchEvent(new CustomEvent('message', { detail: m }));
  }

  // The application ping measures the clock offset and detects a dead link
  // (Wi-Fi gone without a TCP close): no message for 10 s after a ping → reconnect.
  startPing() {
    this.stopPing();
    this.pings = new Map();
    let n = 0;
    const ping = () => {
      if (!this.ws || this.ws.readyState !== 1) return;
      const id = 'p' + ++n;
      this.pings.set(id, Date.now());
      this.ws.send(JSON.stringify({ type: 'ping', id }));
      const sentAt = Date.now();
      this.deadTimer = setTimeout(() => { if (this.lastHeard < sentAt) this.drop(); }, 10000);
    };
    setTimeout(ping, 300);
    this.pingTimer = setInterval(ping, 15000);
  }

  stopPing() {
    clearTimeout(this.stableTimer);
    clearInterval(this.pingTimer);
    clearTimeout(this.deadTimer);
  }

  // drop abandons a silent socket without waiting for its close handshake.
  drop() {
    const ws = this.ws;
    if (!ws) return;
    ws.onclose = null;
    ws.onmessage = null;
    try { ws.close(); } catch { /* already closed */ }
    this.ws = null;
    this.ready = false;
    this.stopPing();
    this.retry();
  }
}

// ---------------------------------------------------------- vote sender ----

// Errors after which resending the same vote cannot succeed.
const FINAL_ERRORS = new Set(['voting_closed', 'bad_value', 'not_found', 'invalid', 'forbidden', 'bad_message', 'too_large']);

// VoteSender sends votes over a Live socket and keeps every unacknowledged
// vote in localStorage, resending it with the same vote_id after reconnects
// until the server acks it or refuses it for good. Only the latest vote per
// target is kept: a newer choice supersedes a pending one.
//
// state(target) returns {value, status, message}: status is "sending",
// "offline", "counted", "changed", "error" or "" (no vote). A vote is never
// shown as counted before its ack. Emits "change" and "unauthorized".
export class VoteSender extends EventTarget {
  constructor(live, storageKey) {
    super();
    this.live = live;
    this.key = storageKey;
    this.pending = new Map(); // target → {vote_id, target, value, sentAt}
    this.confirmed = new Map(); // target → {value, status}
    this.errors = new Map(); // target → {value, code, message}
    try {
      for (const v of JSON.parse(localStorage.getItem(storageKey) || '[]')) {
        if (v && v.vote_id && v.target && v.value) this.pending.set(v.target, { ...v, sentAt: 0 });
      }
    } catch { /* ignore a corrupt entry */ }
    live.addEventListener('ready', () => this.flush());
    live.addEventListener('status', () => this.emit());
    live.addEventListener('message', (ev) => this.onMessage(ev.detail));
    setInterval(() => this.flush(8000), 2000);
  }

  save() {
    localStorage.setItem(this.key, JSON.stringify([...this.pending.values()].map(({ vote_id, target, value }) => ({ vote_id, target, value }))));
  }

  emit() { this.dispatchEvent(new Event('change')); }

  vote(target, value) {
    const v = { vote_id: uuid(), target, value, sentAt: 0 };
    this.pending.set(target, v);
    this.errors.delete(target);
    this.save();
    this.sendOne(v);
    this.emit();
  }

  sendOne(v) {
    if (this.live.send({ type: 'vote', vote_id: v.vote_id, target: v.target, value: v.value })) v.sentAt = Date.now();
  }

  // flush (re)sends pending votes: all of them after a reconnect, or those
  // unanswered for olderThan ms.
  flush(olderThan = 0) {
    const now = Date.now();
    for (const v of this.pending.values()) {
      if (!olderThan || (v.sentAt && now - v.sentAt > olderThan) || !v.sentAt) this.sendOne(v);
    }
  }

  onMessage(m) {
    if (m.type === 'my_votes') {
      const next = new Map();
      for (const [target, value] of Object.entries(m.votes || {})) {
        const prev = this.confirmed.get(target);
        next.set(target, { value, status: prev && prev.value === value ? prev.status : 'counted' });
      }
      this.confirmed = next;
      this.emit();
      return;
    }
    if (m.type === 'ack') {
      const p = this.pending.get(m.target);
      if (p && p.vote_id === m.vote_id) {
        this.pending.delete(m.target);
        this.save();
        this.confirmed.set(m.target, { value: m.value, status: m.status === 'changed' ? 'changed' : 'counted' });
        this.emit();
      }
      return;
    }
    if (m.type === 'error' && m.vote_id) {
      const p = [...this.pending.values()].find((v) => v.vote_id === m.vote_id);
      if (!p) return;
      if (m.code === 'unauthorized') {
        p.sentAt = 0;
        this.dispatchEvent(new Event('unauthorized'));
      } else if (FINAL_ERRORS.has(m.code)) {
        this.pending.delete(p.target);
        this.save();
        this.errors.set(p.target, { value: p.value, code: m.code, message: m.message });
      } else {
        // rate_limited, busy, internal: try again shortly with the same vote_id.
        p.sentAt = Date.now();
        setTimeout(() => { if (this.pending.get(p.target) === p) this.sendOne(p); }, 1000 + Math.random() * 2000);
      }
      this.emit();
    }
  }

  state(target) {
    const p = this.pending.get(target);
    if (p) return { value: p.value, status: this.live.status === 'open' ? 'sending' : 'offline' };
    const e = this.errors.get(target);
    if (e) return { value: e.value, status: 'error', code: e.code, message: errorText(e.code, e.message) };
    const c = this.confirmed.get(target);
    if (c) return { value: c.value, status: c.status };
    return { value: 0, status: '' };
  }
}

// ------------------------------------------------------------- widgets ----
// These update their container in place when its shape is unchanged, so that
// bars animate and nothing a user is about to tap is replaced under a finger.

// tallyCounts returns audience + jury counts per value (length n) from a tally frame.
export function tallyCounts(tally, n) {
  const out = new Array(n).fill(0);
  if (!tally) return out;
  for (let i = 0; i < n; i++) out[i] = (tally.counts?.[i] || 0) + (tally.jury_counts?.[i] || 0);
  return out;
}

// updateBars shows horizontal bars: rows are {label, title, n}; widths are shares of the total.
export function updateBars(box, rows) {
  if (box.children.length !== rows.length) {
    box.replaceChildren(...rows.map(() => h('div', { class: 'bar' }, h('span', { class: 'label' }),
      h('div', { class: 'track' }, h('div', { class: 'fill' })), h('span', { class: 'value' }))));
  }
  const total = rows.reduce((s, r) => s + r.n, 0);
  rows.forEach((r, i) => {
    const b = box.children[i];
    b.children[0].textContent = r.label;
    b.children[0].title = r.title || r.label;
    b.querySelector('.fill').style.width = `${pct(r.n, total)}%`;
    b.children[2].textContent = `${pct(r.n, total)} %`;
    b.title = `${r.title || r.label}: ${t('votes', { n: r.n })}`;
  });
}

// updateHist shows a vertical histogram of counts for values 1..n.
export function updateHist(box, counts) {
  if (box.children.length !== counts.length) {
    box.replaceChildren(...counts.map((_, i) => h('div', { class: 'col' },
      h('span', { class: 'n' }), h('div', { class: 'fill' }), h('span', { class: 'v', text: String(i + 1) }))));
  }
  const max = Math.max(1, ...counts);
  counts.forEach((n, i) => {
    const c = box.children[i];
    c.children[0].textContent = String(n);
    c.children[1].style.height = `${(85 * n) / max}%`;
  });
}

// rankingList renders a ranking frame's entries (at most limit).
export function rankingList(entries, limit = 50) {
  return h('ol', { class: 'ranking' }, (entries || []).slice(0, limit).map((e) => {
    const n = e.audience.count + e.jury.count;
    return h('li', { class: e.rank === 1 && n > 0 ? 'top' : '' },
      h('span', { class: 'rank', text: String(e.rank) }),
      h('span', {}, h('strong', { text: e.team }), e.presenter ? h('span', { class: 'muted small', text: ' · ' + e.presenter }) : null),
      h('span', { class: 'score' }, n ? fmtNum(e.score, 2) : '–', h('span', { class: 'small muted', text: t('votes', { n }) })));
  }));
}
