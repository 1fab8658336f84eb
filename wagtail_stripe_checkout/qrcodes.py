"""QR codes for buy links, as SVG text and PNG bytes (segno: pure Python, no
imaging library).

Pure: a URL in, an image out. Error correction is "M" (15 %, segno raises it
when the symbol has room to spare), with the standard quiet zone of four
modules, so a printed code still scans with a smudge or a bent corner.
"""

from __future__ import annotations

import io

import segno

# The quiet zone the QR standard asks for, in modules.
BORDER = 4
# Module size of the PNG download by default: a 1-2 cm print at 300 dpi and more.
DEFAULT_PNG_SCALE = 10
MAX_PNG_SCALE = 40


def _code(url: str) -> segno.QRCode:
    if not url:
        raise ValueError("a QR code needs a URL")
    return segno.make_qr(url, error="m", boost_error=True)


def svg(url: str, *, scale: int = 4, title: str = "") -> str:
    """The QR code of ``url`` as an SVG document (no XML declaration, so it can
    also be inlined in HTML). ``title`` becomes the SVG's accessible name."""
    out = io.BytesIO()
    _code(url).save(
        out,
        kind="svg",
        scale=max(1, int(scale)),
        border=BORDER,
        xmldecl=False,
        svgns=True,
        title=title or None,
        nl=False,
        svgclass="wsc-qr",
        lineclass=None,
    )
    return out.getvalue().decode("utf-8")


def png(url: str, scale: int = DEFAULT_PNG_SCALE) -> bytes:
    """The QR code of ``url`` as PNG bytes, ``scale`` pixels per module (1-40)."""
    out = io.BytesIO()
    _code(url).save(out, kind="png", scale=min(max(1, int(scale)), MAX_PNG_SCALE), border=BORDER)
    return out.getvalue()
