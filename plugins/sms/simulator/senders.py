"""Senders: the account's phone numbers and short codes (2010-04-01 ``IncomingPhoneNumbers`` and
``SMS/ShortCodes``, plus the Account resource itself) and Messaging Services v1 with their sender pools
(``/v1/Services``, ``…/PhoneNumbers``, ``…/ShortCodes``).

A number keeps its kind, its throughput (``mps``, segments per second) and the one Messaging Service it may
belong to (as at the vendor): a service's senders are the numbers whose ``service_sid`` is its sid.
"""

from __future__ import annotations

import re
from typing import Any

from hub.simulator import Row, SimRequest, route
from hub.simulator.store import Collection, Missing

from .accounts import State, TwilioAccounts
from .shapes import (
    API_VERSION,
    Form,
    boolean,
    envelope,
    fail,
    first,
    integer,
    invalid,
    iso8601,
    make_sid,
    number_kind,
    public,
    required,
    rfc2822,
)

NUMBERS = Collection("numbers", model="PhoneNumber", key="sid", unique=("phone_number",), index=("service_sid",),
                     render="render_number")
SERVICES = Collection("services", model="Service", key="sid", render="render_service")
KINDS = ("long_code", "toll_free", "short_code")

PHONE_NUMBER_FIELDS = {
    "address_sid": None, "address_requirements": "none", "beta": False, "identity_sid": None, "origin": "twilio",
    "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False}, "sms_application_sid": None,
    "status_callback": None, "status_callback_method": "POST", "trunk_sid": None, "voice_receive_mode": "voice",
    "voice_application_sid": None, "voice_caller_id_lookup": False, "voice_fallback_method": "POST",
    "voice_fallback_url": None, "voice_method": "POST", "voice_url": None, "emergency_status": "Inactive",
    "emergency_address_sid": None, "emergency_address_status": "unregistered", "bundle_sid": None, "status": "in-use",
}
SERVICE_DEFAULTS = {
    "friendly_name": "", "inbound_request_url": None, "inbound_method": "POST", "fallback_url": None,
    "fallback_method": "POST", "status_callback": None, "sticky_sender": True, "mms_converter": True,
    "smart_encoding": True, "scan_message_content": "inherit", "fallback_to_long_code": True,
    "area_code_geomatch": True, "synchronous_validation": False, "validity_period": 36000, "usecase": "undeclared",
    "us_app_to_person_registered": False, "use_inbound_webhook_on_number": False,
}
# form parameter of a Messaging Service -> its kind (the field is the parameter in snake case)
SERVICE_PARAMS = {
    "FriendlyName": "str", "InboundRequestUrl": "str", "FallbackUrl": "str", "StatusCallback": "str", "Usecase": "str",
    "InboundMethod": "method", "FallbackMethod": "method", "ScanMessageContent": "scan", "ValidityPeriod": "validity",
    **dict.fromkeys(("StickySender", "MmsConverter", "SmartEncoding", "FallbackToLongCode", "AreaCodeGeomatch",
                     "SynchronousValidation", "UseInboundWebhookOnNumber"), "bool"),
}
CHOICES = {"method": ("GET", "POST"), "scan": ("inherit", "enable", "disable")}
SERVICE_LINKS = {"phone_numbers": "PhoneNumbers", "short_codes": "ShortCodes", "alpha_senders": "AlphaSenders",
                 "messages": "Messages", "us_app_to_person": "Compliance/Usa2p",
                 "us_app_to_person_usecases": "Compliance/Usa2p/Usecases", "channel_senders": "ChannelSenders",
                 "destination_alpha_senders": "DestinationAlphaSenders"}
ACCOUNT = "/2010-04-01/Accounts/{AccountSid}"


def _short(row: Row) -> bool:
    return bool(row["kind"] == "short_code")


