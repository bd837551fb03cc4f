"""Issue 17: the cases of bad input, faults and hostile files that were not handled, one test each.

Each test is one case as a careful user or a security reviewer meets it, through the same entry
points (the CLI, bundle import, repair, the report) and with real files, SQLite and video. It
passes when the case is handled: refused or reported with one sentence, nothing lost or mixed,
the state right. ``CASES`` says which column of the issue's table a case falls in when it fails
(an unexpected exception is a traceback whatever the case); ``tools/hostile_cases.py`` runs
them all and prints the table (handled / traceback / data loss / wrong state / security).

The tests use the APIs that existed before the fixes where they can, so the same file, run on
the old code, shows what was wrong (``tools/hostile_cases.py --root <old checkout>``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from formcheck.cli import main
from formcheck.records.bundle_export import export_bundle
from formcheck.records.bundle_import import import_bundle
from formcheck.records.bundle_manifest import BundleError
from formcheck.records.database.connection import StoreError
from formcheck.records.repair import repair
from formcheck.records.store import Store
from formcheck.reports.session_report import report_html
from tests.conftest import ROOT, mounted_tmpfs, sample
from tests.records.scripted_sessions import Done, record

SECURITY, DATA_LOSS, WRONG_STATE, TRACEBACK = "security", "data loss", "wrong state", "traceback"
CASES: dict[str, tuple[str, str]] = {}  # test name -> (the case as the issue words it, its column)


def case(words: str, column: str):
    def register(test):
        CASES[test.__name__] = (words, column)
        return test

    return register


# ---- helpers ----------------------------------------------------------------------------------
def cli(monkeypatch, capsys, data: Path, *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(data))
    capsys.readouterr()
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def one_sentence(text: str) -> bool:
    text = text.strip()
    return bool(text) and "\n" not in text and "Traceback" not in text


def counts(store: Store) -> dict[str, int]:
    return {t: store.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("sessions", "sets", "reps", "notes", "programmes")}


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")} if folder.exists() else set()


def write_track(folder: Path, seconds: float = 12.0) -> None:
    """A landmark track as the recorder writes it (one .npy chunk), with a curve in the measure column."""
    from formcheck.records.session_track import TRACK_COLUMNS

    t = np.arange(0, seconds * 1000, 100, dtype=np.float32)
    rows = np.full((len(t), TRACK_COLUMNS), np.nan, np.float32)
    rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], rows[:, 4] = t, 0, 150 + 30 * np.sin(t / 800), 640, 480
    with (folder / "track.npys").open("ab") as f:
        np.save(f, rows)


def patient_data(tmp_path: Path, person: str = "Alice Smith", **kw) -> tuple[Store, int]:
    store = Store(tmp_path / "patient" / "formcheck.db")
    sid = record(store, person, [Done("glute_bridge", [False, True, False])], **kw)
    return store, sid


def prescribed(monkeypatch, capsys, clinic: Path, person: str, bundle: Path) -> Path:
    """A therapist's computer that prescribed ``person`` a programme (squat 1 × 5, through the CLI)
    and sent it in ``bundle``; returns the programme file it was imported from."""
    plan = clinic.parent / "plan.toml"
    plan.write_text('days_per_week = 3\nstart = 2026-11-02\n[[exercises]]\nid = "squat"\nsets = 1\nreps = 5\n')
    assert cli(monkeypatch, capsys, clinic, "programme", "import", str(plan), "--person", person)[0] == 0
    assert cli(monkeypatch, capsys, clinic, "bundle", "export", "--person", person, "--out", str(bundle))[0] == 0
    return plan


def patient_bundle(tmp_path: Path) -> Path:
    """``a.formcheck``: the bundle of a patient's data folder with one scripted session."""
    store, _ = patient_data(tmp_path)
    export_bundle(store, "Alice Smith", tmp_path / "a.formcheck")
    store.close()
    return tmp_path / "a.formcheck"


def rewrite(src: Path, dst: Path, change) -> None:
    """A bundle changed by ``change(members, manifest)`` and given an honest manifest again (every
    checksum recomputed): what someone who edits a bundle on purpose sends."""
    with zipfile.ZipFile(src) as zin:
        manifest = json.loads(zin.read("manifest.json"))
        members = {n: zin.read(n) for n in zin.namelist() if n != "manifest.json"}
    change(members, manifest)
    manifest["members"] = {n: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for n, d in members.items()}
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for n, d in members.items():
            zout.writestr(n, d)
        zout.writestr("manifest.json", json.dumps(manifest))


def edit_events(members: dict[str, bytes], edit) -> None:
    """``edit(line)`` on each line of every events.jsonl in the bundle."""
    for name in [n for n in members if n.endswith("events.jsonl")]:
        lines = [json.loads(x) for x in members[name].decode().splitlines() if x.strip()]
        members[name] = "".join(json.dumps(edit(line)) + "\n" for line in lines).encode()


def refused_whole(store: Store, path: Path) -> str:
    """Import ``path``; it must be refused with one sentence and leave nothing behind."""
    before, folders = counts(store), files_under(store.path.parent / "sessions")
    with pytest.raises(BundleError) as refused:
        import_bundle(store, path)
    assert one_sentence(str(refused.value)) and "nothing was imported" in str(refused.value).lower()
    assert counts(store) == before and files_under(store.path.parent / "sessions") == folders
    return str(refused.value)


