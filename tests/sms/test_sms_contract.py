"""The conformance kit against the SMS (Twilio) provider and its simulator."""

from __future__ import annotations

import pytest

from hub.model import Automation, Client
from hub.testing import ProviderContract, make_client


def sms_client() -> Client:
    client = make_client("sms", audience={
        "lists": [{"id": "club", "name": "Text club"}],
        "contacts": [
            {"phone": "+447700900001", "first_name": "Ada", "lists": ["club"], "consent": {"sms": "subscribed"}},
            {"phone": "+447700900002", "first_name": "Bob", "lists": ["club"], "consent": {"sms": "subscribed"}},
            {"phone": "+447700900003", "first_name": "Cy", "lists": ["club"], "consent": {"sms": "unsubscribed"}},
        ]}, campaigns=[{"id": "flash", "name": "Flash sale", "audience": {"list": "club"}, "schedule": "now",
                        "sms": {"body": "Hi {{ first_name }}, 20% off today only. Reply STOP to opt out."}}])
    client.automations.append(Automation.model_validate({
        "id": "join", "name": "Join the club", "trigger": {"sms_keyword": "JOIN"}, "enrol": {"list": "club"},
        "steps": [{"id": "ask", "send_sms": {"body": "Welcome {{ first_name }}! Want offers? Reply YES"}},
                  {"wait": {"hours": 2}},
                  {"id": "answer", "condition": {"replied": ["YES", "Y"]}, "yes": "thanks", "no": "done"},
                  {"id": "thanks", "send_sms": {"body": "Great, see you soon."}},
                  {"id": "done", "exit": True}]}))
    return client


class TestSmsContract(ProviderContract):
    provider_name = "sms"
    page_size_hint = 55  # Studio pages 50 flows

    @pytest.fixture
    def sample_client(self) -> Client:
        return sms_client()
