"""An invite link drawn as a QR code (SVG), so a phone at the touchline can scan it."""

from __future__ import annotations

import io

import segno


def invite_qr_svg(link: str) -> bytes:
    """``link`` as a standalone SVG document: black modules on white with the quiet zone
    scanners need, sized by the page that shows it (``viewBox`` set, no fixed size)."""
    code = segno.make(link, error="m")
    out = io.BytesIO()
    code.save(
        out, kind="svg", xmldecl=False, svgclass=None, lineclass=None, light="#fff", omitsize=True
    )
    return out.getvalue()
