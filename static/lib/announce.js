// Announcements: a short summary of results for screen readers, read out
// politely (after what the reader is saying) when it changes, and never
// more than once every few seconds however fast the tallies come.

// announceGap is the least time between two announcements, in ms: a tally
// may change several times a second while a room votes.
const announceGap = 8000;

const said = new Map(); // key → the summary last queued for it
let region = null;
let lastAt = -Infinity;
let timer = 0;
let next = '';

// liveRegion is the page's polite live region, made on first use inside
// the page's main landmark.
function liveRegion() {
  if (region && region.isConnected) return region;
  region = document.createElement('div');
  region.id = 'announcer';
  region.className = 'sr-only';
  region.setAttribute('aria-live', 'polite');
  region.setAttribute('aria-atomic', 'true');
  (document.querySelector('main') || document.body).append(region);
  return region;
}

// announce queues text as what is known of key (a target: "poll:3"). A
// text already said for key is not said again; of the texts queued within
// announceGap, the latest is said, once the gap since the last is over.
export function announce(key, text) {
  if (!text || said.get(key) === text) return;
  said.set(key, text);
  next = text;
  liveRegion();
  if (timer) return;
  timer = setTimeout(() => {
    timer = 0;
    lastAt = performance.now();
    region.textContent = next;
  }, Math.max(0, lastAt + announceGap - performance.now()));
}

// leadSummary is what the leading bars of a result box say (their names
// for screen readers: "A · Solaris: 3 votes, 50 %"), or '' without bars.
export function leadSummary(box) {
  return [...box.querySelectorAll('.bar.lead')].map((b) => b.getAttribute('aria-label')).filter(Boolean).join('; ');
}
