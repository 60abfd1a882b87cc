"""Suite-wide ordering: the browser tier runs last, in the same pytest run.

Playwright's sync API keeps an event loop running while its session fixtures live; unit tests
that call `asyncio.run` must therefore all run before the first e2e test starts it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Hypothesis' per-example deadline is a wall-clock assertion; on a shared 2-core machine it
# fails for load, not for bugs. Speed is measured in bench/, never asserted in tests.
settings.register_profile("project", deadline=None)
settings.load_profile("project")

E2E = Path(__file__).parent / "e2e"
ENGINES = Path(__file__).parent / "engines"
ALL_BROWSERS = ("chromium", "webkit", "firefox")


def pytest_addoption(parser):
    parser.addoption("--browsers", default=os.environ.get("II_BROWSERS", ",".join(ALL_BROWSERS)),
                     help="comma-separated engines for the browser tests: chromium, webkit, firefox "
                          "(default: all; also II_BROWSERS)")


def _engine(item) -> str | None:
    path = Path(str(item.fspath))
    if E2E in path.parents:
        return "chromium"
    if ENGINES in path.parents:
        return item.callspec.params["engine"]
    return None


def pytest_collection_modifyitems(config, items):
    wanted = {name.strip() for name in config.getoption("--browsers").split(",") if name.strip()}
    unknown = wanted - set(ALL_BROWSERS)
    if unknown:
        raise pytest.UsageError(f"--browsers: unknown engine(s) {sorted(unknown)}; known: {', '.join(ALL_BROWSERS)}")
    browser, others = [], []
    for item in items:
        engine = _engine(item)
        if engine is None:
            others.append(item)
            continue
        item.add_marker(pytest.mark.e2e)
        if engine not in wanted:
            item.add_marker(pytest.mark.skip(reason=f"{engine} not in --browsers"))
        browser.append(item)
    items[:] = others + browser
