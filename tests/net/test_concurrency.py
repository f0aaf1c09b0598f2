"""Many clients at once, and the test thread writing the store while clients are served."""

from __future__ import annotations

import threading

from tests.support.raw import RawConnection
from tests.support.resp import OK, bulk, command


def test_200_concurrent_clients_pipelining(server):
    clients = [RawConnection(server.host, server.port) for _ in range(200)]
    try:
        for n, conn in enumerate(clients):
            conn.send(b"".join(command("SET", f"c{n}:{i}", f"{n}-{i}") for i in range(20)))
        for conn in clients:
            assert conn.replies(20) == [OK] * 20
        for n, conn in enumerate(clients):
            conn.send(b"".join(command("GET", f"c{n}:{i}") for i in range(20)))
        for n, conn in enumerate(clients):
            assert conn.replies(20) == [bulk(f"{n}-{i}".encode()) for i in range(20)]
    finally:
        for conn in clients:
            conn.close()
    assert server.store.dbsize(0) == 200 * 20


def test_test_thread_writes_while_clients_are_served(server):
    stop = threading.Event()
    problems = []

    def client_work(n):
        try:
            with RawConnection(server.host, server.port) as conn:
                for i in range(300):
                    assert conn.call("SET", f"k{n}", str(i)) == OK
                    assert conn.call("GET", f"k{n}") == bulk(str(i).encode())
        except Exception as exc:  # pragma: no cover - reported below
            problems.append(exc)

    threads = [threading.Thread(target=client_work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for i in range(2000):
        server.store.set(0, f"direct{i % 50}", str(i))
        assert server.store.get(0, f"direct{i % 50}") == str(i).encode()
    for t in threads:
        t.join()
    stop.set()
    assert not problems
    assert server.store.get(0, "direct49") == b"1999"
