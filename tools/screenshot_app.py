"""Take screenshots of the app's main screens (run under Xvfb: `xvfb-run -a python tools/screenshot_app.py OUT_DIR`)."""

from __future__ import annotations

import dataclasses
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
    def short_squat() -> None:  # 2 × 2 reps, 4 s rest: the whole set/rest flow in half a minute
        ex = w.library["squat"]
        w.library["squat"] = dataclasses.replace(ex, dose=dataclasses.replace(ex.dose, sets=2, reps=2, rest_s=4))
        w.start_exercise("squat")
        w.play_sample()

    steps = [
        (500, lambda: w.grab().save(str(out / "1_start.png"))),
        (600, lambda: (w.picker.select("squat"), None)),
        (900, lambda: w.grab().save(str(out / "2_picker.png"))),
        (1000, short_squat),
        (2600, lambda: w.grab().save(str(out / "3_setup.png"))),
        (7000, lambda: w.grab().save(str(out / "4_counting.png"))),
        (10500, lambda: w.grab().save(str(out / "5_rest.png"))),
        (30000, lambda: w.grab().save(str(out / "6_done.png"))),
        (30100, lambda: (w.start_exercise("glute_bridge"), w.open_video(SAMPLE_VIDEO.with_name("glute_bridge_low.mp4")))),
        (52000, lambda: w.grab().save(str(out / "7_video_ended.png"))),
        (52100, lambda: (w.start_exercise("bird_dog"), w.panel.show_counts({"left": 10, "right": 10}, 0, 10))),
        (52400, lambda: w.grab().save(str(out / "8_bird_dog_counter.png"))),
        (52500, lambda: w.pain_stop()),
        (53000, lambda: w.grab().save(str(out / "9_pain_stop.png"))),
        (53200, app.quit),
    ]
    for ms, fn in steps:
        QTimer.singleShot(ms, fn)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
