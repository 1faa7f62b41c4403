"""A dark Fusion theme that suits the scene's colours."""

from PyQt5.QtGui import QColor, QPalette


def apply_dark_theme(app) -> None:
    app.setStyle("Fusion")
    pal = QPalette()
    base, window, text = QColor("#151922"), QColor("#1b202b"), QColor("#d7deec")
    for role, color in ((QPalette.Window, window), (QPalette.WindowText, text), (QPalette.Base, base),
                        (QPalette.AlternateBase, window), (QPalette.ToolTipBase, QColor("#232a38")),
                        (QPalette.ToolTipText, text), (QPalette.Text, text), (QPalette.Button, window),
                        (QPalette.ButtonText, text), (QPalette.Highlight, QColor("#d9892b")),
                        (QPalette.HighlightedText, QColor("#10131a")), (QPalette.Link, QColor("#ffb347"))):
        pal.setColor(role, color)
    pal.setColor(QPalette.Disabled, QPalette.Text, QColor("#6b7385"))
    pal.setColor(QPalette.Disabled, QPalette.ButtonText, QColor("#6b7385"))
    app.setPalette(pal)
    app.setStyleSheet("QToolTip { color: #d7deec; background: #232a38; border: 1px solid #3a4458; }"
                      "QDockWidget::title { padding: 4px; background: #202634; }")
