"""SMS provider for hub (Twilio, official SDK), registered through the `hub` entry point."""

from hub import hookimpl


@hookimpl
def hub_register_providers(register):  # type: ignore[no-untyped-def]
    from .provider import TwilioProvider

    register.add(TwilioProvider)
