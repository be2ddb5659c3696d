"""POST /api/v1/forums/<slug>/checkins/batch (issue 11): an offline scanner's queue, recorded in order through
check_in with the device time and flagged offline; idempotent per nonce; malformed items answered one by one while
the others are recorded; at most offline.BATCH_MAX items, whatever their size."""
import functools
import json
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from forum.api import views
from forum.checkin import offline
from forum.checkin.models import Conflict, Result, Scan
from tests import factories as f

URL = "/api/v1/forums/{slug}/checkins/batch"
T0 = datetime(2026, 9, 1, 5, 0, tzinfo=timezone.utc)


def iso(at: datetime) -> str:
    return at.isoformat()


def item(code: str, nonce: str, at: datetime = T0, **more) -> dict:
    return {"code": code, "nonce": nonce, "scanned_at": iso(at), "direction": "in", **more}


@pytest.fixture()
def upload(client, door):
    def _upload(body, *, headers=None, slug=None, raw: str | None = None):
        url = URL.format(slug=slug or door.forum.slug)
        headers = door.auth if headers is None else headers
        if raw is not None:
            return client.post(url, data=raw, content_type="application/json", headers=headers)
        return client.post(url, json=body, headers=headers)

    return _upload


def scans(db, forum):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Scan).where(Scan.forum_id == forum.id).order_by(Scan.id)))


def test_a_batch_is_recorded_in_order_offline_with_the_device_time(db, door, upload):
    kz = f.badge(door.forum, full_name="Әлихан Бөкейханов", latin_name="BOKEIKHANOV Alikhan")
    jp = f.badge(door.forum, full_name="山田 太郎", latin_name="YAMADA Taro")
    r = upload([item(kz.token, "q-1", T0), item(jp.token, "q-2", T0 + timedelta(minutes=1)),
                item("garbage", "q-3", T0 + timedelta(minutes=2))])
    assert r.status_code == 200
    body = r.get_json()
    assert (body["recorded"], body["failed"]) == (3, 0)
    assert [(x["index"], x["nonce"], x["status"], x["recorded"], x["replayed"], x["error"])
            for x in body["results"]] == [(0, "q-1", "ok", True, False, None), (1, "q-2", "ok", True, False, None),
                                          (2, "q-3", "invalid", True, False, None)]
    assert body["results"][0]["delegate"]["full_name"] == "Әлихан Бөкейханов"
    assert body["results"][1]["delegate"]["full_name"] == "山田 太郎"
    rows = scans(db, door.forum)
    assert [(s.nonce, s.offline, s.device, s.api_token_id) for s in rows] == [
        ("q-1", True, "Gate 1", door.token_id), ("q-2", True, "Gate 1", door.token_id),
        ("q-3", True, "Gate 1", door.token_id)]
    assert rows[0].scanned_at == T0
    # The entry time of an offline scan is the device's, not the upload's.
    assert kz.first_checked_in_at == T0 and jp.first_checked_in_at == T0 + timedelta(minutes=1)
    assert kz.first_checked_in_device == "Gate 1"


def test_the_envelope_form_with_sent_at(db, door, upload, monkeypatch):
    badge = f.badge(door.forum)
    r = upload({"scans": [item(badge.token, "e-1")], "sent_at": iso(datetime.now(timezone.utc))})
    assert r.status_code == 200 and r.get_json()["results"][0]["status"] == "ok"
    assert r.get_json()["results"][0]["conflicts"] == []


def test_a_batch_sent_again_records_nothing_new_and_answers_replayed(db, door, upload):
    a, b = f.badge(door.forum), f.badge(door.forum)
    batch = [item(a.token, "r-1"), item(b.token, "r-2"), item(a.token, "r-3")]
    first = upload(batch).get_json()
    assert [x["status"] for x in first["results"]] == ["ok", "ok", "already_checked_in"]
    before = [(s.id, s.result) for s in scans(db, door.forum)]
    again = upload(batch).get_json()
    assert [(x["status"], x["replayed"], x["recorded"]) for x in again["results"]] == [
        ("ok", True, True), ("ok", True, True), ("already_checked_in", True, True)]
    assert again["recorded"] == 3
    assert [(s.id, s.result) for s in scans(db, door.forum)] == before


def test_the_same_nonce_twice_in_one_batch_is_one_scan(db, door, upload):
    badge = f.badge(door.forum)
    body = upload([item(badge.token, "d-1"), item(badge.token, "d-1")]).get_json()
    assert [(x["status"], x["replayed"]) for x in body["results"]] == [("ok", False), ("ok", True)]
    assert len(scans(db, door.forum)) == 1


