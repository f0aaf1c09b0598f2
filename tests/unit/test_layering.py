"""Import layering of kvfake (STYLE.md section 7), checked by parsing every module with ``ast``.

A module may import kvfake modules of its own layer or a lower one:

    L0  errors clock session config journal protocol.replies store.values store.glob store.hll store.zset
    L1  protocol.* (parser inline encoder)  store.* (database store, and any new store module)  faults
    L2  commands.*
    L3  dispatch
    L4  net.*
    L5  kvfake (package) cli __main__ pytest_plugin

Placement beyond STYLE.md's table: a module of protocol/, store/, commands/ or net/ takes its package's
layer unless it is named in a lower one; ``config``, ``journal``, ``store.hll`` and ``store.zset`` import
only L0 modules and sit in L0; ``faults`` uses the encoder and sits in L1. Any other new top-level module
must be placed here deliberately (the test names it).

Further rules: protocol/ and store/ never import each other; commands/ never imports the encoder, the
parser or net/; pytest_plugin imports only kvfake's public API (the package itself). Only net/ and
pytest_plugin may touch sockets or start threads: ``socket``, ``selectors``, ``select``, ``socketserver``,
``asyncio`` and ``threading.Thread``/``Timer`` (locks and events from ``threading`` are fine: Store owns
an RLock).

Imports: stdlib, pytest.  Never: kvfake (the modules are read as text, not imported).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "kvfake"

LAYERS = {
    0: ["errors", "clock", "session", "config", "journal",
        "protocol.replies", "store.values", "store.glob", "store.hll", "store.zset"],
    1: ["protocol", "protocol.*", "store", "store.*", "faults"],
    2: ["commands", "commands.*"],
    3: ["dispatch"],
    4: ["net", "net.*"],
    5: ["", "cli", "__main__", "pytest_plugin", "conformance", "conformance.*"],
}

# same-layer (or any-layer) imports that are still forbidden: (importer prefix, imported prefix)
FORBIDDEN = [("protocol", "store"), ("store", "protocol"), ("commands", "protocol.encoder"),
             ("commands", "protocol.parser"), ("commands", "net"), ("store", "commands"), ("protocol", "commands")]

IO_MODULES = {"socket", "selectors", "select", "socketserver", "asyncio"}
THREAD_NAMES = {"Thread", "Timer"}
IO_ALLOWED = ("net", "net.*", "pytest_plugin", "conformance.runner")  # the runner is a TCP client
PUBLIC_API_ONLY = {"pytest_plugin"}


def module_name(path: Path) -> str:
    """'' for kvfake/__init__.py, 'store' for kvfake/store/__init__.py, 'store.glob' for store/glob.py."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def matches(name: str, pattern: str) -> bool:
    """``pattern`` is a module name, or ``package.*`` for the package and everything in it."""
    if pattern.endswith(".*"):
        return under(name, pattern[:-2])
    return name == pattern


def dotted(name: str) -> str:
    return f"kvfake.{name}" if name else "kvfake"


def layer_of(name: str) -> int | None:
    """The layer of a module: a name listed exactly wins over a ``package.*`` pattern."""
    for exact in (True, False):
        for layer, patterns in LAYERS.items():
            if any(p.endswith(".*") != exact and matches(name, p) for p in patterns):
                return layer
    return None


def under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def is_package(name: str) -> bool:
    return (ROOT.joinpath(*name.split(".")) / "__init__.py").exists() if name else True


def exists(name: str) -> bool:
    return is_package(name) or ROOT.joinpath(*name.split(".")).with_suffix(".py").exists()


