"""Shared pieces of the GL visual tests."""

import numpy as np


def add_view(canvas, azimuth: float, elevation: float):
    from vispy import scene
    v = canvas.central_widget.add_view()
    v.camera = scene.TurntableCamera(fov=30, azimuth=azimuth, elevation=elevation, up="+z",
                                     center=(0, 0, 0), distance=40)
    return v


def red_blue_lut():
    """0 -> pure red, 1 -> pure blue (linear in between)."""
    t = np.linspace(0, 1, 256, dtype=np.float32)[:, None]
    return np.concatenate([1 - t, 0 * t, t, np.ones_like(t)], 1).astype(np.float32)
