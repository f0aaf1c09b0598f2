"""The servers the benchmark measures, started and stopped by the benchmark itself.

Targets (all on 127.0.0.1, on free ports picked in 20000-32000, never 6379):

  kvfake            ``python -m kvfake serve --port P`` as a child process (this working tree)
  kvfake-thread     ``kvfake.Server()`` in a thread of the bench process, as a pytest fixture
                    runs it: client and server share one interpreter and one GIL
  redis             ``redis-server --save '' --appendonly no`` (when the binary is present)
  fakeredis-tcp     ``fakeredis.TcpFakeServer`` in a child process (``python bench/targets.py
                    serve-fakeredis --port P``)
  fakeredis-thread  ``fakeredis.TcpFakeServer`` in a thread of the bench process
  fakeredis-inproc  ``fakeredis.FakeRedis()``: no socket at all (latency, pipeline, fixture)
  pong              bench/pong_server.py: +PONG to every request, the pure-Python ceiling

Every child is started without a shell, registered, and stopped by its PID (SIGTERM, then
SIGKILL after a timeout) when it is done, at exit, and on SIGTERM/SIGINT/SIGHUP.  Thread
servers are registered the same way.

Imports: stdlib; kvfake, fakeredis and redis lazily (only the targets that use them).
Never: anything that stops a process it did not start.
"""

from __future__ import annotations

import atexit
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import wire

HOST = "127.0.0.1"
PY = sys.executable
BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH_DIR)


def _binary(name: str) -> "str | None":
    """Debian's binary first (a pip package can shadow redis-server on PATH); env var overrides."""
    env = os.environ.get("KVFAKE_" + name.upper().replace("-", "_"))
    if env:
        return env
    if os.path.exists(f"/usr/bin/{name}"):
        return f"/usr/bin/{name}"
    return shutil.which(name)


REDIS_SERVER = _binary("redis-server")
REDIS_BENCHMARK = _binary("redis-benchmark")

# -- cleanup -----------------------------------------------------------------------------

_CHILDREN: "dict[int, subprocess.Popen]" = {}
_THREAD_SERVERS: "list" = []
_WORKDIR: "list[str]" = []  # created on first use: the children's cwd and log files
_installed = False


def workdir() -> str:
    if not _WORKDIR:
        _WORKDIR.append(tempfile.mkdtemp(prefix="kvfake-bench-"))
        atexit.register(shutil.rmtree, _WORKDIR[0], True)
    return _WORKDIR[0]


def track(proc: subprocess.Popen) -> subprocess.Popen:
    """Register a child so that cleanup stops it (redis-benchmark runs use this)."""
    _CHILDREN[proc.pid] = proc
    return proc


def untrack(proc: subprocess.Popen) -> None:
    _CHILDREN.pop(proc.pid, None)


def stop_process(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    """SIGTERM this child by PID; SIGKILL it if it is still there after ``timeout``.

    Polls every 0.5 ms (``Popen.wait(timeout)`` sleeps up to 50 ms, which would swamp stop times).
    """
    if proc.poll() is None:
        try:
            os.kill(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.perf_counter() + timeout
        while proc.poll() is None and time.perf_counter() < deadline:
            time.sleep(0.0005)
        if proc.poll() is None:
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout)
    _CHILDREN.pop(proc.pid, None)


def _stop_thread_servers() -> None:
    for target in list(_THREAD_SERVERS):
        try:
            target.stop()
        except Exception:  # noqa: BLE001 - cleanup must go on
            pass


def cleanup() -> None:
    _stop_thread_servers()
    for proc in list(_CHILDREN.values()):
        try:
            stop_process(proc, 3.0)
        except Exception:  # noqa: BLE001
            pass
    if _WORKDIR:
        shutil.rmtree(_WORKDIR[0], ignore_errors=True)


def _on_signal(signum, _frame) -> None:
    cleanup()
    os._exit(128 + signum)


def install_cleanup() -> None:
    """Stop every started server at exit and on SIGTERM / SIGINT / SIGHUP."""
    global _installed
    if _installed:
        return
    _installed = True
    atexit.register(cleanup)
    # fakeredis's handler threads are not daemons: stop thread servers before the interpreter
    # waits for non-daemon threads (which happens before atexit handlers run)
    register_early = getattr(threading, "_register_atexit", None)
    if register_early is not None:
        register_early(_stop_thread_servers)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _on_signal)


