"""The shared resource bases of `hub.plugin`, driven through a made-up vendor: what they do with the hooks."""

from __future__ import annotations

from typing import Any

from hub.model import Automation
from hub.plugin import (
    Capability,
    Client,
    EnrolmentResourceBase,
    Fidelity,
    ManualAutomationResource,
    ManualSegmentResource,
    ManualTrigger,
    MergeTagTranslator,
    References,
    SegmentDef,
    SharedCollectionResource,
    SharedRead,
    Support,
    Variable,
)
from hub.testing.harness import make_client

EMAIL = {"subject": "Hi", "from": {"name": "A", "email": "a@acme.example"},
         "body_markdown": "Hello\n\n[Unsubscribe]({{ unsubscribe_url }})"}


class Translator(MergeTagTranslator):
    def tag(self, var: Variable) -> str | None:
        return f"*|{var.name.upper()}|*"


class FakeVendor:
    name = "acmemail"
    display_name = "AcMail"

    @classmethod
    def merge_tags(cls, client: Client) -> MergeTagTranslator:
        return Translator()

    @classmethod
    def support(cls, capability: Capability) -> Support:
        if capability == Capability.TAGS:
            return Support(Fidelity.APPROXIMATED, "tags are groups")
        return Support(Fidelity.EXACT)


class FakeApi:
    name = "acmemail"
    display_name = "AcMail"
    vendor = FakeVendor

    def __init__(self) -> None:
        self.items = [{"id": 1, "name": "Newsletter"}]
        self.reads: list[bool] = []
        self.log: list[str] = []


class Automations(ManualAutomationResource):
    accepted_triggers = "a list trigger"

    def manual_trigger(self, automation: Automation, names: dict[str, str],
                       fields: dict[str, str]) -> ManualTrigger | None:
        if automation.trigger.kind != "joined_list":
            return None
        return ManualTrigger(names[automation.trigger.value], before="first; ", after=" (see the sheet)")

    def build_sheet(self, automation: Automation, names: dict[str, str], fields: dict[str, str],
                    tags: MergeTagTranslator, client: str) -> str:
        return f"build {automation.name} for {client}"


def _client() -> Client:
    client = make_client("acmemail", audience={"lists": [{"id": "news", "name": "Newsletter"}],
                                               "tags": [{"id": "vip", "name": "VIP"}]})
    autos = [{"id": "welcome", "name": "Welcome", "trigger": {"joined_list": "news"},
              "steps": [{"send_email": EMAIL}, {"wait": {"days": 1}}, {"send_email": EMAIL}]},
             {"id": "mixed", "name": "Mixed", "trigger": {"joined_list": "news"},
              "steps": [{"send_email": EMAIL}, {"send_sms": {"body": "hi"}}]},
             {"id": "bought", "name": "Bought", "trigger": {"event": "bought"}, "steps": [{"send_email": EMAIL}]},
             {"id": "keyword", "name": "Keyword", "trigger": {"sms_keyword": "JOIN"},
              "steps": [{"send_sms": {"body": "hi"}}]}]
    return client.model_copy(update={"automations": [Automation.model_validate(a) for a in autos]})


def test_manual_automations_get_a_build_sheet_and_the_vendors_reason() -> None:
    resource = Automations(FakeApi())  # type: ignore[arg-type]
    # the sms-only one is the SMS vendor's, and the one with email and SMS steps hub's runner's
    welcome, bought = resource.desired(_client(), References())
    assert (welcome.fidelity, welcome.payload) == (Fidelity.MANUAL, {"name": "Welcome"})
    assert welcome.reason == "first; AcMail's API cannot create automations: build it in the UI (see the sheet)"
    assert welcome.details["build_sheet"] == "build Welcome for acme"
    assert [e["subject"] for e in welcome.details["emails"]] == ["Hi", "Hi"]
    assert bought.fidelity == Fidelity.UNSUPPORTED
    assert bought.reason == "AcMail automations cannot be triggered by event; use a list trigger"


class Groups(SharedCollectionResource):
    api: Any

    def collection(self, *, refresh: bool) -> list[dict[str, Any]]:
        self.api.reads.append(refresh)
        return list(self.api.items)

    def forget_collection(self) -> None:
        self.api.log.append("forget")

    def create_item(self, name: str) -> dict[str, Any]:
        self.api.log.append(f"create {name}")
        return {"id": 7, "name": name}

    def update_item(self, vendor_id: str, name: str) -> None:
        self.api.log.append(f"update {vendor_id} {name}")

    def delete_item(self, vendor_id: str) -> None:
        self.api.log.append(f"delete {vendor_id}")


