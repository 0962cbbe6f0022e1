"""Semantic checks on one loaded client: references, duplicates, content rules, schedules, automation flow,
accounts and providers. Every finding is a `Problem` on the line of the key or item it is about."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from ..credentials import PLACEHOLDER, how_to_reference, reference_problem
from ..errors import Problem
from ..model import (
    Automation,
    Campaign,
    Channel,
    Client,
    ConsentStatus,
    Contact,
    EmailContent,
    FieldType,
    SmsContent,
    SocialContent,
)
from ..model.base import Model, timezone_problem
from ..model.personalisation import (
    CONTACT_VARIABLES,
    LINK_VARIABLES,
    Variable,
    find_variables,
    is_recipient_variable,
    render,
)
from ..model.segments import matches
from ..registry import ProviderRegistry
from ..smstext import (
    GSM_REPLACEMENTS,
    MAX_CHARACTERS,
    Overrun,
    count_segments,
    describe_char,
    estimate_recipient_text,
    recipient_values,
)
from .checks import normalise_email, normalise_phone
from .contact_files import skipped
from .messages import Where, close_matches, did_you_mean, validation_problems
from .yamlpos import YamlDoc

EMAIL_TEXT_KEYS = ("subject", "preheader", "body_html", "body_markdown", "text")


@dataclass
class ClientCheck:
    """Everything the checks need about one client, and where to put what they find."""

    client: Client
    registry: ProviderRegistry
    now: datetime
    is_sent: Callable[[str, str], bool]
    config_where: Where  # client.yaml
    audience_file: str  # clients/<name>/audience.yaml (may not exist)
    wheres: dict[int, Where]  # id(model) -> where it was written
    accounts_ok: bool = True  # False when client.yaml's accounts could not be read (reported already)
    # ids written in audience.yaml, including items that failed validation (reported already), so that
    # one broken list does not also make every reference to it an error
    declared: dict[str, set[str]] = field(default_factory=dict)
    audience_ok: bool = True  # False when audience.yaml could not be read: references cannot be checked
    skippable: set[int] = field(default_factory=set)  # contacts (by id()) from files read with `on_bad_row: skip`
    prechecked: set[int] = field(default_factory=set)  # contacts (by id()) checked by an earlier load (cached)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    secret_lines: set[tuple[str, int]] = field(default_factory=set)

    def where(self, model: object) -> Where:
        found = self.wheres.get(id(model))
        if found is None and isinstance(model, Model):  # a contact from the cache knows only its file:line
            problem = Problem.at(model.source, "")
            found = Where(YamlDoc(problem.file, None, {(): problem.line or 1}))
        assert found is not None, f"no location for {model!r}"
        return found

    def add(self, where: Where, path: tuple[str | int, ...], message: str, **kw: Any) -> None:
        self.problems.append(where.problem(path, message, **kw))

    def warn(self, where: Where, path: tuple[str | int, ...], message: str) -> None:
        self.warnings.append(where.problem(path, message))

    # what the audience defines
    @cached_property
    def lists(self) -> set[str]:
        return self.client.audience.list_ids() | self.declared.get("lists", set())

    @cached_property
    def tags(self) -> set[str]:
        return self.client.audience.tag_ids() | self.declared.get("tags", set())

    @cached_property
    def fields(self) -> set[str]:
        return self.client.audience.field_ids() | self.declared.get("fields", set())

    @cached_property
    def segments(self) -> set[str]:
        return self.client.audience.segment_ids() | self.declared.get("segments", set())

    @cached_property
    def types(self) -> dict[str, str]:
        return {f.id: f.type.value for f in self.client.audience.fields}

    def ref(self, where: Where, path: tuple[str | int, ...], kind: str, value: str | None,
            defined: set[str]) -> None:
        """Report `value` when it names a `kind` (list, tag, field, segment) the audience does not define."""
        if value is None or value in defined or not self.audience_ok:
            return
        section = {"list": "lists", "tag": "tags", "field": "fields", "segment": "segments"}[kind]
        self.add(where, path, f"unknown {kind} '{value}'" + did_you_mean(value, defined, noun=f"defined {section}")
                 + ("" if defined else f"; define it under '{section}:' in {self.audience_file}"))


def check_client(ctx: ClientCheck) -> list[Problem]:
    check_audience(ctx)
    check_campaigns(ctx)
    check_automations(ctx)
    if ctx.accounts_ok:
        check_accounts(ctx)
    return ctx.problems


# -- duplicates --------------------------------------------------------------------------------------


def _duplicates(ctx: ClientCheck, items: Iterable[Any], key: Callable[[Any], str | None], what: str,
                path: tuple[str | int, ...] = ()) -> None:
    first: dict[str, Any] = {}
    for item in items:
        k = key(item)
        if k is None:
            continue
        if k in first:
            ctx.add(ctx.where(item), path, f"duplicate {what} '{k}' (first defined at "
                                            f"{ctx.where(first[k]).source(*path)}); each must be unique")
        else:
            first[k] = item


# -- audience ----------------------------------------------------------------------------------------


def check_audience(ctx: ClientCheck) -> None:
    audience = ctx.client.audience
    _duplicates(ctx, audience.lists, lambda x: x.id, "list id", ("id",))
    _duplicates(ctx, audience.tags, lambda x: x.id, "tag id", ("id",))
    _duplicates(ctx, audience.fields, lambda x: x.id, "field key", ("id",))
    _duplicates(ctx, audience.segments, lambda x: x.id, "segment id", ("id",))
    for seg in audience.segments:
        w = ctx.where(seg)
        for i, rule in enumerate(seg.rules):
            rw = w.at("rules", i)
            ctx.ref(rw, ("list",), "list", rule.list, ctx.lists)
            ctx.ref(rw, ("not_list",), "list", rule.not_list, ctx.lists)
            ctx.ref(rw, ("tag",), "tag", rule.tag, ctx.tags)
            ctx.ref(rw, ("not_tag",), "tag", rule.not_tag, ctx.tags)
            ctx.ref(rw, ("field",), "field", rule.field, ctx.fields)
    country = ctx.client.config.country
    kept: list[Contact] = []
    seen: dict[str, Contact] = {}
    for contact in audience.contacts:
        before = len(ctx.problems)
        if id(contact) not in ctx.prechecked:
            _check_contact(ctx, contact, country)
        first = seen.get(contact.key)
        if first is not None:
            ctx.add(ctx.where(contact), (), f"duplicate contact '{contact.key}' (first defined at"
                                            f" {ctx.where(first).source()}); each must be unique")
        if id(contact) in ctx.skippable and len(ctx.problems) > before:
            ctx.warnings += [skipped(p) for p in ctx.problems[before:]]  # left out, never pushed
            del ctx.problems[before:]
            continue
        seen.setdefault(contact.key, contact)
        kept.append(contact)
    audience.contacts = kept


def _address(ctx: ClientCheck, w: Where, path: tuple[str | int, ...], value: str) -> str:
    """The address as vendors take it (trimmed, ASCII domain); a bad one is reported and kept as written."""
    address, why = normalise_email(value)
    if why:
        ctx.add(w, path, why)
    return address or value


def _check_contact(ctx: ClientCheck, contact: Contact, country: str | None) -> None:
    w = ctx.where(contact)
    if contact.email is not None:
        contact.email = _address(ctx, w, ("email",), contact.email)
    if contact.phone is not None:
        e164, why = normalise_phone(contact.phone, country)
        if why:
            ctx.add(w, ("phone",), why)
        else:
            contact.phone = e164
    if contact.timezone:
        why = timezone_problem(contact.timezone)
        if why:
            ctx.add(w, ("timezone",), why)
    for i, list_id in enumerate(contact.lists):
        ctx.ref(w, ("lists", i), "list", list_id, ctx.lists)
    for i, tag in enumerate(contact.tags):
        ctx.ref(w, ("tags", i), "tag", tag, ctx.tags)
    types = ctx.types
    for key, value in list(contact.fields.items()):
        if key not in types:
            ctx.ref(w, ("fields", key), "field", key, ctx.fields)  # (declared but invalid: reported already)
            continue
        kind = types[key]
        if kind == FieldType.TEXT and isinstance(value, float):
            contact.fields[key] = str(int(value)) if value.is_integer() else str(value)
        elif kind == FieldType.TEXT and isinstance(value, date):
            contact.fields[key] = value.isoformat()
        elif kind == FieldType.NUMBER and isinstance(value, str) and (number := _number(value)) is not None:
            contact.fields[key] = number  # read from a contact file, where every cell is text
        elif kind == FieldType.NUMBER and not isinstance(value, float):
            ctx.add(w, ("fields", key), f"field '{key}' is a number field; write a number like 42 (got '{value}')")
        elif kind == FieldType.DATE and not isinstance(value, date):
            try:
                contact.fields[key] = date.fromisoformat(str(value))
            except ValueError:
                ctx.add(w, ("fields", key), f"field '{key}' is a date field; write a date like 1990-05-14"
                                            f" (got {value!r})")


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


# -- campaigns ---------------------------------------------------------------------------------------


def check_campaigns(ctx: ClientCheck) -> None:
    campaigns = ctx.client.campaigns
    _duplicates(ctx, campaigns, lambda c: c.id, "campaign id", ("id",))
    _duplicates(ctx, campaigns, lambda c: c.name, "campaign name", ("name",))
    for campaign in campaigns:
        w = ctx.where(campaign)
        if campaign.audience is not None:
            ctx.ref(w, ("audience", "list"), "list", campaign.audience.list, ctx.lists)
            ctx.ref(w, ("audience", "segment"), "segment", campaign.audience.segment, ctx.segments)
        if campaign.email is not None:
            _check_email(ctx, campaign.email, w.at("email"))
        if campaign.sms is not None:
            _check_sms(ctx, campaign.sms, w.at("sms"))
        if campaign.social is not None:
            _check_social(ctx, campaign.social, w.at("social"))
        _check_schedule(ctx, campaign, w)


def _check_social(ctx: ClientCheck, social: SocialContent, w: Where) -> None:
    """What every network needs of a post; each provider counts characters its own way (`check_client`)."""
    from ..routing import accounts_for
    from ..social import is_url

    posting = accounts_for(ctx.client, Channel.SOCIAL, ctx.registry) if ctx.accounts_ok else []
    accounts = ctx.client.config.accounts
    client_file = ctx.config_where.file
    # an account whose provider is not installed is reported once, where it is declared
    known = ctx.accounts_ok and all(a.provider in ctx.registry for a in accounts.values())
    if known:
        for i, name in enumerate(social.accounts):
            if name not in posting:
                what = "does not post on social networks" if name in accounts else "is not an account of this client"
                ctx.add(w, ("accounts", i), f"'{name}' {what}; accounts that post: {', '.join(posting) or 'none'}"
                                            f" (under 'accounts:' in {client_file})")
        targeted = [n for n in posting if social.targets(n)]
        networks = {accounts[n].provider for n in targeted}
        for key in social.overrides:
            if key not in networks and key not in targeted:
                ctx.add(w, ("overrides", key), f"'{key}' is neither an account this post goes to nor its network;"
                                               f" use one of: {', '.join(sorted(networks | set(targeted))) or 'none'}")
    texts: list[tuple[tuple[str, ...], str]] = [(("text",), social.text)]
    texts += [(("overrides", k, "text"), o.text) for k, o in social.overrides.items()]
    for path, text in texts:
        personal = sorted({v.name for v in find_variables(text) if is_recipient_variable(v, ctx.fields)})
        if personal:
            ctx.add(w, path, f"a post is public, so it cannot be personalised ({', '.join(personal)}); use only"
                             " {{ brand.<key> }} variables in it")
    if social.link is not None and not is_url(social.link):
        ctx.add(w, ("link",), f"link '{social.link}' is not a web address; write it in full, like https://...")
    if social.image:
        if not is_url(social.image) and not (Path(ctx.client.dir) / social.image).is_file():
            ctx.add(w, ("image",), f"image '{social.image}' is not a file in {ctx.client.dir}; put the image there"
                                   " (the path is relative to the client's folder)")
        if not (social.alt or "").strip():
            ctx.warn(w, ("image",), "the image has no alt text, so people who use screen readers miss it; describe"
                                    " it with `alt:`")


def _check_email(ctx: ClientCheck, email: EmailContent, w: Where) -> None:
    if email.from_ is not None:
        email.from_.email = _address(ctx, w, ("from", "email"), email.from_.email)
    if email.reply_to is not None:
        email.reply_to = _address(ctx, w, ("reply_to",), email.reply_to)
    body_key = "body_html" if email.body_html else "body_markdown"
    body = email.body_html or email.body_markdown or ""
    if not any(v.name == "unsubscribe_url" for v in find_variables(body)):
        example = ('<a href="{{ unsubscribe_url }}">Unsubscribe</a>' if body_key == "body_html"
                   else "[Unsubscribe]({{ unsubscribe_url }})")
        ctx.add(w, (body_key,), f"the email body has no unsubscribe link; add {{{{ unsubscribe_url }}}} to"
                                f" '{body_key}', e.g. {example}")


def _check_sms(ctx: ClientCheck, sms: SmsContent, w: Where) -> None:
    estimated = estimate_recipient_text(sms.body, ctx.types)
    variables = [v for v in find_variables(sms.body) if is_recipient_variable(v, ctx.fields)]
    if len(estimated) > MAX_CHARACTERS:
        typical = " with per-recipient variables at a typical length" if variables else ""
        ctx.add(w, ("body",), f"the SMS body is {len(estimated):,} characters{typical}; Twilio takes at most"
                              f" {MAX_CHARACTERS:,} characters a text (it refuses longer ones with error 21617):"
                              " shorten it, or split it into two texts")
        return
    count = count_segments(estimated)
    if count.segments <= sms.max_segments:
        _check_sms_recipients(ctx, sms, w)
        return
    message = f"the SMS body is {count.describe()}, over its budget of max_segments: {sms.max_segments}"
    if count.encoding == "UCS-2":
        chars = ", ".join(describe_char(c) for c in count.ucs2_chars[:4])
        fixes = [f"{c} with {GSM_REPLACEMENTS[c]}" for c in count.ucs2_chars if c in GSM_REPLACEMENTS]
        gsm = count_segments("".join(GSM_REPLACEMENTS.get(c, c) for c in estimated))
        message += f"; it is sent as UCS-2 (70 characters per segment, not 160) because of {chars}"
        if fixes and gsm.encoding == "GSM-7":
            message += f"; replacing {', '.join(fixes)} would make it {gsm.describe()}"
    if variables:
        message += ("; per-recipient variables are counted at a typical length (first_name 10 characters,"
                    " or its default if longer)")
    message += "; shorten the text or raise max_segments"
    ctx.add(w, ("body",), message)


def _check_sms_recipients(ctx: ClientCheck, sms: SmsContent, w: Where) -> None:
    """Warn when the text, rendered for the campaign's contacts written in audience.yaml, is over budget for
    some of them (a name with an accent makes it UCS-2): the plan leaves those out. Texts of automations are
    rendered by the vendor, per recipient, and not counted here."""
    campaign = next((c for c in ctx.client.campaigns if c.sms is sms), None)
    if campaign is None:
        return
    ref = campaign.to
    segment = next((s for s in ctx.client.audience.segments if s.id == ref.segment), None)
    contacts = [c for c in ctx.client.audience.contacts
                if c.phone and c.consent.sms == ConsentStatus.SUBSCRIBED and ref.list in c.lists
                and (segment is None or matches(c, segment) is not False)]
    overrun = Overrun(sms.max_segments, sms.body)
    for c in contacts:
        values = recipient_values(c)
        overrun.add(count_segments(render(sms.body, values)), values.values())
    if overrun.recipients:
        ctx.warn(w, ("body",), f"{overrun.recipients} of {len(contacts)} contact(s) in list '{ref.list}' written in"
                               f" audience.yaml: {overrun.why()}; the plan leaves them out: {overrun.fix()}, or"
                               " shorten the text")


def _check_schedule(ctx: ClientCheck, campaign: Campaign, w: Where) -> None:
    schedule = campaign.schedule
    if schedule.mode != "at" or schedule.at is None:
        return
    tz = schedule.timezone or ctx.client.timezone
    try:
        at = schedule.at_utc(ctx.client.timezone)
    except Exception:  # an invalid client timezone is reported elsewhere
        return
    if schedule.at.tzinfo is None and not _check_wall_clock(ctx, schedule.at, tz, w):
        return
    if at is None or at > ctx.now or ctx.is_sent(ctx.client.name, campaign.id):
        return
    local_now = ctx.now.astimezone(ZoneInfo(tz))
    written = schedule.at.strftime("%Y-%m-%d %H:%M")
    ctx.add(w, ("schedule",), f"the schedule {written} ({tz}) is in the past (it is now "
                              f"{local_now:%Y-%m-%d %H:%M} there); set a future time, or use `schedule: now`"
                              " or `schedule: draft`")


def _check_wall_clock(ctx: ClientCheck, at: datetime, tz: str, w: Where) -> bool:
    """False (reported) when the local time `at` never happens in `tz` (the clocks go forward over it); a
    time that happens twice (the clocks go back) is a warning naming the one chosen."""
    zone = ZoneInfo(tz)
    # fold 0 reads a local time with the offset before a change, fold 1 with the one after (PEP 495)
    first, second = (at.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))
    if first == second:
        return True
    written = f"{at:%Y-%m-%d %H:%M}"
    if first > second:
        before, after = _clock_change(second, first, zone)
        ctx.add(w, ("schedule",), f"{written} does not exist in {tz}: the clocks go forward from"
                                  f" {before + MINUTE:%H:%M} to {after:%H:%M} that night; pick {before:%H:%M} or"
                                  f" {after:%H:%M}, the nearest times that exist")
        return False
    chosen, other = _utc_offset(first.astimezone(zone)), _utc_offset(second.astimezone(zone))
    ctx.warn(w, ("schedule",), f"{written} happens twice in {tz} (the clocks go back that night); hub sends at"
                               f" the first one, at UTC{chosen} ({first:%H:%M} UTC). To send at the second, write"
                               f" its offset: `at: {written}{other}`; writing `at: {written}{chosen}` keeps the"
                               " first and silences this warning")
    return True


MINUTE = timedelta(minutes=1)


def _clock_change(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The last local minute before the clocks change between the UTC instants start < end, and the first after."""
    offset = start.astimezone(zone).utcoffset()
    t = start
    while t + MINUTE < end and (t + MINUTE).astimezone(zone).utcoffset() == offset:
        t += MINUTE
    return t.astimezone(zone), (t + MINUTE).astimezone(zone)


