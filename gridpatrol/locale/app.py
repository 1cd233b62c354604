"""The command line in the active language: help, ``--lang``, and what the commands print.

Typer evaluates help strings when the command modules are imported, so rather than wrapping
them, ``localise_app`` walks the finished click tree and swaps each help text for its
translation. The commands print English; in Chinese mode their ``typer.echo``, rich
``Console.print`` (tables) and progress descriptions go through the catalog.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from gridpatrol.locale.catalog import _, current, translate_output, translate_text

__all__ = ["localise_app", "HELP_OPTION", "USAGE", "TYPER_TEXTS"]


def localise_app(app: typer.Typer) -> Any:
    """The typer app as a click command, with ``--lang`` and help in the active language.

    Call after every command module has registered; run the result instead of ``app()``.
    """
    command = typer.main.get_command(app)
    command.params.append(_lang_option())
    if not current().is_english:
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
TYPER_TEXTS = {
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commands",
    "ERRORS_PANEL_TITLE": "Error",
    "ABORTED_TEXT": "Aborted.",
    "DEFAULT_STRING": "[default: {}]",
    "REQUIRED_LONG_STRING": "[required]",
    "RICH_HELP": "Try [blue]'{command_path} {help_option}'[/] for help.",
}


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

    for attr, english in TYPER_TEXTS.items():
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
