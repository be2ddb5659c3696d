"""Cancelling a forum: its own action with a preview, a reason and a confirmation; everyone told once,
in their language; audited; never possible from the edit form."""
import pytest
import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.errors import InvalidInput, InvalidState, NotAllowed
from forum.forums import cancellation
from forum.forums.models import Forum, ForumStatus
from forum.notifications.models import OutboxMessage
from forum.registration.models import RegState, Registration
from forum.review import services as review
from tests import factories as f


@pytest.fixture()
def setup(db):
    forum, org = f.forum(slug="tashkent"), f.organizer()
    # a Russian-speaking contact who is also a delegate, a Japanese delegate, and one rejected delegate
    c1 = f.company(forum, 0, language="ru", contact_email="boss@uz.example",
                   delegates=[f.delegate_input(email="boss@uz.example", language="ru"),
                              f.delegate_input(email="tanaka@jp.example", language="ja"),
                              f.delegate_input(email="gone@uz.example", language="en")])
    c2 = f.company(forum, 1, language="en")
    review.decide(c1.delegates[0], "approve", by=org)
    review.decide(c1.delegates[2], "reject", by=org, reason="Duplicate")
    db.session.execute(sa.delete(OutboxMessage))
    return forum, org, c1, c2


def test_preview_counts_registrations_and_each_person_once_with_their_language(db, setup):
    forum, _org, c1, c2 = setup
    p = cancellation.preview(forum)
    assert p.registrations == 3  # the rejected one is not active
    assert p.recipients == {"boss@uz.example": "ru", "tanaka@jp.example": "ja",
                            c2.contact_email: "en", c2.delegates[0].email: "en"}
    assert dict(p.by_language) == {"en": 2, "ru": 1, "ja": 1}


def test_cancel_cancels_active_registrations_and_mails_everyone_once_in_their_language(db, setup):
    forum, org, c1, c2 = setup
    done = cancellation.cancel(forum, reason="The venue is closed by the authorities.", confirmed=True, by=org)
    assert done.registrations == 3 and done.people == 4
    states = {r.email: r.state for r in db.session.scalars(sa.select(Registration))}
    assert states["gone@uz.example"] is RegState.REJECTED
    assert {s for e, s in states.items() if e != "gone@uz.example"} == {RegState.CANCELLED}
    assert forum.status is ForumStatus.CANCELLED and forum.cancelled_at is not None
    mails = db.session.scalars(sa.select(OutboxMessage)).all()
    assert sorted((m.to_addr, m.language, m.template) for m in mails) == sorted(
        [("boss@uz.example", "ru", "forum_cancelled"), ("tanaka@jp.example", "ja", "forum_cancelled"),
         (c2.contact_email, "en", "forum_cancelled"), (c2.delegates[0].email, "en", "forum_cancelled")])
    assert all("The venue is closed by the authorities." in m.body_text for m in mails)
    assert "отменён" in next(m for m in mails if m.language == "ru").body_text
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "forum",
                                                           AuditEntry.action == "cancelled")).one()
    assert (entry.actor_id, entry.from_state, entry.to_state, entry.reason) == (
        org.id, "published", "cancelled", "The venue is closed by the authorities.")
    assert entry.details == {"registrations": 3, "people": 4, "reasons": {"en": "The venue is closed by the authorities."},
                             "meetings": 0, "meeting_requests": 0, "badges_revoked": 1}


