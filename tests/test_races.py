"""Races on PostgreSQL (issue 6, section 3): real threads, real row locks.

- a cancellation and submissions at the same moment: afterwards no active registration is left in the
  cancelled forum, and everyone registered is told;
- two auto-approving invitations of one forum at once: no deadlock (locks in one order: the forum first);
- the same new contact e-mail ten times at once: everyone joins one account, or gets a field error;
- a transaction PostgreSQL aborts for a deadlock or serialisation failure is retried once by the view.

The threaded tests skip on SQLite, where one writer at a time (BEGIN IMMEDIATE) serialises everything.
"""
from __future__ import annotations

import random
import re
import threading
import time

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from forum.accounts.models import User
from forum.db import db as _db
from forum.errors import DomainError
from forum.forums.models import Forum, ForumStatus
from forum.notifications.models import OutboxMessage
from forum.registration.models import ACTIVE_STATES, CompanyRegistration, LateInvitation, RegState, Registration
from tests import factories as f
from tests.conftest import CSRF_RE

ROUNDS = 5


@pytest.fixture()
def pg(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a race on PostgreSQL row locks; this run is on " + db.engine.dialect.name)
    return db


def _threads(n, target, timeout=120):
    errors = []

    def runner(i):
        try:
            target(i)
        except Exception as e:  # noqa: BLE001 - collected and asserted by the caller
            errors.append(e)

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


def _release(db):
    db.session.commit()
    db.session.close()  # hold no transaction while the threads run


# --- a cancellation while companies register --------------------------------------------------

def test_cancelling_while_companies_register_leaves_no_active_registration_and_tells_everyone(app, pg):
    from forum.forums import cancellation
    from forum.registration import services

    submitters, per_thread = 6, 6
    for round_ in range(ROUNDS):
        forum, org = f.forum(capacity=1000), f.organizer()
        f.company(forum, 2)  # someone registered before, too
        forum_id, org_id = forum.id, org.id
        inputs = [[f.company_input(1) for _ in range(per_thread)] for _ in range(submitters)]
        _release(pg)
        barrier = threading.Barrier(submitters + 1)
        refused: list[str] = []

        def work(i):
            with app.app_context():
                barrier.wait(timeout=30)
                if i == submitters:  # the organizer, a moment after the first submissions
                    time.sleep(random.uniform(0.01, 0.05))
                    cancellation.cancel(_db.session.get(Forum, forum_id), reason="The venue burned down.",
                                        confirmed=True, by=_db.session.get(User, org_id))
                    _db.session.commit()
                    _db.session.remove()
                    return
                for data in inputs[i]:
                    try:
                        services.submit(_db.session.get(Forum, forum_id), data)
                        _db.session.commit()
                    except DomainError as e:
                        _db.session.rollback()
                        refused.append(e.code)
                    finally:
                        _db.session.close()
                _db.session.remove()

        assert _threads(submitters + 1, work) == []
        regs = pg.session.scalars(sa.select(Registration).where(Registration.forum_id == forum_id)).all()
        assert pg.session.get(Forum, forum_id).status is ForumStatus.CANCELLED
        active = [r for r in regs if r.state in ACTIVE_STATES]
        assert active == [], f"round {round_}: {len(active)} registrations left active in a cancelled forum"
        assert {r.state for r in regs} == {RegState.CANCELLED}
        told = set(pg.session.scalars(sa.select(OutboxMessage.to_addr).where(
            OutboxMessage.forum_id == forum_id, OutboxMessage.template == "forum_cancelled")))
        assert {r.email for r in regs} <= told
        assert set(refused) <= {"forum_unavailable"}
        assert len(regs) + len(refused) == 2 + submitters * per_thread  # each one either in, and told, or refused


# --- two auto-approving invitations at once ---------------------------------------------------

def test_two_auto_approving_invitations_submitted_at_once_never_deadlock(app, pg):
    from forum.registration import services

    for round_ in range(ROUNDS):
        forum, org = f.forum(phase="late", capacity=100), f.organizer()
        invs = [services.create_invitation(forum, company_name=f"Co {k}", email=f"inv{k}@example.jp", by=org,
                                           auto_approve=True)[0] for k in range(2)]
        inv_ids, forum_id = [i.id for i in invs], forum.id
        inputs = [f.company_input(3) for _ in range(2)]
        _release(pg)
        barrier = threading.Barrier(2)

        def work(i):
            with app.app_context():
                try:
                    fo, inv = _db.session.get(Forum, forum_id), _db.session.get(LateInvitation, inv_ids[i])
                    barrier.wait(timeout=30)
                    services.submit(fo, inputs[i], invitation=inv)  # no retry here: a deadlock would raise
                    _db.session.commit()
                finally:
                    _db.session.remove()

        errors = _threads(2, work)
        assert errors == [], f"round {round_}: {errors!r}"
        states = pg.session.scalars(sa.select(Registration.state).where(Registration.forum_id == forum_id)).all()
        assert sorted(states) == [RegState.APPROVED] * 6


# --- the same new contact e-mail ten times at once, through the public form --------------------

def _form(i: int, *, contact: str, delegate: str) -> dict:
    return {
        "legal_name": f"株式会社レース{i}", "name_en": f"Race Corp {i}", "country": "JP", "city": "Tokyo", "sector": "it",
        "contact_name": "佐藤 花子", "contact_email": contact, "privacy_accepted": "y",
        "delegates-0-full_name": f"山田 太郎 {i}", "delegates-0-latin_name": f"YAMADA Taro {i}",
        "delegates-0-email": delegate, "delegates-0-category": "delegate", "delegates-0-language": "en",
    }


def _post_at_once(app, posts: list[tuple[str, dict]]):
    """Each thread its own browser: GET the form (its CSRF token), wait for the others, POST."""
    barrier, responses = threading.Barrier(len(posts)), [None] * len(posts)

    def work(i):
        url, data = posts[i]
        client = FlaskClient(app, app.response_class, use_cookies=True)
        html = client.get(url).get_data(as_text=True)
        m = CSRF_RE.search(html)
        barrier.wait(timeout=30)
        r = client.post(url, data={**data, "csrf_token": m.group(1) or m.group(2)})
        responses[i] = (r.status_code, r.get_data(as_text=True))

    assert _threads(len(posts), work) == []
    return responses


def test_the_same_new_contact_email_ten_times_at_once_joins_one_account(app, pg):
    """Ten companies, ten forums, one new contact person and one new delegate address: all ten are
    registered under one account each; before, nine hit users.email and got a 422 with no field marked."""
    slugs = [f.forum(slug=f"race-{k}").slug for k in range(10)]
    _release(pg)
    responses = _post_at_once(app, [(f"/forums/{slug}/register",
                                     _form(k, contact="new.person@example.kz", delegate="new.delegate@example.kz"))
                                    for k, slug in enumerate(slugs)])
    assert [s for s, _ in responses] == [302] * 10, [b[:300] for s, b in responses if s != 302]
    for addr in ("new.person@example.kz", "new.delegate@example.kz"):
        assert pg.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.email == addr)) == 1
    assert pg.session.scalar(sa.select(sa.func.count()).select_from(CompanyRegistration)) == 10


