"""The browser check screen: what this browser supports, and a passkey round trip."""

from __future__ import annotations

import json
from typing import Any

from app.ui.markup import EMPTY, Markup, card, html, join


def render_diagnostics(checks: dict[str, Any], result: dict[str, Any] | None = None,
                       error: str | None = None) -> Markup:
    rows = join(html("<tr><th>{}</th><td>{}</td></tr>", name, value) for name, value in checks.items())
    outcome = EMPTY
    if result is not None:
        outcome = html('<pre id="diagnosticsResult" data-role="diagnostics-result" data-status="ok">{}</pre>',
                       json.dumps(result, indent=2, sort_keys=True))
    elif error is not None:
        outcome = html('<p id="diagnosticsResult" class="error" data-role="diagnostics-result" '
                       'data-status="error" role="alert">{}</p>', error)
    return card("diagnostics", html(
        "<h2>Check this browser</h2>"
        '<table class="checks">{rows}</table>'
        "<p>Create a throw-away passkey and sign with it, to check that passkeys work here. "
        "Nothing is registered.</p>"
        '<div class="actions"><button id="diagnosticsRun" class="primary" data-action="diagnostics-run">'
        "Test a passkey</button>"
        '<a class="secondary button" href="#" data-action="home">Back</a></div>'
        "{outcome}", rows=rows, outcome=outcome))