@pytest.mark.parametrize("kw, code", [
    (dict(reason="", confirmed=True), "reason_required"),
    (dict(reason="   ", confirmed=True), "reason_required"),
    (dict(reason="x" * 2001, confirmed=True), "reason_too_long"),
    (dict(reason="Storm", confirmed=False), "not_confirmed"),
])
def test_cancel_needs_a_reason_and_a_confirmation_and_changes_nothing_without(db, setup, kw, code):
    forum, org, *_ = setup
    with pytest.raises(InvalidInput) as e:
        cancellation.cancel(forum, by=org, **kw)
    assert e.value.code == code
    assert forum.status is ForumStatus.PUBLISHED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_a_cancelled_or_held_forum_cannot_be_cancelled_and_only_organizers_cancel(db, setup):
    forum, org, *_ = setup
    with pytest.raises(NotAllowed):
        cancellation.cancel(forum, reason="x", confirmed=True, by=f.user())
    cancellation.cancel(forum, reason="Storm", confirmed=True, by=org)
    with pytest.raises(InvalidState) as e:
        cancellation.cancel(forum, reason="again", confirmed=True, by=org)
    assert e.value.code == "already_cancelled"
    held = f.forum(status=ForumStatus.HELD)
    with pytest.raises(InvalidState) as e:
        cancellation.cancel(held, reason="late", confirmed=True, by=org)
    assert e.value.code == "forum_held"


EDIT = {"title": "Uzbekistan–Japan Business Forum", "slug": "tashkent", "city": "Tashkent", "venue": "",
        "country": "UZ", "timezone": "Asia/Tashkent", "starts_local": "2030-05-20T09:00",
        "ends_local": "2030-05-21T18:00", "opens_local": "2030-03-01T09:00", "closes_local": "2030-05-10T18:00",
        "capacity": "100", "status": "published", "description": ""}


def test_the_edit_form_cannot_cancel(client, db, setup, login, post):
    forum, org, *_ = setup
    login(org)
    page = client.get("/manage/tashkent/edit").get_data(as_text=True)
    assert 'value="cancelled"' not in page and "/manage/tashkent/cancel" in page
    r = post("/manage/tashkent/edit", dict(EDIT, status="cancelled"))
    assert r.status_code == 422
    assert db.session.get(Forum, forum.id).status is ForumStatus.PUBLISHED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_the_service_refuses_cancelled_as_an_edited_status(db, setup):
    from forum.forums import services
    from forum.forums.forms import ForumForm  # noqa: F401 - the form is not involved: a crafted input

    forum, org, *_ = setup
    data = services.ForumInput(**{**{k: v for k, v in EDIT.items() if not k.endswith("_local")},
                                  "capacity": 100, "status": "cancelled",
                                  **{k: __import__("datetime").datetime.fromisoformat(v)
                                     for k, v in EDIT.items() if k.endswith("_local")}})
    with pytest.raises(services.ForumFormError) as e:
        services.save_forum(data, by=org, forum=forum)
    assert "status" in e.value.errors


def test_cancel_page_says_what_will_happen_then_cancels_on_confirmation(client, db, setup, login, post):
    forum, org, *_ = setup
    login(org)
    page = client.get("/manage/tashkent/cancel").get_data(as_text=True)
    assert "3 registrations will be cancelled" in page and "4 people e-mailed in their language" in page
    r = post("/manage/tashkent/cancel", {"reason_en": "Storm warning"})  # no confirmation
    assert r.status_code == 422 and 'id="confirm-error"' in r.get_data(as_text=True)
    assert db.session.get(Forum, forum.id).status is ForumStatus.PUBLISHED
    r = post("/manage/tashkent/cancel", {"reason_en": "Storm warning", "confirm": "y"})
    assert r.status_code == 302
    assert db.session.get(Forum, forum.id).status is ForumStatus.CANCELLED
    public = client.get("/forums/tashkent").get_data(as_text=True)
    assert "This forum has been cancelled" in public and "Storm warning" in public
    # a second post changes nothing and sends nothing more
    n = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    assert post("/manage/tashkent/cancel", {"reason_en": "again", "confirm": "y"}).status_code == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == n


def test_only_organizers_reach_the_cancel_page(client, db, setup, login, post):
    forum = db.session.scalar(sa.select(Forum).where(Forum.slug == "tashkent"))
    login(f.member(forum, "review", "checkin", "documents", "b2b"))  # everything but manage
    assert client.get("/manage/tashkent/cancel").status_code == 403
    assert post("/manage/tashkent/cancel", {"reason_en": "x", "confirm": "y"}).status_code == 403
