"""The live camera picture with a guide box, the found sheet and ink box, and the 28x28 result.

Everything is painted with one QPainter per frame. ``show_frame`` wraps the numpy buffer in a
QImage without copying it (the array is kept alive alongside), so a 640x480 frame costs one
scaled drawImage. The widget only shows things: the window's tick calls into it.
"""

from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QPointF, QRectF, QSize, Qt
from PyQt5.QtGui import QColor, QFont, QImage, QPainter, QPen, QPolygonF
from PyQt5.QtWidgets import QSizePolicy, QWidget

from vis3d.inputs import convert

GUIDE_FRACTION = 0.6        # the guide box is this fraction of the frame's shorter side
PREVIEW_PX = 84             # the 28x28 result is shown 3x
BACKGROUND = QColor(16, 18, 24)
GUIDE = QColor(255, 255, 255, 170)
SHEET = QColor(80, 200, 255)
INK = QColor(255, 190, 60)


def guide_box(width: int, height: int, fraction: float = GUIDE_FRACTION) -> tuple[int, int, int, int]:
    """The centred square (x0, y0, x1, y1) in frame pixels where the digit should be held."""
    side = int(round(min(width, height) * fraction))
    x0, y0 = (width - side) // 2, (height - side) // 2
    return x0, y0, x0 + side, y0 + side


_FORMATS = {"gray": QImage.Format_Grayscale8, "bgr": QImage.Format_BGR888,
            "rgb": QImage.Format_RGB888}


def frame_to_qimage(frame, order: str = "bgr") -> tuple[QImage, np.ndarray] | None:
    """Any picture (gray/BGR/BGRA, any dtype, scaled by :mod:`vis3d.inputs.convert`) ->
    (QImage sharing the converted array's memory, the array to keep alive), or None."""
    shown = convert.display_u8(frame, order)
    if shown is None:
        return None
    a, kind = shown
    h, w = a.shape[:2]
    return QImage(a.data, w, h, a.strides[0], _FORMATS[kind]), a


