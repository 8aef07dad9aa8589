"""Imports point one way (docs/architecture.md, Layers): ground < libraries < actors <
supervisor < CLI. Read from every module's source (AST), lazy imports inside functions included.

    python tests/test_layers.py      prints the package-level import graph
"""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("actors", "ops", "sandbox", "store", "supervisor")
LAYERS = ("ground", "library", "actors", "supervisor", "cli")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache  # the tree does not change during a run: read it once
def project_modules() -> dict[str, Path]:
    files = [ROOT / "supervisor.py"] + [p for top in PROJECT[:-1] for p in (ROOT / top).rglob("*.py")]
    return {module_name(p): p for p in files}


def imports_of(name: str, path: Path) -> set[str]:
    """The project modules `name` imports, anywhere in its source."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    modules = project_modules()
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1]) if node.level else ""
            target = ".".join(filter(None, [base, node.module]))
            # `from pkg import module` imports the module; `from module import name`, the module
            submodules = {f"{target}.{alias.name}" for alias in node.names} & set(modules)
            found.update(submodules or {target})
    return {t for t in found if t.split(".")[0] in PROJECT and t in modules and t != name}


def layer(name: str) -> str:
    top = name.split(".")[0]
    if name == "ops.ground" or name.startswith("ops.ground."):
        return "ground"
    if top in ("store", "sandbox"):
        return "library"
    return {"actors": "actors", "supervisor": "supervisor", "ops": "cli"}[top]


def package(name: str) -> str:
    """The node of the package-level graph: ops.ground, store, sandbox, actors.X, supervisor, ops.X."""
    parts = name.split(".")
    if parts[0] in ("store", "sandbox", "supervisor"):
        return parts[0]
    if parts[:2] == ["ops", "ground"]:
        return "ops.ground"
    return ".".join(parts[:2]) if len(parts) > 1 else parts[0]


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in project_modules().items():
        for target in imports_of(name, path):
            if package(target) != package(name):
                edges[package(name)].add(package(target))
    return edges


@functools.cache
def arrows() -> list[tuple[str, str]]:
    return [(name, target) for name, path in sorted(project_modules().items())
            for target in sorted(imports_of(name, path))]


@pytest.mark.unit
def test_the_reader_sees_the_imports():
    """The reader is what the other tests stand on: check it on arrows known to be there."""
    seen = set(arrows())
    assert ("store._store", "ops.ground.errors") in seen or ("store.errors", "ops.ground.errors") in seen
    assert ("actors.trainer.core", "actors.trainer.policy") in seen  # relative: from .policy import ...
    assert ("ops.cli", "ops.commands") in seen and ("supervisor", "actors.protocol") in seen
    assert len(project_modules()) > 100


@pytest.mark.unit
def test_no_layer_imports_one_above_it():
    up = [f"{a} ({layer(a)}) -> {b} ({layer(b)})" for a, b in arrows()
          if LAYERS.index(layer(b)) > LAYERS.index(layer(a))]
    assert not up, "imports must point down (ground < libraries < actors < supervisor < CLI): " + "; ".join(up)


@pytest.mark.unit
def test_the_ground_imports_nothing_of_the_project():
    bad = [f"{a} -> {b}" for a, b in arrows() if layer(a) == "ground" and layer(b) != "ground"]
    assert not bad, bad


@pytest.mark.unit
def test_store_and_sandbox_import_only_the_ground():
    bad = [f"{a} -> {b}" for a, b in arrows()
           if layer(a) == "library" and layer(b) != "ground" and package(b) != package(a)]
    assert not bad, "store and sandbox may import ops.ground only: " + "; ".join(bad)


@pytest.mark.process
def test_importing_the_libraries_loads_nothing_above_the_ground():
    """The same at run time, in a fresh interpreter: whatever the source says, importing store
    and sandbox loads no module of the actors, the supervisor or the CLI."""
    code = ("import sys, store, store.service, store.export, store.queries, sandbox\n"
            "print('\\n'.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('actors', 'ops', 'supervisor'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    loaded = set(out.split())
    assert loaded <= {"ops", "ops.ground", "ops.ground.config", "ops.ground.errors", "ops.ground.home"}, loaded


if __name__ == "__main__":
    for node, targets in sorted(graph().items()):
        print(f"{node:20s} -> {', '.join(sorted(targets))}")
