"""Colour tables for the node shader and the colour bar: (256, 4) float32 RGBA.

The library maps are VisPy's exact tables (viridis is matplotlib's 256 entries). One map is
our own: ``ember``, the default. Every library map that starts dark starts at black, which
vanishes on the scene's dark background, and the ones that start light (fire, cubehelix) make
silent nodes the brightest; ember starts at a dim slate that stays visible at zero activation
and rises through blue and amber to near white, so both ends read on the dark scene.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from vispy.color import get_colormap

from vis3d.scene.colors import COLORMAPS, DEFAULT_COLORMAP

# ember: (position, r, g, b) control points, linearly interpolated.
_EMBER = [(0.0, .16, .18, .26), (0.2, .20, .28, .55), (0.45, .15, .62, .75),
          (0.7, .96, .74, .22), (0.88, 1.0, .45, .18), (1.0, 1.0, .97, .85)]


@lru_cache(maxsize=16)
def _table(name: str, n: int) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)
    if name == "ember":
        pts = np.array(_EMBER, np.float64)
        rgb = np.stack([np.interp(t, pts[:, 0], pts[:, k]) for k in (1, 2, 3)], 1)
        table = np.concatenate([rgb, np.ones((n, 1))], 1)
    else:
        table = get_colormap(name).map(t[:, None].astype(np.float32))
    table = np.asarray(table, np.float32)
    table.flags.writeable = False
    return table


def lut(name: str = DEFAULT_COLORMAP, n: int = 256) -> np.ndarray:
    """(n, 4) float32 RGBA colour table of a map in ``COLORMAPS`` (read-only)."""
    if name not in COLORMAPS:
        raise KeyError(f"unknown colour map '{name}' (known: {', '.join(COLORMAPS)})")
    return _table(name, n)


# diverging: negative bright blue, zero the dim slate of ember's low end (a silent node stays
# quiet on the dark scene), positive bright amber.
_DIVERGING = [(0.0, .30, .78, 1.0), (0.25, .18, .42, .78), (0.5, .16, .18, .26),
              (0.75, .80, .45, .16), (1.0, 1.0, .82, .35)]


@lru_cache(maxsize=2)
def diverging(n: int = 256) -> np.ndarray:
    """(n, 4) float32 colour table for signed values mapped to 0..1 (0.5 = zero)."""
    t = np.linspace(0.0, 1.0, n)
    pts = np.array(_DIVERGING, np.float64)
    rgb = np.stack([np.interp(t, pts[:, 0], pts[:, k]) for k in (1, 2, 3)], 1)
    table = np.concatenate([rgb, np.ones((n, 1))], 1).astype(np.float32)
    table.flags.writeable = False
    return table
