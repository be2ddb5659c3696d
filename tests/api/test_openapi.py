"""/api/v1/openapi.json: generated from the code, valid OpenAPI 3.1, every API route in it and nothing else,
and what the API really answers matches the schemas it publishes."""
import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from forum.api.openapi import api_rules, document, openapi_path
from tests import factories as f


@pytest.fixture()
def doc(client, db):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    return r.get_json()


def test_the_document_is_valid_openapi(doc):
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["deviceToken"] == {
        "type": "http", "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["deviceToken"]["description"]}


def _operations(app) -> set[tuple[str, str]]:
    return {(openapi_path(r.rule), m.lower()) for r in api_rules(app) for m in r.methods
            if m not in ("HEAD", "OPTIONS")}


def test_every_api_route_is_in_the_document_and_nothing_else(app, doc):
    documented = {(path, method) for path, item in doc["paths"].items() for method in item
                  if method in ("get", "post", "put", "patch", "delete")}
    routes = _operations(app)
    assert routes == documented
    assert {("/api/v1/forums/{slug}/checkins", "post"), ("/api/v1/forums/{slug}/scanner-data", "get"),
            ("/api/v1/ping", "get"), ("/api/v1/openapi.json", "get")} <= routes


def test_a_route_without_its_declaration_is_caught(app):
    from flask import Flask

    from forum.api.openapi import operation
    from forum.api.schemas import Ping

    mini = Flask("mini")
    mini.add_url_rule("/api/v1/declared", "declared", operation("Declared", response=Ping)(lambda: ""))
    mini.add_url_rule("/api/v1/forgotten", "forgotten", lambda: "")
    assert set(document(mini)["paths"]) == {"/api/v1/declared"}
    assert _operations(mini) == {("/api/v1/declared", "get"), ("/api/v1/forgotten", "get")}


def test_authenticated_operations_say_so_and_name_their_errors(doc):
    checkin = doc["paths"]["/api/v1/forums/{slug}/checkins"]["post"]
    assert checkin["security"] == [{"deviceToken": []}]
    assert {"200", "400", "401", "403", "404", "413", "415"} <= set(checkin["responses"])
    assert checkin["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CheckinRequest"}
    assert doc["paths"]["/api/v1/forums/{slug}/checkins"]["parameters"] == [
        {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}]
    assert doc["paths"]["/api/v1/ping"]["get"]["security"] == []
    request = doc["components"]["schemas"]["CheckinRequest"]
    assert set(request["required"]) == {"code", "nonce"} and request["additionalProperties"] is False
    assert request["properties"]["direction"]["enum"] == ["in", "out"]
    results = doc["components"]["schemas"]["Result"]["enum"]
    assert set(results) == {"ok", "already_checked_in", "not_checked_in", "invalid", "revoked", "not_approved",
                            "wrong_forum", "forum_cancelled"}


def _validator(doc, name):
    schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    return OAS31Validator(schema)


def test_real_answers_match_the_published_schemas(client, db, doc, door, scan):
    badge = f.badge(door.forum)
    db.session.commit()
    answers = {
        "CheckinResponse": [scan(badge.token).get_json(), scan(badge.token).get_json(), scan("junk").get_json()],
        "ScannerData": [client.get(f"/api/v1/forums/{door.forum.slug}/scanner-data", headers=door.auth).get_json()],
        "Ping": [client.get("/api/v1/ping").get_json()],
        "Error": [scan(badge.token, headers={}).get_json(), scan("x", nonce="é").get_json(),
                  client.post(f"/api/v1/forums/{door.forum.slug}/checkins", json={"code": 1},
                              headers=door.auth).get_json(),
                  client.get("/api/v1/nowhere").get_json()],
    }
    for name, bodies in answers.items():
        validator = _validator(doc, name)
        for body in bodies:
            errors = list(validator.iter_errors(body))
            assert not errors, (name, body, errors)
    # ... and a wrong answer would not pass (the check is not empty)
    assert list(_validator(doc, "CheckinResponse").iter_errors({"status": "maybe"}))


def test_the_checkin_answer_keeps_its_schema_for_already_checked_in(client, db, doc, door, scan):
    badge = f.badge(door.forum)
    scan(badge.token)
    body = scan(badge.token).get_json()
    assert body["status"] == "already_checked_in"
    assert not list(_validator(doc, "CheckinResponse").iter_errors(body))
