"""The API's request and response bodies, as pydantic models: they validate what comes in (a 400 that names
the field), shape what goes out, and are the schemas of /api/v1/openapi.json (forum/api/openapi.py)."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Annotated, Literal, Union

from pydantic import (AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, RootModel,
                      SkipValidation)

from forum.checkin import offline
from forum.checkin import services as checkin
from forum.checkin.models import ConflictKind, Direction, Result

# The most a QR code can hold (version 40, numeric): whatever a camera read gets an answer ("invalid"),
# rather than a 400, however long.
CODE_MAX = 7089
# Printable ASCII with something other than spaces (the service's rule, stated for the OpenAPI document too).
NONCE_PATTERN = r"^[ -~]*[!-~][ -~]*$"
_ISO_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
# The longest ISO-8601 date and time taken: "2026-09-01T10:00:00.123456+05:00" is 32 characters.
TIME_MAX = 40


def _iso(value: object) -> object:
    """An ISO-8601 string -> datetime; pydantic alone would read "0" or "1788000000" as a Unix time, and the
    document promises ISO-8601, so only that."""
    if isinstance(value, str):
        if len(value) > TIME_MAX or not _ISO_DATE_TIME.match(value):
            raise ValueError("not an ISO-8601 date and time")
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("not an ISO-8601 date and time") from None
    return value


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+14:00 is before the first representable instant
        raise ValueError("out of range") from None


# An aware date and time, given as ISO-8601 only, kept in UTC.
IsoTime = Annotated[AwareDatetime, BeforeValidator(_iso), AfterValidator(_utc)]


class _In(BaseModel):
    # Strict: a number is not a string, a Unix time is not an ISO-8601 time. Unknown fields are refused
    # by name, so a misspelt "directon" is a 400 and not a silent entry.
    model_config = ConfigDict(strict=True, extra="forbid")


class CheckinRequest(_In):
    code: str = Field(max_length=CODE_MAX, description="What the camera read: the badge URL or the bare token.")
    nonce: str = Field(min_length=1, max_length=checkin.NONCE_MAX, pattern=NONCE_PATTERN,
                       description="The device's own name for this scan (printable ASCII), e.g. a UUID. The same "
                                   "nonce again is the same scan: it is recorded once and answered as the first "
                                   "time, so a retry over a flaky network is safe.")
    scanned_at: IsoTime | None = Field(
        default=None, description="When the device scanned, ISO-8601 with a time zone (its own clock, kept "
                                  "beside the server's).")
    direction: Literal["in", "out"] = Field(default="in", description="\"out\" records an exit (re-entry is ok).")



class Delegate(BaseModel):
    badge_id: str = Field(description="The badge's id (hex), as in scanner-data.")
    full_name: str = Field(description="The name as the delegate writes it (any script).")
    latin_name: str
    position: str
    company: str
    company_latin: str
    country: str = Field(description="ISO 3166-1 alpha-2.")
    category: str = Field(description="delegate, speaker, press, vip, organizer or staff.")
    state: str = Field(description="The registration's state, or \"team\" for a team member's badge.")


class CheckinResponse(BaseModel):
    status: Result = Field(description="The result code: ok, already_checked_in, not_checked_in, invalid, revoked, "
                                       "not_approved, wrong_forum or forum_cancelled.")
    message: str = Field(description="The result in plain words, in the request's language (Accept-Language).")
    admitted: bool = Field(description="Whether to let the person through (status ok).")
    direction: Direction
    delegate: Delegate | None = Field(description="Whom the badge names; null when it names nobody of this forum.")
    first_checked_in_at: datetime | None = Field(
        description="For already_checked_in: when the delegate first entered (UTC).")
    first_checked_in_device: str | None = Field(description="For already_checked_in: which device let them in.")
    replayed: bool = Field(description="This nonce was seen before: this is the first answer again, nothing new "
                                       "was recorded.")


# --- the offline queue's batch upload (issue 11) ----------------------------------------------------------

# A queued code is what an offline phone read and already judged: a badge URL is under 300 characters. Longer ones
# are garbage (invalid either way) and keep the whole upload small (api.views.BATCH_BODY_MAX: about 3.5 MB).
BATCH_CODE_MAX = 500


class BatchItem(_In):
    """One queued offline scan. Validated one by one (api.views.batch_item): a malformed item gets its own error
    in the answer, and the others are recorded."""

    code: str = Field(max_length=BATCH_CODE_MAX,
                      description=f"What the camera read: the badge URL or the bare token (at most {BATCH_CODE_MAX} "
                                  "characters in a batch).")
    nonce: str = Field(min_length=1, max_length=checkin.NONCE_MAX, pattern=NONCE_PATTERN,
                       description="The device's own name for this scan (printable ASCII). A nonce already "
                                   "recorded is not recorded again: its item answers `replayed: true`.")
    scanned_at: IsoTime = Field(description="When the device scanned, by its own clock, ISO-8601 with a "
                                                  "time zone. An offline entry's time is this one.")
    direction: Literal["in", "out"] = Field(default="in")
    synced_at: IsoTime | None = Field(
        default=None, description="`generated_at` of the scanner data the device decided with: a badge revoked "
                                  "after it is flagged `revoked_after_sync`.")
    offline_status: Result | None = Field(default=None, strict=False,
                                          description="The verdict the device showed at the door, if any.")



class BatchEnvelope(_In):
    scans: list[SkipValidation[BatchItem]] = Field(
        description=f"At most {offline.BATCH_MAX} scans, recorded in this order.")
    sent_at: IsoTime | None = Field(
        default=None, description="The device's clock when it sent the batch, ISO-8601 with a time zone: more "
                                  f"than {offline.SKEW_MAX_MINUTES} minutes from the server's flags every scan "
                                  "of the batch `clock_skew`.")


class BatchRequest(RootModel[Union[list[SkipValidation[BatchItem]], BatchEnvelope]]):
    """The scans as a bare array, or as an object with the device's clock beside them."""


