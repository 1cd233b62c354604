"""Run ``gridpatrol ARGS...`` in-process through ``gridpatrol.cli.main``, as a user would.

Going through ``main()`` (not typer's runner on ``app``) keeps the tests on the real error
boundary and language handling: a package error becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from typer.testing import CliRunner

__all__ = ["CliRun", "run_cli"]


@dataclass(frozen=True)
class CliRun:
    """What the user saw: the exit status, stdout, stderr, and both interleaved as ``output``."""

    exit_code: int
    stdout: str
    stderr: str
    output: str


def run_cli(
    args: Sequence[object], input: str | None = None, env: Mapping[str, str | None] | None = None
) -> CliRun:
    """Run ``gridpatrol`` with ``args`` (paths become strings) and capture what it printed."""
    runner = CliRunner()
    with runner.isolation(input=input, env=env) as (out, err, mixed):
        from gridpatrol.cli import main

        argv = sys.argv
        sys.argv = ["gridpatrol", *map(str, args)]
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            sys.argv = argv
            sys.stdout.flush()
            sys.stderr.flush()
        streams = [s.getvalue().decode("utf-8", "replace") for s in (out, err, mixed)]
    return CliRun(code, *streams)
