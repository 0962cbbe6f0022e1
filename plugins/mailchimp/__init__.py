"""Mailchimp provider for hub (official mailchimp-marketing SDK), registered through the `hub` entry point."""

from hub import hookimpl


@hookimpl
def hub_register_providers(register):  # type: ignore[no-untyped-def]
    from .provider import MailchimpProvider

    register.add(MailchimpProvider)