def raise_fd_limit(wanted: int) -> int:
    """Raise this process's open-file soft limit (children inherit it); return the limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    return soft


_rng = random.Random()


def free_port() -> int:
    """A port in 20000-32000 (below Linux's ephemeral range, so client sockets do not take it)."""
    for _ in range(2000):
        port = _rng.randrange(20000, 32000)
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((HOST, port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port in 20000-32000")


def _cpu_of(pid: "int | str") -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: "int | str") -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def redis_client(port: int):
    import redis

    return redis.Redis(host=HOST, port=port, protocol=2, socket_timeout=120, socket_connect_timeout=5)


# -- targets -------------------------------------------------------------------------------


class Target:
    """A server to measure.  ``port`` is None for in-process targets (no socket)."""

    kind = "process"
    ping_only = False

    def __init__(self, name: str) -> None:
        self.name = name
        self.port: "int | None" = None

    def start(self) -> "Target":
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def alive(self) -> bool:
        return True

    def cpu_seconds(self) -> "float | None":
        """User+system CPU of the process serving (for a thread target: the whole bench process)."""
        return _cpu_of("self")

    def client(self):
        """A redis-py client speaking RESP2 (or a fakeredis client for in-process targets)."""
        return redis_client(self.port)

    def __repr__(self) -> str:
        return f"<{self.name} port={self.port}>"


class ProcessTarget(Target):
    def __init__(self, name: str, argv, *, ping_only: bool = False, env: "dict | None" = None) -> None:
        super().__init__(name)
        self.argv = argv  # callable(port) -> list[str]
        self.ping_only = ping_only
        self.env = env
        self.proc: "subprocess.Popen | None" = None

    def spawn(self) -> subprocess.Popen:
        """Start the child on a free port without waiting for it (fixture timing uses this)."""
        self.port = free_port()
        env = dict(os.environ)
        env.update(self.env or {})
        log = open(os.path.join(workdir(), f"{self.name}-{self.port}.log"), "wb")
        try:
            self.proc = subprocess.Popen(
                self.argv(self.port), cwd=workdir(), env=env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT,
            )
        finally:
            log.close()
        _CHILDREN[self.proc.pid] = self.proc
        return self.proc

    def start(self) -> "ProcessTarget":
        self.spawn()
        try:
            wire.wait_ping(self.port, deadline_s=30, alive=self.alive)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu_seconds(self) -> "float | None":
        try:
            return _cpu_of(self.proc.pid)
        except (OSError, AttributeError):
            return None

    def rss(self) -> int:
        return rss_bytes(self.proc.pid)


class KvfakeThread(Target):
    """kvfake.Server in a thread of this process: what the pytest fixture does."""

    kind = "thread"

    def __init__(self, name: str = "kvfake-thread") -> None:
        super().__init__(name)
        self.server = None

    def start(self) -> "KvfakeThread":
        import kvfake

        self.server = kvfake.Server(HOST, 0).start()
        self.port = self.server.port
        _THREAD_SERVERS.append(self)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self in _THREAD_SERVERS:
            _THREAD_SERVERS.remove(self)


class FakeredisThread(Target):
    """fakeredis.TcpFakeServer + serve_forever in a thread, as a fixture around it would run."""

    kind = "thread"

    def __init__(self, name: str = "fakeredis-thread") -> None:
        super().__init__(name)
        self.srv = None
        self.thread = None

    def start(self) -> "FakeredisThread":
        from fakeredis import TcpFakeServer

        self.port = free_port()
        self.srv = TcpFakeServer((HOST, self.port), server_type="redis")
        self.thread = threading.Thread(target=self.srv.serve_forever, name=self.name, daemon=True)
        self.thread.start()
        _THREAD_SERVERS.append(self)
        return self

    def stop(self) -> None:
        if self.srv is not None:
            self.srv.shutdown()  # waits for serve_forever's poll (0.5 s by default)
            self.srv.server_close()  # joins the handler threads
            self.thread.join(10)
            self.srv = self.thread = None
        if self in _THREAD_SERVERS:
            _THREAD_SERVERS.remove(self)


class FakeredisInproc(Target):
    """fakeredis.FakeRedis(): no server, no socket; the client is the fake."""

    kind = "inproc"

    def __init__(self, name: str = "fakeredis-inproc") -> None:
        super().__init__(name)

    def start(self) -> "FakeredisInproc":
        return self

    def stop(self) -> None:
        pass

    def client(self):
        import fakeredis

        return fakeredis.FakeRedis(protocol=2)


def _pythonpath() -> dict:
    old = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": REPO + (os.pathsep + old if old else "")}


def _redis_argv(port: int) -> list:
    return [REDIS_SERVER, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--loglevel", "warning", "--protected-mode", "no"]


def make(name: str) -> Target:
    """A new, not yet started target by name (see ALL)."""
    if name == "kvfake":
        return ProcessTarget(name, lambda p: [PY, "-m", "kvfake", "serve", "--port", str(p)], env=_pythonpath())
    if name == "kvfake-thread":
        return KvfakeThread(name)
    if name == "redis":
        return ProcessTarget(name, _redis_argv)
    if name == "fakeredis-tcp":
        script = os.path.join(BENCH_DIR, "targets.py")
        return ProcessTarget(name, lambda p: [PY, script, "serve-fakeredis", "--port", str(p)])
    if name == "fakeredis-thread":
        return FakeredisThread(name)
    if name == "fakeredis-inproc":
        return FakeredisInproc(name)
    if name == "pong":
        script = os.path.join(BENCH_DIR, "pong_server.py")
        return ProcessTarget(name, lambda p: [PY, script, "--port", str(p)], ping_only=True)
    raise KeyError(name)


ALL = ["kvfake", "kvfake-thread", "redis", "fakeredis-tcp", "fakeredis-thread", "fakeredis-inproc", "pong"]


def missing(name: str) -> "str | None":
    """Why target ``name`` cannot run here, or None."""
    if name == "redis" and not REDIS_SERVER:
        return "redis-server not found"
    if name.startswith("fakeredis"):
        try:
            import fakeredis  # noqa: F401
        except ImportError:
            return "fakeredis not installed (pip install -e '.[bench]')"
    return None


# -- helper server run as a child -----------------------------------------------------------


def serve_fakeredis(port: int) -> None:
    from fakeredis import TcpFakeServer

    srv = TcpFakeServer((HOST, port), server_type="redis")

    def _term(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _term)
    try:
        srv.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass
    finally:
        srv._shutdown_event.set()  # lets the handler threads leave their loops
        srv.server_close()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="helper servers for bench/run.py")
    parser.add_argument("what", choices=["serve-fakeredis"])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    serve_fakeredis(args.port)
