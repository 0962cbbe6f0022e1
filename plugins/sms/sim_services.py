"""Senders in the Twilio simulator: the account's phone numbers and short codes (2010-04-01
``IncomingPhoneNumbers`` and ``SMS/ShortCodes``, plus the Account resource itself) and Messaging Services
v1 with their sender pools (``/v1/Services``, ``…/PhoneNumbers``, ``…/ShortCodes``).

A number record keeps its kind (``long_code``, ``toll_free``, ``short_code``), its throughput in segments
per second and the Messaging Service it belongs to (at most one, as at the vendor). A service keeps the
ordered list of its senders and, for ``sticky_sender``, which sender each recipient was sent from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hub.simulator import SimRequest, route
from hub_sms.sim_shapes import (
    API_VERSION,
    boolean,
    first,
    integer,
    iso8601,
    make_sid,
    missing_param,
    not_found_error,
    number_kind,
    paginate,
    public,
    rfc2822,
    tw_error,
    v1_page,
    v2010_page,
)

SERVICE_LINKS = (
    ("phone_numbers", "PhoneNumbers"),
    ("short_codes", "ShortCodes"),
    ("alpha_senders", "AlphaSenders"),
    ("messages", "Messages"),
    ("us_app_to_person", "Compliance/Usa2p"),
    ("us_app_to_person_usecases", "Compliance/Usa2p/Usecases"),
    ("channel_senders", "ChannelSenders"),
    ("destination_alpha_senders", "DestinationAlphaSenders"),
)

# form parameter -> (field, kind) of a Messaging Service
SERVICE_FIELDS: dict[str, tuple[str, str]] = {
    "FriendlyName": ("friendly_name", "str"),
    "InboundRequestUrl": ("inbound_request_url", "str"),
    "InboundMethod": ("inbound_method", "method"),
    "FallbackUrl": ("fallback_url", "str"),
    "FallbackMethod": ("fallback_method", "method"),
    "StatusCallback": ("status_callback", "str"),
    "StickySender": ("sticky_sender", "bool"),
    "MmsConverter": ("mms_converter", "bool"),
    "SmartEncoding": ("smart_encoding", "bool"),
    "ScanMessageContent": ("scan_message_content", "scan"),
    "FallbackToLongCode": ("fallback_to_long_code", "bool"),
    "AreaCodeGeomatch": ("area_code_geomatch", "bool"),
    "ValidityPeriod": ("validity_period", "validity"),
    "SynchronousValidation": ("synchronous_validation", "bool"),
    "Usecase": ("usecase", "str"),
    "UseInboundWebhookOnNumber": ("use_inbound_webhook_on_number", "bool"),
}


class ServicesMixin:
    """Phone numbers, short codes, the Account resource and Messaging Services."""

    lock: Any
    seed: int
    mps: float
    short_code_mps: float
    toll_free_mps: float
    _now: float
    account_state: Callable[[str], dict[str, Any]]
    _account_of: Callable[..., tuple[str, dict[str, Any]]]
    _rfc: Callable[[float], str | None]
    _iso: Callable[[float], str | None]
    _epoch: Callable[[float], float]
    _new_sid: Callable[..., str]
    domain_url: Callable[[str], str]
    _accounts: dict[str, dict[str, Any]]

    # ------------------------------------------------------------------ numbers

    def _add_number(
        self,
        account: str,
        st: dict[str, Any],
        number: str,
        kind: str | None = None,
        mps: float | None = None,
        sms_url: str | None = None,
        friendly_name: str | None = None,
    ) -> dict[str, Any]:
        kind = kind or number_kind(number)
        if kind not in ("long_code", "toll_free", "short_code"):
            raise ValueError("kind must be long_code, toll_free or short_code")
        record = st["numbers"].get(number)
        if record is None:
            sid = make_sid("SC" if kind == "short_code" else "PN", self.seed, account, number)
            record = {
                "sid": sid,
                "phone_number": number,
                "kind": kind,
                "mps": None,
                "service_sid": None,
                "sms_url": None,
                "friendly_name": friendly_name or _pretty(number),
                "_t": self._epoch(self._now),
            }
            st["numbers"][number] = record
            st["number_sids"][sid] = number
        record["kind"] = kind
        if mps is not None:
            if mps <= 0:
                raise ValueError("mps must be positive")
            record["mps"] = float(mps)
        if sms_url is not None:
            record["sms_url"] = sms_url or None
        if friendly_name is not None:
            record["friendly_name"] = friendly_name
        return record

    def _sender_rate(self, st: dict[str, Any], sender: str) -> float:
        record = st["numbers"].get(sender)
        if record is None:
            return self.mps
        if record["mps"] is not None:
            return float(record["mps"])
        kind = record["kind"]
        if kind == "short_code":
            return self.short_code_mps
        if kind == "toll_free":
            return self.toll_free_mps
        return self.mps

    def render_number(self, account: str, record: dict[str, Any]) -> dict[str, Any]:
        date = rfc2822(record["_t"])
        base = f"/2010-04-01/Accounts/{account}"
        if record["kind"] == "short_code":
            return {
                "account_sid": account,
                "api_version": API_VERSION,
                "date_created": date,
                "date_updated": date,
                "friendly_name": record["friendly_name"],
                "short_code": record["phone_number"],
                "sid": record["sid"],
                "sms_fallback_method": "POST",
                "sms_fallback_url": None,
                "sms_method": "POST",
                "sms_url": record["sms_url"],
                "uri": f"{base}/SMS/ShortCodes/{record['sid']}.json",
            }
        return {
            "account_sid": account,
            "address_sid": None,
            "address_requirements": "none",
            "api_version": API_VERSION,
            "beta": False,
            "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
            "date_created": date,
            "date_updated": date,
            "friendly_name": record["friendly_name"],
            "identity_sid": None,
            "phone_number": record["phone_number"],
            "origin": "twilio",
            "sid": record["sid"],
            "sms_application_sid": None,
            "sms_fallback_method": "POST",
            "sms_fallback_url": None,
            "sms_method": "POST",
            "sms_url": record["sms_url"],
            "status_callback": None,
            "status_callback_method": "POST",
            "trunk_sid": None,
            "uri": f"{base}/IncomingPhoneNumbers/{record['sid']}.json",
            "voice_receive_mode": "voice",
            "voice_application_sid": None,
            "voice_caller_id_lookup": False,
            "voice_fallback_method": "POST",
            "voice_fallback_url": None,
            "voice_method": "POST",
            "voice_url": None,
            "emergency_status": "Inactive",
            "emergency_address_sid": None,
            "emergency_address_status": "unregistered",
            "bundle_sid": None,
            "status": "in-use",
            "type": "tollfree" if record["kind"] == "toll_free" else "local",
        }

    # ------------------------------------------------------------------ account and numbers (2010-04-01)

    @route("GET", "/2010-04-01/Accounts/{AccountSid:.+\\.json}")
    def fetch_account(self, req: SimRequest) -> Any:
        account, _ = self._account_of(req)
        config = self._accounts[account]
        date = rfc2822(config["_created"])
        base = f"/2010-04-01/Accounts/{account}"
        return 200, {
            "auth_token": None,  # simulator choice: never echo a secret
            "date_created": date,
            "date_updated": date,
            "friendly_name": config.get("friendly_name") or account,
            "owner_account_sid": account,
            "sid": account,
            "status": "active",
            "subresource_uris": {
                "messages": f"{base}/Messages.json",
                "incoming_phone_numbers": f"{base}/IncomingPhoneNumbers.json",
                "short_codes": f"{base}/SMS/ShortCodes.json",
            },
            "type": "Full",
            "uri": f"{base}.json",
        }

    def _numbers_page(self, req: SimRequest, short_codes: bool) -> Any:
        account, st = self._account_of(req)
        wanted = req.arg("ShortCode" if short_codes else "PhoneNumber")
        name = req.arg("FriendlyName")
        records = [
            r
            for r in st["numbers"].values()
            if (r["kind"] == "short_code") == short_codes
            and (not wanted or r["phone_number"] == wanted)
            and (not name or r["friendly_name"] == name)
        ]
        filters = [
            (k, v)
            for k, v in (("FriendlyName", name), ("PhoneNumber" if not short_codes else "ShortCode", wanted))
            if v
        ]
        chunk, page, size, has_next, has_previous = paginate(req, records, lambda r: r["sid"])
        path = f"/2010-04-01/Accounts/{account}/" + (
            "SMS/ShortCodes.json" if short_codes else "IncomingPhoneNumbers.json"
        )
        return 200, v2010_page(
            req,
            "short_codes" if short_codes else "incoming_phone_numbers",
            path,
            filters,
            chunk,
            sid_of=lambda r: r["sid"],
            render=lambda r: self.render_number(account, r),
            page=page,
            size=size,
            has_next=has_next,
            has_previous=has_previous,
        )

    @route("GET", "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json")
    def list_numbers(self, req: SimRequest) -> Any:
        return self._numbers_page(req, short_codes=False)

    @route("GET", "/2010-04-01/Accounts/{AccountSid}/SMS/ShortCodes.json")
    def list_short_codes(self, req: SimRequest) -> Any:
        return self._numbers_page(req, short_codes=True)

    def _number_by_sid(self, req: SimRequest, st: dict[str, Any], prefix: str) -> dict[str, Any]:
        sid = req.params["Sid"]
        number = st["number_sids"].get(sid)
        if number is None or not sid.startswith(prefix):
            raise not_found_error(req.path)
        return st["numbers"][number]

    @route("GET", "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid:.+\\.json}")
    def fetch_number(self, req: SimRequest) -> Any:
        account, st = self._account_of(req)
        return 200, self.render_number(account, self._number_by_sid(req, st, "PN"))

    @route("POST", "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid:.+\\.json}")
    def update_number(self, req: SimRequest) -> Any:
        account, st = self._account_of(req)
        record = self._number_by_sid(req, st, "PN")
        form = req.form()
        if "SmsUrl" in form:
            record["sms_url"] = first(form, "SmsUrl") or None
        if "FriendlyName" in form:
            record["friendly_name"] = first(form, "FriendlyName") or record["friendly_name"]
        return 200, self.render_number(account, record)

    @route("GET", "/2010-04-01/Accounts/{AccountSid}/SMS/ShortCodes/{Sid:.+\\.json}")
    def fetch_short_code(self, req: SimRequest) -> Any:
        account, st = self._account_of(req)
        return 200, self.render_number(account, self._number_by_sid(req, st, "SC"))

    # ------------------------------------------------------------------ Messaging Services (v1)

    def _create_service(
        self, account: str, st: dict[str, Any], values: dict[str, Any], sid: str | None = None
    ) -> dict[str, Any]:
        epoch = self._epoch(self._now)
        sid = sid or self._new_sid("MG", account)
        service: dict[str, Any] = {
            "sid": sid,
            "account_sid": account,
            "friendly_name": "",
            "inbound_request_url": None,
            "inbound_method": "POST",
            "fallback_url": None,
            "fallback_method": "POST",
            "status_callback": None,
            "sticky_sender": True,
            "mms_converter": True,
            "smart_encoding": True,
            "scan_message_content": "inherit",
            "fallback_to_long_code": True,
            "area_code_geomatch": True,
            "synchronous_validation": False,
            "validity_period": 36000,
            "usecase": "undeclared",
            "us_app_to_person_registered": False,
            "use_inbound_webhook_on_number": False,
            "_created": epoch,
            "_updated": epoch,
            "_senders": [],
            "_attached": {},
            "_sticky": {},
        }
        service.update(values)
        st["services"][sid] = service
        return service

    def _attach(self, st: dict[str, Any], service: dict[str, Any], record: dict[str, Any]) -> None:
        if record["service_sid"] == service["sid"]:
            raise tw_error(400, 21710)
        if record["service_sid"] is not None:
            raise tw_error(400, 21712)
        record["service_sid"] = service["sid"]
        service["_senders"].append(record["phone_number"])
        service["_attached"][record["phone_number"]] = self._epoch(self._now)

    def _detach(self, service: dict[str, Any], record: dict[str, Any]) -> None:
        number = record["phone_number"]
        if number in service["_senders"]:
            service["_senders"].remove(number)
        service["_attached"].pop(number, None)
        record["service_sid"] = None

    def render_service(self, service: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.domain_url('messaging')}/v1/Services/{service['sid']}"
        out = public(service)
        out["date_created"] = iso8601(service["_created"])
        out["date_updated"] = iso8601(service["_updated"])
        out["url"] = url
        out["links"] = {key: f"{url}/{suffix}" for key, suffix in SERVICE_LINKS}
        return out

    def _service_values(self, form: dict[str, list[str]]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for param, (field, kind) in SERVICE_FIELDS.items():
            if param not in form:
                continue
            raw = first(form, param)
            if kind == "str":
                values[field] = raw or None
            elif kind == "method":
                method = (raw or "POST").upper()
                if method not in ("GET", "POST"):
                    raise tw_error(400, 20001, f"Invalid parameter {param}: {raw!r}")
                values[field] = method
            elif kind == "bool":
                values[field] = boolean(raw, False)
            elif kind == "scan":
                if raw not in ("inherit", "enable", "disable"):
                    raise tw_error(400, 20001, f"Invalid parameter {param}: {raw!r}")
                values[field] = raw
            elif kind == "validity":
                values[field] = integer(raw, param, 1, 36000)
        if "friendly_name" in values:
            name = values["friendly_name"] or ""
            if len(name) > 64:
                raise tw_error(400, 20001, "Invalid parameter FriendlyName: at most 64 characters")
            values["friendly_name"] = name
        return values

    def _service(self, req: SimRequest, st: dict[str, Any], key: str = "Sid") -> dict[str, Any]:
        service = st["services"].get(req.params[key])
        if service is None:
            raise not_found_error(req.path)
        return service

    @route("POST", "/v1/Services")
    def create_service(self, req: SimRequest) -> Any:
        account, st = self._account_of(req)
        form = req.form()
        if not first(form, "FriendlyName"):
            raise missing_param("FriendlyName")
        service = self._create_service(account, st, self._service_values(form))
        return 201, self.render_service(service)

    @route("GET", "/v1/Services")
    def list_services(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        services = list(st["services"].values())
        return 200, v1_page(
            req,
            "services",
            self.domain_url("messaging"),
            "/v1/Services",
            services,
            sid_of=lambda s: s["sid"],
            render=self.render_service,
        )

    @route("GET", "/v1/Services/{Sid}")
    def fetch_service(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        return 200, self.render_service(self._service(req, st))

    @route("POST", "/v1/Services/{Sid}")
    def update_service(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        service = self._service(req, st)
        values = self._service_values(req.form())
        if "friendly_name" in values and not values["friendly_name"]:
            raise tw_error(400, 20001, "Invalid parameter FriendlyName: must not be empty")
        service.update(values)
        service["_updated"] = self._epoch(self._now)
        return 200, self.render_service(service)

    @route("DELETE", "/v1/Services/{Sid}")
    def delete_service(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        service = self._service(req, st)
        for number in list(service["_senders"]):
            record = st["numbers"].get(number)
            if record is not None:
                self._detach(service, record)
        del st["services"][service["sid"]]
        return 204, None

    # ---- sender pools

    def render_sender(self, account: str, service: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
        short = record["kind"] == "short_code"
        date = iso8601(service["_attached"].get(record["phone_number"], service["_created"]))
        out: dict[str, Any] = {
            "sid": record["sid"],
            "account_sid": account,
            "service_sid": service["sid"],
            "date_created": date,
            "date_updated": date,
            ("short_code" if short else "phone_number"): record["phone_number"],
            "country_code": "US",
            "capabilities": ["SMS", "MMS"],
            "url": (
                f"{self.domain_url('messaging')}/v1/Services/{service['sid']}/"
                f"{'ShortCodes' if short else 'PhoneNumbers'}/{record['sid']}"
            ),
        }
        return out

    def _senders_of(self, st: dict[str, Any], service: dict[str, Any], short: bool) -> list[dict[str, Any]]:
        records = [st["numbers"][n] for n in service["_senders"] if n in st["numbers"]]
        return [r for r in records if (r["kind"] == "short_code") == short]

    def _add_sender(self, req: SimRequest, short: bool) -> Any:
        account, st = self._account_of(req)
        service = self._service(req, st, "ServiceSid")
        param = "ShortCodeSid" if short else "PhoneNumberSid"
        sid = first(req.form(), param)
        if not sid:
            raise missing_param(param)
        number = st["number_sids"].get(sid)
        record = st["numbers"].get(number or "")
        if record is None or (record["kind"] == "short_code") != short:
            raise tw_error(
                400, 21421, f"{param} {sid} is not a {'short code' if short else 'phone number'} of this account"
            )
        self._attach(st, service, record)
        return 201, self.render_sender(account, service, record)

    def _list_senders(self, req: SimRequest, short: bool) -> Any:
        account, st = self._account_of(req)
        service = self._service(req, st, "ServiceSid")
        key = "short_codes" if short else "phone_numbers"
        return 200, v1_page(
            req,
            key,
            self.domain_url("messaging"),
            f"/v1/Services/{service['sid']}/{'ShortCodes' if short else 'PhoneNumbers'}",
            self._senders_of(st, service, short),
            sid_of=lambda r: r["sid"],
            render=lambda r: self.render_sender(account, service, r),
        )

    def _sender(self, req: SimRequest, st: dict[str, Any], service: dict[str, Any], short: bool) -> dict[str, Any]:
        number = st["number_sids"].get(req.params["Sid"])
        record = st["numbers"].get(number or "")
        if record is None or record["service_sid"] != service["sid"] or (record["kind"] == "short_code") != short:
            raise not_found_error(req.path)
        return record

    @route("POST", "/v1/Services/{ServiceSid}/PhoneNumbers")
    def add_service_number(self, req: SimRequest) -> Any:
        return self._add_sender(req, short=False)

    @route("GET", "/v1/Services/{ServiceSid}/PhoneNumbers")
    def list_service_numbers(self, req: SimRequest) -> Any:
        return self._list_senders(req, short=False)

    @route("POST", "/v1/Services/{ServiceSid}/ShortCodes")
    def add_service_short_code(self, req: SimRequest) -> Any:
        return self._add_sender(req, short=True)

    @route("GET", "/v1/Services/{ServiceSid}/ShortCodes")
    def list_service_short_codes(self, req: SimRequest) -> Any:
        return self._list_senders(req, short=True)

    @route("GET", "/v1/Services/{ServiceSid}/PhoneNumbers/{Sid}")
    def fetch_service_number(self, req: SimRequest) -> Any:
        account, st = self._account_of(req)
        service = self._service(req, st, "ServiceSid")
        return 200, self.render_sender(account, service, self._sender(req, st, service, False))

    @route("GET", "/v1/Services/{ServiceSid}/ShortCodes/{Sid}")
    def fetch_service_short_code(self, req: SimRequest) -> Any:
        account, st = self._account_of(req)
        service = self._service(req, st, "ServiceSid")
        return 200, self.render_sender(account, service, self._sender(req, st, service, True))

    @route("DELETE", "/v1/Services/{ServiceSid}/PhoneNumbers/{Sid}")
    def remove_service_number(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        service = self._service(req, st, "ServiceSid")
        self._detach(service, self._sender(req, st, service, False))
        return 204, None

    @route("DELETE", "/v1/Services/{ServiceSid}/ShortCodes/{Sid}")
    def remove_service_short_code(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        service = self._service(req, st, "ServiceSid")
        self._detach(service, self._sender(req, st, service, True))
        return 204, None


def _pretty(number: str) -> str:
    """``(500) 555-0006`` for a US number, the number itself otherwise (the vendor's default friendly name)."""
    if number.startswith("+1") and len(number) == 12:
        return f"({number[2:5]}) {number[5:8]}-{number[8:]}"
    return number
