"""Audience: lists, tags, custom fields, segments and contacts (PRODUCT §3)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .base import FieldKey, Model, Slug


class ConsentStatus(StrEnum):
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    PENDING = "pending"

    @property
    def sendable(self) -> bool:
        return self is ConsentStatus.SUBSCRIBED


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"


class ListDef(Model):
    id: Slug
    name: str = Field(min_length=1, max_length=255)
    description: str = ""


class TagDef(Model):
    id: Slug
    name: str = Field(min_length=1, max_length=255)


class FieldDef(Model):
    id: FieldKey
    name: str = Field(min_length=1, max_length=255)
    type: FieldType = FieldType.TEXT


RuleOp = Literal["equals", "not_equals", "contains", "greater_than", "less_than", "is_set", "is_not_set",
                 "before", "after"]


class SegmentRule(Model):
    """One condition; exactly one of list / not_list / tag / not_tag / field / engagement."""

    list: Slug | None = None
    not_list: Slug | None = None
    tag: Slug | None = None
    not_tag: Slug | None = None
    field: FieldKey | None = None
    op: RuleOp | None = None
    value: str | float | date | None = None
    engagement: Literal["opened", "clicked", "not_opened", "not_clicked"] | None = None
    within_days: int | None = Field(default=None, ge=1, le=3650)

    @model_validator(mode="after")
    def _one_subject(self) -> SegmentRule:
        chosen = [k for k in ("list", "not_list", "tag", "not_tag", "field", "engagement") if getattr(self, k)]
        if len(chosen) != 1:
            raise ValueError("a rule needs exactly one of list, not_list, tag, not_tag, field, engagement"
                             f" (got {', '.join(chosen) or 'none'})")
        if self.field and not self.op:
            raise ValueError("a field rule needs 'op' (equals, contains, greater_than, is_set, ...)")
        if self.field and self.op not in ("is_set", "is_not_set") and self.value is None:
            raise ValueError(f"op '{self.op}' needs a 'value'")
        return self

    def describe(self) -> str:
        if self.list:
            return f"is in list '{self.list}'"
        if self.not_list:
            return f"is not in list '{self.not_list}'"
        if self.tag:
            return f"has tag '{self.tag}'"
        if self.not_tag:
            return f"does not have tag '{self.not_tag}'"
        if self.field:
            tail = "" if self.value is None else f" {self.value!r}"
            return f"field '{self.field}' {self.op.replace('_', ' ') if self.op else ''}{tail}"
        days = f" in the last {self.within_days} days" if self.within_days else ""
        return f"{(self.engagement or '').replace('_', ' ')} any campaign{days}"


class SegmentDef(Model):
    id: Slug
    name: str = Field(min_length=1, max_length=255)
    match: Literal["all", "any"] = "all"
    rules: list[SegmentRule] = Field(min_length=1)


_FIELDS_SET: dict[frozenset[str], set[str]] = {}
_PLAIN_CONSENT: dict[tuple[ConsentStatus, ConsentStatus | None], Consent] = {}


def _share_fields_set(model: Model) -> None:
    """Contacts by the thousand set the same fields: one record of which, shared, rather than a set each (900
    bytes of a contact's 1,900). Nothing in hub reads which fields were set (`model_fields_set`, `exclude_unset`):
    tests/test_architecture.py keeps it so, since such a read would see what another contact set."""
    names = model.__pydantic_fields_set__
    object.__setattr__(model, "__pydantic_fields_set__", _FIELDS_SET.setdefault(frozenset(names), names))


class Consent(Model):
    """Per-channel consent. Email defaults to subscribed; SMS needs an explicit opt-in. `opted_in_at` and
    `opt_in_ip` are the evidence of an email opt-in (a double opt-in's confirmation), carried to vendors that
    store it. Never changed in place: contacts with the same consent and no evidence share one."""

    email: ConsentStatus = ConsentStatus.SUBSCRIBED
    sms: ConsentStatus | None = None
    opted_in_at: datetime | None = None
    opt_in_ip: str | None = None

    @model_validator(mode="after")
    def _compact(self) -> Consent:
        _share_fields_set(self)
        return self

    @classmethod
    def shared(cls, email: ConsentStatus, sms: ConsentStatus | None, opted_in_at: datetime | None = None,
               opt_in_ip: str | None = None) -> Consent:
        """A consent of values checked already (as hub saved them), made without checking them again."""
        plain = opted_in_at is None and opt_in_ip is None
        if plain and (found := _PLAIN_CONSENT.get((email, sms))) is not None:
            return found
        made = cls.model_construct(_CONSENT_FIELDS, email=email, sms=sms, opted_in_at=opted_in_at, opt_in_ip=opt_in_ip)
        return _PLAIN_CONSENT.setdefault((email, sms), made) if plain else made


_CONSENT_FIELDS = set(Consent.model_fields)


class Contact(Model):
    email: str | None = None
    phone: str | None = None
    first_name: str = ""
    last_name: str = ""
    timezone: str | None = None
    fields: dict[str, str | float | date] = Field(default_factory=dict)
    lists: list[Slug] = Field(default_factory=list)
    tags: list[Slug] = Field(default_factory=list)
    consent: Consent = Field(default_factory=Consent)

    @field_validator("first_name", "last_name")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()  # a stray space would be pushed to the vendor and printed in every greeting

    @model_validator(mode="after")
    def _reachable(self) -> Contact:
        if not self.email and not self.phone:
            raise ValueError("a contact needs an email or a phone")
        _share_fields_set(self)
        consent = self.consent
        if consent.opted_in_at is None and consent.opt_in_ip is None:
            self.__dict__["consent"] = _PLAIN_CONSENT.setdefault((consent.email, consent.sms), consent)
        return self

    @classmethod
    def checked(cls, **values: Any) -> Contact:
        """A contact of values checked already (as hub saved them: every field), made without checking them again.
        What `model_construct` makes, at a third of its cost (it looks up each field's alias and default)."""
        contact = cls.__new__(cls)
        object.__setattr__(contact, "__dict__", values)
        object.__setattr__(contact, "__pydantic_fields_set__", _CONTACT_FIELDS)
        object.__setattr__(contact, "__pydantic_extra__", None)
        object.__setattr__(contact, "__pydantic_private__", None)
        return contact

    @property
    def key(self) -> str:
        """Natural key: the lowercased email, else the phone."""
        return self.email_key or (self.phone or "")

    @property
    def email_key(self) -> str:
        """The email lowercased, as vendors key it ("" without one): the very string when it is lowercase already,
        so that 50,000 payloads do not each hold a copy."""
        email = self.email or ""
        return email if email.islower() else email.lower()

    def vendor_fields(self, names: Mapping[str, str], keys: Mapping[str, str],
                      unknown: Callable[[str], str] = str) -> dict[str, Any]:
        """The contact's details as a vendor's field values: `names` gives the vendor's keys for
        `first_name`, `last_name` and `phone` (empty ones are left out); custom fields go under `keys[id]`
        (`unknown(id)` for an id not there). Numbers stay numbers; dates and text are sent as text."""
        out: dict[str, Any] = {names[k]: v for k in ("first_name", "last_name", "phone") if (v := getattr(self, k))}
        for fid, value in sorted(self.fields.items()):
            out[keys.get(fid) or unknown(fid)] = value if isinstance(value, int | float) else str(value)
        return out


_CONTACT_FIELDS = set(Contact.model_fields)

CONTACT_COLUMNS = ("email", "phone", "first_name", "last_name", "timezone", "lists", "tags", "email_consent",
                   "sms_consent", "opted_in_at", "opt_in_ip")
"""A contact CSV's own column names; any other column is a custom field's id (or is mapped with `columns:`)."""
IGNORE_COLUMN = "ignore"


class ContactFile(Model):
    """A file of contacts named in audience.yaml (`contact_files:`), relative to the client's folder.

    CSV: a header row of CONTACT_COLUMNS and field ids (`columns:` maps other headers to those, or to "ignore");
    `lists` and `tags` cells hold ids separated by ';'. JSONL: one contact per line, written as in
    `contacts:`. A bad row fails validation (`on_bad_row: fail`), or is left out and listed (`skip`)."""

    file: str = Field(min_length=1)
    format: Literal["csv", "jsonl"] | None = None  # by default from the file's suffix
    columns: dict[str, str] = Field(default_factory=dict)
    on_bad_row: Literal["fail", "skip"] = "fail"
    lists: list[Slug] = Field(default_factory=list)  # every contact of the file joins these
    tags: list[Slug] = Field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.format or ("jsonl" if self.file.lower().endswith((".jsonl", ".ndjson")) else "csv")


class Audience(Model):
    lists: list[ListDef] = Field(default_factory=list)
    tags: list[TagDef] = Field(default_factory=list)
    fields: list[FieldDef] = Field(default_factory=list)
    segments: list[SegmentDef] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)  # written inline, then read from `contact_files`
    contact_files: list[ContactFile] = Field(default_factory=list)

    def list_ids(self) -> set[str]:
        return {x.id for x in self.lists}

    def tag_ids(self) -> set[str]:
        return {x.id for x in self.tags}

    def field_ids(self) -> set[str]:
        return {x.id for x in self.fields}

    def segment_ids(self) -> set[str]:
        return {x.id for x in self.segments}
