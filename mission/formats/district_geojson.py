"""Reading and writing the district file: one GeoJSON FeatureCollection in WGS84 lon/lat.

Loading validates everything a planner relies on and answers a bad file with one line naming the
feature and the fix, because an operator in the field needs to repair the file, not read a stack.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import Point, Polygon

from mission.errors import DistrictError
from mission.formats.district_fields import FeatureReader
from mission.formats.district_limits import MAX_FILE_BYTES, check_bounds, check_file_size
from mission.geo import LocalFrame
from mission.model import Cell, District, KeyArea, LaunchSite, NoFlyZone, PrivacyZone
from mission.text import N_

__all__ = ["load_district", "parse_district", "save_district", "KINDS"]

KINDS = ("district", "cell", "key_area", "no_fly", "launch_site", "privacy_zone")
# Tolerance for "cells cover the district exactly": absorbs float noise from projection round
# trips, and the slivers a GCJ-02 → WGS84 conversion leaves where cell corners sit on a boundary
# edge (the transform is not linear, so moved corners leave the moved edge by centimetres). A
# real gap or overlap (a missing cell, a drawing error) is orders of magnitude larger.
COVERAGE_TOLERANCE = 1e-6
MAX_READ = MAX_FILE_BYTES + 1
"""Read at most one byte past the size cap, so a growing file or a pipe cannot exhaust memory."""
EDGE_TOLERANCE_M = 0.05


def load_district(path: str | Path, crs: str | None = None) -> District:
    """Read and validate a district file; ``crs`` overrides the file's declared coordinate system."""
    path = Path(path)
    try:
        check_file_size(path.stat().st_size, path.name)
        with path.open("rb") as fh:
            raw = fh.read(MAX_READ)
        check_file_size(len(raw), path.name)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise DistrictError(N_("{path}: no such file; check the path", path=path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DistrictError(
            N_("{path}: cannot read the file ({exc}); check the path", path=path, exc=exc)
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DistrictError(
            N_(
                "{name}: malformed JSON at line {lineno} column {colno}: {msg}; fix the syntax "
                "(a JSON linter shows the spot)",
                name=path.name,
                lineno=exc.lineno,
                colno=exc.colno,
                msg=exc.msg,
            )
        ) from None
    except RecursionError:
        raise DistrictError(
            N_(
                "{name}: JSON nested far deeper than GeoJSON ever is; this is not a district file",
                name=path.name,
            )
        ) from None
    return parse_district(data, source=path.name, crs=crs)


def parse_district(data: Any, source: str = "district", crs: str | None = None) -> District:
    """Validate a FeatureCollection already parsed from JSON and build the District."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise DistrictError(
            N_("{source}: not a GeoJSON FeatureCollection; wrap the features in one", source=source)
        )
    features = data.get("features")
    if not isinstance(features, list):
        raise DistrictError(
            N_("{source}: the FeatureCollection has no 'features' list; add one", source=source)
        )
    check_bounds(data, source)
    declared = crs or data.get("crs") or "wgs84"
    if not isinstance(declared, str):
        raise DistrictError(
            N_(
                "{source}: 'crs' must be one of wgs84, gcj02, bd09 (a named CRS object is not "
                "read)",
                source=source,
            )
        )
    declared = declared.lower()
    if declared != "wgs84":
        from mission.crs import to_wgs84_feature_collection

        data = to_wgs84_feature_collection(data, declared)
        features = data["features"]
    return _Builder(source, declared).build(features)


class _Builder(FeatureReader):
    def build(self, features: list) -> District:
        by_kind: dict[str, list[tuple[str, dict, Any]]] = {k: [] for k in KINDS}
        for index, feature in enumerate(features):
            where = f"feature #{index}"
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise self.fail(where, "not a GeoJSON Feature; each entry needs type 'Feature'")
            props = feature.get("properties") or {}
            if not isinstance(props, dict):
                raise self.fail(where, "'properties' must be an object")
            kind = props.get("kind")
            if "id" in props:
                where = f"feature #{index} ({kind} {props['id']!r})"
            if kind not in KINDS:
                raise self.fail(where, f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
            geom = self.geometry(where, kind, feature.get("geometry"))
            by_kind[kind].append((where, props, geom))

        if len(by_kind["district"]) != 1:
            raise DistrictError(
                N_(
                    "{source}: found {n_district} features of kind 'district'; a district file needs "
                    "exactly one",
                    source=self.source,
                    n_district=len(by_kind["district"]),
                )
            )
        d_where, d_props, d_geom = by_kind["district"][0]
        name = self.text(d_where, d_props, "name")
        elevation = self.number(d_where, d_props, "ground_elevation_m", required=False)
        centre = d_geom.representative_point()
        frame = LocalFrame.around(centre.x, centre.y)
        boundary = frame.geom_to_metric(d_geom)
        outside_check = boundary.buffer(0.5)
        for where, _props, geom in [f for k in KINDS[1:] for f in by_kind[k]]:
            self.check_swapped(where, geom, d_geom)

        cells = self.cells(by_kind["cell"], frame)
        key_areas = self.key_areas(by_kind["key_area"], frame, outside_check)
        no_fly = tuple(
            NoFlyZone(
                id=self.ident(w, p),
                name=self.text(w, p, "name"),
                reason=self.text(w, p, "reason"),
                shape=frame.geom_to_metric(g),
                name_zh=p.get("name_zh"),
            )
            for w, p, g in by_kind["no_fly"]
        )
        sites = []
        for w, p, g in by_kind["launch_site"]:
            pos = frame.geom_to_metric(g)
            if not outside_check.contains(pos):
                raise self.fail(w, "launch site lies outside the district; move it inside")
            sites.append(
                LaunchSite(
                    id=self.ident(w, p),
                    name=self.text(w, p, "name"),
                    position=pos,
                    name_zh=p.get("name_zh"),
                )
            )
        privacy = tuple(
            PrivacyZone(
                id=self.ident(w, p),
                name=self.text(w, p, "name"),
                shape=frame.geom_to_metric(g),
                name_zh=p.get("name_zh"),
            )
            for w, p, g in by_kind["privacy_zone"]
        )
        self.check_unique_ids(by_kind)
        if cells:
            self.check_coverage(cells, boundary)
        return District(
            name=name,
            frame=frame,
            boundary=boundary,
            ground_elevation_m=elevation,
            cells=cells,
            key_areas=key_areas,
            no_fly=no_fly,
            launch_sites=tuple(sites),
            privacy_zones=privacy,
            name_zh=d_props.get("name_zh"),
            crs=self.crs,
        )

    # -- kinds ----------------------------------------------------------------------------

    def cells(self, entries, frame: LocalFrame) -> tuple[Cell, ...]:
        cells = []
        for w, p, g in entries:
            cid = p.get("id")
            if not isinstance(cid, int) or isinstance(cid, bool) or cid < 1:
                raise self.fail(w, f"cell id {cid!r} must be an integer >= 1")
            cells.append(
                Cell(
                    id=cid,
                    community=self.text(w, p, "community"),
                    team=self.text(w, p, "team"),
                    shape=frame.geom_to_metric(g),
                    name_zh=p.get("name_zh"),
                )
            )
        return tuple(sorted(cells, key=lambda c: c.id))

    def key_areas(self, entries, frame: LocalFrame, district_zone) -> tuple[KeyArea, ...]:
        areas = []
        for w, p, g in entries:
            priority = self.in_range(
                w, p, "priority", lambda v: v == int(v) and 1 <= v <= 5, "use an integer 1-5"
            )
            revisit = self.in_range(w, p, "revisit_minutes", lambda v: v > 0, "use minutes > 0")
            metric = frame.geom_to_metric(g)
            radius = None
            if isinstance(g, Point):
                radius = self.in_range(
                    w, p, "radius_m", lambda v: v > 0, "a point key area needs radius_m > 0"
                )
                area_shape = metric.buffer(radius, quad_segs=16)
                default_pattern = "orbit"
            else:
                area_shape = metric
                default_pattern = "sweep"
            pattern = p.get("pattern", default_pattern)
            if pattern not in ("sweep", "orbit"):
                raise self.fail(w, f"pattern {pattern!r} is unknown; use 'sweep' or 'orbit'")
            if not district_zone.contains(area_shape if radius is None else metric):
                raise self.fail(w, "key area lies outside the district; move it inside")
            areas.append(
                KeyArea(
                    id=self.ident(w, p),
                    name=self.text(w, p, "name"),
                    priority=int(priority),
                    revisit_minutes=revisit,
                    pattern=pattern,
                    shape=area_shape,
                    center=metric if radius is not None else metric.centroid,
                    radius_m=radius,
                    name_zh=p.get("name_zh"),
                )
            )
        return tuple(areas)

    def check_unique_ids(self, by_kind) -> None:
        seen: dict[str, str] = {}
        for kind in ("key_area", "no_fly", "launch_site", "privacy_zone"):
            for w, p, _g in by_kind[kind]:
                ident = p["id"]
                if ident in seen:
                    raise self.fail(
                        w,
                        f"duplicate id {ident!r} (also used by {seen[ident]}); "
                        "give each feature its own id",
                    )
                seen[ident] = w
        cell_seen: dict[int, str] = {}
        for w, p, _g in by_kind["cell"]:
            if p["id"] in cell_seen:
                raise self.fail(
                    w,
                    f"duplicate cell id {p['id']} (also {cell_seen[p['id']]}); "
                    "number cells uniquely",
                )
            cell_seen[p["id"]] = w

    def check_coverage(self, cells: tuple[Cell, ...], boundary: Polygon) -> None:
        tolerance = max(boundary.area * COVERAGE_TOLERANCE, boundary.length * EDGE_TOLERANCE_M)
        tree = shapely.STRtree([c.shape for c in cells])
        left, right = tree.query([c.shape for c in cells], predicate="intersects")
        for i, j in zip(left, right, strict=True):
            if i < j:
                overlap = cells[i].shape.intersection(cells[j].shape).area
                if overlap > tolerance:
                    raise DistrictError(
                        N_(
                            "{source}: cells {id} and {cells_id} overlap by {overlap:.0f} m²; cells must "
                            "tile the district without overlap",
                            source=self.source,
                            id=cells[i].id,
                            cells_id=cells[j].id,
                            overlap=overlap,
                        )
                    )
        union = shapely.union_all([c.shape for c in cells])
        uncovered = boundary.difference(union).area
        if uncovered > tolerance:
            raise DistrictError(
                N_(
                    "{source}: the cells leave {uncovered:.0f} m² of the district uncovered; "
                    "regenerate them with 'gridpatrol district grid'",
                    source=self.source,
                    uncovered=uncovered,
                )
            )
        outside = union.difference(boundary).area
        if outside > tolerance:
            raise DistrictError(
                N_(
                    "{source}: the cells extend {outside:.0f} m² beyond the district boundary; clip "
                    "them to the district",
                    source=self.source,
                    outside=outside,
                )
            )


def save_district(data: dict, path: str | Path) -> None:
    """Write a FeatureCollection with one feature per line, so diffs of district files stay readable."""
    lines = ",\n".join("    " + json.dumps(feat, ensure_ascii=False) for feat in data["features"])
    head = {k: v for k, v in data.items() if k != "features"}
    opening = json.dumps(head, ensure_ascii=False)[:-1]
    Path(path).write_text(f'{opening}, "features": [\n{lines}\n]}}\n', encoding="utf-8")
