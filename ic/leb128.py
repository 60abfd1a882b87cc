"""LEB128 encoders, the one copy shared by Candid, request ids and the state tree.

Shortest forms: unsigned (624485 -> e5 8e 26) and signed (-123456 -> c0 bb 78). Callers check
their own domain (Candid, request-id and state-tree values each have their own error type);
these functions assume an `int` and, for `encode_unsigned`, a natural number. Decoding stays with
each caller, since each bounds untrusted input its own way.
"""

from __future__ import annotations


def encode_unsigned(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def encode_signed(n: int) -> bytes:
    if -0x40 <= n < 0x40:
        return bytes((n & 0x7F,))
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if (n == 0 and not byte & 0x40) or (n == -1 and byte & 0x40):
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)
