// Colours: the light or dark theme a reader picks on this device, and the
// event's brand colour with text tints that keep AA contrast.

import { icon } from '/static/lib/icons.js';
import { t } from '/static/lib/lang.js';

const THEME_KEY = 'ovation.theme';

// initTheme applies the theme the reader chose on this device, if any;
// otherwise the system's (prefers-color-scheme) applies.
export function initTheme() {
  let saved = '';
  try { saved = localStorage.getItem(THEME_KEY) || ''; } catch { /* storage off */ }
  if (saved === 'light' || saved === 'dark') document.documentElement.dataset.theme = saved;
}

export function currentTheme() {
  const set = document.documentElement.dataset.theme;
  if (set === 'light' || set === 'dark') return set;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

// wireThemeSwitch makes every .theme-switch button toggle dark and light.
export function wireThemeSwitch() {
  const sync = () => document.querySelectorAll('.theme-switch').forEach((b) => {
    const dark = currentTheme() === 'dark';
    b.replaceChildren(icon(dark ? 'sun' : 'moon'));
    b.setAttribute('aria-label', t(dark ? 'theme_light' : 'theme_dark'));
    b.title = t(dark ? 'theme_light' : 'theme_dark');
  });
  document.querySelectorAll('.theme-switch').forEach((b) => b.addEventListener('click', () => {
    const next = currentTheme() === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    try { localStorage.setItem(THEME_KEY, next); } catch { /* storage off */ }
    sync();
    window.dispatchEvent(new Event('themechange'));
  }));
  window.addEventListener('langchange', sync);
  sync();
}

function channel(c) {
  const s = c / 255;
  return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

function luminance([r, g, b]) { return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b); }

function contrast(a, b) {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

function mix(a, b, w) { return a.map((v, i) => Math.round(v * (1 - w) + b[i] * w)); }

function hex(rgb) { return '#' + rgb.map((v) => v.toString(16).padStart(2, '0')).join(''); }

// inkOn returns color mixed toward black (or white) just enough to reach
// AA contrast (4.5:1) against every background in bgs.
function inkOn(rgb, bgs, toward) {
  for (let w = 0; w <= 1.0001; w += 0.05) {
    const c = mix(rgb, toward, w);
    if (bgs.every((bg) => contrast(c, bg) >= 4.6)) return hex(c);
  }
  return hex(toward);
}

const LIGHT_BGS = [[244, 244, 247], [255, 255, 255], [236, 236, 242]];
const DARK_BGS = [[12, 12, 18], [22, 22, 31], [32, 32, 43]];

// applyBrand sets --brand, a readable --on-brand, and brand-tinted text
// colours that keep AA contrast on the light and dark surfaces.
export function applyBrand(color) {
  if (!/^#[0-9a-f]{6}$/i.test(color || '')) return;
  const n = parseInt(color.slice(1), 16);
  const rgb = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  const root = document.documentElement.style;
  root.setProperty('--brand', color);
  root.setProperty('--on-brand', contrast(rgb, [255, 255, 255]) >= contrast(rgb, [0, 0, 0]) ? '#fff' : '#000');
  root.setProperty('--brand-ink-light', inkOn(rgb, LIGHT_BGS, [0, 0, 0]));
  root.setProperty('--brand-ink-dark', inkOn(rgb, DARK_BGS, [255, 255, 255]));
  document.querySelector('meta[name="theme-color"]')?.setAttribute('content', color);
}
