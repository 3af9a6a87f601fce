"""Shared fixtures and the test-selection policy.

Markers (pyproject.toml): ``slow`` tests are bounded and run in CI; ``soak`` tests
are long repetitions of a slow test and run only with ``KIOSK_SOAK=1``
(e.g. ``KIOSK_SOAK=1 scripts/test -m soak``).
"""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("KIOSK_SOAK") == "1":
        return
    skip = pytest.mark.skip(reason="soak run: set KIOSK_SOAK=1 to run it")
    for item in items:
        if "soak" in item.keywords:
            item.add_marker(skip)
