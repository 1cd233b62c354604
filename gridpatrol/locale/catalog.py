"""The catalog and the process's active language.

``Translator`` holds one language: exact gettext lookups (message id = the English text), plus
template matching for messages made from f-strings below the CLI: the extractor turned
``f"cannot read {path}: {exc}"`` into the id ``cannot read {path}: {exc}``, so an English line is
matched against the ids and its values are put into the Chinese text. The CLI picks the language
once with ``activate``; everything else asks ``current()`` or the module-level helpers.
"""

from __future__ import annotations

import dataclasses
import functools
import gettext
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = [
    "LANGUAGES",
    "LOCALE_DIR",
    "Translator",
    "language_from",
    "activate",
    "current",
    "_",
    "translate_text",
    "translate_output",
    "format_error",
    "interrupted_message",
]

LANGUAGES = ("en", "zh")
DOMAIN = "gridpatrol"
LOCALE_DIR = Path(__file__).resolve().parent
_GETTEXT_LOCALE = {"zh": "zh_CN"}
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{[^{}]+\}")
_VALUE = r"(?:[^()\[\]{}]|\([^()]*\)|\[[^\[\]]*\]|\{[^{}]*\})*?"
"""What a placeholder matches: the shortest text, maybe empty (an English plural ``s``), whose
brackets balance (one level), so ``{'activity': 63, 'bloom': 24}`` is not split at its ``, ``."""
_WORDS = re.compile(r"[^\W\d_]{2}")
_ZH_LOCALE = re.compile(r"^zh([_-](cn|sg|hans)([._@-].*)?|\.[^@]*)?$", re.IGNORECASE)


def language_from(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """``--lang`` from the command line wins; else the POSIX message locale decides."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        value = None
        if arg == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
        if value is not None:
            if value.lower() == "en":
                return "en"
            if _ZH_LOCALE.match(value):
                return "zh"
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(var, "")
        if value:
            return "zh" if _ZH_LOCALE.match(value) else "en"
    return "en"


@dataclasses.dataclass(frozen=True)
class _Template:
    """A message id with ``{placeholders}``, compiled to match the English text it produces."""

    msgid: str
    msgstr: str
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    weight: int
    wordless: bool

    @classmethod
    def compile(cls, msgid: str, msgstr: str) -> _Template | None:
        parts, names, weight, last = [], [], 0, 0
        for m in _PLACEHOLDER.finditer(msgid):
            literal = msgid[last : m.start()]
            parts.append(re.escape(literal))
            weight += len(literal)
            token = m.group()
            if token in ("{{", "}}"):
                parts.append(re.escape(token[0]))
                weight += 1
            else:
                parts.append(f"(?P<p{len(names)}>{_VALUE})")
                names.append(token)
            last = m.end()
        if not names:
            return None
        parts.append(re.escape(msgid[last:]))
        weight += len(msgid) - last
        pattern = re.compile("".join(parts), re.DOTALL)
        wordless = not _WORDS.search(_PLACEHOLDER.sub("", msgid))
        return cls(msgid, msgstr, pattern, tuple(names), weight, wordless)

    def fill(self, text: str, translate: Callable[[str], str]) -> str | None:
        """The translation with this text's values, themselves translated where they can be."""
        m = self.pattern.fullmatch(text)
        if m is None:
            return None
        found = [m.group(f"p{i}") for i in range(len(self.names))]
        values = dict(zip(self.names, map(translate, found), strict=True))
        if self.wordless and list(values.values()) == found:
            return None  # "{where}: {problem}" says nothing itself: only worth it for its values

        def sub(t: re.Match[str]) -> str:
            token = t.group()
            if token in ("{{", "}}"):
                return token[0]
            return values.get(token, token)

        return _PLACEHOLDER.sub(sub, self.msgstr)


class Translator:
    """One language's catalog: exact message lookups plus template matching for errors."""

    def __init__(self, lang: str = "en", locale_dir: Path = LOCALE_DIR):
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
        self.lang = lang
        self._mo = locale_dir / _GETTEXT_LOCALE.get(lang, lang) / "LC_MESSAGES" / f"{DOMAIN}.mo"
        if lang == "en" or not self._mo.exists():
            self._gnu: gettext.NullTranslations = gettext.NullTranslations()
        else:
            with self._mo.open("rb") as fp:
                self._gnu = gettext.GNUTranslations(fp)

    @property
    def is_english(self) -> bool:
        return self.lang == "en"

    def gettext(self, message: str) -> str:
        return self._gnu.gettext(message)

    @functools.cached_property
    def _templates(self) -> list[_Template]:
        if self.is_english or not self._mo.exists():
            return []
        from babel.messages.mofile import read_mo

        with self._mo.open("rb") as fp:
            catalog = read_mo(fp)
        compiled = []
        for message in catalog:
            if isinstance(message.id, str) and message.id and message.string:
                t = _Template.compile(message.id, message.string)
                if t is not None:
                    compiled.append(t)
        return sorted(compiled, key=lambda t: -t.weight)

    def translate_text(self, text: str, _depth: int = 0) -> str:
        """``text`` in this language: an exact message, else a filled-in template, else as is.

        A template's values are translated too (an error quoting another error's message), three
        levels deep at most (a file name, an item label, the problem).
        """
        if self.is_english or not text:
            return text
        exact = self.gettext(text)
        if exact != text:
            return exact
        if _depth > 2:
            return text
        for template in self._templates:
            filled = template.fill(text, lambda v: self.translate_text(v, _depth + 1))
            if filled is not None:
                return filled
        return text


def N_(message: str) -> str:
    """Marks a message id for the extractor; returns it unchanged."""
    return message


VALUE_WORDS = (
    N_("mission"),
    N_("fence"),
    N_("rally"),
    N_("waypoint"),
    N_("orbit"),
    N_("leg"),
)
"""Words the packages put into messages as values (``the {label} needs 800 items``: mission
types, item kinds). They are in the catalog so that a template's values translate too."""

_active = Translator("en")


def activate(lang: str | None = None, argv: Sequence[str] | None = None) -> Translator:
    """Choose the process's language (the CLI calls this once, first thing in ``main``)."""
    global _active
    if lang is None:
        lang = language_from(sys.argv[1:] if argv is None else argv, os.environ)
    _active = Translator(lang)
    return _active


def current() -> Translator:
    return _active


def _(message: str) -> str:
    """The active language's text for an English message id."""
    return _active.gettext(message)


def translate_text(text: str) -> str:
    """The active language's text for an English message, also one built from a template."""
    return _active.translate_text(text)


def format_error(exc: BaseException) -> str:
    """The one line the CLI prints for a package error, in the active language."""
    violations = getattr(exc, "violations", None)
    if violations and not _active.is_english:
        message = "；".join(translate_text(v) for v in violations)
    else:
        message = translate_text(str(exc))
    return _("error: {message}").replace("{message}", message)


def interrupted_message() -> str:
    """What the CLI prints on Ctrl-C."""
    return _("interrupted")


def translate_output(text: str) -> str:
    """A line or block the commands print: whole, else line by line."""
    translated = translate_text(text)
    if translated == text and "\n" in text:
        translated = "\n".join(translate_text(line) for line in text.split("\n"))
    return translated