def _utc_offset(moment: datetime) -> str:
    text = moment.strftime("%z")  # +0100
    return f"{text[:3]}:{text[3:5]}"


# -- automations -------------------------------------------------------------------------------------


def check_automations(ctx: ClientCheck) -> None:
    automations = ctx.client.automations
    _duplicates(ctx, automations, lambda a: a.id, "automation id", ("id",))
    _duplicates(ctx, automations, lambda a: a.name, "automation name", ("name",))
    for automation in automations:
        w = ctx.where(automation)
        _check_trigger(ctx, automation, w)
        for i, step in enumerate(automation.steps):
            sw = w.at("steps", i)
            if step.send_email is not None:
                _check_email(ctx, step.send_email, sw.at("send_email"))
            if step.send_sms is not None:
                _check_sms(ctx, step.send_sms, sw.at("send_sms"))
            if step.post_social is not None:
                _check_social(ctx, step.post_social, sw.at("post_social"))
            ctx.ref(sw, ("add_tag",), "tag", step.add_tag, ctx.tags)
            ctx.ref(sw, ("remove_tag",), "tag", step.remove_tag, ctx.tags)
            ctx.ref(sw, ("move_to_list",), "list", step.move_to_list, ctx.lists)
            if step.condition is not None:
                cw = sw.at("condition")
                ctx.ref(cw, ("tag",), "tag", step.condition.tag, ctx.tags)
                ctx.ref(cw, ("list",), "list", step.condition.list, ctx.lists)
                ctx.ref(cw, ("field",), "field", step.condition.field, ctx.fields)
        _check_flow(ctx, automation, w)
        if automation.enrol is not None:
            _check_enrol(ctx, automation, w.at("enrol"))
        if automation.run_by == "vendor" and {"email", "sms"} <= automation.channels:
            ctx.add(w, ("run_by",), "an email vendor cannot send this automation's SMS steps; leave `run_by` out (or"
                                    " write `run_by: hub`) so that hub's runner carries it out")
        if automation.run_by == "vendor" and any(s.post_social for s in automation.steps):
            ctx.add(w, ("run_by",), "no email vendor posts on social networks from an automation; leave `run_by`"
                                    " out (or write `run_by: hub`) so that hub's runner posts it")


