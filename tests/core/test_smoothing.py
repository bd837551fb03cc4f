import numpy as np
import pytest

from formcheck.core.landmarks import PoseResult
from formcheck.core.smoothing import OneEuroFilter, PoseSmoother, SmoothingConfig
from tests.synthetic import make_pose

pytestmark = pytest.mark.unit


def test_first_sample_passes_through_and_constant_stays_constant():
    f = OneEuroFilter(1.0, 0.0, 1.0)
    x = np.array([3.0, -2.0])
    assert np.array_equal(f.update(0, x), x)
    for t in range(33, 1000, 33):
        assert np.allclose(f.update(t, x), x)


def test_exact_low_pass_step_with_beta_zero():
    # With beta = 0 the filter is an exponential smoother with alpha = 1 / (1 + tau / dt).
    f = OneEuroFilter(min_cutoff_hz=1.0, beta=0.0, d_cutoff_hz=1.0)
    f.update(0, np.array([0.0]))
    out = f.update(100, np.array([10.0]))
    tau = 1 / (2 * np.pi * 1.0)
    alpha = 1 / (1 + tau / 0.1)
    assert out[0] == pytest.approx(alpha * 10.0)


def test_reduces_jitter_but_follows_a_move():
    rng = np.random.default_rng(0)
    f = OneEuroFilter(1.5, 4.0 / 800, 1.0)
    truth = np.concatenate([np.full(60, 100.0), np.linspace(100, 400, 30), np.full(60, 400.0)])
    noisy = truth + rng.normal(0, 3, truth.size)
    out = np.array([f.update(i * 33, np.array([v]))[0] for i, v in enumerate(noisy)])
    still = slice(20, 60)
    assert np.std(out[still] - truth[still]) < 0.5 * np.std(noisy[still] - truth[still])
    assert abs(out[-1] - 400) < 3  # settles on the new position, no lasting lag


def _result(t, x, pose=True):
    p = make_pose({"nose": (x, 100.0), "left_hip": (x, 300.0)}) if pose else None
    return PoseResult(t, 640, 480, p)


def test_smoother_passes_no_person_frames_and_resets_after_gap():
    s = PoseSmoother(SmoothingConfig(reset_after_ms=500))
    s.update(_result(0, 100.0))
    s.update(_result(33, 100.0))
    gap = s.update(_result(66, 0.0, pose=False))
    assert gap.pose is None
    # Re-appears far away after a long gap: no glide from the stale position.
    back = s.update(_result(1000, 500.0))
    assert back.pose.image[0, 0] == pytest.approx(500.0)


def test_smoother_off_is_identity():
    s = PoseSmoother(SmoothingConfig(enabled=False))
    s.update(_result(0, 100.0))
    r = _result(33, 300.0)
    assert s.update(r) is r


def test_smoothed_positions_lag_less_than_raw_jump():
    s = PoseSmoother()
    s.update(_result(0, 100.0))
    out = s.update(_result(33, 200.0))
    assert 100.0 < out.pose.image[0, 0] < 200.0
    assert out.pose.visibility[0] == pytest.approx(0.99)
