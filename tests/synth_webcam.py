"""Realistic webcam frames of things people hold up, as test fixtures (MNIST test digits).

Kinds (what the issue measures):
  * ``notebook`` blue/black/red/green ballpoint (2-5 px at 640x480) on a ruled or squared
                 notebook page (margin line, punched holes, a torn edge), filling much of the
                 frame or held up in front of the room;
  * ``held``     a small slip (15-45% of the frame) held by skin-coloured fingers over its edge,
                 tilted up to 30 degrees, in a cluttered room with a bright window or a screen;
  * ``dim``      an evening room: little light, sensor noise, motion blur, warm or daylight
                 tint, heavy JPEG (quality 35-60);
  * ``sticky``   marker on a coloured sticky note (yellow, pink, green, orange, blue),
                 rotated up to 25 degrees, on a desk or held up;
  * ``empty``    nothing held up: the room alone, a blank sheet or note, an empty ruled or
                 squared page, a hand alone.
Every frame is rendered at its real size (640x480, 1280x720 or 1920x1080), then JPEG-coded.
``webcam_frame(digit28 or None, rng, kind, size)`` -> (BGR frame as decoded, JPEG bytes).
Run ``python tests/synth_webcam.py OUT_DIR`` to (re)write tests/fixtures/webcam.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from synth import pick, skeleton_segments

KINDS = ("notebook", "held", "dim", "sticky", "empty")
SIZES = ((640, 480), (1280, 720), (1920, 1080))
INKS = {"blue": (0.55, 0.22, 0.10), "black": (0.10, 0.09, 0.09), "red": (0.12, 0.10, 0.50),
        "green": (0.25, 0.38, 0.08), "navy": (0.40, 0.15, 0.12)}          # BGR reflectance
NOTES = [(0.45, 0.93, 1.0), (0.70, 0.62, 1.0), (0.55, 1.0, 0.70), (0.35, 0.72, 1.0),
         (1.0, 0.85, 0.55), (0.75, 1.0, 1.0)]                                # BGR
SKIN = [(0.55, 0.66, 0.86), (0.45, 0.56, 0.78), (0.32, 0.42, 0.62), (0.22, 0.30, 0.45),
        (0.60, 0.70, 0.90)]


def _smooth(rng, shape, cells, amp):
    small = rng.normal(0, 1, (cells, cells)).astype(np.float32)
    return cv2.resize(small, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC) * amp


def _rot(deg):
    a = np.deg2rad(deg)
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


# --- the page ---------------------------------------------------------------------------

def _page(rng, kind: str, pw: int, ph: int, u: float):
    """(BGR reflectance (ph, pw, 3), writing area (x0, y0, x1, y1), pen width) of one page;
    ``u`` is frame pixels per 640x480 pixel, so lines stay as thin as on a 640 frame."""
    if kind == "sticky":
        colour = np.array(NOTES[rng.integers(len(NOTES))], np.float32) * rng.uniform(0.85, 1.0)
    else:
        colour = np.array([rng.uniform(0.82, 0.97), rng.uniform(0.88, 0.98), rng.uniform(0.92, 1.0)],
                          np.float32)
    page = np.empty((ph, pw, 3), np.float32)
    page[:] = colour
    page *= (1 + _smooth(rng, (ph, pw), 5, 0.02))[..., None]
    ruling = rng.choice(["ruled", "squared", "plain"], p=[0.5, 0.35, 0.15]) if kind == "notebook" \
        else rng.choice(["ruled", "squared", "plain"], p=[0.2, 0.15, 0.65]) if kind in ("held", "dim", "empty") \
        else "plain"
    line_col = np.array(rng.choice([(0.85, 0.72, 0.55), (0.70, 0.70, 0.70), (0.88, 0.70, 0.75),
                                    (0.80, 0.78, 0.60)]), np.float32)
    lw = max(1, int(round(rng.uniform(0.7, 1.8) * u)))
    strength = rng.uniform(0.35, 0.9)
    lines = np.zeros((ph, pw), np.uint8)
    step = rng.uniform(0.045, 0.085) * ph if ruling == "ruled" else rng.uniform(0.03, 0.055) * ph
    step = max(step, 6 * u)
    if ruling in ("ruled", "squared"):
        for y in np.arange(rng.uniform(0.3, 1.0) * step, ph, step):
            cv2.line(lines, (0, int(y)), (pw, int(y)), 255, lw, cv2.LINE_AA)
        if ruling == "squared":
            for x in np.arange(rng.uniform(0.3, 1.0) * step, pw, step):
                cv2.line(lines, (int(x), 0), (int(x), ph), 255, lw, cv2.LINE_AA)
    a = (lines.astype(np.float32) / 255 * strength)[..., None]
    page = page * (1 - a) + page * line_col * a
    x0 = 0.06 * pw
    if ruling != "plain" and rng.random() < 0.5:                     # the red margin
        mx = int(rng.uniform(0.08, 0.16) * pw)
        m = np.zeros((ph, pw), np.uint8)
        cv2.line(m, (mx, 0), (mx, ph), 255, max(1, int(round(1.3 * u))), cv2.LINE_AA)
        a = (m.astype(np.float32) / 255 * rng.uniform(0.4, 0.8))[..., None]
        page = page * (1 - a) + page * np.float32((0.55, 0.45, 0.95)) * a
        x0 = mx + 0.04 * pw
    if kind == "notebook" and rng.random() < 0.4:                    # punched holes
        hx = int(0.04 * pw)
        for y in np.arange(0.1 * ph, 0.95 * ph, rng.uniform(0.18, 0.3) * ph):
            cv2.circle(page, (hx, int(y)), max(2, int(0.015 * pw)), (0.25, 0.25, 0.25), -1, cv2.LINE_AA)
    pen = rng.uniform(4.0, 9.0) * u if kind == "sticky" else rng.uniform(2.0, 5.0) * u
    return page, (x0, 0.07 * ph, 0.94 * pw, 0.93 * ph), pen, step


def _draw_digit(rng, page, area, digit28, pen, height):
    """The digit's skeleton drawn as pen strokes of width ``pen``, ``height`` px tall."""
    segs = skeleton_segments(digit28)
    pts = segs.reshape(-1, 2)
    ang = np.deg2rad(rng.uniform(-10, 10))
    shear = rng.uniform(-0.2, 0.2)
    c = (pts.min(0) + pts.max(0)) / 2
    m = _rot(np.rad2deg(ang)) @ np.array([[1, shear], [0, 1]])
    p = (pts - c) @ m.T
    span = p.max(0) - p.min(0)
    x0, y0, x1, y1 = area
    k = min(height / max(span[1], 1), 0.9 * (x1 - x0) / max(span[0], 1), 0.9 * (y1 - y0) / max(span[1], 1))
    p = p * k
    lo, hi = p.min(0), p.max(0)
    off = np.array([x0 + rng.uniform(0.1, 0.9) * max(0, (x1 - x0) - (hi[0] - lo[0])) - lo[0],
                    y0 + rng.uniform(0.1, 0.9) * max(0, (y1 - y0) - (hi[1] - lo[1])) - lo[1]])
    p = (p + off).reshape(-1, 2, 2)
    ph, pw = page.shape[:2]
    alpha = np.zeros((ph, pw), np.uint8)
    q = np.round(p * 16).astype(np.int32)
    wid = max(1, int(round(pen)))
    for a, b in q:
        cv2.line(alpha, tuple(a), tuple(b), 255, wid, cv2.LINE_AA, 4)
    a = alpha.astype(np.float32) / 255
    if pen < 1.5:        # sub-pixel ballpoint: fainter rather than thinner
        a *= pen / 1.5
    a *= np.clip(rng.uniform(0.75, 1.0) + _smooth(rng, (ph, pw), 4, 0.12), 0.4, 1.0)  # pressure
    name = rng.choice(list(INKS), p=[0.45, 0.25, 0.1, 0.1, 0.1])
    ink = np.array(INKS[name], np.float32) * rng.uniform(0.6, 1.5)
    a = a[..., None]
    page[:] = page * (1 - a) + page * ink * a      # ink is a filter: coloured paper stays coloured
    return (float(p[..., 0].min()), float(p[..., 1].min()), float(p[..., 0].max()), float(p[..., 1].max()))