def _check_trigger(ctx: ClientCheck, automation: Automation, w: Where) -> None:
    trigger = automation.trigger
    tw = w.at("trigger")
    ctx.ref(tw, ("joined_list",), "list", trigger.joined_list, ctx.lists)
    ctx.ref(tw, ("tag_added",), "tag", trigger.tag_added, ctx.tags)
    if trigger.anniversary is not None:
        types = ctx.types
        if trigger.anniversary not in types:  # unknown, or declared but invalid (reported already)
            ctx.ref(tw, ("anniversary",), "field", trigger.anniversary, ctx.fields)
        elif types[trigger.anniversary] != FieldType.DATE:
            dates = [k for k, t in types.items() if t == FieldType.DATE]
            ctx.add(tw, ("anniversary",), f"field '{trigger.anniversary}' is a {types[trigger.anniversary]} field;"
                                          " an anniversary needs a date field"
                                          + (f" (date fields: {', '.join(dates)})" if dates else
                                             "; declare one with `type: date` in audience.yaml"))


def _check_flow(ctx: ClientCheck, automation: Automation, w: Where) -> None:
    steps = automation.steps
    ids = [s.id or f"step-{i + 1}" for i, s in enumerate(steps)]
    index: dict[str, int] = {}
    for i, sid in enumerate(ids):
        if sid in index:
            ctx.add(w.at("steps", i), ("id",), f"duplicate step id '{sid}' (first used by step {index[sid] + 1} at"
                                                f" {w.at('steps', index[sid]).source()}); each step id must be unique")
        else:
            index[sid] = i

    def following(i: int) -> int | None:
        return i + 1 if i + 1 < len(steps) else None

    edges: dict[int, list[tuple[str, int | None]]] = {}
    for i, step in enumerate(steps):
        sw = w.at("steps", i)
        if step.exit:
            for key in ("next", "yes", "no"):
                if getattr(step, key):
                    ctx.add(sw, (key,), f"an exit step ends the automation, so '{key}' has no effect; remove it")
            edges[i] = []
            continue
        if step.condition is not None and step.next:
            ctx.add(sw, ("next",), "a condition continues with 'yes' and 'no', not 'next'; rename it to 'yes' or 'no'")
        keys = ("yes", "no") if step.condition is not None else ("next",)
        out: list[tuple[str, int | None]] = []
        for key in keys:
            target = getattr(step, key)
            if target is None:
                out.append((key, following(i)))
            elif target in index:
                out.append((key, index[target]))
            else:
                ctx.add(sw, (key,), f"'{key}' goes to unknown step '{target}'"
                                    + did_you_mean(target, ids, noun="step ids"))
        edges[i] = out
        if step.condition is not None and (step.condition.opened or step.condition.clicked):
            _check_engagement_ref(ctx, automation, i, index, edges, sw)

    # reachability from the first step
    seen, todo = {0}, [0]
    while todo:
        for _key, target in edges.get(todo.pop(), []):
            if target is not None and target not in seen:
                seen.add(target)
                todo.append(target)
    for i in range(len(steps)):
        if i not in seen:
            ctx.add(w.at("steps", i), (), f"step '{ids[i]}' is never reached: no step leads to it (a step continues"
                                          " with the next one in the list unless it sets 'next', a condition with"
                                          " 'yes'/'no', and 'exit' ends); point a 'next', 'yes' or 'no' at it, or"
                                          " remove it")

    # loops: a back edge in a depth-first walk from the first step
    state: dict[int, int] = {}  # 1 = on the stack, 2 = done
    stack: list[int] = []

    def visit(i: int) -> None:
        state[i] = 1
        stack.append(i)
        for key, target in edges.get(i, []):
            if target is None:
                continue
            if state.get(target) == 1:
                loop = [ids[j] for j in stack[stack.index(target):]] + [ids[target]]
                path = (key,) if getattr(steps[i], key, None) else ()
                ctx.add(w.at("steps", i), path, f"steps {' -> '.join(loop)} form a loop, so contacts never leave"
                                                " the automation; end it with an `exit: true` step or point"
                                                f" '{key}' at a later step")
            elif target not in state:
                visit(target)
        stack.pop()
        state[i] = 2

    if steps:
        visit(0)


