"""FHIR R4 export (`formcheck report ... --format fhir`): one JSON Bundle of type "collection".

- the person: a Patient with their name (or the pseudonym their sessions were filed under);
- each programme version the sessions followed, and the current one: a CarePlan whose activities
  are ServiceRequests, one per exercise, with the dose as the patient instruction and the days
  per week as the timing;
- each exercise done in a session: an Observation (category "activity") with components for reps
  done, reps flagged, sets, hold time, effort (0–10) and pain (0–10, before and after the
  session), based on the ServiceRequest it followed.

Exercises and the measures without a standard code use formcheck's own code systems (URNs);
pain also carries LOINC 72514-3 (pain severity, 0–10 verbal numeric rating). Ids are derived
from the session and programme uids, so exporting twice gives the same ids.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from formcheck.core.programme import Programme
from formcheck.exercises.loader import load_by_id
from formcheck.exercises.toml_reader import ExerciseFileError
from formcheck.records import programme_store
from formcheck.records.database.rows import SessionDetail, now_iso
from formcheck.records.store import Store
from formcheck.reports import posture_report

EXERCISE_SYSTEM = "urn:formcheck:exercise"
MEASURE_SYSTEM = "urn:formcheck:measure"
PROGRAMME_SYSTEM = "urn:formcheck:programme"
SESSION_SYSTEM = "urn:formcheck:session"
LOINC = "http://loinc.org"
PAIN_NRS = "72514-3"
UCUM = "http://unitsofmeasure.org"
_NAMESPACE = uuid.UUID("5b0c8a4e-2f6e-4d0e-9a51-6f1c2b7d0e11")  # formcheck's: stable ids across exports


def _urn(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, '/'.join(parts))}"


def _ref(urn: str) -> dict[str, str]:
    return {"reference": urn}


def _name(exercise: str) -> str:
    try:
        return load_by_id(exercise).name
    except ExerciseFileError:
        return exercise


def _exercise_code(exercise: str) -> dict[str, Any]:
    name = _name(exercise)
    return {"coding": [{"system": EXERCISE_SYSTEM, "code": exercise, "display": name}], "text": name}


def _measure(code: str, text: str, extra: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"coding": [{"system": MEASURE_SYSTEM, "code": code, "display": text}, *(extra or [])], "text": text}


def fhir_bundle(store: Store, session_ids: list[int]) -> dict[str, Any]:
    details = [store.session_detail(s) for s in session_ids]
    people = sorted({d.person for d in details})
    entries: list[dict[str, Any]] = []
    patients = {}
    for person in people:
        urn = patients[person] = _urn("patient", person)
        entries.append({"fullUrl": urn, "resource": {"resourceType": "Patient", "id": urn[9:],
                                                      "name": [{"text": person}]}})
    requests: dict[tuple[str, str], str] = {}  # (programme uid, exercise) -> ServiceRequest urn
    for person in people:
        followed = {d.programme_uid for d in details if d.person == person and d.programme_uid}
        versions = [p for p in programme_store.versions(store, person)]
        chosen = [p for p in versions if p.uid in followed] + [p for p in versions[-1:] if p.uid not in followed]
        for p in chosen:
            entries += _care_plan(p, patients[person], requests)
    for d in details:
        entries += _observations(d, patients[d.person], requests)
    entries += posture_report.fhir_observations(store, session_ids, patients)
    return {"resourceType": "Bundle", "type": "collection", "timestamp": now_iso(), "entry": entries}


def fhir_json(store: Store, session_ids: list[int]) -> str:
    return json.dumps(fhir_bundle(store, session_ids), indent=1, ensure_ascii=False) + "\n"


def _care_plan(p: Programme, patient: str, requests: dict[tuple[str, str], str]) -> list[dict[str, Any]]:
    plan = _urn("careplan", p.uid)
    period = {"start": p.start.isoformat()} | ({"end": p.review.isoformat()} if p.review else {})
    out = []
    activities = []
    for i, item in enumerate(p.items):
        urn = requests[(p.uid, item.exercise)] = _urn("servicerequest", p.uid, str(i))
        instruction = f"{item.dose.text()}, rest {item.dose.rest_s:g} s between sets"
        if item.notes:
            instruction += f". {item.notes}"
        out.append({"fullUrl": urn, "resource": {
            "resourceType": "ServiceRequest", "id": urn[9:], "status": "active", "intent": "order",
            "basedOn": [_ref(plan)], "subject": _ref(patient), "code": _exercise_code(item.exercise),
            "occurrenceTiming": {"repeat": {"boundsPeriod": period, "frequency": p.days_per_week, "period": 1,
                                            "periodUnit": "wk"}},
            "patientInstruction": instruction}})
        activities.append({"reference": _ref(urn)})
    notes = [n for n in (p.notes, p.progression.text() if p.progression else "",
                         f"Stop when pain is {p.pain_stop_at}/10 or more, or rises by 2 or more during a session."
                         if p.pain_stop_at else "") if n]
    resource = {"resourceType": "CarePlan", "id": plan[9:],
                "identifier": [{"system": PROGRAMME_SYSTEM, "value": p.uid}], "status": "active", "intent": "plan",
                "title": f"Home exercise programme, {p.label()}",
                "description": f"{p.days_per_week} day(s) a week: "
                               + "; ".join(f"{_name(i.exercise)} {i.dose.text()}" for i in p.items),
                "subject": _ref(patient), "period": period, "activity": activities,
                "note": [{"text": n} for n in notes]}
    if p.created:
        resource["created"] = p.created
    return [{"fullUrl": plan, "resource": resource}, *out]


def _observations(d: SessionDetail, patient: str, requests: dict[tuple[str, str], str]) -> list[dict[str, Any]]:
    out = []
    efforts = {r.exercise: r.score for r in d.ratings if r.kind == "effort"}
    for exercise in dict.fromkeys(st.exercise for st in d.sets):
        sets = [st for st in d.sets if st.exercise == exercise]
        reps = [r for st in sets for r in st.reps if not r.attempt]
        holds = [h for st in sets for h in st.holds]
        flagged = sum(1 for r in reps if r.faults) + sum(1 for h in holds if h.faults)
        components = [
            {"code": _measure("sets-done", "Sets done"), "valueInteger": len(sets)},
            {"code": _measure("reps-done", "Reps done"), "valueInteger": len(reps)},
            {"code": _measure("reps-flagged", "Reps or holds flagged for form"), "valueInteger": flagged},
        ]
        if holds:
            components.append({"code": _measure("hold-time", "Time held"), "valueQuantity": {
                "value": round(sum(h.duration_s for h in holds), 1), "unit": "s", "system": UCUM, "code": "s"}})
        if exercise in efforts:
            components.append({"code": _measure("effort", "Effort, 0–10"), "valueInteger": efforts[exercise]})
        for moment, score in (("before", d.pain_before), ("after", d.pain_after)):
            if score is not None:
                components.append({"code": _measure(f"pain-{moment}", f"Pain {moment} the session, 0–10", [
                    {"system": LOINC, "code": PAIN_NRS, "display": "Pain severity - 0-10 verbal numeric rating "
                                                                  "[Score] - Reported"}]),
                                   "valueInteger": score})
        urn = _urn("observation", d.uid, exercise)
        resource: dict[str, Any] = {
            "resourceType": "Observation", "id": urn[9:], "status": "final",
            "identifier": [{"system": SESSION_SYSTEM, "value": f"{d.uid}/{exercise}"}],
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "activity", "display": "Activity"}]}],
            "code": _exercise_code(exercise), "subject": _ref(patient), "effectiveDateTime": d.started,
            "method": {"text": "formcheck: camera pose tracking with joint-angle rules"},
            "component": components,
        }
        request = requests.get((d.programme_uid or "", exercise))
        if request:
            resource["basedOn"] = [_ref(request)]
        notes = ([f"Stopped for pain {len(d.pain_stops)}×"] if d.pain_stops else []) + ([d.flag] if d.flag else [])
        if notes:
            resource["note"] = [{"text": n} for n in notes]
        out.append({"fullUrl": urn, "resource": resource})
    return out
