"""Errors of the Candid layer; all subclass `ic.errors.CandidError` (and so `ValueError`)."""

from ic.errors import CandidError


class CandidSyntaxError(CandidError):
    """Bad `.did` text, bad textual value or bad test-suite file (message names line:column)."""


class CandidTypeMismatch(CandidError):
    """A well-formed value that does not decode at the expected type (a coercion failure).

    Under an `opt` this is recovered as `null` (spec: "Decoding", options); elsewhere it is fatal.
    """


class CandidLimitError(CandidError):
    """Untrusted input exceeded a decoding limit (work budget, nesting depth, number size)."""


__all__ = ["CandidError", "CandidSyntaxError", "CandidTypeMismatch", "CandidLimitError"]