def _check_engagement_ref(ctx: ClientCheck, automation: Automation, i: int, index: dict[str, int],
                          edges: dict[int, list[tuple[str, int | None]]], sw: Where) -> None:
    cond = automation.steps[i].condition
    assert cond is not None
    key = "opened" if cond.opened else "clicked"
    target = cond.opened or cond.clicked or ""
    emails = [s.id or "" for s in automation.steps if s.send_email is not None]
    if target not in index or automation.steps[index[target]].send_email is None:
        ctx.add(sw.at("condition"), (key,), f"'{key}' must name an earlier send_email step; '{target}' is not one"
                                            + did_you_mean(target, emails, noun="send_email steps"))


def _check_enrol(ctx: ClientCheck, automation: Automation, w: Where) -> None:
    enrol = automation.enrol
    assert enrol is not None
    ctx.ref(w, ("list",), "list", enrol.list, ctx.lists)
    ctx.ref(w, ("segment",), "segment", enrol.segment, ctx.segments)
    keys = {c.key for c in ctx.client.audience.contacts}
    for i, who in enumerate(enrol.contacts):
        if "@" in who:
            enrol.contacts[i] = normalise_email(who)[0] or who  # enrolled as the contact's address is pushed
            key = enrol.contacts[i].lower()
        else:
            key = normalise_phone(who, ctx.client.config.country)[0] or who
        if key not in keys:
            emails = [c.email for c in ctx.client.audience.contacts if c.email]
            ctx.add(w, ("contacts", i), f"'{who}' is not a contact in {ctx.audience_file}"
                                        + did_you_mean(who, emails, noun="contacts", show=5)
                                        + "; add the contact there first")


