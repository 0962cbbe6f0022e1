"""Mastodon: a campaign's `social` part as one status per campaign on one account, posted now or scheduled by
Mastodon itself (`scheduled_at`); the API is in api.py, the resource in resources.py, the text in mapping.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.plugin import Capability, Channel, Fidelity, Limits, Problem, Provider, RateLimit, Support, lazy

if TYPE_CHECKING:
    from hub.plugin import Client

FIVE_MINUTES = 300.0
THIRTY_MINUTES = 1800.0


class MastodonProvider(Provider):
    name = "mastodon"
    display_name = "Mastodon"
    docs_url = "https://docs.joinmastodon.org/methods/statuses/"
    channels = frozenset({Channel.SOCIAL})
    capabilities = {
        Capability.SOCIAL: Support(Fidelity.EXACT, "one status per campaign, scheduled by Mastodon itself (at least"
                                   " 5 minutes ahead; sooner is posted at once); published statuses are never"
                                   " edited or deleted"),
    }
    # docs.joinmastodon.org/api/rate-limits: 300 requests per 5 minutes per account; media uploads 30 per
    # 30 minutes on top of it
    limits = Limits(rate=(RateLimit("api", 300, FIVE_MINUTES), RateLimit("media", 30, THIRTY_MINUTES)),
                    max_concurrency=4)
    Settings = lazy(".api:MastodonSettings")
    Api = lazy(".api:MastodonApi")
    default_base_url = "https://mastodon.social"
    simulator = "hub_mastodon.simulator:MastodonSimulator"
    resource_types = lazy(".resources:RESOURCE_TYPES")

    @classmethod
    def sandbox_settings(cls, base_url: str) -> dict[str, Any]:
        from .simulator import MastodonSimulator

        return {"base_url": base_url, "access_token": MastodonSimulator.SANDBOX_TOKEN}

    @classmethod
    def check_client(cls, client: Client, account: str) -> list[Problem]:
        from hub.plugin import all_posts

        from . import mapping

        limit = (client.config.accounts[account].model_extra or {}).get("max_characters") or mapping.MAX_CHARACTERS
        return [Problem.at(post.source, message)
                for post in all_posts(client, account, cls.name) for message in mapping.problems(post, int(limit))]
