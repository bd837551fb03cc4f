"""Bundles between two data folders (the patient's and the therapist's), through the real CLI:
nothing duplicated or lost, and damaged, truncated, tampered or foreign files refused whole."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest

from formcheck.cli import main
from formcheck.records import programme_store
from formcheck.records.bundle_export import export_bundle
from formcheck.records.bundle_import import import_bundle
from formcheck.records.bundle_manifest import BundleError
from formcheck.records.repair import repair
from formcheck.records.session_review import Note, Verdict, read_review
from formcheck.records.store import Store
from tests.conftest import PERSON
from tests.records.scripted_sessions import Done, record

PROGRAMME = """\
days_per_week = 3
start = 2026-11-02
[[exercises]]
id = "glute_bridge"
sets = 1
reps = 3
"""


def counts(store: Store) -> dict[str, int]:
    return {t: store.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("sessions", "sets", "reps", "faults", "verdicts", "notes", "ratings", "programmes")}


def run(monkeypatch, data: Path, *args: str) -> int:
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(data))
    return main(list(args))


def test_sessions_go_to_the_therapist_and_verdicts_and_programme_come_back(recorded_bridges, tmp_path, monkeypatch,
                                                                          capsys):
    patient, clinic = recorded_bridges.path.parent, tmp_path / "clinic"
    (tmp_path / "plan.toml").write_text(PROGRAMME)
    # The therapist prescribes at the clinic and sends the programme home.
    assert run(monkeypatch, clinic, "programme", "import", str(tmp_path / "plan.toml"), "--person", PERSON) == 0
    assert run(monkeypatch, clinic, "bundle", "export", "--person", PERSON, "--out", str(tmp_path / "1.formcheck")) == 0
    # The patient's computer made its own Eve when it recorded: the same name, another person record,
    # so the first bundle asks whose it is (never a silent merge) ...
    assert run(monkeypatch, patient, "bundle", "import", str(tmp_path / "1.formcheck")) == 2
    assert "is not the" in capsys.readouterr().err
    # ... and once told, both computers know the two records are one person.
    assert run(monkeypatch, patient, "bundle", "import", str(tmp_path / "1.formcheck"), "--as", PERSON,
               "--confirm-programme") == 0
    assert "added 0 session(s), 0 verdict/note line(s) to sessions already here, 1 programme version(s)" in (
        capsys.readouterr().out)
    # At home: one session that follows it, with pain and effort.
    home = Store(patient / "formcheck.db")
    v1 = programme_store.current_programme(home, PERSON)
    record(home, PERSON, [Done("glute_bridge", [False, True, False], effort=4)], programme=(v1.uid, 1), pain=(2, 3))
    before = counts(home)
    home.close()
    assert run(monkeypatch, patient, "bundle", "export", "--person", PERSON, "--out", str(tmp_path / "2.formcheck")) == 0
    assert run(monkeypatch, clinic, "bundle", "import", str(tmp_path / "2.formcheck")) == 0
    assert run(monkeypatch, clinic, "bundle", "import", str(tmp_path / "2.formcheck")) == 0  # again: nothing new
    out = capsys.readouterr().out
    assert "added 3 session(s)" in out and "3 session(s) were here already" in out

    clinic_store = Store(clinic / "formcheck.db")
    assert counts(clinic_store) == before
    # The therapist reviews: disagrees with a flag, writes a note, and raises the dose.
    flagged = [(d, r) for s in clinic_store.sessions(PERSON) for d in [clinic_store.session_detail(s.id)]
               for st in d.sets for r in st.reps if r.faults]
    low_bridge, rep = flagged[0]
    clinic_store.set_verdict(rep.faults[0].id, agree=False)
    clinic_store.add_note(low_bridge.id, "Hips were fine here; camera angle.", rep_id=rep.id)
    programme_store.save(clinic_store, _grown(v1))
    clinic_store.close()
    assert run(monkeypatch, clinic, "bundle", "export", "--person", PERSON, "--no-video",
               "--out", str(tmp_path / "3.formcheck")) == 0
    assert run(monkeypatch, patient, "bundle", "import", str(tmp_path / "3.formcheck")) == 0
    assert run(monkeypatch, patient, "bundle", "import", str(tmp_path / "3.formcheck")) == 0
    out = capsys.readouterr().out.split("imported ")
    assert "added 0 session(s), 2 verdict/note line(s) to sessions already here, 1 programme version(s); " \
           "3 session(s) were here already" in out[1]
    assert "added 0 session(s), 0 verdict/note line(s) to sessions already here, 0 programme version(s)" in out[2]
    # The therapist's new dose waits until confirmed: a bundle never changes the programme by itself.
    assert "waits for the therapist: `formcheck programme confirm --person" in out[1]
    home = Store(patient / "formcheck.db")
    assert programme_store.current_programme(home, PERSON).items[0].dose.reps == 3
    home.close()
    assert run(monkeypatch, patient, "programme", "confirm", "--person", PERSON) == 0

    home = Store(patient / "formcheck.db")
    after = counts(home)
    assert after == before | {"verdicts": 1, "notes": 1, "programmes": 2}
    uid = low_bridge.uid
    sid = home.db.execute("SELECT id FROM sessions WHERE uid = ?", (uid,)).fetchone()[0]
    lines = read_review(home.session(sid).folder).items
    assert [type(line) for line in lines] == [Verdict, Note]  # once each
    assert programme_store.current_programme(home, PERSON).items[0].dose.reps == 5
    home.close()
    # Round trip once more: the clinic gets nothing twice; and a rebuilt database keeps the review.
    assert run(monkeypatch, patient, "bundle", "export", "--person", PERSON, "--out", str(tmp_path / "4.formcheck")) == 0
    assert run(monkeypatch, clinic, "bundle", "import", str(tmp_path / "4.formcheck")) == 0
    clinic_store = Store(clinic / "formcheck.db")
    assert counts(clinic_store) == after
    clinic_store.close()
    recorded_bridges.close()  # repair needs the database to itself
    repair(patient / "formcheck.db")
    home = Store(patient / "formcheck.db")
    assert counts(home) == after
    home.close()


def _grown(v1):
    import dataclasses

    return dataclasses.replace(v1, items=(dataclasses.replace(v1.items[0], dose=dataclasses.replace(
        v1.items[0].dose, reps=5)),))


@pytest.fixture
def bundle(recorded_bridges, tmp_path):
    path = tmp_path / "eve.formcheck"
    export_bundle(recorded_bridges, PERSON, path, pseudonym="P-017")
    return path


@pytest.fixture
def clinic(tmp_path):
    store = Store(tmp_path / "clinic" / "formcheck.db")
    yield store
    store.close()


def test_pseudonym_replaces_the_name_and_the_video_path(bundle, clinic):
    with zipfile.ZipFile(bundle) as zf:
        text = b"".join(zf.read(n) for n in zf.namelist())
    assert b"Eve" not in text and b"/sample_videos/" not in text
    report = import_bundle(clinic, bundle)
    assert [s.person for s in clinic.sessions()] == ["P-017", "P-017"]
    assert "pseudonym (P-017); import it with --as NAME" in report.text()


def rewrite(src: Path, dst: Path, change) -> None:
    """Copy a bundle member by member, letting ``change(name, data, manifest)`` alter it."""
    with zipfile.ZipFile(src) as zin:
        manifest = json.loads(zin.read("manifest.json"))
        members = {n: zin.read(n) for n in zin.namelist() if n != "manifest.json"}
    members = change(members, manifest)
    with zipfile.ZipFile(dst, "w") as zout:
        for n, data in members.items():
            zout.writestr(n, data)
        zout.writestr("manifest.json", json.dumps(manifest))


def events_of(members):
    return next(n for n in members if n.endswith("events.jsonl"))


def tamper_events(members, manifest):
    name = events_of(members)
    assert b'"type": "rep"' in members[name]
    members[name] = members[name].replace(b'"type": "rep"', b'"type": "attempt"', 1)  # a rep made an attempt
    return members


def add_member(members, manifest):
    members["sessions/extra/track.npys"] = b"\x93NUMPY"
    return members


def traversal(members, manifest):
    members["../../evil.txt"] = b"x"
    manifest["members"]["../../evil.txt"] = {"sha256": hashlib.sha256(b"x").hexdigest(), "size": 1}
    return members


def broken_second_session(members, manifest):
    """A bundle made honestly (checksums match) whose second session's events can't be indexed."""
    name = sorted(n for n in members if n.endswith("events.jsonl"))[1]
    members[name] += b'{"type": "set_start", "number": 2}\n'
    manifest["members"][name] = {"sha256": hashlib.sha256(members[name]).hexdigest(), "size": len(members[name])}
    return members


def late_video_clock(members, manifest):
    """A kept video said to start 50 h into its session (sent honestly): past any session's clock."""
    name = events_of(members).replace("events.jsonl", "video.json")
    members[name] = json.dumps({"t0_ms": 50 * 3600 * 1000, "fps": 30}).encode()
    manifest["members"][name] = {"sha256": hashlib.sha256(members[name]).hexdigest(), "size": len(members[name])}
    return members


