"""The projection dock's 3D cloud: every cluster stays in view in a tall narrow dock at any
orbit angle (a real offscreen GL canvas, pixels read back)."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.gl


def test_far_clusters_stay_in_a_narrow_view_at_every_azimuth():
    from vis3d.gl.context import make_canvas
    from vis3d.gl.projection import ProjectionView
    rng = np.random.default_rng(0)
    # Ten clusters, one of them far out along x (as PCA of a trained layer gives).
    centres = rng.normal(0, 1, (10, 3))
    centres[4] = (6.0, 0.0, 0.5)
    labels = np.repeat(np.arange(10), 200)
    coords = centres[labels] + rng.normal(0, 0.4, (len(labels), 3))
    canvas = make_canvas((240, 700))    # the dock's shape at 1440x900
    try:
        view = ProjectionView(canvas)
        view.set_points(coords, labels, title="test")
        for azimuth in (0, 45, 90, 135, 180):
            view.view.camera.azimuth = azimuth
            canvas.render()     # the transforms follow the camera
            xy = view.screen_positions()
            inside = ((xy[:, 0] >= 0) & (xy[:, 0] < 240) & (xy[:, 1] >= 0) & (xy[:, 1] < 700))
            assert inside.mean() >= 0.995, azimuth
            assert inside[labels == 4].mean() >= 0.95, azimuth   # the far cluster too
    finally:
        canvas.close()
