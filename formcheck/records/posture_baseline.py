"""The person's sitting-tall baseline, kept for the next posture session: one small JSON file per
person in the data folder (``<data>/calibration/posture/<person>.json``) holding the measures'
values only — never an image, never landmarks.

The file can be edited or come from another computer, so everything read back is checked here
(the one place): its person, a known view, only that view's measures, finite numbers within a
body's range. A file that fails says why; the caller calibrates again.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from formcheck.core.posture import JUDGED
from formcheck.core.posture_judge import Baseline
from formcheck.exercises.profile import person_folder_name
from formcheck.paths import calibration_dir
from formcheck.records.session_folder import write_json_atomic

FILE_VERSION = 1
MAX_FILE_BYTES = 16_384  # a baseline is a few hundred bytes
# What a sitting person's measures can be (wider than any real baseline): outside, the file is wrong.
RANGES: dict[str, tuple[float, float]] = {
    "trunk_deg": (-60.0, 60.0),
    "neck_deg": (-60.0, 90.0),
    "head_forward": (-1.0, 1.5),
    "head_height": (0.02, 3.0),
    "shoulder_tilt_deg": (-45.0, 45.0),
    "head_offset": (-1.5, 1.5),
}


class BaselineFileError(ValueError):
    """A saved baseline can't be used; the message says why and what happens instead."""


@dataclass(frozen=True, slots=True)
class SavedBaseline:
    baseline: Baseline
    saved: str  # ISO time of the calibration


def default_root() -> Path:
    return calibration_dir() / "posture"


class BaselineStore:
    """People's saved baselines under ``root`` (default ``<data>/calibration/posture``)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or default_root()

    def path(self, person: str) -> Path:
        return self.root / f"{person_folder_name(person)}.json"

    def save(self, person: str, baseline: Baseline) -> Path:
        """Keep ``baseline`` (a calibration's, not the typical one) as the person's."""
        if baseline.source != "calibration":
            raise ValueError("only a calibrated baseline is the person's own")
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.path(person)
        write_json_atomic(path, {"version": FILE_VERSION, "person": person, "view": baseline.view,
                                 "values": baseline.values, "spread": baseline.spread,
                                 "saved": datetime.now(UTC).isoformat(timespec="seconds")})
        return path

    def load(self, person: str) -> SavedBaseline | None:
        """The person's saved baseline; None when there is none; ``BaselineFileError`` when the
        file can't be used."""
        path = self.path(person)
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise BaselineFileError(f"{path} is too large to be a posture baseline")
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise BaselineFileError(f"{path} can't be read ({exc})") from None
        return _checked(path, person, data)


def _checked(path: Path, person: str, data: Any) -> SavedBaseline:
    def fail(problem: str) -> BaselineFileError:
        return BaselineFileError(f"{path}: {problem}")

    if not isinstance(data, dict) or data.get("version") != FILE_VERSION:
        raise fail(f"not a version {FILE_VERSION} posture baseline")
    if data.get("person") != person:
        raise fail(f"this baseline is {data.get('person')!r}'s, not {person!r}'s")
    view = data.get("view")
    if view not in JUDGED:
        raise fail(f"unknown view {view!r} (side or front)")
    values, spread = data.get("values"), data.get("spread", {})
    if not isinstance(values, dict) or not values or not isinstance(spread, dict):
        raise fail("no measures")
    for name, value in [*values.items(), *spread.items()]:
        if name not in JUDGED[view]:
            raise fail(f"{name!r} isn't measured in the {view} view")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise fail(f"{name} is {value!r}, not a number")
    for name, value in values.items():
        lo, hi = RANGES[name]
        if not lo <= value <= hi:
            raise fail(f"{name} {value:g} is outside {lo:g}…{hi:g}")
    if any(v < 0 for v in spread.values()):
        raise fail("a negative spread")
    saved = data.get("saved")
    try:
        datetime.fromisoformat(str(saved))
    except ValueError:
        raise fail(f"saved {saved!r} is not a time") from None
    baseline = Baseline(view, {k: float(v) for k, v in values.items()}, "calibration",
                        {k: float(v) for k, v in spread.items()})
    return SavedBaseline(baseline, str(saved))
