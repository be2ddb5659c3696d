"""Friendly error pages, no stack traces."""
from tests import factories as f


def test_404_page(client, db):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "Page not found" in r.get_data(as_text=True)


def test_csrf_missing_gives_clear_400(client, db):
    r = client.post("/login", data={"email": "a@b.c", "password": "x"})
    assert r.status_code == 400 and "This form has expired" in r.get_data(as_text=True)


def test_500_page_has_no_traceback(app, client, db):
    from forum.forums import services

    original = services.public_forums

    def boom():
        raise RuntimeError("secret internals")

    services.public_forums = boom
    app.config["PROPAGATE_EXCEPTIONS"], keep = False, app.config.get("PROPAGATE_EXCEPTIONS")
    try:
        r = client.get("/")
    finally:
        services.public_forums = original
        app.config["PROPAGATE_EXCEPTIONS"] = keep
    html = r.get_data(as_text=True)
    assert r.status_code == 500 and "Something went wrong" in html
    assert "secret internals" not in html and "Traceback" not in html


def test_json_errors_for_api_clients(client, db):
    r = client.get("/no/such", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.get_json()["error"] == "404"


def test_health(client, db):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_nul_bytes_in_input_are_a_clear_400_not_a_crash(client, db, post):
    f.forum(slug="astana")
    assert client.get("/manage/astana/registrations?q=a%00b").status_code in (302, 400)
    r = post("/forums/astana/register", {"legal_name": "A\x00B"})
    assert r.status_code == 400
    assert client.get("/?x=%00").status_code == 400
