"""The posture part of ``formcheck report``: CSV rows, an HTML section and FHIR Observations.

Kept apart from the exercise report so each format gets one small hook: ``csv_rows`` (kinds
``posture_hour`` and ``posture_reminder``), ``html_view`` (what the report template's posture
section shows) and ``fhir_observations`` (one Observation per person and day).
"""

from __future__ import annotations

import uuid
from typing import Any

from formcheck.records.posture_records import POSTURE_KIND, posture_summary, response_words
from formcheck.records.store import Store

CSV_FIELDS = ("upright_min", "slouched_min", "away_min", "corrected", "paused")
MEASURE_SYSTEM = "urn:formcheck:measure"
UCUM = "http://unitsofmeasure.org"
_NAMESPACE = uuid.UUID("5b0c8a4e-2f6e-4d0e-9a51-6f1c2b7d0e11")  # the same as fhir.py's: stable ids


_CSV_OUTCOME = {"corrected": "yes", "not_corrected": "no", "paused": "paused"}  # "" while waiting


def posture_sessions(store: Store, session_ids: list[int]) -> list[int]:
    return [s for s in session_ids if store.session(s).kind == POSTURE_KIND]


def csv_rows(store: Store, session_id: int, base: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per hour watched (``started`` is the hour) and per reminder (its time in ``start_s``,
    its kind in ``fault_code``, its words in ``fault_message``, how long the posture had lasted in
    ``duration_s``, and ``corrected`` yes / no / paused: the watching stopped before the response
    time was up, counted neither way)."""
    if store.session(session_id).kind != POSTURE_KIND:
        return []
    summary = posture_summary(store, [session_id])
    rows = [base | {"kind": "posture_hour", "started": h["hour"], "upright_min": h["upright_min"],
                    "slouched_min": h["slouched_min"], "away_min": h["away_min"], "number": h["reminders"],
                    "corrected": h["corrected"], "paused": h["paused"]} for h in summary["hours"]]
    rows += [base | {"kind": "posture_reminder", "start_s": r["t_s"], "fault_code": r["kind"],
                     "fault_message": r["text"], "duration_s": r["lasted_s"],
                     "corrected": _CSV_OUTCOME.get(r["outcome"], "")}
             for r in summary["reminders"]]
    return rows


def html_view(store: Store, session_ids: list[int]) -> dict[str, Any] | None:
    """What the HTML report's "Posture at the desk" section shows (templates/report.html.j2, which
    escapes every value): minutes per day and hour, reminders and responses; None without posture."""
    ids = posture_sessions(store, session_ids)
    if not ids:
        return None
    s = posture_summary(store, ids)
    return {"sessions": len(ids), "days": s["days"], "hours": s["hours"],
            "reminders": [r | {"response": response_words(r)} for r in s["reminders"]]}


def _minutes(code: str, text: str, value: float) -> dict[str, Any]:
    return {"code": {"coding": [{"system": MEASURE_SYSTEM, "code": code, "display": text}], "text": text},
            "valueQuantity": {"value": value, "unit": "min", "system": UCUM, "code": "min"}}


def _count(code: str, text: str, value: int) -> dict[str, Any]:
    return {"code": {"coding": [{"system": MEASURE_SYSTEM, "code": code, "display": text}], "text": text},
            "valueInteger": value}


def fhir_observations(store: Store, session_ids: list[int], patients: dict[str, str]) -> list[dict[str, Any]]:
    """One Observation per person and day watched: minutes upright / not upright / away, reminders
    given and how many were corrected within a minute."""
    out = []
    for person, urn in patients.items():
        ids = [s for s in posture_sessions(store, session_ids) if store.session(s).person == person]
        for day in posture_summary(store, ids)["days"] if ids else []:
            oid = uuid.uuid5(_NAMESPACE, f"posture/{person}/{day['day']}")
            out.append({"fullUrl": f"urn:uuid:{oid}", "resource": {
                "resourceType": "Observation", "id": str(oid), "status": "final",
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                          "code": "activity", "display": "Activity"}]}],
                "code": {"coding": [{"system": MEASURE_SYSTEM, "code": "desk-posture", "display": "Desk posture"}],
                         "text": "Desk posture"},
                "subject": {"reference": urn}, "effectiveDateTime": day["day"],
                "method": {"text": "formcheck posture mode: camera pose against the person's sitting-tall baseline"},
                "component": [
                    _minutes("posture-upright", "Time upright", day["upright_min"]),
                    _minutes("posture-not-upright", "Time slouched, head forward, head low or leaning",
                             day["slouched_min"]),
                    _minutes("posture-away", "Time away from the desk", day["away_min"]),
                    _count("posture-reminders", "Posture and break reminders given", day["reminders"]),
                    _count("posture-corrected", "Reminders followed within the response time", day["corrected"]),
                    _count("posture-paused", "Reminders whose response wasn't seen (the watching was paused)",
                           day["paused"]),
                ]}})
    return out
