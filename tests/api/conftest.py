"""Fixtures for the API tests: a forum with a door keeper holding a device token, and a client that sends it."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from forum.accounts.models import User
from forum.api import tokens
from forum.forums.models import Forum
from forum.teams.models import Permission
from tests import factories as f


@dataclass
class Door:
    forum: Forum
    staff: User  # on the forum's team with the check-in permission only
    secret: str  # their device token for this forum ("Gate 1")
    token_id: int

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.secret}"}


def token_for(user: User, forum: Forum | None, label: str = "Gate 1") -> tokens.NewToken:
    return tokens.create(user, label=label, forum=forum, by=None)


@pytest.fixture()
def door(db) -> Door:
    forum = f.forum(slug="astana-2026")
    staff = f.member(forum, Permission.CHECKIN, name="Door Staff")
    new = token_for(staff, forum)
    db.session.commit()
    return Door(forum=forum, staff=staff, secret=new.secret, token_id=new.token.id)


_n = iter(range(10**9))


@pytest.fixture()
def scan(client, door):
    """POST a check-in to the door's forum with its token; returns the response."""

    def _scan(code: str, *, nonce: str | None = None, headers: dict | None = None, slug: str | None = None, **body):
        payload = {"code": code, "nonce": nonce or f"nonce-{next(_n)}", **body}
        return client.post(f"/api/v1/forums/{slug or door.forum.slug}/checkins", json=payload,
                           headers=door.auth if headers is None else headers)

    return _scan
