"""Subcommands of the CLI, one module per area; each exposes ``register(app)``."""

from gridpatrol.commands import (
    broker,
    centre,
    demo,
    district,
    flight,
    patrol,
    plan,
    serve,
    sitl,
    telemetry,
    vision,
)

ALL_COMMAND_MODULES = (
    district,
    plan,
    flight,
    sitl,
    patrol,
    telemetry,
    vision,
    centre,
    serve,
    broker,
    demo,
)
