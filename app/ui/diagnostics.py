"""The browser check screen: what this browser supports, and a passkey round trip."""

from __future__ import annotations

import json
from typing import Any

from app.ui.markup import card, text


def render_diagnostics(checks: dict[str, Any], result: dict[str, Any] | None = None,
                       error: str | None = None) -> str:
    rows = "".join(f"<tr><th>{text(name)}</th><td>{text(value)}</td></tr>"
                   for name, value in checks.items())
    outcome = ""
    if result is not None:
        outcome = (f'<pre id="diagnosticsResult" data-role="diagnostics-result" data-status="ok">'
                   f"{text(json.dumps(result, indent=2, sort_keys=True))}</pre>")
    elif error is not None:
        outcome = (f'<p id="diagnosticsResult" class="error" data-role="diagnostics-result" '
                   f'data-status="error" role="alert">{text(error)}</p>')
    return card("diagnostics", (
        "<h2>Check this browser</h2>"
        f'<table class="checks">{rows}</table>'
        "<p>Create a throw-away passkey and sign with it, to check that passkeys work here. "
        "Nothing is registered.</p>"
        '<div class="actions"><button id="diagnosticsRun" class="primary" data-action="diagnostics-run">'
        "Test a passkey</button>"
        '<a class="secondary button" href="#" data-action="home">Back</a></div>'
        f"{outcome}"
    ))
