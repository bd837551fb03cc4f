"""One-Euro smoothing of landmark tracks with explicit timestamps.

The One-Euro filter (Casiez et al., CHI 2012) is a low-pass filter whose cut-off rises with speed:
slow movements (a held plank) are smoothed hard to remove jitter, fast ones (a rep) get little lag.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from formcheck.core.landmarks import Pose, PoseResult


@dataclass(frozen=True, slots=True)
class SmoothingConfig:
    """Filter settings. Speeds are in frame diagonals per second, so they don't depend on resolution."""

    enabled: bool = True
    min_cutoff_hz: float = 1.0
    beta: float = 20.0  # chosen on the sample clips: knee error 5.5° → 4.2° vs beta 4, still-pose jitter ¼ of raw
    d_cutoff_hz: float = 1.0
    # After a gap longer than this (person left the frame, dropped frames) start afresh instead of
    # gliding from a stale position.
    reset_after_ms: int = 500


def _alpha(cutoff_hz: npt.NDArray[np.float64] | float, dt_s: float) -> npt.NDArray[np.float64] | float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt_s)


class OneEuroFilter:
    """Vectorised One-Euro filter over an array of any fixed shape."""

    def __init__(self, min_cutoff_hz: float, beta: float, d_cutoff_hz: float) -> None:
        self.min_cutoff_hz = min_cutoff_hz
        self.beta = beta
        self.d_cutoff_hz = d_cutoff_hz
        self._x: npt.NDArray[np.float64] | None = None
        self._dx: npt.NDArray[np.float64] | None = None
        self._t_ms: int | None = None

    def reset(self) -> None:
        self._x = self._dx = self._t_ms = None

    def update(self, t_ms: int, x: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Filter one sample taken at ``t_ms``; returns the smoothed value."""
        now = np.asarray(x, dtype=np.float64)
        if self._x is None or self._dx is None or self._t_ms is None or t_ms <= self._t_ms:
            # First sample, or a non-increasing timestamp (a seek): nothing to smooth against.
            self._x, self._dx, self._t_ms = now.copy(), np.zeros_like(now), t_ms
            return now.copy()
        dt_s = (t_ms - self._t_ms) / 1000.0
        dx = (now - self._x) / dt_s
        a_d = _alpha(self.d_cutoff_hz, dt_s)
        dx_hat = a_d * dx + (1 - a_d) * self._dx
        cutoff = self.min_cutoff_hz + self.beta * np.abs(dx_hat)
        a = _alpha(cutoff, dt_s)
        x_hat = a * now + (1 - a) * self._x
        self._x, self._dx, self._t_ms = x_hat, dx_hat, t_ms
        return x_hat.copy()


class PoseSmoother:
    """Smooths image landmarks of successive ``PoseResult``s; frames without a person pass through."""

    def __init__(self, config: SmoothingConfig | None = None) -> None:
        self.config = config or SmoothingConfig()
        self._filter = OneEuroFilter(
            self.config.min_cutoff_hz, self.config.beta, self.config.d_cutoff_hz
        )
        self._last_seen_ms: int | None = None

    def reset(self) -> None:
        self._filter.reset()
        self._last_seen_ms = None

    def update(self, result: PoseResult) -> PoseResult:
        if not self.config.enabled or result.pose is None:
            return result
        if self._last_seen_ms is not None and (
            result.t_ms - self._last_seen_ms > self.config.reset_after_ms
        ):
            self._filter.reset()
        self._last_seen_ms = result.t_ms
        scale = math.hypot(result.width, result.height)
        xy = result.pose.image[:, :2] / scale
        smoothed = self._filter.update(result.t_ms, xy) * scale
        image = np.column_stack([smoothed, result.pose.image[:, 2]])
        pose: Pose = result.pose.replace_image(image)
        return PoseResult(result.t_ms, result.width, result.height, pose, result.people)
