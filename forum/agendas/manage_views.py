"""The organizers' agenda PDFs (/manage/<slug>/b2b/agendas): an index of who has meetings, each delegate's
agenda, each table's sign, each interpreter's sheet, and the help desk's bundle of them all. B2B permission;
anything that is not this forum's is a 404."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request

from forum.agendas import desk, pdf
from forum.agendas.pdf_views import pdf_response
from forum.db import db
from forum.meetings.models import Interpreter, MeetingTable
from forum.registration.models import Registration
from forum.search import MAX_QUERY_CHARS
from forum.security import Permission, current_forum, forum_permission

bp = Blueprint("agendas_manage", __name__, url_prefix="/manage/<slug>/b2b/agendas")


@bp.get("/")
@forum_permission(Permission.B2B)
def index(slug: str):
    forum = current_forum()
    q = request.args.get("q", "")[:MAX_QUERY_CHARS].strip()
    return render_template("agendas/manage.html", forum=forum, q=q, delegates=desk.delegates(forum.id, q),
                           tables=desk.tables(forum.id), interpreters=desk.interpreters(forum.id))


def _one(model, forum_id: int, *where):
    thing = db.session.scalar(sa.select(model).where(model.forum_id == forum_id, *where))
    if thing is None:
        abort(404)
    return thing


@bp.get("/delegates/<reg_public_id>.pdf")
@forum_permission(Permission.B2B)
def delegate(slug: str, reg_public_id: str):
    forum = current_forum()
    reg = _one(Registration, forum.id, Registration.public_id == reg_public_id[:36])
    return pdf_response(lambda out: pdf.delegate_agenda(reg, out), f"{slug}-agenda-{reg.latin_name}.pdf",
                        f"{slug}-agenda")


@bp.get("/tables/<int:table_number>.pdf")
@forum_permission(Permission.B2B)
def table(slug: str, table_number: int):
    forum = current_forum()
    if table_number > 2**31 - 1:
        abort(404)
    t = _one(MeetingTable, forum.id, MeetingTable.number == table_number)
    return pdf_response(lambda out: pdf.table_sign(t, out), f"{slug}-table-{t.number}.pdf", f"{slug}-table")


@bp.get("/interpreters/<int:interpreter_id>.pdf")
@forum_permission(Permission.B2B)
def interpreter(slug: str, interpreter_id: int):
    forum = current_forum()
    if interpreter_id > 2**31 - 1:
        abort(404)
    i = _one(Interpreter, forum.id, Interpreter.id == interpreter_id)
    return pdf_response(lambda out: pdf.interpreter_sheet(i, out), f"{slug}-interpreter-{i.name}.pdf",
                        f"{slug}-interpreter-{i.id}")


@bp.get("/bundle.pdf")
@forum_permission(Permission.B2B)
def bundle(slug: str):
    """Every agenda, table sign and interpreter sheet of the forum in one file, for the help desk."""
    forum = current_forum()
    return pdf_response(lambda out: pdf.bundle(forum, out), f"{slug}-agendas.pdf", f"{slug}-agendas")
