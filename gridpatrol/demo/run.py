"""``gridpatrol demo``: one patrol end to end, wired from the packages' public parts.

Broker (mosquitto, else an embedded one) -> two hours of randomised patrols planned -> the first
sortie flown (ArduPilot SITL if ``ARDUPILOT_SITL`` is set, else a recorded SITL flight replayed)
-> telemetry bridge into MQTT -> synthetic footage along the flight through the vision pipeline ->
alerts to the broker -> the command centre's view of it live, and a report page at the end.
Nothing here decides anything about patrols, telemetry or vision; it only connects them.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gridpatrol.demo.broker_choice import BrokerChoice, demo_broker
from gridpatrol.demo.camera import film_and_flag, slowed
from gridpatrol.demo.errors import DemoError
from gridpatrol.demo.flight import BridgeRun, SitlSortie, bridge_options
from gridpatrol.demo.recording import SITL_BATTERY_MAH, SITL_SPEEDUP, demo_flight, plan_patrol
from gridpatrol.demo.report import link_stats, write_report
from gridpatrol.demo.screen import LineScreen, LiveScreen, Screen
from gridpatrol.demo.view import CentreView
from gridpatrol.i18n import _, language
from mission.flight_model import FlightModel
from mission.formats.district_geojson import load_district
from mission.model import District, Mission
from mission.schedule import Schedule, Sortie, area_stats
from mission.text import N_, Msg
from sim.sitl import gcs_timeout_at
from telemetry.mqtt import MqttSettings
from telemetry.publish import Publisher
from vehicle.endurance import Consumption
from vehicle.sortie_flight import SortiePlan
from vision.pose import read_tlog_track

__all__ = ["DemoOptions", "DemoResult", "DemoError", "run_demo", "EXAMPLE", "SITL_SPEEDUP"]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "xiyuan"
SITL_INSTANCE = 5
FOOTAGE_S = 40.0


@dataclass(frozen=True)
class DemoOptions:
    out: Path = Path("demo-out")
    seed: int | None = None
    dashboard: bool = True
    district: Path = EXAMPLE / "district.geojson"
    recording: Path = EXAMPLE / "recorded-flight.tlog"
    speed: float = 10.0
    mqtt: str | MqttSettings | None = None
    broker: BrokerChoice = "auto"
    sitl: Path | None = None
    hours: float = 2.0
    drones: int = 2


@dataclass
class DemoResult:
    report: Path
    alerts: int
    cells: list[int]
    track_points: int
    mode: str
    seconds: float
    vision: Any = None
    bridge: dict[str, Any] = field(default_factory=dict)


def _points(mission: Mission) -> list[tuple[float, float]]:
    return [(i.lon, i.lat) for i in mission.items if (i.lat, i.lon) != (0.0, 0.0)]


def _summary(schedule: Schedule) -> tuple[list[str], list[list[Any]]]:
    columns = [
        N_("area"),
        N_("limit (min)"),
        N_("visits"),
        N_("worst gap (min)"),
        N_("mean gap (min)"),
        N_("entropy (b)"),
    ]
    rows = [
        [a.area, round(a.limit_min), a.visits, round(a.worst_min, 1)]
        + [None if math.isnan(a.mean_min) else round(a.mean_min, 1), round(a.entropy_bits, 2)]
        for a in area_stats(schedule)
    ]
    return columns, rows


def _screen(opts: DemoOptions, view: CentreView, echo: Callable[[str], None]) -> Screen:
    from rich.console import Console

    console = Console()
    if opts.dashboard and console.is_terminal:
        return LiveScreen(view, console)
    return LineScreen(view, echo)


def _wait(done: Callable[[], bool], screen: Screen, timeout: float | None = None) -> bool:
    deadline = None if timeout is None else time.monotonic() + timeout
    while not done():
        if deadline is not None and time.monotonic() > deadline:
            return False
        screen.refresh()
        time.sleep(0.25)
    screen.refresh()
    return True


def run_demo(opts: DemoOptions, echo: Callable[[str], None]) -> DemoResult:
    """Run everything; ``echo`` prints a line (the command passes ``typer.echo``)."""
    started = time.monotonic()
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    seed = opts.seed if opts.seed is not None else int.from_bytes(os.urandom(4), "big")
    district = load_district(opts.district)
    if not opts.recording.is_file():
        raise DemoError(
            N_(
                "recorded flight {recording} is missing (the demo replays it, and learns the "
                "pack's consumption from it); restore it from git",
                recording=opts.recording,
            )
        )
    say = echo
    flight = demo_flight(opts, say)
    consumption = Consumption(flight.consumption_mah_per_min, f"learnt from {opts.recording.name}")
    pack = SortiePlan(consumption=consumption, reserve=flight.reserve, battery_mah=flight.pack_mah,
                      gcs_timeout_s=gcs_timeout_at(SITL_SPEEDUP))  # fmt: skip
    with (
        demo_broker(opts.mqtt, opts.broker, say) as url,
        tempfile.TemporaryDirectory(prefix="gp-demo-") as work,
    ):
        work_dir = Path(work)
        schedule, sortie, mission = plan_patrol(opts.district, out / "plan", flight, say)
        say(
            _(
                "first sortie {id}: {drone} from {launch_site}, {n_items} items, {end_s:.0f} min",
                id=sortie.id,
                drone=sortie.drone,
                launch_site=sortie.launch_site,
                n_items=len(mission.items),
                end_s=(sortie.end_s - sortie.start_s) / 60,
            )
        )
        (out / "alerts.sqlite").unlink(missing_ok=True)
        view = CentreView(url, out / "alerts.sqlite").start()
        screen = _screen(opts, view, echo)
        try:
            flown = _fly_and_film(
                opts,
                district,
                sortie,
                mission,
                url,
                work_dir,
                seed,
                view,
                screen,
                (pack, flight.model),
            )
            screen.say(_(flown["mode"]))
            _wait(lambda: len(view.alerts()) >= flown["published"], screen, timeout=10.0)
        finally:
            screen.close()
            view.stop()
        alerts = view.alerts()
        tracks = view.tracks()
        stats = link_stats(view, flown, len(alerts))
        report = write_report(
            out / "report.html",
            district,
            tracks=tracks,
            planned={f"{sortie.id} {sortie.drone} (planned)": _points(mission)},
            alerts=alerts,
            summary=_summary(schedule),
            link_stats=stats,
            lang=language(),
        )
        view.store.close()
    cells = sorted({a.cell for a in alerts})
    result = DemoResult(
        report=report,
        alerts=len(alerts),
        cells=cells,
        track_points=sum(len(t) for t in tracks.values()),
        mode=flown["mode"],
        seconds=time.monotonic() - started,
        vision=flown["vision"],
        bridge=flown["bridge"],
    )
    say(
        _(
            "{alerts} alerts in cells {cells}; {track_points} track points; report {report} "
            "({seconds:.0f} s)",
            alerts=result.alerts,
            cells=", ".join(map(str, cells)) or "-",
            track_points=result.track_points,
            report=report,
            seconds=result.seconds,
        )
    )
    return result


def _fly_and_film(
    opts: DemoOptions,
    district: District,
    sortie: Sortie,
    mission: Mission,
    url: str | MqttSettings,
    work: Path,
    seed: int,
    view: CentreView,
    screen: Screen,
    pack: tuple[SortiePlan, FlightModel],
) -> dict[str, Any]:
    say = screen.say
    vehicle = sortie.drone
    publisher = Publisher(
        MqttSettings.resolve(url, client_id=f"gp-demo-vision-{uuid.uuid4().hex[:8]}"),
        work / "vision-spool.sqlite",
    ).start()
    published: list[str] = []
    flag = dict(
        publisher=publisher,
        vehicle=vehicle,
        evidence_dir=Path(opts.out) / "evidence",
        seed=seed,
        seconds=FOOTAGE_S,
        on_alert=lambda a: published.append(a.id),
    )
    try:
        if opts.sitl is None:
            mode, bridge, stats = _replay(opts, district, sortie, url, work, view, screen, flag)
        else:
            mode, bridge, stats = _sitl(
                opts, district, sortie, mission, url, work, view, screen, flag, pack
            )
        say(
            _(
                "vision: {frames} frames, detections {detections}, {alerts} alerts ({updates} "
                "updates)",
                frames=stats.frames,
                detections=stats.detections,
                alerts=stats.alerts,
                updates=stats.updates,
            )
        )
        if not publisher.flush(15.0):
            say(
                _(
                    "vision: alerts not yet acknowledged by the broker: {last_error}",
                    last_error=publisher.last_error,
                )
            )
        vision = publisher.stats() | {"frames": stats.frames, "alerts": stats.alerts}
    finally:
        publisher.close()
    return {"mode": mode, "bridge": bridge, "vision": vision, "published": len(set(published))}


def _replay(opts, district, sortie, url, work, view, screen, flag):
    say = screen.say
    track = read_tlog_track(opts.recording)
    flown = track.end - track.start
    say(
        _(
            "no SITL (ARDUPILOT_SITL unset): replaying {name}, a recorded ArduCopter SITL "
            "flight ({flown:.0f} s), at {speed:g}x",
            name=opts.recording.name,
            flown=flown,
            speed=opts.speed,
        )
    )
    bridge = BridgeRun(
        bridge_options(
            f"{sortie.drone}={opts.recording}",
            url,
            opts.district,
            work / "bridge-spool.sqlite",
            speed=opts.speed,
        ),
        say,
    ).start()

    def wait_pose(t: float) -> bool:
        while view.poses.end is None or view.poses.end < t:
            if bridge.done.is_set():
                return view.poses.at(t) is not None
            screen.refresh()
            time.sleep(0.05)
        return True

    try:
        stats = film_and_flag(district, track, view.poses, wait_pose=wait_pose, **flag)
        _wait(bridge.done.is_set, screen)
    finally:
        bridge.stop.set()  # on Ctrl-C or an error: the bridge flushes briefly and ends too
    return _flight(N_("recorded SITL flight replayed")), bridge.join(30.0), stats


def _sitl(opts, district, sortie, mission, url, work, view, screen, flag, pack):
    from sim.sitl import Sitl, home_at_site

    say = screen.say
    home = home_at_site(district, sortie.launch_site)
    sitl = Sitl(
        opts.sitl,
        home,
        instance=SITL_INSTANCE,
        speedup=SITL_SPEEDUP,
        params={"BATT_CAPACITY": SITL_BATTERY_MAH},
    )
    plan, model = pack
    flight = SitlSortie(sitl, plan, say)
    try:
        say(
            _(
                "SITL: booting ArduCopter at {launch_site} (speed-up {sitl_speedup:g})",
                launch_site=sortie.launch_site,
                sitl_speedup=SITL_SPEEDUP,
            )
        )
        flight.boot()
        digest, checked = flight.upload(mission, district, model)
        say(_("SITL: endurance ok: {line}", line=checked.budget.line()))
        say(
            _(
                "SITL: uploaded and verified {n_items} items, manifest {digest}",
                n_items=len(mission.items),
                digest=digest[:16],
            )
        )
        bridge = BridgeRun(
            bridge_options(
                f"{sortie.drone}={sitl.serial_url(1)}", url, opts.district, work / "spool.sqlite"
            ),
            say,
        ).start()
        takeoff = next((i.alt for i in mission.items if i.command == 22), sortie.alt_m)
        estimate = (sortie.end_s - sortie.start_s) / SITL_SPEEDUP
        say(
            _(
                "SITL: flying {id}, about {estimate:.0f} s at speed-up {sitl_speedup:g}",
                id=sortie.id,
                estimate=estimate,
                sitl_speedup=SITL_SPEEDUP,
            )
        )
        try:
            flight.fly(takeoff, timeout_s=max(120.0, 3 * estimate))
            _wait(flight.landed.is_set, screen)
            if flight.error is not None:
                raise flight.error
            say(_("SITL: sortie completed, landed at its launch site and disarmed"))
            time.sleep(1.0)
        finally:
            bridge.stop.set()
        summary = bridge.join(30.0)
    finally:
        flight.close()
    say(_("vision: filming the flown track"))
    track = slowed(view.poses, SITL_SPEEDUP)
    stats = film_and_flag(district, track, track, **flag)
    return _flight(N_("{id} flown in ArduPilot SITL", id=sortie.id)), summary, stats


def _flight(how: Msg) -> Msg:
    """The flight line of the demo; its value is the report's "flight" statistic."""
    return N_("flight: {how}", how=how)
