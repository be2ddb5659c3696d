"""The badge desk's service: statuses, filters, the desk's order (country, then Latin surname), printing a
batch marks it, "changed since printed", team badges, revoked badges stay revoked; one query for the batch."""
import io

import pytest
import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.badges import issuing, printing, tokens
from forum.badges.models import Badge
from forum.errors import InvalidState, NotAllowed
from forum.registration import states
from forum.registration.models import Category, RegState
from forum.teams.models import Permission
from tests import factories as f
from tests.badges import pdfcheck
from tests.test_query_counts import counting


@pytest.mark.parametrize("latin,family", [
    ("YAMADA Taro", "YAMADA"), ("Taro YAMADA", "YAMADA"), ("Taro Yamada", "Yamada"),
    ("HASEGAWA Mariko", "HASEGAWA"), ("VAN DER BERG Anna", "VAN DER BERG"), ("Aliya Nurlankyzy", "Nurlankyzy"),
    ("Ivanov Ivan Ivanovich", "Ivanov"), ("Ivan Ivanovich Ivanov", "Ivanov"), ("Olga Petrovna Sidorova", "Sidorova"),
    ("Sidorova Olga Petrovna", "Sidorova"), ("Gʻayrat Yoʻldoshev", "Yoʻldoshev"), ("Madonna", "Madonna"),
    ("J. R. R. Tolkien", "Tolkien"), ("Kim Jong", "Jong"), ("", ""), ("ABE", "ABE"),
])
def test_surname(latin, family):
    assert printing.surname(latin) == family


def _approved(forum, latin, country="JP", full=None, category="delegate"):
    reg = f.approved(forum, full_name=full or latin, latin_name=latin, country=country,
                     legal_name=f"Co {latin}", name_en=f"Co {latin}")
    reg.category = Category(category)  # as an organizer confirms it; the public form offers delegate only
    return reg


def test_the_desk_orders_by_country_name_then_latin_surname(db):
    forum = f.forum()
    for latin, country in [("Taro YAMADA", "JP"), ("ABE Shinzo", "JP"), ("Kenji Sato", "JP"),
                           ("Yerlan Zhumabayev", "KZ"), ("Aliya Abenova", "KZ"), ("Gʻayrat Yoʻldoshev", "UZ"),
                           ("Öwez Annaýew", "TM"), ("Otabek Ergashev", "UZ")]:
        _approved(forum, latin, country)
    rows = printing.desk(forum, printing.Filters()).rows
    assert [r.registration.latin_name for r in rows] == [
        "ABE Shinzo", "Kenji Sato", "Taro YAMADA",  # Japan
        "Aliya Abenova", "Yerlan Zhumabayev",  # Kazakhstan
        "Öwez Annaýew",  # Turkmenistan
        "Otabek Ergashev", "Gʻayrat Yoʻldoshev",  # Uzbekistan
    ]
    assert [c for c, _name in printing.desk(forum, printing.Filters()).countries] == ["JP", "KZ", "TM", "UZ"]


def test_only_approved_delegates_are_on_the_desk(db):
    forum = f.forum()
    a = _approved(forum, "Taro YAMADA")
    f.registration_(forum)  # pending
    gone = _approved(forum, "Gone AWAY")
    states.transition(gone, RegState.WITHDRAWN, by=None, notify=False)
    other = f.forum()
    _approved(other, "Other FORUM")
    d = printing.desk(forum, printing.Filters())
    assert [r.registration.id for r in d.rows] == [a.id] and d.counts.approved == 1


def test_filters_by_country_category_status_and_name(db):
    forum = f.forum()
    jp = _approved(forum, "Taro YAMADA", "JP", full="山田 太郎")
    kz = _approved(forum, "Aliya Nurlankyzy", "KZ", full="Әлия Нұрланқызы", category="speaker")
    uz = _approved(forum, "Gʻayrat Yoʻldoshev", "UZ")
    issuing.mark_printed([issuing.badge_for(kz)])
    issuing.mark_printed([issuing.badge_for(uz)])
    uz.full_name = "Gʻayrat Yoʻldoshev-Karimov"  # corrected after printing

    def ids(**args):
        return [r.registration.id for r in printing.desk(forum, printing.Filters.from_args(args)).rows]

    assert ids(country="KZ") == [kz.id] and ids(country="kz") == [kz.id]
    assert ids(category="speaker") == [kz.id]
    assert ids(status="not_printed") == [jp.id]
    assert ids(status="changed") == [uz.id]
    assert ids(status="printed") == [kz.id]
    assert ids(status="to_print") == [jp.id, uz.id]
    assert ids(q="нұрлан") == [kz.id] and ids(q="nurlan") == [kz.id] and ids(q="山田") == [jp.id]
    assert ids(q="Yoldoshev") == [uz.id]  # without the U+02BB, as people type it
    # unknown values filter nothing rather than fail
    assert len(ids(country="XX", category="boss", status="lost")) == 3
    counts = printing.desk(forum, printing.Filters()).counts
    assert (counts.approved, counts.printed, counts.not_printed, counts.changed) == (3, 1, 1, 1)


