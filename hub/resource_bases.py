"""Resource bases that more than one provider plugin builds on: the mechanism once, the vendor's parts as hooks.

- `ManualAutomationResource`: automations the vendor's API cannot create; hub plans a build sheet (MANUAL)
  and verifies the automation the user built. Hooks: `manual_trigger`, `build_sheet`, `manual_payload`.
- `ManualSegmentResource`: segments the vendor's API cannot create; a build sheet (MANUAL), verified by
  name. Hooks: `build_sheet`, `vendor_segments`.
- `EnrolmentResourceBase`: contacts enrolled in an automation the vendor runs, one item each, waiting
  (MANUAL) until the automation is at the vendor. Hooks: `enrols`, `recipients`, `ready`, `when_ready`,
  `waiting`.
- `SharedCollectionResource`: lists and tags kept as one vendor collection (MailerLite groups, Mailchimp
  tags) read once for both. Hooks: `collection`, `forget_collection`, `create_item`, `update_item`,
  `delete_item`, and optionally `collection_gained`.
- `SocialPostResourceBase`: the posts a client's campaigns make on one social account, one item per campaign.
  Hooks: `payload`, `notes`, `natural_key`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from .content import automation_emails
from .errors import NotSupported
from .model import Automation, Client, SegmentDef
from .model.personalisation import MergeTagTranslator
from .provider import Capability, Desired, Fidelity, Live, References, Resource
from .social import SocialPost, campaign_posts, is_url

ISO = "%Y-%m-%dT%H:%M:%SZ"


def _vendor(resource: Resource) -> str:
    return resource.api.display_name


@dataclass(frozen=True)
class ManualTrigger:
    """How the vendor starts an automation hub cannot create: `value` is the vendor's trigger (what the
    payload holds, if anything); `before` and `after` go either side of the "cannot create" reason."""

    value: Any = None
    before: str = ""
    after: str = ""


class ManualAutomationResource(Resource):
    """Automations the vendor's API cannot create: hub prints a build sheet (MANUAL) and verifies the result.

    Sms-only automations are not the email vendor's (the SMS provider builds them); one whose trigger the
    vendor has no counterpart for is UNSUPPORTED, naming `accepted_triggers`."""

    kind = "automation"
    capability = Capability.AUTOMATIONS
    prunable = False
    accepted_triggers: ClassVar[str]  # e.g. "a list, tag or date trigger"

    def manual_trigger(self, automation: Automation, names: dict[str, str],
                       fields: dict[str, str]) -> ManualTrigger | None:
        """The vendor's trigger for `automation` (and what it adds to the reason), or None when it has none."""
        raise NotImplementedError

    def build_sheet(self, automation: Automation, names: dict[str, str], fields: dict[str, str],
                    tags: MergeTagTranslator, client: str) -> str:
        """The steps to build `automation` in the vendor's UI."""
        raise NotImplementedError

    def manual_payload(self, automation: Automation, trigger: ManualTrigger | None,
                       tags: MergeTagTranslator) -> dict[str, Any]:
        """What is compared with the live automation (`trigger` None: the UNSUPPORTED item's payload)."""
        return {"name": automation.name}

    def desired(self, client: Client, refs: References) -> list[Desired]:
        names = {x.id: x.name for x in client.audience.lists} | {x.id: x.name for x in client.audience.tags}
        fields = {x.id: x.name for x in client.audience.fields}
        tags = self.api.vendor.merge_tags(client)
        if tags is None:
            raise NotSupported(f"{_vendor(self)} renders no merge tags, which a build sheet needs",
                               provider=self.api.name)
        vendor = _vendor(self)
        out = []
        for a in client.automations:
            if a.sms_only or a.runner_owned:
                continue
            trigger = self.manual_trigger(a, names, fields)
            if trigger is None:
                out.append(Desired(a.id, a.name, self.manual_payload(a, None, tags), Fidelity.UNSUPPORTED,
                                   f"{vendor} automations cannot be triggered by {a.trigger.kind.replace('_', ' ')};"
                                   f" use {self.accepted_triggers}"))
                continue
            reason = f"{trigger.before}{vendor}'s API cannot create automations: build it in the UI{trigger.after}"
            out.append(Desired(a.id, a.name, self.manual_payload(a, trigger, tags), Fidelity.MANUAL, reason, {
                "build_sheet": self.build_sheet(a, names, fields, tags, client.name), "source": a.source,
                "emails": automation_emails(a, tags)}))
        return out


