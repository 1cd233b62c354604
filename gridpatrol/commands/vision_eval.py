"""``gridpatrol vision eval``: detectors on a video or a folder of frames, no telemetry needed.

Prints per-class precision and recall against YOLO/VOC labels, the movers found and alerted
against MOT tracks (``--tracks``), alerts per minute of footage and frames per second; writes every detection as a JSON line with ``--detections-out``, and contact sheets of the alerts with
``--alert-sheets`` (``vision.evaluate.sheets``). Exit status:
0, or 1 when frames could not be decoded or were too small or too large to judge (the figures then
cover fewer frames than the input).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gridpatrol.i18n import _
from mission.text import N_

__all__ = ["vision_eval"]


def vision_eval(
    input_path: Annotated[
        Path, typer.Argument(metavar="INPUT", help=_("Video file or folder of frames."))
    ],
    labels: Annotated[
        Path | None,
        typer.Option(help=_("Folder of labels: YOLO .txt or Pascal VOC .xml, one per frame.")),
    ] = None,
    label_names: Annotated[
        str | None,
        typer.Option(help=_("YOLO class names in id order, comma-separated (else classes.txt).")),
    ] = None,
    detectors: Annotated[
        str, typer.Option(help=_("Comma-separated detector names."))
    ] = "activity,bloom",
    detections_out: Annotated[
        Path | None,
        typer.Option("--detections-out", help=_("Write every detection here as JSON lines.")),
    ] = None,
    height_m: Annotated[
        float | None,
        typer.Option("--height-m", help=_("Camera height above ground; sizes in metres need it.")),
    ] = None,
    hfov: Annotated[
        float | None, typer.Option(help=_("Horizontal field of view, degrees."))
    ] = None,
    pitch: Annotated[
        float | None, typer.Option(help=_("Camera mount pitch, degrees (-90 = straight down)."))
    ] = None,
    fps: Annotated[float, typer.Option(help=_("Frame rate of a folder of frames."))] = 1.0,
    tracks: Annotated[
        Path | None,
        typer.Option(
            help=_(
                "MOT CSV tracks of the objects that move (frame, id, left, top, width, "
                "height): scores movers found, movers alerted and alerts per mover."
            )
        ),
    ] = None,
    tracks_first_frame: Annotated[
        int,
        typer.Option(
            min=0, max=1, help=_("The frame number --tracks gives the first frame (MOT: 1).")
        ),
    ] = 1,
    alert_sheets: Annotated[
        Path | None,
        typer.Option(
            "--alert-sheets",
            help=_(
                "Write contact sheets of the alerts here (each alert's first box beside the "
                "same place 20 frames on) and index.jsonl, to judge them by eye where there "
                "are no labels."
            ),
        ),
    ] = None,
    config_path: Annotated[
        Path | None, typer.Option("--config", help=_("Thresholds TOML over vision/defaults.toml."))
    ] = None,
) -> None:
    from vision.config import load_config
    from vision.evaluate import EvalError, evaluate

    config = load_config(config_path)
    cam = {k: v for k, v in (("hfov_deg", hfov), ("mount_pitch_deg", pitch)) if v is not None}
    config = config.with_changes(camera=cam)
    names = [n.strip() for n in label_names.split(",")] if label_names else None
    out = None
    if detections_out is not None:
        try:
            out = detections_out.open("w", encoding="utf-8")
        except OSError as exc:
            raise EvalError(
                N_(
                    "cannot write {detections_out}: {strerror}; choose another --detections-out",
                    detections_out=detections_out,
                    strerror=exc.strerror,
                )
            ) from exc
    try:
        report = evaluate(
            input_path,
            config,
            detectors.split(","),
            labels=labels,
            label_names=names,
            detections_out=out,
            height_m=height_m,
            fps=fps,
            tracks=tracks,
            tracks_first_frame=tracks_first_frame,
            alert_sheets=alert_sheets,
        )
    finally:
        if out is not None:
            out.close()
    _print(report, height_m)
    if alert_sheets is not None:
        typer.echo(
            _(
                "{sheets} alert sheets written to {out} ({alerts} alerts; index.jsonl numbers "
                "the tiles)",
                sheets=report.sheets,
                out=alert_sheets,
                alerts=report.alerts,
            )
        )
    if report.corrupt:
        from vision.source import MAX_PIXELS, MIN_SIDE_PX

        typer.echo(
            _(
                "{corrupt} frames could not be decoded, or were under {min_px} px or over "
                "{max_mp} megapixels, and were skipped",
                corrupt=report.corrupt,
                min_px=MIN_SIDE_PX,
                max_mp=MAX_PIXELS // 1_000_000,
            ),
            err=True,
        )
        raise typer.Exit(1)


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.3f} ({a}/{b})" if b else "n/a (0/0)"


def _print(report, height_m: float | None) -> None:
    rate = report.alerts_per_minute
    typer.echo(
        _(
            "{frames} frames ({corrupt} corrupt), {footage_s:.1f} s of footage, {fps:.1f} "
            "frames per second (detectors and tracker)",
            frames=report.frames,
            corrupt=report.corrupt,
            footage_s=report.footage_s,
            fps=report.fps,
        )
    )
    by_code = ", ".join(f"{k} {v}" for k, v in sorted(report.alerts_by_code.items()))
    typer.echo(
        f"{report.detections} detections, {report.alerts} alerts"
        + (f" ({by_code})" if by_code else "")
        + (f", {rate:.2f} alerts per minute of footage" if rate is not None else "")
    )
    if report.quiet:
        typer.echo(
            _(
                "{n} person-sized movers raised no alert ([tracker] alert_person_sized = false; "
                "they are in the detections)",
                n=report.quiet,
            )
        )
    if height_m is None:
        typer.echo(
            _(
                "no --height-m: detector sizes in pixels, tracker distances nominal; movers "
                "small, or no faster than a walk, even from [activity] unknown_height_bound_m "
                "are person-sized, others unclassed"
            )
        )
    for notice in report.notices:
        typer.echo(notice)
    for name, stats in report.detector_stats.items():
        skipped = {k: v for k, v in stats.items() if v and k != "frames"}
        if skipped:
            typer.echo(f"{name}: " + ", ".join(f"{k} {v}" for k, v in skipped.items()))
    if report.tracks is not None:
        _print_tracks(report)
    if not report.labelled:
        return
    for code, s in sorted(report.scores.items()):
        against = "labels of every class" if code == "activity" else f"{code} labels"
        typer.echo(
            _(
                "{code}: precision {precision}, recall {recall} against {against}",
                code=code,
                precision=_ratio(s.true_positives, s.detections),
                recall=_ratio(s.found, s.labels),
                against=against,
            )
        )
    if report.unlabelled_frames:
        typer.echo(
            _(
                "{unlabelled_frames} frames had no label file (scored as empty)",
                unlabelled_frames=report.unlabelled_frames,
            )
        )
    if report.labels_outside:
        typer.echo(
            _(
                "{labels_outside} label boxes lay outside their frame (dropped)",
                labels_outside=report.labels_outside,
            )
        )


def _print_tracks(report) -> None:
    t = report.tracks
    typer.echo(
        _(
            "moving objects: {found} found by a detection, {alerted} with an alert; "
            "{per_mover:.2f} alerts per alerted mover; {met:.2f} distinct alerts met on each "
            "mover an alert followed; {shared} alerts followed several movers; "
            "{nothing} of {alerts} alerts on no tracked mover",
            found=_ratio(t.found, t.movers),
            alerted=_ratio(t.alerted, t.movers),
            per_mover=t.per_mover,
            met=t.met_per_mover,
            shared=t.shared,
            nothing=t.alerts_on_nothing,
            alerts=t.alerts,
        )
    )
    if report.tracks_turned or report.tracks_dropped:
        typer.echo(
            _(
                "tracks: {turned} boxes given from the other corner were turned, {dropped} "
                "outside the frame or under 2 px were dropped",
                turned=report.tracks_turned,
                dropped=report.tracks_dropped,
            )
        )
