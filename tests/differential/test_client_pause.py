"""CLIENT PAUSE / UNPAUSE vs real redis-server 7.0.15.

Errors and replies with one connection (``pair.check``); which commands a pause holds with two or
three connections (``Clients``): a held command gets no reply while the pause lasts (``quiet``) and
its reply, unchanged, once it ends (by its timeout or CLIENT UNPAUSE). Every script ends the pause
it started (the servers are shared by the whole session). Nothing is normalised.
"""

from __future__ import annotations

import pytest

from tests.support.clients import Clients

SCRIPTS = {
    "errors": [
        ["CLIENT", "PAUSE"], ["CLIENT", "PAUSE", "abc"], ["CLIENT", "PAUSE", "-1"], ["CLIENT", "PAUSE", "1.5"],
        ["CLIENT", "PAUSE", "", "WRITE"], ["CLIENT", "PAUSE", "10", "FOO"], ["CLIENT", "PAUSE", "abc", "FOO"],
        ["CLIENT", "PAUSE", "-1", "FOO"], ["CLIENT", "PAUSE", "10", "WRITE", "x"],
        ["CLIENT", "PAUSE", "9223372036854775808"], ["CLIENT", "PAUSE", "10", b"write\x00x"],
        ["CLIENT", "UNPAUSE", "x"], ["CLIENT", "UNPAUSE"],
    ],
    "accepted-forms": [
        ["CLIENT", "PAUSE", "0"], ["CLIENT", "PAUSE", "0", "write"], ["CLIENT", "PAUSE", "0", "ALL"],
        ["CLIENT", "UNPAUSE"], ["CLIENT", "UNPAUSE"], ["CLIENT", "PAUSE", "9223372036854775807"],
        ["CLIENT", "UNPAUSE"], ["PING"],
    ],
    "pause-inside-multi": [["MULTI"], ["CLIENT", "PAUSE", "1", "WRITE"], ["CLIENT", "UNPAUSE"], ["EXEC"]],
}


@pytest.mark.parametrize("name", SCRIPTS)
def test_client_pause(pair, name):
    pair.check(SCRIPTS[name], name=name)


HELD = 0.05    # no reply within this long: the command is held
PAUSE_MS = "300"
OVER = 0.35    # sleep this long: the pause is over

SCENARIOS = {
    "write-pause-holds-writes-only": [
        (0, ["CLIENT", "PAUSE", PAUSE_MS, "WRITE"]), (1, ["GET", "k"]), (1, ["EXISTS", "k"]),
        (1, ["PING"]), ("send", 1, ["SET", "k", "v"]), ("quiet", 1, HELD),
        (2, ["GET", "k"]), ("sleep", OVER), ("read", 1), (2, ["GET", "k"]),
    ],
    # PFCOUNT may write (it caches the cardinality): redis 7.0 flags it may_replicate
    "write-pause-holds-pfcount": [
        (0, ["CLIENT", "PAUSE", PAUSE_MS, "WRITE"]), ("send", 1, ["PFCOUNT", "h"]), ("quiet", 1, HELD),
        ("sleep", OVER), ("read", 1),
    ],
    "write-pause-rejections-are-not-held": [
        (0, ["CLIENT", "PAUSE", PAUSE_MS, "WRITE"]), (1, ["NOPE"]), (1, ["SET", "k"]), (1, ["CONFIG", "NOPE"]),
        (0, ["CLIENT", "UNPAUSE"]),
    ],
    "write-pause-multi": [
        (0, ["CLIENT", "PAUSE", PAUSE_MS, "WRITE"]), (1, ["MULTI"]), (1, ["GET", "k"]),
        ("send", 1, ["SET", "k", "v"]), ("quiet", 1, HELD), (0, ["CLIENT", "UNPAUSE"]), ("read", 1),
        (1, ["EXEC"]),
    ],
    "write-pause-holds-exec-with-writes": [
        (1, ["MULTI"]), (1, ["SET", "k", "v"]), (0, ["CLIENT", "PAUSE", PAUSE_MS, "WRITE"]),
        ("send", 1, ["EXEC"]), ("quiet", 1, HELD), (2, ["GET", "k"]), (0, ["CLIENT", "UNPAUSE"]),
        ("read", 1), (2, ["GET", "k"]),
    ],
    "write-pause-lets-read-only-exec-run": [
        (1, ["MULTI"]), (1, ["GET", "k"]), (0, ["CLIENT", "PAUSE", PAUSE_MS, "WRITE"]), (1, ["EXEC"]),
        (0, ["CLIENT", "UNPAUSE"]),
    ],
    "all-pause-holds-everything": [
        (0, ["CLIENT", "PAUSE", PAUSE_MS]), ("send", 1, ["PING"]), ("quiet", 1, HELD),
        ("send", 2, ["CLIENT", "UNPAUSE"]), ("quiet", 2, HELD), ("sleep", OVER), ("read", 1), ("read", 2),
    ],
    "all-pause-holds-the-pauser-too": [
        (0, ["CLIENT", "PAUSE", PAUSE_MS, "ALL"]), ("send", 0, ["PING"]), ("quiet", 0, HELD),
        ("sleep", OVER), ("read", 0),
    ],
    "unpause-releases-in-order": [
        (0, ["CLIENT", "PAUSE", "5000", "WRITE"]), ("send", 1, ["SET", "k", "1"]),
        ("send", 2, ["SET", "k", "2"]), ("send", 1, ["GET", "k"]), ("quiet", 1, HELD), ("quiet", 2, HELD),
        (0, ["CLIENT", "UNPAUSE"]), ("read", 1), ("read", 2), ("read", 1), (0, ["GET", "k"]),
    ],
    "pipelined-reads-wait-behind-a-held-write": [
        (0, ["CLIENT", "PAUSE", "5000", "WRITE"]), ("send", 1, ["GET", "k"]), ("send", 1, ["SET", "k", "2"]),
        ("send", 1, ["GET", "k"]), ("read", 1), ("quiet", 1, HELD), (0, ["CLIENT", "UNPAUSE"]), ("read", 1),
        ("read", 1),
    ],
    "a-pause-is-never-shortened-or-weakened": [
        (0, ["CLIENT", "PAUSE", PAUSE_MS, "WRITE"]), (0, ["CLIENT", "PAUSE", "1", "ALL"]), ("sleep", 0.05),
        ("send", 1, ["GET", "k"]), ("quiet", 1, HELD), ("sleep", OVER), ("read", 1),
    ],
    "a-monitor-is-not-paused": [
        (1, ["MONITOR"]), (0, ["CLIENT", "PAUSE", PAUSE_MS, "ALL"]), (1, ["PING"]), ("sleep", OVER),
    ],
    "killed-while-held": [
        (0, ["CLIENT", "SETNAME", "victim"]), (1, ["CLIENT", "PAUSE", "5000", "WRITE"]),
        ("send", 0, ["SET", "k", "v"]), ("quiet", 0, HELD), (1, ["CLIENT", "KILL", "TYPE", "normal"]),
        ("read", 0), (1, ["CLIENT", "UNPAUSE"]), (1, ["EXISTS", "k"]),
    ],
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_client_pause_holds(redis_server, kvfake_server, name):
    clients = Clients((redis_server, kvfake_server), 3)
    try:
        clients.run(SCENARIOS[name])
    finally:
        clients.close()
