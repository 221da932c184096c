// Formats: ids, clocks, numbers, times and shares as people read them, in
// the page's language.

import { currentLang } from '/static/lib/lang.js';

// uuid returns a random v4 UUID; crypto.randomUUID needs a secure context,
// so plain-HTTP LAN deployments fall back to getRandomValues.
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
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
  return new Intl.NumberFormat(currentLang(), { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(x);
}

// fmtScore shows a score or mean with two decimals, as on a scoreboard.
export function fmtScore(x) {
  return new Intl.NumberFormat(currentLang(), { maximumFractionDigits: 2, minimumFractionDigits: 2 }).format(x);
}

// fmtTime formats a time (an ISO string or milliseconds) as hours, minutes
// and seconds on the 24-hour clock.
export function fmtTime(iso) {
  const d = new Date(iso);
  return new Intl.DateTimeFormat(currentLang(), { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(d);
}

// fmtHM formats a time as hours and minutes, for posts.
export function fmtHM(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(currentLang(), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
}

// fmtDuration shows a duration as the server writes it ("1h30m0s", "15m0s",
// "45s") in words, in the page's language ("1 hour, 30 minutes"); what it
// cannot read, as given.
export function fmtDuration(d) {
  const text = String(d ?? '');
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(text);
  if (!text || !m) return text;
  const lang = currentLang();
  const unit = (u, v) => new Intl.NumberFormat(lang, { style: 'unit', unit: u, unitDisplay: 'long' }).format(v);
  const parts = [['hour', m[1]], ['minute', m[2]], ['second', m[3]]].filter(([, v]) => Number(v) > 0).map(([u, v]) => unit(u, Number(v)));
  return parts.length ? new Intl.ListFormat(lang, { style: 'long', type: 'unit' }).format(parts) : unit('second', 0);
}

// sameAnswer reports whether two answers (numbers, or lists of numbers) are equal.
export function sameAnswer(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

export function pct(n, total) { return total > 0 ? Math.round((100 * n) / total) : 0; }

// shares are the whole percentages of counts in total that add up to 100
// (largest remainder: each share rounded down, then the points left go to
// the largest fractions, the first of equal ones first), so that three
// equal thirds read 34, 33 and 33, not 33 three times. With total 0, all 0.
export function shares(counts, total) {
  if (!(total > 0)) return counts.map(() => 0);
  const exact = counts.map((n) => (100 * n) / total);
  const out = exact.map(Math.floor);
  let left = 100 - out.reduce((s, x) => s + x, 0);
  const order = exact.map((x, i) => i).sort((a, b) => (exact[b] - out[b]) - (exact[a] - out[a]) || a - b);
  for (const i of order) {
    if (left <= 0) break;
    if (exact[i] > out[i]) { out[i]++; left--; }
  }
  return out;
}

// letter returns A..F for values 1..6.
export function letter(v) { return String.fromCharCode(64 + v); }

// hostPath shows a URL without its scheme, for people to type.
export function hostPath(url) { return String(url || '').replace(/^https?:\/\//, ''); }
