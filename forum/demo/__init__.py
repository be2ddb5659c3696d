"""The demo forums (filled in by forum.demo.seed)."""
from forum.demo.seed import load  # noqa: F401
