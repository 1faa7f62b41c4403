"""Skip connections and branches: one thin arc per slab-to-slab link that is not simply the
next slab (``layout.links``), from the top of the source slab over to the top of the layer
reading it. Built once per model as short segments of quadratic Bezier curves and drawn by
the same screen-space quads as the hover edges: one draw call for the whole model."""

from __future__ import annotations

import numpy as np

from vis3d.gl.edges import Edges
from vis3d.scene.layout import links

ARC_RGBA = (0.55, 0.78, 1.0, 0.55)
SEGMENTS = 24


def arc_segments(layout, segments: int = SEGMENTS) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the arcs' segments, (M, 3) each; empty for a plain chain."""
    P = layout.positions
    starts, ends = [], []
    t = np.linspace(0.0, 1.0, segments + 1)[:, None]
    for i, j in links(layout.slabs):
        a, b = layout.slabs[i], layout.slabs[j]
        za = float(P[a.offset:a.offset + a.count, 2].max())
        zb = float(P[b.offset:b.offset + b.count, 2].max())
        p0 = np.array([a.x, a.y, za + a.pitch])
        p2 = np.array([b.x, b.y, zb + b.pitch])
        lift = max(za, zb) + 0.18 * abs(b.x - a.x) + 4.0
        p1 = np.array([(a.x + b.x) / 2, (a.y + b.y) / 2, lift])
        curve = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t ** 2 * p2
        starts.append(curve[:-1])
        ends.append(curve[1:])
    if not starts:
        return np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32)
    return np.concatenate(starts).astype(np.float32), np.concatenate(ends).astype(np.float32)


class Arcs:
    """The arcs of one layout, as a scene node (``visual``)."""

    def __init__(self, parent, width_px: float = 2.0):
        self.visual = Edges(parent=parent)
        self.width_px = width_px
        self.count = 0

    def set_layout(self, layout) -> None:
        s, e = arc_segments(layout)
        self.count = len(s) // SEGMENTS
        if len(s) == 0:
            self.visual.clear()
            return
        widths = np.full(len(s), self.width_px, np.float32)
        rgba = np.tile(np.asarray(ARC_RGBA, np.float32), (len(s), 1))
        self.visual.set_edges(s, e, widths, rgba)
