"""The neutral social post: which accounts a post goes to, each account's text, Markdown flattened, and campaigns
that only post (no audience)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hub.model import Campaign
from hub.social import flatten_markdown, post_for
from hub.testing import make_client


def test_markdown_is_flattened_and_said_so() -> None:
    text, flattened = flatten_markdown("## New **winter** timetable\n- early _Vinyasa_\n"
                                       "[Book now](https://lotus.example/book) or https://lotus.example")
    assert text == "New winter timetable\n• early Vinyasa\nBook now (https://lotus.example/book) or https://lotus.example"
    assert flattened
    assert flatten_markdown("Plain text, 20% off_today") == ("Plain text, 20% off_today", False)


def test_each_account_posts_its_own_override_or_its_networks() -> None:
    campaign = Campaign.model_validate({
        "id": "news", "name": "News", "social": {
            "text": "Shared", "accounts": ["masto", "sky"],
            "overrides": {"bluesky": {"text": "For Bluesky"}, "masto": {"text": "For this account"}}}})
    social = campaign.social
    assert social is not None
    assert social.targets("masto") and not social.targets("card")
    assert social.text_for("masto", "mastodon") == "For this account"
    assert social.text_for("sky", "bluesky") == "For Bluesky"
    assert social.text_for("other", "mastodon") == "Shared"
    client = make_client("mastodon", campaigns=[campaign.model_dump(by_alias=True)])
    post = post_for(social, client, "sky", "bluesky")
    assert post.text == "For Bluesky" and post.visibility == "public"


def test_a_campaign_that_only_posts_needs_no_audience_but_email_does() -> None:
    Campaign.model_validate({"id": "p", "name": "Post", "social": {"text": "Hi"}})
    with pytest.raises(ValidationError, match="needs 'audience'"):
        Campaign.model_validate({"id": "e", "name": "Mail", "email": {
            "subject": "Hi", "body_markdown": "Hi [Unsubscribe]({{ unsubscribe_url }})"}})
