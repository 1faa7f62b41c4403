"""The 3D view of a session: nodes, hover edges, labels, a controls hint and the camera.

Thin: it subscribes to the session's events and translates them into updates of the
visuals (a new model rebuilds the buffers; a new result uploads one float per node; an
edges update uploads quads, or only their colours when the shown node did not change).
Nothing here computes activations or edges, and nothing here knows Qt.
"""

from __future__ import annotations

import numpy as np
import time

from vispy import scene

from vis3d.gl import camera as camlib
from vis3d.gl.arcs import Arcs
from vis3d.gl.colormaps import diverging, lut
from vis3d.gl.edges import Edges
from vis3d.gl.labels import Labels, declutter, font_manager
from vis3d.gl.maps import MapLOD, Maps
from vis3d.gl.nodes import Nodes
from vis3d.gl.picking import NodePicker
from vis3d.scene import tiles_geometry
from vis3d.scene.edges import edge_style

BACKGROUND = "#10131a"
DEFAULT_AZIMUTH, DEFAULT_ELEVATION = -65.0, 22.0
PICK_RADIUS_PX = 8.0
ORBIT_DEG_PER_S = 12.0
LABELS_EVERY_S = 0.1   # while the camera moves, labels are laid out at most this often
HINT = ("drag: orbit    wheel: zoom    shift+drag: pan    hover: edges    click: pin    "
        "double-click: fly to layer    R: reset    O: auto-orbit    H: hide this")


