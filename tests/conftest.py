"""Hermetic plugin loading: hub's own providers plus the test vendor in tests/plugins, nothing else.

tests/plugins holds `hub_testvendor` and its dist-info, so hub discovers it through the `hub` entry
point exactly as it would discover a pip-installed third-party provider.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

TESTS = Path(__file__).parent
PLUGINS_DIR = TESTS / "plugins"

if str(PLUGINS_DIR) not in sys.path:
    sys.path.insert(0, str(PLUGINS_DIR))
os.environ["HUB_LOAD_PLUGINS"] = "mailerlite,mailchimp,activecampaign,sms,mastodon,bluesky,testvendor"
os.environ.pop("HUB_DISABLE_PLUGINS", None)
# subprocesses (CLI tests, kill -9 tests) see the same plugins
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(PLUGINS_DIR), os.environ.get("PYTHONPATH")) if p)

pytest_plugins = ["hub.testing.fixtures"]
