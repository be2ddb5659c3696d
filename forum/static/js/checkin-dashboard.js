// The check-in dashboard: "Every minute" reloads the page once a minute while it is in sight (a screen at
// the badge desk). The choice is remembered in this browser. Without JavaScript the Refresh link remains.
(function () {
  'use strict';

  const box = document.querySelector('[data-auto-refresh]');
  if (!box) return;
  const KEY = 'forum.checkin.autoRefresh';
  const PERIOD_MS = 60 * 1000;
  let timer = null;

  function remembered() {
    try { return window.localStorage.getItem(KEY) === '1'; } catch (e) { return false; }
  }

  function remember(on) {
    try { window.localStorage.setItem(KEY, on ? '1' : '0'); } catch (e) { /* private mode: not remembered */ }
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = null;
    if (box.checked && document.visibilityState === 'visible') {
      timer = window.setTimeout(function () { window.location.reload(); }, PERIOD_MS);
    }
  }

  document.querySelector('[data-auto-refresh-box]').classList.remove('d-none');
  box.checked = remembered();
  box.addEventListener('change', function () { remember(box.checked); schedule(); });
  document.addEventListener('visibilitychange', schedule);
  schedule();
})();
