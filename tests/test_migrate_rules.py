"""The rules of a migration that need no vendor: client.yaml's roles (validation names file:line), routing that
never sends through the source, and the merge that never makes anyone more sendable than the source holds them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cli_helpers import hub

from hub.migrate.carry import carry
from hub.migrate.verify import verify
from hub.model import ConsentStatus, Contact


@pytest.fixture
def agency(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = tmp_path / "agency"
    assert hub(capsys, "init", str(root)).code == 0
    return root


def set_client_yaml(root: Path, client: str, edit: object) -> None:
    path = root / "clients" / client / "client.yaml"
    path.write_text(edit(path.read_text()))  # type: ignore[operator]


def with_role(text: str, role: str) -> str:
    return re.sub(r"(  activecampaign:\n    provider: activecampaign\n)", rf"\1    role: {role}\n", text)


def test_a_source_without_a_target_is_refused_at_its_line(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    set_client_yaml(agency, "law-firm", lambda t: with_role(t, "source"))
    result = hub(capsys, "validate", "-w", str(agency))
    assert result.code == 4
    assert re.search(r"clients/law-firm/client\.yaml:\d+: role: source without an account with role: target",
                     result.err.replace("\n", " ")), result.err
    assert "hub migrate CLIENT --from SOURCE --to TARGET" in " ".join(result.err.split())


def test_two_email_accounts_are_fine_while_migrating(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = "  mailerlite:\n    provider: mailerlite\n    api_key: env:LAW_ML_KEY\n    role: target\n"
    set_client_yaml(agency, "law-firm", lambda t: with_role(t, "source").replace("accounts:\n", "accounts:\n" + new))
    assert hub(capsys, "validate", "-w", str(agency)).code == 0
    # without roles, two accounts serving email is the usual error
    set_client_yaml(agency, "law-firm", lambda t: t.replace("    role: source\n", "").replace("    role: target\n", ""))
    result = hub(capsys, "validate", "-w", str(agency))
    assert result.code == 4 and "all serve email" in result.err


def test_the_source_never_makes_anyone_more_sendable() -> None:
    workspace = [Contact(email="A@x.com", lists=["news"]), Contact(email="b@x.com", consent={"email": "unsubscribed"}),
                 Contact(email="c@x.com", tags=["vip"], fields={"loaf": "rye"})]
    source = [Contact(email="a@x.com", consent={"email": "complained"}, tags=["vip"]),
              Contact(email="b@x.com"),  # subscribed at the source: the workspace's unsubscribe stands
              Contact(email="c@x.com", consent={"email": "pending", "opt_in_ip": "192.0.2.1"},
                      fields={"loaf": "spelt"}),
              Contact(email="d@x.com", consent={"email": "bounced"}, lists=["news"])]
    out = {c.key: c for c in carry(workspace, source)}
    assert {k: c.consent.email for k, c in out.items()} == {
        "a@x.com": ConsentStatus.COMPLAINED, "b@x.com": ConsentStatus.UNSUBSCRIBED, "c@x.com": ConsentStatus.PENDING,
        "d@x.com": ConsentStatus.BOUNCED}
    assert (out["a@x.com"].lists, out["a@x.com"].tags) == (["news"], ["vip"])
    assert out["c@x.com"].fields == {"loaf": "rye"} and out["c@x.com"].consent.opt_in_ip == "192.0.2.1"


def test_verify_counts_suppressed_alike_whatever_the_vendor_calls_it() -> None:
    source = [Contact(email="a@x.com", consent={"email": "complained"}), Contact(email="b@x.com", tags=["vip"])]
    target = [Contact(email="a@x.com", consent={"email": "unsubscribed"}), Contact(email="b@x.com", tags=["vip"]),
              Contact(email="new@x.com")]
    result = verify(source, target)
    assert result.ok and result.only_at_target == 1
    assert "held as the target vendor can" in next(r.note for r in result.rows if r.name == "suppressed")
    resubscribed = verify(source, [Contact(email="a@x.com"), *target[1:]])
    assert not resubscribed.ok and resubscribed.resubscribed == ["a@x.com"]
