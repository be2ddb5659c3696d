"""The scanner page as an installable, offline-capable app: what its service worker caches, the version that
names the cache, the web app manifest, and the words the page needs to show a verdict it decided itself.

The service worker (templates/checkin/scanner-sw.js, served from /manage/<slug>/scan/sw.js) caches the page
and the static files below. Its cache is named after `version()`, a hash of those files and of the worker's
own template: a deploy that changes any of them changes the worker's bytes, so the browser installs the new
worker, which fills a new cache and deletes the old ones.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import current_app, url_for
from flask_babel import gettext as _

from forum.checkin import messages
from forum.checkin.models import Direction, Result
from forum.forums.models import Forum
from forum.registration import choices

# Everything the scanner page loads, relative to forum/static (base.html's files included).
STATIC_FILES = (
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "css/forum.css",
    "css/print.css",
    "js/forum.js",
    "vendor/jsqr/jsQR.js",
    "vendor/noble-ed25519/noble-ed25519.js",  # Ed25519 where the browser's WebCrypto has none (a classic script)
    "js/offline-verdict.js",
    "js/scanner-store.js",
    "js/scanner-offline.js",
    "js/scanner.js",
    "sounds/ok.wav",
    "sounds/warn.wav",
    "sounds/refused.wav",
    "icons/scanner-192.png",
    "icons/scanner-512.png",
)
WORKER_TEMPLATE = "checkin/scanner-sw.js"


def static_files() -> list[str]:
    root = Path(current_app.static_folder)
    return [name for name in STATIC_FILES if (root / name).is_file()]




def version() -> str:
    """A short hash of what the worker caches and of the worker itself: a new deploy, a new cache."""
    h = hashlib.sha256()
    root = Path(current_app.static_folder)
    for name in static_files():
        h.update(name.encode())
        h.update((root / name).read_bytes())
    h.update(Path(current_app.root_path, current_app.template_folder, WORKER_TEMPLATE).read_bytes())
    return h.hexdigest()[:16]


def manifest(forum: Forum) -> dict:
    """The web app manifest: "Add to home screen" opens this forum's scanner, full screen."""
    page = url_for("scanner.page", slug=forum.slug)
    return {
        "name": _("Scanner · %(forum)s", forum=forum.shown_title),
        "short_name": _("Scanner"),
        "start_url": page,
        "scope": page,
        "id": page,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#146c43",
        "icons": [{"src": url_for("static", filename=f"icons/scanner-{n}.png"), "sizes": f"{n}x{n}",
                   "type": "image/png", "purpose": "any"} for n in (192, 512)],
    }


def words(forum: Forum) -> dict:
    """What the page shows for a verdict decided on the phone, in the server's own words (checkin.messages).

    Reasons that name a time or a device are templates with {time} and {device}; the page fills them in
    (the time in the forum's zone). Reasons that depend on the badge's history on the server (why it was
    revoked, why the registration is not approved) are the general sentence: the phone does not know more.
    """
    placeholders = {"time": "{time}", "device": "{device}"}
    return {
        "tones": {r.value: messages.tone(r) for r in Result},
        "titles": {**{r.value: messages.title(r) for r in Result},
                   "ok_out": messages.title(Result.OK, Direction.OUT)},
        "reasons": {**{r.value: messages.reason(r, forum=forum) for r in Result},
                    "ok_out": messages.reason(Result.OK, forum=forum, direction=Direction.OUT),
                    "ok_back": _("Welcome back. First arrived at %(time)s.", **placeholders),
                    "already_at_by": _("Already checked in at %(time)s by %(device)s.", **placeholders),
                    "already_at": _("Already checked in at %(time)s.", **placeholders)},
        "categories": {c: messages.category_label(c) for c in (*choices.CATEGORIES, *messages.TEAM_CATEGORIES)},
        "countries": {c: choices.country_name(c) for c in choices.COUNTRY_CODES},
        "timezone": forum.timezone,
    }
