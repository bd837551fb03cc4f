"""Write calibration/default.toml: the population thresholds, from formcheck/exercises/*.toml.

    python tools/write_default_profile.py

Run it after changing a threshold in an exercise file; tests/exercises/test_profile.py fails
while the file and the library disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from formcheck.exercises.loader import LIBRARY_DIR, load_library  # noqa: E402
from formcheck.exercises.personal_thresholds import population_profile  # noqa: E402
from formcheck.exercises.profile import render_profile  # noqa: E402

DEFAULT_PROFILE = ROOT / "calibration" / "default.toml"

if __name__ == "__main__":
    # Built-in exercises only: a developer's own exercise folder must not leak into the repository.
    library = load_library(LIBRARY_DIR, custom_dir=ROOT / "no-custom-exercises").exercises
    DEFAULT_PROFILE.parent.mkdir(exist_ok=True)
    DEFAULT_PROFILE.write_text(render_profile(population_profile(library), library), encoding="utf-8")
    print(f"wrote {DEFAULT_PROFILE}")
