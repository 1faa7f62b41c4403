"""Level of detail: far node grids drawn as one textured quad each, all in one draw.

``MapsVisual`` holds one quad per tile (a channel of a feature map or a large fully
connected layer, see vis3d.scene.tiles_geometry) and every node's activation in one
r32f atlas texture (node k at texel (k mod ATLAS_WIDTH, k div ATLAS_WIDTH): the
session's ``values`` uploaded as they are). Its fragment shader (``shaders/maps.frag``)
draws each cell as the node sprite ``nodes.frag`` would draw there, through the same
colour table, so switching a map between quad and points shows no jump. Farther off,
where cells shrink below about two pixels, it fades into the box-filtered picture of the
map (the mean colour of the cells under each pixel, from colour pyramids rebuilt before a
frame that draws quads after the values or colour table changed: vis3d.gl.map_colours;
the gaps between sprites as transparency, so the quads are drawn back to front).

``MapLOD`` decides per tile before each frame (called from the maps' own draw, which
comes before the nodes' draw, so every render path gets it): a tile wholly outside the
view is not drawn at all; a tile whose node pitch on screen, at its nearest corner, is
below ``threshold_px`` is drawn as a quad; the rest are points. Only the point tiles'
nodes (and the nodes in no tile) are in the nodes' index buffer, so the vertex stage
never sees the others; both index buffers are rebuilt only when the choice changes.
"""

from __future__ import annotations

import numpy as np
from vispy import gloo
from vispy.scene.visuals import create_visual_node
from vispy.visuals import Visual

from vis3d.gl import map_colours
from vis3d.gl.nodes import _as_lut, load_shader, matrix_of, mvp_function, px_per_unit, \
    update_mvp, viewport_px
from vis3d.scene import tiles_geometry

ATLAS_WIDTH = 4096
THRESHOLD_PX = 3.0
FADE_PX = (2.4, 1.4)   # pixels per cell: sharp sprites above the first, averaged below the second


