// Home page (/): type the event code shown on the big screen.
import { icon } from '/static/lib/icons.js';
import { t, wireLangSwitch } from '/static/lib/lang.js';
import { wireThemeSwitch, initTheme } from '/static/lib/theme.js';

initTheme();
wireLangSwitch();
wireThemeSwitch();
document.getElementById('brand-mark').replaceChildren(icon('mark'), 'Ovation');
document.getElementById('hero-mark').replaceChildren(icon('mark'));

const form = document.getElementById('join');
const input = document.getElementById('code');
const err = document.getElementById('err');
input.addEventListener('input', () => {
  input.value = input.value.toUpperCase().replace(/[^A-Z0-9]/g, '');
  err.textContent = '';
  input.classList.remove('invalid');
  input.removeAttribute('aria-invalid');
});
form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const code = input.value.trim().toUpperCase();
  if (!/^[A-Z0-9]{3,12}$/.test(code)) {
    err.textContent = t('code_invalid');
    input.classList.add('invalid');
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  location.href = '/e/' + encodeURIComponent(code);
});