class CameraView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._image: QImage | None = None
        self._buffer: np.ndarray | None = None      # keeps the QImage's memory alive
        self._frame_size = (0, 0)
        self._sheet: np.ndarray | None = None
        self._bbox: tuple | None = None
        self._result: QImage | None = None
        self._result_buf: np.ndarray | None = None
        self._result_text = ""
        self._status = "no camera"
        self._mirror = False
        self._stages: QImage | None = None
        self._stages_buf: np.ndarray | None = None
        self._stages_text = ""
        self.frames_shown = 0
        self.setMinimumSize(200, 150)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setAttribute(Qt.WA_OpaquePaintEvent)

    def sizeHint(self) -> QSize:
        return QSize(320, 240)

    # --- what to show ---------------------------------------------------------------------
    def show_frame(self, frame_bgr: np.ndarray | None) -> None:
        """Show a BGR (or gray/BGRA) uint8 frame; None clears the picture."""
        if frame_bgr is None:
            self._image = self._buffer = None
            self._frame_size = (0, 0)
        else:
            wrapped = frame_to_qimage(frame_bgr)
            if wrapped is None:
                return
            self._image, self._buffer = wrapped
            self._frame_size = (self._buffer.shape[1], self._buffer.shape[0])
            self.frames_shown += 1
        self.update()

    def set_overlay(self, sheet_corners=None, bbox=None) -> None:
        """The found sheet (4 corners, frame pixels) and the ink box (x0, y0, x1, y1), or None."""
        sheet = None
        if sheet_corners is not None:
            s = np.asarray(sheet_corners, np.float64).reshape(-1, 2)
            sheet = s if len(s) >= 3 and np.isfinite(s).all() else None
        self._sheet = sheet
        self._bbox = tuple(float(v) for v in bbox) if bbox is not None and len(bbox) == 4 else None
        self.update()

    def set_result(self, img28=None, text: str = "") -> None:
        """The 28x28 input the network sees (float 0..1 or uint8), and a caption ('no digit')."""
        self._result_text = text or ""
        if img28 is None:
            self._result = self._result_buf = None
        else:
            wrapped = frame_to_qimage(img28)
            if wrapped is None:
                self._result = self._result_buf = None
            else:
                self._result, self._result_buf = wrapped
        self.update()

    def set_mirror(self, on: bool) -> None:
        """Show the picture mirrored (as people expect of a webcam preview); the overlay
        follows. Only the view is mirrored: the digit is read from the frame as it is."""
        self._mirror = bool(on)
        self.update()

    @property
    def mirrored(self) -> bool:
        return self._mirror

    def set_stages(self, mask=None, text: str = "") -> None:
        """The ink mask the pipeline found (0/255 at its working size) shown as an inset,
        with why the frame gave no digit; None and '' hide them."""
        self._stages_text = text or ""
        wrapped = frame_to_qimage(mask) if mask is not None else None
        self._stages, self._stages_buf = wrapped if wrapped is not None else (None, None)
        self.update()

    def set_status(self, text: str) -> None:
        """One line at the bottom: 'no camera', 'camera lost, retrying...', '' to hide."""
        self._status = text or ""
        self.update()

    @property
    def status(self) -> str:
        return self._status

    # --- geometry -------------------------------------------------------------------------
    def picture_rect(self) -> QRectF:
        """Where the frame is drawn: scaled to fit, centred, aspect kept."""
        fw, fh = self._frame_size
        if not fw or not fh:
            return QRectF(self.rect())
        s = min(self.width() / fw, self.height() / fh)
        w, h = fw * s, fh * s
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def to_widget(self, x: float, y: float) -> QPointF:
        """Frame pixel -> widget coordinates."""
        r = self.picture_rect()
        fw, fh = self._frame_size
        if self._mirror:
            x = fw - x
        return QPointF(r.x() + x * r.width() / max(fw, 1), r.y() + y * r.height() / max(fh, 1))

    # --- painting -------------------------------------------------------------------------
    def _draw_picture(self, p: QPainter, rect: QRectF, image) -> None:
        """An image into ``rect``, flipped left-right about its centre when mirrored."""
        if self._mirror:
            p.save()
            p.translate(rect.center())
            p.scale(-1.0, 1.0)
            p.translate(-rect.center())
        p.drawImage(rect, image)
        if self._mirror:
            p.restore()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), BACKGROUND)
        if self._image is not None:
            p.setRenderHint(QPainter.SmoothPixmapTransform)
            r = self.picture_rect()
            self._draw_picture(p, r, self._image)
            p.setRenderHint(QPainter.Antialiasing)
            self._paint_guide(p)
            self._paint_overlay(p)
        self._paint_result(p)
        self._paint_stages(p)
        self._paint_status(p)
        p.end()

    def _paint_guide(self, p: QPainter) -> None:
        x0, y0, x1, y1 = guide_box(*self._frame_size)
        a, b = self.to_widget(x0, y0), self.to_widget(x1, y1)
        box = QRectF(a, b)
        pen = QPen(GUIDE, 1.5, Qt.DashLine)
        p.setPen(pen)
        p.setBrush(Qt.NoBrush)
        p.drawRect(box)
        corner = box.width() * 0.15            # solid brackets at the corners
        p.setPen(QPen(GUIDE, 3))
        for cx, cy, dx, dy in ((box.left(), box.top(), 1, 1), (box.right(), box.top(), -1, 1),
                               (box.left(), box.bottom(), 1, -1), (box.right(), box.bottom(), -1, -1)):
            p.drawLine(QPointF(cx, cy), QPointF(cx + dx * corner, cy))
            p.drawLine(QPointF(cx, cy), QPointF(cx, cy + dy * corner))

    def _paint_overlay(self, p: QPainter) -> None:
        p.setBrush(Qt.NoBrush)
        if self._sheet is not None:
            p.setPen(QPen(SHEET, 2))
            p.drawPolygon(QPolygonF([self.to_widget(x, y) for x, y in self._sheet]))
        if self._bbox is not None:
            x0, y0, x1, y1 = self._bbox
            p.setPen(QPen(INK, 2))
            p.drawRect(QRectF(self.to_widget(x0, y0), self.to_widget(x1, y1)))

    def _paint_result(self, p: QPainter) -> None:
        if self._result is None and not self._result_text:
            return
        box = QRectF(self.width() - PREVIEW_PX - 8, 8, PREVIEW_PX, PREVIEW_PX)
        p.fillRect(box.adjusted(-2, -2, 2, 2), QColor(60, 66, 80))
        p.fillRect(box, Qt.black)
        if self._result is not None:
            p.setRenderHint(QPainter.SmoothPixmapTransform, False)   # show the real pixels
            p.drawImage(box, self._result)
        if self._result_text:
            p.setPen(QColor(230, 232, 240))
            font = QFont(self.font())
            font.setPointSizeF(max(font.pointSizeF() * 0.85, 6))
            p.setFont(font)
            _label(p, QRectF(8, box.bottom() + 4, box.right() - 8, 18), self._result_text,
                   Qt.AlignRight)

    def _paint_stages(self, p: QPainter) -> None:
        if self._stages is None and not self._stages_text:
            return
        h = p.fontMetrics().height() + 8 if self._status else 0
        if self._stages is not None:
            iw, ih = self._stages.width(), self._stages.height()
            s = min(0.3 * self.width() / max(iw, 1), 0.3 * self.height() / max(ih, 1))
            box = QRectF(8, self.height() - h - 8 - ih * s, iw * s, ih * s)
            self._draw_picture(p, box, self._stages)
            p.setPen(QPen(INK, 1))
            p.setBrush(Qt.NoBrush)
            p.drawRect(box)
            p.drawText(QRectF(box.x(), box.y() - 18, box.width() + 80, 16),
                       Qt.AlignLeft | Qt.AlignBottom, "ink mask")
        if self._stages_text:
            p.setPen(QColor(255, 160, 120))
            _label(p, QRectF(8, 8, self.width() - PREVIEW_PX - 24, 20), self._stages_text,
                   Qt.AlignLeft)

    def _paint_status(self, p: QPainter) -> None:
        if not self._status:
            return
        if self._image is None:                  # nothing to see: say why, in the middle
            p.setPen(QColor(200, 205, 215))
            p.drawText(QRectF(self.rect()).adjusted(12, 12, -12, -12),
                       Qt.AlignCenter | Qt.TextWordWrap, self._status)
            return
        h = p.fontMetrics().height() + 8
        bar = QRectF(0, self.height() - h, self.width(), h)
        p.fillRect(bar, QColor(0, 0, 0, 170))
        p.setPen(QColor(255, 214, 120))
        p.drawText(bar.adjusted(8, 0, -8, 0), Qt.AlignVCenter | Qt.AlignLeft, self._status)


def _label(p: QPainter, rect: QRectF, text: str, align) -> None:
    """Text over the camera picture: elided to ``rect`` on a dark backing, readable over
    white paper or ink."""
    fm = p.fontMetrics()
    text = fm.elidedText(text, Qt.ElideLeft if align == Qt.AlignRight else Qt.ElideRight,
                         int(rect.width()))
    w = fm.horizontalAdvance(text) + 8
    x = rect.right() - w if align == Qt.AlignRight else rect.x()
    back = QRectF(x, rect.y(), w, fm.height() + 2)
    p.fillRect(back, QColor(11, 13, 18, 200))
    p.drawText(back, Qt.AlignCenter, text)
