// The few behaviours our pages have, as a file: the Content-Security-Policy (forum/security_headers.py)
// allows no inline script or on...= handler. Every page loads this after Bootstrap; each part acts
// only where its element is present, and every page still works without JavaScript.
(function () {
  'use strict';

  // After a failed submit, take the reader to the first field that needs attention.
  const invalid = document.querySelector('.is-invalid');
  if (invalid) invalid.focus();

  // <select data-autosubmit>: choosing an option submits its form (the language switcher; its
  // <noscript> button does the same without JavaScript).
  document.querySelectorAll('select[data-autosubmit]').forEach(function (select) {
    select.addEventListener('change', function () { select.form.submit(); });
  });

  // <form data-confirm="question">: ask before submitting (withdrawing a registration).
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  // <button data-print>: the browser's print dialog (the print views of the organizer's lists).
  document.querySelectorAll('[data-print]').forEach(function (button) {
    button.addEventListener('click', function () { window.print(); });
  });

  // A checkbox #select-all ticks or clears every .row-check on the page (the review list).
  const all = document.getElementById('select-all');
  if (all) {
    all.addEventListener('change', function () {
      document.querySelectorAll('.row-check').forEach(function (box) { box.checked = all.checked; });
    });
  }
})();
