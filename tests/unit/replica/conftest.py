"""Shared fixtures of the replica tests: a replica on a temporary SQLite file with a controllable
clock, and an in-process ASGI client of its IC HTTP interface."""

from __future__ import annotations

import pytest

from replica.http.testing import AsgiClient, Clock, make_replica


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def replica(tmp_path, clock):
    r = make_replica(tmp_path, clock=clock)
    yield r
    r.close()


@pytest.fixture
def client(replica):
    return AsgiClient(replica.api)
