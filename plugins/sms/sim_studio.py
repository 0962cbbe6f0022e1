"""Studio v2 in the Twilio simulator: Flows (with revisions and validation), Executions, their Steps and
Contexts, and a small interpreter that runs an SMS flow on the simulated clock.

Validation (``POST /v2/Flows/Validate``, and publishing) checks what Studio's error 81022 names: a
non-empty ``states`` list, unique widget names, known widget types, an ``initial_state`` that exists,
transitions that point at existing widgets, plus the properties the interpreted widgets need.

The interpreter starts at ``initial_state`` with the trigger's ``incomingRequest`` event and follows
transitions until one has no ``next`` (the execution ends):

- ``send-message`` creates an outbound message (``from`` defaults to the execution's From, a number or a
  Messaging Service SID; ``to`` to the contact) → ``sent``, or ``failed`` when the API would refuse it;
- ``send-and-wait-for-reply`` sends, then waits for `inbound` from the contact to the flow's channel
  (``incomingMessage``; the reply is ``widgets.<name>.inbound.Body``) or ``timeout`` seconds of
  simulated time (``timeout``); a refused send → ``deliveryFailure``;
- ``split-based-on`` renders ``input`` and takes the first ``match`` transition whose conditions all hold
  (case-insensitive ``equal_to``, ``not_equal_to``, ``contains``, ``does_not_contain``,
  ``matches_any_of``, ``does_not_match_any_of``, ``starts_with``, ``is_blank``, ``is_not_blank``,
  ``regex``, ``greater_than``, ``less_than``), else ``noMatch``;
- ``set-variables`` stores rendered values under ``flow.variables`` → ``next``;
- ``make-http-request`` makes no request and answers ``success`` with an empty 200 body.

Liquid is reduced to ``{{ dotted.path }}`` lookups into the execution context (filters are ignored).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from hub.simulator import Abort, SimRequest, route
from hub_sms.sim_shapes import (
    first,
    iso8601,
    missing_param,
    not_found_error,
    parse_datetime,
    public,
    tw_error,
    v1_page,
)

WIDGET_TYPES = frozenset(
    {"trigger", "send-message", "send-and-wait-for-reply", "split-based-on", "set-variables", "make-http-request"}
)
CONDITION_TYPES = frozenset(
    {
        "equal_to",
        "not_equal_to",
        "contains",
        "does_not_contain",
        "matches_any_of",
        "does_not_match_any_of",
        "starts_with",
        "is_blank",
        "is_not_blank",
        "regex",
        "greater_than",
        "less_than",
    }
)
FLOW_STATUSES = ("draft", "published")
MAX_STEPS_PER_RUN = 1000
DEFAULT_REPLY_TIMEOUT = 3600.0
_LIQUID = re.compile(r"\{\{\s*([^}|\s]+)\s*(?:\|[^}]*)?\}\}")


# --------------------------------------------------------------------------------------------------
# definitions: validation, Liquid, conditions


def validate_definition(definition: Any) -> list[dict[str, str]]:
    """Studio-style validation errors (``{message, property_path}``) of a flow definition; [] when valid."""
    errors: list[dict[str, str]] = []

    def error(path: str, message: str) -> None:
        errors.append({"message": message, "property_path": path})

    if not isinstance(definition, dict):
        error("#", "The flow definition must be a JSON object")
        return errors
    states = definition.get("states")
    if not isinstance(states, list) or not states:
        error("#/states", "states must be a non-empty array of widgets")
        states = []
    elif len(states) > 1000:
        error("#/states", "a flow can have at most 1000 widgets")
    names: dict[str, int] = {}
    for i, state in enumerate(states):
        if not isinstance(state, dict):
            error(f"#/states/{i}", "a widget must be a JSON object")
            continue
        name = state.get("name")
        if not isinstance(name, str) or not name:
            error(f"#/states/{i}/name", "widget name is required")
        elif name in names:
            error(f"#/states/{i}/name", f"Widget name '{name}' is not unique")
        else:
            names[name] = i
        wtype = state.get("type")
        if wtype not in WIDGET_TYPES:
            error(f"#/states/{i}/type", f"Unknown widget type {wtype!r}")
        props = state.get("properties", {})
        if not isinstance(props, dict):
            error(f"#/states/{i}/properties", "properties must be a JSON object")
            props = {}
        if wtype in ("send-message", "send-and-wait-for-reply") and not (props.get("body") or props.get("media_url")):
            error(f"#/states/{i}/properties/body", f"{wtype} widget '{name}' needs a body")
        if wtype == "split-based-on" and not isinstance(props.get("input"), str):
            error(f"#/states/{i}/properties/input", f"split-based-on widget '{name}' needs an input")
        if wtype == "send-and-wait-for-reply" and "timeout" in props:
            try:
                float(props["timeout"])
            except (TypeError, ValueError):
                error(f"#/states/{i}/properties/timeout", "timeout must be a number of seconds")
        if not isinstance(state.get("transitions", []), list):
            error(f"#/states/{i}/transitions", "transitions must be an array")
    for i, state in enumerate(states):
        if not isinstance(state, dict) or not isinstance(state.get("transitions", []), list):
            continue
        for j, transition in enumerate(state.get("transitions", [])):
            path = f"#/states/{i}/transitions/{j}"
            if not isinstance(transition, dict) or not isinstance(transition.get("event"), str):
                error(f"{path}/event", "a transition needs an event")
                continue
            target = transition.get("next")
            if target not in (None, "") and target not in names:
                error(f"{path}/next", f"Transition to unknown widget '{target}'")
            if state.get("type") == "split-based-on" and transition["event"] == "match":
                conditions = transition.get("conditions")
                if not isinstance(conditions, list) or not conditions:
                    error(f"{path}/conditions", "a match transition needs conditions")
                    continue
                for k, cond in enumerate(conditions):
                    if not isinstance(cond, dict) or cond.get("type") not in CONDITION_TYPES:
                        kind = cond.get("type") if isinstance(cond, dict) else cond
                        error(f"{path}/conditions/{k}/type", f"Unknown condition type {kind!r}")
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
    if template is None:
        return ""

    def one(match: re.Match[str]) -> str:
        value = lookup(context, match.group(1))
        if value is None:
            return ""
        if isinstance(value, dict | list):
            return json.dumps(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return _LIQUID.sub(one, str(template))


def condition_holds(value: str, condition: dict[str, Any], context: dict[str, Any]) -> bool:
    kind = condition.get("type")
    target = render(condition.get("value", ""), context)
    v, t = value.strip().lower(), target.strip().lower()
    if kind == "equal_to":
        return v == t
    if kind == "not_equal_to":
        return v != t
    if kind == "contains":
        return t in v
    if kind == "does_not_contain":
        return t not in v
    if kind in ("matches_any_of", "does_not_match_any_of"):
        options = {o.strip().lower() for o in target.split(",")}
        return (v in options) == (kind == "matches_any_of")
    if kind == "starts_with":
        return v.startswith(t)
    if kind == "is_blank":
        return not v
    if kind == "is_not_blank":
        return bool(v)
    if kind == "regex":
        try:
            return re.search(target, value) is not None
        except re.error:
            return False
    if kind in ("greater_than", "less_than"):
        try:
            a, b = float(v), float(t)
        except ValueError:
            return False
        return a > b if kind == "greater_than" else a < b
    return False


# --------------------------------------------------------------------------------------------------
# the mixin


class StudioMixin:
    """Flows, executions and the flow interpreter."""

    lock: Any
    _now: float
    account_state: Callable[[str], dict[str, Any]]
    _account_of: Callable[..., tuple[str, dict[str, Any]]]
    _epoch: Callable[[float], float]
    _push: Callable[..., None]
    _new_sid: Callable[..., str]
    _send_message: Callable[..., dict[str, Any]]
    domain_url: Callable[[str], str]

    # ------------------------------------------------------------------ flows

    def _studio(self) -> str:
        return self.domain_url("studio")

    def render_flow(self, flow: dict[str, Any]) -> dict[str, Any]:
        url = f"{self._studio()}/v2/Flows/{flow['sid']}"
        out = public(flow)
        out["date_created"] = iso8601(flow["_created"])
        out["date_updated"] = iso8601(flow["_updated"]) if flow["_updated"] is not None else None
        out["webhook_url"] = f"https://webhooks.twilio.com/v1/Accounts/{flow['account_sid']}/Flows/{flow['sid']}"
        out["url"] = url
        out["links"] = {
            "test_users": f"{url}/TestUsers",
            "revisions": f"{url}/Revisions",
            "executions": f"{url}/Executions",
        }
        return out

    def render_revision(self, flow: dict[str, Any], revision: dict[str, Any]) -> dict[str, Any]:
        out = public(revision)
        out.update(
            sid=flow["sid"],
            account_sid=flow["account_sid"],
            author_sid=None,
            date_created=iso8601(revision["_created"]),
            date_updated=iso8601(revision["_created"]),
            url=f"{self._studio()}/v2/Flows/{flow['sid']}/Revisions/{revision['revision']}",
        )
        return out

    def _flow_params(self, form: dict[str, list[str]], *, create: bool) -> dict[str, Any]:
        """FriendlyName/Status/Definition/CommitMessage, checked; raises 81022 for an invalid definition
        that is to be published (a draft may be saved invalid, with its errors listed)."""
        required = ("FriendlyName", "Status", "Definition") if create else ("Status",)
        for name in required:
            if not first(form, name):
                raise missing_param(name)
        status = first(form, "Status")
        if status not in FLOW_STATUSES:
            raise tw_error(400, 20001, f"Invalid parameter Status: {status!r} (draft or published)")
        out: dict[str, Any] = {"status": status}
        if first(form, "FriendlyName"):
            out["friendly_name"] = first(form, "FriendlyName")
        if "CommitMessage" in form:
            out["commit_message"] = first(form, "CommitMessage") or None
        raw = first(form, "Definition")
        if raw:
            definition, errors = parse_definition(raw)
            if definition is None or (errors and status == "published"):
                raise tw_error(400, 81022, details={"errors": errors, "warnings": []})
            out["definition"] = definition
            out["errors"] = errors
            out["valid"] = not errors
        return out

    def _add_revision(self, flow: dict[str, Any]) -> None:
        flow["_revisions"].append(
            {
                "friendly_name": flow["friendly_name"],
                "definition": flow["definition"],
                "status": flow["status"],
                "revision": flow["revision"],
                "commit_message": flow["commit_message"],
                "valid": flow["valid"],
                "errors": flow["errors"],
                "_created": self._epoch(self._now),
            }
        )

    def _flow(self, req: SimRequest, st: dict[str, Any], key: str = "Sid") -> dict[str, Any]:
        flow = st["flows"].get(req.params[key])
        if flow is None:
            raise not_found_error(req.path)
        return flow

    @route("POST", "/v2/Flows")
    def create_flow(self, req: SimRequest) -> Any:
        account, st = self._account_of(req)
        params = self._flow_params(req.form(), create=True)
        sid = self._new_sid("FW", account)
        flow: dict[str, Any] = {
            "sid": sid,
            "account_sid": account,
            "author_sid": None,
            "friendly_name": params["friendly_name"],
            "definition": params["definition"],
            "status": params["status"],
            "revision": 1,
            "commit_message": params.get("commit_message"),
            "valid": params["valid"],
            "errors": params["errors"],
            "warnings": [],
            "_created": self._epoch(self._now),
            "_updated": None,
            "_revisions": [],
            "_test_users": [],
        }
        self._add_revision(flow)
        st["flows"][sid] = flow
        return 201, self.render_flow(flow)

    @route("POST", "/v2/Flows/Validate")
    def validate_flow(self, req: SimRequest) -> Any:
        self._account_of(req)
        form = req.form()
        for name in ("FriendlyName", "Status", "Definition"):
            if not first(form, name):
                raise missing_param(name)
        definition, errors = parse_definition(first(form, "Definition") or "")
        if definition is None or errors:
            raise tw_error(400, 81022, details={"errors": errors, "warnings": []})
        return 200, {"valid": True}

    @route("GET", "/v2/Flows")
    def list_flows(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        return 200, v1_page(
            req,
            "flows",
            self._studio(),
            "/v2/Flows",
            list(st["flows"].values()),
            sid_of=lambda f: f["sid"],
            render=self.render_flow,
        )

    @route("GET", "/v2/Flows/{Sid}")
    def fetch_flow(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        return 200, self.render_flow(self._flow(req, st))

    @route("POST", "/v2/Flows/{Sid}")
    def update_flow(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        flow = self._flow(req, st)
        form = req.form()
        params = self._flow_params(form, create=False)
        if "definition" not in params and params["status"] == "published" and not flow["valid"]:
            raise tw_error(400, 81022, details={"errors": flow["errors"], "warnings": []})
        flow.update(params)
        if "CommitMessage" not in form:
            flow["commit_message"] = None
        flow["revision"] += 1
        flow["_updated"] = self._epoch(self._now)
        self._add_revision(flow)
        return 200, self.render_flow(flow)

    @route("DELETE", "/v2/Flows/{Sid}")
    def delete_flow(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        flow = self._flow(req, st)
        for sid in [s for s, e in st["executions"].items() if e["flow_sid"] == flow["sid"]]:
            self._forget_execution(st, st["executions"][sid])
        del st["flows"][flow["sid"]]
        return 204, None

    @route("GET", "/v2/Flows/{Sid}/Revisions")
    def list_revisions(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        flow = self._flow(req, st)
        return 200, v1_page(
            req,
            "revisions",
            self._studio(),
            f"/v2/Flows/{flow['sid']}/Revisions",
            flow["_revisions"][::-1],
            sid_of=lambda r: str(r["revision"]),
            render=lambda r: self.render_revision(flow, r),
        )

    @route("GET", "/v2/Flows/{Sid}/Revisions/{Revision}")
    def fetch_revision(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        flow = self._flow(req, st)
        wanted = req.params["Revision"]
        revisions = flow["_revisions"]
        found: dict[str, Any] | None = None
        if wanted == "LatestRevision":
            found = revisions[-1]
        elif wanted == "LatestPublished":
            found = next((r for r in reversed(revisions) if r["status"] == "published"), None)
        elif wanted.isdigit() and 1 <= int(wanted) <= len(revisions):
            found = revisions[int(wanted) - 1]
        if found is None:
            raise not_found_error(req.path)
        return 200, self.render_revision(flow, found)

    @route("GET", "/v2/Flows/{Sid}/TestUsers")
    def fetch_test_users(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        flow = self._flow(req, st)
        return 200, {
            "sid": flow["sid"],
            "test_users": list(flow["_test_users"]),
            "url": f"{self._studio()}/v2/Flows/{flow['sid']}/TestUsers",
        }

    @route("POST", "/v2/Flows/{Sid}/TestUsers")
    def update_test_users(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        flow = self._flow(req, st)
        form = req.form()
        if "TestUsers" not in form:
            raise missing_param("TestUsers")
        flow["_test_users"] = [u for u in form["TestUsers"] if u]
        return self.fetch_test_users(req)

    # ------------------------------------------------------------------ executions

    def render_execution(self, ex: dict[str, Any]) -> dict[str, Any]:
        url = f"{self._studio()}/v2/Flows/{ex['flow_sid']}/Executions/{ex['sid']}"
        out = public(ex)
        out["date_created"] = iso8601(ex["_created"])
        out["date_updated"] = iso8601(ex["_updated"])
        out["url"] = url
        out["links"] = {"steps": f"{url}/Steps", "execution_context": f"{url}/Context"}
        return out

    def render_step(self, ex: dict[str, Any], step: dict[str, Any]) -> dict[str, Any]:
        url = f"{self._studio()}/v2/Flows/{ex['flow_sid']}/Executions/{ex['sid']}/Steps/{step['sid']}"
        out = public(step)
        out["date_created"] = iso8601(step["_created"])
        out["date_updated"] = None
        out["url"] = url
        out["links"] = {"step_context": f"{url}/Context"}
        return out

    def _execution(self, req: SimRequest, st: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        flow = self._flow(req, st, "FlowSid")
        sid = req.params.get("Sid") or req.params.get("ExecutionSid") or ""
        ex = st["executions"].get(sid)
        if ex is None or ex["flow_sid"] != flow["sid"]:
            raise not_found_error(req.path)
        return flow, ex

    @route("POST", "/v2/Flows/{FlowSid}/Executions")
    def create_execution(self, req: SimRequest) -> Any:
        account, st = self._account_of(req)
        flow = self._flow(req, st, "FlowSid")
        form = req.form()
        for name in ("To", "From"):
            if not first(form, name):
                raise missing_param(name)
        to, from_ = first(form, "To") or "", first(form, "From") or ""
        raw = first(form, "Parameters")
        params: Any = {}
        if raw:
            try:
                params = json.loads(raw)
            except ValueError:
                raise tw_error(400, 20001, "Invalid parameter Parameters: not valid JSON") from None
            if not isinstance(params, dict):
                raise tw_error(400, 20001, "Invalid parameter Parameters: must be a JSON object")
        for other in st["executions"].values():
            if (
                other["flow_sid"] == flow["sid"]
                and other["contact_channel_address"] == to
                and other["status"] == "active"
            ):
                raise tw_error(409, 20409, f"Execution {other['sid']} is already active for contact {to}")
        revision = next((r for r in reversed(flow["_revisions"]) if r["status"] == "published"), flow["_revisions"][-1])
        if not revision["valid"]:
            raise tw_error(400, 81022, details={"errors": revision["errors"], "warnings": []})
        sid = self._new_sid("FN", account)
        epoch = self._epoch(self._now)
        ex: dict[str, Any] = {
            "sid": sid,
            "account_sid": account,
            "flow_sid": flow["sid"],
            "contact_channel_address": to,
            "contact_sid": self._new_sid("FC", account),
            "flow_version": revision["revision"],
            "context": {
                "flow": {
                    "flow_sid": flow["sid"],
                    "sid": sid,
                    "channel": {"address": from_},
                    "data": params,
                    "variables": {},
                },
                "contact": {"channel": {"address": to}},
                "trigger": {"request": {"from": from_, "to": to, "parameters": params}},
                "widgets": {},
            },
            "status": "active",
            "initiated_by": account,
            "_created": epoch,
            "_updated": epoch,
            "_steps": [],
            "_waiting": None,
            "_channel": from_,
        }
        st["executions"][sid] = ex
        self._run_from(account, st, ex, revision["definition"]["initial_state"])
        return 201, self.render_execution(ex)

    @route("GET", "/v2/Flows/{FlowSid}/Executions")
    def list_executions(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        flow = self._flow(req, st, "FlowSid")
        filters: list[tuple[str, str]] = []
        low, high = float("-inf"), float("inf")
        for name in ("DateCreatedFrom", "DateCreatedTo"):
            value = req.arg(name)
            if not value:
                continue
            epoch = parse_datetime(value)
            if epoch is None:
                raise tw_error(400, 20001, f"Invalid parameter {name}: {value!r}")
            filters.append((name, value))
            if name == "DateCreatedFrom":
                low = epoch
            else:
                high = epoch
        items = [
            e
            for e in reversed(st["executions"].values())
            if e["flow_sid"] == flow["sid"] and low <= e["_created"] <= high
        ]
        return 200, v1_page(
            req,
            "executions",
            self._studio(),
            f"/v2/Flows/{flow['sid']}/Executions",
            items,
            sid_of=lambda e: e["sid"],
            render=self.render_execution,
            filters=filters,
        )

    @route("GET", "/v2/Flows/{FlowSid}/Executions/{Sid}")
    def fetch_execution(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        return 200, self.render_execution(self._execution(req, st)[1])

    @route("POST", "/v2/Flows/{FlowSid}/Executions/{Sid}")
    def update_execution(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        _, ex = self._execution(req, st)
        status = first(req.form(), "Status")
        if not status:
            raise missing_param("Status")
        if status != "ended":
            raise tw_error(400, 20001, f"Invalid parameter Status: {status!r} (only 'ended' is allowed)")
        self._end_execution(st, ex)
        return 200, self.render_execution(ex)

    @route("DELETE", "/v2/Flows/{FlowSid}/Executions/{Sid}")
    def delete_execution(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        _, ex = self._execution(req, st)
        self._forget_execution(st, ex)
        return 204, None

    @route("GET", "/v2/Flows/{FlowSid}/Executions/{ExecutionSid}/Context")
    def fetch_execution_context(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        flow, ex = self._execution(req, st)
        return 200, {
            "account_sid": ex["account_sid"],
            "context": ex["context"],
            "flow_sid": flow["sid"],
            "execution_sid": ex["sid"],
            "url": f"{self._studio()}/v2/Flows/{flow['sid']}/Executions/{ex['sid']}/Context",
        }

    @route("GET", "/v2/Flows/{FlowSid}/Executions/{ExecutionSid}/Steps")
    def list_steps(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        flow, ex = self._execution(req, st)
        return 200, v1_page(
            req,
            "steps",
            self._studio(),
            f"/v2/Flows/{flow['sid']}/Executions/{ex['sid']}/Steps",
            ex["_steps"],
            sid_of=lambda s: s["sid"],
            render=lambda s: self.render_step(ex, s),
        )

    def _step_of(self, req: SimRequest, ex: dict[str, Any], key: str) -> dict[str, Any]:
        for step in ex["_steps"]:
            if step["sid"] == req.params[key]:
                return step
        raise not_found_error(req.path)

    @route("GET", "/v2/Flows/{FlowSid}/Executions/{ExecutionSid}/Steps/{Sid}")
    def fetch_step(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        _, ex = self._execution(req, st)
        return 200, self.render_step(ex, self._step_of(req, ex, "Sid"))

    @route("GET", "/v2/Flows/{FlowSid}/Executions/{ExecutionSid}/Steps/{StepSid}/Context")
    def fetch_step_context(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        flow, ex = self._execution(req, st)
        step = self._step_of(req, ex, "StepSid")
        return 200, {
            "account_sid": ex["account_sid"],
            "context": step["context"],
            "execution_sid": ex["sid"],
            "flow_sid": flow["sid"],
            "step_sid": step["sid"],
            "url": f"{self._studio()}/v2/Flows/{flow['sid']}/Executions/{ex['sid']}/Steps/{step['sid']}/Context",
        }

    # ------------------------------------------------------------------ the interpreter

    def _states(self, st: dict[str, Any], ex: dict[str, Any]) -> dict[str, dict[str, Any]]:
        flow = st["flows"][ex["flow_sid"]]
        definition = flow["_revisions"][ex["flow_version"] - 1]["definition"]
        return {s["name"]: s for s in definition["states"]}

    def _end_execution(self, st: dict[str, Any], ex: dict[str, Any]) -> None:
        ex["status"] = "ended"
        ex["_waiting"] = None
        ex["_updated"] = self._epoch(self._now)

    def _forget_execution(self, st: dict[str, Any], ex: dict[str, Any]) -> None:
        ex["_waiting"] = None
        st["executions"].pop(ex["sid"], None)

    def _record_step(
        self,
        account: str,
        ex: dict[str, Any],
        state: dict[str, Any],
        event: str,
        widget_context: dict[str, Any] | None,
        target: str | None,
    ) -> None:
        steps = ex["_steps"]
        steps.append(
            {
                "sid": self._new_sid("FT", account),
                "account_sid": account,
                "flow_sid": ex["flow_sid"],
                "execution_sid": ex["sid"],
                "parent_step_sid": steps[-1]["sid"] if steps else None,
                "name": event,
                "context": widget_context or {},
                "transitioned_from": state["name"],
                "transitioned_to": target or "Ended",
                "type": state.get("type"),
                "_created": self._epoch(self._now),
            }
        )
        ex["_updated"] = self._epoch(self._now)

    def _follow(
        self,
        account: str,
        st: dict[str, Any],
        ex: dict[str, Any],
        states: dict[str, dict[str, Any]],
        name: str,
        event: str,
        widget_context: dict[str, Any] | None,
        transition: dict[str, Any] | None = None,
    ) -> str | None:
        """Leave widget `name` by `event`: record the step, return the next widget (None: ended)."""
        state = states[name]
        if widget_context is not None:
            ex["context"]["widgets"][name] = widget_context
        if transition is None:
            transition = next((t for t in state.get("transitions", []) if t.get("event") == event), None)
        target = (transition or {}).get("next") or None
        if target not in states:
            target = None
        self._record_step(account, ex, state, event, widget_context, target)
        if target is None:
            self._end_execution(st, ex)
        return target

    def _run_from(self, account: str, st: dict[str, Any], ex: dict[str, Any], name: str | None) -> None:
        states = self._states(st, ex)
        for _ in range(MAX_STEPS_PER_RUN):
            if name is None or ex["status"] != "active":
                return
            state = states[name]
            outcome = self._run_widget(account, st, ex, state)
            if outcome is None:  # waiting for a reply
                return
            event, widget_context, transition = outcome
            name = self._follow(account, st, ex, states, name, event, widget_context, transition)
        self._end_execution(st, ex)  # a loop that never waits: stop it

    def _send_from_widget(
        self, account: str, st: dict[str, Any], ex: dict[str, Any], props: dict[str, Any]
    ) -> tuple[bool, dict[str, Any]]:
        context = ex["context"]
        sender = render(props.get("from") or "{{flow.channel.address}}", context)
        to = render(props.get("to") or "{{contact.channel.address}}", context)
        form: dict[str, list[str]] = {"To": [to], "Body": [render(props.get("body", ""), context)]}
        form["MessagingServiceSid" if sender.startswith("MG") else "From"] = [sender]
        if props.get("media_url"):
            form["MediaUrl"] = [render(props["media_url"], context)]
        try:
            msg = self._send_message(account, st, form)
        except Abort as abort:
            body = abort.response.body if isinstance(abort.response.body, dict) else {}
            return False, {"status": "failed", "error_code": body.get("code"), "error_message": body.get("message")}
        return True, {
            "sid": msg["sid"],
            "status": msg["status"],
            "to": msg["to"],
            "from": msg["from"] or sender,
            "body": msg["body"],
            "messaging_service_sid": msg["messaging_service_sid"],
        }

    def _run_widget(
        self, account: str, st: dict[str, Any], ex: dict[str, Any], state: dict[str, Any]
    ) -> tuple[str, dict[str, Any] | None, dict[str, Any] | None] | None:
        kind = state.get("type")
        props = state.get("properties") or {}
        context = ex["context"]
        if kind == "trigger":
            return "incomingRequest", None, None
        if kind == "send-message":
            ok, outbound = self._send_from_widget(account, st, ex, props)
            return ("sent" if ok else "failed"), outbound, None
        if kind == "send-and-wait-for-reply":
            ok, outbound = self._send_from_widget(account, st, ex, props)
            if not ok:
                return "deliveryFailure", {"outbound": outbound}, None
            token = len(ex["_steps"]) + 1
            context["widgets"][state["name"]] = {"outbound": outbound}
            ex["_waiting"] = {"widget": state["name"], "token": token}
            timeout = float(props.get("timeout") or DEFAULT_REPLY_TIMEOUT)
            self._push(st, self._now + timeout, "studio_timeout", [ex["sid"], token])
            return None
        if kind == "split-based-on":
            value = render(props.get("input", ""), context)
            for transition in state.get("transitions", []):
                if transition.get("event") != "match":
                    continue
                conditions = transition.get("conditions") or []
                if conditions and all(condition_holds(value, c, context) for c in conditions):
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

    def _studio_inbound(self, account: str, st: dict[str, Any], msg: dict[str, Any]) -> None:
        """Hand a contact's reply to every execution waiting for one from that contact on that channel."""
        for ex in list(st["executions"].values()):
            waiting = ex["_waiting"]
            if waiting is None or ex["status"] != "active" or ex["contact_channel_address"] != msg["from"]:
                continue
            channel = ex["_channel"]
            if channel != msg["to"] and not (channel.startswith("MG") and channel == msg["messaging_service_sid"]):
                continue
            name = waiting["widget"]
            widget_context = dict(ex["context"]["widgets"].get(name) or {})
            widget_context["inbound"] = {
                "Body": msg["body"],
                "From": msg["from"],
                "To": msg["to"],
                "MessageSid": msg["sid"],
                "AccountSid": account,
                "MessagingServiceSid": msg["messaging_service_sid"],
                "NumMedia": msg["num_media"],
            }
            ex["_waiting"] = None
            states = self._states(st, ex)
            self._run_from(
                account, st, ex, self._follow(account, st, ex, states, name, "incomingMessage", widget_context)
            )

    def _on_studio_timeout(self, account: str, st: dict[str, Any], t: float, ref: list[Any]) -> None:
        ex = st["executions"].get(ref[0])
        if ex is None or ex["status"] != "active":
            return
        waiting = ex["_waiting"]
        if waiting is None or waiting["token"] != ref[1]:
            return
        ex["_waiting"] = None
        states = self._states(st, ex)
        name = waiting["widget"]
        widget_context = dict(ex["context"]["widgets"].get(name) or {})
        self._run_from(account, st, ex, self._follow(account, st, ex, states, name, "timeout", widget_context))