class Tags(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def damage_middle(db: Path) -> None:
    """Garbage over three pages in the middle of the database file (its header stays valid)."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = bytearray(db.read_bytes())
    mid = (len(data) // 4096 // 2) * 4096
    data[mid:mid + 3 * 4096] = np.random.default_rng(7).integers(0, 256, 3 * 4096, dtype=np.uint8).tobytes()
    db.write_bytes(bytes(data))


def many_sessions(tmp_path: Path, n: int = 30) -> Path:
    store = Store(tmp_path / "data" / "formcheck.db")
    for _ in range(n):
        record(store, "Ann", [Done("glute_bridge", [False, True, False] * 3, sets=2)])
    store.close()
    return tmp_path / "data"


# ---- security -----------------------------------------------------------------------------------
@case("Stored XSS from an imported bundle: set number and rep index carrying markup reach the HTML report", SECURITY)
def test_s1_markup_in_a_bundle_never_becomes_markup_in_the_report(tmp_path):
    patient_bundle(tmp_path)

    def inject(line):
        if line["type"] == "set_start":
            line["number"] = '"><img src=x onerror=alert(2)>'
        if line["type"] in ("rep", "attempt"):
            line["index"] = "<script>alert(1)</script>"
        return line

    rewrite(tmp_path / "a.formcheck", tmp_path / "xss.formcheck", lambda m, _man: edit_events(m, inject))
    clinic = Store(tmp_path / "clinic" / "formcheck.db")
    try:
        import_bundle(clinic, tmp_path / "xss.formcheck")
    except BundleError as refused:
        assert one_sentence(str(refused)) and counts(clinic)["sessions"] == 0
    page = report_html(clinic, [s.id for s in clinic.sessions()]) if clinic.sessions() else ""
    tags = Tags(page).tags
    assert not [t for t, _a in tags if t == "script"]
    assert not [a for t, a in tags if "onerror" in a]
    clinic.close()


@case("Report fields escaped by construction, whatever the database holds", SECURITY)
def test_s1b_report_escapes_every_field_even_from_the_database(tmp_path):
    store, sid = patient_data(tmp_path)
    evil = "<script>alert(1)</script>"
    store.db.execute("UPDATE sets SET number = ?, exercise = ?, prescribed = ?", ('"><img src=x onerror=alert(2)>', evil, evil))
    store.db.execute("UPDATE reps SET idx = ?", (evil,))
    store.db.execute("UPDATE sessions SET source = ?, kind = ?, status = ?, end_reason = ?, flag = ?", (evil,) * 5)
    store.db.execute("UPDATE faults SET code = ?, message = ?", (evil, evil))
    page = report_html(store, [sid])
    tags = Tags(page).tags
    assert not [t for t, _a in tags if t == "script"] and not [a for t, a in tags if "onerror" in a]
    assert page.count("&lt;script&gt;") >= 5
    store.close()


@case("Path traversal through the session uid: the collision name resolves outside sessions/", SECURITY)
def test_s2_a_session_uid_can_not_point_outside_the_data_folder(tmp_path):
    patient_bundle(tmp_path)
    clinic = Store(tmp_path / "clinic" / "formcheck.db")
    import_bundle(clinic, tmp_path / "a.formcheck")
    existing = clinic.sessions()[0].folder.name

    def renamed(suffix: str, uid: str):
        def change(members, manifest):
            for name in list(members):
                parts = name.split("/")
                if parts[0] == "sessions":
                    data = members.pop(name)
                    if parts[2] == "session.json":
                        meta = json.loads(data)
                        meta["uid"] = uid
                        data = json.dumps(meta).encode()
                    members[f"sessions/{existing}{suffix}/{parts[2]}"] = data
        return change

    rewrite(tmp_path / "a.formcheck", tmp_path / "1.formcheck", renamed("-", "ab" * 16))
    rewrite(tmp_path / "a.formcheck", tmp_path / "2.formcheck", renamed("", "/../../zpwned" + "0" * 20))
    data = clinic.path.parent
    before = {p.name for p in data.iterdir()}
    for bundle in ("1.formcheck", "2.formcheck"):
        try:
            import_bundle(clinic, tmp_path / bundle)
        except BundleError as refused:
            assert one_sentence(str(refused))
    assert {p.name for p in data.iterdir()} <= before | {"calibration", "programmes"}
    assert not list(data.glob("z*")) and not list(tmp_path.glob("z*"))
    assert all(s.folder.parent == data / "sessions" for s in clinic.sessions())
    clinic.close()


@case("Zip bomb: a small bundle with an honest manifest writes a huge track.npys", SECURITY)
def test_s3_a_zip_bomb_is_refused_before_anything_is_written(tmp_path):
    patient_bundle(tmp_path)
    bomb = bytes(256 * 1024 * 1024)  # 256 MiB of zeros: a few hundred kB deflated

    def change(members, manifest):
        name = next(n for n in members if n.endswith("session.json")).replace("session.json", "track.npys")
        members[name] = bomb

    rewrite(tmp_path / "a.formcheck", tmp_path / "bomb.formcheck", change)
    assert (tmp_path / "bomb.formcheck").stat().st_size < 2 * 1024 * 1024
    clinic = Store(tmp_path / "clinic" / "formcheck.db")
    started = time.monotonic()
    refused_whole(clinic, tmp_path / "bomb.formcheck")
    assert time.monotonic() - started < 5  # refused from the zip's table of contents, not by unpacking it
    assert max((p.stat().st_size for p in (tmp_path / "clinic").rglob("*") if p.is_file()), default=0) < 64 * 1024 * 1024
    clinic.close()


@case("--pseudonym leaks the name in notes and the video file name", SECURITY)
def test_s4_a_pseudonymised_bundle_holds_the_name_nowhere(tmp_path, monkeypatch, capsys):
    store = Store(tmp_path / "patient" / "formcheck.db")
    video = tmp_path / "Alice_Smith_squat_2026-11-30.mp4"
    shutil.copy(sample("squat_good.mp4"), video)
    sid = record(store, "Alice Smith", [Done("squat", [False, True])], source=str(video), kind="file")
    store.add_note(sid, "Session note for Alice")
    rep = store.session_detail(sid).sets[0].reps[1]
    store.add_note(sid, "alice's knees drift in (smith said it hurt)", rep_id=rep.id)
    store.set_verdict(rep.faults[0].id, agree=True)
    (tmp_path / "plan.toml").write_text('days_per_week = 3\nstart = 2026-11-02\nnotes = "For Alice Smith"\n'
                                        '[[exercises]]\nid = "squat"\nsets = 1\nreps = 5\nnotes = "Alice: go slow"\n')
    store.close()
    data = tmp_path / "patient"
    assert cli(monkeypatch, capsys, data, "programme", "import", str(tmp_path / "plan.toml"), "--person", "Alice Smith")[0] == 0
    out = tmp_path / "p.formcheck"
    rc, _, err = cli(monkeypatch, capsys, data, "bundle", "export", "--person", "Alice Smith", "--pseudonym", "P-017",
                     "--out", str(out))
    assert rc == 0, err
    with zipfile.ZipFile(out) as zf:
        leaks = {n: w for n in zf.namelist() for w in (b"alice", b"smith") if w in zf.read(n).lower()}
    assert leaks == {}
    clinic = Store(tmp_path / "clinic" / "formcheck.db")
    import_bundle(clinic, out)  # and it still imports whole
    d = clinic.session_detail(clinic.sessions()[0].id)
    assert d.person == "P-017" and d.notes == ("Session note for P-017",)
    clinic.close()


@case("A bundle's programme naming exercise ../../etc/passwd with 10^12 reps is accepted", SECURITY)
def test_s5_a_bundle_programme_is_checked_like_programme_import(tmp_path):
    clinic = Store(tmp_path / "clinic" / "formcheck.db")
    from formcheck.exercises.programme_file import loads
    from formcheck.records import programme_store

    programme_store.save(clinic, loads('person = "Ann"\ndays_per_week = 3\nstart = 2026-11-02\n'
                                       '[[exercises]]\nid = "squat"\nsets = 1\nreps = 5\n'))
    export_bundle(clinic, "Ann", tmp_path / "a.formcheck")
    clinic.close()

    def change(members, manifest):
        name = next(n for n in members if n.startswith("programmes/"))
        text = members[name].decode().replace('id = "squat"', 'id = "../../etc/passwd"').replace("reps = 5",
                                                                                                "reps = 1000000000000")
        members[name] = text.encode()

    rewrite(tmp_path / "a.formcheck", tmp_path / "bad.formcheck", change)
    home = Store(tmp_path / "home" / "formcheck.db")
    refused_whole(home, tmp_path / "bad.formcheck")
    assert programme_store.current_programme(home, "Ann") is None
    home.close()


# ---- data loss or mixing ------------------------------------------------------------------------
WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[2])
    from formcheck.core.events import RepCompleted, SetEnded, SetStarted, SetSummary
    from formcheck.core.reps import RepRecord
    from formcheck.exercises.loader import load_by_id
    from formcheck.records.recorder import SessionRecorder
    from formcheck.records.store import Store

    store = Store(Path(sys.argv[1]))
    ex = load_by_id("glute_bridge")
    rec = SessionRecorder(store, "Dee", "camera 0", "live")
    rec.on_frame(None, None, [SetStarted(0, ex, 1)])
    for i in range(7):
        t = 1000 + i * 2500
        rec.on_frame(None, None, [RepCompleted(t + 2000, RepRecord(None, t, True, t + 800, t + 1200, t + 2000,
                                                                  175.0, 130.0, {}))])
        rec.flush()
        if i == 0:
            print("recording", flush=True)
            sys.stdin.readline()  # the test runs repair now
    rec.on_frame(None, None, [SetEnded(20000, SetSummary(1, {"all": 7}, 0.0, 0, {}, "dose"))])
    rec.finish()
    store.close()
    print("saved 7 reps", flush=True)
""")


