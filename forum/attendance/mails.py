"""The walk-in's e-mail: the other side is told (both, when the B2B team booked), in their language, with their
updated calendar attached (agendas.ics), like a published schedule's e-mail."""
from __future__ import annotations

from forum.accounts.models import User
from forum.agendas import ics
from forum.db import db
from forum.forums.models import Forum
from forum.meetings.models import Meeting
from forum.meetings.reasons import both_scripts
from forum.notifications import services as mail
from forum.urls import external_url


def walk_in_booked(meeting: Meeting, *, by: User | None, staff: bool) -> None:
    forum = db.session.get(Forum, meeting.forum_id)
    booker_id = by.id if by is not None and getattr(by, "is_authenticated", False) else None
    for reg, other in ((meeting.a, meeting.b), (meeting.b, meeting.a)):
        if not staff and reg.user_id == booker_id:
            continue
        mail.queue("b2b_walk_in_booked", to=reg.email, to_name=reg.full_name, language=reg.language,
                   forum_id=meeting.forum_id, forum=forum, reg=reg, other=other, place=meeting,
                   by_team=staff, both_scripts=both_scripts,
                   link=external_url("agendas.mine", slug=forum.slug), attachments=[ics.attachment_for(reg)])
