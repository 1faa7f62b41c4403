"""The session's model as the camera pipeline's judge among candidate regions (Qt-free).

The camera pipeline (vis3d.inputs.frame) may find several places in a frame that could hold
the digit; when the model is unsure of the first, it reads up to two more and keeps the one
the model is clearly surest of. vis3d.inputs stays free of torch: it is handed a callable.
"""

from __future__ import annotations

SLOW_MS = 15.0    # a model whose forward takes longer is not asked (the window must stay live)


def camera_judge(session):
    """A callable 28x28 -> the session model's top probability, for
    :func:`vis3d.inputs.frame.prepare_camera`. It answers None (no answer: the pipeline
    judges no further and keeps what it has) when the model takes no 28x28 digits, is slow,
    or is busy in the background."""
    def judge(image) -> float | None:
        if not session.digit_input or session.run_ms > SLOW_MS:
            return None
        if not session.lock.acquire(blocking=False):
            return None
        try:
            return session.probe.top_probability(image)
        finally:
            session.lock.release()
    return judge
