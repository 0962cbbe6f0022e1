"""Compiling an SMS-only hub automation into a Twilio Studio Flow definition (pure; no I/O).

Widgets used (../shared/vendors/mailchimp-twilio.md §3.8): `trigger`, `send-message`,
`send-and-wait-for-reply` (a text, then a wait for the reply, bounded by the hub `wait` that follows it)
and `split-based-on` (a hub `condition: {replied: [...]}` on that reply). Contacts' details reach the flow
as execution parameters: `{{ first_name }}` becomes `{{flow.data.first_name}}`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from hub.plugin import CONTACT_VARIABLES, Automation, MergeTagTranslator, Step, Variable

DEFAULT_REPLY_TIMEOUT = 3600  # seconds to wait for a reply when no `wait` says otherwise


class StudioLiquid(MergeTagTranslator):
    """Neutral variables as Liquid over the execution's parameters."""

    def tag(self, var: Variable) -> str | None:
        if var.namespace == "fields":
            key = f"fields_{var.key}"
        elif not var.namespace and var.name in CONTACT_VARIABLES:
            key = var.name
        else:
            return None  # links (unsubscribe_url) mean nothing in a text
        default = f" | default: '{var.default.replace(chr(39), '')}'" if var.default is not None else ""
        return "{{flow.data." + key + default + "}}"


def flow_parameters(values: dict[str, Any]) -> dict[str, Any]:
    """Execution parameters for one contact (`fields.x` travels as `fields_x`); Twilio takes them as JSON, so
    dates travel as ISO text."""
    return {k.replace("fields.", "fields_"): v.isoformat() if isinstance(v, date) else v
            for k, v in values.items() if v not in (None, "")}


def widget_name(step_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", step_id)


def compile_flow(automation: Automation) -> tuple[dict[str, Any], list[str]]:
    """The flow definition, and what could not be expressed in Studio (empty when exact)."""
    steps = automation.steps
    index = {s.id: i for i, s in enumerate(steps)}
    liquid = StudioLiquid()
    problems: list[str] = []
    states: list[dict[str, Any]] = []

    def target(i: int) -> str | None:
        """Widget name of step i (None past the end or at an exit: the flow ends)."""
        if i >= len(steps) or steps[i].exit:
            return None
        return widget_name(steps[i].id or "")

    def after(i: int, step: Step) -> str | None:
        return target(index[step.next]) if step.next else target(i + 1)

    first = target(0)
    trigger = automation.trigger
    transitions = [goto_event("incomingMessage", first if not trigger.sms_keyword else "keyword"),
                   goto_event("incomingCall", None), goto_event("incomingRequest", first),
                   goto_event("incomingParent", None)]
    states.append({"name": "Trigger", "type": "trigger", "properties": {"offset": {"x": 0, "y": 0}},
                   "transitions": transitions})
    if trigger.sms_keyword:
        states.append(_split("keyword", "{{trigger.message.Body}}", [trigger.sms_keyword], first, None))

    consumed: set[int] = set()
    for i, step in enumerate(steps):
        if i in consumed or step.exit:
            continue
        name = widget_name(step.id or "")
        if step.send_sms:
            body = liquid.translate(step.send_sms.body)[0]
            j, timeout = i + 1, DEFAULT_REPLY_TIMEOUT
            wait = steps[j].wait if j < len(steps) else None
            if wait and not wait.until_weekday and not wait.until_time:
                timeout, j = wait.total_minutes * 60, j + 1
            cond = steps[j] if j < len(steps) else None
            if cond is not None and cond.condition and cond.condition.replied:
                consumed.update(range(i + 1, j + 1))
                yes = target(index[cond.yes]) if cond.yes else target(j + 1)
                no = target(index[cond.no]) if cond.no else target(j + 1)
                split = widget_name(cond.id or "")
                props = {"from": "{{flow.channel.address}}", "body": body, "timeout": str(timeout)}
                if step.send_sms.media:
                    props["media_url"] = step.send_sms.media[0]
                states.append({"name": name, "type": "send-and-wait-for-reply", "properties": props,
                               "transitions": [goto_event("incomingMessage", split), goto_event("timeout", no),
                                               goto_event("deliveryFailure", None)]})
                states.append(_split(split, "{{widgets." + name + ".inbound.Body}}", cond.condition.replied, yes, no))
                continue
            props = {"from": "{{flow.channel.address}}", "to": "{{contact.channel.address}}", "body": body}
            if step.send_sms.media:
                props["media_url"] = step.send_sms.media[0]
            states.append({"name": name, "type": "send-message", "properties": props,
                           "transitions": [goto_event("sent", after(i, step)), goto_event("failed", None)]})
        elif step.wait:
            problems.append(f"step '{step.id}': Studio has no delay widget; a wait belongs between a text and a"
                            " `condition: {replied: [...]}` (it becomes how long the flow waits for the reply)")
        elif step.condition:
            problems.append(f"step '{step.id}': in a Studio flow a condition must be `replied: [...]` right after"
                            " a text (and its optional wait)")
        else:
            problems.append(f"step '{step.id}': {step.action.replace('_', ' ')} has no Studio widget hub uses")
    definition = {"description": automation.name, "initial_state": "Trigger",
                  "flags": {"allow_concurrent_calls": True}, "states": states}
    return definition, problems


def _split(name: str, source: str, words: list[str], yes: str | None, no: str | None) -> dict[str, Any]:
    condition = {"friendly_name": f"replied {' or '.join(words)}", "arguments": [source],
                 "type": "matches_any_of", "value": ",".join(words)}
    return {"name": name, "type": "split-based-on", "properties": {"input": source},
            "transitions": [goto_event("noMatch", no), {**goto_event("match", yes), "conditions": [condition]}]}


def goto_event(event: str, nxt: str | None) -> dict[str, Any]:
    return {"event": event, **({"next": nxt} if nxt else {})}
