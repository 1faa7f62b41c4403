"""A second webcam-frame renderer, written apart from tests/synth_webcam.py, to check that the
camera pipeline is not fitted to one renderer's habits (the issue's held-back frames come from
somebody else's). Same kinds, sizes and names as synth_webcam; different choices throughout:

* the digit: the MNIST image's own shape (not its line segments), thinned to a one-pixel
  ridge, bent by a smooth hand tremor, then stamped with a round pen nib at 3x and reduced;
  ballpoints lose ink in places, markers soak;
* paper: fibre texture, ruled / squared / dotted pages, a curl's shading, a bright cut edge,
  the shadow the sheet casts on the room behind it;
* the room: lit gradients, textured and striped surfaces (blinds, shelves), leaves, a poster
  with lines of small print, a screen;
* hands: a palm and fingers as shaded polygons, holding the sheet from its side or bottom;
* the camera: light in linear units, then exposure, white balance, gamma, shot noise, lens
  blur, motion, and JPEG.

``alt_frame(digit28 or None, rng, kind, size)`` -> (BGR frame as decoded, JPEG bytes);
``frames(...)`` as synth_webcam.frames.
"""

from __future__ import annotations

import cv2
import numpy as np

from synth import pick, thin

KINDS = ("notebook", "held", "dim", "sticky", "empty")
SIZES = ((640, 480), (1280, 720), (1920, 1080))
INK = {"ballpoint blue": (0.62, 0.30, 0.14), "ballpoint black": (0.16, 0.15, 0.15),
       "gel black": (0.07, 0.07, 0.08), "red": (0.15, 0.14, 0.62), "green": (0.30, 0.45, 0.12),
       "pencil": (0.42, 0.42, 0.44)}                                      # BGR, a filter
NOTE = [(0.40, 0.90, 0.98), (0.62, 0.55, 0.98), (0.50, 0.95, 0.62), (0.30, 0.66, 0.98),
        (0.95, 0.80, 0.50), (0.85, 0.60, 0.90)]
SKIN = [(0.50, 0.62, 0.84), (0.40, 0.52, 0.75), (0.28, 0.38, 0.58), (0.18, 0.25, 0.40),
        (0.58, 0.68, 0.88), (0.45, 0.55, 0.70)]


def _field(rng, h, w, cells, amp):
    f = rng.normal(0, 1, (cells, cells)).astype(np.float32)
    return cv2.resize(f, (w, h), interpolation=cv2.INTER_CUBIC) * amp


# --- the digit ------------------------------------------------------------------------------

def _ridge(digit28: np.ndarray, rng) -> np.ndarray:
    """(N, 2) points (x, y) in 0..1 of the digit's one-pixel ridge, bent by a hand tremor."""
    up = 6
    big = cv2.resize(digit28.astype(np.float32) / 255.0, (28 * up, 28 * up),
                     interpolation=cv2.INTER_LINEAR)
    big = cv2.GaussianBlur(big, (0, 0), 1.5)
    ys, xs = np.nonzero(thin(big > rng.uniform(0.35, 0.55)))
    pts = np.stack([xs, ys], 1).astype(np.float32) / (28 * up)
    if len(pts) == 0:
        return pts
    n = 28 * up
    dx = _field(rng, n, n, 4, rng.uniform(0.004, 0.015))
    dy = _field(rng, n, n, 4, rng.uniform(0.004, 0.015))
    return pts + np.stack([dx[ys, xs], dy[ys, xs]], 1)


def _stamp(layer, pts, nib, rng, patchy: bool):
    """Stamp a round nib of ``nib`` pixels at ``pts`` (pixels) into ``layer``; a ballpoint or
    a pencil leaves less ink in places (a smooth pressure field)."""
    r = max(0.6, nib / 2.0)
    for x, y in pts:
        cv2.circle(layer, (int(round(x * 8)), int(round(y * 8))), int(round(r * 8)), 1.0, -1,
                   cv2.LINE_AA, 3)
    if patchy:
        h, w = layer.shape
        layer *= np.clip(rng.uniform(0.7, 1.0) + _field(rng, h, w, 6, 0.2), 0.35, 1.0)


