"""The demo's recorded flight: exactly the sortie the demo plans, flown in ArduPilot SITL.

``recorded-flight.json`` next to the recording holds what the plan was made from (seed, start,
hours, drones, endurance, reserve) and how it was flown (speed-up, pack). Without SITL the demo
plans from these same inputs, so the flight it replays is the sortie it shows as planned.
``record_demo_flight`` regenerates both files (``scripts/record-demo-flight.py``): it plans, boots
SITL at the sortie's launch site, flies it through ``vehicle.sortie_flight`` (the same checks as
``gridpatrol fly``) while recording the link, and writes the recording with its record stamps on
the simulator's clock (``time_boot_ms``), so a flight flown at speed-up 10 replays at its real
pace.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gridpatrol.i18n import _
from mission.flight_model import FlightModel
from mission.formats.district_geojson import load_district
from mission.limits import ITEM_LIMIT, RESERVE
from mission.model import Mission
from mission.schedule import Schedule, Sortie
from mission.text import N_
from sim.sitl import Sitl, gcs_timeout_at, home_at_site
from vehicle.commands import find_vehicle
from vehicle.decode import Decoder, new_mav
from vehicle.endurance import Consumption, learn_consumption
from vehicle.link import open_link
from vehicle.params import require_confirmed
from vehicle.sortie_flight import SortiePlan, fly_sortie, preflight, require_completed, takeoff_alt
from vehicle.sortie_upload import upload_sortie
from vehicle.tlog import TlogReader

__all__ = [
    "DemoFlight",
    "demo_flight",
    "read_demo_flight",
    "plan_patrol",
    "record_demo_flight",
    "retime",
    "SITL_BATTERY_MAH",
    "SITL_SPEEDUP",
]

RECORD_INSTANCE = 6
# The demo's declared pack (BATT_CAPACITY; SITL's stock 3300 mAh lasts 7 min at its 27 A): the
# planner, the upload's check and the vehicle's failsafes all work from it. 12 Ah flies about
# 24.5 min: at the default reserve that is 3.1 min from the low-battery failsafe to the critical
# one, enough for the example district's longest return to a sortie's own site (1.8 km, 3.0 min);
# a 7 Ah pack would need a 42 % reserve, which the planner's check asks for.
SITL_BATTERY_MAH = 12000
SITL_SPEEDUP = 10.0
_TELEMETRY_HZ = {30: 5.0, 147: 1.0}  # ATTITUDE for the footage, BATTERY_STATUS for the pack


@dataclass(frozen=True)
class DemoFlight:
    """The inputs of the recorded sortie's plan and flight."""

    seed: int
    start: str
    hours: float
    drones: int
    endurance_min: float
    reserve: float
    speedup: float
    pack_mah: int
    consumption_mah_per_min: float
    sortie: str = ""

    @property
    def start_time(self) -> datetime:
        return datetime.fromisoformat(self.start)

    @property
    def model(self) -> FlightModel:
        return FlightModel(endurance_min=self.endurance_min, reserve=self.reserve)


def read_demo_flight(path: Path) -> DemoFlight:
    """The sidecar of a recording; a missing or damaged one is one line, never a guess."""
    from gridpatrol.demo.errors import DemoError

    try:
        return DemoFlight(**json.loads(Path(path).read_text()))
    except (OSError, ValueError, TypeError) as exc:
        raise DemoError(
            N_(
                "{path} is missing or damaged ({exc}); restore it from git or regenerate the "
                "recording with scripts/record-demo-flight.py",
                path=path,
                exc=exc,
            )
        ) from None


def plan_patrol(
    district: Path, out: Path, flight: DemoFlight, echo: Callable[[str], None]
) -> tuple[Schedule, Sortie, Mission]:
    """The patrol service on ``flight``'s inputs (its summary table goes to ``echo``, its plans to
    ``out``); returns the schedule, its first sortie and that sortie's mission."""
    from gridpatrol.commands.plan import echo_area_table
    from mission.limits import CEILING_M, NO_FLY_MARGIN_M, PATROL_ALT_M
    from mission.patrol.service import plan_patrol as plan_service
    from mission.patrol.service import write_patrol

    plan = plan_service(
        load_district(district), hours=flight.hours, drones=flight.drones,
        start=flight.start_time, flight_model=flight.model, alt_m=PATROL_ALT_M,
        ceiling_m=CEILING_M, margin_m=NO_FLY_MARGIN_M, seed=flight.seed,
    )  # fmt: skip
    write_patrol(plan, out)
    echo_area_table(plan.schedule, echo)
    return (plan.schedule, *plan.first_sortie())


