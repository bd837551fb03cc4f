"""Adherence on a scripted fortnight of sessions recorded through the real recorder and Store."""

from __future__ import annotations

from datetime import date

import pytest

from formcheck.core.exercise import Dose
from formcheck.core.programme import Programme, ProgrammeItem
from formcheck.records import programme_store
from formcheck.records.store import Store
from formcheck.reports.adherence import adherence
from formcheck.reports.session_report import adherence_plot, report_html
from tests.records.scripted_sessions import Done, day, record

PROGRAMME = Programme("Ann", (ProgrammeItem("glute_bridge", Dose(2, 10)), ProgrammeItem("forearm_plank", Dose(3, hold_s=20.0))),
                      3, date(2026, 11, 2))


@pytest.fixture
def scripted(tmp_path):
    """Week of 2 Nov: Monday all done (4 of 20 bridges flagged), Wednesday the plank cut to one
    set, Friday stopped for pain in the first bridge set. Week of 9 Nov: Tuesday, bridges only.
    Week of 16 Nov: nothing, and today is Thursday 19 Nov."""
    store = Store(tmp_path / "data" / "formcheck.db")
    v1, _ = programme_store.save(store, PROGRAMME)
    ref = (v1.uid, v1.version)
    ids = [
        record(store, "Ann", [Done("glute_bridge", [False] * 8 + [True] * 2, sets=2, effort=5),
                              Done("forearm_plank", holds=[20.0], sets=3, effort=6)],
               programme=ref, pain=(2, 2), started=day("2026-11-02")),
        record(store, "Ann", [Done("glute_bridge", [False] * 10, sets=2, effort=4),
                              Done("forearm_plank", holds=[20.0], sets=1, effort=7)],
               programme=ref, pain=(3, 3), started=day("2026-11-04")),
        record(store, "Ann", [Done("glute_bridge", [False, False, True], pain_stop=True)],
               programme=ref, pain=(3, 6), started=day("2026-11-06")),
        record(store, "Ann", [Done("glute_bridge", [False] * 10, sets=2)], programme=ref, pain=(2, 1),
               started=day("2026-11-10")),
    ]
    record(store, "Bea", [Done("squat", [False] * 5)], started=day("2026-11-18"))  # someone else
    yield store, ids
    store.close()


def test_weekly_figures_against_the_programme(scripted):
    store, ids = scripted
    a = adherence(store, "Ann", today=date(2026, 11, 19))
    assert [w.start for w in a.weeks] == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]
    first, second, third = a.weeks
    assert (first.days, first.prescribed_days, first.exercises, first.prescribed_exercises, first.sets,
            first.prescribed_sets) == (3, 3, 3, 6, 8, 15)
    assert first.pain_before == pytest.approx(8 / 3) and first.pain_after == pytest.approx(11 / 3)
    assert first.effort == pytest.approx(5.5)
    assert first.flagged_percent == pytest.approx(100 * 5 / 47)  # 5 of 43 reps and 4 holds
    assert first.rom_deg == pytest.approx((49.5 * 40 + 45 + 46 + 47) / 43)
    assert first.pain_stopped == 1 and a.pain_stopped == (ids[2],)
    assert (second.days, second.exercises, second.sets, second.pain_before, second.pain_after, second.effort) == (
        1, 1, 2, 2.0, 1.0, None)
    assert (third.days, third.prescribed_days, third.sets, third.flagged_percent) == (0, 3, 0, None)
    assert a.last_session == date(2026, 11, 10) and a.last_session_text() == "last session: 9 days ago"
    assert a.text().splitlines()[1] == ("  week of 2026-11-02: days 3 of 3, exercises 3 of 6, sets 8 of 15, "
                                        "pain 2.7 → 3.7, effort 5.5, 11 % flagged, 1 stopped for pain")


def test_last_session_words_and_a_person_without_sessions(scripted):
    store, _ = scripted
    assert adherence(store, "Ann", today=date(2026, 11, 10)).last_session_text() == "last session: today"
    assert adherence(store, "Ann", today=date(2026, 11, 11)).last_session_text() == "last session: yesterday"
    nobody = adherence(store, "Cid", today=date(2026, 11, 11))
    assert (nobody.weeks, nobody.last_session_text()) == ((), "last session: none yet")


def test_plots_and_report_show_adherence(scripted):
    store, ids = scripted
    a = adherence(store, "Ann", today=date(2026, 11, 19))
    assert adherence_plot(a).startswith("data:image/png;base64,")
    page = report_html(store, ids, today=date(2026, 11, 19))
    assert "last session: 9 days ago" in page and "<h2>Adherence</h2>" in page
    assert "1 session(s) stopped for pain" in page and "Stopped for pain 1×." in page
    assert "Pain before → after: 3 → 6" in page
