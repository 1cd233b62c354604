"""Pictures in the active language: a CJK font, translated texts, Chinese names.

The drawing code in ``mission/formats`` stays English and language-free; the CLI wraps the call
that writes a picture in ``pictures()`` and passes ``picture_district(district)``.
"""

from __future__ import annotations

import functools
import glob
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gridpatrol.locale.catalog import _, current, translate_output
from gridpatrol.locale.names import localise_district

__all__ = ["CJK_FONT_GLOBS", "cjk_font_file", "picture_language", "picture_district", "pictures"]


def picture_district(district: Any) -> Any:
    """The district as a picture shows it: ``name_zh`` names only if Chinese can be drawn."""
    return localise_district(district) if picture_language() == "zh" else district


CJK_FONT_GLOBS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK*-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK*.ttc",
    "/usr/share/fonts/**/NotoSansCJK*.tt[cf]",
    "/usr/share/fonts/**/NotoSans*CJK*.otf",
)


@functools.cache
def cjk_font_file() -> Path | None:
    """Debian's ``fonts-noto-cjk`` face, found by path so a stale matplotlib cache can't hide it."""
    for pattern in CJK_FONT_GLOBS:
        found = sorted(glob.glob(pattern, recursive=True))
        if found:
            return Path(found[0])
    return None


@functools.cache
def _warn_no_font(warn: Callable[[str], None]) -> None:
    warn(_("warning: no CJK font found (install fonts-noto-cjk); pictures use English labels"))


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def picture_language(warn: Callable[[str], None] = _stderr) -> str:
    """``"zh"`` when Chinese is active and a CJK font exists; else ``"en"``, warning once."""
    if current().is_english:
        return "en"
    if cjk_font_file() is not None:
        return "zh"
    _warn_no_font(warn)
    return "en"


@contextmanager
def pictures() -> Iterator[None]:
    """Draw pictures in the active language: wrap the calls that write them.

    In Chinese (when a CJK font exists) the fonts get a CJK face after DejaVu Sans (glyph
    fallback, matplotlib >= 3.6: Latin text and digits stay in DejaVu Sans), and every text of a
    figure is translated through the catalog just before it is saved, so the drawing code in
    ``mission/formats`` stays English and language-free. Without a font: English, one warning.
    """
    if picture_language() != "zh":
        yield
        return
    import matplotlib
    from matplotlib import font_manager
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    font = str(cjk_font_file())
    font_manager.fontManager.addfont(font)
    families = ["DejaVu Sans", font_manager.FontProperties(fname=font).get_name()]
    savefig = Figure.savefig

    def localised_savefig(self: Any, *args: Any, **kwargs: Any) -> Any:
        for text in self.findobj(Text):
            if text.get_text():
                text.set_text(translate_output(text.get_text()))
                text.set_fontfamily(families)
        return savefig(self, *args, **kwargs)

    Figure.savefig = localised_savefig  # type: ignore[method-assign]
    try:
        with matplotlib.rc_context({"font.family": families}):
            yield
    finally:
        Figure.savefig = savefig  # type: ignore[method-assign]
