// The live connection: the WebSocket client with reconnect and resume, and
// the per-topic frame store it fills. The protocol is in docs/protocol.md.

// frameKey names what a frame replaces: frames with the same key supersede
// each other (a tally per target, a ranking per round, a stage per room, a
// feed per room: the control topic carries one for each room; a board, its
// queue or its removal per board, a board's highlight, and a survey).
export function frameKey(f) {
  switch (f.type) {
    case 'tally': return 'tally:' + f.target;
    case 'ranking': return 'ranking:' + f.round_id;
    case 'quiz': return 'quiz:' + (f.quiz ? f.quiz.id : '');
    case 'survey': return 'survey:' + (f.survey ? f.survey.id : '');
    case 'stage': return 'stage:' + (f.room ? f.room.id : '');
    case 'feed': return 'feed:' + (f.room_id ?? '');
    case 'board': case 'board_queue': return 'board:' + (f.board ? f.board.id : '');
    case 'board_removed': return 'board:' + f.board_id;
    case 'board_highlight': return 'board_highlight:' + f.board_id;
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

// Live is the WebSocket client: it reconnects, authenticates, resubscribes
// each topic with its epoch and last seq (so the server only sends what was
// missed), estimates the server clock offset, and detects dead connections
// with an application ping.
//
// Reconnecting (docs/protocol.md §17): a connection that had been open a
// while is tried again once, 250–1000 ms after it dropped. After that, and
// at once after a close 1001 (the server is going away), the page does not
// hammer the WebSocket: it probes GET /healthz about every second (±30 %
// jitter; every 3 s once the outage passes a minute; never while the phone
// reports no network) and opens the socket as soon as a probe answers 200.
// A socket that fails again although the probe answered (the server
// accepts HTTP but not yet WebSockets, or closes at once) waits 1, 2, 4… s,
// capped at 15 s, before the next try; a flood close (4029) 10–20 s.
//
// Events (on the instance): "status" (detail: connecting|open|offline; also
// sent when down changes), "update" (detail: {topic, frame} or {topic,
// snapshot}), "message" (detail: any direct message: ack, error, my_votes,
// auth_ok…), "ready" (after auth and subscribes are sent).
//
// down says, while not open, which side is unreachable: "network" (this
// device has no network), "restarting" (the server said it is going away,
// or answers but is not ready), "server" (the server does not answer), or
// "" (not known yet).
export class Live extends EventTarget {
  constructor({ token = '', topics = [], url } = {}) {
    super();
    this.url = url || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    this.healthURL = new URL('/healthz', this.url.replace(/^ws/, 'http')).href;
    this.token = token;
    this.stores = new Map();
    for (const tp of topics) this.stores.set(tp, new TopicStore(tp));
    this.offset = 0; // server clock minus local clock, ms
    this.bestRtt = Infinity;
    this.status = 'connecting';
    this.down = '';
    this.moderator = false;
    this.degraded = false; // the server says it runs degraded (cluster node without Redis)
    this.ws = null;
    this.openedAt = 0; // when the current socket got its welcome
    this.downSince = 0; // when the last open socket was lost
    this.goingAwayAt = 0; // when the server last closed with 1001
    this.socketFails = 0; // sockets in a row that failed or did not stay open 5 s
    this.nextSocketAt = 0; // no socket attempt before this time (ms)
    this.probing = false;
    this.timer = null;
    this.pingTimer = null;
    this.lastHeard = 0;
    this.stopped = false;
    // A venue's Wi-Fi coming back brings every phone online at once: spread them.
    window.addEventListener('online', () => this.kick(Math.random() * 1000));
    window.addEventListener('offline', () => {
      if (this.ws && this.ready) this.drop();
      else this.setDown('network');
    });
    document.addEventListener('visibilitychange', () => { if (!document.hidden) this.kick(0); });
  }

  now() { return Date.now() + this.offset; }

  store(topic) { return this.stores.get(topic); }

  connect() {
    this.stopped = false;
    clearTimeout(this.timer);
    if (this.ws) { this.ws.onclose = null; try { this.ws.close(); } catch { /* closed */ } }
    let ws;
    try { ws = new WebSocket(this.url); } catch { this.ws = null; this.lost(null, 1006); return; }
    this.ws = ws;
    this.ready = false;
    ws.onmessage = (ev) => this.onMessage(ev.data);
    ws.onclose = (ev) => { if (this.ws === ws) this.lost(ws, ev.code); };
    ws.onerror = () => { /* onclose follows */ };
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stopPing();
    if (this.ws) { this.ws.onclose = null; this.ws.close(1000); this.ws = null; }
    this.setStatus('offline');
  }

  // kick looks for the server after delay ms if the socket is down (network
  // back, tab visible): a probe, then the socket.
  kick(delay = 0) {
    if (this.stopped || (this.ws && this.ws.readyState <= 1)) return;
    this.schedule(() => this.probe(), delay);
  }

  schedule(fn, delay) {
    clearTimeout(this.timer);
    this.timer = setTimeout(fn, Math.max(0, delay));
  }

  // lost handles the end of socket ws (null: it could not be created) with
  // its close code, and plans the way back.
  lost(ws, code) {
    const wasOpen = !!ws && this.ready;
    const stable = wasOpen && Date.now() - this.openedAt >= 5000;
    this.ws = null;
    this.ready = false;
    this.stopPing();
    if (this.stopped) return;
    const now = Date.now();
    if (wasOpen || !this.downSince) this.downSince = now;
    // A server going away (1001) is not the socket's fault: it does not count.
    this.socketFails = stable || code === 1001 ? 0 : this.socketFails + 1;
    this.nextSocketAt = this.socketFails < 2 ? 0 : now + Math.min(15000, 500 * 2 ** (this.socketFails - 1)) * (0.5 + Math.random());
    if (code === 4029) this.nextSocketAt = now + 10000 + Math.random() * 10000;
    if (code === 1001) { this.goingAwayAt = now; this.down = 'restarting'; }
    else if (navigator.onLine === false) this.down = 'network';
    if (this.status === 'offline') this.dispatchEvent(new CustomEvent('status', { detail: this.status })); // down may have changed
    else this.setStatus('offline');
    if (stable && code !== 1001) this.schedule(() => this.connect(), 250 + Math.random() * 750);
    else this.schedule(() => this.probe(), code === 1001 ? 200 + Math.random() * 600 : this.probeDelay());
  }

  // probeDelay is the wait before the next health probe: about a second
  // (±30 %), about three once the outage lasted a minute.
  probeDelay() {
    const base = Date.now() - this.downSince < 60000 ? 1000 : 3000;
    return base * (0.7 + Math.random() * 0.6);
  }

  // probe asks GET /healthz (no cookies, not cached, 2.5 s at most) and
  // opens the socket when it answers 200; otherwise it notes which side is
  // down and probes again later.
  async probe() {
    if (this.stopped || this.ws || this.probing) return;
    if (navigator.onLine === false) {
      this.setDown('network');
      this.schedule(() => this.probe(), this.probeDelay()); // the online event comes sooner
      return;
    }
    this.probing = true;
    let ok = false;
    const ctl = new AbortController();
    const limit = setTimeout(() => ctl.abort(), 2500);
    try {
      const res = await fetch(this.healthURL, { cache: 'no-store', credentials: 'omit', signal: ctl.signal });
      ok = res.ok;
      if (!ok) this.setDown('restarting');
    } catch {
      const leaving = Date.now() - this.goingAwayAt < 60000;
      this.setDown(navigator.onLine === false ? 'network' : leaving ? 'restarting' : 'server');
    } finally {
      clearTimeout(limit);
      this.probing = false;
    }
    if (this.stopped || this.ws) return;
    if (ok) this.schedule(() => this.connect(), this.nextSocketAt - Date.now());
    else this.schedule(() => this.probe(), this.probeDelay());
  }

  setDown(d) {
    if (this.down === d) return;
    this.down = d;
    this.dispatchEvent(new CustomEvent('status', { detail: this.status }));
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
    if (this.ws && this.ws.readyState === 1 && token) {
      this.ws.send(JSON.stringify({ type: 'auth', id: 'auth', token }));
      // Subscribing again brings my_votes for the new identity.
      for (const st of this.stores.values()) if (st.topic.startsWith('room:')) this.subscribe(st.topic);
    }
  }

  // subscribe follows topic; for a topic already followed it asks again,
  // resuming from the last frame held (the answer carries my_votes on rooms).
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
        this.degraded = !!m.degraded;
        this.ready = true;
        if (this.token) this.ws.send(JSON.stringify({ type: 'auth', id: 'auth', token: this.token }));
        for (const st of this.stores.values()) {
          this.ws.send(JSON.stringify({ type: 'subscribe', id: 'sub:' + st.topic, topic: st.topic, epoch: st.epoch, last_seq: st.seq }));
        }
        this.startPing();
        this.openedAt = Date.now();
        this.down = '';
        this.setStatus('open');
        this.dispatchEvent(new Event('ready'));
        return;
      }
      case 'snapshot': {
        const st = this.stores.get(m.topic);
        if (!st) return;
        st.applySnapshot(m);
        this.dispatchEvent(new CustomEvent('update', { detail: { topic: m.topic, snapshot: true } }));
        return;
      }
      case 'service': { // cluster: this node cannot reach the others for now
        this.degraded = m.status === 'degraded';
        this.dispatchEvent(new CustomEvent('status', { detail: this.status }));
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
    this.firstPing = setTimeout(ping, 300);
    this.pingTimer = setInterval(ping, 15000);
  }

  stopPing() {
    clearTimeout(this.firstPing);
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
    this.lost(ws, 1006);
  }
}
