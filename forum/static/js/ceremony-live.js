// The ceremony's live view: a tap on "Exchanged" (or "Undo") posts the card's own form with fetch, so the page
// stays where it is, and the running count and the tally refresh from the answer. Every few seconds the page
// asks for the state again, so two devices at the ceremony agree. Without JavaScript the forms post as usual
// and the server sends the browser back to the card.
(function () {
  'use strict';

  const root = document.querySelector('[data-ceremony-live]');
  if (!root || !window.fetch || !window.FormData) return;
  const POLL_MS = 4000;
  let timer = null;
  let busy = false;

  function text(selector, value) {
    const el = root.querySelector(selector);
    if (el && typeof value === 'string') el.textContent = value;
  }

  function showCard(card, done) {
    card.dataset.exchanged = done ? 'true' : 'false';
    card.classList.toggle('border-success', done);
    const label = card.querySelector('[data-done-label]');
    if (label) label.classList.toggle('d-none', !done);
    card.querySelectorAll('form[data-tap]').forEach(function (form) {
      const isUndo = form.hasAttribute('data-undo');
      form.classList.toggle('d-none', isUndo ? !done : done);
    });
  }

  function apply(state) {
    if (!state) return;
    if (typeof state.message === 'string') text('[data-message]', state.message);
    text('[data-progress]', state.progress);
    text('[data-tally]', state.tally);
    if (Array.isArray(state.pairs)) {
      text('[data-pairs]', state.pairs.map(function (p) { return p.pair + ': ' + p.n; }).join(' · '));
    }
    const docs = state.documents || {};
    root.querySelectorAll('[data-doc]').forEach(function (card) {
      if (Object.prototype.hasOwnProperty.call(docs, card.dataset.doc)) showCard(card, docs[card.dataset.doc] === true);
    });
  }

  function poll() {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      if (document.visibilityState !== 'visible' || busy) { poll(); return; }
      fetch(root.dataset.stateUrl, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(apply)
        .catch(function () { /* the venue network dropped: the next poll tries again */ })
        .then(poll);
    }, POLL_MS);
  }

  root.addEventListener('submit', function (event) {
    const form = event.target.closest('form[data-tap]');
    if (!form) return;
    event.preventDefault();
    const button = form.querySelector('button');
    if (button) button.disabled = true;
    busy = true;
    fetch(form.action, { method: 'POST', body: new FormData(form), credentials: 'same-origin',
                         headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (r.status === 200 || r.status === 409) return r.json();
        form.submit();  // the session or the token ran out: let the browser post it and show what happened
        return null;
      })
      .then(apply)
      .catch(function () { form.submit(); })
      .then(function () { busy = false; if (button) button.disabled = false; });
  });

  poll();
})();
