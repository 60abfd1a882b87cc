"""The frontend's subset of the II interface has exactly the reference types."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.canister.interface import DID_TEXT
from ic.candid import parse_did

REFERENCE = Path(__file__).resolve().parents[3] / "replica" / "canisters" / "internet_identity" / "internet_identity.did"
OURS = parse_did(DID_TEXT)
THEIRS = parse_did(REFERENCE.read_text())


@pytest.mark.parametrize("method", sorted(OURS.service))
def test_method_matches_the_reference(method):
    assert OURS.service[method] == THEIRS.service[method], method
