"""SMS campaigns: one text per consenting recipient, delivered exactly once.

Planning resolves the audience through hub (the contact source's members merged with the workspace's
contacts), keeps those with an E.164 phone and SMS consent who never opted out, renders the text per
recipient, counts segments (the cost basis) and decides each recipient's timing (quiet hours in their
own timezone; the vendor schedules inside its window; hub holds beyond it).

Applying walks the recipients against hub's delivery ledger: a row is written *before* each message is
created and settled with its SID after, so that after a crash the unsettled rows are looked up in the
vendor's message list (same recipient, same text, since the row was written) instead of being sent again.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from hub.errors import HubError, ProviderError, VendorValidationError
from hub.model import Client, ConsentStatus, Contact
from hub.model.personalisation import render
from hub.provider import Capability, Desired, Live, References, Resource
from hub.smstext import count_segments
from hub.transport.http import AmbiguousWrite

from .timing import SCHEDULE_MAX, not_before, timing

if TYPE_CHECKING:
    from .provider import TwilioProvider



class OptedOut(VendorValidationError):
    """Twilio 21610: the recipient texted STOP to this sender."""


def contact_values(contact: Contact) -> dict[str, Any]:
    values: dict[str, Any] = {"first_name": contact.first_name, "last_name": contact.last_name,
                              "email": contact.email or "", "phone": contact.phone or ""}
    values.update({f"fields.{k}": v for k, v in contact.fields.items()})
    return values


class SmsCampaignResource(Resource):
    kind = "sms_campaign"
    capability = Capability.SMS_CAMPAIGNS
    live_read = False
    prunable = False  # a text cannot be unsent

    provider: TwilioProvider

    # -- planning ------------------------------------------------------------------------------------
    def desired(self, client: Client, refs: References) -> list[Desired]:
        services = self.provider.ctx.services
        out = []
        for campaign in client.campaigns:
            sms = campaign.sms
            if sms is None:
                continue
            members = services.members(campaign.audience.list, campaign.audience.segment) if services else \
                [c for c in client.audience.contacts if campaign.audience.list in c.lists]
            opted_out = {**(services.optouts() if services else {}), **self.provider.inbound_stops()}
            now = self.provider.ctx.clock.utcnow()
            at = campaign.schedule.at_utc(client.timezone) if campaign.schedule.mode == "at" else None
            quiet = campaign.quiet_hours or client.config.quiet_hours
            recipients: list[dict[str, Any]] = []
            excluded: Counter[str] = Counter()
            seen: set[str] = set()
            for contact in members:
                phone = contact.phone
                if not phone or not phone.startswith("+"):
                    excluded["no phone"] += 1
                elif contact.consent.sms != ConsentStatus.SUBSCRIBED:
                    excluded["no SMS consent"] += 1
                elif phone in opted_out:
                    excluded["opted out"] += 1
                elif phone in seen:
                    excluded["same phone twice"] += 1
                else:
                    seen.add(phone)
                    text = render(sms.body, contact_values(contact))
                    due = not_before(at, now, contact.timezone or client.timezone, quiet)
                    recipients.append({"to": phone, "body": text, "segments": count_segments(text).segments,
                                       "not_before": due.strftime("%Y-%m-%dT%H:%M:%SZ")})
            if campaign.schedule.mode == "draft":
                reason = "draft: nothing is sent until the schedule says `now` or a time"
            else:
                total = sum(r["segments"] for r in recipients)
                reason = f"{len(recipients)} recipient(s), {total} segment(s) to pay for"
                if excluded:
                    reason += " (left out: " + ", ".join(f"{n} {why}" for why, n in excluded.items()) + ")"
                later = sum(1 for r in recipients if r["not_before"] > now.strftime("%Y-%m-%dT%H:%M:%SZ"))
                if later:
                    reason += f"; {later} later (schedule or quiet hours)"
            payload = {"body": sms.body, "media": sms.media, "schedule": campaign.schedule.model_dump(mode="json"),
                       "quiet_hours": quiet.model_dump(mode="json") if quiet else None,
                       "sender": self.provider.sender_label}
            out.append(Desired(campaign.id, campaign.name, payload, reason=reason, details={
                "recipients": recipients if campaign.schedule.mode != "draft" else [],
                "excluded": dict(excluded), "segments": sum(r["segments"] for r in recipients),
                "record": {"send_at": "now" if campaign.schedule.mode == "now" else (at.isoformat() if at else None)},
                "source": campaign.source}))
        return out

    def outstanding(self, want: Desired, record: Any) -> str | None:
        ledger = self._ledger(want.id)
        now = self.provider.ctx.clock.utcnow()
        # a held text is due once Twilio can schedule it (inside its window), or when its time has come
        horizon = now + (SCHEDULE_MAX if self.provider.can_schedule else timedelta(0))
        cutoff = horizon.strftime("%Y-%m-%dT%H:%M:%SZ")
        due = [d for d in ledger.values() if d.status in ("pending", "retry")
               or (d.status == "held" and d.send_at <= cutoff)]
        if due:
            return f"{len(due)} recipient(s) now due (held until now, or interrupted)"
        return None

    # -- applying -------------------------------------------------------------------------------------
    def create(self, want: Desired, refs: References) -> str:
        return self._send(want)

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        return self._send(want)

    def _ledger(self, campaign: str) -> dict[str, Any]:
        services = self.provider.ctx.services
        if services is None:
            return {}
        return services.state.deliveries(self.provider.ctx.client, self.provider.ctx.account, campaign)

    def _send(self, want: Desired) -> str:
        services = self.provider.ctx.services
        if services is None:
            raise ProviderError("SMS campaigns need hub's state (run them through hub plan/apply)",
                                provider=self.provider.name)
        state, client, account = services.state, self.provider.ctx.client, self.provider.ctx.account
        self.provider.take_stops()  # inbound STOPs since the plan: recorded and written back first
        optouts = services.optouts()
        ledger = self._reconcile(want, state.deliveries(client, account, want.id))
        now = self.provider.ctx.clock.utcnow()
        fp = want.fingerprint
        todo = [r for r in want.details["recipients"]
                if r["to"] not in optouts and (r["to"] not in ledger or ledger[r["to"]].status in ("held", "retry"))]
        outcome: Counter[str] = Counter()
        lock = threading.Lock()
        problems: list[str] = []

        def one(r: dict[str, Any]) -> None:
            if services.stop.is_set():
                return
            when = timing(datetime.fromisoformat(r["not_before"].replace("Z", "+00:00")), now,
                          can_schedule=self.provider.can_schedule)
            if when.mode == "hold":
                state.record_deliveries(client, account, want.id, [(r["to"], "held", "", fp, when.iso, "")])
                with lock:
                    outcome["held"] += 1
                return
            state.record_deliveries(client, account, want.id, [(r["to"], "pending", "", fp, when.iso, "")])
            status, sid, detail = self._create(r, when, want)
            state.record_deliveries(client, account, want.id, [(r["to"], status, sid, fp, when.iso, detail)])
            if status == "opted_out":
                services.record_optout(r["to"], "21610")
            with lock:
                outcome[status] += 1
                if status == "retry":
                    problems.append(f"{r['to']}: {detail}")

        workers = max(1, self.provider.limits.max_concurrency)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(one, todo))
        self.provider.sync_statuses(want.id)
        summary = ", ".join(f"{n} {k}" for k, n in sorted(outcome.items())) or "nothing left to send"
        if services.stop.is_set():
            raise ProviderError(f"interrupted after {summary}; apply again to continue", provider=self.provider.name)
        if problems:
            raise ProviderError(f"{len(problems)} text(s) not sent ({summary}); apply again to retry: "
                                + "; ".join(problems[:5]), provider=self.provider.name)
        return summary

    def _create(self, r: dict[str, Any], when: Any, want: Desired) -> tuple[str, str, str]:
        media = want.payload.get("media") or []
        send_at = when.iso if when.mode == "schedule" else None
        try:
            sid, status = self.provider.create_message(r["to"], r["body"], media, send_at, segments=r["segments"])
        except OptedOut:
            return "opted_out", "", "21610: the recipient texted STOP"
        except AmbiguousWrite as exc:
            found = self.provider.find_message(r["to"], r["body"], self.provider.ctx.clock.utcnow())
            if found is not None:
                return found[1], found[0], "found after a lost answer"
            return "retry", "", str(exc)
        except VendorValidationError as exc:
            return ("invalid" if exc.status == 400 else "failed"), "", exc.message
        except HubError as exc:
            return "retry", "", str(exc)
        return ("scheduled" if send_at else "sent"), sid, status

    def _reconcile(self, want: Desired, ledger: dict[str, Any]) -> dict[str, Any]:
        """Settle rows journalled before a crash: the vendor's message list says whether each text went."""
        services = self.provider.ctx.services
        assert services is not None
        by_phone = {r["to"]: r for r in want.details["recipients"]}
        fixes = []
        for phone, row in ledger.items():
            if row.status != "pending":
                continue
            body = by_phone.get(phone, {}).get("body")
            since = datetime.fromisoformat(row.created_at.replace("Z", "+00:00"))
            found = self.provider.find_message(phone, body, since) if body else None
            if found is not None:
                fixes.append((phone, found[1], found[0], row.fingerprint, row.send_at, "reconciled: found"))
            else:
                fixes.append((phone, "retry", "", row.fingerprint, row.send_at, "reconciled: not sent"))
        if fixes:
            services.state.record_deliveries(self.provider.ctx.client, self.provider.ctx.account, want.id, fixes)
            ledger = services.state.deliveries(self.provider.ctx.client, self.provider.ctx.account, want.id)
        return ledger
