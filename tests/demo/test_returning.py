"""The demo's organisations: a returning company for Tashkent, and companies shared by both forums are one each."""
from __future__ import annotations

import sqlalchemy as sa

from forum.accounts import services as accounts
from forum.db import db as _db
from forum.demo.seed import LOGINS, MAIN_SLUG, RETURNING_COMPANY, SECOND_SLUG
from forum.demo.venue import SLUG as VENUE_SLUG
from forum.organisations import queries
from forum.organisations.models import Organisation
from forum.registration import prefill
from forum.registration.models import CompanyRegistration, RegState
from tests.demo.test_demo import demo, forum  # noqa: F401 - the module-scoped fixture


def test_the_contact_login_has_an_approved_astana_company_and_can_start_tashkent_from_it(demo):  # noqa: F811
    login = next(login for login in LOGINS if login.kind == "contact")
    assert login.email == "contact@example.org"
    user = accounts.authenticate(login.email, login.password)
    assert user is not None and not user.is_admin
    main, second = forum(MAIN_SLUG), forum(SECOND_SLUG)
    mine = _db.session.scalars(sa.select(CompanyRegistration).where(CompanyRegistration.contact_user_id == user.id)).all()
    assert [(c.forum_id, c.legal_name, c.name_en) for c in mine] == [(main.id, *RETURNING_COMPANY)]
    astana = mine[0]
    assert 2 <= len(astana.delegates) <= 3 and {r.state for r in astana.delegates} == {RegState.APPROVED}
    assert astana.created_at < main.registration_closes_at
    assert [c.id for c in prefill.sources(user, second)] == [astana.id]
    data = prefill.initial_data(astana, second, max_delegates=10)
    assert [d["email"] for d in data["delegates"]] == [r.email for r in astana.delegates]
    _db.session.rollback()  # authenticate() stamped last_login_at


def test_companies_that_registered_for_both_forums_are_one_organisation_each(demo):  # noqa: F811
    main, second, day = forum(MAIN_SLUG), forum(SECOND_SLUG), forum(VENUE_SLUG)
    by_forum = {}
    for fo in (main, second, day):
        by_forum[fo.id] = {(c.country, c.legal_name): c.organisation_id for c in _db.session.scalars(
            sa.select(CompanyRegistration).where(CompanyRegistration.forum_id == fo.id))}
    shared = set(by_forum[main.id]) & set(by_forum[second.id])
    assert len(shared) >= 3  # Aoba Trading (the demo delegate's company) and two more Japanese companies
    assert any(name == "株式会社青葉トレーディング" for _c, name in shared)
    for key in shared:
        assert by_forum[main.id][key] == by_forum[second.id][key], key
    # and no organisation is in the list twice: every company registration's organisation is live, and the
    # number of organisations is the number of distinct companies
    orgs = _db.session.scalars(sa.select(Organisation)).all()
    assert all(o.merged_into_id is None for o in orgs)
    assert len(orgs) == len(set(by_forum[main.id]) | set(by_forum[second.id]) | set(by_forum[day.id]))
    # the B2B day's Aoba Trading is the Astana one's organisation too
    aoba = ("JP", "株式会社青葉トレーディング")
    assert by_forum[day.id][aoba] == by_forum[main.id][aoba]
    assert queries.possible_duplicates() == []
