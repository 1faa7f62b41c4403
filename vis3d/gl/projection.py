"""A 3D point cloud of a layer's PCA projection: one point per test image coloured by its
label, the current input as a larger ringed point, a legend of the classes and the explained
variance. Its own VisPy view with an orbiting camera (drag: orbit, wheel: zoom). No Qt."""

from __future__ import annotations

import numpy as np
from vispy import scene

BACKGROUND = "#10131a"
# Ten well separated label colours (Tableau 10), then repeating with a lighter shade.
PALETTE = np.array([
    (0.27, 0.51, 0.71), (1.00, 0.50, 0.05), (0.17, 0.63, 0.17), (0.84, 0.15, 0.16),
    (0.58, 0.40, 0.74), (0.55, 0.34, 0.29), (0.89, 0.47, 0.76), (0.60, 0.60, 0.60),
    (0.74, 0.74, 0.13), (0.09, 0.75, 0.81)], np.float32)


def label_colours(labels: np.ndarray, alpha: float = 0.85) -> np.ndarray:
    labels = np.asarray(labels, np.int64)
    rgb = PALETTE[labels % len(PALETTE)]
    rgb = np.where((labels // len(PALETTE) % 2 == 1)[:, None], 0.5 + 0.5 * rgb, rgb)
    return np.concatenate([rgb, np.full((len(labels), 1), alpha, np.float32)], 1)


class ProjectionView:
    def __init__(self, canvas: scene.SceneCanvas):
        self.canvas = canvas
        canvas.bgcolor = BACKGROUND
        self.view = canvas.central_widget.add_view()
        self.view.camera = scene.TurntableCamera(fov=30, azimuth=30, elevation=25, up="+z")
        self.points = scene.visuals.Markers(parent=self.view.scene)
        self.current = scene.visuals.Markers(parent=self.view.scene)
        self.current.order = 1
        self.current.visible = False
        self.axes = scene.visuals.XYZAxis(parent=self.view.scene)
        self.title = scene.visuals.Text("", parent=canvas.scene, color="#c9d3e6", font_size=9,
                                        anchor_x="left", anchor_y="center")
        self.legend = []
        self.coords = np.zeros((0, 3), np.float32)
        self.labels = np.zeros(0, np.int64)
        self.scale = 1.0
        canvas.events.resize.connect(lambda _e: (self._place_text(), self.fit()))

    def set_points(self, coords: np.ndarray, labels: np.ndarray, title: str = "",
                   ratio=None, names=None) -> None:
        coords = np.asarray(coords, np.float32)
        # In a unit ball (all but the farthest 0.5% of points): the camera fits the ball, so
        # no orbit angle pushes a cluster out of the view.
        norms = np.linalg.norm(coords, axis=1) if coords.size else np.ones(1)
        self.scale = float(np.percentile(norms, 99.5)) or 1.0
        self.coords = coords / self.scale
        self.labels = np.asarray(labels, np.int64)
        self.points.set_data(self.coords, size=5, edge_width=0,
                             face_color=label_colours(self.labels))
        self.axes.transform = scene.transforms.STTransform(scale=(0.6, 0.6, 0.6))
        var = "" if ratio is None else "   PC1-3: " + ", ".join(f"{100 * r:.1f}%" for r in ratio)
        self.title.text = f"{title}{var}"
        for t in self.legend:
            t.parent = None
        k = int(self.labels.max()) + 1 if len(self.labels) else 0
        names = names or [str(i) for i in range(k)]
        self.legend = [scene.visuals.Text(str(names[i]) if i < len(names) else str(i),
                                          parent=self.canvas.scene, bold=True, font_size=10,
                                          color=tuple(label_colours(np.array([i]), 1.0)[0]),
                                          anchor_x="left", anchor_y="center") for i in range(k)]
        self.fit()
        self._place_text()
        self.canvas.update()

    def fit(self) -> None:
        """Frame the unit ball the points live in, whatever the canvas's aspect: its
        distance is where the ball's silhouette touches the narrower side's half-angle."""
        w, h = self.canvas.size
        aspect = min(1.0, w / max(1.0, h))
        cam = self.view.camera
        cam.center = (0.0, 0.0, 0.0)
        half = np.arctan(np.tan(np.radians(cam.fov / 2)) * aspect)
        cam.distance = 1.04 / np.sin(half)
        self.canvas.update()

    def set_current(self, coord) -> None:
        """The live input's point (None: hidden)."""
        if coord is None:
            self.current.visible = False
        else:
            p = np.asarray(coord, np.float32).reshape(1, 3) / self.scale
            self.current.set_data(p, size=16, edge_width=3, edge_color=(1, 1, 1, 1),
                                  face_color=(1.0, 0.9, 0.2, 1.0), symbol="disc")
            self.current.visible = True
        self.canvas.update()

    def _place_text(self) -> None:
        self.title.pos = (8, 18)
        for i, t in enumerate(self.legend):
            t.pos = (8 + 18 * i, 38)

    def screen_positions(self) -> np.ndarray:
        """Every point's (x, y) in canvas pixels."""
        if not len(self.coords):
            return np.zeros((0, 2), np.float32)
        tr = self.points.get_transform("visual", "canvas")
        p = tr.map(self.coords)
        return p[:, :2] / p[:, 3:4]

    def pick(self, x: float, y: float, radius: float = 8.0) -> int:
        """The index of the point nearest (x, y) within ``radius`` pixels, else -1."""
        xy = self.screen_positions()
        if not len(xy):
            return -1
        d = np.hypot(xy[:, 0] - x, xy[:, 1] - y)
        i = int(d.argmin())
        return i if d[i] <= radius else -1
