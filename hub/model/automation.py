"""Automations: one trigger and a graph of steps (PRODUCT §3)."""

from __future__ import annotations

import builtins
from datetime import time
from typing import Literal

from pydantic import Field, model_validator

from .audience import RuleOp
from .base import FieldKey, Model, Slug
from .campaign import EmailContent, SmsContent, SocialContent


class Trigger(Model):
    """Exactly one of the trigger kinds."""

    joined_list: Slug | None = None
    tag_added: Slug | None = None
    anniversary: FieldKey | None = None  # a date field, e.g. birthday
    event: str | None = None  # a custom event name sent by the client's systems
    sms_keyword: str | None = None  # an inbound SMS keyword, e.g. JOIN

    @model_validator(mode="after")
    def _exactly_one(self) -> Trigger:
        if len(self.kinds()) != 1:
            raise ValueError("a trigger needs exactly one of joined_list, tag_added, anniversary, event,"
                             f" sms_keyword (got {', '.join(self.kinds()) or 'none'})")
        return self

    def kinds(self) -> list[str]:
        return [k for k in type(self).model_fields if getattr(self, k) is not None]

    @property
    def kind(self) -> str:
        return self.kinds()[0]

    @property
    def value(self) -> str:
        return str(getattr(self, self.kind))


class Wait(Model):
    days: int = Field(default=0, ge=0)
    hours: int = Field(default=0, ge=0)
    minutes: int = Field(default=0, ge=0)
    until_weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] | None = None
    until_time: time | None = None

    @model_validator(mode="after")
    def _something(self) -> Wait:
        if not (self.days or self.hours or self.minutes or self.until_weekday or self.until_time):
            raise ValueError("a wait needs a duration (days/hours/minutes) or until_weekday/until_time")
        return self

    @property
    def total_minutes(self) -> int:
        return self.days * 1440 + self.hours * 60 + self.minutes

    def describe(self) -> str:
        parts = [f"{n} {u}" for n, u in ((self.days, "days"), (self.hours, "hours"), (self.minutes, "minutes")) if n]
        if self.until_weekday or self.until_time:
            parts.append("until " + " ".join(str(x) for x in (self.until_weekday, self.until_time) if x))
        return ", ".join(parts)


class Condition(Model):
    tag: Slug | None = None
    list: Slug | None = None
    field: FieldKey | None = None
    op: RuleOp | None = None
    value: str | float | None = None
    opened: Slug | None = None  # id of an earlier send_email step
    clicked: Slug | None = None
    replied: builtins.list[str] | None = None  # SMS: the reply to the previous text is one of these words

    @model_validator(mode="after")
    def _one(self) -> Condition:
        chosen = [k for k in ("tag", "list", "field", "opened", "clicked", "replied") if getattr(self, k)]
        if len(chosen) != 1:
            raise ValueError("a condition needs exactly one of tag, list, field, opened, clicked, replied")
        return self

    def describe(self) -> str:
        if self.tag:
            return f"has tag '{self.tag}'"
        if self.list:
            return f"is in list '{self.list}'"
        if self.field:
            return f"field '{self.field}' {self.op} {self.value!r}"
        if self.replied:
            return "replied " + " or ".join(repr(w) for w in self.replied)
        return f"{'opened' if self.opened else 'clicked'} step '{self.opened or self.clicked}'"


class Webhook(Model):
    url: str
    method: Literal["POST", "GET"] = "POST"


STEP_ACTIONS = ("send_email", "send_sms", "post_social", "wait", "condition", "add_tag", "remove_tag", "move_to_list",
                "webhook", "exit")


class Step(Model):
    """One step: exactly one action. Flow goes to the next step in the list unless `next` says otherwise;
    a condition goes to `yes` or `no`; `exit` ends the automation."""

    id: Slug | None = None
    send_email: EmailContent | None = None
    send_sms: SmsContent | None = None
    post_social: SocialContent | None = None  # one post per contact who reaches the step (run by hub's runner)
    wait: Wait | None = None
    condition: Condition | None = None
    yes: Slug | None = None
    no: Slug | None = None
    add_tag: Slug | None = None
    remove_tag: Slug | None = None
    move_to_list: Slug | None = None
    webhook: Webhook | None = None
    exit: bool | None = None
    next: Slug | None = None

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        chosen = [a for a in STEP_ACTIONS if getattr(self, a) not in (None, False)]
        if len(chosen) != 1:
            raise ValueError(f"a step needs exactly one action of {', '.join(STEP_ACTIONS)}"
                             f" (got {', '.join(chosen) or 'none'})")
        if (self.yes or self.no) and not self.condition:
            raise ValueError("'yes'/'no' belong to a condition step")
        return self

    @property
    def action(self) -> str:
        return next(a for a in STEP_ACTIONS if getattr(self, a) not in (None, False))


class Enrolment(Model):
    """Who hub enrols when the automation is applied (beyond contacts who trigger it themselves)."""

    list: Slug | None = None
    segment: Slug | None = None
    contacts: builtins.list[str] = Field(default_factory=builtins.list)


class Automation(Model):
    id: Slug
    name: str = Field(min_length=1, max_length=255)
    trigger: Trigger
    steps: list[Step] = Field(min_length=1)
    enrol: Enrolment | None = None
    # who carries the steps out: the email vendor (built from hub's build sheet) or hub's runner (`hub run`);
    # unset, hub decides (see `runner_owned`)
    run_by: Literal["hub", "vendor"] | None = None

    @model_validator(mode="after")
    def _name_steps(self) -> Automation:
        for i, step in enumerate(self.steps, start=1):
            if step.id is None:
                step.id = f"step-{i}"
        return self

    @property
    def channels(self) -> set[str]:
        return {"sms" if s.send_sms else "email" for s in self.steps if s.send_sms or s.send_email}

    @property
    def sms_only(self) -> bool:
        """SMS-only automations belong to the SMS provider (a Studio Flow); any other to the email provider."""
        return self.channels == {"sms"} and not self.runner_owned

    @property
    def runner_owned(self) -> bool:
        """Whether hub's runner carries it out: `run_by: hub`, or, unset, when no one vendor can hold it (steps on
        both email and SMS, a social post, a webhook, or a condition on an SMS reply after an email)."""
        if self.run_by is not None:
            return self.run_by == "hub"
        if any(s.post_social is not None for s in self.steps):
            return True
        channels = {"sms" if s.send_sms else "email" for s in self.steps if s.send_sms or s.send_email}
        if channels == {"sms"}:
            return False  # a Studio Flow holds it
        return "sms" in channels or any(s.webhook is not None or (s.condition is not None and s.condition.replied)
                                        for s in self.steps)
