"""The v1 API of the ActiveCampaign simulator: ``/admin/api.php``, for creating and sending campaigns.

v3 has no documented way to attach content to a campaign and send it; the long-standing programmatic
route is v1: ``api_action=message_add`` then ``api_action=campaign_create``. Requests carry
``api_key`` (the same token as v3's ``Api-Token``), ``api_action`` and ``api_output`` in the query string
(GET or POST) and the action's parameters form-encoded in a POST body; PHP-style keys name lists
(``p[<listid>]=<listid>``) and messages (``m[<message id>]=<percent>``). Every answer is HTTP 200 with
``result_code`` 1 or 0 and a ``result_message`` — including a bad ``api_key`` ("You are not authorized to
access this file", reported by users of the official clients). v1 shares the account's 5/s budget.

Actions: ``message_add``, ``campaign_create`` (``status`` 0 draft / 1 scheduled; with status 1 an
``sdate`` — ``YYYY-MM-DD HH:MM:SS`` in the account timezone — that is now or past, or none at all,
sends at once), ``campaign_status``, ``campaign_delete``, ``campaign_delete_list``, ``campaign_list``,
``campaign_report_totals`` and the per-contact reports ``campaign_report_open_list`` (rows
``subscriberid, email, times, tstamp``) and ``campaign_report_link_list`` (rows ``id, name, link,
tracked, a_unique, a_total, info: [{subscriberid, email, times, tstamp}]``), both by ``campaignid`` and
``messageid`` — the shapes of the vendor's v1 examples. The campaign then shows in v3 ``/campaigns`` with
its status and counters. Only JSON output is simulated: ``api_output=xml|serialize`` is answered in JSON too.

Simulator choices (unverified): ``campaign_create`` without ``status`` is a draft; it requires
``type``, ``name``, at least one existing list (``p[]``) and message (``m[]``), and an existing
``segmentid`` when one is given; ids in answers are integers; the ``result_message`` texts ("Message
added", "Campaign saved" / "Campaign scheduled" / "Campaign sent", and the failure texts) are ours;
``message_add`` requires ``subject``, ``fromemail``, ``fromname``, a body and at least one list; an
unknown ``api_action`` is ``result_code: 0``; the report lists page 20 rows with ``page`` like
``campaign_list`` (the vendor's paging of them is not documented), list links but not the read tracker,
take ``messageid`` as optional (0 or absent: the campaign's message; another one: nothing) and answer
"Nothing is returned" (``result_code: 0``) when there are no rows.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from hub.simulator import Row, SimRequest, route

from .campaigns import CAMPAIGN_TYPES, CAMPAIGNS, COUNTERS, MESSAGES, RECIPIENTS, ActiveCampaignCampaigns
from .lists import LISTS, SEGMENTS
from .shapes import EMAIL_RE, V1_PATH, State, flag, v1_answer

_BRACKET = re.compile(r"^([A-Za-z_]+)\[([^\]]*)\]$")
V1_ACTIONS = ("message_add", "campaign_create", "campaign_status", "campaign_delete", "campaign_delete_list",
              "campaign_list", "campaign_report_totals", "campaign_report_open_list", "campaign_report_link_list")
V1_PAGE = 20
NOTHING = "Failed: Nothing is returned"
Groups = dict[str, dict[str, str]]


class V1Error(Exception):
    """A v1 failure: answered HTTP 200 with ``result_code: 0`` and this message."""


def v1_params(req: SimRequest) -> tuple[dict[str, str], Groups]:
    """(plain parameters, bracketed groups such as ``p`` and ``m``) from query string and form body."""
    merged = {**req.query, **(req.form() if req.method == "POST" and req.body else {})}
    plain: dict[str, str] = {}
    groups: Groups = {}
    for key, values in merged.items():
        value = values[-1] if values else ""
        match = _BRACKET.match(key)
        if match:
            groups.setdefault(match.group(1), {})[match.group(2)] = value
        else:
            plain[key] = value
    return plain, groups


class ActiveCampaignV1(ActiveCampaignCampaigns):
    """``/admin/api.php`` with the campaign-sending actions (``_v1_<api_action>`` methods)."""

    @route("GET", V1_PATH)
    @route("POST", V1_PATH)
    def v1(self, req: SimRequest) -> Any:
        st = self._st(req)
        plain, groups = v1_params(req)
        action = plain.get("api_action", "")
        if action not in V1_ACTIONS:
            return 200, v1_answer(0, f"Unknown api_action '{action}'")
        try:
            return 200, getattr(self, f"_v1_{action}")(st, plain, groups)
        except V1Error as exc:
            return 200, v1_answer(0, str(exc))

    def _v1_lists(self, st: State, groups: Groups) -> list[str]:
        ids = [i for i in ((value or key).strip() for key, value in groups.get("p", {}).items()) if i]
        if not ids:
            raise V1Error("You must select at least one list")
        for lid in ids:
            if lid not in LISTS.table(st):
                raise V1Error(f"List {lid} does not exist")
        return list(dict.fromkeys(ids))

    def _v1_campaign(self, st: State, raw: str | None) -> Row:
        campaign = CAMPAIGNS.table(st).get((raw or "").strip())
        if campaign is None:
            raise V1Error(f"Campaign {raw} not found" if raw else "Campaign ID is required")
        return campaign

    def _v1_sdate(self, raw: str) -> tuple[str, float]:
        """``YYYY-MM-DD HH:MM:SS`` (seconds optional) in the account timezone → (ISO sdate, epoch)."""
        for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
            try:
                moment = datetime.strptime(raw.strip(), pattern).replace(tzinfo=self._tz)
            except ValueError:
                continue
            return self._iso(moment), moment.timestamp()
        raise V1Error("Invalid sdate; use YYYY-MM-DD HH:MM:SS")

    def _v1_message_add(self, st: State, p: dict[str, str], groups: Groups) -> Row:
        fmt = (p.get("format") or "mime").strip().lower()
        if fmt not in ("html", "text", "mime"):
            raise V1Error("Message format must be html, text or mime")
        for key, label in (("subject", "Subject"), ("fromemail", "From email"), ("fromname", "From name")):
            if not (p.get(key) or "").strip():
                raise V1Error(f"{label} is required")
        for key in ("fromemail", "reply2"):
            if p.get(key) and not EMAIL_RE.match(p[key].strip()):
                raise V1Error(f"{key} is not a valid email address")
        html, body = (p.get("html") or "").strip(), (p.get("text") or "").strip()
        if fmt in ("html", "mime") and not html and not body:
            raise V1Error("Message body is required")
        if fmt == "text" and not body:
            raise V1Error("Message text is required")
        values: Row = {k: p[k] for k in ("subject", "fromemail", "fromname", "reply2", "html", "text") if k in p}
        values.update({"format": fmt, "lists": self._v1_lists(st, groups)})
        values.update({key: p[key] for key in ("priority", "charset", "encoding") if p.get(key)})
        message = self._new_message(st, values)
        return v1_answer(1, "Message added", id=int(message["id"]), subject=message["subject"])

    def _v1_campaign_create(self, st: State, p: dict[str, str], groups: Groups) -> Row:
        kind, name = (p.get("type") or "").strip(), (p.get("name") or "").strip()
        if kind not in CAMPAIGN_TYPES:
            raise V1Error("Campaign type is required" if not kind else f"Campaign type '{kind}' is invalid")
        if not name:
            raise V1Error("Campaign name is required")
        lists = self._v1_lists(st, groups)
        messages: dict[str, int] = {}
        for key, value in groups.get("m", {}).items():
            mid = key.strip()
            if mid not in MESSAGES.table(st):
                raise V1Error(f"Message {mid} does not exist")
            try:
                messages[mid] = int(value or 100)
            except ValueError:
                raise V1Error(f"m[{mid}] must be a percentage") from None
        if not messages:
            raise V1Error("You must select at least one message")
        segmentid = (p.get("segmentid") or "0").strip() or "0"
        if segmentid != "0" and segmentid not in SEGMENTS.table(st):
            raise V1Error(f"Segment {segmentid} does not exist")
        status = (p.get("status") or "0").strip()
        if status not in ("0", "1"):
            raise V1Error("Campaign status must be 0 (draft) or 1 (scheduled)")
        sdate, send_at = self._v1_sdate(p["sdate"]) if (p.get("sdate") or "").strip() else (None, None)
        campaign = self._new_campaign(st, {
            "type": kind, "name": name, "lists": lists, "messages": messages, "segmentid": segmentid, "sdate": sdate,
            "send_at": send_at, "public": flag(p.get("public"), "1"),
            "tracklinks": (p.get("tracklinks") or "all").strip().lower(), "trackreads": flag(p.get("trackreads"), "1"),
            **{k: flag(p.get(k), "0") for k in ("trackreplies", "htmlunsub", "textunsub")},
        })
        if status == "1":
            self._schedule(st, campaign)
        said = {"0": "Campaign saved", "1": "Campaign scheduled", "5": "Campaign sent"}[campaign["status"]]
        return v1_answer(1, said, id=int(campaign["id"]))

    def _v1_campaign_status(self, st: State, p: dict[str, str], groups: Groups) -> Row:
        campaign = self._v1_campaign(st, p.get("id"))
        status = (p.get("status") or "").strip()
        if status not in ("0", "1", "3", "4"):
            raise V1Error("Status must be 0 (draft), 1 (scheduled), 3 (paused) or 4 (stopped)")
        if campaign["status"] == "5":
            raise V1Error("This campaign has already been sent")
        if status == "1":
            self._schedule(st, campaign)
        else:
            CAMPAIGNS.table(st).update(campaign, status=status)
        campaign["mdate"] = self._now()
        return v1_answer(1, "Campaign status changed", id=int(campaign["id"]), status=int(campaign["status"]))

    def _v1_campaign_delete(self, st: State, p: dict[str, str], groups: Groups) -> Row:
        self._drop_campaign(st, self._v1_campaign(st, p.get("id"))["id"])
        return v1_answer(1, "Campaign deleted")

    def _v1_campaign_delete_list(self, st: State, p: dict[str, str], groups: Groups) -> Row:
        campaigns = CAMPAIGNS.table(st)
        found = [i for i in dict.fromkeys(i.strip() for i in (p.get("ids") or "").split(",") if i.strip())
                 if i in campaigns]
        if not found:
            raise V1Error("No campaigns found to delete")
        for cid in found:
            self._drop_campaign(st, cid)
        return v1_answer(1, "Campaign(s) deleted")

    def _v1_campaign_list(self, st: State, p: dict[str, str], groups: Groups) -> Row:
        ids = (p.get("ids") or "all").strip()
        rows = CAMPAIGNS.table(st).rows()
        if ids != "all":
            wanted = {i.strip() for i in ids.split(",")}
            rows = [c for c in rows if c["id"] in wanted]
        return _v1_rows(p, [{**{k: v for k, v in self.render_campaign(c).items() if k != "links"},
                             "lists": ",".join(c["lists"])} for c in rows])

    def _v1_report(self, st: State, p: dict[str, str]) -> tuple[Row, list[Row]]:
        """The campaign a report action names and its recipients' record (none for another message)."""
        campaign = self._v1_campaign(st, p.get("campaignid"))
        message = (p.get("messageid") or "0").strip() or "0"
        if message != "0" and message not in campaign["messages"]:
            return campaign, []
        return campaign, RECIPIENTS.table(st).where("campaign", campaign["id"])

    def _v1_campaign_report_open_list(self, st: State, p: dict[str, str], groups: Groups) -> Row:
        _, recipients = self._v1_report(st, p)
        return _v1_rows(p, [_activity_row(r) for r in recipients if r["opened"]])

    def _v1_campaign_report_link_list(self, st: State, p: dict[str, str], groups: Groups) -> Row:
        campaign, recipients = self._v1_report(st, p)
        rows = []
        for link in campaign["links"]:
            if link["link"] == "open":
                continue
            info = [_activity_row(r) for r in recipients if r["clicked"] and r["link"] == link["id"]]
            rows.append({"id": link["id"], "name": link["name"], "link": link["link"], "tracked": "1",
                         "a_unique": str(len(info)), "a_total": str(len(info)), "info": info})
        return _v1_rows(p, rows)

    def _v1_campaign_report_totals(self, st: State, p: dict[str, str], groups: Groups) -> Row:
        campaign = self._v1_campaign(st, p.get("campaignid") or p.get("id"))
        totals = {name: str(campaign["counters"].get(name, 0)) for name in COUNTERS}
        return v1_answer(1, "Success: Something is returned", campaignid=campaign["id"], **totals)


def _activity_row(r: Row) -> Row:
    """One contact in a v1 report list."""
    return {"subscriberid": r["contact"], "email": r["email"], "times": "1", "tstamp": r["tstamp"]}


def _v1_rows(p: dict[str, str], rows: list[Row]) -> Row:
    """A v1 list answer: the ``page`` asked for (20 rows) under "0", "1", ..., or "Nothing is returned"."""
    try:
        page = max(1, int(p.get("page") or 1))
    except ValueError:
        page = 1
    rows = rows[(page - 1) * V1_PAGE : page * V1_PAGE]
    if not rows:
        return v1_answer(0, NOTHING)
    return v1_answer(1, "Success: Something is returned", **{str(n): row for n, row in enumerate(rows)})
