"""Take screenshots of the app's main screens (run under Xvfb: `xvfb-run -a python tools/screenshot_app.py OUT_DIR`)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from formcheck.ui.app import build_window  # noqa: E402
from formcheck.ui.main_window import SAMPLE_VIDEO  # noqa: E402


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
    w = build_window(settings)
    w.resize(1400, 860)
    w.show()
    steps = [
        (500, lambda: w.grab().save(str(out / "1_start.png"))),
        (600, lambda: (w.picker.select("squat"), None)),
        (900, lambda: w.grab().save(str(out / "2_picker.png"))),
        (1000, lambda: (w.start_exercise("squat"), w.open_video(SAMPLE_VIDEO))),
        (2600, lambda: w.grab().save(str(out / "3_setup.png"))),
        (7000, lambda: w.grab().save(str(out / "4_counting.png"))),
        (7100, lambda: w.pain_stop()),
        (7600, lambda: w.grab().save(str(out / "5_pain_stop.png"))),
        (7800, app.quit),
    ]
    for ms, fn in steps:
        QTimer.singleShot(ms, fn)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
