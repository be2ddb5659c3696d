"""Which e-mail each registration event sends, and to whom. Queued in the caller's transaction."""
from __future__ import annotations

from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.notifications import services as mail
from forum.registration.models import Company, RegState, Registration
from forum.urls import external_url


def _account_link(user: User | None) -> str:
    if user is not None and not user.has_password:
        return accounts.password_link(user, "set")
    return external_url("registration.my")


def submission_mails(company: Company, language: str) -> None:
    """Contact person: 'received' (or 'late entry received'); each other delegate: 'you are registered'."""
    forum = company.forum
    template = "late_received" if company.is_late and not company.invitation_id else "registration_received"
    mail.queue(template, to=company.contact_email, language=language, forum_id=forum.id,
               forum=forum, company=company, link=_account_link(company.contact_user))
    for reg in company.delegates:
        if reg.email == company.contact_email:
            continue
        lang = reg.user.language if reg.user is not None else language
        mail.queue("delegate_registered", to=reg.email, language=lang, forum_id=forum.id,
                   forum=forum, company=company, reg=reg, link=_account_link(reg.user))


DECISION_TEMPLATES = {
    RegState.APPROVED: "approved",
    RegState.REJECTED: "rejected",
    RegState.WAITLISTED: "waitlisted",
}


def decision_mail(reg: Registration, to: RegState) -> None:
    """The delegate is told; so is the company's contact person when that is someone else."""
    template = DECISION_TEMPLATES.get(to)
    if template is None:
        return
    if reg.is_late and to in (RegState.APPROVED, RegState.REJECTED):
        template = "late_decided"
    company = reg.company
    recipients = {reg.email: reg.user.language if reg.user is not None else "en"}
    if company.contact_email not in recipients:
        contact = company.contact_user
        recipients[company.contact_email] = contact.language if contact is not None else "en"
    for addr, lang in recipients.items():
        mail.queue(template, to=addr, language=lang, forum_id=reg.forum_id, forum=reg.forum, company=company,
                   reg=reg, to_contact=(addr != reg.email), link=external_url("registration.my"))
