"""Model provisioning with the real wheel from PyPI and real MediaPipe loads.

Network: only 127.0.0.1 (stand-ins for Google's storage) and PyPI (the wheel, when not cached).
"""

from __future__ import annotations

import http.server
import json
import re
import shutil
import threading
import zipfile
from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np
import pytest
from mediapipe.tasks.metadata import schema_py_generated as tfl
from mediapipe.tasks.python import BaseOptions
from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions

from formcheck.pipeline import model_store as ms
from formcheck.pipeline.tflite_metadata import read_normalization

MANIFEST = json.loads((Path(ms.__file__).resolve().parents[2] / "models" / "manifest.json").read_text())
BUILT_SHA = MANIFEST["models"]["full"]["sha256_built"]
REFUSED = "http://127.0.0.1:9/{variant}.task"  # the discard port: refused at once, no network


@pytest.fixture(scope="session")
def wheel_cache(tmp_path_factory) -> Path:
    """The wheel, fetched once per session (reusing the checkout's cache when it has one)."""
    real_cache = Path(ms.__file__).resolve().parents[2] / "models" / "cache"
    if list(real_cache.glob("mediapipe-0.10.21-*.whl")):
        return real_cache
    d = tmp_path_factory.mktemp("wheel")
    with pytest.MonkeyPatch.context() as mp_:
        mp_.setenv("FORMCHECK_MODELS_DIR", str(d))
        ms.fetch_wheel()  # real pip download from PyPI
    return d / "cache"


@pytest.fixture(scope="session")
def built_bundle(tmp_path_factory, wheel_cache) -> bytes:
    """Bytes of one bundle built from the wheel (for serving and damaging)."""
    dest = tmp_path_factory.mktemp("built") / "pose_landmarker_full.task"
    ms.build_from_wheel(dest, next(wheel_cache.glob("mediapipe-0.10.21-*.whl")))
    return dest.read_bytes()


@pytest.fixture
def store(tmp_path, monkeypatch, wheel_cache) -> Path:
    """An empty models folder of our own; Google's storage unreachable; the wheel cached."""
    d = tmp_path / "models"
    d.mkdir()
    monkeypatch.setenv("FORMCHECK_MODELS_DIR", str(d))
    shutil.copytree(wheel_cache, d / "cache")
    monkeypatch.setattr(ms, "OFFICIAL_URL", REFUSED)
    return d


@pytest.fixture
def trial_loads(monkeypatch) -> list[str]:
    """Names passed to the (real) trial load, to check when a file is or is not loaded."""
    calls: list[str] = []
    real = ms._trial_load

    def spy(path: Path, name: str) -> None:
        calls.append(name)
        real(path, name)

    monkeypatch.setattr(ms, "_trial_load", spy)
    return calls


def _record(store: Path) -> dict[str, str]:
    return json.loads((store / "verified.json").read_text())


def _buffer_misalignment(member: bytes, start: int) -> list[int]:
    """Indices of constant buffers whose data do not sit on a 16-byte boundary in the file."""
    model = tfl.Model.GetRootAs(member, 0)
    bad = []
    for i in range(model.BuffersLength()):
        buf = model.Buffers(i)
        if buf.DataLength() and (start + buf._tab.Vector(buf._tab.Offset(4))) % 16:
            bad.append(i)
    return bad


def test_unreachable_download_falls_through_to_a_deterministic_build(store, trial_loads):
    got = ms.provision("full", progress=False)
    assert got.how == "built"
    assert ms.sha256(got.path) == BUILT_SHA  # byte-identical to the manifest's build
    assert _record(store) == {"pose_landmarker_full.task": BUILT_SHA}
    assert trial_loads == []  # a manifest hash needs no trial load
    assert not list(store.glob("*.part"))
    with zipfile.ZipFile(got.path) as z:
        assert sorted(z.namelist()) == sorted(ms.MEMBERS)
        assert read_normalization(z.read("pose_detector.tflite")) == (127.5, 127.5)
        assert read_normalization(z.read("pose_landmarks_detector.tflite")) == (0.0, 255.0)
        for info in z.infolist():
            start = info.header_offset + 30 + len(info.filename) + len(info.extra)
            assert start % 64 == 0  # members mapped in place...
            assert _buffer_misalignment(z.read(info), start) == []  # ...and so are their tensors
    # Second call: the verified file is used as it is.
    assert ms.provision("full", progress=False).how == "present"


