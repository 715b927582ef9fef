"""Settings for the load benchmark's server: production settings plus one bench-only URL.

``/bench/floor/<id>/`` is the floor the profile API is compared with: a Django view that does
one SELECT of the customer row and answers JSON, through the same middleware, served by the
same server. It exists only when this module is the settings module, never in production.
"""

from __future__ import annotations

from clienteling.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.floor_urls"
