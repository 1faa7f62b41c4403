"""A notice above the scene: what went wrong stays visible until the user dismisses it."""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton


class NoticeBar(QFrame):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("notice")
        self.setStyleSheet("#notice { background: #4a2323; border-bottom: 1px solid #a04848; }"
                           "QLabel { color: #ffd9d0; }")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 4, 4, 4)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.setAutoRaise(True)
        close.clicked.connect(self.dismiss)
        lay.addWidget(self.label, 1)
        lay.addWidget(close)
        self.messages: list[str] = []
        self.hide()

    def add(self, text: str) -> None:
        """Show one more problem (the newest last; at most five kept)."""
        if self.messages and self.messages[-1] == text:
            return
        self.messages = (self.messages + [text])[-5:]
        self.label.setText("\n".join(self.messages))
        self.show()

    def dismiss(self) -> None:
        self.messages = []
        self.label.setText("")
        self.hide()
