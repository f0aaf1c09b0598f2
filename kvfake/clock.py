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
    """A clock tests can move: frozen, or following real time plus an offset.

    >>> clock = ManualClock(start=1_700_000_000)   # seconds since the epoch; frozen
    >>> clock.advance(1.5)
    >>> clock.now_ms()
    1700000001500

    ``frozen=False`` makes it tick with the system clock (``start=None`` then
    reads exactly like :class:`SystemClock`), so time travel and a running clock
    combine: ``advance()`` and ``set()`` shift the offset from real time,
    ``freeze()`` stops the clock where it is and ``unfreeze()`` lets it run on
    from there.  ``reset()`` goes back to how the clock was made.  A server
    made without a clock uses ``ManualClock(frozen=False)``.

    Reads take no lock: the state is one tuple ``(frozen_us | None, offset_ns)``
    replaced whole by the (locked) writers, so ``now_ms()`` on the command hot
    path is one attribute read and one ``time.time_ns()``.
    """

    def __init__(self, start: "float | _dt.datetime | None" = None, *, frozen: bool = True) -> None:
        self._lock = threading.Lock()
        self._listeners: list = []
        self._initial = (None if start is None else _to_us(start), frozen)
        self._state: tuple = (None, 0)
        self._restore_initial()

    def _restore_initial(self) -> None:
        start_us, frozen = self._initial
        if start_us is None:
            start_us = time.time_ns() // 1_000
            offset_ns = 0
        else:
            offset_ns = start_us * 1_000 - time.time_ns()
        self._state = (start_us if frozen else None, offset_ns)

    # -- reading (hot path, lock-free) -----------------------------------------

    def now_us(self) -> int:
        frozen_us, offset_ns = self._state
        if frozen_us is not None:
            return frozen_us
        return (time.time_ns() + offset_ns) // 1_000

    def now_ms(self) -> int:
        frozen_us, offset_ns = self._state
        if frozen_us is not None:
            return frozen_us // 1_000
        return (time.time_ns() + offset_ns) // 1_000_000

    def time(self) -> float:
        """Now, in seconds since the epoch."""
        return self.now_us() / 1_000_000

    def datetime(self) -> _dt.datetime:
        """Now, as an aware UTC datetime."""
        return _dt.datetime.fromtimestamp(self.now_us() / 1_000_000, _dt.timezone.utc)

    @property
    def frozen(self) -> bool:
        return self._state[0] is not None

    @property
    def offset(self) -> float:
        """Seconds between this clock and the system clock (0.0 for a fresh server clock)."""
        return (self.now_us() - time.time_ns() // 1_000) / 1_000_000

    # -- moving (thread-safe) --------------------------------------------------

    def _jump_to_us(self, when_us: int) -> None:
        # caller holds the lock; keeps the frozen/running mode
        if self._state[0] is not None:
            self._state = (when_us, self._state[1])
        else:
            self._state = (None, when_us * 1_000 - time.time_ns())

    def freeze(self) -> None:
        """Stop the clock at the current time."""
        with self._lock:
            self._state = (self.now_us(), self._state[1])

    def unfreeze(self) -> None:
        """Let the clock run with real time again, from its current value."""
        with self._lock:
            frozen_us = self._state[0]
            if frozen_us is not None:
                self._state = (None, frozen_us * 1_000 - time.time_ns())

    def advance(self, seconds: float) -> None:
        """Move time forward (or back, if negative) by ``seconds``; runs the listeners."""
        with self._lock:
            self._jump_to_us(self.now_us() + int(round(seconds * 1_000_000)))
        self._notify()

    def set(self, when: "float | _dt.datetime") -> None:
        """Jump to ``when``: seconds since the epoch or a datetime (naive = UTC); runs the listeners."""
        with self._lock:
            self._jump_to_us(_to_us(when))
        self._notify()

    def reset(self) -> None:
        """Back to the state the clock was made with (its ``start`` and ``frozen``); runs the listeners."""
        with self._lock:
            self._restore_initial()
        self._notify()

    def add_listener(self, callback) -> None:
        """Call ``callback()`` after each advance/set/reset (the server runs its expiry sweep)."""
        self._listeners.append(callback)

    def remove_listener(self, callback) -> None:
        try:
            self._listeners.remove(callback)
        except ValueError:
            pass

    def _notify(self) -> None:
        for callback in list(self._listeners):
            callback()

    def __repr__(self) -> str:
        mode = "frozen" if self.frozen else "running"
        return f"<ManualClock {self.datetime().isoformat()} {mode}>"
