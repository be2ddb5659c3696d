"""Every module here runs on its own copy of the demo (tests/conftest.py: `demo_app`), loaded once per run:
`app` (and so `db`, `client`, `login`, `post`) is that copy. What a module writes is gone after it."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def app(demo_app):
    return demo_app
