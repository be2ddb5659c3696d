"""The delegate's requests page: their own sent and received requests, nobody else's."""
from __future__ import annotations

from tests import factories as f


def test_a_delegate_sees_their_sent_and_received_requests_and_not_others(client, db, login):
    forum = f.forum()
    a = f.participant(forum, full_name="Айгерім Сәрсенбаева")
    b = f.participant(forum, full_name="田中 一郎")
    c = f.participant(forum, full_name="Oʻlmas Gʻaniyev")
    f.meeting_request(a, b, message="Solar panels for Shymkent")
    f.meeting_request(c, b, message="Cotton logistics")
    login(a.user)
    page = client.get(f"/forums/{forum.slug}/b2b/requests").get_data(as_text=True)
    assert "田中 一郎" in page
    assert "Cotton logistics" not in page and "Oʻlmas" not in page
    login(b.user)
    page = client.get(f"/forums/{forum.slug}/b2b/requests").get_data(as_text=True)
    assert "Айгерім Сәрсенбаева" in page and "Oʻlmas Gʻaniyev" in page and "Cotton logistics" in page


def test_someone_who_takes_no_part_gets_a_404(client, db, login):
    forum = f.forum()
    outsider = f.participant(forum, directory_consent=False)
    login(outsider.user)
    assert client.get(f"/forums/{forum.slug}/b2b/requests").status_code == 404
    assert client.get("/forums/no-such-forum/b2b/requests").status_code in (302, 404)


def test_my_registrations_leads_an_approved_delegate_to_b2b_and_a_contact_person_to_the_profile(client, db, login):
    forum = f.forum()
    reg = f.participant(forum)
    login(reg.company.contact_user)
    page = client.get("/my").get_data(as_text=True)
    assert f'href="/forums/{forum.slug}/b2b/companies/{reg.company.public_id}/profile">B2B profile</a>' in page
    login(reg.user)
    page = client.get("/my").get_data(as_text=True)
    assert f'href="/forums/{forum.slug}/b2b/">B2B meetings</a>' in page
    pending = f.company(forum, 1, directory_consent=True)
    login(pending.contact_user)
    page = client.get("/my").get_data(as_text=True)
    assert "B2B profile" not in page and "B2B meetings" not in page  # nothing approved yet
