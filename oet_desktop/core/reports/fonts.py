"""The DejaVu TrueType fonts the PDFs embed (never the standard 14 PDF fonts), registered once."""

from __future__ import annotations

import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.paths import project_root

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
ITALIC = "DejaVuSans-Oblique"
FAMILY = "DejaVu"

_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf", ITALIC: "DejaVuSans-Oblique.ttf"}
_lock = threading.Lock()
_registered = False


def fonts_dir() -> Path:
    """The folder holding the bundled TTF files."""
    return project_root() / "resources" / "fonts"


def register_fonts() -> None:
    """Register the regular, bold and italic DejaVu fonts with reportlab (safe to call repeatedly).

    Raises :class:`UserFacingError` when a font file is missing or unreadable.
    """
    global _registered
    with _lock:
        if _registered:
            return
        folder = fonts_dir()
        for name, filename in _FILES.items():
            path = folder / filename
            if not path.is_file():
                raise UserFacingError(
                    f"The font file {path} that PDF reports need is missing.",
                    "Reinstall the app, or restore the resources/fonts folder.")
            try:
                pdfmetrics.registerFont(TTFont(name, str(path)))
            except (OSError, TTFError) as exc:
                raise UserFacingError(
                    f"The font file {path} that PDF reports need could not be read ({exc}).",
                    "Reinstall the app, or restore the resources/fonts folder.") from exc
        # Bold-italic is not bundled; bold stands in for it.
        pdfmetrics.registerFontFamily(FAMILY, normal=REGULAR, bold=BOLD, italic=ITALIC, boldItalic=BOLD)
        pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=ITALIC, boldItalic=BOLD)
        _registered = True
