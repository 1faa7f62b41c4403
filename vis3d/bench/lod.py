"""Level-of-detail benchmarks: frame times of large, feature-map layouts with far maps
drawn as quads (vis3d.gl.maps) against all nodes as points, on the same canvas and camera.

The layouts are real ``vis3d.scene.layout`` layouts of a ResNet-18-shaped chain of
slabs (3xSxS input, 64@S/2, pool, 4x 64@S/4, 4x 128@S/8, 4x 256@S/16, 4x 512@S/32,
avgpool, FC 1000), S chosen per size; S = 224 is the ResNet-18 of the issue (2.66 M nodes).
"""

from __future__ import annotations

import time

import networkx as nx
import numpy as np

from vis3d.bench import render as br

SCALE = (35_000, 300_000, 1_000_000, 3_000_000)
POINTS_MAX = 3_000_000     # points-only figures up to this many nodes
_STAGES = ((64, 4, 4), (128, 4, 8), (256, 4, 16), (512, 4, 32))  # channels, convs, stride


def resnet_graph(side: int) -> nx.DiGraph:
    """The layer graph (as the probe gives it) of a ResNet-18-shaped chain at 3 x side x side."""
    def down(k):
        return -(-side // k)
    g = nx.DiGraph()
    layers = [("input", "input", (3, side, side)), ("conv1", "conv", (64, down(2), down(2))),
              ("pool", "pool", (64, down(4), down(4)))]
    for stage, (ch, convs, k) in enumerate(_STAGES, start=1):
        layers += [(f"layer{stage}.conv{i + 1}", "conv", (ch, down(k), down(k))) for i in range(convs)]
    layers += [("avgpool", "pool", (512, 1, 1)), ("fc", "linear", (1000,))]
    prev = None
    for i, (name, kind, shape) in enumerate(layers):
        g.add_node(name, kind=kind, shape=shape, index=i, module=kind)
        if prev is not None:
            g.add_edge(prev, name)
        prev = name
    return g


def node_count(side: int) -> int:
    return int(sum(np.prod(d["shape"]) for _, d in resnet_graph(side).nodes(data=True)))


def side_for(n: int) -> int:
    """The input side whose ResNet-shaped layout has the node count nearest to n."""
    return min(range(8, 400), key=lambda s: abs(node_count(s) - n))


def scene(side: int):
    """(layout, tiles, activations) of the ResNet-shaped chain at this input side."""
    from vis3d.scene import layout, tiles_geometry
    lay = layout.compute(resnet_graph(side))
    tiles = tiles_geometry.compute(lay, check=False)
    acts = np.random.default_rng(0).random(lay.count).astype(np.float32)
    return lay, tiles, acts


class LodScene:
    """Nodes + Maps + MapLOD of one layout in a view of ``canvas`` (as NetworkView builds them)."""

    def __init__(self, canvas, lay, tiles, acts):
        from vispy import scene as vscene

        from vis3d.gl.maps import MapLOD, Maps
        from vis3d.gl.nodes import Nodes
        self.view = canvas.central_widget.add_view()
        self.view.camera = vscene.TurntableCamera(fov=br.FOV, up="+z")
        br.fit_camera(self.view, lay.positions)
        lut = br.lut_default()
        self.nodes = Nodes(lay.positions, lay.sizes, lut, acts, parent=self.view.scene)
        self.maps = Maps(lut, tiles, lay.count, acts, parent=self.view.scene)
        self.nodes.order, self.maps.order = -1, -2
        self.lod = MapLOD(self.nodes, self.maps, tiles)
        self.layout = lay

    def look_at_slab(self, index: int, pitch_px: float) -> None:
        """Camera centred on one slab, near enough that its nodes are ``pitch_px`` apart."""
        s = self.layout.slabs[index]
        cam = self.view.camera
        cam.center = (float(s.x), 0.0, 0.0)
        br.draw_once(self.view.canvas)  # settle the transforms at the fitted distance
        now = float(np.median(self.lod.pitch_px(self.nodes)[self.lod.tiles.slab == index]))
        cam.distance = float(cam.distance) * now / pitch_px

    def remove(self) -> None:
        self.nodes.parent = self.maps.parent = self.view.parent = None


def _frames(canvas, sc: LodScene, frames: int, points: bool, rounds: int = 3) -> dict:
    setups = {"lod_frame_ms": lambda: setattr(sc.lod, "enabled", True)}
    if points:
        setups["points_frame_ms"] = lambda: setattr(sc.lod, "enabled", False)
    res = br._interleaved(canvas, setups, rounds, frames)
    sc.lod.enabled = True
    br.draw_once(canvas)
    res["nodes_drawn"] = int(sc.nodes.drawn)
    res["quads"] = int(sc.maps.quads)
    return res


def bench_lod_scale(counts=SCALE, size=br.SIZE, frames: int = 4) -> dict:
    """Per size: nodes, LOD frame (whole net in view), points-only frame, and a near view
    (the biggest slab at 4 px pitch: its maps as points, the rest as quads)."""
    from vis3d.gl.context import make_canvas
    canvas = make_canvas(size)
    canvas.bgcolor = "#10131a"
    out = {}
    try:
        for n in counts:
            lay, tiles, acts = scene(side_for(n))
            sc = LodScene(canvas, lay, tiles, acts)
            r = {"nodes": lay.count, "tiles": len(tiles)}
            r.update(_frames(canvas, sc, frames if n < 1_000_000 else 2, points=n <= POINTS_MAX))
            sc.look_at_slab(1, 4.0)
            near = _frames(canvas, sc, frames if n < 1_000_000 else 2, points=False)
            r.update({f"near_{k}": v for k, v in near.items()})
            r["switch_ms"] = _switch_ms(sc)
            r["near_highlight_ms"] = _highlight_ms(sc)
            sc.remove()
            out[str(n)] = r
    finally:
        canvas.close()
    return out


def _switch_ms(sc: LodScene, repeat: int = 5) -> float:
    """Median ms to rebuild both index buffers when the far set changes (half the tiles)."""
    import vispy.gloo.gl as gl
    T = len(sc.lod.tiles)
    a = np.zeros(T, bool)
    a[::2] = True
    times = []
    for i in range(repeat):
        far = a if i % 2 else ~a
        t0 = time.perf_counter()
        sc.lod._apply(far, np.zeros(T, bool))
        sc.view.canvas.context.flush_commands()
        gl.glFinish()
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e3)


