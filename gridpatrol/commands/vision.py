"""``gridpatrol vision run`` (flag frames, publish geotagged alerts) and ``gridpatrol sim footage``.

``gridpatrol vision eval`` (score detectors on labelled footage) lives in ``vision_eval.py``.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from gridpatrol.commands.help import LocalisedCommand, LocalisedGroup
from gridpatrol.commands.options import (
    Crs,
    MqttCa,
    MqttCert,
    MqttKey,
    MqttPasswordFile,
    mqtt_settings,
)
from gridpatrol.i18n import _
from mission.text import N_

__all__ = ["register"]

sim_app = typer.Typer(
    help=_("Synthetic data for testing without a drone."), no_args_is_help=True, cls=LocalisedGroup
)
vision_app = typer.Typer(
    help=_("Flag frames of patrol video (run) and score the detectors on labelled footage (eval)."),
    no_args_is_help=True,
    cls=LocalisedGroup,
)


def _parse_time(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    from vision.errors import VisionError

    try:
        stamp = datetime.fromisoformat(text)
    except ValueError as exc:
        raise VisionError(
            N_(
                "bad --start {text}; give epoch seconds or an ISO time like "
                "2026-05-01T08:00:00+08:00",
                text=repr(text),
            )
        ) from exc
    if stamp.tzinfo is None:
        raise VisionError(
            N_("--start {text} has no time zone; add one, e.g. +08:00 or Z", text=repr(text))
        )
    return stamp.timestamp()


def vision(
    video: Annotated[
        str,
        typer.Option("--video", help=_("Video file, image folder, rtsp/http URL or camera index.")),
    ],
    district_path: Annotated[Path, typer.Option("--district", help=_("District GeoJSON."))],
    telemetry: Annotated[
        str, typer.Option("--telemetry", help=_("Pose source: a .tlog of the flight, or 'mqtt'."))
    ],
    mqtt: Annotated[
        str | None,
        typer.Option("--mqtt", help=_("Broker URL for alerts (and poses with --telemetry mqtt).")),
    ] = None,
    vehicle: Annotated[str | None, typer.Option(help=_("Vehicle id (default: config)."))] = None,
    config_path: Annotated[
        Path | None, typer.Option("--config", help=_("Thresholds TOML over vision/defaults.toml."))
    ] = None,
    detectors: Annotated[
        str, typer.Option(help=_("Comma-separated: activity, people, bloom, model."))
    ] = "activity,bloom",
    evidence: Annotated[
        Path | None,
        typer.Option(help=_("Evidence folder (default: config [alerts] evidence_dir).")),
    ] = None,
    spool: Annotated[
        Path | None, typer.Option(help=_("Alert spool file (default: <evidence>/alerts-spool.db)."))
    ] = None,
    alerts_out: Annotated[
        Path | None, typer.Option("--alerts-out", help=_("Also append alerts as JSON lines here."))
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(help=_("Wall time of the video's first frame (default: the tlog's start).")),
    ] = None,
    fps: Annotated[float, typer.Option(help=_("Frame rate of an image folder."))] = 1.0,
    hfov: Annotated[
        float | None, typer.Option(help=_("Horizontal field of view, degrees."))
    ] = None,
    pitch: Annotated[
        float | None, typer.Option(help=_("Camera mount pitch, degrees (-90 = straight down)."))
    ] = None,
    crs: Crs = None,
    mqtt_ca: MqttCa = None,
    mqtt_cert: MqttCert = None,
    mqtt_key: MqttKey = None,
    mqtt_password_file: MqttPasswordFile = None,
) -> None:
    import cv2

    from mission.formats.district_geojson import load_district
    from vision.alerts import JsonlAlertSink, MqttAlertSink
    from vision.config import load_config
    from vision.errors import VisionError
    from vision.pose import LivePoseFeed, read_tlog_track
    from vision.run import Fanout, vision_pipeline
    from vision.source import StreamSource, open_source

    broker = None
    if mqtt:
        broker = mqtt_settings(
            mqtt, ca=mqtt_ca, cert=mqtt_cert, key=mqtt_key, password_file=mqtt_password_file
        )
    cv2.setNumThreads(max(1, cv2.getNumberOfCPUs() // 2))
    config = load_config(config_path)
    cam_changes = {
        k: v for k, v in (("hfov_deg", hfov), ("mount_pitch_deg", pitch)) if v is not None
    }
    alert_changes = {"vehicle": vehicle} if vehicle else {}
    config = config.with_changes(camera=cam_changes, alerts=alert_changes)
    district = load_district(district_path, crs=crs)
    feed = None
    if telemetry == "mqtt":
        if not mqtt:
            raise VisionError(N_("--telemetry mqtt needs --mqtt URL of the bridge's broker"))
        feed = LivePoseFeed(broker, config.alerts.vehicle).start()
        poses = feed.track
    else:
        poses = read_tlog_track(Path(telemetry), config.pose.max_gap_s)
    start_time, origin = _start_time(_parse_time(start), video, poses, feed is None)
    source = open_source(video, start_time or 0.0, fps)
    if isinstance(source, StreamSource):
        origin = "the wall clock (live source)"
    elif start_time is None:
        raise VisionError(
            N_("a recorded video with --telemetry mqtt needs --start (its wall time)")
        )
    typer.echo(_("frame times from {origin}", origin=origin))
    root = Path(evidence or config.alerts.evidence_dir)
    sinks, publisher = [], None
    if broker:
        from telemetry.publish import Publisher

        root.mkdir(parents=True, exist_ok=True)
        publisher = Publisher(broker, spool or root / "alerts-spool.db").start()
        sinks.append(MqttAlertSink(publisher))
    if alerts_out or not mqtt:
        sinks.append(JsonlAlertSink(alerts_out or root / "alerts.jsonl"))
    pipeline = vision_pipeline(
        district, config, detectors=detectors.split(","), poses=poses, sink=Fanout(sinks),
        evidence_dir=root,
    )  # fmt: skip
    pipeline.evidence.purge()
    started = time.monotonic()
    try:
        _run(source, pipeline)
    finally:
        source.close()
        if feed is not None:
            feed.close()
        flushed = publisher.close(timeout=10.0) if publisher is not None else True
    st, ss = pipeline.stats, source.stats
    typer.echo(
        f"{st.frames} frames in {time.monotonic() - started:.1f} s ({ss.corrupt} unreadable "
        f"or too small or large, {st.no_pose} without pose): {st.alerts} alerts, {st.updates} updates"
        + (f", {st.quiet} person-sized movers not alerted" if st.quiet else "")
        + (
            f", {st.off_ground} detections above the horizon or out of range not alerted"
            if st.off_ground
            else ""
        )  # fmt: skip
        + ("" if flushed else "; some alerts are still spooled and go out on the next run")
    )
    if ss.corrupt or st.no_pose:  # frames nobody looked at: the patrol has a hole in it
        typer.echo(
            _(
                "{unread} frames unreadable and {no_pose} without a pose were not scanned; "
                "check the video, and that --telemetry covers its times (--start)",
                unread=ss.corrupt,
                no_pose=st.no_pose,
            ),
            err=True,
        )
        raise typer.Exit(1)


def _start_time(given, video: str, poses, from_log: bool) -> tuple[float | None, str]:
    """When the video's first frame was taken: --start, else the MP4's own creation time (if the
    telemetry log covers it), else the start of the telemetry log."""
    from vision.source import mp4_creation_time

    if given is not None:
        return given, "--start"
    path = Path(video)
    created = mp4_creation_time(path) if path.is_file() else None
    if created is not None and (not from_log or poses.start - 60 <= created <= poses.end):
        return created, "the video's creation time"
    if from_log:
        return poses.start, "the start of the telemetry log"
    return None, ""


def _run(source, pipeline) -> None:
    """Frames through the pipeline, with a progress bar when the length is known; what a
    detector has to say once (``people`` cannot resolve anyone at this height) is printed
    when it arises."""
    from rich.progress import Progress

    from vision.detectors import take_notices
    from vision.run import flag_frames

    def said() -> None:
        for notice in take_notices(pipeline.detectors):
            typer.echo(notice, err=True)

    if source.length is None:
        flag_frames(pipeline, source, on_frame=lambda f: said())
        return
    with Progress(transient=True) as bar:
        task = bar.add_task(_("frames"), total=source.length)

        def step(frame) -> None:
            bar.update(task, completed=frame.index + 1)
            said()  # the bar redirects stderr above itself

        flag_frames(pipeline, source, on_frame=step)


@sim_app.command(
    "footage",
    help=_("Render synthetic patrol footage: MP4, the camera's .tlog, and per-frame ground truth."),
    cls=LocalisedCommand,
)
def footage(
    district_path: Annotated[Path, typer.Option("--district", help=_("District GeoJSON."))],
    out: Annotated[Path, typer.Option("-o", "--out", help=_("Output folder."))],
    mission: Annotated[
        Path | None, typer.Option(help=_("Mission to fly (.plan, .waypoints, .geojson)."))
    ] = None,
    tlog: Annotated[Path | None, typer.Option(help=_("Or a recorded flight to follow."))] = None,
    seconds: Annotated[float, typer.Option(help=_("Length of the clip."))] = 60.0,
    fps: Annotated[float, typer.Option(help=_("Frames per second."))] = 10.0,
    width: Annotated[int, typer.Option(help=_("Frame width, px."))] = 1280,
    height: Annotated[int, typer.Option(help=_("Frame height, px."))] = 720,
    hfov: Annotated[float, typer.Option(help=_("Horizontal field of view, degrees."))] = 70.0,
    pitch: Annotated[float, typer.Option(help=_("Mount pitch, degrees (-90 = nadir)."))] = -90.0,
    alt: Annotated[float, typer.Option(help=_("Height without --mission/--tlog, metres."))] = 60.0,
    seed: Annotated[int, typer.Option(help=_("Seed of every random choice."))] = 0,
    people: Annotated[int, typer.Option(help=_("Walking people-sized figures."))] = 8,
    vehicles: Annotated[int, typer.Option(help=_("Vehicles (half of them parked)."))] = 6,
    blooms: Annotated[int, typer.Option(help=_("Flowering patches in green plots."))] = 4,
    mark_privacy: Annotated[
        bool, typer.Option(help=_("Paint privacy zones magenta (to check masking)."))
    ] = False,
    crs: Crs = None,
) -> None:
    from pydantic import ValidationError

    from mission.formats.district_geojson import load_district
    from sim.errors import SimError
    from sim.footage import (
        FootageSpec,
        Renderer,
        TrackFlight,
        flight_from_mission,
        straight_flight,
        write_footage,
    )
    from vision.pose import read_tlog_track

    district = load_district(district_path, crs=crs)
    if mission and tlog:
        raise SimError(N_("give --mission or --tlog, not both"))
    if mission:
        from mission.formats import read_mission

        flight = flight_from_mission(read_mission(mission), district, seed=seed)
    elif tlog:
        flight = TrackFlight(read_tlog_track(tlog), district)
    else:
        flight = straight_flight(district, alt_m=alt, seed=seed)
    given = dict(width=width, height=height, fps=fps, seconds=seconds, hfov_deg=hfov,
                 mount_pitch_deg=pitch, seed=seed, people=people, vehicles=vehicles, blooms=blooms,
                 mark_privacy=mark_privacy)  # fmt: skip
    try:
        spec = FootageSpec(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0])
        option = {"hfov_deg": "hfov", "mount_pitch_deg": "pitch"}.get(field, field)
        raise SimError(
            N_("--{option} {value}: {problem}", option=option, value=given.get(field),
               problem=first["msg"])
        ) from None  # fmt: skip
    files = write_footage(Renderer(district, flight, spec), out)
    typer.echo(
        _(
            "{frames} frames: {video}, {tlog}, {truth}",
            frames=files.frames,
            video=files.video,
            tlog=files.tlog,
            truth=files.truth,
        )
    )


def register(app: typer.Typer) -> None:
    """Add the ``vision`` group (``run``, ``eval``) and the ``sim`` group to the CLI."""
    from gridpatrol.commands.vision_eval import vision_eval

    vision_app.command(
        "run",
        help=_("Flag frames of a patrol video and publish geotagged, cell-routed alerts."),
        cls=LocalisedCommand,
    )(vision)
    vision_app.command(
        "eval",
        help=_("Score the detectors on real footage: precision, recall, alerts per minute, speed."),
        cls=LocalisedCommand,
    )(vision_eval)
    app.add_typer(vision_app, name="vision")
    app.add_typer(sim_app, name="sim")