class MapsVisual(Visual):
    """Quads for T tiles; ``set_far(mask)`` chooses which are drawn (one glDrawElements)."""

    def __init__(self, lut: np.ndarray, tiles=None, n_nodes: int = 0, values=None):
        Visual.__init__(self, vcode=load_shader("maps.vert"), fcode=load_shader("maps.frag"))
        self._vbo = gloo.VertexBuffer(np.zeros(1, self._dtype()))
        self._ibo = gloo.IndexBuffer(np.zeros(6, np.uint32))
        self._index_buffer = self._ibo
        self._values_tex = gloo.Texture2D(np.zeros((1, ATLAS_WIDTH, 1), np.float32),
                                          interpolation="nearest", wrapping="clamp_to_edge",
                                          internalformat="r32f")
        self._lut_tex = gloo.Texture2D(_as_lut(lut), interpolation="linear",
                                       wrapping="clamp_to_edge", internalformat="rgba32f")
        prog = self.shared_program
        for name in self._dtype().names:
            prog[name] = self._vbo[name]
        prog["u_values"] = self._values_tex
        prog["u_lut"] = self._lut_tex
        prog["u_atlas"] = (float(ATLAS_WIDTH), 1.0)
        prog["u_px_per_unit"] = 1.0
        prog["u_min_px"] = 1.0
        self._colours_tex = gloo.Texture2D(np.zeros((1, 1, 4), np.uint8), interpolation="linear",
                                           wrapping="clamp_to_edge")
        prog["u_colours"] = self._colours_tex
        prog["u_colours_size"] = (1.0, 1.0)
        prog["u_shade"] = map_colours.disc_shading()
        prog["u_fade"] = FADE_PX
        self._table = map_colours.colour_table(lut)
        self._stale = np.zeros(0, bool)   # tiles whose pyramid is older than the values
        self._colours = None              # the pyramids' atlas (map_colours.build)
        self._plan = None
        self._draw_mode = "triangles"
        # Premultiplied: averaged fragments let what is behind show through the gaps. No
        # depth written: the quads (back to front, drawn before the nodes) never hide the
        # hover edges, arcs or points drawn after them. Pushed back a little in depth: a
        # node drawn as a point in a map's plane (the highlighted one) is drawn over its quad.
        self.set_gl_state(None, blend=True, blend_func=("one", "one_minus_src_alpha"),
                          depth_test=True, depth_mask=False, cull_face=False,
                          polygon_offset_fill=True, polygon_offset=(1.0, 4.0))
        self._atlas = np.zeros((1, ATLAS_WIDTH), np.float32)
        self.tiles = tiles_geometry.compute_none()
        self.n_nodes = 0
        self.far = np.zeros(0, bool)
        self._corners = np.zeros((0, 4, 3), np.float32)
        self.lod: MapLOD | None = None
        self.set_tiles(tiles if tiles is not None else tiles_geometry.compute_none(), n_nodes, values)

    @staticmethod
    def _dtype():
        return np.dtype([("a_position", np.float32, 3), ("a_cell", np.float32, 2),
                         ("a_tile", np.float32, 4), ("a_size", np.float32),
                         ("a_block", np.float32, 3)])

    # --- data --------------------------------------------------------------------
    def set_tiles(self, tiles, n_nodes: int, values=None) -> None:
        """New tile set and node count (model switch); no tile is drawn until ``set_far``."""
        self.tiles, self.n_nodes = tiles, int(n_nodes)
        t = len(tiles)
        self._corners = tiles.corners()
        v = np.zeros(max(t, 1) * 4, self._dtype())
        if t:
            v["a_position"] = self._corners.reshape(-1, 3)
            cell = np.zeros((t, 4, 2), np.float32)
            cell[:, 1, 0] = cell[:, 3, 0] = tiles.cols
            cell[:, 2, 1] = cell[:, 3, 1] = tiles.rows
            v["a_cell"] = cell.reshape(-1, 2)
            tile = np.stack([tiles.offset // ATLAS_WIDTH, tiles.offset % ATLAS_WIDTH,
                             tiles.cols, tiles.count], 1).astype(np.float32)
            v["a_tile"] = np.repeat(tile, 4, 0)
            v["a_size"] = np.repeat(tiles.size, 4)
        self._plan = map_colours.plan(tiles)
        v["a_block"] = np.repeat(self._plan.block, 4, 0) if t else 0
        self._vbo.set_data(v)
        self.shared_program["u_colours_size"] = (float(self._plan.width), float(self._plan.height))
        self._colours = np.zeros((self._plan.height, self._plan.width, 4), np.uint8)
        self._stale = np.ones(t, bool)
        rows = max(1, -(-self.n_nodes // ATLAS_WIDTH))
        self._atlas = np.zeros((rows, ATLAS_WIDTH), np.float32)
        self._values_tex.set_data(self._atlas[..., None])
        self.shared_program["u_atlas"] = (float(ATLAS_WIDTH), float(rows))
        self.far = np.zeros(t, bool)
        self._n_far = 0
        if values is not None:
            self.set_values(values)
        self.update()

    def set_values(self, values: np.ndarray) -> None:
        """(N,) floats 0..1 in node order; one texture upload of the whole atlas."""
        vals = np.asarray(values, np.float32).reshape(-1)
        if vals.shape[0] != self.n_nodes:
            raise ValueError(f"values must have one value per node ({self.n_nodes}), got {vals.shape[0]}")
        self._atlas.reshape(-1)[:self.n_nodes] = vals
        self._values_tex.set_data(self._atlas[..., None])
        self._stale[:] = True
        self.update()

    def set_lut(self, lut: np.ndarray) -> None:
        self._lut_tex.set_data(_as_lut(lut))
        self._table = map_colours.colour_table(lut)
        self._stale[:] = True
        self.update()

    def set_far(self, far: np.ndarray, order: np.ndarray | None = None) -> None:
        """(T,) bool: the tiles drawn as quads, in ``order`` (tile indices, back to front)
        when given (from the next draw on; no redraw asked)."""
        self.far = np.asarray(far, bool).copy()
        if order is None:
            idx = np.flatnonzero(self.far).astype(np.uint32)
        else:
            idx = np.asarray(order, np.int64)
            idx = idx[self.far[idx]].astype(np.uint32)
        self._n_far = len(idx)
        if len(idx):
            quads = (idx[:, None] * 4 + np.array([0, 1, 2, 1, 3, 2], np.uint32)).reshape(-1)
            self._ibo.set_data(quads)

    @property
    def quads(self) -> int:
        return self._n_far

    # --- vispy hooks -------------------------------------------------------------
    def _prepare_transforms(self, view) -> None:
        view.view_program.vert["transform"] = mvp_function()

    def _prepare_draw(self, view) -> bool:
        if self.lod is not None:  # drawn before the nodes (order): decide for this frame
            self.lod.update()
        if self._n_far == 0:
            return False
        if self._stale[self.far].any():
            self.refresh_colours(self.far)
        m, vp = update_mvp(view)
        view.view_program["u_px_per_unit"] = px_per_unit(m, vp)
        return True

    def refresh_colours(self, far: np.ndarray | None = None) -> None:
        """Rebuild the colour pyramids that are older than the values for the layers with
        a tile in ``far`` (all when None), and upload them."""
        need = self._stale & (True if far is None else far)
        if not need.any():
            return
        which = self._stale & np.isin(self.tiles.slab, np.unique(self.tiles.slab[need]))
        vals = self._atlas.reshape(-1)[:self.n_nodes]
        map_colours.build(self._plan, self.tiles, vals, self._table, self._colours, which)
        self._stale[which] = False
        self._colours_tex.set_data(self._colours)

    def _compute_bounds(self, axis, view):
        if len(self.tiles) == 0:
            return None
        col = self._corners[:, :, axis]
        return float(col.min()), float(col.max())


Maps = create_visual_node(MapsVisual)


class MapLOD:
    """Per-frame choice, per tile: points, one quad, or nothing (outside the view)."""

    def __init__(self, nodes, maps, tiles, threshold_px: float = THRESHOLD_PX):
        self.nodes, self.maps, self.tiles = nodes, maps, tiles
        maps.lod = self
        self.threshold_px = float(threshold_px)
        self.enabled = True
        covered = tiles.node_mask(nodes.count)
        self._loose = np.flatnonzero(~covered).astype(np.uint32)  # nodes in no tile: always points
        self._corners_h = np.concatenate(
            [tiles.corners(), np.ones((len(tiles), 4, 1), np.float32)], 2).reshape(-1, 4)
        self._pitch = tiles.pitch.astype(np.float64)
        normal = np.cross(tiles.du.astype(np.float64), tiles.dv.astype(np.float64))
        self._normal = normal / np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-30)
        self._centre_h = self._corners_h.reshape(-1, 4, 4).mean(1)
        self.order = np.arange(len(tiles))          # quads' drawing order: back to front
        self._order_key = None                      # the camera matrix it is for
        self.shown = np.ones(len(tiles), bool)     # tiles of layers that are not hidden
        self.far = np.zeros(len(tiles), bool)      # drawn as quads
        self.culled = np.zeros(len(tiles), bool)   # wholly outside the view: not drawn
        self._state = None
        self.changes = 0                           # how often the choice changed

    def set_hidden_slabs(self, hidden) -> None:
        self.shown = ~np.isin(self.tiles.slab, np.fromiter(hidden, np.int64, len(hidden)))
        self._apply(self.far, self.culled, force=True)

    def pitch_px(self, source) -> np.ndarray:
        """(T,) node pitch on screen, framebuffer pixels, at each tile's nearest corner
        (inf where a corner is at or behind the eye)."""
        m = matrix_of(source.get_transform("visual", "render"))
        w = (self._corners_h @ m[:, 3]).reshape(-1, 4).min(1)
        ppu = px_per_unit(m, viewport_px(source))
        with np.errstate(divide="ignore"):
            return np.where(w > 1e-6, self._pitch * ppu / np.maximum(w, 1e-6), np.inf)

    def outside(self, source) -> np.ndarray:
        """(T,) True where all four corners lie beyond one and the same edge of the canvas,
        or behind the eye. Homogeneous canvas coordinates (x w, y w, ., w): each test is a
        half-space of world space that misses the view frustum, so it holds for corners
        behind the eye too. (Canvas pixels, not "render": that system is the canvas NDC
        only while a frame is drawn into an FBO.)"""
        c = (self._corners_h @ matrix_of(source.get_transform("visual", "canvas"))).reshape(-1, 4, 4)
        x, y, w = c[:, :, 0], c[:, :, 1], c[:, :, 3]
        width, height = (float(v) for v in source.canvas.size)
        pad = 2.0 * np.abs(w)  # two pixels of margin for sprites at the edge
        return ((x < -pad).all(1) | (x - width * w > pad).all(1) | (y < -pad).all(1)
                | (y - height * w > pad).all(1) | (w <= 0).all(1))

    def update(self) -> bool:
        """Decide for the current camera; True when the choice changed (buffers rebuilt)."""
        if len(self.tiles) == 0:
            return False
        if not self.enabled:
            off = np.zeros(len(self.tiles), bool)
            return self._apply(off, off)
        culled = self.outside(self.nodes)
        far = ~culled & (self.pitch_px(self.nodes) < self.threshold_px)
        moved = False   # the quads' order changed: their index buffer is rebuilt once
        if (far & self.shown).any():
            order = self.back_to_front(self.nodes)
            moved = order is not self.order and not np.array_equal(order, self.order)
            self.order = order
        changed = self._apply(far, culled)   # (rebuilds it, in this order, when the choice changed)
        if moved and not changed:
            self.maps.set_far(self.far & self.shown, self.order)
        return changed

    def back_to_front(self, source) -> np.ndarray:
        """(T,) tile indices, the plane farthest from the eye first (exact for parallel
        slabs; the averaged quads are translucent). Distances are rounded so that the
        tiles of one plane keep their order while the camera moves."""
        m = matrix_of(source.get_transform("visual", "render"))
        key = m.tobytes()
        if key == self._order_key:
            return self.order
        self._order_key = key
        try:  # the eye: where clip x, y and w are all 0
            eye = np.linalg.solve(m[:3][:, [0, 1, 3]].T, -m[3, [0, 1, 3]])
            dist = np.abs(np.einsum("ij,ij->i", self._normal, eye - self.tiles.origin))
        except np.linalg.LinAlgError:  # orthographic: depth of the centres
            dist = self._centre_h @ m[:, 2]
        dist = np.round(dist / max(float(np.abs(dist).max()), 1e-30), 6)
        return np.argsort(-dist, kind="stable")

    def _apply(self, far: np.ndarray, culled: np.ndarray, force: bool = False) -> bool:
        state = (far.tobytes(), culled.tobytes())
        if not force and state == self._state:
            return False
        self._state = state
        self.far, self.culled = far, culled
        self.maps.set_far(far & self.shown, self.order)
        points = ~far & ~culled & self.shown
        if points.all():
            self.nodes.set_subset(None)
        else:
            idx = [tiles_geometry.node_ranges(self.tiles, points), self._loose]
            hl = self.nodes.highlight
            if hl is not None:
                idx.append(np.array([hl], np.uint32))
            self.nodes.set_subset(np.concatenate(idx))
        self.changes += 1
        return True

    def _tile_of(self, node: int | None) -> int:
        """Index of the tile holding ``node``, or -1 (no node, or a node in no tile)."""
        if node is None or len(self.tiles) == 0:
            return -1
        t = int(np.searchsorted(self.tiles.offset, node, side="right")) - 1
        return t if t >= 0 and node < self.tiles.offset[t] + self.tiles.count[t] else -1

    def refresh_highlight(self, previous: int | None = None) -> None:
        """The highlighted node stays a point even inside a far tile: the index buffer is
        rebuilt only when the new or the ``previous`` highlight is in a tile not drawn as
        points."""
        if self._state is None:
            return
        points = ~self.far & ~self.culled & self.shown
        for node in (self.nodes.highlight, previous):
            t = self._tile_of(node)
            if t >= 0 and not points[t]:
                self._apply(self.far, self.culled, force=True)
                return
