"""Subcommands of the CLI, one module per area; each exposes ``register(app)``."""

from gridpatrol.commands import (
    broker,
    centre,
    demo,
    district,
    flight,
    patrol,
    plan,
    telemetry,
    vision,
)

ALL_COMMAND_MODULES = (district, plan, flight, patrol, telemetry, vision, centre, broker, demo)
