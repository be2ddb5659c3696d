"""Organisations under concurrent use, on PostgreSQL with real threads (skipped on SQLite, whose one writer
serialises everything):

- the same new organisation submitted for several forums at the same moment ends as ONE organisation;
- a merge while a submission links to the organisation being merged away: the registration ends on the kept one.
"""
from __future__ import annotations

import random
import threading
import time

import sqlalchemy as sa

from forum.accounts.models import User
from forum.db import db as _db
from forum.forums.models import Forum
from forum.organisations.models import Organisation
from forum.registration.models import CompanyRegistration
from tests import factories as f
from tests.test_races import _release, _threads, pg  # noqa: F401 - the fixture

ROUNDS = 5


def test_the_same_new_organisation_submitted_for_several_forums_at_once_is_one_organisation(app, pg):  # noqa: F811
    from forum.registration import services

    # Four spellings of one company (every one of them shares its folded names with every other).
    spellings = [("ТОО «Қазақ Ойл {r}»", "Kazakh Oil {r} LLP"), ("Казак Ойл {r} ТОО", "KAZAKH OIL {r}, LLP"),
                 ("«Қазақ Ойл {r}» ЖШС", "Kazakh Oil {r}"), ("Қазақ Ойл {r}", "Kazakh Oil {r} LLP")]
    for round_ in range(ROUNDS):
        n = len(spellings)
        forum_ids = [f.forum(capacity=100).id for _ in range(n)]  # one forum each: no forum lock serialises them
        inputs = []
        for legal, en in spellings:
            data = f.company_input(1, country="KZ", city="Atyrau", sector="energy")
            data.legal_name, data.name_en = legal.format(r=round_), en.format(r=round_)
            inputs.append(data)
        _release(pg)
        barrier = threading.Barrier(n)

        def work(i):
            with app.app_context():
                try:
                    fo = _db.session.get(Forum, forum_ids[i])
                    barrier.wait(timeout=30)
                    services.submit(fo, inputs[i])
                    _db.session.commit()
                finally:
                    _db.session.remove()

        assert _threads(n, work) == []
        org_ids = set(pg.session.scalars(sa.select(CompanyRegistration.organisation_id)
                                         .where(CompanyRegistration.forum_id.in_(forum_ids))))
        assert len(org_ids) == 1, f"round {round_}: {len(org_ids)} organisations for one company"
        assert pg.session.scalar(sa.select(sa.func.count()).select_from(CompanyRegistration)
                                 .where(CompanyRegistration.forum_id.in_(forum_ids))) == n


def test_a_submission_during_a_merge_ends_on_the_kept_organisation(app, pg):  # noqa: F811
    from forum.organisations import merging
    from forum.registration import services

    for round_ in range(ROUNDS):
        keep = f.company(f.forum(), 1, legal_name=f"Kazakhstan Temir Zholy {round_}", name_en=f"KTZ {round_}",
                         country="KZ")
        away = f.company(f.forum(), 1, legal_name=f"Қазақстан темір жолы {round_}",
                         name_en=f"Kazakhstan Railways {round_}", country="KZ")
        admin_id, keep_id, away_id = f.organizer().id, keep.organisation_id, away.organisation_id
        forum_id = f.forum().id
        data = f.company_input(2, country="KZ")
        data.legal_name, data.name_en = f"Казакстан темир жолы {round_}", f"Kazakhstan Railways {round_}"
        _release(pg)
        barrier = threading.Barrier(2)

        def work(i):
            with app.app_context():
                try:
                    barrier.wait(timeout=30)
                    if i == 0:
                        time.sleep(random.uniform(0, 0.03))
                        merging.merge(keep_id, away_id, by=_db.session.get(User, admin_id))
                    else:
                        time.sleep(random.uniform(0, 0.03))
                        services.submit(_db.session.get(Forum, forum_id), data)
                    _db.session.commit()
                finally:
                    _db.session.remove()

        assert _threads(2, work) == []
        assert pg.session.get(Organisation, away_id).merged_into_id == keep_id
        orgs = set(pg.session.scalars(sa.select(CompanyRegistration.organisation_id).where(
            CompanyRegistration.organisation_id.in_([keep_id, away_id]) | (CompanyRegistration.forum_id == forum_id))))
        assert orgs == {keep_id}, f"round {round_}: a registration was left on the merged-away organisation"
