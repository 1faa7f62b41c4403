"""Deterministic synthetic test inputs made from MNIST test digits.

* :func:`pad_drawing`   the digit's skeleton re-drawn with an antialiased pen (8-25 px) at
  35-90% of a 280x280 pad, anywhere on it, slightly rotated: what a mouse user produces.
* :func:`camera_photo`  the digit as ink on paper photographed at 640x480: paper filling the
  frame, or (``sheet=True``) a tilted sheet covering about half the frame in a darker room;
  uneven light, a soft shadow, blur, sensor noise and JPEG.
Every generator takes a ``numpy.random.Generator``; the same seed gives the same images.
Run ``python tests/synth.py OUT_DIR`` to (re)write the committed fixture sets.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

PAD = 280
FRAME = (640, 480)  # width, height


# --- skeletons ----------------------------------------------------------------------------

def thin(binary: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a boolean image to 1-pixel-wide strokes."""
    img = np.pad(binary.astype(np.uint8), 1)
    while True:
        changed = False
        for step in (0, 1):
            p = img
            n = [p[:-2, 1:-1], p[:-2, 2:], p[1:-1, 2:], p[2:, 2:],     # P2 P3 P4 P5
                 p[2:, 1:-1], p[2:, :-2], p[1:-1, :-2], p[:-2, :-2]]   # P6 P7 P8 P9
            b = sum(x.astype(np.int32) for x in n)
            a = sum(((n[i] == 0) & (n[(i + 1) % 8] == 1)).astype(np.int32) for i in range(8))
            p2, p4, p6, p8 = n[0], n[2], n[4], n[6]
            if step == 0:
                c = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            else:
                c = (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            kill = (p[1:-1, 1:-1] == 1) & (b >= 2) & (b <= 6) & (a == 1) & c
            if kill.any():
                img[1:-1, 1:-1][kill] = 0
                changed = True
        if not changed:
            return img[1:-1, 1:-1].astype(bool)


def skeleton_segments(digit28: np.ndarray, up: int = 4) -> np.ndarray:
    """(K, 2, 2) float segments (x, y) joining neighbouring skeleton pixels, digit at up x."""
    big = cv2.resize(digit28.astype(np.float32) / 255.0, (28 * up, 28 * up),
                     interpolation=cv2.INTER_CUBIC)
    sk = thin(big > 0.45)
    h, w = sk.shape
    pad = np.pad(sk, 1)
    segs = []
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        both = sk & pad[1 + dy:h + 1 + dy, 1 + dx:w + 1 + dx]
        ys, xs = np.nonzero(both)
        segs.extend(((x, y), (x + dx, y + dy)) for y, x in zip(ys, xs))
    if not segs:
        ys, xs = np.nonzero(sk)
        segs = [((x, y), (x, y)) for y, x in zip(ys, xs)]
    return np.asarray(segs, np.float32)


# --- pad drawings -------------------------------------------------------------------------

def pad_drawing(digit28: np.ndarray, rng: np.random.Generator, size: int = PAD,
                pen: tuple = (8, 25), extent: tuple = (0.35, 0.90),
                rotate: float = 12.0, invert: bool = False, centred: bool = False) -> np.ndarray:
    """A uint8 (size, size) pad: white antialiased strokes on black (or the reverse)."""
    segs = skeleton_segments(digit28)
    pts = segs.reshape(-1, 2)
    width = float(rng.uniform(*pen))
    angle = np.deg2rad(rng.uniform(-rotate, rotate))
    centre = (pts.min(0) + pts.max(0)) / 2
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    p = (pts - centre) @ rot.T
    span = float((p.max(0) - p.min(0)).max())
    target = rng.uniform(*extent) * size           # outer extent of the ink, pen included
    scale = max(target - width, 0.2 * target) / max(span, 1.0)
    p = p * scale
    lo, hi = p.min(0) - width / 2, p.max(0) + width / 2
    room = size - (hi - lo)
    where = np.full(2, 0.5) if centred else rng.uniform(0, 1, 2)
    off = where * np.maximum(room, 0) - lo
    p = (p + off).reshape(-1, 2, 2)
    img = np.zeros((size, size), np.uint8)
    sh = 4  # sub-pixel bits for cv2.line
    q = np.round(p * (1 << sh)).astype(np.int32)
    for a, b in q:
        cv2.line(img, tuple(a), tuple(b), 255, int(round(width)), cv2.LINE_AA, sh)
    return 255 - img if invert else img


# --- camera photos ------------------------------------------------------------------------

def _smooth_noise(rng, shape, cells, amp):
    small = rng.normal(0, 1, (cells, cells)).astype(np.float32)
    return cv2.resize(small, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC) * amp


def camera_photo(digit28: np.ndarray, rng: np.random.Generator, sheet: bool = False,
                 quality: int | None = None, info: dict | None = None,
                 **harder) -> tuple[np.ndarray, bytes]:
    """(BGR uint8 640x480 frame as decoded from JPEG, the JPEG bytes).

    ``info``, if given, receives the truth: 'corners' (4, 2) of the paper in the frame and
    'ink' (x0, y0, x1, y1), the digit's bounding box in the frame.
    ``harder`` overrides ranges to stress the pipeline beyond the issue's conditions:
    size=(lo, hi) digit height share, ink=(lo, hi) ink brightness gain (pencil ~3-4),
    blur=(lo, hi) sigma, noise=(lo, hi) sigma, room=(lo, hi) room brightness,
    hard_shadow=True (a sharp-edged shadow across the paper), jpeg=(lo, hi) quality."""
    opt = {"size": (0.35, 0.65) if sheet else (0.35, 0.70), "ink": (0.8, 2.2),
           "blur": (0.6, 2.0), "noise": (2, 7), "room": (0.15, 0.45), "jpeg": (45, 91)}
    opt.update(harder)
    fw, fh = FRAME
    pw, ph = (600, 800) if sheet else (760, 580)   # the paper, in paper pixels
    # the digit as ink on the paper
    dh = rng.uniform(*opt["size"]) * (ph if sheet else fh)
    k = dh / 20.0                                  # MNIST's 20-pixel box -> dh
    big = cv2.resize(digit28.astype(np.float32) / 255.0, (int(28 * k), int(28 * k)),
                     interpolation=cv2.INTER_CUBIC)
    soft = max(0.08, float(rng.uniform(0.15, 0.35)))
    alpha = np.clip((big - 0.45) / soft + 0.5, 0, 1)
    ang = rng.uniform(-8, 8)
    m = cv2.getRotationMatrix2D((big.shape[1] / 2, big.shape[0] / 2), ang, 1.0)
    ys, xs = np.nonzero(alpha > 0.05)
    if xs.size == 0:                                        # a blank page
        xs, ys = np.array([0, alpha.shape[1]]), np.array([0, alpha.shape[0]])
    ink = np.c_[xs, ys, np.ones_like(xs)] @ m.T          # the ink's extent once rotated
    lo, hi = ink.min(0), ink.max(0)
    # the visible paper, in paper pixels, less a margin: the digit is written on it
    if sheet:
        x0, y0, x1, y1 = 0.07 * pw, 0.07 * ph, 0.93 * pw, 0.93 * ph
    else:
        x0, y0, x1, y1 = 100, 90, pw - 100, ph - 90
    wx, wy = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8)  # where in the free room
    dx = x0 - lo[0] + wx * max(0.0, (x1 - x0) - (hi[0] - lo[0]))
    dy = y0 - lo[1] + wy * max(0.0, (y1 - y0) - (hi[1] - lo[1]))
    m[:, 2] += (dx, dy)
    alpha = cv2.warpAffine(alpha, m, (pw, ph), flags=cv2.INTER_LINEAR)
    ink_colour = np.array(rng.choice([(0.10, 0.08, 0.07), (0.35, 0.12, 0.08), (0.06, 0.06, 0.06)]),
                          np.float32) * rng.uniform(*opt["ink"])
    paper_colour = np.array([rng.uniform(0.85, 0.97), rng.uniform(0.90, 0.99), 1.0], np.float32)
    refl = paper_colour * (1 - alpha[..., None]) + ink_colour * alpha[..., None]
    refl *= (1 + _smooth_noise(rng, (ph, pw), 6, 0.02))[..., None]
    # where the paper lands in the frame
    src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    if sheet:
        area = rng.uniform(0.40, 0.60) * fw * fh
        s = np.sqrt(area / (pw * ph))
        rot = np.deg2rad(rng.uniform(-20, 20))
        c = np.array([fw / 2 + rng.uniform(-0.15, 0.15) * fw, fh / 2 + rng.uniform(-0.1, 0.1) * fh])
        base = (src - (pw / 2, ph / 2)) * s
        base = base @ np.array([[np.cos(rot), -np.sin(rot)], [np.sin(rot), np.cos(rot)]]).T
        dst = base + c + rng.uniform(-0.07, 0.07, (4, 2)) * (pw * s, ph * s)
    else:
        dst = np.float32([[-60, -50], [fw + 60, -50], [fw + 60, fh + 50], [-60, fh + 50]])
        dst = dst + rng.uniform(-40, 40, (4, 2))
    h = cv2.getPerspectiveTransform(src, np.float32(dst))
    frame_refl = cv2.warpPerspective(refl, h, (fw, fh), flags=cv2.INTER_LINEAR)
    if info is not None:
        ink = cv2.warpPerspective(alpha, h, (fw, fh), flags=cv2.INTER_LINEAR) > 0.5
        ys, xs = np.nonzero(ink)
        info["corners"] = np.float32(dst)
        info["ink"] = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1) \
            if xs.size else None
    cover = cv2.warpPerspective(np.ones((ph, pw), np.float32), h, (fw, fh), flags=cv2.INTER_LINEAR)
    if sheet:  # a darker room: a dull, textured surface with a few objects
        room = rng.uniform(*opt["room"]) * (1 + _smooth_noise(rng, (fh, fw), 5, 0.25))
        room = np.repeat(room[..., None], 3, axis=2) * rng.uniform(0.8, 1.2, 3).astype(np.float32)
        for _ in range(rng.integers(0, 4)):
            x, y = rng.integers(0, fw), rng.integers(0, fh)
            cv2.rectangle(room, (int(x), int(y)), (int(x + rng.integers(30, 200)), int(y + rng.integers(30, 200))),
                          tuple(float(v) for v in rng.uniform(0.05, 0.5, 3)), -1)
        frame_refl = frame_refl + room * (1 - cover[..., None])
    # light: a gradient, vignetting and a soft shadow
    yy, xx = np.mgrid[0:fh, 0:fw].astype(np.float32)
    d = rng.normal(0, 1, 2)
    d /= np.linalg.norm(d)
    grad = 1 + rng.uniform(0.1, 0.35) * ((xx / fw - 0.5) * d[0] + (yy / fh - 0.5) * d[1]) * 2
    vig = 1 - 0.25 * (((xx - fw / 2) / fw) ** 2 + ((yy - fh / 2) / fh) ** 2)
    light = rng.uniform(150, 245) * grad * vig
    if rng.random() < 0.6:
        sx, sy, r = rng.uniform(0, fw), rng.uniform(0, fh), rng.uniform(120, 300)
        blob = np.exp(-(((xx - sx) ** 2 + (yy - sy) ** 2) / (2 * r * r)))
        light *= 1 - rng.uniform(0.2, 0.45) * blob
    img = frame_refl * light[..., None]
    if opt.get("hard_shadow"):
        a, b = rng.uniform(0, fw, 2)
        edge = cv2.GaussianBlur(np.float32(xx < a + (b - a) * yy / fh), (0, 0), 3)
        img *= (1 - rng.uniform(0.3, 0.5) * edge)[..., None]
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(*opt["blur"]))
    img += rng.normal(0, rng.uniform(*opt["noise"]), img.shape).astype(np.float32)
    img = np.clip(img, 0, 255).astype(np.uint8)
    q = int(quality if quality is not None else rng.integers(*opt["jpeg"]))
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
    assert ok
    return cv2.imdecode(buf, cv2.IMREAD_COLOR), buf.tobytes()


