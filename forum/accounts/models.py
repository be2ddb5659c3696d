from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from forum import clock, languages
from forum.db import UTCDateTime, db

LANGUAGES = languages.CODES


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # Stored lower-cased by the services; the check keeps it that way.
        sa.CheckConstraint("email = lower(email)", name="email_lower"),
        sa.CheckConstraint("language IN ('en', 'ja', 'ru', 'kk', 'uz')", name="language_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(200))
    language: Mapped[str] = mapped_column(sa.String(5), default="en")
    # A site administrator manages users and creates forums, and holds every permission on every forum.
    # Everyone else holds what their forums' teams grant them (teams.permissions).
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Part of the id in every session and remember-me cookie; raising it ends them all
    # (accounts.services.end_all_sessions).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # forum.search.search_key(display_name, email), kept by accounts.services: the administration's user search.
    search_key: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    def get_id(self) -> str:  # Flask-Login's "alternative id"
        return f"{self.id}:{self.session_generation}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.email}{' admin' if self.is_admin else ''}>"
