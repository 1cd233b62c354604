"""The coordinate systems of Chinese web maps, and the one way in and out of them.

GPS, MAVLink and ArduPilot use WGS-84. Gaode/AMap and Tencent publish GCJ-02, Baidu BD-09; in
Lanzhou these differ from WGS-84 by several hundred metres, enough to put a no-fly zone on the
wrong street. So a district file declares its system and is converted to WGS-84 *on load*; the
District, and every mission built from it, is WGS-84 only. The way back out,
``to_display_crs``, exists only for GeoJSON written for Chinese map apps: its result is stamped
with its ``crs`` member and ``require_wgs84`` refuses such a file wherever a mission is read.

The transforms are prcoords' (public domain); GCJ-02/BD-09 -> WGS-84 uses its iterative
("bored") inverse, which round-trips to well under a millimetre.
"""

from __future__ import annotations

import copy
import json
import re
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import prcoords

from mission.errors import DistrictError, FormatError
from mission.text import N_

__all__ = [
    "WGS84",
    "GCJ02",
    "BD09",
    "SYSTEMS",
    "normalise_crs",
    "declared_crs",
    "to_wgs84",
    "from_wgs84",
    "to_wgs84_feature_collection",
    "to_display_crs",
    "write_geojson",
    "require_wgs84",
    "source_warning",
]

WGS84 = "wgs84"
GCJ02 = "gcj02"
BD09 = "bd09"
SYSTEMS = (WGS84, GCJ02, BD09)

_ALIASES = {
    "wgs84": WGS84,
    "epsg4326": WGS84,
    "crs84": WGS84,
    "urnogcdefcrsogc13crs84": WGS84,
    "urnogcdefcrsepsg4326": WGS84,
    "gcj02": GCJ02,
    "gcj": GCJ02,
    "mars": GCJ02,
    "bd09": BD09,
    "bd09ll": BD09,
    "baidu": BD09,
}

_CHINESE_MAP_SERVICES = re.compile(
    r"gaode|amap|autonavi|高德|tencent|腾讯|qq\s*map|soso|baidu|百度|sogou|搜狗|mapbar|图吧",
    re.IGNORECASE,
)

Convert = Callable[[float, float], tuple[float, float]]
_POLISH_STEPS = 2
_DECIMALS = 9


def normalise_crs(name: str) -> str:
    """``'WGS-84'``, ``'EPSG:4326'``, ``'GCJ02'``, ``'bd09ll'`` ... -> one of ``SYSTEMS``."""
    key = re.sub(r"[^a-z0-9]", "", str(name).lower())
    if key not in _ALIASES:
        raise DistrictError(
            N_("unknown coordinate system {name}; use one of wgs84, gcj02 or bd09", name=repr(name))
        )
    return _ALIASES[key]


def declared_crs(fc: dict[str, Any]) -> str:
    """The system a FeatureCollection declares in its ``crs`` member; WGS-84 when it has none.

    Accepts the plain string form (``"crs": "gcj02"``) and the old GeoJSON 2008 named form
    (``{"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}``).
    """
    crs = fc.get("crs")
    if crs is None:
        return WGS84
    if isinstance(crs, dict):
        crs = (crs.get("properties") or {}).get("name", "")
    return normalise_crs(crs)


def _in_china(lon: float, lat: float) -> bool:
    return prcoords.sanity_in_china_p(prcoords.Coords(lat, lon))


def _polish(
    forward: Convert, lon: float, lat: float, guess: tuple[float, float]
) -> tuple[float, float]:
    """Finish prcoords' inverse: its loop stops at 1e-5 deg steps (a few mm left over).

    Two more fixed-point steps bring the residual to ~1e-13 deg, so rounding to 1e-9 deg
    (0.1 mm) gives back exactly the WGS-84 value a GCJ-02 export was made from: a file and its
    converted twin then plan identical missions.
    """
    glon, glat = guess
    for _ in range(_POLISH_STEPS):
        flon, flat = forward(glon, glat)
        glon, glat = glon - (flon - lon), glat - (flat - lat)
    return round(glon, _DECIMALS), round(glat, _DECIMALS)


def _gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    if not _in_china(lon, lat):
        return lon, lat
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = prcoords.gcj_wgs_bored((lat, lon))
    return _polish(_wgs84_to_gcj02, lon, lat, (c.lon, c.lat))


def _bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = prcoords.bd_wgs_bored((lat, lon))
    return _polish(_wgs84_to_bd09, lon, lat, (c.lon, c.lat))


def _wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if not _in_china(lon, lat):
        return lon, lat
    c = prcoords.wgs_gcj((lat, lon), False)
    return c.lon, c.lat


def _wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    c = prcoords.gcj_bd(_wgs84_to_gcj02(lon, lat)[::-1])
    return c.lon, c.lat


def _identity(lon: float, lat: float) -> tuple[float, float]:
    return lon, lat


_TO_WGS84: dict[str, Convert] = {WGS84: _identity, GCJ02: _gcj02_to_wgs84, BD09: _bd09_to_wgs84}
_FROM_WGS84: dict[str, Convert] = {WGS84: _identity, GCJ02: _wgs84_to_gcj02, BD09: _wgs84_to_bd09}