class ItemError(BaseModel):
    code: str = Field(description="e.g. item_invalid, code_required, nonce_required, nonce_invalid, "
                                  "scanned_at_required, scanned_at_invalid, direction_invalid, field_unknown.")
    message: str
    field: str | None = None


class BatchResult(BaseModel):
    index: int = Field(description="The item's position in the batch (0 first).")
    nonce: str | None = Field(description="The item's nonce, as sent (null if it sent none that is text).")
    recorded: bool = Field(description="The server has this scan (now or from before): the device may drop it "
                                       "from its queue.")
    replayed: bool = Field(default=False, description="The nonce was recorded before: nothing new was recorded.")
    status: Result | None = None
    admitted: bool = False
    message: str | None = None
    direction: Direction | None = None
    delegate: Delegate | None = None
    first_checked_in_at: datetime | None = None
    first_checked_in_device: str | None = None
    conflicts: list[ConflictKind] = Field(default_factory=list,
                                          description="What this scan revealed that no device could see at the "
                                                      "door: duplicate_offline, revoked_after_sync, clock_skew.")
    error: ItemError | None = Field(default=None, description="The item is malformed and will never be "
                                                              "accepted as sent (recorded is false).")


class BatchResponse(BaseModel):
    results: list[BatchResult] = Field(description="One per item, in the batch's order.")
    recorded: int = Field(description="How many items the server has (replayed ones included).")
    failed: int = Field(description="How many items were malformed (each has its error).")
    server_time: datetime


class ForumInfo(BaseModel):
    slug: str
    title: str
    timezone: str = Field(description="IANA zone, e.g. Asia/Almaty.")
    status: str


class ScannerDelegate(BaseModel):
    badge_id: str = Field(description="The badge's id (hex): the 9 bytes after the forum tag in the token.")
    full_name: str
    latin_name: str
    company: str
    company_latin: str
    country: str
    category: str = Field(description="delegate, speaker, press, vip; organizer or staff for a team badge.")
    inside: bool = Field(default=False, description="Inside the venue when the data was made: the badge's last "
                                                    "admitted scan was an entry.")
    first_checked_in_at: datetime | None = Field(default=None, description="The badge's first entry (UTC), if any: "
                                                                           "what already_checked_in names.")
    first_checked_in_device: str = Field(default="", description="The device that let them in first (its label).")
    token: str = Field(default="", description="The badge's token (what its QR code holds), so that a scanner can "
                                               "check someone in by name while offline; empty for a badge the door "
                                               "refuses.")


class ScannerNotApproved(ScannerDelegate):
    state: str = Field(description="The registration's state now (e.g. waitlisted): the door says not_approved.")


class Revoked(BaseModel):
    revoked: Literal[True] = True


class ScannerData(BaseModel):
    forum: ForumInfo
    token_version: str = Field(description="The badge token format this key signs (the token's first character).")
    public_key: str = Field(description="The forum's Ed25519 public key: the 32 raw bytes in standard base64 "
                                        "(RFC 4648, with padding). A token is valid when its signature verifies "
                                        "with it and it is not in revoked_tokens.")
    public_key_encoding: Literal["base64"] = "base64"
    revoked_tokens: list[str] = Field(description="Every revoked badge token of the forum, oldest first.")
    delegates: list[ScannerDelegate] = Field(description="Every approved delegate with a live badge.")
    team: list[ScannerDelegate] = Field(
        default_factory=list, description="The live badges of the forum's team (category organizer or staff; no "
                                          "company): they pass the door like an approved delegate's.")
    not_approved: list[ScannerNotApproved] = Field(
        default_factory=list, description="Live badges whose registration is no longer approved (e.g. moved to the "
                                          "waiting list): the door answers not_approved.")
    generated_at: datetime = Field(description="When the data was made (server clock). A genuine token of the forum "
                                               "that is in no list and not revoked was issued after it: an offline "
                                               "scanner admits it and says it is not in its data (the server "
                                               "decides again on upload).")


class Ping(BaseModel):
    status: Literal["ok"] = "ok"


class Problem(BaseModel):
    field: str | None = None
    code: str
    message: str


class Error(BaseModel):
    error: str = Field(description="A machine code, e.g. token_required, invalid_token, forbidden, "
                                   "token_other_forum, forum_not_found, invalid_json, field_required, "
                                   "field_invalid, too_large.")
    message: str = Field(description="What went wrong, in plain words.")
    field: str | None = Field(default=None, description="The request field at fault, when there is one.")
    errors: list[Problem] | None = Field(default=None, description="Every problem with the body, for a 400.")
