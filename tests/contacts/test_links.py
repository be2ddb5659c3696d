"""Where a delegate finds "My contacts": their registrations page and their e-badge, for an approved registration only."""
from __future__ import annotations

from forum.registration.models import RegState
from tests import factories as f
from tests.contacts.helpers import JA, delegate


def test_my_registrations_and_the_e_badge_link_to_my_contacts(client, login, db):
    forum = f.forum()
    reg = delegate(forum, JA)
    login(reg.user)
    href = f"/forums/{forum.slug}/contacts"
    assert href in client.get("/my").get_data(as_text=True)
    assert href in client.get(f"/my/registrations/{reg.public_id}/badge").get_data(as_text=True)
    assert client.get(href).status_code == 200


def test_no_link_before_approval(client, login, db):
    forum = f.forum()
    reg = f.company(forum, 1, delegates=[f.delegate_input(full_name="山田 太郎", latin_name="YAMADA Taro")]).delegates[0]
    assert reg.state is not RegState.APPROVED
    login(reg.user)
    assert f"/forums/{forum.slug}/contacts" not in client.get("/my").get_data(as_text=True)
