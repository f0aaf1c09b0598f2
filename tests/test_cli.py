"""The command line as a user runs it: ``kvfake serve`` and ``python -m kvfake`` in a subprocess.

Each test starts its own ``kvfake serve --port 0`` (a free port, read back from what it prints) and
talks to it over a raw socket the way redis-cli does (multibulk requests).  Stopping is checked three
ways (SIGINT, SIGTERM, a client's SHUTDOWN): exit status 0, "kvfake stopped.", clients disconnected,
the port free again.

Imports: stdlib, pytest, tests.support.raw.  Never: kvfake internals (only the installed entry).
"""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.support.raw import RawConnection

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LISTENING = re.compile(r"^kvfake \S+ listening on 127\.0\.0\.1:(\d+)$")


def kvfake(*args: str, timeout: float = 10) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kvfake", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


class Serve:
    """``kvfake serve --port 0`` in a subprocess; ``port`` is read from its first line."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "kvfake", "serve", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        self.first_line = self._line(10)
        match = LISTENING.match(self.first_line)
        assert match, f"unexpected first line {self.first_line!r}; stderr: {self.proc.stderr.read()}"
        self.port = int(match.group(1))

    def _line(self, timeout: float) -> str:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert ready, "kvfake serve printed nothing"
        return self.proc.stdout.readline().rstrip("\n")

    def finish(self, timeout: float = 5) -> tuple[int, str, str]:
        """Wait for the exit: (status, the rest of stdout, stderr)."""
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


@pytest.fixture
def serve():
    made = []

    def start(*args: str) -> Serve:
        made.append(Serve(*args))
        return made[-1]

    yield start
    for s in made:
        s.kill()


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT leftovers do not count
        try:
            s.bind(("127.0.0.1", port))
            s.listen(1)
        except OSError:
            return False
    return True


def test_serve_says_where_it_listens_and_answers_ping(serve):
    server = serve()
    with RawConnection("127.0.0.1", server.port) as conn:
        conn.send(b"*1\r\n$4\r\nPING\r\n")  # what redis-cli sends
        assert conn.reply() == b"+PONG\r\n"
        assert conn.call("ECHO", "hi") == b"$2\r\nhi\r\n"
    assert server.first_line.startswith("kvfake ") and f"127.0.0.1:{server.port}" in server.first_line


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signals_stop_cleanly_with_clients_connected(serve, sig):
    server = serve()
    idle = RawConnection("127.0.0.1", server.port)
    blocked = RawConnection("127.0.0.1", server.port)
    try:
        assert idle.call("SET", "k", "v") == b"+OK\r\n"
        blocked.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n")  # waits forever
        deadline = time.monotonic() + 5
        while b"blocked_clients:1\r\n" not in idle.call("INFO", "clients"):  # parked (another connection)
            assert time.monotonic() < deadline, "BLPOP never blocked"
            time.sleep(0.01)
        server.proc.send_signal(sig)
        status, out, err = server.finish()
        assert status == 0, err
        assert out.rstrip().endswith("kvfake stopped.") and "Traceback" not in err
        assert idle.closed(timeout=2) and blocked.closed(timeout=2)
    finally:
        idle.close()
        blocked.close()
    assert port_is_free(server.port)


def test_a_client_shutdown_stops_serve(serve):
    server = serve()
    other = RawConnection("127.0.0.1", server.port)
    try:
        with socket.create_connection(("127.0.0.1", server.port)) as s:
            s.sendall(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")
            s.settimeout(5)
            assert s.recv(100) == b""  # closed without a reply, as Redis
        status, out, err = server.finish()
        assert status == 0 and out.rstrip().endswith("kvfake stopped.")
        assert "User requested shutdown..." in err and "Traceback" not in err
        assert other.closed(timeout=2)
    finally:
        other.close()
    assert port_is_free(server.port)


@pytest.mark.skipif(shutil.which("redis-cli") is None, reason="redis-cli is not installed")
def test_redis_cli_shutdown_stops_serve(serve):
    server = serve()
    cli = subprocess.run(["redis-cli", "-p", str(server.port), "shutdown"], capture_output=True, text=True,
                         timeout=10)
    assert cli.returncode == 0 and cli.stdout == "", cli.stdout + cli.stderr
    status, out, _ = server.finish()
    assert status == 0 and out.rstrip().endswith("kvfake stopped.")


def test_port_already_taken_is_a_one_line_error(serve):
    server = serve()
    proc = kvfake("serve", "--port", str(server.port))
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith(f"kvfake: cannot listen on 127.0.0.1:{server.port}: ")


@pytest.mark.parametrize("port,message", [
    ("70000", "kvfake: --port must be between 0 and 65535"),
    ("-1", "kvfake: --port must be between 0 and 65535"),
    ("abc", "kvfake serve: error: argument --port: invalid int value: 'abc'"),
], ids=["too-big", "negative", "not-a-number"])
def test_bad_port_is_a_usage_error(port, message):
    proc = kvfake("serve", f"--port={port}")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.rstrip().splitlines()[-1] == message and "Traceback" not in proc.stderr


def test_version():
    proc = kvfake("--version")
    assert proc.returncode == 0 and re.fullmatch(r"kvfake \d+\.\d+\.\d+\S*\n", proc.stdout)
