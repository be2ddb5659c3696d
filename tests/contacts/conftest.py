"""The contacts tests' forum and people: a Japanese delegate (`me`, who saves) and a Kazakh one (`aliya`)."""
import pytest

from tests import factories as f
from tests.contacts.helpers import JA, KZ, delegate


@pytest.fixture()
def forum(db):
    return f.forum(slug="astana")


@pytest.fixture()
def me(forum):
    return delegate(forum, JA)


@pytest.fixture()
def aliya(forum):
    return delegate(forum, KZ)
