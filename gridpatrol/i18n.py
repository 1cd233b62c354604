"""The language of the command line: English (the source) or Simplified Chinese.

Every user-facing English string is a gettext message id; the Chinese text lives in
``gridpatrol/locale/zh_CN/LC_MESSAGES/gridpatrol.po`` (compiled ``.mo`` shipped beside it),
managed with Babel (``babel.cfg``, extraction methods in ``gridpatrol/locale/extract.py``).

Text reaches the operator in four ways, and each is translated at the CLI edge, never below it:

* CLI help: ``localise_app`` walks the finished click tree (``gridpatrol.locale.app``).
* Package errors: ``mission``/``telemetry``/``vision``/``sim`` cannot import this package; they
  raise English one-liners, mostly f-strings, which the extractor turns into templates and
  ``format_error`` matches (``gridpatrol.locale.catalog``).
* What commands print: routed through the catalog in Chinese mode (``gridpatrol.locale.app``).
* Pictures: ``pictures()`` and ``picture_district()`` (``gridpatrol.locale.pictures``).

The language is chosen once per process by ``activate`` (``--lang zh|en``, else ``LC_ALL``,
``LC_MESSAGES``, ``LANG`` = ``zh_CN*``); until then everything stays English.
"""

from gridpatrol.locale.app import localise_app
from gridpatrol.locale.catalog import (
    LANGUAGES,
    Translator,
    _,
    activate,
    current,
    format_error,
    interrupted_message,
    language_from,
    translate_output,
    translate_text,
)
from gridpatrol.locale.names import localise_district
from gridpatrol.locale.pictures import cjk_font_file, picture_district, picture_language, pictures

__all__ = [
    "LANGUAGES",
    "Translator",
    "language_from",
    "activate",
    "current",
    "_",
    "translate_text",
    "translate_output",
    "format_error",
    "interrupted_message",
    "localise_app",
    "localise_district",
    "cjk_font_file",
    "picture_language",
    "picture_district",
    "pictures",
]
