"""/api/v1/openapi.json, generated from the code: each API view declares its operation (`@operation`: summary,
request and response models, the errors it may answer), the models give the schemas (pydantic), and apispec
assembles the document from the routes of the URL map. A route without `@operation` is left out, which the
test that compares the document with the URL map catches."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from apispec import APISpec
from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from forum.api import schemas

API_ROOT = "/api/v1"
TITLE = "forum API for scanning devices"
DESCRIPTION = (
    "Check delegates in at the door from a scanning device, download what an offline scanner needs, and read "
    "a forum's register of documents exchanged. Every call but `ping`, this document and the documents register "
    "(public without a token, complete with a documents team member's token) needs a device token, made by an "
    "organizer on the forum's "
    "Devices page or with `forum api-token create`, sent as `Authorization: Bearer <token>`. A token acts "
    "with its user's permissions on each forum (check-in needs the check-in permission of that forum) and "
    "may be limited to one forum. No cookies, no CSRF token. Errors are JSON: "
    "`{\"error\": code, \"message\": text, \"field\": name}`."
)
ERROR_TEXT = {
    400: "The body is not valid JSON, or a field is missing, of the wrong type or invalid (`field` names it).",
    401: "No device token (where one is required), or one that is unknown, revoked, or whose account is disabled.",
    403: "The token's user lacks the permission on this forum, or the token is limited to another forum.",
    404: "No forum at this address.",
    413: "The body is too large.",
    415: "The body is not sent as application/json.",
}
_ARG = re.compile(r"<(?:(?P<conv>[^:<>]+):)?(?P<name>[^<>]+)>")


@dataclass(frozen=True)
class Operation:
    summary: str
    response: type[BaseModel] | dict
    request: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    description: str = ""
    tags: tuple[str, ...] = field(default=())


def operation(summary: str, *, response: type[BaseModel] | dict, request: type[BaseModel] | None = None,
              errors: tuple[int, ...] = (), description: str = "", tags: tuple[str, ...] = ()) -> Callable:
    """Declare what an API view takes and answers (the view itself validates with the same models)."""

    def decorator(view: Callable) -> Callable:
        view.api_operation = Operation(summary=summary, response=response, request=request, errors=errors,  # type: ignore[attr-defined]
                                       description=description, tags=tags)
        return view

    return decorator


def api_rules(app: Flask) -> list:
    return sorted((r for r in app.url_map.iter_rules() if r.rule.startswith(API_ROOT + "/")),
                  key=lambda r: (r.rule, r.endpoint))


def openapi_path(rule: str) -> str:
    return _ARG.sub(lambda m: "{" + m.group("name") + "}", rule)


def _parameters(rule: str) -> list[dict]:
    out = []
    for m in _ARG.finditer(rule):
        kind = {"int": "integer"}.get(m.group("conv") or "", "string")
        out.append({"name": m.group("name"), "in": "path", "required": True, "schema": {"type": kind}})
    return out


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def document(app: Flask) -> dict[str, Any]:
    found = []
    for rule in api_rules(app):
        op = getattr(app.view_functions[rule.endpoint], "api_operation", None)
        if op is not None:
            found.append((rule, op, getattr(app.view_functions[rule.endpoint], "api_authenticated", False)))

    wanted: list[tuple[type[BaseModel], str]] = [(schemas.Error, "serialization")]
    for _rule, op, _auth in found:
        if op.request is not None:
            wanted.append((op.request, "validation"))
        if isinstance(op.response, type):
            wanted.append((op.response, "serialization"))
    refs, top = models_json_schema(list(dict.fromkeys(wanted)), ref_template="#/components/schemas/{model}")

    spec = APISpec(title=TITLE, version="1", openapi_version="3.1.0", info={"description": DESCRIPTION})
    spec.components.security_scheme("deviceToken", {
        "type": "http", "scheme": "bearer",
        "description": "A device token (`fdt_` and 43 characters), shown once when it is made."})
    for name, schema in sorted(top.get("$defs", {}).items()):
        spec.components.schema(name, schema)
    error_ref = refs[(schemas.Error, "serialization")]

    paths: dict[str, dict] = {}
    for rule, op, auth in found:
        methods = sorted(m for m in rule.methods if m not in ("HEAD", "OPTIONS"))
        for method in methods:
            response = (refs[(op.response, "serialization")] if isinstance(op.response, type) else op.response)
            item: dict[str, Any] = {
                "operationId": rule.endpoint.split(".", 1)[-1] + ("" if len(methods) == 1 else "_" + method.lower()),
                "summary": op.summary,
                "responses": {"200": {"description": "OK", "content": _json(response)}},
            }
            if op.description:
                item["description"] = op.description
            if op.tags:
                item["tags"] = list(op.tags)
            if op.request is not None:
                item["requestBody"] = {"required": True, "content": _json(refs[(op.request, "validation")])}
            errors = set(op.errors) | ({401} if auth else set())
            for status in sorted(errors):
                item["responses"][str(status)] = {"description": ERROR_TEXT[status], "content": _json(error_ref)}
            # "optional" (auth.token_optional): anyone may call it, and a token shows more (OpenAPI's empty
            # requirement is the anonymous alternative).
            item["security"] = ([{}, {"deviceToken": []}] if auth == "optional"
                                else [{"deviceToken": []}] if auth else [])
            paths.setdefault(openapi_path(rule.rule), {"parameters": _parameters(rule.rule), "ops": {}})["ops"][
                method.lower()] = item
    for path, entry in paths.items():
        spec.path(path=path, operations=entry["ops"], parameters=entry["parameters"] or None)
    return spec.to_dict()