def test_an_empty_batch_is_answered_with_nothing_recorded(db, door, upload):
    for body in ([], {"scans": []}):
        r = upload(body)
        assert r.status_code == 200
        assert r.get_json()["results"] == [] and r.get_json()["recorded"] == 0
    assert scans(db, door.forum) == []


MALFORMED = [
    ({"code": "x", "scanned_at": iso(T0)}, "nonce_required", "nonce"),
    ({"code": "x", "nonce": "", "scanned_at": iso(T0)}, "nonce_invalid", "nonce"),
    ({"code": "x", "nonce": "m", "scanned_at": iso(T0), "direction": "sideways"}, "direction_invalid", "direction"),
    ({"code": "x", "nonce": "m", "scanned_at": "2026-09-01T10:00:00"}, "scanned_at_invalid", "scanned_at"),
    ({"code": "x", "nonce": "m", "scanned_at": "1788000000"}, "scanned_at_invalid", "scanned_at"),
    ({"code": "x", "nonce": "m"}, "scanned_at_required", "scanned_at"),
    ({"code": 12345, "nonce": "m", "scanned_at": iso(T0)}, "code_invalid", "code"),
    ({"nonce": "m", "scanned_at": iso(T0)}, "code_required", "code"),
    ({"code": "x", "nonce": "m", "scanned_at": iso(T0), "directon": "in"}, "field_unknown", "directon"),
    ({"code": "x", "nonce": "m", "scanned_at": iso(T0), "synced_at": "yesterday"}, "synced_at_invalid", "synced_at"),
    ({"code": "x", "nonce": "m", "scanned_at": iso(T0), "offline_status": "great"}, "offline_status_invalid",
     "offline_status"),
    ({"code": "x", "nonce": "ü-nonce", "scanned_at": iso(T0)}, "nonce_invalid", "nonce"),
    ({"code": "x", "nonce": "m" * 101, "scanned_at": iso(T0)}, "nonce_invalid", "nonce"),
    ("a string", "item_invalid", None),
    ([1, 2], "item_invalid", None),
    (None, "item_invalid", None),
    (7, "item_invalid", None),
]


@pytest.mark.parametrize("bad, code, field", MALFORMED)
def test_a_malformed_item_gets_its_error_and_the_others_are_recorded(db, door, upload, bad, code, field):
    a, b, c = f.badge(door.forum), f.badge(door.forum), f.badge(door.forum)
    r = upload([item(a.token, "v-0"), item(b.token, "v-1"), item(c.token, "v-2"), bad,
                item(a.token, "v-4", direction="out")])
    assert r.status_code == 200
    body = r.get_json()
    assert (body["recorded"], body["failed"]) == (4, 1)
    assert [x["status"] for x in body["results"]] == ["ok", "ok", "ok", None, "ok"]
    third = body["results"][3]
    assert third["recorded"] is False and third["index"] == 3
    assert (third["error"]["code"], third["error"]["field"]) == (code, field)
    assert third["error"]["message"]
    assert [s.nonce for s in scans(db, door.forum)] == ["v-0", "v-1", "v-2", "v-4"]


def test_every_item_malformed_still_answers_each(db, door, upload):
    body = upload([bad for bad, _code, _field in MALFORMED]).get_json()
    assert [x["error"]["code"] for x in body["results"]] == [code for _bad, code, _field in MALFORMED]
    assert (body["recorded"], body["failed"]) == (0, len(MALFORMED))
    assert scans(db, door.forum) == []


def test_an_item_the_service_refuses_is_rolled_back_alone(db, door, upload):
    # A nonce of spaces passes no schema; one the service strips and finds empty would be its error. The
    # service's own refusals (InvalidInput) come back per item, inside the item's savepoint.
    a = f.badge(door.forum)
    body = upload([item(a.token, "s-0"), item(a.token, "   x", direction="out")]).get_json()
    assert [x["status"] for x in body["results"]] == ["ok", "ok"]


@pytest.mark.parametrize("raw, code", [
    ('{"scans": "all of them"}', "field_invalid"),
    ('{"scans": []', "invalid_json"),
    ('"scans"', "invalid_json"),
    ('{"scan": []}', "field_required"),
    ('{"scans": [], "sent_at": "now"}', "field_invalid"),
    ('{"scans": [], "sent_at": "2026-09-01T10:00:00"}', "field_invalid"),
    ('{"scans": [], "extra": 1}', "field_unknown"),
    ('[{"code": "\\ud800", "nonce": "n", "scanned_at": "2026-09-01T10:00:00Z"}]', "invalid_json"),
])
def test_a_bad_outer_shape_is_a_400_and_records_nothing(db, door, upload, raw, code):
    r = upload(None, raw=raw)
    assert r.status_code == 400
    assert r.get_json()["error"] == code
    assert scans(db, door.forum) == []


