"""Layer names and output digits that never collide: each label has a 3D anchor and a
priority; after every camera move the anchors are projected and a label that would overlap
one of higher priority (or leave the canvas) is left out until the view makes room.
"""

from __future__ import annotations

import numpy as np
from vispy import scene

from vis3d.gl.camera import project

CHAR_W = 0.62    # average glyph width per pixel of font height
PT_TO_PX = 1.35  # VisPy font points to pixels at 96 dpi (with a little air)


def font_manager():
    """A VisPy font manager to share between the Text visuals of one canvas: each glyph is
    then rendered (freetype at 256 pt, distance field on the CPU: ~10 ms a glyph) once per
    font, not once per visual (VisPy gives every Text visual a manager of its own)."""
    from vispy.visuals.text.text import FontManager
    return FontManager(method="cpu")


class Labels:
    def __init__(self, parent, font_size: float, color: str, anchor_y: str, bold: bool = True,
                 fonts=None):
        self.text = scene.visuals.Text(parent=parent, color=color, font_size=font_size,
                                       anchor_x="center", anchor_y=anchor_y, bold=bold,
                                       font_manager=fonts)
        self.font_px = font_size * PT_TO_PX
        self.anchor_y = anchor_y
        self.strings: list[str] = []
        self.anchors = np.zeros((0, 3), np.float32)
        self.priority = np.zeros(0)
        self.shown: tuple = ()

    def set(self, strings, anchors, priority=None) -> None:
        self.strings = list(strings)
        self.anchors = np.asarray(anchors, np.float32).reshape(-1, 3)
        self.priority = np.zeros(len(self.strings)) if priority is None else np.asarray(priority, float)
        self.shown = ()
        self._apply(tuple(range(len(self.strings))))

    def boxes(self, node, size) -> np.ndarray:
        """(k, 4) canvas boxes x0, y0, x1, y1 of every label as it would be drawn."""
        if not self.strings:
            return np.zeros((0, 4))
        p = project(node, self.anchors)
        widths = np.array([max(1, len(s)) * CHAR_W * self.font_px for s in self.strings])
        h = self.font_px
        # Where VisPy puts the glyphs about the anchor varies with the view (measured on
        # screenshots: up to a line above or below it): reserve a line on both sides.
        y0, y1 = p[:, 1] - 1.25 * h, p[:, 1] + 1.25 * h
        return np.stack([p[:, 0] - widths / 2, y0, p[:, 0] + widths / 2, y1], 1)

    def _apply(self, keep: tuple) -> None:
        if keep == self.shown:
            return
        self.shown = keep
        if keep:
            self.text.text = [self.strings[i] for i in keep]
            self.text.pos = self.anchors[list(keep)]
        else:
            self.text.text = [""]
            self.text.pos = np.zeros((1, 3), np.float32)


def declutter(groups: list[Labels], node, size, margin: float = 3.0,
              alternates: dict | None = None) -> None:
    """Show, in priority order across all groups, each label that overlaps no shown one.

    ``alternates`` maps a group's position in ``groups`` to a list of groups with the same
    labels at other anchors or in shorter words (below the layer instead of above, the name
    without the shape): a label that does not fit in its own place is tried in each, in
    order, before it is left out."""
    w, h = size
    alternates = alternates or {}
    boxes = [g.boxes(node, size) for g in groups]
    alt_boxes = {g: [a.boxes(node, size) for a in alts] for g, alts in alternates.items()}
    items = []
    for g, group in enumerate(groups):
        for i in range(len(boxes[g])):
            items.append((-group.priority[i], g, i))
    items.sort()
    placed: list[np.ndarray] = []
    keep: list[list[int]] = [[] for _ in groups]
    keep_alt: dict = {g: [[] for _ in alts] for g, alts in alternates.items()}

    def fits(box) -> bool:
        if not np.all(np.isfinite(box)) or box[0] < 0 or box[2] > w or box[1] < 0 or box[3] > h:
            return False
        grown = box + (-margin, -margin, margin, margin)
        return not any(grown[0] < b[2] and b[0] < grown[2] and grown[1] < b[3] and b[1] < grown[3]
                       for b in placed)

    for _, g, i in items:
        options = [(boxes[g][i], keep[g])]
        for b, k in zip(alt_boxes.get(g, []), keep_alt.get(g, [])):
            options.append((b[i], k))
        for box, target in options:
            if fits(box):
                placed.append(box)
                target.append(i)
                break
    for group, k in zip(groups, keep):
        group._apply(tuple(sorted(k)))
    for g, alts in alternates.items():
        for alt, k in zip(alts, keep_alt[g]):
            alt._apply(tuple(sorted(k)))