def demo_flight(opts: Any, say: Callable[[str], None]) -> DemoFlight:
    """What the patrol is planned from. Replaying: the recording's own inputs, so the replayed
    flight is the planned sortie. With SITL: this run's seed and time, planned for the endurance
    the declared pack gives at the consumption learnt from the recording (capacity / draw).
    ``opts`` is the demo's ``DemoOptions``."""
    recording = Path(opts.recording)
    recorded = read_demo_flight(recording.with_suffix(".json"))
    if opts.sitl is None:
        if opts.seed is not None and opts.seed != recorded.seed:
            say(
                _(
                    "replaying sortie {sortie} of the recorded plan (seed {seed}); --seed "
                    "{opts_seed} seeds the footage only (set ARDUPILOT_SITL to fly a new plan)",
                    sortie=recorded.sortie,
                    seed=recorded.seed,
                    opts_seed=opts.seed,
                )
            )
        return recorded
    learnt = learn_consumption(recording)
    endurance = math.floor(SITL_BATTERY_MAH / learnt.mah_per_min * 10) / 10
    say(
        _(
            "pack: {sitl_battery_mah} mAh declared, {mah_per_min:.0f} mAh/min {source}: "
            "planned for {endurance:g} min endurance, {reserve:.0%} reserve",
            sitl_battery_mah=SITL_BATTERY_MAH,
            mah_per_min=learnt.mah_per_min,
            source=learnt.source,
            endurance=endurance,
            reserve=RESERVE,
        )
    )
    return DemoFlight(
        seed=opts.seed if opts.seed is not None else int.from_bytes(os.urandom(4), "big"),
        start=datetime.now(UTC).replace(second=0, microsecond=0).isoformat(),
        hours=opts.hours, drones=opts.drones, endurance_min=endurance, reserve=RESERVE,
        speedup=SITL_SPEEDUP, pack_mah=SITL_BATTERY_MAH,
        consumption_mah_per_min=learnt.mah_per_min,
    )  # fmt: skip


def retime(records: list[tuple[float, bytes]], system: int = 1) -> list[tuple[float, bytes]]:
    """Record stamps on the vehicle's boot clock: the first stamp, plus simulated seconds since.

    A record without ``time_boot_ms`` (HEARTBEAT, the ground station's own messages) takes the
    latest simulated time seen, so stamps never go backwards.
    """
    if not records:
        return []
    decoder = Decoder(new_mav())
    start = records[0][0]
    boot0: float | None = None
    now = start
    out = []
    for _ts, packet in records:
        for msg in decoder.feed(packet):
            boot = getattr(msg, "time_boot_ms", None)
            if msg.get_srcSystem() == system and isinstance(boot, int):
                boot0 = boot if boot0 is None else boot0
                now = max(now, start + (boot - boot0) / 1000.0)
        out.append((now, packet))
    return out


def record_demo_flight(
    binary: Path,
    example: Path,
    flight: DemoFlight,
    say: Callable[[str], None],
) -> Path:
    """Plan the demo's patrol from ``flight``, fly its first sortie in SITL, write the recording.

    Writes ``recorded-flight.tlog`` and ``recorded-flight.json`` into ``example``; refuses (and
    writes nothing) if the sortie does not complete as planned.
    """
    district_path = example / "district.geojson"
    district = load_district(district_path)
    with tempfile.TemporaryDirectory(prefix="gp-record-") as work:
        work_dir = Path(work)
        sortie, mission = plan_patrol(district_path, work_dir / "plan", flight, say)[1:]
        say(f"recording {sortie.id} from {sortie.launch_site}: {len(mission.items)} items")
        consumption = Consumption(flight.consumption_mah_per_min, "declared for the recording")
        plan = SortiePlan(consumption=consumption, reserve=flight.reserve,
                          battery_mah=flight.pack_mah, gcs_timeout_s=gcs_timeout_at(flight.speedup))  # fmt: skip
        home = home_at_site(district, sortie.launch_site)
        sitl = Sitl(binary, home, instance=RECORD_INSTANCE, speedup=flight.speedup,
                    params={"BATT_CAPACITY": flight.pack_mah})  # fmt: skip
        sitl.start()
        try:
            sitl.wait_ready(120)
            link = open_link(sitl.url, record_dir=work_dir / "rec", name="demo")
            try:
                target = find_vehicle(link, 30)
                upload_sortie(link, target, mission, district, plan, item_limit=ITEM_LIMIT)
                for msg_id, hz in _TELEMETRY_HZ.items():
                    link.send(link.mav.command_long_encode(
                        target.system, target.component, 511, 0, msg_id, 1e6 / hz, 0, 0, 0, 0, 0
                    ))  # fmt: skip
                require_confirmed(
                    preflight(link, target, mission, district, plan, write=False).rows
                )
                verdict = fly_sortie(link, target, mission, plan,
                                     takeoff_alt_m=takeoff_alt(mission, sortie.alt_m),
                                     flight_timeout_s=3600.0 / flight.speedup * 2)  # fmt: skip
                require_completed(verdict)
            finally:
                link.close()
        finally:
            sitl.stop()
        records = [r for f in sorted((work_dir / "rec").glob("*.tlog")) for r in TlogReader(f)]
        out = example / "recorded-flight.tlog"
        with open(out, "wb") as fh:
            for ts, packet in retime(records):
                fh.write(int(ts * 1e6).to_bytes(8, "big") + packet)
    meta = asdict(flight) | {"sortie": sortie.id}
    (example / "recorded-flight.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    say(f"wrote {out} ({out.stat().st_size} bytes) and recorded-flight.json")
    return out
