"""Fixtures for `ic.agent` tests: agents on the real replica in-process (tests/unit/conftest.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ic.agent import Agent, AsgiTransport, Ed25519Identity

REPO = Path(__file__).resolve().parents[3]
II_CANISTER = "rdmx6-jaaaa-aaaaa-aaadq-cai"
WHOAMI_CANISTER = "qoctq-giaaa-aaaaa-aaaea-cai"


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def agent(replica):
    return Agent(AsgiTransport(replica.api), Ed25519Identity.generate(), fetch_root_key=True)


@pytest.fixture(scope="session")
def ii_did() -> str:
    return (REPO / "replica" / "canisters" / "internet_identity" / "internet_identity.did").read_text()
