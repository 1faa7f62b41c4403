"""``vis3d bench --window``: what the user sees, timed in the real window.

The window is opened with its 3D view at 1280x800 and driven by input events (real X events
through XTest where the display has it) while the Qt event loop runs as it does for a user.
Every figure ends when a frame is *presented*: the scene was drawn, the window system has
the window's new contents (the canvas's ``frameSwapped``, after a ``glFinish``).

- ``window_frame_ms``: draw start -> that frame presented, while auto-orbiting (median);
  ``window_fps``: frames presented per second while auto-orbiting, ``drag_fps`` while
  orbiting with the mouse; ``window_draw_ms``: the draw event alone.
- ``pen_to_present_ms``: a pen move on the pad -> the frame with its activations presented;
  ``hover_to_present_ms``: the pointer onto a node -> the frame with its edges presented
  (medians, and ``_p90``).
- ``frame_ms``: the same scene (the orbit's camera of that moment) at the same size drawn
  into an offscreen framebuffer on the window's own GL context, draw start -> finished
  (``glFinish``), in rounds alternating with the orbit's rounds, so load on the machine
  hits both alike; ``present_ratio`` = window_frame_ms / frame_ms. ``egl_frame_ms``: the
  scene at its start camera drawn offscreen through EGL before the window opens (as
  ``vis3d bench``).
- ``idle_frames`` and ``idle_cpu_pct``: frames drawn and CPU used in 3 s with nothing moving.
"""

from __future__ import annotations

import resource
import tempfile
import time

import numpy as np

SIZE = (1280, 800)
ORBIT_ROUNDS = 4


def offscreen_frame_ms(model: str | None, size=SIZE, frames: int = 10, rounds: int = 4) -> float:
    """The scene of ``model`` drawn offscreen (EGL) at ``size``: median ms of a finished draw."""
    from vis3d.bench import render as br
    from vis3d.gl.context import make_canvas
    from vis3d.gl.view import NetworkView
    from vis3d.model import weights
    from vis3d.scene.session import Session

    state = Session(weights.load(model or "mnist_cnn"))
    canvas = make_canvas(size)
    try:
        view = NetworkView(canvas, state)
        view.set_hint_visible(False)
        br.draw_once(canvas)
        return br._interleaved(canvas, {"frame_ms": lambda: None}, rounds, frames)["frame_ms"]
    finally:
        canvas.close()


def fbo_frame_times(canvas, frames: int = 8, image: list | None = None) -> list[float]:
    """The scene as it stands drawn ``frames`` times into an offscreen framebuffer on the
    canvas's own context (a first, unrecorded draw warms it): ms from the draw's start to
    the finished frame, the figure ``vis3d bench`` times (and no more: no draw event, no
    label layout, no swap). With ``image``, the last frame's pixels are appended to it."""
    from vispy import gloo
    from vispy.gloo import gl

    canvas.set_current()
    w, h = (int(v) for v in canvas.physical_size)
    fbo = gloo.FrameBuffer(color=gloo.RenderBuffer((h, w)), depth=gloo.RenderBuffer((h, w)))
    times = []
    canvas.push_fbo(fbo, (0, 0), canvas.size)
    try:
        for _ in range(frames + 1):
            t0 = time.perf_counter()
            canvas._draw_scene()
            canvas.context.flush_commands()
            gl.glFinish()
            times.append(1000 * (time.perf_counter() - t0))
        if image is not None:
            image.append(fbo.read())
    finally:
        canvas.pop_fbo()
        fbo.delete()
        canvas.context.flush_commands()
    return times[1:]


def _drive(gen) -> None:
    """Run the Qt event loop while ``gen`` acts; each ``yield s`` waits s seconds (precise
    timer, the loop keeps running) before the generator goes on."""
    from PyQt5.QtCore import QEventLoop, Qt, QTimer

    loop = QEventLoop()

    def step():
        try:
            wait = next(gen)
        except StopIteration:
            loop.quit()
            return
        QTimer.singleShot(max(0, int(round(1000 * wait))), Qt.PreciseTimer, step)

    QTimer.singleShot(0, step)
    loop.exec_()


