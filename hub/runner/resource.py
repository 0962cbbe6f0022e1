"""Automations hub's runner carries out, as plan items of the client's email account.

The plan lists each one with what every step will call (fidelity `exact` where the runner does it all);
`apply` arms it: the state records the definition the runner follows from then on (so that an edit not applied
yet changes nothing that is running). A changed automation keeps its contacts where they are by step id;
those at a removed step move to the next step that still exists, and the plan says how many. Pruned, its
waiting journeys stop.
"""

from __future__ import annotations

from typing import Any

from ..model import Automation, Channel, Client
from ..model.automation import Step
from ..provider import Capability, Desired, Fidelity, Live, References, Resource, VendorApi
from ..routing import account_for, accounts_for
from ..state.journeys import Journeys
from .graph import Graph, relocate

KIND = "runner_automation"
RUNNER_TRIGGERS = ("joined_list", "tag_added", "anniversary", "event", "sms_keyword")


class RunnerAutomationResource(Resource):
    """Listed by an email provider that can send step emails (`Capability.STEP_EMAILS`)."""

    kind = KIND
    capability = Capability.STEP_EMAILS
    live_read = False

    def desired(self, client: Client, refs: References) -> list[Desired]:
        return [self._desired(client, a) for a in client.automations if a.runner_owned]

    def _desired(self, client: Client, automation: Automation) -> Desired:
        sms = self._sms_account(client)
        social = self._social_accounts(client)
        vendor = self.api.display_name
        lines = [_trigger_line(automation, sms)] + [_step_line(s, vendor, sms, social) for s in automation.steps]
        missing = [line for line in lines if line.startswith("!")]
        definition = automation.model_dump(mode="json", by_alias=True, exclude_none=True)
        order = [s.id or "" for s in automation.steps]
        payload: dict[str, Any] = {"definition": definition, "email_account": self.api.ctx.account,
                                   "sms_account": sms}
        if social:
            payload["social_accounts"] = social
        reason = "run by hub's runner (`hub run`): " + "; ".join(line.lstrip("!") for line in lines)
        fidelity = Fidelity.EXACT
        if missing:
            fidelity = Fidelity.UNSUPPORTED
            reason = "hub's runner cannot run it: " + "; ".join(line.lstrip("!") for line in missing)
        moved = self._moved(client, automation)
        if moved:
            reason += "; " + moved
        return Desired(automation.id, automation.name, payload, fidelity, reason,
                       {"record": {**payload, "order": order}, "source": automation.source})

    def _sms_account(self, client: Client) -> str | None:
        services = self.api.ctx.services
        registry = getattr(services, "registry", None)
        if registry is None:
            return next((name for name, acc in client.config.accounts.items() if acc.provider == "sms"), None)
        return account_for(client, Channel.SMS, registry)

    def _social_accounts(self, client: Client) -> list[str]:
        """The client's accounts that can publish a post (a Mailchimp social card, say, cannot)."""
        registry = getattr(self.api.ctx.services, "registry", None)
        if registry is None:
            return []
        return [name for name in accounts_for(client, Channel.SOCIAL, registry)
                if registry.get(client.config.accounts[name].provider).Api.publish_post is not VendorApi.publish_post]

    def _moved(self, client: Client, automation: Automation) -> str:
        """What an edit does to contacts in flight: those at a removed step move on (to what, how many)."""
        services = self.api.ctx.services
        state = getattr(services, "state", None)
        if state is None:
            return ""
        record = state.item(client.name, self.api.ctx.account, KIND, automation.id)
        if record is None:
            return ""
        graph = Graph(automation)
        waiting = [(r["step"], r["n"]) for r in Journeys(state).summary(client.name, automation.id)
                   if r["status"] == "waiting" and r["step"] not in graph.steps]
        if not waiting:
            return ""
        order = record.data.get("order") or []
        parts = [f"{n} contact(s) at removed step '{step}' move to "
                 + (f"'{target}'" if (target := relocate(step, order, graph)) else "the end (their journey ends)")
                 for step, n in waiting]
        return "; ".join(parts)

    # -- applying: arming the automation (its record is the definition the runner follows) ----------------
    def create(self, want: Desired, refs: References) -> str:
        return f"runner/{want.id}"

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        self._relocate(want)
        return f"runner/{want.id}"

    def _relocate(self, want: Desired) -> None:
        services = self.api.ctx.services
        state = getattr(services, "state", None)
        if state is None:
            return
        client = self.api.ctx.client_name
        record = state.item(client, self.api.ctx.account, KIND, want.id)
        graph = Graph(Automation.model_validate(want.payload["definition"]))
        journeys = Journeys(state)
        removed = {r["step"] for r in journeys.summary(client, want.id)
                   if r["status"] == "waiting" and r["step"] not in graph.steps}
        order = (record.data.get("order") if record else None) or []
        if removed:
            journeys.relocate(client, want.id, {s: relocate(s, order, graph) for s in removed},
                              "its step was removed from the automation")

    def delete(self, vendor_id: str, refs: References) -> None:
        services = self.api.ctx.services
        state = getattr(services, "state", None)
        if state is not None:
            Journeys(state).stop(self.api.ctx.client_name, vendor_id.partition("/")[2],
                                 "the automation was removed from the workspace")

    def compare(self, want: Desired, live: Live) -> str | None:
        return None


