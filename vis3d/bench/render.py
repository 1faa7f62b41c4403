"""Render benchmarks: our node visual vs stock Markers, scaling, picking, hover edges.

All frame times are full scene draws (clear + every visual) into the canvas's own
framebuffer, closed by glFinish so the GPU (llvmpipe) work is really counted; no
pixel readback. Alternatives are measured interleaved on the same canvas and camera
so that load from other processes hits both alike.
"""

from __future__ import annotations

import time

import numpy as np
from vispy import scene
from vispy.gloo import gl

from vis3d.gl.context import make_canvas
from vis3d.gl.edges import Edges
from vis3d.gl.nodes import Nodes
from vis3d.gl.picking import NodePicker

SIZE = (1280, 800)
AZIMUTH, ELEVATION, FOV = -38.0, 24.0, 35.0
# Share of the nodes per slab, like a small CNN: input, conv, conv, pool, fc.
_SLABS = (0.03, 0.30, 0.50, 0.15, 0.02)


def lut_default() -> np.ndarray:
    from vis3d.gl.colormaps import lut
    return lut()


def synthetic_scene(n: int, seed: int = 0):
    """(positions (n,3), sizes (n,), activations (n,)) of a layered, layout-like cloud.

    Slabs along x, each a square grid in y-z with pitch 1 and node diameter 0.62 (the
    layout's own proportions), gaps between slabs; nothing overlaps.
    """
    rng = np.random.default_rng(seed)
    counts = np.maximum(1, np.round(np.array(_SLABS) * n).astype(int))
    counts[2] += n - counts.sum()
    pos_parts, x = [], 0.0
    sides = [int(np.ceil(np.sqrt(c))) for c in counts]
    gap = 0.35 * max(sides) + 8.0
    for c, side in zip(counts, sides):
        k = np.arange(c)
        grid = np.stack([np.full(c, x), (k % side) - (side - 1) / 2, (k // side) - (side - 1) / 2], 1)
        pos_parts.append(grid)
        x += gap
    pos = np.concatenate(pos_parts).astype(np.float32)
    pos[:, 0] -= 0.5 * (x - gap)
    sizes = np.full(n, 0.62, np.float32)
    acts = rng.random(n).astype(np.float32)
    return pos, sizes, acts


def fit_camera(view, positions, fov: float = FOV) -> None:
    """Turntable camera at the scene's angle, far enough that the bounding sphere fits."""
    lo, hi = positions.min(0), positions.max(0)
    cam = view.camera if isinstance(view.camera, scene.TurntableCamera) else None
    if cam is None:
        cam = view.camera = scene.TurntableCamera(fov=fov, up="+z")
    radius = float(np.linalg.norm(hi - lo)) / 2
    w, h = view.canvas.size
    half = np.radians(fov) / 2 * min(1.0, w / h)
    cam.center = tuple(float(v) for v in (lo + hi) / 2)
    cam.azimuth, cam.elevation = AZIMUTH, ELEVATION
    cam.distance = radius / np.sin(half) * 0.62  # the bounding sphere is loose for slabs


def draw_once(canvas) -> None:
    canvas.set_current()
    canvas.on_draw(None)
    canvas.context.flush_commands()
    gl.glFinish()


def frame_times(canvas, frames: int = 30, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        draw_once(canvas)
    out = []
    for _ in range(frames):
        t0 = time.perf_counter()
        draw_once(canvas)
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def median_frame_ms(canvas, frames: int = 30) -> float:
    """Median wall time of one full, finished draw of the canvas's scene."""
    return float(np.median(frame_times(canvas, frames)))


def _interleaved(canvas, setups: dict, rounds: int, frames: int) -> dict:
    """Median frame ms per setup; setups switch in turn so background load hits all alike."""
    times = {k: [] for k in setups}
    for _ in range(rounds):
        for name, setup in setups.items():
            setup()
            times[name] += frame_times(canvas, frames, warmup=1)
    return {k: float(np.median(v)) for k, v in times.items()}


def _view(canvas, positions):
    view = canvas.central_widget.add_view()
    view.camera = scene.TurntableCamera(fov=FOV, up="+z")
    fit_camera(view, positions)
    return view


def markers_for(positions, sizes, activations, lut=None, parent=None):
    """The naive baseline: stock Markers, antialias=0, world-size points, same colours (CPU LUT)."""
    from vis3d.scene.colors import map_colors

    lut = lut_default() if lut is None else lut
    markers = scene.visuals.Markers(parent=parent, scaling="scene", antialias=0)
    markers.set_data(positions, size=sizes, face_color=map_colors(activations, lut), edge_width=0)
    return markers


def bench_nodes_vs_markers(positions, sizes, activations, lut=None, size=SIZE,
                           rounds: int = 4, frames: int = 10, canvas=None) -> dict:
    """{'frame_ms', 'markers_frame_ms', 'empty_frame_ms'}: same canvas, camera and colours."""
    lut = lut_default() if lut is None else lut
    own = canvas is None
    canvas = make_canvas(size) if own else canvas
    bg = canvas.bgcolor
    try:
        canvas.bgcolor = "#10131a"
        view = _view(canvas, positions)
        nodes = Nodes(positions, sizes, lut, activations, parent=view.scene)
        markers = markers_for(positions, sizes, activations, lut, parent=view.scene)

        def show(n, m):
            def setup():
                nodes.visible, markers.visible = n, m
            return setup

        res = _interleaved(canvas, {"frame_ms": show(True, False), "markers_frame_ms": show(False, True),
                                    "empty_frame_ms": show(False, False)}, rounds, frames)
        nodes.parent = markers.parent = view.parent = None
        return res
    finally:
        canvas.bgcolor = bg
        if own:
            canvas.close()


def bench_scale(counts=(10_000, 35_000, 100_000, 300_000, 1_000_000), size=SIZE,
                seed: int = 0) -> dict:
    """{n: median frame_ms} of our node visual alone on synthetic scenes."""
    canvas = make_canvas(size)
    try:
        out = {}
        nodes = view = None
        for n in counts:
            pos, sizes, acts = synthetic_scene(n, seed)
            if nodes is None:
                view = _view(canvas, pos)
                nodes = Nodes(pos, sizes, lut_default(), acts, parent=view.scene)
            else:
                nodes.set_data(pos, sizes, acts)
                fit_camera(view, pos)
            frames = 20 if n <= 100_000 else 6
            out[n] = median_frame_ms(canvas, frames)
        return out
    finally:
        canvas.close()


def bench_pick(positions, sizes, size=SIZE, repeat: int = 200, seed: int = 0, canvas=None) -> dict:
    """Pick timings (ms, medians) at random node centres and empty pixels.

    pick_ms: camera still (projection cached); pick_moved_ms: camera moved before every
    pick (full projection); gpu_crop_ms: the scene rendered into a 5x5 crop and read
    back, a lower bound for id-colour picking (the marker_picking technique).
    """
    own = canvas is None
    canvas = make_canvas(size) if own else canvas
    try:
        view = _view(canvas, positions)
        nodes = Nodes(positions, sizes, lut_default(), None, parent=view.scene)
        draw_once(canvas)
        picker = NodePicker(positions, sizes)
        rng = np.random.default_rng(seed)
        targets = picker.project(nodes, rng.integers(0, len(positions), repeat), canvas.size)
        targets[::2] = rng.random((len(targets[::2]), 2)) * np.array(canvas.size)
        picker.pick(nodes, 0, 0, canvas.size)
        still = []
        for x, y in targets:
            t0 = time.perf_counter()
            picker.pick(nodes, x, y, canvas.size)
            still.append(time.perf_counter() - t0)
        moved = []
        cam = view.camera
        for i, (x, y) in enumerate(targets[:60]):
            cam.azimuth = AZIMUTH + 0.01 * (i + 1)
            t0 = time.perf_counter()
            picker.pick(nodes, x, y, canvas.size)
            moved.append(time.perf_counter() - t0)
        cam.azimuth = AZIMUTH
        gpu = []
        for x, y in targets[:20]:
            t0 = time.perf_counter()
            canvas.render(region=(int(x) - 2, int(y) - 2, 5, 5))
            gpu.append(time.perf_counter() - t0)
        nodes.parent = view.parent = None
        ms = lambda v: float(np.median(v) * 1e3)  # noqa: E731
        return {"pick_ms": ms(still), "pick_moved_ms": ms(moved), "gpu_crop_ms": ms(gpu)}
    finally:
        if own:
            canvas.close()


def synthetic_hover(positions, n_edges: int = 4608, seed: int = 0):
    """(sources, target, widths_px, colors) like a fully connected node's incoming edges."""
    from vis3d.scene.colors import NEGATIVE, POSITIVE

    rng = np.random.default_rng(seed)
    order = np.argsort(positions[:, 0], kind="stable")
    xs = np.unique(positions[:, 0])
    target = int(order[-1])                                        # a node of the last slab
    pool = np.flatnonzero(positions[:, 0] == xs[max(0, len(xs) - 2)])  # the slab before it
    n_edges = min(n_edges, len(positions) - 1)
    if len(pool) >= n_edges:
        sources = pool[:n_edges]
    else:
        sources = rng.choice(np.delete(np.arange(len(positions)), target), n_edges, replace=False)
    w = rng.normal(0, 1, len(sources)).astype(np.float32)
    a = np.abs(w) / np.abs(w).max()
    widths = 0.6 + 5.4 * a
    colors = np.empty((len(w), 4), np.float32)
    colors[:, :3] = np.where((w >= 0)[:, None], POSITIVE, NEGATIVE)
    colors[:, 3] = 0.12 + 0.88 * rng.random(len(w)) * a
    return sources, target, widths.astype(np.float32), colors


def bench_hover(positions, sizes, activations, lut=None, hover=None, size=SIZE,
                rounds: int = 4, frames: int = 10, canvas=None) -> dict:
    """{'hover_edges_ms' (build + upload), 'hover_frame_ms', 'frame_ms', 'edges'}."""
    lut = lut_default() if lut is None else lut
    sources, target, widths, colors = synthetic_hover(positions) if hover is None else hover
    own = canvas is None
    canvas = make_canvas(size) if own else canvas
    try:
        view = _view(canvas, positions)
        nodes = Nodes(positions, sizes, lut, activations, parent=view.scene)
        edges = Edges(parent=view.scene)
        nodes.order, edges.order = -1, 1
        starts = positions[sources]
        ends = np.repeat(positions[target][None], len(sources), 0)

        def upload():
            edges.set_edges(starts, ends, widths, colors)
            nodes.set_highlight(target)
            canvas.context.flush_commands()
            gl.glFinish()

        upload()
        draw_once(canvas)
        build = []
        for _ in range(30):
            t0 = time.perf_counter()
            upload()
            build.append(time.perf_counter() - t0)

        def show(on):
            def setup():
                edges.visible = on
            return setup

        res = _interleaved(canvas, {"hover_frame_ms": show(True), "frame_ms": show(False)},
                           rounds, frames)
        res["hover_edges_ms"] = float(np.median(build) * 1e3)
        res["edges"] = int(len(sources))
        nodes.parent = edges.parent = view.parent = None
        return res
    finally:
        if own:
            canvas.close()


def layout_scene(model: str):
    """(positions, sizes, activations) of a bundled model's real layout (random activations)."""
    from vis3d.model import weights
    from vis3d.model.probe import Probe
    from vis3d.scene import layout
    lay = layout.compute(Probe(weights.load(model).model).graph)
    return lay.positions, lay.sizes, np.random.default_rng(0).random(lay.count).astype(np.float32)


def main(argv=None) -> dict:
    """``python -m vis3d.bench.render [--layout mnist_cnn] [--scale]``: one JSON object."""
    import argparse
    import json

    from vis3d.gl.context import gl_info

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--layout", help="use a bundled model's layout for the 35k-class numbers")
    ap.add_argument("--scale", action="store_true", help="also frame_ms for 10k..1M nodes")
    args = ap.parse_args(argv)
    canvas = make_canvas(SIZE)
    out = {"gl": gl_info(canvas)}
    scenes = {"35k": layout_scene(args.layout) if args.layout else synthetic_scene(35_000),
              "100k": synthetic_scene(100_000)}
    for name, (pos, sizes, acts) in scenes.items():
        r = bench_nodes_vs_markers(pos, sizes, acts, canvas=canvas)
        r["ratio"] = r["frame_ms"] / r["markers_frame_ms"]
        out[f"nodes_{name}"] = dict(r, nodes=len(pos))
    pos, sizes, acts = scenes["35k"]
    h = bench_hover(pos, sizes, acts, canvas=canvas)
    out["hover"] = dict(h, ratio=h["hover_frame_ms"] / h["frame_ms"])
    out["pick"] = bench_pick(pos, sizes, canvas=canvas)
    canvas.close()
    if args.scale:
        out["scale_frame_ms"] = bench_scale()
    print(json.dumps(out, indent=1, default=float))
    return out


if __name__ == "__main__":
    main()
