"""The command table against Redis 7.0.15's recorded metadata, and handler signatures against arity.

Every registered command must have Redis's arity, flags (compared as sets, leaving out the flags
Redis never shows: may_replicate, sentinel, only_sentinel, protected) and first/last/step, so that
COMMAND INFO, arity errors and key extraction agree with the real server.
"""

from __future__ import annotations

import inspect

import pytest

from kvfake.commands import GROUPS, TABLE, meta
from kvfake.commands.registry import KNOWN_FLAGS

HIDDEN_FLAGS = {"may_replicate", "sentinel", "only_sentinel", "protected"}
RECORDED = meta.load()
SPECS = [spec for spec in TABLE.all_specs() if spec.handler is not None]
IDS = [spec.name for spec in SPECS]


def test_every_command_is_a_redis_command():
    assert [s.name for s in SPECS if s.name not in RECORDED] == []


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_arity_matches_redis(spec):
    assert spec.arity == RECORDED[spec.name]["arity"]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_flags_match_redis(spec):
    assert set(spec.flags) - HIDDEN_FLAGS == set(RECORDED[spec.name]["flags"])


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_key_positions_match_redis(spec):
    record = RECORDED[spec.name]
    assert (spec.first_key, spec.last_key, spec.step) == (
        record["first_key"], record["last_key"], record["step"])


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_flags_are_known(spec):
    assert set(spec.flags) <= KNOWN_FLAGS


def _positional(fn) -> tuple[int, bool]:
    """(number of positional parameters after ctx, whether there is *args)."""
    params = list(inspect.signature(fn).parameters.values())[1:]
    fixed = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    star = any(p.kind == p.VAR_POSITIONAL for p in params)
    return len(fixed), star


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_handler_signature_fits_arity(spec):
    # the handler gets every argument after the command name (a subcommand's name included)
    fixed, star = _positional(spec.handler)
    if spec.arity > 0:
        assert (fixed, star) == (spec.arity - 1, False)
    else:
        assert star, "a command of negative arity takes *args"
        assert fixed <= -spec.arity - 1


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_handler_has_a_redis_syntax_docstring(spec):
    doc = inspect.getdoc(spec.handler) or ""
    words = spec.name.upper().split("|")
    assert doc.split()[: len(words)] == words


def test_names_are_unique_across_groups():
    names = [spec.name for group in GROUPS for spec in group.specs]
    assert len(names) == len(set(names))


def test_subcommands_belong_to_their_container():
    for spec in TABLE.specs.values():
        for sub_name, sub in spec.subcommands.items():
            assert sub.name == f"{spec.name}|{sub_name.decode()}"


def test_implicit_containers_match_redis():
    for spec in TABLE.specs.values():
        if spec.subcommands and spec.handler is None:
            assert spec.arity == RECORDED[spec.name]["arity"]
