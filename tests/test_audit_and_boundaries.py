"""Audit entries for invitation use and forum create/edit; the exact instants where registration
opens and closes and an invitation expires."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.errors import InvalidState
from forum.forums.models import Phase
from forum.registration import services
from forum.registration.models import Source
from tests import factories as f

US = timedelta(microseconds=1)


def entries(**where):
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id)
    for k, v in where.items():
        stmt = stmt.where(getattr(AuditEntry, k) == v)
    return list(f.db.session.scalars(stmt))


def test_using_an_invitation_is_audited_with_the_company_it_brought(db):
    forum, org = f.forum(phase="late"), f.organizer()
    inv, _t = services.create_invitation(forum, company_name="Toyota", email="a@toyota.jp", by=org)
    [created] = entries(subject_type="invitation", action="created")
    assert (created.subject_id, created.actor_id, created.forum_id) == (inv.id, org.id, forum.id)
    assert created.details["email"] == "a@toyota.jp" and created.details["auto_approve"] is False
    company = services.submit(forum, f.company_input(1), invitation=inv)
    [used] = entries(subject_type="invitation", action="used")
    assert (used.subject_id, used.forum_id, used.details["company_id"]) == (inv.id, forum.id, company.id)


def test_creating_and_editing_a_forum_is_audited_with_what_changed(client, db, login, post):
    org = login(f.organizer())
    data = {"title": "Kyrgyzstan–Japan Forum", "slug": "bishkek-2027", "city": "Bishkek", "venue": "Hyatt",
            "country": "KG", "timezone": "Asia/Bishkek", "starts_local": "2027-05-20T09:00",
            "ends_local": "2027-05-21T18:00", "opens_local": "2027-03-01T09:00", "closes_local": "2027-05-10T18:00",
            "capacity": "300", "status": "draft", "description": ""}
    assert post("/manage/forums/new", data).status_code == 302
    [created] = entries(subject_type="forum", action="created")
    assert created.actor_id == org.id and created.to_state == "draft"
    assert created.details["changes"]["capacity"] == [None, 300]
    assert post("/manage/bishkek-2027/edit", dict(data, capacity="450", status="published")).status_code == 302
    [updated] = entries(subject_type="forum", action="updated")
    assert (updated.from_state, updated.to_state) == ("draft", "published")
    assert updated.details["changes"] == {"capacity": [300, 450], "status": ["draft", "published"]}


def test_registration_opens_and_closes_at_the_exact_instant(db):
    forum = f.forum(phase="open")
    opens, closes = forum.registration_opens_at, forum.registration_closes_at
    assert forum.phase(opens - US) is Phase.NOT_YET_OPEN
    assert forum.phase(opens) is Phase.OPEN
    assert forum.phase(closes - US) is Phase.OPEN
    assert forum.phase(closes) is Phase.LATE
    with pytest.raises(InvalidState) as e:
        services.submit(forum, f.company_input(1), now=opens - US)
    assert e.value.code == "not_open_yet"
    assert services.submit(forum, f.company_input(1), now=opens).source is Source.ONLINE
    assert services.submit(forum, f.company_input(1), now=closes - US).source is Source.ONLINE
    late = services.submit(forum, f.company_input(1, late_reason="Visa"), now=closes)
    assert late.source is Source.LATE_REQUEST and late.is_late


def test_an_invitation_works_until_the_instant_it_expires(db):
    forum, org = f.forum(phase="late"), f.organizer()
    first, _t = services.create_invitation(forum, company_name="A", email="a@a.jp", by=org)
    second, _t = services.create_invitation(forum, company_name="B", email="b@b.jp", by=org)
    with pytest.raises(InvalidState) as e:
        services.submit(forum, f.company_input(1), invitation=first, now=first.expires_at)
    assert e.value.code == "invitation_unusable" and first.used_at is None
    company = services.submit(forum, f.company_input(1), invitation=second, now=second.expires_at - US)
    assert company.source is Source.INVITATION and second.used_at == second.expires_at - US
