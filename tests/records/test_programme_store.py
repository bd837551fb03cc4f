"""Programme versions in the data folder, sessions that follow them, ratings, and repair."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import pytest

from formcheck.core.exercise import Dose
from formcheck.core.programme import Programme, ProgrammeItem, Progression, apply_proposals, propose
from formcheck.records import programme_store
from formcheck.records.repair import repair
from formcheck.records.store import Store
from tests.records.scripted_sessions import Done, day, record

PROGRAMME = Programme("Ann", (ProgrammeItem("glute_bridge", Dose(2, 10, rest_s=45.0)),
                              ProgrammeItem("forearm_plank", Dose(3, hold_s=20.0))),
                      3, date(2026, 11, 2), date(2026, 12, 14), "Slow.", Progression(), 7)


def test_versions_are_numbered_kept_and_never_overwritten(store):
    v1, new1 = programme_store.save(store, PROGRAMME)
    again, new_again = programme_store.save(store, dataclasses.replace(PROGRAMME, uid="x", version=9))
    v2, new2 = programme_store.save(store, dataclasses.replace(PROGRAMME, days_per_week=4))
    assert (v1.version, new1, again.uid, new_again, v2.version, new2) == (1, True, v1.uid, False, 2, True)
    assert [p.days_per_week for p in programme_store.versions(store, "Ann")] == [3, 4]
    assert programme_store.current_programme(store, "Ann") == v2
    folder = programme_store.programmes_dir(store)
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{v1.uid}.toml", f"{v2.uid}.toml"])
    with pytest.raises(FileExistsError):
        programme_store.write_file(folder, v1)
    assert programme_store.current_programme(store, "Bea") is None


def test_sessions_record_the_version_ratings_and_flag_and_repair_keeps_them(store):
    v1, _ = programme_store.save(store, PROGRAMME)
    sid = record(store, "Ann", [Done("glute_bridge", [False, True], effort=6, dose=v1.items[0].dose)],
                 programme=(v1.uid, v1.version), pain=(2, 5), flag="pain rose from 2 to 5")
    detail = store.session_detail(sid)
    assert (detail.programme_version, detail.pain_before, detail.pain_after, detail.flag) == (
        1, 2, 5, "pain rose from 2 to 5")
    assert detail.sets[0].prescribed == "2 × 10 reps"  # the programme's dose, not the catalogue's
    assert [(r.kind, r.moment, r.exercise, r.score) for r in detail.ratings] == [
        ("pain", "before", None, 2), ("effort", "exercise", "glute_bridge", 6), ("pain", "after", None, 5)]
    meta = json.loads((store.session(sid).folder / "session.json").read_text())
    assert (meta["programme_uid"], meta["programme_version"]) == (v1.uid, 1)
    store.close()

    report = repair(store.location)
    assert report.programmes == 1 and "1 programme version(s)" in report.text()
    rebuilt = Store(store.location)
    again = rebuilt.session_detail(sid)
    for key in ("programme_version", "pain_before", "pain_after", "flag", "ratings"):
        assert getattr(again, key) == getattr(detail, key)
    assert programme_store.current_programme(rebuilt, "Ann") == v1
    rebuilt.close()


def test_progression_reads_the_sessions_of_the_current_version_only(store):
    v1, _ = programme_store.save(store, PROGRAMME)
    ref = (v1.uid, v1.version)
    clean = [Done("glute_bridge", [False] * 10, sets=2), Done("forearm_plank", holds=[20.0, 20.0, 20.0])]
    record(store, "Ann", clean, programme=ref, pain=(3, 3), started=day("2026-11-03"))
    assert propose(v1, programme_store.outcomes(store, v1)) == []  # one session is not enough
    record(store, "Ann", clean, programme=ref, pain=(3, 2), started=day("2026-11-05"))
    record(store, "Ann", clean, pain=(3, 6), started=day("2026-11-06"))  # not following the programme
    proposals = propose(v1, programme_store.outcomes(store, v1))
    assert [p.text() for p in proposals] == [
        "glute_bridge: 2 × 10 reps → 2 × 12 reps (2 session(s) in a row with ≤ 10 % flagged (worst 0 %) and no "
        "pain increase)",
        "forearm_plank: 3 × 20 s hold → 3 × 25 s hold (2 session(s) in a row with ≤ 10 % flagged (worst 0 %) and no "
        "pain increase)"]
    v2, _ = programme_store.save(store, apply_proposals(v1, proposals))
    assert v2.version == 2 and v2.items[0].dose.reps == 12
    assert propose(v2, programme_store.outcomes(store, v2)) == []  # the count starts again