def _stats(prefix: str, values) -> dict:
    v = np.asarray(list(values), float)
    if v.size == 0:
        return {f"{prefix}_ms": float("nan"), f"{prefix}_p90_ms": float("nan")}
    return {f"{prefix}_ms": float(np.median(v)), f"{prefix}_p90_ms": float(np.percentile(v, 90))}


def _fit_canvas(app, win, size) -> None:
    """Resize the window until its 3D view is ``size``."""
    win.resize(1900, 880)
    for _ in range(4):
        for _ in range(20):
            app.processEvents()
        cw, ch = win.canvas.size
        if (cw, ch) == tuple(size):
            return
        win.resize(win.width() + size[0] - cw, win.height() + size[1] - ch)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _scenario(app, win, inp, out: dict, seconds: float):
    clock, view, session = win.clock, win.view, win.session
    canvas_w = win.canvas.native
    cw, ch = win.canvas.size
    yield 1.0   # settle: first frames, labels, layouts
    # --- idle: the pointer away from the scene, nothing moving
    inp.target(win.inputs.pad)
    inp.move((2, 2))
    yield 0.5
    clock.reset()
    c0, t0 = _cpu(), time.perf_counter()
    yield 3.0
    dt = time.perf_counter() - t0
    out["idle_frames"] = len(clock.draws)
    out["idle_presents"] = len(clock.presents) + clock.presents_without_draw
    out["idle_cpu_pct"] = 100 * (_cpu() - c0) / dt
    # --- auto-orbit, in rounds alternating with offscreen frames of the same scene
    present_ms, draw_ms, offscreen = [], [], []
    shown, spent, without = 0, 0.0, 0
    for _round in range(ORBIT_ROUNDS):
        clock.reset()
        view.set_auto_orbit(True)
        t0 = time.perf_counter()
        yield seconds / ORBIT_ROUNDS
        t1 = time.perf_counter()
        shown += len([t for t in clock.presents if t0 <= t <= t1])
        spent += t1 - t0
        view.set_auto_orbit(False)
        yield 0.05    # the frame under way lands
        present_ms += list(clock.present_ms)
        draw_ms += list(clock.draw_ms)
        without += clock.presents_without_draw
        offscreen += fbo_frame_times(win.canvas)
    out["window_fps"] = shown / spent
    out["window_frame_ms"] = float(np.median(present_ms))
    out["window_frame_p90_ms"] = float(np.percentile(present_ms, 90))
    out["window_draw_ms"] = float(np.median(draw_ms))
    out["orbit_presents_without_draw"] = without
    out["frame_ms"] = float(np.median(offscreen))
    out["frame_p90_ms"] = float(np.percentile(offscreen, 90))
    yield 0.3
    # --- orbit by mouse drag, the pointer moving at 125 Hz
    inp.target(canvas_w)
    centre = np.array([cw / 2, ch / 2])
    inp.move(centre)
    yield 0.1
    inp.press(centre)
    clock.reset()
    t0 = time.perf_counter()
    k = 0
    while time.perf_counter() - t0 < seconds:
        k += 1
        inp.move(centre + [300 * np.sin(k / 40), 40 * np.sin(k / 23)])
        yield 0.008
    out["drag_fps"] = len(clock.presents) / (time.perf_counter() - t0)
    out["drag_frame_ms"] = float(np.median(clock.present_ms))
    inp.release(centre + [300 * np.sin(k / 40), 40 * np.sin(k / 23)])
    yield 0.3
    # --- hover: onto a node, wait, onto another one
    sent = [0.0]
    clock.input_origin = lambda: sent[0]
    clock.reset()
    rng = np.random.default_rng(0)
    nodes = rng.permutation(session.layout.count)
    tried = 0
    for node in nodes:
        if len(clock.present_latencies) >= 25 or tried >= 200:
            break
        x, y = view.project([int(node)])[0, :2]
        if not (20 < x < cw - 20 and 20 < y < ch - 20) or view.pick(x, y) != node:
            continue
        tried += 1
        if node == session.hovered:
            continue
        clock._input_t = None
        sent[0] = time.perf_counter()
        inp.move((x, y))
        clock.input_changed()
        yield 0.2
    out.update(_stats("hover_to_present", clock.present_latencies))
    out["hover_frames"] = len(clock.present_latencies)
    inp.move((cw - 3, 3))
    yield 0.3
    # --- pen: four loops drawn on the pad at 60 Hz
    pad = win.inputs.pad
    win.inputs.set_source("pad")
    inp.target(pad)
    sends: list[float] = []
    first_unseen = [0]

    def origin():
        return sends[first_unseen[0]] if first_unseen[0] < len(sends) else time.perf_counter()

    def seen():
        first_unseen[0] = len(sends)

    pad.changed.connect(seen)
    clock.input_origin = origin
    clock._input_t = None
    clock.reset()
    w, h = pad.width(), pad.height()
    mid, radius = np.array([w / 2, h / 2]), 0.3 * min(w, h)
    moves = 60
    for _stroke in range(4):
        pad.clear()
        yield 0.1
        for k in range(moves):
            a = 2 * np.pi * k / moves
            p = mid + radius * np.array([np.cos(a), 0.6 * np.sin(2 * a)])
            sends.append(time.perf_counter())
            if k == 0:
                inp.press(p)
            else:
                inp.move(p, buttons=1)
            yield 1 / 60
        inp.release(p)
        yield 0.1
    yield 0.3
    pad.changed.disconnect(seen)
    clock.input_origin = None
    out.update(_stats("pen_to_present", clock.present_latencies))
    out.update(_stats("pen_to_draw", clock.latencies))
    out["pen_frames"] = len(clock.present_latencies)
    out["window_tick_ms"] = float(win.tick_ms)


