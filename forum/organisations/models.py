from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum import clock
from forum.db import UTCDateTime, db, enum_column


class OrgKind(str, enum.Enum):
    COMPANY = "company"
    GOVERNMENT = "government"  # a government body: ministry, agency, akimat, embassy
    STATE_COMPANY = "state_company"
    ASSOCIATION = "association"  # association or chamber of commerce
    UNIVERSITY = "university"
    INTERNATIONAL = "international"  # an international organisation
    OTHER = "other"


_LIVE_NAME_SQL = "merged_into_id IS NULL AND name_key <> ''"
_LIVE_NAME_EN_SQL = "merged_into_id IS NULL AND name_en_key <> ''"


def new_public_id() -> str:
    return str(uuid.uuid4())


class Organisation(db.Model):
    """An organisation as it exists once, whatever forums it registers for.

    `name_key` / `name_en_key` (with the country) and `domain` (the website's host without www.) are
    what registrations are matched by (organisations.keys); duplicates they miss are merged by an organizer
    (organisations.services.merge), which leaves `merged_into_id` on the one merged away.
    """

    __tablename__ = "organisations"
    __table_args__ = (
        sa.Index("ix_organisations_country_name_key", "country", "name_key"),
        sa.Index("ix_organisations_country_name_en_key", "country", "name_en_key"),
        sa.Index("ix_organisations_domain", "domain"),
        # One live organisation per country and folded name: two submissions of the same new organisation at
        # the same moment (for two forums) cannot both create it; the second links to the first's
        # (services.find_or_create). Merged-away rows and names that fold to nothing are left out.
        sa.Index("uq_organisations_country_name_key_live", "country", "name_key", unique=True,
                 sqlite_where=sa.text(_LIVE_NAME_SQL), postgresql_where=sa.text(_LIVE_NAME_SQL)),
        sa.Index("uq_organisations_country_name_en_key_live", "country", "name_en_key", unique=True,
                 sqlite_where=sa.text(_LIVE_NAME_EN_SQL), postgresql_where=sa.text(_LIVE_NAME_EN_SQL)),
        sa.CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_into_itself"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(36), unique=True, default=new_public_id)
    legal_name: Mapped[str] = mapped_column(sa.String(300))  # as written natively
    name_en: Mapped[str] = mapped_column(sa.String(300))
    country: Mapped[str] = mapped_column(sa.String(2))
    city: Mapped[str] = mapped_column(sa.String(120), default="")
    sector: Mapped[str] = mapped_column(sa.String(40), default="")
    website: Mapped[str] = mapped_column(sa.String(300), default="")
    kind: Mapped[OrgKind] = mapped_column(enum_column(OrgKind), default=OrgKind.COMPANY)
    name_key: Mapped[str] = mapped_column(sa.String(300), default="")  # keys.name_key(legal_name)
    name_en_key: Mapped[str] = mapped_column(sa.String(300), default="")  # keys.name_key(name_en)
    domain: Mapped[str] = mapped_column(sa.String(253), default="")
    search_key: Mapped[str] = mapped_column(sa.Text, default="")
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)

    merged_into: Mapped["Organisation | None"] = relationship(remote_side="Organisation.id")

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name_en}>"
