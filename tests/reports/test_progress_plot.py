"""The progress chart tells the size of a change truthfully (issue 16, defect 11): a 0.15° change
of range of motion is drawn as a small one, with whole tick labels, not as the range halving."""

from __future__ import annotations

from pathlib import Path

import pytest

from formcheck.records.database.rows import RepDetail, SessionDetail, SetDetail
from formcheck.reports.session_report import progress_figure

pytestmark = pytest.mark.unit


def session(sid: int, day: str, rom: float) -> SessionDetail:
    reps = tuple(RepDetail(i, i, None, 2.0 * i, 2.0 * i + 1.5, False, {"range_deg": rom}, (), (), ()) for i in (1, 2, 3))
    bridges = SetDetail(sid, "glute_bridge", 1, "1 × 3 reps", 0.0, 8.0, "dose", None, "population", reps, ())
    return SessionDetail(sid, "Eve", f"{day}T10:00:00+00:00", None, "camera 0", "live", "complete", None,
                         Path("sessions/x"), (bridges,), (), (), (), "", (), None, None, None, None, None)


def test_a_tiny_change_looks_tiny_and_the_labels_are_whole_numbers():
    fig = progress_figure([session(1, "2026-01-05", 51.30), session(2, "2026-01-07", 51.15)], "glute_bridge")
    rom = next(ax for ax in fig.axes if ax.get_title() == "range of motion (°)")
    lo, hi = rom.get_ylim()
    assert hi - lo >= 10  # the two points sit close together, as they are
    fig.canvas.draw()
    assert rom.yaxis.get_offset_text().get_text() == ""  # no "+5.13e1" beside labels reading "0.300"
    labels = [t.get_text() for t in rom.get_yticklabels() if t.get_text()]
    assert labels and all(40 <= float(t.replace("−", "-")) <= 62 for t in labels)
