"""FHIR R4 export validated with fhir.resources.

fhir.resources 7 and later model R5 at the top level; their R4B subpackage (4.3.0) is the
R4-compatible release (R4B changed only medication-definition and evidence resources; Bundle,
Patient, CarePlan, ServiceRequest and Observation are as in R4 4.0.1), so that is what we validate
against. fhir.resources 6.x, the last with R4 itself as default, needs pydantic 1.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from fhir.resources.R4B import __fhir_version__
from fhir.resources.R4B.bundle import Bundle

from formcheck.cli import main
from formcheck.core.exercise import Dose
from formcheck.core.programme import Programme, ProgrammeItem, Progression
from formcheck.records import programme_store
from formcheck.records.store import Store
from tests.records.scripted_sessions import Done, day, record

PROGRAMME = Programme("Ann", (ProgrammeItem("glute_bridge", Dose(2, 10, rest_s=45.0), "Squeeze"),
                              ProgrammeItem("forearm_plank", Dose(3, hold_s=20.0))),
                      3, date(2026, 11, 2), date(2026, 12, 14), "Slow.", Progression(), 7)


@pytest.fixture
def exported(tmp_path, monkeypatch):
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path / "data"))
    store = Store()
    v1, _ = programme_store.save(store, PROGRAMME)
    ids = [record(store, "Ann", [Done("glute_bridge", [False] * 8 + [True] * 2, sets=1, effort=5),
                                 Done("forearm_plank", holds=[20.0], sets=3, effort=7)],
                  programme=(v1.uid, 1), pain=(2, 3), started=day("2026-11-03")),
           record(store, "Ann", [Done("glute_bridge", [False, True], pain_stop=True)], programme=(v1.uid, 1),
                  pain=(3, 6), flag="stopped for pain: pain rose from 3 to 6", started=day("2026-11-05"))]
    store.close()
    out = tmp_path / "ann.json"
    assert main(["report", "--person", "Ann", "--format", "fhir", "--out", str(out)]) == 0
    return json.loads(out.read_text()), ids


def resources(doc, kind):
    return [e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == kind]


def component(obs, code):
    [c] = [c for c in obs["component"] if c["code"]["coding"][0]["code"] == code]
    return c.get("valueInteger", c.get("valueQuantity"))


def test_fhir_bundle_validates_against_r4b_and_holds_the_programme_and_results(exported):
    doc, _ = exported
    assert __fhir_version__ == "4.3.0"
    bundle = Bundle.model_validate(doc)  # raises on any element R4B does not allow
    assert bundle.type == "collection"
    assert [len(resources(doc, k)) for k in ("Patient", "CarePlan", "ServiceRequest", "Observation")] == [1, 1, 2, 3]
    urls = {e["fullUrl"] for e in doc["entry"]}
    [plan] = resources(doc, "CarePlan")
    assert plan["period"] == {"start": "2026-11-02", "end": "2026-12-14"} and plan["title"].endswith("version 1")
    assert all(a["reference"]["reference"] in urls for a in plan["activity"])
    bridge_request, plank_request = resources(doc, "ServiceRequest")
    assert bridge_request["patientInstruction"] == "2 × 10 reps, rest 45 s between sets. Squeeze"
    assert bridge_request["occurrenceTiming"]["repeat"] == {
        "boundsPeriod": plan["period"], "frequency": 3, "period": 1, "periodUnit": "wk"}
    first_bridge, first_plank, stopped = resources(doc, "Observation")
    assert first_bridge["code"]["coding"][0]["code"] == "glute_bridge"
    assert [component(first_bridge, c) for c in ("sets-done", "reps-done", "reps-flagged", "effort", "pain-before",
                                                 "pain-after")] == [1, 10, 2, 5, 2, 3]
    assert component(first_plank, "hold-time") == {"value": 60.0, "unit": "s", "system": "http://unitsofmeasure.org",
                                                   "code": "s"}
    assert first_bridge["basedOn"][0]["reference"] in urls
    assert first_bridge["subject"] == plan["subject"] == {"reference": doc["entry"][0]["fullUrl"]}
    assert [n["text"] for n in stopped["note"]] == ["Stopped for pain 1×", "stopped for pain: pain rose from 3 to 6"]


def test_the_validator_really_checks(exported):
    doc, _ = exported
    obs = resources(doc, "Observation")[0]
    obs["component"][0]["valueInteger"] = "ten"
    with pytest.raises(ValueError, match="valueInteger"):
        Bundle.model_validate(doc)


def test_one_session_and_stable_ids(exported, tmp_path, capsys):
    doc, ids = exported
    assert main(["report", str(ids[1]), "--format", "fhir"]) == 0
    single = json.loads(capsys.readouterr().out)
    Bundle.model_validate(single)
    assert [len(resources(single, k)) for k in ("CarePlan", "Observation")] == [1, 1]
    same = {e["fullUrl"] for e in doc["entry"]}
    assert {e["fullUrl"] for e in single["entry"]} <= same  # the same resources get the same ids
