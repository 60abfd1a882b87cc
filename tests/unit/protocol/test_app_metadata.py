"""A dapp's `/.well-known/ii-app-metadata` as the real II reads it: every way it fails gives None
(the origin alone), one bad field voids the document, a bad logo loses only the logo."""

from __future__ import annotations

import asyncio
import json

import pytest

from app.protocol.app_metadata import (
    MAX_DOCUMENT_BYTES, MAX_LOGO_BYTES, AppMetadata, Document, Fetched, document_url, load, logo_data_url,
    metadata_origin, parse_document,
)

ORIGIN = "https://dapp.example"


def doc(value, *, status=200, **fields) -> Fetched:
    body = value if isinstance(value, bytes) else json.dumps(value).encode()
    return Fetched(status, body, "application/json", **fields)


def test_the_document_of_the_derivation_origin_else_the_requesting_one():
    assert metadata_origin(ORIGIN, None) == ORIGIN
    assert metadata_origin(ORIGIN, "https://main.example") == "https://main.example"
    assert document_url("http://x.localhost:4943") == "http://x.localhost:4943/.well-known/ii-app-metadata"
    assert document_url("https://a.example:443") == "https://a.example/.well-known/ii-app-metadata"
    assert document_url("javascript:alert(1)") is None


def test_a_valid_document_with_whitespace_collapsed():
    got = parse_document(doc({"name": "  Example\n\tApp ", "description": "A  tagline", "logo": "/logo.png",
                              "other": [1, 2]}), ORIGIN)
    assert got == Document("Example App", "A tagline", "https://dapp.example/logo.png")
    assert parse_document(doc({}), ORIGIN) == Document(None, None, None)


@pytest.mark.parametrize("fetched", [
    Fetched(404, b'{"name": "x"}'), Fetched(500), Fetched(0, error="TypeError: Failed to fetch (redirect)"),
    Fetched(302, b'{"name": "x"}'), Fetched(200, oversize=True),
    doc(b'{"name": "' + b"x" * MAX_DOCUMENT_BYTES + b'"}'),
])
def test_not_a_200_a_redirect_a_failed_fetch_or_too_large(fetched):
    assert parse_document(fetched, ORIGIN) is None


@pytest.mark.parametrize("body", [b"{", b"not json", b'{"name": NaN}', b"\xff\xfe{}", b'["name"]', b'"x"',
                                  b"null", b"", b'{"name": "caf\xe9"}'])
def test_malformed_json_or_not_an_object(body):
    assert parse_document(doc(body), ORIGIN) is None


def test_a_leading_byte_order_mark_is_dropped_as_textdecoder_does():
    assert parse_document(doc(b'\xef\xbb\xbf{"name": "A"}'), ORIGIN).name == "A"


@pytest.mark.parametrize("fields", [
    {"name": 7}, {"name": None}, {"name": ["A"]}, {"description": True}, {"name": "x" * 41},
    {"description": "d" * 121}, {"name": "   "}, {"name": "a\u202eb"}, {"name": "a\u200bb"}, {"name": "a\x00b"},
    {"name": "a\x85b"}, {"description": "\ufeffhi"}, {"name": "\u2066x"},
])
def test_one_bad_text_field_voids_the_whole_document(fields):
    assert parse_document(doc({"name": "Good", "description": "Fine", **fields}), ORIGIN) is None


def test_lengths_count_code_points_and_apply_before_collapsing():
    assert parse_document(doc({"name": "😀" * 40}), ORIGIN).name == "😀" * 40
    assert parse_document(doc({"name": "a" + " " * 39}), ORIGIN).name == "a"
    assert parse_document(doc({"name": "a" + " " * 40}), ORIGIN) is None
    assert parse_document(doc({"name": "👩\u200d💻 و\u200cا"}), ORIGIN).name == "👩\u200d💻 و\u200cا"  # ZWJ, ZWNJ kept


@pytest.mark.parametrize("logo", ["", 5, None, "https://cdn.example/logo.png", "//evil.example/x.png",
                                  "data:image/png;base64,AAAA", "javascript:alert(1)", "http://dapp.example/l.png",
                                  "https://dapp.example:8443/l.png"])
def test_a_logo_off_the_origin_voids_the_document(logo):
    assert parse_document(doc({"name": "Good", "logo": logo}), ORIGIN) is None


@pytest.mark.parametrize("logo,url", [("logo.png", "https://dapp.example/logo.png"),
                                      ("https://dapp.example/a/b.svg?v=1", "https://dapp.example/a/b.svg?v=1"),
                                      (" /x.png\n", "https://dapp.example/x.png")])
def test_a_logo_on_the_origin_resolves_against_it(logo, url):
    assert parse_document(doc({"logo": logo}), ORIGIN).logo_url == url


def test_the_logo_as_a_data_url_of_an_allowed_type():
    assert logo_data_url(Fetched(200, b"GIF89a", "IMAGE/GIF; charset=binary")) == "data:image/gif;base64,R0lGODlh"
    assert logo_data_url(Fetched(200, b"<svg/>", "image/svg+xml")) == "data:image/svg+xml;base64,PHN2Zy8+"
    for bad in (Fetched(200, b"x", "text/html"), Fetched(200, b"x", ""), Fetched(200, b"", "image/png"),
                Fetched(404, b"x", "image/png"), Fetched(200, oversize=True, content_type="image/png"),
                Fetched(200, b"x" * (MAX_LOGO_BYTES + 1), "image/png"), Fetched(200, b"x", "image/x-icon"),
                Fetched(0, error="aborted")):
        assert logo_data_url(bad) is None, bad


def run_load(served: dict) -> tuple[AppMetadata | None, list]:
    asked = []

    async def fetch(url, accept, max_bytes):
        asked.append((url, accept, max_bytes))
        return served.get(url, Fetched(404))

    return asyncio.run(load(ORIGIN, fetch)), asked


def test_load_fetches_the_document_then_its_logo():
    got, asked = run_load({f"{ORIGIN}/.well-known/ii-app-metadata": doc({"name": "App", "logo": "/l.webp"}),
                           f"{ORIGIN}/l.webp": Fetched(200, b"RIFF", "image/webp")})
    assert got == AppMetadata("App", None, "data:image/webp;base64,UklGRg==")
    assert asked == [(f"{ORIGIN}/.well-known/ii-app-metadata", "application/json", MAX_DOCUMENT_BYTES),
                     (f"{ORIGIN}/l.webp", "image/*", MAX_LOGO_BYTES)]


def test_a_logo_that_fails_loses_only_the_logo_unless_nothing_else_is_left():
    got, _ = run_load({f"{ORIGIN}/.well-known/ii-app-metadata": doc({"name": "App", "logo": "/l.png"})})
    assert got == AppMetadata("App", None, None)
    got, _ = run_load({f"{ORIGIN}/.well-known/ii-app-metadata": doc({"logo": "/l.png"})})
    assert got is None


def test_load_gives_none_without_a_usable_document():
    assert run_load({}) == (None, [(f"{ORIGIN}/.well-known/ii-app-metadata", "application/json", 8192)])
    assert run_load({f"{ORIGIN}/.well-known/ii-app-metadata": doc({})})[0] is None
    assert run_load({f"{ORIGIN}/.well-known/ii-app-metadata": doc({"name": 1, "logo": "/l.png"})}) == (
        None, [(f"{ORIGIN}/.well-known/ii-app-metadata", "application/json", 8192)])  # the logo is never fetched
