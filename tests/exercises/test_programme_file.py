"""The programme file: commented TOML written with tomli-w, read back exactly; mistakes named."""

from __future__ import annotations

from datetime import date

import pytest

from formcheck.core.exercise import Dose
from formcheck.core.programme import Programme, ProgrammeItem, Progression
from formcheck.exercises.loader import load_library
from formcheck.exercises.programme_file import ProgrammeFileError, dumps, loads

pytestmark = pytest.mark.unit

KNOWN = set(load_library().exercises)
PROGRAMME = Programme(
    "Ann <b>", (ProgrammeItem("glute_bridge", Dose(2, 10, rest_s=45.0), "Squeeze at the top"),
                ProgrammeItem("bird_dog", Dose(2, 6, per_side=True)),
                ProgrammeItem("forearm_plank", Dose(3, hold_s=20.0, rest_s=60.0))),
    3, date(2026, 11, 2), date(2026, 12, 14), 'Slow and steady.\nStop if it "bites".', Progression(add_reps=1), 6,
    version=4, uid="0123abcd", created="2026-11-02T10:00:00+00:00")


def test_round_trip_keeps_everything_and_explains_the_keys():
    text = dumps(PROGRAMME)
    assert loads(text, known=KNOWN) == PROGRAMME
    assert "# The exercises, in order." in text and "# How the doses grow." in text
    assert "pain_stop_at   pain (0–10) at or above which the app advises stopping" in text


def test_person_from_the_command_line_wins_and_is_required_somewhere():
    assert loads(dumps(PROGRAMME), person="Bea").person == "Bea"
    without = "\n".join(line for line in dumps(PROGRAMME).splitlines() if not line.startswith("person ="))
    with pytest.raises(ProgrammeFileError, match="person: is required"):
        loads(without)


BASE = 'days_per_week = 3\nstart = 2026-11-02\n'


@pytest.mark.parametrize(("body", "message"), [
    (BASE + '[[exercises]]\nid = "moonwalk"\nreps = 5\n',
     "exercises[0].id: no exercise 'moonwalk' in the library; `formcheck exercises` lists them"),
    (BASE + '[[exercises]]\nid = "squat"\nreps = 5\nhold_s = 3\n', "exercises[0].hold_s: give reps or hold_s, not both"),
    (BASE + '[[exercises]]\nid = "squat"\nrep = 5\n', "exercises[0].rep: unknown key (a typo?)"),
    (BASE + 'review = 2026-10-01\n[[exercises]]\nid = "squat"\n', "review: must not be before start (2026-11-02)"),
    (BASE + 'pain_stop_at = 12\n[[exercises]]\nid = "squat"\n', "pain_stop_at: must be 1–10"),
    (BASE, "exercises: is required"),
    ('days_per_week = 9\nstart = 2026-11-02\n[[exercises]]\nid = "squat"\n', "days_per_week: must be 1–7"),
    ('days_per_week = 3\nstart = "soon"\n[[exercises]]\nid = "squat"\n', "start: must be a date (YYYY-MM-DD, no quotes), got 'soon'"),
    ('days_per_week = 3\nstart = 2026-11-02\n[exercises\n', "(syntax)"),
])
def test_mistakes_name_the_key_and_the_problem(body, message):
    with pytest.raises(ProgrammeFileError) as err:
        loads(body, "ann.toml", KNOWN, person="Ann")
    assert str(err.value).startswith("ann.toml: ")
    assert message in str(err.value)
