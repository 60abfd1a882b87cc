"""A small, bounded DER reader and writer for SubjectPublicKeyInfo (X.690 §8, §10; RFC 5280 §4.1).

Only what IC public keys use: SEQUENCE, OBJECT IDENTIFIER, BIT STRING and NULL, single-byte tags,
definite minimal lengths. Every read checks bounds against the input and names the offset, the
element and what was expected; nothing is allocated beyond the input itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from ic.errors import KeyFormatError

TAG_SEQUENCE = 0x30
TAG_OID = 0x06
TAG_BIT_STRING = 0x03
TAG_NULL = 0x05

TAG_NAMES = {TAG_SEQUENCE: "SEQUENCE", TAG_OID: "OBJECT IDENTIFIER", TAG_BIT_STRING: "BIT STRING", TAG_NULL: "NULL"}

# The largest key we accept: an RSA-4096 COSE key inside the WebAuthn wrapper is ~540 bytes.
MAX_DER_BYTES = 4096


@dataclass(frozen=True)
class Element:
    """One DER element: its tag, its content bytes, and where it started in the whole input."""

    tag: int
    content: bytes
    offset: int
    content_offset: int


def _tag_name(tag: int) -> str:
    return TAG_NAMES.get(tag, f"tag 0x{tag:02x}")


def read_element(data: bytes, offset: int, *, base: int = 0, what: str) -> tuple[Element, int]:
    """Read one element of `data` at `offset`; `base` is `data`'s position in the whole input.

    Returns the element and the offset just past it.
    """
    where = base + offset
    if offset >= len(data):
        raise KeyFormatError(f"DER: {what} at offset {where}: expected a tag, found the end of the input")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise KeyFormatError(f"DER: {what} at offset {where}: multi-byte tags are not used in public keys (tag 0x{tag:02x})")
    if offset + 1 >= len(data):
        raise KeyFormatError(f"DER: {what} at offset {where}: expected a length byte, found the end of the input")
    first = data[offset + 1]
    pos = offset + 2
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise KeyFormatError(f"DER: {what} at offset {where}: indefinite length is not allowed in DER")
    else:
        count = first & 0x7F
        if count > 2:
            raise KeyFormatError(
                f"DER: {what} at offset {where}: length uses {count} bytes, at most 2 are accepted "
                f"(public keys are below {MAX_DER_BYTES} bytes)"
            )
        if pos + count > len(data):
            raise KeyFormatError(f"DER: {what} at offset {where}: length bytes run past the end of the input")
        length = int.from_bytes(data[pos : pos + count], "big")
        if length < 0x80 or (count == 2 and length < 0x100):
            raise KeyFormatError(f"DER: {what} at offset {where}: length {length} is not minimally encoded")
        pos += count
    end = pos + length
    if end > len(data):
        raise KeyFormatError(
            f"DER: {what} at offset {where}: {_tag_name(tag)} declares {length} content bytes, "
            f"only {len(data) - pos} remain"
        )
    return Element(tag, bytes(data[pos:end]), where, base + pos), end


def expect(element: Element, tag: int, *, what: str) -> Element:
    """Check that `element` has `tag`, naming both tags on mismatch."""
    if element.tag != tag:
        raise KeyFormatError(
            f"DER: {what} at offset {element.offset}: expected {_tag_name(tag)}, found {_tag_name(element.tag)}"
        )
    return element


def read_children(parent: Element, *, what: str) -> list[Element]:
    """The elements inside a SEQUENCE's content, which they must fill exactly."""
    children = []
    pos = 0
    while pos < len(parent.content):
        child, pos = read_element(parent.content, pos, base=parent.content_offset, what=f"{what} item {len(children)}")
        children.append(child)
    return children


def read_single(data: bytes, *, what: str) -> Element:
    """The one top-level element of `data`; trailing bytes are an error."""
    if len(data) > MAX_DER_BYTES:
        raise KeyFormatError(f"DER: {what}: {len(data)} bytes, at most {MAX_DER_BYTES} are accepted")
    element, end = read_element(data, 0, what=what)
    if end != len(data):
        raise KeyFormatError(f"DER: {what}: {len(data) - end} unexpected bytes after the end at offset {end}")
    return element


def decode_oid(element: Element, *, what: str) -> str:
    """Dotted text of an OBJECT IDENTIFIER element (X.690 §8.19)."""
    expect(element, TAG_OID, what=what)
    content = element.content
    if not content:
        raise KeyFormatError(f"DER: {what} at offset {element.offset}: empty OBJECT IDENTIFIER")
    if len(content) > 64:
        raise KeyFormatError(f"DER: {what} at offset {element.offset}: OBJECT IDENTIFIER of {len(content)} bytes is too long")
    if content[-1] & 0x80:
        raise KeyFormatError(f"DER: {what} at offset {element.offset}: OBJECT IDENTIFIER ends inside an arc")
    arcs: list[int] = []
    value = 0
    fresh = True
    for i, byte in enumerate(content):
        if fresh and byte == 0x80:
            raise KeyFormatError(
                f"DER: {what} at offset {element.content_offset + i}: OBJECT IDENTIFIER arc has a leading 0x80 byte"
            )
        value = (value << 7) | (byte & 0x7F)
        fresh = not byte & 0x80
        if fresh:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return ".".join(str(arc) for arc in head + arcs[1:])


def read_bit_string(element: Element, *, what: str) -> bytes:
    """The bytes of a BIT STRING whose unused-bits count is 0."""
    expect(element, TAG_BIT_STRING, what=what)
    if not element.content:
        raise KeyFormatError(f"DER: {what} at offset {element.offset}: empty BIT STRING (no unused-bits byte)")
    if element.content[0] != 0:
        raise KeyFormatError(
            f"DER: {what} at offset {element.offset}: BIT STRING has {element.content[0]} unused bits, expected 0"
        )
    return element.content[1:]


def encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def encode_element(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + encode_length(len(content)) + content


def encode_oid(dotted: str) -> bytes:
    """A whole OBJECT IDENTIFIER element for dotted text such as `1.3.101.112`."""
    arcs = [int(part) for part in dotted.split(".")]
    numbers = [40 * arcs[0] + arcs[1]] + arcs[2:]
    out = bytearray()
    for number in numbers:
        chunk = [number & 0x7F]
        number >>= 7
        while number:
            chunk.append(0x80 | (number & 0x7F))
            number >>= 7
        out.extend(reversed(chunk))
    return encode_element(TAG_OID, bytes(out))


def encode_spki(algorithm: bytes, key: bytes) -> bytes:
    """SubjectPublicKeyInfo: SEQUENCE { AlgorithmIdentifier (already encoded), BIT STRING key }."""
    return encode_element(TAG_SEQUENCE, algorithm + encode_element(TAG_BIT_STRING, b"\x00" + key))


def encode_algorithm(oid: str, parameter_oid: str | None = None) -> bytes:
    """AlgorithmIdentifier with an optional OBJECT IDENTIFIER parameter."""
    content = encode_oid(oid) + (encode_oid(parameter_oid) if parameter_oid else b"")
    return encode_element(TAG_SEQUENCE, content)
