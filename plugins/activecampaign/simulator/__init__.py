"""A stateful simulator of the ActiveCampaign API v3 (``https://<account>.api-us1.com/api/3``) and of the
v1 ``/admin/api.php`` actions that create and send campaigns.

It answers as documented in ``vendor-specs/activecampaign-v3.openapi.json`` (shapes from its examples)
and ``vendors/mailerlite-activecampaign.md`` part B: ``Api-Token`` header auth (403 when missing or
wrong), 5 requests per second per account (429 + ``Retry-After``), bodies wrapped by resource name,
ids, counters and ``meta.total`` as strings, ``limit``/``offset`` pages (default 20, max 100), the
vendor's three error styles, the ``POST /contacts`` 422 ``duplicate`` and the ``/contact/sync`` upsert,
``/contactLists`` status 1/2 with its re-subscribe pitfall, case-insensitively unique tags removed by
association id, perstags, bulk imports (≤ 250, polled, never re-subscribing), read-only segments and
automations with enrolments, campaigns with report counters, messages, and v1
``message_add``/``campaign_create``.

Accounts are configured by token: ``ActiveCampaignSimulator(clock, tokens={"token": "account-id"})``
(default ``{"sandbox-token": "sandbox"}``); each account has its own data and rate-limit window. Ids are
per-account sequential numbers per collection, like the vendor's auto-increment keys.

Choices where the vendor's behaviour is not verified (the area modules list theirs too):
- Auth failure: 403 ``{"message": "Forbidden"}`` (the docs give 403 for "could not be authenticated";
  the body is the spec's most common 403 example); v1 answers its own way (`v1`).
- 429 body ``{"message": "Too Many Requests"}``; every authenticated answer carries ``RateLimit-Limit``
  and ``RateLimit-Remaining``.
- ``limit`` above 100 is capped silently; a ``limit`` below 1 or unreadable means 20.
- Timestamps use the account timezone ``timezone="America/Chicago"`` (the examples' -05:00/-06:00).
- Status codes per the spec's examples: 201 for creating contacts, tags, contactTags, fields,
  fieldRels, messages and enrolments; 200 for lists, contactLists and fieldValues.
- Missing required attributes answer 422 in the documented "Missing attribute" shape (one error per
  attribute); malformed JSON answers 400 ``{"errors": [{"status": 400, "title": "Bad Request"}]}``.
- ``GET /automations/{id}`` answers ``{"automation": {...}}``; ``POST /fields`` ``{"field": {...}}``;
  ``GET /segments[/{id}]`` ``{"segments": [...]}`` / ``{"segment": {...}}`` (the spec's examples for
  these are garbled or empty).
- Every 404 for an unknown id names the vendor's model (``_List``, ``SubscriberTag``,
  ``SubscriberSeries``, ``Series``…, the collections' ``model``), also where the spec shows such a body
  under 403. ``filters[name]`` matches contains, case-insensitively.
- ``contacts()`` reports one status word per contact (see `contact_status_word`).

The class is a chain of one class per area, each in its own module, each building on the ones before:
`shapes` (shared helpers; options, authentication, limits, error shapes and request plumbing), `lists`
(lists, contactLists, segments), `tags`, `fields`, `automations`, `contacts`, `imports`, `campaigns` (v3
campaigns and messages) and `v1`. Each area declares its collections and its "vendor UI" controls; the
kit generates a control listing for every collection with a ``render``.
"""

from __future__ import annotations

from .automations import AUTOMATIONS, ENROLMENTS
from .campaigns import CAMPAIGNS, MESSAGES, RECIPIENTS
from .fields import FIELD_RELS, FIELD_VALUES, FIELDS, perstag_from
from .imports import IMPORTS
from .lists import LISTS, MEMBERSHIPS, SEGMENTS
from .shapes import CONTACTS
from .tags import CONTACT_TAGS, TAGS
from .v1 import ActiveCampaignV1

__all__ = ["ActiveCampaignSimulator", "perstag_from"]


class ActiveCampaignSimulator(ActiveCampaignV1):
    """ActiveCampaign v3 (+ v1 campaign send). Options (all keyword):

    - ``tokens``: ``{token: account_id}``, default ``{"sandbox-token": "sandbox"}``;
    - ``rate=5``, ``window=1.0`` (vendor seconds): the per-account request limit;
    - ``import_limit=100``, ``import_window=60.0``: bulk-import requests allowed per window;
    - ``import_delay=0.0``: vendor seconds before a queued import is processed (0 = on the next request);
    - ``max_limit=100``: the largest page size;
    - ``timezone="America/Chicago"``: the account timezone of dates and v1 ``sdate``;
    - ``open_rate=0.4``, ``click_rate=0.1``: the share of a campaign's recipients who open it and who click
      in it, ``activity_rates``: any other of `hub.simulator.ActivityRates` (bounces, unsubscribes,
      complaints; per account: the ``set_activity_rates`` control), ``activity_window=259200.0``: vendor
      seconds after the send by which they have done what they will (0: at the send; ``activity_delay`` is
      its former name), see `campaigns`.
    """

    collections = (CONTACTS, LISTS, MEMBERSHIPS, SEGMENTS, TAGS, CONTACT_TAGS, FIELDS, FIELD_RELS, FIELD_VALUES,
                   AUTOMATIONS, ENROLMENTS, IMPORTS, CAMPAIGNS, MESSAGES, RECIPIENTS)