class ListResource(Groups):
    kind = "list"
    capability = Capability.LISTS


class TagResource(Groups):
    kind = "tag"
    capability = Capability.TAGS
    fresh_read = False


def test_lists_and_tags_share_one_collection() -> None:
    api = FakeApi()
    lists, tags = ListResource(api), TagResource(api)  # type: ignore[arg-type]
    refs = References()
    [want] = lists.desired(_client(), refs)
    assert (want.id, want.natural_key, want.payload, want.fidelity) == ("news", "Newsletter", {"name": "Newsletter"},
                                                                       Fidelity.EXACT)
    [tag] = tags.desired(_client(), refs)
    assert (tag.id, tag.fidelity, tag.reason) == ("vip", Fidelity.APPROXIMATED, "tags are groups")
    assert lists.read_live(refs)["Newsletter"].vendor_id == "1"
    tags.read_live(refs)
    tags.lookup("Newsletter", refs)
    assert api.reads == [True, False, True]  # lists refresh the shared read, tags reuse it, lookups refresh
    assert lists.create(want, refs) == "7"
    assert lists.update("7", want, None, refs) == "7"
    tags.delete("7", refs)
    assert api.log == ["create Newsletter", "forget", "update 7 Newsletter", "forget", "delete 7", "forget"]


class Segments(ManualSegmentResource):
    def build_sheet(self, segment: SegmentDef, names: dict[str, str]) -> str:
        return f"segment {segment.name} of {', '.join(sorted(names.values()))}"

    def vendor_segments(self) -> list[dict[str, Any]]:
        return [{"id": 4, "name": "Fans"}]


def test_segments_the_api_cannot_create_get_a_sheet_and_are_verified_by_name() -> None:
    client = make_client("acmemail", audience={"lists": [{"id": "news", "name": "Newsletter"}],
                                               "segments": [{"id": "fans", "name": "Fans",
                                                             "rules": [{"list": "news"}]}]})
    resource = Segments(FakeApi())  # type: ignore[arg-type]
    [want] = resource.desired(client, References())
    assert (want.fidelity, want.payload) == (Fidelity.MANUAL, {"name": "Fans"})
    assert want.reason == "AcMail's API cannot create segments: build it in the UI (see the build sheet)"
    assert want.details["build_sheet"] == "segment Fans of Newsletter"
    live = resource.read_live(References())["Fans"]
    assert live.vendor_id == "4" and resource.compare(want, live) is None


class Enrolments(EnrolmentResourceBase):
    pass


def test_enrolments_wait_for_their_automation_then_name_it() -> None:
    client = make_client("acmemail", audience={"lists": [{"id": "news", "name": "Newsletter"}],
                                               "contacts": [{"email": "a@x.example", "lists": ["news"]}]})
    welcome = Automation.model_validate({"id": "welcome", "name": "Welcome", "trigger": {"joined_list": "news"},
                                         "enrol": {"list": "news"}, "steps": [{"send_email": EMAIL}]})
    client = client.model_copy(update={"automations": [welcome]})
    resource = Enrolments(FakeApi())  # type: ignore[arg-type]
    [waiting] = resource.desired(client, References())
    assert (waiting.id, waiting.fidelity, waiting.payload) == ("welcome/a@x.example", Fidelity.MANUAL,
                                                                {"email": "a@x.example"})
    assert waiting.reason == "waits until automation 'Welcome' is built in AcMail"
    refs = References()
    refs.add("automation", "welcome", "77")
    [ready] = resource.desired(client, refs)
    assert (ready.fidelity, ready.payload) == (Fidelity.EXACT, {"email": "a@x.example", "automation": "welcome"})


def test_an_item_made_joins_a_shared_read_held_and_a_reader_keeps_what_it_had() -> None:
    read = SharedRead()
    read.add({"id": 1})  # nothing held: the next reader reads the vendor
    held = read.get(lambda: [{"id": 0}])
    read.add({"id": 1})
    assert read.get(lambda: []) == [{"id": 0}, {"id": 1}]
    assert held == [{"id": 0}]
