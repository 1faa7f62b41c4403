"""The scene's camera: a turntable with a sane orbit speed, and framing helpers.

Framing works on projected node centres (canvas pixels), so what it promises is what the
user sees: :func:`fit` moves the orbit centre and distance until the given nodes fill the
canvas; :func:`keep_framed` only adjusts the distance (used while auto-orbiting, so the
net never leaves the frame side-on); :func:`eye` gives the camera's position in the scene,
so a fly-to can stay outside the net.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
from vispy import scene

from vis3d.gl.nodes import matrix_of


class OrbitCamera(scene.TurntableCamera):
    """A TurntableCamera whose drag turns ``degrees_per_px`` per pixel (VisPy's is 0.5)."""

    degrees_per_px = 0.3

    def _update_rotation(self, event):
        p1 = np.asarray(event.mouse_event.press_event.pos[:2], float)
        p2 = np.asarray(event.mouse_event.pos[:2], float)
        if self._event_value is None:
            self._event_value = self.azimuth, self.elevation
        d = (p2 - p1) * self.degrees_per_px
        self.azimuth = self._event_value[0] - d[0]
        self.elevation = float(np.clip(self._event_value[1] + d[1], -89.0, 89.0))

    @contextmanager
    def batch(self):
        """Several changes, one view update (each VisPy setter recomputes the transforms)."""
        prev, self._resetting = self._resetting, True
        try:
            yield self
        finally:
            self._resetting = prev
        self.view_changed()

    def set_distance(self, distance: float) -> None:
        """Distance, with VisPy's scale factor to match: panning (shift + drag) moves the
        scene by scale_factor per view width, so it must be the width seen at the centre."""
        with self.batch():
            self.distance = float(distance)
            self.scale_factor = 2.0 * self.distance * float(np.tan(np.radians(self.fov) / 2))


def project(node, pts: np.ndarray) -> np.ndarray:
    """(k, 2) canvas pixels of scene points, through ``node``'s visual->canvas transform."""
    tr = node.get_transform("visual", "canvas")
    q = tr.map(np.asarray(pts, np.float64))
    return q[:, :2] / q[:, 3:4]


def eye(node) -> np.ndarray:
    """The camera's position in the scene: where clip x, y and w all vanish."""
    m = matrix_of(node.get_transform("visual", "render"))  # row vectors: clip = [p, 1] @ m
    cols = [0, 1, 3]
    return np.linalg.solve(m[:3, cols].T, -m[3, cols])


def fit(cam: OrbitCamera, node, pts: np.ndarray, size, fill: float = 0.88, steps: int = 8) -> None:
    """Move the camera's centre and distance until ``pts`` fill ``fill`` of the canvas."""
    w, h = size
    for _ in range(steps):
        p = project(node, pts)
        span = np.maximum(p.max(0) - p.min(0), 1e-3)
        ratio = max(span[0] / (fill * w), span[1] / (fill * h))
        off = (p.max(0) + p.min(0)) / 2 - (w / 2, h / 2)
        if abs(ratio - 1) < 0.02 and np.all(np.abs(off) < 0.01 * w):
            break
        # Screen motion of the orbit centre per world unit along x, y, z: shift the centre
        # (least-norm) so that the middle of the points comes to the canvas middle.
        c = np.array(cam.center, np.float64)
        step = max(float(cam.distance) * 0.01, 1e-3)
        base = project(node, c[None])[0]
        jac = np.stack([(project(node, (c + step * e)[None])[0] - base) / step
                        for e in np.eye(3)], 1)
        cam.center = tuple(float(v) for v in c + np.linalg.pinv(jac) @ off)
        cam.set_distance(float(cam.distance) * ratio)


def keep_framed(cam: OrbitCamera, node, pts: np.ndarray, size, fill: float = 0.88) -> None:
    """Scale the distance so the points' projection, about the canvas middle, fits ``fill``."""
    w, h = size
    p = project(node, pts) - (w / 2, h / 2)
    need = max(np.abs(p[:, 0]).max() / (fill * w / 2), np.abs(p[:, 1]).max() / (fill * h / 2))
    if np.isfinite(need) and need > 0:
        cam.set_distance(float(cam.distance) * float(np.clip(need, 0.8, 1.25)))


def exit_distance(origin: np.ndarray, direction: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """How far from ``origin`` along ``direction`` a ray leaves the box [lo, hi] (0 if outside)."""
    d = np.where(np.abs(direction) < 1e-9, 1e-9, direction)
    t1, t2 = (lo - origin) / d, (hi - origin) / d
    t_far = float(np.min(np.maximum(t1, t2)))
    t_near = float(np.max(np.minimum(t1, t2)))
    return max(t_far, 0.0) if t_near <= 0.0 else 0.0