def _highlight_ms(sc: LodScene, repeat: int = 10) -> float:
    """Median ms to highlight a node of a far map (it must stay a point: index rebuilt)
    and to move the highlight on, in the current view."""
    import vispy.gloo.gl as gl
    br.draw_once(sc.view.canvas)
    far = np.flatnonzero(sc.lod.far)
    if len(far) == 0:
        return 0.0
    nodes = sc.lod.tiles.offset[far[:: max(1, len(far) // repeat)]][:repeat]
    times = []
    for node in nodes:
        t0 = time.perf_counter()
        previous = sc.nodes.highlight
        sc.nodes.set_highlight(int(node))
        sc.lod.refresh_highlight(previous)
        sc.view.canvas.context.flush_commands()
        gl.glFinish()
        times.append(time.perf_counter() - t0)
    sc.nodes.set_highlight(None)
    return float(np.median(times) * 1e3)


def bench_resnet18(size=br.SIZE, frames: int = 4) -> dict:
    """The ResNet-18 of the issue (3x224x224) against mnist_cnn's real layout on the same
    canvas, frames interleaved (whole net in view, LOD on for both: mnist_cnn stays all
    points at this size); and the time from layout to the first drawn frame."""
    from vis3d.gl.context import make_canvas
    from vis3d.scene import layout, tiles_geometry
    canvas = make_canvas(size)
    canvas.bgcolor = "#10131a"
    try:
        from vis3d.model import weights
        from vis3d.model.probe import Probe
        lay = layout.compute(Probe(weights.load("mnist_cnn").model).graph)
        mnist = LodScene(canvas, lay, tiles_geometry.compute(lay),
                         np.random.default_rng(0).random(lay.count).astype(np.float32))
        mnist.view.visible = False
        t0 = time.perf_counter()
        big_lay = layout.compute(resnet_graph(224))
        t_layout = time.perf_counter() - t0
        t0 = time.perf_counter()
        tiles = tiles_geometry.compute(big_lay)  # with the grid check, as the window does
        t_tiles = time.perf_counter() - t0
        acts = np.random.default_rng(0).random(big_lay.count).astype(np.float32)
        t0 = time.perf_counter()
        big = LodScene(canvas, big_lay, tiles, acts)
        br.draw_once(canvas)
        t_first = time.perf_counter() - t0

        def show(sc, lod=True):
            def setup():
                mnist.view.visible, big.view.visible = sc is mnist, sc is big
                sc.lod.enabled = lod
            return setup
        res = br._interleaved(canvas, {"mnist_cnn_frame_ms": show(mnist), "frame_ms": show(big),
                                       "points_frame_ms": show(big, False)}, 3, frames)
        show(big)()
        br.draw_once(canvas)
        t0 = time.perf_counter()
        big.maps.set_values(acts)
        big.nodes.set_activations(acts)
        canvas.context.flush_commands()
        upload = (time.perf_counter() - t0) * 1e3
        t0 = time.perf_counter()   # the far maps' colour pyramids, rebuilt before the next frame
        big.maps.refresh_colours()
        canvas.context.flush_commands()
        colours = (time.perf_counter() - t0) * 1e3
        drawn, quads = big.nodes.drawn, big.maps.quads
        big.remove()
        mnist.remove()
        return {"nodes": big_lay.count, **res, "ratio": res["frame_ms"] / res["mnist_cnn_frame_ms"],
                "nodes_drawn": int(drawn), "quads": int(quads), "layout_s": t_layout,
                "tiles_s": t_tiles, "gl_first_frame_s": t_first, "values_upload_ms": upload,
                "colours_ms": colours}
    finally:
        canvas.close()
