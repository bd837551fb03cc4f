"""Property-based fuzzing of the importers (Hypothesis): valid bundles and session folders, mutated.

Every mutated bundle is either imported exactly (each session's files as the bundle has them, the
database indexing what its events say) or refused with one sentence and the data folder left as
it was; never a traceback, never a file outside the data folder. Every mutated session folder is
either rebuilt by ``formcheck repair`` or listed as unreadable with one sentence, and what repair
built can be reported and re-judged. The checksums are mostly recomputed after a mutation, as
someone editing a bundle on purpose would, so the mutations reach the validators behind them.

``FORMCHECK_FUZZ_EXAMPLES=2000`` runs longer, with fresh random cases (CI runs the default,
derandomized, so it is stable); ``FUZZ_NO_SHRINK=1`` reports a failure without shrinking it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from formcheck.analysis.rejudge import rejudge_session
from formcheck.exercises.programme_file import loads
from formcheck.records import programme_store
from formcheck.records.bundle_export import export_bundle
from formcheck.records.bundle_import import import_bundle
from formcheck.records.bundle_manifest import BundleError
from formcheck.records.database.connection import StoreError
from formcheck.records.repair import repair
from formcheck.records.session_track import TRACK_COLUMNS
from formcheck.records.store import Store
from formcheck.reports.session_report import report_html
from tests.records.scripted_sessions import Done, record

EXAMPLES = int(os.environ.get("FORMCHECK_FUZZ_EXAMPLES", "40"))  # each renders the HTML report (~0.4 s)
_SHRINK = {} if not os.environ.get("FUZZ_NO_SHRINK") else {"phases": [Phase.explicit, Phase.reuse, Phase.generate]}
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize="FORMCHECK_FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], **_SHRINK)
PERSON = "Eve <b>Smith</b>"
DATA_FILES = {"formcheck.db", "formcheck.db-wal", "formcheck.db-shm", "formcheck.db.lock", ".space-reserve"}


def _track(folder: Path) -> None:
    t = np.arange(0, 9000, 900, dtype=np.float32)
    rows = np.full((len(t), TRACK_COLUMNS), np.nan, np.float32)
    rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], rows[:, 4] = t, 0, 150 + 20 * np.sin(t / 700), 640, 480
    with (folder / "track.npys").open("wb") as f:
        np.save(f, rows)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A patient's data folder (two sessions: reps and holds, a verdict, notes, a track; a
    programme), its bundle's members and manifest, and an empty clinic to import into."""
    root = tmp_path_factory.mktemp("fuzz")
    store = Store(root / "patient" / "formcheck.db")
    p, _ = programme_store.save(store, loads('days_per_week = 3\nstart = 2026-11-02\n[[exercises]]\nid = "glute_bridge"\n'
                                             'sets = 1\nreps = 3\nnotes = "slow"\n', person=PERSON))
    a = record(store, PERSON, [Done("glute_bridge", [False, True, False], effort=4)], programme=(p.uid, 1), pain=(2, 3))
    record(store, PERSON, [Done("forearm_plank", holds=[12.0, 8.0])], flag="pain rose")
    rep = store.session_detail(a).sets[0].reps[1]
    store.set_verdict(rep.faults[0].id, agree=False)
    store.add_note(a, "hips <fine>", rep_id=rep.id)
    store.add_note(a, "good session")
    _track(store.session(a).folder)
    export_bundle(store, PERSON, root / "eve.formcheck")
    store.close()
    with zipfile.ZipFile(root / "eve.formcheck") as zf:
        manifest = json.loads(zf.read("manifest.json"))
        members = {n: zf.read(n) for n in zf.namelist() if n != "manifest.json"}
    Store(root / "clinic" / "formcheck.db").close()
    return root, members, manifest


# ---- mutations ------------------------------------------------------------------------------------
HOSTILE_TEXT = st.sampled_from(["", " ", "../../x", "/etc/passwd", "<script>alert(1)</script>", '"><img onerror=x>',
                                "yesterday", "NaN", "0" * 5000, "é\u202e\x00", "legacy-1", "a" * 300, "C:\\x"])