class TwilioSenders(TwilioAccounts):
    """Phone numbers, short codes, the Account resource and Messaging Services."""

    def account_state(self, account: str) -> State:
        """The account's state; a new one gets the numbers and Messaging Services of its configuration."""
        with self.lock:
            if account in self.state:
                return self.state[account]
            st = super().account_state(account)
            config = self._accounts.get(account, {})
            for item in config.get("numbers") or ():
                spec = {"number": item} if isinstance(item, str) else dict(item)
                self._add_number(account, st, spec.pop("number"), **spec)
            for sid, spec in (config.get("messaging_services") or {}).items():
                service = self._create_service(account, st, {k: v for k, v in spec.items() if k != "numbers"}, sid)
                for number in spec.get("numbers") or ():
                    row = NUMBERS.table(st).find("phone_number", number) or self._add_number(account, st, number)
                    self._attach(st, service, row)
            return st

    def _owner(self, address: str) -> str:
        for account in self.known_accounts():
            st = self.account_state(account)
            if NUMBERS.table(st).find("phone_number", address) or address in SERVICES.table(st):
                return account
        raise ValueError(f"{address} is not a phone number or Messaging Service of any simulated account")

    # -- numbers

    def _add_number(self, account: str, st: State, number: str, kind: str | None = None, mps: float | None = None,
                    sms_url: str | None = None, friendly_name: str | None = None) -> Row:
        kind = kind or number_kind(number)
        if kind not in KINDS:
            raise ValueError("kind must be long_code, toll_free or short_code")
        if mps is not None and mps <= 0:
            raise ValueError("mps must be positive")
        numbers = NUMBERS.table(st)
        row = numbers.find("phone_number", number) or numbers.insert({
            "sid": make_sid("SC" if kind == "short_code" else "PN", self.seed, account, number),
            "account_sid": account, "phone_number": number, "mps": None, "service_sid": None, "sms_url": None,
            "friendly_name": _pretty(number), "_t": self._stamp(), "_attached": None})
        row["kind"] = kind
        if mps is not None:
            row["mps"] = float(mps)
        if sms_url is not None:
            row["sms_url"] = sms_url or None
        if friendly_name is not None:
            row["friendly_name"] = friendly_name
        return row

    def _sender_rate(self, st: State, sender: str) -> float:
        row = NUMBERS.table(st).find("phone_number", sender)
        if row is None:
            return self.mps
        return float(row["mps"] or {"short_code": self.short_code_mps, "toll_free": self.toll_free_mps}.get(
            row["kind"], self.mps))

    def render_number(self, st: State, row: Row) -> Row:
        date, base = rfc2822(row["_t"]), f"/2010-04-01/Accounts/{row['account_sid']}"
        out = {"account_sid": row["account_sid"], "api_version": API_VERSION, "date_created": date, "sid": row["sid"],
               "date_updated": date, "friendly_name": row["friendly_name"], "sms_url": row["sms_url"],
               "sms_fallback_method": "POST", "sms_fallback_url": None, "sms_method": "POST"}
        if _short(row):
            return {**out, "short_code": row["phone_number"], "uri": f"{base}/SMS/ShortCodes/{row['sid']}.json"}
        return {**out, **PHONE_NUMBER_FIELDS, "phone_number": row["phone_number"],
                "uri": f"{base}/IncomingPhoneNumbers/{row['sid']}.json",
                "type": "tollfree" if row["kind"] == "toll_free" else "local"}

    @route("GET", "/2010-04-01/Accounts/{AccountSid:.+\\.json}")
    def fetch_account(self, req: SimRequest) -> Any:
        account, _ = self._account_of(req)
        config, base = self._accounts[account], f"/2010-04-01/Accounts/{account}"
        date = rfc2822(config["_created"])
        return {
            "auth_token": None,  # simulator choice: never echo a secret
            "date_created": date, "date_updated": date, "friendly_name": config.get("friendly_name") or account,
            "owner_account_sid": account, "sid": account, "status": "active", "type": "Full", "uri": f"{base}.json",
            "subresource_uris": {"messages": f"{base}/Messages.json", "short_codes": f"{base}/SMS/ShortCodes.json",
                                 "incoming_phone_numbers": f"{base}/IncomingPhoneNumbers.json"},
        }

    @route("GET", ACCOUNT + "/IncomingPhoneNumbers.json")
    @route("GET", ACCOUNT + "/SMS/ShortCodes.json")
    def list_numbers(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        short = "/ShortCodes" in req.path
        filters = [(k, v) for k in ("FriendlyName", "ShortCode" if short else "PhoneNumber") if (v := req.arg(k))]
        wanted = [("phone_number" if k != "FriendlyName" else "friendly_name", v) for k, v in filters]
        rows = [r for r in NUMBERS.table(st).values() if _short(r) == short and all(r[f] == v for f, v in wanted)]
        key = "short_codes" if short else "incoming_phone_numbers"
        return envelope(req, key, rows, lambda r: self.render_number(st, r), filters=filters)

    @route("GET", ACCOUNT + "/IncomingPhoneNumbers/{Sid:.+\\.json}")
    @route("POST", ACCOUNT + "/IncomingPhoneNumbers/{Sid:.+\\.json}")
    @route("GET", ACCOUNT + "/SMS/ShortCodes/{Sid:.+\\.json}")
    def handle_number(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        row = NUMBERS.table(st).require(req.params["Sid"])
        if _short(row) != ("/ShortCodes/" in req.path):
            raise Missing("PhoneNumber", row["sid"])
        if req.method == "POST":
            form = req.form()
            if "SmsUrl" in form:
                row["sms_url"] = first(form, "SmsUrl") or None
            row["friendly_name"] = first(form, "FriendlyName") or row["friendly_name"]
        return self.render_number(st, row)

    # -- Messaging Services

    def _create_service(self, account: str, st: State, values: dict[str, Any], sid: str | None = None) -> Row:
        return SERVICES.table(st).insert({
            "sid": sid or self._new_sid("MG", account), "account_sid": account, **SERVICE_DEFAULTS, **values,
            "_created": self._stamp(), "_updated": self._stamp(), "_sticky": {}})

    def _attach(self, st: State, service: Row, row: Row) -> None:
        if row["service_sid"] == service["sid"]:
            raise fail(400, 21710)
        if row["service_sid"] is not None:
            raise fail(400, 21712)
        NUMBERS.table(st).update(row, service_sid=service["sid"], _attached=self._stamp())

    def render_service(self, st: State, service: Row) -> Row:
        url = f"{self.domain_url('messaging')}/v1/Services/{service['sid']}"
        return {**public(service), "date_created": iso8601(service["_created"]), "url": url,
                "date_updated": iso8601(service["_updated"]),
                "links": {key: f"{url}/{suffix}" for key, suffix in SERVICE_LINKS.items()}}

    def _service_values(self, form: Form) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for param, kind in SERVICE_PARAMS.items():
            if param in form:
                raw = first(form, param)
                if kind == "method":
                    raw = (raw or "POST").upper()
                if kind in CHOICES and raw not in CHOICES[kind]:
                    raise invalid(param, raw)
                field = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", param).lower()
                values[field] = (boolean(raw, False) if kind == "bool" else integer(raw, param, 1, 36000)
                                 if kind == "validity" else raw if kind in CHOICES else raw or None)
        if "friendly_name" in values:
            values["friendly_name"] = values["friendly_name"] or ""
            if len(values["friendly_name"]) > 64:
                raise fail(400, 20001, "Invalid parameter FriendlyName: at most 64 characters")
        return values

    @route("POST", "/v1/Services")
    def create_service(self, req: SimRequest) -> Any:
        account, st = self._account_of(req)
        form = req.form()
        required(form, "FriendlyName")
        return 201, self.render_service(st, self._create_service(account, st, self._service_values(form)))

    @route("GET", "/v1/Services")
    def list_services(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        return self._page(req, "services", list(SERVICES.table(st).values()), lambda s: self.render_service(st, s))

    @route("GET", "/v1/Services/{Sid}")
    @route("POST", "/v1/Services/{Sid}")
    @route("DELETE", "/v1/Services/{Sid}")
    def handle_service(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        service = SERVICES.table(st).require(req.params["Sid"])
        if req.method == "DELETE":
            for row in NUMBERS.table(st).where("service_sid", service["sid"]):
                NUMBERS.table(st).update(row, service_sid=None, _attached=None)
            del SERVICES.table(st)[service["sid"]]
            return None
        if req.method == "POST":
            values = self._service_values(req.form())
            if values.get("friendly_name", "-") == "":
                raise fail(400, 20001, "Invalid parameter FriendlyName: must not be empty")
            service.update(values, _updated=self._stamp())
        return self.render_service(st, service)

    # -- a service's sender pool (``PhoneNumbers`` and ``ShortCodes`` answer alike)

    def render_sender(self, service: Row, row: Row) -> Row:
        date, short = iso8601(row["_attached"] or service["_created"]), _short(row)
        return {
            "sid": row["sid"], "account_sid": row["account_sid"], "service_sid": service["sid"], "date_created": date,
            "date_updated": date, ("short_code" if short else "phone_number"): row["phone_number"],
            "country_code": "US", "capabilities": ["SMS", "MMS"],
            "url": f"{self.domain_url('messaging')}/v1/Services/{service['sid']}/"
                   f"{'ShortCodes' if short else 'PhoneNumbers'}/{row['sid']}",
        }

    def _pool(self, req: SimRequest) -> tuple[State, Row, bool]:
        _, st = self._account_of(req)
        return st, SERVICES.table(st).require(req.params["ServiceSid"]), "/ShortCodes" in req.path

    @route("POST", "/v1/Services/{ServiceSid}/PhoneNumbers")
    @route("POST", "/v1/Services/{ServiceSid}/ShortCodes")
    def add_sender(self, req: SimRequest) -> Any:
        st, service, short = self._pool(req)
        param = "ShortCodeSid" if short else "PhoneNumberSid"
        [sid] = required(req.form(), param)
        row = NUMBERS.table(st).get(sid)
        if row is None or _short(row) != short:
            kind = "short code" if short else "phone number"
            raise fail(400, 21421, f"{param} {sid} is not a {kind} of this account")
        self._attach(st, service, row)
        return 201, self.render_sender(service, row)

    @route("GET", "/v1/Services/{ServiceSid}/PhoneNumbers")
    @route("GET", "/v1/Services/{ServiceSid}/ShortCodes")
    def list_senders(self, req: SimRequest) -> Any:
        st, service, short = self._pool(req)
        rows = [r for r in NUMBERS.table(st).where("service_sid", service["sid"]) if _short(r) == short]
        key = "short_codes" if short else "phone_numbers"
        return self._page(req, key, rows, lambda r: self.render_sender(service, r))

    @route("GET", "/v1/Services/{ServiceSid}/PhoneNumbers/{Sid}")
    @route("GET", "/v1/Services/{ServiceSid}/ShortCodes/{Sid}")
    @route("DELETE", "/v1/Services/{ServiceSid}/PhoneNumbers/{Sid}")
    @route("DELETE", "/v1/Services/{ServiceSid}/ShortCodes/{Sid}")
    def handle_sender(self, req: SimRequest) -> Any:
        st, service, short = self._pool(req)
        row = NUMBERS.table(st).require(req.params["Sid"])
        if row["service_sid"] != service["sid"] or _short(row) != short:
            raise Missing("PhoneNumber", row["sid"])
        if req.method == "DELETE":
            NUMBERS.table(st).update(row, service_sid=None, _attached=None)
            return None
        return self.render_sender(service, row)


def _pretty(number: str) -> str:
    """``(500) 555-0006`` for a US number, the number itself otherwise (the vendor's default friendly name)."""
    return f"({number[2:5]}) {number[5:8]}-{number[8:]}" if number.startswith("+1") and len(number) == 12 else number
