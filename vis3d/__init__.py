"""vis3d: a live 3D node-link view of a convolutional network (the bundled MNIST nets, or
any PyTorch CNN). ``vis3d.show(model)`` and ``vis3d.snapshot(model, path)`` are loaded on
first use, so ``import vis3d`` stays light."""

__version__ = "0.1.0"

__all__ = ["show", "snapshot"]


def __getattr__(name):
    if name in ("show", "snapshot"):
        from vis3d import api
        return getattr(api, name)
    raise AttributeError(f"module 'vis3d' has no attribute {name!r}")