NUMBERS = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0, -1, 1, 2**63 - 1, 10**29, 1e308, -1e308]))
VALUES = st.recursive(st.one_of(st.none(), st.booleans(), NUMBERS, HOSTILE_TEXT, st.text(max_size=20)),
                      lambda inner: st.one_of(st.lists(inner, max_size=3),
                                              st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=6)


def _paths(value, prefix=()):
    """Every place in a JSON value: the key paths to each entry."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _set(value, path, new, delete=False):
    if not path:
        return new
    parent = value
    for k in path[:-1]:
        parent = parent[k]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return value


@st.composite
def json_edit(draw, data: bytes, lines: bool) -> bytes:
    try:
        docs = [json.loads(x) for x in data.decode().splitlines() if x.strip()] if lines else [json.loads(data)]
    except ValueError:  # an earlier mutation left it not JSON
        return draw(byte_edit(data))
    if not docs:
        return data
    i = draw(st.integers(0, len(docs) - 1))
    places = list(_paths(docs[i]))
    path = draw(st.sampled_from(places))
    docs[i] = _set(docs[i], path, draw(VALUES), delete=draw(st.booleans()))
    if lines:
        return "".join(json.dumps(d) + "\n" for d in docs).encode()
    return json.dumps(docs[0]).encode()


@st.composite
def byte_edit(draw, data: bytes) -> bytes:
    kind = draw(st.sampled_from(["cut", "flip", "insert"]))
    if not data or kind == "insert":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
    at = draw(st.integers(0, len(data) - 1))
    if kind == "cut":
        return data[:at]
    return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]


@st.composite
def toml_edit(draw, data: bytes) -> bytes:
    lines = data.decode(errors="replace").splitlines()
    keyed = [i for i, line in enumerate(lines) if " = " in line and not line.startswith("#")]
    if not keyed:  # an earlier mutation took them
        return draw(byte_edit(data))
    i = draw(st.sampled_from(keyed))
    key = lines[i].split(" = ")[0]
    value = draw(st.one_of(NUMBERS.map(repr), HOSTILE_TEXT.map(json.dumps)))  # repr: nan, inf, 1e+308 are TOML too
    lines[i] = f"{key} = {value}"
    return ("\n".join(lines) + "\n").encode()


@st.composite
def mutated_bundle(draw, members: dict[str, bytes], manifest: dict) -> tuple[dict[str, bytes], dict]:
    members, manifest = dict(members), json.loads(json.dumps(manifest))
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(members)))
        what = draw(st.sampled_from(["content", "content", "content", "bytes", "rename", "drop", "manifest"]))
        if what == "content" and name.endswith((".json", ".jsonl")):
            members[name] = draw(json_edit(members[name], name.endswith(".jsonl")))
        elif what == "content" and name.endswith(".toml"):
            members[name] = draw(toml_edit(members[name]))
        elif what in ("content", "bytes"):
            members[name] = draw(byte_edit(members[name]))
        elif what == "rename":
            new = draw(st.sampled_from(["../x", "/abs/session.json", "sessions/../../x/session.json",
                                        "sessions/a/../../b/events.jsonl", "sessions/.hidden/session.json",
                                        name.replace("sessions/", "sessions/x-"), "programmes/zz.toml",
                                        "calibration/../../p.toml", "sessions/é/session.json"]))
            members[new] = members.pop(name)
        elif what == "drop" and len(members) > 1:
            del members[name]
        else:
            key = draw(st.sampled_from(["person", "person_uid", "version", "format", "pseudonym", "person_aliases"]))
            manifest[key] = draw(VALUES)
    if draw(st.integers(0, 9)) > 0:  # mostly an honest manifest again, so the validators are reached
        manifest["members"] = {n: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for n, d in members.items()}
    return members, manifest


def _lines(data: bytes) -> list[dict]:
    """The lines of an events file as a session reads them: a last line cut short (a crash while
    writing) is not an event."""
    text = data.decode()
    lines = [x for x in text.splitlines() if x.strip()]
    if lines and not text.endswith("\n"):
        try:
            json.loads(lines[-1])
        except ValueError:
            lines = lines[:-1]
    return [json.loads(x) for x in lines]


def _snapshot(data: Path) -> dict[str, str]:
    """Every file and its sha256 (the database's index file and empty folders aside)."""
    return {str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(data.rglob("*")) if p.is_file() and p.name not in ("formcheck.db-shm", ".space-reserve")}


def _outside(data: Path) -> list[str]:
    """Anything in the data folder that is not the database or a session, programme or profile."""
    return [p.name for p in data.iterdir() if p.name not in DATA_FILES | {"sessions", "programmes", "calibration"}]


def _counts(store: Store) -> dict[str, int]:
    return {t: store.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("people", "sessions", "sets", "reps", "holds", "faults", "cues", "notes", "verdicts", "programmes")}


@FUZZ
@given(data=st.data())
def test_a_mutated_bundle_is_imported_exactly_or_refused_whole(made, data):
    root, members, manifest = made
    members, manifest = data.draw(mutated_bundle(members, manifest))
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        work = Path(tmp)
        bundle = work / "b.formcheck"
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as zf:
            for n, d in members.items():
                zf.writestr(n, d)
            zf.writestr("manifest.json", json.dumps(manifest))
        clinic = work / "clinic"
        shutil.copytree(root / "clinic", clinic)
        before = _snapshot(clinic)
        store = Store(clinic / "formcheck.db")
        counted = _counts(store)
        try:
            report = import_bundle(store, bundle)
        except BundleError as refused:
            text = str(refused)
            assert text and "\n" not in text and "nothing was imported" in text.lower(), text
            assert _counts(store) == counted
            store.close()
            assert _snapshot(clinic) == before
            return
        finally:
            assert not list(work.parent.glob("z*")) and not (work / "x").exists()
        # Imported: exactly what the bundle holds, nothing outside the data folder.
        assert _outside(clinic) == [] and not [p for p in (clinic / "sessions").iterdir() if p.name.startswith(".")]
        for s in store.sessions():
            name = next(n for n in members if n.endswith("/session.json") and json.loads(members[n])["uid"] == s.uid)
            base = name.rsplit("/", 1)[0]
            for file in ("events.jsonl", "track.npys", "review.jsonl", "video.json"):
                if f"{base}/{file}" in members:
                    assert (s.folder / file).read_bytes() == members[f"{base}/{file}"]
            reps = sum(1 for x in _lines(members.get(f"{base}/events.jsonl", b"")) if x.get("type") in ("rep", "attempt"))
            detail = store.session_detail(s.id)
            assert sum(len(st_.reps) for st_ in detail.sets) == reps
            report_html(store, [s.id])  # and what came in can be shown
            rejudge_session(s.folder)
        assert len(report.sessions) == len(store.sessions())
        store.close()


# ---- session folders ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def folder_data(made):
    """The patient's data folder, without its database: session folders and programmes only."""
    root = made[0]
    data = root / "patient-folders"
    shutil.copytree(root / "patient", data)
    for db in data.glob("formcheck.db*"):
        db.unlink()
    return data


@FUZZ
@given(data=st.data())
def test_a_mutated_session_folder_is_rebuilt_or_listed_never_a_traceback(folder_data, data):
    with tempfile.TemporaryDirectory(dir=folder_data.parent) as tmp:
        work = Path(tmp) / "data"
        shutil.copytree(folder_data, work)
        files = sorted(p for p in work.rglob("*") if p.is_file())
        for _ in range(data.draw(st.integers(1, 3))):
            path = data.draw(st.sampled_from(files))
            raw = path.read_bytes()
            if path.suffix in (".json", ".jsonl") and data.draw(st.booleans()):
                raw = data.draw(json_edit(raw, path.suffix == ".jsonl"))
            elif path.suffix == ".toml" and data.draw(st.booleans()):
                raw = data.draw(toml_edit(raw))
            else:
                raw = data.draw(byte_edit(raw))
            path.write_bytes(raw)
        try:
            result = repair(work / "formcheck.db")
        except StoreError as refused:  # e.g. the rebuilt database did not check out: said in one sentence
            assert "\n" not in str(refused)
            return
        assert all("\n" not in s for s in result.skipped + result.lines)
        store = Store(work / "formcheck.db")
        indexed = {s.folder.name for s in store.sessions()}
        for folder in (p for p in (work / "sessions").iterdir() if p.is_dir()):  # rebuilt, or listed with why
            assert folder.name in indexed or any(s.startswith(f"{folder.name}: ") for s in result.skipped), folder.name
        ids = [s.id for s in store.sessions()]
        if ids:
            report_html(store, ids)
        for sid in ids:
            rejudge_session(store.session(sid).folder)
        store.close()
        assert _outside(work) == []
