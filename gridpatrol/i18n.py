"""The language of the command line: English (the source) or Simplified Chinese.

Every user-facing English string is a gettext message id; the Chinese text lives in the catalog
``gridpatrol/locale/zh_CN/LC_MESSAGES/gridpatrol.po`` (compiled ``.mo`` shipped beside it,
managed with Babel, see ``gridpatrol/locale/extract.py``).

Three kinds of text reach the operator and each is translated at the edge, never below it:

* CLI help: typer evaluates help strings when the command modules are imported, so instead of
  wrapping them, ``localise_app`` walks the finished click tree and swaps each help text for its
  translation (message id = the English help text).
* Package errors: ``mission``/``telemetry``/``vision``/``sim`` cannot import this package, so they
  raise plain English one-liners, usually f-strings. The extractor turns each such f-string into
  a template (``cannot read {path}: {exc}``); ``translate_text`` matches an English message
  against the templates, then fills the Chinese template with the same values.
* Output of the commands: ``_("...")`` / ``translate_text(...)`` from this module.

The language is chosen once per process by ``activate`` (``--lang zh|en``, else ``LC_ALL``,
``LC_MESSAGES``, ``LANG`` = ``zh_CN*``); until then everything stays English.
"""

from __future__ import annotations

import dataclasses
import functools
import gettext
import glob
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = [
    "LANGUAGES",
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
    "picture_language",
    "picture_district",
    "pictures",
]

LANGUAGES = ("en", "zh")
DOMAIN = "gridpatrol"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
_GETTEXT_LOCALE = {"zh": "zh_CN"}
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{[^{}]+\}")
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
                parts.append(f"(?P<p{len(names)}>.+?)")
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


def localise_app(app: typer.Typer) -> Any:
    """The typer app as a click command, with ``--lang`` and help in the active language.

    Call after every command module has registered; run the result instead of ``app()``.
    """
    command = typer.main.get_command(app)
    command.params.append(_lang_option())
    if not _active.is_english:
        _localise_typer_panels()
        _localise_command(command)
        _localise_output()
    return command


LANG_HELP = "Language of messages and help: en or zh (default: from LC_ALL/LC_MESSAGES/LANG)."


class _Lang(StrEnum):
    en = "en"
    zh = "zh"


def _lang_option() -> Any:
    """A ``--lang`` option for the root command; already acted on by ``activate``, so unbound."""
    probe = typer.Typer()

    @probe.command()
    def _probe(lang: Annotated[_Lang | None, typer.Option("--lang", help=LANG_HELP)] = None):
        """Carries the option only."""

    option = next(p for p in typer.main.get_command(probe).params if p.name == "lang")
    option.expose_value = False
    return option


USAGE = "Usage: "
HELP_OPTION = "Show this message and exit."
_TYPER_PANELS = {
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commands",
    "ERRORS_PANEL_TITLE": "Error",
    "ABORTED_TEXT": "Aborted.",
    "DEFAULT_STRING": "[default: {}]",
    "REQUIRED_LONG_STRING": "[required]",
    "RICH_HELP": "Try [blue]'{command_path} {help_option}'[/] for help.",
}


def translate_output(text: str) -> str:
    """A line or block the commands print: whole, else line by line."""
    translated = translate_text(text)
    if translated == text and "\n" in text:
        translated = "\n".join(translate_text(line) for line in text.split("\n"))
    return translated


def _localise_renderable(thing: Any) -> Any:
    from rich.table import Table

    if isinstance(thing, str):
        return translate_output(thing)
    if isinstance(thing, Table):
        if isinstance(thing.title, str):
            thing.title = translate_text(thing.title)
        for column in thing.columns:
            if isinstance(column.header, str):
                column.header = translate_text(column.header)
    return thing


def _localise_output() -> None:
    """Route what the commands print through the catalog, without touching the commands.

    The command modules print English with ``typer.echo``, rich ``Console.print`` (tables
    included) and rich progress tasks; their texts are extracted like error messages
    (``output_calls`` in ``babel.cfg``). Installed once, from ``localise_app`` in Chinese
    mode only; every wrapper asks the active translator, which passes English through.
    """
    from rich.console import Console
    from rich.progress import Progress

    if getattr(typer.echo, "_localised", False):
        return
    echo, console_print, add_task = typer.echo, Console.print, Progress.add_task

    def localised_echo(message: Any = None, *args: Any, **kwargs: Any) -> None:
        echo(translate_output(message) if isinstance(message, str) else message, *args, **kwargs)

    def localised_print(self: Any, *objects: Any, **kwargs: Any) -> None:
        console_print(self, *(_localise_renderable(o) for o in objects), **kwargs)

    def localised_add_task(self: Any, description: str, *args: Any, **kwargs: Any) -> Any:
        return add_task(self, translate_output(description), *args, **kwargs)

    localised_echo._localised = True  # type: ignore[attr-defined]
    typer.echo = localised_echo
    Console.print = localised_print  # type: ignore[method-assign]
    Progress.add_task = localised_add_task  # type: ignore[method-assign]


def _localise_typer_panels() -> None:
    from typer import rich_utils

    for attr, english in _TYPER_PANELS.items():
        setattr(rich_utils, attr, _(english))


def _localise_command(command: Any) -> None:
    for attr in ("help", "short_help", "epilog"):
        text = getattr(command, attr, None)
        if isinstance(text, str) and text:
            setattr(command, attr, _translate_help(text))
    for param in command.params:
        text = getattr(param, "help", None)
        if isinstance(text, str) and text:
            param.help = _translate_help(text)
    make_help_option = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = make_help_option(ctx)
        if option is not None and option.help:
            option.help = _(option.help)
        return option

    command.get_help_option = get_help_option
    make_usage = command.get_usage

    def get_usage(ctx: Any) -> str:
        usage = make_usage(ctx)
        return _(USAGE) + usage[len(USAGE) :] if usage.startswith(USAGE) else usage

    command.get_usage = get_usage
    for sub in getattr(command, "commands", {}).values():
        _localise_command(sub)


def _translate_help(text: str) -> str:
    """Help texts are looked up whole; typer may have re-indented a docstring, so also dedented."""
    translated = _(text)
    if translated == text:
        import inspect

        translated = _(inspect.cleandoc(text))
        if translated == inspect.cleandoc(text):
            return text
    return translated


def localise_district(district: Any) -> Any:
    """The district with ``name_zh`` shown in place of ``name`` when the language is Chinese."""
    if _active.is_english:
        return district

    def named(feature: Any) -> Any:
        name_zh = getattr(feature, "name_zh", None)
        if name_zh and hasattr(feature, "name"):
            return dataclasses.replace(feature, name=name_zh)
        if name_zh and hasattr(feature, "community"):
            return dataclasses.replace(feature, community=name_zh)
        return feature

    return dataclasses.replace(
        named(district),
        cells=tuple(named(c) for c in district.cells),
        key_areas=tuple(named(a) for a in district.key_areas),
        no_fly=tuple(named(z) for z in district.no_fly),
        launch_sites=tuple(named(s) for s in district.launch_sites),
        privacy_zones=tuple(named(p) for p in district.privacy_zones),
    )


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
    if _active.is_english:
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
