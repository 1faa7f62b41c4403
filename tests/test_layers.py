"""The package's layers, enforced: what each part of vis3d/ may import, and file size.

  core = vis3d/model, vis3d/inputs, vis3d/scene   no Qt, no vispy, no vis3d.gl / .ui / .bench
  vis3d/gl                                         no Qt, no vis3d.ui
  vis3d.bench                                      imported only by vis3d/cli.py and vis3d/bench/
  any vis3d/**/*.py                                at most MAX_LINES lines (or listed in ALLOWED_LONG)

The static checks read every file with `ast`, so imports inside functions, relative imports
and importlib.import_module("...") / __import__("...") with a literal name all count.
The runtime check imports every core module in a fresh interpreter and looks at sys.modules.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "vis3d"

CORE = ("model", "inputs", "scene")
QT = ("PyQt5", "PyQt6", "PySide2", "PySide6")
RULES = {  # sub-package -> import prefixes it must not use
    **{core: (*QT, "vispy", "vis3d.gl", "vis3d.ui", "vis3d.bench") for core in CORE},
    "gl": (*QT, "vis3d.ui"),
}
BENCH_IMPORTERS = {"vis3d/cli.py"}  # besides vis3d/bench/ itself

MAX_LINES = 400
ALLOWED_LONG: dict[str, str] = {}  # "vis3d/x/y.py": "why it may stay longer"


@dataclass(frozen=True)
class Import:
    line: int
    names: tuple[str, ...]  # absolute module names this statement may bind (a, a.b for "from a import b")
    text: str


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_in(source: str, module: str, is_package: bool = False) -> list[Import]:
    """Every import in source, at any depth, with relative names made absolute."""
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = tuple(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = (target, *(f"{target}.{a.name}" for a in node.names if a.name != "*"))
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Name) and node.func.id == "__import__")
                   or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module"))):
            names = (node.args[0].value,)
        else:
            continue
        text = (ast.get_source_segment(source, node) or "").splitlines()[0] if source else ""
        found.append(Import(node.lineno, names, text))
    return found


def matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def sources() -> list[Path]:
    return sorted(PKG.rglob("*.py"))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def all_imports() -> dict[str, list[Import]]:
    return {rel(p): imports_in(p.read_text(encoding="utf-8"), module_name(p), p.name == "__init__.py")
            for p in sources()}


def test_the_walk_sees_the_whole_package():
    subpackages = {p.parent.name for p in sources() if p.parent != PKG}
    assert {*CORE, "gl", "ui", "bench", "commands"} <= subpackages, subpackages
    for core in CORE:
        assert len(list((PKG / core).glob("*.py"))) >= 3, f"vis3d/{core} looks empty"


def test_the_scanner_finds_nested_relative_and_dynamic_imports():
    src = textwrap.dedent("""
        import numpy as np
        def f():
            from PyQt5.QtWidgets import QApplication
            class C:
                def g(self):
                    from ..gl import nodes
                    from .. import bench
            import importlib
            importlib.import_module("vispy.app")
            __import__("vis3d.ui.app")
    """)
    got = {i.line: i.names for i in imports_in(src, "vis3d.scene.layout")}
    assert got[2] == ("numpy",)
    assert got[4] == ("PyQt5.QtWidgets", "PyQt5.QtWidgets.QApplication")
    assert got[7] == ("vis3d.gl", "vis3d.gl.nodes")
    assert got[8] == ("vis3d", "vis3d.bench")
    assert got[10] == ("vispy.app",) and got[11] == ("vis3d.ui.app",)
    # in a package's __init__, "from . import x" is relative to the package itself
    assert imports_in("from . import nets", "vis3d.model", is_package=True)[0].names[1] == "vis3d.model.nets"


def layer_violations() -> list[str]:
    bad = []
    for path, found in all_imports().items():
        sub = path.split("/")[1] if path.count("/") >= 2 else None
        forbidden = RULES.get(sub, ())
        for imp in found:
            for prefix in forbidden:
                if any(matches(n, prefix) for n in imp.names):
                    bad.append(f"{path}:{imp.line}: `{imp.text}` -- vis3d/{sub} must not import {prefix}")
                    break
    return bad


def test_core_and_gl_keep_to_their_layer():
    bad = layer_violations()
    assert not bad, "forbidden imports:\n" + "\n".join(bad)


def test_only_the_cli_imports_bench():
    bad = []
    for path, found in all_imports().items():
        if path in BENCH_IMPORTERS or path.startswith("vis3d/bench/"):
            continue
        for imp in found:
            if any(matches(n, "vis3d.bench") for n in imp.names):
                bad.append(f"{path}:{imp.line}: `{imp.text}` -- only vis3d/cli.py may import vis3d.bench")
    assert not bad, "\n".join(bad)


def test_importing_the_core_loads_neither_qt_nor_vispy():
    code = textwrap.dedent(f"""
        import importlib, json, pkgutil, sys
        watched = {[*QT, "vispy"]!r}
        out = {{"modules": [], "leaks": []}}
        for pkg_name in {[f"vis3d.{c}" for c in CORE]!r}:
            pkg = importlib.import_module(pkg_name)
            names = [pkg_name] + sorted(m.name for m in pkgutil.walk_packages(pkg.__path__, pkg_name + "."))
            for name in names:
                before = {{w for w in watched if w in sys.modules}}
                importlib.import_module(name)
                out["modules"].append(name)
                for w in watched:
                    if w in sys.modules and w not in before:
                        out["leaks"].append([name, w])
        print(json.dumps(out))
    """)
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.splitlines()[-1])
    expected = {module_name(p) for c in CORE for p in (PKG / c).rglob("*.py")}
    assert set(out["modules"]) == expected, set(out["modules"]) ^ expected
    assert not out["leaks"], "\n".join(f"importing {m} loaded {w}" for m, w in out["leaks"])


def test_no_source_file_is_too_long():
    sizes = {rel(p): len(p.read_text(encoding="utf-8").splitlines()) for p in sources()}
    long = {p: n for p, n in sizes.items() if n > MAX_LINES and p not in ALLOWED_LONG}
    stale = [p for p in ALLOWED_LONG if sizes.get(p, 0) <= MAX_LINES]
    assert not long, "over %d lines: %s" % (MAX_LINES, ", ".join(f"{p} ({n})" for p, n in sorted(long.items())))
    assert not stale, f"ALLOWED_LONG lists files that are gone or short now: {stale}"
