"""CAPTCHA images: distorted characters drawn with a small built-in stroke font, as a PNG.

Real II (reference section 5, CAPTCHA): a 220x120 PNG with 5 characters and wave filters; a
charset without look-alike characters; attempts normalised (case; `1 l I j` -> `i`, `5` -> `s`, `2` -> `z`) and
longer than 5 characters rejected. With the dummy captcha the image is 96x48 and the answer is
always `a`. The PNG is written here with zlib (no imaging library): glyph strokes are stamped as
discs after a random rotation/shear/scale per character, then the whole image goes through a
horizontal and a vertical sine wave, and noise lines and speckles are added.
"""

from __future__ import annotations

import base64
import functools
import math
import random
import struct
import zlib
from collections.abc import Callable

CAPTCHA_LENGTH = 5
WIDTH, HEIGHT = 220, 120
DUMMY_WIDTH, DUMMY_HEIGHT = 96, 48

Point = tuple[float, float]
Stroke = list[Point]


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 14) -> Stroke:
    """Points on an ellipse from angle a0 to a1 (degrees; 0 = right, 90 = down)."""
    return [
        (cx + rx * math.cos(math.radians(a0 + (a1 - a0) * i / n)),
         cy + ry * math.sin(math.radians(a0 + (a1 - a0) * i / n)))
        for i in range(n + 1)
    ]


def _bowl(cx: float = 2.0) -> Stroke:
    return _arc(cx, 5.0, 1.8, 2.0, 0, 360, 20)


# Glyphs on a grid 4 units wide: ascender top y=0, x-height y=3, baseline y=7, descender y=9.5.
# Look-alike characters (j, l, o and digits) are left out, as in the real II's charset.
GLYPHS: dict[str, list[Stroke]] = {
    "a": [_bowl(), [(3.8, 3.0), (3.8, 7.0)]],
    "b": [[(0.2, 0.0), (0.2, 7.0)], _bowl()],
    "c": [_arc(2.0, 5.0, 1.8, 2.0, 40, 320)],
    "d": [[(3.8, 0.0), (3.8, 7.0)], _bowl()],
    "e": [[(0.2, 5.0), (3.8, 5.0)] + _arc(2.0, 5.0, 1.8, 2.0, 360, 40)],
    "f": [[(3.5, 0.5), (2.6, 0.0), (2.0, 0.8), (2.0, 7.0)], [(0.8, 3.0), (3.2, 3.0)]],
    "g": [_arc(2.0, 4.8, 1.8, 1.8, 0, 360, 20), [(3.8, 3.0), (3.8, 8.0)] + _arc(2.0, 8.0, 1.8, 1.2, 0, 160)],
    "h": [[(0.2, 0.0), (0.2, 7.0)], _arc(2.0, 4.8, 1.8, 1.8, 180, 360) + [(3.8, 7.0)]],
    "i": [[(2.0, 3.0), (2.0, 7.0)], [(2.0, 1.2), (2.0, 1.7)]],
    "k": [[(0.5, 0.0), (0.5, 7.0)], [(3.5, 3.0), (0.5, 5.5)], [(1.5, 4.7), (3.7, 7.0)]],
    "m": [[(0.2, 3.0), (0.2, 7.0)], _arc(1.1, 4.5, 0.9, 1.5, 180, 360) + [(2.0, 7.0)],
          _arc(2.9, 4.5, 0.9, 1.5, 180, 360) + [(3.8, 7.0)]],
    "n": [[(0.2, 3.0), (0.2, 7.0)], _arc(2.0, 4.8, 1.8, 1.8, 180, 360) + [(3.8, 7.0)]],
    "p": [[(0.2, 3.0), (0.2, 9.5)], _bowl()],
    "q": [[(3.8, 3.0), (3.8, 9.5)], _bowl()],
    "r": [[(0.5, 3.0), (0.5, 7.0)], _arc(2.3, 5.0, 1.8, 1.8, 180, 300)],
    "s": [_arc(2.0, 4.0, 1.6, 1.0, 320, 90) + _arc(2.0, 6.0, 1.6, 1.0, -90, 140)],
    "t": [[(1.7, 0.8), (1.7, 6.3), (2.2, 6.9), (3.2, 7.0)], [(0.5, 3.0), (3.3, 3.0)]],
    "u": [[(0.2, 3.0)] + _arc(2.0, 5.2, 1.8, 1.8, 180, 0), [(3.8, 3.0), (3.8, 7.0)]],
    "v": [[(0.0, 3.0), (2.0, 7.0), (4.0, 3.0)]],
    "w": [[(0.0, 3.0), (1.0, 7.0), (2.0, 4.2), (3.0, 7.0), (4.0, 3.0)]],
    "x": [[(0.3, 3.0), (3.7, 7.0)], [(3.7, 3.0), (0.3, 7.0)]],
    "y": [[(0.2, 3.0), (2.0, 7.0)], [(3.8, 3.0), (1.2, 9.5)]],
    "z": [[(0.3, 3.0), (3.7, 3.0), (0.3, 7.0), (3.7, 7.0)]],
}
CHARSET = "".join(sorted(GLYPHS))

# What a user may type for a character of the charset (beyond its case).
_REPLACEMENTS = {"1": "i", "l": "i", "j": "i", "5": "s", "2": "z"}


def normalize_attempt(attempt: str) -> str:
    return "".join(_REPLACEMENTS.get(c, c) for c in attempt.lower())


def check_solution(attempt: str, solution: str) -> bool:
    """Whether `attempt` solves a captcha whose answer is `solution`."""
    if len(attempt) > CAPTCHA_LENGTH:
        return False
    return normalize_attempt(attempt) == solution