class NetworkView:
    def __init__(self, canvas: scene.SceneCanvas, session):
        self.canvas = canvas
        self.session = session
        canvas.bgcolor = BACKGROUND
        self.view = canvas.central_widget.add_view()
        self.view.camera = camlib.OrbitCamera(fov=18, up="+z", translate_speed=1.0)
        self.nodes = None
        self.maps = self.lod = None  # level of detail: far maps as quads (vis3d.gl.maps)
        self.edges = Edges(parent=self.view.scene)
        self.edges.order = 1
        self.arcs = Arcs(self.view.scene)   # skip connections and branches, whole model
        self.arcs.visual.order = 0
        self.fonts = fonts = font_manager()   # one glyph atlas per font for all the text
        self.labels = Labels(self.view.scene, 9, "#c9d3e6", "bottom", fonts=fonts)
        # Where a layer's label does not fit above it: below it, then its bare name.
        self.labels_below = Labels(self.view.scene, 9, "#c9d3e6", "top", fonts=fonts)
        self.names = Labels(self.view.scene, 9, "#c9d3e6", "bottom", fonts=fonts)
        self.names_below = Labels(self.view.scene, 9, "#c9d3e6", "top", fonts=fonts)
        self.label_places = [self.names, self.labels_below, self.names_below]
        self.digits = Labels(self.view.scene, 11, "#e8eefc", "top", fonts=fonts)
        self.hint = scene.visuals.Text(HINT, parent=canvas.scene, color="#8f9ab0", font_size=8,
                                       font_manager=fonts,
                                       anchor_x="left", anchor_y="bottom")
        self._fly = None
        self._label_key = None   # the camera the labels were laid out for
        self._frame_key = None   # the camera of the last frame
        self._label_t = 0.0
        # Animation (auto-orbit, fly-to) is stepped by the frames themselves: each frame
        # moves the camera by the wall time since the last one and asks for the next, so
        # it runs at whatever rate the canvas presents frames (the window paces them to the
        # display's refresh), and stops asking when nothing moves.
        self._orbiting = False
        self._anim_t: float | None = None
        self.auto_fit = True  # refit on resize until the user moves the camera
        self.view.events.resize.connect(self._on_resize)
        for ev in (canvas.events.mouse_press, canvas.events.mouse_wheel):
            ev.connect(self._user_camera)
        canvas.events.draw.connect(self._before_draw, position="first")
        canvas.events.draw.connect(self._after_draw, position="last")
        ev = session.events
        ev.model.connect(self._on_model)
        ev.result.connect(self._on_result)
        ev.edges.connect(self._on_edges)
        ev.hidden.connect(self._on_hidden)
        ev.colormap.connect(self._on_colormap)
        ev.colour_mode.connect(self._on_colormap)
        ev.silenced.connect(self._on_silenced)
        self.marks = scene.visuals.Markers(parent=self.view.scene)
        self.marks.order = 2
        self._on_model(session)
        self._on_colormap()
        self._on_silenced()

    # --- session events --------------------------------------------------------------
    def _on_model(self, session) -> None:
        L = session.layout
        if self.nodes is None:
            self.nodes = Nodes(L.positions, session.visible_sizes(), lut(session.colormap),
                               session.values, parent=self.view.scene)
            self.nodes.order = -1
        else:
            self.nodes.set_data(L.positions, session.visible_sizes(), session.values)
        self.picker = NodePicker(L.positions, session.visible_sizes(), min_radius_px=1.5)
        self._install_lod(session)
        step = [np.arange(s.offset, s.offset + s.count, max(1, s.count // 200)) for s in L.slabs]
        self._frame_nodes = np.unique(np.concatenate(step))
        self._frame_corners = _box_corners(L)
        self.edges.clear()
        self.arcs.set_layout(L)
        self._place_labels()
        self.reset_camera()

    def _install_lod(self, session) -> None:
        try:
            tiles = tiles_geometry.compute(session.layout)
        except ValueError as exc:  # a layout this LOD does not understand: points only
            tiles = tiles_geometry.compute_none()
            session.notify(f"level of detail off: {exc}", "info")
        if self.maps is None:
            self.maps = Maps(lut(session.colormap), tiles, len(session.values), session.values,
                             parent=self.view.scene)
            self.maps.order = -2  # before the nodes: its draw decides which nodes are drawn
        else:
            self.maps.set_tiles(tiles, len(session.values), session.values)
        self.lod = MapLOD(self.nodes, self.maps, tiles)
        self.lod.set_hidden_slabs(session.hidden)

    def _on_result(self, session) -> None:
        self.nodes.set_activations(session.values)
        self.maps.set_values(session.values)
        self.canvas.update()

    def _on_edges(self, update) -> None:
        inc = update.incoming
        if inc is None or len(inc.sources) == 0:
            self.edges.clear()
        elif update.geometry:
            widths, rgba = edge_style(inc)
            P = self.session.layout.positions
            self.edges.set_edges(P[inc.sources], np.repeat(P[update.node][None], len(inc.sources), 0),
                                 widths, rgba)
        else:
            self.edges.set_colors(edge_style(inc)[1])
        if update.geometry:
            previous = self.nodes.highlight
            self.nodes.set_highlight(update.node)
            self.lod.refresh_highlight(previous)
        self.canvas.update()

    def _on_hidden(self, _hidden) -> None:
        sizes = self.session.visible_sizes()
        self.nodes.set_sizes(sizes)
        self.picker.set_sizes(sizes)
        self.lod.set_hidden_slabs(self.session.hidden)
        self._place_labels()
        self.canvas.update()

    def _on_colormap(self, _name=None) -> None:
        """The session's colour map, or the diverging table in a signed colour mode."""
        s = self.session
        table = diverging() if s.diverging else lut(s.colormap)
        self.nodes.set_lut(table)
        self.maps.set_lut(table)
        self.canvas.update()

    def _on_silenced(self, _nodes=None) -> None:
        """A red cross on every silenced node."""
        nodes = np.array(sorted(self.session.silenced), np.int64)
        if nodes.size == 0:
            self.marks.visible = False
        else:
            self.marks.set_data(self.session.layout.positions[nodes], symbol="x", size=9,
                                edge_width=0, face_color=(1.0, 0.25, 0.25, 0.95))
            self.marks.visible = True
        self.canvas.update()

    # --- labels and hint -------------------------------------------------------------
    def _place_labels(self) -> None:
        L, hidden = self.session.layout, self.session.hidden
        shown = [s for s in L.slabs if s.index not in hidden]
        pos = [(s.x, 0.0, float(L.positions[s.offset:s.offset + s.count, 2].max())
                + max(2.5, 1.5 * s.pitch)) for s in shown]
        # Input and output names first, then the bigger layers.
        prio = [2.0 if s.kind in ("input", "output") else s.count / L.count for s in shown]
        self.labels.set([s.label for s in shown], pos, prio)
        below = [(s.x, 0.0, float(L.positions[s.offset:s.offset + s.count, 2].min())
                  - max(2.5, 1.5 * s.pitch)) for s in shown]
        self.labels_below.set([s.label for s in shown], below, prio)
        short = ["output" if s.kind == "output" else s.name for s in shown]
        self.names.set(short, pos, prio)
        self.names_below.set(short, below, prio)
        out = L.slabs[-1]
        if out.kind == "output" and out.index not in hidden:
            p = L.positions[out.offset:out.offset + out.count].copy()
            p[:, 2] -= 0.55 * out.pitch
            names = getattr(self.session, "labels", None) or [str(i) for i in range(out.count)]
            self.digits.set([str(v) for v in names[:out.count]], p, np.full(out.count, 3.0))
        else:
            self.digits.set([], np.zeros((0, 3)))
        self._label_key = None

    def _before_draw(self, _event=None) -> None:
        """Animation, then the labels' layout: for every still frame; while the camera moves
        (it moved since the last frame), at most every LABELS_EVERY_S (the labels ride on
        their anchors meanwhile), and once more when it stops (``_after_draw`` asks for that
        frame)."""
        if self._orbiting or self._fly is not None:
            self._animate()
        cam = self.view.camera
        key = (float(cam.azimuth), float(cam.elevation), float(cam.distance), tuple(cam.center),
               tuple(self.canvas.size), self.labels.strings.__len__())
        moving = key != self._frame_key
        self._frame_key = key
        if key != self._label_key:
            now = time.perf_counter()
            if self._label_key is None or not moving or now - self._label_t >= LABELS_EVERY_S:
                self._label_key, self._label_t = key, now
                declutter([self.digits, self.labels], self.nodes, self.canvas.size,
                          alternates={1: self.label_places})
                self.hint.pos = (10, self.canvas.size[1] - 14)

    def render(self, **kwargs):
        """``canvas.render`` with the labels placed for the current camera first (a render
        draws without the draw event that places them)."""
        self._label_key = None
        self._before_draw()
        return self.canvas.render(**kwargs)

    def set_hint_visible(self, visible: bool) -> None:
        if self.hint.visible != visible:
            self.hint.visible = visible
            self.canvas.update()

    # --- picking ---------------------------------------------------------------------
    def pick(self, x: float, y: float) -> int:
        """The node under (x, y): the front-most one drawn there, else the nearest centre
        within PICK_RADIUS_PX (small nodes stay easy targets); -1 for none. Hidden layers
        (size 0) are never picked and never block a node behind them."""
        return self.picker.pick_near(self.nodes, x, y, self.canvas.size, PICK_RADIUS_PX)

    def project(self, nodes) -> np.ndarray:
        return self.picker.project(self.nodes, np.atleast_1d(nodes), self.canvas.size)

    def slab_at(self, x: float, y: float) -> int | None:
        node = self.pick(x, y)
        return None if node < 0 else int(self.session.layout.slab_of[node])

    # --- camera ----------------------------------------------------------------------
    def _on_resize(self, _event=None) -> None:
        if self.auto_fit:
            self.reset_camera()

    def _user_camera(self, _event=None) -> None:
        self.auto_fit = False
        self._fly = None

    def _frame_points(self) -> np.ndarray:
        """What framing keeps in view: the corners of every slab's box (a projection's
        extremes are among them), a few dozen points instead of every node."""
        return self._frame_corners

    def reset_camera(self) -> None:
        self._fly = None
        self.auto_fit = True
        lo, hi = self.session.layout.bounds()
        cam = self.view.camera
        cam.center = tuple(float(v) for v in (lo + hi) / 2)
        cam.azimuth, cam.elevation = DEFAULT_AZIMUTH, DEFAULT_ELEVATION
        cam.set_distance(float(np.linalg.norm(hi - lo)) * 1.2)
        camlib.fit(cam, self.nodes, self._frame_points(), self.canvas.size)
        self.canvas.update()

    def set_view(self, azimuth: float | None = None, elevation: float | None = None) -> None:
        cam = self.view.camera
        if azimuth is not None:
            cam.azimuth = azimuth
        if elevation is not None:
            cam.elevation = elevation
        if self.auto_fit:
            camlib.fit(cam, self.nodes, self._frame_points(), self.canvas.size)
        self.canvas.update()

    def _camera_state(self) -> dict:
        cam = self.view.camera
        return dict(center=np.array(cam.center, float), distance=float(cam.distance),
                    azimuth=float(cam.azimuth), elevation=float(cam.elevation))

    def _apply_state(self, st: dict) -> None:
        cam = self.view.camera
        cam.center = tuple(float(v) for v in st["center"])
        cam.set_distance(st["distance"])
        cam.azimuth, cam.elevation = st["azimuth"], st["elevation"]

    def fly_target(self, slab_index: int) -> dict:
        """Where a fly-to ends: the layer filling most of the view, seen obliquely from the
        end of the net it is nearer to, with the camera outside the whole net."""
        L = self.session.layout
        s = L.slabs[slab_index]
        pts = L.positions[s.offset:s.offset + s.count]
        lo, hi = L.bounds()
        start = self._camera_state()
        cam = self.view.camera
        side = 1.0 if s.x >= 0.5 * (lo[0] + hi[0]) else -1.0
        best = None
        for az in (DEFAULT_AZIMUTH, -DEFAULT_AZIMUTH, 180 + DEFAULT_AZIMUTH, 180 - DEFAULT_AZIMUTH):
            cam.center = tuple(float(v) for v in pts.mean(0))
            cam.azimuth, cam.elevation = az, 18.0
            d = camlib.eye(self.nodes) - np.asarray(cam.center)
            if best is None or side * d[0] > best[0]:
                best = (side * d[0], az)
        cam.azimuth = best[1]
        camlib.fit(cam, self.nodes, pts[:: max(1, len(pts) // 400)], self.canvas.size, fill=0.8)
        centre = np.asarray(cam.center, float)
        direction = camlib.eye(self.nodes) - centre
        direction /= np.linalg.norm(direction)
        margin = 0.04 * float(np.linalg.norm(hi - lo))
        out = camlib.exit_distance(centre, direction, lo - margin, hi + margin)
        cam.set_distance(max(float(cam.distance), out))
        target = self._camera_state()
        self._apply_state(start)
        return target

    def fly_to(self, slab_index: int, duration: float = 0.45) -> None:
        """Animate the camera to frame one layer from outside the net."""
        target = self.fly_target(slab_index)
        start = self._camera_state()
        # Turn the short way round.
        target["azimuth"] = start["azimuth"] + ((target["azimuth"] - start["azimuth"] + 180) % 360 - 180)
        self.auto_fit = False
        if not self._orbiting and self._fly is None:
            self._anim_t = None
        self._fly = (start, target, 0.0, duration)
        self.canvas.update()

    @property
    def flying(self) -> bool:
        return self._fly is not None

    def _fly_step(self, dt: float) -> None:
        start, target, t, duration = self._fly
        t = min(1.0, t + dt / duration)
        self._fly = (start, target, t, duration) if t < 1.0 else None
        k = t * t * (3 - 2 * t)
        self._apply_state({key: start[key] + k * (target[key] - start[key]) for key in start})

    @property
    def auto_orbit(self) -> bool:
        return self._orbiting

    def set_auto_orbit(self, on: bool) -> None:
        if on and not self._orbiting:
            # Orbit about the middle of the whole net, so it can be kept in frame.
            lo, hi = self.session.layout.bounds()
            self.view.camera.center = tuple(float(v) for v in (lo + hi) / 2)
            if self._fly is None:
                self._anim_t = None
            self._orbiting = True
            self.canvas.update()
        elif not on:
            self._orbiting = False

    def _orbit_step(self, dt: float) -> None:
        cam = self.view.camera
        with cam.batch():   # framed by the last frame's projection: one view update a frame
            camlib.keep_framed(cam, self.nodes, self._frame_points(), self.canvas.size)
            cam.azimuth = (cam.azimuth + ORBIT_DEG_PER_S * dt) % 360

    def _animate(self) -> None:
        """One animation step at the start of a frame (the frame's end asks for the next)."""
        now = time.perf_counter()
        # The first frame of a run does not move; a stall of the loop moves 0.1 s at most.
        dt = 0.0 if self._anim_t is None else min(now - self._anim_t, 0.1)
        self._anim_t = now
        if self._fly is not None:
            self._fly_step(dt)
        if self._orbiting:
            self._orbit_step(dt)
        if not self._orbiting and self._fly is None:
            self._anim_t = None

    def _after_draw(self, _event=None) -> None:
        # Only now: the canvas ignores update requests made before it has drawn. A frame
        # drawn with labels laid out for an earlier camera asks for the next one too.
        if self._orbiting or self._fly is not None or self._label_key != self._frame_key:
            self.canvas.update()


def _box_corners(layout) -> np.ndarray:
    """The distinct corners of each slab's bounding box (a flat slab has four)."""
    out = []
    for s in (s for s in layout.slabs if s.count):
        p = layout.positions[s.offset:s.offset + s.count]
        # Column by column: a reduction over axis 0 of (n, 3) is many times slower.
        lo = [p[:, k].min() for k in range(3)]
        hi = [p[:, k].max() for k in range(3)]
        out += [(x, y, z) for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
    return np.unique(np.asarray(out, np.float64), axis=0)
