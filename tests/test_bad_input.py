"""Bad input that used to reach a 500 (issue 6, section 6): each answers a clear 4xx and changes nothing."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.errors import InvalidInput
from forum.forums.models import Forum
from forum.registration import services as registration
from forum.registration.models import CompanyRegistration, RegState, Registration
from forum.registration.services import SubmissionError
from forum.urls import MAX_ID, IdConverter, ascii_int
from tests import factories as f

QA = "\u0958"  # DEVANAGARI LETTER QA: NFC turns it into two code points
TOO_BIG = ["9223372036854775808", "99999999999999999999", "2147483648", "٣", "１"]


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _form(**over) -> dict:
    data = {
        "legal_name": "株式会社テスト", "name_en": "Test Corp", "country": "JP", "city": "Tokyo", "sector": "it",
        "contact_name": "佐藤 花子", "contact_email": "contact@example.jp", "privacy_accepted": "y",
        "delegates-0-full_name": "山田 太郎", "delegates-0-latin_name": "YAMADA Taro",
        "delegates-0-email": "taro@example.jp", "delegates-0-category": "delegate", "delegates-0-language": "en",
    }
    data.update(over)
    return data


# --- ids in URLs ------------------------------------------------------------------------------

def test_every_integer_in_a_route_is_a_bounded_id(app):
    import re

    from werkzeug.routing.converters import NumberConverter

    seen = 0
    for rule in app.url_map.iter_rules():
        for name in re.findall(r"<int:(\w+)>", rule.rule):
            assert isinstance(rule._converters[name], IdConverter), (rule.rule, name)
            seen += 1
        for name, conv in rule._converters.items():
            assert not isinstance(conv, NumberConverter) or isinstance(conv, IdConverter), (rule.rule, name)
    assert seen >= 4


@pytest.mark.parametrize("raw", TOO_BIG)
def test_ids_beyond_the_id_columns_or_in_other_digits_are_not_found(app, client, db, login, raw):
    forum = f.forum(slug="astana")
    reg = f.registration_(forum)
    org = f.organizer()
    login(org)
    for url in (f"/manage/astana/registrations/{raw}", f"/my/companies/{raw}",
                f"/forums/astana/register/done/{raw}", f"/my/companies/{reg.company.public_id}{raw}"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/manage/astana/registrations/{MAX_ID}").status_code == 404  # the largest id: looked up, none
    assert client.get(f"/manage/astana/registrations/{reg.id}").status_code == 200


def test_posting_to_an_id_beyond_the_id_columns_is_not_found(app, client, db, login, post):
    login(f.user())
    assert post("/my/registrations/9223372036854775808/withdraw", {}).status_code == 404
    assert post("/my/registrations/00000000-0000-4000-8000-00000000000²/withdraw", {}).status_code == 404


def test_ascii_int_is_strict():
    assert ascii_int("12") == 12 and ascii_int("0") == 0
    for bad in ("", None, "-1", "+1", " 1", "²", "٣", "1.0", "99999999999999999999", str(MAX_ID + 1)):
        assert ascii_int(bad) is None, bad
    assert ascii_int("11", maximum=10) is None


def test_a_nul_byte_in_the_path_is_a_400(client, db):
    f.forum(slug="astana")
    assert client.get("/forums/astana%00x").status_code == 400
    assert client.get("/forums/astana%00x/register").status_code == 400


# --- numbers in query strings and forms -------------------------------------------------------

def test_a_page_beyond_any_list_is_not_found_and_nonsense_is_ignored(client, db, login):
    f.forum(slug="astana")
    login(f.organizer())
    assert client.get("/manage/astana/registrations?page=99999999999999999999").status_code == 404
    assert client.get("/manage/astana/registrations?page=²").status_code == 200
    assert client.get("/manage/astana/registrations?page=2").status_code == 200


def test_remove_delegate_in_other_digits_is_a_400_and_saves_nothing(client, db, post):
    f.forum(slug="astana")
    for value in ("²", "٣", "99999999999999999999", "-1", "11"):
        r = post("/forums/astana/register", _form(remove_delegate=value), token_from="/forums/astana/register")
        assert r.status_code == 400, value
    assert _count(db, CompanyRegistration) == 0


def test_malformed_delegate_keys_are_ignored_not_a_500(client, db, post):
    f.forum(slug="astana")
    r = post("/forums/astana/register", _form(**{"remove_delegate": "0", "delegates-x": "1"}),
             token_from="/forums/astana/register")
    assert r.status_code == 200  # the form again, with the delegate removed and an empty one to fill in
    r = post("/forums/astana/register", _form(**{"delegates-²-email": "x@example.org", "delegatesX²": "1"}),
             token_from="/forums/astana/register")
    assert r.status_code == 302  # the crafted keys are no field of the form; the rest is a valid registration
    assert _count(db, Registration) == 1


def test_an_eleventh_delegate_is_refused_not_dropped(client, db, post):
    f.forum(slug="astana")
    data = _form()
    for i in range(11):
        data.update({f"delegates-{i}-full_name": f"山田 {i}", f"delegates-{i}-latin_name": f"YAMADA {i}",
                     f"delegates-{i}-email": f"d{i}@example.jp", f"delegates-{i}-category": "delegate",
                     f"delegates-{i}-language": "en"})
    r = post("/forums/astana/register", data, token_from="/forums/astana/register")
    assert r.status_code == 422
    assert "Register between 1 and 10 delegates." in r.get_data(as_text=True)
    assert _count(db, Registration) == 0
    del data["delegates-10-full_name"], data["delegates-10-latin_name"], data["delegates-10-email"]
    del data["delegates-10-category"], data["delegates-10-language"]
    assert post("/forums/astana/register", data, token_from="/forums/astana/register").status_code == 302
    assert _count(db, Registration) == 10


# --- the bulk action --------------------------------------------------------------------------

def test_bulk_ids_in_other_digits_or_beyond_the_id_columns_are_refused(client, db, login, post):
    forum = f.forum(slug="astana")
    reg = f.registration_(forum)
    login(f.organizer())
    for bad in ("²", "99999999999999999999", "2147483648", "-3"):
        r = post("/manage/astana/registrations/bulk", {"action": "approve", "ids": [str(reg.id), bad]})
        assert r.status_code == 400, bad
        assert "The selection is not valid" in r.get_data(as_text=True)
    db.session.refresh(reg)
    assert reg.state is RegState.PENDING


def test_bulk_takes_at_most_a_page_of_ids(app, client, db, login, post, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 3)
    forum = f.forum(slug="astana")
    regs = f.company(forum, 4).delegates
    login(f.organizer())
    r = post("/manage/astana/registrations/bulk", {"action": "approve", "ids": [str(r.id) for r in regs]},
             follow_redirects=True)
    assert "Select at most 3 registrations at once." in r.get_data(as_text=True)
    assert db.session.scalars(sa.select(Registration.state)).all() == [RegState.PENDING] * 4
    post("/manage/astana/registrations/bulk", {"action": "approve", "ids": [str(r.id) for r in regs[:3]]})
    assert sorted(s.value for s in db.session.scalars(sa.select(Registration.state))) == ["approved"] * 3 + ["pending"]


def test_decide_many_refuses_more_than_it_is_given_room_for(db):
    from forum.review import services as review

    forum = f.forum()
    ids = [r.id for r in f.company(forum, 3).delegates]
    with pytest.raises(InvalidInput) as e:
        review.decide_many(forum, ids, "approve", by=f.organizer(), at_most=2)
    assert e.value.code == "too_many_selected"
    review.decide_many(forum, ids + ids, "approve", by=f.organizer(), at_most=3)  # repeated ids count once


# --- dates ------------------------------------------------------------------------------------

def test_a_year_one_date_is_a_field_error(client, db, login, post):
    login(f.organizer())
    data = {"title": "Forum", "slug": "y1", "city": "Astana", "country": "KZ", "timezone": "Asia/Almaty",
            "starts_local": "0001-01-01T00:00", "ends_local": "0001-01-02T00:00", "opens_local": "0001-01-01T00:00",
            "closes_local": "0001-01-01T00:00", "capacity": "10", "status": "draft"}
    r = post("/manage/forums/new", data)
    assert r.status_code == 422
    assert "Enter a date between 2000 and 2100." in r.get_data(as_text=True)
    assert _count(db, Forum) == 0


# --- text that NFC makes longer than its column ---------------------------------------------------

def test_a_name_that_nfc_makes_too_long_is_a_field_error_on_the_form(client, db, post):
    f.forum(slug="astana")
    r = post("/forums/astana/register", _form(**{"delegates-0-full_name": QA * 200, "contact_name": QA * 200}),
             token_from="/forums/astana/register")
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert body.count("At most 200 characters.") == 2
    assert _count(db, CompanyRegistration) == 0 and _count(db, User) == 0


@pytest.mark.parametrize("field", ["legal_name", "name_en", "city", "contact_name", "contact_position", "endorsed_by"])
def test_every_company_text_is_checked_after_nfc(db, field):
    forum = f.forum()
    data = f.company_input(1)
    setattr(data, field, QA * 200)
    if field in ("legal_name", "name_en", "endorsed_by"):
        setattr(data, field, QA * 151)  # 302 once normalised; the column holds 300
    with pytest.raises(SubmissionError) as e:
        registration.submit(forum, data)
    assert field in e.value.errors


@pytest.mark.parametrize("field", ["full_name", "latin_name", "position"])
def test_every_delegate_text_is_checked_after_nfc(db, field):
    forum = f.forum()
    data = f.company_input(1)
    setattr(data.delegates[0], field, QA * 101)  # 202 once normalised
    with pytest.raises(SubmissionError) as e:
        registration.submit(forum, data)
    assert f"delegates-0-{field}" in e.value.errors


def test_a_website_that_the_https_prefix_makes_too_long_is_refused(db):
    forum = f.forum()
    data = f.company_input(1, website="example.kz/" + "a" * 288)  # 299 typed, 307 stored
    with pytest.raises(SubmissionError) as e:
        registration.submit(forum, data)
    assert "website" in e.value.errors


def test_forum_invitation_and_account_texts_are_checked_after_nfc(db):
    from forum.forums import services as forums
    from forum.forums.services import ForumInput
    from datetime import datetime

    org = f.organizer()
    data = ForumInput(slug="nfc", title=QA * 101, city=QA * 51, venue=QA * 101, country="KZ", timezone="Asia/Almaty",
                      starts_local=datetime(2030, 5, 1, 9), ends_local=datetime(2030, 5, 2, 18),
                      opens_local=datetime(2030, 1, 1, 9), closes_local=datetime(2030, 4, 1, 18), capacity=10)
    errors = forums.validate(data, None)
    assert {"title", "city", "venue"} <= set(errors)
    forum = f.forum(phase="late")
    with pytest.raises(InvalidInput) as e:
        registration.create_invitation(forum, company_name=QA * 151, email="a@example.jp", by=org)
    assert (e.value.code, e.value.field) == ("too_long", "company_name")
    with pytest.raises(InvalidInput) as e:
        accounts.update_profile(org, QA * 101, "en")
    assert (e.value.code, e.value.field) == ("too_long", "display_name")


def test_a_profile_name_that_nfc_makes_too_long_is_a_field_error(client, db, login, post):
    user = login(f.user(name="Before"))
    r = post("/account", {"display_name": QA * 200, "language": "en"}, token_from="/account")
    assert r.status_code == 422 and "At most 200 characters." in r.get_data(as_text=True)
    db.session.refresh(user)
    assert user.display_name == "Before"


def test_forum_capacity_and_country_are_rules_of_the_service(db):
    from datetime import datetime

    from forum.forums import services as forums
    from forum.forums.services import ForumInput

    data = ForumInput(slug="cap", title="T", city="C", country="XX", timezone="Asia/Almaty",
                      starts_local=datetime(2030, 5, 1, 9), ends_local=datetime(2030, 5, 2, 18),
                      opens_local=datetime(2030, 1, 1, 9), closes_local=datetime(2030, 4, 1, 18),
                      capacity=2**40)
    assert {"capacity", "country"} <= set(forums.validate(data, None))


# --- e-mail domains ---------------------------------------------------------------------------

def test_unicode_and_punycode_domains_are_one_spelling():
    assert accounts.normalize_email("Anna@Bücher.Example") == "anna@xn--bcher-kva.example"
    assert accounts.normalize_email("anna@xn--bcher-kva.example") == "anna@xn--bcher-kva.example"
    assert accounts.normalize_email("anna@ＢÜＣＨＥＲ.example") == "anna@xn--bcher-kva.example"
    assert accounts.normalize_email("a@example.org") == "a@example.org"
    assert accounts.normalize_email("a@[127.0.0.1]") == "a@[127.0.0.1]"  # IDNA refuses it: kept as typed


def test_both_spellings_of_a_domain_are_the_same_delegate_and_the_same_account(db):
    forum = f.forum()
    first = f.company(forum, 1, contact_email="boss@bücher.example",
                      delegates=[f.delegate_input(email="anna@bücher.example")])
    with pytest.raises(SubmissionError) as e:
        f.company(forum, 1, delegates=[f.delegate_input(email="anna@xn--bcher-kva.example")])
    assert "delegates-0-email" in e.value.errors  # the once-per-forum rule
    other = f.company(f.forum(), 1, contact_email="BOSS@xn--bcher-kva.example",
                      delegates=[f.delegate_input(email="Anna@XN--BCHER-KVA.example")])
    assert other.contact_user_id == first.contact_user_id
    assert other.delegates[0].user_id == first.delegates[0].user_id
    assert accounts.find_by_email("anna@xn--bcher-kva.example").id == first.delegates[0].user_id
