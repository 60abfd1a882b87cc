"""Host values for Candid reference types (spec `Candid.md`, "References"): principals, `func` refs.

A principal decodes to `ic.principal.Principal.from_bytes(raw)` when that module can be imported,
else to the raw `bytes`. Encoding accepts `bytes`-like values, any object with `__bytes__`,
`to_bytes()` or a `raw` attribute, and text forms (`"aaaaa-aa"`); the text form itself is
`ic.principal`'s, imported lazily so this package has no import-time dependency on it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .errors import CandidError


class FuncRef(NamedTuple):
    """A `func` reference value: the service principal and the method name."""

    service: Any
    method: str


_PRINCIPAL_CLASS: list = []  # [class or None], looked up once


def _principal_class() -> Any:
    if not _PRINCIPAL_CLASS:
        try:
            from ic.principal import Principal  # noqa: PLC0415 (optional sibling module)
        except ImportError:
            Principal = None
        _PRINCIPAL_CLASS.append(Principal)
    return _PRINCIPAL_CLASS[0]


def make_principal(raw: bytes) -> Any:
    """The host value of a principal: `ic.principal.Principal` if available, else the bytes."""
    cls = _principal_class()
    if cls is None:
        return raw
    try:
        return cls.from_bytes(raw)
    except ValueError as e:
        raise CandidError(f"bad principal bytes {raw.hex()}: {e}") from None


def principal_bytes(v: Any) -> bytes:
    """The raw bytes of a principal given as bytes, Principal-like object or text form."""
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, str):
        return principal_from_text(v)
    raw = getattr(v, "raw", None)
    if isinstance(raw, (bytes, bytearray)):
        return bytes(raw)
    to_bytes = getattr(v, "to_bytes", None)
    if callable(to_bytes) and not isinstance(v, int):
        return bytes(to_bytes())
    if hasattr(v, "__bytes__"):
        return bytes(v)
    raise CandidError(f"expected a principal (bytes, Principal or text), found {type(v).__name__}")


def principal_from_text(text: str) -> bytes:
    """Textual principal ("aaaaa-aa") -> bytes, through `ic.principal` (the one copy of that format)."""
    try:
        from ic.principal import parse_principal_text  # noqa: PLC0415
    except ImportError:
        raise CandidError(f"cannot read principal text {text!r}: ic.principal is missing") from None
    try:
        return parse_principal_text(text)
    except ValueError as e:
        raise CandidError(f"bad principal text {text!r}: {e}") from None


def principal_to_text(raw: bytes) -> str:
    """Principal bytes -> textual form, through `ic.principal`."""
    try:
        from ic.principal import encode_principal_text  # noqa: PLC0415
    except ImportError:
        raise CandidError("cannot print a principal as text: ic.principal is missing") from None
    return encode_principal_text(raw)