def foreign(members, manifest):
    manifest["format"] = "some-other-app"
    return members


@pytest.mark.parametrize(("change", "message"), [
    (tamper_events, "has been changed or damaged: sessions/"),
    (add_member, "has been changed: sessions/extra/track.npys is not in its manifest"),
    (traversal, "is not a formcheck bundle (it holds '../../evil.txt', which no bundle has)"),
    (broken_second_session, "can't be imported: session "),
    (late_video_clock, "video.json: t0_ms"),
    (foreign, "is not a formcheck bundle (its manifest is not a formcheck manifest)"),
])
def test_changed_or_foreign_bundles_are_refused_and_nothing_is_imported(bundle, clinic, tmp_path, change, message):
    bad = tmp_path / "bad.formcheck"
    rewrite(bundle, bad, change)
    with pytest.raises(BundleError) as refused:
        import_bundle(clinic, bad)
    assert message in str(refused.value) and "nothing was imported" in str(refused.value)
    assert counts(clinic)["sessions"] == 0 and counts(clinic)["sets"] == 0
    assert list((clinic.path.parent / "sessions").glob("*")) == []


@pytest.mark.parametrize("keep", [0.5, 0.98])
def test_truncated_bundles_are_refused(bundle, clinic, tmp_path, keep, monkeypatch, capsys):
    cut = tmp_path / "cut.formcheck"
    data = bundle.read_bytes()
    cut.write_bytes(data[:int(len(data) * keep)])
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(clinic.path.parent))
    assert main(["bundle", "import", str(cut)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("formcheck: cut.formcheck is damaged or incomplete (") and "Traceback" not in err
    assert counts(clinic)["sessions"] == 0


def test_a_file_that_is_not_a_bundle_is_refused(clinic, tmp_path):
    text = tmp_path / "notes.formcheck"
    text.write_text("hello")
    with pytest.raises(BundleError, match="notes.formcheck is damaged or incomplete"):
        import_bundle(clinic, text)
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("photo.jpg", b"x")
    with pytest.raises(BundleError, match=r"plain.zip is not a formcheck bundle \(it has no manifest\)"):
        import_bundle(clinic, plain)
    os.mkfifo(tmp_path / "pipe.formcheck")  # refused at once, not read for ever
    with pytest.raises(BundleError, match=r"pipe.formcheck is not a formcheck bundle \(it is not a regular file\)"):
        import_bundle(clinic, tmp_path / "pipe.formcheck")


def test_the_calibration_profile_travels_and_is_never_overwritten(recorded_bridges, clinic, tmp_path):
    from formcheck.exercises.profile import Profile, render_profile

    profile = tmp_path / "eve-camera.toml"
    profile.write_text(render_profile(Profile(PERSON, version=1, reason="a calibration profile")))
    path = tmp_path / "with-profile.formcheck"
    export_bundle(recorded_bridges, PERSON, path, video=False, calibration=profile)
    kept = clinic.path.parent / "calibration" / "eve-camera.toml"
    assert import_bundle(clinic, path).calibration == [str(kept)]
    kept.write_text("# changed at the clinic\n")
    assert import_bundle(clinic, path).calibration == []
    assert kept.read_text() == "# changed at the clinic\n"


def test_a_person_is_their_uid_and_a_programme_from_a_bundle_waits_for_the_therapist(tmp_path):
    """Two computers that each made an "Ann": asked once, then one person both ways; the clinic's
    programme becomes current at home only when confirmed."""
    from formcheck.exercises.programme_file import loads
    from formcheck.records.bundle_import import PersonClash
    from tests.records.scripted_sessions import Done, record

    clinic, home = Store(tmp_path / "clinic" / "formcheck.db"), Store(tmp_path / "home" / "formcheck.db")
    v1, _ = programme_store.save(clinic, loads(PROGRAMME, person="Ann"))
    record(home, "Ann", [Done("glute_bridge", [False, True])])
    export_bundle(clinic, "Ann", tmp_path / "1.formcheck")
    with pytest.raises(PersonClash) as clash:
        import_bundle(home, tmp_path / "1.formcheck")
    assert clash.value.name == "Ann" and "--as Ann" in str(clash.value) and counts(home)["programmes"] == 0
    report = import_bundle(home, tmp_path / "1.formcheck", person=clash.value.name)  # the app's "same person"
    assert [p.uid for p in report.pending] == [v1.uid] and programme_store.current_programme(home, "Ann") is None
    assert "waits for the therapist" in report.text()
    assert programme_store.confirm(home, v1.uid).version == 1
    assert programme_store.current_programme(home, "Ann").uid == v1.uid and programme_store.pending(home) == []
    # Home's bundle now says it is the clinic's Ann too: no question the other way.
    export_bundle(home, "Ann", tmp_path / "2.formcheck")
    assert len(import_bundle(clinic, tmp_path / "2.formcheck").sessions) == 1
    assert [s.person for s in clinic.sessions()] == ["Ann"] and len(clinic.db.execute("SELECT * FROM people").fetchall()) == 1
    # A third computer's Ann, made separately, is someone else.
    other = Store(tmp_path / "other" / "formcheck.db")
    programme_store.save(other, loads(PROGRAMME, person="Ann"))
    export_bundle(other, "Ann", tmp_path / "3.formcheck")
    with pytest.raises(PersonClash):
        import_bundle(home, tmp_path / "3.formcheck")
    for s in (clinic, home, other):
        s.close()


def test_a_pending_programme_stays_pending_through_a_repair(tmp_path):
    from formcheck.exercises.programme_file import loads

    clinic, home_db = Store(tmp_path / "clinic" / "formcheck.db"), tmp_path / "home" / "formcheck.db"
    v1, _ = programme_store.save(clinic, loads(PROGRAMME, person="Ann"))
    export_bundle(clinic, "Ann", tmp_path / "1.formcheck")
    clinic.close()
    home = Store(home_db)
    import_bundle(home, tmp_path / "1.formcheck")
    home.close()
    assert (home_db.parent / "programmes" / "pending" / f"{v1.uid}.toml").is_file()
    repair(home_db)
    home = Store(home_db)
    assert [p.uid for p in programme_store.pending(home, "Ann")] == [v1.uid]
    assert programme_store.current_programme(home, "Ann") is None
    home.close()
