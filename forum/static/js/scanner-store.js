// What the scanner keeps on the phone (IndexedDB), one database per forum: it survives a reload, the phone
// locking and the browser closing. Plain promises over IndexedDB, nothing else; used by scanner-offline.js.
//
//   kv        'data'  -> the last GET /api/v1/forums/<slug>/scanner-data answer
//             'token' -> {secret, userId, label, tokenId}: this phone's device token (offline mode)
//   queue     the scans decided offline, waiting for upload, by nonce:
//             {nonce, code, direction, scanned_at, synced_at, offline_status, badge_id, queued_at}
//   own       this phone's own scans (online and offline), for ForumOffline.decide:
//             {id, badgeId, direction, status, scannedAt, nonce, device}
//   rejected  scans the server will never accept as sent (malformed): {nonce, code, ..., error}
(function () {
  'use strict';

  const VERSION = 1;

  function promised(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function done(tx) {
    return new Promise(function (resolve, reject) {
      tx.oncomplete = function () { resolve(); };
      tx.onerror = function () { reject(tx.error); };
      tx.onabort = function () { reject(tx.error || new Error('aborted')); };
    });
  }

  function open(slug) {
    if (!window.indexedDB) return Promise.reject(new Error('no IndexedDB'));
    const request = window.indexedDB.open('forum-scanner-' + slug, VERSION);
    request.onupgradeneeded = function () {
      const db = request.result;
      if (!db.objectStoreNames.contains('kv')) db.createObjectStore('kv');
      if (!db.objectStoreNames.contains('queue')) db.createObjectStore('queue', { keyPath: 'nonce' });
      if (!db.objectStoreNames.contains('own')) db.createObjectStore('own', { keyPath: 'id', autoIncrement: true });
      if (!db.objectStoreNames.contains('rejected')) db.createObjectStore('rejected', { keyPath: 'nonce' });
    };
    return promised(request).then(function (db) { return new Store(db); });
  }

  function Store(db) { this.db = db; this.name = db.name; }

  // Everything this phone kept for the forum, gone ("Forget this phone").
  Store.prototype.destroy = function () {
    this.db.close();
    return promised(window.indexedDB.deleteDatabase(this.name));
  };

  Store.prototype.get = function (key) {
    return promised(this.db.transaction('kv').objectStore('kv').get(key));
  };

  Store.prototype.set = function (key, value) {
    const tx = this.db.transaction('kv', 'readwrite');
    tx.objectStore('kv').put(value, key);
    return done(tx);
  };

  Store.prototype.remove = function (key) {
    const tx = this.db.transaction('kv', 'readwrite');
    tx.objectStore('kv').delete(key);
    return done(tx);
  };

  Store.prototype.all = function (name) {
    return promised(this.db.transaction(name).objectStore(name).getAll());
  };

  Store.prototype.count = function (name) {
    return promised(this.db.transaction(name).objectStore(name).count());
  };

  // A scan decided offline: queued and remembered as this phone's own, in one transaction (both or neither).
  Store.prototype.enqueue = function (item, own) {
    const tx = this.db.transaction(['queue', 'own'], 'readwrite');
    tx.objectStore('queue').put(item);
    if (own) tx.objectStore('own').add(own);
    return done(tx);
  };

  Store.prototype.addOwn = function (own) {
    const tx = this.db.transaction('own', 'readwrite');
    tx.objectStore('own').add(own);
    return done(tx);
  };

  // The queue in the order the scans were made (nonces are random: sort by the device time of queueing).
  Store.prototype.queue = function () {
    return this.all('queue').then(function (items) {
      return items.sort(function (a, b) { return a.queued_at - b.queued_at; });
    });
  };

  // After an upload: the recorded leave the queue, the refused move to the rejected list.
  Store.prototype.settle = function (recordedNonces, rejectedItems) {
    const tx = this.db.transaction(['queue', 'rejected'], 'readwrite');
    const queue = tx.objectStore('queue');
    recordedNonces.forEach(function (nonce) { queue.delete(nonce); });
    rejectedItems.forEach(function (item) {
      queue.delete(item.nonce);
      tx.objectStore('rejected').put(item);
    });
    return done(tx);
  };

  // The own scans ForumOffline.decide needs: those since the data was made (a margin for the phone's clock),
  // and every one still queued (the server's data cannot know those). Older ones are deleted.
  Store.prototype.ownSince = function (generatedAt, marginMs) {
    const self = this;
    const since = Date.parse(generatedAt) - marginMs;
    return Promise.all([this.all('own'), this.all('queue')]).then(function (both) {
      const queued = {};
      both[1].forEach(function (item) { queued[item.nonce] = true; });
      const keep = [];
      const drop = [];
      both[0].forEach(function (scan) {
        if (queued[scan.nonce] || !(Date.parse(scan.scannedAt) < since)) keep.push(scan);
        else drop.push(scan.id);
      });
      if (drop.length) {
        const tx = self.db.transaction('own', 'readwrite');
        drop.forEach(function (id) { tx.objectStore('own').delete(id); });
      }
      keep.sort(function (a, b) { return a.id - b.id; });
      return keep.map(function (scan) {
        return { badgeId: scan.badgeId, direction: scan.direction, status: scan.status, scannedAt: scan.scannedAt,
                 device: scan.device || '' };
      });
    });
  };

  window.ForumScannerStore = { open: open };
})();
