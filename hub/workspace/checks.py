"""Small, reusable checks: email syntax, E.164 phone numbers, timezones, literal secrets."""

from __future__ import annotations

import math
import re
from collections import Counter

from ..credentials import is_reference
from .yamlpos import Path_, YamlDoc, walk_strings

# A practical RFC 5321 address: dot-atom local part (<= 64), dotted DNS labels, a letter TLD or an IDN
# (xn--) TLD; <= 254 characters. Quoted local parts and IP-literal domains are refused on purpose:
# email vendors refuse them too.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
EMAIL_RE = re.compile(
    rf"^(?=.{{3,254}}$)(?=[^@]{{1,64}}@){_ATOM}(?:\.{_ATOM})*@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$"
)


def email_problem(value: str) -> str | None:
    """Why `value` is not a usable email address (with what would be right), or None."""
    if EMAIL_RE.match(value):
        return None
    if value != value.strip() or any(c.isspace() for c in value):
        why = "it contains spaces"
    elif value.count("@") != 1:
        why = "it needs exactly one '@'"
    else:
        local, domain = value.split("@")
        if not local:
            why = "the part before '@' is empty"
        elif "." not in domain:
            why = f"the domain '{domain}' has no '.'"
        elif ".." in value or local.startswith(".") or local.endswith("."):
            why = "it has a misplaced '.'"
        else:
            why = "it has characters an email address cannot have"
    return f"'{value}' is not a valid email address ({why}); write it like name@example.com"


def normalise_phone(value: str, country: str | None) -> tuple[str | None, str | None]:
    """(E.164 form, None) for a valid number, else (None, message saying what would be right)."""
    import phonenumbers

    region = country or None
    example = "+447911123456"
    hint = (f"write it in international form like {example}" +
            ("" if country else ", or set `country:` (e.g. GB) in client.yaml for numbers without a country code"))
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None, f"phone '{value}' is not a phone number that can be written in E.164 form; {hint}"
    if not phonenumbers.is_valid_number(parsed):
        where = phonenumbers.region_code_for_number(parsed) or region
        where_text = f" for {where}" if where and where != "ZZ" else ""
        return None, f"phone '{value}' is not a valid number{where_text}; {hint}"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), None


def known_region(country: str) -> bool:
    import phonenumbers

    return phonenumbers.country_code_for_region(country) != 0


# -- literal secrets -----------------------------------------------------------------------------------

MAILCHIMP_KEY_RE = re.compile(r"\b[0-9a-f]{32}-us\d{1,2}\b")
TWILIO_SID_RE = re.compile(r"^(?:SK|AC)[0-9a-fA-F]{32}$")
JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
SECRET_KEY_NAME_RE = re.compile(
    r"(?:^|[_\-.])(?:api_?key|apikey|key|token|secret|secrets|password|passwd|pwd|credentials?)(?:$|[_\-.])",
    re.IGNORECASE)


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_secret(key: str | None, text: str) -> str | None:
    """What kind of secret `text` (under `key`) looks like, or None."""
    value = text.strip()
    if is_reference(value):
        value = value.split(":", 1)[1]  # a reference's name can still be a pasted key
        if not (MAILCHIMP_KEY_RE.search(value) or JWT_RE.search(value)):
            return None
    if MAILCHIMP_KEY_RE.search(value):
        return "a Mailchimp API key"
    jwt = JWT_RE.search(value)
    if jwt and len(jwt.group(0)) >= 60:
        return "an API token (MailerLite tokens look like this)"
    if key and SECRET_KEY_NAME_RE.search(key):
        if TWILIO_SID_RE.match(value):
            return "a Twilio credential"
        if (len(value) >= 32 and not any(c.isspace() for c in value) and "://" not in value
                and "{{" not in value and entropy(value) >= 3.0):
            return "a secret key or token"
    return None


def scan_secrets(doc: YamlDoc) -> list[tuple[Path_, str]]:
    """(path, kind) of every string in the document that looks like a literal secret."""
    found = []
    for path, key, text in walk_strings(doc.data):
        kind = looks_secret(key, text)
        if kind:
            found.append((path, kind))
    return found
