"""Time sources: the one place that reads the system clock.

A server owns one clock; every command reads ``now_ms()`` once (frozen for the
command's duration), so a command never sees two different times.  Tests use
:class:`ManualClock` to travel in time without sleeping.

Imports: nothing from kvfake.  Never: socket, selectors.
"""

from __future__ import annotations

import datetime as _dt
import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int: ...

    def now_us(self) -> int: ...


class SystemClock:
    """Wall-clock time (what Redis uses for expiry and TIME)."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def now_us(self) -> int:
        return time.time_ns() // 1_000


def _to_us(when: "float | int | _dt.datetime") -> int:
    if isinstance(when, _dt.datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=_dt.timezone.utc)
        return int(round(when.timestamp() * 1_000_000))
    return int(round(float(when) * 1_000_000))


class ManualClock:
    """A clock that moves only when told, or follows real time while unfrozen.

    >>> clock = ManualClock(start=1_700_000_000)   # seconds since the epoch
    >>> clock.advance(1.5)
    >>> clock.now_ms()
    1700000001500

    ``frozen=False`` makes it tick with real time from its current value, so
    time travel and a running clock can be combined (``freeze()`` / ``unfreeze()``).
    """

    def __init__(self, start: "float | _dt.datetime | None" = None, *, frozen: bool = True) -> None:
        self._lock = threading.Lock()
        self._base_us = _to_us(start) if start is not None else time.time_ns() // 1_000
        self._frozen = frozen
        self._anchor_ns = time.monotonic_ns()
        self._listeners: list = []

    def _now_us_locked(self) -> int:
        if self._frozen:
            return self._base_us
        return self._base_us + (time.monotonic_ns() - self._anchor_ns) // 1_000

    def now_us(self) -> int:
        with self._lock:
            return self._now_us_locked()

    def now_ms(self) -> int:
        return self.now_us() // 1_000

    @property
    def frozen(self) -> bool:
        return self._frozen

    def freeze(self) -> None:
        with self._lock:
            self._base_us = self._now_us_locked()
            self._frozen = True

    def unfreeze(self) -> None:
        with self._lock:
            self._base_us = self._now_us_locked()
            self._anchor_ns = time.monotonic_ns()
            self._frozen = False

    def advance(self, seconds: float) -> None:
        """Move time forward (or back, if negative) by ``seconds``."""
        with self._lock:
            self._base_us = self._now_us_locked() + int(round(seconds * 1_000_000))
            self._anchor_ns = time.monotonic_ns()
        self._notify()

    def set(self, when: "float | _dt.datetime") -> None:
        """Jump to ``when``: seconds since the epoch or a datetime (naive = UTC)."""
        with self._lock:
            self._base_us = _to_us(when)
            self._anchor_ns = time.monotonic_ns()
        self._notify()

    def add_listener(self, callback) -> None:
        """Call ``callback()`` after each advance/set (the server runs its expiry sweep)."""
        self._listeners.append(callback)

    def remove_listener(self, callback) -> None:
        try:
            self._listeners.remove(callback)
        except ValueError:
            pass

    def _notify(self) -> None:
        for callback in list(self._listeners):
            callback()
