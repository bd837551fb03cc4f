import numpy as np
import pytest

from formcheck.core.follow import PersonFollower, body_centre, body_size, distinct_people
from tests.synthetic import figure

pytestmark = pytest.mark.unit


def person(x: float, y: float = 300.0):
    """A standing front-view stick figure (~450 px tall) with its hips centred at (x, y)."""
    return figure(hip=(x, y), spread=70.0)


def test_centre_and_size_of_a_figure():
    p = person(400.0)
    assert body_centre(p)[0] == pytest.approx(400.0)
    assert 400 < body_size(p) < 600


def test_alone_the_person_is_always_chosen():
    follow = PersonFollower()
    for i, x in enumerate(np.linspace(100, 500, 60)):  # walks 400 px in 2 s
        p = person(x)
        assert follow.choose([p], i * 33) is p


def test_first_frame_takes_the_detectors_first_person():
    a, b = person(150.0), person(500.0)
    assert PersonFollower().choose([b, a], 0) is b


def test_keeps_the_same_person_whatever_order_the_detector_gives():
    follow = PersonFollower()
    follow.choose([person(150.0)], 0)
    for i in range(1, 40):
        a, b = person(150.0 + i), person(500.0 - i)  # both move a little
        order = [a, b] if i % 2 else [b, a]
        assert follow.choose(order, i * 33) is a


def test_someone_else_alone_is_not_followed_until_the_person_is_forgotten():
    follow = PersonFollower(forget_ms=2000)
    follow.choose([person(150.0)], 0)
    stranger = person(500.0)
    assert follow.is_elsewhere(stranger, 33)
    assert follow.choose([stranger], 33) is None  # the followed person is hidden
    assert follow.choose([stranger], 2000) is None
    assert follow.choose([stranger], 2001) is stranger  # gone too long: follow whoever is there
    assert not follow.is_elsewhere(person(510.0), 2034)


def test_comes_back_to_the_person_after_they_were_hidden():
    follow = PersonFollower()
    a = person(150.0)
    follow.choose([a, person(500.0)], 0)
    for t in range(33, 500, 33):
        assert follow.choose([person(500.0)], t) is None
    back = person(160.0)
    assert follow.choose([person(500.0), back], 500) is back


def test_no_one_found():
    follow = PersonFollower()
    assert follow.choose([], 0) is None
    assert not follow.is_elsewhere(person(100.0), 0)  # nobody followed yet


def test_one_person_found_twice_counts_once():
    a, twice, b = person(400.0), person(430.0, 320.0), person(900.0)
    assert distinct_people([a, twice, b]) == [a, b]
    assert distinct_people([a, b]) == [a, b]