def _write(page, rng, digit28, box, nib, ink):
    """The digit written into ``box`` (x0, y0, x1, y1) of ``page``; returns the ink's box."""
    pts = _ridge(digit28, rng)
    if len(pts) == 0:
        return box
    a = np.deg2rad(rng.uniform(-12, 12))
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) @ \
        np.array([[1.0, rng.uniform(-0.25, 0.15)], [0.0, 1.0]])
    p = (pts - pts.mean(0)) @ rot.T
    span = np.maximum(p.max(0) - p.min(0), 1e-3)
    x0, y0, x1, y1 = box
    k = min((x1 - x0) / span[0], (y1 - y0) / span[1]) * rng.uniform(0.8, 1.0)
    p = (p - p.min(0)) * k
    p += (x0 + rng.uniform(0, 1) * (x1 - x0 - p[:, 0].max()),
          y0 + rng.uniform(0, 1) * (y1 - y0 - p[:, 1].max()))
    s = 3                                    # drawn at 3x, then reduced
    h, w = page.shape[:2]
    layer = np.zeros((h * s, w * s), np.float32)
    _stamp(layer, p * s, nib * s, rng, patchy=ink.startswith("ballpoint") or ink == "pencil")
    layer = cv2.resize(layer, (w, h), interpolation=cv2.INTER_AREA)
    if ink == "marker":
        layer = np.clip(cv2.GaussianBlur(layer, (0, 0), 0.8) * 1.3, 0, 1)
    colour = np.float32((0.12, 0.12, 0.14) if ink == "marker" else INK[ink]) * rng.uniform(0.7, 1.3)
    a = np.clip(layer, 0, 1)[..., None]
    page[:] = page * (1 - a) + page * np.clip(colour, 0, 1) * a
    return (*p.min(0), *p.max(0))


# --- paper ----------------------------------------------------------------------------------

def _paper(rng, w, h, style, u):
    """(BGR reflectance page, writing box) of a ``style`` page ``w`` x ``h`` pixels."""
    if style == "note":
        base = np.float32(NOTE[rng.integers(len(NOTE))]) * rng.uniform(0.88, 1.0)
    else:
        base = np.float32([rng.uniform(0.84, 0.95), rng.uniform(0.88, 0.97), rng.uniform(0.90, 0.99)])
    page = np.empty((h, w, 3), np.float32)
    page[:] = base
    fibre = rng.normal(0, 0.012, (h, w)).astype(np.float32) + _field(rng, h, w, 9, 0.015)
    page *= (1 + fibre)[..., None]
    step = max(7 * u, rng.uniform(0.028, 0.07) * h)
    col = np.float32(rng.choice([(0.80, 0.62, 0.45), (0.62, 0.62, 0.62), (0.85, 0.65, 0.70)]))
    lines = np.zeros((h * 2, w * 2), np.float32)
    lw = max(1, int(round(rng.uniform(1.0, 2.2) * u)))
    if style in ("ruled", "squared"):
        for y in np.arange(rng.uniform(0.2, 1) * step, h, step):
            cv2.line(lines, (0, int(2 * y)), (2 * w, int(2 * y)), 1.0, lw * 2)
        if style == "squared":
            for x in np.arange(rng.uniform(0.2, 1) * step, w, step):
                cv2.line(lines, (int(2 * x), 0), (int(2 * x), 2 * h), 1.0, lw * 2)
    elif style == "dotted":
        for y in np.arange(step / 2, h, step):
            for x in np.arange(step / 2, w, step):
                cv2.circle(lines, (int(2 * x), int(2 * y)), max(1, lw), 1.0, -1)
    a = cv2.resize(lines, (w, h), interpolation=cv2.INTER_AREA)[..., None] * rng.uniform(0.3, 0.8)
    page = page * (1 - a) + page * col * a
    x0 = 0.08 * w
    if style in ("ruled", "squared") and rng.random() < 0.5:     # a margin line
        mx = int(rng.uniform(0.1, 0.18) * w)
        page[:, mx:mx + max(1, int(u))] *= np.float32((0.7, 0.65, 1.0))
        x0 = mx + 0.05 * w
    return page, (x0, 0.08 * h, 0.92 * w, 0.92 * h)