# --- the room ---------------------------------------------------------------------------

def _room(rng, fw, fh, window: bool):
    """(BGR reflectance of the room, additive light of windows/screens) at frame size."""
    wall = np.array(rng.uniform(0.25, 0.75, 3), np.float32) * rng.uniform(0.4, 1.0)
    room = np.empty((fh, fw, 3), np.float32)
    room[:] = wall
    room *= (1 + _smooth(rng, (fh, fw), 6, 0.15))[..., None]
    emit = np.zeros((fh, fw, 3), np.float32)
    for _ in range(rng.integers(3, 10)):          # furniture, shelves, books, a mug, a lamp
        col = tuple(float(v) for v in rng.uniform(0.03, 0.7, 3))
        x, y = int(rng.uniform(-0.1, 1.0) * fw), int(rng.uniform(-0.1, 1.0) * fh)
        w, h = int(rng.uniform(0.05, 0.5) * fw), int(rng.uniform(0.05, 0.5) * fh)
        shape = rng.integers(3)
        if shape == 0:
            cv2.rectangle(room, (x, y), (x + w, y + h), col, -1, cv2.LINE_AA)
        elif shape == 1:
            cv2.ellipse(room, (x, y), (w // 3 + 1, h // 3 + 1), float(rng.uniform(0, 180)), 0, 360, col, -1, cv2.LINE_AA)
        else:
            for i in range(rng.integers(3, 9)):        # books on a shelf
                bw = int(rng.uniform(0.01, 0.03) * fw) + 1
                cv2.rectangle(room, (x + i * bw, y), (x + (i + 1) * bw, y + h),
                              tuple(float(v) for v in rng.uniform(0.05, 0.8, 3)), -1)
    if window:
        x, y = int(rng.uniform(-0.1, 0.7) * fw), int(rng.uniform(-0.2, 0.3) * fh)
        w, h = int(rng.uniform(0.2, 0.5) * fw), int(rng.uniform(0.3, 0.7) * fh)
        sky = np.array(rng.choice([(1.0, 0.95, 0.9), (1.0, 0.85, 0.7), (0.9, 0.95, 1.0)]), np.float32)
        cv2.rectangle(emit, (x, y), (x + w, y + h), tuple(float(v) * rng.uniform(1.0, 1.8) for v in sky), -1)
        cv2.rectangle(room, (x, y), (x + w, y + h), (0, 0, 0), -1)
        bar = max(2, int(0.012 * fw))                      # the window's frame and bars
        for bx in (x, x + w // 2, x + w):
            cv2.rectangle(emit, (bx - bar, y), (bx + bar, y + h), (0, 0, 0), -1)
            cv2.rectangle(room, (bx - bar, y), (bx + bar, y + h), (0.8, 0.8, 0.8), -1)
    if rng.random() < 0.3:                                  # a screen
        x, y = int(rng.uniform(0, 0.8) * fw), int(rng.uniform(0, 0.6) * fh)
        w, h = int(rng.uniform(0.15, 0.35) * fw), int(rng.uniform(0.12, 0.3) * fh)
        cv2.rectangle(room, (x, y), (x + w, y + h), (0.02, 0.02, 0.02), -1)
        cv2.rectangle(emit, (x + 4, y + 4), (x + w - 4, y + h - 4),
                      tuple(float(v) for v in rng.uniform(0.3, 0.9, 3)), -1)
    return room, emit


def _fingers(rng, img, mask, corners, fw, fh, u, sheet_cover: bool):
    """Skin-coloured fingers (capsules) reaching over an edge of the sheet ``corners``."""
    skin = np.array(SKIN[rng.integers(len(SKIN))], np.float32) * rng.uniform(0.85, 1.1)
    n_hands = 1 if rng.random() < 0.6 else 2
    edges = rng.choice(4, n_hands, replace=False)
    for e in edges:
        a, b = corners[e], corners[(e + 1) % 4]
        centre = corners.mean(0)
        t = rng.uniform(0.25, 0.75)
        base = a + t * (b - a)
        outward = base - centre
        outward /= np.linalg.norm(outward) + 1e-6
        along = (b - a) / (np.linalg.norm(b - a) + 1e-6)
        side = np.linalg.norm(b - a)
        width = np.clip(rng.uniform(0.035, 0.06) * max(fw, fh) * 0.75, 8 * u, None)
        for k in range(rng.integers(1, 4)):               # thumb and one to three fingers
            tip = base + along * (k - 1) * width * 1.05 + (-outward) * rng.uniform(0.2, 1.0) * width
            root = tip + outward * rng.uniform(2.5, 5.0) * width + along * rng.normal(0, 0.5) * width
            w = int(width * rng.uniform(0.8, 1.1))
            shade = skin * rng.uniform(0.85, 1.1)
            cv2.line(img, tuple(np.int32(root)), tuple(np.int32(tip)), tuple(float(v) for v in shade), w, cv2.LINE_AA)
            cv2.line(mask, tuple(np.int32(root)), tuple(np.int32(tip)), 1.0, w, cv2.LINE_AA)
            cv2.circle(img, tuple(np.int32(tip)), w // 2, tuple(float(v) * 1.05 for v in shade), -1, cv2.LINE_AA)
            cv2.circle(mask, tuple(np.int32(tip)), w // 2, 1.0, -1, cv2.LINE_AA)
            nail = tip + outward * 0.25 * w
            cv2.ellipse(img, tuple(np.int32(nail)), (max(1, w // 4), max(1, w // 5)), 0, 0, 360,
                        tuple(float(v) * 1.15 for v in shade), -1, cv2.LINE_AA)
        if side < 0:
            break


def _in_view(src, dst, box, fw, fh):
    """The sheet's corners moved so the digit's box is in the picture (a person holding a
    page to a webcam sees the preview and keeps what is written in view)."""
    x0, y0, x1, y1 = box
    pts = np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]).reshape(-1, 1, 2)
    m = cv2.getPerspectiveTransform(src, np.float32(dst))
    q = cv2.perspectiveTransform(pts, m)[:, 0]
    margin = 0.02 * np.array([fw, fh])
    lo, hi = q.min(0), q.max(0)
    shift = np.maximum(margin - lo, 0) - np.maximum(hi - (np.array([fw, fh]) - margin), 0)
    return np.asarray(dst) + shift


# --- the frame ----------------------------------------------------------------------------

def webcam_frame(digit28, rng: np.random.Generator, kind: str, size=(640, 480),
                 quality: int | None = None, info: dict | None = None, max_quality: int = 100):
    """(BGR uint8 frame as decoded from JPEG, JPEG bytes) of ``kind`` (see the module doc);
    ``digit28`` None draws nothing (the ``empty`` kind always draws nothing)."""
    fw, fh = size
    u = fw / 640.0
    empty = kind == "empty" or digit28 is None
    scene = kind
    if kind == "empty":
        scene = rng.choice(["room", "blank", "ruled", "hand", "note"])
    elif kind == "dim":
        scene = rng.choice(["notebook", "held", "sheet"])
    page_kind = {"note": "sticky", "ruled": "notebook", "blank": "held", "sheet": "held"}.get(scene, scene)
    if scene == "ruled":
        page_kind = "notebook"
    # how big and where the sheet is
    fill = scene in ("notebook", "ruled", "sheet") and rng.random() < (0.55 if scene != "sheet" else 0.4)
    if scene in ("room", "hand"):
        cover = 0.0
    elif fill:
        cover = rng.uniform(0.75, 1.3)
    elif scene in ("held", "blank"):
        cover = rng.uniform(0.15, 0.45)
    elif scene in ("sticky", "note"):
        cover = rng.uniform(0.15, 0.4)
    else:
        cover = rng.uniform(0.3, 0.75)
    aspect = 1.0 if page_kind == "sticky" else rng.uniform(0.7, 1.45)
    area = cover * fw * fh
    sw, sh = np.sqrt(area * aspect), np.sqrt(area / aspect)
    pw, ph = max(32, int(sw)), max(32, int(sh))
    page, write, pen, step = _page(rng, page_kind, pw, ph, u)
    tilt = {"sticky": 25, "note": 25}.get(scene, 30 if not fill else 8)
    rot = _rot(rng.uniform(-tilt, tilt))
    src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    base = (src - (pw / 2, ph / 2)) @ rot.T
    room_px = np.array([fw, fh]) - (base.max(0) - base.min(0))
    centre = np.array([fw / 2, fh / 2]) + rng.uniform(-0.5, 0.5, 2) * np.maximum(room_px, 0.1 * np.array([fw, fh]))
    dst = base + centre + rng.uniform(-0.06, 0.06, (4, 2)) * (pw, ph)   # perspective
    if not empty:
        height = rng.uniform(0.45, 0.85) * (write[3] - write[1])
        height = min(height, rng.uniform(0.3, 0.75) * fh / max(ph / fh, 1e-3) * ph / fh)
        box = _draw_digit(rng, page, write, digit28, pen, height)
        dst = _in_view(src, dst, box, fw, fh)
    # the room, lit
    room, emit = _room(rng, fw, fh, window=kind in ("held", "empty") and rng.random() < 0.7
                       or rng.random() < 0.3)
    h = cv2.getPerspectiveTransform(src, np.float32(dst))
    if cover > 0:
        sheet = cv2.warpPerspective(page, h, (fw, fh), flags=cv2.INTER_LINEAR)
        cov = cv2.warpPerspective(np.ones((ph, pw), np.float32), h, (fw, fh), flags=cv2.INTER_LINEAR)[..., None]
        refl = room * (1 - cov) + sheet * cov
        emit *= 1 - cov
    else:
        refl = room
    fmask = np.zeros((fh, fw), np.float32)
    if scene in ("held", "blank", "hand", "note") or (scene == "sticky" and rng.random() < 0.5) \
            or (not fill and rng.random() < 0.5):
        corners = dst if cover > 0 else np.float32([[0.3 * fw, 0.3 * fh], [0.7 * fw, 0.3 * fh],
                                                     [0.7 * fw, 0.7 * fh], [0.3 * fw, 0.7 * fh]])
        _fingers(rng, refl, fmask, np.asarray(corners, np.float64), fw, fh, u, cover > 0)
        emit *= (1 - fmask)[..., None]
    # light
    yy, xx = np.mgrid[0:fh, 0:fw].astype(np.float32)
    d = rng.normal(0, 1, 2)
    d /= np.linalg.norm(d)
    grad = 1 + rng.uniform(0.05, 0.4) * ((xx / fw - 0.5) * d[0] + (yy / fh - 0.5) * d[1]) * 2
    vig = 1 - rng.uniform(0.1, 0.35) * (((xx - fw / 2) / fw) ** 2 + ((yy - fh / 2) / fh) ** 2) * 2
    level = rng.uniform(70, 140) if kind == "dim" else rng.uniform(130, 240)   # auto exposure
    light = level * grad * vig
    if rng.random() < 0.5:
        sx, sy, r = rng.uniform(0, fw), rng.uniform(0, fh), rng.uniform(0.2, 0.5) * fw
        light *= 1 - rng.uniform(0.15, 0.4) * np.exp(-(((xx - sx) ** 2 + (yy - sy) ** 2) / (2 * r * r)))
    img = refl * light[..., None] + emit * rng.uniform(200, 280)
    tint = np.float32([1.0, 1.0, 1.0])
    if kind == "dim":
        tint = np.float32(rng.choice([(0.62, 0.85, 1.2), (0.75, 0.9, 1.1), (1.12, 1.0, 0.9)]))
    elif rng.random() < 0.3:
        tint = np.float32(rng.choice([(0.8, 0.92, 1.08), (1.08, 1.0, 0.94)]))
    img *= tint
    # camera: focus, motion, noise, compression
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.3) * u)
    if kind == "dim" or rng.random() < 0.25:
        n = max(2, int(rng.uniform(2, 12 if kind == "dim" else 6) * u))
        k = np.zeros((n, n), np.float32)
        cv2.line(k, (0, int(rng.integers(n))), (n - 1, int(rng.integers(n))), 1.0, 1)
        img = cv2.filter2D(img, -1, k / max(k.sum(), 1))
    sigma = rng.uniform(5, 14) if kind == "dim" else rng.uniform(1.5, 6)
    noise = rng.normal(0, sigma, (fh // 2 + 1, fw // 2 + 1, 3)).astype(np.float32)
    img += cv2.resize(noise, (fw, fh), interpolation=cv2.INTER_NEAREST)[:fh, :fw] * 0.6 \
        + rng.normal(0, sigma * 0.5, img.shape).astype(np.float32)
    img = np.clip(img, 0, 255).astype(np.uint8)
    q = int(quality if quality is not None else rng.integers(35, 61) if kind == "dim" else rng.integers(50, 92))
    q = min(q, max_quality)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
    assert ok
    if info is not None:
        info.update(scene=scene, cover=cover, corners=dst, quality=q)
    return cv2.imdecode(buf, cv2.IMREAD_COLOR), buf.tobytes()


# --- sets -----------------------------------------------------------------------------------

def frames(images, labels, kind: str, n: int, seed: int, sizes=SIZES, hd_quality: int = 100,
           sd_quality: int = 100):
    """Yield (name, label or None, frame, jpeg bytes) for n frames of ``kind``: sizes cycle
    through ``sizes`` (640x480, 1280x720, 1920x1080); labels balanced over the ten digits;
    HD frames coded at most at ``hd_quality``."""
    rng = np.random.default_rng(seed)
    idx = pick(labels, n, seed)
    for i in range(n):
        size = sizes[i % len(sizes)]
        top = sd_quality if size[0] <= 640 else hd_quality
        if kind == "empty":
            frame, jpeg = webcam_frame(None, rng, kind, size, max_quality=top)
            yield f"{i:03d}_none_{size[1]}", None, frame, jpeg
        else:
            frame, jpeg = webcam_frame(images[idx[i]], rng, kind, size, max_quality=top)
            yield f"{i:03d}_{labels[idx[i]]}_{size[1]}", int(labels[idx[i]]), frame, jpeg


FIXTURE_COUNT = 60
FIXTURE_SEEDS = {k: 7100 + 10 * i for i, k in enumerate(KINDS)}
# the committed sets: two of three frames at 640x480 (JPEG quality <= 75), the rest at 720p
# and 1080p (quality <= 40), to keep the repository small (under 2 MB a kind)
FIXTURE_SIZES = (SIZES[0], SIZES[0], SIZES[1], SIZES[0], SIZES[0], SIZES[2])


def write_fixtures(out: Path, images, labels, n: int = FIXTURE_COUNT) -> None:
    for kind in KINDS:
        folder = out / kind
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        for name, _, _, jpeg in frames(images, labels, kind, n, FIXTURE_SEEDS[kind],
                                       FIXTURE_SIZES, hd_quality=40, sd_quality=75):
            (folder / f"{name}.jpg").write_bytes(jpeg)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from vis3d.model import data
    from vis3d.paths import default_mnist_dir
    split = data.load_split(default_mnist_dir(), "test")
    if sys.argv[1:2] == ["show"]:
        out = Path(sys.argv[2])
        out.mkdir(parents=True, exist_ok=True)
        for kind in KINDS:
            for name, _, frame, _ in frames(split.images, split.labels, kind, int(sys.argv[3]), int(sys.argv[4])):
                cv2.imwrite(str(out / f"{kind}_{name}.jpg"), frame)
    else:
        write_fixtures(Path(sys.argv[1]), split.images, split.labels)
