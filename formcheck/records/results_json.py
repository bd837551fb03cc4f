"""The JSON form of reps, attempts and holds (report.json, the session's events and database rows).

Times in seconds, angles in degrees, rounded for people to read. The keys are a stable interface:
extend, don't rename.
"""

from __future__ import annotations

import math
from typing import Any

from formcheck.core.holds import HoldRecord
from formcheck.core.reps import RepRecord
from formcheck.core.tracker import ExerciseTracker


def faults_json(faults: dict[str, tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"code": c, "message": m, "t_s": round(t / 1000, 2)} for c, (m, t) in faults.items()]


def not_judged_json(not_judged: dict[str, str]) -> list[dict[str, str]]:
    """Rules the engine declined to judge on a rep or hold, and why (landmarks it couldn't see)."""
    return [{"code": c, "reason": why} for c, why in not_judged.items()]


def rep_json(index: int, r: RepRecord, goal: float | None = None) -> dict[str, Any]:
    """One rep or attempt; with a personal ``goal`` (``RepDef.goal``) its progress toward it."""
    metrics = {
        "peak_deg": _round(r.peak),
        "range_deg": _round(abs(r.peak - r.low)),
        "up_s": r.phase_s("up"),
        "top_s": r.phase_s("top"),
        "down_s": r.phase_s("down"),
        "goal_pct": goal_pct(r, goal),
    }
    return {
        "index": index,
        "side": r.side,
        "start_s": round(r.start_ms / 1000, 2),
        "end_s": round((r.end_ms or r.start_ms) / 1000, 2),
        "faults": faults_json(r.faults),
        "not_judged": not_judged_json(r.not_judged),
        **({"short": True} if r.short else {}),
        "metrics": {k: v for k, v in metrics.items() if v is not None},
    }


def goal_pct(r: RepRecord, goal: float | None) -> float | None:
    """How far the rep got from its rest value toward the personal goal, in percent (100 = the goal
    reached); None without a goal or when the rep started at the goal already."""
    if goal is None or math.isnan(r.peak) or math.isnan(r.low) or goal == r.low:
        return None
    return round(100 * (r.peak - r.low) / (goal - r.low))


def hold_json(h: HoldRecord) -> dict[str, Any]:
    return {
        "start_s": round(h.start_ms / 1000, 2),
        "end_s": round(h.end_ms / 1000, 2),
        "duration_s": round(h.held_ms / 1000, 2),
        "side": h.side,
        "faults": faults_json(h.faults),
        "not_judged": not_judged_json(h.not_judged),
    }


def results_json(tracker: ExerciseTracker) -> dict[str, Any]:
    """Reps, attempts and holds of a finished analysis (a hold still running is closed first)."""
    tracker.finish()
    rep = tracker.exercise.rep
    goal = rep.goal if rep is not None else None
    out: dict[str, Any] = {
        "reps": [rep_json(i + 1, r, goal) for i, r in enumerate(tracker.reps)],
        "attempts": [rep_json(i + 1, r, goal) for i, r in enumerate(tracker.attempts)],
        "holds": [hold_json(h) for h in tracker.holds],
    }
    why = tracker.why_none()
    if why:
        out["why_none"] = why  # nothing was counted: why, in words
    return out


def _round(x: float) -> float | None:
    return None if math.isnan(x) else round(float(x), 1)
