"""The Chinese catalog is complete, current and consistent with the code that uses it.

When this fails after a code change: run ``make i18n`` (extract + update), translate the new
entries in ``gridpatrol/locale/zh_CN/LC_MESSAGES/gridpatrol.po``, and run it again (compile).
"""

from __future__ import annotations

import re
import string

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from conftest import ROOT

from gridpatrol.locale.labels import labels_js

LOCALE = ROOT / "gridpatrol" / "locale"
PO = LOCALE / "zh_CN" / "LC_MESSAGES" / "gridpatrol.po"
NAME = re.compile(r"[a-z_][a-z0-9_]*")
DROPPABLE = re.compile(r"plural\w*")
"""Values a translation may leave out: English plural endings (Chinese has none)."""


def fields(text: str) -> list[tuple[str | None, str | None, str | None]]:
    """(name, spec, conversion) of every replacement field of a ``str.format`` template."""
    return [(n, s, c) for _lit, n, s, c in string.Formatter().parse(text) if n is not None]


def names(text: str) -> set[str]:
    return {n for n, _s, _c in fields(text) if n}


@pytest.fixture(scope="module")
def extracted() -> dict[str, list[str]]:
    """Every message id in the tree, as ``make i18n`` extracts it, with where it is used."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords={"_": None, "N_": None}
    ):
        assert isinstance(message, str), f"{filename}:{lineno}: _()/N_() of a non-literal"
        found.setdefault(message, []).append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def pot():
    with (LOCALE / "gridpatrol.pot").open("rb") as f:
        return read_po(f)


@pytest.fixture(scope="module")
def po():
    with PO.open("rb") as f:
        return read_po(f, locale="zh_CN")


def test_the_template_is_up_to_date_with_the_source(extracted, pot):
    ids = {m.id for m in pot if m.id}
    assert len(ids) > 500
    missing = sorted(set(extracted) - ids)
    stale = sorted(ids - set(extracted))
    assert not missing, "in the code, not in the .pot (run make i18n):\n" + "\n".join(missing)
    assert not stale, "in the .pot, no longer in the code (run make i18n):\n" + "\n".join(stale)


def test_every_message_id_has_a_chinese_translation_with_its_placeholders(pot, po):
    problems = []
    for m in pot:
        if not m.id:
            continue
        translated = po.get(m.id)
        if translated is None or not translated.string:
            problems.append(f"untranslated: {m.id!r}")
            continue
        want, got = names(m.id), names(translated.string)
        if not (got <= want and all(DROPPABLE.fullmatch(n) for n in want - got)):
            problems.append(f"placeholders {sorted(want)} -> {sorted(got)}: {m.id!r}")
    assert not problems, "\n".join(problems)


def test_no_translation_is_stale_or_fuzzy(pot, po):
    assert {m.id for m in po if m.id} == {m.id for m in pot if m.id}
    assert not [m.id for m in po if m.id and m.fuzzy]
    assert not po.obsolete


def test_message_ids_have_only_named_placeholders(pot):
    """``{area}`` or ``{limit_min:g}``: never an expression, an attribute or a positional ``{}``,
    so an id does not change when the code around it is refactored."""
    bad = []
    for m in pot:
        if not m.id:
            continue
        try:
            parsed = fields(m.id)
        except ValueError as exc:
            bad.append(f"{exc}: {m.id!r}")
            continue
        for name, spec, conversion in parsed:
            if not NAME.fullmatch(name or "") or conversion or "{" in (spec or ""):
                bad.append(f"{{{name}}}: {m.id!r}")
    assert not bad, "\n".join(bad)


def test_shipped_mo_is_compiled_from_the_current_po(po):
    with (PO.with_suffix(".mo")).open("rb") as f:
        mo = read_mo(f)
    compiled = {m.id: m.string for m in mo if m.id}
    source = {m.id: m.string for m in po if m.id and m.string}
    assert compiled == source, "run pybabel compile (make i18n)"


def test_command_centre_page_labels_are_the_catalogs(po):
    labels = ROOT / "centre" / "page" / "labels.js"
    text = labels.read_text(encoding="utf-8")
    translations = {m.id: m.string for m in po if m.id and m.string}
    assert labels_js(text, translations) == text, (
        "run: python -m gridpatrol.locale.labels centre/page/labels.js"
    )