def _frame(real_clips: Path) -> np.ndarray:
    cap = cv2.VideoCapture(str(real_clips / "stock_squats.mp4"))
    for _ in range(30):
        ok, image = cap.read()
    cap.release()
    assert ok
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _landmarker(path: Path) -> PoseLandmarker:
    return PoseLandmarker.create_from_options(PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(path))))


def test_built_bundle_loads_and_sees_no_pose_on_a_blank_image(model_path):
    assert ms.sha256(model_path) == BUILT_SHA or model_path.name in ms._recorded_hashes()
    lm = _landmarker(model_path)
    try:
        blank = lm.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.zeros((480, 640, 3), np.uint8)))
    finally:
        lm.close()
    assert blank.pose_landmarks == []


def test_built_bundle_finds_a_real_person(model_path, real_clips):
    lm = _landmarker(model_path)
    try:
        person = lm.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=_frame(real_clips)))
    finally:
        lm.close()
    assert len(person.pose_landmarks) == 1 and len(person.pose_landmarks[0]) == 33
    visible = [p for p in person.pose_landmarks[0] if p.visibility > 0.5]
    assert len(visible) >= 10
    assert all(0 <= p.x <= 1 and 0 <= p.y <= 1 for p in visible)


@pytest.mark.parametrize(
    "damage", ["truncate", "garbage", "missing_member", "compressed", "flipped_byte", "tampered"]
)
def test_damaged_bundles_are_rejected_never_loaded_and_replaced(store, trial_loads, damage):
    path = ms.provision("full", progress=False).path
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 3])
    elif damage == "garbage":
        path.write_bytes(b"not a model" * 1000)
    elif damage == "missing_member":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("pose_detector.tflite", b"1234TFL3")
    elif damage == "compressed":  # MediaPipe only reads stored members
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out, zipfile.ZipFile(_as_file(store, data)) as z:
            for name in ms.MEMBERS:
                out.writestr(name, z.read(name))
    elif damage == "flipped_byte":  # inside a member: the zip CRC catches it
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    else:  # a valid zip (comment changed) whose bytes differ from the recorded checksum
        with zipfile.ZipFile(path, "a") as z:
            z.comment = b"tampered"
        ms.check_structure(path)  # structurally fine: only the checksum can tell
    with pytest.raises(ms.ModelError) as err:
        ms.verify_model(path)
    assert "formcheck models" in str(err.value)
    assert trial_loads == []  # the damaged file never reached MediaPipe
    # ensure_model never hands out the damaged file: it sets it aside and provisions a good one.
    assert ms.sha256(ms.ensure_model(progress=False)) == BUILT_SHA
    assert (store / "pose_landmarker_full.task.rejected").exists()
    assert trial_loads == []


def test_hand_copied_bundle_is_trusted_after_a_trial_load(store, built_bundle, trial_loads):
    # Same models, different zip layout: stands in for Google's official file, whose hash the
    # manifest cannot know. It must be accepted (users are told to copy it in when offline).
    path = ms.model_path("full")
    with zipfile.ZipFile(path, "w") as out, zipfile.ZipFile(_as_file(store, built_bundle)) as z:
        for name in reversed(z.namelist()):  # plain zipfile layout: other order, no alignment
            out.writestr(name, z.read(name))
    got = ms.provision("full", progress=False)
    assert (got.how, got.path) == ("present", path)
    assert trial_loads == ["pose_landmarker_full.task"]
    assert _record(store)["pose_landmarker_full.task"] == ms.sha256(path)
    # Recorded now: the next verification needs no load.
    ms.verify_model(path)
    assert trial_loads == ["pose_landmarker_full.task"]


def test_structurally_valid_but_unloadable_bundle_is_rejected(store, trial_loads):
    path = ms.model_path("lite")
    with zipfile.ZipFile(path, "w") as z:
        for name in ms.MEMBERS:
            z.writestr(name, b"\x18\x00\x00\x00TFL3" + b"\x00" * 64)
    with pytest.raises(ms.ModelError, match="MediaPipe cannot load"):
        ms.verify_model(path)
    assert trial_loads == ["pose_landmarker_lite.task"]
    assert "pose_landmarker_lite.task" not in ms._recorded_hashes()


def _as_file(store: Path, data: bytes) -> Path:
    path = store.parent / "bundle.bin"
    path.write_bytes(data)
    return path


