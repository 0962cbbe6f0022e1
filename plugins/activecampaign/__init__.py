"""ActiveCampaign provider for hub (API v3, and v1 to create and send campaigns): registered through the
`hub` entry point like any third-party plugin."""

from hub import hookimpl


@hookimpl
def hub_register_providers(register):  # type: ignore[no-untyped-def]
    from .provider import ActiveCampaignProvider

    register.add(ActiveCampaignProvider)
