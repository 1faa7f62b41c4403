"""The prediction panel's top label fits its box whatever the class names are."""

import numpy as np
import pytest


@pytest.mark.parametrize("labels, top", [([str(i) for i in range(1000)], 996),
                                         (["cat", "a very long class name indeed"], 1),
                                         ([str(i) for i in range(10)], 7)])
def test_the_top_label_is_drawn_whole_inside_its_box(qtbot, labels, top):
    from vis3d.ui.panels import ACCENT, PredictionPanel
    panel = PredictionPanel()
    qtbot.addWidget(panel)
    panel.resize(300, 200)
    panel.set_labels(labels)
    probs = np.full(len(labels), 0.1 / (len(labels) - 1), np.float32)
    probs[top] = 0.9
    panel.set_prediction(probs, top)
    img = panel.grab().toImage()
    a = np.frombuffer(img.constBits().asstring(img.byteCount()), np.uint8).reshape(img.height(), -1, 4)
    a = a[:, :img.width(), :3][..., ::-1].astype(int)     # BGRA -> RGB
    accent = np.array([ACCENT.red(), ACCENT.green(), ACCENT.blue()])
    ys, xs = np.nonzero(np.abs(a[:70] - accent).sum(-1) < 60)
    assert len(xs) > 30                       # the label is drawn ...
    assert xs.min() >= 1 and xs.max() <= 80   # ... whole, inside its 80-px box


def test_a_long_reason_wraps_on_two_lines_inside_the_panel(qtbot):
    """A camera's 'no digit' reason is long: it is drawn on two lines above the bars, none of
    it past the panel's right edge, and is whole in the tooltip."""
    from vis3d.ui.panels import DIM, PredictionPanel
    panel = PredictionPanel()
    qtbot.addWidget(panel)
    panel.resize(260, 200)
    note = "no digit (a faint solid bar, not a pen's stroke: a window's bar, a book, a finger)"
    panel.set_prediction(None, None, note)
    img = panel.grab().toImage()
    a = np.frombuffer(img.constBits().asstring(img.byteCount()), np.uint8).reshape(img.height(), -1, 4)
    a = a[:, :img.width(), :3][..., ::-1].astype(int)
    dim = np.array([DIM.red(), DIM.green(), DIM.blue()])
    ys, xs = np.nonzero(np.abs(a[:, 84:] - dim).sum(-1) < 90)
    text = ys < 74                            # the note, above the bars
    assert text.sum() > 40
    rows = np.unique(ys[text])
    assert rows.min() >= 28 and rows.max() < 74
    assert rows.max() - rows.min() > 20       # two lines
    assert 84 + xs[text].max() < 258          # not cut at the right edge: wrapped
    assert panel.toolTip() == note
