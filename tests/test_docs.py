"""Docs are part of the feature: README examples run, the spec's command table is current.

Every ```python block of README.md runs: a block whose first line is
``# file: test_<name>.py`` is a pytest module run with ``pytester`` (so it uses
the installed plugin's fixtures); any other block is executed as a script.
"""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SPEC = ROOT / "protocol_spec.md"

FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
FILE_LINE = re.compile(r"^# file: (test_\w+\.py)\n")


def python_blocks() -> list:
    text = README.read_text()
    blocks = []
    for m in FENCE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        blocks.append(pytest.param(m.group(1), id=f"README.md:{line}"))
    return blocks


BLOCKS = python_blocks()


def test_readme_has_python_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("code", BLOCKS)
def test_readme_example_runs(code, pytester):
    m = FILE_LINE.match(code)
    if m is None:
        exec(compile(code, "README.md", "exec"), {"__name__": "readme_example"})
        return
    pytester.makepyfile(**{m.group(1)[:-3]: code})
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 1 and not outcomes.get("failed") and not outcomes.get("errors"), (
        result.stdout.str()
    )


def test_readme_states_the_suite_command():
    assert "pip install -e '.[test]' && python -m pytest -q" in README.read_text()


def test_ci_runs_the_readme_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pytest -q" in ci
    assert "KVFAKE_REQUIRE_REDIS=1" in ci


def test_command_table_in_spec_is_current():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "command_table.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr + "\nrun: python tools/command_table.py"


def test_every_registered_command_is_in_the_spec_table():
    from kvfake.commands import TABLE

    text = SPEC.read_text()
    missing = [
        s.name.upper() for s in TABLE.all_specs() if s.handler is not None and f"| {s.name.upper()} |" not in text
    ]
    assert not missing, missing
