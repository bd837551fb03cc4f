"""The posture mode end to end on the six real desk clips (../shared/real_clips/desk), with the
real pose model at 2 frames per second: how much of the labelled not-upright time was caught, and
which reminders would have been false (given on an upright stretch).

The clips last 6–23 s, so the "lasted" time and the intervals are scaled from minutes to seconds
through the settings (``CLIP_SETTINGS``); the person's baseline is each clip's labelled upright
stretch, as a person would calibrate (``tests/data/desk_posture_labels.toml``). Print the table:
``.venv/bin/python -m tests.analysis.test_posture_desk_clips``.

The clips are sampled at 2 fps, not the mode's default 1 fps: their labelled stretches last 1–4 s
(minutes squeezed into seconds), so at 1 fps a stretch is 1–4 samples and the 3-sample median alone
lags across most of it. At a desk the stretches last minutes, and 1 fps gives a 2-minute posture
120 samples.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from formcheck.analysis.posture_mode import SampledVideo, calibrate_from, pose_estimator, sample, watch
from formcheck.core.posture_coach import PostureReminder, PostureSettings
from formcheck.core.posture_judge import FAULTS, typical_baseline

DESK = Path(__file__).resolve().parents[2] / ".." / "shared" / "real_clips" / "desk"
LABELS = Path(__file__).resolve().parents[1] / "data" / "desk_posture_labels.toml"
CLIP_SETTINGS = PostureSettings(sample_ms=500, after_ms=1000, min_interval_ms=3000, upright_grace_ms=1000,
                                away_ms=2000, response_ms=2000, break_after_ms=3_600_000)
CALIBRATION_EVERY_MS = 100  # the labelled upright stretches are short (1.1 s in desk_harith_2)

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not DESK.is_dir(), reason="../shared/real_clips/desk is absent")]


def _inside(t_s: float, stretches: list[list[float]]) -> bool:
    return any(a <= t_s < b for a, b in stretches)


def _mostly_upright(r: PostureReminder, upright: list[list[float]]) -> bool:
    """The fault a reminder was about (the time it had lasted) lay mostly on upright stretches."""
    start, end = (r.t_ms - r.lasted_ms) / 1000, r.t_ms / 1000
    steps = [start + (end - start) * i / 10 for i in range(11)]
    return sum(_inside(t, upright) for t in steps) > len(steps) / 2


def run_clip(name: str, label: dict[str, Any]) -> dict[str, Any]:
    path = DESK / f"{name}.mp4"
    if label["baseline"] == "typical":
        baseline = typical_baseline("side")
    else:
        start, end = (round(s * 1000) for s in label["baseline"])
        src = SampledVideo(path, CALIBRATION_EVERY_MS, start, end)
        with pose_estimator() as est:
            baseline = calibrate_from(src, est)
        src.close()
    src = SampledVideo(path, CLIP_SETTINGS.sample_ms)
    with pose_estimator() as est:
        result = watch(sample(src, est), baseline, CLIP_SETTINGS)
    src.close()
    target = [(t, s) for t, s in result.states if _inside(t / 1000, label["target"])]
    upright = [(t, s) for t, s in result.states if _inside(t / 1000, label["upright"])]
    reminders = [e for e in result.events if isinstance(e, PostureReminder)]
    return {
        "name": name,
        "view": baseline.view,
        "baseline": baseline.source,
        "samples": len(result.states),
        "retrieved": src.retrieved,
        "grabbed": src.grabbed,
        "target_s": sum(b - a for a, b in label["target"]),
        "caught": sum(s in FAULTS for _t, s in target) / len(target) if target else None,
        "upright_flagged": sum(s in FAULTS for _t, s in upright) / len(upright) if upright else None,
        "reminders": [(round(r.t_ms / 1000, 1), r.kind) for r in reminders],
        "in_target": sum(_inside(r.t_ms / 1000, label["target"]) for r in reminders),
        "false": sum(_inside(r.t_ms / 1000, label["upright"]) for r in reminders),
        "false_fault": sum(_mostly_upright(r, label["upright"]) for r in reminders),
        "states": result.states,
    }


@pytest.fixture(scope="module")
def clips() -> dict[str, dict[str, Any]]:
    labels = tomllib.loads(LABELS.read_text(encoding="utf-8"))
    return {name: run_clip(name, label) for name, label in labels.items()}


def test_every_clip_is_sampled_at_two_frames_per_second_at_most(clips: dict[str, dict[str, Any]]) -> None:
    for c in clips.values():
        assert c["retrieved"] == c["samples"]
        duration_s = c["grabbed"] / 25  # the slowest clip is 20 fps, the fastest 30: bound loosely
        assert c["samples"] <= 2 * duration_s * 30 / 25 + 2, c["name"]


def test_side_clips_remind_where_the_labels_say_slouched_and_not_on_upright_stretches(
        clips: dict[str, dict[str, Any]]) -> None:
    for name in ("desk_jonz21_1", "desk_philippeshi_1", "desk_itakurah_1"):
        c = clips[name]
        assert c["view"] == "side", name
        assert c["caught"] >= 0.5, (name, c["caught"])
        assert c["false_fault"] == 0, (name, c["reminders"])
        # desk_itakurah_1 slouches for its last 1.4 s only: seen (caught), but the clip ends
        # before the 1 s "lasted" time has passed after the median catches up — no reminder.
        if name != "desk_itakurah_1":
            assert c["in_target"] >= 1, (name, c["reminders"])
    ivan = clips["desk_ivangael_1"]
    assert ivan["false"] == 0, ivan["reminders"]  # upright throughout, the camera moving


def test_front_clip_catches_the_head_bowed_looking_down(clips: dict[str, dict[str, Any]]) -> None:
    c = clips["desk_harith_2"]
    assert c["view"] == "front"
    assert c["caught"] >= 0.5, c["caught"]
    assert c["in_target"] >= 1 and c["false"] == 0, c["reminders"]


def test_front_clip_of_leaning_on_the_hands_gives_no_false_reminder(clips: dict[str, dict[str, Any]]) -> None:
    # Chin propped on the hands holds the head up: the front view's measures (head height,
    # shoulder line, head offset) don't see it as a fault — a known limit, reported; what must
    # hold is that the upright stretch after it gets no reminder.
    c = clips["desk_harith_1"]
    assert c["view"] == "front"
    assert c["false"] == 0, c["reminders"]


def table(clips: dict[str, dict[str, Any]]) -> str:
    rows = ["| clip | view | baseline | samples | labelled not-upright (s) | caught | upright flagged | "
            "reminders (t s, kind) | in not-upright | false: given on upright | false: fault on upright |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]

    def pct(v: float | None) -> str:
        return "–" if v is None else f"{100 * v:.0f} %"

    for c in clips.values():
        rows.append(f"| {c['name']} | {c['view']} | {c['baseline']} | {c['samples']} | {c['target_s']:.1f} | "
                    f"{pct(c['caught'])} | {pct(c['upright_flagged'])} | {c['reminders']} | {c['in_target']} | "
                    f"{c['false']} | {c['false_fault']} |")
    return "\n".join(rows)


if __name__ == "__main__":
    all_labels = tomllib.loads(LABELS.read_text(encoding="utf-8"))
    results = {n: run_clip(n, lab) for n, lab in all_labels.items()}
    print(table(results))
    for c in results.values():
        print(c["name"], " ".join(f"{t / 1000:.1f}:{s[:4]}" for t, s in c["states"]))