class _Server:
    """A loopback HTTP server standing in for Google's model storage."""

    def __init__(self, payload: bytes, claimed_length: int | None = None):
        self.hits = 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                server.hits += 1
                self.send_response(200)
                self.send_header("Content-Length", str(claimed_length or len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/{{variant}}.task"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def __enter__(self) -> _Server:
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_download_is_verified_by_trial_load_and_recorded(store, built_bundle, monkeypatch, trial_loads, capsys):
    with _Server(built_bundle) as server:
        monkeypatch.setattr(ms, "OFFICIAL_URL", server.url)
        got = ms.provision("lite", progress=True)
    assert got.how == "downloaded" and server.hits == 1
    assert got.path.read_bytes() == built_bundle
    assert trial_loads == ["pose_landmarker_lite.task"]  # no manifest hash for lite: load it first
    assert _record(store)["pose_landmarker_lite.task"] == ms.sha256(got.path)
    assert not list(store.glob("*.part"))  # downloaded under a temporary name, then renamed
    assert "100%" in capsys.readouterr().err  # the progress bar ran to the end


@pytest.mark.parametrize("bad", ["truncated", "not_a_zip"])
def test_bad_download_is_rejected_and_leaves_nothing(store, built_bundle, monkeypatch, bad):
    payload = built_bundle[:100_000] if bad == "truncated" else b"<html>quota exceeded</html>" * 100
    claimed = len(built_bundle) if bad == "truncated" else None
    with _Server(payload, claimed) as server:
        monkeypatch.setattr(ms, "OFFICIAL_URL", server.url)
        with pytest.raises(ms.ModelError) as err:
            ms.provision("heavy", progress=False)
    assert server.hits == 1
    assert "download from Google's model storage failed" in str(err.value)
    assert "formcheck models heavy" in str(err.value)
    assert sorted(p.name for p in store.iterdir()) == ["cache"]


def test_bad_download_of_full_falls_through_to_the_build(store, built_bundle, monkeypatch):
    with _Server(built_bundle[:-1000]) as server:
        monkeypatch.setattr(ms, "OFFICIAL_URL", server.url)
        got = ms.provision("full", progress=False)
    assert server.hits == 1 and got.how == "built"
    assert ms.sha256(got.path) == BUILT_SHA


def test_everything_failing_gives_one_clear_sentence(store, monkeypatch):
    monkeypatch.setattr(ms, "WHEEL_SPEC", "mediapipe==0.0.0.does-not-exist")
    shutil.rmtree(store / "cache")
    with pytest.raises(ms.ModelError) as err:
        ms.provision("full", progress=False)
    message = str(err.value)
    assert message.startswith("Could not get the full pose model: no internet access to Google's model storage")
    assert "pip could not fetch mediapipe==0.0.0.does-not-exist from PyPI" in message
    assert f"copy pose_landmarker_full.task into {store}." in message and "`formcheck models full`" in message
    assert len(re.findall(r"[.!?](\s|$)", message)) == 1  # exactly one sentence


def test_force_keeps_the_present_model_when_nothing_better_can_be_had(store, monkeypatch):
    path = ms.provision("full", progress=False).path
    monkeypatch.setattr(ms, "WHEEL_SPEC", "mediapipe==0.0.0.does-not-exist")
    shutil.rmtree(store / "cache")
    with pytest.raises(ms.ModelError):
        ms.provision("full", progress=False, force=True)
    assert ms.sha256(path) == BUILT_SHA
    ms.verify_model(path)


def test_offline_mode_builds_only_from_a_cached_wheel(store, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("allow_download=False must not touch the network")

    monkeypatch.setattr(ms.urllib.request, "urlopen", no_network)
    monkeypatch.setattr(ms.subprocess, "run", no_network)  # pip included
    assert ms.provision("full", allow_download=False, progress=False).how == "built"
    with pytest.raises(ms.ModelError, match="downloads are turned off"):
        ms.provision("lite", allow_download=False, progress=False)


def test_models_command_prints_a_line_per_variant(store, capsys):
    assert ms.run_models_command(["full", "lite"], force=False) == 1
    out, err = capsys.readouterr()
    assert out.startswith("full: built ") and BUILT_SHA[:12] in out
    assert err.strip().startswith("lite: Could not get the lite pose model")
    assert ms.run_models_command(None, force=False) == 0
    assert capsys.readouterr().out.startswith("full: present ")
