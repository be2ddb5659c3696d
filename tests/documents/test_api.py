"""GET /api/v1/forums/<slug>/documents: the public answer without a token (what the public page lists, withheld
values null), every document with a documents team token, and every refusal as the rest of the API answers it
(a bad token is a 401, never the public answer). In the OpenAPI document; no cookies."""
from __future__ import annotations

import json

import pytest
from openapi_schema_validator import OAS31Validator

from forum.api import tokens
from forum.api.models import ApiToken
from forum.forums.models import ForumStatus
from forum.teams import services as teams
from forum.teams.models import Permission
from tests import factories as f
from tests.api.conftest import token_for
from tests.documents.test_public import _world

URL = "/api/v1/forums/central-asia-japan/documents"


def _bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture()
def w(db):
    w = _world()
    forum = w.forum
    # Tokens are made for people who may check in (tokens.create): the documents team's reader holds both.
    w.clerk = f.member(forum, Permission.DOCUMENTS, Permission.CHECKIN, name="Айгерим Сейітқали")
    w.clerk_token = token_for(w.clerk, forum, label="Register sync")
    w.door = f.member(forum, Permission.CHECKIN, name="Door Staff")
    w.door_token = token_for(w.door, forum)
    other = f.forum(slug="other-forum")
    w.elsewhere = f.member(other, Permission.DOCUMENTS, Permission.CHECKIN, name="Other Forum Clerk")
    teams.grant(forum, w.elsewhere, [Permission.DOCUMENTS], by=None)  # documents on both forums ...
    w.elsewhere_token = token_for(w.elsewhere, other)  # ... with a token limited to the other one
    db.session.commit()
    return w


def _get(client, headers=None, url=URL, **params):
    return client.get(url, headers=headers or {}, query_string=params)


def _refs(body) -> list[str]:
    return [d["reference"] for d in body["documents"]]


def _error(r, status, code):
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True))
    assert r.mimetype == "application/json" and r.get_json()["error"] == code
    assert "documents" not in r.get_json() and "tally" not in r.get_json()


def test_without_a_token_the_public_documents_and_the_public_tally(client, w):
    r = _get(client)
    assert r.status_code == 200 and r.mimetype == "application/json"
    body = r.get_json()
    assert body["tally"] == {
        "total": 4, "by_kind": {"mou": 2, "agreement": 1, "letter_of_intent": 1},
        "by_country_pair": [{"countries": ["JP", "KZ"], "count": 2}, {"countries": ["JP", "UZ"], "count": 2},
                            {"countries": ["KZ", "UZ"], "count": 1}],
        "by_sector": {"energy": 2, "agriculture": 1, "it": 1, "mining": 1}}
    assert _refs(body) == [w.one.reference, w.three.reference, w.kz_only.reference]
    assert body["scope"] == "public" and body["total"] == 3 and body["pages"] == 1 and body["next"] is None
    text = r.get_data(as_text=True)
    for absent in (w.secret, w.withdrawn, w.pending, w.uncounted):
        assert absent.reference not in text and absent.public_id not in text
    assert "Secret letter" not in text and "Signed twice" not in text and "ISHONCHNOMA" not in text
    one, three, kz_only = body["documents"]
    assert one["number"] == w.one.number and one["type"] == "mou" and one["confidentiality"] == "public"
    assert one["titles"] == {"ja": "水処理に関する覚書", "en": "MOU on water treatment"}
    assert one["authoritative_language"] == "ja" and one["date"] == w.one.signed_on.isoformat()
    assert (one["value_minor"], one["value"], one["currency"]) == (150_000_000, "1500000.00", "USD")
    assert one["ceremony"] == "main_stage" and one["sectors"] == ["energy"] and one["status"] == "signed"
    assert one["counts_in_tally"] is True and one["withdrawn_at"] is None and one["withdrawn_reason"] is None
    assert one["parties"][0] == {
        "organisation": "株式会社アオバ商事", "country": "JP", "kind": "private_company",
        "signatory": {"name": "青葉 太郎", "position": "代表取締役社長", "capacity": "own", "principal": None,
                      "line": "青葉 太郎, 代表取締役社長", "power_of_attorney": None, "exchanged_by": None}}
    proxy = three["parties"][2]
    assert [p["country"] for p in three["parties"]] == ["JP", "KZ", "UZ"]
    assert proxy["signatory"]["capacity"] == "on_behalf"
    assert proxy["signatory"]["principal"] == {"name": "Shavkat Yoʻldoshev", "position": "Direktor"}
    assert proxy["signatory"]["line"] == "Gʻulom Toshmatov (on behalf of Shavkat Yoʻldoshev, Direktor)"
    assert proxy["signatory"]["power_of_attorney"] is None
    # value withheld: listed, its value nowhere
    assert kz_only["confidentiality"] == "value_withheld"
    assert (kz_only["value_minor"], kz_only["value"], kz_only["currency"]) == (None, None, None)
    assert "500000000000" not in text and "5000000000" not in text and "KZT" not in text


