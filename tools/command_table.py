"""Regenerate the command table in protocol_spec.md from the registry.

    python tools/command_table.py          # rewrite the table in place
    python tools/command_table.py --check  # exit 1 if it is out of date

The table lives between the markers ``<!-- command-table:begin -->`` and
``<!-- command-table:end -->``; tests/test_docs.py runs the check.
"""

from __future__ import annotations

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SPEC = ROOT / "protocol_spec.md"
BEGIN = "<!-- command-table:begin -->"
END = "<!-- command-table:end -->"


def render() -> str:
    sys.path.insert(0, str(ROOT))
    from kvfake.commands import TABLE

    rows = ["| command | arity | flags | keys (first, last, step) | group |", "|---|---|---|---|---|"]
    for spec in sorted(TABLE.all_specs(), key=lambda s: s.name):
        if spec.handler is None and spec.subcommands:
            continue  # implicit container: its subcommands are listed
        flags = " ".join(spec.flags) or "-"
        keys = f"{spec.first_key}, {spec.last_key}, {spec.step}"
        rows.append(f"| {spec.name.upper()} | {spec.arity} | {flags} | {keys} | {spec.group} |")
    count = sum(1 for s in TABLE.all_specs() if s.handler is not None)
    return f"{count} commands and subcommands.\n\n" + "\n".join(rows)


def main(argv: list) -> int:
    text = SPEC.read_text()
    head, sep, rest = text.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        print(f"markers not found in {SPEC}", file=sys.stderr)
        return 2
    new = f"{head}{BEGIN}\n{render()}\n{END}{tail}"
    if "--check" in argv:
        if new != text:
            print("protocol_spec.md command table is out of date: run python tools/command_table.py")
            return 1
        return 0
    SPEC.write_text(new)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
