"""Pictures in the active language: a CJK font, translated words, Chinese names.

The drawing code in ``mission/formats`` takes its words as messages and shows them through a
``tr`` function; the CLI writes a picture inside ``with pictures() as tr`` and passes ``tr`` and
``picture_district(district)``.
"""

from __future__ import annotations

import functools
import glob
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gridpatrol.i18n import _, language, translate
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


_stderr = functools.partial(print, file=sys.stderr)


def picture_language(warn: Callable[[str], None] = _stderr) -> str:
    """``"zh"`` when Chinese is active and a CJK font exists; else ``"en"``, warning once."""
    if language() == "en":
        return "en"
    if cjk_font_file() is not None:
        return "zh"
    _warn_no_font(warn)
    return "en"


@contextmanager
def pictures() -> Iterator[Callable[[object], str]]:
    """The ``tr`` that shows a picture's words, with fonts set for it while the block runs.

    In Chinese (when a CJK font exists) the fonts get a CJK face after DejaVu Sans (glyph
    fallback, matplotlib >= 3.6: Latin text and digits stay in DejaVu Sans) and ``tr``
    translates. Without a font: English words, one warning.
    """
    if picture_language() != "zh":
        yield str
        return
    import matplotlib
    from matplotlib import font_manager

    font = str(cjk_font_file())
    font_manager.fontManager.addfont(font)
    families = ["DejaVu Sans", font_manager.FontProperties(fname=font).get_name()]
    with matplotlib.rc_context({"font.family": families}):
        yield lambda message: translate(message, "zh")
