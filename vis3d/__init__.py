"""vis3d: a live 3D node-link view of a convolutional network trained on MNIST."""

__version__ = "0.1.0"
