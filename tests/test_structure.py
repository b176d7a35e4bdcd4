"""The shape of the code (issue 13, "One stage, one room"), measured on ``src/demandlab/``.

Each rule lists every offender as ``path:line name`` so that a failure reads as a worklist:

* no module over 600 lines and no class over 300 lines;
* ``report/`` imports nothing from ``demandlab.pipeline`` and reads the marts only through
  ``marts.read`` / ``marts.scope`` (never ``marts.build``);
* no SQL text longer than one line outside ``sql/`` and ``store.py``: multi-line SQL belongs in a
  ``.sql`` file, where it is one model (or one ``sql/io`` query) that a reader can find.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "demandlab"
MAX_MODULE_LINES = 600
MAX_CLASS_LINES = 300
#: Where multi-line SQL may live: the SQL files themselves and the store's migrations.
SQL_HOMES = (PACKAGE / "sql", PACKAGE / "store.py")
SQL_STARTS = ("select ", "with ", "insert ", "update ", "delete ", "create ", "copy ", "alter ", "drop ")


@dataclass(frozen=True)
class Module:
    path: Path
    name: str  # dotted: demandlab.report.data
    is_package: bool
    tree: ast.Module
    lines: int

    @property
    def where(self) -> str:
        return str(self.path.relative_to(ROOT))


def _modules() -> list[Module]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        text = path.read_text("utf-8")
        out.append(Module(path, name, is_package, ast.parse(text, str(path)), len(text.splitlines())))
    return out


MODULES = _modules()


def _scopes(tree: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    """Every node with the qualified name of the function or class it sits in (``<module>`` at the top)."""

    def visit(node: ast.AST, scope: str) -> Iterator[tuple[ast.AST, str]]:
        for child in ast.iter_child_nodes(node):
            yield child, scope
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                inner = child.name if scope == "<module>" else f"{scope}.{child.name}"
                yield from visit(child, inner)
            else:
                yield from visit(child, scope)

    yield from visit(tree, "<module>")


def _report(title: str, offenders: list[str]) -> str:
    return f"{title} ({len(offenders)}):\n  " + "\n  ".join(offenders)


def test_the_package_was_found():
    names = {m.name for m in MODULES}
    assert {"demandlab", "demandlab.store", "demandlab.report"} <= names


# --- size ---------------------------------------------------------------------------------------
def test_no_module_is_over_600_lines():
    offenders = [f"{m.where}:1 {m.name} has {m.lines} lines" for m in MODULES if m.lines > MAX_MODULE_LINES]
    assert not offenders, _report(f"modules over {MAX_MODULE_LINES} lines: split them by job", offenders)


def test_no_class_is_over_300_lines():
    offenders = []
    for m in MODULES:
        for node, scope in _scopes(m.tree):
            if isinstance(node, ast.ClassDef):
                size = node.end_lineno - node.lineno + 1
                if size > MAX_CLASS_LINES:
                    name = node.name if scope == "<module>" else f"{scope}.{node.name}"
                    offenders.append(f"{m.where}:{node.lineno} class {name} has {size} lines")
    assert not offenders, _report(f"classes over {MAX_CLASS_LINES} lines: move their jobs out", offenders)


# --- imports ------------------------------------------------------------------------------------
def _imports(m: Module) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of everything ``m`` imports, relative imports resolved; ``from a import b``
    yields ``a.b`` (b may be a module or a name in a; both start with ``a``)."""
    package = m.name if m.is_package else m.name.rpartition(".")[0]
    for node in ast.walk(m.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            for alias in node.names:
                yield node.lineno, f"{origin}.{alias.name}"


def _imports_of(package: str, forbidden: str) -> list[str]:
    offenders = []
    for m in MODULES:
        if m.name != package and not m.name.startswith(package + "."):
            continue
        for line, name in _imports(m):
            if name == forbidden or name.startswith(forbidden + "."):
                offenders.append(f"{m.where}:{line} imports {name}")
    return offenders


def test_the_import_resolver_sees_relative_imports():
    data = next(m for m in MODULES if m.name == "demandlab.report.data")
    names = {name for _, name in _imports(data)}
    assert "demandlab.store.Store" in names and "demandlab.config.Config" in names


def test_the_report_imports_nothing_from_the_pipeline():
    offenders = _imports_of("demandlab.report", "demandlab.pipeline")
    assert not offenders, _report("report/ must not reach back into the runner", offenders)


def test_the_report_reads_the_marts_but_never_builds_them():
    offenders = _imports_of("demandlab.report", "demandlab.marts.build")
    assert not offenders, _report("report/ reads marts.read / marts.scope only", offenders)


# --- SQL text -----------------------------------------------------------------------------------
def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring constants of a module, its classes and functions (prose, not SQL)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _literal_text(node: ast.AST) -> str | None:
    """The text of a string literal; an f-string's replacement fields count as ``{}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def is_multiline_sql(node: ast.AST) -> bool:
    """Whether ``node`` is a string literal that starts like SQL and spans more than one source line.

    >>> is_multiline_sql(ast.parse('x = ("select a "\\n     "from t")').body[0].value)
    True
    >>> is_multiline_sql(ast.parse('x = "select a from t"').body[0].value)
    False
    """
    text = _literal_text(node)
    if text is None or node.lineno == node.end_lineno:
        return False
    return text.strip().lower().startswith(SQL_STARTS)


def _sql_strings(m: Module) -> Iterator[tuple[int, str]]:
    skip = _docstrings(m.tree)
    for node in ast.walk(m.tree):  # the pieces of an f-string are judged with it, not alone
        if isinstance(node, ast.JoinedStr):
            skip |= {id(v) for v in node.values}
    for node, scope in _scopes(m.tree):
        if id(node) not in skip and is_multiline_sql(node):
            yield node.lineno, scope


def test_no_multiline_sql_outside_the_sql_folder_and_the_store():
    offenders = []
    for m in MODULES:
        if any(m.path == home or home in m.path.parents for home in SQL_HOMES):
            continue
        offenders += [f"{m.where}:{line} in {scope}" for line, scope in _sql_strings(m)]
    assert not offenders, _report("multi-line SQL strings: move each to a file under src/demandlab/sql/", offenders)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('con.execute(\n    "select a, b "\n    "from t where c = ?", [1])', [1]),
        ('con.execute(\n    f"delete from {t} "\n    "where x = ?", [1])', [1]),
        ('q = """\nwith a as (select 1)\nselect * from a\n"""', [0]),
        ('con.execute("select 1")', []),
        ('def f():\n    """Select the rows:\n    then update them."""\n', []),
    ],
)
def test_the_sql_rule_on_small_examples(source, expected):
    tree = ast.parse(source)
    module = Module(Path("x.py"), "x", False, tree, len(source.splitlines()))
    lines = [line - 1 for line, _ in _sql_strings(module)]
    assert lines == expected


PUBLIC_PACKAGES = ("demandlab", "demandlab.marts", "demandlab.signals", "demandlab.themes", "demandlab.ingest")


@pytest.mark.parametrize("name", PUBLIC_PACKAGES)
def test_every_public_name_a_package_promises_is_there(name):
    package = importlib.import_module(name)
    missing = [item for item in getattr(package, "__all__", ()) if not hasattr(package, item)]
    assert hasattr(package, "__all__") and not missing


def test_the_signals_package_offers_people_matters_and_status():
    import demandlab as dl

    for item in ("with_people", "find_matters", "signal_status", "compute_signals"):
        assert item in dl.signals.__all__
    assert "compute_hot_issues" in dl.marts.__all__
