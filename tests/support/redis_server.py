"""Start and stop a real ``redis-server`` on a free loopback port: the truth that kvfake is compared with.

Use it through the session-scoped fixtures in ``tests/differential/conftest.py``; directly::

    server = start_redis()                           # skips the test if redis-server is not installed
    try:
        with RawConnection(server.host, server.port) as conn:
            assert conn.call("PING") == b"+PONG\\r\\n"
    finally:
        server.stop()

    secured = start_redis(requirepass="s3cret")      # --requirepass; readiness is checked with AUTH

The server runs in the foreground of a child process (``--daemonize no``) with ``--save ''
--appendonly no`` and its own temporary ``--dir``, so nothing is written where the tests run. Readiness is
"PING answers" (polled every 10 ms up to ``timeout``); a server that exits early (port taken between our
probe and its bind) is retried on another port. ``server.version`` is ``redis_version`` from ``INFO server``.

Binary missing: ``pytest.skip`` — or ``pytest.fail`` when ``KVFAKE_REQUIRE_REDIS=1`` (CI sets it, so the
differential suite can never silently vanish). ``KVFAKE_REDIS_SERVER`` overrides the binary's path.

Imports: stdlib, pytest, tests.support.raw, tests.support.resp.  Never: kvfake.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from tests.support.raw import RawConnection
from tests.support.resp import command

__all__ = ["RedisServer", "start_redis", "find_redis_binary", "binary_version", "free_port"]

REQUIRE_ENV = "KVFAKE_REQUIRE_REDIS"
BINARY_ENV = "KVFAKE_REDIS_SERVER"


def find_redis_binary() -> str | None:
    """Path of the redis-server binary, or None."""
    return os.environ.get(BINARY_ENV) or shutil.which("redis-server")


def require_redis_binary() -> str:
    """The binary's path; otherwise skip the test (or fail it when KVFAKE_REQUIRE_REDIS=1)."""
    binary = find_redis_binary()
    if binary and os.access(binary, os.X_OK):
        return binary
    message = "redis-server not found (install redis-server, or set KVFAKE_REDIS_SERVER)"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{message}; {REQUIRE_ENV}=1 demands it", pytrace=False)
    pytest.skip(message)
    raise AssertionError("unreachable")


def binary_version() -> str | None:
    """``redis-server --version``'s first line (for the pytest header), or None without the binary."""
    binary = find_redis_binary()
    if not binary:
        return None
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip().splitlines()[0] if out.strip() else None


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free on ``host`` a moment ago (bind to 0, read it back, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class RedisServer:
    """One ``redis-server`` child process. ``start()`` returns once PING answers; ``stop()`` terminates
    it and waits. Attributes: ``host``, ``port``, ``version``, ``requirepass``, ``url``."""

    def __init__(self, *extra_args: str, requirepass: str | None = None, binary: str | None = None,
                 host: str = "127.0.0.1", timeout: float = 10.0) -> None:
        self.extra_args = list(extra_args)
        self.requirepass = requirepass
        self.binary = binary
        self.host = host
        self.timeout = timeout
        self.port: int | None = None
        self.version: str | None = None
        self.proc: subprocess.Popen | None = None
        self._dir: str | None = None
        self._log = None

    def __repr__(self) -> str:
        return f"RedisServer({self.host}:{self.port}, version={self.version})"

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        auth = f":{self.requirepass}@" if self.requirepass else ""
        return f"redis://{auth}{self.host}:{self.port}/0"

    def start(self) -> "RedisServer":
        binary = self.binary or require_redis_binary()
        self._dir = tempfile.mkdtemp(prefix="kvfake-redis-")
        last_error = ""
        for _attempt in range(5):
            self.port = free_port(self.host)
            args = [binary, "--port", str(self.port), "--bind", self.host, "--save", "",
                    "--appendonly", "no", "--daemonize", "no", "--dir", self._dir]
            if self.requirepass is not None:
                args += ["--requirepass", self.requirepass]
            args += self.extra_args
            self._log = open(os.path.join(self._dir, "redis.log"), "w+b")
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log,
                                         stderr=subprocess.STDOUT)
            try:
                self._wait_ready()
                return self
            except _EarlyExit as e:          # most likely the port was taken meanwhile: try another
                last_error = str(e)
                self._reap()
        self.stop()
        raise RuntimeError(f"redis-server did not start: {last_error}")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            if self.proc.poll() is not None:
                raise _EarlyExit(f"exit code {self.proc.returncode}; log:\n{self.log_tail()}")
            try:
                with RawConnection(self.host, self.port, timeout=2) as conn:
                    if self.requirepass is not None:
                        conn.send(command("AUTH", self.requirepass))
                        conn.reply()
                    if conn.call("PING") == b"+PONG\r\n":
                        info = conn.call("INFO", "server")
                        self.version = _info_field(info, b"redis_version")
                        return
            except (OSError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server on port {self.port} not ready after {self.timeout}s")
            time.sleep(0.01)

    def log_tail(self, limit: int = 2000) -> str:
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read()[-limit:].decode("utf-8", "replace")

    def _reap(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self) -> None:
        """Terminate the server and wait for it (idempotent); remove its directory."""
        self._reap()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


class _EarlyExit(Exception):
    pass


def _info_field(info_raw: bytes, field: bytes) -> str | None:
    for line in info_raw.split(b"\r\n"):
        if line.startswith(field + b":"):
            return line.split(b":", 1)[1].decode()
    return None


def start_redis(*extra_args: str, requirepass: str | None = None, timeout: float = 10.0) -> RedisServer:
    """Start a real redis-server (skip/fail as described above when it is absent); caller stops it."""
    return RedisServer(*extra_args, requirepass=requirepass, timeout=timeout).start()
