"""The vendor's recorded reference tables, kept as data in ``recorded.json``: ``GET /timezones`` (ids and
names as recorded, duplicates included; each offset recomputed from the tz database at the simulated time
when it knows the zone, the recorded one otherwise) and ``GET /campaigns/languages``. Campaign scheduling
resolves a ``timezone_id`` with `timezone_name` and turns the local send time into UTC with `to_utc`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.simulator import Row, SimRequest, route

from .shapes import Base


class Reference(Base):
    @route("GET", "/api/timezones")
    def timezones(self, req: SimRequest) -> Any:
        now, data = self.clock.utcnow(), []
        for tid, name, _ in TIMEZONES:
            offset = int((now.astimezone(_zone(name)).utcoffset() or timedelta()).total_seconds() // 60)
            offset_name = f"{'+' if offset >= 0 else '-'}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
            data.append({"id": tid, "name": name, "name_for_humans": f"{name.replace('_', ' ')} ({offset_name})",
                         "offset_name": offset_name, "offset": offset})
        return {"data": data}

    @route("GET", "/api/campaigns/languages")
    def campaign_languages(self, req: SimRequest) -> Any:
        return {"data": list(LANGUAGES.values())}


def timezone_name(tz_id: str) -> str | None:
    return next((name for tid, name, _ in TIMEZONES if tid == tz_id), None)


def _zone(name: str) -> tzinfo:
    """The tz database's zone, or the recorded offset when the database does not know the name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone(timedelta(minutes=next((off for _, tz, off in TIMEZONES if tz == name), 0)))


def to_utc(local: datetime, tz_name: str) -> datetime:
    """A naive local wall time in `tz_name` → naive UTC."""
    return local.replace(tzinfo=_zone(tz_name)).astimezone(UTC).replace(tzinfo=None)


_RECORDED = json.loads((Path(__file__).parent / "recorded.json").read_text(encoding="utf-8"))
LANGUAGES: dict[str, Row] = {lang["id"]: lang for lang in _RECORDED["languages"]}
TIMEZONES: list[tuple[str, str, int]] = [(tid, name, offset) for tid, name, offset in _RECORDED["timezones"]]
