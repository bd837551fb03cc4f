"""An exercise definition frozen as JSON, stored with every recorded set.

A session keeps the definition and thresholds it was judged with, so a report written next year
(or after a therapist tuned a threshold) says what the person was told that day, and a recorded
session can be re-judged exactly. ``from_json(to_json(ex)) == ex`` for every definition.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from formcheck.core.body import BodyModel
from formcheck.core.exercise import Condition, Dose, Envelope, ExerciseDef, HoldDef, RepDef, RuleDef, SetupDef
from formcheck.core.measures import Measure


def to_json(exercise: ExerciseDef) -> str:
    return json.dumps(dataclasses.asdict(exercise), ensure_ascii=False, sort_keys=True)


def _known(cls: type, d: dict[str, Any]) -> dict[str, Any]:
    """The keys ``cls`` still has: a snapshot from an older version may carry fields since removed."""
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in d.items() if k in names}


def from_json(text: str) -> ExerciseDef:
    d: dict[str, Any] = _known(ExerciseDef, json.loads(text))
    setup = d.get("setup")
    hold = d.get("hold")
    return ExerciseDef(
        id=d["id"],
        name=d["name"],
        group=d["group"],
        instructions=d["instructions"],
        camera=d["camera"],
        dose=Dose(**_known(Dose, d["dose"])),
        setup=None if setup is None else SetupDef(**{k: tuple(v) if isinstance(v, list) else
                                                     Envelope(**v) if k == "envelope" and v is not None else v
                                                     for k, v in _known(SetupDef, setup).items()}),
        measures={k: Measure(**{**_known(Measure, m), "points": tuple(m["points"])}) for k, m in d["measures"].items()},
        rep=None if d.get("rep") is None else RepDef(**_known(RepDef, d["rep"])),
        hold=None if hold is None else HoldDef(**{**_known(HoldDef, hold),
                                                  "position": tuple(Condition(**c) for c in hold["position"])}),
        rules=tuple(RuleDef(**{**_known(RuleDef, r), "views": tuple(r.get("views", ()))}) for r in d["rules"]),
        safety=tuple(d["safety"]),
        positive_cue=d["positive_cue"],
        profile=d.get("profile", ""),  # sets recorded before profiles existed: population thresholds
        body=None if d.get("body") is None else BodyModel(**{**d["body"], "views": tuple(d["body"]["views"])}),
    )
