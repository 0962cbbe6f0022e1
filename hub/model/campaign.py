"""Campaigns: one send to an audience on email, SMS and/or social (PRODUCT §3)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator

from ..channel import Channel as Channel  # re-exported: the model's campaigns name their channels
from .base import Model, Slug, timezone_problem


class AudienceRef(Model):
    list: Slug
    segment: Slug | None = None


class Sender(Model):
    name: str
    email: str


class QuietHours(Model):
    """No sends between `start` and `end` in the recipient's timezone (wraps midnight when start > end)."""

    start: time
    end: time

    def contains(self, t: time) -> bool:
        if self.start <= self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end


class Schedule(Model):
    """`draft` (create only), `now`, or `at` a local time in `timezone` (the client's, by default)."""

    mode: Literal["draft", "now", "at"] = "draft"
    at: datetime | None = None
    timezone: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_shorthand(cls, value: object) -> object:
        if isinstance(value, str):
            if value in ("draft", "now"):
                return {"mode": value}
            return {"mode": "at", "at": value}
        if isinstance(value, dict) and "at" in value and "mode" not in value:
            return {"mode": "at", **value}
        return value

    @model_validator(mode="after")
    def _check(self) -> Schedule:
        if self.mode == "at" and self.at is None:
            raise ValueError("a scheduled campaign needs 'at' (e.g. '2026-12-01 09:00')")
        why = timezone_problem(self.timezone) if self.timezone else None
        if why:
            raise ValueError(why)
        return self

    def at_utc(self, default_tz: str) -> datetime | None:
        if self.mode != "at" or self.at is None:
            return None
        at = self.at
        if at.tzinfo is None:
            at = at.replace(tzinfo=ZoneInfo(self.timezone or default_tz))
        return at.astimezone(ZoneInfo("UTC"))


class EmailContent(Model):
    subject: str = Field(min_length=1, max_length=255)
    preheader: str = ""
    from_: Sender | None = Field(default=None, alias="from")
    reply_to: str | None = None
    body_html: str | None = None
    body_markdown: str | None = None
    text: str | None = None

    @model_validator(mode="after")
    def _one_body(self) -> EmailContent:
        if bool(self.body_html) == bool(self.body_markdown):
            raise ValueError("an email needs exactly one of 'body_html' or 'body_markdown'")
        return self


class SmsContent(Model):
    body: str = Field(min_length=1)
    media: list[str] = Field(default_factory=list)
    sender: str | None = None
    # a budget, not a length limit: what caps a text is Twilio's 1,600 characters (checked by validation),
    # which take up to 11 segments in GSM-7 and 24 in UCS-2
    max_segments: int = Field(default=1, ge=1)


class SocialOverride(Model):
    """What one network (or one account) posts instead of the shared text."""

    text: str = Field(min_length=1)


class SocialContent(Model):
    """A post on the client's social accounts (an automation's `post_social` step takes the same keys).

    `text` is plain text: Markdown in it is flattened (the plan says so). `image` is a file in the client's folder
    (hub uploads it) or, for a Mailchimp social card only, an https URL; `alt` describes it for people who cannot
    see it. `accounts` names the accounts it goes to (default: every account of the client that posts), and
    `overrides` gives a network (by provider name, e.g. `bluesky`) or one account (by name) its own text."""

    text: str = Field(min_length=1)
    link: str | None = None
    image: str | None = None
    alt: str | None = None
    content_warning: str | None = None  # shown before the text, which is folded away (Mastodon's spoiler text)
    visibility: Literal["public", "unlisted", "private"] = "public"
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$")  # ISO 639 code, e.g. "en"
    accounts: list[Slug] = Field(default_factory=list)
    overrides: dict[Slug, SocialOverride] = Field(default_factory=dict)

    def targets(self, account: str) -> bool:
        """Whether this post goes to `account` (one of the client's accounts that post)."""
        return not self.accounts or account in self.accounts

    def text_for(self, account: str, provider: str) -> str:
        """The text `account` posts: its own override, else its network's, else the shared text."""
        chosen = self.overrides.get(account) or self.overrides.get(provider)
        return chosen.text if chosen is not None else self.text


class Campaign(Model):
    id: Slug
    name: str = Field(min_length=1, max_length=255)
    audience: AudienceRef | None = None  # who gets the email and SMS; a social-only campaign needs none
    email: EmailContent | None = None
    sms: SmsContent | None = None
    social: SocialContent | None = None
    schedule: Schedule = Field(default_factory=Schedule)
    quiet_hours: QuietHours | None = None

    @field_validator("schedule", mode="before")
    @classmethod
    def _schedule_shorthand(cls, value: object) -> object:
        return Schedule.model_validate(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _some_channel(self) -> Campaign:
        if not self.channels:
            raise ValueError("a campaign needs at least one of 'email', 'sms' or 'social'")
        if self.audience is None and (self.email is not None or self.sms is not None):
            raise ValueError("a campaign that sends email or SMS needs 'audience' (e.g. `audience: {list: customers}`)")
        return self

    @property
    def to(self) -> AudienceRef:
        """The audience of an email or SMS campaign (validation makes sure such a campaign has one)."""
        if self.audience is None:
            raise ValueError(f"campaign '{self.id}' has no audience")
        return self.audience

    @property
    def channels(self) -> list[Channel]:
        return [c for c in Channel if getattr(self, c.value) is not None]
