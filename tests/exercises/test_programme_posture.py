"""The programme file's [posture] table: the therapist switches the desk posture mode on with
their settings (issue 19)."""

from __future__ import annotations

import pytest

from formcheck.core.posture_coach import PostureSettings
from formcheck.exercises.programme_file import ProgrammeFileError, dumps, loads

BASE = '''person = "Eve"
days_per_week = 3
start = 2026-12-01
[[exercises]]
id = "glute_bridge"
reps = 10
'''


def test_posture_table_sets_the_reminders_and_survives_a_round_trip() -> None:
    p = loads(BASE + '[posture]\nafter_min = 3\ninterval_min = 15\nbreak_min = 30\nquiet_hours = ["22:00-07:00"]\n')
    assert p.posture == PostureSettings(after_ms=180_000, min_interval_ms=900_000, break_after_ms=1_800_000,
                                        quiet_hours=((22 * 60, 7 * 60),))
    assert loads(dumps(p)) == p
    assert loads(BASE).posture is None  # no table: the mode is off
    assert loads(BASE + "[posture]\n").posture == PostureSettings()  # an empty table: on, with the defaults


@pytest.mark.parametrize("table, key", [("after_min = 0", "posture.after_min"),
                                        ('quiet_hours = ["noon"]', "posture.quiet_hours"),
                                        ("snooze = 5", "snooze")])
def test_mistakes_in_the_posture_table_name_the_key(table: str, key: str) -> None:
    with pytest.raises(ProgrammeFileError, match=key.replace(".", r"\.")):
        loads(BASE + "[posture]\n" + table + "\n")
