"""Placeholder: this area's commands are being written."""

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""
