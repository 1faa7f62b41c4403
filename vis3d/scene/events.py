"""A minimal event system for the Qt-free session: named signals that call their listeners.

``Signal.emit`` calls every connected callable in connection order with the event's value.
Listeners that raise do not stop the others: the error is logged and the next one runs,
so one broken panel cannot freeze the scene. No Qt, no threads: emit on the thread that
changes the session (the GUI thread in the window).
"""

from __future__ import annotations

import logging
from typing import Any, Callable

log = logging.getLogger("vis3d.events")


class Signal:
    def __init__(self, name: str):
        self.name = name
        self._listeners: list[Callable[[Any], None]] = []
        self.emitted = 0  # how many times it fired (tests and benchmarks count work with it)

    def connect(self, fn: Callable[[Any], None]) -> Callable[[Any], None]:
        if fn not in self._listeners:
            self._listeners.append(fn)
        return fn

    def disconnect(self, fn: Callable[[Any], None]) -> None:
        if fn in self._listeners:
            self._listeners.remove(fn)

    def emit(self, value: Any = None) -> None:
        self.emitted += 1
        for fn in list(self._listeners):
            try:
                fn(value)
            except Exception:  # noqa: BLE001 - one listener must not break the others
                log.exception("listener %r of event '%s' failed", fn, self.name)

    def __repr__(self) -> str:
        return f"<Signal {self.name}: {len(self._listeners)} listeners>"


class Events:
    """A namespace of signals: ``events.result.connect(fn)``."""

    def __init__(self, *names: str):
        self._names = names
        for n in names:
            setattr(self, n, Signal(n))

    def add(self, *names: str) -> None:
        """More signals (a mixin adding its own events)."""
        for n in names:
            if n not in self._names:
                self._names = (*self._names, n)
                setattr(self, n, Signal(n))

    def __iter__(self):
        return (getattr(self, n) for n in self._names)
