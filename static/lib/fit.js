// Fitting text: names and titles shrunk to their box, never broken inside a
// word, cut with an ellipsis at a floor size.

// Names and titles (.fit-line: one line; .fit-lines: at most --lines lines,
// app.css) are never broken inside a word. fitText shrinks such an
// element's font from its stylesheet size until the text fits its box, down
// to a floor; the box wraps between words, hyphenated in the text's
// language; what still does not fit at the floor is cut with an ellipsis.
// fitBox does the same for a text as high as its parent, in the lines that
// height holds. fitLines makes a text box of a given height show whole lines
// only. They run again when the text changes, when the box's width (a
// fitBox's parent's height) changes, and on resize; call them once the
// element is in the page (a view's update).

const fitted = new Map(); // element → its fitting function
const fitState = new WeakMap(); // element → [width, viewport height, text, box height] at its last fit
const boxOf = new WeakMap(); // a fitBox's parent → the fitBox: the parent sets its height

const boxHeight = (el) => (fitted.get(el)?.box ? el.parentElement?.clientHeight ?? 0 : 0);
const stale = (el) => {
  const [w, vh, text, bh] = fitState.get(el) || [];
  return w !== el.clientWidth || vh !== innerHeight || text !== el.textContent || bh !== boxHeight(el);
};

function refit(el) {
  const fn = fitted.get(el);
  if (!fn || !el.isConnected) return;
  fn(el);
  fitState.set(el, [el.clientWidth, innerHeight, el.textContent, boxHeight(el)]);
}

// A box resized, or its text changed, is fitted again on the next frame,
// outside the observers' callbacks: fitting resizes the box itself.
const fitQueue = new Set();
function queueFit(el) {
  if (!stale(el)) return;
  if (!fitQueue.size) {
    requestAnimationFrame(() => {
      const els = [...fitQueue];
      fitQueue.clear();
      els.filter(stale).forEach(refit);
    });
  }
  fitQueue.add(el);
}

const fitResize = new ResizeObserver((entries) => {
  for (const { target } of entries) {
    const el = fitted.has(target) ? target : boxOf.get(target);
    if (el) queueFit(el);
  }
});
const fitContent = new MutationObserver((records) => {
  for (const r of records) {
    for (let n = r.target; n; n = n.parentNode) if (fitted.has(n)) { queueFit(n); break; }
  }
});
addEventListener('resize', () => { for (const el of [...fitted.keys()]) if (stale(el)) refit(el); });
document.fonts?.ready.then(() => { for (const el of [...fitted.keys()]) refit(el); });

// watchFit registers el (in the page: call it after inserting el) and fits
// it now unless nothing changed since its last fit.
function watchFit(el, key, fn) {
  if (!fitted.has(el)) {
    for (const old of [...fitted.keys()]) {
      if (old.isConnected) continue;
      fitted.delete(old);
      fitResize.unobserve(old);
      if (old.parentElement && boxOf.get(old.parentElement) === old) fitResize.unobserve(old.parentElement);
    }
    fitResize.observe(el);
    if (fn.box) { boxOf.set(el.parentElement, el); fitResize.observe(el.parentElement); }
    fitContent.observe(el, { childList: true, characterData: true, subtree: true });
  } else if (fitted.get(el).key === key && !stale(el)) return;
  fn.key = key;
  fitted.set(el, fn);
  refit(el);
}

// overflows tells whether el's text passes its box sideways, or passes its
// lines (its -webkit-line-clamp, counted on the laid-out text) or its height.
// It measures the text itself, to the fraction of a pixel, for a moment
// without the ellipsis and the clamp: scrollWidth is rounded, so a word
// 0.5 px wider than its box passes it though the ellipsis cuts it, and
// Chromium may leave out of a clamped box's scrollWidth a word that the
// ellipsis hides.
function overflows(el) {
  const cs = getComputedStyle(el);
  const clamp = parseInt(cs.webkitLineClamp, 10);
  const { textOverflow, webkitLineClamp } = el.style;
  el.style.textOverflow = 'clip';
  if (clamp) el.style.webkitLineClamp = 'none';
  try {
    if (el.scrollWidth > el.clientWidth + 1) return true;
    const range = document.createRange();
    range.selectNodeContents(el);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0);
    // The content box on the screen (a rising podium place may be scaled).
    const box = el.getBoundingClientRect();
    const sx = el.offsetWidth ? box.width / el.offsetWidth : 1;
    const left = box.left + (el.clientLeft + parseFloat(cs.paddingLeft)) * sx;
    const right = box.left + (el.clientLeft + el.clientWidth - parseFloat(cs.paddingRight)) * sx;
    if (rects.some((r) => r.left < left - 0.1 * sx || r.right > right + 0.1 * sx)) return true;
    if (!clamp) return el.scrollHeight > el.clientHeight + 1;
    const tops = new Set();
    for (const r of rects) tops.add(Math.round(r.top));
    return tops.size > clamp;
  } finally {
    el.style.textOverflow = textOverflow;
    el.style.webkitLineClamp = webkitLineClamp;
  }
}

