"""Gradients on request: where the decision rests (contribution) and what in the input
moves it (saliency).

One forward with autograd (the probe's own forward, silenced nodes included) and one backward
of the chosen class's logit give both:

  contribution  per shown layer, activation x d logit / d activation (same shape as the layer)
  saliency      d logit / d input, for the image as given (0..1, before any mean/std)

The logit is the input of a final (log-)softmax, else the model's output. The probe's
per-tick forward stays in inference mode; this runs only when a view asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class Attribution:
    target: int                     # the class whose logit was differentiated
    logits: np.ndarray              # (K,)
    contribution: dict              # layer name -> float32 array of the layer's shape
    saliency: np.ndarray            # float32, the input image's shape
    input_contribution: np.ndarray  # input x saliency


def attribute(probe, image: np.ndarray, target: int | None = None,
              contribution: bool = True, layers=None) -> Attribution:
    """Contribution per layer and saliency for ``image`` (the probe's input shape, 0..1),
    differentiating ``target``'s logit (None: the predicted class). ``contribution=False``:
    the saliency only (the layers' gradients are not kept; their contributions are empty).
    ``layers``: the layers whose contributions are wanted (None: all)."""
    image = np.ascontiguousarray(image, np.float32)
    x0 = torch.from_numpy(image.reshape(1, *probe.input_shape).copy()).requires_grad_(True)
    with torch.enable_grad():
        x = x0
        if probe._mean is not None:
            x = x - probe._mean
        if probe._std is not None:
            x = x / probe._std
        out, captured, _ = probe.forward(x, graph=True)
        outs = {name: t for name, _kind, t in captured}
        logit_layer = probe.logit_layer
        logits = (outs[logit_layer] if logit_layer in outs else out).reshape(1, -1)
        if target is None:
            target = int(logits[0].argmax())
        names = [name for name, _k, t in captured if t.requires_grad
                 and (layers is None or name in layers)] if contribution else []
        grads = torch.autograd.grad(logits[0, int(target)], [x0] + [outs[n] for n in names],
                                    allow_unused=True)
    saliency = grads[0].detach()[0].reshape(image.shape).numpy()
    wanted, contribution = contribution, {}
    for name, g in zip(names, grads[1:]):
        act = outs[name].detach()[0]
        contribution[name] = (np.zeros(tuple(act.shape), np.float32) if g is None
                              else (act * g[0]).numpy())
    if wanted:
        for name, _k, t in captured:   # layers the logit does not depend on
            if layers is None or name in layers:
                contribution.setdefault(name, np.zeros(tuple(t.shape[1:]), np.float32))
    return Attribution(int(target), logits.detach()[0].numpy().copy(), contribution,
                       saliency.astype(np.float32), (image * saliency).astype(np.float32))
