"""The therapist sees posture at the desk in the review window (pytest-qt, offscreen, real database):
a posture session recorded through the real recorder and indexer from scripted landmarks, shown
as minutes per day and per hour and as reminders with the person's response."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from formcheck.core.posture import measure
from formcheck.core.posture_coach import PostureCoach, PostureSettings
from formcheck.core.posture_judge import Baseline, PostureJudge
from formcheck.records.database import sessions
from formcheck.records.posture_records import PostureRecorder
from formcheck.records.store import Store
from formcheck.ui.review.window import ReviewWindow
from tests.core.test_posture import MIN, S, side_pose

pytestmark = pytest.mark.gui

UP, SLOUCH = side_pose(0, 10), side_pose(20, 10)
# Upright, slouched 1:00–3:20 (reminded at 3:00, back upright 20 s later), upright, slouched
# 11:00–14:30 (reminded at 13:00, ten minutes after the first; still slouched a minute later),
# upright, then away from 15:00 to 16:00.
TIMELINE = [(1 * MIN, UP), (3 * MIN + 20 * S, SLOUCH), (11 * MIN, UP), (14 * MIN + 30 * S, SLOUCH),
            (15 * MIN, UP), (16 * MIN, None)]


def record(store: Store, person: str, started_local: datetime) -> int:
    """A posture session of ``TIMELINE`` started at ``started_local``, recorded as the app does."""
    started = started_local.astimezone(UTC).isoformat(timespec="seconds")
    baseline = Baseline("side", {"trunk_deg": 0.0, "neck_deg": 10.0})
    with pytest.MonkeyPatch.context() as clock:
        clock.setattr(sessions, "now_iso", lambda: started)  # the session's start; the rest is real
        rec = PostureRecorder(store, person, "camera 0", {"view": "side", "baseline": baseline.as_dict(),
                                                          "model": "pose_landmarker_full", "settings": {}})
    coach = PostureCoach(PostureJudge(baseline, window=1), PostureSettings(sample_ms=1000))
    start = 0
    for until, pose in TIMELINE:
        for t in range(start, until, S):
            for event in coach.update(t, None if pose is None else measure(pose, t, "side")):
                rec.add(event)
        start = until
    for event in coach.finish(start):
        rec.add(event)
    rec.close()
    return rec.session_id


def cells(table) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_review_window_shows_posture_minutes_reminders_and_responses(qtbot, tmp_path) -> None:
    store = Store(tmp_path / "data" / "formcheck.db")
    two_days_ago = datetime.now().astimezone().replace(hour=10, minute=50, second=0, microsecond=0) - timedelta(days=2)
    record(store, "Eve", two_days_ago)
    record(store, "Sam", two_days_ago + timedelta(hours=3))  # someone else's session, not Eve's
    w = ReviewWindow(store)
    qtbot.addWidget(w)
    w.person.setCurrentText("Eve")
    p = w.posture
    assert w.overview.tabText(w.overview.indexOf(p)) == "Posture at the desk"  # beside Progress and Adherence
    day = two_days_ago.strftime("%Y-%m-%d")
    # Upright 1:00 + 7:40 + 0:30 = 9:10, not upright 2:20 + 3:30 = 5:50, away 1:00.
    assert cells(p.days) == [[day, "9.2", "5.8", "1.0", "2", "1", "0"]]
    # The session runs 10:50–11:06: minutes 0–10 in the first hour, 10–16 in the next.
    assert cells(p.hours) == [[f"{day} 10:00", "7.7", "2.3", "0.0", "1", "1", "0"],
                              [f"{day} 11:00", "1.5", "3.5", "1.0", "1", "0", "0"]]
    assert [row[1:] for row in cells(p.reminders)] == [["slouched", "2.0 min", "back upright after 20 s"],
                                                       ["slouched", "2.0 min", "not corrected within a minute"]]
    assert cells(p.reminders)[0][0] == f"{day} 10:53:00"
    assert p.headline.text() == ("1 posture session: 9.2 min upright, 5.8 min not upright, 1.0 min away; "
                                 "2 reminders, 1 followed.")

    w.person.setCurrentIndex(0)  # everyone: both sessions
    assert len(p.session_ids) == 2 and p.days.item(0, 4).text() == "4"
    w.date_to.setDate(w.date_to.date().addDays(-3))  # dates before the sessions: none shown
    assert p.days.rowCount() == 0 and p.reminders.rowCount() == 0
    assert p.headline.text() == "No posture sessions for the chosen person and dates."
    store.close()
