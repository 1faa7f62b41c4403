"""Pen-to-pixels latency of the real window: a stroke drawn with synthetic mouse events
at 60 Hz; each pen change is timed until the frame showing its activations is drawn."""

from __future__ import annotations

import time

import numpy as np
from PyQt5.QtCore import QEvent, QPoint, QPointF, Qt
from PyQt5.QtGui import QMouseEvent
from PyQt5.QtWidgets import QApplication


def _send(widget, kind, pos, buttons):
    ev = QMouseEvent(kind, QPointF(pos), Qt.LeftButton, buttons, Qt.NoModifier)
    QApplication.sendEvent(widget, ev)


def measure_pen_latency(window, moves: int = 240, hz: float = 60.0) -> dict:
    """Draw loops on the pad; return medians of pen change -> frame drawn, and tick times."""
    pad = window.inputs.pad
    window.inputs.set_source("pad")
    window.clock.latencies.clear()
    w, h = pad.width(), pad.height()
    centre, radius = np.array([w / 2, h / 2]), 0.3 * min(w, h)
    app = QApplication.instance()
    period = 1.0 / hz
    for stroke in range(4):
        pad.clear()
        t_next = time.perf_counter()
        for k in range(moves // 4):
            a = 2 * np.pi * k / (moves // 4)
            p = centre + radius * np.array([np.cos(a), np.sin(2 * a) * 0.6])
            pos = QPoint(int(p[0]), int(p[1]))
            if k == 0:
                _send(pad, QEvent.MouseButtonPress, pos, Qt.LeftButton)
            else:
                _send(pad, QEvent.MouseMove, pos, Qt.LeftButton)
            t_next += period
            while time.perf_counter() < t_next:
                app.processEvents()
        _send(pad, QEvent.MouseButtonRelease, pos, Qt.NoButton)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.01)
    lat = np.array(window.clock.latencies, float)
    return {"pen_latency_ms": float(np.median(lat)) if lat.size else float("nan"),
            "pen_latency_p90_ms": float(np.percentile(lat, 90)) if lat.size else float("nan"),
            "pen_frames": int(lat.size), "window_tick_ms": float(window.tick_ms)}
