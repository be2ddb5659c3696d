from tests import factories as f


def test_home_lists_published_forums_and_hides_drafts(client, db):
    from forum.forums.models import ForumStatus

    f.forum(slug="visible")
    hidden = f.forum(slug="hidden-draft", status=ForumStatus.DRAFT)
    hidden.title = "Secret draft"
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "Central Asia + Japan Business Forum" in html
    assert "Secret draft" not in html
    assert client.get("/forums/hidden-draft").status_code == 404