def writer(db: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(ROOT)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "recording"
    return child


@case("repair while analyze --record is writing: the new database has 1 of 7 reps and the session is marked wrong", DATA_LOSS)
def test_d6_repair_never_touches_a_session_being_recorded(tmp_path):
    db = tmp_path / "data" / "formcheck.db"
    Store(db).close()
    child = writer(db)
    try:
        repair(db)
    except StoreError as refused:
        assert one_sentence(str(refused))
    finally:
        child.communicate("go\n", timeout=60)
    assert child.returncode == 0
    store = Store(db)
    [session] = store.sessions()
    detail = store.session_detail(session.id)
    assert len(detail.sets[0].reps) == 7 and session.status == "complete"
    assert json.loads((session.folder / "session.json").read_text())["status"] == "complete"
    store.close()


@case("repair replaces a database another process holds: its committed row ends up in the replaced file", DATA_LOSS)
def test_d7_repair_refuses_while_another_process_uses_the_database(tmp_path):
    db = tmp_path / "data" / "formcheck.db"
    store = Store(db)
    sid = record(store, "Ann", [Done("glute_bridge", [False, True])])
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sys; sys.path.insert(0, sys.argv[2])
        from pathlib import Path
        from formcheck.records.store import Store
        store = Store(Path(sys.argv[1]))
        print("open", flush=True); sys.stdin.readline()
        store.add_note(1, "written after the repair started")
        store.close()
        """), str(db), str(ROOT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
    store.close()
    try:
        repair(db)
    except StoreError as refused:
        assert one_sentence(str(refused))
    holder.communicate("go\n", timeout=60)
    store = Store(db)
    assert store.session_detail(sid).notes == ("written after the repair started",)
    store.close()


@case("Two repairs in the same second give the backup the same name; the second overwrites the original", DATA_LOSS)
def test_d7b_two_repairs_in_one_second_keep_both_backups(tmp_path, monkeypatch):
    import formcheck.records.repair as repair_module

    db = tmp_path / "data" / "formcheck.db"
    store = Store(db)
    record(store, "Ann", [Done("glute_bridge", [False, True])])
    store.db.execute("INSERT INTO cues(session_id, t_s, kind, text) VALUES (1, 0, 'x', 'only in the original')")
    store.close()
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    original = hashlib.sha256(db.read_bytes()).hexdigest()

    class Frozen(repair_module.datetime):  # type: ignore[misc, name-defined]
        @classmethod
        def now(cls, tz=None):
            return repair_module.datetime(2026, 11, 30, 10, 0, 0, tzinfo=tz)

    monkeypatch.setattr(repair_module, "datetime", Frozen)
    repair(db)
    repair(db)
    backups = [p for p in db.parent.iterdir() if ".replaced-" in p.name and not p.name.endswith(("-wal", "-shm"))]
    assert len(backups) == 2
    assert original in {hashlib.sha256(p.read_bytes()).hexdigest() for p in backups}


@case("A copied data folder writes notes into the original's review.jsonl", DATA_LOSS)
def test_d8_a_copied_data_folder_writes_only_into_itself(tmp_path):
    store, sid = patient_data(tmp_path)
    original = store.session(sid).folder
    store.close()
    copy = tmp_path / "copy"
    shutil.copytree(tmp_path / "patient", copy)
    review = original / "review.jsonl"
    before = review.read_bytes() if review.exists() else b""
    store = Store(copy / "formcheck.db")
    store.add_note(sid, "written in the copy")
    assert store.session(sid).folder == copy / "sessions" / original.name
    store.close()
    assert (review.read_bytes() if review.exists() else b"") == before
    assert b"written in the copy" in (copy / "sessions" / original.name / "review.jsonl").read_bytes()


@case("After moving the data folder: reports lose curves, rejudge finds no sets, export leaves out every session", DATA_LOSS)
def test_d8b_a_moved_data_folder_keeps_working(tmp_path, monkeypatch, capsys):
    from formcheck.analysis.rejudge import rejudge_session

    store, sid = patient_data(tmp_path)
    write_track(store.session(sid).folder)
    store.close()
    moved = tmp_path / "moved"
    shutil.move(tmp_path / "patient", moved)
    store = Store(moved / "formcheck.db")
    folder = store.session(sid).folder
    assert folder.is_dir()
    assert any(a.get("alt") == "angle curve" for _t, a in Tags(report_html(store, [sid])).tags)
    assert len(rejudge_session(folder)) == 1
    store.close()
    rc, out, _ = cli(monkeypatch, capsys, moved, "bundle", "export", "--person", "Alice Smith", "--out",
                     str(tmp_path / "m.formcheck"))
    assert rc == 0 and "1 session(s)" in out and "left out" not in out


@case("A bundle from a different Alice merges into the local Alice, and her programme becomes current", DATA_LOSS)
def test_d9_a_different_person_of_the_same_name_is_never_merged_silently(tmp_path, monkeypatch, capsys):
    plan = prescribed(monkeypatch, capsys, tmp_path / "other-clinic", "Alice", tmp_path / "o.formcheck")
    home = tmp_path / "home"
    store = Store(home / "formcheck.db")
    record(store, "Alice", [Done("glute_bridge", [False])])
    store.close()
    plan.write_text(plan.read_text().replace("squat", "glute_bridge"))
    assert cli(monkeypatch, capsys, home, "programme", "import", str(plan), "--person", "Alice")[0] == 0
    rc, _out, err = cli(monkeypatch, capsys, home, "bundle", "import", str(tmp_path / "o.formcheck"))
    store = Store(home / "formcheck.db")
    from formcheck.records import programme_store

    current = programme_store.current_programme(store, "Alice")
    assert current is not None and current.items[0].exercise == "glute_bridge"  # hers, not the other Alice's
    assert rc == 2 and one_sentence(err) and "--as" in err
    store.close()


@case("A --no-video bundle shows someone else's video that sits at its source path", DATA_LOSS)
def test_d10_a_session_never_shows_another_video_at_its_source_path(tmp_path):
    video = tmp_path / "clip.mp4"
    shutil.copy(sample("glute_bridge_low.mp4"), video)
    store = Store(tmp_path / "patient" / "formcheck.db")
    sid = record(store, "Ann", [Done("glute_bridge", [True, True])], source=str(video), kind="file")
    assert any(a.get("alt") == "frame" for _t, a in Tags(report_html(store, [sid])).tags)  # its own video: shown
    export_bundle(store, "Ann", tmp_path / "a.formcheck", video=False)
    store.close()
    shutil.copy(sample("squat_good.mp4"), video)  # someone else's video now sits at that path
    clinic = Store(tmp_path / "clinic" / "formcheck.db")
    import_bundle(clinic, tmp_path / "a.formcheck")
    page = report_html(clinic, [clinic.sessions()[0].id])
    assert not any(a.get("alt") == "frame" for _t, a in Tags(page).tags) and "(video not kept)" in page
    clinic.close()


# ---- tracebacks ---------------------------------------------------------------------------------
@case("A database damaged mid-file crashes `sessions` and `report`", TRACEBACK)
def test_t1_a_database_damaged_mid_file_gives_one_sentence(tmp_path, monkeypatch, capsys):
    data = many_sessions(tmp_path)
    damage_middle(data / "formcheck.db")
    for args in (("sessions",), ("report", "1", "--format", "html"), ("report", "--person", "Ann", "--format", "csv")):
        rc, _out, err = cli(monkeypatch, capsys, data, *args)
        assert rc == 2 and one_sentence(err) and "formcheck repair" in err, (args, err)


APP = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from formcheck.ui.app import build_window
    app = QApplication([])
    window = build_window()
    window.show()
    QTimer.singleShot(1500, app.quit)
    app.exec()
    print("problem:", window.controller.store_problem)
""")


