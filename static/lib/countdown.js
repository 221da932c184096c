// Countdowns: the pitch and quiz clocks shown on every page.

import { timerRemaining, fmtClock } from '/static/lib/format.js';

// Countdowns: any element with class "countdown" and a _timer property
// (a pitch Timer) is refreshed four times a second.
export function startCountdowns(getOffset) {
  const tick = () => {
    document.querySelectorAll('.countdown').forEach((el) => {
      if (!el._timer) return;
      // A countdown that stops at zero (a quiz question's) never shows an overrun.
      const ms = el._timer.stopsAtZero ? Math.max(0, timerRemaining(el._timer, getOffset())) : timerRemaining(el._timer, getOffset());
      const text = fmtClock(ms);
      if (el.textContent !== text) el.textContent = text;
      el.classList.toggle('overrun', ms <= 0);
      el.classList.toggle('low', ms > 0 && ms <= 15000);
      el.classList.toggle('paused', !el._timer.running);
    });
  };
  tick();
  return setInterval(tick, 250);
}
