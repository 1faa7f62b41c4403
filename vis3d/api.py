"""The Python API: ``vis3d.show(model)`` opens the window on any ``nn.Module``;
``vis3d.snapshot(model, path)`` writes the 3D view to a PNG without a window.

``model``: an ``nn.Module`` (used as it is, in eval mode), or any ``--model`` spec string
('mnist_cnn', 'weights.safetensors', 'file.py:Name'). ``input``: a picture (a path, or an
array as OpenCV gives it: gray, BGR or BGRA) resized to the model's input, or an array of
the model's input shape in 0..1 (C, H, W)."""

from __future__ import annotations

import numpy as np


def _loaded(model, input_shape=None, mean=None, std=None, labels=None):
    from vis3d.model import weights

    if isinstance(model, (str, bytes)) or hasattr(model, "__fspath__"):
        loaded = weights.load(str(model), input_shape=input_shape)
    else:
        from torch import nn
        if not isinstance(model, nn.Module):
            from vis3d.errors import Vis3dError
            raise Vis3dError(f"model must be a torch.nn.Module or a model spec, not "
                             f"{type(model).__name__}")
        loaded = weights.LoadedModel(name=type(model).__name__, model=model.eval(), card={},
                                     path=None)
    card = dict(loaded.card)
    given = dict(card.get("input") or {})
    for key, value in (("shape", input_shape), ("mean", mean), ("std", std)):
        if value is not None:
            given[key] = list(np.atleast_1d(value).tolist())
    card["input"] = given
    if labels is not None:
        card["labels"] = [str(v) for v in labels]
    loaded.card = card
    return loaded


def _picture(input, probe):
    """-> (model input or None, reason)."""
    if input is None:
        return None, ""
    if isinstance(input, (str, bytes)) or hasattr(input, "__fspath__"):
        from vis3d.inputs.files import read_image
        input = read_image(input)
    arr = np.asarray(input)
    if arr.dtype.kind == "f" and arr.shape in (tuple(probe.input_shape), tuple(probe.image_shape)):
        return arr.astype(np.float32), ""
    from vis3d.commands.common import model_input
    return model_input(probe, arr, "auto")


def snapshot(model, path, *, input=None, size=(1280, 800), azimuth=None, elevation=None,
             hover=None, input_shape=None, mean=None, std=None, labels=None) -> str:
    """Render the model's 3D view to the PNG ``path`` headlessly; returns the path.
    ``hover``: 'LAYER:INDEX' draws that node's incoming edges."""
    import torch

    from vis3d.commands.snapshot import default_input, write_snapshot
    from vis3d.model.probe import Probe

    torch.set_num_threads(1)
    loaded = _loaded(model, input_shape, mean, std, labels)
    if input is not None and not isinstance(input, (str, bytes)):
        given = loaded.card["input"]
        probe = Probe(loaded.model, given.get("shape"), given.get("mean"), given.get("std"))
        x, _ = _picture(input, probe)
        if x is not None and x.shape in (tuple(probe.input_shape), tuple(probe.image_shape)):
            input = (np.moveaxis(x, 0, -1)[..., ::-1] if x.ndim == 3 and x.shape[0] == 3
                     else x.reshape(x.shape[-2:]))
            input = (np.clip(input, 0, 1) * 255).astype(np.uint8)
    elif isinstance(input, (str, bytes)):
        from vis3d.inputs.files import read_image
        input = read_image(input)
    write_snapshot(loaded, path, input if input is not None else default_input(), size,
                   azimuth, elevation, hover)
    return str(path)


def show(model, input=None, *, input_shape=None, mean=None, std=None, labels=None):
    """Open the window on ``model`` and block until it is closed. Under IPython with
    ``%gui qt`` it returns at once (the window stays open) and gives the window."""
    import torch

    from vis3d.ui.app import make_qapp, check_opengl
    torch.set_num_threads(1)
    app = make_qapp()
    check_opengl()
    from vis3d.ui.window import MainWindow
    win = MainWindow(model=_loaded(model, input_shape, mean, std, labels))
    if isinstance(input, (str, bytes)) or hasattr(input, "__fspath__"):
        win.show_image_file(str(input))
    elif input is not None:
        x, reason = _picture(input, win.session.probe)
        win.session.set_input(x, reason=reason, source="image")
    win.show()
    try:
        from IPython import get_ipython
        ip = get_ipython()
        looping = ip is not None and getattr(ip, "active_eventloop", None) in ("qt", "qt5")
    except ImportError:
        looping = False
    if not looping:
        app.exec_()
    return win
