"""The simulator store: declared collections keep their unique keys and indexes through every change and
a restart, unknown ids answer the vendor's 404, and listings come from the declarations."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from hub.clock import FakeClock
from hub.simulator import Collection, SimRequest, Simulator, page_by_number, page_by_offset, route

PEOPLE = Collection("people", model="Person", unique=("email",), index=("team",), render="render_person")


class PeopleSimulator(Simulator):
    name = "people"
    base_path = "/v1"
    collections = (PEOPLE,)
    error_messages = {503: "Down for maintenance"}

    def authenticate(self, req: SimRequest) -> str:
        return "sandbox"

    def error_body(self, status: int, message: str) -> Any:
        return {"error": {"code": status, "text": message}}

    def render_person(self, st: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
        return {"id": row["id"], "email": row["email"]}

    @route("GET", "/v1/people/{id}")
    def get_person(self, req: SimRequest) -> Any:
        return self.table(req.account or "", PEOPLE).require(req.params["id"])


def _people(sim: Simulator) -> Any:
    return sim.table("sandbox", PEOPLE)


def test_unique_keys_are_case_insensitive_and_follow_updates() -> None:
    sim = PeopleSimulator(FakeClock())
    people = _people(sim)
    people.insert({"id": "1", "email": "Ana@Example.com", "team": "a"})
    assert people.find("email", "ana@example.COM")["id"] == "1"
    with pytest.raises(ValueError, match="already taken"):
        people.insert({"id": "2", "email": "ana@example.com"})
    people.update("1", email="ana@new.example")
    assert people.find("email", "ana@example.com") is None
    assert people.find("email", "ANA@new.example")["id"] == "1"
    del people["1"]
    assert people.find("email", "ana@new.example") is None


def test_secondary_index_follows_updates_and_deletes() -> None:
    sim = PeopleSimulator(FakeClock())
    people = _people(sim)
    for i, team in enumerate(["a", "b", "a"]):
        people.insert({"id": str(i), "email": f"p{i}@x.example", "team": team})
    assert [r["id"] for r in people.where("team", "a")] == ["0", "2"]
    people.update(people["0"], team="b")
    assert [r["id"] for r in people.where("team", "b")] == ["1", "0"]
    people.pop("2")
    assert people.where("team", "a") == []
    assert people.rows(("team", "b"), ("email", "p1@x.example")) == [people["1"]]


def test_indexes_are_rebuilt_after_a_restart_from_the_state_file(tmp_path: Any) -> None:
    state = tmp_path / "sim.json"
    with PeopleSimulator(FakeClock(), state_file=state) as sim:
        _people(sim).insert({"id": "7", "email": "z@x.example", "team": "c"})
    with PeopleSimulator(FakeClock(), state_file=state) as again:
        assert _people(again).find("email", "Z@x.example")["id"] == "7"
        assert [r["id"] for r in _people(again).where("team", "c")] == ["7"]


def test_unknown_id_and_kit_errors_answer_in_the_vendors_shape() -> None:
    with PeopleSimulator(FakeClock()) as sim:
        _people(sim).insert({"id": "1", "email": "a@x.example"})
        assert requests.get(sim.base_url + "/people/1", timeout=5).json()["email"] == "a@x.example"
        missing = requests.get(sim.base_url + "/people/9", timeout=5)
        assert (missing.status_code, missing.json()) == (404, {"error": {"code": 404, "text": "Person not found"}})
        no_route = requests.get(sim.base_url + "/nothing", timeout=5)
        assert no_route.status_code == 404 and "error" in no_route.json()
        sim.fault_rate(1.0, ["503"])
        down = requests.get(sim.base_url + "/people/1", timeout=5)
        assert down.json() == {"error": {"code": 503, "text": "Down for maintenance"}}


def test_listings_are_generated_from_the_collections() -> None:
    with PeopleSimulator(FakeClock()) as sim:
        _people(sim).insert({"id": "1", "email": "a@x.example", "team": "a"})
        assert sim.people("sandbox") == [{"id": "1", "email": "a@x.example"}]  # type: ignore[attr-defined]
        over_http = requests.post(sim.root_url + "/_sim/control/people", json={"account": "sandbox"}, timeout=5)
        assert over_http.json() == [{"id": "1", "email": "a@x.example"}]


def test_pages_slice_and_count() -> None:
    rows = list(range(7))
    page = page_by_number(rows, 3, 3)
    assert (page.items, page.total, page.number, page.last_page, page.has_more) == ([6], 7, 3, 3, False)
    assert page_by_offset(rows, 2, 3).items == [2, 3, 4] and page_by_offset(rows, 2, 3).has_more


def test_listings_cover_every_account_and_select_by_field() -> None:
    sim = PeopleSimulator(FakeClock())
    for account, email, team in (("a", "x@x.example", "red"), ("b", "y@x.example", "blue")):
        sim.table(account, PEOPLE).insert({"id": email, "email": email, "team": team})
    assert [p["email"] for p in sim.people()] == ["x@x.example", "y@x.example"]  # type: ignore[attr-defined]
    assert [p["email"] for p in sim.people(team="blue")] == ["y@x.example"]  # type: ignore[attr-defined]
    assert sim.people("a", team="blue") == []  # type: ignore[attr-defined]


def test_a_state_file_of_another_layout_is_set_aside_not_misread(tmp_path: Any) -> None:
    state = tmp_path / "people.json"
    with PeopleSimulator(FakeClock(), state_file=state) as sim:
        _people(sim).insert({"id": "7", "email": "z@x.example"})

    class Relaid(PeopleSimulator):
        state_version = 2

    with Relaid(FakeClock(), state_file=state) as again:
        assert len(_people(again)) == 0
        assert (tmp_path / "people.v1.json").exists()  # the old state is kept, not lost
    with Relaid(FakeClock(), state_file=state) as third:  # what the new layout saved reads back
        assert len(_people(third)) == 0
        with pytest.raises(ValueError, match="layout 1"):
            third.load(json.loads((tmp_path / "people.v1.json").read_text()))
