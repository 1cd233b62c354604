"""Safety checks every mission passes before upload, ours or one drawn in QGroundControl.

Each check lists violations as one line naming the item; nothing here repairs a mission. Items
are numbered as on the vehicle and in QGroundControl: home is 0, the first item is 1.

- geofence: every waypoint (and every orbit circle) inside the district, within 1 m of noise;
- legs: no leg leaves the district, none comes within ``margin_m`` of a no-fly zone;
- altitude: at or under the ceiling, not below the launch site (AMSL items through the ground
  elevation or home altitude);
- endurance: estimated flight time within the usable battery (endurance less reserve);
- failsafe return: from every point of the route (``mission.failsafe_return``) the return to the
  closest rally point has a way round the no-fly zones (the vehicle's path planner, ``OA_TYPE``
  2, stops the copter where it finds none), and is short enough for the reserve: a low-battery
  return must reach it before the critical failsafe lands the copter where it is;
- item count within the vehicle limit (home included, as MISSION_COUNT counts it);
- well-formed: known command, finite coordinates in range, known frame, takeoff first for copters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LineString, Point

from mission.errors import CheckError
from mission.failsafe_survey import ReturnSurvey, site_at, survey_returns
from mission.flight_model import FlightModel, has_position
from mission.flight_steps import on_the_globe
from mission.limits import CEILING_M, ITEM_LIMIT, MAX_CEILING_M, MAX_MARGIN_M, NO_FLY_MARGIN_M
from mission.mav_commands import KNOWN_COMMANDS
from mission.model import Cmd, District, Frame, Mission, MissionItem
from mission.text import N_, Msg

__all__ = [
    "check_mission",
    "check_sorties",
    "failsafe_returns",
    "require_safe",
    "summary",
    "COPTER_TYPES",
]

# MAV_TYPE values of multirotors and helicopters: these must take off first.
COPTER_TYPES = {2, 3, 4, 13, 14, 15, 29, 35}
KNOWN_FRAMES = {int(f) for f in Frame}
NOISE_M = 1.0
DEFAULT_MODEL = FlightModel()
NAV_MAX = 95  # MAV_CMD ids below this are NAV commands (ids 16-94 in common.xml)
MAX_USEFUL_RESERVE = 0.6  # beyond this, a failsafe reserve leaves too little pack to patrol with


def _name(item: MissionItem) -> str:
    try:
        return Cmd(item.command).name
    except ValueError:
        return N_("command {command}", command=item.command)


def _label(seq: int, item: MissionItem) -> str:
    return N_("item {seq} ({name})", seq=seq, name=_name(item))


def _relative_alt(item: MissionItem, launch_amsl: float | None) -> float | None:
    if item.frame == Frame.GLOBAL:
        return None if launch_amsl is None else item.alt - launch_amsl
    if item.frame in (Frame.GLOBAL_RELATIVE_ALT, Frame.GLOBAL_TERRAIN_ALT):
        return item.alt
    return None


def _on_the_globe(item: MissionItem) -> bool:
    return on_the_globe(item.lat, item.lon)


def _well_formed(mission: Mission, known: frozenset[int]) -> list[str]:
    out = []
    for seq, it in enumerate(mission.items, start=1):
        label = _label(seq, it)
        if it.command not in known:
            out.append(
                N_(
                    "{label}: unknown MAV_CMD {command}; remove it or fix the command",
                    label=label,
                    command=it.command,
                )
            )
            continue
        if it.frame not in KNOWN_FRAMES:
            out.append(
                N_(
                    "{label}: unsupported frame {frame}; use frame 3 (relative altitude)",
                    label=label,
                    frame=it.frame,
                )
            )
        if it.command < NAV_MAX and it.command != Cmd.NAV_RETURN_TO_LAUNCH:
            if not _on_the_globe(it):
                out.append(
                    N_(
                        "{label}: coordinates ({lat}, {lon}) are out of range",
                        label=label,
                        lat=it.lat,
                        lon=it.lon,
                    )
                )
            if not math.isfinite(it.alt):
                out.append(
                    N_(
                        "{label}: no altitude in the file (QGroundControl fills terrain-based altitudes "
                        "in only at upload); give it a relative altitude",
                        label=label,
                    )
                )
        if it.command == Cmd.NAV_LOITER_TURNS and not (it.param1 > 0 and math.isfinite(it.param3)):
            out.append(
                N_(
                    "{label}: loiter needs a positive number of turns (param1) and a radius",
                    label=label,
                )
            )
        if it.command == Cmd.NAV_WAYPOINT and not has_position(it):
            out.append(
                N_("{label}: waypoint at 0°, 0° (no position); set its position", label=label)
            )
    if mission.vehicle in COPTER_TYPES:
        first_nav = next(
            ((s, it) for s, it in enumerate(mission.items, start=1) if it.command < NAV_MAX), None
        )
        if first_nav is None:
            out.append(N_("mission: no navigation item; a copter mission starts with NAV_TAKEOFF"))
        elif first_nav[1].command != Cmd.NAV_TAKEOFF:
            out.append(
                N_(
                    "{label}: a copter mission must start with NAV_TAKEOFF",
                    label=_label(*first_nav),
                )
            )
    return out


def _altitudes(mission: Mission, district: District, ceiling_m: float) -> list[str]:
    launch = district.ground_elevation_m
    if mission.home is not None and mission.home.frame == Frame.GLOBAL and mission.home.alt:
        launch = mission.home.alt
    out = []
    for seq, it in enumerate(mission.items, start=1):
        if it.command >= NAV_MAX or it.command == Cmd.NAV_LAND or not math.isfinite(it.alt):
            continue
        if it.command == Cmd.NAV_RETURN_TO_LAUNCH:
            continue
        rel = _relative_alt(it, launch)
        if rel is None:
            if it.frame == Frame.GLOBAL:
                out.append(
                    N_(
                        "{label}: AMSL altitude but no home or ground elevation to compare with the "
                        "ceiling; use relative altitudes",
                        label=_label(seq, it),
                    )
                )
            continue
        if rel > ceiling_m + 1e-6:
            out.append(
                N_(
                    "{label}: {rel:.1f} m above the launch site, over the {ceiling_m:g} m ceiling; "
                    "lower it",
                    label=_label(seq, it),
                    rel=rel,
                    ceiling_m=ceiling_m,
                )
            )
        elif rel < 0:
            out.append(
                N_(
                    "{label}: {rel:.1f} m, below the launch site; raise it",
                    label=_label(seq, it),
                    rel=rel,
                )
            )
    return out


def _geometry(mission: Mission, district: District, margin_m: float) -> list[str]:
    frame = district.frame
    home = mission.home
    here = None
    if home is not None and (home.lat or home.lon):
        here = frame.to_metric(home.lon, home.lat)
    fence = district.boundary.buffer(NOISE_M)
    shapely.prepare(fence)
    zones = [(z, z.shape.buffer(max(margin_m - NOISE_M, 0.0))) for z in district.no_fly]
    out: list[str] = []
    here_inside = True
    for seq, it in enumerate(mission.items, start=1):
        if not has_position(it):
            if it.command == Cmd.NAV_RETURN_TO_LAUNCH and here is not None and home is not None:
                here_home = frame.to_metric(home.lon, home.lat)
                out += _leg(seq, it, here, here_home, fence, zones, here_inside, "return leg")
                here = here_home
            continue
        if not _on_the_globe(it):
            continue  # _well_formed names it; GEOS would raise on a NaN or infinite position
        p = frame.to_metric(it.lon, it.lat)
        label = _label(seq, it)
        shape = Point(p)
        if it.command == Cmd.NAV_LOITER_TURNS and it.param3 and math.isfinite(it.param3):
            shape = shape.buffer(abs(it.param3))
        inside = bool(fence.covers(shape))
        if not inside:
            d = district.boundary.exterior.distance(Point(p))
            far = f"{d / 1000:.0f} km" if d >= 10_000 else f"{d:.0f} m"
            what = "orbit" if it.command == Cmd.NAV_LOITER_TURNS else "waypoint"
            out.append(
                N_(
                    "{label}: {what} outside the district geofence ({far} beyond the boundary); move "
                    "it inside",
                    label=label,
                    what=what,
                    far=far,
                )
            )
        for z, grown in zones:
            if grown.intersects(shape):
                out.append(
                    N_(
                        "{label}: inside no-fly zone {id} or within its {margin_m:g} m margin; move it "
                        "out",
                        label=label,
                        id=z.id,
                        margin_m=margin_m,
                    )
                )
        if here is not None:
            out += _leg(seq, it, here, p, fence, zones, here_inside and inside)
        here, here_inside = p, inside
    return out


def _leg(seq, it, a, b, fence, zones, check_fence: bool, label: str = "leg") -> list[str]:
    """Leg a→b; leaving the fence is only reported when both ends are inside (else it is known)."""
    if np.hypot(a[0] - b[0], a[1] - b[1]) < 1e-6:
        return []
    line = LineString([a, b])
    out = []
    if check_fence and not fence.covers(line):
        out.append(
            N_(
                "{item}: the {leg} to it leaves the district; route it inside (around bays "
                "and holes)",
                item=_label(seq, it),
                leg=label,
            )
        )
    for z, grown in zones:
        if grown.intersects(line):
            out.append(
                N_(
                    "{item}: the {leg} to it crosses no-fly zone {id} (or its margin); route "
                    "around it",
                    item=_label(seq, it),
                    leg=label,
                    id=z.id,
                )
            )
    return out


def check_mission(
    mission: Mission,
    district: District,
    *,
    ceiling_m: float = CEILING_M,
    margin_m: float = NO_FLY_MARGIN_M,
    flight_model: FlightModel = DEFAULT_MODEL,
    item_limit: int = ITEM_LIMIT,
) -> list[str]:
    """Every violation, one line each naming the item; an empty list means safe to fly."""
    out = _well_formed(mission, KNOWN_COMMANDS)
    limits = _limits(ceiling_m, margin_m, flight_model)
    if limits:  # against a NaN ceiling every altitude "passes": nothing can be called safe
        return out + limits
    out += _altitudes(mission, district, ceiling_m)
    out += _geometry(mission, district, margin_m)
    out += failsafe_returns(mission, district, margin_m, flight_model)
    count = len(mission.items) + 1
    if count > item_limit:
        out.append(
            N_(
                "mission: {count} items (home included) exceed the vehicle limit of "
                "{item_limit}; split it into sorties",
                count=count,
                item_limit=item_limit,
            )
        )
    t = flight_model.mission_time_s(mission)
    if t > flight_model.usable_s:
        shown = (
            "never ends (unbounded loop or loiter)" if math.isinf(t) else f"takes {t / 60:.1f} min"
        )
        out.append(
            N_(
                "mission: {shown}, but {endurance_min:g} min endurance less {reserve:.0%} "
                "reserve allows {usable_s:.1f} min; split it into sorties",
                shown=shown,
                endurance_min=flight_model.endurance_min,
                reserve=flight_model.reserve,
                usable_s=flight_model.usable_s / 60,
            )
        )
    return out


def failsafe_returns(
    mission: Mission, district: District, margin_m: float, flight_model: FlightModel
) -> list[str]:
    """Items from which the failsafe return has no way round the zones, one line per item; and
    one line when a low-battery return cannot reach its rally point before the critical failsafe
    lands the copter wherever it is (``FlightModel.return_budget_s``), naming the worst item and
    the reserve that would cover it. Over a city that landing could be on a street or a roof."""
    survey = survey_returns(mission, district, margin_m=margin_m)

    def where(seq: int) -> str:
        return N_("home") if seq == 0 else _label(seq, mission.items[seq - 1])

    def target(k: int) -> str:
        n = survey.numbers[k]
        site = site_at(district, survey.targets[k])
        if n == 0:
            return N_("home")
        return (
            N_("rally point {n} ({site})", n=n, site=site) if site else N_("rally point {n}", n=n)
        )

    out: list[str] = []
    named: set[int] = set()
    for i in survey.stranded:
        seq, k = int(survey.seq[i]), int(survey.target[i])
        if not survey.reachable[k]:  # one line for the rally point, at the first item
            if -1 - k not in named:
                named.add(-1 - k)
                n = len(set(survey.seq[survey.stranded][survey.target[survey.stranded] == k]))
                out.append(
                    N_(
                        "{where}, the first of {n} items from which the failsafe return goes "
                        "to {target}: it lies inside a no-fly zone or outside the district, "
                        "ArduPilot's path planner finds no way there and stops the copter; move "
                        "that rally point out",
                        where=where(seq),
                        n=n,
                        target=target(k),
                    )
                )
            continue
        if seq in named:
            continue
        named.add(seq)
        out.append(
            N_(
                "{where}: a failsafe return from it (or from the leg to it) finds no way to "
                "{target} round the no-fly zones, and ArduPilot's path planner would stop the "
                "copter there; add a launch site it can reach, or keep the route away",
                where=where(seq),
                target=target(k),
            )
        )
    return out + _return_budget(survey, flight_model, where, target)


def _return_budget(
    survey: ReturnSurvey,
    flight_model: FlightModel,
    where: Callable[[int], str],
    target: Callable[[int], str],
) -> list[str]:
    """The line for returns longer than the reserve can fly (see ``failsafe_returns``)."""
    fm = flight_model
    if not fm.cruise_mps > 0 or not len(survey.length_m):
        return []
    cruise_s = survey.length_m / fm.cruise_mps
    over = np.isfinite(cruise_s) & (cruise_s > fm.return_budget_s + 1e-6)
    if not over.any():
        return []
    i = int(np.flatnonzero(over)[np.argmax(cruise_s[over])])
    fix = return_fix(fm, float(cruise_s[i]))
    return [
        N_(
            "{where}: a low-battery return from it flies {metres:.0f} m to {target} "
            "({minutes:.1f} min), but a {reserve:.0%} reserve leaves {budget:.1f} min before the "
            "critical battery failsafe lands the copter where it is ({n} items alike); {fix}",
            where=where(int(survey.seq[i])),
            metres=float(survey.length_m[i]),
            target=target(int(survey.target[i])),
            minutes=float(cruise_s[i]) / 60.0,
            reserve=fm.reserve,
            budget=fm.return_budget_s / 60.0,
            n=len(set(survey.seq[over].tolist())),
            fix=fix,
        )
    ]


def return_fix(flight_model: FlightModel, cruise_s: float) -> Msg:
    """What makes a low-battery return of ``cruise_s`` fit: the reserve that covers it, or, where
    that reserve would leave no sortie to fly, a nearer site or a larger pack."""
    needed = math.ceil(100.0 * flight_model.reserve_for_return(cruise_s) - 1e-9) / 100.0
    if needed <= MAX_USEFUL_RESERVE:
        return N_("raise --reserve to {needed:.0%} or more, or add a launch site nearer",
                  needed=needed)  # fmt: skip
    return N_("no reserve leaves room to patrol; add a launch site nearer or fly a larger pack")


def _limits(ceiling_m: float, margin_m: float, flight_model: FlightModel) -> list[str]:
    """The limits the checks compare against, when one is not a usable number."""
    out = []
    if not 0 < ceiling_m <= MAX_CEILING_M:
        out.append(N_("ceiling {ceiling_m:g} m is not a height in (0, {top:g}] m; fix --ceiling",
                      ceiling_m=ceiling_m, top=MAX_CEILING_M))  # fmt: skip
    if not 0 <= margin_m <= MAX_MARGIN_M:
        out.append(N_("no-fly margin {margin_m:g} m is not in [0, {top:g}] m; fix --margin",
                      margin_m=margin_m, top=MAX_MARGIN_M))  # fmt: skip
    if not 0 < flight_model.usable_s < math.inf:
        out.append(N_("the battery's usable time is {usable:g} s; fix --endurance-min and "
                      "--reserve", usable=flight_model.usable_s))  # fmt: skip
    return out


def check_sorties(paths: Sequence[str | Path], district: District, **kwargs) -> list[str]:
    """Every sortie's own checks for ``plan check`` of a schedule.json (plans beside it) or of
    several ``FILE@START`` files: flown together they must each be safe, not only separated.
    Lines start with the sortie id (schedule) or the file name."""
    from mission.formats import read_mission
    from mission.schedule import read_schedule

    if len(paths) == 1 and Path(paths[0]).suffix.lower() == ".json":
        folder = Path(paths[0]).parent
        named = [(f"{s.id} ({s.plan})", folder / s.plan) for s in read_schedule(paths[0]).sorties]
    else:
        files = [Path(str(raw).rpartition("@")[0] or str(raw)) for raw in paths]
        named = [(f.name, f) for f in files]
    out = []
    for name, path in named:
        lines = check_mission(read_mission(path), district, **kwargs)
        out += [N_("{file}: {line}", file=name, line=line) for line in lines]
    return out


def require_safe(mission: Mission, district: District, **kwargs) -> None:
    """Raise ``CheckError`` (all violations) unless the mission passes every check."""
    violations = check_mission(mission, district, **kwargs)
    if violations:
        raise CheckError(violations)


def summary(mission: Mission, flight_model: FlightModel = DEFAULT_MODEL) -> str:
    t = flight_model.mission_time_s(mission)
    alts = [it.alt for it in mission.items if it.command < NAV_MAX and math.isfinite(it.alt)]
    return N_(
        "OK: {n_items} items, {flight_min:.1f} min of {usable_s:.1f} min usable, highest {max_alts:.0f} m",
        n_items=len(mission.items),
        flight_min=t / 60,
        usable_s=flight_model.usable_s / 60,
        max_alts=max(alts, default=0),
    )
