// DOM: building elements, rendering once per frame without replacing what
// a finger is pressing, and a short vibration on a tap.

// h builds an element. props: class, text, attrs {}, dataset {}, style {} (custom properties too), on* handlers,
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
    else if (k === 'style') for (const [p, pv] of Object.entries(v)) { if (p.startsWith('--')) el.style.setProperty(p, pv); else el.style[p] = pv; }
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

// A render waits while a pointer is pressed: a frame that replaced the
// button under a finger between press and release would swallow the tap.
// The wait ends with the release (the click has run by then) or after a
// second, so a thumb resting on the screen does not freeze the page.
let pressedAt = -1;
addEventListener('pointerdown', () => { pressedAt = performance.now(); }, true);
for (const type of ['pointerup', 'pointercancel']) addEventListener(type, () => { pressedAt = -1; }, true);
const pressed = () => pressedAt >= 0 && performance.now() - pressedAt < 1000;

// scheduler coalesces render requests into one per animation frame, held
// while a pointer is pressed.
export function scheduler(fn) {
  let queued = false;
  const run = () => {
    if (pressed()) { setTimeout(() => requestAnimationFrame(run), 50); return; }
    queued = false;
    fn();
  };
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(run);
  };
}

// haptic gives a short vibration where the phone offers it and the page may.
export function haptic(ms = 12) {
  if (navigator.vibrate && navigator.userActivation?.hasBeenActive) {
    try { navigator.vibrate(ms); } catch { /* not allowed */ }
  }
}
