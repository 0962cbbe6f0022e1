"""MailerLite provider for hub: registered through the `hub` entry point like any third-party plugin."""

from hub import hookimpl


@hookimpl
def hub_register_providers(register):  # type: ignore[no-untyped-def]
    from .provider import MailerLiteProvider

    register.add(MailerLiteProvider)
