"""The v1 API of the ActiveCampaign simulator: ``/admin/api.php``, for creating and sending campaigns.

v3 has no documented way to attach content to a campaign and send it; the long-standing programmatic
route is v1: ``api_action=message_add`` then ``api_action=campaign_create``. Requests carry
``api_key``, ``api_action`` and ``api_output`` in the query string (GET or POST) and the action's
parameters form-encoded in a POST body; PHP-style keys name lists (``p[<listid>]=<listid>``) and
messages (``m[<message id>]=<percent>``). Every answer is HTTP 200 with ``result_code`` 1 or 0 and a
``result_message`` — including a bad ``api_key`` ("You are not authorized to access this file").

Actions: ``message_add``, ``campaign_create`` (``status`` 0 draft / 1 scheduled; with status 1 an
``sdate`` — ``YYYY-MM-DD HH:MM:SS`` in the account timezone — that is now or past, or none at all,
sends at once), ``campaign_status``, ``campaign_delete``, ``campaign_delete_list``, ``campaign_list``
and ``campaign_report_totals``. The campaign then shows in v3 ``/campaigns`` with its status and counters.
Only JSON output is simulated: ``api_output=xml|serialize`` is answered in JSON too.

Simulator choices (unverified): ``campaign_create`` without ``status`` is a draft; it requires
``type``, ``name``, at least one existing list (``p[]``) and message (``m[]``), and an existing
``segmentid`` when one is given; ids in answers are integers; the ``result_message`` texts ("Message
added", "Campaign saved" / "Campaign scheduled" / "Campaign sent", and the failure texts) are ours;
``message_add`` requires ``subject``, ``fromemail``, ``fromname``, a body and at least one list; an
unknown ``api_action`` is ``result_code: 0``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from hub.simulator import SimRequest, route
from hub_activecampaign.sim_campaigns import CAMPAIGN_TYPES, COUNTERS
from hub_activecampaign.sim_shapes import EMAIL_RE, flag

V1_PATH = "/admin/api.php"
NOT_AUTHORIZED = "You are not authorized to access this file"
_BRACKET = re.compile(r"^([A-Za-z_]+)\[([^\]]*)\]$")
V1_DATE = "%Y-%m-%d %H:%M:%S"


class V1Error(Exception):
    """A v1 failure: answered HTTP 200 with ``result_code: 0`` and this message."""


def v1_answer(result_code: int, message: str, **extra: Any) -> dict[str, Any]:
    return {**extra, "result_code": result_code, "result_message": message, "result_output": "json"}


def v1_params(req: SimRequest) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(plain parameters, bracketed groups such as ``p`` and ``m``) from query string and form body."""
    merged: dict[str, list[str]] = dict(req.query)
    if req.method == "POST" and req.body:
        for key, values in req.form().items():
            merged[key] = values
    plain: dict[str, str] = {}
    groups: dict[str, dict[str, str]] = {}
    for key, values in merged.items():
        value = values[-1] if values else ""
        match = _BRACKET.match(key)
        if match:
            groups.setdefault(match.group(1), {})[match.group(2)] = value
        else:
            plain[key] = value
    return plain, groups