# -- accounts, providers, routing and merge tags --------------------------------------------------------


def check_accounts(ctx: ClientCheck) -> None:
    client = ctx.client
    cw = ctx.config_where
    installed = ctx.registry.names()
    for name, account in client.config.accounts.items():
        aw = cw.at("accounts", name)
        if account.provider not in ctx.registry:
            ctx.add(aw, ("provider",), f"provider '{account.provider}' is not installed"
                                       + did_you_mean(account.provider, installed, noun="installed providers")
                                       + ("" if installed else "; install a hub provider plugin"))
            continue
        _check_settings(ctx, name, aw)
    source = client.config.contact_source
    if source is not None and source not in client.config.accounts:
        ctx.add(cw, ("contact_source",), f"contact_source '{source}' is not one of this client's accounts"
                                         + did_you_mean(source, client.config.accounts, noun="accounts"))
    elif source is not None and client.config.accounts[source].role == "source":
        ctx.add(cw, ("contact_source",), f"contact_source '{source}' is the account this client is moving away"
                                         " from (role: source), which hub only reads; name the target account")
    _check_roles(ctx)
    consent_field = client.config.sms_consent_field
    if consent_field is not None:
        ctx.ref(cw, ("sms_consent_field",), "field", consent_field, ctx.fields)
    if all(a.provider in ctx.registry for a in client.config.accounts.values()):
        # (with an unknown provider the channels it would serve are unknown too)
        _check_routing(ctx)
        _check_merge_tags(ctx)
    for name, account in client.config.accounts.items():
        if account.provider in ctx.registry:
            provider_cls = ctx.registry.get(account.provider)
            ctx.problems.extend(provider_cls.check_client(client, name))


