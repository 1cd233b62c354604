"""Help screens in the operator's language, with click-style usage lines.

Every command and group is built with these classes (``cls=``), so typer's own words (``Usage:``,
the help option, the panel titles) come from the catalog like the commands' help texts do.
The usage line names arguments as ``FILES...`` / ``MISSION_FILE`` (typer 0.29 writes
``{files}...``, which reads like a template placeholder).
"""

from __future__ import annotations

from typing import Any

from typer import rich_utils
from typer.core import TyperArgument, TyperCommand, TyperGroup

from gridpatrol.i18n import _

__all__ = ["LocalisedCommand", "LocalisedGroup", "localise_typer_texts"]


def localise_typer_texts() -> None:
    """Typer's panel titles and notes in the active language (its documented module settings)."""
    rich_utils.ARGUMENTS_PANEL_TITLE = _("Arguments")
    rich_utils.OPTIONS_PANEL_TITLE = _("Options")
    rich_utils.COMMANDS_PANEL_TITLE = _("Commands")
    rich_utils.ERRORS_PANEL_TITLE = _("Error")
    rich_utils.ABORTED_TEXT = _("Aborted.")
    rich_utils.REQUIRED_LONG_STRING = _("[required]")
    rich_utils.DEFAULT_STRING = _("[default: {value}]", value="{}")
    rich_utils.RICH_HELP = _(
        "Try [blue]'{command_path} {help_option}'[/] for help.",
        command_path="{command_path}",
        help_option="{help_option}",
    )


def _argument_metavar(arg: TyperArgument) -> str:
    name = arg.metavar or arg.name.upper()
    if arg.nargs != 1 and not arg.metavar:
        name += "..."
    return name if arg.required else f"[{name}]"


class _Localised:
    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []  # type: ignore[attr-defined]
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            if isinstance(param, TyperArgument):
                pieces.append(_argument_metavar(param))
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        if isinstance(self, TyperGroup):
            pieces.append(self.subcommand_metavar)
        return pieces

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=_("Usage: "))

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = _("Show this message and exit.")
        return option


class LocalisedCommand(_Localised, TyperCommand):
    """A typer command whose help screen speaks the active language."""


class LocalisedGroup(_Localised, TyperGroup):
    """A typer group whose help screen speaks the active language."""
