"""``vis3d snapshot``: render the scene to a PNG without a window."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

from vis3d.errors import Vis3dError


def parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text or "")
    if not m or not (16 <= int(m.group(1)) <= 8192 and 16 <= int(m.group(2)) <= 8192):
        raise Vis3dError(f"--size must look like 1280x800 (16..8192 each), not '{text}'")
    return int(m.group(1)), int(m.group(2))


def parse_hover(text: str, layout) -> int:
    """'LAYER:INDEX' -> global node index. LAYER: a layer name or its position (0 = input)."""
    layer, sep, index = (text or "").rpartition(":")
    if not sep or not layer or not index.strip().lstrip("-").isdigit():
        raise Vis3dError(f"--hover must look like LAYER:INDEX (e.g. fc1:3 or 4:3), not '{text}'")
    slab = layout.slab(layer.strip())
    i = int(index)
    if not 0 <= i < slab.count:
        raise Vis3dError(f"--hover: layer '{slab.name}' has nodes 0..{slab.count - 1}, not {i}")
    return slab.offset + i


def default_input() -> np.ndarray:
    """A sample digit shipped in assets/samples (pad style)."""
    from vis3d.inputs.files import read_image
    from vis3d.paths import assets_dir
    samples = sorted((assets_dir() / "samples").glob("pad_*.png"))
    if not samples:
        raise Vis3dError(f"no sample digits in {assets_dir() / 'samples'}")
    pick = [p for p in samples if "7" in p.stem] or samples
    return read_image(pick[0])


def render(session, size=(1280, 800), azimuth=None, elevation=None, hover=None) -> np.ndarray:
    """The session's scene as the window draws it (without the controls hint), RGB uint8."""
    from vis3d.gl.context import make_canvas
    from vis3d.gl.view import NetworkView

    canvas = make_canvas(size=size)
    try:
        view = NetworkView(canvas, session)
        view.set_hint_visible(False)
        view.set_view(azimuth, elevation)
        if hover is not None:
            session.pinned = hover
        return view.render(alpha=False)
    finally:
        canvas.close()


def write_snapshot(loaded, out, image=None, size=(1280, 800), azimuth=None, elevation=None,
                   hover=None, normalise: str = "layer", colour: str = "activation",
                   silence: str | None = None, data=None) -> tuple:
    """Render ``loaded`` (a LoadedModel) on ``image`` (a picture; None: a sample digit) to the
    PNG ``out``; ``hover``: 'LAYER:INDEX' or a global node index; ``colour``: a colour mode
    (vis3d.scene.insight_state); ``silence``: 'LAYER:I,...' nodes forced to 0; ``data``: the
    test set for average:K and difference. -> (session, pixels)."""
    from vis3d.scene.insight_state import parse_mode
    from vis3d.commands.common import model_input
    from vis3d.scene.session import Session

    size = parse_size(size) if isinstance(size, str) else tuple(int(v) for v in size)
    if elevation is not None and not -90 <= elevation <= 90:
        raise Vis3dError(f"--elevation must be between -90 and 90 degrees, not {elevation:g}")
    if azimuth is not None and not -360 <= azimuth <= 360:
        raise Vis3dError(f"--azimuth must be between -360 and 360 degrees, not {azimuth:g}")
    out = Path(out)
    if out.suffix.lower() != ".png":
        raise Vis3dError(f"{out}: --out must be a .png file")
    if not out.parent.exists():
        raise Vis3dError(f"{out.parent}: directory does not exist")
    mode, _k = parse_mode(colour)
    state = Session(loaded, normalise)
    if silence:
        state.silence_spec(silence)
    if mode in ("average", "difference"):
        from vis3d.inputs import testset
        from vis3d.model.insight import Insight
        state.set_stats(Insight(loaded, testset.load(data, state.probe.input_shape)).stats())
    x, reason = model_input(state.probe, default_input() if image is None else image, "auto")
    state.set_input(x, reason=reason)
    state.colour_mode = colour
    if isinstance(hover, str):
        hover = parse_hover(hover, state.layout)
    pixels = render(state, size, azimuth, elevation, hover)
    from vispy.io import write_png
    try:
        write_png(str(out), pixels)
    except OSError as exc:
        raise Vis3dError(f"{out}: cannot write ({exc.strerror or exc})") from None
    return state, pixels


def main(args) -> int:
    import torch

    from vis3d.commands.common import load_model
    from vis3d.inputs.files import read_image

    torch.set_num_threads(1)
    size = parse_size(args.size)
    img = read_image(args.input) if args.input else None
    state, pixels = write_snapshot(load_model(args), args.out, img, size, args.azimuth,
                                   args.elevation, args.hover, args.normalise,
                                   getattr(args, "colour", "activation"),
                                   getattr(args, "silence", None), getattr(args, "data", None))
    guess = "no digit" if not state.has_digit else f"predicted {state.labels[state.acts.prediction]}"
    print(f"wrote {args.out} ({pixels.shape[1]}x{pixels.shape[0]}, {state.layout.count:,} nodes, "
          f"{guess})", file=sys.stderr)
    return 0
