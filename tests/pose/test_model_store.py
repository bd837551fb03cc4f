"""Model provisioning with the real wheel from PyPI and real MediaPipe loads."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
import zipfile
from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np
import pytest
from mediapipe.tasks.python import BaseOptions
from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions

from formcheck.pose import model_store as ms
from formcheck.pose.tflite_metadata import read_normalization

MANIFEST = json.loads((Path(ms.__file__).resolve().parents[2] / "models" / "manifest.json").read_text())


@pytest.fixture
def store(tmp_path, monkeypatch, model_path):
    """An empty models folder; the (already fetched) wheel is reused to keep tests fast."""
    d = tmp_path / "models"
    d.mkdir()
    monkeypatch.setenv("FORMCHECK_MODELS_DIR", str(d))
    real_cache = model_path.parent / "cache"
    if real_cache.is_dir():
        shutil.copytree(real_cache, d / "cache")
    # No network in tests: a port that refuses at once stands in for Google's storage.
    monkeypatch.setattr(ms, "OFFICIAL_URL", "http://127.0.0.1:9/{variant}.task")
    return d


def test_built_bundle_is_deterministic_and_matches_manifest(store):
    got = ms.provision("full", progress=False)
    assert got.how == "built"
    assert ms.sha256(got.path) == MANIFEST["models"]["full"]["sha256_built"]
    with zipfile.ZipFile(got.path) as z:
        assert read_normalization(z.read("pose_detector.tflite")) == (127.5, 127.5)
        assert read_normalization(z.read("pose_landmarks_detector.tflite")) == (0.0, 255.0)
        for info in z.infolist():  # aligned so TFLite maps members without copying
            assert (info.header_offset + 30 + len(info.filename) + len(info.extra)) % 64 == 0
    # Second call: the verified file is used as it is.
    assert ms.provision("full", progress=False).how == "present"


def _frame(real_clips: Path) -> np.ndarray:
    cap = cv2.VideoCapture(str(real_clips / "stock_squats.mp4"))
    for _ in range(30):
        ok, image = cap.read()
    cap.release()
    assert ok
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def test_built_bundle_finds_a_real_person(model_path, real_clips):
    lm = PoseLandmarker.create_from_options(PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(model_path))))
    try:
        blank = lm.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.zeros((480, 640, 3), np.uint8)))
        person = lm.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=_frame(real_clips)))
    finally:
        lm.close()
    assert blank.pose_landmarks == []
    assert len(person.pose_landmarks) == 1 and len(person.pose_landmarks[0]) == 33


@pytest.mark.parametrize("damage", ["truncate", "garbage", "missing_member", "tampered"])
def test_damaged_bundles_are_rejected_and_replaced(store, damage):
    path = ms.provision("full", progress=False).path
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 3])
    elif damage == "garbage":
        path.write_bytes(b"not a model" * 1000)
    elif damage == "missing_member":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("pose_detector.tflite", b"1234TFL3")
    else:  # a valid zip whose bytes differ from the recorded checksum
        path.write_bytes(data[:-10] + b"0123456789")
    with pytest.raises(ms.ModelError) as err:
        ms.verify_model(path)
    assert "formcheck models" in str(err.value)
    # ensure_model never hands out the damaged file: it provisions a good one instead.
    assert ms.sha256(ms.ensure_model(progress=False)) == MANIFEST["models"]["full"]["sha256_built"]


class _Server:
    def __init__(self, payload: bytes, lie_about_length: bool = False):
        body = payload

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Length", str(len(body) * (2 if lie_about_length else 1)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/{{variant}}.task"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


def test_download_path_verifies_and_records_on_first_use(store, model_path, monkeypatch):
    server = _Server(model_path.read_bytes())
    monkeypatch.setattr(ms, "OFFICIAL_URL", server.url)
    try:
        got = ms.provision("lite", progress=False)
    finally:
        server.close()
    assert got.how == "downloaded"
    assert json.loads((store / "verified.json").read_text())["pose_landmarker_lite.task"] == ms.sha256(got.path)
    assert not list(store.glob("*.part"))


def test_truncated_download_is_rejected(store, model_path, monkeypatch):
    server = _Server(model_path.read_bytes()[:100_000], lie_about_length=True)
    monkeypatch.setattr(ms, "OFFICIAL_URL", server.url)
    try:
        with pytest.raises(ms.ModelError) as err:
            ms.provision("heavy", progress=False)
    finally:
        server.close()
    assert "heavy" in str(err.value) and "formcheck models heavy" in str(err.value)
    assert not (store / "pose_landmarker_heavy.task").exists()


def test_everything_failing_gives_one_clear_sentence(store, monkeypatch):
    monkeypatch.setattr(ms, "WHEEL_SPEC", "mediapipe==0.0.0.does-not-exist")
    shutil.rmtree(store / "cache", ignore_errors=True)
    with pytest.raises(ms.ModelError) as err:
        ms.provision("full", progress=False)
    message = str(err.value)
    assert message.count("\n") == 0
    assert "formcheck models full" in message and str(store) in message