def _trigger_line(automation: Automation, sms: str | None) -> str:
    trig = automation.trigger
    if trig.kind not in RUNNER_TRIGGERS:
        return f"!its trigger ({trig.kind.replace('_', ' ')}) is not one the runner watches"
    if trig.kind == "sms_keyword" and sms is None:
        return "!an SMS keyword trigger, but the client has no SMS account"
    return {
        "sms_keyword": f"starts when someone texts {trig.value} to account '{sms}' (once per number)",
        "joined_list": f"starts for contacts who join list '{trig.value}' after it is armed (in the workspace, or at"
                       " the contact source: the list is read there every hour)",
        "tag_added": f"starts for contacts who get tag '{trig.value}' after it is armed",
        "anniversary": f"starts every year on each contact's '{trig.value}' date, 09:00 in their timezone",
        "event": f"starts on event '{trig.value}' (`hub event CLIENT {trig.value} --contact EMAIL`)",
    }[trig.kind] + (" and for the contacts under `enrol`" if automation.enrol else "")


def _step_line(step: Step, vendor: str, sms: str | None, social: list[str]) -> str:
    sid = step.id
    if step.post_social is not None:
        targets = [a for a in social if step.post_social.targets(a)]
        if not targets:
            return f"!{sid}: a social post, but none of the client's accounts it names can publish one"
        return f"{sid}: one post on {', '.join(targets)} for each contact who reaches it, exactly once"
    if step.send_email is not None:
        return f"{sid}: email as one {vendor} campaign to the contacts due together"
    if step.send_sms is not None:
        if sms is None:
            return f"!{sid}: an SMS step, but the client has no SMS account"
        return f"{sid}: one text each through account '{sms}', exactly once, outside quiet hours"
    if step.wait is not None:
        return f"{sid}: wait {step.wait.describe()} (in the contact's timezone)"
    if step.condition is not None:
        where = f" (read from {vendor}'s report)" if step.condition.opened or step.condition.clicked else ""
        if step.condition.replied:
            if sms is None:
                return f"!{sid}: a condition on an SMS reply, but the client has no SMS account"
            where = f" (read from the texts account '{sms}' received)"
        return f"{sid}: if {step.condition.describe()}{where}"
    if step.add_tag or step.remove_tag:
        return f"{sid}: {'add' if step.add_tag else 'remove'} tag '{step.add_tag or step.remove_tag}' at {vendor}"
    if step.move_to_list:
        return f"!{sid}: moving contacts between lists (the runner cannot do it yet)"
    if step.webhook is not None:
        return f"{sid}: {step.webhook.method} {step.webhook.url} (once per contact; an Idempotency-Key header)"
    return f"{sid}: exit"


def runner_record(data: dict[str, Any]) -> Automation:
    """The armed definition the runner follows (from the state's record of the plan item)."""
    return Automation.model_validate(data["definition"])