def imports(name: str, tree: ast.AST) -> list[tuple[int, str, str]]:
    """(line, imported name, as written) for every import: kvfake ones as names relative to kvfake
    ('' is the package itself), others with a leading '!' ('!socket', '!threading.Thread')."""
    found = []
    package = name if is_package(name) else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "kvfake" or alias.name.startswith("kvfake."):
                    found.append((node.lineno, alias.name[7:], f"import {alias.name}"))
                else:
                    found.append((node.lineno, "!" + alias.name, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:                      # relative: resolve against the importing package
                base = package.split(".") if package else []
                base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(base + ([node.module] if node.module else []))
                written = "." * node.level + (node.module or "")
            elif node.module == "kvfake" or node.module.startswith("kvfake."):
                target, written = node.module[7:], node.module
            else:
                for alias in node.names:
                    found.append((node.lineno, f"!{node.module}.{alias.name}",
                                  f"from {node.module} import {alias.name}"))
                continue
            for alias in node.names:            # `from kvfake.commands import meta` imports a submodule
                sub = f"{target}.{alias.name}" if target else alias.name
                found.append((node.lineno, sub if exists(sub) else target,
                              f"from {written} import {alias.name}"))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "threading" and node.attr in THREAD_NAMES:
                found.append((node.lineno, f"!threading.{node.attr}", f"threading.{node.attr}"))
    return found


def violations(name: str, source: str) -> list[str]:
    """Every broken rule of module ``name`` (relative to kvfake) whose text is ``source``."""
    shown = dotted(name)
    own = layer_of(name)
    if own is None:
        return [f"{shown}: not in the layer table of tests/unit/test_layering.py; place it in a layer"]
    problems = []
    io_ok = any(matches(name, p) for p in IO_ALLOWED)
    for line, target, written in imports(name, ast.parse(source)):
        where = f"{shown} (line {line}): `{written}`"
        if target.startswith("!"):
            mod = target[1:]
            if not io_ok and (mod.split(".")[0] in IO_MODULES or mod in {f"threading.{t}" for t in THREAD_NAMES}):
                problems.append(f"{where}: only kvfake.net.* and kvfake.pytest_plugin may use {mod}")
            continue
        theirs = layer_of(target)
        if theirs is None:
            problems.append(f"{where}: imports {dotted(target)}, which is not in the layer table")
        elif theirs > own:
            problems.append(f"{where}: L{own} module imports L{theirs} module {dotted(target)}")
        if name in PUBLIC_API_ONLY and target:
            problems.append(f"{where}: {shown} may import only kvfake's public API (`from kvfake import ...`)")
        for low, high in FORBIDDEN:
            if under(name, low) and target and under(target, high):
                problems.append(f"{where}: {low}/ must never import {high}")
    return list(dict.fromkeys(problems))


MODULES = sorted(ROOT.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(ROOT.parent)) for p in MODULES])
def test_module_respects_layering(path):
    problems = violations(module_name(path), path.read_text(encoding="utf-8"))
    assert not problems, "\n".join(problems)


def test_every_layered_module_exists():
    names = {module_name(p) for p in MODULES}
    stale = [p for patterns in LAYERS.values() for p in patterns
             if not p.endswith(".*") and p not in names]
    assert not stale, f"layer table names modules that do not exist: {stale}"


# The checker itself: each rule catches a violation (so the tests above can fail).
BAD = [
    ("store.database", "from kvfake.commands.args import parse_int",
     "L1 module imports L2 module kvfake.commands.args"),
    ("errors", "import kvfake.store", "L0 module imports L1 module kvfake.store"),
    ("commands.keys", "from kvfake import dispatch", "L2 module imports L3 module kvfake.dispatch"),
    ("commands.keys", "from ..dispatch import Dispatcher", "L2 module imports L3 module kvfake.dispatch"),
    ("dispatch", "from kvfake.net import server", "L3 module imports L4 module kvfake.net.server"),
    ("net.loop", "from kvfake import Server", "L4 module imports L5 module kvfake"),
    ("protocol.parser", "from kvfake.store.store import Store", "protocol/ must never import store"),
    ("store.store", "from kvfake.protocol.parser import RequestParser", "store/ must never import protocol"),
    ("commands.strings", "from kvfake.protocol.encoder import encode", "commands/ must never import protocol.encoder"),
    ("store.store", "import socket", "may use socket"),
    ("dispatch", "from selectors import DefaultSelector", "may use selectors"),
    ("store.store", "import threading\nthreading.Thread(target=print).start()", "may use threading.Thread"),
    ("cli", "from threading import Thread", "may use threading.Thread"),
    ("commands.server", "def f():\n    import asyncio", "may use asyncio"),
    ("pytest_plugin", "from kvfake.net.server import Server", "may import only kvfake's public API"),
    ("nosuch", "", "not in the layer table"),
    ("dispatch", "from kvfake.nosuch import x", "imports kvfake.nosuch, which is not in the layer table"),
]


@pytest.mark.parametrize("name,source,message", BAD,
                         ids=[f"{n}:{(s.splitlines() or ['empty'])[-1].strip()}" for n, s, _ in BAD])
def test_checker_reports(name, source, message):
    problems = violations(name, source)
    assert any(message in p for p in problems), problems


GOOD = [
    ("store.store", "import threading\nlock = threading.RLock()\nevent = threading.Event()"),
    ("net.server", "import socket, threading\nthreading.Thread(target=print)"),
    ("pytest_plugin", "import socket\nfrom kvfake import Server"),
    ("commands.keys", "from kvfake.store.glob import matcher\nfrom kvfake.protocol.replies import OK"),
    ("commands.connection", "from kvfake.commands import meta\nfrom . import args"),
    ("dispatch", "from kvfake.commands import TABLE\nfrom kvfake.store import Store"),
    ("", "from kvfake.net.server import Server\nfrom kvfake.store import Store"),
]


@pytest.mark.parametrize("name,source", GOOD, ids=[n or "kvfake" for n, _ in GOOD])
def test_checker_accepts(name, source):
    assert violations(name, source) == []
