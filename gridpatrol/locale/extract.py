"""Babel extraction methods for gridpatrol's message catalog (wired up in ``babel.cfg``).

Two sources of English text are not ``_()`` calls, so Babel's own Python extractor misses them:

* error messages: the first argument of any ``SomethingError(...)`` made in the code. The lower
  packages cannot import the translator; they raise English one-liners, mostly f-strings. An
  f-string becomes a template whose placeholders are its expressions' source
  (``f"cannot read {path}"`` -> ``cannot read {path}``), which ``gridpatrol.i18n`` matches
  against the English message at run time;
* CLI help: typer builds it from ``help=`` arguments and docstrings; the finished click tree is
  walked instead, so the ids are exactly the texts ``localise_app`` looks up.

The command-centre page keeps its words in one JavaScript dictionary (``labels.js``); its English
entry is extracted by ``extract_js_labels`` and its ``zh`` entry is written from the catalog by
``python -m gridpatrol.locale.extract sync-js FILE``, so the page and the catalog cannot drift.

``_()``, ``N_()`` and ``gettext()`` calls (plain strings or f-strings) are extracted too, and
per file, as ``babel.cfg`` maps it:

* ``list_messages = true``: every string appended to a list (check modules collecting lines);
* ``returned_by = NAME, ...``: the strings those functions return;
* ``label_dicts = NAME, ...``: the strings in dicts (values), tuples or lists assigned to those
  names (legend words, table columns the CLI translates);
* ``dict_keys = NAME, ...``: the keys of dicts assigned to those names (statistics labels);
* ``output_calls = echo, ...``: what those calls print (first argument, ``title=``,
  ``description=``, ``label=``) and the literal column names of ``add_column`` loops.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import importlib
import json
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "extract_messages",
    "extract_cli_help",
    "extract_js_labels",
    "cli_help_texts",
    "command_trees",
    "template_of",
    "js_labels",
    "sync_js_labels",
]

MARKERS = frozenset({"_", "N_", "gettext", "translate_text"})
Extracted = tuple[int, str | None, str, list[str]]
_BUILTIN_ERRORS = frozenset(n for n in dir(builtins) if n.endswith(("Error", "Exception")))
_CONVERSIONS = {115: "!s", 114: "!r", 97: "!a"}
OUTPUT_KEYWORDS = ("title", "description", "label")
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{[^{}]+\}")
_WORDS = re.compile(r"[^\W\d_]{2}")


def template_of(node: ast.expr) -> str | None:
    """The message template a string expression produces, or None when it is not one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        out = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                out.append(str(part.value).replace("{", "{{").replace("}", "}}"))
            elif isinstance(part, ast.FormattedValue):
                spec = ""
                if part.format_spec is not None:
                    spec = ":" + (template_of(part.format_spec) or "")
                conv = _CONVERSIONS.get(part.conversion, "")
                out.append("{" + ast.unparse(part.value) + conv + spec + "}")
        return "".join(out)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = template_of(node.left), template_of(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _is_message_call(name: str) -> bool:
    if name in MARKERS:
        return True
    return name.endswith("Error") and name not in _BUILTIN_ERRORS


def extract_messages(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[Extracted]:
    """Babel method: error messages and marked strings of one Python file."""
    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    yield from _label_dicts(tree, options.get("label_dicts", ""))
    yield from _dict_keys(tree, options.get("dict_keys", ""))
    list_messages = str(options.get("list_messages", "")).lower() in ("1", "true", "yes")
    output = _names(options.get("output_calls", ""))
    returned_by = _names(options.get("returned_by", ""))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in returned_by:
            yield from _returned(node)
        if output and isinstance(node, ast.For):
            yield from _column_names(node, output)
        if not isinstance(node, ast.Call):
            continue
        name = _callee(node)
        if name is None:
            continue
        texts = []
        if node.args and (
            _is_message_call(name) or (list_messages and name == "append") or name in output
        ):
            texts.append(node.args[0])
        if name in output:
            texts.extend(k.value for k in node.keywords if k.arg in OUTPUT_KEYWORDS)
        for text in texts:
            for template in _alternatives(text):
                if _is_message(template):
                    yield node.lineno, None, template, []


def _alternatives(node: ast.expr) -> Iterator[str]:
    """``title or f"..."``, ``a if c else "..."``: every message a text expression can be."""
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            yield from _alternatives(value)
    elif isinstance(node, ast.IfExp):
        yield from _alternatives(node.body)
        yield from _alternatives(node.orelse)
    else:
        template = template_of(node)
        if template:
            yield template


def _names(option: str) -> set[str]:
    return {n.strip() for n in str(option).split(",") if n.strip()}


def _returned(function: ast.FunctionDef) -> Iterator[Extracted]:
    """The message templates a function returns (a summary line, a label for other lines)."""
    for node in ast.walk(function):
        if isinstance(node, ast.Return) and node.value is not None:
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            for value in values:
                template = template_of(value)
                if template and _is_message(template):
                    yield node.lineno, None, template, []


def _is_message(template: str) -> bool:
    """Words, or values joined by punctuation (``{where}: {problem}``), not a bare value."""
    literal = PLACEHOLDER.sub("\0", template)
    if _WORDS.search(literal):
        return True
    return len(PLACEHOLDER.findall(template)) >= 2 and bool(literal.strip("\0").strip())


def _column_names(loop: ast.For, output: set[str]) -> Iterator[Extracted]:
    """``for col in ("cell", "team"): table.add_column(col)``: the literal column names."""
    if not isinstance(loop.iter, ast.Tuple | ast.List):
        return
    calls = {_callee(n) for n in ast.walk(loop) if isinstance(n, ast.Call)}
    if "add_column" not in calls or "add_column" not in output:
        return
    for element in loop.iter.elts:
        if isinstance(element, ast.Constant) and isinstance(element.value, str):
            yield element.lineno, None, element.value, []


def _assignments(tree: ast.Module, names: str) -> Iterator[tuple[ast.expr, ast.expr]]:
    """(target, value) of every assignment to one of ``names`` (or to ``name[key]``)."""
    wanted = _names(names)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            base = target.value if isinstance(target, ast.Subscript) else target
            if isinstance(base, ast.Name) and base.id in wanted:
                yield target, value


def _yield_texts(items: list[Any]) -> Iterator[Extracted]:
    for item in items:
        text = template_of(item) if item is not None else None
        if text and _is_message(text):
            yield item.lineno, None, text, []


def _label_dicts(tree: ast.Module, names: str) -> Iterator[Extracted]:
    """The strings of dicts (values), tuples and lists assigned to ``names``: legend words of
    pictures, column names of tables the CLI translates."""
    for target, value in _assignments(tree, names):
        if isinstance(target, ast.Name) and isinstance(value, ast.Dict):
            yield from _yield_texts(value.values)
        elif isinstance(target, ast.Name) and isinstance(value, ast.Tuple | ast.List):
            yield from _yield_texts(value.elts)


def _dict_keys(tree: ast.Module, names: str) -> Iterator[Extracted]:
    """The string keys of dicts assigned to ``names``, or set as ``name["key"] = ...``."""
    for target, value in _assignments(tree, names):
        if isinstance(target, ast.Subscript):
            yield from _yield_texts([target.slice])
        elif isinstance(value, ast.Dict):
            yield from _yield_texts(value.keys)


def cli_help_texts(command: Any) -> Iterator[str]:
    """Every help text in a click command tree, the root first."""
    for attr in ("help", "short_help", "epilog"):
        text = getattr(command, attr, None)
        if isinstance(text, str) and text:
            yield text
    for param in command.params:
        text = getattr(param, "help", None)
        if isinstance(text, str) and text:
            yield text
    for sub in getattr(command, "commands", {}).values():
        yield from cli_help_texts(sub)


def command_trees(app: str, commands: str | None = None) -> list[Any]:
    """Click trees of the typer ``app`` (``module:attribute``) and of every module of the
    ``commands`` package registered on its own, so a command module's help is in the catalog
    even before the CLI registers it."""
    import typer

    from gridpatrol.locale.app import localise_app

    module, _sep, attr = app.partition(":")
    apps = [getattr(importlib.import_module(module), attr)]
    if commands:
        package = importlib.import_module(commands)
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            register = getattr(importlib.import_module(info.name), "register", None)
            if register is not None:
                alone = typer.Typer(add_completion=False)
                register(alone)
                if alone.registered_commands or alone.registered_groups:
                    apps.append(alone)
    return [localise_app(a) for a in apps]


def extract_cli_help(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[Extracted]:
    """Babel method for the CLI module: its messages plus the help of every command.

    ``options``: ``app`` and ``commands`` as ``command_trees`` takes them.
    """
    yield from extract_messages(fileobj, keywords, comment_tags, options)
    from gridpatrol.locale.app import HELP_OPTION, TYPER_TEXTS, USAGE

    for tree in command_trees(options["app"], options.get("commands")):
        for text in cli_help_texts(tree):
            yield 0, None, text, []
    for text in (HELP_OPTION, USAGE, *TYPER_TEXTS.values()):
        yield 0, None, text, []


_JS_ENTRY = re.compile(r'^\s*(?:"([^"]+)"|([A-Za-z_$][\w$]*))\s*:\s*("(?:[^"\\]|\\.)*")\s*,?\s*$')


def _js_block(lines: list[str], lang: str) -> tuple[int, int] | None:
    """First and last line index of ``  <lang>: {`` ... ``  }`` in a labels file."""
    opening = re.compile(rf'^(\s*)"?{re.escape(lang)}"?\s*:\s*\{{\s*$')
    for i, line in enumerate(lines):
        m = opening.match(line)
        if m:
            closing = re.compile(rf"^{m.group(1)}\}},?\s*$")
            for j in range(i + 1, len(lines)):
                if closing.match(lines[j]):
                    return i, j
    return None


def js_labels(text: str, lang: str) -> dict[str, tuple[int, str]]:
    """``{key: (line number, text)}`` of one language's entry in a labels dictionary."""
    lines = text.splitlines()
    block = _js_block(lines, lang)
    if block is None:
        return {}
    out = {}
    for n in range(block[0] + 1, block[1]):
        m = _JS_ENTRY.match(lines[n])
        if m:
            out[m.group(1) or m.group(2)] = (n + 1, json.loads(m.group(3)))
    return out


def extract_js_labels(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[Extracted]:
    """Babel method: the English words of a page's labels dictionary."""
    text = fileobj.read().decode(options.get("encoding", "utf-8"))
    for lineno, label in js_labels(text, options.get("source", "en")).values():
        yield lineno, None, label, []


def sync_js_labels(text: str, translate: dict[str, str], lang: str = "zh") -> str:
    """The labels file with its ``lang`` entry rewritten from the catalog's translations.

    Keys without a translation are left out, so the page falls back to English for them.
    """
    lines = text.splitlines()
    english = _js_block(lines, "en")
    if english is None:
        raise ValueError("no 'en' entry in the labels file")
    indent = re.match(r"^(\s*)", lines[english[0]]).group(1)
    body = []
    for key, (_line, label) in js_labels(text, "en").items():
        if translate.get(label):
            name = key if re.fullmatch(r"[A-Za-z_$][\w$]*", key) else json.dumps(key)
            body.append(f"{indent}  {name}: {json.dumps(translate[label], ensure_ascii=False)}")
    block = [f"{indent}{lang}: {{", *(b + "," for b in body[:-1]), *body[-1:], f"{indent}}}"]
    existing = _js_block(lines, lang)
    if existing is not None:
        start, end = existing
        closing_comma = lines[end].rstrip().endswith(",")
        lines[start : end + 1] = block[:-1] + [block[-1] + ("," if closing_comma else "")]
    else:
        end = english[1]
        lines[end] = lines[end].rstrip().rstrip(",") + ","
        lines[end + 1 : end + 1] = block
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")


def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gridpatrol.locale.extract")
    sub = parser.add_subparsers(dest="what", required=True)
    sync = sub.add_parser("sync-js", help="write the zh entry of a labels.js from the catalog")
    sync.add_argument("labels", type=Path)
    sync.add_argument(
        "--po", type=Path, default=Path(__file__).parent / "zh_CN/LC_MESSAGES/gridpatrol.po"
    )
    args = parser.parse_args(argv)
    from babel.messages.pofile import read_po

    with args.po.open("rb") as f:
        catalog = read_po(f)
    translate = {m.id: m.string for m in catalog if m.id and m.string}
    text = args.labels.read_text(encoding="utf-8")
    args.labels.write_text(sync_js_labels(text, translate), encoding="utf-8")


if __name__ == "__main__":
    _main()
