"""What several commands share: the model from --model/--weights/--input-shape, and a
picture made into the model's input."""

from __future__ import annotations

from vis3d.errors import Vis3dError


def load_model(args):
    """The ``LoadedModel`` the command line asks for."""
    from vis3d.model import weights

    shape = getattr(args, "input_shape", None)
    if shape is not None:
        from vis3d.model.user import parse_shape
        shape = parse_shape(shape)
    return weights.load(getattr(args, "model", None), weights=getattr(args, "weights", None),
                        input_shape=shape)


def is_digit_model(probe) -> bool:
    return tuple(probe.image_shape) == (28, 28)


def model_input(probe, img, source: str = "auto"):
    """-> (image for ``probe.run`` or None, reason). A 28x28 one-channel model gets the
    MNIST preprocessing of the window (pad, camera, raw); any other the picture resized."""
    if is_digit_model(probe):
        from vis3d.inputs.preprocess import prepare
        prep = prepare(img, source)
        return (prep.image if prep.found else None), (prep.reason or "")
    from vis3d.inputs.fit import fit_image
    try:
        return fit_image(img, probe.input_shape), ""
    except Vis3dError as exc:
        return None, str(exc)
