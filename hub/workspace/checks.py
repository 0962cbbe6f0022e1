"""Small, reusable checks: email syntax, E.164 phone numbers, timezones, literal secrets."""

from __future__ import annotations

import functools
import math
import re
from collections import Counter

from ..credentials import is_reference
from .yamlpos import Path_, YamlDoc, walk_strings

# Plain ASCII addresses (nearly all of them) that email-validator would accept as they are, but for the domain's
# case: checked here at a fraction of its cost; anything else (IDNA, rare characters, special-use names) goes to it.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*")
_PLAIN_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_SPECIAL_USE = ("arpa", "invalid", "local", "localhost", "onion")  # email-validator's, but `.test` (allowed here)
# RFC 2142's role mailboxes, which email-validator writes in lower case
_CASE_INSENSITIVE = frozenset({"info", "marketing", "sales", "support", "abuse", "noc", "security", "postmaster",
                               "hostmaster", "usenet", "news", "webmaster", "www", "uucp", "ftp"})


def _plain_email(text: str) -> str | None:
    local, _, domain = text.rpartition("@")
    if len(text) > 254 or len(local) > 64 or not _PLAIN_LOCAL.fullmatch(local):
        return None
    if domain.isascii():
        domain = domain.lower()
        if "--" in domain or not _PLAIN_DOMAIN.fullmatch(domain) or domain.rpartition(".")[2] in _SPECIAL_USE:
            return None
    elif len(text) < 200:  # far from the length limits, which email-validator counts on the ASCII form
        domain = _ascii_domain(domain) or ""  # the same few domains, over and over
        if not domain:
            return None
    else:
        return None
    return f"{local.lower() if local.lower() in _CASE_INSENSITIVE else local}@{domain}"


@functools.lru_cache(maxsize=4096)
def _ascii_domain(domain: str) -> str | None:
    """An internationalised domain's ASCII (IDNA) form, as email-validator writes it; None when it refuses it."""
    from email_validator import EmailNotValidError, validate_email

    try:
        found = validate_email(f"x@{domain}", check_deliverability=False, allow_smtputf8=False, test_environment=True)
    except EmailNotValidError:
        return None
    return found.ascii_domain


def normalise_email(value: str) -> tuple[str | None, str | None]:
    """(the address as vendors take it, None), or (None, what is wrong and what would be right).

    Surrounding spaces are trimmed and a Unicode domain becomes its ASCII (IDNA) form, which every vendor
    accepts; quoted local parts, IP-literal domains and non-ASCII before the '@' are refused (vendors refuse
    them too)."""
    text = value.strip()
    plain = _plain_email(text)
    if plain is not None:
        return plain, None
    from email_validator import EmailNotValidError, validate_email

    try:
        # test_environment: the reserved `.test` names are fine in a workspace that is being tried out
        found = validate_email(text, check_deliverability=False, allow_smtputf8=False, test_environment=True)
    except EmailNotValidError as exc:
        return None, f"'{value}' is not a valid email address ({_email_reason(text, exc)}); write it like" \
                     " name@example.com"
    return found.ascii_email, None


def _email_reason(text: str, exc: Exception) -> str:
    if any(c.isspace() for c in text):
        return "it contains spaces"
    if text.count("@") != 1:
        return "it needs exactly one '@'"
    local, domain = text.split("@")
    if not local:
        return "the part before '@' is empty"
    if "." not in domain:
        return f"the domain '{domain}' has no '.'"
    if ".." in text or local.startswith(".") or local.endswith("."):
        return "it has a misplaced '.'"
    return str(exc).rstrip(".")  # email-validator's own words name the character or the rule


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
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    # phonenumbers reads keypad letters as digits and drops extensions without a word: both would text a
    # number nobody wrote
    if parsed.extension:
        return None, (f"phone '{value}' has an extension ({parsed.extension}), which a text cannot reach; write"
                      f" the number without it ({e164}), or leave the phone out")
    letters = re.findall(r"[^\W\d_]+", value)
    if letters:
        return None, (f"phone '{value}' has letters ({' '.join(letters)}); write the digits (on a phone keypad it"
                      f" would be {e164}: write that if it is the number meant)")
    return e164, None


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
