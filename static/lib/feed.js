// The social feed: posts come from anyone on the internet, so every field
// is inserted as text (h() uses textContent) and links keep http(s) URLs only.

import { h } from '/static/lib/dom.js';
import { fmtHM, hostPath } from '/static/lib/format.js';
import { api } from '/static/lib/http.js';
import { icon } from '/static/lib/icons.js';
import { t } from '/static/lib/lang.js';

// safeURL returns url when it is an absolute http(s) URL, else ''.
export function safeURL(url) {
  try {
    const u = new URL(String(url || ''));
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : '';
  } catch { return ''; }
}

const SOURCE_NAMES = { x: 'X', mastodon: 'Mastodon', bluesky: 'Bluesky', webhook: 'Webhook' };

// sourceName names a feed source for people ("Mastodon", "X"…); posts from
// the event page come from its audience, not from a product they never saw.
export function sourceName(s) { return s === 'app' ? t('source_app') : SOURCE_NAMES[s] || String(s || ''); }

// authorLine is how a post is signed: the display name, then the handle
// (in-app pseudonyms are not shown: they mean nothing to people).
export function authorLine(it) {
  const name = it.author_name || '';
  const handle = it.source === 'app' ? '' : it.author ? '@' + it.author : '';
  return [name, handle].filter(Boolean).join(' ') || handle || t('feed_anonymous');
}

// latestFeed merges a feed frame's pinned and other items: pinned first,
// then newest first, each once.
export function latestFeed(f) {
  if (!f) return [];
  const seen = new Set();
  const out = [];
  for (const it of [...(f.pinned || []), ...(f.items || [])]) {
    if (seen.has(it.id)) continue;
    seen.add(it.id);
    out.push(it);
  }
  return out;
}

// feedPost renders one item as an article: author, source, time, text, and
// its link when it is http(s). extra children go at the end (buttons).
export function feedPost(it, { cls = 'post', link = true } = {}, ...extra) {
  const href = link ? safeURL(it.link) : '';
  return h('article', { class: `${cls}${it.pinned ? ' pinned' : ''}`, dataset: { itemId: String(it.id), status: it.status || '' } },
    h('div', { class: 'post-head' },
      it.pinned ? h('span', { class: 'pin-badge', attrs: { 'aria-label': t('feed_pinned'), title: t('feed_pinned') } }, icon('pin')) : null,
      h('strong', { class: 'post-author', text: authorLine(it) }),
      h('span', { class: 'post-meta', text: `${sourceName(it.source)} · ${fmtHM(it.posted_at || it.received_at)}` })),
    h('p', { class: 'post-text', text: it.text }),
    href ? h('a', { class: 'post-link', href, target: '_blank', rel: 'noopener noreferrer nofollow ugc', text: hostPath(href).slice(0, 60) }) : null,
    ...extra);
}

// followFeed makes sure the store of each room:N or stage:N topic live
// follows holds the room's feed frame (key feed:N): the server sends one on
// every change, but a snapshot after a server restart holds none until the
// next change, so when a snapshot comes without it the page asks GET
// /api/events/CODE/feed. A frame that arrived meanwhile wins. onChange runs
// after a seed.
export function followFeed(live, code, onChange) {
  const busy = new Set();
  const seed = async (topic) => {
    const roomId = Number(topic.split(':')[1]);
    const key = `feed:${roomId}`;
    const st = live.store(topic);
    if (!st || st.get(key) || busy.has(topic)) return;
    busy.add(topic);
    try {
      const page = await api(`/api/events/${encodeURIComponent(code)}/feed?room_id=${roomId}&limit=20`);
      const now = live.store(topic);
      if (now && !now.get(key)) { now.frames.set(key, { ...page, type: 'feed' }); onChange(); }
    } catch { /* the next snapshot tries again */ } finally { busy.delete(topic); }
  };
  live.addEventListener('update', (ev) => {
    if (ev.detail.snapshot && /^(room|stage):\d+$/.test(ev.detail.topic)) seed(ev.detail.topic);
  });
}