class ManualSegmentResource(Resource):
    """Segments the vendor's API cannot create: hub prints a build sheet and verifies the segment by name (the
    vendor does not expose its conditions either)."""

    kind = "segment"
    capability = Capability.SEGMENTS
    prunable = False

    def build_sheet(self, segment: SegmentDef, names: dict[str, str]) -> str:
        """How to build `segment` in the vendor's UI; `names` maps the workspace's list, tag and field ids
        to their names."""
        raise NotImplementedError

    def vendor_segments(self) -> Iterable[dict[str, Any]]:
        """The vendor's segments, each with its `id` and `name`."""
        raise NotImplementedError

    def desired(self, client: Client, refs: References) -> list[Desired]:
        audience = client.audience
        names = {x.id: x.name for group in (audience.lists, audience.tags, audience.fields) for x in group}
        return [Desired(s.id, s.name, {"name": s.name}, Fidelity.MANUAL,
                        f"{_vendor(self)}'s API cannot create segments: build it in the UI (see the build sheet)",
                        {"build_sheet": self.build_sheet(s, names), "source": s.source})
                for s in audience.segments]

    def read_live(self, refs: References) -> dict[str, Live]:
        return {s["name"]: Live(str(s["id"]), s["name"], {"name": s["name"]}, s) for s in self.vendor_segments()}

    def compare(self, want: Desired, live: Live) -> str | None:
        return None  # verified by its name: the vendor's API does not show a segment's conditions


