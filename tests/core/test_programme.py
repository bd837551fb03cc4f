"""The progression rule and the pain stop rule: pure logic, exact expectations."""

from __future__ import annotations

from datetime import date

import pytest

from formcheck.core.exercise import Dose
from formcheck.core.pain import nrs, pain_warning
from formcheck.core.programme import (
    ExerciseOutcome,
    Programme,
    ProgrammeItem,
    Progression,
    apply_proposals,
    propose,
)

pytestmark = pytest.mark.unit

PROGRAMME = Programme("Ann", (ProgrammeItem("glute_bridge", Dose(2, 10, rest_s=45)),
                              ProgrammeItem("forearm_plank", Dose(3, hold_s=20.0))),
                      3, date(2026, 11, 2), progression=Progression(), version=1, uid="v1")


def bridge(session: int, reps: int, flagged: int, pain: tuple[int | None, int | None] = (2, 2)) -> ExerciseOutcome:
    return ExerciseOutcome(session, "", "glute_bridge", reps, flagged, 0, *pain)


def plank(session: int, flagged: int = 0) -> ExerciseOutcome:
    return ExerciseOutcome(session, "", "forearm_plank", 0, flagged, 3, 2, 1)


def test_two_clean_sessions_without_pain_increase_propose_two_more_reps_and_five_more_seconds():
    proposals = propose(PROGRAMME, [bridge(1, 20, 2), plank(1), bridge(2, 20, 1), plank(2)])
    assert [(p.exercise, p.new) for p in proposals] == [
        ("glute_bridge", Dose(2, 12, rest_s=45)), ("forearm_plank", Dose(3, hold_s=25.0))]
    assert "2 session(s) in a row with ≤ 10 % flagged (worst 10 %)" in proposals[0].reason
    confirmed = apply_proposals(PROGRAMME, proposals)
    assert confirmed.items[0].dose.reps == 12 and confirmed.items[1].dose.hold_s == 25.0
    assert (confirmed.version, confirmed.uid) == (0, "")  # the store numbers the new version


@pytest.mark.parametrize("last_two", [
    [bridge(1, 20, 3), bridge(2, 20, 0)],  # 15 % flagged in one of them
    [bridge(1, 20, 0), bridge(2, 20, 0, pain=(2, 3))],  # pain went up
    [bridge(1, 20, 0), bridge(2, 20, 0, pain=(2, None))],  # pain after not rated: no evidence
    [bridge(2, 20, 0)],  # only one session so far
    [bridge(1, 20, 0), bridge(2, 0, 0)],  # the second session did no reps of it
])
def test_no_proposal_without_two_qualifying_sessions(last_two):
    assert [p.exercise for p in propose(PROGRAMME, last_two)] == []


def test_only_the_last_sessions_count_and_no_rule_means_no_proposal():
    assert [p.exercise for p in propose(PROGRAMME, [bridge(1, 20, 9), bridge(2, 20, 0), bridge(3, 20, 2)])] == [
        "glute_bridge"]
    assert propose(Programme("Ann", PROGRAMME.items, 3, date(2026, 11, 2)), [bridge(1, 9, 0), bridge(2, 9, 0)]) == []
    assert Progression().text() == ("+2 reps / +5 s hold when the last two sessions had ≤ 10 % flagged reps "
                                     "and no pain increase")


@pytest.mark.parametrize(("before", "now", "stop_at", "reason"), [
    (2, 4, None, "pain rose from 2 to 4 (by 2; 2 or more means stop)"),
    (2, 3, None, None),
    (2, 3, 3, "pain 3/10 is at or above the limit of 3 your therapist set"),
    (None, 9, None, None),  # nothing to compare with and no limit set
    (5, 1, 6, None),
])
def test_pain_warning(before, now, stop_at, reason):
    assert pain_warning(before, now, stop_at) == reason


@pytest.mark.parametrize("bad", [-1, 11, 2.5, True, "3"])
def test_ratings_are_whole_numbers_from_0_to_10(bad):
    with pytest.raises(ValueError, match="a rating is a whole number from 0 to 10"):
        nrs(bad)
