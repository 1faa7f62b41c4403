"""Image sizes read from file headers, before anything is decoded.

A 1 MB PNG can hold 20000x20000 pixels (1.2 GB once decoded): :func:`image_size` reads the
width and height of PNG, JPEG, BMP, GIF, WebP and PNM files from their first bytes so that
:mod:`vis3d.inputs.files` can refuse or shrink a picture before decoding it. Pure Python.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    width: int
    height: int
    format: str
    bytes_per_pixel: int = 3     # decoded with IMREAD_UNCHANGED (an estimate where unknown)

    @property
    def pixels(self) -> int:
        return self.width * self.height


def _png(b: bytes) -> Size | None:
    if len(b) < 26 or b[12:16] != b"IHDR":
        return None
    w, h, depth, ctype = struct.unpack(">IIBB", b[16:26])
    channels = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}.get(ctype, 4)
    return Size(w, h, "PNG", channels * (2 if depth == 16 else 1))


def _jpeg(b: bytes) -> Size | None:
    i = 2
    while i + 9 < len(b):
        if b[i] != 0xFF:
            i += 1
            continue
        marker = b[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        length = struct.unpack(">H", b[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", b[i + 5:i + 9])
            channels = b[i + 9] if i + 9 < len(b) else 3
            return Size(w, h, "JPEG", 1 if channels == 1 else 3)
        if marker == 0xDA:          # start of scan before any frame header: give up
            return None
        i += 2 + length
    return None


def _bmp(b: bytes) -> Size | None:
    if len(b) < 30:
        return None
    header = struct.unpack("<I", b[14:18])[0]
    if header == 12:
        w, h = struct.unpack("<HH", b[18:22])
        bpp = struct.unpack("<H", b[24:26])[0]
    else:
        w, h = struct.unpack("<ii", b[18:26])
        bpp = struct.unpack("<H", b[28:30])[0]
    return Size(abs(w), abs(h), "BMP", 4 if bpp == 32 else 3)


def _gif(b: bytes) -> Size | None:
    if len(b) < 10:
        return None
    w, h = struct.unpack("<HH", b[6:10])
    return Size(w, h, "GIF", 3)


def _webp(b: bytes) -> Size | None:
    kind = b[12:16]
    if kind == b"VP8 " and len(b) >= 30:
        w, h = struct.unpack("<HH", b[26:30])
        return Size(w & 0x3FFF, h & 0x3FFF, "WebP", 3)
    if kind == b"VP8L" and len(b) >= 25:
        bits = struct.unpack("<I", b[21:25])[0]
        return Size((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, "WebP", 4)
    if kind == b"VP8X" and len(b) >= 30:
        w = int.from_bytes(b[24:27], "little") + 1
        h = int.from_bytes(b[27:30], "little") + 1
        return Size(w, h, "WebP", 4)
    return None


def _pnm(b: bytes) -> Size | None:
    fields: list[int] = []
    for line in b[2:512].split(b"\n"):
        line = line.split(b"#")[0]
        for tok in line.split():
            if not tok.isdigit():
                return None
            fields.append(int(tok))
            if len(fields) == 2:
                channels = 3 if b[1:2] in (b"3", b"6") else 1
                return Size(fields[0], fields[1], "PNM", channels)
    return None


def image_size(head: bytes) -> Size | None:
    """The size of the picture whose file starts with ``head`` (the first few KB are plenty
    for every format here except JPEGs with huge metadata), or None if not recognised."""
    try:
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return _png(head)
        if head.startswith(b"\xff\xd8"):
            return _jpeg(head)
        if head.startswith(b"BM"):
            return _bmp(head)
        if head[:6] in (b"GIF87a", b"GIF89a"):
            return _gif(head)
        if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
            return _webp(head)
        if head[:1] == b"P" and head[1:2] in b"123456" and len(head) > 3 and head[2:3].isspace():
            return _pnm(head)
    except (struct.error, IndexError):
        return None
    return None
