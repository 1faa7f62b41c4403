"""Thick edges: per-edge start, end, width in pixels and RGBA, as screen-space quads.

GL lines are one pixel wide on most drivers, so each edge becomes a quad (4 vertices,
6 indices) that the vertex shader widens across the projected segment to the edge's
pixel width. Quads are pre-expanded on the CPU rather than instanced: instancing
needs VisPy's 'gl+' backend, and plain vertex buffers work everywhere.

Blended, depth-tested against the nodes but not writing depth; draw after the nodes
(``order`` above theirs). Shaders: ``shaders/edges.vert`` and ``shaders/edges.frag``.
"""

from __future__ import annotations

import numpy as np
from vispy import gloo
from vispy.scene.visuals import create_visual_node
from vispy.visuals import Visual

from vis3d.gl.nodes import load_shader, mvp_function, update_mvp

_GEOMETRY = np.dtype([("a_start", np.float32, 3), ("a_end", np.float32, 3), ("a_width", np.float32),
                      ("a_corner", np.float32, 2)])
_FLOATS = 9  # floats per vertex of the geometry buffer, in _GEOMETRY's field order
_COLOR = np.dtype([("a_color", np.float32, 4)])
_CORNERS = np.array([[0, -1], [0, 1], [1, -1], [1, 1]], np.float32)
_QUAD = np.array([0, 1, 2, 1, 3, 2], np.uint32)


class EdgesVisual(Visual):
    """Up to any number of thick edges in one draw call (GL_TRIANGLES, indexed).

    Geometry (ends, widths) and colours live in two vertex buffers: while the same node's
    edges stay on screen and only the input changes, :meth:`set_colors` uploads the
    colours alone.
    """

    def __init__(self, depth_test: bool = True):
        Visual.__init__(self, vcode=load_shader("edges.vert"), fcode=load_shader("edges.frag"))
        self._vbo = gloo.VertexBuffer(np.zeros(4, _GEOMETRY))
        self._cbo = gloo.VertexBuffer(np.zeros(4, _COLOR))
        self._ibo = gloo.IndexBuffer(_QUAD.copy())
        self.shared_program.bind(self._vbo)
        self.shared_program.bind(self._cbo)
        self.shared_program["u_viewport"] = (1.0, 1.0)
        self._index_buffer = self._ibo
        self._draw_mode = "triangles"
        self.set_gl_state("translucent", depth_test=depth_test, depth_mask=False, cull_face=False)
        self._data = np.zeros((0, _FLOATS), np.float32)
        self._colors = np.zeros((0, 4), np.float32)
        self._index_cache = np.zeros(0, np.uint32)
        self.count = 0
        self.uploads = {"geometry": 0, "colors": 0}  # buffer uploads, for tests and benchmarks

    def set_edges(self, starts, ends, widths_px, colors) -> None:
        """(M,3) starts, (M,3) ends, (M,) widths in pixels, (M,4) RGBA in 0..1."""
        starts = np.asarray(starts, np.float32).reshape(-1, 3)
        ends = np.asarray(ends, np.float32).reshape(-1, 3)
        m = starts.shape[0]
        widths = np.asarray(widths_px, np.float32).reshape(-1)
        colors = self._as_colors(colors, m)
        if ends.shape[0] != m or widths.shape[0] != m:
            raise ValueError(f"edges: starts {starts.shape}, ends {ends.shape}, widths {widths.shape} "
                             f"and colors {colors.shape} must describe the same M edges")
        if m == 0:
            self.clear()
            return
        if self._data.shape[0] < 4 * m:          # grow (never shrink) the host-side staging arrays
            cap = max(m, 1024)
            self._data = np.zeros((4 * cap, _FLOATS), np.float32)
            self._data[:, 7:9] = np.tile(_CORNERS, (cap, 1))
            self._colors = np.zeros((4 * cap, 4), np.float32)
        v = self._data[:4 * m].reshape(m, 4, _FLOATS)  # plain float columns: ~5x faster than
        v[:, :, 0:3] = starts[:, None]                   # writing structured-array fields
        v[:, :, 3:6] = ends[:, None]
        v[:, :, 6] = widths[:, None]
        self._vbo.set_data(self._data[:4 * m].view(_GEOMETRY).reshape(-1))
        self.uploads["geometry"] += 1
        if self._index_cache.shape[0] < 6 * m:
            base = 4 * np.arange(max(m, 1024), dtype=np.uint32)
            self._index_cache = (base[:, None] + _QUAD[None]).reshape(-1)
        self._ibo.set_data(self._index_cache[:6 * m])
        self.count = m
        self._upload_colors(colors, resize=True)
        self._vshare.bounds.clear()  # recomputed lazily from the staging array if asked
        self.update()

    def set_colors(self, colors) -> None:
        """New RGBA for the edges already shown (same count): uploads only the colours."""
        if self.count == 0:
            return
        self._upload_colors(self._as_colors(colors, self.count), resize=False)
        self.update()

    @staticmethod
    def _as_colors(colors, m: int) -> np.ndarray:
        colors = np.asarray(colors, np.float32)
        if colors.ndim == 1:
            colors = np.broadcast_to(colors, (m, colors.shape[0]))
        if colors.shape != (m, 4):
            raise ValueError(f"edges: colors {colors.shape} must be ({m}, 4)")
        return colors

    def _upload_colors(self, colors: np.ndarray, resize: bool) -> None:
        m = self.count
        c = self._colors[:4 * m].reshape(m, 4, 4)
        c[:] = colors[:, None]
        data = self._colors[:4 * m].view(_COLOR).reshape(-1)
        (self._cbo.set_data if resize else self._cbo.set_subdata)(data)
        self.uploads["colors"] += 1

    def clear(self) -> None:
        if self.count:
            self.count = 0
            self._vshare.bounds.clear()
            self.update()

    def draw(self):
        super().draw()
        # depth_mask=False would outlive this draw and stop the next frame's clear from
        # clearing depth (glClear honours the mask): restore it.
        gloo.set_depth_mask(True)

    def _prepare_transforms(self, view) -> None:
        view.view_program.vert["transform"] = mvp_function()

    def _prepare_draw(self, view) -> bool:
        if self.count == 0:
            return False
        _, vp = update_mvp(view)
        view.view_program["u_viewport"] = vp
        return True

    def _compute_bounds(self, axis, view):
        if self.count == 0:
            return None
        ends = self._data[:4 * self.count:4, [axis, axis + 3]]  # corner 0 of each quad
        return float(ends.min()), float(ends.max())


Edges = create_visual_node(EdgesVisual)
