"""Which e-mail each registration event sends, and to whom. Queued in the caller's transaction.

Each delegate's mail is in the language chosen for them on the form (`Registration.language`);
the contact person's in the language they filled in the form in (`CompanyRegistration.contact_language`).
"""
from __future__ import annotations

from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.notifications import services as mail
from forum.registration.disputes import dispute_link
from forum.registration.models import CompanyRegistration, RegState, Registration
from forum.urls import external_url


def account_link(user: User | None) -> str:
    """Where a person sees their registration: the set-password link while they have no password."""
    if user is not None and not user.has_password:
        return accounts.password_link(user, "set")
    return external_url("registration.my")


def submission_mails(company: CompanyRegistration) -> None:
    """One mail per person: the contact person a summary of all delegates with their states; each other
    delegate 'you are registered' (or, when an invitation approved them at once, 'registered and approved')."""
    forum = company.forum
    template = "late_received" if company.is_late and not company.invitation_id else "registration_received"
    # The contact person registered as a delegate too: their summary carries the "this wasn't me" link.
    own = next((r for r in company.delegates if r.email == company.contact_email), None)
    mail.queue(template, to=company.contact_email, to_name=company.contact_name, language=company.contact_language,
               forum_id=forum.id, forum=forum, company=company, link=account_link(company.contact_user),
               dispute_link=dispute_link(own) if own is not None else None)
    for reg in company.delegates:
        if reg.email == company.contact_email:
            continue  # the summary tells them about themselves too
        template = "registered_approved" if reg.state is RegState.APPROVED else "delegate_registered"
        mail.queue(template, to=reg.email, to_name=reg.full_name, language=reg.language, forum_id=forum.id,
                   forum=forum, company=company, reg=reg, link=account_link(reg.user), dispute_link=dispute_link(reg))


DECISION_TEMPLATES = {
    RegState.APPROVED: "approved",
    RegState.REJECTED: "rejected",
    RegState.WAITLISTED: "waitlisted",
    RegState.PENDING: "reconsidered",  # only a reconsidered rejection comes back to pending with a mail
}


def decision_mail(reg: Registration, to: RegState) -> None:
    """The delegate is told; so is the company's contact person when that is someone else."""
    template = DECISION_TEMPLATES.get(to)
    if template is None:
        return
    if reg.is_late and to in (RegState.APPROVED, RegState.REJECTED):
        template = "late_decided"
    extra = {}
    if to is RegState.WAITLISTED:
        from forum.registration import waitlist

        # The mail says where they stand and exactly what happens next, in this forum's waitlist mode.
        extra["position"] = waitlist.position(reg)
    _tell(reg, template, **extra)


def promotion_mail(reg: Registration) -> None:
    """'A place became free: you are approved', to the delegate and their contact person."""
    _tell(reg, "waitlist_promoted")


def _tell(reg: Registration, template: str, **extra) -> None:
    company = reg.company
    recipients = [(reg.email, reg.full_name, reg.language, reg.user, False)]
    if company.contact_email != reg.email:
        recipients.append((company.contact_email, company.contact_name, company.contact_language,
                           company.contact_user, True))
    for addr, name, lang, user, to_contact in recipients:
        mail.queue(template, to=addr, to_name=name, language=lang, forum_id=reg.forum_id, forum=reg.forum, company=company,
                   reg=reg, to_contact=to_contact, link=account_link(user), **extra)
