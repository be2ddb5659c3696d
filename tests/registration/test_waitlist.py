"""The waiting list: a place given up goes to the first waitlisted delegate ("auto"), or the organizers
are asked ("ask"); in the order of waitlisting; through the state machine, with capacity; audited; told."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import clock
from forum.audit.models import AuditEntry
from forum.errors import CapacityReached, InvalidState, NotAllowed
from forum.forums import cancellation, services as forums
from forum.forums.models import ForumStatus, WaitlistMode
from forum.notifications.models import OutboxMessage
from forum.registration import services as registration, states, waitlist
from forum.registration.models import RegState, Registration
from forum.review import services as review
from forum.teams.models import Permission
from tests import factories as f


@pytest.fixture()
def org(db):
    return f.organizer()


def _full_forum(org, *, approved=2, waiting=3, mode=WaitlistMode.AUTO, capacity=None):
    """A forum with `approved` approved (full when capacity is None) and `waiting` waitlisted, in this order."""
    forum = f.forum(capacity=capacity or approved)
    forum.waitlist_mode = mode
    ok = [f.registration_(forum) for _ in range(approved)]
    for reg in ok:
        review.decide(reg, "approve", by=org)
    base = clock.now() - timedelta(days=3)
    wait = [f.registration_(forum) for _ in range(waiting)]
    for i, reg in enumerate(wait):
        states.transition(reg, RegState.WAITLISTED, by=org, now=base + timedelta(hours=i))
    f.db.session.execute(sa.delete(OutboxMessage))
    return forum, ok, wait


def _promotions(db, forum_id):
    return db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.forum_id == forum_id, AuditEntry.action == "state_change",
        AuditEntry.to_state == "approved", AuditEntry.from_state == "waitlisted")).all()


# --- the triggers --------------------------------------------------------------------------------

def test_a_withdrawal_promotes_the_first_waitlisted_and_tells_them(db, org):
    forum, ok, wait = _full_forum(org)
    registration.withdraw(ok[0], by=org)
    assert [r.state for r in wait] == [RegState.APPROVED, RegState.WAITLISTED, RegState.WAITLISTED]
    assert states.approved_count(forum.id) == forum.capacity
    entry, = _promotions(db, forum.id)
    assert (entry.subject_id, entry.actor_id, entry.details["detail"]) == (wait[0].id, None, "waitlist promotion")
    assert entry.details["place_of"] == ok[0].id
    told = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == "waitlist_promoted")).all()
    assert {m.to_addr for m in told} == {wait[0].email, wait[0].company.contact_email}


@pytest.mark.parametrize("action,reason", [("reject", "Duplicate delegate"), ("waitlist", "")])
def test_a_rejection_or_waitlisting_after_approval_promotes_the_first_other_one(db, org, action, reason):
    forum, ok, wait = _full_forum(org)
    review.decide(ok[0], action, by=org, reason=reason)
    assert wait[0].state is RegState.APPROVED
    assert [r.state for r in wait[1:]] == [RegState.WAITLISTED] * 2
    if action == "waitlist":
        assert ok[0].state is RegState.WAITLISTED and waitlist.position(ok[0]) == 3  # the end of the line


def test_a_waitlisted_approved_delegate_is_not_given_their_own_place_back(db, org):
    forum, ok, _wait = _full_forum(org, waiting=0)
    review.decide(ok[0], "waitlist", by=org)
    assert ok[0].state is RegState.WAITLISTED
    assert states.approved_count(forum.id) == forum.capacity - 1
    assert _promotions(db, forum.id) == []


def test_an_individual_cancellation_promotes(db, org):
    forum, ok, wait = _full_forum(org)
    states.transition(ok[1], RegState.CANCELLED, by=org, reason="Visa refused")
    assert wait[0].state is RegState.APPROVED


def test_raising_the_capacity_promotes_as_many_as_places_added_in_order(db, org):
    forum, _ok, wait = _full_forum(org, waiting=4)
    data = forums.input_of(forum)
    data.capacity = forum.capacity + 3
    forums.save_forum(data, by=org, forum=forum)
    assert [r.state for r in wait] == [RegState.APPROVED] * 3 + [RegState.WAITLISTED]
    entries = _promotions(db, forum.id)
    assert [e.subject_id for e in entries] == [r.id for r in wait[:3]]
    assert all(e.actor_id is None and e.details["capacity"] == [2, 5] for e in entries)


def test_lowering_the_capacity_or_changing_nothing_promotes_nobody(db, org):
    forum, _ok, wait = _full_forum(org)
    forums.save_forum(forums.input_of(forum), by=org, forum=forum)
    data = forums.input_of(forum)
    data.capacity = 1
    forums.save_forum(data, by=org, forum=forum)
    assert {r.state for r in wait} == {RegState.WAITLISTED}


def test_two_places_freed_one_after_the_other_go_to_the_first_two(db, org):
    forum, ok, wait = _full_forum(org)
    registration.withdraw(ok[0], by=org)
    registration.withdraw(ok[1], by=org)
    assert [r.state for r in wait] == [RegState.APPROVED, RegState.APPROVED, RegState.WAITLISTED]
    assert len(_promotions(db, forum.id)) == 2


def test_a_forum_that_is_not_full_gives_only_the_freed_place(db, org):
    """Places never taken stay for the review of pending registrations: one withdrawal, one promotion."""
    forum, ok, wait = _full_forum(org, capacity=10)
    registration.withdraw(ok[0], by=org)
    assert [r.state for r in wait] == [RegState.APPROVED, RegState.WAITLISTED, RegState.WAITLISTED]


def test_a_forum_over_its_capacity_gives_nothing(db, org):
    forum, ok, wait = _full_forum(org)
    extra = f.registration_(forum)
    review.decide(extra, "approve", by=org, reason="Minister's delegation", override_capacity=True)
    registration.withdraw(ok[0], by=org)
    assert {r.state for r in wait} == {RegState.WAITLISTED}
    assert states.approved_count(forum.id) == forum.capacity


def test_frees_place_false_promotes_nobody(db, org):
    """What a substitution passes: the place is handed over, not given up."""
    forum, ok, wait = _full_forum(org)
    states.transition(ok[0], RegState.WITHDRAWN, by=org, reason="Replaced by a colleague", frees_place=False)
    assert {r.state for r in wait} == {RegState.WAITLISTED}


def test_cancelling_the_forum_promotes_nobody(db, org):
    forum, ok, wait = _full_forum(org)
    cancellation.cancel(forum, reason="Venue closed", confirmed=True, by=org)
    assert {r.state for r in ok + wait} == {RegState.CANCELLED}
    assert _promotions(db, forum.id) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.template == "waitlist_promoted")) == 0


def test_a_forum_that_is_over_promotes_nobody(db, org):
    forum, ok, wait = _full_forum(org)
    forum.status = ForumStatus.HELD
    registration.withdraw(ok[0], by=org)
    assert {r.state for r in wait} == {RegState.WAITLISTED}


# --- the order -----------------------------------------------------------------------------------

def test_the_order_is_the_waitlisting_time_then_the_id(db, org):
    forum = f.forum(capacity=1)
    first = f.registration_(forum)
    review.decide(first, "approve", by=org)
    at = clock.now() - timedelta(days=1)
    a, b, late_registered_early_waitlisted = (f.registration_(forum) for _ in range(3))
    states.transition(a, RegState.WAITLISTED, by=org, now=at)
    states.transition(b, RegState.WAITLISTED, by=org, now=at)  # the same moment: the smaller id first
    states.transition(late_registered_early_waitlisted, RegState.WAITLISTED, by=org, now=at - timedelta(hours=1))
    assert waitlist.positions([forum.id]) == {late_registered_early_waitlisted.id: 1, a.id: 2, b.id: 3}
    registration.withdraw(first, by=org)
    assert late_registered_early_waitlisted.state is RegState.APPROVED
    assert (a.state, b.state) == (RegState.WAITLISTED, RegState.WAITLISTED)


def test_positions_are_per_forum(db, org):
    _f1, _ok1, w1 = _full_forum(org, waiting=2)
    _f2, _ok2, w2 = _full_forum(org, waiting=1)
    assert waitlist.positions([w1[0].forum_id, w2[0].forum_id]) == {w1[0].id: 1, w1[1].id: 2, w2[0].id: 1}


# --- "ask" mode ----------------------------------------------------------------------------------

def test_ask_mode_promotes_nobody_and_offers_the_first_in_line(db, org):
    forum, ok, wait = _full_forum(org, mode=WaitlistMode.ASK)
    assert waitlist.offer(forum) is None  # full: nothing to offer
    registration.withdraw(ok[0], by=org)
    assert {r.state for r in wait} == {RegState.WAITLISTED}
    offer = waitlist.offer(forum)
    assert (offer.free, offer.first.id, offer.waiting) == (1, wait[0].id, 3)


def test_auto_mode_offers_nothing(db, org):
    forum, _ok, wait = _full_forum(org, capacity=10)
    assert waitlist.offer(forum) is None


def test_promote_approves_the_first_in_line_audited_with_the_organizer_and_tells_them(db, org):
    forum, ok, wait = _full_forum(org, mode=WaitlistMode.ASK)
    registration.withdraw(ok[0], by=org)
    reviewer = f.member(forum, Permission.REVIEW)
    waitlist.promote(forum, wait[0], by=reviewer)
    assert wait[0].state is RegState.APPROVED
    entry, = _promotions(db, forum.id)
    assert (entry.actor_id, entry.details["detail"]) == (reviewer.id, "waitlist promotion")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.template == "waitlist_promoted", OutboxMessage.to_addr == wait[0].email)) == 1
    assert waitlist.offer(forum) is None


def test_promote_refuses_one_who_is_not_first_not_waitlisted_or_without_a_place(db, org):
    forum, ok, wait = _full_forum(org, mode=WaitlistMode.ASK)
    with pytest.raises(CapacityReached):
        waitlist.promote(forum, wait[0], by=org)
    registration.withdraw(ok[0], by=org)
    with pytest.raises(InvalidState) as e:
        waitlist.promote(forum, wait[1], by=org)
    assert e.value.code == "not_first_in_line"
    with pytest.raises(InvalidState) as e:
        waitlist.promote(forum, ok[1], by=org)
    assert e.value.code == "not_waitlisted"
    with pytest.raises(NotAllowed):
        waitlist.promote(forum, wait[0], by=f.member(forum, Permission.CHECKIN))
    assert {r.state for r in wait} == {RegState.WAITLISTED}


# --- the forum setting ---------------------------------------------------------------------------

def test_the_waitlist_mode_is_saved_and_audited(db, org):
    forum = f.forum()
    assert forum.waitlist_mode is WaitlistMode.AUTO
    data = forums.input_of(forum)
    data.waitlist_mode = "ask"
    forums.save_forum(data, by=org, forum=forum)
    assert forum.waitlist_mode is WaitlistMode.ASK
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "updated")).one()
    assert entry.details["changes"] == {"waitlist_mode": ["auto", "ask"]}
    data.waitlist_mode = "sometimes"
    with pytest.raises(forums.ForumFormError) as e:
        forums.save_forum(data, by=org, forum=forum)
    assert "waitlist_mode" in e.value.errors


# --- the waitlist mail says what happens -----------------------------------------------------------

@pytest.mark.parametrize("mode,says,never", [
    (WaitlistMode.AUTO, "approved automatically and told by e-mail", "may offer"),
    (WaitlistMode.ASK, "the organizers may offer it", "automatically and told"),
])
def test_the_waitlist_mail_says_exactly_what_happens_in_the_forums_mode(db, org, mode, says, never):
    forum, _ok, _wait = _full_forum(org, waiting=1, mode=mode)
    reg = f.registration_(forum)
    review.decide(reg, "waitlist", by=org)
    msg = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.template == "waitlisted", OutboxMessage.to_addr == reg.email)).one()
    assert says in msg.body_text and never not in msg.body_text
    assert "Place on the waiting list: 2." in msg.body_text
    assert "as soon as a place is free" not in msg.body_text  # the old promise


def test_the_promotion_mail_is_in_each_recipients_language(db, org):
    forum = f.forum(capacity=1)
    first = f.registration_(forum)
    review.decide(first, "approve", by=org)
    company = f.company(forum, 0, language="ru", delegates=[f.delegate_input(language="ja")])
    review.decide(company.delegates[0], "waitlist", by=org)
    db.session.execute(sa.delete(OutboxMessage))
    registration.withdraw(first, by=org)
    langs = dict(db.session.execute(sa.select(OutboxMessage.to_addr, OutboxMessage.language)
                                    .where(OutboxMessage.template == "waitlist_promoted")).all())
    assert langs == {company.delegates[0].email: "ja", company.contact_email: "ru"}


# --- what people see -----------------------------------------------------------------------------

def test_the_delegate_sees_their_place_on_my_registrations(db, client, login, org):
    forum, _ok, wait = _full_forum(org)
    login(wait[1].user)
    html = client.get("/my").get_data(as_text=True)
    assert "Place 2 on the waiting list" in html


def test_organizers_see_places_in_line_and_the_waitlist_in_its_order(db, client, login, org):
    forum, _ok, wait = _full_forum(org)
    login(org)
    html = client.get(f"/manage/{forum.slug}/registrations?state=waitlisted").get_data(as_text=True)
    assert "no. 1 in line" in html and "no. 3 in line" in html
    assert html.index(wait[0].email) < html.index(wait[1].email) < html.index(wait[2].email)
    detail = client.get(f"/manage/{forum.slug}/registrations/{wait[1].id}").get_data(as_text=True)
    assert "no. 2 in line" in detail


def test_ask_mode_prompt_on_the_list_and_the_forum_page_and_one_click_promotes(db, client, login, post, org):
    forum, ok, wait = _full_forum(org, mode=WaitlistMode.ASK)
    wait[0].full_name = "田中 美咲"
    registration.withdraw(ok[0], by=org)
    reviewer = login(f.member(forum, Permission.REVIEW))
    for url in (f"/manage/{forum.slug}/registrations", f"/forums/{forum.slug}"):
        html = client.get(url).get_data(as_text=True)
        assert "1 place free — promote 田中 美咲?" in html, url
    r = post(f"/manage/{forum.slug}/registrations/{wait[0].id}/promote",
             {"next": f"/forums/{forum.slug}"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/forums/{forum.slug}")
    db.session.expire_all()
    assert db.session.get(Registration, wait[0].id).state is RegState.APPROVED
    entry, = _promotions(db, forum.id)
    assert entry.actor_id == reviewer.id
    assert "place free" not in client.get(f"/manage/{forum.slug}/registrations").get_data(as_text=True)


def test_the_prompt_is_not_shown_without_review_permission_or_in_auto_mode(db, client, login, org):
    forum, ok, _wait = _full_forum(org, mode=WaitlistMode.ASK)
    registration.withdraw(ok[0], by=org)
    login(f.member(forum, Permission.CHECKIN))
    assert "place free" not in client.get(f"/forums/{forum.slug}").get_data(as_text=True)
    auto, ok2, _w = _full_forum(org, capacity=5)
    login(org)
    assert "place free" not in client.get(f"/manage/{auto.slug}/registrations").get_data(as_text=True)


def test_promote_by_a_stale_page_says_why_and_changes_nothing(db, client, login, post, org):
    forum, ok, wait = _full_forum(org, mode=WaitlistMode.ASK)
    login(org)
    r = post(f"/manage/{forum.slug}/registrations/{wait[0].id}/promote", follow_redirects=True)
    assert "The forum is full" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, wait[0].id).state is RegState.WAITLISTED


def test_the_forum_form_offers_and_saves_the_waitlist_mode_and_a_raised_capacity_promotes(db, client, login, post, org):
    from tests.forums.test_cancellation import EDIT

    forum, _ok, wait = _full_forum(org)
    forum.slug = "tashkent"
    login(org)
    html = client.get("/manage/tashkent/edit").get_data(as_text=True)
    assert 'name="waitlist_mode"' in html and "Ask me: show the free place" in html
    r = post("/manage/tashkent/edit", dict(EDIT, capacity="3", waitlist_mode="ask"))
    assert r.status_code == 302
    db.session.expire_all()
    assert forum.waitlist_mode is WaitlistMode.ASK and forum.capacity == 3
    assert {db.session.get(Registration, r.id).state for r in wait} == {RegState.WAITLISTED}  # ask: nobody
    r = post("/manage/tashkent/edit", dict(EDIT, capacity="4", waitlist_mode="auto"))
    assert r.status_code == 302
    db.session.expire_all()
    assert [db.session.get(Registration, r.id).state for r in wait] == [
        RegState.APPROVED, RegState.WAITLISTED, RegState.WAITLISTED]  # auto: the one place added
    r = post("/manage/tashkent/edit", dict(EDIT, waitlist_mode="never"))
    assert r.status_code == 422 and 'id="waitlist_mode-error"' in r.get_data(as_text=True)
