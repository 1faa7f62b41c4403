"""``vis3d bench``: medians measured in one run, offscreen at 1280x800; printed as an
aligned name/value table, or with ``--json`` as one JSON object."""

from __future__ import annotations

import json
import sys
import time

import numpy as np

SIZE = (1280, 800)


def _median_ms(fn, repeat: int, warmup: int = 5) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e3)


def _interleaved_ms(fns: dict, repeat: int, rounds: int = 6) -> dict:
    """Median ms of each function, measured in alternating rounds so that whatever else
    the machine does at the time weighs on all of them alike."""
    times = {k: [] for k in fns}
    for fn in fns.values():
        for _ in range(5):
            fn()
    per = max(1, repeat // rounds)
    for _ in range(rounds):
        for name, fn in fns.items():
            for _ in range(per):
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
    return {k: float(np.median(v) * 1e3) for k, v in times.items()}


def model_image(state, pad_image):
    """The pad picture as the window feeds it to this model (MNIST preprocessing for
    28x28 digit models, else resized to the model's input)."""
    from vis3d.inputs.preprocess import prepare_pad
    if state.digit_input:
        return prepare_pad(pad_image).image
    from vis3d.inputs.fit import fit_image
    return fit_image(pad_image, state.probe.input_shape)


def forward_fns(state, pad_images) -> dict:
    """forward (bare model call), probe (forward keeping every layer) on the two inputs."""
    import torch

    images = [model_image(state, p) for p in pad_images]
    xs = [state.probe._prepare(im) for im in images]
    model = state.loaded.model
    k = [0]

    def forward():
        k[0] ^= 1
        with torch.no_grad():
            model(xs[k[0]])

    def probe():
        k[0] ^= 1
        state.probe.run(images[k[0]])

    from vis3d.model.attribution import attribute

    def saliency():  # a forward with autograd and a backward to the input
        k[0] ^= 1
        attribute(state.probe, images[k[0]], contribution=False)

    shown = {s.value_layer for s in state.layout.slabs if s.kind not in ("input", "output")}

    def contribution():  # the same keeping the shown layers' gradients: act x grad per node
        k[0] ^= 1
        attribute(state.probe, images[k[0]], layers=shown)

    return {"forward_ms": forward, "probe_ms": probe, "saliency_ms": saliency,
            "contribution_ms": contribution}


def scene_figures(state, pad_images, repeat: int, frames: int) -> dict:
    from vispy import scene as vscene

    from vis3d.gl.colormaps import lut
    from vis3d.scene.colors import map_colors

    from vis3d.bench import render as br
    from vis3d.gl.context import make_canvas
    from vis3d.gl.view import NetworkView
    from vis3d.inputs.preprocess import prepare_pad

    canvas = make_canvas(SIZE)
    try:
        sc = NetworkView(canvas, state)
        sc.set_hint_visible(False)
        br.draw_once(canvas)
        flip = [0]

        def tick():  # input image -> preprocess -> probe -> normalise -> upload (no draw)
            flip[0] ^= 1
            state.set_input(model_image(state, pad_images[flip[0]]))  # the view uploads the new values on the result event
            canvas.context.flush_commands()

        # Forward, probe and tick measured together, in the same process state.
        out = _interleaved_ms({**forward_fns(state, pad_images), "tick_ms": tick}, repeat)
        L = state.layout
        markers = vscene.visuals.Markers(parent=sc.view.scene, scaling="scene", antialias=0)
        markers.set_data(L.positions, size=L.sizes, face_color=map_colors(state.values, lut(state.colormap)),
                         edge_width=0)
        markers.visible = False
        labels = (sc.labels.text, sc.digits.text)

        def show(nodes, mk, text):
            def setup():
                sc.nodes.visible, markers.visible = nodes, mk
                for lb in labels:
                    lb.visible = text
            return setup

        out.update(br._interleaved(canvas, {
            "frame_ms": show(True, False, True),
            "markers_frame_ms": show(False, True, True),
            "empty_frame_ms": show(False, False, False)}, rounds=4, frames=frames))
        show(True, False, True)()
        markers.parent = None
        rng = np.random.default_rng(0)
        pts = rng.random((repeat, 2)) * np.array(canvas.size)
        centres = sc.project(rng.integers(0, L.count, repeat))[:, :2]
        pts[::2] = centres[::2]
        k = [0]

        def pick():
            k[0] = (k[0] + 1) % len(pts)
            sc.pick(*pts[k[0]])

        out["pick_ms"] = _median_ms(pick, repeat)
        worst = _worst_node(state)

        def hover():  # a new hovered node: its edges built and uploaded
            state.hovered = -1
            state.hovered = worst
            canvas.context.flush_commands()

        out["hover_edges_ms"] = _median_ms(hover, max(20, repeat // 5))
        out["hover_edges"] = int(sc.edges.count)
        state.hovered = -1
        state.pinned = worst

        def hover_tick():  # a new input while the widest FC node is pinned
            flip[0] ^= 1
            state.set_input(model_image(state, pad_images[flip[0]]))
            canvas.context.flush_commands()

        out["hover_tick_ms"] = _median_ms(hover_tick, max(20, repeat // 5))

        def edges_on(on):
            def setup():
                sc.edges.visible = on
            return setup

        both = br._interleaved(canvas, {"hover_frame_ms": edges_on(True), "frame_ms": edges_on(False)},
                               rounds=4, frames=frames)
        out["hover_frame_ms"] = both["hover_frame_ms"]
        out["frame_ms_hover_baseline"] = both["frame_ms"]
        return out
    finally:
        canvas.close()


def _worst_node(state) -> int:
    """The node with the most incoming edges (first unit of the widest FC layer)."""
    L = state.layout
    best, best_n = L.slabs[1].offset, 0
    for s in L.slabs[1:]:
        inc = state.incoming(s.offset)
        if inc is not None and len(inc.sources) > best_n:
            best, best_n = s.offset, len(inc.sources)
    return best


def run(model: str | None, repeat: int | None = None, weights_path=None,
        input_shape=None) -> dict:
    import vis3d.inputs  # noqa: F401 - sets OpenCV's limits before cv2 loads
    import cv2
    import torch

    from vis3d.bench import inputs as bench_inputs
    from vis3d.model import weights
    from vis3d.bench import render as br
    from vis3d.gl.context import gl_info, make_canvas
    from vis3d.scene.session import Session

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    from vis3d.commands.common import load_model
    from types import SimpleNamespace
    state = Session(load_model(SimpleNamespace(model=model, weights=weights_path,
                                               input_shape=input_shape)))
    if repeat is None:   # ~2 s of forwards per figure: 300 for the MNIST nets, fewer for big ones
        t0 = time.perf_counter()
        state.probe.run(state._blank())
        repeat = int(np.clip(2.0 / max(time.perf_counter() - t0, 1e-4), 8, 300))
    frames = 10 if repeat >= 100 else 3
    pads = bench_inputs.sample_inputs()[0][:2]
    pads = pads if len(pads) == 2 else [pads[0], pads[0][:, ::-1].copy()]
    result = {"model": state.name, "nodes": state.layout.count}
    result.update(scene_figures(state, pads, repeat, frames))
    result.update(bench_inputs.measure(repeat))
    pos, sizes, acts = br.synthetic_scene(100_000)
    big = br.bench_nodes_vs_markers(pos, sizes, acts, frames=frames)
    result["nodes_100k_frame_ms"] = big["frame_ms"]
    result["markers_100k_frame_ms"] = big["markers_frame_ms"]
    canvas = make_canvas((64, 64))
    try:
        info = gl_info(canvas)
    finally:
        canvas.close()
    # Last: its new canvases and the window started in a new process would weigh on the
    # figures above (mnist_cnn's tick measured 10% slower after them).
    from vis3d.bench.model import model_figures
    state = None   # (a 6M-node session is big)
    result.update(model_figures(model, weights_path, input_shape, SIZE))
    result["renderer"] = info.get("renderer", "")
    result["size"] = f"{SIZE[0]}x{SIZE[1]}"
    result["repeat"] = repeat
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in result.items()}


def _rounded(d: dict) -> dict:
    return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in d.items()}


def table(result: dict) -> str:
    """Name/value lines, names padded to one column; nested dicts as name[key]."""
    rows = []
    for key, value in result.items():
        if isinstance(value, dict):
            rows += [(f"{key}[{k}]", v) for k, v in value.items()]
        else:
            rows.append((key, value))
    width = max((len(name) for name, _ in rows), default=0)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def _print(result: dict, as_json: bool) -> None:
    print(json.dumps(result) if as_json else table(result))
    sys.stdout.flush()


def main(args) -> int:
    as_json = bool(getattr(args, "json", False))
    if getattr(args, "window", False) or args.latency:
        from vis3d.bench.present import window_bench
        _print(window_bench(args.model), as_json)
        return 0
    if getattr(args, "soak", None):
        from vis3d.bench.soak import soak
        _print(soak(args.model, args.soak, args.clip), as_json)
        return 0
    if getattr(args, "training", False):
        from vis3d.bench.training import measure
        _print(measure(), as_json)
        return 0
    if getattr(args, "insight", False):
        from vis3d.bench.insight import insight_figures
        _print(insight_figures(args.model, getattr(args, "data", None)), as_json)
        return 0
    if args.scale:
        from vis3d.bench import render as br
        import torch
        torch.set_num_threads(1)
        from vis3d.bench import lod
        res = br.bench_scale()
        out = {"frame_ms": {str(n): round(v, 3) for n, v in res.items()}}
        for n, figures in lod.bench_lod_scale().items():
            out[f"lod_{n}"] = _rounded(figures)
        out["resnet18"] = _rounded(lod.bench_resnet18())
        out["size"] = f"{SIZE[0]}x{SIZE[1]}"
        _print(out, as_json)
        return 0
    t0 = time.perf_counter()
    res = run(args.model, args.repeat, getattr(args, "weights", None),
              getattr(args, "input_shape", None))
    res["bench_seconds"] = round(time.perf_counter() - t0, 1)
    _print(res, as_json)
    return 0
