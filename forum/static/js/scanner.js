// The door scanner (templates/checkin/scanner.html). The page works without this file (a form whose verdict
// the server draws); this adds the camera (jsQR, vendored), scans sent as JSON without leaving the page, a
// sound and a vibration per verdict, the name search as you type, and a device label remembered on the phone.
// Every word shown comes from the page (data-msg-*) or from the server's answer: translated there.
// Offline (scanner-offline.js, when this phone is set up for it): a scan that cannot reach the server is
// decided on the phone, shown marked "offline", and queued for upload.
(function () {
  'use strict';

  const root = document.getElementById('scanner');
  if (!root) return;

  const DEVICE_KEY = 'forum.scanner.device';
  const DEBOUNCE_MS = 3000; // the same code is sent again only after it was out of view this long
  const DECODE_EVERY_MS = 150; // ~7 decodes a second: quick enough for a hand, light on a phone's battery
  const MAX_SIDE = 640; // frames are scaled down to this before decoding
  const RETRIES = 3; // network failures retried (same nonce: the server records the scan once)
  const QUICK_RETRIES = 1; // ... but only once when the phone can decide offline: the door must not wait
  const TIMEOUT_MS = 4000; // a request hanging on a dead Wi-Fi counts as a network failure after this

  const el = function (id) { return document.getElementById(id); };
  const t = function (name) { return root.dataset['msg' + name] || ''; };

  const checkUrl = root.dataset.checkUrl;
  const searchUrl = root.dataset.searchUrl;
  const csrf = root.dataset.csrf;

  const setup = el('device-setup');
  const setupForm = el('device-form');
  const setupInput = el('device-input');
  const main = el('scanner-main');
  const deviceField = el('device');
  const deviceName = el('device-name');
  const scanForm = el('scan-form');
  const codeInput = el('code');
  const verdict = el('verdict');
  const retryButton = el('verdict-retry');
  const arrivals = el('arrivals');
  const video = el('camera-video');
  const canvas = el('camera-canvas');
  const view = el('camera-view');
  const toggle = el('camera-toggle');
  const cameraStatus = el('camera-status');
  const searchForm = el('search-form');
  const searchInput = el('search-q');
  const searchMessage = el('search-message');
  const results = el('search-results');

  // With JavaScript: the camera and the device label appear; the device field of the form goes.
  document.querySelectorAll('[data-js-only]').forEach(function (node) { node.classList.remove('d-none'); });
  document.querySelectorAll('[data-no-js]').forEach(function (node) { node.classList.add('d-none'); });

  const offline = window.ForumScannerOffline
    ? window.ForumScannerOffline.start({
      root: root, t: t, csrf: csrf, label: function () { return deviceField.value; },
      // "Forget this phone": its name goes too, and the page starts again as on a new phone.
      forgotten: function () {
        try { window.localStorage.removeItem(DEVICE_KEY); } catch (e) { /* private mode */ }
        window.location.reload();
      },
    })
    : null;
  const offlineMark = el('verdict-offline');

  // --- sounds and vibration -------------------------------------------------------------------------------

  const sounds = {};
  ['ok', 'warn', 'refused'].forEach(function (tone) {
    const url = root.dataset['sound' + tone.charAt(0).toUpperCase() + tone.slice(1)];
    try {
      sounds[tone] = new Audio(url);
      sounds[tone].preload = 'auto';
    } catch (e) { /* no audio on this device */ }
  });
  const VIBRATIONS = { ok: [90], warn: [90, 80, 90], refused: [300, 120, 300] };

  function feedback(tone) {
    const sound = sounds[tone];
    if (sound) {
      try {
        sound.currentTime = 0;
        const playing = sound.play();
        if (playing && playing.catch) playing.catch(function () { /* not allowed yet, or no audio device */ });
      } catch (e) { /* ignore */ }
    }
    if (navigator.vibrate) {
      try { navigator.vibrate(VIBRATIONS[tone] || 0); } catch (e) { /* ignore */ }
    }
  }

  // --- the device label -------------------------------------------------------------------------------------

  function storedDevice() {
    try { return window.localStorage.getItem(DEVICE_KEY) || ''; } catch (e) { return ''; }
  }

  function useDevice(label) {
    deviceField.value = label;
    deviceName.textContent = label;
    document.querySelectorAll('input[type=hidden][name=device]').forEach(function (input) { input.value = label; });
  }

  function askDevice() {
    stopCamera();
    setupInput.value = storedDevice() || deviceField.value;
    setup.classList.remove('d-none');
    main.classList.add('d-none');
    setupInput.focus();
  }

  setupForm.addEventListener('submit', function (event) {
    event.preventDefault();
    const label = setupInput.value.trim().slice(0, 100);
    if (!label) {
      setupInput.classList.add('is-invalid');
      setupInput.focus();
      return;
    }
    setupInput.classList.remove('is-invalid');
    try { window.localStorage.setItem(DEVICE_KEY, label); } catch (e) { /* private mode: this page only */ }
    useDevice(label);
    if (offline) offline.ensureToken(label);
    setup.classList.add('d-none');
    main.classList.remove('d-none');
    toggle.focus();
  });
  el('device-change').addEventListener('click', askDevice);

  // --- direction ----------------------------------------------------------------------------------------------

  function direction() {
    const checked = document.querySelector('input[name=direction]:checked');
    return checked ? checked.value : 'in';
  }

  function showDirection() {
    const out = direction() === 'out';
    root.classList.toggle('scanner-out', out);
    document.querySelectorAll('input[type=hidden][name=direction]').forEach(function (input) { input.value = direction(); });
    results.querySelectorAll('button[data-name]').forEach(function (button) {
      button.textContent = out ? t('CheckOut') : t('CheckIn');
      button.setAttribute('aria-label', button.textContent + ': ' + button.dataset.name);
    });
    if (verdict.classList.contains('verdict-idle')) el('verdict-title').textContent = out ? t('ReadyOut') : t('ReadyIn');
  }

  document.querySelectorAll('input[name=direction]').forEach(function (radio) {
    radio.addEventListener('change', showDirection);
  });

  // --- the verdict -------------------------------------------------------------------------------------------

  function setText(id, text) {
    const node = el(id);
    node.textContent = text || '';
    node.classList.toggle('d-none', !text);
  }

  function paint(tone, status, title, name, latin, details, reason) {
    verdict.className = 'verdict verdict-' + tone + ' mb-3';
    verdict.dataset.status = status || '';
    delete verdict.dataset.offline;
    setText('verdict-title', title);
    setText('verdict-name', name);
    setText('verdict-latin', latin && latin !== name ? latin : '');
    setText('verdict-details', details);
    setText('verdict-reason', reason);
    retryButton.classList.add('d-none');
    offlineMark.classList.add('d-none');
  }

  function showAnswer(answer) {
    const d = answer.delegate;
    let details = '';
    if (d) {
      const parts = [];
      if (d.company) parts.push(d.company + (d.company_latin && d.company_latin !== d.company ? ' (' + d.company_latin + ')' : ''));
      if (d.country_name) parts.push(d.country_name);
      if (d.category_label) parts.push(d.category_label);
      details = parts.join(' · ');
    }
    paint(answer.tone, answer.status, answer.title, d ? d.full_name : '', d ? d.latin_name : '', details, answer.message);
    if (answer.arrivals && answer.arrivals.text) arrivals.textContent = answer.arrivals.text;
    feedback(answer.tone);
  }

  // A verdict decided on this phone (scanner-offline.js), in the same words and colours, marked offline.
  function showOffline(v) {
    paint(v.tone, v.status, v.title, v.name, v.latin, v.details, v.message);
    offlineMark.classList.remove('d-none');
    verdict.dataset.offline = 'true';
    feedback(v.tone);
  }

  let retry = null;
  retryButton.addEventListener('click', function () { if (retry) retry(); });

  function showProblem(message, again, quiet) {
    paint('refused', 'error', t('NotRecorded'), '', '', '', message);
    retry = again || null;
    retryButton.classList.toggle('d-none', !again);
    if (!quiet) feedback('refused');
  }

  // --- sending a scan ----------------------------------------------------------------------------------------

  function newNonce() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    // randomUUID needs a secure context (https); a venue's plain-http address still has getRandomValues.
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join('');
    return hex.slice(0, 8) + '-' + hex.slice(8, 12) + '-' + hex.slice(12, 16) + '-' + hex.slice(16, 20) + '-' + hex.slice(20);
  }

  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  let busy = false;

  function post(body, withTimeout) {
    const controller = withTimeout && window.AbortController ? new AbortController() : null;
    const timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    return fetch(checkUrl, {
      method: 'POST', credentials: 'same-origin', body: body, signal: controller ? controller.signal : undefined,
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRFToken': csrf },
    }).finally(function () { clearTimeout(timer); });
  }

  // `what` is {code: "..."} or {registration: "<public id>"}; `nonce` names this scan, retries included.
  // A code that cannot reach the server (no network, a network error, a timeout, a 5xx, or a lapsed session on
  // a page opened from the phone's cache) is decided offline when the phone is set up for it.
  async function send(what, nonce) {
    busy = true;
    verdict.classList.add('verdict-pending');
    verdict.setAttribute('aria-busy', 'true');
    const dir = direction();
    const body = JSON.stringify(Object.assign({}, what, { nonce: nonce, direction: dir, device: deviceField.value }));
    const canDecide = !!(offline && offline.ready() && what.code);
    async function decideHere() {
      try {
        showOffline(await offline.decide(what.code, dir, nonce));
        return true;
      } catch (e) {
        showProblem(t('NetworkFailed'), function () { send(what, nonce); });
        return false;
      }
    }
    try {
      if (canDecide && navigator.onLine === false) return await decideHere();
      const retries = canDecide ? QUICK_RETRIES : RETRIES;
      for (let attempt = 0; attempt <= retries; attempt++) {
        if (attempt > 0) {
          setText('verdict-reason', t('NetworkRetry'));
          await sleep((canDecide ? 300 : 600) * attempt);
        }
        let response;
        try {
          response = await post(body, canDecide);
        } catch (e) {
          continue; // the network: try again with the same nonce
        }
        if (response.status >= 500) continue; // a proxy or a restarting server: the same nonce is safe to resend
        const type = response.headers.get('Content-Type') || '';
        if (response.redirected || type.indexOf('application/json') === -1) {
          if (canDecide) return await decideHere(); // the queue goes up with the phone's token, not the session
          showProblem(t('Session')); // the sign-in page came back instead of an answer
          return false;
        }
        const answer = await response.json();
        if (response.ok) {
          showAnswer(answer);
          if (offline) offline.rememberOnline(answer, dir, nonce);
          return true;
        }
        // A page from the phone's cache whose session has ended (signed out, or its CSRF token belongs to an
        // older session): the phone's token still works, so the scan is decided here and goes up with it.
        if (canDecide && (response.status === 401 || answer.error === 'csrf')) return await decideHere();
        showProblem(answer.message || t('Error'));
        return false;
      }
      if (canDecide) return await decideHere();
      showProblem(t('NetworkFailed'), function () { send(what, nonce); });
      return false;
    } finally {
      busy = false;
      verdict.classList.remove('verdict-pending');
      verdict.removeAttribute('aria-busy');
    }
  }

  // --- typed codes --------------------------------------------------------------------------------------------

  scanForm.addEventListener('submit', async function (event) {
    event.preventDefault();
    const code = codeInput.value.trim();
    if (!code) {
      codeInput.classList.add('is-invalid');
      codeInput.setAttribute('aria-invalid', 'true');
      showProblem(t('CodeRequired'), null, true); // a slip of the finger, not a refusal: no buzz
      codeInput.focus();
      return;
    }
    codeInput.classList.remove('is-invalid');
    codeInput.removeAttribute('aria-invalid');
    if (await send({ code: code }, newNonce())) codeInput.value = '';
  });

  // --- the camera ---------------------------------------------------------------------------------------------

  let stream = null;
  let timer = null;
  let lastCode = '';
  let lastSeen = 0;
  const context = canvas.getContext('2d', { willReadFrequently: true });

  function cameraSays(text, problem) {
    cameraStatus.textContent = text;
    cameraStatus.classList.toggle('text-danger', !!problem);
  }

  function cameraProblem(text) {
    stopCamera();
    cameraSays(text, true);
    codeInput.focus();
  }

  async function startCamera() {
    if (typeof window.jsQR !== 'function') {
      cameraProblem(t('CameraError')); // the decoder did not load
      return;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraProblem(window.isSecureContext === false ? t('CameraInsecure') : t('CameraMissing'));
      return;
    }
    cameraSays(t('CameraStarting'));
    toggle.disabled = true;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: 'environment' } }, audio: false });
    } catch (e) {
      toggle.disabled = false;
      const name = e && e.name;
      if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') cameraProblem(t('CameraRefused'));
      else if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') cameraProblem(t('CameraMissing'));
      else cameraProblem(t('CameraError'));
      return;
    }
    toggle.disabled = false;
    video.srcObject = stream;
    try { await video.play(); } catch (e) { /* muted inline video plays; ignore a refused autoplay */ }
    view.classList.remove('d-none');
    toggle.textContent = t('CameraStop');
    toggle.setAttribute('aria-pressed', 'true');
    cameraSays(t('CameraOn'));
    lastCode = '';
    decodeLoop();
  }

  function stopCamera() {
    if (timer) clearTimeout(timer);
    timer = null;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.srcObject = null;
    view.classList.add('d-none');
    toggle.textContent = t('CameraStart');
    toggle.setAttribute('aria-pressed', 'false');
    cameraSays('');
  }

  function decodeLoop() {
    if (!stream) return;
    timer = setTimeout(decodeLoop, DECODE_EVERY_MS);
    if (busy || video.readyState < 2 || !video.videoWidth) return;
    const scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
    const w = Math.round(video.videoWidth * scale);
    const h = Math.round(video.videoHeight * scale);
    if (canvas.width !== w) canvas.width = w;
    if (canvas.height !== h) canvas.height = h;
    context.drawImage(video, 0, 0, w, h);
    const found = window.jsQR(context.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: 'dontInvert' });
    if (found && found.data) decoded(found.data.trim());
  }

  function decoded(code) {
    const now = Date.now();
    const repeat = code === lastCode && now - lastSeen < DEBOUNCE_MS;
    lastCode = code;
    lastSeen = now; // a badge held in view stays one scan: it must leave the frame for DEBOUNCE_MS first
    if (repeat || !code) return;
    send({ code: code }, newNonce());
  }

  toggle.addEventListener('click', function () {
    if (stream) stopCamera();
    else startCamera();
  });
  document.addEventListener('visibilitychange', function () {
    if (document.hidden && stream) stopCamera(); // the camera light goes off when the phone is put away
  });

  // --- the name search -----------------------------------------------------------------------------------------

  let searchTimer = null;
  let searchSeq = 0;

  // A found person as a list item: both names, one line of details, and (when given) the check-in button, whose
  // data attribute (`person`: a registration online, `code`: a badge code offline) says what a tap sends.
  function resultItem(p, details, extra, tap) {
    const li = document.createElement('li');
    li.className = 'list-group-item d-flex align-items-center gap-2';
    const text = document.createElement('div');
    text.className = 'flex-grow-1 min-w-0';
    const native = document.createElement('div');
    native.className = 'native-name';
    native.textContent = p.full_name;
    text.appendChild(native);
    if (p.latin_name && p.latin_name !== p.full_name) {
      const latin = document.createElement('div');
      latin.className = 'latin-name';
      latin.textContent = p.latin_name;
      text.appendChild(latin);
    }
    const about = document.createElement('div');
    about.className = 'small text-body-secondary';
    about.textContent = details;
    text.appendChild(about);
    if (extra) text.appendChild(extra);
    li.appendChild(text);
    if (tap) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn btn-success text-nowrap';
      button.dataset[tap.key] = tap.value;
      button.dataset.name = p.full_name;
      button.textContent = direction() === 'out' ? t('CheckOut') : t('CheckIn');
      button.setAttribute('aria-label', button.textContent + ': ' + p.full_name);
      li.appendChild(button);
    }
    return li;
  }

  function personItem(p) {
    const presence = document.createElement('span');
    presence.className = 'badge ' + (p.inside ? 'text-bg-success' : 'text-bg-light border');
    presence.textContent = p.presence;
    return resultItem(p, [p.company, p.country_name, p.category_label].filter(Boolean).join(' · '), presence,
      { key: 'person', value: p.registration });
  }

  // Offline: the downloaded delegates (scanner-offline.js); a tap sends their badge's code like a scan.
  function offlineItem(p) {
    return resultItem(p, p.details, null, p.code ? { key: 'code', value: p.code } : null);
  }

  function searchOffline(q) {
    const found = offline ? offline.search(q) : null;
    if (!found) return false;
    results.replaceChildren.apply(results, found.results.map(function (d) { return offlineItem(offline.personOf(d)); }));
    const tappable = found.results.some(function (d) { return offline.personOf(d).code; });
    searchMessage.textContent = found.tooShort ? t('TooShort') : !found.results.length ? t('NoneOffline')
      : tappable ? t('SearchOfflineTap') : t('SearchOffline');
    return true;
  }

  async function runSearch() {
    const q = searchInput.value;
    const seq = ++searchSeq;
    if (!q.trim()) {
      results.replaceChildren();
      searchMessage.textContent = '';
      return;
    }
    if (navigator.onLine === false && searchOffline(q)) return;
    searchMessage.textContent = t('Searching');
    let answer;
    try {
      const response = await fetch(searchUrl + '?q=' + encodeURIComponent(q), { credentials: 'same-origin', headers: { 'Accept': 'application/json' } });
      if (response.redirected || (response.headers.get('Content-Type') || '').indexOf('application/json') === -1) {
        if (seq === searchSeq && !searchOffline(q)) searchMessage.textContent = t('Session');
        return;
      }
      answer = await response.json();
    } catch (e) {
      if (seq === searchSeq && !searchOffline(q)) searchMessage.textContent = t('NetworkFailed');
      return;
    }
    if (seq !== searchSeq) return; // a later keystroke's answer is the one to show
    results.replaceChildren.apply(results, answer.results.map(personItem));
    searchMessage.textContent = answer.message || '';
  }

  searchInput.addEventListener('input', function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 250);
  });
  searchForm.addEventListener('submit', function (event) {
    event.preventDefault();
    clearTimeout(searchTimer);
    runSearch();
  });

  async function tap(registration) {
    if (await send({ registration: registration }, newNonce())) runSearch(); // redraw who is inside
  }

  results.addEventListener('click', function (event) {
    const button = event.target.closest('button[data-person]');
    if (button) tap(button.dataset.person);
    const offlineButton = event.target.closest('button[data-code]');
    if (offlineButton) send({ code: offlineButton.dataset.code }, newNonce());
  });
  // The list the server drew (a page opened with ?q=): its forms go through JSON too.
  results.addEventListener('submit', function (event) {
    const form = event.target.closest('.person-form');
    if (!form) return;
    event.preventDefault();
    tap(form.querySelector('input[name=registration]').value);
  });

  // --- start -----------------------------------------------------------------------------------------------------

  const known = storedDevice();
  if (known) {
    useDevice(known);
    if (offline) offline.ensureToken(known);
  } else askDevice();
  showDirection();
})();