def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """One (lon, lat) in ``crs`` -> WGS-84 (lon, lat)."""
    return _TO_WGS84[normalise_crs(crs)](lon, lat)


def from_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """One WGS-84 (lon, lat) -> ``crs``; for display and export only, never for a vehicle."""
    return _FROM_WGS84[normalise_crs(crs)](lon, lat)


def _convert_positions(coords: Any, convert: Convert) -> Any:
    """Walks any GeoJSON ``coordinates`` nesting; keeps a third (altitude) member as it is."""
    if isinstance(coords, list | tuple) and coords and isinstance(coords[0], int | float):
        if len(coords) < 2:
            raise DistrictError(
                N_(
                    "GeoJSON position {coords} has fewer than 2 numbers; write positions as [lon, "
                    "lat] or [lon, lat, alt]",
                    coords=list(coords),
                )
            )
        lon, lat = convert(float(coords[0]), float(coords[1]))
        return [lon, lat, *coords[2:]]
    if isinstance(coords, list | tuple):
        return [_convert_positions(c, convert) for c in coords]
    return coords


def _convert_geometry(geometry: dict[str, Any] | None, convert: Convert) -> None:
    if not geometry:
        return
    if geometry.get("type") == "GeometryCollection":
        for g in geometry.get("geometries") or []:
            _convert_geometry(g, convert)
        return
    if "coordinates" in geometry:
        geometry["coordinates"] = _convert_positions(geometry["coordinates"], convert)
    if "bbox" in geometry:
        del geometry["bbox"]


def _features(fc: dict[str, Any]) -> Iterable[dict[str, Any]]:
    if fc.get("type") == "Feature":
        return [fc]
    return [f for f in fc.get("features") or [] if isinstance(f, dict)]


def _convert_collection(fc: dict[str, Any], convert: Convert, crs: str) -> dict[str, Any]:
    out = copy.deepcopy(fc)
    for feature in _features(out):
        _convert_geometry(feature.get("geometry"), convert)
        feature.pop("bbox", None)
    if out.get("type") == "GeometryCollection" or "coordinates" in out:
        _convert_geometry(out, convert)
    out.pop("bbox", None)
    out["crs"] = crs
    return out


def to_wgs84_feature_collection(fc: dict, crs: str) -> dict:
    """A copy of ``fc`` with every position converted from ``crs`` to WGS-84.

    The copy's ``crs`` member says ``wgs84``, so loading it again converts nothing twice.
    Raises ``DistrictError`` for an unknown system.
    """
    system = normalise_crs(crs)
    return _convert_collection(fc, _TO_WGS84[system], WGS84)


def to_display_crs(fc: dict, output_crs: str) -> dict:
    """A copy of a WGS-84 ``fc`` in ``output_crs``, for GeoJSON read by Chinese map apps.

    The only way out of WGS-84. The copy carries ``"crs": output_crs`` so that
    ``require_wgs84`` refuses it if someone tries to turn it back into a mission.
    """
    system = normalise_crs(output_crs)
    return _convert_collection(fc, _FROM_WGS84[system], system)


def write_geojson(fc: dict, path: str | Path, output_crs: str = WGS84) -> None:
    """Write a WGS-84 GeoJSON export (plan, track, alerts), in ``output_crs`` for Chinese map apps.

    WGS-84 output is written as it is; gcj02/bd09 goes through ``to_display_crs``, so the file
    carries its ``crs`` member and is refused wherever a mission is read.
    """
    system = normalise_crs(output_crs)
    data = fc if system == WGS84 else to_display_crs(fc, system)
    try:
        Path(path).write_text(json.dumps(data, sort_keys=True) + "\n", encoding="utf-8")
    except OSError as exc:
        raise FormatError(
            N_("{path}: cannot write ({exc}); check the folder", path=path, exc=exc)
        ) from None


def require_wgs84(fc: dict[str, Any], what: str) -> None:
    """Refuse a GeoJSON that declares GCJ-02 or BD-09 where WGS-84 reaches a vehicle."""
    crs = fc.get("crs")
    system = WGS84 if crs is None else _declared_or_unknown(fc)
    if system != WGS84:
        raise FormatError(
            N_(
                "{what} is in {system}, which is for map display only; missions are flown in "
                "wgs84: plan again from the district file",
                what=what,
                system=system,
            )
        )


def _declared_or_unknown(fc: dict[str, Any]) -> str:
    try:
        return declared_crs(fc)
    except DistrictError:
        return str(fc.get("crs"))


def source_warning(fc: dict, crs: str) -> str | None:
    """One line when a file declared WGS-84 has features copied from a Chinese map service.

    Gaode/AMap and Tencent serve GCJ-02, Baidu BD-09: such a file is very likely offset by
    hundreds of metres unless its system is declared.
    """
    if normalise_crs(crs) != WGS84:
        return None
    sources: list[str] = []
    for feature in _features(fc):
        source = (feature.get("properties") or {}).get("source")
        if isinstance(source, str) and _CHINESE_MAP_SERVICES.search(source):
            if source not in sources:
                sources.append(source)
    if not sources:
        return None
    listed = ", ".join(sources)
    return N_(
        "warning: features sourced from {listed} are declared wgs84, but Chinese map "
        'services publish gcj02 (Baidu: bd09); set "crs" in the file or pass --crs',
        listed=listed,
    )
