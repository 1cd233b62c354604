"""Write the command-centre page's ``labels.js`` from ``centre.page.labels`` and the catalog.

``python -m gridpatrol.locale.labels centre/page/labels.js`` rewrites the ``window.GP_LABELS``
dictionary: ``en`` from the message ids, ``zh`` from their translations in the ``.po`` (``make
i18n`` runs it before compiling); a label without a translation is left out, so the page falls
back to English for it. The rest of the file is kept as it is.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from centre.page.labels import PAGE_LABELS

__all__ = ["labels_js", "po_translations", "PO"]

PO = Path(__file__).parent / "zh_CN" / "LC_MESSAGES" / "gridpatrol.po"
_BLOCK = re.compile(r"window\.GP_LABELS = \{\n.*?\n\};\n", re.DOTALL)


def _entry(lang: str, words: Mapping[str, str], last: bool) -> list[str]:
    lines = [f"  {lang}: {{"]
    for i, (key, text) in enumerate(words.items()):
        name = key if re.fullmatch(r"[A-Za-z_$][\w$]*", key) else json.dumps(key)
        comma = "," if i < len(words) - 1 else ""
        lines.append(f"    {name}: {json.dumps(text, ensure_ascii=False)}{comma}")
    return [*lines, "  }" + ("" if last else ",")]


def labels_js(text: str, translations: Mapping[str, str]) -> str:
    """``text`` (a labels.js) with its dictionary written from the labels and ``translations``."""
    english = {key: msg.template for key, msg in PAGE_LABELS.items()}
    chinese = {k: translations[t] for k, t in english.items() if translations.get(t)}
    block = ["window.GP_LABELS = {", *_entry("en", english, False), *_entry("zh", chinese, True)]
    new, found = _BLOCK.subn("\n".join([*block, "};"]) + "\n", text, count=1)
    if not found:
        raise ValueError("no 'window.GP_LABELS = {' ... '};' block in the labels file")
    return new


def po_translations(po: Path = PO) -> dict[str, str]:
    """msgid -> msgstr of a ``.po`` file (the untranslated left out)."""
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id and m.string}


if __name__ == "__main__":
    target = Path(sys.argv[1])
    target.write_text(labels_js(target.read_text("utf-8"), po_translations()), "utf-8")
