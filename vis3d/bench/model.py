"""Figures of one model's real scene (``vis3d bench --model SPEC``): how long from loading
the model to the first drawn frame, its whole-net frame beside mnist_cnn's in the same run,
and the hover edges of a late convolution and of the last linear layer.

- ``first_frame_s``: load the model (``--model`` as the window does), probe it (trace and
  first forward), build the session and a NetworkView on a new offscreen canvas, lay out the
  labels and draw the first frame, finished (``glFinish``). Shaders, buffers and glyphs are
  all built in that first frame, as in the window. Imports are not in it (see
  ``window_first_frame_s``).
- ``frame_ms`` (from vis3d.bench.core) and ``mnist_cnn_frame_ms``: the whole net in view at
  the window's start camera, labels on, drawn on two canvases of the same size in
  alternating rounds; ``frame_ratio`` = frame_ms / mnist_cnn_frame_ms.
- ``hover_conv_ms`` / ``hover_fc_ms``: a new hovered node in the last convolution / the last
  linear layer: its incoming edges built, uploaded, flushed and finished (``glFinish``);
  medians over different nodes. ``hover_ms`` is the larger.
- ``window_first_frame_s`` (with a display): ``python -m vis3d.bench.startup`` started ->
  the real window (``vis3d --model SPEC``, through vis3d.ui.app.main) has drawn its first
  frame: imports, model, probe, window and first frame, all of it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from types import SimpleNamespace

import numpy as np


def _finish(canvas) -> None:
    from vispy.gloo import gl
    canvas.context.flush_commands()
    gl.glFinish()


def first_frame(model, weights_path=None, input_shape=None, size=(1280, 800)):
    """-> (seconds from load to the first finished frame, session, canvas, view)."""
    from vis3d.bench import render as br
    from vis3d.commands.common import load_model
    from vis3d.gl.context import make_canvas
    from vis3d.gl.view import NetworkView
    from vis3d.scene.session import Session

    t0 = time.perf_counter()
    loaded = load_model(SimpleNamespace(model=model, weights=weights_path, input_shape=input_shape))
    session = Session(loaded)
    canvas = make_canvas(size)
    view = NetworkView(canvas, session)
    view.set_hint_visible(False)
    view._label_key = None
    view._before_draw()          # labels laid out for the camera, as the draw event does
    br.draw_once(canvas)
    return time.perf_counter() - t0, session, canvas, view


def frame_pair(big_canvas, small_canvas, rounds: int = 4, frames: int = 5) -> tuple[float, float]:
    """Median finished-frame ms of two canvases, in alternating rounds."""
    from vis3d.bench import render as br
    a, b = [], []
    for _ in range(rounds):
        a += br.frame_times(big_canvas, frames, warmup=1)
        b += br.frame_times(small_canvas, frames, warmup=1)
    return float(np.median(a)), float(np.median(b))


def _slab_named(layout, kinds):
    found = [s for s in layout.slabs if s.kind in kinds and s.count]
    return found[-1] if found else None


def hover_figures(session, canvas, per: int = 7) -> dict:
    """Hover build + upload in ms for nodes of the last conv and the last linear slab."""
    out = {}
    L = session.layout
    for key, kinds in (("hover_conv_ms", ("conv",)), ("hover_fc_ms", ("linear", "output"))):
        slab = _slab_named(L, kinds)
        if slab is None:
            continue
        if len(slab.shape) == 3:   # the centre of some channels' maps: every tap in bounds
            c, h, w = slab.shape
            chans = np.linspace(0, c - 1, per).astype(int)
            nodes = slab.offset + chans * h * w + (h // 2) * w + w // 2
        else:
            nodes = slab.offset + np.linspace(0, slab.count - 1, per + 2).astype(int)[1:-1]
        times, edges = [], 0
        session.hovered = int(nodes[0])   # warm: shaders and buffers exist
        _finish(canvas)
        for node in nodes:
            session.hovered = -1
            _finish(canvas)
            t0 = time.perf_counter()
            session.hovered = int(node)
            _finish(canvas)
            times.append(time.perf_counter() - t0)
            inc = session.incoming(int(node))
            edges = max(edges, 0 if inc is None else len(inc.sources))
        session.hovered = -1
        out[key] = float(np.median(times) * 1e3)
        out[key.replace("_ms", "_edges")] = int(edges)
    found = [v for k, v in out.items() if k.endswith("_ms")]
    out["hover_ms"] = max(found) if found else 0.0
    return out


def window_first_frame(model, weights_path=None, input_shape=None, timeout: float = 180.0) -> dict:
    """The real window's start, timed in a new process (needs a display); {} without one."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return {}
    cmd = [sys.executable, "-m", "vis3d.bench.startup"]
    for flag, value in (("--model", model), ("--weights", weights_path),
                        ("--input-shape", input_shape)):
        if value is not None:
            cmd += [flag, str(value)]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t0
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
    if not lines:   # (exit status 2 with a first frame: the window reported a start error)
        tail = (res.stderr.strip().splitlines() or ["no output"])[-1]
        return {"window_first_frame_error": tail[:200]}
    got = json.loads(lines[-1])
    return {"window_first_frame_s": got["first_frame_s"], "window_process_s": wall,
            **{f"window_{k}": v for k, v in got.items() if k != "first_frame_s"}}


def model_figures(model, weights_path=None, input_shape=None, size=(1280, 800),
                  window: bool = True) -> dict:
    """first_frame_s, mnist_cnn_frame_ms beside this model's frame_ms, hover figures."""
    out: dict = {}
    seconds, session, canvas, view = first_frame(model, weights_path, input_shape, size)
    out["first_frame_s"] = seconds
    try:
        out.update(hover_figures(session, canvas))
        _s, _m, small, _v = first_frame("mnist_cnn", size=size)
        try:
            big_ms, small_ms = frame_pair(canvas, small)
        finally:
            small.close()
        out.update({"whole_frame_ms": big_ms, "mnist_cnn_frame_ms": small_ms,
                    "frame_ratio": big_ms / small_ms, "nodes_drawn": int(view.nodes.drawn),
                    "quads": int(view.maps.quads)})
    finally:
        canvas.close()
    if window:
        out.update(window_first_frame(model, weights_path, input_shape))
    return out
