"""The person's sitting-tall baseline kept for the next posture session: measures only, per person,
and a file from elsewhere checked before it is used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from formcheck.core.posture_judge import Baseline, typical_baseline
from formcheck.records.posture_baseline import BaselineFileError, BaselineStore

SIDE = Baseline("side", {"trunk_deg": -4.5, "neck_deg": 14.25, "head_forward": 0.07}, "calibration",
                {"trunk_deg": 1.5, "neck_deg": 2.0, "head_forward": 0.01})


def test_saved_baseline_comes_back_and_holds_measures_only(tmp_path: Path) -> None:
    store = BaselineStore(tmp_path / "posture")
    assert store.load("Eve") is None  # nobody has calibrated yet
    path = store.save("Eve", SIDE)
    saved = store.load("Eve")
    assert saved is not None and saved.baseline == SIDE
    data = json.loads(path.read_text(encoding="utf-8"))
    assert sorted(data) == ["person", "saved", "spread", "values", "version", "view"]
    assert sorted(data["values"]) == ["head_forward", "neck_deg", "trunk_deg"]
    assert path.stat().st_size < 600 and list(path.parent.iterdir()) == [path]  # one small file, no image


def test_each_person_has_their_own_and_odd_names_stay_in_the_folder(tmp_path: Path) -> None:
    store = BaselineStore(tmp_path / "posture")
    front = Baseline("front", {"head_height": 0.4, "shoulder_tilt_deg": 1.0, "head_offset": 0.0})
    store.save("../../Sam", front)
    store.save("Eve", SIDE)
    assert {p.parent for p in (tmp_path / "posture").iterdir()} == {tmp_path / "posture"}
    assert store.load("../../Sam").baseline == front and store.load("Eve").baseline == SIDE
    store.save("Eve", front)  # a recalibration replaces the person's baseline
    assert store.load("Eve").baseline == front and store.load("../../Sam").baseline == front


def test_the_typical_baseline_is_not_anyones_own(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        BaselineStore(tmp_path).save("Eve", typical_baseline("side"))


GOOD = {"version": 1, "person": "Eve", "view": "side", "values": {"trunk_deg": -4.0, "neck_deg": 12.0},
        "spread": {"trunk_deg": 1.0}, "saved": "2026-11-28T09:00:00+00:00"}


@pytest.mark.parametrize(("change", "said"), [
    ({"person": "Sam"}, "Sam"),
    ({"version": 2}, "version 1"),
    ({"view": "top"}, "unknown view"),
    ({"values": {"trunk_deg": -4.0, "head_height": 0.4}}, "head_height"),
    ({"values": {"trunk_deg": "-4"}}, "not a number"),
    ({"values": {"trunk_deg": True}}, "not a number"),
    ({"values": {"neck_deg": 400.0}}, "outside"),
    ({"values": {}}, "no measures"),
    ({"spread": {"trunk_deg": -1.0}}, "negative"),
    ({"saved": "yesterday"}, "not a time"),
])
def test_a_file_that_cant_be_used_says_why(tmp_path: Path, change: dict, said: str) -> None:
    store = BaselineStore(tmp_path)
    store.path("Eve").write_text(json.dumps(GOOD | change), encoding="utf-8")
    with pytest.raises(BaselineFileError, match=said):
        store.load("Eve")


def test_unreadable_files_say_why(tmp_path: Path) -> None:
    store = BaselineStore(tmp_path)
    store.path("Eve").write_text(json.dumps(GOOD).replace("-4.0", "NaN"), encoding="utf-8")
    with pytest.raises(BaselineFileError, match="not a number"):
        store.load("Eve")
    store.path("Eve").write_text("{not json", encoding="utf-8")
    with pytest.raises(BaselineFileError, match="can't be read"):
        store.load("Eve")
    store.path("Eve").write_text(json.dumps(GOOD | {"pad": "x" * 20_000}), encoding="utf-8")
    with pytest.raises(BaselineFileError, match="too large"):
        store.load("Eve")
    store.path("Eve").write_text(json.dumps(GOOD), encoding="utf-8")
    assert store.load("Eve").baseline.values == {"trunk_deg": -4.0, "neck_deg": 12.0}  # and a good one works


def test_the_command_saves_the_calibration_and_reuses_it_with_saved(tmp_path: Path, monkeypatch, capsys,
                                                                   model_path) -> None:
    from formcheck.cli import main
    from formcheck.records.store import Store
    from tests.conftest import sample

    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path / "data"))
    video = str(sample("bird_dog_good.mp4"))
    assert main(["posture", "--video", video, "--person", "Eve", "--saved"]) == 2
    assert "no saved baseline for Eve — calibrate first" in capsys.readouterr().out
    assert main(["posture", "--video", video, "--saved"]) == 2
    assert "--saved needs --person" in capsys.readouterr().out
    BaselineStore(tmp_path / "data" / "calibration" / "posture").save("Eve", SIDE)
    assert main(["posture", "--video", video, "--person", "Eve", "--saved"]) == 0
    assert "using Eve's baseline saved" in capsys.readouterr().out
    store = Store(tmp_path / "data" / "formcheck.db")
    (session,) = store.sessions("Eve")
    start = json.loads((session.folder / "events.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert start["baseline"]["values"] == SIDE.values and store.posture_detail(session.id).minutes
    assert start["calibrated"] == BaselineStore(tmp_path / "data" / "calibration" / "posture").load("Eve").saved
    store.close()
