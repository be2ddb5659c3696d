"""Small things a user noticed in the second pass: dates and zones, required marks, staying in the
late queue after an error, request size, labels instead of codes."""
import re
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from forum.forums.models import Forum
from forum.registration.models import RegState, Registration
from tests import factories as f

EDIT = {"title": "Forum in Berlin", "slug": "berlin", "city": "Berlin", "venue": "", "country": "DE",
        "timezone": "Europe/Berlin", "starts_local": "2030-05-20T09:00", "ends_local": "2030-05-21T18:00",
        "opens_local": "2030-03-01T09:00", "closes_local": "2030-05-10T18:00", "capacity": "100",
        "status": "published", "description": ""}


@pytest.mark.parametrize("field, value, message", [
    ("opens_local", "2030-03-31T02:30", "does not exist in Europe/Berlin"),  # clocks jump 02:00 -> 03:00
    ("ends_local", "2030-10-27T02:30", "happens twice in Europe/Berlin"),  # 03:00 -> 02:00
    ("starts_local", "0001-01-01T00:00", "between 2000 and 2100"),
])
def test_local_times_that_do_not_exist_or_repeat_are_refused_next_to_the_field(client, db, login, post,
                                                                               field, value, message):
    login(f.organizer())
    r = post("/manage/forums/new", dict(EDIT, **{field: value}))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    error = re.search(rf'id="{field}-error">([^<]*)<', html)
    assert error and message in error.group(1)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Forum)) == 0


def test_a_normal_local_time_in_a_daylight_saving_zone_converts_with_the_offset_in_force(client, db, login, post):
    login(f.organizer())
    assert post("/manage/forums/new", dict(EDIT, opens_local="2030-03-31T03:30")).status_code == 302
    forum = db.session.scalars(sa.select(Forum)).one()
    assert forum.registration_opens_at == datetime(2030, 3, 31, 1, 30, tzinfo=timezone.utc)  # CEST, UTC+2
    assert forum.starts_at == datetime(2030, 5, 20, 7, 0, tzinfo=timezone.utc)


def test_zone_label_uses_the_offset_in_force_at_that_instant(app, db):
    from forum.templating import local_datetime_zoned, zone_label

    forum = f.forum(tz="Europe/Berlin")
    forum.city = "Berlin"
    winter, summer = datetime(2030, 1, 15, 12, tzinfo=timezone.utc), datetime(2030, 7, 15, 12, tzinfo=timezone.utc)
    with app.test_request_context():
        assert zone_label(forum, winter) == "Berlin time (Europe/Berlin, UTC+01:00)"
        assert zone_label(forum, summer) == "Berlin time (Europe/Berlin, UTC+02:00)"
        assert local_datetime_zoned(summer, forum) == "15 Jul 2030, 14:00 (Berlin, UTC+02:00)"
        assert local_datetime_zoned(winter, forum) == "15 Jan 2030, 13:00 (Berlin, UTC+01:00)"


SECONDS_OR_RAW_OFFSET = re.compile(r"\b\d{1,2}:\d\d:\d\d\b|[+-]\d{4}\b|\bGMT[+-]")


def test_pages_and_mails_show_no_seconds_or_raw_offsets_and_timestamps_name_their_zone(client, db, login, post):
    from forum.accounts import services as accounts
    from forum.notifications.models import OutboxMessage
    from forum.registration import services as registration
    from forum.review import services as review

    forum, org = f.forum(slug="astana", phase="late"), f.organizer()
    reg = f.registration_(forum, late_reason="Visa came late")
    registration.create_invitation(forum, company_name="Toyota", email="t@toyota.jp", by=org)
    review.decide(reg, "approve", by=org)
    login(org)
    pages = {}
    for url in ("/forums/astana", "/manage/", "/manage/astana/registrations", f"/manage/astana/registrations/{reg.id}",
                "/manage/astana/late", "/manage/astana/invitations", "/manage/astana/cancel"):
        html = client.get(url).get_data(as_text=True)
        text = re.sub(r"<[^>]+>", " ", html)
        assert not SECONDS_OR_RAW_OFFSET.search(text), (url, SECONDS_OR_RAW_OFFSET.search(text))
        pages[url] = text
    assert "(Astana, UTC+05:00)" in pages["/manage/astana/registrations"]
    history = pages[f"/manage/astana/registrations/{reg.id}"]
    assert history.count("(Astana, UTC+05:00)") >= 2  # every entry of the history names the zone
    assert "(Astana, UTC+05:00)" in pages["/manage/astana/invitations"]
    for m in db.session.scalars(sa.select(OutboxMessage)):
        assert not SECONDS_OR_RAW_OFFSET.search(m.body_text), (m.template, m.body_text)
    accounts.request_password_reset(reg.email)


def test_late_reason_is_marked_required_on_the_late_form(client, db):
    f.forum(slug="astana", phase="late")
    html = client.get("/forums/astana/register").get_data(as_text=True)
    label = re.search(r'<label class="d-inline" for="late_reason">.*?</div>', html, re.S).group(0)
    assert "*" in label
    assert re.search(r'<textarea[^>]*id="late_reason"[^>]*required', html)


def test_after_an_error_in_the_late_queue_the_organizer_stays_in_the_queue(client, db, login, post):
    forum = f.forum(slug="astana", phase="late")
    reg = f.registration_(forum, late_reason="Visa")
    login(f.organizer())
    r = post(f"/manage/astana/registrations/{reg.id}/decide", {"action": "reject", "next": "/manage/astana/late"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Requests made after registration closed" in html  # the queue, not the detail page
    card = html[html.index(f'id="late-{reg.id}"'):]
    assert "Give a reason for the rejection" in card[:card.index("</form>")]
    assert db.session.get(Registration, reg.id).state is RegState.PENDING


def test_a_10_mb_form_gets_the_too_large_page_and_saves_nothing(client, db):
    f.forum(slug="astana")
    r = client.post("/forums/astana/register", data={"legal_name": "x" * (10 * 1024 * 1024)})
    assert r.status_code == 413
    assert "What you sent is too large." in r.get_data(as_text=True)


def test_state_filter_offers_labels_not_codes(client, db, login):
    f.forum(slug="astana")
    login(f.organizer())
    html = client.get("/manage/astana/registrations").get_data(as_text=True)
    select = re.search(r'<select[^>]*id="f-state".*?</select>', html, re.S).group(0)
    options = dict(re.findall(r'<option value="([a-z]+)"[^>]*>([^<]+)</option>', select))
    assert options["waitlisted"] == "Waitlisted" and options["pending"] == "Pending"
