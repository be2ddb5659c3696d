"""Words for the register's fixed lists, in the reader's language, and THE two ways a signatory is written.

`signatory_line`: pages, exports, the outcome report: "Name, Position" or, for a proxy,
"Name (on behalf of Principal, Principal's position)".
`announcement`: the run-sheet, as the master of ceremonies reads it: "Name, Position, on behalf of Principal".
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from forum.documents.models import (Capacity, Ceremony, Confidentiality, DocKind, DocumentParty, FollowUpStatus,
                                    PartyKind)

KINDS = {
    DocKind.MOU: _l("Memorandum of understanding"),
    DocKind.AGREEMENT: _l("Agreement"),
    DocKind.CONTRACT: _l("Contract"),
    DocKind.LETTER_OF_INTENT: _l("Letter of intent"),
    DocKind.JOINT_STATEMENT: _l("Joint statement"),
    DocKind.OTHER: _l("Other document"),
}
CEREMONIES = {
    Ceremony.MAIN_STAGE: _l("Main stage"),
    Ceremony.SIDELINES: _l("On the sidelines"),
    Ceremony.B2B_TABLE: _l("At a B2B table"),
}
CONFIDENTIALITY = {
    Confidentiality.PUBLIC: _l("Public"),
    Confidentiality.VALUE_WITHHELD: _l("Public, value withheld"),
    Confidentiality.CONFIDENTIAL: _l("Confidential"),
}
STATUSES = {
    FollowUpStatus.SIGNED: _l("Signed"),
    FollowUpStatus.IN_PROGRESS: _l("In progress"),
    FollowUpStatus.IMPLEMENTED: _l("Implemented"),
    FollowUpStatus.STALLED: _l("Stalled"),
    FollowUpStatus.CANCELLED: _l("Cancelled"),
}
PARTY_KINDS = {
    PartyKind.GOVERNMENT: _l("Government body"),
    PartyKind.STATE_COMPANY: _l("State company"),
    PartyKind.PRIVATE_COMPANY: _l("Private company"),
    PartyKind.ASSOCIATION: _l("Association or chamber of commerce"),
    PartyKind.UNIVERSITY: _l("University"),
    PartyKind.INTERNATIONAL: _l("International organisation"),
    PartyKind.OTHER: _l("Other organisation"),
}
CAPACITIES = {
    Capacity.OWN: _l("On their own authority"),
    Capacity.ON_BEHALF: _l("On behalf of someone (power of attorney)"),
}


def _label(table: dict, value) -> str:
    try:
        key = type(next(iter(table)))(value)
    except ValueError:
        return str(value)
    return str(table[key])


def kind_label(value) -> str:
    return _label(KINDS, value)


def ceremony_label(value) -> str:
    return _label(CEREMONIES, value)


def confidentiality_label(value) -> str:
    return _label(CONFIDENTIALITY, value)


def status_label(value) -> str:
    return _label(STATUSES, value)


def party_kind_label(value) -> str:
    return _label(PARTY_KINDS, value)


def capacity_label(value) -> str:
    return _label(CAPACITIES, value)


def _joined(*parts: str) -> str:
    return ", ".join(p for p in (s.strip() for s in parts) if p)


def signatory_line(party: DocumentParty) -> str:
    """"Name, Position"; a proxy: "Name (on behalf of Principal, Principal's position)"."""
    if party.capacity is Capacity.ON_BEHALF:
        return _("%(name)s (on behalf of %(principal)s)", name=party.signatory_name,
                 principal=_joined(party.principal_name, party.principal_position))
    return _joined(party.signatory_name, party.signatory_position)


def announcement(party: DocumentParty) -> str:
    """As announced on stage: "Name, Position, on behalf of Principal"."""
    spoken = _joined(party.signatory_name, party.signatory_position)
    if party.capacity is Capacity.ON_BEHALF:
        return _("%(signatory)s, on behalf of %(principal)s", signatory=spoken, principal=party.principal_name)
    return spoken


# Registered as Jinja globals by forum/templating.py; `status_label` is the forum's own there, so this one is
# `doc_status_label` in templates.
JINJA_GLOBALS = dict(kind_label=kind_label, ceremony_label=ceremony_label,
                     confidentiality_label=confidentiality_label, doc_status_label=status_label,
                     party_kind_label=party_kind_label, capacity_label=capacity_label,
                     signatory_line=signatory_line, announcement=announcement)
