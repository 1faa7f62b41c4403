"""NodePicker against what the GPU actually draws (real GL context, pixels read back)."""

from __future__ import annotations

import numpy as np
import pytest

from glhelp import add_view, red_blue_lut


@pytest.fixture
def view(canvas):
    v = add_view(canvas, azimuth=20, elevation=15)
    yield v
    v.parent = None


def scene_with(view, positions, sizes, acts):
    from vis3d.gl.nodes import Nodes
    from vis3d.gl.picking import NodePicker
    nodes = Nodes(positions, sizes, red_blue_lut(), acts, parent=view.scene)
    return nodes, NodePicker(positions, sizes)


def colour_at(img, xy):
    x, y = (int(round(v)) for v in xy)
    return img[y, x, :3].astype(int)


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_pick_returns_the_front_most_of_two_overlapping_nodes(canvas, view, order):
    cam = view.camera
    # two nodes on the camera's line of sight, 6 units apart: one hides the other
    d = np.array([np.sin(np.radians(cam.azimuth)) * np.cos(np.radians(cam.elevation)),
                  -np.cos(np.radians(cam.azimuth)) * np.cos(np.radians(cam.elevation)),
                  np.sin(np.radians(cam.elevation))])
    pts = np.array([[0, 0, 0], 6 * d], np.float32)[list(order)]
    acts = np.array([0.0, 1.0], np.float32)  # node 0 red, node 1 blue
    nodes, picker = scene_with(view, pts, np.array([2.0, 2.0], np.float32), acts)
    img = canvas.render(alpha=False)
    xy = picker.project(nodes, [0, 1], canvas.size)
    assert np.hypot(*(xy[0] - xy[1])) < 2, "the two nodes should overlap on screen"
    c = colour_at(img, xy[0])
    visible = 0 if c[0] > c[2] else 1          # the one the depth test kept
    assert max(c[0], c[2]) > 80
    assert picker.pick(nodes, *xy[0], canvas.size) == visible
    # a few pixels off centre, still inside both discs: still the front one
    assert picker.pick(nodes, xy[0][0] + 3, xy[0][1] - 2, canvas.size) == visible


def test_pick_misses_empty_space_and_respects_the_projected_radius(canvas, view):
    nodes, picker = scene_with(view, np.zeros((1, 3), np.float32), np.array([4.0], np.float32), None)
    img = canvas.render(alpha=False)
    (cx, cy), = picker.project(nodes, [0], canvas.size)
    radius = np.sqrt((img.sum(-1) > 30).sum() / np.pi)
    assert radius > 8
    assert picker.pick(nodes, 5, 5, canvas.size) == -1
    assert picker.pick(nodes, cx + 0.8 * radius, cy, canvas.size) == 0
    assert picker.pick(nodes, cx, cy - 0.8 * radius, canvas.size) == 0
    assert picker.pick(nodes, cx + 1.3 * radius, cy, canvas.size) == -1
    assert abs(picker.radius_px(nodes, [0], canvas.size)[0] - radius) < 0.15 * radius


def test_every_node_of_a_grid_is_picked_at_its_projected_centre(canvas, view):
    k = np.arange(49)
    pos = np.stack([(k % 7 - 3) * 3.0, np.zeros(49), (k // 7 - 3) * 3.0], 1).astype(np.float32)
    acts = (k / 48).astype(np.float32)
    nodes, picker = scene_with(view, pos, np.full(49, 1.2, np.float32), acts)
    img = canvas.render(alpha=False)
    xy = picker.project(nodes, k, canvas.size)
    assert [picker.pick(nodes, x, y, canvas.size) for x, y in xy] == list(k)
    # and the projection lands on the drawn node: its colour follows the activation
    reds = np.array([colour_at(img, p)[0] for p in xy])
    blues = np.array([colour_at(img, p)[2] for p in xy])
    assert np.corrcoef(blues - reds, acts)[0, 1] > 0.95


def test_projection_is_cached_while_the_camera_is_still(canvas, view):
    pos = np.array([[-6, 0, 0], [6, 0, 0]], np.float32)
    nodes, picker = scene_with(view, pos, np.array([2.0, 2.0], np.float32), None)
    canvas.render()
    xy = picker.project(nodes, [0, 1], canvas.size)
    for _ in range(5):
        assert picker.pick(nodes, *xy[1], canvas.size) == 1
    assert picker.projections == 1
    view.camera.azimuth += 40
    picker.pick(nodes, *xy[1], canvas.size)
    assert picker.projections == 2
    moved = picker.project(nodes, [1], canvas.size)[0]
    assert np.hypot(*(moved - xy[1])) > 5
    assert picker.pick(nodes, *moved, canvas.size) == 1


def test_hidden_nodes_are_not_picked(canvas, view):
    pos = np.zeros((1, 3), np.float32)
    nodes, picker = scene_with(view, pos, np.array([3.0], np.float32), None)
    (cx, cy), = picker.project(nodes, [0], canvas.size)
    assert picker.pick(nodes, cx, cy, canvas.size) == 0
    picker.set_sizes(np.zeros(1, np.float32))
    assert picker.pick(nodes, cx, cy, canvas.size) == -1
