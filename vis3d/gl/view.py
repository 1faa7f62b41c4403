"""The 3D scene: nodes, hover edges, layer labels and the camera, over one NetworkState.

Thin: it only translates state changes (values, hovered/pinned node, model) into
updates of the visuals. Nothing here computes activations or edges.
"""

from __future__ import annotations

import numpy as np
from vispy import scene
from vispy.app import Timer

from vis3d.scene import colors
from vis3d.scene.edges import edge_style
from vis3d.gl.edges import Edges
from vis3d.gl.nodes import Nodes
from vis3d.gl.picking import NodePicker

BACKGROUND = "#10131a"
DEFAULT_AZIMUTH, DEFAULT_ELEVATION = -42.0, 14.0


class NetworkScene:
    def __init__(self, canvas: scene.SceneCanvas, state, colormap: str = colors.DEFAULT_COLORMAP):
        self.canvas = canvas
        canvas.bgcolor = BACKGROUND
        self.view = canvas.central_widget.add_view()
        self.view.camera = scene.TurntableCamera(fov=18, up="+z", translate_speed=1.0)
        self.colormap = colormap
        self.nodes = None
        self.edges = Edges(parent=self.view.scene)
        self.labels = scene.visuals.Text(parent=self.view.scene, color="#c9d3e6", font_size=9,
                                         anchor_x="center", anchor_y="bottom", bold=True)
        self.digits = scene.visuals.Text(parent=self.view.scene, color="#e8eefc", font_size=12,
                                         anchor_x="center", anchor_y="top", bold=True)
        self.edge_node: int | None = None
        self.hidden: set[int] = set()
        self._fly = None
        self._orbit = Timer(interval=1 / 30, connect=self._orbit_step, start=False)
        self._fly_timer = Timer(interval=1 / 60, connect=self._fly_step, start=False)
        self.auto_fit = True  # refit on resize until the user moves the camera
        self.view.events.resize.connect(self._on_resize)
        for ev in (canvas.events.mouse_press, canvas.events.mouse_wheel):
            ev.connect(self._user_camera)
        self.set_state(state)

    def _on_resize(self, _event=None) -> None:
        if self.auto_fit:
            self.reset_camera()

    def _user_camera(self, _event=None) -> None:
        self.auto_fit = False

    # --- model -----------------------------------------------------------------------
    def set_state(self, state) -> None:
        self.state = state
        L = state.layout
        self.hidden.clear()
        lut = colors.lut(self.colormap)
        if self.nodes is None:
            self.nodes = Nodes(L.positions, L.sizes, lut, state.values, parent=self.view.scene)
            self.nodes.order = -1
            self.edges.order = 1
        else:
            self.nodes.set_data(L.positions, L.sizes, state.values)
        self.picker = NodePicker(L.positions, L.sizes)
        self._place_labels()
        self.clear_edges()
        self.nodes.set_highlight(None)
        self.reset_camera()

    def _place_labels(self) -> None:
        L = self.state.layout
        text, pos = [], []
        for s in L.slabs:
            if s.index in self.hidden:
                continue
            top = float(L.positions[s.offset:s.offset + s.count, 2].max())
            text.append(s.label)
            pos.append((s.x, 0.0, top + max(2.5, 1.5 * s.pitch)))
        self.labels.text, self.labels.pos = text, np.array(pos, np.float32)
        out = L.slabs[-1]
        if out.kind == "output" and out.index not in self.hidden:
            p = L.positions[out.offset:out.offset + out.count].copy()
            p[:, 2] -= 1.2 * out.pitch
            self.digits.text, self.digits.pos = [str(i) for i in range(out.count)], p
        else:
            self.digits.text = [""]
            self.digits.pos = np.zeros((1, 3), np.float32)

    # --- per tick --------------------------------------------------------------------
    def refresh(self) -> None:
        """Upload the state's per-node values (and the shown edges' new contributions)."""
        self.nodes.set_activations(self.state.values)
        if self.edge_node is not None:
            self.show_edges(self.edge_node)
        self.canvas.update()

    def set_colormap(self, name: str) -> None:
        self.colormap = name
        self.nodes.set_lut(colors.lut(name))
        self.canvas.update()

    # --- hover, edges ----------------------------------------------------------------
    def pick(self, x: float, y: float) -> int:
        node = self.picker.pick(self.nodes, x, y, self.canvas.size)
        if node >= 0 and int(self.state.layout.slab_of[node]) in self.hidden:
            return -1
        return node

    def project(self, nodes) -> np.ndarray:
        return self.picker.project(self.nodes, np.atleast_1d(nodes), self.canvas.size)

    def show_edges(self, node: int | None) -> None:
        inc = None if node is None else self.state.incoming(node)
        self.edge_node = node
        if inc is None or len(inc.sources) == 0:
            self.edges.clear()
        else:
            widths, rgba = edge_style(inc)
            P = self.state.layout.positions
            self.edges.set_edges(P[inc.sources], np.repeat(P[node][None], len(inc.sources), 0),
                                 widths, rgba)
        self.nodes.set_highlight(node)
        self.canvas.update()

    def clear_edges(self) -> None:
        self.edge_node = None
        self.edges.clear()
        self.nodes.set_highlight(None)
        self.canvas.update()

    # --- layers ----------------------------------------------------------------------
    def set_slab_visible(self, index: int, visible: bool) -> None:
        (self.hidden.discard if visible else self.hidden.add)(index)
        sizes = self.state.layout.sizes.copy()
        for i in self.hidden:
            s = self.state.layout.slabs[i]
            sizes[s.offset:s.offset + s.count] = 0
        self.nodes.set_sizes(sizes)
        self._place_labels()
        self.canvas.update()

    # --- camera ----------------------------------------------------------------------
    def _fit(self, indices: np.ndarray, fill: float = 0.88) -> None:
        """Move the camera until these nodes fill the canvas and sit in its middle."""
        cam = self.view.camera
        w, h = self.canvas.size
        for _ in range(8):
            p = self.project(indices)[:, :2]
            span = np.maximum(p.max(0) - p.min(0), 1e-3)
            ratio = max(span[0] / (fill * w), span[1] / (fill * h))
            off = (p.max(0) + p.min(0)) / 2 - (w / 2, h / 2)
            if abs(ratio - 1) < 0.02 and np.all(np.abs(off) < 0.01 * w):
                break
            # Screen motion of the orbit centre per world unit along x, y, z: shift the
            # centre (least-norm) so that the middle of the nodes comes to the canvas middle.
            c = np.array(cam.center, np.float64)
            step = max(float(cam.distance) * 0.01, 1e-3)
            base = self._project_points(c[None])[0]
            jac = np.stack([(self._project_points((c + step * e)[None])[0] - base) / step
                            for e in np.eye(3)], 1)
            cam.center = tuple(float(v) for v in c + np.linalg.pinv(jac) @ off)
            self._set_distance(float(cam.distance) * ratio)

    def _set_distance(self, distance: float) -> None:
        """Camera distance, with VisPy's scale factor to match: panning (shift + drag) moves
        the scene by scale_factor per view width, so it must be the width seen at the centre."""
        cam = self.view.camera
        cam.distance = distance
        cam.scale_factor = 2.0 * distance * float(np.tan(np.radians(cam.fov) / 2))

    def _project_points(self, pts: np.ndarray) -> np.ndarray:
        tr = self.nodes.get_transform("visual", "canvas")
        q = tr.map(np.asarray(pts, np.float64))
        return q[:, :2] / q[:, 3:4]

    def reset_camera(self) -> None:
        self._fly_timer.stop()
        self.auto_fit = True
        lo, hi = self.state.layout.bounds()
        cam = self.view.camera
        cam.center = tuple(float(v) for v in (lo + hi) / 2)
        cam.azimuth, cam.elevation = DEFAULT_AZIMUTH, DEFAULT_ELEVATION
        self._set_distance(float(np.linalg.norm(hi - lo)) * 1.2)
        L = self.state.layout
        corners = np.unique(np.concatenate([
            np.arange(s.offset, s.offset + s.count, max(1, s.count // 200)) for s in L.slabs]))
        self._fit(corners)
        self.canvas.update()

    def set_view(self, azimuth: float | None = None, elevation: float | None = None) -> None:
        if azimuth is not None:
            self.view.camera.azimuth = azimuth
        if elevation is not None:
            self.view.camera.elevation = elevation
        self.canvas.update()

    def fly_to(self, slab_index: int, duration: float = 0.45) -> None:
        """Animate the camera to face one slab, filling the view with it."""
        s = self.state.layout.slabs[slab_index]
        pts = self.state.layout.positions[s.offset:s.offset + s.count]
        lo, hi = pts.min(0), pts.max(0)
        cam = self.view.camera
        target = dict(center=np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2]),
                      distance=1.35 * max(hi[1] - lo[1], hi[2] - lo[2], 8) / np.tan(np.radians(cam.fov)),
                      azimuth=-90.0 + 25.0, elevation=12.0)
        start = dict(center=np.array(cam.center, float), distance=float(cam.distance),
                     azimuth=float(cam.azimuth), elevation=float(cam.elevation))
        self._fly = (start, target, 0.0, duration)
        self._fly_timer.start()

    def _fly_step(self, event) -> None:
        start, target, t, duration = self._fly
        t = min(1.0, t + event.dt / duration if event.dt else 1.0)
        self._fly = (start, target, t, duration)
        k = t * t * (3 - 2 * t)
        cam = self.view.camera
        cam.center = tuple(start["center"] + k * (target["center"] - start["center"]))
        self._set_distance(start["distance"] + k * (target["distance"] - start["distance"]))
        cam.azimuth = start["azimuth"] + k * (target["azimuth"] - start["azimuth"])
        cam.elevation = start["elevation"] + k * (target["elevation"] - start["elevation"])
        if t >= 1.0:
            self._fly_timer.stop()

    @property
    def auto_orbit(self) -> bool:
        return self._orbit.running

    def set_auto_orbit(self, on: bool) -> None:
        (self._orbit.start if on else self._orbit.stop)()

    def _orbit_step(self, event) -> None:
        self.view.camera.azimuth = (self.view.camera.azimuth + 6.0 * (event.dt or 1 / 30)) % 360

    def slab_at(self, x: float, y: float) -> int | None:
        node = self.pick(x, y)
        return None if node < 0 else int(self.state.layout.slab_of[node])
