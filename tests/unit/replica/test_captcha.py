"""The captcha PNG: a valid image of the right size, a charset without look-alikes, normalisation."""

from __future__ import annotations

import base64
import struct
import zlib

import pytest

from replica.canisters.internet_identity import captcha


def decode_png(data: bytes) -> tuple[int, int, bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", None, None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        if kind == b"IHDR":
            width, height, depth, color, *_ = struct.unpack(">IIBBBBB", body)
            assert (depth, color) == (8, 0)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    assert len(raw) == height * (width + 1)
    pixels = b"".join(raw[y * (width + 1) + 1:(y + 1) * (width + 1)] for y in range(height))
    return width, height, pixels


def test_production_captcha_is_a_220x120_png_with_ink():
    counter = iter(range(10**6))
    rng = lambda n: bytes((next(counter) * 37 + i) % 256 for i in range(n))  # noqa: E731
    png_b64, solution = captcha.create_captcha(rng, dummy=False)
    width, height, pixels = decode_png(base64.b64decode(png_b64))
    assert (width, height) == (220, 120)
    dark = sum(1 for p in pixels if p < 100)
    assert 0.02 * len(pixels) < dark < 0.5 * len(pixels)
    assert len(solution) == 5 and all(c in captcha.CHARSET for c in solution)


def test_different_seeds_give_different_images():
    assert captcha.render_png("abcde", b"1") != captcha.render_png("abcde", b"2")
    assert captcha.render_png("abcde", b"1") == captcha.render_png("abcde", b"1")


def test_dummy_captcha_is_96x48_and_answers_a():
    png_b64, solution = captcha.create_captcha(lambda n: bytes(n), dummy=True)
    width, height, _ = decode_png(base64.b64decode(png_b64))
    assert (width, height, solution) == (96, 48, "a")


def test_charset_has_no_look_alikes():
    assert not set("oOjl0") & set(captcha.CHARSET)
    assert set(captcha.GLYPHS) == set(captcha.CHARSET)


@pytest.mark.parametrize(
    ("attempt", "solution", "ok"),
    [("abcde", "abcde", True), ("ABCDE", "abcde", True), ("1lIjk", "iiiik", True),
     ("5Z2sz", "szzsz", True), ("abcdf", "abcde", False), ("abcdef", "abcde", False), ("", "abcde", False)],
)
def test_solution_check(attempt, solution, ok):
    assert captcha.check_solution(attempt, solution) is ok


def test_random_solution_uses_the_whole_charset():
    import os

    seen = set()
    for _ in range(200):
        seen.update(captcha.random_solution(os.urandom))
    assert seen == set(captcha.CHARSET)
