"""Browsers other than Chromium (tests/engines/launch.py): WebKitGTK (Safari's engine) and Firefox
ESR, each a fresh profile per test. Playwright's own WebKit and Firefox builds cannot be
downloaded here.

`--browsers=chromium,webkit,firefox` (or `II_BROWSERS`) picks the engines to run
(tests/conftest.py); an engine that is asked for but missing fails, it does not skip.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import dev_server, server  # noqa: F401  (the replica: dev and test flavors)
from tests.engines.launch import EngineMissing, launch, virtual_display


@pytest.fixture(scope="session")
def display():
    try:
        with virtual_display() as name:
            yield name
    except EngineMissing as exc:
        pytest.fail(str(exc))


@pytest.fixture(params=["webkit", "firefox"])
def engine(request):
    return request.param


@pytest.fixture
def driver(engine, display):
    """A fresh browser of `engine`, behind tests/engines/drivers.py's interface."""
    try:
        adapter, close = launch(engine)
    except EngineMissing as exc:
        pytest.fail(str(exc))
    yield adapter
    close()
