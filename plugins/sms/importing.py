"""`hub import` for Twilio: Studio Flows back into SMS-only automations (pure; api.py reads, this translates).

A flow is written as an automation only when compiling that automation gives the flow back exactly (what
hub made, or a flow built by hand of the same widgets): the next plan then finds nothing to change. Any other
flow is kept beside, as its JSON definition, for the user to rewrite as YAML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from hub.plugin import Automation, slugify, unique_id

from .mapping import DEFAULT_REPLY_TIMEOUT, compile_flow

_LIQUID_RE = re.compile(r"\{\{flow\.data\.(?P<key>\w+)(?: \| default: '(?P<default>[^']*)')?\}\}")
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
END = "end"


def neutral_text(text: str) -> str:
    """`{{flow.data.first_name | default: 'friend'}}` -> `{{ first_name | default("friend") }}`."""

    def one(mt: re.Match[str]) -> str:
        key = mt["key"]
        var = "fields." + key.removeprefix("fields_") if key.startswith("fields_") else key
        default = f' | default("{mt["default"]}")' if mt["default"] is not None else ""
        return "{{ " + var + default + " }}"

    return _LIQUID_RE.sub(one, text or "")


def _next(state: Mapping[str, Any], event: str) -> str | None:
    return next((t.get("next") for t in state.get("transitions") or [] if t.get("event") == event), None)


def _match(state: Mapping[str, Any]) -> tuple[list[str], str | None]:
    """A split's words and where a match goes."""
    for t in state.get("transitions") or []:
        if t.get("event") == "match":
            words = [w for c in t.get("conditions") or [] for w in str(c.get("value") or "").split(",") if w]
            return words, t.get("next")
    return [], None


def _wait(seconds: int) -> dict[str, int]:
    minutes = seconds // 60
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    return {k: v for k, v in (("days", days), ("hours", hours), ("minutes", minutes)) if v}


def automation_from_flow(name: str, definition: Mapping[str, Any], taken: set[str]) -> dict[str, Any] | None:
    """The SMS-only automation whose flow `definition` is, or None when hub's widgets cannot say it exactly."""
    states = {s.get("name"): s for s in definition.get("states") or []}
    trigger = states.get("Trigger")
    if trigger is None:
        return None
    incoming = _next(trigger, "incomingMessage")
    keyword = states.get(incoming) if incoming == "keyword" else None
    if keyword is not None:
        words, first = _match(keyword)
        if len(words) != 1:
            return None
        trig: dict[str, Any] = {"sms_keyword": words[0]}
    else:
        first = _next(trigger, "incomingRequest")
        trig = {"event": slugify(name, "flow")}
    steps: list[dict[str, Any]] = []
    seen: set[str] = set()
    pending = [first]
    while pending:
        at = pending.pop(0)
        if at is None or at in seen:
            continue
        seen.add(at)
        state = states.get(at)
        if state is None or not _SLUG_RE.match(at) or at == END:
            return None
        props = state.get("properties") or {}
        sms: dict[str, Any] = {"body": neutral_text(str(props.get("body") or ""))}
        if props.get("media_url"):
            sms["media"] = [props["media_url"]]
        if state.get("type") == "send-message":
            nxt = _next(state, "sent")
            steps.append({"id": at, "send_sms": sms, "next": nxt or END})
            pending.append(nxt)
        elif state.get("type") == "send-and-wait-for-reply":
            split_name = _next(state, "incomingMessage")
            split = states.get(split_name)
            if split is None or split.get("type") != "split-based-on" or not _SLUG_RE.match(str(split_name)):
                return None
            words, yes = _match(split)
            no = _next(split, "noMatch")
            steps.append({"id": at, "send_sms": sms})
            timeout = int(props.get("timeout") or DEFAULT_REPLY_TIMEOUT)
            if timeout != DEFAULT_REPLY_TIMEOUT:
                steps.append({"id": f"{at}-wait", "wait": _wait(timeout)})
            steps.append({"id": split_name, "condition": {"replied": words}, "yes": yes or END, "no": no or END})
            seen.add(str(split_name))
            pending += [yes, no]
        else:
            return None
    if not steps:
        return None
    steps.append({"id": END, "exit": True})
    data = {"id": unique_id(name, taken, fallback="flow"), "name": name, "trigger": trig, "steps": steps}
    try:
        compiled, problems = compile_flow(Automation.model_validate(data))
    except ValidationError:
        return None
    return data if not problems and compiled == dict(definition) else None




def definition_path(name: str) -> str:
    """Where a flow hub cannot write as YAML is kept, in the client's folder."""
    return f"automations/{slugify(name, 'flow')}.studio.json"