class EnrolmentResourceBase(Resource):
    """Contacts enrolled in an automation the vendor runs, each once: one item per automation and recipient
    (planned against hub's state: enrolling is an event, not a vendor object to compare), waiting (MANUAL)
    until the automation is at the vendor."""

    kind = "enrolment"
    many = True
    capability = Capability.ENROLMENT
    live_read = False
    prunable = False

    def enrols(self, client: Client, automation: Automation) -> bool:
        """Whether this vendor enrols contacts in `automation` (default: an email automation with `enrol` that
        the vendor runs)."""
        return automation.enrol is not None and not automation.sms_only and not automation.runner_owned

    def recipients(self, client: Client, automation: Automation) -> Iterable[tuple[str, dict[str, Any]]]:
        """(recipient key, payload) for everyone to enrol; default: each enrolled email."""
        return ((email, {"email": email}) for email in client.enrolled(automation))

    def ready(self, automation: Automation, refs: References) -> bool:
        """Whether the automation is at the vendor (default: hub knows its vendor id)."""
        return refs.vendor_id("automation", automation.id) is not None

    def when_ready(self, automation: Automation, payload: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """The payload and reason of an enrolment once its automation is ready."""
        return {**payload, "automation": automation.id}, ""

    def waiting(self, automation: Automation) -> str:
        return f"waits until automation '{automation.name}' is built in {_vendor(self)}"

    def desired(self, client: Client, refs: References) -> list[Desired]:
        out = []
        for a in client.automations:
            if not self.enrols(client, a):
                continue
            ready = self.ready(a, refs)
            for key, payload in self.recipients(client, a):
                if ready:
                    payload, reason = self.when_ready(a, payload)
                    out.append(Desired(f"{a.id}/{key}", key, payload, reason=reason))
                else:
                    out.append(Desired(f"{a.id}/{key}", key, payload, Fidelity.MANUAL, self.waiting(a)))
        return out


class SharedCollectionResource(Resource):
    """Lists and tags that live as one vendor collection (`kind` "list" or "tag" picks the client's items).

    One read of the collection serves both: the kind planned first (`fresh_read`) refreshes it, the other
    reuses it; every write makes the next read fresh."""

    fresh_read: ClassVar[bool] = True

    def collection(self, *, refresh: bool) -> Iterable[dict[str, Any]]:
        """The vendor's items ({"id", "name", ...}), read again when `refresh`."""
        raise NotImplementedError

    def forget_collection(self) -> None:
        """Drop the shared read, so the next one is fresh."""
        raise NotImplementedError

    def create_item(self, name: str) -> dict[str, Any]:
        """Create the item; what the vendor answered ({"id", "name", ...}, as `collection` shows items)."""
        raise NotImplementedError

    def collection_gained(self, item: dict[str, Any]) -> None:
        """`item` was just made: keep the shared read right (add it to a read held), or drop it (the default)."""
        self.forget_collection()

    def update_item(self, vendor_id: str, name: str) -> None:
        raise NotImplementedError

    def delete_item(self, vendor_id: str) -> None:
        """Delete the item; one already gone is no error."""
        raise NotImplementedError

    def _items(self, client: Client) -> list[tuple[str, str]]:
        items = client.audience.lists if self.kind == "list" else client.audience.tags
        return [(x.id, x.name) for x in items]

    def desired(self, client: Client, refs: References) -> list[Desired]:
        support = self.api.vendor.support(self.capability)
        reason = support.note if support.fidelity == Fidelity.APPROXIMATED else ""
        return [Desired(id_, name, {"name": name}, support.fidelity, reason) for id_, name in self._items(client)]

    def read_live(self, refs: References, *, fresh: bool = False) -> dict[str, Live]:
        return {x["name"]: Live(str(x["id"]), x["name"], {"name": x["name"]}, x)
                for x in self.collection(refresh=fresh or self.fresh_read)}

    def lookup(self, natural_key: str, refs: References) -> Live | None:
        return self.read_live(refs, fresh=True).get(natural_key)

    def create(self, want: Desired, refs: References) -> str:
        made = self.create_item(want.payload["name"])
        self.collection_gained(made)
        return str(made["id"])

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        self.update_item(vendor_id, want.payload["name"])
        self.forget_collection()
        return vendor_id

    def delete(self, vendor_id: str, refs: References) -> None:
        self.delete_item(vendor_id)
        self.forget_collection()


class SocialPostResourceBase(Resource):
    """The posts a client's campaigns make on one social account (kind `social_post`), one item per campaign.

    Shared here: which campaigns post on this account and with what text (its override applied, Markdown
    flattened: approximated), and when: the payload's `at` is the UTC time ("2026-12-01T09:00:00Z") or "now". A
    draft campaign posts nothing (MANUAL, saying so). The network's part: `payload` (the post in the comparable
    form the vendor's read gives back), `notes` (what this network approximates), `natural_key` (how a post is
    found at the vendor without hub's state), and the I/O."""

    kind = "social_post"
    capability = Capability.SOCIAL

    def payload(self, post: SocialPost, at: str) -> dict[str, Any]:
        raise NotImplementedError

    def notes(self, post: SocialPost) -> list[str]:
        """What this network cannot post as written (each an approximation the plan names)."""
        return []

    def natural_key(self, post: SocialPost, at: str) -> str:
        return post.text

    def timing(self, at: str) -> str:
        """When and by whom the post goes out, for the plan (`at`: the UTC time, or "now")."""
        return "posted by this apply" if at == "now" else f"scheduled at {_vendor(self)} for {at}"

    def desired(self, client: Client, refs: References) -> list[Desired]:
        vendor = _vendor(self)
        out = []
        for campaign, post in campaign_posts(client, self.api.ctx.account, self.api.name):
            details: dict[str, Any] = {"source": post.source}
            if campaign.schedule.mode == "draft":
                out.append(Desired(campaign.id, self.natural_key(post, "draft"), {"text": post.text}, Fidelity.MANUAL,
                                   f"a draft: nothing is posted on {vendor} until the campaign's schedule is `now`"
                                   " or a time", details))
                continue
            when = campaign.schedule.at_utc(client.timezone)
            at = when.strftime(ISO) if when is not None else "now"
            notes = self.notes(post) + (["Markdown flattened to plain text"] if post.flattened else [])
            # `image`: the file to upload (the payload compares what the network shows); `send_at` in the record
            # tells validation that a campaign whose time has passed went out (a subclass adds to the record)
            details.update(image=post.image if post.image and not is_url(post.image) else None,
                           record={"send_at": at})
            out.append(Desired(campaign.id, self.natural_key(post, at), self.payload(post, at),
                               Fidelity.APPROXIMATED if notes else Fidelity.EXACT,
                               "; ".join([self.timing(at), *notes]), details))
        return out
