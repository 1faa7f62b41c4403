"""Which node is under a pixel: CPU projection of all node centres, cached per camera.

Every pick projects the node centres with the scene's current visual->render matrix
(a 4x4 read from VisPy's transform chain) unless that matrix and the canvas size are
unchanged since the last pick; then it is a vectorised distance test against each
node's projected radius and the front-most (smallest depth) hit wins. Measured
against rendering ids into a crop (see vis3d.bench.render.bench_pick): far cheaper on a
software renderer, which would have to run the vertex stage for every node.
"""

from __future__ import annotations

import numpy as np

from vis3d.gl.nodes import matrix_of

def _transforms(source):
    """(visual->render transform, render->canvas transform) from a node, a ViewBox or a pair."""
    if isinstance(source, tuple):
        return source
    node = getattr(source, "scene", source)  # a ViewBox: use its scene node
    return node.get_transform("visual", "render"), node.get_transform("render", "canvas")


class NodePicker:
    """pick(source, x, y, canvas_size) -> index of the front-most node under (x, y), or -1.

    ``source`` is the nodes' scene node (or a ViewBox, or a (visual->render,
    render->canvas) transform pair); x, y are canvas (logical) pixels as in mouse events.
    """

    def __init__(self, positions: np.ndarray, sizes: np.ndarray, min_radius_px: float = 1.5):
        pos = np.asarray(positions, np.float32).reshape(-1, 3)
        self.positions = pos
        self._cols = [np.ascontiguousarray(pos[:, k]) for k in range(3)]
        self.sizes = np.asarray(sizes, np.float32).reshape(-1)
        if self.sizes.shape[0] != len(pos):
            raise ValueError(f"sizes ({self.sizes.shape[0]}) and positions ({len(pos)}) differ in length")
        self.min_radius_px = float(min_radius_px)
        self._key = None
        self._proj = None
        self.projections = 0  # how many full projections ran (cache misses)

    def set_sizes(self, sizes: np.ndarray) -> None:
        self.sizes = np.asarray(sizes, np.float32).reshape(-1)
        self._key = None

    def _camera(self, source, canvas_size):
        to_render, to_canvas = _transforms(source)
        m = matrix_of(to_render)
        c = np.asarray(to_canvas.map(np.array([[-1, -1, 0, 1], [1, 1, 0, 1]], np.float64)))
        c = c[:, :2] / c[:, 3:]
        scale = (c[1] - c[0]) / 2.0          # canvas px per NDC unit (y is negative: flipped)
        offset = (c[1] + c[0]) / 2.0
        return m, scale, offset

    def _projected(self, source, canvas_size):
        m, scale, offset = self._camera(source, canvas_size)
        key = (m.tobytes(), scale.tobytes(), offset.tobytes(), tuple(canvas_size))
        if key != self._key:
            # column-wise multiply-adds: no BLAS call (its threads stall on a busy machine)
            x, y, z = self._cols
            mf = m.astype(np.float32)

            def row(j):
                return x * mf[0, j] + y * mf[1, j] + z * mf[2, j] + mf[3, j]

            w = row(3)
            ok = (w > 1e-6) & (self.sizes > 0)
            inv_w = np.float32(1.0) / np.where(ok, w, np.float32(1.0))
            sx, sy = (np.float32(v) for v in scale)
            ox, oy = (np.float32(v) for v in offset)
            xy = (row(0) * inv_w * sx + ox, row(1) * inv_w * sy + oy)
            depth = np.where(ok, row(2) * inv_w, np.float32(np.inf))
            px_unit = np.sqrt(np.linalg.norm(m[:3, 0]) * abs(scale[0]) *
                              np.linalg.norm(m[:3, 1]) * abs(scale[1]))
            radius = np.maximum(0.5 * self.sizes * np.float32(px_unit) * inv_w, self.min_radius_px)
            r2 = np.where(ok, radius * radius, -1.0).astype(np.float32)  # hidden: never hit
            self._proj = (xy[0], xy[1], r2, depth)
            self._key = key
            self.projections += 1
        return self._proj

    def pick(self, source, x: float, y: float, canvas_size) -> int:
        px, py, r2, depth = self._projected(source, canvas_size)
        dx = px - np.float32(x)
        dy = py - np.float32(y)
        hits = np.flatnonzero(dx * dx + dy * dy <= r2)
        if hits.size == 0:
            return -1
        return int(hits[np.argmin(depth[hits])])

    def pick_near(self, source, x: float, y: float, canvas_size, radius_px: float) -> int:
        """The front-most node whose drawn disc holds (x, y); if none, the node whose centre
        is nearest within ``radius_px`` (the front-most of equally near ones); else -1.
        Nodes of size 0 (hidden layers) are never picked."""
        node = self.pick(source, x, y, canvas_size)
        if node >= 0:
            return node
        px, py, r2, depth = self._projected(source, canvas_size)
        dx = px - np.float32(x)
        dy = py - np.float32(y)
        d2 = dx * dx + dy * dy
        near = np.flatnonzero((r2 >= 0) & (d2 <= np.float32(radius_px * radius_px)))
        if near.size == 0:
            return -1
        best = d2[near].min()
        ties = near[d2[near] <= best + 0.25]
        return int(ties[np.argmin(depth[ties])])

    def project(self, source, indices, canvas_size) -> np.ndarray:
        """(k, 2) canvas pixel coordinates of the given nodes' centres."""
        px, py, _, _ = self._projected(source, canvas_size)
        idx = np.asarray(indices, np.int64).reshape(-1)
        return np.stack([px[idx], py[idx]], 1)

    def radius_px(self, source, indices, canvas_size) -> np.ndarray:
        """Projected radii (canvas pixels, at least min_radius_px) of the given nodes."""
        _, _, r2, _ = self._projected(source, canvas_size)
        return np.sqrt(np.maximum(r2[np.asarray(indices, np.int64)], 0))
