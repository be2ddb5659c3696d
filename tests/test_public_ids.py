"""Public ids everywhere a delegate, a contact person or the public sees a URL; integer ids only on organizer pages.

The first test walks the app's URL map, so a delegate route added tomorrow with an integer id fails it.
"""
import base64
import json
import re

import pytest
import sqlalchemy as sa
from werkzeug.routing.converters import NumberConverter

from forum.notifications.models import OutboxMessage
from forum.registration.models import RegState, Registration
from forum.urls import PublicIdConverter
from tests import factories as f

ORGANIZER_PREFIXES = ("/manage/", "/manage", "/admin/", "/admin", "/static/")


def test_no_route_outside_the_organizer_pages_carries_an_integer_id(app):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(ORGANIZER_PREFIXES):
            continue
        for name, conv in rule._converters.items():
            assert not isinstance(conv, NumberConverter), f"{rule.rule}: <{name}> is a number; use <pid:...>"
            if re.search(r"(^|_)(id|pk|pid)$", name):
                assert isinstance(conv, PublicIdConverter), f"{rule.rule}: <{name}> must be a <pid:...>"
            checked += 1
    assert checked >= 6


def test_the_walk_sees_the_routes_that_carry_public_ids(app):
    rules = {r.rule for r in app.url_map.iter_rules()}
    assert {"/my/companies/<pid:company_pid>", "/my/registrations/<pid:reg_pid>/withdraw",
            "/forums/<slug>/register/done/<pid:company_pid>"} <= rules


@pytest.mark.parametrize("raw", ["1", "12", "00000000-0000-4000-8000-00000000000", "00000000-0000-4000-8000-0000000000000",
                                 "zzzzzzzz-0000-4000-8000-000000000000", "00000000_0000_4000_8000_000000000000",
                                 "٠٠٠٠٠٠٠٠-0000-4000-8000-000000000000", "%00"])
def test_malformed_public_ids_are_not_found(client, db, login, post, raw):
    forum = f.forum(slug="astana")
    login(f.company(forum, 1).contact_user)
    for url in (f"/my/companies/{raw}", f"/forums/astana/register/done/{raw}"):
        assert client.get(url).status_code in (404, 400), url
    assert post(f"/my/registrations/{raw}/withdraw", {}).status_code in (404, 400)


def test_another_persons_public_ids_give_404_and_change_nothing(client, db, login, post):
    forum = f.forum()
    mine, theirs = f.company(forum, 1), f.company(forum, 2)
    login(mine.contact_user)
    assert client.get(f"/my/companies/{mine.public_id}").status_code == 200
    assert client.get(f"/my/companies/{mine.public_id.upper()}").status_code == 200  # read as lower case
    assert client.get(f"/my/companies/{theirs.public_id}").status_code == 404
    assert client.get(f"/forums/{forum.slug}/register/done/{theirs.public_id}").status_code == 404
    for reg in theirs.delegates:
        assert post(f"/my/registrations/{reg.public_id}/withdraw", {}).status_code == 404
    # the integer ids of the old addresses lead nowhere either
    assert client.get(f"/my/companies/{theirs.id}").status_code == 404
    assert post(f"/my/registrations/{theirs.delegates[0].id}/withdraw", {}).status_code == 404
    assert {r.state for r in db.session.scalars(sa.select(Registration).where(Registration.company_id == theirs.id))} \
        == {RegState.PENDING}
    # a delegate of theirs sees their own registration, not the company
    login(theirs.delegates[1].user)
    assert client.get(f"/my/companies/{theirs.public_id}").status_code == 404
    assert post(f"/my/registrations/{theirs.delegates[1].public_id}/withdraw", {}).status_code == 302


def test_pages_a_contact_person_sees_link_by_public_id(client, db, login):
    forum = f.forum()
    company = f.company(forum, 2)
    login(company.contact_user)
    my = client.get("/my").get_data(as_text=True)
    assert f"/my/companies/{company.public_id}" in my
    page = client.get(f"/my/companies/{company.public_id}").get_data(as_text=True)
    for reg in company.delegates:
        assert f"/my/registrations/{reg.public_id}/withdraw" in page
    for html in (my, page):
        assert not re.search(r'(href|action)="/(my|forums|registration|invitation)/[^"]*/\d+(/|")', html)


def _payload(token: str) -> dict:
    raw = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))


def test_links_in_the_mails_carry_no_integer_id(db):
    forum = f.forum()
    company = f.company(forum, 2)
    bodies = list(db.session.scalars(sa.select(OutboxMessage.body_text)))
    links = [u for body in bodies for u in re.findall(r"https?://\S+", body)]
    assert links
    for url in links:
        assert not re.search(r"/\d+(/|$|\?)", url), url
    dispute = [u for u in links if "/registration/not-me/" in u]
    assert dispute
    payloads = [_payload(u.rsplit("/", 1)[1]) for u in dispute]
    assert {p["p"] for p in payloads} == {r.public_id for r in company.delegates}
    assert all("r" not in p for p in payloads)


def test_a_dispute_link_mailed_before_public_ids_still_works(client, db, app):
    from itsdangerous import URLSafeTimedSerializer

    reg = f.registration_(f.forum())
    db.session.commit()
    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="forum.dispute").dumps({"r": reg.id, "e": reg.email})
    r = client.get(f"/registration/not-me/{old}")
    assert r.status_code == 200 and reg.email in r.get_data(as_text=True)
    assert client.get(f"/registration/not-me/{old[:-2]}xx").status_code == 404
