"""The language of the command line: English (the source) or Simplified Chinese, by plain gettext.

Message ids are English templates with named placeholders (``wrote {out}: {n} cells``); the
Chinese lives in ``gridpatrol/locale/zh_CN/LC_MESSAGES/gridpatrol.po`` (compiled ``.mo`` beside
it), extracted with ``pybabel extract`` (keywords ``_`` and ``N_``, see ``babel.cfg``).
The packages below the CLI raise and return ``mission.text.Msg`` objects (``N_``), English as
strings; the CLI translates them by id here. Commands call ``_()`` where they print, and help
texts are ``_()`` where they are defined, so the language is chosen (``activate``) before the
command modules are imported.
"""

from __future__ import annotations

import functools
import gettext
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from mission.text import Msg, render

__all__ = [
    "LANGUAGES",
    "language_from",
    "activate",
    "language",
    "catalog",
    "_",
    "translate",
    "format_error",
]

LANGUAGES = ("en", "zh")
DOMAIN = "gridpatrol"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
_ZH_LOCALE = re.compile(r"^zh([_-](cn|sg|hans)([._@-].*)?|\.[^@]*)?$", re.IGNORECASE)


def language_from(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """``--lang`` from the command line wins; else the POSIX message locale decides."""
    args = list(argv[: argv.index("--")] if "--" in argv else argv)
    for i, arg in enumerate(args):
        value = (args[i + 1 : i + 2] or [""])[0] if arg == "--lang" else arg.partition("=")[2]
        known = value.lower() == "en" or _ZH_LOCALE.match(value)
        if arg.startswith("--lang") and known:
            return "en" if value.lower() == "en" else "zh"
    value = next((environ[v] for v in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(v)), "")
    return "zh" if _ZH_LOCALE.match(value) else "en"


@functools.cache
def catalog(lang: str) -> Callable[[str], str]:
    """The gettext lookup of one language (English: the id itself)."""
    if lang == "en":
        return gettext.NullTranslations().gettext
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=["zh_CN"], fallback=True).gettext


_active = "en"


def activate(lang: str | None = None, argv: Sequence[str] | None = None) -> str:
    """Choose the process's language (``main`` does it first, before building the app)."""
    global _active
    if lang is None:
        lang = language_from(sys.argv[1:] if argv is None else argv, os.environ)
    catalog(lang)
    _active = lang
    return lang


def language() -> str:
    """The active language: ``"en"`` or ``"zh"``."""
    return _active


def translate(message: object, lang: str | None = None) -> str:
    """A ``Msg`` (or an error carrying one) in the active language; anything else as it is."""
    return render(message, catalog(lang or _active))


def _(message: str, /, **values: object) -> str:
    """The active language's text for a message id, with ``values`` filled in.

    Values that are messages are translated too; ``_(msg)`` of a ``Msg`` translates it whole.
    Without values the text is only looked up, so an id without values has no ``{{``.
    """
    if isinstance(message, Msg):
        return translate(message)
    if not values:
        return catalog(_active)(message)
    return translate(Msg(message, values))


def format_error(exc: BaseException) -> str:
    """The one line the CLI prints for a package error, in the active language."""
    violations = getattr(exc, "violations", None)
    if violations:
        sep = "; " if _active == "en" else "；"
        message = sep.join(translate(v) for v in violations)
    else:
        message = translate(exc)
    return _("error: {message}", message=message)
