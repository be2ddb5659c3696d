"""Every model, imported in one place so the metadata (and Alembic) sees the whole schema."""
from forum.accounts.models import User  # noqa: F401
from forum.audit.models import AuditEntry  # noqa: F401
from forum.forums.models import Forum  # noqa: F401
from forum.notifications.models import OutboxMessage  # noqa: F401
from forum.registration.models import CompanyRegistration, LateInvitation, Registration  # noqa: F401
from forum.organisations.models import Organisation  # noqa: F401
from forum.teams.models import TeamMember  # noqa: F401
from forum.badges.models import Badge, ForumKey  # noqa: F401
from forum.api.models import ApiToken  # noqa: F401
from forum.checkin.models import Conflict, Scan  # noqa: F401
from forum.contacts.models import Contact  # noqa: F401
from forum.meetings.models import (B2BProfile, B2BSettings, Interpreter, Meeting, MeetingPrefs,  # noqa: F401
    MeetingRequest, MeetingSession, MeetingSlot, MeetingTable, ScheduleRun, Unavailability)
from forum.documents.models import (DigestSent, Document, DocumentParty, DocumentRegister,  # noqa: F401
    DocumentScan, DocumentTitle, FollowUpNote, document_meetings)
from forum.agendas.models import AgendaState  # noqa: F401
from forum.outcomes.models import MeetingOutcome, OutcomeReminder  # noqa: F401
from forum.forums.models import ForumText  # noqa: F401
from forum.announcements.models import Announcement, AnnouncementRecipient  # noqa: F401
from forum.postponements.models import Postponement, PostponementReply  # noqa: F401