def random_solution(random_bytes: Callable[[int], bytes], length: int = CAPTCHA_LENGTH) -> str:
    """`length` characters of the charset, chosen without modulo bias."""
    out: list[str] = []
    limit = 256 - 256 % len(CHARSET)
    while len(out) < length:
        for b in random_bytes(16):
            if b < limit and len(out) < length:
                out.append(CHARSET[b % len(CHARSET)])
    return "".join(out)


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(b"\xff" * (width * height))  # white

    def stamp(self, x: float, y: float, radius: float, value: int) -> None:
        r = int(math.ceil(radius))
        r2 = radius * radius
        cx, cy = int(round(x)), int(round(y))
        for py in range(max(0, cy - r), min(self.height, cy + r + 1)):
            dy2 = (py - y) ** 2
            row = py * self.width
            for px in range(max(0, cx - r), min(self.width, cx + r + 1)):
                if (px - x) ** 2 + dy2 <= r2:
                    self.pixels[row + px] = min(self.pixels[row + px], value)

    def line(self, p: Point, q: Point, radius: float, value: int) -> None:
        length = math.hypot(q[0] - p[0], q[1] - p[1])
        steps = max(1, int(length / 0.6))
        for i in range(steps + 1):
            t = i / steps
            self.stamp(p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t, radius, value)


def _draw_text(canvas: _Canvas, text: str, rng: random.Random, unit: float, stroke: float,
               jitter: bool) -> None:
    advance = canvas.width / (len(text) + 0.6)
    for i, ch in enumerate(text):
        angle = math.radians(rng.uniform(-25, 25)) if jitter else 0.0
        shear = rng.uniform(-0.35, 0.35) if jitter else 0.0
        scale = unit * (rng.uniform(0.85, 1.15) if jitter else 1.0)
        ox = advance * (i + 0.8) + (rng.uniform(-3, 3) if jitter else 0.0)
        oy = canvas.height / 2 + (rng.uniform(-6, 6) if jitter else 0.0)
        cos_a, sin_a = math.cos(angle), math.sin(angle)
        shade = rng.randint(0, 70) if jitter else 0

        def place(pt: Point) -> Point:
            gx, gy = (pt[0] - 2.0), (pt[1] - 5.0)  # glyph centre at x=2, y=5
            gx += shear * gy
            return (ox + scale * (gx * cos_a - gy * sin_a), oy + scale * (gx * sin_a + gy * cos_a))

        for stroke_pts in GLYPHS[ch]:
            pts = [place(p) for p in stroke_pts]
            for p, q in zip(pts, pts[1:]):
                canvas.line(p, q, stroke, shade)


def _wave(canvas: _Canvas, rng: random.Random, amplitude: float, period: float) -> _Canvas:
    out = _Canvas(canvas.width, canvas.height)
    phx, phy = rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi)
    w, h = canvas.width, canvas.height
    src = canvas.pixels
    dst = out.pixels
    xs = [amplitude * math.sin(2 * math.pi * x / period + phy) for x in range(w)]
    for y in range(h):
        dx = amplitude * math.sin(2 * math.pi * y / period + phx)
        row = y * w
        for x in range(w):
            sx = int(round(x + dx))
            sy = int(round(y + xs[x]))
            if 0 <= sx < w and 0 <= sy < h:
                dst[row + x] = src[sy * w + sx]
    return out


def _noise(canvas: _Canvas, rng: random.Random) -> None:
    for _ in range(4):
        y0, y1 = rng.uniform(0, canvas.height), rng.uniform(0, canvas.height)
        amp, phase = rng.uniform(3, 12), rng.uniform(0, 2 * math.pi)
        prev = None
        for x in range(0, canvas.width + 1, 4):
            t = x / canvas.width
            pt = (float(x), y0 + (y1 - y0) * t + amp * math.sin(6 * t + phase))
            if prev is not None:
                canvas.line(prev, pt, 0.8, rng.randint(60, 150))
            prev = pt
    for _ in range(canvas.width * canvas.height // 60):
        i = rng.randrange(len(canvas.pixels))
        canvas.pixels[i] = rng.randint(0, 200)


def encode_png(width: int, height: int, gray: bytes) -> bytes:
    """An 8-bit grayscale PNG (filter type 0 on every row)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF
        )

    raw = b"".join(b"\x00" + gray[y * width:(y + 1) * width] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def render_png(text: str, seed: bytes) -> bytes:
    """A distorted 220x120 image of `text` (production captcha)."""
    rng = random.Random(seed)
    canvas = _Canvas(WIDTH, HEIGHT)
    _draw_text(canvas, text, rng, unit=7.5, stroke=2.2, jitter=True)
    canvas = _wave(canvas, rng, amplitude=2.0, period=20.0)
    _noise(canvas, rng)
    return encode_png(WIDTH, HEIGHT, bytes(canvas.pixels))


def render_dummy_png() -> bytes:
    """The dummy captcha: a plain 96x48 `a`."""
    canvas = _Canvas(DUMMY_WIDTH, DUMMY_HEIGHT)
    _draw_text(canvas, "a", random.Random(0), unit=4.0, stroke=1.5, jitter=False)
    return encode_png(DUMMY_WIDTH, DUMMY_HEIGHT, bytes(canvas.pixels))


@functools.cache
def _dummy_png_base64() -> str:
    return base64.b64encode(render_dummy_png()).decode()


def create_captcha(random_bytes: Callable[[int], bytes], *, dummy: bool) -> tuple[str, str]:
    """(png_base64, solution) for a new captcha. The dummy image never changes: it is drawn once."""
    if dummy:
        return _dummy_png_base64(), "a"
    solution = random_solution(random_bytes)
    png = render_png(solution, random_bytes(32))
    return base64.b64encode(png).decode(), solution
