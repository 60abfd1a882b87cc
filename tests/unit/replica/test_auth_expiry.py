"""The ingress expiry window: [now, now + 5 min + 30 s]."""

from __future__ import annotations

import pytest

from replica.auth.validate import MAX_INGRESS_TTL_NS, PERMITTED_DRIFT_NS, check_expiry
from replica.auth.errors import ExpiryError

NOW = 1_800_000_000 * 10**9


@pytest.mark.parametrize("offset", [0, 1, 60 * 10**9, MAX_INGRESS_TTL_NS + PERMITTED_DRIFT_NS])
def test_inside(offset):
    check_expiry(NOW + offset, NOW)


@pytest.mark.parametrize("offset", [-1, -(10**12), MAX_INGRESS_TTL_NS + PERMITTED_DRIFT_NS + 1, 10**18])
def test_outside(offset):
    with pytest.raises(ExpiryError) as err:
        check_expiry(NOW + offset, NOW)
    text = str(err.value)
    assert text.startswith("Invalid request expiry: Specified ingress_expiry not within expected range: ")
    assert "Minimum allowed expiry: " in text and "Maximum allowed expiry: " in text and "Provided expiry: " in text
