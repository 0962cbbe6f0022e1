"""Twilio's resources besides campaigns (campaigns.py): SMS-only automations as Studio Flows, and
enrolment as one Studio execution per contact, once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from hub.plugin import (
    Automation,
    Capability,
    Client,
    Desired,
    EnrolmentResourceBase,
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
                continue  # automations with emails live in the email provider
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


class EnrolmentResource(EnrolmentResourceBase):
    """Enrolling a contact in an SMS flow = one Studio execution for them, started once (hub's ledger)."""

    api: TwilioApi
    unknown_outcome = "ask"  # a second execution texts the contact again once the first has ended

    def enrols(self, client: Client, automation: Automation) -> bool:
        return automation.sms_only and automation.enrol is not None

    def recipients(self, client: Client, automation: Automation) -> Iterable[tuple[str, dict[str, Any]]]:
        services = self.api.ctx.services
        optouts = services.optouts() if services else {}
        refused = refused_numbers(client.audience.contacts)  # consent belongs to the number
        by_email = {c.email.lower(): c for c in client.audience.contacts if c.email}
        assert automation.enrol is not None
        contacts = [by_email[e] for e in client.enrolled(automation) if e in by_email]
        contacts += [c for c in client.audience.contacts if not c.email and automation.enrol.list in c.lists]
        enrolled: set[str] = set()
        for c in contacts:
            if not c.phone or c.phone in refused or c.phone in optouts or c.phone in enrolled:
                continue
            enrolled.add(c.phone)  # one execution per number, however many contacts share it
            yield c.phone, {"to": c.phone, "parameters": flow_parameters(recipient_values(c))}

    def ready(self, automation: Automation, refs: References) -> bool:
        return refs.known("automation", automation.id)  # the flow is created in the same plan

    def waiting(self, automation: Automation) -> str:
        return f"waits until the flow for '{automation.name}' is created"

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


RESOURCE_TYPES = (SmsCampaignResource, AutomationResource, EnrolmentResource)  # in dependency order
