"""The OpenAPI schema of the whole API builds without a single warning.

drf-spectacular warns when two components share a name (e.g. two "Error" bodies), which
silently publishes one of them under the other's name.
"""

from __future__ import annotations

from django.core.management import call_command


def test_the_whole_api_schema_builds_without_warnings(tmp_path):
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "components:" in (tmp_path / "schema.yaml").read_text()
