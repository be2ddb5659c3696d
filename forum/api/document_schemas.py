"""The answer of GET /api/v1/forums/<slug>/documents (pydantic: it shapes the JSON and is its OpenAPI schema)."""
from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from forum.documents.models import Capacity, Ceremony, Confidentiality, DocKind, FollowUpStatus, PartyKind


class CountryPair(BaseModel):
    countries: list[str] = Field(description="Two different ISO 3166-1 alpha-2 codes, sorted, e.g. [\"JP\", \"KZ\"].")
    count: int


class DocumentTally(BaseModel):
    total: int = Field(description="The documents that count: exchanged at the forum, marked to count by the "
                                   "organizers, not withdrawn. Confidential ones are counted (not listed).")
    by_kind: dict[str, int] = Field(description="Counted documents by type (mou, agreement, ...).")
    by_country_pair: list[CountryPair] = Field(
        description="A document with parties of three countries adds one to each of its three pairs; two "
                    "parties of one country make no pair. Largest first.")
    by_sector: dict[str, int] = Field(description="Counted documents by sector key; one per sector of a document.")


class Principal(BaseModel):
    name: str
    position: str


class Signatory(BaseModel):
    name: str = Field(description="As written, in any script.")
    position: str
    capacity: Capacity = Field(description="own: on their own authority; on_behalf: for `principal`.")
    principal: Principal | None = Field(description="Whom a proxy signed for (capacity on_behalf), else null.")
    line: str = Field(description="As pages print it: \"Name, Position\" or \"Name (on behalf of Principal, "
                                  "Position)\", in the request's language.")
    power_of_attorney: str | None = Field(
        default=None, description="The power of attorney's reference; only for a documents team token.")
    exchanged_by: str | None = Field(default=None, description="Who exchanged it on stage, when someone else.")


class Party(BaseModel):
    organisation: str
    country: str = Field(description="ISO 3166-1 alpha-2.")
    kind: PartyKind
    signatory: Signatory


class DocumentOut(BaseModel):
    id: str = Field(description="The document's public id.")
    number: int = Field(description="Its number in the forum's register (withdrawn ones keep theirs).")
    reference: str = Field(description="The register number as printed, e.g. CAJ-2024-017.")
    type: DocKind
    titles: dict[str, str] = Field(description="The title in each language it was signed in.")
    authoritative_language: str = Field(description="The language whose title is the authoritative version.")
    parties: list[Party]
    date: dt.date = Field(description="The date signed, in the forum's time zone (ISO 8601).")
    place: str
    ceremony: Ceremony
    sectors: list[str]
    confidentiality: Confidentiality
    value_minor: int | None = Field(description="The value in the currency's minor units (cents; yen have none); "
                                                "null when there is none or the parties withheld it (without a "
                                                "documents team token).")
    value: str | None = Field(description="The same value as a decimal number, e.g. \"1250000.50\".")
    currency: str | None = Field(description="ISO 4217; null with the value.")
    expected_jobs: int | None
    status: FollowUpStatus = Field(description="The follow-up: signed, in_progress, implemented, stalled, "
                                               "cancelled.")
    exchanged_at: dt.datetime | None = Field(description="When it was exchanged (UTC); null: not yet.")
    counts_in_tally: bool = Field(description="Whether it counts in the public tally now (always true without "
                                              "a token).")
    withdrawn_at: dt.datetime | None = Field(default=None, description="Withdrawn documents: only with a token.")
    withdrawn_reason: str | None = None


class DocumentList(BaseModel):
    tally: DocumentTally = Field(description="The public tally, whoever asks.")
    documents: list[DocumentOut] = Field(description="One page of documents, in register order. Without a token: "
                                                     "those the public page lists (counted, not confidential). "
                                                     "With the token of a member holding the documents "
                                                     "permission: all, withdrawn and confidential ones too.")
    scope: str = Field(description="\"public\" (no token) or \"team\" (every document).")
    page: int
    per_page: int
    total: int = Field(description="How many documents the list has over all pages.")
    pages: int
    next: str | None = Field(description="The next page's URL, null on the last page.")