def test_with_a_documents_token_every_document(client, w):
    r = _get(client, _bearer(w.clerk_token.secret))
    assert r.status_code == 200
    body = r.get_json()
    assert body["scope"] == "team" and body["total"] == 7
    assert _refs(body) == [d.reference for d in (w.one, w.three, w.kz_only, w.secret, w.withdrawn, w.pending,
                                                 w.uncounted)]
    assert body["tally"]["total"] == 4  # the tally is the public one, whoever asks
    docs = {d["reference"]: d for d in body["documents"]}
    secret = docs[w.secret.reference]
    assert secret["confidentiality"] == "confidential" and secret["counts_in_tally"] is True
    assert (secret["value_minor"], secret["currency"], secret["value"]) == (7_000_000, "JPY", "7000000")
    assert docs[w.kz_only.reference]["value_minor"] == 500_000_000_000
    assert docs[w.kz_only.reference]["value"] == "5000000000.00"
    withdrawn = docs[w.withdrawn.reference]
    assert withdrawn["counts_in_tally"] is False and withdrawn["withdrawn_reason"] == "Signed twice by mistake"
    assert withdrawn["withdrawn_at"] is not None and withdrawn["number"] == w.withdrawn.number
    assert docs[w.pending.reference]["counts_in_tally"] is False and docs[w.pending.reference]["exchanged_at"] is None
    assert docs[w.uncounted.reference]["counts_in_tally"] is False
    assert docs[w.one.reference]["counts_in_tally"] is True
    assert docs[w.three.reference]["parties"][2]["signatory"]["power_of_attorney"] == "ISHONCHNOMA-2026/7"


def test_a_checkin_only_token_is_403_not_the_public_answer(client, w):
    _error(_get(client, _bearer(w.door_token.secret)), 403, "forbidden")


def test_another_forums_token_is_403(client, w):
    _error(_get(client, _bearer(w.elsewhere_token.secret)), 403, "token_other_forum")
    # ... and it reads its own forum's register
    assert _get(client, _bearer(w.elsewhere_token.secret), url="/api/v1/forums/other-forum/documents").get_json()[
        "scope"] == "team"


def test_an_unlimited_token_of_someone_off_the_team_is_403(client, db, w):
    outsider = f.member(f.forum(slug="third"), Permission.CHECKIN, Permission.DOCUMENTS)
    new = token_for(outsider, None)
    db.session.commit()
    _error(_get(client, _bearer(new.secret)), 403, "forbidden")


def test_a_revoked_token_is_401_never_the_public_answer(client, db, w):
    tokens.revoke(db.session.get(ApiToken, w.clerk_token.token.id), by=None)
    db.session.commit()
    r = _get(client, _bearer(w.clerk_token.secret))
    _error(r, 401, "invalid_token")
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="forum", error="invalid_token"'


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer fdt_nothing", "Basic dXNlcjpwYXNz", "Bearer ключ"])
def test_a_header_that_is_no_token_is_401(client, w, header):
    r = _get(client, {"Authorization": header})
    assert r.status_code == 401 and r.get_json()["error"] in ("token_required", "invalid_token")
    assert "tally" not in r.get_json()


