"""Writes the alert JSON Schema to ``docs/schema/alert.schema.json`` (``python -m vision.schema``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from vision.alerts import Alert

__all__ = ["alert_schema_json", "main"]


def alert_schema_json() -> str:
    return json.dumps(Alert.model_json_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path("docs/schema/alert.schema.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(alert_schema_json(), encoding="utf-8")


if __name__ == "__main__":
    main()