def window_bench(model: str | None, seconds: float = 3.0, size=SIZE) -> dict:
    """Open the real window and time what it presents (needs a display)."""
    import torch

    torch.set_num_threads(1)
    offscreen = offscreen_frame_ms(model, size)
    from PyQt5.QtCore import QSettings

    from vis3d.bench.xinput import make_input
    from vis3d.ui.app import check_opengl, make_qapp
    from vis3d.ui.window import MainWindow

    app = make_qapp()
    check_opengl()
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        win = MainWindow(model=model, settings=QSettings(f"{tmp}/s.ini", QSettings.IniFormat))
        win.move(0, 0)
        win.show()
        _fit_canvas(app, win, size)
        win.view.set_hint_visible(False)
        inp = make_input()
        finish = _finisher(win)
        try:
            _drive(_scenario(app, win, inp, out, seconds))
        finally:
            inp.close()
            finish()
        res = {"model": win.session.name, "nodes": win.session.layout.count,
               "canvas": "x".join(map(str, win.canvas.size)),
               "window": f"{win.width()}x{win.height()}",
               "embedding": getattr(win, "canvas_embedding", "QOpenGLWidget"),
               "input": inp.kind, **out, "egl_frame_ms": offscreen}
        res["present_ratio"] = res["window_frame_ms"] / res["frame_ms"]
        win.close()
        app.processEvents()
    return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in res.items()}


def _finisher(win):
    """Make 'presented' mean finished: a glFinish right after each swap, before the clock
    reads the time (the slot runs ahead of the clock's). Returns the undo."""
    from vispy.gloo import gl

    sig = win.canvas.native.frameSwapped
    sig.disconnect(win.clock.frame_presented)

    def finished():
        gl.glFinish()
        win.clock.frame_presented()

    sig.connect(finished)

    def undo():
        sig.disconnect(finished)
        sig.connect(win.clock.frame_presented)
    return undo