def test_losing_the_documents_permission_closes_the_door(client, db, w):
    teams.grant(w.forum, w.clerk, [Permission.CHECKIN], by=None)
    db.session.commit()
    _error(_get(client, _bearer(w.clerk_token.secret)), 403, "forbidden")


def test_unknown_and_draft_forums_are_404(client, db, w):
    _error(_get(client, url="/api/v1/forums/no-such-forum/documents"), 404, "forum_not_found")
    _error(_get(client, _bearer(w.clerk_token.secret), url="/api/v1/forums/no-such-forum/documents"), 404,
           "forum_not_found")
    draft = f.forum(slug="draft-forum", status=ForumStatus.DRAFT)
    f.document(draft)
    db.session.commit()
    _error(_get(client, url="/api/v1/forums/draft-forum/documents"), 404, "forum_not_found")


def test_pages(client, db, w):
    r = _get(client, _bearer(w.clerk_token.secret), per_page=3)
    body = r.get_json()
    assert (body["total"], body["pages"], body["page"], body["per_page"]) == (7, 3, 1, 3)
    assert _refs(body) == [w.one.reference, w.three.reference, w.kz_only.reference]
    assert body["next"] == "http://localhost/api/v1/forums/central-asia-japan/documents?page=2&per_page=3"
    last = _get(client, _bearer(w.clerk_token.secret), page=3, per_page=3).get_json()
    assert _refs(last) == [w.uncounted.reference] and last["next"] is None
    assert _get(client, page=9).get_json()["documents"] == []
    for bad in ({"per_page": "201"}, {"per_page": "0"}, {"page": "0"}, {"page": "x"}, {"page": "٣"},
                {"per_page": "-1"}):
        r = _get(client, **bad)
        assert r.status_code == 400, bad
        assert r.get_json()["error"] == "field_invalid" and r.get_json()["field"] == next(iter(bad))
    assert _get(client, per_page="200").status_code == 200


def test_no_cookie_is_set_or_read(client, db, login, w):
    for headers in ({}, _bearer(w.clerk_token.secret)):
        r = _get(client, headers)
        assert r.status_code == 200 and "Set-Cookie" not in r.headers and "Cookie" not in r.headers.get("Vary", "")
    login(f.organizer())  # a signed-in browser is still the public on the API
    assert _get(client).get_json()["scope"] == "public"


def test_the_openapi_document_lists_it_and_the_answers_match(client, w):
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/forums/{slug}/documents"]["get"]
    assert op["security"] == [{}, {"deviceToken": []}]  # anyone; a token shows more
    assert {"200", "400", "401", "403", "404"} <= set(op["responses"])
    assert op["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DocumentList"}
    validator = OAS31Validator({"$ref": "#/components/schemas/DocumentList", "components": doc["components"]})
    for headers in ({}, _bearer(w.clerk_token.secret)):
        body = _get(client, headers).get_json()
        assert not list(validator.iter_errors(body)), body
    assert list(validator.iter_errors({"tally": {}, "documents": "none"}))


def test_the_public_answer_is_the_public_page(client, w):
    """The API without a token and the page list the same documents."""
    body = _get(client).get_json()
    html = client.get("/forums/central-asia-japan/documents/").get_data(as_text=True)
    for d in body["documents"]:
        assert d["reference"] in html
    for ref in (w.secret.reference, w.withdrawn.reference, w.pending.reference, w.uncounted.reference):
        assert ref not in html and ref not in json.dumps(body)


def test_statements_do_not_grow_with_the_page(client, db, w):
    from tests.test_query_counts import counting

    def count(url):
        db.session.commit()
        with counting(db.engine) as statements:
            assert client.get(url).status_code == 200
        return len([s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE"))])

    for i in range(20):
        f.document(w.forum, titles={"en": f"MOU {i}", "ja": f"覚書 {i}"})
    assert count(URL + "?per_page=1") == count(URL + "?per_page=25")
