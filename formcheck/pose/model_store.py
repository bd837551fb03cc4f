"""Pose model provisioning: find, verify, download or build ``pose_landmarker_<variant>.task``.

Order for each variant:
1. a file already in ``models_dir()`` that verifies (recorded sha256 + structure);
2. the official bundle from Google's model storage (progress bar, time-out, checksum);
3. for "full" only: a bundle built from the two ``.tflite`` files in the ``mediapipe==0.10.21``
   wheel on PyPI, with the normalisation metadata mediapipe 1.x needs (see ``tflite_metadata``).
A corrupt or truncated file is never loaded: it fails verification and is provisioned again.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import urllib.error
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from formcheck.paths import user_models_dir
from formcheck.pose import telemetry

log = logging.getLogger(__name__)

DEFAULT_VARIANT = "full"
VARIANTS = ("lite", "full", "heavy")
MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")
OFFICIAL_URL = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
    "pose_landmarker_{variant}/float16/latest/pose_landmarker_{variant}.task"
)
WHEEL_SPEC = "mediapipe==0.10.21"
WHEEL_MEMBERS = {
    "pose_detector.tflite": "mediapipe/modules/pose_detection/pose_detection.tflite",
    "pose_landmarks_detector.tflite": "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
}
# Input normalisation (mean, std): the detector wants pixels in [-1, 1], the landmark model [0, 1].
NORMALIZATION = {"pose_detector.tflite": (127.5, 127.5), "pose_landmarks_detector.tflite": (0.0, 255.0)}
DOWNLOAD_TIMEOUT_S = 10
PIP_TIMEOUT_S = 300
ZIP_ALIGNMENT = 64  # members start on this boundary so TFLite can map them without copying


class ModelError(RuntimeError):
    """Provisioning failed; the message is one sentence telling the user what to do."""


def models_dir() -> Path:
    """Where models live: $FORMCHECK_MODELS_DIR, the checkout's models/, or the user data dir."""
    env = os.environ.get("FORMCHECK_MODELS_DIR")
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parents[2] / "models"
    if (checkout / "manifest.json").exists():
        return checkout
    return user_models_dir()


def model_path(variant: str = DEFAULT_VARIANT) -> Path:
    return models_dir() / f"pose_landmarker_{variant}.task"


def _manifest_path() -> Path:
    # The manifest ships with the code (models/manifest.json in the checkout); a user data dir
    # falls back to the copy next to the package source.
    local = models_dir() / "manifest.json"
    return local if local.exists() else Path(__file__).resolve().parents[2] / "models" / "manifest.json"


def manifest() -> dict[str, dict]:
    try:
        return json.loads(_manifest_path().read_text(encoding="utf-8"))["models"]
    except (OSError, ValueError, KeyError):
        return {}


def _record_path() -> Path:
    return models_dir() / "verified.json"


