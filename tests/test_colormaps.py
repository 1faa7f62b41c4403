"""Colour tables: VisPy's exact tables, and our one own map."""

import numpy as np
import pytest

from vis3d.gl.colormaps import lut
from vis3d.scene.colors import COLORMAPS


def test_library_maps_are_vispys_exact_tables():
    from vispy.color.colormap import _viridis_data
    t = lut("viridis")
    ref = np.asarray(_viridis_data, np.float32)
    assert t.shape == (256, 4) and np.abs(t[:, :3] - ref).max() < 1e-6
    from vispy.color import get_colormap
    for name in ("hot", "ice", "grays"):
        want = get_colormap(name).map(np.linspace(0, 1, 256)[:, None].astype(np.float32))
        assert np.abs(lut(name) - want).max() < 1e-6, name


@pytest.mark.parametrize("name", COLORMAPS)
def test_every_map_is_rgba_and_rises_in_brightness(name):
    t = lut(name)
    assert t.shape == (256, 4) and np.all(t[:, 3] == 1) and not t.flags.writeable
    lum = t[:, :3] @ np.array([0.3, 0.59, 0.11])
    assert lum[-1] > lum[0] + 0.5


def test_ember_keeps_zero_visible_on_the_dark_background():
    bg = np.array([0x10, 0x13, 0x1a]) / 255
    assert np.abs(lut("ember")[0, :3] - bg).sum() > 0.15
    with pytest.raises(KeyError):
        lut("jet")
