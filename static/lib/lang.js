// Language of the pages: which of an event's languages the reader sees,
// t() to translate a key from the dictionaries in /static/i18n.js, and the
// markup attributes (data-i18n…) translated in place.

import { DICT } from '/static/i18n.js';

const LANG_KEY = 'ovation.lang';
let available = ['fr', 'en'];

function pickLang() {
  let saved = '';
  try { saved = localStorage.getItem(LANG_KEY) || ''; } catch { /* storage off */ }
  if (saved && available.includes(saved)) return saved;
  const langs = navigator.languages?.length ? navigator.languages : [navigator.language || 'en'];
  for (const l of langs) {
    const base = String(l).slice(0, 2).toLowerCase();
    if (available.includes(base)) return base;
  }
  return available[0] || 'en';
}

let lang = pickLang();

export function currentLang() { return lang; }

// setAvailableLangs restricts the pages to an event's languages (its first
// is the default) and picks the reader's language among them.
export function setAvailableLangs(langs) {
  const ok = (langs || []).filter((l) => DICT[l]);
  if (!ok.length || ok.join() === available.join()) return;
  available = ok;
  const next = pickLang();
  if (next !== lang) { lang = next; window.dispatchEvent(new Event('langchange')); }
  applyI18n();
}

// setLang switches language, re-translates static markup and notifies pages.
export function setLang(l, remember = true) {
  if (!DICT[l]) return;
  lang = l;
  if (remember) { try { localStorage.setItem(LANG_KEY, l); } catch { /* storage off */ } }
  applyI18n();
  window.dispatchEvent(new Event('langchange'));
}

// t translates key, replacing {name} with vars.name; function entries take vars.n.
export function t(key, vars = {}) {
  const v = DICT[lang][key] ?? DICT.en[key] ?? key;
  if (typeof v === 'function') return v(vars.n ?? 0, vars);
  return v.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ''));
}

// applyI18n fills [data-i18n] text, [data-i18n-placeholder] placeholders,
// [data-i18n-label] accessible names and [data-i18n-title] titles.
export function applyI18n(root = document) {
  document.documentElement.lang = lang;
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  root.querySelectorAll('[data-i18n-label]').forEach((el) => { el.setAttribute('aria-label', t(el.dataset.i18nLabel)); });
  root.querySelectorAll('[data-i18n-title]').forEach((el) => { el.title = t(el.dataset.i18nTitle); });
  root.querySelectorAll('.lang-switch').forEach((b) => {
    const other = available.find((l) => l !== lang);
    b.hidden = !other;
    b.textContent = other ? other.toUpperCase() : '';
    // The name starts with what the button shows (WCAG 2.5.3, label in
    // name), then says what it does, in the language it switches to.
    b.setAttribute('aria-label', other ? `${other.toUpperCase()}: ${t('lang_switch')}` : '');
    b.lang = other || lang;
  });
}

// wireLangSwitch makes every .lang-switch button switch to the other language.
export function wireLangSwitch() {
  document.querySelectorAll('.lang-switch').forEach((b) => {
    b.addEventListener('click', () => setLang(available.find((l) => l !== lang) || lang));
  });
  applyI18n();
}

// errorText returns a localized text for a protocol error code, or the server's message.
export function errorText(code, message) {
  const k = 'err_' + code;
  return DICT[lang][k] || DICT.en[k] || message || code;
}

// fieldErrorText localizes a server validation error about one form field
// when a translation exists ("fe_<code>_<field>"), else keeps its message.
export function fieldErrorText(e) {
  if (lang === 'en' || !e.field) return e.message;
  const v = DICT[lang][`fe_${e.code}_${e.field}`];
  return v || e.message;
}
