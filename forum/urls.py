from flask import current_app, url_for


def external_url(endpoint: str, **values) -> str:
    """An absolute link for e-mails, built from BASE_URL; works in requests, CLI and the worker alike."""
    with current_app.test_request_context("/"):
        path = url_for(endpoint, **values)
    return current_app.config["BASE_URL"].rstrip("/") + path