@case("A database damaged mid-file crashes the app at start", TRACEBACK)
def test_t1b_the_app_starts_on_a_damaged_database_and_says_so(tmp_path):
    data = many_sessions(tmp_path)
    damage_middle(data / "formcheck.db")
    env = dict(os.environ, FORMCHECK_DATA_DIR=str(data), FORMCHECK_CONFIG_DIR=str(tmp_path / "config"),
               QT_QPA_PLATFORM="offscreen")
    run = subprocess.run([sys.executable, "-c", APP, str(ROOT)], env=env, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    assert run.returncode == 0 and "formcheck repair" in run.stdout


def analyze_record(data: Path, model_path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), FORMCHECK_DATA_DIR=str(data),
               FORMCHECK_MODELS_DIR=str(model_path.parent), FORMCHECK_CONFIG_DIR=str(data / "config"))
    return subprocess.run([sys.executable, "-m", "formcheck", "analyze", str(sample("squat_good.mp4")), "--exercise",
                           "squat", "--record", "--no-progress", "--jobs", "1", "--out", str(tmp_path / "out")],
                          env=env, capture_output=True, text=True, timeout=300)


@case("A read-only database crashes analyze --record and leaves an empty session folder", TRACEBACK)
def test_t2_analyze_record_on_a_read_only_database_says_so_and_leaves_nothing(tmp_path, model_path):
    data = tmp_path / "data"
    Store(data / "formcheck.db").close()
    db = data / "formcheck.db"
    if subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i (an immutable file, read-only even for root) is not available here")
    try:
        run = analyze_record(data, model_path, tmp_path)
    finally:
        subprocess.run(["chattr", "-i", str(db)], check=True)
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr[-2000:]
    assert one_sentence(run.stderr.strip().splitlines()[-1])
    assert not list((data / "sessions").glob("*"))


