"""The programme editor: a file read into the app, saved, edited and written back out."""

from __future__ import annotations

from datetime import date

import pytest

from formcheck.core.exercise import Dose
from formcheck.exercises.loader import load_library
from formcheck.exercises.programme_file import load
from formcheck.records import programme_store
from formcheck.records.store import Store
from formcheck.ui.programme_view import ProgrammeWindow
from tests.records.scripted_sessions import Done, record

pytestmark = pytest.mark.gui

FILE = """\
# From the clinic, 2 Nov
days_per_week = 4
start = 2026-11-02
review = 2026-12-14
pain_stop_at = 6
notes = \"\"\"
Slow and steady.
Stop if it "bites".\"\"\"

[[exercises]]
id = "glute_bridge"
sets = 2
reps = 10
rest_s = 45
notes = "Squeeze at the top"

[[exercises]]
id = "bird_dog"
sets = 2
reps = 6
per_side = true

[[exercises]]
id = "forearm_plank"
sets = 3
hold_s = 20

[progression]
add_reps = 1
add_hold_s = 10
sessions = 2
max_flagged_percent = 15
"""


@pytest.fixture
def editor(qtbot, tmp_path):
    store = Store(tmp_path / "data" / "formcheck.db")
    w = ProgrammeWindow(store, load_library().exercises, "Ann")
    qtbot.addWidget(w)
    yield w
    store.close()


def test_toml_to_app_to_toml_keeps_the_programme(editor, tmp_path):
    source = tmp_path / "ann.toml"
    source.write_text(FILE)
    assert editor.import_file(source)
    assert editor.version.text() == "from ann.toml — not saved yet"
    saved = editor.save()
    assert saved.version == 1 and editor.message.text() == "Saved as version 1."
    assert editor.export_file(tmp_path / "out.toml") == f"Wrote {tmp_path / 'out.toml'} (version 1)."
    back = load(tmp_path / "out.toml")
    assert back.content() == load(source, person="Ann").content()
    assert (back.version, back.uid) == (1, saved.uid)
    assert editor.save().version == 1 and editor.message.text() == "No changes — still version 1."


def test_edits_in_the_app_become_a_new_version(editor):
    editor.add_exercise("glute_bridge")
    editor.add_exercise("forearm_plank")
    assert [i.dose for i in editor.items()] == [load_library().exercises["glute_bridge"].dose,
                                               load_library().exercises["forearm_plank"].dose]
    editor.days.setValue(3)
    editor.start.setDate(editor.start.date().fromString("2026-11-02", "yyyy-MM-dd"))
    v1 = editor.save()
    editor.table.cellWidget(0, 2).setValue(12)
    editor.table.setCurrentCell(1, 0)
    editor.move_selected(-1)
    v2 = editor.save()
    assert (v1.version, v2.version) == (1, 2)
    assert [(i.exercise, i.dose.reps) for i in v2.items] == [("forearm_plank", None), ("glute_bridge", 12)]
    assert [p.items[0].exercise for p in programme_store.versions(editor.store, "Ann")] == ["glute_bridge",
                                                                                          "forearm_plank"]
    editor.table.cellWidget(0, 3).setValue(0)  # the plank with neither reps nor a hold time
    assert editor.save() is None and editor.message.text() == "Give reps or a hold time (not both) for: forearm_plank."


def test_propose_and_confirm_progression(editor, tmp_path):
    (tmp_path / "ann.toml").write_text(FILE)
    editor.import_file(tmp_path / "ann.toml")
    v1 = editor.save()
    assert editor.propose() == [] and editor.message.text() == (
        "No change proposed: the progression rule isn't met yet.")
    for _ in range(2):
        record(editor.store, "Ann", [Done("glute_bridge", [False] * 10, sets=2), Done("forearm_plank", holds=[20.0])],
               programme=(v1.uid, 1), pain=(3, 3))
    assert [p.exercise for p in editor.propose()] == ["glute_bridge", "forearm_plank"]
    assert editor.confirm_button.isEnabled()
    v2 = editor.confirm()
    assert v2.version == 2 and [i.dose for i in v2.items] == [
        Dose(2, 11, rest_s=45.0), Dose(2, 6, per_side=True), Dose(3, hold_s=30.0)]
    assert editor.version.text().startswith("version 2") and not editor.confirm_button.isEnabled()
    assert date.fromisoformat(v2.created[:10]) >= v1.start
