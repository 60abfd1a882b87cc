"""Markup escapes by default: every value a screen shows is escaped unless it is `Markup`."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
import inspect
import pkgutil
import typing

import pytest

import app.ui
from app.canister.devices import AnchorInfo, Device
from app.protocol.app_metadata import AppMetadata
from app.ui.markup import Markup, card, escape, html, join

EVIL = "<b>\"'&"
ESCAPED = "&lt;b&gt;&quot;&#x27;&amp;"
NOW = 1_800_000_000 * 10**9


def evil_device(n: int, **fields) -> Device:
    return Device(pubkey=bytes([n]) * 44, alias=f"{EVIL}{n}", credential_id=bytes([n]) * 16, **fields)


INFO = AnchorInfo(10000, (evil_device(1), evil_device(2, purpose="recovery", key_type="seed_phrase"),
                          evil_device(3, purpose="recovery", key_type="cross_platform")), None, name=EVIL)

# A value for each parameter type a screen takes: every string is the hostile one.
VALUES = {
    str: EVIL, typing.Optional[str]: EVIL, int: 10000, typing.Optional[int]: 10000, bool: False,
    typing.Optional[bytes]: None, Device: evil_device(1), AnchorInfo: INFO, Markup: escape(EVIL),
    typing.Sequence[str]: [EVIL] * 24, typing.Sequence[int]: [0, 5], tuple[int, ...]: (10000, 10001),
    dict[str, typing.Any]: {EVIL: EVIL}, typing.Optional[dict[str, typing.Any]]: {EVIL: EVIL},
    typing.Optional[AppMetadata]: AppMetadata(EVIL, EVIL, "data:image/png;base64," + EVIL),
    typing.Optional[dict[int, str]]: {10000: EVIL, 0: EVIL}, typing.Optional[typing.Sequence[int]]: (10000,),
    list[tuple[str, str, bool]]: [(EVIL, EVIL, True), ("7", EVIL, False)],
    typing.Sequence[tuple[str, str]]: [(EVIL, EVIL)] * 2, typing.Sequence[bool]: [True, False],
}
# Parameters whose hostile value is refused rather than shown (so not found escaped either).
NOT_SHOWN = {("render_captcha", "png_base64")}


def render_functions():
    for info in pkgutil.iter_modules(app.ui.__path__):
        module = importlib.import_module(f"app.ui.{info.name}")
        for name, function in vars(module).items():
            if name.startswith("render_") and inspect.isfunction(function) and function.__module__ == module.__name__:
                yield pytest.param(function, id=f"{info.name}.{name}")


def arguments(function) -> tuple[list, dict]:
    hints = typing.get_type_hints(function)
    args, kwargs = [], {}
    for parameter in inspect.signature(function).parameters.values():
        hint = hints[parameter.name]
        if hint not in VALUES:
            raise AssertionError(f"{function.__name__}({parameter.name}: {hint}): add a hostile value to VALUES")
        value = VALUES[hint]
        if parameter.name.endswith("_ns"):
            value = NOW
        if parameter.kind is parameter.KEYWORD_ONLY:
            kwargs[parameter.name] = value
        else:
            args.append(value)
    return args, kwargs


@pytest.mark.parametrize("function", list(render_functions()))
def test_every_screen_escapes_what_it_shows(function):
    args, kwargs = arguments(function)
    markup = function(*args, **kwargs)
    assert isinstance(markup, Markup)
    assert "<b>" not in markup and "\"'&" not in markup
    shows_text = any(v is not None and not isinstance(v, (int, bool)) for v in [*args, *kwargs.values()])
    all_refused = all((function.__name__, p) in NOT_SHOWN for p in inspect.signature(function).parameters)
    if shows_text and not all_refused:
        assert ESCAPED in markup or "&lt;b&gt;" in markup


def test_the_captcha_image_is_never_anything_but_base64():
    from app.ui.auth import render_captcha

    assert 'src=""' in render_captcha(EVIL) and 'src="data:image/png;base64,iVBORw=="' in render_captcha("iVBORw==")


def test_html_escapes_values_but_not_markup():
    assert html("<p>{}</p>", EVIL) == f"<p>{ESCAPED}</p>"
    assert html("<p>{x}</p>", x=Markup("<i>ok</i>")) == "<p><i>ok</i></p>"
    assert html("<p>{:03d}</p>", 7) == "<p>007</p>"
    assert isinstance(html("x"), Markup)


def test_concatenation_and_join_escape_plain_strings():
    assert Markup("<br>") + EVIL == "<br>" + ESCAPED
    assert EVIL + Markup("<br>") == ESCAPED + "<br>"
    assert join([Markup("<i>"), EVIL]) == "<i>" + ESCAPED
    assert escape(Markup("<i>")) == "<i>" and escape(5) == "5"


def test_a_card_shows_a_plain_string_as_text():
    assert ESCAPED in card("p", EVIL) and "<b>" not in card("p", EVIL)
    assert "<i>x</i>" in card("p", Markup("<i>x</i>"))
    assert 'data-page="&lt;' in card("<", Markup())


def test_no_f_string_builds_html_anywhere_in_app():
    """HTML comes from `html(...)` templates only: an f-string with a tag in it would bypass escaping."""
    root = Path(app.ui.__file__).parents[1]
    tag = re.compile(r"<[a-zA-Z/]")
    found = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.JoinedStr) and any(
                    isinstance(v, ast.Constant) and tag.search(str(v.value)) for v in node.values):
                found.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    assert found == []
