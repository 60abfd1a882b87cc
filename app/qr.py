"""QR codes as inline SVG (pure). The encoder is the vendored pure-Python `segno`: the page loads
its wheel the first time it shows a code (`Env.load_qr`), not at start-up."""

from __future__ import annotations

from app.ui.markup import Markup, html

QUIET_ZONE = 4


def qr_svg(data: str, *, label: str = "QR code") -> Markup:
    """`data` as a QR code (error correction M): one `<path>` of dark modules on a white square."""
    import segno

    code = segno.make_qr(data, error="m", boost_error=False)
    size = code.symbol_size(border=QUIET_ZONE)[0]
    path = []
    for y, row in enumerate(code.matrix_iter(border=QUIET_ZONE)):
        for x, dark in enumerate(row):
            if dark:
                path.append(f"M{x} {y}h1v1h-1z")
    return html('<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" '
                'aria-label="{label}" shape-rendering="crispEdges">'
                '<rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{path}"/></svg>',
                size=size, label=label, path="".join(path))