MIGRATION_RULE = ("while a client moves between vendors, client.yaml holds exactly two accounts with a role:"
                  " the old one with `role: source` (hub only reads its contacts and their consent: nothing is"
                  " pushed or sent there) and the new one with `role: target`, for the same channel; run"
                  " `hub migrate CLIENT --from SOURCE --to TARGET`, then remove the source and both roles")


def _check_roles(ctx: ClientCheck) -> None:
    """`role: source` / `role: target` (hub migrate): exactly one of each, serving a channel in common."""
    accounts = ctx.client.config.accounts
    roles = {name: acc.role for name, acc in accounts.items() if acc.role is not None}
    if not roles:
        return
    cw = ctx.config_where
    sources = [n for n, r in roles.items() if r == "source"]
    targets = [n for n, r in roles.items() if r == "target"]
    for kind, found in (("source", sources), ("target", targets)):
        if len(found) > 1:
            for name in found[1:]:
                ctx.add(cw.at("accounts", name), ("role",), f"accounts {', '.join(found)} all have role: {kind};"
                                                            f" {MIGRATION_RULE}")
    if not sources or not targets:
        have, lacking = ("source", "target") if sources else ("target", "source")
        for name in sources or targets:
            ctx.add(cw.at("accounts", name), ("role",), f"role: {have} without an account with role: {lacking};"
                                                        f" {MIGRATION_RULE}")
        return
    source, target = accounts[sources[0]], accounts[targets[0]]
    if source.provider in ctx.registry and target.provider in ctx.registry:
        shared = ctx.registry.get(source.provider).channels & ctx.registry.get(target.provider).channels
        if not shared:
            ctx.add(cw.at("accounts", targets[0]), ("role",),
                    f"'{targets[0]}' ({target.provider}) cannot take over from '{sources[0]}' ({source.provider}):"
                    f" they serve no channel in common; {MIGRATION_RULE}")


