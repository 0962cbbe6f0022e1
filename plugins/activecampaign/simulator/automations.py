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

from hub.simulator import Abort, Collection, Row, SimRequest, control, route

from .fields import ActiveCampaignFields
from .shapes import CONTACTS, State, sid

AUTOMATIONS = Collection("automations", model="Series", render="render_automation")
ENROLMENTS = Collection("enrolments", model="SubscriberSeries", index=("contact", "automation"),
                        render="show_enrolment")


def _automation_status(status: Any) -> str:
    if str(status) not in ("1", "2"):
        raise ValueError('status must be "1" (active) or "2" (inactive)')
    return str(status)


AUTOMATION_LINKS = ("campaigns", "contactGoals", "contactAutomations", "blocks", "goals", "sms", "sitemessages")


class ActiveCampaignAutomations(ActiveCampaignFields):
    """``/automations`` and ``/contactAutomations``."""

    def render_automation(self, st: State, auto: Row) -> Row:
        return {
            "name": auto["name"], "cdate": auto["cdate"], "mdate": auto["mdate"], "userid": "1",
            "status": auto["status"], "entered": str(auto["entered"]), "exited": str(auto["exited"]), "hidden": "0",
            "multientry": "1" if auto["multientry"] else "0",
            "defaultscreenshot": "http://img-us1.com/default-series.gif",
            "screenshot": "https://d226aj4ao1t61q.cloudfront.net/k0x4h0lr_default-automation.png",
            "links": self._links(f"/automations/{auto['id']}", AUTOMATION_LINKS), "id": auto["id"],
        }

    def render_enrolment(self, e: Row) -> Row:
        done = e["status"] == "2"
        return {
            "contact": e["contact"], "seriesid": e["automation"], "startid": "0", "status": e["status"],
            "batchid": None, "adddate": e["adddate"], "remdate": e["remdate"], "timespan": "0" if done else None,
            "lastblock": "0", "lastlogid": "0", "lastdate": e["lastdate"], "completedElements": "1" if done else "0",
            "totalElements": "1", "completed": 1 if done else 0, "completeValue": 100 if done else 0,
            "links": self._links(f"/contactAutomations/{e['id']}", ("automation", "contact", "contactGoals")),
            "id": e["id"], "automation": e["automation"],
        }

    def show_enrolment(self, st: State, e: Row) -> Row:
        """The ``enrolments()`` control: every contactAutomation as v3 renders it, with the contact's ``email``."""
        return {**self.render_enrolment(e), "email": CONTACTS.table(st)[e["contact"]]["email"]}

    def _leave(self, st: State, e: Row) -> None:
        """An enrolment in progress ends: the automation counts one more exit."""
        if e["status"] == "1":
            auto = AUTOMATIONS.table(st).get(e["automation"])
            if auto is not None:
                auto["exited"] += 1

    @control("add_automation")
    def add_automation(self, account: str, name: str, status: str = "1", multientry: bool = False) -> Row:
        """Build an automation as a user would in the UI: status "1" active, "2" inactive; `multientry`
        lets a contact be enrolled again while still in it."""
        status = _automation_status(status)
        with self.lock:
            st, now = self.account_state(account), self._now()
            auto = self._add(st, AUTOMATIONS, name=name, status=status, multientry=bool(multientry), entered=0,
                             exited=0, cdate=now, mdate=now)
            return self.render_automation(st, auto)

    @control("set_automation_status")
    def set_automation_status(self, account: str, automation_id: str, status: str) -> Row:
        status = _automation_status(status)
        with self.lock:
            st = self.account_state(account)
            auto = AUTOMATIONS.table(st)[str(automation_id)]
            auto.update(status=status, mdate=self._now())
            return self.render_automation(st, auto)

    @control("complete_enrolment")
    def complete_enrolment(self, account: str, enrolment_id: str) -> Row:
        """The contact reached the end of the automation."""
        with self.lock:
            st = self.account_state(account)
            e = ENROLMENTS.table(st)[str(enrolment_id)]
            if e["status"] == "1":
                self._leave(st, e)
                now = self._now()
                e.update(status="2", remdate=now, lastdate=now)
            return self.render_enrolment(e)

    @route("GET", "/api/3/automations")
    def list_automations(self, req: SimRequest) -> Any:
        st = self._st(req)
        page, meta = self._page(req, AUTOMATIONS.table(st).rows())
        meta.update({"starts": [], "filtered": False, "smsLogs": []})
        return 200, {"automations": [self.render_automation(st, a) for a in page], "meta": meta}

    @route("GET", "/api/3/automations/{id}")
    def get_automation(self, req: SimRequest) -> Any:
        return 200, {"automation": self.render_automation(*self._row(req, AUTOMATIONS))}

    @route("POST", "/api/3/contactAutomations")
    def enrol(self, req: SimRequest) -> Any:
        st = self._st(req)
        data = self._wrapped(req, "contactAutomation")
        self.required(data, "contact", "automation")
        contact, auto = self._ref(st, CONTACTS, data["contact"]), self._ref(st, AUTOMATIONS, data["automation"])
        if auto["status"] != "1":
            raise Abort(403, {"message": "Could not create SubscriberSeries"})
        mine = ENROLMENTS.table(st).rows(("contact", contact["id"]), ("automation", auto["id"]))
        active = [e["id"] for e in mine if e["status"] == "1"]
        if active and not auto["multientry"]:
            raise self.unprocessable("The contact is already in this automation", "contact", code="duplicate",
                                     detail=f"contactAutomation {active[0]} is in progress")
        now = self._now()
        e = self._add(st, ENROLMENTS, contact=contact["id"], automation=auto["id"], status="1", adddate=now,
                      remdate=None, lastdate=now)
        auto["entered"] += 1
        short = {"contact": e["contact"], "seriesid": auto["id"], "startid": 0, "status": 1, "lastblock": "0",
                 "completedElements": "0", "totalElements": "1", "completed": 0, "completeValue": 0,
                 "links": self.render_enrolment(e)["links"], "id": e["id"], "automation": auto["id"]}
        return 201, {"contacts": [self.render_contact(contact)], "contactAutomation": short}

    @route("GET", "/api/3/contactAutomations")
    def list_enrolments(self, req: SimRequest) -> Any:
        rows = ENROLMENTS.table(self._st(req)).rows()
        for param, key in (("filters[contact]", "contact"), ("contact", "contact"), ("filters[seriesid]", "automation"),
                           ("filters[automation]", "automation"), ("automation", "automation"),
                           ("filters[status]", "status")):
            value = sid(req.arg(param))
            if value is not None:
                rows = [e for e in rows if e[key] == value]
        page, meta = self._page(req, rows)
        meta["showcase_stats"] = []
        return 200, {"contactAutomations": [self.render_enrolment(e) for e in page], "meta": meta}

    @route("GET", "/api/3/contactAutomations/{id}")
    def get_enrolment(self, req: SimRequest) -> Any:
        return 200, {"contactAutomation": self.render_enrolment(self._row(req, ENROLMENTS)[1])}

    @route("DELETE", "/api/3/contactAutomations/{id}")
    def delete_enrolment(self, req: SimRequest) -> Any:
        self._leave(*self._row(req, ENROLMENTS, remove=True))
        return 200, {}
