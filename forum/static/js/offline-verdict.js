// The door's verdict without the network (issue 11): the same rules as the server, on the scanner data the
// phone downloaded (GET /api/v1/forums/<slug>/scanner-data). A classic script, no build step; it defines
// window.ForumOffline and shows nothing itself (the scanner page, scanner.js, draws the verdict).
//
//   verifyToken(publicKeyBase64, code, {engine}) -> Promise<{ok: true, badgeId} | {ok: false, status}>
//       forum/badges/tokens.py (parse + verify), rule for rule: the bare token or the badge URL .../b/<token>,
//       any case, white space around; "1" + canonical base32 of tag (4) | badge id (9) | Ed25519 signature (64);
//       tag = SHA-256(public key)[:4], else "wrong_forum"; the signature covers "forum-badge:" "1" tag badge-id.
//       engine: "auto" (WebCrypto's Ed25519 where the browser has it, else the vendored @noble/ed25519, which
//       must be loaded first: forum/static/vendor/noble-ed25519/noble-ed25519.js), "webcrypto" or "noble".
//   decide(data, code, direction, ownScans, {device, engine}) -> Promise<{status, badgeId, delegate,
//       firstCheckedInAt, firstCheckedInDevice, admitted, unknownBadge}>
//       forum/checkin/services.py check_in, in its order (see decide below).
//   parseToken(code), normalize(code), hasWebCryptoEd25519(): the pieces, for the page and the tests.
//
// Both need crypto.subtle, which browsers give only to a secure context (https, or http://localhost): the
// service worker that makes the scanner work offline needs one too. Without it they reject (throw).
// tests/browser/test_offline_verdict_js.py holds this file to the Python code, vector by vector.
(function (global) {
  'use strict';

  const VERSION = '1';
  const DOMAIN = 'forum-badge:';
  const TAG_BYTES = 4;
  const ID_BYTES = 9;
  const SIG_BYTES = 64;
  const BODY_BYTES = TAG_BYTES + ID_BYTES + SIG_BYTES; // 77
  const BODY_CHARS = Math.ceil(BODY_BYTES * 8 / 5); // 124: base32 without padding
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  // Python's str.strip() removes exactly the characters for which str.isspace() is true: not the same set as
  // String.prototype.trim (which keeps U+001C-U+001F and U+0085, and removes U+FEFF). Spelt out, so that a
  // code with a stray separator around it gets the server's answer.
  const SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
  const STRIP = new RegExp('^[' + SPACE + ']+|[' + SPACE + ']+$', 'g');
  // tokens._IN_URL: r"/b/([0-9A-Za-z]+)(?:[/?#].*)?$" with re.search. Python's "." is anything but "\n" (JS's
  // would refuse "\r" too) and its "$" also matches before a final "\n", which strip() has removed already.
  const IN_URL = /\/b\/([0-9A-Za-z]+)(?:[/?#][^\n]*)?$/i;
  const TEXT = new TextEncoder();
  // RFC 8032's first test key: only to ask whether WebCrypto knows Ed25519 at all.
  const PROBE_KEY = '11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=';

  function subtle() {
    const s = global.crypto && global.crypto.subtle;
    if (!s) throw new Error('ForumOffline needs crypto.subtle (a secure context: https or localhost).');
    return s;
  }

  function invalid(why) {
    return {ok: false, status: 'invalid', why: why};
  }

  function base32Decode(body) {
    // body: BODY_CHARS characters of ALPHABET. The bits past the last whole byte must be 0 (tokens.parse's
    // "not canonical": another spelling of the same bytes would be another token).
    const out = new Uint8Array(BODY_BYTES);
    let acc = 0;
    let bits = 0;
    let n = 0;
    for (let i = 0; i < body.length; i++) {
      const v = ALPHABET.indexOf(body[i]);
      if (v < 0) return null;
      acc = ((acc << 5) | v) & 0xffff;
      bits += 5;
      if (bits >= 8) {
        bits -= 8;
        if (n < BODY_BYTES) out[n] = (acc >> bits) & 0xff;
        n++;
      }
    }
    if (n !== BODY_BYTES || (acc & ((1 << bits) - 1)) !== 0) return null;
    return out;
  }

  function hex(bytes) {
    let s = '';
    for (let i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    return s;
  }

  // tokens.parse: {ok, token (the canonical spelling), tag, badgeId (bytes), signature} or {ok: false, ...}.
  function parseToken(code) {
    if (typeof code !== 'string') return invalid('no code');
    let text = code.replace(STRIP, '');
    if (!/^[\x00-\x7f]*$/.test(text)) return invalid('not ASCII');
    const m = IN_URL.exec(text);
    if (m) text = m[1];
    text = text.toUpperCase();
    if (!text || text[0] !== VERSION) return invalid('unknown version');
    const body = text.slice(1);
    if (body.length !== BODY_CHARS) return invalid('wrong length');
    if (!/^[A-Z2-7]*$/.test(body)) return invalid('not base32');
    const raw = base32Decode(body);
    if (!raw) return invalid('not canonical');
    return {ok: true, token: text, tag: raw.slice(0, TAG_BYTES), badgeId: raw.slice(TAG_BYTES, TAG_BYTES + ID_BYTES),
            signature: raw.slice(TAG_BYTES + ID_BYTES)};
  }

  // The canonical token ("1" + upper-case base32) a code names, or null: how revoked_tokens spells them.
  function normalize(code) {
    const p = parseToken(code);
    return p.ok ? p.token : null;
  }

  const keys = new Map(); // public key (base64) -> {raw, tag: Promise<bytes>, web: Promise<CryptoKey|null>}

  function keyOf(publicKeyBase64) {
    let k = keys.get(publicKeyBase64);
    if (k) return k;
    let raw;
    try {
      raw = Uint8Array.from(atob(publicKeyBase64), function (c) { return c.charCodeAt(0); });
    } catch (e) {
      raw = null;
    }
    if (!raw || raw.length !== 32) throw new Error('The public key is not 32 bytes in base64.');
    k = {
      raw: raw,
      tag: subtle().digest('SHA-256', raw).then(function (d) { return new Uint8Array(d).slice(0, TAG_BYTES); }),
      web: null,
    };
    keys.set(publicKeyBase64, k);
    return k;
  }

  function webKey(k) {
    if (!k.web) {
      k.web = Promise.resolve()
        .then(function () { return subtle().importKey('raw', k.raw, {name: 'Ed25519'}, false, ['verify']); })
        .catch(function () { return null; }); // NotSupportedError: this browser's WebCrypto has no Ed25519
    }
    return k.web;
  }

  function hasWebCryptoEd25519() {
    return webKey(keyOf(PROBE_KEY)).then(function (key) { return key !== null; });
  }

  function noble() {
    const ed = global.nobleEd25519;
    if (!ed) throw new Error('No Ed25519 here: load vendor/noble-ed25519/noble-ed25519.js before offline-verdict.js.');
    return ed;
  }

  async function signatureHolds(k, signature, message, engine) {
    if (engine !== 'noble') {
      const key = await webKey(k);
      if (key) {
        try {
          return await subtle().verify({name: 'Ed25519'}, key, signature, message);
        } catch (e) {
          return false;
        }
      }
      if (engine === 'webcrypto') throw new Error('This browser\'s WebCrypto has no Ed25519.');
    }
    const ed = noble();
    try {
      // zip215: false is RFC 8032 / FIPS 186-5 (canonical encodings, no small-order key), as the server's
      // OpenSSL verifies; noble's default, ZIP-215, would accept a few encodings the server refuses.
      return await ed.verifyAsync(signature, message, k.raw, {zip215: false});
    } catch (e) {
      return false;
    }
  }

  async function verifyToken(publicKeyBase64, code, options) {
    const engine = (options && options.engine) || 'auto';
    const k = keyOf(publicKeyBase64);
    const p = parseToken(code);
    if (!p.ok) return {ok: false, status: p.status};
    const tag = await k.tag;
    for (let i = 0; i < TAG_BYTES; i++) {
      if (p.tag[i] !== tag[i]) return {ok: false, status: 'wrong_forum'};
    }
    const prefix = TEXT.encode(DOMAIN + VERSION);
    const message = new Uint8Array(prefix.length + TAG_BYTES + ID_BYTES);
    message.set(prefix, 0);
    message.set(tag, prefix.length);
    message.set(p.badgeId, prefix.length + TAG_BYTES);
    if (!(await signatureHolds(k, p.signature, message, engine))) return {ok: false, status: 'invalid'};
    return {ok: true, badgeId: hex(p.badgeId)};
  }

  const indexes = new WeakMap(); // scanner data -> {revoked: Set, badges: Map badge id -> {entry, approved}}

  function indexOf(data) {
    let ix = indexes.get(data);
    if (ix) return ix;
    const badges = new Map();
    const add = function (list, approved) {
      (list || []).forEach(function (entry) { badges.set(entry.badge_id, {entry: entry, approved: approved}); });
    };
    add(data.delegates, true);
    add(data.team, true);
    add(data.not_approved, false);
    ix = {revoked: new Set(data.revoked_tokens || []), badges: badges};
    indexes.set(data, ix);
    return ix;
  }

  // check_in's decision on the downloaded data, in the server's order:
  //  1. forum_cancelled (data.forum.status), whatever the code;
  //  2. invalid, or wrong_forum for a well-formed token naming another forum's key. The server says
  //     wrong_forum only when a forum of this site really signed it, else invalid; offline the other forums'
  //     keys are unknown, so any foreign tag is wrong_forum here. Both refuse.
  //  3. revoked: the code's canonical token is in data.revoked_tokens;
  //  4. not_approved: a live badge whose registration is no longer approved (data.not_approved);
  //  5. "in": already_checked_in when inside, with the first entry's time and device, else ok;
  //     "out": ok when inside, else not_checked_in.
  // What the data says of a badge (revoked, approved, inside, first entry) is then brought up to date by this
  // device's own scans of it since the data was made, oldest first, the newest winning: ownScans =
  // [{badgeId, direction, status, scannedAt, device?, firstCheckedInAt?, firstCheckedInDevice?}], each with
  // the verdict it got (the server's when the scan went online, decide's when offline):
  //   ok "in": inside (its first entry if the badge had none: scannedAt, and device or options.device);
  //   ok "out" and not_checked_in: outside; already_checked_in: inside (the server saw an entry this data
  //   does not know; its firstCheckedIn* when given); revoked: revoked for good; not_approved: not approved
  //   until a later admitted scan. A scan the data already counted may be passed again: the outcome is the
  //   same.
  // A genuine token of this forum, not revoked, that is in none of the lists was issued after the download
  // (a delegate approved, a team badge made): decided as a badge that was not inside, with unknownBadge: true
  // and no delegate, so the page can say "not in this phone's data: check their name". Turning away a
  // delegate approved this morning is worse; the upload tells the server, which decides again.
  // Where the phone cannot know better, it differs from the server (tests/browser/test_offline_verdict_js.py,
  // DIVERGENCES): a badge revoked, or let in at another door, after the download and not scanned online here
  // since (the upload flags revoked_after_sync / duplicate_offline); a delegate promoted from the waiting list
  // after the download (not_approved here, ok there); a genuine signature the server never issued (invalid
  // there, unknownBadge here).
  async function decide(data, code, direction, ownScans, options) {
    const way = direction === undefined ? 'in' : direction;
    if (way !== 'in' && way !== 'out') throw new Error('The direction is "in" or "out".');
    const opts = options || {};
    const result = {status: null, badgeId: null, delegate: null, firstCheckedInAt: null, firstCheckedInDevice: null,
                    admitted: false, unknownBadge: false};
    const cancelled = !!(data.forum && data.forum.status === 'cancelled');
    const verdict = await verifyToken(data.public_key, code, {engine: opts.engine});
    const finish = function (status) {
      result.status = cancelled ? 'forum_cancelled' : status;
      result.admitted = result.status === 'ok';
      if (result.status !== 'already_checked_in') result.firstCheckedInAt = result.firstCheckedInDevice = null;
      return result;
    };
    if (!verdict.ok) return finish(verdict.status);
    result.badgeId = verdict.badgeId;
    const ix = indexOf(data);
    const known = ix.badges.get(verdict.badgeId);
    if (known) result.delegate = known.entry;
    let revoked = ix.revoked.has(normalize(code));
    let approved = known ? known.approved : true;
    let inside = !!(known && known.entry.inside);
    let firstAt = known ? known.entry.first_checked_in_at || null : null;
    let firstDevice = known ? known.entry.first_checked_in_device || '' : '';
    (ownScans || []).forEach(function (s) {
      if (s.badgeId !== verdict.badgeId) return;
      if (s.status === 'revoked') {
        revoked = true;
      } else if (s.status === 'not_approved') {
        approved = false;
      } else if (s.status === 'ok' || s.status === 'already_checked_in' || s.status === 'not_checked_in') {
        approved = true;
        inside = s.status === 'already_checked_in' || (s.status === 'ok' && s.direction !== 'out');
        if (inside && !firstAt) {
          if (s.status === 'ok') {
            firstAt = s.scannedAt || null;
            firstDevice = s.device !== undefined ? s.device : (opts.device || '');
          } else {
            firstAt = s.firstCheckedInAt || null;
            firstDevice = s.firstCheckedInDevice || '';
          }
        }
      }
    });
    if (revoked) return finish('revoked');
    if (!approved) return finish('not_approved');
    if (!known) result.unknownBadge = true;
    if (way === 'in') {
      if (inside) {
        result.firstCheckedInAt = firstAt;
        result.firstCheckedInDevice = firstDevice;
        return finish('already_checked_in');
      }
      return finish('ok');
    }
    return finish(inside ? 'ok' : 'not_checked_in');
  }

  global.ForumOffline = Object.freeze({
    verifyToken: verifyToken,
    decide: decide,
    parseToken: parseToken,
    normalize: normalize,
    hasWebCryptoEd25519: hasWebCryptoEd25519,
    TOKEN_CHARS: 1 + BODY_CHARS,
  });
})(typeof window !== 'undefined' ? window : globalThis);