class V1Mixin:
    """``/admin/api.php`` with the campaign-sending actions."""

    def _v1_actions(self) -> dict[str, Callable[[dict[str, Any], dict[str, str], dict[str, dict[str, str]]], Any]]:
        return {
            "message_add": self._v1_message_add,
            "campaign_create": self._v1_campaign_create,
            "campaign_status": self._v1_campaign_status,
            "campaign_delete": self._v1_campaign_delete,
            "campaign_delete_list": self._v1_campaign_delete_list,
            "campaign_list": self._v1_campaign_list,
            "campaign_report_totals": self._v1_report_totals,
        }

    @route("GET", V1_PATH)
    @route("POST", V1_PATH)
    def v1(self, req: SimRequest) -> Any:
        st = self._st(req)
        plain, groups = v1_params(req)
        action = self._v1_actions().get(plain.get("api_action", ""))
        if action is None:
            return 200, v1_answer(0, f"Unknown api_action '{plain.get('api_action', '')}'")
        try:
            return 200, action(st, plain, groups)
        except V1Error as exc:
            return 200, v1_answer(0, str(exc))

    # ---------------------------------------------------------------- helpers

    def _v1_lists(self, st: dict[str, Any], groups: dict[str, dict[str, str]]) -> list[str]:
        ids = [(value or key).strip() for key, value in groups.get("p", {}).items()]
        ids = [i for i in ids if i]
        if not ids:
            raise V1Error("You must select at least one list")
        for lid in ids:
            if lid not in st["lists"]:
                raise V1Error(f"List {lid} does not exist")
        return list(dict.fromkeys(ids))

    def _v1_campaign(self, st: dict[str, Any], raw: str | None) -> dict[str, Any]:
        campaign = st["campaigns"].get((raw or "").strip())
        if campaign is None:
            raise V1Error(f"Campaign {raw} not found" if raw else "Campaign ID is required")
        return campaign

    def _v1_sdate(self, raw: str) -> tuple[str, float]:
        """``YYYY-MM-DD HH:MM:SS`` (seconds optional) in the account timezone → (ISO sdate, epoch)."""
        for pattern in (V1_DATE, "%Y-%m-%d %H:%M", "%Y-%m-%d"):
            try:
                moment = datetime.strptime(raw.strip(), pattern).replace(tzinfo=self._tz)
            except ValueError:
                continue
            return self._iso(moment), moment.timestamp()
        raise V1Error("Invalid sdate; use YYYY-MM-DD HH:MM:SS")

    # ---------------------------------------------------------------- actions

    def _v1_message_add(self, st: dict[str, Any], p: dict[str, str], groups: dict[str, dict[str, str]]) -> Any:
        fmt = (p.get("format") or "mime").strip().lower()
        if fmt not in ("html", "text", "mime"):
            raise V1Error("Message format must be html, text or mime")
        for key, label in (("subject", "Subject"), ("fromemail", "From email"), ("fromname", "From name")):
            if not (p.get(key) or "").strip():
                raise V1Error(f"{label} is required")
        for key in ("fromemail", "reply2"):
            if p.get(key) and not EMAIL_RE.match(p[key].strip()):
                raise V1Error(f"{key} is not a valid email address")
        if fmt in ("html", "mime") and not (p.get("html") or "").strip() and not (p.get("text") or "").strip():
            raise V1Error("Message body is required")
        if fmt == "text" and not (p.get("text") or "").strip():
            raise V1Error("Message text is required")
        lists = self._v1_lists(st, groups)
        values = {key: p[key] for key in ("subject", "fromemail", "fromname", "reply2", "html", "text") if key in p}
        values.update({"format": fmt, "lists": lists})
        for key in ("priority", "charset", "encoding"):
            if p.get(key):
                values[key] = p[key]
        message = self._new_message(st, values)
        return v1_answer(1, "Message added", id=int(message["id"]), subject=message["subject"])

    def _v1_campaign_create(self, st: dict[str, Any], p: dict[str, str], groups: dict[str, dict[str, str]]) -> Any:
        kind = (p.get("type") or "").strip()
        if kind not in CAMPAIGN_TYPES:
            raise V1Error("Campaign type is required" if not kind else f"Campaign type '{kind}' is invalid")
        name = (p.get("name") or "").strip()
        if not name:
            raise V1Error("Campaign name is required")
        lists = self._v1_lists(st, groups)
        messages: dict[str, int] = {}
        for key, value in groups.get("m", {}).items():
            mid = key.strip()
            if mid not in st["messages"]:
                raise V1Error(f"Message {mid} does not exist")
            try:
                messages[mid] = int(value or 100)
            except ValueError:
                raise V1Error(f"m[{mid}] must be a percentage") from None
        if not messages:
            raise V1Error("You must select at least one message")
        segmentid = (p.get("segmentid") or "0").strip() or "0"
        if segmentid != "0" and segmentid not in st["segments"]:
            raise V1Error(f"Segment {segmentid} does not exist")
        status = (p.get("status") or "0").strip()
        if status not in ("0", "1"):
            raise V1Error("Campaign status must be 0 (draft) or 1 (scheduled)")
        sdate, send_at = self._v1_sdate(p["sdate"]) if (p.get("sdate") or "").strip() else (None, None)
        values: dict[str, Any] = {
            "type": kind,
            "name": name,
            "lists": lists,
            "messages": messages,
            "segmentid": segmentid,
            "sdate": sdate,
            "send_at": send_at,
            "public": flag(p.get("public"), "1"),
            "tracklinks": (p.get("tracklinks") or "all").strip().lower(),
            "trackreads": flag(p.get("trackreads"), "1"),
            "trackreplies": flag(p.get("trackreplies"), "0"),
            "htmlunsub": flag(p.get("htmlunsub"), "0"),
            "textunsub": flag(p.get("textunsub"), "0"),
        }
        campaign = self._new_campaign(st, values)
        if status == "0":
            return v1_answer(1, "Campaign saved", id=int(campaign["id"]))
        self._schedule(st, campaign)
        if campaign["status"] == "5":
            return v1_answer(1, "Campaign sent", id=int(campaign["id"]))
        return v1_answer(1, "Campaign scheduled", id=int(campaign["id"]))

    def _v1_campaign_status(self, st: dict[str, Any], p: dict[str, str], groups: dict[str, dict[str, str]]) -> Any:
        campaign = self._v1_campaign(st, p.get("id"))
        status = (p.get("status") or "").strip()
        if status not in ("0", "1", "3", "4"):
            raise V1Error("Status must be 0 (draft), 1 (scheduled), 3 (paused) or 4 (stopped)")
        if campaign["status"] == "5":
            raise V1Error("This campaign has already been sent")
        if status == "1":
            self._schedule(st, campaign)
        else:
            campaign["status"] = status
            if campaign["id"] in st["scheduled"]:
                st["scheduled"].remove(campaign["id"])
        campaign["mdate"] = self._now()
        return v1_answer(1, "Campaign status changed", id=int(campaign["id"]), status=int(campaign["status"]))

    def _v1_campaign_delete(self, st: dict[str, Any], p: dict[str, str], groups: dict[str, dict[str, str]]) -> Any:
        self._delete_campaign(st, self._v1_campaign(st, p.get("id")))
        return v1_answer(1, "Campaign deleted")

    def _v1_campaign_delete_list(self, st: dict[str, Any], p: dict[str, str], groups: dict[str, dict[str, str]]) -> Any:
        ids = [i.strip() for i in (p.get("ids") or "").split(",") if i.strip()]
        found = [st["campaigns"][i] for i in ids if i in st["campaigns"]]
        if not found:
            raise V1Error("No campaigns found to delete")
        for campaign in found:
            self._delete_campaign(st, campaign)
        return v1_answer(1, "Campaign(s) deleted")

    def _v1_campaign_list(self, st: dict[str, Any], p: dict[str, str], groups: dict[str, dict[str, str]]) -> Any:
        ids = (p.get("ids") or "all").strip()
        rows = list(st["campaigns"].values())
        if ids != "all":
            wanted = {i.strip() for i in ids.split(",")}
            rows = [c for c in rows if c["id"] in wanted]
        try:
            page = max(1, int(p.get("page") or 1))
        except ValueError:
            page = 1
        rows = rows[(page - 1) * 20 : page * 20]
        if not rows:
            return v1_answer(0, "Failed: Nothing is returned")
        out: dict[str, Any] = {}
        for n, campaign in enumerate(rows):
            body = self.render_campaign(campaign)
            body.pop("links")
            body["lists"] = ",".join(campaign["lists"])
            out[str(n)] = body
        return v1_answer(1, "Success: Something is returned", **out)

    def _v1_report_totals(self, st: dict[str, Any], p: dict[str, str], groups: dict[str, dict[str, str]]) -> Any:
        campaign = self._v1_campaign(st, p.get("campaignid") or p.get("id"))
        totals = {name: str(campaign["counters"].get(name, 0)) for name in COUNTERS}
        return v1_answer(1, "Success: Something is returned", campaignid=campaign["id"], **totals)
