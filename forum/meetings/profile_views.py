"""A delegate's B2B directory pages under /forums/<slug>/b2b: their company's profile, the directory of
participating companies, one company's page, and the suggested counterparts.

Only signed-in delegates who take part (participation.participation_in) see these pages; anyone else gets a
404, as if the pages did not exist. A company's contact person, and the forum's B2B team, edit a company's
profile at /companies/<company_pid>/profile even when they take no part themselves (profiles.may_edit).
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.db import db
from forum.errors import DomainError
from forum.forms_util import apply_errors
from forum.forums.models import Forum
from forum.meetings import directory, participation, profiles, suggestions
from forum.meetings.profile_forms import ProfileForm
from forum.registration import choices
from forum.registration.models import CompanyRegistration
from forum.meetings.pages import forum_and_me as _forum_and_me
from forum.meetings.pages import forum_or_404 as _forum
from forum.meetings.pages import page_number as _page_number


bp = Blueprint("b2b_directory", __name__, url_prefix="/forums/<slug>/b2b")

SUGGESTIONS_SHOWN = 20


def reason_text(code: str, value: str) -> str:
    """One reason of a suggestion (suggestions.REASON_ORDER) in the reader's language, starting in lower case."""
    if code == suggestions.THEY_SEEK:
        return _("they seek what you offer: %(what)s", what=value)
    if code == suggestions.YOU_SEEK:
        return _("you seek what they offer: %(what)s", what=value)
    if code == suggestions.SECTOR:
        return _("both in %(sector)s", sector=str(choices.SECTORS.get(value, value)))
    if code == suggestions.KINDS:
        mine, _sep, theirs = value.partition("/")
        return _("you look for %(mine)s, they look for %(theirs)s",
                 mine=profiles.seek_kind_label(mine).lower(), theirs=profiles.seek_kind_label(theirs).lower())
    if code == suggestions.JAPAN_CA:
        a, _sep, b = value.partition("/")
        return _("a Japan – Central Asia pair (%(a)s – %(b)s)", a=choices.country_name(a), b=choices.country_name(b))
    return value


def explanation(reasons) -> str:
    """"They seek what you offer: water treatment; both in Environment and water"."""
    text = "; ".join(reason_text(code, value) for code, value in reasons)
    return text[:1].upper() + text[1:]


@bp.context_processor
def _helpers():
    return {"seek_kind_label": profiles.seek_kind_label, "explanation": explanation}





def _edit(forum: Forum, company: CompanyRegistration, me, here: str):
    form = ProfileForm()
    if request.method == "GET":
        form.load(profiles.input_from(profiles.profile_of(company)))
    status = 200
    if form.validate_on_submit():
        try:
            changes = profiles.update(company, form.to_input(), by=current_user)
        except profiles.ProfileError as e:
            db.session.rollback()
            for msg in apply_errors(form, e.errors):
                flash(msg, "error")
            status = 422
        except DomainError as e:
            db.session.rollback()
            flash(e.message, "error")
            status = e.status
        else:
            db.session.commit()
            flash(_("Profile saved.") if changes else _("Nothing was changed."), "success")
            return redirect(here)
    elif request.method == "POST":
        status = 422
    if status == 422:
        flash(_("Please correct the marked fields. Nothing has been saved yet."), "error")
    return render_template("meetings/profile_edit.html", forum=forum, me=me, company=company, form=form,
                           on_behalf=profiles.editor_role(current_user, company) == "team"), status


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile(slug: str):
    forum, me = _forum_and_me(slug)
    return _edit(forum, me.company, me, url_for(".profile", slug=slug))


@bp.route("/companies/<pid:company_pid>/profile", methods=["GET", "POST"])
@login_required
def company_profile(slug: str, company_pid: str):
    """The same form for a company's contact person (who need not be a delegate) and the B2B team."""
    forum = _forum(slug)
    company = db.session.scalar(sa.select(CompanyRegistration).where(
        CompanyRegistration.public_id == company_pid, CompanyRegistration.forum_id == forum.id))
    if company is None or not profiles.may_edit(current_user, company):
        abort(404)
    return _edit(forum, company, participation.participation_in(current_user, forum),
                 url_for(".company_profile", slug=slug, company_pid=company.public_id))


@bp.get("/directory", endpoint="directory")
@login_required
def directory_(slug: str):  # named so as not to hide the module `directory`
    forum, me = _forum_and_me(slug)
    f = directory.Filters.from_args(request.args)
    page = db.paginate(directory.companies(forum.id, f), page=_page_number(),
                       per_page=current_app.config["PER_PAGE"], max_per_page=200, error_out=False)
    return render_template("meetings/directory.html", forum=forum, me=me, filters=f, page=page,
                           cards=directory.cards(list(page.items)), countries=choices.country_list(),
                           sectors=list(choices.SECTORS.items()), languages=choices.language_choices())


@bp.get("/companies/<pid:company_pid>")
@login_required
def company(slug: str, company_pid: str):
    forum, me = _forum_and_me(slug)
    card = directory.card(forum, company_pid)
    if card is None:
        abort(404)
    return render_template("meetings/company.html", forum=forum, me=me, card=card)


@bp.get("/suggestions", endpoint="suggestions")
@login_required
def suggestions_(slug: str):  # likewise the module `suggestions`
    forum, me = _forum_and_me(slug)
    return render_template("meetings/suggestions.html", forum=forum, me=me,
                           items=directory.suggested(forum, me.company, limit=SUGGESTIONS_SHOWN))

