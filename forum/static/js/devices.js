// The device token page (templates/api/device_created.html): the token is shown once, so make copying it easy.
// <button data-copy="#id"> copies that field's value; <input data-select-all> selects itself on focus, so
// Ctrl+C works without the button too (and without JavaScript, a triple click does).
(function () {
  'use strict';

  document.querySelectorAll('input[data-select-all]').forEach(function (input) {
    input.addEventListener('focus', function () { input.select(); });
  });

  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    const field = document.querySelector(button.dataset.copy);
    if (!field) return;
    const label = button.textContent;
    button.addEventListener('click', function () {
      field.focus();
      field.select();
      const done = function () {
        button.textContent = button.dataset.copiedText || label;
        window.setTimeout(function () { button.textContent = label; }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand('copy'); done(); });
      } else {
        document.execCommand('copy');
        done();
      }
    });
  });
})();
