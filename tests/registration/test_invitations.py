"""Late-entry invitations: single use, expiry, late + invited, optional approval on submit."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import clock
from forum.errors import InvalidInput, InvalidState, NotAllowed
from forum.notifications.models import OutboxMessage
from forum.registration import services
from forum.registration.models import RegState, Source
from tests import factories as f


@pytest.fixture()
def setup(db):
    forum = f.forum(phase="late")
    org = f.organizer()
    return forum, org


def test_invitation_is_mailed_with_a_link_whose_secret_is_not_stored(db, setup):
    forum, org = setup
    inv, token = services.create_invitation(forum, company_name="Toyota Tsusho", email="Sato@Toyota.jp", by=org)
    assert inv.email == "sato@toyota.jp" and token not in inv.token_hash
    mail = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == "invitation")).one()
    assert mail.to_addr == "sato@toyota.jp" and f"/invitation/{token}" in mail.body_text
    assert services.find_invitation(token) is inv
    assert services.find_invitation(token + "x") is None


def test_registering_with_it_marks_delegates_late_and_invited_and_uses_it_up(db, setup):
    forum, org = setup
    inv, _t = services.create_invitation(forum, company_name="Toyota", email="a@toyota.jp", by=org)
    company = services.submit(forum, f.company_input(2), invitation=inv)  # no late reason needed
    assert company.source is Source.INVITATION and company.invitation_id == inv.id
    assert all(r.is_late and r.is_invited and r.state is RegState.PENDING for r in company.delegates)
    assert inv.used_at is not None
    with pytest.raises(InvalidState) as e:
        services.submit(forum, f.company_input(1), invitation=inv)
    assert e.value.code == "invitation_unusable"


def test_expired_invitation_is_refused(db, setup):
    forum, org = setup
    inv, _t = services.create_invitation(forum, company_name="Toyota", email="a@toyota.jp", by=org, days_valid=1)
    with pytest.raises(InvalidState):
        services.submit(forum, f.company_input(1), invitation=inv, now=clock.now() + timedelta(days=1, minutes=1))


def test_auto_approve_invitation_approves_on_submit_within_capacity(db, setup):
    forum, org = setup
    forum.capacity = 1
    inv, _t = services.create_invitation(forum, company_name="Toyota", email="a@toyota.jp", by=org, auto_approve=True)
    company = services.submit(forum, f.company_input(2), invitation=inv)
    # one place: the first is approved, the second waits for an organizer
    assert [r.state for r in company.delegates] == [RegState.APPROVED, RegState.PENDING]


def test_invitation_of_another_forum_does_not_open_this_one(db, setup):
    forum, org = setup
    inv, _t = services.create_invitation(f.forum(phase="late"), company_name="X", email="x@x.jp", by=org)
    with pytest.raises(InvalidState):
        services.submit(forum, f.company_input(1), invitation=inv)


def test_only_organizers_invite_and_input_is_checked(db, setup):
    forum, org = setup
    with pytest.raises(NotAllowed):
        services.create_invitation(forum, company_name="X", email="x@x.jp", by=f.user())
    with pytest.raises(InvalidInput) as e:
        services.create_invitation(forum, company_name="X", email="x@x.jp", by=org, days_valid=0)
    assert e.value.field == "days_valid"
    with pytest.raises(InvalidInput):
        services.create_invitation(forum, company_name=" ", email="x@x.jp", by=org)


def test_invitation_view_opens_form_after_deadline_and_is_single_use(client, db, setup, post):
    forum, org = setup
    _inv, token = services.create_invitation(forum, company_name="Toyota Tsusho", email="sato@toyota.jp", by=org)
    page = client.get(f"/invitation/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Toyota Tsusho" in html and "sato@toyota.jp" in html and "late_reason" not in html
    data = {
        "legal_name": "豊田通商株式会社", "name_en": "Toyota Tsusho", "country": "JP", "city": "Nagoya",
        "sector": "trade", "contact_name": "佐藤 一郎", "contact_email": "sato@toyota.jp", "privacy_accepted": "y",
        "delegates-0-full_name": "佐藤 一郎", "delegates-0-latin_name": "SATO Ichiro",
        "delegates-0-email": "sato@toyota.jp", "delegates-0-category": "delegate",
    }
    r = post(f"/invitation/{token}", data)
    assert r.status_code == 302
    assert "佐藤 一郎" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert client.get(f"/invitation/{token}").status_code == 410
    assert client.get("/invitation/not-a-token").status_code == 410
