"""Pose model provisioning: find, verify, download or build ``pose_landmarker_<variant>.task``.

Order for each variant:
1. a file already in ``models_dir()`` that verifies (recorded sha256 + structure);
2. the official bundle from Google's model storage (progress bar, time-out, verification);
3. for "full" only: a bundle built from the two ``.tflite`` files in the ``mediapipe==0.10.21``
   wheel on PyPI, with the normalisation metadata mediapipe 1.x needs (see ``tflite_metadata``).

Trust: ``models/manifest.json`` (committed) holds the sha256 of the built bundle; the official
downloads' hashes are unknown, so a file with no recorded hash must pass a trial load in
MediaPipe, after which its hash goes into ``verified.json`` (local, git-ignored). A file whose
hash differs from its record is corrupt: it is set aside and never loaded. New files are written
to a temporary name and only renamed into place once verified.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

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
DOWNLOAD_TIMEOUT_S = 10  # connect and per-read: a dead network fails fast instead of hanging
PIP_TIMEOUT_S = 300
TRIAL_LOAD_TIMEOUT_S = 120
ZIP_ALIGNMENT = 64  # members start on this boundary so TFLite can map them without copying


class ModelError(RuntimeError):
    """Provisioning failed; the message is one sentence telling the user what to do."""


class _Unreachable(ModelError):
    """The source could not be reached at all (as opposed to serving a bad file)."""


@dataclass(frozen=True, slots=True)
class Provisioned:
    variant: str
    path: Path
    how: str  # "present", "downloaded", "built"


# --- locations and records ---------------------------------------------------------------------


def models_dir() -> Path:
    """Where models live: $FORMCHECK_MODELS_DIR, the checkout's models/, or the user data dir."""
    env = os.environ.get("FORMCHECK_MODELS_DIR")
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parents[2] / "models"
    if (checkout / "manifest.json").exists():
        return checkout
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "formcheck" / "models"


def model_path(variant: str = DEFAULT_VARIANT) -> Path:
    return models_dir() / f"pose_landmarker_{variant}.task"


def manifest() -> dict[str, dict]:
    """The committed manifest's per-variant entries ({} when it is not available)."""
    # A user data dir has no manifest of its own: fall back to the one next to the source.
    local = models_dir() / "manifest.json"
    path = local if local.exists() else Path(__file__).resolve().parents[2] / "models" / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))["models"]
    except (OSError, ValueError, KeyError):
        return {}


def _manifest_hashes(variant: str) -> set[str]:
    entry = manifest().get(variant, {})
    return {h for h in (entry.get("sha256_built"), entry.get("sha256_official")) if h}


def _record_path() -> Path:
    return models_dir() / "verified.json"