def _recorded_hashes() -> dict[str, str]:
    try:
        return json.loads(_record_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _record_hash(name: str, sha: str) -> None:
    hashes = _recorded_hashes()
    hashes[name] = sha
    _record_path().write_text(json.dumps(hashes, indent=2) + "\n", encoding="utf-8")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _known_hashes(path: Path) -> set[str]:
    """Hashes a file of this name is allowed to have: the manifest's and our own records."""
    entry = manifest().get(path.stem.removeprefix("pose_landmarker_"), {})
    known = {h for h in (entry.get("sha256_built"), entry.get("sha256_official")) if h}
    if path.name in _recorded_hashes():
        known.add(_recorded_hashes()[path.name])
    return known


def check_structure(path: Path) -> None:
    """Raise ModelError unless ``path`` is a zip holding both TFLite models."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            for member in MEMBERS:
                if member not in names:
                    raise ModelError(f"{path.name} lacks {member}; run `formcheck models --force` to replace it.")
                with z.open(member) as f:
                    head = f.read(8)
                if head[4:8] != b"TFL3":
                    raise ModelError(f"{path.name} holds a damaged {member}; run `formcheck models --force`.")
            bad = z.testzip()
            if bad is not None:
                raise ModelError(f"{path.name} is corrupt ({bad}); run `formcheck models --force` to replace it.")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ModelError(
            f"{path.name} is not a valid model bundle (truncated or corrupt: {exc}); "
            "run `formcheck models --force` to replace it."
        ) from exc


def _trial_load(path: Path) -> None:
    """Load the bundle once in MediaPipe; raises ModelError if MediaPipe rejects it."""
    telemetry.block_mediapipe_telemetry()  # this may be the process's first MediaPipe task
    from mediapipe.tasks.python import BaseOptions
    from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions

    try:
        landmarker = PoseLandmarker.create_from_options(
            PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(path)))
        )
        landmarker.close()
    except (RuntimeError, ValueError) as exc:
        raise ModelError(f"MediaPipe cannot load {path.name} ({exc}); run `formcheck models --force`.") from exc


def verify_model(path: Path) -> None:
    """Raise ModelError unless ``path`` is a complete, known (or loadable and then recorded) bundle."""
    if not path.is_file():
        raise ModelError(f"{path} does not exist; run `formcheck models` to provision it.")
    check_structure(path)
    digest = sha256(path)
    known = _known_hashes(path)
    if known and digest not in known:
        raise ModelError(
            f"{path.name} does not match its recorded checksum (corrupt or replaced); "
            "run `formcheck models --force` to provision it again."
        )
    if not known:
        # Trust on first use: an unrecorded file must load before we vouch for it.
        _trial_load(path)
        _record_hash(path.name, digest)


@dataclass(frozen=True, slots=True)
class Provisioned:
    variant: str
    path: Path
    how: str  # "present", "downloaded", "built"


def ensure_model(
    variant: str = DEFAULT_VARIANT, *, allow_download: bool = True, progress: bool = True, force: bool = False
) -> Path:
    """Path of a verified bundle for ``variant``, provisioning it if needed."""
    return provision(variant, allow_download=allow_download, progress=progress, force=force).path


def provision(
    variant: str = DEFAULT_VARIANT, *, allow_download: bool = True, progress: bool = True, force: bool = False
) -> Provisioned:
    if variant not in VARIANTS:
        raise ModelError(f"Unknown model variant {variant!r}; choose one of {', '.join(VARIANTS)}.")
    path = model_path(variant)
    if path.exists() and not force:
        try:
            verify_model(path)
            return Provisioned(variant, path, "present")
        except ModelError as exc:
            log.warning("%s; provisioning it again", exc)
    path.parent.mkdir(parents=True, exist_ok=True)
    reasons: list[str] = []
    if allow_download:
        try:
            _download(OFFICIAL_URL.format(variant=variant), path, progress)
            verify_model(path)
            return Provisioned(variant, path, "downloaded")
        except (ModelError, OSError) as exc:
            reasons.append(f"download failed ({exc})")
            path.unlink(missing_ok=True)
    if variant == "full":
        try:
            build_from_wheel(path)
            verify_model(path)
            return Provisioned(variant, path, "built")
        except (ModelError, OSError, subprocess.SubprocessError) as exc:
            reasons.append(f"build from PyPI failed ({exc})")
            path.unlink(missing_ok=True)
    where = "Google's model storage" + (" or PyPI" if variant == "full" else "")
    raise ModelError(
        f"Could not get the {variant} pose model: {'; '.join(reasons) or 'downloads disabled'}. "
        f"Connect to the internet (to {where}) and run `formcheck models {variant}`, "
        f"or copy pose_landmarker_{variant}.task into {path.parent}."
    )


def _download(url: str, dest: Path, progress: bool) -> None:
    """Download to a temporary file next to ``dest``, then rename: never a half file in place."""
    log.info("downloading %s", url)
    tmp = dest.with_suffix(".part")
    try:
        # The user's proxy settings, not the one that blocks MediaPipe's telemetry.
        with telemetry.opener(url).open(url, timeout=DOWNLOAD_TIMEOUT_S) as resp, tmp.open("wb") as out:
            total = int(resp.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, disable=not progress) as bar:
                for chunk in iter(lambda: resp.read(1 << 16), b""):
                    out.write(chunk)
                    bar.update(len(chunk))
        if total is not None and tmp.stat().st_size != total:
            raise ModelError(f"download of {dest.name} was cut short; try again.")
        os.replace(tmp, dest)
    except urllib.error.URLError as exc:
        raise ModelError(str(exc.reason)) from exc
    finally:
        tmp.unlink(missing_ok=True)


def _wheel_cache() -> Path:
    return models_dir() / "cache"


def fetch_wheel() -> Path:
    """The mediapipe 0.10.21 wheel (any Python: we only read two platform-independent files)."""
    cache = _wheel_cache()
    found = sorted(cache.glob("mediapipe-0.10.21-*.whl"))
    if found:
        return found[0]
    cache.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64",
        WHEEL_SPEC, "-d", str(cache), "--quiet",
    ]
    log.info("fetching %s from PyPI", WHEEL_SPEC)
    done = subprocess.run(
        cmd, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, env=telemetry.user_environment()
    )
    found = sorted(cache.glob("mediapipe-0.10.21-*.whl"))
    if done.returncode != 0 or not found:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelError(f"pip could not download {WHEEL_SPEC}: {last}")
    return found[0]


def build_from_wheel(dest: Path, wheel: Path | None = None) -> None:
    """Build ``pose_landmarker_full.task`` from the 0.10.21 wheel's models (deterministic)."""
    from formcheck.pose.tflite_metadata import add_image_metadata

    wheel = wheel or fetch_wheel()
    members: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(wheel) as z:
            for name, source in WHEEL_MEMBERS.items():
                members[name] = add_image_metadata(z.read(source), name.removesuffix(".tflite"), *NORMALIZATION[name])
    except (zipfile.BadZipFile, KeyError) as exc:
        wheel.unlink(missing_ok=True)  # a bad download: fetch it again next time
        raise ModelError(f"the downloaded {WHEEL_SPEC} wheel is damaged ({exc}); run `formcheck models` again.") from exc
    with tempfile.NamedTemporaryFile(dir=dest.parent, suffix=".part", delete=False) as tmp:
        tmp.write(aligned_zip(members))
    os.chmod(tmp.name, 0o644)  # NamedTemporaryFile creates 0600
    os.replace(tmp.name, dest)


def aligned_zip(members: dict[str, bytes]) -> bytes:
    """A stored (uncompressed) zip whose member data start on ZIP_ALIGNMENT boundaries.

    MediaPipe maps bundle members straight from the file; an unaligned member makes TFLite copy
    its buffers. Fixed timestamps keep the output byte-identical across builds.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            header = 30 + len(name.encode())
            pad = (-(buf.tell() + header + 4)) % ZIP_ALIGNMENT
            # An extra field (id 0xFFFF, "padding") of the right size pushes the data to the boundary.
            info.extra = b"\xff\xff" + pad.to_bytes(2, "little") + b"\x00" * pad
            z.writestr(info, data)
    return buf.getvalue()


def run_models_command(variants: list[str] | None, force: bool) -> int:
    """`formcheck models`: provision each variant and print one line per variant."""
    status = 0
    for variant in variants or [DEFAULT_VARIANT]:
        try:
            got = provision(variant, force=force)
            print(f"{variant}: {got.how} {got.path} (sha256 {sha256(got.path)[:12]}…)")
        except ModelError as exc:
            print(f"{variant}: {exc}", file=sys.stderr)
            status = 1
    return status
