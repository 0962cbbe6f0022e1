"""Bluesky: a client's campaign posts on one account (app passwords, the `atproto` SDK). Bluesky cannot schedule a
post: hub holds a scheduled one and publishes it when due. The API is in api.py, the posts in resources.py, the
translation in mapping.py."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.plugin import Capability, Channel, Fidelity, Limits, Problem, Provider, RateLimit, Support, lazy

if TYPE_CHECKING:
    from hub.plugin import Client


class BlueskyProvider(Provider):
    name = "bluesky"
    display_name = "Bluesky"
    docs_url = "https://docs.bsky.app/"
    channels = frozenset({Channel.SOCIAL})
    capabilities = {
        Capability.SOCIAL: Support(Fidelity.EXACT, "text, links, mentions, hashtags, one image with alt text or a"
                                   " link card; no native scheduling: hub holds a scheduled post and publishes it"
                                   " when due"),
    }
    # docs.bsky.app/docs/advanced-guides/rate-limits: 3,000 requests per 5 minutes (per IP: one bucket per
    # account here, as hub cannot see other accounts on the same address); record writes cost points, 5,000
    # an hour and 35,000 a day per account, a create 3 (1,666 creates an hour, 11,666 a day; a delete costs
    # 1 but is counted as a create, erring on the safe side); createSession 30 per 5 minutes and 300 a day.
    limits = Limits(rate=(
        RateLimit("default", 3000, 300.0),
        RateLimit("write", 1666, 3600.0),
        RateLimit("write-day", 11666, 86400.0),
        RateLimit("session", 30, 300.0),
        RateLimit("session-day", 300, 86400.0),
    ), max_concurrency=4)
    Settings = lazy(".api:BlueskySettings")
    Api = lazy(".api:BlueskyApi")
    default_base_url = "https://bsky.social"  # the PDS (the SDK appends /xrpc)
    simulator = "hub_bluesky.simulator:BlueskySimulator"
    resource_types = lazy(".resources:RESOURCE_TYPES")

    @classmethod
    def sandbox_settings(cls, base_url: str) -> dict[str, Any]:
        from .simulator import BlueskySimulator as Sim

        # the simulator's sessions never go to the developer's keyring
        return {"base_url": base_url, "handle": Sim.SANDBOX_HANDLE, "app_password": Sim.SANDBOX_APP_PASSWORD,
                "persist_session": False}

    @classmethod
    def check_client(cls, client: Client, account: str) -> list[Problem]:
        from hub.plugin import all_posts, is_url

        from . import mapping

        problems = []
        for post in all_posts(client, account, cls.name):
            text = mapping.post_text(post)
            count = mapping.graphemes(text)
            if count > mapping.MAX_GRAPHEMES:
                problems.append(Problem.at(post.source, f"the post is {count} characters (graphemes) long;"
                                           f" Bluesky allows {mapping.MAX_GRAPHEMES}: shorten it, or give a"
                                           " `bluesky` override under `overrides:`"))
            size = len(text.encode("utf-8"))
            if size > mapping.MAX_BYTES:
                problems.append(Problem.at(post.source, f"the post is {size:,} bytes long; Bluesky allows"
                                           f" {mapping.MAX_BYTES:,}: shorten it, or give a `bluesky` override"
                                           " under `overrides:`"))
            if post.image and is_url(post.image):
                problems.append(Problem.at(post.source, f"Bluesky uploads the image, so it must be a file in the"
                                           f" client's folder, not a URL ({post.image})"))
            elif post.image and Path(post.image).is_file():  # a missing file is validation's to report
                size = Path(post.image).stat().st_size
                if size > mapping.MAX_IMAGE_BYTES:
                    problems.append(Problem.at(post.source, f"image {Path(post.image).name} is {size:,} bytes;"
                                               f" Bluesky takes images up to {mapping.MAX_IMAGE_BYTES:,} bytes"))
        return problems
