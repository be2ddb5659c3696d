"""Reopening a cancelled forum: a preview of who is restored, a reason and a confirmation; each
registration the cancellation cancelled back to its state through the state machine, capacity included;
everyone restored told once in their language; audited; the forum's page stops saying it is cancelled."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import clock
from forum.audit.models import AuditEntry
from forum.errors import InvalidInput, InvalidState, NotAllowed
from forum.forums import cancellation, reopening, services as forums
from forum.forums.models import Forum, ForumStatus
from forum.notifications.models import OutboxMessage
from forum.registration import services as registration, states, waitlist
from forum.registration.models import RegState, Registration
from forum.review import services as review
from forum.teams.models import Permission
from tests import factories as f


@pytest.fixture()
def setup(db):
    """A closed forum of capacity 3: a Russian contact who is also an approved delegate, a Japanese approved
    delegate, one pending, two waitlisted (in an order that is not their ids'), one rejected, one withdrawn;
    then cancelled."""
    forum, org = f.forum(slug="tashkent", capacity=3), f.organizer()
    c1 = f.company(forum, 0, language="ru", contact_email="boss@uz.example",
                   delegates=[f.delegate_input(email="boss@uz.example", language="ru"),
                              f.delegate_input(email="tanaka@jp.example", language="ja"),
                              f.delegate_input(email="rejected@uz.example", language="en")])
    c2 = f.company(forum, 4, language="en")
    boss, tanaka, rejected = c1.delegates
    pending, w_second, w_first, withdrawn = c2.delegates
    review.decide(boss, "approve", by=org)
    review.decide(tanaka, "approve", by=org)
    review.decide(rejected, "reject", by=org, reason="Duplicate")
    at = clock.now() - timedelta(days=2)
    states.transition(w_first, RegState.WAITLISTED, by=org, now=at)
    states.transition(w_second, RegState.WAITLISTED, by=org, now=at + timedelta(hours=1))
    registration.withdraw(withdrawn, by=org)
    forum.status = ForumStatus.CLOSED  # registration closed by the organizers, then the forum cancelled
    cancellation.cancel(forum, reason="Storm warning", confirmed=True, by=org)
    db.session.execute(sa.delete(OutboxMessage))
    regs = dict(boss=boss, tanaka=tanaka, rejected=rejected, pending=pending, w_first=w_first, w_second=w_second,
                withdrawn=withdrawn)
    return forum, org, c1, c2, regs


def _states(regs):
    return {k: r.state for k, r in regs.items()}


def test_cancel_remembers_what_it_undid(db, setup):
    forum, _org, _c1, _c2, regs = setup
    assert forum.status_before_cancellation is ForumStatus.CLOSED
    assert {k: r.state_before_cancellation for k, r in regs.items()} == dict(
        boss=RegState.APPROVED, tanaka=RegState.APPROVED, rejected=None, pending=RegState.PENDING,
        w_first=RegState.WAITLISTED, w_second=RegState.WAITLISTED, withdrawn=None)


def test_reopen_restores_each_to_its_state_and_the_forum_to_its_status(db, setup):
    forum, org, _c1, _c2, regs = setup
    reopening.reopen(forum, reason="The storm passed", confirmed=True, by=org)
    assert _states(regs) == dict(boss=RegState.APPROVED, tanaka=RegState.APPROVED, rejected=RegState.REJECTED,
                                 pending=RegState.PENDING, w_first=RegState.WAITLISTED, w_second=RegState.WAITLISTED,
                                 withdrawn=RegState.WITHDRAWN)
    assert forum.status is ForumStatus.CLOSED
    assert (forum.cancelled_at, forum.cancellation_reason, forum.status_before_cancellation) == (None, "", None)
    assert all(r.state_before_cancellation is None for r in regs.values())
    # waitlisted delegates keep their place in the line
    assert waitlist.positions([forum.id]) == {regs["w_first"].id: 1, regs["w_second"].id: 2}


def test_reopen_is_audited_per_registration_and_for_the_forum(db, setup):
    forum, org, _c1, _c2, regs = setup
    reopening.reopen(forum, reason="The storm passed", confirmed=True, by=org)
    entries = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "state_change", AuditEntry.from_state == "cancelled")).all()
    assert {(e.subject_id, e.to_state) for e in entries} == {
        (regs[k].id, regs[k].state.value) for k in ("boss", "tanaka", "pending", "w_first", "w_second")}
    assert all(e.actor_id == org.id and e.reason == "The storm passed" and e.details["restored"] for e in entries)
    forum_entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "reopened")).one()
    assert (forum_entry.from_state, forum_entry.to_state, forum_entry.reason) == ("cancelled", "closed", "The storm passed")
    assert forum_entry.details["cancellation_reason"] == "Storm warning"
    assert forum_entry.details["restored"] == 5


def test_everyone_restored_is_told_once_in_their_language(db, setup):
    forum, org, c1, c2, regs = setup
    reopening.reopen(forum, reason="The storm passed", confirmed=True, by=org)
    sent = db.session.execute(sa.select(OutboxMessage.to_addr, OutboxMessage.language, OutboxMessage.template)).all()
    assert sorted(sent) == sorted([
        ("boss@uz.example", "ru", "forum_reopened"), ("tanaka@jp.example", "ja", "forum_reopened"),
        (c2.contact_email, "en", "forum_reopened"), (regs["pending"].email, "en", "forum_reopened"),
        (regs["w_first"].email, "en", "forum_reopened"), (regs["w_second"].email, "en", "forum_reopened")])
    contact = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.to_addr == c2.contact_email)).one()
    body = contact.body_text
    assert "is no longer cancelled" in body and "The storm passed" in body
    for k in ("pending", "w_first", "w_second"):
        assert regs[k].full_name in body
    assert regs["withdrawn"].full_name not in body  # withdrawn before: not restored, not mentioned


def test_the_preview_is_what_is_restored(db, setup):
    forum, org, *_ = setup
    forum.capacity = 1
    planned = [(r.reg.id, r.before, r.to) for r in reopening.preview(forum).restores]
    done = reopening.reopen(forum, reason="Go", confirmed=True, by=org)
    assert [(r.reg.id, r.before, r.to) for r in done.restores] == planned
    assert {db.session.get(Registration, i).state for i, _b, _t in planned} == {t for _i, _b, t in planned}
    assert [(i, db.session.get(Registration, i).state) for i, _b, _t in planned] == [(i, t) for i, _b, t in planned]


def test_an_approved_delegate_without_a_place_comes_back_waitlisted_and_is_told(db, setup):
    forum, org, _c1, _c2, regs = setup
    data = forums.input_of(forum)
    data.capacity = 1  # lowered while cancelled
    forums.save_forum(data, by=org, forum=forum)
    plan = reopening.preview(forum)
    assert plan.no_place == 1
    reopening.reopen(forum, reason="Go", confirmed=True, by=org)
    assert (regs["boss"].state, regs["tanaka"].state) == (RegState.APPROVED, RegState.WAITLISTED)
    assert states.approved_count(forum.id) == 1
    # the end of the line, behind those who were waiting already
    assert waitlist.position(regs["tanaka"]) == 3
    msg = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.to_addr == "tanaka@jp.example")).one()
    assert msg.template == "forum_reopened"
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.subject_id == regs["tanaka"].id, AuditEntry.from_state == "cancelled")).one()
    assert (entry.to_state, entry.details["no_place"], entry.details["before_cancellation"]) == (
        "waitlisted", True, "approved")


def test_the_english_mail_says_when_there_is_no_place(db, setup):
    forum, org, _c1, c2, regs = setup
    forum.capacity = 2
    review_reg = regs["pending"]
    regs["pending"].state_before_cancellation = RegState.APPROVED  # a third approved one, in an English company
    db.session.flush()
    reopening.reopen(forum, reason="Go", confirmed=True, by=org)
    assert review_reg.state is RegState.WAITLISTED
    body = db.session.scalars(sa.select(OutboxMessage.body_text).where(
        OutboxMessage.to_addr == review_reg.email)).one()
    assert "on the waiting list: there is no free place" in body


def test_the_confirmation_and_the_reason_are_required(db, setup):
    forum, org, *_ , regs = setup
    with pytest.raises(InvalidInput) as e:
        reopening.reopen(forum, reason="Go", confirmed=False, by=org)
    assert (e.value.code, e.value.field) == ("not_confirmed", "confirm")
    with pytest.raises(InvalidInput) as e:
        reopening.reopen(forum, reason="  ", confirmed=True, by=org)
    assert e.value.code == "reason_required"
    assert forum.status is ForumStatus.CANCELLED
    assert {r.state for k, r in regs.items() if k not in ("rejected", "withdrawn")} == {RegState.CANCELLED}


def test_only_managers_reopen_and_only_a_cancelled_forum(db, setup):
    forum, org, *_ = setup
    for user in (f.member(forum, Permission.REVIEW), f.member(f.forum(), Permission.MANAGE), f.user()):
        with pytest.raises(NotAllowed):
            reopening.reopen(forum, reason="Go", confirmed=True, by=user)
    reopening.reopen(forum, reason="Go", confirmed=True, by=f.member(forum, Permission.MANAGE))
    with pytest.raises(InvalidState) as e:
        reopening.reopen(forum, reason="Again", confirmed=True, by=org)
    assert e.value.code == "not_cancelled"


def test_a_forum_whose_dates_are_past_is_not_reopened(db, setup):
    forum, org, *_ = setup
    forum.starts_at, forum.ends_at = clock.now() - timedelta(days=3), clock.now() - timedelta(days=1)
    forum.registration_opens_at, forum.registration_closes_at = forum.starts_at - timedelta(days=30), forum.starts_at
    with pytest.raises(InvalidState) as e:
        reopening.reopen(forum, reason="Go", confirmed=True, by=org)
    assert e.value.code == "forum_over"


def test_someone_registered_again_meanwhile_stays_cancelled(db, setup):
    forum, org, _c1, _c2, regs = setup
    # Not possible through the app today; the unique index would refuse a second active registration.
    again = regs["pending"]
    twin = f.registration_(f.forum())
    twin.forum_id, twin.company_id = forum.id, again.company_id
    twin.email, twin.state = again.email, RegState.PENDING
    db.session.flush()
    plan = reopening.preview(forum)
    assert [r.id for r in plan.kept] == [again.id]
    reopening.reopen(forum, reason="Go", confirmed=True, by=org)
    assert again.state is RegState.CANCELLED


def test_the_restore_edge_is_only_for_reopening(db, setup):
    forum, org, _c1, _c2, regs = setup
    with pytest.raises(InvalidState) as e:
        states.transition(regs["pending"], RegState.PENDING, by=org, reason="x")  # not without restore=True
    assert e.value.code in ("transition_not_allowed", "forum_cancelled")
    forum.status = ForumStatus.PUBLISHED
    db.session.flush()
    with pytest.raises(InvalidState) as e:
        states.transition(regs["pending"], RegState.PENDING, by=org, reason="x")
    assert e.value.code == "transition_not_allowed"
    with pytest.raises(InvalidState) as e:
        states.transition(regs["rejected"], RegState.APPROVED, by=org, reason="x", restore=True)
    assert e.value.code == "transition_not_allowed"  # restore takes only cancelled ones back
    with pytest.raises(InvalidState) as e:
        states.transition(regs["withdrawn"], RegState.PENDING, by=org, reason="x", restore=True)
    assert e.value.code == "transition_not_allowed"


def test_restoring_into_a_still_cancelled_forum_is_refused(db, setup):
    forum, org, _c1, _c2, regs = setup
    with pytest.raises(InvalidState) as e:
        states.transition(regs["pending"], RegState.PENDING, by=org, reason="x", restore=True)
    assert e.value.code == "forum_cancelled"


def test_restored_approvals_respect_the_capacity_in_the_state_machine(db, setup):
    """Even a restore goes through the capacity check: a plan that ignored it would fail, not overbook."""
    from forum.errors import CapacityReached

    forum, org, _c1, _c2, regs = setup
    forum.status, forum.capacity = ForumStatus.PUBLISHED, 1
    db.session.flush()
    states.transition(regs["boss"], RegState.APPROVED, by=org, reason="x", restore=True)
    with pytest.raises(CapacityReached):
        states.transition(regs["tanaka"], RegState.APPROVED, by=org, reason="x", restore=True)


# --- the page ------------------------------------------------------------------------------------

def test_the_page_lists_who_is_restored_then_reopens_on_confirmation(db, client, login, post, setup):
    forum, org, _c1, _c2, regs = setup
    login(org)
    page = client.get("/manage/tashkent/reopen").get_data(as_text=True)
    assert "5 registrations will be restored" in page and "6 people e-mailed in their language" in page
    for k in ("boss", "tanaka", "pending", "w_first", "w_second"):
        assert regs[k].email in page
    for k in ("rejected", "withdrawn"):
        assert regs[k].email not in page
    r = post("/manage/tashkent/reopen", {"reason": "The storm passed"})  # no confirmation
    assert r.status_code == 422 and 'id="confirm-error"' in r.get_data(as_text=True)
    assert db.session.get(Forum, forum.id).status is ForumStatus.CANCELLED
    r = post("/manage/tashkent/reopen", {"reason": "", "confirm": "y"})
    assert r.status_code == 422 and 'id="reason-error"' in r.get_data(as_text=True)
    r = post("/manage/tashkent/reopen", {"reason": "The storm passed", "confirm": "y"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Forum, forum.id).status is ForumStatus.CLOSED
    public = client.get("/forums/tashkent").get_data(as_text=True)
    assert "Storm warning" not in public and "has been cancelled" not in public


def test_the_page_says_which_approved_delegates_find_no_place(db, client, login, setup):
    forum, org, *_ = setup
    forum.capacity = 1
    login(org)
    page = client.get("/manage/tashkent/reopen").get_data(as_text=True)
    assert "1 approved delegate finds no free place (capacity 1)" in page and "no free place" in page


def test_the_page_of_a_forum_that_is_not_cancelled_offers_nothing(db, client, login, post, setup):
    forum, org, *_ = setup
    reopening.reopen(forum, reason="Go", confirmed=True, by=org)
    login(org)
    page = client.get("/manage/tashkent/reopen").get_data(as_text=True)
    assert "not cancelled" in page and 'name="confirm"' not in page
    r = post("/manage/tashkent/reopen", {"reason": "Again", "confirm": "y"})
    assert r.status_code == 409


def test_the_edit_and_cancel_pages_of_a_cancelled_forum_link_to_reopen(db, client, login, setup):
    forum, org, *_ = setup
    login(org)
    for url in ("/manage/tashkent/edit", "/manage/tashkent/cancel"):
        assert "/manage/tashkent/reopen" in client.get(url).get_data(as_text=True), url


def test_reviewers_cannot_open_the_reopen_page(db, client, login, setup):
    forum, *_ = setup
    login(f.member(forum, Permission.REVIEW))
    assert client.get("/manage/tashkent/reopen").status_code == 403


def test_a_long_list_is_paged(db, client, login, app, setup):
    forum, org, *_ = setup
    login(org)
    per_page = app.config["PER_PAGE"]
    app.config["PER_PAGE"] = 2
    try:
        first = client.get("/manage/tashkent/reopen").get_data(as_text=True)
        third = client.get("/manage/tashkent/reopen?page=3").get_data(as_text=True)
    finally:
        app.config["PER_PAGE"] = per_page
    assert first.count("restore-list") == 1 and 'aria-label="Pages"' in first
    rows = lambda html: html.count('data-label="Restored as"')  # noqa: E731
    assert (rows(first), rows(third)) == (2, 1)


def test_a_registration_cancelled_on_its_own_before_stays_cancelled(db):
    forum, org = f.forum(), f.organizer()
    reg, other = f.company(forum, 2).delegates
    states.transition(reg, RegState.CANCELLED, by=org, reason="Cancelled by the organizers, visa refused")
    cancellation.cancel(forum, reason="Storm", confirmed=True, by=org)
    assert [r.reg.id for r in reopening.preview(forum).restores] == [other.id]
    reopening.reopen(forum, reason="Go", confirmed=True, by=org)
    assert (reg.state, other.state) == (RegState.CANCELLED, RegState.PENDING)
