"""``gridpatrol patrol run``: fly a planned day of patrols (``centre.runner``).

Wiring only: the schedule and district in, one link per ``--vehicle``, the broker, the state file;
the runner does the work and this prints one line per sortie as it ends, and a progress line now
and then. Bad input is refused before any vehicle is touched: a missing schedule, a drone without
``--vehicle``, a bad URL, an unreachable broker, ``--confirm ask`` without a terminal, or
``--confirm auto`` with a vehicle that is not a simulator.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from gridpatrol.commands.help import LocalisedCommand, LocalisedGroup
from gridpatrol.commands.options import (
    BatteryCells,
    BatteryMah,
    Ceiling,
    Climb,
    ConsumptionFrom,
    ConsumptionRate,
    Crs,
    Cruise,
    Descent,
    Endurance,
    FlightTimeout,
    GcsTimeout,
    ItemLimit,
    MqttCa,
    MqttCert,
    MqttKey,
    MqttPasswordFile,
    MqttUrl,
    ReadyTimeout,
    Reserve,
    SigningKey,
    Swap,
    TargetSystem,
    Timeout,
    mqtt_settings,
)
from gridpatrol.i18n import _, translate
from mission.limits import (
    CEILING_M,
    CLIMB_MPS,
    CRUISE_MPS,
    DESCENT_MPS,
    ENDURANCE_MIN,
    GCS_TIMEOUT_S,
    ITEM_LIMIT,
    RESERVE,
    SWAP_MIN,
)
from mission.text import N_

__all__ = ["register"]

patrol_app = typer.Typer(
    help=_("Fly planned patrols: the runner."), no_args_is_help=True, cls=LocalisedGroup
)


@patrol_app.command("run", cls=LocalisedCommand)
def run(
    schedule: Annotated[
        Path,
        typer.Argument(help=_("schedule.json from 'plan patrol' (its .plan files beside it).")),
    ],
    district: Annotated[Path, typer.Option("--district", help=_("District file the checks use."))],
    vehicle: Annotated[
        list[str], typer.Option("--vehicle", help=_("DRONE=URL, once per drone of the schedule."))
    ],
    mqtt: MqttUrl,
    state: Annotated[
        Path, typer.Option("--state", help=_("SQLite file the runner keeps its state in."))
    ] = Path("runner.sqlite"),
    confirm: Annotated[
        str, typer.Option("--confirm", help=_("Launch go: ask (terminal), centre (MQTT) or auto."))
    ] = "ask",
    i_understand_auto: Annotated[
        bool,
        typer.Option("--i-understand-auto", help=_("Allow --confirm auto on real vehicles.")),
    ] = False,
    start_now: Annotated[
        bool,
        typer.Option("--start-now", help=_("Shift the schedule: its first sortie is due now.")),
    ] = False,
    clock_rate: Annotated[
        float, typer.Option("--clock-rate", help=_("Run the schedule clock K times faster (SITL)."))
    ] = 1.0,
    limit: Annotated[
        int | None, typer.Option("--limit", help=_("Stop after N sorties have ended."), min=1)
    ] = None,
    check_alt_m: Annotated[
        float, typer.Option("--check-alt-m", help=_("Altitude of check-task sorties, m."))
    ] = 40.0,
    ready_timeout: ReadyTimeout = 90.0,
    flight_timeout: FlightTimeout = 3600.0,
    progress_every: Annotated[
        float, typer.Option("--progress-every", help=_("Seconds between progress lines."))
    ] = 30.0,
    ceiling_m: Ceiling = CEILING_M,
    endurance_min: Endurance = ENDURANCE_MIN,
    cruise: Cruise = CRUISE_MPS,
    climb: Climb = CLIMB_MPS,
    descent: Descent = DESCENT_MPS,
    swap_min: Swap = SWAP_MIN,
    item_limit: ItemLimit = ITEM_LIMIT,
    reserve: Reserve = RESERVE,
    gcs_timeout_s: GcsTimeout = GCS_TIMEOUT_S,
    battery_mah: BatteryMah = None,
    battery_cells: BatteryCells = 3,
    consumption_mah_per_min: ConsumptionRate = None,
    consumption_from: ConsumptionFrom = None,
    signing_key: SigningKey = None,
    timeout: Timeout = 30.0,
    target_system: TargetSystem = 1,
    crs: Crs = None,
    mqtt_ca: MqttCa = None,
    mqtt_cert: MqttCert = None,
    mqtt_key: MqttKey = None,
    mqtt_password_file: MqttPasswordFile = None,
) -> None:
    """Fly each sortie of the schedule at its time on its drone; re-plan after trouble; take
    check tasks from the centre. Exits 0 only when every sortie it started landed.

    Give the flight-model options 'plan patrol' was given: re-plans and check tasks use them."""
    from centre.page.labels import PAGE_LABELS
    from centre.runner.broker import RunnerBroker, runner_client_id
    from centre.runner.clock import ScheduleClock
    from centre.runner.confirm import make_gate
    from centre.runner.errors import RunnerError
    from centre.runner.runner import PatrolRunner, RunnerConfig
    from centre.runner.schedule_file import load_schedule
    from centre.runner.store import StateStore
    from centre.runner.vehicles import DroneOptions, MavlinkDrone, parse_vehicle_args
    from gridpatrol.commands.flight import district_option, sortie_plan_option
    from gridpatrol.commands.plan import flight_model_option
    from mission.sortie import check_altitude
    from vehicle.link import read_signing_key

    check_altitude(check_alt_m, ceiling_m)  # before any vehicle or broker, not at the first task
    urls = parse_vehicle_args(vehicle)
    loaded = load_schedule(schedule, set(urls))[0]
    district_shapes = district_option(district, crs)
    gate = make_gate(confirm, ask=lambda question: input(translate(question)))
    model = flight_model_option(endurance_min, reserve, cruise, climb, descent, swap_min)
    plan = sortie_plan_option(consumption_mah_per_min, consumption_from, ceiling_m, reserve,
                        gcs_timeout_s, battery_mah, battery_cells)  # fmt: skip
    settings = mqtt_settings(mqtt, ca=mqtt_ca, cert=mqtt_cert, key=mqtt_key,
                             password_file=mqtt_password_file)  # fmt: skip
    store = StateStore(state)
    clock = store.clock()
    if clock is None:
        clock = ScheduleClock.for_schedule(loaded, time.time(), start_now=start_now,
                                           rate=clock_rate)  # fmt: skip
        store.save_clock(clock)
    elif clock.rate != clock_rate:
        raise RunnerError(
            N_(
                "{state} was started with --clock-rate {rate:g}; restart with that rate "
                "(the schedule clock continues) or give a new --state",
                state=state,
                rate=clock.rate,
            )
        )
    options = DroneOptions(
        district=district_shapes, plan=plan, item_limit=item_limit,
        signing_key=read_signing_key(signing_key) if signing_key else None,
        target_system=target_system, timeout_s=timeout, ready_timeout_s=ready_timeout,
        flight_timeout_s=flight_timeout,
    )  # fmt: skip
    broker = RunnerBroker(settings, client_id=runner_client_id(state)).start()
    with contextlib.ExitStack() as stack:
        stack.callback(broker.stop)
        drones: dict[str, Any] = {}
        for name, url in urls.items():
            drones[name] = MavlinkDrone(name, url, options)
            stack.callback(drones[name].close)
        if confirm == "auto" and not i_understand_auto:
            real = [name for name, d in drones.items() if not d.is_simulator()]
            if real:
                raise RunnerError(
                    N_(
                        "--confirm auto launches without a person, and {drones} is not a "
                        "simulator; use --confirm ask or centre (or --i-understand-auto)",
                        drones=", ".join(real),
                    )
                )
        config = RunnerConfig(district=district_shapes, flight_model=model,
                              ceiling_m=ceiling_m, check_alt_m=check_alt_m, limit=limit,
                              progress_every_s=progress_every)  # fmt: skip
        runner = PatrolRunner(config, schedule, loaded, store, broker, clock, drones, gate,
                              say=lambda line: typer.echo(translate(line)))  # fmt: skip
        typer.echo(
            _(
                "patrol runner: {n} sorties, drones {drones}, schedule at {now_min:.1f} min, "
                "clock x{rate:g}, state {state}",
                n=len(loaded.sorties),
                drones=", ".join(sorted(urls)),
                now_min=clock.now_s(time.time()) / 60,
                rate=clock.rate,
                state=state,
            )
        )
        summary = runner.run()
    counts: dict[str, int] = {}
    for record in summary.ended.values():
        counts[record.state] = counts.get(record.state, 0) + 1
    shown = ", ".join(
        _("{n} {state}", n=n, state=PAGE_LABELS.get(f"state.{s}", s))
        for s, n in sorted(counts.items())
    ) or _("no sortie ended")
    typer.echo(
        _(
            "patrol runner done: {sorties}; {replans} re-plans; {missed} revisit limits missed "
            "as flown; {refused} messages refused; broker: {dropped} dropped, {unacknowledged} "
            "unacknowledged, {inbox_overflow} incoming lost to a full inbox",
            sorties=shown,
            replans=summary.replans,
            missed=summary.missed,
            refused=summary.refused,
            dropped=broker.counts["dropped"],
            unacknowledged=broker.counts["unacknowledged"],
            inbox_overflow=broker.counts["inbox_overflow"],
        )
    )
    if not summary.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the ``patrol`` group (``patrol run``) to the CLI."""
    app.add_typer(patrol_app, name="patrol")
