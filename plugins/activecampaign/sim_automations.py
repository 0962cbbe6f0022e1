"""Automations and enrolments (``contactAutomations``) in the ActiveCampaign simulator.

Automations are built in the vendor's UI — here with the ``add_automation`` control — and are
read-only through v3 (``GET /automations[/{id}]``; status "1" active, "2" inactive). A contact is
enrolled with ``POST /contactAutomations`` (201); an inactive automation refuses with the documented
403 ``{"message": "Could not create SubscriberSeries"}``, and — a simulator choice, the vendor's
behaviour is unverified — enrolling a contact who is still in the automation (an enrolment with
status "1") is a 422 ``duplicate`` unless the automation allows multiple entries (``multientry``),
in which case a second enrolment is created. ``DELETE /contactAutomations/{id}`` takes the contact
out. Enrolment statuses: "1" in progress, "2" completed (``complete_enrolment`` control).
"""

from __future__ import annotations

from typing import Any

from hub.simulator import Abort, SimRequest, route
from hub_activecampaign.sim_shapes import (
    MODEL_AUTOMATION,
    MODEL_CONTACT,
    MODEL_ENROLMENT,
    missing_attribute,
    not_found,
    sid,
    unprocessable,
)


class AutomationsMixin:
    """``/automations`` and ``/contactAutomations``."""

    def render_automation(self, auto: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": auto["name"],
            "cdate": auto["cdate"],
            "mdate": auto["mdate"],
            "userid": "1",
            "status": auto["status"],
            "entered": str(auto["entered"]),
            "exited": str(auto["exited"]),
            "hidden": "0",
            "multientry": "1" if auto["multientry"] else "0",
            "defaultscreenshot": "http://img-us1.com/default-series.gif",
            "screenshot": "https://d226aj4ao1t61q.cloudfront.net/k0x4h0lr_default-automation.png",
            "links": self._links(
                f"/automations/{auto['id']}",
                ("campaigns", "contactGoals", "contactAutomations", "blocks", "goals", "sms", "sitemessages"),
            ),
            "id": auto["id"],
        }

    def render_enrolment(self, e: dict[str, Any]) -> dict[str, Any]:
        done = e["status"] == "2"
        return {
            "contact": e["contact"],
            "seriesid": e["automation"],
            "startid": "0",
            "status": e["status"],
            "batchid": None,
            "adddate": e["adddate"],
            "remdate": e["remdate"],
            "timespan": "0" if done else None,
            "lastblock": "0",
            "lastlogid": "0",
            "lastdate": e["lastdate"],
            "completedElements": "1" if done else "0",
            "totalElements": "1",
            "completed": 1 if done else 0,
            "completeValue": 100 if done else 0,
            "links": self._links(f"/contactAutomations/{e['id']}", ("automation", "contact", "contactGoals")),
            "id": e["id"],
            "automation": e["automation"],
        }

    # ---------------------------------------------------------------- state operations

    def _new_automation(self, st: dict[str, Any], name: str, status: str, multientry: bool) -> dict[str, Any]:
        aid = self._new_id(st, "automations")
        now = self._now()
        auto = {
            "id": aid,
            "name": name,
            "status": status,
            "multientry": multientry,
            "entered": 0,
            "exited": 0,
            "cdate": now,
            "mdate": now,
        }
        st["automations"][aid] = auto
        return auto

    def _finish_enrolment(self, st: dict[str, Any], e: dict[str, Any]) -> None:
        if e["status"] == "1":
            now = self._now()
            e.update({"status": "2", "remdate": now, "lastdate": now})
            auto = st["automations"].get(e["automation"])
            if auto is not None:
                auto["exited"] += 1

    # ---------------------------------------------------------------- automations

    @route("GET", "/api/3/automations")
    def list_automations(self, req: SimRequest) -> Any:
        st = self._st(req)
        page, meta = self._page(req, list(st["automations"].values()))
        meta.update({"starts": [], "filtered": False, "smsLogs": []})
        return 200, {"automations": [self.render_automation(a) for a in page], "meta": meta}

    @route("GET", "/api/3/automations/{id}")
    def get_automation(self, req: SimRequest) -> Any:
        st = self._st(req)
        auto = self._find(st, "automations", req.params["id"], MODEL_AUTOMATION)
        return 200, {"automation": self.render_automation(auto)}

    # ---------------------------------------------------------------- enrolments

    @route("POST", "/api/3/contactAutomations")
    def enrol(self, req: SimRequest) -> Any:
        st = self._st(req)
        data = self._wrapped(req, "contactAutomation")
        absent = [k for k in ("contact", "automation") if data.get(k) in (None, "")]
        if absent:
            raise missing_attribute(*absent)
        contact = st["contacts"].get(sid(data["contact"]) or "")
        if contact is None:
            raise not_found(MODEL_CONTACT, data["contact"])
        auto = st["automations"].get(sid(data["automation"]) or "")
        if auto is None:
            raise not_found(MODEL_AUTOMATION, data["automation"])
        if auto["status"] != "1":
            raise Abort(403, {"message": "Could not create SubscriberSeries"})
        ids = st["ca_by_contact"].setdefault(contact["id"], [])
        active = [
            i
            for i in ids
            if st["contact_automations"][i]["automation"] == auto["id"]
            and st["contact_automations"][i]["status"] == "1"
        ]
        if active and not auto["multientry"]:
            raise unprocessable(
                "The contact is already in this automation",
                "contact",
                code="duplicate",
                detail=f"contactAutomation {active[0]} is in progress",
            )
        eid = self._new_id(st, "contact_automations")
        now = self._now()
        enrolment = {
            "id": eid,
            "contact": contact["id"],
            "automation": auto["id"],
            "status": "1",
            "adddate": now,
            "remdate": None,
            "lastdate": now,
        }
        st["contact_automations"][eid] = enrolment
        ids.append(eid)
        auto["entered"] += 1
        rendered = self.render_enrolment(enrolment)
        short = {
            "contact": rendered["contact"],
            "seriesid": rendered["seriesid"],
            "startid": 0,
            "status": 1,
            "lastblock": "0",
            "completedElements": "0",
            "totalElements": "1",
            "completed": 0,
            "completeValue": 0,
            "links": rendered["links"],
            "id": eid,
            "automation": auto["id"],
        }
        return 201, {"contacts": [self.render_contact(contact)], "contactAutomation": short}

    @route("GET", "/api/3/contactAutomations")
    def list_enrolments(self, req: SimRequest) -> Any:
        st = self._st(req)
        rows = list(st["contact_automations"].values())
        for param, key in (
            ("filters[contact]", "contact"),
            ("contact", "contact"),
            ("filters[seriesid]", "automation"),
            ("filters[automation]", "automation"),
            ("automation", "automation"),
            ("filters[status]", "status"),
        ):
            value = sid(req.arg(param))
            if value is not None:
                rows = [e for e in rows if e[key] == value]
        page, meta = self._page(req, rows)
        meta["showcase_stats"] = []
        return 200, {"contactAutomations": [self.render_enrolment(e) for e in page], "meta": meta}

    @route("GET", "/api/3/contactAutomations/{id}")
    def get_enrolment(self, req: SimRequest) -> Any:
        st = self._st(req)
        e = self._find(st, "contact_automations", req.params["id"], MODEL_ENROLMENT)
        return 200, {"contactAutomation": self.render_enrolment(e)}

    @route("DELETE", "/api/3/contactAutomations/{id}")
    def delete_enrolment(self, req: SimRequest) -> Any:
        st = self._st(req)
        e = self._find(st, "contact_automations", req.params["id"], MODEL_ENROLMENT)
        if e["status"] == "1":
            auto = st["automations"].get(e["automation"])
            if auto is not None:
                auto["exited"] += 1
        del st["contact_automations"][e["id"]]
        ids = st["ca_by_contact"].get(e["contact"], [])
        if e["id"] in ids:
            ids.remove(e["id"])
        return 200, {}
