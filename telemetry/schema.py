"""JSON Schemas of the telemetry records, generated from the pydantic models into ``docs/schema/``.

Run ``python -m telemetry.schema [DIR]`` after changing ``telemetry/records.py``; a test fails
while the committed files differ from what the models generate.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import TypeAdapter

from telemetry.records import RECORD_TYPES, AnyRecord

__all__ = ["schemas", "write_schemas"]

_BASE = "https://gridpatrol.example/schema/"


def schemas() -> dict[str, dict]:
    """File name -> schema: one per record kind, plus the union of all of them."""
    out: dict[str, dict] = {}
    for kind, model in RECORD_TYPES.items():
        name = f"telemetry-{kind}.schema.json"
        out[name] = {"$id": _BASE + name, **model.model_json_schema(mode="serialization")}
    name = "telemetry-record.schema.json"
    union = TypeAdapter(AnyRecord).json_schema(mode="serialization")
    out[name] = {"$id": _BASE + name, "title": "TelemetryRecord", **union}
    return out


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = directory / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/schema")
    for p in write_schemas(target):
        print(p)