def _recorded_hashes() -> dict[str, str]:
    try:
        return json.loads(_record_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _set_record(name: str, digest: str | None) -> None:
    """Record (or with None, forget) the verified hash of ``name``; written atomically."""
    hashes = _recorded_hashes()
    if digest is None:
        if hashes.pop(name, None) is None:
            return
    else:
        hashes[name] = digest
    path = _record_path()
    tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
    tmp.write_text(json.dumps(hashes, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _variant_of(name: str) -> str:
    return name.removeprefix("pose_landmarker_").removesuffix(".task")


# --- verification ------------------------------------------------------------------------------


def check_structure(path: Path, name: str | None = None) -> None:
    """Raise ModelError unless ``path`` is an intact zip holding both TFLite models."""
    name = name or path.name
    fix = "run `formcheck models --force` to replace it."
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            for member in MEMBERS:
                if member not in names:
                    raise ModelError(f"{name} lacks {member}; {fix}")
                if z.getinfo(member).compress_type != zipfile.ZIP_STORED:  # MediaPipe maps members in place
                    raise ModelError(f"{name} has a compressed {member}, which MediaPipe cannot read; {fix}")
                with z.open(member) as f:
                    head = f.read(8)
                if head[4:8] != b"TFL3":  # the TFLite flatbuffer file identifier
                    raise ModelError(f"{name} holds a damaged {member}; {fix}")
            bad = z.testzip()  # CRC of every member: catches flipped bytes inside the zip
            if bad is not None:
                raise ModelError(f"{name} is corrupt (bad CRC in {bad}); {fix}")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ModelError(f"{name} is not a valid model bundle (truncated or corrupt: {exc}); {fix}") from exc


_TRIAL_LOAD = """\
import sys
from mediapipe.tasks.python import BaseOptions
from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions
options = PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=sys.argv[1]))
PoseLandmarker.create_from_options(options).close()
"""


def _trial_load(path: Path, name: str) -> None:
    """Load the bundle once in MediaPipe; raises ModelError if MediaPipe rejects it.

    Runs in a child process: a malformed model can crash native code, which must not take the
    app down, and MediaPipe's start-up chatter stays out of the user's console.
    """
    if getattr(sys, "frozen", False):  # no separate interpreter to start in a frozen app
        _trial_load_here(path, name)
        return
    try:
        done = subprocess.run(
            [sys.executable, "-c", _TRIAL_LOAD, str(path)],
            capture_output=True, text=True, timeout=TRIAL_LOAD_TIMEOUT_S,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise ModelError(f"{name} could not be test-loaded ({exc}); run `formcheck models --force`.") from exc
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["no output"]
        errors = [line for line in lines if "Error" in line]
        why = (errors or lines)[-1] if done.returncode > 0 else f"crashed with signal {-done.returncode}"
        raise ModelError(f"MediaPipe cannot load {name} ({why}); run `formcheck models --force` to replace it.")


def _trial_load_here(path: Path, name: str) -> None:
    from mediapipe.tasks.python import BaseOptions
    from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions

    try:
        options = PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(path)))
        PoseLandmarker.create_from_options(options).close()
    except (RuntimeError, ValueError) as exc:
        raise ModelError(f"MediaPipe cannot load {name} ({exc}); run `formcheck models --force` to replace it.") from exc


def _vouch(path: Path, name: str, digest: str) -> None:
    """Accept a structurally valid file with no local record: a manifest hash, or a trial load."""
    if digest not in _manifest_hashes(_variant_of(name)):
        # An official download (hash not published here), a hand-copied file, or a build that
        # came out different (other flatbuffers version): trust it only once MediaPipe loads it.
        log.info("%s (sha256 %s) is not in the manifest; trial-loading it", name, digest[:12])
        _trial_load(path, name)


def verify_model(path: Path) -> None:
    """Raise ModelError unless ``path`` is a complete bundle matching its record (or, with no
    record yet, the manifest or a successful trial load, after which it is recorded)."""
    if not path.is_file():
        raise ModelError(f"{path} does not exist; run `formcheck models` to provision it.")
    check_structure(path)
    digest = sha256(path)
    recorded = _recorded_hashes().get(path.name)
    if recorded is not None:
        if digest != recorded:  # never loaded: a damaged model must not reach native code
            raise ModelError(
                f"{path.name} does not match its recorded checksum (corrupt or replaced); "
                "run `formcheck models --force` to provision it again."
            )
        return
    _vouch(path, path.name, digest)
    _set_record(path.name, digest)


# --- provisioning ------------------------------------------------------------------------------


def ensure_model(
    variant: str = DEFAULT_VARIANT, *, allow_download: bool = True, progress: bool = True, force: bool = False
) -> Path:
    """Path of a verified bundle for ``variant``, provisioning it if needed.

    ``allow_download=False`` keeps it off the network: only a present file or a build from an
    already cached wheel.
    """
    return provision(variant, allow_download=allow_download, progress=progress, force=force).path


def provision(
    variant: str = DEFAULT_VARIANT, *, allow_download: bool = True, progress: bool = True, force: bool = False
) -> Provisioned:
    """Like ensure_model, and says how the file was obtained. ``force`` fetches a new copy but
    keeps the present file until the new one has verified."""
    if variant not in VARIANTS:
        raise ModelError(f"Unknown model variant {variant!r}; choose one of {', '.join(VARIANTS)}.")
    path = model_path(variant)
    if path.exists() and not force:
        try:
            verify_model(path)
            return Provisioned(variant, path, "present")
        except ModelError as exc:
            log.warning("%s", exc)
            _set_aside(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    problems: list[str] = []  # short phrases for the one-sentence message; details are logged
    if allow_download:
        try:
            with _candidate(path) as tmp:
                _download(OFFICIAL_URL.format(variant=variant), tmp, progress)
                _install(tmp, path)
            return Provisioned(variant, path, "downloaded")
        except _Unreachable as exc:
            log.warning("download of %s failed: %s", path.name, exc)
            problems.append("no internet access to Google's model storage")
        except ModelError as exc:
            log.warning("download of %s rejected: %s", path.name, exc)
            problems.append("the download from Google's model storage failed or was damaged")
    else:
        problems.append("downloads are turned off")
    if variant == "full":
        try:
            wheel = fetch_wheel(allow_network=allow_download)
        except ModelError as exc:
            log.warning("%s", exc)
            problems.append(f"pip could not fetch {WHEEL_SPEC} from PyPI" if allow_download else "no cached wheel")
        else:
            try:
                with _candidate(path) as tmp:
                    build_from_wheel(tmp, wheel)
                    _install(tmp, path)
                return Provisioned(variant, path, "built")
            except (ModelError, OSError) as exc:
                log.warning("building %s failed: %s", path.name, exc)
                problems.append(f"building it from the {WHEEL_SPEC} wheel failed")
    if force and path.exists():
        log.warning("keeping the present %s", path.name)
    raise ModelError(
        f"Could not get the {variant} pose model: {' and '.join(problems)}; run `formcheck models {variant}` "
        f"when online or copy pose_landmarker_{variant}.task into {path.parent}."
    )


def _set_aside(path: Path) -> None:
    """Move a file that failed verification out of the way (kept for inspection, not deleted:
    it may be something the user copied there) and forget its record."""
    rejected = path.with_name(path.name + ".rejected")
    os.replace(path, rejected)
    _set_record(path.name, None)
    log.warning("moved %s to %s", path.name, rejected.name)


@contextmanager
def _candidate(final: Path) -> Iterator[Path]:
    """A temporary path next to ``final`` (same file system, so the rename is atomic)."""
    fd, name = tempfile.mkstemp(dir=final.parent, prefix=final.name + ".", suffix=".part")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def _install(tmp: Path, final: Path) -> None:
    """Verify a freshly fetched file, then atomically put it in place and record its hash."""
    check_structure(tmp, final.name)
    digest = sha256(tmp)
    _vouch(tmp, final.name, digest)
    os.chmod(tmp, 0o644)  # mkstemp creates 0600
    os.replace(tmp, final)
    _set_record(final.name, digest)
    log.info("installed %s (sha256 %s)", final, digest)


def _download(url: str, dest: Path, progress: bool) -> None:
    """Download ``url`` into ``dest`` (a temporary file); ModelError when cut short."""
    log.info("downloading %s", url)
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as resp, dest.open("wb") as out:
            total = int(resp.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name.split(".task")[0],
                      disable=not progress) as bar:
                for chunk in iter(lambda: resp.read(1 << 16), b""):
                    out.write(chunk)
                    bar.update(len(chunk))
    except urllib.error.URLError as exc:  # includes HTTPError (404, 403, ...)
        raise _Unreachable(str(getattr(exc, "reason", exc))) from exc
    except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:  # dropped mid-way
        raise _Unreachable(f"connection failed: {exc!r}") from exc
    except OSError as exc:  # writing locally (disk full, permissions)
        raise ModelError(f"could not save the download: {exc}") from exc
    if total is not None and dest.stat().st_size != total:
        raise ModelError(f"download was cut short ({dest.stat().st_size} of {total} bytes)")


# --- building "full" from the PyPI wheel -------------------------------------------------------


def _wheel_cache() -> Path:
    return models_dir() / "cache"


def fetch_wheel(*, allow_network: bool = True) -> Path:
    """The mediapipe 0.10.21 wheel, cached (any Python: we only read two platform-independent files)."""
    cache = _wheel_cache()
    found = sorted(cache.glob("mediapipe-0.10.21-*.whl"))
    if found:
        return found[0]
    if not allow_network:
        raise ModelError(f"no cached {WHEEL_SPEC} wheel in {cache}")
    cache.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64",
        "--retries", "1", "--timeout", str(DOWNLOAD_TIMEOUT_S),  # offline: fail in seconds, not minutes
        "--disable-pip-version-check", "--quiet", WHEEL_SPEC, "-d", str(cache),
    ]
    log.info("fetching %s from PyPI (about 35 MB)", WHEEL_SPEC)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ModelError(f"pip could not download {WHEEL_SPEC}: {exc}") from exc
    found = sorted(cache.glob("mediapipe-0.10.21-*.whl"))
    if done.returncode != 0 or not found:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelError(f"pip could not download {WHEEL_SPEC}: {last}")
    return found[0]


def build_from_wheel(dest: Path, wheel: Path | None = None) -> None:
    """Write ``pose_landmarker_full.task`` built from the 0.10.21 wheel's models to ``dest``.

    Deterministic: the same wheel (and flatbuffers/mediapipe schema code) gives the same bytes.
    """
    from formcheck.pipeline.tflite_metadata import add_image_metadata

    wheel = wheel or fetch_wheel()
    expected = manifest().get("full", {}).get("sha256_wheel_members", {})
    members: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(wheel) as z:
            for name, source in WHEEL_MEMBERS.items():
                raw = z.read(source)
                if source in expected and hashlib.sha256(raw).hexdigest() != expected[source]:
                    raise KeyError(f"{source} differs from the manifest")
                members[name] = add_image_metadata(raw, name.removesuffix(".tflite"), *NORMALIZATION[name])
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        wheel.unlink(missing_ok=True)  # a bad download: fetch it again next time
        raise ModelError(f"the cached {WHEEL_SPEC} wheel is damaged ({exc}); run `formcheck models` again.") from exc
    dest.write_bytes(aligned_zip(members))


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


# --- `formcheck models` ------------------------------------------------------------------------


def provision_all(
    variants: list[str] | None = None, *, progress: bool = True, force: bool = False
) -> list[tuple[str, Provisioned | ModelError]]:
    """Provision each variant (default: the default one); failures are returned, not raised."""
    results: list[tuple[str, Provisioned | ModelError]] = []
    for variant in variants or [DEFAULT_VARIANT]:
        try:
            results.append((variant, provision(variant, progress=progress, force=force)))
        except ModelError as exc:
            results.append((variant, exc))
    return results


def run_models_command(variants: list[str] | None, force: bool) -> int:
    """`formcheck models`: provision each variant, print one line per variant, 0 if all worked."""
    status = 0
    for variant, got in provision_all(variants, force=force):
        if isinstance(got, ModelError):
            print(f"{variant}: {got}", file=sys.stderr)
            status = 1
        else:
            print(f"{variant}: {got.how} {got.path} (sha256 {sha256(got.path)[:12]}…)")
    return status
