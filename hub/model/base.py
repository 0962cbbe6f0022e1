"""Shared base for every neutral model: strict (unknown keys are errors) and source-aware."""

from __future__ import annotations

import re
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, StringConstraints

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
"""Neutral identifiers: lowercase letters, digits, '-' and '_' (they end up in vendor names and state keys)."""

FieldKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
"""Custom field keys are usable as personalisation variables, so they are identifiers."""

SLUG_HINT = "use lowercase letters, digits, '-' or '_' (e.g. 'spring-launch')"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_default=True)

    # Where the item was written ("clients/bakery/campaigns/launch.yaml:3"); set by the loader. A slot rather than
    # a pydantic private attribute, which doubles the cost of making a model (64,000 contacts of them).
    __slots__ = ("_hub_source",)

    @property
    def source(self) -> str:
        try:
            return str(object.__getattribute__(self, "_hub_source"))
        except AttributeError:
            return ""

    def located(self, source: str) -> Model:
        object.__setattr__(self, "_hub_source", source)
        return self

    def __copy__(self) -> Self:
        return self._keep_source(super().__copy__())

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        return self._keep_source(super().__deepcopy__(memo))

    def _keep_source(self, copy: Self) -> Self:  # a copy (`model_copy`) was written where the original was
        if self.source:
            copy.located(self.source)
        return copy


def slugify(text: str, fallback: str = "item") -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or fallback


def unique_id(name: str, taken: set[str], *, fallback: str = "item", preferred: str = "") -> str:
    """A neutral id for a vendor item named `name` (`hub import`): `preferred` when it is a valid id (a vendor's
    own slug), else the name as an id; `-2`, `-3`, ... appended while it is in `taken`, which then holds it."""
    base = preferred if re.fullmatch(r"[a-z0-9][a-z0-9_-]*", preferred) and len(preferred) <= 64 \
        else slugify(name, fallback)[:60].rstrip("-")
    out, n = base, 2
    while out in taken:
        out, n = f"{base}-{n}", n + 1
    taken.add(out)
    return out


def timezone_problem(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown timezone '{name}'; use an IANA name like 'Europe/London' or 'America/New_York'"
    return None