def test_printing_a_batch_marks_it_printed_and_a_change_makes_it_stale(db):
    forum = f.forum()
    org = f.member(forum, Permission.REVIEW)
    regs = [_approved(forum, f"Person{i} SURNAME{i}", "KZ") for i in range(3)]
    out = io.BytesIO()
    assert printing.print_batch(forum, printing.Filters(), out, by=org, layout="a6") == 3
    badges = [issuing.live_badge(r) for r in regs]
    assert all(b.printed_at is not None and b.printed_fingerprint == issuing.fingerprint(b) for b in badges)
    assert len(pdfcheck.page_sizes_mm(out.getvalue())) == 3
    # nothing left to print; a corrected name makes that badge stale, and only that one is printed again
    assert printing.print_batch(forum, printing.Filters(status="to_print"), io.BytesIO(), by=org) == 0
    regs[1].latin_name = "Person1 CORRECTED"
    assert [r.registration.id for r in printing.desk(forum, printing.Filters(status="changed")).rows] == [regs[1].id]
    out = io.BytesIO()
    assert printing.print_batch(forum, printing.Filters(status="to_print"), out, by=org, layout="a4") == 1
    (text,) = pdfcheck.texts(out.getvalue())
    assert "Person1 CORRECTED" in text and "Person0" not in text
    assert printing.desk(forum, printing.Filters(status="changed")).rows == []


def test_the_batch_issues_missing_badges_first_and_each_qr_verifies(db):
    from forum.badges import keys

    forum = f.forum()
    org = f.organizer()
    reg = _approved(forum, "YAMADA Taro", full="山田 太郎")
    old = issuing.live_badge(reg)
    db.session.delete(old)  # approved before badges existed
    db.session.flush()
    assert printing.desk(forum, printing.Filters()).rows[0].status == printing.NO_BADGE
    out = io.BytesIO()
    assert printing.print_batch(forum, printing.Filters(), out, by=org) == 1
    badge = issuing.live_badge(reg)
    (found,) = pdfcheck.qr_codes(pdfcheck.images(out.getvalue())[0])
    assert found.text == f"http://forum.test/b/{badge.token}"
    assert tokens.verify(keys.public_key(forum), found.text) == badge.badge_id


def test_the_batch_needs_the_review_permission(db):
    forum = f.forum()
    _approved(forum, "YAMADA Taro")
    for user in (f.member(forum, Permission.CHECKIN), f.member(f.forum(), Permission.MANAGE), f.user()):
        with pytest.raises(NotAllowed):
            printing.print_batch(forum, printing.Filters(), io.BytesIO(), by=user)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Badge).where(Badge.printed_at.is_not(None))) == 0


def test_team_badges_come_with_the_manage_permission_after_the_delegates(db):
    forum = f.forum()
    manager = f.member(forum, Permission.MANAGE, name="Maria Manager")
    f.member(forum, Permission.CHECKIN, name="Adil Doorman")
    reviewer = f.member(forum, Permission.REVIEW, name="Rita Reviewer")
    _approved(forum, "YAMADA Taro")
    with pytest.raises(NotAllowed):
        printing.batch(forum, printing.Filters(), by=reviewer, team=True)
    badges = printing.batch(forum, printing.Filters(), by=manager, team=True)
    assert [b.category for b in badges] == ["delegate", "staff", "organizer", "staff"]  # delegates, then by name
    assert [b.user.display_name for b in badges[1:]] == ["Adil Doorman", "Maria Manager", "Rita Reviewer"]
    out = io.BytesIO()
    printing.print_batch(forum, printing.Filters(), out, by=manager, team=True, layout="a4")
    text = pdfcheck.texts(out.getvalue())[0]
    assert "ORGANIZER" in text and "STAFF" in text and "Maria Manager" in text
    assert all(b.printed_fingerprint == issuing.fingerprint(b) for b in badges)  # team badges marked too
    again = printing.batch(forum, printing.Filters(status="to_print"), by=manager, team=True)
    assert again == []


