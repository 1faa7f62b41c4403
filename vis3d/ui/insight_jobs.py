"""Long test-set computations for the insight docks, off the GUI thread.

One ``Insight`` (vis3d.model.insight: its own copy of the model, a disk cache by weights
hash) per model; each request runs in a QThread of its own and reports progress and its
result by Qt signals, queued to the GUI thread. A new model cancels what is running for
the old one; a request already answered (or cached) returns at once.
"""

from __future__ import annotations

import threading

from PyQt5.QtCore import QObject, QThread, pyqtSignal
from PyQt5.QtWidgets import QProgressBar

from vis3d.errors import NoTestData, Vis3dError


class _Job(QThread):
    progress = pyqtSignal(int, int)
    finished_with = pyqtSignal(object, object)   # (result or None, error text or None)

    def __init__(self, fn, parent=None):
        super().__init__(parent)
        self.fn = fn
        self.cancelled = False

    def run(self) -> None:
        try:
            result = self.fn(lambda d, n: self.progress.emit(int(d), int(n)),
                             lambda: self.cancelled)
            self.finished_with.emit(result, None)
        except Vis3dError as exc:
            self.finished_with.emit(None, str(exc))
        except Exception as exc:  # noqa: BLE001 - a failed analysis must not close the window
            self.finished_with.emit(None, f"{type(exc).__name__}: {exc}")


class InsightJobs(QObject):
    error = pyqtSignal(str)
    unavailable = pyqtSignal(str)   # no test set for this model, and why (said once a model)
    testset_changed = pyqtSignal(object)

    def __init__(self, session, data: str | None = None, parent=None):
        super().__init__(parent)
        self.session = session
        self.data = data
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(True)
        self.progress_bar.hide()
        self._insight = None
        self._testset = None
        self.missing = ""      # why the current model has no test set ("" : it has, or not asked)
        self._jobs: list[_Job] = []
        self._memo: dict = {}
        self._lock = threading.Lock()
        session.events.model.connect(self._on_model)

    # --- the data ---------------------------------------------------------------------
    def _on_model(self, _session=None) -> None:
        for job in self._jobs:
            job.cancelled = True
        self._insight, self._memo = None, {}
        old = self._testset
        self._testset, self.missing = None, ""
        if old is not None and self.testset() is not old:
            self.testset_changed.emit(self._testset)

    def testset(self):
        """The test set for the current model (None, with an error emitted, if there is none)."""
        if self._testset is None:
            from vis3d.inputs import testset
            try:
                self._testset = testset.load(self.data, self.session.probe.input_shape)
            except Vis3dError as exc:
                self._refused(exc)
                return None
        return self._testset

    def _refused(self, exc: Vis3dError) -> None:
        """Why the analyses cannot run, said once a model (each dock asks): no test set is
        ``unavailable`` (not a fault), anything else an ``error``."""
        if str(exc) != self.missing:
            self.missing = str(exc)
            (self.unavailable if isinstance(exc, NoTestData) else self.error).emit(str(exc))

    def insight(self):
        if self._insight is None:
            ts = self.testset()
            if ts is None:
                return None
            from vis3d.model.insight import Insight
            try:
                self._insight = Insight(self.session.loaded, ts)
            except Vis3dError as exc:      # test pictures that do not fit the model
                self._refused(exc)
                return None
        return self._insight

    # --- requests ---------------------------------------------------------------------
    def request(self, key, what: str, fn, done) -> bool:
        """Run ``fn(insight, progress, stop)`` in a worker; ``done(result)`` on the GUI thread.
        Returns True when answered at once (memoised)."""
        if key in self._memo:
            done(self._memo[key])
            return True
        ins = self.insight()
        if ins is None:
            return False
        lock = self._lock

        def work(progress, stop):
            with lock:   # one job at a time on the insight's probe
                return None if stop() else fn(ins, progress, stop)

        job = _Job(work, self)
        bar = self.progress_bar

        def on_progress(d, n):
            bar.setMaximum(max(1, n))
            bar.setValue(d)

        def on_done(result, err, job=job):
            self._jobs = [j for j in self._jobs if j is not job]
            if not self._jobs:
                bar.hide()
            if job.cancelled or ins is not self._insight:
                return
            if err is not None:
                self.error.emit(f"{what}: {err}")
                return
            if result is not None:
                self._memo[key] = result
                done(result)

        job.progress.connect(on_progress)
        job.finished_with.connect(on_done)
        bar.setFormat(f"{what} %p%")
        # as wide as its text ("top images of layer4.1.conv2 100%"), which a fixed width cut
        bar.setFixedWidth(min(420, bar.fontMetrics().horizontalAdvance(f"{what} 100%") + 40))
        bar.setValue(0)
        bar.show()
        self._jobs.append(job)
        job.start()
        return False

    def stats(self, done) -> bool:
        return self.request("stats", "test-set averages",
                            lambda ins, p, s: ins.stats(p, s), done)

    def top(self, layer: str, channels: bool, done) -> bool:
        return self.request(("top", layer, channels), f"top images of {layer}",
                            lambda ins, p, s: ins.top(layer, 9, channels, p, s), done)

    def projection(self, layer: str, done) -> bool:
        return self.request(("pca", layer), f"projection of {layer}",
                            lambda ins, p, s: ins.projection(layer, progress=p, stop=s), done)

    def busy(self) -> bool:
        return bool(self._jobs)

    def shutdown(self) -> None:
        for job in self._jobs:
            job.cancelled = True
        for job in list(self._jobs):
            job.wait(5000)
