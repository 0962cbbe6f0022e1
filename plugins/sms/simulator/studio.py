"""Studio v2: Flows (with revisions and validation), Executions, their Steps and Contexts, and a small
interpreter that runs an SMS flow on the simulated clock.

The interpreter starts at ``initial_state`` with the trigger's ``incomingRequest`` event and follows
transitions until one has no ``next`` (the execution ends):

- ``send-message`` creates an outbound message (``from`` defaults to the execution's From, a number or a
  Messaging Service SID; ``to`` to the contact) → ``sent``, or ``failed`` when the API would refuse it;
- ``send-and-wait-for-reply`` sends, then waits for `inbound` from the contact to the flow's channel
  (``incomingMessage``; the reply is ``widgets.<name>.inbound.Body``) or ``timeout`` seconds of
  simulated time (``timeout``); a refused send → ``deliveryFailure``;
- ``split-based-on`` renders ``input`` and takes the first ``match`` transition whose conditions all hold
  (case-insensitive, see `CONDITIONS`; ``regex`` is not), else ``noMatch``;
- ``set-variables`` stores rendered values under ``flow.variables`` → ``next``;
- ``make-http-request`` makes no request and answers ``success`` with an empty 200 body.

Liquid is reduced to ``{{ dotted.path }}`` lookups into the execution context (filters are ignored).
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable
from math import inf
from typing import Any

from hub.simulator import Abort, Row, SimRequest, route
from hub.simulator.store import Collection, Missing

from .accounts import State
from .messages import TwilioMessages
from .shapes import Form, fail, first, invalid, iso8601, missing_param, parse_datetime, public, required

FLOWS = Collection("flows", model="Flow", key="sid", render="render_flow")
EXECUTIONS = Collection("executions", model="Execution", key="sid", index=("flow_sid", "contact_channel_address"),
                        render="render_execution_with_steps")
STEPS = Collection("_steps", model="Step", key="sid")  # in an execution
WIDGET_TYPES = frozenset(
    {"trigger", "send-message", "send-and-wait-for-reply", "split-based-on", "set-variables", "make-http-request"})
SENDING = ("send-message", "send-and-wait-for-reply")
MAX_STEPS_PER_RUN = 1000
DEFAULT_REPLY_TIMEOUT = 3600.0
_LIQUID = re.compile(r"\{\{\s*([^}|\s]+)\s*(?:\|[^}]*)?\}\}")
FLOW = "/v2/Flows/{FlowSid}"
EXECUTION = FLOW + "/Executions/{ExecutionSid}"


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(op: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    return lambda v, t: (a := _number(v)) is not None and (b := _number(t)) is not None and op(a, b)


CONDITIONS: dict[str, Callable[[str, str], bool]] = {  # (input, value), both trimmed and lower-cased
    "equal_to": operator.eq, "not_equal_to": operator.ne, "starts_with": str.startswith,
    "contains": lambda v, t: t in v, "does_not_contain": lambda v, t: t not in v,
    "matches_any_of": lambda v, t: v in {o.strip() for o in t.split(",")},
    "does_not_match_any_of": lambda v, t: v not in {o.strip() for o in t.split(",")},
    "is_blank": lambda v, t: not v, "is_not_blank": lambda v, t: bool(v),
    "greater_than": _compare(operator.gt), "less_than": _compare(operator.lt),
    "regex": lambda v, t: False,  # see condition_holds: it searches the raw input
}


def validate_definition(definition: Any) -> list[dict[str, str]]:
    """Studio-style validation errors (``{message, property_path}``) of a flow definition; [] when valid.
    It checks what Studio's error 81022 names (a non-empty ``states`` list, unique widget names, known widget
    types, an ``initial_state`` that exists, transitions to existing widgets) and the properties the
    interpreted widgets need. Only the six widget types the interpreter runs are known."""
    errors: list[dict[str, str]] = []

    def error(path: str, message: str) -> None:
        errors.append({"message": message, "property_path": path})

    if not isinstance(definition, dict):
        return [{"message": "The flow definition must be a JSON object", "property_path": "#"}]
    states = definition.get("states")
    if not isinstance(states, list) or not states:
        error("#/states", "states must be a non-empty array of widgets")
        states = []
    elif len(states) > 1000:
        error("#/states", "a flow can have at most 1000 widgets")
    names: set[str] = set()
    for i, state in enumerate(states):
        if not isinstance(state, dict):
            error(f"#/states/{i}", "a widget must be a JSON object")
            continue
        name, kind, props = state.get("name"), state.get("type"), state.get("properties", {})
        if not isinstance(name, str) or not name:
            error(f"#/states/{i}/name", "widget name is required")
        elif name in names:
            error(f"#/states/{i}/name", f"Widget name '{name}' is not unique")
        else:
            names.add(name)
        ok = isinstance(props, dict)
        props = props if ok else {}
        for bad, where, message in (
            (kind not in WIDGET_TYPES, "type", f"Unknown widget type {kind!r}"),
            (not ok, "properties", "properties must be a JSON object"),
            (kind in SENDING and not (props.get("body") or props.get("media_url")), "properties/body",
             f"{kind} widget '{name}' needs a body"),
            (kind == "split-based-on" and not isinstance(props.get("input"), str), "properties/input",
             f"split-based-on widget '{name}' needs an input"),
            (kind == "send-and-wait-for-reply" and "timeout" in props and _number(props["timeout"]) is None,
             "properties/timeout", "timeout must be a number of seconds"),
            (not isinstance(state.get("transitions", []), list), "transitions", "transitions must be an array"),
        ):
            if bad:
                error(f"#/states/{i}/{where}", message)
    for i, state in enumerate(states):
        transitions = state.get("transitions", []) if isinstance(state, dict) else None
        for j, transition in enumerate(transitions if isinstance(transitions, list) else []):
            at = f"#/states/{i}/transitions/{j}"
            if not isinstance(transition, dict) or not isinstance(transition.get("event"), str):
                error(f"{at}/event", "a transition needs an event")
                continue
            if transition.get("next") not in (None, "") and transition.get("next") not in names:
                error(f"{at}/next", f"Transition to unknown widget '{transition['next']}'")
            if state.get("type") != "split-based-on" or transition["event"] != "match":
                continue
            conditions = transition.get("conditions")
            if not isinstance(conditions, list) or not conditions:
                error(f"{at}/conditions", "a match transition needs conditions")
                continue
            for k, cond in enumerate(conditions):
                if not isinstance(cond, dict) or cond.get("type") not in CONDITIONS:
                    kind = cond.get("type") if isinstance(cond, dict) else cond
                    error(f"{at}/conditions/{k}/type", f"Unknown condition type {kind!r}")
    initial = definition.get("initial_state")
    if not isinstance(initial, str) or not initial:
        error("#/initial_state", "initial_state is required")
    elif initial not in names:
        error("#/initial_state", f"initial_state '{initial}' is not a widget of the flow")
    return errors


def parse_definition(raw: str) -> tuple[Any, list[dict[str, str]]]:
    try:
        definition = json.loads(raw)
    except ValueError as exc:
        return None, [{"message": f"Definition is not valid JSON: {exc}", "property_path": "#"}]
    return definition, validate_definition(definition)


def lookup(context: Any, path: str) -> Any:
    value = context
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def render(template: Any, context: dict[str, Any]) -> str:
    """``{{ a.b.c }}`` replaced by the context value (objects as JSON, missing as "")."""

    def one(match: re.Match[str]) -> str:
        value = lookup(context, match.group(1))
        if isinstance(value, bool):
            return "true" if value else "false"
        return "" if value is None else json.dumps(value) if isinstance(value, dict | list) else str(value)

    return "" if template is None else _LIQUID.sub(one, str(template))


def condition_holds(value: str, condition: dict[str, Any], context: dict[str, Any]) -> bool:
    kind, target = condition.get("type"), render(condition.get("value", ""), context)
    if kind == "regex":
        try:
            return re.search(target, value) is not None
        except re.error:
            return False
    test = CONDITIONS.get(str(kind))
    return test is not None and bool(test(value.strip().lower(), target.strip().lower()))


def _invalid_flow(errors: list[dict[str, str]]) -> Abort:
    return fail(400, 81022, details={"errors": errors, "warnings": []})


class TwilioStudio(TwilioMessages):
    """Flows, executions and the flow interpreter."""

    # -- flows

    def _url(self, path: str) -> str:
        return self.domain_url("studio") + path

    def render_flow(self, st: State, flow: Row) -> Row:
        url = self._url(f"/v2/Flows/{flow['sid']}")
        return {**public(flow), "date_created": iso8601(flow["_created"]), "date_updated": iso8601(flow["_updated"]),
                "webhook_url": f"https://webhooks.twilio.com/v1/Accounts/{flow['account_sid']}/Flows/{flow['sid']}",
                "url": url, "links": {k: f"{url}/{k.title().replace('_', '')}"
                                      for k in ("test_users", "revisions", "executions")}}

    def render_revision(self, flow: Row, revision: Row) -> Row:
        return {**public(revision), "sid": flow["sid"], "account_sid": flow["account_sid"], "author_sid": None,
                "date_created": iso8601(revision["_created"]), "date_updated": iso8601(revision["_created"]),
                "url": self._url(f"/v2/Flows/{flow['sid']}/Revisions/{revision['revision']}")}

    def _flow_params(self, form: Form, *, create: bool) -> dict[str, Any]:
        """FriendlyName/Status/Definition/CommitMessage, checked; raises 81022 for an invalid definition
        that is to be published (a draft may be saved invalid, with its errors listed)."""
        required(form, *(("FriendlyName", "Status", "Definition") if create else ("Status",)))
        status = first(form, "Status")
        if status not in ("draft", "published"):
            raise invalid("Status", status, " (draft or published)")
        name = first(form, "FriendlyName")
        out: dict[str, Any] = {"status": status, "commit_message": first(form, "CommitMessage") or None,
                               **({"friendly_name": name} if name else {})}
        if raw := first(form, "Definition"):
            definition, errors = parse_definition(raw)
            if definition is None or (errors and status == "published"):
                raise _invalid_flow(errors)
            out.update(definition=definition, errors=errors, valid=not errors)
        return out

    def _add_revision(self, flow: Row) -> None:
        fields = ("friendly_name", "definition", "status", "revision", "commit_message", "valid", "errors")
        flow["_revisions"].append({**{k: flow[k] for k in fields}, "_created": self._stamp()})

    def _flow(self, req: SimRequest) -> tuple[str, State, Row]:
        account, st = self._account_of(req)
        return account, st, FLOWS.table(st).require(req.params["FlowSid"])

    @route("POST", "/v2/Flows")
    def create_flow(self, req: SimRequest) -> Any:
        account, st = self._account_of(req)
        params = self._flow_params(req.form(), create=True)
        flow = FLOWS.table(st).insert({
            "sid": self._new_sid("FW", account), "account_sid": account, "author_sid": None, "revision": 1, **params,
            "warnings": [], "_created": self._stamp(), "_updated": None, "_revisions": [], "_test_users": []})
        self._add_revision(flow)
        return 201, self.render_flow(st, flow)

    @route("POST", "/v2/Flows/Validate")
    def validate_flow(self, req: SimRequest) -> Any:
        self._account_of(req)
        definition, errors = parse_definition(required(req.form(), "FriendlyName", "Status", "Definition")[2])
        if definition is None or errors:
            raise _invalid_flow(errors)
        return {"valid": True}

    @route("GET", "/v2/Flows")
    def list_flows(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        return self._page(req, "flows", list(FLOWS.table(st).values()), lambda f: self.render_flow(st, f))

    @route("GET", FLOW)
    @route("POST", FLOW)
    @route("DELETE", FLOW)
    def handle_flow(self, req: SimRequest) -> Any:
        _, st, flow = self._flow(req)
        if req.method == "DELETE":
            for ex in EXECUTIONS.table(st).where("flow_sid", flow["sid"]):
                del EXECUTIONS.table(st)[ex["sid"]]
            del FLOWS.table(st)[flow["sid"]]
            return None
        if req.method == "POST":
            params = self._flow_params(req.form(), create=False)
            if "definition" not in params and params["status"] == "published" and not flow["valid"]:
                raise _invalid_flow(flow["errors"])
            flow.update(params, revision=flow["revision"] + 1, _updated=self._stamp())
            self._add_revision(flow)
        return self.render_flow(st, flow)

    @route("GET", FLOW + "/Revisions")
    def list_revisions(self, req: SimRequest) -> Any:
        _, _, flow = self._flow(req)
        return self._page(req, "revisions", flow["_revisions"][::-1], lambda r: self.render_revision(flow, r),
                          sid_of=lambda r: str(r["revision"]))

    @route("GET", FLOW + "/Revisions/{Revision}")
    def fetch_revision(self, req: SimRequest) -> Any:
        _, _, flow = self._flow(req)
        wanted, revisions = req.params["Revision"], flow["_revisions"]
        found = (revisions[-1] if wanted == "LatestRevision" else _published(revisions) if wanted == "LatestPublished"
                 else revisions[int(wanted) - 1] if wanted.isdigit() and 1 <= int(wanted) <= len(revisions) else None)
        if found is None:
            raise Missing("Revision", wanted)
        return self.render_revision(flow, found)

    @route("GET", FLOW + "/TestUsers")
    @route("POST", FLOW + "/TestUsers")
    def test_users(self, req: SimRequest) -> Any:
        _, _, flow = self._flow(req)
        if req.method == "POST":
            form = req.form()
            if "TestUsers" not in form:
                raise missing_param("TestUsers")
            flow["_test_users"] = [u for u in form["TestUsers"] if u]
        return {"sid": flow["sid"], "test_users": list(flow["_test_users"]), "url": self._url(req.path)}

    # -- executions

    def render_execution(self, st: State, ex: Row) -> Row:
        url = self._url(f"/v2/Flows/{ex['flow_sid']}/Executions/{ex['sid']}")
        return {**public(ex), "date_created": iso8601(ex["_created"]), "date_updated": iso8601(ex["_updated"]),
                "url": url, "links": {"steps": f"{url}/Steps", "execution_context": f"{url}/Context"}}

    def render_execution_with_steps(self, st: State, ex: Row) -> Row:
        return {**self.render_execution(st, ex), "steps": [self.render_step(ex, s) for s in STEPS.table(ex).values()]}

    def render_step(self, ex: Row, step: Row) -> Row:
        url = self._url(f"/v2/Flows/{ex['flow_sid']}/Executions/{ex['sid']}/Steps/{step['sid']}")
        return {**public(step), "date_created": iso8601(step["_created"]), "date_updated": None, "url": url,
                "links": {"step_context": f"{url}/Context"}}

    def _execution(self, req: SimRequest) -> tuple[State, Row, Row]:
        _, st, flow = self._flow(req)
        ex = EXECUTIONS.table(st).require(req.params["ExecutionSid"])
        if ex["flow_sid"] != flow["sid"]:
            raise Missing("Execution", ex["sid"])
        return st, flow, ex

    @route("POST", FLOW + "/Executions")
    def create_execution(self, req: SimRequest) -> Any:
        account, st, flow = self._flow(req)
        form = req.form()
        to, from_ = required(form, "To", "From")
        params: Any = {}
        if raw := first(form, "Parameters"):
            try:
                params = json.loads(raw)
            except ValueError:
                raise invalid("Parameters", raw, ": not valid JSON") from None
            if not isinstance(params, dict):
                raise fail(400, 20001, "Invalid parameter Parameters: must be a JSON object")
        executions = EXECUTIONS.table(st)
        if active := executions.rows(("contact_channel_address", to), ("flow_sid", flow["sid"]), ("status", "active")):
            raise fail(409, 20409, f"Execution {active[0]['sid']} is already active for contact {to}")
        revision = _published(flow["_revisions"]) or flow["_revisions"][-1]
        if not revision["valid"]:
            raise _invalid_flow(revision["errors"])
        sid = self._new_sid("FN", account)
        ex = executions.insert({
            "sid": sid, "account_sid": account, "flow_sid": flow["sid"], "contact_channel_address": to,
            "contact_sid": self._new_sid("FC", account), "flow_version": revision["revision"], "status": "active",
            "context": {
                "flow": {"flow_sid": flow["sid"], "sid": sid, "channel": {"address": from_}, "data": params,
                         "variables": {}},
                "contact": {"channel": {"address": to}},
                "trigger": {"request": {"from": from_, "to": to, "parameters": params}},
                "widgets": {},
            },
            "initiated_by": account, "_created": self._stamp(), "_updated": self._stamp(), "_waiting": None,
            "_channel": from_})
        self._run_from(account, st, ex, revision["definition"]["initial_state"])
        return 201, self.render_execution(st, ex)

    @route("GET", FLOW + "/Executions")
    def list_executions(self, req: SimRequest) -> Any:
        _, st, flow = self._flow(req)
        filters = [(k, v) for k in ("DateCreatedFrom", "DateCreatedTo") if (v := req.arg(k))]
        low, high = -inf, inf
        for name, value in filters:
            if (epoch := parse_datetime(value)) is None:
                raise invalid(name, value)
            low, high = (epoch, high) if name == "DateCreatedFrom" else (low, epoch)
        rows = EXECUTIONS.table(st).where("flow_sid", flow["sid"])
        items = [e for e in reversed(rows) if low <= e["_created"] <= high]
        return self._page(req, "executions", items, lambda e: self.render_execution(st, e), filters=filters)

    @route("GET", EXECUTION)
    @route("POST", EXECUTION)
    @route("DELETE", EXECUTION)
    def handle_execution(self, req: SimRequest) -> Any:
        st, _, ex = self._execution(req)
        if req.method == "DELETE":
            del EXECUTIONS.table(st)[ex["sid"]]
            return None
        if req.method == "POST":
            [status] = required(req.form(), "Status")
            if status != "ended":
                raise invalid("Status", status, " (only 'ended' is allowed)")
            self._end_execution(ex)
        return self.render_execution(st, ex)

    @route("GET", EXECUTION + "/Steps")
    @route("GET", EXECUTION + "/Steps/{StepSid}")
    def steps(self, req: SimRequest) -> Any:
        _, _, ex = self._execution(req)
        if "StepSid" in req.params:
            return self.render_step(ex, STEPS.table(ex).require(req.params["StepSid"]))
        return self._page(req, "steps", list(STEPS.table(ex).values()), lambda s: self.render_step(ex, s))

    @route("GET", EXECUTION + "/Context")
    @route("GET", EXECUTION + "/Steps/{StepSid}/Context")
    def fetch_context(self, req: SimRequest) -> Any:
        _, flow, ex = self._execution(req)
        step = STEPS.table(ex).require(req.params["StepSid"]) if "StepSid" in req.params else None
        return {"account_sid": ex["account_sid"], "context": (step or ex)["context"], "flow_sid": flow["sid"],
                "execution_sid": ex["sid"], **({"step_sid": step["sid"]} if step else {}), "url": self._url(req.path)}

    # -- the interpreter

    def _states(self, st: State, ex: Row) -> dict[str, Row]:
        definition = FLOWS.table(st)[ex["flow_sid"]]["_revisions"][ex["flow_version"] - 1]["definition"]
        return {s["name"]: s for s in definition["states"]}

    def _end_execution(self, ex: Row) -> None:
        ex.update(status="ended", _waiting=None, _updated=self._stamp())

    def _follow(self, account: str, st: State, ex: Row, name: str, event: str, widget_context: Row | None,
                transition: Row | None = None) -> str | None:
        """Leave widget `name` by `event`: record the step, return the next widget (None: ended)."""
        states = self._states(st, ex)
        state = states[name]
        if widget_context is not None:
            ex["context"]["widgets"][name] = widget_context
        if transition is None:
            transition = next((t for t in state.get("transitions", []) if t.get("event") == event), None)
        target = (transition or {}).get("next") or None
        target = target if target in states else None
        steps = STEPS.table(ex)
        steps.insert({
            "sid": self._new_sid("FT", account), "account_sid": account, "flow_sid": ex["flow_sid"],
            "execution_sid": ex["sid"], "parent_step_sid": next(reversed(steps), None), "name": event,
            "context": widget_context or {}, "transitioned_from": name, "transitioned_to": target or "Ended",
            "type": state.get("type"), "_created": self._stamp()})
        ex["_updated"] = self._stamp()
        if target is None:
            self._end_execution(ex)
        return target

    def _run_from(self, account: str, st: State, ex: Row, name: str | None) -> None:
        states = self._states(st, ex)
        for _ in range(MAX_STEPS_PER_RUN):
            if name is None or ex["status"] != "active":
                return
            outcome = self._run_widget(account, st, ex, states[name])
            if outcome is None:  # waiting for a reply
                return
            name = self._follow(account, st, ex, name, *outcome)
        self._end_execution(ex)  # a loop that never waits: stop it

    def _send_from_widget(self, account: str, st: State, ex: Row, props: Row) -> tuple[bool, Row]:
        context = ex["context"]
        sender = render(props.get("from") or "{{flow.channel.address}}", context)
        form = {"To": [render(props.get("to") or "{{contact.channel.address}}", context)],
                "Body": [render(props.get("body", ""), context)],
                "MessagingServiceSid" if sender.startswith("MG") else "From": [sender]}
        if props.get("media_url"):
            form["MediaUrl"] = [render(props["media_url"], context)]
        try:
            msg = self._send_message(account, st, form)
        except Abort as abort:
            body = abort.response.body if isinstance(abort.response.body, dict) else {}
            return False, {"status": "failed", "error_code": body.get("code"), "error_message": body.get("message")}
        return True, {"sid": msg["sid"], "status": msg["status"], "to": msg["to"], "from": msg["from"] or sender,
                      "body": msg["body"], "messaging_service_sid": msg["messaging_service_sid"]}

    def _run_widget(self, account: str, st: State, ex: Row, state: Row) -> tuple[str, Row | None, Row | None] | None:
        """Run one widget: (event, its context, the transition taken if not the event's), None when waiting."""
        kind, props, context = state.get("type"), state.get("properties") or {}, ex["context"]
        if kind == "trigger":
            return "incomingRequest", None, None
        if kind in SENDING:
            ok, outbound = self._send_from_widget(account, st, ex, props)
            if kind == "send-message":
                return ("sent" if ok else "failed"), outbound, None
            if not ok:
                return "deliveryFailure", {"outbound": outbound}, None
            token = len(STEPS.table(ex)) + 1
            context["widgets"][state["name"]] = {"outbound": outbound}
            ex["_waiting"] = {"widget": state["name"], "token": token}
            timeout = float(props.get("timeout") or DEFAULT_REPLY_TIMEOUT)
            self._push(st, self._now + timeout, "studio_timeout", [ex["sid"], token])
            return None
        if kind == "split-based-on":
            value = render(props.get("input", ""), context)
            for transition in state.get("transitions", []):
                conditions = transition.get("conditions") or []
                if transition.get("event") == "match" and conditions and all(
                        condition_holds(value, c, context) for c in conditions):
                    return "match", {"input": value}, transition
            return "noMatch", {"input": value}, None
        if kind == "set-variables":
            for item in props.get("variables") or []:
                if isinstance(item, dict) and item.get("key"):
                    context["flow"]["variables"][str(item["key"])] = render(item.get("value", ""), context)
            return "next", None, None
        if kind == "make-http-request":
            return "success", {"status_code": 200, "content_type": "application/json", "body": "", "parsed": {}}, None
        return "failed", None, None

    def _resume(self, account: str, st: State, ex: Row, event: str, inbound: Row | None = None) -> None:
        """The widget `ex` waits in is left by `event` (a reply, or its timeout)."""
        name = ex["_waiting"]["widget"]
        ex["_waiting"] = None
        widget_context = {**(ex["context"]["widgets"].get(name) or {}), **({"inbound": inbound} if inbound else {})}
        self._run_from(account, st, ex, self._follow(account, st, ex, name, event, widget_context))

    def _on_inbound(self, account: str, st: State, msg: Row) -> None:
        """Hand a contact's reply to every execution waiting for one from that contact on that channel."""
        for ex in EXECUTIONS.table(st).where("contact_channel_address", msg["from"]):
            if ex["_waiting"] is None or ex["status"] != "active" or ex["_channel"] not in (
                    msg["to"], msg["messaging_service_sid"]):
                continue
            self._resume(account, st, ex, "incomingMessage", {
                "Body": msg["body"], "From": msg["from"], "To": msg["to"], "MessageSid": msg["sid"],
                "AccountSid": account, "MessagingServiceSid": msg["messaging_service_sid"],
                "NumMedia": msg["num_media"]})

    def _on_studio_timeout(self, account: str, st: State, t: float, ref: list[Any]) -> None:
        ex = EXECUTIONS.table(st).get(ref[0])
        if ex is not None and ex["status"] == "active" and ex["_waiting"] and ex["_waiting"]["token"] == ref[1]:
            self._resume(account, st, ex, "timeout")


def _published(revisions: list[Row]) -> Row | None:
    return next((r for r in reversed(revisions) if r["status"] == "published"), None)
