// The scanner's offline mode (templates/checkin/scanner.html; used by scanner.js). When this phone is set up
// (named: it gets its own device token, limited to this forum, listed on the forum's Devices page):
// - the service worker (/manage/<slug>/scan/sw.js) keeps the page openable with no network;
// - the scanner data (public key, revoked badges, approved delegates) is downloaded into IndexedDB through the
//   API with the device token, every minute while online and when the network comes back;
// - a scan that cannot reach the server is decided here by ForumOffline.decide (offline-verdict.js), shown in
//   the server's words (the page's #scanner-words, its data-words), queued, and uploaded in batches when the network is back;
//   a scan leaves the queue only when the server answers that it recorded it.
// Every word shown comes from the page (data-msg-* and #scanner-words): translated there.
(function () {
  'use strict';

  const DATA_EVERY_MS = 60 * 1000;
  const BATCH_MAX = 500; // the server's limit per request
  const BACKOFF_MS = [2000, 5000, 10000, 30000, 60000];
  const OWN_MARGIN_MS = 2 * 60 * 1000; // own scans this long before the data's time still count (clock drift)
  const SEARCH_MAX = 20;

  // The same folding as forum/search.py: apostrophes dropped, width and case folded, Kazakh and Uzbek letters
  // typed on a Russian keyboard, runs of spaces made one.
  const APOSTROPHES = /[\u02bb\u02bc'\u2018\u2019`\u00b4\u02b9\u02c8\u2032]/g;
  const KEYBOARD = { 'ә': 'а', 'ғ': 'г', 'қ': 'к', 'ң': 'н', 'ө': 'о', 'ұ': 'у', 'ү': 'у', 'һ': 'х', 'і': 'и', 'ў': 'у', 'ҳ': 'х', 'ё': 'е' };
  const KEYBOARD_RE = /[әғқңөұүһіўҳё]/g;
  const CJK = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]/;

  function fold(text) {
    let s = String(text || '');
    for (let i = 0; i < 4; i++) {
      const next = s.replace(APOSTROPHES, '').normalize('NFKC').toLowerCase()
        .replace(KEYBOARD_RE, function (c) { return KEYBOARD[c]; }).split(/\s+/).filter(Boolean).join(' ');
      if (next === s) break;
      s = next;
    }
    return s;
  }

  function start(options) {
    const root = options.root;
    const t = options.t;
    const el = function (id) { return document.getElementById(id); };
    const wordsNode = el('scanner-words');
    const words = JSON.parse((wordsNode && wordsNode.dataset.words) || '{}');
    const slug = root.dataset.slug;
    const urls = { data: root.dataset.dataUrl, batch: root.dataset.batchUrl, token: root.dataset.tokenUrl,
                   revoke: root.dataset.revokeUrl,
                   worker: root.dataset.workerUrl, page: root.dataset.pageUrl };
    const userId = root.dataset.userId;

    const bar = el('offline');
    const statusLine = el('offline-status');
    const dataLine = el('offline-data');
    const uploadButton = el('offline-upload');
    const problem = el('offline-problem');
    const problemText = el('offline-problem-text');
    const setupButton = el('offline-setup');
    const rejectedBox = el('offline-rejected');
    const rejectedTitle = el('offline-rejected-title');
    const rejectedList = el('offline-rejected-list');

    let store = null;
    let data = null;
    let token = null;
    let revoked = false;
    let uploading = false;
    let failures = 0;
    let retryTimer = null;
    let waiting = 0;

    const fill = function (text, values) {
      return String(text || '').replace(/\{(\w+)\}/g, function (m, name) { return name in values ? values[name] : m; });
    };

    // --- times, in the forum's zone --------------------------------------------------------------------------

    function localParts(date) {
      const lang = document.documentElement.lang || undefined;
      const zone = words.timezone || undefined;
      const time = new Intl.DateTimeFormat(lang, { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);
      const day = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);
      const medium = new Intl.DateTimeFormat(lang, { timeZone: zone, dateStyle: 'medium' }).format(date);
      return { time: time, day: day, medium: medium };
    }

    // As the door reads it (checkin.messages.local_when): "09:12" today, else with the date.
    function localWhen(iso) {
      if (!iso) return '';
      const then = localParts(new Date(iso));
      return then.day === localParts(new Date()).day ? then.time : then.medium + ', ' + then.time;
    }

    // --- what the bar says -------------------------------------------------------------------------------------

    function online() { return navigator.onLine !== false; }

    async function showState() {
      if (!store) return;
      waiting = await store.count('queue');
      const rejected = await store.all('rejected');
      const ready = !!(token && data);
      bar.classList.toggle('d-none', !ready && !revoked && !waiting);
      let line = '';
      if (!online()) line = waiting ? fill(t('OfflineWaiting'), { n: waiting }) : t('OfflineNone');
      else if (waiting) line = fill(t('OnlineWaiting'), { n: waiting });
      else if (ready) line = t('OfflineReady');
      statusLine.textContent = line;
      bar.classList.toggle('offline-down', !online());
      const arrivals = el('arrivals'); // the server's count: as of the last answer, so greyed while offline
      if (arrivals) arrivals.classList.toggle('text-body-secondary', !online());
      dataLine.textContent = data ? fill(t('DataFrom'), { time: localWhen(data.generated_at) }) : '';
      dataLine.classList.toggle('d-none', !data);
      uploadButton.classList.toggle('d-none', !waiting || revoked || !online());
      uploadButton.disabled = uploading;
      problem.classList.toggle('d-none', !revoked);
      rejectedBox.classList.toggle('d-none', !rejected.length);
      rejectedTitle.textContent = fill(t('Rejected'), { n: rejected.length });
      rejectedList.replaceChildren.apply(rejectedList, rejected.map(function (item) {
        const li = document.createElement('li');
        li.className = 'list-group-item small';
        const code = document.createElement('div');
        code.className = 'font-monospace scan-code';
        code.textContent = item.code;
        const why = document.createElement('div');
        why.textContent = localWhen(item.scanned_at) + ' · ' + ((item.error && item.error.message) || '');
        li.appendChild(code);
        li.appendChild(why);
        return li;
      }));
    }

    // 401: the token was revoked (or its account disabled); 403: its member may no longer check in here.
    function tokenRevoked(status) {
      revoked = true;
      problemText.textContent = status === 403 ? t('TokenRefused') : t('TokenRevoked');
      showState();
    }

    // --- the device token -----------------------------------------------------------------------------------

    function authorized(extra) {
      return Object.assign({ 'Authorization': 'Bearer ' + token.secret, 'Accept': 'application/json' }, extra || {});
    }

    // The phone's token for this member and this device name; made (session + CSRF) when there is none yet.
    async function ensureToken(label, force) {
      if (!store || !label) return false;
      if (token && !force && token.userId === userId && token.label === label) return true;
      if (!online()) return false;
      let response;
      try {
        response = await fetch(urls.token, {
          // The token this phone held until now (renamed, or another member signed in) is revoked by the server.
          method: 'POST', credentials: 'same-origin',
          body: JSON.stringify({ label: label, replaces: token ? token.secret : null }),
          headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRFToken': options.csrf },
        });
      } catch (e) { return false; }
      if (response.status !== 201) return false;
      const made = await response.json();
      token = { secret: made.secret, userId: String(made.user_id), label: made.label, tokenId: made.token_id };
      await store.set('token', token);
      revoked = false;
      await refresh();
      upload();
      return true;
    }

    // --- the scanner data ------------------------------------------------------------------------------------

    async function refresh() {
      if (!token || revoked || !online()) return;
      let response;
      try {
        response = await fetch(urls.data, { headers: authorized(), cache: 'no-store' });
      } catch (e) { return; }
      if (response.status === 401 || response.status === 403) { tokenRevoked(response.status); return; }
      if (!response.ok) return;
      data = await response.json();
      await store.set('data', data);
      showState();
    }

    // --- deciding and queueing --------------------------------------------------------------------------------

    function ready() { return !!(store && token && data && window.ForumOffline && window.ForumOffline.decide); }

    function details(d) {
      if (!d) return '';
      const parts = [];
      if (d.company) parts.push(d.company + (d.company_latin && d.company_latin !== d.company ? ' (' + d.company_latin + ')' : ''));
      if (d.country) parts.push((words.countries || {})[d.country] || d.country);
      if (d.category) parts.push((words.categories || {})[d.category] || d.category);
      return parts.join(' · ');
    }

    // The verdict as the server would word it (checkin.messages via #scanner-words).
    function verdictOf(result, direction) {
      const status = result.status;
      const out = direction === 'out';
      let title = out && status === 'ok' ? words.titles.ok_out : words.titles[status];
      let reason = words.reasons[status];
      const when = localWhen(result.firstCheckedInAt);
      if (status === 'ok' && out) reason = words.reasons.ok_out;
      else if (status === 'ok' && when) reason = fill(words.reasons.ok_back, { time: when });
      else if (status === 'already_checked_in' && when && result.firstCheckedInDevice) {
        reason = fill(words.reasons.already_at_by, { time: when, device: result.firstCheckedInDevice });
      } else if (status === 'already_checked_in' && when) reason = fill(words.reasons.already_at, { time: when });
      const d = result.delegate;
      return { status: status, tone: words.tones[status] || 'refused', title: title || status, message: reason || '',
               name: d ? d.full_name : '', latin: d ? d.latin_name : '', details: details(d), offline: true };
    }

    // A scan that could not reach the server: decided here, queued, and remembered as this phone's own.
    async function decide(code, direction, nonce) {
      const own = await store.ownSince(data.generated_at, OWN_MARGIN_MS);
      const device = options.label();
      const result = await window.ForumOffline.decide(data, code, direction, own, { device: device });
      const scannedAt = new Date().toISOString();
      await store.enqueue({
        nonce: nonce, code: code, direction: direction, scanned_at: scannedAt, synced_at: data.generated_at,
        offline_status: result.status, badge_id: result.badgeId || null, queued_at: Date.now(),
      }, { badgeId: result.badgeId || null, direction: direction, status: result.status, scannedAt: scannedAt,
           nonce: nonce, device: device });
      showState();
      if (online()) scheduleUpload(BACKOFF_MS[0]);
      const shown = verdictOf(result, direction);
      if (result.unknownBadge) shown.message = t('UnknownBadge');
      return shown;
    }

    // An online verdict: remembered as this phone's own scan (the data downloaded before it does not know it).
    function rememberOnline(answer, direction, nonce) {
      if (!store || !answer || !answer.delegate) return;
      store.addOwn({ badgeId: answer.delegate.badge_id, direction: direction, status: answer.status,
                     scannedAt: new Date().toISOString(), nonce: nonce, device: options.label() }).catch(function () { /* best effort */ });
    }

    // --- uploading the queue ----------------------------------------------------------------------------------

    function scheduleUpload(ms) {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(upload, ms);
    }

    function backoff() {
      const ms = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)];
      failures += 1;
      if (online()) scheduleUpload(ms);
    }

    function sent(item) {
      const body = { code: item.code, nonce: item.nonce, scanned_at: item.scanned_at, direction: item.direction };
      if (item.synced_at) body.synced_at = item.synced_at;
      if (item.offline_status) body.offline_status = item.offline_status;
      return body;
    }

    async function upload() {
      clearTimeout(retryTimer);
      if (uploading || !store || !token || revoked || !online()) return;
      uploading = true;
      showState();
      try {
        for (;;) {
          const items = (await store.queue()).slice(0, BATCH_MAX);
          if (!items.length) { failures = 0; return; }
          let response;
          try {
            response = await fetch(urls.batch, {
              method: 'POST', cache: 'no-store',
              headers: authorized({ 'Content-Type': 'application/json' }),
              body: JSON.stringify({ scans: items.map(sent), sent_at: new Date().toISOString() }),
            });
          } catch (e) { backoff(); return; }
          if (response.status === 401 || response.status === 403) { tokenRevoked(response.status); return; }
          if (!response.ok) { backoff(); return; }
          const answer = await response.json();
          const byNonce = {};
          items.forEach(function (item) { byNonce[item.nonce] = item; });
          const recorded = [];
          const refused = [];
          (answer.results || []).forEach(function (r) {
            const item = byNonce[r.nonce];
            if (!item) return;
            if (r.recorded === true) recorded.push(item.nonce);
            else if (r.error) refused.push(Object.assign({}, item, { error: r.error }));
          });
          await store.settle(recorded, refused);
          if (!recorded.length && !refused.length) { backoff(); return; } // nothing moved: do not spin
          failures = 0;
        }
      } finally {
        uploading = false;
        showState();
      }
    }

    // --- forgetting this phone ---------------------------------------------------------------------------------

    // A shared phone, or the end of a shift: what is waiting goes up first (online); then, once confirmed (with
    // the number of scans that would be lost, if any), the phone's token is revoked by itself, and the badge data,
    // the queue, the token and the cached page are deleted. The page then asks for a device name again.
    async function forget() {
      if (!store) return;
      if (online()) await upload();
      const left = await store.count('queue');
      if (!window.confirm(left ? fill(t('ForgetLosing'), { n: left }) : t('ForgetConfirm'))) return;
      if (token && online()) {
        try {
          await fetch(urls.revoke, { method: 'POST', cache: 'no-store', headers: authorized() });
        } catch (e) { /* the server is out of reach: a manager revokes it on the Devices page */ }
      }
      token = null;
      data = null;
      await store.destroy();
      store = null;
      if ('serviceWorker' in navigator) {
        const registration = await navigator.serviceWorker.getRegistration(urls.page);
        if (registration) await registration.unregister();
      }
      if (window.caches) {
        const names = await window.caches.keys();
        await Promise.all(names.filter(function (name) { return name.indexOf('forum-scanner-' + urls.page + '-') === 0; })
          .map(function (name) { return window.caches.delete(name); }));
      }
      if (options.forgotten) options.forgotten();
    }

    // --- the name search, offline -------------------------------------------------------------------------------

    function longEnough(q) {
      const f = fold(q).replace(/ /g, '');
      return f.length >= 3 || (f.length >= 2 && CJK.test(f));
    }

    function search(q) {
      if (!data) return null;
      const qwords = fold(q).split(' ').filter(Boolean);
      if (!qwords.length || !longEnough(q)) return { results: [], tooShort: !!qwords.length };
      const found = [];
      for (const d of data.delegates || []) {
        const parts = [d.full_name, d.latin_name, d.company, d.company_latin].map(fold);
        const key = parts.join(' ') + ' ' + parts.map(function (p) { return p.replace(/ /g, ''); }).join(' ');
        if (qwords.every(function (w) { return key.indexOf(w) !== -1; })) found.push(d);
        if (found.length > SEARCH_MAX) break;
      }
      return { results: found.slice(0, SEARCH_MAX), more: found.length > SEARCH_MAX, tooShort: false };
    }

    // --- start --------------------------------------------------------------------------------------------------

    async function init() {
      try {
        store = await window.ForumScannerStore.open(slug);
        data = (await store.get('data')) || null;
        token = (await store.get('token')) || null;
      } catch (e) {
        store = null; // no IndexedDB (a private window on some browsers): the scanner works online only
        return;
      }
      if (token && token.userId !== userId) {
        token = null; // another member signed in on this phone: they set it up for themselves
      }
      if ('serviceWorker' in navigator && urls.worker) {
        navigator.serviceWorker.register(urls.worker, { scope: urls.page }).catch(function () { /* http on a LAN address */ });
      }
      await showState();
      if (online()) {
        await refresh();
        upload();
      }
      setInterval(refresh, DATA_EVERY_MS);
      window.addEventListener('online', function () { failures = 0; showState(); refresh().then(upload); });
      window.addEventListener('offline', function () { clearTimeout(retryTimer); showState(); });
      uploadButton.addEventListener('click', function () { failures = 0; upload(); });
      setupButton.addEventListener('click', function () { ensureToken(options.label(), true); });
      el('offline-forget').addEventListener('click', function () { forget(); });
    }

    const initialised = init();

    return {
      initialised: initialised,
      ready: ready,
      decide: decide,
      rememberOnline: rememberOnline,
      ensureToken: function (label) { return initialised.then(function () { return ensureToken(label, false); }); },
      search: search,
      personOf: function (d) {
        return { full_name: d.full_name, latin_name: d.latin_name, company: d.company, category: d.category,
                 details: details(d), code: d.token || d.badge_token || '', badgeId: d.badge_id };
      },
    };
  }

  window.ForumScannerOffline = { start: start, fold: fold };
})();
