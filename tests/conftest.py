"""Shared fixtures: the real pose model, real clips (when ../shared is present), sample videos."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from formcheck.pose import telemetry

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"
REAL_CLIPS = Path(os.environ.get("FORMCHECK_REAL_CLIPS", ROOT.parent / "shared" / "real_clips"))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never the user's own sessions, settings or custom exercises: a test that forgets its own folder
# (or a database left by another build) must not read or change them. Tests that need a folder of
# their own still set these themselves.
_ISOLATED = Path(tempfile.mkdtemp(prefix="formcheck-tests-"))
for _var, _sub in (("FORMCHECK_DATA_DIR", "data"), ("FORMCHECK_CONFIG_DIR", "config"),
                   ("FORMCHECK_EXERCISES_DIR", "exercises")):
    os.environ.setdefault(_var, str(_ISOLATED / _sub))
# Tests create MediaPipe tasks directly too: keep their usage telemetry local, as the app does.
telemetry.block_mediapipe_telemetry()


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The real pose bundle, provisioned the way users get it (built from PyPI when offline)."""
    from formcheck.pose.model_store import ensure_model

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


def damaged_copy(video: Path, out: Path) -> Path:
    """``video`` with 4000 bytes zeroed mid-file, written to ``out`` (OpenCV writes the index at the
    end, so the middle is frame data: a plain read loop stops there)."""
    data = bytearray(video.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 4000] = bytes(4000)
    out.write_bytes(bytes(data))
    return out


def mounted_tmpfs(mount: Path, size: str):
    """A small file system at ``mount`` (a full disk on demand), for a fixture to yield; skips
    where it can't be mounted (it needs root)."""
    import subprocess

    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"can't mount a small tmpfs here ({done.stderr.decode().strip()}); needs root")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


PERSON = "Eve <script>alert('x')</script> & co"  # a name that must be escaped wherever it is shown


@pytest.fixture(scope="session")
def _recorded_bridges_once(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> Path:
    """Two glute-bridge sessions analysed and recorded once per test run: session 1 the good
    bridges, session 2 the low ones (three reps flagged 'not high enough')."""
    from formcheck.analysis.analyze import analyze_video
    from formcheck.core.tracker import ExerciseTracker
    from formcheck.exercises.loader import load_by_id
    from formcheck.pose.estimator import PoseEstimator
    from formcheck.records.recorder import SessionRecorder
    from formcheck.records.store import Store

    data = tmp_path_factory.mktemp("recorded") / "data"
    store = Store(data / "formcheck.db")
    with PoseEstimator(model_path) as est:
        for clip in ("glute_bridge_good", "glute_bridge_low"):
            video = sample(f"{clip}.mp4")
            analyze_video(video, None, exercise="glute_bridge", progress=False, estimator=est,
                          tracker=ExerciseTracker(load_by_id("glute_bridge")),
                          record=lambda v=video: SessionRecorder(store, PERSON, str(v), "file"))
    store.close()
    return data


@pytest.fixture
def recorded_bridges(_recorded_bridges_once: Path, tmp_path: Path):
    """A private copy of the recorded bridge sessions (tests add verdicts and notes to it)."""
    import shutil
    import sqlite3

    from formcheck.records.store import Store

    data = tmp_path / "data"
    shutil.copytree(_recorded_bridges_once, data)
    db = sqlite3.connect(data / "formcheck.db")
    db.execute("UPDATE sessions SET folder = replace(folder, ?, ?)", (str(_recorded_bridges_once), str(data)))
    db.commit()
    db.close()
    store = Store(data / "formcheck.db")
    yield store
    store.close()


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that runs the real pose model (it needs ``model_path``, directly or through a
    recorded-session fixture) is marked ``e2e``: ``pytest -m "not e2e"`` runs the fast rest."""
    for item in items:
        if "model_path" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def postgres_server():
    """One real PostgreSQL server for the whole run (tests/postgres_server.py); skips, saying why,
    where none can be started here."""
    from tests.postgres_server import NoServer, PostgresServer

    try:
        server = PostgresServer.start()
    except NoServer as exc:
        pytest.skip(f"no PostgreSQL server for the clinic-store tests: {exc}")
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """The URL (password included) of a fresh, empty database of its own on the test server."""
    return postgres_server.new_database()