def test_the_same_delegate_ten_times_at_once_in_one_forum_registers_once_and_marks_the_field(app, pg):
    forum_id = f.forum(slug="race").id
    _release(pg)
    responses = _post_at_once(app, [("/forums/race/register",
                                     _form(k, contact="same.contact@example.kz", delegate="same@example.kz"))
                                    for k in range(10)])
    statuses = sorted(s for s, _ in responses)
    assert statuses == [302] + [422] * 9
    for status, body in responses:
        if status == 422:
            # the refusal sits next to the delegate's e-mail field, not in an unexplained page
            assert re.search(r'id="delegates-0-email"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="delegates-0-email"',
                             body) or re.search(r'<input[^>]*is-invalid[^>]*name="delegates-0-email"', body), body[:2000]
    assert pg.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(
        Registration.forum_id == forum_id)) == 1
    assert pg.session.scalar(sa.select(sa.func.count()).select_from(User).where(
        User.email.in_(["same@example.kz", "same.contact@example.kz"]))) == 2


# --- one retry at the boundary (any database: the failure is injected) --------------------------

def _aborted(sqlstate_cls):
    import psycopg.errors

    return sa.exc.OperationalError("UPDATE ...", {}, getattr(psycopg.errors, sqlstate_cls)())


@pytest.mark.parametrize("kind", ["SerializationFailure", "DeadlockDetected"])
def test_a_view_aborted_by_the_database_is_run_again_once_transparently(app, client, db, post, monkeypatch, kind):
    from forum.registration import services

    forum = f.forum(slug="astana")
    real, calls = services.submit, []

    def flaky(*a, **kw):
        calls.append(1)
        company = real(*a, **kw)  # rows inserted, then the database gives up on the transaction
        if len(calls) == 1:
            raise _aborted(kind)
        return company

    monkeypatch.setattr(services, "submit", flaky)
    r = post("/forums/astana/register", _form(1, contact="c@example.kz", delegate="d@example.kz"),
             token_from="/forums/astana/register")
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    assert len(calls) == 2
    # the first attempt's rows were rolled back: exactly one company, one registration
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CompanyRegistration).where(CompanyRegistration.forum_id == forum.id)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1


def test_the_retry_happens_once_and_only_for_deadlocks_and_serialisation_failures(app, client, db, post, monkeypatch):
    from forum.registration import services

    f.forum(slug="astana")
    calls = []

    def always(*a, **kw):
        calls.append(1)
        raise _aborted("SerializationFailure")

    monkeypatch.setattr(services, "submit", always)
    data = _form(1, contact="c@example.kz", delegate="d@example.kz")
    r = post("/forums/astana/register", data, token_from="/forums/astana/register")
    assert r.status_code == 500 and len(calls) == 2  # tried twice, then the error page

    calls.clear()

    def other(*a, **kw):
        calls.append(1)
        raise _aborted("UniqueViolation")

    monkeypatch.setattr(services, "submit", other)
    r = post("/forums/astana/register", data, token_from="/forums/astana/register")
    assert r.status_code == 500 and len(calls) == 1  # not a transient failure: not retried


def test_every_view_is_wrapped_by_the_retry(app):
    for endpoint, view in app.view_functions.items():
        if endpoint != "static":
            assert getattr(view, "retries_on_conflict", False), endpoint


def test_the_demo_command_is_retried_too(app):
    # `forum demo` is idempotent, so running it again after an aborted transaction is safe.
    from forum.cli import demo

    assert getattr(demo.callback.__wrapped__, "retries_on_conflict", False) or getattr(demo.callback, "retries_on_conflict", False)