def test_a_badge_revoked_by_an_organizer_is_not_issued_again_by_itself(db):
    forum = f.forum()
    org = f.member(forum, Permission.REVIEW)
    reg = _approved(forum, "YAMADA Taro")
    badge = issuing.live_badge(reg)
    issuing.revoke(badge, by=org, reason="Stolen at the coffee break")
    assert issuing.ensure_badges(forum) == 0
    with pytest.raises(InvalidState) as e:
        issuing.badge_for(reg)
    assert e.value.code == "badge_revoked"
    d = printing.desk(forum, printing.Filters())
    assert d.rows[0].status == printing.REVOKED and d.counts.revoked == 1 and d.counts.not_printed == 0
    assert printing.batch(forum, printing.Filters(), by=org) == []
    # ... until someone issues it again, which is logged
    with pytest.raises(NotAllowed):
        issuing.issue_again(reg, by=f.member(forum, Permission.CHECKIN))
    new = issuing.issue_again(reg, by=org, reason="Found the thief; the delegate is back")
    assert new.is_live and new.token != badge.token
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "badge_issued_again")).actor_id == org.id
    with pytest.raises(InvalidState):
        issuing.issue_again(reg, by=org)
    assert printing.desk(forum, printing.Filters()).rows[0].status == printing.NOT_PRINTED


def test_reissued_and_rejected_badges_do_not_block_a_new_one(db):
    forum = f.forum()
    org = f.organizer()
    reg = _approved(forum, "YAMADA Taro")
    new = issuing.reissue(issuing.live_badge(reg), by=org, reason="lost")
    assert issuing.badge_for(reg) is new
    states.transition(reg, RegState.REJECTED, by=org, reason="no", notify=False)
    states.transition(reg, RegState.PENDING, by=org, reason="again", notify=False)
    states.transition(reg, RegState.APPROVED, by=org, notify=False)
    assert issuing.live_badge(reg) is not None


def test_the_batch_is_one_query_whatever_its_size(db):
    org = f.organizer()

    def statements(n):
        forum = f.forum()
        for i in range(n):
            _approved(forum, f"Person{i} SURNAME{i}", ("KZ", "JP", "UZ")[i % 3])
        issuing.ensure_badges(forum)
        db.session.commit()
        db.session.expire_all()
        forum = db.session.get(type(forum), forum.id)
        with counting(db.engine) as stmts:
            badges = printing.batch(forum, printing.Filters(), by=org)
            contents = list(printing.iter_contents(badges, forum))
            issuing.mark_printed(badges)
        assert len(contents) == n
        return len([s for s in stmts if not s.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE"))])

    assert statements(1) == statements(20)


def test_the_delegates_own_badge_is_theirs_and_their_contact_persons_only(db):
    forum = f.forum()
    reg = _approved(forum, "YAMADA Taro")
    contact = reg.company.contact_user
    assert printing.own_registration(reg.public_id, reg.user) is reg
    assert printing.own_registration(reg.public_id, contact) is reg
    other = _approved(forum, "SATO Kenji")
    for user in (other.user, other.company.contact_user, f.organizer(), f.user()):
        assert printing.own_registration(reg.public_id, user) is None
    pending = f.registration_(forum)
    assert printing.own_registration(pending.public_id, pending.user) is None
    assert printing.own_registration("00000000-0000-4000-8000-000000000000", reg.user) is None


def test_labels_and_dates_follow_the_language(app, db):
    from flask_babel import force_locale

    forum = f.forum()
    reg = _approved(forum, "YAMADA Taro", full="山田 太郎", category=Category.SPEAKER.value)
    badge = issuing.live_badge(reg)
    with app.test_request_context("/"):
        en = printing.content(badge, forum)
        with force_locale("ru"):
            ru = printing.content(badge, forum)
    assert en.country == "Japan" and ru.country == "Япония"
    assert en.category == "speaker" and en.category_label == "Speaker"
    assert forum.city in en.dates and str(forum.local(forum.starts_at).year) in en.dates
    assert en.qr_url == f"http://forum.test/b/{badge.token}"