// fitText fits el's text to its box: min is the smallest font size, a CSS
// length (default: 60 % of the stylesheet's size); lang, when given, is the
// text's language (an event's names are in the event's language, whatever
// the page's), for hyphenation. el.dataset.fit tells what it did: "whole"
// (fits at its size), "shrunk" or "cut" (at the floor, with an ellipsis).
// The text runs in its own direction (dir="auto", unless el has one): an
// Arabic name reads right to left and is cut at its end.
export function fitText(el, { min = '', lang = '' } = {}) {
  if (lang && el.lang !== lang) el.lang = lang;
  if (!el.dir) el.dir = 'auto';
  watchFit(el, `text:${min}:${lang}`, () => {
    const [max, floor] = sizes(el, min);
    el.dataset.fit = shrink(el, max, floor, () => !overflows(el) || el.clientWidth === 0);
  });
}

// sizes returns el's stylesheet font size and its floor: min (a CSS
// length), or 60 % of the size.
function sizes(el, min) {
  el.style.fontSize = '';
  const max = parseFloat(getComputedStyle(el).fontSize);
  if (!min) return [max, max * 0.6];
  el.style.fontSize = min;
  const floor = Math.min(max, parseFloat(getComputedStyle(el).fontSize));
  el.style.fontSize = '';
  return [max, floor];
}

// shrink leaves el at the largest font size from max down to floor at which
// fits() holds, and tells which it found: "whole" (max: the stylesheet's
// size), "shrunk", or "cut" (not even at floor, where it stays).
function shrink(el, max, floor, fits) {
  const at = (px) => { el.style.fontSize = px === max ? '' : `${px}px`; return fits(); };
  if (at(max)) return 'whole';
  if (!at(floor)) return 'cut';
  let lo = floor, hi = max;
  while (hi - lo > 0.5) {
    const mid = (lo + hi) / 2;
    if (at(mid)) lo = mid; else hi = mid;
  }
  at(lo);
  return 'shrunk';
}

// fitBox fits el's text (a .fill-lines box as high as its parent's
// content box, which sets that height) to its box: the largest font, from
// the stylesheet's size down to min (a CSS length), at which the whole text
// shows in the lines the height holds; at min, as many whole lines as it
// holds, the last with an ellipsis. el.dataset.fit tells which, as fitText's;
// el.dataset.lines, how many lines it shows at most.
export function fitBox(el, { min }) {
  if (!el.dir) el.dir = 'auto';
  const fit = () => {
    const box = getComputedStyle(el.parentElement);
    const height = el.parentElement.clientHeight - parseFloat(box.paddingTop) - parseFloat(box.paddingBottom);
    const [max, floor] = sizes(el, min);
    el.dataset.fit = shrink(el, max, floor, () => {
      const cs = getComputedStyle(el);
      const n = Math.max(1, Math.floor((height + 1) / (parseFloat(cs.lineHeight) || parseFloat(cs.fontSize) * 1.2)));
      el.style.setProperty('--lines', String(n));
      el.dataset.lines = String(n);
      return !overflows(el);
    });
  };
  fit.box = true; // fitted again when its parent's height changes (a ticker appears)
  watchFit(el, `box:${min}`, fit);
}

// fitLines makes el (a .fill-lines box, whose height its container sets)
// show as many whole lines as its height holds, at least one, the last
// with an ellipsis when the text is longer.
export function fitLines(el) {
  watchFit(el, 'lines', () => {
    el.style.removeProperty('--lines');
    const lh = parseFloat(getComputedStyle(el).lineHeight) || parseFloat(getComputedStyle(el).fontSize) * 1.2;
    const n = Math.max(1, Math.floor((el.clientHeight + 1) / lh));
    el.style.setProperty('--lines', String(n));
    el.dataset.lines = String(n);
  });
}