def _check_settings(ctx: ClientCheck, account_name: str, aw: Where) -> None:
    account = ctx.client.config.accounts[account_name]
    provider_cls = ctx.registry.get(account.provider)
    settings_cls = provider_cls.Settings
    secret_fields = set(settings_cls.secret_fields())
    values: dict[str, Any] = {}
    for key, value in (account.model_extra or {}).items():
        if key in secret_fields and value is not None:
            why = reference_problem(value)
            if why:
                line = aw.line(key)
                ctx.secret_lines.add((aw.file, line))
                ctx.add(aw, (key,), f"'{key}' is a secret and {why}; secrets never go in YAML: "
                                    + how_to_reference(ctx.client.name, account_name, key))
            values[key] = PLACEHOLDER
        else:
            values[key] = value
    try:
        settings_cls.model_validate(values)
    except ValidationError as exc:
        data = {k: v for k, v in (aw.data or {}).items() if k != "provider"}
        for problem in validation_problems(exc, Where(aw.doc, aw.base, data, aw.note), settings_cls):
            ctx.problems.append(problem if "unknown key" not in problem.message else Problem(
                problem.file, problem.line, problem.message.replace("allowed keys: ", "allowed keys: provider, ")))


def _channel_users(ctx: ClientCheck) -> dict[Channel, list[tuple[Where, tuple[str | int, ...]]]]:
    users: dict[Channel, list[tuple[Where, tuple[str | int, ...]]]] = {}
    for campaign in ctx.client.campaigns:
        for channel in campaign.channels:
            users.setdefault(channel, []).append((ctx.where(campaign), (channel.value,)))
    for automation in ctx.client.automations:
        w = ctx.where(automation)
        for i, step in enumerate(automation.steps):
            if step.send_email is not None:
                users.setdefault(Channel.EMAIL, []).append((w, ("steps", i, "send_email")))
            if step.send_sms is not None:
                users.setdefault(Channel.SMS, []).append((w, ("steps", i, "send_sms")))
            if step.post_social is not None:
                users.setdefault(Channel.SOCIAL, []).append((w, ("steps", i, "post_social")))
    return users


def _check_routing(ctx: ClientCheck) -> None:
    from ..routing import accounts_for

    client_file = ctx.config_where.file
    for channel, users in _channel_users(ctx).items():
        serving = accounts_for(ctx.client, channel, ctx.registry)
        if len(serving) > 1 and channel != Channel.SOCIAL:  # a post goes to every account that posts
            ctx.add(ctx.config_where, ("accounts",), f"accounts {', '.join(serving)} all serve {channel.value};"
                                                     f" keep one account per channel")
        elif not serving:
            able = [p.name for p in ctx.registry if channel in p.channels]
            for w, path in users:
                ctx.add(w, path, f"this sends {channel.value}, but client '{ctx.client.name}' has no account that"
                                 f" serves {channel.value}; add one under 'accounts:' in {client_file}"
                                 + (f" (installed providers for {channel.value}: {', '.join(able)})" if able else
                                    f" (no installed provider serves {channel.value})"))


def _email_texts(ctx: ClientCheck) -> Iterable[tuple[Campaign | Automation, Where, EmailContent]]:
    for campaign in ctx.client.campaigns:
        if campaign.email is not None:
            yield campaign, ctx.where(campaign).at("email"), campaign.email
    for automation in ctx.client.automations:
        for i, step in enumerate(automation.steps):
            if step.send_email is not None:
                yield automation, ctx.where(automation).at("steps", i, "send_email"), step.send_email