# --- the room -------------------------------------------------------------------------------

def _room(rng, w, h, u):
    """(reflectance, emitted light) of a room ``w`` x ``h``."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    c0, c1 = rng.uniform(0.15, 0.7, 3), rng.uniform(0.15, 0.7, 3)
    t = (xx / w * rng.uniform(-1, 1) + yy / h * rng.uniform(-1, 1) + 1) / 2
    room = (c0 * (1 - t[..., None]) + c1 * t[..., None]).astype(np.float32)
    room *= (1 + _field(rng, h, w, 12, 0.08))[..., None]
    emit = np.zeros_like(room)
    for _ in range(rng.integers(2, 7)):
        kind = rng.choice(["box", "blinds", "leaves", "poster", "shelf", "texture"])
        x, y = int(rng.uniform(-0.1, 0.9) * w), int(rng.uniform(-0.1, 0.9) * h)
        bw, bh = int(rng.uniform(0.08, 0.4) * w), int(rng.uniform(0.08, 0.45) * h)
        col = tuple(float(v) for v in rng.uniform(0.05, 0.75, 3))
        if kind == "box":
            pts = np.int32([[x, y], [x + bw, y + rng.integers(-20, 20)], [x + bw, y + bh],
                            [x + rng.integers(-20, 20), y + bh]])
            cv2.fillConvexPoly(room, pts, col, cv2.LINE_AA)
        elif kind == "blinds":
            for k in range(0, bh, max(4, int(9 * u))):
                cv2.rectangle(room, (x, y + k), (x + bw, y + k + max(2, int(5 * u))), col, -1)
        elif kind == "leaves":
            for _ in range(rng.integers(3, 9)):
                cv2.ellipse(room, (x + int(rng.uniform(0, bw)), y + int(rng.uniform(0, bh))),
                            (int(rng.uniform(8, 30) * u), int(rng.uniform(3, 10) * u)),
                            float(rng.uniform(0, 180)), 0, 360,
                            (0.1, rng.uniform(0.3, 0.55), 0.15), -1, cv2.LINE_AA)
        elif kind == "poster":
            cv2.rectangle(room, (x, y), (x + bw, y + bh), (0.85, 0.85, 0.82), -1)
            for ly in range(y + 6, y + bh - 4, max(5, int(8 * u))):       # small print
                lx = x + 5
                while lx < x + bw - 10:
                    n = int(rng.uniform(6, 25) * u)
                    cv2.line(room, (lx, ly), (min(lx + n, x + bw - 5), ly), (0.15, 0.15, 0.15),
                             max(1, int(u * rng.uniform(1, 2.5))))
                    lx += n + int(5 * u)
        elif kind == "shelf":
            for i in range(rng.integers(4, 12)):
                sw_ = max(3, int(rng.uniform(0.012, 0.03) * w))
                cv2.rectangle(room, (x + i * sw_, y + int(rng.uniform(0, 0.2) * bh)),
                              (x + (i + 1) * sw_ - 1, y + bh), tuple(rng.uniform(0.05, 0.8, 3)), -1)
        else:
            patch = np.clip(_field(rng, max(bh, 2), max(bw, 2), 20, 0.2) + 0.4, 0, 1)
            y1, x1 = min(h, y + bh), min(w, x + bw)
            ya, xa = max(0, y), max(0, x)
            if y1 > ya and x1 > xa:
                room[ya:y1, xa:x1] = patch[ya - y:y1 - y, xa - x:x1 - x, None] * np.float32(col)
    if rng.random() < 0.55:                         # a window, its frame and one bar
        x, y = int(rng.uniform(-0.1, 0.7) * w), int(rng.uniform(-0.3, 0.2) * h)
        bw, bh = int(rng.uniform(0.2, 0.45) * w), int(rng.uniform(0.35, 0.8) * h)
        cv2.rectangle(emit, (x, y), (x + bw, y + bh), tuple(rng.uniform(1.1, 2.2, 3)), -1)
        f = max(2, int(rng.uniform(5, 12) * u))
        for bx in (x, x + bw) + ((x + bw // 2,) if rng.random() < 0.6 else ()):
            cv2.rectangle(emit, (bx - f, y), (bx + f, y + bh), (0, 0, 0), -1)
            cv2.rectangle(room, (bx - f, y), (bx + f, y + bh), (0.7, 0.7, 0.7), -1)
        if rng.random() < 0.5:
            ym = y + bh // 2
            cv2.rectangle(emit, (x, ym - f), (x + bw, ym + f), (0, 0, 0), -1)
            cv2.rectangle(room, (x, ym - f), (x + bw, ym + f), (0.7, 0.7, 0.7), -1)
    if rng.random() < 0.3:                          # a screen
        x, y = int(rng.uniform(0, 0.75) * w), int(rng.uniform(0, 0.6) * h)
        bw, bh = int(rng.uniform(0.15, 0.3) * w), int(rng.uniform(0.1, 0.25) * h)
        cv2.rectangle(room, (x, y), (x + bw, y + bh), (0.03, 0.03, 0.03), -1)
        cv2.rectangle(emit, (x + 5, y + 5), (x + bw - 5, y + bh - 5), tuple(rng.uniform(0.2, 0.9, 3)), -1)
    return room, emit


def _hand(rng, refl, cover, anchor, outward, size, u):
    """A palm and fingers (shaded polygons) reaching to ``anchor`` from ``outward``."""
    skin = np.float32(SKIN[rng.integers(len(SKIN))]) * rng.uniform(0.85, 1.1)
    fw = max(8 * u, size * rng.uniform(0.05, 0.09))
    side = np.array([-outward[1], outward[0]])
    palm = anchor + outward * fw * rng.uniform(3.0, 5.0)
    cv2.ellipse(refl, tuple(np.int32(palm)), (int(fw * 2.4), int(fw * 1.8)),
                float(np.degrees(np.arctan2(outward[1], outward[0]))), 0, 360,
                tuple(float(v) for v in skin * 0.92), -1, cv2.LINE_AA)
    cv2.ellipse(cover, tuple(np.int32(palm)), (int(fw * 2.4), int(fw * 1.8)),
                float(np.degrees(np.arctan2(outward[1], outward[0]))), 0, 360, 1.0, -1)
    for k in range(rng.integers(1, 5)):
        base = palm + side * (k - 1.5) * fw * 1.1
        tip = anchor + side * (k - 1.5) * fw * 1.05 - outward * fw * rng.uniform(0.0, 0.8)
        d = tip - base
        n = np.array([-d[1], d[0]]) / (np.linalg.norm(d) + 1e-6) * fw * 0.48
        poly = np.int32([base + n, tip + n * 0.9, tip - n * 0.9, base - n])
        shade = tuple(float(v) for v in skin * rng.uniform(0.9, 1.08))
        cv2.fillConvexPoly(refl, poly, shade, cv2.LINE_AA)
        cv2.circle(refl, tuple(np.int32(tip)), int(fw * 0.45), shade, -1, cv2.LINE_AA)
        cv2.fillConvexPoly(cover, poly, 1.0)
        cv2.circle(cover, tuple(np.int32(tip)), int(fw * 0.45), 1.0, -1)


# --- the frame ------------------------------------------------------------------------------

def alt_frame(digit28, rng: np.random.Generator, kind: str, size=(640, 480), max_quality=95):
    """(BGR frame as decoded from JPEG, JPEG bytes) of ``kind``; ``digit28`` None: nothing."""
    fw, fh = size
    u = fw / 640.0
    scene = kind
    if kind == "empty":
        scene = rng.choice(["room", "blank", "page", "hand", "note"])
    elif kind == "dim":
        scene = rng.choice(["notebook", "held", "sticky"])
    style = ("note" if scene in ("sticky", "note") else
             rng.choice(["ruled", "squared", "dotted"]) if scene in ("notebook", "page") else
             rng.choice(["plain", "plain", "ruled", "squared"]))
    full = scene in ("notebook", "page") and rng.random() < 0.5
    cover = (0.0 if scene in ("room", "hand") else rng.uniform(0.8, 1.2) if full else
             rng.uniform(0.12, 0.4) if scene in ("sticky", "note") else rng.uniform(0.15, 0.5))
    room, emit = _room(rng, fw, fh, u)
    refl = room.copy()
    mask = np.zeros((fh, fw), np.float32)
    corners = None
    if cover > 0:
        aspect = 1.0 if style == "note" else rng.uniform(0.7, 1.4)
        pw = int(np.sqrt(cover * fw * fh * aspect))
        ph = int(np.sqrt(cover * fw * fh / aspect))
        page, box = _paper(rng, pw, ph, style, u)
        if digit28 is not None and kind != "empty":
            x0, y0, x1, y1 = box
            hgt = (y1 - y0) * rng.uniform(0.45, 0.9)
            hgt = min(hgt, fh * rng.uniform(0.3, 0.7))
            cx, cy = rng.uniform(x0 + hgt * 0.4, max(x0 + hgt * 0.4, x1 - hgt * 0.4)), \
                rng.uniform(y0 + hgt / 2, max(y0 + hgt / 2, y1 - hgt / 2))
            nib = rng.uniform(5, 10) * u if style == "note" else rng.uniform(2, 5) * u
            ink = "marker" if style == "note" else rng.choice(list(INK), p=[0.4, 0.2, 0.15, 0.1, 0.1, 0.05])
            _write(page, rng, digit28, (cx - hgt * 0.4, cy - hgt / 2, cx + hgt * 0.4, cy + hgt / 2), nib, ink)
        yy, xx = np.mgrid[0:ph, 0:pw].astype(np.float32)
        curl = 1 - rng.uniform(0, 0.18) * (np.cos((xx / pw) * np.pi * rng.uniform(0.5, 1.5)) ** 2)
        page *= curl[..., None]
        tilt = 25 if style == "note" else 8 if full else 30
        a = np.deg2rad(rng.uniform(-tilt, tilt))
        r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
        base = (src - (pw / 2, ph / 2)) @ r.T
        free = np.maximum(np.array([fw, fh]) - (base.max(0) - base.min(0)), 0.15 * np.array([fw, fh]))
        dst = base + (fw / 2, fh / 2) + rng.uniform(-0.45, 0.45, 2) * free
        dst += rng.uniform(-0.05, 0.05, (4, 2)) * (pw, ph)
        if full:
            dst = base * rng.uniform(1.0, 1.15) + (fw / 2, fh / 2) + rng.uniform(-0.05, 0.05, 2) * (fw, fh)
        m = cv2.getPerspectiveTransform(src, np.float32(dst))
        sheet = cv2.warpPerspective(page, m, (fw, fh), flags=cv2.INTER_LINEAR)
        cov = cv2.warpPerspective(np.ones((ph, pw), np.float32), m, (fw, fh))
        shadow = cv2.GaussianBlur(np.roll(cov, (int(6 * u), int(8 * u)), (0, 1)), (0, 0), 6 * u)
        refl *= (1 - 0.45 * shadow * (1 - cov))[..., None]
        rim = cv2.morphologyEx(cov, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) * 0.15
        refl = refl * (1 - cov[..., None]) + sheet * cov[..., None] + rim[..., None]
        emit *= (1 - cov)[..., None]
        corners = np.float32(dst)
    if scene in ("held", "blank", "hand", "note") or (scene == "sticky" and rng.random() < 0.5):
        if corners is None:
            centre = np.array([rng.uniform(0.3, 0.7) * fw, rng.uniform(0.3, 0.7) * fh])
            anchor, out = centre, np.array([0.0, 1.0])
        else:
            e = int(rng.choice([1, 2, 3, 3]))        # hold it by a side or the bottom
            a_, b_ = corners[e], corners[(e + 1) % 4]
            anchor = a_ + rng.uniform(0.3, 0.7) * (b_ - a_)
            out = anchor - corners.mean(0)
            out /= np.linalg.norm(out) + 1e-6
        _hand(rng, refl, mask, anchor, out, max(fw, fh), u)
        emit *= (1 - mask)[..., None]
    # light (linear), then the camera
    yy, xx = np.mgrid[0:fh, 0:fw].astype(np.float32)
    light = 1 + rng.uniform(-0.35, 0.35) * (xx / fw - 0.5) + rng.uniform(-0.35, 0.35) * (yy / fh - 0.5)
    lin = refl * light[..., None] + emit
    wb = np.float32(rng.choice([(1, 1, 1), (0.8, 0.95, 1.15), (1.1, 1.0, 0.9)]) if kind != "dim"
                    else rng.choice([(0.6, 0.85, 1.25), (0.7, 0.9, 1.15), (1.15, 1.0, 0.85)]))
    exposure = rng.uniform(0.25, 0.5) if kind == "dim" else rng.uniform(0.7, 1.2)
    lin = lin * wb * exposure
    lin = cv2.GaussianBlur(lin, (0, 0), rng.uniform(0.5, 1.4) * u)
    if kind == "dim" or rng.random() < 0.2:
        n = max(3, int(rng.uniform(3, 14 if kind == "dim" else 7) * u))
        k = np.zeros((n, n), np.float32)
        ang = rng.uniform(0, np.pi)
        c = (n - 1) / 2
        cv2.line(k, (int(c - c * np.cos(ang)), int(c - c * np.sin(ang))),
                 (int(c + c * np.cos(ang)), int(c + c * np.sin(ang))), 1.0, 1)
        lin = cv2.filter2D(lin, -1, k / max(k.sum(), 1))
    lin = np.clip(lin, 0, None)
    gain = 4.0 if kind == "dim" else 1.0
    shot = rng.normal(0, 1, lin.shape).astype(np.float32) * np.sqrt(lin / 255.0 * gain + 1e-4) * 0.02
    lin = np.clip(lin + shot, 0, 1)
    img = np.uint8(np.clip(255 * lin ** (1 / 2.2) + rng.normal(0, 1.5, lin.shape), 0, 255))
    q = int(min(rng.integers(35, 60) if kind == "dim" else rng.integers(50, 90), max_quality))
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
    assert ok
    return cv2.imdecode(buf, cv2.IMREAD_COLOR), buf.tobytes()


def frames(images, labels, kind: str, n: int, seed: int, sizes=SIZES):
    """Yield (name, label or None, frame, jpeg bytes), as synth_webcam.frames does."""
    rng = np.random.default_rng(seed)
    idx = pick(labels, n, seed)
    for i in range(n):
        size = sizes[i % len(sizes)]
        if kind == "empty":
            frame, jpeg = alt_frame(None, rng, kind, size)
            yield f"{i:03d}_none_{size[1]}", None, frame, jpeg
        else:
            frame, jpeg = alt_frame(images[idx[i]], rng, kind, size)
            yield f"{i:03d}_{labels[idx[i]]}_{size[1]}", int(labels[idx[i]]), frame, jpeg
