"""The API's request and response bodies, as pydantic models: they validate what comes in (a 400 that names
the field), shape what goes out, and are the schemas of /api/v1/openapi.json (forum/api/openapi.py)."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from forum.checkin import services as checkin
from forum.checkin.models import Direction, Result

# The most a QR code can hold (version 40, numeric): whatever a camera read gets an answer ("invalid"),
# rather than a 400, however long.
CODE_MAX = 7089
# Printable ASCII with something other than spaces (the service's rule, stated for the OpenAPI document too).
NONCE_PATTERN = r"^[ -~]*[!-~][ -~]*$"
_ISO_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


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
    scanned_at: AwareDatetime | None = Field(
        default=None, description="When the device scanned, ISO-8601 with a time zone (its own clock, kept "
                                  "beside the server's).")
    direction: Literal["in", "out"] = Field(default="in", description="\"out\" records an exit (re-entry is ok).")

    @field_validator("scanned_at", mode="before")
    @classmethod
    def _iso(cls, value: object) -> object:
        # pydantic would read "0" or "1788000000" as a Unix time: the document promises ISO-8601, so only that.
        if isinstance(value, str):
            if not _ISO_DATE_TIME.match(value):
                raise ValueError("not an ISO-8601 date and time")
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                raise ValueError("not an ISO-8601 date and time") from None
        return value

    @field_validator("scanned_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        try:
            return value.astimezone(timezone.utc)
        except OverflowError:  # 0001-01-01T00:00+14:00 is before the first representable instant
            raise ValueError("out of range") from None


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


class ScannerNotApproved(ScannerDelegate):
    state: str = Field(description="The registration's state now (e.g. waitlisted): the door says not_approved.")


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
