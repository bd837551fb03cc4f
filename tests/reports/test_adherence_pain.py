"""A day that ended on the pain limit is "stopped for pain" in adherence and its HTML table (issue 16,
defect 8): also for sessions recorded before the app wrote the "stopped for pain" prefix there."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from formcheck.core.exercise import Dose
from formcheck.core.programme import Programme, ProgrammeItem
from formcheck.records import programme_store
from formcheck.records.database.rows import SessionDetail
from formcheck.records.store import Store
from formcheck.reports.adherence import adherence, stopped_for_pain
from formcheck.reports.session_report import report_html
from tests.records.scripted_sessions import Done, record

pytestmark = pytest.mark.unit

AT_LIMIT = "pain 5/10 is at or above the limit of 5 your therapist set"


@pytest.mark.parametrize("flag, stopped", [
    (AT_LIMIT, True),  # the last exercise: the run ended on the advice (as older versions recorded it)
    (f"stopped for pain: {AT_LIMIT}", True),
    ("pain rose from 1 to 4 (by 3; 2 or more means stop)", True),
    ("pain rose from 1 to 4 (by 3; 2 or more means stop) (carried on)", False),
    ("tried Bird dog for 9 s; nothing was counted: the set never started (set-up said: Get on your hands and knees)",
     False),
])
def test_which_flags_mean_stopped_for_pain(flag, stopped):
    detail = SessionDetail(1, "Eve", "2026-11-02T12:00:00+00:00", None, "camera 0", "live", "complete", None,
                           Path("sessions/x"), (), (), (), (), "", (), None, None, flag, None, None)
    assert stopped_for_pain(detail) is stopped


def test_the_html_adherence_column_counts_the_day_that_ended_on_the_limit(tmp_path):
    store = Store(tmp_path / "formcheck.db")
    saved, _ = programme_store.save(store, Programme("Eve", (ProgrammeItem("glute_bridge", Dose(1, 2)),), 3,
                                                     date.today(), pain_stop_at=5))
    sid = record(store, "Eve", [Done("glute_bridge", reps=[False, False], dose=Dose(1, 2))],
                 programme=(saved.uid, saved.version), pain=(2, 5), flag=AT_LIMIT)
    a = adherence(store, "Eve")
    assert a.pain_stopped == (sid,) and a.weeks[-1].pain_stopped == 1
    html = report_html(store, [sid])
    this_week = next(line for line in html.splitlines() if line.startswith(f"<tr><td>{a.weeks[-1].start}</td>"))
    assert this_week.endswith("<td>1</td></tr>")  # the "stopped for pain" column
    store.close()