@case("A locked database crashes analyze --record and leaves an empty session folder", TRACEBACK)
def test_t3_analyze_record_on_a_locked_database_says_so_and_leaves_nothing(tmp_path, model_path):
    data = tmp_path / "data"
    Store(data / "formcheck.db").close()
    lock = sqlite3.connect(data / "formcheck.db", isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # another program writing, for longer than formcheck waits
    try:
        run = analyze_record(data, model_path, tmp_path)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr[-2000:]
    assert not list((data / "sessions").glob("*"))


@case("A missing table (no such table: ratings)", TRACEBACK)
def test_t4_a_missing_table_gives_one_sentence_and_repair_fixes_it(tmp_path, monkeypatch, capsys):
    data = many_sessions(tmp_path, 2)
    con = sqlite3.connect(data / "formcheck.db")
    con.execute("DROP TABLE ratings")
    con.commit()
    con.close()
    for args in (("sessions",), ("report", "1", "--format", "json")):
        rc, _out, err = cli(monkeypatch, capsys, data, *args)
        assert rc == 2 and one_sentence(err) and "formcheck repair" in err
    assert cli(monkeypatch, capsys, data, "repair")[0] == 0
    assert cli(monkeypatch, capsys, data, "sessions")[0] == 0


def three_sessions(tmp_path: Path) -> tuple[Path, list[Path]]:
    store = Store(tmp_path / "data" / "formcheck.db")
    ids = [record(store, "Ann", [Done("glute_bridge", [False, True, False])]) for _ in range(3)]
    folders = [store.session(i).folder for i in ids]
    store.close()
    return tmp_path / "data", folders


def repaired(monkeypatch, capsys, data: Path) -> tuple[int, str, Store]:
    rc, out, err = cli(monkeypatch, capsys, data, "repair")
    assert "Traceback" not in err
    return rc, out + err, Store(data / "formcheck.db")


@case("A {\"type\":\"rep\"} line inside a set makes repair rebuild nothing", TRACEBACK)
def test_t5_a_bad_event_line_is_left_out_and_everything_else_rebuilt(tmp_path, monkeypatch, capsys):
    data, folders = three_sessions(tmp_path)
    events = folders[1] / "events.jsonl"
    lines = events.read_text().splitlines()
    events.write_text("\n".join([lines[0], '{"type": "rep"}', *lines[1:]]) + "\n")
    rc, text, store = repaired(monkeypatch, capsys, data)
    assert [len(store.session_detail(s.id).sets[0].reps) for s in store.sessions()] == [3, 3, 3]
    assert "events.jsonl line 2" in text
    store.close()


@case("A session.json without person makes repair rebuild nothing", TRACEBACK)
def test_t6_a_session_json_without_person_is_reported_and_the_rest_rebuilt(tmp_path, monkeypatch, capsys):
    data, folders = three_sessions(tmp_path)
    meta = json.loads((folders[0] / "session.json").read_text())
    del meta["person"]
    (folders[0] / "session.json").write_text(json.dumps(meta))
    for db in data.glob("formcheck.db*"):  # the database lost: the folders are all there is
        db.unlink()
    rc, text, store = repaired(monkeypatch, capsys, data)
    assert len(store.sessions()) == 2 and folders[0].name in text and "person" in text
    assert (folders[0] / "events.jsonl").stat().st_size > 0  # its files are kept as they are
    store.close()


@case("A 1-D track.npys makes repair rebuild nothing and crashes report and rejudge", TRACEBACK)
def test_t7_a_one_dimensional_track_is_skipped_everywhere(tmp_path, monkeypatch, capsys):
    data, folders = three_sessions(tmp_path)
    with (folders[2] / "track.npys").open("wb") as f:
        np.save(f, np.arange(10, dtype=np.float32))
    rc, _text, store = repaired(monkeypatch, capsys, data)
    assert len(store.sessions()) == 3
    sid = store.sessions()[2].id
    store.close()
    for args in (("report", str(sid), "--format", "html"), ("rejudge", str(sid))):
        rc, _out, err = cli(monkeypatch, capsys, data, *args)
        assert rc == 0 and "Traceback" not in err


@case("A huge track.npys header: MemoryError", TRACEBACK)
def test_t8_a_track_header_claiming_terabytes_is_not_believed(tmp_path, monkeypatch, capsys):
    data, folders = three_sessions(tmp_path)
    header = {"descr": "<f4", "fortran_order": False, "shape": (10**12, 269)}
    with (folders[0] / "track.npys").open("wb") as f:
        np.lib.format.write_array_header_1_0(f, header)
        f.write(bytes(4096))
    for args in (("report", "1", "--format", "html"), ("rejudge", "1"), ("repair",)):
        rc, _out, err = cli(monkeypatch, capsys, data, *args)
        assert rc == 0 and "Traceback" not in err, (args, err)


@case("A string start_s breaks the HTML report", TRACEBACK)
def test_t9_a_string_time_never_reaches_the_report(tmp_path, monkeypatch, capsys):
    data, folders = three_sessions(tmp_path)
    events = folders[0] / "events.jsonl"
    text = events.read_text()
    assert '"start_s": 3.5' in text  # the flagged rep: its card shows its times
    events.write_text(text.replace('"start_s": 3.5', '"start_s": "soon"', 1))
    rc, _text, store = repaired(monkeypatch, capsys, data)
    ids = [s.id for s in store.sessions()]
    store.close()
    rc, out, err = cli(monkeypatch, capsys, data, "report", "--person", "Ann", "--format", "html")
    assert rc == 0 and "<html>" in out and "Traceback" not in err
    assert len(ids) == 3


@case("An all-NaN track breaks the HTML report", TRACEBACK)
def test_t10_an_all_nan_track_reports(tmp_path, monkeypatch, capsys):
    from formcheck.records.session_track import TRACK_COLUMNS

    video = tmp_path / "clip.mp4"
    shutil.copy(sample("glute_bridge_low.mp4"), video)
    store = Store(tmp_path / "data" / "formcheck.db")
    sid = record(store, "Ann", [Done("glute_bridge", [True, True])], source=str(video), kind="file")
    folder = store.session(sid).folder
    store.close()
    data = tmp_path / "data"
    with (folder / "track.npys").open("wb") as f:  # the frames at the faults are drawn with the track's pose
        np.save(f, np.full((50, TRACK_COLUMNS), np.nan, np.float32))
    for args in (("report", "1", "--format", "html"), ("rejudge", "1")):
        rc, _out, err = cli(monkeypatch, capsys, data, *args)
        assert rc == 0 and "Traceback" not in err, (args, err)


@case("\"started\": \"yesterday\" breaks the HTML report and bundle export --since", TRACEBACK)
def test_t11_a_start_time_that_is_not_a_time(tmp_path, monkeypatch, capsys):
    data, folders = three_sessions(tmp_path)
    meta = json.loads((folders[0] / "session.json").read_text())
    meta["started"] = "yesterday"
    (folders[0] / "session.json").write_text(json.dumps(meta))
    repaired(monkeypatch, capsys, data)[2].close()
    for args in (("report", "--person", "Ann", "--format", "html"),
                 ("bundle", "export", "--person", "Ann", "--since", "2026-01-01", "--out", str(tmp_path / "b.formcheck"))):
        rc, _out, err = cli(monkeypatch, capsys, data, *args)
        assert rc == 0 and "Traceback" not in err, (args, err)


@case("A programme version of 2^63−1 makes every later programme import for that person fail", TRACEBACK)
def test_t12_a_huge_programme_version_is_refused_and_later_imports_work(tmp_path, monkeypatch, capsys):
    plan = prescribed(monkeypatch, capsys, tmp_path / "clinic", "Ann", tmp_path / "a.formcheck")

    def change(members, manifest):
        name = next(n for n in members if n.startswith("programmes/"))
        members[name] = members[name].replace(b"version = 1", b"version = 9223372036854775807")

    rewrite(tmp_path / "a.formcheck", tmp_path / "big.formcheck", change)
    home = tmp_path / "home"
    rc, _out, err = cli(monkeypatch, capsys, home, "bundle", "import", str(tmp_path / "big.formcheck"))
    assert "Traceback" not in err
    plan.write_text(plan.read_text().replace("reps = 5", "reps = 6"))
    rc, out, err = cli(monkeypatch, capsys, home, "programme", "import", str(plan), "--person", "Ann")
    assert rc == 0 and "saved" in out, err


@case("A custom exercise with hysteresis = -50 and ±1e308 targets passes the loader and breaks the report", TRACEBACK)
def test_t13_an_exercise_with_negative_hysteresis_or_huge_targets_is_refused(tmp_path, monkeypatch, capsys):
    from formcheck.exercises.loader import LIBRARY_DIR, load_library

    custom = tmp_path / "custom"
    custom.mkdir()
    text = (LIBRARY_DIR / "glute_bridge.toml").read_text()
    assert "hysteresis = 3\n" in text and "start = 145 " in text and "target = 152 " in text
    (custom / "my_neg.toml").write_text(text.replace('id = "glute_bridge"', 'id = "my_neg"')
                                        .replace("hysteresis = 3\n", "hysteresis = -50\n"))
    (custom / "my_big.toml").write_text(text.replace('id = "glute_bridge"', 'id = "my_big"')
                                        .replace("start = 145 ", "start = -1e308 ").replace("target = 152 ", "target = 1e308 "))
    library = load_library(custom_dir=custom)
    assert {Path(p.file).name for p in library.problems} == {"my_neg.toml", "my_big.toml"}
    assert "my_neg" not in library.exercises and "my_big" not in library.exercises


# ---- wrong states -------------------------------------------------------------------------------
@pytest.fixture
def tiny_disk(tmp_path):
    yield from mounted_tmpfs(tmp_path / "tiny", "8m")


@case("repair on a full disk reports success but leaves the database unreadable", WRONG_STATE)
def test_w1_repair_on_a_full_disk_fails_and_keeps_the_old_database(tiny_disk, monkeypatch, capsys):
    data = tiny_disk / "data"
    store = Store(data / "formcheck.db")
    for _ in range(10):
        record(store, "Ann", [Done("glute_bridge", [False, True, False] * 4, sets=2)])
    store.close()
    size = (data / "formcheck.db").stat().st_size
    filler = tiny_disk / "filler"
    failed = 0
    # From no room at all to room for the new database's log but not for the database itself.
    for spare_kb in range(0, 1300, 100):
        filler.write_bytes(bytes(max(0, shutil.disk_usage(tiny_disk).free - size - spare_kb * 1024)))
        rc, out, err = cli(monkeypatch, capsys, data, "repair")
        filler.unlink()
        assert "Traceback" not in err
        failed += rc != 0
        if rc != 0:
            assert one_sentence(err) and "rebuilt" not in out
        store = Store(data / "formcheck.db")  # whatever happened, the database is readable and whole
        assert len(store.sessions()) == 10 and store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        store.close()
    assert failed  # the disk was full for some


@case("With events.jsonl unreadable, repair silently rebuilds the session with 0 reps", WRONG_STATE)
def test_w2_an_unreadable_events_file_is_reported_not_rebuilt_empty(tmp_path, monkeypatch, capsys):
    data, folders = three_sessions(tmp_path)
    (folders[1] / "events.jsonl").rename(folders[1] / "events.kept")
    (folders[1] / "events.jsonl").mkdir()  # a file that can't be read (root reads through chmod 000)
    rc, text, store = repaired(monkeypatch, capsys, data)
    assert rc == 1 and folders[1].name in text and "events.jsonl" in text
    assert all(len(store.session_detail(s.id).sets[0].reps) == 3 for s in store.sessions())
    assert len(store.sessions()) == 2
    store.close()


@case("A killed session whose pid is reused stays 'recording' for ever and can't be exported", WRONG_STATE)
def test_w3_a_reused_pid_is_not_the_recording_process(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    store = Store(data / "formcheck.db")
    sid = record(store, "Ann", [Done("glute_bridge", [False, True])])
    other = subprocess.Popen(["sleep", "60"])  # a process started after the session, given its pid
    try:
        time.sleep(1.1)
        store.db.execute("UPDATE sessions SET status = 'recording', ended = NULL, pid = ?, started = ? WHERE id = ?",
                         (other.pid, "2026-01-01T10:00:00+00:00", sid))
        folder = store.session(sid).folder
        meta = json.loads((folder / "session.json").read_text())
        meta |= {"status": "recording", "pid": other.pid, "started": "2026-01-01T10:00:00+00:00"}
        meta.pop("pid_start", None)
        (folder / "session.json").write_text(json.dumps(meta))
        store.close()
        store = Store(data / "formcheck.db")
        assert store.session(sid).status == "interrupted"
        store.close()
        rc, out, _ = cli(monkeypatch, capsys, data, "bundle", "export", "--person", "Ann", "--out", str(tmp_path / "a.formcheck"))
        assert rc == 0 and "1 session(s)" in out
    finally:
        other.kill()
        other.wait()


@case("Concurrent first starts on a new data folder sometimes fail (table people already exists)", WRONG_STATE)
def test_w4_concurrent_first_starts_never_fail(tmp_path):
    failures = []
    for round_ in range(15):
        db = tmp_path / f"data{round_}" / "formcheck.db"
        barrier = threading.Barrier(6)

        def start(db=db, barrier=barrier):
            barrier.wait()
            try:
                Store(db).close()
            except StoreError as exc:
                failures.append(str(exc))

        threads = [threading.Thread(target=start) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert failures == []


@case("A database from a newer schema (user_version 99) is read and written", WRONG_STATE)
def test_w5_a_newer_schema_is_refused_and_left_alone(tmp_path, monkeypatch, capsys):
    data = many_sessions(tmp_path, 1)
    db = data / "formcheck.db"
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version = 99")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    rc, _out, err = cli(monkeypatch, capsys, data, "sessions")
    assert rc == 2 and one_sentence(err) and "newer formcheck" in err
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


@case("A valid file with 1,000,000 fps metadata loses 72 of 90 frames and is called truncated", WRONG_STATE)
def test_w6_an_impossible_frame_rate_loses_no_frames(tmp_path, caplog):
    import logging
    from fractions import Fraction

    import av

    from formcheck.video.file_sources import VideoFileSource

    path = tmp_path / "fast.mp4"
    tb = Fraction(1, 1_000_000)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=1_000_000)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        stream.time_base = stream.codec_context.time_base = tb
        for i in range(90):
            frame = av.VideoFrame.from_ndarray(np.full((120, 160, 3), i * 2, np.uint8), format="bgr24")
            frame.pts, frame.time_base = i, tb
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    with caplog.at_level(logging.WARNING):
        frames = list(VideoFileSource(path))
    assert len(frames) == 90 and "truncated" not in caplog.text
    assert all(b.t_ms > a.t_ms for a, b in zip(frames, frames[1:], strict=False))


@case("A FIFO named *.toml in the exercises folder hangs `formcheck exercises` and the app at start", WRONG_STATE)
def test_w7_a_fifo_in_the_exercises_folder_is_skipped_not_waited_on(tmp_path):
    custom = tmp_path / "custom"
    custom.mkdir()
    os.mkfifo(custom / "stuck.toml")
    env = dict(os.environ, PYTHONPATH=str(ROOT), FORMCHECK_EXERCISES_DIR=str(custom))
    try:
        run = subprocess.run([sys.executable, "-m", "formcheck", "exercises"], env=env, capture_output=True, text=True,
                             timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("formcheck exercises waited on the FIFO")
    assert run.returncode == 0 and "stuck.toml" in run.stderr and "Traceback" not in run.stderr


DOSES = [("sets = 1\nreps = 5", "sets = 100000000000000000000000000000\nreps = 5"),
         ("sets = 1\nreps = 5", "sets = 1\nreps = 9223372036854775807")]


@case("Doses such as 10^29 sets or 2^63−1 reps are accepted", WRONG_STATE)
@pytest.mark.parametrize(("good", "bad"), DOSES, ids=["10^29 sets", "2^63-1 reps"])
def test_w8_absurd_doses_are_refused_wherever_a_dose_is_read(tmp_path, monkeypatch, capsys, good, bad):
    from formcheck.exercises.loader import LIBRARY_DIR, load_library

    plan = tmp_path / "plan.toml"
    plan.write_text(f'days_per_week = 3\nstart = 2026-11-02\n[[exercises]]\nid = "squat"\n{bad}\n')
    rc, _out, err = cli(monkeypatch, capsys, tmp_path / "data", "programme", "import", str(plan), "--person", "Ann")
    assert rc == 2 and one_sentence(err)
    custom = tmp_path / "custom"
    custom.mkdir()
    text = (LIBRARY_DIR / "squat.toml").read_text().replace('id = "squat"', 'id = "my_squat"')
    assert "[dose]\nsets = 2\nreps = 10\n" in text
    (custom / "my_squat.toml").write_text(text.replace("[dose]\nsets = 2\nreps = 10\n", f"[dose]\n{bad}\n"))
    assert "my_squat" not in load_library(custom_dir=custom).exercises
