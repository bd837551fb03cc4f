"""Shared fixtures: the real pose model, real clips (when ../shared is present), sample videos."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"
REAL_CLIPS = Path(os.environ.get("FORMCHECK_REAL_CLIPS", ROOT.parent / "shared" / "real_clips"))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The real pose bundle, provisioned the way users get it (built from PyPI when offline)."""
    from formcheck.pipeline.model_store import ensure_model

    return ensure_model(progress=False)


@pytest.fixture(scope="session")
def real_clips() -> Path:
    if not REAL_CLIPS.is_dir():
        pytest.skip("../shared/real_clips is not here (a fresh clone doesn't have it)")
    return REAL_CLIPS


def sample(name: str) -> Path:
    path = SAMPLES / name
    if not path.exists():
        pytest.fail(f"bundled sample video {name} is missing")
    return path


@pytest.fixture(autouse=True, scope="session")
def _no_personal_exercises(tmp_path_factory):
    """Tests see the built-in library only, never the developer's own exercise folder."""
    old = os.environ.get("FORMCHECK_EXERCISES_DIR")
    os.environ["FORMCHECK_EXERCISES_DIR"] = str(tmp_path_factory.mktemp("no_custom_exercises"))
    yield
    if old is None:
        del os.environ["FORMCHECK_EXERCISES_DIR"]
    else:
        os.environ["FORMCHECK_EXERCISES_DIR"] = old
