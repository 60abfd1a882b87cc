"""Suite-wide ordering: the browser tier runs last, in the same pytest run.

Playwright's sync API keeps an event loop running while its session fixtures live; unit tests
that call `asyncio.run` must therefore all run before the first e2e test starts it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# Hypothesis' per-example deadline is a wall-clock assertion; on a shared 2-core machine it
# fails for load, not for bugs. Speed is measured in bench/, never asserted in tests.
settings.register_profile("project", deadline=None)
settings.load_profile("project")

E2E = Path(__file__).parent / "e2e"


def pytest_collection_modifyitems(config, items):
    browser, others = [], []
    for item in items:
        if E2E in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            browser.append(item)
        else:
            others.append(item)
    items[:] = others + browser
