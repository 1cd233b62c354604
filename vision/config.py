"""Thresholds of the vision pipeline: ``defaults.toml`` (documented there) overlaid by a user file.

Every number lives in one TOML file with a comment saying what it does; this module only types and
validates it, so a typo in a user file is a one-line error rather than a silently ignored key.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, ValidationError

from mission.text import N_
from vision.errors import VisionError

__all__ = ["VisionConfig", "ConfigError", "load_config", "DEFAULTS_PATH"]

DEFAULTS_PATH = Path(__file__).with_name("defaults.toml")


class ConfigError(VisionError):
    """The thresholds file is unreadable or holds an unknown key or a bad value."""


class _Section(BaseModel):
    # TOML reads nan and inf as floats; no threshold or size here means anything by them
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class CameraConfig(_Section):
    hfov_deg: float = Field(gt=0.0, lt=180.0)
    mount_pitch_deg: float = Field(ge=-90.0, le=90.0)
    sensor_width_mm: float = Field(ge=0.0)  # 0 (with focal_mm 0): use hfov_deg
    focal_mm: float = Field(ge=0.0)


class PoseConfig(_Section):
    max_gap_s: float
    altitude_sigma_m: float
    attitude_sigma_deg: float
    position_sigma_m: float
    k_sigma: float


class ActivityConfig(_Section):
    work_width: PositiveInt
    channel: Literal["grey", "red"]
    smooth_px: PositiveFloat
    orb_features: PositiveInt
    min_matches: PositiveInt
    min_inlier_share: float = Field(ge=0.0, le=1.0)
    estimator: Literal["ransac", "magsac"]
    ransac_px: PositiveFloat
    max_rate_hz: PositiveFloat
    gap_s: PositiveFloat
    max_gap_s: PositiveFloat
    noise_k: PositiveFloat
    group_m: PositiveFloat
    group_px: PositiveInt
    min_area_m2: PositiveFloat
    max_area_m2: PositiveFloat
    min_area_px: PositiveFloat
    max_area_px: PositiveFloat
    max_frame_fraction: float = Field(gt=0.0, le=1.0)
    local_px: PositiveInt
    max_speed_mps: PositiveFloat
    max_shift_per_s: PositiveFloat
    parallax_max_ratio: float = Field(ge=0.0, le=10.0)
    parallax_min_cos: float = Field(ge=0.0, le=1.0)
    sky: bool
    shadows: bool
    shadow_min_ratio: float = Field(gt=0, lt=1)
    shadow_max_chroma: PositiveFloat
    shadow_min_casters: PositiveInt
    shadow_agreement: float = Field(ge=0, le=1)
    min_ncc: float = Field(gt=-1.0, le=1.0)
    max_blobs: PositiveInt
    vehicle_min_width_m: PositiveFloat
    vehicle_min_length_m: PositiveFloat
    abreast_m: float = Field(ge=2.6, le=1000.0)
    unknown_height_bound_m: PositiveFloat
    walker_max_mps: float = Field(ge=0.0)


class PeopleConfig(_Section):
    every_n: int
    min_person_px: float
    target_person_px: float
    hit_threshold: float


class ThermalConfig(_Section):
    work_width: PositiveInt
    max_chroma: PositiveFloat
    background_m: PositiveFloat
    background_px: PositiveInt
    noise_k: PositiveFloat
    split_fraction: float = Field(gt=0.0, lt=1.0)
    min_contrast: PositiveFloat
    min_hot_share: float = Field(ge=0.0, le=2.0)
    min_peak_k: float = Field(ge=0.0)
    ring_percentile: float = Field(ge=0.0, le=100.0)
    person_m2: tuple[PositiveFloat, PositiveFloat]
    vehicle_m2: tuple[PositiveFloat, PositiveFloat]
    person_px: tuple[PositiveFloat, PositiveFloat]
    vehicle_px: tuple[PositiveFloat, PositiveFloat]
    min_fill: float = Field(ge=0.0, le=1.0)
    max_aspect: PositiveFloat


class BloomConfig(_Section):
    work_width: int
    min_patch_m2: float
    min_side_m: PositiveFloat
    max_aspect: PositiveFloat
    min_green_ring: float = Field(ge=0.0, le=1.0)
    min_exg: float = Field(ge=-1.0, le=2.0)
    ring_m: float
    green_lo: tuple[int, int, int]
    green_hi: tuple[int, int, int]
    flower_ranges: list[tuple[tuple[int, int, int], tuple[int, int, int]]]


class ModelConfig(_Section):
    path: str
    convention: Literal["yolox", "yolov5", "yolov8"]
    resize: Literal["letterbox", "stretch"]
    input_size: int = Field(ge=32, le=4096, multiple_of=32)
    classes: list[str]
    class_codes: dict[str, str]
    score_threshold: float = Field(gt=0.0, le=1.0)
    nms_threshold: float = Field(gt=0.0, le=1.0)
    tiling: bool
    tile_overlap_px: int = Field(ge=0)
    tile_max_px: int = Field(ge=0, le=16384)


class TrackerConfig(_Section):
    k: PositiveInt
    k_moving: PositiveInt
    min_span: float = Field(ge=0.0)
    n: PositiveInt
    match_radius_m: float
    max_velocity_change: float
    same_object_m: float
    same_object_s: float
    update_every_s: float
    alert_person_sized: bool


class AlertsConfig(_Section):
    vehicle: str
    evidence_dir: str
    retention_days: float
    crop_margin_px: int
    crop_min_px: int
    frame_width: int
    jpeg_quality: int
    embed_jpeg: bool


class PrivacyConfig(_Section):
    margin_m: float


class VisionConfig(_Section):
    camera: CameraConfig
    pose: PoseConfig
    activity: ActivityConfig
    people: PeopleConfig
    thermal: ThermalConfig
    bloom: BloomConfig
    model: ModelConfig
    tracker: TrackerConfig
    alerts: AlertsConfig
    privacy: PrivacyConfig

    def with_changes(self, **sections: dict) -> VisionConfig:
        """A copy with some keys of some sections replaced (validated like a file)."""
        data = self.model_dump()
        for name, values in sections.items():
            data[name].update(values)
        return _validate(data, "overrides")


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            N_(
                "cannot read vision config {path}: {strerror}; check the path",
                path=path,
                strerror=exc.strerror,
            )
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            N_("vision config {path} is not valid TOML: {exc}; fix the file", path=path, exc=exc)
        ) from exc


def _validate(data: dict, origin: str) -> VisionConfig:
    try:
        return VisionConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(
            N_(
                "vision config {origin}: {where}: {msg}; see vision/defaults.toml for the keys",
                origin=origin,
                where=where,
                msg=err["msg"],
            )
        ) from exc


def load_config(path: Path | None = None) -> VisionConfig:
    """Defaults, with the sections/keys of ``path`` (if given) laid over them."""
    data = _read(DEFAULTS_PATH)
    if path is not None:
        for section, values in _read(path).items():
            if not isinstance(values, dict) or section not in data:
                raise ConfigError(
                    N_(
                        "vision config {path}: unknown section [{section}]; see vision/defaults.toml for "
                        "the sections",
                        path=path,
                        section=section,
                    )
                )
            data[section].update(values)
    return _validate(data, str(path or DEFAULTS_PATH))
