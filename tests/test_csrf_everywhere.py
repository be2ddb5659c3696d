"""Every POST route refuses a request without the CSRF token: the test walks the app's URL map, so a
new route is covered the day it is added."""
import pytest

from tests import factories as f

SAMPLE = {"int": "1", "default": "sample", "string": "sample", "path": "sample",
          "publicid": "00000000-0000-4000-8000-000000000000"}


def post_routes(app):
    routes = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint == "static":
            continue
        values = {arg: SAMPLE.get(type(rule._converters[arg]).__name__.replace("Converter", "").lower(), "1")
                  for arg in rule.arguments}
        if "slug" in values:
            values["slug"] = "astana"
        with app.test_request_context():
            from flask import url_for

            routes.append((rule.endpoint, url_for(rule.endpoint, **values)))
    return routes


def test_the_walk_finds_the_routes_we_know(app):
    endpoints = {e for e, _ in post_routes(app)}
    assert {"accounts.login", "accounts.logout", "registration.register", "review.decide", "review.bulk",
            "forums_manage.cancel", "forums_manage.edit", "registration.withdraw"} <= endpoints
    assert len(endpoints) >= 14


@pytest.mark.parametrize("as_organizer", [False, True])
def test_every_post_route_refuses_a_missing_csrf_token(app, client, db, login, as_organizer):
    forum = f.forum(slug="astana")
    f.registration_(forum)
    if as_organizer:
        login(f.organizer())
    for endpoint, url in post_routes(app):
        r = client.post(url, data={"email": "x@example.org", "password": "x", "action": "approve"})
        if url.startswith("/api/"):
            # The JSON API reads no cookie, so a browser's session cannot act there and there is nothing for a
            # CSRF token to protect: without its Bearer device token a request is refused all the same.
            assert r.status_code == 401, (endpoint, url, r.status_code)
            continue
        assert r.status_code == 400, (endpoint, url, r.status_code)
        assert "This form has expired or did not come from this site" in r.get_data(as_text=True), endpoint
