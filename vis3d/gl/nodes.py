"""All nodes in one draw call: point sprites shaded as spheres by our own GLSL.

Per node the GPU holds a position (vec3), a size (float, world-units diameter,
so nodes grow as the camera zooms in) and ONE activation float in 0..1; the colour
comes from a 256-entry LUT texture, looked up in the vertex shader. Position and size
share one vec4 buffer (rarely written); the activations have their own buffer, so a
tick uploads only N floats. The highlighted node is found by position in the vertex
shader (a uniform), so hovering uploads nothing.

Shaders: ``shaders/nodes.vert`` and ``shaders/nodes.frag`` (see vis3d.paths).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from vispy import gloo
from vispy.scene.visuals import create_visual_node
from vispy.visuals import Visual
from vispy.visuals.shaders import Function

from vis3d.paths import shaders_dir


@lru_cache(maxsize=None)
def load_shader(name: str) -> str:
    return (shaders_dir() / name).read_text(encoding="utf-8")


def _as_positions(positions) -> np.ndarray:
    pos = np.ascontiguousarray(positions, dtype=np.float32)
    if pos.ndim != 2 or pos.shape[1] != 3:
        raise ValueError(f"positions must be (N, 3), got {pos.shape}")
    return pos


def _as_per_node(values, n: int, what: str) -> np.ndarray:
    arr = np.ascontiguousarray(values, dtype=np.float32).reshape(-1)
    if arr.shape[0] != n:
        raise ValueError(f"{what} must have one value per node ({n}), got {arr.shape[0]}")
    return arr


def _as_lut(lut) -> np.ndarray:
    table = np.asarray(lut, dtype=np.float32)
    if table.ndim != 2 or table.shape[1] not in (3, 4) or len(table) < 2:
        raise ValueError(f"lut must be (K, 3|4) floats in 0..1, got {table.shape}")
    if table.shape[1] == 3:
        table = np.concatenate([table, np.ones((len(table), 1), np.float32)], 1)
    return np.ascontiguousarray(np.clip(table, 0, 1)[None])  # (1, K, 4) texture


_UNIT = np.array([[0, 0, 0, 1], [1, 0, 0, 1], [0, 1, 0, 1], [0, 0, 1, 1]], np.float64)
_NDC = np.array([[-1, -1, 0, 1], [1, 1, 0, 1]], np.float64)


def matrix_of(tr) -> np.ndarray:
    """4x4 of a projective-linear transform, row-vector convention (clip = [x y z 1] @ M).

    VisPy chains (Turntable/Fly/Panzoom cameras) are products of such transforms; reading
    the matrix off four mapped points gives ONE mat4 for the shader instead of the chain.
    """
    h = np.asarray(tr.map(_UNIT), np.float64)
    m = np.empty((4, 4), np.float64)
    m[:3] = h[1:4] - h[0]
    m[3] = h[0]
    return m


def viewport_px(view) -> tuple[float, float]:
    """Framebuffer size (pixels) that the render (NDC) square spans for this view."""
    c = np.asarray(view.get_transform("render", "framebuffer").map(_NDC), np.float64)
    return abs(c[1, 0] - c[0, 0]), abs(c[1, 1] - c[0, 1])


def px_per_unit(m: np.ndarray, viewport) -> float:
    """Framebuffer pixels covered by one world unit (perpendicular to the view) at clip w = 1."""
    sx = np.linalg.norm(m[:3, 0]) * viewport[0] / 2
    sy = np.linalg.norm(m[:3, 1]) * viewport[1] / 2
    return float(np.sqrt(sx * sy))


def mvp_function() -> Function:
    """The $transform hook as one uniform mat4 (set per draw from the view's chain)."""
    fn = Function("vec4 vis3d_mvp(vec4 pos) { return $mvp * pos; }")
    fn["mvp"] = np.eye(4, dtype=np.float32)
    return fn


def update_mvp(view) -> tuple[np.ndarray, tuple[float, float]]:
    """Refresh the view's mat4 hook from its current transforms; returns (matrix, viewport)."""
    m = matrix_of(view.get_transform("visual", "render"))
    fn = view.view_program.vert["transform"]
    fn["mvp"] = m.astype(np.float32)
    return m, viewport_px(view)


class NodesVisual(Visual):
    """N nodes as shaded sphere sprites: one program, one glDrawElements(GL_POINTS)."""

    MIN_PX = 1.0

    def __init__(self, positions: np.ndarray, sizes: np.ndarray, lut: np.ndarray,
                 activations: np.ndarray | None = None):
        Visual.__init__(self, vcode=load_shader("nodes.vert"), fcode=load_shader("nodes.frag"))
        self._node_vbo = gloo.VertexBuffer(np.zeros((1, 4), np.float32))  # xyz position, w size
        self._act_vbo = gloo.VertexBuffer(np.zeros(1, np.float32))
        self._ibo = gloo.IndexBuffer(np.zeros(1, np.uint32))
        self._index_buffer = self._ibo
        self._lut_tex = gloo.Texture2D(_as_lut(lut), interpolation="linear", wrapping="clamp_to_edge",
                                       internalformat="rgba32f")
        prog = self.shared_program
        prog["a_node"] = self._node_vbo
        prog["a_activation"] = self._act_vbo
        prog["u_lut"] = self._lut_tex
        prog["u_highlight"] = (0.0, 0.0, 0.0, 0.0)
        prog["u_min_px"] = self.MIN_PX
        prog["u_px_per_unit"] = 1.0
        self._draw_mode = "points"
        self.set_gl_state("opaque", depth_test=True, depth_mask=True, cull_face=False)
        self.positions = np.zeros((0, 3), np.float32)
        self.highlight: int | None = None
        self._subset = None
        self.set_data(positions, sizes, activations)

    # --- data --------------------------------------------------------------------
    @property
    def count(self) -> int:
        return int(self.positions.shape[0])

    def set_data(self, positions, sizes, activations=None) -> None:
        """New node set (model switch): uploads positions, sizes and activations."""
        pos = _as_positions(positions)
        n = pos.shape[0]
        self.positions = pos
        self.sizes = _as_per_node(sizes, n, "sizes").copy()
        self._node_vbo.set_data(self._packed() if n else np.zeros((1, 4), np.float32))
        # Indexed on purpose: Mesa's draw module resets every vertex of a non-indexed
        # GL_POINTS draw each time its vertex buffer fills (quadratic in N); with an
        # index buffer it works in bounded segments. Same single draw call, ~1.5x faster.
        self._ibo.set_data(np.arange(max(n, 1), dtype=np.uint32))
        self._subset = None
        acts = np.zeros(n, np.float32) if activations is None else _as_per_node(activations, n, "activations")
        self._act_vbo.set_data(acts if n else np.zeros(1, np.float32))
        self.highlight = None
        self.shared_program["u_highlight"] = (0.0, 0.0, 0.0, 0.0)
        self._vshare.bounds.clear()
        self.update()

    def _packed(self) -> np.ndarray:
        out = np.empty((self.count, 4), np.float32)
        out[:, :3] = self.positions
        out[:, 3] = self.sizes
        return out

    def set_activations(self, values: np.ndarray) -> None:
        """(N,) floats in 0..1; uploads only the activation buffer (4 bytes per node)."""
        if self.count == 0:
            return
        self._act_vbo.set_subdata(_as_per_node(values, self.count, "activations"))
        self.update()

    def set_sizes(self, sizes: np.ndarray) -> None:
        """World-unit diameters; 0 hides a node."""
        self.sizes = _as_per_node(sizes, self.count, "sizes").copy()
        self._node_vbo.set_subdata(self._packed())
        self.update()

    def set_subset(self, indices: np.ndarray | None) -> None:
        """Draw only these nodes (uint32, e.g. without those of maps drawn as quads by
        vis3d.gl.maps); None draws all. Rewrites the index buffer only and asks for no
        redraw (vis3d.gl.maps calls it while a frame is being drawn)."""
        if indices is None:
            if self._subset is not None:
                self._ibo.set_data(np.arange(max(self.count, 1), dtype=np.uint32))
            self._subset = None
        else:
            self._subset = np.ascontiguousarray(indices, np.uint32)
            if len(self._subset):
                self._ibo.set_data(self._subset)

    @property
    def drawn(self) -> int:
        """How many nodes the draw call submits."""
        return self.count if self._subset is None else len(self._subset)

    def set_lut(self, lut: np.ndarray) -> None:
        self._lut_tex.set_data(_as_lut(lut))  # resizes the texture when the length differs
        self.update()

    def set_highlight(self, index: int | None) -> None:
        """Emphasise one node (bigger, white rim) through a uniform only."""
        if index is None or index < 0:
            self.highlight = None
            self.shared_program["u_highlight"] = (0.0, 0.0, 0.0, 0.0)
        else:
            if index >= self.count:
                raise IndexError(f"node {index} out of range (0..{self.count - 1})")
            self.highlight = int(index)
            x, y, z = (float(v) for v in self.positions[index])
            self.shared_program["u_highlight"] = (x, y, z, 1.0)
        self.update()

    # --- vispy hooks -------------------------------------------------------------
    def _prepare_transforms(self, view) -> None:
        view.view_program.vert["transform"] = mvp_function()

    def _prepare_draw(self, view) -> bool:
        if self.count == 0 or self.drawn == 0:
            return False
        m, vp = update_mvp(view)
        view.view_program["u_px_per_unit"] = px_per_unit(m, vp)
        return True

    def _compute_bounds(self, axis, view):
        if self.count == 0:
            return None
        col = self.positions[:, axis]
        return float(col.min()), float(col.max())


Nodes = create_visual_node(NodesVisual)
