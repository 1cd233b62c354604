"""The ``gridpatrol`` command line.

Each area's commands live in ``gridpatrol/commands/<area>.py`` and add themselves through
``register(app)``. This is the only place that catches the packages' errors: they are printed as
one line, in the operator's language, and the process exits 2, never with a traceback.
"""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from typing import Annotated

import typer

from centre.errors import CentreError
from gridpatrol import i18n
from gridpatrol.i18n import _
from mission.errors import MissionError
from sim.errors import SimError
from telemetry.errors import TelemetryError
from telemetry.mqtt import redact
from vehicle.errors import VehicleError
from vision.errors import VisionError

__all__ = ["build_app", "main"]

PACKAGE_ERRORS = (MissionError, VehicleError, TelemetryError, VisionError, CentreError, SimError)


class Lang(StrEnum):
    en = "en"
    zh = "zh"


def build_app() -> typer.Typer:
    """The typer app in the active language.

    The command modules are imported here, after ``i18n.activate``: their help texts are
    ``_()`` calls evaluated where they are defined.
    """
    from gridpatrol.commands import ALL_COMMAND_MODULES
    from gridpatrol.commands.help import LocalisedGroup, localise_typer_texts

    localise_typer_texts()
    app = typer.Typer(
        name="gridpatrol",
        help=_("Plan, check, upload and watch drone patrols over a city district."),
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        cls=LocalisedGroup,
    )

    def root(
        lang: Annotated[
            Lang | None,
            typer.Option(
                "--lang",
                help=_(
                    "Language of messages and help: en or zh (default: from "
                    "LC_ALL/LC_MESSAGES/LANG)."
                ),
            ),
        ] = None,
    ) -> None:
        pass  # --lang is shown here; main() has already chosen the language from it

    app.callback()(root)
    for module in ALL_COMMAND_MODULES:
        module.register(app)
    return app


class RedactingFilter(logging.Filter):
    """Passes every log record through ``redact``, so no log line shows a URL's password."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        return True


def _redact_logs() -> None:
    """Unconfigured logging prints warnings through ``logging.lastResort``; filter it there, and
    on any handler a caller configured, so the output stays as it was, only redacted."""
    handlers = [logging.lastResort, *logging.getLogger().handlers]
    for handler in handlers:
        if handler is not None and not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def main() -> None:
    """Console-script entry point: run the app and turn package errors into one line, exit 2."""
    _redact_logs()
    i18n.activate()
    try:
        build_app()(prog_name="gridpatrol")
    except PACKAGE_ERRORS as exc:
        print(redact(i18n.format_error(exc)), file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print(_("interrupted"), file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
