"""Twilio's resources besides campaigns (campaigns.py): SMS-only automations as Studio Flows, and
enrolment as one Studio execution per contact, once."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from hub.plugin import (
    Capability,
    Client,
    Desired,
    Fidelity,
    Live,
    NotFound,
    References,
    Resource,
    VendorValidationError,
    recipient_values,
)

from .api import TwilioApi
from .campaigns import SmsCampaignResource, refused_numbers
from .mapping import compile_flow, flow_parameters

__all__ = ["AutomationResource", "EnrolmentResource", "SmsCampaignResource"]


class AutomationResource(Resource):
    api: TwilioApi
    """An SMS-only automation is a Studio Flow, created and kept in step by hub (exact)."""

    kind = "automation"
    capability = Capability.AUTOMATIONS

    def desired(self, client: Client, refs: References) -> list[Desired]:
        out = []
        for a in client.automations:
            if not a.sms_only:
                continue  # automations with emails live in the email provider (or hub's runner)
            definition, problems = compile_flow(a)
            if problems:
                out.append(Desired(a.id, a.name, {}, Fidelity.UNSUPPORTED, "; ".join(problems)))
            else:
                out.append(Desired(a.id, a.name, {"definition": definition}, details={"source": a.source}))
        return out

    def read_live(self, refs: References) -> dict[str, Live]:
        flows = self.api("GET", "v2/Flows", lambda c: list(c.studio.v2.flows.stream(page_size=50)))
        out = {}
        for f in flows:
            definition = f.definition if isinstance(f.definition, dict) else {}
            out[f.friendly_name] = Live(f.sid, f.friendly_name, {"definition": definition})
        return out

    def create(self, want: Desired, refs: References) -> str:
        definition = want.payload["definition"]
        flow = self.api("POST", "v2/Flows", lambda c: c.studio.v2.flows.create(
            friendly_name=want.natural_key, status="published", definition=definition,
            commit_message="hub apply"), idempotent=False)
        return str(flow.sid)

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        definition = want.payload["definition"]
        self.api("POST", f"v2/Flows/{vendor_id}", lambda c: c.studio.v2.flows(vendor_id).update(
            status="published", friendly_name=want.natural_key, definition=definition, commit_message="hub apply"))
        return vendor_id

    def delete(self, vendor_id: str, refs: References) -> None:
        with contextlib.suppress(NotFound):  # already gone
            self.api("DELETE", f"v2/Flows/{vendor_id}", lambda c: c.studio.v2.flows(vendor_id).delete())


class EnrolmentResource(Resource):
    api: TwilioApi
    """Enrolling a contact in an SMS flow = one Studio execution for them, started once (hub's ledger)."""

    kind = "enrolment"
    capability = Capability.ENROLMENT
    live_read = False
    prunable = False
    unknown_outcome = "ask"  # a second execution texts the contact again once the first has ended

    def desired(self, client: Client, refs: References) -> list[Desired]:
        services = self.api.ctx.services
        optouts = services.optouts() if services else {}
        refused = refused_numbers(client.audience.contacts)  # consent belongs to the number
        by_email = {c.email.lower(): c for c in client.audience.contacts if c.email}
        out = []
        for a in client.automations:
            if not a.sms_only or a.enrol is None:
                continue
            emails = client.enrolled(a)
            contacts = [by_email[e] for e in emails if e in by_email]
            contacts += [c for c in client.audience.contacts if not c.email and a.enrol.list in c.lists]
            enrolled: set[str] = set()
            for c in contacts:
                if not c.phone or c.phone in refused or c.phone in optouts or c.phone in enrolled:
                    continue
                enrolled.add(c.phone)  # one execution per number, however many contacts share it
                payload = {"to": c.phone, "parameters": flow_parameters(recipient_values(c))}
                if not refs.known("automation", a.id):
                    out.append(Desired(f"{a.id}/{c.phone}", c.phone, payload, Fidelity.MANUAL,
                                       f"waits until the flow for '{a.name}' is created"))
                else:
                    out.append(Desired(f"{a.id}/{c.phone}", c.phone, {**payload, "automation": a.id}))
        return out

    def create(self, want: Desired, refs: References) -> str:
        flow = refs.require("automation", want.payload["automation"])
        to, params = want.payload["to"], want.payload["parameters"]
        try:
            ex = self.api("POST", f"v2/Flows/{flow}/Executions", lambda c: c.studio.v2.flows(flow)
                                   .executions.create(to=to, from_=self.api.sender_label, parameters=params),
                                   idempotent=False)
        except VendorValidationError as exc:
            if exc.status == 409:  # already running for this contact: enrolled
                return f"{flow}/{to}"
            raise
        return str(ex.sid)

    def find_write(self, want: Desired, refs: References, since: datetime) -> str | None:
        """The flow's executions started for this contact since the write (Studio lists them by creation
        date, newest first)."""
        flow = refs.require("automation", want.payload["automation"])
        after = since - timedelta(minutes=5)  # clock skew between hub and Twilio

        def scan(c: Any) -> str | None:
            for ex in c.studio.v2.flows(flow).executions.stream(date_created_from=after, page_size=50):
                if ex.contact_channel_address == want.payload["to"]:
                    return str(ex.sid)
            return None

        return self.api("GET", f"v2/Flows/{flow}/Executions", scan)

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        return vendor_id  # enrolled once; a changed detail does not enrol anyone again
