"""The shape of ``backend/``, read from its import statements (nothing is imported).

The rules, and why, are in docs/architecture.md:

- no circle between packages (a top-level module such as ``backend/errors.py`` counts as
  a package of its own, and so does each module of :data:`SHARED`);
- the domains stand in the order of :data:`DOMAINS`: a domain may import a domain before
  it (its service included: sync applies commands through the match and team services),
  never one after it, except the modules of :data:`SHARED`;
- no domain imports what stands above the domains (:data:`ABOVE`: the operations layer,
  the application and the command line);
- the foundation (every other package: ``db``, ``settings``, ``errors``, ...) imports no
  domain and nothing above them, and a shared module imports only the foundation.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKEND = ROOT / "backend"

# Bottom to top.
DOMAINS = (
    "accounts",
    "teams",
    "matches",
    "insights",
    "sharing",
    "calendars",
    "privacy",
    "sync",
    "live",
    "push",
    "web",
)
# Modules any domain may import, whichever side of it their own domain stands. Each
# imports only the foundation, so no circle can pass through it.
SHARED = {
    "backend.live.publish": "a writer announces what it changed to the live channels",
    "backend.sharing.tokens": "signed tokens naming one row: share links, invites, calendar feeds",
}
ABOVE = ("ops", "app", "cli")

Arrow = tuple[str, str, str]  # importing module, imported module, "file:line"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imported(node: ast.AST, importer: str) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = importer.split(".")[: -node.level]
            base = ".".join([*package, base] if base else package)
        for alias in node.names:
            # ``from backend.live import publish`` imports the module ``publish``.
            candidate = f"{base}.{alias.name}"
            yield candidate if _is_module(candidate) else base


def backend_arrows(root: Path = BACKEND) -> list[Arrow]:
    """Every import of a ``backend`` module by a ``backend`` module, wherever it stands in
    its file (inside a function too)."""
    arrows = set()
    for path in sorted(root.rglob("*.py")):
        importer = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            for target in _imported(node, importer):
                if target == "backend" or target.startswith("backend."):
                    where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
                    arrows.add((importer, target, where))
    return sorted(arrows)


def package(module: str) -> str:
    """The node ``module`` stands in: its package under ``backend``, or a shared module."""
    if module in SHARED:
        return module
    parts = module.split(".")
    return ".".join(parts[:2])


def _layer(module: str) -> str:
    """ "domain", "shared", "above" (the domains) or "foundation"."""
    if module in SHARED:
        return "shared"
    name = package(module).removeprefix("backend.")
    if name in DOMAINS:
        return "domain"
    return "above" if name in ABOVE else "foundation"


def circles(arrows: list[Arrow]) -> list[list[str]]:
    """Each set of two or more packages that reach one another (Tarjan's components)."""
    graph: dict[str, set[str]] = {}
    for importer, target, _ in arrows:
        if package(importer) != package(target):
            graph.setdefault(package(importer), set()).add(package(target))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _explained(arrows: list[Arrow], members: list[str]) -> list[str]:
    return [
        f"{where}: {importer} -> {target}"
        for importer, target, where in arrows
        if package(importer) in members
        and package(target) in members
        and package(importer) != package(target)
    ]


def test_no_circle_between_packages() -> None:
    arrows = backend_arrows()
    found = circles(arrows)
    assert not found, "\n".join(
        f"circle {' <-> '.join(members)}:\n  " + "\n  ".join(_explained(arrows, members))
        for members in found
    )


def test_domains_import_only_domains_below_them_and_shared_modules() -> None:
    wrong = []
    for importer, target, where in backend_arrows():
        if _layer(importer) != "domain" or _layer(target) != "domain":
            continue
        mine, theirs = package(importer).split(".")[1], package(target).split(".")[1]
        if DOMAINS.index(theirs) > DOMAINS.index(mine):
            wrong.append(f"{where}: {importer} -> {target} ({mine} stands below {theirs})")
    assert not wrong, "\n".join(wrong)


def test_nothing_below_the_top_imports_the_top() -> None:
    wrong = [
        f"{where}: {importer} ({_layer(importer)}) -> {target}"
        for importer, target, where in backend_arrows()
        if _layer(importer) != "above" and _layer(target) == "above"
    ]
    assert not wrong, "\n".join(wrong)


def test_the_foundation_and_shared_modules_import_no_domain() -> None:
    wrong = [
        f"{where}: {importer} -> {target}"
        for importer, target, where in backend_arrows()
        if _layer(importer) in {"foundation", "shared"} and _layer(target) == "domain"
    ]
    assert not wrong, "\n".join(wrong)


def test_every_named_module_exists() -> None:
    """So that a rule cannot pass by naming what is gone."""
    assert all(_is_module(module) for module in SHARED)
    assert all(_is_module(f"backend.{name}") for name in (*DOMAINS, *ABOVE))


def test_a_circle_and_an_imported_module_are_seen() -> None:
    """The reader finds ``from a import b`` modules and the circle they make."""
    arrows = [
        ("backend.sync.service", "backend.ops.faults", "x:1"),
        ("backend.ops.admin", "backend.sync.changes", "x:2"),
        ("backend.live.publish", "backend.db.models", "x:3"),
        ("backend.accounts.service", "backend.live.publish", "x:4"),
        ("backend.live.router", "backend.accounts.auth", "x:5"),
    ]
    assert circles(arrows) == [["backend.ops", "backend.sync"]]
    found = backend_arrows()
    assert ("backend.app", "backend.http_errors") in {(i, t) for i, t, _ in found}


# --- size --------------------------------------------------------------------------------

MAX_FUNCTION_LINES = 60
LONG_FUNCTIONS = {
    "sync_protocol/js_constants.py:_constants": "the table of what the web app is given, "
    "one line per constant",
}
"""Functions allowed past :data:`MAX_FUNCTION_LINES`, each with its reason."""


def long_functions(root: Path, limit: int = MAX_FUNCTION_LINES) -> dict[str, int]:
    """Every function under ``root`` whose body, docstring left out, runs past ``limit``
    lines. Migrations are lists of DDL and are left out."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            first = node.body[0]
            has_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            start = (first.end_lineno or first.lineno) + 1 if has_doc else first.lineno
            lines = (node.end_lineno or node.lineno) - start + 1
            if lines > limit:
                found[f"{path.relative_to(root).as_posix()}:{node.name}"] = lines
    return found


def test_no_function_runs_past_a_screen_without_a_reason() -> None:
    found: dict[str, int] = {}
    for package_root in ("backend", "sync_protocol", "sync_client"):
        found |= {f"{package_root}/{k}": v for k, v in long_functions(ROOT / package_root).items()}
    assert set(found) - set(LONG_FUNCTIONS) == set(), found
    assert set(LONG_FUNCTIONS) <= set(found), "a listed function is short now: unlist it"


def test_a_long_function_is_seen(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(5))
    (tmp_path / "m.py").write_text(f'def five():\n    """A docstring is not counted."""\n{body}\n')
    assert long_functions(tmp_path, limit=5) == {}
    assert long_functions(tmp_path, limit=4) == {"m.py:five": 5}
