// Votes: sending a phone's votes until the server acks or refuses them, kept
// across reloads and reconnects.

import { uuid, sameAnswer } from '/static/lib/format.js';
import { errorText } from '/static/lib/lang.js';

// Errors after which resending the same vote cannot succeed.
const FINAL_ERRORS = new Set(['voting_closed', 'bad_value', 'not_found', 'invalid', 'forbidden', 'bad_message', 'too_large']);

// VoteSender sends votes over a Live socket and keeps every unacknowledged
// vote in localStorage, resending it with the same vote_id after reconnects
// until the server acks it or refuses it for good. Only the latest vote per
// target is kept: a newer choice supersedes a pending one.
//
// It also notices when a moderator resets votes: a tally with total 0 for a
// target this phone holds a counted vote for makes it subscribe again to the
// room, and the my_votes that answers says whether the vote is gone (a reset)
// or still there (the tally was computed just before the vote committed).
//
// state(target) returns {value, status, message}: status is "sending",
// "received" or "queued" (a cluster edge holds it; not yet counted), "offline", "counted", "changed", "error", "reset" or "" (no vote). A vote is
// never shown as counted before its ack. Emits "change" and "unauthorized".
export class VoteSender extends EventTarget {
  constructor(live, storageKey) {
    super();
    this.live = live;
    this.key = storageKey;
    this.pending = new Map(); // target → {vote_id, target, value, sentAt}
    this.confirmed = new Map(); // target → {value, status}
    this.errors = new Map(); // target → {value, code, message}
    this.resets = new Set(); // targets whose counted vote a moderator reset
    this.resync = new Map(); // topic → timer
    this.answers = new Map(); // target → {mine, value}: what the server told of this phone's answers there, for which vote value
    try {
      for (const v of JSON.parse(localStorage.getItem(storageKey) || '[]')) {
        if (v && v.vote_id && v.target && v.value) this.pending.set(v.target, { ...v, sentAt: 0 });
      }
    } catch { /* ignore a corrupt entry */ }
    live.addEventListener('ready', () => this.flush());
    live.addEventListener('status', () => this.emit());
    live.addEventListener('message', (ev) => this.onMessage(ev.detail));
    live.addEventListener('update', (ev) => this.onFrame(ev.detail.frame));
    setInterval(() => this.flush(8000), 2000);
  }

  save() {
    try {
      localStorage.setItem(this.key, JSON.stringify([...this.pending.values()].map(({ vote_id, target, value }) => ({ vote_id, target, value }))));
    } catch { /* storage full or off: the vote still lives in memory */ }
  }

  emit() { this.dispatchEvent(new Event('change')); }

  vote(target, value) {
    const v = { vote_id: uuid(), target, value, sentAt: 0 };
    this.pending.set(target, v);
    this.errors.delete(target);
    this.resets.delete(target);
    this.save();
    this.sendOne(v);
    this.emit();
  }

  sendOne(v) {
    // A number is sent as value; an answer of another shape (a list of choices) as answer.
    const answer = typeof v.value === 'number' ? { value: v.value } : { answer: v.value };
    if (this.live.send({ type: 'vote', vote_id: v.vote_id, target: v.target, ...answer })) v.sentAt = Date.now();
  }

  // flush (re)sends pending votes: all of them after a reconnect, or those
  // unanswered for olderThan ms.
  flush(olderThan = 0) {
    const now = Date.now();
    for (const v of this.pending.values()) {
      if (olderThan && v.stage && v.sentAt) continue; // on its way to the core: sent again after a reconnect only
      if (!olderThan || (v.sentAt && now - v.sentAt > olderThan) || !v.sentAt) this.sendOne(v);
    }
  }

  onFrame(f) {
    if (!f || f.type !== 'tally' || f.total !== 0 || !this.confirmed.has(f.target)) return;
    // Spread the phones of a room over half a second after a reset.
    clearTimeout(this.resync.get(f.topic));
    this.resync.set(f.topic, setTimeout(() => this.live.subscribe(f.topic), 50 + Math.random() * 450));
  }

  onMessage(m) {
    if (m.type === 'my_votes') {
      const next = new Map();
      for (const [target, value] of Object.entries(m.votes || {})) {
        const prev = this.confirmed.get(target);
        next.set(target, { value, status: prev && sameAnswer(prev.value, value) ? prev.status : 'counted' });
        this.resets.delete(target);
      }
      for (const target of this.confirmed.keys()) {
        if (!next.has(target) && !this.pending.has(target)) this.resets.add(target);
      }
      this.confirmed = next;
      this.setAnswers(m);
      return;
    }
    if (m.type === 'ack' && (m.status === 'received' || m.status === 'queued')) {
      // A cluster edge has the vote (in the core's stream, or held while degraded):
      // still pending until the core's commit says counted.
      const p = this.pending.get(m.target);
      if (p && p.vote_id === m.vote_id) { p.stage = m.status; this.emit(); }
      return;
    }
    if (m.type === 'ack') {
      const p = this.pending.get(m.target);
      if (p && p.vote_id === m.vote_id) {
        this.pending.delete(m.target);
        this.save();
        this.confirmed.set(m.target, { value: m.value ?? m.answer, status: m.status === 'changed' ? 'changed' : 'counted' });
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

  // setAnswers keeps what my_votes, or GET /api/me, tells of the phone's
  // answers ({answers, votes}) and emits "change".
  setAnswers(m) {
    this.answers = new Map(Object.entries(m.answers || {}).map(([target, mine]) => [target, { mine, value: m.votes?.[target] }]));
    this.emit();
  }

  // mine(target) is what the server told of the phone's answer there (an
  // open-text answer's {id, state, upvoted}), or null. Told for an earlier
  // answer than the one counted now, it keeps only the upvotes.
  mine(target) {
    const a = this.answers.get(target);
    if (!a) return null;
    const c = this.confirmed.get(target);
    return c && sameAnswer(c.value, a.value) ? a.mine : { upvoted: a.mine.upvoted || [] };
  }

  state(target) {
    const p = this.pending.get(target);
    if (p) return { value: p.value, status: this.live.status !== 'open' ? 'offline' : p.stage || 'sending' };
    const e = this.errors.get(target);
    if (e) return { value: e.value, status: 'error', code: e.code, message: errorText(e.code, e.message) };
    const c = this.confirmed.get(target);
    if (c) return { value: c.value, status: c.status };
    if (this.resets.has(target)) return { value: 0, status: 'reset' };
    return { value: 0, status: '' };
  }
}
