"""Inputs: image files, the draw pad's and the camera's pictures, and their preprocessing.

OpenCV reads a few settings from the environment when it first loads or first decodes, so
they are set here, before any module of this package imports cv2 (every vis3d module that
uses cv2 imports ``vis3d.inputs`` first; a test checks it):

  * ``OPENCV_IO_MAX_IMAGE_PIXELS``  OpenCV's own refusal of huge images, behind the header
                                    check of :mod:`vis3d.inputs.header`;
  * ``OPENCV_LOG_LEVEL``            OpenCV's ``[ERROR]``/``[WARN]`` lines would print before
                                    our one-line messages: silenced, our messages say it;
  * ``OPENCV_FFMPEG_LOGLEVEL``      FFmpeg's decoder chatter (``[mjpeg @ 0x...] overread``)
                                    silenced; read failures are reported by vis3d itself.
"""

import os

MAX_PIXELS = 40_000_000     # the largest picture vis3d decodes (a 48 MP phone photo is refused)

os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_PIXELS))
os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")        # AV_LOG_QUIET