# --- sets ---------------------------------------------------------------------------------

def pick(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """n test-set indices, balanced over the ten digits, chosen by seed."""
    rng = np.random.default_rng(seed)
    per = [rng.permutation(np.flatnonzero(labels == d)) for d in range(10)]
    return np.array([per[i % 10][i // 10] for i in range(n)])


def write_fixtures(out: Path, images: np.ndarray, labels: np.ndarray,
                   n_pad: int = 200, n_cam: int = 60, n_sheet: int = 60) -> None:
    """The committed sets: pad/*.png, camera/*.jpg, sheet/*.jpg named ``<index>_<label>``."""
    kinds = (("pad", n_pad, 101), ("camera", n_cam, 202), ("sheet", n_sheet, 303))
    for kind, n, seed in kinds:
        folder = out / kind
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        rng = np.random.default_rng(seed)
        for i, idx in enumerate(pick(labels, n, seed)):
            name = f"{i:03d}_{labels[idx]}"
            if kind == "pad":
                cv2.imwrite(str(folder / f"{name}.png"), pad_drawing(images[idx], rng))
            else:
                _, jpeg = camera_photo(images[idx], rng, sheet=kind == "sheet")
                (folder / f"{name}.jpg").write_bytes(jpeg)


def write_samples(out: Path, images: np.ndarray, labels: np.ndarray, classify) -> list[Path]:
    """assets/samples: pad_<d>.png for d in 0..9 (centred, pen 16, 70% of the pad) and two
    photos, camera_paper_<d>.jpg and camera_sheet_<d>.jpg. Each shows the first test digit
    of its class that ``classify(image) -> (digit, p)`` gets right with p > 0.9."""
    out.mkdir(parents=True, exist_ok=True)
    written = []

    def first_good(d, make):
        for idx in np.flatnonzero(labels == d)[:200]:
            img = make(images[idx])
            digit, p = classify(img)
            if digit == d and p > 0.9:
                return img
        raise RuntimeError(f"no clear sample for {d}")

    for d in range(10):
        img = first_good(d, lambda x: pad_drawing(x, np.random.default_rng(d), pen=(16, 16),
                                                  extent=(0.7, 0.7), rotate=0, centred=True))
        written.append(out / f"pad_{d}.png")
        cv2.imwrite(str(written[-1]), img)
    for name, d, sheet in (("camera_paper", 4, False), ("camera_sheet", 7, True)):
        jpeg = {}

        def make(x):
            frame, jpeg["b"] = camera_photo(x, np.random.default_rng(40 + d), sheet=sheet, quality=85)
            return frame
        first_good(d, make)
        written.append(out / f"{name}_{d}.jpg")
        written[-1].write_bytes(jpeg["b"])
    return written


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from vis3d.model import data
    from vis3d.paths import default_mnist_dir
    split = data.load_split(default_mnist_dir(), "test")
    if sys.argv[1:2] == ["samples"]:
        from vis3d.commands.predict import Classifier
        clf = Classifier()

        def classify(img):
            _, acts = clf.classify(img)
            return (None, 0.0) if acts is None else (acts.prediction, float(acts.probs.max()))
        for path in write_samples(Path(sys.argv[2]), split.images, split.labels, classify):
            print(path)
    else:
        write_fixtures(Path(sys.argv[1]), split.images, split.labels)
