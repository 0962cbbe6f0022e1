"""Laravel's validation as the vendor answers it: `validate` with the rules used here, and 422 bodies with
dotted keys."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from hub.simulator import Abort

Errors = dict[str, list[str]]
TS = "%Y-%m-%d %H:%M:%S"
EMAIL_RE = re.compile(r"^[^@\s\"(),:;<>\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parses(parse: Callable[[], Any]) -> bool:
    try:
        parse()
    except (TypeError, ValueError):
        return False
    return True


def is_datetime(value: Any, fmt: str = TS) -> bool:
    return _parses(lambda: datetime.strptime(value, fmt))


# Laravel's rules as used here: (message after "The {attribute} ", test of a present value and the rule's argument)
RULES: dict[str, tuple[str, Callable[[Any, str], Any]]] = {
    "string": ("must be a string", lambda v, a: isinstance(v, str)),
    "max": ("must not be greater than {} characters", lambda v, a: len(v) <= int(a)),
    "short": ("must be a string of at most 255", lambda v, a: isinstance(v, str) and len(v) <= 255),
    "in": ("", lambda v, a: str(v) in a.split(",")),  # "The selected {attribute} is invalid."
    "list": ("must be an array", lambda v, a: isinstance(v, list)),
    "object": ("must be an array", lambda v, a: isinstance(v, dict)),
    "array": ("must be an array", lambda v, a: isinstance(v, dict | list)),
    "email": ("must be a valid email address", lambda v, a: isinstance(v, str) and EMAIL_RE.match(v.strip())),
    "datetime": ("does not match the format Y-m-d H:i:s", lambda v, a: is_datetime(v)),
    "ip": ("must be a valid IP address", lambda v, a: _parses(lambda: ipaddress.ip_address(str(v)))),
    "numeric": ("must be a number", lambda v, a: not isinstance(v, bool) and _parses(lambda: float(v))),
    "date": ("does not match the format Y-m-d", lambda v, a: (is_datetime(v, "%Y-%m-%d") and DATE_RE.match(v))
             or is_datetime(v)),  # a full timestamp passes too
    "scalar": ("must be a string", lambda v, a: not isinstance(v, dict | list)),
    "regex": ("format is invalid", lambda v, a: isinstance(v, str) and re.match(a, v)),
}


def one_of(*choices: str) -> str:
    return "in:" + ",".join(choices)


def validate(data: dict[str, Any], rules: dict[str, str], errors: Errors | None = None, prefix: str = "") -> Errors:
    """Laravel's validator for `rules` ({key: "required|string|max:255"}): each key's first failing rule adds
    its message under the dotted ``prefix + key``; absent values (null, blank) pass unless required."""
    errors = {} if errors is None else errors
    for key, spec in rules.items():
        value, path = data.get(key), prefix + key
        attr = path.replace("_", " ")
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.startswith("required"):
                errors[path] = [f"The {attr} field is required."]
            continue
        for name, _, arg in (rule.partition(":") for rule in spec.split("|") if rule != "required"):
            text, test = RULES[name]
            if not test(value, arg):
                errors[path] = [f"The {attr} {text.format(arg)}." if text else f"The selected {attr} is invalid."]
                break
    return errors


def invalid(errors: Errors) -> Abort:
    """Laravel's 422 validation answer."""
    return Abort(422, {"message": "The given data was invalid.", "errors": errors})


def reject(errors: Errors) -> None:
    if errors:
        raise invalid(errors)