def test_501_items_are_refused_whole(db, door, upload):
    badge = f.badge(door.forum)
    r = upload([item(badge.token, f"big-{i}") for i in range(offline.BATCH_MAX + 1)])
    assert r.status_code == 413 and r.get_json()["error"] == "batch_too_large"
    r = upload({"scans": [item(badge.token, f"big-{i}") for i in range(offline.BATCH_MAX + 1)]})
    assert r.status_code == 413 and r.get_json()["error"] == "batch_too_large"
    assert scans(db, door.forum) == []


def _escaped(text: str) -> str:
    """Every character as a \\uXXXX escape (a character outside the BMP as its surrogate pair): the longest
    spelling JSON has."""
    units = text.encode("utf-16-be")
    return "".join(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2))


@functools.cache
def _maximal_item(i: int) -> str:
    from forum.api import schemas

    fields = {
        "code": "😀" * schemas.BATCH_CODE_MAX,
        "nonce": f"{i:06d}".rjust(100, "n"),
        "scanned_at": "2026-09-01T10:00:00.123456+05:00",
        "direction": "out",
        "synced_at": "2026-09-01T09:00:00.123456+05:00",
        "offline_status": "already_checked_in",
    }
    inner = ",\n    ".join(f'"{_escaped(k)}" : "{_escaped(v)}"' for k, v in fields.items())
    return "{\n    " + inner + "\n  }"


def test_500_items_of_the_largest_size_fit_and_501_do_not(db, door, upload):
    items = [_maximal_item(i) for i in range(offline.BATCH_MAX + 1)]
    assert len(items[0]) <= views.BATCH_ITEM_MAX
    body = "[\n  " + ",\n  ".join(items[:offline.BATCH_MAX]) + "\n]"
    assert len(body) > 3_500_000
    r = upload(None, raw=body)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    answer = r.get_json()
    assert answer["recorded"] == offline.BATCH_MAX and answer["failed"] == 0
    assert {x["status"] for x in answer["results"]} == {"invalid"}
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Scan)) == offline.BATCH_MAX
    db.session.execute(sa.delete(Scan))
    db.session.commit()
    r = upload(None, raw="[\n  " + ",\n  ".join(items) + "\n]")
    assert r.status_code == 413 and r.get_json()["error"] == "batch_too_large"
    assert scans(db, door.forum) == []


def test_a_body_over_the_batch_limit_is_refused_unread(db, door, upload):
    badge = f.badge(door.forum)
    body = json.dumps([item(badge.token, "w-1")])
    r = upload(None, raw=body + " " * (views.BATCH_BODY_MAX + 1 - len(body)))
    assert r.status_code == 413 and r.get_json()["error"] == "batch_too_large"
    r = upload(None, raw=body + " " * (views.BATCH_BODY_MAX - len(body)))
    assert r.status_code == 200 and r.get_json()["recorded"] == 1


def test_other_routes_keep_their_limit(db, door, client):
    body = json.dumps({"code": "x" * 200_000, "nonce": "n"})
    r = client.post(f"/api/v1/forums/{door.forum.slug}/checkins", data=body, content_type="application/json",
                    headers=door.auth)
    assert r.status_code == 413


def test_no_token_is_401(db, door, upload):
    r = upload([], headers={})
    assert r.status_code == 401
    r = upload([], headers={"Authorization": "Bearer fdt_nonsense"})
    assert r.status_code == 401


def test_a_token_of_another_forum_is_refused_and_records_nothing(db, door, upload):
    from tests.api.conftest import token_for
    from forum.teams.models import Permission

    other = f.forum(slug="tashkent-2026")
    staff = f.member(other, Permission.CHECKIN, name="Oʻtkir Hoshimov")
    secret = token_for(staff, other).secret
    badge = f.badge(door.forum)
    db.session.commit()
    r = upload([item(badge.token, "o-1")], headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code in (403, 404)
    assert scans(db, door.forum) == []


def test_a_token_whose_user_lost_the_checkin_permission_is_403(db, door, upload):
    from forum.teams.models import TeamMember

    badge = f.badge(door.forum)
    member = db.session.scalar(sa.select(TeamMember).where(TeamMember.user_id == door.staff.id))
    member.documents, member.checkin = True, False  # still on the team, no longer at the door
    db.session.commit()
    r = upload([item(badge.token, "p-1")])
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden"
    assert scans(db, door.forum) == []


def test_an_unknown_forum_is_404(db, door, upload):
    assert upload([], slug="nowhere").status_code == 404


def test_not_json_is_415(db, door, client):
    r = client.post(URL.format(slug=door.forum.slug), data="[]", content_type="text/plain", headers=door.auth)
    assert r.status_code == 415