def _email_recipients(client: Client, item: Campaign | Automation) -> list[Contact]:
    """The contacts written in audience.yaml that an email of `item` can reach (with email consent)."""
    segments = {s.id: s for s in client.audience.segments}

    def in_segment(contact: Contact, segment: str | None) -> bool:
        # a rule only the vendor can evaluate (engagement) may let the contact in
        return segment in segments and matches(contact, segments[segment]) is not False

    enrolled = set(client.enrolled(item)) if isinstance(item, Automation) else set()

    def reached(contact: Contact) -> bool:
        if isinstance(item, Campaign):
            ref = item.to
            return ref.list in contact.lists and (ref.segment is None or in_segment(contact, ref.segment))
        trigger = item.trigger
        if trigger.joined_list or trigger.tag_added:
            enters = trigger.joined_list in contact.lists or trigger.tag_added in contact.tags
        elif trigger.anniversary:
            enters = contact.fields.get(trigger.anniversary) not in (None, "")
        else:
            enters = True  # an event or a keyword can come from anyone
        segment = item.enrol.segment if item.enrol else None
        return enters or (contact.email or "").lower() in enrolled or in_segment(contact, segment)

    return [c for c in client.audience.contacts if c.email and c.consent.email.sendable and reached(c)]


def _lacking(contacts: list[Contact], var: Variable) -> list[Contact]:
    def value(contact: Contact) -> object:
        return contact.fields.get(var.key) if var.namespace == "fields" else getattr(contact, var.name, None)

    return [c for c in contacts if value(c) in (None, "")]


def _as_read(text: str, var: Variable) -> str:
    """The line of `text` around `var` as a recipient without a value would read it."""
    start = text.rfind("\n", 0, var.start) + 1
    end = text.find("\n", var.end)
    line = text[start:var.start] + text[var.end:end if end >= 0 else len(text)]
    line = " ".join(re.sub(r"<[^>]+>", "", line).split())
    return line if len(line) <= 60 else line[:57] + "..."


def _check_merge_tags(ctx: ClientCheck) -> None:
    from ..routing import accounts_for

    serving = accounts_for(ctx.client, Channel.EMAIL, ctx.registry)
    if len(serving) != 1:
        return
    account = serving[0]
    provider_cls = ctx.registry.get(ctx.client.config.accounts[account].provider)
    translator = provider_cls.merge_tags(ctx.client)
    if translator is None:
        return
    field_keys = ctx.fields
    candidates = [Variable(n, None, 0, 0) for n in (*CONTACT_VARIABLES, *LINK_VARIABLES)]
    candidates += [Variable(f"fields.{k}", None, 0, 0) for k in sorted(field_keys)]
    supported = [v.name for v in candidates if translator.tag(v) is not None]
    label = provider_cls.display_name or provider_cls.name
    recipients: dict[int, list[Contact]] = {}
    for item, w, email in _email_texts(ctx):
        for key in EMAIL_TEXT_KEYS:
            text = getattr(email, key)
            if not text:
                continue
            for var in find_variables(text):
                if not is_recipient_variable(var, field_keys):
                    continue
                line = w.text_line((key,), var.start, text)
                if translator.tag(var) is not None:
                    if var.default is None and var.name not in LINK_VARIABLES and not translator.carries_default(var):
                        if id(item) not in recipients:
                            recipients[id(item)] = _email_recipients(ctx.client, item)
                        _check_blank(ctx, w, (key, line), text, var, f"{label} (account '{account}')",
                                     recipients[id(item)])
                    continue
                if var.default is not None and translator.tag(Variable(var.name, None, 0, 0)) is not None:
                    ctx.add(w, (key,), f"{label} (account '{account}') cannot fall back to a default when"
                                       f" '{var.name}' is empty; remove `| default(\"{var.default}\")`, or fill"
                                       f" '{var.name}' for every contact", line=line)
                    continue
                hint = close_matches(var.name, supported)
                ctx.add(w, (key,), f"{label} (account '{account}') has no merge tag for '{{{{ {var.name} }}}}';"
                                   + (f" did you mean '{hint[0]}'?" if hint else "")
                                   + f" it can personalise: {', '.join(supported) or 'nothing'}", line=line)


def _check_blank(ctx: ClientCheck, w: Where, at: tuple[str, int], text: str, var: Variable, vendor: str,
                 reached: list[Contact]) -> None:
    """`var` (at key and line `at`) is left blank by a vendor without fallbacks for contacts without a value."""
    lacking = _lacking(reached, var)
    if not lacking:
        return
    what = f"value for {var.key}" if var.namespace == "fields" else var.name
    shown = ", ".join(c.email or c.key for c in lacking[:3]) + (", ..." if len(lacking) > 3 else "")
    total = f"{len(reached)} contact{'s' if len(reached) != 1 else ''}"
    key, line = at
    ctx.add(w, (key,), f"{vendor} cannot fall back to a default, and {len(lacking)} of the {total} it goes to"
                       f" {'has' if len(lacking) == 1 else 'have'} no {what} ({shown}), so they would read"
                       f" '{_as_read(text, var)}'; write it without '{{{{ {var.name} }}}}' (or with a field every"
                       f" contact has), or give every contact a {what} in {ctx.audience_file}", line=line)


def utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo else now.replace(tzinfo=UTC)
