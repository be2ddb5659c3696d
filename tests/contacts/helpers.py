"""People of the contacts tests: a Japanese, a Kazakh and an Uzbek delegate, as the forum's registrations hold them."""
from __future__ import annotations

from forum.badges import issuing
from tests import factories as f

JA = dict(full_name="山田 太郎", latin_name="YAMADA Taro", position="営業部長", email="yamada@example.jp",
          legal_name="株式会社テスト商事", name_en="Test Shoji Co., Ltd.", country="JP")
KZ = dict(full_name="Әлия Нұрланқызы", latin_name="Aliya NURLANKYZY", position="Басқарушы директор",
          email="aliya@example.kz", legal_name="«Қазақстан Темір Жолы» Ұлттық компаниясы акционерлік қоғамы",
          name_en="Kazakhstan Temir Zholy National Company JSC", country="KZ")
UZ = dict(full_name="Oʻktam Gʻulomov", latin_name="Uktam GULOMOV", position="Bosh muhandis", email="uktam@example.uz",
          legal_name="Oʻzbekiston-Yaponiya Qoʻshma korxonasi MChJ", name_en="Uzbek-Japanese Joint Venture LLC",
          country="UZ")


def delegate(forum, who: dict | None = None, *, consent: bool = True, **kw):
    """An approved delegate with a live badge; their company consented to the directory unless consent=False."""
    data = dict(who or {})
    data.update(kw)
    data.setdefault("directory_consent", consent)
    reg = f.approved(forum, **data)
    issuing.badge_for(reg)
    return reg


def badge_of(reg):
    return issuing.badge_for(reg)
